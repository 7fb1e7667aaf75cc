//! «Взносы»: the returnable share (паевые) and the membership fees (членские), each with its
//! balance and operations.

use kabinet_api::cabinet::ContributionsView;
use leptos::prelude::*;

use crate::api;
use crate::components::{
    back_button::BackButton, contribution_account::ContributionAccount, loaded::Loaded, screen_heading::ScreenHeading,
};
use crate::i18n::{day, fill, t, T};
use crate::load::Load;
use crate::nav::Screen;
use crate::WidgetConfig;

#[component]
pub fn Contributions() -> impl IntoView {
    let config = expect_context::<WidgetConfig>();
    let lang = config.lang;
    let load = Load::new(move || {
        let config = config.clone();
        async move { api::contributions(&config).await }
    });
    view! {
        <section class="kb-card kb-screen-head" aria-labelledby="kb-contributions-title" data-kb-screen="contributions">
            <BackButton to=Screen::Home/>
            <ScreenHeading id="kb-contributions-title" text=t(lang, T::Contributions)/>
            <Loaded load=load render=move |v: ContributionsView| view! {
                <p class="kb-hint kb-as-of">{fill(lang, T::AsOf, &[("date", &day(&v.as_of))])}</p>
            }/>
        </section>
        {move || load.data().map(|v| view! {
            <ContributionAccount account=v.returnable/>
            <ContributionAccount account=v.membership/>
        })}
    }
}
