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
