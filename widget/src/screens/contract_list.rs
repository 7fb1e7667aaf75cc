//! One screen serving both «Займы» and «Сбережения»: the list's head with its «as of» day, the
//! contract cards (each opens its own screen), a hint when there are none, and the applications.
//! The two screens differ only in data, texts and element ids, so those come in as a `Listing`
//! and props; keeping one copy means a fix to one list cannot miss the other.

use std::future::Future;

use kabinet_api::cabinet::{Application, ContractStatus};
use leptos::prelude::*;

use crate::api::ApiFailure;
use crate::components::{
    applications::Applications, back_button::BackButton, contract_card::ContractCard,
    loaded::Loaded, screen_heading::ScreenHeading,
};
use crate::i18n::{day, fill, t, T};
use crate::load::Load;
use crate::nav::Screen;
use crate::WidgetConfig;

/// What a contract card shows of a contract, whichever kind it is.
pub struct CardFacts {
    pub id: String,
    pub number: String,
    pub product: String,
    /// Day the contract was signed.
    pub date: String,
    pub status: ContractStatus,
}

/// A list the shim returns (`LoansView`, `SavingsView`): what the shared screen needs of it.
pub trait Listing: Clone + Send + Sync + 'static {
    /// `Send`: a card's figures are drawn in its children, which Leptos requires to be `Send`.
    type Contract: Send + 'static;
    /// The day the figures are computed for.
    fn as_of(&self) -> &str;
    fn into_parts(self) -> (Vec<Self::Contract>, Vec<Application>);
    fn card(contract: &Self::Contract) -> CardFacts;
    /// The figures under the card's head (a `LoanFigures` or `SavingsFigures`).
    fn figures(contract: Self::Contract) -> AnyView;
}

#[component]
pub fn ContractList<V, F, Fut>(
    /// Loads the list from the shim.
    fetch: F,
    /// The screen's `data-kb-screen` name.
    screen: &'static str,
    title: T,
    title_id: &'static str,
    /// The detail screen a card opens.
    opens: Screen,
    contracts_id: &'static str,
    /// The hint shown when there are no contracts.
    empty: T,
    applications_id: &'static str,
) -> impl IntoView
where
    V: Listing,
    F: Fn() -> Fut + 'static,
    Fut: Future<Output = Result<V, ApiFailure>> + 'static,
{
    let lang = expect_context::<WidgetConfig>().lang;
    let load = Load::new(fetch);
    let contracts = move |v: V| {
        let (contracts, applications) = v.into_parts();
        let none = contracts.is_empty();
        let cards = contracts
            .into_iter()
            .map(|c| {
                let card = V::card(&c);
                view! {
                    <li>
                        <ContractCard opens=opens id=card.id number=card.number product=card.product
                            date=card.date status=card.status>
                            {V::figures(c)}
                        </ContractCard>
                    </li>
                }
            })
            .collect_view();
        view! {
            <section class="kb-card" aria-labelledby=contracts_id>
                <h3 class="kb-subtitle" id=contracts_id>{t(lang, T::ContractsTitle)}</h3>
                {none.then(|| view! { <p class="kb-hint">{t(lang, empty)}</p> })}
                <ul class="kb-contracts">{cards}</ul>
            </section>
            {(!applications.is_empty()).then(|| view! {
                <Applications items=applications heading_id=applications_id/>
            })}
        }
    };
    view! {
        <section class="kb-card kb-screen-head" aria-labelledby=title_id data-kb-screen=screen>
            <BackButton to=Screen::Home/>
            <ScreenHeading id=title_id text=t(lang, title)/>
            <Loaded load=load render=move |v: V| view! {
                <p class="kb-hint kb-as-of">{fill(lang, T::AsOf, &[("date", &day(v.as_of()))])}</p>
            }/>
        </section>
        {move || load.data().map(contracts)}
    }
}
