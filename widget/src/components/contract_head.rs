//! Under a contract screen's heading: the product, the status word, and the day the figures
//! are for.

use leptos::prelude::*;

use crate::i18n::{day, fill, T};
use crate::WidgetConfig;

#[component]
pub fn ContractHead(
    product: String,
    as_of: String,
    /// The status badge.
    children: Children,
) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    view! {
        <div class="kb-contract-meta">
            <span class="kb-contract-product">{product}</span>
            {children()}
        </div>
        <p class="kb-hint kb-as-of">{fill(lang, T::AsOf, &[("date", &day(&as_of))])}</p>
    }
}
