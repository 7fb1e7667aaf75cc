//! A labelled text input bound to a signal, with an optional hint and its error state.

use leptos::prelude::*;

use crate::i18n::{t, T};
use crate::WidgetConfig;

#[component]
pub fn TextField(
    /// Unique within the widget; the label points at it.
    id: &'static str,
    label: T,
    value: RwSignal<String>,
    /// `text`, `tel`, ...
    #[prop(default = "text")]
    kind: &'static str,
    autocomplete: &'static str,
    #[prop(optional)] inputmode: Option<&'static str>,
    #[prop(optional)] maxlength: Option<usize>,
    /// Bounds of a `date` field, `YYYY-MM-DD`: the browser's picker offers nothing outside.
    #[prop(optional)]
    min: Option<String>,
    #[prop(optional)]
    max: Option<String>,
    /// Shown between label and input, so it stays visible above a phone's keyboard.
    #[prop(optional)]
    hint: Option<T>,
    /// A hint that changes with other fields (a product's limits); instead of `hint`.
    #[prop(optional, into)]
    hint_text: Option<Signal<String>>,
    #[prop(into)] invalid: Signal<bool>,
    /// Id of the form's alert, linked while this field is the one at fault.
    error_id: &'static str,
) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    let hint_id = format!("{id}-hint");
    let has_hint = hint.is_some() || hint_text.is_some();
    let described_by = described_by(has_hint.then(|| hint_id.clone()), invalid, error_id);
    // Names, phones and codes are not prose: no capitalising or "correcting" them.
    let (autocapitalize, spellcheck) = if autocomplete == "name" { ("words", "false") } else { ("none", "false") };
    view! {
        <div class="kb-field">
            <label class="kb-label" for=id>{t(lang, label)}</label>
            {hint.map(|h| view! { <p class="kb-hint" id=hint_id.clone()>{t(lang, h)}</p> })}
            {hint_text.map(|h| view! { <p class="kb-hint" id=hint_id.clone()>{move || h.get()}</p> })}
            <input
                class="kb-input"
                id=id
                name=id
                type=kind
                autocomplete=autocomplete
                inputmode=inputmode
                maxlength=maxlength.map(|n| n.to_string())
                min=min
                max=max
                autocapitalize=autocapitalize
                spellcheck=spellcheck
                aria-invalid=move || invalid.get().then_some("true")
                aria-describedby=described_by
                bind:value=value
            />
        </div>
    }
}

/// `aria-describedby` of a field: its hint, if it has one, and the form's alert while the field
/// is the one at fault. Shared by every kind of input.
pub fn described_by(hint_id: Option<String>, invalid: Signal<bool>, error_id: &'static str) -> impl Fn() -> Option<String> + Clone {
    move || {
        let mut ids = Vec::new();
        if let Some(h) = &hint_id {
            ids.push(h.as_str());
        }
        if invalid.get() {
            ids.push(error_id);
        }
        (!ids.is_empty()).then(|| ids.join(" "))
    }
}
