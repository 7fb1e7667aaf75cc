//! A client's applications of any kind, each titled by its kind, with what was asked for, its
//! decision as a status word and the organisation's comment, if it made one.

use kabinet_api::cabinet::{Application, ApplicationStatus};
use kabinet_api::requests::ApplicationKind;
use leptos::prelude::*;

use crate::components::badge::{Badge, Tone};
use crate::components::figure::Figure;
use crate::i18n::{day, fill, months, rub, t, Lang, T};
use crate::time::local_time;
use crate::WidgetConfig;

/// «Заявка на заём № {number} от {date}» and the like.
pub fn title(kind: ApplicationKind) -> T {
    match kind {
        ApplicationKind::Loan => T::AppTitleLoan,
        ApplicationKind::EarlyRepayment => T::AppTitleEarlyRepayment,
        ApplicationKind::Savings => T::AppTitleSavings,
        ApplicationKind::EarlyWithdrawal => T::AppTitleEarlyWithdrawal,
    }
}

/// The status word and its colour.
pub fn status(lang: Lang, s: ApplicationStatus) -> (&'static str, Tone) {
    match s {
        ApplicationStatus::New => (t(lang, T::AppNew), Tone::Neutral),
        ApplicationStatus::UnderReview => (t(lang, T::AppUnderReview), Tone::Warning),
        ApplicationStatus::Approved => (t(lang, T::AppApproved), Tone::Good),
        ApplicationStatus::Declined => (t(lang, T::AppDeclined), Tone::Bad),
    }
}

#[component]
pub fn Applications(
    items: Vec<Application>,
    heading_id: &'static str,
    /// The list's heading; «Заявки» unless said.
    #[prop(optional)]
    heading: Option<T>,
) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    let list = items
        .into_iter()
        .map(|a| {
            let (word, tone) = status(lang, a.status);
            let title = fill(lang, title(a.kind), &[("number", &a.number), ("date", &day(&a.date))]);
            let contract = a.contract_number.map(|n| fill(lang, T::ContractNumber, &[("number", &n)]));
            let details = a.details.filter(|d| !d.trim().is_empty());
            view! {
                <li class="kb-application" data-kb-application=a.number.clone()>
                    <div class="kb-item-head">
                        <p class="kb-item-title">{title}</p>
                        <Badge text=word tone=tone/>
                    </div>
                    <dl class="kb-figures">
                        {contract.map(|c| view! { <Figure label=T::ContractLabel value=c/> })}
                        <Figure label=T::Product value=a.product/>
                        <Figure label=T::Amount value=rub(a.amount)/>
                        {(a.term_months > 0).then(|| view! { <Figure label=T::Term value=months(lang, a.term_months)/> })}
                        {details.map(|d| view! { <Figure label=T::Details value=d/> })}
                        {a.updated_at.map(|u| view! { <Figure label=T::StatusChanged value=local_time(&u)/> })}
                    </dl>
                    {a.comment.filter(|c| !c.trim().is_empty()).map(|c| view! {
                        <p class="kb-comment"><span class="kb-comment-label">{t(lang, T::OrgComment)}": "</span>{c}</p>
                    })}
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="kb-card" aria-labelledby=heading_id>
            <h3 class="kb-subtitle" id=heading_id>{t(lang, heading.unwrap_or(T::ApplicationsList))}</h3>
            <ul class="kb-items">{list}</ul>
        </section>
    }
}
