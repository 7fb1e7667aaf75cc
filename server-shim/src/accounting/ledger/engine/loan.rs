//! Loans: the schedule, interest by actual days, the legal order of a payment, penalty on
//! overdue amounts, early repayment and its recalculation, replayed from the issue day.
//!
//! The replay jumps from one key date to the next (a due date, an event, the day asked about);
//! between two key dates nothing changes, so interest and penalty over the gap are summed in
//! one step. The rules are in docs/ledger.md; tests/reference/ledger_reference.py implements
//! them a second time, day by day, and the tests compare the two to the kopeck.

use std::collections::VecDeque;

use kabinet_api::cabinet::{
    ContractStatus, DuePayment, Installment, InstallmentStatus, Kopecks, LoanDetail, LoanOperation, LoanOperationKind,
    LoanSummary, RepaymentKind,
};
use time::Date;

use super::money::{annuity_payment, Accrued};
use super::{add_months, LoanError, LoanEvent, LoanTerms, Recalculation};

/// Terms beyond these are refused: no cooperative lends so, and the bounds keep every exact
/// sum far inside 128 bits.
pub const MAX_AMOUNT: Kopecks = 10_000_000_000_000;
pub const MAX_TERM_MONTHS: u32 = 600;
pub const MAX_RATE_BP: u32 = 100_000;

/// A contract's first day must fall in these years: `time` dates end in 9999, and the engine
/// counts from the year before the first day up to [`MAX_HORIZON_MONTHS`] after it, so no
/// date it builds can fall off the calendar.
pub const FIRST_YEAR: i32 = 1;
pub const LAST_YEAR: i32 = 9000;

/// A loan is not looked at later than this after its issue (100 years). Penalty runs on after
/// the term with no end, and this is what keeps it inside i64: what can be overdue is at most
/// the principal plus 50 years of interest at 1000 % (≤ 1e13 + 5e15 kopecks), and 100 years
/// of penalty at 1000 % on that is ≤ 5.02e18 — with everything else owed, still below
/// i64::MAX ≈ 9.22e18.
pub const MAX_HORIZON_MONTHS: u32 = 1200;

pub(super) const ISSUE: &str = "Выдача займа";
pub(super) const INTEREST: &str = "Начислены проценты за период";
pub(super) const PENALTY: &str = "Начислена неустойка";
pub(super) const PAYMENT: &str = "Погашение по графику";
pub(super) const EARLY_SHORTER: &str = "Досрочное погашение (сокращение срока)";
pub(super) const EARLY_SMALLER: &str = "Досрочное погашение (уменьшение платежа)";
pub(super) const EARLY_FULL: &str = "Полное досрочное погашение";

/// How an installment's principal part is set once its interest is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// Installment A: principal = A − interest.
    Annuity(Kopecks),
    /// Principal part c, interest on top.
    Differentiated(Kopecks),
}

impl Rule {
    /// The last installment takes whatever scheduled principal is left; no part is negative or
    /// more than what is left.
    fn principal_part(self, interest: Kopecks, scheduled: Kopecks, last: bool) -> Kopecks {
        if last {
            return scheduled;
        }
        let part = match self {
            Rule::Annuity(a) => a - interest,
            Rule::Differentiated(c) => c,
        };
        part.clamp(0, scheduled)
    }
}

/// One schedule row as the replay knows it.
#[derive(Debug, Clone)]
struct Row {
    date: Date,
    principal: Kopecks,
    interest: Kopecks,
    balance_after: Kopecks,
    paid_principal: Kopecks,
    paid_interest: Kopecks,
    paid_on: Option<Date>,
}

impl Row {
    fn planned(date: Date, principal: Kopecks, interest: Kopecks, balance_after: Kopecks) -> Row {
        Row { date, principal, interest, balance_after, paid_principal: 0, paid_interest: 0, paid_on: None }
    }

    fn unpaid(&self) -> Kopecks {
        self.principal + self.interest - self.paid_principal - self.paid_interest
    }

    fn done(&self) -> bool {
        self.unpaid() == 0
    }
}

/// What one sum of money paid, by kind; `extra` is the interest of a period closed early.
#[derive(Debug, Default, Clone, Copy)]
struct Split {
    principal: Kopecks,
    interest: Kopecks,
    penalty: Kopecks,
    extra: Kopecks,
}

/// What is left of a payment beyond what was due on its day.
#[derive(Debug, Clone, Copy)]
struct Advance {
    /// Its payment among the operations: what the advance pays when applied is added to that
    /// payment's split, so a certificate of interest paid counts it.
    operation: usize,
    date: Date,
    left: Kopecks,
}

/// Takes up to `want` from `money`.
fn take(want: Kopecks, money: &mut Kopecks) -> Kopecks {
    let got = want.min(*money);
    *money -= got;
    got
}

/// The loan part-way through the replay, at the end of `today`.
struct Loan<'a> {
    terms: &'a LoanTerms,
    /// Due dates still to come under the current plan, earliest first.
    plan: VecDeque<Date>,
    rule: Rule,
    /// Principal the client owes, overdue principal included.
    balance: Kopecks,
    /// Principal not yet assigned to a row whose date has come: what future rows share.
    scheduled: Kopecks,
    /// Rows whose date has come (and early repayments), oldest first.
    rows: Vec<Row>,
    /// Interest of the open period so far.
    accrued: Accrued,
    /// Penalty since issue, exact; its rounded value minus `penalty_paid` is owed.
    penalty: Accrued,
    penalty_paid: Kopecks,
    penalty_posted: Kopecks,
    /// Money paid ahead of what is due, waiting for the next due date, oldest payment first.
    advances: VecDeque<Advance>,
    closed_on: Option<Date>,
    operations: Vec<LoanOperation>,
    today: Date,
}

fn op(
    date: Date,
    kind: LoanOperationKind,
    amount: Kopecks,
    split: (Kopecks, Kopecks, Kopecks),
    text: &str,
) -> LoanOperation {
    LoanOperation {
        date: date.to_string(),
        kind,
        amount,
        principal: split.0,
        interest: split.1,
        penalty: split.2,
        description: text.to_string(),
    }
}

fn validate(terms: &LoanTerms) -> Result<(), LoanError> {
    let bad = |why: &str| Err(LoanError::InvalidTerms(why.to_string()));
    if terms.amount <= 0 || terms.amount > MAX_AMOUNT {
        return bad("the amount must be positive and at most 100 000 000 000,00");
    }
    if terms.term_months == 0 || terms.term_months > MAX_TERM_MONTHS {
        return bad("the term must be 1 to 600 months");
    }
    if terms.rate_bp > MAX_RATE_BP || terms.penalty_rate_bp > MAX_RATE_BP {
        return bad("rates above 1000 % a year are not accepted");
    }
    if !(FIRST_YEAR..=LAST_YEAR).contains(&terms.issued_on.year()) {
        return bad("the issue day must fall in the years 1 to 9000");
    }
    Ok(())
}

pub(super) fn detail(terms: &LoanTerms, events: &[LoanEvent], as_of: Date) -> Result<LoanDetail, LoanError> {
    validate(terms)?;
    if as_of < terms.issued_on {
        return Err(LoanError::BeforeIssue(as_of));
    }
    if as_of > add_months(terms.issued_on, MAX_HORIZON_MONTHS as i32) {
        return Err(LoanError::BeyondHorizon(as_of));
    }
    if events.windows(2).any(|w| w[1].date() < w[0].date()) {
        return Err(LoanError::Unordered);
    }
    let events: Vec<&LoanEvent> = events.iter().filter(|e| e.date() <= as_of).collect();
    for e in &events {
        let (LoanEvent::Payment { amount, .. } | LoanEvent::EarlyRepayment { amount, .. }) = e;
        if *amount <= 0 {
            return Err(LoanError::NonPositiveAmount);
        }
        if e.date() < terms.issued_on {
            return Err(LoanError::BeforeIssue(e.date()));
        }
    }

    let mut loan = Loan::new(terms);
    let mut next_event = 0;
    loop {
        let day = loan.today;
        while next_event < events.len() && events[next_event].date() == day {
            if let Some(closed) = loan.closed_on {
                return Err(LoanError::Closed(closed));
            }
            match events[next_event] {
                LoanEvent::Payment { amount, .. } => loan.payment(*amount)?,
                LoanEvent::EarlyRepayment { amount, mode, .. } => loan.early_repayment(*amount, *mode)?,
            }
            next_event += 1;
        }
        loan.close_if_settled();
        if day >= as_of {
            break;
        }
        if let Some(closed) = loan.closed_on {
            // Nothing happens to a closed loan; anything posted after it is refused.
            if next_event < events.len() {
                return Err(LoanError::Closed(closed));
            }
            break;
        }
        // The next key date: a due date, an event or the day asked about.
        let mut next = as_of;
        if let Some(&due) = loan.plan.front() {
            next = next.min(due);
        }
        if let Some(e) = events.get(next_event) {
            next = next.min(e.date());
        }
        loan.advance_to(next);
    }
    if loan.closed_on.is_none() {
        loan.post_penalty();
    }
    Ok(loan.into_detail(as_of))
}

impl<'a> Loan<'a> {
    fn new(terms: &'a LoanTerms) -> Loan<'a> {
        let n = terms.term_months;
        let plan = (1..=n).map(|k| add_months(terms.issued_on, k as i32)).collect();
        let rule = match terms.repayment {
            RepaymentKind::Annuity => Rule::Annuity(annuity_payment(terms.amount, terms.rate_bp, n)),
            // Rounded down, so the parts never add up to more than the loan; the last takes the rest.
            RepaymentKind::Differentiated => Rule::Differentiated(terms.amount / Kopecks::from(n)),
        };
        Loan {
            terms,
            plan,
            rule,
            balance: terms.amount,
            scheduled: terms.amount,
            rows: Vec::new(),
            accrued: Accrued::ZERO,
            penalty: Accrued::ZERO,
            penalty_paid: 0,
            penalty_posted: 0,
            advances: VecDeque::new(),
            closed_on: None,
            operations: vec![op(terms.issued_on, LoanOperationKind::Issue, terms.amount, (terms.amount, 0, 0), ISSUE)],
            today: terms.issued_on,
        }
    }

    /// Moves to the end of `day`: interest and penalty for the days after `today` up to `day`
    /// on what was owed at the start of each (nothing changes in between), then the period
    /// closes if `day` is a due date.
    fn advance_to(&mut self, day: Date) {
        debug_assert!(day > self.today);
        if !self.plan.is_empty() {
            // No interest after the last due date: the term is over, only penalty runs on.
            self.accrued += Accrued::over(self.balance, self.terms.rate_bp, self.today, day);
        }
        let overdue: Kopecks = self.rows.iter().map(Row::unpaid).sum();
        self.penalty += Accrued::over(overdue, self.terms.penalty_rate_bp, self.today, day);
        self.today = day;
        if self.plan.front() == Some(&day) {
            self.close_period();
        }
    }

    /// A due date: the period's interest is rounded and becomes due with this row's principal;
    /// an advance waiting for this day is applied.
    fn close_period(&mut self) {
        let day = self.today;
        let interest = self.accrued.rounded();
        self.accrued = Accrued::ZERO;
        self.plan.pop_front();
        let principal = self.rule.principal_part(interest, self.scheduled, self.plan.is_empty());
        self.scheduled -= principal;
        self.rows.push(Row::planned(day, principal, interest, self.scheduled));
        if self.scheduled == 0 {
            self.plan.clear();
        }
        if interest > 0 {
            self.operations.push(op(day, LoanOperationKind::InterestAccrued, interest, (0, interest, 0), INTEREST));
        }
        while let Some(a) = self.advances.front_mut() {
            let Advance { operation, date, left } = *a;
            let (split, left) = self.allocate(left, date, 0);
            self.credit(operation, split, 0);
            match self.advances.front_mut() {
                Some(a) if left > 0 => {
                    a.left = left;
                    break;
                }
                _ => {
                    self.advances.pop_front();
                }
            }
        }
    }

    fn advance(&self) -> Kopecks {
        self.advances.iter().map(|a| a.left).sum()
    }

    /// Adds what an advance paid (and `to_principal` of it put to principal early) to the
    /// split of the payment it came from.
    fn credit(&mut self, operation: usize, split: Split, to_principal: Kopecks) {
        let o = &mut self.operations[operation];
        o.principal += split.principal + to_principal;
        o.interest += split.interest + split.extra;
        o.penalty += split.penalty;
    }

    fn penalty_owed(&self) -> Kopecks {
        self.penalty.rounded() - self.penalty_paid
    }

    /// Posts the penalty accrued since the last posting, as the change of its rounded total,
    /// so the posted sums always equal the rounded total.
    fn post_penalty(&mut self) {
        let total = self.penalty.rounded();
        if total > self.penalty_posted {
            let delta = total - self.penalty_posted;
            self.operations.push(op(self.today, LoanOperationKind::PenaltyAccrued, delta, (0, 0, delta), PENALTY));
            self.penalty_posted = total;
        }
    }

    /// Spends `money` in the legal order (353-ФЗ ст. 5 ч. 20): overdue interest, overdue
    /// principal, penalty, current interest (`extra_interest` — a period closed early — counts
    /// as current), current principal. Rows it completes are paid on `paid_on`.
    fn allocate(&mut self, mut money: Kopecks, paid_on: Date, extra_interest: Kopecks) -> (Split, Kopecks) {
        let today = self.today;
        let mut split = Split::default();
        let overdue: Vec<usize> =
            (0..self.rows.len()).filter(|&i| self.rows[i].date < today && !self.rows[i].done()).collect();
        let current: Vec<usize> =
            (0..self.rows.len()).filter(|&i| self.rows[i].date == today && !self.rows[i].done()).collect();
        for &i in &overdue {
            let r = &mut self.rows[i];
            let got = take(r.interest - r.paid_interest, &mut money);
            r.paid_interest += got;
            split.interest += got;
        }
        for &i in &overdue {
            let r = &mut self.rows[i];
            let got = take(r.principal - r.paid_principal, &mut money);
            r.paid_principal += got;
            split.principal += got;
        }
        let got = take(self.penalty_owed(), &mut money);
        self.penalty_paid += got;
        split.penalty += got;
        for &i in &current {
            let r = &mut self.rows[i];
            let got = take(r.interest - r.paid_interest, &mut money);
            r.paid_interest += got;
            split.interest += got;
        }
        split.extra = take(extra_interest, &mut money);
        for &i in &current {
            let r = &mut self.rows[i];
            let got = take(r.principal - r.paid_principal, &mut money);
            r.paid_principal += got;
            split.principal += got;
        }
        for &i in overdue.iter().chain(&current) {
            let r = &mut self.rows[i];
            if r.done() && r.paid_on.is_none() {
                r.paid_on = Some(paid_on);
            }
        }
        self.balance -= split.principal;
        (split, money)
    }

    /// Rows still to come after `today`, as planned now: the open period's interest is what
    /// has accrued plus the actual principal to its due date; later periods run on the
    /// scheduled balance (as if everything is paid on each due date from then on).
    fn project(&self) -> Vec<Row> {
        let mut out = Vec::with_capacity(self.plan.len());
        let mut scheduled = self.scheduled;
        let mut on = self.balance;
        let mut accrued = self.accrued;
        let mut prev = self.today;
        for (i, &date) in self.plan.iter().enumerate() {
            accrued += Accrued::over(on, self.terms.rate_bp, prev, date);
            let interest = accrued.rounded();
            let principal = self.rule.principal_part(interest, scheduled, i + 1 == self.plan.len());
            scheduled -= principal;
            out.push(Row::planned(date, principal, interest, scheduled));
            (on, accrued, prev) = (scheduled, Accrued::ZERO, date);
            if scheduled == 0 {
                break;
            }
        }
        out
    }

    fn payment(&mut self, amount: Kopecks) -> Result<(), LoanError> {
        let today = self.today;
        self.post_penalty();
        let (split, left) = self.allocate(amount, today, 0);
        if left > 0 {
            // An advance may not exceed what the plan still asks for: past that it would pay
            // nothing, ever. `left` is the client's number and may be anything up to i64::MAX,
            // so it is compared with what is still free rather than added to the advance:
            // `remaining` and the advance are bounded by the terms, their difference cannot
            // overflow, and neither can the payoff (what this payment spent plus what is free).
            let remaining: Kopecks = self.project().iter().map(|r| r.principal + r.interest).sum();
            let free = remaining - self.advance();
            if left > free {
                return Err(LoanError::MoreThanPayoff { date: today, amount, payoff: amount - left + free });
            }
            self.advances.push_back(Advance { operation: self.operations.len(), date: today, left });
        }
        self.operations.push(op(
            today,
            LoanOperationKind::Payment,
            amount,
            (split.principal, split.interest, split.penalty),
            PAYMENT,
        ));
        Ok(())
    }

    fn early_repayment(&mut self, amount: Kopecks, mode: Recalculation) -> Result<(), LoanError> {
        let today = self.today;
        let accrued = self.accrued.rounded();
        let due: Kopecks = self.rows.iter().map(Row::unpaid).sum::<Kopecks>() + self.penalty_owed();
        let needed = due + accrued;
        let advance = self.advance();
        // Compared without adding `amount`, the client's number, to anything: it may be up to
        // i64::MAX. Once it is known not to exceed the payoff, sums with it are bounded.
        if amount < needed - advance {
            return Err(LoanError::EarlyRepaymentTooSmall { date: today, amount, needed: needed - advance });
        }
        let unpaid_principal: Kopecks = self.rows.iter().map(|r| r.principal - r.paid_principal).sum();
        let payoff = needed + (self.balance - unpaid_principal) - advance;
        if amount > payoff {
            return Err(LoanError::MoreThanPayoff { date: today, amount, payoff });
        }
        if accrued > 0 {
            self.operations.push(op(today, LoanOperationKind::InterestAccrued, accrued, (0, accrued, 0), INTEREST));
        }
        self.post_penalty();
        // The advance is spent first, oldest payment first, and what is left of it repays
        // principal; each part goes to the split of the payment it came from.
        let early = amount + advance - needed;
        let mut extra = accrued;
        let mut early_from_advance = 0;
        for a in std::mem::take(&mut self.advances) {
            let (split, left) = self.allocate(a.left, today, extra);
            extra -= split.extra;
            self.credit(a.operation, split, left);
            early_from_advance += left;
        }
        let (split, _) = self.allocate(amount, today, extra);
        let early_from_amount = early - early_from_advance;
        self.balance -= early;
        self.scheduled -= early;
        self.accrued = Accrued::ZERO;
        // The repayment is a row of its own, paid: the principal it repaid and the interest of
        // the period it closed early. One that only paid what was due adds nothing to show.
        if early > 0 || accrued > 0 {
            self.rows.push(Row {
                date: today,
                principal: early,
                interest: accrued,
                balance_after: self.scheduled,
                paid_principal: early,
                paid_interest: accrued,
                paid_on: Some(today),
            });
        }
        let text = if self.scheduled == 0 {
            self.plan.clear();
            self.closed_on = Some(today);
            EARLY_FULL
        } else {
            let remaining = self.plan.len();
            match mode {
                Recalculation::ShorterTerm => {
                    // Same installment (or principal part); the plan ends where it repays the rest.
                    let count = self.project().len();
                    self.plan.truncate(count);
                    EARLY_SHORTER
                }
                Recalculation::SmallerInstallment => {
                    let n = u32::try_from(remaining).expect("at most 600 installments");
                    self.rule = match self.rule {
                        Rule::Annuity(_) => Rule::Annuity(annuity_payment(self.scheduled, self.terms.rate_bp, n)),
                        Rule::Differentiated(_) => Rule::Differentiated(self.scheduled / Kopecks::from(n)),
                    };
                    EARLY_SMALLER
                }
            }
        };
        self.operations.push(op(
            today,
            LoanOperationKind::EarlyRepayment,
            amount,
            (split.principal + early_from_amount, split.interest + split.extra, split.penalty),
            text,
        ));
        Ok(())
    }

    /// Closed when nothing is owed any more: no principal, every row paid, no penalty.
    fn close_if_settled(&mut self) {
        if self.closed_on.is_none()
            && self.balance == 0
            && self.scheduled == 0
            && self.rows.iter().all(Row::done)
            && self.penalty_owed() == 0
        {
            self.closed_on = Some(self.today);
        }
    }

    fn into_detail(self, as_of: Date) -> LoanDetail {
        let closed = self.closed_on.is_some();
        let mut future = if closed { Vec::new() } else { self.project() };
        // The advance is shown against the next installments as it will be applied: interest,
        // then principal, oldest payment first; a row it completes is paid on that payment's day.
        let mut queue: VecDeque<(Date, Kopecks)> = self.advances.iter().map(|a| (a.date, a.left)).collect();
        for r in &mut future {
            let mut last = None;
            while let Some(src) = queue.front_mut() {
                if r.done() {
                    break;
                }
                let got = src.1.min(r.interest - r.paid_interest);
                r.paid_interest += got;
                src.1 -= got;
                let got = src.1.min(r.principal - r.paid_principal);
                r.paid_principal += got;
                src.1 -= got;
                last = Some(src.0);
                if src.1 == 0 {
                    queue.pop_front();
                }
            }
            if r.done() && last.is_some() {
                r.paid_on = last;
            }
        }
        let advance = self.advance();
        let overdue: Vec<&Row> = self.rows.iter().filter(|r| r.date < as_of && !r.done()).collect();
        let overdue_amount: Kopecks = overdue.iter().map(|r| r.unpaid()).sum();
        let overdue_days = overdue.iter().map(|r| (as_of - r.date).whole_days()).max().unwrap_or(0);
        let unpaid_interest: Kopecks = self.rows.iter().map(|r| r.interest - r.paid_interest).sum();
        let penalty = self.penalty_owed();
        let accrued_interest = if closed { 0 } else { self.accrued.rounded() };
        let payoff_amount =
            if closed { 0 } else { (self.balance + unpaid_interest + penalty + accrued_interest - advance).max(0) };
        let rows: Vec<&Row> = self.rows.iter().chain(&future).collect();
        let next_payment = if closed {
            None
        } else {
            rows.iter()
                .find(|r| r.date >= as_of && !r.done())
                .map(|r| DuePayment { date: r.date.to_string(), amount: r.unpaid() })
        };
        let status = if closed {
            ContractStatus::Closed
        } else if overdue_amount > 0 {
            ContractStatus::Overdue
        } else {
            ContractStatus::Active
        };
        let schedule = rows
            .iter()
            .enumerate()
            .map(|(i, r)| Installment {
                n: u32::try_from(i + 1).expect("a schedule fits in u32"),
                date: r.date.to_string(),
                principal: r.principal,
                interest: r.interest,
                total: r.principal + r.interest,
                balance_after: r.balance_after,
                paid_principal: r.paid_principal,
                paid_interest: r.paid_interest,
                status: if r.done() {
                    InstallmentStatus::Paid
                } else if r.date < as_of {
                    InstallmentStatus::Overdue
                } else if r.paid_principal + r.paid_interest > 0 {
                    InstallmentStatus::PartiallyPaid
                } else {
                    InstallmentStatus::Planned
                },
                paid_on: r.paid_on.map(|d| d.to_string()),
            })
            .collect();
        let t = self.terms;
        LoanDetail {
            as_of: as_of.to_string(),
            summary: LoanSummary {
                id: t.id.clone(),
                number: t.number.clone(),
                date: t.issued_on.to_string(),
                product: t.product.clone(),
                amount: t.amount,
                rate_bp: t.rate_bp,
                term_months: t.term_months,
                repayment: t.repayment,
                penalty_rate_bp: t.penalty_rate_bp,
                status,
                principal_balance: self.balance,
                next_payment,
                overdue_amount,
                overdue_days: u32::try_from(overdue_days).unwrap_or(u32::MAX),
                penalty,
                accrued_interest,
                payoff_amount,
                closed_on: self.closed_on.map(|d| d.to_string()),
            },
            schedule,
            operations: self.operations,
        }
    }
}

/// What the client owes by the operations: debits minus credits. Equals principal + unpaid
/// interest + unpaid penalty − advance; the tests hold the engine to it.
pub fn debt_by_operations(operations: &[LoanOperation]) -> Kopecks {
    operations.iter().map(|o| if o.kind.is_debit() { o.amount } else { -o.amount }).sum()
}
