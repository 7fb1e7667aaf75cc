//! A signed-in world for API tests: a shim on port 0 with the SMS simulator and a clock the
//! test moves, demo clients registered the way a person registers.

use std::sync::Arc;

use kabinet_shim::clock::ManualClock;
use kabinet_shim::config::Config;
use kabinet_shim::gateways::sms::simulator::SmsSimulator;
use serde_json::json;
use time::macros::datetime;

use crate::client::{next_code, sms_count, Client, Resp};
use crate::{bind, database_url, test_config, Db, TestShim};

pub const SITE: &str = "http://company.localhost:8000";
pub const MARIA: &str = "Иванова Мария Петровна";
pub const MARIA_PHONE: &str = "+79161234567";
pub const SERGEY: &str = "Петров Сергей Николаевич";
pub const SERGEY_PHONE: &str = "+79137654321";
pub const KUZNETSOV: &str = "Кузнецов Алексей Иванович";
pub const KUZNETSOV_PHONE: &str = "+79990001122";
pub const PASSWORD: &str = "корова-на-льду-42";
pub const CONSENT: &str = "2026-11-01";

/// A shim on port 0 with a clock the test moves, and helpers to act as a person would.
pub struct Env {
    pub shim: TestShim,
    pub clock: ManualClock,
    _dir: tempfile::TempDir,
}

impl Env {
    pub async fn start(db: Db, edit: impl FnOnce(&mut Config)) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let db_url = database_url(&db, dir.path()).await;
        Self::start_on(&db_url, dir, ManualClock::new(datetime!(2026-11-22 09:00 UTC)), edit).await
    }

    pub async fn start_on(db_url: &str, dir: tempfile::TempDir, clock: ManualClock, edit: impl FnOnce(&mut Config)) -> Env {
        let l = bind().await;
        let url = format!("http://lk.company.localhost:{}", l.local_addr().unwrap().port());
        let mut config = test_config(dir.path(), db_url, &url, &[SITE.to_string()]);
        edit(&mut config);
        let shim = TestShim::start_with_clock(config, l, Arc::new(clock.clone())).await;
        Env { shim, clock, _dir: dir }
    }

    pub fn client(&self) -> Client {
        Client::new(&self.shim.loopback, SITE)
    }

    pub fn sim(&self) -> &SmsSimulator {
        self.shim.state.sms_simulator().expect("test mode runs the SMS simulator")
    }

    pub fn advance(&self, secs: i64) {
        self.clock.advance(time::Duration::seconds(secs));
    }

    /// Registers a demo client end to end and returns the signed-in client.
    pub async fn register(&self, name: &str, phone: &str) -> Client {
        let mut c = self.client();
        let before = sms_count(self.sim(), phone);
        let r = c.post("/auth/register", &register_body(name, phone, PASSWORD)).await;
        assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
        let code = next_code(self.sim(), phone, before).await;
        let r = c.post("/auth/register/confirm", &json!({"phone": phone, "code": code, "password": PASSWORD})).await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        c
    }

    pub async fn login(&self, phone: &str, password: &str) -> (Client, Resp) {
        let mut c = self.client();
        let r = c.post("/auth/login", &json!({"phone": phone, "password": password})).await;
        (c, r)
    }

    pub async fn count_rows(&self) -> Vec<(&'static str, i64)> {
        let mut out = Vec::new();
        for t in [
            "ledger_clients",
            "cabinet_users",
            "consents",
            "sms_codes",
            "sms_requests",
            "sms_messages",
            "login_failures",
            "sessions",
            "audit_log",
        ] {
            let n: (i64,) =
                sqlx::query_as(&format!("SELECT COUNT(*) FROM {t}")).fetch_one(self.shim.state.store().pool()).await.unwrap();
            out.push((t, n.0));
        }
        out
    }

    pub async fn events(&self) -> Vec<(String, String)> {
        let rows = self.shim.state.store().audit_rows(0, 10_000).await.unwrap();
        rows.into_iter().map(|r| (r.event, r.description)).collect()
    }
}

pub fn register_body(name: &str, phone: &str, password: &str) -> serde_json::Value {
    json!({"full_name": name, "phone": phone, "password": password, "consent_version": CONSENT})
}
