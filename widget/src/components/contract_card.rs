//! A contract in a list: its number as the button that opens it (the whole card is the
//! button's target, a large one for a finger), its status, product and date, and its figures.

use kabinet_api::cabinet::ContractStatus;
use leptos::prelude::*;

use crate::components::contract_status::ContractStatusBadge;
use crate::i18n::{day, fill, split, t, T};
use crate::nav::{Contract, Nav, Screen};
use crate::WidgetConfig;

#[component]
pub fn ContractCard(
    /// The detail screen it opens (`Screen::Loan` or `Screen::Saving`).
    opens: Screen,
    id: String,
    number: String,
    product: String,
    /// Day the contract was signed.
    date: String,
    status: ContractStatus,
    /// The figures (a `LoanFigures` or `SavingsFigures`).
    children: Children,
) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    let nav = expect_context::<Nav>();
    let name = fill(lang, T::ContractNumber, &[("number", &number)]);
    // On screen «№ З-2026/0142» is kept on one line (a number broken after its «З-» is hard to
    // recognise); the accessible name is the plain sentence, «Договор № З-2026/0142».
    let (before, after) = split(lang, T::ContractNumber, "number");
    let (lead, sign) = before.trim_end().rsplit_once(' ').unwrap_or(("", before.trim_end()));
    let lead = if lead.is_empty() { String::new() } else { format!("{lead} ") };
    let shown = view! { {lead}<span class="kb-nowrap">{format!("{sign} {number}")}</span>{after} };
    let contract = Contract { id, number };
    let open = move |_| nav.open(opens, contract.clone());
    view! {
        <article class="kb-contract" class:kb-contract-overdue=status == ContractStatus::Overdue
            class:kb-contract-closed=status == ContractStatus::Closed>
            <div class="kb-item-head">
                <h4 class="kb-contract-title">
                    // The only control on the card, so its name («Договор № З-2026/0142») finds
                    // exactly this contract.
                    <button type="button" class="kb-contract-open" aria-label=name on:click=open>{shown}</button>
                </h4>
                <ContractStatusBadge status=status/>
            </div>
            <p class="kb-contract-sub">{product}" · "{fill(lang, T::ContractOf, &[("date", &day(&date))])}</p>
            {children()}
            <p class="kb-contract-more" aria-hidden="true">{t(lang, T::More)}" ›"</p>
        </article>
    }
}
