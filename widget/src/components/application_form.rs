//! What every application form shares: its fields (the children), «Рассчитать» which asks the
//! ledger what the application would mean, the preview, and «Отправить заявку», usable only
//! while the preview on screen is for the fields as they now stand. Sending carries one
//! idempotency key per submission; after a 201 the person is taken to «Заявления».

use kabinet_api::requests::{ApplicationPreview, NewApplication};
use leptos::either::Either;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::components::{application_preview::ApplicationPreviewView, form_alert::FormAlert, submit_button::SubmitButton};
use crate::form::{FormState, Problem};
use crate::idempotency::{self, settled, Submission};
use crate::i18n::{t, T};
use crate::nav::{Nav, Notice, Screen};
use crate::session_store;
use crate::WidgetConfig;

#[component]
pub fn ApplicationForm<B>(
    /// The form's state, made by the caller so its fields can mark themselves from it.
    form: FormState,
    /// The application as the fields now stand, checked as the server would check it; reads
    /// the fields tracked, so the form knows when they change.
    request: B,
    /// Id of the form's alert (the fields' `error_id`).
    error_id: &'static str,
    /// The fields.
    children: Children,
) -> impl IntoView
where
    B: Fn() -> Result<NewApplication, Problem> + Clone + Send + Sync + 'static,
{
    let config = expect_context::<WidgetConfig>();
    let lang = config.lang;
    let nav = expect_context::<Nav>();
    let calculating = RwSignal::new(false);
    let sending = RwSignal::new(false);
    let submission = Submission::new();
    // The preview and the application it was computed for.
    let preview = RwSignal::new(None::<(NewApplication, ApplicationPreview)>);
    // Set when an answer has just come: only then does the preview take focus, not when a
    // field changed back to the values it was computed for.
    let fresh = StoredValue::new(false);
    let build = request;
    let current = Memo::new({
        let build = build.clone();
        move |_| build().ok()
    });
    // A preview for other values than those now in the fields is not shown: it would be wrong.
    let shown = Memo::new(move |_| {
        let now = current.get()?;
        preview.with(|p| p.as_ref().filter(|(body, _)| *body == now).map(|(_, p)| p.clone()))
    });

    let calculate = {
        let (config, build) = (config.clone(), build.clone());
        move |_| {
            if !form.begin() {
                return;
            }
            let Some(body) = form.check(&build) else { return };
            form.sending();
            calculating.set(true);
            let config = config.clone();
            spawn_local(async move {
                let outcome = api::preview_application(&config, &body).await;
                calculating.try_set(false);
                match outcome {
                    Ok(p) => {
                        form.finish();
                        fresh.try_set_value(true);
                        preview.try_set(Some((body, p)));
                    }
                    Err(f) if nav.session_ended(&f) => {}
                    Err(f) => form.fail(f),
                }
            });
        }
    };

    let send = {
        let config = config.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            if shown.get_untracked().is_none() || !form.begin() {
                return;
            }
            let Some(body) = form.check(&build) else { return };
            // One pending application per kind, kept across screens: see [`Submission`].
            let slot = session_store::pending_application(body.kind().as_str());
            let key = submission.key_for(&slot, &idempotency::fingerprint(&[format!("{body:?}")]));
            form.sending();
            sending.set(true);
            let config = config.clone();
            spawn_local(async move {
                let outcome = api::send_application(&config, &body, &key).await;
                sending.try_set(false);
                match outcome {
                    Ok(application) => {
                        submission.finished(&slot, &key);
                        form.finish();
                        let notice = Notice { key: T::ApplicationSent, values: vec![("number", application.number)] };
                        nav.go_with_notice(Screen::Applications, notice);
                    }
                    Err(f) => {
                        if settled(&f) {
                            submission.finished(&slot, &key);
                        }
                        if !nav.session_ended(&f) {
                            form.fail(f);
                        }
                    }
                }
            });
        }
    };

    let no_preview = Signal::derive(move || shown.with(|s| s.is_none()));
    let blocked = Signal::derive(move || form.busy.get() || form.wait.running() || no_preview.get());
    let calc_blocked = form.blocked();
    view! {
        <form class="kb-form kb-application-form" novalidate on:submit=send>
            {children()}
            <FormAlert form=form id=error_id/>
            <div class="kb-actions">
                <button type="button" class="kb-button kb-button-secondary" on:click=calculate
                    disabled=move || calc_blocked.get() aria-busy=move || calculating.get().then_some("true")>
                    {move || if calculating.get() {
                        Either::Left(view! { <span class="kb-spinner kb-spinner-small" aria-hidden="true"></span>{t(lang, T::Calculating)} })
                    } else {
                        Either::Right(t(lang, T::Calculate))
                    }}
                </button>
            </div>
            {move || shown.get().map(|p| {
                let focus = fresh.get_value();
                fresh.set_value(false);
                view! { <ApplicationPreviewView preview=p focus=focus/> }
            })}
            <p class="kb-hint" id="kb-send-hint" hidden=move || !no_preview.get()>{t(lang, T::SendNeedsPreview)}</p>
            <div class="kb-actions">
                <SubmitButton label=T::SendApplication busy=sending blocked=blocked/>
            </div>
        </form>
    }
}
