//! A client's applications for loans or savings, each with its decision as a status word and
//! the organisation's comment, if it made one.

use kabinet_api::cabinet::{Application, ApplicationStatus};
use leptos::prelude::*;

use crate::components::badge::{Badge, Tone};
use crate::components::figure::Figure;
use crate::i18n::{day, fill, months, rub, t, Lang, T};
use crate::WidgetConfig;

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
pub fn Applications(items: Vec<Application>, heading_id: &'static str) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    let list = items
        .into_iter()
        .map(|a| {
            let (word, tone) = status(lang, a.status);
            let title = fill(lang, T::ApplicationTitle, &[("number", &a.number), ("date", &day(&a.date))]);
            view! {
                <li class="kb-application">
                    <div class="kb-item-head">
                        <p class="kb-item-title">{title}</p>
                        <Badge text=word tone=tone/>
                    </div>
                    <dl class="kb-figures">
                        <Figure label=T::Product value=a.product/>
                        <Figure label=T::Amount value=rub(a.amount)/>
                        <Figure label=T::Term value=months(lang, a.term_months)/>
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
            <h3 class="kb-subtitle" id=heading_id>{t(lang, T::ApplicationsList)}</h3>
            <ul class="kb-items">{list}</ul>
        </section>
    }
}
