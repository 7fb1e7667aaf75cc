//! SMSC adapter: `POST {base}/sys/send.php` with `fmt=3` (JSON) and `charset=utf-8`, the answer
//! mapped to a receipt or an `SmsError`.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{endpoint, http_client, send_form, Loose, SmsError, SmsMessage, SmsReceipt, SmsSender};

const PROVIDER: &str = "smsc";

/// Sends through SMSC (smsc.ru, smscentre.com) with an API key, or a login and password.
pub struct Smsc {
    client: reqwest::Client,
    url: String,
    /// Empty: `secret` is an API key (`apikey`); otherwise it is the password (`psw`).
    login: String,
    secret: SecretString,
    sender: Option<String>,
    timeout_secs: u64,
}

impl Smsc {
    pub const DEFAULT_BASE_URL: &'static str = "https://smsc.ru";

    /// `base_url` without the path (`https://smsc.ru`, or the backup `https://www2.smsc.ru`).
    /// With an empty `login`, `secret` is sent as `apikey`; otherwise as the password `psw`.
    pub fn new(
        base_url: &str,
        login: &str,
        secret: SecretString,
        sender: &str,
        timeout_secs: u64,
    ) -> anyhow::Result<Smsc> {
        Ok(Smsc {
            client: http_client(timeout_secs)?,
            url: endpoint(base_url, "/sys/send.php")?,
            login: login.to_owned(),
            secret,
            sender: (!sender.is_empty()).then(|| sender.to_owned()),
            timeout_secs,
        })
    }

    /// The request's fields.
    fn form(&self, message: &SmsMessage) -> Vec<(&'static str, String)> {
        let mut form = Vec::with_capacity(8);
        if self.login.is_empty() {
            form.push(("apikey", self.secret.expose_secret().to_owned()));
        } else {
            form.push(("login", self.login.clone()));
            form.push(("psw", self.secret.expose_secret().to_owned()));
        }
        form.extend([
            ("phones", message.phone.digits().to_owned()),
            ("mes", message.text.clone()),
            ("fmt", "3".to_owned()),
            // SMSC's default charset is windows-1251: without this the text arrives garbled.
            ("charset", "utf-8".to_owned()),
        ]);
        if let Some(sender) = &self.sender {
            form.push(("sender", sender.clone()));
        }
        form
    }
}

// Written by hand so that no future field can leak the key or password through a derive.
impl std::fmt::Debug for Smsc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Smsc")
            .field("url", &self.url)
            .field("login", &self.login)
            .field("secret", &"[redacted]")
            .field("sender", &self.sender)
            .field("timeout_secs", &self.timeout_secs)
            .finish()
    }
}

#[async_trait::async_trait]
impl SmsSender for Smsc {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    async fn send(&self, message: &SmsMessage) -> Result<SmsReceipt, SmsError> {
        let form = self.form(message);
        send_form(PROVIDER, &self.client, &self.url, &form, self.timeout_secs, &message.phone, parse_answer).await
    }
}

#[derive(Debug, Deserialize)]
struct Answer {
    #[serde(default)]
    id: Option<Loose>,
    #[serde(default)]
    cnt: Option<Loose>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_code: Option<Loose>,
}

/// The message id out of a `fmt=3` answer, or why there is none.
fn parse_answer(body: &str) -> Result<String, SmsError> {
    let answer: Answer =
        serde_json::from_str(body).map_err(|e| SmsError::Malformed(format!("not SMSC's JSON answer: {e}")))?;
    // Some errors (no funds, forbidden text, bad or undeliverable number) carry an `id` as
    // well, so the error is looked at first.
    if answer.error.is_some() || answer.error_code.is_some() {
        let Some(code) = answer.error_code.as_ref().and_then(Loose::as_i64) else {
            return Err(SmsError::Malformed("an error answer without a numeric error_code".into()));
        };
        return Err(classify(code, answer.error.unwrap_or_default()));
    }
    let id = answer.id.map(Loose::into_text).filter(|id| !id.trim().is_empty());
    let count = answer.cnt.as_ref().and_then(Loose::as_i64);
    match (id, count) {
        (Some(id), Some(n)) if n >= 1 => Ok(id),
        (Some(_), _) => Err(SmsError::Malformed("the answer counts no SMS sent (cnt)".into())),
        (None, _) => Err(SmsError::Malformed("the answer has neither an id nor an error".into())),
    }
}

/// SMSC's send error codes, grouped by who has to act.
fn classify(code: i64, message: String) -> SmsError {
    match code {
        // Bad number format; message cannot be delivered to this number.
        7 | 8 => SmsError::BadPhone { code, message },
        // Bad login or password (or key); no funds; our IP blocked after frequent errors.
        2..=4 => SmsError::Account { code, message },
        // The same request again, or too many to one number within a minute.
        9 => SmsError::RateLimited { code, message },
        // 1 bad parameters, 5 bad date, 6 message forbidden, anything new.
        _ => SmsError::Refused { code, message },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_gives_the_id_as_text() {
        // fmt=3 answers as documented, without and with cost=3.
        assert_eq!(parse_answer(r#"{"id": 1234, "cnt": 1}"#).unwrap(), "1234");
        assert_eq!(parse_answer(r#"{"id":1235,"cnt":2,"cost":"3.60","balance":"1056.40"}"#).unwrap(), "1235");
        assert_eq!(parse_answer(r#"{"id":"1236","cnt":"1"}"#).unwrap(), "1236");
    }

    #[test]
    fn errors_are_classified_even_when_an_id_comes_with_them() {
        // Errors 1, 2, 4, 5, 9 come without an id; 3, 6, 7, 8 with the id the message got.
        let r = parse_answer(r#"{"error": "authorise error", "error_code": 2}"#);
        assert!(matches!(r, Err(SmsError::Account { code: 2, ref message }) if message == "authorise error"), "{r:?}");
        let r = parse_answer(r#"{"error": "no money", "error_code": 3, "id": 77}"#);
        assert!(matches!(r, Err(SmsError::Account { code: 3, .. })), "{r:?}");
        let r = parse_answer(r#"{"error": "invalid phone number", "error_code": 7, "id": 78}"#);
        assert!(matches!(r, Err(SmsError::BadPhone { code: 7, .. })), "{r:?}");
        let r = parse_answer(r#"{"error": "duplicate request, wait a minute", "error_code": 9}"#);
        assert!(matches!(r, Err(SmsError::RateLimited { code: 9, .. })), "{r:?}");
        let r = parse_answer(r#"{"error": "message is denied", "error_code": 6, "id": 79}"#);
        assert!(matches!(r, Err(SmsError::Refused { code: 6, .. })), "{r:?}");
    }

    #[test]
    fn every_mapped_code_lands_in_its_group() {
        for code in [7, 8] {
            assert!(matches!(classify(code, String::new()), SmsError::BadPhone { .. }), "{code}");
        }
        for code in [2, 3, 4] {
            assert!(matches!(classify(code, String::new()), SmsError::Account { .. }), "{code}");
        }
        assert!(matches!(classify(9, String::new()), SmsError::RateLimited { .. }));
        for code in [1, 5, 6, 10, 0, -1] {
            assert!(matches!(classify(code, String::new()), SmsError::Refused { .. }), "{code}");
        }
    }

    #[test]
    fn unreadable_answers_are_malformed() {
        for body in [
            "",
            "OK - 1 SMS, ID - 1234",
            "ERROR = 2 (authorise error)",
            "{}",
            r#"{"id": 5, "cnt": 0}"#,
            r#"{"cnt": 1}"#,
            r#"{"error": "x"}"#,
        ] {
            assert!(matches!(parse_answer(body), Err(SmsError::Malformed(_))), "{body:?}");
        }
    }

    fn message() -> SmsMessage {
        SmsMessage {
            phone: kabinet_api::Phone::parse("8 (916) 123-45-67").unwrap(),
            text: "Код 123456".into(),
            client_ip: None,
        }
    }

    fn field<'a>(form: &'a [(&'static str, String)], name: &str) -> Option<&'a str> {
        form.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str())
    }

    #[test]
    fn form_uses_the_api_key_without_a_login() {
        let s = Smsc::new("https://smsc.ru", "", SecretString::from("key-1"), "", 10).unwrap();
        let form = s.form(&message());
        assert_eq!(field(&form, "apikey"), Some("key-1"));
        assert_eq!(field(&form, "login"), None);
        assert_eq!(field(&form, "psw"), None);
        assert_eq!(field(&form, "phones"), Some("79161234567"));
        assert_eq!(field(&form, "mes"), Some("Код 123456"));
        assert_eq!(field(&form, "fmt"), Some("3"));
        assert_eq!(field(&form, "charset"), Some("utf-8"));
        assert_eq!(field(&form, "sender"), None);
    }

    #[test]
    fn form_uses_login_and_password_with_a_login() {
        let s = Smsc::new("https://smsc.ru", "kpk", SecretString::from("pw-1"), "KPK-NK", 10).unwrap();
        let form = s.form(&message());
        assert_eq!(field(&form, "login"), Some("kpk"));
        assert_eq!(field(&form, "psw"), Some("pw-1"));
        assert_eq!(field(&form, "apikey"), None);
        assert_eq!(field(&form, "sender"), Some("KPK-NK"));
    }

    #[test]
    fn debug_hides_the_secret() {
        let s = Smsc::new("https://smsc.ru", "kpk", SecretString::from("psw-secret-42"), "KPK", 10).unwrap();
        let text = format!("{s:?}");
        assert!(!text.contains("psw-secret-42"), "{text}");
        assert!(text.contains("https://smsc.ru/sys/send.php"), "{text}");
    }
}
