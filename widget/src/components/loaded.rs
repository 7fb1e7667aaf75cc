//! What a screen shows for its data: the spinner while it loads, the failure with «Повторить»,
//! or the data as `render` draws it — never a blank.

use leptos::prelude::*;

use crate::components::{load_error::LoadError, loading::Loading};
use crate::i18n::T as Text;
use crate::load::Load;
use crate::nav::Nav;

#[component]
pub fn Loaded<T, V, F>(load: Load<T>, render: F) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    V: IntoView + 'static,
    F: Fn(T) -> V + Send + Sync + 'static,
{
    let nav = expect_context::<Nav>();
    move || {
        // Each step after «Повторить» removes the element that had focus (the button, then the
        // spinner), so focus goes to what replaced it rather than falling out of the widget.
        // The first load moves nothing: the screen's heading has it, or the host page does.
        let focus = load.retried();
        match load.get() {
            None => view! { <Loading focus=focus/> }.into_any(),
            Some(Err(failure)) => {
                view! { <LoadError failure=failure on_retry=move || load.retry() title=Text::SectionLoadFailed focus=focus/> }
                    .into_any()
            }
            Some(Ok(data)) => {
                if focus {
                    nav.focus_heading();
                }
                render(data).into_any()
            }
        }
    }
}
