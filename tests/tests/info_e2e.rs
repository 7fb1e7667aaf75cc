//! The «Информация» block end to end in Chromium, found by role and name as a person finds
//! things: a demo client logs in, opens Займы, a contract, Сбережения, a savings contract and
//! Взносы, downloads a schedule PDF and a reconciliation act, and the PDFs' text holds the
//! contract number and the amounts on screen. And when the accounting system fails or hangs,
//! the widget says so with a retry that works once accounting is back.

use std::path::{Path, PathBuf};
use std::time::Duration;

use fantoccini::{Client, Locator};
use kabinet_api::cabinet::{format_rub, LoanDetail, LoansView, SavingsView};
use kabinet_tests::browser::{eventually, within, Browser, Scope};
use kabinet_tests::client::Client as ApiClient;
use kabinet_tests::faulty::{Fault, FaultyAccounting};
use kabinet_tests::{pdf_text, pkg_dir, Db, Layout, Stack};

use crate::e2e::{open, screenshot_path, top, widget, Mode, WAIT};
use crate::signin_e2e::{announced, heading, press, type_into};

const NAME: &str = "Петров Сергей Николаевич";
const PHONE: &str = "+7 913 765-43-21";
const E164: &str = "+79137654321";
const PASSWORD: &str = "корова на льду 1";

/// WebDriver reads a no-break space as a space; the PDF keeps it. Compare them as a person does.
fn plain(s: &str) -> String {
    s.replace('\u{a0}', " ")
}

/// Registers through the API and returns a signed-in API client for reference figures.
async fn register(stack: &Stack) -> ApiClient {
    stack.register(NAME, E164, PASSWORD).await
}

async fn log_in(c: &Client, mode: Mode) -> Scope<'_> {
    let w = widget(c, mode).await;
    type_into(&w, "Номер телефона", PHONE).await;
    type_into(&w, "Пароль", PASSWORD).await;
    press(&w, "Войти").await;
    heading(&w, "Здравствуйте, Сергей Николаевич!").await;
    w
}

async fn body_text(c: &Client) -> String {
    plain(&c.find(Locator::Css("body")).await.expect("body").text().await.expect("text"))
}

async fn shot(b: &Browser, name: &str) {
    let _ = b.client.enter_parent_frame().await;
    let _ = b.client.execute("window.scrollTo(0, 0)", vec![]).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    b.screenshot_full(&screenshot_path(&format!("info-{name}"))).await;
}

/// Waits for a new, complete PDF in `dir` (Chromium writes `.crdownload` first, then renames).
pub(crate) async fn downloaded(dir: &Path, before: usize) -> PathBuf {
    eventually("a downloaded PDF", WAIT, || async {
        let entries: Vec<PathBuf> = std::fs::read_dir(dir).ok()?.filter_map(|e| e.ok().map(|e| e.path())).collect();
        if entries.iter().any(|p| p.extension().is_some_and(|x| x == "crdownload")) {
            return None;
        }
        let mut pdfs: Vec<PathBuf> = entries.into_iter().filter(|p| p.extension().is_some_and(|x| x == "pdf")).collect();
        if pdfs.len() <= before {
            return None;
        }
        pdfs.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
        pdfs.pop()
    })
    .await
}

async fn sections() {
    pkg_dir();
    let stack = Stack::start(Db::Sqlite).await;
    let mut api = register(&stack).await;
    let loans: LoansView = api.get("/loans").await.json();
    let overdue = loans.contracts.iter().find(|c| c.overdue_amount > 0).expect("Петров has an overdue loan").clone();
    let detail: LoanDetail = api.get(&format!("/loans/{}", overdue.id)).await.json();
    let downloads = tempfile::tempdir().unwrap();

    let b = Browser::start().await;
    b.viewport(360, 900).await;
    b.download_into(downloads.path()).await;
    let c = &b.client;
    let mode = Mode::Frame;
    assert_eq!(open(&b, &stack, "cabinet", mode).await, "ready");
    let w = log_in(c, mode).await;

    // Займы: both contracts and the application.
    press(&w, "Займы").await;
    heading(&w, "Договоры").await;
    for contract in &loans.contracts {
        w.by_role_exact("button", &format!("Договор № {}", contract.number), WAIT).await;
    }
    let text = body_text(c).await;
    assert!(text.contains(&plain(&format_rub(overdue.overdue_amount))), "the overdue amount is on screen: {text}");
    assert!(text.contains(&plain(&format_rub(overdue.penalty))), "the penalty is on screen");
    shot(&b, "01-loans").await;

    // The overdue loan: figures, schedule, operations.
    let w = widget(c, mode).await;
    press(&w, &format!("Договор № {}", overdue.number)).await;
    heading(&w, &format!("Договор займа № {}", overdue.number)).await;
    w.by_role("table", "График платежей", WAIT).await;
    w.by_role("table", "Операции по договору", WAIT).await;
    let screen = body_text(c).await;
    for inst in &detail.schedule {
        assert!(screen.contains(&plain(&format_rub(inst.total))), "installment {} total on screen", inst.n);
    }
    assert!(screen.contains(&plain(&format_rub(overdue.principal_balance))));
    shot(&b, "02-loan").await;

    // The schedule PDF holds the contract number and the amounts on screen.
    let w = widget(c, mode).await;
    press(&w, "График платежей (PDF)").await;
    announced(&w, "Документ скачан.").await;
    let pdf = downloaded(downloads.path(), 0).await;
    let text = plain(&pdf_text(&std::fs::read(&pdf).unwrap()));
    assert!(text.contains("График платежей"), "{text}");
    assert!(text.contains(&overdue.number), "the contract number in the PDF");
    for inst in &detail.schedule {
        let total = plain(&format_rub(inst.total));
        assert!(screen.contains(&total) && text.contains(&total), "installment {} total {total} on screen and in the PDF", inst.n);
    }

    // The reconciliation act for the default period (contract date .. today).
    press(&w, "Акт сверки (PDF)").await;
    let act = downloaded(downloads.path(), 1).await;
    let text = plain(&pdf_text(&std::fs::read(&act).unwrap()));
    assert!(text.contains("Акт сверки"), "{text}");
    assert!(text.contains(&overdue.number));
    assert!(text.contains(&plain(&format_rub(overdue.amount))), "the issue of the loan is in the act");
    shot(&b, "03-loan-documents").await;

    // The closed loan offers the no-debt certificate instead of the debt one.
    let closed = loans.contracts.iter().find(|c| c.closed_on.is_some()).expect("Петров has a closed loan");
    let w = widget(c, mode).await;
    press(&w, "Назад").await;
    heading(&w, "Договоры").await;
    press(&w, &format!("Договор № {}", closed.number)).await;
    heading(&w, &format!("Договор займа № {}", closed.number)).await;
    w.by_role_exact("button", "Справка об отсутствии задолженности", WAIT).await;
    assert!(w.all_by_role("button", "Справка о текущей задолженности").await.is_empty());
    press(&w, "Справка об отсутствии задолженности").await;
    let cert = downloaded(downloads.path(), 2).await;
    assert!(plain(&pdf_text(&std::fs::read(&cert).unwrap())).contains(&closed.number));

    // Сбережения (Петров has none) and Взносы with a membership debt.
    press(&w, "Назад").await;
    heading(&w, "Договоры").await;
    press(&w, "Назад").await;
    press(&w, "Сбережения").await;
    heading(&w, "Сбережения").await;
    eventually("the empty savings list", WAIT, || async { body_text(c).await.contains("Договоров сбережений нет.").then_some(()) }).await;
    press(&w, "Назад").await;
    press(&w, "Взносы").await;
    heading(&w, "Взносы").await;
    w.by_role("table", "Паевые взносы", WAIT).await;
    w.by_role("table", "Членские взносы", WAIT).await;
    eventually("the membership debt", WAIT, || async {
        body_text(c).await.contains("Задолженность по членским взносам").then_some(())
    })
    .await;
    shot(&b, "04-contributions").await;

    // The journal saw both downloads with the documents as subjects, and the contract view.
    let rows = stack.shim.state.store().audit_rows(0, 10_000).await.unwrap();
    let files: Vec<_> = rows.iter().filter(|r| r.event == "files_received").collect();
    assert_eq!(files.len(), 3, "{files:?}");
    assert!(files[..2].iter().all(|r| r.subject.contains(&overdue.number) && r.client_name == NAME));
    assert!(files[2].subject.contains(&closed.number));
    assert!(rows.iter().any(|r| r.event == "contract_viewed" && r.subject.contains(&overdue.number)));
    b.close().await;
    stack.stop().await;
}

#[tokio::test]
async fn a_client_opens_each_section_and_downloads_a_schedule_and_an_act() {
    within(300, sections()).await
}

async fn savings_inline() {
    pkg_dir();
    let stack = Stack::start(Db::Sqlite).await;
    // Иванова has savings with capitalisation; inline mode fetches the PDF cross-origin.
    let (name, e164, phone) = ("Иванова Мария Петровна", "+79161234567", "+7 916 123-45-67");
    let mut api = stack.register(name, e164, PASSWORD).await;
    let savings: SavingsView = api.get("/savings").await.json();
    let saving = &savings.contracts[0];
    let downloads = tempfile::tempdir().unwrap();
    let b = Browser::start().await;
    b.download_into(downloads.path()).await;
    let c = &b.client;
    assert_eq!(open(&b, &stack, "cabinet", Mode::Inline).await, "ready");
    let w = widget(c, Mode::Inline).await;
    type_into(&w, "Номер телефона", phone).await;
    type_into(&w, "Пароль", PASSWORD).await;
    press(&w, "Войти").await;
    heading(&w, "Здравствуйте, Мария Петровна!").await;
    press(&w, "Сбережения").await;
    press(&w, &format!("Договор № {}", saving.number)).await;
    heading(&w, &format!("Договор сбережений № {}", saving.number)).await;
    w.by_role("table", "График начисления процентов", WAIT).await;
    press(&w, "График начисления процентов (PDF)").await;
    let pdf = downloaded(downloads.path(), 0).await;
    assert!(pdf.file_name().unwrap().to_string_lossy().ends_with(".pdf"));
    let text = plain(&pdf_text(&std::fs::read(&pdf).unwrap()));
    assert!(text.contains(&saving.number), "{text}");
    assert!(text.contains(&plain(&format_rub(saving.balance))) || text.contains(&plain(&format_rub(saving.amount))), "{text}");
    b.screenshot_full(&screenshot_path("info-05-savings-inline")).await;
    b.close().await;
    stack.stop().await;
}

#[tokio::test]
async fn savings_and_a_download_in_inline_mode() {
    within(240, savings_inline()).await
}

async fn accounting_down() {
    pkg_dir();
    let accounting = FaultyAccounting::start().await;
    let adapter = accounting.client_config(1, 1);
    let stack = Stack::start_configured(Db::Sqlite, Layout::Subdomain, move |c| c.accounting = adapter).await;
    register(&stack).await;
    let b = Browser::start().await;
    b.viewport(360, 900).await;
    let c = &b.client;
    assert_eq!(open(&b, &stack, "cabinet", Mode::Frame).await, "ready");
    let w = log_in(c, Mode::Frame).await;

    // 5xx from accounting: a clear message and a retry, not a blank or an endless spinner.
    accounting.set(Fault::Fail);
    press(&w, "Займы").await;
    announced(&w, "Учётная система организации сейчас не отвечает").await;
    announced(&w, "Не удалось загрузить данные.").await;
    shot(&b, "06-accounting-down").await;
    accounting.set(Fault::None);
    let w = widget(c, Mode::Frame).await;
    press(&w, "Повторить").await;
    heading(&w, "Договоры").await;

    // Accounting that never answers: the adapter's timeout ends it, with the same retry.
    accounting.set(Fault::Hang);
    press(&w, "Назад").await;
    press(&w, "Взносы").await;
    announced(&w, "Учётная система организации сейчас не отвечает").await;
    accounting.set(Fault::None);
    press(&w, "Повторить").await;
    w.by_role("table", "Паевые взносы", WAIT).await;
    top(c).await;
    b.close().await;
    stack.stop().await;
}

#[tokio::test]
async fn when_accounting_fails_or_hangs_the_widget_says_so_and_retries() {
    within(240, accounting_down()).await
}
