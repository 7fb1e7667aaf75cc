//! «Документы на подпись»: the documents the organisation sent the client to sign, newest
//! first, each with its status; a document opens its own screen, where it is read and signed.

use kabinet_api::signing::SignaturesView;
use leptos::prelude::*;

use crate::api;
use crate::components::{back_button::BackButton, loaded::Loaded, screen_heading::ScreenHeading, signature_item::SignatureItem};
use crate::i18n::{t, T};
use crate::load::Load;
use crate::nav::{Nav, Screen};
use crate::WidgetConfig;

#[component]
pub fn Signatures() -> impl IntoView {
    let config = expect_context::<WidgetConfig>();
    let lang = config.lang;
    let nav = expect_context::<Nav>();
    let load = Load::new(move || {
        let config = config.clone();
        async move {
            let got = api::signatures(&config).await;
            // The document screen needs to know whether «Подписать» starts with the agreement.
            if let Ok(v) = &got {
                nav.set_agreement_accepted(v.agreement_accepted);
            }
            got
        }
    });
    view! {
        <section class="kb-card kb-screen-head" aria-labelledby="kb-signatures-title" data-kb-screen="signatures">
            <BackButton to=Screen::Home/>
            <ScreenHeading id="kb-signatures-title" text=t(lang, T::SignDocuments)/>
            <p class="kb-hint">{t(lang, T::SignaturesIntro)}</p>
        </section>
        <section class="kb-card" aria-labelledby="kb-signatures-list-title">
            <h3 class="kb-subtitle" id="kb-signatures-list-title">{t(lang, T::Documents)}</h3>
            <Loaded load=load render=move |v: SignaturesView| {
                if v.documents.is_empty() {
                    view! { <p class="kb-hint">{t(lang, T::NoSignatures)}</p> }.into_any()
                } else {
                    let rows = v.documents.into_iter().enumerate()
                        .map(|(i, d)| view! { <SignatureItem document=d index=i/> })
                        .collect_view();
                    view! { <ul class="kb-items kb-signatures">{rows}</ul> }.into_any()
                }
            }/>
        </section>
    }
}
