//! A contract's documents as PDFs over HTTP: each download is issued (stored with its
//! verification code and SHA-256), journaled as «получение файлов» and sent as an attachment.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use kabinet_api::cabinet::{DocumentKind, DocumentQuery};
use kabinet_api::{ApiError, ErrorCode};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::info::{loan_of, saving_of, Reader};
use crate::audit::EventKind;
use crate::auth::session::CurrentSession;
use crate::documents::{self, Documents, Subject};
use crate::http::error::AppError;
use crate::http::{AppState, ClientIp};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(loan_document)).routes(routes!(saving_document))
}

/// A malformed period or year is the person's input, not a broken request.
fn query(q: Result<Query<DocumentQuery>, QueryRejection>) -> Result<DocumentQuery, AppError> {
    q.map(|Query(q)| q).map_err(|_| AppError::Client(ErrorCode::InvalidPeriod))
}

fn parse_kind(reader_kind: &str) -> Result<DocumentKind, AppError> {
    DocumentKind::from_slug(reader_kind).ok_or(AppError::Client(ErrorCode::NotFound))
}

/// Issues the document (stored with its verification code and hash), journals the download and
/// answers the PDF as an attachment.
async fn issue(
    state: &AppState,
    reader: &Reader,
    kind: DocumentKind,
    subject_id: &str,
    subject: Subject<'_>,
    query: &DocumentQuery,
) -> Result<Response, AppError> {
    let org = state.orgs().lookup();
    let spec = documents::build(kind, subject, query, org, &reader.client)?;
    send_issued(state, reader, subject_id, spec).await
}

/// Issues a built document, journals the download and answers the PDF as an attachment.
pub(crate) async fn send_issued(
    state: &AppState,
    reader: &Reader,
    subject_id: &str,
    spec: documents::DocSpec,
) -> Result<Response, AppError> {
    let issued = Documents::new(state.store().clone(), &state.config().public_url)
        .issue(&reader.client.id, subject_id, spec, state.now_secs())
        .await?;
    state
        .journal()
        .record(
            reader
                .entry(state, EventKind::FilesReceived)
                .subject(&issued.title)
                .description(format!("Код проверки {}; SHA-256 {}", issued.code, issued.sha256_hex)),
        )
        .await?;
    let disposition = format!("attachment; filename=\"{}\"", issued.file_name);
    let mut res = issued.bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

/// A loan's document as PDF: `schedule`, `act` (with `from`, `to`), `debt-certificate`,
/// `no-debt-certificate` (closed loans), `interest-paid-certificate` (with `year`).
#[utoipa::path(get, path = "/api/v1/loans/{id}/documents/{kind}", tag = "cabinet",
    params(("id" = String, Path), ("kind" = String, Path), DocumentQuery),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 401, body = ApiError),
              (status = 404, body = ApiError), (status = 409, body = ApiError), (status = 422, body = ApiError),
              (status = 429, body = ApiError), (status = 503, body = ApiError)))]
async fn loan_document(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    CurrentSession(session): CurrentSession,
    Path((id, kind)): Path<(String, String)>,
    q: Result<Query<DocumentQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    let kind = parse_kind(&kind)?;
    let query = query(q)?;
    let reader = Reader::new(&state, session, ip).await?;
    let detail = loan_of(&state, &reader, &id).await?;
    issue(&state, &reader, kind, &id, Subject::Loan(&detail), &query).await
}

/// A savings contract's document as PDF: `schedule`, `act` (with `from`, `to`),
/// `interest-income-certificate` (with `year`).
#[utoipa::path(get, path = "/api/v1/savings/{id}/documents/{kind}", tag = "cabinet",
    params(("id" = String, Path), ("kind" = String, Path), DocumentQuery),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 401, body = ApiError),
              (status = 404, body = ApiError), (status = 409, body = ApiError), (status = 422, body = ApiError),
              (status = 429, body = ApiError), (status = 503, body = ApiError)))]
async fn saving_document(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    CurrentSession(session): CurrentSession,
    Path((id, kind)): Path<(String, String)>,
    q: Result<Query<DocumentQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    let kind = parse_kind(&kind)?;
    let query = query(q)?;
    let reader = Reader::new(&state, session, ip).await?;
    let detail = saving_of(&state, &reader, &id).await?;
    issue(&state, &reader, kind, &id, Subject::Savings(&detail), &query).await
}
