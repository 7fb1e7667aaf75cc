//! The ESIA relying party: the signed v2/ac address for the browser, the v3/te code exchange,
//! the id_token checks (signature, issuer, audience, time) and the person's verified data.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use secrecy::{ExposeSecret as _, SecretString};
use serde_json::Value;

use super::signer::{excerpt, run_program, SecretEncoding, Signer};
use crate::clock::Clock;

/// One ESIA call (token or one person resource) gets this long even when the shared client is
/// built without a timeout: a login must fail visibly rather than hang.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// An external token verifier checks one signature; ten seconds means it is stuck.
const VERIFY_TIMEOUT: Duration = Duration::from_secs(10);
/// The JWT `alg` of ESIA's GOST-signed tokens.
const ALG_GOST: &str = "GOST3410_2012_256";

#[derive(Debug, Clone)]
pub struct EsiaSettings {
    /// Where the browser is sent for /aas/oauth2/v2/ac (ESIA host; in simulator mode the shim's
    /// public URL + simulator MOUNT).
    pub login_base: String,
    /// Where the shim calls /aas/oauth2/v3/te and /rs/prns (ESIA host; the simulator's loopback
    /// root + MOUNT).
    pub api_base: String,
    /// The information system's mnemonic.
    pub client_id: String,
    /// Space-separated, e.g. "openid fullname id_doc mobile".
    pub scope: String,
    pub redirect_uri: String,
    /// Compared exactly: "http://esia.gosuslugi.ru/" etc.
    pub issuer: String,
    pub token_check: TokenCheck,
    pub encoding: SecretEncoding,
    /// Clock skew allowed for exp/nbf/iat, in seconds.
    pub leeway_secs: i64,
}

/// How the id_token's signature is checked; the algorithm is chosen per system on ESIA's
/// technology portal.
#[derive(Debug, Clone)]
pub enum TokenCheck {
    /// RS256 with ESIA's published certificates (any one may match).
    Rs256(Vec<rsa::RsaPublicKey>),
    /// GOST3410_2012_256 tokens: an external verifier gets the whole JWT on stdin; exit 0 = signature valid.
    Command { program: PathBuf, args: Vec<String> },
}

impl TokenCheck {
    /// From one or more PEM `CERTIFICATE` blocks (ESIA publishes several while it rotates keys).
    pub fn rs256_from_pem_certificates(pem: &str) -> anyhow::Result<TokenCheck> {
        use rsa::pkcs8::DecodePublicKey as _;
        use x509_cert::der::Encode as _;

        let certificates = x509_cert::Certificate::load_pem_chain(pem.as_bytes())
            .map_err(|e| anyhow::anyhow!("ESIA token certificates: {e}"))?;
        anyhow::ensure!(!certificates.is_empty(), "ESIA token certificates: no CERTIFICATE block");
        let keys = certificates
            .iter()
            .enumerate()
            .map(|(i, certificate)| {
                let spki = certificate
                    .tbs_certificate
                    .subject_public_key_info
                    .to_der()
                    .map_err(|e| anyhow::anyhow!("ESIA token certificate {}: {e}", i + 1))?;
                rsa::RsaPublicKey::from_public_key_der(&spki)
                    .map_err(|e| anyhow::anyhow!("ESIA token certificate {} has no RSA key: {e}", i + 1))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(TokenCheck::Rs256(keys))
    }
}

/// A successful code exchange.
#[derive(Debug, Clone)]
pub struct EsiaLogin {
    /// The person's OID (`sub` of the id_token).
    pub oid: String,
    pub access_token: SecretString,
    /// The verified id_token payload.
    pub claims: Value,
}

/// What ESIA confirms about the person; unverified values are already dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EsiaPerson {
    pub oid: String,
    pub last_name: String,
    pub first_name: String,
    pub middle_name: Option<String>,
    /// A confirmed account (ESIA's `trusted`); KYC needs it.
    pub trusted: bool,
    pub passport: Option<Passport>,
    /// E.164, `+7XXXXXXXXXX`.
    pub mobile: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passport {
    /// Four digits, spaces removed.
    pub series: String,
    /// Six digits.
    pub number: String,
}

#[derive(Debug, thiserror::Error)]
pub enum EsiaError {
    #[error("ESIA: the person refused access (ESIA-007004)")]
    Denied,
    #[error("ESIA: the code is invalid or expired (ESIA-007011)")]
    CodeExpired,
    #[error("ESIA refused: {code} {description}")]
    Refused { code: String, description: String },
    #[error("ESIA answered with another state")]
    StateMismatch,
    #[error("ESIA token refused: {0}")]
    BadToken(String),
    #[error("ESIA unavailable: {0:#}")]
    Unavailable(anyhow::Error),
}

impl EsiaError {
    /// From the callback's `error` and `error_description` query parameters (access_denied /
    /// ESIA-007004 → Denied, 007011 → CodeExpired, else Refused with the ESIA-0070xx code
    /// parsed from the description).
    pub fn from_callback(error: &str, description: Option<&str>) -> EsiaError {
        let code = description.and_then(esia_code);
        match code.as_deref() {
            Some("ESIA-007004") => EsiaError::Denied,
            Some("ESIA-007011") => EsiaError::CodeExpired,
            // The ESIA code is more precise than the OAuth2 error name, so it wins when both
            // are there; access_denied alone is the person pressing "do not allow".
            None if error == "access_denied" => EsiaError::Denied,
            _ => EsiaError::Refused {
                code: code.unwrap_or_else(|| error.to_owned()),
                description: description.unwrap_or_default().to_owned(),
            },
        }
    }

    /// The v3/te error body: only an expired code has a meaning of its own there.
    fn from_token_error(error: &str, description: &str) -> EsiaError {
        let code = esia_code(description);
        if code.as_deref() == Some("ESIA-007011") {
            return EsiaError::CodeExpired;
        }
        EsiaError::Refused { code: code.unwrap_or_else(|| error.to_owned()), description: description.to_owned() }
    }
}

/// `ESIA-0070xx` as written in an `error_description`.
fn esia_code(text: &str) -> Option<String> {
    text.match_indices("ESIA-").find_map(|(at, _)| {
        let digits: String = text[at + 5..].chars().take_while(char::is_ascii_digit).collect();
        (digits.len() == 6).then(|| format!("ESIA-{digits}"))
    })
}

/// RFC 7636's S256 `code_challenge`: base64url without padding of SHA-256 of the verifier.
pub fn pkce_challenge(code_verifier: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(code_verifier.as_bytes()))
}

/// `yyyy.MM.dd HH:mm:ss ±hhmm` of `at` in its own offset.
pub fn timestamp(at: time::OffsetDateTime) -> String {
    let format = time::macros::format_description!(
        "[year].[month].[day] [hour]:[minute]:[second] [offset_hour sign:mandatory][offset_minute]"
    );
    at.format(&format).expect("formatting a date with its offset cannot fail")
}

/// The string signed for v2/ac: client_id + scope + timestamp + state + redirect_uri, no separators.
pub fn ac_secret_input(client_id: &str, scope: &str, timestamp: &str, state: &str, redirect_uri: &str) -> String {
    [client_id, scope, timestamp, state, redirect_uri].concat()
}

/// The string signed for v3/te: the same, then + code.
pub fn te_secret_input(
    client_id: &str,
    scope: &str,
    timestamp: &str,
    state: &str,
    redirect_uri: &str,
    code: &str,
) -> String {
    [client_id, scope, timestamp, state, redirect_uri, code].concat()
}

/// Talks to ESIA (or its simulator) for one registered information system.
#[derive(Clone)]
pub struct EsiaClient {
    settings: EsiaSettings,
    signer: Arc<dyn Signer>,
    clock: Arc<dyn Clock>,
    http: reqwest::Client,
}

impl std::fmt::Debug for EsiaClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EsiaClient").field("settings", &self.settings).finish_non_exhaustive()
    }
}

impl EsiaClient {
    pub fn new(settings: EsiaSettings, signer: Arc<dyn Signer>, clock: Arc<dyn Clock>, http: reqwest::Client) -> Self {
        EsiaClient { settings, signer, clock, http }
    }

    pub fn settings(&self) -> &EsiaSettings {
        &self.settings
    }

    /// The v2/ac address for the browser: client_id, client_secret, redirect_uri, scope,
    /// response_type=code, state, timestamp, access_type=online, client_certificate_hash, and
    /// the trip's `nonce` and PKCE `code_challenge` (S256) when given. The secret's string is
    /// the documented one whether or not they are sent.
    pub async fn authorize_url(&self, state: &str, nonce: Option<&str>, code_verifier: Option<&str>) -> Result<String, EsiaError> {
        let s = &self.settings;
        let timestamp = timestamp(self.clock.now());
        let input = ac_secret_input(&s.client_id, &s.scope, &timestamp, state, &s.redirect_uri);
        let secret = self.client_secret(&input).await?;
        let mut url = endpoint(&s.login_base, &["aas", "oauth2", "v2", "ac"])?;
        url.query_pairs_mut()
            .append_pair("client_id", &s.client_id)
            .append_pair("client_secret", &secret)
            .append_pair("redirect_uri", &s.redirect_uri)
            .append_pair("scope", &s.scope)
            .append_pair("response_type", "code")
            .append_pair("state", state)
            .append_pair("timestamp", &timestamp)
            .append_pair("access_type", "online")
            .append_pair("client_certificate_hash", self.signer.certificate_hash());
        if let Some(nonce) = nonce {
            url.query_pairs_mut().append_pair("nonce", nonce);
        }
        if let Some(verifier) = code_verifier {
            url.query_pairs_mut().append_pair("code_challenge", &pkce_challenge(verifier)).append_pair("code_challenge_method", "S256");
        }
        Ok(url.into())
    }

    /// POST /aas/oauth2/v3/te with a new state and timestamp (and the trip's PKCE
    /// `code_verifier` when its challenge was sent), then the returned state and the id_token
    /// are checked. `expected_nonce`: a nonce in the token must equal it; a token without one
    /// is accepted (ESIA no longer requires nonce, so it may not echo it).
    pub async fn exchange(&self, code: &str, expected_nonce: Option<&str>, code_verifier: Option<&str>) -> Result<EsiaLogin, EsiaError> {
        let s = &self.settings;
        // ESIA wants a state of its own for the exchange, not the one of the browser's trip.
        let state = uuid::Uuid::new_v4().to_string();
        let timestamp = timestamp(self.clock.now());
        let input = te_secret_input(&s.client_id, &s.scope, &timestamp, &state, &s.redirect_uri, code);
        let secret = self.client_secret(&input).await?;
        let mut form = vec![
            ("client_id", s.client_id.as_str()),
            ("code", code),
            ("grant_type", "authorization_code"),
            ("client_secret", &secret),
            ("state", &state),
            ("redirect_uri", &s.redirect_uri),
            ("scope", &s.scope),
            ("timestamp", &timestamp),
            ("token_type", "Bearer"),
            ("client_certificate_hash", self.signer.certificate_hash()),
        ];
        if let Some(verifier) = code_verifier {
            form.push(("code_verifier", verifier));
        }
        let url = endpoint(&s.api_base, &["aas", "oauth2", "v3", "te"])?;
        let request = self.http.post(url).timeout(REQUEST_TIMEOUT).form(&form);
        let (status, body) = send(request, "v3/te").await?;

        let answer: Option<Value> = serde_json::from_str(&body).ok();
        let error = answer.as_ref().and_then(|a| a.get("error")).and_then(Value::as_str);
        if status.is_client_error() || (status.is_success() && error.is_some()) {
            return Err(match (&answer, error) {
                (Some(a), Some(error)) => {
                    EsiaError::from_token_error(error, a.get("error_description").and_then(Value::as_str).unwrap_or(""))
                }
                _ => EsiaError::Refused { code: format!("HTTP {}", status.as_u16()), description: excerpt(&body) },
            });
        }
        if !status.is_success() {
            return Err(unavailable(format!("v3/te answered HTTP {}: {}", status.as_u16(), excerpt(&body))));
        }
        let answer = answer.ok_or_else(|| unavailable(format!("v3/te answer is not JSON: {}", excerpt(&body))))?;
        if answer.get("state").and_then(Value::as_str) != Some(state.as_str()) {
            return Err(EsiaError::StateMismatch);
        }
        let text = |name: &str| answer.get(name).and_then(Value::as_str).filter(|t| !t.is_empty());
        let access_token = text("access_token").ok_or_else(|| EsiaError::BadToken("no access_token".into()))?;
        let id_token = text("id_token").ok_or_else(|| EsiaError::BadToken("no id_token".into()))?;
        let claims = self.verify_id_token(id_token, expected_nonce).await?;
        let oid = subject(&claims).ok_or_else(|| EsiaError::BadToken("no sub".into()))?;
        Ok(EsiaLogin { oid, access_token: SecretString::from(access_token.to_owned()), claims })
    }

    /// The person, their documents and their contacts. Keeps only what ESIA marks VERIFIED: a
    /// passport only of type RF_PASSPORT, a mobile only of type MBT, normalised to +7XXXXXXXXXX.
    /// Documents and contacts are asked for only when the scope grants them (`id_doc`;
    /// `mobile` or `contacts`), since ESIA refuses the whole request otherwise.
    pub async fn person(&self, login: &EsiaLogin) -> Result<EsiaPerson, EsiaError> {
        let granted = |name: &str| self.settings.scope.split_whitespace().any(|s| s == name);
        let oid = login.oid.as_str();
        let (person_path, docs_path, ctts_path) = ([oid], [oid, "docs"], [oid, "ctts"]);
        let (person, docs, ctts) = tokio::try_join!(
            self.resource(login, &person_path, None),
            self.optional_resource(login, granted("id_doc"), &docs_path),
            self.optional_resource(login, granted("mobile") || granted("contacts"), &ctts_path),
        )?;

        let name = |field: &str| person.get(field).and_then(Value::as_str).map(str::trim).filter(|t| !t.is_empty());
        let required = |field: &str| {
            name(field).map(str::to_owned).ok_or_else(|| unavailable(format!("the person has no {field}")))
        };
        let verified = |resource: &Option<Value>, kind: &str| -> Vec<Value> {
            let elements = resource.as_ref().and_then(|r| r.get("elements")).and_then(Value::as_array);
            elements
                .into_iter()
                .flatten()
                .filter(|e| {
                    e.get("type").and_then(Value::as_str) == Some(kind)
                        && e.get("vrfStu").and_then(Value::as_str) == Some("VERIFIED")
                })
                .cloned()
                .collect()
        };
        Ok(EsiaPerson {
            oid: login.oid.clone(),
            last_name: required("lastName")?,
            first_name: required("firstName")?,
            middle_name: name("middleName").map(str::to_owned),
            trusted: person.get("trusted").and_then(Value::as_bool).unwrap_or(false),
            passport: verified(&docs, "RF_PASSPORT").iter().find_map(passport),
            mobile: verified(&ctts, "MBT").iter().find_map(|c| c.get("value").and_then(Value::as_str).and_then(mobile)),
        })
    }

    /// A list resource with its elements embedded, or nothing when the scope does not grant it.
    async fn optional_resource(
        &self,
        login: &EsiaLogin,
        granted: bool,
        path: &[&str],
    ) -> Result<Option<Value>, EsiaError> {
        if !granted {
            return Ok(None);
        }
        self.resource(login, path, Some("embed=(elements)")).await.map(Some)
    }

    /// GET `{api_base}/rs/prns/{path…}` with the access token.
    async fn resource(&self, login: &EsiaLogin, path: &[&str], query: Option<&str>) -> Result<Value, EsiaError> {
        let mut segments = vec!["rs", "prns"];
        segments.extend_from_slice(path);
        let mut url = endpoint(&self.settings.api_base, &segments)?;
        url.set_query(query);
        // Named without the OID: the label goes into errors and logs.
        let what = format!("/rs/prns/{{oid}}{}", path[1..].iter().map(|p| format!("/{p}")).collect::<String>());
        let request = self.http.get(url).timeout(REQUEST_TIMEOUT).bearer_auth(login.access_token.expose_secret());
        let (status, body) = send(request, &what).await?;
        if status.is_client_error() {
            return Err(EsiaError::Refused { code: format!("HTTP {}", status.as_u16()), description: excerpt(&body) });
        }
        if !status.is_success() {
            return Err(unavailable(format!("{what} answered HTTP {}: {}", status.as_u16(), excerpt(&body))));
        }
        serde_json::from_str(&body).map_err(|_| unavailable(format!("{what} answer is not JSON: {}", excerpt(&body))))
    }

    async fn client_secret(&self, input: &str) -> Result<String, EsiaError> {
        let signature = self
            .signer
            .sign(input.as_bytes())
            .await
            .map_err(|e| EsiaError::Unavailable(e.context("signing the client_secret")))?;
        Ok(self.settings.encoding.encode(&signature))
    }

    /// Checks the id_token's signature, then its claims, and returns the claims.
    async fn verify_id_token(&self, jwt: &str, expected_nonce: Option<&str>) -> Result<Value, EsiaError> {
        let bad = |why: &str| EsiaError::BadToken(why.to_owned());
        let s = &self.settings;
        let mut parts = jwt.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("not a JWS in compact form"));
        };
        let header: Value = decode_json(header).ok_or_else(|| bad("unreadable header"))?;
        let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
        let signature = base64url(signature).ok_or_else(|| bad("unreadable signature"))?;
        let signed = &jwt[..header_payload_len(jwt)];

        match &s.token_check {
            TokenCheck::Rs256(keys) => {
                use rsa::signature::Verifier as _;
                // Only RS256: "none" and HMAC with the public key as secret are the classic ways in.
                if alg != "RS256" {
                    return Err(EsiaError::BadToken(format!("algorithm {alg:?} instead of RS256")));
                }
                let signature =
                    rsa::pkcs1v15::Signature::try_from(signature.as_slice()).map_err(|_| bad("malformed signature"))?;
                let valid = keys.iter().any(|key| {
                    rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(key.clone())
                        .verify(signed.as_bytes(), &signature)
                        .is_ok()
                });
                if !valid {
                    return Err(bad("the signature does not match ESIA's certificates"));
                }
            }
            TokenCheck::Command { program, args } => {
                if alg != ALG_GOST {
                    return Err(EsiaError::BadToken(format!("algorithm {alg:?} instead of {ALG_GOST}")));
                }
                let output = run_program(program, args, jwt.as_bytes(), VERIFY_TIMEOUT)
                    .await
                    .map_err(|e| EsiaError::Unavailable(e.context(format!("token verifier {}", program.display()))))?;
                if !output.status.success() {
                    return Err(EsiaError::BadToken(format!(
                        "the verifier {} refused the signature ({}): {}",
                        program.display(),
                        output.status,
                        excerpt(&String::from_utf8_lossy(&output.stderr))
                    )));
                }
            }
        }

        let claims: Value = decode_json(payload).ok_or_else(|| bad("unreadable payload"))?;
        if !claims.is_object() {
            return Err(bad("the payload is not an object"));
        }
        let iss = claims.get("iss").and_then(Value::as_str);
        if iss != Some(s.issuer.as_str()) {
            return Err(EsiaError::BadToken(format!("issuer {iss:?} instead of {:?}", s.issuer)));
        }
        let audience_ok = match claims.get("aud") {
            Some(Value::String(aud)) => *aud == s.client_id,
            Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(s.client_id.as_str())),
            _ => false,
        };
        if !audience_ok {
            return Err(bad("issued for another system (aud)"));
        }
        let now = self.clock.now().unix_timestamp();
        let leeway = s.leeway_secs.max(0);
        let time = |name: &str| -> Result<Option<i64>, EsiaError> {
            match claims.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v
                    .as_i64()
                    .or_else(|| v.as_f64().map(|f| f as i64))
                    .map(Some)
                    .ok_or_else(|| EsiaError::BadToken(format!("{name} is not a number"))),
            }
        };
        match time("exp")? {
            None => return Err(bad("no exp")),
            Some(exp) if exp <= now.saturating_sub(leeway) => return Err(bad("expired")),
            Some(_) => {}
        }
        if time("nbf")?.is_some_and(|nbf| nbf > now.saturating_add(leeway)) {
            return Err(bad("not valid yet (nbf)"));
        }
        if time("iat")?.is_some_and(|iat| iat > now.saturating_add(leeway)) {
            return Err(bad("issued in the future (iat)"));
        }
        if subject(&claims).is_none() {
            return Err(bad("no sub"));
        }
        // Checked only when present: a token naming another trip's nonce is refused; one
        // naming none is not (ESIA's operator advised dropping nonce in 2022).
        if let (Some(expected), Some(nonce)) = (expected_nonce, claims.get("nonce")) {
            if nonce.as_str() != Some(expected) {
                return Err(bad("another nonce"));
            }
        }
        Ok(claims)
    }
}

/// `{base}/a/b/…`, each segment percent-encoded, whatever trailing slash `base` has.
fn endpoint(base: &str, segments: &[&str]) -> Result<url::Url, EsiaError> {
    let mut url =
        url::Url::parse(base.trim_end_matches('/')).map_err(|e| unavailable(format!("ESIA base URL {base:?}: {e}")))?;
    url.path_segments_mut()
        .map_err(|()| unavailable(format!("ESIA base URL {base:?} cannot have a path")))?
        .pop_if_empty()
        .extend(segments);
    Ok(url)
}

/// Sends and reads the whole answer; only transport failures are judged here.
async fn send(request: reqwest::RequestBuilder, what: &str) -> Result<(reqwest::StatusCode, String), EsiaError> {
    let fail = |e: reqwest::Error| {
        if e.is_timeout() {
            unavailable(format!("{what}: no answer within {} s", REQUEST_TIMEOUT.as_secs()))
        } else {
            unavailable(format!("{what}: {}", crate::gateways::error_chain(&e)))
        }
    };
    let response = request.send().await.map_err(fail)?;
    let status = response.status();
    let bytes = response.bytes().await.map_err(fail)?;
    Ok((status, String::from_utf8_lossy(&bytes).into_owned()))
}

fn unavailable(message: String) -> EsiaError {
    EsiaError::Unavailable(anyhow::Error::msg(message))
}

/// Length of `header.payload`, the signed part of a compact JWS.
fn header_payload_len(jwt: &str) -> usize {
    jwt.rfind('.').unwrap_or(0)
}

fn base64url(part: &str) -> Option<Vec<u8>> {
    // JWTs are unpadded, but padding changes nothing the signature covers, so it is tolerated.
    const ENGINE: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    ENGINE.decode(part).ok()
}

fn decode_json(part: &str) -> Option<Value> {
    serde_json::from_slice(&base64url(part)?).ok()
}

/// `sub` as text: ESIA writes the OID as a number in some tokens and a string in others.
fn subject(claims: &Value) -> Option<String> {
    match claims.get("sub")? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn passport(document: &Value) -> Option<Passport> {
    let digits = |field: &str, len: usize| {
        let value: String = document.get(field)?.as_str()?.chars().filter(|c| !c.is_whitespace()).collect();
        (value.len() == len && value.chars().all(|c| c.is_ascii_digit())).then_some(value)
    };
    Some(Passport { series: digits("series", 4)?, number: digits("number", 6)? })
}

/// ESIA writes mobiles as `+7(916)1234567`; anything that is not a Russian mobile number in
/// some such dress is dropped rather than guessed at.
fn mobile(value: &str) -> Option<String> {
    let compact: String = value.chars().filter(|c| !matches!(c, ' ' | '(' | ')' | '-')).collect();
    let national = compact.strip_prefix("+7").or_else(|| compact.strip_prefix('7'))?;
    (national.len() == 10 && national.chars().all(|c| c.is_ascii_digit())).then(|| format!("+7{national}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::sync::{LazyLock, Mutex};

    use axum::extract::{Form, Path, State};
    use axum::http::{HeaderMap, StatusCode};
    use axum::response::{IntoResponse, Response};
    use axum::Json;
    use ed25519_dalek::Verifier as _;
    use rsa::pkcs8::DecodePrivateKey as _;
    use rsa::signature::{SignatureEncoding as _, Signer as _};
    use rsa::traits::PublicKeyParts as _;
    use serde_json::json;
    use time::macros::datetime;

    use crate::clock::ManualClock;
    use crate::gateways::esia::signer::DemoSigner;
    use crate::gateways::esia::{simulator, DEMO_CERTIFICATE_HASH, DEMO_CLIENT_ID, ISSUER_TEST};

    const SCOPE: &str = "openid fullname id_doc mobile";
    const REDIRECT: &str = "https://lk.company.ru/api/v1/auth/esia/callback";
    const STATE: &str = "1b4e28ba-2fa1-11d2-883f-0016d3cca427";
    /// 2026-12-01 14:05:09 +03:00 as a Unix time, written out for the JWT claims.
    const NOW: i64 = 1_796_123_109;

    static SIM_KEY: LazyLock<rsa::RsaPrivateKey> =
        LazyLock::new(|| rsa::RsaPrivateKey::from_pkcs8_pem(include_str!("sim/token-key.pem")).unwrap());

    #[test]
    fn secret_inputs_concatenate_without_separators() {
        assert_eq!(
            ac_secret_input("KABINET_DEMO", SCOPE, "2026.12.01 14:05:09 +0300", STATE, REDIRECT),
            "KABINET_DEMOopenid fullname id_doc mobile2026.12.01 14:05:09 +03001b4e28ba-2fa1-11d2-883f-0016d3cca427https://lk.company.ru/api/v1/auth/esia/callback"
        );
        assert_eq!(
            te_secret_input("KABINET_DEMO", SCOPE, "2026.12.01 14:05:09 +0300", STATE, REDIRECT, "eyJ2ZXIi"),
            "KABINET_DEMOopenid fullname id_doc mobile2026.12.01 14:05:09 +03001b4e28ba-2fa1-11d2-883f-0016d3cca427https://lk.company.ru/api/v1/auth/esia/callbackeyJ2ZXIi"
        );
    }

    #[test]
    fn pkce_challenge_is_rfc_7636_s256() {
        // RFC 7636, Appendix B.
        assert_eq!(pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }

    #[tokio::test]
    async fn nonce_and_code_challenge_follow_the_documented_parameters() {
        let esia = client("http://127.0.0.1:9", sim_check(), SecretEncoding::Base64url);
        let address = esia.authorize_url(STATE, Some("n-1"), Some("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).await.unwrap();
        let url = url::Url::parse(&address).unwrap();
        let q: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
        assert_eq!(q["nonce"], "n-1");
        assert_eq!(q["code_challenge"], "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        assert_eq!(q["code_challenge_method"], "S256");
        // The secret covers the documented five values only.
        use base64::engine::general_purpose::URL_SAFE;
        let raw = URL_SAFE.decode(&q["client_secret"]).unwrap();
        let signature = ed25519_dalek::Signature::from_slice(&raw).unwrap();
        let signed = format!("KABINET_DEMO{SCOPE}2026.12.01 14:05:09 +0300{STATE}{REDIRECT}");
        DemoSigner::verifying_key().verify(signed.as_bytes(), &signature).unwrap();
    }

    #[test]
    fn timestamp_keeps_the_offset_of_its_time() {
        assert_eq!(timestamp(datetime!(2026-12-01 14:05:09 +03:00)), "2026.12.01 14:05:09 +0300");
        assert_eq!(timestamp(datetime!(2026-01-02 03:04:05 UTC)), "2026.01.02 03:04:05 +0000");
        assert_eq!(timestamp(datetime!(2026-07-08 23:59:00 -05:30)), "2026.07.08 23:59:00 -0530");
        assert_eq!(datetime!(2026-12-01 14:05:09 +03:00).unix_timestamp(), NOW);
    }

    #[test]
    fn callback_errors() {
        assert!(matches!(EsiaError::from_callback("access_denied", None), EsiaError::Denied));
        assert!(matches!(
            EsiaError::from_callback("access_denied", Some("ESIA-007004: Пользователь отказал в доступе")),
            EsiaError::Denied
        ));
        assert!(matches!(
            EsiaError::from_callback("invalid_grant", Some("ESIA-007011: code expired")),
            EsiaError::CodeExpired
        ));
        match EsiaError::from_callback("invalid_request", Some("ESIA-007053: client_secret malformed")) {
            EsiaError::Refused { code, description } => {
                assert_eq!(code, "ESIA-007053");
                assert_eq!(description, "ESIA-007053: client_secret malformed");
            }
            other => panic!("{other:?}"),
        }
        match EsiaError::from_callback("server_error", None) {
            EsiaError::Refused { code, .. } => assert_eq!(code, "server_error"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn mobiles_and_passports_are_normalised_or_dropped() {
        assert_eq!(mobile("+7(916)1234567").as_deref(), Some("+79161234567"));
        assert_eq!(mobile("+7 916 123-45-67").as_deref(), Some("+79161234567"));
        assert_eq!(mobile("+7(916)123456"), None);
        assert_eq!(mobile("+375(29)1234567"), None);
        assert_eq!(mobile("+7(916)123456x"), None);
        assert_eq!(
            passport(&json!({"series": "45 08", "number": "123456"})),
            Some(Passport { series: "4508".into(), number: "123456".into() })
        );
        assert_eq!(passport(&json!({"series": "45 08", "number": "12345"})), None);
        assert_eq!(passport(&json!({"series": "4508"})), None);
    }

    fn settings(api_base: &str, token_check: TokenCheck, encoding: SecretEncoding) -> EsiaSettings {
        EsiaSettings {
            login_base: "https://esia-portal1.test.gosuslugi.ru/".into(),
            api_base: api_base.into(),
            client_id: DEMO_CLIENT_ID.into(),
            scope: SCOPE.into(),
            redirect_uri: REDIRECT.into(),
            issuer: ISSUER_TEST.into(),
            token_check,
            encoding,
            leeway_secs: 60,
        }
    }

    fn sim_check() -> TokenCheck {
        TokenCheck::rs256_from_pem_certificates(simulator::TOKEN_CERTIFICATE_PEM).unwrap()
    }

    fn client(api_base: &str, token_check: TokenCheck, encoding: SecretEncoding) -> EsiaClient {
        EsiaClient::new(
            settings(api_base, token_check, encoding),
            Arc::new(DemoSigner::new()),
            Arc::new(ManualClock::new(datetime!(2026-12-01 14:05:09 +03:00))),
            reqwest::Client::new(),
        )
    }

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    fn mint(header: &Value, claims: &Value) -> String {
        let signed = format!("{}.{}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()));
        let key = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(SIM_KEY.clone());
        format!("{signed}.{}", b64(&key.sign(signed.as_bytes()).to_vec()))
    }

    fn good_claims() -> Value {
        json!({
            "iss": ISSUER_TEST, "aud": DEMO_CLIENT_ID, "sub": 1000404446,
            "exp": NOW + 3600, "nbf": NOW - 10, "iat": NOW - 10, "nonce": "n-1",
        })
    }

    fn rs256() -> Value {
        json!({"alg": "RS256", "typ": "JWT"})
    }

    fn with(claims: Value, name: &str, value: Value) -> Value {
        let mut claims = claims;
        claims[name] = value;
        claims
    }

    #[test]
    fn certificates_are_read_from_pem() {
        let TokenCheck::Rs256(keys) = sim_check() else { panic!() };
        assert_eq!(keys, vec![SIM_KEY.to_public_key()]);
        let two = format!("{0}\n{0}", simulator::TOKEN_CERTIFICATE_PEM);
        let TokenCheck::Rs256(keys) = TokenCheck::rs256_from_pem_certificates(&two).unwrap() else { panic!() };
        assert_eq!(keys.len(), 2);
        assert!(TokenCheck::rs256_from_pem_certificates("no pem here").is_err());
    }

    #[tokio::test]
    async fn authorize_url_carries_the_signed_parameters() {
        for encoding in [SecretEncoding::Base64url, SecretEncoding::Base64urlNopad, SecretEncoding::Base64] {
            let esia = client("http://127.0.0.1:9", sim_check(), encoding);
            let address = esia.authorize_url(STATE, None, None).await.unwrap();
            let url = url::Url::parse(&address).unwrap();
            assert_eq!(url.origin().ascii_serialization(), "https://esia-portal1.test.gosuslugi.ru");
            assert_eq!(url.path(), "/aas/oauth2/v2/ac");
            let mut pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
            let secret = pairs.remove(1);
            assert_eq!(secret.0, "client_secret");
            let expected = [
                ("client_id", "KABINET_DEMO"),
                ("redirect_uri", "https://lk.company.ru/api/v1/auth/esia/callback"),
                ("scope", "openid fullname id_doc mobile"),
                ("response_type", "code"),
                ("state", "1b4e28ba-2fa1-11d2-883f-0016d3cca427"),
                ("timestamp", "2026.12.01 14:05:09 +0300"),
                ("access_type", "online"),
                ("client_certificate_hash", DEMO_CERTIFICATE_HASH),
            ];
            let expected: Vec<(String, String)> =
                expected.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            assert_eq!(pairs, expected);

            use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
            let raw = match encoding {
                SecretEncoding::Base64url => URL_SAFE.decode(&secret.1),
                SecretEncoding::Base64urlNopad => URL_SAFE_NO_PAD.decode(&secret.1),
                SecretEncoding::Base64 => STANDARD.decode(&secret.1),
            }
            .unwrap();
            let signature = ed25519_dalek::Signature::from_slice(&raw).unwrap();
            let signed = "KABINET_DEMOopenid fullname id_doc mobile2026.12.01 14:05:09 +03001b4e28ba-2fa1-11d2-883f-0016d3cca427https://lk.company.ru/api/v1/auth/esia/callback";
            DemoSigner::verifying_key().verify(signed.as_bytes(), &signature).unwrap();
        }
    }

    #[tokio::test]
    async fn id_token_checks() {
        let esia = client("http://127.0.0.1:9", sim_check(), SecretEncoding::Base64url);
        let claims = esia.verify_id_token(&mint(&rs256(), &good_claims()), Some("n-1")).await.unwrap();
        assert_eq!(subject(&claims).as_deref(), Some("1000404446"));
        // ESIA does not send a nonce any more; none expected, none required.
        let no_nonce: serde_json::Map<String, Value> = good_claims()
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| *k != "nonce")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        esia.verify_id_token(&mint(&rs256(), &Value::Object(no_nonce.clone())), None).await.unwrap();
        // A nonce was sent, ESIA echoed none: accepted (checked only when present).
        esia.verify_id_token(&mint(&rs256(), &Value::Object(no_nonce)), Some("n-1")).await.unwrap();
        esia.verify_id_token(&mint(&rs256(), &with(good_claims(), "aud", json!(["X", DEMO_CLIENT_ID]))), None)
            .await
            .unwrap();
        // Within the leeway.
        esia.verify_id_token(&mint(&rs256(), &with(good_claims(), "exp", json!(NOW - 30))), None).await.unwrap();

        let good = mint(&rs256(), &good_claims());
        let (signed, signature) = good.rsplit_once('.').unwrap();
        let tampered_payload = b64(with(good_claims(), "sub", json!(1)).to_string().as_bytes());
        let header = signed.split('.').next().unwrap();
        let refused = [
            ("issuer", mint(&rs256(), &with(good_claims(), "iss", json!("http://esia.gosuslugi.ru/"))), None),
            (
                "no slash",
                mint(&rs256(), &with(good_claims(), "iss", json!("http://esia-portal1.test.gosuslugi.ru"))),
                None,
            ),
            (
                "https",
                mint(&rs256(), &with(good_claims(), "iss", json!("https://esia-portal1.test.gosuslugi.ru/"))),
                None,
            ),
            ("audience", mint(&rs256(), &with(good_claims(), "aud", json!("OTHER_IS"))), None),
            ("audience list", mint(&rs256(), &with(good_claims(), "aud", json!(["OTHER_IS"]))), None),
            ("expired", mint(&rs256(), &with(good_claims(), "exp", json!(NOW - 61))), None),
            ("no exp", mint(&rs256(), &with(good_claims(), "exp", Value::Null)), None),
            ("nbf", mint(&rs256(), &with(good_claims(), "nbf", json!(NOW + 120))), None),
            ("iat", mint(&rs256(), &with(good_claims(), "iat", json!(NOW + 120))), None),
            ("no sub", mint(&rs256(), &with(good_claims(), "sub", Value::Null)), None),
            ("nonce", good.clone(), Some("n-2")),
            ("alg none", format!("{}.{}.", b64(br#"{"alg":"none"}"#), signed.split('.').nth(1).unwrap()), None),
            ("alg HS256", mint(&json!({"alg": "HS256"}), &good_claims()), None),
            ("alg GOST", mint(&json!({"alg": ALG_GOST}), &good_claims()), None),
            ("tampered", format!("{header}.{tampered_payload}.{signature}"), None),
            ("two parts", signed.to_owned(), None),
            ("garbage", "a.b.c".to_owned(), None),
        ];
        for (case, token, nonce) in refused {
            match esia.verify_id_token(&token, nonce).await {
                Err(EsiaError::BadToken(_)) => {}
                other => panic!("{case}: {other:?}"),
            }
        }

        // Signed by a key other than the configured one; accepted once the right one is among them.
        let other = rsa::RsaPublicKey::new(SIM_KEY.n() + rsa::BigUint::from(2u8), SIM_KEY.e().clone()).unwrap();
        let elsewhere = client("http://127.0.0.1:9", TokenCheck::Rs256(vec![other.clone()]), SecretEncoding::Base64url);
        assert!(matches!(elsewhere.verify_id_token(&good, None).await, Err(EsiaError::BadToken(_))));
        let rotated = client(
            "http://127.0.0.1:9",
            TokenCheck::Rs256(vec![other, SIM_KEY.to_public_key()]),
            SecretEncoding::Base64url,
        );
        rotated.verify_id_token(&good, None).await.unwrap();
    }

    #[tokio::test]
    async fn gost_tokens_go_to_the_external_verifier() {
        let check =
            |script: &str| TokenCheck::Command { program: "/bin/sh".into(), args: vec!["-c".into(), script.into()] };
        let unsigned = |alg: &str| {
            format!(
                "{}.{}.AAAA",
                b64(json!({"alg": alg}).to_string().as_bytes()),
                b64(good_claims().to_string().as_bytes())
            )
        };
        // The verifier sees the whole token.
        let expected = unsigned(ALG_GOST);
        let accepts =
            client("http://127.0.0.1:9", check(&format!("test \"$(cat)\" = '{expected}'")), SecretEncoding::Base64url);
        accepts.verify_id_token(&unsigned(ALG_GOST), None).await.unwrap();
        assert!(matches!(accepts.verify_id_token(&unsigned("RS256"), None).await, Err(EsiaError::BadToken(_))));
        let refuses = client(
            "http://127.0.0.1:9",
            check("cat >/dev/null; echo 'bad signature' >&2; exit 1"),
            SecretEncoding::Base64url,
        );
        match refuses.verify_id_token(&unsigned(ALG_GOST), None).await {
            Err(EsiaError::BadToken(why)) => assert!(why.contains("bad signature"), "{why}"),
            other => panic!("{other:?}"),
        }
    }

    // ---- a small ESIA on loopback ----

    #[derive(Default)]
    struct Fake {
        /// What the next v3/te answers: "ok", "expired", "other_state", "down".
        mode: &'static str,
        /// The `sub` of the next id_token; picks the person below.
        sub: i64,
        te_states: Vec<String>,
    }

    type Shared = Arc<Mutex<Fake>>;

    fn refuse(why: &str) -> Response {
        let body = json!({"error": "invalid_request", "error_description": format!("ESIA-007053: {why}")});
        (StatusCode::BAD_REQUEST, Json(body)).into_response()
    }

    async fn te(State(fake): State<Shared>, Form(form): Form<std::collections::HashMap<String, String>>) -> Response {
        let field = |name: &str| form.get(name).map(String::as_str).unwrap_or("");
        let fixed = [
            ("client_id", "KABINET_DEMO"),
            ("grant_type", "authorization_code"),
            ("redirect_uri", REDIRECT),
            ("scope", SCOPE),
            ("timestamp", "2026.12.01 14:05:09 +0300"),
            ("token_type", "Bearer"),
            ("client_certificate_hash", DEMO_CERTIFICATE_HASH),
            ("code", "eyJ2ZXIi"),
        ];
        for (name, value) in fixed {
            if field(name) != value {
                return refuse(&format!("{name} = {:?}", field(name)));
            }
        }
        if form.get("code_verifier").is_some_and(|v| v != "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") {
            return refuse("another code_verifier");
        }
        let state = field("state");
        if uuid::Uuid::parse_str(state).map(|u| u.get_version_num()) != Ok(4) {
            return refuse("state is not a UUID v4");
        }
        // Written out by hand, so the check does not lean on te_secret_input.
        let signed = format!("KABINET_DEMO{SCOPE}2026.12.01 14:05:09 +0300{state}{REDIRECT}eyJ2ZXIi");
        let signature = base64::engine::general_purpose::URL_SAFE
            .decode(field("client_secret"))
            .ok()
            .and_then(|raw| ed25519_dalek::Signature::from_slice(&raw).ok());
        if signature.is_none_or(|s| DemoSigner::verifying_key().verify(signed.as_bytes(), &s).is_err()) {
            return refuse("client_secret does not verify");
        }
        let mut fake = fake.lock().unwrap();
        fake.te_states.push(state.to_owned());
        let answer_state = match fake.mode {
            "expired" => {
                let description = "ESIA-007011: Authorization code is invalid or expired";
                let body = json!({"error": "invalid_grant", "error_description": description});
                return (StatusCode::BAD_REQUEST, Json(body)).into_response();
            }
            "down" => return (StatusCode::BAD_GATEWAY, "<html>bad gateway</html>").into_response(),
            "other_state" => uuid::Uuid::new_v4().to_string(),
            _ => state.to_owned(),
        };
        let id_token = mint(&rs256(), &with(good_claims(), "sub", json!(fake.sub)));
        Json(json!({
            "access_token": "at-123", "id_token": id_token, "state": answer_state,
            "token_type": "Bearer", "expires_in": 3600,
        }))
        .into_response()
    }

    async fn prns(Path(path): Path<String>, headers: HeaderMap) -> Response {
        let path: Vec<&str> = path.split('/').collect();
        if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer at-123") {
            return StatusCode::UNAUTHORIZED.into_response();
        }
        let verified = path[0] == "1000404446";
        let status = |yes: bool| if yes { "VERIFIED" } else { "NOT_VERIFIED" };
        let body = match path.get(1).copied() {
            None => json!({"firstName": "Иван", "lastName": "Петров", "middleName": "", "trusted": verified}),
            Some("docs") => json!({"size": 3, "elements": [
                {"type": "RF_PASSPORT", "vrfStu": "NOT_VERIFIED", "series": "1111", "number": "222222"},
                {"type": "FID_DOC", "vrfStu": "VERIFIED", "series": "3333", "number": "444444"},
                {"type": "RF_PASSPORT", "vrfStu": status(verified), "series": "45 08", "number": "123456"},
            ]}),
            Some("ctts") => json!({"size": 3, "elements": [
                {"type": "MBT", "vrfStu": "NOT_VERIFIED", "value": "+7(999)0000000"},
                {"type": "EML", "vrfStu": "VERIFIED", "value": "ivan@example.ru"},
                {"type": "MBT", "vrfStu": status(verified), "value": "+7(916)1234567"},
            ]}),
            Some(_) => return StatusCode::NOT_FOUND.into_response(),
        };
        Json(body).into_response()
    }

    async fn fake_esia() -> (String, Shared) {
        let fake: Shared = Arc::new(Mutex::new(Fake { mode: "ok", sub: 1000404446, te_states: vec![] }));
        let app = axum::Router::new()
            .route("/esia/aas/oauth2/v3/te", axum::routing::post(te))
            .route("/esia/rs/prns/{*path}", axum::routing::get(prns))
            .with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let root = format!("http://{}/esia", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (root, fake)
    }

    #[tokio::test]
    async fn exchange_and_person_against_a_fake_esia() {
        let (root, fake) = fake_esia().await;
        let esia = client(&root, sim_check(), SecretEncoding::Base64url);
        esia.authorize_url(STATE, None, None).await.unwrap();

        let login = esia.exchange("eyJ2ZXIi", Some("n-1"), None).await.unwrap();
        assert_eq!(login.oid, "1000404446");
        assert_eq!(login.access_token.expose_secret(), "at-123");
        assert_eq!(login.claims["iss"], ISSUER_TEST);
        let again = esia.exchange("eyJ2ZXIi", None, None).await.unwrap();
        // With PKCE the verifier goes with the code (the fake refuses any other verifier).
        esia.exchange("eyJ2ZXIi", Some("n-1"), Some("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).await.unwrap();
        assert!(esia.exchange("eyJ2ZXIi", None, Some("not-the-verifier")).await.is_err());
        {
            let fake = fake.lock().unwrap();
            assert_eq!(fake.te_states.len(), 3);
            assert!(fake.te_states.iter().all(|s| s != STATE));
            assert_ne!(fake.te_states[0], fake.te_states[1]);
        }

        assert_eq!(
            esia.person(&login).await.unwrap(),
            EsiaPerson {
                oid: "1000404446".into(),
                last_name: "Петров".into(),
                first_name: "Иван".into(),
                middle_name: None,
                trusted: true,
                passport: Some(Passport { series: "4508".into(), number: "123456".into() }),
                mobile: Some("+79161234567".into()),
            }
        );
        let stranger = EsiaLogin { access_token: SecretString::from("stolen"), ..again };
        assert!(matches!(esia.person(&stranger).await, Err(EsiaError::Refused { code, .. }) if code == "HTTP 401"));

        fake.lock().unwrap().sub = 2;
        let unverified = esia.exchange("eyJ2ZXIi", None, None).await.unwrap();
        let person = esia.person(&unverified).await.unwrap();
        assert_eq!((person.trusted, person.passport, person.mobile), (false, None, None));

        for (mode, expect) in [("expired", "CodeExpired"), ("other_state", "StateMismatch"), ("down", "Unavailable")] {
            fake.lock().unwrap().mode = mode;
            let got = esia.exchange("eyJ2ZXIi", None, None).await.unwrap_err();
            assert!(format!("{got:?}").starts_with(expect), "{mode}: {got:?}");
        }
        fake.lock().unwrap().mode = "ok";
        match esia.exchange("other-code", None, None).await {
            Err(EsiaError::Refused { code, description }) => {
                assert_eq!(code, "ESIA-007053");
                assert!(description.contains("code"), "{description}");
            }
            other => panic!("{other:?}"),
        }

        // Nobody listening at all.
        let nowhere = client("http://127.0.0.1:9", sim_check(), SecretEncoding::Base64url);
        assert!(matches!(nowhere.exchange("eyJ2ZXIi", None, None).await, Err(EsiaError::Unavailable(_))));
    }
}
