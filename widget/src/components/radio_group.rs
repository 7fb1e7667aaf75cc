//! A group of radio buttons in a fieldset whose legend names the choice; bound to a signal
//! holding the chosen option's value.

use leptos::prelude::*;

use crate::i18n::{t, T};
use crate::WidgetConfig;

#[component]
pub fn RadioGroup(
    /// Unique within the widget: the inputs' name and the prefix of their ids.
    name: &'static str,
    legend: T,
    /// `(value, label)` of each option, in order.
    options: Vec<(&'static str, T)>,
    value: RwSignal<String>,
) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    let items = options
        .into_iter()
        .map(|(v, label)| {
            let id = format!("{name}-{v}");
            view! {
                <div class="kb-check kb-radio">
                    <input type="radio" class="kb-checkbox" id=id.clone() name=name value=v
                        prop:checked=move || value.get() == v
                        on:change=move |_| value.set(v.to_owned())/>
                    <label for=id>{t(lang, label)}</label>
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
