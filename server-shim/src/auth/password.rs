//! Passwords: the policy (length, common passwords, the phone number) and argon2id hashing
//! off the async threads, with a bounded number of hashes at once.

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use kabinet_api::auth::{PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS};
use kabinet_api::{ErrorCode, Phone};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;

/// Argon2id with the OWASP minimum for m = 19 MiB: t = 2, p = 1.
pub const ARGON2_M_KIB: u32 = 19 * 1024;
pub const ARGON2_T: u32 = 2;
pub const ARGON2_P: u32 = 1;

static COMMON: OnceLock<HashSet<&'static str>> = OnceLock::new();

fn common() -> &'static HashSet<&'static str> {
    COMMON.get_or_init(|| {
        include_str!("common-passwords.txt").lines().filter(|l| !l.is_empty() && !l.starts_with('#')).collect()
    })
}

/// Checks a new password. No composition rules; long passphrases are welcome; nothing is
/// truncated. `phone` is the number the password would protect.
pub fn check_policy(password: &str, phone: &Phone) -> Result<(), ErrorCode> {
    let chars = password.chars().count();
    if chars < PASSWORD_MIN_CHARS {
        return Err(ErrorCode::PasswordTooShort);
    }
    if chars > PASSWORD_MAX_CHARS {
        return Err(ErrorCode::PasswordTooLong);
    }
    if is_common(password) {
        return Err(ErrorCode::PasswordCommon);
    }
    if is_like_phone(password, phone) {
        return Err(ErrorCode::PasswordLikePhone);
    }
    Ok(())
}

/// In the list as typed, or once trailing symbols and then trailing digits are taken off:
/// `Password1!` is `password1` is `password`, and adding `1!` protects nobody.
fn is_common(password: &str) -> bool {
    let lower = password.to_lowercase();
    let no_symbols = lower.trim_end_matches(|c: char| !c.is_alphanumeric());
    let no_digits = no_symbols.trim_end_matches(|c: char| c.is_ascii_digit());
    let list = common();
    [lower.as_str(), no_symbols, no_digits].iter().any(|p| !p.is_empty() && list.contains(p))
}

/// The digits of the password contain the number's last seven: the subscriber number is the
/// first thing anyone who knows the phone would try.
fn is_like_phone(password: &str, phone: &Phone) -> bool {
    let digits: String = password.chars().filter(char::is_ascii_digit).collect();
    let national = &phone.digits()[1..];
    digits.contains(&national[national.len() - 7..])
}

/// Hashes and verifies passwords on the blocking pool, at most `permits` at once, so a flood
/// of logins cannot take more than `permits × 19 MiB` of memory or starve the async threads.
#[derive(Clone)]
pub struct Hasher {
    permits: Arc<Semaphore>,
    /// How long a request may queue for a turn before it is answered 503: a flood of logins
    /// then costs its senders failures instead of piling up behind the cores.
    max_wait: std::time::Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("password hashing failed: {0}")]
    Failed(String),
    #[error("too many password checks are queued")]
    Busy,
}

impl From<HashError> for crate::http::error::AppError {
    fn from(e: HashError) -> Self {
        match e {
            HashError::Busy => crate::http::error::AppError::Unavailable(e.to_string()),
            HashError::Failed(m) => crate::http::error::AppError::Internal(m),
        }
    }
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(ARGON2_M_KIB, ARGON2_T, ARGON2_P, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A real hash of a random password, verified against when the phone is unknown, so an
/// unknown phone costs the same time as a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        argon2().hash_password(uuid::Uuid::new_v4().as_bytes(), &salt).expect("hash").to_string()
    })
}

impl Hasher {
    pub fn new(permits: usize) -> Self {
        Hasher { permits: Arc::new(Semaphore::new(permits.max(1))), max_wait: std::time::Duration::from_secs(10) }
    }

    async fn turn(&self) -> Result<tokio::sync::SemaphorePermit<'_>, HashError> {
        match tokio::time::timeout(self.max_wait, self.permits.acquire()).await {
            Ok(Ok(p)) => Ok(p),
            Ok(Err(e)) => Err(HashError::Failed(e.to_string())),
            Err(_) => Err(HashError::Busy),
        }
    }

    /// One hash per core: more would only queue inside the OS.
    pub fn per_core() -> Self {
        Self::new(std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2))
    }

    /// The PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
    pub async fn hash(&self, password: &SecretString) -> Result<String, HashError> {
        let _permit = self.turn().await?;
        let pw = password.expose_secret().as_bytes().to_vec();
        tokio::task::spawn_blocking(move || {
            let salt = SaltString::generate(&mut OsRng);
            argon2().hash_password(&pw, &salt).map(|h| h.to_string()).map_err(|e| HashError::Failed(e.to_string()))
        })
        .await
        .map_err(|e| HashError::Failed(e.to_string()))?
    }

    /// Verifies against `hash`, or against a dummy hash when there is none (or it is empty),
    /// taking the same time either way. Returns true only for a real hash that matches.
    pub async fn verify(&self, password: &SecretString, hash: Option<&str>) -> Result<bool, HashError> {
        let _permit = self.turn().await?;
        // An empty hash is an account with no password (opened through ESIA): nothing matches
        // it, and it takes the same time as any other.
        let real = hash.is_some_and(|h| !h.is_empty());
        let stored = hash.filter(|h| !h.is_empty()).unwrap_or_else(|| dummy_hash()).to_owned();
        let pw = password.expose_secret().as_bytes().to_vec();
        let ok = tokio::task::spawn_blocking(move || {
            let parsed = PasswordHash::new(&stored).map_err(|e| HashError::Failed(e.to_string()))?;
            Ok::<bool, HashError>(argon2().verify_password(&pw, &parsed).is_ok())
        })
        .await
        .map_err(|e| HashError::Failed(e.to_string()))??;
        Ok(real && ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phone() -> Phone {
        Phone::parse("+79161234567").unwrap()
    }

    #[test]
    fn policy_table() {
        let p = phone();
        assert_eq!(check_policy("short12", &p), Err(ErrorCode::PasswordTooShort));
        assert_eq!(check_policy("Password1!", &p), Err(ErrorCode::PasswordCommon));
        assert_eq!(check_policy("qwerty123", &p), Err(ErrorCode::PasswordCommon));
        assert_eq!(check_policy("ЙЦУКЕНГШ", &p), Err(ErrorCode::PasswordCommon));
        assert_eq!(check_policy("79161234567", &p), Err(ErrorCode::PasswordLikePhone));
        assert_eq!(check_policy("+7 (916) 123-45-67", &p), Err(ErrorCode::PasswordLikePhone));
        assert_eq!(check_policy("masha1234567", &p), Err(ErrorCode::PasswordLikePhone));
        assert_eq!(check_policy(&"я".repeat(257), &p), Err(ErrorCode::PasswordTooLong));
        // Eight code points, not bytes; spaces and any script welcome; 256 accepted whole.
        assert_eq!(check_policy("пёс кот!", &p), Ok(()));
        assert_eq!(check_policy("корова-на-льду", &p), Ok(()));
        assert_eq!(check_policy(&"ж".repeat(256), &p), Ok(()));
    }

    #[test]
    fn any_unlisted_8_to_64_char_string_is_accepted() {
        // A property check without a framework: random strings over a wide alphabet.
        let alphabet: Vec<char> = "abcXYZ абвЭЮЯ 09!?-_ 漢字 🙂".chars().collect();
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let p = phone();
        for _ in 0..2000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = 8 + (seed % 57) as usize;
            let s: String = (0..len)
                .map(|i| alphabet[((seed >> (i % 50)) as usize + i * 7) % alphabet.len()])
                .collect();
            if is_common(&s) || is_like_phone(&s, &p) {
                continue;
            }
            assert_eq!(check_policy(&s, &p), Ok(()), "{s:?}");
        }
    }

    #[tokio::test]
    async fn hashes_are_argon2id_with_the_required_parameters() {
        let h = Hasher::new(2);
        let pw = SecretString::from("корова-на-льду".to_owned());
        let phc = h.hash(&pw).await.unwrap();
        let parsed = PasswordHash::new(&phc).unwrap();
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        let params = Params::try_from(&parsed).unwrap();
        assert!(params.m_cost() >= 19 * 1024 && params.t_cost() >= 2 && params.p_cost() == 1, "{phc}");
        assert!(h.verify(&pw, Some(&phc)).await.unwrap());
        assert!(!h.verify(&SecretString::from("wrong-password".to_owned()), Some(&phc)).await.unwrap());
        assert!(!h.verify(&pw, None).await.unwrap());
        // An account opened through ESIA has no password: nothing verifies against it, and it
        // is not an error either (a login attempt answers «wrong password», not a fault).
        assert!(!h.verify(&pw, Some("")).await.unwrap());
        assert!(!h.verify(&SecretString::from(String::new()), Some("")).await.unwrap());
    }

    #[tokio::test]
    async fn a_full_queue_answers_busy_instead_of_waiting_forever() {
        let mut h = Hasher::new(1);
        h.max_wait = std::time::Duration::from_millis(50);
        let held = h.permits.clone().acquire_owned().await.unwrap();
        let pw = SecretString::from("корова-на-льду".to_owned());
        assert!(matches!(h.verify(&pw, None).await, Err(HashError::Busy)));
        drop(held);
        assert!(!h.verify(&pw, None).await.unwrap());
    }
}
