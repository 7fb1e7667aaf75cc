//! SMS.ru adapter: `POST {base}/sms/send` and `POST {base}/sms/status`, UTF-8 forms with
//! `json=1`, the JSON answers mapped to a receipt or a delivery status, or an `SmsError`.

use std::collections::BTreeMap;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use kabinet_api::Phone;

use super::{
    endpoint, http_client, query_status, send_form, DeliveryState, Loose, SmsError, SmsMessage, SmsReceipt, SmsSender,
    SmsStatus,
};

const PROVIDER: &str = "smsru";

/// Sends through SMS.ru with an `api_id`.
pub struct SmsRu {
    client: reqwest::Client,
    url: String,
    status_url: String,
    api_id: SecretString,
    sender: Option<String>,
    timeout_secs: u64,
}

impl SmsRu {
    pub const DEFAULT_BASE_URL: &'static str = "https://sms.ru";

    /// `base_url` without the path (`https://sms.ru`); an empty `sender` means the account's
    /// default sender.
    pub fn new(base_url: &str, api_id: SecretString, sender: &str, timeout_secs: u64) -> anyhow::Result<SmsRu> {
        Ok(SmsRu {
            client: http_client(timeout_secs)?,
            url: endpoint(base_url, "/sms/send")?,
            status_url: endpoint(base_url, "/sms/status")?,
            api_id,
            sender: (!sender.is_empty()).then(|| sender.to_owned()),
            timeout_secs,
        })
    }

    /// The request's fields; `to` is the eleven digits, as SMS.ru's documentation writes them.
    fn form(&self, message: &SmsMessage) -> Vec<(&'static str, String)> {
        let mut form = vec![
            ("api_id", self.api_id.expose_secret().to_owned()),
            ("to", message.phone.digits().to_owned()),
            ("msg", message.text.clone()),
            ("json", "1".to_owned()),
        ];
        if let Some(sender) = &self.sender {
            form.push(("from", sender.clone()));
        }
        // The client's address feeds SMS.ru's per-IP anti-fraud limits.
        if let Some(ip) = message.client_ip {
            form.push(("ip", ip.to_string()));
        }
        form
    }

    /// The status query's fields: one id per query, so the answer is about that message only.
    fn status_form(&self, message_id: &str) -> Vec<(&'static str, String)> {
        vec![
            ("api_id", self.api_id.expose_secret().to_owned()),
            ("sms_id", message_id.to_owned()),
            ("json", "1".to_owned()),
        ]
    }
}

// Written by hand so that no future field can leak the api_id through a derive.
impl std::fmt::Debug for SmsRu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsRu")
            .field("url", &self.url)
            .field("status_url", &self.status_url)
            .field("api_id", &"[redacted]")
            .field("sender", &self.sender)
            .field("timeout_secs", &self.timeout_secs)
            .finish()
    }
}

#[async_trait::async_trait]
impl SmsSender for SmsRu {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    async fn send(&self, message: &SmsMessage) -> Result<SmsReceipt, SmsError> {
        let form = self.form(message);
        send_form(PROVIDER, &self.client, &self.url, &form, self.timeout_secs, &message.phone, |body| parse_answer(body, message.phone.digits())).await
    }

    async fn status(&self, message_id: &str, phone: &Phone) -> Result<SmsStatus, SmsError> {
        let request = self.client.post(&self.status_url).form(&self.status_form(message_id));
        query_status(PROVIDER, request, self.timeout_secs, message_id, phone, |body| parse_status(body, message_id)).await
    }
}

#[derive(Debug, Deserialize)]
struct Answer {
    status: String,
    status_code: Option<Loose>,
    #[serde(default)]
    status_text: Option<String>,
    #[serde(default)]
    sms: BTreeMap<String, PhoneAnswer>,
}

#[derive(Debug, Deserialize)]
struct PhoneAnswer {
    status: String,
    status_code: Option<Loose>,
    #[serde(default)]
    status_text: Option<String>,
    #[serde(default)]
    sms_id: Option<Loose>,
}

/// The `sms_id` for `digits` (`79161234567`) out of a `json=1` answer, or why there is none.
fn parse_answer(body: &str, digits: &str) -> Result<String, SmsError> {
    let answer: Answer =
        serde_json::from_str(body).map_err(|e| SmsError::Malformed(format!("not SMS.ru's JSON answer: {e}")))?;
    if answer.status != "OK" {
        return Err(refusal(answer.status_code.as_ref(), answer.status_text));
    }
    // SMS.ru keys the map by the number as we sent it; the other spellings are accepted in case
    // it ever echoes a normalised form.
    let one = answer.sms.len() == 1;
    let mut sms = answer.sms;
    let entry = sms
        .remove(digits)
        .or_else(|| sms.remove(&format!("+{digits}")))
        .or_else(|| if one { sms.pop_first().map(|(_, v)| v) } else { None })
        .ok_or_else(|| SmsError::Malformed(format!("the answer has no result for {digits}")))?;
    if entry.status != "OK" {
        return Err(refusal(entry.status_code.as_ref(), entry.status_text));
    }
    match entry.sms_id.map(Loose::into_text) {
        Some(id) if !id.trim().is_empty() => Ok(id),
        _ => Err(SmsError::Malformed("the message was accepted without an sms_id".into())),
    }
}

/// The state and code of message `sms_id` out of a `sms/status` answer with `json=1`.
fn parse_status(body: &str, sms_id: &str) -> Result<(DeliveryState, i64), SmsError> {
    let answer: Answer =
        serde_json::from_str(body).map_err(|e| SmsError::Malformed(format!("not SMS.ru's JSON answer: {e}")))?;
    if answer.status != "OK" {
        return Err(refusal(answer.status_code.as_ref(), answer.status_text));
    }
    // Unlike the send path, no other key is taken as a stand-in: the answer is evidence about
    // this id, and SMS.ru echoes ids exactly as asked.
    let mut sms = answer.sms;
    let entry =
        sms.remove(sms_id).ok_or_else(|| SmsError::Malformed(format!("the answer has no result for {sms_id}")))?;
    let Some(code) = entry.status_code.as_ref().and_then(Loose::as_i64) else {
        return Err(SmsError::Malformed("a status result without a numeric status_code".into()));
    };
    match delivery_state(code) {
        // -1 (not found) comes marked ERROR but is an answer about the message, not a failure.
        Some(state) => Ok((state, code)),
        None if entry.status != "OK" => Err(classify(code, entry.status_text.unwrap_or_default())),
        None => Ok((DeliveryState::Unknown, code)),
    }
}

/// SMS.ru's delivery codes of one message; `None` for codes that are not about delivery.
fn delivery_state(code: i64) -> Option<DeliveryState> {
    Some(match code {
        -1 => DeliveryState::NotFound,
        100 => DeliveryState::Queued,
        // 101 being handed to the operator, 102 sent (on its way).
        101 | 102 => DeliveryState::Sent,
        103 => DeliveryState::Delivered,
        // 104 expired, 105 deleted by the operator, 106 phone failure, 107 unknown reason,
        // 108 rejected, 150 no route to the number.
        104..=108 | 150 => DeliveryState::Undelivered,
        _ => return None,
    })
}

fn refusal(code: Option<&Loose>, text: Option<String>) -> SmsError {
    let Some(code) = code.and_then(Loose::as_i64) else {
        return SmsError::Malformed("an error answer without a numeric status_code".into());
    };
    classify(code, text.unwrap_or_default())
}

/// SMS.ru's request and per-number error codes, grouped by who has to act.
fn classify(code: i64, message: String) -> SmsError {
    match code {
        // Bad number; no route to (or sending forbidden to) this number.
        202 | 207 => SmsError::BadPhone { code, message },
        // Bad api_id, no funds; bad token, bad credentials, account not confirmed.
        200 | 201 | 300..=302 => SmsError::Account { code, message },
        // Per-number daily, identical-message and code-repeat limits.
        230..=233 => SmsError::RateLimited { code, message },
        _ => SmsError::Refused { code, message },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example answer from SMS.ru's documentation of sms/send (comments removed): one
    // number accepted, one refused with 207.
    const DOC_EXAMPLE: &str = r#"{
        "status": "OK",
        "status_code": 100,
        "sms": {
            "79255070602": {
                "status": "OK",
                "status_code": 100,
                "sms_id": "000000-10000000"
            },
            "74993221627": {
                "status": "ERROR",
                "status_code": 207,
                "status_text": "На этот номер (или один из номеров) нельзя отправлять сообщения, либо указано более 100 номеров в списке получателей"
            }
        },
        "balance": 4122.56
    }"#;

    #[test]
    fn accepted_number_gives_its_sms_id() {
        assert_eq!(parse_answer(DOC_EXAMPLE, "79255070602").unwrap(), "000000-10000000");
    }

    #[test]
    fn refused_number_in_an_ok_answer_is_an_error_of_that_number() {
        match parse_answer(DOC_EXAMPLE, "74993221627").unwrap_err() {
            SmsError::BadPhone { code: 207, message } => assert!(message.starts_with("На этот номер")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn request_level_errors_are_classified() {
        let body = |code: i64| format!(r#"{{"status":"ERROR","status_code":{code},"status_text":"x"}}"#);
        assert!(matches!(parse_answer(&body(200), "79161234567"), Err(SmsError::Account { code: 200, .. })));
        assert!(matches!(parse_answer(&body(201), "79161234567"), Err(SmsError::Account { code: 201, .. })));
        assert!(matches!(parse_answer(&body(301), "79161234567"), Err(SmsError::Account { code: 301, .. })));
        assert!(matches!(parse_answer(&body(202), "79161234567"), Err(SmsError::BadPhone { code: 202, .. })));
        assert!(matches!(parse_answer(&body(231), "79161234567"), Err(SmsError::RateLimited { code: 231, .. })));
        assert!(matches!(parse_answer(&body(210), "79161234567"), Err(SmsError::Refused { code: 210, .. })));
        assert!(matches!(parse_answer(&body(220), "79161234567"), Err(SmsError::Refused { code: 220, .. })));
    }

    #[test]
    fn every_mapped_code_lands_in_its_group() {
        for code in [202, 207] {
            assert!(matches!(classify(code, String::new()), SmsError::BadPhone { .. }), "{code}");
        }
        for code in [200, 201, 300, 301, 302] {
            assert!(matches!(classify(code, String::new()), SmsError::Account { .. }), "{code}");
        }
        for code in [230, 231, 232, 233] {
            assert!(matches!(classify(code, String::new()), SmsError::RateLimited { .. }), "{code}");
        }
        for code in [203, 204, 206, 209, 210, 212, 229, 234, 303, 500] {
            assert!(matches!(classify(code, String::new()), SmsError::Refused { .. }), "{code}");
        }
    }

    #[test]
    fn numeric_sms_id_and_string_codes_are_read() {
        let body = r#"{"status":"OK","status_code":"100","sms":{"79161234567":{"status":"OK","status_code":"100","sms_id":12345}},"balance":"1.00"}"#;
        assert_eq!(parse_answer(body, "79161234567").unwrap(), "12345");
    }

    #[test]
    fn unreadable_answers_are_malformed() {
        for body in [
            "",
            "100\n000000-10000000\nbalance=4122.56",
            "<html>Bad Gateway</html>",
            r#"{"status":"OK","status_code":100,"sms":{}}"#,
            r#"{"status":"OK","status_code":100,"sms":{"79161234567":{"status":"OK","status_code":100}}}"#,
            r#"{"status":"ERROR"}"#,
        ] {
            assert!(matches!(parse_answer(body, "79161234567"), Err(SmsError::Malformed(_))), "{body:?}");
        }
    }

    fn message(ip: Option<&str>) -> SmsMessage {
        SmsMessage {
            phone: kabinet_api::Phone::parse("+7 916 123-45-67").unwrap(),
            text: "Код 123456".into(),
            client_ip: ip.map(|ip| ip.parse().unwrap()),
        }
    }

    #[test]
    fn form_carries_key_digits_text_json_sender_and_client_ip() {
        let s = SmsRu::new("https://sms.ru", SecretString::from("key-1"), "KPK-NK", 10).unwrap();
        let form = s.form(&message(Some("203.0.113.9")));
        let get = |k: &str| form.iter().find(|(name, _)| *name == k).map(|(_, v)| v.as_str());
        assert_eq!(get("api_id"), Some("key-1"));
        assert_eq!(get("to"), Some("79161234567"));
        assert_eq!(get("msg"), Some("Код 123456"));
        assert_eq!(get("json"), Some("1"));
        assert_eq!(get("from"), Some("KPK-NK"));
        assert_eq!(get("ip"), Some("203.0.113.9"));

        let s = SmsRu::new("https://sms.ru", SecretString::from("key-1"), "", 10).unwrap();
        let form = s.form(&message(None));
        assert!(form.iter().all(|(name, _)| *name != "from" && *name != "ip"), "{form:?}");
    }

    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn the_log_line_names_provider_id_and_masked_phone_never_the_text_or_key() {
        use crate::config::SmsProvider;
        use crate::gateways::sms::simulator::SmsSimulator;

        let logs = Captured::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt().with_writer(move || writer.clone()).with_ansi(false).finish();
        let _guard = tracing::subscriber::set_default(subscriber);

        let sim = SmsSimulator::start().await.unwrap();
        let s = SmsRu::new(&sim.base_url(SmsProvider::Smsru), SecretString::from("api-id-secret-42"), "", 10).unwrap();
        // Other tests run at the same time on other threads, without this subscriber. If one of
        // them reaches the log line's callsite first, tracing may cache "nobody listens" for it
        // while this subscriber is being installed (a race in its interest cache; it cost CI a
        // run). Once the callsite is registered, rebuilding the cache settles it: so send, and
        // if no line came, rebuild and send again. A line that is never written still fails.
        let mut sends = Vec::new();
        let mut found = None;
        for _ in 0..3 {
            tracing::callsite::rebuild_interest_cache();
            let receipt = s.send(&message(None)).await.unwrap();
            sends.push(receipt.message_id.clone());
            let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
            if let Some(line) = text.lines().find(|l| l.contains("sms sent")) {
                found = Some((line.to_owned(), receipt));
                break;
            }
        }
        let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
        let (line, receipt) = found.unwrap_or_else(|| panic!("no send line after {} sends in {text:?}", sends.len()));
        assert!(line.contains("smsru") && line.contains(&receipt.message_id), "{line}");
        assert!(line.contains("+7 916 ***-**-67"), "{line}");
        for secret in ["123456", "79161234567", "api-id-secret-42"] {
            assert!(!text.contains(secret), "{secret} leaked into {text}");
        }
    }

    // ---- status ----

    use crate::config::SmsProvider;
    use crate::gateways::sms::simulator::{Script, SmsSimulator, StatusAnswer};
    use crate::gateways::sms::DeliveryState;

    /// A simulator, an adapter on it, and the id of one message it accepted.
    async fn sent() -> (SmsSimulator, SmsRu, String) {
        let sim = SmsSimulator::start().await.unwrap();
        let s = SmsRu::new(&sim.base_url(SmsProvider::Smsru), SecretString::from("key-1"), "", 10).unwrap();
        let receipt = s.send(&message(None)).await.unwrap();
        (sim, s, receipt.message_id)
    }

    fn phone() -> kabinet_api::Phone {
        message(None).phone
    }

    #[tokio::test]
    async fn status_after_a_send_is_delivered() {
        let (_sim, s, id) = sent().await;
        let status = s.status(&id, &phone()).await.unwrap();
        assert_eq!((status.state, status.code), (DeliveryState::Delivered, 103), "{status:?}");
        assert!(status.state.is_final());
    }

    #[tokio::test]
    async fn status_keeps_the_raw_answer_byte_for_byte() {
        let (sim, s, id) = sent().await;
        let status = s.status(&id, &phone()).await.unwrap();
        // The simulator answers the same query the same way, so a second, hand-made request
        // shows what came over the wire.
        let url = format!("{}/sms/status", sim.base_url(SmsProvider::Smsru));
        let form = [("api_id", "key-1"), ("sms_id", id.as_str()), ("json", "1")];
        let wire = reqwest::Client::new().post(url).form(&form).send().await.unwrap().bytes().await.unwrap();
        assert_eq!(status.raw_response.as_bytes(), &wire[..]);
        let body: serde_json::Value = serde_json::from_str(&status.raw_response).unwrap();
        assert_eq!(body["sms"][&id]["status_code"], 103, "{body}");
    }

    #[tokio::test]
    async fn status_of_a_made_up_id_is_not_found() {
        let (_sim, s, _) = sent().await;
        let status = s.status("000000-99999999", &phone()).await.unwrap();
        assert_eq!((status.state, status.code), (DeliveryState::NotFound, -1), "{status:?}");
        assert!(status.raw_response.contains("000000-99999999"), "{}", status.raw_response);
    }

    #[tokio::test]
    async fn scripted_statuses_are_reported_then_delivery_resumes() {
        let (sim, s, id) = sent().await;
        sim.script(Script::StatusNext { count: 1, answer: StatusAnswer::Undelivered });
        sim.script(Script::StatusNext { count: 1, answer: StatusAnswer::Queued });
        sim.script(Script::StatusNext { count: 1, answer: StatusAnswer::Sent });
        let mut seen = Vec::new();
        for _ in 0..4 {
            let status = s.status(&id, &phone()).await.unwrap();
            seen.push((status.state, status.code));
        }
        assert_eq!(
            seen,
            [
                (DeliveryState::Undelivered, 104),
                (DeliveryState::Queued, 100),
                (DeliveryState::Sent, 101),
                (DeliveryState::Delivered, 103)
            ]
        );
    }

    #[tokio::test]
    async fn status_http_errors_and_garbage_are_errors() {
        let (sim, s, id) = sent().await;
        sim.script(Script::StatusNext { count: 1, answer: StatusAnswer::HttpStatus(502) });
        sim.script(Script::StatusNext { count: 1, answer: StatusAnswer::Garbage });
        assert_eq!(s.status(&id, &phone()).await.unwrap_err(), SmsError::Http(502));
        assert!(matches!(s.status(&id, &phone()).await, Err(SmsError::Malformed(_))));
        assert_eq!(s.status(&id, &phone()).await.unwrap().state, DeliveryState::Delivered, "the scripts are used up");
    }

    #[tokio::test]
    async fn status_request_errors_map_as_on_send() {
        let (sim, s, id) = sent().await;
        sim.script(Script::StatusNext { count: 1, answer: StatusAnswer::ErrorCode(201) });
        sim.script(Script::StatusNext { count: 1, answer: StatusAnswer::ErrorCode(231) });
        assert!(matches!(s.status(&id, &phone()).await, Err(SmsError::Account { code: 201, .. })));
        assert!(matches!(s.status(&id, &phone()).await, Err(SmsError::RateLimited { code: 231, .. })));
        let no_key = SmsRu::new(&sim.base_url(SmsProvider::Smsru), SecretString::from(""), "", 10).unwrap();
        assert!(matches!(no_key.status(&id, &phone()).await, Err(SmsError::Account { code: 200, .. })));
    }

    #[test]
    fn status_codes_map_to_states() {
        let body = |code: i64, status: &str| {
            format!(r#"{{"status":"OK","status_code":100,"sms":{{"000000-1":{{"status":"{status}","status_code":{code},"status_text":"x"}}}},"balance":1.0}}"#)
        };
        let cases = [
            (-1, "ERROR", DeliveryState::NotFound),
            (100, "OK", DeliveryState::Queued),
            (101, "OK", DeliveryState::Sent),
            (102, "OK", DeliveryState::Sent),
            (103, "OK", DeliveryState::Delivered),
            (104, "OK", DeliveryState::Undelivered),
            (105, "OK", DeliveryState::Undelivered),
            (106, "OK", DeliveryState::Undelivered),
            (107, "OK", DeliveryState::Undelivered),
            (108, "OK", DeliveryState::Undelivered),
            (150, "OK", DeliveryState::Undelivered),
            (110, "OK", DeliveryState::Unknown),
            (109, "OK", DeliveryState::Unknown),
        ];
        for (code, status, state) in cases {
            assert_eq!(parse_status(&body(code, status), "000000-1").unwrap(), (state, code), "{code}");
        }
        // A per-message error that is not a delivery code is classified as on send.
        assert!(matches!(parse_status(&body(202, "ERROR"), "000000-1"), Err(SmsError::BadPhone { code: 202, .. })));
        let request_error = r#"{"status":"ERROR","status_code":200,"status_text":"Неправильный api_id"}"#;
        assert!(matches!(parse_status(request_error, "000000-1"), Err(SmsError::Account { code: 200, .. })));
    }

    #[test]
    fn status_answers_about_another_id_or_unreadable_are_malformed() {
        for body in [
            "",
            "100\n103",
            r#"{"status":"OK","status_code":100,"sms":{}}"#,
            // The only entry is about another message: not taken as this one's.
            r#"{"status":"OK","status_code":100,"sms":{"000000-2":{"status":"OK","status_code":103}}}"#,
            r#"{"status":"OK","status_code":100,"sms":{"000000-1":{"status":"OK"}}}"#,
            r#"{"status":"ERROR"}"#,
        ] {
            assert!(matches!(parse_status(body, "000000-1"), Err(SmsError::Malformed(_))), "{body:?}");
        }
    }

    #[test]
    fn status_form_carries_key_id_and_json() {
        let s = SmsRu::new("https://sms.ru", SecretString::from("key-1"), "KPK-NK", 10).unwrap();
        assert_eq!(
            s.status_form("000000-10000001"),
            [("api_id", "key-1".to_owned()), ("sms_id", "000000-10000001".to_owned()), ("json", "1".to_owned())]
        );
    }

    #[test]
    fn debug_hides_the_api_id() {
        let s = SmsRu::new("https://sms.ru/", SecretString::from("api-id-secret-42"), "", 10).unwrap();
        let text = format!("{s:?}");
        assert!(!text.contains("api-id-secret-42"), "{text}");
        assert!(text.contains("https://sms.ru/sms/send"), "{text}");
    }
}
