//! A screen's heading; it takes focus when the person has navigated here, so screen readers
//! announce the new screen and the Tab order starts from its top.

use leptos::prelude::*;

use crate::focus::focus_soon;
use crate::nav::Nav;

#[component]
pub fn ScreenHeading(id: &'static str, #[prop(into)] text: String) -> impl IntoView {
    let nav = expect_context::<Nav>();
    let node = NodeRef::<leptos::html::H2>::new();
    Effect::new(move |_| {
        if let Some(el) = node.get() {
            if nav.should_focus() {
                focus_soon(el);
            }
        }
    });
    view! { <h2 class="kb-title" id=id tabindex="-1" node_ref=node>{text}</h2> }
}
