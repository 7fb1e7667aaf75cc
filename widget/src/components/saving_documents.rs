//! A savings contract's documents: the interest schedule, the certificate of interest income
//! in a chosen year, and the reconciliation act for a chosen period.

use kabinet_api::cabinet::{paths, DocumentKind, DocumentQuery, SavingsDetail};
use leptos::prelude::*;

use crate::api;
use crate::components::{
    act_form::ActForm,
    document_download::DocumentDownload,
    year_certificate::{contract_years, YearCertificate},
};
use crate::download::{file_name, DocRequest};
use crate::i18n::{t, T};
use crate::WidgetConfig;

#[component]
pub fn SavingDocuments(detail: SavingsDetail) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    let s = detail.summary;
    let id = api::segment(&s.id);
    let path = |kind| paths::saving_document(&id, kind);
    let end = s.closed_on.as_deref().filter(|c| *c < detail.as_of.as_str()).unwrap_or(&detail.as_of);
    let years = contract_years(&s.date, end);
    let schedule = DocRequest {
        path: path(DocumentKind::Schedule),
        query: DocumentQuery::default(),
        fallback_name: file_name(&[t(lang, T::InterestScheduleTitle), &s.number]),
    };
    view! {
        <section class="kb-card kb-documents" aria-labelledby="kb-saving-docs-title">
            <h3 class="kb-subtitle" id="kb-saving-docs-title">{t(lang, T::Documents)}</h3>
            <p class="kb-hint">{t(lang, T::DocumentsHint)}</p>
            <div class="kb-docs">
                <DocumentDownload label=t(lang, T::InterestSchedulePdf) error_id="kb-doc-schedule-error" request=schedule/>
            </div>
            <section class="kb-year-doc" aria-labelledby="kb-year-doc-title">
                <h4 class="kb-subsubtitle" id="kb-year-doc-title">{t(lang, T::YearCertificateTitle)}</h4>
                <YearCertificate label=T::InterestIncomeCertificate years=years path=path(DocumentKind::InterestIncomeCertificate)
                    number=s.number.clone() id="kb-year" error_id="kb-doc-year-error"/>
            </section>
            <ActForm path=path(DocumentKind::Act) number=s.number.clone() start=s.date.clone() as_of=detail.as_of.clone()/>
        </section>
    }
}
