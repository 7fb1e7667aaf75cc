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
