//! Card payments end to end in Chromium, as a client on a phone, for each bank's simulator:
//! pay the next installment from the loan's screen (the split on screen is the ledger's), go
//! to the bank's page as a top-level page, pay with the approving card, come back to the
//! company's page and see «оплачен» and the new balance; a declined card shows «отклонён» and
//! changes nothing; coming back without paying shows «в обработке» and stays so.

use std::time::Duration;

use fantoccini::{Client, Locator};
use kabinet_api::cabinet::{format_rub, LoanDetail, LoansView, SavingsView};
use kabinet_api::payments::{Payment, PaymentPreview, PaymentStatus};
use kabinet_shim::config::AcquirerKind;
use kabinet_shim::gateways::acquiring::simulator::{CARD_APPROVE, CARD_DECLINE};
use kabinet_tests::browser::{eventually, within, Browser, Scope};
use kabinet_tests::client::Client as ApiClient;
use kabinet_tests::{pkg_dir, report, Db, Layout, Stack};
use serde_json::json;

use crate::e2e::{open, screenshot_path, widget, Mode, WAIT};
use crate::signin_e2e::{heading, press, type_into};

const NAME: &str = "Иванова Мария Петровна";
const PHONE: &str = "+7 916 123-45-67";
const E164: &str = "+79161234567";
const PASSWORD: &str = "корова на льду 1";

fn plain(s: &str) -> String {
    s.replace('\u{a0}', " ")
}

async fn shot(b: &Browser, name: &str) {
    let _ = b.client.enter_parent_frame().await;
    let _ = b.client.execute("window.scrollTo(0, 0)", vec![]).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    b.screenshot_full(&screenshot_path(&format!("payments-{name}"))).await;
}

/// The text of the widget's payment status region, once it contains `want`.
async fn status_shows(w: &Scope<'_>, want: &str) -> String {
    eventually(&format!("the payment status «{want}»"), WAIT, || async {
        for el in w.all_by_role("status", "Статус платежа").await {
            let text = plain(&el.text().await.ok()?);
            if text.contains(want) {
                return Some(text);
            }
        }
        None
    })
    .await
}

async fn loan(api: &mut ApiClient, id: &str) -> LoanDetail {
    api.get(&format!("/loans/{id}")).await.json()
}

/// Opens the loan's pay screen from the home screen and waits for the ledger's figures.
async fn to_pay_screen(w: &Scope<'_>, number: &str, amount: i64) {
    press(w, "Займы").await;
    press(w, &format!("Договор № {number}")).await;
    heading(w, &format!("Договор займа № {number}")).await;
    press(w, "Оплатить").await;
    heading(w, &format!("Оплата по договору займа № {number}")).await;
    // The first option (the next installment) is chosen: its figures come at once.
    let want = plain(&format!("Оплатить {}", format_rub(amount)));
    eventually("the pay button with the ledger's amount", WAIT, || async {
        for el in w.all_by_role("button", "Оплатить").await {
            if plain(&el.text().await.ok()?).contains(&want) && el.is_enabled().await.ok()? {
                return Some(());
            }
        }
        None
    })
    .await;
}

/// Presses «Оплатить N ₽» and pays on the simulated bank's page with `card`; returns the URL
/// the bank sent the browser back to.
async fn pay_at_the_bank(b: &Browser, w: &Scope<'_>, shim_url: &str, amount: i64, card: &str, picture: &str) -> String {
    let c = &b.client;
    let want = plain(&format!("Оплатить {}", format_rub(amount)));
    let mut pressed = false;
    for el in w.all_by_role("button", "Оплатить").await {
        if plain(&el.text().await.unwrap_or_default()).contains(&want) {
            el.click().await.expect("press pay");
            pressed = true;
            break;
        }
    }
    assert!(pressed, "no «{want}» button");
    // The bank's page is the top-level page now (in frame mode the loader navigated).
    eventually("the bank's payment page", WAIT, || async {
        let url = c.current_url().await.ok()?;
        url.as_str().starts_with(&format!("{shim_url}/__sim/acquiring/")).then_some(())
    })
    .await;
    // A new top-level document: WebDriver's context is still the old page's frame.
    crate::e2e::top(c).await;
    let page = Scope::Page(c);
    eventually("the card form", WAIT, || async { c.find(Locator::Id("card_number")).await.ok().map(|_| ()) }).await;
    if !picture.is_empty() {
        b.screenshot_full(&screenshot_path(&format!("payments-{picture}"))).await;
    }
    fill_id(c, "card_number", card).await;
    fill_id(c, "expiry", "12/30").await;
    fill_id(c, "cvc", "123").await;
    press(&page, "Оплатить").await;
    eventually("back on the company's page", WAIT, || async {
        let url = c.current_url().await.ok()?;
        (!url.as_str().starts_with(shim_url)).then(|| url.to_string())
    })
    .await
}

/// Waits until the widget on a freshly loaded page reports ready, then enters it.
pub(crate) async fn settled(c: &Client, mode: Mode) -> Scope<'_> {
    crate::e2e::top(c).await;
    eventually("the widget ready again", WAIT, || async {
        let host = c.find(Locator::Css("[data-kabinet]")).await.ok()?;
        (host.attr("data-kabinet-state").await.ok()??.as_str() == "ready").then_some(())
    })
    .await;
    widget(c, mode).await
}

async fn fill_id(c: &Client, id: &str, text: &str) {
    let field = c.find(Locator::Id(id)).await.unwrap_or_else(|e| panic!("#{id}: {e}"));
    field.send_keys(text).await.expect("type");
}

async fn flow(protocol: AcquirerKind, mode: Mode) {
    pkg_dir();
    let stack = Stack::start_configured(Db::Sqlite, Layout::Subdomain, move |c| {
        c.payments.simulator_protocol = protocol;
        c.payments.worker_interval_secs = 1;
    })
    .await;
    let tag = format!("{protocol:?}").to_lowercase();
    let mut api = stack.register(NAME, E164, PASSWORD).await;
    let loans: LoansView = api.get("/loans").await.json();
    let summary = loans.contracts.iter().find(|l| l.closed_on.is_none()).expect("Иванова has a current loan").clone();
    let before = loan(&mut api, &summary.id).await;
    let preview: PaymentPreview =
        api.post("/payments/preview", &json!({"contract_id": summary.id, "purpose": "next_installment"})).await.json();

    let b = Browser::start().await;
    b.viewport(360, 900).await;
    let c = &b.client;
    assert_eq!(open(&b, &stack, "cabinet", mode).await, "ready");
    let w = widget(c, mode).await;
    type_into(&w, "Номер телефона", PHONE).await;
    type_into(&w, "Пароль", PASSWORD).await;
    press(&w, "Войти").await;
    heading(&w, "Здравствуйте, Мария Петровна!").await;

    // Paid: the split on screen is the ledger's; after the bank, «оплачен» and the new balance.
    to_pay_screen(&w, &summary.number, preview.amount).await;
    let text = plain(&c.find(Locator::Css("body")).await.unwrap().text().await.unwrap());
    for figure in [preview.interest, preview.principal] {
        assert!(text.contains(&plain(&format_rub(figure))), "{} not on screen: {text}", format_rub(figure));
    }
    if tag == "sber" {
        shot(&b, "01-pay-installment").await;
    }
    let w = widget(c, mode).await;
    let back = pay_at_the_bank(&b, &w, &stack.shim.url, preview.amount, CARD_APPROVE, &format!("02-{tag}-bank-page")).await;
    // The bank sent the client to the page they came from, naming the payment; the loader (or
    // the inline widget) has already taken the parameter off the address.
    assert!(back.starts_with(&format!("{}/cabinet", stack.site_url)), "{back}");
    let order = stack.shim.state.acquiring_simulator().unwrap().orders().pop().unwrap();
    assert!(order.return_url.starts_with(&format!("{}/cabinet?mode={}", stack.site_url, mode.query())), "{}", order.return_url);
    assert!(order.return_url.contains("kabinet_payment="), "{}", order.return_url);
    eventually("the parameter off the address", WAIT, || async {
        (!c.current_url().await.ok()?.as_str().contains("kabinet_payment")).then_some(())
    })
    .await;
    let w = settled(c, mode).await;
    status_shows(&w, "оплачен").await;
    status_shows(&w, "Платёж проведён по договору").await;
    let after = loan(&mut api, &summary.id).await;
    assert!(after.summary.principal_balance < before.summary.principal_balance || after.summary.next_payment != before.summary.next_payment);
    // The new figures are on screen: the next payment as the ledger now has it.
    let next = after.summary.next_payment.clone().expect("a next payment");
    eventually("the contract's new figures", WAIT, || async {
        let text = plain(&c.find(Locator::Css("body")).await.ok()?.text().await.ok()?);
        text.contains(&plain(&format_rub(after.summary.principal_balance))).then_some(())
    })
    .await;
    shot(&b, &format!("03-{tag}-paid")).await;
    let paid = api.get("/payments").await.json::<kabinet_api::payments::PaymentsView>();
    assert_eq!(paid.payments.len(), 1);
    assert_eq!(paid.payments[0].status, PaymentStatus::Paid);
    assert!(paid.payments[0].posted);
    let _ = next;

    // Declined: «отклонён», and the loan is as it was.
    let w = widget(c, mode).await;
    press(&w, "К договору").await;
    heading(&w, &format!("Договор займа № {}", summary.number)).await;
    press(&w, "Оплатить").await;
    heading(&w, &format!("Оплата по договору займа № {}", summary.number)).await;
    let preview2: PaymentPreview =
        api.post("/payments/preview", &json!({"contract_id": summary.id, "purpose": "next_installment"})).await.json();
    eventually("the second payment's figures", WAIT, || async {
        let want = plain(&format!("Оплатить {}", format_rub(preview2.amount)));
        for el in w.all_by_role("button", "Оплатить").await {
            if plain(&el.text().await.ok()?).contains(&want) && el.is_enabled().await.ok()? {
                return Some(());
            }
        }
        None
    })
    .await;
    pay_at_the_bank(&b, &w, &stack.shim.url, preview2.amount, CARD_DECLINE, "").await;
    let w = settled(c, mode).await;
    let text = status_shows(&w, "отклонён").await;
    assert!(text.contains("Деньги не списаны"), "{text}");
    shot(&b, &format!("04-{tag}-declined")).await;
    assert_eq!(loan(&mut api, &summary.id).await, after, "a declined card changes nothing");

    // Back without paying: the return proves nothing.
    let body = json!({"contract_id": summary.id, "purpose": "next_installment", "expected_amount": preview2.amount,
        "return_to": format!("{}/cabinet", stack.site_url)});
    let req = api
        .request(reqwest::Method::POST, "/payments")
        .header("origin", &api.origin)
        .header("content-type", "application/json")
        .header("idempotency-key", uuid::Uuid::new_v4().to_string())
        .body(body.to_string());
    let started: kabinet_api::payments::PaymentStarted = api.send(req).await.json();
    c.goto(&format!("{}/cabinet?mode={}&kabinet_payment={}", stack.site_url, mode.query(), started.payment.id))
        .await
        .expect("a bare return");
    let w = settled(c, mode).await;
    status_shows(&w, "в обработке").await;
    shot(&b, &format!("05-{tag}-bare-return")).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let w = widget(c, mode).await;
    status_shows(&w, "в обработке").await;
    let p: Payment = api.get(&format!("/payments/{}", started.payment.id)).await.json();
    assert_eq!(p.status, PaymentStatus::Pending);
    assert_eq!(loan(&mut api, &summary.id).await, after);
    if protocol == AcquirerKind::Payler {
        top_up(&b, &stack, &mut api, mode).await;
    }
    report(&format!("payments e2e: {tag} ({mode:?}) paid, declined and a bare return in Chromium"));
    b.close().await;
    stack.stop().await;
}

/// A savings top-up from the contract's screen: the amount typed, the balance after shown by
/// the ledger, paid at the bank, and the balance grown by exactly that.
async fn top_up(b: &Browser, stack: &Stack, api: &mut ApiClient, mode: Mode) {
    let c = &b.client;
    let savings: SavingsView = api.get("/savings").await.json();
    let s = savings.contracts.iter().find(|s| s.top_up_allowed && s.closed_on.is_none()).expect("a savings contract taking top-ups").clone();
    assert_eq!(open(b, stack, "cabinet", mode).await, "ready");
    let w = widget(c, mode).await;
    heading(&w, "Здравствуйте, Мария Петровна!").await;
    press(&w, "Сбережения").await;
    press(&w, &format!("Договор № {}", s.number)).await;
    heading(&w, &format!("Договор сбережений № {}", s.number)).await;
    press(&w, "Пополнить").await;
    heading(&w, &format!("Пополнение договора сбережений № {}", s.number)).await;
    type_into(&w, "Сумма пополнения, ₽", "1 000").await;
    let balance_after = plain(&format_rub(s.balance + 1_000 * 100));
    eventually("the balance after the top-up", WAIT, || async {
        let text = plain(&c.find(Locator::Css("body")).await.ok()?.text().await.ok()?);
        text.contains(&balance_after).then_some(())
    })
    .await;
    pay_at_the_bank(b, &w, &stack.shim.url, 1_000 * 100, CARD_APPROVE, "").await;
    let w = settled(c, mode).await;
    status_shows(&w, "оплачен").await;
    status_shows(&w, "Платёж проведён по договору").await;
    shot(b, "06-payler-top-up-paid").await;
    // The history: every card payment with its status, a receipt for the paid ones.
    let w = widget(c, mode).await;
    press(&w, "Все платежи").await;
    heading(&w, "Платежи").await;
    eventually("the payments listed", WAIT, || async {
        let items = match &w {
            Scope::Shadow(_, root) => root.find_all(Locator::Css("li.kb-payment")).await.ok()?,
            Scope::Page(page) => page.find_all(Locator::Css("li.kb-payment")).await.ok()?,
        };
        // Paid, declined and left pending on the loan, and the top-up.
        (items.len() == 4).then_some(())
    })
    .await;
    shot(b, "07-payler-history").await;
    let after: SavingsView = api.get("/savings").await.json();
    let now = after.contracts.iter().find(|x| x.id == s.id).unwrap();
    assert_eq!(now.balance, s.balance + 1_000 * 100);
}

#[tokio::test]
async fn sber_paid_declined_and_bare_return_in_frame_mode() {
    within(240, flow(AcquirerKind::Sber, Mode::Frame)).await;
}

#[tokio::test]
async fn payler_paid_declined_and_bare_return_inline() {
    within(240, flow(AcquirerKind::Payler, Mode::Inline)).await;
}
