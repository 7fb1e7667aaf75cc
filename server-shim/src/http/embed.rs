//! GET /embed: the page the loader puts in its iframe, under the shim's own strict CSP.

use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::{AppState, ClientIp};
use crate::audit::{AuditEntry, EventKind};
use crate::http::error::AppError;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct EmbedQuery {
    /// Origin of the host page, as `location.origin`; must be one of the allowed origins.
    origin: Option<String>,
    /// ru (default) or en.
    lang: Option<String>,
    /// The card payment the client has come back from the bank for (the host page's
    /// `kabinet_payment`); only `[A-Za-z0-9-]`, at most 64 characters, else ignored.
    payment: Option<String>,
    /// The host page to come back to from the bank or ESIA: an http(s) URL on `origin`, at most
    /// 2000 characters, else ignored.
    page: Option<String>,
    /// `1` when the client has come back from ESIA (the host page's `kabinet_esia`): the widget
    /// then asks how the sign-in ended. Any other value is ignored.
    esia: Option<String>,
}

/// The longest payment id and host page address /embed passes on.
const MAX_PAYMENT_ID: usize = 64;
const MAX_PAGE: usize = 2000;

/// A payment id as the widget may use it: plain letters, digits and dashes.
fn payment_id(id: &str) -> Option<&str> {
    let plain = !id.is_empty() && id.len() <= MAX_PAYMENT_ID && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    plain.then_some(id)
}

/// Whether the client has come back from ESIA: only the value the shim itself adds counts.
fn esia_return(flag: Option<&str>) -> bool {
    flag == Some("1")
}

/// The host page, normalised, when it is an http(s) address on `origin` (the allowed origin the
/// frame is opened for): the widget sends it as the payment's return address, so a page
/// anywhere else is dropped here rather than refused by the bank later.
fn host_page(page: &str, origin: &str) -> Option<String> {
    if page.len() > MAX_PAGE {
        return None;
    }
    let url = url::Url::parse(page).ok()?;
    let web = matches!(url.scheme(), "http" | "https");
    (web && url.origin().ascii_serialization() == origin && url.username().is_empty() && url.password().is_none())
        .then(|| url.as_str().to_owned())
        .filter(|s| s.len() <= MAX_PAGE)
}

/// The CSP of /embed: only the shim's own scripts (and WebAssembly), and only the
/// organisation's own pages may frame it.
pub fn embed_csp(allowed_origins: &[String]) -> String {
    format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors {}",
        allowed_origins.join(" ")
    )
}

/// Only the characters an origin or language code may contain reach the page; the values are
/// checked before this, so this is a second line.
fn attr(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_alphanumeric() || ":/.-[]".contains(*c)).collect()
}

/// The cabinet inside a frame for the host page `origin`.
#[utoipa::path(get, path = "/embed", tag = "widget", params(EmbedQuery),
    responses((status = 200, description = "HTML page with the widget", content_type = "text/html"),
              (status = 403, description = "origin not allowed", content_type = "text/html")))]
pub async fn embed_page(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Query(q): Query<EmbedQuery>,
) -> Result<Response, AppError> {
    let org = state.orgs().lookup();
    let csp = embed_csp(&org.allowed_origins);
    let lang = match q.lang.as_deref() {
        Some("en") => "en",
        Some("ru") => "ru",
        _ => org.language.as_str(),
    };
    let origin = q.origin.unwrap_or_default();
    if !org.allows_origin(&origin) {
        let body = format!(
            "<!doctype html><html lang=\"ru\"><head><meta charset=\"utf-8\"><title>Личный кабинет</title></head>\
             <body><p role=\"alert\">Этот сайт не подключён к личному кабинету {}. \
             Откройте кабинет со страницы организации.</p></body></html>",
            html_escape(&org.name)
        );
        let mut res = (StatusCode::FORBIDDEN, Html(body)).into_response();
        set_csp(&mut res, &csp);
        return Ok(res);
    }

    state
        .journal()
        .record(
            AuditEntry::new(EventKind::CabinetFrameOpened, &org.division)
                .ip(ip)
                .description(format!("Страница сайта: {origin}")),
        )
        .await?;

    let title = if lang == "en" { "Client account" } else { "Личный кабинет" };
    // Optional attributes, present only when valid; escaped although already checked.
    let mut extra = String::new();
    if let Some(id) = q.payment.as_deref().and_then(payment_id) {
        extra.push_str(&format!(" data-payment=\"{}\"", html_escape(id)));
    }
    if let Some(page) = q.page.as_deref().and_then(|p| host_page(p, &origin)) {
        extra.push_str(&format!(" data-page=\"{}\"", html_escape(&page)));
    }
    if esia_return(q.esia.as_deref()) {
        extra.push_str(" data-esia=\"1\"");
    }
    let body = format!(
        "<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"/kabinet.css\"></head>\
         <body class=\"kb-embed\"><div data-kabinet-embed data-api=\"{api}\" data-parent-origin=\"{origin}\" \
         data-lang=\"{lang}\"{extra}></div><script type=\"module\" src=\"/kabinet-embed.js\"></script></body></html>\n",
        api = attr(&state.config().public_url),
        origin = attr(&origin),
    );
    let mut res = Html(body).into_response();
    set_csp(&mut res, &csp);
    Ok(res)
}

fn set_csp(res: &mut Response, csp: &str) {
    if let Ok(v) = HeaderValue::from_str(csp) {
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// Text for HTML content or a quoted attribute: the five characters that could end either.
pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csp_lists_exactly_the_configured_origins() {
        let csp = embed_csp(&["https://company.ru".into(), "https://www.company.ru".into()]);
        assert!(csp.ends_with("frame-ancestors https://company.ru https://www.company.ru"));
        assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval';"));
        assert!(!csp.contains("unsafe-inline"));
    }

    #[test]
    fn attributes_cannot_break_out() {
        assert_eq!(attr("http://a.b:8000\"><script>"), "http://a.b:8000script");
    }

    #[test]
    fn payment_ids_are_plain() {
        assert_eq!(payment_id("pay-0f8fad5b-d9cb"), Some("pay-0f8fad5b-d9cb"));
        assert_eq!(payment_id(""), None);
        assert_eq!(payment_id("a\"b"), None);
        assert_eq!(payment_id("a b"), None);
        assert_eq!(payment_id(&"a".repeat(65)), None);
    }

    #[test]
    fn only_the_shims_own_esia_marker_counts() {
        assert!(esia_return(Some("1")));
        for other in [None, Some(""), Some("0"), Some("true"), Some("1 "), Some("11"), Some("1\"><script>")] {
            assert!(!esia_return(other), "{other:?}");
        }
    }

    #[test]
    fn host_pages_are_on_the_frames_origin_only() {
        let site = "https://company.ru";
        assert_eq!(host_page("https://company.ru/cabinet?x=1", site), Some("https://company.ru/cabinet?x=1".into()));
        assert_eq!(host_page("https://company.ru", site), Some("https://company.ru/".into()));
        // Quotes and angle brackets come out percent-encoded, never raw.
        let odd = host_page("https://company.ru/a\"b<c>?q=\"'<x>", site).unwrap();
        assert!(!odd.contains('"') && !odd.contains('<') && !odd.contains('>'), "{odd}");
        for bad in [
            "https://evil.ru/",
            "https://company.ru.evil.ru/",
            "https://company.ru:8443/",
            "http://company.ru/",
            "javascript:alert(1)",
            "https://user:pw@company.ru/",
            "/cabinet",
            "",
        ] {
            assert_eq!(host_page(bad, site), None, "{bad}");
        }
        assert_eq!(host_page(&format!("https://company.ru/{}", "a".repeat(2000)), site), None);
    }
}
