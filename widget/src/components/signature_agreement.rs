//! The agreement on using a simple electronic signature, shown when signing needs it first:
//! its text (loaded on demand), the box «Я прочитал(а) соглашение и принимаю его» and
//! «Принять соглашение». The acceptance names the version and hash of the text on screen, so a
//! text that changed meanwhile is refused; the new text is then loaded and the person told.

use kabinet_api::signing::{AcceptAgreement, Agreement};
use kabinet_api::ErrorCode;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, ApiFailure};
use crate::components::{form_alert::FormAlert, loading::Loading, submit_button::SubmitButton};
use crate::focus::focus_soon;
use crate::form::{FormState, Problem};
use crate::i18n::{t, T};
use crate::nav::Nav;
use crate::WidgetConfig;

const ERROR_ID: &str = "kb-agreement-error";
const CHECK_ID: &str = "kb-agreement-check";

/// The agreement's text as the form holds it.
#[derive(Debug, Clone, PartialEq)]
enum Text {
    Loading,
    Loaded(Agreement),
    Failed(ApiFailure),
}

#[component]
pub fn SignatureAgreement(
    /// The text changed since the client accepted an earlier one: say so from the start.
    outdated: bool,
    /// The agreement is accepted (now, or already before).
    on_accepted: impl Fn() + Clone + Send + Sync + 'static,
    on_cancel: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let config = expect_context::<WidgetConfig>();
    let lang = config.lang;
    let nav = expect_context::<Nav>();
    let text = RwSignal::new(Text::Loading);
    let checked = RwSignal::new(false);
    let form = FormState::new();
    if outdated {
        form.refuse(ErrorCode::AgreementOutdated);
    }
    // The title takes focus when the text first arrives, so reading starts there; not when a
    // changed text replaces it, since the alert saying so has focus then.
    let first = StoredValue::new(true);

    let fetch = {
        let config = config.clone();
        let on_accepted = on_accepted.clone();
        move || {
            text.try_set(Text::Loading);
            let config = config.clone();
            let on_accepted = on_accepted.clone();
            spawn_local(async move {
                match api::agreement(&config).await {
                    // Accepted meanwhile (another tab): nothing to ask.
                    Ok(a) if a.accepted_at.is_some() => {
                        if text.try_set(Text::Loaded(a)).is_none() {
                            on_accepted();
                        }
                    }
                    Ok(a) => {
                        text.try_set(Text::Loaded(a));
                    }
                    Err(f) if nav.session_ended(&f) => {}
                    Err(f) => {
                        text.try_set(Text::Failed(f));
                    }
                }
            });
        }
    };
    fetch();

    let accept = {
        let (config, fetch) = (config.clone(), fetch.clone());
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            if !form.begin() {
                return;
            }
            let Text::Loaded(shown) = text.get_untracked() else { return };
            if !checked.get_untracked() {
                form.refuse(Problem::Invalid { field: T::AgreementCheck, text: t(lang, T::AgreementNotChecked).to_owned() });
                return;
            }
            form.sending();
            let (config, fetch, on_accepted) = (config.clone(), fetch.clone(), on_accepted.clone());
            spawn_local(async move {
                let body = AcceptAgreement { version: shown.version, sha256: shown.sha256 };
                match api::accept_agreement(&config, &body).await {
                    Ok(_) => {
                        form.finish();
                        on_accepted();
                    }
                    Err(f) if nav.session_ended(&f) => {}
                    Err(f) if f.is(ErrorCode::AgreementOutdated) => {
                        // The tick was for the old text: the new one must be read and ticked anew.
                        form.fail(f);
                        checked.try_set(false);
                        fetch();
                    }
                    Err(f) => form.fail(f),
                }
            });
        }
    };

    let loaded = Signal::derive(move || text.with(|t| matches!(t, Text::Loaded(_))));
    let blocked = {
        let waiting = form.blocked();
        Signal::derive(move || waiting.get() || !loaded.get())
    };
    let invalid = form.marks(&[], T::AgreementCheck);

    view! {
        <div class="kb-agreement">
            <p class="kb-notice">{t(lang, T::AgreementIntro)}</p>
            {move || match text.get() {
                Text::Loading => view! { <Loading/> }.into_any(),
                Text::Failed(f) => {
                    let fetch = fetch.clone();
                    view! {
                        <div class="kb-alert">
                            <p class="kb-alert-text" role="alert">{f.text(lang)}</p>
                            <button type="button" class="kb-button kb-button-secondary" on:click=move |_| fetch()>{t(lang, T::Retry)}</button>
                        </div>
                    }
                    .into_any()
                }
                Text::Loaded(a) => {
                    let node = NodeRef::<leptos::html::H3>::new();
                    if first.get_value() {
                        first.set_value(false);
                        node.on_load(focus_soon);
                    }
                    // Plain text with blank lines between paragraphs, as the contract says.
                    let paragraphs = a.text.split("\n\n").map(str::trim).filter(|p| !p.is_empty())
                        .map(|p| view! { <p>{p.to_owned()}</p> }).collect_view();
                    view! {
                        <h3 class="kb-subtitle kb-agreement-title" id="kb-agreement-title" tabindex="-1" node_ref=node>{a.title.clone()}</h3>
                        // Scrollable on its own, so it is focusable for keyboard scrolling and named.
                        <div class="kb-consent-text kb-agreement-text" role="region" aria-labelledby="kb-agreement-title" tabindex="0">
                            {paragraphs}
                        </div>
                    }
                    .into_any()
                }
            }}
            <form class="kb-form" novalidate on:submit=accept>
                <div class="kb-check">
                    <input type="checkbox" id=CHECK_ID class="kb-checkbox" bind:checked=checked
                        aria-invalid=move || invalid.get().then_some("true")
                        aria-describedby=move || invalid.get().then_some(ERROR_ID)/>
                    <label for=CHECK_ID>{t(lang, T::AgreementCheck)}</label>
                </div>
                <FormAlert form=form id=ERROR_ID/>
                <div class="kb-actions">
                    <SubmitButton label=T::AcceptAgreement busy=form.busy blocked=blocked/>
                    <button type="button" class="kb-button kb-button-secondary" on:click=move |_| on_cancel()>{t(lang, T::CancelSigning)}</button>
                </div>
            </form>
        </div>
    }
}
