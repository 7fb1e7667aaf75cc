//! The published accounting contract end to end: the committed OpenAPI document, a shim serving
//! its ledger over mutual TLS to `HttpAccounting` (answers equal to the ledger's own), a second
//! shim signing a client in through it, refused handshakes and signatures, scoping, and the
//! adapter's timeouts and retries against scripted servers on loopback; applications and
//! messages through the contract (previews equal to the ledger's, one object per idempotency
//! key even when a write is repeated, files up to the limits, refusals keeping their code);
//! card payments through the contract (quotes equal to the ledger's, refusals keeping their
//! code, one posting per payment id however often or however concurrently it is sent, on
//! SQLite and PostgreSQL).

// Kopecks are written rubles_kopecks (100_000_00 = 100 000,00 ₽), as people read them.
#![allow(clippy::inconsistent_digit_grouping)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use figment::providers::{Format, Serialized, Toml};
use figment::Figment;
use kabinet_api::cabinet::{Application, LoanOperation, LoanOperationKind};
use kabinet_api::messages::{FileType, Message, MessageDirection, MAX_FILE_BYTES};
use kabinet_api::payments::{CardPosting, PaymentContractKind, PaymentPreview, PaymentPurpose, PaymentRequest, PostingReceipt};
use kabinet_api::requests::{ApplicationKind, EarlyRepaymentMode, NewApplication};
use kabinet_api::{ErrorCode, Phone};
use kabinet_shim::accounting::contract::signature::{self, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use kabinet_shim::accounting::contract::{self, tls, ContractError, ContractErrorCode};
use kabinet_shim::accounting::http::HttpAccounting;
use kabinet_shim::accounting::ledger::{Ledger, DEMO_CLIENTS};
use kabinet_shim::accounting::{business_day, Accounting, AccountingError, FullName, NewAttachment};
use kabinet_shim::uploads::samples;
use kabinet_shim::config::{AccountingBackend, AccountingConfig, Config, DEFAULT_TOML};
use kabinet_shim::http::AppState;
use kabinet_shim::App;
use kabinet_tests::client::{next_code, sms_count, Client};
use kabinet_tests::{bind, database_url, postgres_server_url, test_config, Db, Layout, Stack};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    SanType,
};
use secrecy::SecretString;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SITE: &str = "http://company.localhost:8000";
const HMAC_SECRET: &str = "a-shared-secret-of-more-than-32-characters";

// ---------------------------------------------------------------------------------------------
// Certificates: a CA for the contract server, one for the shim's client certificate, and a
// stranger's CA whose certificates must be refused.

struct Ca {
    issuer: Issuer<'static, KeyPair>,
    pem: String,
}

fn ca(name: &str) -> Ca {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    let cert = params.self_signed(&key).unwrap();
    Ca { issuer: Issuer::new(params, key), pem: cert.pem() }
}

/// A leaf certificate and key signed by `ca`, for a server on 127.0.0.1 or a client.
fn leaf(ca: &Ca, name: &str, server: bool) -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params.subject_alt_names.push(SanType::IpAddress("127.0.0.1".parse().unwrap()));
    params.distinguished_name.push(DnType::CommonName, name);
    params.extended_key_usages =
        vec![if server { ExtendedKeyUsagePurpose::ServerAuth } else { ExtendedKeyUsagePurpose::ClientAuth }];
    let cert = params.signed_by(&key, &ca.issuer).unwrap();
    (cert.pem(), key.serialize_pem())
}

/// PEM files of the whole set-up.
struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn new() -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, pem: &str| std::fs::write(dir.path().join(name), pem).unwrap();
        let (server_ca, client_ca, stranger_ca) =
            (ca("accounting server CA"), ca("kabinet shim CA"), ca("stranger CA"));
        write("server-ca.pem", &server_ca.pem);
        write("client-ca.pem", &client_ca.pem);
        let (c, k) = leaf(&server_ca, "accounting", true);
        write("server.pem", &c);
        write("server.key", &k);
        let (c, k) = leaf(&client_ca, "kabinet shim", false);
        write("client.pem", &c);
        write("client.key", &k);
        let (c, k) = leaf(&stranger_ca, "stranger", false);
        write("stranger.pem", &c);
        write("stranger.key", &k);
        Pki { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn s(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }
}

// ---------------------------------------------------------------------------------------------
// Shim A: a real shim (App on port 0) serving the contract from its seeded ledger.

fn defaults() -> AccountingConfig {
    Figment::from(Toml::string(DEFAULT_TOML)).extract_inner("accounting").expect("[accounting] defaults")
}

struct ShimA {
    /// Where the contract listens.
    addr: std::net::SocketAddr,
    state: AppState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _dir: tempfile::TempDir,
}

impl ShimA {
    /// Serving over mutual TLS, as production would.
    async fn mtls(pki: &Pki) -> ShimA {
        Self::mtls_on(Db::Sqlite, pki).await
    }

    /// Over mutual TLS, its ledger on `db`.
    async fn mtls_on(db: Db, pki: &Pki) -> ShimA {
        Self::start_on(db, |a| {
            a.serve_tls_cert_path = pki.s("server.pem");
            a.serve_tls_key_path = pki.s("server.key");
            a.serve_client_ca_path = pki.s("client-ca.pem");
        })
        .await
    }

    async fn start(edit: impl FnOnce(&mut AccountingConfig)) -> ShimA {
        Self::start_on(Db::Sqlite, edit).await
    }

    async fn start_on(db: Db, edit: impl FnOnce(&mut AccountingConfig)) -> ShimA {
        let dir = tempfile::tempdir().unwrap();
        let l = bind().await;
        let url = format!("http://lk.company.localhost:{}", l.local_addr().unwrap().port());
        let db = database_url(&db, dir.path()).await;
        let mut config = test_config(dir.path(), &db, &url, &[SITE.to_string()]);
        config.accounting.serve_enabled = true;
        config.accounting.serve_listen = "127.0.0.1:0".parse().unwrap();
        edit(&mut config.accounting);
        let app = App::build(config, l).await.expect("shim A starts");
        let addr = app.contract_addr().expect("the contract is served");
        let state = app.state().clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(app.run_until_stopped(async move {
            let _ = rx.await;
        }));
        ShimA { addr, state, stop: Some(tx), task: Some(task), _dir: dir }
    }

    fn ledger(&self) -> Ledger {
        Ledger::new(self.state.store().clone())
    }

    fn https(&self) -> String {
        format!("https://127.0.0.1:{}", self.addr.port())
    }

    fn http(&self) -> String {
        format!("http://127.0.0.1:{}", self.addr.port())
    }

    /// The adapter configuration a shim uses to reach this one over mutual TLS.
    fn adapter_config(&self, pki: &Pki) -> AccountingConfig {
        let mut a = defaults();
        a.backend = AccountingBackend::Http;
        a.base_url = self.https();
        a.server_ca_path = pki.s("server-ca.pem");
        a.client_cert_path = pki.s("client.pem");
        a.client_key_path = pki.s("client.key");
        a
    }

    async fn stop(mut self) {
        let _ = self.stop.take().map(|tx| tx.send(()));
        if let Some(task) = self.task.take() {
            task.await.expect("shim A task").expect("shim A stopped cleanly");
        }
    }
}

impl Drop for ShimA {
    fn drop(&mut self) {
        let _ = self.stop.take().map(|tx| tx.send(()));
    }
}

fn today() -> time::Date {
    business_day(time::OffsetDateTime::now_utc())
}

fn demo_name(i: usize) -> (String, FullName, Phone) {
    let (id, last, first, middle, phone) = DEMO_CLIENTS[i];
    (id.to_string(), FullName::from_parts(last, first, middle), Phone::parse(phone).unwrap())
}

fn unavailable(r: Result<impl std::fmt::Debug, AccountingError>) -> String {
    match r {
        Err(AccountingError::Unavailable(m)) => m,
        Err(AccountingError::Refused(code)) => panic!("expected Unavailable, got a refusal {code:?}"),
        Ok(v) => panic!("expected Unavailable, got {v:?}"),
    }
}

/// A plain reqwest client with the shim's client certificate, for requests the adapter would
/// never send.
fn raw_mtls_client(pki: &Pki) -> reqwest::Client {
    let tls = tls::client_config(&pki.path("server-ca.pem"), Some((&pki.path("client.pem"), &pki.path("client.key"))))
        .unwrap();
    reqwest::Client::builder().use_preconfigured_tls(tls).no_proxy().build().unwrap()
}

// ---------------------------------------------------------------------------------------------
// The document.

#[test]
fn the_committed_contract_document_is_the_generated_one() {
    let path = kabinet_tests::workspace_root().join(contract::DOCUMENT_PATH);
    let generated = contract::document_json();
    if std::env::var_os("KABINET_UPDATE_CONTRACT").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} differs from the contract the code serves; regenerate it with \
         `KABINET_UPDATE_CONTRACT=1 cargo test -p kabinet-tests --test suite contract::the_committed` and review the diff",
        path.display()
    );
    // The integrator's guide names every path of the document.
    let guide = std::fs::read_to_string(kabinet_tests::workspace_root().join("docs/accounting-contract.md")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&generated).unwrap();
    for p in doc["paths"].as_object().unwrap().keys() {
        assert!(guide.contains(p.as_str()), "docs/accounting-contract.md does not describe {p}");
    }
    // …and states the version it describes.
    let version = doc["info"]["version"].as_str().unwrap();
    assert!(guide.contains(&format!("version {version}")), "docs/accounting-contract.md does not say it is version {version}");
    for p in [
        contract::paths::LOOKUP,
        contract::paths::CLIENT,
        contract::paths::LOANS,
        contract::paths::LOAN,
        contract::paths::SAVINGS,
        contract::paths::SAVING,
        contract::paths::CONTRIBUTIONS,
        contract::paths::PRODUCTS,
        contract::paths::APPLICATIONS,
        contract::paths::APPLICATION_PREVIEW,
        contract::paths::MESSAGES,
        contract::paths::MESSAGE,
        contract::paths::MESSAGE_READ,
        contract::paths::ATTACHMENT,
        contract::paths::UPLOAD_BYTES,
        contract::paths::PAYMENT_QUOTE,
        contract::paths::PAYMENT_POSTINGS,
        contract::paths::PASSPORT_LOOKUP,
    ] {
        assert!(doc["paths"].get(p).is_some(), "{p} is not in the document");
    }
}

// ---------------------------------------------------------------------------------------------
// Shim → contract → shim.

#[tokio::test]
async fn over_mutual_tls_the_adapter_finds_and_reads_clients_exactly_as_the_ledger() {
    let pki = Pki::new();
    let a = ShimA::mtls(&pki).await;
    let ledger = a.ledger();
    let http = HttpAccounting::from_config(&a.adapter_config(&pki)).unwrap();
    let day = today();
    for i in 0..DEMO_CLIENTS.len() {
        let (id, name, phone) = demo_name(i);
        let found = http.find_client(&name, &phone).await.unwrap();
        assert_eq!(found.as_deref(), Some(id.as_str()));
        assert_eq!(found, ledger.find_client(&name, &phone).await.unwrap());
        let card = http.client(&id).await.unwrap();
        assert!(card.is_some());
        assert_eq!(card, ledger.client(&id).await.unwrap());
        assert_eq!(http.contributions(&id, day).await.unwrap(), ledger.contributions(&id, day).await.unwrap());
    }
    // Names as people type them: letter case and ё/е aside.
    let (id, name, phone) = demo_name(0);
    let typed =
        FullName::from_parts(&name.last.to_lowercase(), &name.first.to_uppercase(), &name.middle.replace('е', "ё"));
    assert_eq!(http.find_client(&typed, &phone).await.unwrap(), Some(id.clone()));
    // Unknown: the same name with another phone, an id nobody has.
    let other_phone = Phone::parse("+79990000000").unwrap();
    assert_eq!(http.find_client(&name, &other_phone).await.unwrap(), None);
    assert_eq!(http.client("nobody").await.unwrap(), None);
    // By name and passport (1.3, sign-in through ESIA): the same answer as the ledger's, the
    // client's card with it; another passport or another name finds nobody.
    use kabinet_shim::accounting::ledger::DEMO_PASSPORTS;
    use kabinet_shim::accounting::Passport;
    for (id, series, number) in DEMO_PASSPORTS {
        let i = DEMO_CLIENTS.iter().position(|c| c.0 == *id).unwrap();
        let (_, name, _) = demo_name(i);
        let passport = Passport::parse(series, number).unwrap();
        let found = http.find_client_by_passport(&name, &passport).await.unwrap();
        assert_eq!(found.as_ref().map(|c| c.id.as_str()), Some(*id));
        assert_eq!(found, ledger.find_client_by_passport(&name, &passport).await.unwrap());
    }
    let maria_passport = Passport::parse(DEMO_PASSPORTS[0].1, DEMO_PASSPORTS[0].2).unwrap();
    assert_eq!(http.find_client_by_passport(&typed, &maria_passport).await.unwrap().map(|c| c.id), Some(id.clone()));
    let (_, sergey, _) = demo_name(1);
    assert_eq!(http.find_client_by_passport(&sergey, &maria_passport).await.unwrap(), None);
    assert_eq!(http.find_client_by_passport(&name, &Passport::parse("0000", "000000").unwrap()).await.unwrap(), None);
    // A list for a client accounting does not know is a fault (the cabinet asks only after
    // reading the client's card), not an empty cabinet.
    assert!(http.contributions("nobody", day).await.is_err());
    a.stop().await;
}

#[tokio::test]
async fn over_mutual_tls_loans_and_savings_equal_the_ledgers_own_answers() {
    let pki = Pki::new();
    let a = ShimA::mtls(&pki).await;
    let ledger = a.ledger();
    let http = HttpAccounting::from_config(&a.adapter_config(&pki)).unwrap();
    let day = today();
    let (mut loans_seen, mut savings_seen) = (0, 0);
    for (id, ..) in DEMO_CLIENTS {
        let loans = ledger.loans(id, day).await.unwrap();
        assert_eq!(http.loans(id, day).await.unwrap(), loans);
        for c in &loans.contracts {
            let direct = ledger.loan(id, &c.id, day).await.unwrap();
            assert!(direct.is_some());
            assert_eq!(http.loan(id, &c.id, day).await.unwrap(), direct);
            loans_seen += 1;
        }
        let savings = ledger.savings(id, day).await.unwrap();
        assert_eq!(http.savings(id, day).await.unwrap(), savings);
        for c in &savings.contracts {
            let direct = ledger.saving(id, &c.id, day).await.unwrap();
            assert!(direct.is_some());
            assert_eq!(http.saving(id, &c.id, day).await.unwrap(), direct);
            savings_seen += 1;
        }
    }
    assert!(loans_seen > 0 && savings_seen > 0, "the demo has loans and savings to compare");
    a.stop().await;
}

#[tokio::test]
async fn a_shim_on_the_http_backend_registers_and_logs_in_a_client_only_the_other_shim_knows() {
    let pki = Pki::new();
    let a = ShimA::mtls(&pki).await;
    // Only A's ledger has this client, so B can only find them through the contract.
    let (name, phone) = ("Соколова Ольга Игоревна", "+79035551234");
    a.ledger().add_client("ext-0001", &FullName::parse(name).unwrap(), &Phone::parse(phone).unwrap(), 0).await.unwrap();
    let adapter = a.adapter_config(&pki);
    let b = Stack::start_configured(Db::Sqlite, Layout::Subdomain, move |c: &mut Config| c.accounting = adapter).await;
    let sim = b.shim.state.sms_simulator().unwrap().clone();
    let mut c = Client::new(&b.shim.loopback, &b.site_url);
    let consent = c.get("/auth/consent").await.json::<kabinet_api::auth::ConsentDocument>().version;
    let password = "корова-на-льду-42";
    let before = sms_count(&sim, phone);
    let r = c
        .post(
            "/auth/register",
            &json!({"full_name": name, "phone": phone, "password": password, "consent_version": consent}),
        )
        .await;
    assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
    let code = next_code(&sim, phone, before).await;
    let r = c.post("/auth/register/confirm", &json!({"phone": phone, "code": code, "password": password})).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json::<kabinet_api::auth::SessionInfo>().client.full_name, name);

    let mut again = Client::new(&b.shim.loopback, &b.site_url);
    let r = again.post("/auth/login", &json!({"phone": phone, "password": password})).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json::<kabinet_api::auth::SessionInfo>().client.full_name, name);
    // B's own ledger never heard of them.
    assert_eq!(Ledger::new(b.shim.state.store().clone()).client("ext-0001").await.unwrap(), None);
    b.stop().await;
    a.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Who may connect (A23).

/// Connects with `config`, sends one request and returns what came back (empty on a refusal).
async fn tls_exchange(addr: std::net::SocketAddr, config: rustls::ClientConfig) -> Result<String, String> {
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let mut tls = connector.connect(name, tcp).await.map_err(|e| format!("handshake: {e}"))?;
    tls.write_all(b"GET /v1/clients/demo-0001 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .map_err(|e| e.to_string())?;
    let mut answer = Vec::new();
    tls.read_to_end(&mut answer).await.map_err(|e| e.to_string())?;
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

fn client_tls(pki: &Pki, identity: Option<(&str, &str)>, tls12_only: bool) -> rustls::ClientConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for c in tls::certs(&pki.path("server-ca.pem")).unwrap() {
        roots.add(c).unwrap();
    }
    let versions: &[&rustls::SupportedProtocolVersion] =
        if tls12_only { &[&rustls::version::TLS12] } else { rustls::DEFAULT_VERSIONS };
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots);
    match identity {
        Some((cert, key)) => builder
            .with_client_auth_cert(tls::certs(&pki.path(cert)).unwrap(), tls::key(&pki.path(key)).unwrap())
            .unwrap(),
        None => builder.with_no_client_auth(),
    }
}

#[tokio::test]
async fn only_a_client_certificate_from_the_configured_ca_gets_an_answer() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let pki = Pki::new();
    let a = ShimA::mtls(&pki).await;

    let answer = tls_exchange(a.addr, client_tls(&pki, Some(("client.pem", "client.key")), false)).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"id\":\"demo-0001\""), "{answer}");
    // TLS 1.2 is offered too, so the refusals below are about the certificate, not the version.
    let answer = tls_exchange(a.addr, client_tls(&pki, Some(("client.pem", "client.key")), true)).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    for (what, identity) in
        [("no certificate", None), ("a stranger's certificate", Some(("stranger.pem", "stranger.key")))]
    {
        // TLS 1.3: the client finishes its half, then the server's alert ends it before any HTTP.
        let r = tls_exchange(a.addr, client_tls(&pki, identity, false)).await;
        assert!(!r.as_deref().unwrap_or("").contains("HTTP/"), "{what} got an answer: {r:?}");
        // TLS 1.2: the handshake itself fails.
        let r = tls_exchange(a.addr, client_tls(&pki, identity, true)).await;
        assert!(r.as_ref().is_err_and(|e| e.starts_with("handshake")), "{what} over TLS 1.2: {r:?}");
    }

    // The adapter without its certificate, or with the stranger's, gets nothing either.
    for (cert, key) in [("", ""), ("stranger.pem", "stranger.key")] {
        let mut cfg = a.adapter_config(&pki);
        (cfg.client_cert_path, cfg.client_key_path) =
            if cert.is_empty() { (String::new(), String::new()) } else { (pki.s(cert), pki.s(key)) };
        cfg.read_retries = 0;
        let http = HttpAccounting::from_config(&cfg).unwrap();
        let m = unavailable(http.client("demo-0001").await);
        assert!(!m.contains("demo-0001"), "the message carries no client id: {m}");
    }

    // An adapter pinned to another CA refuses the server.
    let mut cfg = a.adapter_config(&pki);
    cfg.server_ca_path = pki.s("client-ca.pem");
    cfg.read_retries = 0;
    let m = unavailable(HttpAccounting::from_config(&cfg).unwrap().client("demo-0001").await);
    assert!(m.to_lowercase().contains("certificate"), "{m}");

    // Plain HTTP on the TLS port gets no HTTP answer.
    let plain = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!("{}/v1/clients/demo-0001", a.http()))
        .send()
        .await;
    assert!(plain.is_err(), "plain HTTP answered: {plain:?}");
    a.stop().await;
}

#[tokio::test]
async fn with_signatures_only_a_fresh_signature_of_this_exact_request_passes() {
    let a = ShimA::start(|c| c.serve_hmac_secret = SecretString::from(HMAC_SECRET)).await;
    let base = a.http();
    let raw = reqwest::Client::builder().no_proxy().build().unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let lookup = serde_json::to_vec(&json!({
        "last_name": "Иванова", "first_name": "Мария", "middle_name": "Петровна", "phone": "+79161234567"
    }))
    .unwrap();
    let send = |method: reqwest::Method, target: &str, ts: Option<i64>, sig: Option<String>, body: Vec<u8>| {
        let mut req =
            raw.request(method, format!("{base}{target}")).header("content-type", "application/json").body(body);
        if let Some(ts) = ts {
            req = req.header(TIMESTAMP_HEADER, ts.to_string());
        }
        if let Some(sig) = sig {
            req = req.header(SIGNATURE_HEADER, sig);
        }
        req.send()
    };
    let sign =
        |m: &str, target: &str, ts: i64, body: &[u8]| signature::sign(HMAC_SECRET.as_bytes(), m, target, ts, body);
    let post = reqwest::Method::POST;
    let get = reqwest::Method::GET;

    // The right signature: answered.
    let r = send(
        post.clone(),
        "/v1/client-lookup",
        Some(now),
        Some(sign("POST", "/v1/client-lookup", now, &lookup)),
        lookup.clone(),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap(), json!({"client_id": "demo-0001"}));
    // The passport lookup (1.3): found; a series or number not exactly 4 + 6 digits is a bad
    // request, never a lookup of something similar.
    let passport = |series: &str, number: &str| {
        serde_json::to_vec(&json!({"last_name": "Иванова", "first_name": "Мария", "middle_name": "Петровна",
            "passport_series": series, "passport_number": number}))
        .unwrap()
    };
    for (series, number, status) in [("5012", "345678", 200), ("50 12", "345678", 400), ("5012", "34567", 400), ("5012", "000000", 404)] {
        let body = passport(series, number);
        let path = "/v1/client-passport-lookup";
        let r = send(post.clone(), path, Some(now), Some(sign("POST", path, now, &body)), body).await.unwrap();
        assert_eq!(r.status(), status, "{series} {number}");
    }
    let target = format!("/v1/clients/demo-0001/contributions?as_of={}", today());
    let r = send(get.clone(), &target, Some(now), Some(sign("GET", &target, now, b"")), vec![]).await.unwrap();
    assert_eq!(r.status(), 200);

    let mut other = lookup.clone();
    other.extend_from_slice(b" ");
    let refused = [
        ("no headers", send(post.clone(), "/v1/client-lookup", None, None, lookup.clone())),
        ("no signature", send(post.clone(), "/v1/client-lookup", Some(now), None, lookup.clone())),
        (
            "a wrong signature",
            send(
                post.clone(),
                "/v1/client-lookup",
                Some(now),
                Some(sign("POST", "/v1/client-lookup", now, b"{}")),
                lookup.clone(),
            ),
        ),
        (
            "another secret",
            send(
                post.clone(),
                "/v1/client-lookup",
                Some(now),
                Some(signature::sign(b"another secret", "POST", "/v1/client-lookup", now, &lookup)),
                lookup.clone(),
            ),
        ),
        (
            "a stale timestamp",
            send(
                post.clone(),
                "/v1/client-lookup",
                Some(now - 301),
                Some(sign("POST", "/v1/client-lookup", now - 301, &lookup)),
                lookup.clone(),
            ),
        ),
        (
            "a timestamp from the future",
            send(
                post.clone(),
                "/v1/client-lookup",
                // Well past the 300 s window, so a slow machine's ticking clock cannot bring it in.
                Some(now + 360),
                Some(sign("POST", "/v1/client-lookup", now + 360, &lookup)),
                lookup.clone(),
            ),
        ),
        (
            "a changed body",
            send(
                post.clone(),
                "/v1/client-lookup",
                Some(now),
                Some(sign("POST", "/v1/client-lookup", now, &lookup)),
                other,
            ),
        ),
        (
            "another path",
            send(
                get.clone(),
                "/v1/clients/demo-0002",
                Some(now),
                Some(sign("GET", "/v1/clients/demo-0001", now, b"")),
                vec![],
            ),
        ),
        (
            "another query",
            send(
                get.clone(),
                "/v1/clients/demo-0001/contributions?as_of=2020-01-01",
                Some(now),
                Some(sign("GET", &target, now, b"")),
                vec![],
            ),
        ),
        ("an unknown route, unsigned", send(get.clone(), "/v2/anything", None, None, vec![])),
    ];
    let mut bodies = Vec::new();
    for (what, fut) in refused {
        let r = fut.await.unwrap();
        assert_eq!(r.status(), 401, "{what}");
        bodies.push(r.text().await.unwrap());
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "every refusal looks the same: {bodies:?}");
    let e: ContractError = serde_json::from_str(&bodies[0]).unwrap();
    assert_eq!(e.code, ContractErrorCode::Unauthorized);

    // The adapter signs; with the wrong secret it fails at once (401 is not retried) and says
    // nothing of either secret.
    let mut cfg = defaults();
    cfg.backend = AccountingBackend::Http;
    cfg.base_url = base.clone();
    cfg.hmac_secret = SecretString::from(HMAC_SECRET);
    let http = HttpAccounting::from_config(&cfg).unwrap();
    let (id, name, phone) = demo_name(1);
    assert_eq!(http.find_client(&name, &phone).await.unwrap(), Some(id.clone()));
    assert_eq!(http.client(&id).await.unwrap(), a.ledger().client(&id).await.unwrap());
    cfg.hmac_secret = SecretString::from("the-wrong-secret-also-long-enough-0000");
    let wrong = HttpAccounting::from_config(&cfg).unwrap();
    let m = unavailable(wrong.client(&id).await);
    assert!(m.contains("401"), "{m}");
    for secret in [HMAC_SECRET, "the-wrong-secret-also-long-enough-0000"] {
        assert!(!m.contains(secret) && !format!("{wrong:?}").contains(secret), "a secret leaked: {m} / {wrong:?}");
    }
    a.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Scoping (A21).

#[tokio::test]
async fn another_clients_contract_is_not_found_through_the_contract_and_absent_in_the_adapter() {
    let pki = Pki::new();
    let a = ShimA::mtls(&pki).await;
    let http = HttpAccounting::from_config(&a.adapter_config(&pki)).unwrap();
    let raw = raw_mtls_client(&pki);
    let day = today();
    let pool = a.state.store().pool();
    for table in ["ledger_loans", "ledger_savings"] {
        let rows: Vec<(String, String)> =
            sqlx::query_as(&format!("SELECT id, client_id FROM {table} ORDER BY id")).fetch_all(pool).await.unwrap();
        assert!(!rows.is_empty(), "the demo has {table}");
        for (object, owner) in &rows {
            for (stranger, ..) in DEMO_CLIENTS.iter().filter(|c| c.0 != owner) {
                let kind = if table == "ledger_loans" { "loans" } else { "savings" };
                let r = raw
                    .get(format!("{}/v1/clients/{stranger}/{kind}/{object}?as_of={day}", a.https()))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 404, "{stranger} reads {owner}'s {object}");
                assert_eq!(r.json::<ContractError>().await.unwrap().code, ContractErrorCode::NotFound);
                if kind == "loans" {
                    assert_eq!(http.loan(stranger, object, day).await.unwrap(), None);
                } else {
                    assert_eq!(http.saving(stranger, object, day).await.unwrap(), None);
                }
            }
        }
    }
    // An unknown client's lists answer 404 through the contract, and a fault in the adapter:
    // the cabinet asks for lists only after reading the client's card, so an empty cabinet
    // would hide a broken accounting system.
    let r = raw.get(format!("{}/v1/clients/nobody/loans?as_of={day}", a.https())).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert!(http.loans("nobody", day).await.is_err());
    // A malformed day is the caller's error, not an absence.
    let r = raw.get(format!("{}/v1/clients/demo-0001/contributions?as_of=22.11.2026", a.https())).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<ContractError>().await.unwrap().code, ContractErrorCode::BadRequest);
    let r = raw.get(format!("{}/v1/clients/demo-0001/contributions", a.https())).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let r = raw.get(format!("{}/v1/nothing", a.https())).send().await.unwrap();
    assert_eq!(
        (r.status().as_u16(), r.json::<ContractError>().await.unwrap().code),
        (404, ContractErrorCode::UnknownRoute)
    );
    a.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Timeouts and retries, against scripted servers.

#[derive(Clone, Copy)]
enum Behaviour {
    Hang,
    Answer(u16, &'static str),
}

#[derive(Clone)]
struct Scripted {
    hits: Arc<AtomicUsize>,
    targets: Arc<Mutex<Vec<String>>>,
    /// Each request's head (request line and headers), lower-cased.
    heads: Arc<Mutex<Vec<String>>>,
}

/// A one-request-per-connection HTTP/1.1 server on loopback behaving as `script` says for the
/// n-th request (0-based). Hand-written on purpose: it must be able to hang and misbehave.
async fn scripted(script: impl Fn(usize) -> Behaviour + Send + Sync + 'static) -> (String, Scripted) {
    let s = Scripted { hits: Arc::default(), targets: Arc::default(), heads: Arc::default() };
    let script = Arc::new(script);
    let l = bind().await;
    let base = format!("http://{}", l.local_addr().unwrap());
    let state = s.clone();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = l.accept().await {
            let (state, script) = (state.clone(), script.clone());
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match conn.read(&mut byte).await {
                        Ok(1) => head.push(byte[0]),
                        _ => return,
                    }
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let target = head.split(' ').nth(1).unwrap_or("").to_owned();
                let length = head
                    .lines()
                    .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
                    .and_then(|v| v.parse::<usize>().ok())
                    .unwrap_or(0);
                let mut body = vec![0u8; length];
                if conn.read_exact(&mut body).await.is_err() {
                    return;
                }
                let n = state.hits.fetch_add(1, Ordering::SeqCst);
                state.targets.lock().unwrap().push(target);
                state.heads.lock().unwrap().push(head.to_ascii_lowercase());
                match script(n) {
                    Behaviour::Hang => tokio::time::sleep(Duration::from_secs(60)).await,
                    Behaviour::Answer(status, body) => {
                        let answer = format!(
                            "HTTP/1.1 {status} Scripted\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                            body.len()
                        );
                        let _ = conn.write_all(answer.as_bytes()).await;
                        let _ = conn.shutdown().await;
                    }
                }
            });
        }
    });
    (base, s)
}

fn plain_adapter(base: &str, timeout_secs: u64, read_retries: u32) -> HttpAccounting {
    let mut c = defaults();
    c.backend = AccountingBackend::Http;
    c.base_url = base.to_owned();
    c.timeout_secs = timeout_secs;
    c.read_retries = read_retries;
    HttpAccounting::from_config(&c).unwrap()
}

#[tokio::test]
async fn a_hanging_server_makes_reads_unavailable_after_timeout_times_attempts() {
    let (base, s) = scripted(|_| Behaviour::Hang).await;
    let http = plain_adapter(&base, 1, 2);
    let started = Instant::now();
    let m = unavailable(http.contributions("demo-0001", today()).await);
    let took = started.elapsed();
    assert_eq!(s.hits.load(Ordering::SeqCst), 3, "a read is tried 1 + read_retries times");
    assert!(took >= Duration::from_secs(3) && took < Duration::from_secs(6), "took {took:?}");
    assert!(m.contains("timed out") && m.contains("3 attempts"), "{m}");

    // The lookup is a POST but a read: retried the same way.
    s.hits.store(0, Ordering::SeqCst);
    let (_, name, phone) = demo_name(0);
    unavailable(http.find_client(&name, &phone).await);
    assert_eq!(s.hits.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn server_errors_are_retried_other_answers_are_not() {
    // 5xx every time: 1 + 2 attempts, then Unavailable.
    let (base, s) = scripted(|_| Behaviour::Answer(503, r#"{"code":"unavailable","message":"busy"}"#)).await;
    let m = unavailable(plain_adapter(&base, 2, 2).client("demo-0001").await);
    assert_eq!(s.hits.load(Ordering::SeqCst), 3);
    assert!(m.contains("503"), "{m}");

    // Two failures, then an answer: the read succeeds on the third attempt.
    let card = r#"{"id":"demo-0001","last_name":"Иванова","first_name":"Мария","middle_name":"Петровна","phone":"+79161234567"}"#;
    let (base, s) =
        scripted(move |n| if n < 2 { Behaviour::Answer(500, "oops") } else { Behaviour::Answer(200, card) }).await;
    let got = plain_adapter(&base, 2, 2).client("demo-0001").await.unwrap().unwrap();
    assert_eq!((got.name.full().as_str(), got.phone.as_e164()), ("Иванова Мария Петровна", "+79161234567"));
    assert_eq!(s.hits.load(Ordering::SeqCst), 3);

    // The contract's own 404: absent, asked once.
    let (base, s) = scripted(|_| Behaviour::Answer(404, r#"{"code":"not_found","message":"no"}"#)).await;
    assert!(plain_adapter(&base, 2, 2).loan("demo-0001", "L-1", today()).await.unwrap().is_none());
    assert_eq!(s.hits.load(Ordering::SeqCst), 1);

    // Any other 404 (a wrong base_url, a proxy's page) is a failure, not an absence; not retried.
    let (base, s) = scripted(|_| Behaviour::Answer(404, "<html>Not Found</html>")).await;
    let m = unavailable(plain_adapter(&base, 2, 2).client("demo-0001").await);
    assert!(m.contains("base_url"), "{m}");
    assert_eq!(s.hits.load(Ordering::SeqCst), 1);

    // 400 and 401: the request itself is wrong; repeating it would not help.
    for status in [400, 401] {
        let (base, s) = scripted(move |_| Behaviour::Answer(status, r#"{"code":"bad_request","message":"no"}"#)).await;
        unavailable(plain_adapter(&base, 2, 2).contributions("demo-0001", today()).await);
        assert_eq!(s.hits.load(Ordering::SeqCst), 1, "HTTP {status}");
    }

    // An answer about someone else is refused by the shim as well (A21).
    let (base, _) = scripted(move |_| Behaviour::Answer(200, card)).await;
    let m = unavailable(plain_adapter(&base, 2, 0).client("demo-0002").await);
    assert!(m.contains("another client"), "{m}");

    // Garbage instead of JSON.
    let (base, _) = scripted(|_| Behaviour::Answer(200, "not json")).await;
    assert!(unavailable(plain_adapter(&base, 2, 0).client("demo-0001").await).contains("unreadable"));
}

#[tokio::test]
async fn refusals_are_final_and_writes_are_repeated_under_the_same_key() {
    let product = kabinet_api::requests::ProductInfo {
        id: "potreb".into(),
        kind: kabinet_api::requests::ProductKind::Loan,
        name: "Потребительский".into(),
        rate_bp: 2490,
        min_amount: 10_000,
        max_amount: 100_000_000,
        min_term_months: 3,
        max_term_months: 36,
        repayment: None,
        capitalisation: false,
        top_up_allowed: false,
        early_rate_bp: 0,
    };
    let app = loan_application(&product, 1);
    let now = time::OffsetDateTime::now_utc();
    // `rejected` with a known reason: the refusal, asked once.
    let (base, s) = scripted(|_| {
        Behaviour::Answer(422, r#"{"code":"rejected","message":"no","reason":"amount_out_of_range"}"#)
    })
    .await;
    let http = plain_adapter(&base, 2, 2);
    assert_eq!(refused(http.create_application("demo-0001", "k-1", &app, today(), now).await), ErrorCode::AmountOutOfRange);
    assert_eq!(refused(http.preview_application("demo-0001", &app, today()).await), ErrorCode::AmountOutOfRange);
    assert_eq!(s.hits.load(Ordering::SeqCst), 2);
    // A reason this shim does not know is a failure, not a guess; a 422 without `rejected` too.
    for answer in [
        r#"{"code":"rejected","message":"no","reason":"moon_in_wrong_phase"}"#,
        // Codes of the shim's own that are no refusal of an application: accounting may not
        // sign the client out or answer «internal error» in the shim's name.
        r#"{"code":"rejected","message":"no","reason":"unauthenticated"}"#,
        r#"{"code":"rejected","message":"no","reason":"internal"}"#,
        r#"{"code":"rejected","message":"no"}"#,
        r#"{"code":"bad_request","message":"no"}"#,
    ] {
        let (base, s) = scripted(move |_| Behaviour::Answer(422, answer)).await;
        let m = unavailable(plain_adapter(&base, 2, 2).create_application("demo-0001", "k-1", &app, today(), now).await);
        assert!(m.contains("422"), "{m}");
        assert_eq!(s.hits.load(Ordering::SeqCst), 1, "{answer}");
    }
    // A write meeting 5xx is repeated like a read, with its key (the target and the query
    // stay the same; the key travels in the header of every attempt).
    let (base, s) = scripted(|_| Behaviour::Answer(503, r#"{"code":"unavailable","message":"busy"}"#)).await;
    let files = [file("схема.png", FileType::Png, samples::png(8, 8))];
    let m = unavailable(plain_adapter(&base, 2, 2).send_message("demo-0001", "k-2", "Текст", &files, now).await);
    assert!(m.contains("3 attempts"), "{m}");
    let targets = s.targets.lock().unwrap().clone();
    assert_eq!(targets, vec!["/v1/clients/demo-0001/messages".to_string(); 3]);
    assert!(s.heads.lock().unwrap().iter().all(|h| h.contains("\r\nidempotency-key: k-2\r\n")));
    // A created answer about another kind of application is a fault.
    let savings = r#"{"id":"A-1","number":"ЛК-1","kind":"savings","date":"2026-11-22","product":"Накопительный","amount":1,"term_months":3,"status":"new"}"#;
    let (base, _) = scripted(move |_| Behaviour::Answer(201, savings)).await;
    let m = unavailable(plain_adapter(&base, 2, 0).create_application("demo-0001", "k-3", &app, today(), now).await);
    assert!(m.contains("another kind"), "{m}");
}

#[tokio::test]
async fn nobody_listening_is_retried_then_unavailable_quickly() {
    let l = bind().await;
    let base = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    let started = Instant::now();
    let m = unavailable(plain_adapter(&base, 1, 2).client("demo-0001").await);
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    assert!(m.contains("3 attempts"), "{m}");
}

#[tokio::test]
async fn ids_are_percent_encoded_path_segments() {
    let (base, s) = scripted(|_| Behaviour::Answer(404, r#"{"code":"not_found","message":"no"}"#)).await;
    let http = plain_adapter(&format!("{base}/kpk/hs/kabinet/"), 2, 0);
    let day = time::macros::date!(2026 - 11 - 22);
    assert!(http.client("a/b?c d#e%f").await.unwrap().is_none());
    assert!(http.loan("Иванова", "З-2026/0142", day).await.unwrap().is_none());
    assert_eq!(
        s.targets.lock().unwrap().clone(),
        vec![
            "/kpk/hs/kabinet/v1/clients/a%2Fb%3Fc%20d%23e%25f".to_string(),
            "/kpk/hs/kabinet/v1/clients/%D0%98%D0%B2%D0%B0%D0%BD%D0%BE%D0%B2%D0%B0/loans/%D0%97-2026%2F0142?as_of=2026-11-22"
                .to_string(),
        ]
    );
    // "." and ".." would be dropped from the path, addressing something else: never sent.
    for id in ["..", ".", ""] {
        unavailable(http.client(id).await);
    }
    assert_eq!(s.hits.load(Ordering::SeqCst), 2);
}

// ---------------------------------------------------------------------------------------------
// Configuration.

fn config_with(pairs: &[(&str, serde_json::Value)]) -> Result<Config, String> {
    let mut f = Figment::from(Toml::string(DEFAULT_TOML));
    for (k, v) in pairs {
        f = f.merge(Serialized::default(k, v));
    }
    Config::from_figment(f).map_err(|e| e.to_string())
}

#[test]
fn production_refuses_an_unauthenticated_or_unencrypted_accounting_link() {
    let prod = ("mode", json!("production"));
    let http = ("accounting.backend", json!("http"));
    let err =
        config_with(&[prod.clone(), http.clone(), ("accounting.base_url", json!("http://1c.company.ru/kabinet"))])
            .unwrap_err();
    assert!(err.contains("production") && err.contains("https"), "{err}");
    let https = ("accounting.base_url", json!("https://1c.company.ru/kabinet"));
    let ca = ("accounting.server_ca_path", json!("/etc/kabinet/accounting-ca.pem"));
    let err = config_with(&[prod.clone(), http.clone(), https.clone(), ca.clone()]).unwrap_err();
    assert!(err.contains("client certificate"), "{err}");
    // A signature alone is not enough (A23): mutual TLS always, a signature only on top.
    let err = config_with(&[prod.clone(), http.clone(), https.clone(), ca.clone(), ("accounting.hmac_secret", json!(HMAC_SECRET))])
        .unwrap_err();
    assert!(err.contains("client certificate"), "{err}");
    let cert = ("accounting.client_cert_path", json!("/etc/kabinet/shim.pem"));
    let key = ("accounting.client_key_path", json!("/etc/kabinet/shim.key"));
    let err = config_with(&[
        prod.clone(),
        http.clone(),
        https.clone(),
        ca.clone(),
        cert.clone(),
        key.clone(),
        ("accounting.hmac_secret", json!("short")),
    ])
    .unwrap_err();
    assert!(err.contains("hmac_secret"), "{err}");
    // Well set up, the accounting rules pass and the next production rule speaks.
    let ok = config_with(&[
        prod.clone(),
        http.clone(),
        https.clone(),
        ca.clone(),
        ("accounting.client_cert_path", json!("/etc/kabinet/shim.pem")),
        ("accounting.client_key_path", json!("/etc/kabinet/shim.key")),
    ])
    .unwrap_err();
    assert!(!ok.contains("accounting"), "{ok}");

    let serve = ("accounting.serve_enabled", json!(true));
    let err = config_with(&[prod.clone(), serve.clone()]).unwrap_err();
    assert!(err.contains("without client authentication"), "{err}");
    // Signatures alone only behind a TLS proxy on this machine (a loopback listener).
    let signed = ("accounting.serve_hmac_secret", json!(HMAC_SECRET));
    let ok = config_with(&[prod.clone(), serve.clone(), signed.clone(), ("accounting.serve_listen", json!("127.0.0.1:8443"))])
        .unwrap_err();
    assert!(!ok.contains("accounting"), "{ok}");
    let err = config_with(&[prod.clone(), serve.clone(), signed.clone(), ("accounting.serve_listen", json!("0.0.0.0:8443"))])
        .unwrap_err();
    assert!(err.contains("without client authentication"), "{err}");

    // In every mode: https needs the pinned CA, serving needs the ledger, a client CA needs TLS.
    let err = config_with(&[http.clone(), https.clone()]).unwrap_err();
    assert!(err.contains("server_ca_path"), "{err}");
    let err = config_with(&[http.clone(), ("accounting.base_url", json!("http://u:p@127.0.0.1:1/"))]).unwrap_err();
    assert!(err.contains("credentials"), "{err}");
    let err =
        config_with(&[http.clone(), ("accounting.base_url", json!("http://127.0.0.1:1/")), serve.clone()]).unwrap_err();
    assert!(err.contains("serve_enabled"), "{err}");
    let err = config_with(&[serve.clone(), ("accounting.serve_client_ca_path", json!("/ca.pem"))]).unwrap_err();
    assert!(err.contains("serve_tls_cert_path"), "{err}");
    let err = config_with(&[("accounting.timeout_secs", json!(0))]).unwrap_err();
    assert!(err.contains("timeout_secs"), "{err}");

    // Defaults: the ledger, 5 s, 2 retries; secrets stay out of Debug.
    let c = config_with(&[
        ("accounting.hmac_secret", json!("client-side-secret-123")),
        ("accounting.serve_hmac_secret", json!("server-side-secret-456")),
    ])
    .unwrap();
    assert_eq!(
        (c.accounting.backend, c.accounting.timeout_secs, c.accounting.read_retries),
        (AccountingBackend::Ledger, 5, 2)
    );
    let debug = format!("{c:?}");
    assert!(!debug.contains("client-side-secret-123") && !debug.contains("server-side-secret-456"), "{debug}");
    let auth = contract::ContractAuth::from_config(&c.accounting).unwrap();
    assert!(!format!("{auth:?}").contains("server-side-secret-456"));
}

#[test]
fn a_bad_certificate_file_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let missing = |name: &str| dir.path().join(name).display().to_string();
    let mut c = defaults();
    c.backend = AccountingBackend::Http;
    c.base_url = "https://127.0.0.1:1".into();
    c.server_ca_path = missing("nope.pem");
    let err = HttpAccounting::from_config(&c).unwrap_err().to_string();
    assert!(err.contains("nope.pem"), "{err}");
    std::fs::write(dir.path().join("garbage.pem"), "not a certificate").unwrap();
    c.server_ca_path = missing("garbage.pem");
    assert!(HttpAccounting::from_config(&c).is_err());
}

// ---------------------------------------------------------------------------------------------
// Applications and messages through the contract.

fn key() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn refused(r: Result<impl std::fmt::Debug, AccountingError>) -> ErrorCode {
    match r {
        Err(AccountingError::Refused(code)) => code,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn file(name: &str, content_type: FileType, bytes: Vec<u8>) -> NewAttachment {
    let sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
    NewAttachment { file_name: name.into(), content_type, bytes, sha256 }
}

/// A loan application inside the first loan product's limits, or `amount` kopecks.
fn loan_application(product: &kabinet_api::requests::ProductInfo, amount: i64) -> NewApplication {
    NewApplication::Loan {
        product_id: product.id.clone(),
        amount,
        term_months: product.min_term_months,
        purpose: "Ремонт крыши".into(),
    }
}

#[tokio::test]
async fn over_mutual_tls_products_previews_and_lists_equal_the_ledgers_own_answers() {
    let pki = Pki::new();
    let a = ShimA::mtls(&pki).await;
    let ledger = a.ledger();
    let http = HttpAccounting::from_config(&a.adapter_config(&pki)).unwrap();
    let day = today();
    let products = ledger.products().await.unwrap();
    assert!(!products.loan.is_empty() && !products.savings.is_empty());
    assert_eq!(http.products().await.unwrap(), products);
    let (loan_product, savings_product) = (&products.loan[0], &products.savings[0]);

    let mut previewed = std::collections::BTreeSet::new();
    for (id, ..) in DEMO_CLIENTS {
        // The four kinds, about this client's own open contracts.
        let mut asked = vec![
            loan_application(loan_product, loan_product.min_amount),
            NewApplication::Savings {
                product_id: savings_product.id.clone(),
                amount: savings_product.min_amount,
                term_months: savings_product.min_term_months,
            },
        ];
        for l in ledger.loans(id, day).await.unwrap().contracts.iter().filter(|l| l.closed_on.is_none()) {
            asked.push(NewApplication::EarlyRepayment {
                loan_id: l.id.clone(),
                date: day.to_string(),
                mode: EarlyRepaymentMode::Full,
                amount: None,
            });
        }
        for s in ledger.savings(id, day).await.unwrap().contracts.iter().filter(|s| s.closed_on.is_none()) {
            asked.push(NewApplication::EarlyWithdrawal { savings_id: s.id.clone(), date: day.to_string() });
        }
        for application in &asked {
            match (ledger.preview_application(id, application, day).await, http.preview_application(id, application, day).await) {
                (Ok(direct), Ok(through)) => {
                    assert_eq!(through, direct, "{id}: {application:?}");
                    previewed.insert(application.kind().as_str());
                }
                (Err(AccountingError::Refused(d)), Err(AccountingError::Refused(t))) => assert_eq!(t, d, "{application:?}"),
                other => panic!("{id}: {application:?} answered {other:?}"),
            }
        }
        assert_eq!(http.applications(id).await.unwrap(), ledger.applications(id).await.unwrap());
        assert_eq!(http.messages(id).await.unwrap(), ledger.messages(id).await.unwrap());
        assert_eq!(http.upload_bytes(id).await.unwrap(), ledger.upload_bytes(id).await.unwrap());
    }
    let all: std::collections::BTreeSet<_> = ApplicationKind::ALL.iter().map(|k| k.as_str()).collect();
    assert_eq!(previewed, all, "every kind previewed through the contract");

    // A refusal keeps its code through the contract (422 `rejected`, reason amount_out_of_range).
    let (id, ..) = DEMO_CLIENTS[0];
    let too_little = loan_application(loan_product, loan_product.min_amount - 1);
    assert_eq!(refused(ledger.preview_application(id, &too_little, day).await), ErrorCode::AmountOutOfRange);
    assert_eq!(refused(http.preview_application(id, &too_little, day).await), ErrorCode::AmountOutOfRange);
    let raw = raw_mtls_client(&pki);
    let r = raw
        .post(format!("{}/v1/clients/{id}/applications/preview?as_of={day}", a.https()))
        .json(&too_little)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let e: ContractError = r.json().await.unwrap();
    assert_eq!((e.code, e.reason.as_deref()), (ContractErrorCode::Rejected, Some("amount_out_of_range")));
    // Another client's contract is absent, as for reads.
    let others = ledger.loans(DEMO_CLIENTS[0].0, day).await.unwrap();
    let theirs = NewApplication::EarlyRepayment {
        loan_id: others.contracts[0].id.clone(),
        date: day.to_string(),
        mode: EarlyRepaymentMode::Full,
        amount: None,
    };
    assert_eq!(refused(http.preview_application(DEMO_CLIENTS[1].0, &theirs, day).await), ErrorCode::NotFound);
    // A write without its key is the caller's error and makes nothing.
    let r = raw
        .post(format!("{}/v1/clients/{id}/applications?as_of={day}&at=2026-11-22T09:00:00Z", a.https()))
        .json(&loan_application(loan_product, loan_product.min_amount))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<ContractError>().await.unwrap().code, ContractErrorCode::BadRequest);
    assert_eq!(http.applications(id).await.unwrap(), ledger.applications(id).await.unwrap());
    a.stop().await;
}

#[tokio::test]
async fn a_shim_on_the_http_backend_applies_and_sends_files_through_the_contract_once_per_key() {
    use kabinet_tests::env::{Env, MARIA, MARIA_PHONE};
    let pki = Pki::new();
    let a = ShimA::mtls(&pki).await;
    let ledger = a.ledger();
    let adapter = a.adapter_config(&pki);
    let http = HttpAccounting::from_config(&adapter).unwrap();
    let b = Env::start(kabinet_tests::Db::Sqlite, move |c: &mut Config| c.accounting = adapter).await;
    let mut c = b.register(MARIA, MARIA_PHONE).await;
    let id = "demo-0001";
    let product = ledger.products().await.unwrap().loan[0].clone();
    let held = |l: Ledger| async move { l.applications(id).await.unwrap() };

    // An application through shim B, twice under one key: one application in A's ledger.
    let before = held(ledger.clone()).await.len();
    let body = serde_json::to_value(loan_application(&product, product.min_amount)).unwrap();
    let k = key();
    let mut answers = Vec::new();
    for _ in 0..2 {
        let req = c
            .request(reqwest::Method::POST, "/applications")
            .header("origin", SITE)
            .header("content-type", "application/json")
            .header("idempotency-key", &k)
            .body(body.to_string());
        let r = c.send(req).await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        answers.push(r.json::<Application>());
    }
    assert_eq!(answers[0], answers[1]);
    let now_held = held(ledger.clone()).await;
    assert_eq!(now_held.len(), before + 1);
    assert!(now_held.contains(&answers[0]));
    // The accounting side keeps the rule itself: the adapter repeating the key gets the same
    // application and A makes nothing.
    let app = loan_application(&product, product.min_amount);
    let now = time::OffsetDateTime::now_utc();
    let again = http.create_application(id, &k, &app, today(), now).await.unwrap();
    assert_eq!(again.id, answers[0].id);
    assert_eq!(held(ledger.clone()).await.len(), before + 1);
    let fresh = key();
    let one = http.create_application(id, &fresh, &app, today(), now).await.unwrap();
    let two = http.create_application(id, &fresh, &app, today(), now).await.unwrap();
    assert_eq!(one, two);
    assert_eq!(held(ledger.clone()).await.len(), before + 2);

    // A refusal comes back through the contract with its code; nothing is made.
    let outside = loan_application(&product, product.max_amount + 1);
    assert_eq!(refused(http.create_application(id, &key(), &outside, today(), now).await), ErrorCode::AmountOutOfRange);
    let req = c
        .request(reqwest::Method::POST, "/applications")
        .header("origin", SITE)
        .header("content-type", "application/json")
        .header("idempotency-key", key())
        .body(serde_json::to_string(&outside).unwrap());
    assert_eq!(c.send(req).await.code(), ErrorCode::AmountOutOfRange);
    assert_eq!(held(ledger.clone()).await.len(), before + 2);

    // A message with a PNG and a PDF through shim B, twice under one key: one message in A.
    let (png, pdf) = (samples::png(64, 48), samples::pdf());
    let messages_before = ledger.messages(id).await.unwrap().len();
    let k = key();
    let mut sent = Vec::new();
    for _ in 0..2 {
        let form = reqwest::multipart::Form::new()
            .text("text", "Добрый день! Прикладываю скан и схему.")
            .part("file", reqwest::multipart::Part::bytes(png.clone()).file_name("схема.png").mime_str("image/png").unwrap())
            .part("file", reqwest::multipart::Part::bytes(pdf.clone()).file_name("справка.pdf").mime_str("application/pdf").unwrap());
        let req = c.request(reqwest::Method::POST, "/messages").header("origin", SITE).header("idempotency-key", &k).multipart(form);
        let r = c.send(req).await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        sent.push(r.json::<Message>());
    }
    assert_eq!(sent[0], sent[1]);
    let message = sent.remove(0);
    assert_eq!(message.attachments.len(), 2);
    assert_eq!(message.attachments[1].file_name, "справка.pdf");
    assert_eq!(ledger.messages(id).await.unwrap().len(), messages_before + 1);
    assert_eq!(ledger.message(id, &message.id).await.unwrap().as_ref(), Some(&message));
    // Downloads through B (and so through the contract) give exactly the bytes A stores.
    for info in &message.attachments {
        let stored = ledger.attachment(id, &message.id, &info.id).await.unwrap().unwrap();
        let got = c.get(&kabinet_api::messages::paths::attachment(&message.id, &info.id)).await;
        assert_eq!(got.status, 200);
        assert_eq!(got.body, stored.bytes, "{}", info.file_name);
        assert_eq!(http.attachment(id, &message.id, &info.id).await.unwrap(), Some(stored));
    }
    assert_eq!(ledger.attachment(id, &message.id, &message.attachments[1].id).await.unwrap().unwrap().bytes, pdf);
    // The adapter repeating the key with the same message: the first message, nothing stored.
    let mut same = Vec::new();
    for info in &message.attachments {
        let stored = ledger.attachment(id, &message.id, &info.id).await.unwrap().unwrap();
        same.push(file(&info.file_name, info.content_type, stored.bytes));
    }
    let repeat = http.send_message(id, &k, "Добрый день! Прикладываю скан и схему.", &same, now).await.unwrap();
    assert_eq!(repeat.id, message.id);
    // The same key with another message is refused by accounting itself.
    let files = [file("справка.pdf", FileType::Pdf, pdf.clone())];
    let other = http.send_message(id, &k, "Добрый день! Прикладываю скан и схему.", &files, now).await;
    assert!(matches!(other, Err(AccountingError::Refused(ErrorCode::IdempotencyKeyReused))), "{other:?}");
    assert_eq!(ledger.messages(id).await.unwrap().len(), messages_before + 1);
    assert_eq!(http.upload_bytes(id).await.unwrap(), ledger.upload_bytes(id).await.unwrap());

    // A reply from the organisation is read once through the contract.
    let reply = ledger.reply(id, Some(&message.id), "Коротков Е. Ю.", "Получили, спасибо.", &[], now).await.unwrap();
    assert!(http.mark_read(id, &reply.id, now).await.unwrap());
    assert!(!http.mark_read(id, &reply.id, now).await.unwrap());
    assert!(!http.mark_read(id, &message.id, now).await.unwrap(), "the client's own message is not theirs to read");
    assert!(!http.mark_read("demo-0002", &reply.id, now).await.unwrap(), "another client's message");
    assert_eq!(http.message("demo-0002", &reply.id).await.unwrap(), None);
    assert_eq!(http.attachment("demo-0002", &message.id, &message.attachments[0].id).await.unwrap(), None);
    let read = http.message(id, &reply.id).await.unwrap().unwrap();
    assert!(read.read_at.is_some() && read.direction == MessageDirection::FromOrganisation);
    assert_eq!(http.messages(id).await.unwrap(), ledger.messages(id).await.unwrap());
    b.shim.stop().await;
    a.stop().await;
}

#[tokio::test]
async fn signed_messages_carry_five_files_of_ten_mebibytes_and_a_damaged_file_is_refused() {
    let a = ShimA::start(|c| c.serve_hmac_secret = SecretString::from(HMAC_SECRET)).await;
    let mut cfg = defaults();
    cfg.backend = AccountingBackend::Http;
    cfg.base_url = a.http();
    cfg.hmac_secret = SecretString::from(HMAC_SECRET);
    cfg.timeout_secs = 30;
    let http = HttpAccounting::from_config(&cfg).unwrap();
    let id = "demo-0002";
    // Five files at the limit (the contract server stores what the shim already checked).
    let files: Vec<_> = (0..5u8)
        .map(|n| {
            let mut bytes = vec![b'a' + n; MAX_FILE_BYTES as usize];
            bytes[..8].copy_from_slice(&u64::from(n).to_be_bytes());
            file(&format!("скан-{n}.pdf"), FileType::Pdf, bytes)
        })
        .collect();
    let now = time::OffsetDateTime::now_utc();
    let sent = http.send_message(id, &key(), "Пять сканов", &files, now).await.unwrap();
    assert_eq!(sent.attachments.len(), 5);
    let last = http.attachment(id, &sent.id, &sent.attachments[4].id).await.unwrap().unwrap();
    assert_eq!(last.bytes, files[4].bytes);
    assert_eq!((last.info.file_name.as_str(), last.info.size), ("скан-4.pdf", MAX_FILE_BYTES));
    assert_eq!(http.upload_bytes(id).await.unwrap(), 5 * MAX_FILE_BYTES);

    // A file whose bytes do not hash to its sha256 is refused (400), and nothing is stored.
    let mut damaged = file("справка.pdf", FileType::Pdf, samples::pdf());
    damaged.sha256 = hex::encode([0u8; 32]);
    unavailable(http.send_message(id, &key(), "Справка", &[damaged], now).await);
    let raw = reqwest::Client::builder().no_proxy().build().unwrap();
    let body = serde_json::to_vec(&json!({"text": "x", "sent_at": "2026-11-22T09:00:00Z", "files": []})).unwrap();
    let target = format!("/v1/clients/{id}/messages");
    let ts = time::OffsetDateTime::now_utc().unix_timestamp();
    let r = raw
        .post(format!("{}{target}", a.http()))
        .header(TIMESTAMP_HEADER, ts.to_string())
        .header(SIGNATURE_HEADER, signature::sign(HMAC_SECRET.as_bytes(), "POST", &target, ts, &body))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "no Idempotency-Key");
    assert_eq!(a.ledger().messages(id).await.unwrap().len(), http.messages(id).await.unwrap().len());
    assert_eq!(a.ledger().messages(id).await.unwrap().iter().filter(|m| m.direction == MessageDirection::FromClient).count(), 1);
    a.stop().await;
}

#[tokio::test]
async fn a_write_whose_answer_is_lost_is_repeated_under_its_key_and_makes_one_object() {
    use kabinet_tests::faulty::FaultyAccounting;
    let accounting = FaultyAccounting::start().await;
    let http = HttpAccounting::from_config(&accounting.client_config(2, 2)).unwrap();
    let ledger = &accounting.ledger;
    let id = "demo-0001";
    let product = ledger.products().await.unwrap().loan[0].clone();
    let app = loan_application(&product, product.min_amount);
    let now = time::OffsetDateTime::now_utc();
    let before = ledger.applications(id).await.unwrap().len();

    // Made, then answered 503 twice: the third attempt gets the first application.
    accounting.lose_next_write_answers(2);
    let made = http.create_application(id, &key(), &app, today(), now).await.unwrap();
    let held = ledger.applications(id).await.unwrap();
    assert_eq!(held.len(), before + 1);
    assert!(held.contains(&made));

    let messages_before = ledger.messages(id).await.unwrap().len();
    accounting.lose_next_write_answers(1);
    let files = [file("схема.png", FileType::Png, samples::png(32, 32))];
    let sent = http.send_message(id, &key(), "Схема во вложении", &files, now).await.unwrap();
    assert_eq!(ledger.messages(id).await.unwrap().len(), messages_before + 1);
    assert_eq!(ledger.message(id, &sent.id).await.unwrap(), Some(sent));

    // More lost answers than attempts: the shim sees a failure, yet one application exists,
    // and the client's retry under the same key gets it without making another.
    accounting.lose_next_write_answers(3);
    let k = key();
    let m = unavailable(http.create_application(id, &k, &app, today(), now).await);
    assert!(m.contains("3 attempts"), "{m}");
    assert_eq!(ledger.applications(id).await.unwrap().len(), before + 2);
    let later = http.create_application(id, &k, &app, today(), now).await.unwrap();
    assert_eq!(ledger.applications(id).await.unwrap().len(), before + 2);
    assert!(ledger.applications(id).await.unwrap().contains(&later));
}

// ---------------------------------------------------------------------------------------------
// Card payments through the contract (1.2).

fn pay(contract_id: &str, purpose: PaymentPurpose, amount: Option<i64>) -> PaymentRequest {
    PaymentRequest { contract_id: contract_id.into(), purpose, amount }
}

/// A posting of `quote` confirmed today, under a new payment id.
fn posting(quote: &PaymentPreview) -> CardPosting {
    CardPosting {
        payment_id: key(),
        contract_id: quote.contract_id.clone(),
        contract_kind: quote.contract_kind,
        purpose: quote.purpose,
        amount: quote.amount,
        paid_on: today().to_string(),
        gateway: "sber".into(),
        order_number: format!("KB-{}", &key()[..8]),
    }
}

/// The payments of a loan, as the client sees them today.
async fn loan_payments(ledger: &Ledger, client_id: &str, loan_id: &str) -> Vec<LoanOperation> {
    let detail = ledger.loan(client_id, loan_id, today()).await.unwrap().expect("the client's loan");
    detail.operations.into_iter().filter(|o| o.kind == LoanOperationKind::Payment).collect()
}

async fn open_loan(ledger: &Ledger, client_id: &str) -> String {
    let loans = ledger.loans(client_id, today()).await.unwrap();
    loans.contracts.into_iter().find(|l| l.closed_on.is_none()).expect("the demo client has an open loan").id
}

/// The pretty wire name of a code, for sets and messages.
fn code_name(code: ErrorCode) -> String {
    serde_json::to_value(code).unwrap().as_str().unwrap().to_owned()
}

#[tokio::test]
async fn over_mutual_tls_payment_quotes_and_refusals_equal_the_ledgers_own_answers() {
    use kabinet_api::payments::MIN_PAYMENT;
    use PaymentPurpose::{Custom, NextInstallment, Overdue, TopUp};
    let pki = Pki::new();
    let a = ShimA::mtls(&pki).await;
    let ledger = a.ledger();
    let http = HttpAccounting::from_config(&a.adapter_config(&pki)).unwrap();
    let day = today();
    let (mut quoted, mut refusals, mut absent) = (std::collections::BTreeSet::new(), std::collections::BTreeSet::new(), 0);
    for (id, ..) in DEMO_CLIENTS {
        let mut asked = Vec::new();
        for l in ledger.loans(id, day).await.unwrap().contracts {
            asked.extend([
                pay(&l.id, NextInstallment, None),
                pay(&l.id, Overdue, None),
                pay(&l.id, Custom, Some(MIN_PAYMENT)),
                pay(&l.id, Custom, Some(0)),
                pay(&l.id, Custom, Some(l.payoff_amount + 1)),
                // A computed purpose with an amount: the browser does not name the figure.
                pay(&l.id, NextInstallment, Some(MIN_PAYMENT)),
                // A purpose that does not fit the contract: no savings contract by that id.
                pay(&l.id, TopUp, Some(MIN_PAYMENT)),
            ]);
        }
        for s in ledger.savings(id, day).await.unwrap().contracts {
            asked.extend([pay(&s.id, TopUp, Some(1_000_00)), pay(&s.id, TopUp, Some(0)), pay(&s.id, NextInstallment, None)]);
        }
        for request in &asked {
            match (ledger.quote_payment(id, request, day).await, http.quote_payment(id, request, day).await) {
                (Ok(Some(direct)), Ok(Some(through))) => {
                    assert_eq!(through, direct, "{id}: {request:?}");
                    quoted.insert(format!("{:?}", request.purpose));
                }
                (Ok(None), Ok(None)) => absent += 1,
                (Err(AccountingError::Refused(d)), Err(AccountingError::Refused(t))) => {
                    assert_eq!(t, d, "{id}: {request:?}");
                    refusals.insert(code_name(d));
                }
                other => panic!("{id}: {request:?} answered {other:?}"),
            }
        }
    }
    let expected: std::collections::BTreeSet<String> = ["Custom", "NextInstallment", "Overdue", "TopUp"].map(String::from).into();
    assert_eq!(quoted, expected, "every purpose quoted through the contract");
    for code in [
        ErrorCode::ContractClosed,
        ErrorCode::NothingToPay,
        ErrorCode::TopUpNotAllowed,
        ErrorCode::AmountOutOfRange,
        ErrorCode::AmountAbovePayoff,
    ] {
        assert!(refusals.contains(&code_name(code)), "{} never came through the contract: {refusals:?}", code_name(code));
    }
    assert!(absent > 0, "a purpose that does not fit the contract is absent");

    // On the wire, a refusal is 422 `rejected` with its reason.
    let (id, ..) = DEMO_CLIENTS[0];
    let loan = open_loan(&ledger, id).await;
    let raw = raw_mtls_client(&pki);
    let quote_url = |client: &str, as_of: &str| format!("{}/v1/clients/{client}/payments/quote?as_of={as_of}", a.https());
    let r = raw.post(quote_url(id, &day.to_string())).json(&pay(&loan, Custom, Some(0))).send().await.unwrap();
    assert_eq!(r.status(), 422);
    let e: ContractError = r.json().await.unwrap();
    assert_eq!((e.code, e.reason.as_deref()), (ContractErrorCode::Rejected, Some("amount_out_of_range")));
    // Another client's loan is absent, not refused: 404 `not_found` on the wire, None in the adapter.
    let next = pay(&loan, NextInstallment, None);
    let stranger = DEMO_CLIENTS[1].0;
    assert!(ledger.quote_payment(id, &next, day).await.unwrap().is_some());
    assert_eq!(ledger.quote_payment(stranger, &next, day).await.unwrap(), None);
    assert_eq!(http.quote_payment(stranger, &next, day).await.unwrap(), None);
    let r = raw.post(quote_url(stranger, &day.to_string())).json(&next).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.json::<ContractError>().await.unwrap().code, ContractErrorCode::NotFound);
    assert_eq!(http.quote_payment("nobody", &next, day).await.unwrap(), None);
    // A malformed day or body is the caller's error.
    let r = raw.post(quote_url(id, "22.11.2026")).json(&next).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let extra = json!({"contract_id": loan, "purpose": "next_installment", "charge": 1});
    let r = raw.post(quote_url(id, &day.to_string())).json(&extra).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<ContractError>().await.unwrap().code, ContractErrorCode::BadRequest);
    a.stop().await;
}

/// Postings through the contract: once per payment id, whoever repeats them how often.
async fn card_postings_once_per_payment(db: Db) {
    use kabinet_api::payments::MIN_PAYMENT;
    let pki = Pki::new();
    let a = ShimA::mtls_on(db, &pki).await;
    let ledger = a.ledger();
    let http = Arc::new(HttpAccounting::from_config(&a.adapter_config(&pki)).unwrap());
    let raw = raw_mtls_client(&pki);
    let post_url = |client: &str| format!("{}/v1/clients/{client}/payments/postings", a.https());
    let day = today();
    let (id, ..) = DEMO_CLIENTS[0];
    let loan = open_loan(&ledger, id).await;

    // The next installment, quoted through the contract and posted twice: one payment.
    let next = pay(&loan, PaymentPurpose::NextInstallment, None);
    let quote = http.quote_payment(id, &next, day).await.unwrap().expect("the next installment");
    assert_eq!(Some(&quote), ledger.quote_payment(id, &next, day).await.unwrap().as_ref());
    let before = loan_payments(&ledger, id, &loan).await.len();
    let p = posting(&quote);
    let first = http.post_payment(id, &p).await.unwrap();
    assert!(!first.duplicate && !first.reference.is_empty(), "{first:?}");
    let second = http.post_payment(id, &p).await.unwrap();
    assert_eq!(second, PostingReceipt { reference: first.reference.clone(), duplicate: true });
    let payments = loan_payments(&ledger, id, &loan).await;
    assert_eq!(payments.len(), before + 1, "one payment for two postings");
    let new = payments.last().unwrap();
    assert_eq!((new.date.clone(), new.amount), (day.to_string(), quote.amount));
    // The adapter reads the loan as the ledger does, the payment included.
    assert_eq!(http.loan(id, &loan, day).await.unwrap(), ledger.loan(id, &loan, day).await.unwrap());
    // On the wire: a repeat is 200 with the first posting's reference.
    let r = raw.post(post_url(id)).json(&p).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<PostingReceipt>().await.unwrap(), second);

    // A savings top-up: 201 when posted, 200 for the repeat; the balance grows once.
    let mut top_up = None;
    for s in ledger.savings(id, day).await.unwrap().contracts {
        if let Ok(Some(q)) = http.quote_payment(id, &pay(&s.id, PaymentPurpose::TopUp, Some(1_000_00)), day).await {
            top_up = Some(q);
            break;
        }
    }
    let top_up = top_up.expect("the demo client has savings that take top-ups");
    assert_eq!(top_up.contract_kind, PaymentContractKind::Savings);
    let balance = |l: Ledger, s: String| async move { l.saving(id, &s, day).await.unwrap().unwrap().summary.balance };
    let was = balance(ledger.clone(), top_up.contract_id.clone()).await;
    let p = posting(&top_up);
    let r = raw.post(post_url(id)).json(&p).send().await.unwrap();
    assert_eq!(r.status(), 201);
    assert!(!r.json::<PostingReceipt>().await.unwrap().duplicate);
    let r = raw.post(post_url(id)).json(&p).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.json::<PostingReceipt>().await.unwrap().duplicate);
    assert_eq!(balance(ledger.clone(), top_up.contract_id.clone()).await, was + 1_000_00);
    assert_eq!(top_up.balance_after, was + 1_000_00);

    // The same payment sent four times at once (a repeat racing its original): posted once.
    let small = http.quote_payment(id, &pay(&loan, PaymentPurpose::Custom, Some(MIN_PAYMENT)), day).await.unwrap().unwrap();
    let p = posting(&small);
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let (http, p) = (http.clone(), p.clone());
            tokio::spawn(async move { http.post_payment(id, &p).await })
        })
        .collect();
    let mut posted = 0;
    for t in tasks {
        posted += usize::from(!t.await.unwrap().unwrap().duplicate);
    }
    assert_eq!(posted, 1, "exactly one of the four postings wrote");
    assert_eq!(loan_payments(&ledger, id, &loan).await.len(), before + 2);

    // Another client's contract: 404 `not_found`, a refusal `not_found` in the adapter, nothing
    // posted, and the owner's posting of the same payment afterwards is still the first.
    let stranger = DEMO_CLIENTS[1].0;
    let theirs = posting(&small);
    assert_eq!(refused(http.post_payment(stranger, &theirs).await), ErrorCode::NotFound);
    assert_eq!(refused(ledger.post_payment(stranger, &theirs).await), ErrorCode::NotFound);
    let r = raw.post(post_url(stranger)).json(&theirs).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.json::<ContractError>().await.unwrap().code, ContractErrorCode::NotFound);
    assert_eq!(refused(http.post_payment("nobody", &theirs).await), ErrorCode::NotFound);
    assert_eq!(loan_payments(&ledger, id, &loan).await.len(), before + 2);
    assert!(!http.post_payment(id, &theirs).await.unwrap().duplicate);
    assert_eq!(loan_payments(&ledger, id, &loan).await.len(), before + 3);

    // A malformed posting is the sender's error, and writes nothing.
    let base = posting(&small);
    for (what, bad) in [
        ("a malformed paid_on", CardPosting { paid_on: "22.11.2026".into(), ..base.clone() }),
        ("a top-up of a loan", CardPosting { purpose: PaymentPurpose::TopUp, ..base.clone() }),
        ("a loan purpose for savings", CardPosting { contract_kind: PaymentContractKind::Savings, ..base.clone() }),
        ("no payment id", CardPosting { payment_id: String::new(), ..base.clone() }),
        ("a payment id over 200 characters", CardPosting { payment_id: "p".repeat(201), ..base.clone() }),
    ] {
        let r = raw.post(post_url(id)).json(&bad).send().await.unwrap();
        assert_eq!(r.status(), 400, "{what}");
        assert_eq!(r.json::<ContractError>().await.unwrap().code, ContractErrorCode::BadRequest, "{what}");
    }
    assert_eq!(loan_payments(&ledger, id, &loan).await.len(), before + 3);
    a.stop().await;
}

#[tokio::test]
async fn card_postings_through_the_contract_are_posted_once_per_payment_on_sqlite() {
    card_postings_once_per_payment(Db::Sqlite).await;
}

#[tokio::test]
async fn card_postings_through_the_contract_are_posted_once_per_payment_on_postgres() {
    card_postings_once_per_payment(Db::Postgres(postgres_server_url())).await;
}

/// One HTTP/1.1 message from `s`: its head and a body of `content-length` bytes.
async fn read_message(s: &mut tokio::net::TcpStream) -> Option<Vec<u8>> {
    let mut message = Vec::new();
    let mut byte = [0u8; 1];
    while !message.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte).await {
            Ok(1) => message.push(byte[0]),
            _ => return None,
        }
    }
    let head = String::from_utf8_lossy(&message).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let start = message.len();
    message.resize(start + length, 0);
    s.read_exact(&mut message[start..]).await.ok()?;
    Some(message)
}

/// A proxy on loopback to the plain-HTTP contract at `upstream`: forwards every request and,
/// while `lose` is above zero, throws the answer away and says 503 instead — the write done,
/// its answer lost on the way back. Hand-written, like [`scripted`], to lose answers at will.
async fn losing_proxy(upstream: std::net::SocketAddr, lose: Arc<AtomicUsize>) -> String {
    let l = bind().await;
    let base = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = l.accept().await {
            let lose = lose.clone();
            tokio::spawn(async move {
                let Some(request) = read_message(&mut conn).await else { return };
                let mut up = tokio::net::TcpStream::connect(upstream).await.unwrap();
                up.write_all(&request).await.unwrap();
                let Some(mut answer) = read_message(&mut up).await else { return };
                if lose.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
                    let body = r#"{"code":"unavailable","message":"lost"}"#;
                    answer = format!("HTTP/1.1 503 Lost\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}", body.len())
                        .into_bytes();
                }
                // One request per connection, as the adapter is told.
                let line_end = answer.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
                answer.splice(line_end..line_end, b"connection: close\r\n".iter().copied());
                let _ = conn.write_all(&answer).await;
                let _ = conn.shutdown().await;
            });
        }
    });
    base
}

#[tokio::test]
async fn a_posting_whose_answer_is_lost_is_repeated_and_posted_once() {
    use kabinet_api::payments::MIN_PAYMENT;
    let a = ShimA::start(|c| c.serve_hmac_secret = SecretString::from(HMAC_SECRET)).await;
    let lose = Arc::new(AtomicUsize::new(0));
    let mut cfg = defaults();
    cfg.backend = AccountingBackend::Http;
    cfg.base_url = losing_proxy(a.addr, lose.clone()).await;
    cfg.hmac_secret = SecretString::from(HMAC_SECRET);
    cfg.read_retries = 2;
    let http = HttpAccounting::from_config(&cfg).unwrap();
    let ledger = a.ledger();
    let (id, ..) = DEMO_CLIENTS[0];
    let loan = open_loan(&ledger, id).await;
    let before = loan_payments(&ledger, id, &loan).await.len();
    let quote = http.quote_payment(id, &pay(&loan, PaymentPurpose::Custom, Some(MIN_PAYMENT)), today()).await.unwrap().unwrap();

    // Posted, then answered 503 twice: the third attempt learns it was posted already.
    lose.store(2, Ordering::SeqCst);
    let receipt = http.post_payment(id, &posting(&quote)).await.unwrap();
    assert!(receipt.duplicate, "the first attempt posted it: {receipt:?}");
    assert_eq!(loan_payments(&ledger, id, &loan).await.len(), before + 1);

    // More lost answers than attempts: the shim sees a failure, yet one payment is posted, and
    // the later repeat (the outbox's) is a duplicate that writes nothing.
    lose.store(3, Ordering::SeqCst);
    let p = posting(&quote);
    let m = unavailable(http.post_payment(id, &p).await);
    assert!(m.contains("3 attempts"), "{m}");
    assert_eq!(loan_payments(&ledger, id, &loan).await.len(), before + 2);
    assert!(http.post_payment(id, &p).await.unwrap().duplicate);
    assert_eq!(loan_payments(&ledger, id, &loan).await.len(), before + 2);
    a.stop().await;
}

#[tokio::test]
async fn payment_refusals_are_final_and_a_quote_must_be_about_what_was_asked() {
    let asked = pay("L-1", PaymentPurpose::Custom, Some(500_00));
    let quote = PaymentPreview {
        contract_id: "L-1".into(),
        contract_number: "З-2026/0142".into(),
        contract_kind: PaymentContractKind::Loan,
        purpose: PaymentPurpose::Custom,
        amount: 500_00,
        penalty: 0,
        interest: 120_00,
        principal: 380_00,
        advance: 0,
        balance_after: 100_000_00,
        description: "Погашение займа по договору З-2026/0142".into(),
        applied_on: None,
    };
    let leak = |v: &PaymentPreview| -> &'static str { Box::leak(serde_json::to_string(v).unwrap().into_boxed_str()) };
    let good = leak(&quote);
    let p = posting(&quote);

    // The answer as asked.
    let (base, _) = scripted(move |_| Behaviour::Answer(200, good)).await;
    assert_eq!(plain_adapter(&base, 2, 0).quote_payment("demo-0001", &asked, today()).await.unwrap(), Some(quote.clone()));

    // A refusal: final, asked once, the same for a quote and a posting.
    let (base, s) = scripted(|_| {
        Behaviour::Answer(422, r#"{"code":"rejected","message":"no","reason":"top_up_not_allowed"}"#)
    })
    .await;
    let http = plain_adapter(&base, 2, 2);
    assert_eq!(refused(http.quote_payment("demo-0001", &asked, today()).await), ErrorCode::TopUpNotAllowed);
    assert_eq!(refused(http.post_payment("demo-0001", &p).await), ErrorCode::TopUpNotAllowed);
    assert_eq!(s.hits.load(Ordering::SeqCst), 2);

    // The contract's 404: a quote is absent, a posting has nothing to go to; neither repeated.
    let (base, s) = scripted(|_| Behaviour::Answer(404, r#"{"code":"not_found","message":"no"}"#)).await;
    let http = plain_adapter(&base, 2, 2);
    assert_eq!(http.quote_payment("demo-0001", &asked, today()).await.unwrap(), None);
    assert_eq!(refused(http.post_payment("demo-0001", &p).await), ErrorCode::NotFound);
    assert_eq!(s.hits.load(Ordering::SeqCst), 2);

    // 5xx: a posting is repeated like a read, to the same target, with no Idempotency-Key (the
    // payment id in the body is the key).
    let (base, s) = scripted(|_| Behaviour::Answer(503, r#"{"code":"unavailable","message":"busy"}"#)).await;
    let m = unavailable(plain_adapter(&base, 2, 2).post_payment("demo-0001", &p).await);
    assert!(m.contains("3 attempts"), "{m}");
    assert_eq!(s.targets.lock().unwrap().clone(), vec!["/v1/clients/demo-0001/payments/postings".to_string(); 3]);
    assert!(s.heads.lock().unwrap().iter().all(|h| !h.contains("idempotency-key")));

    // A quote about anything but what was asked is a fault: charging it would take money for
    // something the client did not choose.
    for (what, wrong) in [
        ("another amount", PaymentPreview { amount: 600_00, ..quote.clone() }),
        ("another contract", PaymentPreview { contract_id: "L-2".into(), ..quote.clone() }),
        ("another purpose", PaymentPreview { purpose: PaymentPurpose::Overdue, ..quote.clone() }),
        ("another kind", PaymentPreview { contract_kind: PaymentContractKind::Savings, ..quote.clone() }),
    ] {
        let body = leak(&wrong);
        let (base, _) = scripted(move |_| Behaviour::Answer(200, body)).await;
        let m = unavailable(plain_adapter(&base, 2, 0).quote_payment("demo-0001", &asked, today()).await);
        assert!(m.contains("quote_payment"), "{what}: {m}");
    }
    // Nothing to charge is the refusal `nothing_to_pay`, never a quote of zero.
    let nothing = leak(&PaymentPreview { amount: 0, purpose: PaymentPurpose::NextInstallment, ..quote.clone() });
    let (base, _) = scripted(move |_| Behaviour::Answer(200, nothing)).await;
    let next = pay("L-1", PaymentPurpose::NextInstallment, None);
    assert!(unavailable(plain_adapter(&base, 2, 0).quote_payment("demo-0001", &next, today()).await).contains("no amount"));
    // A receipt without accounting's reference is a fault too.
    let (base, _) = scripted(|_| Behaviour::Answer(201, r#"{"reference":"","duplicate":false}"#)).await;
    assert!(unavailable(plain_adapter(&base, 2, 0).post_payment("demo-0001", &p).await).contains("reference"));
}
