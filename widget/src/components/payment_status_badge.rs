//! A card payment's state as a status word: «в обработке», «оплачен», «отклонён», «возвращён».

use kabinet_api::payments::PaymentStatus;
use leptos::prelude::*;

use crate::components::badge::{Badge, Tone};
use crate::i18n::{t, Lang, T};
use crate::WidgetConfig;

/// The status word and its colour.
pub fn status_word(lang: Lang, status: PaymentStatus) -> (&'static str, Tone) {
    match status {
        PaymentStatus::Pending => (t(lang, T::PayPending), Tone::Warning),
        PaymentStatus::Paid => (t(lang, T::PayPaid), Tone::Good),
        PaymentStatus::Declined => (t(lang, T::PayDeclined), Tone::Bad),
        PaymentStatus::Refunded => (t(lang, T::PayRefunded), Tone::Neutral),
    }
}

#[component]
pub fn PaymentStatusBadge(status: PaymentStatus) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    let (word, tone) = status_word(lang, status);
    view! { <Badge text=word tone=tone/> }
}
