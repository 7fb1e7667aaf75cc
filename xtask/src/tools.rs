//! Installs what the build and the tests need, idempotently and quickly when already present:
//! the wasm32 target, wasm-bindgen-cli at exactly the Cargo.lock version, wasm-pack, a
//! known-good wasm-opt (npm's binaryen, never Debian's 108), Chromium and chromedriver, and
//! PostgreSQL. Where an install is impossible it stops and names the missing piece.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};

use crate::proc::{output, run};

pub const WASM_PACK_VERSION: &str = "0.15.1";
/// binaryen from npm; 116+ work, Debian's 108 silently breaks wasm-bindgen's output.
pub const BINARYEN_NPM_VERSION: &str = "132.0.0";
const MIN_WASM_OPT: u32 = 116;

/// What each step found or did, for the closing report.
#[derive(Default)]
pub struct Report {
    pub lines: Vec<(String, String, Duration)>,
}

impl Report {
    fn note(&mut self, what: &str, action: impl Into<String>, took: Duration) {
        let action = action.into();
        eprintln!("xtask: {what}: {action} ({:.1} s)", took.as_secs_f64());
        self.lines.push((what.to_owned(), action, took));
    }

    pub fn print(&self, title: &str) {
        eprintln!("\n{title}");
        for (what, action, took) in &self.lines {
            eprintln!("  {what:<22} {:>7.1} s  {action}", took.as_secs_f64());
        }
    }
}

/// Where xtask keeps the tools it installs: $KABINET_TOOLS, or ~/.cache/kabinet/tools.
pub fn tools_dir() -> PathBuf {
    if let Ok(d) = std::env::var("KABINET_TOOLS") {
        return PathBuf::from(d);
    }
    let home = std::env::var("HOME").unwrap_or_else(|_| "/tmp".into());
    PathBuf::from(home).join(".cache/kabinet/tools")
}

/// PATH with our tools first, so wasm-pack finds the wasm-bindgen we installed.
pub fn path_with_tools() -> String {
    let dir = tools_dir();
    let old = std::env::var("PATH").unwrap_or_default();
    format!("{}:{}:{old}", dir.join("bin").display(), dir.join("npm/node_modules/.bin").display())
}

fn has_exact(program: &Path, expected: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).split_whitespace().nth(1) == Some(expected))
        .unwrap_or(false)
}

pub fn ensure_wasm_target(r: &mut Report) -> Result<()> {
    let t = Instant::now();
    let installed = output("rustup", &["target", "list", "--installed"])
        .ok_or_else(|| anyhow!("rustup is missing: install Rust with rustup (https://rustup.rs) first"))?;
    if installed.lines().any(|l| l.trim() == "wasm32-unknown-unknown") {
        r.note("wasm32 target", "present", t.elapsed());
        return Ok(());
    }
    run("rustup target add", Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]), Duration::from_secs(600))?;
    r.note("wasm32 target", "installed with rustup", t.elapsed());
    Ok(())
}

/// The wasm-bindgen version Cargo.lock pins; the CLI must equal it exactly.
pub fn locked_wasm_bindgen_version(root: &Path) -> Result<String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).context("reading Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(l) = lines.next() {
        if l.trim() == "name = \"wasm-bindgen\"" {
            if let Some(v) = lines.next().and_then(|v| v.trim().strip_prefix("version = \"")) {
                return Ok(v.trim_end_matches('"').to_owned());
            }
        }
    }
    bail!("Cargo.lock has no wasm-bindgen entry")
}

fn cargo_install(r: &mut Report, what: &str, args: &[&str]) -> Result<()> {
    let t = Instant::now();
    let root = tools_dir();
    let mut cmd = Command::new("cargo");
    cmd.arg("install").args(args).arg("--root").arg(&root);
    run(what, &mut cmd, Duration::from_secs(1200))
        .with_context(|| format!("installing {what} from crates.io failed; it is needed to build the widget"))?;
    r.note(what, format!("installed into {}", root.join("bin").display()), t.elapsed());
    Ok(())
}

pub fn ensure_wasm_bindgen(r: &mut Report, root: &Path) -> Result<()> {
    let t = Instant::now();
    let version = locked_wasm_bindgen_version(root)?;
    if has_exact(&tools_dir().join("bin/wasm-bindgen"), &version) {
        r.note("wasm-bindgen-cli", format!("{version} present"), t.elapsed());
        return Ok(());
    }
    // No --locked: its lockfile wants a webpki-roots newer than the registry mirror has.
    cargo_install(r, "wasm-bindgen-cli", &["wasm-bindgen-cli", "--version", &version])
}

pub fn ensure_wasm_pack(r: &mut Report) -> Result<()> {
    let t = Instant::now();
    if has_exact(&tools_dir().join("bin/wasm-pack"), WASM_PACK_VERSION) {
        r.note("wasm-pack", format!("{WASM_PACK_VERSION} present"), t.elapsed());
        return Ok(());
    }
    cargo_install(r, "wasm-pack", &["wasm-pack", "--version", WASM_PACK_VERSION, "--locked"])
}

/// npm's binaryen; returns its wasm-opt, or None (with a warning) where npm is missing, in
/// which case the widget ships unoptimised rather than broken.
pub fn ensure_wasm_opt(r: &mut Report) -> Result<Option<PathBuf>> {
    let t = Instant::now();
    let prefix = tools_dir().join("npm");
    let bin = prefix.join("node_modules/.bin/wasm-opt");
    let good = |bin: &Path| {
        output(bin.to_str().unwrap_or_default(), &["--version"])
            .and_then(|v| v.split_whitespace().find_map(|w| w.parse::<u32>().ok()))
            .is_some_and(|major| major >= MIN_WASM_OPT)
    };
    if bin.exists() && good(&bin) {
        r.note("wasm-opt", format!("binaryen {BINARYEN_NPM_VERSION} (npm) present"), t.elapsed());
        return Ok(Some(bin));
    }
    if output("npm", &["--version"]).is_none() {
        r.note("wasm-opt", "npm missing: the widget will not be size-optimised", t.elapsed());
        return Ok(None);
    }
    std::fs::create_dir_all(&prefix)?;
    let mut cmd = Command::new("npm");
    cmd.args(["install", "--no-audit", "--no-fund", "--prefix"]).arg(&prefix).arg(format!("binaryen@{BINARYEN_NPM_VERSION}"));
    run("npm install binaryen", &mut cmd, Duration::from_secs(600))?;
    if !good(&bin) {
        bail!("npm's binaryen did not give a working wasm-opt at {}", bin.display());
    }
    r.note("wasm-opt", format!("binaryen {BINARYEN_NPM_VERSION} installed from npm"), t.elapsed());
    Ok(Some(bin))
}

fn is_root() -> bool {
    output("id", &["-u"]).as_deref() == Some("0")
}

fn apt_install(what: &str, packages: &[&str]) -> Result<()> {
    if !is_root() {
        bail!("{what} is missing and installing it needs root: run `sudo apt-get install -y {}`", packages.join(" "));
    }
    let env = [("DEBIAN_FRONTEND", "noninteractive")];
    run("apt-get update", Command::new("apt-get").arg("update").envs(env), Duration::from_secs(600))
        .with_context(|| format!("{what} is missing and apt-get update failed"))?;
    run(&format!("apt-get install {what}"), Command::new("apt-get").args(["install", "-y"]).args(packages).envs(env), Duration::from_secs(1200))
        .with_context(|| format!("{what} is missing and could not be installed with apt-get ({})", packages.join(" ")))?;
    Ok(())
}

pub fn chromium_paths() -> (PathBuf, PathBuf) {
    let chrome = std::env::var("KABINET_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let driver = std::env::var("KABINET_CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    (chrome.into(), driver.into())
}

pub fn ensure_chromium(r: &mut Report) -> Result<()> {
    let t = Instant::now();
    let (chrome, driver) = chromium_paths();
    if chrome.exists() && driver.exists() {
        r.note("chromium+driver", "present", t.elapsed());
        return Ok(());
    }
    apt_install("Chromium and chromedriver", &["chromium", "chromium-driver"])?;
    r.note("chromium+driver", "installed from Debian", t.elapsed());
    Ok(())
}

pub const DEFAULT_PG_URL: &str = "postgres://postgres:postgres@127.0.0.1:5432/postgres";

/// PostgreSQL on 127.0.0.1:5432: present, started, or installed and started.
pub fn ensure_postgres(r: &mut Report) -> Result<()> {
    let t = Instant::now();
    let ready = || Command::new("pg_isready").args(["-h", "127.0.0.1", "-p", "5432"]).output().is_ok_and(|o| o.status.success());
    if ready() {
        r.note("postgresql", "running", t.elapsed());
        return Ok(());
    }
    let mut action = "started";
    if output("pg_lsclusters", &["-h"]).is_none_or(|s| s.is_empty()) {
        apt_install("PostgreSQL", &["postgresql"])?;
        action = "installed from Debian and started";
    }
    let clusters = output("pg_lsclusters", &["-h"]).unwrap_or_default();
    let Some(first) = clusters.lines().next() else { bail!("PostgreSQL is installed but has no cluster (pg_lsclusters is empty)") };
    let cols: Vec<&str> = first.split_whitespace().collect();
    let (ver, name) = (cols[0], cols[1]);
    let _ = Command::new("pg_ctlcluster").args(["--skip-systemctl-redirect", ver, name, "start"]).status();
    for _ in 0..60 {
        if ready() {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    if !ready() {
        bail!("PostgreSQL did not start on 127.0.0.1:5432 (pg_ctlcluster {ver} {name} start)");
    }
    // A fresh Debian cluster asks for a password on TCP: give postgres the one tests use.
    let _ = Command::new("su")
        .args(["postgres", "-c", "psql -q -c \"ALTER USER postgres PASSWORD 'postgres'\""])
        .status();
    r.note("postgresql", action, t.elapsed());
    Ok(())
}
