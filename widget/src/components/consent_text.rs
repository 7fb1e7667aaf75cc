//! The consent to personal-data processing, shown in place when asked for; loaded on demand.

use kabinet_api::auth::ConsentDocument;
use leptos::prelude::*;

use crate::api::ApiFailure;
use crate::components::loading::Loading;
use crate::i18n::{t, T};
use crate::WidgetConfig;

/// The consent text as the register screen holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum ConsentState {
    NotLoaded,
    Loading,
    Loaded(ConsentDocument),
    Failed(ApiFailure),
}

#[component]
pub fn ConsentText(id: &'static str, state: RwSignal<ConsentState>, on_retry: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    view! {
        <div class="kb-consent" id=id>
            {move || match state.get() {
                ConsentState::NotLoaded | ConsentState::Loading => view! { <Loading/> }.into_any(),
                ConsentState::Failed(f) => view! {
                    <div class="kb-alert">
                        <p class="kb-alert-text" role="alert">{f.text(lang)}</p>
                        <button type="button" class="kb-button kb-button-secondary" on:click=move |_| on_retry()>{t(lang, T::Retry)}</button>
                    </div>
                }.into_any(),
                ConsentState::Loaded(doc) => {
                    // Plain text with blank lines between paragraphs, as the contract says.
                    let paragraphs = doc.text.split("\n\n").map(str::trim).filter(|p| !p.is_empty())
                        .map(|p| view! { <p>{p.to_owned()}</p> }).collect_view();
                    view! {
                        // Scrollable on its own, so it is focusable for keyboard scrolling and named.
                        <div class="kb-consent-text" role="region" aria-label=doc.title.clone() tabindex="0">
                            <h3 class="kb-subtitle">{doc.title.clone()}</h3>
                            {paragraphs}
                        </div>
                    }.into_any()
                }
            }}
        </div>
    }
}
