//! A signed document: «Документ подписан», when, the code that verifies the stamped copy, and
//! the copy itself (the original with the stamp page) as a download.

use kabinet_api::signing::SignatureDocument;
use leptos::prelude::*;

use crate::api;
use crate::components::{document_download::DocumentDownload, figure::Figure};
use crate::download::DocRequest;
use crate::focus::focus_soon;
use crate::i18n::{t, T};
use crate::time::local_time;
use crate::WidgetConfig;

#[component]
pub fn SignedDocument(
    document: SignatureDocument,
    /// Take focus: the person has just signed, and the code form they were in has gone.
    focus: bool,
) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    let node = NodeRef::<leptos::html::H3>::new();
    if focus {
        node.on_load(focus_soon);
    }
    let d = document;
    let request = DocRequest {
        path: api::signature_signed_path(&d.id),
        query: Default::default(),
        fallback_name: d.signed_file_name.clone().unwrap_or_else(|| d.file_name.clone()),
    };
    let has_code = d.verify_code.is_some();
    view! {
        <section class="kb-signed" aria-labelledby="kb-signed-title">
            <h3 class="kb-subtitle kb-signed-title" id="kb-signed-title" tabindex="-1" node_ref=node>
                // The tick is drawing: the heading's name is the sentence alone.
                <span class="kb-signed-mark" aria-hidden="true">"✓"</span>
                {t(lang, T::SignedTitle)}
            </h3>
            <dl class="kb-figures">
                {d.signed_at.as_deref().map(|at| view! { <Figure label=T::SignedAt value=local_time(at)/> })}
                {d.verify_code.clone().map(|code| view! { <Figure label=T::VerifyCode value=code/> })}
            </dl>
            {has_code.then(|| view! { <p class="kb-hint kb-verify-hint">{t(lang, T::VerifyHint)}</p> })}
            <div class="kb-docs">
                <DocumentDownload label=t(lang, T::DownloadSigned) error_id="kb-signed-download-error" request=request/>
            </div>
        </section>
    }
}
