//! Crash failpoints for the SIGKILL tests: with `KABINET_FAILPOINT=<name>` (demo and test modes
//! only) the shim kills itself with SIGKILL where the code names that point, as a crash would,
//! so a test can show that what was committed survives and what was not is redone once.

use crate::config::Mode;

/// The configured failpoint, read once at start; production never has one.
#[derive(Debug, Clone, Default)]
pub struct Failpoint(Option<String>);

impl Failpoint {
    pub fn from_env(mode: Mode) -> Self {
        match mode {
            Mode::Production => Failpoint(None),
            Mode::Demo | Mode::Test => Failpoint(std::env::var("KABINET_FAILPOINT").ok().filter(|f| !f.is_empty())),
        }
    }

    /// Dies here if `name` is the configured failpoint.
    pub fn hit(&self, name: &str) {
        if self.0.as_deref() != Some(name) {
            return;
        }
        eprintln!("kabinet failpoint reached: {name}");
        #[cfg(unix)]
        {
            let _ = rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::KILL);
        }
        std::process::abort();
    }
}
