//! `kabinet-shim staff sign …`: send a document to a client's cabinet for signature, list and
//! withdraw them, print the stamped copy and export the evidence package of a signature.

use std::path::{Path, PathBuf};

use clap::Subcommand;

use super::{operator_name, shown, Desk, StaffError};
use crate::accounting::Accounting;
use crate::audit::{AuditEntry, EventKind};
use crate::signing::package;
use crate::signing::templates::Template;
use crate::signing::RequestRow;

#[derive(Subcommand, Debug)]
pub enum SignCommand {
    /// Fill a template for a client and send it to their cabinet for signature.
    Send {
        #[arg(long)]
        client: String,
        /// bki-consent, loan-offer or application-form.
        #[arg(long)]
        template: String,
        /// A template field as name=value (repeat): `--field passport="5012 345678"`.
        #[arg(long = "field")]
        fields: Vec<String>,
        #[arg(long)]
        operator: String,
    },
    /// The templates and their fields.
    Templates,
    /// A client's documents for signature and where each stands.
    List {
        #[arg(long)]
        client: String,
    },
    /// Take back a document that is not signed yet.
    Withdraw {
        /// The document's id or number (П-…).
        document: String,
        #[arg(long)]
        operator: String,
    },
    /// Save the signed document with its stamp page, for printing.
    Print {
        document: String,
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        operator: String,
    },
    /// Save the evidence package (zip) of a signed document; check it with `kabinet-shim
    /// evidence verify`.
    Evidence {
        document: String,
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        operator: String,
    },
}

fn parse_fields(fields: &[String]) -> Result<Vec<(String, String)>, StaffError> {
    fields
        .iter()
        .map(|f| {
            f.split_once('=')
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                .ok_or_else(|| StaffError::Invalid(format!("--field {f:?}: expected name=value")))
        })
        .collect()
}

/// Never over an existing file: a typo must not overwrite the operator's documents.
fn write_new(out: &Path, bytes: &[u8]) -> Result<(), StaffError> {
    let mut target = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(out)
        .map_err(|e| StaffError::Invalid(format!("{}: {e}", out.display())))?;
    std::io::Write::write_all(&mut target, bytes).map_err(|e| StaffError::Invalid(format!("{}: {e}", out.display())))
}

fn line(r: &RequestRow) -> String {
    let status = r.status().title_ru();
    format!(
        "{} {} [{status}] {} — {} байт, SHA-256 {}{}",
        r.number,
        r.id,
        shown(&r.title),
        r.size,
        r.sha256,
        r.stamped_code.as_deref().map(|c| format!(", код проверки подписанного {c}")).unwrap_or_default()
    )
}

async fn signed_row(desk: &Desk<'_>, document: &str) -> Result<RequestRow, StaffError> {
    let row = desk.signing.row(document).await.map_err(|e| StaffError::Invalid(e.to_string()))?;
    let row = row.ok_or_else(|| StaffError::Invalid(format!("no document {document}")))?;
    if row.signed_at.is_none() {
        return Err(StaffError::Invalid(format!("{} is not signed ({})", row.number, row.status().title_ru())));
    }
    Ok(row)
}

pub async fn run(desk: &Desk<'_>, command: SignCommand) -> Result<String, StaffError> {
    match command {
        SignCommand::Templates => Ok(Template::ALL
            .iter()
            .map(|t| {
                let fields: Vec<String> =
                    t.fields().iter().map(|f| format!("{}{}", f.name, if f.required { "" } else { " (необязательно)" })).collect();
                format!("{} — {}: {}", t.slug(), t.title_ru(), fields.join(", "))
            })
            .collect::<Vec<_>>()
            .join("\n")),
        SignCommand::Send { client, template, fields, operator } => {
            let operator = operator_name(&operator)?;
            let template = Template::from_slug(&template).ok_or_else(|| {
                let known: Vec<&str> = Template::ALL.iter().map(|t| t.slug()).collect();
                StaffError::Invalid(format!("unknown template {template:?} (known: {})", known.join(", ")))
            })?;
            let record = desk
                .ledger
                .client(&client)
                .await
                .map_err(|e| StaffError::Invalid(e.to_string()))?
                .ok_or_else(|| StaffError::Invalid(format!("no client {client}")))?;
            let row = desk
                .signing
                .send(&record, template, &parse_fields(&fields)?, operator)
                .await
                .map_err(|e| StaffError::Invalid(e.to_string()))?;
            Ok(format!("sent for signature: {}", line(&row)))
        }
        SignCommand::List { client } => {
            let rows = desk.signing.rows_of(&client).await.map_err(|e| StaffError::Invalid(e.to_string()))?;
            if rows.is_empty() {
                return Ok("no documents for signature".into());
            }
            Ok(rows.iter().map(line).collect::<Vec<_>>().join("\n"))
        }
        SignCommand::Withdraw { document, operator } => {
            let operator = operator_name(&operator)?;
            let row = desk.signing.row(&document).await.map_err(|e| StaffError::Invalid(e.to_string()))?;
            let row = row.ok_or_else(|| StaffError::Invalid(format!("no document {document}")))?;
            let name = desk.entry(EventKind::SignatureWithdrawn, &row.client_id, operator).await?.client_name;
            let after = desk
                .signing
                .withdraw(&row.id, operator, &name)
                .await
                .map_err(|e| StaffError::Invalid(e.to_string()))?
                .ok_or_else(|| StaffError::Invalid(format!("no document {document}")))?;
            if after.status() != kabinet_api::signing::SignatureStatus::Withdrawn {
                return Err(StaffError::Invalid(format!("{} cannot be withdrawn: {}", after.number, after.status().title_ru())));
            }
            Ok(format!("withdrawn: {}", line(&after)))
        }
        SignCommand::Print { document, out, operator } => {
            let operator = operator_name(&operator)?;
            let row = signed_row(desk, &document).await?;
            let bytes = desk
                .signing
                .stamped_bytes(&row.id)
                .await
                .map_err(|e| StaffError::Invalid(e.to_string()))?
                .ok_or_else(|| StaffError::Invalid(format!("{} has no stamped copy", row.number)))?;
            write_new(&out, &bytes)?;
            let entry = desk.entry(EventKind::SignatureEvidenceExported, &row.client_id, operator).await?;
            desk.record(entry.subject(row.subject()).description(format!("Сотрудник: {operator}. Подписанный документ для печати")))
                .await?;
            Ok(format!("saved the signed {} ({} bytes) to {}", row.number, bytes.len(), out.display()))
        }
        SignCommand::Evidence { document, out, operator } => {
            let operator = operator_name(&operator)?;
            let key = desk.key.ok_or_else(|| {
                StaffError::Invalid("the organisation's signing key (audit.signing_key_path) cannot be read".into())
            })?;
            let row = signed_row(desk, &document).await?;
            let zip = package::build(desk.signing, &row, key).await.map_err(|e| StaffError::Invalid(e.to_string()))?;
            write_new(&out, &zip)?;
            let entry: AuditEntry = desk.entry(EventKind::SignatureEvidenceExported, &row.client_id, operator).await?;
            desk.record(entry.subject(row.subject()).description(format!(
                "Сотрудник: {operator}. Пакет доказательств подписания, SHA-256 {}",
                hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&zip))
            )))
            .await?;
            Ok(format!("saved the evidence package of {} ({} bytes) to {}", row.number, zip.len(), out.display()))
        }
    }
}
