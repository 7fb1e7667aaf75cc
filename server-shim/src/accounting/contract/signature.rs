//! The contract's request signature: HMAC-SHA256 over the method, the path with its query, a
//! Unix timestamp and the SHA-256 of the body, for set-ups where a proxy terminates TLS and the
//! client certificate cannot reach the accounting side.
//!
//! The string signed is four lines joined by `\n`, without a trailing newline:
//!
//! ```text
//! GET
//! /v1/clients/demo-0001/loans?as_of=2026-11-22
//! 1795338000
//! e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
//! ```
//!
//! The signature is the lower-case hex HMAC-SHA256 of that string under the shared secret.
//! Signing the timestamp bounds a captured request's replay to the clock window; signing the
//! body's hash means a proxy cannot change what a later write asks for.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Unix seconds when the request was signed.
pub const TIMESTAMP_HEADER: &str = "x-kabinet-timestamp";
/// Lower-case hex HMAC-SHA256 of [`canonical`].
pub const SIGNATURE_HEADER: &str = "x-kabinet-signature";
/// How far the timestamp may be from the receiver's clock, either way.
pub const MAX_SKEW_SECS: i64 = 300;

/// Why a request's signature was not accepted; logged by the receiver, never sent back (the
/// caller only learns 401).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the timestamp or signature header is missing")]
    Missing,
    #[error("the timestamp is not Unix seconds")]
    BadTimestamp,
    #[error("the timestamp is outside the ±300 s window")]
    Stale,
    #[error("the signature is not hex of the right length")]
    Malformed,
    #[error("the signature does not match")]
    Mismatch,
}

/// The text that is signed.
pub fn canonical(method: &str, path_and_query: &str, timestamp: i64, body: &[u8]) -> String {
    format!("{method}\n{path_and_query}\n{timestamp}\n{}", hex::encode(Sha256::digest(body)))
}

fn mac(secret: &[u8], text: &str) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(text.as_bytes());
    mac.finalize().into_bytes().into()
}

/// The signature header's value for this request.
pub fn sign(secret: &[u8], method: &str, path_and_query: &str, timestamp: i64, body: &[u8]) -> String {
    hex::encode(mac(secret, &canonical(method, path_and_query, timestamp, body)))
}

/// Checks a received request's headers against its method, target and body at `now`.
pub fn verify(
    secret: &[u8],
    method: &str,
    path_and_query: &str,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<(), SignatureError> {
    let (Some(timestamp), Some(signature)) = (timestamp, signature) else { return Err(SignatureError::Missing) };
    let ts: i64 = timestamp.trim().parse().map_err(|_| SignatureError::BadTimestamp)?;
    if now.abs_diff(ts) > MAX_SKEW_SECS.unsigned_abs() {
        return Err(SignatureError::Stale);
    }
    let given = hex::decode(signature.trim()).map_err(|_| SignatureError::Malformed)?;
    if given.len() != 32 {
        return Err(SignatureError::Malformed);
    }
    let expected = mac(secret, &canonical(method, path_and_query, ts, body));
    // Constant time: a byte-by-byte early exit would tell an attacker how much of a guess was right.
    if bool::from(expected.ct_eq(given.as_slice())) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn a_signature_verifies_only_for_the_same_request_in_the_window() {
        let sig = sign(KEY, "GET", "/v1/clients/a/loans?as_of=2026-11-22", 1_000_000, b"");
        let ok =
            |m: &str, pq: &str, ts: &str, s: &str, body: &[u8], now| verify(KEY, m, pq, Some(ts), Some(s), body, now);
        assert_eq!(ok("GET", "/v1/clients/a/loans?as_of=2026-11-22", "1000000", &sig, b"", 1_000_300), Ok(()));
        assert_eq!(ok("GET", "/v1/clients/a/loans?as_of=2026-11-22", "1000000", &sig, b"", 999_700), Ok(()));
        assert_eq!(
            ok("GET", "/v1/clients/a/loans?as_of=2026-11-22", "1000000", &sig, b"", 1_000_301),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            ok("POST", "/v1/clients/a/loans?as_of=2026-11-22", "1000000", &sig, b"", 1_000_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            ok("GET", "/v1/clients/b/loans?as_of=2026-11-22", "1000000", &sig, b"", 1_000_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            ok("GET", "/v1/clients/a/loans?as_of=2026-11-21", "1000000", &sig, b"", 1_000_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            ok("GET", "/v1/clients/a/loans?as_of=2026-11-22", "1000000", &sig, b"x", 1_000_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            ok("GET", "/v1/clients/a/loans?as_of=2026-11-22", "1000001", &sig, b"", 1_000_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            ok("GET", "/v1/clients/a/loans?as_of=2026-11-22", "soon", &sig, b"", 1_000_000),
            Err(SignatureError::BadTimestamp)
        );
        assert_eq!(
            ok("GET", "/v1/clients/a/loans?as_of=2026-11-22", "1000000", "abc", b"", 1_000_000),
            Err(SignatureError::Malformed)
        );
        assert_eq!(verify(KEY, "GET", "/", None, Some(&sig), b"", 0), Err(SignatureError::Missing));
        assert_eq!(
            verify(
                b"another key",
                "GET",
                "/v1/clients/a/loans?as_of=2026-11-22",
                Some("1000000"),
                Some(&sig),
                b"",
                1_000_000
            ),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn the_canonical_text_is_what_the_contract_documents() {
        assert_eq!(
            canonical("GET", "/v1/clients/demo-0001", 1_795_338_000, b""),
            "GET\n/v1/clients/demo-0001\n1795338000\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
