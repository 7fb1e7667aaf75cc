//! A message's attachment as a download button named by the file: «скан.pdf, PDF, 120 КБ».
//! Fetched with the session cookie and saved from a Blob, as documents are.

use kabinet_api::messages::{AttachmentInfo, FileType};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::components::{download_button::DownloadButton, form_alert::FormAlert};
use crate::download;
use crate::form::FormState;
use crate::i18n::{file_size, Lang};
use crate::nav::Nav;
use crate::WidgetConfig;

/// «скан.pdf, PDF, 120 КБ».
pub fn describe(lang: Lang, file: &AttachmentInfo) -> String {
    let kind = match file.content_type {
        FileType::Jpeg => "JPEG",
        FileType::Png => "PNG",
        FileType::Pdf => "PDF",
    };
    format!("{}, {kind}, {}", file.file_name, file_size(lang, file.size))
}

#[component]
pub fn AttachmentDownload(
    message_id: String,
    file: AttachmentInfo,
    /// Unique on the screen: the id of this button's error line.
    error_id: String,
) -> impl IntoView {
    let config = expect_context::<WidgetConfig>();
    let lang = config.lang;
    let nav = expect_context::<Nav>();
    let form = FormState::new();
    let label = describe(lang, &file);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(place) = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else { return };
        if !form.begin() {
            return;
        }
        download::start_attachment(config.clone(), nav, form, place, message_id.clone(), file.clone());
    };
    view! {
        <form class="kb-doc" novalidate on:submit=submit>
            <DownloadButton label=Signal::stored(label) busy=form.busy blocked=form.blocked()/>
            <FormAlert form=form id=error_id/>
        </form>
    }
}
