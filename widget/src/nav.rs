//! Which screen is showing, who is signed in, and the one-line notice the next screen shows.
//!
//! Navigation is an in-memory signal, not the URL: the widget lives inside someone else's page,
//! whose address and history are not ours to change.

use kabinet_api::auth::SessionInfo;
use leptos::prelude::*;

use crate::api::ApiFailure;
use crate::i18n::T;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Login,
    Register,
    Reset,
    Home,
    Profile,
    Loans,
    /// One loan contract: which one is [`Nav::contract`].
    Loan,
    Savings,
    /// One savings contract: which one is [`Nav::contract`].
    Saving,
    Contributions,
}

/// The contract a detail screen shows: its id for the API and its number, so the heading is
/// there (and takes focus) before the contract has loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contract {
    pub id: String,
    pub number: String,
}

/// Shared by every screen through context; all fields are signals, so it is `Copy`.
#[derive(Clone, Copy)]
pub struct Nav {
    screen: RwSignal<Screen>,
    /// Kept beside the screen rather than in it, so `Screen` stays `Copy` and a screen change
    /// does not rebuild the detail screen when only the contract is set.
    contract: StoredValue<Option<Contract>>,
    pub session: RwSignal<Option<SessionInfo>>,
    /// Said once on the next screen (e.g. «Вы вышли из кабинета.»), then forgotten.
    notice: StoredValue<Option<T>>,
    /// False until the person first moves between screens: the first screen must not take
    /// focus, since that would scroll the host page to the widget on load.
    navigated: StoredValue<bool>,
    /// Asks the screen's heading to take focus again, when what had focus below it has gone
    /// (the spinner, once the data «Повторить» asked for has come).
    refocus: Trigger,
}

impl Nav {
    pub fn new(session: Option<SessionInfo>) -> Self {
        let screen = if session.is_some() { Screen::Home } else { Screen::Login };
        Nav {
            screen: RwSignal::new(screen),
            contract: StoredValue::new(None),
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
    pub fn take_notice(&self) -> Option<T> {
        let n = self.notice.get_value();
        self.notice.set_value(None);
        n
    }

    pub fn signed_in(&self, info: SessionInfo) {
        self.session.set(Some(info));
        self.go(Screen::Home);
    }

    /// Back to the login screen with `notice` said there.
    pub fn signed_out(&self, notice: T) {
        self.session.set(None);
        self.notice.set_value(Some(notice));
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
