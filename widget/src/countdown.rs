//! A seconds countdown for "ask again in 0:59" and "try again in 1:30", driven by the clock.

use std::time::Duration;

use leptos::prelude::*;

/// Counts down to a moment rather than counting ticks, so a phone that throttles timers in a
/// background tab still shows the right time when the person comes back.
#[derive(Clone, Copy)]
pub struct Countdown {
    left: RwSignal<u32>,
    ends_at_ms: StoredValue<f64>,
    ticker: StoredValue<Option<IntervalHandle>>,
}

impl Countdown {
    /// Must be called in a component: the timer stops when the component goes away.
    pub fn new() -> Self {
        let c = Countdown { left: RwSignal::new(0), ends_at_ms: StoredValue::new(0.0), ticker: StoredValue::new(None) };
        on_cleanup(move || c.stop());
        c
    }

    pub fn start(&self, secs: u32) {
        // An answer may arrive after its screen has gone; no timer for a countdown nobody sees.
        if self.left.try_get_untracked().is_none() {
            return;
        }
        self.stop();
        if secs == 0 {
            self.left.set(0);
            return;
        }
        self.ends_at_ms.set_value(js_sys::Date::now() + f64::from(secs) * 1000.0);
        self.left.set(secs);
        let c = *self;
        let handle = set_interval_with_handle(move || c.tick(), Duration::from_millis(250)).ok();
        self.ticker.set_value(handle);
    }

    /// Seconds left (tracked): 0 when nothing is being waited for.
    pub fn left(&self) -> u32 {
        self.left.get()
    }

    pub fn running(&self) -> bool {
        self.left.get() > 0
    }

    pub fn running_untracked(&self) -> bool {
        self.left.try_get_untracked().unwrap_or(0) > 0
    }

    fn tick(&self) {
        let Some(ends) = self.ends_at_ms.try_get_value() else { return };
        let left = ((ends - js_sys::Date::now()) / 1000.0).ceil().max(0.0) as u32;
        if self.left.try_get_untracked() != Some(left) {
            self.left.try_set(left);
        }
        if left == 0 {
            self.stop();
        }
    }

    fn stop(&self) {
        if let Some(Some(h)) = self.ticker.try_get_value() {
            h.clear();
            self.ticker.try_set_value(None);
        }
    }
}
