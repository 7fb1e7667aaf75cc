//! Demo data for the built-in ledger: four clients and, across three of them, a current loan,
//! an overdue loan with penalty, a closed loan, savings with capitalisation and with payout,
//! contributions of both kinds and applications. Dates are counted back from the day of the
//! first start, so the demo always shows a current loan as current and an overdue one as overdue.

// Amounts are written rubles_kopecks (300_000_00 = 300 000,00 ₽), which is how people read them.
#![allow(clippy::inconsistent_digit_grouping)]

use kabinet_api::cabinet::{ApplicationStatus, ContributionKind, RepaymentKind};
use kabinet_api::Phone;
use time::Date;

use super::engine::{self, add_months, LoanEvent, LoanTerms, Recalculation, SavingsEvent, SavingsTerms};
use super::{Ledger, LedgerError, Product, ProductKind};
use crate::accounting::FullName;

/// Clients the demo and the tests start with; the README lists them for newcomers.
pub const DEMO_CLIENTS: &[(&str, &str, &str, &str, &str)] = &[
    ("demo-0001", "Иванова", "Мария", "Петровна", "+79161234567"),
    ("demo-0002", "Петров", "Сергей", "Николаевич", "+79137654321"),
    ("demo-0003", "Смирнова", "Анна", "Викторовна", "+79235550102"),
    ("demo-0004", "Кузнецов", "Алексей", "Иванович", "+79990001122"),
];

/// The demo clients' passports (series and number), for sign-in through ESIA: the simulated
/// ESIA's Иванова carries the first, verified; its Петров carries demo-0002's but unverified.
pub const DEMO_PASSPORTS: &[(&str, &str, &str)] =
    &[("demo-0001", "5012", "345678"), ("demo-0002", "4600", "123456"), ("demo-0003", "4508", "765432")];

/// Demo products: what a small cooperative typically offers.
fn products() -> Vec<Product> {
    let loan = |id: &str, name: &str, rate_bp, repayment, max_term| Product {
        id: id.into(),
        kind: ProductKind::Loan,
        name: name.into(),
        rate_bp,
        min_amount: 10_000_00,
        max_amount: 1_000_000_00,
        min_term_months: 3,
        max_term_months: max_term,
        repayment: Some(repayment),
        penalty_rate_bp: 2000,
        capitalisation: false,
        top_up_allowed: false,
        withdrawal_allowed: false,
        min_balance: 0,
        early_rate_bp: 0,
    };
    let savings = |id: &str, name: &str, rate_bp, capitalisation, top_up, withdrawal, min_balance| Product {
        id: id.into(),
        kind: ProductKind::Savings,
        name: name.into(),
        rate_bp,
        min_amount: 10_000_00,
        max_amount: 5_000_000_00,
        min_term_months: 3,
        max_term_months: 36,
        repayment: None,
        penalty_rate_bp: 0,
        capitalisation,
        top_up_allowed: top_up,
        withdrawal_allowed: withdrawal,
        min_balance,
        early_rate_bp: 100,
    };
    vec![
        loan("potreb", "Потребительский", 2490, RepaymentKind::Annuity, 36),
        loan("pensioner", "Пенсионный", 1990, RepaymentKind::Differentiated, 24),
        loan("express", "Экспресс", 3500, RepaymentKind::Annuity, 12),
        savings("nakopitelny", "Накопительный", 1500, true, true, true, 10_000_00),
        savings("dohodny", "Доходный", 1650, false, false, false, 0),
    ]
}

/// Terms of a loan on a demo product.
fn loan_terms(product: &Product, id: &str, number: &str, issued_on: Date, amount: i64, term: u32) -> LoanTerms {
    LoanTerms {
        id: id.into(),
        number: number.into(),
        product: product.name.clone(),
        issued_on,
        amount,
        rate_bp: product.rate_bp,
        term_months: term,
        repayment: product.repayment.unwrap_or(RepaymentKind::Annuity),
        penalty_rate_bp: product.penalty_rate_bp,
    }
}

/// Pays the first `count` installments in full on their due dates.
async fn pay_installments(ledger: &Ledger, terms: &LoanTerms, count: usize, now: i64) -> Result<(), LedgerError> {
    let plan = engine::loan_detail(terms, &[], terms.issued_on)?;
    for inst in plan.schedule.iter().take(count) {
        let date = super::parse_day(&inst.date).map_err(|e| LedgerError::Invalid(e.to_string()))?;
        ledger.post_loan_event(&terms.id, LoanEvent::Payment { date, amount: inst.total }, now).await?;
    }
    Ok(())
}

pub(super) async fn seed(ledger: &Ledger, now: i64, today: Date) -> Result<(), LedgerError> {
    for (id, last, first, middle, phone) in DEMO_CLIENTS {
        let name = FullName::from_parts(last, first, middle);
        let phone = Phone::parse(phone).expect("demo phones are valid");
        match ledger.add_client(id, &name, &phone, now).await {
            Ok(()) | Err(LedgerError::Invalid(_)) => {}
            Err(e) => return Err(e),
        }
    }
    for (id, series, number) in DEMO_PASSPORTS {
        // Only where none is recorded: a passport someone has edited stays as edited.
        sqlx::query("UPDATE ledger_clients SET passport = $1 WHERE id = $2 AND passport = ''")
            .bind(format!("{series}{number}"))
            .bind(id)
            .execute(ledger.store.pool())
            .await?;
    }
    // Contracts are seeded once, on the first start: later starts find them and leave them be.
    let seeded = sqlx::query("SELECT 1 FROM ledger_products WHERE id = 'potreb'")
        .fetch_optional(ledger.store.pool())
        .await?
        .is_some();
    if seeded {
        return Ok(());
    }
    let products = products();
    for p in &products {
        match ledger.add_product(p, now).await {
            Ok(()) => {}
            // Another instance on the same database is seeding right now: it does the rest.
            Err(LedgerError::Invalid(_)) => return Ok(()),
            Err(e) => return Err(e),
        }
    }
    let product = |id: &str| products.iter().find(|p| p.id == id).expect("demo product").clone();
    let year = today.year();

    // Иванова: a current annuity loan paid on time, savings with capitalisation and a top-up,
    // both kinds of contributions, and a new loan application under review.
    let current = loan_terms(&product("potreb"), "demo-loan-1", &format!("З-{year}/0142"), add_months(today, -4), 300_000_00, 12);
    ledger.insert_loan("demo-0001", &current, now).await?;
    pay_installments(ledger, &current, 4, now).await?;
    let p = product("nakopitelny");
    let saving = SavingsTerms {
        id: "demo-savings-1".into(),
        number: format!("С-{year}/0057"),
        product: p.name.clone(),
        opened_on: add_months(today, -5),
        amount: 200_000_00,
        rate_bp: p.rate_bp,
        term_months: 12,
        capitalisation: true,
        top_up_allowed: true,
        partial_withdrawal_allowed: true,
        min_balance: p.min_balance,
        early_rate_bp: p.early_rate_bp,
    };
    ledger.insert_savings("demo-0001", &saving, now).await?;
    let top_up_on = add_months(today, -2);
    ledger.post_savings_event(&saving.id, SavingsEvent::TopUp { date: top_up_on, amount: 50_000_00 }, now).await?;
    ledger
        .add_contribution("demo-0001", ContributionKind::Returnable, add_months(today, -5), 1_000_00, "Паевой взнос при вступлении", now)
        .await?;
    ledger
        .add_contribution("demo-0001", ContributionKind::Membership, add_months(today, -5), 500_00, "Вступительный взнос", now)
        .await?;
    for m in [-4, -3, -2, -1] {
        ledger
            .add_contribution("demo-0001", ContributionKind::Membership, add_months(today, m), 100_00, "Членский взнос за месяц", now)
            .await?;
    }
    ledger
        .add_application(
            "demo-0001",
            ProductKind::Loan,
            &format!("ЗЗ-{year}/0311"),
            today - time::Duration::days(2),
            "Потребительский",
            150_000_00,
            12,
            ApplicationStatus::UnderReview,
            None,
            now,
        )
        .await?;

    // Петров: an overdue differentiated loan with penalty (three installments paid, then
    // nothing), a loan closed on schedule two years ago, contributions, an approved application.
    let overdue = loan_terms(&product("pensioner"), "demo-loan-2", &format!("З-{year}/0098"), add_months(today, -6), 150_000_00, 12);
    ledger.insert_loan("demo-0002", &overdue, now).await?;
    pay_installments(ledger, &overdue, 3, now).await?;
    let closed = loan_terms(&product("express"), "demo-loan-3", &format!("З-{}/0415", year - 2), add_months(today, -26), 60_000_00, 6);
    ledger.insert_loan("demo-0002", &closed, now).await?;
    pay_installments(ledger, &closed, 6, now).await?;
    ledger
        .add_contribution("demo-0002", ContributionKind::Returnable, add_months(today, -27), 500_00, "Паевой взнос при вступлении", now)
        .await?;
    ledger
        .add_contribution("demo-0002", ContributionKind::Membership, add_months(today, -27), 300_00, "Вступительный взнос", now)
        .await?;
    ledger
        .add_contribution("demo-0002", ContributionKind::Membership, add_months(today, -3), -1_200_00, "Начислен членский взнос за год", now)
        .await?;
    ledger
        .add_application(
            "demo-0002",
            ProductKind::Loan,
            &format!("ЗЗ-{year}/0087"),
            add_months(today, -6) - time::Duration::days(3),
            "Пенсионный",
            150_000_00,
            12,
            ApplicationStatus::Approved,
            Some("Договор заключён"),
            now,
        )
        .await?;

    // Смирнова: savings with monthly payout, a loan closed early by a full repayment, an
    // early partial repayment on a current loan, a declined application.
    let p = product("dohodny");
    let payout = SavingsTerms {
        id: "demo-savings-2".into(),
        number: format!("С-{year}/0031"),
        product: p.name.clone(),
        opened_on: add_months(today, -7),
        amount: 500_000_00,
        rate_bp: p.rate_bp,
        term_months: 24,
        capitalisation: false,
        top_up_allowed: false,
        partial_withdrawal_allowed: false,
        min_balance: 0,
        early_rate_bp: p.early_rate_bp,
    };
    ledger.insert_savings("demo-0003", &payout, now).await?;
    let early = loan_terms(&product("potreb"), "demo-loan-4", &format!("З-{year}/0120"), add_months(today, -5), 200_000_00, 24);
    ledger.insert_loan("demo-0003", &early, now).await?;
    pay_installments(ledger, &early, 2, now).await?;
    let partial_on = add_months(early.issued_on, 2) + time::Duration::days(10);
    ledger
        .post_loan_event(
            &early.id,
            LoanEvent::EarlyRepayment { date: partial_on, amount: 50_000_00, mode: Recalculation::ShorterTerm },
            now,
        )
        .await?;
    let plan = engine::loan_detail(&early, &ledger_events(ledger, &early.id).await?, partial_on)?;
    for inst in plan.schedule.iter().filter(|i| i.date.as_str() > super::day(partial_on).as_str()) {
        let date = super::parse_day(&inst.date).map_err(|e| LedgerError::Invalid(e.to_string()))?;
        if date > today {
            break;
        }
        ledger.post_loan_event(&early.id, LoanEvent::Payment { date, amount: inst.total }, now).await?;
    }
    let repaid = loan_terms(&product("express"), "demo-loan-5", &format!("З-{}/0233", year - 1), add_months(today, -14), 40_000_00, 12);
    ledger.insert_loan("demo-0003", &repaid, now).await?;
    pay_installments(ledger, &repaid, 3, now).await?;
    let full_on = add_months(repaid.issued_on, 3) + time::Duration::days(5);
    let payoff = engine::loan_detail(&repaid, &ledger_events(ledger, &repaid.id).await?, full_on)?.summary.payoff_amount;
    ledger
        .post_loan_event(
            &repaid.id,
            LoanEvent::EarlyRepayment { date: full_on, amount: payoff, mode: Recalculation::ShorterTerm },
            now,
        )
        .await?;
    ledger
        .add_contribution("demo-0003", ContributionKind::Returnable, add_months(today, -15), 2_000_00, "Паевой взнос при вступлении", now)
        .await?;
    ledger
        .add_contribution("demo-0003", ContributionKind::Returnable, add_months(today, -7), 3_000_00, "Дополнительный паевой взнос", now)
        .await?;
    ledger
        .add_contribution("demo-0003", ContributionKind::Membership, add_months(today, -15), 1_200_00, "Членский взнос за год", now)
        .await?;
    ledger
        .add_application(
            "demo-0003",
            ProductKind::Savings,
            &format!("ЗС-{year}/0019"),
            add_months(today, -1),
            "Накопительный",
            100_000_00,
            6,
            ApplicationStatus::Declined,
            Some("Приём сбережений по этому продукту на 6 месяцев приостановлен"),
            now,
        )
        .await?;
    // An unread answer from the organisation, so the demo's «Сообщения» has something to open.
    let at = time::OffsetDateTime::from_unix_timestamp(now - 2 * 86_400).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    ledger
        .reply(
            "demo-0003",
            None,
            "Отдел сбережений",
            "Анна Викторовна, по вашей заявке на сбережения: приём по продукту «Накопительный» на 6 месяцев \
             приостановлен. Можем предложить «Доходный» на 12 месяцев — оформите заявку в разделе «Заявления».",
            &[],
            at,
        )
        .await?;
    Ok(())
}

async fn ledger_events(ledger: &Ledger, loan_id: &str) -> Result<Vec<LoanEvent>, LedgerError> {
    ledger.events::<super::contracts::Loans>(loan_id).await.map_err(|e| LedgerError::Invalid(e.to_string()))
}
