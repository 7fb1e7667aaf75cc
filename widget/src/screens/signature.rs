//! One document for signature (which one comes from `Nav`): read it, check its hash, sign it
//! by SMS code, or download the signed copy.

use kabinet_api::signing::SignatureDocument;
use leptos::prelude::*;

use crate::api;
use crate::components::{back_button::BackButton, loaded::Loaded, screen_heading::ScreenHeading, signature_detail::SignatureDetail};
use crate::load::Load;
use crate::nav::{Nav, Screen};
use crate::WidgetConfig;

#[component]
pub fn SignatureScreen() -> impl IntoView {
    let config = expect_context::<WidgetConfig>();
    let nav = expect_context::<Nav>();
    let Some(target) = nav.signature() else {
        // Nothing chosen (cannot normally happen): the list is where one is chosen.
        nav.go(Screen::Signatures);
        return ().into_any();
    };
    let load = Load::new({
        let id = target.id.clone();
        move || {
            let (config, id) = (config.clone(), id.clone());
            async move { api::signature(&config, &id).await }
        }
    });
    // The title from the list is the heading at once; the document's own once it has loaded.
    let known = target.title;
    let heading = Signal::derive(move || load.get().and_then(Result::ok).map_or_else(|| known.clone(), |d| d.title));
    view! {
        <section class="kb-card kb-screen-head kb-signature-screen" aria-labelledby="kb-signature-title" data-kb-screen="signature">
            <BackButton to=Screen::Signatures/>
            <ScreenHeading id="kb-signature-title" text=heading/>
            <Loaded load=load render=move |d: SignatureDocument| view! { <SignatureDetail document=d/> }/>
        </section>
    }
    .into_any()
}
