//! The simulated banks' payment page: one small accessible Russian form (card number, expiry,
//! CVC, «Оплатить»), shared by both protocols, and the outcome of a submitted card.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{AcquiringSimulator, PayError, SimOrder, CARD_APPROVE, CARD_DECLINE, CARD_HANG};
use crate::gateways::acquiring::{Kopecks, PaymentState};

/// What the page needs to know besides the order.
pub(super) struct PageSpec<'a> {
    pub bank: &'a str,
    /// Relative to the page, so the form works under any mount point.
    pub action: &'a str,
    /// The hidden field that names the order (`mdOrder`, `session_id`).
    pub id_field: &'a str,
    pub cancel_url: &'a str,
}

/// Card form fields as the page posts them.
#[derive(Debug, Default)]
pub(super) struct CardForm {
    pub card_number: String,
    pub expiry: String,
    pub cvc: String,
}

impl CardForm {
    pub fn from_params(p: &std::collections::HashMap<String, String>) -> CardForm {
        let get = |name: &str| p.get(name).cloned().unwrap_or_default();
        CardForm { card_number: get("card_number"), expiry: get("expiry"), cvc: get("cvc") }
    }
}

/// Where a submitted card leads: the success or failure return, or the page again with why.
pub(super) enum Submitted {
    Success,
    Failure,
    Again(&'static str),
}

/// Pays with the submitted card. Expiry and CVC are only checked for shape: no test card
/// depends on them, but a page that took an empty CVC would teach the wrong habit.
pub(super) fn submit_card(sim: &AcquiringSimulator, order: &SimOrder, form: &CardForm) -> Submitted {
    let expiry_ok = {
        let e: Vec<&str> = form.expiry.trim().split('/').map(str::trim).collect();
        e.len() == 2 && e.iter().all(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_digit()))
    };
    let cvc = form.cvc.trim();
    if !expiry_ok || !(3..=4).contains(&cvc.len()) || !cvc.chars().all(|c| c.is_ascii_digit()) {
        return Submitted::Again("Проверьте срок действия (ММ/ГГ) и CVC (3 цифры).");
    }
    match sim.pay(&order.gateway_order_id, &form.card_number) {
        Ok(PaymentState::Declined) => Submitted::Failure,
        Ok(_) => Submitted::Success,
        Err(PayError::CardNotAccepted) => {
            Submitted::Again("Карта не принята. Проверьте номер или используйте тестовую карту.")
        }
        Err(PayError::NotPayable) => Submitted::Again("Этот заказ уже не ждёт оплаты."),
        Err(PayError::UnknownOrder) => Submitted::Again("Заказ не найден."),
    }
}

/// `150000` → `1 500,00`.
pub(super) fn rubles(amount: Kopecks) -> String {
    let sign = if amount < 0 { "-" } else { "" };
    let a = amount.unsigned_abs();
    let whole = (a / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(' ');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped},{:02}", a % 100)
}

pub(super) use crate::http::embed::html_escape as escape;

const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1b1d21}\
main{max-width:26rem;margin:2rem auto;background:#fff;padding:1.5rem;border-radius:.75rem}\
label{display:block;margin-top:.75rem;font-weight:600}\
input{width:100%;box-sizing:border-box;padding:.5rem;font:inherit;border:1px solid #767676;border-radius:.375rem}\
button{margin-top:1rem;width:100%;padding:.75rem;font:inherit;font-weight:600;background:#1a7f37;color:#fff;border:0;border-radius:.375rem}\
:focus-visible{outline:3px solid #0b5fff;outline-offset:2px}\
[role=alert]{color:#a40e26;font-weight:600}.sim{color:#555;font-size:.875rem}";

fn html(status: StatusCode, title: &str, body: &str) -> Response {
    let doc = format!(
        "<!doctype html><html lang=\"ru\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body><main>{body}</main></body></html>",
        escape(title)
    );
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], doc)
        .into_response()
}

/// The card form for a payable order, or a short notice for any other.
pub(super) fn render(spec: &PageSpec<'_>, order: &SimOrder, error: Option<&str>) -> Response {
    let amount = rubles(order.amount);
    if order.state != PaymentState::Pending || order.attempted {
        let body = format!(
            "<h1>Оплата недоступна</h1><p>Заказ {} уже не ждёт оплаты.</p>\
             <p><a href=\"{}\">Вернуться в магазин</a></p>",
            escape(&order.order_number),
            escape(spec.cancel_url)
        );
        return html(StatusCode::OK, "Оплата недоступна", &body);
    }
    let alert = error.map(|e| format!("<p role=\"alert\">{}</p>", escape(e))).unwrap_or_default();
    let body = format!(
        "<h1 id=\"title\">Оплата картой</h1>\
         <p class=\"sim\">Тестовая страница ({bank}, симулятор): деньги не списываются.</p>\
         <dl><dt>Сумма</dt><dd id=\"amount\">{amount}&nbsp;₽</dd><dt>Назначение платежа</dt><dd>{description}</dd></dl>\
         {alert}\
         <form method=\"post\" action=\"{action}\" aria-labelledby=\"title\">\
         <input type=\"hidden\" name=\"{id_field}\" value=\"{id}\">\
         <label for=\"card_number\">Номер карты</label>\
         <input id=\"card_number\" name=\"card_number\" inputmode=\"numeric\" autocomplete=\"cc-number\" required>\
         <label for=\"expiry\">Срок действия</label>\
         <input id=\"expiry\" name=\"expiry\" placeholder=\"ММ/ГГ\" autocomplete=\"cc-exp\" required>\
         <label for=\"cvc\">CVC</label>\
         <input id=\"cvc\" name=\"cvc\" inputmode=\"numeric\" autocomplete=\"cc-csc\" maxlength=\"4\" required>\
         <button type=\"submit\">Оплатить</button></form>\
         <p><a href=\"{cancel}\">Отмена</a></p>\
         <details><summary>Тестовые карты</summary><ul>\
         <li>{CARD_APPROVE} — оплата проходит</li><li>{CARD_DECLINE} — банк отклоняет</li>\
         <li>{CARD_HANG} — оплата зависает</li></ul></details>",
        bank = escape(spec.bank),
        description = escape(&order.description),
        action = escape(spec.action),
        id_field = escape(spec.id_field),
        id = escape(&order.gateway_order_id),
        cancel = escape(spec.cancel_url),
    );
    html(StatusCode::OK, &format!("Оплата {amount} ₽"), &body)
}

pub(super) fn not_found(what: &str) -> Response {
    html(StatusCode::NOT_FOUND, "Заказ не найден", &format!("<h1>Заказ не найден</h1><p>{}</p>", escape(what)))
}
