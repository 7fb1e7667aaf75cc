//! The audit journal: every client and staff action as an append-only row chained by SHA-256,
//! with the head checkpointed outside the database under a key the database never holds.

mod checkpoint;
mod verify;

use std::sync::Arc;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::clock::{format_utc, Clock};
use crate::storage::{AuditAppendError, Store};

pub use checkpoint::{
    key_id, parse_public_key, verify_document, Checkpoint, CheckpointError, CheckpointLog, CheckpointSigner,
};
pub use verify::{verify_journal, Problem, VerifyReport};

/// prev_hash of the first row.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Kinds of events, stored by code; the journal shows the Russian title as the seed's
/// «Вид события» column does. Codes are never renamed once released.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// The /embed page was served (frame mode).
    CabinetFrameOpened,
    /// The widget started and asked for the organisation's details (both modes).
    CabinetOpened,
    /// Step 1 of registration was submitted (found in accounting or not: the row says which).
    RegistrationStarted,
    /// The cabinet account was created after the SMS code was accepted.
    RegistrationCompleted,
    /// An SMS was handed to the provider (its message id in the description) or failed.
    SmsSent,
    SmsFailed,
    CodeAccepted,
    CodeRejected,
    LoginSucceeded,
    LoginFailed,
    Logout,
    PasswordResetStarted,
    PasswordReset,
    PasswordChanged,
    PhoneChangeStarted,
    PhoneChanged,
    /// A list of the «Информация» block was opened (loans, savings, contributions).
    SectionViewed,
    /// One contract's detail was opened (subject: the contract).
    ContractViewed,
    /// A document was downloaded (subject: the document's title), the seed's «получение файлов».
    FilesReceived,
    /// An object that is not this client's (or none) was asked for.
    ObjectNotFound,
    /// A session read more objects per minute than allowed.
    ReadsLimited,
    /// An application or a message was made in the cabinet (subject: the object).
    ObjectsCreated,
    /// A message from the organisation was opened by the client for the first time.
    MessageRead,
    /// An uploaded file was refused (the reason in the description); nothing was stored.
    UploadRefused,
    /// Staff changed an application's status (the operator in the description).
    ApplicationStatusChanged,
    /// Staff answered the client (subject: the message; files in the description).
    StaffReplied,
    /// Staff opened the client's messages (marking them read by the organisation).
    StaffReadMessages,
    /// A card payment was started (subject: the order and contract; the amount in the
    /// description).
    PaymentStarted,
    /// The bank confirmed a card payment (by a status query after a callback, a return or the
    /// reconciler: the description says which).
    PaymentConfirmed,
    /// The bank declined a card payment, or refused to register it, or returned it.
    PaymentDeclined,
    /// The bank reported another amount than registered: nothing was credited.
    PaymentMismatch,
    /// A confirmed card payment was posted to accounting.
    PaymentPosted,
    /// Accounting refused a confirmed card payment: staff must post it by hand.
    PaymentPostingFailed,
    /// A bank callback was not believed (bad or missing checksum, unknown order, another
    /// amount); the raw body is kept in payment_callbacks.
    PaymentCallbackRejected,
    /// Staff sent a document to the client's cabinet for signature (its SHA-256 fixed).
    SignatureRequested,
    /// Staff withdrew a document before it was signed.
    SignatureWithdrawn,
    /// The client accepted the agreement on using the simple electronic signature.
    SignatureAgreementAccepted,
    /// The client signed a document with the SMS code (the seed's «… подписано»).
    DocumentSigned,
    /// Signing was refused for a reason other than the code (the document's bytes changed).
    SignatureRefused,
    /// Staff exported a signature's evidence package or printed the stamped document.
    SignatureEvidenceExported,
    /// The client linked the cabinet account to an ESIA (Госуслуги) identity.
    IdentityLinked,
    /// Staff removed a cabinet's link to an ESIA identity.
    IdentityUnlinked,
    /// Staff recorded a client's passport in the built-in ledger.
    ClientPassportRecorded,
}

impl EventKind {
    pub fn code(self) -> &'static str {
        match self {
            EventKind::CabinetFrameOpened => "cabinet_frame_opened",
            EventKind::CabinetOpened => "cabinet_opened",
            EventKind::RegistrationStarted => "registration_started",
            EventKind::RegistrationCompleted => "registration_completed",
            EventKind::SmsSent => "sms_sent",
            EventKind::SmsFailed => "sms_failed",
            EventKind::CodeAccepted => "code_accepted",
            EventKind::CodeRejected => "code_rejected",
            EventKind::LoginSucceeded => "login_succeeded",
            EventKind::LoginFailed => "login_failed",
            EventKind::Logout => "logout",
            EventKind::PasswordResetStarted => "password_reset_started",
            EventKind::PasswordReset => "password_reset",
            EventKind::PasswordChanged => "password_changed",
            EventKind::PhoneChangeStarted => "phone_change_started",
            EventKind::PhoneChanged => "phone_changed",
            EventKind::SectionViewed => "section_viewed",
            EventKind::ContractViewed => "contract_viewed",
            EventKind::FilesReceived => "files_received",
            EventKind::ObjectNotFound => "object_not_found",
            EventKind::ReadsLimited => "reads_limited",
            EventKind::ObjectsCreated => "objects_created",
            EventKind::MessageRead => "message_read",
            EventKind::UploadRefused => "upload_refused",
            EventKind::ApplicationStatusChanged => "application_status_changed",
            EventKind::StaffReplied => "staff_replied",
            EventKind::StaffReadMessages => "staff_read_messages",
            EventKind::PaymentStarted => "payment_started",
            EventKind::PaymentConfirmed => "payment_confirmed",
            EventKind::PaymentDeclined => "payment_declined",
            EventKind::PaymentMismatch => "payment_mismatch",
            EventKind::PaymentPosted => "payment_posted",
            EventKind::PaymentPostingFailed => "payment_posting_failed",
            EventKind::PaymentCallbackRejected => "payment_callback_rejected",
            EventKind::SignatureRequested => "signature_requested",
            EventKind::SignatureWithdrawn => "signature_withdrawn",
            EventKind::SignatureAgreementAccepted => "signature_agreement_accepted",
            EventKind::DocumentSigned => "document_signed",
            EventKind::SignatureRefused => "signature_refused",
            EventKind::SignatureEvidenceExported => "signature_evidence_exported",
            EventKind::IdentityLinked => "identity_linked",
            EventKind::IdentityUnlinked => "identity_unlinked",
            EventKind::ClientPassportRecorded => "client_passport_recorded",
        }
    }

    pub fn title_ru(code: &str) -> &'static str {
        match code {
            "cabinet_frame_opened" => "Загрузка личного кабинета",
            "cabinet_opened" => "Открытие личного кабинета",
            "registration_started" => "Начало регистрации",
            "registration_completed" => "Регистрация в личном кабинете",
            "sms_sent" => "Отправка SMS",
            "sms_failed" => "Ошибка отправки SMS",
            "code_accepted" => "Код из SMS принят",
            "code_rejected" => "Код из SMS отклонён",
            "login_succeeded" => "Авторизация в личном кабинете",
            "login_failed" => "Неудачная попытка авторизации",
            "logout" => "Выход из личного кабинета",
            "password_reset_started" => "Запрос восстановления пароля",
            "password_reset" => "Восстановление пароля",
            "password_changed" => "Смена пароля",
            "phone_change_started" => "Запрос смены номера телефона",
            "phone_changed" => "Смена номера телефона",
            "section_viewed" => "Просмотр раздела личного кабинета",
            "contract_viewed" => "Просмотр договора",
            "files_received" => "Сообщение личного кабинета получение файлов",
            "object_not_found" => "Запрос недоступного объекта",
            "reads_limited" => "Превышен предел запросов данных",
            "objects_created" => "Создание объектов из личного кабинета",
            "message_read" => "Сообщение личного кабинета прочитано",
            "upload_refused" => "Файл не принят",
            "application_status_changed" => "Изменение статуса заявки",
            "staff_replied" => "Ответ организации в личный кабинет",
            "staff_read_messages" => "Сообщения клиента просмотрены сотрудником",
            "payment_started" => "Начало оплаты картой",
            "payment_confirmed" => "Оплата картой подтверждена банком",
            "payment_declined" => "Оплата картой отклонена",
            "payment_mismatch" => "Сумма оплаты не совпадает с заказом",
            "payment_posted" => "Платёж проведён в учётной системе",
            "payment_posting_failed" => "Платёж не принят учётной системой",
            "payment_callback_rejected" => "Уведомление банка отклонено",
            "signature_requested" => "Документ отправлен на подпись",
            "signature_withdrawn" => "Документ отозван с подписи",
            "signature_agreement_accepted" => "Принято соглашение об использовании простой электронной подписи",
            "document_signed" => "Сообщение личного кабинета подписано",
            "signature_refused" => "Подписание документа отклонено",
            "signature_evidence_exported" => "Выгрузка сведений о подписании",
            "identity_linked" => "Учётная запись связана с Госуслугами (ЕСИА)",
            "identity_unlinked" => "Связь учётной записи с Госуслугами (ЕСИА) удалена",
            "client_passport_recorded" => "Паспорт клиента записан в учёт",
            _ => "Событие",
        }
    }
}

/// What a caller records; the journal adds time, order and hashes.
#[derive(Debug, Clone, Default)]
pub struct AuditEntry {
    pub division: String,
    pub client_id: String,
    pub client_name: String,
    pub session_id: String,
    pub ip: String,
    pub event: String,
    pub subject: String,
    pub description: String,
}

impl AuditEntry {
    pub fn new(kind: EventKind, division: &str) -> Self {
        AuditEntry { event: kind.code().to_owned(), division: division.to_owned(), ..Default::default() }
    }

    pub fn ip(mut self, ip: impl ToString) -> Self {
        self.ip = ip.to_string();
        self
    }

    pub fn description(mut self, d: impl Into<String>) -> Self {
        self.description = d.into();
        self
    }

    /// The client the event is about: accounting id and full name.
    pub fn client(mut self, id: impl Into<String>, name: impl Into<String>) -> Self {
        self.client_id = id.into();
        self.client_name = name.into();
        self
    }

    /// The public session UID (never the cookie's token).
    pub fn session(mut self, uid: impl Into<String>) -> Self {
        self.session_id = uid.into();
        self
    }

    pub fn subject(mut self, s: impl Into<String>) -> Self {
        self.subject = s.into();
        self
    }
}

/// One stored row: the seed's journal columns plus the chain.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct AuditRow {
    pub seq: i64,
    pub at: String,
    pub division: String,
    pub client_id: String,
    pub client_name: String,
    pub session_id: String,
    pub ip: String,
    pub event: String,
    pub subject: String,
    pub description: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The canonical content a row's hash covers: every column but the hash, in a fixed order,
/// serialised as JSON (serde_json writes struct fields in declaration order).
#[derive(Serialize)]
struct Canonical<'a> {
    v: u8,
    seq: i64,
    at: &'a str,
    division: &'a str,
    client_id: &'a str,
    client_name: &'a str,
    session_id: &'a str,
    ip: &'a str,
    event: &'a str,
    subject: &'a str,
    description: &'a str,
    prev_hash: &'a str,
}

impl AuditRow {
    /// SHA-256 over the canonical content, which includes the previous row's hash.
    pub fn compute_hash(&self) -> String {
        let c = Canonical {
            v: 1,
            seq: self.seq,
            at: &self.at,
            division: &self.division,
            client_id: &self.client_id,
            client_name: &self.client_name,
            session_id: &self.session_id,
            ip: &self.ip,
            event: &self.event,
            subject: &self.subject,
            description: &self.description,
            prev_hash: &self.prev_hash,
        };
        let bytes = serde_json::to_vec(&c).expect("serialising strings cannot fail");
        hex::encode(Sha256::digest(bytes))
    }
}

/// Keeps a journal field on one line and within bounds, so no entry can forge another
/// (log injection) or bloat the table.
fn clean(s: &str, max_chars: usize) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).take(max_chars).collect()
}

/// Appends entries; shared by every handler through the application state.
#[derive(Clone)]
pub struct Journal {
    store: Store,
    clock: Arc<dyn Clock>,
}

impl Journal {
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> Self {
        Journal { store, clock }
    }

    pub async fn record(&self, e: AuditEntry) -> Result<AuditRow, AuditAppendError> {
        let clock = self.clock.clone();
        self.store
            .audit_append(move |seq, prev_hash| {
                let mut row = AuditRow {
                    seq,
                    at: format_utc(clock.now()),
                    division: clean(&e.division, 200),
                    client_id: clean(&e.client_id, 100),
                    client_name: clean(&e.client_name, 300),
                    session_id: clean(&e.session_id, 100),
                    ip: clean(&e.ip, 64),
                    event: clean(&e.event, 100),
                    subject: clean(&e.subject, 500),
                    description: clean(&e.description, 2000),
                    prev_hash: prev_hash.to_owned(),
                    hash: String::new(),
                };
                row.hash = row.compute_hash();
                row
            })
            .await
    }

    /// Signs the current head into the checkpoint log if it moved since the last checkpoint.
    pub async fn checkpoint(
        &self,
        signer: &CheckpointSigner,
        log: &CheckpointLog,
    ) -> Result<Option<Checkpoint>, CheckpointError> {
        let (seq, hash) = self.store.audit_head().await?;
        if seq == 0 {
            return Ok(None);
        }
        if let Some(last) = log.last()? {
            if last.seq == seq {
                return Ok(None);
            }
        }
        let cp = signer.sign(seq, &hash, &format_utc(self.clock.now()));
        log.append(&cp)?;
        Ok(Some(cp))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> AuditRow {
        let mut r = AuditRow {
            seq: 1,
            at: "2026-11-22T06:36:03.500000Z".into(),
            division: "Офис №1".into(),
            client_id: "c-1".into(),
            client_name: "Коротков Евгений Юрьевич".into(),
            session_id: "471acfb6-249a-48a1-8078-b2848ef48d5e".into(),
            ip: "31.170.186.62".into(),
            event: "cabinet_opened".into(),
            subject: String::new(),
            description: "Тип авторизации: ПоМобильномуИПаролю".into(),
            prev_hash: GENESIS_HASH.into(),
            hash: String::new(),
        };
        r.hash = r.compute_hash();
        r
    }

    #[test]
    fn every_column_is_covered_by_the_hash() {
        let base = row();
        type Edit = Box<dyn Fn(&mut AuditRow)>;
        let edits: Vec<Edit> = vec![
            Box::new(|r| r.seq += 1),
            Box::new(|r| r.at.push('1')),
            Box::new(|r| r.division.push('x')),
            Box::new(|r| r.client_id.push('x')),
            Box::new(|r| r.client_name.push('x')),
            Box::new(|r| r.session_id.push('x')),
            Box::new(|r| r.ip.push('x')),
            Box::new(|r| r.event.push('x')),
            Box::new(|r| r.subject.push('x')),
            Box::new(|r| r.description.push('x')),
            Box::new(|r| r.prev_hash = "1".repeat(64)),
        ];
        for (i, edit) in edits.iter().enumerate() {
            let mut r = base.clone();
            edit(&mut r);
            assert_ne!(r.compute_hash(), base.hash, "edit #{i} not covered");
        }
    }

    #[test]
    fn field_boundaries_cannot_be_shifted() {
        // Moving text from one column to the next must change the hash.
        let mut a = row();
        a.subject = "ab".into();
        a.description = "c".into();
        let mut b = row();
        b.subject = "a".into();
        b.description = "bc".into();
        assert_ne!(a.compute_hash(), b.compute_hash());
    }

    #[test]
    fn control_characters_are_flattened() {
        assert_eq!(clean("a\nb\r\u{1b}[31mc", 100), "a b  [31mc");
        assert_eq!(clean("абвгд", 3), "абв");
    }
}
