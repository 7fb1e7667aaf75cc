//! Registration: name, phone, password and consent; then the code from the SMS.
//!
//! Step one stays in the page (hidden) while the code is asked for, so «Назад» returns to
//! exactly what was typed, and «Отправить код ещё раз» repeats the same request.

use kabinet_api::auth::{ConfirmRequest, RegisterRequest};
use kabinet_api::{ErrorCode, Phone};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::components::{
    code_sent::CodeSent,
    consent_text::{ConsentState, ConsentText},
    form_alert::FormAlert,
    password_field::PasswordField,
    resend_button::ResendButton,
    screen_heading::ScreenHeading,
    submit_button::SubmitButton,
    text_field::TextField,
};
use crate::focus::focus_soon;
use crate::form::{self, FormState, Problem, CODE_CODES, CONSENT_CODES, NAME_CODES, NEW_PASSWORD_CODES, PHONE_CODES};
use crate::i18n::{t, T};
use crate::nav::{Nav, Screen};
use crate::resend::Resend;
use crate::WidgetConfig;

const DETAILS_ERROR: &str = "kb-register-error";
const CODE_ERROR: &str = "kb-register-code-error";

/// Where the code went, once step one succeeded.
#[derive(Debug, Clone, PartialEq)]
struct Sent {
    phone: Phone,
    expires_in_secs: u32,
}

#[component]
pub fn Register() -> impl IntoView {
    let config = expect_context::<WidgetConfig>();
    let lang = config.lang;
    let nav = expect_context::<Nav>();

    let full_name = RwSignal::new(String::new());
    let phone = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let agreed = RwSignal::new(false);
    let consent = RwSignal::new(ConsentState::NotLoaded);
    let consent_open = RwSignal::new(false);
    let code = RwSignal::new(String::new());
    let sent = RwSignal::new(None::<Sent>);
    let details = FormState::new();
    let confirm = FormState::new();
    let resender = Resend::new();
    let intro = NodeRef::<leptos::html::P>::new();

    // The version is needed to register even by someone who never opens the text.
    let load_consent = {
        let config = config.clone();
        move || {
            if matches!(consent.get_untracked(), ConsentState::Loading | ConsentState::Loaded(_)) {
                return;
            }
            consent.set(ConsentState::Loading);
            let config = config.clone();
            spawn_local(async move {
                let got = api::consent(&config).await;
                consent.try_set(match got {
                    Ok(doc) => ConsentState::Loaded(doc),
                    Err(f) => ConsentState::Failed(f),
                });
            });
        }
    };
    load_consent();
    let load_consent_again = {
        let load = load_consent.clone();
        move || {
            consent.set(ConsentState::NotLoaded);
            load();
        }
    };
    let load_consent_again = StoredValue::new_local(load_consent_again);

    // Step one's checks; the same data is sent again by «Отправить код ещё раз».
    let request = move || -> Result<(RegisterRequest, Phone), Problem> {
        let name = form::full_name(&full_name.get_untracked(), T::FullNameLabel)?;
        let p = form::phone(&phone.get_untracked(), T::PhoneLabel)?;
        let pw = form::new_password(&password.get_untracked(), T::PasswordLabel)?;
        if !agreed.get_untracked() {
            return Err(ErrorCode::ConsentRequired.into());
        }
        let req = RegisterRequest { full_name: name, phone: p.as_e164().to_owned(), password: pw, consent_version: String::new() };
        Ok((req, p))
    };

    let ask_for_code = {
        let config = config.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            if !details.begin() {
                return;
            }
            let Some((mut req, p)) = details.check(request) else {
                return;
            };
            details.sending();
            let config = config.clone();
            spawn_local(async move {
                let doc = match consent.get_untracked() {
                    ConsentState::Loaded(doc) => doc,
                    _ => match api::consent(&config).await {
                        Ok(doc) => {
                            consent.try_set(ConsentState::Loaded(doc.clone()));
                            doc
                        }
                        Err(f) => return details.fail(f),
                    },
                };
                req.consent_version = doc.version;
                match api::register(&config, &req).await {
                    Ok(answer) => {
                        details.finish();
                        code.try_set(String::new());
                        resender.started(confirm, &answer);
                        sent.try_set(Some(Sent { phone: p, expires_in_secs: answer.expires_in_secs }));
                    }
                    Err(f) => details.fail(f),
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
            let Ok((mut req, _)) = request() else { return };
            let ConsentState::Loaded(doc) = consent.get_untracked() else { return };
            req.consent_version = doc.version;
            let config = config.clone();
            resender.send(confirm, nav, async move { api::register(&config, &req).await });
        }
    };

    let confirm_code = {
        let config = config.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            if !confirm.begin() {
                return;
            }
            let Some(to) = sent.get_untracked() else { return };
            let Some(c) = confirm.check(|| form::code(&code.get_untracked(), T::CodeLabel)) else {
                return;
            };
            confirm.sending();
            let config = config.clone();
            spawn_local(async move {
                // The password goes with the code, not with step 1: whoever asked for the code
                // cannot choose the password of the account the code opens.
                let body = ConfirmRequest { phone: to.phone.as_e164().to_owned(), code: c, password: password.get_untracked() };
                match api::register_confirm(&config, &body).await {
                    Ok(info) => {
                        confirm.finish();
                        nav.signed_in(info);
                    }
                    Err(f) => confirm.fail(f),
                }
            });
        }
    };

    let back_to_details = move |_| {
        sent.set(None);
        if let Some(el) = intro.get_untracked() {
            focus_soon(el);
        }
    };

    let toggle_consent = move |_| {
        consent_open.update(|o| *o = !*o);
        if consent_open.get_untracked() && matches!(consent.get_untracked(), ConsentState::Failed(_)) {
            load_consent_again.with_value(|f| f());
        }
    };

    view! {
        <section class="kb-card kb-register" aria-labelledby="kb-register-title" data-kb-screen="register">
            <ScreenHeading id="kb-register-title" text=t(lang, T::RegisterTitle)/>
            <div hidden=move || sent.with(|s| s.is_some())>
                <p class="kb-intro" tabindex="-1" node_ref=intro>{t(lang, T::RegisterIntro)}</p>
                <form class="kb-form" novalidate on:submit=ask_for_code>
                    <TextField id="kb-register-name" label=T::FullNameLabel value=full_name autocomplete="name"
                        invalid=details.marks(NAME_CODES, T::FullNameLabel) error_id=DETAILS_ERROR/>
                    <TextField id="kb-register-phone" label=T::PhoneLabel value=phone kind="tel" autocomplete="tel" inputmode="tel"
                        hint=T::PhoneHint invalid=details.marks(PHONE_CODES, T::PhoneLabel) error_id=DETAILS_ERROR/>
                    <PasswordField id="kb-register-password" label=T::PasswordLabel value=password autocomplete="new-password"
                        hint=T::PasswordHint invalid=details.marks(NEW_PASSWORD_CODES, T::PasswordLabel) error_id=DETAILS_ERROR/>
                    <div class="kb-check">
                        <input type="checkbox" id="kb-register-consent" class="kb-checkbox" bind:checked=agreed
                            aria-invalid=move || details.marks(CONSENT_CODES, T::ConsentLabel).get().then_some("true")/>
                        <label for="kb-register-consent">{t(lang, T::ConsentLabel)}</label>
                    </div>
                    <button type="button" class="kb-linkbutton kb-consent-toggle" aria-controls="kb-consent"
                        aria-expanded=move || if consent_open.get() { "true" } else { "false" } on:click=toggle_consent>
                        {t(lang, T::ReadConsent)}
                    </button>
                    <Show when=move || consent_open.get()>
                        <ConsentText id="kb-consent" state=consent on_retry=move || load_consent_again.with_value(|f| f())/>
                    </Show>
                    <FormAlert form=details id=DETAILS_ERROR/>
                    <div class="kb-actions">
                        <SubmitButton label=T::GetCode busy=details.busy blocked=details.blocked()/>
                        <button type="button" class="kb-button kb-button-secondary" on:click=move |_| nav.go(Screen::Login)>{t(lang, T::Back)}</button>
                    </div>
                </form>
            </div>
            {move || sent.get().map(|to| view! {
                <div class="kb-step">
                    <CodeSent sent=T::CodeSentRegister values=vec![("phone", to.phone.masked())] help=T::NoCodeRegister
                        expires_in_secs=Some(to.expires_in_secs)/>
                    <form class="kb-form" novalidate on:submit=confirm_code.clone()>
                        <TextField id="kb-register-code" label=T::CodeLabel value=code autocomplete="one-time-code" inputmode="numeric"
                            maxlength=kabinet_api::auth::CODE_DIGITS hint=T::CodeHint invalid=confirm.marks(CODE_CODES, T::CodeLabel) error_id=CODE_ERROR/>
                        <FormAlert form=confirm id=CODE_ERROR/>
                        <div class="kb-actions">
                            <SubmitButton label=T::Confirm busy=confirm.busy blocked=confirm.blocked()/>
                        </div>
                    </form>
                    <ResendButton label=T::ResendCode state=resender hint_id="kb-register-resend-wait" on_press=resend.clone()/>
                    <div class="kb-actions">
                        <button type="button" class="kb-button kb-button-secondary" on:click=back_to_details>{t(lang, T::Back)}</button>
                    </div>
                </div>
            })}
        </section>
    }
}
