//! A document's button: its name while idle; «Готовим документ…» with a spinner and
//! `aria-busy` while the PDF is being made and fetched. It stays focusable while busy
//! (`aria-disabled`, not `disabled`), so keyboard focus is not thrown to the page's top.

use leptos::either::Either;
use leptos::prelude::*;

use crate::i18n::{t, T};
use crate::WidgetConfig;

#[component]
pub fn DownloadButton(
    #[prop(into)] label: Signal<String>,
    busy: RwSignal<bool>,
    /// Busy, or waiting out a rate limit.
    #[prop(into)]
    blocked: Signal<bool>,
    /// Id of what tells this button from others with the same name.
    #[prop(optional_no_strip)]
    described_by: Option<String>,
) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    view! {
        <button type="submit" class="kb-button kb-button-secondary kb-doc-button"
            aria-disabled=move || blocked.get().then_some("true")
            aria-busy=move || busy.get().then_some("true") aria-describedby=described_by>
            {move || if busy.get() {
                Either::Left(view! { <span class="kb-spinner kb-spinner-small" aria-hidden="true"></span>{t(lang, T::Preparing)} })
            } else {
                Either::Right(view! { <span class="kb-doc-icon" aria-hidden="true"></span>{label.get()} })
            }}
        </button>
    }
}
