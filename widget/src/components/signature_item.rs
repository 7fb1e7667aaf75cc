//! One document for signature in the list: its title as the button that opens it (the whole
//! card is the button's target), its status word, its number and when it was sent.

use kabinet_api::signing::{SignatureDocument, SignatureStatus};
use leptos::prelude::*;

use crate::components::signature_status_badge::SignatureStatusBadge;
use crate::i18n::{fill, T};
use crate::nav::{Nav, SignatureRef};
use crate::time::local_time;
use crate::WidgetConfig;

#[component]
pub fn SignatureItem(
    document: SignatureDocument,
    /// Its place in the list, for element ids (a document id is not ours to put in one).
    index: usize,
) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    let nav = expect_context::<Nav>();
    let d = document;
    let meta_id = format!("kb-signature-{index}-meta");
    let awaiting = d.status == SignatureStatus::Awaiting;
    let target = SignatureRef { id: d.id.clone(), title: d.title.clone() };
    view! {
        <li class="kb-signature" class:kb-signature-awaiting=awaiting data-kb-signature=d.id.clone()>
            <div class="kb-item-head">
                <h4 class="kb-item-title">
                    // The title is the button's whole name, so it finds exactly this document;
                    // the number and the date describe it.
                    <button type="button" class="kb-signature-open" aria-describedby=meta_id.clone()
                        on:click=move |_| nav.open_signature(target.clone())>
                        {d.title.clone()}
                    </button>
                </h4>
                <SignatureStatusBadge status=d.status/>
            </div>
            <p class="kb-signature-meta" id=meta_id>
                <span class="kb-nowrap">{fill(lang, T::DocNumber, &[("number", &d.number)])}</span>
                " · "
                <span class="kb-nowrap">{fill(lang, T::SentOn, &[("time", &local_time(&d.sent_at))])}</span>
            </p>
        </li>
    }
}
