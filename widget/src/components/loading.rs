//! The progress indicator shown while anything loads; announced to screen readers.

use leptos::prelude::*;

use crate::i18n::{t, T};
use crate::WidgetConfig;

#[component]
pub fn Loading() -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    view! {
        <div class="kb-loading" role="status" aria-live="polite">
            <span class="kb-spinner" aria-hidden="true"></span>
            <span>{t(lang, T::Loading)}</span>
        </div>
    }
}
