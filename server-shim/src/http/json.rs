//! `ApiJson`: axum's Json extractor with every rejection turned into a stable error code.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use kabinet_api::ErrorCode;
use serde::de::DeserializeOwned;

use super::error::AppError;

/// A JSON body of type `T`. Wrong content type → 415 `unsupported_media_type`; too large →
/// 413 `payload_too_large`; bad syntax, a missing or an unknown field → 400 `invalid_json`.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(AppError::Client(match rejection {
                JsonRejection::MissingJsonContentType(_) => ErrorCode::UnsupportedMediaType,
                JsonRejection::BytesRejection(b) if b.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                    ErrorCode::PayloadTooLarge
                }
                _ => ErrorCode::InvalidJson,
            })),
        }
    }
}
