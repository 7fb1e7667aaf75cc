//! Time source: the system clock in production, a clock tests can move instead of sleeping.

use std::sync::{Arc, Mutex};

use time::OffsetDateTime;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> OffsetDateTime;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that stands still until moved; shared by clones.
#[derive(Clone)]
pub struct ManualClock(Arc<Mutex<OffsetDateTime>>);

impl ManualClock {
    pub fn new(start: OffsetDateTime) -> Self {
        ManualClock(Arc::new(Mutex::new(start)))
    }

    pub fn advance(&self, by: time::Duration) {
        let mut t = self.0.lock().expect("clock lock");
        *t += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().expect("clock lock")
    }
}

/// UTC time as the journal and the wire write it: RFC 3339 with microseconds and `Z`.
pub fn format_utc(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
    );
    t.format(&fmt).expect("formatting a UTC time cannot fail")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_format_is_fixed_width() {
        let t = time::macros::datetime!(2026-11-22 09:36:03.5 +03:00);
        assert_eq!(format_utc(t), "2026-11-22T06:36:03.500000Z");
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::new(time::macros::datetime!(2026-01-01 0:00 UTC));
        let a = c.now();
        c.advance(time::Duration::minutes(5));
        assert_eq!(c.now() - a, time::Duration::minutes(5));
    }
}
