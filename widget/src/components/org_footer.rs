//! The organisation's legal name and registration numbers under every screen.

use kabinet_api::OrgInfo;
use leptos::prelude::*;

use crate::i18n::{t, T};
use crate::WidgetConfig;

#[component]
pub fn OrgFooter() -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    let info = expect_context::<OrgInfo>();
    view! {
        <footer class="kb-legal">
            <span>{info.legal_name.clone()}</span>
            <span>{format!("{} {}", t(lang, T::Inn), info.inn)}</span>
            <span>{format!("{} {}", t(lang, T::Ogrn), info.ogrn)}</span>
        </footer>
    }
}
