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
    let body = format!(
        "<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"/kabinet.css\"></head>\
         <body class=\"kb-embed\"><div data-kabinet-embed data-api=\"{api}\" data-parent-origin=\"{origin}\" \
         data-lang=\"{lang}\"></div><script type=\"module\" src=\"/kabinet-embed.js\"></script></body></html>\n",
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
}
