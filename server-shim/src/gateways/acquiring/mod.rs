//! The `Acquirer` port: card payments on the bank's hosted page. Register an order for an
//! amount the shim computed, send the client to the bank's page, and learn what happened only
//! from a verified callback or a status query — never from the client's return (A26, A27).
//! Adapters: Sber (`sber.rs`, the legacy REST protocol) and Payler (`payler.rs`, the classic
//! gapi); a simulator of both protocols with its own payment page (`simulator.rs`) serves the
//! demo and the tests.

pub mod payler;
pub mod sber;
pub mod simulator;
mod transport;

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};

use crate::config::{AcquirerKind, Config, Mode};
use simulator::AcquiringSimulator;

/// Amount in kopecks.
pub type Kopecks = i64;

/// Which bank's protocol an adapter speaks; stored with every payment, since an order id is
/// unique only within one gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gateway {
    Sber,
    Payler,
}

impl Gateway {
    pub fn as_str(self) -> &'static str {
        match self {
            Gateway::Sber => "sber",
            Gateway::Payler => "payler",
        }
    }
}

/// An order to register. The amount comes from the ledger, never from the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    /// The shim's own unique order number (Sber `orderNumber`, Payler `order_id`): printable
    /// ASCII, at most 32 characters.
    pub order_number: String,
    pub amount: Kopecks,
    /// Shown on the bank's page, e.g. «Погашение по договору З-2026/0142»; at most 99 characters.
    pub description: String,
    /// Where the bank sends the client back after paying, and after a failure.
    pub return_url: String,
    pub fail_url: String,
    /// How long the payment page stays open.
    pub lifetime_secs: u32,
}

/// The order as the bank registered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    /// The bank's own id (Sber `orderId`, Payler `session_id`).
    pub gateway_order_id: String,
    /// The bank's payment page for this order; the client goes there as a top-level page.
    pub payment_url: String,
    /// The bank's answer as received, kept as evidence.
    pub raw: String,
}

/// Where a payment stands, as the bank says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentState {
    /// Registered, on the payment page, or being authenticated (3-DS): not paid yet.
    Pending,
    /// The money is taken (Sber `orderStatus` 2; Payler `Charged`).
    Paid,
    /// Refused by the bank or the card, or the page timed out.
    Declined,
    /// Authorized and then cancelled (Sber 3; Payler `Reversed`).
    Reversed,
    /// Paid, then refunded in full or in part (Sber 4; Payler `Refunded`).
    Refunded,
}

/// A status answer. `amount` is what the bank has for the order: the shim compares it with
/// what it registered before crediting anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderStatus {
    pub state: PaymentState,
    /// For a paid order, what was actually charged where the bank says so (Sber
    /// `paymentAmountInfo.depositedAmount`), else the order's amount.
    pub amount: Kopecks,
    /// The shop's order number as the bank has it, when the answer carries it.
    pub order_number: Option<String>,
    /// ISO 4217 (numeric or letters) when the answer carries it.
    pub currency: Option<String>,
    /// The bank's answer as received, kept as evidence.
    pub raw: String,
}

/// A callback whose signature checked out: only a trigger to query the status (A27).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackNotice {
    pub gateway_order_id: String,
    pub order_number: String,
    /// As the bank named it (`deposited`, `declinedByTimeout`…).
    pub operation: String,
    /// The bank's success flag for the operation.
    pub success: bool,
    /// The amount, when the bank's callback carries one (Sber may be set up to send it).
    pub amount: Option<Kopecks>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AcquirerError {
    /// The bank refused the request (its code and text): a duplicate order number, a bad
    /// amount, credentials it does not accept.
    #[error("the bank refused (code {code}): {message}")]
    Refused { code: String, message: String },
    /// The bank does not know this order.
    #[error("the bank does not know the order")]
    UnknownOrder,
    /// No answer in time, a 5xx, a connection failure: try again later.
    #[error("the bank cannot be reached: {0}")]
    Unavailable(String),
    /// An answer we cannot read.
    #[error("the bank's answer cannot be read: {0}")]
    Malformed(String),
}

/// Why a callback is not believed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    #[error("the callback has no checksum")]
    Unsigned,
    #[error("the callback's checksum does not match")]
    BadChecksum,
    #[error("the callback lacks {0}")]
    Missing(&'static str),
    /// This gateway sends no signed callbacks: the return and any notice are only triggers.
    #[error("this gateway sends no signed callbacks")]
    NotSupported,
}

/// Card payments through one bank. Every call is bounded by the adapter's timeout.
#[async_trait::async_trait]
pub trait Acquirer: Send + Sync {
    fn gateway(&self) -> Gateway;
    /// Registers an order and returns the bank's page for it.
    async fn register(&self, order: &NewOrder) -> Result<Registered, AcquirerError>;
    /// What the bank says about the order now.
    async fn status(&self, order_number: &str, gateway_order_id: &str) -> Result<OrderStatus, AcquirerError>;
    /// Returns `amount` of a paid order to the card.
    async fn refund(&self, order_number: &str, gateway_order_id: &str, amount: Kopecks) -> Result<(), AcquirerError>;
    /// Checks a callback's signature over its parameters (name → value, as received).
    fn verify_callback(&self, params: &[(String, String)]) -> Result<CallbackNotice, CallbackError>;
}

pub type DynAcquirer = Arc<dyn Acquirer>;

/// Where a simulated Sber sends its callbacks: the shim's own callback route.
pub const CALLBACK_PATH_SBER: &str = "/callbacks/acquiring/sber";
/// The callback key the simulator signs with when none is configured (demo and test only).
pub const SIMULATOR_CALLBACK_KEY: &str = "kabinet-sim-callback-key";

/// The simulator's protocol runs on loopback, where the shim reaches it; the browser reaches
/// its pages through the shim's own origin. Payler builds the page's address from the API's
/// base URL, so the simulated page is moved to where the browser can open it.
struct SimulatedPages {
    inner: DynAcquirer,
    loopback: String,
    public: String,
}

#[async_trait::async_trait]
impl Acquirer for SimulatedPages {
    fn gateway(&self) -> Gateway {
        self.inner.gateway()
    }
    async fn register(&self, order: &NewOrder) -> Result<Registered, AcquirerError> {
        let mut r = self.inner.register(order).await?;
        if let Some(rest) = r.payment_url.strip_prefix(&self.loopback) {
            r.payment_url = format!("{}{rest}", self.public);
        }
        Ok(r)
    }
    async fn status(&self, order_number: &str, gateway_order_id: &str) -> Result<OrderStatus, AcquirerError> {
        self.inner.status(order_number, gateway_order_id).await
    }
    async fn refund(&self, order_number: &str, gateway_order_id: &str, amount: Kopecks) -> Result<(), AcquirerError> {
        self.inner.refund(order_number, gateway_order_id, amount).await
    }
    fn verify_callback(&self, params: &[(String, String)]) -> Result<CallbackNotice, CallbackError> {
        self.inner.verify_callback(params)
    }
}

/// The configured bank's adapter; with `gateway = "simulator"`, the configured protocol's real
/// adapter against a loopback simulator, whose payment pages the browser reaches at
/// `{public_url}/__sim/acquiring` and whose Sber callbacks go to `callback_root` (the shim's
/// own listener).
pub async fn build(config: &Config, callback_root: &str) -> anyhow::Result<(DynAcquirer, Option<AcquiringSimulator>)> {
    let p = &config.payments;
    let secret = |s: &SecretString| SecretString::from(s.expose_secret().to_owned());
    match p.gateway {
        AcquirerKind::Simulator => {
            // Config::validate refuses this already; checked again for hand-built configs.
            anyhow::ensure!(config.mode != Mode::Production, "production mode refuses the payment simulator");
            let sim = AcquiringSimulator::new();
            let root = sim.serve_loopback().await?;
            sim.set_public_base(&format!("{}{}", config.public_url.trim_end_matches('/'), simulator::MOUNT));
            let key = if p.sber_callback_key.expose_secret().is_empty() {
                SIMULATOR_CALLBACK_KEY.to_owned()
            } else {
                p.sber_callback_key.expose_secret().to_owned()
            };
            sim.set_sber_callback(&format!("{}{CALLBACK_PATH_SBER}", callback_root.trim_end_matches('/')), &key);
            let inner: DynAcquirer = match p.simulator_protocol {
                AcquirerKind::Payler => Arc::new(payler::PaylerAcquirer::new(
                    &AcquiringSimulator::payler_base_url(&root),
                    SecretString::from(simulator::PAYLER_KEY),
                    SecretString::from(simulator::PAYLER_PASSWORD),
                    p.timeout_secs,
                )?),
                _ => Arc::new(sber::SberAcquirer::new(
                    &AcquiringSimulator::sber_base_url(&root),
                    sber::SberAuth::Password {
                        user_name: simulator::SBER_USER_NAME.to_owned(),
                        password: SecretString::from(simulator::SBER_PASSWORD),
                    },
                    SecretString::from(key),
                    p.timeout_secs,
                )?),
            };
            let adapter = Arc::new(SimulatedPages { inner, loopback: root, public: config.public_url.trim_end_matches('/').to_owned() });
            Ok((adapter, Some(sim)))
        }
        AcquirerKind::Sber => {
            let base = if p.base_url.is_empty() { sber::SberAcquirer::PROD_BASE_URL } else { p.base_url.as_str() };
            let auth = if p.sber_token.expose_secret().is_empty() {
                sber::SberAuth::Password { user_name: p.sber_user_name.clone(), password: secret(&p.sber_password) }
            } else {
                sber::SberAuth::Token(secret(&p.sber_token))
            };
            Ok((Arc::new(sber::SberAcquirer::new(base, auth, secret(&p.sber_callback_key), p.timeout_secs)?), None))
        }
        AcquirerKind::Payler => {
            let base = if p.base_url.is_empty() { payler::PaylerAcquirer::PROD_BASE_URL } else { p.base_url.as_str() };
            Ok((
                Arc::new(payler::PaylerAcquirer::new(base, secret(&p.payler_key), secret(&p.payler_password), p.timeout_secs)?),
                None,
            ))
        }
    }
}
