//! Headless Chromium through chromedriver: one browser per test, serialized, killed with its
//! whole process group on any exit; elements found by role and accessible name.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::{Element, ShadowRoot};
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

/// Browser tests run one at a time: two Chromiums on two cores only make both flaky.
static BROWSER_LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Holds the browser lock, chromedriver (and its Chromium) and the WebDriver session.
pub struct Browser {
    pub client: Client,
    driver: Child,
    profile: tempfile::TempDir,
    _lock: tokio::sync::MutexGuard<'static, ()>,
}

fn kill_tree(driver: &mut Child, profile: &std::path::Path) {
    let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", driver.id())]).stderr(Stdio::null()).status();
    // Chromium may have left the driver's group; its unique profile path finds it anyway.
    let _ = Command::new("pkill").args(["-KILL", "-f", &profile.display().to_string()]).stderr(Stdio::null()).status();
    let _ = driver.wait();
}

impl Drop for Browser {
    fn drop(&mut self) {
        kill_tree(&mut self.driver, self.profile.path());
    }
}

impl Browser {
    pub async fn start() -> Browser {
        Self::start_with(false, None).await
    }

    /// A browser that blocks third-party cookies, as Safari does by default and Chrome can.
    pub async fn start_blocking_third_party_cookies() -> Browser {
        Self::start_with(true, None).await
    }

    /// A browser whose clock reads in time zone `tz` (an IANA name, e.g. `Etc/GMT+12`), as a
    /// client far from the organisation sees it.
    pub async fn start_in_time_zone(tz: &str) -> Browser {
        Self::start_with(false, Some(tz)).await
    }

    async fn start_with(block_third_party_cookies: bool, tz: Option<&str>) -> Browser {
        let lock = BROWSER_LOCK.lock().await;
        let chrome = std::env::var("KABINET_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let driver_bin = std::env::var("KABINET_CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
            l.local_addr().expect("bound").port()
        };
        let profile = tempfile::tempdir().expect("profile dir");
        let mut command = Command::new(&driver_bin);
        // Chromium inherits chromedriver's environment, and reads its time zone from TZ.
        if let Some(tz) = tz {
            command.env("TZ", tz);
        }
        let mut driver = command
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {driver_bin}: {e}; `cargo xtask test` installs Chromium and chromedriver"));
        let mut args = vec![
            "--headless".to_owned(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--no-first-run".into(),
            "--disable-quic".into(),
            "--hide-scrollbars".into(),
            "--lang=ru-RU".into(),
            "--window-size=1280,1000".into(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        if block_third_party_cookies {
            args.push("--test-third-party-cookie-phaseout".into());
            // chromedriver's computed role and label come back empty for elements in an
            // out-of-process (cross-site) frame; keep the frame in-process so tests can still
            // find things by role and name. Cookie partitioning keys on the top-level site,
            // not on the process, so this changes nothing the test is about.
            args.push("--disable-site-isolation-trials".into());
            args.push("--disable-features=IsolateOrigins,site-per-process".into());
        }
        // cookie_controls_mode 1 = "block third-party cookies" in the settings page.
        let prefs = if block_third_party_cookies {
            json!({ "profile.cookie_controls_mode": 1, "profile.block_third_party_cookies": true })
        } else {
            json!({})
        };
        let caps = json!({
            "goog:chromeOptions": { "binary": chrome, "args": args, "prefs": prefs }
        });
        let caps = match caps {
            Value::Object(m) => m,
            _ => unreachable!(),
        };
        let url = format!("http://127.0.0.1:{port}/");
        let start = Instant::now();
        let client = loop {
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => break c,
                Err(e) if start.elapsed() > Duration::from_secs(30) => {
                    kill_tree(&mut driver, profile.path());
                    panic!("chromedriver did not give a session in 30 s: {e}");
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        };
        Browser { client, driver, profile, _lock: lock }
    }

    /// Sets the layout viewport's width exactly (window chrome differs between builds).
    pub async fn viewport(&self, width: u32, height: u32) {
        let cmd = Cdp {
            cmd: "Emulation.setDeviceMetricsOverride",
            params: json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600 }),
        };
        self.client.issue_cmd(cmd).await.expect("set viewport");
    }

    /// Lets downloads through into `dir` (headless Chromium refuses them by default).
    pub async fn download_into(&self, dir: &std::path::Path) {
        let cmd = Cdp {
            cmd: "Browser.setDownloadBehavior",
            params: json!({ "behavior": "allow", "downloadPath": dir.display().to_string() }),
        };
        self.client.issue_cmd(cmd).await.expect("allow downloads");
    }

    /// A PNG of the whole page (beyond the viewport) into `path`.
    pub async fn screenshot_full(&self, path: &std::path::Path) {
        let metrics = self.client.issue_cmd(Cdp { cmd: "Page.getLayoutMetrics", params: json!({}) }).await.expect("layout metrics");
        let size = &metrics["cssContentSize"];
        let (w, h) = (size["width"].as_f64().unwrap_or(1280.0), size["height"].as_f64().unwrap_or(1000.0));
        let shot = self
            .client
            .issue_cmd(Cdp {
                cmd: "Page.captureScreenshot",
                params: json!({ "format": "png", "captureBeyondViewport": true,
                                "clip": { "x": 0, "y": 0, "width": w, "height": h, "scale": 1 } }),
            })
            .await
            .expect("screenshot");
        use base64::Engine;
        let png = base64::engine::general_purpose::STANDARD.decode(shot["data"].as_str().expect("png data")).expect("base64");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("screenshot dir");
        }
        std::fs::write(path, png).expect("write screenshot");
    }

    /// Every cookie the browser holds, partitioned ones included (CDP), as (name, value).
    pub async fn all_cookies(&self) -> Vec<(String, String)> {
        let v = self.client.issue_cmd(Cdp { cmd: "Network.getAllCookies", params: json!({}) }).await.expect("cookies");
        v["cookies"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|c| (c["name"].as_str().unwrap_or("").to_owned(), c["value"].as_str().unwrap_or("").to_owned()))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

/// A Chrome DevTools command through chromedriver's `goog/cdp/execute`.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(json!({ "cmd": self.cmd, "params": self.params }).to_string()))
    }
}

/// WebDriver's "Get Computed Role" / "Get Computed Label" of an element: what assistive
/// technology would announce.
#[derive(Debug)]
struct ElementGet {
    element: String,
    what: &'static str,
}

impl WebDriverCompatibleCommand for ElementGet {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/element/{}/{}", session.unwrap_or_default(), self.element, self.what))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::GET, None)
    }
}

pub async fn computed(client: &Client, el: &Element, what: &'static str) -> String {
    let v = client.issue_cmd(ElementGet { element: el.element_id().to_string(), what }).await.unwrap_or(Value::Null);
    v.as_str().unwrap_or_default().to_owned()
}

/// Where to look: the page (or the frame entered), or an open shadow root.
pub enum Scope<'a> {
    Page(&'a Client),
    Shadow(&'a Client, ShadowRoot),
}

impl Scope<'_> {
    fn client(&self) -> &Client {
        match self {
            Scope::Page(c) | Scope::Shadow(c, _) => c,
        }
    }

    async fn candidates(&self, css: &str) -> Vec<Element> {
        match self {
            Scope::Page(c) => c.find_all(Locator::Css(css)).await.unwrap_or_default(),
            Scope::Shadow(_, root) => root.find_all(Locator::Css(css)).await.unwrap_or_default(),
        }
    }

    /// Elements with this ARIA role whose accessible name contains `name`.
    pub async fn all_by_role(&self, role: &str, name: &str) -> Vec<Element> {
        // Tag and attribute selectors only narrow the search; the decision is the browser's
        // own computed role and name.
        let css = match role {
            "heading" => "h1,h2,h3,h4,h5,h6,[role=heading]",
            "region" => "section,[role=region]",
            "button" => "button,[role=button],input[type=button],input[type=submit]",
            "link" => "a[href],[role=link]",
            "textbox" => "input,textarea,[role=textbox]",
            "checkbox" => "input[type=checkbox],[role=checkbox]",
            "list" => "ul,ol,[role=list]",
            "listitem" => "li,[role=listitem]",
            "alert" => "[role=alert]",
            "status" => "[role=status]",
            "iframe" => "iframe",
            _ => "*",
        };
        let mut out = Vec::new();
        for el in self.candidates(css).await {
            let r = computed(self.client(), &el, "computedrole").await;
            let role_ok = r == role || (role == "iframe" && (r == "Iframe" || r == "iframe" || r.is_empty()));
            if role_ok && computed(self.client(), &el, "computedlabel").await.contains(name) {
                out.push(el);
            }
        }
        out
    }

    /// Waits up to `limit` for the element with this role whose accessible name is exactly
    /// `name` (when several names contain it, as «Пароль» and «Показать пароль» do).
    pub async fn by_role_exact(&self, role: &str, name: &str, limit: Duration) -> Element {
        let start = Instant::now();
        loop {
            for el in self.all_by_role(role, name).await {
                if computed(self.client(), &el, "computedlabel").await.trim() == name {
                    return el;
                }
            }
            if start.elapsed() > limit {
                panic!("no {role} named exactly {name:?} within {} s", limit.as_secs());
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Waits up to `limit` for one element with this role and name.
    pub async fn by_role(&self, role: &str, name: &str, limit: Duration) -> Element {
        let start = Instant::now();
        loop {
            if let Some(el) = self.all_by_role(role, name).await.into_iter().next() {
                return el;
            }
            if start.elapsed() > limit {
                panic!("no {role} named {name:?} within {} s", limit.as_secs());
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }
}

/// Runs a test body under a time limit, so a stuck browser fails the test instead of hanging it.
pub async fn within<F: std::future::Future>(secs: u64, f: F) -> F::Output {
    match tokio::time::timeout(Duration::from_secs(secs), f).await {
        Ok(v) => v,
        Err(_) => panic!("test did not finish within {secs} s"),
    }
}

/// Polls `f` until it returns Some, or panics with `what` after `limit`.
pub async fn eventually<T, Fut: std::future::Future<Output = Option<T>>>(what: &str, limit: Duration, mut f: impl FnMut() -> Fut) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f().await {
            return v;
        }
        if start.elapsed() > limit {
            panic!("{what}: not within {} s", limit.as_secs());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
