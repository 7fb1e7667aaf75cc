//! «Отправка заявлений» through the real shim: the ledger's previews against the reference
//! figures, the four kinds of application reaching the `Accounting` port once per
//! idempotency key, staff answers, and messages with files — where every hostile upload is
//! refused with its own code and nothing is stored.

// Kopecks are written rubles_kopecks (1_000_00 = 1 000,00 ₽), as people read them.
#![allow(clippy::inconsistent_digit_grouping)]

use kabinet_api::cabinet::{Application, ApplicationStatus, Installment, InstallmentStatus};
use kabinet_api::messages::{Message, MessageDirection, MessagesView};
use kabinet_api::requests::{ApplicationKind, ApplicationPreview, ApplicationsView, ProductsView};
use kabinet_api::ErrorCode;
use kabinet_shim::accounting::ledger::engine::{LoanEvent, SavingsEvent};
use kabinet_shim::accounting::ledger::{Ledger, NewLoan, NewSavings, Product, ProductKind};
use kabinet_shim::accounting::Accounting;
use kabinet_shim::clock::ManualClock;
use kabinet_shim::staff::{self, Desk, StaffCommand, StatusArg};
use kabinet_shim::uploads::samples;
use kabinet_tests::client::{Client, Resp};
use kabinet_tests::env::*;
use kabinet_tests::{database_url, Db};
use serde_json::json;
use time::macros::{date, datetime};

const CLIENT: &str = "demo-0004";

fn ledger(env: &Env) -> Ledger {
    Ledger::new(env.shim.state.store().clone())
}

async fn count(env: &Env, table: &str) -> i64 {
    let n: (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(env.shim.state.store().pool()).await.unwrap();
    n.0
}

async fn events(env: &Env, event: &str) -> Vec<kabinet_shim::audit::AuditRow> {
    let rows = env.shim.state.store().audit_rows(0, 100_000).await.unwrap();
    rows.into_iter().filter(|r| r.event == event).collect()
}

fn key() -> String {
    uuid::Uuid::new_v4().to_string()
}

async fn apply(c: &mut Client, key: &str, body: &serde_json::Value) -> Resp {
    let req = c
        .request(reqwest::Method::POST, "/applications")
        .header("origin", &c.origin)
        .header("content-type", "application/json")
        .header("idempotency-key", key)
        .body(body.to_string());
    c.send(req).await
}

/// Files of a message: (name, declared type, bytes).
type Files<'a> = Vec<(&'a str, &'a str, Vec<u8>)>;

async fn send_message(c: &mut Client, key: &str, text: &str, files: Files<'_>) -> Resp {
    let mut form = reqwest::multipart::Form::new().text("text", text.to_owned());
    for (name, mime, bytes) in files {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()).mime_str(mime).unwrap();
        form = form.part("file", part);
    }
    let req = c
        .request(reqwest::Method::POST, "/messages")
        .header("origin", &c.origin)
        .header("idempotency-key", key)
        .multipart(form);
    c.send(req).await
}

/// The reference loan (tests/reference/early_repayment.txt) and savings contract
/// (tests/reference/savings.txt), given to a demo client who has no contracts of their own.
async fn reference_contracts(env: &Env) -> (String, String) {
    let l = ledger(env);
    let now = env.shim.state.now_secs();
    let product = |id: &str, kind, rate_bp| Product {
        id: id.into(),
        kind,
        name: format!("Эталон {id}"),
        rate_bp,
        min_amount: 10_000_00,
        max_amount: 1_000_000_00,
        min_term_months: 3,
        max_term_months: 36,
        repayment: (kind == ProductKind::Loan).then_some(kabinet_api::cabinet::RepaymentKind::Annuity),
        penalty_rate_bp: if kind == ProductKind::Loan { 2000 } else { 0 },
        capitalisation: kind == ProductKind::Savings,
        top_up_allowed: kind == ProductKind::Savings,
        withdrawal_allowed: kind == ProductKind::Savings,
        min_balance: if kind == ProductKind::Savings { 10_000_00 } else { 0 },
        early_rate_bp: if kind == ProductKind::Savings { 100 } else { 0 },
    };
    l.add_product(&product("ref-loan", ProductKind::Loan, 2490), now).await.unwrap();
    l.add_product(&product("ref-savings", ProductKind::Savings, 1500), now).await.unwrap();
    let loan = l
        .open_loan(
            &NewLoan {
                client_id: CLIENT.into(),
                number: "З-2026/REF".into(),
                product_id: "ref-loan".into(),
                issued_on: date!(2026 - 01 - 20),
                amount: 300_000_00,
                term_months: 12,
            },
            now,
        )
        .await
        .unwrap();
    for d in [date!(2026 - 02 - 20), date!(2026 - 03 - 20), date!(2026 - 04 - 20)] {
        l.post_loan_event(&loan, LoanEvent::Payment { date: d, amount: 28_498_70 }, now).await.unwrap();
    }
    let savings = l
        .open_savings(
            &NewSavings {
                client_id: CLIENT.into(),
                number: "С-2026/REF".into(),
                product_id: "ref-savings".into(),
                opened_on: date!(2026 - 01 - 20),
                amount: 200_000_00,
                term_months: 12,
            },
            now,
        )
        .await
        .unwrap();
    l.post_savings_event(&savings, SavingsEvent::TopUp { date: date!(2026 - 04 - 05), amount: 50_000_00 }, now).await.unwrap();
    (loan, savings)
}

/// (n, date, principal, interest, total, balance_after) of planned rows.
fn rows(schedule: &[Installment]) -> Vec<(u32, &str, i64, i64, i64, i64)> {
    schedule.iter().map(|i| (i.n, i.date.as_str(), i.principal, i.interest, i.total, i.balance_after)).collect()
}

async fn start_on(day: time::OffsetDateTime) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let url = database_url(&Db::Sqlite, dir.path()).await;
    Env::start_on(&url, dir, ManualClock::new(day), |_| {}).await
}

#[tokio::test]
async fn previews_equal_the_ledgers_reference_figures() {
    let env = start_on(datetime!(2026-05-01 09:00 UTC)).await;
    let (loan, savings) = reference_contracts(&env).await;
    let mut c = env.register(KUZNETSOV, KUZNETSOV_PHONE).await;

    // tests/reference/early_repayment.txt: «on 2026-05-05 before the repayment: accrued
    // 2_369_33 payoff 233_910_25», then 100 000,00 with a shorter term.
    let body = json!({"kind": "early_repayment", "loan_id": loan, "date": "2026-05-05", "mode": "shorter_term", "amount": 100_000_00});
    let r = c.post("/applications/preview", &body).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let ApplicationPreview::EarlyRepayment {
        payoff_amount,
        amount,
        principal_repaid,
        principal_after,
        installment_before,
        installment_after,
        installments_before,
        installments_after,
        schedule,
        ..
    } = r.json()
    else {
        panic!("an early repayment preview")
    };
    assert_eq!(payoff_amount, 233_910_25);
    assert_eq!(amount, 100_000_00);
    assert_eq!(principal_repaid, 97_630_67);
    assert_eq!(principal_after, 133_910_25);
    assert_eq!((installment_before, installment_after), (Some(28_498_70), Some(28_498_70)));
    assert_eq!((installments_before, installments_after), (9, 5));
    assert_eq!(
        rows(&schedule),
        vec![
            (5, "2026-05-20", 27_128_41, 1_370_29, 28_498_70, 106_781_84),
            (6, "2026-06-20", 26_240_48, 2_258_22, 28_498_70, 80_541_36),
            (7, "2026-07-20", 26_850_36, 1_648_34, 28_498_70, 53_691_00),
            (8, "2026-08-20", 27_363_25, 1_135_45, 28_498_70, 26_327_75),
            (9, "2026-09-20", 26_327_75, 556_78, 26_884_53, 0_00),
        ]
    );
    assert!(schedule.iter().all(|i| i.status == InstallmentStatus::Planned));

    // The same with a smaller installment: 16 464,85 for the rest of the term.
    let body = json!({"kind": "early_repayment", "loan_id": loan, "date": "2026-05-05", "mode": "smaller_installment", "amount": 100_000_00});
    let ApplicationPreview::EarlyRepayment { installment_after, installments_after, schedule, .. } =
        c.post("/applications/preview", &body).await.json()
    else {
        panic!("an early repayment preview")
    };
    assert_eq!((installment_after, installments_after), (Some(16_464_85), 9));
    assert_eq!(rows(&schedule).last(), Some(&(13, "2027-01-20", 14_587_71, 308_50, 14_896_21, 0_00)));

    // In full: the payoff, and nothing left to pay.
    let body = json!({"kind": "early_repayment", "loan_id": loan, "date": "2026-05-05", "mode": "full"});
    let ApplicationPreview::EarlyRepayment { amount, principal_after, installments_after, schedule, .. } =
        c.post("/applications/preview", &body).await.json()
    else {
        panic!("an early repayment preview")
    };
    assert_eq!((amount, principal_after, installments_after, schedule.len()), (233_910_25, 0, 0, 0));

    // The preview is the ledger's own computation: the same as the port answers.
    let port = env
        .shim
        .state
        .accounting()
        .preview_application(CLIENT, &serde_json::from_value(body).unwrap(), date!(2026 - 05 - 01))
        .await
        .unwrap();
    assert!(matches!(port, ApplicationPreview::EarlyRepayment { amount: 233_910_25, .. }));

    // tests/reference/savings.txt: the capitalised contract ended early on 2026-08-10 pays
    // out 251 283,68; the balance that day is the deposits plus capitalised interest.
    env.advance(92 * 86_400);
    let (mut c, r) = env.login(KUZNETSOV_PHONE, PASSWORD).await;
    assert_eq!(r.status, 200);
    let detail: kabinet_api::cabinet::SavingsDetail = c.get(&format!("/savings/{savings}")).await.json();
    let body = json!({"kind": "early_withdrawal", "savings_id": savings, "date": "2026-08-10"});
    let r = c.post("/applications/preview", &body).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let ApplicationPreview::EarlyWithdrawal { balance, interest_lost, payout, rate_bp, early_rate_bp, .. } = r.json() else {
        panic!("an early withdrawal preview")
    };
    assert_eq!(payout, 251_283_68);
    assert_eq!(balance, 250_000_00 + 17_558_52);
    assert_eq!((rate_bp, early_rate_bp), (1500, 100));
    // Taken back (16 274,84 in the reference) plus the month's interest not yet capitalised.
    let accrued_to_the_day = {
        let l = ledger(&env);
        let d = l.saving(CLIENT, &savings, date!(2026 - 08 - 10)).await.unwrap().unwrap();
        d.summary.accrued_interest
    };
    assert!(accrued_to_the_day > 0);
    assert_eq!(interest_lost, 16_274_84 + accrued_to_the_day);
    assert_eq!(detail.summary.balance, balance, "on 2026-08-01 nothing has been capitalised since 2026-07-20");

    // A loan on the reference terms: its installment is the reference's A = 28 498,70 when
    // issued on the 20th (today is 2026-08-01 here, so the first period differs: compare
    // with the engine on the same day instead).
    let body = json!({"kind": "loan", "product_id": "ref-loan", "amount": 300_000_00, "term_months": 12, "purpose": "Ремонт крыши"});
    let ApplicationPreview::Loan { installment, total_interest, schedule } = c.post("/applications/preview", &body).await.json() else {
        panic!("a loan preview")
    };
    assert_eq!(schedule.len(), 12);
    assert_eq!(installment, schedule[0].total);
    assert_eq!(total_interest, schedule.iter().map(|i| i.interest).sum::<i64>());
    assert_eq!(schedule.iter().map(|i| i.principal).sum::<i64>(), 300_000_00);
}

#[tokio::test]
async fn four_kinds_of_application_reach_accounting_and_staff_answer() {
    let env = start_on(datetime!(2026-05-01 09:00 UTC)).await;
    let (loan, savings) = reference_contracts(&env).await;
    let mut c = env.register(KUZNETSOV, KUZNETSOV_PHONE).await;
    let products: ProductsView = c.get("/products").await.json();
    assert!(products.loan.iter().any(|p| p.id == "ref-loan") && products.savings.iter().any(|p| p.id == "ref-savings"));

    let bodies = [
        json!({"kind": "loan", "product_id": "potreb", "amount": 150_000_00, "term_months": 12, "purpose": "Ремонт"}),
        json!({"kind": "early_repayment", "loan_id": loan, "date": "2026-05-05", "mode": "shorter_term", "amount": 100_000_00}),
        json!({"kind": "savings", "product_id": "ref-savings", "amount": 300_000_00, "term_months": 12}),
        json!({"kind": "early_withdrawal", "savings_id": savings, "date": "2026-05-10"}),
    ];
    let mut made = Vec::new();
    for b in &bodies {
        let r = apply(&mut c, &key(), b).await;
        assert_eq!(r.status, 201, "{b}: {}", String::from_utf8_lossy(&r.body));
        made.push(r.json::<Application>());
    }
    let kinds: Vec<_> = made.iter().map(|a| a.kind).collect();
    assert_eq!(kinds, ApplicationKind::ALL.to_vec());
    assert!(made.iter().all(|a| a.status == ApplicationStatus::New));
    assert_eq!(made[1].contract_number.as_deref(), Some("З-2026/REF"));
    assert_eq!(made[1].amount, 100_000_00);
    assert_eq!(made[0].details.as_deref(), Some("Ремонт"));

    // Through the port, as the accounting system holds them; and in the client's list.
    let held = env.shim.state.accounting().applications(CLIENT).await.unwrap();
    for a in &made {
        assert!(held.contains(a), "{a:?} not in accounting");
    }
    let listed: ApplicationsView = c.get("/applications").await.json();
    assert_eq!(listed.applications.len(), held.len());

    let created = events(&env, "objects_created").await;
    assert_eq!(created.len(), 4);
    assert!(created[0].subject.starts_with("Заявка на заём № ЛК-"), "{:?}", created[0]);
    assert!(created[1].subject.contains("досрочное погашение"));
    assert_eq!(created[0].client_id, CLIENT);
    assert!(!created[0].session_id.is_empty());

    // Staff move the loan application on; the client sees the status and the comment.
    let l = ledger(&env);
    let division = env.shim.state.orgs().lookup().division.clone();
    let desk = Desk { ledger: &l, journal: env.shim.state.journal(), division: &division, signing: env.shim.state.signing(), key: None };
    let out = staff::run(&desk, StaffCommand::Applications { client: Some(CLIENT.into()) }, env.shim.state.now()).await.unwrap();
    assert!(out.contains(&made[0].number), "{out}");
    for (status, comment) in [(StatusArg::UnderReview, None), (StatusArg::Approved, Some("Ждём вас в офисе с паспортом"))] {
        staff::run(
            &desk,
            StaffCommand::Status {
                application: made[0].number.clone(),
                status,
                comment: comment.map(String::from),
                operator: "Коротков Е. Ю.".into(),
            },
            env.shim.state.now(),
        )
        .await
        .unwrap();
    }
    let listed: ApplicationsView = c.get("/applications").await.json();
    let a = listed.applications.iter().find(|a| a.id == made[0].id).unwrap();
    assert_eq!(a.status, ApplicationStatus::Approved);
    assert_eq!(a.comment.as_deref(), Some("Ждём вас в офисе с паспортом"));
    // A decision is final.
    let again = staff::run(
        &desk,
        StaffCommand::Status { application: made[0].id.clone(), status: StatusArg::Declined, comment: None, operator: "Х".into() },
        env.shim.state.now(),
    )
    .await;
    assert!(again.is_err());
    let changed = events(&env, "application_status_changed").await;
    assert_eq!(changed.len(), 2);
    assert!(changed[1].description.contains("Коротков Е. Ю.") && changed[1].description.contains("одобрена"), "{:?}", changed[1]);
}

#[tokio::test]
async fn applications_outside_the_rules_are_refused_and_nothing_is_made() {
    let env = start_on(datetime!(2026-05-01 09:00 UTC)).await;
    let (loan, savings) = reference_contracts(&env).await;
    let mut c = env.register(KUZNETSOV, KUZNETSOV_PHONE).await;
    let mut maria = env.register(MARIA, MARIA_PHONE).await;
    let before = count(&env, "ledger_applications").await;
    let maria_loan = {
        let v: kabinet_api::cabinet::LoansView = maria.get("/loans").await.json();
        v.contracts[0].id.clone()
    };
    let cases = [
        (json!({"kind": "loan", "product_id": "potreb", "amount": 5_000_00, "term_months": 12, "purpose": "x"}), ErrorCode::AmountOutOfRange),
        (json!({"kind": "loan", "product_id": "potreb", "amount": 50_000_00, "term_months": 120, "purpose": "x"}), ErrorCode::TermOutOfRange),
        (json!({"kind": "loan", "product_id": "potreb", "amount": 50_000_00, "term_months": 12, "purpose": "  "}), ErrorCode::TextRequired),
        (json!({"kind": "loan", "product_id": "ref-savings", "amount": 50_000_00, "term_months": 12, "purpose": "x"}), ErrorCode::ProductUnavailable),
        (json!({"kind": "savings", "product_id": "nope", "amount": 50_000_00, "term_months": 12}), ErrorCode::ProductUnavailable),
        (json!({"kind": "early_repayment", "loan_id": loan, "date": "2026-04-30", "mode": "full"}), ErrorCode::InvalidDate),
        (json!({"kind": "early_repayment", "loan_id": loan, "date": "2026-09-01", "mode": "full"}), ErrorCode::InvalidDate),
        (json!({"kind": "early_repayment", "loan_id": loan, "date": "05.05.2026", "mode": "full"}), ErrorCode::InvalidDate),
        // An ISO week date is ten characters too.
        (json!({"kind": "early_repayment", "loan_id": loan, "date": "2026-W19-2", "mode": "full"}), ErrorCode::InvalidDate),
        // After the next installment (2026-05-20): that installment would count as unpaid.
        (json!({"kind": "early_repayment", "loan_id": loan, "date": "2026-05-25", "mode": "full"}), ErrorCode::DateAfterNextPayment),
        (json!({"kind": "loan", "product_id": "potreb", "amount": 50_000_00, "term_months": 12, "purpose": "Ремонт\u{0}\u{1b}[2J"}), ErrorCode::InvalidCharacters),
        (json!({"kind": "early_repayment", "loan_id": loan, "date": "2026-05-05", "mode": "shorter_term", "amount": 300_000_00}), ErrorCode::AmountAbovePayoff),
        (json!({"kind": "early_repayment", "loan_id": loan, "date": "2026-05-05", "mode": "shorter_term", "amount": 1_00}), ErrorCode::AmountTooSmall),
        (json!({"kind": "early_repayment", "loan_id": loan, "date": "2026-05-05", "mode": "smaller_installment"}), ErrorCode::AmountTooSmall),
        (json!({"kind": "early_withdrawal", "savings_id": savings, "date": "2026-08-10"}), ErrorCode::InvalidDate),
        (json!({"kind": "early_repayment", "loan_id": maria_loan, "date": "2026-05-05", "mode": "full"}), ErrorCode::NotFound),
        (json!({"kind": "early_withdrawal", "savings_id": "../../savings", "date": "2026-05-05"}), ErrorCode::NotFound),
        (json!({"kind": "gift", "amount": 1}), ErrorCode::InvalidJson),
        (json!({"kind": "savings", "product_id": "ref-savings", "amount": 50_000_00, "term_months": 12, "bonus": true}), ErrorCode::InvalidJson),
    ];
    for (body, code) in &cases {
        let preview = c.post("/applications/preview", body).await;
        assert_eq!(preview.code(), *code, "preview {body}");
        let sent = apply(&mut c, &key(), body).await;
        assert_eq!(sent.code(), *code, "send {body}");
        assert_eq!(sent.status, code.http_status(), "{body}");
    }
    assert_eq!(count(&env, "ledger_applications").await, before);
    assert_eq!(count(&env, "idempotency_keys").await, 0, "refused requests leave no key behind");
    // Another client's loan is journaled as a request for an object that is not theirs.
    let probes = events(&env, "object_not_found").await;
    assert!(probes.iter().any(|r| r.subject.contains(&maria_loan) && r.client_id == CLIENT), "{probes:?}");

    // A closed loan: Петров's loan closed on schedule.
    let mut sergey = env.register(SERGEY, SERGEY_PHONE).await;
    let v: kabinet_api::cabinet::LoansView = sergey.get("/loans").await.json();
    let closed = v.contracts.iter().find(|l| l.closed_on.is_some()).unwrap();
    let r = sergey.post("/applications/preview", &json!({"kind": "early_repayment", "loan_id": closed.id, "date": "2026-05-05", "mode": "full"})).await;
    assert_eq!(r.err(), (409, ErrorCode::ContractClosed));

    // Without a key, or with something that is not a UUID, nothing is even tried.
    let body = &cases[0].0;
    let req = c.request(reqwest::Method::POST, "/applications").header("origin", SITE).header("content-type", "application/json").body(body.to_string());
    assert_eq!(c.send(req).await.err(), (400, ErrorCode::IdempotencyKeyRequired));
    assert_eq!(apply(&mut c, "not-a-uuid", body).await.err(), (400, ErrorCode::IdempotencyKeyRequired));
    // And without a session, nothing at all.
    let mut anon = env.client();
    assert_eq!(apply(&mut anon, &key(), body).await.err(), (401, ErrorCode::Unauthenticated));
}

async fn idempotent_submissions(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let url = database_url(&db, dir.path()).await;
    let env = Env::start_on(&url, dir, ManualClock::new(datetime!(2026-11-22 09:00 UTC)), |_| {}).await;
    let c = env.register(MARIA, MARIA_PHONE).await;
    let before = count(&env, "ledger_applications").await;
    let body = json!({"kind": "loan", "product_id": "potreb", "amount": 150_000_00, "term_months": 12, "purpose": "Ремонт"});
    let k = key();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (mut c, body, k) = (c.clone(), body.clone(), k.clone());
            tokio::spawn(async move { apply(&mut c, &k, &body).await })
        })
        .collect();
    let mut ids = std::collections::BTreeSet::new();
    let mut in_progress = 0;
    for t in tasks {
        let r = t.await.unwrap();
        match r.status {
            201 => {
                ids.insert(r.json::<Application>().id);
            }
            409 => {
                assert_eq!(r.code(), ErrorCode::RequestInProgress);
                in_progress += 1;
            }
            other => panic!("{other}: {}", String::from_utf8_lossy(&r.body)),
        }
    }
    assert_eq!(ids.len(), 1, "every 201 names the same application");
    assert!(in_progress < 8);
    assert_eq!(count(&env, "ledger_applications").await, before + 1, "eight submissions, one application");
    assert_eq!(events(&env, "objects_created").await.len(), 1);

    // Once done, the same request is answered again, marked as a replay.
    let mut c2 = c.clone();
    let again = apply(&mut c2, &k, &body).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert!(ids.contains(&again.json::<Application>().id));
    // The same key with another body is refused.
    let other = json!({"kind": "loan", "product_id": "potreb", "amount": 160_000_00, "term_months": 12, "purpose": "Ремонт"});
    assert_eq!(apply(&mut c2, &k, &other).await.err(), (422, ErrorCode::IdempotencyKeyReused));
    assert_eq!(count(&env, "ledger_applications").await, before + 1);

    // A message sent twice at once with one key: one message.
    let (messages_before, files_before) = (count(&env, "ledger_messages").await, count(&env, "ledger_attachments").await);
    let mk = key();
    let a = {
        let mut c = c.clone();
        let mk = mk.clone();
        tokio::spawn(async move { send_message(&mut c, &mk, "Дубль", vec![("скан.png", "image/png", samples::png(40, 30))]).await })
    };
    let b = {
        let mut c = c.clone();
        let mk = mk.clone();
        tokio::spawn(async move { send_message(&mut c, &mk, "Дубль", vec![("скан.png", "image/png", samples::png(40, 30))]).await })
    };
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    assert!([a.status, b.status].contains(&201), "{} {}", a.status, b.status);
    assert!([a.status, b.status].iter().all(|s| *s == 201 || *s == 409));
    assert_eq!(count(&env, "ledger_messages").await, messages_before + 1);
    assert_eq!(count(&env, "ledger_attachments").await, files_before + 1);

    // A NUL (PostgreSQL refuses it in text) is a clear 422, not a failing database.
    let mut c3 = c.clone();
    assert_eq!(send_message(&mut c3, &key(), "Здравствуйте\u{0}", vec![]).await.err(), (422, ErrorCode::InvalidCharacters));

    // Accounting holds a key to its request too: another request under a used key is refused
    // there as well (a shim that lost its own record of the key cannot make a second object).
    let accounting = env.shim.state.accounting();
    let first = serde_json::from_value(body.clone()).unwrap();
    let second = serde_json::from_value(other.clone()).unwrap();
    let now = env.shim.state.now();
    let day = kabinet_shim::accounting::business_day(now);
    let made = accounting.create_application("demo-0001", "ledger-key-1", &first, day, now).await.unwrap();
    assert_eq!(accounting.create_application("demo-0001", "ledger-key-1", &first, day, now).await.unwrap(), made);
    assert!(matches!(
        accounting.create_application("demo-0001", "ledger-key-1", &second, day, now).await,
        Err(kabinet_shim::accounting::AccountingError::Refused(ErrorCode::IdempotencyKeyReused))
    ));

    // Two messages at once that each fit the client's 100 MB but not both: one goes.
    sqlx::query(
        "INSERT INTO ledger_messages (id, client_id, direction, sent_at, body) VALUES ('M-old', 'demo-0001', 'from_client', 0, 'old')",
    )
    .execute(env.shim.state.store().pool())
    .await
    .unwrap();
    let pdf = samples::pdf();
    let used = i64::try_from(env.shim.state.accounting().upload_bytes("demo-0001").await.unwrap()).unwrap();
    let room = i64::try_from(pdf.len() * 3 / 2).unwrap() + used;
    sqlx::query(
        "INSERT INTO ledger_attachments (id, message_id, client_id, position, file_name, content_type, size, sha256, data) \
         VALUES ('F-old', 'M-old', 'demo-0001', 0, 'old.pdf', 'application/pdf', $1, 'x', $2)",
    )
    .bind(100 * 1024 * 1024 - room)
    .bind(vec![0u8; 1])
    .execute(env.shim.state.store().pool())
    .await
    .unwrap();
    let sends: Vec<_> = (0..2)
        .map(|i| {
            let (mut c, pdf) = (c.clone(), pdf.clone());
            tokio::spawn(async move { send_message(&mut c, &key(), &format!("Справка {i}"), vec![("справка.pdf", "application/pdf", pdf)]).await })
        })
        .collect();
    let mut statuses = Vec::new();
    for s in sends {
        let r = s.await.unwrap();
        statuses.push(if r.status == 201 { (201, None) } else { (r.status, Some(r.code())) });
    }
    statuses.sort_by_key(|s| s.0);
    assert_eq!(statuses, vec![(201, None), (413, Some(ErrorCode::StorageQuotaExceeded))]);
}

#[tokio::test]
async fn eight_identical_submissions_make_one_application_on_sqlite() {
    idempotent_submissions(Db::Sqlite).await;
}

#[tokio::test]
async fn eight_identical_submissions_make_one_application_on_postgres() {
    idempotent_submissions(Db::Postgres(kabinet_tests::postgres_server_url())).await;
}

#[tokio::test]
async fn a_message_with_files_goes_out_and_a_reply_with_a_file_comes_back() {
    let env = Env::start(Db::Sqlite, |_| {}).await;
    let mut c = env.register(MARIA, MARIA_PHONE).await;
    let jpeg = samples::jpeg_with_exif_gps(64, 48);
    assert!(jpeg.windows(11).any(|w| w == b"GPSLatitude"));
    let pdf = samples::pdf();
    let r = send_message(
        &mut c,
        &key(),
        "Добрый день! Прикладываю фото паспорта и скан справки.",
        vec![("фото.jpg", "image/jpeg", jpeg.clone()), ("справка.pdf", "application/pdf", pdf.clone()), ("схема.png", "image/png", samples::png_with_text_chunk())],
    )
    .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let sent: Message = r.json();
    assert_eq!(sent.direction, MessageDirection::FromClient);
    assert_eq!(sent.attachments.len(), 3);
    assert_eq!(sent.attachments[0].file_name, "фото.jpg");

    // Downloads give the stored bytes: the JPEG re-encoded without its EXIF, the PDF as sent.
    let photo = c.get(&kabinet_api::messages::paths::attachment(&sent.id, &sent.attachments[0].id)).await;
    assert_eq!(photo.status, 200);
    assert_eq!(photo.header("content-type"), Some("image/jpeg"));
    assert_eq!(photo.header("x-content-type-options"), Some("nosniff"));
    assert!(photo.header("content-disposition").unwrap().starts_with("attachment;"));
    assert!(!photo.body.windows(11).any(|w| w == b"GPSLatitude"), "metadata stripped");
    assert!(photo.body.starts_with(&[0xFF, 0xD8, 0xFF]));
    assert_eq!(hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&photo.body)), sent.attachments[0].sha256);
    let doc = c.get(&kabinet_api::messages::paths::attachment(&sent.id, &sent.attachments[1].id)).await;
    assert_eq!(doc.body, pdf);
    let png = c.get(&kabinet_api::messages::paths::attachment(&sent.id, &sent.attachments[2].id)).await;
    assert!(!String::from_utf8_lossy(&png.body).contains("tEXt"), "text chunks stripped");

    // Staff read it and answer with a payment slip (ПД-4) as a PDF.
    let l = ledger(&env);
    let division = env.shim.state.orgs().lookup().division.clone();
    let desk = Desk { ledger: &l, journal: env.shim.state.journal(), division: &division, signing: env.shim.state.signing(), key: None };
    let seen = staff::run(&desk, StaffCommand::Messages { client: "demo-0001".into(), operator: "Коротков Е. Ю.".into() }, env.shim.state.now())
        .await
        .unwrap();
    assert!(seen.contains("фото.jpg") && seen.contains(&sent.attachments[1].id), "{seen}");
    let dir = tempfile::tempdir().unwrap();
    let slip = dir.path().join("ПД-4.pdf");
    std::fs::write(&slip, samples::pdf()).unwrap();
    staff::run(
        &desk,
        StaffCommand::Reply {
            client: "demo-0001".into(),
            to: Some(sent.id.clone()),
            text: "Квитанция для оплаты во вложении.".into(),
            files: vec![slip],
            operator: "Коротков Е. Ю.".into(),
        },
        env.shim.state.now(),
    )
    .await
    .unwrap();
    // A staff file that is not safe is refused as a client's would be.
    let bad = dir.path().join("счёт.pdf");
    std::fs::write(&bad, samples::pdf_with_javascript()).unwrap();
    let refused = staff::run(
        &desk,
        StaffCommand::Reply { client: "demo-0001".into(), to: None, text: "x".into(), files: vec![bad], operator: "К".into() },
        env.shim.state.now(),
    )
    .await;
    assert!(refused.is_err());

    let view: MessagesView = c.get("/messages").await.json();
    assert_eq!(view.unread, 1);
    let reply = view.messages.iter().find(|m| m.direction == MessageDirection::FromOrganisation).unwrap().clone();
    assert_eq!(reply.in_reply_to.as_deref(), Some(sent.id.as_str()));
    assert_eq!(reply.author.as_deref(), Some("Коротков Е. Ю."));
    assert!(reply.read_at.is_none());
    // The client's own message shows as read by the organisation.
    assert!(view.messages.iter().find(|m| m.id == sent.id).unwrap().read_at.is_some());

    let opened: Message = c.get(&kabinet_api::messages::paths::message(&reply.id)).await.json();
    assert!(opened.read_at.is_some());
    let _: Message = c.get(&kabinet_api::messages::paths::message(&reply.id)).await.json();
    assert_eq!(events(&env, "message_read").await.len(), 1, "read once, journaled once");
    let view: MessagesView = c.get("/messages").await.json();
    assert_eq!(view.unread, 0);
    let file = c.get(&kabinet_api::messages::paths::attachment(&reply.id, &reply.attachments[0].id)).await;
    assert_eq!(file.body, samples::pdf());
    let received = events(&env, "files_received").await;
    assert!(received.iter().any(|r| r.subject == "ПД-4.pdf" && r.client_id == "demo-0001"), "{received:?}");
    assert!(!events(&env, "staff_replied").await.is_empty());

    // Another client can reach none of it.
    let mut sergey = env.register(SERGEY, SERGEY_PHONE).await;
    assert_eq!(sergey.get(&kabinet_api::messages::paths::message(&reply.id)).await.err(), (404, ErrorCode::NotFound));
    assert_eq!(
        sergey.get(&kabinet_api::messages::paths::attachment(&reply.id, &reply.attachments[0].id)).await.err(),
        (404, ErrorCode::NotFound)
    );
    let theirs: MessagesView = sergey.get("/messages").await.json();
    assert!(theirs.messages.is_empty());
}

#[tokio::test]
async fn hostile_uploads_are_refused_and_nothing_is_stored() {
    let env = Env::start(Db::Sqlite, |_| {}).await;
    let mut c = env.register(MARIA, MARIA_PHONE).await;
    let big = {
        let mut b = samples::png(8, 8);
        b.resize(10 * 1024 * 1024 + 1, 0);
        b
    };
    let six: Vec<_> = (0..6).map(|i| (["a.png", "b.png", "c.png", "d.png", "e.png", "f.png"][i], "image/png", samples::png(8, 8))).collect();
    let cases: Vec<(&str, Files, ErrorCode)> = vec![
        ("polyglot PDF+ZIP", vec![("отчёт.pdf", "application/pdf", samples::polyglot_pdf_zip())], ErrorCode::FileUnsafe),
        ("JPEG with HTML", vec![("фото.jpg", "image/jpeg", samples::jpeg_with_html_appended())], ErrorCode::FileUnsafe),
        ("PNG renamed .pdf", vec![("скан.pdf", "application/pdf", samples::png(20, 20))], ErrorCode::FileTypeMismatch),
        ("PNG declared as PDF", vec![("скан.png", "application/pdf", samples::png(20, 20))], ErrorCode::FileTypeMismatch),
        ("invoice.pdf.exe", vec![("invoice.pdf.exe", "application/pdf", samples::pdf())], ErrorCode::FileTypeNotAllowed),
        ("an executable", vec![("setup.pdf", "application/pdf", samples::exe_bytes())], ErrorCode::FileTypeNotAllowed),
        ("SVG", vec![("logo.svg", "image/svg+xml", samples::svg())], ErrorCode::FileTypeNotAllowed),
        ("SVG named .png", vec![("logo.png", "image/png", samples::svg())], ErrorCode::FileTypeNotAllowed),
        ("HTML", vec![("page.html", "text/html", samples::html())], ErrorCode::FileTypeNotAllowed),
        ("oversized", vec![("big.png", "image/png", big)], ErrorCode::FileTooLarge),
        ("too many files", six, ErrorCode::TooManyFiles),
        ("pixel bomb", vec![("bomb.png", "image/png", samples::png_pixel_bomb())], ErrorCode::ImageTooLarge),
        ("../ name", vec![("../../etc/passwd.pdf", "application/pdf", samples::pdf())], ErrorCode::FileNameInvalid),
        ("PDF with JavaScript", vec![("счёт.pdf", "application/pdf", samples::pdf_with_javascript())], ErrorCode::FileUnsafe),
        // One bad file among good ones refuses the whole message.
        (
            "a good file and a bad one",
            vec![("ok.png", "image/png", samples::png(8, 8)), ("bad.pdf", "application/pdf", samples::png(8, 8))],
            ErrorCode::FileTypeMismatch,
        ),
    ];
    // The demo's own messages (an answer to Смирнова) are there before any upload.
    let (messages, files_stored) = (count(&env, "ledger_messages").await, count(&env, "ledger_attachments").await);
    for (what, files, code) in cases {
        let r = send_message(&mut c, &key(), "Смотрите вложение", files).await;
        assert_eq!(r.err(), (code.http_status(), code), "{what}");
        assert_eq!(count(&env, "ledger_messages").await, messages, "{what}: nothing stored");
        assert_eq!(count(&env, "ledger_attachments").await, files_stored, "{what}: nothing stored");
        assert_eq!(count(&env, "idempotency_keys").await, 0, "{what}: the key is free for a corrected retry");
    }
    assert_eq!(events(&env, "upload_refused").await.len(), 15);
    // A refusal about one file names it, so a person sending several knows which to take out.
    let r = send_message(&mut c, &key(), "x", vec![("ok.png", "image/png", samples::png(8, 8)), ("счёт.pdf.exe", "application/pdf", samples::pdf())]).await;
    let e: kabinet_api::ApiError = r.json();
    assert_eq!((e.code, e.file.as_deref()), (ErrorCode::FileTypeNotAllowed, Some("счёт.pdf.exe")));
    assert!(e.request_id.is_some());
    let r = events(&env, "upload_refused").await;
    assert!(r.iter().any(|r| r.description.contains("invoice.pdf.exe")), "the journal names the file");
    let (messages_now, files_now) = (count(&env, "ledger_messages").await, count(&env, "ledger_attachments").await);
    assert_eq!((messages_now, files_now), (messages, files_stored));

    // A form post (multipart without the Idempotency-Key header a page would need CORS for),
    // and an empty message.
    let form = reqwest::multipart::Form::new().text("text", "x");
    let req = c.request(reqwest::Method::POST, "/messages").header("origin", SITE).multipart(form);
    assert_eq!(c.send(req).await.err(), (415, ErrorCode::UnsupportedMediaType));
    let req = c
        .request(reqwest::Method::POST, "/messages")
        .header("origin", SITE)
        .header("idempotency-key", key())
        .header("content-type", "multipart/form-data")
        .body("no boundary");
    assert_eq!(c.send(req).await.err(), (400, ErrorCode::BadRequest));
    assert_eq!(send_message(&mut c, &key(), "   ", vec![]).await.err(), (422, ErrorCode::TextRequired));
    let long = "я".repeat(kabinet_api::messages::MAX_TEXT_CHARS + 1);
    assert_eq!(send_message(&mut c, &key(), &long, vec![]).await.err(), (422, ErrorCode::TextTooLong));
    assert_eq!(count(&env, "ledger_messages").await, messages);

    // The per-client limit: 100 MB of files in all.
    sqlx::query(
        "INSERT INTO ledger_messages (id, client_id, direction, sent_at, body) VALUES ('M-old', 'demo-0001', 'from_client', 0, 'old')",
    )
    .execute(env.shim.state.store().pool())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO ledger_attachments (id, message_id, client_id, position, file_name, content_type, size, sha256, data) \
         VALUES ('F-old', 'M-old', 'demo-0001', 0, 'old.pdf', 'application/pdf', $1, 'x', $2)",
    )
    .bind(100 * 1024 * 1024 - 100)
    .bind(vec![0u8; 1])
    .execute(env.shim.state.store().pool())
    .await
    .unwrap();
    let r = send_message(&mut c, &key(), "ещё", vec![("a.pdf", "application/pdf", samples::pdf())]).await;
    assert_eq!(r.err(), (413, ErrorCode::StorageQuotaExceeded));
    assert_eq!(count(&env, "ledger_messages").await, messages + 1);
    // A message without files still goes.
    assert_eq!(send_message(&mut c, &key(), "Просто вопрос", vec![]).await.status, 201);
}
