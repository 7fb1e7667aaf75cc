//! «Займы»: the client's loan contracts (each opens its own screen) and loan applications.

use kabinet_api::cabinet::LoansView;
use leptos::prelude::*;

use crate::api;
use crate::components::{
    applications::Applications, back_button::BackButton, contract_card::ContractCard, loaded::Loaded,
    loan_figures::LoanFigures, screen_heading::ScreenHeading,
};
use crate::i18n::{day, fill, t, T};
use crate::load::Load;
use crate::nav::Screen;
use crate::WidgetConfig;

#[component]
pub fn Loans() -> impl IntoView {
    let config = expect_context::<WidgetConfig>();
    let lang = config.lang;
    let load = Load::new(move || {
        let config = config.clone();
        async move { api::loans(&config).await }
    });
    let contracts = move |v: LoansView| {
        let empty = v.contracts.is_empty();
        let cards = v
            .contracts
            .into_iter()
            .map(|c| {
                view! {
                    <li>
                        <ContractCard opens=Screen::Loan id=c.id.clone() number=c.number.clone() product=c.product.clone()
                            date=c.date.clone() status=c.status>
                            <LoanFigures loan=c.clone()/>
                        </ContractCard>
                    </li>
                }
            })
            .collect_view();
        view! {
            <section class="kb-card" aria-labelledby="kb-loan-contracts-title">
                <h3 class="kb-subtitle" id="kb-loan-contracts-title">{t(lang, T::ContractsTitle)}</h3>
                {empty.then(|| view! { <p class="kb-hint">{t(lang, T::NoLoanContracts)}</p> })}
                <ul class="kb-contracts">{cards}</ul>
            </section>
            {(!v.applications.is_empty()).then(|| view! {
                <Applications items=v.applications heading_id="kb-loan-applications-title"/>
            })}
        }
    };
    view! {
        <section class="kb-card kb-screen-head" aria-labelledby="kb-loans-title" data-kb-screen="loans">
            <BackButton to=Screen::Home/>
            <ScreenHeading id="kb-loans-title" text=t(lang, T::Loans)/>
            <Loaded load=load render=move |v: LoansView| view! {
                <p class="kb-hint kb-as-of">{fill(lang, T::AsOf, &[("date", &day(&v.as_of))])}</p>
            }/>
        </section>
        {move || load.data().map(contracts)}
    }
}
