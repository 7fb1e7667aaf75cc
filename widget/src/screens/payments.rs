//! «Платежи»: the client's card payments, newest first, each with its status (the bank
//! confirms on its own time, so «Обновить» fetches them again) and the receipt of a paid one.

use kabinet_api::payments::PaymentsView;
use leptos::prelude::*;

use crate::api;
use crate::components::{back_button::BackButton, loaded::Loaded, payment_item::PaymentItem, screen_heading::ScreenHeading};
use crate::i18n::{t, T};
use crate::load::Load;
use crate::nav::Screen;
use crate::WidgetConfig;

#[component]
pub fn Payments() -> impl IntoView {
    let config = expect_context::<WidgetConfig>();
    let lang = config.lang;
    let load = Load::new(move || {
        let config = config.clone();
        async move { api::payments(&config).await }
    });
    view! {
        <section class="kb-card kb-screen-head" aria-labelledby="kb-payments-title" data-kb-screen="payments">
            <BackButton to=Screen::Home/>
            <ScreenHeading id="kb-payments-title" text=t(lang, T::Payments)/>
            <p class="kb-hint">{t(lang, T::PaymentsIntro)}</p>
            <div class="kb-actions">
                <button type="button" class="kb-button kb-button-secondary" on:click=move |_| load.retry()>{t(lang, T::Refresh)}</button>
            </div>
        </section>
        <section class="kb-card" aria-labelledby="kb-payments-list-title">
            <h3 class="kb-subtitle" id="kb-payments-list-title">{t(lang, T::PaymentsListTitle)}</h3>
            <Loaded load=load render=move |v: PaymentsView| {
                if v.payments.is_empty() {
                    view! { <p class="kb-hint">{t(lang, T::NoPayments)}</p> }.into_any()
                } else {
                    let rows = v.payments.into_iter().enumerate()
                        .map(|(i, p)| view! { <PaymentItem payment=p index=i/> })
                        .collect_view();
                    view! { <ul class="kb-items kb-payments">{rows}</ul> }.into_any()
                }
            }/>
        </section>
    }
}
