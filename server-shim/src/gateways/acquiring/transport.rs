//! HTTP plumbing shared by the acquiring adapters: one bounded client per adapter, one form
//! POST that maps transport failures to `AcquirerError`, and a reader for numbers that banks
//! send as strings or integers.


use super::AcquirerError;

/// A base URL checked once at construction, so a typo fails the start, not the first payment.
/// Returned without a trailing slash.
pub(super) fn base_url(what: &str, base: &str) -> anyhow::Result<String> {
    let base = base.trim().trim_end_matches('/');
    let url = url::Url::parse(base).map_err(|e| anyhow::anyhow!("{what} base URL {base:?}: {e}"))?;
    anyhow::ensure!(matches!(url.scheme(), "http" | "https"), "{what} base URL {base:?} must be http(s)");
    anyhow::ensure!(url.query().is_none(), "{what} base URL {base:?} must not carry a query");
    Ok(base.to_owned())
}

pub(super) use crate::gateways::form_client as http_client;

/// Posts a form and returns the HTTP status and the body as text. Only transport failures are
/// mapped here; what a status means is the protocol's business (Payler sends its error JSON
/// with a 4xx, Sber answers everything with a 200).
pub(super) async fn post_form(
    client: &reqwest::Client,
    url: &str,
    form: &[(&'static str, String)],
    timeout_secs: u64,
) -> Result<(u16, String), AcquirerError> {
    let response = client.post(url).form(form).send().await.map_err(|e| transport_error(&e, timeout_secs))?;
    let status = response.status().as_u16();
    // The total timeout also covers a body that trickles in.
    let bytes = response.bytes().await.map_err(|e| transport_error(&e, timeout_secs))?;
    let body =
        String::from_utf8(bytes.to_vec()).map_err(|_| AcquirerError::Malformed("the answer is not UTF-8".into()))?;
    Ok((status, body))
}

fn transport_error(e: &reqwest::Error, timeout_secs: u64) -> AcquirerError {
    if e.is_timeout() {
        return AcquirerError::Unavailable(format!("no answer within {timeout_secs} s"));
    }
    AcquirerError::Unavailable(crate::gateways::error_chain(e))
}


/// The first characters of a body for an error message: enough to recognise a proxy's HTML
/// page, never a whole answer in a log line.
pub(super) fn excerpt(body: &str) -> String {
    let mut s: String = body.chars().take(120).collect();
    if s.len() < body.len() {
        s.push('…');
    }
    s
}

/// Banks document numbers but have been seen sending them as strings; read both.
pub(super) fn loose_i64(value: &serde_json::Value) -> Option<i64> {
    match value {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

pub(super) fn loose_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
