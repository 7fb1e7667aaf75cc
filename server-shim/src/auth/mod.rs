//! Client sign-in: registration by SMS code, login by phone and password, logout, password
//! reset by SMS code, password and phone changes. The flows live here; `routes` maps HTTP.

pub mod codes;
pub mod consent;
pub mod esia;
pub mod limits;
pub mod password;
pub mod routes;
pub mod session;

use std::net::IpAddr;
use std::sync::Arc;

use kabinet_api::auth::{ClientProfile, CodeSent, SessionInfo};
use kabinet_api::{ErrorCode, Phone};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::accounting::{DynAccounting, FullName};
use crate::audit::{AuditEntry, EventKind, Journal};
use crate::clock::Clock;
use crate::config::{AuthConfig, Config};
use crate::gateways::sms::{DynSmsSender, SmsMessage};
use crate::http::error::AppError;
use crate::org::OrgSettings;
use crate::storage::Store;
use codes::{Codes, Purpose};
use limits::{Limits, SendRefusal};
use password::Hasher;
use session::{ActiveSession, NewSession, Sessions};

/// Used only when demo or test configuration leaves `auth.code_secret` empty; production
/// refuses to start without a real one.
const DEMO_CODE_SECRET: &str = "kabinet-demo-code-secret-not-for-production";

/// Everything the sign-in flows need, built once at start.
pub struct Auth {
    pub sessions: Sessions,
    pub codes: Codes,
    pub limits: Limits,
    pub hasher: Hasher,
    pub accounting: DynAccounting,
    pub sms: DynSmsSender,
    store: Store,
    journal: Journal,
    cfg: AuthConfig,
    org: OrgSettings,
    clock: Arc<dyn Clock>,
    /// The ESIA adapter when sign-in through ESIA is on.
    esia: Option<crate::gateways::esia::client::EsiaClient>,
    esia_flow_ttl: i64,
}

/// Where a request came from, for limits and the journal.
#[derive(Debug, Clone)]
pub struct Caller {
    pub ip: IpAddr,
    pub user_agent: String,
}

/// What waits for the registration code, stored with it (never the code or the password).
#[derive(Serialize, Deserialize)]
struct PendingRegistration {
    client_id: String,
    consent_version: String,
    consent_at: i64,
}

/// What waits for the phone-change codes.
#[derive(Serialize, Deserialize)]
struct PendingPhone {
    user_id: String,
    new_phone: String,
}

/// A signed-in client, with the cookie to set when the session is new.
pub struct SignedIn {
    pub info: SessionInfo,
    pub session: NewSession,
}

struct User {
    id: String,
    client_id: String,
    phone: String,
    password_hash: String,
}

impl Auth {
    pub fn new(
        config: &Config,
        store: Store,
        journal: Journal,
        accounting: DynAccounting,
        sms: DynSmsSender,
        esia: Option<crate::gateways::esia::client::EsiaClient>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let secret = match config.auth.code_secret.expose_secret() {
            "" => DEMO_CODE_SECRET.as_bytes().to_vec(),
            s => s.as_bytes().to_vec(),
        };
        Auth {
            sessions: Sessions::new(store.clone(), &config.auth),
            codes: Codes::new(store.clone(), &secret, config.auth.code_ttl_secs, config.auth.code_max_attempts),
            limits: Limits::new(store.clone(), config.auth.clone()),
            hasher: Hasher::per_core(),
            accounting,
            sms,
            store,
            journal,
            cfg: config.auth.clone(),
            org: config.org.clone(),
            clock,
            esia,
            esia_flow_ttl: config.esia.flow_ttl_secs,
        }
    }

    /// Drops what no limit or code check can need any more: code requests older than the
    /// longest window (a day), codes a day past their expiry, failure counters that can no
    /// longer delay anyone, and ESIA trips a day past their end. SMS evidence and sessions stay.
    pub async fn prune(&self, now: i64) -> Result<u64, sqlx::Error> {
        let day = 86_400;
        let a = sqlx::query("DELETE FROM sms_requests WHERE at < $1").bind(now - day - 60).execute(self.store.pool()).await?;
        let b = sqlx::query("DELETE FROM sms_codes WHERE expires_at < $1").bind(now - day).execute(self.store.pool()).await?;
        let c = self.limits.prune(now).await?;
        // ESIA trips a day past their end: names, OIDs and addresses of people (clients or
        // not) are of no use to anyone after that.
        let d = sqlx::query("DELETE FROM esia_flows WHERE expires_at < $1").bind(now - day).execute(self.store.pool()).await?;
        Ok(a.rows_affected() + b.rows_affected() + c + d.rows_affected())
    }

    pub(crate) fn code_sent(&self) -> CodeSent {
        CodeSent { resend_after_secs: self.cfg.resend_cooldown_secs as u32, expires_in_secs: self.cfg.code_ttl_secs as u32 }
    }

    fn entry(&self, kind: EventKind, caller: &Caller) -> AuditEntry {
        AuditEntry::new(kind, &self.org.division).ip(caller.ip)
    }

    async fn admit_send(&self, phone: &Phone, caller: &Caller, now: i64) -> Result<(), AppError> {
        match self.limits.admit_send(phone, caller.ip, now).await? {
            Ok(()) => Ok(()),
            Err(SendRefusal::RetryAfter(secs)) => Err(AppError::rate_limited(secs)),
            Err(SendRefusal::BudgetExhausted) => Err(AppError::Client(ErrorCode::SmsUnavailable)),
        }
    }

    /// Hands the SMS to the provider off the request, so the answer (and its timing) is the
    /// same whether or not anything was sent; the provider's message id and raw answer are
    /// kept as evidence and journaled.
    fn send_sms(self: &Arc<Self>, purpose: Purpose, phone: Phone, text: String, caller: &Caller, client: Option<(String, String)>) {
        let this = self.clone();
        let caller = caller.clone();
        tokio::spawn(async move {
            let message = SmsMessage { phone: phone.clone(), text: text.clone(), client_ip: Some(caller.ip) };
            let result = this.sms.send(&message).await;
            let now = this.clock.now().unix_timestamp();
            let (provider, message_id, raw, error) = match &result {
                Ok(r) => (r.provider, r.message_id.clone(), r.raw_response.clone(), String::new()),
                Err(e) => (this.sms.provider(), String::new(), String::new(), e.to_string()),
            };
            let evidence = SmsEvidence { provider, message_id: &message_id, phone: &phone, purpose, text_hmac: &this.codes.text_hmac(&text), sent_at: now, raw_response: &raw, error: &error };
            if let Err(e) = evidence.store(&this.store).await {
                tracing::error!(error = %e, "SMS evidence could not be stored");
            }
            let mut entry = match &result {
                Ok(_) => this.entry(EventKind::SmsSent, &caller).description(format!(
                    "Назначение: {}; провайдер: {provider}; id сообщения: {message_id}",
                    purpose.title_ru()
                )),
                Err(e) => {
                    tracing::warn!(error = %e, phone = %phone.masked(), "SMS not sent");
                    this.entry(EventKind::SmsFailed, &caller)
                        .description(format!("Назначение: {}; провайдер: {provider}; ошибка: {e}", purpose.title_ru()))
                }
            }
            .subject(phone.as_e164());
            if let Some((id, name)) = client {
                entry = entry.client(id, name);
            }
            if let Err(e) = this.journal.record(entry).await {
                tracing::error!(error = %e, "journal write failed after an SMS");
            }
        });
    }

    async fn user_by_phone(&self, phone: &str) -> Result<Option<User>, sqlx::Error> {
        self.user_where("phone", phone).await
    }

    async fn user_by_id(&self, id: &str) -> Result<Option<User>, sqlx::Error> {
        self.user_where("id", id).await
    }

    async fn user_where(&self, column: &str, value: &str) -> Result<Option<User>, sqlx::Error> {
        let sql = format!("SELECT id, client_id, phone, password_hash FROM cabinet_users WHERE {column} = $1");
        let row = sqlx::query(&sql).bind(value).fetch_optional(self.store.pool()).await?;
        Ok(row.map(|r| User { id: r.get(0), client_id: r.get(1), phone: r.get(2), password_hash: r.get(3) }))
    }

    /// The client's name from accounting, for answers and the journal.
    async fn profile(&self, client_id: &str, phone: &str) -> Result<(ClientProfile, String), AppError> {
        let record = self
            .accounting
            .client(client_id)
            .await?
            .ok_or_else(|| AppError::Internal(format!("cabinet user's client {client_id} is missing in accounting")))?;
        let full = record.name.full();
        Ok((ClientProfile { full_name: full.clone(), greeting_name: record.name.greeting(), phone: phone.to_owned() }, full))
    }

    async fn sign_in(
        &self,
        user: &User,
        caller: &Caller,
        previous_token: Option<&str>,
        kind: &str,
        now: i64,
    ) -> Result<SignedIn, AppError> {
        // Rotation: whatever session the browser brought is ended, so a planted id is useless.
        if let Some(old) = previous_token {
            self.sessions.revoke_token(old, now).await?;
        }
        let (client, full_name) = self.profile(&user.client_id, &user.phone).await?;
        let session = self.sessions.create(&user.id, &caller.ip.to_string(), &caller.user_agent, now).await?;
        self.journal
            .record(
                self.entry(EventKind::LoginSucceeded, caller)
                    .client(&user.client_id, &full_name)
                    .session(&session.uid)
                    .description(format!("Тип авторизации: {kind}")),
            )
            .await?;
        Ok(SignedIn { info: SessionInfo { client, idle_timeout_secs: self.sessions.idle_secs() as u32 }, session })
    }

    // ---- registration ----

    pub async fn register(
        self: &Arc<Self>,
        full_name: &str,
        phone: &str,
        password: SecretString,
        consent_version: &str,
        caller: &Caller,
        now: i64,
    ) -> Result<CodeSent, AppError> {
        let name = FullName::parse(full_name).map_err(|_| ErrorCode::InvalidName)?;
        let phone = parse_phone(phone)?;
        if consent_version != consent::VERSION {
            return Err(ErrorCode::ConsentRequired.into());
        }
        // Checked now so the person hears at once; not kept: the password comes again with the
        // code (see `register_confirm`).
        password::check_policy(password.expose_secret(), &phone)?;
        self.admit_send(&phone, caller, now).await?;
        let client_id =
            self.accounting.find_client(&name, &phone).await?;
        let registered = match &client_id {
            Some(id) => {
                sqlx::query("SELECT id FROM cabinet_users WHERE client_id = $1 OR phone = $2")
                    .bind(id)
                    .bind(phone.as_e164())
                    .fetch_optional(self.store.pool())
                    .await?
                    .is_some()
            }
            None => false,
        };
        let outcome = match (&client_id, registered) {
            (Some(id), false) => {
                let pending = PendingRegistration {
                    client_id: id.clone(),
                    consent_version: consent_version.to_owned(),
                    consent_at: now,
                };
                let payload = serde_json::to_string(&pending).map_err(|e| AppError::Internal(e.to_string()))?;
                let issued = self.codes.issue(Purpose::Register, &phone, &payload, now).await?;
                let text = format!(
                    "Код {} для регистрации в личном кабинете {}. Никому не сообщайте код.",
                    issued.code, self.org.name
                );
                self.send_sms(Purpose::Register, phone.clone(), text, caller, Some((id.clone(), name.full())));
                "клиент найден в учёте, код отправлен"
            }
            (Some(id), true) => {
                self.codes.issue_decoy(Purpose::Register, &phone, now).await?;
                let text = format!(
                    "Номер уже зарегистрирован в личном кабинете {}. Войдите по паролю или восстановите пароль.",
                    self.org.name
                );
                self.send_sms(Purpose::Register, phone.clone(), text, caller, Some((id.clone(), name.full())));
                "клиент уже зарегистрирован, отправлено напоминание"
            }
            (None, _) => {
                self.codes.issue_decoy(Purpose::Register, &phone, now).await?;
                "клиент с такими ФИО и телефоном не найден, код не отправлен"
            }
        };
        let mut entry = self.entry(EventKind::RegistrationStarted, caller).subject(phone.as_e164()).description(outcome);
        if let Some(id) = &client_id {
            entry = entry.client(id, name.full());
        }
        self.journal.record(entry).await?;
        Ok(self.code_sent())
    }

    /// The code and the password together: the account gets the password of whoever holds
    /// the code, never of whoever asked for it.
    pub async fn register_confirm(
        &self,
        phone: &str,
        code: &str,
        password: SecretString,
        caller: &Caller,
        previous_token: Option<&str>,
        now: i64,
    ) -> Result<SignedIn, AppError> {
        let phone = parse_phone(phone)?;
        password::check_policy(password.expose_secret(), &phone)?;
        let payload = self.check_code(Purpose::Register, &phone, code, caller, now).await?;
        let pending: PendingRegistration =
            serde_json::from_str(&payload).map_err(|e| AppError::Internal(format!("pending registration: {e}")))?;
        // Accounting answers before anything is written, so its failure leaves nothing behind.
        let (_, full_name) = self.profile(&pending.client_id, phone.as_e164()).await?;
        let password_hash = self.hasher.hash(&password).await?;
        let user_id = uuid::Uuid::new_v4().to_string();
        let mut tx = self.store.pool().begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO cabinet_users (id, client_id, phone, password_hash, created_at, password_changed_at) \
             VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT DO NOTHING",
        )
        .bind(&user_id)
        .bind(&pending.client_id)
        .bind(phone.as_e164())
        .bind(&password_hash)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() != 1 {
            tx.rollback().await?;
            return Err(ErrorCode::PhoneTaken.into());
        }
        sqlx::query("INSERT INTO consents (user_id, document, version, accepted_at, ip) VALUES ($1, $2, $3, $4, $5)")
            .bind(&user_id)
            .bind(consent::DOCUMENT)
            .bind(&pending.consent_version)
            .bind(pending.consent_at)
            .bind(caller.ip.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        let user = User { id: user_id, client_id: pending.client_id, phone: phone.as_e164().to_owned(), password_hash };
        self.journal
            .record(
                self.entry(EventKind::RegistrationCompleted, caller)
                    .client(&user.client_id, &full_name)
                    .subject(phone.as_e164())
                    .description(format!(
                        "Согласие на обработку персональных данных, версия {}, принято {}",
                        pending.consent_version,
                        crate::clock::format_utc(
                            time::OffsetDateTime::from_unix_timestamp(pending.consent_at).unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
                        )
                    )),
            )
            .await?;
        self.sign_in(&user, caller, previous_token, "РегистрацияПоКодуИзSMS", now).await
    }

    /// Checks a code and uses it up, journaling the outcome either way.
    async fn check_code(&self, purpose: Purpose, phone: &Phone, code: &str, caller: &Caller, now: i64) -> Result<String, AppError> {
        let checked = self.check_code_only(purpose, phone, code, caller, now).await?;
        self.consume_code(checked, purpose, phone, caller, now).await
    }

    /// Counts and compares without using the code up; refusals are journaled here.
    async fn check_code_only(
        &self,
        purpose: Purpose,
        phone: &Phone,
        code: &str,
        caller: &Caller,
        now: i64,
    ) -> Result<codes::Checked, AppError> {
        match self.codes.check(purpose, phone, "", code.trim(), now).await? {
            Ok(checked) => Ok(checked),
            Err(refusal) => Err(self.code_refused(purpose, phone, refusal, caller).await?),
        }
    }

    async fn consume_code(
        &self,
        checked: codes::Checked,
        purpose: Purpose,
        phone: &Phone,
        caller: &Caller,
        now: i64,
    ) -> Result<String, AppError> {
        match self.codes.consume(checked, now).await? {
            Ok(payload) => {
                self.journal
                    .record(
                        self.entry(EventKind::CodeAccepted, caller)
                            .subject(phone.as_e164())
                            .description(format!("Назначение: {}", purpose.title_ru())),
                    )
                    .await?;
                Ok(payload)
            }
            Err(refusal) => Err(self.code_refused(purpose, phone, refusal, caller).await?),
        }
    }

    async fn code_refused(&self, purpose: Purpose, phone: &Phone, refusal: codes::Refusal, caller: &Caller) -> Result<AppError, AppError> {
        self.journal
            .record(self.entry(EventKind::CodeRejected, caller).subject(phone.as_e164()).description(format!(
                "Назначение: {}; причина: {}",
                purpose.title_ru(),
                refusal.title_ru()
            )))
            .await?;
        Ok(refusal.code().into())
    }

    // ---- login and logout ----

    pub async fn login(
        &self,
        phone: &str,
        password: SecretString,
        caller: &Caller,
        previous_token: Option<&str>,
        now: i64,
    ) -> Result<SignedIn, AppError> {
        let phone = parse_phone(phone)?;
        if password.expose_secret().is_empty() || password.expose_secret().chars().count() > kabinet_api::auth::PASSWORD_MAX_CHARS {
            return Err(ErrorCode::InvalidCredentials.into());
        }
        let earlier_failures = match self.limits.claim_password_attempt(&phone, now).await? {
            Ok(n) => n,
            Err(wait) => return Err(AppError::rate_limited(wait)),
        };
        let user = self.user_by_phone(phone.as_e164()).await?;
        let matches = self
            .hasher
            .verify(&password, user.as_ref().map(|u| u.password_hash.as_str()))
            .await?;
        // A locked account answers exactly like a wrong password, even to the right one.
        let locked = self.limits.locked_after(earlier_failures);
        match user {
            Some(user) if matches && !locked => {
                self.limits.clear_login_failures(&phone).await?;
                self.sign_in(&user, caller, previous_token, "ПоМобильномуИПаролю", now).await
            }
            user => {
                let reason = match (&user, locked) {
                    (None, _) => "номер не зарегистрирован",
                    (Some(_), true) => "вход по паролю заблокирован до восстановления пароля",
                    (Some(_), false) => "неверный пароль",
                };
                let mut entry = self
                    .entry(EventKind::LoginFailed, caller)
                    .subject(phone.as_e164())
                    .description(format!("Тип авторизации: ПоМобильномуИПаролю; причина: {reason}"));
                if let Some(u) = &user {
                    entry.client_id = u.client_id.clone();
                }
                self.journal.record(entry).await?;
                Err(ErrorCode::InvalidCredentials.into())
            }
        }
    }

    /// The password again, inside the cabinet (before a password or phone change): counted
    /// and delayed exactly like login attempts, so a borrowed session cannot guess it.
    async fn reauthenticate(&self, user: &User, password: &SecretString, now: i64) -> Result<(), AppError> {
        let phone = parse_phone(&user.phone)?;
        if let Err(wait) = self.limits.claim_password_attempt(&phone, now).await? {
            return Err(AppError::rate_limited(wait));
        }
        let ok = self.hasher.verify(password, Some(&user.password_hash)).await?;
        if !ok {
            return Err(ErrorCode::WrongPassword.into());
        }
        self.limits.clear_login_failures(&phone).await?;
        Ok(())
    }

    pub async fn logout(&self, session: &ActiveSession, caller: &Caller, now: i64) -> Result<(), AppError> {
        self.sessions.revoke(session, now).await?;
        let (_, full_name) = self.profile(&session.client_id, &session.phone).await?;
        self.journal
            .record(self.entry(EventKind::Logout, caller).client(&session.client_id, full_name).session(&session.uid))
            .await?;
        Ok(())
    }

    pub async fn session_info(&self, session: &ActiveSession) -> Result<SessionInfo, AppError> {
        let (client, _) = self.profile(&session.client_id, &session.phone).await?;
        Ok(SessionInfo { client, idle_timeout_secs: self.sessions.idle_secs() as u32 })
    }

    // ---- password reset ----

    pub async fn reset(self: &Arc<Self>, phone: &str, caller: &Caller, now: i64) -> Result<CodeSent, AppError> {
        let phone = parse_phone(phone)?;
        self.admit_send(&phone, caller, now).await?;
        let user = self.user_by_phone(phone.as_e164()).await?;
        let mut entry = self.entry(EventKind::PasswordResetStarted, caller).subject(phone.as_e164());
        match &user {
            Some(u) => {
                let issued = self.codes.issue(Purpose::Reset, &phone, &u.id, now).await?;
                let text = format!(
                    "Код {} для восстановления пароля в личном кабинете. Никому не сообщайте код, даже сотрудникам.",
                    issued.code
                );
                self.send_sms(Purpose::Reset, phone.clone(), text, caller, Some((u.client_id.clone(), String::new())));
                entry = entry.description("код отправлен");
                entry.client_id = u.client_id.clone();
            }
            None => {
                self.codes.issue_decoy(Purpose::Reset, &phone, now).await?;
                entry = entry.description("номер не зарегистрирован, код не отправлен");
            }
        }
        self.journal.record(entry).await?;
        Ok(self.code_sent())
    }

    /// Sets a new password. It does not sign in; it ends every session, clears the failed
    /// login counter (reset works while locked) and tells the client by SMS.
    pub async fn reset_confirm(
        self: &Arc<Self>,
        phone: &str,
        code: &str,
        new_password: SecretString,
        caller: &Caller,
        now: i64,
    ) -> Result<(), AppError> {
        let phone = parse_phone(phone)?;
        password::check_policy(new_password.expose_secret(), &phone)?;
        let user_id = self.check_code(Purpose::Reset, &phone, code, caller, now).await?;
        let user = self.user_by_id(&user_id).await?.ok_or(ErrorCode::CodeInvalid)?;
        let (_, full_name) = self.profile(&user.client_id, &user.phone).await?;
        let hash = self.hasher.hash(&new_password).await?;
        let ended = self.set_password_and_end_sessions(&user.id, &hash, None, now).await?;
        self.limits.clear_login_failures(&phone).await?;
        self.journal
            .record(
                self.entry(EventKind::PasswordReset, caller)
                    .client(&user.client_id, &full_name)
                    .subject(phone.as_e164())
                    .description(format!("Пароль восстановлен по коду из SMS; завершено сеансов: {ended}")),
            )
            .await?;
        let text = format!(
            "Пароль в личном кабинете {} изменён. Если это были не вы, позвоните {}.",
            self.org.name, self.org.phone
        );
        self.send_sms(Purpose::Reset, phone, text, caller, Some((user.client_id, full_name)));
        Ok(())
    }

    /// The new password and the end of the other sessions, in one transaction.
    async fn set_password_and_end_sessions(
        &self,
        user_id: &str,
        hash: &str,
        keep: Option<&ActiveSession>,
        now: i64,
    ) -> Result<u64, sqlx::Error> {
        let mut tx = self.store.pool().begin().await?;
        sqlx::query("UPDATE cabinet_users SET password_hash = $1, password_changed_at = $2 WHERE id = $3")
            .bind(hash)
            .bind(now)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let ended = Sessions::revoke_all_in(&mut tx, user_id, keep, now).await?;
        tx.commit().await?;
        Ok(ended)
    }

    // ---- changes inside the cabinet ----

    pub async fn change_password(
        &self,
        session: &ActiveSession,
        current: SecretString,
        new_password: SecretString,
        caller: &Caller,
        now: i64,
    ) -> Result<(), AppError> {
        let user = self.user_by_id(&session.user_id).await?.ok_or(ErrorCode::Unauthenticated)?;
        let phone = parse_phone(&user.phone)?;
        password::check_policy(new_password.expose_secret(), &phone)?;
        self.reauthenticate(&user, &current, now).await?;
        let (_, full_name) = self.profile(&user.client_id, &user.phone).await?;
        let hash = self.hasher.hash(&new_password).await?;
        let ended = self.set_password_and_end_sessions(&user.id, &hash, Some(session), now).await?;
        self.journal
            .record(
                self.entry(EventKind::PasswordChanged, caller)
                    .client(&user.client_id, full_name)
                    .session(&session.uid)
                    .description(format!("Завершено других сеансов: {ended}")),
            )
            .await?;
        Ok(())
    }

    pub async fn change_phone(
        self: &Arc<Self>,
        session: &ActiveSession,
        new_phone: &str,
        password: SecretString,
        caller: &Caller,
        now: i64,
    ) -> Result<CodeSent, AppError> {
        let new_phone = parse_phone(new_phone)?;
        let user = self.user_by_id(&session.user_id).await?.ok_or(ErrorCode::Unauthenticated)?;
        let old_phone = parse_phone(&user.phone)?;
        if new_phone == old_phone {
            return Err(ErrorCode::SamePhone.into());
        }
        self.reauthenticate(&user, &password, now).await?;
        // Limits first: whether a number is taken must not be askable without bound.
        self.admit_send(&new_phone, caller, now).await?;
        self.admit_send(&old_phone, caller, now).await?;
        if self.user_by_phone(new_phone.as_e164()).await?.is_some() {
            return Err(ErrorCode::PhoneTaken.into());
        }
        let pending = serde_json::to_string(&PendingPhone { user_id: user.id.clone(), new_phone: new_phone.as_e164().to_owned() })
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let old_code = self.codes.issue(Purpose::PhoneOld, &old_phone, &pending, now).await?;
        let new_code = self.codes.issue(Purpose::PhoneNew, &new_phone, &pending, now).await?;
        let (_, full_name) = self.profile(&user.client_id, &user.phone).await?;
        let who = Some((user.client_id.clone(), full_name.clone()));
        self.send_sms(
            Purpose::PhoneOld,
            old_phone.clone(),
            format!(
                "Код {} для смены номера телефона в личном кабинете на {}. Никому не сообщайте код.",
                old_code.code,
                new_phone.masked()
            ),
            caller,
            who.clone(),
        );
        self.send_sms(
            Purpose::PhoneNew,
            new_phone.clone(),
            format!("Код {} для привязки этого номера к личному кабинету {}.", new_code.code, self.org.name),
            caller,
            who,
        );
        self.journal
            .record(
                self.entry(EventKind::PhoneChangeStarted, caller)
                    .client(&user.client_id, full_name)
                    .session(&session.uid)
                    .subject(new_phone.as_e164())
                    .description("Коды отправлены на старый и новый номера"),
            )
            .await?;
        Ok(self.code_sent())
    }

    /// Both codes right: the login phone changes, every session ends (this one too) and a
    /// new session is issued for this browser.
    pub async fn change_phone_confirm(
        &self,
        session: &ActiveSession,
        new_phone: &str,
        code_old: &str,
        code_new: &str,
        caller: &Caller,
        now: i64,
    ) -> Result<SignedIn, AppError> {
        let new_phone = parse_phone(new_phone)?;
        let user = self.user_by_id(&session.user_id).await?.ok_or(ErrorCode::Unauthenticated)?;
        let old_phone = parse_phone(&user.phone)?;
        // Both codes are checked before either is used up: a typo in one does not spend the other.
        let old_ok = self.check_code_only(Purpose::PhoneOld, &old_phone, code_old, caller, now).await?;
        let new_ok = self.check_code_only(Purpose::PhoneNew, &new_phone, code_new, caller, now).await?;
        let pending_old = self.consume_code(old_ok, Purpose::PhoneOld, &old_phone, caller, now).await?;
        let pending_new = self.consume_code(new_ok, Purpose::PhoneNew, &new_phone, caller, now).await?;
        let expect = PendingPhone { user_id: user.id.clone(), new_phone: new_phone.as_e164().to_owned() };
        let expect = serde_json::to_string(&expect).map_err(|e| AppError::Internal(e.to_string()))?;
        if pending_old != expect || pending_new != expect {
            return Err(ErrorCode::CodeInvalid.into());
        }
        // Everything that can fail without writing comes first; then the phone and the end of
        // every session change together or not at all.
        let (_, full_name) = self.profile(&user.client_id, new_phone.as_e164()).await?;
        let mut tx = self.store.pool().begin().await?;
        let updated = sqlx::query("UPDATE cabinet_users SET phone = $1 WHERE id = $2")
            .bind(new_phone.as_e164())
            .bind(&user.id)
            .execute(&mut *tx)
            .await;
        match updated {
            Ok(_) => {}
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => return Err(ErrorCode::PhoneTaken.into()),
            Err(e) => return Err(e.into()),
        }
        let ended = Sessions::revoke_all_in(&mut tx, &user.id, None, now).await?;
        tx.commit().await?;
        self.limits.clear_login_failures(&new_phone).await?;
        self.journal
            .record(
                self.entry(EventKind::PhoneChanged, caller)
                    .client(&user.client_id, &full_name)
                    .session(&session.uid)
                    .subject(new_phone.as_e164())
                    .description(format!("Было: {}; стало: {}; завершено сеансов: {ended}", old_phone, new_phone)),
            )
            .await?;
        let moved = User { phone: new_phone.as_e164().to_owned(), ..user };
        self.sign_in(&moved, caller, None, "ПоМобильномуИПаролю (после смены номера)", now).await
    }
}

/// One SMS handed to a provider, as kept for evidence (gateways.md §4): the provider's message
/// id and raw answer, and an HMAC of the exact text (the text itself carries a code).
pub(crate) struct SmsEvidence<'a> {
    pub provider: &'a str,
    pub message_id: &'a str,
    pub phone: &'a Phone,
    pub purpose: Purpose,
    pub text_hmac: &'a str,
    pub sent_at: i64,
    pub raw_response: &'a str,
    pub error: &'a str,
}

impl SmsEvidence<'_> {
    /// Stores the row and returns its id.
    pub(crate) async fn store(&self, store: &Store) -> Result<i64, sqlx::Error> {
        let row = sqlx::query(
            "INSERT INTO sms_messages (provider, message_id, phone, purpose, text_hmac, sent_at, raw_response, error) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(self.provider)
        .bind(self.message_id)
        .bind(self.phone.as_e164())
        .bind(self.purpose.as_str())
        .bind(self.text_hmac)
        .bind(self.sent_at)
        .bind(self.raw_response)
        .bind(self.error)
        .fetch_one(store.pool())
        .await?;
        Ok(row.get(0))
    }
}

fn parse_phone(s: &str) -> Result<Phone, ErrorCode> {
    Phone::parse(s).map_err(|e| match e {
        kabinet_api::phone::PhoneError::Malformed => ErrorCode::InvalidPhone,
        kabinet_api::phone::PhoneError::NotRussianMobile => ErrorCode::PhoneNotMobile,
    })
}
