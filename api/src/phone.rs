//! Russian mobile numbers as an E.164 newtype: parsed once at the edge, shown the same everywhere.

use serde::{Deserialize, Serialize};

/// A Russian mobile number, always stored as `+79XXXXXXXXX` (E.164).
///
/// Only `+7 9xx` numbers are accepted: SMS codes go to Russian mobiles only (Kazakhstan's
/// `+7 7xx` and every other country are refused), which also closes most SMS-pumping routes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

/// Why a phone number was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneError {
    /// Not a phone number at all (letters, wrong length).
    Malformed,
    /// A number, but not a Russian mobile (+7 9xx).
    NotRussianMobile,
}

impl std::fmt::Display for PhoneError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PhoneError::Malformed => f.write_str("not a phone number"),
            PhoneError::NotRussianMobile => f.write_str("not a Russian mobile number (+7 9xx)"),
        }
    }
}

impl std::error::Error for PhoneError {}

impl Phone {
    /// Accepts the ways people write a number: `+7 (916) 123-45-67`, `8 916 123 45 67`,
    /// `89161234567`, `9161234567`. Spaces, dashes, dots and brackets are ignored; anything
    /// else (letters, a second `+`) is malformed.
    pub fn parse(input: &str) -> Result<Phone, PhoneError> {
        let trimmed = input.trim();
        if trimmed.is_empty() || trimmed.len() > 32 {
            return Err(PhoneError::Malformed);
        }
        let (plus, rest) = match trimmed.strip_prefix('+') {
            Some(r) => (true, r),
            None => (false, trimmed),
        };
        let mut digits = String::with_capacity(11);
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '(' | ')' | '.' | '\u{a0}' => {}
                _ => return Err(PhoneError::Malformed),
            }
        }
        let national = match (plus, digits.len()) {
            (true, 11) if digits.starts_with('7') => &digits[1..],
            (true, _) if digits.starts_with('7') => return Err(PhoneError::Malformed),
            (true, n) if (8..=15).contains(&n) => return Err(PhoneError::NotRussianMobile),
            (false, 11) if digits.starts_with('8') || digits.starts_with('7') => &digits[1..],
            (false, 10) => &digits[..],
            _ => return Err(PhoneError::Malformed),
        };
        if !national.starts_with('9') {
            return Err(PhoneError::NotRussianMobile);
        }
        Ok(Phone(format!("+7{national}")))
    }

    /// `+79161234567`.
    pub fn as_e164(&self) -> &str {
        &self.0
    }

    /// The eleven digits without `+`, as SMS gateways want them: `79161234567`.
    pub fn digits(&self) -> &str {
        &self.0[1..]
    }

    /// `+7 916 123-45-67`, as printed for people.
    pub fn display(&self) -> String {
        let d = &self.0[2..];
        format!("+7 {} {}-{}-{}", &d[0..3], &d[3..6], &d[6..8], &d[8..10])
    }

    /// `+7 916 ***-**-67`: enough for a person to recognise their own number, not to read it.
    pub fn masked(&self) -> String {
        let d = &self.0[2..];
        format!("+7 {} ***-**-{}", &d[0..3], &d[8..10])
    }

    /// The number without its last four digits: the "prefix" that SMS-pumping limits count by.
    pub fn prefix(&self) -> &str {
        &self.0[..self.0.len() - 4]
    }
}

impl TryFrom<String> for Phone {
    type Error = PhoneError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Phone::parse(&s)
    }
}

impl From<Phone> for String {
    fn from(p: Phone) -> String {
        p.0
    }
}

impl std::fmt::Display for Phone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_of_inputs() {
        let ok = "+79161234567";
        for input in [
            "+79161234567",
            "+7 (916) 123-45-67",
            "8 916 123 45 67",
            "89161234567",
            "79161234567",
            "9161234567",
            " +7 916 123-45-67 ",
            "8(916)123.45.67",
        ] {
            assert_eq!(Phone::parse(input).map(|p| p.0), Ok(ok.to_owned()), "{input}");
        }
        for (input, err) in [
            ("", PhoneError::Malformed),
            ("abc", PhoneError::Malformed),
            ("+7 916 123 45 6", PhoneError::Malformed),
            ("+7 916 123 45 678", PhoneError::Malformed),
            ("8916123456", PhoneError::NotRussianMobile),
            ("+7 916 123 45 67 ext 1", PhoneError::Malformed),
            ("++79161234567", PhoneError::Malformed),
            ("+77011234567", PhoneError::NotRussianMobile), // Kazakhstan
            ("87011234567", PhoneError::NotRussianMobile),
            ("+7 495 123-45-67", PhoneError::NotRussianMobile), // Moscow landline
            ("+380501234567", PhoneError::NotRussianMobile),
            ("+12025550123", PhoneError::NotRussianMobile),
            ("+7916１234567", PhoneError::Malformed), // a full-width digit
        ] {
            assert_eq!(Phone::parse(input), Err(err), "{input}");
        }
    }

    #[test]
    fn shows_for_people() {
        let p = Phone::parse("89161234567").unwrap();
        assert_eq!(p.display(), "+7 916 123-45-67");
        assert_eq!(p.masked(), "+7 916 ***-**-67");
        assert_eq!(p.digits(), "79161234567");
        assert_eq!(p.prefix(), "+7916123");
    }
}
