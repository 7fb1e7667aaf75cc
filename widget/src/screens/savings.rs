//! «Сбережения»: the client's savings contracts (each opens its own screen) and applications.

use kabinet_api::cabinet::{Application, SavingsSummary, SavingsView};
use leptos::prelude::*;

use crate::api;
use crate::components::savings_figures::SavingsFigures;
use crate::i18n::T;
use crate::nav::Screen;
use crate::screens::contract_list::{CardFacts, ContractList, Listing};
use crate::WidgetConfig;

impl Listing for SavingsView {
    type Contract = SavingsSummary;

    fn as_of(&self) -> &str {
        &self.as_of
    }

    fn into_parts(self) -> (Vec<SavingsSummary>, Vec<Application>) {
        (self.contracts, self.applications)
    }

    fn card(c: &SavingsSummary) -> CardFacts {
        CardFacts {
            id: c.id.clone(),
            number: c.number.clone(),
            product: c.product.clone(),
            date: c.date.clone(),
            status: c.status,
        }
    }

    fn figures(c: SavingsSummary) -> AnyView {
        view! { <SavingsFigures saving=c/> }.into_any()
    }
}

#[component]
pub fn Savings() -> impl IntoView {
    let config = expect_context::<WidgetConfig>();
    let fetch = move || {
        let config = config.clone();
        async move { api::savings(&config).await }
    };
    view! {
        <ContractList fetch=fetch screen="savings" title=T::Savings title_id="kb-savings-title" opens=Screen::Saving
            contracts_id="kb-savings-contracts-title" empty=T::NoSavingsContracts
            applications_id="kb-savings-applications-title"/>
    }
}
