//! Trips away from the page and back: to the bank's payment page and to ESIA's login page, both
//! opened as the top-level page. What the two share lives here: the page to come back to
//! (`return_to`), the markers the shim adds to it (`kabinet_payment`, `kabinet_esia`), taken
//! off the address as the widget starts, the frame's options that carry them, and opening a
//! page at the top level.
//!
//! A marker on a URL proves nothing: it only says what to ask the shim about, and the shim
//! answers only the browser (its session, its flow cookie) the trip belongs to.

use kabinet_api::{esia, payments};
use wasm_bindgen::prelude::*;

use crate::payment_return::valid_id;
use crate::{Mode, WidgetConfig};

/// Every marker the shim adds to a return address. None of them belongs in the next return
/// address: a trip started on a page just returned to must not carry the last trip's marker.
pub const RETURN_PARAMS: [&str; 2] = [payments::RETURN_PARAM, esia::RETURN_PARAM];

/// A query string (without its `?`) without any `name` pair, and that pair's value (the first,
/// when there are several). Every other pair is kept byte for byte, in order: re-encoding them
/// (as `URLSearchParams` would) could change what the host page's own scripts read.
pub fn strip_param(query: &str, name: &str) -> (String, Option<String>) {
    let mut found = None;
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            if key == name {
                found.get_or_insert_with(|| value.to_owned());
                false
            } else {
                !pair.is_empty()
            }
        })
        .collect();
    (kept.join("&"), found)
}

/// A page's address split into the address to come back to (no fragment, no `name` pair), its
/// fragment (`#…` or empty) and the value of `name` the address carried.
pub fn split_href(href: &str, name: &str) -> (String, String, Option<String>) {
    let (no_hash, hash) = match href.find('#') {
        Some(i) => (&href[..i], &href[i..]),
        None => (href, ""),
    };
    let (page, value) = match no_hash.split_once('?') {
        Some((base, query)) => {
            let (query, value) = strip_param(query, name);
            (if query.is_empty() { base.to_owned() } else { format!("{base}?{query}") }, value)
        }
        None => (no_hash.to_owned(), None),
    };
    (page, hash.to_owned(), value)
}

/// The address to come back to: `href` without its fragment and without any of the shim's
/// markers ([`RETURN_PARAMS`]).
pub fn page_of(href: &str) -> String {
    RETURN_PARAMS.iter().fold(href.to_owned(), |page, name| split_href(&page, name).0)
}

/// Inline: the value of marker `name` on the host page's address, taken off it at once (the
/// rest of the address, its history entry and state left as they were), so a reload or a
/// shared link does not repeat what it asked for. `None` when the address has none.
pub fn take_from_page(name: &str) -> Option<String> {
    let window = web_sys::window()?;
    let href = window.location().href().ok()?;
    let (page, hash, value) = split_href(&href, name);
    let value = value?;
    if let Ok(history) = window.history() {
        let state = history.state().unwrap_or(JsValue::NULL);
        let _ = history.replace_state_with_url(&state, "", Some(&format!("{page}{hash}")));
    }
    Some(value)
}

/// The page the bank or ESIA sends the client back to: inline, the host page as it is now; in
/// a frame, the page the loader named (checked by the shim to be on the frame's host origin),
/// else the host site's front page.
pub fn return_to(config: &WidgetConfig) -> String {
    match config.mode {
        Mode::Inline => web_sys::window().and_then(|w| w.location().href().ok()).map(|h| page_of(&h)).unwrap_or_default(),
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

/// Opens `url` (the bank's payment page, ESIA's login page) as the top-level page, as both
/// require. Inline the widget is part of the host page and navigates it; in a frame it asks the
/// loader (`kabinet:navigate`, to the host origin only), since a frame may not navigate the page
/// that holds it. Opened on its own (no parent), the frame is the top-level page and goes itself.
pub fn go_top_level(config: &WidgetConfig, url: &str) -> Result<(), JsValue> {
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

/// What the widget learns as it starts about the page it lives in and the trip it is back from:
/// in a frame from the /embed page's element (each value checked by the shim already), inline
/// from the host page's address (see [`take_from_page`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StartOptions {
    /// Frame: the host page's origin, the only window the frame talks to.
    pub parent_origin: Option<String>,
    /// Frame: the host page to come back to.
    pub page: Option<String>,
    /// The card payment the client has come back from the bank for.
    pub payment: Option<String>,
    /// Whether the client has come back from ESIA.
    pub esia: bool,
}

/// A frame's options from the /embed element's attributes, `attr` giving one by name.
pub fn parse_frame_options(attr: impl Fn(&str) -> Option<String>) -> StartOptions {
    let attr = |name: &str| attr(name).filter(|v| !v.is_empty());
    let parent_origin = attr("data-parent-origin");
    // Only a page on the host origin: a page elsewhere is not where this frame lives.
    let on_origin = |p: &String| {
        parent_origin
            .as_ref()
            .is_some_and(|o| p.strip_prefix(o.as_str()).is_some_and(|rest| rest.is_empty() || rest.starts_with('/')))
    };
    let page = attr("data-page").filter(on_origin);
    // The id is checked again here: it is used in an API path.
    let payment = attr("data-payment").filter(|p| valid_id(p));
    let esia = attr("data-esia").as_deref() == Some("1");
    StartOptions { parent_origin, page, payment, esia }
}

/// The frame's options from the /embed page's element.
pub fn frame_options(host: &web_sys::HtmlElement) -> StartOptions {
    parse_frame_options(|name| host.get_attribute(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAYMENT: &str = payments::RETURN_PARAM;
    const ESIA: &str = esia::RETURN_PARAM;

    #[test]
    fn the_return_parameter_is_taken_off_and_nothing_else() {
        assert_eq!(
            split_href("https://company.ru/cabinet?a=1&kabinet_payment=p-1&b=%20c+d#top", PAYMENT),
            ("https://company.ru/cabinet?a=1&b=%20c+d".into(), "#top".into(), Some("p-1".into()))
        );
        assert_eq!(
            split_href("https://company.ru/cabinet?kabinet_payment=p-1", PAYMENT),
            ("https://company.ru/cabinet".into(), String::new(), Some("p-1".into()))
        );
        assert_eq!(split_href("https://company.ru/", PAYMENT), ("https://company.ru/".into(), String::new(), None));
        assert_eq!(
            split_href("https://company.ru/?x=1#a?kabinet_payment=2", PAYMENT),
            ("https://company.ru/?x=1".into(), "#a?kabinet_payment=2".into(), None)
        );
        // Twice: both go, the first is the one.
        assert_eq!(strip_param("kabinet_payment=a&kabinet_payment=b&q", PAYMENT), ("q".into(), Some("a".into())));
        // A look-alike name is the host page's own.
        assert_eq!(strip_param("kabinet_payments=a", PAYMENT), ("kabinet_payments=a".into(), None));
    }

    #[test]
    fn the_esia_marker_is_taken_off_the_same_way() {
        assert_eq!(
            split_href("https://company.ru/lk?a=1&kabinet_esia=1&b=%D0%B0+c#top", ESIA),
            ("https://company.ru/lk?a=1&b=%D0%B0+c".into(), "#top".into(), Some("1".into()))
        );
        assert_eq!(split_href("https://company.ru/lk?kabinet_esia=1", ESIA), ("https://company.ru/lk".into(), String::new(), Some("1".into())));
        // Without a value, the name alone still goes: it is ours, whatever it says.
        assert_eq!(strip_param("kabinet_esia&x", ESIA), ("x".into(), Some(String::new())));
        assert_eq!(strip_param("kabinet_esia_x=1&kabinet_payment=p", ESIA), ("kabinet_esia_x=1&kabinet_payment=p".into(), None));
        // Each name takes off only its own pair.
        assert_eq!(
            split_href("https://company.ru/lk?kabinet_payment=p-1&kabinet_esia=1", PAYMENT),
            ("https://company.ru/lk?kabinet_esia=1".into(), String::new(), Some("p-1".into()))
        );
    }

    #[test]
    fn return_addresses_carry_no_marker() {
        assert_eq!(page_of("https://company.ru/lk?a=1&kabinet_esia=1&kabinet_payment=p-1&b=2#x"), "https://company.ru/lk?a=1&b=2");
        assert_eq!(page_of("https://company.ru/lk"), "https://company.ru/lk");
        // What the shim builds comes back to exactly the page it was built from.
        assert_eq!(page_of(&esia::return_address("https://company.ru/lk?a=1#top")), "https://company.ru/lk?a=1");
    }

    #[test]
    fn only_web_addresses_are_navigable() {
        assert!(navigable("https://securepayments.sberbank.ru/payment/merchants/x"));
        assert!(navigable("https://esia.gosuslugi.ru/aas/oauth2/v2/ac?client_id=x"));
        assert!(navigable("HTTP://127.0.0.1:8089/pay"));
        assert!(!navigable("javascript:alert(1)"));
        assert!(!navigable("data:text/html,x"));
        assert!(!navigable("//evil.ru"));
        assert!(!navigable(""));
    }

    #[test]
    fn frame_options_are_read_and_checked() {
        let attrs = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned())
        };
        let all = parse_frame_options(attrs(&[
            ("data-parent-origin", "https://company.ru"),
            ("data-page", "https://company.ru/lk?a=1"),
            ("data-payment", "p-1"),
            ("data-esia", "1"),
        ]));
        assert_eq!(
            all,
            StartOptions {
                parent_origin: Some("https://company.ru".into()),
                page: Some("https://company.ru/lk?a=1".into()),
                payment: Some("p-1".into()),
                esia: true,
            }
        );
        assert_eq!(parse_frame_options(attrs(&[])), StartOptions::default());
        let odd = parse_frame_options(attrs(&[
            ("data-parent-origin", "https://company.ru"),
            ("data-page", "https://company.ru.evil.ru/"),
            ("data-payment", "<x>"),
            ("data-esia", "true"),
        ]));
        assert_eq!((odd.page, odd.payment, odd.esia), (None, None, false));
        // A page with no origin to check it against is not taken.
        assert_eq!(parse_frame_options(attrs(&[("data-page", "https://company.ru/")])).page, None);
        assert!(!parse_frame_options(attrs(&[("data-esia", "")])).esia);
    }
}
