//! A document that needs no choices (a schedule, a certificate as of today): one button, its
//! progress, and its own error line right under it.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::components::{download_button::DownloadButton, form_alert::FormAlert};
use crate::download::{self, DocRequest};
use crate::form::FormState;
use crate::nav::Nav;
use crate::WidgetConfig;

#[component]
pub fn DocumentDownload(
    #[prop(into)] label: String,
    /// Unique on the screen: the id of this button's error line.
    #[prop(into)]
    error_id: String,
    request: DocRequest,
    /// Id of what tells this button from others with the same name (a receipt's payment).
    #[prop(optional, into)]
    described_by: Option<String>,
) -> impl IntoView {
    let config = expect_context::<WidgetConfig>();
    let nav = expect_context::<Nav>();
    let form = FormState::new();
    // A form of its own, so the button is a submit button like every other in the widget and
    // the temporary download link has a home in the widget's tree.
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(place) = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else { return };
        if !form.begin() {
            return;
        }
        download::start(config.clone(), nav, form, place, request.clone());
    };
    view! {
        <form class="kb-doc" novalidate on:submit=submit>
            <DownloadButton label=Signal::stored(label) busy=form.busy blocked=form.blocked() described_by=described_by/>
            <FormAlert form=form id=error_id/>
        </form>
    }
}
