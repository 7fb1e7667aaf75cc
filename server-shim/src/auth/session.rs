//! Client sessions: a 256-bit random token in a `__Host-` cookie, only its SHA-256 in the
//! Store; idle and absolute expiry checked on every use; revoked server-side.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use base64::Engine;
use kabinet_api::ErrorCode;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::config::{AuthConfig, CookieLayout};
use crate::http::error::AppError;
use crate::http::AppState;
use crate::storage::Store;

/// `__Host-` makes browsers insist on Secure, Path=/ and no Domain, so no sibling subdomain
/// can plant or overwrite it.
pub const COOKIE_NAME: &str = "__Host-kabinet_sid";

#[derive(Clone)]
pub struct Sessions {
    store: Store,
    idle_secs: i64,
    absolute_secs: i64,
    layout: CookieLayout,
}

/// A session that passed every check on this request.
#[derive(Debug, Clone)]
pub struct ActiveSession {
    /// Public id for the journal and signatures; not the token.
    pub uid: String,
    pub user_id: String,
    pub client_id: String,
    pub phone: String,
    id_hash: String,
}

/// A new session's token, shown to the browser once and never stored.
pub struct NewSession {
    pub token: String,
    pub uid: String,
}

pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The session token in the request's Cookie header, if any.
pub fn token_from(headers: &HeaderMap) -> Option<String> {
    token_cookie(headers, COOKIE_NAME)
}

/// A cookie holding a 256-bit token (43 characters of URL-safe base64), if present and so shaped.
pub fn token_cookie(headers: &HeaderMap, cookie_name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == cookie_name)
        .map(|(_, value)| value.to_owned())
        .filter(|v| v.len() == 43 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}

/// A new 256-bit token as URL-safe base64 without padding (43 characters).
pub fn new_token() -> String {
    let mut raw = [0u8; 32];
    getrandom::fill(&mut raw).expect("the OS random source works");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

impl Sessions {
    pub fn new(store: Store, cfg: &AuthConfig) -> Self {
        Sessions {
            store,
            idle_secs: cfg.session_idle_secs as i64,
            absolute_secs: cfg.session_absolute_secs as i64,
            layout: cfg.cookie,
        }
    }

    pub fn idle_secs(&self) -> i64 {
        self.idle_secs
    }

    /// Starts a session; the caller revokes whatever session the browser had before, so the
    /// id always changes at login.
    pub async fn create(&self, user_id: &str, ip: &str, user_agent: &str, now: i64) -> Result<NewSession, sqlx::Error> {
        let token = new_token();
        let uid = uuid::Uuid::new_v4().to_string();
        let ua: String = user_agent.chars().take(300).collect();
        sqlx::query(
            "INSERT INTO sessions (id_hash, uid, user_id, created_at, last_seen_at, expires_at, ip, user_agent) \
             VALUES ($1, $2, $3, $4, $4, $5, $6, $7)",
        )
        .bind(token_hash(&token))
        .bind(&uid)
        .bind(user_id)
        .bind(now)
        .bind(now + self.absolute_secs)
        .bind(ip)
        .bind(ua)
        .execute(self.store.pool())
        .await?;
        Ok(NewSession { token, uid })
    }

    /// The session behind `token` if it is live, marking it used now.
    pub async fn lookup(&self, token: &str, now: i64) -> Result<Option<ActiveSession>, sqlx::Error> {
        let hash = token_hash(token);
        // One conditional UPDATE both checks every expiry rule and records the use, so a
        // session cannot be stretched by two requests racing at its idle deadline.
        let row = sqlx::query(
            "UPDATE sessions SET last_seen_at = $2 \
             WHERE id_hash = $1 AND revoked_at IS NULL AND expires_at > $2 AND last_seen_at > $3 \
             RETURNING uid, user_id",
        )
        .bind(&hash)
        .bind(now)
        .bind(now - self.idle_secs)
        .fetch_optional(self.store.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let (uid, user_id): (String, String) = (row.get(0), row.get(1));
        let user = sqlx::query("SELECT client_id, phone FROM cabinet_users WHERE id = $1")
            .bind(&user_id)
            .fetch_optional(self.store.pool())
            .await?;
        let Some(user) = user else { return Ok(None) };
        Ok(Some(ActiveSession { uid, user_id, client_id: user.get(0), phone: user.get(1), id_hash: hash }))
    }

    pub async fn revoke(&self, session: &ActiveSession, now: i64) -> Result<(), sqlx::Error> {
        self.revoke_token_hash(&session.id_hash, now).await
    }

    /// Revokes the session of a cookie the browser presented (at login, to rotate the id).
    pub async fn revoke_token(&self, token: &str, now: i64) -> Result<(), sqlx::Error> {
        self.revoke_token_hash(&token_hash(token), now).await
    }

    async fn revoke_token_hash(&self, hash: &str, now: i64) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE id_hash = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(hash)
            .execute(self.store.pool())
            .await?;
        Ok(())
    }

    /// Ends every session of a user, except `keep` (the one making a password change),
    /// inside the caller's transaction.
    pub async fn revoke_all_in(
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        user_id: &str,
        keep: Option<&ActiveSession>,
        now: i64,
    ) -> Result<u64, sqlx::Error> {
        let keep = keep.map(|s| s.id_hash.as_str()).unwrap_or("");
        let done = sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL AND id_hash <> $3")
            .bind(now)
            .bind(user_id)
            .bind(keep)
            .execute(&mut **tx)
            .await?;
        Ok(done.rows_affected())
    }

    /// The SameSite attributes of this deployment's cookies (see [`CookieLayout`]).
    pub fn same_site(&self) -> &'static str {
        match self.layout {
            CookieLayout::FirstParty => "SameSite=Lax",
            CookieLayout::Partitioned => "SameSite=None; Partitioned",
        }
    }

    /// `Set-Cookie` for a new session. No Max-Age: the browser forgets it when closed, and
    /// the server ends it long before that matters.
    pub fn cookie(&self, token: &str) -> HeaderValue {
        let attrs = self.same_site();
        HeaderValue::from_str(&format!("{COOKIE_NAME}={token}; Path=/; Secure; HttpOnly; {attrs}"))
            .expect("token is URL-safe base64")
    }

    /// `Set-Cookie` that makes the browser drop the session cookie.
    pub fn clear_cookie(&self) -> HeaderValue {
        let attrs = self.same_site();
        HeaderValue::from_str(&format!("{COOKIE_NAME}=; Path=/; Secure; HttpOnly; {attrs}; Max-Age=0")).expect("static cookie")
    }
}

/// Extractor for handlers that need a signed-in client: 401 `unauthenticated` otherwise.
pub struct CurrentSession(pub ActiveSession);

impl FromRequestParts<AppState> for CurrentSession {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = token_from(&parts.headers).ok_or(AppError::Client(ErrorCode::Unauthenticated))?;
        let now = state.now_secs();
        match state.auth().sessions.lookup(&token, now).await? {
            Some(s) => Ok(CurrentSession(s)),
            None => Err(AppError::Client(ErrorCode::Unauthenticated)),
        }
    }
}
