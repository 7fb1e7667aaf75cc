//! Getting a document onto the person's device. The PDF is fetched with the session cookie
//! (a plain link would lose the cookie when the widget runs inline on another site's page),
//! then handed to the browser as a download from an object URL through a temporary link.

use kabinet_api::cabinet::DocumentQuery;
use kabinet_api::messages::AttachmentInfo;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::api::{self, ApiFailure};
use crate::form::FormState;
use crate::i18n::T;
use crate::nav::Nav;
use crate::WidgetConfig;

/// How long the object URL lives after the click: browsers read it after `click()` returns,
/// and a slow phone may take a while to start saving.
const REVOKE_AFTER_MS: i32 = 60_000;

/// One document to fetch.
#[derive(Debug, Clone)]
pub struct DocRequest {
    /// Under the API prefix, the contract id already a path segment (see `api::segment`).
    pub path: String,
    pub query: DocumentQuery,
    /// The name to save under when the server's is not readable (cross-origin the shim must
    /// expose `Content-Disposition` for it to be).
    pub fallback_name: String,
}

/// A file name for people: the parts joined by spaces, characters that file systems refuse
/// (a contract number's slash) replaced by dashes; «График платежей З-2026-0142.pdf».
pub fn file_name(parts: &[&str]) -> String {
    let joined = parts.iter().map(|p| p.trim()).filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" ");
    let clean: String = joined.chars().map(|c| if "/\\:*?\"<>|".contains(c) || c.is_control() { '-' } else { c }).collect();
    format!("{clean}.pdf")
}

/// Fetches and saves `request`, with `form` showing progress and any failure; `place` is an
/// element of the widget's own tree (the button's form) that holds the temporary link.
pub fn start(config: WidgetConfig, nav: Nav, form: FormState, place: web_sys::Element, request: DocRequest) {
    form.sending();
    spawn_local(async move {
        let outcome = fetch_and_save(&config, &request, &place).await;
        settle(nav, form, outcome, T::DocumentSaved);
    });
}

/// Fetches and saves a message's attachment under its own name, as [`start`] does a document.
pub fn start_attachment(config: WidgetConfig, nav: Nav, form: FormState, place: web_sys::Element, message_id: String, file: AttachmentInfo) {
    form.sending();
    spawn_local(async move {
        let outcome = match api::attachment(&config, &message_id, &file.id).await {
            Ok(doc) => save(&doc.blob, &file.file_name, &place).map_err(|_| ApiFailure::Unreadable),
            Err(f) => Err(f),
        };
        settle(nav, form, outcome, T::FileSaved);
    });
}

/// Shows how it went: `saved` said quietly, or the failure in the form's alert.
fn settle(nav: Nav, form: FormState, outcome: Result<(), ApiFailure>, saved: T) {
    match outcome {
        Ok(()) => {
            form.finish();
            form.done.try_set(Some(saved));
        }
        Err(f) if nav.session_ended(&f) => {}
        Err(f) => form.fail(f),
    }
}

async fn fetch_and_save(config: &WidgetConfig, request: &DocRequest, place: &web_sys::Element) -> Result<(), ApiFailure> {
    let doc = api::document(config, &request.path, &request.query).await?;
    let name = doc.file_name.unwrap_or_else(|| request.fallback_name.clone());
    save(&doc.blob, &name, place).map_err(|_| ApiFailure::Unreadable)
}

fn save(blob: &web_sys::Blob, name: &str, place: &web_sys::Element) -> Result<(), JsValue> {
    let url = web_sys::Url::create_object_url_with_blob(blob)?;
    let document = place.owner_document().ok_or("no document")?;
    let link: web_sys::HtmlAnchorElement = document.create_element("a")?.unchecked_into();
    link.set_href(&url);
    link.set_download(name);
    link.set_hidden(true);
    // In the widget's own tree, not the host page's body: inline, the host page is not ours.
    place.append_child(&link)?;
    link.click();
    link.remove();
    let revoke = Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    web_sys::window()
        .ok_or("no window")?
        .set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), REVOKE_AFTER_MS)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_safe_and_readable() {
        assert_eq!(file_name(&["График платежей", "З-2026/0142"]), "График платежей З-2026-0142.pdf");
        assert_eq!(file_name(&["Акт сверки", "", "2026-01-01"]), "Акт сверки 2026-01-01.pdf");
    }
}
