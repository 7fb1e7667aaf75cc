//! The fields of an application about an existing contract: early repayment of a loan (the
//! contract, the day, full or partial and how, the sum for a partial one) or early withdrawal
//! of savings (the contract and the day). Only open contracts can be chosen.

use kabinet_api::requests::{ApplicationKind, EarlyRepaymentMode, NewApplication, MAX_DAYS_AHEAD};
use kabinet_api::ErrorCode;
use leptos::prelude::*;

use crate::components::{
    application_form::ApplicationForm, radio_group::RadioGroup, select_field::SelectField, text_field::TextField,
};
use crate::form::{self, FormState, Problem, AMOUNT_CODES, CONTRACT_CODES, DATE_CODES};
use crate::i18n::{fill, t, T};
use crate::time::{day_plus, local_day};
use crate::WidgetConfig;

const ERROR_ID: &str = "kb-apply-error";

const MODES: [(&str, T, EarlyRepaymentMode); 3] = [
    ("full", T::ModeFull, EarlyRepaymentMode::Full),
    ("shorter_term", T::ModeShorterTerm, EarlyRepaymentMode::ShorterTerm),
    ("smaller_installment", T::ModeSmallerInstallment, EarlyRepaymentMode::SmallerInstallment),
];

#[component]
pub fn ContractApplication(
    /// `EarlyRepayment` or `EarlyWithdrawal`.
    kind: ApplicationKind,
    /// `(id, text)` of each open contract.
    contracts: Vec<(String, String)>,
    /// The contract to start with, if it is among them.
    #[prop(optional)]
    preselect: Option<String>,
    /// The organisation's today (`as_of` of the contracts' view), the first day that may be
    /// chosen. Not the browser's: late in the evening the two differ by a day across zones,
    /// and the shim would refuse the browser's.
    today: String,
) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    let repayment = kind == ApplicationKind::EarlyRepayment;
    let Some(first) = contracts.first().map(|c| c.0.clone()) else {
        let none = if repayment { T::NoOpenLoans } else { T::NoOpenSavings };
        return view! { <p class="kb-hint">{t(lang, none)}</p> }.into_any();
    };
    let start = preselect.filter(|id| contracts.iter().any(|c| &c.0 == id)).unwrap_or(first);
    let contract = RwSignal::new(start);
    let days_ahead = MAX_DAYS_AHEAD.unsigned_abs() as u32;
    let (today, last) = match day_plus(&today, days_ahead) {
        Some(last) => (today, last),
        None => (local_day(0), local_day(days_ahead)),
    };
    let date = RwSignal::new(today.clone());
    let mode = RwSignal::new(MODES[0].0.to_owned());
    let amount = RwSignal::new(String::new());
    let partial = move || mode.get() != MODES[0].0;
    let (min, max) = (today.clone(), last.clone());
    let build = move || -> Result<NewApplication, Problem> {
        let contract_id = contract.get();
        let label = if repayment { T::RepaymentDateLabel } else { T::WithdrawalDateLabel };
        let day = form::required(&date.get(), label)?;
        // ISO days compare as text in calendar order.
        if day.len() != 10 || day < today || day > last {
            return Err(ErrorCode::InvalidDate.into());
        }
        if !repayment {
            return Ok(NewApplication::EarlyWithdrawal { savings_id: contract_id, date: day });
        }
        let chosen = mode.get();
        let m = MODES.iter().find(|(v, _, _)| *v == chosen).map_or(EarlyRepaymentMode::Full, |(_, _, m)| *m);
        let sum = if m == EarlyRepaymentMode::Full { None } else { Some(form::money(&amount.get(), T::AmountLabel, lang)?) };
        Ok(NewApplication::EarlyRepayment { loan_id: contract_id, date: day, mode: m, amount: sum })
    };
    let form = FormState::new();
    let date_label = if repayment { T::RepaymentDateLabel } else { T::WithdrawalDateLabel };
    view! {
        <ApplicationForm form=form request=build error_id=ERROR_ID>
            <SelectField id="kb-apply-contract" label=T::ContractLabel options=contracts value=contract
                invalid=form.marks(CONTRACT_CODES, T::ContractLabel) error_id=ERROR_ID/>
            <TextField id="kb-apply-date" label=date_label value=date kind="date" autocomplete="off" min=min max=max
                hint_text=Signal::stored(fill(lang, T::DateHint, &[("n", &MAX_DAYS_AHEAD.to_string())]))
                invalid=form.marks(DATE_CODES, date_label) error_id=ERROR_ID/>
            {repayment.then(|| view! {
                <RadioGroup name="kb-apply-mode" legend=T::ModeLegend
                    options=MODES.iter().map(|(v, l, _)| (*v, t(lang, *l).to_owned())).collect() value=mode/>
                <div hidden=move || !partial()>
                    <TextField id="kb-apply-amount" label=T::AmountLabel value=amount autocomplete="off" inputmode="decimal"
                        hint=T::PartialAmountHint invalid=form.marks(AMOUNT_CODES, T::AmountLabel) error_id=ERROR_ID/>
                </div>
            })}
        </ApplicationForm>
    }
    .into_any()
}
