//! Loan engine tests: schedules, operations and figures against the reference tables printed by
//! tests/reference/ledger_reference.py (an independent day-by-day implementation with exact
//! fractions), written here as literal kopecks; every refusal; the debits − credits invariant.
//!
//! Each table test names the command that printed its table; the printed tables are kept in
//! tests/reference/<case>.txt, so a change of rule shows up as a diff there and here.

// Amounts are written rubles_kopecks (28_498_70 = 28 498,70 ₽), as the reference prints them.
// Kopecks like _32 or _64 are not type suffixes.
#![allow(clippy::inconsistent_digit_grouping, clippy::mistyped_literal_suffixes)]

use kabinet_api::cabinet::InstallmentStatus::{self, Overdue, Paid, PartiallyPaid, Planned};
use kabinet_api::cabinet::LoanOperationKind::{self, EarlyRepayment, InterestAccrued, Issue, Payment, PenaltyAccrued};
use kabinet_api::cabinet::{ContractStatus, Kopecks, LoanDetail, RepaymentKind};
use time::macros::date;
use time::{Date, Duration};

use super::money::days_by_year;
use super::{add_months, annuity_payment, debt_by_operations, loan_detail, LoanError, LoanEvent, LoanTerms, Recalculation};

type Row = (u32, &'static str, Kopecks, Kopecks, Kopecks, Kopecks, Kopecks, Kopecks, InstallmentStatus, Option<&'static str>);
type Op = (&'static str, LoanOperationKind, Kopecks, Kopecks, Kopecks, Kopecks, &'static str);

/// The summary figures a reference table ends with, and the debt they add up to.
struct Figures {
    principal_balance: Kopecks,
    overdue_amount: Kopecks,
    overdue_days: u32,
    penalty: Kopecks,
    accrued_interest: Kopecks,
    payoff_amount: Kopecks,
    next_payment: Option<(&'static str, Kopecks)>,
    status: ContractStatus,
    closed_on: Option<&'static str>,
    debt: Kopecks,
}

fn terms(issued_on: Date, amount: Kopecks, rate_bp: u32, repayment: RepaymentKind) -> LoanTerms {
    LoanTerms {
        id: "L-1".into(),
        number: "З-2026/0001".into(),
        product: "Потребительский".into(),
        issued_on,
        amount,
        rate_bp,
        term_months: 12,
        repayment,
        penalty_rate_bp: 2000,
    }
}

/// ANNUITY in the reference: 300 000,00 at 24,90 % for 12 months, penalty 20 %.
fn annuity() -> LoanTerms {
    terms(date!(2026 - 01 - 20), 300_000_00, 2490, RepaymentKind::Annuity)
}

/// DIFFERENTIATED: 150 000,00 at 19,90 % for 12 months from 31 January (month ends clamp).
fn differentiated() -> LoanTerms {
    terms(date!(2026 - 01 - 31), 150_000_00, 1990, RepaymentKind::Differentiated)
}

/// LEAP: 200 000,00 at 24,90 % for 12 months from 15 November 2027, across 2028.
fn leap() -> LoanTerms {
    terms(date!(2027 - 11 - 15), 200_000_00, 2490, RepaymentKind::Annuity)
}

fn day(s: &str) -> Date {
    Date::parse(s, &time::format_description::well_known::Iso8601::DATE).expect("an ISO date")
}

/// The first `count` installments paid in full on their dates, as the demo seed pays them.
fn on_time(terms: &LoanTerms, count: usize) -> Vec<LoanEvent> {
    let plan = loan_detail(terms, &[], terms.issued_on).expect("a plan");
    plan.schedule.iter().take(count).map(|i| LoanEvent::Payment { date: day(&i.date), amount: i.total }).collect()
}

fn with(mut events: Vec<LoanEvent>, more: LoanEvent) -> Vec<LoanEvent> {
    events.push(more);
    events
}

fn assert_schedule(d: &LoanDetail, terms: &LoanTerms, expected: &[Row]) {
    assert_eq!(d.schedule.len(), expected.len(), "rows of the schedule as of {}", d.as_of);
    for (i, e) in d.schedule.iter().zip(expected) {
        let row = (
            i.n,
            i.date.as_str(),
            i.principal,
            i.interest,
            i.total,
            i.balance_after,
            i.paid_principal,
            i.paid_interest,
            i.status,
            i.paid_on.as_deref(),
        );
        assert_eq!(row, *e, "installment {} as of {}", e.0, d.as_of);
    }
    let principal: Kopecks = d.schedule.iter().map(|i| i.principal).sum();
    assert_eq!(principal, terms.amount, "the principal parts add up to the loan");
}

fn next(d: &LoanDetail) -> Option<(&str, Kopecks)> {
    d.summary.next_payment.as_ref().map(|p| (p.date.as_str(), p.amount))
}

fn assert_operations(d: &LoanDetail, expected: &[Op]) {
    assert_eq!(d.operations.len(), expected.len(), "operations as of {}", d.as_of);
    for (o, e) in d.operations.iter().zip(expected) {
        let got = (o.date.as_str(), o.kind, o.amount, o.principal, o.interest, o.penalty, o.description.as_str());
        assert_eq!(got, *e);
    }
}

fn assert_figures(d: &LoanDetail, f: &Figures) {
    let s = &d.summary;
    assert_eq!(s.principal_balance, f.principal_balance, "principal_balance");
    assert_eq!(s.overdue_amount, f.overdue_amount, "overdue_amount");
    assert_eq!(s.overdue_days, f.overdue_days, "overdue_days");
    assert_eq!(s.penalty, f.penalty, "penalty");
    assert_eq!(s.accrued_interest, f.accrued_interest, "accrued_interest");
    assert_eq!(s.payoff_amount, f.payoff_amount, "payoff_amount");
    assert_eq!(next(d), f.next_payment, "next_payment");
    assert_eq!(s.status, f.status, "status");
    assert_eq!(s.closed_on.as_deref(), f.closed_on, "closed_on");
    assert_eq!(assert_debt_invariant(d), f.debt, "debt");
}

/// Debits minus credits of the operations equal what the client owes as of the day:
/// principal + interest due and unpaid + penalty unpaid − advance. The advance is what the
/// schedule shows paid on rows not yet due. Returns the debt.
fn assert_debt_invariant(d: &LoanDetail) -> Kopecks {
    let s = &d.summary;
    let unpaid_interest: Kopecks =
        d.schedule.iter().filter(|i| i.date <= d.as_of).map(|i| i.interest - i.paid_interest).sum();
    let advance: Kopecks =
        d.schedule.iter().filter(|i| i.date > d.as_of).map(|i| i.paid_principal + i.paid_interest).sum();
    let debt = s.principal_balance + unpaid_interest + s.penalty - advance;
    assert_eq!(debt_by_operations(&d.operations), debt, "debits − credits as of {}", d.as_of);
    let debits: Kopecks = d.operations.iter().filter(|o| o.kind.is_debit()).map(|o| o.amount).sum();
    assert!(debits >= debt);
    for o in &d.operations {
        assert!(o.amount > 0, "operation amounts are positive: {o:?}");
        if !o.kind.is_debit() {
            let split = o.principal + o.interest + o.penalty;
            assert!(split <= o.amount, "a credit's split is within it: {o:?}");
            if s.status == ContractStatus::Closed {
                assert_eq!(split, o.amount, "a closed loan has spent every payment: {o:?}");
            }
        }
    }
    // The splits account for every kopeck paid: principal repaid, interest and penalty paid.
    let sum = |kinds: &[LoanOperationKind], part: fn(&kabinet_api::cabinet::LoanOperation) -> Kopecks| -> Kopecks {
        d.operations.iter().filter(|o| kinds.contains(&o.kind)).map(part).sum()
    };
    let credits = [Payment, EarlyRepayment];
    assert_eq!(sum(&credits, |o| o.principal), s.amount - s.principal_balance, "principal repaid");
    assert_eq!(sum(&credits, |o| o.interest), sum(&[InterestAccrued], |o| o.amount) - unpaid_interest, "interest paid");
    assert_eq!(sum(&credits, |o| o.penalty), sum(&[PenaltyAccrued], |o| o.amount) - s.penalty, "penalty paid");
    debt
}

// ------------------------------------------------------------------ reference tables

/// Table: `python3 tests/reference/ledger_reference.py annuity`, section 1 (tests/reference/annuity.txt).
#[test]
fn annuity_plan_matches_the_reference_table() {
    let t = annuity();
    assert_eq!(annuity_payment(t.amount, t.rate_bp, t.term_months), 28_498_70);
    let d = loan_detail(&t, &[], t.issued_on).unwrap();
    // reference: loan_run(ANNUITY, [], issue); as of 2026-01-20
    assert_schedule(&d, &t, &[
        (1, "2026-02-20", 22_154_32, 6_344_38, 28_498_70, 277_845_68, 0, 0, Planned, None),
        (2, "2026-03-20", 23_191_47, 5_307_23, 28_498_70, 254_654_21, 0, 0, Planned, None),
        (3, "2026-04-20", 23_113_29, 5_385_41, 28_498_70, 231_540_92, 0, 0, Planned, None),
        (4, "2026-05-20", 23_760_04, 4_738_66, 28_498_70, 207_780_88, 0, 0, Planned, None),
        (5, "2026-06-20", 24_104_56, 4_394_14, 28_498_70, 183_676_32, 0, 0, Planned, None),
        (6, "2026-07-20", 24_739_63, 3_759_07, 28_498_70, 158_936_69, 0, 0, Planned, None),
        (7, "2026-08-20", 25_137_52, 3_361_18, 28_498_70, 133_799_17, 0, 0, Planned, None),
        (8, "2026-09-20", 25_669_12, 2_829_58, 28_498_70, 108_130_05, 0, 0, Planned, None),
        (9, "2026-10-20", 26_285_74, 2_212_96, 28_498_70, 81_844_31, 0, 0, Planned, None),
        (10, "2026-11-20", 26_767_86, 1_730_84, 28_498_70, 55_076_45, 0, 0, Planned, None),
        (11, "2026-12-20", 27_371_52, 1_127_18, 28_498_70, 27_704_93, 0, 0, Planned, None),
        (12, "2027-01-20", 27_704_93, 585_90, 28_290_83, 0, 0, 0, Planned, None),
    ]);
    assert_operations(&d, &[
        ("2026-01-20", Issue, 300_000_00, 300_000_00, 0, 0, "Выдача займа"),
    ]);
    assert_figures(&d, &Figures {
        principal_balance: 300_000_00,
        overdue_amount: 0,
        overdue_days: 0,
        penalty: 0,
        accrued_interest: 0,
        payoff_amount: 300_000_00,
        next_payment: Some(("2026-02-20", 28_498_70)),
        status: ContractStatus::Active,
        closed_on: None,
        debt: 300_000_00,
    });
    // Sums agree to the kopeck: interest 41 776,53, total 341 776,53.
    assert_eq!(d.schedule.iter().map(|i| i.interest).sum::<Kopecks>(), 41_776_53);
    assert_eq!(d.schedule.iter().map(|i| i.total).sum::<Kopecks>(), 341_776_53);
}

/// Table: `python3 tests/reference/ledger_reference.py annuity`, section 2.
#[test]
fn annuity_paid_on_time_closes_on_its_last_date() {
    let t = annuity();
    let events = on_time(&t, 12);
    let d = loan_detail(&t, &events, date!(2027 - 01 - 20)).unwrap();
    // reference: loan_run(ANNUITY, on_time(12), last date); as of 2027-01-20
    assert_schedule(&d, &t, &[
        (1, "2026-02-20", 22_154_32, 6_344_38, 28_498_70, 277_845_68, 22_154_32, 6_344_38, Paid, Some("2026-02-20")),
        (2, "2026-03-20", 23_191_47, 5_307_23, 28_498_70, 254_654_21, 23_191_47, 5_307_23, Paid, Some("2026-03-20")),
        (3, "2026-04-20", 23_113_29, 5_385_41, 28_498_70, 231_540_92, 23_113_29, 5_385_41, Paid, Some("2026-04-20")),
        (4, "2026-05-20", 23_760_04, 4_738_66, 28_498_70, 207_780_88, 23_760_04, 4_738_66, Paid, Some("2026-05-20")),
        (5, "2026-06-20", 24_104_56, 4_394_14, 28_498_70, 183_676_32, 24_104_56, 4_394_14, Paid, Some("2026-06-20")),
        (6, "2026-07-20", 24_739_63, 3_759_07, 28_498_70, 158_936_69, 24_739_63, 3_759_07, Paid, Some("2026-07-20")),
        (7, "2026-08-20", 25_137_52, 3_361_18, 28_498_70, 133_799_17, 25_137_52, 3_361_18, Paid, Some("2026-08-20")),
        (8, "2026-09-20", 25_669_12, 2_829_58, 28_498_70, 108_130_05, 25_669_12, 2_829_58, Paid, Some("2026-09-20")),
        (9, "2026-10-20", 26_285_74, 2_212_96, 28_498_70, 81_844_31, 26_285_74, 2_212_96, Paid, Some("2026-10-20")),
        (10, "2026-11-20", 26_767_86, 1_730_84, 28_498_70, 55_076_45, 26_767_86, 1_730_84, Paid, Some("2026-11-20")),
        (11, "2026-12-20", 27_371_52, 1_127_18, 28_498_70, 27_704_93, 27_371_52, 1_127_18, Paid, Some("2026-12-20")),
        (12, "2027-01-20", 27_704_93, 585_90, 28_290_83, 0, 27_704_93, 585_90, Paid, Some("2027-01-20")),
    ]);
    assert_operations(&d, &[
        ("2026-01-20", Issue, 300_000_00, 300_000_00, 0, 0, "Выдача займа"),
        ("2026-02-20", InterestAccrued, 6_344_38, 0, 6_344_38, 0, "Начислены проценты за период"),
        ("2026-02-20", Payment, 28_498_70, 22_154_32, 6_344_38, 0, "Погашение по графику"),
        ("2026-03-20", InterestAccrued, 5_307_23, 0, 5_307_23, 0, "Начислены проценты за период"),
        ("2026-03-20", Payment, 28_498_70, 23_191_47, 5_307_23, 0, "Погашение по графику"),
        ("2026-04-20", InterestAccrued, 5_385_41, 0, 5_385_41, 0, "Начислены проценты за период"),
        ("2026-04-20", Payment, 28_498_70, 23_113_29, 5_385_41, 0, "Погашение по графику"),
        ("2026-05-20", InterestAccrued, 4_738_66, 0, 4_738_66, 0, "Начислены проценты за период"),
        ("2026-05-20", Payment, 28_498_70, 23_760_04, 4_738_66, 0, "Погашение по графику"),
        ("2026-06-20", InterestAccrued, 4_394_14, 0, 4_394_14, 0, "Начислены проценты за период"),
        ("2026-06-20", Payment, 28_498_70, 24_104_56, 4_394_14, 0, "Погашение по графику"),
        ("2026-07-20", InterestAccrued, 3_759_07, 0, 3_759_07, 0, "Начислены проценты за период"),
        ("2026-07-20", Payment, 28_498_70, 24_739_63, 3_759_07, 0, "Погашение по графику"),
        ("2026-08-20", InterestAccrued, 3_361_18, 0, 3_361_18, 0, "Начислены проценты за период"),
        ("2026-08-20", Payment, 28_498_70, 25_137_52, 3_361_18, 0, "Погашение по графику"),
        ("2026-09-20", InterestAccrued, 2_829_58, 0, 2_829_58, 0, "Начислены проценты за период"),
        ("2026-09-20", Payment, 28_498_70, 25_669_12, 2_829_58, 0, "Погашение по графику"),
        ("2026-10-20", InterestAccrued, 2_212_96, 0, 2_212_96, 0, "Начислены проценты за период"),
        ("2026-10-20", Payment, 28_498_70, 26_285_74, 2_212_96, 0, "Погашение по графику"),
        ("2026-11-20", InterestAccrued, 1_730_84, 0, 1_730_84, 0, "Начислены проценты за период"),
        ("2026-11-20", Payment, 28_498_70, 26_767_86, 1_730_84, 0, "Погашение по графику"),
        ("2026-12-20", InterestAccrued, 1_127_18, 0, 1_127_18, 0, "Начислены проценты за период"),
        ("2026-12-20", Payment, 28_498_70, 27_371_52, 1_127_18, 0, "Погашение по графику"),
        ("2027-01-20", InterestAccrued, 585_90, 0, 585_90, 0, "Начислены проценты за период"),
        ("2027-01-20", Payment, 28_290_83, 27_704_93, 585_90, 0, "Погашение по графику"),
    ]);
    assert_figures(&d, &Figures {
        principal_balance: 0,
        overdue_amount: 0,
        overdue_days: 0,
        penalty: 0,
        accrued_interest: 0,
        payoff_amount: 0,
        next_payment: None,
        status: ContractStatus::Closed,
        closed_on: Some("2027-01-20"),
        debt: 0,
    });
    // Later days change nothing on a closed loan.
    let later = loan_detail(&t, &events, date!(2027 - 06 - 01)).unwrap();
    assert_eq!((later.schedule, later.operations, later.summary), (d.schedule, d.operations, d.summary));
}

/// Table: `python3 tests/reference/ledger_reference.py differentiated` (tests/reference/differentiated.txt).
#[test]
fn differentiated_plan_matches_the_reference_table() {
    let t = differentiated();
    let d = loan_detail(&t, &[], t.issued_on).unwrap();
    // reference: loan_run(DIFFERENTIATED, [], issue); as of 2026-01-31
    assert_schedule(&d, &t, &[
        (1, "2026-02-28", 12_500_00, 2_289_86, 14_789_86, 137_500_00, 0, 0, Planned, None),
        (2, "2026-03-31", 12_500_00, 2_323_94, 14_823_94, 125_000_00, 0, 0, Planned, None),
        (3, "2026-04-30", 12_500_00, 2_044_52, 14_544_52, 112_500_00, 0, 0, Planned, None),
        (4, "2026-05-31", 12_500_00, 1_901_40, 14_401_40, 100_000_00, 0, 0, Planned, None),
        (5, "2026-06-30", 12_500_00, 1_635_62, 14_135_62, 87_500_00, 0, 0, Planned, None),
        (6, "2026-07-31", 12_500_00, 1_478_87, 13_978_87, 75_000_00, 0, 0, Planned, None),
        (7, "2026-08-31", 12_500_00, 1_267_60, 13_767_60, 62_500_00, 0, 0, Planned, None),
        (8, "2026-09-30", 12_500_00, 1_022_26, 13_522_26, 50_000_00, 0, 0, Planned, None),
        (9, "2026-10-31", 12_500_00, 845_07, 13_345_07, 37_500_00, 0, 0, Planned, None),
        (10, "2026-11-30", 12_500_00, 613_36, 13_113_36, 25_000_00, 0, 0, Planned, None),
        (11, "2026-12-31", 12_500_00, 422_53, 12_922_53, 12_500_00, 0, 0, Planned, None),
        (12, "2027-01-31", 12_500_00, 211_27, 12_711_27, 0, 0, 0, Planned, None),
    ]);
    assert_operations(&d, &[
        ("2026-01-31", Issue, 150_000_00, 150_000_00, 0, 0, "Выдача займа"),
    ]);
    assert_figures(&d, &Figures {
        principal_balance: 150_000_00,
        overdue_amount: 0,
        overdue_days: 0,
        penalty: 0,
        accrued_interest: 0,
        payoff_amount: 150_000_00,
        next_payment: Some(("2026-02-28", 14_789_86)),
        status: ContractStatus::Active,
        closed_on: None,
        debt: 150_000_00,
    });
    assert_eq!(d.schedule.iter().map(|i| i.interest).sum::<Kopecks>(), 16_056_30);
    // Paid as planned, it closes on 31 January 2027 with nothing left.
    let done = loan_detail(&t, &on_time(&t, 12), date!(2027 - 01 - 31)).unwrap();
    assert_eq!(done.summary.status, ContractStatus::Closed);
    assert_eq!(assert_debt_invariant(&done), 0);
}

/// Table: `python3 tests/reference/ledger_reference.py leap_year` (tests/reference/leap_year.txt):
/// the days of each period by year, then the plan.
#[test]
fn a_loan_across_a_leap_year_splits_its_days_and_counts_29_february() {
    // 15 Dec 2027 → 15 Jan 2028: 16 days at 1/365, 15 days at 1/366; February 2028 has 29 days.
    assert_eq!(days_by_year(date!(2027 - 12 - 15), date!(2028 - 01 - 15)), vec![(2027, 16), (2028, 15)]);
    assert_eq!(days_by_year(date!(2028 - 02 - 15), date!(2028 - 03 - 15)), vec![(2028, 29)]);
    let t = leap();
    assert_eq!(annuity_payment(t.amount, t.rate_bp, t.term_months), 18_999_14);
    let d = loan_detail(&t, &[], t.issued_on).unwrap();
    // reference: loan_run(LEAP, [], issue); as of 2027-11-15
    assert_schedule(&d, &t, &[
        (1, "2027-12-15", 14_905_99, 4_093_15, 18_999_14, 185_094_01, 0, 0, Planned, None),
        (2, "2028-01-15", 15_089_96, 3_909_18, 18_999_14, 170_004_05, 0, 0, Planned, None),
        (3, "2028-02-15", 15_413_73, 3_585_41, 18_999_14, 154_590_32, 0, 0, Planned, None),
        (4, "2028-03-15", 15_949_15, 3_049_99, 18_999_14, 138_641_17, 0, 0, Planned, None),
        (5, "2028-04-15", 16_075_17, 2_923_97, 18_999_14, 122_566_00, 0, 0, Planned, None),
        (6, "2028-05-15", 16_497_59, 2_501_55, 18_999_14, 106_068_41, 0, 0, Planned, None),
        (7, "2028-06-15", 16_762_14, 2_237_00, 18_999_14, 89_306_27, 0, 0, Planned, None),
        (8, "2028-07-15", 17_176_41, 1_822_73, 18_999_14, 72_129_86, 0, 0, Planned, None),
        (9, "2028-08-15", 17_477_91, 1_521_23, 18_999_14, 54_651_95, 0, 0, Planned, None),
        (10, "2028-09-15", 17_846_52, 1_152_62, 18_999_14, 36_805_43, 0, 0, Planned, None),
        (11, "2028-10-15", 18_247_95, 751_19, 18_999_14, 18_557_48, 0, 0, Planned, None),
        (12, "2028-11-15", 18_557_48, 391_38, 18_948_86, 0, 0, 0, Planned, None),
    ]);
    assert_figures(&d, &Figures {
        principal_balance: 200_000_00,
        overdue_amount: 0,
        overdue_days: 0,
        penalty: 0,
        accrued_interest: 0,
        payoff_amount: 200_000_00,
        next_payment: Some(("2027-12-15", 18_999_14)),
        status: ContractStatus::Active,
        closed_on: None,
        debt: 200_000_00,
    });
    assert_eq!(d.schedule.iter().map(|i| i.total).sum::<Kopecks>(), 227_939_40);
    // Row 2 by hand: 185 094,01 × 24,9 % × (16/365 + 15/366) = 3 909,18 after rounding.
    assert_eq!(d.schedule[1].interest, 3_909_18);
    let done = loan_detail(&t, &on_time(&t, 12), date!(2028 - 11 - 15)).unwrap();
    assert_eq!(done.summary.closed_on.as_deref(), Some("2028-11-15"));
}

const EARLY_ON: Date = date!(2026 - 05 - 05);

/// Table: `python3 tests/reference/ledger_reference.py early_repayment`, section 1
/// (tests/reference/early_repayment.txt): 100 000,00 on 5 May after three installments.
#[test]
fn early_partial_repayment_with_a_shorter_term() {
    let t = annuity();
    let before = loan_detail(&t, &on_time(&t, 3), EARLY_ON).unwrap();
    assert_eq!((before.summary.accrued_interest, before.summary.payoff_amount), (2_369_33, 233_910_25));
    let events = with(on_time(&t, 3), LoanEvent::EarlyRepayment {
        date: EARLY_ON,
        amount: 100_000_00,
        mode: Recalculation::ShorterTerm,
    });
    let d = loan_detail(&t, &events, EARLY_ON).unwrap();
    // reference: loan_run(ANNUITY, on_time(3) + early shorter_term); as of 2026-05-05
    assert_schedule(&d, &t, &[
        (1, "2026-02-20", 22_154_32, 6_344_38, 28_498_70, 277_845_68, 22_154_32, 6_344_38, Paid, Some("2026-02-20")),
        (2, "2026-03-20", 23_191_47, 5_307_23, 28_498_70, 254_654_21, 23_191_47, 5_307_23, Paid, Some("2026-03-20")),
        (3, "2026-04-20", 23_113_29, 5_385_41, 28_498_70, 231_540_92, 23_113_29, 5_385_41, Paid, Some("2026-04-20")),
        (4, "2026-05-05", 97_630_67, 2_369_33, 100_000_00, 133_910_25, 97_630_67, 2_369_33, Paid, Some("2026-05-05")),
        (5, "2026-05-20", 27_128_41, 1_370_29, 28_498_70, 106_781_84, 0, 0, Planned, None),
        (6, "2026-06-20", 26_240_48, 2_258_22, 28_498_70, 80_541_36, 0, 0, Planned, None),
        (7, "2026-07-20", 26_850_36, 1_648_34, 28_498_70, 53_691_00, 0, 0, Planned, None),
        (8, "2026-08-20", 27_363_25, 1_135_45, 28_498_70, 26_327_75, 0, 0, Planned, None),
        (9, "2026-09-20", 26_327_75, 556_78, 26_884_53, 0, 0, 0, Planned, None),
    ]);
    assert_operations(&d, &[
        ("2026-01-20", Issue, 300_000_00, 300_000_00, 0, 0, "Выдача займа"),
        ("2026-02-20", InterestAccrued, 6_344_38, 0, 6_344_38, 0, "Начислены проценты за период"),
        ("2026-02-20", Payment, 28_498_70, 22_154_32, 6_344_38, 0, "Погашение по графику"),
        ("2026-03-20", InterestAccrued, 5_307_23, 0, 5_307_23, 0, "Начислены проценты за период"),
        ("2026-03-20", Payment, 28_498_70, 23_191_47, 5_307_23, 0, "Погашение по графику"),
        ("2026-04-20", InterestAccrued, 5_385_41, 0, 5_385_41, 0, "Начислены проценты за период"),
        ("2026-04-20", Payment, 28_498_70, 23_113_29, 5_385_41, 0, "Погашение по графику"),
        ("2026-05-05", InterestAccrued, 2_369_33, 0, 2_369_33, 0, "Начислены проценты за период"),
        ("2026-05-05", EarlyRepayment, 100_000_00, 97_630_67, 2_369_33, 0, "Досрочное погашение (сокращение срока)"),
    ]);
    assert_figures(&d, &Figures {
        principal_balance: 133_910_25,
        overdue_amount: 0,
        overdue_days: 0,
        penalty: 0,
        accrued_interest: 0,
        payoff_amount: 133_910_25,
        next_payment: Some(("2026-05-20", 28_498_70)),
        status: ContractStatus::Active,
        closed_on: None,
        debt: 133_910_25,
    });
}

/// Table: `python3 tests/reference/ledger_reference.py early_repayment`, section 2: the same
/// repayment keeping the number of installments.
#[test]
fn early_partial_repayment_with_a_smaller_installment() {
    let t = annuity();
    assert_eq!(annuity_payment(133_910_25, 2490, 9), 16_464_85);
    let events = with(on_time(&t, 3), LoanEvent::EarlyRepayment {
        date: EARLY_ON,
        amount: 100_000_00,
        mode: Recalculation::SmallerInstallment,
    });
    let d = loan_detail(&t, &events, EARLY_ON).unwrap();
    // reference: loan_run(ANNUITY, on_time(3) + early smaller_installment); as of 2026-05-05
    assert_schedule(&d, &t, &[
        (1, "2026-02-20", 22_154_32, 6_344_38, 28_498_70, 277_845_68, 22_154_32, 6_344_38, Paid, Some("2026-02-20")),
        (2, "2026-03-20", 23_191_47, 5_307_23, 28_498_70, 254_654_21, 23_191_47, 5_307_23, Paid, Some("2026-03-20")),
        (3, "2026-04-20", 23_113_29, 5_385_41, 28_498_70, 231_540_92, 23_113_29, 5_385_41, Paid, Some("2026-04-20")),
        (4, "2026-05-05", 97_630_67, 2_369_33, 100_000_00, 133_910_25, 97_630_67, 2_369_33, Paid, Some("2026-05-05")),
        (5, "2026-05-20", 15_094_56, 1_370_29, 16_464_85, 118_815_69, 0, 0, Planned, None),
        (6, "2026-06-20", 13_952_14, 2_512_71, 16_464_85, 104_863_55, 0, 0, Planned, None),
        (7, "2026-07-20", 14_318_74, 2_146_11, 16_464_85, 90_544_81, 0, 0, Planned, None),
        (8, "2026-08-20", 14_550_01, 1_914_84, 16_464_85, 75_994_80, 0, 0, Planned, None),
        (9, "2026-09-20", 14_857_72, 1_607_13, 16_464_85, 61_137_08, 0, 0, Planned, None),
        (10, "2026-10-20", 15_213_63, 1_251_22, 16_464_85, 45_923_45, 0, 0, Planned, None),
        (11, "2026-11-20", 15_493_66, 971_19, 16_464_85, 30_429_79, 0, 0, Planned, None),
        (12, "2026-12-20", 15_842_08, 622_77, 16_464_85, 14_587_71, 0, 0, Planned, None),
        (13, "2027-01-20", 14_587_71, 308_50, 14_896_21, 0, 0, 0, Planned, None),
    ]);
    assert_operations(&d, &[
        ("2026-01-20", Issue, 300_000_00, 300_000_00, 0, 0, "Выдача займа"),
        ("2026-02-20", InterestAccrued, 6_344_38, 0, 6_344_38, 0, "Начислены проценты за период"),
        ("2026-02-20", Payment, 28_498_70, 22_154_32, 6_344_38, 0, "Погашение по графику"),
        ("2026-03-20", InterestAccrued, 5_307_23, 0, 5_307_23, 0, "Начислены проценты за период"),
        ("2026-03-20", Payment, 28_498_70, 23_191_47, 5_307_23, 0, "Погашение по графику"),
        ("2026-04-20", InterestAccrued, 5_385_41, 0, 5_385_41, 0, "Начислены проценты за период"),
        ("2026-04-20", Payment, 28_498_70, 23_113_29, 5_385_41, 0, "Погашение по графику"),
        ("2026-05-05", InterestAccrued, 2_369_33, 0, 2_369_33, 0, "Начислены проценты за период"),
        ("2026-05-05", EarlyRepayment, 100_000_00, 97_630_67, 2_369_33, 0, "Досрочное погашение (уменьшение платежа)"),
    ]);
    assert_figures(&d, &Figures {
        principal_balance: 133_910_25,
        overdue_amount: 0,
        overdue_days: 0,
        penalty: 0,
        accrued_interest: 0,
        payoff_amount: 133_910_25,
        next_payment: Some(("2026-05-20", 16_464_85)),
        status: ContractStatus::Active,
        closed_on: None,
        debt: 133_910_25,
    });
    // Paying the new plan on its dates closes the loan on the original last date.
    let mut paid = events.clone();
    paid.extend(d.schedule.iter().skip(4).map(|i| LoanEvent::Payment { date: day(&i.date), amount: i.total }));
    let done = loan_detail(&t, &paid, date!(2027 - 01 - 20)).unwrap();
    assert_eq!(done.summary.closed_on.as_deref(), Some("2027-01-20"));
    assert_eq!(assert_debt_invariant(&done), 0);
}

/// Table: `python3 tests/reference/ledger_reference.py early_repayment`, section 3: the payoff
/// shown on 5 May, paid that day, closes the loan.
#[test]
fn paying_the_payoff_amount_closes_the_loan_that_day() {
    let t = annuity();
    let events = with(on_time(&t, 3), LoanEvent::EarlyRepayment {
        date: EARLY_ON,
        amount: 233_910_25,
        mode: Recalculation::ShorterTerm,
    });
    let d = loan_detail(&t, &events, date!(2026 - 06 - 01)).unwrap();
    // reference: loan_run(ANNUITY, on_time(3) + early payoff); as of 2026-05-05
    assert_schedule(&d, &t, &[
        (1, "2026-02-20", 22_154_32, 6_344_38, 28_498_70, 277_845_68, 22_154_32, 6_344_38, Paid, Some("2026-02-20")),
        (2, "2026-03-20", 23_191_47, 5_307_23, 28_498_70, 254_654_21, 23_191_47, 5_307_23, Paid, Some("2026-03-20")),
        (3, "2026-04-20", 23_113_29, 5_385_41, 28_498_70, 231_540_92, 23_113_29, 5_385_41, Paid, Some("2026-04-20")),
        (4, "2026-05-05", 231_540_92, 2_369_33, 233_910_25, 0, 231_540_92, 2_369_33, Paid, Some("2026-05-05")),
    ]);
    assert_operations(&d, &[
        ("2026-01-20", Issue, 300_000_00, 300_000_00, 0, 0, "Выдача займа"),
        ("2026-02-20", InterestAccrued, 6_344_38, 0, 6_344_38, 0, "Начислены проценты за период"),
        ("2026-02-20", Payment, 28_498_70, 22_154_32, 6_344_38, 0, "Погашение по графику"),
        ("2026-03-20", InterestAccrued, 5_307_23, 0, 5_307_23, 0, "Начислены проценты за период"),
        ("2026-03-20", Payment, 28_498_70, 23_191_47, 5_307_23, 0, "Погашение по графику"),
        ("2026-04-20", InterestAccrued, 5_385_41, 0, 5_385_41, 0, "Начислены проценты за период"),
        ("2026-04-20", Payment, 28_498_70, 23_113_29, 5_385_41, 0, "Погашение по графику"),
        ("2026-05-05", InterestAccrued, 2_369_33, 0, 2_369_33, 0, "Начислены проценты за период"),
        ("2026-05-05", EarlyRepayment, 233_910_25, 231_540_92, 2_369_33, 0, "Полное досрочное погашение"),
    ]);
    assert_figures(&d, &Figures {
        principal_balance: 0,
        overdue_amount: 0,
        overdue_days: 0,
        penalty: 0,
        accrued_interest: 0,
        payoff_amount: 0,
        next_payment: None,
        status: ContractStatus::Closed,
        closed_on: Some("2026-05-05"),
        debt: 0,
    });
}

/// Table: `python3 tests/reference/ledger_reference.py overdue_penalty`, section 1
/// (tests/reference/overdue_penalty.txt): installment 3 of 20 April unpaid, seen on 4 May.
#[test]
fn an_unpaid_installment_is_overdue_and_accrues_penalty() {
    let t = annuity();
    let d = loan_detail(&t, &on_time(&t, 2), date!(2026 - 05 - 04)).unwrap();
    // reference: loan_run(ANNUITY, on_time(2), 2026-05-04); as of 2026-05-04
    assert_schedule(&d, &t, &[
        (1, "2026-02-20", 22_154_32, 6_344_38, 28_498_70, 277_845_68, 22_154_32, 6_344_38, Paid, Some("2026-02-20")),
        (2, "2026-03-20", 23_191_47, 5_307_23, 28_498_70, 254_654_21, 23_191_47, 5_307_23, Paid, Some("2026-03-20")),
        (3, "2026-04-20", 23_113_29, 5_385_41, 28_498_70, 231_540_92, 0, 0, Overdue, None),
        (4, "2026-05-20", 23_287_01, 5_211_69, 28_498_70, 208_253_91, 0, 0, Planned, None),
        (5, "2026-06-20", 24_094_56, 4_404_14, 28_498_70, 184_159_35, 0, 0, Planned, None),
        (6, "2026-07-20", 24_729_74, 3_768_96, 28_498_70, 159_429_61, 0, 0, Planned, None),
        (7, "2026-08-20", 25_127_09, 3_371_61, 28_498_70, 134_302_52, 0, 0, Planned, None),
        (8, "2026-09-20", 25_658_48, 2_840_22, 28_498_70, 108_644_04, 0, 0, Planned, None),
        (9, "2026-10-20", 26_275_22, 2_223_48, 28_498_70, 82_368_82, 0, 0, Planned, None),
        (10, "2026-11-20", 26_756_77, 1_741_93, 28_498_70, 55_612_05, 0, 0, Planned, None),
        (11, "2026-12-20", 27_360_56, 1_138_14, 28_498_70, 28_251_49, 0, 0, Planned, None),
        (12, "2027-01-20", 28_251_49, 597_46, 28_848_95, 0, 0, 0, Planned, None),
    ]);
    assert_operations(&d, &[
        ("2026-01-20", Issue, 300_000_00, 300_000_00, 0, 0, "Выдача займа"),
        ("2026-02-20", InterestAccrued, 6_344_38, 0, 6_344_38, 0, "Начислены проценты за период"),
        ("2026-02-20", Payment, 28_498_70, 22_154_32, 6_344_38, 0, "Погашение по графику"),
        ("2026-03-20", InterestAccrued, 5_307_23, 0, 5_307_23, 0, "Начислены проценты за период"),
        ("2026-03-20", Payment, 28_498_70, 23_191_47, 5_307_23, 0, "Погашение по графику"),
        ("2026-04-20", InterestAccrued, 5_385_41, 0, 5_385_41, 0, "Начислены проценты за период"),
        ("2026-05-04", PenaltyAccrued, 218_62, 0, 0, 218_62, "Начислена неустойка"),
    ]);
    assert_figures(&d, &Figures {
        principal_balance: 254_654_21,
        overdue_amount: 28_498_70,
        overdue_days: 14,
        penalty: 218_62,
        accrued_interest: 2_432_12,
        payoff_amount: 262_690_36,
        next_payment: Some(("2026-05-20", 28_498_70)),
        status: ContractStatus::Overdue,
        closed_on: None,
        debt: 260_258_24,
    });
    // 14 days at 20 %: 28 498,70 × 0,2 × 14 / 365 = 218,62.
    assert_eq!(d.summary.penalty, 218_62);
}

/// Table: `python3 tests/reference/ledger_reference.py overdue_penalty`, section 2: 30 000,00
/// paid 15 days late goes to the overdue interest, the overdue principal, the penalty
/// (15 days: 234,24), and the rest (1 267,06) waits for 20 May.
#[test]
fn a_late_payment_is_split_in_the_legal_order() {
    let t = annuity();
    let events = with(on_time(&t, 2), LoanEvent::Payment { date: date!(2026 - 05 - 05), amount: 30_000_00 });
    let d = loan_detail(&t, &events, date!(2026 - 05 - 05)).unwrap();
    // reference: loan_run(ANNUITY, on_time(2) + 30 000,00 on 2026-05-05); as of 2026-05-05
    assert_schedule(&d, &t, &[
        (1, "2026-02-20", 22_154_32, 6_344_38, 28_498_70, 277_845_68, 22_154_32, 6_344_38, Paid, Some("2026-02-20")),
        (2, "2026-03-20", 23_191_47, 5_307_23, 28_498_70, 254_654_21, 23_191_47, 5_307_23, Paid, Some("2026-03-20")),
        (3, "2026-04-20", 23_113_29, 5_385_41, 28_498_70, 231_540_92, 23_113_29, 5_385_41, Paid, Some("2026-05-05")),
        (4, "2026-05-20", 23_523_53, 4_975_17, 28_498_70, 208_017_39, 0, 1_267_06, PartiallyPaid, None),
        (5, "2026-06-20", 24_099_56, 4_399_14, 28_498_70, 183_917_83, 0, 0, Planned, None),
        (6, "2026-07-20", 24_734_68, 3_764_02, 28_498_70, 159_183_15, 0, 0, Planned, None),
        (7, "2026-08-20", 25_132_30, 3_366_40, 28_498_70, 134_050_85, 0, 0, Planned, None),
        (8, "2026-09-20", 25_663_80, 2_834_90, 28_498_70, 108_387_05, 0, 0, Planned, None),
        (9, "2026-10-20", 26_280_48, 2_218_22, 28_498_70, 82_106_57, 0, 0, Planned, None),
        (10, "2026-11-20", 26_762_31, 1_736_39, 28_498_70, 55_344_26, 0, 0, Planned, None),
        (11, "2026-12-20", 27_366_04, 1_132_66, 28_498_70, 27_978_22, 0, 0, Planned, None),
        (12, "2027-01-20", 27_978_22, 591_68, 28_569_90, 0, 0, 0, Planned, None),
    ]);
    assert_operations(&d, &[
        ("2026-01-20", Issue, 300_000_00, 300_000_00, 0, 0, "Выдача займа"),
        ("2026-02-20", InterestAccrued, 6_344_38, 0, 6_344_38, 0, "Начислены проценты за период"),
        ("2026-02-20", Payment, 28_498_70, 22_154_32, 6_344_38, 0, "Погашение по графику"),
        ("2026-03-20", InterestAccrued, 5_307_23, 0, 5_307_23, 0, "Начислены проценты за период"),
        ("2026-03-20", Payment, 28_498_70, 23_191_47, 5_307_23, 0, "Погашение по графику"),
        ("2026-04-20", InterestAccrued, 5_385_41, 0, 5_385_41, 0, "Начислены проценты за период"),
        ("2026-05-05", PenaltyAccrued, 234_24, 0, 0, 234_24, "Начислена неустойка"),
        ("2026-05-05", Payment, 30_000_00, 23_113_29, 5_385_41, 234_24, "Погашение по графику"),
    ]);
    assert_figures(&d, &Figures {
        principal_balance: 231_540_92,
        overdue_amount: 0,
        overdue_days: 0,
        penalty: 0,
        accrued_interest: 2_605_85,
        payoff_amount: 232_879_71,
        next_payment: Some(("2026-05-20", 27_231_64)),
        status: ContractStatus::Active,
        closed_on: None,
        debt: 230_273_86,
    });
    let payment = d.operations.last().unwrap();
    assert_eq!(30_000_00 - payment.principal - payment.interest - payment.penalty, 1_267_06, "the advance");
}

/// Table: `python3 tests/reference/ledger_reference.py overdue_penalty`, section 3: on 20 May
/// the advance pays part of installment 4's interest, and the payment of 5 May now shows it in
/// its split (5 385,41 + 1 267,06 of interest), so a certificate of interest paid counts it.
#[test]
fn an_advance_is_applied_on_the_next_due_date() {
    let t = annuity();
    let events = with(on_time(&t, 2), LoanEvent::Payment { date: date!(2026 - 05 - 05), amount: 30_000_00 });
    let d = loan_detail(&t, &events, date!(2026 - 05 - 20)).unwrap();
    // reference: same events, as of 2026-05-20; as of 2026-05-20
    assert_schedule(&d, &t, &[
        (1, "2026-02-20", 22_154_32, 6_344_38, 28_498_70, 277_845_68, 22_154_32, 6_344_38, Paid, Some("2026-02-20")),
        (2, "2026-03-20", 23_191_47, 5_307_23, 28_498_70, 254_654_21, 23_191_47, 5_307_23, Paid, Some("2026-03-20")),
        (3, "2026-04-20", 23_113_29, 5_385_41, 28_498_70, 231_540_92, 23_113_29, 5_385_41, Paid, Some("2026-05-05")),
        (4, "2026-05-20", 23_523_53, 4_975_17, 28_498_70, 208_017_39, 0, 1_267_06, PartiallyPaid, None),
        (5, "2026-06-20", 23_602_09, 4_896_61, 28_498_70, 184_415_30, 0, 0, Planned, None),
        (6, "2026-07-20", 24_724_50, 3_774_20, 28_498_70, 159_690_80, 0, 0, Planned, None),
        (7, "2026-08-20", 25_121_57, 3_377_13, 28_498_70, 134_569_23, 0, 0, Planned, None),
        (8, "2026-09-20", 25_652_84, 2_845_86, 28_498_70, 108_916_39, 0, 0, Planned, None),
        (9, "2026-10-20", 26_269_64, 2_229_06, 28_498_70, 82_646_75, 0, 0, Planned, None),
        (10, "2026-11-20", 26_750_89, 1_747_81, 28_498_70, 55_895_86, 0, 0, Planned, None),
        (11, "2026-12-20", 27_354_75, 1_143_95, 28_498_70, 28_541_11, 0, 0, Planned, None),
        (12, "2027-01-20", 28_541_11, 603_59, 29_144_70, 0, 0, 0, Planned, None),
    ]);
    assert_operations(&d, &[
        ("2026-01-20", Issue, 300_000_00, 300_000_00, 0, 0, "Выдача займа"),
        ("2026-02-20", InterestAccrued, 6_344_38, 0, 6_344_38, 0, "Начислены проценты за период"),
        ("2026-02-20", Payment, 28_498_70, 22_154_32, 6_344_38, 0, "Погашение по графику"),
        ("2026-03-20", InterestAccrued, 5_307_23, 0, 5_307_23, 0, "Начислены проценты за период"),
        ("2026-03-20", Payment, 28_498_70, 23_191_47, 5_307_23, 0, "Погашение по графику"),
        ("2026-04-20", InterestAccrued, 5_385_41, 0, 5_385_41, 0, "Начислены проценты за период"),
        ("2026-05-05", PenaltyAccrued, 234_24, 0, 0, 234_24, "Начислена неустойка"),
        ("2026-05-05", Payment, 30_000_00, 23_113_29, 6_652_47, 234_24, "Погашение по графику"),
        ("2026-05-20", InterestAccrued, 4_975_17, 0, 4_975_17, 0, "Начислены проценты за период"),
    ]);
    assert_figures(&d, &Figures {
        principal_balance: 231_540_92,
        overdue_amount: 0,
        overdue_days: 0,
        penalty: 0,
        accrued_interest: 0,
        payoff_amount: 235_249_03,
        next_payment: Some(("2026-05-20", 27_231_64)),
        status: ContractStatus::Active,
        closed_on: None,
        debt: 235_249_03,
    });
    // Paying the rest that day settles the installment, dated that day.
    let paid = with(events, LoanEvent::Payment { date: date!(2026 - 05 - 20), amount: 27_231_64 });
    let d = loan_detail(&t, &paid, date!(2026 - 05 - 20)).unwrap();
    assert_eq!((d.schedule[3].status, d.schedule[3].paid_on.as_deref()), (Paid, Some("2026-05-20")));
    assert_eq!(next(&d), Some(("2026-06-20", 28_498_70)));
}

/// Table: `python3 tests/reference/ledger_reference.py overdue_penalty`, section 4: 10 000,00
/// 15 days late pays the overdue interest and part of the principal; the penalty waits.
#[test]
fn a_short_late_payment_leaves_principal_and_penalty_owed() {
    let t = annuity();
    let events = with(on_time(&t, 2), LoanEvent::Payment { date: date!(2026 - 05 - 05), amount: 10_000_00 });
    let d = loan_detail(&t, &events, date!(2026 - 05 - 05)).unwrap();
    // reference: loan_run(ANNUITY, on_time(2) + 10 000,00 on 2026-05-05); as of 2026-05-05
    assert_schedule(&d, &t, &[
        (1, "2026-02-20", 22_154_32, 6_344_38, 28_498_70, 277_845_68, 22_154_32, 6_344_38, Paid, Some("2026-02-20")),
        (2, "2026-03-20", 23_191_47, 5_307_23, 28_498_70, 254_654_21, 23_191_47, 5_307_23, Paid, Some("2026-03-20")),
        (3, "2026-04-20", 23_113_29, 5_385_41, 28_498_70, 231_540_92, 4_614_59, 5_385_41, Overdue, None),
        (4, "2026-05-20", 23_334_23, 5_164_47, 28_498_70, 208_206_69, 0, 0, Planned, None),
        (5, "2026-06-20", 24_095_56, 4_403_14, 28_498_70, 184_111_13, 0, 0, Planned, None),
        (6, "2026-07-20", 24_730_73, 3_767_97, 28_498_70, 159_380_40, 0, 0, Planned, None),
        (7, "2026-08-20", 25_128_13, 3_370_57, 28_498_70, 134_252_27, 0, 0, Planned, None),
        (8, "2026-09-20", 25_659_54, 2_839_16, 28_498_70, 108_592_73, 0, 0, Planned, None),
        (9, "2026-10-20", 26_276_27, 2_222_43, 28_498_70, 82_316_46, 0, 0, Planned, None),
        (10, "2026-11-20", 26_757_88, 1_740_82, 28_498_70, 55_558_58, 0, 0, Planned, None),
        (11, "2026-12-20", 27_361_65, 1_137_05, 28_498_70, 28_196_93, 0, 0, Planned, None),
        (12, "2027-01-20", 28_196_93, 596_31, 28_793_24, 0, 0, 0, Planned, None),
    ]);
    assert_operations(&d, &[
        ("2026-01-20", Issue, 300_000_00, 300_000_00, 0, 0, "Выдача займа"),
        ("2026-02-20", InterestAccrued, 6_344_38, 0, 6_344_38, 0, "Начислены проценты за период"),
        ("2026-02-20", Payment, 28_498_70, 22_154_32, 6_344_38, 0, "Погашение по графику"),
        ("2026-03-20", InterestAccrued, 5_307_23, 0, 5_307_23, 0, "Начислены проценты за период"),
        ("2026-03-20", Payment, 28_498_70, 23_191_47, 5_307_23, 0, "Погашение по графику"),
        ("2026-04-20", InterestAccrued, 5_385_41, 0, 5_385_41, 0, "Начислены проценты за период"),
        ("2026-05-05", PenaltyAccrued, 234_24, 0, 0, 234_24, "Начислена неустойка"),
        ("2026-05-05", Payment, 10_000_00, 4_614_59, 5_385_41, 0, "Погашение по графику"),
    ]);
    assert_figures(&d, &Figures {
        principal_balance: 250_039_62,
        overdue_amount: 18_498_70,
        overdue_days: 15,
        penalty: 234_24,
        accrued_interest: 2_605_85,
        payoff_amount: 252_879_71,
        next_payment: Some(("2026-05-20", 28_498_70)),
        status: ContractStatus::Overdue,
        closed_on: None,
        debt: 250_273_86,
    });
}

// ------------------------------------------------------------------ days and statuses

#[test]
fn an_installment_due_today_is_not_overdue_until_the_day_ends() {
    let t = annuity();
    let d = loan_detail(&t, &on_time(&t, 2), date!(2026 - 04 - 20)).unwrap();
    assert_eq!((d.summary.status, d.summary.overdue_amount, d.summary.penalty), (ContractStatus::Active, 0, 0));
    assert_eq!(d.schedule[2].status, Planned);
    assert_eq!(next(&d), Some(("2026-04-20", 28_498_70)));
    // The period closed today: nothing has accrued in the new one; the payoff includes today's interest.
    assert_eq!(d.summary.accrued_interest, 0);
    assert_eq!(d.summary.payoff_amount, 254_654_21 + 5_385_41);
    assert_debt_invariant(&d);

    let d = loan_detail(&t, &on_time(&t, 2), date!(2026 - 04 - 21)).unwrap();
    assert_eq!((d.summary.status, d.summary.overdue_amount, d.summary.overdue_days), (ContractStatus::Overdue, 28_498_70, 1));
    assert_eq!(d.schedule[2].status, Overdue);
    // One day at 20 %: 28 498,70 × 0,2 / 365 = 15,6157… → 15,62.
    assert_eq!(d.summary.penalty, 15_62);
    assert_eq!(next(&d).map(|p| p.0), Some("2026-05-20"));
    assert_debt_invariant(&d);
}

#[test]
fn a_partly_paid_installment_shows_what_is_left() {
    let t = annuity();
    let events = with(on_time(&t, 1), LoanEvent::Payment { date: date!(2026 - 03 - 10), amount: 10_000_00 });
    let d = loan_detail(&t, &events, date!(2026 - 03 - 10)).unwrap();
    // Paid ahead: shown against installment 2's interest first, then its principal.
    let row = &d.schedule[1];
    assert_eq!((row.status, row.paid_interest, row.paid_principal), (PartiallyPaid, 5_307_23, 4_692_77));
    assert_eq!(next(&d).map(|p| p.1), Some(18_498_70));
    assert_debt_invariant(&d);
}

#[test]
fn paying_the_whole_plan_ahead_settles_the_loan_on_its_last_date() {
    let t = annuity();
    let paid_on = date!(2026 - 05 - 05);
    let d = loan_detail(&t, &on_time(&t, 3), paid_on).unwrap();
    let rest: Kopecks = d.schedule.iter().skip(3).map(|i| i.total).sum();
    let too_much = with(on_time(&t, 3), LoanEvent::Payment { date: paid_on, amount: rest + 1 });
    assert_eq!(
        loan_detail(&t, &too_much, paid_on),
        Err(LoanError::MoreThanPayoff { date: paid_on, amount: rest + 1, payoff: rest })
    );
    let events = with(on_time(&t, 3), LoanEvent::Payment { date: paid_on, amount: rest });
    let d = loan_detail(&t, &events, paid_on).unwrap();
    assert!(d.schedule.iter().skip(3).all(|i| i.status == Paid && i.paid_on.as_deref() == Some("2026-05-05")));
    assert_eq!(d.summary.next_payment, None);
    assert_debt_invariant(&d);
    let d = loan_detail(&t, &events, date!(2027 - 01 - 20)).unwrap();
    assert_eq!(d.summary.closed_on.as_deref(), Some("2027-01-20"));
    assert_eq!(assert_debt_invariant(&d), 0);
}

#[test]
fn after_the_last_date_only_penalty_runs() {
    let t = annuity();
    let d = loan_detail(&t, &on_time(&t, 11), date!(2027 - 02 - 19)).unwrap();
    let last = d.schedule.last().unwrap();
    assert_eq!((last.status, d.summary.overdue_days, d.summary.accrued_interest), (Overdue, 30, 0));
    assert_eq!(d.summary.payoff_amount, d.summary.overdue_amount + d.summary.penalty);
    // 30 days at 20 % on 28 290,83: 465,0547… → 465,05.
    assert_eq!(d.summary.penalty, 465_05);
    assert_debt_invariant(&d);
    let events = with(on_time(&t, 11), LoanEvent::Payment { date: date!(2027 - 02 - 19), amount: d.summary.payoff_amount });
    let d = loan_detail(&t, &events, date!(2027 - 02 - 19)).unwrap();
    assert_eq!((d.summary.status, d.summary.closed_on.as_deref()), (ContractStatus::Closed, Some("2027-02-19")));
    assert_eq!(assert_debt_invariant(&d), 0);
}

#[test]
fn an_interest_free_loan_has_no_interest() {
    let t = LoanTerms { rate_bp: 0, term_months: 3, ..annuity() };
    let d = loan_detail(&t, &[], t.issued_on).unwrap();
    let rows: Vec<(Kopecks, Kopecks)> = d.schedule.iter().map(|i| (i.principal, i.interest)).collect();
    assert_eq!(rows, vec![(100_000_00, 0), (100_000_00, 0), (100_000_00, 0)]);
}

#[test]
fn the_summary_carries_the_contract_terms() {
    let t = differentiated();
    let s = loan_detail(&t, &[], date!(2026 - 02 - 10)).unwrap().summary;
    assert_eq!(
        (s.id.as_str(), s.number.as_str(), s.date.as_str(), s.product.as_str(), s.amount, s.rate_bp, s.term_months),
        ("L-1", "З-2026/0001", "2026-01-31", "Потребительский", 150_000_00, 1990, 12)
    );
    assert_eq!((s.repayment, s.penalty_rate_bp), (RepaymentKind::Differentiated, 2000));
    // 10 days of February on 150 000,00 at 19,9 %: 817,81.
    assert_eq!(s.accrued_interest, 817_81);
}

// ------------------------------------------------------------------ refusals

#[test]
fn terms_that_cannot_be_scheduled_are_refused() {
    let base = annuity();
    for bad in [
        LoanTerms { amount: 0, ..base.clone() },
        LoanTerms { amount: -1, ..base.clone() },
        LoanTerms { amount: super::MAX_AMOUNT + 1, ..base.clone() },
        LoanTerms { term_months: 0, ..base.clone() },
        LoanTerms { term_months: super::MAX_TERM_MONTHS + 1, ..base.clone() },
        LoanTerms { rate_bp: super::MAX_RATE_BP + 1, ..base.clone() },
        LoanTerms { penalty_rate_bp: super::MAX_RATE_BP + 1, ..base.clone() },
    ] {
        assert!(matches!(loan_detail(&bad, &[], bad.issued_on), Err(LoanError::InvalidTerms(_))), "{bad:?}");
    }
}

#[test]
fn nothing_happens_before_the_issue_day() {
    let t = annuity();
    assert_eq!(loan_detail(&t, &[], date!(2026 - 01 - 19)), Err(LoanError::BeforeIssue(date!(2026 - 01 - 19))));
    let early = [LoanEvent::Payment { date: date!(2026 - 01 - 19), amount: 100_00 }];
    assert_eq!(loan_detail(&t, &early, date!(2026 - 02 - 01)), Err(LoanError::BeforeIssue(date!(2026 - 01 - 19))));
}

#[test]
fn amounts_must_be_positive() {
    let t = annuity();
    for amount in [0, -100_00] {
        let payment = [LoanEvent::Payment { date: date!(2026 - 02 - 20), amount }];
        assert_eq!(loan_detail(&t, &payment, date!(2026 - 02 - 20)), Err(LoanError::NonPositiveAmount));
        let early = [LoanEvent::EarlyRepayment { date: date!(2026 - 02 - 20), amount, mode: Recalculation::ShorterTerm }];
        assert_eq!(loan_detail(&t, &early, date!(2026 - 02 - 20)), Err(LoanError::NonPositiveAmount));
    }
}

#[test]
fn events_must_come_in_date_order() {
    let t = annuity();
    let events = [
        LoanEvent::Payment { date: date!(2026 - 03 - 20), amount: 100_00 },
        LoanEvent::Payment { date: date!(2026 - 02 - 20), amount: 100_00 },
    ];
    assert_eq!(loan_detail(&t, &events, date!(2026 - 04 - 01)), Err(LoanError::Unordered));
}

#[test]
fn a_closed_loan_takes_nothing_more() {
    let t = annuity();
    let closed = with(on_time(&t, 3), LoanEvent::EarlyRepayment {
        date: EARLY_ON,
        amount: 233_910_25,
        mode: Recalculation::ShorterTerm,
    });
    let after = with(closed.clone(), LoanEvent::Payment { date: date!(2026 - 05 - 06), amount: 100_00 });
    assert_eq!(loan_detail(&t, &after, date!(2026 - 05 - 06)), Err(LoanError::Closed(EARLY_ON)));
    let same_day = with(closed, LoanEvent::Payment { date: EARLY_ON, amount: 100_00 });
    assert_eq!(loan_detail(&t, &same_day, EARLY_ON), Err(LoanError::Closed(EARLY_ON)));
    let paid = with(on_time(&t, 12), LoanEvent::Payment { date: date!(2027 - 02 - 01), amount: 100_00 });
    assert_eq!(loan_detail(&t, &paid, date!(2027 - 02 - 01)), Err(LoanError::Closed(date!(2027 - 01 - 20))));
    // Events after the day asked about are not looked at.
    assert!(loan_detail(&t, &paid, date!(2027 - 01 - 25)).is_ok());
}

#[test]
fn an_early_repayment_must_cover_what_is_due_and_accrued() {
    let t = annuity();
    let early = |amount| with(on_time(&t, 3), LoanEvent::EarlyRepayment { date: EARLY_ON, amount, mode: Recalculation::ShorterTerm });
    assert_eq!(
        loan_detail(&t, &early(2_369_32), EARLY_ON),
        Err(LoanError::EarlyRepaymentTooSmall { date: EARLY_ON, amount: 2_369_32, needed: 2_369_33 })
    );
    // Overdue: installment 3 (28 498,70), 15 days of penalty (234,24) and 15 days of
    // interest on 254 654,21 (2 605,85) come first.
    let late = |amount| with(on_time(&t, 2), LoanEvent::EarlyRepayment { date: EARLY_ON, amount, mode: Recalculation::SmallerInstallment });
    assert_eq!(
        loan_detail(&t, &late(31_338_78), EARLY_ON),
        Err(LoanError::EarlyRepaymentTooSmall { date: EARLY_ON, amount: 31_338_78, needed: 31_338_79 })
    );
    let d = loan_detail(&t, &late(41_338_79), EARLY_ON).unwrap();
    let op = d.operations.last().unwrap();
    assert_eq!((op.kind, op.principal, op.interest, op.penalty), (EarlyRepayment, 23_113_29 + 10_000_00, 5_385_41 + 2_605_85, 234_24));
    assert_eq!((d.summary.status, d.summary.principal_balance), (ContractStatus::Active, 221_540_92));
    assert_debt_invariant(&d);
}

#[test]
fn an_early_repayment_may_not_exceed_the_payoff() {
    let t = annuity();
    let early = with(on_time(&t, 3), LoanEvent::EarlyRepayment {
        date: EARLY_ON,
        amount: 233_910_26,
        mode: Recalculation::SmallerInstallment,
    });
    assert_eq!(
        loan_detail(&t, &early, EARLY_ON),
        Err(LoanError::MoreThanPayoff { date: EARLY_ON, amount: 233_910_26, payoff: 233_910_25 })
    );
}

#[test]
fn a_differentiated_loan_recalculates_its_principal_part() {
    let t = differentiated();
    let on = date!(2026 - 04 - 15);
    for (mode, rows, part) in [(Recalculation::ShorterTerm, 2 + 1 + 8, 12_500_00), (Recalculation::SmallerInstallment, 2 + 1 + 10, 9_500_00)] {
        let events = with(on_time(&t, 2), LoanEvent::EarlyRepayment { date: on, amount: 31_022_26, mode });
        let d = loan_detail(&t, &events, on).unwrap();
        assert_eq!(d.schedule.len(), rows, "{mode:?}");
        // 31 022,26 pays 15 days of interest on 125 000,00 (1 022,26) and 30 000,00 of principal.
        assert_eq!((d.schedule[2].principal, d.schedule[2].interest), (30_000_00, 1_022_26));
        assert_eq!(d.schedule[3].principal, part, "{mode:?}");
        assert_eq!(d.schedule.iter().map(|i| i.principal).sum::<Kopecks>(), t.amount);
        assert_debt_invariant(&d);
    }
}

// ------------------------------------------------------------------ the invariant, everywhere

/// Random (but repeatable) histories of payments and early repayments on all three loans:
/// on every day looked at, debits − credits equal the debt, the principal parts add up to
/// the loan, and the payoff shown closes the loan when paid, one kopeck more being refused.
#[test]
fn debits_minus_credits_equal_the_debt_on_every_day() {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut rnd = move |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    for t in [annuity(), differentiated(), leap()] {
        for _ in 0..8 {
            let mut events: Vec<LoanEvent> = Vec::new();
            let mut on = t.issued_on;
            let end = add_months(t.issued_on, t.term_months as i32 + 3);
            while on < end {
                on += Duration::days(1 + rnd(45) as i64);
                let d = loan_detail(&t, &events, on).unwrap();
                assert_debt_invariant(&d);
                assert_eq!(d.schedule.iter().map(|i| i.principal).sum::<Kopecks>(), t.amount);
                if d.summary.status == ContractStatus::Closed {
                    break;
                }
                let payoff = d.summary.payoff_amount;
                let mode = if rnd(2) == 0 { Recalculation::ShorterTerm } else { Recalculation::SmallerInstallment };
                // Zero when the advance already covers it all (the plan paid ahead).
                if payoff > 0 {
                    let full = with(events.clone(), LoanEvent::EarlyRepayment { date: on, amount: payoff, mode });
                    let closed = loan_detail(&t, &full, on).unwrap();
                    assert_eq!(closed.summary.closed_on, Some(on.to_string()), "the payoff closes the loan");
                    assert_eq!(assert_debt_invariant(&closed), 0);
                    let over = with(events.clone(), LoanEvent::EarlyRepayment { date: on, amount: payoff + 1, mode });
                    assert!(matches!(loan_detail(&t, &over, on), Err(LoanError::MoreThanPayoff { .. })));
                }
                let due = d.summary.overdue_amount + d.summary.penalty + d.summary.next_payment.map_or(0, |p| p.amount);
                let event = match rnd(10) {
                    0 => LoanEvent::EarlyRepayment { date: on, amount: payoff / 3 + 1, mode },
                    1 | 2 => continue,
                    3 => LoanEvent::Payment { date: on, amount: (due / 2).max(1) },
                    4 => LoanEvent::Payment { date: on, amount: due + 5_000_00 },
                    _ => LoanEvent::Payment { date: on, amount: due.max(1) },
                };
                let next = with(events.clone(), event);
                if let Ok(d) = loan_detail(&t, &next, on) {
                    assert_debt_invariant(&d);
                    events = next;
                }
            }
        }
    }
}

// ------------------------------------------------------------------ the limits hold

/// The largest loan the terms allow, at the highest rates, for the longest term, never paid:
/// every figure up to the horizon (100 years after the issue) is computed — in a debug build
/// any overflow would panic here — and a day past it is refused, not wrapped.
#[test]
fn the_largest_loan_never_paid_is_computed_to_the_horizon() {
    for repayment in [RepaymentKind::Annuity, RepaymentKind::Differentiated] {
        let t = LoanTerms {
            term_months: super::MAX_TERM_MONTHS,
            penalty_rate_bp: super::MAX_RATE_BP,
            ..terms(date!(2026 - 01 - 20), super::MAX_AMOUNT, super::MAX_RATE_BP, repayment)
        };
        let horizon = add_months(t.issued_on, super::MAX_HORIZON_MONTHS as i32);
        for as_of in [add_months(t.issued_on, 300), add_months(t.issued_on, 600), horizon] {
            let d = loan_detail(&t, &[], as_of).unwrap();
            assert_debt_invariant(&d);
            assert!(d.summary.payoff_amount > d.summary.penalty && d.summary.penalty >= 0, "{repayment:?} {as_of}");
        }
        let d = loan_detail(&t, &[], horizon).unwrap();
        // The bound the horizon is chosen by: below 5.1e18, with i64::MAX ≈ 9.22e18.
        assert!(d.summary.payoff_amount < 5_100_000_000_000_000_000, "{}", d.summary.payoff_amount);
        let after = horizon + Duration::days(1);
        assert_eq!(loan_detail(&t, &[], after), Err(LoanError::BeyondHorizon(after)));
    }
}

/// A client's amount is compared, never added: i64::MAX is refused as more than the payoff.
#[test]
fn an_enormous_amount_is_refused_not_overflowed() {
    let t = annuity();
    for events in [
        vec![LoanEvent::Payment { date: date!(2026 - 02 - 20), amount: 30_000_00 }],
        on_time(&t, 3),
    ] {
        let on = date!(2026 - 05 - 05);
        let advance = with(events.clone(), LoanEvent::Payment { date: on, amount: Kopecks::MAX });
        let Err(LoanError::MoreThanPayoff { payoff, .. }) = loan_detail(&t, &advance, on) else {
            panic!("a payment of i64::MAX is refused")
        };
        // The payoff it names is accepted, one kopeck more is not.
        assert!(loan_detail(&t, &with(events.clone(), LoanEvent::Payment { date: on, amount: payoff }), on).is_ok());
        let over = with(events.clone(), LoanEvent::Payment { date: on, amount: payoff + 1 });
        assert!(matches!(loan_detail(&t, &over, on), Err(LoanError::MoreThanPayoff { .. })));
        let early = with(events, LoanEvent::EarlyRepayment { date: on, amount: Kopecks::MAX, mode: Recalculation::ShorterTerm });
        assert!(matches!(loan_detail(&t, &early, on), Err(LoanError::MoreThanPayoff { .. })));
    }
}

#[test]
fn an_issue_day_the_calendar_cannot_carry_is_refused() {
    for issued_on in [date!(9001 - 01 - 01), date!(0000 - 12 - 31)] {
        let t = LoanTerms { issued_on, ..annuity() };
        assert!(matches!(loan_detail(&t, &[], issued_on), Err(LoanError::InvalidTerms(_))), "{issued_on}");
    }
    let t = LoanTerms { issued_on: date!(9000 - 12 - 31), term_months: super::MAX_TERM_MONTHS, ..annuity() };
    assert!(loan_detail(&t, &[], add_months(t.issued_on, super::MAX_HORIZON_MONTHS as i32)).is_ok());
}
