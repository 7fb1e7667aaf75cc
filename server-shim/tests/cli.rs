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

/// The crash test of card payments (A28, A29): the real binary is killed with SIGKILL at a named
/// failpoint right after a payment's confirmation is committed and before its posting, and after
/// a restart the payment is still posted exactly once. Only a separate process can die like that,
/// so this runs the binary rather than the in-process server of the API tests.
#[cfg(unix)]
mod crash {
    use std::fs::File;
    use std::os::unix::process::{CommandExt, ExitStatusExt};
    use std::path::{Path, PathBuf};
    use std::process::{Child, Command, ExitStatus, Stdio};
    use std::time::Duration;

    use kabinet_api::cabinet::LoansView;
    use kabinet_api::payments::{PaymentPreview, PaymentStarted};
    use kabinet_api::signing::{Agreement, SignatureDocument, SignatureStatus, SignaturesView, SigningCodeSent};
    use kabinet_api::API_PREFIX;
    use kabinet_shim::auth::session::COOKIE_NAME;
    use kabinet_shim::gateways::acquiring::simulator::CARD_APPROVE;
    use kabinet_shim::gateways::sms::simulator::SimMessage;
    use kabinet_shim::payments::FAILPOINT_CONFIRMED;
    use kabinet_shim::signing::service::FAILPOINT_SIGNED;
    use kabinet_shim::storage::Store;
    use rustix::process::{kill_process, kill_process_group, Pid, Signal};
    use serde::de::DeserializeOwned;
    use serde_json::json;
    use tokio::time::{sleep, Instant};

    use super::{db_url, shim};

    const SITE: &str = "http://company.localhost:8000";
    const RETURN_TO: &str = "http://company.localhost:8000/lk";
    const MARIA: &str = "Иванова Мария Петровна";
    const MARIA_PHONE: &str = "+79161234567";
    const PASSWORD: &str = "корова-на-льду-42";
    const CONSENT: &str = "2026-11-01";

    /// The binary serving `dir`'s files, as its own process group. Dropped while it still runs (a
    /// failed assertion, the test's timeout) it kills the group, so no shim outlives the test.
    struct Running {
        child: Child,
        exited: Option<ExitStatus>,
        base: String,
        stderr: PathBuf,
    }

    impl Running {
        fn start(dir: &Path, name: &str, failpoint: Option<&str>) -> Running {
            Running::start_with(dir, name, failpoint, &[])
        }

        /// As `start`, with more settings (`KABINET_…` variables) on top.
        fn start_with(dir: &Path, name: &str, failpoint: Option<&str>, settings: &[(&str, &str)]) -> Running {
            // The OS names a free port; it is released at once for the shim to bind.
            let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let base = format!("http://127.0.0.1:{port}");
            let stderr = dir.join(format!("{name}.stderr"));
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_kabinet-shim"));
            // Whatever the test runner's environment holds (a failpoint above all) must not leak in.
            for (key, _) in std::env::vars_os() {
                if key.to_string_lossy().starts_with("KABINET_") {
                    cmd.env_remove(key);
                }
            }
            cmd.current_dir(dir)
                .process_group(0)
                .stdin(Stdio::null())
                // Files, not pipes: nobody drains a pipe while the shim runs, and a full one stalls it.
                .stdout(File::create(dir.join(format!("{name}.stdout"))).unwrap())
                .stderr(File::create(&stderr).unwrap())
                .env("KABINET_MODE", "test")
                .env("KABINET_LISTEN", format!("127.0.0.1:{port}"))
                .env("KABINET_PUBLIC_URL", &base)
                .env("KABINET_DATABASE_URL", db_url(dir))
                .env("KABINET_ORG__ALLOWED_ORIGINS", format!("[\"{SITE}\"]"))
                .env("KABINET_AUDIT__SIGNING_KEY_PATH", dir.join("audit.key"))
                .env("KABINET_AUDIT__CHECKPOINT_PATH", dir.join("checkpoints.jsonl"))
                .env("KABINET_PAYMENTS__WORKER_INTERVAL_SECS", "1");
            if let Some(name) = failpoint {
                cmd.env("KABINET_FAILPOINT", name);
            }
            cmd.envs(settings.iter().copied());
            let child = cmd.spawn().expect("start kabinet-shim");
            Running { child, exited: None, base, stderr }
        }

        fn log(&self) -> String {
            std::fs::read_to_string(&self.stderr).unwrap_or_default()
        }

        /// The exit status once the shim has exited; kept, because a reaped pid may be reused
        /// and must never be signalled again.
        fn exited(&mut self) -> Option<ExitStatus> {
            if self.exited.is_none() {
                self.exited = self.child.try_wait().expect("wait for kabinet-shim");
            }
            self.exited
        }

        async fn exit_within(&mut self, limit: Duration) -> ExitStatus {
            let deadline = Instant::now() + limit;
            loop {
                if let Some(status) = self.exited() {
                    return status;
                }
                assert!(Instant::now() < deadline, "kabinet-shim still runs after {limit:?}; its log:\n{}", self.log());
                sleep(Duration::from_millis(50)).await;
            }
        }

        /// Waits until /healthz answers 200, as a load balancer would before sending traffic.
        async fn ready(&mut self, http: &reqwest::Client) {
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                if let Some(status) = self.exited() {
                    panic!("kabinet-shim exited before it was ready ({status}); its log:\n{}", self.log());
                }
                if let Ok(r) = http.get(format!("{}/healthz", self.base)).send().await {
                    if r.status() == reqwest::StatusCode::OK {
                        return;
                    }
                }
                assert!(Instant::now() < deadline, "kabinet-shim not ready within 30 s; its log:\n{}", self.log());
                sleep(Duration::from_millis(100)).await;
            }
        }

        /// SIGTERM, as a service manager stops it; returns the graceful shutdown's status.
        async fn stop(&mut self) -> ExitStatus {
            if self.exited().is_none() {
                kill_process(Pid::from_child(&self.child), Signal::TERM).expect("signal kabinet-shim");
            }
            self.exit_within(Duration::from_secs(30)).await
        }
    }

    impl Drop for Running {
        fn drop(&mut self) {
            if self.exited.is_none() {
                // An exited but unreaped shim is a zombie still holding its pid: signalling it is harmless.
                let _ = kill_process_group(Pid::from_child(&self.child), Signal::KILL);
                let _ = self.child.wait();
            }
        }
    }

    /// The widget's side of the conversation: Origin and JSON on every call, and the session
    /// cookie kept as the browser keeps it (reqwest's cookie store is not among the workspace's
    /// features, and this is the one cookie the shim sets).
    struct Widget {
        http: reqwest::Client,
        base: String,
        session: Option<String>,
    }

    impl Widget {
        async fn send(&mut self, mut req: reqwest::RequestBuilder) -> (u16, String) {
            req = req.header("origin", SITE);
            if let Some(sid) = &self.session {
                req = req.header("cookie", format!("{COOKIE_NAME}={sid}"));
            }
            let r = req.send().await.expect("the request reaches the shim");
            let prefix = format!("{COOKIE_NAME}=");
            for c in r.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()) {
                if let Some(rest) = c.strip_prefix(&prefix) {
                    let value = rest.split(';').next().unwrap_or_default();
                    self.session = (!value.is_empty()).then(|| value.to_owned());
                }
            }
            let status = r.status().as_u16();
            (status, r.text().await.expect("the answer is read"))
        }

        async fn get(&mut self, path: &str) -> (u16, String) {
            let req = self.http.get(format!("{}{API_PREFIX}{path}", self.base));
            self.send(req).await
        }

        async fn post(&mut self, path: &str, body: &serde_json::Value, headers: &[(&str, &str)]) -> (u16, String) {
            let mut req = self
                .http
                .post(format!("{}{API_PREFIX}{path}", self.base))
                .header("content-type", "application/json")
                .body(body.to_string());
            for (name, value) in headers {
                req = req.header(*name, *value);
            }
            self.send(req).await
        }
    }

    fn parse<T: DeserializeOwned>((status, body): &(u16, String), expected: u16) -> T {
        assert_eq!(*status, expected, "{body}");
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
    }

    /// The value of `name` in the first tag of `html` that starts with `tag`. The simulated
    /// bank's page is small and regular, so reading it by hand is enough.
    fn attr<'a>(html: &'a str, tag: &str, name: &str) -> &'a str {
        let start = html.find(tag).unwrap_or_else(|| panic!("no {tag} on the page: {html}"));
        let tag = &html[start..start + html[start..].find('>').expect("the tag ends")];
        let key = format!(" {name}=\"");
        let at = tag.find(&key).unwrap_or_else(|| panic!("{tag} has no {name}")) + key.len();
        &tag[at..at + tag[at..].find('"').expect("the value ends")]
    }

    /// The code in an SMS: its last run of exactly six digits, as a person reads it.
    fn sms_code(text: &str) -> Option<String> {
        text.split(|c: char| !c.is_ascii_digit()).rfind(|run| run.len() == 6).map(str::to_owned)
    }

    async fn count(store: &Store, sql: &str, arg: &str) -> i64 {
        let n: (i64,) = sqlx::query_as(sql).bind(arg).fetch_one(store.pool()).await.unwrap();
        n.0
    }

    /// (status, posted_at, contract_id) of a payment.
    async fn payment(store: &Store, id: &str) -> (String, Option<i64>, String) {
        sqlx::query_as("SELECT status, posted_at, contract_id FROM payments WHERE id = $1")
            .bind(id)
            .fetch_one(store.pool())
            .await
            .unwrap()
    }

    /// `done_at` of the payment's outbox row, if the row exists.
    async fn outbox(store: &Store, id: &str) -> Option<Option<i64>> {
        let row: Option<(Option<i64>,)> = sqlx::query_as("SELECT done_at FROM payment_outbox WHERE payment_id = $1")
            .bind(id)
            .fetch_optional(store.pool())
            .await
            .unwrap();
        row.map(|r| r.0)
    }

    const LOAN_EVENTS: &str = "SELECT COUNT(*) FROM ledger_loan_events WHERE loan_id = $1";
    const JOURNAL: &str = "SELECT COUNT(*) FROM audit_log WHERE event = $1";

    #[tokio::test]
    async fn a_shim_killed_right_after_confirming_a_payment_posts_it_exactly_once_after_restart() {
        tokio::time::timeout(Duration::from_secs(120), killed_after_confirmation())
            .await
            .expect("the crash test did not finish within 120 s");
    }

    async fn killed_after_confirmation() {
        let dir = tempfile::tempdir().unwrap();
        // No redirects: the bank's answer to the card form is a redirect to the company's site,
        // which is not running here; its Location is what the test checks.
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();

        // 1. The shim with the failpoint armed.
        let mut first = Running::start(dir.path(), "first", Some(FAILPOINT_CONFIRMED));
        first.ready(&http).await;

        // 2. Maria registers, reading the code from the simulated phone, and starts paying her
        // next installment.
        let mut widget = Widget { http: http.clone(), base: first.base.clone(), session: None };
        let body = json!({"full_name": MARIA, "phone": MARIA_PHONE, "password": PASSWORD, "consent_version": CONSENT});
        let (status, text) = widget.post("/auth/register", &body, &[]).await;
        assert_eq!(status, 202, "{text}");
        let deadline = Instant::now() + Duration::from_secs(10);
        let code = loop {
            let r = http.get(format!("{}/__sim/sms/messages", first.base)).send().await.unwrap();
            let messages: Vec<SimMessage> = r.json().await.unwrap();
            if let Some(m) = messages.iter().rev().find(|m| m.phone == MARIA_PHONE) {
                break sms_code(&m.text).unwrap_or_else(|| panic!("no code in the SMS: {}", m.text));
            }
            assert!(Instant::now() < deadline, "no SMS reached {MARIA_PHONE} within 10 s");
            sleep(Duration::from_millis(50)).await;
        };
        let (status, text) =
            widget.post("/auth/register/confirm", &json!({"phone": MARIA_PHONE, "code": code, "password": PASSWORD}), &[]).await;
        assert_eq!(status, 200, "{text}");
        assert!(widget.session.is_some(), "registration signs the client in");

        let loans: LoansView = parse(&widget.get("/loans").await, 200);
        let loan_id = loans.contracts.iter().find(|l| l.closed_on.is_none()).expect("an open loan").id.clone();
        let preview: PaymentPreview = parse(
            &widget.post("/payments/preview", &json!({"contract_id": loan_id, "purpose": "next_installment"}), &[]).await,
            200,
        );
        assert!(preview.amount > 0, "{preview:?}");
        let key = uuid::Uuid::new_v4().to_string();
        let body = json!({"contract_id": loan_id, "purpose": "next_installment", "expected_amount": preview.amount, "return_to": RETURN_TO});
        let started: PaymentStarted = parse(&widget.post("/payments", &body, &[("idempotency-key", &key)]).await, 201);
        let payment_id = started.payment.id.clone();

        // 3. Maria pays on the simulated bank's page as a browser does: open it, fill in the form
        // it shows, submit it where it says. The bank then calls the shim back, the shim asks the
        // bank's status, confirms the payment and dies at the failpoint.
        let r = http.get(&started.payment_url).send().await.expect("the bank's page opens");
        assert_eq!(r.status(), reqwest::StatusCode::OK);
        let page = r.text().await.unwrap();
        for field in ["card_number", "expiry", "cvc"] {
            assert!(page.contains(&format!("name=\"{field}\"")), "the page asks for {field}: {page}");
        }
        let action = url::Url::parse(&started.payment_url).unwrap().join(attr(&page, "<form", "action")).unwrap();
        let hidden = (attr(&page, "<input type=\"hidden\"", "name"), attr(&page, "<input type=\"hidden\"", "value"));
        let form = [hidden, ("card_number", CARD_APPROVE), ("expiry", "12/30"), ("cvc", "123")];
        let r = http.post(action).form(&form).send().await.expect("the bank takes the card");
        assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER, "the bank sends the client back");
        let back = r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert!(back.starts_with(RETURN_TO), "{back}");

        // 4. The shim killed itself at the failpoint, as a crash would.
        let status = first.exit_within(Duration::from_secs(20)).await;
        assert_eq!(status.signal(), Some(9), "killed by SIGKILL, not {status}; its log:\n{}", first.log());
        assert!(
            first.log().contains(&format!("kabinet failpoint reached: {FAILPOINT_CONFIRMED}")),
            "the failpoint named itself; the log:\n{}",
            first.log()
        );

        // 5. What the crash left: paid, queued for posting, nothing posted.
        let store = Store::open(&db_url(dir.path())).await.unwrap();
        let (status, posted_at, contract_id) = payment(&store, &payment_id).await;
        assert_eq!((status.as_str(), posted_at), ("paid", None));
        assert_eq!(contract_id, loan_id);
        assert_eq!(outbox(&store, &payment_id).await, Some(None), "the outbox row was committed with the confirmation");
        let postings: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM ledger_card_postings").fetch_one(store.pool()).await.unwrap();
        assert_eq!(postings.0, 0, "nothing reached accounting before the crash");
        let events_before = count(&store, LOAN_EVENTS, &loan_id).await;
        store.close().await;

        // 6. Restarted on the same files without the failpoint, the outbox worker posts it.
        let mut second = Running::start(dir.path(), "second", None);
        second.ready(&http).await;
        let store = Store::open(&db_url(dir.path())).await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while payment(&store, &payment_id).await.1.is_none() {
            assert!(Instant::now() < deadline, "the payment was not posted within 20 s of the restart; its log:\n{}", second.log());
            sleep(Duration::from_millis(100)).await;
        }
        let postings: Vec<(String, i64)> =
            sqlx::query_as("SELECT payment_id, amount FROM ledger_card_postings").fetch_all(store.pool()).await.unwrap();
        assert_eq!(postings, [(payment_id.clone(), preview.amount)], "exactly one posting, of this payment");
        assert_eq!(count(&store, LOAN_EVENTS, &loan_id).await, events_before + 1, "the loan got exactly one payment");
        assert!(matches!(outbox(&store, &payment_id).await, Some(Some(_))), "the outbox row is done");

        let status = second.stop().await;
        assert!(status.success(), "graceful shutdown: {status}; its log:\n{}", second.log());
        let (code, out, err) = shim(dir.path(), &["audit", "verify"]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.starts_with("OK: "), "{out}");

        // The journal tells the story once: confirmed by the bank, then posted.
        let journal = [
            ("payment_confirmed", count(&store, JOURNAL, "payment_confirmed").await),
            ("payment_posted", count(&store, JOURNAL, "payment_posted").await),
        ];
        store.close().await;
        assert_eq!(
            journal,
            [("payment_confirmed", 1), ("payment_posted", 1)],
            "a confirmation committed right before a crash is still journaled, once"
        );
    }
    const MARIA_ID: &str = "demo-0001";
    const OPERATOR: &str = "Коротков Е. Ю.";
    /// One code per phone per second rather than a minute: the signing code follows the
    /// registration's at once.
    const QUICK_CODES: [(&str, &str); 1] = [("KABINET_AUTH__RESEND_COOLDOWN_SECS", "1")];
    const LATE: &str = "(записано после перезапуска сервиса)";

    /// A command on `dir`'s files, as the operator runs it on the server next to the service,
    /// with the service's settings; killed with its group if it runs longer than 60 s.
    async fn cli(dir: &Path, args: &[&str]) -> (i32, String, String) {
        let name = format!("cli-{}", uuid::Uuid::new_v4());
        let (out, err) = (dir.join(format!("{name}.stdout")), dir.join(format!("{name}.stderr")));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kabinet-shim"));
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("KABINET_") {
                cmd.env_remove(key);
            }
        }
        cmd.args(args)
            .current_dir(dir)
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(File::create(&out).unwrap())
            .stderr(File::create(&err).unwrap())
            .env("KABINET_MODE", "test")
            .env("KABINET_DATABASE_URL", db_url(dir))
            .env("KABINET_ORG__ALLOWED_ORIGINS", format!("[\"{SITE}\"]"))
            .env("KABINET_AUDIT__SIGNING_KEY_PATH", dir.join("audit.key"))
            .env("KABINET_AUDIT__CHECKPOINT_PATH", dir.join("checkpoints.jsonl"));
        // Held as a running shim is, so a command that hangs is killed with its group.
        let mut run = Running { child: cmd.spawn().expect("run kabinet-shim"), exited: None, base: String::new(), stderr: err.clone() };
        let status = run.exit_within(Duration::from_secs(60)).await;
        (
            status.code().unwrap_or(-1),
            std::fs::read_to_string(&out).unwrap_or_default(),
            std::fs::read_to_string(&err).unwrap_or_default(),
        )
    }

    /// The code of the `n`-th SMS (counting from 1) the simulated phone of `phone` got, waiting
    /// up to 10 s for it.
    async fn nth_code(http: &reqwest::Client, base: &str, phone: &str, n: usize) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let r = http.get(format!("{base}/__sim/sms/messages")).send().await.unwrap();
            let messages: Vec<SimMessage> = r.json().await.unwrap();
            if let Some(m) = messages.iter().filter(|m| m.phone == phone).nth(n - 1) {
                return sms_code(&m.text).unwrap_or_else(|| panic!("no code in the SMS: {}", m.text));
            }
            assert!(Instant::now() < deadline, "SMS №{n} did not reach {phone} within 10 s");
            sleep(Duration::from_millis(50)).await;
        }
    }

    fn sha256_hex(bytes: &[u8]) -> String {
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes))
    }

    /// (status, stamped, signed_journaled) of a request for signature.
    async fn signature(store: &Store, id: &str) -> (String, Option<Vec<u8>>, i64) {
        sqlx::query_as("SELECT status, stamped, signed_journaled FROM signature_requests WHERE id = $1")
            .bind(id)
            .fetch_one(store.pool())
            .await
            .unwrap()
    }

    /// (subject, description) of every «документ подписан» row of the journal.
    async fn signed_rows(store: &Store) -> Vec<(String, String)> {
        sqlx::query_as("SELECT subject, description FROM audit_log WHERE event = 'document_signed' ORDER BY seq")
            .fetch_all(store.pool())
            .await
            .unwrap()
    }

    impl Widget {
        /// A file as the widget downloads it: (status, bytes).
        async fn download(&self, path: &str) -> (u16, Vec<u8>) {
            let mut req = self.http.get(format!("{}{API_PREFIX}{path}", self.base)).header("origin", SITE);
            if let Some(sid) = &self.session {
                req = req.header("cookie", format!("{COOKIE_NAME}={sid}"));
            }
            let r = req.send().await.expect("the request reaches the shim");
            (r.status().as_u16(), r.bytes().await.expect("the file is read").to_vec())
        }
    }

    /// The crash test of signing (A31): the real binary is killed with SIGKILL right after a
    /// signature is committed and before its journal row is written. The next start writes the
    /// row once, marked as written late, and the operator's commands then print the signed copy
    /// and export an evidence package that verifies offline.
    #[tokio::test]
    async fn a_shim_killed_right_after_committing_a_signature_journals_it_once_after_restart() {
        tokio::time::timeout(Duration::from_secs(180), killed_after_signature())
            .await
            .expect("the crash test did not finish within 180 s");
    }

    async fn killed_after_signature() {
        let dir = tempfile::tempdir().unwrap();
        let http = reqwest::Client::builder().timeout(Duration::from_secs(15)).build().unwrap();

        // 1. The shim with the failpoint armed; Maria registers by the code from her phone.
        let mut first = Running::start_with(dir.path(), "first", Some(FAILPOINT_SIGNED), &QUICK_CODES);
        first.ready(&http).await;
        let mut widget = Widget { http: http.clone(), base: first.base.clone(), session: None };
        let body = json!({"full_name": MARIA, "phone": MARIA_PHONE, "password": PASSWORD, "consent_version": CONSENT});
        let (status, text) = widget.post("/auth/register", &body, &[]).await;
        assert_eq!(status, 202, "{text}");
        let code = nth_code(&http, &first.base, MARIA_PHONE, 1).await;
        let (status, text) =
            widget.post("/auth/register/confirm", &json!({"phone": MARIA_PHONE, "code": code, "password": PASSWORD}), &[]).await;
        assert_eq!(status, 200, "{text}");
        assert!(widget.session.is_some(), "registration signs the client in");

        // 2. The operator sends her the BKI consent from the command line, next to the service.
        let (code, out, err) = cli(
            dir.path(),
            &[
                "staff", "sign", "send", "--client", MARIA_ID, "--template", "bki-consent", "--field", "birth_date=1961-04-12",
                "--field", "passport=5012 345678", "--operator", OPERATOR,
            ],
        )
        .await;
        assert_eq!(code, 0, "{out}{err}");
        let sent = out.trim().strip_prefix("sent for signature: ").unwrap_or_else(|| panic!("{out}"));
        let mut words = sent.split_whitespace();
        let (number, id) = (words.next().unwrap().to_owned(), words.next().unwrap().to_owned());
        assert!(number.starts_with("П-"), "{out}");

        // 3. Maria sees it, opens it, accepts the agreement, asks for the code and signs.
        let view: SignaturesView = parse(&widget.get("/signatures").await, 200);
        let doc = view.documents.iter().find(|d| d.id == id).unwrap_or_else(|| panic!("{id} is not in {view:?}")).clone();
        assert_eq!((doc.number.as_str(), doc.status), (number.as_str(), SignatureStatus::Awaiting));
        let (status, original) = widget.download(&format!("/signatures/{id}/original")).await;
        assert_eq!(status, 200);
        assert!(original.starts_with(b"%PDF-"));
        assert_eq!(sha256_hex(&original), doc.sha256, "the PDF is the one whose hash was fixed at sending");
        let shown: Agreement = parse(&widget.get("/signatures/agreement").await, 200);
        let accepted: Agreement =
            parse(&widget.post("/signatures/agreement", &json!({"version": shown.version, "sha256": shown.sha256}), &[]).await, 200);
        assert!(accepted.accepted_at.is_some(), "{accepted:?}");
        // The cooldown is a second; within the same second as the registration's code, wait.
        let deadline = Instant::now() + Duration::from_secs(10);
        let code_sent: SigningCodeSent = loop {
            let answer = widget.post(&format!("/signatures/{id}/code"), &json!({}), &[]).await;
            if answer.0 == 429 && Instant::now() < deadline {
                sleep(Duration::from_millis(200)).await;
                continue;
            }
            break parse(&answer, 200);
        };
        assert_eq!(code_sent.sha256_prefix, doc.sha256[..8]);
        let code = nth_code(&http, &first.base, MARIA_PHONE, 2).await;
        let sid = widget.session.clone().unwrap();
        let signing = http
            .post(format!("{}{API_PREFIX}/signatures/{id}/sign", first.base))
            .header("origin", SITE)
            .header("cookie", format!("{COOKIE_NAME}={sid}"))
            .header("content-type", "application/json")
            .body(json!({"code": code}).to_string())
            .send()
            .await;
        assert!(signing.is_err(), "the shim answered instead of dying: {:?}", signing.map(|r| r.status()));

        // 4. The shim killed itself at the failpoint, as a crash would.
        let status = first.exit_within(Duration::from_secs(20)).await;
        assert_eq!(status.signal(), Some(9), "killed by SIGKILL, not {status}; its log:\n{}", first.log());
        assert!(
            first.log().contains(&format!("kabinet failpoint reached: {FAILPOINT_SIGNED}")),
            "the failpoint named itself; the log:\n{}",
            first.log()
        );

        // 5. What the crash left: signed and stamped, not journaled.
        let store = Store::open(&db_url(dir.path())).await.unwrap();
        let (status, stamped, journaled) = signature(&store, &id).await;
        assert_eq!((status.as_str(), journaled), ("signed", 0));
        let stamped = stamped.expect("the stamped copy was committed with the signature");
        assert!(stamped.len() > original.len() && stamped.starts_with(&original), "the stamp extends the original");
        let rows = signed_rows(&store).await;
        assert!(rows.is_empty(), "nothing was journaled before the crash: {rows:?}");
        store.close().await;

        // 6. Restarted on the same files without the failpoint: the row is written at start, once,
        // marked as late, and Maria sees the document signed.
        let mut second = Running::start_with(dir.path(), "second", None, &QUICK_CODES);
        second.ready(&http).await;
        let store = Store::open(&db_url(dir.path())).await.unwrap();
        let rows = signed_rows(&store).await;
        assert_eq!(rows.len(), 1, "exactly one «документ подписан» row after the restart: {rows:?}");
        let (subject, description) = &rows[0];
        assert!(subject.contains(&number), "{subject}");
        assert!(description.ends_with(LATE), "{description}");
        assert!(description.contains(&doc.sha256) && description.contains(&sha256_hex(&stamped)), "{description}");
        assert_eq!(signature(&store, &id).await.2, 1, "marked journaled");
        store.close().await;
        widget.base = second.base.clone();
        let after: SignatureDocument = parse(&widget.get(&format!("/signatures/{id}")).await, 200);
        assert_eq!(after.status, SignatureStatus::Signed);
        assert!(after.verify_code.is_some(), "{after:?}");
        let status = second.stop().await;
        assert!(status.success(), "graceful shutdown: {status}; its log:\n{}", second.log());

        // 7. Another start writes nothing more.
        let mut third = Running::start_with(dir.path(), "third", None, &QUICK_CODES);
        third.ready(&http).await;
        let status = third.stop().await;
        assert!(status.success(), "graceful shutdown: {status}; its log:\n{}", third.log());
        let store = Store::open(&db_url(dir.path())).await.unwrap();
        assert_eq!(signed_rows(&store).await, rows, "still the one row after another restart");
        store.close().await;
        let (code, out, err) = cli(dir.path(), &["audit", "verify"]).await;
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.starts_with("OK: "), "{out}");

        // 8. The operator prints the signed copy and exports the evidence package; it verifies
        // with the organisation's public key, and one changed byte of the stamped copy fails it.
        let print = dir.path().join("signed.pdf");
        let (code, out, err) = cli(dir.path(), &["staff", "sign", "print", &number, "--out", print.to_str().unwrap(), "--operator", OPERATOR]).await;
        assert_eq!(code, 0, "{out}{err}");
        let printed = std::fs::read(&print).unwrap();
        assert!(printed.len() > original.len() && printed.starts_with(&original), "the printed copy extends the original");
        assert_eq!(printed, stamped);

        let (code, out, err) = cli(dir.path(), &["audit", "keygen"]).await;
        assert_eq!(code, 0, "{err}");
        let public_key = out.trim().to_owned();
        assert_eq!(public_key.len(), 64, "{out}");
        let package = dir.path().join("evidence.zip");
        let (code, out, err) =
            cli(dir.path(), &["staff", "sign", "evidence", &number, "--out", package.to_str().unwrap(), "--operator", OPERATOR]).await;
        assert_eq!(code, 0, "{out}{err}");
        let (code, out, err) = cli(dir.path(), &["evidence", "verify", package.to_str().unwrap(), "--public-key", &public_key]).await;
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.starts_with("OK: "), "{out}");

        let zip = std::fs::read(&package).unwrap();
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip.as_slice())).unwrap();
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let mut files = Vec::new();
        for i in 0..archive.len() {
            let mut f = archive.by_index(i).unwrap();
            let name = f.name().unwrap().into_owned();
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut f, &mut bytes).unwrap();
            match name.as_str() {
                "original.pdf" => assert_eq!(bytes, original, "the package holds the original as sent"),
                "journal.jsonl" => {
                    let journal = String::from_utf8(bytes.clone()).unwrap();
                    assert!(journal.contains("\"event\":\"document_signed\"") && journal.contains(LATE), "{journal}");
                }
                "stamped.pdf" => {
                    assert_eq!(bytes, stamped, "the package holds the stamped copy");
                    // One byte of the stamp page, past the original's bytes.
                    let at = original.len() + (stamped.len() - original.len()) / 2;
                    bytes[at] ^= 0x01;
                }
                _ => {}
            }
            w.start_file(name.as_str(), zip::write::SimpleFileOptions::default()).unwrap();
            std::io::Write::write_all(&mut w, &bytes).unwrap();
            files.push(name);
        }
        for name in ["manifest.json", "original.pdf", "stamped.pdf", "journal.jsonl"] {
            assert!(files.iter().any(|f| f == name), "{name} is not in the package: {files:?}");
        }
        let tampered = dir.path().join("tampered.zip");
        std::fs::write(&tampered, w.finish().unwrap().into_inner()).unwrap();
        let (code, out, err) = cli(dir.path(), &["evidence", "verify", tampered.to_str().unwrap(), "--public-key", &public_key]).await;
        assert_eq!(code, 1, "{out}{err}");
        assert!(out.starts_with("FAILED: ") && out.contains("stamped.pdf"), "{out}");

        // The exports are journaled too, and the chain still holds.
        let (code, out, err) = cli(dir.path(), &["audit", "verify"]).await;
        assert_eq!(code, 0, "{out}{err}");
    }
}

/// `evidence verify` on a package built in-process: passes it with the organisation's key, and
/// names the file when one byte of it changes.
#[test]
fn evidence_verify_passes_a_real_package_and_names_a_changed_file() {
    use kabinet_shim::audit::{AuditRow, CheckpointSigner};
    use kabinet_shim::signing::evidence::{build, EvidenceParts, JournalEntry, Subject};
    use sha2::{Digest, Sha256};

    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join("org.key");
    std::fs::write(&key_path, "42".repeat(32)).unwrap();
    let signer = CheckpointSigner::load(&key_path).unwrap();

    let mut prev = kabinet_shim::audit::GENESIS_HASH.to_owned();
    let journal_rows: Vec<AuditRow> = (1..=4)
        .map(|seq| {
            let mut r = AuditRow {
                seq,
                at: format!("2026-03-02T09:15:0{seq}.000000Z"),
                division: "Офис №1".into(),
                client_id: "1001".into(),
                client_name: "Соколова Ольга Игоревна".into(),
                session_id: "s-1".into(),
                ip: "31.170.186.62".into(),
                event: "sms_sent".into(),
                subject: "БКИ-2026/0042".into(),
                description: String::new(),
                prev_hash: prev.clone(),
                hash: String::new(),
            };
            r.hash = r.compute_hash();
            prev = r.hash.clone();
            r
        })
        .collect();
    let original = b"%PDF-1.7\n%%EOF\n".to_vec();
    let parts = EvidenceParts {
        subject: Subject {
            document_id: "doc-42".into(),
            document_number: "БКИ-2026/0042".into(),
            document_title: "Согласие на запрос в БКИ".into(),
            signed_at: "2026-03-02T09:15:04.000000Z".into(),
            client_id: "1001".into(),
            original_sha256: hex::encode(Sha256::digest(&original)),
        },
        stamped_pdf: [original.as_slice(), b"2 0 obj <<>> endobj\n%%EOF\n"].concat(),
        original_pdf: original,
        agreement_text: "Соглашение о ПЭП, версия 3".into(),
        agreement_acceptance: serde_json::json!({"version": 3}),
        sms: serde_json::json!({"send_response": "{\"id\":\"sim-1\"}", "status_polls": [{"raw_response": "{\"status\":1}"}]}),
        journal_rows: journal_rows.into_iter().map(|r| JournalEntry::Row(Box::new(r))).collect(),
        phone_confirmation: serde_json::json!([]),
    };
    let zip = build(&parts, &signer).unwrap();
    let good = dir.path().join("evidence.zip");
    std::fs::write(&good, &zip).unwrap();
    let public_key = hex::encode(signer.verifying_key().as_bytes());

    let (code, out, err) = shim(dir.path(), &["evidence", "verify", good.to_str().unwrap(), "--public-key", &public_key]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("OK: 7 files match the manifest"), "{out}");
    assert!(out.contains("journal rows 1..4"), "{out}");

    // The same package rezipped with one bit of the agreement's text flipped.
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip.as_slice())).unwrap();
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).unwrap();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut f, &mut bytes).unwrap();
        if f.name().unwrap() == "agreement.txt" {
            bytes[0] ^= 0x01;
        }
        w.start_file(f.name().unwrap().into_owned(), zip::write::SimpleFileOptions::default()).unwrap();
        std::io::Write::write_all(&mut w, &bytes).unwrap();
    }
    let bad = dir.path().join("tampered.zip");
    std::fs::write(&bad, w.finish().unwrap().into_inner()).unwrap();
    let (code, out, _) = shim(dir.path(), &["evidence", "verify", bad.to_str().unwrap(), "--public-key", &public_key]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(out.trim(), "FAILED: agreement.txt: size or SHA-256 differs from the manifest (file changed)");

    // Another organisation's key does not vouch for it.
    let (code, out, _) = shim(dir.path(), &["evidence", "verify", good.to_str().unwrap(), "--public-key", &"11".repeat(32)]);
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("FAILED: the manifest is signed by key "), "{out}");
}
