//! What happened on a loan, newest first: issue, interest and penalty charged, payments and
//! how each was split between principal, interest and penalty. The sum comes right after the
//! date, so a phone shows both before any scrolling.

use kabinet_api::cabinet::LoanOperation;
use leptos::prelude::*;

use crate::components::scroll_table::ScrollTable;
use crate::i18n::{day, sum, t, T};
use crate::WidgetConfig;

const TITLE_ID: &str = "kb-loan-ops-title";

/// Blank instead of a zero, so the columns show where money actually moved.
fn part(k: i64) -> String {
    if k == 0 {
        String::new()
    } else {
        sum(k)
    }
}

#[component]
pub fn LoanOperations(operations: Vec<LoanOperation>) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    let empty = operations.is_empty();
    let body = operations
        .iter()
        .rev()
        .map(|o| {
            view! {
                <tr class:kb-row-credit=!o.kind.is_debit()>
                    <th scope="row" class="kb-nowrap kb-plain">{day(&o.date)}</th>
                    <td class="kb-num kb-strong">{sum(o.amount)}</td>
                    <td><span class="kb-what">{o.description.clone()}</span></td>
                    <td class="kb-num">{part(o.principal)}</td>
                    <td class="kb-num">{part(o.interest)}</td>
                    <td class="kb-num">{part(o.penalty)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="kb-card" aria-labelledby=TITLE_ID>
            <h3 class="kb-subtitle" id=TITLE_ID>{t(lang, T::OperationsTitle)}</h3>
            {if empty {
                view! { <p class="kb-hint">{t(lang, T::NoOperations)}</p> }.into_any()
            } else {
                view! {
                    <ScrollTable labelled_by=TITLE_ID>
                        <table class="kb-table" aria-labelledby=TITLE_ID>
                            <thead>
                                <tr>
                                    <th scope="col">{t(lang, T::ColDate)}</th>
                                    <th scope="col" class="kb-num">{t(lang, T::ColAmount)}</th>
                                    <th scope="col">{t(lang, T::ColOperation)}</th>
                                    <th scope="col" class="kb-num">{t(lang, T::ColPrincipal)}</th>
                                    <th scope="col" class="kb-num">{t(lang, T::ColInterest)}</th>
                                    <th scope="col" class="kb-num">{t(lang, T::ColPenalty)}</th>
                                </tr>
                            </thead>
                            <tbody>{body}</tbody>
                        </table>
                    </ScrollTable>
                }.into_any()
            }}
        </section>
    }
}
