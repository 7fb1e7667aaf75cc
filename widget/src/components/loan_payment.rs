//! The fields of a loan's card payment: the next installment (with anything overdue and the
//! penalty before it), only what is overdue, or another amount typed in rubles, up to what
//! closes the loan today. The amounts on the options come from the loan's figures; the amount
//! charged is always the ledger's (see `PaymentForm`).

use kabinet_api::cabinet::{ContractStatus, LoanSummary};
use kabinet_api::payments::{PaymentPurpose, PaymentRequest, MIN_PAYMENT};
use kabinet_api::ErrorCode;
use leptos::prelude::*;

use crate::components::payment_form::{PayState, PaymentForm, PREVIEW_ERROR_ID};
use crate::components::{radio_group::RadioGroup, text_field::TextField};
use crate::form::{self, Problem};
use crate::i18n::{day, fill, rub, t, T};
use crate::WidgetConfig;

const NEXT: &str = "next_installment";
const OVERDUE: &str = "overdue";
const CUSTOM: &str = "custom";

/// The amount refusals the shim can give for a loan payment, for the field's error state.
const PAY_AMOUNT_CODES: &[ErrorCode] = &[ErrorCode::AmountOutOfRange, ErrorCode::AmountAbovePayoff, ErrorCode::AmountTooSmall];

#[component]
pub fn LoanPayment(loan: LoanSummary) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    if loan.status == ContractStatus::Closed {
        return view! { <p class="kb-notice">{crate::i18n::error_text(lang, ErrorCode::ContractClosed)}</p> }.into_any();
    }
    if loan.payoff_amount <= 0 {
        return view! { <p class="kb-notice">{t(lang, T::NothingToPayNow)}</p> }.into_any();
    }
    let due = loan.overdue_amount + loan.penalty;
    let mut options = Vec::new();
    let mut hints = Vec::new();
    if let Some(next) = &loan.next_payment {
        options.push((NEXT, fill(lang, T::PayNext, &[("sum", &rub(due + next.amount))])));
        let hint = if due > 0 { T::PayNextOverdueHint } else { T::PayNextHint };
        hints.push((NEXT, fill(lang, hint, &[("date", &day(&next.date))])));
    }
    if due > 0 {
        options.push((OVERDUE, fill(lang, T::PayOverdue, &[("sum", &rub(due))])));
        if loan.penalty > 0 {
            hints.push((OVERDUE, t(lang, T::PayOverdueHint).to_owned()));
        }
    }
    options.push((CUSTOM, t(lang, T::PayCustom).to_owned()));
    let choice = RwSignal::new(options[0].0.to_owned());
    let amount = RwSignal::new(String::new());
    let (id, payoff) = (loan.id.clone(), loan.payoff_amount);
    let build = move || -> Result<PaymentRequest, Problem> {
        let purpose = match choice.get().as_str() {
            NEXT => PaymentPurpose::NextInstallment,
            OVERDUE => PaymentPurpose::Overdue,
            _ => PaymentPurpose::Custom,
        };
        let amount = if purpose == PaymentPurpose::Custom {
            let sum = form::money(&amount.get(), T::PayAmountLabel, lang)?;
            // The shim's own limits, in words about this payment rather than a product's.
            if sum < MIN_PAYMENT {
                let text = fill(lang, T::PayAmountTooSmall, &[("min", &kabinet_api::cabinet::format_rub(MIN_PAYMENT))]);
                return Err(Problem::Invalid { field: T::PayAmountLabel, text });
            }
            if sum > payoff {
                let text = fill(lang, T::PayAmountAbovePayoff, &[("sum", &rub(payoff))]);
                return Err(Problem::Invalid { field: T::PayAmountLabel, text });
            }
            Some(sum)
        } else {
            None
        };
        Ok(PaymentRequest { contract_id: id.clone(), purpose, amount })
    };
    let state = PayState::new();
    let limits = fill(
        lang,
        T::AmountLimits,
        &[("min", &kabinet_api::cabinet::format_rub(MIN_PAYMENT)), ("max", &kabinet_api::cabinet::format_rub(payoff))],
    );
    view! {
        <PaymentForm state=state request=build>
            <RadioGroup name="kb-pay-purpose" legend=T::PayLegend options=options hints=hints value=choice/>
            <div hidden=move || choice.get() != CUSTOM>
                <TextField id="kb-pay-amount" label=T::PayAmountLabel value=amount autocomplete="off" inputmode="decimal"
                    hint_text=Signal::stored(limits) invalid=state.marks(PAY_AMOUNT_CODES, T::PayAmountLabel) error_id=PREVIEW_ERROR_ID/>
            </div>
        </PaymentForm>
    }
    .into_any()
}
