//! Payler's classic gapi as the simulator speaks it: `StartSession`, `GetAdvancedStatus`,
//! `Refund` (form in, JSON out, errors as `{"error":{"code","message"}}` with HTTP 400) and the
//! payment page `Pay?session_id=…`.

use std::collections::HashMap;

use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::page::{self, CardForm, PageSpec, Submitted};
use super::{see_other, with_query, AcquiringSimulator, SimOrder};
use crate::gateways::acquiring::{Gateway, PaymentState};

type Params = HashMap<String, String>;

fn param<'a>(p: &'a Params, name: &str) -> &'a str {
    p.get(name).map(|v| v.trim()).unwrap_or("")
}

// Payler's error codes, by the names its documentation gives them.
const INVALID_AMOUNT: u32 = 1;
const DUPLICATE_ORDER_ID: u32 = 3;
const INVALID_ORDER_STATE: u32 = 7;
const ORDER_NOT_FOUND: u32 = 9;
const INVALID_PASSWORD: u32 = 19;
const INVALID_PARAMS: u32 = 20;
const MERCHANT_NOT_FOUND: u32 = 22;

fn error(code: u32, message: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": { "code": code, "message": message } }))).into_response()
}

fn key_ok(sim: &AcquiringSimulator, p: &Params) -> bool {
    let s = sim.state();
    !s.payler_key.is_empty() && param(p, "key") == s.payler_key
}

fn status_name(order: &SimOrder) -> &'static str {
    match order.state {
        PaymentState::Pending if order.attempted => "Pending",
        PaymentState::Pending => "Created",
        PaymentState::Paid => "Charged",
        PaymentState::Reversed => "Reversed",
        PaymentState::Refunded => "Refunded",
        PaymentState::Declined => "Rejected",
    }
}

pub(super) async fn start_session(State(sim): State<AcquiringSimulator>, Form(p): Form<Params>) -> Response {
    if let Err(r) = sim.scripted(Gateway::Payler).await {
        return r;
    }
    if !key_ok(&sim, &p) {
        return error(MERCHANT_NOT_FOUND, "Merchant not found");
    }
    // The shim pays in one stage; a two-stage session would wait for a Charge it never sends.
    if param(&p, "type") != "OneStep" {
        return error(INVALID_PARAMS, "Invalid parameter: type");
    }
    let order_id = param(&p, "order_id");
    if order_id.is_empty() || order_id.len() > 100 || !order_id.chars().all(|c| c.is_ascii_graphic()) {
        return error(INVALID_PARAMS, "Invalid parameter: order_id");
    }
    let amount = match param(&p, "amount").parse::<i64>() {
        Ok(a) if a > 0 => a,
        _ => return error(INVALID_AMOUNT, "Invalid amount"),
    };
    if !matches!(param(&p, "currency"), "" | "RUB") {
        return error(INVALID_PARAMS, "Invalid parameter: currency");
    }
    let success = param(&p, "return_url_success");
    if url::Url::parse(success).is_err() {
        return error(INVALID_PARAMS, "Invalid parameter: return_url_success");
    }
    let decline = match param(&p, "return_url_decline") {
        "" => success,
        d => d,
    };
    let mut s = sim.state();
    if s.orders.iter().any(|o| o.gateway == Gateway::Payler && o.order_number == order_id) {
        return error(DUPLICATE_ORDER_ID, "Duplicate order_id");
    }
    let n = sim.next_id(&mut s);
    let session_id = format!("5e55{n:028x}");
    s.orders.push(SimOrder {
        description: p.get("product").cloned().unwrap_or_default(),
        return_url: success.to_owned(),
        fail_url: decline.to_owned(),
        ..SimOrder::registered(Gateway::Payler, session_id.clone(), order_id, amount)
    });
    Json(json!({ "session_id": session_id, "order_id": order_id, "amount": amount })).into_response()
}

pub(super) async fn status(State(sim): State<AcquiringSimulator>, Form(p): Form<Params>) -> Response {
    if let Err(r) = sim.scripted(Gateway::Payler).await {
        return r;
    }
    if !key_ok(&sim, &p) {
        return error(MERCHANT_NOT_FOUND, "Merchant not found");
    }
    let order_id = param(&p, "order_id");
    let s = sim.state();
    let Some(o) = s.orders.iter().find(|o| o.gateway == Gateway::Payler && o.order_number == order_id) else {
        return error(ORDER_NOT_FOUND, "Order not found");
    };
    Json(json!({
        "order_id": o.order_number,
        "amount": o.amount,
        "status": status_name(o),
        "payment_type": "Pay",
        "card_number": if o.attempted { json!("411111xxxxxx1111") } else { json!(null) },
    }))
    .into_response()
}

pub(super) async fn refund(State(sim): State<AcquiringSimulator>, Form(p): Form<Params>) -> Response {
    if let Err(r) = sim.scripted(Gateway::Payler).await {
        return r;
    }
    if !key_ok(&sim, &p) {
        return error(MERCHANT_NOT_FOUND, "Merchant not found");
    }
    {
        let s = sim.state();
        if s.payler_password.is_empty() || param(&p, "password") != s.payler_password {
            return error(INVALID_PASSWORD, "Invalid password");
        }
    }
    let order_id = param(&p, "order_id");
    let amount = match param(&p, "amount").parse::<i64>() {
        Ok(a) if a > 0 => a,
        _ => return error(INVALID_AMOUNT, "Invalid amount"),
    };
    let mut s = sim.state();
    let Some(o) = s.orders.iter_mut().find(|o| o.gateway == Gateway::Payler && o.order_number == order_id) else {
        return error(ORDER_NOT_FOUND, "Order not found");
    };
    if !matches!(o.state, PaymentState::Paid | PaymentState::Refunded) {
        return error(INVALID_ORDER_STATE, "Invalid order state");
    }
    if amount > o.amount - o.refunded {
        return error(INVALID_AMOUNT, "Invalid amount");
    }
    o.refunded += amount;
    o.state = PaymentState::Refunded;
    Json(json!({ "amount_refunded": o.refunded, "order_id": o.order_number })).into_response()
}

fn find(sim: &AcquiringSimulator, session_id: &str) -> Option<SimOrder> {
    sim.state().orders.iter().find(|o| o.gateway == Gateway::Payler && o.gateway_order_id == session_id).cloned()
}

/// Payler sends the client back to the configured URLs; the simulator adds `order_id` so the
/// shim's return handler can name the order it should query.
fn back(url: &str, order: &SimOrder) -> String {
    with_query(url, "order_id", &order.order_number)
}

fn render(order: &SimOrder, error: Option<&str>) -> Response {
    let cancel = back(&order.fail_url, order);
    page::render(&PageSpec { bank: "Payler", action: "Pay", id_field: "session_id", cancel_url: &cancel }, order, error)
}

pub(super) async fn page(State(sim): State<AcquiringSimulator>, Query(q): Query<Params>) -> Response {
    match find(&sim, param(&q, "session_id")) {
        Some(order) => render(&order, None),
        None => page::not_found("Сессия оплаты не найдена (SESSION_NOT_FOUND)."),
    }
}

/// `Pay` also takes a POST with only `session_id` (a shop's auto-submitting form): that opens
/// the page; a POST with a card number is the page's own form.
pub(super) async fn submit(State(sim): State<AcquiringSimulator>, Form(f): Form<Params>) -> Response {
    let Some(order) = find(&sim, param(&f, "session_id")) else {
        return page::not_found("Сессия оплаты не найдена (SESSION_NOT_FOUND).");
    };
    if !f.contains_key("card_number") {
        return render(&order, None);
    }
    match page::submit_card(&sim, &order, &CardForm::from_params(&f)) {
        Submitted::Success => see_other(&back(&order.return_url, &order)),
        Submitted::Failure => see_other(&back(&order.fail_url, &order)),
        Submitted::Again(why) => render(&order, Some(why)),
    }
}
