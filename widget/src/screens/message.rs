//! One message: who wrote it and when, its whole text, and each attachment as a download.
//! Opening a message from the organisation marks it read on the server.

use kabinet_api::messages::Message as MessageData;
use kabinet_api::OrgInfo;
use leptos::prelude::*;

use crate::api;
use crate::components::{
    attachment_download::AttachmentDownload, back_button::BackButton, loaded::Loaded, message_row::sender,
    screen_heading::ScreenHeading,
};
use crate::i18n::{fill, t, T};
use crate::load::Load;
use crate::nav::{Nav, Screen};
use crate::time::local_time;
use crate::WidgetConfig;

#[component]
pub fn Message() -> impl IntoView {
    let config = expect_context::<WidgetConfig>();
    let lang = config.lang;
    let nav = expect_context::<Nav>();
    let org = expect_context::<OrgInfo>();
    let Some((id, sent_at)) = nav.message() else {
        // Nothing chosen (cannot normally happen): the conversation is where one is chosen.
        nav.go(Screen::Messages);
        return ().into_any();
    };
    let load = Load::new({
        let id = id.clone();
        move || {
            let (config, id) = (config.clone(), id.clone());
            async move { api::message(&config, &id).await }
        }
    });
    let title = fill(lang, T::MessageTitle, &[("time", &local_time(&sent_at))]);
    view! {
        <section class="kb-card kb-screen-head" aria-labelledby="kb-message-title" data-kb-screen="message">
            <BackButton to=Screen::Messages/>
            <ScreenHeading id="kb-message-title" text=title/>
            <Loaded load=load render=move |m: MessageData| {
                let files = m.attachments.iter().enumerate().map(|(i, a)| view! {
                    <li><AttachmentDownload message_id=m.id.clone() file=a.clone() error_id=format!("kb-attachment-{i}-error")/></li>
                }).collect_view();
                let has_files = !m.attachments.is_empty();
                view! {
                    <dl class="kb-facts kb-message-facts">
                        <dt>{t(lang, T::From)}</dt>
                        <dd>{sender(lang, &org, &m)}</dd>
                        <dt>{t(lang, T::SentAt)}</dt>
                        <dd>{local_time(&m.sent_at)}</dd>
                    </dl>
                    <div class="kb-message-text">{m.text.clone()}</div>
                    {has_files.then(|| view! {
                        <section class="kb-attachments" aria-labelledby="kb-attachments-title">
                            <h3 class="kb-subtitle" id="kb-attachments-title">{t(lang, T::AttachmentsTitle)}</h3>
                            <ul class="kb-docs kb-attachment-list">{files}</ul>
                        </section>
                    })}
                }
            }/>
        </section>
    }
    .into_any()
}
