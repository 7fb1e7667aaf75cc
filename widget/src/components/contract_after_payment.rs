//! A contract's figures once a card payment is in accounting: for a loan the principal left and
//! the next installment (and anything still overdue), for savings the balance, loaded afresh
//! from the shim, with the way back to the contract.

use kabinet_api::cabinet::ContractStatus;
use kabinet_api::payments::PaymentContractKind;
use leptos::prelude::*;

use crate::api;
use crate::components::{figure::Figure, loaded::Loaded, contract_status::ContractStatusBadge};
use crate::i18n::{day, fill, rub, t, T};
use crate::load::Load;
use crate::nav::{Contract, Nav, Screen};
use crate::WidgetConfig;

/// The figures that changed, whichever kind the contract is.
#[derive(Clone)]
enum After {
    Loan(kabinet_api::cabinet::LoanSummary),
    Savings(kabinet_api::cabinet::SavingsSummary),
}

#[component]
pub fn ContractAfterPayment(kind: PaymentContractKind, contract: Contract) -> impl IntoView {
    let config = expect_context::<WidgetConfig>();
    let lang = config.lang;
    let nav = expect_context::<Nav>();
    let id = contract.id.clone();
    let load = Load::new(move || {
        let (config, id) = (config.clone(), id.clone());
        async move {
            match kind {
                PaymentContractKind::Loan => api::loan(&config, &id).await.map(|d| After::Loan(d.summary)),
                PaymentContractKind::Savings => api::saving(&config, &id).await.map(|d| After::Savings(d.summary)),
            }
        }
    });
    let screen = if kind == PaymentContractKind::Loan { Screen::Loan } else { Screen::Saving };
    let open = move |_| nav.open(screen, contract.clone());
    view! {
        <section class="kb-after-payment" aria-labelledby="kb-after-payment-title">
            <h3 class="kb-subtitle" id="kb-after-payment-title">{t(lang, T::ContractAfterPayment)}</h3>
            <Loaded load=load render=move |a: After| match a {
                After::Loan(s) => {
                    let open = s.status != ContractStatus::Closed;
                    let next = s.next_payment.as_ref().filter(|_| open)
                        .map(|p| fill(lang, T::NextPaymentValue, &[("date", &day(&p.date)), ("sum", &rub(p.amount))]));
                    view! {
                        <div class="kb-contract-meta"><ContractStatusBadge status=s.status/></div>
                        <dl class="kb-figures">
                            <Figure label=T::PrincipalBalance value=rub(s.principal_balance)/>
                            {next.map(|n| view! { <Figure label=T::NextPayment value=n/> })}
                            {(s.overdue_amount > 0).then(|| view! { <Figure label=T::OverdueAmount value=rub(s.overdue_amount) alert=true/> })}
                            {(s.penalty > 0).then(|| view! { <Figure label=T::Penalty value=rub(s.penalty) alert=true/> })}
                        </dl>
                    }
                    .into_any()
                }
                After::Savings(s) => view! {
                    <dl class="kb-figures">
                        <Figure label=T::SavingsBalance value=rub(s.balance)/>
                    </dl>
                }
                .into_any(),
            }/>
            <div class="kb-actions">
                <button type="button" class="kb-button kb-button-secondary" on:click=open>{t(lang, T::ToContract)}</button>
            </div>
        </section>
    }
}
