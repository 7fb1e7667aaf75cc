//! The field of a savings top-up by card: the amount in rubles. Only where the product allows
//! top-ups and the contract is open; the balance after it comes from the ledger.

use kabinet_api::cabinet::{format_rub, ContractStatus, SavingsSummary};
use kabinet_api::payments::{PaymentPurpose, PaymentRequest, MIN_PAYMENT};
use kabinet_api::ErrorCode;
use leptos::prelude::*;

use crate::components::payment_form::{PayState, PaymentForm, PREVIEW_ERROR_ID};
use crate::components::text_field::TextField;
use crate::form::{self, Problem};
use crate::i18n::{error_text, fill, T};
use crate::WidgetConfig;

const TOP_UP_CODES: &[ErrorCode] = &[ErrorCode::AmountOutOfRange, ErrorCode::TopUpNotAllowed];

#[component]
pub fn TopUp(saving: SavingsSummary) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    if saving.status == ContractStatus::Closed {
        return view! { <p class="kb-notice">{error_text(lang, ErrorCode::ContractClosed)}</p> }.into_any();
    }
    if !saving.top_up_allowed {
        return view! { <p class="kb-notice">{error_text(lang, ErrorCode::TopUpNotAllowed)}</p> }.into_any();
    }
    let amount = RwSignal::new(String::new());
    let id = saving.id.clone();
    let build = move || -> Result<PaymentRequest, Problem> {
        let sum = form::money(&amount.get(), T::TopUpAmountLabel, lang)?;
        if sum < MIN_PAYMENT {
            let text = fill(lang, T::PayAmountTooSmall, &[("min", &format_rub(MIN_PAYMENT))]);
            return Err(Problem::Invalid { field: T::TopUpAmountLabel, text });
        }
        Ok(PaymentRequest { contract_id: id.clone(), purpose: PaymentPurpose::TopUp, amount: Some(sum) })
    };
    let state = PayState::new();
    let limit = fill(lang, T::TopUpLimit, &[("min", &format_rub(MIN_PAYMENT))]);
    view! {
        <PaymentForm state=state request=build>
            <TextField id="kb-pay-amount" label=T::TopUpAmountLabel value=amount autocomplete="off" inputmode="decimal"
                hint_text=Signal::stored(limit) invalid=state.marks(TOP_UP_CODES, T::TopUpAmountLabel) error_id=PREVIEW_ERROR_ID/>
        </PaymentForm>
    }
    .into_any()
}
