//! Loopback simulator of both acquiring protocols (Sber's legacy REST and Payler's classic gapi)
//! with its own payment page, for demo and tests: deterministic, scriptable (answer 503 or hang
//! on the next calls, silence callbacks, pay without a browser) and inspectable (orders, their
//! callbacks, the request count).
//!
//! The real adapters talk to it over HTTP exactly as to the banks, so demo and tests run the
//! production request and parsing code. Its `router()` is mounted at [`MOUNT`] by the shim.
//!
//! Test cards: `4111 1111 1111 1111` approves, `4000 0000 0000 0002` declines,
//! `4000 0000 0000 0077` leaves the payment hanging (3-DS never finishes) and still sends the
//! client to the success URL, as a real return proves nothing (A26).

mod page;
mod payler;
mod sber;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use super::{sber::checksum_hex, Gateway, Kopecks, PaymentState};

/// Where the shim mounts `router()`; payment page URLs are built under it.
pub const MOUNT: &str = "/__sim/acquiring";

/// Default credentials the simulator accepts; demo configuration passes the same to the
/// adapters.
pub const SBER_USER_NAME: &str = "kabinet-api";
pub const SBER_PASSWORD: &str = "kabinet-sim-password";
pub const SBER_TOKEN: &str = "kabinet-sim-token";
pub const PAYLER_KEY: &str = "kabinet-sim-key";
pub const PAYLER_PASSWORD: &str = "kabinet-sim-password";

/// The test cards, as printed on the page.
pub const CARD_APPROVE: &str = "4111 1111 1111 1111";
pub const CARD_DECLINE: &str = "4000 0000 0000 0002";
pub const CARD_HANG: &str = "4000 0000 0000 0077";

/// How many times a Sber callback is posted before the simulator gives up (as the real one).
const CALLBACK_ATTEMPTS: u32 = 3;

/// One order as the simulated bank holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimOrder {
    pub gateway: Gateway,
    /// Sber `mdOrder` / Payler `session_id`.
    pub gateway_order_id: String,
    /// Sber `orderNumber` / Payler `order_id`.
    pub order_number: String,
    pub amount: Kopecks,
    pub refunded: Kopecks,
    pub description: String,
    pub return_url: String,
    pub fail_url: String,
    pub state: PaymentState,
    /// A card was submitted and left hanging (Sber shows 5, Payler `Pending`, not `Created`).
    pub attempted: bool,
    /// Sber callbacks sent for this order, oldest first.
    pub callbacks: Vec<SimCallback>,
}

impl SimOrder {
    /// A freshly registered order: pending, nothing paid, refunded or sent yet.
    pub(super) fn registered(gateway: Gateway, gateway_order_id: String, order_number: &str, amount: Kopecks) -> SimOrder {
        SimOrder {
            gateway,
            gateway_order_id,
            order_number: order_number.to_owned(),
            amount,
            refunded: 0,
            description: String::new(),
            return_url: String::new(),
            fail_url: String::new(),
            state: PaymentState::Pending,
            attempted: false,
            callbacks: Vec::new(),
        }
    }
}

/// A Sber callback the simulator sent (or is still sending).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimCallback {
    pub operation: String,
    pub success: bool,
    /// The parameters as posted, checksum included.
    pub params: Vec<(String, String)>,
    pub attempts: u32,
    /// A 2xx answer arrived.
    pub delivered: bool,
}

/// Why `pay` did not take a card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PayError {
    #[error("no such order")]
    UnknownOrder,
    #[error("the order is no longer waiting for payment")]
    NotPayable,
    #[error("the card is not accepted")]
    CardNotAccepted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Fail,
    Hang,
}

/// The simulated banks. Cheap to clone; every clone shares one state.
#[derive(Clone)]
pub struct AcquiringSimulator {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<SimState>,
    http: reqwest::Client,
}

struct SimState {
    /// `https://lk.company.ru/__sim/acquiring` when set; otherwise page URLs are built from the
    /// request's Host header.
    public_base: Option<String>,
    sber_user_name: String,
    sber_password: String,
    sber_token: String,
    payler_key: String,
    payler_password: String,
    sber_callback: Option<(String, String)>,
    suppress_callbacks: bool,
    orders: Vec<SimOrder>,
    scripts: VecDeque<(Action, u32)>,
    requests: u64,
    next_id: u64,
}

impl std::fmt::Debug for AcquiringSimulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state();
        f.debug_struct("AcquiringSimulator")
            .field("orders", &state.orders.len())
            .field("requests", &state.requests)
            .finish_non_exhaustive()
    }
}

impl Default for AcquiringSimulator {
    fn default() -> Self {
        Self::new()
    }
}

impl AcquiringSimulator {
    pub fn new() -> AcquiringSimulator {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            // Only a broken TLS backend fails here; fall back to reqwest's defaults.
            .unwrap_or_default();
        AcquiringSimulator {
            shared: Arc::new(Shared {
                http,
                state: Mutex::new(SimState {
                    public_base: None,
                    sber_user_name: SBER_USER_NAME.into(),
                    sber_password: SBER_PASSWORD.into(),
                    sber_token: SBER_TOKEN.into(),
                    payler_key: PAYLER_KEY.into(),
                    payler_password: PAYLER_PASSWORD.into(),
                    sber_callback: None,
                    suppress_callbacks: false,
                    orders: Vec::new(),
                    scripts: VecDeque::new(),
                    requests: 0,
                    next_id: 1,
                }),
            }),
        }
    }

    /// The simulator's public root as the browser reaches it (`https://lk.company.ru/__sim/acquiring`),
    /// for payment page URLs behind a proxy that rewrites Host.
    pub fn set_public_base(&self, base: &str) {
        self.state().public_base = Some(base.trim_end_matches('/').to_owned());
    }

    pub fn set_sber_credentials(&self, user_name: &str, password: &str, token: &str) {
        let mut s = self.state();
        s.sber_user_name = user_name.into();
        s.sber_password = password.into();
        s.sber_token = token.into();
    }

    pub fn set_payler_credentials(&self, key: &str, password: &str) {
        let mut s = self.state();
        s.payler_key = key.into();
        s.payler_password = password.into();
    }

    /// Sber callbacks go to `url`, signed with `key` (HMAC-SHA256, as the real bank).
    pub fn set_sber_callback(&self, url: &str, key: &str) {
        self.state().sber_callback = Some((url.to_owned(), key.to_owned()));
    }

    pub fn suppress_callbacks(&self, suppress: bool) {
        self.state().suppress_callbacks = suppress;
    }

    /// The next `n` protocol calls answer HTTP 503.
    pub fn fail_next(&self, n: u32) {
        self.script(Action::Fail, n);
    }

    /// The next `n` protocol calls never answer.
    pub fn hang_next(&self, n: u32) {
        self.script(Action::Hang, n);
    }

    fn script(&self, action: Action, n: u32) {
        if n > 0 {
            self.state().scripts.push_back((action, n));
        }
    }

    /// Every order, oldest first.
    pub fn orders(&self) -> Vec<SimOrder> {
        self.state().orders.clone()
    }

    /// One order by the bank's id or by the shop's number.
    pub fn order(&self, id_or_number: &str) -> Option<SimOrder> {
        self.state()
            .orders
            .iter()
            .find(|o| o.gateway_order_id == id_or_number || o.order_number == id_or_number)
            .cloned()
    }

    /// Protocol calls received (the payment page not counted).
    pub fn requests(&self) -> u64 {
        self.state().requests
    }

    /// Sets an order's state without a card and without callbacks, e.g. to make a page time out.
    pub fn set_state(&self, id_or_number: &str, state: PaymentState) -> Result<(), PayError> {
        let mut s = self.state();
        let order = find_mut(&mut s.orders, id_or_number).ok_or(PayError::UnknownOrder)?;
        order.state = state;
        Ok(())
    }

    /// Changes what the bank has as an order's amount, as a bank (or someone between) that
    /// charged another figure than the shop registered: the shop must then credit nothing.
    pub fn set_amount(&self, id_or_number: &str, amount: Kopecks) -> Result<(), PayError> {
        let mut s = self.state();
        let order = find_mut(&mut s.orders, id_or_number).ok_or(PayError::UnknownOrder)?;
        order.amount = amount;
        Ok(())
    }

    /// Pays an order with a card as the payment page would, without a browser: returns the new
    /// state (Pending for the hanging card). Sends the Sber callback if one is configured.
    pub fn pay(&self, id_or_number: &str, card: &str) -> Result<PaymentState, PayError> {
        let digits: String = card.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
        let outcome = match digits.as_str() {
            "4111111111111111" => PaymentState::Paid,
            "4000000000000002" => PaymentState::Declined,
            "4000000000000077" => PaymentState::Pending,
            _ => return Err(PayError::CardNotAccepted),
        };
        let mut s = self.state();
        let order = find_mut(&mut s.orders, id_or_number).ok_or(PayError::UnknownOrder)?;
        if order.state != PaymentState::Pending {
            return Err(PayError::NotPayable);
        }
        order.state = outcome;
        order.attempted = true;
        // One-stage payments: the money is deposited at once, so the operation is `deposited`
        // and its status says whether it worked.
        let callback = match outcome {
            PaymentState::Paid => Some(("deposited", true)),
            PaymentState::Declined => Some(("deposited", false)),
            _ => None,
        };
        let gateway_order_id = order.gateway_order_id.clone();
        drop(s);
        if let Some((operation, success)) = callback {
            self.sber_callback(&gateway_order_id, operation, success);
        }
        Ok(outcome)
    }

    /// Marks an unpaid order as timed out, as the bank does when the page's lifetime ends.
    pub fn expire(&self, id_or_number: &str) -> Result<(), PayError> {
        let mut s = self.state();
        let order = find_mut(&mut s.orders, id_or_number).ok_or(PayError::UnknownOrder)?;
        if order.state != PaymentState::Pending {
            return Err(PayError::NotPayable);
        }
        order.state = PaymentState::Declined;
        let id = order.gateway_order_id.clone();
        drop(s);
        self.sber_callback(&id, "declinedByTimeout", true);
        Ok(())
    }

    /// The protocol endpoints, the payment pages; mount at [`MOUNT`].
    pub fn router(&self) -> Router {
        Router::new()
            .route("/sber/payment/rest/register.do", post(sber::register))
            .route("/sber/payment/rest/getOrderStatusExtended.do", post(sber::status))
            .route("/sber/payment/rest/refund.do", post(sber::refund))
            .route("/sber/pay", get(sber::page).post(sber::submit))
            .route("/payler/gapi/StartSession", post(payler::start_session))
            .route("/payler/gapi/GetAdvancedStatus", post(payler::status))
            .route("/payler/gapi/Refund", post(payler::refund))
            .route("/payler/gapi/Pay", get(payler::page).post(payler::submit))
            .with_state(self.clone())
    }

    /// Serves `router()` at [`MOUNT`] on 127.0.0.1 on a free port, in a background task of the
    /// current runtime; returns the root URL (`http://127.0.0.1:PORT`).
    pub async fn serve_loopback(&self) -> std::io::Result<String> {
        crate::gateways::serve_simulator(MOUNT, self.router(), "acquiring").await
    }

    /// The Sber adapter's base URL for a server root from `serve_loopback` or the shim's origin.
    pub fn sber_base_url(root: &str) -> String {
        format!("{}{MOUNT}/sber/payment/rest/", root.trim_end_matches('/'))
    }

    /// The Payler adapter's base URL (it appends `/gapi/...`).
    pub fn payler_base_url(root: &str) -> String {
        format!("{}{MOUNT}/payler", root.trim_end_matches('/'))
    }

    fn state(&self) -> MutexGuard<'_, SimState> {
        // A panic while holding the lock cannot leave the state half-changed in a way that
        // matters to a simulator; keep serving rather than failing every later request.
        self.shared.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts a protocol call and applies a queued script: `Err` is the response to give.
    async fn scripted(&self, gateway: Gateway) -> Result<(), Response> {
        let action = {
            let mut s = self.state();
            s.requests += 1;
            match s.scripts.front_mut() {
                None => None,
                Some((action, left)) => {
                    let action = *action;
                    *left -= 1;
                    if *left == 0 {
                        s.scripts.pop_front();
                    }
                    Some(action)
                }
            }
        };
        match action {
            None => Ok(()),
            Some(Action::Hang) => {
                // Longer than any adapter timeout; the connection closes when the client gives up.
                tokio::time::sleep(Duration::from_secs(3600)).await;
                Err(StatusCode::SERVICE_UNAVAILABLE.into_response())
            }
            // Payler has been seen answering 503 with an empty body; Sber's front is nginx.
            Some(Action::Fail) => Err(match gateway {
                Gateway::Payler => StatusCode::SERVICE_UNAVAILABLE.into_response(),
                Gateway::Sber => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [(header::CONTENT_TYPE, "text/html")],
                    "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>",
                )
                    .into_response(),
            }),
        }
    }

    /// A deterministic id: the n-th order of this simulator.
    fn next_id(&self, s: &mut SimState) -> u64 {
        let n = s.next_id;
        s.next_id += 1;
        n
    }

    /// The public root for page URLs.
    fn public_base(&self, headers: &HeaderMap) -> String {
        if let Some(base) = &self.state().public_base {
            return base.clone();
        }
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
        format!("http://{host}{MOUNT}")
    }

    /// Records and posts a Sber callback in the background, if configured and not suppressed.
    fn sber_callback(&self, gateway_order_id: &str, operation: &str, success: bool) {
        let mut s = self.state();
        let Some((url, key)) = s.sber_callback.clone() else { return };
        if s.suppress_callbacks {
            return;
        }
        let Some(order) =
            s.orders.iter_mut().find(|o| o.gateway == Gateway::Sber && o.gateway_order_id == gateway_order_id)
        else {
            return;
        };
        let mut params = vec![
            ("mdOrder".to_owned(), order.gateway_order_id.clone()),
            ("orderNumber".to_owned(), order.order_number.clone()),
            ("operation".to_owned(), operation.to_owned()),
            ("status".to_owned(), if success { "1" } else { "0" }.to_owned()),
            ("amount".to_owned(), order.amount.to_string()),
        ];
        params.push(("checksum".to_owned(), checksum_hex(key.as_bytes(), &params)));
        let index = order.callbacks.len();
        order.callbacks.push(SimCallback {
            operation: operation.to_owned(),
            success,
            params: params.clone(),
            attempts: 0,
            delivered: false,
        });
        drop(s);
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!("no runtime to post the simulated Sber callback from");
            return;
        };
        let sim = self.clone();
        let id = gateway_order_id.to_owned();
        runtime.spawn(async move {
            for attempt in 1..=CALLBACK_ATTEMPTS {
                let delivered = matches!(
                    sim.shared.http.post(&url).form(&params).send().await,
                    Ok(r) if r.status().is_success()
                );
                {
                    let mut s = sim.state();
                    if let Some(cb) = find_mut(&mut s.orders, &id).and_then(|o| o.callbacks.get_mut(index)) {
                        cb.attempts = attempt;
                        cb.delivered = delivered;
                    }
                }
                if delivered {
                    return;
                }
                // The real bank waits a minute; a simulator only needs the order of events.
                tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
            }
        });
    }
}

fn find_mut<'a>(orders: &'a mut [SimOrder], id_or_number: &str) -> Option<&'a mut SimOrder> {
    orders.iter_mut().find(|o| o.gateway_order_id == id_or_number || o.order_number == id_or_number)
}

/// `url` with `name=value` added to its query.
fn with_query(url: &str, name: &str, value: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            u.query_pairs_mut().append_pair(name, value);
            u.into()
        }
        Err(_) => {
            let sep = if url.contains('?') { '&' } else { '?' };
            format!("{url}{sep}{name}={value}")
        }
    }
}

/// A 303 to where the bank sends the client after the page.
fn see_other(location: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, location.to_owned())]).into_response()
}

/// Helpers for the adapters' tests against the simulator over real HTTP.
#[cfg(test)]
pub(crate) mod testkit {
    use super::*;
    use crate::gateways::acquiring::NewOrder;

    /// A simulator served on loopback, and its root URL.
    pub async fn start() -> (AcquiringSimulator, String) {
        let sim = AcquiringSimulator::new();
        let root = sim.serve_loopback().await.expect("bind loopback");
        (sim, root)
    }

    pub fn order(number: &str, amount: Kopecks) -> NewOrder {
        NewOrder {
            order_number: number.to_owned(),
            amount,
            description: "Погашение по договору З-2026/0142".to_owned(),
            return_url: "https://lk.example.ru/pay/return".to_owned(),
            fail_url: "https://lk.example.ru/pay/fail".to_owned(),
            lifetime_secs: 1200,
        }
    }

    pub fn browser() -> reqwest::Client {
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
    }

    /// Opens the payment page as a browser would and returns its HTML.
    pub async fn open_page(payment_url: &str) -> String {
        let res = browser().get(payment_url).send().await.unwrap();
        assert_eq!(res.status(), 200, "{payment_url}");
        res.text().await.unwrap()
    }

    /// Submits the card form for the order (`id_field` = `mdOrder` or `session_id`) to the
    /// page's URL, as the form's relative action does; returns the status, Location and body.
    pub async fn submit(payment_url: &str, id_field: &str, id: &str, card: &str) -> (u16, Option<String>, String) {
        let action = payment_url.split('?').next().unwrap();
        let form = [(id_field, id), ("card_number", card), ("expiry", "12/30"), ("cvc", "123")];
        let res = browser().post(action).form(&form).send().await.unwrap();
        let status = res.status().as_u16();
        let location = res.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
        (status, location, res.text().await.unwrap())
    }

    /// A callback endpoint on loopback: its URL and the forms posted to it, as received.
    pub async fn callback_receiver() -> (String, tokio::sync::mpsc::UnboundedReceiver<Vec<(String, String)>>) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let app = Router::new().route(
            "/callback",
            post(move |axum::extract::RawForm(body): axum::extract::RawForm| {
                let tx = tx.clone();
                async move {
                    let params: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
                    let _ = tx.send(params);
                    StatusCode::OK
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.ok() });
        (format!("http://{addr}/callback"), rx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_written_in_russian_style() {
        assert_eq!(page::rubles(150_000), "1 500,00");
        assert_eq!(page::rubles(5), "0,05");
        assert_eq!(page::rubles(123_456_789), "1 234 567,89");
    }

    #[test]
    fn page_text_is_escaped() {
        assert_eq!(page::escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }

    #[test]
    fn return_urls_keep_their_query() {
        assert_eq!(with_query("https://a.ru/r?x=1", "orderId", "o-1"), "https://a.ru/r?x=1&orderId=o-1");
        assert_eq!(with_query("https://a.ru/r", "orderId", "o-1"), "https://a.ru/r?orderId=o-1");
    }

    #[tokio::test]
    async fn scripts_queue_in_order_and_count_requests() {
        let sim = AcquiringSimulator::new();
        sim.fail_next(2);
        assert!(sim.scripted(Gateway::Sber).await.is_err());
        assert!(sim.scripted(Gateway::Payler).await.is_err());
        assert!(sim.scripted(Gateway::Sber).await.is_ok());
        assert_eq!(sim.requests(), 3);
        sim.fail_next(0);
        assert!(sim.scripted(Gateway::Sber).await.is_ok(), "0 queues nothing");
    }

    #[tokio::test]
    async fn pay_without_a_browser_and_set_state() {
        let (sim, root) = testkit::start().await;
        let form = [
            ("userName", SBER_USER_NAME),
            ("password", SBER_PASSWORD),
            ("orderNumber", "SIM-1"),
            ("amount", "1000"),
            ("returnUrl", "https://lk.example.ru/r"),
        ];
        let url = format!("{}register.do", AcquiringSimulator::sber_base_url(&root));
        let body: serde_json::Value =
            testkit::browser().post(&url).form(&form).send().await.unwrap().json().await.unwrap();
        let id = body["orderId"].as_str().unwrap().to_owned();
        assert!(body["formUrl"].as_str().unwrap().starts_with(&format!("{root}{MOUNT}/sber/pay?mdOrder=")), "{body}");
        assert!(body.get("errorCode").is_none(), "a successful register.do has no errorCode");

        assert_eq!(sim.pay("SIM-1", "4111 1111 1111 1110"), Err(PayError::CardNotAccepted));
        assert_eq!(sim.pay("nope", CARD_APPROVE), Err(PayError::UnknownOrder));
        assert_eq!(sim.pay(&id, CARD_APPROVE), Ok(PaymentState::Paid));
        assert_eq!(sim.pay(&id, CARD_APPROVE), Err(PayError::NotPayable));
        assert!(sim.order("SIM-1").unwrap().callbacks.is_empty(), "no callback URL configured");
        sim.set_state(&id, PaymentState::Reversed).unwrap();
        assert_eq!(sim.order(&id).unwrap().state, PaymentState::Reversed);
    }

    #[tokio::test]
    async fn an_expired_page_declines_and_announces_the_timeout() {
        let (sim, root) = testkit::start().await;
        let (url, mut received) = testkit::callback_receiver().await;
        sim.set_sber_callback(&url, "k");
        let form =
            [("token", SBER_TOKEN), ("orderNumber", "SIM-EXP"), ("amount", "100"), ("returnUrl", "https://a.ru/r")];
        let url = format!("{}register.do", AcquiringSimulator::sber_base_url(&root));
        testkit::browser().post(&url).form(&form).send().await.unwrap();
        sim.expire("SIM-EXP").unwrap();
        assert_eq!(sim.order("SIM-EXP").unwrap().state, PaymentState::Declined);
        let params = tokio::time::timeout(Duration::from_secs(5), received.recv()).await.unwrap().unwrap();
        let get = |n: &str| params.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        assert_eq!((get("operation"), get("status")), (Some("declinedByTimeout"), Some("1")));
        assert_eq!(sim.expire("SIM-EXP"), Err(PayError::NotPayable));
    }

    #[tokio::test]
    async fn payler_pay_opens_by_get_and_by_a_posted_session_id() {
        let (sim, root) = testkit::start().await;
        let form = [
            ("key", PAYLER_KEY),
            ("type", "OneStep"),
            ("order_id", "SIM-P-1"),
            ("amount", "250000"),
            ("product", "Паевой взнос"),
            ("return_url_success", "https://a.ru/ok"),
        ];
        let url = format!("{}/gapi/StartSession", AcquiringSimulator::payler_base_url(&root));
        let body: serde_json::Value =
            testkit::browser().post(&url).form(&form).send().await.unwrap().json().await.unwrap();
        let session = body["session_id"].as_str().unwrap().to_owned();
        assert_eq!((body["order_id"].as_str(), body["amount"].as_i64()), (Some("SIM-P-1"), Some(250_000)));
        let pay = format!("{}/gapi/Pay", AcquiringSimulator::payler_base_url(&root));
        let res = testkit::browser().post(&pay).form(&[("session_id", session.as_str())]).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        assert!(html.contains("2 500,00") && html.contains("Паевой взнос") && html.contains("name=\"session_id\""));
        assert!(html.contains("<label for=\"card_number\">Номер карты</label>"));
        // Without return_url_decline the simulator sends a decline back to the success URL.
        let (_, location, _) =
            testkit::submit(&format!("{pay}?session_id={session}"), "session_id", &session, CARD_DECLINE).await;
        assert_eq!(location.as_deref(), Some("https://a.ru/ok?order_id=SIM-P-1"));
        assert_eq!(sim.order("SIM-P-1").unwrap().state, PaymentState::Declined);
    }

    #[tokio::test]
    async fn unknown_payment_links_get_a_not_found_page() {
        let (_sim, root) = testkit::start().await;
        let res = testkit::browser().get(format!("{root}{MOUNT}/sber/pay?mdOrder=nope")).send().await.unwrap();
        assert_eq!(res.status(), 404);
        let res =
            testkit::browser().get(format!("{root}{MOUNT}/payler/gapi/Pay?session_id=nope")).send().await.unwrap();
        assert_eq!(res.status(), 404);
    }
}
