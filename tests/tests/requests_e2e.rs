//! «Заявления» and «Сообщения» end to end in Chromium, as a client on a phone: the four kinds
//! of application sent from the widget (each previewed first, with the ledger's figures on
//! screen) reach the `Accounting` port; a status staff set shows after «Обновить»; a message
//! with a PNG and a PDF goes out, and staff's reply with a PDF comes back, opens (marked
//! read) and downloads byte for byte.

use std::path::{Path, PathBuf};
use std::time::Duration;

use fantoccini::{Client, Locator};
use kabinet_api::cabinet::{format_rub, ApplicationStatus, LoansView, SavingsView};
use kabinet_api::messages::MessageDirection;
use kabinet_api::requests::{ApplicationKind, ApplicationPreview};
use kabinet_shim::accounting::ledger::Ledger;
use kabinet_shim::staff::{self, Desk, StaffCommand, StatusArg};
use kabinet_shim::uploads::samples;
use kabinet_tests::browser::{eventually, within, Browser, Scope};
use kabinet_tests::client::Client as ApiClient;
use kabinet_tests::{pkg_dir, Db, Stack};
use serde_json::json;

use crate::e2e::{open, screenshot_path, widget, Mode, WAIT};
use crate::signin_e2e::{announced, heading, log_in, press, type_into};

const NAME: &str = "Иванова Мария Петровна";
const CLIENT: &str = "demo-0001";
const PHONE: &str = "+7 916 123-45-67";
const E164: &str = "+79161234567";
const PASSWORD: &str = "корова на льду 1";
const OPERATOR: &str = "Коротков Е. Ю.";

fn plain(s: &str) -> String {
    s.replace('\u{a0}', " ")
}

async fn body_text(c: &Client) -> String {
    plain(&c.find(Locator::Css("body")).await.expect("body").text().await.expect("text"))
}

async fn on_screen(c: &Client, text: &str) {
    let want = plain(text);
    eventually(&format!("«{want}» on screen"), WAIT, || async { body_text(c).await.contains(&want).then_some(()) }).await;
}

async fn shot(b: &Browser, name: &str) {
    let _ = b.client.enter_parent_frame().await;
    let _ = b.client.execute("window.scrollTo(0, 0)", vec![]).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    b.screenshot_full(&screenshot_path(&format!("requests-{name}"))).await;
}

async fn click_id(c: &Client, id: &str) {
    c.find(Locator::Id(id)).await.unwrap_or_else(|e| panic!("#{id}: {e}")).click().await.expect("click");
}

/// Types into a field found by its label (textbox role covers inputs and textareas).
async fn fill(w: &Scope<'_>, label: &str, text: &str) {
    type_into(w, label, text).await;
}

/// A number input (role spinbutton), by its id.
async fn fill_id(c: &Client, id: &str, text: &str) {
    let field = c.find(Locator::Id(id)).await.unwrap_or_else(|e| panic!("#{id}: {e}"));
    field.clear().await.expect("clear");
    field.send_keys(text).await.expect("type");
}

async fn downloaded(dir: &Path, before: usize) -> PathBuf {
    eventually("a downloaded file", WAIT, || async {
        let entries: Vec<PathBuf> = std::fs::read_dir(dir).ok()?.filter_map(|e| e.ok().map(|e| e.path())).collect();
        if entries.iter().any(|p| p.extension().is_some_and(|x| x == "crdownload")) {
            return None;
        }
        (entries.len() > before).then(|| {
            let mut e = entries;
            e.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
            e.pop().expect("one")
        })
    })
    .await
}

/// The preview the API gives for `body`: the reference the screen must show.
async fn reference(api: &mut ApiClient, body: serde_json::Value) -> ApplicationPreview {
    let r = api.post("/applications/preview", &body).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()
}

async fn flow() {
    pkg_dir();
    let stack = Stack::start(Db::Sqlite).await;
    let mut api = stack.register(NAME, E164, PASSWORD).await;
    let loans: LoansView = api.get("/loans").await.json();
    let loan = loans.contracts.iter().find(|l| l.closed_on.is_none()).expect("Иванова has a current loan").clone();
    let savings: SavingsView = api.get("/savings").await.json();
    let saving = savings.contracts[0].clone();
    let accounting = stack.shim.state.accounting().clone();
    let before = accounting.applications(CLIENT).await.unwrap().len();

    let downloads = tempfile::tempdir().unwrap();
    let b = Browser::start().await;
    b.viewport(360, 900).await;
    b.download_into(downloads.path()).await;
    let c = &b.client;
    assert_eq!(open(&b, &stack, "cabinet", Mode::Frame).await, "ready");
    let w = widget(c, Mode::Frame).await;
    log_in(&w, PHONE, PASSWORD, "Здравствуйте, Мария Петровна!").await;

    // A contract's own screen opens the early repayment form with that contract chosen.
    press(&w, "Займы").await;
    press(&w, &format!("Договор № {}", loan.number)).await;
    heading(&w, &format!("Договор займа № {}", loan.number)).await;
    press(&w, "Досрочное погашение").await;
    heading(&w, "Заявка на досрочное погашение").await;
    let chosen = c.find(Locator::Id("kb-apply-contract")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(chosen.as_deref(), Some(loan.id.as_str()));
    shot(&b, "00-early-repayment-from-contract").await;
    let w = widget(c, Mode::Frame).await;
    press(&w, "Назад").await;
    heading(&w, &format!("Договор займа № {}", loan.number)).await;
    press(&w, "Назад").await;
    heading(&w, "Договоры").await;
    press(&w, "Назад").await;
    heading(&w, "Здравствуйте, Мария Петровна!").await;

    // A loan application: the installment on screen is the ledger's.
    press(&w, "Заявления").await;
    heading(&w, "Заявления").await;
    press(&w, "Заявка на заём").await;
    heading(&w, "Заявка на заём").await;
    let product = c.find(Locator::Id("kb-apply-product")).await.unwrap().prop("value").await.unwrap().unwrap_or_default();
    fill(&w, "Сумма, ₽", "150 000").await;
    fill_id(c, "kb-apply-term", "12").await;
    fill(&w, "Цель займа", "Ремонт крыши дома").await;
    press(&w, "Рассчитать").await;
    heading(&w, "Расчёт").await;
    let ApplicationPreview::Loan { installment, .. } = reference(
        &mut api,
        json!({"kind": "loan", "product_id": product, "amount": 15_000_000, "term_months": 12, "purpose": "Ремонт крыши дома"}),
    )
    .await
    else {
        panic!("a loan preview")
    };
    on_screen(c, &format_rub(installment)).await;
    w.by_role("table", "Предварительный график платежей", WAIT).await;
    shot(&b, "01-loan-preview").await;
    let w = widget(c, Mode::Frame).await;
    press(&w, "Отправить заявку").await;
    announced(&w, "отправлена.").await;
    heading(&w, "Заявления").await;

    // Early repayment in full: the payoff on screen is the ledger's for today.
    press(&w, "Досрочное погашение").await;
    heading(&w, "Заявка на досрочное погашение").await;
    click_id(c, "kb-apply-mode-full").await;
    let day = c.find(Locator::Id("kb-apply-date")).await.unwrap().prop("value").await.unwrap().unwrap_or_default();
    let ApplicationPreview::EarlyRepayment { payoff_amount, .. } =
        reference(&mut api, json!({"kind": "early_repayment", "loan_id": loan.id, "date": day, "mode": "full"})).await
    else {
        panic!("an early repayment preview")
    };
    press(&w, "Рассчитать").await;
    heading(&w, "Расчёт").await;
    on_screen(c, &format_rub(payoff_amount)).await;
    shot(&b, "02-early-repayment-preview").await;
    let w = widget(c, Mode::Frame).await;
    press(&w, "Отправить заявку").await;
    announced(&w, "отправлена.").await;
    heading(&w, "Заявления").await;

    // Savings, then early withdrawal with the interest lost on screen.
    press(&w, "Заявка на сбережения").await;
    heading(&w, "Заявка на сбережения").await;
    fill(&w, "Сумма, ₽", "100 000").await;
    fill_id(c, "kb-apply-term", "12").await;
    press(&w, "Рассчитать").await;
    heading(&w, "Расчёт").await;
    on_screen(c, "Доход за весь срок").await;
    shot(&b, "02b-savings-preview").await;
    let w = widget(c, Mode::Frame).await;
    press(&w, "Отправить заявку").await;
    announced(&w, "отправлена.").await;
    heading(&w, "Заявления").await;
    press(&w, "Досрочное снятие").await;
    heading(&w, "Заявка на досрочное снятие").await;
    let day = c.find(Locator::Id("kb-apply-date")).await.unwrap().prop("value").await.unwrap().unwrap_or_default();
    let ApplicationPreview::EarlyWithdrawal { interest_lost, payout, .. } =
        reference(&mut api, json!({"kind": "early_withdrawal", "savings_id": saving.id, "date": day})).await
    else {
        panic!("an early withdrawal preview")
    };
    press(&w, "Рассчитать").await;
    heading(&w, "Расчёт").await;
    on_screen(c, &format_rub(interest_lost)).await;
    on_screen(c, &format_rub(payout)).await;
    shot(&b, "03-early-withdrawal-preview").await;
    let w = widget(c, Mode::Frame).await;
    press(&w, "Отправить заявку").await;
    announced(&w, "отправлена.").await;
    heading(&w, "Заявления").await;

    // All four reached accounting, once each.
    let held = accounting.applications(CLIENT).await.unwrap();
    assert_eq!(held.len(), before + 4, "{held:?}");
    let mut kinds: Vec<ApplicationKind> = held[..4].iter().map(|a| a.kind).collect();
    kinds.sort_by_key(|k| k.as_str());
    let mut all = ApplicationKind::ALL.to_vec();
    all.sort_by_key(|k| k.as_str());
    assert_eq!(kinds, all);
    let loan_app = held.iter().find(|a| a.kind == ApplicationKind::Loan && a.status == ApplicationStatus::New).unwrap().clone();
    assert_eq!(loan_app.amount, 15_000_000);
    assert_eq!(loan_app.details.as_deref(), Some("Ремонт крыши дома"));
    let repayment = held.iter().find(|a| a.kind == ApplicationKind::EarlyRepayment).unwrap();
    assert_eq!(repayment.amount, payoff_amount);
    assert_eq!(repayment.contract_number.as_deref(), Some(loan.number.as_str()));

    // Staff approve the loan application; «Обновить» shows it.
    let ledger = Ledger::new(stack.shim.state.store().clone());
    let division = stack.shim.state.orgs().lookup().division.clone();
    let desk = Desk { ledger: &ledger, journal: stack.shim.state.journal(), division: &division, signing: stack.shim.state.signing(), key: None };
    staff::run(
        &desk,
        StaffCommand::Status {
            application: loan_app.number.clone(),
            status: StatusArg::Approved,
            comment: Some("Ждём вас в офисе с паспортом".into()),
            operator: OPERATOR.into(),
        },
        stack.shim.state.now(),
    )
    .await
    .unwrap();
    press(&w, "Обновить").await;
    on_screen(c, "Ждём вас в офисе с паспортом").await;
    let item = c.find(Locator::Css(&format!("[data-kb-application='{}']", loan_app.number))).await.expect("the application");
    assert!(item.text().await.unwrap().contains("Одобрена"));
    shot(&b, "04-applications").await;

    // A message with a PNG and a PDF.
    let files = tempfile::tempdir().unwrap();
    let png = files.path().join("схема.png");
    let pdf = files.path().join("справка.pdf");
    std::fs::write(&png, samples::png(120, 80)).unwrap();
    std::fs::write(&pdf, samples::pdf()).unwrap();
    let w = widget(c, Mode::Frame).await;
    press(&w, "Назад").await;
    press(&w, "Сообщения").await;
    heading(&w, "Сообщения").await;
    fill(&w, "Текст сообщения", "Добрый день! Прикладываю схему и справку.").await;
    let input = c.find(Locator::Id("kb-compose-files")).await.expect("the file input");
    input.send_keys(&format!("{}\n{}", png.display(), pdf.display())).await.expect("choose files");
    w.by_role("button", "Убрать справка.pdf", WAIT).await;
    shot(&b, "04c-compose-with-files").await;
    let w = widget(c, Mode::Frame).await;
    press(&w, "Отправить").await;
    announced(&w, "Сообщение отправлено.").await;
    let sent = accounting.messages(CLIENT).await.unwrap();
    let mine = sent.iter().find(|m| m.direction == MessageDirection::FromClient).expect("the message reached accounting");
    let names: Vec<&str> = mine.attachments.iter().map(|a| a.file_name.as_str()).collect();
    assert_eq!(names, ["схема.png", "справка.pdf"]);
    assert_eq!(ledger.staff_attachment(&mine.attachments[1].id).await.unwrap().1.bytes, samples::pdf());

    // Staff answer with a payment slip; the client sees it as new, opens it, downloads it.
    let slip = files.path().join("ПД-4.pdf");
    std::fs::write(&slip, samples::pdf()).unwrap();
    staff::run(
        &desk,
        StaffCommand::Reply {
            client: CLIENT.into(),
            to: Some(mine.id.clone()),
            text: "Квитанция для оплаты во вложении.".into(),
            files: vec![slip],
            operator: OPERATOR.into(),
        },
        stack.shim.state.now(),
    )
    .await
    .unwrap();
    press(&w, "Назад").await;
    w.by_role_exact("button", "Сообщения (1 новое)", WAIT).await;
    shot(&b, "04b-home-unread").await;
    let w = widget(c, Mode::Frame).await;
    press(&w, "Сообщения (1 новое)").await;
    heading(&w, "Переписка").await;
    on_screen(c, "новое").await;
    shot(&b, "05-messages").await;
    let w = widget(c, Mode::Frame).await;
    press(&w, "Квитанция для оплаты во вложении.").await;
    heading(&w, "Сообщение от").await;
    let download = w.by_role("button", "ПД-4.pdf", WAIT).await;
    download.click().await.expect("click");
    announced(&w, "Файл скачан.").await;
    let got = downloaded(downloads.path(), 0).await;
    assert_eq!(std::fs::read(&got).unwrap(), samples::pdf(), "the file downloads byte for byte");
    shot(&b, "06-message").await;

    let rows = stack.shim.state.store().audit_rows(0, 10_000).await.unwrap();
    let created: Vec<_> = rows.iter().filter(|r| r.event == "objects_created").collect();
    assert_eq!(created.len(), 5, "four applications and a message");
    assert!(rows.iter().any(|r| r.event == "message_read" && r.client_name == NAME));
    assert!(rows.iter().any(|r| r.event == "files_received" && r.subject == "ПД-4.pdf"));
    let reply = accounting.messages(CLIENT).await.unwrap().into_iter().find(|m| m.direction == MessageDirection::FromOrganisation).unwrap();
    assert!(reply.read_at.is_some(), "opening it marked it read");
    b.close().await;
    stack.stop().await;
}

#[tokio::test]
async fn a_client_sends_four_applications_and_a_message_and_gets_answers() {
    within(420, flow()).await
}

/// Inline mode (Shadow DOM on the company's page, the API cross-origin): a file the server
/// refuses gets its clear message and loses nothing typed; a good one goes out.
async fn inline_upload() {
    pkg_dir();
    let stack = Stack::start(Db::Sqlite).await;
    let (name, e164, phone) = ("Петров Сергей Николаевич", "+79137654321", "+7 913 765-43-21");
    stack.register(name, e164, PASSWORD).await;
    let files = tempfile::tempdir().unwrap();
    let fake = files.path().join("фото.png");
    std::fs::write(&fake, samples::pdf()).unwrap();
    let real = files.path().join("фото-2.png");
    std::fs::write(&real, samples::png(200, 150)).unwrap();

    let b = Browser::start().await;
    b.viewport(360, 900).await;
    let c = &b.client;
    assert_eq!(open(&b, &stack, "cabinet", Mode::Inline).await, "ready");
    let w = widget(c, Mode::Inline).await;
    type_into(&w, "Номер телефона", phone).await;
    type_into(&w, "Пароль", PASSWORD).await;
    press(&w, "Войти").await;
    heading(&w, "Здравствуйте, Сергей Николаевич!").await;
    press(&w, "Сообщения").await;
    heading(&w, "Новое сообщение").await;
    type_into(&w, "Текст сообщения", "Фото квитанции об оплате").await;
    let root = c.find(Locator::Css("[data-kabinet]")).await.unwrap().shadow_root().await.unwrap();
    let input = root.find(Locator::Css("#kb-compose-files")).await.expect("the file input");
    input.send_keys(&fake.display().to_string()).await.expect("choose a file");
    press(&w, "Отправить").await;
    announced(&w, "Файл «фото.png»: Содержимое файла не соответствует его типу или расширению.").await;
    let text = root.find(Locator::Css("#kb-compose-text")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(text.as_deref(), Some("Фото квитанции об оплате"), "nothing typed is lost");
    assert!(stack.shim.state.accounting().messages("demo-0002").await.unwrap().is_empty(), "nothing stored");
    b.screenshot_full(&screenshot_path("requests-07-inline-refused")).await;

    press(&w, "Убрать фото.png").await;
    let input = root.find(Locator::Css("#kb-compose-files")).await.expect("the file input");
    input.send_keys(&real.display().to_string()).await.expect("choose a file");
    press(&w, "Отправить").await;
    announced(&w, "Сообщение отправлено.").await;
    let sent = stack.shim.state.accounting().messages("demo-0002").await.unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].attachments[0].file_name, "фото-2.png");
    b.close().await;
    stack.stop().await;
}

#[tokio::test]
async fn inline_mode_sends_a_file_cross_origin_and_explains_a_refused_one() {
    within(240, inline_upload()).await
}

/// A client far from the organisation: the browser's today is not the organisation's (Moscow
/// time), yet the early repayment form starts on the organisation's day and the shim takes it.
async fn another_time_zone() {
    pkg_dir();
    // A zone whose date differs from Moscow's right now: 15 h behind it before 13:00 Moscow
    // time, 11 h ahead of it after.
    let moscow_hour = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+3)).hour();
    let tz = if moscow_hour < 13 { "Etc/GMT+12" } else { "Etc/GMT-14" };
    let stack = Stack::start(Db::Sqlite).await;
    let mut api = stack.register(NAME, E164, PASSWORD).await;
    let loans: LoansView = api.get("/loans").await.json();
    let loan = loans.contracts.iter().find(|l| l.closed_on.is_none()).expect("Иванова has a current loan").clone();
    let b = Browser::start_in_time_zone(tz).await;
    b.viewport(360, 900).await;
    let c = &b.client;
    assert_eq!(open(&b, &stack, "cabinet", Mode::Frame).await, "ready");
    let browser_day = c
        .execute("const d = new Date(); return d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0') + '-' + String(d.getDate()).padStart(2, '0');", vec![])
        .await
        .unwrap();
    assert_ne!(browser_day.as_str(), Some(loans.as_of.as_str()), "the browser's day ({tz}) must differ from the organisation's");
    let w = widget(c, Mode::Frame).await;
    log_in(&w, PHONE, PASSWORD, "Здравствуйте, Мария Петровна!").await;
    press(&w, "Займы").await;
    press(&w, &format!("Договор № {}", loan.number)).await;
    press(&w, "Досрочное погашение").await;
    heading(&w, "Заявка на досрочное погашение").await;
    let day = c.find(Locator::Id("kb-apply-date")).await.unwrap().prop("value").await.unwrap().unwrap_or_default();
    assert_eq!(day, loans.as_of, "the form starts on the organisation's day");
    click_id(c, "kb-apply-mode-full").await;
    press(&w, "Рассчитать").await;
    heading(&w, "Расчёт").await;
    b.close().await;
    stack.stop().await;
}

#[tokio::test]
async fn the_date_field_starts_on_the_organisations_day_in_any_time_zone() {
    within(180, another_time_zone()).await
}
