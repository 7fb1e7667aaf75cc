//! Operations that move one balance, newest first, each with its sign (savings, contributions):
//! «+» what the person put in or earned, «−» what was paid out or charged.

use leptos::prelude::*;

use crate::components::scroll_table::ScrollTable;
use crate::i18n::{day, signed_sum, t, T};
use crate::WidgetConfig;

/// One row: date, what it was, signed amount in kopecks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Movement {
    pub date: String,
    pub description: String,
    pub amount: i64,
}

#[component]
pub fn MoneyOperations(
    /// Oldest first, as accounting gives them; shown newest first.
    rows: Vec<Movement>,
    /// Id of the heading that names the table.
    labelled_by: &'static str,
) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    if rows.is_empty() {
        return view! { <p class="kb-hint">{t(lang, T::NoOperations)}</p> }.into_any();
    }
    let body = rows
        .iter()
        .rev()
        .map(|m| {
            view! {
                <tr class:kb-row-out=m.amount < 0>
                    <th scope="row" class="kb-nowrap kb-plain">{day(&m.date)}</th>
                    <td class="kb-num kb-strong">{signed_sum(m.amount)}</td>
                    <td><span class="kb-what">{m.description.clone()}</span></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <ScrollTable labelled_by=labelled_by>
            <table class="kb-table" aria-labelledby=labelled_by>
                <thead>
                    <tr>
                        <th scope="col">{t(lang, T::ColDate)}</th>
                        <th scope="col" class="kb-num">{t(lang, T::ColAmount)}</th>
                        <th scope="col">{t(lang, T::ColOperation)}</th>
                    </tr>
                </thead>
                <tbody>{body}</tbody>
            </table>
        </ScrollTable>
    }
    .into_any()
}
