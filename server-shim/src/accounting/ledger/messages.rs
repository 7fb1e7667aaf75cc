//! Messages in the built-in ledger: the conversation between a client and the organisation,
//! with files stored in the database under generated ids (never under a name a sender chose),
//! one message per idempotency key, read marks, and the staff's replies.

use kabinet_api::messages::{AttachmentInfo, FileType, Message, MessageDirection, MAX_CLIENT_BYTES};
use sqlx::any::AnyRow;
use sqlx::Row;
use time::OffsetDateTime;

use super::{Ledger, LedgerError};
use crate::accounting::{AccountingError, AttachmentFile, NewAttachment};
use crate::clock::format_utc;

fn direction_str(d: MessageDirection) -> &'static str {
    match d {
        MessageDirection::FromClient => "from_client",
        MessageDirection::FromOrganisation => "from_organisation",
    }
}

fn utc(secs: i64) -> String {
    OffsetDateTime::from_unix_timestamp(secs).map(format_utc).unwrap_or_default()
}

const MESSAGE_COLS: &str = "id, direction, sent_at, body, author, in_reply_to, read_at";

fn attachment_info(r: &AnyRow) -> Result<AttachmentInfo, AccountingError> {
    let mime: String = r.get(2);
    Ok(AttachmentInfo {
        id: r.get(0),
        file_name: r.get(1),
        content_type: FileType::from_mime(&mime)
            .ok_or_else(|| AccountingError::Unavailable(format!("ledger holds a file of type {mime:?}")))?,
        size: u64::try_from(r.get::<i64, _>(3)).unwrap_or(0),
        sha256: r.get(4),
    })
}

/// A new message's content, for the client's and the staff's side alike.
pub struct Outgoing<'a> {
    pub client_id: &'a str,
    pub direction: MessageDirection,
    pub text: &'a str,
    pub files: &'a [NewAttachment],
    pub author: Option<&'a str>,
    pub in_reply_to: Option<&'a str>,
    pub key: Option<&'a str>,
    pub at: OffsetDateTime,
}

impl Ledger {
    async fn with_attachments(&self, rows: &[AnyRow]) -> Result<Vec<Message>, AccountingError> {
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let id: String = r.get(0);
            let files = sqlx::query(
                "SELECT id, file_name, content_type, size, sha256 FROM ledger_attachments WHERE message_id = $1 ORDER BY position",
            )
            .bind(&id)
            .fetch_all(self.store.pool())
            .await?;
            let direction = match r.get::<String, _>(1).as_str() {
                "from_client" => MessageDirection::FromClient,
                "from_organisation" => MessageDirection::FromOrganisation,
                other => return Err(AccountingError::Unavailable(format!("ledger holds a message direction {other:?}"))),
            };
            out.push(Message {
                id,
                direction,
                sent_at: utc(r.get(2)),
                text: r.get(3),
                attachments: files.iter().map(attachment_info).collect::<Result<_, _>>()?,
                read_at: r.get::<Option<i64>, _>(6).map(utc),
                author: r.get(4),
                in_reply_to: r.get(5),
            });
        }
        Ok(out)
    }

    pub(super) async fn conversation(&self, client_id: &str) -> Result<Vec<Message>, AccountingError> {
        let rows = sqlx::query(&format!(
            "SELECT {MESSAGE_COLS} FROM ledger_messages WHERE client_id = $1 ORDER BY sent_at DESC, id DESC"
        ))
        .bind(client_id)
        .fetch_all(self.store.pool())
        .await?;
        self.with_attachments(&rows).await
    }

    pub(super) async fn one_message(&self, client_id: &str, id: &str) -> Result<Option<Message>, AccountingError> {
        let rows = sqlx::query(&format!("SELECT {MESSAGE_COLS} FROM ledger_messages WHERE client_id = $1 AND id = $2"))
            .bind(client_id)
            .bind(id)
            .fetch_all(self.store.pool())
            .await?;
        Ok(self.with_attachments(&rows).await?.pop())
    }

    /// Marks a message read by the side it was sent to; true when this call did it.
    pub(super) async fn mark_read_by(
        &self,
        client_id: &str,
        id: &str,
        reader_gets: MessageDirection,
        at: OffsetDateTime,
    ) -> Result<bool, AccountingError> {
        let done = sqlx::query(
            "UPDATE ledger_messages SET read_at = $1 WHERE client_id = $2 AND id = $3 AND direction = $4 AND read_at IS NULL",
        )
        .bind(at.unix_timestamp())
        .bind(client_id)
        .bind(id)
        .bind(direction_str(reader_gets))
        .execute(self.store.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The message sent with this key, if any; refused when it was another message (its text
    /// or files differ): a key stands for one request.
    async fn message_by_key(&self, m: &Outgoing<'_>, key: &str) -> Result<Option<Message>, AccountingError> {
        let rows = sqlx::query(&format!(
            "SELECT {MESSAGE_COLS} FROM ledger_messages WHERE client_id = $1 AND idempotency_key = $2"
        ))
        .bind(m.client_id)
        .bind(key)
        .fetch_all(self.store.pool())
        .await?;
        let Some(found) = self.with_attachments(&rows).await?.pop() else { return Ok(None) };
        let same = found.text == m.text
            && found.attachments.iter().map(|a| a.sha256.as_str()).eq(m.files.iter().map(|f| f.sha256.as_str()));
        if !same {
            return Err(AccountingError::Refused(kabinet_api::ErrorCode::IdempotencyKeyReused));
        }
        Ok(Some(found))
    }

    /// Stores a message and its files in one transaction: all of it or nothing. With a key, a
    /// repeat returns the first message and stores nothing. A client's files may not pass
    /// [`MAX_CLIENT_BYTES`] in all: checked under the client's row lock, so messages sent at
    /// the same moment cannot pass it together.
    pub(super) async fn store_message(&self, m: Outgoing<'_>) -> Result<Message, AccountingError> {
        if kabinet_api::has_control_chars(m.text) {
            return Err(AccountingError::Refused(kabinet_api::ErrorCode::InvalidCharacters));
        }
        if m.text.chars().count() > kabinet_api::messages::MAX_TEXT_CHARS {
            return Err(AccountingError::Refused(kabinet_api::ErrorCode::TextTooLong));
        }
        if let Some(key) = m.key {
            if let Some(done) = self.message_by_key(&m, key).await? {
                return Ok(done);
            }
        }
        let id = format!("M-{}", uuid::Uuid::new_v4().simple());
        let mut tx = self.store.pool().begin().await?;
        // A write first: SQLite's write lock at once, PostgreSQL's row lock on the client.
        let locked = sqlx::query("UPDATE ledger_clients SET id = id WHERE id = $1").bind(m.client_id).execute(&mut *tx).await?;
        if locked.rows_affected() == 0 {
            return Err(AccountingError::Refused(kabinet_api::ErrorCode::NotFound));
        }
        let adding: u64 = m.files.iter().map(|f| f.bytes.len() as u64).sum();
        if m.direction == MessageDirection::FromClient && adding > 0 {
            let row = sqlx::query(
                "SELECT CAST(COALESCE(SUM(a.size), 0) AS BIGINT) FROM ledger_attachments a \
                 JOIN ledger_messages m ON m.id = a.message_id WHERE a.client_id = $1 AND m.direction = 'from_client'",
            )
            .bind(m.client_id)
            .fetch_one(&mut *tx)
            .await?;
            let used = u64::try_from(row.get::<i64, _>(0)).unwrap_or(0);
            if used + adding > MAX_CLIENT_BYTES {
                return Err(AccountingError::Refused(kabinet_api::ErrorCode::StorageQuotaExceeded));
            }
        }
        let inserted = sqlx::query(
            "INSERT INTO ledger_messages (id, client_id, direction, sent_at, body, author, in_reply_to, read_at, idempotency_key) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8)",
        )
        .bind(&id)
        .bind(m.client_id)
        .bind(direction_str(m.direction))
        .bind(m.at.unix_timestamp())
        .bind(m.text)
        .bind(m.author)
        .bind(m.in_reply_to)
        .bind(m.key)
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {}
            Err(sqlx::Error::Database(d)) if d.is_unique_violation() && m.key.is_some() => {
                drop(tx);
                let key = m.key.unwrap_or_default();
                return self
                    .message_by_key(&m, key)
                    .await?
                    .ok_or_else(|| AccountingError::Unavailable("a message made at the same moment cannot be read".into()));
            }
            Err(sqlx::Error::Database(d)) if d.is_foreign_key_violation() => {
                return Err(AccountingError::Refused(kabinet_api::ErrorCode::NotFound));
            }
            Err(e) => return Err(e.into()),
        }
        for (position, f) in m.files.iter().enumerate() {
            sqlx::query(
                "INSERT INTO ledger_attachments (id, message_id, client_id, position, file_name, content_type, size, sha256, data) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(format!("F-{}", uuid::Uuid::new_v4().simple()))
            .bind(&id)
            .bind(m.client_id)
            .bind(i64::try_from(position).unwrap_or(0))
            .bind(&f.file_name)
            .bind(f.content_type.mime())
            .bind(i64::try_from(f.bytes.len()).unwrap_or(i64::MAX))
            .bind(&f.sha256)
            .bind(f.bytes.clone())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.one_message(m.client_id, &id)
            .await?
            .ok_or_else(|| AccountingError::Unavailable("the message just stored cannot be read".into()))
    }

    pub(super) async fn attachment_file(
        &self,
        client_id: &str,
        message_id: &str,
        attachment_id: &str,
    ) -> Result<Option<AttachmentFile>, AccountingError> {
        let row = sqlx::query(
            "SELECT id, file_name, content_type, size, sha256, data FROM ledger_attachments \
             WHERE id = $1 AND message_id = $2 AND client_id = $3",
        )
        .bind(attachment_id)
        .bind(message_id)
        .bind(client_id)
        .fetch_optional(self.store.pool())
        .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(AttachmentFile { info: attachment_info(&r)?, bytes: r.get(5) }))
    }

    pub(super) async fn sent_bytes(&self, client_id: &str) -> Result<u64, AccountingError> {
        // PostgreSQL sums BIGINT as NUMERIC, which the Any driver cannot read: cast it back.
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(a.size), 0) AS BIGINT) FROM ledger_attachments a \
             JOIN ledger_messages m ON m.id = a.message_id WHERE a.client_id = $1 AND m.direction = 'from_client'",
        )
        .bind(client_id)
        .fetch_one(self.store.pool())
        .await?;
        let total: i64 = row.get(0);
        Ok(u64::try_from(total).unwrap_or(0))
    }

    /// Staff: a reply from the organisation, with files, to a client (optionally to one of
    /// their messages, which must be theirs).
    pub async fn reply(
        &self,
        client_id: &str,
        in_reply_to: Option<&str>,
        author: &str,
        text: &str,
        files: &[NewAttachment],
        at: OffsetDateTime,
    ) -> Result<Message, LedgerError> {
        if let Some(id) = in_reply_to {
            let theirs = self.one_message(client_id, id).await.map_err(|e| LedgerError::Invalid(e.to_string()))?;
            if theirs.is_none() {
                return Err(LedgerError::NotFound(format!("message {id} of client {client_id}")));
            }
        }
        self.store_message(Outgoing {
            client_id,
            direction: MessageDirection::FromOrganisation,
            text,
            files,
            author: Some(author),
            in_reply_to,
            key: None,
            at,
        })
        .await
        .map_err(|e| match e {
            AccountingError::Refused(kabinet_api::ErrorCode::NotFound) => LedgerError::NotFound(format!("client {client_id}")),
            e => LedgerError::Invalid(e.to_string()),
        })
    }

    /// Staff: a client's messages the organisation has not read yet, oldest first.
    pub async fn unread_from_client(&self, client_id: &str) -> Result<Vec<Message>, LedgerError> {
        let rows = sqlx::query(&format!(
            "SELECT {MESSAGE_COLS} FROM ledger_messages WHERE client_id = $1 AND direction = 'from_client' AND read_at IS NULL \
             ORDER BY sent_at, id"
        ))
        .bind(client_id)
        .fetch_all(self.store.pool())
        .await?;
        self.with_attachments(&rows).await.map_err(|e| LedgerError::Invalid(e.to_string()))
    }

    /// Staff: marks a client's message read by the organisation (the operator has seen it).
    pub async fn mark_read_by_staff(&self, client_id: &str, message_id: &str, at: OffsetDateTime) -> Result<bool, LedgerError> {
        self.mark_read_by(client_id, message_id, MessageDirection::FromClient, at)
            .await
            .map_err(|e| LedgerError::Invalid(e.to_string()))
    }

    /// Staff: a file of a client's message, to save on the operator's machine.
    pub async fn staff_attachment(&self, attachment_id: &str) -> Result<(String, AttachmentFile), LedgerError> {
        let row = sqlx::query("SELECT client_id, message_id FROM ledger_attachments WHERE id = $1")
            .bind(attachment_id)
            .fetch_optional(self.store.pool())
            .await?
            .ok_or_else(|| LedgerError::NotFound(format!("file {attachment_id}")))?;
        let (client_id, message_id): (String, String) = (row.get(0), row.get(1));
        let file = self
            .attachment_file(&client_id, &message_id, attachment_id)
            .await
            .map_err(|e| LedgerError::Invalid(e.to_string()))?
            .ok_or_else(|| LedgerError::NotFound(format!("file {attachment_id}")))?;
        Ok((client_id, file))
    }
}
