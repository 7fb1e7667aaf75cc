//! «Заявления»: every application the client has made, newest first, with its status (staff
//! change it on the server, so «Обновить» fetches it again), and the four ways to apply.

use kabinet_api::requests::{ApplicationKind, ApplicationsView};
use leptos::prelude::*;

use crate::api;
use crate::components::{applications::Applications, back_button::BackButton, loaded::Loaded, screen_heading::ScreenHeading};
use crate::i18n::{t, T};
use crate::load::Load;
use crate::nav::{Nav, Screen};
use crate::WidgetConfig;

/// The buttons that start an application, in the order a client looks for them.
const START: [(T, ApplicationKind); 4] = [
    (T::StartLoan, ApplicationKind::Loan),
    (T::StartEarlyRepayment, ApplicationKind::EarlyRepayment),
    (T::StartSavings, ApplicationKind::Savings),
    (T::StartEarlyWithdrawal, ApplicationKind::EarlyWithdrawal),
];

#[component]
pub fn ApplicationsScreen() -> impl IntoView {
    let config = expect_context::<WidgetConfig>();
    let lang = config.lang;
    let nav = expect_context::<Nav>();
    let notice = nav.take_notice();
    let load = Load::new(move || {
        let config = config.clone();
        async move { api::applications(&config).await }
    });
    let start = START
        .iter()
        .map(|&(label, kind)| {
            view! { <button type="button" class="kb-button kb-button-secondary" on:click=move |_| nav.apply(kind, None)>{t(lang, label)}</button> }
        })
        .collect_view();
    view! {
        <section class="kb-card kb-screen-head" aria-labelledby="kb-applications-title" data-kb-screen="applications">
            <BackButton to=Screen::Home/>
            <ScreenHeading id="kb-applications-title" text=t(lang, T::Applications)/>
            {notice.map(|n| view! { <p class="kb-notice" role="status">{n.text(lang)}</p> })}
            <p class="kb-hint">{t(lang, T::ApplicationsIntro)}</p>
            <div class="kb-actions">
                <button type="button" class="kb-button kb-button-secondary" on:click=move |_| load.retry()>{t(lang, T::Refresh)}</button>
            </div>
        </section>
        <section class="kb-card" aria-labelledby="kb-apply-start-title">
            <h3 class="kb-subtitle" id="kb-apply-start-title">{t(lang, T::NewApplicationTitle)}</h3>
            <div class="kb-actions kb-apply-start">{start}</div>
        </section>
        <Loaded load=load render=move |v: ApplicationsView| {
            if v.applications.is_empty() {
                view! { <section class="kb-card"><p class="kb-hint">{t(lang, T::NoApplications)}</p></section> }.into_any()
            } else {
                view! { <Applications items=v.applications heading_id="kb-applications-list-title"/> }.into_any()
            }
        }/>
    }
}
