//! Card payments over HTTP: the ledger's quote of a payment, starting one on the bank's page
//! (once per idempotency key), the client's payments, one payment's status (long polling, so
//! the open widget learns of the bank's confirmation at once) and a paid one's receipt.

use std::time::Duration;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use kabinet_api::payments::{
    Payment, PaymentPreview, PaymentRequest, PaymentStarted, PaymentStatus, PaymentsView, StartPayment, MAX_WAIT_SECS,
};
use kabinet_api::{ApiError, ErrorCode};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Payer;
use crate::accounting::AccountingError;
use crate::audit::EventKind;
use crate::auth::session::CurrentSession;
use crate::cabinet::info::{today, Reader};
use crate::http::error::AppError;
use crate::http::idempotency::{self, IdempotencyKey};
use crate::http::json::ApiJson;
use crate::http::{AppState, ClientIp};

/// The longest return URL taken.
const MAX_RETURN_URL: usize = 2000;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, start))
        .routes(routes!(preview))
        .routes(routes!(one))
        .routes(routes!(receipt))
}

/// The ledger's quote, with another client's contract answered as absent and journaled.
async fn quote(state: &AppState, reader: &Reader, request: &PaymentRequest) -> Result<PaymentPreview, AppError> {
    let quoted = state.accounting().quote_payment(&reader.client.id, request, today(state)).await;
    match quoted {
        Ok(Some(q)) => {
            if q.amount > state.payments().config().max_amount {
                return Err(AppError::Client(ErrorCode::AmountOutOfRange));
            }
            Ok(q)
        }
        Ok(None) | Err(AccountingError::Refused(ErrorCode::NotFound)) => {
            Err(reader.not_found(state, "Договор", &request.contract_id).await)
        }
        Err(e) => Err(e.into()),
    }
}

/// What a card payment made now would be: the amount (computed here, never taken from the
/// browser for an installment or the overdue amount) and how the ledger would split it.
#[utoipa::path(post, path = "/api/v1/payments/preview", tag = "payments", request_body = PaymentRequest,
    responses((status = 200, body = PaymentPreview), (status = 401, body = ApiError), (status = 404, body = ApiError),
              (status = 409, body = ApiError), (status = 422, body = ApiError), (status = 429, body = ApiError),
              (status = 503, body = ApiError)))]
async fn preview(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    CurrentSession(session): CurrentSession,
    ApiJson(request): ApiJson<PaymentRequest>,
) -> Result<Json<PaymentPreview>, AppError> {
    let reader = Reader::new(&state, session, ip).await?;
    Ok(Json(quote(&state, &reader, &request).await?))
}

/// The page to come back to must be on a site of the organisation: the bank sends the client
/// there, so anything else would make the shim an open redirect.
pub(crate) fn return_url(state: &AppState, s: &str) -> Result<url::Url, AppError> {
    let bad = || AppError::Client(ErrorCode::ReturnUrlNotAllowed);
    if s.len() > MAX_RETURN_URL {
        return Err(bad());
    }
    let url = url::Url::parse(s).map_err(|_| bad())?;
    if !matches!(url.scheme(), "http" | "https") || !url.username().is_empty() || url.password().is_some() {
        return Err(bad());
    }
    let origin = url.origin().ascii_serialization();
    if !state.orgs().lookup().allows_origin(&origin) {
        return Err(bad());
    }
    Ok(url)
}

/// Starts a card payment: quotes it again, registers the order with the bank and answers the
/// bank's page, where the widget sends the client as a top-level page. One payment per
/// `Idempotency-Key`. A quote that differs from `expected_amount` is not charged: 409
/// `payment_amount_changed`, and the client sees the new figure first.
#[utoipa::path(post, path = "/api/v1/payments", tag = "payments", request_body = StartPayment,
    params(("idempotency-key" = String, Header, description = "A UUID made once per submission")),
    responses((status = 201, body = PaymentStarted), (status = 400, body = ApiError), (status = 401, body = ApiError),
              (status = 404, body = ApiError), (status = 409, body = ApiError), (status = 422, body = ApiError),
              (status = 429, body = ApiError), (status = 503, body = ApiError)))]
async fn start(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    CurrentSession(session): CurrentSession,
    key: IdempotencyKey,
    ApiJson(body): ApiJson<StartPayment>,
) -> Result<Response, AppError> {
    let reader = Reader::new(&state, session, ip).await?;
    idempotency::once_json(&state, &reader.client.id, &key, "POST /payments", &body, StatusCode::CREATED, async {
        let back = return_url(&state, &body.return_to)?;
        let q = quote(&state, &reader, &body.request()).await?;
        if q.amount != body.expected_amount {
            return Err(AppError::Client(ErrorCode::PaymentAmountChanged));
        }
        let payer = Payer { client: &reader.client, session_uid: &reader.session.uid, ip: &reader.ip };
        let (row, payment_url) = state.payments().start(&payer, &q, &back).await?;
        Ok(PaymentStarted { payment: row.to_api(), payment_url })
    })
    .await
}

/// The client's card payments, newest first.
#[utoipa::path(get, path = "/api/v1/payments", tag = "payments",
    responses((status = 200, body = PaymentsView), (status = 401, body = ApiError), (status = 429, body = ApiError),
              (status = 503, body = ApiError)))]
async fn list(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    CurrentSession(session): CurrentSession,
) -> Result<Json<PaymentsView>, AppError> {
    let reader = Reader::new(&state, session, ip).await?;
    let rows = state.payments().list(&reader.client.id).await?;
    // The recent pending ones only (the reconciler minds the rest), a few at most.
    let recent = state.now_secs() - 3600;
    for r in rows.iter().filter(|r| r.status == "pending" && r.created_at > recent).take(5) {
        state.payments().refresh_for_client(r).await;
    }
    state
        .journal()
        .record(
            reader
                .entry(&state, EventKind::SectionViewed)
                .subject("Платежи")
                .description(format!("Платежей: {}", rows.len())),
        )
        .await?;
    Ok(Json(PaymentsView { payments: rows.iter().map(|r| r.to_api()).collect() }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct WaitQuery {
    /// Seconds to wait for a change (at most 25); without it the answer is immediate.
    wait: Option<u32>,
    /// The status the widget already shows: the answer comes when it differs.
    status: Option<PaymentStatus>,
    /// Whether the widget already shows the payment as posted.
    posted: Option<bool>,
}

/// One payment's status. With `wait`, the answer comes as soon as the status or `posted`
/// differ from what the widget already shows, or after `wait` seconds: the widget keeps one
/// such request open and sees the bank's confirmation the moment it is applied. Asking also
/// makes the shim ask the bank (at most every few seconds): the client's return from the
/// bank's page proves nothing by itself, the bank's answer does.
#[utoipa::path(get, path = "/api/v1/payments/{id}", tag = "payments", params(("id" = String, Path), WaitQuery),
    responses((status = 200, body = Payment), (status = 401, body = ApiError), (status = 404, body = ApiError),
              (status = 429, body = ApiError), (status = 503, body = ApiError)))]
async fn one(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    CurrentSession(session): CurrentSession,
    Path(id): Path<String>,
    q: Result<Query<WaitQuery>, QueryRejection>,
) -> Result<Json<Payment>, AppError> {
    // A malformed query is answered with the API's own error body, like every other refusal.
    let Query(q) = q.map_err(|_| AppError::Client(ErrorCode::BadRequest))?;
    let reader = Reader::new(&state, session, ip).await?;
    let payments = state.payments().clone();
    let mut changes = payments.subscribe();
    let mut stopping = payments.stopping();
    let Some(mut row) = payments.find(&reader.client.id, &id).await? else {
        return Err(reader.not_found(&state, "Платёж", &id).await);
    };
    let wait = Duration::from_secs(u64::from(q.wait.unwrap_or(0).min(MAX_WAIT_SECS)));
    let deadline = tokio::time::Instant::now() + wait;
    let known = (q.status.unwrap_or(row.status()), q.posted.unwrap_or(row.posted_at.is_some()));
    loop {
        payments.refresh_for_client(&row).await;
        if (row.status(), row.posted_at.is_some()) != known || tokio::time::Instant::now() >= deadline || *stopping.borrow() {
            return Ok(Json(row.to_api()));
        }
        // Woken by this instance's changes at once; another instance's are seen within a second.
        tokio::select! {
            _ = changes.changed() => {}
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = tokio::time::sleep_until(deadline) => {}
            _ = stopping.changed() => {}
        }
        row = match payments.find(&reader.client.id, &id).await? {
            Some(r) => r,
            None => return Err(AppError::Client(ErrorCode::NotFound)),
        };
    }
}

/// The receipt of a paid payment as PDF, issued with a verification code like every document.
#[utoipa::path(get, path = "/api/v1/payments/{id}/receipt", tag = "payments", params(("id" = String, Path)),
    responses((status = 200, description = "PDF", content_type = "application/pdf"), (status = 401, body = ApiError),
              (status = 404, body = ApiError), (status = 409, body = ApiError), (status = 429, body = ApiError)))]
async fn receipt(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    CurrentSession(session): CurrentSession,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let reader = Reader::new(&state, session, ip).await?;
    let Some(row) = state.payments().find(&reader.client.id, &id).await? else {
        return Err(reader.not_found(&state, "Платёж", &id).await);
    };
    if row.status() != PaymentStatus::Paid {
        return Err(AppError::Client(ErrorCode::DocumentNotAvailable));
    }
    let spec = super::receipt::spec(&row, state.orgs().lookup());
    crate::cabinet::documents::send_issued(&state, &reader, &row.id, spec).await
}
