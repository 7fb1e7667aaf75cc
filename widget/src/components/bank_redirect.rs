//! «Переход на страницу банка…»: shown from the moment a payment has started until the bank's
//! page replaces this one. Should the page not change (a loader too old to pass the frame's
//! request on, a browser that refused), a link to the bank's page appears after a few seconds.
//! Should the page come back from the browser's back-forward cache exactly as it was left, the
//! payment's status is shown instead of this.

use kabinet_api::payments::PaymentContractKind;
use leptos::prelude::*;

use crate::focus::focus_soon;
use crate::i18n::{t, T};
use crate::nav::{Nav, PaymentRef, Screen};
use crate::WidgetConfig;

/// How long the page may take to change before the link is offered.
const FALLBACK_AFTER_MS: u64 = 4_000;

#[component]
pub fn BankRedirect(
    /// The bank's page (checked to be http or https before anyone is sent there).
    url: String,
    /// The payment started.
    id: String,
    /// Its contract's number.
    number: String,
) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    let nav = expect_context::<Nav>();
    let node = NodeRef::<leptos::html::Div>::new();
    // The button pressed has gone: focus goes to what replaced it.
    node.on_load(focus_soon);
    let late = RwSignal::new(false);
    set_timeout(move || { late.try_set(true); }, std::time::Duration::from_millis(FALLBACK_AFTER_MS));
    // «Назад» from the status goes to the contract the payment was for.
    let back = match nav.pay_target().map(|(kind, _)| kind) {
        Some(PaymentContractKind::Savings) => Screen::Saving,
        _ => Screen::Loan,
    };
    let restored = window_event_listener(leptos::ev::pageshow, move |e| {
        if e.persisted() {
            nav.open_payment(PaymentRef { id: id.clone(), number: Some(number.clone()), back });
        }
    });
    on_cleanup(move || restored.remove());
    view! {
        <div class="kb-redirect" role="status" aria-live="polite" tabindex="-1" node_ref=node>
            <div class="kb-loading">
                <span class="kb-spinner" aria-hidden="true"></span>
                <span>{t(lang, T::Redirecting)}</span>
            </div>
            <Show when=move || late.get()>
                <p class="kb-hint">
                    {t(lang, T::RedirectFallback)}" "
                    // The top-level page, as the bank requires; a click lets a frame open it.
                    <a class="kb-link" href=url.clone() target="_top" rel="noreferrer">{t(lang, T::GoToBank)}</a>
                </p>
            </Show>
        </div>
    }
}
