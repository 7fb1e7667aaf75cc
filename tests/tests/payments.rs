//! Card payments through the real shim and the bank simulators of both protocols: the amount
//! is the ledger's, a payment is paid only when the bank's status says so for the amount
//! registered, forged or changed callbacks and a bare return leave it unpaid, identical
//! callbacks at once make one posting, and the reconciler confirms what no callback told us.

// Kopecks are written rubles_kopecks (1_000_00 = 1 000,00 ₽), as people read them.
#![allow(clippy::inconsistent_digit_grouping)]

use std::time::Duration;

use kabinet_api::cabinet::{LoanDetail, LoanOperationKind, LoansView, SavingsView};
use kabinet_api::payments::{Payment, PaymentPreview, PaymentStarted, PaymentStatus, PaymentsView};
use kabinet_api::ErrorCode;
use kabinet_shim::config::{AcquirerKind, Config};
use kabinet_shim::gateways::acquiring::sber::checksum_hex;
use kabinet_shim::gateways::acquiring::simulator::{AcquiringSimulator, SimOrder, CARD_APPROVE, CARD_DECLINE};
use kabinet_shim::gateways::acquiring::{PaymentState, SIMULATOR_CALLBACK_KEY};
use kabinet_tests::client::{Client, Resp};
use kabinet_tests::env::*;
use kabinet_tests::{pdf_text, report, Db};
use serde_json::json;

const RETURN_TO: &str = "http://company.localhost:8000/lk/?tab=1#top";

fn fast(protocol: AcquirerKind) -> impl FnOnce(&mut Config) {
    move |c: &mut Config| {
        c.payments.simulator_protocol = protocol;
        c.payments.worker_interval_secs = 1;
    }
}

fn sim(env: &Env) -> &AcquiringSimulator {
    env.shim.state.acquiring_simulator().expect("test mode runs the acquiring simulator")
}

async fn count(env: &Env, sql: &str) -> i64 {
    let n: (i64,) = sqlx::query_as(sql).fetch_one(env.shim.state.store().pool()).await.unwrap();
    n.0
}

async fn journal(env: &Env, event: &str) -> Vec<String> {
    env.events().await.into_iter().filter(|(e, _)| e == event).map(|(_, d)| d).collect()
}

async fn first_loan(c: &mut Client) -> String {
    let r = c.get("/loans").await;
    assert_eq!(r.status, 200);
    let loans: LoansView = r.json();
    loans.contracts.iter().find(|l| l.closed_on.is_none()).expect("an open loan").id.clone()
}

async fn loan(c: &mut Client, id: &str) -> LoanDetail {
    let r = c.get(&format!("/loans/{id}")).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()
}

async fn start(c: &mut Client, key: &str, body: &serde_json::Value) -> Resp {
    let req = c
        .request(reqwest::Method::POST, "/payments")
        .header("origin", &c.origin)
        .header("content-type", "application/json")
        .header("idempotency-key", key)
        .body(body.to_string());
    c.send(req).await
}

/// Previews the next installment of `loan_id` and starts paying it.
async fn start_installment(c: &mut Client, loan_id: &str) -> (PaymentPreview, PaymentStarted) {
    let r = c.post("/payments/preview", &json!({"contract_id": loan_id, "purpose": "next_installment"})).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let preview: PaymentPreview = r.json();
    let body = json!({"contract_id": loan_id, "purpose": "next_installment", "expected_amount": preview.amount, "return_to": RETURN_TO});
    let r = start(c, &uuid::Uuid::new_v4().to_string(), &body).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    (preview, r.json())
}

fn order(env: &Env, started: &PaymentStarted) -> SimOrder {
    sim(env).order(&started.payment.order_number).expect("the bank has the order")
}

/// Waits (long polling, as the widget does) until the payment is final and, when paid, posted.
async fn settle(c: &mut Client, id: &str) -> Payment {
    let mut p: Payment = c.get(&format!("/payments/{id}")).await.json();
    for _ in 0..40 {
        if p.status.is_final() && (p.status != PaymentStatus::Paid || p.posted) {
            return p;
        }
        let path = format!("/payments/{id}?wait=5&status={}&posted={}", p.status.as_str(), p.posted);
        let r = c.get(&path).await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        p = r.json();
    }
    panic!("payment {id} did not settle: {p:?}");
}

/// Sber callback parameters for an order, signed with the simulator's key (or not).
fn sber_callback(o: &SimOrder, operation: &str, status: &str, amount: Option<i64>, key: &str) -> Vec<(String, String)> {
    let mut params = vec![
        ("mdOrder".to_owned(), o.gateway_order_id.clone()),
        ("orderNumber".to_owned(), o.order_number.clone()),
        ("operation".to_owned(), operation.to_owned()),
        ("status".to_owned(), status.to_owned()),
    ];
    if let Some(a) = amount {
        params.push(("amount".to_owned(), a.to_string()));
    }
    params.push(("checksum".to_owned(), checksum_hex(key.as_bytes(), &params)));
    params
}

async fn post_callback(env: &Env, params: &[(String, String)]) -> u16 {
    let r = reqwest::Client::new()
        .post(format!("{}/callbacks/acquiring/sber", env.shim.loopback))
        .form(params)
        .send()
        .await
        .unwrap();
    r.status().as_u16()
}

async fn payment_operations(c: &mut Client, loan_id: &str) -> usize {
    loan(c, loan_id).await.operations.iter().filter(|o| o.kind == LoanOperationKind::Payment).count()
}

async fn pays_an_installment(db: Db, protocol: AcquirerKind) {
    let engine = if matches!(db, Db::Sqlite) { "SQLite" } else { "PostgreSQL" };
    let env = Env::start(db, fast(protocol)).await;
    let mut c = env.register(MARIA, MARIA_PHONE).await;
    let loan_id = first_loan(&mut c).await;
    let before = loan(&mut c, &loan_id).await;
    let payments_before = payment_operations(&mut c, &loan_id).await;
    let (preview, started) = start_installment(&mut c, &loan_id).await;
    assert!(preview.amount > 0);
    assert_eq!(preview.amount, preview.penalty + preview.interest + preview.principal + preview.advance);
    assert!(preview.interest > 0 && preview.principal > 0, "{preview:?}");
    // Nothing is due today: the payment waits for the next due date, where it is split.
    assert_eq!(preview.applied_on.as_deref(), before.summary.next_payment.as_ref().map(|n| n.date.as_str()));
    assert_eq!(started.payment.status, PaymentStatus::Pending);
    assert_eq!(started.payment.amount, preview.amount);
    // The bank got the ledger's amount and a return to the page the client came from, with the
    // payment named and the fragment gone.
    let o = order(&env, &started);
    assert_eq!(o.amount, preview.amount);
    let back = url::Url::parse(&o.return_url).unwrap();
    assert_eq!(back.path(), "/lk/");
    assert_eq!(back.fragment(), None);
    let q: Vec<(String, String)> = back.query_pairs().into_owned().collect();
    assert_eq!(q, [("tab".to_owned(), "1".to_owned()), ("kabinet_payment".to_owned(), started.payment.id.clone())]);
    assert!(started.payment_url.starts_with(&env.shim.url), "{}", started.payment_url);

    assert_eq!(sim(&env).pay(&o.gateway_order_id, CARD_APPROVE).unwrap(), PaymentState::Paid);
    let paid = settle(&mut c, &started.payment.id).await;
    assert_eq!(paid.status, PaymentStatus::Paid);
    assert!(paid.posted && paid.paid_at.is_some());
    let after = loan(&mut c, &loan_id).await;
    assert_eq!(payment_operations(&mut c, &loan_id).await, payments_before + 1);
    assert!(after.summary.next_payment != before.summary.next_payment || after.summary.principal_balance < before.summary.principal_balance);
    assert_eq!(count(&env, "SELECT COUNT(*) FROM ledger_card_postings").await, 1);
    for event in ["payment_started", "payment_confirmed", "payment_posted"] {
        assert_eq!(journal(&env, event).await.len(), 1, "{event}");
    }
    let list: PaymentsView = c.get("/payments").await.json();
    assert_eq!(list.payments.len(), 1);
    assert_eq!(list.payments[0].status, PaymentStatus::Paid);

    // The receipt is a document with the payment's figures.
    let r = c.get(&format!("/payments/{}/receipt", started.payment.id)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/pdf"));
    let text = pdf_text(&r.body);
    assert!(text.contains(&started.payment.order_number), "{text}");
    assert!(text.contains(&kabinet_api::cabinet::format_rub(preview.amount)), "{text}");
    assert!(text.contains("Квитанция"), "{text}");

    // A malformed status request gets the API's error body, not a framework's text.
    for bad in ["?wait=soon", "?status=lost", "?posted=maybe", "?wait=5&colour=red"] {
        let r = c.get(&format!("/payments/{}{bad}", started.payment.id)).await;
        assert_eq!(r.err(), (400, ErrorCode::BadRequest), "{bad}");
    }
    assert_eq!(c.get("/payments/not-a-payment-of-yours").await.err(), (404, ErrorCode::NotFound));

    // Another client sees none of it.
    let mut other = env.register(SERGEY, SERGEY_PHONE).await;
    for path in [format!("/payments/{}", started.payment.id), format!("/payments/{}/receipt", started.payment.id)] {
        assert_eq!(other.get(&path).await.err(), (404, ErrorCode::NotFound), "{path}");
    }
    let r = other.post("/payments/preview", &json!({"contract_id": loan_id, "purpose": "next_installment"})).await;
    assert_eq!(r.err(), (404, ErrorCode::NotFound));
    let list: PaymentsView = other.get("/payments").await.json();
    assert!(list.payments.is_empty());
    report(&format!("payments: {protocol:?} installment paid, posted once, receipt issued ({engine})"));
}

#[tokio::test]
async fn sber_pays_an_installment_on_sqlite() {
    pays_an_installment(Db::Sqlite, AcquirerKind::Sber).await;
}

#[tokio::test]
async fn payler_pays_an_installment_on_postgres() {
    pays_an_installment(Db::Postgres(kabinet_tests::postgres_server_url()), AcquirerKind::Payler).await;
}

async fn declined_changes_nothing(protocol: AcquirerKind) {
    let env = Env::start(Db::Sqlite, fast(protocol)).await;
    let mut c = env.register(MARIA, MARIA_PHONE).await;
    let loan_id = first_loan(&mut c).await;
    let before = loan(&mut c, &loan_id).await;
    let (_, started) = start_installment(&mut c, &loan_id).await;
    let o = order(&env, &started);
    assert_eq!(sim(&env).pay(&o.gateway_order_id, CARD_DECLINE).unwrap(), PaymentState::Declined);
    let p = settle(&mut c, &started.payment.id).await;
    assert_eq!(p.status, PaymentStatus::Declined);
    assert!(!p.posted);
    assert_eq!(loan(&mut c, &loan_id).await, before);
    assert_eq!(count(&env, "SELECT COUNT(*) FROM payment_outbox").await, 0);
    assert_eq!(journal(&env, "payment_declined").await.len(), 1);
    assert_eq!(c.get(&format!("/payments/{}/receipt", started.payment.id)).await.err(), (409, ErrorCode::DocumentNotAvailable));
}

#[tokio::test]
async fn a_declined_card_changes_nothing() {
    declined_changes_nothing(AcquirerKind::Sber).await;
    declined_changes_nothing(AcquirerKind::Payler).await;
}

#[tokio::test]
async fn forged_changed_and_bare_returns_leave_the_payment_unpaid() {
    let env = Env::start(Db::Sqlite, fast(AcquirerKind::Sber)).await;
    let mut c = env.register(MARIA, MARIA_PHONE).await;
    let loan_id = first_loan(&mut c).await;
    let (_, started) = start_installment(&mut c, &loan_id).await;
    let id = started.payment.id.clone();
    let o = order(&env, &started);
    let pending = |p: &Payment| p.status == PaymentStatus::Pending && !p.posted;

    // A bare return: the client comes back without paying; asking the shim asks the bank,
    // which says pending.
    let p: Payment = c.get(&format!("/payments/{id}?wait=2&status=pending&posted=false")).await.json();
    assert!(pending(&p), "{p:?}");

    // Forged: a wrong key, an unsigned callback, a tampered field after signing.
    let forged = sber_callback(&o, "deposited", "1", None, "not-the-key");
    assert_eq!(post_callback(&env, &forged).await, 400);
    let mut unsigned = sber_callback(&o, "deposited", "1", None, SIMULATOR_CALLBACK_KEY);
    unsigned.retain(|(k, _)| k != "checksum");
    assert_eq!(post_callback(&env, &unsigned).await, 400);
    let mut tampered = sber_callback(&o, "deposited", "0", None, SIMULATOR_CALLBACK_KEY);
    tampered[3].1 = "1".into();
    assert_eq!(post_callback(&env, &tampered).await, 400);
    // A genuine callback while the bank still says pending changes nothing either: the
    // callback is only a reason to ask.
    assert_eq!(post_callback(&env, &sber_callback(&o, "deposited", "1", None, SIMULATOR_CALLBACK_KEY)).await, 200);
    // A signed callback naming another amount.
    let changed = sber_callback(&o, "deposited", "1", Some(o.amount - 1_000_00), SIMULATOR_CALLBACK_KEY);
    assert_eq!(post_callback(&env, &changed).await, 400);
    let p: Payment = c.get(&format!("/payments/{id}")).await.json();
    assert!(pending(&p), "{p:?}");

    // The bank itself reports another amount as paid: nothing is credited.
    sim(&env).suppress_callbacks(true);
    sim(&env).pay(&o.gateway_order_id, CARD_APPROVE).unwrap();
    sim(&env).set_amount(&o.gateway_order_id, o.amount + 1).unwrap();
    assert_eq!(post_callback(&env, &sber_callback(&o, "deposited", "1", None, SIMULATOR_CALLBACK_KEY)).await, 200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let p: Payment = c.get(&format!("/payments/{id}?wait=1&status=pending&posted=false")).await.json();
    assert!(pending(&p), "{p:?}");
    assert_eq!(count(&env, "SELECT COUNT(*) FROM payment_outbox").await, 0);
    assert_eq!(count(&env, "SELECT COUNT(*) FROM ledger_card_postings").await, 0);
    assert!(!journal(&env, "payment_mismatch").await.is_empty());
    assert_eq!(journal(&env, "payment_callback_rejected").await.len(), 4);
    // Every callback was kept as received.
    assert_eq!(count(&env, "SELECT COUNT(*) FROM payment_callbacks").await, 6);
    assert_eq!(count(&env, "SELECT COUNT(*) FROM payment_callbacks WHERE verdict = 'bad_signature'").await, 2);
    assert_eq!(count(&env, "SELECT COUNT(*) FROM payment_callbacks WHERE verdict = 'amount_mismatch'").await, 1);

    // A flood of junk from one address: refused all the same, but past 30 a minute neither
    // stored nor journaled, and what is stored is cut to an excerpt.
    let mut junk = forged.clone();
    junk.push(("padding".to_owned(), "x".repeat(6000)));
    for _ in 0..40 {
        assert_eq!(post_callback(&env, &junk).await, 400);
    }
    assert_eq!(count(&env, "SELECT COUNT(*) FROM payment_callbacks").await, 6 + 26);
    assert_eq!(journal(&env, "payment_callback_rejected").await.len(), 30);
    assert!(count(&env, "SELECT MAX(LENGTH(raw)) FROM payment_callbacks").await <= 1024);
    let p: Payment = c.get(&format!("/payments/{id}")).await.json();
    assert!(pending(&p), "{p:?}");
}

#[tokio::test]
async fn eight_identical_callbacks_make_one_posting() {
    for db in [Db::Sqlite, Db::Postgres(kabinet_tests::postgres_server_url())] {
        let engine = if matches!(db, Db::Sqlite) { "SQLite" } else { "PostgreSQL" };
        let env = Env::start(db, fast(AcquirerKind::Sber)).await;
        let mut c = env.register(MARIA, MARIA_PHONE).await;
        let loan_id = first_loan(&mut c).await;
        let before = payment_operations(&mut c, &loan_id).await;
        let (_, started) = start_installment(&mut c, &loan_id).await;
        let o = order(&env, &started);
        sim(&env).suppress_callbacks(true);
        sim(&env).pay(&o.gateway_order_id, CARD_APPROVE).unwrap();
        let params = sber_callback(&o, "deposited", "1", None, SIMULATOR_CALLBACK_KEY);
        let mut sends = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let (url, params) = (format!("{}/callbacks/acquiring/sber", env.shim.loopback), params.clone());
            sends.spawn(async move { reqwest::Client::new().post(url).form(&params).send().await.unwrap().status().as_u16() });
        }
        let statuses = sends.join_all().await;
        assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
        let p = settle(&mut c, &started.payment.id).await;
        assert!(p.posted);
        // And once more after everything settled.
        assert_eq!(post_callback(&env, &params).await, 200);
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(payment_operations(&mut c, &loan_id).await, before + 1);
        assert_eq!(count(&env, "SELECT COUNT(*) FROM ledger_card_postings").await, 1);
        assert_eq!(count(&env, "SELECT COUNT(*) FROM payment_outbox").await, 1);
        assert_eq!(journal(&env, "payment_confirmed").await.len(), 1);
        assert_eq!(journal(&env, "payment_posted").await.len(), 1);
        report(&format!("payments: 9 identical callbacks, 1 posting ({engine})"));
    }
}

#[tokio::test]
async fn the_reconciler_confirms_a_payment_whose_callback_never_came() {
    let env = Env::start(Db::Sqlite, fast(AcquirerKind::Sber)).await;
    let mut c = env.register(MARIA, MARIA_PHONE).await;
    let loan_id = first_loan(&mut c).await;
    let (_, started) = start_installment(&mut c, &loan_id).await;
    let o = order(&env, &started);
    sim(&env).suppress_callbacks(true);
    sim(&env).pay(&o.gateway_order_id, CARD_APPROVE).unwrap();
    // Nobody asks: before the reconciler's first look (15 minutes) the payment stays pending.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let status: (String,) = sqlx::query_as("SELECT status FROM payments WHERE id = $1")
        .bind(&started.payment.id)
        .fetch_one(env.shim.state.store().pool())
        .await
        .unwrap();
    assert_eq!(status.0, "pending");
    env.advance(15 * 60 + 1);
    let mut posted = false;
    for _ in 0..50 {
        let row: (String, Option<i64>) = sqlx::query_as("SELECT status, posted_at FROM payments WHERE id = $1")
            .bind(&started.payment.id)
            .fetch_one(env.shim.state.store().pool())
            .await
            .unwrap();
        if row.0 == "paid" && row.1.is_some() {
            posted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(posted, "the reconciler did not confirm the payment");
    let confirmed = journal(&env, "payment_confirmed").await;
    assert!(confirmed[0].contains("сверка"), "{confirmed:?}");
    assert_eq!(count(&env, "SELECT COUNT(*) FROM ledger_card_postings").await, 1);
}

#[tokio::test]
async fn the_amount_is_the_ledgers_and_bad_requests_change_nothing() {
    let env = Env::start(Db::Sqlite, fast(AcquirerKind::Sber)).await;
    let mut c = env.register(MARIA, MARIA_PHONE).await;
    let loan_id = first_loan(&mut c).await;
    let preview: PaymentPreview =
        c.post("/payments/preview", &json!({"contract_id": loan_id, "purpose": "next_installment"})).await.json();
    let body = |extra: serde_json::Value| {
        let mut b = json!({"contract_id": loan_id, "purpose": "next_installment", "expected_amount": preview.amount, "return_to": RETURN_TO});
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    let key = || uuid::Uuid::new_v4().to_string();
    // The browser cannot name the amount of an installment…
    assert_eq!(start(&mut c, &key(), &body(json!({"amount": 1_00}))).await.err(), (422, ErrorCode::AmountOutOfRange));
    // …nor charge one other than the ledger's.
    let r = start(&mut c, &key(), &body(json!({"expected_amount": 1_00}))).await;
    assert_eq!(r.err(), (409, ErrorCode::PaymentAmountChanged));
    // Custom amounts: at least 1 ₽, at most what closes the loan.
    let custom = |amount: i64| json!({"contract_id": loan_id, "purpose": "custom", "amount": amount});
    assert_eq!(c.post("/payments/preview", &custom(99)).await.err(), (422, ErrorCode::AmountOutOfRange));
    assert_eq!(c.post("/payments/preview", &custom(i64::MAX)).await.err(), (422, ErrorCode::AmountAbovePayoff));
    let p: PaymentPreview = c.post("/payments/preview", &custom(5_000_00)).await.json();
    assert_eq!(p.amount, 5_000_00);
    // Returns only to the organisation's pages.
    for bad in ["https://evil.ru/lk", "http://company.localhost:8000.evil.ru/", "javascript:alert(1)", "http://user:pw@company.localhost:8000/"] {
        let r = start(&mut c, &key(), &body(json!({"return_to": bad}))).await;
        assert_eq!(r.err(), (422, ErrorCode::ReturnUrlNotAllowed), "{bad}");
    }
    // Savings: a top-up only where the product allows it; a loan purpose is not a top-up.
    let savings: SavingsView = c.get("/savings").await.json();
    let s = &savings.contracts[0];
    let r = c.post("/payments/preview", &json!({"contract_id": s.id, "purpose": "top_up", "amount": 1_000_00})).await;
    if s.top_up_allowed {
        let p: PaymentPreview = r.json();
        assert_eq!(p.balance_after, s.balance + 1_000_00);
    } else {
        assert_eq!(r.err(), (409, ErrorCode::TopUpNotAllowed));
    }
    let r = c.post("/payments/preview", &json!({"contract_id": loan_id, "purpose": "top_up", "amount": 1_000_00})).await;
    assert_eq!(r.err(), (404, ErrorCode::NotFound));
    // Unknown fields are refused, not ignored.
    let r = c.post("/payments/preview", &json!({"contract_id": loan_id, "purpose": "next_installment", "price": 1})).await;
    assert_eq!(r.status, 400);
    assert_eq!(count(&env, "SELECT COUNT(*) FROM payments").await, 0);
    assert!(sim(&env).orders().is_empty());

    // A bank that does not answer: a clear 503 and nothing to pay.
    sim(&env).fail_next(1);
    let r = start(&mut c, &key(), &body(json!({}))).await;
    assert_eq!(r.err(), (503, ErrorCode::PaymentsUnavailable));
    let list: PaymentsView = c.get("/payments").await.json();
    assert!(list.payments.is_empty());
    // The same key twice starts one payment.
    let k = key();
    let a: PaymentStarted = start(&mut c, &k, &body(json!({}))).await.json();
    let b: PaymentStarted = start(&mut c, &k, &body(json!({}))).await.json();
    assert_eq!(a, b);
    assert_eq!(sim(&env).orders().len(), 1);
}

/// Waits for the payment's row to satisfy `done` (reading the shim's own database).
async fn wait_row(env: &Env, id: &str, what: &str, done: impl Fn(&str, Option<i64>, i64) -> bool) {
    for _ in 0..100 {
        let row: (String, Option<i64>, i64) = sqlx::query_as(
            "SELECT p.status, p.posted_at, COALESCE(o.attempts, 0) FROM payments p \
             LEFT JOIN payment_outbox o ON o.payment_id = p.id WHERE p.id = $1",
        )
        .bind(id)
        .fetch_one(env.shim.state.store().pool())
        .await
        .unwrap();
        if done(&row.0, row.1, row.2) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("payment {id}: {what} did not happen");
}

#[tokio::test]
async fn postings_survive_a_broken_accounting_system_and_a_lost_answer() {
    use kabinet_shim::clock::ManualClock;
    use kabinet_tests::faulty::{Fault, FaultyAccounting};
    let accounting = FaultyAccounting::start().await;
    let adapter = accounting.client_config(2, 1);
    let dir = tempfile::tempdir().unwrap();
    let db = kabinet_tests::database_url(&Db::Sqlite, dir.path()).await;
    // Accounting seeded its contracts relative to the real day; the shim's clock starts there.
    let clock = ManualClock::new(time::OffsetDateTime::now_utc());
    let env = Env::start_on(&db, dir, clock, move |c| {
        c.accounting = adapter;
        c.payments.worker_interval_secs = 1;
    })
    .await;
    let mut c = env.register(MARIA, MARIA_PHONE).await;
    let loan_id = first_loan(&mut c).await;
    let before = payment_operations(&mut c, &loan_id).await;

    // Accounting is down when the bank confirms: paid, not posted, retried after a backoff.
    let (_, started) = start_installment(&mut c, &loan_id).await;
    accounting.set(Fault::Fail);
    sim(&env).pay(&order(&env, &started).gateway_order_id, CARD_APPROVE).unwrap();
    wait_row(&env, &started.payment.id, "a failed posting", |s, posted, attempts| s == "paid" && posted.is_none() && attempts >= 1).await;
    let p: Payment = c.get(&format!("/payments/{}", started.payment.id)).await.json();
    assert_eq!((p.status, p.posted), (PaymentStatus::Paid, false));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let attempts = count(&env, "SELECT MAX(attempts) FROM payment_outbox").await;
    assert_eq!(attempts, 1, "the next attempt waits for its backoff");
    accounting.set(Fault::None);
    env.advance(6);
    wait_row(&env, &started.payment.id, "the retried posting", |_, posted, _| posted.is_some()).await;
    assert_eq!(payment_operations(&mut c, &loan_id).await, before + 1);

    // Accounting takes the posting but its answer is lost: the retry is told it is a repeat,
    // and the loan has one payment more, not two.
    let (_, started) = start_installment(&mut c, &loan_id).await;
    accounting.lose_next_write_answers(1);
    sim(&env).pay(&order(&env, &started).gateway_order_id, CARD_APPROVE).unwrap();
    wait_row(&env, &started.payment.id, "a lost answer", |s, _, attempts| s == "paid" && attempts >= 1).await;
    env.advance(6);
    wait_row(&env, &started.payment.id, "the repeated posting", |_, posted, _| posted.is_some()).await;
    assert_eq!(payment_operations(&mut c, &loan_id).await, before + 2);
    let posted = journal(&env, "payment_posted").await;
    assert_eq!(posted.len(), 2);
    assert!(posted[1].contains("повторная отправка"), "{posted:?}");
}
