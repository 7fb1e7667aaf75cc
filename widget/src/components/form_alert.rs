//! A form's error (role="alert", focused when it appears) with the rate-limit countdown, and
//! its quiet success line (role="status").

use leptos::prelude::*;

use crate::focus::focus_soon;
use crate::form::FormState;
use crate::i18n::{fill, mmss, t, T};
use crate::WidgetConfig;

#[component]
pub fn FormAlert(form: FormState, #[prop(into)] id: String) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    let node = NodeRef::<leptos::html::P>::new();
    // Every new problem takes focus, so a screen reader reads it and a keyboard user starts
    // from it; the same sentence twice in a row is moved to again.
    Effect::new(move |_| {
        let has = form.problem.with(|p| p.is_some());
        if let (true, Some(el)) = (has, node.get()) {
            focus_soon(el);
        }
    });
    view! {
        <Show when=move || form.problem.with(|p| p.is_some())>
            <div class="kb-alert">
                <p class="kb-alert-text" role="alert" id=id.clone() tabindex="-1" node_ref=node>
                    {move || form.problem.get().map(|p| p.text(lang))}
                </p>
                // Outside the alert: a live region re-reading the time every second would drown
                // everything else out.
                <Show when=move || form.wait.running()>
                    <p class="kb-wait">{move || fill(lang, T::RetryIn, &[("time", &mmss(form.wait.left()))])}</p>
                </Show>
            </div>
        </Show>
        <p class="kb-done" role="status">{move || form.done.get().map(|k| t(lang, k))}</p>
    }
}
