//! The fields of an application for a new contract: a loan (product, amount, term, purpose) or
//! savings (product, amount, term). The product's limits are the fields' hints and are checked
//! here before the ledger is asked.

use kabinet_api::cabinet::format_rub;
use kabinet_api::requests::{NewApplication, ProductInfo, ProductKind, MAX_PURPOSE_CHARS};
use kabinet_api::ErrorCode;
use leptos::prelude::*;

use crate::components::{
    application_form::ApplicationForm, select_field::SelectField, text_area::TextArea, text_field::TextField,
};
use crate::form::{self, FormState, Problem, AMOUNT_CODES, PRODUCT_CODES, TERM_CODES, TEXT_CODES};
use crate::i18n::{fill, rate, t, T};
use crate::WidgetConfig;

const ERROR_ID: &str = "kb-apply-error";

#[component]
pub fn ProductApplication(kind: ProductKind, products: Vec<ProductInfo>) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    let Some(first) = products.first().map(|p| p.id.clone()) else {
        return view! { <p class="kb-hint">{t(lang, T::NoProducts)}</p> }.into_any();
    };
    let options = products.iter().map(|p| (p.id.clone(), fill(lang, T::ProductOption, &[("name", &p.name), ("rate", &rate(lang, p.rate_bp))]))).collect();
    let product = RwSignal::new(first);
    let amount = RwSignal::new(String::new());
    let term = RwSignal::new(String::new());
    let purpose = RwSignal::new(String::new());
    let products = StoredValue::new(products);
    let chosen = move || {
        let id = product.get();
        products.with_value(|ps| ps.iter().find(|p| p.id == id).cloned())
    };
    let amount_hint = Signal::derive(move || {
        chosen()
            .map(|p| fill(lang, T::AmountLimits, &[("min", &format_rub(p.min_amount)), ("max", &format_rub(p.max_amount))]))
            .unwrap_or_default()
    });
    let term_hint = Signal::derive(move || {
        chosen()
            .map(|p| fill(lang, T::TermLimits, &[("min", &p.min_term_months.to_string()), ("max", &p.max_term_months.to_string())]))
            .unwrap_or_default()
    });
    let build = move || -> Result<NewApplication, Problem> {
        let p = chosen().ok_or(Problem::from(ErrorCode::ProductUnavailable))?;
        let sum = form::money(&amount.get(), T::AmountLabel, lang)?;
        if sum < p.min_amount || sum > p.max_amount {
            return Err(ErrorCode::AmountOutOfRange.into());
        }
        let months = form::months(&term.get(), T::TermLabel, lang)?;
        if months < p.min_term_months || months > p.max_term_months {
            return Err(ErrorCode::TermOutOfRange.into());
        }
        match kind {
            ProductKind::Loan => {
                let purpose = form::required(&purpose.get(), T::PurposeLabel)?;
                if purpose.chars().count() > MAX_PURPOSE_CHARS {
                    return Err(ErrorCode::TextTooLong.into());
                }
                Ok(NewApplication::Loan { product_id: p.id, amount: sum, term_months: months, purpose })
            }
            ProductKind::Savings => Ok(NewApplication::Savings { product_id: p.id, amount: sum, term_months: months }),
        }
    };
    let marks = FormState::new();
    view! {
        <ApplicationForm form=marks request=build error_id=ERROR_ID>
            <SelectField id="kb-apply-product" label=T::ProductLabel options=options value=product
                invalid=marks.marks(PRODUCT_CODES, T::ProductLabel) error_id=ERROR_ID/>
            <TextField id="kb-apply-amount" label=T::AmountLabel value=amount autocomplete="off" inputmode="decimal"
                hint_text=amount_hint invalid=marks.marks(AMOUNT_CODES, T::AmountLabel) error_id=ERROR_ID/>
            <TextField id="kb-apply-term" label=T::TermLabel value=term kind="number" autocomplete="off" inputmode="numeric"
                hint_text=term_hint invalid=marks.marks(TERM_CODES, T::TermLabel) error_id=ERROR_ID/>
            {(kind == ProductKind::Loan).then(|| view! {
                <TextArea id="kb-apply-purpose" label=T::PurposeLabel value=purpose maxlength=MAX_PURPOSE_CHARS
                    hint=fill(lang, T::PurposeHint, &[("n", &MAX_PURPOSE_CHARS.to_string())])
                    invalid=marks.marks(TEXT_CODES, T::PurposeLabel) error_id=ERROR_ID/>
            })}
        </ApplicationForm>
    }
    .into_any()
}
