//! A contract's state as a status word: «Действует», «Просрочка», «Закрыт».

use kabinet_api::cabinet::ContractStatus;
use leptos::prelude::*;

use crate::components::badge::{Badge, Tone};
use crate::i18n::{t, T};
use crate::WidgetConfig;

#[component]
pub fn ContractStatusBadge(status: ContractStatus) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    let (key, tone) = match status {
        ContractStatus::Active => (T::StatusActive, Tone::Good),
        ContractStatus::Overdue => (T::StatusOverdue, Tone::Bad),
        ContractStatus::Closed => (T::StatusClosed, Tone::Neutral),
    };
    view! { <Badge text=t(lang, key) tone=tone/> }
}
