//! A labelled password input with a button that shows or hides what was typed.

use leptos::prelude::*;

use super::text_field::described_by;

use crate::i18n::{t, T};
use crate::WidgetConfig;

#[component]
pub fn PasswordField(
    id: &'static str,
    label: T,
    value: RwSignal<String>,
    /// `current-password` or `new-password`, so password managers offer the right thing.
    autocomplete: &'static str,
    #[prop(optional)] hint: Option<T>,
    #[prop(into)] invalid: Signal<bool>,
    error_id: &'static str,
) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    // Typing a password blind on a phone is where older people most often fail: let them look.
    let shown = RwSignal::new(false);
    let hint_id = format!("{id}-hint");
    let described_by = described_by(hint.is_some().then(|| hint_id.clone()), invalid, error_id);
    view! {
        <div class="kb-field">
            <label class="kb-label" for=id>{t(lang, label)}</label>
            {hint.map(|h| view! { <p class="kb-hint" id=hint_id.clone()>{t(lang, h)}</p> })}
            <input
                class="kb-input"
                id=id
                name=id
                type=move || if shown.get() { "text" } else { "password" }
                autocomplete=autocomplete
                autocapitalize="none"
                spellcheck="false"
                aria-invalid=move || invalid.get().then_some("true")
                aria-describedby=described_by
                bind:value=value
            />
            <button type="button" class="kb-toggle" aria-controls=id on:click=move |_| shown.update(|s| *s = !*s)>
                {move || t(lang, if shown.get() { T::HidePassword } else { T::ShowPassword })}
            </button>
        </div>
    }
}
