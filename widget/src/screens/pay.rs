//! Paying by card into one contract (which one comes from `Nav`): a loan's installment, its
//! overdue part or another amount, or a savings top-up. The contract is loaded afresh, so the
//! options show today's figures.

use kabinet_api::cabinet::{LoanSummary, SavingsSummary};
use kabinet_api::payments::PaymentContractKind;
use leptos::prelude::*;

use crate::api;
use crate::components::{
    back_button::BackButton, loaded::Loaded, loan_payment::LoanPayment, screen_heading::ScreenHeading, top_up::TopUp,
};
use crate::i18n::{fill, t, T};
use crate::load::Load;
use crate::nav::{Nav, Screen};
use crate::WidgetConfig;

/// The contract being paid into, as its detail screen loads it.
#[derive(Clone)]
enum Payee {
    Loan(LoanSummary),
    Savings(SavingsSummary),
}

#[component]
pub fn Pay() -> impl IntoView {
    let config = expect_context::<WidgetConfig>();
    let lang = config.lang;
    let nav = expect_context::<Nav>();
    let Some((kind, contract)) = nav.pay_target() else {
        // Nothing chosen (cannot normally happen): home is where a contract is found.
        nav.go(Screen::Home);
        return ().into_any();
    };
    let id = contract.id.clone();
    let load = Load::new(move || {
        let (config, id) = (config.clone(), id.clone());
        async move {
            match kind {
                PaymentContractKind::Loan => api::loan(&config, &id).await.map(|d| Payee::Loan(d.summary)),
                PaymentContractKind::Savings => api::saving(&config, &id).await.map(|d| Payee::Savings(d.summary)),
            }
        }
    });
    let (title, back, screen) = match kind {
        PaymentContractKind::Loan => (T::PayLoanTitle, Screen::Loan, "pay-loan"),
        PaymentContractKind::Savings => (T::TopUpTitle, Screen::Saving, "top-up"),
    };
    view! {
        <section class="kb-card kb-screen-head kb-pay" aria-labelledby="kb-pay-title" data-kb-screen=screen>
            <BackButton to=back/>
            <ScreenHeading id="kb-pay-title" text=fill(lang, title, &[("number", &contract.number)])/>
            <p class="kb-hint kb-pay-intro">{t(lang, T::PayIntro)}</p>
            <Loaded load=load render=move |p: Payee| match p {
                Payee::Loan(s) => view! { <LoanPayment loan=s/> }.into_any(),
                Payee::Savings(s) => view! { <TopUp saving=s/> }.into_any(),
            }/>
        </section>
    }
    .into_any()
}
