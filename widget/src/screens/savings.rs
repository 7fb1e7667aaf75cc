//! «Сбережения»: the client's savings contracts (each opens its own screen) and applications.

use kabinet_api::cabinet::SavingsView;
use leptos::prelude::*;

use crate::api;
use crate::components::{
    applications::Applications, back_button::BackButton, contract_card::ContractCard, loaded::Loaded,
    savings_figures::SavingsFigures, screen_heading::ScreenHeading,
};
use crate::i18n::{day, fill, t, T};
use crate::load::Load;
use crate::nav::Screen;
use crate::WidgetConfig;

#[component]
pub fn Savings() -> impl IntoView {
    let config = expect_context::<WidgetConfig>();
    let lang = config.lang;
    let load = Load::new(move || {
        let config = config.clone();
        async move { api::savings(&config).await }
    });
    let contracts = move |v: SavingsView| {
        let empty = v.contracts.is_empty();
        let cards = v
            .contracts
            .into_iter()
            .map(|c| {
                view! {
                    <li>
                        <ContractCard opens=Screen::Saving id=c.id.clone() number=c.number.clone() product=c.product.clone()
                            date=c.date.clone() status=c.status>
                            <SavingsFigures saving=c.clone()/>
                        </ContractCard>
                    </li>
                }
            })
            .collect_view();
        view! {
            <section class="kb-card" aria-labelledby="kb-savings-contracts-title">
                <h3 class="kb-subtitle" id="kb-savings-contracts-title">{t(lang, T::ContractsTitle)}</h3>
                {empty.then(|| view! { <p class="kb-hint">{t(lang, T::NoSavingsContracts)}</p> })}
                <ul class="kb-contracts">{cards}</ul>
            </section>
            {(!v.applications.is_empty()).then(|| view! {
                <Applications items=v.applications heading_id="kb-savings-applications-title"/>
            })}
        }
    };
    view! {
        <section class="kb-card kb-screen-head" aria-labelledby="kb-savings-title" data-kb-screen="savings">
            <BackButton to=Screen::Home/>
            <ScreenHeading id="kb-savings-title" text=t(lang, T::Savings)/>
            <Loaded load=load render=move |v: SavingsView| view! {
                <p class="kb-hint kb-as-of">{fill(lang, T::AsOf, &[("date", &day(&v.as_of))])}</p>
            }/>
        </section>
        {move || load.data().map(contracts)}
    }
}
