//! Savings engine tests: interest schedules, operations and figures against the reference
//! tables printed by tests/reference/ledger_reference.py (kept in tests/reference/savings.txt),
//! written here as literal kopecks; every refusal; the balance invariant.

// Amounts are written rubles_kopecks (2_547_95 = 2 547,95 ₽), as the reference prints them.
// Kopecks like _32 or _64 are not type suffixes.
#![allow(clippy::inconsistent_digit_grouping, clippy::mistyped_literal_suffixes)]

use kabinet_api::cabinet::SavingsOperationKind::{
    self, Closing, Deposit, InterestCapitalised, InterestPaid, InterestRecalculated, TopUp, Withdrawal,
};
use kabinet_api::cabinet::{ContractStatus, Kopecks, SavingsDetail};
use time::macros::date;
use time::Date;

use super::{balance_by_operations, savings_detail, SavingsError, SavingsEvent, SavingsTerms};

type Period = (u32, &'static str, Kopecks, Kopecks, bool);
type Op = (&'static str, SavingsOperationKind, Kopecks, &'static str);

struct Figures {
    balance: Kopecks,
    accrued_interest: Kopecks,
    paid_interest: Kopecks,
    status: ContractStatus,
    end_date: &'static str,
    closed_on: Option<&'static str>,
}

/// CAPITALISED in the reference: 200 000,00 at 15,00 % for 12 months, interest added monthly,
/// top-ups and withdrawals allowed down to 10 000,00, 1 % if ended early.
fn capitalised() -> SavingsTerms {
    SavingsTerms {
        id: "S-1".into(),
        number: "С-2026/0001".into(),
        product: "Накопительный".into(),
        opened_on: date!(2026 - 01 - 20),
        amount: 200_000_00,
        rate_bp: 1500,
        term_months: 12,
        capitalisation: true,
        top_up_allowed: true,
        partial_withdrawal_allowed: true,
        min_balance: 10_000_00,
        early_rate_bp: 100,
    }
}

/// PAYOUT: 500 000,00 at 16,50 % for 12 months, interest paid out monthly, nothing else allowed.
fn payout() -> SavingsTerms {
    SavingsTerms {
        product: "Доходный".into(),
        amount: 500_000_00,
        rate_bp: 1650,
        capitalisation: false,
        top_up_allowed: false,
        partial_withdrawal_allowed: false,
        min_balance: 0,
        ..capitalised()
    }
}

const TOP_UP: SavingsEvent = SavingsEvent::TopUp { date: date!(2026 - 04 - 05), amount: 50_000_00 };
const END: Date = date!(2027 - 01 - 20);

fn check(d: &SavingsDetail, periods: &[Period], ops: &[Op], f: &Figures) {
    let got: Vec<(u32, &str, Kopecks, Kopecks, bool)> =
        d.schedule.iter().map(|p| (p.n, p.date.as_str(), p.balance, p.interest, p.done)).collect();
    assert_eq!(got, periods, "interest periods as of {}", d.as_of);
    let got: Vec<(&str, SavingsOperationKind, Kopecks, &str)> =
        d.operations.iter().map(|o| (o.date.as_str(), o.kind, o.amount, o.description.as_str())).collect();
    assert_eq!(got, ops, "operations as of {}", d.as_of);
    let s = &d.summary;
    assert_eq!(
        (s.balance, s.accrued_interest, s.paid_interest, s.status, s.end_date.as_str(), s.closed_on.as_deref()),
        (f.balance, f.accrued_interest, f.paid_interest, f.status, f.end_date, f.closed_on)
    );
    assert_balance_invariant(d);
}

/// Every operation except interest paid out (that money has left) adds up to the balance, and
/// the interest operations add up to the interest credited.
fn assert_balance_invariant(d: &SavingsDetail) {
    assert_eq!(balance_by_operations(&d.operations), d.summary.balance, "operations as of {}", d.as_of);
    let interest: Kopecks = d
        .operations
        .iter()
        .filter(|o| matches!(o.kind, InterestCapitalised | InterestPaid | InterestRecalculated))
        .map(|o| o.amount)
        .sum();
    assert_eq!(interest, d.summary.paid_interest);
}

/// Table: `python3 tests/reference/ledger_reference.py savings`, section 1.
#[test]
fn capitalised_savings_with_a_top_up_match_the_reference_table() {
    let d = savings_detail(&capitalised(), &[TOP_UP], date!(2026 - 06 - 01)).unwrap();
    // reference: savings_run(CAPITALISED, [TOP_UP], 2026-06-01); as of 2026-06-01
    check(&d, &[
        (1, "2026-02-20", 200_000_00, 2_547_95, true),
        (2, "2026-03-20", 202_547_95, 2_330_69, true),
        (3, "2026-04-20", 254_878_64, 2_918_32, true),
        (4, "2026-05-20", 257_796_96, 3_178_32, true),
        (5, "2026-06-20", 260_975_28, 3_324_75, false),
        (6, "2026-07-20", 264_300_03, 3_258_49, false),
        (7, "2026-08-20", 267_558_52, 3_408_62, false),
        (8, "2026-09-20", 270_967_14, 3_452_05, false),
        (9, "2026-10-20", 274_419_19, 3_383_25, false),
        (10, "2026-11-20", 277_802_44, 3_539_13, false),
        (11, "2026-12-20", 281_341_57, 3_468_59, false),
        (12, "2027-01-20", 284_810_16, 3_628_40, false),
    ], &[
        ("2026-01-20", Deposit, 200_000_00, "Внесение сбережений"),
        ("2026-02-20", InterestCapitalised, 2_547_95, "Капитализация процентов"),
        ("2026-03-20", InterestCapitalised, 2_330_69, "Капитализация процентов"),
        ("2026-04-05", TopUp, 50_000_00, "Пополнение"),
        ("2026-04-20", InterestCapitalised, 2_918_32, "Капитализация процентов"),
        ("2026-05-20", InterestCapitalised, 3_178_32, "Капитализация процентов"),
    ], &Figures {
        balance: 260_975_28,
        accrued_interest: 1_287_00,
        paid_interest: 10_975_28,
        status: ContractStatus::Active,
        end_date: "2027-01-20",
        closed_on: None,
    });
}

/// Table: `python3 tests/reference/ledger_reference.py savings`, section 2: the end date pays
/// the last interest and closes the contract.
#[test]
fn capitalised_savings_close_on_the_end_date() {
    let d = savings_detail(&capitalised(), &[TOP_UP], END).unwrap();
    // reference: savings_run(CAPITALISED, [TOP_UP], end); as of 2027-01-20
    check(&d, &[
        (1, "2026-02-20", 200_000_00, 2_547_95, true),
        (2, "2026-03-20", 202_547_95, 2_330_69, true),
        (3, "2026-04-20", 254_878_64, 2_918_32, true),
        (4, "2026-05-20", 257_796_96, 3_178_32, true),
        (5, "2026-06-20", 260_975_28, 3_324_75, true),
        (6, "2026-07-20", 264_300_03, 3_258_49, true),
        (7, "2026-08-20", 267_558_52, 3_408_62, true),
        (8, "2026-09-20", 270_967_14, 3_452_05, true),
        (9, "2026-10-20", 274_419_19, 3_383_25, true),
        (10, "2026-11-20", 277_802_44, 3_539_13, true),
        (11, "2026-12-20", 281_341_57, 3_468_59, true),
        (12, "2027-01-20", 284_810_16, 3_628_40, true),
    ], &[
        ("2026-01-20", Deposit, 200_000_00, "Внесение сбережений"),
        ("2026-02-20", InterestCapitalised, 2_547_95, "Капитализация процентов"),
        ("2026-03-20", InterestCapitalised, 2_330_69, "Капитализация процентов"),
        ("2026-04-05", TopUp, 50_000_00, "Пополнение"),
        ("2026-04-20", InterestCapitalised, 2_918_32, "Капитализация процентов"),
        ("2026-05-20", InterestCapitalised, 3_178_32, "Капитализация процентов"),
        ("2026-06-20", InterestCapitalised, 3_324_75, "Капитализация процентов"),
        ("2026-07-20", InterestCapitalised, 3_258_49, "Капитализация процентов"),
        ("2026-08-20", InterestCapitalised, 3_408_62, "Капитализация процентов"),
        ("2026-09-20", InterestCapitalised, 3_452_05, "Капитализация процентов"),
        ("2026-10-20", InterestCapitalised, 3_383_25, "Капитализация процентов"),
        ("2026-11-20", InterestCapitalised, 3_539_13, "Капитализация процентов"),
        ("2026-12-20", InterestCapitalised, 3_468_59, "Капитализация процентов"),
        ("2027-01-20", InterestCapitalised, 3_628_40, "Капитализация процентов"),
        ("2027-01-20", Closing, -288_438_56, "Возврат сбережений по окончании договора"),
    ], &Figures {
        balance: 0,
        accrued_interest: 0,
        paid_interest: 38_438_56,
        status: ContractStatus::Closed,
        end_date: "2027-01-20",
        closed_on: Some("2027-01-20"),
    });
    // The projection made on 1 June was exact: nothing happened since.
    let seen = savings_detail(&capitalised(), &[TOP_UP], date!(2026 - 06 - 01)).unwrap();
    let sum = |d: &SavingsDetail| d.schedule.iter().map(|p| p.interest).sum::<Kopecks>();
    assert_eq!((sum(&seen), sum(&d)), (38_438_56, 38_438_56));
}

/// Table: `python3 tests/reference/ledger_reference.py savings`, section 3: ended on 10 August,
/// all interest is recomputed at 1 % (17 558,52 credited at 15 %, 1 283,68 at 1 %).
#[test]
fn early_termination_recomputes_all_interest_at_the_early_rate() {
    let events = [TOP_UP, SavingsEvent::EarlyTermination { date: date!(2026 - 08 - 10) }];
    let d = savings_detail(&capitalised(), &events, date!(2026 - 08 - 10)).unwrap();
    // reference: savings_run(CAPITALISED, [TOP_UP, early], 2026-08-10); as of 2026-08-10
    check(&d, &[
        (1, "2026-02-20", 200_000_00, 2_547_95, true),
        (2, "2026-03-20", 202_547_95, 2_330_69, true),
        (3, "2026-04-20", 254_878_64, 2_918_32, true),
        (4, "2026-05-20", 257_796_96, 3_178_32, true),
        (5, "2026-06-20", 260_975_28, 3_324_75, true),
        (6, "2026-07-20", 264_300_03, 3_258_49, true),
    ], &[
        ("2026-01-20", Deposit, 200_000_00, "Внесение сбережений"),
        ("2026-02-20", InterestCapitalised, 2_547_95, "Капитализация процентов"),
        ("2026-03-20", InterestCapitalised, 2_330_69, "Капитализация процентов"),
        ("2026-04-05", TopUp, 50_000_00, "Пополнение"),
        ("2026-04-20", InterestCapitalised, 2_918_32, "Капитализация процентов"),
        ("2026-05-20", InterestCapitalised, 3_178_32, "Капитализация процентов"),
        ("2026-06-20", InterestCapitalised, 3_324_75, "Капитализация процентов"),
        ("2026-07-20", InterestCapitalised, 3_258_49, "Капитализация процентов"),
        ("2026-08-10", InterestRecalculated, -16_274_84, "Перерасчёт процентов по ставке досрочного расторжения"),
        ("2026-08-10", Closing, -251_283_68, "Возврат сбережений при досрочном расторжении"),
    ], &Figures {
        balance: 0,
        accrued_interest: 0,
        paid_interest: 1_283_68,
        status: ContractStatus::Closed,
        end_date: "2027-01-20",
        closed_on: Some("2026-08-10"),
    });
}

/// Table: `python3 tests/reference/ledger_reference.py savings`, section 4: a withdrawal
/// lowers the balance from the next day.
#[test]
fn a_withdrawal_lowers_the_balance_interest_runs_on() {
    let events = [TOP_UP, SavingsEvent::Withdrawal { date: date!(2026 - 09 - 10), amount: 30_000_00 }];
    let d = savings_detail(&capitalised(), &events, END).unwrap();
    // reference: savings_run(CAPITALISED, [TOP_UP, withdrawal], end); as of 2027-01-20
    check(&d, &[
        (1, "2026-02-20", 200_000_00, 2_547_95, true),
        (2, "2026-03-20", 202_547_95, 2_330_69, true),
        (3, "2026-04-20", 254_878_64, 2_918_32, true),
        (4, "2026-05-20", 257_796_96, 3_178_32, true),
        (5, "2026-06-20", 260_975_28, 3_324_75, true),
        (6, "2026-07-20", 264_300_03, 3_258_49, true),
        (7, "2026-08-20", 267_558_52, 3_408_62, true),
        (8, "2026-09-20", 240_967_14, 3_328_76, true),
        (9, "2026-10-20", 244_295_90, 3_011_87, true),
        (10, "2026-11-20", 247_307_77, 3_150_63, true),
        (11, "2026-12-20", 250_458_40, 3_087_84, true),
        (12, "2027-01-20", 253_546_24, 3_230_11, true),
    ], &[
        ("2026-01-20", Deposit, 200_000_00, "Внесение сбережений"),
        ("2026-02-20", InterestCapitalised, 2_547_95, "Капитализация процентов"),
        ("2026-03-20", InterestCapitalised, 2_330_69, "Капитализация процентов"),
        ("2026-04-05", TopUp, 50_000_00, "Пополнение"),
        ("2026-04-20", InterestCapitalised, 2_918_32, "Капитализация процентов"),
        ("2026-05-20", InterestCapitalised, 3_178_32, "Капитализация процентов"),
        ("2026-06-20", InterestCapitalised, 3_324_75, "Капитализация процентов"),
        ("2026-07-20", InterestCapitalised, 3_258_49, "Капитализация процентов"),
        ("2026-08-20", InterestCapitalised, 3_408_62, "Капитализация процентов"),
        ("2026-09-10", Withdrawal, -30_000_00, "Частичное снятие"),
        ("2026-09-20", InterestCapitalised, 3_328_76, "Капитализация процентов"),
        ("2026-10-20", InterestCapitalised, 3_011_87, "Капитализация процентов"),
        ("2026-11-20", InterestCapitalised, 3_150_63, "Капитализация процентов"),
        ("2026-12-20", InterestCapitalised, 3_087_84, "Капитализация процентов"),
        ("2027-01-20", InterestCapitalised, 3_230_11, "Капитализация процентов"),
        ("2027-01-20", Closing, -256_776_35, "Возврат сбережений по окончании договора"),
    ], &Figures {
        balance: 0,
        accrued_interest: 0,
        paid_interest: 36_776_35,
        status: ContractStatus::Closed,
        end_date: "2027-01-20",
        closed_on: Some("2027-01-20"),
    });
}

/// Table: `python3 tests/reference/ledger_reference.py savings`, section 5.
#[test]
fn payout_savings_pay_interest_out_monthly() {
    let d = savings_detail(&payout(), &[], date!(2026 - 06 - 01)).unwrap();
    // reference: savings_run(PAYOUT, [], 2026-06-01); as of 2026-06-01
    check(&d, &[
        (1, "2026-02-20", 500_000_00, 7_006_85, true),
        (2, "2026-03-20", 500_000_00, 6_328_77, true),
        (3, "2026-04-20", 500_000_00, 7_006_85, true),
        (4, "2026-05-20", 500_000_00, 6_780_82, true),
        (5, "2026-06-20", 500_000_00, 7_006_85, false),
        (6, "2026-07-20", 500_000_00, 6_780_82, false),
        (7, "2026-08-20", 500_000_00, 7_006_85, false),
        (8, "2026-09-20", 500_000_00, 7_006_85, false),
        (9, "2026-10-20", 500_000_00, 6_780_82, false),
        (10, "2026-11-20", 500_000_00, 7_006_85, false),
        (11, "2026-12-20", 500_000_00, 6_780_82, false),
        (12, "2027-01-20", 500_000_00, 7_006_85, false),
    ], &[
        ("2026-01-20", Deposit, 500_000_00, "Внесение сбережений"),
        ("2026-02-20", InterestPaid, 7_006_85, "Выплата процентов"),
        ("2026-03-20", InterestPaid, 6_328_77, "Выплата процентов"),
        ("2026-04-20", InterestPaid, 7_006_85, "Выплата процентов"),
        ("2026-05-20", InterestPaid, 6_780_82, "Выплата процентов"),
    ], &Figures {
        balance: 500_000_00,
        accrued_interest: 2_712_33,
        paid_interest: 27_123_29,
        status: ContractStatus::Active,
        end_date: "2027-01-20",
        closed_on: None,
    });
}

/// Table: `python3 tests/reference/ledger_reference.py savings`, section 6: interest already
/// paid out at 16,5 % is taken back from the balance down to 1 %.
#[test]
fn payout_savings_ended_early_give_back_the_difference() {
    let events = [SavingsEvent::EarlyTermination { date: date!(2026 - 07 - 01) }];
    let d = savings_detail(&payout(), &events, date!(2026 - 07 - 01)).unwrap();
    // reference: savings_run(PAYOUT, [early], 2026-07-01); as of 2026-07-01
    check(&d, &[
        (1, "2026-02-20", 500_000_00, 7_006_85, true),
        (2, "2026-03-20", 500_000_00, 6_328_77, true),
        (3, "2026-04-20", 500_000_00, 7_006_85, true),
        (4, "2026-05-20", 500_000_00, 6_780_82, true),
        (5, "2026-06-20", 500_000_00, 7_006_85, true),
    ], &[
        ("2026-01-20", Deposit, 500_000_00, "Внесение сбережений"),
        ("2026-02-20", InterestPaid, 7_006_85, "Выплата процентов"),
        ("2026-03-20", InterestPaid, 6_328_77, "Выплата процентов"),
        ("2026-04-20", InterestPaid, 7_006_85, "Выплата процентов"),
        ("2026-05-20", InterestPaid, 6_780_82, "Выплата процентов"),
        ("2026-06-20", InterestPaid, 7_006_85, "Выплата процентов"),
        ("2026-07-01", InterestRecalculated, -31_910_96, "Перерасчёт процентов по ставке досрочного расторжения"),
        ("2026-07-01", Closing, -468_089_04, "Возврат сбережений при досрочном расторжении"),
    ], &Figures {
        balance: 0,
        accrued_interest: 0,
        paid_interest: 2_219_18,
        status: ContractStatus::Closed,
        end_date: "2027-01-20",
        closed_on: Some("2026-07-01"),
    });
}

#[test]
fn ending_in_the_first_month_pays_the_early_rate_for_the_days() {
    let events = [SavingsEvent::EarlyTermination { date: date!(2026 - 02 - 10) }];
    let d = savings_detail(&payout(), &events, date!(2026 - 03 - 01)).unwrap();
    // 21 days at 1 % on 500 000,00: 287,67, credited, then everything paid back.
    let ops: Vec<(SavingsOperationKind, Kopecks)> = d.operations.iter().map(|o| (o.kind, o.amount)).collect();
    assert_eq!(ops, vec![(Deposit, 500_000_00), (InterestRecalculated, 287_67), (Closing, -500_287_67)]);
    assert_eq!((d.summary.paid_interest, d.summary.balance, d.schedule.len()), (287_67, 0, 0));
    assert_balance_invariant(&d);
}

#[test]
fn the_summary_carries_the_contract_terms() {
    let s = savings_detail(&capitalised(), &[], date!(2026 - 01 - 20)).unwrap().summary;
    assert_eq!(
        (s.id.as_str(), s.number.as_str(), s.date.as_str(), s.product.as_str(), s.amount, s.rate_bp, s.term_months),
        ("S-1", "С-2026/0001", "2026-01-20", "Накопительный", 200_000_00, 1500, 12)
    );
    assert_eq!(
        (s.capitalisation, s.top_up_allowed, s.partial_withdrawal_allowed, s.min_balance, s.early_rate_bp),
        (true, true, true, 10_000_00, 100)
    );
    assert_eq!((s.balance, s.accrued_interest, s.paid_interest, s.end_date.as_str()), (200_000_00, 0, 0, "2027-01-20"));
}

// ------------------------------------------------------------------ refusals

#[test]
fn terms_that_cannot_be_served_are_refused() {
    let base = capitalised();
    for bad in [
        SavingsTerms { amount: 0, ..base.clone() },
        SavingsTerms { term_months: 0, ..base.clone() },
        SavingsTerms { term_months: 601, ..base.clone() },
        SavingsTerms { rate_bp: 100_001, ..base.clone() },
        SavingsTerms { min_balance: -1, ..base.clone() },
        SavingsTerms { min_balance: 200_000_01, ..base.clone() },
    ] {
        assert!(matches!(savings_detail(&bad, &[], bad.opened_on), Err(SavingsError::InvalidTerms(_))), "{bad:?}");
    }
}

#[test]
fn nothing_happens_before_the_opening_day() {
    let t = capitalised();
    assert_eq!(savings_detail(&t, &[], date!(2026 - 01 - 19)), Err(SavingsError::BeforeOpening(date!(2026 - 01 - 19))));
    let early = [SavingsEvent::TopUp { date: date!(2026 - 01 - 10), amount: 100_00 }];
    assert_eq!(savings_detail(&t, &early, date!(2026 - 02 - 01)), Err(SavingsError::BeforeOpening(date!(2026 - 01 - 10))));
}

#[test]
fn a_closed_contract_takes_nothing_more() {
    let t = capitalised();
    let after_end = [SavingsEvent::TopUp { date: END, amount: 100_00 }];
    assert_eq!(savings_detail(&t, &after_end, END), Err(SavingsError::Closed(END)));
    let ended = [
        SavingsEvent::EarlyTermination { date: date!(2026 - 03 - 01) },
        SavingsEvent::Withdrawal { date: date!(2026 - 03 - 02), amount: 100_00 },
    ];
    assert_eq!(savings_detail(&t, &ended, date!(2026 - 04 - 01)), Err(SavingsError::Closed(date!(2026 - 03 - 01))));
}

#[test]
fn amounts_must_be_positive() {
    let t = capitalised();
    for e in [
        SavingsEvent::TopUp { date: date!(2026 - 02 - 01), amount: 0 },
        SavingsEvent::Withdrawal { date: date!(2026 - 02 - 01), amount: -5 },
    ] {
        assert_eq!(savings_detail(&t, &[e], date!(2026 - 02 - 01)), Err(SavingsError::NonPositiveAmount));
    }
}

#[test]
fn top_ups_and_withdrawals_only_where_the_product_allows() {
    let t = payout();
    let top_up = [SavingsEvent::TopUp { date: date!(2026 - 02 - 01), amount: 100_00 }];
    assert_eq!(savings_detail(&t, &top_up, date!(2026 - 02 - 01)), Err(SavingsError::TopUpNotAllowed));
    let withdrawal = [SavingsEvent::Withdrawal { date: date!(2026 - 02 - 01), amount: 100_00 }];
    assert_eq!(savings_detail(&t, &withdrawal, date!(2026 - 02 - 01)), Err(SavingsError::WithdrawalNotAllowed));
}

#[test]
fn a_withdrawal_may_not_go_below_the_minimum_balance() {
    let t = capitalised();
    // On 20 February the balance is 202 547,95 after capitalisation.
    let at = date!(2026 - 02 - 20);
    let too_much = [SavingsEvent::Withdrawal { date: at, amount: 192_547_96 }];
    assert_eq!(
        savings_detail(&t, &too_much, at),
        Err(SavingsError::BelowMinimum { left: 9_999_99, min: 10_000_00 })
    );
    let exact = [SavingsEvent::Withdrawal { date: at, amount: 192_547_95 }];
    assert_eq!(savings_detail(&t, &exact, at).unwrap().summary.balance, 10_000_00);
}

#[test]
fn events_must_come_in_date_order() {
    let t = capitalised();
    let events = [
        SavingsEvent::TopUp { date: date!(2026 - 03 - 01), amount: 100_00 },
        SavingsEvent::TopUp { date: date!(2026 - 02 - 01), amount: 100_00 },
    ];
    assert_eq!(savings_detail(&t, &events, date!(2026 - 04 - 01)), Err(SavingsError::Unordered));
}

/// The balance invariant on every day of a busy contract, and the early termination on any day
/// leaving nothing on it.
#[test]
fn operations_add_up_to_the_balance_on_every_day() {
    let t = capitalised();
    let events = [
        TOP_UP,
        SavingsEvent::Withdrawal { date: date!(2026 - 06 - 30), amount: 100_000_00 },
        SavingsEvent::TopUp { date: date!(2026 - 07 - 20), amount: 1_00 },
        SavingsEvent::Withdrawal { date: date!(2026 - 10 - 31), amount: 50_000_00 },
    ];
    let mut on = t.opened_on;
    while on <= END {
        let d = savings_detail(&t, &events, on).unwrap();
        assert_balance_invariant(&d);
        assert_eq!(d.schedule.len(), 12);
        let upto: Vec<SavingsEvent> = events.iter().filter(|e| e.date() <= on).cloned().collect();
        if on < END {
            let mut ended = upto.clone();
            ended.push(SavingsEvent::EarlyTermination { date: on });
            let d = savings_detail(&t, &ended, on).unwrap();
            assert_eq!((d.summary.balance, d.summary.status), (0, ContractStatus::Closed));
            assert_balance_invariant(&d);
        }
        on += time::Duration::days(3);
    }
}

// ------------------------------------------------------------------ the limits hold

fn extreme(rate_bp: u32, capitalisation: bool) -> SavingsTerms {
    SavingsTerms {
        amount: super::MAX_AMOUNT,
        rate_bp,
        term_months: super::MAX_TERM_MONTHS,
        capitalisation,
        min_balance: 0,
        early_rate_bp: 100,
        ..capitalised()
    }
}

/// Every figure on every month of the term, and an early termination on its last day — in a
/// debug build any overflow would panic here.
fn compute_everywhere(t: &SavingsTerms, events: &[SavingsEvent]) {
    let end = super::add_months(t.opened_on, t.term_months as i32);
    for as_of in [t.opened_on, super::add_months(t.opened_on, t.term_months as i32 / 2), end] {
        let d = savings_detail(t, events, as_of).unwrap();
        assert_balance_invariant(&d);
        assert!(d.schedule.iter().all(|p| p.balance >= 0 && p.interest >= 0));
    }
    let last = end - time::Duration::days(1);
    let mut ended = events.to_vec();
    ended.push(SavingsEvent::EarlyTermination { date: last });
    let d = savings_detail(t, &ended, last).unwrap();
    assert_balance_invariant(&d);
    assert_eq!(d.summary.status, ContractStatus::Closed);
}

/// 1000 % capitalised for 600 months multiplies money by ~10¹⁶⁰: refused at validation. Paid
/// out, nothing compounds, and the same terms are computed to the end.
#[test]
fn the_extreme_terms_are_refused_or_computed() {
    let t = extreme(super::MAX_RATE_BP, true);
    assert_eq!(super::savings::ceiling(&t), 0);
    assert!(matches!(savings_detail(&t, &[], t.opened_on), Err(SavingsError::InvalidTerms(_))));
    // A high early rate compounds in the recomputation just the same.
    let t = SavingsTerms { rate_bp: 1500, early_rate_bp: super::MAX_RATE_BP, ..extreme(1500, true) };
    assert!(matches!(savings_detail(&t, &[], t.opened_on), Err(SavingsError::InvalidTerms(_))));

    let t = extreme(super::MAX_RATE_BP, false);
    assert!(super::savings::ceiling(&t) >= super::MAX_AMOUNT);
    compute_everywhere(&t, &[]);
}

/// 36 % for 600 months, capitalised: the first deposit may be the ceiling itself (about
/// 330 000 000,00 ₽), one kopeck more is refused; at the ceiling every figure is computed.
#[test]
fn a_deposit_at_the_ceiling_grows_without_overflow() {
    let c = super::savings::ceiling(&extreme(3600, true));
    assert!((30_000_000_000_i64..40_000_000_000).contains(&c), "{c}");
    let at = SavingsTerms { amount: c, ..extreme(3600, true) };
    compute_everywhere(&at, &[]);
    let above = SavingsTerms { amount: c + 1, ..at.clone() };
    assert!(matches!(savings_detail(&above, &[], above.opened_on), Err(SavingsError::InvalidTerms(_))));
    // An everyday product's ceiling is far beyond any deposit.
    assert!(super::savings::ceiling(&capitalised()) > 1_000_000_000_000_000_000);
}

/// Many top-ups, each small, adding up past the ceiling: the one that would pass it is refused
/// with an error, withdrawals in between do not make room, and up to it everything computes.
#[test]
fn top_ups_summing_past_the_ceiling_are_refused() {
    let base = extreme(3600, true);
    let c = super::savings::ceiling(&base);
    let t = SavingsTerms { amount: c / 2, ..base };
    let step = c / 20;
    let mut events = Vec::new();
    let mut on = t.opened_on;
    for _ in 0..10 {
        on += time::Duration::days(17);
        events.push(SavingsEvent::TopUp { date: on, amount: step });
        events.push(SavingsEvent::Withdrawal { date: on, amount: step / 2 });
    }
    let d = savings_detail(&t, &events, on).unwrap();
    assert_balance_invariant(&d);
    let room = c - c / 2 - 10 * step;
    let mut full = events.clone();
    full.push(SavingsEvent::TopUp { date: on, amount: room });
    compute_everywhere(&t, &full);
    for amount in [room + 1, Kopecks::MAX] {
        let mut over = events.clone();
        over.push(SavingsEvent::TopUp { date: on, amount });
        assert_eq!(savings_detail(&t, &over, on), Err(SavingsError::AboveCeiling { ceiling: c }), "{amount}");
    }
    let mut after_full = full;
    after_full.push(SavingsEvent::TopUp { date: on + time::Duration::days(1), amount: 1 });
    assert_eq!(
        savings_detail(&t, &after_full, on + time::Duration::days(1)),
        Err(SavingsError::AboveCeiling { ceiling: c })
    );
}
