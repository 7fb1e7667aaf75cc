//! The `SmsSender` port: send one text to one Russian mobile and get the provider's message id
//! back, then ask whether that message was delivered (both answers, kept raw, are legal evidence
//! of a signature). Adapters: SMS.ru and SMSC, speaking their real HTTP protocols; a simulator
//! of both protocols runs on loopback in demo and test modes.

use std::net::IpAddr;
use std::sync::Arc;

use kabinet_api::{ErrorCode, Phone};

/// One SMS to send. Its Debug output leaves the text out: texts carry codes.
#[derive(Clone)]
pub struct SmsMessage {
    pub phone: Phone,
    pub text: String,
    /// The end user's IP, which SMS.ru takes for its own anti-fraud checks.
    pub client_ip: Option<IpAddr>,
}

impl std::fmt::Debug for SmsMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsMessage")
            .field("phone", &self.phone.masked())
            .field("text", &format_args!("[{} characters]", self.text.chars().count()))
            .field("client_ip", &self.client_ip)
            .finish()
    }
}

/// What the provider said when it accepted the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsReceipt {
    /// `smsru` or `smsc`.
    pub provider: &'static str,
    /// The provider's own id of the message.
    pub message_id: String,
    /// The provider's answer exactly as received, kept as evidence.
    pub raw_response: String,
}

/// Where a sent message stands, in the provider-neutral terms the evidence and staff read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryState {
    /// Accepted by the provider, not yet handed to an operator.
    Queued,
    /// Handed to the mobile operator, or on its way to the phone.
    Sent,
    /// Delivered to the phone. SMSC's "read" and "link clicked" land here too: both come after
    /// delivery, and `SmsStatus::code` keeps which one it was.
    Delivered,
    /// Will never be delivered: expired, rejected, stopped, no route, unavailable number.
    Undelivered,
    /// The provider knows no such message (SMSC: no such id for this phone).
    NotFound,
    /// A code this adapter does not know; `SmsStatus::code` and the raw answer say which.
    Unknown,
}

impl DeliveryState {
    /// Whether the provider will report nothing new about the message. `NotFound` and `Unknown`
    /// are not: a provider may index a message a moment after accepting it, and an unknown code
    /// may be a new intermediate state; whoever polls bounds its own attempts.
    pub fn is_final(self) -> bool {
        matches!(self, DeliveryState::Delivered | DeliveryState::Undelivered)
    }

    /// A stable machine name for storage (`not_found`, not Debug's `NotFound`).
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Queued => "queued",
            DeliveryState::Sent => "sent",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Undelivered => "undelivered",
            DeliveryState::NotFound => "not_found",
            DeliveryState::Unknown => "unknown",
        }
    }

    /// The state as the evidence package and staff read it.
    pub fn title_ru(self) -> &'static str {
        match self {
            DeliveryState::Queued => "в очереди",
            DeliveryState::Sent => "передано оператору",
            DeliveryState::Delivered => "доставлено",
            DeliveryState::Undelivered => "не доставлено",
            DeliveryState::NotFound => "не найдено",
            DeliveryState::Unknown => "неизвестно",
        }
    }
}

/// What the provider said about a sent message when asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsStatus {
    pub state: DeliveryState,
    /// The provider's own code (SMS.ru: the message's `status_code`; SMSC: `status`), kept
    /// because `state` merges several of them.
    pub code: i64,
    /// The provider's answer exactly as received, kept as evidence.
    pub raw_response: String,
}

/// Why a message was not accepted, or its status not obtained. Messages are for logs and staff,
/// never shown to clients.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmsError {
    /// The provider refused the number itself.
    #[error("the provider refused the phone number (code {code}): {message}")]
    BadPhone { code: i64, message: String },
    /// Our account cannot send: no funds, bad credentials, blocked IP.
    #[error("the SMS account cannot send (code {code}): {message}")]
    Account { code: i64, message: String },
    /// The provider limits us for now.
    #[error("the provider is rate limiting (code {code}): {message}")]
    RateLimited { code: i64, message: String },
    /// Any other error code the provider answered with.
    #[error("the provider refused the message (code {code}): {message}")]
    Refused { code: i64, message: String },
    /// HTTP status other than 200.
    #[error("the provider answered HTTP {0}")]
    Http(u16),
    /// No answer within the configured time.
    #[error("the provider did not answer within {0} s")]
    Timeout(u64),
    /// Connection refused, reset, DNS, TLS.
    #[error("the provider cannot be reached: {0}")]
    Transport(String),
    /// An answer we cannot read.
    #[error("the provider's answer cannot be read: {0}")]
    Malformed(String),
}

impl SmsError {
    /// The code a client sees: a refused number is the client's to fix; everything else is ours.
    pub fn client_code(&self) -> ErrorCode {
        match self {
            SmsError::BadPhone { .. } => ErrorCode::InvalidPhone,
            _ => ErrorCode::SmsUnavailable,
        }
    }
}

/// Sends SMS. Implementations must bound every call by their timeout.
#[async_trait::async_trait]
pub trait SmsSender: Send + Sync {
    /// `smsru` or `smsc`.
    fn provider(&self) -> &'static str;
    async fn send(&self, message: &SmsMessage) -> Result<SmsReceipt, SmsError>;
    /// Where the message `message_id`, sent to `phone`, stands now. SMSC finds a message only by
    /// the phone and id together, so both are asked for. A message the provider does not know is
    /// an answer (`DeliveryState::NotFound`), not an error.
    async fn status(&self, message_id: &str, phone: &Phone) -> Result<SmsStatus, SmsError>;
}

/// A shared sender.
pub type DynSmsSender = Arc<dyn SmsSender>;

pub mod simulator;
pub mod smsc;
pub mod smsru;


use secrecy::{ExposeSecret, SecretString};

use crate::config::{Config, Mode, SmsProvider};
use simulator::SmsSimulator;

/// Builds the configured sender. With `sms = "simulator"` the real adapter of
/// `sms_simulator_protocol` runs against a loopback simulator started here, so demo and tests
/// exercise the same request and parsing code as production; the simulator is returned for
/// mounting its inspection router.
pub async fn build(config: &Config) -> anyhow::Result<(DynSmsSender, Option<SmsSimulator>)> {
    let g = &config.gateways;
    match g.sms {
        SmsProvider::Simulator => {
            // Config::validate refuses this already; checked again because Config's fields are
            // public and a hand-built Config never passes through validate.
            anyhow::ensure!(config.mode != Mode::Production, "production mode refuses the SMS simulator");
            let sim = SmsSimulator::start().await?;
            let key = if g.sms_api_key.expose_secret().is_empty() {
                SecretString::from("demo")
            } else {
                g.sms_api_key.clone()
            };
            let sender = adapter(g.sms_simulator_protocol, &sim.base_url(g.sms_simulator_protocol), key, config)?;
            Ok((sender, Some(sim)))
        }
        provider => {
            let base = if g.sms_base_url.is_empty() {
                match provider {
                    SmsProvider::Smsc => smsc::Smsc::DEFAULT_BASE_URL,
                    _ => smsru::SmsRu::DEFAULT_BASE_URL,
                }
            } else {
                g.sms_base_url.as_str()
            };
            Ok((adapter(provider, base, g.sms_api_key.clone(), config)?, None))
        }
    }
}

fn adapter(provider: SmsProvider, base_url: &str, key: SecretString, config: &Config) -> anyhow::Result<DynSmsSender> {
    let g = &config.gateways;
    Ok(match provider {
        SmsProvider::Smsc => Arc::new(smsc::Smsc::new(base_url, &g.sms_login, key, &g.sms_sender, g.sms_timeout_secs)?),
        SmsProvider::Smsru => Arc::new(smsru::SmsRu::new(base_url, key, &g.sms_sender, g.sms_timeout_secs)?),
        SmsProvider::Simulator => anyhow::bail!("the simulator is not a protocol; choose smsru or smsc"),
    })
}

/// A provider's base URL, checked once at start so a typo fails the start, not the first SMS.
fn endpoint(base_url: &str, path: &str) -> anyhow::Result<String> {
    let base = base_url.trim_end_matches('/');
    let url = url::Url::parse(base).map_err(|e| anyhow::anyhow!("SMS base URL {base:?}: {e}"))?;
    anyhow::ensure!(matches!(url.scheme(), "http" | "https"), "SMS base URL {base:?} must be http(s)");
    Ok(format!("{base}{path}"))
}

// SMS.ru answers a redirected (form-less) POST with 210 and SMSC with a parameter error.
use crate::gateways::form_client as http_client;

/// One send as both providers take it: post the form, read the message id out of a 200
/// answer with `parse`, keep the raw answer as evidence, log one line.
async fn send_form(
    provider: &'static str,
    client: &reqwest::Client,
    url: &str,
    form: &[(&'static str, String)],
    timeout_secs: u64,
    phone: &Phone,
    parse: impl FnOnce(&str) -> Result<String, SmsError>,
) -> Result<SmsReceipt, SmsError> {
    let result = async {
        let body = answer_body(client.post(url).form(form), timeout_secs).await?;
        let message_id = parse(&body)?;
        Ok(SmsReceipt { provider, message_id, raw_response: body })
    }
    .await;
    log_send(provider, phone, &result);
    result
}

/// One status query as both providers take it: send `request`, read the state and the
/// provider's code out of a 200 answer with `parse`, keep the raw answer as evidence, log one
/// line.
async fn query_status(
    provider: &'static str,
    request: reqwest::RequestBuilder,
    timeout_secs: u64,
    message_id: &str,
    phone: &Phone,
    parse: impl FnOnce(&str) -> Result<(DeliveryState, i64), SmsError>,
) -> Result<SmsStatus, SmsError> {
    let result = async {
        let body = answer_body(request, timeout_secs).await?;
        let (state, code) = parse(&body)?;
        Ok(SmsStatus { state, code, raw_response: body })
    }
    .await;
    match &result {
        Ok(status) => tracing::info!(
            provider,
            message_id,
            phone = %phone.masked(),
            state = status.state.as_str(),
            code = status.code,
            "sms status"
        ),
        Err(error) => tracing::warn!(provider, message_id, phone = %phone.masked(), %error, "sms status not obtained"),
    }
    result
}

/// Sends a request and returns the body of a 200 answer, mapping everything else to `SmsError`.
async fn answer_body(request: reqwest::RequestBuilder, timeout_secs: u64) -> Result<String, SmsError> {
    let response = request.send().await.map_err(|e| transport_error(e, timeout_secs))?;
    let status = response.status();
    if status != reqwest::StatusCode::OK {
        return Err(SmsError::Http(status.as_u16()));
    }
    // The total timeout also covers a body that trickles in.
    let bytes = response.bytes().await.map_err(|e| transport_error(e, timeout_secs))?;
    String::from_utf8(bytes.to_vec()).map_err(|_| SmsError::Malformed("the answer is not UTF-8".into()))
}

fn transport_error(mut e: reqwest::Error, timeout_secs: u64) -> SmsError {
    if e.is_timeout() {
        return SmsError::Timeout(timeout_secs);
    }
    // reqwest names the URL in its errors, and SMSC's status query carries the password in the
    // query string; the error ends up in logs and in the evidence, so the query goes.
    if let Some(url) = e.url_mut() {
        url.set_query(None);
    }
    SmsError::Transport(crate::gateways::error_chain(&e))
}

/// One line per send: provider, message id and the masked number, never the text (it holds
/// the code) and never the number in full.
fn log_send(provider: &'static str, phone: &Phone, result: &Result<SmsReceipt, SmsError>) {
    match result {
        Ok(receipt) => {
            tracing::info!(provider, message_id = %receipt.message_id, phone = %phone.masked(), "sms sent");
        }
        Err(error) => tracing::warn!(provider, phone = %phone.masked(), %error, "sms not sent"),
    }
}


/// Providers document numbers but have been seen sending them as strings; take both.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(untagged)]
enum Loose {
    Int(i64),
    Text(String),
}

impl Loose {
    fn as_i64(&self) -> Option<i64> {
        match self {
            Loose::Int(n) => Some(*n),
            Loose::Text(s) => s.trim().parse().ok(),
        }
    }

    fn into_text(self) -> String {
        match self {
            Loose::Int(n) => n.to_string(),
            Loose::Text(s) => s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [DeliveryState; 6] = [
        DeliveryState::Queued,
        DeliveryState::Sent,
        DeliveryState::Delivered,
        DeliveryState::Undelivered,
        DeliveryState::NotFound,
        DeliveryState::Unknown,
    ];

    #[test]
    fn only_delivered_and_undelivered_are_final() {
        let finals: Vec<_> = ALL.into_iter().filter(|s| s.is_final()).collect();
        assert_eq!(finals, [DeliveryState::Delivered, DeliveryState::Undelivered]);
    }

    #[test]
    fn states_have_russian_titles_and_stable_names() {
        let titles: Vec<_> = ALL.into_iter().map(DeliveryState::title_ru).collect();
        assert_eq!(
            titles,
            ["в очереди", "передано оператору", "доставлено", "не доставлено", "не найдено", "неизвестно"]
        );
        let names: Vec<_> = ALL.into_iter().map(DeliveryState::as_str).collect();
        assert_eq!(names, ["queued", "sent", "delivered", "undelivered", "not_found", "unknown"]);
    }
}
