//! kabinet's automation, in Rust: `cargo xtask demo | test | bench | build | tools`.

mod proc;
mod tools;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use proc::{run, Service};
use tools::Report;

const USAGE: &str = "usage: cargo xtask <command>

  demo    build everything and run the demo: host-demo with the widget, the shim on SQLite
  test    install what is missing, build the widget, run clippy and the whole test suite
  bench   the loader's and widget's sizes and the time to the widget's first screen
  build   build the widget into pkg/ (wasm-pack + wasm-opt + loader + CSS)
  tools   install the build and test tools only";

fn main() {
    proc::install_signal_handler();
    let cmd = std::env::args().nth(1).unwrap_or_default();
    let result = match cmd.as_str() {
        "demo" => demo(),
        "test" => test(),
        "bench" => bench(),
        "build" => build_only(),
        "tools" => tools_only(),
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    };
    if let Err(e) = result {
        eprintln!("\nxtask {cmd}: error: {e:#}");
        std::process::exit(1);
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_owned()
}

fn minutes(m: u64) -> Duration {
    Duration::from_secs(m * 60)
}

/// The tools every widget build needs; returns npm's wasm-opt if there is one.
fn wasm_tools(r: &mut Report) -> Result<Option<PathBuf>> {
    let root = root();
    tools::ensure_wasm_target(r)?;
    tools::ensure_wasm_bindgen(r, &root)?;
    tools::ensure_wasm_pack(r)?;
    tools::ensure_wasm_opt(r)
}

fn tools_only() -> Result<()> {
    let mut r = Report::default();
    wasm_tools(&mut r)?;
    tools::ensure_chromium(&mut r)?;
    tools::ensure_postgres(&mut r)?;
    r.print("tools:");
    Ok(())
}

fn build_only() -> Result<()> {
    let mut r = Report::default();
    let wasm_opt = wasm_tools(&mut r)?;
    build_widget(&mut r, wasm_opt.as_deref())?;
    r.print("build:");
    Ok(())
}

/// wasm-pack (release profile tuned for size) → pkg/, then wasm-opt -Oz, then the loader, the
/// embed bootstrap and the CSS beside it, each also precompressed for the shim to serve.
fn build_widget(r: &mut Report, wasm_opt: Option<&Path>) -> Result<()> {
    let root = root();
    let pkg = root.join("pkg");
    let t = Instant::now();
    let mut cmd = Command::new(tools::tools_dir().join("bin/wasm-pack"));
    cmd.current_dir(&root)
        .env("PATH", tools::path_with_tools())
        .args(["--log-level", "warn", "build", "widget", "--target", "web", "--out-name", "kabinet_widget", "--no-typescript", "--no-pack"])
        .args(["--mode", "no-install", "--profile", "wasm-release", "--out-dir"])
        .arg(&pkg);
    run("wasm-pack build", &mut cmd, minutes(20))?;
    r.note_phase("widget wasm-pack", t.elapsed());

    let wasm = pkg.join("kabinet_widget_bg.wasm");
    if let Some(opt) = wasm_opt {
        let t = Instant::now();
        let tmp = pkg.join("kabinet_widget_bg.opt.wasm");
        run("wasm-opt", Command::new(opt).arg("-Oz").arg(&wasm).arg("-o").arg(&tmp), minutes(5))?;
        std::fs::rename(&tmp, &wasm)?;
        r.note_phase("widget wasm-opt -Oz", t.elapsed());
    }
    for (src, name) in [
        ("widget/loader/kabinet.js", "kabinet.js"),
        ("widget/loader/kabinet-embed.js", "kabinet-embed.js"),
        ("widget/style/kabinet.css", "kabinet.css"),
    ] {
        std::fs::copy(root.join(src), pkg.join(name)).with_context(|| format!("copying {src}"))?;
    }
    for name in ["kabinet.js", "kabinet-embed.js", "kabinet.css", "kabinet_widget.js", "kabinet_widget_bg.wasm"] {
        let raw = std::fs::read(pkg.join(name))?;
        std::fs::write(pkg.join(format!("{name}.gz")), gzip(&raw))?;
        std::fs::write(pkg.join(format!("{name}.br")), brotli(&raw))?;
    }
    Ok(())
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).expect("in-memory write");
    e.finish().expect("in-memory write")
}

fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, 11, 22);
        w.write_all(data).expect("in-memory write");
    }
    out
}

trait Phase {
    fn note_phase(&mut self, what: &str, took: Duration);
}

impl Phase for Report {
    fn note_phase(&mut self, what: &str, took: Duration) {
        eprintln!("xtask: {what} done ({:.1} s)", took.as_secs_f64());
        self.lines.push((what.to_owned(), "done".into(), took));
    }
}

fn test() -> Result<()> {
    let started = Instant::now();
    let root = root();
    let mut r = Report::default();
    let wasm_opt = wasm_tools(&mut r)?;
    tools::ensure_chromium(&mut r)?;
    tools::ensure_postgres(&mut r)?;
    build_widget(&mut r, wasm_opt.as_deref())?;

    let t = Instant::now();
    run(
        "cargo clippy",
        Command::new("cargo").current_dir(&root).args(["clippy", "--workspace", "--all-targets", "--quiet", "--", "-D", "warnings"]),
        minutes(20),
    )?;
    r.note_phase("clippy -D warnings", t.elapsed());

    let t = Instant::now();
    let mut cmd = Command::new("cargo");
    cmd.current_dir(&root).args(["test", "--workspace", "--no-fail-fast"]).env("KABINET_PKG_DIR", root.join("pkg"));
    if std::env::var_os("KABINET_TEST_POSTGRES").is_none() {
        cmd.env("KABINET_TEST_POSTGRES", tools::DEFAULT_PG_URL);
    }
    let report = root.join("target/kabinet-test-report.txt");
    let _ = std::fs::remove_file(&report);
    let outcome = proc::run_tests("cargo test", &mut cmd, minutes(30));
    r.note_phase("cargo test --workspace", t.elapsed());
    if let Ok(lines) = std::fs::read_to_string(&report) {
        eprintln!("\nwhat the suites counted:\n{lines}");
    }
    r.print(&format!("xtask test: {:.0} s in all", started.elapsed().as_secs_f64()));
    let counts = outcome?;
    // One plain closing line with the totals of every test binary.
    println!("tests: {} passed, {} failed, {} skipped", counts.passed, counts.failed, counts.ignored);
    Ok(())
}

fn demo() -> Result<()> {
    let root = root();
    let mut r = Report::default();
    let wasm_opt = wasm_tools(&mut r)?;
    build_widget(&mut r, wasm_opt.as_deref())?;
    run("cargo build", Command::new("cargo").current_dir(&root).args(["build", "-p", "kabinet-shim", "-p", "host-demo"]), minutes(30))?;

    let shim_port = std::env::var("KABINET_DEMO_SHIM_PORT").unwrap_or_else(|_| "8080".into());
    let site_port = std::env::var("KABINET_DEMO_SITE_PORT").unwrap_or_else(|_| "8000".into());
    let foreign_port = std::env::var("KABINET_DEMO_FOREIGN_PORT").unwrap_or_else(|_| "8001".into());
    let shim_url = format!("http://lk.company.localhost:{shim_port}");
    let site_url = format!("http://company.localhost:{site_port}");
    let foreign_url = format!("http://foreign.localhost:{foreign_port}");
    let data = root.join(".kabinet");
    std::fs::create_dir_all(&data)?;

    // Where cargo put the binaries: CARGO_TARGET_DIR when set, else target/.
    let target = std::env::var_os("CARGO_TARGET_DIR").map(std::path::PathBuf::from).unwrap_or_else(|| root.join("target"));
    let bin = target.join("debug");
    let mut services = [
        Service::spawn(
            "kabinet-shim",
            Command::new(bin.join("kabinet-shim"))
                .current_dir(&root)
                .env("KABINET_MODE", "demo")
                .env("KABINET_LISTEN", format!("127.0.0.1:{shim_port}"))
                .env("KABINET_PUBLIC_URL", &shim_url)
                .env("KABINET_PKG_DIR", root.join("pkg"))
                .env("KABINET_DATABASE_URL", format!("sqlite://{}?mode=rwc", data.join("demo.db").display()))
                .env("KABINET_ORG__ALLOWED_ORIGINS", format!("[\"{site_url}\"]"))
                .env("KABINET_LOG_FORMAT", "pretty"),
        )?,
        Service::spawn("host-demo", Command::new(bin.join("host-demo")).args([&format!("127.0.0.1:{site_port}"), &shim_url, &foreign_url]))?,
        Service::spawn(
            "host-demo (foreign origin)",
            Command::new(bin.join("host-demo")).args([&format!("127.0.0.1:{foreign_port}"), &shim_url, &foreign_url]),
        )?,
    ];
    // Staff answer applications and messages from the command line until the staff console
    // exists: the exact command against this demo's database, ready to paste.
    let staff = format!(
        "KABINET_MODE=demo KABINET_DATABASE_URL='sqlite://{}?mode=rwc' {}",
        data.join("demo.db").display(),
        bin.join("kabinet-shim").display()
    );
    // One write, so the services' own start lines do not cut into it.
    eprintln!(
        "\nkabinet demo is running (Ctrl-C stops it):\n\n  the company site:   {site_url}/\n  the cabinet page:   {site_url}/cabinet        (frame mode)\n                      {site_url}/cabinet?mode=inline\n  themed / hostile:   {site_url}/themed   {site_url}/hostile\n  the shim:           {shim_url}/healthz   {shim_url}/openapi.json\n\nDemo clients (register with the name and phone; the SMS code shows in the page's demo panel):\n  Иванова Мария Петровна      +7 916 123-45-67\n  Петров Сергей Николаевич    +7 913 765-43-21\n  Смирнова Анна Викторовна    +7 923 555-01-02\n  Кузнецов Алексей Иванович   +7 999 000-11-22\n\nStaff answer what clients send (in another terminal):\n  {staff} staff applications\n  {staff} staff status ЛК-… approved --comment \"Ждём вас в офисе\" --operator \"Коротков Е. Ю.\"\n  {staff} staff messages --client demo-0001 --operator \"Коротков Е. Ю.\"\n  {staff} staff reply --client demo-0001 --text \"Квитанция во вложении\" --file ПД-4.pdf --operator \"Коротков Е. Ю.\"\n\nCard payments go to a simulated Sber page (payments.simulator_protocol = \"payler\" for Payler):\n  4111 1111 1111 1111 pays   4000 0000 0000 0002 is declined   4000 0000 0000 0077 hangs\n\n«Войти через Госуслуги» goes to a simulated ESIA (no SMS); its persons:\n  Иванова Мария Петровна      passport verified, matches demo-0001 (opens or links her cabinet)\n  Сидоров Пётр Ильич          nobody's client: told what to do\n  Петров Сергей Николаевич    passport not verified by ESIA: no match\n\n*.localhost names resolve to 127.0.0.1 in Chromium and Firefox.\n"
    );
    loop {
        std::thread::sleep(Duration::from_millis(300));
        if proc::interrupted() {
            return Ok(());
        }
        for s in services.iter_mut() {
            if let Some(status) = s.exited() {
                bail!("{} stopped ({status})", s.name);
            }
        }
    }
}

fn bench() -> Result<()> {
    let root = root();
    let mut r = Report::default();
    let wasm_opt = wasm_tools(&mut r)?;
    tools::ensure_chromium(&mut r)?;
    build_widget(&mut r, wasm_opt.as_deref())?;
    let pkg = root.join("pkg");
    println!("\nSizes (bytes)                raw      gzip -9   brotli -q11");
    let mut total = (0, 0, 0);
    for name in ["kabinet.js", "kabinet-embed.js", "kabinet_widget.js", "kabinet_widget_bg.wasm", "kabinet.css"] {
        let raw = std::fs::read(pkg.join(name))?;
        let (g, b) = (gzip(&raw).len(), brotli(&raw).len());
        total = (total.0 + raw.len(), total.1 + g, total.2 + b);
        println!("  {name:<24} {:>9} {:>10} {:>12}", raw.len(), g, b);
    }
    println!("  {:<24} {:>9} {:>10} {:>12}", "all", total.0, total.1, total.2);
    run(
        "kabinet-bench",
        Command::new("cargo").current_dir(&root).args(["run", "--quiet", "-p", "kabinet-tests", "--bin", "kabinet-bench"]).env("KABINET_PKG_DIR", &pkg),
        minutes(20),
    )?;
    Ok(())
}
