//! The «Документы на подпись» contract: documents the organisation sent the client to sign with
//! a simple electronic signature (ПЭП, 63-ФЗ ст. 9), the agreement on using it, the signing code
//! by SMS, and the signed copy with its stamp.
//!
//! The document's bytes are fixed and hashed when staff send it; the code sent by SMS names the
//! document and the first 8 hex characters of that SHA-256 and works only for those bytes (A31).
//! Nothing is signed before the client accepts the agreement (A30).

use serde::{Deserialize, Serialize};

/// Routes under [`crate::API_PREFIX`].
pub mod paths {
    /// The client's documents for signature, newest first (GET).
    pub const SIGNATURES: &str = "/signatures";
    /// The ПЭП agreement: its current text (GET) and its acceptance (POST [`AcceptAgreement`]).
    pub const AGREEMENT: &str = "/signatures/agreement";

    /// One document (GET).
    pub fn document(id: &str) -> String {
        format!("/signatures/{id}")
    }
    /// The document's PDF exactly as sent (GET); the first download is journaled as read.
    pub fn original(id: &str) -> String {
        format!("/signatures/{id}/original")
    }
    /// Sends the signing code by SMS (POST, empty body).
    pub fn code(id: &str) -> String {
        format!("/signatures/{id}/code")
    }
    /// Signs with the code (POST [`SignWithCode`]).
    pub fn sign(id: &str) -> String {
        format!("/signatures/{id}/sign")
    }
    /// The signed copy: the original with the stamp page appended (GET).
    pub fn signed(id: &str) -> String {
        format!("/signatures/{id}/signed")
    }
}

/// Where a document for signature stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SignatureStatus {
    /// Sent to the client, not signed yet.
    Awaiting,
    /// Signed by the client's SMS code; the stamped copy is ready.
    Signed,
    /// The organisation took it back before it was signed.
    Withdrawn,
}

impl SignatureStatus {
    pub fn title_ru(self) -> &'static str {
        match self {
            SignatureStatus::Awaiting => "Ожидает подписи",
            SignatureStatus::Signed => "Подписан",
            SignatureStatus::Withdrawn => "Отозван организацией",
        }
    }
    pub fn title_en(self) -> &'static str {
        match self {
            SignatureStatus::Awaiting => "Awaiting signature",
            SignatureStatus::Signed => "Signed",
            SignatureStatus::Withdrawn => "Withdrawn by the organisation",
        }
    }
}

/// One document for signature as the client sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SignatureDocument {
    pub id: String,
    /// «Согласие на запрос кредитной истории».
    pub title: String,
    /// The document's number, e.g. «П-2026-0001».
    pub number: String,
    /// ASCII file name of the original PDF.
    pub file_name: String,
    /// SHA-256 of the original PDF's bytes, lowercase hex: what the code is bound to.
    pub sha256: String,
    pub size: u64,
    /// When the organisation sent it, UTC RFC 3339.
    pub sent_at: String,
    pub status: SignatureStatus,
    /// Whether the client has opened the PDF.
    pub opened: bool,
    /// With `signed`: when, UTC RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_at: Option<String>,
    /// With `signed`: the stamped copy's file name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_file_name: Option<String>,
    /// With `signed`: the stamped copy's code for the public verify page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_code: Option<String>,
}

/// GET /signatures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SignaturesView {
    pub documents: Vec<SignatureDocument>,
    /// How many wait for the client's signature.
    pub awaiting: u32,
    /// Whether the current version of the agreement is accepted.
    pub agreement_accepted: bool,
}

/// The agreement on using a simple electronic signature, in its current version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Agreement {
    /// «1», «2», …: a new version needs a new acceptance.
    pub version: String,
    pub title: String,
    /// The full text, paragraphs separated by blank lines.
    pub text: String,
    /// SHA-256 of the text's UTF-8 bytes, lowercase hex.
    pub sha256: String,
    /// When this client accepted this version, UTC RFC 3339; absent when not yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_at: Option<String>,
}

/// POST /signatures/agreement: the version and hash of the text the client was shown, so an
/// acceptance of a text that changed meanwhile is refused rather than recorded for another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AcceptAgreement {
    pub version: String,
    pub sha256: String,
}

/// POST /signatures/{id}/code answers this.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SigningCodeSent {
    /// The phone the code went to, masked: «+7 916 ***-**-67».
    pub phone: String,
    /// The first 8 hex characters of the document's SHA-256, as the SMS names them.
    pub sha256_prefix: String,
    pub resend_after_secs: u32,
    pub expires_in_secs: u32,
}

/// POST /signatures/{id}/sign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SignWithCode {
    pub code: String,
}

/// How many characters of the SHA-256 the SMS and the screen show.
pub const HASH_PREFIX_CHARS: usize = 8;
