//! A labelled drop-down list bound to a signal holding the chosen option's value.

use leptos::prelude::*;

use crate::components::text_field::described_by;
use crate::i18n::{t, T};
use crate::WidgetConfig;

#[component]
pub fn SelectField(
    /// Unique within the widget; the label points at it.
    id: &'static str,
    label: T,
    /// `(value, text)` of each option, in order.
    options: Vec<(String, String)>,
    value: RwSignal<String>,
    #[prop(into)] invalid: Signal<bool>,
    /// Id of the form's alert, linked while this field is the one at fault.
    error_id: &'static str,
) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    let described_by = described_by(None, invalid, error_id);
    let options = options
        .into_iter()
        .map(|(v, text)| {
            let selected = v == value.get_untracked();
            view! { <option value=v selected=selected>{text}</option> }
        })
        .collect_view();
    view! {
        <div class="kb-field">
            <label class="kb-label" for=id>{t(lang, label)}</label>
            <select class="kb-input kb-select kb-select-wide" id=id name=id
                aria-invalid=move || invalid.get().then_some("true")
                aria-describedby=described_by
                prop:value=move || value.get()
                on:change=move |ev| value.set(event_target_value(&ev))>
                {options}
            </select>
        </div>
    }
}
