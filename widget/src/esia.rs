//! The trip to ESIA (Госуслуги) and back, what is particular to it: starting the trip and the
//! marker the shim adds to the return address (`kabinet_esia=1`). The page to come back to and
//! opening ESIA's page at the top level are shared with the bank's trip (see [`crate::trip`]).
//!
//! The marker carries no identity: the shim keeps the flow, and only this browser (the flow
//! cookie the start set) can learn how it ended.

use kabinet_api::esia::{EsiaStart, RETURN_PARAM};

use crate::api::{self, ApiFailure};
use crate::trip;
use crate::WidgetConfig;

/// Inline: whether the host page's address says the client is back from ESIA; the marker is
/// taken off it at once, so a reload does not ask again. Only the value `1` counts.
pub fn take_from_page() -> bool {
    trip::take_from_page(RETURN_PARAM).as_deref() == Some("1")
}

/// Starts the trip: asks the shim for ESIA's login page (coming back to this page) and opens
/// it as the top-level page. Returns that page's address once the page has been asked to
/// change; the widget stays as it is until the browser leaves.
pub async fn start(config: &WidgetConfig) -> Result<String, ApiFailure> {
    let started = api::esia_start(config, &EsiaStart { return_to: trip::return_to(config) }).await?;
    // Anything but a web address (a broken or hostile answer) is not opened.
    if !trip::navigable(&started.url) {
        return Err(ApiFailure::Unreadable);
    }
    trip::go_top_level(config, &started.url).map_err(|_| ApiFailure::Unreadable)?;
    Ok(started.url)
}
