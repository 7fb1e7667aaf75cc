//! Signing a document that awaits it: «Подписать», then (once) the ПЭП agreement, then the code
//! sent by SMS, which names the document and the start of its SHA-256, typed into «Код из SMS»
//! and confirmed with «Подтвердить подпись». What was typed stays through every refusal; a code
//! that can no longer work (expired, used, tried too often, or sent for other bytes) offers
//! «Запросить новый код».

use kabinet_api::signing::{SignWithCode, SignatureDocument, SigningCodeSent};
use kabinet_api::ErrorCode;
use leptos::either::Either;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, ApiFailure};
use crate::components::{
    code_sent::CodeSent, form_alert::FormAlert, resend_button::ResendButton, signature_agreement::SignatureAgreement,
    submit_button::SubmitButton, text_field::TextField,
};
use crate::focus::focus_soon;
use crate::form::{self, FormState, CODE_CODES};
use crate::i18n::{t, T};
use crate::nav::Nav;
use crate::resend::Resend;
use crate::WidgetConfig;

const SIGN_ERROR: &str = "kb-sign-error";
const CODE_ERROR: &str = "kb-sign-code-error";

/// Refusals after which the code on screen can never sign: a new one is needed.
const DEAD_CODE: &[ErrorCode] =
    &[ErrorCode::CodeExpired, ErrorCode::CodeUsed, ErrorCode::CodeAttemptsExceeded, ErrorCode::DocumentChanged];

/// Refusals that mean the agreement must be (re)accepted before anything is signed.
fn needs_agreement(f: &ApiFailure) -> bool {
    f.is(ErrorCode::AgreementRequired) || f.is(ErrorCode::AgreementOutdated)
}

/// Refusals that mean the document is no longer there to sign: signed meanwhile, or withdrawn.
fn gone(f: &ApiFailure) -> bool {
    f.is(ErrorCode::AlreadySigned) || f.is(ErrorCode::DocumentWithdrawn)
}

#[component]
pub fn SignatureSigning(
    /// The document on screen; replaced by the signed one, or by a fresh copy when the server
    /// says it changed.
    current: RwSignal<SignatureDocument>,
    /// Where a refusal that ends signing is said (it outlives this component).
    notice: RwSignal<Option<ApiFailure>>,
    /// Set when this component signs the document, so the signed view takes focus.
    fresh: StoredValue<bool>,
) -> impl IntoView {
    let config = expect_context::<WidgetConfig>();
    let lang = config.lang;
    let nav = expect_context::<Nav>();
    let id = current.with_untracked(|d| d.id.clone());
    let start = FormState::new();
    let confirm = FormState::new();
    let resender = Resend::new();
    let code = RwSignal::new(String::new());
    let sent = RwSignal::new(None::<SigningCodeSent>);
    // `Some(outdated)` while the agreement is on screen.
    let agreement = RwSignal::new(None::<bool>);
    let dead = RwSignal::new(false);
    let sign_button = NodeRef::<leptos::html::Button>::new();
    let code_open = Memo::new(move |_| sent.with(Option::is_some));
    let idle = move || agreement.with(Option::is_none) && !code_open.get();

    // Fetches the document again: its status after «уже подписан» or «отозван», its hash after
    // «изменился». A failure leaves what is on screen as it was.
    let reload = {
        let (config, id) = (config.clone(), id.clone());
        move || {
            let (config, id) = (config.clone(), id.clone());
            spawn_local(async move {
                match api::signature(&config, &id).await {
                    Ok(d) => {
                        current.try_set(d);
                    }
                    Err(f) => {
                        nav.session_ended(&f);
                    }
                }
            });
        }
    };
    let ended = {
        let reload = reload.clone();
        move |f: ApiFailure| {
            notice.try_set(Some(f));
            reload();
        }
    };
    let back_to_start = move || {
        agreement.set(None);
        sent.set(None);
        confirm.problem.set(None);
        confirm.done.set(None);
        if let Some(el) = sign_button.get_untracked() {
            focus_soon(el);
        }
    };
    let accepted = move || {
        nav.set_agreement_accepted(true);
        agreement.set(None);
        start.problem.set(None);
        start.done.set(Some(T::AgreementAccepted));
        if let Some(el) = sign_button.get_untracked() {
            focus_soon(el);
        }
    };

    let ask_for_code = {
        let (config, id, ended) = (config.clone(), id.clone(), ended.clone());
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            if !start.begin() {
                return;
            }
            notice.set(None);
            // Known not accepted: the agreement first, without a round trip to hear it.
            if nav.agreement_accepted() == Some(false) {
                agreement.set(Some(false));
                return;
            }
            start.sending();
            let (config, id, ended) = (config.clone(), id.clone(), ended.clone());
            spawn_local(async move {
                match api::signing_code(&config, &id).await {
                    Ok(answer) => {
                        start.finish();
                        code.try_set(String::new());
                        dead.try_set(false);
                        resender.started(confirm, &answer);
                        sent.try_set(Some(answer));
                    }
                    Err(f) if nav.session_ended(&f) => {}
                    Err(f) if needs_agreement(&f) => {
                        start.finish();
                        nav.set_agreement_accepted(false);
                        agreement.try_set(Some(f.is(ErrorCode::AgreementOutdated)));
                    }
                    Err(f) if gone(&f) => {
                        start.finish();
                        ended(f);
                    }
                    Err(f) => start.fail(f),
                }
            });
        }
    };

    // A new code: «Отправить код ещё раз» after the countdown, or «Запросить новый код» once
    // the code on screen is dead (then the typed one is cleared, being of no use any more).
    let new_code = {
        let (config, id) = (config.clone(), id.clone());
        move |clear: bool| {
            let (config, id) = (config.clone(), id.clone());
            let request = async move { api::signing_code(&config, &id).await };
            resender.send_then(confirm, nav, request, move |answer: SigningCodeSent| {
                dead.try_set(false);
                if clear {
                    code.try_set(String::new());
                }
                sent.try_set(Some(answer));
            });
        }
    };
    let resend = {
        let new_code = new_code.clone();
        move || {
            if resender.ready() {
                new_code(false);
            }
        }
    };
    // Not held back by the resend countdown: the old code is dead, and the server says if it
    // is too soon (then its wait shows under the alert and holds this button too).
    let replace = move |_: leptos::ev::MouseEvent| {
        if !resender.busy.get_untracked() && !confirm.wait.running_untracked() {
            new_code(true);
        }
    };

    let sign = {
        let (config, id) = (config.clone(), id.clone());
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            if !confirm.begin() {
                return;
            }
            let Some(c) = confirm.check(|| form::code(&code.get_untracked(), T::CodeLabel)) else {
                return;
            };
            confirm.sending();
            let (config, id, ended, reload) = (config.clone(), id.clone(), ended.clone(), reload.clone());
            spawn_local(async move {
                match api::sign(&config, &id, &SignWithCode { code: c }).await {
                    Ok(signed) => {
                        confirm.finish();
                        fresh.try_set_value(true);
                        current.try_set(signed);
                    }
                    Err(f) if nav.session_ended(&f) => {}
                    Err(f) if gone(&f) => {
                        confirm.finish();
                        ended(f);
                    }
                    Err(f) if needs_agreement(&f) => {
                        confirm.finish();
                        nav.set_agreement_accepted(false);
                        sent.try_set(None);
                        agreement.try_set(Some(f.is(ErrorCode::AgreementOutdated)));
                    }
                    Err(f) => {
                        if DEAD_CODE.iter().any(|c| f.is(*c)) {
                            dead.try_set(true);
                        }
                        // The bytes changed: the hash on screen must be the new one.
                        if f.is(ErrorCode::DocumentChanged) {
                            reload();
                        }
                        confirm.fail(f);
                    }
                }
            });
        }
    };

    let start_busy = start.busy;
    let start_blocked = start.blocked();
    let replace_blocked = move || resender.busy.get() || confirm.wait.running();

    view! {
        <div class="kb-signing">
            <div class="kb-sign-start" hidden=move || !idle()>
                <p class="kb-hint">{t(lang, T::SigningIntro)}</p>
                <form class="kb-form" novalidate on:submit=ask_for_code>
                    <FormAlert form=start id=SIGN_ERROR/>
                    <div class="kb-actions">
                        <button type="submit" class="kb-button kb-sign-button" node_ref=sign_button
                            disabled=move || start_blocked.get() aria-busy=move || start_busy.get().then_some("true")>
                            {move || if start_busy.get() {
                                Either::Left(view! { <span class="kb-spinner kb-spinner-small" aria-hidden="true"></span>{t(lang, T::Sending)} })
                            } else {
                                Either::Right(t(lang, T::SignButton))
                            }}
                        </button>
                    </div>
                </form>
            </div>
            {move || agreement.get().map(|outdated| view! {
                <SignatureAgreement outdated=outdated on_accepted=accepted on_cancel=back_to_start/>
            })}
            {move || code_open.get().then(|| {
                let (sign, resend) = (sign.clone(), resend.clone());
                let replace = replace.clone();
                view! {
                    <div class="kb-step kb-sign-code">
                        {move || sent.get().map(|s| view! {
                            <CodeSent sent=T::SigningCodeSent values=vec![("phone", s.phone), ("prefix", s.sha256_prefix)]
                                help=T::NoCodeSigning expires_in_secs=Some(s.expires_in_secs)/>
                        })}
                        <form class="kb-form" novalidate on:submit=sign>
                            <TextField id="kb-sign-code" label=T::CodeLabel value=code autocomplete="one-time-code" inputmode="numeric"
                                maxlength=kabinet_api::auth::CODE_DIGITS hint=T::CodeHint
                                invalid=confirm.marks(CODE_CODES, T::CodeLabel) error_id=CODE_ERROR/>
                            <FormAlert form=confirm id=CODE_ERROR/>
                            <div class="kb-actions" hidden=move || !dead.get()>
                                <button type="button" class="kb-button kb-new-code" on:click=replace
                                    disabled=replace_blocked aria-busy=move || resender.busy.get().then_some("true")>
                                    {t(lang, T::RequestNewCode)}
                                </button>
                            </div>
                            <div class="kb-actions">
                                <SubmitButton label=T::ConfirmSignature busy=confirm.busy blocked=confirm.blocked()/>
                            </div>
                        </form>
                        <div class="kb-sign-resend" hidden=move || dead.get()>
                            <ResendButton label=T::ResendCode state=resender hint_id="kb-sign-resend-wait" on_press=resend/>
                        </div>
                        <div class="kb-actions">
                            <button type="button" class="kb-button kb-button-secondary" on:click=move |_| back_to_start()>
                                {t(lang, T::CancelSigning)}
                            </button>
                        </div>
                    </div>
                }
            })}
        </div>
    }
}
