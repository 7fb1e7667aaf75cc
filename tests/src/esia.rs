//! A browser on a trip to ESIA (Госуслуги), for the API tests and the bench: its two cookies
//! (the session's and the ESIA flow's), requests that follow no redirect by themselves, and the
//! steps a person takes — start, the simulated ESIA's page, the callback, the outcome.

use kabinet_api::esia::EsiaStarted;
use serde_json::json;

use crate::client::Resp;
use crate::env::{Env, SITE};

const FLOW: &str = "__Host-kabinet_esia";
const SESSION: &str = "__Host-kabinet_sid";
/// The simulated ESIA's persons.
pub const MARIA_OID: &str = "1000000001";
pub const SIDOROV_OID: &str = "1000000002";
pub const PETROV_UNVERIFIED_OID: &str = "1000000003";

/// One browser: its cookies, and requests that follow nothing by themselves.
pub struct EsiaBrowser {
    http: reqwest::Client,
    /// The shim as the browser knows it (`http://lk.company.localhost:PORT`) and on loopback.
    public: String,
    loopback: String,
    pub session: Option<String>,
    pub flow: Option<String>,
}

impl EsiaBrowser {
    pub fn new(env: &Env) -> EsiaBrowser {
        EsiaBrowser {
            http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap(),
            public: env.shim.url.clone(),
            loopback: env.shim.loopback.clone(),
            session: None,
            flow: None,
        }
    }

    /// The same browser's address, reachable from the test (no resolver for *.localhost).
    pub fn local(&self, url: &str) -> String {
        url.replacen(&self.public, &self.loopback, 1)
    }

    fn cookie_header(&self) -> String {
        let mut parts = Vec::new();
        if let Some(s) = &self.session {
            parts.push(format!("{SESSION}={s}"));
        }
        if let Some(f) = &self.flow {
            parts.push(format!("{FLOW}={f}"));
        }
        parts.join("; ")
    }

    pub async fn send(&mut self, req: reqwest::RequestBuilder) -> Resp {
        let cookies = self.cookie_header();
        let req = if cookies.is_empty() { req } else { req.header("cookie", cookies) };
        let r = req.send().await.expect("the shim answers");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        for c in headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()) {
            for (name, slot) in [(SESSION, &mut self.session), (FLOW, &mut self.flow)] {
                if let Some(rest) = c.strip_prefix(&format!("{name}=")) {
                    let value = rest.split(';').next().unwrap_or_default();
                    *slot = (!value.is_empty() && !c.contains("Max-Age=0")).then(|| value.to_owned());
                }
            }
        }
        let body = r.bytes().await.unwrap().to_vec();
        Resp { status, headers, body }
    }

    pub async fn api(&mut self, path: &str, body: serde_json::Value) -> Resp {
        let req = self
            .http
            .post(format!("{}/api/v1{path}", self.loopback))
            .header("origin", SITE)
            .header("content-type", "application/json")
            .body(body.to_string());
        self.send(req).await
    }

    pub async fn get(&mut self, url: &str) -> Resp {
        let req = self.http.get(self.local(url));
        self.send(req).await
    }

    /// «Войти через Госуслуги»: ESIA's login page address.
    pub async fn start(&mut self) -> String {
        let r = self.api("/auth/esia/start", json!({"return_to": format!("{SITE}/lk?tab=1")})).await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        r.json::<EsiaStarted>().url
    }

    /// On ESIA's page: the person's button (or «Отказать» for `None`); ESIA's redirect.
    pub async fn on_esia_page(&mut self, login_url: &str, oid: Option<&str>) -> String {
        let page = self.get(login_url).await;
        assert_eq!(page.status, 200, "{}", String::from_utf8_lossy(&page.body));
        let html = String::from_utf8(page.body).unwrap();
        let request = html.split("name=\"request\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
        let action = self.local(login_url.split('?').next().unwrap());
        let mut form = vec![("request", request)];
        match oid {
            Some(oid) => form.push(("oid", oid.to_owned())),
            None => form.push(("deny", "1".to_owned())),
        }
        let req = self.http.post(action).form(&form);
        let r = self.send(req).await;
        assert_eq!(r.status, 303, "{}", String::from_utf8_lossy(&r.body));
        r.header("location").unwrap().to_owned()
    }

    /// ESIA's redirect arrives at the shim; where the shim sends the browser next.
    pub async fn callback(&mut self, location: &str) -> Resp {
        self.get(location).await
    }

    pub async fn outcome(&mut self) -> Resp {
        self.api("/auth/esia/outcome", json!({})).await
    }

    /// The whole trip for `oid` up to the outcome.
    pub async fn trip(&mut self, oid: &str) -> Resp {
        let url = self.start().await;
        let location = self.on_esia_page(&url, Some(oid)).await;
        let back = self.callback(&location).await;
        assert_eq!(back.status, 303, "{}", String::from_utf8_lossy(&back.body));
        assert_eq!(back.header("location"), Some(format!("{SITE}/lk?tab=1&kabinet_esia=1").as_str()));
        self.outcome().await
    }
}
