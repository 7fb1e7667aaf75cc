//! The organisation's contacts, for anyone who cannot or would rather not sign in.

use kabinet_api::OrgInfo;
use leptos::prelude::*;

use crate::components::code_sent::tel_href;
use crate::i18n::{t, T};
use crate::WidgetConfig;

#[component]
pub fn Contacts() -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    let info = expect_context::<OrgInfo>();
    view! {
        <section class="kb-card kb-contacts" aria-labelledby="kb-contacts-title">
            <h3 class="kb-subtitle" id="kb-contacts-title">{t(lang, T::Contacts)}</h3>
            <dl class="kb-facts">
                <dt>{t(lang, T::Phone)}</dt>
                <dd><a class="kb-link" href=tel_href(&info.phone)>{info.phone.clone()}</a></dd>
                <dt>{t(lang, T::Address)}</dt>
                <dd>{info.address.clone()}</dd>
                <dt>{t(lang, T::Hours)}</dt>
                <dd>{info.hours.clone()}</dd>
            </dl>
        </section>
    }
}
