//! The router: API routes (documented in OpenAPI as they are added), /embed, static widget
//! files, and the middleware every answer passes through.

pub mod client_ip;
pub mod embed;
pub mod error;
pub mod guard;
pub mod idempotency;
pub mod json;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use kabinet_api::{ApiError, ErrorCode, Health};
use tower::ServiceBuilder;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::accounting::DynAccounting;
use crate::audit::Journal;
use crate::auth::Auth;
use crate::gateways::acquiring::simulator::AcquiringSimulator;
use crate::gateways::acquiring::DynAcquirer;
use crate::gateways::esia::client::EsiaClient;
use crate::gateways::esia::simulator::EsiaSimulator;
use crate::gateways::sms::simulator::SmsSimulator;
use crate::payments::Payments;
use crate::signing::Signing;
use crate::gateways::sms::DynSmsSender;
use crate::clock::Clock;
use crate::config::Config;
use crate::org::Organisations;
use crate::storage::Store;
use error::{error_response, AppError, ErrorMarker};

pub use client_ip::ClientIp;

/// Everything a handler may reach, cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    config: Config,
    orgs: Organisations,
    store: Store,
    journal: Journal,
    clock: Arc<dyn Clock>,
    auth: Arc<Auth>,
    accounting: DynAccounting,
    sms_simulator: Option<SmsSimulator>,
    payments: Arc<Payments>,
    signing: Arc<Signing>,
    acquiring_simulator: Option<AcquiringSimulator>,
    esia_simulator: Option<EsiaSimulator>,
}

/// The outside systems' adapters, and their simulators in demo and test modes.
pub struct Gateways {
    pub sms: DynSmsSender,
    pub sms_simulator: Option<SmsSimulator>,
    pub acquirer: DynAcquirer,
    pub acquiring_simulator: Option<AcquiringSimulator>,
    pub esia: Option<EsiaClient>,
    pub esia_simulator: Option<EsiaSimulator>,
}

impl AppState {
    pub fn new(config: Config, store: Store, clock: Arc<dyn Clock>, accounting: DynAccounting, gateways: Gateways) -> Self {
        let Gateways { sms, sms_simulator, acquirer, acquiring_simulator, esia, esia_simulator } = gateways;
        let orgs = Organisations::single(config.org.clone());
        let journal = Journal::new(store.clone(), clock.clone());
        let auth = Arc::new(Auth::new(&config, store.clone(), journal.clone(), accounting.clone(), sms, esia, clock.clone()));
        let payments = Arc::new(Payments::new(
            store.clone(),
            journal.clone(),
            accounting.clone(),
            acquirer,
            clock.clone(),
            config.payments.clone(),
            orgs.lookup().division.clone(),
            config.mode,
        ));
        let signing = Arc::new(Signing::new(
            store.clone(),
            journal.clone(),
            clock.clone(),
            orgs.lookup().clone(),
            &config.public_url,
        )
        .with_failpoint(crate::failpoint::Failpoint::from_env(config.mode)));
        AppState(Arc::new(Inner {
            config,
            orgs,
            store,
            journal,
            clock,
            auth,
            accounting,
            sms_simulator,
            payments,
            signing,
            acquiring_simulator,
            esia_simulator,
        }))
    }

    /// Card payments: starting, confirming, posting.
    pub fn payments(&self) -> &Arc<Payments> {
        &self.0.payments
    }

    /// Documents for signature with a simple electronic signature.
    pub fn signing(&self) -> &Arc<Signing> {
        &self.0.signing
    }

    /// The acquiring simulator, in demo and test modes with `payments.gateway = "simulator"`.
    pub fn acquiring_simulator(&self) -> Option<&AcquiringSimulator> {
        self.0.acquiring_simulator.as_ref()
    }

    pub fn auth(&self) -> &Arc<Auth> {
        &self.0.auth
    }

    /// The organisation's accounting system (the built-in ledger or the HTTP contract).
    pub fn accounting(&self) -> &DynAccounting {
        &self.0.accounting
    }

    /// The instant now, from the injectable clock.
    pub fn now(&self) -> time::OffsetDateTime {
        self.0.clock.now()
    }

    /// Now, as Unix seconds, from the injectable clock.
    pub fn now_secs(&self) -> i64 {
        self.0.clock.now().unix_timestamp()
    }

    /// The SMS simulator, in demo and test modes only.
    pub fn sms_simulator(&self) -> Option<&SmsSimulator> {
        self.0.sms_simulator.as_ref()
    }

    pub fn config(&self) -> &Config {
        &self.0.config
    }

    pub fn orgs(&self) -> &Organisations {
        &self.0.orgs
    }

    /// The simulated ESIA, in demo and test modes with `esia.gateway = "simulator"`.
    pub fn esia_simulator(&self) -> Option<&EsiaSimulator> {
        self.0.esia_simulator.as_ref()
    }

    pub fn store(&self) -> &Store {
        &self.0.store
    }

    pub fn journal(&self) -> &Journal {
        &self.0.journal
    }
}

#[derive(OpenApi)]
#[openapi(info(
    title = "kabinet shim API",
    description = "The API the kabinet widget calls. Errors are JSON `ApiError` with a stable `code`."
))]
struct ApiDoc;

/// All documented routes; the OpenAPI document is produced from this same list, so the two
/// cannot drift apart.
pub fn documented_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(healthz))
        .routes(routes!(embed::embed_page))
        .merge(crate::cabinet::routes())
        .merge(crate::requests::routes())
        .merge(crate::payments::routes::routes())
        .merge(crate::signing::routes::routes())
        .merge(crate::auth::routes::routes())
}

/// The OpenAPI document of this build.
pub fn openapi() -> utoipa::openapi::OpenApi {
    documented_routes().into_openapi()
}

pub fn router(state: AppState) -> Router {
    let (documented, doc) = documented_routes().split_for_parts();
    let doc = Arc::new(doc);
    let pkg_dir = state.config().pkg_dir.clone();
    let origins: Vec<HeaderValue> = state
        .config()
        .org
        .allowed_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();

    let static_files = ServeDir::new(pkg_dir)
        .precompressed_br()
        .precompressed_gzip()
        .not_found_service(get(not_found).post(not_found));

    // The SMS simulator's inspection and scripting routes exist only in demo and test modes.
    let mut app = Router::new();
    if let Some(sim) = state.sms_simulator() {
        app = app.nest_service("/__sim/sms", sim.router());
    }
    // The simulated bank's payment pages, which the browser opens at the shim's origin.
    if let Some(sim) = state.acquiring_simulator() {
        app = app.nest_service(crate::gateways::acquiring::simulator::MOUNT, sim.router());
    }
    // The simulated ESIA's login page, which the browser opens at the shim's origin.
    if let Some(sim) = state.esia_simulator() {
        app = app.nest_service(crate::gateways::esia::simulator::MOUNT, sim.router());
    }

    app.merge(documented)
        .merge(crate::documents::verify::routes())
        .merge(crate::payments::callback::routes())
        .route("/openapi.json", get(move || async move { Json(doc.as_ref().clone()) }))
        .route("/api/{*rest}", axum::routing::any(not_found))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback_service(
            ServiceBuilder::new()
                // The loader and widget are not versioned yet: always revalidate.
                .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-cache")))
                .service(static_files),
        )
        // Sign-in bodies are a few hundred bytes; nothing on the API needs more than this yet.
        .layer(DefaultBodyLimit::max(64 * 1024))
        .layer(middleware::from_fn_with_state(state.clone(), guard::api_guard))
        .layer(middleware::from_fn(api_no_store))
        .layer(
            CorsLayer::new()
                // Exact-match list: never `*`, never `null`, never a suffix match.
                .allow_origin(AllowOrigin::list(origins))
                .allow_credentials(true)
                .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
                .allow_headers([
                    header::CONTENT_TYPE,
                    HeaderName::from_static(kabinet_api::MODE_HEADER),
                    HeaderName::from_static("idempotency-key"),
                ])
                .expose_headers([HeaderName::from_static("x-request-id"), header::RETRY_AFTER, header::CONTENT_DISPOSITION])
                .max_age(Duration::from_secs(7200)),
        )
        .layer(middleware::from_fn(no_credentials_without_grant))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        // A last resort (A35): a bug that panics in a handler answers an opaque 500 with the
        // stable code and the request id, and is logged, instead of a dropped connection.
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_: Box<dyn std::any::Any + Send>| {
            tracing::error!("a handler panicked");
            error_response(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal)
        }))
        .layer(middleware::from_fn(error_body_request_id))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
        }))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// API answers are personal: never stored by browsers or proxies.
async fn api_no_store(req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with(kabinet_api::API_PREFIX);
    let mut res = next.run(req).await;
    if is_api {
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// tower-http sends `Allow-Credentials: true` to every origin; say nothing at all to an origin
/// that got no grant, so no reader could mistake it for one.
async fn no_credentials_without_grant(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    if !res.headers().contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN) {
        res.headers_mut().remove(header::ACCESS_CONTROL_ALLOW_CREDENTIALS);
    }
    res
}

/// Puts the request id into error bodies, so a person can quote it to support.
async fn error_body_request_id(req: Request, next: Next) -> Response {
    let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let res = next.run(req).await;
    let Some(ErrorMarker { code, retry_after_secs, file }) = res.extensions().get::<ErrorMarker>().cloned() else {
        return res;
    };
    let (mut parts, _) = res.into_parts();
    let body = ApiError { code, message: code.message_ru().to_owned(), request_id: id, retry_after_secs, file };
    let bytes = serde_json::to_vec(&body).expect("error body serialises");
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(bytes))
}

async fn not_found() -> Response {
    error_response(StatusCode::NOT_FOUND, ErrorCode::NotFound)
}

async fn method_not_allowed() -> Response {
    error_response(StatusCode::METHOD_NOT_ALLOWED, ErrorCode::MethodNotAllowed)
}

/// Liveness and readiness: answers 200 only while the database answers.
#[utoipa::path(get, path = "/healthz", tag = "service",
    responses((status = 200, body = Health), (status = 503, body = ApiError)))]
async fn healthz(State(state): State<AppState>) -> Result<impl IntoResponse, AppError> {
    state.store().ping().await?;
    Ok(Json(Health { status: "ok".into(), version: env!("CARGO_PKG_VERSION").into() }))
}
