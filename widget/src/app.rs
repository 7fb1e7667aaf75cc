//! The root component: provides the configuration, asks the shim who the organisation is and
//! whether someone is signed in, then hands over to the screens.

use kabinet_api::ErrorCode;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::api::{self, ApiFailure};
use crate::components::{load_error::LoadError, loading::Loading};
use crate::i18n::{t, T};
use crate::screens::shell::Shell;
use crate::{WidgetConfig, WIDGET_READY_EVENT};

#[component]
pub fn App(config: WidgetConfig) -> impl IntoView {
    provide_context(config.clone());
    let lang = config.lang;
    // Both requests start at once: on a slow mobile line one round trip is worth saving.
    let org = LocalResource::new({
        let config = config.clone();
        move || {
            let config = config.clone();
            async move { api::org_info(&config).await }
        }
    });
    let session = LocalResource::new({
        let config = config.clone();
        move || {
            let config = config.clone();
            async move {
                match api::session(&config).await {
                    Ok(info) => Ok(Some(info)),
                    Err(f) if f.is(ErrorCode::Unauthenticated) => Ok(None),
                    Err(f) => Err::<_, ApiFailure>(f),
                }
            }
        }
    });
    let retry = move || {
        org.refetch();
        session.refetch();
    };

    // Tell the embedding page once that the first real screen is up.
    let announced = StoredValue::new(false);
    let host = config.host.clone();
    let announce = move || {
        if announced.get_value() {
            return;
        }
        announced.set_value(true);
        let init = web_sys::CustomEventInit::new();
        init.set_bubbles(true);
        init.set_composed(true);
        if let Ok(ev) = web_sys::CustomEvent::new_with_event_init_dict(WIDGET_READY_EVENT, &init) {
            let _ = host.unchecked_ref::<web_sys::EventTarget>().dispatch_event(&ev);
        }
    };

    view! {
        <div class="kb-root" lang=lang.code() role="region" aria-label=t(lang, T::CabinetName)>
            {move || match (org.get(), session.get()) {
                (Some(Err(failure)), _) | (_, Some(Err(failure))) => {
                    view! { <LoadError failure=failure on_retry=retry/> }.into_any()
                }
                (Some(Ok(info)), Some(Ok(who))) => {
                    let announce = announce.clone();
                    // After this render, so the page hears "ready" when there is something to see.
                    Effect::new(move |_| announce());
                    view! { <Shell org=info session=who/> }.into_any()
                }
                _ => view! { <Loading/> }.into_any(),
            }}
        </div>
    }
}
