//! The HTTP layer's error: 4xx answer with a stable JSON code, 5xx opaque and logged once.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use kabinet_api::{ApiError, ErrorCode};

/// Marker left on error responses so the request-id middleware can rebuild the body with the id.
#[derive(Debug, Clone)]
pub struct ErrorMarker {
    pub code: ErrorCode,
    pub retry_after_secs: Option<u32>,
    pub file: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0:?}")]
    Client(ErrorCode),
    /// An uploaded file refused: the code, and the file's name as its sender gave it.
    #[error("{code:?}: {file}")]
    File { code: ErrorCode, file: String },
    /// Too many requests: try again after this many seconds.
    #[error("rate limited for {retry_after_secs} s")]
    RateLimited { code: ErrorCode, retry_after_secs: u32 },
    /// Something we depend on is down; nothing was half-written.
    #[error("unavailable: {0}")]
    Unavailable(String),
    #[error("internal: {0}")]
    Internal(String),
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Client(code) | AppError::File { code, .. } => {
                StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::BAD_REQUEST)
            }
            AppError::RateLimited { code, .. } => {
                StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::TOO_MANY_REQUESTS)
            }
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            AppError::Client(c) | AppError::File { code: c, .. } => *c,
            AppError::RateLimited { code, .. } => *code,
            AppError::Unavailable(_) => ErrorCode::Unavailable,
            AppError::Internal(_) => ErrorCode::Internal,
        }
    }

    pub fn rate_limited(retry_after_secs: u32) -> AppError {
        AppError::RateLimited { code: ErrorCode::RateLimited, retry_after_secs: retry_after_secs.max(1) }
    }
}

impl From<ErrorCode> for AppError {
    fn from(code: ErrorCode) -> Self {
        AppError::Client(code)
    }
}

impl From<crate::storage::AuditAppendError> for AppError {
    fn from(e: crate::storage::AuditAppendError) -> Self {
        AppError::Unavailable(format!("journal: {e}"))
    }
}

impl From<crate::storage::StoreError> for AppError {
    fn from(e: crate::storage::StoreError) -> Self {
        AppError::Unavailable(format!("store: {e}"))
    }
}

impl From<crate::accounting::AccountingError> for AppError {
    fn from(e: crate::accounting::AccountingError) -> Self {
        match e {
            // Accounting's own refusal: the client can act on it.
            crate::accounting::AccountingError::Refused(code) => AppError::Client(code),
            e => {
                // The person sees «учётная система не отвечает» and a retry; the cause stays in the log.
                tracing::warn!(error = %e, "accounting call failed");
                AppError::Client(ErrorCode::AccountingUnavailable)
            }
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::Unavailable(format!("database: {e}"))
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            // The details stay in the log (with the request id from the span), never in the body.
            tracing::error!(error = %self, "request failed");
        }
        let retry = match &self {
            AppError::RateLimited { retry_after_secs, .. } => Some(*retry_after_secs),
            _ => None,
        };
        let mut res = error_response_with(status, self.code(), retry);
        if let AppError::File { code, file } = self {
            let body = ApiError { code, message: code.message_ru().to_owned(), request_id: None, retry_after_secs: None, file: Some(file.clone()) };
            let (mut parts, _) = res.into_parts();
            parts.headers.remove(header::CONTENT_LENGTH);
            parts.extensions.insert(ErrorMarker { code, retry_after_secs: None, file: Some(file) });
            res = Response::from_parts(parts, axum::body::Body::from(serde_json::to_vec(&body).expect("an error serialises")));
        }
        res
    }
}

pub fn error_response(status: StatusCode, code: ErrorCode) -> Response {
    error_response_with(status, code, None)
}

pub fn error_response_with(status: StatusCode, code: ErrorCode, retry_after_secs: Option<u32>) -> Response {
    let body = ApiError { code, message: code.message_ru().to_owned(), request_id: None, retry_after_secs, file: None };
    let mut res = (status, Json(body)).into_response();
    if let Some(secs) = retry_after_secs {
        res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    res.extensions_mut().insert(ErrorMarker { code, retry_after_secs, file: None });
    res
}

/// An error answer from just its code, with the status the contract gives it.
pub fn code_response(code: ErrorCode) -> Response {
    error_response(StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::BAD_REQUEST), code)
}
