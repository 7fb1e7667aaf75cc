//! The profile: who is signed in, and the forms to change the password and the phone number.

use kabinet_api::Phone;
use leptos::prelude::*;

use crate::components::screen_heading::ScreenHeading;
use crate::i18n::{t, T};
use crate::nav::{Nav, Screen};
use crate::screens::{change_password::ChangePassword, change_phone::ChangePhone};
use crate::WidgetConfig;

#[component]
pub fn Profile() -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    let nav = expect_context::<Nav>();
    // Reactive: a confirmed phone change brings a new session with the new number.
    let full_name = move || nav.session.with(|s| s.as_ref().map(|s| s.client.full_name.clone()).unwrap_or_default());
    let phone = move || {
        nav.session.with(|s| {
            s.as_ref()
                .map(|s| Phone::parse(&s.client.phone).map(|p| p.masked()).unwrap_or_else(|_| s.client.phone.clone()))
                .unwrap_or_default()
        })
    };
    view! {
        <section class="kb-card kb-profile" aria-labelledby="kb-profile-title" data-kb-screen="profile">
            <ScreenHeading id="kb-profile-title" text=t(lang, T::Profile)/>
            <dl class="kb-facts">
                <dt>{t(lang, T::FullName)}</dt>
                <dd>{full_name}</dd>
                <dt>{t(lang, T::Phone)}</dt>
                <dd class="kb-nowrap" data-kb-phone>{phone}</dd>
            </dl>
            <div class="kb-actions">
                <button type="button" class="kb-button kb-button-secondary" on:click=move |_| nav.go(Screen::Home)>{t(lang, T::Back)}</button>
            </div>
        </section>
        <ChangePassword/>
        <ChangePhone/>
    }
}
