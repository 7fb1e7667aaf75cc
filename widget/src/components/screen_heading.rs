//! A screen's heading; it takes focus when the person has navigated here, so screen readers
//! announce the new screen and the Tab order starts from its top.

use leptos::prelude::*;

use crate::focus::focus_soon;
use crate::nav::Nav;

#[component]
pub fn ScreenHeading(
    id: &'static str,
    /// Usually fixed; a payment's heading gains its contract's number once the payment loads.
    #[prop(into)]
    text: Signal<String>,
) -> impl IntoView {
    let nav = expect_context::<Nav>();
    let node = NodeRef::<leptos::html::H2>::new();
    if nav.should_focus() {
        node.on_load(focus_soon);
    }
    // Later, on request: the data «Повторить» asked for has replaced the focused spinner, and
    // the top of the screen is where reading it starts.
    Effect::watch(
        move || nav.track_focus_heading(),
        move |_, _, _| {
            if let Some(el) = node.get_untracked() {
                focus_soon(el);
            }
        },
        false,
    );
    view! { <h2 class="kb-title" id=id tabindex="-1" node_ref=node>{move || text.get()}</h2> }
}
