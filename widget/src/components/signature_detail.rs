//! One document for signature: its number, when it was sent and its status; the PDF exactly as
//! sent; its SHA-256 in full; and, by status, signing it, the signed copy, or the word that the
//! organisation withdrew it.

use kabinet_api::signing::{SignatureDocument, SignatureStatus};
use leptos::prelude::*;

use crate::api::{self, ApiFailure};
use crate::components::{
    document_download::DocumentDownload, document_hash::DocumentHash, signature_signing::SignatureSigning,
    signature_status_badge::SignatureStatusBadge, signed_document::SignedDocument,
};
use crate::download::DocRequest;
use crate::focus::focus_soon;
use crate::i18n::{file_size, fill, t, T};
use crate::time::local_time;
use crate::WidgetConfig;

#[component]
pub fn SignatureDetail(document: SignatureDocument) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    let d = document.clone();
    let current = RwSignal::new(document);
    let notice = RwSignal::new(None::<ApiFailure>);
    let fresh = StoredValue::new(false);
    // Only a change of status rebuilds the part below: a fresh copy of the same awaiting
    // document (its hash changed) must not throw away the code form and what was typed in it.
    let status = Memo::new(move |_| current.with(|d| d.status));
    let sha256 = Signal::derive(move || current.with(|d| d.sha256.clone()));
    let original = DocRequest { path: api::signature_original_path(&d.id), query: Default::default(), fallback_name: d.file_name.clone() };
    let file = fill(lang, T::DocFile, &[("name", &d.file_name), ("size", &file_size(lang, d.size))]);

    view! {
        <div class="kb-signature-detail">
            <p class="kb-signature-meta">
                {move || view! { <SignatureStatusBadge status=status.get()/> }}
                " "
                <span class="kb-nowrap">{fill(lang, T::DocNumber, &[("number", &d.number)])}</span>
                " · "
                <span class="kb-nowrap">{fill(lang, T::SentOn, &[("time", &local_time(&d.sent_at))])}</span>
            </p>
            <div class="kb-docs kb-signature-file">
                <DocumentDownload label=t(lang, T::DownloadOriginal) error_id="kb-signature-original-error" request=original
                    described_by="kb-signature-file-name"/>
                <p class="kb-hint kb-signature-file-name" id="kb-signature-file-name">{file}</p>
            </div>
            <DocumentHash sha256=sha256 sms_note=Signal::derive(move || status.get() == SignatureStatus::Awaiting)/>
            {move || notice.get().map(|f| {
                let node = NodeRef::<leptos::html::P>::new();
                node.on_load(focus_soon);
                view! {
                    <div class="kb-alert kb-signature-notice">
                        <p class="kb-alert-text" role="alert" tabindex="-1" node_ref=node>{f.text(lang)}</p>
                    </div>
                }
            })}
            {move || match status.get() {
                SignatureStatus::Awaiting => view! { <SignatureSigning current=current notice=notice fresh=fresh/> }.into_any(),
                SignatureStatus::Signed => {
                    view! { <SignedDocument document=current.get_untracked() focus=fresh.get_value()/> }.into_any()
                }
                SignatureStatus::Withdrawn => {
                    view! { <p class="kb-notice kb-signature-withdrawn">{t(lang, T::WithdrawnText)}</p> }.into_any()
                }
            }}
        </div>
    }
}
