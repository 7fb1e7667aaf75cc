//! Test harness: starts the real shim and host-demo on port 0 (on SQLite or a fresh PostgreSQL
//! database), drives headless Chromium through chromedriver, and finds elements as a person
//! does, by role and accessible name.

pub mod browser;
pub mod client;
pub mod env;
pub mod esia;
pub mod faulty;

use std::path::PathBuf;
use std::sync::Arc;

use figment::providers::{Format, Serialized, Toml};
use figment::Figment;
use kabinet_shim::clock::{Clock, SystemClock};
use kabinet_shim::config::{Config, DEFAULT_TOML};
use kabinet_shim::http::AppState;
use kabinet_shim::App;
use tokio::sync::oneshot;

pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is in the workspace").to_owned()
}

/// The built widget; browser tests need `cargo xtask build` (which `cargo xtask test` runs).
pub fn pkg_dir() -> PathBuf {
    let dir = std::env::var("KABINET_PKG_DIR").map(PathBuf::from).unwrap_or_else(|_| workspace_root().join("pkg"));
    assert!(
        dir.join("kabinet_widget_bg.wasm").is_file() && dir.join("kabinet.js").is_file(),
        "the widget is not built in {}: run `cargo xtask build` (or `cargo xtask test`)",
        dir.display()
    );
    dir
}

/// Which database a test runs on.
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite,
    /// A PostgreSQL server URL (any database on it); each test gets a fresh database.
    Postgres(String),
}

/// The PostgreSQL server for tests. CI must have it: missing PostgreSQL fails, never skips.
pub fn postgres_server_url() -> String {
    std::env::var("KABINET_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432/postgres".into())
}

static STALE_DROPPED: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();

/// Creates an empty database on the test server and returns its URL.
pub async fn fresh_postgres_database() -> String {
    use sqlx::Connection;
    let server = postgres_server_url();
    let mut conn = sqlx::PgConnection::connect(&server).await.unwrap_or_else(|e| {
        panic!("PostgreSQL is required for these tests and is not reachable at {server}: {e}. `cargo xtask test` installs and starts it.")
    });
    // Once per test process, before the first new one: drop what earlier runs left behind.
    STALE_DROPPED
        .get_or_init(|| async {
            let stale: Vec<(String,)> =
                sqlx::query_as("SELECT datname::text FROM pg_database WHERE datname LIKE 'kabinet\\_t\\_%'")
                    .fetch_all(&mut conn)
                    .await
                    .unwrap_or_default();
            for (db,) in stale {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")).execute(&mut conn).await;
            }
        })
        .await;
    let name = format!("kabinet_t_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("create test database");
    let mut url = url::Url::parse(&server).expect("postgres URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// A database URL of the requested kind inside `dir` (SQLite) or on the server (PostgreSQL).
pub async fn database_url(db: &Db, dir: &std::path::Path) -> String {
    match db {
        Db::Sqlite => format!("sqlite://{}?mode=rwc", dir.join("kabinet.db").display()),
        Db::Postgres(_) => fresh_postgres_database().await,
    }
}

/// A configuration for tests: the documented defaults, test mode, files in `dir`.
pub fn test_config(dir: &std::path::Path, database_url: &str, public_url: &str, allowed_origins: &[String]) -> Config {
    let f = Figment::from(Toml::string(DEFAULT_TOML))
        .merge(Serialized::default("mode", "test"))
        .merge(Serialized::default("database_url", database_url))
        .merge(Serialized::default("public_url", public_url))
        .merge(Serialized::default("pkg_dir", pkg_dir_or_missing()))
        .merge(Serialized::default("org.allowed_origins", allowed_origins))
        .merge(Serialized::default("audit.signing_key_path", dir.join("audit.key")))
        .merge(Serialized::default("audit.checkpoint_path", dir.join("checkpoints.jsonl")));
    Config::from_figment(f).expect("test configuration is valid")
}

fn pkg_dir_or_missing() -> PathBuf {
    std::env::var("KABINET_PKG_DIR").map(PathBuf::from).unwrap_or_else(|_| workspace_root().join("pkg"))
}

/// A running shim; stops (and checkpoints) when dropped or stopped.
pub struct TestShim {
    /// `http://lk.company.localhost:PORT`: a name Chromium resolves to loopback.
    pub url: String,
    /// `http://127.0.0.1:PORT` for plain HTTP clients.
    pub loopback: String,
    pub state: AppState,
    pub config: Config,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl TestShim {
    pub async fn start(config: Config, listener: tokio::net::TcpListener) -> TestShim {
        Self::start_with_clock(config, listener, Arc::new(SystemClock)).await
    }

    pub async fn start_with_clock(config: Config, listener: tokio::net::TcpListener, clock: Arc<dyn Clock>) -> TestShim {
        let port = listener.local_addr().expect("bound").port();
        let app = App::build_with_clock(config.clone(), listener, clock).await.expect("shim starts");
        let state = app.state().clone();
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(app.run_until_stopped(async move {
            let _ = rx.await;
        }));
        TestShim {
            url: format!("http://lk.company.localhost:{port}"),
            loopback: format!("http://127.0.0.1:{port}"),
            state,
            config,
            stop: Some(tx),
            task: Some(task),
        }
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("shim task").expect("shim stopped cleanly");
        }
    }
}

impl Drop for TestShim {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

pub async fn bind() -> tokio::net::TcpListener {
    tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback")
}

/// The whole picture a browser sees: host-demo at company.localhost, the shim at
/// lk.company.localhost (a different origin, the same site, as in production), and a foreign
/// site at foreign.localhost.
pub struct Stack {
    pub shim: TestShim,
    pub site_url: String,
    pub foreign_url: String,
    pub dir: tempfile::TempDir,
    stops: Vec<oneshot::Sender<()>>,
}

/// How a [`Stack`] is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Production's recommended layout: the shim on a subdomain of the site (same site).
    Subdomain,
    /// The shim on another site than the pages (othersite.localhost), cookie `Partitioned`.
    OtherSite,
}

impl Stack {
    /// Registers a demo client through the API, as the widget would (SMS code from the
    /// simulator), and returns the signed-in API client: the reference beside a browser.
    pub async fn register(&self, full_name: &str, e164: &str, password: &str) -> client::Client {
        let mut api = client::Client::new(&self.shim.loopback, &self.site_url);
        let sim = self.shim.state.sms_simulator().expect("the stack runs the SMS simulator");
        let before = client::sms_count(sim, e164);
        let body = serde_json::json!({"full_name": full_name, "phone": e164, "password": password, "consent_version": "2026-11-01"});
        let r = api.post("/auth/register", &body).await;
        assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
        let code = client::next_code(sim, e164, before).await;
        let r = api.post("/auth/register/confirm", &serde_json::json!({"phone": e164, "code": code, "password": password})).await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        api
    }

    pub async fn start(db: Db) -> Stack {
        Self::start_with(db, Layout::Subdomain).await
    }

    pub async fn start_with(db: Db, layout: Layout) -> Stack {
        Self::start_configured(db, layout, |_| {}).await
    }

    /// A stack whose shim configuration the test adjusts (limits, lifetimes).
    pub async fn start_configured(db: Db, layout: Layout, edit: impl FnOnce(&mut Config)) -> Stack {
        let dir = tempfile::tempdir().expect("temp dir");
        let (shim_l, site_l, foreign_l) = (bind().await, bind().await, bind().await);
        let port = |l: &tokio::net::TcpListener| l.local_addr().expect("bound").port();
        let shim_url = format!("http://lk.company.localhost:{}", port(&shim_l));
        let site_host = match layout {
            Layout::Subdomain => "company.localhost",
            Layout::OtherSite => "othersite.localhost",
        };
        let site_url = format!("http://{site_host}:{}", port(&site_l));
        let foreign_url = format!("http://foreign.localhost:{}", port(&foreign_l));
        let db_url = database_url(&db, dir.path()).await;
        let mut config = test_config(dir.path(), &db_url, &shim_url, std::slice::from_ref(&site_url));
        if layout == Layout::OtherSite {
            config.auth.cookie = kabinet_shim::config::CookieLayout::Partitioned;
            // ESIA needs the first-party layout (config refuses it otherwise).
            config.esia.enabled = false;
        }
        edit(&mut config);
        let shim = TestShim::start(config, shim_l).await;
        let mut stops = Vec::new();
        for l in [site_l, foreign_l] {
            let (tx, rx) = oneshot::channel::<()>();
            stops.push(tx);
            let site = host_demo::Site::new(shim_url.clone(), foreign_url.clone());
            tokio::spawn(host_demo::serve(l, site, async move {
                let _ = rx.await;
            }));
        }
        Stack { shim, site_url, foreign_url, dir, stops }
    }

    pub async fn stop(self) {
        for s in self.stops {
            let _ = s.send(());
        }
        self.shim.stop().await;
    }
}

/// Where tests leave one-line summaries (how many checks ran on which engine); `cargo xtask
/// test` prints the file at the end, since cargo hides a passing test's output.
pub fn report_path() -> PathBuf {
    workspace_root().join("target/kabinet-test-report.txt")
}

/// Prints a summary line and keeps it for xtask's closing report.
pub fn report(line: &str) {
    use std::io::Write;
    println!("{line}");
    if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(report_path()) {
        let _ = writeln!(f, "{line}");
    }
}

/// Everything the shim logs while tests run, as JSON lines, for tests that grep the logs for
/// secrets. Installed once per test process, at debug level so nothing is filtered away.
pub fn captured_logs() -> &'static std::sync::Mutex<Vec<u8>> {
    static LOGS: std::sync::OnceLock<&'static std::sync::Mutex<Vec<u8>>> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let buf: &'static std::sync::Mutex<Vec<u8>> = Box::leak(Box::new(std::sync::Mutex::new(Vec::new())));
        let writer = move || LogWriter(buf);
        let _ = tracing_subscriber::fmt()
            .json()
            .with_current_span(true)
            .with_env_filter(tracing_subscriber::EnvFilter::new("debug"))
            .with_writer(writer)
            .try_init();
        buf
    })
}

struct LogWriter(&'static std::sync::Mutex<Vec<u8>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(b);
        Ok(b.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The text of a PDF, all pages, as a PDF reader extracts it (through the ToUnicode maps, so
/// Cyrillic comes back as written).
pub fn pdf_text(bytes: &[u8]) -> String {
    let doc = lopdf::Document::load_mem(bytes).expect("the PDF parses");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    doc.extract_text(&pages).expect("text extracts")
}
