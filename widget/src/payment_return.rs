//! The trip to the bank and back, what is particular to payments: the payment id the shim adds
//! to the return address (`kabinet_payment`) and the tab's note of the payment just started.
//! The page the client returns to and opening the bank's page at the top level are shared with
//! ESIA's trip (see [`crate::trip`]).
//!
//! The id that comes back on the URL proves nothing: it only says which payment's status to
//! ask the shim for, and the shim answers only about the signed-in client's own payments.

use kabinet_api::payments::{Payment, RETURN_PARAM};

use crate::session_store;
use crate::trip;

/// The longest payment id taken from a URL; the shim's ids are far shorter.
const MAX_ID_LEN: usize = 64;

/// How long a payment started in this tab is opened by itself when the widget starts without
/// the return parameter (the client came back with the browser's «Назад», or the bank's page
/// lost it): about as long as a bank keeps its payment page open.
const REMEMBER_MS: f64 = 30.0 * 60.0 * 1000.0;

/// Whether `id` can be a payment id: ASCII letters, digits and dashes, at most 64 of them.
/// Anything else on a URL is ignored, never shown or sent.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_ID_LEN && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Inline: the payment id on the host page's address, taken off it at once (see
/// [`trip::take_from_page`]). `None` when there is none or it is not a valid id.
pub fn take_from_page() -> Option<String> {
    trip::take_from_page(RETURN_PARAM).filter(|id| valid_id(id))
}

/// Notes in the tab the payment just started, so the widget finds it again if the client comes
/// back without the return parameter.
pub fn remember(payment: &Payment) {
    let record = format!("{}\n{}\n{}", payment.id, js_sys::Date::now(), payment.contract_number);
    session_store::set(session_store::STARTED_PAYMENT, &record);
}

/// The payment noted by [`remember`], if it was started recently: `(id, contract number)`.
pub fn remembered() -> Option<(String, String)> {
    let record = session_store::get(session_store::STARTED_PAYMENT)?;
    let (id, at, number) = parse_record(&record)?;
    (js_sys::Date::now() - at < REMEMBER_MS).then_some((id, number))
}

/// The contract number noted with payment `id`, for a heading before the payment has loaded.
pub fn remembered_number(id: &str) -> Option<String> {
    let record = session_store::get(session_store::STARTED_PAYMENT)?;
    parse_record(&record).filter(|(i, _, n)| i == id && !n.is_empty()).map(|(_, _, n)| n)
}

/// The client is looking at payment `id`'s status: the note has done its job.
pub fn forget(id: &str) {
    let ours = session_store::get(session_store::STARTED_PAYMENT).and_then(|r| parse_record(&r)).is_some_and(|(i, _, _)| i == id);
    if ours {
        session_store::remove(session_store::STARTED_PAYMENT);
    }
}

fn parse_record(record: &str) -> Option<(String, f64, String)> {
    let mut lines = record.splitn(3, '\n');
    let id = lines.next()?.to_owned();
    let at: f64 = lines.next()?.parse().ok()?;
    let number = lines.next().unwrap_or_default().to_owned();
    valid_id(&id).then_some((id, at, number))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_from_urls_are_plain() {
        assert!(valid_id("pay-0f8fad5b-d9cb-469f-a165-70867728950e"));
        assert!(!valid_id(""));
        assert!(!valid_id("a b"));
        assert!(!valid_id("<script>"));
        assert!(!valid_id("x%2F"));
        assert!(!valid_id(&"a".repeat(65)));
        assert!(valid_id(&"a".repeat(64)));
    }

    #[test]
    fn records_are_read_back() {
        assert_eq!(parse_record("p-1\n1700000000000\nЗ-2026/0142"), Some(("p-1".into(), 1.7e12, "З-2026/0142".into())));
        assert_eq!(parse_record("bad id\n1\nx"), None);
        assert_eq!(parse_record("p-1"), None);
    }
}
