//! A loan's documents: the schedule, the debt certificate (while the loan is open) or the
//! no-debt certificate (once it is closed), the certificate of interest paid in a chosen year, and the
//! reconciliation act for a chosen period.

use kabinet_api::cabinet::{paths, ContractStatus, DocumentKind, DocumentQuery, LoanDetail};
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
pub fn LoanDocuments(detail: LoanDetail) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    let s = detail.summary;
    let id = api::segment(&s.id);
    let path = |kind| paths::loan_document(&id, kind);
    let request = |kind, label: T| DocRequest {
        path: path(kind),
        query: DocumentQuery::default(),
        fallback_name: file_name(&[t(lang, label).trim_end_matches(" (PDF)"), &s.number]),
    };
    let closed = s.status == ContractStatus::Closed;
    // The years the contract lived in up to today (or to its closing): the certificate's choice.
    let end = s.closed_on.as_deref().filter(|c| *c < detail.as_of.as_str()).unwrap_or(&detail.as_of);
    let years = contract_years(&s.date, end);
    view! {
        <section class="kb-card kb-documents" aria-labelledby="kb-loan-docs-title">
            <h3 class="kb-subtitle" id="kb-loan-docs-title">{t(lang, T::Documents)}</h3>
            <p class="kb-hint">{t(lang, T::DocumentsHint)}</p>
            <div class="kb-docs">
                <DocumentDownload label=t(lang, T::SchedulePdf) error_id="kb-doc-schedule-error"
                    request=request(DocumentKind::Schedule, T::SchedulePdf)/>
                // A closed loan's debt is zero: the certificate a person needs then is «no debt».
                {if closed {
                    view! {
                        <DocumentDownload label=t(lang, T::NoDebtCertificate) error_id="kb-doc-no-debt-error"
                            request=request(DocumentKind::NoDebtCertificate, T::NoDebtCertificate)/>
                    }.into_any()
                } else {
                    view! {
                        <DocumentDownload label=t(lang, T::DebtCertificate) error_id="kb-doc-debt-error"
                            request=request(DocumentKind::DebtCertificate, T::DebtCertificate)/>
                    }.into_any()
                }}
            </div>
            <section class="kb-year-doc" aria-labelledby="kb-year-doc-title">
                <h4 class="kb-subsubtitle" id="kb-year-doc-title">{t(lang, T::YearCertificateTitle)}</h4>
                <YearCertificate label=T::InterestPaidCertificate years=years path=path(DocumentKind::InterestPaidCertificate)
                    number=s.number.clone() id="kb-year" error_id="kb-doc-year-error"/>
            </section>
            <ActForm path=path(DocumentKind::Act) number=s.number.clone() start=s.date.clone() as_of=detail.as_of.clone()/>
        </section>
    }
}
