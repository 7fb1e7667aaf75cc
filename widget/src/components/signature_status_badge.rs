//! A document's state for signature as a status word: «Ожидает подписи», «Подписан»,
//! «Отозван организацией».

use kabinet_api::signing::SignatureStatus;
use leptos::prelude::*;

use crate::components::badge::{Badge, Tone};
use crate::i18n::signature_status;
use crate::WidgetConfig;

/// The colour of each state: waiting for the client is what asks for attention.
fn tone(status: SignatureStatus) -> Tone {
    match status {
        SignatureStatus::Awaiting => Tone::Warning,
        SignatureStatus::Signed => Tone::Good,
        SignatureStatus::Withdrawn => Tone::Neutral,
    }
}

#[component]
pub fn SignatureStatusBadge(status: SignatureStatus) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    view! { <Badge text=signature_status(lang, status) tone=tone(status)/> }
}
