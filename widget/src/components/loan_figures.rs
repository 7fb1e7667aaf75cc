//! A loan's figures as of today: what was lent and on what terms, what is left, what is next,
//! and what is overdue (marked). The card shows the short set, the contract screen all.

use kabinet_api::cabinet::{ContractStatus, LoanSummary, RepaymentKind};
use leptos::prelude::*;

use crate::components::figure::Figure;
use crate::i18n::{day, fill, months, rate, rub, t, T};
use crate::WidgetConfig;

#[component]
pub fn LoanFigures(loan: LoanSummary, #[prop(optional)] full: bool) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    let closed = loan.status == ContractStatus::Closed;
    let overdue = loan.overdue_amount > 0 || loan.overdue_days > 0;
    let next = loan.next_payment.as_ref().filter(|_| !closed).map(|p| fill(lang, T::NextPaymentValue, &[("date", &day(&p.date)), ("sum", &rub(p.amount))]));
    let repayment = match loan.repayment {
        RepaymentKind::Annuity => T::Annuity,
        RepaymentKind::Differentiated => T::Differentiated,
    };
    view! {
        <dl class="kb-figures">
            {full.then(|| view! { <Figure label=T::ContractDate value=day(&loan.date)/> })}
            <Figure label=T::LoanAmount value=rub(loan.amount)/>
            <Figure label=T::Rate value=rate(lang, loan.rate_bp)/>
            <Figure label=T::Term value=months(lang, loan.term_months)/>
            {full.then(|| view! { <Figure label=T::Repayment value=t(lang, repayment)/> })}
            {(!closed).then(|| view! { <Figure label=T::PrincipalBalance value=rub(loan.principal_balance)/> })}
            {next.map(|n| view! { <Figure label=T::NextPayment value=n/> })}
            {overdue.then(|| view! {
                <Figure label=T::OverdueAmount value=rub(loan.overdue_amount) alert=true/>
                <Figure label=T::OverdueDays value=loan.overdue_days.to_string() alert=true/>
            })}
            {(loan.penalty > 0).then(|| view! { <Figure label=T::Penalty value=rub(loan.penalty) alert=true/> })}
            {(full && !closed).then(|| view! {
                <Figure label=T::AccruedInterest value=rub(loan.accrued_interest)/>
                <Figure label=T::PayoffAmount value=rub(loan.payoff_amount)/>
            })}
            {loan.closed_on.as_deref().map(|d| view! { <Figure label=T::ClosedOn value=day(d)/> })}
        </dl>
    }
}
