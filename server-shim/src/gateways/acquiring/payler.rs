//! Payler, the classic Gate API ("gapi"): form-urlencoded POSTs to `{base}/gapi/StartSession`,
//! `GetAdvancedStatus` and `Refund`, JSON answers, errors as `{"error":{"code","message"}}`.
//! Classic gapi sends no signed callbacks: the client's return only triggers a status query.

use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use super::transport::{base_url, excerpt, http_client, loose_i64, loose_text, post_form};
use super::{
    Acquirer, AcquirerError, CallbackError, CallbackNotice, Gateway, Kopecks, NewOrder, OrderStatus, PaymentState,
    Registered,
};

/// Payler's ORDER_NOT_FOUND.
const ORDER_NOT_FOUND: i64 = 9;

/// Talks to Payler's classic gapi with a merchant key (and the password that Refund requires).
pub struct PaylerAcquirer {
    client: reqwest::Client,
    /// Without the trailing slash: `https://sandbox.payler.com`.
    base: String,
    key: SecretString,
    password: SecretString,
    timeout_secs: u64,
}

impl PaylerAcquirer {
    pub const TEST_BASE_URL: &'static str = "https://sandbox.payler.com";
    pub const PROD_BASE_URL: &'static str = "https://secure.payler.com";

    /// `base_url` without `/gapi` (`https://sandbox.payler.com`).
    pub fn new(base_url_: &str, key: SecretString, password: SecretString, timeout_secs: u64) -> anyhow::Result<Self> {
        anyhow::ensure!(!key.expose_secret().trim().is_empty(), "the Payler key is empty");
        Ok(PaylerAcquirer {
            client: http_client(timeout_secs)?,
            base: base_url("Payler", base_url_)?,
            key,
            password,
            timeout_secs,
        })
    }

    fn start_form(&self, order: &NewOrder) -> Vec<(&'static str, String)> {
        vec![
            ("key", self.key.expose_secret().to_owned()),
            ("type", "OneStep".to_owned()),
            ("order_id", order.order_number.clone()),
            ("amount", order.amount.to_string()),
            ("currency", "RUB".to_owned()),
            ("product", order.description.clone()),
            ("lang", "ru".to_owned()),
            ("return_url_success", order.return_url.clone()),
            ("return_url_decline", order.fail_url.clone()),
            // Payler counts the session's lifetime in minutes; rounding up keeps the page open at
            // least as long as the shim promised the client.
            ("lifetime", order.lifetime_secs.div_ceil(60).max(1).to_string()),
        ]
    }

    /// Posts to one method and returns the JSON object of a successful answer and the body.
    async fn call(&self, method: &str, form: &[(&'static str, String)]) -> Result<(Value, String), AcquirerError> {
        let url = format!("{}/gapi/{method}", self.base);
        let result = async {
            let (status, body) = post_form(&self.client, &url, form, self.timeout_secs).await?;
            let json = parse_answer(status, &body)?;
            Ok((json, body))
        }
        .await;
        if let Err(error) = &result {
            tracing::warn!(gateway = "payler", method, %error, "payler call failed");
        }
        result
    }
}

// Written by hand so that no future field can leak the key or password through a derive.
impl std::fmt::Debug for PaylerAcquirer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaylerAcquirer")
            .field("base", &self.base)
            .field("key", &"[redacted]")
            .field("password", &"[redacted]")
            .field("timeout_secs", &self.timeout_secs)
            .finish()
    }
}

#[async_trait::async_trait]
impl Acquirer for PaylerAcquirer {
    fn gateway(&self) -> Gateway {
        Gateway::Payler
    }

    async fn register(&self, order: &NewOrder) -> Result<Registered, AcquirerError> {
        let (json, raw) = self.call("StartSession", &self.start_form(order)).await?;
        let session_id = json
            .get("session_id")
            .and_then(loose_text)
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| AcquirerError::Malformed("StartSession answered without session_id".into()))?;
        let mut payment_url = url::Url::parse(&format!("{}/gapi/Pay", self.base))
            .map_err(|e| AcquirerError::Malformed(format!("payment URL: {e}")))?;
        payment_url.query_pairs_mut().append_pair("session_id", &session_id);
        tracing::info!(gateway = "payler", order_number = %order.order_number, %session_id, "session started");
        Ok(Registered { gateway_order_id: session_id, payment_url: payment_url.into(), raw })
    }

    async fn status(&self, order_number: &str, _gateway_order_id: &str) -> Result<OrderStatus, AcquirerError> {
        // Payler queries by the shop's order_id; the session id names only the page.
        let form = [("key", self.key.expose_secret().to_owned()), ("order_id", order_number.to_owned())];
        let (json, raw) = self.call("GetAdvancedStatus", &form).await?;
        let status = json
            .get("status")
            .and_then(Value::as_str)
            .ok_or_else(|| AcquirerError::Malformed("GetAdvancedStatus answered without status".into()))?;
        let state =
            payment_state(status).ok_or_else(|| AcquirerError::Malformed(format!("unknown status {status:?}")))?;
        let amount = json
            .get("amount")
            .and_then(loose_i64)
            .ok_or_else(|| AcquirerError::Malformed("GetAdvancedStatus answered without amount".into()))?;
        let order_number = json.get("order_id").and_then(Value::as_str).map(str::to_owned);
        Ok(OrderStatus { state, amount, order_number, currency: None, raw })
    }

    async fn refund(&self, order_number: &str, gateway_order_id: &str, amount: Kopecks) -> Result<(), AcquirerError> {
        let form = [
            ("key", self.key.expose_secret().to_owned()),
            ("password", self.password.expose_secret().to_owned()),
            ("order_id", order_number.to_owned()),
            ("amount", amount.to_string()),
        ];
        self.call("Refund", &form).await?;
        tracing::info!(gateway = "payler", %order_number, %gateway_order_id, amount, "refund accepted");
        Ok(())
    }

    fn verify_callback(&self, _params: &[(String, String)]) -> Result<CallbackNotice, CallbackError> {
        Err(CallbackError::NotSupported)
    }
}

/// Payler's status names as states. `Authorized` is a two-stage hold the shim never asks for:
/// it is not money received; `Credited` (a payout) and anything new is unreadable
/// rather than guessed.
fn payment_state(status: &str) -> Option<PaymentState> {
    Some(match status {
        "Created" | "PreAuthorized3DS" | "Pending" => PaymentState::Pending,
        // A hold is not a charge: the shim registers one-step payments only, so a hold is an
        // anomaly to wait out (it becomes Charged or Reversed), never money received.
        "Authorized" => PaymentState::Pending,
        "Charged" => PaymentState::Paid,
        "Reversed" => PaymentState::Reversed,
        "Refunded" => PaymentState::Refunded,
        "Rejected" => PaymentState::Declined,
        _ => return None,
    })
}

/// The JSON object of a successful answer, or what went wrong. Payler sends its error object
/// with a 4xx or 5xx, so the body is read before the status; a non-200 without one (an empty
/// 503, a proxy's page) is a transport problem.
fn parse_answer(status: u16, body: &str) -> Result<Value, AcquirerError> {
    let json: Option<Value> = serde_json::from_str(body).ok().filter(Value::is_object);
    if let Some(error) = json.as_ref().and_then(|j| j.get("error")).filter(|e| !e.is_null()) {
        let code = error.get("code").and_then(loose_i64);
        let message = error.get("message").and_then(loose_text).unwrap_or_default();
        return Err(match code {
            Some(ORDER_NOT_FOUND) => AcquirerError::UnknownOrder,
            Some(code) => AcquirerError::Refused { code: code.to_string(), message },
            None => AcquirerError::Malformed(format!("an error without a numeric code: {}", excerpt(body))),
        });
    }
    if status != 200 {
        return Err(AcquirerError::Unavailable(format!("HTTP {status}")));
    }
    json.ok_or_else(|| AcquirerError::Malformed(format!("not Payler's JSON answer: {}", excerpt(body))))
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::gateways::acquiring::simulator::{testkit, AcquiringSimulator, PAYLER_KEY, PAYLER_PASSWORD};

    fn adapter(root: &str, key: &str, password: &str) -> PaylerAcquirer {
        PaylerAcquirer::new(
            &AcquiringSimulator::payler_base_url(root),
            SecretString::from(key),
            SecretString::from(password),
            1,
        )
        .unwrap()
    }

    #[test]
    fn start_form_follows_the_protocol_and_debug_hides_secrets() {
        let a = PaylerAcquirer::new(
            "https://sandbox.payler.com/",
            SecretString::from("key-secret"),
            SecretString::from("pw-secret"),
            5,
        )
        .unwrap();
        let mut order = testkit::order("KB-1", 150_000);
        order.lifetime_secs = 61;
        let form = a.start_form(&order);
        let get = |k: &str| form.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()).unwrap_or_default();
        assert_eq!(get("type"), "OneStep");
        assert_eq!(get("order_id"), "KB-1");
        assert_eq!(get("amount"), "150000");
        assert_eq!(get("currency"), "RUB");
        assert_eq!(get("lang"), "ru");
        assert_eq!(get("lifetime"), "2", "minutes, rounded up");
        assert_eq!(get("return_url_decline"), "https://lk.example.ru/pay/fail");
        let text = format!("{a:?}");
        assert!(!text.contains("key-secret") && !text.contains("pw-secret"), "{text}");
    }

    #[test]
    fn answers_and_errors_are_read() {
        assert_eq!(
            parse_answer(400, r#"{"error":{"code":9,"message":"Order not found"}}"#),
            Err(AcquirerError::UnknownOrder)
        );
        assert_eq!(
            parse_answer(400, r#"{"error":{"code":"3","message":"Duplicate order_id"}}"#),
            Err(AcquirerError::Refused { code: "3".into(), message: "Duplicate order_id".into() })
        );
        assert!(matches!(parse_answer(503, ""), Err(AcquirerError::Unavailable(_))));
        assert!(matches!(parse_answer(502, "<html>Bad Gateway</html>"), Err(AcquirerError::Unavailable(_))));
        assert!(matches!(parse_answer(200, "<html></html>"), Err(AcquirerError::Malformed(_))));
        assert!(parse_answer(200, r#"{"session_id":"s","order_id":"o","amount":1}"#).is_ok());
        for (name, state) in [
            ("Created", PaymentState::Pending),
            ("PreAuthorized3DS", PaymentState::Pending),
            ("Pending", PaymentState::Pending),
            ("Authorized", PaymentState::Pending),
            ("Charged", PaymentState::Paid),
            ("Reversed", PaymentState::Reversed),
            ("Refunded", PaymentState::Refunded),
            ("Rejected", PaymentState::Declined),
        ] {
            assert_eq!(payment_state(name), Some(state), "{name}");
        }
        assert_eq!(payment_state("Credited"), None);
    }

    #[test]
    fn callbacks_are_not_supported() {
        let a = adapter("http://127.0.0.1:9", "k", "p");
        assert_eq!(a.verify_callback(&[("order_id".into(), "x".into())]), Err(CallbackError::NotSupported));
    }

    #[tokio::test]
    async fn approve_through_the_page_then_refund() {
        let (sim, root) = testkit::start().await;
        let a = adapter(&root, PAYLER_KEY, PAYLER_PASSWORD);
        let reg = a.register(&testkit::order("KB-P-1", 150_000)).await.unwrap();
        assert!(reg
            .payment_url
            .starts_with(&format!("{}/gapi/Pay?session_id=", AcquiringSimulator::payler_base_url(&root))));
        let page = testkit::open_page(&reg.payment_url).await;
        for text in ["1 500,00", "Погашение по договору З-2026/0142", "Номер карты", "Оплатить", "Отмена"]
        {
            assert!(page.contains(text), "{text} not on the page");
        }
        assert_eq!(a.status("KB-P-1", &reg.gateway_order_id).await.unwrap().state, PaymentState::Pending);

        let (status, location, _) =
            testkit::submit(&reg.payment_url, "session_id", &reg.gateway_order_id, "4111 1111 1111 1111").await;
        assert_eq!(status, 303);
        assert_eq!(location.unwrap(), "https://lk.example.ru/pay/return?order_id=KB-P-1");
        let st = a.status("KB-P-1", &reg.gateway_order_id).await.unwrap();
        assert_eq!((st.state, st.amount), (PaymentState::Paid, 150_000));
        assert!(st.raw.contains("Charged"));

        a.refund("KB-P-1", &reg.gateway_order_id, 150_000).await.unwrap();
        assert_eq!(a.status("KB-P-1", "").await.unwrap().state, PaymentState::Refunded);
        assert_eq!(sim.order("KB-P-1").unwrap().refunded, 150_000);
        // Over-refunding is the bank's INVALID_AMOUNT.
        match a.refund("KB-P-1", &reg.gateway_order_id, 1).await {
            Err(AcquirerError::Refused { code, .. }) => assert_eq!(code, "1"),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn decline_and_hang() {
        let (_sim, root) = testkit::start().await;
        let a = adapter(&root, PAYLER_KEY, PAYLER_PASSWORD);
        let reg = a.register(&testkit::order("KB-P-D", 900)).await.unwrap();
        let (_, location, _) =
            testkit::submit(&reg.payment_url, "session_id", &reg.gateway_order_id, "4000000000000002").await;
        assert_eq!(location.unwrap(), "https://lk.example.ru/pay/fail?order_id=KB-P-D");
        assert_eq!(a.status("KB-P-D", "").await.unwrap().state, PaymentState::Declined);
        match a.refund("KB-P-D", "", 900).await {
            Err(AcquirerError::Refused { code, .. }) => assert_eq!(code, "7"),
            other => panic!("{other:?}"),
        }

        let reg = a.register(&testkit::order("KB-P-H", 900)).await.unwrap();
        let (_, location, _) =
            testkit::submit(&reg.payment_url, "session_id", &reg.gateway_order_id, "4000000000000077").await;
        assert_eq!(location.unwrap(), "https://lk.example.ru/pay/return?order_id=KB-P-H");
        let st = a.status("KB-P-H", "").await.unwrap();
        assert_eq!(st.state, PaymentState::Pending);
        assert!(st.raw.contains("\"Pending\""), "{}", st.raw);
    }

    #[tokio::test]
    async fn refusals_and_unknown_orders() {
        let (_sim, root) = testkit::start().await;
        let a = adapter(&root, PAYLER_KEY, PAYLER_PASSWORD);
        a.register(&testkit::order("KB-P-DUP", 100)).await.unwrap();
        match a.register(&testkit::order("KB-P-DUP", 100)).await {
            Err(AcquirerError::Refused { code, .. }) => assert_eq!(code, "3"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            adapter(&root, "wrong-key", PAYLER_PASSWORD).register(&testkit::order("KB-P-K", 100)).await,
            Err(AcquirerError::Refused { .. })
        ));
        let reg = a.register(&testkit::order("KB-P-PW", 100)).await.unwrap();
        testkit::submit(&reg.payment_url, "session_id", &reg.gateway_order_id, "4111111111111111").await;
        match adapter(&root, PAYLER_KEY, "wrong").refund("KB-P-PW", "", 100).await {
            Err(AcquirerError::Refused { code, .. }) => assert_eq!(code, "19"),
            other => panic!("{other:?}"),
        }
        assert_eq!(a.status("KB-P-NONE", "").await, Err(AcquirerError::UnknownOrder));
        assert_eq!(a.refund("KB-P-NONE", "", 100).await, Err(AcquirerError::UnknownOrder));
    }

    #[tokio::test]
    async fn outages_are_unavailable_within_the_timeout() {
        let (sim, root) = testkit::start().await;
        let a = adapter(&root, PAYLER_KEY, PAYLER_PASSWORD);
        sim.fail_next(1);
        assert!(matches!(a.register(&testkit::order("KB-P-503", 100)).await, Err(AcquirerError::Unavailable(_))));
        sim.hang_next(1);
        let started = Instant::now();
        assert!(matches!(a.status("KB-P-503", "").await, Err(AcquirerError::Unavailable(_))));
        assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
        a.register(&testkit::order("KB-P-503", 100)).await.unwrap();
    }
}
