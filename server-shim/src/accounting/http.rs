//! `HttpAccounting`: the `Accounting` port over the published accounting contract
//! (docs/accounting-contract.md), for organisations whose own accounting system is the
//! system of record. Mutual TLS with the server's CA pinned, optional HMAC signatures, a
//! timeout per request and a few quick retries for reads only.

use std::path::Path;
use std::time::Duration;

use kabinet_api::cabinet::{
    ContributionsView, LoanDetail, LoansView, SavingsDetail, SavingsView,
};
use kabinet_api::Phone;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use time::Date;
use url::Url;

use super::contract::signature::{self, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use super::contract::{tls, ClientCard, ContractError, ContractErrorCode, LookupAnswer, LookupRequest};
use super::{Accounting, AccountingError, AttachmentFile, ClientRecord, FullName, NewAttachment};
use kabinet_api::cabinet::Application;
use kabinet_api::messages::Message;
use kabinet_api::requests::{ApplicationPreview, NewApplication, ProductsView};
use time::OffsetDateTime;
use crate::config::AccountingConfig;

/// Pause before retry n (1-based): 100 ms, 200 ms, 400 ms … A reader waits at most a second
/// or so for the link to come back; longer outages show the client a retry instead.
fn backoff(retry: u32) -> Duration {
    Duration::from_millis(100 << (retry - 1).min(4))
}

/// Whether a call may be repeated. Only reads are retried: a write repeated after a timeout
/// could happen twice (writes will carry an Idempotency-Key when they arrive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Read,
}

/// The adapter. Debug shows where it points, never the secret or the key.
pub struct HttpAccounting {
    http: reqwest::Client,
    base: Url,
    timeout: Duration,
    read_retries: u32,
    hmac: Option<SecretString>,
}

impl std::fmt::Debug for HttpAccounting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpAccounting")
            .field("base", &self.base.as_str())
            .field("timeout", &self.timeout)
            .field("read_retries", &self.read_retries)
            .field("signed", &self.hmac.is_some())
            .finish()
    }
}

/// What one attempt came to.
enum Attempt {
    Ok(Vec<u8>),
    /// The contract's own 404 `not_found`: the client or the object of this client is absent.
    Absent,
    /// Worth another try (reads only): timeout, no connection, 5xx.
    Transient(String),
    Failed(String),
}

impl HttpAccounting {
    /// From `[accounting]`; reads the certificate files now so a bad one stops the start.
    pub fn from_config(c: &AccountingConfig) -> anyhow::Result<HttpAccounting> {
        let base = Url::parse(&c.base_url).map_err(|e| anyhow::anyhow!("accounting.base_url: {e}"))?;
        anyhow::ensure!(matches!(base.scheme(), "http" | "https"), "accounting.base_url must be http(s)");
        anyhow::ensure!(
            base.username().is_empty() && base.password().is_none(),
            "accounting.base_url must not hold credentials"
        );
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("kabinet-shim/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(c.timeout_secs))
            // A redirect would send a signed request somewhere nobody configured.
            .redirect(reqwest::redirect::Policy::none())
            // The link goes straight to accounting: a proxy from the environment must not sit in it.
            .no_proxy();
        if base.scheme() == "https" {
            anyhow::ensure!(
                !c.server_ca_path.is_empty(),
                "accounting.server_ca_path is required with an https base_url"
            );
            let identity = (!c.client_cert_path.is_empty())
                .then(|| (Path::new(&c.client_cert_path), Path::new(&c.client_key_path)));
            builder = builder.use_preconfigured_tls(tls::client_config(Path::new(&c.server_ca_path), identity)?);
        }
        let http = builder.build().map_err(|e| anyhow::anyhow!("accounting HTTP client: {e}"))?;
        let hmac = (!c.hmac_secret.expose_secret().is_empty()).then(|| c.hmac_secret.clone());
        Ok(HttpAccounting {
            http,
            base,
            timeout: Duration::from_secs(c.timeout_secs),
            read_retries: c.read_retries,
            hmac,
        })
    }

    /// The URL of `/v1/<segments…>`, each segment percent-encoded (an id may hold `/` or `?`).
    fn url(&self, segments: &[&str], as_of: Option<Date>) -> Result<Url, AccountingError> {
        // The url crate drops "." and ".." segments instead of encoding them; such an id
        // would silently address another path, so it is refused.
        if segments.iter().any(|s| s.is_empty() || *s == "." || *s == "..") {
            return Err(AccountingError::Unavailable(
                "an id the accounting contract cannot carry (empty, . or ..)".into(),
            ));
        }
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|_| AccountingError::Unavailable("accounting.base_url cannot have a path".into()))?
            .pop_if_empty()
            .push("v1")
            .extend(segments);
        if let Some(day) = as_of {
            url.query_pairs_mut().append_pair("as_of", &day.to_string());
        }
        Ok(url)
    }

    /// Sends one call, retrying reads on transient failures; `Ok(None)` for the contract's 404.
    async fn call(
        &self,
        op: &str,
        kind: Kind,
        method: Method,
        url: Url,
        body: Vec<u8>,
    ) -> Result<Option<Vec<u8>>, AccountingError> {
        let attempts = 1 + match kind {
            Kind::Read => self.read_retries,
        };
        let mut last = String::new();
        for n in 0..attempts {
            if n > 0 {
                tokio::time::sleep(backoff(n)).await;
            }
            match self.attempt(&method, &url, &body).await {
                Attempt::Ok(bytes) => return Ok(Some(bytes)),
                Attempt::Absent => return Ok(None),
                Attempt::Failed(m) => return Err(AccountingError::Unavailable(format!("accounting {op}: {m}"))),
                Attempt::Transient(m) => {
                    tracing::debug!(op, attempt = n + 1, attempts, error = %m, "accounting call failed");
                    last = m;
                }
            }
        }
        Err(AccountingError::Unavailable(format!("accounting {op}: {last} (after {attempts} attempts)")))
    }

    async fn attempt(&self, method: &Method, url: &Url, body: &[u8]) -> Attempt {
        let mut req =
            self.http.request(method.clone(), url.clone()).timeout(self.timeout).header(ACCEPT, "application/json");
        if *method != Method::GET {
            req = req.header(CONTENT_TYPE, "application/json").body(body.to_vec());
        }
        if let Some(secret) = &self.hmac {
            // Signed per attempt: a retry carries a fresh timestamp.
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            let target = match url.query() {
                Some(q) => format!("{}?{q}", url.path()),
                None => url.path().to_owned(),
            };
            let sig = signature::sign(secret.expose_secret().as_bytes(), method.as_str(), &target, now, body);
            req = req.header(TIMESTAMP_HEADER, now.to_string()).header(SIGNATURE_HEADER, sig);
        }
        let res = match req.send().await {
            Ok(res) => res,
            Err(e) => return self.transport(e),
        };
        let status = res.status();
        let bytes = match read_capped(res).await {
            Ok(b) => b,
            Err(ReadError::Transport(e)) => return self.transport(e),
            Err(ReadError::TooLarge) => return Attempt::Failed(format!("the answer is over {MAX_ANSWER_BYTES} bytes")),
        };
        let code = serde_json::from_slice::<ContractError>(&bytes).ok().map(|e| e.code);
        match status {
            StatusCode::OK => Attempt::Ok(bytes),
            StatusCode::NOT_FOUND if code == Some(ContractErrorCode::NotFound) => Attempt::Absent,
            // Any other 404 is a wrong base_url or a proxy's page, not "absent": showing an
            // empty cabinet then would hide the fault.
            StatusCode::NOT_FOUND => {
                Attempt::Failed("HTTP 404 without the contract's not_found code (check accounting.base_url)".into())
            }
            StatusCode::UNAUTHORIZED => Attempt::Failed("accounting refused the shim's credentials (HTTP 401)".into()),
            s if s.is_server_error() => Attempt::Transient(format!("HTTP {}", s.as_u16())),
            s => Attempt::Failed(match code {
                Some(c) => format!("HTTP {} {c:?}", s.as_u16()),
                None => format!("HTTP {}", s.as_u16()),
            }),
        }
    }

    /// A transport error in words, without the URL (it holds client ids) and never a secret:
    /// reqwest's chain names the cause (refused, certificate unknown, timed out).
    fn transport(&self, e: reqwest::Error) -> Attempt {
        let transient = e.is_timeout() || e.is_connect();
        let message = if e.is_timeout() {
            format!("timed out after {} s", self.timeout.as_secs())
        } else {
            let e = e.without_url();
            let mut message = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                message.push_str(": ");
                message.push_str(&s.to_string());
                source = s.source();
            }
            message
        };
        if transient {
            Attempt::Transient(message)
        } else {
            Attempt::Failed(message)
        }
    }

    async fn get<T: DeserializeOwned>(
        &self,
        op: &str,
        segments: &[&str],
        as_of: Date,
    ) -> Result<Option<T>, AccountingError> {
        let url = self.url(segments, Some(as_of))?;
        match self.call(op, Kind::Read, Method::GET, url, Vec::new()).await? {
            Some(bytes) => parse(op, &bytes).map(Some),
            None => Ok(None),
        }
    }
}

fn parse<T: DeserializeOwned>(op: &str, bytes: &[u8]) -> Result<T, AccountingError> {
    serde_json::from_slice(bytes)
        .map_err(|e| AccountingError::Unavailable(format!("accounting {op}: unreadable answer: {e}")))
}

#[async_trait::async_trait]
impl Accounting for HttpAccounting {
    async fn find_client(&self, name: &FullName, phone: &Phone) -> Result<Option<String>, AccountingError> {
        let body = serde_json::to_vec(&LookupRequest {
            last_name: name.last.clone(),
            first_name: name.first.clone(),
            middle_name: name.middle.clone(),
            phone: phone.as_e164().to_owned(),
        })
        .expect("a lookup serialises");
        let url = self.url(&["client-lookup"], None)?;
        // A POST that only reads (the body keeps names and phones out of URLs), so it is
        // retried like the GETs.
        match self.call("lookup", Kind::Read, Method::POST, url, body).await? {
            Some(bytes) => Ok(Some(parse::<LookupAnswer>("lookup", &bytes)?.client_id)),
            None => Ok(None),
        }
    }

    async fn client(&self, id: &str) -> Result<Option<ClientRecord>, AccountingError> {
        let url = self.url(&["clients", id], None)?;
        let Some(bytes) = self.call("client", Kind::Read, Method::GET, url, Vec::new()).await? else { return Ok(None) };
        let card: ClientCard = parse("client", &bytes)?;
        // The shim checks the owner too (A21): a card of anyone else is a fault, not an answer.
        if card.id != id {
            return Err(AccountingError::Unavailable("accounting client: the answer is about another client".into()));
        }
        let phone = Phone::parse(&card.phone).map_err(|e| {
            AccountingError::Unavailable(format!("accounting client: the phone is not a mobile number: {e}"))
        })?;
        Ok(Some(ClientRecord {
            id: card.id,
            name: FullName::from_parts(&card.last_name, &card.first_name, &card.middle_name),
            phone,
        }))
    }

    async fn loans(&self, client_id: &str, as_of: Date) -> Result<LoansView, AccountingError> {
        let view = self.get("loans", &["clients", client_id, "loans"], as_of).await?;
        // An unknown client has nothing to list, as the built-in ledger answers.
        view.ok_or_else(|| list_absent("loans"))
    }

    async fn loan(&self, client_id: &str, loan_id: &str, as_of: Date) -> Result<Option<LoanDetail>, AccountingError> {
        if !carried(loan_id) {
            return Ok(None);
        }
        let detail: Option<LoanDetail> = self.get("loan", &["clients", client_id, "loans", loan_id], as_of).await?;
        if detail.as_ref().is_some_and(|d| d.summary.id != loan_id) {
            return Err(AccountingError::Unavailable("accounting loan: the answer is about another contract".into()));
        }
        Ok(detail)
    }

    async fn savings(&self, client_id: &str, as_of: Date) -> Result<SavingsView, AccountingError> {
        let view = self.get("savings", &["clients", client_id, "savings"], as_of).await?;
        view.ok_or_else(|| list_absent("savings"))
    }

    async fn saving(
        &self,
        client_id: &str,
        savings_id: &str,
        as_of: Date,
    ) -> Result<Option<SavingsDetail>, AccountingError> {
        if !carried(savings_id) {
            return Ok(None);
        }
        let detail: Option<SavingsDetail> =
            self.get("saving", &["clients", client_id, "savings", savings_id], as_of).await?;
        if detail.as_ref().is_some_and(|d| d.summary.id != savings_id) {
            return Err(AccountingError::Unavailable("accounting saving: the answer is about another contract".into()));
        }
        Ok(detail)
    }

    async fn contributions(&self, client_id: &str, as_of: Date) -> Result<ContributionsView, AccountingError> {
        let view = self.get("contributions", &["clients", client_id, "contributions"], as_of).await?;
        view.ok_or_else(|| list_absent("contributions"))
    }

    // CONTRACT-V2: applications and messages are not in the published contract yet.
    async fn products(&self) -> Result<ProductsView, AccountingError> {
        Err(not_in_contract("products"))
    }
    async fn preview_application(&self, _: &str, _: &NewApplication, _: Date) -> Result<ApplicationPreview, AccountingError> {
        Err(not_in_contract("preview_application"))
    }
    async fn create_application(&self, _: &str, _: &str, _: &NewApplication, _: Date, _: OffsetDateTime)
        -> Result<Application, AccountingError> {
        Err(not_in_contract("create_application"))
    }
    async fn applications(&self, _: &str) -> Result<Vec<Application>, AccountingError> {
        Err(not_in_contract("applications"))
    }
    async fn messages(&self, _: &str) -> Result<Vec<Message>, AccountingError> {
        Err(not_in_contract("messages"))
    }
    async fn message(&self, _: &str, _: &str) -> Result<Option<Message>, AccountingError> {
        Err(not_in_contract("message"))
    }
    async fn mark_read(&self, _: &str, _: &str, _: OffsetDateTime) -> Result<bool, AccountingError> {
        Err(not_in_contract("mark_read"))
    }
    async fn send_message(&self, _: &str, _: &str, _: &str, _: &[NewAttachment], _: OffsetDateTime)
        -> Result<Message, AccountingError> {
        Err(not_in_contract("send_message"))
    }
    async fn attachment(&self, _: &str, _: &str, _: &str) -> Result<Option<AttachmentFile>, AccountingError> {
        Err(not_in_contract("attachment"))
    }
    async fn upload_bytes(&self, _: &str) -> Result<u64, AccountingError> {
        Err(not_in_contract("upload_bytes"))
    }
}

fn not_in_contract(op: &str) -> AccountingError {
    AccountingError::Unavailable(format!("accounting {op}: not in contract v1"))
}

/// Whether an id a client typed can travel as a path segment. One that cannot (empty, `.`,
/// `..`) names no contract: it answers "absent", as the built-in ledger would, so the cabinet
/// says 404 and journals it instead of blaming accounting.
fn carried(id: &str) -> bool {
    !matches!(id, "" | "." | "..")
}

/// The cabinet asks for lists only after reading the client's card, so "no such client" on a
/// list is a fault on the accounting side; an empty cabinet would hide it.
fn list_absent(what: &str) -> AccountingError {
    AccountingError::Unavailable(format!("accounting {what}: not_found for a client it has just answered for"))
}

/// The largest answer the shim reads: a client's contracts with schedules and operations are
/// tens of kilobytes; anything near this is a fault, and must not exhaust the shim's memory.
const MAX_ANSWER_BYTES: usize = 8 * 1024 * 1024;

enum ReadError {
    Transport(reqwest::Error),
    TooLarge,
}

async fn read_capped(mut res: reqwest::Response) -> Result<Vec<u8>, ReadError> {
    if res.content_length().is_some_and(|n| n > MAX_ANSWER_BYTES as u64) {
        return Err(ReadError::TooLarge);
    }
    let mut out = Vec::new();
    while let Some(chunk) = res.chunk().await.map_err(ReadError::Transport)? {
        if out.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(ReadError::TooLarge);
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}
