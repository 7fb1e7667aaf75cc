//! One message in the conversation: who wrote it and when, its first line as the button that
//! opens it, how many files it carries; an unread one from the organisation is marked in colour
//! and says «новое» in words.

use kabinet_api::messages::{Message, MessageDirection};
use kabinet_api::OrgInfo;
use leptos::prelude::*;

use crate::i18n::{fill, t, T};
use crate::nav::Nav;
use crate::time::local_time;
use crate::WidgetConfig;

/// Who wrote `m`, as the person reads it: «Вы», or the organisation's author or name.
pub fn sender(lang: crate::i18n::Lang, org: &OrgInfo, m: &Message) -> String {
    match m.direction {
        MessageDirection::FromClient => t(lang, T::You).to_owned(),
        MessageDirection::FromOrganisation => m.author.clone().filter(|a| !a.trim().is_empty()).unwrap_or_else(|| org.name.clone()),
    }
}

/// Whether `m` is from the organisation and not opened yet.
pub fn unread(m: &Message) -> bool {
    m.direction == MessageDirection::FromOrganisation && m.read_at.is_none()
}

#[component]
pub fn MessageRow(
    message: Message,
    /// Its place in the list, for element ids (a message id is not ours to put in one).
    index: usize,
) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    let nav = expect_context::<Nav>();
    let org = expect_context::<OrgInfo>();
    let who = sender(lang, &org, &message);
    let new = unread(&message);
    let mine = message.direction == MessageDirection::FromClient;
    let first_line = message.text.lines().map(str::trim).find(|l| !l.is_empty()).map(str::to_owned);
    let first_line = first_line.unwrap_or_else(|| t(lang, T::NoText).to_owned());
    let files = message.attachments.len();
    let meta_id = format!("kb-message-{index}-meta");
    let (id, sent_at) = (message.id.clone(), message.sent_at.clone());
    view! {
        <li class="kb-message" class:kb-message-unread=new class:kb-message-mine=mine>
            <p class="kb-message-meta" id=meta_id.clone()>
                <span class="kb-message-who">{who}</span>
                " · "
                <span class="kb-nowrap">{local_time(&message.sent_at)}</span>
                {new.then(|| view! { " " <span class="kb-badge kb-badge-new">{t(lang, T::NewMark)}</span> })}
            </p>
            <button type="button" class="kb-message-open" aria-describedby=meta_id
                on:click=move |_| nav.open_message(id.clone(), sent_at.clone())>
                {first_line}
            </button>
            {(files > 0).then(|| view! {
                <p class="kb-hint kb-message-files">{fill(lang, T::AttachmentsCount, &[("n", &files.to_string())])}</p>
            })}
        </li>
    }
}
