//! Sber internet acquiring, the legacy REST protocol: form-urlencoded POSTs to
//! `{base}/register.do`, `getOrderStatusExtended.do` and `refund.do`, JSON answers, and the
//! callback checksum (HMAC-SHA256 over the sorted `name;value;` string).

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::transport::{base_url, excerpt, http_client, loose_i64, loose_text, post_form};
use super::{
    Acquirer, AcquirerError, CallbackError, CallbackNotice, Gateway, Kopecks, NewOrder, OrderStatus, PaymentState,
    Registered,
};

/// ISO 4217 numeric code of the rouble, as `register.do` takes it.
const RUB: &str = "643";
/// Sber recommends descriptions of at most 99 characters; longer ones are cut on our side so
/// the bank never refuses or silently cuts a payment for it.
const DESCRIPTION_MAX: usize = 99;

/// How the shop authenticates: the API user's login and password, or a token Sber issues
/// instead of them.
#[derive(Clone)]
pub enum SberAuth {
    Password { user_name: String, password: SecretString },
    Token(SecretString),
}

/// Talks to Sber's legacy REST API.
pub struct SberAcquirer {
    client: reqwest::Client,
    /// Without the trailing slash: `https://3dsec.sberbank.ru/payment/rest`.
    base: String,
    auth: SberAuth,
    /// The shop's callback key from Sber; empty means no callback is believed.
    callback_key: SecretString,
    timeout_secs: u64,
}

impl SberAcquirer {
    pub const TEST_BASE_URL: &'static str = "https://3dsec.sberbank.ru/payment/rest/";
    pub const PROD_BASE_URL: &'static str = "https://securepayments.sberbank.ru/payment/rest/";

    /// `base_url` up to and including `payment/rest/`; `callback_key` is the symmetric key Sber
    /// sends for callback checksums.
    pub fn new(base_url_: &str, auth: SberAuth, callback_key: SecretString, timeout_secs: u64) -> anyhow::Result<Self> {
        if let SberAuth::Password { user_name, .. } = &auth {
            anyhow::ensure!(!user_name.trim().is_empty(), "the Sber API user name is empty");
        }
        Ok(SberAcquirer {
            client: http_client(timeout_secs)?,
            base: base_url("Sber", base_url_)?,
            auth,
            callback_key,
            timeout_secs,
        })
    }

    fn credentials(&self) -> Vec<(&'static str, String)> {
        match &self.auth {
            SberAuth::Password { user_name, password } => {
                vec![("userName", user_name.clone()), ("password", password.expose_secret().to_owned())]
            }
            SberAuth::Token(token) => vec![("token", token.expose_secret().to_owned())],
        }
    }

    fn register_form(&self, order: &NewOrder) -> Vec<(&'static str, String)> {
        let mut form = self.credentials();
        form.extend([
            ("orderNumber", order.order_number.clone()),
            ("amount", order.amount.to_string()),
            ("currency", RUB.to_owned()),
            ("returnUrl", order.return_url.clone()),
            ("failUrl", order.fail_url.clone()),
            ("description", order.description.chars().take(DESCRIPTION_MAX).collect()),
            ("language", "ru".to_owned()),
            ("sessionTimeoutSecs", order.lifetime_secs.to_string()),
        ]);
        form
    }

    /// Posts to one method and returns the JSON object of a 200 answer with `errorCode` 0 (or
    /// none), and the body as received.
    async fn call(&self, method: &str, form: &[(&'static str, String)]) -> Result<(Value, String), AcquirerError> {
        let url = format!("{}/{method}", self.base);
        let result = async {
            let (status, body) = post_form(&self.client, &url, form, self.timeout_secs).await?;
            if status != 200 {
                return Err(AcquirerError::Unavailable(format!("HTTP {status}")));
            }
            let json = parse_answer(&body)?;
            Ok((json, body))
        }
        .await;
        if let Err(error) = &result {
            tracing::warn!(gateway = "sber", method, %error, "sber call failed");
        }
        result
    }
}

// Written by hand so that no future field can leak the password, token or key through a derive.
impl std::fmt::Debug for SberAcquirer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let auth = match &self.auth {
            SberAuth::Password { user_name, .. } => format!("userName={user_name}, password=[redacted]"),
            SberAuth::Token(_) => "token=[redacted]".to_owned(),
        };
        f.debug_struct("SberAcquirer")
            .field("base", &self.base)
            .field("auth", &auth)
            .field("callback_key", &"[redacted]")
            .field("timeout_secs", &self.timeout_secs)
            .finish()
    }
}

#[async_trait::async_trait]
impl Acquirer for SberAcquirer {
    fn gateway(&self) -> Gateway {
        Gateway::Sber
    }

    async fn register(&self, order: &NewOrder) -> Result<Registered, AcquirerError> {
        let (json, raw) = self.call("register.do", &self.register_form(order)).await?;
        let field = |name: &'static str| {
            json.get(name)
                .and_then(loose_text)
                .filter(|s| !s.trim().is_empty())
                .ok_or_else(|| AcquirerError::Malformed(format!("register.do answered without {name}")))
        };
        let gateway_order_id = field("orderId")?;
        let payment_url = field("formUrl")?;
        tracing::info!(gateway = "sber", order_number = %order.order_number, %gateway_order_id, "order registered");
        Ok(Registered { gateway_order_id, payment_url, raw })
    }

    async fn status(&self, order_number: &str, gateway_order_id: &str) -> Result<OrderStatus, AcquirerError> {
        let mut form = self.credentials();
        // The bank takes either; its own id is exact, our number is the fallback for an order
        // whose registration answer never arrived.
        if gateway_order_id.is_empty() {
            form.push(("orderNumber", order_number.to_owned()));
        } else {
            form.push(("orderId", gateway_order_id.to_owned()));
        }
        form.push(("language", "ru".to_owned()));
        let (json, raw) = self.call("getOrderStatusExtended.do", &form).await?;
        let code = json
            .get("orderStatus")
            .and_then(loose_i64)
            .ok_or_else(|| AcquirerError::Malformed("getOrderStatusExtended.do answered without orderStatus".into()))?;
        let state = order_state(code).ok_or_else(|| AcquirerError::Malformed(format!("unknown orderStatus {code}")))?;
        let registered = json
            .get("amount")
            .and_then(loose_i64)
            .ok_or_else(|| AcquirerError::Malformed("getOrderStatusExtended.do answered without amount".into()))?;
        // `amount` is the order as registered; what the card was charged is `depositedAmount`.
        let deposited = json.get("paymentAmountInfo").and_then(|i| i.get("depositedAmount")).and_then(loose_i64);
        let amount = match state {
            PaymentState::Paid => deposited.unwrap_or(registered),
            _ => registered,
        };
        let text = |name: &str| json.get(name).and_then(loose_text).filter(|v| !v.is_empty());
        Ok(OrderStatus { state, amount, order_number: text("orderNumber"), currency: text("currency"), raw })
    }

    async fn refund(&self, order_number: &str, gateway_order_id: &str, amount: Kopecks) -> Result<(), AcquirerError> {
        let mut form = self.credentials();
        form.push(("orderId", gateway_order_id.to_owned()));
        form.push(("amount", amount.to_string()));
        self.call("refund.do", &form).await?;
        tracing::info!(gateway = "sber", %order_number, %gateway_order_id, amount, "refund accepted");
        Ok(())
    }

    fn verify_callback(&self, params: &[(String, String)]) -> Result<CallbackNotice, CallbackError> {
        let checksum = params
            .iter()
            .find(|(name, _)| name == "checksum")
            .map(|(_, value)| value.trim())
            .filter(|value| !value.is_empty())
            .ok_or(CallbackError::Unsigned)?;
        let key = self.callback_key.expose_secret();
        // An empty key is a key anyone can sign with: believe nothing rather than everything.
        if key.is_empty() {
            return Err(CallbackError::BadChecksum);
        }
        let expected = checksum_hex(key.as_bytes(), params);
        let received = checksum.to_ascii_uppercase();
        if !bool::from(expected.as_bytes().ct_eq(received.as_bytes())) {
            return Err(CallbackError::BadChecksum);
        }
        let get = |name: &'static str| {
            params
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .filter(|v| !v.is_empty())
                .ok_or(CallbackError::Missing(name))
        };
        Ok(CallbackNotice {
            gateway_order_id: get("mdOrder")?,
            order_number: get("orderNumber")?,
            operation: get("operation")?,
            success: get("status")? == "1",
            // A present but unreadable amount is a callback not to act on.
            amount: match params.iter().find(|(n, _)| n == "amount") {
                Some((_, v)) => Some(v.trim().parse::<Kopecks>().map_err(|_| CallbackError::Missing("amount"))?),
                None => None,
            },
        })
    }
}

/// Sber's `orderStatus` as a state. 1 is a hold of a two-stage payment, which the shim never
/// registers; it stays Pending until the money is deposited.
fn order_state(code: i64) -> Option<PaymentState> {
    Some(match code {
        0 | 1 | 5 => PaymentState::Pending,
        2 => PaymentState::Paid,
        3 => PaymentState::Reversed,
        4 => PaymentState::Refunded,
        6 => PaymentState::Declined,
        _ => return None,
    })
}

/// The string the callback checksum covers: every parameter but `checksum` and `sign_alias`,
/// sorted by name, each as `name;value;`.
pub fn checksum_string(params: &[(String, String)]) -> String {
    let mut fields: Vec<&(String, String)> =
        params.iter().filter(|(name, _)| name != "checksum" && name != "sign_alias").collect();
    fields.sort();
    fields.iter().map(|(name, value)| format!("{name};{value};")).collect()
}

/// Uppercase hex HMAC-SHA256 of `checksum_string(params)`: what Sber puts in `checksum`.
pub fn checksum_hex(key: &[u8], params: &[(String, String)]) -> String {
    // HMAC takes a key of any length; new_from_slice cannot fail for it.
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(checksum_string(params).as_bytes());
    hex::encode_upper(mac.finalize().into_bytes())
}

/// The JSON object of an answer, or the bank's refusal. `errorCode` arrives as a string or an
/// int, and has been seen as `ErrorCode` and as `error.code`; absent or 0 means success.
fn parse_answer(body: &str) -> Result<Value, AcquirerError> {
    let json: Value = serde_json::from_str(body)
        .map_err(|e| AcquirerError::Malformed(format!("not Sber's JSON answer ({e}): {}", excerpt(body))))?;
    if !json.is_object() {
        return Err(AcquirerError::Malformed(format!("not a JSON object: {}", excerpt(body))));
    }
    let nested = json.get("error").filter(|e| e.is_object());
    let code = json.get("errorCode").or_else(|| json.get("ErrorCode")).or_else(|| nested.and_then(|e| e.get("code")));
    let Some(code) = code.filter(|c| !c.is_null()) else {
        return Ok(json);
    };
    let number =
        loose_i64(code).ok_or_else(|| AcquirerError::Malformed(format!("errorCode {code} is not a number")))?;
    if number == 0 {
        return Ok(json);
    }
    let message = json
        .get("errorMessage")
        .or_else(|| json.get("ErrorMessage"))
        .or_else(|| nested.and_then(|e| e.get("message").or_else(|| e.get("description"))))
        .and_then(loose_text)
        .unwrap_or_default();
    Err(refusal(number, message))
}

/// Code 6 is "unknown order" for the status and refund calls; register.do never answers it.
fn refusal(code: i64, message: String) -> AcquirerError {
    match code {
        6 => AcquirerError::UnknownOrder,
        _ => AcquirerError::Refused { code: code.to_string(), message },
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::gateways::acquiring::simulator::{
        testkit, AcquiringSimulator, SBER_PASSWORD, SBER_TOKEN, SBER_USER_NAME,
    };

    const KEY: &str = "sim-callback-key";

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect()
    }

    fn adapter(root: &str, password: &str) -> SberAcquirer {
        let auth = SberAuth::Password { user_name: SBER_USER_NAME.into(), password: SecretString::from(password) };
        SberAcquirer::new(&AcquiringSimulator::sber_base_url(root), auth, SecretString::from(KEY), 1).unwrap()
    }

    // Written by hand from the protocol description (drop checksum and sign_alias, sort by name,
    // `name;value;` each); the HMAC was computed once with Python's hmac module:
    // hmac.new(b"sim-callback-key", b"amount;150000;mdOrder;...;status;1;", hashlib.sha256).
    const VECTOR_STRING: &str =
        "amount;150000;mdOrder;0b4f2d4c-0000-4000-8000-000000000001;operation;deposited;orderNumber;KB-2026-0142;status;1;";
    const VECTOR_HMAC: &str = "EF5D1EE58F0006B314CD37747598099714B55C014EB7E50B92A5EE167A6BC889";

    fn vector_params() -> Vec<(String, String)> {
        // Deliberately out of order, with the fields the checksum skips.
        params(&[
            ("status", "1"),
            ("orderNumber", "KB-2026-0142"),
            ("sign_alias", "SHA-256"),
            ("mdOrder", "0b4f2d4c-0000-4000-8000-000000000001"),
            ("checksum", VECTOR_HMAC),
            ("operation", "deposited"),
            ("amount", "150000"),
        ])
    }

    #[test]
    fn checksum_matches_the_literal_vector() {
        assert_eq!(checksum_string(&vector_params()), VECTOR_STRING);
        assert_eq!(checksum_hex(KEY.as_bytes(), &vector_params()), VECTOR_HMAC);
        let a = adapter("http://127.0.0.1:9", "x");
        let notice = a.verify_callback(&vector_params()).unwrap();
        assert_eq!(
            notice,
            CallbackNotice {
                gateway_order_id: "0b4f2d4c-0000-4000-8000-000000000001".into(),
                order_number: "KB-2026-0142".into(),
                operation: "deposited".into(),
                success: true,
                amount: Some(150000),
            }
        );
        // Lowercase hex is the same checksum.
        let mut lower = vector_params();
        lower[4].1 = VECTOR_HMAC.to_lowercase();
        assert!(a.verify_callback(&lower).is_ok());
    }

    #[test]
    fn tampered_unsigned_and_wrongly_keyed_callbacks_are_refused() {
        let a = adapter("http://127.0.0.1:9", "x");
        let mut changed = vector_params();
        changed[6].1 = "1".into();
        assert_eq!(a.verify_callback(&changed), Err(CallbackError::BadChecksum));
        let mut changed = vector_params();
        changed[0].1 = "0".into();
        assert_eq!(a.verify_callback(&changed), Err(CallbackError::BadChecksum));
        let unsigned: Vec<_> = vector_params().into_iter().filter(|(n, _)| n != "checksum").collect();
        assert_eq!(a.verify_callback(&unsigned), Err(CallbackError::Unsigned));
        let auth = SberAuth::Token(SecretString::from("t"));
        let other = SberAcquirer::new("http://127.0.0.1:9/", auth.clone(), SecretString::from("other-key"), 1).unwrap();
        assert_eq!(other.verify_callback(&vector_params()), Err(CallbackError::BadChecksum));
        let keyless = SberAcquirer::new("http://127.0.0.1:9/", auth, SecretString::from(""), 1).unwrap();
        assert_eq!(keyless.verify_callback(&vector_params()), Err(CallbackError::BadChecksum));
    }

    #[test]
    fn a_signed_callback_without_its_fields_names_what_is_missing() {
        let a = adapter("http://127.0.0.1:9", "x");
        let mut p = params(&[("mdOrder", "m-1"), ("operation", "deposited"), ("status", "1")]);
        p.push(("checksum".into(), checksum_hex(KEY.as_bytes(), &p)));
        assert_eq!(a.verify_callback(&p), Err(CallbackError::Missing("orderNumber")));
    }

    #[test]
    fn error_codes_are_read_in_every_spelling() {
        let refused = |body: &str| match parse_answer(body) {
            Err(AcquirerError::Refused { code, message }) => (code, message),
            other => panic!("{body}: {other:?}"),
        };
        assert_eq!(refused(r#"{"errorCode":"1","errorMessage":"Заказ с таким номером уже обработан"}"#).0, "1");
        assert_eq!(
            refused(r#"{"errorCode":5,"errorMessage":"Доступ запрещён."}"#),
            ("5".into(), "Доступ запрещён.".into())
        );
        assert_eq!(refused(r#"{"ErrorCode":"7","ErrorMessage":"Системная ошибка"}"#).0, "7");
        assert_eq!(
            refused(r#"{"error":{"code":"4","message":"Нет параметра"}}"#),
            ("4".into(), "Нет параметра".into())
        );
        assert_eq!(
            parse_answer(r#"{"errorCode":"6","errorMessage":"Заказ не найден"}"#),
            Err(AcquirerError::UnknownOrder)
        );
        assert!(parse_answer(r#"{"errorCode":"0","orderStatus":2}"#).is_ok());
        assert!(parse_answer(r#"{"errorCode":0}"#).is_ok());
        assert!(parse_answer(r#"{"orderId":"x","formUrl":"y"}"#).is_ok());
        for body in ["", "<html>502</html>", "[]", r#"{"errorCode":"x"}"#] {
            assert!(matches!(parse_answer(body), Err(AcquirerError::Malformed(_))), "{body}");
        }
    }

    #[test]
    fn every_order_status_maps() {
        let expect = [
            (0, PaymentState::Pending),
            (1, PaymentState::Pending),
            (2, PaymentState::Paid),
            (3, PaymentState::Reversed),
            (4, PaymentState::Refunded),
            (5, PaymentState::Pending),
            (6, PaymentState::Declined),
        ];
        for (code, state) in expect {
            assert_eq!(order_state(code), Some(state), "{code}");
        }
        assert_eq!(order_state(7), None);
    }

    #[test]
    fn register_form_follows_the_protocol_and_debug_hides_secrets() {
        let a = adapter("http://127.0.0.1:9", "pass-secret-42");
        let mut order = testkit::order("KB-1", 150_000);
        order.description = "д".repeat(150);
        let form = a.register_form(&order);
        let get = |k: &str| form.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()).unwrap_or_default();
        assert_eq!(get("userName"), SBER_USER_NAME);
        assert_eq!(get("password"), "pass-secret-42");
        assert_eq!(get("orderNumber"), "KB-1");
        assert_eq!(get("amount"), "150000");
        assert_eq!(get("currency"), "643");
        assert_eq!(get("language"), "ru");
        assert_eq!(get("sessionTimeoutSecs"), "1200");
        assert_eq!(get("description").chars().count(), 99);
        let text = format!("{a:?}");
        assert!(!text.contains("pass-secret-42") && !text.contains(KEY), "{text}");
        let t = SberAcquirer::new(
            "http://x/",
            SberAuth::Token(SecretString::from("tok-secret")),
            SecretString::from(KEY),
            1,
        )
        .unwrap();
        assert!(!format!("{t:?}").contains("tok-secret"));
    }

    #[tokio::test]
    async fn approve_through_the_page_then_refund() {
        let (sim, root) = testkit::start().await;
        let a = adapter(&root, SBER_PASSWORD);
        let reg = a.register(&testkit::order("KB-2026-0001", 150_000)).await.unwrap();
        let page = testkit::open_page(&reg.payment_url).await;
        for text in [
            "1 500,00",
            "Погашение по договору З-2026/0142",
            "Номер карты",
            "Срок действия",
            "CVC",
            "Оплатить",
            "Отмена",
        ] {
            assert!(page.contains(text), "{text} not on the page");
        }
        assert_eq!(a.status("KB-2026-0001", &reg.gateway_order_id).await.unwrap().state, PaymentState::Pending);

        let (status, location, _) =
            testkit::submit(&reg.payment_url, "mdOrder", &reg.gateway_order_id, "4111 1111 1111 1111").await;
        assert_eq!(status, 303);
        let location = location.unwrap();
        assert!(location.starts_with("https://lk.example.ru/pay/return?orderId="), "{location}");
        assert!(location.contains(&reg.gateway_order_id), "{location}");

        let st = a.status("KB-2026-0001", &reg.gateway_order_id).await.unwrap();
        assert_eq!((st.state, st.amount), (PaymentState::Paid, 150_000));
        assert!(st.raw.contains("\"orderStatus\":2"), "{}", st.raw);
        // By our number alone, as after a lost register answer.
        assert_eq!(a.status("KB-2026-0001", "").await.unwrap().state, PaymentState::Paid);

        a.refund("KB-2026-0001", &reg.gateway_order_id, 150_000).await.unwrap();
        let st = a.status("KB-2026-0001", &reg.gateway_order_id).await.unwrap();
        assert_eq!((st.state, st.amount), (PaymentState::Refunded, 150_000));
        assert!(matches!(a.refund("KB-2026-0001", &reg.gateway_order_id, 1).await, Err(AcquirerError::Refused { .. })));
        assert_eq!(sim.order("KB-2026-0001").unwrap().refunded, 150_000);
    }

    #[tokio::test]
    async fn decline_hang_and_a_refused_card() {
        let (_sim, root) = testkit::start().await;
        let a = adapter(&root, SBER_PASSWORD);

        let reg = a.register(&testkit::order("KB-D", 5_000)).await.unwrap();
        let (status, location, _) =
            testkit::submit(&reg.payment_url, "mdOrder", &reg.gateway_order_id, "4000000000000002").await;
        assert_eq!(status, 303);
        assert!(location.unwrap().starts_with("https://lk.example.ru/pay/fail?orderId="));
        assert_eq!(a.status("KB-D", &reg.gateway_order_id).await.unwrap().state, PaymentState::Declined);
        // Nothing paid, nothing to refund.
        match a.refund("KB-D", &reg.gateway_order_id, 5_000).await {
            Err(AcquirerError::Refused { code, .. }) => assert_eq!(code, "7"),
            other => panic!("{other:?}"),
        }

        let reg = a.register(&testkit::order("KB-H", 5_000)).await.unwrap();
        let (_, location, _) =
            testkit::submit(&reg.payment_url, "mdOrder", &reg.gateway_order_id, "4000 0000 0000 0077").await;
        assert!(location.unwrap().starts_with("https://lk.example.ru/pay/return?"), "the return proves nothing");
        let st = a.status("KB-H", &reg.gateway_order_id).await.unwrap();
        assert_eq!(st.state, PaymentState::Pending);
        assert!(st.raw.contains("\"orderStatus\":5"), "{}", st.raw);

        let reg = a.register(&testkit::order("KB-X", 5_000)).await.unwrap();
        let (status, location, body) =
            testkit::submit(&reg.payment_url, "mdOrder", &reg.gateway_order_id, "5555 5555 5555 4444").await;
        assert_eq!((status, location), (200, None));
        assert!(body.contains("role=\"alert\"") && body.contains("Карта не принята"), "{body}");
        assert_eq!(a.status("KB-X", &reg.gateway_order_id).await.unwrap().state, PaymentState::Pending);
    }

    #[tokio::test]
    async fn refusals_and_unknown_orders() {
        let (sim, root) = testkit::start().await;
        let a = adapter(&root, SBER_PASSWORD);
        a.register(&testkit::order("KB-DUP", 100)).await.unwrap();
        match a.register(&testkit::order("KB-DUP", 100)).await {
            Err(AcquirerError::Refused { code, .. }) => assert_eq!(code, "1"),
            other => panic!("{other:?}"),
        }
        match adapter(&root, "wrong").register(&testkit::order("KB-PW", 100)).await {
            Err(AcquirerError::Refused { code, .. }) => assert_eq!(code, "5"),
            other => panic!("{other:?}"),
        }
        assert!(sim.order("KB-PW").is_none());
        assert_eq!(a.status("KB-NONE", "0b4f2d4c-0000-4000-8000-999999999999").await, Err(AcquirerError::UnknownOrder));
        assert_eq!(
            a.refund("KB-NONE", "0b4f2d4c-0000-4000-8000-999999999999", 100).await,
            Err(AcquirerError::UnknownOrder)
        );

        let token = SberAcquirer::new(
            &AcquiringSimulator::sber_base_url(&root),
            SberAuth::Token(SecretString::from(SBER_TOKEN)),
            SecretString::from(KEY),
            1,
        )
        .unwrap();
        let reg = token.register(&testkit::order("KB-TOK", 100)).await.unwrap();
        assert_eq!(token.status("KB-TOK", &reg.gateway_order_id).await.unwrap().amount, 100);
        let description = sim.order("KB-TOK").unwrap().description;
        assert_eq!(description, "Погашение по договору З-2026/0142");
    }

    #[tokio::test]
    async fn outages_are_unavailable_within_the_timeout() {
        let (sim, root) = testkit::start().await;
        let a = adapter(&root, SBER_PASSWORD);
        sim.fail_next(1);
        assert!(matches!(a.register(&testkit::order("KB-503", 100)).await, Err(AcquirerError::Unavailable(_))));
        sim.hang_next(1);
        let started = Instant::now();
        assert!(matches!(a.status("KB-503", "x").await, Err(AcquirerError::Unavailable(_))));
        assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
        // The scripts are used up; the bank answers again.
        a.register(&testkit::order("KB-503", 100)).await.unwrap();
        assert_eq!(sim.requests(), 3);

        let closed = SberAcquirer::new(
            "http://127.0.0.1:9/payment/rest/",
            SberAuth::Token(SecretString::from("t")),
            SecretString::from(KEY),
            1,
        )
        .unwrap();
        assert!(matches!(closed.status("KB", "x").await, Err(AcquirerError::Unavailable(_))));
    }

    #[tokio::test]
    async fn the_simulators_callbacks_verify_with_the_adapter() {
        let (sim, root) = testkit::start().await;
        let (url, mut received) = testkit::callback_receiver().await;
        sim.set_sber_callback(&url, KEY);
        let a = adapter(&root, SBER_PASSWORD);

        let reg = a.register(&testkit::order("KB-CB", 150_000)).await.unwrap();
        let (_, location, _) =
            testkit::submit(&reg.payment_url, "mdOrder", &reg.gateway_order_id, "4111111111111111").await;
        assert!(location.is_some());
        let params = tokio::time::timeout(Duration::from_secs(5), received.recv()).await.unwrap().unwrap();
        let notice = a.verify_callback(&params).unwrap();
        assert_eq!(notice.gateway_order_id, reg.gateway_order_id);
        assert_eq!(notice.order_number, "KB-CB");
        assert_eq!((notice.operation.as_str(), notice.success), ("deposited", true));

        let mut changed = params.clone();
        changed.iter_mut().find(|(n, _)| n == "amount").unwrap().1 = "1".into();
        assert_eq!(a.verify_callback(&changed), Err(CallbackError::BadChecksum));
        let mut changed = params.clone();
        changed.iter_mut().find(|(n, _)| n == "orderNumber").unwrap().1 = "KB-OTHER".into();
        assert_eq!(a.verify_callback(&changed), Err(CallbackError::BadChecksum));
        let unsigned: Vec<_> = params.iter().filter(|(n, _)| n != "checksum").cloned().collect();
        assert_eq!(a.verify_callback(&unsigned), Err(CallbackError::Unsigned));
        let wrong_key = SberAcquirer::new(
            &AcquiringSimulator::sber_base_url(&root),
            SberAuth::Token(SecretString::from(SBER_TOKEN)),
            SecretString::from("not-the-key"),
            1,
        )
        .unwrap();
        assert_eq!(wrong_key.verify_callback(&params), Err(CallbackError::BadChecksum));

        // A declined card is a failed deposit; refunds are announced too.
        let reg2 = a.register(&testkit::order("KB-CB2", 700)).await.unwrap();
        sim.pay(&reg2.gateway_order_id, "4000 0000 0000 0002").unwrap();
        let params = tokio::time::timeout(Duration::from_secs(5), received.recv()).await.unwrap().unwrap();
        let notice = a.verify_callback(&params).unwrap();
        assert_eq!((notice.order_number.as_str(), notice.success), ("KB-CB2", false));
        a.refund("KB-CB", &reg.gateway_order_id, 50_000).await.unwrap();
        let params = tokio::time::timeout(Duration::from_secs(5), received.recv()).await.unwrap().unwrap();
        assert_eq!(a.verify_callback(&params).unwrap().operation, "refunded");

        let callbacks = sim.order("KB-CB").unwrap().callbacks;
        assert_eq!(callbacks.len(), 2);
        assert!(callbacks[0].delivered && callbacks[0].attempts == 1, "{callbacks:?}");

        sim.suppress_callbacks(true);
        let reg3 = a.register(&testkit::order("KB-CB3", 700)).await.unwrap();
        sim.pay(&reg3.gateway_order_id, "4111111111111111").unwrap();
        assert!(sim.order("KB-CB3").unwrap().callbacks.is_empty());
        assert!(tokio::time::timeout(Duration::from_millis(300), received.recv()).await.is_err());
    }

    #[tokio::test]
    async fn undeliverable_callbacks_are_tried_three_times() {
        let (sim, root) = testkit::start().await;
        sim.set_sber_callback("http://127.0.0.1:9/callback", KEY);
        let a = adapter(&root, SBER_PASSWORD);
        let reg = a.register(&testkit::order("KB-RETRY", 100)).await.unwrap();
        sim.pay(&reg.gateway_order_id, "4111111111111111").unwrap();
        for _ in 0..50 {
            let cb = &sim.order("KB-RETRY").unwrap().callbacks[0];
            if cb.attempts == 3 {
                assert!(!cb.delivered);
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{:?}", sim.order("KB-RETRY").unwrap().callbacks);
    }
}
