//! The built-in ledger's arithmetic: pure functions from a contract's terms and its posted
//! events to its schedule, operations and figures on a day. No I/O; the storage around it
//! (`super`) loads terms and events and calls these.
//!
//! The state of a contract is never stored, only derived: terms + events + the day asked
//! about always give the same answer, so a reconciliation act for any past period is exact.

use kabinet_api::cabinet::{Kopecks, LoanDetail, RepaymentKind, SavingsDetail};
use time::Date;

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
}

/// The loan as it stands on `as_of`, with its schedule (planned and paid) and operations.
/// Events after `as_of` are ignored.
pub fn loan_detail(terms: &LoanTerms, events: &[LoanEvent], as_of: Date) -> Result<LoanDetail, LoanError> {
    let _ = (terms, events, as_of);
    todo!("ledger engine: loans")
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
}

/// The savings contract as it stands on `as_of`, with its interest schedule and operations.
pub fn savings_detail(terms: &SavingsTerms, events: &[SavingsEvent], as_of: Date) -> Result<SavingsDetail, SavingsError> {
    let _ = (terms, events, as_of);
    todo!("ledger engine: savings")
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
