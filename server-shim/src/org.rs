//! The organisation's settings and the one lookup every request goes through to reach them.

use std::fmt;
use std::sync::Arc;

use kabinet_api::OrgInfo;
use serde::Deserialize;

/// Everything about the organisation: name, legal details, embedding origins, texts.
#[derive(Debug, Clone, Deserialize)]
pub struct OrgSettings {
    pub name: String,
    pub legal_name: String,
    pub inn: String,
    pub ogrn: String,
    pub phone: String,
    pub address: String,
    pub hours: String,
    pub division: String,
    pub allowed_origins: Vec<String>,
    pub language: String,
}

impl OrgSettings {
    pub fn public_info(&self) -> OrgInfo {
        OrgInfo {
            name: self.name.clone(),
            legal_name: self.legal_name.clone(),
            inn: self.inn.clone(),
            ogrn: self.ogrn.clone(),
            phone: self.phone.clone(),
            address: self.address.clone(),
            hours: self.hours.clone(),
        }
    }

    /// Exact-match test of a browser-sent origin against the allowlist.
    pub fn allows_origin(&self, origin: &str) -> bool {
        self.allowed_origins.iter().any(|o| o == origin)
    }
}

/// A web origin `scheme://host[:port]` written exactly as browsers send it in `Origin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin(String);

impl Origin {
    /// Accepts only http(s) origins in their serialized form: no path, no wildcard, no `null`.
    pub fn parse(s: &str) -> Result<Origin, String> {
        if s.contains('*') {
            return Err(format!("{s:?}: wildcards are not allowed, list each origin"));
        }
        let url = url::Url::parse(s).map_err(|e| format!("{s:?}: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("{s:?}: only http and https origins"));
        }
        let serialized = url.origin().ascii_serialization();
        if serialized != s {
            return Err(format!("{s:?}: write the origin exactly as {serialized:?} (no path, lower case, punycode)"));
        }
        Ok(Origin(serialized))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Finds the organisation a request belongs to. One deployment serves one organisation today;
/// serving several later changes this lookup (e.g. by Host header), not its callers.
#[derive(Clone)]
pub struct Organisations {
    only: Arc<OrgSettings>,
}

impl Organisations {
    pub fn single(settings: OrgSettings) -> Self {
        Organisations { only: Arc::new(settings) }
    }

    pub fn lookup(&self) -> &OrgSettings {
        &self.only
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_must_be_exact() {
        assert!(Origin::parse("https://company.ru").is_ok());
        assert!(Origin::parse("http://company.localhost:8000").is_ok());
        for bad in ["https://company.ru/", "https://Company.ru", "null", "*", "https://*.ru", "javascript:alert(1)", "https://u@company.ru"] {
            assert!(Origin::parse(bad).is_err(), "{bad} accepted");
        }
    }
}
