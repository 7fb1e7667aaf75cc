//! The «Информация» block through the real shim: each client sees exactly their own loans,
//! savings and contributions as the ledger computes them; another client's ids answer 404 on
//! every route and are journaled (A21); reads are limited per session and minute (A22).

// Kopecks are written rubles_kopecks (1_000_00 = 1 000,00 ₽), as people read them.
#![allow(clippy::inconsistent_digit_grouping)]

use kabinet_api::cabinet::{ContractStatus, ContributionsView, DocumentKind, LoanDetail, LoansView, SavingsDetail, SavingsView};
use kabinet_api::ErrorCode;
use kabinet_shim::accounting::business_day;
use kabinet_tests::client::Client;
use kabinet_tests::env::*;
use kabinet_tests::Db;

const ANNA: &str = "Смирнова Анна Викторовна";
const ANNA_PHONE: &str = "+79235550102";

fn today(env: &Env) -> time::Date {
    business_day(env.shim.state.now())
}

async fn rows(env: &Env) -> Vec<kabinet_shim::audit::AuditRow> {
    env.shim.state.store().audit_rows(0, 100_000).await.unwrap()
}

/// Every id a client can name: their contracts (loans and savings).
async fn ids(c: &mut Client) -> (Vec<String>, Vec<String>) {
    let loans: LoansView = c.get("/loans").await.json();
    let savings: SavingsView = c.get("/savings").await.json();
    (loans.contracts.into_iter().map(|l| l.id).collect(), savings.contracts.into_iter().map(|s| s.id).collect())
}

#[tokio::test]
async fn each_client_sees_their_own_contracts_as_the_ledger_computes_them() {
    let env = Env::start(Db::Sqlite, |_| {}).await;
    let mut maria = env.register(MARIA, MARIA_PHONE).await;
    let mut sergey = env.register(SERGEY, SERGEY_PHONE).await;
    let accounting = env.shim.state.accounting().clone();
    let day = today(&env);

    let loans: LoansView = maria.get("/loans").await.json();
    assert_eq!(loans, accounting.loans("demo-0001", day).await.unwrap());
    assert_eq!(loans.contracts.len(), 1);
    assert_eq!(loans.contracts[0].status, ContractStatus::Active);
    assert_eq!(loans.applications.len(), 1);
    let detail: LoanDetail = maria.get(&format!("/loans/{}", loans.contracts[0].id)).await.json();
    assert_eq!(Some(&detail), accounting.loan("demo-0001", &loans.contracts[0].id, day).await.unwrap().as_ref());
    assert_eq!(detail.schedule.len(), 12);

    let savings: SavingsView = maria.get("/savings").await.json();
    assert_eq!(savings, accounting.savings("demo-0001", day).await.unwrap());
    assert!(savings.contracts[0].capitalisation);
    let s: SavingsDetail = maria.get(&format!("/savings/{}", savings.contracts[0].id)).await.json();
    assert_eq!(s.summary.number, savings.contracts[0].number);

    let contributions: ContributionsView = maria.get("/contributions").await.json();
    assert_eq!(contributions.returnable.balance, 1_000_00);
    assert_eq!(contributions.membership.balance, 500_00 + 4 * 100_00);

    // Петров: one overdue loan with penalty, one closed; a membership debt.
    let loans: LoansView = sergey.get("/loans").await.json();
    let statuses: Vec<_> = loans.contracts.iter().map(|c| c.status).collect();
    assert_eq!(statuses, vec![ContractStatus::Overdue, ContractStatus::Closed]);
    let overdue = &loans.contracts[0];
    assert!(overdue.overdue_amount > 0 && overdue.overdue_days > 0 && overdue.penalty > 0, "{overdue:?}");
    let c: ContributionsView = sergey.get("/contributions").await.json();
    assert!(c.membership.balance < 0, "a charged yearly fee not paid is a debt");

    let journal = rows(&env).await;
    let viewed: Vec<_> = journal.iter().filter(|r| r.event == "contract_viewed").collect();
    assert_eq!(viewed.len(), 2);
    assert!(viewed[0].subject.contains(&detail.summary.number), "{:?}", viewed[0]);
    assert_eq!(viewed[0].client_id, "demo-0001");
    assert_eq!(viewed[0].client_name, MARIA);
    assert!(!viewed[0].session_id.is_empty());
    let sections = journal.iter().filter(|r| r.event == "section_viewed").count();
    assert_eq!(sections, 5);
}

#[tokio::test]
async fn another_clients_objects_answer_404_on_every_route_and_are_journaled() {
    let env = Env::start(Db::Sqlite, |_| {}).await;
    let mut clients = [
        ("demo-0001", env.register(MARIA, MARIA_PHONE).await),
        ("demo-0002", env.register(SERGEY, SERGEY_PHONE).await),
        ("demo-0003", env.register(ANNA, ANNA_PHONE).await),
    ];
    let mut owned = Vec::new();
    for (_, c) in clients.iter_mut() {
        owned.push(ids(c).await);
    }
    let made_up = ["demo-loan-999", "..", "L-00000000000000000000000000000000", "demo-loan-1'--", "%2e%2e%2fdemo-loan-1"];
    let mut asked = 0;
    for (i, (client_id, c)) in clients.iter_mut().enumerate() {
        let foreign: Vec<(String, String)> = owned
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .flat_map(|(_, (loans, savings))| {
                loans.iter().map(|l| ("loans".to_string(), l.clone())).chain(savings.iter().map(|s| ("savings".to_string(), s.clone())))
            })
            .chain(made_up.iter().flat_map(|m| [("loans".to_string(), m.to_string()), ("savings".to_string(), m.to_string())]))
            .collect();
        assert!(foreign.len() >= 10, "the matrix must hold the other clients' contracts");
        for (kind, id) in &foreign {
            let mut paths = vec![format!("/{kind}/{id}")];
            for doc in DocumentKind::ALL {
                paths.push(format!("/{kind}/{id}/documents/{}?year=2026&from=2026-01-01&to=2026-12-31", doc.slug()));
            }
            for path in paths {
                let r = c.get(&path).await;
                asked += 1;
                assert_eq!(r.err(), (404, ErrorCode::NotFound), "{client_id} asked {path}");
                // Never a hint of what the object holds.
                assert!(!String::from_utf8_lossy(&r.body).contains("number"), "{path}");
                env.advance(2); // stay under the read limit: this is a matrix, not a scan
            }
        }
    }
    let journal = rows(&env).await;
    let denied: Vec<_> = journal.iter().filter(|r| r.event == "object_not_found").collect();
    assert!(denied.len() >= asked / 2, "{} journaled of {asked} asked", denied.len());
    // The other clients' real ids are each journaled against the client who asked.
    let sergeys_loan = &owned[1].0[0];
    assert!(denied.iter().any(|r| r.client_id == "demo-0001" && r.subject.contains(sergeys_loan.as_str())));
    assert!(journal.iter().all(|r| r.event != "files_received"), "no document was issued");
    assert!(journal.iter().all(|r| r.event != "contract_viewed"), "no contract was shown");
}

#[tokio::test]
async fn the_routes_need_a_session() {
    let env = Env::start(Db::Sqlite, |_| {}).await;
    let mut c = env.client();
    for path in ["/loans", "/loans/demo-loan-1", "/savings", "/savings/demo-savings-1", "/contributions", "/loans/demo-loan-1/documents/schedule"] {
        assert_eq!(c.get(path).await.err(), (401, ErrorCode::Unauthenticated), "{path}");
    }
}

#[tokio::test]
async fn more_than_60_reads_a_minute_get_429_and_one_alert() {
    let env = Env::start(Db::Sqlite, |_| {}).await;
    let mut maria = env.register(MARIA, MARIA_PHONE).await;
    env.advance(120); // registration's own reads leave the window
    let mut statuses = Vec::new();
    for i in 0..70 {
        let path = if i % 2 == 0 { "/contributions".to_string() } else { format!("/loans/scan-{i}") };
        statuses.push(maria.get(&path).await);
    }
    assert!(statuses[..60].iter().all(|r| r.status != 429));
    for r in &statuses[60..] {
        assert_eq!(r.err(), (429, ErrorCode::RateLimited));
        assert_eq!(r.retry_after(), Some(60), "all 70 reads fell in one second, which leaves the window in 60 s");
    }
    let journal = rows(&env).await;
    assert_eq!(journal.iter().filter(|r| r.event == "reads_limited").count(), 1, "one alert row per burst");
    // Another client is not affected, and a minute later the person may read again.
    let mut sergey = env.register(SERGEY, SERGEY_PHONE).await;
    assert_eq!(sergey.get("/contributions").await.status, 200);
    env.advance(60);
    assert_eq!(maria.get("/contributions").await.status, 200);

    // No loophole at a minute's edge: 40 reads, 15 s later 40 more — only 20 of those fit.
    env.advance(120);
    for _ in 0..40 {
        assert_eq!(sergey.get("/contributions").await.status, 200);
    }
    env.advance(15);
    let later: Vec<u16> = {
        let mut v = Vec::new();
        for _ in 0..40 {
            v.push(sergey.get("/contributions").await.status);
        }
        v
    };
    assert_eq!(later.iter().filter(|s| **s == 200).count(), 20, "{later:?}");
    let r = sergey.get("/contributions").await;
    assert_eq!(r.retry_after(), Some(45), "the first 40 leave the window 60 s after they came");
}

#[tokio::test]
async fn documents_download_as_pdfs_that_the_verify_page_vouches_for() {
    use sha2::Digest;
    let env = Env::start(Db::Sqlite, |_| {}).await;
    let mut maria = env.register(MARIA, MARIA_PHONE).await;
    let loans: LoansView = maria.get("/loans").await.json();
    let loan = &loans.contracts[0];

    let r = maria.get(&format!("/loans/{}/documents/schedule", loan.id)).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("content-type"), Some("application/pdf"));
    assert!(r.header("content-disposition").unwrap().starts_with("attachment; filename=\""), "{:?}", r.header("content-disposition"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let text = kabinet_tests::pdf_text(&r.body);
    assert!(text.contains("График платежей"), "{text}");
    assert!(text.contains(&loan.number), "{text}");
    let detail: LoanDetail = maria.get(&format!("/loans/{}", loan.id)).await.json();
    for inst in &detail.schedule {
        assert!(text.contains(&kabinet_api::cabinet::format_rub(inst.total)), "installment {} total in {text}", inst.n);
    }
    // The verification code printed in the PDF opens the public page, which shows its hash.
    let journal = rows(&env).await;
    let issued = journal.iter().rfind(|r| r.event == "files_received").expect("the download is journaled");
    assert!(issued.subject.contains(&loan.number), "{issued:?}");
    let code = issued.description.split_whitespace().nth(2).unwrap().trim_end_matches(';').to_string();
    assert!(text.contains(&code), "code {code} printed in the PDF");
    let page = reqwest::get(format!("{}/verify/{code}", env.shim.loopback)).await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let sha = hex::encode(sha2::Sha256::digest(&r.body));
    assert!(html.contains(&sha), "the page shows the SHA-256 of the bytes downloaded");
    assert!(html.contains(&loan.number));
    assert!(!html.contains("Иванова"), "no personal data on a public page");
    let missing = reqwest::get(format!("{}/verify/ABCD-EFGH-JKMN", env.shim.loopback)).await.unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("не найден"));

    // Acts and certificates: the period is checked, and what does not apply is refused.
    let act = maria.get(&format!("/loans/{}/documents/act?from={}&to={}", loan.id, loan.date, loans.as_of)).await;
    assert_eq!(act.status, 200);
    assert!(kabinet_tests::pdf_text(&act.body).contains("Акт сверки"));
    for bad in ["from=2026-13-01&to=2026-12-31", "from=2030-01-01&to=2029-01-01", "from=yesterday", "year=abc", "to=2026-01-01&evil=1"] {
        let r = maria.get(&format!("/loans/{}/documents/act?{bad}", loan.id)).await;
        assert_eq!(r.err(), (422, ErrorCode::InvalidPeriod), "{bad}");
    }
    let r = maria.get(&format!("/loans/{}/documents/no-debt-certificate", loan.id)).await;
    assert_eq!(r.err(), (409, ErrorCode::DocumentNotAvailable), "the loan is not repaid");
    let r = maria.get(&format!("/loans/{}/documents/interest-income-certificate", loan.id)).await;
    assert_eq!(r.err(), (409, ErrorCode::DocumentNotAvailable), "a savings certificate for a loan");
    assert_eq!(maria.get(&format!("/loans/{}/documents/passport", loan.id)).await.err(), (404, ErrorCode::NotFound));
    let year = &loans.as_of[..4];
    let r = maria.get(&format!("/loans/{}/documents/interest-paid-certificate?year={year}", loan.id)).await;
    assert_eq!(r.status, 200);
    let r = maria.get(&format!("/loans/{}/documents/debt-certificate", loan.id)).await;
    assert!(kabinet_tests::pdf_text(&r.body).contains(&kabinet_api::cabinet::format_rub(loan.principal_balance)));

    // A closed loan has its no-debt certificate; savings have their income certificate.
    let mut sergey = env.register(SERGEY, SERGEY_PHONE).await;
    let loans: LoansView = sergey.get("/loans").await.json();
    let closed = loans.contracts.iter().find(|c| c.status == ContractStatus::Closed).unwrap();
    let r = sergey.get(&format!("/loans/{}/documents/no-debt-certificate", closed.id)).await;
    assert_eq!(r.status, 200);
    assert!(kabinet_tests::pdf_text(&r.body).contains("отсутствии задолженности"));
    let savings: SavingsView = maria.get("/savings").await.json();
    let r = maria.get(&format!("/savings/{}/documents/interest-income-certificate?year={year}", savings.contracts[0].id)).await;
    assert_eq!(r.status, 200);
    let r = maria.get(&format!("/savings/{}/documents/schedule", savings.contracts[0].id)).await;
    assert_eq!(r.status, 200);
    let downloads = rows(&env).await.iter().filter(|r| r.event == "files_received").count();
    assert_eq!(downloads, 7, "every download, and only downloads that happened, is journaled");
}

#[tokio::test]
async fn when_accounting_fails_or_hangs_the_cabinet_answers_503_in_bounded_time_and_recovers() {
    use kabinet_tests::faulty::{Fault, FaultyAccounting};
    let accounting = FaultyAccounting::start().await;
    let adapter = accounting.client_config(1, 1);
    let env = Env::start(Db::Sqlite, move |c| c.accounting = adapter).await;
    let mut maria = env.register(MARIA, MARIA_PHONE).await;
    assert_eq!(maria.get("/loans").await.status, 200, "through the contract");
    for fault in [Fault::Fail, Fault::Hang] {
        accounting.set(fault);
        for path in ["/loans", "/savings", "/contributions", "/loans/demo-loan-1", "/loans/demo-loan-1/documents/schedule"] {
            let started = std::time::Instant::now();
            let r = maria.get(path).await;
            assert_eq!(r.err(), (503, ErrorCode::AccountingUnavailable), "{fault:?} {path}");
            // One retry of a 1 s timeout: about 2 s for a hang, at once for a failure.
            assert!(started.elapsed() < std::time::Duration::from_secs(10), "{fault:?} {path}: {:?}", started.elapsed());
            let body: kabinet_api::ApiError = r.json();
            assert!(body.message.contains("Учётная система"), "{}", body.message);
        }
    }
    accounting.set(Fault::None);
    assert_eq!(maria.get("/loans").await.status, 200, "recovered");
    let journal = rows(&env).await;
    assert!(journal.iter().all(|r| r.event != "files_received"), "nothing issued while accounting was down");
}
