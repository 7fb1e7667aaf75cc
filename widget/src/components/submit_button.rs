//! A form's main button: says «Отправка…» with a spinner and is disabled while a request runs.

use leptos::either::Either;
use leptos::prelude::*;

use crate::i18n::{t, T};
use crate::WidgetConfig;

#[component]
pub fn SubmitButton(
    label: T,
    busy: RwSignal<bool>,
    /// Busy, or waiting out a rate limit.
    #[prop(into)]
    blocked: Signal<bool>,
    /// `data-kb-action`, a stable name for browser tests, where the label alone is ambiguous.
    #[prop(optional)]
    action: Option<&'static str>,
) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    view! {
        <button type="submit" class="kb-button" data-kb-action=action disabled=move || blocked.get() aria-busy=move || busy.get().then_some("true")>
            {move || if busy.get() {
                Either::Left(view! { <span class="kb-spinner kb-spinner-small" aria-hidden="true"></span>{t(lang, T::Sending)} })
            } else {
                Either::Right(t(lang, label))
            }}
        </button>
    }
}
