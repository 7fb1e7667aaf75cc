//! The published accounting contract: the HTTP API an accounting system implements so the shim
//! can use it instead of the built-in ledger (docs/accounting-contract.md explains it to an
//! integrator). Wire types and paths live here, shared by the server ([`server`], serving the
//! contract from any `Accounting`) and the client ([`super::http::HttpAccounting`]); the
//! OpenAPI document is generated from the server's own route list, so the two cannot drift.
//!
//! Every path carries the client's id and the accounting side answers 404 `not_found` for an
//! object of another client, exactly as for one that does not exist; nothing lists clients.

pub mod server;
pub mod signature;
pub mod tls;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use server::{documented_routes, router, serve, ContractAuth};

/// Where the committed OpenAPI document lives, relative to the workspace root.
pub const DOCUMENT_PATH: &str = "docs/accounting-contract.json";

/// Route templates, as the OpenAPI document names them.
pub mod paths {
    /// Not under `/v1/clients/` so that no client id can ever collide with it.
    pub const LOOKUP: &str = "/v1/client-lookup";
    /// Since 1.3: find a client by full name and passport, for sign-in through ESIA.
    pub const PASSPORT_LOOKUP: &str = "/v1/client-passport-lookup";
    pub const CLIENT: &str = "/v1/clients/{client_id}";
    pub const LOANS: &str = "/v1/clients/{client_id}/loans";
    pub const LOAN: &str = "/v1/clients/{client_id}/loans/{loan_id}";
    pub const SAVINGS: &str = "/v1/clients/{client_id}/savings";
    pub const SAVING: &str = "/v1/clients/{client_id}/savings/{savings_id}";
    pub const CONTRIBUTIONS: &str = "/v1/clients/{client_id}/contributions";
    /// Not under `/v1/clients/`: products are the organisation's, not a client's.
    pub const PRODUCTS: &str = "/v1/products";
    pub const APPLICATIONS: &str = "/v1/clients/{client_id}/applications";
    pub const APPLICATION_PREVIEW: &str = "/v1/clients/{client_id}/applications/preview";
    pub const MESSAGES: &str = "/v1/clients/{client_id}/messages";
    pub const MESSAGE: &str = "/v1/clients/{client_id}/messages/{message_id}";
    pub const MESSAGE_READ: &str = "/v1/clients/{client_id}/messages/{message_id}/read";
    pub const ATTACHMENT: &str = "/v1/clients/{client_id}/messages/{message_id}/attachments/{attachment_id}";
    pub const UPLOAD_BYTES: &str = "/v1/clients/{client_id}/upload-bytes";
    /// Since 1.2: what a card payment would be, computed by accounting (a read, though a POST).
    pub const PAYMENT_QUOTE: &str = "/v1/clients/{client_id}/payments/quote";
    /// Since 1.2: a confirmed card payment, posted once per `payment_id`.
    pub const PAYMENT_POSTINGS: &str = "/v1/clients/{client_id}/payments/postings";
}

/// Header of every write: the key the shim made once per client submission. The accounting
/// side answers a repeated key of the same client with the first result and creates nothing,
/// which is what lets the shim repeat a write after a timeout.
pub const IDEMPOTENCY_KEY_HEADER: &str = "idempotency-key";

/// Headers of an attachment download (the body is the file's bytes). Values that may hold
/// any text (the id, the file name) are percent-encoded UTF-8, as in a URL query, because a
/// header value is ASCII.
pub mod attachment_headers {
    /// The attachment's id, percent-encoded; equals the path's.
    pub const ID: &str = "x-kabinet-attachment-id";
    /// The name to show and to save under, percent-encoded UTF-8.
    pub const FILE_NAME: &str = "x-kabinet-file-name";
    /// `image/jpeg`, `image/png` or `application/pdf`.
    pub const CONTENT_TYPE: &str = "x-kabinet-content-type";
    /// Lower-case hex SHA-256 of the body.
    pub const SHA256: &str = "x-kabinet-sha256";
}

/// Body of `POST /v1/client-lookup`: who is trying to register or sign in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LookupRequest {
    /// Фамилия, as the person typed it (trimmed). Compare ignoring letter case and ё/е.
    pub last_name: String,
    /// Имя.
    pub first_name: String,
    /// Отчество; empty when the person has none.
    #[serde(default)]
    pub middle_name: String,
    /// Mobile number in E.164, e.g. `+79161234567`; compare exactly.
    pub phone: String,
}

/// Body of `POST /v1/client-passport-lookup` (since 1.3): a person ESIA (Госуслуги) identified,
/// with the full name and the passport ESIA has verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PassportLookupRequest {
    /// Фамилия. Compare ignoring letter case and ё/е.
    pub last_name: String,
    /// Имя.
    pub first_name: String,
    /// Отчество; empty when the person has none.
    #[serde(default)]
    pub middle_name: String,
    /// The passport's series: exactly 4 digits, no spaces, e.g. `5012`.
    pub passport_series: String,
    /// The passport's number: exactly 6 digits, e.g. `345678`.
    pub passport_number: String,
}

/// Answer of a successful lookup: exactly one client matched the name and the phone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LookupAnswer {
    /// The accounting system's own id of the client; every other call carries it in the path.
    pub client_id: String,
}

/// A client as the cabinet needs them: nothing more (A21: field allowlist).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ClientCard {
    /// The same id as in the path.
    pub id: String,
    pub last_name: String,
    pub first_name: String,
    /// Empty when the person has no patronymic.
    #[serde(default)]
    pub middle_name: String,
    /// Mobile number in E.164; SMS codes go to it.
    pub phone: String,
}

/// Query of every read that computes figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AsOfQuery {
    /// The organisation's calendar day the figures are computed for, `YYYY-MM-DD`.
    #[param(example = "2026-11-22")]
    pub as_of: String,
}

/// Query of a write that also needs the shim's clock: a new application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AsOfAtQuery {
    /// The organisation's calendar day the application is made on, `YYYY-MM-DD`.
    #[param(example = "2026-11-22")]
    pub as_of: String,
    /// The instant it is made, UTC, RFC 3339.
    #[param(example = "2026-11-22T09:00:00Z")]
    pub at: String,
}

/// Query of marking a message read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AtQuery {
    /// The instant the client opened the message, UTC, RFC 3339.
    #[param(example = "2026-11-22T09:00:00Z")]
    pub at: String,
}

/// The client's messages, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MessageList {
    pub messages: Vec<kabinet_api::messages::Message>,
}

/// Answer of marking a message read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReadAnswer {
    /// True only for the call that marked it: false when it was already read, or when it is
    /// the client's own message (only messages from the organisation are read by the client).
    pub newly_read: bool,
}

/// Body of `POST /v1/clients/{client_id}/messages`: a message from the client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    /// The client's text, checked by the shim (1 to 4000 characters).
    pub text: String,
    /// When the client sent it, UTC, RFC 3339.
    pub sent_at: String,
    /// Up to five files, in the client's order.
    #[serde(default)]
    pub files: Vec<NewFile>,
}

/// A file of a new message, already checked and cleaned by the shim (images re-encoded
/// without metadata, PDFs without active content): store exactly these bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFile {
    /// The name to show and to save under; never use it as a storage path.
    pub file_name: String,
    pub content_type: kabinet_api::messages::FileType,
    /// Lower-case hex SHA-256 of the bytes; the server refuses a mismatch with 400.
    pub sha256: String,
    /// The bytes, standard base64 with padding; at most 10 MiB decoded.
    pub content_base64: String,
}

/// Answer of `GET /v1/clients/{client_id}/upload-bytes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UploadBytes {
    /// The sizes of every file the client has sent, summed, in bytes.
    pub bytes: u64,
}

/// Body of every error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ContractError {
    pub code: ContractErrorCode,
    /// For people reading logs; never shown to clients, never parsed.
    pub message: String,
    /// With `rejected` only: why, as a kabinet error code the shim shows the client
    /// (`amount_out_of_range`, `contract_closed`, …). A string here so that an error answer
    /// with a reason this shim does not know still reads as an error (the shim then treats the
    /// call as failed rather than guessing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<kabinet_api::ErrorCode>)]
    pub reason: Option<String>,
}

/// Stable error codes of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContractErrorCode {
    /// 400: the request is malformed (bad `as_of`, bad body).
    BadRequest,
    /// 401: no valid signature. A missing or untrusted client certificate never gets this far:
    /// the TLS handshake itself is refused.
    Unauthorized,
    /// 404: no such client, or no such object **of this client**. Only this code means
    /// "absent"; the shim treats any other 404 as a failure (a wrong base URL, a proxy page).
    NotFound,
    /// 404: the path is not part of the contract.
    UnknownRoute,
    /// 405: the path exists with another method.
    MethodNotAllowed,
    /// 422: the accounting system refuses the request for a reason the client can act on
    /// (`reason` says which); nothing was written. Never retried.
    Rejected,
    /// 503: the accounting system cannot answer now; the shim retries reads (and writes, which
    /// carry an idempotency key, or a card posting, which is posted once per payment id) and
    /// then shows a retry to the client.
    Unavailable,
}

impl ContractError {
    pub fn new(code: ContractErrorCode, message: impl Into<String>) -> Self {
        ContractError { code, message: message.into(), reason: None }
    }

    /// A `rejected` answer for `reason`.
    pub fn rejected(reason: kabinet_api::ErrorCode) -> Self {
        let reason = serde_json::to_value(reason).ok().and_then(|v| v.as_str().map(str::to_owned));
        ContractError { code: ContractErrorCode::Rejected, message: "refused by accounting".into(), reason }
    }

    /// The kabinet code of a `rejected` answer; `None` for another code or a reason this
    /// shim does not know.
    pub fn refusal(&self) -> Option<kabinet_api::ErrorCode> {
        if self.code != ContractErrorCode::Rejected {
            return None;
        }
        let code: kabinet_api::ErrorCode = serde_json::from_value(serde_json::Value::String(self.reason.clone()?)).ok()?;
        // Only what an application, a message or a card payment can be refused for: accounting
        // must not be able to answer a client «session ended» or «internal error» in the
        // shim's name.
        REFUSALS.contains(&code).then_some(code)
    }
}

/// The refusal reasons the contract carries; any other reason is a fault of accounting.
pub const REFUSALS: &[kabinet_api::ErrorCode] = {
    use kabinet_api::ErrorCode::*;
    &[
        ProductUnavailable,
        AmountOutOfRange,
        TermOutOfRange,
        InvalidDate,
        DateAfterNextPayment,
        AmountTooSmall,
        AmountAbovePayoff,
        ContractClosed,
        TextRequired,
        TextTooLong,
        InvalidCharacters,
        IdempotencyKeyReused,
        StorageQuotaExceeded,
        TooManyFiles,
        FileTooLarge,
        // Since 1.2, card payments (with contract_closed, amount_out_of_range and
        // amount_above_payoff above).
        NothingToPay,
        TopUpNotAllowed,
    ]
};

/// The OpenAPI document of the contract, from the server's routes.
pub fn openapi() -> utoipa::openapi::OpenApi {
    documented_routes().into_openapi()
}

/// The document as committed in [`DOCUMENT_PATH`]: pretty JSON with a final newline.
pub fn document_json() -> String {
    let mut s = serde_json::to_string_pretty(&openapi()).expect("the OpenAPI document serialises");
    s.push('\n');
    s
}
