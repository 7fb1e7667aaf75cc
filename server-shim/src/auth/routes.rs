//! HTTP for sign-in: extract, parse, call the flow in `auth`, answer. Documented in OpenAPI.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use kabinet_api::auth::*;
use kabinet_api::ApiError;
use secrecy::SecretString;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::session::{token_from, CurrentSession};
use super::{consent, Caller, SignedIn};
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
