//! A short status word in a pill («Действует», «Просрочка», «На рассмотрении»); `tone` picks
//! its colour, the word carries the meaning.

use leptos::prelude::*;

/// The colours a status can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Neutral,
    Good,
    Warning,
    Bad,
}

impl Tone {
    fn class(self) -> &'static str {
        match self {
            Tone::Neutral => "kb-badge",
            Tone::Good => "kb-badge kb-badge-good",
            Tone::Warning => "kb-badge kb-badge-warning",
            Tone::Bad => "kb-badge kb-badge-bad",
        }
    }
}

#[component]
pub fn Badge(text: &'static str, tone: Tone) -> impl IntoView {
    view! { <span class=tone.class()>{text}</span> }
}
