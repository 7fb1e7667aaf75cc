//! «Акт сверки»: the period (from the contract's date to today unless changed), checked here
//! as the server checks it, and the button that fetches the act as PDF.

use kabinet_api::cabinet::DocumentQuery;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::components::{download_button::DownloadButton, form_alert::FormAlert, text_field::TextField};
use crate::download::{self, file_name, DocRequest};
use crate::form::{self, FormState, PERIOD_CODES};
use crate::i18n::{t, T};
use crate::nav::Nav;
use crate::WidgetConfig;

const ERROR_ID: &str = "kb-act-error";

#[component]
pub fn ActForm(
    /// The act's path (see `DocRequest::path`).
    path: String,
    /// Contract number, for the file name.
    number: String,
    /// The contract's first day and the day the figures are for: the default period and its bounds.
    start: String,
    as_of: String,
) -> impl IntoView {
    let config = expect_context::<WidgetConfig>();
    let lang = config.lang;
    let nav = expect_context::<Nav>();
    let form = FormState::new();
    let from = RwSignal::new(start.clone());
    let to = RwSignal::new(as_of.clone());
    let (min, max) = (start.clone(), as_of.clone());

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(place) = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else { return };
        if !form.begin() {
            return;
        }
        let Some((f, to)) = form.check(|| form::period(&from.get_untracked(), &to.get_untracked(), &start, &as_of)) else {
            return;
        };
        let request = DocRequest {
            fallback_name: file_name(&[t(lang, T::ActTitle), &number, &f, &to]),
            path: path.clone(),
            query: DocumentQuery { from: Some(f), to: Some(to), year: None },
        };
        download::start(config.clone(), nav, form, place, request);
    };

    view! {
        <section class="kb-act" aria-labelledby="kb-act-title">
            <h4 class="kb-subsubtitle" id="kb-act-title">{t(lang, T::ActTitle)}</h4>
            <p class="kb-hint">{t(lang, T::ActIntro)}</p>
            <form class="kb-form kb-act-form" novalidate on:submit=submit>
                <div class="kb-period">
                    <TextField id="kb-act-from" label=T::ActFrom value=from kind="date" autocomplete="off"
                        min=min.clone() max=max.clone() invalid=form.marks(PERIOD_CODES, T::ActFrom) error_id=ERROR_ID/>
                    <TextField id="kb-act-to" label=T::ActTo value=to kind="date" autocomplete="off"
                        min=min max=max invalid=form.marks(PERIOD_CODES, T::ActTo) error_id=ERROR_ID/>
                </div>
                <FormAlert form=form id=ERROR_ID/>
                <div class="kb-actions">
                    <DownloadButton label=Signal::stored(t(lang, T::ActPdf).to_owned()) busy=form.busy blocked=form.blocked()/>
                </div>
            </form>
        </section>
    }
}
