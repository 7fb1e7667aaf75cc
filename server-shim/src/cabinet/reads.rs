//! The read limit (A22): at most `auth.reads_per_session_minute` (60) object reads per session
//! per minute.
//! A person clicking through their contracts stays far below it; a script walking ids does
//! not, and gets 429 plus a journal row and an error-level log line for the alert.

use kabinet_api::ErrorCode;
use sqlx::Row;

use crate::audit::{AuditEntry, EventKind};
use crate::auth::session::ActiveSession;
use crate::http::error::AppError;
use crate::http::AppState;

/// Counts this read and refuses it past the limit. The count is one atomic upsert, so
/// parallel requests cannot slip past it, and several shim instances share it.
pub async fn admit_read(state: &AppState, session: &ActiveSession) -> Result<(), AppError> {
    let now = state.now_secs();
    let minute = now.div_euclid(60);
    let row = sqlx::query(
        "INSERT INTO read_counts (session_uid, minute, reads) VALUES ($1, $2, 1) \
         ON CONFLICT (session_uid, minute) DO UPDATE SET reads = read_counts.reads + 1 RETURNING reads",
    )
    .bind(&session.uid)
    .bind(minute)
    .fetch_one(state.store().pool())
    .await?;
    let reads: i64 = row.get(0);
    let limit = i64::from(state.config().auth.reads_per_session_minute);
    if reads <= limit {
        return Ok(());
    }
    let retry_after = u32::try_from(60 - now.rem_euclid(60)).unwrap_or(60);
    if reads == limit + 1 {
        // Once per session and minute: the alert, and the row staff will look for.
        tracing::error!(session = %session.uid, client_id = %session.client_id, "read limit exceeded: possible id scan");
        let entry = AuditEntry::new(EventKind::ReadsLimited, &state.orgs().lookup().division)
            .session(&session.uid)
            .description(format!("Более {limit} запросов данных в минуту"));
        let entry = AuditEntry { client_id: session.client_id.clone(), ..entry };
        state.journal().record(entry).await?;
    }
    Err(AppError::RateLimited { code: ErrorCode::RateLimited, retry_after_secs: retry_after.max(1) })
}

/// Drops counters older than an hour; called by the hourly prune.
pub async fn prune(state: &AppState) -> Result<(), sqlx::Error> {
    let before = state.now_secs().div_euclid(60) - 60;
    sqlx::query("DELETE FROM read_counts WHERE minute < $1").bind(before).execute(state.store().pool()).await?;
    Ok(())
}
