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
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use kabinet_api::cabinet::{ContributionsView, LoanDetail, LoansView, SavingsDetail, SavingsView};
use kabinet_api::Phone;
use secrecy::{ExposeSecret, SecretString};
use time::Date;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityRequirement, SecurityScheme};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::signature::{self, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use super::{tls, AsOfQuery, ClientCard, ContractError, ContractErrorCode, LookupAnswer, LookupRequest};
use crate::accounting::{AccountingError, DynAccounting, FullName};
use crate::config::AccountingConfig;

/// Requests are a few hundred bytes; the limit also bounds what an unsigned request can make
/// the server read before it is refused.
const BODY_LIMIT: usize = 64 * 1024;

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
        version = "1.0.0",
        description = "What an accounting system implements so the kabinet shim can use it as the system of record. \
            Every call is about one client whose id is in the path; an object of another client answers 404 `not_found`, \
            exactly like one that does not exist. Nothing lists clients. Authentication: mutual TLS (a client certificate \
            from the CA agreed with the organisation) and/or the `X-Kabinet-Signature` HMAC header. Errors are \
            `ContractError` JSON. See docs/accounting-contract.md."
    ),
    modifiers(&SecuritySchemes),
    tags(
        (name = "clients", description = "Finding a client at sign-in and reading their card"),
        (name = "loans", description = "Loan applications and contracts with schedules and operations"),
        (name = "savings", description = "Savings applications and contracts"),
        (name = "contributions", description = "Returnable (паевой) and membership (членский) contributions")
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
        .routes(routes!(client))
        .routes(routes!(loans))
        .routes(routes!(loan))
        .routes(routes!(savings))
        .routes(routes!(saving))
        .routes(routes!(contributions))
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
    let Ok(bytes) = to_bytes(body, BODY_LIMIT).await else {
        return unauthorized("the body is unreadable or too large");
    };
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let target = parts.uri.path_and_query().map(|pq| pq.as_str()).unwrap_or("/");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
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
    Unavailable(String),
}

impl From<AccountingError> for Failure {
    fn from(e: AccountingError) -> Self {
        match e {
            AccountingError::Unavailable(m) => Failure::Unavailable(m),
            AccountingError::Refused(kabinet_api::ErrorCode::NotFound) => Failure::NotFound,
            AccountingError::Refused(code) => Failure::BadRequest(format!("refused: {code:?}")),
        }
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            Failure::BadRequest(m) => (StatusCode::BAD_REQUEST, ContractError::new(ContractErrorCode::BadRequest, m)),
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
    Date::parse(&q.as_of, time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|_| Failure::BadRequest("as_of must be a day as YYYY-MM-DD".into()))
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
