//! Applications over HTTP: the products a client may apply for, the ledger's preview of an
//! application, sending one (once per idempotency key) and following their statuses.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use kabinet_api::cabinet::{format_rub, Application};
use kabinet_api::requests::{ApplicationPreview, ApplicationsView, NewApplication, ProductsView};
use kabinet_api::ApiError;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit::EventKind;
use crate::auth::session::CurrentSession;
use crate::cabinet::info::{today, Reader};
use crate::http::error::AppError;
use crate::http::idempotency::{self, IdempotencyKey};
use crate::http::json::ApiJson;
use crate::http::{AppState, ClientIp};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(products)).routes(routes!(list, create)).routes(routes!(preview))
}

/// The products a client may apply for, with their limits.
#[utoipa::path(get, path = "/api/v1/products", tag = "requests",
    responses((status = 200, body = ProductsView), (status = 401, body = ApiError), (status = 429, body = ApiError),
              (status = 503, body = ApiError)))]
async fn products(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    CurrentSession(session): CurrentSession,
) -> Result<Json<ProductsView>, AppError> {
    let _reader = Reader::new(&state, session, ip).await?;
    Ok(Json(state.accounting().products().await?))
}

/// The client's applications of every kind with their statuses, newest first.
#[utoipa::path(get, path = "/api/v1/applications", tag = "requests",
    responses((status = 200, body = ApplicationsView), (status = 401, body = ApiError), (status = 429, body = ApiError),
              (status = 503, body = ApiError)))]
async fn list(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    CurrentSession(session): CurrentSession,
) -> Result<Json<ApplicationsView>, AppError> {
    let reader = Reader::new(&state, session, ip).await?;
    let applications = state.accounting().applications(&reader.client.id).await?;
    state
        .journal()
        .record(
            reader
                .entry(&state, EventKind::SectionViewed)
                .subject("Заявления")
                .description(format!("Заявок: {}", applications.len())),
        )
        .await?;
    Ok(Json(ApplicationsView { applications }))
}

/// What the application would mean, computed by the ledger on today's figures: the loan's
/// installment, the early repayment's payoff and new schedule, the savings income, the
/// interest an early withdrawal loses. Nothing is sent or stored.
#[utoipa::path(post, path = "/api/v1/applications/preview", tag = "requests", request_body = NewApplication,
    responses((status = 200, body = ApplicationPreview), (status = 401, body = ApiError), (status = 404, body = ApiError),
              (status = 409, body = ApiError), (status = 422, body = ApiError), (status = 429, body = ApiError),
              (status = 503, body = ApiError)))]
async fn preview(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    CurrentSession(session): CurrentSession,
    ApiJson(application): ApiJson<NewApplication>,
) -> Result<Json<ApplicationPreview>, AppError> {
    let reader = Reader::new(&state, session, ip).await?;
    let preview = state.accounting().preview_application(&reader.client.id, &application, today(&state)).await;
    Ok(Json(refusal_of(&state, &reader, &application, preview).await?))
}

/// A contract id that is not the client's answers 404 and is journaled, as a read would.
async fn refusal_of<T>(
    state: &AppState,
    reader: &Reader,
    application: &NewApplication,
    result: Result<T, crate::accounting::AccountingError>,
) -> Result<T, AppError> {
    match result {
        Err(crate::accounting::AccountingError::Refused(kabinet_api::ErrorCode::NotFound)) => {
            let (what, id) = match application {
                NewApplication::EarlyRepayment { loan_id, .. } => ("Договор займа", loan_id.as_str()),
                NewApplication::EarlyWithdrawal { savings_id, .. } => ("Договор сбережений", savings_id.as_str()),
                NewApplication::Loan { product_id, .. } | NewApplication::Savings { product_id, .. } => {
                    ("Продукт", product_id.as_str())
                }
            };
            Err(reader.not_found(state, what, id).await)
        }
        other => Ok(other?),
    }
}

/// Sends an application to the organisation. One per `Idempotency-Key`: a repeat of the same
/// request answers the application already made; the same key with another body is 422.
#[utoipa::path(post, path = "/api/v1/applications", tag = "requests", request_body = NewApplication,
    params(("idempotency-key" = String, Header, description = "A UUID made once per submission")),
    responses((status = 201, body = Application), (status = 400, body = ApiError), (status = 401, body = ApiError),
              (status = 404, body = ApiError), (status = 409, body = ApiError), (status = 422, body = ApiError),
              (status = 429, body = ApiError), (status = 503, body = ApiError)))]
async fn create(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    CurrentSession(session): CurrentSession,
    key: IdempotencyKey,
    ApiJson(application): ApiJson<NewApplication>,
) -> Result<Response, AppError> {
    let reader = Reader::new(&state, session, ip).await?;
    idempotency::once_json(&state, &reader.client.id, &key, "POST /applications", &application, StatusCode::CREATED, async {
        let made = state
            .accounting()
            .create_application(&reader.client.id, &key.0, &application, today(&state), state.now())
            .await;
        let made = refusal_of(&state, &reader, &application, made).await?;
        let mut description = format!("Сумма {} ₽", format_rub(made.amount));
        if made.term_months > 0 {
            description.push_str(&format!(", срок {} мес.", made.term_months));
        }
        if let Some(d) = &made.details {
            description.push_str(&format!("; {d}"));
        }
        state
            .journal()
            .record(
                reader
                    .entry(&state, EventKind::ObjectsCreated)
                    .subject(format!("{} № {}", made.kind.title_ru(), made.number))
                    .description(description),
            )
            .await?;
        Ok(made)
    })
    .await
}
