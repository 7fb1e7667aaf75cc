//! The Store conformance suite: the same checks on SQLite and on PostgreSQL. PostgreSQL missing
//! is a failure, not a skip; each run prints how many checks passed on which engine.

use std::sync::Arc;

use kabinet_shim::audit::{AuditEntry, EventKind, Journal, GENESIS_HASH};
use kabinet_shim::clock::SystemClock;
use kabinet_shim::storage::{Backend, Store};
use kabinet_tests::{database_url, postgres_server_url, Db};

struct Checks {
    passed: usize,
}

impl Checks {
    fn ok(&mut self, cond: bool, what: &str) {
        assert!(cond, "store check failed: {what}");
        self.passed += 1;
    }
}

fn entry(i: usize) -> AuditEntry {
    let mut e = AuditEntry::new(EventKind::CabinetOpened, "Офис №1").ip("192.0.2.1").description(format!("запись {i}"));
    e.client_name = "Коротков Евгений Юрьевич".into();
    e.session_id = uuid::Uuid::new_v4().to_string();
    e
}

async fn conformance(db: Db) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let url = database_url(&db, dir.path()).await;
    let mut c = Checks { passed: 0 };

    let store = Store::open(&url).await.expect("open");
    c.ok(matches!((&db, store.backend()), (Db::Sqlite, Backend::Sqlite) | (Db::Postgres(_), Backend::Postgres)), "backend chosen by URL");
    store.ping().await.expect("ping");
    c.ok(true, "ping");
    // Migrations are idempotent: opening again applies nothing new and loses nothing.
    let again = Store::open(&url).await.expect("reopen");
    c.ok(again.audit_head().await.unwrap() == (0, GENESIS_HASH.to_string()), "empty head is genesis");
    again.close().await;

    let journal = Journal::new(store.clone(), Arc::new(SystemClock));
    let mut rows = Vec::new();
    for i in 0..5 {
        rows.push(journal.record(entry(i)).await.expect("append"));
    }
    c.ok(rows.iter().map(|r| r.seq).collect::<Vec<_>>() == vec![1, 2, 3, 4, 5], "sequential seq");
    c.ok(rows[0].prev_hash == GENESIS_HASH, "first row chains to genesis");
    c.ok(rows.windows(2).all(|w| w[1].prev_hash == w[0].hash), "rows chain");
    c.ok(rows.iter().all(|r| r.hash == r.compute_hash()), "hashes cover content");
    c.ok(store.audit_head().await.unwrap() == (5, rows[4].hash.clone()), "head follows the last row");

    let stored = store.audit_rows(0, 100).await.unwrap();
    c.ok(stored == rows, "rows read back exactly as written");
    let page = store.audit_rows(2, 2).await.unwrap();
    c.ok(page.iter().map(|r| r.seq).collect::<Vec<_>>() == vec![3, 4], "paging");
    c.ok(stored[0].client_name == "Коротков Евгений Юрьевич", "Cyrillic round-trips");

    // Control characters cannot forge a second line in the journal.
    let mut e = entry(9);
    e.description = "ok\n2026-01-01 Авторизация\r\u{0}".into();
    e.subject = "🙂 «кавычки» 'quotes' \"dq\"".into();
    let r = journal.record(e).await.unwrap();
    c.ok(!r.description.contains('\n') && !r.description.contains('\r') && !r.description.contains('\0'), "control chars flattened");
    c.ok(store.audit_rows(5, 1).await.unwrap()[0].subject == "🙂 «кавычки» 'quotes' \"dq\"", "unicode and quotes round-trip");

    // The database itself refuses to change or delete journal rows.
    let upd = sqlx::query("UPDATE audit_log SET description = 'x' WHERE seq = 1").execute(store.pool()).await;
    c.ok(upd.is_err(), "UPDATE refused");
    let del = sqlx::query("DELETE FROM audit_log WHERE seq = 1").execute(store.pool()).await;
    c.ok(del.is_err(), "DELETE refused");
    c.ok(store.audit_rows(0, 1).await.unwrap()[0] == rows[0], "row 1 unchanged after refused writes");

    // Concurrent appends from one process (a pool of connections) still form one chain.
    let mut set = tokio::task::JoinSet::new();
    for i in 0..40 {
        let j = journal.clone();
        set.spawn(async move { j.record(entry(100 + i)).await.map(|r| r.seq) });
    }
    let mut seqs = Vec::new();
    while let Some(r) = set.join_next().await {
        seqs.push(r.unwrap().expect("concurrent append"));
    }
    seqs.sort();
    c.ok(seqs == (7..47).collect::<Vec<i64>>(), "concurrent appends get distinct contiguous seqs");
    let all = store.audit_rows(0, 1000).await.unwrap();
    c.ok(all.windows(2).all(|w| w[1].prev_hash == w[0].hash && w[1].seq == w[0].seq + 1), "one chain after concurrency");

    store.close().await;
    c.passed
}

#[tokio::test]
async fn store_conformance_on_sqlite() {
    let n = conformance(Db::Sqlite).await;
    kabinet_tests::report(&format!("store conformance on SQLite: {n} checks passed"));
}

#[tokio::test]
async fn store_conformance_on_postgres() {
    let n = conformance(Db::Postgres(postgres_server_url())).await;
    kabinet_tests::report(&format!("store conformance on PostgreSQL: {n} checks passed"));
}

#[tokio::test]
async fn unsupported_database_urls_are_refused() {
    for url in ["mysql://localhost/x", "", "file:///tmp/x.db"] {
        assert!(Store::open(url).await.is_err(), "{url}");
    }
}
