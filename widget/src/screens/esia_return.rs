//! Back from ESIA (Госуслуги): the shim is asked once how the trip ended. A linked client is
//! signed in at once; a client found in accounting but not linked yet confirms the link (with
//! the cabinet password, or with the consent when a cabinet is opened now); someone who is not
//! a client, or whose trip failed, is told so and offered the other ways in.

use kabinet_api::esia::{EsiaLinkRequest, EsiaOutcome};
use kabinet_api::ErrorCode;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, ApiFailure};
use crate::components::{
    consent_text::{ConsentState, ConsentText},
    esia_button::EsiaButton,
    form_alert::FormAlert,
    loading::Loading,
    password_field::PasswordField,
    screen_heading::ScreenHeading,
    submit_button::SubmitButton,
};
use crate::form::{self, FormState, CONSENT_CODES, PASSWORD_CODES};
use crate::i18n::{fill, t, T};
use crate::nav::{Nav, Screen};
use crate::WidgetConfig;

const ERROR_ID: &str = "kb-esia-error";
const RETRY_ERROR_ID: &str = "kb-esia-retry-error";

/// Where the screen is: waiting for the outcome, or showing what it was.
#[derive(Debug, Clone, PartialEq)]
enum Stage {
    Checking,
    Confirm { full_name: String, phone_masked: String, has_password: bool },
    NoMatch { full_name: String },
    Failed(ApiFailure),
}

/// Refusals of the link that mean the trip itself is over (its flow expired or is gone): the
/// form cannot succeed any more, so the screen says so and offers a new trip instead.
fn trip_over(failure: &ApiFailure) -> bool {
    failure.is(ErrorCode::EsiaExpired) || failure.is(ErrorCode::EsiaNotStarted)
}

#[component]
pub fn EsiaReturn() -> impl IntoView {
    let config = expect_context::<WidgetConfig>();
    let lang = config.lang;
    let nav = expect_context::<Nav>();
    let stage = RwSignal::new(Stage::Checking);

    // Once, as the screen appears: the answer may sign the client in, so it is never repeated.
    spawn_local({
        let config = config.clone();
        async move {
            let next = match api::esia_outcome(&config).await {
                Ok(EsiaOutcome::SignedIn { session }) => return nav.signed_in(session),
                Ok(EsiaOutcome::ConfirmLink { full_name, phone_masked, has_password }) => {
                    Stage::Confirm { full_name, phone_masked, has_password }
                }
                Ok(EsiaOutcome::NoMatch { full_name }) => Stage::NoMatch { full_name },
                Err(f) => Stage::Failed(f),
            };
            // What the spinner said has gone: reading starts again from the heading.
            if stage.try_set(next).is_none() {
                nav.focus_heading();
            }
        }
    });

    let title = Signal::derive(move || {
        let linking = stage.with(|s| matches!(s, Stage::Confirm { .. }));
        t(lang, if linking { T::EsiaLinkTitle } else { T::EsiaTitle }).to_owned()
    });
    view! {
        <section class="kb-card kb-esia-return" aria-labelledby="kb-esia-title" data-kb-screen="esia-return">
            <ScreenHeading id="kb-esia-title" text=title/>
            {move || match stage.get() {
                Stage::Checking => view! {
                    <div data-kb-esia="checking"><Loading text=T::EsiaChecking/></div>
                }.into_any(),
                Stage::Confirm { full_name, phone_masked, has_password } => view! {
                    <ConfirmLink full_name=full_name phone_masked=phone_masked has_password=has_password stage=stage/>
                }.into_any(),
                Stage::NoMatch { full_name } => view! {
                    <div class="kb-esia-outcome" data-kb-esia="no_match">
                        <p class="kb-intro">{fill(lang, T::EsiaNoMatch, &[("full_name", &full_name)])}</p>
                        <p class="kb-intro">{t(lang, T::EsiaNoMatchHelp)}</p>
                        <div class="kb-actions">
                            <button type="button" class="kb-button" data-kb-action="esia-register"
                                on:click=move |_| nav.go(Screen::Register)>{t(lang, T::ToRegister)}</button>
                            <button type="button" class="kb-button kb-button-secondary" data-kb-action="esia-to-login"
                                on:click=move |_| nav.go(Screen::Login)>{t(lang, T::EsiaToLogin)}</button>
                        </div>
                    </div>
                }.into_any(),
                Stage::Failed(failure) => view! {
                    <div class="kb-esia-outcome" data-kb-esia="error">
                        <div class="kb-alert">
                            <p class="kb-alert-text" role="alert">{failure.text(lang)}</p>
                        </div>
                        <div class="kb-esia-choices">
                            <EsiaButton label=T::TryAgain action="esia-retry" error_id=RETRY_ERROR_ID primary=true/>
                            <button type="button" class="kb-button kb-button-secondary kb-button-wide" data-kb-action="esia-to-login"
                                on:click=move |_| nav.go(Screen::Login)>{t(lang, T::EsiaToLogin)}</button>
                        </div>
                    </div>
                }.into_any(),
            }}
        </section>
    }
}

/// The client's confirmation of the link: the cabinet password when the account has one,
/// else the consent to personal-data processing for the cabinet opened now (as at registration).
#[component]
fn ConfirmLink(full_name: String, phone_masked: String, has_password: bool, stage: RwSignal<Stage>) -> impl IntoView {
    let config = expect_context::<WidgetConfig>();
    let lang = config.lang;
    let nav = expect_context::<Nav>();
    let form = FormState::new();
    let password = RwSignal::new(String::new());
    let agreed = RwSignal::new(false);
    let consent = RwSignal::new(ConsentState::NotLoaded);
    let consent_open = RwSignal::new(false);

    // The consent's version is needed even by someone who never opens its text; loaded again
    // after a failure when the text is asked for.
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
    if !has_password {
        load_consent();
    }
    let load_consent = StoredValue::new_local(load_consent);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !form.begin() {
            return;
        }
        let Some(given) = form.check(|| {
            if has_password {
                form::password(&password.get_untracked(), T::PasswordLabel).map(Some)
            } else if agreed.get_untracked() {
                Ok(None)
            } else {
                Err(ErrorCode::ConsentRequired.into())
            }
        }) else {
            return;
        };
        form.sending();
        let config = config.clone();
        spawn_local(async move {
            let consent_version = if has_password {
                None
            } else {
                match consent.try_get_untracked() {
                    Some(ConsentState::Loaded(doc)) => Some(doc.version),
                    _ => match api::consent(&config).await {
                        Ok(doc) => {
                            let version = doc.version.clone();
                            consent.try_set(ConsentState::Loaded(doc));
                            Some(version)
                        }
                        Err(f) => return form.fail(f),
                    },
                }
            };
            let body = EsiaLinkRequest { password: given, consent_version };
            match api::esia_link(&config, &body).await {
                Ok(info) => {
                    form.finish();
                    nav.signed_in(info);
                }
                Err(f) if trip_over(&f) => {
                    form.finish();
                    if stage.try_set(Stage::Failed(f)).is_none() {
                        nav.focus_heading();
                    }
                }
                Err(f) => form.fail(f),
            }
        });
    };

    let toggle_consent = move |_| {
        consent_open.update(|o| *o = !*o);
        if consent_open.get_untracked() && matches!(consent.get_untracked(), ConsentState::Failed(_)) {
            load_consent.with_value(|f| f());
        }
    };
    let consent_invalid = form.marks(CONSENT_CODES, T::ConsentLabel);
    let confirmed = fill(lang, T::EsiaConfirmed, &[("full_name", &full_name), ("phone", &phone_masked)]);

    view! {
        <div class="kb-esia-outcome" data-kb-esia="confirm_link">
            <p class="kb-intro">{confirmed}</p>
            <p class="kb-intro">{t(lang, if has_password { T::EsiaLinkPassword } else { T::EsiaLinkOpen })}</p>
            <form class="kb-form" novalidate on:submit=submit>
                {if has_password {
                    view! {
                        <PasswordField id="kb-esia-password" label=T::PasswordLabel value=password autocomplete="current-password"
                            invalid=form.marks(PASSWORD_CODES, T::PasswordLabel) error_id=ERROR_ID/>
                    }.into_any()
                } else {
                    view! {
                        <div class="kb-check">
                            <input type="checkbox" id="kb-esia-consent" class="kb-checkbox" required bind:checked=agreed
                                aria-invalid=move || consent_invalid.get().then_some("true")
                                aria-describedby=move || consent_invalid.get().then_some(ERROR_ID)/>
                            <label for="kb-esia-consent">{t(lang, T::ConsentLabel)}</label>
                        </div>
                        <button type="button" class="kb-linkbutton kb-consent-toggle" aria-controls="kb-esia-consent-text"
                            aria-expanded=move || if consent_open.get() { "true" } else { "false" } on:click=toggle_consent>
                            {t(lang, T::ReadConsent)}
                        </button>
                        <Show when=move || consent_open.get()>
                            <ConsentText id="kb-esia-consent-text" state=consent on_retry=move || load_consent.with_value(|f| f())/>
                        </Show>
                    }.into_any()
                }}
                <FormAlert form=form id=ERROR_ID/>
                <div class="kb-actions">
                    <SubmitButton label=if has_password { T::EsiaLinkSubmit } else { T::EsiaOpenSubmit } busy=form.busy blocked=form.blocked() action="esia-link"/>
                </div>
            </form>
            <div class="kb-links">
                <button type="button" class="kb-linkbutton" data-kb-action="esia-cancel" on:click=move |_| nav.go(Screen::Login)>
                    {t(lang, T::Cancel)}
                </button>
            </div>
        </div>
    }
}
