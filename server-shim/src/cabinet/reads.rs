//! The read limit (A22): at most `auth.reads_per_session_minute` (60) object reads per session
//! in any 60 seconds. A person clicking through their contracts stays far below it; a script
//! walking ids does not, and gets 429 plus a journal row and an error-level log line for the
//! alert. Reads are counted per second and the last 60 seconds summed, so a burst across a
//! minute boundary is no loophole.

use kabinet_api::ErrorCode;
use sqlx::Row;

use crate::audit::{AuditEntry, EventKind};
use crate::auth::session::ActiveSession;
use crate::http::error::AppError;
use crate::http::AppState;

const WINDOW_SECS: i64 = 60;

/// Counts this read and refuses it past the limit. The count is an atomic upsert before the
/// sum, so parallel requests can only be refused too eagerly, never let through beyond the
/// limit; several shim instances share the counts.
pub async fn admit_read(state: &AppState, session: &ActiveSession) -> Result<(), AppError> {
    let now = state.now_secs();
    sqlx::query(
        "INSERT INTO read_counts (session_uid, second, reads) VALUES ($1, $2, 1) \
         ON CONFLICT (session_uid, second) DO UPDATE SET reads = read_counts.reads + 1",
    )
    .bind(&session.uid)
    .bind(now)
    .execute(state.store().pool())
    .await?;
    let rows = sqlx::query("SELECT second, reads FROM read_counts WHERE session_uid = $1 AND second > $2 ORDER BY second")
        .bind(&session.uid)
        .bind(now - WINDOW_SECS)
        .fetch_all(state.store().pool())
        .await?;
    let buckets: Vec<(i64, i64)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    let reads: i64 = buckets.iter().map(|b| b.1).sum();
    let limit = i64::from(state.config().auth.reads_per_session_minute);
    if reads <= limit {
        return Ok(());
    }
    if reads == limit + 1 {
        // Once per burst: the alert, and the row staff will look for.
        tracing::error!(session = %session.uid, client_id = %session.client_id, "read limit exceeded: possible id scan");
        let entry = AuditEntry::new(EventKind::ReadsLimited, &state.orgs().lookup().division)
            .session(&session.uid)
            .description(format!("Более {limit} запросов данных в минуту"));
        let entry = AuditEntry { client_id: session.client_id.clone(), ..entry };
        state.journal().record(entry).await?;
    }
    Err(AppError::RateLimited { code: ErrorCode::RateLimited, retry_after_secs: retry_after(&buckets, reads - limit, now) })
}

/// Seconds until enough of the oldest reads leave the window for one more to fit.
fn retry_after(buckets: &[(i64, i64)], excess: i64, now: i64) -> u32 {
    let mut dropped = 0;
    for (second, reads) in buckets {
        dropped += reads;
        if dropped >= excess {
            return u32::try_from(second + WINDOW_SECS - now).unwrap_or(1).max(1);
        }
    }
    WINDOW_SECS as u32
}

/// Drops counters older than an hour; called by the hourly prune.
pub async fn prune(state: &AppState) -> Result<(), sqlx::Error> {
    let before = state.now_secs() - 3600;
    sqlx::query("DELETE FROM read_counts WHERE second < $1").bind(before).execute(state.store().pool()).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::retry_after;

    #[test]
    fn retry_after_waits_for_the_oldest_reads_to_leave_the_window() {
        // 40 reads at t=100, 30 at t=130; now t=140 with a limit of 60: 10 too many, so the
        // 40 of t=100 must go, at t=160.
        assert_eq!(retry_after(&[(100, 40), (130, 30)], 10, 140), 20);
        assert_eq!(retry_after(&[(140, 61)], 1, 140), 60);
        assert_eq!(retry_after(&[(81, 70)], 10, 140), 1);
    }
}
