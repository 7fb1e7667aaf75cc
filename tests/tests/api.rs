//! API tests against the real shim on port 0: headers, errors, CORS, /embed's CSP, the OpenAPI
//! document against the router, trusted proxies, and production-mode refusals.

use std::sync::Arc;

use kabinet_api::{ApiError, ErrorCode, OrgInfo};
use kabinet_shim::config::{Mode, SmsProvider};
use kabinet_tests::{bind, test_config, TestShim};
use reqwest::header::{HeaderMap, ORIGIN};

const SITE: &str = "http://company.localhost:8000";
const SITE2: &str = "https://www.company.ru";

async fn shim_with(edit: impl FnOnce(&mut kabinet_shim::config::Config)) -> (TestShim, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let l = bind().await;
    let url = format!("http://lk.company.localhost:{}", l.local_addr().unwrap().port());
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("k.db").display());
    let mut config = test_config(dir.path(), &db, &url, &[SITE.to_string(), SITE2.to_string()]);
    edit(&mut config);
    (TestShim::start(config, l).await, dir)
}

async fn shim() -> (TestShim, tempfile::TempDir) {
    shim_with(|_| {}).await
}

fn http() -> reqwest::Client {
    reqwest::Client::new()
}

fn h<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn health_and_org_info_with_security_headers() {
    let (s, _d) = shim().await;
    let r = http().get(format!("{}/healthz", s.loopback)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = http().get(format!("{}/api/v1/org", s.loopback)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let headers = r.headers().clone();
    assert_eq!(h(&headers, "cache-control"), Some("no-store"));
    assert_eq!(h(&headers, "x-content-type-options"), Some("nosniff"));
    assert_eq!(h(&headers, "referrer-policy"), Some("no-referrer"));
    assert_eq!(h(&headers, "strict-transport-security"), Some("max-age=31536000; includeSubDomains"));
    assert!(h(&headers, "x-request-id").is_some_and(|v| v.len() == 36));
    let info: OrgInfo = r.json().await.unwrap();
    assert_eq!(info.name, "КПК «Надёжный капитал»");
    s.stop().await;
}

#[tokio::test]
async fn errors_are_json_with_stable_codes_and_the_request_id() {
    let (s, _d) = shim().await;
    let r = http().get(format!("{}/api/v1/no-such-thing", s.loopback)).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let id = h(r.headers(), "x-request-id").unwrap().to_owned();
    let e: ApiError = r.json().await.unwrap();
    assert_eq!(e.code, ErrorCode::NotFound);
    assert_eq!(e.request_id.as_deref(), Some(id.as_str()));
    assert!(!e.message.is_empty());

    let r = http()
        .post(format!("{}/api/v1/org", s.loopback))
        .header(ORIGIN, SITE)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    let e: ApiError = r.json().await.unwrap();
    assert_eq!(e.code, ErrorCode::MethodNotAllowed);

    // Hostile paths reach nothing outside pkg/.
    for p in ["/../Cargo.toml", "/%2e%2e/Cargo.toml", "/..%2fCargo.toml", "/nope.js"] {
        let r = http().get(format!("{}{p}", s.loopback)).send().await.unwrap();
        assert_eq!(r.status(), 404, "{p}");
    }
    s.stop().await;
}

#[tokio::test]
async fn cors_grants_only_exact_allowed_origins() {
    let (s, _d) = shim().await;
    let url = format!("{}/api/v1/org", s.loopback);
    for allowed in [SITE, SITE2] {
        let r = http().get(&url).header(ORIGIN, allowed).send().await.unwrap();
        assert_eq!(h(r.headers(), "access-control-allow-origin"), Some(allowed));
        assert_eq!(h(r.headers(), "access-control-allow-credentials"), Some("true"));
        assert!(h(r.headers(), "vary").unwrap_or_default().contains("origin"));
    }
    for evil in [
        "http://evil.ru",
        "http://company.localhost:8000.evil.ru",
        "http://evil.company.localhost:8000",
        "http://company.localhost",
        "https://company.localhost:8000",
        "http://COMPANY.localhost:8000",
        "null",
    ] {
        let r = http().get(&url).header(ORIGIN, evil).send().await.unwrap();
        assert_eq!(h(r.headers(), "access-control-allow-origin"), None, "{evil} got a CORS grant");
        assert_eq!(h(r.headers(), "access-control-allow-credentials"), None, "{evil}");
        let pre = http()
            .request(reqwest::Method::OPTIONS, &url)
            .header(ORIGIN, evil)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "x-kabinet-mode")
            .send()
            .await
            .unwrap();
        assert_eq!(h(pre.headers(), "access-control-allow-origin"), None, "{evil} preflight");
    }
    let pre = http()
        .request(reqwest::Method::OPTIONS, &url)
        .header(ORIGIN, SITE)
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "x-kabinet-mode")
        .send()
        .await
        .unwrap();
    assert_eq!(h(pre.headers(), "access-control-allow-origin"), Some(SITE));
    let max_age: u64 = h(pre.headers(), "access-control-max-age").unwrap().parse().unwrap();
    assert!(max_age <= 7200);
    assert!(h(pre.headers(), "access-control-allow-headers").unwrap().contains("x-kabinet-mode"));
    s.stop().await;
}

#[tokio::test]
async fn embed_carries_exactly_the_configured_origins_and_is_journaled() {
    let (s, _d) = shim().await;
    let r = http().get(format!("{}/embed?origin={SITE}", s.loopback)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let csp = h(r.headers(), "content-security-policy").unwrap().to_owned();
    let directives: Vec<&str> = csp.split(';').map(str::trim).collect();
    assert!(directives.contains(&"script-src 'self' 'wasm-unsafe-eval'"), "{csp}");
    assert!(directives.contains(&"object-src 'none'"), "{csp}");
    assert!(directives.contains(&"base-uri 'none'"), "{csp}");
    let ancestors: Vec<&str> = directives
        .iter()
        .find_map(|d| d.strip_prefix("frame-ancestors "))
        .expect("frame-ancestors")
        .split_whitespace()
        .collect();
    assert_eq!(ancestors, vec![SITE, SITE2]);
    let body = r.text().await.unwrap();
    assert!(body.contains(&format!("data-parent-origin=\"{SITE}\"")), "{body}");

    // A page that is not the organisation's gets a refusal, and nothing is journaled for it.
    let before = s.state.store().audit_head().await.unwrap().0;
    for evil in ["http://evil.ru", "null", "", "http://company.localhost:8000\"><script>alert(1)</script>"] {
        let r = http().get(format!("{}/embed", s.loopback)).query(&[("origin", evil)]).send().await.unwrap();
        assert_eq!(r.status(), 403, "{evil}");
        assert!(h(r.headers(), "content-security-policy").unwrap().contains("frame-ancestors"));
        let body = r.text().await.unwrap();
        assert!(body.contains("не подключён"), "{body}");
        assert!(!body.contains("<script>alert"), "{body}");
    }
    let rows = s.state.store().audit_rows(0, 100).await.unwrap();
    assert_eq!(s.state.store().audit_head().await.unwrap().0, before);
    let row = rows.iter().find(|r| r.event == "cabinet_frame_opened").expect("journaled");
    assert_eq!(row.ip, "127.0.0.1");
    assert_eq!(row.division, "Головной офис");
    assert!(row.description.contains(SITE));
    s.stop().await;
}

#[tokio::test]
async fn openapi_document_matches_the_router() {
    let (s, _d) = shim().await;
    let served: serde_json::Value = http().get(format!("{}/openapi.json", s.loopback)).send().await.unwrap().json().await.unwrap();
    let built = serde_json::to_value(kabinet_shim::http::openapi()).unwrap();
    assert_eq!(served, built, "the served document is the one built from the routes");
    let paths = served["paths"].as_object().expect("paths");
    for p in ["/healthz", "/embed", "/api/v1/org"] {
        assert!(paths.contains_key(p), "{p} is routed but not documented");
    }
    // Every documented operation is routed: none falls through to the 404/405 fallbacks.
    let mut operations = 0;
    for (path, item) in paths {
        for (method, _) in item.as_object().unwrap() {
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let r = http().request(m, format!("{}{path}", s.loopback)).send().await.unwrap();
            assert!(r.status() != 404 && r.status() != 405, "{method} {path} documented but answers {}", r.status());
            operations += 1;
        }
    }
    assert!(operations >= 3);
    // Schemas of the wire types are part of the document.
    assert!(served["components"]["schemas"]["ApiError"].is_object());
    assert!(served["components"]["schemas"]["OrgInfo"].is_object());
    s.stop().await;
}

#[tokio::test]
async fn x_forwarded_for_is_believed_only_from_trusted_proxies() {
    // From an untrusted peer the header is refused outright, with a stable code.
    let (s, _d) = shim().await;
    let r = http()
        .get(format!("{}/api/v1/org", s.loopback))
        .header("x-forwarded-for", "6.6.6.6")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<ApiError>().await.unwrap().code, ErrorCode::UntrustedForwarding);
    assert!(s.state.store().audit_rows(0, 10).await.unwrap().is_empty(), "a refused request journals nothing");
    s.stop().await;

    for (trusted, expect, xff) in [
        (vec![], "127.0.0.1", None),
        (vec!["127.0.0.1/32".parse().unwrap()], "198.51.100.7", Some("6.6.6.6, 198.51.100.7")),
    ] {
        let (s, _d) = shim_with(|c| c.trusted_proxies = trusted).await;
        let mut req = http().get(format!("{}/api/v1/org", s.loopback)).header("x-kabinet-mode", "inline");
        if let Some(xff) = xff {
            req = req.header("x-forwarded-for", xff);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 200);
        let rows = s.state.store().audit_rows(0, 10).await.unwrap();
        let row = rows.iter().find(|r| r.event == "cabinet_opened").unwrap();
        assert_eq!(row.ip, expect);
        assert!(row.description.starts_with("Режим: встроенный"), "{}", row.description);
        s.stop().await;
    }
}

#[tokio::test]
async fn production_mode_refuses_simulators_and_missing_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("k.db").display());
    let base = test_config(dir.path(), &db, "https://lk.company.ru", &["https://company.ru".into()]);
    // A real key exists, so only the simulator is wrong.
    kabinet_shim::audit::CheckpointSigner::create(&base.audit.signing_key_path).unwrap();

    let mut c = base.clone();
    c.mode = Mode::Production;
    c.gateways.sms_api_key = "k".to_string().into();
    c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    let err = kabinet_shim::App::build(c.clone(), bind().await).await.err().expect("refused");
    assert!(err.to_string().contains("code_secret"), "{err}");
    c.auth.code_secret = "0123456789abcdef0123456789abcdef-code-key".to_string().into();
    let err = kabinet_shim::App::build(c.clone(), bind().await).await.err().expect("refused");
    assert!(err.to_string().contains("simulator"), "{err}");

    // A real SMS provider, but the payment simulator: refused too.
    c.gateways.sms = SmsProvider::Smsru;
    let err = kabinet_shim::App::build(c.clone(), bind().await).await.err().expect("refused");
    assert!(err.to_string().contains("payment simulator"), "{err}");
    // A real bank needs its credentials.
    c.payments.gateway = kabinet_shim::config::AcquirerKind::Sber;
    let err = kabinet_shim::App::build(c.clone(), bind().await).await.err().expect("refused");
    assert!(err.to_string().contains("sber_user_name"), "{err}");
    let mut payler = c.clone();
    payler.payments.gateway = kabinet_shim::config::AcquirerKind::Payler;
    payler.payments.payler_key = "terminal".to_string().into();
    let err = kabinet_shim::App::build(payler, bind().await).await.err().expect("refused");
    assert!(err.to_string().contains("payler_password"), "{err}");
    c.payments.sber_token = "sber-issued-token".to_string().into();

    // The ESIA simulator is refused too; the real ESIA needs its mnemonic, certificate hash,
    // one signer and the certificates its tokens are checked with.
    let err = kabinet_shim::App::build(c.clone(), bind().await).await.err().expect("refused");
    assert!(err.to_string().contains("ESIA simulator"), "{err}");
    c.esia.gateway = kabinet_shim::config::EsiaGateway::Esia;
    let err = kabinet_shim::App::build(c.clone(), bind().await).await.err().expect("refused");
    assert!(err.to_string().contains("client_id and certificate_hash"), "{err}");
    c.esia.client_id = "KPK_KABINET".into();
    c.esia.certificate_hash = "0A1B2C3D".into();
    let err = kabinet_shim::App::build(c.clone(), bind().await).await.err().expect("refused");
    assert!(err.to_string().contains("signer_command and signer_url"), "{err}");
    c.esia.signer_url = "http://127.0.0.1:9/sign".into();
    let err = kabinet_shim::App::build(c.clone(), bind().await).await.err().expect("refused");
    assert!(err.to_string().contains("token_certificates"), "{err}");
    let certs = dir.path().join("esia-certs.pem");
    std::fs::write(&certs, kabinet_shim::gateways::esia::simulator::TOKEN_CERTIFICATE_PEM).unwrap();
    c.esia.token_certificates = certs.display().to_string();

    // With real providers it starts.
    let app = kabinet_shim::App::build(c.clone(), bind().await).await.expect("production config starts");
    drop(app);

    let mut no_secret = c.clone();
    no_secret.gateways.sms_api_key = String::new().into();
    assert!(kabinet_shim::App::build(no_secret, bind().await).await.is_err());

    let mut wildcard = c.clone();
    wildcard.org.allowed_origins = vec!["*".into()];
    assert!(kabinet_shim::App::build(wildcard, bind().await).await.is_err());

    let mut no_key = c;
    no_key.audit.signing_key_path = dir.path().join("missing.key");
    let err = kabinet_shim::App::build(no_key, bind().await).await.err().expect("refused");
    assert!(err.to_string().contains("signing key"), "{err}");
}

#[tokio::test]
async fn the_shim_speaks_https_itself_with_a_configured_certificate() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["lk.company.localhost".into()]).unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
    let (s, _d) = shim_with(|c| {
        c.tls.cert_path = cert_path.display().to_string();
        c.tls.key_path = key_path.display().to_string();
    })
    .await;
    let addr = s.loopback.trim_start_matches("http://").to_owned();

    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.cert.der().clone()).unwrap();
    let config = rustls::ClientConfig::builder().with_root_certificates(roots).with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let name = rustls::pki_types::ServerName::try_from("lk.company.localhost").unwrap();
    let mut tls = None;
    for _ in 0..50 {
        if let Ok(tcp) = tokio::net::TcpStream::connect(&addr).await {
            tls = Some(connector.connect(name.clone(), tcp).await.expect("TLS handshake with the shim"));
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let mut tls = tls.expect("shim listens");
    tls.write_all(b"GET /healthz HTTP/1.1\r\nHost: lk.company.localhost\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut answer = String::new();
    tls.read_to_string(&mut answer).await.ok();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"status\":\"ok\""), "{answer}");

    // Plain HTTP on the TLS port gets no answer from the API.
    let plain = http().get(format!("{}/healthz", s.loopback)).send().await;
    assert!(plain.map(|r| !r.status().is_success()).unwrap_or(true));
    s.stop().await;
}

#[test]
fn loader_forwards_and_readme_documents_exactly_the_theme_variables() {
    let root = kabinet_tests::workspace_root();
    let loader = std::fs::read_to_string(root.join("widget/loader/kabinet.js")).unwrap();
    let start = loader.find("var VARS = [").expect("VARS list in the loader") + "var VARS = [".len();
    let end = start + loader[start..].find(']').unwrap();
    let listed: Vec<&str> = loader[start..end].split(',').map(|v| v.trim().trim_matches('\'')).collect();
    assert_eq!(listed, kabinet_api::THEME_VARIABLES, "loader's VARS differ from kabinet_api::THEME_VARIABLES");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let css = std::fs::read_to_string(root.join("widget/style/kabinet.css")).unwrap();
    for v in kabinet_api::THEME_VARIABLES {
        assert!(readme.contains(&format!("| `{v}` |")), "README does not document {v}");
        assert!(css.contains(&format!("var({v},")), "the CSS never uses {v}");
    }
}

#[test]
fn readme_lists_exactly_the_demo_clients() {
    let readme = std::fs::read_to_string(kabinet_tests::workspace_root().join("README.md")).unwrap();
    for (_, last, first, middle, phone) in kabinet_shim::accounting::ledger::DEMO_CLIENTS {
        let shown = kabinet_api::Phone::parse(phone).unwrap().display();
        let row = format!("| {last} {first} {middle} | {shown} |");
        assert!(readme.contains(&row), "README lacks the demo client row {row}");
    }
}
