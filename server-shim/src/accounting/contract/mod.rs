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
    pub const CLIENT: &str = "/v1/clients/{client_id}";
    pub const LOANS: &str = "/v1/clients/{client_id}/loans";
    pub const LOAN: &str = "/v1/clients/{client_id}/loans/{loan_id}";
    pub const SAVINGS: &str = "/v1/clients/{client_id}/savings";
    pub const SAVING: &str = "/v1/clients/{client_id}/savings/{savings_id}";
    pub const CONTRIBUTIONS: &str = "/v1/clients/{client_id}/contributions";
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

/// Body of every error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ContractError {
    pub code: ContractErrorCode,
    /// For people reading logs; never shown to clients, never parsed.
    pub message: String,
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
    /// 503: the accounting system cannot answer now; the shim retries reads and then shows a
    /// retry to the client.
    Unavailable,
}

impl ContractError {
    pub fn new(code: ContractErrorCode, message: impl Into<String>) -> Self {
        ContractError { code, message: message.into() }
    }
}

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
