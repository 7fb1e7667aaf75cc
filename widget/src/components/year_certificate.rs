//! A yearly certificate (interest paid on a loan, interest income on savings): the year to
//! choose, and the button that names the chosen year.

use kabinet_api::cabinet::DocumentQuery;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::components::{download_button::DownloadButton, form_alert::FormAlert};
use crate::download::{self, file_name, DocRequest};
use crate::form::FormState;
use crate::i18n::{fill, t, T};
use crate::nav::Nav;
use crate::WidgetConfig;

/// The years from the contract's first day to `end` (both `YYYY-MM-DD`), newest first.
pub fn contract_years(start: &str, end: &str) -> Vec<i32> {
    let year = |d: &str| d.get(0..4).and_then(|y| y.parse::<i32>().ok());
    match (year(start), year(end)) {
        (Some(a), Some(b)) if a <= b => (a..=b).rev().collect(),
        (_, Some(b)) => vec![b],
        _ => Vec::new(),
    }
}

#[component]
pub fn YearCertificate(
    /// The button's text with `{year}`.
    label: T,
    /// Years to offer, newest first; the newest is chosen at the start.
    years: Vec<i32>,
    /// The document's path (see `DocRequest::path`).
    path: String,
    /// Contract number, for the file name.
    number: String,
    /// Unique on the screen: the select's id, and the id of this form's error line.
    id: &'static str,
    error_id: &'static str,
) -> impl IntoView {
    let config = expect_context::<WidgetConfig>();
    let lang = config.lang;
    let nav = expect_context::<Nav>();
    let form = FormState::new();
    let year = RwSignal::new(years.first().map(i32::to_string).unwrap_or_default());
    let button = Signal::derive(move || fill(lang, label, &[("year", &year.get())]));

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(place) = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else { return };
        if !form.begin() {
            return;
        }
        let chosen = year.get_untracked();
        let Ok(y) = chosen.parse::<i32>() else { return };
        let request = DocRequest {
            path: path.clone(),
            query: DocumentQuery { year: Some(y), ..Default::default() },
            fallback_name: file_name(&[&fill(lang, label, &[("year", &chosen)]), &number]),
        };
        download::start(config.clone(), nav, form, place, request);
    };
    let options = years
        .iter()
        .map(|y| {
            let v = y.to_string();
            view! { <option value=v.clone()>{v.clone()}</option> }
        })
        .collect_view();
    view! {
        <form class="kb-doc kb-doc-year" novalidate on:submit=submit>
            <div class="kb-field kb-field-year">
                <label class="kb-label" for=id>{t(lang, T::Year)}</label>
                <select class="kb-input kb-select" id=id name=id
                    prop:value=move || year.get()
                    on:change=move |ev| year.set(event_target_value(&ev))>
                    {options}
                </select>
            </div>
            <DownloadButton label=button busy=form.busy blocked=form.blocked()/>
            <FormAlert form=form id=error_id/>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_run_newest_first() {
        assert_eq!(contract_years("2024-07-22", "2026-11-22"), vec![2026, 2025, 2024]);
        assert_eq!(contract_years("2026-07-22", "2026-11-22"), vec![2026]);
        assert_eq!(contract_years("garbage", "2026-11-22"), vec![2026]);
    }
}
