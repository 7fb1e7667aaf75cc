//! «Смена пароля» in the profile: the current password and a new one.

use kabinet_api::auth::ChangePasswordRequest;
use kabinet_api::ErrorCode;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::components::{form_alert::FormAlert, password_field::PasswordField, submit_button::SubmitButton};
use crate::form::{self, FormState, Problem, NEW_PASSWORD_CODES};
use crate::i18n::{t, T};
use crate::nav::Nav;
use crate::WidgetConfig;

const ERROR_ID: &str = "kb-password-error";
const CURRENT_CODES: &[ErrorCode] = &[ErrorCode::WrongPassword];

#[component]
pub fn ChangePassword() -> impl IntoView {
    let config = expect_context::<WidgetConfig>();
    let lang = config.lang;
    let nav = expect_context::<Nav>();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let form = FormState::new();

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !form.begin() {
            return;
        }
        let Some((cur, pw)) = form.check(|| {
            let cur = form::password(&current.get_untracked(), T::CurrentPasswordLabel)?;
            let pw = form::new_password(&new.get_untracked(), T::NewPasswordLabel)?;
            Ok::<_, Problem>((cur, pw))
        }) else {
            return;
        };
        form.sending();
        let config = config.clone();
        spawn_local(async move {
            match api::change_password(&config, &ChangePasswordRequest { current_password: cur, new_password: pw }).await {
                Ok(()) => {
                    form.finish();
                    // Nothing left to keep: clear the passwords so nobody reads them off the screen.
                    current.try_set(String::new());
                    new.try_set(String::new());
                    form.done.try_set(Some(T::PasswordChanged));
                }
                Err(f) if nav.session_ended(&f) => {}
                Err(f) => form.fail(f),
            }
        });
    };

    view! {
        <section class="kb-card kb-change-password" aria-labelledby="kb-password-title">
            <h3 class="kb-subtitle" id="kb-password-title">{t(lang, T::ChangePasswordTitle)}</h3>
            <form class="kb-form" novalidate on:submit=submit>
                <PasswordField id="kb-password-current" label=T::CurrentPasswordLabel value=current autocomplete="current-password"
                    invalid=form.marks(CURRENT_CODES, T::CurrentPasswordLabel) error_id=ERROR_ID/>
                <PasswordField id="kb-password-new" label=T::NewPasswordLabel value=new autocomplete="new-password" hint=T::PasswordHint
                    invalid=form.marks(NEW_PASSWORD_CODES, T::NewPasswordLabel) error_id=ERROR_ID/>
                <FormAlert form=form id=ERROR_ID/>
                <div class="kb-actions">
                    <SubmitButton label=T::ChangePasswordSubmit busy=form.busy blocked=form.blocked()/>
                </div>
            </form>
        </section>
    }
}
