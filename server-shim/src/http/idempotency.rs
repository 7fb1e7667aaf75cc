//! Idempotency keys (A28): every state-changing request of a signed-in client carries an
//! `Idempotency-Key` (a UUID). The first request with a key claims it before doing anything;
//! a repeat with the same content gets the first answer again, a different request with the
//! same key gets 422, and a repeat while the first is still in flight gets 409. Kept 24 hours.
//!
//! The claim is one INSERT that only one request can win (the key is the primary key), so
//! eight identical requests at once do the work once, on SQLite and PostgreSQL alike, and on
//! several shim instances sharing one database.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use kabinet_api::requests::IDEMPOTENCY_HEADER;
use kabinet_api::ErrorCode;
use sha2::{Digest, Sha256};
use sqlx::Row;

use super::error::AppError;
use crate::storage::Store;

/// How long a key is remembered.
pub const KEEP_SECS: i64 = 24 * 3600;
/// A claim left in flight this long belongs to a request that died with its process: a
/// repeat may take it over (the accounting side is idempotent by the same key, so nothing
/// is made twice). Longer than any request can run: a message of 50 MB to accounting over
/// a slow link with its retries stays well inside it.
const STALE_SECS: i64 = 900;

/// The request's key, a UUID in its hyphenated form.
#[derive(Debug, Clone)]
pub struct IdempotencyKey(pub String);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let value = parts.headers.get(IDEMPOTENCY_HEADER).and_then(|v| v.to_str().ok()).map(str::trim);
        match value.and_then(|v| uuid::Uuid::parse_str(v).ok().filter(|_| v.len() == 36)) {
            Some(u) => Ok(IdempotencyKey(u.hyphenated().to_string())),
            None => Err(AppError::Client(ErrorCode::IdempotencyKeyRequired)),
        }
    }
}

/// SHA-256 over the parts that make a request what it is, each length-prefixed so no two
/// different lists of parts can run together into the same bytes.
pub fn fingerprint(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p);
    }
    hex::encode(h.finalize())
}

/// What claiming a key came to.
pub enum Claim {
    /// This request does the work; it must call [`Guard::complete`] or [`Guard::release`].
    Fresh(Guard),
    /// The same request was done before: here is its answer.
    Replay(Response),
}

/// A claimed key. Dropped without an answer (the request was cancelled, the task panicked),
/// it releases the key so a retry can do the work.
pub struct Guard {
    store: Store,
    client_id: String,
    key: String,
    /// This claim's own token: a request whose claim was taken over can no longer touch it.
    token: String,
    done: bool,
}

pub async fn claim(store: &Store, client_id: &str, key: &IdempotencyKey, fingerprint: &str, now: i64) -> Result<Claim, AppError> {
    // Expired keys are forgotten first, so an old key starts afresh.
    sqlx::query("DELETE FROM idempotency_keys WHERE client_id = $1 AND idem_key = $2 AND created_at < $3")
        .bind(client_id)
        .bind(&key.0)
        .bind(now - KEEP_SECS)
        .execute(store.pool())
        .await?;
    let token = uuid::Uuid::new_v4().simple().to_string();
    let won = sqlx::query(
        "INSERT INTO idempotency_keys (client_id, idem_key, fingerprint, token, status, response, created_at) \
         VALUES ($1, $2, $3, $4, NULL, NULL, $5) ON CONFLICT (client_id, idem_key) DO NOTHING",
    )
    .bind(client_id)
    .bind(&key.0)
    .bind(fingerprint)
    .bind(&token)
    .bind(now)
    .execute(store.pool())
    .await?;
    let guard = || Guard {
        store: store.clone(),
        client_id: client_id.to_owned(),
        key: key.0.clone(),
        token: token.clone(),
        done: false,
    };
    if won.rows_affected() == 1 {
        return Ok(Claim::Fresh(guard()));
    }
    let row = sqlx::query("SELECT fingerprint, status, response, created_at FROM idempotency_keys WHERE client_id = $1 AND idem_key = $2")
        .bind(client_id)
        .bind(&key.0)
        .fetch_optional(store.pool())
        .await?;
    // Released between our INSERT and this SELECT: the client retries and wins then.
    let Some(r) = row else { return Err(AppError::Client(ErrorCode::RequestInProgress)) };
    if r.get::<String, _>(0) != fingerprint {
        return Err(AppError::Client(ErrorCode::IdempotencyKeyReused));
    }
    match r.get::<Option<i64>, _>(1) {
        Some(status) => {
            let status = StatusCode::from_u16(u16::try_from(status).unwrap_or(500)).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let body: String = r.get::<Option<String>, _>(2).unwrap_or_default();
            let mut res = (status, body).into_response();
            res.headers_mut().insert(axum::http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            res.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
            Ok(Claim::Replay(res))
        }
        None => {
            let since: i64 = r.get(3);
            if since >= now - STALE_SECS {
                return Err(AppError::Client(ErrorCode::RequestInProgress));
            }
            // Take over a claim abandoned by a dead process; conditional, so one taker wins.
            let took = sqlx::query(
                "UPDATE idempotency_keys SET created_at = $1, token = $5 \
                 WHERE client_id = $2 AND idem_key = $3 AND status IS NULL AND created_at = $4",
            )
            .bind(now)
            .bind(client_id)
            .bind(&key.0)
            .bind(since)
            .bind(&token)
            .execute(store.pool())
            .await?;
            if took.rows_affected() == 1 {
                Ok(Claim::Fresh(guard()))
            } else {
                Err(AppError::Client(ErrorCode::RequestInProgress))
            }
        }
    }
}

impl Guard {
    /// Stores the answer for repeats and returns it as the response.
    pub async fn complete<T: serde::Serialize>(mut self, status: StatusCode, body: &T) -> Result<Response, AppError> {
        let json = serde_json::to_string(body).map_err(|e| AppError::Internal(e.to_string()))?;
        sqlx::query(
            "UPDATE idempotency_keys SET status = $1, response = $2 WHERE client_id = $3 AND idem_key = $4 AND token = $5",
        )
        .bind(i64::from(status.as_u16()))
        .bind(&json)
        .bind(&self.client_id)
        .bind(&self.key)
        .bind(&self.token)
        .execute(self.store.pool())
        .await?;
        self.done = true;
        let mut res = (status, json).into_response();
        res.headers_mut().insert(axum::http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        Ok(res)
    }

    /// The work failed: forget the key, so the same request may be tried again.
    pub async fn release(mut self) {
        self.done = true;
        if let Err(e) = release(&self.store, &self.client_id, &self.key, &self.token).await {
            tracing::warn!(error = %e, "releasing an idempotency key failed; it frees itself after fifteen minutes");
        }
    }
}

async fn release(store: &Store, client_id: &str, key: &str, token: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM idempotency_keys WHERE client_id = $1 AND idem_key = $2 AND status IS NULL AND token = $3")
        .bind(client_id)
        .bind(key)
        .bind(token)
        .execute(store.pool())
        .await?;
    Ok(())
}

impl Drop for Guard {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let (store, client_id, key, token) = (self.store.clone(), self.client_id.clone(), self.key.clone(), self.token.clone());
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                let _ = release(&store, &client_id, &key, &token).await;
            });
        }
    }
}

/// Runs `work` under a claimed key: its success is stored and answered with `status`; its
/// failure releases the key and is answered as is.
/// A JSON request done once per key: `route` and the body make the fingerprint, the key is
/// claimed, and `work` runs only for a first request (a repeat gets the stored answer).
pub async fn once_json<B, T, F>(
    state: &super::AppState,
    client_id: &str,
    key: &IdempotencyKey,
    route: &str,
    body: &B,
    status: StatusCode,
    work: F,
) -> Result<Response, AppError>
where
    B: serde::Serialize,
    T: serde::Serialize,
    F: std::future::Future<Output = Result<T, AppError>>,
{
    let bytes = serde_json::to_vec(body).map_err(|e| AppError::Internal(e.to_string()))?;
    let fingerprint = fingerprint(&[route.as_bytes(), &bytes]);
    let claim = claim(state.store(), client_id, key, &fingerprint, state.now_secs()).await?;
    run(claim, status, work).await
}

pub async fn run<T, F>(claim: Claim, status: StatusCode, work: F) -> Result<Response, AppError>
where
    T: serde::Serialize,
    F: std::future::Future<Output = Result<T, AppError>>,
{
    let guard = match claim {
        Claim::Replay(res) => return Ok(res),
        Claim::Fresh(g) => g,
    };
    match work.await {
        Ok(body) => guard.complete(status, &body).await,
        Err(e) => {
            guard.release().await;
            Err(e)
        }
    }
}

/// Forgets keys older than a day; called by the hourly prune.
pub async fn prune(store: &Store, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1").bind(now - KEEP_SECS).execute(store.pool()).await?;
    Ok(())
}
