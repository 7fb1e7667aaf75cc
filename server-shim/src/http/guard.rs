//! Gate in front of every API route: forwarding headers only from configured proxies, and
//! state changes only as JSON from an allowed Origin (CSRF).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kabinet_api::ErrorCode;

use super::error::AppError;
use super::AppState;

const FORWARDING_HEADERS: [&str; 3] = ["x-forwarded-for", "forwarded", "x-real-ip"];

/// The one route that takes multipart: a message with files.
const MULTIPART_PATH: &str = "/api/v1/messages";

pub async fn api_guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with(kabinet_api::API_PREFIX) {
        return next.run(req).await;
    }
    match check(&state, &req) {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

fn check(state: &AppState, req: &Request) -> Result<(), AppError> {
    let config = state.config();
    // A client that writes its own X-Forwarded-For is either misconfigured or lying about its
    // address to dodge the per-IP limits; either way it is told, not silently believed.
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let forwarded = FORWARDING_HEADERS.iter().any(|h| req.headers().contains_key(*h));
    if forwarded {
        let trusted = peer.is_some_and(|ip| config.trusted_proxies.iter().any(|n| n.contains(&ip)));
        if !trusted {
            return Err(ErrorCode::UntrustedForwarding.into());
        }
    }
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    // CSRF: browsers always send Origin on cross-origin and on POST requests; only the shim's
    // own pages (frame mode) and the organisation's pages (inline mode) may change state.
    let origin = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let allowed = origin.is_some_and(|o| o == config.public_url || state.orgs().lookup().allows_origin(o));
    if !allowed {
        return Err(ErrorCode::ForbiddenOrigin.into());
    }
    // A form can be posted cross-site without a preflight; JSON cannot. Only JSON is accepted,
    // and multipart for a message with files, which must then carry the Idempotency-Key: a
    // custom header no cross-site form can set, so it too needs the CORS preflight.
    let media = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase());
    match media.as_deref() {
        Some("application/json") => Ok(()),
        Some("multipart/form-data")
            if req.uri().path() == MULTIPART_PATH
                && req.headers().contains_key(kabinet_api::requests::IDEMPOTENCY_HEADER) =>
        {
            Ok(())
        }
        _ => Err(ErrorCode::UnsupportedMediaType.into()),
    }
}
