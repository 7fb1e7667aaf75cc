//! A table that may be wider than a phone: it scrolls sideways inside its own box (the page
//! itself never does), and says so in words while it actually overflows.

use leptos::prelude::*;

use crate::i18n::{t, T};
use crate::WidgetConfig;

#[component]
pub fn ScrollTable(
    /// Id of the heading that names the table; the scroll box is named by it too.
    labelled_by: &'static str,
    children: Children,
) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    let node = NodeRef::<leptos::html::Div>::new();
    let overflows = RwSignal::new(false);
    let measure = move || {
        if let Some(el) = node.get_untracked() {
            overflows.try_set(el.scroll_width() > el.client_width() + 1);
        }
    };
    // Measured once laid out, and again whenever the width may have changed (a phone turned,
    // the frame resized).
    Effect::new(move |_| {
        if node.get().is_some() {
            request_animation_frame(measure);
        }
    });
    let resize = window_event_listener(leptos::ev::resize, move |_| measure());
    on_cleanup(move || resize.remove());
    let hint_id = format!("{labelled_by}-scroll");
    view! {
        <p class="kb-hint kb-scroll-hint" id=hint_id.clone() hidden=move || !overflows.get()>
            <span aria-hidden="true">"↔ "</span>{t(lang, T::ScrollHint)}
        </p>
        // Focusable so a keyboard can scroll it; a group named like its table, so a screen
        // reader says what the stop is.
        <div class="kb-table-scroll" node_ref=node role="group" tabindex="0" aria-labelledby=labelled_by
            aria-describedby=move || overflows.get().then(|| hint_id.clone())>
            {children()}
        </div>
    }
}
