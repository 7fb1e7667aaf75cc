//! «Войти через Госуслуги»: starts the trip to ESIA and takes the page there. The button stays
//! busy from the press until ESIA's page replaces this one; a refusal shows in an alert under it.
//! Should the page not change (a loader too old to pass the frame's request on, a browser that
//! refused), a link to ESIA's page appears after a few seconds, as for the bank's page.

use leptos::either::Either;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::form_alert::FormAlert;
use crate::esia;
use crate::form::FormState;
use crate::i18n::{t, T};
use crate::WidgetConfig;

/// How long the page may take to change before the link is offered.
const FALLBACK_AFTER_MS: u64 = 4_000;

#[component]
pub fn EsiaButton(
    label: T,
    /// `data-kb-action`, the stable name browser tests find the button by.
    action: &'static str,
    /// Id of the alert that shows a refusal.
    error_id: &'static str,
    /// Id of a hint the button is described by.
    #[prop(optional)]
    hint_id: Option<&'static str>,
    /// The screen's main action (filled), rather than an alternative to it (outlined).
    #[prop(optional)]
    primary: bool,
) -> impl IntoView {
    let config = expect_context::<WidgetConfig>();
    let lang = config.lang;
    let form = FormState::new();
    let blocked = form.blocked();
    // ESIA's page, once the page has been asked to go there and has not gone for a while.
    let fallback = RwSignal::new(None::<String>);
    // Back from ESIA's page with the browser's «Назад», the page may come back from the
    // back-forward cache exactly as it was left, the button busy for good: it is freed.
    let restored = window_event_listener(leptos::ev::pageshow, move |e| {
        if e.persisted() {
            form.finish();
            fallback.set(None);
        }
    });
    on_cleanup(move || restored.remove());
    let press = move |_| {
        if blocked.get_untracked() || !form.begin() {
            return;
        }
        form.sending();
        let config = config.clone();
        spawn_local(async move {
            match esia::start(&config).await {
                // The button stays busy: the page is leaving.
                Ok(url) => set_timeout(
                    move || {
                        fallback.try_set(Some(url));
                    },
                    std::time::Duration::from_millis(FALLBACK_AFTER_MS),
                ),
                Err(f) => form.fail(f),
            }
        });
    };
    let class = if primary { "kb-button kb-button-wide" } else { "kb-button kb-button-secondary kb-button-wide" };
    view! {
        <div class="kb-esia-start">
            // aria-disabled rather than disabled: a disabled button drops the keyboard focus to
            // the page, and a refusal would then be announced with the focus lost.
            <button type="button" class=class data-kb-action=action aria-describedby=hint_id
                aria-disabled=move || blocked.get().then_some("true") aria-busy=move || form.busy.get().then_some("true") on:click=press>
                {move || if form.busy.get() {
                    Either::Left(view! { <span class="kb-spinner kb-spinner-small" aria-hidden="true"></span>{t(lang, T::EsiaGoing)} })
                } else {
                    Either::Right(t(lang, label))
                }}
            </button>
            <FormAlert form=form id=error_id/>
            {move || fallback.get().map(|url| view! {
                <p class="kb-hint" role="status">
                    {t(lang, T::EsiaFallback)}" "
                    // The top-level page, as ESIA requires; a click lets a frame open it.
                    <a class="kb-link" href=url target="_top" rel="noreferrer">{t(lang, T::EsiaGoLink)}</a>
                </p>
            })}
        </div>
    }
}
