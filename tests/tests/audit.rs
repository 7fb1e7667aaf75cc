//! The audit journal under attack: every column changed, rows deleted, swapped, the tail
//! truncated, the whole chain recomputed, a checkpoint forged — `verify` names each one.
//! And 200 appends from two processes at once form one valid chain.

use std::sync::Arc;
use std::time::Duration;

use kabinet_shim::audit::{
    verify_journal, AuditEntry, AuditRow, CheckpointLog, CheckpointSigner, EventKind, Journal, Problem,
};
use kabinet_shim::clock::SystemClock;
use kabinet_shim::storage::{Backend, Store};
use kabinet_tests::{database_url, postgres_server_url, Db};

struct Fixture {
    store: Store,
    journal: Journal,
    signer: CheckpointSigner,
    log: CheckpointLog,
    _dir: tempfile::TempDir,
}

impl Fixture {
    async fn new(db: &Db, rows: usize) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let url = database_url(db, dir.path()).await;
        let store = Store::open(&url).await.unwrap();
        let journal = Journal::new(store.clone(), Arc::new(SystemClock));
        let signer = CheckpointSigner::load_or_create(&dir.path().join("audit.key")).unwrap();
        let log = CheckpointLog::new(dir.path().join("checkpoints.jsonl"));
        for i in 0..rows {
            let mut e = AuditEntry::new(EventKind::CabinetOpened, "Офис №1").ip("203.0.113.9").description(format!("действие {i}"));
            e.client_id = format!("c-{i}");
            e.client_name = "Коротков Евгений Юрьевич".into();
            e.session_id = "471acfb6-249a-48a1-8078-b2848ef48d5e".into();
            e.subject = format!("Заявка на займ №{i}");
            journal.record(e).await.unwrap();
        }
        journal.checkpoint(&signer, &log).await.unwrap().expect("checkpoint written");
        Fixture { store, journal, signer, log, _dir: dir }
    }

    async fn verify(&self) -> Result<i64, Problem> {
        let cps = self.log.read_all().unwrap();
        verify_journal(&self.store, &cps, &self.signer.verifying_key()).await.unwrap().map(|r| r.rows)
    }

    /// What a database administrator with full rights can do: lift the append-only triggers.
    async fn as_dba(&self) {
        let sql: &[&str] = match self.store.backend() {
            Backend::Sqlite => &["DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete"],
            Backend::Postgres => &["DROP TRIGGER audit_log_no_change ON audit_log", "DROP TRIGGER audit_log_no_truncate ON audit_log"],
        };
        for s in sql {
            sqlx::query(s).execute(self.store.pool()).await.unwrap();
        }
    }

    async fn exec(&self, sql: &str, args: &[&str]) {
        let mut q = sqlx::query(sql);
        for a in args {
            q = q.bind(a.to_string());
        }
        q.execute(self.store.pool()).await.unwrap();
    }

    async fn rows(&self) -> Vec<AuditRow> {
        self.store.audit_rows(0, 1000).await.unwrap()
    }

    async fn write_row(&self, r: &AuditRow) {
        sqlx::query(
            "UPDATE audit_log SET at=$1, division=$2, client_id=$3, client_name=$4, session_id=$5, ip=$6, \
             event=$7, subject=$8, description=$9, prev_hash=$10, hash=$11 WHERE seq=$12",
        )
        .bind(&r.at)
        .bind(&r.division)
        .bind(&r.client_id)
        .bind(&r.client_name)
        .bind(&r.session_id)
        .bind(&r.ip)
        .bind(&r.event)
        .bind(&r.subject)
        .bind(&r.description)
        .bind(&r.prev_hash)
        .bind(&r.hash)
        .bind(r.seq)
        .execute(self.store.pool())
        .await
        .unwrap();
    }

    async fn set_head(&self, seq: i64, hash: &str) {
        sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1").bind(seq).bind(hash.to_string()).execute(self.store.pool()).await.unwrap();
    }
}

const COLUMNS: &[&str] = &[
    "at", "division", "client_id", "client_name", "session_id", "ip", "event", "subject", "description", "prev_hash", "hash",
];

async fn tampering_is_caught(db: Db) -> usize {
    let mut cases = 0;
    // Untouched: verifies.
    let f = Fixture::new(&db, 6).await;
    assert_eq!(f.verify().await, Ok(6));
    cases += 1;

    // Each column of row 3 changed.
    for col in COLUMNS {
        let f = Fixture::new(&db, 6).await;
        f.as_dba().await;
        let value = if col.ends_with("hash") { "f".repeat(64) } else { "изменено".to_string() };
        f.exec(&format!("UPDATE audit_log SET {col} = $1 WHERE seq = 3"), &[&value]).await;
        assert_eq!(f.verify().await, Err(Problem::RowAltered { seq: 3 }), "column {col}");
        cases += 1;
    }

    // Row 3 renumbered.
    let f = Fixture::new(&db, 6).await;
    f.as_dba().await;
    f.exec("UPDATE audit_log SET seq = 100 WHERE seq = 3", &[]).await;
    assert_eq!(f.verify().await, Err(Problem::RowsMissing { expected: 3, found: 4 }));
    cases += 1;

    // Row 3 deleted.
    let f = Fixture::new(&db, 6).await;
    f.as_dba().await;
    f.exec("DELETE FROM audit_log WHERE seq = 3", &[]).await;
    assert_eq!(f.verify().await, Err(Problem::RowsMissing { expected: 3, found: 4 }));
    cases += 1;

    // Rows 3 and 4 swapped (contents exchanged, numbers kept).
    let f = Fixture::new(&db, 6).await;
    f.as_dba().await;
    let rows = f.rows().await;
    let (mut a, mut b) = (rows[3].clone(), rows[2].clone());
    a.seq = 3;
    b.seq = 4;
    f.write_row(&a).await;
    f.write_row(&b).await;
    assert_eq!(f.verify().await, Err(Problem::RowAltered { seq: 3 }));
    cases += 1;

    // Tail truncated (rows 5 and 6), head moved back to match: the checkpoint still says 6.
    let f = Fixture::new(&db, 6).await;
    f.as_dba().await;
    let rows = f.rows().await;
    f.exec("DELETE FROM audit_log WHERE seq >= 5", &[]).await;
    f.set_head(4, &rows[3].hash).await;
    assert_eq!(f.verify().await, Err(Problem::TailTruncated { line: 1, seq: 6, last: 4 }));
    cases += 1;

    // Row 2 edited and the whole chain recomputed from there, head included: every row is
    // self-consistent, but the signed checkpoint is not.
    let f = Fixture::new(&db, 6).await;
    f.as_dba().await;
    let mut rows = f.rows().await;
    rows[1].description = "переписано задним числом".into();
    for i in 1..rows.len() {
        rows[i].prev_hash = rows[i - 1].hash.clone();
        rows[i].hash = rows[i].compute_hash();
        f.write_row(&rows[i]).await;
    }
    f.set_head(6, &rows[5].hash).await;
    assert_eq!(f.verify().await, Err(Problem::CheckpointMismatch { line: 1, seq: 6 }));
    cases += 1;

    // A checkpoint written by someone without the key.
    let f = Fixture::new(&db, 6).await;
    f.journal.record(AuditEntry::new(EventKind::CabinetOpened, "Офис №1")).await.unwrap();
    let forger = CheckpointSigner::load_or_create(&f._dir.path().join("forger.key")).unwrap();
    let head = f.store.audit_head().await.unwrap();
    f.log.append(&forger.sign(head.0, &head.1, "2026-11-22T00:00:00.000000Z")).unwrap();
    assert_eq!(f.verify().await, Err(Problem::CheckpointForged { line: 2 }));
    cases += 1;

    // The head row edited on its own.
    let f = Fixture::new(&db, 6).await;
    f.set_head(6, &"a".repeat(64)).await;
    assert_eq!(f.verify().await, Err(Problem::HeadMismatch { head_seq: 6, last_seq: 6 }));
    cases += 1;
    cases
}

#[tokio::test]
async fn audit_verify_catches_tampering_on_sqlite() {
    let n = tampering_is_caught(Db::Sqlite).await;
    kabinet_tests::report(&format!("audit tampering on SQLite: {n} cases caught"));
}

#[tokio::test]
async fn audit_verify_catches_tampering_on_postgres() {
    let n = tampering_is_caught(Db::Postgres(postgres_server_url())).await;
    kabinet_tests::report(&format!("audit tampering on PostgreSQL: {n} cases caught"));
}

/// Child side of the two-process test: appends KABINET_CHILD_COUNT rows concurrently.
#[tokio::test]
#[ignore = "run by two_processes_append_one_chain_* as a child process"]
async fn child_appender() {
    let (Ok(url), Ok(count), Ok(tag)) =
        (std::env::var("KABINET_CHILD_DB"), std::env::var("KABINET_CHILD_COUNT"), std::env::var("KABINET_CHILD_TAG"))
    else {
        return;
    };
    let store = Store::open(&url).await.expect("child opens the store");
    let journal = Journal::new(store.clone(), Arc::new(SystemClock));
    let mut set = tokio::task::JoinSet::new();
    for i in 0..count.parse::<usize>().unwrap() {
        let (j, tag) = (journal.clone(), tag.clone());
        set.spawn(async move {
            let mut e = AuditEntry::new(EventKind::CabinetOpened, "Офис №1").description(format!("{tag} #{i}"));
            e.session_id = tag;
            j.record(e).await
        });
    }
    while let Some(r) = set.join_next().await {
        r.unwrap().expect("child append");
    }
    store.close().await;
}

async fn two_processes(db: Db) {
    let engine = if matches!(db, Db::Sqlite) { "SQLite" } else { "PostgreSQL" };
    let dir = tempfile::tempdir().unwrap();
    let url = database_url(&db, dir.path()).await;
    let store = Store::open(&url).await.unwrap();
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = ["proc-a", "proc-b"]
        .iter()
        .map(|tag| {
            std::process::Command::new(&exe)
                .args(["audit::child_appender", "--exact", "--ignored", "--test-threads=1", "--quiet"])
                .env("KABINET_CHILD_DB", &url)
                .env("KABINET_CHILD_COUNT", "100")
                .env("KABINET_CHILD_TAG", tag)
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    for mut child in children {
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                assert!(status.success(), "child appender failed: {status}");
                break;
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                panic!("child appender did not finish in 120 s");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let signer = CheckpointSigner::load_or_create(&dir.path().join("k")).unwrap();
    let log = CheckpointLog::new(dir.path().join("cp.jsonl"));
    Journal::new(store.clone(), Arc::new(SystemClock)).checkpoint(&signer, &log).await.unwrap();
    let report = verify_journal(&store, &log.read_all().unwrap(), &signer.verifying_key()).await.unwrap().expect("one valid chain");
    assert_eq!(report.rows, 200);
    let rows = store.audit_rows(0, 1000).await.unwrap();
    for tag in ["proc-a", "proc-b"] {
        assert_eq!(rows.iter().filter(|r| r.session_id == tag).count(), 100, "{tag}");
    }
    // Interleaved, not one process after the other: the lock was really contended.
    let switches = rows.windows(2).filter(|w| w[0].session_id != w[1].session_id).count();
    kabinet_tests::report(&format!("two processes appended 200 rows to one chain on {engine}; the writer changed {switches} times"));
}

#[tokio::test]
async fn two_processes_append_one_chain_on_postgres() {
    two_processes(Db::Postgres(postgres_server_url())).await;
}

#[tokio::test]
async fn two_processes_append_one_chain_on_sqlite() {
    two_processes(Db::Sqlite).await;
}
