//! «Смена номера телефона» in the profile: the new number and the password, then the two codes
//! sent to the old and the new number. The confirmation answers with a new session.

use kabinet_api::auth::{ChangePhoneConfirmRequest, ChangePhoneRequest};
use kabinet_api::{ErrorCode, Phone};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::components::{
    code_sent::CodeSent, form_alert::FormAlert, password_field::PasswordField, resend_button::ResendButton,
    submit_button::SubmitButton, text_field::TextField,
};
use crate::focus::focus_soon;
use crate::form::{self, FormState, Problem, CODE_CODES, NEW_PHONE_CODES};
use crate::i18n::{t, T};
use crate::nav::Nav;
use crate::resend::Resend;
use crate::WidgetConfig;

const ASK_ERROR: &str = "kb-phone-error";
const CODES_ERROR: &str = "kb-phone-codes-error";
const PASSWORD_CODES: &[ErrorCode] = &[ErrorCode::WrongPassword, ErrorCode::InvalidCredentials];

#[derive(Debug, Clone, PartialEq)]
struct Sent {
    old: String,
    new: Phone,
    expires_in_secs: u32,
}

#[component]
pub fn ChangePhone() -> impl IntoView {
    let config = expect_context::<WidgetConfig>();
    let lang = config.lang;
    let nav = expect_context::<Nav>();
    let new_phone = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let code_old = RwSignal::new(String::new());
    let code_new = RwSignal::new(String::new());
    let sent = RwSignal::new(None::<Sent>);
    let ask = FormState::new();
    let confirm = FormState::new();
    let resender = Resend::new();
    let heading = NodeRef::<leptos::html::H3>::new();

    let current_phone = move || nav.session.with_untracked(|s| s.as_ref().and_then(|s| Phone::parse(&s.client.phone).ok()));

    let request = move || -> Result<(ChangePhoneRequest, Phone), Problem> {
        let p = form::phone(&new_phone.get_untracked(), T::NewPhoneLabel)?;
        let pw = form::password(&password.get_untracked(), T::PasswordLabel)?;
        if current_phone().as_ref() == Some(&p) {
            return Err(ErrorCode::SamePhone.into());
        }
        Ok((ChangePhoneRequest { new_phone: p.as_e164().to_owned(), password: pw }, p))
    };

    let ask_for_codes = {
        let config = config.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            if !ask.begin() {
                return;
            }
            let Some((req, p)) = ask.check(request) else {
                return;
            };
            let old = current_phone().map(|p| p.masked()).unwrap_or_default();
            ask.sending();
            let config = config.clone();
            spawn_local(async move {
                match api::change_phone(&config, &req).await {
                    Ok(answer) => {
                        ask.finish();
                        code_old.try_set(String::new());
                        code_new.try_set(String::new());
                        resender.started(confirm, &answer);
                        sent.try_set(Some(Sent { old, new: p, expires_in_secs: answer.expires_in_secs }));
                    }
                    Err(f) if nav.session_ended(&f) => {}
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
            let Ok((req, _)) = request() else { return };
            let config = config.clone();
            resender.send(confirm, nav, async move { api::change_phone(&config, &req).await });
        }
    };

    let confirm_codes = {
        let config = config.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            if !confirm.begin() {
                return;
            }
            let Some(to) = sent.get_untracked() else { return };
            let Some((old, new)) = confirm.check(|| {
                let old = form::code(&code_old.get_untracked(), T::CodeOldLabel)?;
                let new = form::code(&code_new.get_untracked(), T::CodeNewLabel)?;
                Ok::<_, Problem>((old, new))
            }) else {
                return;
            };
            confirm.sending();
            let config = config.clone();
            spawn_local(async move {
                let body = ChangePhoneConfirmRequest { new_phone: to.new.as_e164().to_owned(), code_old: old, code_new: new };
                match api::change_phone_confirm(&config, &body).await {
                    Ok(info) => {
                        confirm.finish();
                        nav.session.try_set(Some(info));
                        new_phone.try_set(String::new());
                        password.try_set(String::new());
                        sent.try_set(None);
                        ask.done.try_set(Some(T::PhoneChanged));
                        if let Some(el) = heading.get_untracked() {
                            focus_soon(el);
                        }
                    }
                    Err(f) if nav.session_ended(&f) => {}
                    Err(f) => confirm.fail(f),
                }
            });
        }
    };

    let cancel = move |_| {
        sent.set(None);
        if let Some(el) = heading.get_untracked() {
            focus_soon(el);
        }
    };

    view! {
        <section class="kb-card kb-change-phone" aria-labelledby="kb-phone-title">
            <h3 class="kb-subtitle" id="kb-phone-title" tabindex="-1" node_ref=heading>{t(lang, T::ChangePhoneTitle)}</h3>
            <div hidden=move || sent.with(|s| s.is_some())>
                <form class="kb-form" novalidate on:submit=ask_for_codes>
                    <TextField id="kb-phone-new" label=T::NewPhoneLabel value=new_phone kind="tel" autocomplete="tel" inputmode="tel"
                        hint=T::PhoneHint invalid=ask.marks(NEW_PHONE_CODES, T::NewPhoneLabel) error_id=ASK_ERROR/>
                    <PasswordField id="kb-phone-password" label=T::PasswordLabel value=password autocomplete="current-password"
                        invalid=ask.marks(PASSWORD_CODES, T::PasswordLabel) error_id=ASK_ERROR/>
                    <FormAlert form=ask id=ASK_ERROR/>
                    <div class="kb-actions">
                        <SubmitButton label=T::GetCodes busy=ask.busy blocked=ask.blocked()/>
                    </div>
                </form>
            </div>
            {move || sent.get().map(|to| view! {
                <div class="kb-step">
                    <CodeSent sent=T::CodesSent values=vec![("old", to.old.clone()), ("new", to.new.masked())] help=T::NoCodeReset
                        expires_in_secs=Some(to.expires_in_secs)/>
                    <form class="kb-form" novalidate on:submit=confirm_codes.clone()>
                        <TextField id="kb-phone-code-old" label=T::CodeOldLabel value=code_old autocomplete="one-time-code" inputmode="numeric"
                            maxlength=kabinet_api::auth::CODE_DIGITS invalid=confirm.marks(CODE_CODES, T::CodeOldLabel) error_id=CODES_ERROR/>
                        <TextField id="kb-phone-code-new" label=T::CodeNewLabel value=code_new autocomplete="one-time-code" inputmode="numeric"
                            maxlength=kabinet_api::auth::CODE_DIGITS invalid=confirm.marks(CODE_CODES, T::CodeNewLabel) error_id=CODES_ERROR/>
                        <FormAlert form=confirm id=CODES_ERROR/>
                        <div class="kb-actions">
                            <SubmitButton label=T::Confirm busy=confirm.busy blocked=confirm.blocked()/>
                        </div>
                    </form>
                    <ResendButton label=T::ResendCodes state=resender hint_id="kb-phone-resend-wait" on_press=resend.clone()/>
                    <div class="kb-actions">
                        <button type="button" class="kb-button kb-button-secondary" on:click=cancel>{t(lang, T::CancelPhoneChange)}</button>
                    </div>
                </div>
            })}
        </section>
    }
}
