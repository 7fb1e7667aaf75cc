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
    /// Shown between label and input, so it stays visible above a phone's keyboard.
    #[prop(optional)]
    hint: Option<T>,
    #[prop(into)] invalid: Signal<bool>,
    /// Id of the form's alert, linked while this field is the one at fault.
    error_id: &'static str,
) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    let hint_id = format!("{id}-hint");
    let described_by = {
        let hint_id = hint_id.clone();
        move || {
            let mut ids = Vec::new();
            if hint.is_some() {
                ids.push(hint_id.as_str());
            }
            if invalid.get() {
                ids.push(error_id);
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    // Names, phones and codes are not prose: no capitalising or "correcting" them.
    let (autocapitalize, spellcheck) = if autocomplete == "name" { ("words", "false") } else { ("none", "false") };
    view! {
        <div class="kb-field">
            <label class="kb-label" for=id>{t(lang, label)}</label>
            {hint.map(|h| view! { <p class="kb-hint" id=hint_id.clone()>{t(lang, h)}</p> })}
            <input
                class="kb-input"
                id=id
                name=id
                type=kind
                autocomplete=autocomplete
                inputmode=inputmode
                maxlength=maxlength.map(|n| n.to_string())
                autocapitalize=autocapitalize
                spellcheck=spellcheck
                aria-invalid=move || invalid.get().then_some("true")
                aria-describedby=described_by
                bind:value=value
            />
        </div>
    }
}
