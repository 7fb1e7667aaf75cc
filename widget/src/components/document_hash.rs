//! A document's SHA-256 in full, in groups of eight for the eye (the text stays one unbroken
//! string for copying and for screen readers), and, while it awaits a signature, the note that
//! its first eight characters come in the SMS, so the person can see that the code is for this
//! very file.

use kabinet_api::signing::HASH_PREFIX_CHARS;
use leptos::prelude::*;

use crate::i18n::{split, t, T};
use crate::WidgetConfig;

/// How many characters each group on screen holds: the SMS prefix is exactly the first one.
const GROUP: usize = HASH_PREFIX_CHARS;

#[component]
pub fn DocumentHash(
    /// Lowercase hex, as the server gives it.
    #[prop(into)]
    sha256: Signal<String>,
    /// Whether a signing code may still come (the document awaits a signature).
    #[prop(into)]
    sms_note: Signal<bool>,
) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    let groups = move || {
        let hash = sha256.get();
        let chars: Vec<char> = hash.chars().collect();
        chars
            .chunks(GROUP)
            .enumerate()
            .map(|(i, c)| {
                let text: String = c.iter().collect();
                view! { <span class="kb-hash-group" class:kb-hash-first=i == 0>{text}</span> }
            })
            .collect_view()
    };
    let prefix = move || sha256.with(|h| h.chars().take(HASH_PREFIX_CHARS).collect::<String>());
    let (before, after) = split(lang, T::HashNote, "prefix");
    view! {
        <div class="kb-hash">
            <dl class="kb-hash-facts">
                <dt class="kb-hash-label">{t(lang, T::HashLabel)}</dt>
                <dd class="kb-hash-dd"><code class="kb-hash-value">{groups}</code></dd>
            </dl>
            <p class="kb-hint kb-hash-note" hidden=move || !sms_note.get()>{before}<code class="kb-hash-prefix">{prefix}</code>{after}</p>
        </div>
    }
}
