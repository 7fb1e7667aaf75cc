//! What a screen shows for its data: the spinner while it loads, the failure with «Повторить»,
//! or the data as `render` draws it — never a blank.

use leptos::prelude::*;

use crate::components::{load_error::LoadError, loading::Loading};
use crate::i18n::T as Text;
use crate::load::Load;

#[component]
pub fn Loaded<T, V, F>(load: Load<T>, render: F) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    V: IntoView + 'static,
    F: Fn(T) -> V + Send + Sync + 'static,
{
    move || match load.get() {
        None => view! { <Loading/> }.into_any(),
        Some(Err(failure)) => view! { <LoadError failure=failure on_retry=move || load.retry() title=Text::SectionLoadFailed/> }.into_any(),
        Some(Ok(data)) => render(data).into_any(),
    }
}
