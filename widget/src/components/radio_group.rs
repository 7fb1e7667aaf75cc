//! A group of radio buttons in a fieldset whose legend names the choice; bound to a signal
//! holding the chosen option's value. An option may carry a line of detail under its label
//! (a payment's due date), read out with it.

use leptos::prelude::*;

use crate::i18n::{t, T};
use crate::WidgetConfig;

#[component]
pub fn RadioGroup(
    /// Unique within the widget: the inputs' name and the prefix of their ids.
    name: &'static str,
    legend: T,
    /// `(value, label)` of each option, in order.
    options: Vec<(&'static str, String)>,
    /// `(value, text)`: a line under that option's label.
    #[prop(optional)]
    hints: Vec<(&'static str, String)>,
    value: RwSignal<String>,
) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    let items = options
        .into_iter()
        .map(|(v, label)| {
            let id = format!("{name}-{v}");
            let hint_id = format!("{id}-hint");
            let hint = hints.iter().find(|(h, _)| *h == v).map(|(_, text)| text.clone());
            let described = hint.is_some().then(|| hint_id.clone());
            view! {
                <div class="kb-check kb-radio">
                    <input type="radio" class="kb-checkbox" id=id.clone() name=name value=v aria-describedby=described
                        prop:checked=move || value.get() == v
                        on:change=move |_| value.set(v.to_owned())/>
                    <div class="kb-radio-text">
                        <label for=id>{label}</label>
                        {hint.map(|h| view! { <p class="kb-hint kb-radio-hint" id=hint_id>{h}</p> })}
                    </div>
                </div>
            }
        })
        .collect_view();
    view! {
        <fieldset class="kb-fieldset">
            <legend class="kb-label">{t(lang, legend)}</legend>
            {items}
        </fieldset>
    }
}
