//! Limits kept in the Store, so every instance on one database enforces them together: how
//! often codes may be asked for (per phone, per IP /64, per number prefix, a daily budget),
//! and the growing delay after failed logins.

use std::net::IpAddr;

use kabinet_api::Phone;
use sqlx::Row;

use crate::config::AuthConfig;
use crate::storage::{Backend, Store};

/// Why a code request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendRefusal {
    /// Try again in this many seconds.
    RetryAfter(u32),
    /// The daily budget breaker tripped: no SMS at all for now.
    BudgetExhausted,
}

/// The key IP limits count by: the address itself for IPv4, its /64 for IPv6 (one subscriber
/// usually holds a whole /64).
pub fn ip_net(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

#[derive(Clone)]
pub struct Limits {
    store: Store,
    cfg: AuthConfig,
}

const MINUTE: i64 = 60;
const HOUR: i64 = 3600;
const DAY: i64 = 86_400;

/// Arbitrary constant naming the PostgreSQL advisory lock that serialises code requests.
const SEND_LOCK: i64 = 0x6b61_6269_6e65_7401;

impl Limits {
    pub fn new(store: Store, cfg: AuthConfig) -> Self {
        Limits { store, cfg }
    }

    /// Counts one request for a code to `phone` from `ip`, or refuses it. The request's row
    /// is written first and the windows counted with it inside one transaction (SQLite's
    /// write lock, PostgreSQL's advisory lock), so concurrent requests on any instance cannot
    /// slip past a limit together; a refused request leaves no row.
    pub async fn admit_send(&self, phone: &Phone, ip: IpAddr, now: i64) -> Result<Result<(), SendRefusal>, sqlx::Error> {
        let mut tx = self.store.pool().begin().await?;
        if self.store.backend() == Backend::Postgres {
            sqlx::query("SELECT 1 FROM (SELECT pg_advisory_xact_lock($1)) AS l").bind(SEND_LOCK).execute(&mut *tx).await?;
        }
        let net = ip_net(ip);
        let own: i64 = sqlx::query("INSERT INTO sms_requests (phone, ip_net, prefix, at) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(phone.as_e164())
            .bind(&net)
            .bind(phone.prefix())
            .bind(now)
            .fetch_one(&mut *tx)
            .await?
            .get(0);

        let c = &self.cfg;
        // The breaker first: when it trips nobody gets a code, whatever their own counts.
        let total: i64 = sqlx::query("SELECT COUNT(*) FROM sms_requests WHERE at > $1")
            .bind(now - DAY)
            .fetch_one(&mut *tx)
            .await?
            .get(0);
        if total > i64::from(c.sms_daily_budget) {
            tx.rollback().await?;
            tracing::error!(budget = c.sms_daily_budget, "SMS daily budget exhausted: code requests refused (possible SMS pumping)");
            return Ok(Err(SendRefusal::BudgetExhausted));
        }
        let checks: [(&str, &str, i64, i64); 5] = [
            ("phone", phone.as_e164(), c.resend_cooldown_secs as i64, 1),
            ("phone", phone.as_e164(), 15 * MINUTE, i64::from(c.sends_per_phone_15min)),
            ("phone", phone.as_e164(), DAY, i64::from(c.sends_per_phone_day)),
            ("ip_net", &net, HOUR, i64::from(c.sends_per_ip_hour)),
            ("prefix", phone.prefix(), HOUR, i64::from(c.sends_per_prefix_hour)),
        ];
        for (column, key, window, limit) in checks {
            if window <= 0 || limit <= 0 {
                continue;
            }
            // The `limit`-th most recent earlier request inside the window, if there are that
            // many: the request may go when that one leaves the window.
            let sql = format!(
                "SELECT at FROM sms_requests WHERE {column} = $1 AND at > $2 AND id <> $3 \
                 ORDER BY at DESC, id DESC LIMIT 1 OFFSET $4"
            );
            let blocking = sqlx::query(&sql)
                .bind(key)
                .bind(now - window)
                .bind(own)
                .bind(limit - 1)
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(row) = blocking {
                let at: i64 = row.get(0);
                tx.rollback().await?;
                if column == "prefix" {
                    tracing::warn!(prefix = %key, "code requests per number prefix over the limit (possible SMS pumping)");
                }
                return Ok(Err(SendRefusal::RetryAfter((at + window - now).max(1) as u32)));
            }
        }
        tx.commit().await?;
        Ok(Ok(()))
    }

    /// Before a password is checked: refuses while the delay after earlier failures runs.
    /// Unknown phones are counted exactly like known ones, so the delay says nothing.
    pub async fn login_delay(&self, phone: &Phone, now: i64) -> Result<Option<u32>, sqlx::Error> {
        let row = sqlx::query("SELECT failures, last_failure_at FROM login_failures WHERE phone = $1")
            .bind(phone.as_e164())
            .fetch_optional(self.store.pool())
            .await?;
        let Some(row) = row else { return Ok(None) };
        let (failures, last): (i64, i64) = (row.get(0), row.get(1));
        let free = i64::from(self.cfg.login_free_failures);
        if failures < free {
            return Ok(None);
        }
        let wait = ((failures - free + 1) * self.cfg.login_delay_step_secs as i64).min(self.cfg.login_delay_max_secs as i64);
        let until = last + wait;
        Ok((now < until).then(|| (until - now) as u32))
    }

    /// Whether password login is stopped for this phone until a reset by SMS.
    pub async fn login_locked(&self, phone: &Phone) -> Result<bool, sqlx::Error> {
        let row = sqlx::query("SELECT failures FROM login_failures WHERE phone = $1")
            .bind(phone.as_e164())
            .fetch_optional(self.store.pool())
            .await?;
        Ok(row.map(|r| r.get::<i64, _>(0)).unwrap_or(0) >= i64::from(self.cfg.login_lock_failures))
    }

    pub async fn record_login_failure(&self, phone: &Phone, now: i64) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO login_failures (phone, failures, last_failure_at) VALUES ($1, 1, $2) \
             ON CONFLICT (phone) DO UPDATE SET failures = login_failures.failures + 1, last_failure_at = $2",
        )
        .bind(phone.as_e164())
        .bind(now)
        .execute(self.store.pool())
        .await?;
        Ok(())
    }

    pub async fn clear_login_failures(&self, phone: &Phone) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM login_failures WHERE phone = $1").bind(phone.as_e164()).execute(self.store.pool()).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_counts_by_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(ip_net(a), ip_net(b));
        assert_ne!(ip_net(a), ip_net(c));
        assert_eq!(ip_net("::ffff:10.0.0.1".parse().unwrap()), "10.0.0.1");
        assert_eq!(ip_net("10.0.0.1".parse().unwrap()), "10.0.0.1");
    }
}
