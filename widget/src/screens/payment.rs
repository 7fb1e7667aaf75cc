//! One card payment's status (which one comes from `Nav`): opened from «Платежи», or as the
//! first screen when the client comes back from the bank. It follows the status as the shim
//! knows it until the payment is final and in accounting; the return address proves nothing.

use leptos::prelude::*;

use crate::components::{back_button::BackButton, load_error::LoadError, loading::Loading, payment_details::PaymentDetails, screen_heading::ScreenHeading};
use crate::i18n::{fill, t, T};
use crate::nav::{Nav, Screen};
use crate::payment_return;
use crate::payment_watch::Watch;
use crate::WidgetConfig;

#[component]
pub fn PaymentScreen() -> impl IntoView {
    let config = expect_context::<WidgetConfig>();
    let lang = config.lang;
    let nav = expect_context::<Nav>();
    let Some(target) = nav.payment() else {
        // Nothing chosen (cannot normally happen): the list is where one is chosen.
        nav.go(Screen::Payments);
        return ().into_any();
    };
    // The tab's note of this payment has done its job: a reload later does not open it again.
    payment_return::forget(&target.id);
    let watch = Watch::new();
    watch.start(config.clone(), nav, target.id.clone());
    // A local handle, so «Повторить» (which must be `Send`) can restart with the configuration.
    let config = StoredValue::new_local(config);
    let id = target.id.clone();
    let retry = move || watch.start(config.get_value(), nav, id.clone());

    // The contract's number is in the heading as soon as it is known: at once when the list or
    // the tab said it, else when the payment has loaded.
    let known = target.number.clone();
    let heading = Signal::derive(move || {
        let number = watch.payment.with(|p| p.as_ref().map(|p| p.contract_number.clone())).or_else(|| known.clone());
        match number {
            Some(n) => fill(lang, T::PaymentTitle, &[("number", &n)]),
            None => t(lang, T::PaymentTitleUnknown).to_owned(),
        }
    });
    let loaded = Memo::new(move |_| watch.payment.with(Option::is_some));
    view! {
        <section class="kb-card kb-screen-head kb-payment-screen" aria-labelledby="kb-payment-title" data-kb-screen="payment">
            <BackButton to=target.back/>
            <ScreenHeading id="kb-payment-title" text=heading/>
            {move || {
                if loaded.get() {
                    return view! { <PaymentDetails watch=watch/> }.into_any();
                }
                match watch.failure.get() {
                    Some(failure) => {
                        let retry = retry.clone();
                        view! { <LoadError failure=failure on_retry=retry title=T::SectionLoadFailed focus=false/> }.into_any()
                    }
                    None => view! {
                        <Loading/>
                        <p class="kb-hint kb-poll-offline" hidden=move || !watch.offline.get()>{t(lang, T::PollOffline)}</p>
                    }
                    .into_any(),
                }
            }}
        </section>
    }
    .into_any()
}
