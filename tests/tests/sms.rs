//! The SMS.ru and SMSC adapters against the loopback simulator over real HTTP: receipts, every
//! mapped error code, HTTP errors, a hanging provider, an unreachable one, and the codes a test
//! reads back.

use std::time::{Duration, Instant};

use figment::providers::{Format, Serialized, Toml};
use figment::Figment;
use kabinet_api::Phone;
use kabinet_shim::config::{Config, SmsProvider, DEFAULT_TOML};
use kabinet_shim::gateways::sms::simulator::{Script, SmsSimulator};
use kabinet_shim::gateways::sms::smsc::Smsc;
use kabinet_shim::gateways::sms::smsru::SmsRu;
use kabinet_shim::gateways::sms::{build, DynSmsSender, SmsError, SmsMessage};
use std::sync::Arc;

const PHONE: &str = "+79161234567";

fn message(phone: &str, text: &str) -> SmsMessage {
    SmsMessage {
        phone: Phone::parse(phone).unwrap(),
        text: text.into(),
        client_ip: Some("203.0.113.9".parse().unwrap()),
    }
}

/// The adapter of `provider` pointed at `base_url`, as `build` would make it.
fn adapter(provider: SmsProvider, base_url: &str, timeout_secs: u64) -> DynSmsSender {
    match provider {
        SmsProvider::Smsru => {
            Arc::new(SmsRu::new(base_url, "test-key".to_owned().into(), "KPK", timeout_secs).unwrap())
        }
        SmsProvider::Smsc => {
            Arc::new(Smsc::new(base_url, "", "test-key".to_owned().into(), "KPK", timeout_secs).unwrap())
        }
        SmsProvider::Simulator => unreachable!("not a protocol"),
    }
}

async fn with_simulator(provider: SmsProvider) -> (SmsSimulator, DynSmsSender) {
    let sim = SmsSimulator::start().await.unwrap();
    let sender = adapter(provider, &sim.base_url(provider), 10);
    (sim, sender)
}

fn kind(e: &SmsError) -> (&'static str, Option<i64>) {
    match e {
        SmsError::BadPhone { code, .. } => ("bad_phone", Some(*code)),
        SmsError::Account { code, .. } => ("account", Some(*code)),
        SmsError::RateLimited { code, .. } => ("rate_limited", Some(*code)),
        SmsError::Refused { code, .. } => ("refused", Some(*code)),
        SmsError::Http(_) => ("http", None),
        SmsError::Timeout(_) => ("timeout", None),
        SmsError::Transport(_) => ("transport", None),
        SmsError::Malformed(_) => ("malformed", None),
    }
}

async fn send_ok_and_listed(provider: SmsProvider, expected_ids: [&str; 2]) {
    let (sim, sender) = with_simulator(provider).await;
    for expected in expected_ids {
        let receipt = sender.send(&message(PHONE, "Код 123456. Никому не сообщайте.")).await.unwrap();
        assert_eq!(receipt.message_id, expected);
        assert!(receipt.raw_response.contains(expected), "{}", receipt.raw_response);
    }
    let listed = sim.messages();
    assert_eq!(listed.len(), 2);
    for (m, id) in listed.iter().zip(expected_ids) {
        assert_eq!(m.id, id);
        assert_eq!(m.phone, PHONE);
        assert_eq!(m.text, "Код 123456. Никому не сообщайте.");
        assert!(time::OffsetDateTime::parse(&m.received_at, &time::format_description::well_known::Rfc3339).is_ok());
    }
    assert_eq!(sender.provider(), listed[0].provider);
}

#[tokio::test]
async fn smsru_send_returns_the_simulator_id_and_is_listed() {
    send_ok_and_listed(SmsProvider::Smsru, ["000000-10000001", "000000-10000002"]).await;
}

#[tokio::test]
async fn smsc_send_returns_the_simulator_id_and_is_listed() {
    send_ok_and_listed(SmsProvider::Smsc, ["1", "2"]).await;
}

/// Each code is scripted once and must come back as its variant with the code; none of the
/// refused messages counts as delivered, and the next unscripted send goes through.
async fn codes_map(provider: SmsProvider, cases: &[(i64, &'static str)]) {
    let (sim, sender) = with_simulator(provider).await;
    for &(code, expected) in cases {
        sim.script(Script::FailNext { count: 1, error_code: code });
        let err = sender.send(&message(PHONE, "Код 111111")).await.unwrap_err();
        assert_eq!(kind(&err), (expected, Some(code)), "code {code}: {err}");
    }
    assert!(sim.messages().is_empty(), "refused messages are not delivered: {:?}", sim.messages());
    sender.send(&message(PHONE, "Код 222222")).await.unwrap();
    assert_eq!(sim.messages().len(), 1);
}

#[tokio::test]
async fn smsru_error_codes_map_to_error_kinds() {
    codes_map(
        SmsProvider::Smsru,
        &[
            (202, "bad_phone"),
            (207, "bad_phone"),
            (200, "account"),
            (201, "account"),
            (300, "account"),
            (301, "account"),
            (302, "account"),
            (230, "rate_limited"),
            (231, "rate_limited"),
            (232, "rate_limited"),
            (233, "rate_limited"),
            (203, "refused"),
            (209, "refused"),
            (220, "refused"),
        ],
    )
    .await;
}

#[tokio::test]
async fn smsc_error_codes_map_to_error_kinds() {
    codes_map(
        SmsProvider::Smsc,
        &[
            (7, "bad_phone"),
            (8, "bad_phone"),
            (2, "account"),
            (3, "account"),
            (4, "account"),
            (9, "rate_limited"),
            (1, "refused"),
            (5, "refused"),
            (6, "refused"),
        ],
    )
    .await;
}

async fn http_502(provider: SmsProvider) {
    let (sim, sender) = with_simulator(provider).await;
    sim.script(Script::HttpStatusNext { count: 2, status: 502 });
    for _ in 0..2 {
        let err = sender.send(&message(PHONE, "Код 123456")).await.unwrap_err();
        assert_eq!(err, SmsError::Http(502));
    }
    assert!(sim.messages().is_empty());
    sender.send(&message(PHONE, "Код 123456")).await.expect("the script is used up");
}

#[tokio::test]
async fn smsru_bad_gateway_is_http_502() {
    http_502(SmsProvider::Smsru).await;
}

#[tokio::test]
async fn smsc_bad_gateway_is_http_502() {
    http_502(SmsProvider::Smsc).await;
}

/// A provider that never answers costs the configured timeout, not more. The 10 s bound only
/// catches a missing timeout (the simulator hangs for an hour); it is not a speed check.
async fn hang_times_out(provider: SmsProvider) {
    let sim = SmsSimulator::start().await.unwrap();
    let sender = adapter(provider, &sim.base_url(provider), 1);
    sim.script(Script::HangNext { count: 1 });
    let started = Instant::now();
    let result = tokio::time::timeout(Duration::from_secs(10), sender.send(&message(PHONE, "Код 123456")))
        .await
        .expect("the adapter gives up by itself within its timeout");
    assert_eq!(result.unwrap_err(), SmsError::Timeout(1));
    assert!(started.elapsed() >= Duration::from_millis(900), "gave up before the timeout: {:?}", started.elapsed());
    assert!(sim.messages().is_empty());
}

#[tokio::test]
async fn smsru_hanging_provider_times_out() {
    hang_times_out(SmsProvider::Smsru).await;
}

#[tokio::test]
async fn smsc_hanging_provider_times_out() {
    hang_times_out(SmsProvider::Smsc).await;
}

#[tokio::test]
async fn closed_port_is_a_transport_error() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    for provider in [SmsProvider::Smsru, SmsProvider::Smsc] {
        let err = adapter(provider, &base, 5).send(&message(PHONE, "Код 123456")).await.unwrap_err();
        assert_eq!(kind(&err).0, "transport", "{provider:?}: {err}");
    }
}

#[tokio::test]
async fn last_code_for_reads_the_latest_text_to_that_number() {
    let (sim, sender) = with_simulator(SmsProvider::Smsru).await;
    assert_eq!(sim.last_code_for(PHONE), None);
    sender.send(&message(PHONE, "Код входа 111111, действует 5 минут")).await.unwrap();
    sender.send(&message("+79031112233", "Код входа 999999")).await.unwrap();
    sender.send(&message(PHONE, "Подпись заявки №1234567: код 222222")).await.unwrap();
    assert_eq!(sim.last_code_for(PHONE).as_deref(), Some("222222"));
    assert_eq!(sim.last_code_for("+79031112233").as_deref(), Some("999999"));
    assert_eq!(sim.last_code_for("+79990000000"), None);
    sender.send(&message(PHONE, "Ваш пароль изменён")).await.unwrap();
    assert_eq!(sim.last_code_for(PHONE), None, "only the latest text counts");
}

#[tokio::test]
async fn simulator_speaks_the_providers_refusals() {
    let sim = SmsSimulator::start().await.unwrap();
    let http = reqwest::Client::new();
    let smsru = format!("{}/sms/send", sim.base_url(SmsProvider::Smsru));

    // SMS.ru refuses GET with 210, in JSON, with HTTP 200.
    let res = http.get(format!("{smsru}?api_id=k&to=79161234567&msg=hi&json=1")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!((body["status"].as_str(), body["status_code"].as_i64()), (Some("ERROR"), Some(210)));

    // A landline gets SMS.ru's per-number 207, as in its documentation's example.
    let form = [("api_id", "k"), ("to", "74993221627"), ("msg", "hi"), ("json", "1")];
    let body: serde_json::Value = http.post(&smsru).form(&form).send().await.unwrap().json().await.unwrap();
    assert_eq!(body["status"], "OK");
    assert_eq!(body["sms"]["74993221627"]["status_code"], 207);

    // The adapters, with an empty key.
    let empty = |provider| -> DynSmsSender {
        match provider {
            SmsProvider::Smsru => Arc::new(SmsRu::new(&sim.base_url(provider), String::new().into(), "", 5).unwrap()),
            _ => Arc::new(Smsc::new(&sim.base_url(provider), "", String::new().into(), "", 5).unwrap()),
        }
    };
    let err = empty(SmsProvider::Smsru).send(&message(PHONE, "Код 123456")).await.unwrap_err();
    assert_eq!(kind(&err), ("account", Some(200)), "{err}");
    let err = empty(SmsProvider::Smsc).send(&message(PHONE, "Код 123456")).await.unwrap_err();
    assert_eq!(kind(&err), ("account", Some(2)), "{err}");

    // SMSC with login and password, and without the UTF-8 charset the adapter always sends.
    let smsc = format!("{}/sys/send.php", sim.base_url(SmsProvider::Smsc));
    let form = [
        ("login", "kpk"),
        ("psw", "pw"),
        ("phones", "79161234567"),
        ("mes", "Код 1"),
        ("fmt", "3"),
        ("charset", "utf-8"),
    ];
    let body: serde_json::Value = http.post(&smsc).form(&form).send().await.unwrap().json().await.unwrap();
    assert_eq!((body["id"].as_i64(), body["cnt"].as_i64()), (Some(1), Some(1)), "{body}");
    let form = [("apikey", "k"), ("phones", "79161234567"), ("mes", "Код 1"), ("fmt", "3")];
    let body: serde_json::Value = http.post(&smsc).form(&form).send().await.unwrap().json().await.unwrap();
    assert_eq!(body["error_code"], 1, "{body}");
    assert!(sim.messages().iter().all(|m| m.provider == "smsc"), "no SMS.ru refusal was recorded");
    assert_eq!(sim.messages().len(), 1);
}

fn config(pairs: &[(&str, &str)]) -> Config {
    let mut f = Figment::from(Toml::string(DEFAULT_TOML)).merge(Serialized::default("mode", "test"));
    for (k, v) in pairs {
        f = f.merge(Serialized::default(k, v));
    }
    Config::from_figment(f).unwrap()
}

#[tokio::test]
async fn build_runs_the_configured_protocol_against_the_simulator() {
    for (protocol, provider) in [("smsru", "smsru"), ("smsc", "smsc")] {
        let (sender, sim) = build(&config(&[("gateways.sms_simulator_protocol", protocol)])).await.unwrap();
        let sim = sim.expect("simulator mode returns the simulator");
        assert_eq!(sender.provider(), provider);
        let receipt = sender.send(&message(PHONE, "Код 654321")).await.unwrap();
        let listed = sim.messages();
        assert_eq!(
            (listed.len(), listed[0].id.as_str(), listed[0].provider.as_str()),
            (1, receipt.message_id.as_str(), provider)
        );
        assert_eq!(sim.last_code_for(PHONE).as_deref(), Some("654321"));
    }
}

#[tokio::test]
async fn build_gives_the_real_adapter_without_a_simulator() {
    for provider in ["smsru", "smsc"] {
        let (sender, sim) = build(&config(&[("gateways.sms", provider), ("gateways.sms_api_key", "k")])).await.unwrap();
        assert!(sim.is_none());
        assert_eq!(sender.provider(), provider);
    }
    let bad = config(&[("gateways.sms", "smsc"), ("gateways.sms_base_url", "smsc.ru")]);
    assert!(build(&bad).await.is_err(), "a base URL without a scheme fails the start");
}
