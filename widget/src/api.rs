//! The shim's API as the widget calls it: fetch with credentials, a time limit, typed errors;
//! JSON for data, a Blob for documents, multipart for messages with files, all through the one
//! request path; state-changing requests carry an idempotency key and are retried under it.

use std::future::Future;

use gloo_net::http::{Method, RequestBuilder, Response};
use kabinet_api::auth::{
    paths, ChangePasswordRequest, ChangePhoneConfirmRequest, ChangePhoneRequest, CodeSent, ConfirmRequest,
    ConsentDocument, LoginRequest, RegisterRequest, ResetConfirmRequest, ResetRequest, SessionInfo,
};
use kabinet_api::esia::{self, EsiaAvailability, EsiaLinkRequest, EsiaOutcome, EsiaStart, EsiaStarted};
use kabinet_api::cabinet::{self, Application, ContributionsView, DocumentQuery, LoanDetail, LoansView, SavingsDetail, SavingsView};
use kabinet_api::messages::{self, Message, MessagesView};
use kabinet_api::payments::{self, Payment, PaymentPreview, PaymentRequest, PaymentStarted, PaymentStatus, PaymentsView, StartPayment};
use kabinet_api::requests::{self, ApplicationPreview, ApplicationsView, NewApplication, ProductsView, IDEMPOTENCY_HEADER};
use kabinet_api::signing::{self, AcceptAgreement, Agreement, SignWithCode, SignatureDocument, SignaturesView, SigningCodeSent};
use kabinet_api::{ApiError, ErrorCode, OrgInfo, API_PREFIX, MODE_HEADER};
use serde::de::{DeserializeOwned, IntoDeserializer};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::i18n::{error_text, t, Lang, T};
use crate::WidgetConfig;

/// How long a call may take before the person is told and offered a retry.
const TIMEOUT_MS: i32 = 20_000;

/// A message with files may take longer: its upload is part of the call. This much more per
/// [`UPLOAD_CHUNK`] bytes of files, about 64 KB/s at the worst a mobile uplink does.
const UPLOAD_MS_PER_CHUNK: i32 = 1_000;
const UPLOAD_CHUNK: u64 = 64 * 1024;

/// The time limit of a call that uploads `bytes` of files: [`TIMEOUT_MS`] and a second per
/// 64 KiB (10 MB ≈ 3 minutes, 50 MB ≈ 14).
pub fn upload_timeout_ms(bytes: u64) -> i32 {
    let chunks = i32::try_from(bytes.div_ceil(UPLOAD_CHUNK)).unwrap_or(i32::MAX);
    TIMEOUT_MS.saturating_add(chunks.saturating_mul(UPLOAD_MS_PER_CHUNK))
}

/// A payment's status may be waited for this long on the server ([`payments::MAX_WAIT_SECS`]);
/// the call gets that and the usual limit on top, so a slow line is not taken for no answer.
const STATUS_TIMEOUT_MS: i32 = payments::MAX_WAIT_SECS as i32 * 1_000 + TIMEOUT_MS;

/// A state-changing request that got no answer, or «still in progress», is sent again under
/// the same idempotency key this many times, this long apart, before the person is told.
const RESENDS: u32 = 3;
const RESEND_AFTER_MS: i32 = 1_500;

/// The body of a POST that carries nothing: serialises as `{}`, since every POST route takes
/// a JSON body.
#[derive(Serialize)]
struct Empty {}

/// Why a call failed, in terms a screen can explain.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiFailure {
    /// The server answered with a known error code; with `rate_limited`, when to retry; with
    /// a refused upload, the file it refused.
    Api { code: ErrorCode, retry_after_secs: Option<u32>, file: Option<String> },
    /// No answer: offline, DNS, CORS refused, aborted.
    Network,
    /// No answer within the time limit ([`TIMEOUT_MS`], longer for an upload).
    Timeout,
    /// The answer could not be read.
    Unreadable,
}

impl ApiFailure {
    /// A failure the widget decides itself (a client-side check), worded as the server would.
    pub fn code(code: ErrorCode) -> Self {
        ApiFailure::Api { code, retry_after_secs: None, file: None }
    }

    /// The file a refused upload was about, as the person named it.
    pub fn file(&self) -> Option<&str> {
        match self {
            ApiFailure::Api { file, .. } => file.as_deref(),
            _ => None,
        }
    }

    pub fn text(&self, lang: Lang) -> &'static str {
        match self {
            ApiFailure::Api { code, .. } => error_text(lang, *code),
            ApiFailure::Network => t(lang, T::NetworkError),
            ApiFailure::Timeout => t(lang, T::TimeoutError),
            ApiFailure::Unreadable => error_text(lang, ErrorCode::Internal),
        }
    }

    pub fn is(&self, wanted: ErrorCode) -> bool {
        matches!(self, ApiFailure::Api { code, .. } if *code == wanted)
    }

    pub fn retry_after_secs(&self) -> Option<u32> {
        match self {
            ApiFailure::Api { retry_after_secs, .. } => *retry_after_secs,
            _ => None,
        }
    }
}

pub async fn org_info(config: &WidgetConfig) -> Result<OrgInfo, ApiFailure> {
    get_json(config, "/org").await
}

/// Who is signed in; `unauthenticated` when nobody is.
pub async fn session(config: &WidgetConfig) -> Result<SessionInfo, ApiFailure> {
    get_json(config, paths::SESSION).await
}

pub async fn consent(config: &WidgetConfig) -> Result<ConsentDocument, ApiFailure> {
    get_json(config, paths::CONSENT).await
}

pub async fn register(config: &WidgetConfig, body: &RegisterRequest) -> Result<CodeSent, ApiFailure> {
    post_json(config, paths::REGISTER, body).await
}

pub async fn register_confirm(config: &WidgetConfig, body: &ConfirmRequest) -> Result<SessionInfo, ApiFailure> {
    post_json(config, paths::REGISTER_CONFIRM, body).await
}

pub async fn login(config: &WidgetConfig, body: &LoginRequest) -> Result<SessionInfo, ApiFailure> {
    post_json(config, paths::LOGIN, body).await
}

pub async fn logout(config: &WidgetConfig) -> Result<(), ApiFailure> {
    post_json(config, paths::LOGOUT, &Empty {}).await
}

/// Whether sign-in through ESIA (Госуслуги) is offered here.
pub async fn esia_availability(config: &WidgetConfig) -> Result<EsiaAvailability, ApiFailure> {
    get_json(config, esia::paths::AVAILABLE).await
}

/// Starts a trip to ESIA: the answer is ESIA's login page, to be opened as the top-level page,
/// and the flow cookie (which only this browser then holds) comes with it.
pub async fn esia_start(config: &WidgetConfig, body: &EsiaStart) -> Result<EsiaStarted, ApiFailure> {
    post_json(config, esia::paths::START, body).await
}

/// How the trip to ESIA this browser made ended; with `signed_in` the session cookie is set.
pub async fn esia_outcome(config: &WidgetConfig) -> Result<EsiaOutcome, ApiFailure> {
    post_json(config, esia::paths::OUTCOME, &Empty {}).await
}

/// Links the ESIA identity to the client's cabinet (opening one if needed) and signs in.
pub async fn esia_link(config: &WidgetConfig, body: &EsiaLinkRequest) -> Result<SessionInfo, ApiFailure> {
    post_json(config, esia::paths::LINK, body).await
}

pub async fn reset(config: &WidgetConfig, body: &ResetRequest) -> Result<CodeSent, ApiFailure> {
    post_json(config, paths::RESET, body).await
}

pub async fn reset_confirm(config: &WidgetConfig, body: &ResetConfirmRequest) -> Result<(), ApiFailure> {
    post_json(config, paths::RESET_CONFIRM, body).await
}

pub async fn change_password(config: &WidgetConfig, body: &ChangePasswordRequest) -> Result<(), ApiFailure> {
    post_json(config, paths::PASSWORD, body).await
}

pub async fn change_phone(config: &WidgetConfig, body: &ChangePhoneRequest) -> Result<CodeSent, ApiFailure> {
    post_json(config, paths::PHONE, body).await
}

pub async fn change_phone_confirm(config: &WidgetConfig, body: &ChangePhoneConfirmRequest) -> Result<SessionInfo, ApiFailure> {
    post_json(config, paths::PHONE_CONFIRM, body).await
}

pub async fn loans(config: &WidgetConfig) -> Result<LoansView, ApiFailure> {
    get_json(config, cabinet::paths::LOANS).await
}

pub async fn loan(config: &WidgetConfig, id: &str) -> Result<LoanDetail, ApiFailure> {
    get_json(config, &cabinet::paths::loan(&segment(id))).await
}

pub async fn savings(config: &WidgetConfig) -> Result<SavingsView, ApiFailure> {
    get_json(config, cabinet::paths::SAVINGS).await
}

pub async fn saving(config: &WidgetConfig, id: &str) -> Result<SavingsDetail, ApiFailure> {
    get_json(config, &cabinet::paths::saving(&segment(id))).await
}

pub async fn contributions(config: &WidgetConfig) -> Result<ContributionsView, ApiFailure> {
    get_json(config, cabinet::paths::CONTRIBUTIONS).await
}

pub async fn products(config: &WidgetConfig) -> Result<ProductsView, ApiFailure> {
    get_json(config, requests::paths::PRODUCTS).await
}

pub async fn applications(config: &WidgetConfig) -> Result<ApplicationsView, ApiFailure> {
    get_json(config, requests::paths::APPLICATIONS).await
}

/// What the ledger computes for `body`; nothing is recorded, so no key is needed.
pub async fn preview_application(config: &WidgetConfig, body: &NewApplication) -> Result<ApplicationPreview, ApiFailure> {
    post_json(config, requests::paths::APPLICATION_PREVIEW, body).await
}

/// Sends an application under `key` (see [`crate::idempotency`]); 201 with the application.
pub async fn send_application(config: &WidgetConfig, body: &NewApplication, key: &str) -> Result<Application, ApiFailure> {
    resending(|| request(config, Method::POST, requests::paths::APPLICATIONS, Payload::Json(body), Some(key), TIMEOUT_MS, None, read)).await
}

pub async fn messages(config: &WidgetConfig) -> Result<MessagesView, ApiFailure> {
    get_json(config, messages::paths::MESSAGES).await
}

/// One message; opening one from the organisation marks it read on the server.
pub async fn message(config: &WidgetConfig, id: &str) -> Result<Message, ApiFailure> {
    get_json(config, &messages::paths::message(&segment(id))).await
}

/// Sends a message as `multipart/form-data` (the browser writes the boundary) under `key`;
/// `file_bytes`, the files' total size, sets the time limit ([`upload_timeout_ms`]).
pub async fn send_message(config: &WidgetConfig, form: &web_sys::FormData, file_bytes: u64, key: &str) -> Result<Message, ApiFailure> {
    let limit = upload_timeout_ms(file_bytes);
    resending(|| request(config, Method::POST, messages::paths::MESSAGES, Payload::<()>::Form(form), Some(key), limit, None, read)).await
}

/// An attachment's bytes as a Blob, for [`crate::download`].
pub async fn attachment(config: &WidgetConfig, message_id: &str, attachment_id: &str) -> Result<Document, ApiFailure> {
    let path = messages::paths::attachment(&segment(message_id), &segment(attachment_id));
    request(config, Method::GET, &path, Payload::<()>::Empty, None, TIMEOUT_MS, None, |r| read_blob(r, is_attachment_type)).await
}

/// The client's card payments, newest first.
pub async fn payments(config: &WidgetConfig) -> Result<PaymentsView, ApiFailure> {
    get_json(config, payments::paths::PAYMENTS).await
}

/// What a card payment would be and how the ledger would split it; nothing is recorded.
pub async fn preview_payment(config: &WidgetConfig, body: &PaymentRequest) -> Result<PaymentPreview, ApiFailure> {
    post_json(config, payments::paths::PAYMENT_PREVIEW, body).await
}

/// Starts a card payment under `key`; 201 with the payment and the bank's page.
pub async fn start_payment(config: &WidgetConfig, body: &StartPayment, key: &str) -> Result<PaymentStarted, ApiFailure> {
    resending(|| request(config, Method::POST, payments::paths::PAYMENTS, Payload::Json(body), Some(key), TIMEOUT_MS, None, read)).await
}

/// `/payments/{id}` under the API prefix.
pub fn payment_path(id: &str) -> String {
    format!("{}/{}", payments::paths::PAYMENTS, segment(id))
}

/// `/payments/{id}/receipt` under the API prefix: the PDF receipt of a paid payment.
pub fn receipt_path(id: &str) -> String {
    format!("{}/receipt", payment_path(id))
}

/// One payment. With `known` (the status and `posted` on screen) the shim holds the answer
/// until either differs or [`payments::MAX_WAIT_SECS`] pass (a long poll); without, it answers
/// at once. `cancel` aborts the wait when the screen goes.
pub async fn payment(
    config: &WidgetConfig,
    id: &str,
    known: Option<(PaymentStatus, bool)>,
    cancel: Option<&web_sys::AbortSignal>,
) -> Result<Payment, ApiFailure> {
    let mut path = payment_path(id);
    let mut limit = TIMEOUT_MS;
    if let Some((status, posted)) = known {
        path = format!("{path}?wait={}&status={}&posted={posted}", payments::MAX_WAIT_SECS, status.as_str());
        limit = STATUS_TIMEOUT_MS;
    }
    request(config, Method::GET, &path, Payload::<()>::Empty, None, limit, cancel, read).await
}

/// The client's documents for signature, how many await a signature, and whether the ПЭП
/// agreement is accepted.
pub async fn signatures(config: &WidgetConfig) -> Result<SignaturesView, ApiFailure> {
    get_json(config, signing::paths::SIGNATURES).await
}

/// One document for signature.
pub async fn signature(config: &WidgetConfig, id: &str) -> Result<SignatureDocument, ApiFailure> {
    get_json(config, &signing::paths::document(&segment(id))).await
}

/// The agreement on the simple electronic signature in its current version.
pub async fn agreement(config: &WidgetConfig) -> Result<Agreement, ApiFailure> {
    get_json(config, signing::paths::AGREEMENT).await
}

/// Accepts the agreement the client was shown (its version and hash, so a text that changed
/// meanwhile is refused with `agreement_outdated`).
pub async fn accept_agreement(config: &WidgetConfig, body: &AcceptAgreement) -> Result<Agreement, ApiFailure> {
    post_json(config, signing::paths::AGREEMENT, body).await
}

/// Sends the code that signs document `id` by SMS.
pub async fn signing_code(config: &WidgetConfig, id: &str) -> Result<SigningCodeSent, ApiFailure> {
    post_json(config, &signing::paths::code(&segment(id)), &Empty {}).await
}

/// Signs document `id` with the code from the SMS; the answer is the document, signed.
pub async fn sign(config: &WidgetConfig, id: &str, body: &SignWithCode) -> Result<SignatureDocument, ApiFailure> {
    post_json(config, &signing::paths::sign(&segment(id)), body).await
}

/// The PDF of document `id` exactly as sent, for [`crate::download`].
pub fn signature_original_path(id: &str) -> String {
    signing::paths::original(&segment(id))
}

/// The signed copy of document `id` (the original with the stamp page), for [`crate::download`].
pub fn signature_signed_path(id: &str) -> String {
    signing::paths::signed(&segment(id))
}

/// Sends again (same request, same key) after no answer or «still in progress», a few times.
async fn resending<R, F, Fut>(send: F) -> Result<R, ApiFailure>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<R, ApiFailure>>,
{
    let mut left = RESENDS;
    loop {
        let outcome = send().await;
        let again = matches!(&outcome, Err(ApiFailure::Network)) || matches!(&outcome, Err(f) if f.is(ErrorCode::RequestInProgress));
        if !again || left == 0 {
            return outcome;
        }
        left -= 1;
        pause(RESEND_AFTER_MS).await;
    }
}

/// Waits `ms` milliseconds without blocking the page.
async fn pause(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let set = web_sys::window().map(|w| w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms));
        if !matches!(set, Some(Ok(_))) {
            let _ = resolve.call0(&JsValue::NULL);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// A contract id as one path segment: ids come from accounting, which may put a slash in one.
pub fn segment(id: &str) -> String {
    String::from(js_sys::encode_uri_component(id))
}

/// A downloaded document: the bytes as the browser holds them, and the name the server gave.
pub struct Document {
    pub blob: web_sys::Blob,
    /// From `Content-Disposition`; `None` when absent or unreadable (cross-origin, the header
    /// is readable only if the shim exposes it).
    pub file_name: Option<String>,
}

/// GETs a document (`path` from [`cabinet::paths`], with the contract id already a
/// [`segment`]) as a Blob, under the same cookie, header and time limit as every JSON call.
pub async fn document(config: &WidgetConfig, path: &str, query: &DocumentQuery) -> Result<Document, ApiFailure> {
    let mut pairs = Vec::new();
    if let Some(from) = &query.from {
        pairs.push(format!("from={}", segment(from)));
    }
    if let Some(to) = &query.to {
        pairs.push(format!("to={}", segment(to)));
    }
    if let Some(year) = query.year {
        pairs.push(format!("year={year}"));
    }
    let path = if pairs.is_empty() { path.to_owned() } else { format!("{path}?{}", pairs.join("&")) };
    request(config, Method::GET, &path, Payload::<()>::Empty, None, TIMEOUT_MS, None, read_document).await
}

async fn get_json<R: DeserializeOwned>(config: &WidgetConfig, path: &str) -> Result<R, ApiFailure> {
    call(config, Method::GET, path, None::<&()>).await
}

/// What a request carries.
enum Payload<'a, B> {
    Empty,
    Json(&'a B),
    /// Multipart: no `Content-Type` is set here, the browser sets it with the boundary.
    Form(&'a web_sys::FormData),
}

/// POSTs `body` as JSON. `R = ()` for routes that answer 204 (or any empty body).
pub async fn post_json<B: Serialize, R: DeserializeOwned>(config: &WidgetConfig, path: &str, body: &B) -> Result<R, ApiFailure> {
    call(config, Method::POST, path, Some(body)).await
}

/// A JSON request answered with JSON (or nothing).
async fn call<B: Serialize, R: DeserializeOwned>(
    config: &WidgetConfig,
    method: Method,
    path: &str,
    body: Option<&B>,
) -> Result<R, ApiFailure> {
    let payload = match body {
        Some(b) => Payload::Json(b),
        None => Payload::Empty,
    };
    request(config, method, path, payload, None, TIMEOUT_MS, None, read).await
}

/// One request with the session cookie, the mode header and the time limit, its answer read by
/// `reader`; every route goes through here so the abort-on-timeout logic exists once. The
/// limit `timeout_ms` covers sending the body, the answer's headers and reading the answer;
/// `cancel`, when given, aborts the request as well (a long poll whose screen has gone).
#[allow(clippy::too_many_arguments)]
async fn request<B, R, F, Fut>(
    config: &WidgetConfig,
    method: Method,
    path: &str,
    body: Payload<'_, B>,
    key: Option<&str>,
    timeout_ms: i32,
    cancel: Option<&web_sys::AbortSignal>,
    reader: F,
) -> Result<R, ApiFailure>
where
    B: Serialize,
    F: FnOnce(Response) -> Fut,
    Fut: Future<Output = Result<R, ApiFailure>>,
{
    let url = format!("{}{}{}", config.api, API_PREFIX, path);
    let controller = web_sys::AbortController::new().map_err(|_| ApiFailure::Network)?;
    let signal = controller.signal();
    let mut builder = RequestBuilder::new(&url)
        .method(method)
        .header(MODE_HEADER, config.mode.as_str())
        .credentials(web_sys::RequestCredentials::Include)
        .abort_signal(Some(&signal));
    if let Some(key) = key {
        builder = builder.header(IDEMPOTENCY_HEADER, key);
    }
    // `json` also sets `Content-Type: application/json`, which the shim requires on POSTs.
    let request = match body {
        Payload::Json(b) => builder.json(b),
        Payload::Form(f) => builder.body(f.clone()),
        Payload::Empty => builder.build(),
    }
    .map_err(|_| ApiFailure::Unreadable)?;

    let timed_out = std::rc::Rc::new(std::cell::Cell::new(false));
    let abort = {
        let (controller, timed_out) = (controller.clone(), timed_out.clone());
        Closure::once(move || {
            timed_out.set(true);
            controller.abort();
        })
    };
    // The caller's cancel aborts our controller too; the link is undone however this ends.
    let _link = cancel.map(|outer| CancelLink::new(outer, &controller));
    if cancel.is_some_and(|c| c.aborted()) {
        return Err(ApiFailure::Network);
    }
    let window = web_sys::window().ok_or(ApiFailure::Network)?;
    let timer = window
        .set_timeout_with_callback_and_timeout_and_arguments_0(abort.as_ref().unchecked_ref(), timeout_ms)
        .map_err(|_| ApiFailure::Network)?;
    let sent = request.send().await;
    let response = match sent {
        Ok(r) => r,
        Err(_) => {
            window.clear_timeout_with_handle(timer);
            return Err(if timed_out.get() { ApiFailure::Timeout } else { ApiFailure::Network });
        }
    };
    // The body is read under the same time limit: a server that sends headers and then stalls
    // must not leave a button spinning forever.
    let outcome = reader(response).await;
    window.clear_timeout_with_handle(timer);
    drop(abort);
    match outcome {
        Err(ApiFailure::Network) if timed_out.get() => Err(ApiFailure::Timeout),
        other => other,
    }
}

/// A caller's cancel signal wired to one request's controller, unwired when dropped: a
/// listener left on the signal after its closure is gone would throw when the signal fires.
struct CancelLink {
    signal: web_sys::AbortSignal,
    listener: Closure<dyn FnMut()>,
}

impl CancelLink {
    fn new(signal: &web_sys::AbortSignal, controller: &web_sys::AbortController) -> Self {
        let controller = controller.clone();
        let listener = Closure::<dyn FnMut()>::new(move || controller.abort());
        let _ = signal.add_event_listener_with_callback("abort", listener.as_ref().unchecked_ref());
        CancelLink { signal: signal.clone(), listener }
    }
}

impl Drop for CancelLink {
    fn drop(&mut self) {
        let _ = self.signal.remove_event_listener_with_callback("abort", self.listener.as_ref().unchecked_ref());
    }
}

async fn read<R: DeserializeOwned>(response: Response) -> Result<R, ApiFailure> {
    let status = response.status();
    // 204 has no body by definition; other answers are read as text first so that an empty
    // body (202 or 200 from a route with nothing to say) is not a JSON syntax error.
    let text = if status == 204 { String::new() } else { response.text().await.map_err(|_| ApiFailure::Network)? };
    if response.ok() {
        return parse::<R>(&text).await.ok_or(ApiFailure::Unreadable);
    }
    Err(refusal(&response, &text).await)
}

/// A document: its bytes as a Blob when the answer is a PDF, the error code when not.
async fn read_document(response: Response) -> Result<Document, ApiFailure> {
    read_blob(response, |t| t.starts_with("application/pdf")).await
}

/// What a message's attachment may be: one of the types messages carry.
fn is_attachment_type(content_type: &str) -> bool {
    messages::FileType::from_mime(content_type).is_some()
}

/// A file: its bytes as a Blob when the answer's type is one `accepts` takes, else the error.
async fn read_blob(response: Response, accepts: fn(&str) -> bool) -> Result<Document, ApiFailure> {
    if !response.ok() {
        let text = response.text().await.map_err(|_| ApiFailure::Network)?;
        return Err(refusal(&response, &text).await);
    }
    // A proxy's or a portal's HTML page with 200 must not be saved as «document.pdf».
    let accepted = response.headers().get("content-type").is_some_and(|t| accepts(t.trim_start()));
    if !accepted {
        return Err(ApiFailure::Unreadable);
    }
    let file_name = response.headers().get("content-disposition").as_deref().and_then(disposition_file_name);
    let raw: web_sys::Response = response.into();
    let promise = raw.blob().map_err(|_| ApiFailure::Unreadable)?;
    let blob: web_sys::Blob = wasm_bindgen_futures::JsFuture::from(promise).await.map_err(|_| ApiFailure::Network)?.unchecked_into();
    if blob.size() == 0.0 {
        return Err(ApiFailure::Unreadable);
    }
    Ok(Document { blob, file_name })
}

/// The failure a non-2xx answer stands for: its `ApiError` code, or what its status implies.
async fn refusal(response: &Response, text: &str) -> ApiFailure {
    let status = response.status();
    match parse::<ApiError>(text).await {
        Some(e) => ApiFailure::Api {
            code: e.code,
            retry_after_secs: e.retry_after_secs.or_else(|| retry_after_header(response)),
            file: e.file,
        },
        None if status == 429 => {
            ApiFailure::Api { code: ErrorCode::RateLimited, retry_after_secs: retry_after_header(response), file: None }
        }
        None if status >= 500 => ApiFailure::code(ErrorCode::Unavailable),
        None => ApiFailure::Unreadable,
    }
}

/// The file name in a `Content-Disposition` value: `filename*=UTF-8''…` (percent-encoded)
/// when given, else `filename="…"`; `None` when neither is there or the name is empty.
fn disposition_file_name(value: &str) -> Option<String> {
    let mut plain = None;
    let mut extended = None;
    for part in value.split(';').map(str::trim) {
        let Some((key, v)) = part.split_once('=') else { continue };
        match key.trim().to_ascii_lowercase().as_str() {
            "filename*" => {
                let v = v.trim();
                let encoded = v.split_once("''").map_or(v, |(_, rest)| rest);
                extended = percent_decode(encoded);
            }
            "filename" => plain = Some(v.trim().trim_matches('"').to_owned()),
            _ => {}
        }
    }
    // Only the last path segment: a name is a name, never a place to write to.
    extended
        .or(plain)
        .map(|n| n.rsplit(['/', '\\']).next().unwrap_or_default().trim().to_owned())
        .filter(|n| !n.is_empty())
}

/// `%D0%97` → «З»; `None` for a broken escape or bytes that are not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Empty text deserialises as `()` (so `R = ()` accepts it and any other type refuses it);
/// anything else as JSON. gloo-net parses JSON only from a `Response`, so the text is wrapped
/// in one again rather than pulling in a second JSON dependency.
async fn parse<R: DeserializeOwned>(text: &str) -> Option<R> {
    if text.trim().is_empty() {
        return R::deserialize(().into_deserializer()).map_err(|_: serde::de::value::Error| ()).ok();
    }
    let wrapped = Response::builder().body(Some(text)).ok()?;
    wrapped.json::<R>().await.ok()
}

/// `Retry-After` in seconds, when the body did not say (only readable cross-origin if exposed).
fn retry_after_header(response: &Response) -> Option<u32> {
    response.headers().get("retry-after").and_then(|v| v.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_read_from_content_disposition() {
        assert_eq!(disposition_file_name("attachment; filename=\"grafik-Z-2026-0142.pdf\""), Some("grafik-Z-2026-0142.pdf".into()));
        assert_eq!(
            disposition_file_name("attachment; filename=\"a.pdf\"; filename*=UTF-8''%D0%97-1.pdf"),
            Some("З-1.pdf".into())
        );
        assert_eq!(disposition_file_name("attachment; filename=\"../../etc/x.pdf\""), Some("x.pdf".into()));
        assert_eq!(disposition_file_name("attachment"), None);
        assert_eq!(disposition_file_name("attachment; filename=\"\""), None);
        assert_eq!(disposition_file_name("attachment; filename*=UTF-8''%D0"), None);
    }

    #[test]
    fn uploads_get_time_for_their_size() {
        assert_eq!(upload_timeout_ms(0), TIMEOUT_MS);
        assert_eq!(upload_timeout_ms(1), TIMEOUT_MS + 1_000);
        assert_eq!(upload_timeout_ms(64 * 1024), TIMEOUT_MS + 1_000);
        // 10 MB: 160 chunks, 3 minutes in all; 50 MB (five files at the limit): 820 s.
        assert_eq!(upload_timeout_ms(10 * 1024 * 1024), 180_000);
        assert_eq!(upload_timeout_ms(50 * 1024 * 1024), 820_000);
        assert_eq!(upload_timeout_ms(u64::MAX), i32::MAX);
    }
}
