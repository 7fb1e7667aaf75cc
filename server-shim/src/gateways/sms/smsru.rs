//! SMS.ru adapter: `POST {base}/sms/send` with a UTF-8 form and `json=1`, the JSON answer
//! mapped to a receipt or an `SmsError`.

use std::collections::BTreeMap;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{endpoint, http_client, send_form, Loose, SmsError, SmsMessage, SmsReceipt, SmsSender};

const PROVIDER: &str = "smsru";

/// Sends through SMS.ru with an `api_id`.
pub struct SmsRu {
    client: reqwest::Client,
    url: String,
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
}

// Written by hand so that no future field can leak the api_id through a derive.
impl std::fmt::Debug for SmsRu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsRu")
            .field("url", &self.url)
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
        let receipt = s.send(&message(None)).await.unwrap();

        let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
        let line = text.lines().find(|l| l.contains("sms sent")).unwrap_or_else(|| panic!("no send line in {text:?}"));
        assert!(line.contains("smsru") && line.contains(&receipt.message_id), "{line}");
        assert!(line.contains("+7 916 ***-**-67"), "{line}");
        for secret in ["123456", "79161234567", "api-id-secret-42"] {
            assert!(!text.contains(secret), "{secret} leaked into {text}");
        }
    }

    #[test]
    fn debug_hides_the_api_id() {
        let s = SmsRu::new("https://sms.ru/", SecretString::from("api-id-secret-42"), "", 10).unwrap();
        let text = format!("{s:?}");
        assert!(!text.contains("api-id-secret-42"), "{text}");
        assert!(text.contains("https://sms.ru/sms/send"), "{text}");
    }
}
