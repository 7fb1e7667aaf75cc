//! What every form shares: the busy flag, the error it shows, the rate-limit wait, and the
//! checks made before sending, worded exactly as the server words the same refusals.

use kabinet_api::auth::{CODE_DIGITS, PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS};
use kabinet_api::phone::PhoneError;
use kabinet_api::{ErrorCode, Phone};
use leptos::prelude::*;

use crate::api::ApiFailure;
use crate::countdown::Countdown;
use crate::i18n::{fill, t, Lang, T};

/// Why a form could not go on.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// The server refused, or did not answer, or a client-side check found what it would refuse.
    Failure(ApiFailure),
    /// A required field (named by its label) is empty.
    Empty(T),
}

impl Problem {
    pub fn text(&self, lang: Lang) -> String {
        match self {
            Problem::Failure(f) => f.text(lang).to_owned(),
            Problem::Empty(label) => fill(lang, T::EmptyField, &[("field", t(lang, *label))]),
        }
    }
}

impl From<ApiFailure> for Problem {
    fn from(f: ApiFailure) -> Self {
        Problem::Failure(f)
    }
}

impl From<ErrorCode> for Problem {
    fn from(code: ErrorCode) -> Self {
        Problem::Failure(ApiFailure::code(code))
    }
}

/// The state of one form; `Copy`, so handlers and async tasks take it by value.
#[derive(Clone, Copy)]
pub struct FormState {
    pub busy: RwSignal<bool>,
    pub problem: RwSignal<Option<Problem>>,
    /// Running while the server has said `rate_limited`; the submit button waits for it.
    pub wait: Countdown,
    /// A quiet success line («Пароль изменён.»), cleared by the next attempt.
    pub done: RwSignal<Option<T>>,
}

impl FormState {
    pub fn new() -> Self {
        FormState { busy: RwSignal::new(false), problem: RwSignal::new(None), wait: Countdown::new(), done: RwSignal::new(None) }
    }

    /// Starts an attempt unless one is running or the server asked to wait; clears old messages.
    pub fn begin(&self) -> bool {
        if self.busy.get_untracked() || self.wait.running_untracked() {
            return false;
        }
        self.problem.set(None);
        self.done.set(None);
        true
    }

    /// Runs the client-side checks; on a refusal shows it and gives `None`, so a handler can
    /// `let Some(v) = form.check(|| ...) else { return };`.
    pub fn check<V>(&self, checks: impl FnOnce() -> Result<V, Problem>) -> Option<V> {
        match checks() {
            Ok(v) => Some(v),
            Err(problem) => {
                self.refuse(problem);
                None
            }
        }
    }

    /// A client-side check failed: nothing is sent.
    pub fn refuse(&self, problem: impl Into<Problem>) {
        self.problem.set(Some(problem.into()));
    }

    pub fn sending(&self) {
        self.busy.set(true);
    }

    /// The answer came; `try_` because the person may have left the screen meanwhile.
    pub fn finish(&self) {
        self.busy.try_set(false);
    }

    pub fn fail(&self, failure: ApiFailure) {
        self.busy.try_set(false);
        if let Some(secs) = failure.retry_after_secs() {
            self.wait.start(secs);
        }
        self.problem.try_set(Some(Problem::Failure(failure)));
    }

    /// Whether the current problem is about a field: one of `codes`, or `label` left empty.
    pub fn marks(&self, codes: &'static [ErrorCode], label: T) -> Signal<bool> {
        let problem = self.problem;
        Signal::derive(move || match problem.get() {
            Some(Problem::Failure(ApiFailure::Api { code, .. })) => codes.contains(&code),
            Some(Problem::Empty(l)) => l == label,
            _ => false,
        })
    }

    /// Whether the submit button is usable.
    pub fn blocked(&self) -> Signal<bool> {
        let (busy, wait) = (self.busy, self.wait);
        Signal::derive(move || busy.get() || wait.running())
    }
}

/// Error codes that point at each kind of field, for `aria-invalid`.
pub const PHONE_CODES: &[ErrorCode] = &[ErrorCode::InvalidPhone, ErrorCode::PhoneNotMobile, ErrorCode::InvalidCredentials];
pub const NEW_PHONE_CODES: &[ErrorCode] =
    &[ErrorCode::InvalidPhone, ErrorCode::PhoneNotMobile, ErrorCode::SamePhone, ErrorCode::PhoneTaken];
pub const PASSWORD_CODES: &[ErrorCode] = &[ErrorCode::InvalidCredentials, ErrorCode::WrongPassword];
pub const NEW_PASSWORD_CODES: &[ErrorCode] = &[
    ErrorCode::PasswordTooShort,
    ErrorCode::PasswordTooLong,
    ErrorCode::PasswordCommon,
    ErrorCode::PasswordLikePhone,
];
pub const CODE_CODES: &[ErrorCode] =
    &[ErrorCode::CodeInvalid, ErrorCode::CodeExpired, ErrorCode::CodeUsed, ErrorCode::CodeAttemptsExceeded];
pub const NAME_CODES: &[ErrorCode] = &[ErrorCode::InvalidName];
pub const CONSENT_CODES: &[ErrorCode] = &[ErrorCode::ConsentRequired];
pub const PERIOD_CODES: &[ErrorCode] = &[ErrorCode::InvalidPeriod];

/// A required text field: its trimmed value, or the "fill in" problem naming its label.
pub fn required(value: &str, label: T) -> Result<String, Problem> {
    let v = value.trim();
    if v.is_empty() {
        Err(Problem::Empty(label))
    } else {
        Ok(v.to_owned())
    }
}

/// The phone as the person typed it, checked with the same parser the server uses.
pub fn phone(value: &str, label: T) -> Result<Phone, Problem> {
    let v = required(value, label)?;
    Phone::parse(&v).map_err(|e| match e {
        PhoneError::Malformed => ErrorCode::InvalidPhone.into(),
        PhoneError::NotRussianMobile => ErrorCode::PhoneNotMobile.into(),
    })
}

/// A password being chosen: the server's length limits, counted in characters as it counts.
/// Not trimmed: spaces are part of a password.
pub fn new_password(value: &str, label: T) -> Result<String, Problem> {
    if value.is_empty() {
        return Err(Problem::Empty(label));
    }
    let n = value.chars().count();
    if n < PASSWORD_MIN_CHARS {
        return Err(ErrorCode::PasswordTooShort.into());
    }
    if n > PASSWORD_MAX_CHARS {
        return Err(ErrorCode::PasswordTooLong.into());
    }
    Ok(value.to_owned())
}

/// A password being given (login, confirmation): only that it is there.
pub fn password(value: &str, label: T) -> Result<String, Problem> {
    if value.is_empty() {
        Err(Problem::Empty(label))
    } else {
        Ok(value.to_owned())
    }
}

/// An SMS code: spaces people type between digit groups are dropped; six digits or the
/// server's "wrong code" sentence.
pub fn code(value: &str, label: T) -> Result<String, Problem> {
    let digits: String = value.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    if digits.is_empty() {
        return Err(Problem::Empty(label));
    }
    if digits.chars().count() != CODE_DIGITS || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(ErrorCode::CodeInvalid.into());
    }
    Ok(digits)
}

/// Фамилия Имя [Отчество]: at least two words; the server checks the letters.
pub fn full_name(value: &str, label: T) -> Result<String, Problem> {
    let v = required(value, label)?;
    if v.split_whitespace().count() < 2 {
        return Err(ErrorCode::InvalidName.into());
    }
    Ok(v.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// A reconciliation act's period from two date fields: both given as `YYYY-MM-DD` (what a
/// date input gives), the start not after the end, and not wholly outside the contract's life
/// `start..=as_of` — the server's own refusals, worded by its `invalid_period`.
pub fn period(from: &str, to: &str, start: &str, as_of: &str) -> Result<(String, String), Problem> {
    let from = required(from, T::ActFrom)?;
    let to = required(to, T::ActTo)?;
    // ISO days compare as text in calendar order.
    if !is_day(&from) || !is_day(&to) || from > to || to.as_str() < start || from.as_str() > as_of {
        return Err(ErrorCode::InvalidPeriod.into());
    }
    Ok((from, to))
}

/// `YYYY-MM-DD` with a month and a day that can exist (the date input checks the rest).
fn is_day(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' || !digits(0..4) || !digits(5..7) || !digits(8..10) {
        return false;
    }
    let (month, day): (u8, u8) = (s[5..7].parse().unwrap_or(0), s[8..10].parse().unwrap_or(0));
    (1..=12).contains(&month) && (1..=31).contains(&day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_match_the_server_codes() {
        assert_eq!(phone("", T::PhoneLabel), Err(Problem::Empty(T::PhoneLabel)));
        assert_eq!(phone("abc", T::PhoneLabel), Err(ErrorCode::InvalidPhone.into()));
        assert_eq!(phone("+7 495 123-45-67", T::PhoneLabel), Err(ErrorCode::PhoneNotMobile.into()));
        assert_eq!(phone("8 916 123 45 67", T::PhoneLabel).map(|p| p.masked()), Ok("+7 916 ***-**-67".into()));
        assert_eq!(new_password("1234567", T::PasswordLabel), Err(ErrorCode::PasswordTooShort.into()));
        assert_eq!(new_password(&"я".repeat(8), T::PasswordLabel), Ok("я".repeat(8)));
        assert_eq!(new_password(&"a".repeat(257), T::PasswordLabel), Err(ErrorCode::PasswordTooLong.into()));
        assert_eq!(code(" 123 456 ", T::CodeLabel), Ok("123456".into()));
        assert_eq!(code("12345", T::CodeLabel), Err(ErrorCode::CodeInvalid.into()));
        assert_eq!(full_name("Иванов", T::FullNameLabel), Err(ErrorCode::InvalidName.into()));
        assert_eq!(full_name("  Иванов   Иван  ", T::FullNameLabel), Ok("Иванов Иван".into()));
        let (start, as_of) = ("2026-07-22", "2026-11-22");
        assert_eq!(period("", "2026-11-01", start, as_of), Err(Problem::Empty(T::ActFrom)));
        assert_eq!(period("2026-08-01", " ", start, as_of), Err(Problem::Empty(T::ActTo)));
        assert_eq!(period("2026-10-01", "2026-09-01", start, as_of), Err(ErrorCode::InvalidPeriod.into()));
        assert_eq!(period("2026-01-01", "2026-06-30", start, as_of), Err(ErrorCode::InvalidPeriod.into()));
        assert_eq!(period("2026-12-01", "2026-12-31", start, as_of), Err(ErrorCode::InvalidPeriod.into()));
        assert_eq!(period("2026-13-01", "2026-12-31", start, as_of), Err(ErrorCode::InvalidPeriod.into()));
        assert_eq!(period("2026-07-22", "2026-11-22", start, as_of), Ok(("2026-07-22".into(), "2026-11-22".into())));
        assert_eq!(period("2026-01-01", "2026-09-30", start, as_of), Ok(("2026-01-01".into(), "2026-09-30".into())));
    }
}
