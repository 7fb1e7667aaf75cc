//! `cargo xtask bench`'s measured half: sign-in throughput against the password hasher's own
//! ceiling, login latency under 20 concurrent clients, the timing of found vs unknown phones,
//! the time from page load to the widget's first screen in headless Chromium, and the cost of
//! the «Информация» block: a loan's detail from the built-in ledger and through the HTTP
//! accounting contract, and a schedule PDF; a message with files (inspection and re-encoding
//! included) against one without, on the built-in ledger and through the contract; and the
//! time from the bank's callback to the change being visible to an open widget (its long
//! poll answering «оплачен», then the posted balance), with the shim's own share of it; and
//! signing a document by SMS code (the stamp's share of it, the stamp's size, the evidence
//! package); and a sign-in through the simulated ESIA against a password login, with the
//! callback's share (code exchange, id_token check, person data, accounting lookup).

use std::time::{Duration, Instant};

use kabinet_shim::auth::password::Hasher;
use kabinet_shim::gateways::acquiring::simulator::{AcquiringSimulator, SimOrder};
use kabinet_tests::browser::{eventually, Browser};
use kabinet_tests::client::{next_code, Client};
use kabinet_tests::{bind, pkg_dir, test_config, Db, Stack, TestShim};
use secrecy::SecretString;
use serde_json::json;

const RUNS: usize = 9;
const SITE: &str = "http://company.localhost:8000";
const PASSWORD: &str = "корова-на-льду-42";

#[tokio::main]
async fn main() {
    // `kabinet-bench payments` runs one section; no argument runs them all.
    let only = std::env::args().nth(1);
    let run = |name: &str| only.as_deref().is_none_or(|o| o == name);
    if run("sign-in") {
        sign_in().await;
    }
    if run("information") {
        information().await;
    }
    if run("messages") {
        messages().await;
    }
    if run("payments") {
        payments().await;
    }
    if run("signing") {
        signing().await;
    }
    if run("esia") {
        esia().await;
    }
    if run("first-screen") {
        first_screen().await;
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn sign_in() {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    // The ceiling: argon2id (19 MiB, t=2, p=1) verifications alone, one per core at a time.
    let hasher = Hasher::per_core();
    let hash = hasher.hash(&SecretString::from(PASSWORD.to_owned())).await.unwrap();
    let window = Duration::from_secs(5);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..cores * 2 {
        let (hasher, hash) = (hasher.clone(), hash.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0u32;
            while start.elapsed() < window {
                hasher.verify(&SecretString::from(PASSWORD.to_owned()), Some(&hash)).await.unwrap();
                n += 1;
            }
            n
        }));
    }
    let mut hashes = 0;
    for t in tasks {
        hashes += t.await.unwrap();
    }
    let hash_rate = f64::from(hashes) / start.elapsed().as_secs_f64();

    // The shim on SQLite, limits opened wide: this measures work, not policy.
    let dir = tempfile::tempdir().unwrap();
    let l = bind().await;
    let url = format!("http://lk.company.localhost:{}", l.local_addr().unwrap().port());
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display());
    let mut config = test_config(dir.path(), &db, &url, &[SITE.to_string()]);
    config.auth.sends_per_ip_hour = 100_000;
    config.auth.sends_per_prefix_hour = 100_000;
    config.auth.sms_daily_budget = 100_000;
    config.auth.resend_cooldown_secs = 0;
    config.auth.sends_per_phone_15min = 100_000;
    config.auth.sends_per_phone_day = 100_000;
    // Failed-login delays would answer most samples without hashing; time the hashing path.
    config.auth.login_free_failures = 1_000_000;
    config.auth.login_lock_failures = 1_000_000;
    let shim = TestShim::start(config, l).await;
    let sim = shim.state.sms_simulator().unwrap().clone();
    let phone = "+79161234567";
    let mut c = Client::new(&shim.loopback, SITE);
    c.post(
        "/auth/register",
        &json!({"full_name": "Иванова Мария Петровна", "phone": phone, "password": PASSWORD, "consent_version": "2026-11-01"}),
    )
    .await;
    let code = next_code(&sim, phone, 0).await;
    assert_eq!(c.post("/auth/register/confirm", &json!({"phone": phone, "code": code, "password": PASSWORD})).await.status, 200);

    // 20 clients logging in as fast as the shim lets them.
    let concurrency = 20;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let base = shim.loopback.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while start.elapsed() < window {
                let mut c = Client::new(&base, SITE);
                let t = Instant::now();
                let r = c.post("/auth/login", &json!({"phone": phone, "password": PASSWORD})).await;
                assert_eq!(r.status, 200);
                lat.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            lat
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await.unwrap());
    }
    let login_rate = lat.len() as f64 / start.elapsed().as_secs_f64();
    lat.sort_by(f64::total_cmp);

    // Enumeration timing: 200 of each, sequential, medians compared.
    let timing = |samples: Vec<f64>| {
        let mut s = samples;
        s.sort_by(f64::total_cmp);
        percentile(&s, 0.5)
    };
    let sample = |body: serde_json::Value, path: &'static str| {
        let base = shim.loopback.clone();
        async move {
            let mut c = Client::new(&base, SITE);
            let mut v = Vec::new();
            for _ in 0..200 {
                let t = Instant::now();
                c.post(path, &body).await;
                v.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            v
        }
    };
    let wrong = timing(sample(json!({"phone": phone, "password": "не тот пароль"}), "/auth/login").await);
    let unknown = timing(sample(json!({"phone": "+79500000001", "password": "не тот пароль"}), "/auth/login").await);
    let found = timing(
        sample(
            json!({"full_name": "Петров Сергей Николаевич", "phone": "+79137654321", "password": PASSWORD, "consent_version": "2026-11-01"}),
            "/auth/register",
        )
        .await,
    );
    let not_found = timing(
        sample(
            json!({"full_name": "Сидоров Иван Ильич", "phone": "+79500000002", "password": PASSWORD, "consent_version": "2026-11-01"}),
            "/auth/register",
        )
        .await,
    );
    shim.stop().await;

    println!("\nSign-in ({cores} cores; argon2id m=19 MiB t=2 p=1)");
    println!("  hasher alone:          {hash_rate:>7.1} verifications/s");
    println!(
        "  logins through the API:{login_rate:>7.1} /s at {concurrency} concurrent = {:.0}% of the hasher's ceiling",
        100.0 * login_rate / hash_rate
    );
    println!(
        "  login latency at {concurrency} concurrent: p50 {:.0} ms, p99 {:.0} ms ({} logins)",
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        lat.len()
    );
    println!("  enumeration timing, medians of 200 sequential requests each:");
    println!("    login wrong password {wrong:.1} ms vs unknown phone {unknown:.1} ms (Δ {:.1} ms)", (wrong - unknown).abs());
    println!("    register found {found:.1} ms vs not found {not_found:.1} ms (Δ {:.1} ms)", (found - not_found).abs());
}

async fn first_screen() {
    pkg_dir();
    let stack = Stack::start(Db::Sqlite).await;
    println!("\nTime to first screen (ms from navigation start to the loader's kabinet:ready mark), {RUNS} runs each");
    println!("  mode      cold     warm median   warm min   warm max   page load (warm median)");
    for mode in ["frame", "inline"] {
        let b = Browser::start().await;
        let mut ready = Vec::new();
        let mut load = Vec::new();
        for _ in 0..RUNS {
            b.client.goto(&format!("{}/cabinet?mode={mode}", stack.site_url)).await.expect("open page");
            let t = eventually("kabinet:ready mark", Duration::from_secs(30), || async {
                let v = b
                    .client
                    .execute(
                        "const m = performance.getEntriesByName('kabinet:ready')[0];\
                         const n = performance.getEntriesByType('navigation')[0];\
                         return m ? [m.startTime, n ? n.loadEventEnd : 0] : null;",
                        vec![],
                    )
                    .await
                    .ok()?;
                let a = v.as_array()?;
                Some((a[0].as_f64()?, a[1].as_f64().unwrap_or(0.0)))
            })
            .await;
            ready.push(t.0);
            load.push(t.1);
        }
        let cold = ready[0];
        let mut warm = ready[1..].to_vec();
        warm.sort_by(f64::total_cmp);
        let mut warm_load = load[1..].to_vec();
        warm_load.sort_by(f64::total_cmp);
        println!(
            "  {mode:<8} {cold:>6.0} {:>16.0} {:>10.0} {:>10.0} {:>12.0}",
            warm[warm.len() / 2],
            warm[0],
            warm[warm.len() - 1],
            warm_load[warm_load.len() / 2]
        );
        b.close().await;
    }
    stack.stop().await;
}

/// Sequential latencies of `n` GETs of `path`, sorted, in ms; and the last body's size.
async fn timed_gets(c: &mut Client, path: &str, n: usize) -> (Vec<f64>, usize) {
    let mut v = Vec::with_capacity(n);
    let mut size = 0;
    for _ in 0..n {
        let t = Instant::now();
        let r = c.get(path).await;
        assert_eq!(r.status, 200, "{path}");
        v.push(t.elapsed().as_secs_f64() * 1000.0);
        size = r.body.len();
    }
    v.sort_by(f64::total_cmp);
    (v, size)
}

/// A shim on SQLite with the read limit opened wide (this measures work, not policy), on the
/// built-in ledger or on `accounting`, and a demo client registered and signed in on it.
async fn signed_in_shim(
    accounting: Option<kabinet_shim::config::AccountingConfig>,
    name: &str,
    phone: &str,
) -> (TestShim, Client, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let l = bind().await;
    let url = format!("http://lk.company.localhost:{}", l.local_addr().unwrap().port());
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display());
    let mut config = test_config(dir.path(), &db, &url, &[SITE.to_string()]);
    config.auth.reads_per_session_minute = 1_000_000;
    if let Some(a) = accounting {
        config.accounting = a;
    }
    let shim = TestShim::start(config, l).await;
    let sim = shim.state.sms_simulator().unwrap().clone();
    let mut c = Client::new(&shim.loopback, SITE);
    c.post("/auth/register", &json!({"full_name": name, "phone": phone, "password": PASSWORD, "consent_version": "2026-11-01"}))
        .await;
    let code = next_code(&sim, phone, 0).await;
    assert_eq!(c.post("/auth/register/confirm", &json!({"phone": phone, "code": code, "password": PASSWORD})).await.status, 200);
    (shim, c, dir)
}

async fn information() {
    use kabinet_tests::faulty::FaultyAccounting;
    let contract = FaultyAccounting::start().await;
    let mut results = Vec::new();
    for through_contract in [false, true] {
        let accounting = through_contract.then(|| contract.client_config(5, 0));
        let (shim, mut c, _dir) = signed_in_shim(accounting, "Петров Сергей Николаевич", "+79137654321").await;
        // The overdue loan: the engine replays its payments and 6 months of penalty days.
        let (detail, detail_size) = timed_gets(&mut c, "/loans/demo-loan-2", 100).await;
        let (pdf, pdf_size) = timed_gets(&mut c, "/loans/demo-loan-2/documents/schedule", 20).await;
        results.push((through_contract, detail, detail_size, pdf, pdf_size));
        shim.stop().await;
    }
    println!("\nInformation (sequential, one client, SQLite; debug or release as built)");
    let p50 = |v: &Vec<f64>| percentile(v, 0.5);
    for (through_contract, detail, detail_size, pdf, pdf_size) in &results {
        let via = if *through_contract { "through the HTTP contract" } else { "built-in ledger" };
        println!(
            "  {via:<26} loan detail p50 {:.1} ms p99 {:.1} ms ({detail_size} B JSON); schedule PDF p50 {:.0} ms p99 {:.0} ms ({pdf_size} B)",
            p50(detail),
            percentile(detail, 0.99),
            p50(pdf),
            percentile(pdf, 0.99)
        );
    }
    println!(
        "  the contract's share: loan detail {:.2}x the built-in ledger's median",
        p50(&results[1].1) / p50(&results[0].1)
    );
}

/// Sends one message with `files` and returns the milliseconds it took.
async fn timed_message(c: &mut Client, files: &[(&str, &str, Vec<u8>)]) -> f64 {
    let mut form = reqwest::multipart::Form::new().text("text", "Замер");
    for (name, mime, bytes) in files {
        let part = reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.to_string()).mime_str(mime).unwrap();
        form = form.part("file", part);
    }
    let req = c
        .request(reqwest::Method::POST, "/messages")
        .header("origin", &c.origin)
        .header("idempotency-key", uuid::Uuid::new_v4().to_string())
        .multipart(form);
    let t = Instant::now();
    let r = c.send(req).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    t.elapsed().as_secs_f64() * 1000.0
}

async fn messages() {
    use kabinet_shim::uploads::samples;
    use kabinet_tests::faulty::FaultyAccounting;
    let photo = samples::jpeg(4000, 3000);
    let pdf = samples::pdf();
    let t = Instant::now();
    let inspected = kabinet_shim::uploads::inspect(&kabinet_shim::uploads::Upload {
        file_name: "фото.jpg",
        declared_type: "image/jpeg",
        bytes: &photo,
    })
    .unwrap();
    let inspect_ms = t.elapsed().as_secs_f64() * 1000.0;
    let contract = FaultyAccounting::start().await;
    let mut rows = Vec::new();
    for through_contract in [false, true] {
        let accounting = through_contract.then(|| contract.client_config(30, 0));
        let (shim, mut c, _dir) = signed_in_shim(accounting, "Иванова Мария Петровна", "+79161234567").await;
        let mut plain = Vec::new();
        let mut with_files = Vec::new();
        for _ in 0..5 {
            plain.push(timed_message(&mut c, &[]).await);
            with_files
                .push(timed_message(&mut c, &[("фото.jpg", "image/jpeg", photo.clone()), ("справка.pdf", "application/pdf", pdf.clone())]).await);
        }
        plain.sort_by(f64::total_cmp);
        with_files.sort_by(f64::total_cmp);
        rows.push((through_contract, plain, with_files));
        shim.stop().await;
    }
    println!("\nMessages (sequential, one client, SQLite; debug or release as built)");
    println!(
        "  inspecting a 12 MP JPEG of {} B alone: {inspect_ms:.0} ms (re-encoded to {} B)",
        photo.len(),
        inspected.bytes.len()
    );
    for (through_contract, plain, with_files) in &rows {
        let via = if *through_contract { "through the HTTP contract" } else { "built-in ledger" };
        println!(
            "  {via:<26} text only p50 {:.1} ms; with the photo and a PDF p50 {:.0} ms, max {:.0} ms: {:.0}x the text-only median",
            percentile(plain, 0.5),
            percentile(with_files, 0.5),
            percentile(with_files, 1.0),
            percentile(with_files, 0.5) / percentile(plain, 0.5)
        );
    }
}

/// Starts a 100 ₽ payment on the client's open loan and returns (payment id, bank order).
async fn started_payment(c: &mut Client, sim: &AcquiringSimulator, loan_id: &str) -> (String, SimOrder) {
    let body = json!({"contract_id": loan_id, "purpose": "custom", "amount": 10_000, "expected_amount": 10_000,
        "return_to": format!("{SITE}/lk")});
    let req = c
        .request(reqwest::Method::POST, "/payments")
        .header("origin", &c.origin)
        .header("content-type", "application/json")
        .header("idempotency-key", uuid::Uuid::new_v4().to_string())
        .body(body.to_string());
    let r = c.send(req).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let started: kabinet_api::payments::PaymentStarted = r.json();
    (started.payment.id.clone(), sim.order(&started.payment.order_number).expect("registered"))
}

async fn payments() {
    use kabinet_api::payments::Payment;
    const N: usize = 60;
    let (shim, mut c, _dir) = signed_in_shim(None, "Иванова Мария Петровна", "+79161234567").await;
    let sim = shim.state.acquiring_simulator().expect("the bank simulator").clone();
    sim.suppress_callbacks(true);
    let loans: kabinet_api::cabinet::LoansView = c.get("/loans").await.json();
    let loan_id = loans.contracts.iter().find(|l| l.closed_on.is_none()).expect("an open loan").id.clone();
    let callback_url = format!("{}/callbacks/acquiring/sber", shim.loopback);
    let bank = reqwest::Client::new();
    // What the bank's status API costs on its own (the simulator on loopback, through the same
    // adapter the shim uses): the part of the callback's path that is not the shim's.
    let adapter = kabinet_shim::gateways::acquiring::sber::SberAcquirer::new(
        &sim_base(&sim).await,
        kabinet_shim::gateways::acquiring::sber::SberAuth::Password {
            user_name: kabinet_shim::gateways::acquiring::simulator::SBER_USER_NAME.into(),
            password: SecretString::from(kabinet_shim::gateways::acquiring::simulator::SBER_PASSWORD),
        },
        SecretString::from(kabinet_shim::gateways::acquiring::SIMULATOR_CALLBACK_KEY),
        5,
    )
    .unwrap();
    let (mut to_paid, mut to_posted, mut status_api) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..N {
        let (id, order) = started_payment(&mut c, &sim, &loan_id).await;
        // The widget's open request, parked before the bank calls.
        let mut widget = c.clone();
        let wait = tokio::spawn(async move {
            let r = widget.get(&format!("/payments/{id}?wait=25&status=pending&posted=false")).await;
            let p: Payment = r.json();
            let paid_at = Instant::now();
            let r = widget.get(&format!("/payments/{}?wait=25&status=paid&posted={}", p.id, p.posted)).await;
            let p2: Payment = r.json();
            (p, paid_at, p2, Instant::now())
        });
        tokio::time::sleep(Duration::from_millis(30)).await;
        let mut params = vec![
            ("mdOrder".to_owned(), order.gateway_order_id.clone()),
            ("orderNumber".to_owned(), order.order_number.clone()),
            ("operation".to_owned(), "deposited".to_owned()),
            ("status".to_owned(), "1".to_owned()),
        ];
        let sum = kabinet_shim::gateways::acquiring::sber::checksum_hex(
            kabinet_shim::gateways::acquiring::SIMULATOR_CALLBACK_KEY.as_bytes(),
            &params,
        );
        params.push(("checksum".to_owned(), sum));
        // The bank takes the money (its callback held back) and calls the shim.
        sim.pay(&order.gateway_order_id, kabinet_shim::gateways::acquiring::simulator::CARD_APPROVE).unwrap();
        let t0 = Instant::now();
        let r = bank.post(&callback_url).form(&params).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let (p, paid_at, p2, posted_at) = wait.await.unwrap();
        assert_eq!(p.status, kabinet_api::payments::PaymentStatus::Paid, "{p:?}");
        assert!(p.posted || p2.posted, "{p2:?}");
        to_paid.push(paid_at.duration_since(t0).as_secs_f64() * 1000.0);
        let posted = if p.posted { paid_at } else { posted_at };
        to_posted.push(posted.duration_since(t0).as_secs_f64() * 1000.0);
        let t = Instant::now();
        use kabinet_shim::gateways::acquiring::Acquirer;
        adapter.status(&order.order_number, &order.gateway_order_id).await.unwrap();
        status_api.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    for v in [&mut to_paid, &mut to_posted, &mut status_api] {
        v.sort_by(f64::total_cmp);
    }
    let p50 = |v: &Vec<f64>| percentile(v, 0.5);
    println!("\nPayments: bank callback to the open widget's long poll answering ({N} payments, SQLite, Sber simulator)");
    println!("  «оплачен» visible:          p50 {:.1} ms  p99 {:.1} ms", p50(&to_paid), percentile(&to_paid, 0.99));
    println!("  posted balance visible:     p50 {:.1} ms  p99 {:.1} ms", p50(&to_posted), percentile(&to_posted, 0.99));
    println!(
        "  the bank's status API alone: p50 {:.1} ms: the shim's own share of «оплачен» is {:.0}% of the median",
        p50(&status_api),
        100.0 * (p50(&to_paid) - p50(&status_api)).max(0.0) / p50(&to_paid)
    );
    shim.stop().await;
}

async fn signing() {
    use kabinet_api::signing::{Agreement, SignatureDocument};
    use kabinet_shim::signing::stamp::{stamp, StampData};
    use kabinet_shim::signing::templates::Template;
    const N: usize = 30;
    const PHONE: &str = "+79161234567";
    let dir = tempfile::tempdir().unwrap();
    let l = bind().await;
    let url = format!("http://lk.company.localhost:{}", l.local_addr().unwrap().port());
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display());
    let mut config = test_config(dir.path(), &db, &url, &[SITE.to_string()]);
    // Limits opened wide: this measures work, not policy.
    config.auth.resend_cooldown_secs = 0;
    config.auth.sends_per_phone_15min = 1_000_000;
    config.auth.sends_per_phone_day = 1_000_000;
    config.auth.sends_per_ip_hour = 1_000_000;
    config.auth.sends_per_prefix_hour = 1_000_000;
    config.auth.reads_per_session_minute = 1_000_000;
    let shim = TestShim::start(config, l).await;
    let sim = shim.state.sms_simulator().unwrap().clone();
    let mut c = Client::new(&shim.loopback, SITE);
    c.post("/auth/register", &json!({"full_name": "Иванова Мария Петровна", "phone": PHONE, "password": PASSWORD, "consent_version": "2026-11-01"}))
        .await;
    let code = next_code(&sim, PHONE, 0).await;
    assert_eq!(c.post("/auth/register/confirm", &json!({"phone": PHONE, "code": code, "password": PASSWORD})).await.status, 200);
    let a: Agreement = c.get("/signatures/agreement").await.json();
    assert_eq!(c.post("/signatures/agreement", &json!({"version": a.version, "sha256": a.sha256})).await.status, 200);
    let client = shim.state.accounting().client("demo-0001").await.unwrap().unwrap();
    let fields: Vec<(String, String)> =
        vec![("birth_date".into(), "1961-04-12".into()), ("passport".into(), "5012 345678".into())];
    let (mut send, mut sign, mut stamp_only) = (Vec::new(), Vec::new(), Vec::new());
    let (mut original_size, mut stamped_size) = (0, 0);
    let mut last = None;
    for _ in 0..N {
        let t = Instant::now();
        let row = shim.state.signing().send(&client, Template::BkiConsent, &fields, "Коротков Е. Ю.").await.unwrap();
        send.push(t.elapsed().as_secs_f64() * 1000.0);
        let before = kabinet_tests::client::sms_count(&sim, PHONE);
        assert_eq!(c.post(&format!("/signatures/{}/code", row.id), &json!({})).await.status, 200);
        let code = next_code(&sim, PHONE, before).await;
        let t = Instant::now();
        let r = c.post(&format!("/signatures/{}/sign", row.id), &json!({"code": code})).await;
        sign.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let doc: SignatureDocument = r.json();
        // The stamp alone, on the same original, off the request path.
        let original = shim.state.signing().original_bytes(&row.id).await.unwrap().unwrap();
        let data = StampData {
            title: doc.title.clone(),
            number: doc.number.clone(),
            signed_at: time::OffsetDateTime::now_utc(),
            sms_id: "000000-10000001".into(),
            code: "123456".into(),
            phone: "+7 916 123-45-67".into(),
            original_sha256_hex: doc.sha256.clone(),
            ip: "127.0.0.1".parse().unwrap(),
            session_uid: "bench".into(),
            verify_url: "https://lk.company.ru/verify/AAAA-BBBB-CCCC".into(),
            verify_code: "AAAA-BBBB-CCCC".into(),
        };
        let t = Instant::now();
        let stamped = tokio::task::spawn_blocking(move || stamp(&original, &data).unwrap()).await.unwrap();
        stamp_only.push(t.elapsed().as_secs_f64() * 1000.0);
        let signed_copy = c.get(&format!("/signatures/{}/signed", row.id)).await.body;
        original_size = doc.size as usize;
        stamped_size = signed_copy.len();
        let _ = stamped;
        last = Some(row.id.clone());
    }
    // The evidence package of the last one.
    let key = kabinet_shim::audit::CheckpointSigner::load(&shim.state.config().audit.signing_key_path).unwrap();
    let row = shim.state.signing().row(&last.unwrap()).await.unwrap().unwrap();
    let t = Instant::now();
    let zip = kabinet_shim::signing::package::build(shim.state.signing(), &row, &key).await.unwrap();
    let package_ms = t.elapsed().as_secs_f64() * 1000.0;
    let t = Instant::now();
    kabinet_shim::signing::evidence::verify(&zip, None).unwrap();
    let verify_ms = t.elapsed().as_secs_f64() * 1000.0;
    for v in [&mut send, &mut sign, &mut stamp_only] {
        v.sort_by(f64::total_cmp);
    }
    let p50 = |v: &Vec<f64>| percentile(v, 0.5);
    println!("\nSigning by SMS code ({N} documents, SQLite, SMS simulator; debug or release as built)");
    println!("  staff send (render + fix bytes):  p50 {:.0} ms  p99 {:.0} ms", p50(&send), percentile(&send, 0.99));
    println!("  POST sign (check, stamp, store):  p50 {:.0} ms  p99 {:.0} ms", p50(&sign), percentile(&sign, 0.99));
    println!(
        "  the stamp alone: p50 {:.0} ms = {:.0}% of the signing median",
        p50(&stamp_only),
        100.0 * p50(&stamp_only) / p50(&sign)
    );
    println!(
        "  sizes: original {original_size} B, stamped {stamped_size} B (+{} B, {:.2}x); evidence package {} B built in {package_ms:.0} ms, verified in {verify_ms:.0} ms",
        stamped_size - original_size,
        stamped_size as f64 / original_size as f64,
        zip.len()
    );
    shim.stop().await;
}

async fn esia() {
    use kabinet_tests::env::{Env, MARIA, MARIA_PHONE};
    use kabinet_tests::esia::{EsiaBrowser, MARIA_OID};
    const N: usize = 20;
    let env = Env::start(Db::Sqlite, |c| {
        // Limits opened wide: this measures work, not policy.
        c.auth.login_free_failures = 1_000_000;
    })
    .await;
    env.register(MARIA, MARIA_PHONE).await;
    // Linked once (with the cabinet's password), then timed.
    let mut b = EsiaBrowser::new(&env);
    assert_eq!(b.trip(MARIA_OID).await.status, 200);
    assert_eq!(b.api("/auth/esia/link", json!({"password": PASSWORD})).await.status, 200);
    let (mut trip, mut start, mut callback, mut login) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..N {
        // Well under the per-address start limit: a new minute of the test clock every 10.
        if i % 10 == 9 {
            env.advance(601);
        }
        let mut b = EsiaBrowser::new(&env);
        let t = Instant::now();
        let url = b.start().await;
        start.push(t.elapsed().as_secs_f64() * 1000.0);
        let location = b.on_esia_page(&url, Some(MARIA_OID)).await;
        let c0 = Instant::now();
        let back = b.callback(&location).await;
        callback.push(c0.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(back.status, 303);
        let r = b.outcome().await;
        trip.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let t = Instant::now();
        let (_, r) = env.login(MARIA_PHONE, PASSWORD).await;
        login.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(r.status, 200);
    }
    for v in [&mut trip, &mut start, &mut callback, &mut login] {
        v.sort_by(f64::total_cmp);
    }
    let p50 = |v: &Vec<f64>| percentile(v, 0.5);
    println!("\nSign-in through ESIA ({N} trips of a linked client, SQLite, ESIA simulator on loopback; debug or release as built)");
    println!(
        "  whole trip (start, ESIA page and consent, callback, outcome): p50 {:.0} ms  p99 {:.0} ms",
        p50(&trip),
        percentile(&trip, 0.99)
    );
    println!("  start (client_secret signed, flow stored): p50 {:.1} ms", p50(&start));
    println!(
        "  callback (code exchange, RS256 check, 3 person calls, passport lookup): p50 {:.1} ms = {:.0}% of the trip",
        p50(&callback),
        100.0 * p50(&callback) / p50(&trip)
    );
    println!(
        "  password login for comparison: p50 {:.0} ms; the ESIA trip takes {:.2}x a password login",
        p50(&login),
        p50(&trip) / p50(&login)
    );
    env.shim.stop().await;
}

/// The simulator's Sber API as the shim's adapter reaches it (loopback).
async fn sim_base(sim: &AcquiringSimulator) -> String {
    AcquiringSimulator::sber_base_url(&sim.serve_loopback().await.unwrap())
}
