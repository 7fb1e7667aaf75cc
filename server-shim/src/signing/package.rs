//! Gathers a signed document's evidence package from the database: the original and the stamped
//! copy, the agreement and its acceptance, the code's SMS with the provider's answers, the
//! signing session's run of the journal and the records of the phone's confirmation by code.

use sqlx::Row;

use super::evidence::{self, EvidenceParts, JournalEntry, Subject};
use super::service::{RequestRow, SignatureEvidence, Signing};
use crate::audit::{AuditRow, CheckpointSigner};
use crate::clock::format_utc;

/// A session's run of the journal longer than this is refused rather than read into memory;
/// sessions end after hours, so a run this long means something else is wrong.
const MAX_JOURNAL_RUN: i64 = 500_000;

#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("document {0} is not signed")]
    NotSigned(String),
    #[error("stored evidence is incomplete: {0}")]
    Incomplete(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    Evidence(#[from] evidence::EvidenceError),
}

const AUDIT_COLUMNS: &str = "seq, at, division, client_id, client_name, session_id, ip, event, subject, description, prev_hash, hash";

fn utc(secs: i64) -> String {
    format_utc(time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH))
}

/// The package's parts for a signed request.
pub async fn assemble(signing: &Signing, row: &RequestRow) -> Result<EvidenceParts, PackageError> {
    let (Some(signed_at), Some(evidence_json)) = (row.signed_at, row.evidence.as_deref()) else {
        return Err(PackageError::NotSigned(row.number.clone()));
    };
    let ev: SignatureEvidence =
        serde_json::from_str(evidence_json).map_err(|e| PackageError::Incomplete(format!("evidence record: {e}")))?;
    let original = signing.original_bytes(&row.id).await?.ok_or_else(|| PackageError::Incomplete("original".into()))?;
    let stamped = signing.stamped_bytes(&row.id).await?.ok_or_else(|| PackageError::Incomplete("stamped copy".into()))?;
    let acceptance = signing
        .acceptance_of(&ev.user_id, &ev.agreement_version)
        .await?
        .ok_or_else(|| PackageError::Incomplete("agreement acceptance".into()))?;
    let pool = signing.store().pool();

    let sms = sms_record(signing, ev.sms_row).await?;
    let journal_rows = session_run(signing, &ev.session_uid).await?;

    // The phone's confirmation: the registration (or the latest phone change) and the codes
    // that confirmed the number, with their SMS.
    let client_rows: Vec<AuditRow> = sqlx::query_as(&format!(
        "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE client_id = $1 AND event IN ('registration_completed', 'phone_changed') \
         ORDER BY seq"
    ))
    .bind(&row.client_id)
    .fetch_all(pool)
    .await?;
    let code_rows: Vec<AuditRow> = sqlx::query_as(&format!(
        "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE subject = $1 AND event IN ('code_accepted', 'sms_sent') \
         AND (description LIKE 'Назначение: регистрация%' OR description LIKE 'Назначение: смена номера (новый номер)%') \
         ORDER BY seq"
    ))
    .bind(&ev.phone)
    .fetch_all(pool)
    .await?;
    let confirming_sms = sqlx::query(
        "SELECT provider, message_id, purpose, text_hmac, sent_at, raw_response, error FROM sms_messages \
         WHERE phone = $1 AND purpose IN ('register', 'phone_new') ORDER BY id",
    )
    .bind(&ev.phone)
    .fetch_all(pool)
    .await?
    .iter()
    .map(|r| {
        serde_json::json!({
            "provider": r.get::<String, _>(0),
            "message_id": r.get::<String, _>(1),
            "purpose": r.get::<String, _>(2),
            "text_hmac": r.get::<String, _>(3),
            "sent_at": utc(r.get(4)),
            "raw_response": r.get::<String, _>(5),
            "error": r.get::<String, _>(6),
        })
    })
    .collect::<Vec<_>>();
    if client_rows.is_empty() || code_rows.iter().all(|r| r.event != "code_accepted") {
        return Err(PackageError::Incomplete(format!("no journal record of {} being confirmed by code", ev.phone)));
    }
    let phone_confirmation = serde_json::json!({
        "phone": ev.phone,
        "note": "Строки журнала о регистрации (или смене номера) клиента и о принятии кода из SMS, отправленного на этот номер, с их хешами цепочки; сведения оператора об этих SMS.",
        "account_rows": client_rows,
        "code_rows": code_rows,
        "sms": confirming_sms,
    });

    let mut evidence_record = serde_json::to_value(&ev).map_err(|e| PackageError::Incomplete(e.to_string()))?;
    evidence_record["document_number"] = row.number.clone().into();
    let mut acceptance_record = acceptance.record();
    acceptance_record["signature_evidence"] = evidence_record;

    Ok(EvidenceParts {
        subject: Subject {
            document_id: row.id.clone(),
            document_number: row.number.clone(),
            document_title: row.title.clone(),
            signed_at: utc(signed_at),
            client_id: row.client_id.clone(),
            original_sha256: row.sha256.clone(),
        },
        original_pdf: original,
        stamped_pdf: stamped,
        agreement_text: acceptance.text.clone(),
        agreement_acceptance: acceptance_record,
        sms,
        journal_rows,
        phone_confirmation,
    })
}

/// The package's bytes, signed with the organisation's key.
pub async fn build(signing: &Signing, row: &RequestRow, key: &CheckpointSigner) -> Result<Vec<u8>, PackageError> {
    let parts = assemble(signing, row).await?;
    Ok(evidence::build(&parts, key)?)
}

/// The code's SMS as the provider answered: the send and every delivery status poll.
async fn sms_record(signing: &Signing, sms_row: i64) -> Result<serde_json::Value, PackageError> {
    let pool = signing.store().pool();
    let m = sqlx::query("SELECT provider, message_id, phone, purpose, text_hmac, sent_at, raw_response, error FROM sms_messages WHERE id = $1")
        .bind(sms_row)
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| PackageError::Incomplete("the code's SMS record".into()))?;
    let polls: Vec<serde_json::Value> = sqlx::query(
        "SELECT polled_at, state, code, raw_response, error FROM sms_status_polls WHERE sms_message_id = $1 ORDER BY id",
    )
    .bind(sms_row)
    .fetch_all(pool)
    .await?
    .iter()
    .map(|r| {
        serde_json::json!({
            "polled_at": utc(r.get(0)),
            "state": r.get::<String, _>(1),
            "code": r.get::<i64, _>(2),
            "raw_response": r.get::<String, _>(3),
            "error": r.get::<String, _>(4),
        })
    })
    .collect();
    Ok(serde_json::json!({
        "provider": m.get::<String, _>(0),
        "message_id": m.get::<String, _>(1),
        "phone": m.get::<String, _>(2),
        "purpose": m.get::<String, _>(3),
        "text_hmac_sha256": m.get::<String, _>(4),
        "sent_at": utc(m.get(5)),
        "send_response": m.get::<String, _>(6),
        "send_error": m.get::<String, _>(7),
        "status_polls": polls,
    }))
}

/// The journal from the session's first row to its last, other sessions' rows withheld.
async fn session_run(signing: &Signing, session_uid: &str) -> Result<Vec<JournalEntry>, PackageError> {
    let pool = signing.store().pool();
    let span = sqlx::query("SELECT MIN(seq), MAX(seq) FROM audit_log WHERE session_id = $1").bind(session_uid).fetch_one(pool).await?;
    let (Some(first), Some(last)) = (span.get::<Option<i64>, _>(0), span.get::<Option<i64>, _>(1)) else {
        return Err(PackageError::Incomplete(format!("no journal rows of session {session_uid}")));
    };
    if last - first > MAX_JOURNAL_RUN {
        return Err(PackageError::Incomplete(format!("the session's journal run is {} rows long", last - first + 1)));
    }
    let rows: Vec<AuditRow> = sqlx::query_as(&format!("SELECT {AUDIT_COLUMNS} FROM audit_log WHERE seq >= $1 AND seq <= $2 ORDER BY seq"))
        .bind(first)
        .bind(last)
        .fetch_all(pool)
        .await?;
    Ok(rows
        .iter()
        .map(|r| if r.session_id == session_uid { JournalEntry::Row(Box::new(r.clone())) } else { JournalEntry::withheld(r) })
        .collect())
}
