//! A savings contract's interest month by month: the figures already accrued, and the
//! projection for the months ahead (marked as such, since it changes with the balance).

use kabinet_api::cabinet::InterestPeriod;
use leptos::prelude::*;

use crate::components::scroll_table::ScrollTable;
use crate::i18n::{day, sum, t, T};
use crate::WidgetConfig;

const TITLE_ID: &str = "kb-interest-title";

#[component]
pub fn InterestSchedule(rows: Vec<InterestPeriod>) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    let body = rows
        .iter()
        .map(|p| {
            view! {
                <tr class:kb-row-projected=!p.done>
                    <th scope="row" class="kb-num">{p.n}</th>
                    <td class="kb-nowrap">{day(&p.date)}</td>
                    <td class="kb-num kb-strong">{sum(p.interest)}</td>
                    <td>{t(lang, if p.done { T::PeriodDone } else { T::PeriodProjected })}</td>
                    <td class="kb-num">{sum(p.balance)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="kb-card" aria-labelledby=TITLE_ID>
            <h3 class="kb-subtitle" id=TITLE_ID>{t(lang, T::InterestScheduleTitle)}</h3>
            <ScrollTable labelled_by=TITLE_ID>
                <table class="kb-table" aria-labelledby=TITLE_ID>
                    <thead>
                        <tr>
                            <th scope="col" class="kb-num">{t(lang, T::ColN)}</th>
                            <th scope="col">{t(lang, T::ColDate)}</th>
                            <th scope="col" class="kb-num">{t(lang, T::ColInterest)}</th>
                            <th scope="col">{t(lang, T::ColStatus)}</th>
                            <th scope="col" class="kb-num">{t(lang, T::ColSavingsBalance)}</th>
                        </tr>
                    </thead>
                    <tbody>{body}</tbody>
                </table>
            </ScrollTable>
        </section>
    }
}
