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
    /// A check the server has no code for, in the widget's own words (already filled in, e.g.
    /// naming the file), and the field it is about.
    Invalid { field: T, text: String },
}

impl Problem {
    pub fn text(&self, lang: Lang) -> String {
        match self {
            Problem::Failure(f) => match f.file() {
                Some(name) => fill(lang, T::FileRefused, &[("name", name), ("reason", f.text(lang))]),
                None => f.text(lang).to_owned(),
            },
            Problem::Empty(label) => fill(lang, T::EmptyField, &[("field", t(lang, *label))]),
            Problem::Invalid { text, .. } => text.clone(),
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
            Some(Problem::Invalid { field, .. }) => field == label,
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
pub const AMOUNT_CODES: &[ErrorCode] = &[ErrorCode::AmountOutOfRange, ErrorCode::AmountTooSmall, ErrorCode::AmountAbovePayoff];
pub const TERM_CODES: &[ErrorCode] = &[ErrorCode::TermOutOfRange];
pub const PRODUCT_CODES: &[ErrorCode] = &[ErrorCode::ProductUnavailable];
pub const CONTRACT_CODES: &[ErrorCode] = &[ErrorCode::ContractClosed];
pub const DATE_CODES: &[ErrorCode] = &[ErrorCode::InvalidDate];
pub const TEXT_CODES: &[ErrorCode] = &[ErrorCode::TextRequired, ErrorCode::TextTooLong];
pub const FILE_CODES: &[ErrorCode] = &[
    ErrorCode::FileTypeNotAllowed,
    ErrorCode::FileTypeMismatch,
    ErrorCode::FileUnsafe,
    ErrorCode::FileDamaged,
    ErrorCode::FileTooLarge,
    ErrorCode::ImageTooLarge,
    ErrorCode::TooManyFiles,
    ErrorCode::StorageQuotaExceeded,
    ErrorCode::FileNameInvalid,
];

/// A sum of money as people write it («150 000,50», «150000.5», «1 000 ₽») in kopecks: spaces
/// of any kind between digit groups, a comma or a dot before at most two decimals.
pub fn money(value: &str, label: T, lang: Lang) -> Result<i64, Problem> {
    let v = value.trim().trim_end_matches('₽').trim_end_matches("руб.").trim_end_matches("руб").trim();
    if v.is_empty() {
        return Err(Problem::Empty(label));
    }
    let bad = || Problem::Invalid { field: label, text: t(lang, T::InvalidAmount).to_owned() };
    let compact: String = v.chars().filter(|c| !c.is_whitespace() && *c != '\u{202f}').collect();
    let (whole, frac) = match compact.split_once([',', '.']) {
        Some((w, f)) => (w, f),
        None => (compact.as_str(), ""),
    };
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(frac) || frac.len() > 2 || whole.len() > 13 {
        return Err(bad());
    }
    let rub: i64 = whole.parse().map_err(|_| bad())?;
    let kop: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().map_err(|_| bad())? };
    Ok(rub * 100 + kop)
}

/// A message about to be sent: text or at least one file, the text not too long, and each file
/// (`(name, bytes)`) of a type messages carry and not too large, a refusal naming the file.
pub fn message(text: &str, files: &[(String, u64)], lang: Lang) -> Result<(), Problem> {
    use kabinet_api::messages::{FileType, MAX_FILES, MAX_FILE_BYTES, MAX_TEXT_CHARS};
    if text.trim().is_empty() && files.is_empty() {
        return Err(Problem::Invalid { field: T::MessageTextLabel, text: t(lang, T::MessageEmpty).to_owned() });
    }
    if text.trim().chars().count() > MAX_TEXT_CHARS {
        return Err(ErrorCode::TextTooLong.into());
    }
    if files.len() > MAX_FILES {
        let text = fill(lang, T::FileTooMany, &[("n", &MAX_FILES.to_string())]);
        return Err(Problem::Invalid { field: T::AttachLabel, text });
    }
    for (name, size) in files {
        if FileType::from_name(name).is_none() {
            return Err(Problem::Invalid { field: T::AttachLabel, text: fill(lang, T::FileWrongType, &[("name", name)]) });
        }
        if *size > MAX_FILE_BYTES {
            return Err(Problem::Invalid { field: T::AttachLabel, text: fill(lang, T::FileTooBig, &[("name", name)]) });
        }
    }
    Ok(())
}

/// A whole number of months.
pub fn months(value: &str, label: T, lang: Lang) -> Result<u32, Problem> {
    let v = required(value, label)?;
    v.parse::<u32>().map_err(|_| Problem::Invalid { field: label, text: t(lang, T::InvalidTerm).to_owned() })
}

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

    #[test]
    fn money_is_read_as_people_write_it() {
        let m = |s: &str| money(s, T::AmountLabel, Lang::Ru);
        assert_eq!(m("150 000,50"), Ok(15_000_050));
        assert_eq!(m("150\u{a0}000.5"), Ok(15_000_050));
        assert_eq!(m("1000 ₽"), Ok(100_000));
        assert_eq!(m(" 7,05 "), Ok(705));
        assert_eq!(m(""), Err(Problem::Empty(T::AmountLabel)));
        assert!(matches!(m("1,234,5"), Err(Problem::Invalid { .. })));
        assert!(matches!(m("12,345"), Err(Problem::Invalid { .. })));
        assert!(matches!(m("-5"), Err(Problem::Invalid { .. })));
        assert!(matches!(m("сто"), Err(Problem::Invalid { .. })));
        assert_eq!(months("12", T::TermLabel, Lang::Ru), Ok(12));
        assert!(matches!(months("1,5", T::TermLabel, Lang::Ru), Err(Problem::Invalid { .. })));
    }

    #[test]
    fn messages_are_checked_before_sending() {
        let f = |n: &str, s: u64| (n.to_owned(), s);
        let said = |r: Result<(), Problem>| r.err().map(|p| p.text(Lang::Ru));
        assert_eq!(said(message("Здравствуйте", &[], Lang::Ru)), None);
        assert_eq!(said(message("  ", &[], Lang::Ru)), Some("Напишите текст или прикрепите файл.".into()));
        assert_eq!(said(message("", &[f("скан.PDF", 10)], Lang::Ru)), None);
        assert_eq!(said(message("", &[f("virus.exe", 10)], Lang::Ru)), Some("Файл «virus.exe»: можно прикладывать только JPG, PNG и PDF.".into()));
        assert_eq!(said(message("", &[f("big.jpg", 10 * 1024 * 1024 + 1)], Lang::Ru)), Some("Файл «big.jpg» больше 10 МБ.".into()));
        assert!(said(message("", &vec![f("a.png", 1); 6], Lang::Ru)).is_some());
    }
}
