//! One loan contract: its figures, paying by card, the payment schedule, the operations, and its documents
//! (schedule, reconciliation act for a period, debt certificates, interest paid in a year).

use kabinet_api::cabinet::LoanDetail;
use kabinet_api::cabinet::ContractStatus;
use kabinet_api::payments::PaymentContractKind;
use kabinet_api::requests::ApplicationKind;
use leptos::prelude::*;

use crate::api;
use crate::components::{
    back_button::BackButton, contract_head::ContractHead, contract_status::ContractStatusBadge, loaded::Loaded,
    loan_documents::LoanDocuments, loan_figures::LoanFigures, loan_operations::LoanOperations, loan_schedule::LoanSchedule,
    screen_heading::ScreenHeading,
};
use crate::i18n::{fill, t, T};
use crate::load::Load;
use crate::nav::{Nav, Screen};
use crate::WidgetConfig;

#[component]
pub fn Loan() -> impl IntoView {
    let config = expect_context::<WidgetConfig>();
    let lang = config.lang;
    let nav = expect_context::<Nav>();
    let Some(contract) = nav.contract() else {
        // Nothing chosen (cannot normally happen): the list is where one is chosen.
        nav.go(Screen::Loans);
        return ().into_any();
    };
    let id = contract.id.clone();
    let load = Load::new(move || {
        let (config, id) = (config.clone(), id.clone());
        async move { api::loan(&config, &id).await }
    });
    let title = fill(lang, T::LoanTitle, &[("number", &contract.number)]);
    view! {
        <section class="kb-card kb-screen-head" aria-labelledby="kb-loan-title" data-kb-screen="loan">
            <BackButton to=Screen::Loans/>
            <ScreenHeading id="kb-loan-title" text=title/>
            <Loaded load=load render=move |d: LoanDetail| view! {
                <ContractHead product=d.summary.product.clone() as_of=d.as_of.clone()>
                    <ContractStatusBadge status=d.summary.status/>
                </ContractHead>
                {matches!(d.summary.status, ContractStatus::Active | ContractStatus::Overdue).then(|| {
                    let (pay, apply) = (contract.clone(), contract.clone());
                    view! {
                        <div class="kb-actions">
                            <button type="button" class="kb-button"
                                on:click=move |_| nav.pay(PaymentContractKind::Loan, pay.clone())>
                                {t(lang, T::PayButton)}
                            </button>
                            <button type="button" class="kb-button kb-button-secondary"
                                on:click=move |_| nav.apply(ApplicationKind::EarlyRepayment, Some(apply.clone()))>
                                {t(lang, T::StartEarlyRepayment)}
                            </button>
                        </div>
                    }
                })}
                <LoanFigures loan=d.summary full=true/>
            }/>
        </section>
        {move || load.data().map(|d| view! {
            <LoanSchedule rows=d.schedule.clone()/>
            <LoanOperations operations=d.operations.clone()/>
            <LoanDocuments detail=d/>
        })}
    }
    .into_any()
}
