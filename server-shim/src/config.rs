//! Configuration: embedded defaults, then a TOML file, then KABINET_* variables, validated at start.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Toml};
use figment::Figment;
use ipnet::IpNet;
use secrecy::SecretString;
use serde::Deserialize;

use crate::org::{OrgSettings, Origin};

/// The documented defaults, compiled in so the shim runs with no file at all.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Demo,
    Test,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Json,
    Pretty,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmsProvider {
    Simulator,
    Smsru,
    Smsc,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TlsConfig {
    pub cert_path: String,
    pub key_path: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AuditConfig {
    pub signing_key_path: PathBuf,
    pub checkpoint_path: PathBuf,
    pub checkpoint_interval_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct GatewaysConfig {
    pub sms: SmsProvider,
    /// Which real adapter runs against the loopback simulator when `sms = "simulator"`.
    pub sms_simulator_protocol: SmsProvider,
    /// Secret: `SecretString` keeps it out of Debug output and logs.
    pub sms_api_key: SecretString,
    pub sms_login: String,
    pub sms_sender: String,
    pub sms_timeout_secs: u64,
    pub sms_base_url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CookieLayout {
    /// Shim on a subdomain of the site: `SameSite=Lax`.
    FirstParty,
    /// Shim on another site: `SameSite=None; Partitioned`.
    Partitioned,
}

/// Sign-in limits and lifetimes; see config/default.toml for what each means.
#[derive(Debug, Clone, Deserialize)]
pub struct AuthConfig {
    pub cookie: CookieLayout,
    pub session_idle_secs: u64,
    pub session_absolute_secs: u64,
    pub code_ttl_secs: u64,
    pub code_max_attempts: u32,
    pub resend_cooldown_secs: u64,
    pub sends_per_phone_15min: u32,
    pub sends_per_phone_day: u32,
    pub sends_per_ip_hour: u32,
    pub sends_per_prefix_hour: u32,
    pub sms_daily_budget: u32,
    pub login_free_failures: u32,
    pub login_delay_step_secs: u64,
    pub login_delay_max_secs: u64,
    pub login_lock_failures: u32,
    pub reads_per_session_minute: u32,
    pub code_secret: SecretString,
}

/// The whole configuration as read; [`Config::load`] validates it.
#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    pub mode: Mode,
    pub listen: SocketAddr,
    pub public_url: String,
    pub database_url: SecretString,
    pub pkg_dir: PathBuf,
    pub trusted_proxies: Vec<IpNet>,
    pub log_format: LogFormat,
    pub tls: TlsConfig,
    pub org: OrgSettings,
    pub audit: AuditConfig,
    pub auth: AuthConfig,
    pub gateways: GatewaysConfig,
    pub accounting: AccountingConfig,
    pub payments: PaymentsConfig,
    pub esia: EsiaConfig,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AcquirerKind {
    Simulator,
    Sber,
    Payler,
}

/// `[payments]`: the acquiring bank and its secrets, and the reconciler's timings. See
/// config/default.toml for what each means.
#[derive(Debug, Clone, Deserialize)]
pub struct PaymentsConfig {
    pub gateway: AcquirerKind,
    pub simulator_protocol: AcquirerKind,
    pub base_url: String,
    pub sber_user_name: String,
    pub sber_password: SecretString,
    pub sber_token: SecretString,
    pub sber_callback_key: SecretString,
    pub payler_key: SecretString,
    pub payler_password: SecretString,
    pub timeout_secs: u64,
    pub page_lifetime_secs: u32,
    pub reconcile_after_secs: u64,
    pub reconcile_give_up_secs: u64,
    pub worker_interval_secs: u64,
    pub max_amount: i64,
}

impl PaymentsConfig {
    fn validate(&self, mode: Mode) -> Result<(), String> {
        use secrecy::ExposeSecret;
        if self.simulator_protocol == AcquirerKind::Simulator {
            return Err("payments.simulator_protocol must be sber or payler".into());
        }
        if self.timeout_secs == 0 || self.timeout_secs > 9 {
            return Err("payments.timeout_secs must be between 1 and 9 (a callback is answered within 10 s)".into());
        }
        if self.page_lifetime_secs < 60 {
            return Err("payments.page_lifetime_secs must be at least 60".into());
        }
        if self.worker_interval_secs == 0 {
            return Err("payments.worker_interval_secs must be positive".into());
        }
        if self.reconcile_give_up_secs < self.reconcile_after_secs {
            return Err("payments.reconcile_give_up_secs must not be below payments.reconcile_after_secs".into());
        }
        if self.max_amount < kabinet_api::payments::MIN_PAYMENT {
            return Err("payments.max_amount must be at least 100 kopecks".into());
        }
        if mode == Mode::Production {
            match self.gateway {
                AcquirerKind::Simulator => return Err("production mode refuses the payment simulator (payments.gateway)".into()),
                AcquirerKind::Sber => {
                    let password = !self.sber_user_name.is_empty() && !self.sber_password.expose_secret().is_empty();
                    if !password && self.sber_token.expose_secret().is_empty() {
                        return Err("payments.gateway = sber requires sber_user_name and sber_password, or sber_token".into());
                    }
                }
                AcquirerKind::Payler => {
                    if self.payler_key.expose_secret().is_empty() || self.payler_password.expose_secret().is_empty() {
                        return Err("payments.gateway = payler requires payler_key and payler_password".into());
                    }
                }
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EsiaGateway {
    Simulator,
    Esia,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EsiaEnvironment {
    Test,
    Production,
}

/// `[esia]`: sign-in through ESIA (Госуслуги). See config/default.toml.
#[derive(Debug, Clone, Deserialize)]
pub struct EsiaConfig {
    pub enabled: bool,
    pub gateway: EsiaGateway,
    pub environment: EsiaEnvironment,
    pub base_url: String,
    pub client_id: String,
    pub scope: String,
    pub redirect_uri: String,
    pub certificate_hash: String,
    pub signer_command: Vec<String>,
    pub signer_reverse_bytes: bool,
    pub signer_url: String,
    pub secret_encoding: crate::gateways::esia::signer::SecretEncoding,
    pub token_certificates: String,
    pub token_verify_command: Vec<String>,
    pub token_leeway_secs: i64,
    pub timeout_secs: u64,
    pub flow_ttl_secs: i64,
}

impl EsiaConfig {
    /// The ESIA host for this environment, or the override.
    pub fn host(&self) -> String {
        if !self.base_url.is_empty() {
            return self.base_url.trim_end_matches('/').to_owned();
        }
        match self.environment {
            EsiaEnvironment::Test => "https://esia-portal1.test.gosuslugi.ru".into(),
            EsiaEnvironment::Production => "https://esia.gosuslugi.ru".into(),
        }
    }

    /// The `iss` tokens must carry, in ESIA's exact form (http, trailing slash).
    pub fn issuer(&self) -> &'static str {
        match self.environment {
            EsiaEnvironment::Test => crate::gateways::esia::ISSUER_TEST,
            EsiaEnvironment::Production => crate::gateways::esia::ISSUER_PROD,
        }
    }

    /// The registered `redirect_uri`.
    pub fn redirect_uri(&self, public_url: &str) -> String {
        if self.redirect_uri.is_empty() {
            format!("{}{}{}", public_url.trim_end_matches('/'), kabinet_api::API_PREFIX, kabinet_api::esia::paths::CALLBACK)
        } else {
            self.redirect_uri.clone()
        }
    }

    fn validate(&self, mode: Mode) -> Result<(), String> {
        if !self.enabled {
            return Ok(());
        }
        if !(60..=600).contains(&self.flow_ttl_secs) {
            return Err("esia.flow_ttl_secs must be between 60 and 600".into());
        }
        if self.timeout_secs == 0 || self.timeout_secs > 30 {
            return Err("esia.timeout_secs must be between 1 and 30".into());
        }
        if !(0..=300).contains(&self.token_leeway_secs) {
            return Err("esia.token_leeway_secs must be between 0 and 300".into());
        }
        if !self.scope.split(' ').any(|s| s == "openid") {
            return Err("esia.scope must include openid".into());
        }
        match self.gateway {
            EsiaGateway::Simulator if mode == Mode::Production => {
                Err("production mode refuses the ESIA simulator (esia.gateway): set gateway = \"esia\" or enabled = false".into())
            }
            EsiaGateway::Simulator => Ok(()),
            EsiaGateway::Esia => {
                if self.client_id.is_empty() || self.certificate_hash.is_empty() {
                    return Err("esia.gateway = esia requires client_id and certificate_hash".into());
                }
                if self.signer_command.is_empty() == self.signer_url.is_empty() {
                    return Err("esia.gateway = esia requires exactly one of signer_command and signer_url".into());
                }
                if self.token_certificates.is_empty() == self.token_verify_command.is_empty() {
                    return Err("esia.gateway = esia requires exactly one of token_certificates and token_verify_command".into());
                }
                if mode == Mode::Production && !self.host().starts_with("https://") {
                    return Err("esia.base_url must be https in production".into());
                }
                Ok(())
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration cannot be read: {0}")]
    Read(#[from] Box<figment::Error>),
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl Config {
    /// Reads defaults, the optional file and the environment, then validates.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        Self::from_figment(Self::figment(file))
    }

    /// The layered sources, exposed so tests can add their own on top.
    pub fn figment(file: Option<&Path>) -> Figment {
        let mut f = Figment::from(Toml::string(DEFAULT_TOML));
        if let Some(path) = file {
            f = f.merge(Toml::file_exact(path));
        }
        f.merge(Env::prefixed("KABINET_").split("__").ignore(&["config"]))
    }

    pub fn from_figment(f: Figment) -> Result<Config, ConfigError> {
        let config: Config = f.extract().map_err(|e| ConfigError::Read(Box::new(e)))?;
        config.validate()?;
        Ok(config)
    }

    /// Rules that serde cannot express. Production is strict: no simulators, no missing
    /// secrets, no wildcard origins.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: String| Err(ConfigError::Invalid(m));
        for o in &self.org.allowed_origins {
            if let Err(e) = Origin::parse(o) {
                return bad(format!("org.allowed_origins: {e}"));
            }
        }
        if self.org.allowed_origins.is_empty() {
            return bad("org.allowed_origins: at least one origin is required".into());
        }
        if Origin::parse(&self.public_url).is_err() {
            return bad(format!("public_url must be an origin (scheme://host[:port]), got {:?}", self.public_url));
        }
        if !matches!(self.org.language.as_str(), "ru" | "en") {
            return bad("org.language must be ru or en".into());
        }
        if self.audit.checkpoint_interval_secs == 0 {
            return bad("audit.checkpoint_interval_secs must be positive".into());
        }
        if self.tls.cert_path.is_empty() != self.tls.key_path.is_empty() {
            return bad("tls.cert_path and tls.key_path are set together or not at all".into());
        }
        if self.gateways.sms_simulator_protocol == SmsProvider::Simulator {
            return bad("gateways.sms_simulator_protocol must be smsru or smsc".into());
        }
        if self.gateways.sms_timeout_secs == 0 {
            return bad("gateways.sms_timeout_secs must be positive".into());
        }
        let a = &self.auth;
        if a.session_idle_secs == 0 || a.session_absolute_secs < a.session_idle_secs {
            return bad("auth.session_idle_secs must be positive and not above auth.session_absolute_secs".into());
        }
        if a.code_ttl_secs == 0 || a.code_ttl_secs > 600 {
            return bad("auth.code_ttl_secs must be between 1 and 600 (ten minutes at most)".into());
        }
        if a.code_max_attempts == 0 || a.code_max_attempts > 10 {
            return bad("auth.code_max_attempts must be between 1 and 10".into());
        }
        if let Err(m) = self.accounting.validate(self.mode) {
            return bad(m);
        }
        if self.mode == Mode::Production {
            if secrecy::ExposeSecret::expose_secret(&self.auth.code_secret).len() < 32 {
                return bad("production mode requires auth.code_secret of at least 32 characters".into());
            }
            if self.gateways.sms == SmsProvider::Simulator {
                return bad("production mode refuses the SMS simulator (gateways.sms)".into());
            }
            if secrecy::ExposeSecret::expose_secret(&self.gateways.sms_api_key).is_empty() {
                return bad("production mode requires gateways.sms_api_key".into());
            }
            if !self.audit.signing_key_path.is_file() {
                return bad(format!(
                    "production mode requires the audit signing key at {} (create it with `kabinet-shim audit keygen`)",
                    self.audit.signing_key_path.display()
                ));
            }
            if self.public_url.starts_with("http://") && self.tls.cert_path.is_empty() && self.trusted_proxies.is_empty() {
                return bad("production mode needs HTTPS: set tls.* or run behind a trusted proxy".into());
            }
        }
        if let Err(m) = self.payments.validate(self.mode) {
            return bad(m);
        }
        if let Err(m) = self.esia.validate(self.mode) {
            return bad(m);
        }
        if self.esia.enabled && self.auth.cookie == CookieLayout::Partitioned {
            // ESIA sends the browser back to the shim as the top-level page, where a partitioned
            // cookie is not sent: the trip could not be bound to the browser that started it,
            // and a login link passed to someone else would sign its sender in as them.
            return bad("esia.enabled needs auth.cookie = \"first_party\" (the shim on a subdomain of the site)".into());
        }
        Ok(())
    }

    pub fn tls(&self) -> Option<&TlsConfig> {
        (!self.tls.cert_path.is_empty()).then_some(&self.tls)
    }
}

/// Which system answers the `Accounting` port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountingBackend {
    /// The built-in ledger on the shim's own database.
    Ledger,
    /// The organisation's accounting system over the published contract (HttpAccounting).
    Http,
}

/// `[accounting]`: the backend, the HTTP adapter's link, and serving the contract from the
/// built-in ledger (`serve_*`). Empty strings mean "not set". See config/default.toml.
#[derive(Debug, Clone, Deserialize)]
pub struct AccountingConfig {
    pub backend: AccountingBackend,
    pub base_url: String,
    pub timeout_secs: u64,
    pub read_retries: u32,
    pub client_cert_path: String,
    pub client_key_path: String,
    pub server_ca_path: String,
    pub hmac_secret: SecretString,
    pub serve_enabled: bool,
    pub serve_listen: SocketAddr,
    pub serve_tls_cert_path: String,
    pub serve_tls_key_path: String,
    pub serve_client_ca_path: String,
    pub serve_hmac_secret: SecretString,
}

impl AccountingConfig {
    /// The link to accounting carries every client's data: production requires it encrypted
    /// and both ends authenticated (A23).
    fn validate(&self, mode: Mode) -> Result<(), String> {
        use secrecy::ExposeSecret;
        let production = mode == Mode::Production;
        let weak = |s: &SecretString| !s.expose_secret().is_empty() && s.expose_secret().len() < 32;
        if self.timeout_secs == 0 || self.timeout_secs > 60 {
            return Err("accounting.timeout_secs must be between 1 and 60".into());
        }
        if self.read_retries > 5 {
            return Err("accounting.read_retries must be 5 at most".into());
        }
        if self.backend == AccountingBackend::Http {
            let url = url::Url::parse(&self.base_url)
                .map_err(|e| format!("accounting.base_url must be a URL with backend = \"http\": {e}"))?;
            if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
                return Err("accounting.base_url must be an http(s) URL".into());
            }
            if !url.username().is_empty() || url.password().is_some() || url.query().is_some() || url.fragment().is_some() {
                return Err("accounting.base_url must hold no credentials, query or fragment".into());
            }
            if url.scheme() == "https" && self.server_ca_path.is_empty() {
                return Err("accounting.server_ca_path is required with an https base_url (only that CA is trusted)".into());
            }
            if self.client_cert_path.is_empty() != self.client_key_path.is_empty() {
                return Err("accounting.client_cert_path and client_key_path are set together or not at all".into());
            }
            if production {
                // A23: mutual TLS, always. A signature may be added on top, never instead.
                if url.scheme() != "https" || self.client_cert_path.is_empty() {
                    return Err("production mode requires an https accounting.base_url and a client certificate \
                        (accounting.client_cert_path and client_key_path) for mutual TLS"
                        .into());
                }
                if weak(&self.hmac_secret) {
                    return Err("production mode requires accounting.hmac_secret of at least 32 characters".into());
                }
            }
        }
        if self.serve_enabled {
            if self.backend == AccountingBackend::Http {
                return Err("accounting.serve_enabled serves the built-in ledger; it cannot be on with backend = \"http\"".into());
            }
            if self.serve_tls_cert_path.is_empty() != self.serve_tls_key_path.is_empty() {
                return Err("accounting.serve_tls_cert_path and serve_tls_key_path are set together or not at all".into());
            }
            if !self.serve_client_ca_path.is_empty() && self.serve_tls_cert_path.is_empty() {
                return Err("accounting.serve_client_ca_path needs serve_tls_cert_path and serve_tls_key_path".into());
            }
            if production {
                // A23: the contract carries every client's data. Either mutual TLS here, or a
                // TLS-terminating proxy on this machine in front of a loopback listener, with
                // signatures proving who calls.
                let mtls = !self.serve_client_ca_path.is_empty();
                let behind_local_proxy =
                    self.serve_listen.ip().is_loopback() && !self.serve_hmac_secret.expose_secret().is_empty();
                if !mtls && !behind_local_proxy {
                    return Err("production mode refuses to serve the accounting contract without client authentication: \
                        set accounting.serve_tls_* and serve_client_ca_path (mutual TLS), or listen on loopback \
                        behind a TLS proxy with accounting.serve_hmac_secret"
                        .into());
                }
                if weak(&self.serve_hmac_secret) {
                    return Err("production mode requires accounting.serve_hmac_secret of at least 32 characters".into());
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use figment::providers::Serialized;

    fn with(pairs: &[(&str, serde_json::Value)]) -> Result<Config, ConfigError> {
        let mut f = Figment::from(Toml::string(DEFAULT_TOML));
        for (k, v) in pairs {
            f = f.merge(Serialized::default(k, v));
        }
        Config::from_figment(f)
    }

    #[test]
    fn defaults_are_valid_demo() {
        let c = with(&[]).expect("defaults load");
        assert_eq!(c.mode, Mode::Demo);
        assert_eq!(c.org.allowed_origins, vec!["http://company.localhost:8000".to_string()]);
    }

    #[test]
    fn production_refuses_simulator() {
        let err = with(&[
            ("mode", "production".into()),
            ("gateways.sms_api_key", "k".into()),
            ("auth.code_secret", "0123456789abcdef0123456789abcdef".into()),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("simulator"), "{err}");
    }

    #[test]
    fn production_refuses_missing_secret_and_key() {
        let err = with(&[("mode", "production".into()), ("gateways.sms", "smsru".into())]).unwrap_err();
        assert!(err.to_string().contains("code_secret"), "{err}");
        let err = with(&[
            ("mode", "production".into()),
            ("gateways.sms", "smsru".into()),
            ("auth.code_secret", "0123456789abcdef0123456789abcdef".into()),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("sms_api_key"), "{err}");
        let err = with(&[
            ("mode", "production".into()),
            ("gateways.sms", "smsru".into()),
            ("gateways.sms_api_key", "k".into()),
            ("auth.code_secret", "0123456789abcdef0123456789abcdef".into()),
            ("audit.signing_key_path", "/nonexistent/key".into()),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("signing key"), "{err}");
    }

    #[test]
    fn esia_needs_the_first_party_cookie_layout() {
        let err = with(&[("auth.cookie", "partitioned".into())]).unwrap_err();
        assert!(err.to_string().contains("esia.enabled needs auth.cookie"), "{err}");
        with(&[("auth.cookie", "partitioned".into()), ("esia.enabled", false.into())]).expect("without ESIA it is fine");
    }

    #[test]
    fn wildcard_and_null_origins_are_refused_in_every_mode() {
        for bad in ["*", "null", "https://*.company.ru", "https://company.ru/path", "company.ru", "ftp://company.ru"] {
            let err = with(&[("org.allowed_origins", serde_json::json!([bad]))]).unwrap_err();
            assert!(err.to_string().contains("allowed_origins"), "{bad}: {err}");
        }
    }

    #[test]
    fn secrets_do_not_show_in_debug() {
        let c = with(&[("gateways.sms_api_key", "very-secret-123".into())]).unwrap();
        assert!(!format!("{c:?}").contains("very-secret-123"));
    }
}
