//! The HTTP layer's error: 4xx answer with a stable JSON code, 5xx opaque and logged once.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use kabinet_api::{ApiError, ErrorCode};

/// Marker left on error responses so the request-id middleware can put the id in the body.
#[derive(Debug, Clone, Copy)]
pub struct ErrorMarker(pub ErrorCode);

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0:?}")]
    Client(ErrorCode),
    /// Something we depend on is down; nothing was half-written.
    #[error("unavailable: {0}")]
    Unavailable(String),
    #[error("internal: {0}")]
    Internal(String),
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Client(code) => match code {
                ErrorCode::NotFound => StatusCode::NOT_FOUND,
                ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
                ErrorCode::BadRequest => StatusCode::BAD_REQUEST,
                ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::ForbiddenOrigin => StatusCode::FORBIDDEN,
                ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            },
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            AppError::Client(c) => *c,
            AppError::Unavailable(_) => ErrorCode::Unavailable,
            AppError::Internal(_) => ErrorCode::Internal,
        }
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

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            // The details stay in the log (with the request id from the span), never in the body.
            tracing::error!(error = %self, "request failed");
        }
        error_response(status, self.code())
    }
}

pub fn error_response(status: StatusCode, code: ErrorCode) -> Response {
    let body = ApiError { code, message: code.message_ru().to_owned(), request_id: None };
    let mut res = (status, Json(body)).into_response();
    res.extensions_mut().insert(ErrorMarker(code));
    res
}
