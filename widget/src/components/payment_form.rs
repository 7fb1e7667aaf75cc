//! What every card payment form shares: its fields (the children), the ledger's figures asked
//! for as soon as the choice is made (after a pause while an amount is being typed), and
//! «Оплатить X ₽», usable only while the figures on screen are for the fields as they now
//! stand, with X the amount the bank will charge. Starting carries one idempotency key per
//! submission; a changed amount (409) brings the new figures to confirm; a started payment is
//! noted in the tab and the client is taken to the bank's page.

use kabinet_api::payments::{PaymentPreview, PaymentRequest, StartPayment};
use kabinet_api::ErrorCode;
use leptos::either::Either;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, ApiFailure};
use crate::components::{bank_redirect::BankRedirect, form_alert::FormAlert, payment_preview::PaymentPreviewView};
use crate::form::{FormState, Problem};
use crate::i18n::{fill, rub, t, T};
use crate::idempotency::{self, settled, Submission};
use crate::nav::Nav;
use crate::payment_return;
use crate::session_store::PENDING_PAYMENT;
use crate::trip;
use crate::WidgetConfig;

/// Id of the line that says why there are no figures (an unreadable amount, a refusal).
pub const PREVIEW_ERROR_ID: &str = "kb-pay-preview-error";
/// Id of the alert of the payment's start.
const ERROR_ID: &str = "kb-pay-error";
const HINT_ID: &str = "kb-pay-hint";

/// How long typing must pause before the figures for a typed amount are asked for: one request
/// per amount, not per keystroke.
const TYPING_PAUSE_MS: u64 = 600;

/// The state a payment form's fields read to mark themselves: the start's problem and the
/// figures' problem, kept apart because only the first takes focus (the second comes while the
/// person types, and moving focus then would take the field from under their fingers).
#[derive(Clone, Copy)]
pub struct PayState {
    pub form: FormState,
    pub preview_problem: RwSignal<Option<Problem>>,
}

impl PayState {
    pub fn new() -> Self {
        PayState { form: FormState::new(), preview_problem: RwSignal::new(None) }
    }

    /// Whether the figures' problem is about the field labelled `label`: one of `codes`, or a
    /// check of that field.
    pub fn marks(&self, codes: &'static [ErrorCode], label: T) -> Signal<bool> {
        let problem = self.preview_problem;
        Signal::derive(move || match problem.get() {
            Some(Problem::Failure(ApiFailure::Api { code, .. })) => codes.contains(&code),
            Some(Problem::Invalid { field, .. }) => field == label,
            _ => false,
        })
    }
}

/// The figures on screen and the request for them; `Copy`, for handlers and tasks.
#[derive(Clone, Copy)]
struct Figures {
    got: RwSignal<Option<(PaymentRequest, PaymentPreview)>>,
    busy: RwSignal<bool>,
    problem: RwSignal<Option<Problem>>,
    /// Counts requests, so an answer a later choice has replaced is dropped.
    asked: StoredValue<u32>,
}

impl Figures {
    /// Asks the ledger for the figures of `wanted` after `pause_ms`, unless the choice changes
    /// meanwhile; a choice that cannot be sent says why (after the same pause: not while a
    /// half-typed amount is still being typed).
    fn ask(self, config: WidgetConfig, nav: Nav, wanted: Result<PaymentRequest, Problem>, pause_ms: u64) {
        // `try_`: also called from a task whose form may have gone meanwhile.
        let Some(n) = self.asked.try_get_value().map(|n| n.wrapping_add(1)) else { return };
        self.asked.try_set_value(n);
        self.problem.try_set(None);
        let current = move || self.asked.try_get_value() == Some(n);
        let run = move || {
            if !current() {
                return;
            }
            let request = match wanted {
                Ok(r) => r,
                Err(Problem::Empty(_)) => return,
                Err(p) => {
                    self.problem.try_set(Some(p));
                    return;
                }
            };
            self.busy.try_set(true);
            spawn_local(async move {
                let outcome = api::preview_payment(&config, &request).await;
                if !current() {
                    return;
                }
                self.busy.try_set(false);
                match outcome {
                    Ok(p) => {
                        self.got.try_set(Some((request, p)));
                    }
                    Err(f) if nav.session_ended(&f) => {}
                    Err(f) => {
                        self.problem.try_set(Some(f.into()));
                    }
                }
            });
        };
        self.busy.try_set(false);
        if pause_ms == 0 {
            run();
        } else {
            set_timeout(run, std::time::Duration::from_millis(pause_ms));
        }
    }
}

/// A payment on its way to the bank.
#[derive(Clone)]
struct Leaving {
    url: String,
    id: String,
    number: String,
}

#[component]
pub fn PaymentForm<B>(
    /// Made by the caller so its fields can mark themselves from it.
    state: PayState,
    /// The payment as the fields now stand, checked as the server would check it; reads the
    /// fields tracked, so the form knows when they change.
    request: B,
    /// The fields.
    children: Children,
) -> impl IntoView
where
    B: Fn() -> Result<PaymentRequest, Problem> + Send + Sync + 'static,
{
    let config = expect_context::<WidgetConfig>();
    let lang = config.lang;
    let nav = expect_context::<Nav>();
    let form = state.form;
    let submission = Submission::new();
    let figures = Figures { got: RwSignal::new(None), busy: RwSignal::new(false), problem: state.preview_problem, asked: StoredValue::new(0) };
    let leaving = RwSignal::new(None::<Leaving>);
    let wanted = Memo::new(move |_| request());
    // Figures for other values than those now in the fields are not shown: they would be wrong.
    let shown = Memo::new(move |_| {
        let now = wanted.get().ok()?;
        figures.got.with(|g| g.as_ref().filter(|(r, _)| *r == now).map(|(_, p)| p.clone()))
    });

    // Every change of the choice asks for its figures: at once for a choice among the options,
    // after a pause for a typed amount.
    Effect::new({
        let config = config.clone();
        move |_| {
            let w = wanted.get();
            let pause = if matches!(&w, Ok(r) if r.amount.is_some()) { TYPING_PAUSE_MS } else { 0 };
            figures.ask(config.clone(), nav, w, pause);
        }
    });

    let submit = {
        let config = config.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let (Some(preview), Ok(request)) = (shown.get_untracked(), wanted.get_untracked()) else { return };
            if !form.begin() {
                return;
            }
            let body = StartPayment {
                contract_id: request.contract_id.clone(),
                purpose: request.purpose,
                amount: request.amount,
                expected_amount: preview.amount,
                return_to: trip::return_to(&config),
            };
            // One payment being started at a time, kept across screens: see [`Submission`].
            let key = submission.key_for(PENDING_PAYMENT, &idempotency::fingerprint(&[format!("{body:?}")]));
            form.sending();
            let config = config.clone();
            spawn_local(async move {
                match api::start_payment(&config, &body, &key).await {
                    Ok(started) => {
                        submission.finished(PENDING_PAYMENT, &key);
                        if !trip::navigable(&started.payment_url) {
                            form.fail(ApiFailure::Unreadable);
                            return;
                        }
                        form.finish();
                        payment_return::remember(&started.payment);
                        let going = Leaving {
                            url: started.payment_url.clone(),
                            id: started.payment.id.clone(),
                            number: started.payment.contract_number.clone(),
                        };
                        // Only from this form still on screen: a person who has gone to another
                        // screen meanwhile is not taken off the page.
                        // (Should the page not change, the redirect offers a link after a while.)
                        if leaving.try_set(Some(going)).is_none() {
                            let _ = trip::go_top_level(&config, &started.payment_url);
                        }
                    }
                    Err(f) => {
                        if settled(&f) {
                            submission.finished(PENDING_PAYMENT, &key);
                        }
                        if nav.session_ended(&f) {
                            return;
                        }
                        // The amount is not what the client saw: the new figures come, and the
                        // button asks for a confirmation of them.
                        let changed = f.is(ErrorCode::PaymentAmountChanged);
                        form.fail(f);
                        if changed {
                            figures.got.try_set(None);
                            if let Some(now) = wanted.try_get_untracked() {
                                figures.ask(config, nav, now, 0);
                            }
                        }
                    }
                }
            });
        }
    };

    // A local handle to the configuration: what the views hold must be `Send`.
    let stored_config = StoredValue::new_local(config.clone());
    let ask_again = move || {
        if let Some(config) = stored_config.try_get_value() {
            figures.ask(config, nav, wanted.get_untracked(), 0);
        }
    };
    let no_figures = Signal::derive(move || shown.with(|s| s.is_none()));
    let blocked = Signal::derive(move || form.busy.get() || form.wait.running() || no_figures.get());
    let label = move || match shown.get() {
        Some(p) => fill(lang, T::PayAmount, &[("sum", &rub(p.amount))]),
        None => t(lang, T::PayButton).to_owned(),
    };
    view! {
        <form class="kb-form kb-pay-form" novalidate on:submit=submit hidden=move || leaving.with(|l| l.is_some())>
            {children()}
            <Show when=move || figures.problem.with(|p| p.is_some())>
                <div class="kb-alert">
                    <p class="kb-alert-text" role="alert" id=PREVIEW_ERROR_ID>
                        {move || figures.problem.get().map(|p| p.text(lang))}
                    </p>
                    // The shim did not answer or refused for now: the same choice can be asked
                    // again without changing it.
                    <Show when=move || figures.problem.with(|p| matches!(p, Some(Problem::Failure(_))))>
                        <button type="button" class="kb-button kb-button-secondary" on:click=move |_| ask_again()>{t(lang, T::Retry)}</button>
                    </Show>
                </div>
            </Show>
            <div class="kb-pay-figures" aria-busy=move || figures.busy.get().then_some("true")>
                <Show when=move || figures.busy.get()>
                    <div class="kb-loading kb-loading-inline">
                        <span class="kb-spinner kb-spinner-small" aria-hidden="true"></span>
                        <span>{t(lang, T::Calculating)}</span>
                    </div>
                </Show>
                {move || shown.get().map(|p| view! { <PaymentPreviewView preview=p/> })}
            </div>
            // Said when figures arrive: the preview does not take focus, this line is read. Seen
            // on screen already (the figures, the button), so shown to screen readers only.
            <p class="kb-pay-ready" role="status">
                {move || shown.get().map(|p| fill(lang, T::PayPreviewReady, &[("sum", &rub(p.amount))]))}
            </p>
            <FormAlert form=form id=ERROR_ID/>
            <p class="kb-hint" id=HINT_ID hidden=move || !no_figures.get()>{t(lang, T::PayNeedsPreview)}</p>
            <div class="kb-actions">
                <button type="submit" class="kb-button kb-pay-button" disabled=move || blocked.get()
                    aria-busy=move || form.busy.get().then_some("true")
                    aria-describedby=move || no_figures.get().then_some(HINT_ID)>
                    {move || if form.busy.get() {
                        Either::Left(view! { <span class="kb-spinner kb-spinner-small" aria-hidden="true"></span>{t(lang, T::Sending)} })
                    } else {
                        Either::Right(label())
                    }}
                </button>
            </div>
        </form>
        {move || leaving.get().map(|l| view! { <BankRedirect url=l.url id=l.id number=l.number/> })}
    }
}
