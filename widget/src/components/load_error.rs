//! A failed load: what went wrong in plain words, and a button to try again.

use leptos::prelude::*;

use crate::api::ApiFailure;
use crate::focus::focus_soon;
use crate::i18n::{t, T};
use crate::WidgetConfig;

#[component]
pub fn LoadError(
    failure: ApiFailure,
    on_retry: impl Fn() + Send + Sync + 'static,
    /// What could not be loaded; the whole cabinet unless said.
    #[prop(optional)]
    title: Option<T>,
    /// Take focus when shown, as a form's error does. Only after «Повторить»: on a screen's
    /// first load focus stays where the person is (on first paint, the host page).
    #[prop(optional)]
    focus: bool,
) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    let node = NodeRef::<leptos::html::Div>::new();
    if focus {
        node.on_load(focus_soon);
    }
    view! {
        <div class="kb-error" role="alert" tabindex="-1" node_ref=node>
            <p class="kb-error-title">{t(lang, title.unwrap_or(T::LoadFailed))}</p>
            <p>{failure.text(lang)}</p>
            <button type="button" class="kb-button" on:click=move |_| on_retry()>{t(lang, T::Retry)}</button>
        </div>
    }
}
