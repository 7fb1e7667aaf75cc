//! Sign-in through the real shim on port 0, with the SMS simulator and a clock the tests move:
//! registration, login, reset, changes, enumeration resistance, hostile input, code rules,
//! send limits, login delays and sessions, on SQLite and (shared by two instances) PostgreSQL.

use kabinet_api::auth::{CodeSent, SessionInfo};
use kabinet_api::ErrorCode;
use kabinet_shim::clock::ManualClock;
use kabinet_shim::config::CookieLayout;
use kabinet_tests::client::{next_code, next_sms, sms_count, Client, Resp};
use kabinet_tests::Db;
use serde_json::json;
use time::macros::datetime;

use kabinet_tests::env::*;

#[tokio::test]
async fn register_login_logout_reset_and_change_password() {
    let env = Env::start(Db::Sqlite, |_| {}).await;
    let sim = env.sim().clone();

    // The consent document is served with the version the registration sends back.
    let consent = env.client().get("/auth/consent").await;
    assert_eq!(consent.status, 200);
    assert_eq!(consent.json::<kabinet_api::auth::ConsentDocument>().version, CONSENT);

    // Registration: the name may be typed in any case and with ё or е.
    let mut c = env.client();
    let r = c.post("/auth/register", &register_body("иванова  мария пётровна", "8 (916) 123-45-67", PASSWORD)).await;
    assert_eq!(r.status, 202);
    assert_eq!(r.json::<CodeSent>(), CodeSent { resend_after_secs: 60, expires_in_secs: 300 });
    let code = next_code(&sim, MARIA_PHONE, 0).await;
    let sms = sim.messages().into_iter().rev().find(|m| m.phone == MARIA_PHONE).unwrap();
    assert!(sms.text.contains("Никому не сообщайте код"), "{}", sms.text);
    let r = c.post("/auth/register/confirm", &json!({"phone": MARIA_PHONE, "code": code, "password": PASSWORD})).await;
    assert_eq!(r.status, 200);
    let info: SessionInfo = r.json();
    assert_eq!(info.client.full_name, MARIA);
    assert_eq!(info.client.greeting_name, "Мария Петровна");
    let cookie = r.header("set-cookie").unwrap().to_owned();
    assert!(cookie.starts_with("__Host-kabinet_sid="), "{cookie}");
    for attr in ["Path=/", "Secure", "HttpOnly", "SameSite=Lax"] {
        assert!(cookie.contains(attr), "{attr} missing in {cookie}");
    }
    assert!(cookie.len() < 4096);
    assert_eq!(c.get("/auth/session").await.json::<SessionInfo>().client.full_name, MARIA);

    // The consent acceptance is stored with its version and time.
    let (version, at): (String, i64) = sqlx::query_as("SELECT version, accepted_at FROM consents")
        .fetch_one(env.shim.state.store().pool())
        .await
        .unwrap();
    assert_eq!((version.as_str(), at), (CONSENT, datetime!(2026-11-22 09:00 UTC).unix_timestamp()));
    // The provider's message id is kept as evidence.
    let (provider, message_id): (String, String) =
        sqlx::query_as("SELECT provider, message_id FROM sms_messages WHERE phone = $1 ORDER BY id LIMIT 1")
            .bind(MARIA_PHONE)
            .fetch_one(env.shim.state.store().pool())
            .await
            .unwrap();
    assert_eq!(provider, "smsru");
    assert_eq!(message_id, sms.id);

    // Logout ends the session on the server at once.
    let old = c.token.clone();
    let r = c.post("/auth/logout", &json!({})).await;
    assert_eq!(r.status, 204);
    assert!(r.header("set-cookie").unwrap().contains("Max-Age=0"));
    c.token = old;
    assert_eq!(c.get("/auth/session").await.err(), (401, ErrorCode::Unauthenticated));

    // Login, then a wrong password.
    let (mut c, r) = env.login("+7 916 123 45 67", PASSWORD).await;
    assert_eq!(r.status, 200);
    assert_eq!(env.login(MARIA_PHONE, "не-тот-пароль-1").await.1.err(), (401, ErrorCode::InvalidCredentials));

    // Reset: a code, a new password; every session ends and the client is told by SMS.
    env.advance(61);
    let mut other = env.client();
    let before = sms_count(&sim, MARIA_PHONE);
    let r = other.post("/auth/reset", &json!({"phone": MARIA_PHONE})).await;
    assert_eq!(r.status, 202);
    let code = next_code(&sim, MARIA_PHONE, before).await;
    let before = sms_count(&sim, MARIA_PHONE);
    let r = other
        .post("/auth/reset/confirm", &json!({"phone": MARIA_PHONE, "code": code, "new_password": "новый пароль 2026"}))
        .await;
    assert_eq!(r.status, 204);
    assert!(other.token.is_none(), "a reset does not sign in");
    assert_eq!(c.get("/auth/session").await.err(), (401, ErrorCode::Unauthenticated));
    let notice = next_sms(&sim, MARIA_PHONE, before).await;
    assert!(notice.contains("изменён"), "{notice}");
    assert_eq!(env.login(MARIA_PHONE, PASSWORD).await.1.err(), (401, ErrorCode::InvalidCredentials));
    let (mut c, r) = env.login(MARIA_PHONE, "новый пароль 2026").await;
    assert_eq!(r.status, 200);

    // Change the password: the current one is required; other sessions end, this one stays.
    let (mut second, _) = env.login(MARIA_PHONE, "новый пароль 2026").await;
    let r = c.post("/auth/password", &json!({"current_password": "неверный", "new_password": "третий пароль 3"})).await;
    assert_eq!(r.err(), (422, ErrorCode::WrongPassword));
    let r = c.post("/auth/password", &json!({"current_password": "новый пароль 2026", "new_password": "Password1!"})).await;
    assert_eq!(r.err(), (422, ErrorCode::PasswordCommon));
    let r = c
        .post("/auth/password", &json!({"current_password": "новый пароль 2026", "new_password": "третий пароль 3"}))
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(c.get("/auth/session").await.status, 200);
    assert_eq!(second.get("/auth/session").await.err(), (401, ErrorCode::Unauthenticated));
    assert_eq!(env.login(MARIA_PHONE, "третий пароль 3").await.1.status, 200);

    // Everything is in the journal, with the seed's words for the kind of login.
    let events = env.events().await;
    for kind in [
        "registration_started",
        "sms_sent",
        "code_accepted",
        "registration_completed",
        "login_succeeded",
        "login_failed",
        "logout",
        "password_reset_started",
        "password_reset",
        "password_changed",
    ] {
        assert!(events.iter().any(|(e, _)| e == kind), "{kind} not journaled");
    }
    assert!(events.iter().any(|(e, d)| e == "login_succeeded" && d == "Тип авторизации: ПоМобильномуИПаролю"));
    assert!(events.iter().any(|(e, d)| e == "sms_sent" && d.contains(&sms.id)));
    env.shim.stop().await;
}

#[tokio::test]
async fn phone_change_needs_the_password_and_both_codes_and_ends_every_session() {
    let env = Env::start(Db::Sqlite, |_| {}).await;
    let sim = env.sim().clone();
    let mut c = env.register(SERGEY, SERGEY_PHONE).await;
    let (mut other, _) = env.login(SERGEY_PHONE, PASSWORD).await;
    let new_phone = "+79035550000";
    // The old number's own send limits count too (its registration code went a moment ago).
    let r = c.post("/auth/phone", &json!({"new_phone": new_phone, "password": PASSWORD})).await;
    assert_eq!(r.err(), (429, ErrorCode::RateLimited));
    env.advance(61);

    let r = c.post("/auth/phone", &json!({"new_phone": new_phone, "password": "не тот пароль"})).await;
    assert_eq!(r.err(), (422, ErrorCode::WrongPassword));
    let r = c.post("/auth/phone", &json!({"new_phone": SERGEY_PHONE, "password": PASSWORD})).await;
    assert_eq!(r.err(), (409, ErrorCode::SamePhone));
    let r = c.post("/auth/phone", &json!({"new_phone": "+77011234567", "password": PASSWORD})).await;
    assert_eq!(r.err(), (422, ErrorCode::PhoneNotMobile));

    let (old_before, new_before) = (sms_count(&sim, SERGEY_PHONE), sms_count(&sim, new_phone));
    let r = c.post("/auth/phone", &json!({"new_phone": new_phone, "password": PASSWORD})).await;
    assert_eq!(r.status, 202);
    let code_old = next_code(&sim, SERGEY_PHONE, old_before).await;
    let code_new = next_code(&sim, new_phone, new_before).await;
    // The codes are not interchangeable.
    let r = c
        .post("/auth/phone/confirm", &json!({"new_phone": new_phone, "code_old": code_new, "code_new": code_old}))
        .await;
    assert_eq!(r.status, 422);

    let r = c.post("/auth/phone", &json!({"new_phone": new_phone, "password": PASSWORD})).await;
    assert_eq!(r.err(), (429, ErrorCode::RateLimited), "resend cooldown");
    env.advance(61);
    let (old_before, new_before) = (sms_count(&sim, SERGEY_PHONE), sms_count(&sim, new_phone));
    assert_eq!(c.post("/auth/phone", &json!({"new_phone": new_phone, "password": PASSWORD})).await.status, 202);
    let code_old = next_code(&sim, SERGEY_PHONE, old_before).await;
    let code_new = next_code(&sim, new_phone, new_before).await;
    // A typo in the second code does not spend the first: both still work after it.
    let typo = if code_new == "111111" { "222222" } else { "111111" };
    let r = c.post("/auth/phone/confirm", &json!({"new_phone": new_phone, "code_old": code_old, "code_new": typo})).await;
    assert_eq!(r.err(), (422, ErrorCode::CodeInvalid));
    let old_token = c.token.clone();
    let r = c
        .post("/auth/phone/confirm", &json!({"new_phone": new_phone, "code_old": code_old, "code_new": code_new}))
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json::<SessionInfo>().client.phone, new_phone);
    assert_ne!(c.token, old_token, "a new session for this browser");
    assert_eq!(c.get("/auth/session").await.status, 200);
    assert_eq!(other.get("/auth/session").await.err(), (401, ErrorCode::Unauthenticated));
    let mut stale = env.client();
    stale.token = old_token;
    assert_eq!(stale.get("/auth/session").await.err(), (401, ErrorCode::Unauthenticated));
    assert_eq!(env.login(SERGEY_PHONE, PASSWORD).await.1.err(), (401, ErrorCode::InvalidCredentials));
    assert_eq!(env.login(new_phone, PASSWORD).await.1.status, 200);
    assert!(env.events().await.iter().any(|(e, _)| e == "phone_changed"));
    env.shim.stop().await;
}

/// Everything of an answer but what differs on every request anyway.
fn fingerprint(r: &Resp) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut headers: Vec<(String, String)> = r
        .headers
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "x-request-id" | "date"))
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    headers.sort();
    // Error bodies quote the request id; everything else must match byte for byte.
    let body = match serde_json::from_slice::<serde_json::Value>(&r.body) {
        Ok(serde_json::Value::Object(mut m)) if m.contains_key("request_id") => {
            m.remove("request_id");
            serde_json::to_vec(&m).unwrap()
        }
        _ => r.body.clone(),
    };
    (r.status, headers, body)
}

#[tokio::test]
async fn found_and_not_found_answer_byte_for_byte_the_same() {
    let env = Env::start(Db::Sqlite, |c| c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()]).await;
    let mut c = env.client();
    c.forwarded_for = Some("198.51.100.1".into());
    let found = c.post("/auth/register", &register_body(MARIA, MARIA_PHONE, PASSWORD)).await;
    c.forwarded_for = Some("198.51.100.2".into());
    let wrong_name = c.post("/auth/register", &register_body("Иванова Марина Петровна", "+79161234568", PASSWORD)).await;
    c.forwarded_for = Some("198.51.100.3".into());
    let stranger = c.post("/auth/register", &register_body("Сидоров Иван Ильич", "+79500000001", PASSWORD)).await;
    assert_eq!(found.status, 202);
    assert_eq!(fingerprint(&found), fingerprint(&wrong_name));
    assert_eq!(fingerprint(&found), fingerprint(&stranger));
    next_code(env.sim(), MARIA_PHONE, 0).await;
    assert_eq!(sms_count(env.sim(), "+79500000001"), 0, "no SMS to a stranger");

    // A wrong code for the stranger's decoy is answered like a wrong code for a client.
    let a = c.post("/auth/register/confirm", &json!({"phone": MARIA_PHONE, "code": "000000", "password": PASSWORD})).await;
    let b = c.post("/auth/register/confirm", &json!({"phone": "+79500000001", "code": "000000", "password": PASSWORD})).await;
    assert_eq!(fingerprint(&a), fingerprint(&b));

    // Reset: a registered phone and an unknown one.
    let _sergey = env.register(SERGEY, SERGEY_PHONE).await;
    env.advance(61);
    c.forwarded_for = Some("198.51.100.4".into());
    let known = c.post("/auth/reset", &json!({"phone": SERGEY_PHONE})).await;
    c.forwarded_for = Some("198.51.100.5".into());
    let unknown = c.post("/auth/reset", &json!({"phone": "+79500000002"})).await;
    assert_eq!(known.status, 202);
    assert_eq!(fingerprint(&known), fingerprint(&unknown));

    // Login: wrong password, unknown phone, and a locked account with the right password.
    let wrong = env.login(SERGEY_PHONE, "не тот пароль").await.1;
    let nobody = env.login("+79500000003", "не тот пароль").await.1;
    assert_eq!(fingerprint(&wrong), fingerprint(&nobody));
    sqlx::query("INSERT INTO login_failures (phone, failures, last_failure_at) VALUES ($1, 100, 0) \
                 ON CONFLICT (phone) DO UPDATE SET failures = 100, last_failure_at = 0")
        .bind(SERGEY_PHONE)
        .execute(env.shim.state.store().pool())
        .await
        .unwrap();
    let locked = env.login(SERGEY_PHONE, PASSWORD).await.1;
    assert_eq!(fingerprint(&locked), fingerprint(&wrong));
    env.shim.stop().await;
}

#[tokio::test]
async fn bad_input_gets_a_stable_code_and_changes_nothing() {
    let env = Env::start(Db::Sqlite, |_| {}).await;
    let _c = env.register(MARIA, MARIA_PHONE).await;
    let before = env.count_rows().await;
    let mut c = env.client();
    let base = env.shim.loopback.clone();
    let cases: Vec<(&str, serde_json::Value, u16, ErrorCode)> = vec![
        ("/auth/register", register_body(MARIA, "12345", PASSWORD), 422, ErrorCode::InvalidPhone),
        ("/auth/register", register_body(MARIA, "+7 916 abc 45 67", PASSWORD), 422, ErrorCode::InvalidPhone),
        ("/auth/register", register_body(MARIA, "+77011234567", PASSWORD), 422, ErrorCode::PhoneNotMobile),
        ("/auth/register", register_body("", MARIA_PHONE, PASSWORD), 422, ErrorCode::InvalidName),
        ("/auth/register", register_body("Иванова", MARIA_PHONE, PASSWORD), 422, ErrorCode::InvalidName),
        ("/auth/register", register_body("<b>Иванова</b> Мария", MARIA_PHONE, PASSWORD), 422, ErrorCode::InvalidName),
        ("/auth/register", register_body(MARIA, MARIA_PHONE, "short"), 422, ErrorCode::PasswordTooShort),
        ("/auth/register", register_body(MARIA, MARIA_PHONE, "Password1!"), 422, ErrorCode::PasswordCommon),
        ("/auth/register", register_body(MARIA, MARIA_PHONE, "79161234567"), 422, ErrorCode::PasswordLikePhone),
        (
            "/auth/register",
            json!({"full_name": MARIA, "phone": MARIA_PHONE, "password": PASSWORD, "consent_version": "2020-01-01"}),
            422,
            ErrorCode::ConsentRequired,
        ),
        (
            "/auth/register",
            json!({"full_name": MARIA, "phone": MARIA_PHONE, "password": PASSWORD, "consent_version": CONSENT, "admin": true}),
            400,
            ErrorCode::InvalidJson,
        ),
        ("/auth/register", json!({"full_name": MARIA, "phone": MARIA_PHONE}), 400, ErrorCode::InvalidJson),
        ("/auth/register", json!([1, 2, 3]), 400, ErrorCode::InvalidJson),
        ("/auth/login", json!({"phone": "not a phone", "password": PASSWORD}), 422, ErrorCode::InvalidPhone),
        ("/auth/reset", json!({"phone": ""}), 422, ErrorCode::InvalidPhone),
        ("/auth/register/confirm", json!({"phone": "+7", "code": "123456", "password": PASSWORD}), 422, ErrorCode::InvalidPhone),
        ("/auth/password", json!({"current_password": "x", "new_password": "y"}), 401, ErrorCode::Unauthenticated),
    ];
    for (path, body, status, code) in cases {
        let r = c.post(path, &body).await;
        assert_eq!(r.err(), (status, code), "{path} {body}");
        assert!(!r.json::<kabinet_api::ApiError>().message.is_empty());
    }

    let url = format!("{base}/api/v1/auth/register");
    let http = reqwest::Client::new();
    let valid = register_body(MARIA, MARIA_PHONE, PASSWORD).to_string();
    // A 10 MB body.
    let huge = format!("{{\"full_name\":\"{}\"}}", "я".repeat(5 * 1024 * 1024));
    let r = c.send(http.post(&url).header("origin", SITE).header("content-type", "application/json").body(huge)).await;
    assert_eq!(r.err(), (413, ErrorCode::PayloadTooLarge));
    // Malformed JSON.
    let r = c.send(http.post(&url).header("origin", SITE).header("content-type", "application/json").body("{\"full_name\":")).await;
    assert_eq!(r.err(), (400, ErrorCode::InvalidJson));
    // Wrong content type, and a form POST as a cross-site attacker would send.
    let r = c.send(http.post(&url).header("origin", SITE).header("content-type", "text/plain").body(valid.clone())).await;
    assert_eq!(r.err(), (415, ErrorCode::UnsupportedMediaType));
    let r = c
        .send(
            http.post(&url)
                .header("origin", SITE)
                .header("content-type", "application/x-www-form-urlencoded")
                .body("full_name=x&phone=y"),
        )
        .await;
    assert_eq!(r.err(), (415, ErrorCode::UnsupportedMediaType));
    // A foreign Origin, a null Origin, no Origin at all.
    for origin in [Some("https://evil.ru"), Some("http://company.localhost:8000.evil.ru"), Some("null"), None] {
        let mut req = http.post(&url).header("content-type", "application/json").body(valid.clone());
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        let r = c.send(req).await;
        assert_eq!(r.err(), (403, ErrorCode::ForbiddenOrigin), "{origin:?}");
        assert!(r.header("access-control-allow-origin").is_none());
    }
    // A spoofed X-Forwarded-For from a peer that is not a configured proxy.
    let r = c
        .send(
            http.post(&url)
                .header("origin", SITE)
                .header("content-type", "application/json")
                .header("x-forwarded-for", "203.0.113.9")
                .body(valid.clone()),
        )
        .await;
    assert_eq!(r.err(), (400, ErrorCode::UntrustedForwarding));

    assert_eq!(env.count_rows().await, before, "bad input must not change any table");
    env.shim.stop().await;
}

#[tokio::test]
async fn codes_expire_are_single_use_bound_to_purpose_and_counted() {
    let env = Env::start(Db::Sqlite, |_| {}).await;
    let sim = env.sim().clone();
    let mut c = env.client();

    // Expired: the clock moves past five minutes.
    c.post("/auth/register", &register_body(MARIA, MARIA_PHONE, PASSWORD)).await;
    let code = next_code(&sim, MARIA_PHONE, 0).await;
    env.advance(301);
    let r = c.post("/auth/register/confirm", &json!({"phone": MARIA_PHONE, "code": code, "password": PASSWORD})).await;
    assert_eq!(r.err(), (422, ErrorCode::CodeExpired));

    // Wrong, then right, then used.
    let before = sms_count(&sim, MARIA_PHONE);
    c.post("/auth/register", &register_body(MARIA, MARIA_PHONE, PASSWORD)).await;
    let code = next_code(&sim, MARIA_PHONE, before).await;
    let wrong = if code == "111111" { "222222" } else { "111111" };
    let r = c.post("/auth/register/confirm", &json!({"phone": MARIA_PHONE, "code": wrong, "password": PASSWORD})).await;
    assert_eq!(r.err(), (422, ErrorCode::CodeInvalid));
    // A registration code is no reset code.
    let r = c
        .post("/auth/reset/confirm", &json!({"phone": MARIA_PHONE, "code": code, "new_password": "другой пароль 9"}))
        .await;
    assert_eq!(r.err(), (422, ErrorCode::CodeInvalid));
    let r = c.post("/auth/register/confirm", &json!({"phone": MARIA_PHONE, "code": code, "password": PASSWORD})).await;
    assert_eq!(r.status, 200);
    let r = c.post("/auth/register/confirm", &json!({"phone": MARIA_PHONE, "code": code, "password": PASSWORD})).await;
    assert_eq!(r.err(), (422, ErrorCode::CodeUsed));

    // Five wrong tries, then even the right code is refused.
    env.advance(61);
    let before = sms_count(&sim, MARIA_PHONE);
    assert_eq!(c.post("/auth/reset", &json!({"phone": MARIA_PHONE})).await.status, 202);
    let code = next_code(&sim, MARIA_PHONE, before).await;
    let wrong = if code == "111111" { "222222" } else { "111111" };
    let body = |code: &str| json!({"phone": MARIA_PHONE, "code": code, "new_password": "другой пароль 9"});
    for _ in 0..5 {
        assert_eq!(c.post("/auth/reset/confirm", &body(wrong)).await.err(), (422, ErrorCode::CodeInvalid));
    }
    assert_eq!(c.post("/auth/reset/confirm", &body(&code)).await.err(), (422, ErrorCode::CodeAttemptsExceeded));
    let rejected = env.events().await.iter().filter(|(e, _)| e == "code_rejected").count();
    assert!(rejected >= 7, "refusals are journaled");
    env.shim.stop().await;
}

#[tokio::test]
async fn concurrent_code_submissions_are_counted_atomically() {
    for db in [Db::Sqlite, Db::Postgres(kabinet_tests::postgres_server_url())] {
        let env = Env::start(db.clone(), |_| {}).await;
        let sim = env.sim().clone();
        let mut c = env.client();
        c.post("/auth/register", &register_body(MARIA, MARIA_PHONE, PASSWORD)).await;
        let code = next_code(&sim, MARIA_PHONE, 0).await;
        let wrong = if code == "111111" { "222222" } else { "111111" };

        // 50 wrong guesses at once: at most 5 are compared.
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let mut c = env.client();
                tokio::spawn(async move {
                    c.post("/auth/register/confirm", &json!({"phone": MARIA_PHONE, "code": wrong, "password": PASSWORD})).await.code()
                })
            })
            .collect();
        let mut checked = 0;
        for t in tasks {
            match t.await.unwrap() {
                ErrorCode::CodeInvalid => checked += 1,
                ErrorCode::CodeAttemptsExceeded => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        assert!(checked <= 5, "{checked} guesses were compared on {db:?}");
        assert_eq!(checked, 5, "exactly the allowed five are compared on {db:?}");

        // One right code sent 8 times at once: exactly one success.
        env.advance(61);
        let before = sms_count(&sim, SERGEY_PHONE);
        c.post("/auth/register", &register_body(SERGEY, SERGEY_PHONE, PASSWORD)).await;
        let code = next_code(&sim, SERGEY_PHONE, before).await;
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let mut c = env.client();
                let code = code.clone();
                tokio::spawn(async move {
                    c.post("/auth/register/confirm", &json!({"phone": SERGEY_PHONE, "code": code, "password": PASSWORD})).await.status
                })
            })
            .collect();
        let mut ok = 0;
        for t in tasks {
            if t.await.unwrap() == 200 {
                ok += 1;
            }
        }
        assert_eq!(ok, 1, "one right code, eight submissions, on {db:?}");
        let users: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM cabinet_users").fetch_one(env.shim.state.store().pool()).await.unwrap();
        assert_eq!(users.0, 1);
        env.shim.stop().await;
    }
}

#[tokio::test]
async fn send_limits_refuse_with_retry_after() {
    let env = Env::start(Db::Sqlite, |c| {
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        c.auth.sms_daily_budget = 40;
    })
    .await;
    let mut c = env.client();
    let ip = |c: &mut Client, n: u32| c.forwarded_for = Some(format!("198.51.100.{n}"));
    let reset = |phone: &str| json!({"phone": phone});

    // Cooldown: the second request within 60 s.
    ip(&mut c, 1);
    assert_eq!(c.post("/auth/reset", &reset("+79001110001")).await.status, 202);
    let r = c.post("/auth/reset", &reset("+79001110001")).await;
    assert_eq!(r.err(), (429, ErrorCode::RateLimited));
    assert_eq!(r.retry_after(), Some(60));
    assert_eq!(r.json::<kabinet_api::ApiError>().retry_after_secs, Some(60));
    env.advance(45);
    assert_eq!(c.post("/auth/reset", &reset("+79001110001")).await.retry_after(), Some(15));

    // Three per phone per 15 minutes.
    env.advance(16);
    assert_eq!(c.post("/auth/reset", &reset("+79001110001")).await.status, 202);
    env.advance(61);
    assert_eq!(c.post("/auth/reset", &reset("+79001110001")).await.status, 202);
    env.advance(61);
    let r = c.post("/auth/reset", &reset("+79001110001")).await;
    assert_eq!(r.status, 429, "the 4th within 15 minutes");
    // The first of the three was 183 s ago; it leaves the window in 900 − 183 s.
    assert_eq!(r.retry_after(), Some(900 - 183));

    // Ten per phone per day.
    for _ in 0..7 {
        env.advance(15 * 60);
        assert_eq!(c.post("/auth/reset", &reset("+79001110001")).await.status, 202);
    }
    env.advance(15 * 60);
    let r = c.post("/auth/reset", &reset("+79001110001")).await;
    assert_eq!(r.status, 429, "the 11th within a day");
    assert!(r.retry_after().unwrap() > 3600);

    // Ten per IP per hour (IPv6 counted by /64), each to a different phone.
    env.advance(86_400);
    for n in 0..10 {
        c.forwarded_for = Some(format!("2001:db8:1:2::{n:x}"));
        assert_eq!(c.post("/auth/reset", &reset(&format!("+7902000{n:04}"))).await.status, 202, "ip {n}");
    }
    c.forwarded_for = Some("2001:db8:1:2:ffff::1".into());
    assert_eq!(c.post("/auth/reset", &reset("+79030000000")).await.status, 429, "the same /64");
    c.forwarded_for = Some("2001:db8:1:3::1".into());
    assert_eq!(c.post("/auth/reset", &reset("+79030000000")).await.status, 202, "another /64");

    // Twenty per number prefix per hour, from many IPs.
    env.advance(86_400);
    for n in 0..20 {
        ip(&mut c, 10 + n);
        assert_eq!(c.post("/auth/reset", &reset(&format!("+7904555{n:04}"))).await.status, 202, "prefix {n}");
    }
    ip(&mut c, 40);
    assert_eq!(c.post("/auth/reset", &reset("+79045559999")).await.status, 429, "21st under one prefix");

    // The daily budget breaker (40 here): 503 and no SMS at all.
    env.advance(86_400);
    let sent_before = env.sim().messages().len();
    let mut refused = None;
    for n in 0..45u32 {
        ip(&mut c, 100 + n);
        let r = c.post("/auth/reset", &reset(&format!("+79{:02}0000000", 10 + n))).await;
        if r.status != 202 {
            refused = Some((n, r.err()));
            break;
        }
    }
    assert_eq!(refused, Some((40, (503, ErrorCode::SmsUnavailable))));
    assert_eq!(env.sim().messages().len(), sent_before, "no client here: nothing was sent at all");
    env.shim.stop().await;
}

#[tokio::test]
async fn failed_logins_delay_then_lock_and_reset_unlocks() {
    let env = Env::start(Db::Sqlite, |_| {}).await;
    let sim = env.sim().clone();
    let _ = env.register(MARIA, MARIA_PHONE).await;
    for phone in [MARIA_PHONE, "+79500000009"] {
        for _ in 0..5 {
            assert_eq!(env.login(phone, "не тот пароль").await.1.err(), (401, ErrorCode::InvalidCredentials));
        }
        // Attempt 6 waits, for a client and for an unknown phone alike.
        let r = env.login(phone, PASSWORD).await.1;
        assert_eq!(r.err(), (429, ErrorCode::RateLimited), "{phone}");
        assert_eq!(r.retry_after(), Some(60));
    }
    env.advance(60);
    assert_eq!(env.login(MARIA_PHONE, "не тот пароль").await.1.status, 401);
    assert_eq!(env.login(MARIA_PHONE, PASSWORD).await.1.retry_after(), Some(120), "the delay grows");
    env.advance(120);
    assert_eq!(env.login(MARIA_PHONE, PASSWORD).await.1.status, 200, "success clears the counter");
    assert_eq!(env.login(MARIA_PHONE, "не тот пароль").await.1.status, 401);
    assert_eq!(env.login(MARIA_PHONE, PASSWORD).await.1.status, 200);

    // 100 failures in a row: password login stops, even with the right password.
    sqlx::query("INSERT INTO login_failures (phone, failures, last_failure_at) VALUES ($1, 99, 0) \
                 ON CONFLICT (phone) DO UPDATE SET failures = 99, last_failure_at = 0")
        .bind(MARIA_PHONE)
        .execute(env.shim.state.store().pool())
        .await
        .unwrap();
    env.advance(3600);
    assert_eq!(env.login(MARIA_PHONE, "не тот пароль").await.1.status, 401);
    env.advance(3600);
    assert_eq!(env.login(MARIA_PHONE, PASSWORD).await.1.err(), (401, ErrorCode::InvalidCredentials));
    // Reset works while locked and lifts the lock.
    let mut c = env.client();
    let before = sms_count(&sim, MARIA_PHONE);
    assert_eq!(c.post("/auth/reset", &json!({"phone": MARIA_PHONE})).await.status, 202);
    let code = next_code(&sim, MARIA_PHONE, before).await;
    let r = c.post("/auth/reset/confirm", &json!({"phone": MARIA_PHONE, "code": code, "new_password": "снова свой пароль"})).await;
    assert_eq!(r.status, 204);
    assert_eq!(env.login(MARIA_PHONE, "снова свой пароль").await.1.status, 200);
    env.shim.stop().await;
}

#[tokio::test]
async fn sessions_rotate_expire_and_end_on_logout() {
    let env = Env::start(Db::Sqlite, |_| {}).await;
    let _ = env.register(MARIA, MARIA_PHONE).await;

    // Fixation: a session id the browser brings is replaced at login and stops working.
    let (mut victim, _) = env.login(MARIA_PHONE, PASSWORD).await;
    let planted = victim.token.clone().unwrap();
    let mut c = env.client();
    c.token = Some(planted.clone());
    assert_eq!(c.post("/auth/login", &json!({"phone": MARIA_PHONE, "password": PASSWORD})).await.status, 200);
    assert_ne!(c.token.as_deref(), Some(planted.as_str()));
    assert_eq!(victim.get("/auth/session").await.status, 401, "the brought id is revoked");
    assert_eq!(c.get("/auth/session").await.status, 200);

    // Idle: 15 minutes without a request.
    env.advance(14 * 60);
    assert_eq!(c.get("/auth/session").await.status, 200, "activity keeps it alive");
    env.advance(14 * 60);
    assert_eq!(c.get("/auth/session").await.status, 200);
    env.advance(15 * 60 + 1);
    assert_eq!(c.get("/auth/session").await.err(), (401, ErrorCode::Unauthenticated));

    // Absolute: 12 hours however active.
    let (mut c, _) = env.login(MARIA_PHONE, PASSWORD).await;
    for _ in 0..(12 * 60 / 10 - 1) {
        env.advance(10 * 60);
        assert_eq!(c.get("/auth/session").await.status, 200);
    }
    env.advance(10 * 60);
    assert_eq!(c.get("/auth/session").await.err(), (401, ErrorCode::Unauthenticated));

    // Garbage and forged cookies are simply not sessions.
    for t in ["", "x", &"A".repeat(43), "../../etc/passwd"] {
        let mut f = env.client();
        f.token = Some(t.to_owned());
        assert_eq!(f.get("/auth/session").await.status, 401, "{t}");
    }
    env.shim.stop().await;
}

#[tokio::test]
async fn a_partitioned_layout_sets_a_chips_cookie() {
    let env = Env::start(Db::Sqlite, |c| {
        c.auth.cookie = CookieLayout::Partitioned;
        c.esia.enabled = false;
    })
    .await;
    let _ = env.register(MARIA, MARIA_PHONE).await;
    let (_, r) = env.login(MARIA_PHONE, PASSWORD).await;
    let cookie = r.header("set-cookie").unwrap();
    for attr in ["__Host-kabinet_sid=", "Path=/", "Secure", "HttpOnly", "SameSite=None", "Partitioned"] {
        assert!(cookie.contains(attr), "{attr} missing in {cookie}");
    }
    env.shim.stop().await;
}

#[tokio::test]
async fn two_instances_on_one_postgres_share_sessions_codes_and_limits() {
    let db_url = kabinet_tests::fresh_postgres_database().await;
    let clock = ManualClock::new(datetime!(2026-11-22 09:00 UTC));
    let a = Env::start_on(&db_url, tempfile::tempdir().unwrap(), clock.clone(), |_| {}).await;
    let b = Env::start_on(&db_url, tempfile::tempdir().unwrap(), clock.clone(), |_| {}).await;

    // Registration starts on A; the code is confirmed on B.
    let mut c = a.client();
    assert_eq!(c.post("/auth/register", &register_body(MARIA, MARIA_PHONE, PASSWORD)).await.status, 202);
    let code = next_code(a.sim(), MARIA_PHONE, 0).await;
    c.base = b.shim.loopback.clone();
    assert_eq!(c.post("/auth/register/confirm", &json!({"phone": MARIA_PHONE, "code": code, "password": PASSWORD})).await.status, 200);

    // A session made on B works on A, and logging out on A ends it on B.
    c.base = a.shim.loopback.clone();
    assert_eq!(c.get("/auth/session").await.status, 200);
    let token = c.token.clone();
    assert_eq!(c.post("/auth/logout", &json!({})).await.status, 204);
    let mut on_b = b.client();
    on_b.token = token;
    assert_eq!(on_b.get("/auth/session").await.status, 401);

    // Send limits count across both: the cooldown set on A holds on B.
    let mut x = a.client();
    assert_eq!(x.post("/auth/reset", &json!({"phone": SERGEY_PHONE})).await.status, 202);
    x.base = b.shim.loopback.clone();
    assert_eq!(x.post("/auth/reset", &json!({"phone": SERGEY_PHONE})).await.status, 429);
    // And so do login delays.
    for _ in 0..5 {
        assert_eq!(a.login(SERGEY_PHONE, "не тот пароль").await.1.status, 401);
    }
    assert_eq!(b.login(SERGEY_PHONE, "не тот пароль").await.1.status, 429);
    a.shim.stop().await;
    b.shim.stop().await;
}

#[tokio::test]
async fn old_code_requests_and_codes_are_pruned_but_evidence_stays() {
    let env = Env::start(Db::Sqlite, |_| {}).await;
    let _ = env.register(MARIA, MARIA_PHONE).await;
    let count = |t: &'static str| {
        let pool = env.shim.state.store().pool().clone();
        async move { sqlx::query_as::<_, (i64,)>(&format!("SELECT COUNT(*) FROM {t}")).fetch_one(&pool).await.unwrap().0 }
    };
    assert_eq!(env.shim.state.auth().prune(env.shim.state.now_secs()).await.unwrap(), 0, "nothing is old yet");
    env.advance(2 * 86_400);
    assert!(env.shim.state.auth().prune(env.shim.state.now_secs()).await.unwrap() >= 2);
    assert_eq!((count("sms_requests").await, count("sms_codes").await), (0, 0));
    assert_eq!(count("sms_messages").await, 1, "the SMS evidence is kept");
    env.shim.stop().await;
}

#[tokio::test]
async fn whoever_asks_for_a_code_cannot_choose_the_password_it_opens() {
    let env = Env::start(Db::Sqlite, |_| {}).await;
    let sim = env.sim().clone();
    // The client asks for a code; an attacker who knows the name and phone asks again later,
    // with a password of their own; the client types the newest code with their password.
    let mut client = env.client();
    assert_eq!(client.post("/auth/register", &register_body(MARIA, MARIA_PHONE, PASSWORD)).await.status, 202);
    let _ = next_code(&sim, MARIA_PHONE, 0).await;
    env.advance(61);
    let mut attacker = env.client();
    let before = sms_count(&sim, MARIA_PHONE);
    assert_eq!(attacker.post("/auth/register", &register_body(MARIA, MARIA_PHONE, "пароль злоумышленника")).await.status, 202);
    let code = next_code(&sim, MARIA_PHONE, before).await;
    let r = client.post("/auth/register/confirm", &json!({"phone": MARIA_PHONE, "code": code, "password": PASSWORD})).await;
    assert_eq!(r.status, 200);
    assert_eq!(env.login(MARIA_PHONE, "пароль злоумышленника").await.1.status, 401);
    assert_eq!(env.login(MARIA_PHONE, PASSWORD).await.1.status, 200);
    // A weak password at the code step is refused before the code is spent.
    let mut c = env.client();
    env.advance(61);
    let before = sms_count(&sim, SERGEY_PHONE);
    c.post("/auth/register", &register_body(SERGEY, SERGEY_PHONE, PASSWORD)).await;
    let code = next_code(&sim, SERGEY_PHONE, before).await;
    let r = c.post("/auth/register/confirm", &json!({"phone": SERGEY_PHONE, "code": code, "password": "Password1!"})).await;
    assert_eq!(r.err(), (422, ErrorCode::PasswordCommon));
    let r = c.post("/auth/register/confirm", &json!({"phone": SERGEY_PHONE, "code": code, "password": PASSWORD})).await;
    assert_eq!(r.status, 200);
    env.shim.stop().await;
}

#[tokio::test]
async fn parallel_password_guesses_cannot_outrun_the_delay() {
    for db in [Db::Sqlite, Db::Postgres(kabinet_tests::postgres_server_url())] {
        let env = Env::start(db.clone(), |_| {}).await;
        let _ = env.register(MARIA, MARIA_PHONE).await;
        let tasks: Vec<_> = (0..30)
            .map(|_| {
                let mut c = env.client();
                tokio::spawn(async move {
                    c.post("/auth/login", &json!({"phone": MARIA_PHONE, "password": "не тот пароль"})).await.status
                })
            })
            .collect();
        let mut checked = 0;
        for t in tasks {
            match t.await.unwrap() {
                401 => checked += 1,
                429 => {}
                other => panic!("unexpected {other}"),
            }
        }
        assert_eq!(checked, 5, "30 parallel guesses, only the 5 free ones are checked, on {db:?}");
        env.shim.stop().await;
    }
}

#[tokio::test]
async fn re_entering_the_password_in_the_cabinet_is_throttled_too() {
    let env = Env::start(Db::Sqlite, |_| {}).await;
    let mut c = env.register(MARIA, MARIA_PHONE).await;
    for _ in 0..5 {
        let r = c.post("/auth/password", &json!({"current_password": "угадываю пароль", "new_password": "новый пароль 77"})).await;
        assert_eq!(r.err(), (422, ErrorCode::WrongPassword));
    }
    let r = c.post("/auth/phone", &json!({"new_phone": "+79035550000", "password": PASSWORD})).await;
    assert_eq!(r.err(), (429, ErrorCode::RateLimited), "even the right password waits");
    assert_eq!(r.retry_after(), Some(60));
    env.advance(60);
    let r = c.post("/auth/password", &json!({"current_password": PASSWORD, "new_password": "новый пароль 77"})).await;
    assert_eq!(r.status, 204);
    env.shim.stop().await;
}

#[tokio::test]
async fn when_accounting_fails_a_reset_changes_nothing() {
    let env = Env::start(Db::Sqlite, |_| {}).await;
    let sim = env.sim().clone();
    let _ = env.register(KUZNETSOV, KUZNETSOV_PHONE).await;
    let (_, r) = env.login(KUZNETSOV_PHONE, PASSWORD).await;
    assert_eq!(r.status, 200);
    env.advance(61);
    let mut c = env.client();
    let before = sms_count(&sim, KUZNETSOV_PHONE);
    assert_eq!(c.post("/auth/reset", &json!({"phone": KUZNETSOV_PHONE})).await.status, 202);
    let code = next_code(&sim, KUZNETSOV_PHONE, before).await;
    // Accounting loses the client between the two steps (in the built-in ledger: the row; this
    // demo client has no contracts, which would hold on to it).
    let pool = env.shim.state.store().pool().clone();
    let snapshot = |pool: sqlx::AnyPool| async move {
        let hash: (String,) = sqlx::query_as("SELECT password_hash FROM cabinet_users").fetch_one(&pool).await.unwrap();
        let live: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM sessions WHERE revoked_at IS NULL").fetch_one(&pool).await.unwrap();
        (hash.0, live.0)
    };
    sqlx::query("DELETE FROM ledger_clients WHERE phone = $1").bind(KUZNETSOV_PHONE).execute(&pool).await.unwrap();
    let before = snapshot(pool.clone()).await;
    let r = c.post("/auth/reset/confirm", &json!({"phone": KUZNETSOV_PHONE, "code": code, "new_password": "новый пароль 55"})).await;
    assert!(r.status >= 500, "{}", r.status);
    assert_eq!(snapshot(pool).await, before, "no password changed and no session ended");
    env.shim.stop().await;
}
