//! host-demo: a sample company website that pastes the kabinet snippet as a web admin would,
//! served on its own origin so cross-origin problems show up in development and tests.

use std::path::PathBuf;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// Where the pages come from and which shim they embed.
#[derive(Clone, Debug)]
pub struct Site {
    /// Origin of the shim the snippet points at, e.g. `http://lk.company.localhost:8080`.
    pub kabinet_url: String,
    /// Another origin serving these same pages; the foreign-messages page frames it.
    pub foreign_url: String,
    pub root: PathBuf,
}

impl Site {
    pub fn new(kabinet_url: impl Into<String>, foreign_url: impl Into<String>) -> Self {
        Site {
            kabinet_url: kabinet_url.into(),
            foreign_url: foreign_url.into(),
            root: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("site"),
        }
    }
}

#[derive(serde::Deserialize)]
struct PageQuery {
    mode: Option<String>,
    /// `strict`: the page sends a CSP that allows the loader's origin but not WebAssembly,
    /// as many hardened sites do.
    csp: Option<String>,
}

pub fn router(site: Site) -> Router {
    Router::new()
        .route("/", get(|s: State<Site>, q: Query<PageQuery>| page(s, Path("index".to_owned()), q)))
        .route("/{page}", get(page))
        .with_state(site)
}

async fn page(State(site): State<Site>, Path(name): Path<String>, Query(q): Query<PageQuery>) -> Response {
    if let Some(content_type) = static_type(&name) {
        return match std::fs::read_to_string(site.root.join(&name)) {
            Ok(body) => ([(header::CONTENT_TYPE, content_type)], body).into_response(),
            Err(_) => StatusCode::NOT_FOUND.into_response(),
        };
    }
    if !name.chars().all(|c| c.is_ascii_lowercase() || c == '-') {
        return StatusCode::NOT_FOUND.into_response();
    }
    let Ok(template) = std::fs::read_to_string(site.root.join(format!("{name}.html"))) else {
        return (StatusCode::NOT_FOUND, Html("<h1>Страница не найдена</h1>")).into_response();
    };
    let mode = if q.mode.as_deref() == Some("inline") { "inline" } else { "frame" };
    // The site's header and footer are shared by every page, as on any real site.
    let part = |name: &str| std::fs::read_to_string(site.root.join(name)).unwrap_or_default();
    let html = template
        .replace("{{HEADER}}", &part("header.part"))
        .replace("{{FOOTER}}", &part("footer.part"))
        .replace("{{SMS_SIM}}", &part("sms-sim.part"))
        .replace("{{KABINET_URL}}", &site.kabinet_url)
        .replace("{{FOREIGN_URL}}", &site.foreign_url)
        .replace("{{MODE}}", mode);
    let mut res = Html(html).into_response();
    if q.csp.as_deref() == Some("strict") {
        let policy = format!("script-src 'self' {}; object-src 'none'", site.kabinet_url);
        if let Ok(v) = header::HeaderValue::from_str(&policy) {
            res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
        }
    }
    res
}

/// The site's static files, by exact name (nothing else is read from disk as-is). The SMS
/// panel's script is a file, not inline, so the strict-CSP variant of a page runs it too.
fn static_type(name: &str) -> Option<&'static str> {
    match name {
        "site.css" => Some("text/css; charset=utf-8"),
        "sms-sim.js" => Some("text/javascript; charset=utf-8"),
        _ => None,
    }
}

/// Serves the site until the future resolves.
pub async fn serve(listener: tokio::net::TcpListener, site: Site, shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
    axum::serve(listener, router(site)).with_graceful_shutdown(shutdown).await?;
    Ok(())
}
