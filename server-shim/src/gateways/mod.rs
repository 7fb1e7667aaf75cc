//! Ports to the outside world, one trait per capability, each with real adapters and a
//! loopback simulator of the same protocol for demo and tests.

pub mod acquiring;
pub mod esia;
pub mod sms;

/// An error with its causes, for logs and staff: reqwest's own message is only "error
/// sending request"; the cause (refused, reset, certificate unknown) is in the source chain.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// One HTTP client per adapter of a form-posting provider (SMS, banks). Redirects are not
/// followed: a redirected POST turns into a GET without its form, which providers answer with
/// a confusing error; the 3xx itself names the real problem (a wrong base URL).
pub fn form_client(timeout_secs: u64) -> anyhow::Result<reqwest::Client> {
    let total = std::time::Duration::from_secs(timeout_secs.max(1));
    Ok(reqwest::Client::builder()
        .timeout(total)
        .connect_timeout(total.min(std::time::Duration::from_secs(5)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("kabinet-shim/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

/// Serves a simulator's `router` at `mount` on 127.0.0.1 on a free port, in a background task
/// of the current runtime; returns the root URL (`http://127.0.0.1:PORT`). The shim's adapters
/// reach the simulators there, as they would reach the real service.
pub async fn serve_simulator(mount: &str, router: axum::Router, name: &'static str) -> std::io::Result<String> {
    let listener = tokio::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).await?;
    let addr = listener.local_addr()?;
    let app = axum::Router::new().nest(mount, router);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::warn!(error = %e, simulator = name, "a simulator stopped");
        }
    });
    Ok(format!("http://{addr}"))
}
