//! A new application of one kind (the kind and a preselected contract come from `Nav`): its
//! heading, what the form needs loaded (products, or the open contracts), and the form.

use kabinet_api::cabinet::ContractStatus;
use kabinet_api::requests::{ApplicationKind, ProductKind, ProductsView};
use kabinet_api::cabinet::{LoansView, SavingsView};
use leptos::prelude::*;

use crate::api;
use crate::components::{
    back_button::BackButton, contract_application::ContractApplication, loaded::Loaded,
    product_application::ProductApplication, screen_heading::ScreenHeading,
};
use crate::i18n::{fill, t, T};
use crate::load::Load;
use crate::nav::Nav;
use crate::WidgetConfig;

/// The heading of the form for `kind`.
pub fn title(kind: ApplicationKind) -> T {
    match kind {
        ApplicationKind::Loan => T::FormLoanTitle,
        ApplicationKind::EarlyRepayment => T::FormEarlyRepaymentTitle,
        ApplicationKind::Savings => T::FormSavingsTitle,
        ApplicationKind::EarlyWithdrawal => T::FormEarlyWithdrawalTitle,
    }
}

/// A contract as an option of the «Договор» list: «Договор № З-2026/0142, Стандартный».
fn option(lang: crate::i18n::Lang, id: &str, number: &str, product: &str) -> (String, String) {
    (id.to_owned(), format!("{}, {product}", fill(lang, T::ContractNumber, &[("number", number)])))
}

fn open(status: ContractStatus) -> bool {
    matches!(status, ContractStatus::Active | ContractStatus::Overdue)
}

#[component]
pub fn NewApplication() -> impl IntoView {
    let config = expect_context::<WidgetConfig>();
    let lang = config.lang;
    let nav = expect_context::<Nav>();
    let (kind, back) = nav.kind();
    let preselect = nav.preselected();
    let fields = match kind {
        ApplicationKind::Loan | ApplicationKind::Savings => {
            let load = Load::new(move || {
                let config = config.clone();
                async move { api::products(&config).await }
            });
            let product_kind = if kind == ApplicationKind::Loan { ProductKind::Loan } else { ProductKind::Savings };
            view! {
                <Loaded load=load render=move |v: ProductsView| {
                    let products = if product_kind == ProductKind::Loan { v.loan } else { v.savings };
                    view! { <ProductApplication kind=product_kind products=products/> }
                }/>
            }
            .into_any()
        }
        ApplicationKind::EarlyRepayment => {
            let load = Load::new(move || {
                let config = config.clone();
                async move { api::loans(&config).await }
            });
            view! {
                <Loaded load=load render=move |v: LoansView| {
                    let contracts = v.contracts.iter().filter(|c| open(c.status))
                        .map(|c| option(lang, &c.id, &c.number, &c.product)).collect::<Vec<_>>();
                    view! { <ContractApplication kind=kind contracts=contracts today=v.as_of preselect=preselect.clone().unwrap_or_default()/> }
                }/>
            }
            .into_any()
        }
        ApplicationKind::EarlyWithdrawal => {
            let load = Load::new(move || {
                let config = config.clone();
                async move { api::savings(&config).await }
            });
            view! {
                <Loaded load=load render=move |v: SavingsView| {
                    let contracts = v.contracts.iter().filter(|c| open(c.status))
                        .map(|c| option(lang, &c.id, &c.number, &c.product)).collect::<Vec<_>>();
                    view! { <ContractApplication kind=kind contracts=contracts today=v.as_of preselect=preselect.clone().unwrap_or_default()/> }
                }/>
            }
            .into_any()
        }
    };
    view! {
        <section class="kb-card kb-screen-head kb-new-application" aria-labelledby="kb-apply-title" data-kb-screen="new-application"
            data-kb-kind=kind.as_str()>
            <BackButton to=back/>
            <ScreenHeading id="kb-apply-title" text=t(lang, title(kind))/>
            <p class="kb-hint">{t(lang, T::FormIntro)}</p>
            {fields}
        </section>
    }
}
