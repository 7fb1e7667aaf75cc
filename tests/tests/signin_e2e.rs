//! Sign-in end to end in Chromium, found by role and accessible name as a person finds things:
//! register (the code read from host-demo's SMS panel), log out, log in, a wrong password,
//! reset, log in with the new password, change the password — in frame mode; a login in
//! inline mode; and a shim on another site with third-party cookies blocked. Screenshots of
//! every screen go to target/screenshots/signin-*.png; the run's logs are grepped for secrets.

use std::time::Duration;

use fantoccini::{Client, Locator};
use kabinet_tests::browser::{eventually, within, Browser, Scope};
use kabinet_tests::client::{next_code, sms_count, Client as ApiClient};
use kabinet_tests::{captured_logs, pkg_dir, Db, Layout, Stack};
use serde_json::json;

use crate::e2e::{open, screenshot_path, top, widget, Mode, WAIT};

const NAME: &str = "Иванова Мария Петровна";
const PHONE: &str = "+7 916 123-45-67";
const E164: &str = "+79161234567";
const FIRST_PASSWORD: &str = "корова на льду 1";
const RESET_PASSWORD: &str = "второй пароль 22";
const LAST_PASSWORD: &str = "третий пароль 333";
const NEW_PHONE: &str = "+7 903 555-00-00";
const NEW_E164: &str = "+79035550000";

pub(crate) async fn type_into(scope: &Scope<'_>, label: &str, text: &str) {
    let field = scope.by_role_exact("textbox", label, WAIT).await;
    field.clear().await.expect("clear");
    field.send_keys(text).await.expect("type");
}

pub(crate) async fn press(scope: &Scope<'_>, name: &str) {
    scope.by_role_exact("button", name, WAIT).await.click().await.expect("click");
}

pub(crate) async fn heading(scope: &Scope<'_>, name: &str) {
    scope.by_role("heading", name, WAIT).await;
}

/// Logs in on the login screen by phone and password, then waits for `greeting`.
pub(crate) async fn log_in(scope: &Scope<'_>, phone: &str, password: &str, greeting: &str) {
    type_into(scope, "Номер телефона", phone).await;
    type_into(scope, "Пароль", password).await;
    press(scope, "Войти").await;
    heading(scope, greeting).await;
}

/// The text of whatever announces itself (role alert or status) containing `text`.
pub(crate) async fn announced(scope: &Scope<'_>, text: &str) {
    eventually(&format!("«{text}» announced"), WAIT, || async {
        for role in ["alert", "status"] {
            for el in scope.all_by_role(role, "").await {
                if el.text().await.ok()?.contains(text) {
                    return Some(());
                }
            }
        }
        None
    })
    .await
}

/// Waits for `text` anywhere in the frame's document (frame mode, frame entered).
pub(crate) async fn shows(c: &Client, text: &str) {
    eventually(&format!("«{text}» on screen"), WAIT, || async {
        c.find(Locator::Css("body")).await.ok()?.text().await.ok()?.contains(text).then_some(())
    })
    .await
}

/// Reads the newest code for the phone from host-demo's demo SMS panel, as a newcomer does.
async fn code_from_panel(c: &Client, mode: Mode, before: &str) -> String {
    if mode == Mode::Frame {
        top(c).await;
    }
    let code = eventually("an SMS in the demo panel", WAIT, || async {
        let panel = Scope::Page(c).all_by_role("region", "SMS-симулятор").await.into_iter().next()?;
        let text = panel.text().await.ok()?;
        let newest = text.lines().find(|l| l.contains("Код "))?.to_owned();
        let code: String = newest.split_whitespace().find(|w| w.len() == 6 && w.bytes().all(|b| b.is_ascii_digit()))?.into();
        (code != before).then_some(code)
    })
    .await;
    code
}

async fn shot(b: &Browser, name: &str) {
    let _ = b.client.enter_parent_frame().await;
    // The frame resizes itself after a change and repaints a moment later; a picture taken in
    // between shows an empty frame.
    let _ = b.client.execute("window.scrollTo(0, 0)", vec![]).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    b.screenshot_full(&screenshot_path(&format!("signin-{name}"))).await;
}

pub(crate) async fn register_via_api(stack: &Stack) {
    let mut api = ApiClient::new(&stack.shim.loopback, &stack.site_url);
    let sim = stack.shim.state.sms_simulator().unwrap();
    let r = api
        .post(
            "/auth/register",
            &json!({"full_name": NAME, "phone": E164, "password": FIRST_PASSWORD, "consent_version": "2026-11-01"}),
        )
        .await;
    assert_eq!(r.status, 202);
    let code = next_code(sim, E164, 0).await;
    assert_eq!(api.post("/auth/register/confirm", &json!({"phone": E164, "code": code, "password": FIRST_PASSWORD})).await.status, 200);
}

async fn full_flow() {
    pkg_dir();
    let logs = captured_logs();
    // One person registering and then resetting within a minute would wait out the 60 s
    // resend cooldown (the API tests cover it); here it would only slow the run down.
    let stack = Stack::start_configured(Db::Sqlite, Layout::Subdomain, |c| c.auth.resend_cooldown_secs = 1).await;
    let b = Browser::start().await;
    b.viewport(360, 900).await;
    let c = &b.client;
    let mode = Mode::Frame;
    assert_eq!(open(&b, &stack, "cabinet", mode).await, "ready");

    // Login screen first; to registration.
    let w = widget(c, mode).await;
    heading(&w, "Вход в личный кабинет").await;
    shot(&b, "01-login").await;
    let w = widget(c, mode).await;
    press(&w, "Зарегистрироваться").await;
    heading(&w, "Регистрация").await;
    type_into(&w, "Фамилия Имя Отчество", NAME).await;
    type_into(&w, "Номер телефона", PHONE).await;
    type_into(&w, "Пароль", FIRST_PASSWORD).await;
    press(&w, "Прочитать согласие").await;
    eventually("the consent text", WAIT, || async {
        let t = c.find(Locator::Css("body")).await.ok()?.text().await.ok()?;
        t.contains("152-ФЗ").then_some(())
    })
    .await;
    w.by_role("checkbox", "согласие на обработку персональных данных", WAIT).await.click().await.unwrap();
    shot(&b, "02-register").await;
    let w = widget(c, mode).await;
    press(&w, "Получить код").await;
    shows(c, "Если данные совпадают с данными клиента").await;
    shot(&b, "03-register-code").await;

    let code = code_from_panel(c, mode, "").await;
    let w = widget(c, mode).await;
    type_into(&w, "Код из SMS", &code).await;
    press(&w, "Подтвердить").await;
    heading(&w, "Здравствуйте, Мария Петровна!").await;
    shot(&b, "04-home").await;

    // Log out, then a wrong password.
    let w = widget(c, mode).await;
    press(&w, "Выйти").await;
    heading(&w, "Вход в личный кабинет").await;
    announced(&w, "Вы вышли из кабинета.").await;
    type_into(&w, "Номер телефона", PHONE).await;
    type_into(&w, "Пароль", "совсем не тот пароль").await;
    press(&w, "Войти").await;
    announced(&w, "Неверный номер телефона или пароль.").await;
    let text = c.find(Locator::Css("body")).await.unwrap().text().await.unwrap();
    assert!(!text.contains("Вы вышли из кабинета."), "the old notice gives way to the attempt's outcome");
    shot(&b, "05-wrong-password").await;

    // Forgot password: a code, a new password, then log in with it.
    let w = widget(c, mode).await;
    press(&w, "Забыли пароль?").await;
    heading(&w, "Восстановление пароля").await;
    type_into(&w, "Номер телефона", PHONE).await;
    shot(&b, "06-reset").await;
    let w = widget(c, mode).await;
    press(&w, "Получить код").await;
    w.by_role_exact("textbox", "Код из SMS", WAIT).await;
    shot(&b, "06b-reset-code").await;
    let code = code_from_panel(c, mode, &code).await;
    let w = widget(c, mode).await;
    type_into(&w, "Код из SMS", &code).await;
    type_into(&w, "Новый пароль", RESET_PASSWORD).await;
    press(&w, "Сохранить пароль").await;
    heading(&w, "Вход в личный кабинет").await;
    announced(&w, "Пароль изменён. Войдите с новым паролем.").await;
    type_into(&w, "Номер телефона", PHONE).await;
    type_into(&w, "Пароль", RESET_PASSWORD).await;
    press(&w, "Войти").await;
    heading(&w, "Здравствуйте, Мария Петровна!").await;

    // Profile: change the password.
    press(&w, "Профиль").await;
    heading(&w, "Смена пароля").await;
    type_into(&w, "Текущий пароль", RESET_PASSWORD).await;
    type_into(&w, "Новый пароль", LAST_PASSWORD).await;
    press(&w, "Сменить пароль").await;
    announced(&w, "Пароль изменён.").await;
    shot(&b, "07-profile").await;

    // A reload keeps the session (the cookie carried it).
    c.refresh().await.unwrap();
    let w = widget(c, mode).await;
    heading(&w, "Здравствуйте, Мария Петровна!").await;

    // Profile: change the phone, with the password and a code to each number.
    press(&w, "Профиль").await;
    heading(&w, "Смена номера телефона").await;
    let sim = stack.shim.state.sms_simulator().unwrap().clone();
    let (old_before, new_before) = (sms_count(&sim, E164), sms_count(&sim, NEW_E164));
    type_into(&w, "Новый номер", NEW_PHONE).await;
    type_into(&w, "Пароль", LAST_PASSWORD).await;
    press(&w, "Получить коды").await;
    let code_old = next_code(&sim, E164, old_before).await;
    let code_new = next_code(&sim, NEW_E164, new_before).await;
    type_into(&w, "Код из SMS на старый номер", &code_old).await;
    type_into(&w, "Код из SMS на новый номер", &code_new).await;
    shot(&b, "08-phone-codes").await;
    let w = widget(c, mode).await;
    press(&w, "Подтвердить").await;
    announced(&w, "Номер телефона изменён.").await;

    // Out, and in again with the new phone and the last password.
    press(&w, "Назад").await;
    heading(&w, "Здравствуйте, Мария Петровна!").await;
    press(&w, "Выйти").await;
    heading(&w, "Вход в личный кабинет").await;
    type_into(&w, "Номер телефона", NEW_PHONE).await;
    type_into(&w, "Пароль", LAST_PASSWORD).await;
    press(&w, "Войти").await;
    heading(&w, "Здравствуйте, Мария Петровна!").await;
    let cookies = b.all_cookies().await;
    let token = cookies.iter().find(|(n, _)| n == "__Host-kabinet_sid").map(|(_, v)| v.clone()).expect("session cookie");

    let events: Vec<String> = stack.shim.state.store().audit_rows(0, 1000).await.unwrap().into_iter().map(|r| r.event).collect();
    for e in ["registration_completed", "logout", "login_failed", "password_reset", "password_changed", "phone_changed", "login_succeeded"] {
        assert!(events.iter().any(|x| x == e), "{e} not journaled");
    }

    // Nothing secret reached the logs.
    let text = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    assert!(text.contains("request"), "the logs were captured");
    for secret in [FIRST_PASSWORD, RESET_PASSWORD, LAST_PASSWORD, &code, &code_old, &code_new, &token] {
        assert!(!text.contains(secret), "a secret ({}…) is in the logs", &secret[..3.min(secret.len())]);
    }
    b.close().await;
    stack.stop().await;
}

#[tokio::test]
async fn register_logout_login_reset_and_change_password_in_frame_mode() {
    within(300, full_flow()).await
}

async fn inline_login() {
    pkg_dir();
    let stack = Stack::start(Db::Sqlite).await;
    register_via_api(&stack).await;
    let b = Browser::start().await;
    let c = &b.client;
    assert_eq!(open(&b, &stack, "cabinet", Mode::Inline).await, "ready");
    let w = widget(c, Mode::Inline).await;
    type_into(&w, "Номер телефона", PHONE).await;
    type_into(&w, "Пароль", FIRST_PASSWORD).await;
    press(&w, "Войти").await;
    heading(&w, "Здравствуйте, Мария Петровна!").await;
    b.screenshot_full(&screenshot_path("signin-inline-home")).await;
    b.close().await;
    stack.stop().await;
}

#[tokio::test]
async fn a_login_in_inline_mode() {
    within(180, inline_login()).await
}

async fn other_site() {
    pkg_dir();
    let stack = Stack::start_with(Db::Sqlite, Layout::OtherSite).await;
    register_via_api(&stack).await;
    let b = Browser::start_blocking_third_party_cookies().await;
    let c = &b.client;
    assert_eq!(open(&b, &stack, "cabinet", Mode::Frame).await, "ready");
    b.screenshot_full(&screenshot_path("signin-other-site-login")).await;
    let w = widget(c, Mode::Frame).await;
    type_into(&w, "Номер телефона", PHONE).await;
    type_into(&w, "Пароль", FIRST_PASSWORD).await;
    press(&w, "Войти").await;
    heading(&w, "Здравствуйте, Мария Петровна!").await;
    // A reload asks the shim who is signed in: only a cookie the browser kept answers yes.
    top(c).await;
    c.refresh().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let w = widget(c, Mode::Frame).await;
    heading(&w, "Здравствуйте, Мария Петровна!").await;
    b.screenshot_full(&screenshot_path("signin-other-site-home")).await;
    b.close().await;
    stack.stop().await;
}

#[tokio::test]
async fn a_shim_on_another_site_keeps_the_session_with_third_party_cookies_blocked() {
    within(180, other_site()).await
}
