//! «Назад» at the top of an information screen: back to the list (or home) it was opened from.

use leptos::prelude::*;

use crate::i18n::{t, T};
use crate::nav::{Nav, Screen};
use crate::WidgetConfig;

#[component]
pub fn BackButton(to: Screen) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    let nav = expect_context::<Nav>();
    view! {
        // The arrow is drawing, not words: the button's name stays exactly «Назад».
        <button type="button" class="kb-back" on:click=move |_| nav.go(to)>
            <span class="kb-back-arrow" aria-hidden="true">"‹"</span>
            {t(lang, T::Back)}
        </button>
    }
}
