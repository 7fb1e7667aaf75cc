//! The root component: provides the configuration and loads the first screen's data.

use leptos::prelude::*;

use crate::api;
use crate::components::{loading::Loading, load_error::LoadError};
use crate::screens::welcome::Welcome;
use crate::WidgetConfig;

#[component]
pub fn App(config: WidgetConfig) -> impl IntoView {
    provide_context(config.clone());
    let lang = config.lang;
    let org = LocalResource::new({
        let config = config.clone();
        move || {
            let config = config.clone();
            async move { api::org_info(&config).await }
        }
    });

    view! {
        <div class="kb-root" lang=lang.code() role="region" aria-label=crate::i18n::t(lang, crate::i18n::T::CabinetName)>
            {move || match org.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Ok(info)) => view! { <Welcome info=info/> }.into_any(),
                Some(Err(failure)) => view! { <LoadError failure=failure on_retry=move || org.refetch()/> }.into_any(),
            }}
        </div>
    }
}
