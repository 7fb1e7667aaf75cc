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
use crate::focus::focus_soon;
use crate::form::{self, FormState, Problem, CODE_CODES, NEW_PASSWORD_CODES, PHONE_CODES};
use crate::i18n::{t, T};
use crate::nav::{Nav, Screen};
use crate::resend::Resend;
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
    let resender = Resend::new();
    let intro = NodeRef::<leptos::html::P>::new();

    let ask_for_code = {
        let config = config.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            if !ask.begin() {
                return;
            }
            let Some(p) = ask.check(|| form::phone(&phone.get_untracked(), T::PhoneLabel)) else {
                return;
            };
            ask.sending();
            let config = config.clone();
            spawn_local(async move {
                match api::reset(&config, &ResetRequest { phone: p.as_e164().to_owned() }).await {
                    Ok(answer) => {
                        ask.finish();
                        code.try_set(String::new());
                        resender.started(save, &answer);
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
            if !resender.ready() {
                return;
            }
            let Some(to) = sent.get_untracked() else { return };
            let config = config.clone();
            let req = ResetRequest { phone: to.phone.as_e164().to_owned() };
            resender.send(save, nav, async move { api::reset(&config, &req).await });
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
            let Some((c, pw)) = save.check(|| {
                let c = form::code(&code.get_untracked(), T::CodeLabel)?;
                let pw = form::new_password(&new_password.get_untracked(), T::NewPasswordLabel)?;
                Ok::<_, Problem>((c, pw))
            }) else {
                return;
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
                    <ResendButton label=T::ResendCode state=resender hint_id="kb-reset-resend-wait" on_press=resend.clone()/>
                    <div class="kb-actions">
                        <button type="button" class="kb-button kb-button-secondary" on:click=back_to_phone>{t(lang, T::Back)}</button>
                    </div>
                </div>
            })}
        </section>
    }
}
