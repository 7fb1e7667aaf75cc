//! kabinet-shim command line: `serve` (default), the operator's `audit` and `evidence` commands,
//! the built-in ledger's `ledger` commands and the staff's `staff` commands.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use kabinet_shim::audit::{verify_journal, CheckpointLog, CheckpointSigner, Journal};
use kabinet_shim::clock::SystemClock;
use kabinet_shim::config::Config;
use kabinet_shim::storage::Store;
use kabinet_shim::{init_tracing, shutdown_signal, App};
use secrecy::ExposeSecret;

#[derive(Parser)]
#[command(name = "kabinet-shim", version, about = "kabinet's server")]
struct Cli {
    /// TOML file layered over the built-in defaults (also KABINET_CONFIG).
    #[arg(long, env = "KABINET_CONFIG", global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the widget and the API (the default).
    Serve,
    /// The audit journal.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Evidence packages of signed documents.
    Evidence {
        #[command(subcommand)]
        command: EvidenceCommand,
    },
    /// Print the effective configuration's validation result.
    CheckConfig,
    /// The built-in ledger: clients, products, loans, savings, contributions, payments.
    Ledger {
        #[command(subcommand)]
        command: kabinet_shim::accounting::ledger::cli::LedgerCommand,
    },
    /// Staff: applications and messages from the cabinet (on the built-in ledger).
    Staff {
        #[command(subcommand)]
        command: kabinet_shim::staff::StaffCommand,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check every row's hash and chain link and every signed checkpoint; names the first bad one.
    Verify {
        /// Public key (64 hex) to check checkpoints with; by default derived from the signing key.
        #[arg(long)]
        public_key: Option<String>,
    },
    /// Sign the current head into the checkpoint file now.
    Checkpoint,
    /// Create the signing key (if missing) and print its public key.
    Keygen,
}

#[derive(Subcommand)]
enum EvidenceCommand {
    /// Check a package offline: every file against the signed manifest, the journal rows' chain,
    /// the stamp against the original; names the first problem.
    Verify {
        /// The package (.zip).
        zip: PathBuf,
        /// The organisation's public key (64 hex); without it only the package's own key is used.
        #[arg(long)]
        public_key: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("kabinet-shim: {e}");
            return ExitCode::from(2);
        }
    };
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let result = rt.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve(config).await,
            Command::CheckConfig => {
                println!("configuration is valid (mode {:?})", config.mode);
                Ok(ExitCode::SUCCESS)
            }
            Command::Audit { command } => audit(config, command).await,
            Command::Evidence { command } => evidence(command),
            Command::Ledger { command } => ledger(config, command).await,
            Command::Staff { command } => staff(config, command).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kabinet-shim: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<ExitCode> {
    init_tracing(config.log_format);
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let app = App::build(config, listener).await?;
    app.run_until_stopped(shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

/// Runs an operator's command against the database, printing its answer or its refusal
/// (exit code 1), and closes the database either way.
async fn with_store<T: std::fmt::Display, E: std::fmt::Display>(
    config: &Config,
    what: &str,
    run: impl AsyncFnOnce(&Store) -> Result<T, E>,
) -> anyhow::Result<ExitCode> {
    let store = Store::open(config.database_url.expose_secret()).await?;
    let result = run(&store).await;
    store.close().await;
    match result {
        Ok(out) => {
            println!("{out}");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("kabinet-shim {what}: {e}");
            Ok(ExitCode::from(1))
        }
    }
}

async fn ledger(config: Config, command: kabinet_shim::accounting::ledger::cli::LedgerCommand) -> anyhow::Result<ExitCode> {
    with_store(&config, "ledger", async |store| {
        let ledger = kabinet_shim::accounting::ledger::Ledger::new(store.clone());
        kabinet_shim::accounting::ledger::cli::run(&ledger, command, time::OffsetDateTime::now_utc()).await
    })
    .await
}

async fn staff(config: Config, command: kabinet_shim::staff::StaffCommand) -> anyhow::Result<ExitCode> {
    with_store(&config, "staff", async |store| {
        let ledger = kabinet_shim::accounting::ledger::Ledger::new(store.clone());
        let journal = Journal::new(store.clone(), std::sync::Arc::new(SystemClock));
        let clock: std::sync::Arc<dyn kabinet_shim::clock::Clock> = std::sync::Arc::new(SystemClock);
        let signing = kabinet_shim::signing::Signing::new(
            store.clone(),
            journal.clone(),
            clock,
            config.org.clone(),
            &config.public_url,
        );
        // Only evidence packages need the key; every other command works without it.
        let key = CheckpointSigner::load(&config.audit.signing_key_path).ok();
        let desk = kabinet_shim::staff::Desk {
            ledger: &ledger,
            journal: &journal,
            division: &config.org.division,
            signing: &signing,
            key: key.as_ref(),
        };
        kabinet_shim::staff::run(&desk, command, time::OffsetDateTime::now_utc()).await
    })
    .await
}

async fn audit(config: Config, command: AuditCommand) -> anyhow::Result<ExitCode> {
    let log = CheckpointLog::new(config.audit.checkpoint_path.clone());
    match command {
        AuditCommand::Keygen => {
            let signer = CheckpointSigner::load_or_create(&config.audit.signing_key_path)?;
            println!("{}", hex::encode(signer.verifying_key().as_bytes()));
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Checkpoint => {
            let signer = CheckpointSigner::load(&config.audit.signing_key_path)?;
            let store = Store::open(config.database_url.expose_secret()).await?;
            let journal = Journal::new(store, std::sync::Arc::new(SystemClock));
            match journal.checkpoint(&signer, &log).await? {
                Some(cp) => println!("checkpoint: row {} hash {}", cp.seq, cp.hash),
                None => println!("nothing new to checkpoint"),
            }
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Verify { public_key } => {
            let key = match public_key {
                Some(hex) => kabinet_shim::audit::parse_public_key(&hex).map_err(anyhow::Error::msg)?,
                None => CheckpointSigner::load(&config.audit.signing_key_path)?.verifying_key(),
            };
            let store = Store::open(config.database_url.expose_secret()).await?;
            let checkpoints = log.read_all()?;
            match verify_journal(&store, &checkpoints, &key).await? {
                Ok(r) => {
                    println!(
                        "OK: {} rows, {} checkpoints, last checkpoint at row {}",
                        r.rows,
                        r.checkpoints,
                        r.last_checkpoint_seq.map(|s| s.to_string()).unwrap_or_else(|| "-".into())
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(problem) => {
                    println!("FAILED: {problem}");
                    Ok(ExitCode::from(1))
                }
            }
        }
    }
}

fn evidence(command: EvidenceCommand) -> anyhow::Result<ExitCode> {
    let EvidenceCommand::Verify { zip, public_key } = command;
    let key = match public_key {
        Some(hex) => Some(kabinet_shim::audit::parse_public_key(&hex).map_err(anyhow::Error::msg)?.to_bytes()),
        None => None,
    };
    let bytes = std::fs::read(&zip).map_err(|e| anyhow::anyhow!("{}: {e}", zip.display()))?;
    match kabinet_shim::signing::evidence::verify(&bytes, key.as_ref()) {
        Ok(package) => {
            println!("OK: {package}");
            Ok(ExitCode::SUCCESS)
        }
        Err(problem) => {
            println!("FAILED: {problem}");
            Ok(ExitCode::from(1))
        }
    }
}
