//! The built-in ledger's storage under concurrency, on both engines: postings to one contract
//! at the same moment are checked one after another, so a contract can never be left in a
//! state the engine refuses (which would answer 503 on every later read).

// Kopecks are written rubles_kopecks (100_000_00 = 100 000,00 ₽), as people read them.
#![allow(clippy::inconsistent_digit_grouping)]

use kabinet_api::cabinet::{ContractStatus, ContributionKind};
use kabinet_shim::accounting::ledger::engine::{LoanEvent, Recalculation, SavingsEvent};
use kabinet_shim::accounting::ledger::{Ledger, NewLoan};
use kabinet_shim::accounting::Accounting;
use kabinet_shim::storage::Store;
use kabinet_tests::{database_url, postgres_server_url, Db};
use time::macros::date;

async fn ledger(db: Db, dir: &std::path::Path) -> Ledger {
    let store = Store::open(&database_url(&db, dir).await).await.unwrap();
    let ledger = Ledger::new(store);
    ledger.seed_demo(0, date!(2026 - 11 - 22)).await.unwrap();
    ledger
}

async fn concurrent_postings(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let ledger = ledger(db, dir.path()).await;
    let loan = ledger
        .open_loan(
            &NewLoan {
                client_id: "demo-0004".into(),
                number: "З-2026/9001".into(),
                product_id: "express".into(),
                issued_on: date!(2026 - 01 - 10),
                amount: 100_000_00,
                term_months: 6,
            },
            0,
        )
        .await
        .unwrap();
    let day = date!(2026 - 03 - 01);
    let payoff = ledger.loan("demo-0004", &loan, day).await.unwrap().unwrap().summary.payoff_amount;
    // Eight payments of 80 % of what closes the loan, at once: only one can fit.
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (ledger, loan) = (ledger.clone(), loan.clone());
        tasks.push(tokio::spawn(async move {
            ledger.post_loan_event(&loan, LoanEvent::Payment { date: day, amount: payoff * 8 / 10 }, 0).await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) => ok += 1,
            Err(e) => assert!(e.to_string().contains("more than"), "{e}"),
        }
    }
    assert_eq!(ok, 1, "exactly one of eight fitting payments is posted");
    let after = ledger.loan("demo-0004", &loan, day).await.expect("the loan is still computable").unwrap();
    assert_eq!(after.summary.payoff_amount, payoff - payoff * 8 / 10);
    // The rest, as an early repayment, closes it.
    let rest = LoanEvent::EarlyRepayment { date: day, amount: after.summary.payoff_amount, mode: Recalculation::ShorterTerm };
    ledger.post_loan_event(&loan, rest, 0).await.unwrap();
    assert_eq!(ledger.loan("demo-0004", &loan, day).await.unwrap().unwrap().summary.status, ContractStatus::Closed);

    // Withdrawals from savings at once: only as many as leave the minimum balance.
    let savings = "demo-savings-1";
    let balance = ledger.saving("demo-0001", savings, date!(2026 - 11 - 22)).await.unwrap().unwrap().summary.balance;
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let ledger = ledger.clone();
        tasks.push(tokio::spawn(async move {
            ledger
                .post_savings_event(savings, SavingsEvent::Withdrawal { date: date!(2026 - 11 - 22), amount: balance / 3 }, 0)
                .await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        ok += usize::from(t.await.unwrap().is_ok());
    }
    assert_eq!(ok, 2, "a third, twice, leaves a third; a third withdrawal would go below the minimum");
    assert!(ledger.saving("demo-0001", savings, date!(2026 - 11 - 22)).await.is_ok());

    // Returns of a share at once: never below zero, and never before the money came in.
    let mut tasks = Vec::new();
    for _ in 0..5 {
        let ledger = ledger.clone();
        tasks.push(tokio::spawn(async move {
            ledger.add_contribution("demo-0003", ContributionKind::Returnable, date!(2026 - 11 - 22), -2_000_00, "Возврат", 0).await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        ok += usize::from(t.await.unwrap().is_ok());
    }
    assert_eq!(ok, 2, "a share of 5 000 ₽ allows two returns of 2 000 ₽");
    let early = ledger.add_contribution("demo-0003", ContributionKind::Returnable, date!(2020 - 01 - 01), -500_00, "Возврат", 0).await;
    assert!(early.is_err(), "a return dated before the share was paid in");
    let beyond = ledger.post_loan_event(&loan, LoanEvent::Payment { date: day, amount: i64::MAX }, 0).await;
    assert!(beyond.unwrap_err().to_string().contains("limit"), "amounts beyond the engine's bound are refused before it");
}

#[tokio::test]
async fn concurrent_postings_are_checked_one_after_another_on_sqlite() {
    concurrent_postings(Db::Sqlite).await;
}

#[tokio::test]
async fn concurrent_postings_are_checked_one_after_another_on_postgres() {
    concurrent_postings(Db::Postgres(postgres_server_url())).await;
}
