//! The trip to the bank and back: the page the client returns to (`return_to`), the payment id
//! the shim adds to it (`kabinet_payment`), taking the client to the bank's page as a top-level
//! page, and the tab's note of the payment just started.
//!
//! The id that comes back on the URL proves nothing: it only says which payment's status to
//! ask the shim for, and the shim answers only about the signed-in client's own payments.

use kabinet_api::payments::{Payment, RETURN_PARAM};
use wasm_bindgen::prelude::*;

use crate::session_store;
use crate::{Mode, WidgetConfig};

/// The longest payment id taken from a URL; the shim's ids are far shorter.
const MAX_ID_LEN: usize = 64;

/// How long a payment started in this tab is opened by itself when the widget starts without
/// the return parameter (the client came back with the browser's «Назад», or the bank's page
/// lost it): about as long as a bank keeps its payment page open.
const REMEMBER_MS: f64 = 30.0 * 60.0 * 1000.0;

/// Whether `id` can be a payment id: ASCII letters, digits and dashes, at most 64 of them.
/// Anything else on a URL is ignored, never shown or sent.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_ID_LEN && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// A query string (without its `?`) without any `kabinet_payment` pair, and that pair's value.
/// Every other pair is kept byte for byte, in order: re-encoding them (as `URLSearchParams`
/// would) could change what the host page's own scripts read.
pub fn strip_param(query: &str) -> (String, Option<String>) {
    let mut found = None;
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            if name == RETURN_PARAM {
                found.get_or_insert_with(|| value.to_owned());
                false
            } else {
                !pair.is_empty()
            }
        })
        .collect();
    (kept.join("&"), found)
}

/// A page's address split into the address to come back to (no fragment, no
/// `kabinet_payment`), its fragment (`#…` or empty) and the payment id the URL carried.
pub fn split_href(href: &str) -> (String, String, Option<String>) {
    let (no_hash, hash) = match href.find('#') {
        Some(i) => (&href[..i], &href[i..]),
        None => (href, ""),
    };
    let (page, id) = match no_hash.split_once('?') {
        Some((base, query)) => {
            let (query, id) = strip_param(query);
            (if query.is_empty() { base.to_owned() } else { format!("{base}?{query}") }, id)
        }
        None => (no_hash.to_owned(), None),
    };
    (page, hash.to_owned(), id)
}

/// Inline: the payment id on the host page's address, taken off it at once (the rest of the
/// address, its history entry and state left as they were), so a reload or a shared link does
/// not open the payment again. `None` when there is none or it is not a valid id.
pub fn take_from_page() -> Option<String> {
    let window = web_sys::window()?;
    let href = window.location().href().ok()?;
    let (page, hash, id) = split_href(&href);
    let id = id?;
    if let Ok(history) = window.history() {
        let state = history.state().unwrap_or(JsValue::NULL);
        let _ = history.replace_state_with_url(&state, "", Some(&format!("{page}{hash}")));
    }
    Some(id).filter(|id| valid_id(id))
}

/// The page the bank sends the client back to: inline, the host page as it is now; in a
/// frame, the page the loader named (checked by the shim to be on the frame's host origin),
/// else the host site's front page.
pub fn return_to(config: &WidgetConfig) -> String {
    match config.mode {
        Mode::Inline => web_sys::window().and_then(|w| w.location().href().ok()).map(|h| split_href(&h).0).unwrap_or_default(),
        Mode::Frame => config
            .page
            .clone()
            .or_else(|| config.parent_origin.as_ref().map(|o| format!("{o}/")))
            .unwrap_or_default(),
    }
}

/// Whether `url` is one a person may be sent to: http or https, nothing that runs script.
pub fn navigable(url: &str) -> bool {
    let lower = url.trim_start().get(..8).unwrap_or(url).to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// Opens the bank's page as the top-level page. Inline the widget is part of the host page and
/// navigates it; in a frame it asks the loader (`kabinet:navigate`, to the host origin only),
/// since a frame may not navigate the page that holds it. Opened on its own (no parent), the
/// frame is the top-level page and goes itself.
pub fn go_to_bank(config: &WidgetConfig, url: &str) -> Result<(), JsValue> {
    if !navigable(url) {
        return Err("not an http(s) address".into());
    }
    let window = web_sys::window().ok_or("no window")?;
    if config.mode == Mode::Frame {
        let parent = window.parent()?.filter(|p| !js_sys::Object::is(p.as_ref(), window.as_ref()));
        if let (Some(parent), Some(origin)) = (parent, config.parent_origin.as_deref()) {
            let message = js_sys::Object::new();
            js_sys::Reflect::set(&message, &"type".into(), &kabinet_api::frame::NAVIGATE.into())?;
            js_sys::Reflect::set(&message, &"url".into(), &url.into())?;
            return parent.post_message(&message, origin);
        }
    }
    window.location().assign(url)
}

/// Notes in the tab the payment just started, so the widget finds it again if the client comes
/// back without the return parameter.
pub fn remember(payment: &Payment) {
    let record = format!("{}\n{}\n{}", payment.id, js_sys::Date::now(), payment.contract_number);
    session_store::set(session_store::STARTED_PAYMENT, &record);
}

/// The payment noted by [`remember`], if it was started recently: `(id, contract number)`.
pub fn remembered() -> Option<(String, String)> {
    let record = session_store::get(session_store::STARTED_PAYMENT)?;
    let (id, at, number) = parse_record(&record)?;
    (js_sys::Date::now() - at < REMEMBER_MS).then_some((id, number))
}

/// The contract number noted with payment `id`, for a heading before the payment has loaded.
pub fn remembered_number(id: &str) -> Option<String> {
    let record = session_store::get(session_store::STARTED_PAYMENT)?;
    parse_record(&record).filter(|(i, _, n)| i == id && !n.is_empty()).map(|(_, _, n)| n)
}

/// The client is looking at payment `id`'s status: the note has done its job.
pub fn forget(id: &str) {
    let ours = session_store::get(session_store::STARTED_PAYMENT).and_then(|r| parse_record(&r)).is_some_and(|(i, _, _)| i == id);
    if ours {
        session_store::remove(session_store::STARTED_PAYMENT);
    }
}

fn parse_record(record: &str) -> Option<(String, f64, String)> {
    let mut lines = record.splitn(3, '\n');
    let id = lines.next()?.to_owned();
    let at: f64 = lines.next()?.parse().ok()?;
    let number = lines.next().unwrap_or_default().to_owned();
    valid_id(&id).then_some((id, at, number))
}

/// The frame's options from the /embed page's element: the host page's origin, the page to come
/// back to and the payment the client came back from (each checked by the shim already, and the
/// id checked again here).
pub fn frame_options(host: &web_sys::HtmlElement) -> (Option<String>, Option<String>, Option<String>) {
    let attr = |name: &str| host.get_attribute(name).filter(|v| !v.is_empty());
    let origin = attr("data-parent-origin");
    // Only a page on the host origin: a page elsewhere is not where this frame lives.
    let page = attr("data-page").filter(|p| origin.as_ref().is_some_and(|o| p.strip_prefix(o.as_str()).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))));
    let payment = attr("data-payment").filter(|p| valid_id(p));
    (origin, page, payment)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_from_urls_are_plain() {
        assert!(valid_id("pay-0f8fad5b-d9cb-469f-a165-70867728950e"));
        assert!(!valid_id(""));
        assert!(!valid_id("a b"));
        assert!(!valid_id("<script>"));
        assert!(!valid_id("x%2F"));
        assert!(!valid_id(&"a".repeat(65)));
        assert!(valid_id(&"a".repeat(64)));
    }

    #[test]
    fn the_return_parameter_is_taken_off_and_nothing_else() {
        assert_eq!(
            split_href("https://company.ru/cabinet?a=1&kabinet_payment=p-1&b=%20c+d#top"),
            ("https://company.ru/cabinet?a=1&b=%20c+d".into(), "#top".into(), Some("p-1".into()))
        );
        assert_eq!(split_href("https://company.ru/cabinet?kabinet_payment=p-1"), ("https://company.ru/cabinet".into(), String::new(), Some("p-1".into())));
        assert_eq!(split_href("https://company.ru/"), ("https://company.ru/".into(), String::new(), None));
        assert_eq!(split_href("https://company.ru/?x=1#a?kabinet_payment=2"), ("https://company.ru/?x=1".into(), "#a?kabinet_payment=2".into(), None));
        // Twice: both go, the first is the one.
        assert_eq!(strip_param("kabinet_payment=a&kabinet_payment=b&q"), ("q".into(), Some("a".into())));
        // A look-alike name is the host page's own.
        assert_eq!(strip_param("kabinet_payments=a"), ("kabinet_payments=a".into(), None));
    }

    #[test]
    fn only_web_addresses_are_navigable() {
        assert!(navigable("https://securepayments.sberbank.ru/payment/merchants/x"));
        assert!(navigable("HTTP://127.0.0.1:8089/pay"));
        assert!(!navigable("javascript:alert(1)"));
        assert!(!navigable("data:text/html,x"));
        assert!(!navigable("//evil.ru"));
        assert!(!navigable(""));
    }

    #[test]
    fn records_are_read_back() {
        assert_eq!(parse_record("p-1\n1700000000000\nЗ-2026/0142"), Some(("p-1".into(), 1.7e12, "З-2026/0142".into())));
        assert_eq!(parse_record("bad id\n1\nx"), None);
        assert_eq!(parse_record("p-1"), None);
    }
}
