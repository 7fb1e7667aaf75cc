//! The signing flow: staff send a document (bytes fixed and hashed), the client accepts the
//! agreement once, asks for a code bound to the document's id and SHA-256, and signs with it;
//! the stamped copy, its verification code and the evidence record are stored in one update.
//!
//! Why the checks are layered: the code's stored hash covers (purpose, phone, document id,
//! SHA-256), so no code works for other bytes even if every table were edited but the secret
//! kept; before that, the document's bytes are hashed again and compared with the hash fixed at
//! sending and the hash the code was sent for, so a changed document is named as such
//! (`document_changed`) instead of passing for a typo.

use std::net::IpAddr;
use std::sync::Arc;

use kabinet_api::signing::{Agreement, SignatureDocument, SignatureStatus, SignaturesView, SigningCodeSent, HASH_PREFIX_CHARS};
use kabinet_api::{ErrorCode, Phone};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row;
use time::OffsetDateTime;

use super::agreement;
use super::stamp::{self, StampData};
use super::templates::{self, Template};
use crate::accounting::ClientRecord;
use crate::audit::{AuditEntry, EventKind, Journal};
use crate::auth::codes::{Purpose, Refusal};
use crate::auth::limits::SendRefusal;
use crate::auth::{Auth, SmsEvidence};
use crate::clock::{format_utc, Clock};
use crate::documents::code::VerificationCode;
use crate::documents::Documents;
use crate::failpoint::Failpoint;
use crate::gateways::sms::SmsMessage;
use crate::http::error::AppError;
use crate::org::OrgSettings;
use crate::storage::Store;

/// Who is signing: the session's client, as the cabinet knows them.
#[derive(Debug, Clone)]
pub struct Signer {
    pub client_id: String,
    pub client_name: String,
    pub user_id: String,
    pub session_uid: String,
    /// The cabinet's login phone, confirmed by code at registration (or at a phone change).
    pub phone: String,
    pub ip: IpAddr,
}

/// What the code's row carries once the SMS left: which document and bytes it is for and the
/// SMS that carried it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct PendingSignature {
    request_id: String,
    sha256: String,
    sms_row: i64,
    provider: String,
    message_id: String,
    session_uid: String,
    sent_at: i64,
}

/// The signature's evidence record (A31), stored with the signed document as JSON and put in
/// the evidence package. Never the code itself: its keyed hash.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SignatureEvidence {
    pub doc_sha256: String,
    pub doc_size: u64,
    pub sms_provider: String,
    pub sms_id: String,
    /// Row of `sms_messages` with the provider's raw answer.
    pub sms_row: i64,
    /// HMAC-SHA-256 of the code bound to (purpose, phone, document id, SHA-256).
    pub code_hash: String,
    pub phone: String,
    pub ip: String,
    pub session_uid: String,
    pub user_id: String,
    /// As accounting named the client when signing (the journal row is written from this
    /// record, also after a crash).
    pub client_name: String,
    pub agreement_version: String,
    pub agreement_sha256: String,
    /// UTC, RFC 3339.
    pub t_sent: String,
    pub t_entered: String,
    /// The delivery status known when the code was entered (the provider's own words).
    pub delivery_status: String,
    pub stamped_sha256: String,
    pub stamped_code: String,
}

/// One row of `signature_requests` without its files.
#[derive(Debug, Clone)]
pub struct RequestRow {
    pub id: String,
    pub client_id: String,
    pub template: String,
    pub title: String,
    pub number: String,
    pub file_name: String,
    pub sha256: String,
    pub size: i64,
    pub original_code: String,
    pub sent_at: i64,
    pub sent_by: String,
    pub opened_at: Option<i64>,
    pub status: String,
    pub signed_at: Option<i64>,
    pub stamped_code: Option<String>,
    pub signed_file_name: Option<String>,
    pub evidence: Option<String>,
}

const COLUMNS: &str = "id, client_id, template, title, number, file_name, sha256, size, original_code, sent_at, sent_by, \
                       opened_at, status, signed_at, stamped_code, signed_file_name, evidence";

impl RequestRow {
    fn from_row(r: &sqlx::any::AnyRow) -> RequestRow {
        RequestRow {
            id: r.get(0),
            client_id: r.get(1),
            template: r.get(2),
            title: r.get(3),
            number: r.get(4),
            file_name: r.get(5),
            sha256: r.get(6),
            size: r.get(7),
            original_code: r.get(8),
            sent_at: r.get(9),
            sent_by: r.get(10),
            opened_at: r.get(11),
            status: r.get(12),
            signed_at: r.get(13),
            stamped_code: r.get(14),
            signed_file_name: r.get(15),
            evidence: r.get(16),
        }
    }

    pub fn status(&self) -> SignatureStatus {
        match self.status.as_str() {
            "signed" => SignatureStatus::Signed,
            "withdrawn" => SignatureStatus::Withdrawn,
            _ => SignatureStatus::Awaiting,
        }
    }

    pub fn view(&self) -> SignatureDocument {
        SignatureDocument {
            id: self.id.clone(),
            title: self.title.clone(),
            number: self.number.clone(),
            file_name: self.file_name.clone(),
            sha256: self.sha256.clone(),
            size: self.size.max(0) as u64,
            sent_at: utc(self.sent_at),
            status: self.status(),
            opened: self.opened_at.is_some(),
            signed_at: self.signed_at.map(utc),
            signed_file_name: self.signed_file_name.clone(),
            verify_code: self.stamped_code.as_deref().and_then(VerificationCode::parse).map(|c| c.to_string()),
        }
    }

    /// «Согласие … № П-2026-0001», as the journal and the SMS name it (templates put the
    /// number in the title already).
    pub fn subject(&self) -> String {
        if self.title.contains(&self.number) {
            self.title.clone()
        } else {
            format!("{} № {}", self.title, self.number)
        }
    }
}

fn utc(secs: i64) -> String {
    format_utc(OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH))
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The code is bound to this: the document and the exact bytes.
fn binding(request_id: &str, sha256: &str) -> String {
    format!("{request_id}:{sha256}")
}

/// The SMS: the document, the first 8 hex characters of its hash, the code last (so the code
/// is the message's last run of six digits) and the duty to keep it secret (A30, A31).
pub fn sms_text(row: &RequestRow, code: &str) -> String {
    format!(
        "Подписание: {}, SHA-256 {}. Код: {code}. Никому не сообщайте код.",
        row.subject(),
        &row.sha256[..HASH_PREFIX_CHARS.min(row.sha256.len())]
    )
}

/// Why staff could not send a document.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("{0}")]
    Template(#[from] templates::TemplateError),
    #[error("the document could not be made: {0}")]
    Issue(#[from] crate::documents::issue::IssueError),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("journal: {0}")]
    Journal(#[from] crate::storage::AuditAppendError),
}

/// The signing service; one per shim, cheap to share.
pub struct Signing {
    store: Store,
    journal: Journal,
    clock: Arc<dyn Clock>,
    org: OrgSettings,
    public_url: String,
    failpoint: Failpoint,
}

/// The failpoint right after a signature is committed, before it is journaled.
pub const FAILPOINT_SIGNED: &str = "signature_committed";

impl Signing {
    /// The client's flows that send and check codes take the sign-in service's codes, limits
    /// and SMS sender as an argument; staff commands run without them.
    pub fn new(store: Store, journal: Journal, clock: Arc<dyn Clock>, org: OrgSettings, public_url: &str) -> Self {
        Signing { store, journal, clock, org, public_url: public_url.trim_end_matches('/').to_owned(), failpoint: Failpoint::default() }
    }

    /// With the crash failpoint of `KABINET_FAILPOINT` (demo and test modes only).
    pub fn with_failpoint(mut self, failpoint: Failpoint) -> Self {
        self.failpoint = failpoint;
        self
    }

    fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    fn entry(&self, kind: EventKind, who: &Signer) -> AuditEntry {
        AuditEntry::new(kind, &self.org.division)
            .client(&who.client_id, &who.client_name)
            .session(&who.session_uid)
            .ip(who.ip)
    }

    // ---- staff ----

    /// Fills `template` for the client, issues it as a PDF (with its own verification code) and
    /// fixes its bytes and SHA-256 as the document to sign.
    pub async fn send(
        &self,
        client: &ClientRecord,
        template: Template,
        fields: &[(String, String)],
        operator: &str,
    ) -> Result<RequestRow, SendError> {
        let now = self.now();
        let id = uuid::Uuid::new_v4().to_string();
        let year = now.year();
        // Numbers run per year; a clash between two senders at once is refused by UNIQUE and
        // the next number taken.
        for _ in 0..5 {
            let taken: i64 = sqlx::query("SELECT COUNT(*) FROM signature_requests WHERE number LIKE $1")
                .bind(format!("П-{year}-%"))
                .fetch_one(self.store.pool())
                .await?
                .get(0);
            let number = format!("П-{year}-{:04}", taken + 1);
            let spec = templates::fill(template, &self.org, client, &number, crate::accounting::business_day(now), fields)?;
            let issued = Documents::new(self.store.clone(), &self.public_url).issue(&client.id, &id, spec, now.unix_timestamp()).await?;
            let inserted = sqlx::query(
                "INSERT INTO signature_requests (id, client_id, template, title, number, file_name, original, sha256, size, \
                 original_code, sent_at, sent_by, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'awaiting')",
            )
            .bind(&id)
            .bind(&client.id)
            .bind(template.slug())
            .bind(&issued.title)
            .bind(&number)
            .bind(&issued.file_name)
            .bind(&issued.bytes)
            .bind(&issued.sha256_hex)
            .bind(issued.bytes.len() as i64)
            .bind(VerificationCode::parse(&issued.code).map(|c| c.as_str().to_owned()).unwrap_or_default())
            .bind(now.unix_timestamp())
            .bind(operator)
            .execute(self.store.pool())
            .await;
            match inserted {
                Ok(_) => {}
                Err(sqlx::Error::Database(db)) if db.is_unique_violation() => continue,
                Err(e) => return Err(e.into()),
            }
            let row = self.row(&id).await?.ok_or_else(|| sqlx::Error::RowNotFound)?;
            self.journal
                .record(
                    AuditEntry::new(EventKind::SignatureRequested, &self.org.division)
                        .client(&client.id, client.name.full())
                        .subject(row.subject())
                        .description(format!(
                            "Сотрудник: {operator}. Шаблон: {}; SHA-256 {}; {} байт; код проверки {}",
                            template.slug(),
                            row.sha256,
                            row.size,
                            issued.code
                        )),
                )
                .await?;
            return Ok(row);
        }
        Err(SendError::Db(sqlx::Error::Protocol("no free document number after several tries".into())))
    }

    /// Takes a document back before it is signed.
    pub async fn withdraw(&self, id: &str, operator: &str, client_name: &str) -> Result<Option<RequestRow>, SendError> {
        let done = sqlx::query("UPDATE signature_requests SET status = 'withdrawn', withdrawn_at = $1 WHERE id = $2 AND status = 'awaiting'")
            .bind(self.now().unix_timestamp())
            .bind(id)
            .execute(self.store.pool())
            .await?;
        let Some(row) = self.row(id).await? else { return Ok(None) };
        if done.rows_affected() == 1 {
            self.journal
                .record(
                    AuditEntry::new(EventKind::SignatureWithdrawn, &self.org.division)
                        .client(&row.client_id, client_name)
                        .subject(row.subject())
                        .description(format!("Сотрудник: {operator}")),
                )
                .await?;
        }
        Ok(Some(row))
    }

    /// A request by id, whoever's it is (staff).
    pub async fn row(&self, id: &str) -> Result<Option<RequestRow>, sqlx::Error> {
        let r = sqlx::query(&format!("SELECT {COLUMNS} FROM signature_requests WHERE id = $1 OR number = $1"))
            .bind(id)
            .fetch_optional(self.store.pool())
            .await?;
        Ok(r.as_ref().map(RequestRow::from_row))
    }

    /// A client's requests, newest first.
    pub async fn rows_of(&self, client_id: &str) -> Result<Vec<RequestRow>, sqlx::Error> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM signature_requests WHERE client_id = $1 ORDER BY sent_at DESC, number DESC"
        ))
        .bind(client_id)
        .fetch_all(self.store.pool())
        .await?;
        Ok(rows.iter().map(RequestRow::from_row).collect())
    }

    /// The original's bytes as stored.
    pub async fn original_bytes(&self, id: &str) -> Result<Option<Vec<u8>>, sqlx::Error> {
        let r = sqlx::query("SELECT original FROM signature_requests WHERE id = $1").bind(id).fetch_optional(self.store.pool()).await?;
        Ok(r.map(|r| r.get(0)))
    }

    /// The stamped copy's bytes, once signed.
    pub async fn stamped_bytes(&self, id: &str) -> Result<Option<Vec<u8>>, sqlx::Error> {
        let r = sqlx::query("SELECT stamped FROM signature_requests WHERE id = $1 AND status = 'signed'")
            .bind(id)
            .fetch_optional(self.store.pool())
            .await?;
        Ok(r.and_then(|r| r.get::<Option<Vec<u8>>, _>(0)))
    }

    // ---- the client ----

    /// One of this client's requests; `None` for another client's or none.
    pub async fn own(&self, client_id: &str, id: &str) -> Result<Option<RequestRow>, sqlx::Error> {
        let r = sqlx::query(&format!("SELECT {COLUMNS} FROM signature_requests WHERE id = $1 AND client_id = $2"))
            .bind(id)
            .bind(client_id)
            .fetch_optional(self.store.pool())
            .await?;
        Ok(r.as_ref().map(RequestRow::from_row))
    }

    pub async fn view(&self, who: &Signer) -> Result<SignaturesView, sqlx::Error> {
        let documents: Vec<SignatureDocument> = self.rows_of(&who.client_id).await?.iter().map(RequestRow::view).collect();
        let awaiting = documents.iter().filter(|d| d.status == SignatureStatus::Awaiting).count() as u32;
        Ok(SignaturesView { documents, awaiting, agreement_accepted: self.acceptance(&who.user_id).await?.is_some() })
    }

    /// When this user accepted the current version, if they did.
    async fn acceptance(&self, user_id: &str) -> Result<Option<Acceptance>, sqlx::Error> {
        self.acceptance_of(user_id, agreement::VERSION).await
    }

    /// The current agreement, with this user's acceptance time if any.
    pub async fn agreement(&self, who: &Signer) -> Result<Agreement, sqlx::Error> {
        let text = agreement::text(&self.org);
        let accepted = self.acceptance(&who.user_id).await?;
        Ok(Agreement {
            version: agreement::VERSION.to_owned(),
            title: agreement::TITLE.to_owned(),
            sha256: agreement::sha256_hex(&text),
            text,
            accepted_at: accepted.map(|a| utc(a.accepted_at)),
        })
    }

    /// Records the acceptance of the text the client was shown (its version and hash must be
    /// the current ones); accepting twice keeps the first.
    pub async fn accept(&self, who: &Signer, version: &str, sha256: &str) -> Result<Agreement, AppError> {
        let text = agreement::text(&self.org);
        let hash = agreement::sha256_hex(&text);
        if version != agreement::VERSION || !sha256.eq_ignore_ascii_case(&hash) {
            return Err(ErrorCode::AgreementOutdated.into());
        }
        let now = self.now().unix_timestamp();
        let inserted = sqlx::query(
            "INSERT INTO signature_agreements (user_id, client_id, version, sha256, text, accepted_at, ip, session_uid) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
        )
        .bind(&who.user_id)
        .bind(&who.client_id)
        .bind(agreement::VERSION)
        .bind(&hash)
        .bind(&text)
        .bind(now)
        .bind(who.ip.to_string())
        .bind(&who.session_uid)
        .execute(self.store.pool())
        .await?;
        if inserted.rows_affected() == 1 {
            self.journal
                .record(
                    self.entry(EventKind::SignatureAgreementAccepted, who)
                        .subject(agreement::TITLE)
                        .description(format!("Редакция {}; SHA-256 текста {hash}", agreement::VERSION)),
                )
                .await?;
        }
        Ok(self.agreement(who).await?)
    }

    /// The original's bytes for the client; the first time, it is marked opened and journaled
    /// as read («Сообщение личного кабинета прочитано»).
    pub async fn open(&self, who: &Signer, row: &RequestRow) -> Result<Vec<u8>, AppError> {
        let bytes = self.original_bytes(&row.id).await?.ok_or(ErrorCode::NotFound)?;
        let first = sqlx::query("UPDATE signature_requests SET opened_at = $1 WHERE id = $2 AND opened_at IS NULL")
            .bind(self.now().unix_timestamp())
            .bind(&row.id)
            .execute(self.store.pool())
            .await?;
        let entry = if first.rows_affected() == 1 {
            self.entry(EventKind::MessageRead, who).description(format!("Документ на подпись открыт; SHA-256 {}", sha256_hex(&bytes)))
        } else {
            self.entry(EventKind::FilesReceived, who).description(format!("Документ на подпись; SHA-256 {}", sha256_hex(&bytes)))
        };
        self.journal.record(entry.subject(row.subject())).await?;
        Ok(bytes)
    }

    /// Refuses what cannot be signed at all: another state, no agreement, changed bytes.
    async fn signable(&self, who: &Signer, row: &RequestRow) -> Result<(Acceptance, Vec<u8>, String), AppError> {
        match row.status() {
            SignatureStatus::Signed => return Err(ErrorCode::AlreadySigned.into()),
            SignatureStatus::Withdrawn => return Err(ErrorCode::DocumentWithdrawn.into()),
            SignatureStatus::Awaiting => {}
        }
        let Some(acceptance) = self.acceptance(&who.user_id).await? else {
            return Err(ErrorCode::AgreementRequired.into());
        };
        let bytes = self.original_bytes(&row.id).await?.ok_or(ErrorCode::NotFound)?;
        let current = sha256_hex(&bytes);
        if current != row.sha256 {
            // Stored bytes that no longer match the hash fixed at sending: someone changed the
            // database. Never signed; staff must look.
            tracing::error!(request = %row.id, "a document's stored bytes no longer match the hash fixed when it was sent");
            return Err(self.refuse(who, row, "файл документа не совпадает с отправленным (SHA-256 {current})").await);
        }
        Ok((acceptance, bytes, current))
    }

    async fn refuse(&self, who: &Signer, row: &RequestRow, why: &str) -> AppError {
        let entry = self.entry(EventKind::SignatureRefused, who).subject(row.subject()).description(why.to_owned());
        if let Err(e) = self.journal.record(entry).await {
            return e.into();
        }
        ErrorCode::DocumentChanged.into()
    }

    /// Sends the signing code: bound to the document's id and SHA-256, named in the SMS by the
    /// document and the hash's first 8 characters. Sent before answering, so a provider's
    /// failure is the client's to see and retry.
    pub async fn send_code(&self, auth: &Auth, who: &Signer, row: &RequestRow) -> Result<SigningCodeSent, AppError> {
        let (_, _, sha256) = self.signable(who, row).await?;
        let phone = Phone::parse(&who.phone).map_err(|_| AppError::Internal("the session's phone is not valid".into()))?;
        let now = self.now().unix_timestamp();
        match auth.limits.admit_send(&phone, who.ip, now).await? {
            Ok(()) => {}
            Err(SendRefusal::RetryAfter(secs)) => return Err(AppError::rate_limited(secs)),
            Err(SendRefusal::BudgetExhausted) => return Err(ErrorCode::SmsUnavailable.into()),
        }
        let issued = auth.codes.issue_bound(Purpose::Sign, &phone, &binding(&row.id, &sha256), "", now).await?;
        let text = sms_text(row, &issued.code);
        let result = auth.sms.send(&SmsMessage { phone: phone.clone(), text: text.clone(), client_ip: Some(who.ip) }).await;
        let sent_at = self.now().unix_timestamp();
        let (provider, message_id, raw, error) = match &result {
            Ok(r) => (r.provider, r.message_id.clone(), r.raw_response.clone(), String::new()),
            Err(e) => (auth.sms.provider(), String::new(), String::new(), e.to_string()),
        };
        let text_hmac = auth.codes.text_hmac(&text);
        let sms_row = SmsEvidence {
            provider,
            message_id: &message_id,
            phone: &phone,
            purpose: Purpose::Sign,
            text_hmac: &text_hmac,
            sent_at,
            raw_response: &raw,
            error: &error,
        }
        .store(&self.store)
        .await?;
        if let Err(e) = &result {
            tracing::warn!(error = %e, phone = %phone.masked(), "signing SMS not sent");
            self.journal
                .record(self.entry(EventKind::SmsFailed, who).subject(phone.as_e164()).description(format!(
                    "Назначение: {}; документ: {}; провайдер: {provider}; ошибка: {e}",
                    Purpose::Sign.title_ru(),
                    row.subject()
                )))
                .await?;
            return Err(e.client_code().into());
        }
        let pending = PendingSignature {
            request_id: row.id.clone(),
            sha256: sha256.clone(),
            sms_row,
            provider: provider.to_owned(),
            message_id: message_id.clone(),
            session_uid: who.session_uid.clone(),
            sent_at,
        };
        let payload = serde_json::to_string(&pending).map_err(|e| AppError::Internal(e.to_string()))?;
        auth.codes.set_payload(issued.id, &payload).await?;
        self.journal
            .record(self.entry(EventKind::SmsSent, who).subject(phone.as_e164()).description(format!(
                "Назначение: {}; документ: {}; SHA-256 {sha256}; провайдер: {provider}; id сообщения: {message_id}",
                Purpose::Sign.title_ru(),
                row.subject()
            )))
            .await?;
        let timing = auth.code_sent();
        Ok(SigningCodeSent {
            phone: phone.masked(),
            sha256_prefix: sha256[..HASH_PREFIX_CHARS].to_owned(),
            resend_after_secs: timing.resend_after_secs,
            expires_in_secs: timing.expires_in_secs,
        })
    }

    /// Signs with `code`: checks it against this document's id and current bytes, uses it up
    /// (one of many concurrent right answers wins), stamps the original and stores the stamped
    /// copy, its verification code and the evidence in one transaction, then journals it.
    pub async fn sign(&self, auth: &Auth, who: &Signer, row: &RequestRow, code: &str) -> Result<RequestRow, AppError> {
        let (acceptance, original, sha256) = self.signable(who, row).await?;
        let phone = Phone::parse(&who.phone).map_err(|_| AppError::Internal("the session's phone is not valid".into()))?;
        let now = self.now();
        let pending: Option<PendingSignature> =
            auth.codes.latest_payload(Purpose::Sign, &phone).await?.and_then(|p| serde_json::from_str(&p).ok());
        if let Some(p) = &pending {
            if p.request_id == row.id && p.sha256 != sha256 {
                return Err(self
                    .refuse(who, row, &format!("код отправлен для SHA-256 {}, документ сейчас {sha256}", p.sha256))
                    .await);
            }
        }
        let checked = match auth.codes.check(Purpose::Sign, &phone, &binding(&row.id, &sha256), code.trim(), now.unix_timestamp()).await? {
            Ok(c) => c,
            Err(refusal) => return Err(self.code_refused(who, row, &phone, refusal).await),
        };
        let code_row = checked.id;
        if let Err(refusal) = auth.codes.consume(checked, now.unix_timestamp()).await? {
            return Err(self.code_refused(who, row, &phone, refusal).await);
        }
        // The code matched with this document's binding, so the pending record is this one.
        let pending = pending.filter(|p| p.request_id == row.id).ok_or_else(|| AppError::Internal("signing code without its record".into()))?;
        self.journal
            .record(self.entry(EventKind::CodeAccepted, who).subject(phone.as_e164()).description(format!(
                "Назначение: {}; документ: {}",
                Purpose::Sign.title_ru(),
                row.subject()
            )))
            .await?;
        let delivery_status = self.poll_delivery(auth, pending.sms_row, &pending.message_id, &phone).await;
        let code_hash = auth.codes.stored_hash(code_row).await?.unwrap_or_default();

        let verify_code = VerificationCode::generate();
        let verify_url = format!("{}{}", self.public_url, kabinet_api::cabinet::paths::verify(&verify_code.to_string()));
        let data = StampData {
            title: row.title.clone(),
            number: row.number.clone(),
            signed_at: now,
            sms_id: pending.message_id.clone(),
            code: code.trim().to_owned(),
            phone: phone.display(),
            original_sha256_hex: sha256.clone(),
            ip: who.ip,
            session_uid: who.session_uid.clone(),
            verify_url,
            verify_code: verify_code.to_string(),
        };
        let stamped = tokio::task::spawn_blocking(move || stamp::stamp(&original, &data))
            .await
            .map_err(|e| AppError::Internal(format!("stamp: {e}")))?
            .map_err(|e| AppError::Internal(format!("stamp: {e}")))?;
        let stamped_sha256 = sha256_hex(&stamped);
        let signed_file_name = format!("{}-podpisan.pdf", row.file_name.trim_end_matches(".pdf"));
        let evidence = SignatureEvidence {
            doc_sha256: sha256.clone(),
            doc_size: row.size.max(0) as u64,
            sms_provider: pending.provider.clone(),
            sms_id: pending.message_id.clone(),
            sms_row: pending.sms_row,
            code_hash,
            phone: phone.as_e164().to_owned(),
            ip: who.ip.to_string(),
            session_uid: who.session_uid.clone(),
            user_id: who.user_id.clone(),
            client_name: who.client_name.clone(),
            agreement_version: acceptance.version.clone(),
            agreement_sha256: acceptance.sha256.clone(),
            t_sent: utc(pending.sent_at),
            t_entered: format_utc(now),
            delivery_status,
            stamped_sha256: stamped_sha256.clone(),
            stamped_code: verify_code.as_str().to_owned(),
        };
        let evidence_json = serde_json::to_string(&evidence).map_err(|e| AppError::Internal(e.to_string()))?;

        let mut tx = self.store.pool().begin().await?;
        let updated = sqlx::query(
            "UPDATE signature_requests SET status = 'signed', signed_at = $1, stamped = $2, stamped_sha256 = $3, \
             stamped_code = $4, signed_file_name = $5, evidence = $6 WHERE id = $7 AND status = 'awaiting'",
        )
        .bind(now.unix_timestamp())
        .bind(&stamped)
        .bind(&stamped_sha256)
        .bind(verify_code.as_str())
        .bind(&signed_file_name)
        .bind(&evidence_json)
        .bind(&row.id)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            tx.rollback().await?;
            return Err(ErrorCode::AlreadySigned.into());
        }
        sqlx::query(
            "INSERT INTO documents (code, client_id, kind, subject_id, title, file_name, sha256, size, issued_at) \
             VALUES ($1, $2, 'signed', $3, $4, $5, $6, $7, $8)",
        )
        .bind(verify_code.as_str())
        .bind(&row.client_id)
        .bind(&row.id)
        .bind(&row.title)
        .bind(&signed_file_name)
        .bind(&stamped_sha256)
        .bind(stamped.len() as i64)
        .bind(now.unix_timestamp())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        // A crash here leaves a signed document without its journal row; the next start
        // writes it (`journal_pending`), marked as written late.
        self.failpoint.hit(FAILPOINT_SIGNED);
        let row = self.row(&row.id).await?.ok_or(ErrorCode::NotFound)?;
        self.journal_signed(&row, &evidence, "").await?;
        Ok(row)
    }

    /// The «… подписано» row of a signed document from its evidence record, then the mark that
    /// it is journaled.
    async fn journal_signed(&self, row: &RequestRow, ev: &SignatureEvidence, note: &str) -> Result<(), AppError> {
        let entry = AuditEntry::new(EventKind::DocumentSigned, &self.org.division)
            .client(&row.client_id, &ev.client_name)
            .session(&ev.session_uid)
            .ip(&ev.ip)
            .subject(row.subject())
            .description(format!(
                "Простая электронная подпись кодом из SMS. SHA-256 документа {}; SMS id {} ({}); доставка: {}; \
                 соглашение о ПЭП редакция {}; код отправлен {}, введён {}; подписанный файл SHA-256 {}, \
                 код проверки {}{note}",
                ev.doc_sha256,
                ev.sms_id,
                ev.sms_provider,
                ev.delivery_status,
                ev.agreement_version,
                ev.t_sent,
                ev.t_entered,
                ev.stamped_sha256,
                VerificationCode::parse(&ev.stamped_code).map(|c| c.to_string()).unwrap_or_default(),
            ));
        self.journal.record(entry).await?;
        sqlx::query("UPDATE signature_requests SET signed_journaled = 1 WHERE id = $1").bind(&row.id).execute(self.store.pool()).await?;
        Ok(())
    }

    /// Journals the signatures a crash left unjournaled (signed and committed, row not written);
    /// run at start. Returns how many.
    pub async fn journal_pending(&self) -> Result<usize, AppError> {
        let ids: Vec<String> = sqlx::query("SELECT id FROM signature_requests WHERE status = 'signed' AND signed_journaled = 0")
            .fetch_all(self.store.pool())
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        for id in &ids {
            let row = self.row(id).await?.ok_or(ErrorCode::NotFound)?;
            let ev: SignatureEvidence = serde_json::from_str(row.evidence.as_deref().unwrap_or_default())
                .map_err(|e| AppError::Internal(format!("evidence record of {id}: {e}")))?;
            tracing::warn!(document = %row.number, "a signature committed before a crash is journaled now");
            self.journal_signed(&row, &ev, " (записано после перезапуска сервиса)").await?;
        }
        Ok(ids.len())
    }

    async fn code_refused(&self, who: &Signer, row: &RequestRow, phone: &Phone, refusal: Refusal) -> AppError {
        let entry = self.entry(EventKind::CodeRejected, who).subject(phone.as_e164()).description(format!(
            "Назначение: {}; документ: {}; причина: {}",
            Purpose::Sign.title_ru(),
            row.subject(),
            refusal.title_ru()
        ));
        if let Err(e) = self.journal.record(entry).await {
            return e.into();
        }
        refusal.code().into()
    }

    /// Asks the provider whether the code's SMS was delivered and keeps the answer as received.
    /// Never blocks the signature: the code was entered, which is what the signature rests on.
    async fn poll_delivery(&self, auth: &Auth, sms_row: i64, message_id: &str, phone: &Phone) -> String {
        let polled_at = self.now().unix_timestamp();
        let (state, code, raw, error, shown) = match auth.sms.status(message_id, phone).await {
            Ok(s) => (s.state.as_str().to_owned(), s.code, s.raw_response.clone(), String::new(), s.state.title_ru().to_owned()),
            Err(e) => ("error".to_owned(), 0, String::new(), e.to_string(), format!("не получен ({e})")),
        };
        let stored = sqlx::query(
            "INSERT INTO sms_status_polls (sms_message_id, state, code, raw_response, error, polled_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(sms_row)
        .bind(&state)
        .bind(code)
        .bind(&raw)
        .bind(&error)
        .bind(polled_at)
        .execute(self.store.pool())
        .await;
        if let Err(e) = stored {
            tracing::error!(error = %e, "an SMS delivery status could not be stored");
        }
        shown
    }

    /// The stamped copy for the client, journaled as a download.
    pub async fn signed_copy(&self, who: &Signer, row: &RequestRow) -> Result<Vec<u8>, AppError> {
        let bytes = self.stamped_bytes(&row.id).await?.ok_or(ErrorCode::NotFound)?;
        self.journal
            .record(
                self.entry(EventKind::FilesReceived, who)
                    .subject(row.subject())
                    .description(format!("Подписанный документ; SHA-256 {}", sha256_hex(&bytes))),
            )
            .await?;
        Ok(bytes)
    }
}

/// What the public verify page may say of a signed document: never who signed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedFacts {
    pub number: String,
    pub signed_at: i64,
    pub original_sha256: String,
    pub original_size: i64,
}

/// A stored acceptance of the agreement.
#[derive(Debug, Clone)]
pub struct Acceptance {
    pub version: String,
    pub sha256: String,
    pub text: String,
    pub accepted_at: i64,
    pub ip: String,
    pub session_uid: String,
    pub client_id: String,
    pub user_id: String,
}

impl Acceptance {
    pub fn record(&self) -> serde_json::Value {
        serde_json::json!({
            "document": agreement::TITLE,
            "version": self.version,
            "sha256": self.sha256,
            "accepted_at": utc(self.accepted_at),
            "ip": self.ip,
            "session_uid": self.session_uid,
            "client_id": self.client_id,
            "user_id": self.user_id,
        })
    }
}

impl Signing {
    /// The acceptance a signature rests on (by the user who signed), for the evidence package.
    pub async fn acceptance_of(&self, user_id: &str, version: &str) -> Result<Option<Acceptance>, sqlx::Error> {
        let r = sqlx::query(
            "SELECT version, sha256, text, accepted_at, ip, session_uid, client_id FROM signature_agreements \
             WHERE user_id = $1 AND version = $2",
        )
        .bind(user_id)
        .bind(version)
        .fetch_optional(self.store.pool())
        .await?;
        Ok(r.map(|r| Acceptance {
            version: r.get(0),
            sha256: r.get(1),
            text: r.get(2),
            accepted_at: r.get(3),
            ip: r.get(4),
            session_uid: r.get(5),
            client_id: r.get(6),
            user_id: user_id.to_owned(),
        }))
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The signature behind a stamped copy's verification code (as the documents table keeps
    /// it, display form accepted).
    pub async fn signed_facts(&self, verify_code: &str) -> Result<Option<SignedFacts>, sqlx::Error> {
        let Some(code) = VerificationCode::parse(verify_code) else { return Ok(None) };
        let r = sqlx::query(
            "SELECT number, signed_at, sha256, size FROM signature_requests WHERE stamped_code = $1 AND status = 'signed'",
        )
        .bind(code.as_str())
        .fetch_optional(self.store.pool())
        .await?;
        Ok(r.map(|r| SignedFacts { number: r.get(0), signed_at: r.get(1), original_sha256: r.get(2), original_size: r.get(3) }))
    }

    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    pub fn org(&self) -> &OrgSettings {
        &self.org
    }
}
