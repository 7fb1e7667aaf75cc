//! Which screen is showing, who is signed in, and the one-line notice the next screen shows.
//!
//! Navigation is an in-memory signal, not the URL: the widget lives inside someone else's page,
//! whose address and history are not ours to change.

use kabinet_api::auth::SessionInfo;
use kabinet_api::payments::PaymentContractKind;
use kabinet_api::requests::ApplicationKind;
use leptos::prelude::*;

use crate::api::ApiFailure;
use crate::i18n::{fill, Lang, T};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Login,
    Register,
    Reset,
    /// Back from ESIA (Госуслуги), signed out: how the trip ended, and what to do next.
    EsiaReturn,
    Home,
    Profile,
    Loans,
    /// One loan contract: which one is [`Nav::contract`].
    Loan,
    Savings,
    /// One savings contract: which one is [`Nav::contract`].
    Saving,
    Contributions,
    /// «Заявления»: every application and its status.
    Applications,
    /// A new application: which kind is [`Nav::kind`], a preselected contract [`Nav::contract`].
    NewApplication,
    /// «Сообщения»: the conversation and the form to write.
    Messages,
    /// One message: which one is [`Nav::message`].
    Message,
    /// «Платежи»: the client's card payments.
    Payments,
    /// Paying by card for one contract: which one is [`Nav::pay_target`].
    Pay,
    /// One card payment's status: which one is [`Nav::payment`].
    Payment,
    /// «Документы на подпись»: the documents the organisation sent the client to sign.
    Signatures,
    /// One document for signature: which one is [`Nav::signature`].
    Signature,
}

/// A one-line notice for the next screen: a text key and the values of its placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub key: T,
    pub values: Vec<(&'static str, String)>,
}

impl Notice {
    pub fn text(&self, lang: Lang) -> String {
        let values: Vec<(&str, &str)> = self.values.iter().map(|(k, v)| (*k, v.as_str())).collect();
        fill(lang, self.key, &values)
    }
}

impl From<T> for Notice {
    fn from(key: T) -> Self {
        Notice { key, values: Vec::new() }
    }
}

/// The contract a detail screen shows: its id for the API and its number, so the heading is
/// there (and takes focus) before the contract has loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contract {
    pub id: String,
    pub number: String,
}

/// The card payment a status screen shows: its id, its contract's number when already known
/// (for the heading, which is there before the payment has loaded), and where «Назад» goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRef {
    pub id: String,
    pub number: Option<String>,
    pub back: Screen,
}

/// The document for signature a screen shows: its id for the API and its title, so the
/// heading is there (and takes focus) before the document has loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureRef {
    pub id: String,
    pub title: String,
}

/// Shared by every screen through context; all fields are signals, so it is `Copy`.
#[derive(Clone, Copy)]
pub struct Nav {
    screen: RwSignal<Screen>,
    /// Kept beside the screen rather than in it, so `Screen` stays `Copy` and a screen change
    /// does not rebuild the detail screen when only the contract is set.
    contract: StoredValue<Option<Contract>>,
    /// The kind of application `Screen::NewApplication` makes, and the screen its «Назад» goes to.
    kind: StoredValue<(ApplicationKind, Screen)>,
    /// The message `Screen::Message` shows: its id, and when it was sent (for the heading,
    /// which is there before the message has loaded).
    message: StoredValue<Option<(String, String)>>,
    /// The contract id a new application's form starts with.
    preselect: StoredValue<Option<String>>,
    /// The contract `Screen::Pay` pays into, and its kind.
    pay: StoredValue<Option<(PaymentContractKind, Contract)>>,
    /// The payment `Screen::Payment` shows.
    payment: StoredValue<Option<PaymentRef>>,
    /// The document `Screen::Signature` shows.
    signature: StoredValue<Option<SignatureRef>>,
    /// Whether the ПЭП agreement is accepted, as the last list of documents said; `None`
    /// before one has loaded (the server's `agreement_required` then tells).
    agreement: StoredValue<Option<bool>>,
    /// A payment to show once the client has signed in (they came back from the bank signed
    /// out, or their session ended while the status was showing).
    resume: StoredValue<Option<String>>,
    pub session: RwSignal<Option<SessionInfo>>,
    /// Said once on the next screen (e.g. «Вы вышли из кабинета.»), then forgotten.
    notice: StoredValue<Option<Notice>>,
    /// False until the person first moves between screens: the first screen must not take
    /// focus, since that would scroll the host page to the widget on load.
    navigated: StoredValue<bool>,
    /// Asks the screen's heading to take focus again, when what had focus below it has gone
    /// (the spinner, once the data «Повторить» asked for has come).
    refocus: Trigger,
}

/// The screen the widget starts on.
fn first_screen(signed_in: bool, returned_payment: bool, esia_return: bool) -> Screen {
    match (signed_in, returned_payment, esia_return) {
        (true, true, _) => Screen::Payment,
        (true, false, _) => Screen::Home,
        (false, _, true) => Screen::EsiaReturn,
        (false, _, false) => Screen::Login,
    }
}

impl Nav {
    /// `returned`: the card payment the client has come back from the bank for; its status is
    /// the first screen, or the first after signing in. `esia_return`: the client has come back
    /// from ESIA; signed out, how that ended is the first screen (signed in already, there is
    /// nothing to sign in to).
    pub fn new(session: Option<SessionInfo>, returned: Option<PaymentRef>, esia_return: bool) -> Self {
        let signed_in = session.is_some();
        let screen = first_screen(signed_in, returned.is_some(), esia_return);
        let (payment, resume) = if signed_in { (returned, None) } else { (None, returned.map(|r| r.id)) };
        Nav {
            screen: RwSignal::new(screen),
            contract: StoredValue::new(None),
            kind: StoredValue::new((ApplicationKind::Loan, Screen::Applications)),
            message: StoredValue::new(None),
            preselect: StoredValue::new(None),
            pay: StoredValue::new(None),
            payment: StoredValue::new(payment),
            signature: StoredValue::new(None),
            agreement: StoredValue::new(None),
            resume: StoredValue::new(resume),
            session: RwSignal::new(session),
            notice: StoredValue::new(None),
            navigated: StoredValue::new(false),
            refocus: Trigger::new(),
        }
    }

    pub fn screen(&self) -> Screen {
        self.screen.get()
    }

    pub fn go(&self, to: Screen) {
        self.navigated.set_value(true);
        self.screen.set(to);
    }

    /// Opens a contract's detail screen (`Screen::Loan` or `Screen::Saving`).
    pub fn open(&self, to: Screen, contract: Contract) {
        self.contract.set_value(Some(contract));
        self.go(to);
    }

    /// The contract the detail screen being built shows.
    pub fn contract(&self) -> Option<Contract> {
        self.contract.get_value()
    }

    /// Opens the form of a new application of `kind`, with `contract` chosen in it (early
    /// repayment and withdrawal); its «Назад» returns to the screen it was opened from.
    pub fn apply(&self, kind: ApplicationKind, contract: Option<Contract>) {
        let from = self.screen.get_untracked();
        self.kind.set_value((kind, from));
        if contract.is_some() {
            self.contract.set_value(contract.clone());
        }
        self.preselect.set_value(contract.map(|c| c.id));
        self.go(Screen::NewApplication);
    }

    /// The kind of application the form being built makes, and where «Назад» goes.
    pub fn kind(&self) -> (ApplicationKind, Screen) {
        self.kind.get_value()
    }

    /// The contract the new application's form starts with, if one was chosen before.
    pub fn preselected(&self) -> Option<String> {
        self.preselect.get_value()
    }

    /// Opens one message.
    pub fn open_message(&self, id: String, sent_at: String) {
        self.message.set_value(Some((id, sent_at)));
        self.go(Screen::Message);
    }

    /// The message the message screen shows.
    pub fn message(&self) -> Option<(String, String)> {
        self.message.get_value()
    }

    /// Opens the card payment form for `contract` (its detail screen is where «Назад» goes).
    pub fn pay(&self, kind: PaymentContractKind, contract: Contract) {
        self.contract.set_value(Some(contract.clone()));
        self.pay.set_value(Some((kind, contract)));
        self.go(Screen::Pay);
    }

    /// The contract the payment form being built pays into.
    pub fn pay_target(&self) -> Option<(PaymentContractKind, Contract)> {
        self.pay.get_value()
    }

    /// Opens one card payment's status.
    pub fn open_payment(&self, payment: PaymentRef) {
        self.payment.set_value(Some(payment));
        self.go(Screen::Payment);
    }

    /// The payment the status screen shows.
    pub fn payment(&self) -> Option<PaymentRef> {
        self.payment.get_value()
    }

    /// Opens one document for signature.
    pub fn open_signature(&self, signature: SignatureRef) {
        self.signature.set_value(Some(signature));
        self.go(Screen::Signature);
    }

    /// The document the signature screen shows.
    pub fn signature(&self) -> Option<SignatureRef> {
        self.signature.get_value()
    }

    /// Whether the ПЭП agreement is known to be accepted (`None`: not known yet).
    pub fn agreement_accepted(&self) -> Option<bool> {
        self.agreement.try_get_value().flatten()
    }

    /// Remembers what the server said of the agreement; `try_` because an answer may come
    /// after the person has signed out.
    pub fn set_agreement_accepted(&self, accepted: bool) {
        self.agreement.try_set_value(Some(accepted));
    }

    /// Shows payment `id` again once the client has signed in: call before sending them to the
    /// login screen.
    pub fn resume_payment(&self, id: String) {
        self.resume.set_value(Some(id));
    }

    /// Goes to `to` with `notice` said there once.
    pub fn go_with_notice(&self, to: Screen, notice: Notice) {
        self.notice.set_value(Some(notice));
        self.go(to);
    }

    /// Whether a screen that has just appeared should move focus to its heading.
    pub fn should_focus(&self) -> bool {
        self.navigated.get_value()
    }

    /// Moves focus to the current screen's heading.
    pub fn focus_heading(&self) {
        self.refocus.notify();
    }

    /// Tracks [`Nav::focus_heading`] calls, for the heading to follow.
    pub fn track_focus_heading(&self) {
        self.refocus.track();
    }

    /// The notice for the screen being built, if any; it is shown once.
    pub fn take_notice(&self) -> Option<Notice> {
        let n = self.notice.get_value();
        self.notice.set_value(None);
        n
    }

    pub fn signed_in(&self, info: SessionInfo) {
        self.session.set(Some(info));
        match self.resume.get_value() {
            Some(id) => {
                self.resume.set_value(None);
                let number = crate::payment_return::remembered_number(&id);
                self.open_payment(PaymentRef { id, number, back: Screen::Home });
            }
            None => self.go(Screen::Home),
        }
    }

    /// Back to the login screen with `notice` said there.
    pub fn signed_out(&self, notice: T) {
        self.session.set(None);
        // Whoever signs in next has their own agreement, or none.
        self.agreement.set_value(None);
        self.notice.set_value(Some(notice.into()));
        self.go(Screen::Login);
    }

    /// After a call that needs a session: if the server says there is none any more, the person
    /// is taken to the login screen and told why. Returns whether that happened.
    pub fn session_ended(&self, failure: &ApiFailure) -> bool {
        let ended = failure.is(kabinet_api::ErrorCode::Unauthenticated);
        if ended {
            self.signed_out(T::SessionEnded);
        }
        ended
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_screen_follows_where_the_client_comes_back_from() {
        assert_eq!(first_screen(false, false, false), Screen::Login);
        assert_eq!(first_screen(false, false, true), Screen::EsiaReturn);
        // The payment waits until the ESIA sign-in has finished (see `Nav::signed_in`).
        assert_eq!(first_screen(false, true, true), Screen::EsiaReturn);
        assert_eq!(first_screen(true, false, true), Screen::Home);
        assert_eq!(first_screen(true, true, true), Screen::Payment);
    }
}
