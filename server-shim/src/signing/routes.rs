//! Documents for signature over HTTP: the list, one document, its PDF as sent, the agreement
//! and its acceptance, the signing code and the signature, and the stamped copy.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use kabinet_api::signing::{AcceptAgreement, Agreement, SignWithCode, SignatureDocument, SignaturesView, SigningCodeSent};
use kabinet_api::ApiError;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::service::{RequestRow, Signer};
use crate::auth::session::CurrentSession;
use crate::cabinet::info::Reader;
use crate::http::error::AppError;
use crate::http::json::ApiJson;
use crate::http::{AppState, ClientIp};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(agreement, accept))
        .routes(routes!(one))
        .routes(routes!(original))
        .routes(routes!(send_code))
        .routes(routes!(sign))
        .routes(routes!(signed))
}

/// The session's client as a signer, and the reader for journaling refusals.
async fn signer(state: &AppState, session: crate::auth::session::ActiveSession, ip: std::net::IpAddr) -> Result<(Reader, Signer), AppError> {
    let reader = Reader::new(state, session, ip).await?;
    let who = Signer {
        client_id: reader.client.id.clone(),
        client_name: reader.client.name.full(),
        user_id: reader.session.user_id.clone(),
        session_uid: reader.session.uid.clone(),
        phone: reader.session.phone.clone(),
        ip,
    };
    Ok((reader, who))
}

/// This client's document, or a journaled 404.
async fn own(state: &AppState, reader: &Reader, id: &str) -> Result<RequestRow, AppError> {
    match state.signing().own(&reader.client.id, id).await? {
        Some(row) => Ok(row),
        None => Err(reader.not_found(state, "Документ на подпись", id).await),
    }
}

fn pdf(bytes: Vec<u8>, file_name: &str) -> Response {
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    if let Ok(v) = HeaderValue::from_str(&crate::requests::messages::disposition(file_name, "document", "pdf")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The client's documents for signature, newest first, and whether the agreement is accepted.
#[utoipa::path(get, path = "/api/v1/signatures", tag = "signing",
    responses((status = 200, body = SignaturesView), (status = 401, body = ApiError), (status = 429, body = ApiError),
              (status = 503, body = ApiError)))]
async fn list(State(state): State<AppState>, ClientIp(ip): ClientIp, CurrentSession(session): CurrentSession) -> Result<Json<SignaturesView>, AppError> {
    let (_, who) = signer(&state, session, ip).await?;
    Ok(Json(state.signing().view(&who).await?))
}

/// The agreement on using the simple electronic signature, current version.
#[utoipa::path(get, path = "/api/v1/signatures/agreement", tag = "signing",
    responses((status = 200, body = Agreement), (status = 401, body = ApiError), (status = 503, body = ApiError)))]
async fn agreement(State(state): State<AppState>, ClientIp(ip): ClientIp, CurrentSession(session): CurrentSession) -> Result<Json<Agreement>, AppError> {
    let (_, who) = signer(&state, session, ip).await?;
    Ok(Json(state.signing().agreement(&who).await?))
}

/// Accepts the agreement in the version and with the hash the client was shown.
#[utoipa::path(post, path = "/api/v1/signatures/agreement", tag = "signing", request_body = AcceptAgreement,
    responses((status = 200, body = Agreement), (status = 401, body = ApiError), (status = 409, body = ApiError),
              (status = 422, body = ApiError), (status = 503, body = ApiError)))]
async fn accept(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    CurrentSession(session): CurrentSession,
    ApiJson(body): ApiJson<AcceptAgreement>,
) -> Result<Json<Agreement>, AppError> {
    let (_, who) = signer(&state, session, ip).await?;
    Ok(Json(state.signing().accept(&who, &body.version, &body.sha256).await?))
}

/// One document for signature.
#[utoipa::path(get, path = "/api/v1/signatures/{id}", tag = "signing", params(("id" = String, Path)),
    responses((status = 200, body = SignatureDocument), (status = 401, body = ApiError), (status = 404, body = ApiError),
              (status = 503, body = ApiError)))]
async fn one(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    CurrentSession(session): CurrentSession,
    Path(id): Path<String>,
) -> Result<Json<SignatureDocument>, AppError> {
    let (reader, _) = signer(&state, session, ip).await?;
    Ok(Json(own(&state, &reader, &id).await?.view()))
}

/// The document's PDF exactly as sent; the first download is journaled as read.
#[utoipa::path(get, path = "/api/v1/signatures/{id}/original", tag = "signing", params(("id" = String, Path)),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 401, body = ApiError),
              (status = 404, body = ApiError), (status = 503, body = ApiError)))]
async fn original(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    CurrentSession(session): CurrentSession,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (reader, who) = signer(&state, session, ip).await?;
    let row = own(&state, &reader, &id).await?;
    let bytes = state.signing().open(&who, &row).await?;
    Ok(pdf(bytes, &row.file_name))
}

/// Sends the signing code by SMS: bound to the document and its SHA-256.
#[utoipa::path(post, path = "/api/v1/signatures/{id}/code", tag = "signing", params(("id" = String, Path)),
    responses((status = 200, body = SigningCodeSent), (status = 401, body = ApiError), (status = 404, body = ApiError),
              (status = 409, body = ApiError), (status = 429, body = ApiError), (status = 503, body = ApiError)))]
async fn send_code(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    CurrentSession(session): CurrentSession,
    Path(id): Path<String>,
) -> Result<Json<SigningCodeSent>, AppError> {
    let (reader, who) = signer(&state, session, ip).await?;
    let row = own(&state, &reader, &id).await?;
    Ok(Json(state.signing().send_code(state.auth(), &who, &row).await?))
}

/// Signs the document with the code from the SMS.
#[utoipa::path(post, path = "/api/v1/signatures/{id}/sign", tag = "signing", params(("id" = String, Path)),
    request_body = SignWithCode,
    responses((status = 200, body = SignatureDocument), (status = 401, body = ApiError), (status = 404, body = ApiError),
              (status = 409, body = ApiError), (status = 422, body = ApiError), (status = 503, body = ApiError)))]
async fn sign(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    CurrentSession(session): CurrentSession,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<SignWithCode>,
) -> Result<Json<SignatureDocument>, AppError> {
    let (reader, who) = signer(&state, session, ip).await?;
    let row = own(&state, &reader, &id).await?;
    Ok(Json(state.signing().sign(state.auth(), &who, &row, &body.code).await?.view()))
}

/// The signed copy: the original followed by the stamp page.
#[utoipa::path(get, path = "/api/v1/signatures/{id}/signed", tag = "signing", params(("id" = String, Path)),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 401, body = ApiError),
              (status = 404, body = ApiError), (status = 503, body = ApiError)))]
async fn signed(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    CurrentSession(session): CurrentSession,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (reader, who) = signer(&state, session, ip).await?;
    let row = own(&state, &reader, &id).await?;
    let bytes = state.signing().signed_copy(&who, &row).await?;
    Ok(pdf(bytes, row.signed_file_name.as_deref().unwrap_or(&row.file_name)))
}
