//! Loopback simulator of the SMS.ru and SMSC send and status protocols for demo and tests:
//! deterministic, scriptable (fail, answer an HTTP error or hang on the next sends; report the
//! next status queries queued, undelivered, failed or garbled) and inspectable (the messages it
//! "delivered", the last code sent to a number). A message it accepted is reported delivered
//! unless a script says otherwise; an id it never gave out is not found.
//!
//! The real adapters talk to it over HTTP exactly as to the providers, so demo and tests run the
//! production request and parsing code. It speaks the JSON forms only (`json=1`, `fmt=3`), the
//! only ones the adapters use; other forms get an HTTP 400 that says so.

use std::collections::{HashMap, VecDeque};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::{Form, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use kabinet_api::phone::PhoneError;
use kabinet_api::Phone;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::watch;

use crate::config::SmsProvider;

/// A message the simulator accepted, as the shim's demo page and tests read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimMessage {
    /// The id the simulator answered with, in the provider's style.
    pub id: String,
    /// `smsru` or `smsc`: which protocol carried it.
    pub provider: String,
    /// E.164, `+79161234567`.
    pub phone: String,
    pub text: String,
    /// UTC, RFC 3339.
    pub received_at: String,
}

/// What the next requests to either send endpoint get instead of the normal answer. Scripts
/// queue: `FailNext{count:2}` then `HangNext{count:1}` fails two requests and hangs the third.
/// Status queries have a queue of their own (`StatusNext`), so polling never uses up a script
/// meant for a send, nor the other way round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Script {
    /// Answer with this error code, in the protocol of the endpoint that is called (e.g. 201
    /// "no funds" for SMS.ru, 3 for SMSC).
    FailNext { count: u32, error_code: i64 },
    /// Answer with this HTTP status and an HTML body, as a proxy in front of a provider does.
    HttpStatusNext { count: u32, status: u16 },
    /// Never answer (an hour, or until the simulator stops).
    HangNext { count: u32 },
    /// The next `count` status queries, of either protocol, get `answer`. Each query uses one,
    /// even one about an unknown id (which stays not found whatever the answer says).
    /// `{"kind":"status_next","count":1,"answer":"undelivered"}`.
    StatusNext { count: u32, answer: StatusAnswer },
    /// Forget the scripts not yet used, send and status alike.
    Reset,
}

/// A scripted answer to a status query. JSON: `"queued"`, `"sent"`, `"delivered"`,
/// `"undelivered"`, `"garbage"`, `{"error_code":9}`, `{"http_status":502}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusAnswer {
    /// SMS.ru 100, SMSC -1.
    Queued,
    /// Handed to the operator: SMS.ru 101, SMSC 0.
    Sent,
    /// SMS.ru 103, SMSC 1; what an accepted message gets without a script.
    Delivered,
    /// Expired: SMS.ru 104, SMSC 3.
    Undelivered,
    /// A request-level error with this code, in the protocol of the endpoint called (e.g. 200
    /// bad api_id for SMS.ru, 9 too many queries for SMSC).
    ErrorCode(i64),
    /// This HTTP status and an HTML body, as a proxy in front of a provider answers.
    HttpStatus(u16),
    /// HTTP 200 with the provider's plain-text answer instead of its JSON, as if `json=1` or
    /// `fmt=3` had been ignored.
    Garbage,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Fail(i64),
    Http(u16),
    Hang,
}

/// The loopback SMS provider. Cheap to clone; the server stops when the last clone is dropped.
#[derive(Clone)]
pub struct SmsSimulator {
    shared: Arc<Shared>,
    // Only handles hold the sender, never the server, so dropping every handle closes the
    // channel and that stops the server and wakes hung requests.
    _alive: Arc<watch::Sender<()>>,
}

struct Shared {
    addr: SocketAddr,
    state: Mutex<SimState>,
}

struct SimState {
    messages: Vec<SimMessage>,
    scripts: VecDeque<(Action, u32)>,
    status_scripts: VecDeque<(StatusAnswer, u32)>,
    next_smsru: u64,
    next_smsc: u64,
}

impl std::fmt::Debug for SmsSimulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsSimulator").field("addr", &self.shared.addr).finish_non_exhaustive()
    }
}

impl SmsSimulator {
    /// Binds 127.0.0.1 on a free port and serves both protocols in a background task.
    pub async fn start() -> std::io::Result<SmsSimulator> {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            addr,
            state: Mutex::new(SimState {
                messages: Vec::new(),
                scripts: VecDeque::new(),
                status_scripts: VecDeque::new(),
                // SMS.ru's documented example id is 000000-10000000; ours continue from it.
                next_smsru: 10_000_001,
                next_smsc: 1,
            }),
        });
        let (alive, stopped) = watch::channel(());
        let app = Router::new()
            .route("/smsru/sms/send", post(smsru_send).get(smsru_get))
            // SMS.ru takes GET for status; only sending insists on POST.
            .route("/smsru/sms/status", post(smsru_status).get(smsru_status))
            // SMSC takes GET and POST alike; axum's Form reads the query string of a GET.
            .route("/smsc/sys/send.php", get(smsc_send).post(smsc_send))
            .route("/smsc/sys/status.php", get(smsc_status).post(smsc_status))
            .with_state(Proto { shared: shared.clone(), stopped: stopped.clone() });
        let mut stop = stopped;
        tokio::spawn(async move {
            let shutdown = async move {
                // Never sent on: this returns when the last handle drops the sender.
                let _ = stop.changed().await;
            };
            if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
                tracing::warn!(error = %e, "the SMS simulator stopped");
            }
        });
        Ok(SmsSimulator { shared, _alive: Arc::new(alive) })
    }

    /// Where an adapter of `provider` should send: `http://127.0.0.1:PORT/smsru` or `.../smsc`
    /// (the adapters append `/sms/send`, `/sms/status`, `/sys/send.php` and `/sys/status.php`).
    /// `Simulator` gives the server's root.
    pub fn base_url(&self, provider: SmsProvider) -> String {
        let root = format!("http://{}", self.shared.addr);
        match provider {
            SmsProvider::Smsru => format!("{root}/smsru"),
            SmsProvider::Smsc => format!("{root}/smsc"),
            SmsProvider::Simulator => root,
        }
    }

    /// Every accepted message, oldest first.
    pub fn messages(&self) -> Vec<SimMessage> {
        self.state().messages.clone()
    }

    /// The last run of exactly six digits in the latest text to this number: the code a person
    /// would type. Accepts the number in any spelling `Phone::parse` takes.
    pub fn last_code_for(&self, phone_e164: &str) -> Option<String> {
        let phone = Phone::parse(phone_e164).map(|p| p.as_e164().to_owned()).unwrap_or_else(|_| phone_e164.to_owned());
        let state = self.state();
        let latest = state.messages.iter().rev().find(|m| m.phone == phone)?;
        last_six_digit_run(&latest.text)
    }

    pub fn script(&self, script: Script) {
        let mut state = self.state();
        let (action, count) = match script {
            Script::FailNext { count, error_code } => (Action::Fail(error_code), count),
            Script::HttpStatusNext { count, status } => (Action::Http(status), count),
            Script::HangNext { count } => (Action::Hang, count),
            Script::StatusNext { count, answer } => {
                if count > 0 {
                    state.status_scripts.push_back((answer, count));
                }
                return;
            }
            Script::Reset => {
                state.scripts.clear();
                state.status_scripts.clear();
                return;
            }
        };
        if count > 0 {
            state.scripts.push_back((action, count));
        }
    }

    /// Forgets messages and scripts. Ids keep counting up: the shim's evidence may already hold
    /// earlier ones, and a real provider never reuses an id.
    pub fn reset(&self) {
        let mut state = self.state();
        state.messages.clear();
        state.scripts.clear();
        state.status_scripts.clear();
    }

    /// Inspection and scripting over HTTP, for the shim to mount at `/__sim/sms` in demo and
    /// test modes only: `GET /messages`, `POST /script`, `POST /reset`.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/messages", get(inspect_messages))
            .route("/script", post(inspect_script))
            .route("/reset", post(inspect_reset))
            .with_state(self.clone())
    }

    fn state(&self) -> MutexGuard<'_, SimState> {
        self.shared.lock()
    }
}

impl Shared {
    // A panic while holding the lock cannot leave the state half-changed in a way that matters
    // to a simulator, so a poisoned lock is used as is rather than failing every later request.
    fn lock(&self) -> MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn next_action(&self) -> Option<Action> {
        let mut state = self.lock();
        let (action, left) = state.scripts.front_mut()?;
        let action = *action;
        *left -= 1;
        if *left == 0 {
            state.scripts.pop_front();
        }
        Some(action)
    }

    fn next_status_answer(&self) -> Option<StatusAnswer> {
        let mut state = self.lock();
        let (answer, left) = state.status_scripts.front_mut()?;
        let answer = *answer;
        *left -= 1;
        if *left == 0 {
            state.status_scripts.pop_front();
        }
        Some(answer)
    }
}

fn last_six_digit_run(text: &str) -> Option<String> {
    let mut found = None;
    let mut run = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() {
            run.push(c);
        } else {
            if run.len() == 6 {
                found = Some(run.clone());
            }
            run.clear();
        }
    }
    found
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

// ---- the inspection router ----

async fn inspect_messages(State(sim): State<SmsSimulator>) -> Response {
    // The demo page on the company's origin polls this to show the "phone"; it carries no
    // credentials, so a wildcard is enough and safe.
    ([(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")], Json(sim.messages())).into_response()
}

async fn inspect_script(State(sim): State<SmsSimulator>, Json(script): Json<Script>) -> StatusCode {
    sim.script(script);
    StatusCode::NO_CONTENT
}

async fn inspect_reset(State(sim): State<SmsSimulator>) -> StatusCode {
    sim.reset();
    StatusCode::NO_CONTENT
}

// ---- the protocol server ----

#[derive(Clone)]
struct Proto {
    shared: Arc<Shared>,
    stopped: watch::Receiver<()>,
}

type Params = HashMap<String, String>;

fn param<'a>(p: &'a Params, name: &str) -> &'a str {
    p.get(name).map(|v| v.trim()).unwrap_or("")
}

/// Applies a scripted answer, if one is queued. `Fail` is left to the protocol handler.
async fn scripted(proto: &Proto) -> Result<Option<i64>, Response> {
    match proto.shared.next_action() {
        None => Ok(None),
        Some(Action::Fail(code)) => Ok(Some(code)),
        Some(Action::Http(status)) => Err(http_status(status)),
        Some(Action::Hang) => {
            let mut stopped = proto.stopped.clone();
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(3600)) => {}
                _ = stopped.changed() => {}
            }
            Err(StatusCode::SERVICE_UNAVAILABLE.into_response())
        }
    }
}

fn http_status(status: u16) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    let body = format!("<html><body><h1>{status}</h1></body></html>");
    (status, [(header::CONTENT_TYPE, "text/html")], body).into_response()
}

fn json_only(what: &str) -> Response {
    (StatusCode::BAD_REQUEST, format!("the SMS simulator speaks {what} only")).into_response()
}

/// Splits a recipient list the way the providers do and parses each number.
fn recipients(list: &str) -> Vec<(String, Result<Phone, PhoneError>)> {
    list.split([',', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|raw| {
            let digits = raw.strip_prefix('+').unwrap_or(raw);
            let parsed = if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
                Phone::parse(&format!("+{digits}"))
            } else {
                Err(PhoneError::Malformed)
            };
            (raw.to_owned(), parsed)
        })
        .collect()
}

// SMS.ru

fn smsru_text(code: i64) -> &'static str {
    match code {
        200 => "Неправильный api_id",
        201 => "Не хватает средств на лицевом счету",
        202 => "Неправильно указан номер телефона получателя, либо на него нет маршрута",
        203 => "Нет текста сообщения",
        204 => "Имя отправителя не согласовано с администрацией",
        205 => "Сообщение слишком длинное (превышает 8 СМС)",
        206 => "Будет превышен или уже превышен дневной лимит на отправку сообщений",
        207 => "На этот номер (или один из номеров) нельзя отправлять сообщения, либо указано более 100 номеров в списке получателей",
        209 => "Вы добавили этот номер (или один из номеров) в стоп-лист",
        210 => "Используется GET, где необходимо использовать POST",
        212 => "Текст сообщения необходимо передать в кодировке UTF-8",
        220 => "Сервис временно недоступен, попробуйте чуть позже",
        230 => "Превышен общий лимит количества сообщений на этот номер в день",
        231 => "Превышен лимит одинаковых сообщений на этот номер в минуту",
        232 => "Превышен лимит одинаковых сообщений на этот номер в день",
        233 => "Превышен лимит отправки повторных сообщений с кодом на этот номер за короткий промежуток времени",
        300 => "Неправильный token (возможно истек срок действия, либо ваш IP изменился)",
        301 => "Неправильный api_id, либо логин/пароль",
        302 => "Пользователь авторизован, но аккаунт не подтвержден",
        _ => "Ошибка",
    }
}

fn smsru_error(code: i64) -> Response {
    Json(json!({ "status": "ERROR", "status_code": code, "status_text": smsru_text(code) })).into_response()
}

/// Codes about one number go in its entry of `sms`; the rest are about the whole request.
fn smsru_per_number(code: i64) -> bool {
    matches!(code, 202 | 207 | 209 | 214 | 215 | 230..=233)
}

/// SMS.ru answers a GET to sms/send with 210 in the JSON body, HTTP 200.
async fn smsru_get() -> Response {
    smsru_error(210)
}

async fn smsru_send(State(proto): State<Proto>, Form(p): Form<Params>) -> Response {
    let fail = match scripted(&proto).await {
        Ok(fail) => fail,
        Err(response) => return response,
    };
    if param(&p, "json") != "1" {
        return json_only("json=1");
    }
    let to = recipients(param(&p, "to"));
    match fail {
        Some(code) if smsru_per_number(code) && !to.is_empty() => {
            let sms: serde_json::Map<String, serde_json::Value> = to
                .iter()
                .map(|(raw, _)| {
                    let entry = json!({ "status": "ERROR", "status_code": code, "status_text": smsru_text(code) });
                    (raw.clone(), entry)
                })
                .collect();
            return Json(json!({ "status": "OK", "status_code": 100, "sms": sms, "balance": 1000.0 })).into_response();
        }
        Some(code) => return smsru_error(code),
        None => {}
    }
    if param(&p, "api_id").is_empty() {
        return smsru_error(200);
    }
    let text = p.get("msg").map(String::as_str).unwrap_or("");
    if text.trim().is_empty() {
        return smsru_error(203);
    }
    if to.is_empty() {
        return smsru_error(202);
    }
    if to.len() > 100 {
        return smsru_error(207);
    }
    let received_at = now_rfc3339();
    let mut state = proto.shared.lock();
    let mut sms = serde_json::Map::new();
    for (raw, phone) in to {
        let entry = match phone {
            Ok(phone) => {
                let id = format!("000000-{}", state.next_smsru);
                state.next_smsru += 1;
                state.messages.push(SimMessage {
                    id: id.clone(),
                    provider: "smsru".into(),
                    phone: phone.as_e164().to_owned(),
                    text: text.to_owned(),
                    received_at: received_at.clone(),
                });
                json!({ "status": "OK", "status_code": 100, "sms_id": id })
            }
            // SMS.ru's own example answers a landline with 207; only +7 9xx mobiles get through.
            Err(e) => {
                let code = if e == PhoneError::NotRussianMobile { 207 } else { 202 };
                json!({ "status": "ERROR", "status_code": code, "status_text": smsru_text(code) })
            }
        };
        sms.insert(raw, entry);
    }
    Json(json!({ "status": "OK", "status_code": 100, "sms": sms, "balance": 1000.0 })).into_response()
}

fn smsru_status_text(code: i64) -> &'static str {
    match code {
        -1 => "Сообщение не найдено",
        100 => "Сообщение находится в нашей очереди",
        101 => "Сообщение передается оператору",
        102 => "Сообщение отправлено (в пути)",
        103 => "Сообщение доставлено",
        104 => "Не может быть доставлено: время жизни истекло",
        _ => "Неизвестный статус",
    }
}

/// The delivery codes, (SMS.ru, SMSC), a scripted answer stands for; no script means delivered.
fn reported(answer: Option<StatusAnswer>) -> (i64, i64) {
    match answer {
        Some(StatusAnswer::Queued) => (100, -1),
        Some(StatusAnswer::Sent) => (101, 0),
        Some(StatusAnswer::Undelivered) => (104, 3),
        _ => (103, 1),
    }
}

async fn smsru_status(State(proto): State<Proto>, Form(p): Form<Params>) -> Response {
    let answer = proto.shared.next_status_answer();
    match answer {
        Some(StatusAnswer::HttpStatus(status)) => return http_status(status),
        // SMS.ru's answer without json=1: the request code, then the message's code.
        Some(StatusAnswer::Garbage) => return "100\n103\n".into_response(),
        Some(StatusAnswer::ErrorCode(code)) => return smsru_error(code),
        _ => {}
    }
    if param(&p, "json") != "1" {
        return json_only("json=1");
    }
    if param(&p, "api_id").is_empty() {
        return smsru_error(200);
    }
    let state = proto.shared.lock();
    let sms: serde_json::Map<String, serde_json::Value> = param(&p, "sms_id")
        .split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(|id| {
            let known = state.messages.iter().any(|m| m.provider == "smsru" && m.id == id);
            let code = if known { reported(answer).0 } else { -1 };
            let status = if known { "OK" } else { "ERROR" };
            (id.to_owned(), json!({ "status": status, "status_code": code, "status_text": smsru_status_text(code) }))
        })
        .collect();
    Json(json!({ "status": "OK", "status_code": 100, "sms": sms, "balance": 1000.0 })).into_response()
}

// SMSC

fn smsc_text(code: i64) -> &'static str {
    match code {
        1 => "parameters error",
        2 => "authorise error",
        3 => "no money",
        4 => "IP address is temporarily blocked",
        5 => "invalid date format",
        6 => "message is denied",
        7 => "invalid phone number",
        8 => "message to the specified number cannot be delivered",
        9 => "duplicate request, wait a minute",
        _ => "error",
    }
}

/// SMSC adds the message's id to the errors that happen after it got one (3, 6, 7, 8).
fn smsc_error(state: &mut SimState, code: i64) -> Response {
    let mut body = json!({ "error": smsc_text(code), "error_code": code });
    if matches!(code, 3 | 6 | 7 | 8) {
        body["id"] = json!(state.next_smsc);
        state.next_smsc += 1;
    }
    Json(body).into_response()
}

/// How many SMS a text takes: 160/153 characters in GSM-7 (approximated as ASCII), 70/67 in UCS-2.
fn sms_parts(text: &str) -> usize {
    let n = text.chars().count();
    let (single, multi) = if text.is_ascii() { (160, 153) } else { (70, 67) };
    if n <= single {
        1
    } else {
        n.div_ceil(multi)
    }
}

async fn smsc_send(State(proto): State<Proto>, Form(p): Form<Params>) -> Response {
    let fail = match scripted(&proto).await {
        Ok(fail) => fail,
        Err(response) => return response,
    };
    if param(&p, "fmt") != "3" {
        return json_only("fmt=3");
    }
    let mut state = proto.shared.lock();
    if let Some(code) = fail {
        return smsc_error(&mut state, code);
    }
    let by_key = !param(&p, "apikey").is_empty();
    let by_login = !param(&p, "login").is_empty() && !param(&p, "psw").is_empty();
    if !by_key && !by_login {
        return smsc_error(&mut state, 2);
    }
    // The real SMSC reads windows-1251 without this and garbles the text; refusing here makes
    // an adapter that forgets it fail its tests instead of sending mojibake in production.
    if !param(&p, "charset").eq_ignore_ascii_case("utf-8") {
        return Json(json!({ "error": "parameters error (the simulator expects charset=utf-8)", "error_code": 1 }))
            .into_response();
    }
    let text = p.get("mes").map(String::as_str).unwrap_or("");
    let to = recipients(param(&p, "phones"));
    if text.trim().is_empty() || to.is_empty() {
        return smsc_error(&mut state, 1);
    }
    let mut phones = Vec::with_capacity(to.len());
    for (_, phone) in to {
        match phone {
            Ok(phone) => phones.push(phone),
            Err(PhoneError::Malformed) => return smsc_error(&mut state, 7),
            Err(PhoneError::NotRussianMobile) => return smsc_error(&mut state, 8),
        }
    }
    let id = state.next_smsc;
    state.next_smsc += 1;
    let received_at = now_rfc3339();
    let cnt = sms_parts(text) * phones.len();
    for phone in phones {
        state.messages.push(SimMessage {
            id: id.to_string(),
            provider: "smsc".into(),
            phone: phone.as_e164().to_owned(),
            text: text.to_owned(),
            received_at: received_at.clone(),
        });
    }
    Json(json!({ "id": id, "cnt": cnt })).into_response()
}

fn smsc_status_text(code: i64) -> &'static str {
    match code {
        5 => "delete error",
        9 => "duplicate request, wait a minute",
        _ => smsc_text(code),
    }
}

/// SMSC's `last_date`, `dd.mm.yyyy hh:mm:ss` in Moscow time (its default), and
/// `last_timestamp`, both of the moment the simulator accepted the message: the simulator's
/// statuses never change by themselves, which keeps it deterministic.
fn smsc_last_change(received_at: &str) -> (String, i64) {
    let format = time::macros::format_description!("[day].[month].[year] [hour]:[minute]:[second]");
    let Ok(at) = time::OffsetDateTime::parse(received_at, &time::format_description::well_known::Rfc3339) else {
        return (String::new(), 0);
    };
    let moscow = time::UtcOffset::from_hms(3, 0, 0).unwrap_or(time::UtcOffset::UTC);
    (at.to_offset(moscow).format(&format).unwrap_or_default(), at.unix_timestamp())
}

async fn smsc_status(State(proto): State<Proto>, Form(p): Form<Params>) -> Response {
    let answer = proto.shared.next_status_answer();
    match answer {
        Some(StatusAnswer::HttpStatus(status)) => return http_status(status),
        // SMSC's default fmt=0 answer.
        Some(StatusAnswer::Garbage) => return "Status = 1, check_time = 10.10.2010 10:10:10".into_response(),
        Some(StatusAnswer::ErrorCode(code)) => {
            return Json(json!({ "error": smsc_status_text(code), "error_code": code })).into_response()
        }
        _ => {}
    }
    if param(&p, "fmt") != "3" {
        return json_only("fmt=3");
    }
    let error = |code: i64| Json(json!({ "error": smsc_status_text(code), "error_code": code })).into_response();
    let by_key = !param(&p, "apikey").is_empty();
    let by_login = !param(&p, "login").is_empty() && !param(&p, "psw").is_empty();
    if !by_key && !by_login {
        return error(2);
    }
    // As on send: the adapter must ask for UTF-8, or real error texts come in windows-1251.
    if !param(&p, "charset").eq_ignore_ascii_case("utf-8") {
        return Json(json!({ "error": "parameters error (the simulator expects charset=utf-8)", "error_code": 1 }))
            .into_response();
    }
    let (id, phones) = (param(&p, "id"), param(&p, "phone"));
    if id.is_empty() || phones.is_empty() {
        return error(1);
    }
    if id.contains(',') || phones.contains(',') {
        return (StatusCode::BAD_REQUEST, "the SMS simulator answers one phone and id per status query").into_response();
    }
    // A number that does not parse matches no message, as on SMSC.
    let phone = recipients(phones).pop().and_then(|(_, phone)| phone.ok());
    let state = proto.shared.lock();
    let found = phone.and_then(|phone| {
        state.messages.iter().find(|m| m.provider == "smsc" && m.id == id && m.phone == phone.as_e164())
    });
    match found {
        Some(m) => {
            let (last_date, last_timestamp) = smsc_last_change(&m.received_at);
            Json(json!({ "status": reported(answer).1, "last_date": last_date, "last_timestamp": last_timestamp }))
                .into_response()
        }
        None => Json(json!({ "status": -3 })).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    #[test]
    fn codes_are_the_last_run_of_exactly_six_digits() {
        assert_eq!(last_six_digit_run("Код 123456. Никому не сообщайте."), Some("123456".into()));
        assert_eq!(last_six_digit_run("Код входа: 482913, действует 5 минут. КПК 2024"), Some("482913".into()));
        assert_eq!(last_six_digit_run("111111 и 222222"), Some("222222".into()));
        assert_eq!(last_six_digit_run("Заявка 1234567 принята"), None);
        assert_eq!(last_six_digit_run("без кода"), None);
    }

    #[test]
    fn script_json_is_tagged_by_kind() {
        let s: Script = serde_json::from_str(r#"{"kind":"fail_next","count":1,"error_code":201}"#).unwrap();
        assert_eq!(s, Script::FailNext { count: 1, error_code: 201 });
        let s: Script = serde_json::from_str(r#"{"kind":"http_status_next","count":2,"status":502}"#).unwrap();
        assert_eq!(s, Script::HttpStatusNext { count: 2, status: 502 });
        let s: Script = serde_json::from_str(r#"{"kind":"hang_next","count":1}"#).unwrap();
        assert_eq!(s, Script::HangNext { count: 1 });
        let s: Script = serde_json::from_str(r#"{"kind":"reset"}"#).unwrap();
        assert_eq!(s, Script::Reset);
    }

    #[test]
    fn status_script_json_is_tagged_by_kind() {
        let cases = [
            (r#"{"kind":"status_next","count":1,"answer":"undelivered"}"#, StatusAnswer::Undelivered),
            (r#"{"kind":"status_next","count":1,"answer":"queued"}"#, StatusAnswer::Queued),
            (r#"{"kind":"status_next","count":1,"answer":"sent"}"#, StatusAnswer::Sent),
            (r#"{"kind":"status_next","count":1,"answer":"delivered"}"#, StatusAnswer::Delivered),
            (r#"{"kind":"status_next","count":1,"answer":"garbage"}"#, StatusAnswer::Garbage),
            (r#"{"kind":"status_next","count":1,"answer":{"error_code":9}}"#, StatusAnswer::ErrorCode(9)),
            (r#"{"kind":"status_next","count":1,"answer":{"http_status":502}}"#, StatusAnswer::HttpStatus(502)),
        ];
        for (json, answer) in cases {
            let s: Script = serde_json::from_str(json).unwrap();
            assert_eq!(s, Script::StatusNext { count: 1, answer }, "{json}");
            assert_eq!(serde_json::to_string(&s).unwrap(), json);
        }
    }

    #[tokio::test]
    async fn status_scripts_queue_apart_from_send_scripts() {
        let sim = SmsSimulator::start().await.unwrap();
        sim.script(Script::StatusNext { count: 2, answer: StatusAnswer::Queued });
        sim.script(Script::FailNext { count: 1, error_code: 201 });
        sim.script(Script::StatusNext { count: 1, answer: StatusAnswer::Undelivered });
        sim.script(Script::StatusNext { count: 0, answer: StatusAnswer::Garbage });
        assert_eq!(sim.shared.next_action(), Some(Action::Fail(201)));
        assert_eq!(sim.shared.next_action(), None, "sends never take a status script");
        assert_eq!(sim.shared.next_status_answer(), Some(StatusAnswer::Queued));
        assert_eq!(sim.shared.next_status_answer(), Some(StatusAnswer::Queued));
        assert_eq!(sim.shared.next_status_answer(), Some(StatusAnswer::Undelivered));
        assert_eq!(sim.shared.next_status_answer(), None, "count 0 queues nothing");

        sim.script(Script::StatusNext { count: 1, answer: StatusAnswer::Queued });
        sim.script(Script::Reset);
        assert_eq!(sim.shared.next_status_answer(), None);
        sim.script(Script::StatusNext { count: 1, answer: StatusAnswer::Queued });
        sim.reset();
        assert_eq!(sim.shared.next_status_answer(), None);
    }

    #[tokio::test]
    async fn status_endpoints_check_credentials_and_format_as_send_does() {
        let sim = SmsSimulator::start().await.unwrap();
        let http = reqwest::Client::new();
        let smsru = format!("{}/sms/status", sim.base_url(SmsProvider::Smsru));
        let body: serde_json::Value =
            http.post(&smsru).form(&[("sms_id", "000000-1"), ("json", "1")]).send().await.unwrap().json().await.unwrap();
        assert_eq!((body["status"].as_str(), body["status_code"].as_i64()), (Some("ERROR"), Some(200)), "{body}");
        let res = http.post(&smsru).form(&[("api_id", "k"), ("sms_id", "000000-1")]).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        // SMS.ru answers status over GET as well, and per id.
        let body: serde_json::Value = http
            .get(format!("{smsru}?api_id=k&sms_id=000000-1,000000-2&json=1"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(body["sms"]["000000-2"]["status_code"], -1, "{body}");

        let smsc = format!("{}/sys/status.php", sim.base_url(SmsProvider::Smsc));
        let ask = |q: &'static [(&str, &str)]| {
            let req = http.get(&smsc).query(q);
            async move { req.send().await.unwrap() }
        };
        let body: serde_json::Value =
            ask(&[("phone", "79161234567"), ("id", "1"), ("fmt", "3"), ("charset", "utf-8")]).await.json().await.unwrap();
        assert_eq!(body["error_code"], 2, "{body}");
        let body: serde_json::Value =
            ask(&[("apikey", "k"), ("phone", "79161234567"), ("id", "1"), ("fmt", "3")]).await.json().await.unwrap();
        assert_eq!(body["error_code"], 1, "without charset=utf-8: {body}");
        let body: serde_json::Value =
            ask(&[("apikey", "k"), ("id", "1"), ("fmt", "3"), ("charset", "utf-8")]).await.json().await.unwrap();
        assert_eq!(body["error_code"], 1, "without a phone: {body}");
        let res = ask(&[("apikey", "k"), ("phone", "79161234567"), ("id", "1"), ("charset", "utf-8")]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn parts_follow_the_encoding() {
        assert_eq!(sms_parts("Code 123456"), 1);
        assert_eq!(sms_parts(&"a".repeat(161)), 2);
        assert_eq!(sms_parts(&"я".repeat(70)), 1);
        assert_eq!(sms_parts(&"я".repeat(71)), 2);
    }

    #[tokio::test]
    async fn scripts_queue_and_reset_clears_them() {
        let sim = SmsSimulator::start().await.unwrap();
        sim.script(Script::FailNext { count: 2, error_code: 201 });
        sim.script(Script::HttpStatusNext { count: 1, status: 502 });
        assert_eq!(sim.shared.next_action(), Some(Action::Fail(201)));
        assert_eq!(sim.shared.next_action(), Some(Action::Fail(201)));
        assert_eq!(sim.shared.next_action(), Some(Action::Http(502)));
        assert_eq!(sim.shared.next_action(), None);
        sim.script(Script::HangNext { count: 0 });
        assert_eq!(sim.shared.next_action(), None, "count 0 queues nothing");
        sim.script(Script::HangNext { count: 3 });
        sim.script(Script::Reset);
        assert_eq!(sim.shared.next_action(), None);
    }

    #[tokio::test]
    async fn inspection_router_lists_scripts_and_resets() {
        let sim = SmsSimulator::start().await.unwrap();
        sim.state().messages.push(SimMessage {
            id: "000000-10000001".into(),
            provider: "smsru".into(),
            phone: "+79161234567".into(),
            text: "Код 123456".into(),
            received_at: now_rfc3339(),
        });
        let app = sim.router();

        let res = app.clone().oneshot(Request::get("/messages").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
        assert!(res.headers().get(header::ACCESS_CONTROL_ALLOW_CREDENTIALS).is_none());
        let body = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
        let listed: Vec<SimMessage> = serde_json::from_slice(&body).unwrap();
        assert_eq!(listed, sim.messages());
        assert_eq!(listed.len(), 1);

        let script = Request::post("/script")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(r#"{"kind":"fail_next","count":1,"error_code":201}"#))
            .unwrap();
        let res = app.clone().oneshot(script).await.unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        assert_eq!(sim.shared.next_action(), Some(Action::Fail(201)));

        sim.script(Script::HangNext { count: 1 });
        let res = app.oneshot(Request::post("/reset").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        assert!(sim.messages().is_empty());
        assert_eq!(sim.shared.next_action(), None);
    }

    #[tokio::test]
    async fn dropping_the_last_handle_stops_the_server() {
        let sim = SmsSimulator::start().await.unwrap();
        let addr = sim.shared.addr;
        tokio::net::TcpStream::connect(addr).await.expect("listening while a handle lives");
        drop(sim);
        // The accept loop ends on the next poll; give it a bounded number of chances.
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(addr).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the simulator still listens after its last handle was dropped");
    }
}
