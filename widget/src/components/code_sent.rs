//! After a code was asked for: where it went, and what to do if it does not come (with the
//! office's number as a link). Takes focus, since it is what the person must read next.

use kabinet_api::OrgInfo;
use leptos::prelude::*;

use crate::focus::focus_soon;
use crate::i18n::{fill, split, t, Lang, T};
use crate::WidgetConfig;

#[component]
pub fn CodeSent(
    /// The "sent to {phone}" sentence and its values.
    sent: T,
    values: Vec<(&'static str, String)>,
    /// The "if no SMS came" sentence, with `{org_phone}`.
    help: T,
    /// "The code is valid for N min.", when the server said.
    expires_in_secs: Option<u32>,
) -> impl IntoView {
    let lang = expect_context::<WidgetConfig>().lang;
    let org = expect_context::<OrgInfo>();
    let node = NodeRef::<leptos::html::P>::new();
    Effect::new(move |_| {
        if let Some(el) = node.get() {
            focus_soon(el);
        }
    });
    let sent_text = with_numbers(t(lang, sent), &values);
    let (before, after) = split(lang, help, "org_phone");
    let tel = tel_href(&org.phone);
    let validity = expires_in_secs.filter(|s| *s > 0).map(|s| valid_for(lang, s));
    view! {
        <div class="kb-sent">
            <p class="kb-notice" tabindex="-1" node_ref=node>{sent_text}{validity.map(|v| format!(" {v}"))}</p>
            <p class="kb-hint">{before}<a class="kb-link kb-nowrap" href=tel>{org.phone.clone()}</a>{after}</p>
        </div>
    }
}

/// `template` with each `{name}` replaced by its value in a no-wrap span: a phone number
/// broken over two lines at 360 px is hard to recognise as one's own.
fn with_numbers(template: &'static str, values: &[(&'static str, String)]) -> Vec<AnyView> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else { break };
        let name = &rest[start + 1..start + len];
        out.push(rest[..start].to_owned().into_any());
        match values.iter().find(|(k, _)| *k == name) {
            Some((_, v)) => out.push(view! { <span class="kb-nowrap">{v.clone()}</span> }.into_any()),
            None => out.push(rest[start..=start + len].to_owned().into_any()),
        }
        rest = &rest[start + len + 1..];
    }
    out.push(rest.to_owned().into_any());
    out
}

fn valid_for(lang: Lang, secs: u32) -> String {
    fill(lang, T::CodeValidFor, &[("min", &secs.div_ceil(60).to_string())])
}

/// `tel:` link for a number written for people, e.g. `+7 (383) 200-00-00`.
pub fn tel_href(phone: &str) -> String {
    format!("tel:{}", phone.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect::<String>())
}
