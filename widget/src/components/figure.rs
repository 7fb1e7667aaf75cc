//! One figure of a contract: what it is and its value, on one line as on a printed statement;
//! `alert` marks what is overdue, in words as well as in colour (the label says it).

use leptos::prelude::*;

use crate::i18n::{t, T};
use crate::WidgetConfig;

#[component]
pub fn Figure(label: T, #[prop(into)] value: String, #[prop(optional)] alert: bool) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    view! {
        <div class="kb-figure" class:kb-figure-alert=alert>
            <dt>{t(lang, label)}</dt>
            <dd>{value}</dd>
        </div>
    }
}
