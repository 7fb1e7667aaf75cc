//! Sign-in by phone number and password, or through Госуслуги (ESIA) where the organisation
//! offers it, with the ways to register or recover a password.

use kabinet_api::auth::LoginRequest;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::components::{
    esia_button::EsiaButton, form_alert::FormAlert, password_field::PasswordField, screen_heading::ScreenHeading,
    submit_button::SubmitButton, text_field::TextField,
};
use crate::form::{self, FormState, PASSWORD_CODES, PHONE_CODES};
use crate::i18n::{t, T};
use crate::nav::{Nav, Screen};
use crate::WidgetConfig;

const ERROR_ID: &str = "kb-login-error";
const ESIA_ERROR_ID: &str = "kb-login-esia-error";
const ESIA_HINT_ID: &str = "kb-login-esia-hint";

#[component]
pub fn Login() -> impl IntoView {
    let config = expect_context::<WidgetConfig>();
    let lang = config.lang;
    let nav = expect_context::<Nav>();
    // Said until the person tries to log in: then only the attempt's own outcome matters.
    let notice = RwSignal::new(nav.take_notice());
    let phone = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let form = FormState::new();
    // Offered only where the shim says so; until it has answered (or if it cannot), the button
    // is simply not there, since the phone and password work without it.
    let esia_offered = LocalResource::new({
        let config = config.clone();
        move || {
            let config = config.clone();
            async move { api::esia_availability(&config).await.is_ok_and(|a| a.enabled) }
        }
    });

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !form.begin() {
            return;
        }
        notice.set(None);
        let Some((p, pw)) = form.check(|| {
            let p = form::phone(&phone.get_untracked(), T::PhoneLabel)?;
            let pw = form::password(&password.get_untracked(), T::PasswordLabel)?;
            Ok::<_, form::Problem>((p, pw))
        }) else {
            return;
        };
        form.sending();
        let config = config.clone();
        spawn_local(async move {
            let body = LoginRequest { phone: p.as_e164().to_owned(), password: pw };
            match api::login(&config, &body).await {
                Ok(info) => {
                    form.finish();
                    nav.signed_in(info);
                }
                Err(f) => form.fail(f),
            }
        });
    };

    view! {
        <section class="kb-card kb-login" aria-labelledby="kb-login-title" data-kb-screen="login">
            <ScreenHeading id="kb-login-title" text=t(lang, T::LoginTitle)/>
            {move || notice.get().map(|n| view! { <p class="kb-notice" role="status">{n.text(lang)}</p> })}
            <p class="kb-intro">{t(lang, T::Intro)}</p>
            <form class="kb-form" novalidate on:submit=submit>
                <TextField id="kb-login-phone" label=T::PhoneLabel value=phone kind="tel" autocomplete="tel" inputmode="tel"
                    hint=T::PhoneHint invalid=form.marks(PHONE_CODES, T::PhoneLabel) error_id=ERROR_ID/>
                <PasswordField id="kb-login-password" label=T::PasswordLabel value=password autocomplete="current-password"
                    invalid=form.marks(PASSWORD_CODES, T::PasswordLabel) error_id=ERROR_ID/>
                <FormAlert form=form id=ERROR_ID/>
                <div class="kb-actions">
                    <SubmitButton label=T::LoginSubmit busy=form.busy blocked=form.blocked()/>
                </div>
            </form>
            <Show when=move || esia_offered.get() == Some(true)>
                <div class="kb-esia">
                    <p class="kb-or">{t(lang, T::EsiaOr)}</p>
                    <EsiaButton label=T::EsiaLogin action="esia-login" error_id=ESIA_ERROR_ID hint_id=ESIA_HINT_ID/>
                    <p class="kb-hint" id=ESIA_HINT_ID>{t(lang, T::EsiaLoginHint)}</p>
                </div>
            </Show>
            <p class="kb-hint kb-first-time">{t(lang, T::NoAccountYet)}</p>
            <div class="kb-links">
                <button type="button" class="kb-linkbutton" on:click=move |_| nav.go(Screen::Register)>{t(lang, T::ToRegister)}</button>
                <button type="button" class="kb-linkbutton" on:click=move |_| nav.go(Screen::Reset)>{t(lang, T::ForgotPassword)}</button>
            </div>
        </section>
    }
}
