//! Serves the accounting contract from any [`Accounting`]: the shim serves its built-in ledger
//! this way, so another shim (or anything speaking the contract) can use it over the network,
//! and the adapter is tested against the real thing. Client authentication is mutual TLS, an
//! HMAC signature, or both; a request failing it learns 401 and nothing else.

use std::future::Future;
use std::path::Path as FsPath;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{to_bytes, Body};
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use base64::Engine as _;
use kabinet_api::cabinet::{Application, ContributionsView, LoanDetail, LoansView, SavingsDetail, SavingsView};
use kabinet_api::messages::{Message, MAX_FILES, MAX_FILE_BYTES};
use kabinet_api::payments::{CardPosting, PaymentContractKind, PaymentPreview, PaymentPurpose, PaymentRequest, PostingReceipt};
use kabinet_api::requests::{ApplicationPreview, ApplicationsView, NewApplication, ProductsView};
use kabinet_api::Phone;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use time::{Date, OffsetDateTime};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityRequirement, SecurityScheme};
use utoipa::OpenApi;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use super::signature::{self, MAX_SKEW_SECS, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use super::{
    attachment_headers, tls, AsOfAtQuery, AsOfQuery, AtQuery, ClientCard, ContractError, ContractErrorCode,
    LookupAnswer, LookupRequest, MessageList, NewMessage, PassportLookupRequest, ReadAnswer, UploadBytes, IDEMPOTENCY_KEY_HEADER,
};
use crate::accounting::{AccountingError, DynAccounting, FullName, NewAttachment};
use crate::config::AccountingConfig;

/// Requests are a few hundred bytes; the limit also bounds what an unsigned request can make
/// the server read before it is refused.
const BODY_LIMIT: usize = 64 * 1024;

/// A new message: five files of 10 MiB, base64 (4 bytes for 3), with the text and the JSON
/// around them. Admitted on that one route only.
pub const MESSAGE_BODY_LIMIT: usize = 70 * 1024 * 1024;

/// The longest idempotency key accepted; the shim sends a UUID (36 characters).
const MAX_KEY_CHARS: usize = 200;

/// How the contract server authenticates its callers. Debug shows which checks are on, never
/// the secret.
#[derive(Clone)]
pub struct ContractAuth {
    tls: Option<Arc<rustls::ServerConfig>>,
    client_certificates: bool,
    hmac: Option<SecretString>,
}

impl std::fmt::Debug for ContractAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContractAuth")
            .field("tls", &self.tls.is_some())
            .field("client_certificates", &self.client_certificates)
            .field("hmac", &self.hmac.is_some())
            .finish()
    }
}

impl ContractAuth {
    /// From `[accounting]`'s `serve_*` keys; reads the PEM files now, so a bad file stops the
    /// start rather than the first request.
    pub fn from_config(c: &AccountingConfig) -> anyhow::Result<ContractAuth> {
        let tls = if c.serve_tls_cert_path.is_empty() {
            None
        } else {
            let client_ca = (!c.serve_client_ca_path.is_empty()).then(|| FsPath::new(&c.serve_client_ca_path));
            Some(Arc::new(tls::server_config(
                FsPath::new(&c.serve_tls_cert_path),
                FsPath::new(&c.serve_tls_key_path),
                client_ca,
            )?))
        };
        let hmac = (!c.serve_hmac_secret.expose_secret().is_empty()).then(|| c.serve_hmac_secret.clone());
        Ok(ContractAuth { tls, client_certificates: !c.serve_client_ca_path.is_empty(), hmac })
    }

    /// Whether callers must prove who they are (a client certificate or a signature).
    pub fn authenticates_clients(&self) -> bool {
        self.client_certificates || self.hmac.is_some()
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "kabinet accounting contract",
        version = "1.3.0",
        description = "What an accounting system implements so the kabinet shim can use it as the system of record. \
            Every call is about one client whose id is in the path; an object of another client answers 404 `not_found`, \
            exactly like one that does not exist. Nothing lists clients. Writes carry an `Idempotency-Key`: the same \
            client with the same key gets the first result and nothing is created, so the shim may repeat a write; \
            a card posting is idempotent by its `payment_id` instead (since 1.2). \
            A refusal the client can act on is 422 `rejected` with a `reason`. Authentication: mutual TLS (a client certificate \
            from the CA agreed with the organisation) and/or the `X-Kabinet-Signature` HMAC header. Errors are \
            `ContractError` JSON. See docs/accounting-contract.md."
    ),
    modifiers(&SecuritySchemes),
    tags(
        (name = "clients", description = "Finding a client at sign-in and reading their card"),
        (name = "loans", description = "Loan applications and contracts with schedules and operations"),
        (name = "savings", description = "Savings applications and contracts"),
        (name = "contributions", description = "Returnable (паевой) and membership (членский) contributions"),
        (name = "applications", description = "Products, previews and the four kinds of application (idempotent writes)"),
        (name = "messages", description = "The client's conversation with the organisation, with files (idempotent writes)"),
        (name = "payments", description = "Card payments (since 1.2): quotes computed by accounting, and postings of confirmed payments, once per payment")
    )
)]
struct ContractDoc;

struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "mutual_tls",
            SecurityScheme::MutualTls {
                description: Some(
                    "TLS 1.2 or 1.3 with a client certificate issued by the CA agreed with the organisation; \
                     without one the handshake is refused."
                        .into(),
                ),
                extensions: None,
            },
        );
        components.add_security_scheme(
            "signature",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                SIGNATURE_HEADER,
                "Lower-case hex HMAC-SHA256, under the shared secret, of METHOD \\n path?query \\n X-Kabinet-Timestamp \\n \
                 hex SHA-256 of the body. X-Kabinet-Timestamp is Unix seconds and must be within 300 s of the receiver's clock.",
            ))),
        );
        // Alternatives: either one satisfies the contract; a deployment may require both.
        doc.security = Some(vec![
            SecurityRequirement::new("mutual_tls", Vec::<String>::new()),
            SecurityRequirement::new("signature", Vec::<String>::new()),
        ]);
    }
}

/// The contract's routes; the OpenAPI document is produced from this same list.
pub fn documented_routes() -> OpenApiRouter<DynAccounting> {
    OpenApiRouter::with_openapi(ContractDoc::openapi())
        .routes(routes!(lookup))
        .routes(routes!(passport_lookup))
        .routes(routes!(client))
        .routes(routes!(loans))
        .routes(routes!(loan))
        .routes(routes!(savings))
        .routes(routes!(saving))
        .routes(routes!(contributions))
        .routes(routes!(products))
        .routes(routes!(preview_application))
        .routes(routes!(applications, create_application))
        // The only route that takes files; the GET on the same path reads no body.
        .routes(routes!(messages, send_message).layer(DefaultBodyLimit::max(MESSAGE_BODY_LIMIT)))
        .routes(routes!(message))
        .routes(routes!(mark_read))
        .routes(routes!(attachment))
        .routes(routes!(upload_bytes))
        .routes(routes!(quote_payment))
        .routes(routes!(post_payment))
}

/// How much of a request body the signature check may read: a new message may carry files,
/// every other request is small.
fn body_limit(method: &Method, path: &str) -> usize {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (method, segments.as_slice()) {
        (&Method::POST, ["v1", "clients", _, "messages"]) => MESSAGE_BODY_LIMIT,
        _ => BODY_LIMIT,
    }
}

/// The contract as an axum router over `accounting`; with `hmac` every request must be signed.
pub fn router(accounting: DynAccounting, hmac: Option<SecretString>) -> Router {
    let (routes, _) = documented_routes().split_for_parts();
    let app = routes
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(accounting);
    match hmac {
        // Outermost, so an unsigned request reaches no route, no fallback and no extractor.
        Some(secret) => app.layer(middleware::from_fn_with_state(Arc::new(secret), require_signature)),
        None => app,
    }
}

/// Serves the contract on `listener` until `shutdown` resolves: over TLS when `auth` has a
/// certificate (requiring client certificates when it has a client CA), plain HTTP otherwise
/// (behind a TLS-terminating proxy, with signatures).
pub async fn serve(
    listener: tokio::net::TcpListener,
    accounting: DynAccounting,
    auth: ContractAuth,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    if !auth.authenticates_clients() {
        tracing::warn!("the accounting contract is served without client authentication");
    }
    let addr = listener.local_addr()?;
    tracing::info!(%addr, tls = auth.tls.is_some(), client_certificates = auth.client_certificates,
        signatures = auth.hmac.is_some(), "accounting contract listening");
    let service = router(accounting, auth.hmac.clone()).into_make_service();
    match auth.tls {
        Some(tls) => {
            let handle = axum_server::Handle::new();
            let h = handle.clone();
            tokio::spawn(async move {
                shutdown.await;
                h.graceful_shutdown(Some(Duration::from_secs(10)));
            });
            axum_server::from_tcp_rustls(listener.into_std()?, axum_server::tls_rustls::RustlsConfig::from_config(tls))
                .handle(handle)
                .serve(service)
                .await?;
        }
        None => axum::serve(listener, service).with_graceful_shutdown(shutdown).await?,
    }
    Ok(())
}

async fn require_signature(State(secret): State<Arc<SecretString>>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    // Before reading a body that may be tens of megabytes: a request without a fresh
    // timestamp is refused unread (verify below says the same again, with the signature).
    let fresh = header(TIMESTAMP_HEADER)
        .and_then(|t| t.parse::<i64>().ok())
        .is_some_and(|t| (now - t).abs() <= MAX_SKEW_SECS);
    if !fresh || header(SIGNATURE_HEADER).is_none() {
        return unauthorized("the timestamp or signature is missing or stale");
    }
    let Ok(bytes) = to_bytes(body, body_limit(&parts.method, parts.uri.path())).await else {
        return unauthorized("the body is unreadable or too large");
    };
    let target = parts.uri.path_and_query().map(|pq| pq.as_str()).unwrap_or("/");
    if let Err(e) = signature::verify(
        secret.expose_secret().as_bytes(),
        parts.method.as_str(),
        target,
        header(TIMESTAMP_HEADER),
        header(SIGNATURE_HEADER),
        &bytes,
        now,
    ) {
        return unauthorized(&e.to_string());
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// The same answer whatever was wrong, so a caller cannot probe which check failed.
fn unauthorized(reason: &str) -> Response {
    tracing::warn!(reason, "accounting contract: request refused");
    let body = ContractError::new(ContractErrorCode::Unauthorized, "authentication required");
    (StatusCode::UNAUTHORIZED, Json(body)).into_response()
}

/// Why a contract call did not answer 200.
enum Failure {
    BadRequest(String),
    NotFound,
    Rejected(kabinet_api::ErrorCode),
    Unavailable(String),
}

impl From<AccountingError> for Failure {
    fn from(e: AccountingError) -> Self {
        match e {
            AccountingError::Unavailable(m) => Failure::Unavailable(m),
            // "Absent" has one spelling in the contract, whoever says it.
            AccountingError::Refused(kabinet_api::ErrorCode::NotFound) => Failure::NotFound,
            AccountingError::Refused(code) => Failure::Rejected(code),
        }
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            Failure::BadRequest(m) => (StatusCode::BAD_REQUEST, ContractError::new(ContractErrorCode::BadRequest, m)),
            Failure::Rejected(code) => (StatusCode::UNPROCESSABLE_ENTITY, ContractError::rejected(code)),
            Failure::NotFound => (
                StatusCode::NOT_FOUND,
                ContractError::new(ContractErrorCode::NotFound, "no such client or object of this client"),
            ),
            Failure::Unavailable(m) => {
                // The detail stays in our log; the caller learns only to come back later.
                tracing::error!(error = %m, "accounting contract: the accounting behind it failed");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    ContractError::new(ContractErrorCode::Unavailable, "accounting is unavailable"),
                )
            }
        };
        (status, Json(body)).into_response()
    }
}

type Answer<T> = Result<Json<T>, Failure>;

async fn unknown_route() -> Response {
    let body = ContractError::new(ContractErrorCode::UnknownRoute, "not a path of the accounting contract");
    (StatusCode::NOT_FOUND, Json(body)).into_response()
}

async fn method_not_allowed() -> Response {
    let body = ContractError::new(ContractErrorCode::MethodNotAllowed, "method not allowed on this path");
    (StatusCode::METHOD_NOT_ALLOWED, Json(body)).into_response()
}

fn as_of(q: Result<Query<AsOfQuery>, QueryRejection>) -> Result<Date, Failure> {
    let Query(q) = q.map_err(|e| Failure::BadRequest(e.body_text()))?;
    day(&q.as_of, "as_of")
}

fn day(value: &str, what: &str) -> Result<Date, Failure> {
    Date::parse(value, time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|_| Failure::BadRequest(format!("{what} must be a day as YYYY-MM-DD")))
}

fn path<T>(p: Result<Path<T>, PathRejection>) -> Result<T, Failure> {
    p.map(|Path(v)| v).map_err(|e| Failure::BadRequest(e.body_text()))
}

/// Lists are about a client who exists: an unknown id answers 404, as the contract requires of
/// every accounting system (the shim shows it as nothing to list).
async fn require_client(accounting: &DynAccounting, client_id: &str) -> Result<(), Failure> {
    accounting.client(client_id).await?.map(|_| ()).ok_or(Failure::NotFound)
}

/// Finds the one client with this full name and phone, at registration and sign-in. A read,
/// though it is a POST: the body keeps the person's name and phone out of URLs and access logs.
#[utoipa::path(post, path = "/v1/client-lookup", tag = "clients",
    request_body = LookupRequest,
    responses(
        (status = 200, body = LookupAnswer, description = "Exactly this name (letter case and ё/е aside) with exactly this phone"),
        (status = 400, body = ContractError, description = "`bad_request`: a malformed as_of, body or id"), (status = 401, body = ContractError, description = "`unauthorized`: no valid signature"),
        (status = 404, body = ContractError, description = "`not_found`: no client has this name with this phone"),
        (status = 503, body = ContractError, description = "`unavailable`: accounting cannot answer now; the shim retries reads")))]
async fn lookup(
    State(accounting): State<DynAccounting>,
    body: Result<Json<LookupRequest>, JsonRejection>,
) -> Answer<LookupAnswer> {
    let Json(req) = body.map_err(|e| Failure::BadRequest(e.body_text()))?;
    let phone = Phone::parse(&req.phone)
        .ok()
        .filter(|p| p.as_e164() == req.phone)
        .ok_or_else(|| Failure::BadRequest("phone must be a mobile number in E.164, e.g. +79161234567".into()))?;
    if req.last_name.trim().is_empty() || req.first_name.trim().is_empty() {
        return Err(Failure::BadRequest("last_name and first_name are required".into()));
    }
    let name = FullName::from_parts(&req.last_name, &req.first_name, &req.middle_name);
    let id = accounting.find_client(&name, &phone).await?.ok_or(Failure::NotFound)?;
    Ok(Json(LookupAnswer { client_id: id }))
}

/// Finds the one client with this full name and passport, at sign-in through ESIA (since 1.3).
/// A read, though it is a POST, for the same reason as the phone lookup.
#[utoipa::path(post, path = "/v1/client-passport-lookup", tag = "clients",
    request_body = PassportLookupRequest,
    responses(
        (status = 200, body = LookupAnswer, description = "Exactly one client has this name (letter case and ё/е aside) and this passport"),
        (status = 400, body = ContractError, description = "`bad_request`: a malformed body (the series is 4 digits, the number 6)"), (status = 401, body = ContractError, description = "`unauthorized`: no valid signature"),
        (status = 404, body = ContractError, description = "`not_found`: no client, or more than one, has this name with this passport"),
        (status = 503, body = ContractError, description = "`unavailable`: accounting cannot answer now; the shim retries reads")))]
async fn passport_lookup(
    State(accounting): State<DynAccounting>,
    body: Result<Json<PassportLookupRequest>, JsonRejection>,
) -> Answer<LookupAnswer> {
    let Json(req) = body.map_err(|e| Failure::BadRequest(e.body_text()))?;
    let passport = crate::accounting::Passport::parse(&req.passport_series, &req.passport_number)
        .filter(|p| p.series() == req.passport_series && p.number() == req.passport_number)
        .ok_or_else(|| Failure::BadRequest("passport_series must be 4 digits and passport_number 6 digits".into()))?;
    if req.last_name.trim().is_empty() || req.first_name.trim().is_empty() {
        return Err(Failure::BadRequest("last_name and first_name are required".into()));
    }
    let name = FullName::from_parts(&req.last_name, &req.first_name, &req.middle_name);
    let found = accounting.find_client_by_passport(&name, &passport).await?.ok_or(Failure::NotFound)?;
    Ok(Json(LookupAnswer { client_id: found.id }))
}

/// The client's card.
#[utoipa::path(get, path = "/v1/clients/{client_id}", tag = "clients",
    params(("client_id" = String, Path, description = "The accounting system's id of the client")),
    responses((status = 200, body = ClientCard, description = "The client's card; `id` equals the path's"), (status = 400, body = ContractError, description = "`bad_request`: a malformed as_of, body or id"), (status = 401, body = ContractError, description = "`unauthorized`: no valid signature"),
        (status = 404, body = ContractError, description = "`not_found`: no such client"), (status = 503, body = ContractError, description = "`unavailable`: accounting cannot answer now; the shim retries reads")))]
async fn client(
    State(accounting): State<DynAccounting>,
    id: Result<Path<String>, PathRejection>,
) -> Answer<ClientCard> {
    let id = path(id)?;
    let c = accounting.client(&id).await?.ok_or(Failure::NotFound)?;
    Ok(Json(ClientCard {
        id: c.id,
        last_name: c.name.last,
        first_name: c.name.first,
        middle_name: c.name.middle,
        phone: c.phone.as_e164().to_owned(),
    }))
}

/// The client's loan applications and contracts, figures as of `as_of`.
#[utoipa::path(get, path = "/v1/clients/{client_id}/loans", tag = "loans",
    params(("client_id" = String, Path, description = "The accounting system's id of the client"), AsOfQuery),
    responses((status = 200, body = LoansView, description = "Applications and contracts; contracts signed after as_of are left out"), (status = 400, body = ContractError, description = "`bad_request`: a malformed as_of, body or id"), (status = 401, body = ContractError, description = "`unauthorized`: no valid signature"),
        (status = 404, body = ContractError, description = "`not_found`: no such client"), (status = 503, body = ContractError, description = "`unavailable`: accounting cannot answer now; the shim retries reads")))]
async fn loans(
    State(accounting): State<DynAccounting>,
    id: Result<Path<String>, PathRejection>,
    q: Result<Query<AsOfQuery>, QueryRejection>,
) -> Answer<LoansView> {
    let (id, day) = (path(id)?, as_of(q)?);
    require_client(&accounting, &id).await?;
    Ok(Json(accounting.loans(&id, day).await?))
}

/// One loan of this client with its schedule and operations.
#[utoipa::path(get, path = "/v1/clients/{client_id}/loans/{loan_id}", tag = "loans",
    params(("client_id" = String, Path, description = "The accounting system's id of the client"),
        ("loan_id" = String, Path, description = "A contract id from the client's loan list"), AsOfQuery),
    responses((status = 200, body = LoanDetail, description = "The loan with its schedule and operations"), (status = 400, body = ContractError, description = "`bad_request`: a malformed as_of, body or id"), (status = 401, body = ContractError, description = "`unauthorized`: no valid signature"),
        (status = 404, body = ContractError, description = "`not_found`: no such loan **of this client** (another client's loan answers the same)"),
        (status = 503, body = ContractError, description = "`unavailable`: accounting cannot answer now; the shim retries reads")))]
async fn loan(
    State(accounting): State<DynAccounting>,
    ids: Result<Path<(String, String)>, PathRejection>,
    q: Result<Query<AsOfQuery>, QueryRejection>,
) -> Answer<LoanDetail> {
    let ((client_id, loan_id), day) = (path(ids)?, as_of(q)?);
    Ok(Json(accounting.loan(&client_id, &loan_id, day).await?.ok_or(Failure::NotFound)?))
}

/// The client's savings applications and contracts.
#[utoipa::path(get, path = "/v1/clients/{client_id}/savings", tag = "savings",
    params(("client_id" = String, Path, description = "The accounting system's id of the client"), AsOfQuery),
    responses((status = 200, body = SavingsView, description = "Applications and contracts; contracts opened after as_of are left out"), (status = 400, body = ContractError, description = "`bad_request`: a malformed as_of, body or id"), (status = 401, body = ContractError, description = "`unauthorized`: no valid signature"),
        (status = 404, body = ContractError, description = "`not_found`: no such client"), (status = 503, body = ContractError, description = "`unavailable`: accounting cannot answer now; the shim retries reads")))]
async fn savings(
    State(accounting): State<DynAccounting>,
    id: Result<Path<String>, PathRejection>,
    q: Result<Query<AsOfQuery>, QueryRejection>,
) -> Answer<SavingsView> {
    let (id, day) = (path(id)?, as_of(q)?);
    require_client(&accounting, &id).await?;
    Ok(Json(accounting.savings(&id, day).await?))
}

/// One savings contract of this client with its interest schedule and operations.
#[utoipa::path(get, path = "/v1/clients/{client_id}/savings/{savings_id}", tag = "savings",
    params(("client_id" = String, Path, description = "The accounting system's id of the client"),
        ("savings_id" = String, Path, description = "A contract id from the client's savings list"), AsOfQuery),
    responses((status = 200, body = SavingsDetail, description = "The contract with its interest schedule and operations"), (status = 400, body = ContractError, description = "`bad_request`: a malformed as_of, body or id"), (status = 401, body = ContractError, description = "`unauthorized`: no valid signature"),
        (status = 404, body = ContractError, description = "`not_found`: no such savings contract **of this client**"),
        (status = 503, body = ContractError, description = "`unavailable`: accounting cannot answer now; the shim retries reads")))]
async fn saving(
    State(accounting): State<DynAccounting>,
    ids: Result<Path<(String, String)>, PathRejection>,
    q: Result<Query<AsOfQuery>, QueryRejection>,
) -> Answer<SavingsDetail> {
    let ((client_id, savings_id), day) = (path(ids)?, as_of(q)?);
    Ok(Json(accounting.saving(&client_id, &savings_id, day).await?.ok_or(Failure::NotFound)?))
}

/// The client's returnable and membership contributions with their operations up to `as_of`.
#[utoipa::path(get, path = "/v1/clients/{client_id}/contributions", tag = "contributions",
    params(("client_id" = String, Path, description = "The accounting system's id of the client"), AsOfQuery),
    responses((status = 200, body = ContributionsView, description = "Both accounts with their operations up to as_of"), (status = 400, body = ContractError, description = "`bad_request`: a malformed as_of, body or id"), (status = 401, body = ContractError, description = "`unauthorized`: no valid signature"),
        (status = 404, body = ContractError, description = "`not_found`: no such client"), (status = 503, body = ContractError, description = "`unavailable`: accounting cannot answer now; the shim retries reads")))]
async fn contributions(
    State(accounting): State<DynAccounting>,
    id: Result<Path<String>, PathRejection>,
    q: Result<Query<AsOfQuery>, QueryRejection>,
) -> Answer<ContributionsView> {
    let (id, day) = (path(id)?, as_of(q)?);
    require_client(&accounting, &id).await?;
    Ok(Json(accounting.contributions(&id, day).await?))
}

fn body<T>(b: Result<Json<T>, JsonRejection>) -> Result<T, Failure> {
    b.map(|Json(v)| v).map_err(|e| Failure::BadRequest(e.body_text()))
}

fn instant(value: &str, what: &str) -> Result<OffsetDateTime, Failure> {
    OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339)
        .map_err(|_| Failure::BadRequest(format!("{what} must be an instant in RFC 3339, e.g. 2026-11-22T09:00:00Z")))
}

/// The write's idempotency key: required, as the accounting side could not otherwise tell a
/// repeat from a new request.
fn idempotency_key(headers: &HeaderMap) -> Result<String, Failure> {
    let key = headers.get(IDEMPOTENCY_KEY_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default().trim();
    if key.is_empty() || key.chars().count() > MAX_KEY_CHARS {
        return Err(Failure::BadRequest(format!("the Idempotency-Key header is required (1 to {MAX_KEY_CHARS} characters)")));
    }
    Ok(key.to_owned())
}

/// The products a client may apply for, with their limits.
#[utoipa::path(get, path = "/v1/products", tag = "applications",
    responses((status = 200, body = ProductsView, description = "Loan and savings products open to applications"),
        (status = 401, body = ContractError, description = "`unauthorized`: no valid signature"),
        (status = 503, body = ContractError, description = "`unavailable`: accounting cannot answer now; the shim retries")))]
async fn products(State(accounting): State<DynAccounting>) -> Answer<ProductsView> {
    Ok(Json(accounting.products().await?))
}

/// What an application would mean if made on `as_of`, by accounting's own rules; refused
/// exactly as the same application would be. Writes nothing.
#[utoipa::path(post, path = "/v1/clients/{client_id}/applications/preview", tag = "applications",
    params(("client_id" = String, Path, description = "The accounting system's id of the client"), AsOfQuery),
    request_body = NewApplication,
    responses((status = 200, body = ApplicationPreview, description = "The preview, of the application's own kind"),
        (status = 400, body = ContractError, description = "`bad_request`: a malformed as_of or body"),
        (status = 401, body = ContractError, description = "`unauthorized`: no valid signature"),
        (status = 404, body = ContractError, description = "`not_found`: no such client, or the contract named is not **this client's**"),
        (status = 422, body = ContractError, description = "`rejected`: refused, `reason` says why (amount_out_of_range, term_out_of_range, invalid_date, …)"),
        (status = 503, body = ContractError, description = "`unavailable`: accounting cannot answer now; the shim retries")))]
async fn preview_application(
    State(accounting): State<DynAccounting>,
    id: Result<Path<String>, PathRejection>,
    q: Result<Query<AsOfQuery>, QueryRejection>,
    b: Result<Json<NewApplication>, JsonRejection>,
) -> Answer<ApplicationPreview> {
    let (id, day, application) = (path(id)?, as_of(q)?, body(b)?);
    require_client(&accounting, &id).await?;
    Ok(Json(accounting.preview_application(&id, &application, day).await?))
}

/// Records an application, once per (client, `Idempotency-Key`): a repeated key answers the
/// application the first request made, and makes nothing.
#[utoipa::path(post, path = "/v1/clients/{client_id}/applications", tag = "applications",
    params(("client_id" = String, Path, description = "The accounting system's id of the client"),
        ("Idempotency-Key" = String, Header, description = "The shim's key for this submission (a UUID); required"),
        AsOfAtQuery),
    request_body = NewApplication,
    responses((status = 201, body = Application, description = "The application made (or made before under this key)"),
        (status = 400, body = ContractError, description = "`bad_request`: no Idempotency-Key, a malformed as_of, at or body"),
        (status = 401, body = ContractError, description = "`unauthorized`: no valid signature"),
        (status = 404, body = ContractError, description = "`not_found`: no such client, or the contract named is not **this client's**"),
        (status = 422, body = ContractError, description = "`rejected`: refused, `reason` says why; nothing was made"),
        (status = 503, body = ContractError, description = "`unavailable`: accounting cannot answer now; the shim repeats the request with the same key")))]
async fn create_application(
    State(accounting): State<DynAccounting>,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    q: Result<Query<AsOfAtQuery>, QueryRejection>,
    b: Result<Json<NewApplication>, JsonRejection>,
) -> Result<(StatusCode, Json<Application>), Failure> {
    let id = path(id)?;
    let key = idempotency_key(&headers)?;
    let Query(q) = q.map_err(|e| Failure::BadRequest(e.body_text()))?;
    let day = as_of(Ok(Query(AsOfQuery { as_of: q.as_of })))?;
    let at = instant(&q.at, "at")?;
    let application = body(b)?;
    require_client(&accounting, &id).await?;
    let made = accounting.create_application(&id, &key, &application, day, at).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// The client's applications of every kind, newest first.
#[utoipa::path(get, path = "/v1/clients/{client_id}/applications", tag = "applications",
    params(("client_id" = String, Path, description = "The accounting system's id of the client")),
    responses((status = 200, body = ApplicationsView, description = "Every application with its status and the organisation's comment"),
        (status = 401, body = ContractError, description = "`unauthorized`: no valid signature"),
        (status = 404, body = ContractError, description = "`not_found`: no such client"),
        (status = 503, body = ContractError, description = "`unavailable`: accounting cannot answer now; the shim retries")))]
async fn applications(
    State(accounting): State<DynAccounting>,
    id: Result<Path<String>, PathRejection>,
) -> Answer<ApplicationsView> {
    let id = path(id)?;
    require_client(&accounting, &id).await?;
    Ok(Json(ApplicationsView { applications: accounting.applications(&id).await? }))
}

/// The client's conversation with the organisation, newest first.
#[utoipa::path(get, path = "/v1/clients/{client_id}/messages", tag = "messages",
    params(("client_id" = String, Path, description = "The accounting system's id of the client")),
    responses((status = 200, body = MessageList, description = "Messages both ways with their files' descriptions"),
        (status = 401, body = ContractError, description = "`unauthorized`: no valid signature"),
        (status = 404, body = ContractError, description = "`not_found`: no such client"),
        (status = 503, body = ContractError, description = "`unavailable`: accounting cannot answer now; the shim retries")))]
async fn messages(
    State(accounting): State<DynAccounting>,
    id: Result<Path<String>, PathRejection>,
) -> Answer<MessageList> {
    let id = path(id)?;
    require_client(&accounting, &id).await?;
    Ok(Json(MessageList { messages: accounting.messages(&id).await? }))
}

/// Records a message from the client with its files, once per (client, `Idempotency-Key`).
/// Each file's bytes must hash to its `sha256`.
#[utoipa::path(post, path = "/v1/clients/{client_id}/messages", tag = "messages",
    params(("client_id" = String, Path, description = "The accounting system's id of the client"),
        ("Idempotency-Key" = String, Header, description = "The shim's key for this message (a UUID); required")),
    request_body = NewMessage,
    responses((status = 201, body = Message, description = "The message stored (or stored before under this key)"),
        (status = 400, body = ContractError, description = "`bad_request`: no Idempotency-Key, a malformed body, bad base64, a sha256 that does not match, more than 5 files or one over 10 MiB"),
        (status = 401, body = ContractError, description = "`unauthorized`: no valid signature"),
        (status = 404, body = ContractError, description = "`not_found`: no such client"),
        (status = 422, body = ContractError, description = "`rejected`: refused, `reason` says why (text_required, text_too_long, …); nothing was stored"),
        (status = 503, body = ContractError, description = "`unavailable`: accounting cannot answer now; the shim repeats the request with the same key")))]
async fn send_message(
    State(accounting): State<DynAccounting>,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    b: Result<Json<NewMessage>, JsonRejection>,
) -> Result<(StatusCode, Json<Message>), Failure> {
    let id = path(id)?;
    let key = idempotency_key(&headers)?;
    let m = body(b)?;
    let at = instant(&m.sent_at, "sent_at")?;
    if m.files.len() > MAX_FILES {
        return Err(Failure::BadRequest(format!("at most {MAX_FILES} files")));
    }
    let mut files = Vec::with_capacity(m.files.len());
    for (n, f) in m.files.into_iter().enumerate() {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&f.content_base64)
            .map_err(|_| Failure::BadRequest(format!("files[{n}].content_base64 is not standard base64")))?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(Failure::BadRequest(format!("files[{n}] is over {MAX_FILE_BYTES} bytes")));
        }
        // What arrived is what the shim sent: a file damaged on the way is not stored.
        let sha256 = hex::encode(Sha256::digest(&bytes));
        if !sha256.eq_ignore_ascii_case(&f.sha256) {
            return Err(Failure::BadRequest(format!("files[{n}].sha256 does not match its bytes")));
        }
        files.push(NewAttachment { file_name: f.file_name, content_type: f.content_type, bytes, sha256 });
    }
    require_client(&accounting, &id).await?;
    let stored = accounting.send_message(&id, &key, &m.text, &files, at).await?;
    Ok((StatusCode::CREATED, Json(stored)))
}

/// One message of this client.
#[utoipa::path(get, path = "/v1/clients/{client_id}/messages/{message_id}", tag = "messages",
    params(("client_id" = String, Path, description = "The accounting system's id of the client"),
        ("message_id" = String, Path, description = "A message id from the client's conversation")),
    responses((status = 200, body = Message, description = "The message; `id` equals the path's"),
        (status = 401, body = ContractError, description = "`unauthorized`: no valid signature"),
        (status = 404, body = ContractError, description = "`not_found`: no such message **of this client**"),
        (status = 503, body = ContractError, description = "`unavailable`: accounting cannot answer now; the shim retries")))]
async fn message(
    State(accounting): State<DynAccounting>,
    ids: Result<Path<(String, String)>, PathRejection>,
) -> Answer<Message> {
    let (client_id, message_id) = path(ids)?;
    Ok(Json(accounting.message(&client_id, &message_id).await?.ok_or(Failure::NotFound)?))
}

/// Marks a message from the organisation read by the client. Naturally idempotent: a repeat
/// changes nothing and answers `newly_read: false`.
#[utoipa::path(post, path = "/v1/clients/{client_id}/messages/{message_id}/read", tag = "messages",
    params(("client_id" = String, Path, description = "The accounting system's id of the client"),
        ("message_id" = String, Path, description = "A message id from the client's conversation"), AtQuery),
    responses((status = 200, body = ReadAnswer, description = "Whether this call marked it"),
        (status = 400, body = ContractError, description = "`bad_request`: a malformed at"),
        (status = 401, body = ContractError, description = "`unauthorized`: no valid signature"),
        (status = 404, body = ContractError, description = "`not_found`: no such message **of this client**"),
        (status = 503, body = ContractError, description = "`unavailable`: accounting cannot answer now; the shim retries")))]
async fn mark_read(
    State(accounting): State<DynAccounting>,
    ids: Result<Path<(String, String)>, PathRejection>,
    q: Result<Query<AtQuery>, QueryRejection>,
) -> Answer<ReadAnswer> {
    let (client_id, message_id) = path(ids)?;
    let Query(q) = q.map_err(|e| Failure::BadRequest(e.body_text()))?;
    let at = instant(&q.at, "at")?;
    // "Not theirs" must answer 404, not `false`: the port's false also means "already read".
    accounting.message(&client_id, &message_id).await?.ok_or(Failure::NotFound)?;
    Ok(Json(ReadAnswer { newly_read: accounting.mark_read(&client_id, &message_id, at).await? }))
}

/// One file of one of this client's messages: the body is the file's bytes, its description
/// is in the `X-Kabinet-*` headers.
#[utoipa::path(get, path = "/v1/clients/{client_id}/messages/{message_id}/attachments/{attachment_id}", tag = "messages",
    params(("client_id" = String, Path, description = "The accounting system's id of the client"),
        ("message_id" = String, Path, description = "A message id from the client's conversation"),
        ("attachment_id" = String, Path, description = "An attachment id of that message")),
    responses((status = 200, content(("application/octet-stream")),
            description = "The stored bytes exactly (at most 10 MiB)",
            headers(
                ("X-Kabinet-Attachment-Id" = String, description = "The attachment's id, percent-encoded UTF-8; equals the path's"),
                ("X-Kabinet-File-Name" = String, description = "The name to show and save under, percent-encoded UTF-8"),
                ("X-Kabinet-Content-Type" = String, description = "image/jpeg, image/png or application/pdf"),
                ("X-Kabinet-Sha256" = String, description = "Lower-case hex SHA-256 of the body"))),
        (status = 401, body = ContractError, description = "`unauthorized`: no valid signature"),
        (status = 404, body = ContractError, description = "`not_found`: no such file of this message **of this client**"),
        (status = 503, body = ContractError, description = "`unavailable`: accounting cannot answer now; the shim retries")))]
async fn attachment(
    State(accounting): State<DynAccounting>,
    ids: Result<Path<(String, String, String)>, PathRejection>,
) -> Result<Response, Failure> {
    let (client_id, message_id, attachment_id) = path(ids)?;
    let file = accounting.attachment(&client_id, &message_id, &attachment_id).await?.ok_or(Failure::NotFound)?;
    let encoded = |s: &str| {
        let e: String = url::form_urlencoded::byte_serialize(s.as_bytes()).collect();
        HeaderValue::from_str(&e).map_err(|_| Failure::Unavailable("an unencodable header".into()))
    };
    let mut res = file.bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    h.insert(attachment_headers::ID, encoded(&file.info.id)?);
    h.insert(attachment_headers::FILE_NAME, encoded(&file.info.file_name)?);
    h.insert(attachment_headers::CONTENT_TYPE, HeaderValue::from_static(file.info.content_type.mime()));
    h.insert(attachment_headers::SHA256, encoded(&file.info.sha256)?);
    Ok(res)
}

/// The sizes of every file the client has sent, summed: the shim keeps each client under its
/// limit (100 MiB) with it.
#[utoipa::path(get, path = "/v1/clients/{client_id}/upload-bytes", tag = "messages",
    params(("client_id" = String, Path, description = "The accounting system's id of the client")),
    responses((status = 200, body = UploadBytes, description = "Bytes of every file the client has sent"),
        (status = 401, body = ContractError, description = "`unauthorized`: no valid signature"),
        (status = 404, body = ContractError, description = "`not_found`: no such client"),
        (status = 503, body = ContractError, description = "`unavailable`: accounting cannot answer now; the shim retries")))]
async fn upload_bytes(
    State(accounting): State<DynAccounting>,
    id: Result<Path<String>, PathRejection>,
) -> Answer<UploadBytes> {
    let id = path(id)?;
    require_client(&accounting, &id).await?;
    Ok(Json(UploadBytes { bytes: accounting.upload_bytes(&id).await? }))
}

/// What a card payment made on `as_of` would be, by accounting's own rules: accounting computes
/// the amount (the next installment with anything overdue, or what is overdue) or checks the
/// one the client chose (a custom amount, a top-up), and says how it would apply it. Refused
/// exactly as the payment would be. Writes nothing.
#[utoipa::path(post, path = "/v1/clients/{client_id}/payments/quote", tag = "payments",
    params(("client_id" = String, Path, description = "The accounting system's id of the client"), AsOfQuery),
    request_body = PaymentRequest,
    responses((status = 200, body = PaymentPreview, description = "The amount to charge and its split; `contract_id` and `purpose` equal the request's, and so does `amount` when the request names one"),
        (status = 400, body = ContractError, description = "`bad_request`: a malformed as_of or body"),
        (status = 401, body = ContractError, description = "`unauthorized`: no valid signature"),
        (status = 404, body = ContractError, description = "`not_found`: no such client, or the contract is not **this client's** (a top-up names a savings contract, every other purpose a loan)"),
        (status = 422, body = ContractError, description = "`rejected`: refused, `reason` says why (contract_closed, nothing_to_pay, top_up_not_allowed, amount_out_of_range, amount_above_payoff)"),
        (status = 503, body = ContractError, description = "`unavailable`: accounting cannot answer now; the shim retries")))]
async fn quote_payment(
    State(accounting): State<DynAccounting>,
    id: Result<Path<String>, PathRejection>,
    q: Result<Query<AsOfQuery>, QueryRejection>,
    b: Result<Json<PaymentRequest>, JsonRejection>,
) -> Answer<PaymentPreview> {
    let (id, day, request) = (path(id)?, as_of(q)?, body(b)?);
    require_client(&accounting, &id).await?;
    Ok(Json(accounting.quote_payment(&id, &request, day).await?.ok_or(Failure::NotFound)?))
}

/// Posts a card payment the bank has confirmed, once per `payment_id`: a repeat of a posted
/// payment writes nothing and answers `duplicate: true` with the first posting's reference.
#[utoipa::path(post, path = "/v1/clients/{client_id}/payments/postings", tag = "payments",
    params(("client_id" = String, Path, description = "The accounting system's id of the client")),
    request_body = CardPosting,
    responses((status = 201, body = PostingReceipt, description = "Posted now (`duplicate: false`)"),
        (status = 200, body = PostingReceipt, description = "Posted before under this payment_id (`duplicate: true`); nothing was written"),
        (status = 400, body = ContractError, description = "`bad_request`: a malformed body, paid_on or payment_id, or a purpose that does not fit the contract kind"),
        (status = 401, body = ContractError, description = "`unauthorized`: no valid signature"),
        (status = 404, body = ContractError, description = "`not_found`: no such client, or the contract is not **this client's**"),
        (status = 422, body = ContractError, description = "`rejected`: refused, `reason` says why (contract_closed, amount_out_of_range, …); nothing was written"),
        (status = 503, body = ContractError, description = "`unavailable`: accounting cannot answer now; the shim repeats the same posting")))]
async fn post_payment(
    State(accounting): State<DynAccounting>,
    id: Result<Path<String>, PathRejection>,
    b: Result<Json<CardPosting>, JsonRejection>,
) -> Result<(StatusCode, Json<PostingReceipt>), Failure> {
    let (id, posting) = (path(id)?, body(b)?);
    // The payment id is this write's idempotency key: held to the same rule as the header.
    let payment_id = posting.payment_id.as_str();
    if payment_id.trim().is_empty() || payment_id.trim() != payment_id || payment_id.chars().count() > MAX_KEY_CHARS {
        return Err(Failure::BadRequest(format!(
            "payment_id is required (1 to {MAX_KEY_CHARS} characters, no surrounding spaces)"
        )));
    }
    // A malformed day is the sender's error, as with as_of, not a refusal the client could act on.
    day(&posting.paid_on, "paid_on")?;
    let fits = match posting.contract_kind {
        PaymentContractKind::Savings => posting.purpose == PaymentPurpose::TopUp,
        PaymentContractKind::Loan => posting.purpose != PaymentPurpose::TopUp,
    };
    if !fits {
        return Err(Failure::BadRequest("a top-up goes to savings, every other purpose to a loan".into()));
    }
    require_client(&accounting, &id).await?;
    let receipt = accounting.post_payment(&id, &posting).await?;
    let status = if receipt.duplicate { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(receipt)))
}
