//! `HttpAccounting`: the `Accounting` port over the published accounting contract
//! (docs/accounting-contract.md), for organisations whose own accounting system is the
//! system of record. Mutual TLS with the server's CA pinned, optional HMAC signatures, a
//! timeout per request and a few quick retries — for reads, and for writes because every
//! write carries an idempotency key (or, marking a message read, is idempotent by nature; or,
//! posting a card payment, is posted once per payment id).

use std::path::Path;
use std::time::Duration;

use base64::Engine as _;
use kabinet_api::cabinet::{
    Application, ContributionsView, LoanDetail, LoansView, SavingsDetail, SavingsView,
};
use kabinet_api::messages::{AttachmentInfo, FileType, Message, MessageDirection, MAX_FILE_BYTES};
use kabinet_api::payments::{CardPosting, PaymentContractKind, PaymentPreview, PaymentPurpose, PaymentRequest, PostingReceipt};
use kabinet_api::requests::{ApplicationPreview, ApplicationsView, NewApplication, ProductsView};
use kabinet_api::Phone;
use reqwest::header::{HeaderMap, ACCEPT, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use time::{Date, OffsetDateTime};
use url::Url;

use super::contract::signature::{self, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use super::contract::{
    attachment_headers, tls, ClientCard, ContractError, ContractErrorCode, LookupAnswer, LookupRequest, MessageList, PassportLookupRequest,
    NewFile, NewMessage, ReadAnswer, UploadBytes, IDEMPOTENCY_KEY_HEADER,
};
use super::{Accounting, AccountingError, AttachmentFile, ClientRecord, FullName, NewAttachment, Passport};
use crate::clock::format_utc;
use crate::config::AccountingConfig;

/// The time allowance of a download as if this many bytes travelled: a file of up to 10 MiB.
const MAX_DOWNLOAD_ALLOWANCE: usize = 10 * 1024 * 1024;

/// Pause before retry n (1-based): 100 ms, 200 ms, 400 ms … A reader waits at most a second
/// or so for the link to come back; longer outages show the client a retry instead.
fn backoff(retry: u32) -> Duration {
    Duration::from_millis(100 << (retry - 1).min(4))
}

/// What a call is, for how it is repeated and how much of its answer is read. Every kind is
/// repeated after a timeout, a refused connection or a 5xx (`read_retries` times): reads
/// change nothing, and writes carry an Idempotency-Key (a card posting: its payment id), so
/// the accounting side answers a repeat with the first result and a write lost on the way back
/// is not made twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A JSON read (a GET, or the lookup's POST).
    Read,
    /// A JSON write with an Idempotency-Key (or idempotent by nature, as a read mark, or by a
    /// key in its body, as a card posting's payment id).
    IdempotentWrite,
    /// A file's bytes: up to 10 MiB, more than any JSON answer may be.
    Download,
}

impl Kind {
    /// The largest answer read for this kind of call.
    fn answer_cap(self) -> usize {
        match self {
            Kind::Read | Kind::IdempotentWrite => MAX_ANSWER_BYTES,
            // The largest file and a margin; the headers carry the rest.
            Kind::Download => MAX_FILE_BYTES as usize + 1024 * 1024,
        }
    }
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

/// A successful answer.
struct Answer {
    headers: HeaderMap,
    body: Vec<u8>,
}

/// What one attempt came to.
enum Attempt {
    Ok(Answer),
    /// The contract's own 404 `not_found`: the client or the object of this client is absent.
    Absent,
    /// The contract's 422 `rejected` with a reason this shim knows: final, never repeated.
    Refused(kabinet_api::ErrorCode),
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

    /// Sends one call, repeating it on transient failures (see [`Kind`]); `Ok(None)` for the
    /// contract's 404. `key` is the write's Idempotency-Key: the same on every attempt.
    async fn call(
        &self,
        op: &str,
        kind: Kind,
        method: Method,
        url: Url,
        body: Vec<u8>,
        key: Option<&str>,
    ) -> Result<Option<Answer>, AccountingError> {
        let attempts = 1 + self.read_retries;
        let mut last = String::new();
        for n in 0..attempts {
            if n > 0 {
                tokio::time::sleep(backoff(n)).await;
            }
            match self.attempt(kind, &method, &url, &body, key).await {
                Attempt::Ok(answer) => return Ok(Some(answer)),
                Attempt::Absent => return Ok(None),
                Attempt::Refused(code) => return Err(AccountingError::Refused(code)),
                Attempt::Failed(m) => return Err(AccountingError::Unavailable(format!("accounting {op}: {m}"))),
                Attempt::Transient(m) => {
                    tracing::debug!(op, attempt = n + 1, attempts, error = %m, "accounting call failed");
                    last = m;
                }
            }
        }
        Err(AccountingError::Unavailable(format!("accounting {op}: {last} (after {attempts} attempts)")))
    }

    async fn attempt(&self, kind: Kind, method: &Method, url: &Url, body: &[u8], key: Option<&str>) -> Attempt {
        let accept = if kind == Kind::Download { "application/octet-stream" } else { "application/json" };
        // A message with files is tens of megabytes: the time limit grows with what travels
        // (a second per 256 KiB, about 2 Mbit/s), so a big upload is not cut off and resent.
        let carried = if kind == Kind::Download { MAX_DOWNLOAD_ALLOWANCE } else { body.len() };
        let limit = self.timeout + Duration::from_secs((carried / (256 * 1024)) as u64);
        let mut req = self.http.request(method.clone(), url.clone()).timeout(limit).header(ACCEPT, accept);
        if *method != Method::GET {
            req = req.header(CONTENT_TYPE, "application/json").body(body.to_vec());
        }
        if let Some(key) = key {
            req = req.header(IDEMPOTENCY_KEY_HEADER, key);
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
        let headers = res.headers().clone();
        let cap = kind.answer_cap();
        let bytes = match read_capped(res, cap).await {
            Ok(b) => b,
            Err(ReadError::Transport(e)) => return self.transport(e),
            Err(ReadError::TooLarge) => return Attempt::Failed(format!("the answer is over {cap} bytes")),
        };
        if matches!(status, StatusCode::OK | StatusCode::CREATED) {
            return Attempt::Ok(Answer { headers, body: bytes });
        }
        let error = serde_json::from_slice::<ContractError>(&bytes).ok();
        let code = error.as_ref().map(|e| e.code);
        match status {
            StatusCode::NOT_FOUND if code == Some(ContractErrorCode::NotFound) => Attempt::Absent,
            StatusCode::UNPROCESSABLE_ENTITY if code == Some(ContractErrorCode::Rejected) => {
                match error.as_ref().and_then(ContractError::refusal) {
                    Some(reason) => Attempt::Refused(reason),
                    // A reason from a newer contract, or none: the shim cannot tell the client
                    // what to change, so it is a failure, not a guess.
                    None => Attempt::Failed(format!(
                        "HTTP 422 rejected with an unknown reason {:?}",
                        error.and_then(|e| e.reason).unwrap_or_default()
                    )),
                }
            }
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
            crate::gateways::error_chain(&e.without_url())
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
        self.read(op, url).await
    }

    /// A JSON GET; `None` for the contract's 404.
    async fn read<T: DeserializeOwned>(&self, op: &str, url: Url) -> Result<Option<T>, AccountingError> {
        match self.call(op, Kind::Read, Method::GET, url, Vec::new(), None).await? {
            Some(answer) => parse(op, &answer.body).map(Some),
            None => Ok(None),
        }
    }

    /// A JSON POST that changes something, under `key`. The contract's 404 here means the
    /// client or the object the write names is not there (or not theirs): a refusal with
    /// `not_found`, as the built-in ledger answers it.
    async fn write<T: DeserializeOwned>(
        &self,
        op: &str,
        url: Url,
        body: Vec<u8>,
        key: Option<&str>,
    ) -> Result<T, AccountingError> {
        match self.call(op, Kind::IdempotentWrite, Method::POST, url, body, key).await? {
            Some(answer) => parse(op, &answer.body),
            None => Err(AccountingError::Refused(kabinet_api::ErrorCode::NotFound)),
        }
    }

    /// The URL of a path under `/v1/` with these query pairs.
    fn url_with(&self, segments: &[&str], query: &[(&str, &str)]) -> Result<Url, AccountingError> {
        let mut url = self.url(segments, None)?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        Ok(url)
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
        match self.call("lookup", Kind::Read, Method::POST, url, body, None).await? {
            Some(answer) => Ok(Some(parse::<LookupAnswer>("lookup", &answer.body)?.client_id)),
            None => Ok(None),
        }
    }

    async fn find_client_by_passport(&self, name: &FullName, passport: &Passport) -> Result<Option<ClientRecord>, AccountingError> {
        let body = serde_json::to_vec(&PassportLookupRequest {
            last_name: name.last.clone(),
            first_name: name.first.clone(),
            middle_name: name.middle.clone(),
            passport_series: passport.series().to_owned(),
            passport_number: passport.number().to_owned(),
        })
        .expect("a lookup serialises");
        let url = self.url(&["client-passport-lookup"], None)?;
        let Some(answer) = self.call("passport lookup", Kind::Read, Method::POST, url, body, None).await? else {
            return Ok(None);
        };
        let id = parse::<LookupAnswer>("passport lookup", &answer.body)?.client_id;
        // The card, for the phone the cabinet account is keyed on; a lookup naming a client
        // that has no card is a fault of accounting.
        match self.client(&id).await? {
            Some(record) => Ok(Some(record)),
            None => Err(AccountingError::Unavailable(format!("accounting passport lookup named {id}, which has no card"))),
        }
    }

    async fn client(&self, id: &str) -> Result<Option<ClientRecord>, AccountingError> {
        let url = self.url(&["clients", id], None)?;
        let Some(answer) = self.call("client", Kind::Read, Method::GET, url, Vec::new(), None).await? else {
            return Ok(None);
        };
        let card: ClientCard = parse("client", &answer.body)?;
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

    async fn products(&self) -> Result<ProductsView, AccountingError> {
        let url = self.url(&["products"], None)?;
        // Products are the organisation's: there is always an answer, never "absent".
        self.read("products", url)
            .await?
            .ok_or_else(|| AccountingError::Unavailable("accounting products: not_found for the products".into()))
    }

    async fn preview_application(
        &self,
        client_id: &str,
        application: &NewApplication,
        today: Date,
    ) -> Result<ApplicationPreview, AccountingError> {
        let url = self.url(&["clients", client_id, "applications", "preview"], Some(today))?;
        let body = serde_json::to_vec(application).expect("an application serialises");
        // A preview writes nothing: a read, though a POST (the body is the application).
        let preview: ApplicationPreview = match self.call("preview", Kind::Read, Method::POST, url, body, None).await? {
            Some(answer) => parse("preview", &answer.body)?,
            None => return Err(AccountingError::Refused(kabinet_api::ErrorCode::NotFound)),
        };
        if preview_kind(&preview) != application.kind() {
            return Err(AccountingError::Unavailable("accounting preview: the answer is of another kind".into()));
        }
        Ok(preview)
    }

    async fn create_application(
        &self,
        client_id: &str,
        key: &str,
        application: &NewApplication,
        today: Date,
        now: OffsetDateTime,
    ) -> Result<Application, AccountingError> {
        let at = format_utc(now);
        let day = today.to_string();
        let url = self.url_with(&["clients", client_id, "applications"], &[("as_of", &day), ("at", &at)])?;
        let body = serde_json::to_vec(application).expect("an application serialises");
        let made: Application = self.write("create_application", url, body, Some(key)).await?;
        if made.kind != application.kind() {
            return Err(AccountingError::Unavailable(
                "accounting create_application: the answer is an application of another kind".into(),
            ));
        }
        Ok(made)
    }

    async fn applications(&self, client_id: &str) -> Result<Vec<Application>, AccountingError> {
        let url = self.url(&["clients", client_id, "applications"], None)?;
        let view: Option<ApplicationsView> = self.read("applications", url).await?;
        Ok(view.ok_or_else(|| list_absent("applications"))?.applications)
    }

    async fn messages(&self, client_id: &str) -> Result<Vec<Message>, AccountingError> {
        let url = self.url(&["clients", client_id, "messages"], None)?;
        let list: Option<MessageList> = self.read("messages", url).await?;
        Ok(list.ok_or_else(|| list_absent("messages"))?.messages)
    }

    async fn message(&self, client_id: &str, message_id: &str) -> Result<Option<Message>, AccountingError> {
        if !carried(message_id) {
            return Ok(None);
        }
        let url = self.url(&["clients", client_id, "messages", message_id], None)?;
        let m: Option<Message> = self.read("message", url).await?;
        if m.as_ref().is_some_and(|m| m.id != message_id) {
            return Err(AccountingError::Unavailable("accounting message: the answer is about another message".into()));
        }
        Ok(m)
    }

    async fn mark_read(&self, client_id: &str, message_id: &str, at: OffsetDateTime) -> Result<bool, AccountingError> {
        if !carried(message_id) {
            return Ok(false);
        }
        let at = format_utc(at);
        let url = self.url_with(&["clients", client_id, "messages", message_id, "read"], &[("at", &at)])?;
        // Idempotent by nature (a second mark changes nothing), so no key is needed to repeat it.
        match self.call("mark_read", Kind::IdempotentWrite, Method::POST, url, Vec::new(), None).await? {
            Some(answer) => Ok(parse::<ReadAnswer>("mark_read", &answer.body)?.newly_read),
            // Not theirs or not there: nothing was marked, as the built-in ledger answers.
            None => Ok(false),
        }
    }

    async fn send_message(
        &self,
        client_id: &str,
        key: &str,
        text: &str,
        files: &[NewAttachment],
        at: OffsetDateTime,
    ) -> Result<Message, AccountingError> {
        let url = self.url(&["clients", client_id, "messages"], None)?;
        let body = serde_json::to_vec(&NewMessage {
            text: text.to_owned(),
            sent_at: format_utc(at),
            files: files
                .iter()
                .map(|f| NewFile {
                    file_name: f.file_name.clone(),
                    content_type: f.content_type,
                    sha256: f.sha256.clone(),
                    content_base64: base64::engine::general_purpose::STANDARD.encode(&f.bytes),
                })
                .collect(),
        })
        .expect("a message serialises");
        let sent: Message = self.write("send_message", url, body, Some(key)).await?;
        if sent.direction != MessageDirection::FromClient {
            return Err(AccountingError::Unavailable(
                "accounting send_message: the answer is a message from the organisation".into(),
            ));
        }
        Ok(sent)
    }

    async fn attachment(
        &self,
        client_id: &str,
        message_id: &str,
        attachment_id: &str,
    ) -> Result<Option<AttachmentFile>, AccountingError> {
        if !carried(message_id) || !carried(attachment_id) {
            return Ok(None);
        }
        let url = self.url(&["clients", client_id, "messages", message_id, "attachments", attachment_id], None)?;
        let Some(answer) = self.call("attachment", Kind::Download, Method::GET, url, Vec::new(), None).await? else {
            return Ok(None);
        };
        let info = attachment_info(&answer.headers, &answer.body)?;
        if info.id != attachment_id {
            return Err(AccountingError::Unavailable("accounting attachment: the answer is another file".into()));
        }
        Ok(Some(AttachmentFile { info, bytes: answer.body }))
    }

    async fn upload_bytes(&self, client_id: &str) -> Result<u64, AccountingError> {
        let url = self.url(&["clients", client_id, "upload-bytes"], None)?;
        let n: Option<UploadBytes> = self.read("upload_bytes", url).await?;
        Ok(n.ok_or_else(|| list_absent("upload_bytes"))?.bytes)
    }

    async fn quote_payment(
        &self,
        client_id: &str,
        request: &PaymentRequest,
        today: Date,
    ) -> Result<Option<PaymentPreview>, AccountingError> {
        let url = self.url(&["clients", client_id, "payments", "quote"], Some(today))?;
        let body = serde_json::to_vec(request).expect("a payment request serialises");
        // A quote writes nothing: a read, though a POST (the body is the request).
        let Some(answer) = self.call("quote_payment", Kind::Read, Method::POST, url, body, None).await? else {
            // Not this client's contract, or not one the purpose pays: absent, as the ledger answers.
            return Ok(None);
        };
        let quote: PaymentPreview = parse("quote_payment", &answer.body)?;
        check_quote(request, &quote)?;
        Ok(Some(quote))
    }

    async fn post_payment(&self, client_id: &str, posting: &CardPosting) -> Result<PostingReceipt, AccountingError> {
        let url = self.url(&["clients", client_id, "payments", "postings"], None)?;
        let body = serde_json::to_vec(posting).expect("a posting serialises");
        // Accounting posts once per payment_id and answers a repeat `duplicate: true` writing
        // nothing, so the payment id is this write's idempotency key (in the body, so no
        // Idempotency-Key header): it is safe to repeat after a timeout, a refused connection
        // or a 5xx exactly as reads are, and a posting whose answer was lost is not posted
        // twice — the repeat then answers `duplicate`, which still means "posted".
        let receipt: PostingReceipt = self.write("post_payment", url, body, None).await?;
        if receipt.reference.trim().is_empty() {
            return Err(AccountingError::Unavailable("accounting post_payment: the answer has no reference".into()));
        }
        Ok(receipt)
    }
}

/// Accounting computes a payment's amount (A26), but a quote about another contract or purpose,
/// or with another amount than the one the client chose, is a fault: charging it would take
/// money for something the client did not ask for.
fn check_quote(request: &PaymentRequest, quote: &PaymentPreview) -> Result<(), AccountingError> {
    let fault = |m: &str| Err(AccountingError::Unavailable(format!("accounting quote_payment: {m}")));
    if quote.contract_id != request.contract_id || quote.purpose != request.purpose {
        return fault("the answer is about another contract or purpose");
    }
    let kind =
        if request.purpose == PaymentPurpose::TopUp { PaymentContractKind::Savings } else { PaymentContractKind::Loan };
    if quote.contract_kind != kind {
        return fault("the answer is about another kind of contract");
    }
    if request.amount.is_some_and(|chosen| chosen != quote.amount) {
        return fault("the answer changed the amount the client chose");
    }
    // Nothing to charge is the refusal `nothing_to_pay`, never a quote of zero.
    if quote.amount <= 0 {
        return fault("the answer has no amount to charge");
    }
    Ok(())
}

fn preview_kind(p: &ApplicationPreview) -> kabinet_api::requests::ApplicationKind {
    use kabinet_api::requests::ApplicationKind as K;
    match p {
        ApplicationPreview::Loan { .. } => K::Loan,
        ApplicationPreview::EarlyRepayment { .. } => K::EarlyRepayment,
        ApplicationPreview::Savings { .. } => K::Savings,
        ApplicationPreview::EarlyWithdrawal { .. } => K::EarlyWithdrawal,
    }
}

/// The file's description from the download's headers, checked against its bytes: a file
/// damaged or swapped on the way is a fault, never handed to the client.
fn attachment_info(headers: &HeaderMap, bytes: &[u8]) -> Result<AttachmentInfo, AccountingError> {
    let fault = |m: &str| AccountingError::Unavailable(format!("accounting attachment: {m}"));
    let text = |name: &str| -> Result<String, AccountingError> {
        let raw = headers.get(name).and_then(|v| v.to_str().ok()).ok_or_else(|| fault(&format!("no {name} header")))?;
        // Percent-encoded UTF-8 as in a query ("+" or "%20" for a space).
        Ok(url::form_urlencoded::parse(format!("v={raw}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default())
    };
    let sha256 = hex::encode(Sha256::digest(bytes));
    if !text(attachment_headers::SHA256)?.eq_ignore_ascii_case(&sha256) {
        return Err(fault("the bytes do not match their sha256"));
    }
    let content_type = FileType::from_mime(&text(attachment_headers::CONTENT_TYPE)?)
        .ok_or_else(|| fault("not a JPEG, PNG or PDF"))?;
    Ok(AttachmentInfo {
        id: text(attachment_headers::ID)?,
        file_name: text(attachment_headers::FILE_NAME)?,
        content_type,
        size: bytes.len() as u64,
        sha256,
    })
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

async fn read_capped(mut res: reqwest::Response, cap: usize) -> Result<Vec<u8>, ReadError> {
    if res.content_length().is_some_and(|n| n > cap as u64) {
        return Err(ReadError::TooLarge);
    }
    let mut out = Vec::new();
    while let Some(chunk) = res.chunk().await.map_err(ReadError::Transport)? {
        if out.len() + chunk.len() > cap {
            return Err(ReadError::TooLarge);
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}
