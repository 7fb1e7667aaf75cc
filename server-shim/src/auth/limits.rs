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
        // Every limit is checked and the longest wait answered: the shortest would only send
        // the person back to be refused again.
        let mut wait: Option<i64> = None;
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
                if column == "prefix" {
                    tracing::warn!(prefix = %key, "code requests per number prefix over the limit (possible SMS pumping)");
                }
                wait = Some(wait.unwrap_or(0).max(at + window - now));
            }
        }
        if let Some(w) = wait {
            tx.rollback().await?;
            return Ok(Err(SendRefusal::RetryAfter(w.max(1) as u32)));
        }
        tx.commit().await?;
        Ok(Ok(()))
    }

    /// Counts a password attempt for `phone` *before* the password is checked, or refuses it
    /// while the delay after earlier failures runs (`Err(seconds)`). Counting first, in one
    /// conditional upsert, means parallel guesses cannot all slip in before the count rises.
    /// Returns how many failures preceded this attempt. Unknown phones are counted exactly
    /// like known ones, so the delay says nothing. A successful check calls
    /// [`Limits::clear_login_failures`].
    pub async fn claim_password_attempt(&self, phone: &Phone, now: i64) -> Result<Result<i64, u32>, sqlx::Error> {
        let c = &self.cfg;
        let (free, step, max) = (i64::from(c.login_free_failures), c.login_delay_step_secs as i64, c.login_delay_max_secs as i64);
        // The first failure's delay, for the INSERT branch (the UPDATE branch computes its own).
        let first_block = if 1 >= free { now + (2 - free).max(1).saturating_mul(step).min(max) } else { 0 };
        let row = sqlx::query(
            "INSERT INTO login_failures (phone, failures, last_failure_at, blocked_until) VALUES ($1, 1, $2, $3) \
             ON CONFLICT (phone) DO UPDATE SET \
               failures = login_failures.failures + 1, \
               last_failure_at = $2, \
               blocked_until = CASE WHEN login_failures.failures + 1 >= $4 \
                 THEN $2 + CASE WHEN (login_failures.failures + 2 - $4) * $5 > $6 THEN $6 \
                                ELSE (login_failures.failures + 2 - $4) * $5 END \
                 ELSE 0 END \
             WHERE login_failures.blocked_until <= $2 \
             RETURNING failures",
        )
        .bind(phone.as_e164())
        .bind(now)
        .bind(first_block)
        .bind(free)
        .bind(step)
        .bind(max)
        .fetch_optional(self.store.pool())
        .await?;
        if let Some(row) = row {
            return Ok(Ok(row.get::<i64, _>(0) - 1));
        }
        let until: i64 = sqlx::query("SELECT blocked_until FROM login_failures WHERE phone = $1")
            .bind(phone.as_e164())
            .fetch_optional(self.store.pool())
            .await?
            .map(|r| r.get(0))
            .unwrap_or(now + 1);
        Ok(Err((until - now).max(1) as u32))
    }

    /// Whether `failures` earlier failures in a row mean password login has stopped until a
    /// reset by SMS.
    pub fn locked_after(&self, failures: i64) -> bool {
        failures >= i64::from(self.cfg.login_lock_failures)
    }

    pub async fn clear_login_failures(&self, phone: &Phone) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM login_failures WHERE phone = $1").bind(phone.as_e164()).execute(self.store.pool()).await?;
        Ok(())
    }

    /// Forgets failure counters that can no longer delay anyone and are far from the lock:
    /// an attacker's unknown phones must not pile up forever.
    pub async fn prune(&self, now: i64) -> Result<u64, sqlx::Error> {
        let done = sqlx::query("DELETE FROM login_failures WHERE last_failure_at < $1 AND blocked_until < $2 AND failures < $3")
            .bind(now - 86_400)
            .bind(now)
            .bind(i64::from(self.cfg.login_free_failures))
            .execute(self.store.pool())
            .await?;
        Ok(done.rows_affected())
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
