//! Sign-in through ESIA (Госуслуги): the trip's start, ESIA's answer at the callback, the
//! outcome for the browser that started the trip, and the first link of a cabinet account to
//! an ESIA identity (the OID), which the client confirms.
//!
//! Why it holds: the `state` sent to ESIA is a fresh UUID, taken once at the callback; the
//! trip is bound to the browser by a flow cookie whose token only the browser has (the shim
//! keeps its SHA-256): ESIA's answer is taken only from that browser, and only it learns the
//! outcome or finishes the link; the trip's PKCE verifier and nonce stay in the shim, so a
//! code is of use only to the trip it was issued for; ESIA's code is exchanged and its
//! id_token checked by the adapter (`gateways::esia::client`) before anything is believed; a person is matched only on values ESIA marks verified. Linking an
//! existing cabinet that has a password needs that password too (A24: both factors), so a
//! stolen Gosuslugi account alone cannot take over a cabinet that was never linked to it.

use kabinet_api::esia::EsiaOutcome;
use kabinet_api::ErrorCode;
use secrecy::{ExposeSecret, SecretString};
use sqlx::Row;

use super::session::{new_token, token_hash};
use super::{consent, Auth, Caller, SignedIn, User};
use crate::accounting::FullName;
use crate::audit::EventKind;
use crate::gateways::esia::client::EsiaError;
use crate::http::error::AppError;

/// The flow cookie: `__Host-` for the same reasons as the session's.
pub const FLOW_COOKIE: &str = "__Host-kabinet_esia";
/// `identity_links.provider` of ESIA.
pub const PROVIDER: &str = "esia";
/// The journal's «Тип авторизации».
const KIND: &str = "ЕСИА";
/// Trips one address may start in ten minutes: each costs a signature by the organisation's
/// key and a row, so a script must not be able to start them without end.
const STARTS_PER_IP: i64 = 20;

/// ESIA's answer at the callback, as it came in the query.
#[derive(Debug, Default, serde::Deserialize)]
pub struct CallbackQuery {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// What the outcome call came to.
pub enum Outcome {
    /// Signed in: the session cookie goes with the answer.
    SignedIn(SignedIn),
    /// Something for the client to decide or read.
    Show(EsiaOutcome),
}

/// Where the browser goes after the callback: back to the company page, or (when the answer
/// names no trip this shim started) a page of the shim's own saying what happened.
pub enum CallbackEnd {
    Return(String),
    Page(ErrorCode),
}

struct Flow {
    state: String,
    expires_at: i64,
    answered_at: Option<i64>,
    outcome: String,
    error_code: String,
    subject: String,
    full_name: String,
    client_id: String,
    finished_at: Option<i64>,
}

const FLOW_COLUMNS: &str =
    "state, expires_at, answered_at, outcome, error_code, subject, full_name, client_id, finished_at";

fn flow_from(r: &sqlx::any::AnyRow) -> Flow {
    Flow {
        state: r.get(0),
        expires_at: r.get(1),
        answered_at: r.get(2),
        outcome: r.get(3),
        error_code: r.get(4),
        subject: r.get(5),
        full_name: r.get(6),
        client_id: r.get(7),
        finished_at: r.get(8),
    }
}

/// The kabinet code and the journal's reason for an adapter's refusal.
fn refusal(e: &EsiaError) -> (ErrorCode, String) {
    match e {
        EsiaError::Denied => (ErrorCode::EsiaDenied, "клиент отказал в доступе на Госуслугах (ESIA-007004)".into()),
        EsiaError::CodeExpired => (ErrorCode::EsiaExpired, "код авторизации Госуслуг недействителен или истёк (ESIA-007011)".into()),
        EsiaError::Refused { code, description } => {
            (ErrorCode::EsiaFailed, format!("Госуслуги отказали: {code} {description}").chars().take(300).collect())
        }
        EsiaError::StateMismatch => (ErrorCode::EsiaFailed, "Госуслуги ответили с чужим state".into()),
        EsiaError::BadToken(why) => (ErrorCode::EsiaFailed, format!("маркер Госуслуг не прошёл проверку: {why}").chars().take(300).collect()),
        EsiaError::Unavailable(e) => {
            (ErrorCode::EsiaUnavailable, format!("Госуслуги недоступны: {e:#}").chars().take(300).collect())
        }
    }
}

impl Auth {
    /// Whether sign-in through ESIA is offered.
    pub fn esia_enabled(&self) -> bool {
        self.esia.is_some()
    }

    /// Starts a trip: a new state and flow token, ESIA's login page. The caller sets the flow
    /// cookie with the token and sends the browser to the page as the top-level page.
    pub async fn esia_start(&self, return_to: &url::Url, caller: &Caller, now: i64) -> Result<(String, String), AppError> {
        let esia = self.esia.as_ref().ok_or(ErrorCode::EsiaUnavailable)?;
        let ip = caller.ip.to_string();
        let recent: i64 = sqlx::query("SELECT COUNT(*) FROM esia_flows WHERE ip = $1 AND created_at > $2")
            .bind(&ip)
            .bind(now - 600)
            .fetch_one(self.store.pool())
            .await?
            .get(0);
        if recent >= STARTS_PER_IP {
            return Err(AppError::rate_limited(60));
        }
        let state = uuid::Uuid::new_v4().to_string();
        let token = new_token();
        let (nonce, verifier) = (new_token(), new_token());
        let url = esia.authorize_url(&state, Some(&nonce), Some(&verifier)).await.map_err(|e| {
            tracing::warn!(error = %e, "ESIA login address could not be made");
            AppError::Client(ErrorCode::EsiaUnavailable)
        })?;
        sqlx::query(
            "INSERT INTO esia_flows (state, binding_hash, nonce, code_verifier, return_to, ip, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&state)
        .bind(token_hash(&token))
        .bind(&nonce)
        .bind(&verifier)
        .bind(return_to.as_str())
        .bind(&ip)
        .bind(now)
        .bind(now + self.esia_flow_ttl)
        .execute(self.store.pool())
        .await?;
        Ok((url, token))
    }

    /// `Set-Cookie` for the flow token: as long as the trip may last.
    pub fn esia_flow_cookie(&self, token: &str) -> String {
        format!("{FLOW_COOKIE}={token}; Path=/; Secure; HttpOnly; {}; Max-Age={}", self.sessions.same_site(), self.esia_flow_ttl)
    }

    /// `Set-Cookie` that drops the flow cookie once the trip is over.
    pub fn esia_clear_cookie(&self) -> String {
        format!("{FLOW_COOKIE}=; Path=/; Secure; HttpOnly; {}; Max-Age=0", self.sessions.same_site())
    }

    /// ESIA's answer. The state is taken once, whatever the answer; the code is exchanged,
    /// the token checked, the person read and matched in accounting, and the result kept for
    /// the browser that started the trip.
    pub async fn esia_callback(&self, q: CallbackQuery, flow_token: Option<&str>, caller: &Caller, now: i64) -> Result<CallbackEnd, AppError> {
        let Some(esia) = self.esia.as_ref() else { return Ok(CallbackEnd::Page(ErrorCode::EsiaUnavailable)) };
        // Anyone can send a GET here: an answer naming no trip of this shim is logged, not
        // journaled, so it cannot be used to grow the journal without end.
        let Some(state) = q.state.as_deref().filter(|s| uuid::Uuid::parse_str(s).is_ok()) else {
            tracing::warn!(ip = %caller.ip, "ESIA callback without a valid state");
            return Ok(CallbackEnd::Page(ErrorCode::EsiaFailed));
        };
        let claimed = sqlx::query(
            "UPDATE esia_flows SET answered_at = $2 WHERE state = $1 AND answered_at IS NULL \
             RETURNING binding_hash, return_to, expires_at, nonce, code_verifier",
        )
        .bind(state)
        .bind(now)
        .fetch_optional(self.store.pool())
        .await?;
        let Some(row) = claimed else {
            // A replay of a spent answer is journaled once per trip; an unknown state is logged.
            let first_replay = sqlx::query("UPDATE esia_flows SET replay_seen = 1 WHERE state = $1 AND replay_seen = 0")
                .bind(state)
                .execute(self.store.pool())
                .await?
                .rows_affected()
                == 1;
            if first_replay {
                self.esia_failure_journal(None, "повторный ответ Госуслуг (state уже использован)", caller).await?;
            } else {
                tracing::warn!(ip = %caller.ip, "ESIA callback with an unknown or replayed state");
            }
            return Ok(CallbackEnd::Page(ErrorCode::EsiaFailed));
        };
        let (binding, return_to, expires_at): (String, String, i64) = (row.get(0), row.get(1), row.get(2));
        let (nonce, verifier): (String, String) = (row.get(3), row.get(4));
        let back = CallbackEnd::Return(kabinet_api::esia::return_address(&return_to));
        // Only the browser that started the trip may bring ESIA's answer (config requires the
        // first-party cookie layout, so the cookie is sent on ESIA's top-level redirect). A
        // login link started by someone else and passed to the client, or the client's answer
        // brought by someone else, is refused here, and the trip is spent.
        if flow_token.is_none_or(|t| token_hash(t) != binding) {
            self.esia_fail(state, ErrorCode::EsiaFailed, "ответ Госуслуг пришёл не в тот браузер, который начал вход", caller).await?;
            return Ok(CallbackEnd::Page(ErrorCode::EsiaFailed));
        }
        if expires_at <= now {
            self.esia_fail(state, ErrorCode::EsiaExpired, "истекло время на вход через Госуслуги", caller).await?;
            return Ok(back);
        }
        if let Some(error) = q.error.as_deref() {
            let (code, why) = refusal(&EsiaError::from_callback(error, q.error_description.as_deref()));
            self.esia_fail(state, code, &why, caller).await?;
            return Ok(back);
        }
        let Some(code) = q.code.as_deref().filter(|c| !c.is_empty() && c.len() <= 4096) else {
            self.esia_fail(state, ErrorCode::EsiaFailed, "ответ Госуслуг без кода авторизации", caller).await?;
            return Ok(back);
        };
        let person = match esia.exchange(code, Some(&nonce), Some(&verifier)).await {
            Ok(login) => esia.person(&login).await,
            Err(e) => Err(e),
        };
        let person = match person {
            Ok(p) => p,
            Err(e) => {
                let (code, why) = refusal(&e);
                tracing::warn!(error = %e, "ESIA sign-in refused");
                self.esia_fail(state, code, &why, caller).await?;
                return Ok(back);
            }
        };
        let name = FullName::from_parts(&person.last_name, &person.first_name, person.middle_name.as_deref().unwrap_or(""));
        let passport = person.passport.as_ref().and_then(|p| crate::accounting::Passport::parse(&p.series, &p.number));
        let matched = match &passport {
            _ if !person.trusted => Err("учётная запись Госуслуг не подтверждена"),
            None => Err("в Госуслугах нет подтверждённого паспорта РФ"),
            Some(passport) => match self.accounting.find_client_by_passport(&name, passport).await {
                Err(e) => {
                    tracing::warn!(error = %e, "accounting did not answer the passport lookup");
                    self.esia_fail(state, ErrorCode::AccountingUnavailable, "учётная система недоступна", caller).await?;
                    return Ok(back);
                }
                Ok(None) => Err("клиент с такими ФИО и паспортом в учёте не найден"),
                Ok(Some(record)) => match &person.mobile {
                    Some(mobile) if mobile != record.phone.as_e164() => {
                        Err("подтверждённый в Госуслугах мобильный телефон не совпадает с телефоном в учёте")
                    }
                    _ => Ok(record.id),
                },
            },
        };
        let (outcome, client_id) = match &matched {
            Ok(id) => ("matched", id.as_str()),
            Err(_) => ("no_match", ""),
        };
        sqlx::query("UPDATE esia_flows SET outcome = $2, subject = $3, full_name = $4, client_id = $5 WHERE state = $1")
            .bind(state)
            .bind(outcome)
            .bind(&person.oid)
            .bind(name.full())
            .bind(client_id)
            .execute(self.store.pool())
            .await?;
        if let Err(why) = matched {
            self.esia_failure_journal(None, &format!("{why}; ЕСИА OID {}", person.oid), caller).await?;
        }
        Ok(back)
    }

    /// How the trip of the browser holding `flow_token` ended. A client whose ESIA identity is
    /// linked is signed in (once per trip); one found but not linked is asked to confirm.
    pub async fn esia_outcome(&self, flow_token: Option<&str>, caller: &Caller, previous_token: Option<&str>, now: i64) -> Result<Outcome, AppError> {
        let flow = self.esia_flow(flow_token, now).await?;
        match flow.outcome.as_str() {
            "failed" => {
                self.esia_finish(&flow.state, now).await?;
                let code: ErrorCode = serde_json::from_value(serde_json::Value::String(flow.error_code.clone())).unwrap_or(ErrorCode::EsiaFailed);
                Err(code.into())
            }
            "no_match" => {
                self.esia_finish(&flow.state, now).await?;
                Ok(Outcome::Show(EsiaOutcome::NoMatch { full_name: flow.full_name }))
            }
            "matched" => {
                if let Some(user) = self.esia_linked_user(&flow.subject).await? {
                    if user.client_id != flow.client_id {
                        self.esia_finish(&flow.state, now).await?;
                        self.esia_failure_journal(Some(&user.client_id), "связанный кабинет принадлежит другому клиенту учёта", caller).await?;
                        return Err(ErrorCode::EsiaLinkConflict.into());
                    }
                    if !self.esia_finish(&flow.state, now).await? {
                        return Err(ErrorCode::EsiaNotStarted.into());
                    }
                    return Ok(Outcome::SignedIn(self.sign_in(&user, caller, previous_token, KIND, now).await?));
                }
                let (phone, has_password) = match self.user_where("client_id", &flow.client_id).await? {
                    Some(user) => {
                        if self.esia_subject_of(&user.id).await?.is_some() {
                            self.esia_finish(&flow.state, now).await?;
                            self.esia_failure_journal(Some(&user.client_id), "кабинет уже связан с другой учётной записью Госуслуг", caller).await?;
                            return Err(ErrorCode::EsiaLinkConflict.into());
                        }
                        (user.phone.clone(), !user.password_hash.is_empty())
                    }
                    None => {
                        let record = self.accounting.client(&flow.client_id).await?.ok_or(ErrorCode::EsiaFailed)?;
                        (record.phone.as_e164().to_owned(), false)
                    }
                };
                let phone_masked = kabinet_api::Phone::parse(&phone).map(|p| p.masked()).unwrap_or_default();
                Ok(Outcome::Show(EsiaOutcome::ConfirmLink { full_name: flow.full_name, phone_masked, has_password }))
            }
            _ => Err(AppError::Internal(format!("ESIA flow in an unknown outcome {:?}", flow.outcome))),
        }
    }

    /// The client's «Да, связать»: links the cabinet account (opened now when there is none)
    /// to the ESIA identity and signs in.
    pub async fn esia_link(
        &self,
        flow_token: Option<&str>,
        password: Option<SecretString>,
        consent_version: Option<&str>,
        caller: &Caller,
        previous_token: Option<&str>,
        now: i64,
    ) -> Result<SignedIn, AppError> {
        let flow = self.esia_flow(flow_token, now).await?;
        if flow.outcome != "matched" {
            return Err(ErrorCode::EsiaNotStarted.into());
        }
        if self.esia_linked_user(&flow.subject).await?.is_some() {
            return Err(ErrorCode::EsiaLinkConflict.into());
        }
        let full_name = self.full_name_of(&flow.client_id).await?;
        let existing = self.user_where("client_id", &flow.client_id).await?;
        // Both factors before anything is written: the password is checked (counted and
        // delayed like a login) outside the transaction.
        if let Some(user) = existing.as_ref().filter(|u| !u.password_hash.is_empty()) {
            // Empty or longer than any password can be: refused before any hashing, as at login.
            let password = password
                .filter(|p| !p.expose_secret().is_empty() && p.expose_secret().chars().count() <= kabinet_api::auth::PASSWORD_MAX_CHARS)
                .ok_or(ErrorCode::WrongPassword)?;
            if let Err(e) = self.reauthenticate(user, &password, now).await {
                let mut entry = self
                    .entry(EventKind::LoginFailed, caller)
                    .subject(&user.phone)
                    .description(format!("Тип авторизации: {KIND}; причина: неверный пароль кабинета при связывании с Госуслугами"));
                entry.client_id = user.client_id.clone();
                self.journal.record(entry).await?;
                return Err(e);
            }
        }
        if existing.is_none() && consent_version != Some(consent::VERSION) {
            return Err(ErrorCode::ConsentRequired.into());
        }
        let record = match &existing {
            Some(_) => None,
            None => Some(self.accounting.client(&flow.client_id).await?.ok_or(ErrorCode::EsiaFailed)?),
        };
        let mut tx = self.store.pool().begin().await?;
        let (user, opened) = match (existing, record) {
            (Some(user), _) => (user, false),
            (None, record) => {
                let phone = record.map(|r| r.phone.as_e164().to_owned()).unwrap_or_default();
                let user = User {
                    id: uuid::Uuid::new_v4().to_string(),
                    client_id: flow.client_id.clone(),
                    phone,
                    // No password: this cabinet is entered through ESIA until the client sets
                    // one by SMS (password reset); an empty hash never verifies.
                    password_hash: String::new(),
                };
                let inserted = sqlx::query(
                    "INSERT INTO cabinet_users (id, client_id, phone, password_hash, created_at, password_changed_at) \
                     VALUES ($1, $2, $3, '', $4, $4) ON CONFLICT DO NOTHING",
                )
                .bind(&user.id)
                .bind(&user.client_id)
                .bind(&user.phone)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                if inserted.rows_affected() != 1 {
                    // Another cabinet has this phone (accounting changed since): staff sort it out.
                    return Err(ErrorCode::EsiaLinkConflict.into());
                }
                sqlx::query("INSERT INTO consents (user_id, document, version, accepted_at, ip) VALUES ($1, $2, $3, $4, $5)")
                    .bind(&user.id)
                    .bind(consent::DOCUMENT)
                    .bind(consent::VERSION)
                    .bind(now)
                    .bind(caller.ip.to_string())
                    .execute(&mut *tx)
                    .await?;
                (user, true)
            }
        };
        let finished = sqlx::query("UPDATE esia_flows SET finished_at = $2 WHERE state = $1 AND finished_at IS NULL")
            .bind(&flow.state)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        if finished.rows_affected() != 1 {
            return Err(ErrorCode::EsiaNotStarted.into());
        }
        let linked = sqlx::query("INSERT INTO identity_links (provider, subject, user_id, linked_at, ip) VALUES ($1, $2, $3, $4, $5)")
            .bind(PROVIDER)
            .bind(&flow.subject)
            .bind(&user.id)
            .bind(now)
            .bind(caller.ip.to_string())
            .execute(&mut *tx)
            .await;
        match linked {
            Ok(_) => {}
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => return Err(ErrorCode::EsiaLinkConflict.into()),
            Err(e) => return Err(e.into()),
        }
        tx.commit().await?;
        // The link is made: from here nothing undoes it. Its journal row first; should the
        // session fail to start (accounting down), the next trip through ESIA signs in.
        self.journal
            .record(
                self.entry(EventKind::IdentityLinked, caller)
                    .client(&user.client_id, &full_name)
                    .subject(&flow.subject)
                    .description(format!(
                        "ЕСИА OID {}; найден в учёте по ФИО и паспорту; {}",
                        flow.subject,
                        if opened { "кабинет открыт без пароля" } else { "подтверждено паролем кабинета" }
                    )),
            )
            .await?;
        if opened {
            self.journal
                .record(
                    self.entry(EventKind::RegistrationCompleted, caller)
                        .client(&user.client_id, &full_name)
                        .subject(&user.phone)
                        .description(format!(
                            "Через Госуслуги (ЕСИА); согласие на обработку персональных данных, версия {}, принято {}",
                            consent::VERSION,
                            crate::clock::format_utc(time::OffsetDateTime::from_unix_timestamp(now).unwrap_or(time::OffsetDateTime::UNIX_EPOCH))
                        )),
                )
                .await?;
        }
        self.sign_in(&user, caller, previous_token, KIND, now).await
    }

    /// The live trip of the browser holding `flow_token`.
    async fn esia_flow(&self, flow_token: Option<&str>, now: i64) -> Result<Flow, AppError> {
        let token = flow_token.ok_or(ErrorCode::EsiaNotStarted)?;
        let sql = format!("SELECT {FLOW_COLUMNS} FROM esia_flows WHERE binding_hash = $1");
        let row = sqlx::query(&sql).bind(token_hash(token)).fetch_optional(self.store.pool()).await?;
        let flow = row.as_ref().map(flow_from).ok_or(ErrorCode::EsiaNotStarted)?;
        if flow.finished_at.is_some() {
            return Err(ErrorCode::EsiaNotStarted.into());
        }
        if flow.expires_at <= now {
            self.esia_finish(&flow.state, now).await?;
            return Err(ErrorCode::EsiaExpired.into());
        }
        if flow.answered_at.is_none() || flow.outcome.is_empty() {
            // Back on the page without ESIA's answer (the person pressed «Назад» on ESIA).
            return Err(ErrorCode::EsiaNotStarted.into());
        }
        Ok(flow)
    }

    /// Marks the trip finished; false when it was finished already (a race of two calls).
    async fn esia_finish(&self, state: &str, now: i64) -> Result<bool, AppError> {
        let done = sqlx::query("UPDATE esia_flows SET finished_at = $2 WHERE state = $1 AND finished_at IS NULL")
            .bind(state)
            .bind(now)
            .execute(self.store.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Keeps a failed trip's code for its browser and journals why.
    async fn esia_fail(&self, state: &str, code: ErrorCode, why: &str, caller: &Caller) -> Result<(), AppError> {
        let code_str = serde_json::to_value(code).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        sqlx::query("UPDATE esia_flows SET outcome = 'failed', error_code = $2 WHERE state = $1")
            .bind(state)
            .bind(code_str)
            .execute(self.store.pool())
            .await?;
        self.esia_failure_journal(None, why, caller).await
    }

    async fn esia_failure_journal(&self, client_id: Option<&str>, why: &str, caller: &Caller) -> Result<(), AppError> {
        let mut entry = self.entry(EventKind::LoginFailed, caller).description(format!("Тип авторизации: {KIND}; причина: {why}"));
        if let Some(id) = client_id {
            entry.client_id = id.to_owned();
        }
        self.journal.record(entry).await?;
        Ok(())
    }

    async fn esia_linked_user(&self, subject: &str) -> Result<Option<User>, AppError> {
        let row = sqlx::query("SELECT user_id FROM identity_links WHERE provider = $1 AND subject = $2")
            .bind(PROVIDER)
            .bind(subject)
            .fetch_optional(self.store.pool())
            .await?;
        match row {
            Some(r) => Ok(self.user_by_id(&r.get::<String, _>(0)).await?),
            None => Ok(None),
        }
    }

    async fn esia_subject_of(&self, user_id: &str) -> Result<Option<String>, AppError> {
        let row = sqlx::query("SELECT subject FROM identity_links WHERE provider = $1 AND user_id = $2")
            .bind(PROVIDER)
            .bind(user_id)
            .fetch_optional(self.store.pool())
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    /// The client's full name from accounting by id alone (the cabinet account may not exist).
    async fn full_name_of(&self, client_id: &str) -> Result<String, AppError> {
        let record = self.accounting.client(client_id).await?.ok_or(ErrorCode::EsiaFailed)?;
        Ok(record.name.full())
    }
}
