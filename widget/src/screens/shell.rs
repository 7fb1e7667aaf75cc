//! The frame around every screen: the organisation's name, the current screen, the legal line.

use kabinet_api::auth::SessionInfo;
use kabinet_api::OrgInfo;
use leptos::prelude::*;

use crate::components::{contacts::Contacts, org_footer::OrgFooter};
use crate::nav::{Nav, PaymentRef, Screen};
use crate::payment_return;
use crate::screens::{
    applications::ApplicationsScreen, contributions::Contributions, esia_return::EsiaReturn, home::Home, loan::Loan,
    loans::Loans, login::Login, message::Message, messages::Messages, new_application::NewApplication, pay::Pay,
    payment::PaymentScreen, payments::Payments, profile::Profile, register::Register, reset::Reset, saving::Saving,
    savings::Savings, signature::SignatureScreen, signatures::Signatures,
};
use crate::WidgetConfig;

#[component]
pub fn Shell(org: OrgInfo, session: Option<SessionInfo>) -> impl IntoView {
    let name = org.name.clone();
    provide_context(org);
    // Back from the bank: the payment the return address names or, without one (the browser's
    // «Назад», a bank that dropped the parameter), the one this tab started a moment ago.
    let config = expect_context::<WidgetConfig>();
    let returned = config
        .return_payment
        .map(|id| {
            let number = payment_return::remembered_number(&id);
            (id, number)
        })
        .or_else(|| payment_return::remembered().map(|(id, number)| (id, Some(number))))
        .map(|(id, number)| PaymentRef { id, number: number.filter(|n| !n.is_empty()), back: Screen::Home });
    let nav = Nav::new(session, returned, config.esia_return);
    provide_context(nav);
    view! {
        <p class="kb-org">{name}</p>
        {move || match nav.screen() {
            Screen::Login => view! { <Login/><Contacts/> }.into_any(),
            Screen::Register => view! { <Register/><Contacts/> }.into_any(),
            Screen::Reset => view! { <Reset/><Contacts/> }.into_any(),
            Screen::EsiaReturn => view! { <EsiaReturn/><Contacts/> }.into_any(),
            Screen::Home => view! { <Home/> }.into_any(),
            Screen::Profile => view! { <Profile/> }.into_any(),
            Screen::Loans => view! { <Loans/> }.into_any(),
            Screen::Loan => view! { <Loan/> }.into_any(),
            Screen::Savings => view! { <Savings/> }.into_any(),
            Screen::Saving => view! { <Saving/> }.into_any(),
            Screen::Contributions => view! { <Contributions/> }.into_any(),
            Screen::Applications => view! { <ApplicationsScreen/> }.into_any(),
            Screen::NewApplication => view! { <NewApplication/> }.into_any(),
            Screen::Messages => view! { <Messages/> }.into_any(),
            Screen::Message => view! { <Message/> }.into_any(),
            Screen::Payments => view! { <Payments/> }.into_any(),
            Screen::Pay => view! { <Pay/> }.into_any(),
            Screen::Payment => view! { <PaymentScreen/> }.into_any(),
            Screen::Signatures => view! { <Signatures/> }.into_any(),
            Screen::Signature => view! { <SignatureScreen/> }.into_any(),
        }}
        <OrgFooter/>
    }
}
