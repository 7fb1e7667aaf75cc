//! A loan's payment schedule: each installment's date and parts, the principal left after it,
//! and whether it is paid, partly paid, overdue or still ahead; totals at the foot. The sum to
//! pay and the status come right after the date, so a phone shows them before any scrolling.

use kabinet_api::cabinet::{Installment, InstallmentStatus};
use leptos::prelude::*;

use crate::components::scroll_table::ScrollTable;
use crate::i18n::{day, fill, sum, t, Lang, T};
use crate::WidgetConfig;

const TITLE_ID: &str = "kb-schedule-title";

fn status_text(lang: Lang, i: &Installment) -> String {
    match i.status {
        InstallmentStatus::Paid => match &i.paid_on {
            Some(d) => fill(lang, T::InstPaidOn, &[("date", &day(d))]),
            None => t(lang, T::InstPaid).to_owned(),
        },
        InstallmentStatus::PartiallyPaid => fill(lang, T::InstPartial, &[("sum", &sum(i.paid_principal + i.paid_interest))]),
        InstallmentStatus::Overdue => t(lang, T::InstOverdue).to_owned(),
        InstallmentStatus::Planned => t(lang, T::InstPlanned).to_owned(),
    }
}

#[component]
pub fn LoanSchedule(
    rows: Vec<Installment>,
    /// Another heading and id, for a schedule that is not the contract's own (an application's
    /// preview); such a schedule sits inside its card rather than being one.
    #[prop(optional)]
    title: Option<(T, &'static str)>,
) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    let nested = title.is_some();
    let (title, title_id) = title.unwrap_or((T::ScheduleTitle, TITLE_ID));
    // The first installment still ahead is the one the person is looking for (overdue ones are
    // marked on their own).
    let next = rows
        .iter()
        .find(|i| matches!(i.status, InstallmentStatus::Planned | InstallmentStatus::PartiallyPaid))
        .map(|i| i.n);
    let (principal, interest, total) =
        rows.iter().fold((0, 0, 0), |(p, i, s), r| (p + r.principal, i + r.interest, s + r.total));
    let body = rows
        .iter()
        .map(|i| {
            let class = match i.status {
                InstallmentStatus::Paid => "kb-row-done",
                InstallmentStatus::Overdue => "kb-row-alert",
                InstallmentStatus::PartiallyPaid | InstallmentStatus::Planned => "",
            };
            view! {
                <tr class=class class:kb-row-next=Some(i.n) == next>
                    <th scope="row" class="kb-num">{i.n}</th>
                    <td class="kb-nowrap">{day(&i.date)}</td>
                    <td class="kb-num kb-strong">{sum(i.total)}</td>
                    <td><span class="kb-status">{status_text(lang, i)}</span></td>
                    <td class="kb-num">{sum(i.principal)}</td>
                    <td class="kb-num">{sum(i.interest)}</td>
                    <td class="kb-num">{sum(i.balance_after)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class=if nested { "kb-nested-table" } else { "kb-card" } aria-labelledby=title_id>
            <h3 class="kb-subtitle" id=title_id>{t(lang, title)}</h3>
            <ScrollTable labelled_by=title_id>
                <table class="kb-table" aria-labelledby=title_id>
                    <thead>
                        <tr>
                            <th scope="col" class="kb-num">{t(lang, T::ColN)}</th>
                            <th scope="col">{t(lang, T::ColDate)}</th>
                            <th scope="col" class="kb-num">{t(lang, T::ColPayment)}</th>
                            <th scope="col">{t(lang, T::ColStatus)}</th>
                            <th scope="col" class="kb-num">{t(lang, T::ColPrincipal)}</th>
                            <th scope="col" class="kb-num">{t(lang, T::ColInterest)}</th>
                            <th scope="col" class="kb-num">{t(lang, T::ColBalanceAfter)}</th>
                        </tr>
                    </thead>
                    <tbody>{body}</tbody>
                    <tfoot>
                        <tr>
                            <th scope="row" colspan="2">{t(lang, T::Total)}</th>
                            <td class="kb-num">{sum(total)}</td>
                            <td></td>
                            <td class="kb-num">{sum(principal)}</td>
                            <td class="kb-num">{sum(interest)}</td>
                            <td></td>
                        </tr>
                    </tfoot>
                </table>
            </ScrollTable>
        </section>
    }
}
