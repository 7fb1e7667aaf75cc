//! kabinet-shim as a library: `App::build` starts the real server on any listener (tests use
//! port 0), `run_until_stopped` serves until the shutdown future resolves.

pub mod accounting;
pub mod audit;
pub mod auth;
pub mod cabinet;
pub mod clock;
pub mod config;
pub mod documents;
pub mod failpoint;
pub mod gateways;
pub mod http;
pub mod org;
pub mod payments;
pub mod requests;
pub mod signing;
pub mod staff;
pub mod storage;
pub mod uploads;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use secrecy::ExposeSecret;

use crate::accounting::contract::ContractAuth;
use crate::accounting::http::HttpAccounting;
use crate::accounting::ledger::Ledger;
use crate::accounting::DynAccounting;
use crate::audit::{CheckpointLog, CheckpointSigner};
use crate::clock::{Clock, SystemClock};
use crate::config::{AccountingBackend, Config, Mode};
use crate::http::AppState;
use crate::storage::Store;

pub struct App {
    state: AppState,
    listener: tokio::net::TcpListener,
    addr: SocketAddr,
    signer: Arc<CheckpointSigner>,
    contract: Option<ContractListener>,
}

/// The accounting contract served from the built-in ledger (`accounting.serve_enabled`).
struct ContractListener {
    listener: tokio::net::TcpListener,
    addr: SocketAddr,
    auth: ContractAuth,
    ledger: DynAccounting,
}

impl App {
    pub async fn build(config: Config, listener: tokio::net::TcpListener) -> anyhow::Result<App> {
        Self::build_with_clock(config, listener, Arc::new(SystemClock)).await
    }

    pub async fn build_with_clock(
        config: Config,
        listener: tokio::net::TcpListener,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<App> {
        config.validate()?;
        let signer = match config.mode {
            Mode::Production => CheckpointSigner::load(&config.audit.signing_key_path)?,
            Mode::Demo | Mode::Test => CheckpointSigner::load_or_create(&config.audit.signing_key_path)?,
        };
        let store = Store::open(config.database_url.expose_secret()).await?;
        let addr = listener.local_addr()?;
        let ledger = Ledger::new(store.clone());
        if config.mode != Mode::Production {
            ledger.seed_demo(clock.now().unix_timestamp(), accounting::business_day(clock.now())).await?;
        }
        let accounting: DynAccounting = match config.accounting.backend {
            AccountingBackend::Ledger => Arc::new(ledger.clone()),
            AccountingBackend::Http => Arc::new(HttpAccounting::from_config(&config.accounting)?),
        };
        let contract = if config.accounting.serve_enabled {
            let auth = ContractAuth::from_config(&config.accounting)?;
            let listener = tokio::net::TcpListener::bind(config.accounting.serve_listen).await?;
            let addr = listener.local_addr()?;
            Some(ContractListener { listener, addr, auth, ledger: Arc::new(ledger) })
        } else {
            None
        };
        let (sms, sms_simulator) = gateways::sms::build(&config).await?;
        // The first unknown-phone login would otherwise pay for making the dummy hash.
        tokio::task::spawn_blocking(|| {
            let _ = auth::password::dummy_hash();
        });
        // The simulated bank calls back the shim's own listener (loopback), as the real bank
        // calls the public address configured with it.
        let callback_root = format!("{}://{addr}", if config.tls().is_some() { "https" } else { "http" });
        let (acquirer, acquiring_simulator) = gateways::acquiring::build(&config, &callback_root).await?;
        let (esia, esia_simulator) = gateways::esia::build(&config, clock.clone()).await?;
        let gateways = http::Gateways { sms, sms_simulator, acquirer, acquiring_simulator, esia, esia_simulator };
        let state = AppState::new(config, store, clock, accounting, gateways);
        // A signature a crash left unjournaled gets its row before anything else happens.
        state.signing().journal_pending().await.map_err(|e| anyhow::anyhow!("journaling pending signatures: {e:?}"))?;
        if state.config().mode == Mode::Demo {
            signing::demo::seed(state.signing(), state.accounting()).await?;
        }
        Ok(App { state, listener, addr, signer: Arc::new(signer), contract })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where the accounting contract is served, when `accounting.serve_enabled` (port 0 in
    /// tests: this is how they learn the port).
    pub fn contract_addr(&self) -> Option<SocketAddr> {
        self.contract.as_ref().map(|c| c.addr)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then finishes in-flight requests, checkpoints the
    /// journal's head and closes the database.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let App { state, listener, addr, signer, contract } = self;
        // One shutdown for the API and the contract server.
        let (down_tx, down_rx) = tokio::sync::watch::channel(false);
        {
            let payments = state.payments().clone();
            tokio::spawn(async move {
                shutdown.await;
                // Long polls answer now rather than hold the graceful shutdown.
                payments.stop();
                let _ = down_tx.send(true);
            });
        }
        let payments_worker = tokio::spawn(state.payments().clone().run_workers());
        let stopped = move |mut rx: tokio::sync::watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|down| *down).await;
        };
        let contract_task = contract.map(|c| {
            tokio::spawn(accounting::contract::serve(c.listener, c.ledger, c.auth, stopped(down_rx.clone())))
        });
        let shutdown = stopped(down_rx);
        let config = state.config().clone();
        let router = http::router(state.clone());
        let service = router.into_make_service_with_connect_info::<SocketAddr>();

        let log = Arc::new(CheckpointLog::new(config.audit.checkpoint_path.clone()));
        let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
        let checkpointer = {
            let (journal, signer, log) = (state.journal().clone(), signer.clone(), log.clone());
            let state = state.clone();
            let every = Duration::from_secs(config.audit.checkpoint_interval_secs);
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(every);
                let mut prune = tokio::time::interval(Duration::from_secs(3600));
                tick.tick().await;
                loop {
                    tokio::select! {
                        _ = tick.tick() => {
                            if let Err(e) = journal.checkpoint(&signer, &log).await {
                                tracing::error!(error = %e, "audit checkpoint failed");
                            }
                        }
                        _ = prune.tick() => {
                            if let Err(e) = state.auth().prune(state.now_secs()).await {
                                tracing::warn!(error = %e, "pruning old code requests failed");
                            }
                            if let Err(e) = cabinet::reads::prune(&state).await {
                                tracing::warn!(error = %e, "pruning read counters failed");
                            }
                            if let Err(e) = http::idempotency::prune(state.store(), state.now_secs()).await {
                                tracing::warn!(error = %e, "pruning idempotency keys failed");
                            }
                        }
                        _ = stop_rx.changed() => break,
                    }
                }
            })
        };

        tracing::info!(%addr, tls = config.tls().is_some(), mode = ?config.mode, "kabinet-shim listening");
        if let Some(tls) = config.tls() {
            let _ = rustls::crypto::ring::default_provider().install_default();
            let rustls_config =
                axum_server::tls_rustls::RustlsConfig::from_pem_file(&tls.cert_path, &tls.key_path).await?;
            let handle = axum_server::Handle::new();
            let h = handle.clone();
            tokio::spawn(async move {
                shutdown.await;
                h.graceful_shutdown(Some(Duration::from_secs(10)));
            });
            axum_server::from_tcp_rustls(listener.into_std()?, rustls_config).handle(handle).serve(service).await?;
        } else {
            axum::serve(listener, service).with_graceful_shutdown(shutdown).await?;
        }

        if let Some(task) = contract_task {
            match task.await {
                Ok(Err(e)) => tracing::error!(error = %e, "accounting contract server failed"),
                Err(e) => tracing::error!(error = %e, "accounting contract server panicked"),
                Ok(Ok(())) => {}
            }
        }
        let _ = stop_tx.send(true);
        let _ = checkpointer.await;
        state.payments().stop();
        let _ = payments_worker.await;
        if let Err(e) = state.journal().checkpoint(&signer, &log).await {
            tracing::error!(error = %e, "final audit checkpoint failed");
        }
        state.store().close().await;
        tracing::info!("kabinet-shim stopped");
        Ok(())
    }
}

/// Resolves on Ctrl-C or SIGTERM, for `main`.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// JSON (or pretty) logs to stderr, level from RUST_LOG.
pub fn init_tracing(format: config::LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        config::LogFormat::Json => builder.json().with_current_span(true).with_span_list(false).try_init(),
        config::LogFormat::Pretty => builder.try_init(),
    };
}
