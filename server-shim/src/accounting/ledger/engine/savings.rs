//! Savings: monthly interest by actual days, capitalised or paid out, top-ups and partial
//! withdrawals, closing at the end date, and early termination with the interest of the whole
//! contract recomputed at the early rate. Replayed from the opening day like loans.

use kabinet_api::cabinet::{
    ContractStatus, InterestPeriod, Kopecks, SavingsDetail, SavingsOperation, SavingsOperationKind, SavingsSummary,
};
use time::Date;

use super::loan::{FIRST_YEAR, LAST_YEAR, MAX_AMOUNT, MAX_RATE_BP, MAX_TERM_MONTHS};
use super::money::Accrued;
use super::{add_months, SavingsError, SavingsEvent, SavingsTerms};

pub(super) const DEPOSIT: &str = "Внесение сбережений";
pub(super) const TOP_UP: &str = "Пополнение";
pub(super) const WITHDRAWAL: &str = "Частичное снятие";
pub(super) const CAPITALISED: &str = "Капитализация процентов";
pub(super) const PAID: &str = "Выплата процентов";
pub(super) const RECALCULATED: &str = "Перерасчёт процентов по ставке досрочного расторжения";
pub(super) const CLOSING_AT_END: &str = "Возврат сбережений по окончании договора";
pub(super) const CLOSING_EARLY: &str = "Возврат сбережений при досрочном расторжении";

/// What any sum of a savings contract may reach: its balance, the interest credited, the
/// early-rate recomputation. A quarter of i64, so the few sums of two of them (the difference
/// the recomputation takes back, added to the balance) cannot overflow either.
const BALANCE_LIMIT: Kopecks = i64::MAX / 4;

/// The most money — first deposit plus all top-ups, withdrawals not subtracted — a contract on
/// these terms can take so that nothing it grows to passes [`BALANCE_LIMIT`].
///
/// Why it holds: withdrawals only lower the balance, and money put in earlier earns at least
/// as much as money put in later, so no balance is ever above what `ceiling` deposited on the
/// first day grows to. A month has at most 31 days and a year at least 365, so a month's
/// interest on a balance b is at most b·ρ + ½ kopeck, ρ = rate·31/365 (the ½ is the rounding);
/// the higher of the contract and the early rate bounds both the replay and the early-rate
/// recomputation. Capitalised, the bound grows b ↦ b(1+ρ)+1 a month, and `ceiling` is that
/// step undone `term` times from [`BALANCE_LIMIT`], rounded down each time. Paid out, the
/// balance stays ≤ b while the interest adds up to at most term·(b·ρ+1).
pub(super) fn ceiling(t: &SavingsTerms) -> Kopecks {
    // ρ = num / den, in integers: rate_bp / 10 000 · 31 / 365.
    let num = i128::from(t.rate_bp.max(t.early_rate_bp)) * 31;
    let den: i128 = 10_000 * 365;
    let n = i128::from(t.term_months);
    let limit = i128::from(BALANCE_LIMIT);
    let c = if t.capitalisation {
        let mut bound = limit;
        for _ in 0..t.term_months {
            // The largest b with b(1+ρ)+1 ≤ bound.
            bound = ((bound - 1) * den).div_euclid(den + num);
            if bound <= 0 {
                return 0;
            }
        }
        bound
    } else {
        // The largest b with b + term·(b·ρ + 1) ≤ limit.
        (limit - n) * den / (den + n * num)
    };
    Kopecks::try_from(c.max(0)).expect("at most BALANCE_LIMIT, an i64")
}

/// Checks the terms and returns their [`ceiling`].
fn validate(t: &SavingsTerms) -> Result<Kopecks, SavingsError> {
    let bad = |why: &str| Err(SavingsError::InvalidTerms(why.to_string()));
    if t.amount <= 0 || t.amount > MAX_AMOUNT {
        return bad("the amount must be positive and at most 100 000 000 000,00");
    }
    if t.term_months == 0 || t.term_months > MAX_TERM_MONTHS {
        return bad("the term must be 1 to 600 months");
    }
    if t.rate_bp > MAX_RATE_BP || t.early_rate_bp > MAX_RATE_BP {
        return bad("rates above 1000 % a year are not accepted");
    }
    if t.min_balance < 0 || t.min_balance > t.amount {
        return bad("the minimum balance must be between zero and the first deposit");
    }
    if !(FIRST_YEAR..=LAST_YEAR).contains(&t.opened_on.year()) {
        return bad("the opening day must fall in the years 1 to 9000");
    }
    let ceiling = ceiling(t);
    if t.amount > ceiling {
        // E.g. 1000 % capitalised for 600 months multiplies money by about 10¹⁶⁰; 36 % for
        // 600 months by 7·10⁷, so from about 330 000 000,00 ₽ the balance would not fit.
        return bad("the deposit at this rate, term and capitalisation would grow beyond what the ledger can count");
    }
    Ok(ceiling)
}

/// The contract part-way through the replay, at the end of `today`.
struct Savings<'a> {
    terms: &'a SavingsTerms,
    /// The monthly dates, the last one the end date.
    dates: Vec<Date>,
    /// Periods credited so far.
    periods: Vec<InterestPeriod>,
    balance: Kopecks,
    /// Interest of the open month so far.
    accrued: Accrued,
    /// Interest capitalised or paid out, net of what a recalculation took back.
    credited: Kopecks,
    /// Top-ups (+) and withdrawals (−) so far, for a recalculation.
    moves: Vec<(Date, Kopecks)>,
    /// The first deposit plus all top-ups so far; never above `ceiling`.
    brought_in: Kopecks,
    /// See [`ceiling`]: what keeps every balance and interest sum inside i64.
    ceiling: Kopecks,
    closed_on: Option<Date>,
    operations: Vec<SavingsOperation>,
    today: Date,
}

fn op(date: Date, kind: SavingsOperationKind, amount: Kopecks, text: &str) -> SavingsOperation {
    SavingsOperation { date: date.to_string(), kind, amount, description: text.to_string() }
}

pub(super) fn detail(
    terms: &SavingsTerms,
    events: &[SavingsEvent],
    as_of: Date,
) -> Result<SavingsDetail, SavingsError> {
    let ceiling = validate(terms)?;
    if as_of < terms.opened_on {
        return Err(SavingsError::BeforeOpening(as_of));
    }
    if events.windows(2).any(|w| w[1].date() < w[0].date()) {
        return Err(SavingsError::Unordered);
    }
    let events: Vec<&SavingsEvent> = events.iter().filter(|e| e.date() <= as_of).collect();
    for e in &events {
        if let SavingsEvent::TopUp { amount, .. } | SavingsEvent::Withdrawal { amount, .. } = e {
            if *amount <= 0 {
                return Err(SavingsError::NonPositiveAmount);
            }
        }
        if e.date() < terms.opened_on {
            return Err(SavingsError::BeforeOpening(e.date()));
        }
    }

    let mut s = Savings::new(terms, ceiling);
    let mut next_event = 0;
    loop {
        while next_event < events.len() && events[next_event].date() == s.today {
            if let Some(closed) = s.closed_on {
                return Err(SavingsError::Closed(closed));
            }
            s.apply(events[next_event])?;
            next_event += 1;
        }
        if s.today >= as_of {
            break;
        }
        if let Some(closed) = s.closed_on {
            if next_event < events.len() {
                return Err(SavingsError::Closed(closed));
            }
            break;
        }
        let mut next = as_of;
        if let Some(&date) = s.dates.get(s.periods.len()) {
            next = next.min(date);
        }
        if let Some(e) = events.get(next_event) {
            next = next.min(e.date());
        }
        s.advance_to(next);
    }
    Ok(s.into_detail(as_of))
}

impl<'a> Savings<'a> {
    fn new(terms: &'a SavingsTerms, ceiling: Kopecks) -> Savings<'a> {
        Savings {
            terms,
            dates: (1..=terms.term_months).map(|k| add_months(terms.opened_on, k as i32)).collect(),
            periods: Vec::new(),
            balance: terms.amount,
            accrued: Accrued::ZERO,
            credited: 0,
            moves: Vec::new(),
            brought_in: terms.amount,
            ceiling,
            closed_on: None,
            operations: vec![op(terms.opened_on, SavingsOperationKind::Deposit, terms.amount, DEPOSIT)],
            today: terms.opened_on,
        }
    }

    /// Interest for the days after `today` up to `day` on the balance at the start of each;
    /// on a monthly date the month's interest is credited, and on the end date the contract closes.
    fn advance_to(&mut self, day: Date) {
        self.accrued += Accrued::over(self.balance, self.terms.rate_bp, self.today, day);
        self.today = day;
        if self.dates.get(self.periods.len()) != Some(&day) {
            return;
        }
        let interest = self.accrued.rounded();
        self.accrued = Accrued::ZERO;
        let n = u32::try_from(self.periods.len() + 1).expect("at most 600 periods");
        self.periods.push(InterestPeriod { n, date: day.to_string(), balance: self.balance, interest, done: true });
        self.credited += interest;
        if self.terms.capitalisation {
            self.balance += interest;
            self.operations.push(op(day, SavingsOperationKind::InterestCapitalised, interest, CAPITALISED));
        } else {
            self.operations.push(op(day, SavingsOperationKind::InterestPaid, interest, PAID));
        }
        if self.periods.len() == self.dates.len() {
            self.operations.push(op(day, SavingsOperationKind::Closing, -self.balance, CLOSING_AT_END));
            self.balance = 0;
            self.closed_on = Some(day);
        }
    }

    fn apply(&mut self, event: &SavingsEvent) -> Result<(), SavingsError> {
        let t = self.terms;
        let today = self.today;
        match *event {
            SavingsEvent::TopUp { amount, .. } => {
                if !t.top_up_allowed {
                    return Err(SavingsError::TopUpNotAllowed);
                }
                // The one sum the client can grow without limit; checked, since `amount` may
                // be anything up to i64::MAX. Within the ceiling, every other sum is bounded.
                self.brought_in = match self.brought_in.checked_add(amount) {
                    Some(total) if total <= self.ceiling => total,
                    _ => return Err(SavingsError::AboveCeiling { ceiling: self.ceiling }),
                };
                self.balance += amount;
                self.moves.push((today, amount));
                self.operations.push(op(today, SavingsOperationKind::TopUp, amount, TOP_UP));
            }
            SavingsEvent::Withdrawal { amount, .. } => {
                if !t.partial_withdrawal_allowed {
                    return Err(SavingsError::WithdrawalNotAllowed);
                }
                let left = self.balance - amount;
                if left < t.min_balance {
                    return Err(SavingsError::BelowMinimum { left, min: t.min_balance });
                }
                self.balance = left;
                self.moves.push((today, -amount));
                self.operations.push(op(today, SavingsOperationKind::Withdrawal, -amount, WITHDRAWAL));
            }
            SavingsEvent::EarlyTermination { .. } => {
                let recomputed = interest_at(t, t.early_rate_bp, &self.moves, today);
                // Never take back more than is on the contract.
                let diff = (recomputed - self.credited).max(-self.balance);
                if diff != 0 {
                    self.operations.push(op(today, SavingsOperationKind::InterestRecalculated, diff, RECALCULATED));
                }
                self.credited += diff;
                self.balance += diff;
                self.operations.push(op(today, SavingsOperationKind::Closing, -self.balance, CLOSING_EARLY));
                self.balance = 0;
                self.accrued = Accrued::ZERO;
                self.closed_on = Some(today);
            }
        }
        Ok(())
    }

    fn into_detail(mut self, as_of: Date) -> SavingsDetail {
        let open = self.closed_on.is_none();
        if open {
            // The months to come, on today's balance (growing by the projected interest when
            // it is capitalised); the open month includes what has accrued so far.
            let (mut balance, mut accrued, mut prev) = (self.balance, self.accrued, as_of);
            for (i, &date) in self.dates.iter().enumerate().skip(self.periods.len()) {
                accrued += Accrued::over(balance, self.terms.rate_bp, prev, date);
                let interest = accrued.rounded();
                let n = u32::try_from(i + 1).expect("at most 600 periods");
                self.periods.push(InterestPeriod { n, date: date.to_string(), balance, interest, done: false });
                if self.terms.capitalisation {
                    balance += interest;
                }
                (accrued, prev) = (Accrued::ZERO, date);
            }
        }
        let t = self.terms;
        let end_date = *self.dates.last().expect("a term of at least a month");
        SavingsDetail {
            as_of: as_of.to_string(),
            summary: SavingsSummary {
                id: t.id.clone(),
                number: t.number.clone(),
                date: t.opened_on.to_string(),
                product: t.product.clone(),
                amount: t.amount,
                balance: self.balance,
                rate_bp: t.rate_bp,
                term_months: t.term_months,
                end_date: end_date.to_string(),
                capitalisation: t.capitalisation,
                top_up_allowed: t.top_up_allowed,
                partial_withdrawal_allowed: t.partial_withdrawal_allowed,
                min_balance: t.min_balance,
                early_rate_bp: t.early_rate_bp,
                accrued_interest: if open { self.accrued.rounded() } else { 0 },
                paid_interest: self.credited,
                status: if open { ContractStatus::Active } else { ContractStatus::Closed },
                closed_on: self.closed_on.map(|d| d.to_string()),
            },
            schedule: self.periods,
            operations: self.operations,
        }
    }
}

/// All interest from the opening day to `until` at `rate_bp`: complete months rounded and
/// credited as the product does (capitalised or not), the open month to the day. The same
/// top-ups and withdrawals on the same days; the balance it runs on never counts below zero.
fn interest_at(t: &SavingsTerms, rate_bp: u32, moves: &[(Date, Kopecks)], until: Date) -> Kopecks {
    let dates: Vec<Date> = (1..=t.term_months).map(|k| add_months(t.opened_on, k as i32)).collect();
    let (mut balance, mut accrued, mut total, mut today) = (t.amount, Accrued::ZERO, 0, t.opened_on);
    let (mut next_date, mut next_move) = (0, 0);
    while next_move < moves.len() && moves[next_move].0 == today {
        balance += moves[next_move].1;
        next_move += 1;
    }
    while today < until {
        let mut next = until;
        if let Some(&d) = dates.get(next_date) {
            next = next.min(d);
        }
        if let Some(&(d, _)) = moves.get(next_move) {
            next = next.min(d);
        }
        accrued += Accrued::over(balance.max(0), rate_bp, today, next);
        today = next;
        if dates.get(next_date) == Some(&today) {
            let interest = accrued.rounded();
            accrued = Accrued::ZERO;
            total += interest;
            if t.capitalisation {
                balance += interest;
            }
            next_date += 1;
        }
        while next_move < moves.len() && moves[next_move].0 == today {
            balance += moves[next_move].1;
            next_move += 1;
        }
    }
    total + accrued.rounded()
}

/// What the organisation owes the client by the operations: every amount except interest paid
/// out (that money already left). Equals the balance; the tests hold the engine to it.
pub fn balance_by_operations(operations: &[SavingsOperation]) -> Kopecks {
    operations.iter().filter(|o| o.kind != SavingsOperationKind::InterestPaid).map(|o| o.amount).sum()
}
