//! Verification codes: 12 Crockford base32 characters (60 random bits from the OS), shown as
//! `XXXX-XXXX-XXXX`. Crockford's alphabet has no I, L, O or U, so a code read aloud or typed
//! from paper survives the usual mix-ups: case, dashes, O for 0, I or L for 1.
//!
//! 60 bits are beyond guessing over HTTP: at a thousand requests a second, hitting any one of
//! a million issued codes takes some 36 years on average, and a hit shows only a title, a
//! time and a hash.

use std::fmt;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const LEN: usize = 12;

/// A code in canonical form: 12 upper-case characters, no dashes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VerificationCode(String);

impl VerificationCode {
    pub fn generate() -> Self {
        let mut raw = [0u8; 8];
        getrandom::fill(&mut raw).expect("the OS random source works");
        let mut n = u64::from_le_bytes(raw);
        let mut s = String::with_capacity(LEN);
        for _ in 0..LEN {
            s.push(ALPHABET[(n & 31) as usize] as char);
            n >>= 5;
        }
        VerificationCode(s)
    }

    /// Reads a code as a person may type it: any case, with or without dashes and spaces,
    /// O for 0 and I or L for 1. Anything else is not a code.
    pub fn parse(input: &str) -> Option<Self> {
        if input.len() > 64 {
            return None;
        }
        let mut s = String::with_capacity(LEN);
        for c in input.chars() {
            let c = match c.to_ascii_uppercase() {
                '-' | ' ' => continue,
                'O' => '0',
                'I' | 'L' => '1',
                c if c.is_ascii() && ALPHABET.contains(&(c as u8)) => c,
                _ => return None,
            };
            s.push(c);
        }
        (s.len() == LEN).then_some(VerificationCode(s))
    }

    /// Canonical form, as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `XXXX-XXXX-XXXX`, as printed and put in links.
impl fmt::Display for VerificationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{}", &self.0[0..4], &self.0[4..8], &self.0[8..12])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_random_and_read_back_however_typed() {
        let a = VerificationCode::generate();
        let b = VerificationCode::generate();
        assert_ne!(a, b);
        let shown = a.to_string();
        assert_eq!(shown.len(), 14);
        assert_eq!(VerificationCode::parse(&shown), Some(a.clone()));
        assert_eq!(VerificationCode::parse(&shown.to_lowercase()), Some(a.clone()));
        assert_eq!(VerificationCode::parse(a.as_str()), Some(a));

        let c = VerificationCode::parse("0O1I-LABC-DEFG").expect("look-alikes are folded");
        assert_eq!(c.as_str(), "00111ABCDEFG");
        for bad in ["", "ABCD-EFGH-JKM", "ABCD-EFGH-JKMNP", "ABCD-EFGH-JKMU", "ABCD_EFGH_JKMN", "АВСD-EFGH-JKMN"] {
            assert_eq!(VerificationCode::parse(bad), None, "{bad}");
        }
    }
}
