//! A labelled multi-line text field bound to a signal, with a hint and its error state.

use leptos::prelude::*;

use crate::components::text_field::described_by;
use crate::i18n::{t, T};
use crate::WidgetConfig;

#[component]
pub fn TextArea(
    /// Unique within the widget; the label points at it.
    id: &'static str,
    label: T,
    value: RwSignal<String>,
    #[prop(optional)] maxlength: Option<usize>,
    #[prop(default = 4)] rows: u32,
    /// Shown between label and field, already worded (it may hold a number).
    #[prop(optional)]
    hint: Option<String>,
    #[prop(into)] invalid: Signal<bool>,
    /// Id of the form's alert, linked while this field is the one at fault.
    error_id: &'static str,
) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    let hint_id = format!("{id}-hint");
    let described_by = described_by(hint.is_some().then(|| hint_id.clone()), invalid, error_id);
    view! {
        <div class="kb-field">
            <label class="kb-label" for=id>{t(lang, label)}</label>
            {hint.map(|h| view! { <p class="kb-hint" id=hint_id.clone()>{h}</p> })}
            <textarea
                class="kb-input kb-textarea"
                id=id
                name=id
                rows=rows
                maxlength=maxlength.map(|n| n.to_string())
                aria-invalid=move || invalid.get().then_some("true")
                aria-describedby=described_by
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            ></textarea>
        </div>
    }
}
