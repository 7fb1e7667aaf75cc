//! The `SmsSender` port: send one text to one Russian mobile and get the provider's message id
//! back (it is legal evidence later). Adapters: SMS.ru and SMSC, speaking their real HTTP
//! protocols; a simulator of both protocols runs on loopback in demo and test modes.

use std::net::IpAddr;
use std::sync::Arc;

use kabinet_api::{ErrorCode, Phone};

/// One SMS to send.
#[derive(Debug, Clone)]
pub struct SmsMessage {
    pub phone: Phone,
    pub text: String,
    /// The end user's IP, which SMS.ru takes for its own anti-fraud checks.
    pub client_ip: Option<IpAddr>,
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

/// Why a message was not accepted. Messages are for logs and staff, never shown to clients.
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
}

/// A shared sender.
pub type DynSmsSender = Arc<dyn SmsSender>;
