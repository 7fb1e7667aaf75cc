//! Signing a document end to end in Chromium, frame mode at phone width: staff send the BKI
//! consent, the client downloads it, accepts the ПЭП agreement, gets the code by SMS (from the
//! simulator, as a phone would), signs, and downloads the stamped copy. The copy begins with
//! the very bytes downloaded before signing, and its stamp names the SMS id the simulator gave,
//! the phone and the SHA-256 of those bytes. Screenshots: target/screenshots/signing-*.png.

use std::time::Duration;

use kabinet_api::signing::SignaturesView;
use kabinet_shim::accounting::ledger::Ledger;
use kabinet_shim::staff::signatures::SignCommand;
use kabinet_shim::staff::{self, Desk, StaffCommand};
use kabinet_tests::browser::{eventually, within, Browser};
use kabinet_tests::client::sms_count;
use kabinet_tests::{pdf_text, pkg_dir, Db, Layout, Stack};
use sha2::{Digest, Sha256};

use crate::e2e::{open, screenshot_path, widget, Mode, WAIT};
use crate::info_e2e::downloaded;
use crate::signin_e2e::{announced, heading, press, type_into};

const NAME: &str = "Иванова Мария Петровна";
const PHONE: &str = "+7 916 123-45-67";
const E164: &str = "+79161234567";
const PASSWORD: &str = "корова на льду 1";

async fn shot(b: &Browser, name: &str) {
    let _ = b.client.enter_parent_frame().await;
    let _ = b.client.execute("window.scrollTo(0, 0)", vec![]).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    b.screenshot_full(&screenshot_path(&format!("signing-{name}"))).await;
}

async fn sign_the_bki_consent() {
    pkg_dir();
    // A phone gets one code a minute; the registration's was just sent.
    let stack = Stack::start_configured(Db::Sqlite, Layout::Subdomain, |c| c.auth.resend_cooldown_secs = 1).await;
    let mut api = stack.register(NAME, E164, PASSWORD).await;
    let state = &stack.shim.state;
    let sim = state.sms_simulator().expect("the stack runs the SMS simulator");
    let ledger = Ledger::new(state.store().clone());
    let division = state.orgs().lookup().division.clone();
    let desk = Desk { ledger: &ledger, journal: state.journal(), division: &division, signing: state.signing(), key: None };
    let send = SignCommand::Send {
        client: "demo-0001".into(),
        template: "bki-consent".into(),
        fields: vec!["birth_date=1961-04-12".into(), "passport=5012 345678".into()],
        operator: "Коротков Е. Ю.".into(),
    };
    staff::run(&desk, StaffCommand::Sign { command: send }, state.now()).await.unwrap();
    let doc = api.get("/signatures").await.json::<SignaturesView>().documents.remove(0);

    let downloads = tempfile::tempdir().unwrap();
    let b = Browser::start().await;
    b.viewport(360, 900).await;
    b.download_into(downloads.path()).await;
    let c = &b.client;
    let mode = Mode::Frame;
    assert_eq!(open(&b, &stack, "cabinet", mode).await, "ready");
    let w = widget(c, mode).await;
    type_into(&w, "Номер телефона", PHONE).await;
    type_into(&w, "Пароль", PASSWORD).await;
    press(&w, "Войти").await;
    heading(&w, "Здравствуйте, Мария Петровна!").await;

    // The waiting document is counted on the home screen.
    press(&w, "Документы на подпись (1)").await;
    heading(&w, "Документы на подпись").await;
    shot(&b, "01-list").await;
    let w = widget(c, mode).await;
    press(&w, &doc.title).await;
    heading(&w, &doc.title).await;
    w.by_role_exact("button", "Подписать", WAIT).await;
    shot(&b, "02-document").await;

    // The document as sent, byte for byte.
    let w = widget(c, mode).await;
    press(&w, "Скачать документ (PDF)").await;
    let before = std::fs::read(downloaded(downloads.path(), 0).await).unwrap();
    assert_eq!(hex::encode(Sha256::digest(&before)), doc.sha256, "the download is the document sent");

    // The agreement first, then the code.
    press(&w, "Подписать").await;
    heading(&w, "Соглашение об использовании простой электронной подписи").await;
    shot(&b, "03-agreement").await;
    let w = widget(c, mode).await;
    w.by_role("checkbox", "Я прочитал(а) соглашение и принимаю его", WAIT).await.click().await.unwrap();
    press(&w, "Принять соглашение").await;
    announced(&w, "Соглашение принято").await;
    let sent_before = sms_count(sim, E164);
    press(&w, "Подписать").await;
    w.by_role_exact("textbox", "Код из SMS", WAIT).await;
    let sms = eventually("the signing SMS", WAIT, || async {
        (sms_count(sim, E164) > sent_before)
            .then(|| sim.messages().into_iter().rev().find(|m| m.phone == E164))
            .flatten()
    })
    .await;
    assert!(sms.text.contains(&doc.sha256[..8]), "{}", sms.text);
    let code = sim.last_code_for(E164).unwrap();
    shot(&b, "04-code").await;
    let w = widget(c, mode).await;
    type_into(&w, "Код из SMS", &code).await;
    press(&w, "Подтвердить подпись").await;
    heading(&w, "Документ подписан").await;
    shot(&b, "05-signed").await;

    // The stamped copy: the original is its prefix; the stamp names the SMS, the phone, the hash.
    let w = widget(c, mode).await;
    press(&w, "Скачать подписанный документ (PDF)").await;
    let after = std::fs::read(downloaded(downloads.path(), 1).await).unwrap();
    assert!(after.len() > before.len() && after.starts_with(&before), "the document downloaded before signing is a byte prefix of the signed one");
    let stamp = pdf_text(&after);
    for want in [sms.id.as_str(), PHONE, &hex::encode(Sha256::digest(&before)), "Документ подписан простой электронной подписью"] {
        assert!(stamp.contains(want), "{want:?} not in the stamp:\n{stamp}");
    }
    b.close().await;
    stack.stop().await;
}

#[tokio::test]
async fn a_client_signs_the_bki_consent_in_the_widget() {
    within(300, sign_the_bki_consent()).await
}
