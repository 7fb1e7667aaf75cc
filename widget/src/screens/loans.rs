//! «Займы»: the client's loan contracts (each opens its own screen) and loan applications.

use kabinet_api::cabinet::{Application, LoanSummary, LoansView};
use leptos::prelude::*;

use crate::api;
use crate::components::loan_figures::LoanFigures;
use crate::i18n::T;
use crate::nav::Screen;
use crate::screens::contract_list::{CardFacts, ContractList, Listing};
use crate::WidgetConfig;

impl Listing for LoansView {
    type Contract = LoanSummary;

    fn as_of(&self) -> &str {
        &self.as_of
    }

    fn into_parts(self) -> (Vec<LoanSummary>, Vec<Application>) {
        (self.contracts, self.applications)
    }

    fn card(c: &LoanSummary) -> CardFacts {
        CardFacts {
            id: c.id.clone(),
            number: c.number.clone(),
            product: c.product.clone(),
            date: c.date.clone(),
            status: c.status,
        }
    }

    fn figures(c: LoanSummary) -> AnyView {
        view! { <LoanFigures loan=c/> }.into_any()
    }
}

#[component]
pub fn Loans() -> impl IntoView {
    let config = expect_context::<WidgetConfig>();
    let fetch = move || {
        let config = config.clone();
        async move { api::loans(&config).await }
    };
    view! {
        <ContractList fetch=fetch screen="loans" title=T::Loans title_id="kb-loans-title" opens=Screen::Loan
            contracts_id="kb-loan-contracts-title" empty=T::NoLoanContracts
            applications_id="kb-loan-applications-title"/>
    }
}
