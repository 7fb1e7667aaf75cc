//! Sign-in through ESIA (Госуслуги) end to end in Chromium at phone width, against the loopback
//! ESIA simulator: in frame mode the matching person goes to ESIA's page as the top-level page,
//! comes back to the company page, opens (and links) a cabinet and lands in it; the next time
//! ESIA alone is enough. No SMS at any point. Inline, a person who is nobody's client is told
//! what to do. Screenshots: target/screenshots/esia-*.png.

use std::time::Duration;

use fantoccini::Locator;
use kabinet_tests::browser::{eventually, within, Browser, Scope};
use kabinet_tests::{pkg_dir, report, Db, Layout, Stack};

use crate::e2e::{open, screenshot_path, widget, Mode, WAIT};
use crate::payments_e2e::settled;
use crate::signin_e2e::{announced, heading, press};

async fn shot(b: &Browser, name: &str) {
    let _ = b.client.enter_parent_frame().await;
    let _ = b.client.execute("window.scrollTo(0, 0)", vec![]).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    b.screenshot_full(&screenshot_path(&format!("esia-{name}"))).await;
}

/// Presses «Войти через Госуслуги» and waits for the simulated ESIA's page at the top.
async fn to_esia(b: &Browser, w: &Scope<'_>, shim_url: &str) {
    let c = &b.client;
    press(w, "Войти через Госуслуги").await;
    eventually("ESIA's login page as the top-level page", WAIT, || async {
        let url = c.current_url().await.ok()?;
        url.as_str().starts_with(&format!("{shim_url}/__sim/esia/aas/oauth2/v2/ac")).then_some(())
    })
    .await;
    crate::e2e::top(c).await;
}

/// On ESIA's page: the person's button; back on the company's page with the widget ready.
async fn choose<'a>(b: &'a Browser, person: &str, site_url: &str, mode: Mode, picture: &str) -> Scope<'a> {
    let c = &b.client;
    let page = Scope::Page(c);
    page.by_role_exact("button", &format!("Войти как {person}"), WAIT).await;
    if !picture.is_empty() {
        b.screenshot_full(&screenshot_path(&format!("esia-{picture}"))).await;
    }
    press(&page, &format!("Войти как {person}")).await;
    eventually("back on the company's page", WAIT, || async {
        let url = c.current_url().await.ok()?;
        url.as_str().starts_with(site_url).then_some(())
    })
    .await;
    // The marker is taken off the address at once (a reload does not ask again).
    eventually("the return marker off the address", WAIT, || async {
        (!c.current_url().await.ok()?.as_str().contains("kabinet_esia")).then_some(())
    })
    .await;
    settled(c, mode).await
}

async fn matching_person_in_frame_mode() {
    pkg_dir();
    let stack = Stack::start_configured(Db::Sqlite, Layout::Subdomain, |_| {}).await;
    let sms = stack.shim.state.sms_simulator().expect("the stack runs the SMS simulator").clone();
    let b = Browser::start().await;
    b.viewport(360, 900).await;
    let c = &b.client;
    let mode = Mode::Frame;
    assert_eq!(open(&b, &stack, "cabinet", mode).await, "ready");
    let w = widget(c, mode).await;
    heading(&w, "Вход в личный кабинет").await;
    shot(&b, "01-login").await;
    let w = widget(c, mode).await;
    to_esia(&b, &w, &stack.shim.url).await;
    let w = choose(&b, "Иванова Мария Петровна", &stack.site_url, mode, "02-esia-page").await;

    // Found in accounting by name and passport; no cabinet yet: open it and link, after the
    // personal data consent.
    heading(&w, "Связать кабинет с Госуслугами").await;
    eventually("the person and the masked phone", WAIT, || async {
        let text = c.find(Locator::Css("body")).await.ok()?.text().await.ok()?;
        (text.contains("Иванова Мария Петровна") && text.contains("+7 916 ***-**-67")).then_some(())
    })
    .await;
    shot(&b, "03-confirm").await;
    let w = widget(c, mode).await;
    press(&w, "Открыть кабинет").await;
    announced(&w, "согласи").await;
    let consent = w.by_role("checkbox", "согласие", WAIT).await;
    consent.click().await.expect("accept the consent");
    press(&w, "Открыть кабинет").await;
    heading(&w, "Здравствуйте, Мария Петровна!").await;
    shot(&b, "04-cabinet").await;

    // Signed out; the next time ESIA alone lands in the same cabinet.
    let w = widget(c, mode).await;
    press(&w, "Выйти").await;
    heading(&w, "Вход в личный кабинет").await;
    to_esia(&b, &w, &stack.shim.url).await;
    let w = choose(&b, "Иванова Мария Петровна", &stack.site_url, mode, "").await;
    heading(&w, "Здравствуйте, Мария Петровна!").await;
    assert!(sms.messages().is_empty(), "no SMS through ESIA: {:?}", sms.messages());
    let links: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM identity_links").fetch_one(stack.shim.state.store().pool()).await.unwrap();
    assert_eq!(links.0, 1);
    report("esia e2e: the matching person opened, linked and re-entered the cabinet through the simulated ESIA (frame, 360 px), 0 SMS");
    b.close().await;
    stack.stop().await;
}

async fn nobodys_client_inline() {
    pkg_dir();
    let stack = Stack::start_configured(Db::Sqlite, Layout::Subdomain, |_| {}).await;
    let b = Browser::start().await;
    b.viewport(360, 900).await;
    let c = &b.client;
    let mode = Mode::Inline;
    assert_eq!(open(&b, &stack, "cabinet", mode).await, "ready");
    let w = widget(c, mode).await;
    to_esia(&b, &w, &stack.shim.url).await;
    let w = choose(&b, "Сидоров Пётр Ильич", &stack.site_url, mode, "").await;
    eventually("the clear message for a person not found", WAIT, || async {
        let el = w.all_by_role("region", "").await;
        for e in el {
            let text = e.text().await.ok()?;
            if text.contains("Сидоров Пётр Ильич") && text.contains("нет в учёте") && text.contains("офис") {
                return Some(());
            }
        }
        None
    })
    .await;
    shot(&b, "05-no-match").await;
    let w = widget(c, mode).await;
    // The way on: registration by phone is offered.
    w.by_role("button", "Зарегистрироваться", WAIT).await;
    // Back to the login screen; this time the person cancels on ESIA's page: the reason and
    // the ways on are shown.
    press(&w, "Войти по телефону и паролю").await;
    heading(&w, "Вход в личный кабинет").await;
    to_esia(&b, &w, &stack.shim.url).await;
    let page = Scope::Page(c);
    press(&page, "Отказать").await;
    eventually("back on the company's page", WAIT, || async {
        c.current_url().await.ok()?.as_str().starts_with(&stack.site_url).then_some(())
    })
    .await;
    let w = settled(c, mode).await;
    announced(&w, "Вход через Госуслуги отменён").await;
    w.by_role("button", "Попробовать снова", WAIT).await;
    shot(&b, "06-cancelled").await;
    let users: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM cabinet_users").fetch_one(stack.shim.state.store().pool()).await.unwrap();
    assert_eq!(users.0, 0);
    b.close().await;
    stack.stop().await;
}

#[tokio::test]
async fn the_matching_person_signs_in_through_esia_in_frame_mode() {
    within(300, matching_person_in_frame_mode()).await
}

#[tokio::test]
async fn a_person_who_is_nobodys_client_is_told_what_to_do() {
    within(240, nobodys_client_inline()).await
}
