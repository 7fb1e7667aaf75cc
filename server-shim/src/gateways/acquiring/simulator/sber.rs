//! Sber's legacy REST protocol as the simulator speaks it: `register.do`,
//! `getOrderStatusExtended.do`, `refund.do` (form in, JSON out, always HTTP 200 with `errorCode`)
//! and the payment page at `sber/pay?mdOrder=…`.

use std::collections::HashMap;

use axum::extract::{Form, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::page::{self, CardForm, PageSpec, Submitted};
use super::{see_other, with_query, AcquiringSimulator, SimOrder};
use crate::gateways::acquiring::{Gateway, PaymentState};

type Params = HashMap<String, String>;

fn param<'a>(p: &'a Params, name: &str) -> &'a str {
    p.get(name).map(|v| v.trim()).unwrap_or("")
}

/// Sber answers errors with HTTP 200, `errorCode` as a string.
fn error(code: u32, message: &str) -> Response {
    Json(json!({ "errorCode": code.to_string(), "errorMessage": message })).into_response()
}

fn authorised(sim: &AcquiringSimulator, p: &Params) -> bool {
    let s = sim.state();
    let token = param(p, "token");
    if !token.is_empty() {
        return !s.sber_token.is_empty() && token == s.sber_token;
    }
    param(p, "userName") == s.sber_user_name && !s.sber_password.is_empty() && param(p, "password") == s.sber_password
}

fn order_status(order: &SimOrder) -> u8 {
    match order.state {
        PaymentState::Pending if order.attempted => 5,
        PaymentState::Pending => 0,
        PaymentState::Paid => 2,
        PaymentState::Reversed => 3,
        PaymentState::Refunded => 4,
        PaymentState::Declined => 6,
    }
}

pub(super) async fn register(
    State(sim): State<AcquiringSimulator>,
    headers: HeaderMap,
    Form(p): Form<Params>,
) -> Response {
    if let Err(r) = sim.scripted(Gateway::Sber).await {
        return r;
    }
    if !authorised(&sim, &p) {
        return error(5, "Доступ запрещён.");
    }
    let number = param(&p, "orderNumber");
    if number.is_empty() {
        return error(4, "Номер заказа не может быть пуст");
    }
    if number.len() > 32 || !number.chars().all(|c| c.is_ascii_graphic()) {
        return error(5, "Неверный номер заказа");
    }
    let amount = match param(&p, "amount") {
        "" => return error(4, "Сумма не может быть пуста"),
        a => match a.parse::<i64>() {
            Ok(a) if a > 0 => a,
            _ => return error(5, "Неверная сумма"),
        },
    };
    if !matches!(param(&p, "currency"), "" | "643") {
        return error(3, "Неизвестная валюта");
    }
    let return_url = param(&p, "returnUrl");
    if return_url.is_empty() {
        return error(4, "URL возврата не может быть пуст");
    }
    if url::Url::parse(return_url).is_err() {
        return error(5, "Неверный URL возврата");
    }
    let fail_url = match param(&p, "failUrl") {
        "" => return_url,
        f => f,
    };
    let base = sim.public_base(&headers);
    let mut s = sim.state();
    if s.orders.iter().any(|o| o.gateway == Gateway::Sber && o.order_number == number) {
        return error(1, "Заказ с таким номером уже обработан");
    }
    let n = sim.next_id(&mut s);
    let id = format!("0b4f2d4c-0000-4000-8000-{n:012}");
    s.orders.push(SimOrder {
        description: p.get("description").cloned().unwrap_or_default(),
        return_url: return_url.to_owned(),
        fail_url: fail_url.to_owned(),
        ..SimOrder::registered(Gateway::Sber, id.clone(), number, amount)
    });
    let form_url = format!("{base}/sber/pay?mdOrder={id}");
    // A successful register.do carries no errorCode at all.
    Json(json!({ "orderId": id, "formUrl": form_url })).into_response()
}

pub(super) async fn status(State(sim): State<AcquiringSimulator>, Form(p): Form<Params>) -> Response {
    if let Err(r) = sim.scripted(Gateway::Sber).await {
        return r;
    }
    if !authorised(&sim, &p) {
        return error(5, "Доступ запрещён.");
    }
    let (id, number) = (param(&p, "orderId"), param(&p, "orderNumber"));
    if id.is_empty() && number.is_empty() {
        return error(4, "Номер заказа не указан");
    }
    let s = sim.state();
    let found = s.orders.iter().find(|o| {
        o.gateway == Gateway::Sber && if id.is_empty() { o.order_number == number } else { o.gateway_order_id == id }
    });
    let Some(o) = found else {
        return error(6, "Заказ не найден");
    };
    let paid = matches!(o.state, PaymentState::Paid | PaymentState::Refunded);
    let (action_code, action_text): (i64, &str) = match o.state {
        PaymentState::Paid | PaymentState::Refunded | PaymentState::Reversed => (0, ""),
        PaymentState::Declined => (-2007, "Истек срок ожидания ввода данных / операция отклонена"),
        PaymentState::Pending => (-100, "Не было попыток оплаты"),
    };
    let payment_state = match o.state {
        PaymentState::Pending if o.attempted => "STARTED",
        PaymentState::Pending => "CREATED",
        PaymentState::Paid => "DEPOSITED",
        PaymentState::Refunded => "REFUNDED",
        PaymentState::Reversed => "REVERSED",
        PaymentState::Declined => "DECLINED",
    };
    let body: Value = json!({
        "errorCode": "0",
        "errorMessage": "Успешно",
        "orderNumber": o.order_number,
        "orderStatus": order_status(o),
        "actionCode": action_code,
        "actionCodeDescription": action_text,
        "amount": o.amount,
        "currency": "643",
        "orderDescription": o.description,
        "paymentAmountInfo": {
            "paymentState": payment_state,
            "approvedAmount": if paid { o.amount } else { 0 },
            "depositedAmount": if paid { o.amount } else { 0 },
            "refundedAmount": o.refunded,
        },
    });
    Json(body).into_response()
}

pub(super) async fn refund(State(sim): State<AcquiringSimulator>, Form(p): Form<Params>) -> Response {
    if let Err(r) = sim.scripted(Gateway::Sber).await {
        return r;
    }
    if !authorised(&sim, &p) {
        return error(5, "Доступ запрещён.");
    }
    let id = param(&p, "orderId");
    if id.is_empty() {
        return error(4, "Номер заказа не указан");
    }
    let amount = match param(&p, "amount").parse::<i64>() {
        Ok(a) if a > 0 => a,
        _ => return error(5, "Неверная сумма"),
    };
    let mut s = sim.state();
    let Some(o) = s.orders.iter_mut().find(|o| o.gateway == Gateway::Sber && o.gateway_order_id == id) else {
        return error(6, "Незарегистрированный OrderId");
    };
    if !matches!(o.state, PaymentState::Paid | PaymentState::Refunded) {
        return error(7, "Платёж должен быть в корректном состоянии");
    }
    if amount > o.amount - o.refunded {
        return error(5, "Сумма возврата превышает сумму списания");
    }
    o.refunded += amount;
    o.state = PaymentState::Refunded;
    drop(s);
    sim.sber_callback(id, "refunded", true);
    // refund.do answers its success code as a number, unlike the other methods.
    Json(json!({ "errorCode": 0, "errorMessage": "Успешно" })).into_response()
}

fn spec(order: &SimOrder) -> (String, &'static str) {
    (with_query(&with_query(&order.fail_url, "orderId", &order.gateway_order_id), "lang", "ru"), "pay")
}

pub(super) async fn page(State(sim): State<AcquiringSimulator>, Query(q): Query<Params>) -> Response {
    let Some(order) = sim.order(param(&q, "mdOrder")).filter(|o| o.gateway == Gateway::Sber) else {
        return page::not_found("Ссылка на оплату устарела или неверна.");
    };
    let (cancel, action) = spec(&order);
    page::render(&PageSpec { bank: "Сбербанк", action, id_field: "mdOrder", cancel_url: &cancel }, &order, None)
}

pub(super) async fn submit(State(sim): State<AcquiringSimulator>, Form(f): Form<Params>) -> Response {
    let Some(order) = sim.order(param(&f, "mdOrder")).filter(|o| o.gateway == Gateway::Sber) else {
        return page::not_found("Ссылка на оплату устарела или неверна.");
    };
    let (cancel, action) = spec(&order);
    // The real bank appends its order id (and the page language) to both return URLs.
    let back = |url: &str| with_query(&with_query(url, "orderId", &order.gateway_order_id), "lang", "ru");
    match page::submit_card(&sim, &order, &CardForm::from_params(&f)) {
        Submitted::Success => see_other(&back(&order.return_url)),
        Submitted::Failure => see_other(&back(&order.fail_url)),
        Submitted::Again(why) => page::render(
            &PageSpec { bank: "Сбербанк", action, id_field: "mdOrder", cancel_url: &cancel },
            &order,
            Some(why),
        ),
    }
}
