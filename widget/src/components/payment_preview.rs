//! What the ledger computed for a card payment before it starts: the amount the bank will
//! charge and, on a loan, how it is split in the legal order (penalty, interest, principal, an
//! advance for the next installments) and the principal left; on savings, the balance after
//! the top-up. Not focused when it appears: it follows the person's choice as they make it,
//! and the «Оплатить X ₽» button and a short status line say what changed.

use kabinet_api::payments::{PaymentContractKind, PaymentPreview};
use leptos::prelude::*;

use crate::components::figure::Figure;
use crate::i18n::{day, rub, t, T};
use crate::WidgetConfig;

const TITLE_ID: &str = "kb-pay-preview-title";

#[component]
pub fn PaymentPreviewView(preview: PaymentPreview) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    let p = preview;
    let loan = p.contract_kind == PaymentContractKind::Loan;
    let title = if loan { T::PayPreviewTitle } else { T::TopUpPreviewTitle };
    let split = if loan {
        view! {
            <dl class="kb-figures">
                <Figure label=T::Penalty value=rub(p.penalty)/>
                <Figure label=T::PayInterest value=rub(p.interest)/>
                <Figure label=T::PayPrincipal value=rub(p.principal)/>
                {(p.advance > 0).then(|| view! { <Figure label=T::PayAdvance value=rub(p.advance)/> })}
                <Figure label=T::PrincipalAfterPayment value=rub(p.balance_after)/>
            </dl>
        }
        .into_any()
    } else {
        view! {
            <dl class="kb-figures">
                <Figure label=T::BalanceAfterTopUp value=rub(p.balance_after)/>
            </dl>
        }
        .into_any()
    };
    view! {
        <section class="kb-preview kb-pay-preview" aria-labelledby=TITLE_ID data-kb-amount=p.amount.to_string()>
            <h3 class="kb-subtitle" id=TITLE_ID>{t(lang, title)}</h3>
            <dl class="kb-figures kb-figures-lead">
                <Figure label=T::ToPay value=rub(p.amount)/>
            </dl>
            {split}
            <p class="kb-pay-description">
                <span class="kb-pay-description-label">{t(lang, T::PaymentDescription)}": "</span>{p.description}
            </p>
            {p.applied_on.clone().map(|d| view! {
                <p class="kb-hint kb-pay-applied-on">{t(lang, T::PayAppliedOn).replace("{date}", &day(&d))}</p>
            })}
            <p class="kb-hint">{t(lang, T::PayPreviewNote)}</p>
        </section>
    }
}
