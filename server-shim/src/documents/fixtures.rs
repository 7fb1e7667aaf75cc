//! Test data for the documents: a 24-month annuity loan seen on 22.11.2026 with one
//! installment overdue, a savings contract with capitalisation, the demo organisation and its
//! client; and a reader that takes the text back out of a PDF.

use kabinet_api::cabinet::*;
use kabinet_api::Phone;
use time::macros::date;
use time::{Date, Month};

use crate::accounting::{ClientRecord, FullName};
use crate::org::OrgSettings;

pub const LOAN_NUMBER: &str = "З-2025/0142";
pub const SAVINGS_NUMBER: &str = "С-2025/0007";
pub const AS_OF: Date = date!(2026 - 11 - 22);

pub fn org() -> OrgSettings {
    OrgSettings {
        name: "КПК «Надёжный капитал»".into(),
        legal_name: "Кредитный потребительский кооператив «Надёжный капитал»".into(),
        inn: "5401000000".into(),
        ogrn: "1155400000000".into(),
        phone: "+7 (383) 200-00-00".into(),
        address: "630099, г. Новосибирск, ул. Примерная, д. 1, офис 10".into(),
        hours: "Пн–Пт 9:00–18:00".into(),
        division: "Головной офис".into(),
        allowed_origins: vec!["https://company.ru".into()],
        language: "ru".into(),
    }
}

pub fn holder() -> ClientRecord {
    ClientRecord {
        id: "client-1".into(),
        name: FullName::from_parts("Иванова", "Мария", "Петровна"),
        phone: Phone::parse("+79991234567").expect("a valid phone"),
    }
}

fn months_after(d: Date, months: u32) -> Date {
    let total = d.year() * 12 + (u8::from(d.month()) as i32 - 1) + months as i32;
    let month = Month::try_from((total % 12 + 1) as u8).expect("a month");
    Date::from_calendar_date(total / 12, month, d.day()).expect("the 15th exists in every month")
}

fn iso(d: Date) -> String {
    d.to_string()
}

/// 300 000 ₽ at 25 % for 24 months from 15.01.2025, annuity; installments 1–21 paid on their
/// day, the 22nd (15.11.2026) overdue by 7 days, the rest planned.
pub fn loan(status: ContractStatus) -> LoanDetail {
    let start = date!(2025 - 01 - 15);
    let amount: i64 = 30_000_000;
    let r = 0.25 / 12.0;
    let payment = (amount as f64 * r / (1.0 - (1.0 + r).powi(-24))).round() as i64;
    let mut balance = amount;
    let mut schedule = Vec::new();
    let mut operations = vec![LoanOperation {
        date: iso(start),
        kind: LoanOperationKind::Issue,
        amount,
        principal: amount,
        interest: 0,
        penalty: 0,
        description: "Выдача займа".into(),
    }];
    for n in 1..=24u32 {
        let day = months_after(start, n);
        let interest = (balance as f64 * r).round() as i64;
        let principal = if n == 24 { balance } else { payment - interest };
        balance -= principal;
        let paid = n <= 21;
        schedule.push(Installment {
            n,
            date: iso(day),
            principal,
            interest,
            total: principal + interest,
            balance_after: balance,
            paid_principal: if paid { principal } else { 0 },
            paid_interest: if paid { interest } else { 0 },
            status: match n {
                1..=21 => InstallmentStatus::Paid,
                22 => InstallmentStatus::Overdue,
                _ => InstallmentStatus::Planned,
            },
            paid_on: paid.then(|| iso(day)),
        });
        if day <= AS_OF {
            operations.push(LoanOperation {
                date: iso(day),
                kind: LoanOperationKind::InterestAccrued,
                amount: interest,
                principal: 0,
                interest,
                penalty: 0,
                description: format!("Начислены проценты за период № {n}"),
            });
        }
        if paid {
            operations.push(LoanOperation {
                date: iso(day),
                kind: LoanOperationKind::Payment,
                amount: principal + interest,
                principal,
                interest,
                penalty: 0,
                description: "Погашение по графику".into(),
            });
        }
    }
    operations.push(LoanOperation {
        date: "2026-11-22".into(),
        kind: LoanOperationKind::PenaltyAccrued,
        amount: 12_345,
        principal: 0,
        interest: 0,
        penalty: 12_345,
        description: "Начислена неустойка за просрочку".into(),
    });
    let overdue = &schedule[21];
    let principal_balance = schedule[20].balance_after;
    let closed = status == ContractStatus::Closed;
    let summary = LoanSummary {
        id: "loan-142".into(),
        number: LOAN_NUMBER.into(),
        date: iso(start),
        product: "Потребительский".into(),
        amount,
        rate_bp: 2500,
        term_months: 24,
        repayment: RepaymentKind::Annuity,
        penalty_rate_bp: 2000,
        status,
        principal_balance: if closed { 0 } else { principal_balance },
        next_payment: (!closed).then(|| DuePayment { date: schedule[22].date.clone(), amount: schedule[22].total }),
        overdue_amount: if closed { 0 } else { overdue.total },
        overdue_days: if closed { 0 } else { 7 },
        penalty: if closed { 0 } else { 12_345 },
        accrued_interest: if closed { 0 } else { 98_765 },
        payoff_amount: if closed { 0 } else { principal_balance + overdue.interest + 12_345 + 98_765 },
        closed_on: closed.then(|| "2026-10-30".into()),
    };
    LoanDetail { as_of: iso(AS_OF), summary, schedule, operations }
}

/// 100 000 ₽ at 12,5 % for 24 months from 01.03.2025 with monthly capitalisation, a top-up of
/// 50 000 ₽ and a withdrawal of 20 000 ₽.
pub fn saving() -> SavingsDetail {
    let start = date!(2025 - 03 - 01);
    let mut balance: i64 = 10_000_000;
    let mut operations = vec![SavingsOperation {
        date: iso(start),
        kind: SavingsOperationKind::Deposit,
        amount: balance,
        description: "Внесение личных сбережений".into(),
    }];
    let mut schedule = Vec::new();
    let mut paid_interest = 0;
    for n in 1..=24u32 {
        let day = months_after(start, n);
        if n == 4 {
            balance += 5_000_000;
            operations.push(SavingsOperation {
                date: "2025-06-10".into(),
                kind: SavingsOperationKind::TopUp,
                amount: 5_000_000,
                description: "Пополнение".into(),
            });
        }
        if n == 12 {
            balance -= 2_000_000;
            operations.push(SavingsOperation {
                date: "2026-02-16".into(),
                kind: SavingsOperationKind::Withdrawal,
                amount: -2_000_000,
                description: "Частичное снятие".into(),
            });
        }
        let interest = (balance as f64 * 0.125 / 12.0).round() as i64;
        let done = day <= AS_OF;
        if done {
            balance += interest;
            paid_interest += interest;
            operations.push(SavingsOperation {
                date: iso(day),
                kind: SavingsOperationKind::InterestCapitalised,
                amount: interest,
                description: format!("Капитализация процентов за период № {n}"),
            });
        }
        schedule.push(InterestPeriod { n, date: iso(day), balance, interest, done });
    }
    let summary = SavingsSummary {
        id: "sav-7".into(),
        number: SAVINGS_NUMBER.into(),
        date: iso(start),
        product: "Накопительный".into(),
        amount: 10_000_000,
        balance,
        rate_bp: 1250,
        term_months: 24,
        end_date: "2027-03-01".into(),
        capitalisation: true,
        top_up_allowed: true,
        partial_withdrawal_allowed: true,
        min_balance: 1_000_000,
        early_rate_bp: 100,
        accrued_interest: 45_678,
        paid_interest,
        status: ContractStatus::Active,
        closed_on: None,
    };
    SavingsDetail { as_of: iso(AS_OF), summary, schedule, operations }
}

/// The text of every page, page by page, as a PDF reader extracts it.
pub fn pdf_pages(bytes: &[u8]) -> Vec<String> {
    let doc = lopdf::Document::load_mem(bytes).expect("the PDF parses");
    doc.get_pages().keys().map(|&n| doc.extract_text(&[n]).expect("text extracts")).collect()
}

/// A fresh SQLite Store in a temporary directory, migrated; keep the directory alive.
pub async fn temp_store() -> (tempfile::TempDir, crate::storage::Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("kabinet.db").display());
    let store = crate::storage::Store::open(&url).await.expect("the store opens");
    (dir, store)
}
