//! The frame around every screen: the organisation's name, the current screen, the legal line.

use kabinet_api::auth::SessionInfo;
use kabinet_api::OrgInfo;
use leptos::prelude::*;

use crate::components::{contacts::Contacts, org_footer::OrgFooter};
use crate::nav::{Nav, Screen};
use crate::screens::{
    applications::ApplicationsScreen, contributions::Contributions, home::Home, loan::Loan, loans::Loans, login::Login,
    message::Message, messages::Messages, new_application::NewApplication, profile::Profile, register::Register, reset::Reset,
    saving::Saving, savings::Savings,
};

#[component]
pub fn Shell(org: OrgInfo, session: Option<SessionInfo>) -> impl IntoView {
    let name = org.name.clone();
    provide_context(org);
    let nav = Nav::new(session);
    provide_context(nav);
    view! {
        <p class="kb-org">{name}</p>
        {move || match nav.screen() {
            Screen::Login => view! { <Login/><Contacts/> }.into_any(),
            Screen::Register => view! { <Register/><Contacts/> }.into_any(),
            Screen::Reset => view! { <Reset/><Contacts/> }.into_any(),
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
        }}
        <OrgFooter/>
    }
}
