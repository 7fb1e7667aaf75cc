//! The published accounting contract end to end: the committed OpenAPI document, a shim serving
//! its ledger over mutual TLS to `HttpAccounting` (answers equal to the ledger's own), a second
//! shim signing a client in through it, refused handshakes and signatures, scoping, and the
//! adapter's timeouts and retries against scripted servers on loopback.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use figment::providers::{Format, Serialized, Toml};
use figment::Figment;
use kabinet_api::Phone;
use kabinet_shim::accounting::contract::signature::{self, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use kabinet_shim::accounting::contract::{self, tls, ContractError, ContractErrorCode};
use kabinet_shim::accounting::http::HttpAccounting;
use kabinet_shim::accounting::ledger::{Ledger, DEMO_CLIENTS};
use kabinet_shim::accounting::{business_day, Accounting, AccountingError, FullName};
use kabinet_shim::config::{AccountingBackend, AccountingConfig, Config, DEFAULT_TOML};
use kabinet_shim::http::AppState;
use kabinet_shim::App;
use kabinet_tests::client::{next_code, sms_count, Client};
use kabinet_tests::{bind, test_config, Db, Layout, Stack};
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
        Self::start(|a| {
            a.serve_tls_cert_path = pki.s("server.pem");
            a.serve_tls_key_path = pki.s("server.key");
            a.serve_client_ca_path = pki.s("client-ca.pem");
        })
        .await
    }

    async fn start(edit: impl FnOnce(&mut AccountingConfig)) -> ShimA {
        let dir = tempfile::tempdir().unwrap();
        let l = bind().await;
        let url = format!("http://lk.company.localhost:{}", l.local_addr().unwrap().port());
        let db = format!("sqlite://{}?mode=rwc", dir.path().join("kabinet.db").display());
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
    for p in [
        contract::paths::LOOKUP,
        contract::paths::CLIENT,
        contract::paths::LOANS,
        contract::paths::LOAN,
        contract::paths::SAVINGS,
        contract::paths::SAVING,
        contract::paths::CONTRIBUTIONS,
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
}

/// A one-request-per-connection HTTP/1.1 server on loopback behaving as `script` says for the
/// n-th request (0-based). Hand-written on purpose: it must be able to hang and misbehave.
async fn scripted(script: impl Fn(usize) -> Behaviour + Send + Sync + 'static) -> (String, Scripted) {
    let s = Scripted { hits: Arc::default(), targets: Arc::default() };
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
