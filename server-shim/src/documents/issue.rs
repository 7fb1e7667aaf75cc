//! Issuing: a fresh verification code, the PDF rendered with it, the SHA-256 of the exact
//! bytes handed out, and a row in `documents` so the verify page can vouch for the copy.
//!
//! The PDF itself is not kept: the record says what was issued and when, and the hash lets
//! anyone holding a copy prove it is that document, unchanged.

use std::sync::Arc;

use kabinet_api::cabinet::paths;
use sha2::{Digest, Sha256};
use sqlx::Row;
use time::OffsetDateTime;

use super::code::VerificationCode;
use super::pdf::{self, RenderError, Stamp};
use super::spec::DocSpec;
use crate::http::error::AppError;
use crate::storage::{Store, StoreError};

/// Issues and looks up documents; cheap to make per request.
#[derive(Clone)]
pub struct Documents {
    store: Store,
    public_url: String,
}

/// A document as handed to the client.
#[derive(Debug, Clone)]
pub struct IssuedDocument {
    /// Display form, `XXXX-XXXX-XXXX`.
    pub code: String,
    pub title: String,
    /// ASCII, e.g. `grafik-Z-2026-0142.pdf`.
    pub file_name: String,
    pub sha256_hex: String,
    pub bytes: Vec<u8>,
}

/// What the verify page may tell anyone who has the code: nothing about the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedDocument {
    /// Display form.
    pub code: String,
    /// The document kind's slug.
    pub kind: String,
    pub title: String,
    pub issued_at: i64,
    pub sha256_hex: String,
    pub size: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("issue time {0} is out of range")]
    BadTime(i64),
    #[error("no unused verification code after several tries")]
    NoFreeCode,
}

impl From<sqlx::Error> for IssueError {
    fn from(e: sqlx::Error) -> Self {
        IssueError::Store(StoreError::Db(e))
    }
}

impl From<IssueError> for AppError {
    fn from(e: IssueError) -> Self {
        match e {
            IssueError::Store(e) => e.into(),
            other => AppError::Internal(format!("document: {other}")),
        }
    }
}

impl Documents {
    pub fn new(store: Store, public_url: &str) -> Self {
        Documents { store, public_url: public_url.trim_end_matches('/').to_owned() }
    }

    /// The public page that checks `code`.
    pub fn verify_url(&self, code: &VerificationCode) -> String {
        format!("{}{}", self.public_url, paths::verify(&code.to_string()))
    }

    /// Renders `spec` with a new verification code and records it as issued to `client_id`
    /// at `issued_at` (Unix seconds). `subject_id` is the contract's id.
    pub async fn issue(
        &self,
        client_id: &str,
        subject_id: &str,
        spec: DocSpec,
        issued_at: i64,
    ) -> Result<IssuedDocument, IssueError> {
        let when = OffsetDateTime::from_unix_timestamp(issued_at).map_err(|_| IssueError::BadTime(issued_at))?;
        let spec = Arc::new(spec);
        // A clash of 60-bit codes is practically impossible; should one happen, the UNIQUE
        // constraint refuses it and the document is made again with another code.
        for _ in 0..3 {
            let code = VerificationCode::generate();
            let url = self.verify_url(&code);
            let shown = code.to_string();
            let bytes = {
                let (spec, shown) = (spec.clone(), shown.clone());
                // Font subsetting and compression take milliseconds of CPU: off the async threads.
                tokio::task::spawn_blocking(move || {
                    pdf::render(&spec, &Stamp { code: &shown, url: &url, issued_at: when })
                })
                .await
                .map_err(|e| IssueError::Render(RenderError::from_join(e)))??
            };
            let sha256_hex = hex::encode(Sha256::digest(&bytes));
            let file_name = format!("{}.pdf", spec.file_stem);
            let inserted = sqlx::query(
                "INSERT INTO documents (code, client_id, kind, subject_id, title, file_name, sha256, size, issued_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(code.as_str())
            .bind(client_id)
            .bind(spec.kind.slug())
            .bind(subject_id)
            .bind(&spec.title)
            .bind(&file_name)
            .bind(&sha256_hex)
            .bind(bytes.len() as i64)
            .bind(issued_at)
            .execute(self.store.pool())
            .await;
            match inserted {
                Ok(_) => {
                    return Ok(IssuedDocument { code: shown, title: spec.title.clone(), file_name, sha256_hex, bytes })
                }
                Err(sqlx::Error::Database(db)) if db.is_unique_violation() => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(IssueError::NoFreeCode)
    }

    /// The document issued under `code`, typed in any of the ways [`VerificationCode::parse`]
    /// accepts; `None` for a code that is malformed or was never issued.
    pub async fn find(&self, code: &str) -> Result<Option<VerifiedDocument>, StoreError> {
        let Some(code) = VerificationCode::parse(code) else { return Ok(None) };
        let row = sqlx::query("SELECT kind, title, issued_at, sha256, size FROM documents WHERE code = $1")
            .bind(code.as_str())
            .fetch_optional(self.store.pool())
            .await?;
        Ok(row.map(|r| VerifiedDocument {
            code: code.to_string(),
            kind: r.get(0),
            title: r.get(1),
            issued_at: r.get(2),
            sha256_hex: r.get(3),
            size: r.get(4),
        }))
    }
}

#[cfg(test)]
mod tests {
    use kabinet_api::cabinet::{ContractStatus, DocumentKind, DocumentQuery};

    use super::*;
    use crate::documents::fixtures::*;
    use crate::documents::{build, Subject};

    #[tokio::test]
    async fn issued_documents_are_found_by_their_code_with_the_hash_of_their_bytes() {
        let (_dir, store) = temp_store().await;
        round_trip(store).await;
    }

    /// The same on PostgreSQL, in a database of its own, when `KABINET_TEST_POSTGRES` names a
    /// server (as for the black-box suite).
    #[tokio::test]
    async fn issued_documents_round_trip_on_postgres() {
        use sqlx::{Connection, Executor};
        let Ok(server) = std::env::var("KABINET_TEST_POSTGRES") else { return };
        sqlx::any::install_default_drivers();
        let mut admin = sqlx::AnyConnection::connect(&server).await.expect("the PostgreSQL server answers");
        let name = format!("kabinet_t_{}", uuid::Uuid::new_v4().simple());
        admin.execute(format!("CREATE DATABASE {name}").as_str()).await.unwrap();
        let mut url = url::Url::parse(&server).unwrap();
        url.set_path(&format!("/{name}"));
        let store = Store::open(url.as_str()).await.unwrap();
        round_trip(store.clone()).await;
        store.close().await;
        // The server may still be ending the pool's sessions; FORCE ends them. A leftover
        // database is harmless (every run makes a new one), so a failure here is not the test's.
        let _ = admin.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await;
    }

    async fn round_trip(store: Store) {
        let docs = Documents::new(store.clone(), "https://lk.company.ru/");
        let l = loan(ContractStatus::Overdue);
        let spec = build(DocumentKind::Schedule, Subject::Loan(&l), &DocumentQuery::default(), &org(), &holder()).unwrap();
        let issued = docs.issue("client-1", "loan-142", spec.clone(), 1_795_000_000).await.unwrap();

        assert_eq!(issued.file_name, "grafik-Z-2025-0142.pdf");
        assert_eq!(issued.title, spec.title);
        assert_eq!(issued.sha256_hex, hex::encode(Sha256::digest(&issued.bytes)));
        let code = VerificationCode::parse(&issued.code).expect("a well-formed code");
        assert_eq!(issued.code, code.to_string(), "handed out in display form");
        // The PDF carries the very code and link that were stored.
        let text = pdf_pages(&issued.bytes).join("\n");
        assert!(text.contains(&format!("Проверить документ: https://lk.company.ru/verify/{}", issued.code)), "{text}");
        assert!(text.contains(&format!("Код проверки: {}", issued.code)));

        for typed in [issued.code.clone(), issued.code.to_lowercase(), issued.code.replace('-', ""), format!(" {} ", issued.code)] {
            let found = docs.find(&typed).await.unwrap().unwrap_or_else(|| panic!("{typed:?} not found"));
            assert_eq!(
                found,
                VerifiedDocument {
                    code: issued.code.clone(),
                    kind: "schedule".into(),
                    title: spec.title.clone(),
                    issued_at: 1_795_000_000,
                    sha256_hex: issued.sha256_hex.clone(),
                    size: issued.bytes.len() as i64,
                }
            );
        }
        let row: (String, String, String, String) =
            sqlx::query_as("SELECT code, client_id, subject_id, file_name FROM documents").fetch_one(store.pool()).await.unwrap();
        assert_eq!(row, (code.as_str().to_owned(), "client-1".into(), "loan-142".into(), issued.file_name.clone()));

        // The same document issued again is another copy with its own code.
        let again = docs.issue("client-1", "loan-142", spec, 1_795_000_060).await.unwrap();
        assert_ne!(again.code, issued.code);
        assert_ne!(again.sha256_hex, issued.sha256_hex);

        assert_eq!(docs.find("ZZZZ-ZZZZ-ZZZZ").await.unwrap(), None);
        assert_eq!(docs.find("not a code").await.unwrap(), None);
        assert_eq!(docs.find("").await.unwrap(), None);
    }
}
