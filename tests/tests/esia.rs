//! Sign-in through ESIA (Госуслуги) through the real shim and its real ESIA adapter against the
//! loopback ESIA simulator, acting as the browser does: start, ESIA's login page, the callback,
//! the outcome and the link. Hostile answers (replayed, swapped, expired, another system's
//! token, a person who cancels) are refused and link nothing.

use kabinet_api::auth::SessionInfo;
use kabinet_api::esia::{EsiaAvailability, EsiaOutcome, EsiaStarted};
use kabinet_api::ErrorCode;
use kabinet_shim::gateways::esia::simulator::Failure;
use kabinet_tests::client::sms_count;
use kabinet_tests::esia::{EsiaBrowser as Browser, MARIA_OID, PETROV_UNVERIFIED_OID, SIDOROV_OID};
use kabinet_tests::Db;
use serde_json::json;

use kabinet_tests::env::*;

fn sim(env: &Env) -> &kabinet_shim::gateways::esia::simulator::EsiaSimulator {
    env.shim.state.esia_simulator().expect("test mode runs the ESIA simulator")
}

async fn links(env: &Env) -> i64 {
    let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM identity_links").fetch_one(env.shim.state.store().pool()).await.unwrap();
    n.0
}

#[tokio::test]
async fn a_matching_person_opens_and_links_a_cabinet_then_signs_in_with_no_sms() {
    let env = Env::start(Db::Sqlite, |_| {}).await;
    let mut b = Browser::new(&env);
    assert!(env.client().get("/auth/esia").await.json::<EsiaAvailability>().enabled);

    // The trip starts: the flow cookie binds it to this browser.
    let r = b.api("/auth/esia/start", json!({"return_to": format!("{SITE}/lk?tab=1")})).await;
    assert_eq!(r.status, 200);
    let cookie = r.header("set-cookie").unwrap().to_owned();
    for attr in ["__Host-kabinet_esia=", "Path=/", "Secure", "HttpOnly", "SameSite=Lax", "Max-Age=600"] {
        assert!(cookie.contains(attr), "{attr} missing in {cookie}");
    }
    let login_url = r.json::<EsiaStarted>().url;
    // ESIA's login page at the simulator, with the documented parameters.
    let parsed = url::Url::parse(&login_url).unwrap();
    assert!(parsed.path().ends_with("/aas/oauth2/v2/ac"), "{login_url}");
    let q: std::collections::HashMap<_, _> = parsed.query_pairs().into_owned().collect();
    assert_eq!(q["redirect_uri"], format!("{}/api/v1/auth/esia/callback", env.shim.url));
    assert_eq!(q["response_type"], "code");
    assert!(q["scope"].split(' ').any(|s| s == "openid"));
    assert!(uuid::Uuid::parse_str(&q["state"]).is_ok());

    let location = b.on_esia_page(&login_url, Some(MARIA_OID)).await;
    assert!(location.starts_with(&q["redirect_uri"]), "{location}");
    let back = b.callback(&location).await;
    assert_eq!(back.status, 303);
    assert_eq!(back.header("location"), Some(format!("{SITE}/lk?tab=1&kabinet_esia=1").as_str()));
    // The same answer again (a replay from history or a log) is refused and changes nothing.
    let replay = b.callback(&location).await;
    assert_eq!(replay.status, 400);
    assert!(String::from_utf8_lossy(&replay.body).contains("Вход через Госуслуги не выполнен"));

    // Found in accounting by name and passport; no cabinet yet: the client confirms.
    let r = b.outcome().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        r.json::<EsiaOutcome>(),
        EsiaOutcome::ConfirmLink { full_name: MARIA.into(), phone_masked: "+7 916 ***-**-67".into(), has_password: false }
    );
    assert_eq!(links(&env).await, 0, "nothing is linked before the client confirms");
    // Opening a cabinet needs the personal data consent, as registration does.
    assert_eq!(b.api("/auth/esia/link", json!({})).await.err(), (422, ErrorCode::ConsentRequired));
    let spent = b.flow.clone();
    let r = b.api("/auth/esia/link", json!({"consent_version": CONSENT})).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json::<SessionInfo>().client.full_name, MARIA);
    assert!(b.session.is_some() && b.flow.is_none(), "signed in, the flow cookie dropped");
    assert_eq!(links(&env).await, 1);
    // The link is used once: a second confirm of the same trip is refused.
    let mut again = Browser::new(&env);
    again.flow = spent;
    assert_eq!(again.api("/auth/esia/link", json!({"consent_version": CONSENT})).await.err(), (409, ErrorCode::EsiaNotStarted));

    // Next time the linked client lands in the cabinet at once. No SMS at any point.
    let mut next = Browser::new(&env);
    let r = next.trip(MARIA_OID).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    match r.json::<EsiaOutcome>() {
        EsiaOutcome::SignedIn { session } => assert_eq!(session.client.full_name, MARIA),
        other => panic!("expected signed_in, got {other:?}"),
    }
    assert!(next.session.is_some());
    let r = next.get(&format!("{}/api/v1/auth/session", env.shim.url)).await;
    assert_eq!(r.json::<SessionInfo>().client.phone, MARIA_PHONE);
    assert_eq!(sms_count(env.sim(), MARIA_PHONE), 0, "no SMS through ESIA");
    // The outcome is taken once.
    assert_eq!(next.outcome().await.err(), (409, ErrorCode::EsiaNotStarted));

    // The journal: «Авторизация в личном кабинете», «Тип авторизации: ЕСИА».
    let events = env.events().await;
    let logins: Vec<_> = events.iter().filter(|(e, d)| e == "login_succeeded" && d == "Тип авторизации: ЕСИА").collect();
    assert_eq!(logins.len(), 2, "{events:?}");
    assert_eq!(kabinet_shim::audit::EventKind::title_ru("login_succeeded"), "Авторизация в личном кабинете");
    assert!(events.iter().any(|(e, d)| e == "identity_linked" && d.contains(MARIA_OID)), "{events:?}");
    assert!(events.iter().any(|(e, d)| e == "login_failed" && d.contains("повторный ответ")), "{events:?}");

    // The cabinet opened through ESIA has no password: a password login fails like any wrong
    // password (not a fault), and the client may set one by SMS later.
    assert_eq!(env.login(MARIA_PHONE, PASSWORD).await.1.err(), (401, ErrorCode::InvalidCredentials));
}

#[tokio::test]
async fn linking_an_existing_cabinet_needs_its_password() {
    let env = Env::start(Db::Sqlite, |_| {}).await;
    env.register(MARIA, MARIA_PHONE).await;
    let mut b = Browser::new(&env);
    let r = b.trip(MARIA_OID).await;
    assert_eq!(
        r.json::<EsiaOutcome>(),
        EsiaOutcome::ConfirmLink { full_name: MARIA.into(), phone_masked: "+7 916 ***-**-67".into(), has_password: true }
    );
    assert_eq!(b.api("/auth/esia/link", json!({})).await.err(), (422, ErrorCode::WrongPassword));
    assert_eq!(b.api("/auth/esia/link", json!({"password": "не-тот-пароль-1"})).await.err(), (422, ErrorCode::WrongPassword));
    // Oversized, unknown fields, not JSON: refused, nothing linked.
    assert_eq!(b.api("/auth/esia/link", json!({"password": "я".repeat(20_000)})).await.err(), (422, ErrorCode::WrongPassword));
    assert_eq!(b.api("/auth/esia/link", json!({"password": PASSWORD, "user_id": "someone"})).await.status, 400);
    assert_eq!(b.api("/auth/esia/start", json!({"return_to": format!("{SITE}/{}", "x".repeat(5000))})).await.err(), (422, ErrorCode::ReturnUrlNotAllowed));
    assert_eq!(links(&env).await, 0);
    let r = b.api("/auth/esia/link", json!({"password": PASSWORD})).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(links(&env).await, 1);
    // The password still works as before.
    assert_eq!(env.login(MARIA_PHONE, PASSWORD).await.1.status, 200);
}

#[tokio::test]
async fn people_not_found_by_verified_name_and_passport_get_told_what_to_do() {
    let env = Env::start(Db::Sqlite, |_| {}).await;
    // Сидоров is nobody's client.
    let mut b = Browser::new(&env);
    let r = b.trip(SIDOROV_OID).await;
    assert_eq!(r.json::<EsiaOutcome>(), EsiaOutcome::NoMatch { full_name: "Сидоров Пётр Ильич".into() });
    // Петров is a client with that very passport, but ESIA has not verified it: no match.
    let mut b = Browser::new(&env);
    let r = b.trip(PETROV_UNVERIFIED_OID).await;
    assert_eq!(r.json::<EsiaOutcome>(), EsiaOutcome::NoMatch { full_name: SERGEY.into() });
    assert_eq!(b.api("/auth/esia/link", json!({"consent_version": CONSENT})).await.err(), (409, ErrorCode::EsiaNotStarted));
    assert_eq!(links(&env).await, 0);
    let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM cabinet_users").fetch_one(env.shim.state.store().pool()).await.unwrap();
    assert_eq!(n.0, 0, "no cabinet opened");
    let events = env.events().await;
    assert!(events.iter().any(|(e, d)| e == "login_failed" && d.contains("ЕСИА") && d.contains("не найден")), "{events:?}");
    // What ESIA said about these people (names, OIDs) goes a day after their trips end.
    let flows = || async {
        let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM esia_flows").fetch_one(env.shim.state.store().pool()).await.unwrap();
        n.0
    };
    assert_eq!(flows().await, 2);
    env.advance(600 + 86_400 + 1);
    env.shim.state.auth().prune(env.shim.state.now_secs()).await.unwrap();
    assert_eq!(flows().await, 0);
}

#[tokio::test]
async fn hostile_and_failed_answers_are_refused_and_link_nothing() {
    let env = Env::start(Db::Sqlite, |_| {}).await;

    // A swapped state: browser A arrives with the answer meant for browser B's trip.
    let mut a = Browser::new(&env);
    let mut victim = Browser::new(&env);
    let _ = a.start().await;
    let victim_url = victim.start().await;
    let victim_answer = victim.on_esia_page(&victim_url, Some(MARIA_OID)).await;
    let r = a.callback(&victim_answer).await;
    assert_eq!(r.status, 400, "another browser's answer is not taken");
    assert_eq!(a.outcome().await.err(), (409, ErrorCode::EsiaNotStarted));
    // …and B's trip is spent: its answer was shown to someone else.
    assert_eq!(victim.callback(&victim_answer).await.status, 400);
    assert_eq!(victim.outcome().await.err(), (409, ErrorCode::EsiaFailed));

    // A login link started by someone else and passed to the client: the client's browser
    // brings ESIA's answer without the starter's flow cookie. Refused; the starter learns
    // nothing and can open nothing.
    let mut starter = Browser::new(&env);
    let link = starter.start().await;
    let mut client = Browser::new(&env);
    let answer = client.on_esia_page(&link, Some(MARIA_OID)).await;
    assert_eq!(client.callback(&answer).await.status, 400);
    assert_eq!(starter.outcome().await.err(), (409, ErrorCode::EsiaFailed));
    assert_eq!(starter.api("/auth/esia/link", json!({"consent_version": CONSENT})).await.err(), (409, ErrorCode::EsiaNotStarted));

    // ESIA answering with a state this shim never sent.
    let mut b = Browser::new(&env);
    let url = b.start().await;
    sim(&env).fail_next(Failure::WrongState);
    let location = b.on_esia_page(&url, Some(MARIA_OID)).await;
    assert_eq!(b.callback(&location).await.status, 400);
    assert_eq!(b.outcome().await.err(), (409, ErrorCode::EsiaNotStarted));

    // An expired code.
    let mut b = Browser::new(&env);
    sim(&env).fail_next(Failure::ExpireCode);
    assert_eq!(b.trip(MARIA_OID).await.err(), (409, ErrorCode::EsiaExpired));

    // A token issued to another system (aud).
    let mut b = Browser::new(&env);
    sim(&env).fail_next(Failure::WrongAudience);
    assert_eq!(b.trip(MARIA_OID).await.err(), (409, ErrorCode::EsiaFailed));

    // A token naming another trip's nonce.
    let mut b = Browser::new(&env);
    sim(&env).fail_next(Failure::WrongNonce);
    assert_eq!(b.trip(MARIA_OID).await.err(), (409, ErrorCode::EsiaFailed));

    // A code issued for one trip, brought to another trip's callback by that trip's own
    // browser (cookie and state right): the code's PKCE verifier is the other trip's, so ESIA
    // refuses the exchange.
    let mut first = Browser::new(&env);
    let mut second = Browser::new(&env);
    let first_url = first.start().await;
    let first_answer = first.on_esia_page(&first_url, Some(MARIA_OID)).await;
    let second_url = second.start().await;
    let second_state = url::Url::parse(&second_url).unwrap().query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
    let code = url::Url::parse(&first_answer).unwrap().query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    let moved = format!("{}/api/v1/auth/esia/callback?code={code}&state={second_state}", env.shim.url);
    assert_eq!(second.callback(&moved).await.status, 303);
    assert_eq!(second.outcome().await.err(), (409, ErrorCode::EsiaFailed));

    // A token whose signature does not verify.
    let mut b = Browser::new(&env);
    sim(&env).fail_next(Failure::BadTokenSignature);
    assert_eq!(b.trip(MARIA_OID).await.err(), (409, ErrorCode::EsiaFailed));

    // ESIA failing.
    let mut b = Browser::new(&env);
    sim(&env).fail_next(Failure::ServerError);
    assert_eq!(b.trip(MARIA_OID).await.err(), (503, ErrorCode::EsiaUnavailable));

    // The person cancels on ESIA's page.
    let mut b = Browser::new(&env);
    let url = b.start().await;
    let location = b.on_esia_page(&url, None).await;
    assert!(location.contains("error=access_denied"), "{location}");
    assert_eq!(b.callback(&location).await.status, 303);
    assert_eq!(b.outcome().await.err(), (409, ErrorCode::EsiaDenied));

    // Too slow: the trip's ten minutes pass before ESIA's answer.
    let mut b = Browser::new(&env);
    let url = b.start().await;
    let location = b.on_esia_page(&url, Some(MARIA_OID)).await;
    env.advance(601);
    assert_eq!(b.callback(&location).await.status, 303);
    assert_eq!(b.outcome().await.err(), (409, ErrorCode::EsiaExpired));

    // No trip, and a page of another organisation to come back to.
    let mut b = Browser::new(&env);
    assert_eq!(b.outcome().await.err(), (409, ErrorCode::EsiaNotStarted));
    let r = b.api("/auth/esia/start", json!({"return_to": "https://evil.example/phish"})).await;
    assert_eq!(r.err(), (422, ErrorCode::ReturnUrlNotAllowed));
    // A callback with no state or garbage.
    assert_eq!(b.get(&format!("{}/api/v1/auth/esia/callback?code=x", env.shim.url)).await.status, 400);
    assert_eq!(b.get(&format!("{}/api/v1/auth/esia/callback?code=x&state=<script>", env.shim.url)).await.status, 400);

    assert_eq!(links(&env).await, 0, "nothing was linked");
    let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM cabinet_users").fetch_one(env.shim.state.store().pool()).await.unwrap();
    assert_eq!(n.0, 0, "no cabinet opened");
    let failures: Vec<_> = env.events().await.into_iter().filter(|(e, d)| e == "login_failed" && d.contains("ЕСИА")).collect();
    assert!(failures.len() >= 8, "{failures:?}");
    assert!(failures.iter().any(|(_, d)| d.contains("маркер")), "{failures:?}");
}

#[tokio::test]
async fn esia_flows_work_on_postgres() {
    let env = Env::start(Db::Postgres(kabinet_tests::postgres_server_url()), |_| {}).await;
    let mut b = Browser::new(&env);
    let r = b.trip(MARIA_OID).await;
    assert!(matches!(r.json::<EsiaOutcome>(), EsiaOutcome::ConfirmLink { has_password: false, .. }));
    let r = b.api("/auth/esia/link", json!({"consent_version": CONSENT})).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(links(&env).await, 1);
}

#[tokio::test]
async fn esia_off_offers_nothing() {
    let env = Env::start(Db::Sqlite, |c| c.esia.enabled = false).await;
    assert!(!env.client().get("/auth/esia").await.json::<EsiaAvailability>().enabled);
    let mut b = Browser::new(&env);
    let r = b.api("/auth/esia/start", json!({"return_to": format!("{SITE}/lk")})).await;
    assert_eq!(r.err(), (503, ErrorCode::EsiaUnavailable));
}

#[tokio::test]
async fn staff_record_passports_and_remove_a_link() {
    use kabinet_shim::accounting::ledger::Ledger;
    use kabinet_shim::accounting::{Accounting, FullName, Passport};
    use kabinet_shim::staff::{self, Desk, StaffCommand};
    let env = Env::start(Db::Sqlite, |_| {}).await;
    let state = &env.shim.state;
    let ledger = Ledger::new(state.store().clone());
    let division = state.orgs().lookup().division.clone();
    let desk = Desk { ledger: &ledger, journal: state.journal(), division: &division, signing: state.signing(), key: None };
    let run = |command: StaffCommand| staff::run(&desk, command, state.now());

    // A passport for Кузнецов (the demo has none for him): malformed ones are refused.
    let passport = |series: &str, number: &str| StaffCommand::Passport {
        client: "demo-0004".into(),
        series: series.into(),
        number: number.into(),
        operator: "Коротков Е. Ю.".into(),
    };
    assert!(run(passport("45 1", "111222")).await.is_err());
    assert!(run(passport("4511", "1112223")).await.is_err());
    run(passport("45 11", "111 222")).await.unwrap();
    let found = ledger
        .find_client_by_passport(&FullName::parse(KUZNETSOV).unwrap(), &Passport::parse("4511", "111222").unwrap())
        .await
        .unwrap();
    assert_eq!(found.map(|c| c.id).as_deref(), Some("demo-0004"));
    let events = env.events().await;
    let recorded = events.iter().find(|(e, _)| e == "client_passport_recorded").expect("journaled");
    assert!(recorded.1.contains("серии 45** № ****22") && !recorded.1.contains("111222"), "only the last digits: {}", recorded.1);

    // Иванова links her cabinet through ESIA; staff see it and remove it with a reason.
    let mut b = Browser::new(&env);
    b.trip(MARIA_OID).await;
    assert_eq!(b.api("/auth/esia/link", json!({"consent_version": CONSENT})).await.status, 200);
    let shown = run(StaffCommand::EsiaLink { client: "demo-0001".into() }).await.unwrap();
    assert!(shown.contains(MARIA_OID), "{shown}");
    let unlink = |reason: &str| StaffCommand::EsiaUnlink {
        client: "demo-0001".into(),
        reason: reason.into(),
        operator: "Коротков Е. Ю.".into(),
    };
    assert!(run(unlink(" ")).await.is_err(), "a reason is required");
    run(unlink("клиент сменил учётную запись Госуслуг")).await.unwrap();
    assert_eq!(links(&env).await, 0);
    assert!(run(unlink("ещё раз")).await.is_err(), "nothing left to remove");
    assert!(env.events().await.iter().any(|(e, d)| e == "identity_unlinked" && d.contains("сменил")));
    // The next trip asks to confirm the link again, for the same cabinet.
    let mut b = Browser::new(&env);
    assert!(matches!(b.trip(MARIA_OID).await.json::<EsiaOutcome>(), EsiaOutcome::ConfirmLink { .. }));
}
