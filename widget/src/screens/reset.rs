//! Password recovery: the phone number, then the code from the SMS and a new password.
//! It does not sign in: the person is sent to the login screen to use the new password.

use kabinet_api::auth::{ResetConfirmRequest, ResetRequest};
use kabinet_api::Phone;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::components::{
    code_sent::CodeSent, form_alert::FormAlert, password_field::PasswordField, resend_button::ResendButton,
    screen_heading::ScreenHeading, submit_button::SubmitButton, text_field::TextField,
};
use crate::countdown::Countdown;
use crate::focus::focus_soon;
use crate::form::{self, FormState, Problem, CODE_CODES, NEW_PASSWORD_CODES, PHONE_CODES};
use crate::i18n::{t, T};
use crate::nav::{Nav, Screen};
use crate::WidgetConfig;

const PHONE_ERROR: &str = "kb-reset-error";
const CODE_ERROR: &str = "kb-reset-code-error";

#[derive(Debug, Clone, PartialEq)]
struct Sent {
    phone: Phone,
    expires_in_secs: u32,
}

#[component]
pub fn Reset() -> impl IntoView {
    let config = expect_context::<WidgetConfig>();
    let lang = config.lang;
    let nav = expect_context::<Nav>();

    let phone = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let new_password = RwSignal::new(String::new());
    let sent = RwSignal::new(None::<Sent>);
    let ask = FormState::new();
    let save = FormState::new();
    let resend_wait = Countdown::new();
    let resending = RwSignal::new(false);
    let intro = NodeRef::<leptos::html::P>::new();

    let ask_for_code = {
        let config = config.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            if !ask.begin() {
                return;
            }
            let p = match form::phone(&phone.get_untracked(), T::PhoneLabel) {
                Ok(p) => p,
                Err(problem) => return ask.refuse(problem),
            };
            ask.sending();
            let config = config.clone();
            spawn_local(async move {
                match api::reset(&config, &ResetRequest { phone: p.as_e164().to_owned() }).await {
                    Ok(answer) => {
                        ask.finish();
                        code.try_set(String::new());
                        save.problem.try_set(None);
                        save.done.try_set(None);
                        resend_wait.start(answer.resend_after_secs);
                        sent.try_set(Some(Sent { phone: p, expires_in_secs: answer.expires_in_secs }));
                    }
                    Err(f) => ask.fail(f),
                }
            });
        }
    };

    let resend = {
        let config = config.clone();
        move || {
            if resending.get_untracked() || resend_wait.running_untracked() {
                return;
            }
            let Some(to) = sent.get_untracked() else { return };
            save.problem.set(None);
            save.done.set(None);
            resending.set(true);
            let config = config.clone();
            spawn_local(async move {
                let got = api::reset(&config, &ResetRequest { phone: to.phone.as_e164().to_owned() }).await;
                resending.try_set(false);
                match got {
                    Ok(answer) => {
                        resend_wait.start(answer.resend_after_secs);
                        save.done.try_set(Some(T::CodeResent));
                    }
                    Err(f) => save.fail(f),
                }
            });
        }
    };

    let save_password = {
        let config = config.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            if !save.begin() {
                return;
            }
            let Some(to) = sent.get_untracked() else { return };
            let checked = (|| {
                let c = form::code(&code.get_untracked(), T::CodeLabel)?;
                let pw = form::new_password(&new_password.get_untracked(), T::NewPasswordLabel)?;
                Ok::<_, Problem>((c, pw))
            })();
            let (c, pw) = match checked {
                Ok(v) => v,
                Err(problem) => return save.refuse(problem),
            };
            save.sending();
            let config = config.clone();
            spawn_local(async move {
                let body = ResetConfirmRequest { phone: to.phone.as_e164().to_owned(), code: c, new_password: pw };
                match api::reset_confirm(&config, &body).await {
                    Ok(()) => {
                        save.finish();
                        nav.signed_out(T::PasswordResetDone);
                    }
                    Err(f) => save.fail(f),
                }
            });
        }
    };

    let back_to_phone = move |_| {
        sent.set(None);
        if let Some(el) = intro.get_untracked() {
            focus_soon(el);
        }
    };

    view! {
        <section class="kb-card kb-reset" aria-labelledby="kb-reset-title" data-kb-screen="reset">
            <ScreenHeading id="kb-reset-title" text=t(lang, T::ResetTitle)/>
            <div hidden=move || sent.with(|s| s.is_some())>
                <p class="kb-intro" tabindex="-1" node_ref=intro>{t(lang, T::ResetIntro)}</p>
                <form class="kb-form" novalidate on:submit=ask_for_code>
                    <TextField id="kb-reset-phone" label=T::PhoneLabel value=phone kind="tel" autocomplete="tel" inputmode="tel"
                        hint=T::PhoneHint invalid=ask.marks(PHONE_CODES, T::PhoneLabel) error_id=PHONE_ERROR/>
                    <FormAlert form=ask id=PHONE_ERROR/>
                    <div class="kb-actions">
                        <SubmitButton label=T::GetCode busy=ask.busy blocked=ask.blocked()/>
                        <button type="button" class="kb-button kb-button-secondary" on:click=move |_| nav.go(Screen::Login)>{t(lang, T::Back)}</button>
                    </div>
                </form>
            </div>
            {move || sent.get().map(|to| view! {
                <div class="kb-step">
                    <CodeSent sent=T::CodeSentReset values=vec![("phone", to.phone.masked())] help=T::NoCodeReset
                        expires_in_secs=Some(to.expires_in_secs)/>
                    <form class="kb-form" novalidate on:submit=save_password.clone()>
                        <TextField id="kb-reset-code" label=T::CodeLabel value=code autocomplete="one-time-code" inputmode="numeric"
                            maxlength=kabinet_api::auth::CODE_DIGITS hint=T::CodeHint invalid=save.marks(CODE_CODES, T::CodeLabel) error_id=CODE_ERROR/>
                        <PasswordField id="kb-reset-password" label=T::NewPasswordLabel value=new_password autocomplete="new-password"
                            hint=T::PasswordHint invalid=save.marks(NEW_PASSWORD_CODES, T::NewPasswordLabel) error_id=CODE_ERROR/>
                        <FormAlert form=save id=CODE_ERROR/>
                        <div class="kb-actions">
                            <SubmitButton label=T::SavePassword busy=save.busy blocked=save.blocked()/>
                        </div>
                    </form>
                    <ResendButton label=T::ResendCode countdown=resend_wait busy=resending hint_id="kb-reset-resend-wait" on_press=resend.clone()/>
                    <div class="kb-actions">
                        <button type="button" class="kb-button kb-button-secondary" on:click=back_to_phone>{t(lang, T::Back)}</button>
                    </div>
                </div>
            })}
        </section>
    }
}
