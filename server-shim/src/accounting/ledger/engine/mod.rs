//! The built-in ledger's arithmetic: pure functions from a contract's terms and its posted
//! events to its schedule, operations and figures on a day. No I/O; the storage around it
//! (`super`) loads terms and events and calls these.
//!
//! The state of a contract is never stored, only derived: terms + events + the day asked
//! about always give the same answer, so a reconciliation act for any past period is exact.
//!
//! The rules, in short (docs/ledger.md has them in full, for the accountant):
//!
//! - Money is integer kopecks; rates are basis points a year. No floating point anywhere.
//! - Interest and penalty accrue day by day, actual/actual: a day of a leap year is 1/366 of
//!   the yearly rate, any other day 1/365. A period (d₀, d₁] counts the days after d₀ up to
//!   and including d₁ (the day of issue is free, the day of repayment is charged), each on
//!   what was owed at the start of that day. Sums stay exact ([`money::Accrued`]) and are
//!   rounded half up to a kopeck once, when the period closes; the remainder is dropped.
//! - Due dates are the issue day + k months ([`add_months`]). Annuity: A = P·i/(1−(1+i)⁻ⁿ),
//!   i = rate/12, exact and rounded half up; principal = A − interest. Differentiated:
//!   principal = P/n rounded down. The last installment takes the remaining principal.
//! - A payment is spent in the legal order (353-ФЗ ст. 5 ч. 20): overdue interest, overdue
//!   principal, penalty, current interest, current principal; the rest waits as an advance
//!   and is spent, in the same order, on the next due date.
//! - An early repayment pays everything due, the penalty and the interest accrued to its day
//!   (the period closes early), then principal; the schedule is rebuilt from there, keeping
//!   the installment (shorter term) or the number of installments (smaller installment).
//! - Savings: monthly interest on the balance, capitalised or paid out; early termination
//!   recomputes all interest at the early rate and takes the difference back.

use kabinet_api::cabinet::{Kopecks, LoanDetail, RepaymentKind, SavingsDetail};
use time::Date;

mod loan;
pub mod money;
mod savings;

#[cfg(test)]
mod loan_tests;
#[cfg(test)]
mod savings_tests;

pub use loan::{debt_by_operations, FIRST_YEAR, LAST_YEAR, MAX_AMOUNT, MAX_HORIZON_MONTHS, MAX_RATE_BP, MAX_TERM_MONTHS};
pub use money::annuity_payment;
pub use savings::balance_by_operations;

/// A loan contract as signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoanTerms {
    pub id: String,
    pub number: String,
    pub product: String,
    /// Day the money was issued; installments fall on the same day of later months.
    pub issued_on: Date,
    pub amount: Kopecks,
    /// Basis points per year: 2500 = 25.00 %.
    pub rate_bp: u32,
    pub term_months: u32,
    pub repayment: RepaymentKind,
    /// Penalty on overdue amounts, basis points per year.
    pub penalty_rate_bp: u32,
}

/// How the schedule is recalculated after an early partial repayment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recalculation {
    /// Same installment, fewer of them.
    ShorterTerm,
    /// Same number of installments, each smaller.
    SmallerInstallment,
}

/// Something posted to a loan after it was issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoanEvent {
    /// Money from the client, allocated in the legal order; what exceeds what is due waits as
    /// an advance for the next installment.
    Payment { date: Date, amount: Kopecks },
    /// Money from the client to repay ahead of schedule (after a notice): covers what is due
    /// and the interest accrued to the day, the rest repays principal; all of it closes the loan.
    EarlyRepayment { date: Date, amount: Kopecks, mode: Recalculation },
}

impl LoanEvent {
    pub fn date(&self) -> Date {
        match self {
            LoanEvent::Payment { date, .. } | LoanEvent::EarlyRepayment { date, .. } => *date,
        }
    }
}

/// Why an event cannot be posted to a loan.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoanError {
    #[error("the terms are not valid: {0}")]
    InvalidTerms(String),
    #[error("{0} is before the loan was issued")]
    BeforeIssue(Date),
    #[error("the loan was already closed on {0}")]
    Closed(Date),
    #[error("amount must be positive")]
    NonPositiveAmount,
    #[error("an early repayment of {amount} does not cover the {needed} due and accrued on {date}")]
    EarlyRepaymentTooSmall { date: Date, amount: Kopecks, needed: Kopecks },
    #[error("{amount} is more than the {payoff} that closes the loan on {date}")]
    MoreThanPayoff { date: Date, amount: Kopecks, payoff: Kopecks },
    #[error("events are not in date order")]
    Unordered,
    /// The day asked about is more than [`MAX_HORIZON_MONTHS`] after the issue: penalty that
    /// has run so long could outgrow the ledger's numbers.
    #[error("{0} is more than 100 years after the loan was issued")]
    BeyondHorizon(Date),
}

/// The loan as it stands on `as_of`, with its schedule (planned and paid) and operations.
/// Events after `as_of` are ignored (their order is still checked).
///
/// Refuses, rather than guesses, whatever the rules do not allow: events out of date order,
/// before the issue day or after the loan closed, amounts that are not positive, an early
/// repayment that does not cover what is due and accrued or that exceeds the payoff, and a
/// payment beyond everything the plan still asks for; and a day more than 100 years after the
/// issue, where penalty could outgrow i64 ([`MAX_HORIZON_MONTHS`]). The ledger posts an event only when
/// this accepts the events with it, on its day.
pub fn loan_detail(terms: &LoanTerms, events: &[LoanEvent], as_of: Date) -> Result<LoanDetail, LoanError> {
    loan::detail(terms, events, as_of)
}

/// A savings contract as signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavingsTerms {
    pub id: String,
    pub number: String,
    pub product: String,
    pub opened_on: Date,
    pub amount: Kopecks,
    pub rate_bp: u32,
    pub term_months: u32,
    /// Monthly interest added to the balance (true) or paid out (false).
    pub capitalisation: bool,
    pub top_up_allowed: bool,
    pub partial_withdrawal_allowed: bool,
    pub min_balance: Kopecks,
    /// Rate for the whole term when the client ends the contract early.
    pub early_rate_bp: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SavingsEvent {
    TopUp { date: Date, amount: Kopecks },
    Withdrawal { date: Date, amount: Kopecks },
    /// The client ends the contract before its end date.
    EarlyTermination { date: Date },
}

impl SavingsEvent {
    pub fn date(&self) -> Date {
        match self {
            SavingsEvent::TopUp { date, .. }
            | SavingsEvent::Withdrawal { date, .. }
            | SavingsEvent::EarlyTermination { date } => *date,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SavingsError {
    #[error("the terms are not valid: {0}")]
    InvalidTerms(String),
    #[error("{0} is before the contract was opened")]
    BeforeOpening(Date),
    #[error("the contract was already closed on {0}")]
    Closed(Date),
    #[error("amount must be positive")]
    NonPositiveAmount,
    #[error("this product does not allow top-ups")]
    TopUpNotAllowed,
    #[error("this product does not allow partial withdrawals")]
    WithdrawalNotAllowed,
    #[error("the withdrawal would leave {left}, less than the minimum balance {min}")]
    BelowMinimum { left: Kopecks, min: Kopecks },
    #[error("events are not in date order")]
    Unordered,
    /// A top-up would bring the deposit plus all top-ups above what the contract's rate and
    /// term can grow without passing the ledger's limit of i64::MAX / 4 kopecks.
    #[error("the deposit and top-ups may total at most {ceiling} on this contract")]
    AboveCeiling { ceiling: Kopecks },
}

/// The savings contract as it stands on `as_of`, with its interest schedule and operations.
/// Events after `as_of` are ignored (their order is still checked); an event the product does
/// not allow, one after the contract closed, or a top-up past the contract's ceiling (what
/// keeps its capitalised growth inside i64; docs/ledger.md, limits) is refused.
pub fn savings_detail(terms: &SavingsTerms, events: &[SavingsEvent], as_of: Date) -> Result<SavingsDetail, SavingsError> {
    savings::detail(terms, events, as_of)
}

/// The same day `months` later (or earlier), moved back to the month's last day when that
/// month is shorter: 31 Jan + 1 month = 28/29 Feb. Installment dates are always counted from
/// the issue day, not from the previous installment, so 31 Jan → 29 Feb → 31 Mar.
pub fn add_months(d: Date, months: i32) -> Date {
    let total = d.year() * 12 + (d.month() as i32 - 1) + months;
    let (year, month0) = (total.div_euclid(12), total.rem_euclid(12));
    let month = time::Month::try_from(month0 as u8 + 1).expect("month in 1..=12");
    let last = time::util::days_in_month(month, year);
    Date::from_calendar_date(year, month, d.day().min(last)).expect("a valid calendar day")
}

#[cfg(test)]
mod calendar_tests {
    use super::add_months;
    use time::macros::date;

    #[test]
    fn months_clamp_to_month_end_and_count_from_the_start() {
        assert_eq!(add_months(date!(2024 - 01 - 31), 1), date!(2024 - 02 - 29));
        assert_eq!(add_months(date!(2025 - 01 - 31), 1), date!(2025 - 02 - 28));
        assert_eq!(add_months(date!(2024 - 01 - 31), 2), date!(2024 - 03 - 31));
        assert_eq!(add_months(date!(2026 - 11 - 15), 2), date!(2027 - 01 - 15));
        assert_eq!(add_months(date!(2026 - 03 - 15), -5), date!(2025 - 10 - 15));
    }
}
