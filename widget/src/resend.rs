//! Asking for a new SMS code, shared by registration, reset, phone change and signing: one
//! request in flight, none while the countdown runs, and the outcome shown on the code step's
//! form.

use std::future::Future;

use kabinet_api::auth::CodeSent;
use kabinet_api::signing::SigningCodeSent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::ApiFailure;
use crate::countdown::Countdown;
use crate::form::FormState;
use crate::i18n::T;
use crate::nav::Nav;

/// An answer that says a code went out and when another may be asked for.
pub trait CodeAnswer {
    fn resend_after_secs(&self) -> u32;
}

impl CodeAnswer for CodeSent {
    fn resend_after_secs(&self) -> u32 {
        self.resend_after_secs
    }
}

impl CodeAnswer for SigningCodeSent {
    fn resend_after_secs(&self) -> u32 {
        self.resend_after_secs
    }
}

/// The countdown until another code may be asked for, and whether one is being asked for.
#[derive(Clone, Copy)]
pub struct Resend {
    pub wait: Countdown,
    pub busy: RwSignal<bool>,
}

impl Resend {
    pub fn new() -> Self {
        Resend { wait: Countdown::new(), busy: RwSignal::new(false) }
    }

    /// Whether another code may be asked for now.
    pub fn ready(&self) -> bool {
        !self.busy.get_untracked() && !self.wait.running_untracked()
    }

    /// The first code went out: the code step starts clean, with the countdown running.
    pub fn started(&self, code_step: FormState, answer: &impl CodeAnswer) {
        code_step.problem.try_set(None);
        code_step.done.try_set(None);
        self.wait.start(answer.resend_after_secs());
    }

    /// Sends `request` (the step-one request again). The answer restarts the countdown and
    /// says «Новый код отправлен.» on `code_step`; a failure shows there, or, when the session
    /// has ended, takes the person to the login screen.
    pub fn send(self, code_step: FormState, nav: Nav, request: impl Future<Output = Result<CodeSent, ApiFailure>> + 'static) {
        self.send_then(code_step, nav, request, |_| ());
    }

    /// As [`Resend::send`], and `sent` gets the answer (a signing code's answer names the
    /// phone and the hash prefix, which the code step shows).
    pub fn send_then<R: CodeAnswer + 'static>(
        self,
        code_step: FormState,
        nav: Nav,
        request: impl Future<Output = Result<R, ApiFailure>> + 'static,
        sent: impl FnOnce(R) + 'static,
    ) {
        code_step.problem.set(None);
        code_step.done.set(None);
        self.busy.set(true);
        spawn_local(async move {
            let got = request.await;
            self.busy.try_set(false);
            match got {
                Ok(answer) => {
                    self.wait.start(answer.resend_after_secs());
                    code_step.done.try_set(Some(T::CodeResent));
                    sent(answer);
                }
                Err(f) if nav.session_ended(&f) => {}
                Err(f) => code_step.fail(f),
            }
        });
    }
}
