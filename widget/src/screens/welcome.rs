//! The first screen: a welcome with the organisation's name and contacts; sign-in comes here next.

use kabinet_api::OrgInfo;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::i18n::{t, T};
use crate::{WidgetConfig, WIDGET_READY_EVENT};

#[component]
pub fn Welcome(info: OrgInfo) -> impl IntoView {
    let config = expect_context::<WidgetConfig>();
    let lang = config.lang;
    // Tell the embedding page the first screen is up, once it has been rendered.
    Effect::new(move |_| {
        let init = web_sys::CustomEventInit::new();
        init.set_bubbles(true);
        init.set_composed(true);
        if let Ok(ev) = web_sys::CustomEvent::new_with_event_init_dict(WIDGET_READY_EVENT, &init) {
            let _ = config.host.unchecked_ref::<web_sys::EventTarget>().dispatch_event(&ev);
        }
    });
    let tel = format!("tel:{}", info.phone.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect::<String>());

    view! {
        <section class="kb-card kb-welcome" aria-labelledby="kb-welcome-title">
            <p class="kb-org">{info.name.clone()}</p>
            <h2 class="kb-title" id="kb-welcome-title">{t(lang, T::Welcome)}</h2>
            <p class="kb-intro">{t(lang, T::Intro)}</p>
            <p class="kb-notice">{t(lang, T::SignInSoon)}</p>
        </section>
        <section class="kb-card kb-contacts" aria-labelledby="kb-contacts-title">
            <h3 class="kb-subtitle" id="kb-contacts-title">{t(lang, T::Contacts)}</h3>
            <dl class="kb-facts">
                <dt>{t(lang, T::Phone)}</dt>
                <dd><a class="kb-link" href=tel>{info.phone.clone()}</a></dd>
                <dt>{t(lang, T::Address)}</dt>
                <dd>{info.address.clone()}</dd>
                <dt>{t(lang, T::Hours)}</dt>
                <dd>{info.hours.clone()}</dd>
            </dl>
        </section>
        <footer class="kb-legal">
            <span>{info.legal_name.clone()}</span>
            <span>{format!("{} {}", t(lang, T::Inn), info.inn)}</span>
            <span>{format!("{} {}", t(lang, T::Ogrn), info.ogrn)}</span>
        </footer>
    }
}
