//! «Сообщения»: the conversation with the organisation, newest first (each message opens its
//! own screen), and the form to write a new one.

use kabinet_api::messages::MessagesView;
use leptos::prelude::*;

use crate::api;
use crate::components::{
    back_button::BackButton, loaded::Loaded, message_compose::MessageCompose, message_row::MessageRow,
    screen_heading::ScreenHeading,
};
use crate::i18n::{t, T};
use crate::load::Load;
use crate::nav::Screen;
use crate::WidgetConfig;

#[component]
pub fn Messages() -> impl IntoView {
    let config = expect_context::<WidgetConfig>();
    let lang = config.lang;
    let load = Load::new(move || {
        let config = config.clone();
        async move { api::messages(&config).await }
    });
    view! {
        <section class="kb-card kb-screen-head" aria-labelledby="kb-messages-title" data-kb-screen="messages">
            <BackButton to=Screen::Home/>
            <ScreenHeading id="kb-messages-title" text=t(lang, T::Messages)/>
        </section>
        <MessageCompose on_sent=move |_| load.refresh()/>
        <section class="kb-card" aria-labelledby="kb-conversation-title">
            <h3 class="kb-subtitle" id="kb-conversation-title">{t(lang, T::ConversationTitle)}</h3>
            <Loaded load=load render=move |v: MessagesView| {
                if v.messages.is_empty() {
                    view! { <p class="kb-hint">{t(lang, T::NoMessages)}</p> }.into_any()
                } else {
                    let rows = v.messages.into_iter().enumerate()
                        .map(|(i, m)| view! { <MessageRow message=m index=i/> })
                        .collect_view();
                    view! { <ul class="kb-items kb-messages">{rows}</ul> }.into_any()
                }
            }/>
        </section>
    }
}
