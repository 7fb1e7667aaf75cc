//! A failed load: what went wrong in plain words, and a button to try again.

use leptos::prelude::*;

use crate::api::ApiFailure;
use crate::i18n::{t, T};
use crate::WidgetConfig;

#[component]
pub fn LoadError(
    failure: ApiFailure,
    on_retry: impl Fn() + Send + Sync + 'static,
    /// What could not be loaded; the whole cabinet unless said.
    #[prop(optional)]
    title: Option<T>,
) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    view! {
        <div class="kb-error" role="alert">
            <p class="kb-error-title">{t(lang, title.unwrap_or(T::LoadFailed))}</p>
            <p>{failure.text(lang)}</p>
            <button type="button" class="kb-button" on:click=move |_| on_retry()>{t(lang, T::Retry)}</button>
        </div>
    }
}
