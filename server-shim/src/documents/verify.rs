//! GET /verify/{code}: the public page a document's QR code and footer point to. Anyone with
//! the code may open it, so it says only what the paper itself says about the issuer: the
//! organisation, the document's title, when it was issued and the SHA-256 of the file. Never
//! the client.

use std::sync::LazyLock;

use axum::extract::{Path, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::Engine;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use kabinet_api::cabinet::DocumentKind;

use super::issue::{Documents, VerifiedDocument};
use crate::signing::service::SignedFacts;
use super::pdf::moscow_time;
use crate::http::embed::html_escape;
use crate::http::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/verify/{code}", get(verify_page))
}

async fn verify_page(State(state): State<AppState>, Path(code): Path<String>) -> Response {
    let org_name = &state.orgs().lookup().name;
    let documents = Documents::new(state.store().clone(), &state.config().public_url);
    match documents.find(&code).await {
        Ok(Some(doc)) if doc.kind == DocumentKind::Signed.slug() => match state.signing().signed_facts(&doc.code).await {
            Ok(Some(facts)) => page(StatusCode::OK, &signed(org_name, &doc, &facts)),
            Ok(None) => page(StatusCode::OK, &found(org_name, &doc)),
            Err(e) => {
                tracing::error!(error = %e, "signature verification failed");
                page(StatusCode::SERVICE_UNAVAILABLE, &unavailable(org_name))
            }
        },
        Ok(Some(doc)) => page(StatusCode::OK, &found(org_name, &doc)),
        Ok(None) => page(StatusCode::NOT_FOUND, &not_found(org_name)),
        Err(e) => {
            tracing::error!(error = %e, "document verification failed");
            page(StatusCode::SERVICE_UNAVAILABLE, &unavailable(org_name))
        }
    }
}

const STYLE: &str = "body{font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1b1b1b;\
background:#f4f5f7;margin:0;padding:24px 16px}main{max-width:640px;margin:0 auto;background:#fff;\
border-radius:8px;padding:24px;box-shadow:0 1px 3px rgba(0,0,0,.12)}h1{font-size:22px;margin:0 0 16px}\
.ok{color:#0a6b2d}.no{color:#a4161a}dl{margin:0}dt{color:#5b6068;font-size:14px;margin-top:12px}\
dd{margin:2px 0 0}code{font:15px/1.4 ui-monospace,Menlo,Consolas,monospace;word-break:break-all}\
p.note{color:#5b6068;font-size:14px;margin-top:20px}";

/// The page's only style is inline; the CSP allows exactly it, by hash, and nothing else.
static CSP: LazyLock<String> = LazyLock::new(|| {
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(STYLE.as_bytes()));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; img-src 'none'; base-uri 'none'; form-action 'none'; \
         frame-ancestors 'none'"
    )
});

fn page(status: StatusCode, body: &str) -> Response {
    let mut res = (status, Html(body.to_owned())).into_response();
    let h = res.headers_mut();
    // The answer depends on a database row that may come to exist; nothing should keep it.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(HeaderName::from_static("x-robots-tag"), HeaderValue::from_static("noindex"));
    if let Ok(v) = HeaderValue::from_str(&CSP) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res
}

fn shell(title: &str, main: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"ru\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\"><title>{}</title><style>{STYLE}</style></head>\
         <body><main>{main}</main></body></html>\n",
        html_escape(title)
    )
}

fn utc(t: OffsetDateTime) -> String {
    format!(
        "{}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn found(org_name: &str, doc: &VerifiedDocument) -> String {
    let (msk, utc) = times(doc.issued_at);
    let main = format!(
        "<h1 class=\"ok\">Документ найден</h1>\
         <p>Документ с этим кодом проверки выдан организацией {org}. Сверьте название и время с вашим \
         экземпляром; чтобы убедиться, что файл не изменён, сравните его SHA-256 с указанным ниже.</p>\
         <dl><dt>Организация</dt><dd>{org}</dd>\
         <dt>Документ</dt><dd>{title}</dd>\
         <dt>Сформирован</dt><dd>{msk}<br>{utc}</dd>\
         <dt>Код проверки</dt><dd><code>{code}</code></dd>\
         <dt>SHA-256 файла PDF</dt><dd><code>{sha}</code></dd>\
         <dt>Размер файла</dt><dd>{size} байт</dd></dl>\
         <p class=\"note\">Контрольную сумму файла можно получить командой <code>sha256sum файл.pdf</code> \
         (Linux, macOS: <code>shasum -a 256</code>) или <code>Get-FileHash файл.pdf</code> (Windows \
         PowerShell). Бумажную копию сверяйте по названию и времени формирования.</p>",
        org = html_escape(org_name),
        title = html_escape(&doc.title),
        msk = html_escape(&msk),
        utc = html_escape(&utc),
        code = html_escape(&doc.code),
        sha = html_escape(&doc.sha256_hex),
        size = doc.size,
    );
    shell(&format!("Проверка документа — {org_name}"), &main)
}

fn times(secs: i64) -> (String, String) {
    match OffsetDateTime::from_unix_timestamp(secs) {
        Ok(t) => (moscow_time(t), utc(t)),
        Err(_) => (String::from("—"), String::from("—")),
    }
}

/// A signed document: what the stamp says, confirmed, and how to check the original inside it.
/// Still nothing about the client: no name, no phone.
fn signed(org_name: &str, doc: &VerifiedDocument, facts: &SignedFacts) -> String {
    let (msk, utc) = times(facts.signed_at);
    let main = format!(
        "<h1 class=\"ok\">Подпись подтверждена</h1>\
         <p>Документ подписан простой электронной подписью (кодом из SMS) в личном кабинете организации {org}. \
         Сверьте сведения с отметкой о подписании на последней странице вашего экземпляра.</p>\
         <dl><dt>Организация</dt><dd>{org}</dd>\
         <dt>Документ</dt><dd>{title} № {number}</dd>\
         <dt>Подписан</dt><dd>{msk}<br>{utc}</dd>\
         <dt>Код проверки</dt><dd><code>{code}</code></dd>\
         <dt>SHA-256 исходного документа</dt><dd><code>{original_sha}</code></dd>\
         <dt>Размер исходного документа</dt><dd>{original_size} байт</dd>\
         <dt>SHA-256 подписанного файла PDF</dt><dd><code>{sha}</code></dd>\
         <dt>Размер подписанного файла</dt><dd>{size} байт</dd></dl>\
         <p class=\"note\">Подписанный файл начинается с исходного документа без единого изменения: первые \
         {original_size} байт подписанного файла — это исходный документ, и их SHA-256 должен совпасть с указанным \
         выше (Linux: <code>head -c {original_size} файл.pdf | sha256sum</code>).</p>",
        org = html_escape(org_name),
        title = html_escape(&doc.title),
        number = html_escape(&facts.number),
        msk = html_escape(&msk),
        utc = html_escape(&utc),
        code = html_escape(&doc.code),
        original_sha = html_escape(&facts.original_sha256),
        original_size = facts.original_size,
        sha = html_escape(&doc.sha256_hex),
        size = doc.size,
    );
    shell(&format!("Проверка подписи — {org_name}"), &main)
}

fn not_found(org_name: &str) -> String {
    let main = format!(
        "<h1 class=\"no\">Документ не найден</h1>\
         <p>Документ с таким кодом проверки организацией {org} не выдавался. Проверьте код: он состоит из \
         12 латинских букв и цифр, например <code>7K3M-Q9TX-2H4P</code>. Если код введён верно, \
         документ не подлинный — обратитесь в организацию.</p>",
        org = html_escape(org_name)
    );
    shell(&format!("Документ не найден — {org_name}"), &main)
}

fn unavailable(org_name: &str) -> String {
    let main = "<h1>Проверка временно недоступна</h1><p>Попробуйте открыть страницу через несколько минут.</p>";
    shell(&format!("Проверка документа — {org_name}"), main)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use axum::body::Body;
    use axum::http::Request;
    use figment::providers::{Format, Serialized, Toml};
    use figment::Figment;
    use kabinet_api::cabinet::{ContractStatus, DocumentKind, DocumentQuery};
    use tower::ServiceExt;

    use super::*;
    use crate::accounting::ledger::Ledger;
    use crate::clock::SystemClock;
    use crate::config::{Config, DEFAULT_TOML};
    use crate::documents::fixtures::*;
    use crate::documents::{build, Subject};
    use crate::gateways::sms::{SmsError, SmsMessage, SmsReceipt, SmsSender};

    struct NoSms;

    #[async_trait::async_trait]
    impl SmsSender for NoSms {
        fn provider(&self) -> &'static str {
            "smsru"
        }
        async fn send(&self, _: &SmsMessage) -> Result<SmsReceipt, SmsError> {
            Err(SmsError::Http(503))
        }
        async fn status(
            &self,
            _: &str,
            _: &kabinet_api::Phone,
        ) -> Result<crate::gateways::sms::SmsStatus, SmsError> {
            Err(SmsError::Http(503))
        }
    }

    async fn state(dir: &std::path::Path) -> AppState {
        let url = format!("sqlite://{}?mode=rwc", dir.join("kabinet.db").display());
        let f = Figment::from(Toml::string(DEFAULT_TOML))
            .merge(Serialized::default("mode", "test"))
            .merge(Serialized::default("database_url", &url))
            .merge(Serialized::default("public_url", "https://lk.company.ru"))
            .merge(Serialized::default("audit.signing_key_path", dir.join("audit.key")))
            .merge(Serialized::default("audit.checkpoint_path", dir.join("checkpoints.jsonl")));
        let config = Config::from_figment(f).expect("test configuration");
        let store = crate::storage::Store::open(&url).await.expect("store");
        let ledger = Arc::new(Ledger::new(store.clone()));
        let (acquirer, acquiring_simulator) =
            crate::gateways::acquiring::build(&config, "http://127.0.0.1:9").await.expect("payment simulator");
        let gateways = crate::http::Gateways { sms: Arc::new(NoSms), sms_simulator: None, acquirer, acquiring_simulator, esia: None, esia_simulator: None };
        AppState::new(config, store, Arc::new(SystemClock), ledger, gateways)
    }

    async fn get(state: &AppState, path: &str) -> (StatusCode, axum::http::HeaderMap, String) {
        let res = crate::http::router(state.clone())
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let (parts, body) = res.into_parts();
        let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
        (parts.status, parts.headers, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn the_page_vouches_for_an_issued_document_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let state = state(dir.path()).await;
        let l = loan(ContractStatus::Overdue);
        let spec = build(DocumentKind::DebtCertificate, Subject::Loan(&l), &DocumentQuery::default(), &org(), &holder())
            .unwrap();
        let docs = Documents::new(state.store().clone(), &state.config().public_url);
        // 2026-11-18 11:06:40 UTC.
        let issued = docs.issue("client-1", "loan-142", spec, 1_795_000_000).await.unwrap();

        let (status, headers, body) = get(&state, &format!("/verify/{}", issued.code)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        if let Some(dir) = std::env::var_os("KABINET_DOC_SAMPLES") {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(std::path::Path::new(&dir).join("verify.html"), &body).unwrap();
        }
        assert_eq!(headers[header::CACHE_CONTROL], "no-store");
        assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
        assert!(headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap().starts_with("default-src 'none'"));
        for s in [
            "Документ найден",
            &issued.title,
            &issued.sha256_hex,
            &issued.code,
            "18.11.2026 в 14:06 МСК",
            "2026-11-18 11:06:40 UTC",
            "КПК «Надёжный капитал»",
        ] {
            assert!(body.contains(s), "{s:?} missing from {body}");
        }
        let h = holder();
        for personal in [h.name.last.as_str(), h.name.first.as_str(), h.phone.as_e164(), h.phone.digits(), "client-1"] {
            assert!(!body.contains(personal), "{personal:?} on the public page");
        }
        // However the code is typed.
        let (status, _, _) = get(&state, &format!("/verify/{}", issued.code.to_lowercase().replace('-', ""))).await;
        assert_eq!(status, StatusCode::OK);

        for unknown in ["/verify/ZZZZ-ZZZZ-ZZZZ", "/verify/%3Cscript%3Ealert(1)%3C%2Fscript%3E", "/verify/-"] {
            let (status, headers, body) = get(&state, unknown).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{unknown}");
            assert_eq!(headers[header::CACHE_CONTROL], "no-store");
            assert!(body.contains("Документ не найден"), "{body}");
            assert!(!body.contains("<script>"), "{body}");
            if let Some(dir) = std::env::var_os("KABINET_DOC_SAMPLES") {
                std::fs::write(std::path::Path::new(&dir).join("verify-not-found.html"), &body).unwrap();
            }
        }
    }

    #[test]
    fn everything_shown_is_escaped() {
        let doc = VerifiedDocument {
            code: "AAAA-AAAA-AAAA".into(),
            kind: "act".into(),
            title: "Акт <b>& \"сверки\"</b>".into(),
            issued_at: 0,
            sha256_hex: "00".into(),
            size: 1,
        };
        let html = found("ООО <Ромашка>", &doc);
        assert!(html.contains("Акт &lt;b&gt;&amp; &quot;сверки&quot;&lt;/b&gt;"), "{html}");
        assert!(html.contains("ООО &lt;Ромашка&gt;"));
        assert!(!html.contains("<b>") && !html.contains("<Ромашка>"));
    }
}
