//! The operator's commands as run on a server: `kabinet-shim audit keygen | checkpoint | verify`.

use std::process::Command;
use std::sync::Arc;

use kabinet_shim::audit::{AuditEntry, EventKind, Journal};
use kabinet_shim::clock::SystemClock;
use kabinet_shim::storage::Store;

fn shim(dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kabinet-shim"))
        .args(args)
        .env("KABINET_MODE", "test")
        .env("KABINET_DATABASE_URL", db_url(dir))
        .env("KABINET_AUDIT__SIGNING_KEY_PATH", dir.join("audit.key"))
        .env("KABINET_AUDIT__CHECKPOINT_PATH", dir.join("checkpoints.jsonl"))
        .output()
        .expect("run kabinet-shim");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn db_url(dir: &std::path::Path) -> String {
    format!("sqlite://{}?mode=rwc", dir.join("kabinet.db").display())
}

#[tokio::test]
async fn audit_commands_name_the_first_bad_row() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&db_url(dir.path())).await.unwrap();
    let journal = Journal::new(store.clone(), Arc::new(SystemClock));
    for i in 0..5 {
        journal.record(AuditEntry::new(EventKind::CabinetOpened, "Офис №1").description(format!("{i}"))).await.unwrap();
    }

    let (code, out, err) = shim(dir.path(), &["audit", "keygen"]);
    assert_eq!(code, 0, "{err}");
    let public_key = out.trim().to_owned();
    assert_eq!(public_key.len(), 64);

    let (code, out, _) = shim(dir.path(), &["audit", "checkpoint"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("checkpoint: row 5 "), "{out}");

    let (code, out, _) = shim(dir.path(), &["audit", "verify", "--public-key", &public_key]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.trim(), "OK: 5 rows, 1 checkpoints, last checkpoint at row 5");

    // Another key does not vouch for these checkpoints.
    let (code, out, _) = shim(dir.path(), &["audit", "verify", "--public-key", &"11".repeat(32)]);
    assert_eq!(code, 1);
    assert!(out.contains("checkpoint on line 1: signature invalid"), "{out}");

    sqlx::query("DROP TRIGGER audit_log_no_update").execute(store.pool()).await.unwrap();
    sqlx::query("UPDATE audit_log SET ip = '10.0.0.1' WHERE seq = 3").execute(store.pool()).await.unwrap();
    let (code, out, _) = shim(dir.path(), &["audit", "verify"]);
    assert_eq!(code, 1);
    assert_eq!(out.trim(), "FAILED: row 3: content does not match its hash (row altered)");
    store.close().await;
}

#[test]
fn a_bad_configuration_stops_with_a_clear_message() {
    let out = Command::new(env!("CARGO_BIN_EXE_kabinet-shim"))
        .args(["check-config"])
        .env("KABINET_MODE", "production")
        .env("KABINET_GATEWAYS__SMS_API_KEY", "k")
        .env("KABINET_AUTH__CODE_SECRET", "0123456789abcdef0123456789abcdef")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("production mode refuses the SMS simulator"), "{err}");

    let out = Command::new(env!("CARGO_BIN_EXE_kabinet-shim"))
        .args(["check-config"])
        .env("KABINET_ORG__ALLOWED_ORIGINS", "[\"*\"]")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("wildcards are not allowed"));
}

/// The built-in ledger from the command line, as a small cooperative's operator runs it: a
/// client, a product, a loan with its schedule, a payment; and every refusal leaves the
/// ledger as it was.
#[tokio::test]
async fn the_ledger_runs_from_the_command_line_and_refuses_bad_input_without_changes() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| shim(dir.path(), args);
    let ok = |args: &[&str]| {
        let (code, out, err) = run(args);
        assert_eq!(code, 0, "{args:?}: {out}{err}");
        out
    };
    ok(&["ledger", "client", "--id", "1001", "--name", "Соколова Ольга Игоревна", "--phone", "+7 903 555-12-34"]);
    ok(&[
        "ledger", "product", "--id", "potreb", "--kind", "loan", "--name", "Потребительский", "--rate", "24,9",
        "--min-amount", "10000", "--max-amount", "1000000", "--min-term", "3", "--max-term", "36", "--repayment", "annuity",
    ]);
    let out = ok(&[
        "ledger", "loan", "open", "--client", "1001", "--product", "potreb", "--number", "З-2026/0200", "--amount", "300000",
        "--term", "12", "--date", "2026-01-20",
    ]);
    // The installment of docs/ledger.md's reference case `annuity`.
    assert!(out.contains("28\u{a0}498,70"), "{out}");
    assert_eq!(out.lines().filter(|l| l.contains("Planned")).count(), 12, "{out}");
    ok(&["ledger", "loan", "pay", "--loan", "З-2026/0200", "--amount", "28 498,70", "--date", "2026-02-20"]);
    let out = ok(&["ledger", "loan", "show", "--client", "1001", "--loan", "З-2026/0200", "--as-of", "2026-02-21"]);
    assert!(out.lines().any(|l| l.trim_start().starts_with("1 ") && l.contains("Paid")), "{out}");
    ok(&["ledger", "contribution", "--client", "1001", "--kind", "returnable", "--amount", "1000", "--description", "Паевой взнос", "--date", "2026-01-20"]);

    let store = Store::open(&db_url(dir.path())).await.unwrap();
    let count = |table: &'static str| {
        let pool = store.pool().clone();
        async move {
            let n: (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(&pool).await.unwrap();
            n.0
        }
    };
    let before = (count("ledger_clients").await, count("ledger_loans").await, count("ledger_loan_events").await, count("ledger_contributions").await);
    let refusals: &[(&[&str], &str)] = &[
        (&["ledger", "client", "--id", "1001", "--name", "Другой Клиент Иванович", "--phone", "+79035550000"], "already exists"),
        (&["ledger", "client", "--id", "1002", "--name", "Иванов", "--phone", "+79035550000"], "name"),
        (&["ledger", "client", "--id", "1002", "--name", "Иванов Иван Иванович", "--phone", "+77012345678"], "phone"),
        (&["ledger", "loan", "pay", "--loan", "З-2026/0200", "--amount", "abc"], "not an amount"),
        (&["ledger", "loan", "pay", "--loan", "З-2026/0200", "--amount", "-5", "--date", "2026-03-01"], "positive"),
        (&["ledger", "loan", "pay", "--loan", "З-2026/0200", "--amount", "100", "--date", "2026-02-30"], "YYYY-MM-DD"),
        (&["ledger", "loan", "pay", "--loan", "З-2026/0200", "--amount", "100", "--date", "2026-02-01"], "order"),
        (&["ledger", "loan", "pay", "--loan", "З-2099/0001", "--amount", "100"], "not found"),
        (&["ledger", "loan", "pay", "--loan", "З-2026/0200", "--amount", "1000", "--date", "2026-03-01", "--early", "shorter-term"], "does not cover"),
        (&["ledger", "loan", "pay", "--loan", "З-2026/0200", "--amount", "9000000", "--date", "2026-03-01"], "more than"),
        (&["ledger", "loan", "open", "--client", "1001", "--product", "potreb", "--number", "З-2026/0201", "--amount", "5", "--term", "12"], "outside"),
        (&["ledger", "loan", "open", "--client", "1001", "--product", "potreb", "--number", "З-2026/0200", "--amount", "50000", "--term", "12"], "taken"),
        (&["ledger", "loan", "open", "--client", "9999", "--product", "potreb", "--number", "З-2026/0202", "--amount", "50000", "--term", "12"], "not found"),
        (&["ledger", "contribution", "--client", "1001", "--kind", "returnable", "--amount", "-5000", "--description", "Возврат"], "cannot return"),
    ];
    for (args, why) in refusals {
        let (code, out, err) = run(args);
        assert_eq!(code, 1, "{args:?} must be refused: {out}{err}");
        assert!(err.contains(why), "{args:?}: expected «{why}» in {err}");
    }
    let after = (count("ledger_clients").await, count("ledger_loans").await, count("ledger_loan_events").await, count("ledger_contributions").await);
    assert_eq!(before, after, "refusals change nothing");
    store.close().await;
}

/// The staff's commands as an operator runs them on the server: see what clients sent, move an
/// application on, save a client's file, answer with a file; each journaled with the operator.
#[tokio::test]
async fn staff_answer_applications_and_messages_from_the_command_line() {
    use kabinet_api::cabinet::ApplicationStatus;
    use kabinet_api::messages::FileType;
    use kabinet_api::requests::NewApplication;
    use kabinet_shim::accounting::ledger::Ledger;
    use kabinet_shim::accounting::{Accounting, NewAttachment};
    use kabinet_shim::uploads::samples;

    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| shim(dir.path(), args);
    let ok = |args: &[&str]| {
        let (code, out, err) = run(args);
        assert_eq!(code, 0, "{args:?}: {err}");
        out
    };
    ok(&["ledger", "client", "--id", "1001", "--name", "Соколова Ольга Игоревна", "--phone", "+7 903 555-12-34"]);
    ok(&[
        "ledger", "product", "--id", "potreb", "--kind", "loan", "--name", "Потребительский", "--rate", "24,9",
        "--min-amount", "10000", "--max-amount", "1000000", "--min-term", "3", "--max-term", "36", "--repayment", "annuity",
    ]);
    // What the client sent from the cabinet.
    let store = Store::open(&db_url(dir.path())).await.unwrap();
    let ledger = Ledger::new(store.clone());
    let now = time::OffsetDateTime::now_utc();
    let today = kabinet_shim::accounting::business_day(now);
    let application = NewApplication::Loan { product_id: "potreb".into(), amount: 15_000_000, term_months: 12, purpose: "Ремонт".into() };
    let a = ledger.create_application("1001", "0f8fad5b-d9cb-469f-a165-70867728950e", &application, today, now).await.unwrap();
    let png = samples::png(30, 20);
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&png));
    let file = NewAttachment { file_name: "паспорт.png".into(), content_type: FileType::Png, bytes: png.clone(), sha256: sha };
    let m = ledger.send_message("1001", "7c9e6679-7425-40de-944b-e07fc1f90ae7", "Паспорт во вложении", &[file], now).await.unwrap();

    let out = ok(&["staff", "applications"]);
    assert!(out.contains(&a.number) && out.contains("150\u{a0}000,00") && out.contains("Ремонт"), "{out}");
    let out = ok(&["staff", "status", &a.number, "approved", "--comment", "Приходите в офис", "--operator", "Коротков Е. Ю."]);
    assert!(out.contains("одобрена"), "{out}");
    let out = ok(&["staff", "messages", "--client", "1001", "--operator", "Коротков Е. Ю."]);
    assert!(out.contains("паспорт.png") && out.contains(&m.attachments[0].id), "{out}");
    let saved = dir.path().join("passport.png");
    ok(&["staff", "save-file", &m.attachments[0].id, "--out", saved.to_str().unwrap(), "--operator", "Коротков Е. Ю."]);
    // The stored file is the inspected one the cabinet kept: its hash is the one listed.
    let saved_bytes = std::fs::read(&saved).unwrap();
    assert_eq!(hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&saved_bytes)), m.attachments[0].sha256);
    let slip = dir.path().join("ПД-4.pdf");
    std::fs::write(&slip, samples::pdf()).unwrap();
    let out = ok(&["staff", "reply", "--client", "1001", "--to", &m.id, "--text", "Квитанция во вложении", "--file", slip.to_str().unwrap(), "--operator", "Коротков Е. Ю."]);
    assert!(out.contains("1 file"), "{out}");

    // Refusals leave everything as it was.
    let bad = dir.path().join("счёт.pdf");
    std::fs::write(&bad, samples::pdf_with_javascript()).unwrap();
    let before = ledger.messages("1001").await.unwrap().len();
    for (args, says) in [
        (vec!["staff", "status", &a.number, "declined", "--operator", "Х"], "cannot become"),
        (vec!["staff", "status", "ЛК-нет", "approved", "--operator", "Х"], "not found"),
        (vec!["staff", "status", &a.number, "declined", "--operator", " "], "--operator"),
        (vec!["staff", "reply", "--client", "1001", "--text", "x", "--file", bad.to_str().unwrap(), "--operator", "Х"], "недопустимое"),
        (vec!["staff", "reply", "--client", "9999", "--text", "x", "--operator", "Х"], "not found"),
        (vec!["staff", "save-file", &m.attachments[0].id, "--out", saved.to_str().unwrap(), "--operator", "Х"], "exists"),
    ] {
        let (code, _, err) = run(&args);
        assert_eq!(code, 1, "{args:?}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    assert_eq!(ledger.messages("1001").await.unwrap().len(), before);
    let listed = ledger.applications("1001").await.unwrap();
    assert_eq!(listed[0].status, ApplicationStatus::Approved);
    assert_eq!(listed[0].comment.as_deref(), Some("Приходите в офис"));

    let rows = store.audit_rows(0, 1000).await.unwrap();
    let kinds: Vec<&str> = rows.iter().map(|r| r.event.as_str()).collect();
    assert_eq!(kinds, ["application_status_changed", "staff_read_messages", "files_received", "staff_replied"]);
    assert!(rows.iter().all(|r| r.description.contains("Коротков Е. Ю.") && r.client_id == "1001"), "{rows:?}");
    assert_eq!(rows[0].client_name, "Соколова Ольга Игоревна");
}
