//! The bank's callback: `GET` or `POST /callbacks/acquiring/{gateway}` with the bank's
//! parameters. Every callback is stored as received with what was made of it (A27: raw body
//! logged). A callback is believed only with a valid checksum, for an order we registered,
//! under the order number we gave it, for the amount we registered — and even then it only
//! makes the shim ask the bank's status API, whose answer alone marks a payment paid.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;

use crate::audit::{AuditEntry, EventKind};
use crate::gateways::acquiring::CallbackError;
use crate::http::{AppState, ClientIp};

/// A callback is a few hundred bytes; anything longer is not one.
const MAX_CALLBACK_BYTES: usize = 8 * 1024;
/// Of a callback that is not believed, this much is kept: enough to see what it was, not
/// enough to fill the database with someone's junk.
const REJECTED_EXCERPT_BYTES: usize = 1024;

pub fn routes() -> Router<AppState> {
    Router::new().route("/callbacks/acquiring/{gateway}", any(callback))
}

async fn callback(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(gateway): Path<String>,
    method: Method,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let payments = state.payments().clone();
    if gateway != payments.gateway() {
        return (StatusCode::NOT_FOUND, "unknown gateway").into_response();
    }
    let raw = match method {
        Method::GET => query.unwrap_or_default(),
        Method::POST => String::from_utf8_lossy(&body).into_owned(),
        _ => return (StatusCode::METHOD_NOT_ALLOWED, "GET or POST").into_response(),
    };
    if raw.len() > MAX_CALLBACK_BYTES {
        return (StatusCode::PAYLOAD_TOO_LARGE, "too large").into_response();
    }
    let params: Vec<(String, String)> =
        url::form_urlencoded::parse(raw.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let peer = ip;
    let ip = ip.to_string();
    let log = |verdict: &'static str, payment_id: Option<String>| {
        let (state, mut raw, ip) = (state.clone(), raw.clone(), ip.clone());
        async move {
            if verdict != "accepted" && raw.len() > REJECTED_EXCERPT_BYTES {
                let mut end = REJECTED_EXCERPT_BYTES;
                while !raw.is_char_boundary(end) {
                    end -= 1;
                }
                raw.truncate(end);
            }
            let stored = sqlx::query(
                "INSERT INTO payment_callbacks (gateway, received_at, ip, raw, verdict, payment_id) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(state.payments().gateway())
            .bind(state.now_secs())
            .bind(&ip)
            .bind(&raw)
            .bind(verdict)
            .bind(payment_id)
            .execute(state.store().pool())
            .await;
            if let Err(e) = stored {
                tracing::error!(error = %e, "a bank callback could not be stored");
            }
        }
    };
    let reject = |verdict: &'static str, why: String, payment: Option<super::PaymentRow>| {
        let state = state.clone();
        let log = log(verdict, payment.as_ref().map(|p| p.id.clone()));
        let ip = ip.clone();
        async move {
            // Past the limit a sender's rejects are only counted in the log: an unauthenticated
            // route must not let anyone grow the database or the journal at will.
            if !state.payments().admit_rejected(peer) {
                tracing::warn!(verdict, %ip, "a bank callback is not believed (over the limit; not stored)");
                return;
            }
            log.await;
            tracing::warn!(verdict, %why, %ip, "a bank callback is not believed");
            let division = state.orgs().lookup().division.clone();
            let entry = match &payment {
                Some(p) => p.journal_entry(&division, EventKind::PaymentCallbackRejected),
                None => AuditEntry::new(EventKind::PaymentCallbackRejected, &division).subject("Уведомление банка"),
            };
            if let Err(e) = state.journal().record(entry.ip(&ip).description(why)).await {
                tracing::error!(error = %e, "a rejected callback could not be journaled");
            }
        }
    };

    let notice = match payments.verify_callback(&params) {
        Ok(n) => n,
        Err(CallbackError::NotSupported) => {
            // Payler's classic gateway signs nothing: a notice names an order at most, and is
            // only a reason to ask the bank, like the client's return.
            if !payments.admit_rejected(peer) {
                return (StatusCode::TOO_MANY_REQUESTS, "later").into_response();
            }
            log("trigger_only", None).await;
            // Through the per-payment throttle: a notice anyone can send must not become a
            // stream of calls to the bank.
            if let Some(id) = params.iter().find(|(k, _)| k == "session_id").map(|(_, v)| v.clone()) {
                if let Ok(Some(p)) = payments.by_order(payments.gateway(), &id).await {
                    payments.refresh_for_client(&p).await;
                }
            } else if let Some(number) = params.iter().find(|(k, _)| k == "order_id").map(|(_, v)| v.clone()) {
                if let Ok(Some(p)) = payments.by_order_number(payments.gateway(), &number).await {
                    payments.refresh_for_client(&p).await;
                }
            }
            return (StatusCode::OK, "OK").into_response();
        }
        Err(e) => {
            let verdict = match e {
                CallbackError::Unsigned => "unsigned",
                CallbackError::BadChecksum => "bad_signature",
                _ => "malformed",
            };
            reject(verdict, format!("Уведомление банка отклонено: {e}"), None).await;
            return (StatusCode::BAD_REQUEST, "rejected").into_response();
        }
    };
    let payment = match payments.by_order(payments.gateway(), &notice.gateway_order_id).await {
        Ok(Some(p)) => p,
        Ok(None) => {
            reject("unknown_order", format!("Заказ {} неизвестен", notice.gateway_order_id), None).await;
            return (StatusCode::NOT_FOUND, "unknown order").into_response();
        }
        Err(e) => {
            tracing::error!(error = %e, "payments cannot be read for a callback");
            log("store_unavailable", None).await;
            // The bank retries; the reconciler asks anyway.
            return (StatusCode::SERVICE_UNAVAILABLE, "retry").into_response();
        }
    };
    if payment.order_number != notice.order_number {
        let why = format!("Номер заказа {} не совпадает с зарегистрированным {}", notice.order_number, payment.order_number);
        reject("order_mismatch", why, Some(payment)).await;
        return (StatusCode::BAD_REQUEST, "rejected").into_response();
    }
    if let Some(amount) = notice.amount.filter(|a| *a != payment.amount) {
        let why = format!(
            "Сумма в уведомлении {} ₽ не совпадает с суммой заказа {} ₽; платёж не зачтён",
            kabinet_api::cabinet::format_rub(amount),
            kabinet_api::cabinet::format_rub(payment.amount)
        );
        reject("amount_mismatch", why, Some(payment)).await;
        return (StatusCode::BAD_REQUEST, "rejected").into_response();
    }
    log("accepted", Some(payment.id.clone())).await;
    // The callback names an operation; what happened is read from the status API (A27). The
    // adapter's timeout keeps this within the bank's 10 s; if the bank does not answer, the
    // reconciler asks later, and the callback is still acknowledged.
    let source = format!("уведомление банка «{}»", notice.operation);
    // Asked within the adapter's timeout (at most 9 s), so the bank has its answer in its 10 s.
    payments.refresh(&payment, &source).await;
    (StatusCode::OK, "OK").into_response()
}
