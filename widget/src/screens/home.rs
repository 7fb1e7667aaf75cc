//! The cabinet's home: a greeting, the sections (each opens its screen; «Сообщения» and
//! «Документы на подпись» say how many wait for the client), the profile and sign-out.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::components::{form_alert::FormAlert, screen_heading::ScreenHeading};
use crate::form::FormState;
use crate::i18n::{fill, messages_label, signatures_label, t, T};
use crate::load::Load;
use crate::nav::{Nav, Screen};
use crate::WidgetConfig;

/// The sections that work, in the order a client looks for them, and the screens they open.
const SECTIONS: [(T, Screen); 7] = [
    (T::Loans, Screen::Loans),
    (T::Savings, Screen::Savings),
    (T::Contributions, Screen::Contributions),
    (T::Payments, Screen::Payments),
    (T::Applications, Screen::Applications),
    (T::Messages, Screen::Messages),
    (T::SignDocuments, Screen::Signatures),
];

#[component]
pub fn Home() -> impl IntoView {
    let config = expect_context::<WidgetConfig>();
    let lang = config.lang;
    let nav = expect_context::<Nav>();
    let Some(info) = nav.session.get_untracked() else {
        // Nobody is signed in (cannot normally happen): the login screen is the honest answer.
        nav.go(Screen::Login);
        return ().into_any();
    };
    let logout = FormState::new();
    // Only for the count of new messages on «Сообщения»: a failure just leaves the count out.
    let conversation = {
        let config = config.clone();
        Load::new(move || {
            let config = config.clone();
            async move { api::messages(&config).await }
        })
    };
    let unread = move || conversation.data().map_or(0, |v| v.unread);
    // Likewise for the count of documents awaiting a signature on «Документы на подпись»; the
    // answer also says whether the ПЭП agreement is accepted, which signing needs to know.
    let to_sign = {
        let config = config.clone();
        Load::new(move || {
            let config = config.clone();
            async move {
                let got = api::signatures(&config).await;
                if let Ok(v) = &got {
                    nav.set_agreement_accepted(v.agreement_accepted);
                }
                got
            }
        })
    };
    let awaiting = move || to_sign.data().map_or(0, |v| v.awaiting);
    let count = move |to: Screen| match to {
        Screen::Messages => unread(),
        Screen::Signatures => awaiting(),
        _ => 0,
    };
    let news = move |to: Screen| count(to) != 0;

    let sign_out = move |_| {
        if !logout.begin() {
            return;
        }
        logout.sending();
        let config = config.clone();
        spawn_local(async move {
            match api::logout(&config).await {
                // Already signed out on the server: to the person, the outcome is the same.
                Ok(()) => signed_out(nav),
                Err(f) if f.is(kabinet_api::ErrorCode::Unauthenticated) => signed_out(nav),
                Err(f) => logout.fail(f),
            }
        });
    };

    let sections = SECTIONS
        .iter()
        .map(|&(name, to)| {
            // «Документы на подпись (1)» is the button's name; on screen the number is a pill.
            let label = move || match to {
                Screen::Signatures if awaiting() != 0 => Some(signatures_label(lang, awaiting())),
                _ => None,
            };
            view! {
                <li>
                    // The arrow is drawing: the button's name is the section's name alone.
                    <button type="button" class="kb-section kb-section-open" on:click=move |_| nav.go(to)
                        class:kb-section-news=move || news(to) aria-label=label>
                        <span class="kb-section-name">{move || if to == Screen::Messages { messages_label(lang, unread()) } else { t(lang, name).to_owned() }}</span>
                        {move || (to == Screen::Signatures && awaiting() != 0).then(|| view! {
                            <span class="kb-badge kb-badge-new kb-section-count">{awaiting()}</span>
                        })}
                        <span class="kb-chevron" aria-hidden="true">"›"</span>
                    </button>
                </li>
            }
        })
        .collect_view();

    view! {
        <section class="kb-card kb-home" aria-labelledby="kb-home-title" data-kb-screen="home">
            <ScreenHeading id="kb-home-title" text=fill(lang, T::Hello, &[("name", &info.client.greeting_name)])/>
            <p class="kb-fullname">{info.client.full_name.clone()}</p>
            <div class="kb-actions">
                <button type="button" class="kb-button" on:click=move |_| nav.go(Screen::Profile)>{t(lang, T::Profile)}</button>
                <button type="button" class="kb-button kb-button-secondary" on:click=sign_out disabled=move || logout.busy.get()
                    aria-busy=move || logout.busy.get().then_some("true")>
                    {move || t(lang, if logout.busy.get() { T::Sending } else { T::Logout })}
                </button>
            </div>
            <FormAlert form=logout id="kb-logout-error"/>
        </section>
        <nav class="kb-card kb-sections-card" aria-labelledby="kb-sections-title">
            <h3 class="kb-subtitle" id="kb-sections-title">{t(lang, T::SectionsTitle)}</h3>
            <ul class="kb-sections">{sections}</ul>
        </nav>
    }
    .into_any()
}

/// The person signed out on purpose: an unsent message draft is not left in the tab for
/// whoever signs in next (a session that merely expired keeps it, see `MessageCompose`).
fn signed_out(nav: Nav) {
    crate::session_store::remove(crate::session_store::MESSAGE_DRAFT);
    nav.signed_out(T::LoggedOut);
}
