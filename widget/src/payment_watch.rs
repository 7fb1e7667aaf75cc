//! Following one card payment's status as the shim knows it: one plain request, then long polls
//! (each waits on the server until the status or `posted` changes) while the payment is not
//! final, or paid and not yet in accounting. No answer is retried after a short pause and the
//! last status stays on screen meanwhile; leaving the screen aborts the wait.

use std::future::Future;

use kabinet_api::payments::{Payment, PaymentStatus};
use kabinet_api::ErrorCode;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsValue;

use crate::api::{self, ApiFailure};
use crate::nav::Nav;
use crate::WidgetConfig;

/// The pause before asking again after no answer or a passing failure.
const RETRY_MS: i32 = 2_000;

/// An answer quicker than this that changed nothing is not waited on by the server (an old
/// shim, a proxy that answers for it): the next request waits [`RETRY_MS`] first, so such a
/// server is not asked in a tight loop.
const TOO_QUICK_MS: f64 = 1_000.0;

/// Whether the payment's status can still change in a way the screen shows.
pub fn settled(p: &Payment) -> bool {
    p.status.is_final() && (p.status != PaymentStatus::Paid || p.posted)
}

/// A failure worth waiting out: no answer, a slow or busy server. Anything else (no such
/// payment, not this client's) is final and shown.
fn passing(f: &ApiFailure) -> bool {
    use ErrorCode::*;
    match f {
        ApiFailure::Network | ApiFailure::Timeout | ApiFailure::Unreadable => true,
        ApiFailure::Api { code, .. } => {
            matches!(code, Unavailable | Internal | AccountingUnavailable | PaymentsUnavailable | RateLimited | RequestInProgress)
        }
    }
}

/// What the status screen shows; `Copy`, so views and handlers take it by value.
#[derive(Clone, Copy)]
pub struct Watch {
    /// The payment as last answered; `None` until the first answer.
    pub payment: RwSignal<Option<Payment>>,
    /// Why the first answer could not be had (a final failure); cleared by [`Watch::start`].
    pub failure: RwSignal<Option<ApiFailure>>,
    /// The last request got no answer and is being retried.
    pub offline: RwSignal<bool>,
    /// Aborts the running loop's request when the screen goes or the loop is restarted.
    controller: StoredValue<Option<web_sys::AbortController>, LocalStorage>,
}

impl Watch {
    /// Must be called in a component: the loop stops when it goes.
    pub fn new() -> Self {
        let watch = Watch {
            payment: RwSignal::new(None),
            failure: RwSignal::new(None),
            offline: RwSignal::new(false),
            controller: StoredValue::new_local(None),
        };
        on_cleanup(move || watch.stop());
        watch
    }

    /// Starts following payment `id` (again, after a failure: «Повторить»).
    pub fn start(&self, config: WidgetConfig, nav: Nav, id: String) {
        self.stop();
        let Ok(controller) = web_sys::AbortController::new() else { return };
        let signal = controller.signal();
        self.controller.set_value(Some(controller));
        self.failure.set(None);
        let this = *self;
        spawn_local(async move { this.follow(config, nav, id, signal).await });
    }

    fn stop(&self) {
        if let Some(Some(c)) = self.controller.try_get_value() {
            c.abort();
        }
    }

    async fn follow(self, config: WidgetConfig, nav: Nav, id: String, signal: web_sys::AbortSignal) {
        let mut known: Option<(PaymentStatus, bool)> = None;
        let mut wait_first = false;
        loop {
            if wait_first && !pause(RETRY_MS, &signal).await {
                return;
            }
            let asked_at = js_sys::Date::now();
            let outcome = api::payment(&config, &id, known, Some(&signal)).await;
            if signal.aborted() {
                return;
            }
            match outcome {
                Ok(p) => {
                    let now = (p.status, p.posted);
                    wait_first = known == Some(now) && js_sys::Date::now() - asked_at < TOO_QUICK_MS;
                    known = Some(now);
                    let done = settled(&p);
                    self.offline.try_set(false);
                    // Set only when it changed: an unchanged answer redraws nothing.
                    let changed = self.payment.try_with_untracked(|old| old.as_ref() != Some(&p)).unwrap_or(false);
                    if changed && self.payment.try_set(Some(p)).is_some() {
                        return;
                    }
                    if done {
                        return;
                    }
                }
                Err(f) if f.is(ErrorCode::Unauthenticated) => {
                    // After signing in again the client comes back to this payment.
                    nav.resume_payment(id);
                    nav.session_ended(&f);
                    return;
                }
                Err(f) if passing(&f) => {
                    if self.offline.try_set(true).is_some() {
                        return;
                    }
                    if let Some(secs) = f.retry_after_secs() {
                        if !pause(i32::try_from(secs.saturating_mul(1_000)).unwrap_or(i32::MAX), &signal).await {
                            return;
                        }
                    }
                    wait_first = true;
                }
                Err(f) => {
                    // Once the payment is on screen it stays; a failure then is waited out too.
                    if self.payment.try_with_untracked(Option::is_some).unwrap_or(false) {
                        self.offline.try_set(true);
                        wait_first = true;
                    } else {
                        self.failure.try_set(Some(f));
                        return;
                    }
                }
            }
        }
    }
}

/// Waits `ms` milliseconds; `false` when `signal` aborted meanwhile (the screen has gone).
fn pause(ms: i32, signal: &web_sys::AbortSignal) -> impl Future<Output = bool> + '_ {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let set = web_sys::window().map(|w| w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms));
        if !matches!(set, Some(Ok(_))) {
            let _ = resolve.call0(&JsValue::NULL);
        }
    });
    async move {
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
        !signal.aborted()
    }
}
