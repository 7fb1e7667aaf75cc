//! `kabinet-shim staff …`: what staff do until the staff console exists — see the
//! applications and messages clients sent from the cabinet, move an application on with a
//! comment, save a client's file, and answer with files. Works on the built-in ledger; an
//! organisation on its own accounting system does these in that system.
//!
//! Every action is journaled with the operator's name given on the command line, and the
//! files staff send pass the same inspection as the clients' (A25).

pub mod signatures;

use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};
use kabinet_api::cabinet::{format_date_ru, format_rub, ApplicationStatus};
use kabinet_api::messages::{Message, MAX_FILES};
use time::OffsetDateTime;

use crate::accounting::ledger::{Ledger, LedgerError};
use crate::accounting::{Accounting, NewAttachment};
use crate::audit::{AuditEntry, CheckpointSigner, EventKind, Journal};
use crate::signing::Signing;
use crate::uploads::{self, Upload};

#[derive(Subcommand, Debug)]
pub enum StaffCommand {
    /// Applications waiting for an answer (new or under review), oldest first.
    Applications {
        /// Only this client's.
        #[arg(long)]
        client: Option<String>,
    },
    /// Change an application's status: under-review, approved or declined (with a comment).
    Status {
        /// The application's id or number (ЛК-…).
        application: String,
        #[arg(value_enum)]
        status: StatusArg,
        /// The organisation's comment the client sees.
        #[arg(long)]
        comment: Option<String>,
        /// Who does it, for the journal: «Коротков Е. Ю.».
        #[arg(long)]
        operator: String,
    },
    /// A client's messages the organisation has not read yet; listing marks them read.
    Messages {
        #[arg(long)]
        client: String,
        #[arg(long)]
        operator: String,
    },
    /// Save a file a client sent.
    SaveFile {
        /// The file's id (F-…), as `messages` prints it.
        file: String,
        /// Where to write it.
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        operator: String,
    },
    /// Answer a client, with up to 5 files (JPEG, PNG, PDF).
    Reply {
        #[arg(long)]
        client: String,
        /// The client's message this answers.
        #[arg(long)]
        to: Option<String>,
        #[arg(long)]
        text: String,
        #[arg(long = "file")]
        files: Vec<PathBuf>,
        #[arg(long)]
        operator: String,
    },
    /// Documents for signature with a simple electronic signature: send, list, withdraw, print
    /// the signed copy, export the evidence package.
    Sign {
        #[command(subcommand)]
        command: signatures::SignCommand,
    },
    /// Record a client's passport in the built-in ledger (sign-in through ESIA matches on it).
    Passport {
        #[arg(long)]
        client: String,
        /// Four digits, e.g. 5012.
        #[arg(long)]
        series: String,
        /// Six digits, e.g. 345678.
        #[arg(long)]
        number: String,
        #[arg(long)]
        operator: String,
    },
    /// Whether a client's cabinet is linked to an ESIA (Госуслуги) account, and since when.
    EsiaLink {
        #[arg(long)]
        client: String,
    },
    /// Remove a client's cabinet link to ESIA (e.g. the client lost that Gosuslugi account, or
    /// it was linked in error); the next sign-in through ESIA asks to confirm a link again.
    EsiaUnlink {
        #[arg(long)]
        client: String,
        /// Why, for the journal.
        #[arg(long)]
        reason: String,
        #[arg(long)]
        operator: String,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum StatusArg {
    UnderReview,
    Approved,
    Declined,
}

impl StatusArg {
    fn status(self) -> ApplicationStatus {
        match self {
            StatusArg::UnderReview => ApplicationStatus::UnderReview,
            StatusArg::Approved => ApplicationStatus::Approved,
            StatusArg::Declined => ApplicationStatus::Declined,
        }
    }
}

fn status_ru(s: ApplicationStatus) -> &'static str {
    match s {
        ApplicationStatus::New => "новая",
        ApplicationStatus::UnderReview => "на рассмотрении",
        ApplicationStatus::Approved => "одобрена",
        ApplicationStatus::Declined => "отклонена",
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    #[error("{0}")]
    Ledger(#[from] LedgerError),
    #[error("{0}")]
    Invalid(String),
    #[error("journal: {0}")]
    Journal(String),
}

fn operator_name(s: &str) -> Result<&str, StaffError> {
    let s = s.trim();
    if s.is_empty() || s.chars().count() > 100 || s.chars().any(char::is_control) {
        return Err(StaffError::Invalid("--operator must name the person (1–100 characters)".into()));
    }
    Ok(s)
}

/// Where the journal rows of staff actions come from.
pub struct Desk<'a> {
    pub ledger: &'a Ledger,
    pub journal: &'a Journal,
    pub division: &'a str,
    pub signing: &'a Signing,
    /// The organisation's Ed25519 key, for evidence packages; `None` where it cannot be read.
    pub key: Option<&'a CheckpointSigner>,
}

impl Desk<'_> {
    async fn entry(&self, kind: EventKind, client_id: &str, operator: &str) -> Result<AuditEntry, StaffError> {
        let name = self
            .ledger
            .client(client_id)
            .await
            .map_err(|e| StaffError::Invalid(e.to_string()))?
            .map(|c| c.name.full())
            .unwrap_or_default();
        // The operator goes in each row's description: staff have no cabinet session.
        let _ = operator;
        Ok(AuditEntry::new(kind, self.division).client(client_id, name))
    }

    async fn record(&self, entry: AuditEntry) -> Result<(), StaffError> {
        self.journal.record(entry).await.map(|_| ()).map_err(|e| StaffError::Journal(e.to_string()))
    }
}

/// What a client typed, safe for the operator's terminal: control characters (an escape
/// sequence could rewrite the screen) become «�».
fn shown(s: &str) -> String {
    s.chars().map(|c| if c.is_control() && c != '\n' { '\u{fffd}' } else { c }).collect()
}

fn describe(m: &Message) -> String {
    let mut out = format!("{} {} {}\n  {}\n", m.id, m.sent_at, if m.read_at.is_some() { "" } else { "(новое)" }, shown(&m.text).replace('\n', "\n  "));
    for a in &m.attachments {
        out.push_str(&format!(
            "  файл {}: {} ({}, {} байт, SHA-256 {})\n",
            a.id,
            shown(&a.file_name),
            a.content_type.mime(),
            a.size,
            a.sha256
        ));
    }
    out
}

/// The ESIA link of client `client_id`'s cabinet: (OID, linked at), if any.
async fn esia_link(desk: &Desk<'_>, client_id: &str) -> Result<Option<(String, i64)>, StaffError> {
    let row = sqlx::query(
        "SELECT l.subject, l.linked_at FROM identity_links l JOIN cabinet_users u ON u.id = l.user_id \
         WHERE l.provider = $1 AND u.client_id = $2",
    )
    .bind(crate::auth::esia::PROVIDER)
    .bind(client_id)
    .fetch_optional(desk.signing.store().pool())
    .await
    .map_err(|e| StaffError::Invalid(e.to_string()))?;
    Ok(row.map(|r| (sqlx::Row::get(&r, 0), sqlx::Row::get(&r, 1))))
}

pub async fn run(desk: &Desk<'_>, command: StaffCommand, now: OffsetDateTime) -> Result<String, StaffError> {
    match command {
        StaffCommand::Sign { command } => signatures::run(desk, command).await,
        StaffCommand::Passport { client, series, number, operator } => {
            let operator = operator_name(&operator)?;
            let passport = crate::accounting::Passport::parse(&series, &number)
                .ok_or_else(|| StaffError::Invalid("--series must be 4 digits and --number 6 digits".into()))?;
            desk.ledger.set_passport(&client, &passport).await?;
            let entry = desk.entry(EventKind::ClientPassportRecorded, &client, operator).await?;
            // The journal names the passport only by its last digits: enough to tell two
            // entries apart, not enough to be a copy of it.
            desk.record(entry.subject("Паспорт клиента").description(format!(
                "Сотрудник: {operator}. Паспорт серии {}** № ****{}",
                &passport.series()[..2],
                &passport.number()[4..]
            )))
            .await?;
            Ok(format!("passport recorded for {client}"))
        }
        StaffCommand::EsiaLink { client } => Ok(match esia_link(desk, &client).await? {
            Some((oid, at)) => format!(
                "{client}: linked to ESIA OID {oid} since {}",
                crate::clock::format_utc(OffsetDateTime::from_unix_timestamp(at).unwrap_or(OffsetDateTime::UNIX_EPOCH))
            ),
            None => format!("{client}: not linked to ESIA"),
        }),
        StaffCommand::EsiaUnlink { client, reason, operator } => {
            let operator = operator_name(&operator)?;
            let reason = reason.trim();
            if reason.is_empty() || reason.chars().count() > 300 || kabinet_api::has_control_chars(reason) {
                return Err(StaffError::Invalid("--reason must say why (1–300 characters)".into()));
            }
            let Some((oid, _)) = esia_link(desk, &client).await? else {
                return Err(StaffError::Invalid(format!("{client} is not linked to ESIA")));
            };
            sqlx::query("DELETE FROM identity_links WHERE provider = $1 AND subject = $2")
                .bind(crate::auth::esia::PROVIDER)
                .bind(&oid)
                .execute(desk.signing.store().pool())
                .await
                .map_err(|e| StaffError::Invalid(e.to_string()))?;
            let entry = desk.entry(EventKind::IdentityUnlinked, &client, operator).await?;
            desk.record(entry.subject(&oid).description(format!("Сотрудник: {operator}. ЕСИА OID {oid}; причина: {reason}"))).await?;
            Ok(format!("{client}: the link to ESIA OID {oid} is removed"))
        }
        StaffCommand::Applications { client } => {
            let open = desk.ledger.open_applications(client.as_deref()).await?;
            if open.is_empty() {
                return Ok("no applications waiting".into());
            }
            Ok(open
                .iter()
                .map(|(client_id, a)| {
                    format!(
                        "{} {} [{}] клиент {client_id}, {} {}: {} ₽{}{}",
                        a.number,
                        format_date_ru(&a.date),
                        status_ru(a.status),
                        a.kind.title_ru(),
                        a.contract_number.as_deref().map(|n| format!("по договору {n}")).unwrap_or_else(|| a.product.clone()),
                        format_rub(a.amount),
                        if a.term_months > 0 { format!(", {} мес.", a.term_months) } else { String::new() },
                        a.details.as_deref().map(|d| format!(" — {}", shown(d))).unwrap_or_default(),
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"))
        }
        StaffCommand::Status { application, status, comment, operator } => {
            let operator = operator_name(&operator)?;
            let (client_id, a) = desk
                .ledger
                .set_application_status(&application, status.status(), comment.as_deref(), now.unix_timestamp())
                .await?;
            let entry = desk.entry(EventKind::ApplicationStatusChanged, &client_id, operator).await?;
            desk.record(
                entry
                    .subject(format!("{} № {}", a.kind.title_ru(), a.number))
                    .description(format!(
                        "Сотрудник: {operator}. Статус: {}{}",
                        status_ru(a.status),
                        a.comment.as_deref().map(|c| format!("; комментарий: {c}")).unwrap_or_default()
                    )),
            )
            .await?;
            Ok(format!("application {} is now {}", a.number, status_ru(a.status)))
        }
        StaffCommand::Messages { client, operator } => {
            let operator = operator_name(&operator)?;
            let unread = desk.ledger.unread_from_client(&client).await?;
            let entry = desk.entry(EventKind::StaffReadMessages, &client, operator).await?;
            desk.record(entry.subject("Сообщения клиента").description(format!("Сотрудник: {operator}. Новых сообщений: {}", unread.len())))
                .await?;
            // Marked read only once the journal has it and it is about to be shown.
            for m in &unread {
                desk.ledger.mark_read_by_staff(&client, &m.id, now).await?;
            }
            if unread.is_empty() {
                return Ok("no new messages".into());
            }
            Ok(unread.iter().map(describe).collect::<Vec<_>>().join("\n"))
        }
        StaffCommand::SaveFile { file, out, operator } => {
            let operator = operator_name(&operator)?;
            let (client_id, f) = desk.ledger.staff_attachment(&file).await?;
            // Never over an existing file: a typo must not overwrite the operator's documents.
            let mut target = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&out)
                .map_err(|e| StaffError::Invalid(format!("{}: {e}", out.display())))?;
            std::io::Write::write_all(&mut target, &f.bytes).map_err(|e| StaffError::Invalid(format!("{}: {e}", out.display())))?;
            let entry = desk.entry(EventKind::FilesReceived, &client_id, operator).await?;
            desk.record(entry.subject(&f.info.file_name).description(format!("Сотрудник: {operator}. SHA-256 {}", f.info.sha256)))
                .await?;
            Ok(format!("saved {} ({} bytes) to {}", f.info.file_name, f.bytes.len(), out.display()))
        }
        StaffCommand::Reply { client, to, text, files, operator } => {
            let operator = operator_name(&operator)?;
            let text = text.trim();
            if text.is_empty() && files.is_empty() {
                return Err(StaffError::Invalid("a reply needs --text or --file".into()));
            }
            if kabinet_api::has_control_chars(text) {
                return Err(StaffError::Invalid("the text holds control characters".into()));
            }
            if text.chars().count() > kabinet_api::messages::MAX_TEXT_CHARS {
                return Err(StaffError::Invalid("the text is too long".into()));
            }
            if files.len() > MAX_FILES {
                return Err(StaffError::Invalid(format!("at most {MAX_FILES} files")));
            }
            let mut attachments = Vec::new();
            for path in &files {
                let bytes = std::fs::read(path).map_err(|e| StaffError::Invalid(format!("{}: {e}", path.display())))?;
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                let declared = kabinet_api::messages::FileType::from_name(name).map(|t| t.mime()).unwrap_or("");
                let clean = uploads::inspect(&Upload { file_name: name, declared_type: declared, bytes: &bytes })
                    .map_err(|code| StaffError::Invalid(format!("{}: {}", path.display(), code.message_ru())))?;
                attachments.push(NewAttachment {
                    file_name: clean.file_name,
                    content_type: clean.file_type,
                    bytes: clean.bytes,
                    sha256: clean.sha256,
                });
            }
            let m = desk.ledger.reply(&client, to.as_deref(), operator, text, &attachments, now).await?;
            let listed: Vec<String> = m.attachments.iter().map(|a| format!("{} (SHA-256 {})", a.file_name, a.sha256)).collect();
            let entry = desk.entry(EventKind::StaffReplied, &client, operator).await?;
            desk.record(entry.subject(format!("Ответ {}", m.id)).description(format!(
                "Сотрудник: {operator}. {}",
                if listed.is_empty() { "Без файлов".to_owned() } else { format!("Файлы: {}", listed.join("; ")) }
            )))
            .await?;
            Ok(format!("reply {} sent with {} file(s)", m.id, m.attachments.len()))
        }
    }
}
