//! A JSON API client as the widget is one: sends Origin and JSON, keeps the session cookie,
//! and reads SMS codes from the simulator as a person reads their phone.

use std::time::Duration;

use kabinet_api::{ApiError, ErrorCode, API_PREFIX};
use kabinet_shim::gateways::sms::simulator::SmsSimulator;
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

pub const COOKIE: &str = "__Host-kabinet_sid";

/// One HTTP answer, read whole.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{}: {e}: {}", self.status, String::from_utf8_lossy(&self.body)))
    }

    pub fn code(&self) -> ErrorCode {
        self.json::<ApiError>().code
    }

    pub fn retry_after(&self) -> Option<u32> {
        self.headers.get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Status plus error code, for assertions that read like the contract.
    pub fn err(&self) -> (u16, ErrorCode) {
        (self.status, self.code())
    }
}

/// A browser-like client of one shim.
#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub origin: String,
    /// The session token, when the shim has set one.
    pub token: Option<String>,
    /// Sent as X-Forwarded-For (for shims that trust loopback as a proxy).
    pub forwarded_for: Option<String>,
    http: reqwest::Client,
}

impl Client {
    pub fn new(base: &str, origin: &str) -> Client {
        Client {
            base: base.to_owned(),
            origin: origin.to_owned(),
            token: None,
            forwarded_for: None,
            http: reqwest::Client::builder().timeout(Duration::from_secs(60)).build().expect("client"),
        }
    }

    pub async fn post(&mut self, path: &str, body: &serde_json::Value) -> Resp {
        let req = self
            .http
            .post(format!("{}{API_PREFIX}{path}", self.base))
            .header("origin", &self.origin)
            .header("content-type", "application/json")
            .body(body.to_string());
        self.send(req).await
    }

    pub async fn get(&mut self, path: &str) -> Resp {
        let req = self.http.get(format!("{}{API_PREFIX}{path}", self.base)).header("origin", &self.origin);
        self.send(req).await
    }

    /// Sends a request built by the caller (for hostile ones), with the cookie.
    pub async fn send(&mut self, mut req: reqwest::RequestBuilder) -> Resp {
        if let Some(t) = &self.token {
            req = req.header("cookie", format!("{COOKIE}={t}"));
        }
        if let Some(ip) = &self.forwarded_for {
            req = req.header("x-forwarded-for", ip);
        }
        let r = req.send().await.expect("request reaches the shim");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        for c in headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()) {
            if let Some(rest) = c.strip_prefix(&format!("{COOKIE}=")) {
                let value = rest.split(';').next().unwrap_or_default();
                self.token = (!value.is_empty()).then(|| value.to_owned());
            }
        }
        let body = r.bytes().await.expect("body").to_vec();
        Resp { status, headers, body }
    }

    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, format!("{}{API_PREFIX}{path}", self.base))
    }
}

/// How many SMS the simulator holds for this number.
pub fn sms_count(sim: &SmsSimulator, phone: &str) -> usize {
    sim.messages().iter().filter(|m| m.phone == phone).count()
}

/// Waits (up to 10 s) for a new SMS to `phone` after `before` of them, and returns its code.
pub async fn next_code(sim: &SmsSimulator, phone: &str, before: usize) -> String {
    let _ = next_sms(sim, phone, before).await;
    sim.last_code_for(phone).expect("the SMS holds a code")
}

/// Waits (up to 10 s) for a new SMS to `phone` after `before` of them, and returns its text.
pub async fn next_sms(sim: &SmsSimulator, phone: &str, before: usize) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if sms_count(sim, phone) > before {
            return sim.messages().into_iter().rev().find(|m| m.phone == phone).expect("counted").text;
        }
        assert!(tokio::time::Instant::now() < deadline, "no SMS reached {phone} within 10 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
