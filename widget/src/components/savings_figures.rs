//! A savings contract's figures: what was put in and what is there now, the terms, what the
//! contract allows, and the interest so far. The card shows the short set, the contract
//! screen all.

use kabinet_api::cabinet::SavingsSummary;
use leptos::prelude::*;

use crate::components::figure::Figure;
use crate::i18n::{day, months, rate, rub, t, Lang, T};
use crate::WidgetConfig;

fn yes_no(lang: Lang, b: bool) -> &'static str {
    t(lang, if b { T::Yes } else { T::No })
}

#[component]
pub fn SavingsFigures(saving: SavingsSummary, #[prop(optional)] full: bool) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    let s = saving;
    view! {
        <dl class="kb-figures">
            {full.then(|| view! { <Figure label=T::ContractDate value=day(&s.date)/> })}
            <Figure label=T::InitialAmount value=rub(s.amount)/>
            <Figure label=T::SavingsBalance value=rub(s.balance)/>
            <Figure label=T::Rate value=rate(lang, s.rate_bp)/>
            <Figure label=T::Term value=months(lang, s.term_months)/>
            <Figure label=T::EndDate value=day(&s.end_date)/>
            <Figure label=T::Capitalisation value=yes_no(lang, s.capitalisation)/>
            <Figure label=T::TopUp value=yes_no(lang, s.top_up_allowed)/>
            <Figure label=T::PartialWithdrawal value=yes_no(lang, s.partial_withdrawal_allowed)/>
            {(full && s.partial_withdrawal_allowed && s.min_balance > 0).then(|| view! {
                <Figure label=T::MinBalance value=rub(s.min_balance)/>
            })}
            <Figure label=T::SavingsAccrued value=rub(s.accrued_interest)/>
            <Figure label=T::SavingsPaid value=rub(s.paid_interest)/>
            {s.closed_on.as_deref().map(|d| view! { <Figure label=T::ClosedOn value=day(d)/> })}
        </dl>
    }
}
