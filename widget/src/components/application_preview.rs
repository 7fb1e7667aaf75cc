//! What the ledger computed for an application before it is sent: the payment and schedule of
//! a loan, the sum to pay and the new schedule of an early repayment, the income of savings,
//! the interest lost in an early withdrawal. Its heading takes focus when it appears, so the
//! figures are read out right after «Рассчитать».

use kabinet_api::requests::ApplicationPreview;
use leptos::prelude::*;

use crate::components::{figure::Figure, loan_schedule::LoanSchedule};
use crate::focus::focus_soon;
use crate::i18n::{day, fill, rate, rub, t, T};
use crate::WidgetConfig;

const TITLE_ID: &str = "kb-preview-title";

#[component]
pub fn ApplicationPreviewView(
    preview: ApplicationPreview,
    /// Take focus: the figures have just come in answer to «Рассчитать».
    focus: bool,
) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    let heading = NodeRef::<leptos::html::H3>::new();
    if focus {
        heading.on_load(focus_soon);
    }
    let change = |before: String, after: String| fill(lang, T::Change, &[("before", &before), ("after", &after)]);
    let body = match preview {
        ApplicationPreview::Loan { installment, total_interest, schedule } => {
            // A differentiated loan's installments fall month by month: the figure is the first.
            let equal = schedule.split_last().is_none_or(|(_, rest)| rest.iter().all(|i| i.total == installment));
            let label = if equal { T::MonthlyPayment } else { T::FirstPayment };
            view! {
            <dl class="kb-figures kb-figures-lead">
                <Figure label=label value=rub(installment)/>
                <Figure label=T::TotalInterest value=rub(total_interest)/>
            </dl>
            <LoanSchedule rows=schedule title=(T::PreviewScheduleTitle, "kb-preview-schedule-title")/>
            }
            .into_any()
        }
        ApplicationPreview::EarlyRepayment {
            date,
            payoff_amount,
            amount,
            principal_repaid,
            principal_after,
            installment_before,
            installment_after,
            installments_before,
            installments_after,
            schedule,
        } => {
            let closes = principal_after == 0;
            let installment = match (installment_before, installment_after) {
                (Some(b), Some(a)) => Some(change(rub(b), rub(a))),
                (Some(b), None) => Some(change(rub(b), rub(0))),
                _ => None,
            };
            view! {
                <dl class="kb-figures kb-figures-lead">
                    <Figure label=T::RepaymentDate value=day(&date)/>
                    <Figure label=T::PayOnDate value=rub(amount)/>
                    {(amount != payoff_amount).then(|| view! { <Figure label=T::PayoffAmount value=rub(payoff_amount)/> })}
                    <Figure label=T::PrincipalRepaid value=rub(principal_repaid)/>
                    <Figure label=T::PrincipalAfter value=rub(principal_after)/>
                    {installment.map(|v| view! { <Figure label=T::InstallmentBeforeAfter value=v/> })}
                    <Figure label=T::InstallmentsLeft value=change(installments_before.to_string(), installments_after.to_string())/>
                </dl>
                {closes.then(|| view! { <p class="kb-notice">{t(lang, T::LoanWillClose)}</p> })}
                {(!schedule.is_empty()).then(|| view! {
                    <LoanSchedule rows=schedule title=(T::NewScheduleTitle, "kb-preview-schedule-title")/>
                })}
            }
            .into_any()
        }
        ApplicationPreview::Savings { income, end_date, balance_at_end } => view! {
            <dl class="kb-figures kb-figures-lead">
                <Figure label=T::SavingsIncome value=rub(income)/>
                <Figure label=T::BalanceAtEnd value=rub(balance_at_end)/>
                <Figure label=T::EndDate value=day(&end_date)/>
            </dl>
        }
        .into_any(),
        ApplicationPreview::EarlyWithdrawal { date, balance, interest_lost, payout, rate_bp, early_rate_bp } => view! {
            <dl class="kb-figures kb-figures-lead">
                <Figure label=T::WithdrawalDate value=day(&date)/>
                <Figure label=T::BalanceOnDate value=rub(balance)/>
                <Figure label=T::InterestLost value=rub(interest_lost) alert={interest_lost > 0}/>
                <Figure label=T::Payout value=rub(payout)/>
                <Figure label=T::ContractRate value=rate(lang, rate_bp)/>
                <Figure label=T::EarlyRate value=rate(lang, early_rate_bp)/>
            </dl>
        }
        .into_any(),
    };
    view! {
        <section class="kb-preview" aria-labelledby=TITLE_ID>
            <h3 class="kb-subtitle" id=TITLE_ID tabindex="-1" node_ref=heading>{t(lang, T::PreviewTitle)}</h3>
            {body}
            <p class="kb-hint">{t(lang, T::PreviewNote)}</p>
        </section>
    }
}
