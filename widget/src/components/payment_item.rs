//! One card payment in the list: when and for which contract, what for, how much, its status
//! word, the button that opens its status, and the receipt of a paid one.

use kabinet_api::payments::{Payment, PaymentPurpose, PaymentStatus};
use leptos::prelude::*;

use crate::api;
use crate::components::{document_download::DocumentDownload, figure::Figure, payment_status_badge::PaymentStatusBadge};
use crate::download::{file_name, DocRequest};
use crate::i18n::{fill, rub, t, Lang, T};
use crate::nav::{Nav, PaymentRef, Screen};
use crate::time::local_time;
use crate::WidgetConfig;

/// What a payment was for, in words.
pub fn purpose_text(lang: Lang, purpose: PaymentPurpose) -> &'static str {
    t(
        lang,
        match purpose {
            PaymentPurpose::NextInstallment => T::PurposeNext,
            PaymentPurpose::Overdue => T::PurposeOverdue,
            PaymentPurpose::Custom => T::PurposeCustom,
            PaymentPurpose::TopUp => T::PurposeTopUp,
        },
    )
}

/// The receipt of a paid payment, fetched as documents are.
pub fn receipt(lang: Lang, payment: &Payment) -> DocRequest {
    DocRequest {
        path: api::receipt_path(&payment.id),
        query: Default::default(),
        fallback_name: file_name(&[t(lang, T::ReceiptName), &payment.order_number]),
    }
}

#[component]
pub fn PaymentItem(
    payment: Payment,
    /// Its place in the list, for element ids (a payment id is not ours to put in one).
    index: usize,
) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    let nav = expect_context::<Nav>();
    let p = payment;
    let title = fill(lang, T::PaymentItemTitle, &[("number", &p.order_number), ("time", &local_time(&p.created_at))]);
    let title_id = format!("kb-payment-{index}-title");
    let paid = p.status == PaymentStatus::Paid;
    let request = receipt(lang, &p);
    let target = PaymentRef { id: p.id.clone(), number: Some(p.contract_number.clone()), back: Screen::Payments };
    view! {
        <li class="kb-payment" data-kb-payment=p.id.clone() data-kb-status=p.status.as_str()>
            <div class="kb-item-head">
                <h4 class="kb-item-title" id=title_id.clone()>
                    <button type="button" class="kb-payment-open" on:click=move |_| nav.open_payment(target.clone())>{title}</button>
                </h4>
                <PaymentStatusBadge status=p.status/>
            </div>
            <dl class="kb-figures">
                <Figure label=T::ContractLabel value=p.contract_number.clone()/>
                <Figure label=T::PaymentFor value=purpose_text(lang, p.purpose)/>
                <Figure label=T::Amount value=rub(p.amount)/>
            </dl>
            {paid.then(|| view! {
                <DocumentDownload label=t(lang, T::ReceiptPdf) error_id=format!("kb-payment-{index}-receipt-error")
                    request=request described_by=title_id/>
            })}
        </li>
    }
}
