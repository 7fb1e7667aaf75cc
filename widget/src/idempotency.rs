//! The idempotency key of a submission: made once, sent again unchanged while the same thing is
//! being retried (so a retry after a lost answer makes one application, not two), also after
//! leaving the screen and coming back, and replaced as soon as the person sends something
//! different.

use leptos::prelude::*;
use wasm_bindgen::JsValue;

use crate::api::ApiFailure;
use crate::session_store;

/// A fresh UUID v4 from the browser's `crypto.randomUUID()`; where that is missing (an old
/// browser, a page that is not a secure context) the same format from `getRandomValues`.
pub fn new_key() -> String {
    let crypto = web_sys::window().and_then(|w| w.crypto().ok());
    if let Some(c) = &crypto {
        // Calling a method the browser lacks would throw through wasm: look before calling.
        if js_sys::Reflect::has(c, &JsValue::from_str("randomUUID")).unwrap_or(false) {
            return c.random_uuid();
        }
    }
    let mut bytes = [0u8; 16];
    if let Some(c) = &crypto {
        let _ = c.get_random_values_with_u8_array(&mut bytes);
    }
    if bytes.iter().all(|b| *b == 0) {
        for b in bytes.iter_mut() {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    uuid_v4(bytes)
}

/// 16 random bytes as a version-4, variant-1 UUID.
fn uuid_v4(mut b: [u8; 16]) -> String {
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

/// Whether the server surely has or has not acted on a request that failed so: then the next
/// attempt is a new submission. After no answer, a timeout, «still in progress» or a server
/// fault, nobody knows, and the next attempt must carry the same key.
pub fn settled(failure: &ApiFailure) -> bool {
    use kabinet_api::ErrorCode::*;
    match failure {
        ApiFailure::Api { code, .. } => !matches!(code, RequestInProgress | Unavailable | Internal | AccountingUnavailable),
        ApiFailure::Network | ApiFailure::Timeout | ApiFailure::Unreadable => false,
    }
}

/// A fingerprint of what is being sent, made of `parts` (the text, each file's name, size and
/// date, …): FNV-1a (64 bits) over the parts, each length-prefixed so that no two different
/// lists of parts run together into the same bytes. It only tells «the same content again»
/// from «something else» within one tab; the server compares content itself.
pub fn fingerprint<S: AsRef<str>>(parts: &[S]) -> String {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut h = OFFSET;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(PRIME);
        }
    };
    for p in parts {
        let p = p.as_ref().as_bytes();
        eat(&(p.len() as u64).to_be_bytes());
        eat(p);
    }
    format!("{h:016x}")
}

/// How a pending submission is stored: its key and the fingerprint of its content.
fn encode(key: &str, fingerprint: &str) -> String {
    format!("{key} {fingerprint}")
}

/// The key to send content with fingerprint `fingerprint` under, given what was stored: the
/// stored key when it was made for the same content, `None` (make a new one) when nothing is
/// stored, the content differs, or the stored value is not one this widget wrote.
pub fn reuse(stored: Option<&str>, fingerprint: &str) -> Option<String> {
    let (key, held) = stored?.split_once(' ')?;
    let looks_like_uuid = key.len() == 36 && key.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    (looks_like_uuid && held == fingerprint).then(|| key.to_owned())
}

/// Whether the stored pending submission is the one sent under `key`.
fn holds(stored: Option<&str>, key: &str) -> bool {
    stored.and_then(|s| s.split_once(' ')).is_some_and(|(k, _)| k == key)
}

/// The key of one form's submissions. The same content again gets the same key until the
/// outcome is known, also after the person left the screen and came back (the key is kept in
/// the tab's `sessionStorage` under a slot per form kind; in memory only where storage is
/// refused), so a retry after a lost answer makes one application or message, not two.
#[derive(Clone, Copy)]
pub struct Submission {
    /// `(slot, fingerprint, key)`: the fallback when storage cannot be used.
    held: StoredValue<Option<(String, String, String)>>,
}

impl Submission {
    pub fn new() -> Self {
        Submission { held: StoredValue::new(None) }
    }

    /// The key for sending content with `fingerprint` from the form whose slot is `slot`: the
    /// pending one if it was made for the same content, else a new one, recorded as pending.
    pub fn key_for(&self, slot: &str, fingerprint: &str) -> String {
        let stored = session_store::get(slot);
        if let Some(key) = reuse(stored.as_deref(), fingerprint) {
            return key;
        }
        let in_memory = self.held.get_value().filter(|(s, _, _)| s == slot).map(|(_, f, k)| encode(&k, &f));
        if let Some(key) = reuse(in_memory.as_deref(), fingerprint) {
            return key;
        }
        let key = new_key();
        session_store::set(slot, &encode(&key, fingerprint));
        self.held.set_value(Some((slot.to_owned(), fingerprint.to_owned(), key.clone())));
        key
    }

    /// The outcome of the sending under `key` is known (success, or a refusal by the server):
    /// the next send is new. Left alone if another submission has become pending meanwhile.
    /// Works after the screen has gone: the answer may come later.
    pub fn finished(&self, slot: &str, key: &str) {
        if holds(session_store::get(slot).as_deref(), key) {
            session_store::remove(slot);
        }
        let ours = self.held.try_get_value().flatten().is_some_and(|(s, _, k)| s == slot && k == key);
        if ours {
            self.held.try_set_value(None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_version_4() {
        let u = uuid_v4([0xff; 16]);
        assert_eq!(u, "ffffffff-ffff-4fff-bfff-ffffffffffff");
        assert_eq!(uuid_v4([0; 16]), "00000000-0000-4000-8000-000000000000");
    }

    #[test]
    fn the_same_content_reuses_the_pending_key() {
        let key = "0f8fad5b-d9cb-469f-a165-70867728950e";
        let a = fingerprint(&["Здравствуйте", "скан.pdf", "1024", "1700000000000"]);
        let stored = encode(key, &a);
        assert_eq!(reuse(Some(&stored), &a), Some(key.to_owned()));
        assert_eq!(a, fingerprint(&["Здравствуйте", "скан.pdf", "1024", "1700000000000"]));
        // Other content, nothing pending, or something this widget did not write: a new key.
        let b = fingerprint(&["Здравствуйте!", "скан.pdf", "1024", "1700000000000"]);
        assert_ne!(a, b);
        assert_eq!(reuse(Some(&stored), &b), None);
        assert_eq!(reuse(None, &a), None);
        assert_eq!(reuse(Some("garbage"), &a), None);
        assert_eq!(reuse(Some(&encode("not-a-uuid", &a)), &a), None);
        // Parts are length-prefixed: moving text between parts is other content.
        assert_ne!(fingerprint(&["ab", "c"]), fingerprint(&["a", "bc"]));
        assert_ne!(fingerprint::<&str>(&[]), fingerprint(&[""]));
        assert!(holds(Some(&stored), key));
        assert!(!holds(Some(&stored), "1f8fad5b-d9cb-469f-a165-70867728950e"));
        assert!(!holds(None, key));
    }
}
