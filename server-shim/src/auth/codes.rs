//! One-time SMS codes: six digits from the OS's CSPRNG, stored only as a keyed hash, bound to
//! a purpose and a phone, short-lived, single use, with attempts counted atomically.

use hmac::{Hmac, Mac};
use kabinet_api::{ErrorCode, Phone};
use sha2::Sha256;
use sqlx::Row;
use subtle::ConstantTimeEq;

use crate::storage::Store;

/// What a code is for; a code for one purpose never works for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Register,
    Reset,
    /// Phone change: the code sent to the current number.
    PhoneOld,
    /// Phone change: the code sent to the new number.
    PhoneNew,
    /// Signing a document; the code is also bound to the document's id and SHA-256 (A8, A31).
    Sign,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Register => "register",
            Purpose::Reset => "reset",
            Purpose::PhoneOld => "phone_old",
            Purpose::PhoneNew => "phone_new",
            Purpose::Sign => "sign",
        }
    }

    /// As the journal and the SMS evidence describe it.
    pub fn title_ru(self) -> &'static str {
        match self {
            Purpose::Register => "регистрация",
            Purpose::Reset => "восстановление пароля",
            Purpose::PhoneOld => "смена номера (старый номер)",
            Purpose::PhoneNew => "смена номера (новый номер)",
            Purpose::Sign => "подписание документа",
        }
    }
}

/// Why a code was refused, each a stable API code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Invalid,
    Expired,
    Used,
    AttemptsExceeded,
}

impl Refusal {
    pub fn code(self) -> ErrorCode {
        match self {
            Refusal::Invalid => ErrorCode::CodeInvalid,
            Refusal::Expired => ErrorCode::CodeExpired,
            Refusal::Used => ErrorCode::CodeUsed,
            Refusal::AttemptsExceeded => ErrorCode::CodeAttemptsExceeded,
        }
    }

    pub fn title_ru(self) -> &'static str {
        match self {
            Refusal::Invalid => "неверный код",
            Refusal::Expired => "срок действия истёк",
            Refusal::Used => "код уже использован",
            Refusal::AttemptsExceeded => "превышено число попыток",
        }
    }
}

#[derive(Clone)]
pub struct Codes {
    store: Store,
    secret: Vec<u8>,
    ttl_secs: i64,
    max_attempts: i64,
}

/// A freshly issued code, to be put into the SMS and forgotten.
pub struct Issued {
    pub code: String,
    /// Its row, to attach what is learnt after sending ([`Codes::set_payload`]).
    pub id: i64,
}

impl Codes {
    pub fn new(store: Store, secret: &[u8], ttl_secs: u64, max_attempts: u32) -> Self {
        Codes { store, secret: secret.to_vec(), ttl_secs: ttl_secs as i64, max_attempts: i64::from(max_attempts) }
    }

    /// Six uniformly random digits (rejection sampling: no modulo bias).
    pub fn generate() -> String {
        loop {
            let mut b = [0u8; 4];
            getrandom::fill(&mut b).expect("the OS random source works");
            let n = u32::from_le_bytes(b);
            // 4_294_000_000 is the largest multiple of 1_000_000 below 2^32.
            if n < 4_294_000_000 {
                return format!("{:06}", n % 1_000_000);
            }
        }
    }

    /// The stored form of a code. `binding` ties it to what it authorises beyond purpose and
    /// phone (a document's id and hash); empty for codes that authorise nothing more, whose
    /// hash is then exactly what it was before bindings existed.
    fn hash(&self, purpose: Purpose, phone: &Phone, binding: &str, code: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC takes any key length");
        mac.update(purpose.as_str().as_bytes());
        mac.update(b"\x1f");
        mac.update(phone.as_e164().as_bytes());
        mac.update(b"\x1f");
        if !binding.is_empty() {
            mac.update(b"binding\x1e");
            mac.update(binding.as_bytes());
            mac.update(b"\x1f");
        }
        mac.update(code.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// HMAC of an SMS text under the same key, for the SMS evidence: it proves which text was
    /// sent without letting a database reader recover the code inside it.
    pub fn text_hmac(&self, text: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC takes any key length");
        mac.update(b"sms-text\x1f");
        mac.update(text.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Stores a new code for (purpose, phone); any earlier one for the pair stops working.
    pub async fn issue(&self, purpose: Purpose, phone: &Phone, payload: &str, now: i64) -> Result<Issued, sqlx::Error> {
        self.issue_bound(purpose, phone, "", payload, now).await
    }

    /// [`Codes::issue`] for a code that is good only for `binding` as well: checking it with
    /// any other binding fails as a wrong code would.
    pub async fn issue_bound(
        &self,
        purpose: Purpose,
        phone: &Phone,
        binding: &str,
        payload: &str,
        now: i64,
    ) -> Result<Issued, sqlx::Error> {
        let code = Self::generate();
        let id = self.insert(purpose, phone, &self.hash(purpose, phone, binding, &code), payload, now).await?;
        Ok(Issued { code, id })
    }

    /// Replaces the pending step's data of a code (e.g. with the SMS that carried it).
    pub async fn set_payload(&self, id: i64, payload: &str) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE sms_codes SET payload = $1 WHERE id = $2").bind(payload).bind(id).execute(self.store.pool()).await?;
        Ok(())
    }

    /// The payload of the latest code for (purpose, phone), without counting an attempt: what
    /// it was sent for, so a flow can say «sent for another document» rather than «wrong code».
    pub async fn latest_payload(&self, purpose: Purpose, phone: &Phone) -> Result<Option<String>, sqlx::Error> {
        let row = sqlx::query("SELECT payload FROM sms_codes WHERE phone = $1 AND purpose = $2 ORDER BY id DESC LIMIT 1")
            .bind(phone.as_e164())
            .bind(purpose.as_str())
            .fetch_optional(self.store.pool())
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    /// The stored hash of a code row, for the signature's evidence (A31: `code_hash`).
    pub async fn stored_hash(&self, id: i64) -> Result<Option<String>, sqlx::Error> {
        let row = sqlx::query("SELECT code_hash FROM sms_codes WHERE id = $1").bind(id).fetch_optional(self.store.pool()).await?;
        Ok(row.map(|r| r.get(0)))
    }

    /// Stores a code nobody knows, so that a phone with nothing to send to behaves exactly
    /// like one that was sent a code: same answers, same attempt counting.
    pub async fn issue_decoy(&self, purpose: Purpose, phone: &Phone, now: i64) -> Result<(), sqlx::Error> {
        let mut unknowable = [0u8; 32];
        getrandom::fill(&mut unknowable).expect("the OS random source works");
        self.insert(purpose, phone, &hex::encode(unknowable), "", now).await.map(|_| ())
    }

    async fn insert(&self, purpose: Purpose, phone: &Phone, hash: &str, payload: &str, now: i64) -> Result<i64, sqlx::Error> {
        let row = sqlx::query(
            "INSERT INTO sms_codes (purpose, phone, code_hash, created_at, expires_at, attempts, payload) \
             VALUES ($1, $2, $3, $4, $5, 0, $6) RETURNING id",
        )
        .bind(purpose.as_str())
        .bind(phone.as_e164())
        .bind(hash)
        .bind(now)
        .bind(now + self.ttl_secs)
        .bind(payload)
        .fetch_one(self.store.pool())
        .await?;
        Ok(row.get(0))
    }

    /// Checks `code` against the latest code for (purpose, phone). The attempt is counted
    /// before the comparison in one conditional UPDATE, so concurrent guesses can never get
    /// more than `max_attempts` comparisons; marking it used is a second conditional UPDATE,
    /// so a right code submitted many times at once succeeds once. Returns the payload.
    pub async fn verify(
        &self,
        purpose: Purpose,
        phone: &Phone,
        code: &str,
        now: i64,
    ) -> Result<Result<String, Refusal>, sqlx::Error> {
        match self.check(purpose, phone, "", code, now).await? {
            Ok(checked) => self.consume(checked, now).await,
            Err(r) => Ok(Err(r)),
        }
    }

    /// The first half of [`Codes::verify`]: counts the attempt and compares, without using
    /// the code up. A flow that needs two codes checks both, then consumes both, so a typo in
    /// the second does not spend the first.
    /// `binding` must be the one the code was issued with ("" for unbound codes).
    pub async fn check(
        &self,
        purpose: Purpose,
        phone: &Phone,
        binding: &str,
        code: &str,
        now: i64,
    ) -> Result<Result<Checked, Refusal>, sqlx::Error> {
        let pool = self.store.pool();
        let latest = sqlx::query("SELECT id FROM sms_codes WHERE phone = $1 AND purpose = $2 ORDER BY id DESC LIMIT 1")
            .bind(phone.as_e164())
            .bind(purpose.as_str())
            .fetch_optional(pool)
            .await?;
        let Some(latest) = latest else { return Ok(Err(Refusal::Invalid)) };
        let id: i64 = latest.get(0);
        let counted = sqlx::query(
            "UPDATE sms_codes SET attempts = attempts + 1 \
             WHERE id = $1 AND attempts < $2 AND used_at IS NULL \
             RETURNING code_hash, expires_at, payload",
        )
        .bind(id)
        .bind(self.max_attempts)
        .fetch_optional(pool)
        .await?;
        let Some(row) = counted else {
            let used = sqlx::query("SELECT used_at FROM sms_codes WHERE id = $1").bind(id).fetch_one(pool).await?;
            return Ok(Err(if used.get::<Option<i64>, _>(0).is_some() { Refusal::Used } else { Refusal::AttemptsExceeded }));
        };
        let (stored, expires_at, payload): (String, i64, String) = (row.get(0), row.get(1), row.get(2));
        if now >= expires_at {
            return Ok(Err(Refusal::Expired));
        }
        let well_formed = code.len() == kabinet_api::auth::CODE_DIGITS && code.bytes().all(|b| b.is_ascii_digit());
        let given = self.hash(purpose, phone, binding, code);
        if !well_formed || !bool::from(given.as_bytes().ct_eq(stored.as_bytes())) {
            return Ok(Err(Refusal::Invalid));
        }
        Ok(Ok(Checked { id, payload }))
    }

    /// The second half: marks a checked code used, once; a concurrent use gets `Used`.
    pub async fn consume(&self, checked: Checked, now: i64) -> Result<Result<String, Refusal>, sqlx::Error> {
        let claimed = sqlx::query("UPDATE sms_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL")
            .bind(now)
            .bind(checked.id)
            .execute(self.store.pool())
            .await?;
        if claimed.rows_affected() != 1 {
            return Ok(Err(Refusal::Used));
        }
        Ok(Ok(checked.payload))
    }
}

/// A code that matched and is not used yet; [`Codes::consume`] uses it up.
#[derive(Debug)]
pub struct Checked {
    pub id: i64,
    payload: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_vary() {
        let codes: std::collections::HashSet<String> = (0..200).map(|_| Codes::generate()).collect();
        assert!(codes.iter().all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit())));
        assert!(codes.len() > 190, "200 draws from a million should rarely repeat");
    }
}
