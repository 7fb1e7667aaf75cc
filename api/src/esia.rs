//! Sign-in through ESIA (Госуслуги): the widget starts the trip, the browser goes to ESIA's
//! login page as the top-level page and comes back to the company page with
//! [`RETURN_PARAM`]; the widget then asks the shim how the trip ended ([`EsiaOutcome`]).
//!
//! Nothing secret travels on a URL: the shim keeps the flow, and only the browser that started
//! it (the flow cookie the start set) can learn its outcome or finish it.

use serde::{Deserialize, Serialize};

use crate::auth::SessionInfo;

/// Routes under [`crate::API_PREFIX`].
pub mod paths {
    /// GET: whether ESIA sign-in is offered here ([`EsiaAvailability`]).
    pub const AVAILABLE: &str = "/auth/esia";
    /// POST [`EsiaStart`] → [`EsiaStarted`]; sets the flow cookie.
    pub const START: &str = "/auth/esia/start";
    /// GET from ESIA (the registered `redirect_uri`): `code` and `state`, or `error`.
    pub const CALLBACK: &str = "/auth/esia/callback";
    /// POST `{}` → [`EsiaOutcome`]: how the trip ended; signs in a linked client.
    pub const OUTCOME: &str = "/auth/esia/outcome";
    /// POST [`EsiaLinkRequest`] → [`crate::auth::SessionInfo`]: the client confirms the link.
    pub const LINK: &str = "/auth/esia/link";
}

/// The shim adds this to the company page's address when the browser comes back from ESIA,
/// with the value `1`: the widget then asks for the outcome. It carries no identity.
pub const RETURN_PARAM: &str = "kabinet_esia";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EsiaAvailability {
    pub enabled: bool,
}

/// Start of the trip: the page to come back to (checked against the organisation's sites).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EsiaStart {
    pub return_to: String,
}

/// ESIA's login page, to be opened as the top-level page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EsiaStarted {
    pub url: String,
}

/// How a trip to ESIA ended, for the browser that started it. Failures (the person cancelled,
/// the code expired, a swapped or replayed answer) come as errors with their codes instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum EsiaOutcome {
    /// The ESIA identity was linked already: signed in (the session cookie is set).
    SignedIn { session: SessionInfo },
    /// Found in accounting by full name and passport, not linked yet: the client confirms.
    /// With `has_password` the cabinet account exists and its password is asked for, since
    /// linking needs both factors; without it a cabinet is opened for the client.
    ConfirmLink {
        full_name: String,
        /// The accounting phone with its middle digits hidden: +7 916 ***-**-67.
        phone_masked: String,
        has_password: bool,
    },
    /// No client of the organisation with this full name and passport (and verified mobile).
    NoMatch { full_name: String },
}

/// The client's «Да, связать»: the cabinet password when the account has one; the version of
/// the consent to personal data processing when a cabinet is opened now (as at registration).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EsiaLinkRequest {
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub consent_version: Option<String>,
}

impl std::fmt::Debug for EsiaLinkRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EsiaLinkRequest")
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("consent_version", &self.consent_version)
            .finish()
    }
}

/// The returned page's address as the shim builds it: `return_to` with `kabinet_esia=1`.
pub fn return_address(return_to: &str) -> String {
    let (page, hash) = match return_to.find('#') {
        Some(i) => (&return_to[..i], &return_to[i..]),
        None => (return_to, ""),
    };
    let sep = if page.contains('?') { '&' } else { '?' };
    format!("{page}{sep}{RETURN_PARAM}=1{hash}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_return_marker_goes_before_the_fragment() {
        assert_eq!(return_address("https://company.ru/lk"), "https://company.ru/lk?kabinet_esia=1");
        assert_eq!(return_address("https://company.ru/lk?a=1#top"), "https://company.ru/lk?a=1&kabinet_esia=1#top");
    }
}
