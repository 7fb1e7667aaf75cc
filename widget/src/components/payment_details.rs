//! One card payment as the shim last said it is: its status word and sentence in a polite live
//! region (so a change is read out without moving focus), the payment's facts, the receipt of
//! a paid one, the contract's new figures once the payment is in accounting, and «Попробовать
//! снова» after a refusal. Nothing here comes from the return address: only from the shim.

use kabinet_api::payments::{PaymentContractKind, PaymentStatus};
use leptos::prelude::*;

use crate::components::{
    contract_after_payment::ContractAfterPayment, document_download::DocumentDownload, figure::Figure,
    payment_item::{purpose_text, receipt}, payment_status_badge::PaymentStatusBadge,
};
use crate::i18n::{rub, t, T};
use crate::nav::{Contract, Nav, Screen};
use crate::payment_watch::Watch;
use crate::time::local_time;
use crate::WidgetConfig;

/// The sentence under the status word.
fn sentence(status: PaymentStatus) -> T {
    match status {
        PaymentStatus::Pending => T::PayPendingText,
        PaymentStatus::Paid => T::PayPaidText,
        PaymentStatus::Declined => T::PayDeclinedText,
        PaymentStatus::Refunded => T::PayRefundedText,
    }
}

#[component]
pub fn PaymentDetails(
    /// Shown only once it holds a payment.
    watch: Watch,
) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    let nav = expect_context::<Nav>();
    let Some(first) = watch.payment.get_untracked() else { return ().into_any() };
    // What a payment's life changes: its status, whether accounting has it, when it was paid.
    let start = (first.status, first.posted);
    let state = Memo::new(move |_| watch.payment.with(|p| p.as_ref().map_or(start, |p| (p.status, p.posted))));
    let status = move || state.get().0;
    let paid = Memo::new(move |_| state.get().0 == PaymentStatus::Paid);
    let posted = Memo::new(move |_| state.get() == (PaymentStatus::Paid, true));
    let declined = Memo::new(move |_| state.get().0 == PaymentStatus::Declined);
    let paid_at = move || watch.payment.with(|p| p.as_ref().and_then(|p| p.paid_at.clone()));

    let kind = first.contract_kind;
    let contract = Contract { id: first.contract_id.clone(), number: first.contract_number.clone() };
    let screen = if kind == PaymentContractKind::Loan { Screen::Loan } else { Screen::Saving };
    let request = receipt(lang, &first);
    let again = {
        let contract = contract.clone();
        move |_| nav.pay(kind, contract.clone())
    };
    let to_contract = {
        let contract = contract.clone();
        move |_| nav.open(screen, contract.clone())
    };
    view! {
        <div class="kb-payment-status" role="status" aria-live="polite" aria-atomic="true" aria-label=t(lang, T::PaymentStatusName)
            data-kb-status=move || status().as_str()>
            {move || view! { <PaymentStatusBadge status=status()/> }}
            <p class="kb-payment-status-text">
                {move || (status() == PaymentStatus::Pending).then(|| view! { <span class="kb-spinner kb-spinner-small" aria-hidden="true"></span> })}
                <span>{move || t(lang, sentence(status()))}</span>
            </p>
            {move || paid.get().then(|| view! {
                <p class="kb-hint">{move || t(lang, if posted.get() { T::PayPostedText } else { T::PayPostingText })}</p>
            })}
        </div>
        <p class="kb-hint kb-poll-offline" hidden=move || !watch.offline.get()>{t(lang, T::PollOffline)}</p>
        <dl class="kb-figures">
            <Figure label=T::Amount value=rub(first.amount)/>
            <Figure label=T::ContractLabel value=first.contract_number.clone()/>
            <Figure label=T::PaymentFor value=purpose_text(lang, first.purpose)/>
            <Figure label=T::PaymentDescription value=first.description.clone()/>
            <Figure label=T::OrderNumber value=first.order_number.clone()/>
            <Figure label=T::PaymentDate value=local_time(&first.created_at)/>
            {move || paid_at().map(|at| view! { <Figure label=T::PaidAt value=local_time(&at)/> })}
        </dl>
        {move || paid.get().then(|| view! {
            <div class="kb-docs">
                <DocumentDownload label=t(lang, T::ReceiptPdf) error_id="kb-payment-receipt-error" request=request.clone()/>
            </div>
        })}
        {move || posted.get().then(|| view! { <ContractAfterPayment kind=kind contract=contract.clone()/> })}
        <div class="kb-actions">
            {move || declined.get().then(|| view! {
                <button type="button" class="kb-button" on:click=again.clone()>{t(lang, T::TryAgain)}</button>
            })}
            // Once posted, the contract's own section has this button.
            {move || (!posted.get()).then(|| view! {
                <button type="button" class="kb-button kb-button-secondary" on:click=to_contract.clone()>{t(lang, T::ToContract)}</button>
            })}
            <button type="button" class="kb-button kb-button-secondary" on:click=move |_| nav.go(Screen::Payments)>{t(lang, T::AllPayments)}</button>
        </div>
    }
    .into_any()
}
