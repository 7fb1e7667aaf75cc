//! Sign-in contract: registration by SMS code, login, logout, password reset, profile changes.
//!
//! Every request body rejects unknown fields, so a typo in a client is an error, not silence.
//! Phones travel as the text a person typed; the shim parses them (see [`crate::phone::Phone`]).

use serde::{Deserialize, Serialize};

/// Routes under [`crate::API_PREFIX`].
pub mod paths {
    pub const CONSENT: &str = "/auth/consent";
    pub const REGISTER: &str = "/auth/register";
    pub const REGISTER_CONFIRM: &str = "/auth/register/confirm";
    pub const LOGIN: &str = "/auth/login";
    pub const LOGOUT: &str = "/auth/logout";
    pub const SESSION: &str = "/auth/session";
    pub const RESET: &str = "/auth/reset";
    pub const RESET_CONFIRM: &str = "/auth/reset/confirm";
    pub const PASSWORD: &str = "/auth/password";
    pub const PHONE: &str = "/auth/phone";
    pub const PHONE_CONFIRM: &str = "/auth/phone/confirm";
}

/// Limits the widget shows before the server would refuse.
pub const PASSWORD_MIN_CHARS: usize = 8;
/// Longest password accepted (characters); longer ones are refused, never truncated.
pub const PASSWORD_MAX_CHARS: usize = 256;
/// Digits in an SMS code.
pub const CODE_DIGITS: usize = 6;

/// The consent to personal-data processing (152-ФЗ), a separate versioned document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsentDocument {
    /// Version the client accepts; sent back in [`RegisterRequest::consent_version`].
    pub version: String,
    pub title: String,
    /// Plain text, paragraphs separated by blank lines.
    pub text: String,
}

/// Step 1 of registration. The password is checked against the policy here, so the person
/// learns at once if it is refused, but it is not kept: it comes again with the code.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// Фамилия Имя Отчество, as in the passport.
    pub full_name: String,
    /// Mobile phone as typed.
    pub phone: String,
    pub password: String,
    /// Version of the consent document the person accepted; must be the current one.
    pub consent_version: String,
}

/// The answer to every request that may send a code. It is the same whether or not a code
/// was actually sent, so nobody learns whose phone belongs to a client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CodeSent {
    /// Seconds until another code may be asked for (the resend countdown).
    pub resend_after_secs: u32,
    /// Seconds the code stays valid.
    pub expires_in_secs: u32,
}

/// Step 2 of registration: the code from the SMS and the password the account gets. Taking
/// the password here, not at step 1, means someone who triggers a new code for a client's
/// phone cannot choose the password of the account that the client's code then opens.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ConfirmRequest {
    pub phone: String,
    pub code: String,
    pub password: String,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub phone: String,
    pub password: String,
}

/// Who is signed in; answered by login, registration confirm, phone change and `GET session`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    pub client: ClientProfile,
    /// Seconds of inactivity after which the session ends.
    pub idle_timeout_secs: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientProfile {
    /// Фамилия Имя Отчество from the accounting record.
    pub full_name: String,
    /// How the client is addressed: Имя Отчество.
    pub greeting_name: String,
    /// The login phone, E.164.
    pub phone: String,
}

/// Step 1 of a password reset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    pub phone: String,
}

/// Step 2 of a password reset. It does not sign in: the client then logs in with the new
/// password, and every other session has ended.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResetConfirmRequest {
    pub phone: String,
    pub code: String,
    pub new_password: String,
}

/// Password change inside the cabinet; the current password is required.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

/// Step 1 of a phone change: the password again, then codes go to the old and the new number.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangePhoneRequest {
    pub new_phone: String,
    pub password: String,
}

/// Step 2 of a phone change: both codes. Every session ends; the answer carries a new one.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangePhoneConfirmRequest {
    pub new_phone: String,
    pub code_old: String,
    pub code_new: String,
}

/// Debug output of requests that carry a password or a code: everything else as usual, the
/// secrets as `[redacted]`, so no `?request` in a log line can leak them.
macro_rules! redacted_debug {
    ($t:ident { $($shown:ident),* } hides { $($hidden:ident),* }) => {
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let mut d = f.debug_struct(stringify!($t));
                $( d.field(stringify!($shown), &self.$shown); )*
                $( let _ = &self.$hidden; d.field(stringify!($hidden), &"[redacted]"); )*
                d.finish()
            }
        }
    };
}

redacted_debug!(RegisterRequest { full_name, phone, consent_version } hides { password });
redacted_debug!(ConfirmRequest { phone } hides { code, password });
redacted_debug!(LoginRequest { phone } hides { password });
redacted_debug!(ResetConfirmRequest { phone } hides { code, new_password });
redacted_debug!(ChangePasswordRequest {} hides { current_password, new_password });
redacted_debug!(ChangePhoneRequest { new_phone } hides { password });
redacted_debug!(ChangePhoneConfirmRequest { new_phone } hides { code_old, code_new });

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show_in_debug() {
        let r = ConfirmRequest { phone: "+79161234567".into(), code: "654321".into(), password: "секрет-пароль".into() };
        let s = format!("{r:?}");
        assert!(s.contains("+79161234567") && !s.contains("654321") && !s.contains("секрет"), "{s}");
        let r = ChangePasswordRequest { current_password: "old-secret".into(), new_password: "new-secret".into() };
        assert!(!format!("{r:?}").contains("secret"));
    }
}
