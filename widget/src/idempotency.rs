//! The idempotency key of a submission: made once, sent again unchanged while the same thing is
//! being retried (so a retry after a lost answer makes one application, not two), and replaced
//! as soon as the person sends something different.

use leptos::prelude::*;
use wasm_bindgen::JsValue;

use crate::api::ApiFailure;

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

/// The key of one form's submissions. `what` is what is being sent (the body, or a fingerprint
/// of it): the same `what` again gets the same key until the outcome is known.
pub struct Submission<W: PartialEq + Clone + Send + Sync + 'static> {
    held: StoredValue<Option<(W, String)>>,
}

impl<W: PartialEq + Clone + Send + Sync + 'static> Clone for Submission<W> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<W: PartialEq + Clone + Send + Sync + 'static> Copy for Submission<W> {}

impl<W: PartialEq + Clone + Send + Sync + 'static> Submission<W> {
    pub fn new() -> Self {
        Submission { held: StoredValue::new(None) }
    }

    /// The key for sending `what`: the held one if `what` is what it was made for, else a new one.
    pub fn key_for(&self, what: &W) -> String {
        if let Some((held, key)) = self.held.get_value() {
            if &held == what {
                return key;
            }
        }
        let key = new_key();
        self.held.set_value(Some((what.clone(), key.clone())));
        key
    }

    /// The outcome is known (success, or a refusal by the server): the next send is new.
    pub fn finished(&self) {
        self.held.try_set_value(None);
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
}
