//! The progress indicator shown while anything loads; announced to screen readers.

use leptos::prelude::*;

use crate::focus::focus_soon;
use crate::i18n::{t, T};
use crate::WidgetConfig;

#[component]
pub fn Loading(
    /// Take focus when shown: it has replaced the button the person pressed («Повторить»),
    /// and focus would otherwise fall out of the widget.
    #[prop(optional)]
    focus: bool,
    /// What is being waited for, when «Загрузка…» says too little.
    #[prop(optional)]
    text: Option<T>,
) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    let node = NodeRef::<leptos::html::Div>::new();
    if focus {
        node.on_load(focus_soon);
    }
    view! {
        <div class="kb-loading" role="status" aria-live="polite" tabindex="-1" node_ref=node>
            <span class="kb-spinner" aria-hidden="true"></span>
            <span>{t(lang, text.unwrap_or(T::Loading))}</span>
        </div>
    }
}
