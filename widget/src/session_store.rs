//! The tab's `sessionStorage`, for what must outlive a screen but not the tab: a pending
//! submission's idempotency key with a fingerprint of its content, the draft of a message, and
//! the card payment just started (so the widget finds it again after the trip to the bank).
//! Never a token or a password. Where storage is refused (privacy modes, sandboxed frames,
//! a full quota) every call quietly does nothing and the callers keep state in memory only.

/// The storage, if the page may use it (reading `sessionStorage` itself may throw).
fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

pub fn get(key: &str) -> Option<String> {
    storage()?.get_item(key).ok().flatten()
}

/// Stores `value`; whether it was stored.
pub fn set(key: &str, value: &str) -> bool {
    storage().is_some_and(|s| s.set_item(key, value).is_ok())
}

pub fn remove(key: &str) {
    if let Some(s) = storage() {
        let _ = s.remove_item(key);
    }
}

/// Where the compose form's text is kept while it is being written.
pub const MESSAGE_DRAFT: &str = "kabinet:draft:message";
/// Where the pending message's key is kept.
pub const PENDING_MESSAGE: &str = "kabinet:pending:message";

/// Where the pending card payment's key is kept (one payment at a time is being started).
pub const PENDING_PAYMENT: &str = "kabinet:pending:payment";
/// Where the card payment just sent to the bank is noted: its id, when, and its contract number.
pub const STARTED_PAYMENT: &str = "kabinet:payment:started";

/// Where the pending application of one kind (`loan`, `early_repayment`, …) keeps its key.
pub fn pending_application(kind: &str) -> String {
    format!("kabinet:pending:application:{kind}")
}
