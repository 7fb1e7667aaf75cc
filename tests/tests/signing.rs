//! Simple electronic signature by SMS code through the API: staff send a document, the client
//! accepts the agreement, gets a code bound to the document's hash and signs; the stamp, the
//! verify page and the evidence package are checked, and every refusal changes nothing.

use std::io::{Cursor, Read, Write};

use kabinet_api::signing::{Agreement, SignatureDocument, SignatureStatus, SignaturesView, SigningCodeSent};
use kabinet_api::ErrorCode;
use kabinet_shim::accounting::ledger::Ledger;
use kabinet_shim::audit::CheckpointSigner;
use kabinet_shim::signing::evidence::{self, EvidenceProblem, Subject};
use kabinet_shim::staff::signatures::SignCommand;
use kabinet_shim::staff::{self, Desk, StaffCommand};
use kabinet_tests::client::{sms_count, Client};
use kabinet_tests::env::{Env, MARIA, MARIA_PHONE, SERGEY, SERGEY_PHONE};
use kabinet_tests::{pdf_text, Db};
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::Row;

const MARIA_ID: &str = "demo-0001";
const OPERATOR: &str = "Коротков Е. Ю.";

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

async fn staff_sign(env: &Env, command: SignCommand, key: Option<&CheckpointSigner>) -> Result<String, String> {
    let ledger = Ledger::new(env.shim.state.store().clone());
    let division = env.shim.state.orgs().lookup().division.clone();
    let desk = Desk {
        ledger: &ledger,
        journal: env.shim.state.journal(),
        division: &division,
        signing: env.shim.state.signing(),
        key,
    };
    staff::run(&desk, StaffCommand::Sign { command }, env.shim.state.now()).await.map_err(|e| e.to_string())
}

/// Sends a template to Maria and returns the new document as the API shows it.
async fn send(env: &Env, c: &mut Client, template: &str, fields: &[&str]) -> SignatureDocument {
    let before: SignaturesView = c.get("/signatures").await.json();
    let out = staff_sign(
        env,
        SignCommand::Send {
            client: MARIA_ID.into(),
            template: template.into(),
            fields: fields.iter().map(|f| f.to_string()).collect(),
            operator: OPERATOR.into(),
        },
        None,
    )
    .await
    .unwrap();
    assert!(out.starts_with("sent for signature: П-2026-"), "{out}");
    let after: SignaturesView = c.get("/signatures").await.json();
    assert_eq!(after.documents.len(), before.documents.len() + 1);
    after.documents.into_iter().find(|d| !before.documents.iter().any(|b| b.id == d.id)).unwrap()
}

const BKI: [&str; 2] = ["birth_date=1961-04-12", "passport=5012 345678"];
const OFFER: [&str; 3] = ["amount=150000", "term_months=12", "rate=24,5"];

async fn accept_agreement(c: &mut Client) -> Agreement {
    let a: Agreement = c.get("/signatures/agreement").await.json();
    let r = c.post("/signatures/agreement", &json!({"version": a.version, "sha256": a.sha256})).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()
}

/// Asks for a code and returns it as the SMS brought it, with the SMS's text and the
/// simulator's message id.
async fn code_for(env: &Env, c: &mut Client, doc: &SignatureDocument) -> (String, String, String) {
    // One code a minute per phone, whatever it is for (the registration's included).
    env.advance(61);
    let before = sms_count(env.sim(), MARIA_PHONE);
    let r = c.post(&format!("/signatures/{}/code", doc.id), &json!({})).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let sent: SigningCodeSent = r.json();
    assert_eq!(sent.sha256_prefix, doc.sha256[..8]);
    assert_eq!(sms_count(env.sim(), MARIA_PHONE), before + 1, "the SMS left before the answer");
    let m = env.sim().messages().into_iter().rev().find(|m| m.phone == MARIA_PHONE).unwrap();
    let code = env.sim().last_code_for(MARIA_PHONE).unwrap();
    (code, m.text, m.id)
}

fn unzip(zip: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut a = zip::ZipArchive::new(Cursor::new(zip)).unwrap();
    (0..a.len())
        .map(|i| {
            let mut f = a.by_index(i).unwrap();
            let mut b = Vec::new();
            f.read_to_end(&mut b).unwrap();
            (f.name().unwrap().into_owned(), b)
        })
        .collect()
}

fn rezip(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in entries {
        w.start_file(name.as_str(), zip::write::SimpleFileOptions::default()).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn file<'a>(entries: &'a [(String, Vec<u8>)], name: &str) -> &'a [u8] {
    &entries.iter().find(|(n, _)| n == name).unwrap().1
}

#[tokio::test]
async fn a_client_signs_the_bki_consent_and_the_evidence_package_verifies() {
    let env = Env::start(Db::Sqlite, |_| {}).await;
    let mut maria = env.register(MARIA, MARIA_PHONE).await;
    let mut sergey = env.register(SERGEY, SERGEY_PHONE).await;
    let doc = send(&env, &mut maria, "bki-consent", &BKI).await;
    assert_eq!(doc.status, SignatureStatus::Awaiting);
    assert!(!doc.opened);
    let view: SignaturesView = maria.get("/signatures").await.json();
    assert_eq!((view.awaiting, view.agreement_accepted), (1, false));

    // The PDF exactly as sent, its hash the one fixed at sending; opening it is journaled.
    let original = maria.get(&format!("/signatures/{}/original", doc.id)).await;
    assert_eq!(original.status, 200);
    assert_eq!(original.header("content-type"), Some("application/pdf"));
    let original = original.body;
    assert_eq!(sha(&original), doc.sha256);
    assert!(pdf_text(&original).contains("5012"), "the passport is in the consent");

    // No agreement: no code, with its own code.
    let r = maria.post(&format!("/signatures/{}/code", doc.id), &json!({})).await;
    assert_eq!(r.err(), (409, ErrorCode::AgreementRequired));
    assert!(r.json::<kabinet_api::ApiError>().message.contains("соглашение"));
    let r = maria.post(&format!("/signatures/{}/sign", doc.id), &json!({"code": "123456"})).await;
    assert_eq!(r.err(), (409, ErrorCode::AgreementRequired));
    // An acceptance of another text is refused.
    let shown: Agreement = maria.get("/signatures/agreement").await.json();
    assert!(shown.accepted_at.is_none());
    assert!(shown.text.contains("никому не сообщать код"));
    let r = maria.post("/signatures/agreement", &json!({"version": shown.version, "sha256": "00".repeat(32)})).await;
    assert_eq!(r.err(), (409, ErrorCode::AgreementOutdated));
    let accepted = accept_agreement(&mut maria).await;
    assert!(accepted.accepted_at.is_some());
    assert_eq!(accepted.sha256, sha(accepted.text.as_bytes()));

    // Another client in between: their row sits inside Maria's session run of the journal.
    assert_eq!(sergey.get("/loans").await.status, 200);

    let (code, text, sms_id) = code_for(&env, &mut maria, &doc).await;
    assert!(text.contains(&doc.title) && doc.title.contains(&doc.number), "the SMS names the document: {text}");
    assert!(text.contains(&format!("SHA-256 {}", &doc.sha256[..8])), "{text}");
    assert!(text.contains("Никому не сообщайте код"), "{text}");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = maria.post(&format!("/signatures/{}/sign", doc.id), &json!({"code": wrong})).await;
    assert_eq!(r.err(), (422, ErrorCode::CodeInvalid));
    let r = maria.post(&format!("/signatures/{}/sign", doc.id), &json!({"code": code})).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let signed: SignatureDocument = r.json();
    assert_eq!(signed.status, SignatureStatus::Signed);
    let verify_code = signed.verify_code.clone().unwrap();

    // The stamped copy extends the original byte for byte and states the seed's fields.
    let stamped = maria.get(&format!("/signatures/{}/signed", doc.id)).await.body;
    assert!(stamped.len() > original.len() && stamped.starts_with(&original));
    let stamp = pdf_text(&stamped);
    for want in [
        "Документ подписан простой электронной подписью",
        sms_id.as_str(),
        code.as_str(),
        "+7 916 123-45-67",
        doc.sha256.as_str(),
        "127.0.0.1",
        verify_code.as_str(),
        doc.number.as_str(),
    ] {
        assert!(stamp.contains(want), "{want:?} missing from the stamp:\n{stamp}");
    }
    let session_uid: String = sqlx::query("SELECT session_id FROM audit_log WHERE event = 'document_signed'")
        .fetch_one(env.shim.state.store().pool())
        .await
        .unwrap()
        .get(0);
    assert!(stamp.contains(&session_uid), "the session UID");

    // Journal: read and signed, no code anywhere.
    let events = env.events().await;
    for e in ["message_read", "signature_requested", "signature_agreement_accepted", "sms_sent", "code_rejected", "code_accepted", "document_signed"] {
        assert!(events.iter().any(|(ev, _)| ev == e), "{e} not journaled");
    }
    let signed_row = events.iter().find(|(e, _)| e == "document_signed").unwrap();
    assert!(signed_row.1.contains(&sms_id) && signed_row.1.contains(&doc.sha256), "{}", signed_row.1);
    for (_, d) in &events {
        assert!(!d.contains(&format!("Код: {code}")) && !d.contains(&format!("код {code}")), "a code in the journal: {d}");
    }

    // Signed once: the same code again is refused, nothing changes.
    let r = maria.post(&format!("/signatures/{}/sign", doc.id), &json!({"code": code})).await;
    assert_eq!(r.err(), (409, ErrorCode::AlreadySigned));
    assert_eq!(maria.get(&format!("/signatures/{}/signed", doc.id)).await.body, stamped);

    // The verify page vouches for the stamped copy and knows nothing of a made-up code.
    let page = reqwest::get(format!("{}/verify/{verify_code}", env.shim.loopback)).await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Подпись подтверждена") && html.contains(&doc.sha256) && html.contains(&sha(&stamped)), "{html}");
    // The phone in every form it is written in; a bare «916» can occur in a hash by chance.
    for personal in ["Иванова", "Мария", "79161234567", "916 123", "916) 123", "123-45-67", "***-**-67"] {
        assert!(!html.contains(personal), "the verify page names no one: {personal} in {html}");
    }
    let page = reqwest::get(format!("{}/verify/7K3M-Q9TX-2H4P", env.shim.loopback)).await.unwrap();
    assert_eq!(page.status(), 404);
    assert!(page.text().await.unwrap().contains("Документ не найден"));

    // Staff print the stamped copy and export the evidence package.
    let dir = tempfile::tempdir().unwrap();
    let key = CheckpointSigner::load(&env.shim.state.config().audit.signing_key_path).unwrap();
    let print = dir.path().join("signed.pdf");
    staff_sign(&env, SignCommand::Print { document: doc.number.clone(), out: print.clone(), operator: OPERATOR.into() }, None)
        .await
        .unwrap();
    assert_eq!(std::fs::read(&print).unwrap(), stamped);
    let without_key = staff_sign(
        &env,
        SignCommand::Evidence { document: doc.id.clone(), out: dir.path().join("x.zip"), operator: OPERATOR.into() },
        None,
    )
    .await;
    assert!(without_key.unwrap_err().contains("signing key"));
    let zip_path = dir.path().join("evidence.zip");
    staff_sign(&env, SignCommand::Evidence { document: doc.id.clone(), out: zip_path.clone(), operator: OPERATOR.into() }, Some(&key))
        .await
        .unwrap();
    let zip = std::fs::read(&zip_path).unwrap();
    let pk = key.verifying_key().to_bytes();
    let ok = evidence::verify(&zip, Some(&pk)).unwrap();
    assert_eq!(ok.subject.original_sha256, doc.sha256);
    assert_eq!(ok.subject.document_number, doc.number);

    // What the package holds.
    let entries = unzip(&zip);
    assert_eq!(file(&entries, evidence::ORIGINAL), original.as_slice());
    assert_eq!(file(&entries, evidence::STAMPED), stamped.as_slice());
    assert_eq!(file(&entries, evidence::AGREEMENT), accepted.text.as_bytes());
    let sms: serde_json::Value = serde_json::from_slice(file(&entries, evidence::SMS)).unwrap();
    assert_eq!(sms["message_id"], sms_id.as_str());
    assert!(sms["send_response"].as_str().unwrap().contains(&sms_id), "{sms}");
    assert_eq!(sms["status_polls"][0]["state"], "delivered", "{sms}");
    let journal = String::from_utf8(file(&entries, evidence::JOURNAL).to_vec()).unwrap();
    assert!(journal.contains("\"event\":\"document_signed\"") && journal.contains("\"event\":\"message_read\""));
    assert!(journal.contains("\"withheld\":true"), "Sergey's row is in the run, withheld");
    assert!(!journal.contains("Сергей") && !journal.contains("demo-0002"), "no other client's data");
    let phone: serde_json::Value = serde_json::from_slice(file(&entries, evidence::PHONE_CONFIRMATION)).unwrap();
    assert!(phone["code_rows"].as_array().unwrap().iter().any(|r| r["event"] == "code_accepted"), "{phone}");
    assert!(phone["account_rows"].as_array().unwrap().iter().any(|r| r["event"] == "registration_completed"));
    let acceptance: serde_json::Value = serde_json::from_slice(file(&entries, evidence::AGREEMENT_ACCEPTANCE)).unwrap();
    assert_eq!(acceptance["sha256"], accepted.sha256.as_str());
    assert_eq!(acceptance["signature_evidence"]["sms_id"], sms_id.as_str());

    // Any changed byte of any file is named.
    for name in evidence::FILES {
        let mut e = entries.clone();
        let bytes = &mut e.iter_mut().find(|(n, _)| n == name).unwrap().1;
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x20;
        assert_eq!(evidence::verify(&rezip(&e), Some(&pk)), Err(EvidenceProblem::FileChanged { name: name.into() }), "{name}");
    }
    // A file and its manifest entry edited together: the signature no longer verifies.
    let mut e = entries.clone();
    let new_text = b"another agreement".to_vec();
    let old_entry = format!("\"sha256\": \"{}\"", sha(accepted.text.as_bytes()));
    let manifest = String::from_utf8(file(&e, evidence::MANIFEST).to_vec()).unwrap();
    assert!(manifest.contains(&old_entry));
    let manifest = manifest
        .replace(&old_entry, &format!("\"sha256\": \"{}\"", sha(&new_text)))
        .replace(&format!("\"size\": {},", accepted.text.len()), &format!("\"size\": {},", new_text.len()));
    e.iter_mut().find(|(n, _)| n == evidence::MANIFEST).unwrap().1 = manifest.into_bytes();
    e.iter_mut().find(|(n, _)| n == evidence::AGREEMENT).unwrap().1 = new_text;
    assert_eq!(evidence::verify(&rezip(&e), Some(&pk)), Err(EvidenceProblem::ManifestSignatureInvalid));
    // A journal row removed: the file no longer matches; re-signed with the key itself, the gap.
    let lines: Vec<&str> = journal.lines().collect();
    let removed = lines.iter().position(|l| l.contains("\"event\":\"message_read\"")).unwrap();
    let seq = serde_json::from_str::<serde_json::Value>(lines[removed]).unwrap()["seq"].as_i64().unwrap();
    let shorter: String = lines.iter().enumerate().filter(|(i, _)| *i != removed).map(|(_, l)| format!("{l}\n")).collect();
    let mut e = entries.clone();
    e.iter_mut().find(|(n, _)| n == evidence::JOURNAL).unwrap().1 = shorter.clone().into_bytes();
    assert_eq!(evidence::verify(&rezip(&e), Some(&pk)), Err(EvidenceProblem::FileChanged { name: evidence::JOURNAL.into() }));
    let manifest: serde_json::Value = serde_json::from_slice(file(&entries, evidence::MANIFEST)).unwrap();
    let subject: Subject = serde_json::from_value(manifest["subject"].clone()).unwrap();
    let files: Vec<(&str, Vec<u8>)> = evidence::FILES
        .iter()
        .map(|n| (*n, if *n == evidence::JOURNAL { shorter.clone().into_bytes() } else { file(&entries, n).to_vec() }))
        .collect();
    e.iter_mut().find(|(n, _)| n == evidence::MANIFEST).unwrap().1 = evidence::sign_manifest(&subject, &files, &key);
    assert_eq!(evidence::verify(&rezip(&e), Some(&pk)), Err(EvidenceProblem::JournalRowMissing { after_seq: seq - 1 }));

    // Another organisation's key is named as such.
    let other = [9u8; 32];
    assert!(matches!(evidence::verify(&zip, Some(&other)), Err(EvidenceProblem::WrongKey { .. })));
    env.shim.stop().await;
}

/// Lets the per-phone send limits (3 per 15 minutes) pass while keeping the session alive.
async fn pass_send_window(env: &Env, c: &mut Client) {
    for _ in 0..2 {
        env.advance(455);
        assert_eq!(c.get("/signatures").await.status, 200);
    }
}

#[tokio::test]
async fn the_code_is_bound_to_the_document_and_every_refusal_changes_nothing() {
    let env = Env::start(Db::Postgres(kabinet_tests::postgres_server_url()), |_| {}).await;
    let mut maria = env.register(MARIA, MARIA_PHONE).await;
    let mut sergey = env.register(SERGEY, SERGEY_PHONE).await;
    let consent = send(&env, &mut maria, "bki-consent", &BKI).await;
    let offer = send(&env, &mut maria, "loan-offer", &OFFER).await;
    accept_agreement(&mut maria).await;
    let pool = env.shim.state.store().pool().clone();
    let status = |id: String| {
        let pool = pool.clone();
        async move {
            let r = sqlx::query("SELECT status, stamped IS NULL FROM signature_requests WHERE id = $1").bind(id).fetch_one(&pool).await.unwrap();
            (r.get::<String, _>(0), r.get::<bool, _>(1))
        }
    };

    // Another client sees none of it: every route answers 404.
    for path in [
        format!("/signatures/{}", consent.id),
        format!("/signatures/{}/original", consent.id),
        format!("/signatures/{}/signed", consent.id),
    ] {
        assert_eq!(sergey.get(&path).await.err(), (404, ErrorCode::NotFound), "{path}");
    }
    accept_agreement(&mut sergey).await;
    assert_eq!(sergey.post(&format!("/signatures/{}/code", consent.id), &json!({})).await.err(), (404, ErrorCode::NotFound));
    assert!(sergey.get("/signatures").await.json::<SignaturesView>().documents.is_empty());

    // A code sent for the consent does not sign the offer.
    let (code, _, _) = code_for(&env, &mut maria, &consent).await;
    let r = maria.post(&format!("/signatures/{}/sign", offer.id), &json!({"code": code})).await;
    assert_eq!(r.err(), (422, ErrorCode::CodeInvalid));

    // The consent's bytes changed after the code was sent: refused as changed, nothing signed.
    let bytes: Vec<u8> =
        sqlx::query("SELECT original FROM signature_requests WHERE id = $1").bind(&consent.id).fetch_one(&pool).await.unwrap().get(0);
    let mut changed = bytes.clone();
    let at = changed.len() / 2;
    changed[at] ^= 0x01;
    sqlx::query("UPDATE signature_requests SET original = $1 WHERE id = $2").bind(&changed).bind(&consent.id).execute(&pool).await.unwrap();
    let r = maria.post(&format!("/signatures/{}/sign", consent.id), &json!({"code": code})).await;
    assert_eq!(r.err(), (409, ErrorCode::DocumentChanged));
    assert_eq!(status(consent.id.clone()).await, ("awaiting".into(), true));
    // Even with the stored hash rewritten to match the new bytes, the code's own binding holds.
    sqlx::query("UPDATE signature_requests SET sha256 = $1 WHERE id = $2").bind(sha(&changed)).bind(&consent.id).execute(&pool).await.unwrap();
    let r = maria.post(&format!("/signatures/{}/sign", consent.id), &json!({"code": code})).await;
    assert_eq!(r.err(), (409, ErrorCode::DocumentChanged));
    assert_eq!(status(consent.id.clone()).await, ("awaiting".into(), true));
    sqlx::query("UPDATE signature_requests SET original = $1, sha256 = $2 WHERE id = $3")
        .bind(&bytes)
        .bind(&consent.sha256)
        .bind(&consent.id)
        .execute(&pool)
        .await
        .unwrap();
    assert!(env.events().await.iter().any(|(e, _)| e == "signature_refused"));

    // Expired.
    let (code, _, _) = code_for(&env, &mut maria, &offer).await;
    env.advance(301);
    let r = maria.post(&format!("/signatures/{}/sign", offer.id), &json!({"code": code})).await;
    assert_eq!(r.err(), (422, ErrorCode::CodeExpired));

    // At most 5 attempts: after five wrong ones the right code no longer works.
    pass_send_window(&env, &mut maria).await;
    let (code, _, _) = code_for(&env, &mut maria, &offer).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        let r = maria.post(&format!("/signatures/{}/sign", offer.id), &json!({"code": wrong})).await;
        assert_eq!(r.err(), (422, ErrorCode::CodeInvalid));
    }
    let r = maria.post(&format!("/signatures/{}/sign", offer.id), &json!({"code": code})).await;
    assert_eq!(r.err(), (422, ErrorCode::CodeAttemptsExceeded));
    assert_eq!(status(offer.id.clone()).await, ("awaiting".into(), true));

    // A password-reset code is no signing code (A8).
    pass_send_window(&env, &mut maria).await;
    let before = sms_count(env.sim(), MARIA_PHONE);
    let r = env.client().post("/auth/reset", &json!({"phone": MARIA_PHONE})).await;
    assert_eq!(r.status, 202);
    let reset_code = kabinet_tests::client::next_code(env.sim(), MARIA_PHONE, before).await;
    let r = maria.post(&format!("/signatures/{}/sign", offer.id), &json!({"code": reset_code})).await;
    assert!(matches!(r.err(), (422, ErrorCode::CodeInvalid) | (422, ErrorCode::CodeAttemptsExceeded)), "{:?}", r.err());

    // One right code submitted 8 times at once: signed exactly once.
    pass_send_window(&env, &mut maria).await;
    let (code, _, _) = code_for(&env, &mut maria, &offer).await;
    let attempts = (0..8).map(|_| {
        let mut c = maria.clone();
        let (id, code) = (offer.id.clone(), code.clone());
        tokio::spawn(async move { c.post(&format!("/signatures/{id}/sign"), &json!({"code": code})).await })
    });
    let mut ok = 0;
    for a in attempts {
        let r = a.await.unwrap();
        match r.status {
            200 => ok += 1,
            _ => assert!(matches!(r.err().1, ErrorCode::CodeUsed | ErrorCode::AlreadySigned), "{:?}", r.err()),
        }
    }
    assert_eq!(ok, 1);
    let signed: i64 = sqlx::query("SELECT COUNT(*) FROM documents WHERE kind = 'signed'").fetch_one(&pool).await.unwrap().get(0);
    assert_eq!(signed, 1);
    assert_eq!(env.events().await.iter().filter(|(e, _)| e == "document_signed").count(), 1);

    // A used code on another document: used.
    let r = maria.post(&format!("/signatures/{}/sign", consent.id), &json!({"code": code})).await;
    assert_eq!(r.err(), (422, ErrorCode::CodeUsed));

    // Withdrawn by staff: no code, no signature.
    let out = staff_sign(&env, SignCommand::Withdraw { document: consent.number.clone(), operator: OPERATOR.into() }, None).await;
    assert!(out.unwrap().starts_with("withdrawn"));
    let r = maria.post(&format!("/signatures/{}/code", consent.id), &json!({})).await;
    assert_eq!(r.err(), (409, ErrorCode::DocumentWithdrawn));
    // A signed one cannot be withdrawn.
    let out = staff_sign(&env, SignCommand::Withdraw { document: offer.number.clone(), operator: OPERATOR.into() }, None).await;
    assert!(out.unwrap_err().contains("cannot be withdrawn"));

    // Staff input is checked: unknown template, missing field, unknown client.
    for (template, fields, client, want) in [
        ("nda", vec![], MARIA_ID, "unknown template"),
        ("bki-consent", vec!["passport=5012 345678".to_string()], MARIA_ID, "birth_date"),
        ("bki-consent", BKI.iter().map(|s| s.to_string()).collect(), "demo-9999", "no client"),
    ] {
        let r = staff_sign(
            &env,
            SignCommand::Send { client: client.into(), template: template.into(), fields, operator: OPERATOR.into() },
            None,
        )
        .await;
        assert!(r.as_ref().unwrap_err().contains(want), "{r:?}");
    }
    let n: i64 = sqlx::query("SELECT COUNT(*) FROM signature_requests").fetch_one(&pool).await.unwrap().get(0);
    assert_eq!(n, 2, "nothing half-sent");
    env.shim.stop().await;
}

#[tokio::test]
async fn the_signature_routes_need_a_session() {
    let env = Env::start(Db::Sqlite, |_| {}).await;
    let mut c = env.client();
    for path in ["/signatures", "/signatures/agreement", "/signatures/x", "/signatures/x/original", "/signatures/x/signed"] {
        assert_eq!(c.get(path).await.err(), (401, ErrorCode::Unauthenticated), "{path}");
    }
    for path in ["/signatures/x/code", "/signatures/x/sign", "/signatures/agreement"] {
        assert_eq!(c.post(path, &json!({})).await.err(), (401, ErrorCode::Unauthenticated), "{path}");
    }
    env.shim.stop().await;
}

#[tokio::test]
async fn the_demo_has_a_document_waiting_for_each_demo_client() {
    let env = Env::start(Db::Sqlite, |c| c.mode = kabinet_shim::config::Mode::Demo).await;
    let mut maria = env.register(MARIA, MARIA_PHONE).await;
    let view: SignaturesView = maria.get("/signatures").await.json();
    assert_eq!(view.awaiting, 1);
    assert!(view.documents[0].title.starts_with("Согласие на получение кредитного отчёта"), "{:?}", view.documents[0].title);
    // Seeded once: the signing service finds it already there on the next start.
    let state = &env.shim.state;
    kabinet_shim::signing::demo::seed(state.signing(), state.accounting()).await.unwrap();
    let n: i64 = sqlx::query("SELECT COUNT(*) FROM signature_requests").fetch_one(state.store().pool()).await.unwrap().get(0);
    assert_eq!(n, 2, "one for each demo client");
    env.shim.stop().await;
}
