//! One savings contract: its figures, a top-up by card, the interest schedule, the operations, and its documents
//! (interest schedule, reconciliation act for a period, interest income in a year).

use kabinet_api::cabinet::SavingsDetail;
use kabinet_api::cabinet::ContractStatus;
use kabinet_api::payments::PaymentContractKind;
use kabinet_api::requests::ApplicationKind;
use leptos::prelude::*;

use crate::api;
use crate::components::{
    back_button::BackButton,
    contract_head::ContractHead,
    contract_status::ContractStatusBadge,
    interest_schedule::InterestSchedule,
    loaded::Loaded,
    money_operations::{MoneyOperations, Movement},
    saving_documents::SavingDocuments,
    savings_figures::SavingsFigures,
    screen_heading::ScreenHeading,
};
use crate::i18n::{fill, t, T};
use crate::load::Load;
use crate::nav::{Nav, Screen};
use crate::WidgetConfig;

#[component]
pub fn Saving() -> impl IntoView {
    let config = expect_context::<WidgetConfig>();
    let lang = config.lang;
    let nav = expect_context::<Nav>();
    let Some(contract) = nav.contract() else {
        // Nothing chosen (cannot normally happen): the list is where one is chosen.
        nav.go(Screen::Savings);
        return ().into_any();
    };
    let id = contract.id.clone();
    let load = Load::new(move || {
        let (config, id) = (config.clone(), id.clone());
        async move { api::saving(&config, &id).await }
    });
    let title = fill(lang, T::SavingTitle, &[("number", &contract.number)]);
    view! {
        <section class="kb-card kb-screen-head" aria-labelledby="kb-saving-title" data-kb-screen="saving">
            <BackButton to=Screen::Savings/>
            <ScreenHeading id="kb-saving-title" text=title/>
            <Loaded load=load render=move |d: SavingsDetail| view! {
                <ContractHead product=d.summary.product.clone() as_of=d.as_of.clone()>
                    <ContractStatusBadge status=d.summary.status/>
                </ContractHead>
                {matches!(d.summary.status, ContractStatus::Active | ContractStatus::Overdue).then(|| {
                    let (top_up, apply) = (contract.clone(), contract.clone());
                    // Only where the product takes top-ups: a button that can only be refused is none.
                    let can_top_up = d.summary.top_up_allowed;
                    view! {
                        <div class="kb-actions">
                            {can_top_up.then(|| view! {
                                <button type="button" class="kb-button"
                                    on:click=move |_| nav.pay(PaymentContractKind::Savings, top_up.clone())>
                                    {t(lang, T::TopUpButton)}
                                </button>
                            })}
                            <button type="button" class="kb-button kb-button-secondary"
                                on:click=move |_| nav.apply(ApplicationKind::EarlyWithdrawal, Some(apply.clone()))>
                                {t(lang, T::StartEarlyWithdrawal)}
                            </button>
                        </div>
                    }
                })}
                <SavingsFigures saving=d.summary full=true/>
            }/>
        </section>
        {move || load.data().map(|d| {
            let rows = d.operations.iter()
                .map(|o| Movement { date: o.date.clone(), description: o.description.clone(), amount: o.amount })
                .collect::<Vec<_>>();
            view! {
                <InterestSchedule rows=d.schedule.clone()/>
                <section class="kb-card" aria-labelledby="kb-saving-ops-title">
                    <h3 class="kb-subtitle" id="kb-saving-ops-title">{t(lang, T::OperationsTitle)}</h3>
                    <MoneyOperations rows=rows labelled_by="kb-saving-ops-title"/>
                </section>
                <SavingDocuments detail=d/>
            }
        })}
    }
    .into_any()
}
