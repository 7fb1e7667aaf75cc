//! One kind of contributions: its balance (a membership balance below zero is a debt, said in
//! words and marked) and its operations.

use kabinet_api::cabinet::{ContributionAccount as Account, ContributionKind};
use leptos::prelude::*;

use crate::components::figure::Figure;
use crate::components::money_operations::{MoneyOperations, Movement};
use crate::i18n::{rub, t, T};
use crate::WidgetConfig;

#[component]
pub fn ContributionAccount(account: Account) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    let (title, note, id) = match account.kind {
        ContributionKind::Returnable => (T::Shares, T::ReturnableNote, "kb-returnable-title"),
        ContributionKind::Membership => (T::MembershipTitle, T::MembershipNote, "kb-membership-title"),
    };
    let debt = account.kind == ContributionKind::Membership && account.balance < 0;
    let balance = match (account.kind, debt) {
        (ContributionKind::Returnable, _) => view! { <Figure label=T::ReturnableBalance value=rub(account.balance)/> },
        (ContributionKind::Membership, false) => view! { <Figure label=T::MembershipBalance value=rub(account.balance)/> },
        (ContributionKind::Membership, true) => {
            view! { <Figure label=T::MembershipDebt value=rub(account.balance.saturating_neg()) alert=true/> }
        }
    };
    let rows = account
        .operations
        .into_iter()
        .map(|o| Movement { date: o.date, description: o.description, amount: o.amount })
        .collect::<Vec<_>>();
    view! {
        <section class="kb-card" aria-labelledby=id>
            <h3 class="kb-subtitle" id=id>{t(lang, title)}</h3>
            <dl class="kb-figures kb-figures-lead">{balance}</dl>
            <p class="kb-hint">{t(lang, note)}</p>
            <MoneyOperations rows=rows labelled_by=id/>
        </section>
    }
}
