//! «Отправить код ещё раз»: disabled, with a visible countdown, until the server allows it.

use leptos::prelude::*;

use crate::i18n::{fill, mmss, t, T};
use crate::resend::Resend;
use crate::WidgetConfig;

#[component]
pub fn ResendButton(
    label: T,
    state: Resend,
    /// Id of the countdown line, which describes the button while it waits.
    hint_id: &'static str,
    on_press: impl Fn() + 'static,
) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    let (countdown, busy) = (state.wait, state.busy);
    view! {
        <div class="kb-resend">
            <button
                type="button"
                class="kb-button kb-button-secondary"
                disabled=move || countdown.running() || busy.get()
                aria-busy=move || busy.get().then_some("true")
                aria-describedby=move || countdown.running().then_some(hint_id)
                on:click=move |_| on_press()
            >
                {move || t(lang, if busy.get() { T::Sending } else { label })}
            </button>
            <Show when=move || countdown.running()>
                <p class="kb-hint kb-countdown" id=hint_id>{move || fill(lang, T::ResendIn, &[("time", &mmss(countdown.left()))])}</p>
            </Show>
        </div>
    }
}
