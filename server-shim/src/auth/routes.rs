//! HTTP for sign-in: extract, parse, call the flow in `auth`, answer. Documented in OpenAPI.

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use axum::Json;
use kabinet_api::auth::*;
use kabinet_api::esia::{EsiaAvailability, EsiaLinkRequest, EsiaOutcome, EsiaStart, EsiaStarted};
use kabinet_api::{ApiError, ErrorCode};
use secrecy::SecretString;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::session::{token_from, CurrentSession};
use super::{consent, esia, Caller, SignedIn};
use crate::http::error::AppError;
use crate::http::json::ApiJson;
use crate::http::{AppState, ClientIp};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_consent))
        .routes(routes!(register))
        .routes(routes!(register_confirm))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(session))
        .routes(routes!(reset))
        .routes(routes!(reset_confirm))
        .routes(routes!(change_password))
        .routes(routes!(change_phone))
        .routes(routes!(change_phone_confirm))
        .routes(routes!(esia_available))
        .routes(routes!(esia_start))
        .routes(routes!(esia_callback))
        .routes(routes!(esia_outcome))
        .routes(routes!(esia_link))
}

fn caller(ip: std::net::IpAddr, headers: &HeaderMap) -> Caller {
    let ua = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    Caller { ip, user_agent: ua.chars().take(300).collect() }
}

fn signed_in(state: &AppState, s: SignedIn) -> Response {
    let cookie = state.auth().sessions.cookie(&s.session.token);
    ([(header::SET_COOKIE, cookie)], Json(s.info)).into_response()
}

fn secret(s: String) -> SecretString {
    SecretString::from(s)
}

/// The current consent document; its version goes back with the registration.
#[utoipa::path(get, path = "/api/v1/auth/consent", tag = "auth", responses((status = 200, body = ConsentDocument)))]
async fn get_consent(State(state): State<AppState>) -> Json<ConsentDocument> {
    Json(consent::document(state.orgs().lookup()))
}

/// Registration, step 1. The answer is the same whether or not the name and phone belong to a
/// client; only a client gets the SMS.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = RegisterRequest,
    responses((status = 202, body = CodeSent), (status = 422, body = ApiError), (status = 429, body = ApiError),
              (status = 503, body = ApiError)))]
async fn register(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(req): ApiJson<RegisterRequest>,
) -> Result<(StatusCode, Json<CodeSent>), AppError> {
    let sent = state
        .auth()
        .register(&req.full_name, &req.phone, secret(req.password), &req.consent_version, &caller(ip, &headers), state.now_secs())
        .await?;
    Ok((StatusCode::ACCEPTED, Json(sent)))
}

/// Registration, step 2: the SMS code. Creates the account and signs in.
#[utoipa::path(post, path = "/api/v1/auth/register/confirm", tag = "auth", request_body = ConfirmRequest,
    responses((status = 200, body = SessionInfo), (status = 422, body = ApiError)))]
async fn register_confirm(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(req): ApiJson<ConfirmRequest>,
) -> Result<Response, AppError> {
    let old = token_from(&headers);
    let s = state
        .auth()
        .register_confirm(&req.phone, &req.code, secret(req.password), &caller(ip, &headers), old.as_deref(), state.now_secs())
        .await?;
    Ok(signed_in(&state, s))
}

/// Login by phone and password. Wrong password, unknown phone and a locked account all get
/// `invalid_credentials`; after repeated failures `rate_limited` with `Retry-After`.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = SessionInfo), (status = 401, body = ApiError), (status = 429, body = ApiError)))]
async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Response, AppError> {
    let old = token_from(&headers);
    let s = state.auth().login(&req.phone, secret(req.password), &caller(ip, &headers), old.as_deref(), state.now_secs()).await?;
    Ok(signed_in(&state, s))
}

/// Ends the session on the server and drops the cookie.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204), (status = 401, body = ApiError)))]
async fn logout(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    CurrentSession(session): CurrentSession,
) -> Result<Response, AppError> {
    state.auth().logout(&session, &caller(ip, &headers), state.now_secs()).await?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, state.auth().sessions.clear_cookie())]).into_response())
}

/// Who is signed in.
#[utoipa::path(get, path = "/api/v1/auth/session", tag = "auth",
    responses((status = 200, body = SessionInfo), (status = 401, body = ApiError)))]
async fn session(State(state): State<AppState>, CurrentSession(session): CurrentSession) -> Result<Json<SessionInfo>, AppError> {
    Ok(Json(state.auth().session_info(&session).await?))
}

/// Password reset, step 1: a code to the phone if it has a cabinet; the same answer if not.
#[utoipa::path(post, path = "/api/v1/auth/reset", tag = "auth", request_body = ResetRequest,
    responses((status = 202, body = CodeSent), (status = 422, body = ApiError), (status = 429, body = ApiError)))]
async fn reset(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(req): ApiJson<ResetRequest>,
) -> Result<(StatusCode, Json<CodeSent>), AppError> {
    let sent = state.auth().reset(&req.phone, &caller(ip, &headers), state.now_secs()).await?;
    Ok((StatusCode::ACCEPTED, Json(sent)))
}

/// Password reset, step 2: the code and the new password. Ends every session; does not sign in.
#[utoipa::path(post, path = "/api/v1/auth/reset/confirm", tag = "auth", request_body = ResetConfirmRequest,
    responses((status = 204), (status = 422, body = ApiError)))]
async fn reset_confirm(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(req): ApiJson<ResetConfirmRequest>,
) -> Result<StatusCode, AppError> {
    state
        .auth()
        .reset_confirm(&req.phone, &req.code, secret(req.new_password), &caller(ip, &headers), state.now_secs())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Changes the password; the current one is required. Other sessions end.
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth", request_body = ChangePasswordRequest,
    responses((status = 204), (status = 401, body = ApiError), (status = 422, body = ApiError)))]
async fn change_password(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    CurrentSession(session): CurrentSession,
    ApiJson(req): ApiJson<ChangePasswordRequest>,
) -> Result<StatusCode, AppError> {
    state
        .auth()
        .change_password(&session, secret(req.current_password), secret(req.new_password), &caller(ip, &headers), state.now_secs())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Phone change, step 1: the password, then codes to the old and the new number.
#[utoipa::path(post, path = "/api/v1/auth/phone", tag = "auth", request_body = ChangePhoneRequest,
    responses((status = 202, body = CodeSent), (status = 401, body = ApiError), (status = 409, body = ApiError),
              (status = 422, body = ApiError), (status = 429, body = ApiError)))]
async fn change_phone(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    CurrentSession(session): CurrentSession,
    ApiJson(req): ApiJson<ChangePhoneRequest>,
) -> Result<(StatusCode, Json<CodeSent>), AppError> {
    let sent = state
        .auth()
        .change_phone(&session, &req.new_phone, secret(req.password), &caller(ip, &headers), state.now_secs())
        .await?;
    Ok((StatusCode::ACCEPTED, Json(sent)))
}

/// Phone change, step 2: both codes. Every session ends; a new one is set for this browser.
#[utoipa::path(post, path = "/api/v1/auth/phone/confirm", tag = "auth", request_body = ChangePhoneConfirmRequest,
    responses((status = 200, body = SessionInfo), (status = 401, body = ApiError), (status = 422, body = ApiError)))]
async fn change_phone_confirm(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    CurrentSession(session): CurrentSession,
    ApiJson(req): ApiJson<ChangePhoneConfirmRequest>,
) -> Result<Response, AppError> {
    let s = state
        .auth()
        .change_phone_confirm(&session, &req.new_phone, &req.code_old, &req.code_new, &caller(ip, &headers), state.now_secs())
        .await?;
    Ok(signed_in(&state, s))
}

// ---- sign-in through ESIA (Госуслуги) ----

fn flow_token(headers: &HeaderMap) -> Option<String> {
    super::session::token_cookie(headers, esia::FLOW_COOKIE)
}

/// Whether the «Войти через Госуслуги» button is shown.
#[utoipa::path(get, path = "/api/v1/auth/esia", tag = "auth", responses((status = 200, body = EsiaAvailability)))]
async fn esia_available(State(state): State<AppState>) -> Json<EsiaAvailability> {
    Json(EsiaAvailability { enabled: state.auth().esia_enabled() })
}

/// Starts a sign-in through ESIA: answers ESIA's login page, to be opened as the top-level
/// page, and sets the flow cookie that binds the trip to this browser.
#[utoipa::path(post, path = "/api/v1/auth/esia/start", tag = "auth", request_body = EsiaStart,
    responses((status = 200, body = EsiaStarted), (status = 422, body = ApiError), (status = 429, body = ApiError),
              (status = 503, body = ApiError)))]
async fn esia_start(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(req): ApiJson<EsiaStart>,
) -> Result<Response, AppError> {
    let back = crate::payments::routes::return_url(&state, &req.return_to)?;
    let (url, token) = state.auth().esia_start(&back, &caller(ip, &headers), state.now_secs()).await?;
    Ok(([(header::SET_COOKIE, state.auth().esia_flow_cookie(&token))], Json(EsiaStarted { url })).into_response())
}

/// ESIA sends the browser here (the registered `redirect_uri`) with `code` and `state`, or
/// `error`. The answer is taken once; the browser goes back to the page it came from.
#[utoipa::path(get, path = "/api/v1/auth/esia/callback", tag = "auth",
    params(("code" = Option<String>, Query), ("state" = Option<String>, Query), ("error" = Option<String>, Query),
           ("error_description" = Option<String>, Query)),
    responses((status = 303, description = "Back to the company page with kabinet_esia=1"),
              (status = 400, description = "An HTML page: the answer names no trip of this browser")))]
async fn esia_callback(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Query(q): Query<esia::CallbackQuery>,
) -> Result<Response, AppError> {
    let token = flow_token(&headers);
    match state.auth().esia_callback(q, token.as_deref(), &caller(ip, &headers), state.now_secs()).await? {
        esia::CallbackEnd::Return(url) => Ok(Redirect::to(&url).into_response()),
        esia::CallbackEnd::Page(code) => Ok(esia_page(&state, code)),
    }
}

/// Signed in through ESIA: the session cookie set, the trip's cookie dropped, `body` answered.
fn esia_signed_in(state: &AppState, session: super::session::NewSession, body: impl serde::Serialize) -> Response {
    let auth = state.auth();
    let clear = header::HeaderValue::from_str(&auth.esia_clear_cookie()).expect("static cookie");
    (AppendHeaders([(header::SET_COOKIE, auth.sessions.cookie(&session.token)), (header::SET_COOKIE, clear)]), Json(body)).into_response()
}

/// A page of the shim's own for an answer that cannot go back to any company page.
fn esia_page(state: &AppState, code: ErrorCode) -> Response {
    let org = state.orgs().lookup();
    let site = org.allowed_origins.first().cloned().unwrap_or_default();
    let esc = crate::http::embed::html_escape;
    let html = format!(
        "<!doctype html><html lang=\"ru\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Вход через Госуслуги</title><style>body{{font:18px/1.5 system-ui,sans-serif;margin:0;padding:24px;color:#1b1b1b}}\
         main{{max-width:36rem;margin:0 auto}}a{{color:#0b5cad}}</style></head><body><main><h1>Вход через Госуслуги не выполнен</h1>\
         <p role=\"alert\">{}</p><p><a href=\"{}\">Вернуться на сайт {}</a></p></main></body></html>",
        esc(code.message_ru()),
        esc(&site),
        esc(&org.name)
    );
    (StatusCode::BAD_REQUEST, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

/// How this browser's trip to ESIA ended. A linked client is signed in (the session cookie is
/// set); a client found in accounting but not linked is asked to confirm; an unknown person
/// is told what to do. Failures come as errors with their codes.
#[utoipa::path(post, path = "/api/v1/auth/esia/outcome", tag = "auth",
    responses((status = 200, body = EsiaOutcome), (status = 409, body = ApiError), (status = 503, body = ApiError)))]
async fn esia_outcome(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let token = flow_token(&headers);
    let old = token_from(&headers);
    let auth = state.auth();
    let result = auth.esia_outcome(token.as_deref(), &caller(ip, &headers), old.as_deref(), state.now_secs()).await;
    match result {
        Ok(esia::Outcome::SignedIn(s)) => Ok(esia_signed_in(&state, s.session, EsiaOutcome::SignedIn { session: s.info })),
        Ok(esia::Outcome::Show(outcome)) => Ok(Json(outcome).into_response()),
        Err(e) => Err(e),
    }
}

/// The client confirms the link of the cabinet to the ESIA identity (with the cabinet's
/// password when it has one) and is signed in.
#[utoipa::path(post, path = "/api/v1/auth/esia/link", tag = "auth", request_body = EsiaLinkRequest,
    responses((status = 200, body = SessionInfo), (status = 409, body = ApiError), (status = 422, body = ApiError),
              (status = 429, body = ApiError)))]
async fn esia_link(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(req): ApiJson<EsiaLinkRequest>,
) -> Result<Response, AppError> {
    let token = flow_token(&headers);
    let old = token_from(&headers);
    let auth = state.auth();
    let s = auth
        .esia_link(
            token.as_deref(),
            req.password.map(secret),
            req.consent_version.as_deref(),
            &caller(ip, &headers),
            old.as_deref(),
            state.now_secs(),
        )
        .await?;
    Ok(esia_signed_in(&state, s.session, s.info))
}
