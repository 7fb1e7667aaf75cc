//! Running child processes: each in its own process group, with a time limit, killed as a group
//! on timeout, failure or Ctrl-C, so nothing (a browser, a server) outlives the run.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static CURRENT_GROUP: AtomicI32 = AtomicI32::new(0);

/// On Ctrl-C or SIGTERM: kill the running child's whole group, then let the wait loop fail.
pub fn install_signal_handler() {
    let _ = ctrlc::set_handler(|| {
        INTERRUPTED.store(true, Ordering::SeqCst);
        let pgid = CURRENT_GROUP.load(Ordering::SeqCst);
        if pgid > 0 {
            kill_group(pgid as u32);
        }
    });
}

pub fn kill_group(pgid: u32) {
    // `kill -KILL -- -PGID` from procps: no unsafe code needed here.
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .stderr(std::process::Stdio::null())
        .status();
}

/// Runs `cmd` to completion within `limit`; a non-zero exit or a timeout is an error.
pub fn run(what: &str, cmd: &mut Command, limit: Duration) -> Result<Duration> {
    let status = run_status(what, cmd, limit)?;
    if !status.0.success() {
        bail!("{what} failed ({})", status.0);
    }
    Ok(status.1)
}

/// Totals of libtest's `test result:` lines.
#[derive(Debug, Default, Clone, Copy)]
pub struct TestCounts {
    pub passed: u64,
    pub failed: u64,
    pub ignored: u64,
}

impl TestCounts {
    fn add_line(&mut self, line: &str) {
        let Some(rest) = line.strip_prefix("test result: ") else { return };
        for part in rest.split(';') {
            let mut words = part.split_whitespace().rev();
            let (Some(kind), Some(n)) = (words.next(), words.next()) else { continue };
            let Ok(n) = n.parse::<u64>() else { continue };
            match kind {
                "passed" => self.passed += n,
                "failed" => self.failed += n,
                "ignored" => self.ignored += n,
                _ => {}
            }
        }
    }
}

/// Runs cargo test like [`run`], echoing its output and adding up what every binary ran.
pub fn run_tests(what: &str, cmd: &mut Command, limit: Duration) -> Result<TestCounts> {
    use std::io::BufRead;
    let counts = std::sync::Arc::new(std::sync::Mutex::new(TestCounts::default()));
    cmd.stdout(std::process::Stdio::piped());
    let (status, _) = run_status_with(what, cmd, limit, |child| {
        let out = child.stdout.take().expect("piped stdout");
        let counts = counts.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                println!("{line}");
                counts.lock().expect("counts").add_line(&line);
            }
        })
    })?;
    let counts = *counts.lock().expect("counts");
    if !status.success() {
        bail!("{what} failed ({status}): {} passed, {} failed", counts.passed, counts.failed);
    }
    Ok(counts)
}

/// Like [`run`] but returns the exit status instead of failing on it.
pub fn run_status(what: &str, cmd: &mut Command, limit: Duration) -> Result<(ExitStatus, Duration)> {
    run_status_with(what, cmd, limit, |_| std::thread::spawn(|| {}))
}

fn run_status_with(
    what: &str,
    cmd: &mut Command,
    limit: Duration,
    attach: impl FnOnce(&mut Child) -> std::thread::JoinHandle<()>,
) -> Result<(ExitStatus, Duration)> {
    let start = Instant::now();
    cmd.process_group(0);
    let mut child: Child = cmd.spawn().with_context(|| format!("cannot start {what}: {cmd:?}"))?;
    let reader = attach(&mut child);
    let pgid = child.id();
    CURRENT_GROUP.store(pgid as i32, Ordering::SeqCst);
    let result = loop {
        if let Some(status) = child.try_wait()? {
            break Ok(status);
        }
        if INTERRUPTED.load(Ordering::SeqCst) {
            kill_group(pgid);
            let _ = child.wait();
            break Err(anyhow::anyhow!("{what}: interrupted"));
        }
        if start.elapsed() > limit {
            kill_group(pgid);
            let _ = child.wait();
            break Err(anyhow::anyhow!("{what}: still running after {} s, killed with its process group", limit.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    // Whatever the child left behind in its group (a browser, a driver) goes too.
    kill_group(pgid);
    let _ = reader.join();
    CURRENT_GROUP.store(0, Ordering::SeqCst);
    Ok((result?, start.elapsed()))
}

/// Output of a quick command, or None if it cannot run.
pub fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// A running background service (the demo's shim and host-demo), killed with its group on drop.
pub struct Service {
    pub name: &'static str,
    child: Child,
}

impl Service {
    pub fn spawn(name: &'static str, cmd: &mut Command) -> Result<Service> {
        cmd.process_group(0);
        let child = cmd.spawn().with_context(|| format!("cannot start {name}"))?;
        Ok(Service { name, child })
    }

    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        kill_group(self.child.id());
        let _ = self.child.wait();
    }
}

pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}
