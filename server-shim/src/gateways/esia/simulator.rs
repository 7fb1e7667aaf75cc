//! ESIA simulator: the v2/ac login page, v3/te token endpoint and /rs/prns person API on
//! loopback, for demo and tests: deterministic demo persons, scriptable (deny, expire the code,
//! return another state, a foreign audience, a broken signature, a 500) and inspectable.
//!
//! It is written from the protocol fact sheet alone, independently of the shim's adapter, so
//! that a misreading of the protocol in one shows up as a failure against the other. It is as
//! strict as the real service is known to be: `client_secret` is checked over the exact v2/v3
//! concatenation, the timestamp format and window, the registered `redirect_uri` byte for byte,
//! single-use five-minute codes and a fresh `state` for the token request. Its `router()` is
//! mounted at [`MOUNT`] by the shim in demo and test modes only.
//!
//! Error placement follows OAuth and ESIA: while the client or its `redirect_uri` is not
//! established, the browser gets an error page and is never redirected; after that, errors go
//! back to the `redirect_uri` as `error`, `error_description` (`ESIA-0070xx: …`) and `state`.
//! The token endpoint answers errors as HTTP 400 JSON.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use axum::extract::{Form, OriginalUri, Path, Query, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use serde_json::{json, Value};
use sha2::Sha256;
use time::format_description::BorrowedFormatItem;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::clock::Clock;

/// Where the shim serves the simulator's pages to the browser.
pub const MOUNT: &str = "/__sim/esia";
/// The simulator's token-signing certificate (RS256; a fixed test key, not a secret).
pub const TOKEN_CERTIFICATE_PEM: &str = include_str!("sim/token-cert.pem");
/// The private key of [`TOKEN_CERTIFICATE_PEM`]; published with the code on purpose, as the
/// simulator is never trusted outside demo and tests.
const TOKEN_KEY_PEM: &str = include_str!("sim/token-key.pem");
/// The `kid` in the id_token header.
const TOKEN_KEY_ID: &str = "kabinet-esia-sim-rs256";

/// `yyyy.MM.dd HH:mm:ss ±hhmm`, e.g. `2025.01.31 12:00:00 +0300`.
const TIMESTAMP_FORMAT: &[BorrowedFormatItem<'static>] = time::macros::format_description!(
    "[year].[month].[day] [hour]:[minute]:[second] [offset_hour sign:mandatory][offset_minute]"
);
/// How far a request's `timestamp` may be from the simulator's clock.
const TIMESTAMP_WINDOW: Duration = Duration::minutes(5);
/// An authorization code is good for this long after issue.
const CODE_LIFETIME: Duration = Duration::minutes(5);
/// A login page left open longer than this must be reopened from the system.
const PENDING_LIFETIME: Duration = Duration::minutes(15);
/// Lifetime of the id_token and of the access token for `/rs`.
const TOKEN_LIFETIME_SECS: i64 = 3600;

/// What the simulated ESIA knows about the one registered system (the shim).
pub struct SimSettings {
    pub client_id: String,
    pub redirect_uri: String,
    pub client_key: ed25519_dalek::VerifyingKey,
    pub certificate_hash: String,
    pub issuer: String,
    pub clock: Arc<dyn Clock>,
}

/// A scripted failure of the next login. Over HTTP: `{"failure":"expire_code"}` etc.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Failure {
    /// The next person button acts as «Отказать»: `error=access_denied`, ESIA-007004.
    Deny,
    /// The next code is refused at v3/te with ESIA-007011, as an expired one.
    ExpireCode,
    /// The next redirect carries a random `state` instead of the request's.
    WrongState,
    /// The next id_token's `aud` is `ANOTHER_SYSTEM`.
    WrongAudience,
    /// The next id_token's signature does not verify.
    BadTokenSignature,
    /// The next code's v3/te answers HTTP 500 (once; the code stays usable).
    ServerError,
    /// The next id_token carries another trip's `nonce`.
    WrongNonce,
}

/// A person of the simulated ESIA, with what `/rs/prns` reports about them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoPerson {
    pub oid: u64,
    pub last_name: &'static str,
    pub first_name: &'static str,
    pub middle_name: &'static str,
    /// `dd.MM.yyyy`, as ESIA writes it.
    pub birth_date: &'static str,
    /// `M` or `F`.
    pub gender: &'static str,
    pub snils: &'static str,
    /// ESIA's confirmed account («подтверждённая учётная запись»).
    pub trusted: bool,
    pub passport: DemoPassport,
    /// `+7(916)1234567`, as ESIA writes it.
    pub mobile: &'static str,
    pub mobile_verified: bool,
    pub email: &'static str,
    pub email_verified: bool,
}

/// An RF_PASSPORT document of a [`DemoPerson`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoPassport {
    pub series: &'static str,
    pub number: &'static str,
    /// `dd.MM.yyyy`.
    pub issue_date: &'static str,
    /// Code of the issuing office, `770-001`.
    pub issue_id: &'static str,
    pub issued_by: &'static str,
    pub verified: bool,
}

impl DemoPerson {
    /// «Иванова Мария Петровна».
    pub fn full_name(&self) -> String {
        format!("{} {} {}", self.last_name, self.first_name, self.middle_name)
    }
}

/// The persons of the login page. Иванова matches the demo ledger's client (passport and
/// phone, verified); Сидоров is verified but matches nobody; Петров carries a demo client's
/// passport, unverified, on an unconfirmed account.
pub const DEMO_PERSONS: [DemoPerson; 3] = [
    DemoPerson {
        oid: 1_000_000_001,
        last_name: "Иванова",
        first_name: "Мария",
        middle_name: "Петровна",
        birth_date: "14.03.1985",
        gender: "F",
        snils: "112-233-445 95",
        trusted: true,
        passport: DemoPassport {
            series: "5012",
            number: "345678",
            issue_date: "21.04.2012",
            issue_id: "540-001",
            issued_by: "Отделом УФМС России по Новосибирской обл. в Центральном р-не г. Новосибирска",
            verified: true,
        },
        mobile: "+7(916)1234567",
        mobile_verified: true,
        email: "m.ivanova@example.ru",
        email_verified: true,
    },
    DemoPerson {
        oid: 1_000_000_002,
        last_name: "Сидоров",
        first_name: "Пётр",
        middle_name: "Ильич",
        birth_date: "02.11.1978",
        gender: "M",
        snils: "123-456-789 64",
        trusted: true,
        passport: DemoPassport {
            series: "4510",
            number: "111222",
            issue_date: "10.12.2010",
            issue_id: "770-093",
            issued_by: "ОВД района Марьино г. Москвы",
            verified: true,
        },
        mobile: "+7(903)5550000",
        mobile_verified: true,
        email: "p.sidorov@example.ru",
        email_verified: true,
    },
    DemoPerson {
        oid: 1_000_000_003,
        last_name: "Петров",
        first_name: "Сергей",
        middle_name: "Николаевич",
        birth_date: "21.07.1990",
        gender: "M",
        snils: "987-654-321 00",
        trusted: false,
        passport: DemoPassport {
            series: "4600",
            number: "123456",
            issue_date: "05.08.2010",
            issue_id: "500-112",
            issued_by: "ТП УФМС России по Московской обл. в г. Одинцово",
            verified: false,
        },
        mobile: "+7(913)7654321",
        mobile_verified: false,
        email: "s.petrov@example.ru",
        email_verified: false,
    },
];

/// The persons of the login page, in page order.
pub fn demo_persons() -> &'static [DemoPerson] {
    &DEMO_PERSONS
}

fn person(oid: u64) -> Option<&'static DemoPerson> {
    DEMO_PERSONS.iter().find(|p| p.oid == oid)
}

/// The simulated ESIA. Cheap to clone; every clone shares one state.
#[derive(Clone)]
pub struct EsiaSimulator {
    shared: Arc<Shared>,
}

struct Shared {
    settings: SimSettings,
    key: rsa::pkcs1v15::SigningKey<Sha256>,
    state: Mutex<SimState>,
}

#[derive(Default)]
struct SimState {
    /// Login pages shown and not yet answered, by the id their form posts back.
    pending: HashMap<String, Pending>,
    codes: HashMap<String, IssuedCode>,
    /// Access tokens for `/rs`.
    grants: HashMap<String, Grant>,
    failures: VecDeque<Failure>,
    token_requests: usize,
    issued_codes: usize,
}

/// A validated v2/ac request waiting for the person's answer. Kept server-side so the form
/// cannot be altered to send the code elsewhere.
struct Pending {
    redirect_uri: String,
    scope: String,
    state: String,
    /// OpenID Connect `nonce`, echoed into the id_token.
    nonce: Option<String>,
    /// PKCE (RFC 7636, S256 only): the challenge the exchange's verifier must answer.
    code_challenge: Option<String>,
    created: OffsetDateTime,
}

struct IssuedCode {
    oid: u64,
    client_id: String,
    redirect_uri: String,
    scope: String,
    ac_state: Uuid,
    nonce: Option<String>,
    code_challenge: Option<String>,
    issued_at: OffsetDateTime,
    /// A token-phase failure scripted for this login.
    failure: Option<Failure>,
}

struct Grant {
    oid: u64,
    expires: OffsetDateTime,
}

impl std::fmt::Debug for EsiaSimulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.state();
        f.debug_struct("EsiaSimulator")
            .field("client_id", &self.shared.settings.client_id)
            .field("issued_codes", &s.issued_codes)
            .field("token_requests", &s.token_requests)
            .finish_non_exhaustive()
    }
}

impl EsiaSimulator {
    pub fn new(settings: SimSettings) -> Self {
        let private = rsa::RsaPrivateKey::from_pkcs8_pem(TOKEN_KEY_PEM)
            .expect("the simulator's built-in token key is a valid PKCS#8 RSA key");
        EsiaSimulator {
            shared: Arc::new(Shared {
                settings,
                key: rsa::pkcs1v15::SigningKey::new(private),
                state: Mutex::new(SimState::default()),
            }),
        }
    }

    /// Serves `router()` at [`MOUNT`] on 127.0.0.1 on a free port, in a background task of the
    /// current runtime; returns the root URL (`http://127.0.0.1:PORT`).
    pub async fn serve_loopback(&self) -> std::io::Result<String> {
        crate::gateways::serve_simulator(MOUNT, self.router(), "ESIA").await
    }

    /// The ESIA base URL (what `https://esia-portal1.test.gosuslugi.ru` is in production) for a
    /// root from `serve_loopback` or the shim's own origin.
    pub fn base_url(root: &str) -> String {
        format!("{}{MOUNT}", root.trim_end_matches('/'))
    }

    /// The protocol endpoints, the login page and the control endpoint; mount at [`MOUNT`].
    pub fn router(&self) -> Router {
        Router::new()
            .route("/aas/oauth2/v2/ac", get(authorize).post(answer))
            .route("/aas/oauth2/v3/te", post(token))
            .route("/rs/prns/{oid}", get(person_info))
            .route("/rs/prns/{oid}/docs", get(person_docs))
            .route("/rs/prns/{oid}/ctts", get(person_contacts))
            .route("/__control/fail-next", post(control_fail_next))
            .with_state(self.clone())
    }

    /// Queues a failure for the next login (the next person button pressed). Failures queue:
    /// each login uses one.
    pub fn fail_next(&self, failure: Failure) {
        self.state().failures.push_back(failure);
    }

    /// v3/te calls received, whatever their outcome.
    pub fn token_requests(&self) -> usize {
        self.state().token_requests
    }

    /// Authorization codes handed out.
    pub fn issued_codes(&self) -> usize {
        self.state().issued_codes
    }

    fn state(&self) -> MutexGuard<'_, SimState> {
        // A panic while holding the lock cannot leave the state half-changed in a way that
        // matters to a simulator; keep serving rather than failing every later request.
        self.shared.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn now(&self) -> OffsetDateTime {
        self.shared.settings.clock.now()
    }

    /// ESIA refuses requests whose time is off by more than the window either way.
    fn check_timestamp(&self, timestamp: &str) -> Result<(), EsiaError> {
        let at = OffsetDateTime::parse(timestamp, TIMESTAMP_FORMAT).map_err(|_| EsiaError::time())?;
        if (at - self.now()).abs() > TIMESTAMP_WINDOW {
            return Err(EsiaError::time());
        }
        Ok(())
    }

    /// `client_secret` is a raw signature by the system's key over `message`. Clients send
    /// base64url (with or without padding) or standard base64; each decoding is tried.
    fn check_secret(&self, secret: &str, message: &str) -> Result<(), EsiaError> {
        let key = &self.shared.settings.client_key;
        let valid = [URL_SAFE_NO_PAD, URL_SAFE, STANDARD, STANDARD_NO_PAD]
            .iter()
            .filter_map(|engine| engine.decode(secret).ok())
            .filter_map(|bytes| ed25519_dalek::Signature::from_slice(&bytes).ok())
            .any(|sig| key.verify_strict(message.as_bytes(), &sig).is_ok());
        if valid {
            Ok(())
        } else {
            Err(EsiaError::secret())
        }
    }

    /// Checks a v2/ac request once its client and `redirect_uri` are established.
    fn check_authorize(&self, req: &Params, client_id: &str, redirect_uri: &str) -> Result<Pending, EsiaError> {
        if let Some(name) = req.duplicates.first() {
            return Err(EsiaError::bad_value(name));
        }
        let hash = req.required("client_certificate_hash")?;
        let scope = req.required("scope")?;
        let response_type = req.required("response_type")?;
        let state = req.required("state")?;
        let timestamp = req.required("timestamp")?;
        let secret = req.required("client_secret")?;
        if !hash.eq_ignore_ascii_case(&self.shared.settings.certificate_hash) {
            return Err(EsiaError::certificate());
        }
        if response_type != "code" {
            return Err(EsiaError::response_type());
        }
        if !scope.split(' ').any(|s| s == "openid") {
            return Err(EsiaError::scope());
        }
        if let Some(access) = req.optional("access_type") {
            if access != "online" && access != "offline" {
                return Err(EsiaError::bad_value("access_type"));
            }
        }
        parse_uuid(state).ok_or_else(|| EsiaError::bad_value("state"))?;
        let code_challenge = match (req.optional("code_challenge"), req.optional("code_challenge_method")) {
            (None, None) => None,
            // S256 only, and a challenge of its shape (43 base64url characters).
            (Some(c), Some("S256")) if c.len() == 43 && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') => {
                Some(c.to_owned())
            }
            _ => return Err(EsiaError::pkce_challenge()),
        };
        self.check_timestamp(timestamp)?;
        self.check_secret(secret, &format!("{client_id}{scope}{timestamp}{state}{redirect_uri}"))?;
        Ok(Pending {
            redirect_uri: redirect_uri.to_owned(),
            scope: scope.to_owned(),
            state: state.to_owned(),
            nonce: req.optional("nonce").map(str::to_owned),
            code_challenge,
            created: self.now(),
        })
    }

    /// A v3/te request: the token response, or the error and its HTTP status.
    fn exchange(&self, req: &Params) -> Result<Value, (StatusCode, EsiaError)> {
        let settings = &self.shared.settings;
        let bad = |e: EsiaError| (StatusCode::BAD_REQUEST, e);
        if let Some(name) = req.duplicates.first() {
            return Err(bad(EsiaError::bad_value(name)));
        }
        let get = |name: &'static str| req.required(name).map_err(bad);
        let client_id = get("client_id")?;
        let code = get("code")?;
        let grant_type = get("grant_type")?;
        let secret = get("client_secret")?;
        let state = get("state")?;
        let redirect_uri = get("redirect_uri")?;
        let scope = get("scope")?;
        let timestamp = get("timestamp")?;
        let token_type = get("token_type")?;
        let hash = get("client_certificate_hash")?;
        if client_id != settings.client_id || !hash.eq_ignore_ascii_case(&settings.certificate_hash) {
            return Err(bad(EsiaError::certificate()));
        }
        if redirect_uri != settings.redirect_uri {
            return Err(bad(EsiaError::redirect()));
        }
        if grant_type != "authorization_code" {
            return Err(bad(EsiaError::grant_type()));
        }
        if token_type != "Bearer" {
            return Err(bad(EsiaError::bad_value("token_type")));
        }
        let state_uuid = parse_uuid(state).ok_or_else(|| bad(EsiaError::bad_value("state")))?;
        self.check_timestamp(timestamp).map_err(bad)?;
        self.check_secret(secret, &format!("{client_id}{scope}{timestamp}{state}{redirect_uri}{code}")).map_err(bad)?;

        let now = self.now();
        let issued = {
            let mut s = self.state();
            // Taken out first: every path below either consumes the code or puts it back.
            let Some(mut issued) = s.codes.remove(code) else {
                return Err(bad(EsiaError::code()));
            };
            if issued.client_id != client_id || issued.redirect_uri != redirect_uri {
                return Err(bad(EsiaError::code()));
            }
            if now >= issued.issued_at + CODE_LIFETIME {
                return Err(bad(EsiaError::code()));
            }
            // PKCE: a code issued with a challenge goes only with the verifier that answers it,
            // and is spent by a wrong one (a stolen code is tried once at most).
            if let Some(challenge) = &issued.code_challenge {
                let answered = req.optional("code_verifier").is_some_and(|v| {
                    use sha2::Digest as _;
                    URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(v.as_bytes())) == *challenge
                });
                if !answered {
                    return Err(bad(EsiaError::pkce_verifier()));
                }
            }
            let refusal = if state_uuid == issued.ac_state {
                Some(EsiaError::state_reused())
            } else if !same_scope(&issued.scope, scope) {
                Some(EsiaError::scope())
            } else {
                None
            };
            if let Some(e) = refusal {
                s.codes.insert(code.to_owned(), issued);
                return Err(bad(e));
            }
            match issued.failure {
                Some(Failure::ServerError) => {
                    issued.failure = None;
                    s.codes.insert(code.to_owned(), issued);
                    return Err((StatusCode::INTERNAL_SERVER_ERROR, EsiaError::server()));
                }
                Some(Failure::ExpireCode) => return Err(bad(EsiaError::code())),
                _ => issued,
            }
        };

        let iat = now.unix_timestamp();
        let audience = match issued.failure {
            Some(Failure::WrongAudience) => "ANOTHER_SYSTEM",
            _ => client_id,
        };
        let claims = json!({
            "iss": settings.issuer,
            "aud": audience,
            "sub": issued.oid.to_string(),
            "iat": iat,
            "nbf": iat,
            "exp": iat + TOKEN_LIFETIME_SECS,
            "auth_time": issued.issued_at.unix_timestamp(),
            "urn:esia:sid": random_token(16),
        });
        let mut claims = claims;
        let nonce = match issued.failure {
            Some(Failure::WrongNonce) => Some("another-trips-nonce".to_owned()),
            _ => issued.nonce.clone(),
        };
        if let Some(nonce) = nonce {
            claims["nonce"] = Value::String(nonce);
        }
        let id_token = self.sign_jwt(&claims, issued.failure == Some(Failure::BadTokenSignature));
        let access_token = random_token(32);
        {
            let mut s = self.state();
            s.grants.retain(|_, g| g.expires > now);
            let expires = now + Duration::seconds(TOKEN_LIFETIME_SECS);
            s.grants.insert(access_token.clone(), Grant { oid: issued.oid, expires });
        }
        Ok(json!({
            "access_token": access_token,
            "id_token": id_token,
            "state": state,
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME_SECS,
            "refresh_token": random_token(32),
        }))
    }

    /// A compact JWS, RS256 with the simulator's key; `corrupt` breaks the signature.
    fn sign_jwt(&self, claims: &Value, corrupt: bool) -> String {
        let header = json!({"alg": "RS256", "typ": "JWT", "kid": TOKEN_KEY_ID});
        let input =
            format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
        let mut signature = self.shared.key.sign(input.as_bytes()).to_vec();
        if corrupt {
            let middle = signature.len() / 2;
            if let Some(byte) = signature.get_mut(middle) {
                *byte ^= 0x5a;
            }
        }
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    /// The person an `/rs` call may read: the bearer's own, while its token lasts.
    fn authorised(&self, headers: &HeaderMap, oid: &str) -> Result<&'static DemoPerson, RsRefusal> {
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("Bearer"))
            .map(|(_, token)| token.trim());
        let now = self.now();
        let grant_oid = {
            let s = self.state();
            token.and_then(|t| s.grants.get(t)).filter(|g| g.expires > now).map(|g| g.oid)
        };
        let Some(grant_oid) = grant_oid else {
            return Err(RsRefusal::Unauthorized);
        };
        oid.parse::<u64>().ok().filter(|o| *o == grant_oid).and_then(person).ok_or(RsRefusal::Forbidden)
    }
}

/// Why an `/rs` call is refused. ESIA's own bodies here are not documented in the fact sheet,
/// so the answers use RFC 6750's error names rather than invented ESIA codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RsRefusal {
    /// No token, an unknown one or an expired one.
    Unauthorized,
    /// A valid token of another person.
    Forbidden,
}

impl IntoResponse for RsRefusal {
    fn into_response(self) -> Response {
        match self {
            RsRefusal::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")],
                Json(json!({"error": "invalid_token", "error_description": "Маркер доступа отсутствует, недействителен или истёк"})),
            )
                .into_response(),
            RsRefusal::Forbidden => (
                StatusCode::FORBIDDEN,
                [(header::WWW_AUTHENTICATE, "Bearer error=\"insufficient_scope\"")],
                Json(json!({"error": "insufficient_scope", "error_description": "Маркер доступа выдан для другого пользователя"})),
            )
                .into_response(),
        }
    }
}

// ---- request parameters ----

/// Query or form parameters as received, with the names given more than once (ESIA refuses
/// a repeated parameter).
struct Params {
    values: HashMap<String, String>,
    duplicates: Vec<String>,
}

impl Params {
    fn parse(raw: &[u8]) -> Params {
        let mut values = HashMap::new();
        let mut duplicates = Vec::new();
        for (name, value) in url::form_urlencoded::parse(raw) {
            let name = name.into_owned();
            if values.insert(name.clone(), value.into_owned()).is_some() {
                duplicates.push(name);
            }
        }
        Params { values, duplicates }
    }

    /// A present, non-empty value, exactly as sent (the signature covers it byte for byte).
    fn required(&self, name: &'static str) -> Result<&str, EsiaError> {
        self.optional(name).ok_or_else(|| EsiaError::missing(name))
    }

    fn optional(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }
}

/// A UUID in its canonical hyphenated form (either case); ESIA's `state` is one.
fn parse_uuid(s: &str) -> Option<Uuid> {
    (s.len() == 36).then(|| Uuid::try_parse(s).ok()).flatten()
}

fn same_scope(a: &str, b: &str) -> bool {
    let set =
        |s: &str| s.split(' ').filter(|x| !x.is_empty()).map(str::to_owned).collect::<std::collections::BTreeSet<_>>();
    set(a) == set(b)
}

fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the operating system's random source is available");
    URL_SAFE_NO_PAD.encode(buf)
}

/// `url` with the parameters added to its query.
fn with_query(url: &str, pairs: &[(&str, &str)]) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            u.query_pairs_mut().extend_pairs(pairs);
            u.into()
        }
        // Registered URIs are absolute; this only keeps a misconfigured demo from panicking.
        Err(_) => {
            let query: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
            let sep = if url.contains('?') { '&' } else { '?' };
            format!("{url}{sep}{query}")
        }
    }
}

fn redirect(status: StatusCode, location: &str) -> Response {
    (status, [(header::LOCATION, location.to_owned()), (header::CACHE_CONTROL, "no-store".to_owned())]).into_response()
}

// ---- ESIA errors ----

/// An ESIA error: the OAuth `error` and the `ESIA-0070xx` code with its text.
#[derive(Debug, Clone, PartialEq, Eq)]
struct EsiaError {
    error: &'static str,
    code: &'static str,
    text: String,
}

impl EsiaError {
    fn new(error: &'static str, code: &'static str, text: impl Into<String>) -> EsiaError {
        EsiaError { error, code, text: text.into() }
    }
    fn missing(name: &str) -> EsiaError {
        Self::new("invalid_request", "007014", format!("Запрос не содержит обязательного параметра [{name}]"))
    }
    fn bad_value(name: &str) -> EsiaError {
        Self::new(
            "invalid_request",
            "007003",
            format!("Неверное значение параметра [{name}] или параметр указан несколько раз"),
        )
    }
    fn state_reused() -> EsiaError {
        Self::new("invalid_request", "007003", "Параметр [state] должен отличаться от state запроса авторизации")
    }
    fn certificate() -> EsiaError {
        Self::new(
            "invalid_client",
            "007002",
            "Несоответствие сертификата и мнемоники информационной системы или отсутствие сертификата для данной системы",
        )
    }
    fn redirect() -> EsiaError {
        Self::new("invalid_request", "007023", "Указанный в запросе redirect_uri отсутствует среди разрешённых для ИС")
    }
    fn time() -> EsiaError {
        Self::new("invalid_request", "007015", "Неверное время запроса")
    }
    fn secret() -> EsiaError {
        Self::new("invalid_client", "007053", "client_secret сформирован некорректно")
    }
    fn code() -> EsiaError {
        Self::new(
            "invalid_grant",
            "007011",
            "Авторизационный код недействителен, просрочен, уже использован или выдан другой системе-клиенту",
        )
    }
    fn scope() -> EsiaError {
        Self::new("invalid_scope", "007006", "Запрошенная область доступа (scope) указана неверно")
    }
    fn response_type() -> EsiaError {
        Self::new("unsupported_response_type", "007012", "Тип ответа не поддерживается сервисом авторизации")
    }
    fn grant_type() -> EsiaError {
        Self::new(
            "unsupported_grant_type",
            "007009",
            "Сервис авторизации не поддерживает этот способ получения маркера",
        )
    }
    fn pkce_challenge() -> EsiaError {
        Self::new("invalid_request", "007039", "Неверные параметры code_challenge или code_challenge_method")
    }
    fn pkce_verifier() -> EsiaError {
        Self::new("invalid_grant", "007040", "code_verifier не соответствует code_challenge")
    }
    fn denied() -> EsiaError {
        Self::new("access_denied", "007004", "Владелец ресурса или сервис авторизации отклонил запрос")
    }
    fn server() -> EsiaError {
        Self::new("server_error", "007007", "Неожиданная ошибка в работе сервиса авторизации")
    }

    fn description(&self) -> String {
        format!("ESIA-{}: {}", self.code, self.text)
    }

    fn json(&self, status: StatusCode) -> Response {
        (
            status,
            [(header::CACHE_CONTROL, "no-store")],
            Json(json!({"error": self.error, "error_description": self.description()})),
        )
            .into_response()
    }

    /// The error sent back to the system's `redirect_uri`, with the request's `state`.
    fn redirect_to(&self, redirect_uri: &str, state: Option<&str>, status: StatusCode) -> Response {
        let description = self.description();
        let mut pairs = vec![("error", self.error), ("error_description", description.as_str())];
        if let Some(state) = state {
            pairs.push(("state", state));
        }
        redirect(status, &with_query(redirect_uri, &pairs))
    }
}

// ---- handlers ----

/// The client and its registered `redirect_uri`. Until both are established nothing may be
/// sent to the URI, so these errors are shown to the person instead.
fn established<'a>(req: &'a Params, settings: &SimSettings) -> Result<(&'a str, &'a str), EsiaError> {
    for name in ["client_id", "redirect_uri"] {
        if req.duplicates.iter().any(|d| d == name) {
            return Err(EsiaError::bad_value(name));
        }
    }
    let client_id = req.required("client_id")?;
    let redirect_uri = req.required("redirect_uri")?;
    if client_id != settings.client_id {
        return Err(EsiaError::certificate());
    }
    if redirect_uri != settings.redirect_uri {
        return Err(EsiaError::redirect());
    }
    Ok((client_id, redirect_uri))
}

/// GET v2/ac: the login page, or an error page / error redirect.
async fn authorize(State(sim): State<EsiaSimulator>, RawQuery(query): RawQuery) -> Response {
    let req = Params::parse(query.unwrap_or_default().as_bytes());
    let settings = &sim.shared.settings;
    let established = established(&req, settings);
    let (client_id, redirect_uri) = match established {
        Ok(v) => v,
        Err(e) => return page::error(&e),
    };
    let pending = match sim.check_authorize(&req, client_id, redirect_uri) {
        Ok(p) => p,
        Err(e) => return e.redirect_to(redirect_uri, req.optional("state"), StatusCode::FOUND),
    };
    let id = Uuid::new_v4().to_string();
    let html = page::consent(&settings.client_id, &pending.scope, &id);
    let now = sim.now();
    let mut s = sim.state();
    s.pending.retain(|_, p| now < p.created + PENDING_LIFETIME);
    s.pending.insert(id, pending);
    html
}

/// POST v2/ac: the person's answer on the login page.
async fn answer(State(sim): State<EsiaSimulator>, Form(form): Form<HashMap<String, String>>) -> Response {
    let now = sim.now();
    let (pending, failure) = {
        let mut s = sim.state();
        let pending = form.get("request").and_then(|id| s.pending.remove(id));
        let Some(pending) = pending.filter(|p| now < p.created + PENDING_LIFETIME) else {
            return page::expired();
        };
        (pending, s.failures.pop_front())
    };
    let chosen = form.get("oid").and_then(|o| o.parse::<u64>().ok()).and_then(person);
    let denied = form.contains_key("deny") || failure == Some(Failure::Deny);
    let Some(chosen) = chosen.filter(|_| !denied) else {
        if denied {
            return EsiaError::denied().redirect_to(&pending.redirect_uri, Some(&pending.state), StatusCode::SEE_OTHER);
        }
        return page::expired();
    };
    let code = random_token(48);
    let state = match failure {
        Some(Failure::WrongState) => Uuid::new_v4().to_string(),
        _ => pending.state.clone(),
    };
    let issued = IssuedCode {
        oid: chosen.oid,
        client_id: sim.shared.settings.client_id.clone(),
        redirect_uri: pending.redirect_uri.clone(),
        scope: pending.scope,
        // The pending state passed parse_uuid in check_authorize.
        ac_state: parse_uuid(&pending.state).unwrap_or_default(),
        nonce: pending.nonce.clone(),
        code_challenge: pending.code_challenge.clone(),
        issued_at: now,
        failure: failure.filter(|f| *f != Failure::WrongState),
    };
    {
        let mut s = sim.state();
        s.codes.retain(|_, c| now < c.issued_at + CODE_LIFETIME);
        s.codes.insert(code.clone(), issued);
        s.issued_codes += 1;
    }
    redirect(StatusCode::SEE_OTHER, &with_query(&pending.redirect_uri, &[("code", &code), ("state", &state)]))
}

/// POST v3/te. Parameters are read from a form body only, as a servlet reads them; any other
/// body carries none, which ESIA reports as a missing parameter.
async fn token(State(sim): State<EsiaSimulator>, headers: HeaderMap, body: Bytes) -> Response {
    sim.state().token_requests += 1;
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
    let req = Params::parse(if is_form { &body } else { &[] });
    match sim.exchange(&req) {
        Ok(tokens) => {
            ([(header::CACHE_CONTROL, "no-store"), (header::PRAGMA, "no-cache")], Json(tokens)).into_response()
        }
        Err((status, e)) => e.json(status),
    }
}

#[derive(serde::Deserialize)]
struct Embed {
    embed: Option<String>,
}

/// A collection in ESIA's shape: embedded objects with `embed=(elements)`, links otherwise.
fn collection(uri: &OriginalUri, embed: &Embed, elements: Vec<Value>) -> Response {
    let embedded = embed.embed.as_deref() == Some("(elements)");
    let elements: Vec<Value> = if embedded {
        elements
    } else {
        let base = uri.path().trim_end_matches('/');
        elements.iter().map(|e| Value::String(format!("{base}/{}", e["id"]))).collect()
    };
    Json(json!({"stateFacts": ["hasSize"], "size": elements.len(), "elements": elements})).into_response()
}

fn status(verified: bool) -> &'static str {
    if verified {
        "VERIFIED"
    } else {
        "NOT_VERIFIED"
    }
}

async fn person_info(State(sim): State<EsiaSimulator>, Path(oid): Path<String>, headers: HeaderMap) -> Response {
    let p = match sim.authorised(&headers, &oid) {
        Ok(p) => p,
        Err(r) => return r.into_response(),
    };
    Json(json!({
        "stateFacts": ["EntityRoot"],
        "oid": p.oid,
        "firstName": p.first_name,
        "lastName": p.last_name,
        "middleName": p.middle_name,
        "birthDate": p.birth_date,
        "gender": p.gender,
        "snils": p.snils,
        "trusted": p.trusted,
        "verifying": false,
        "citizenship": "RUS",
        "status": "REGISTERED",
    }))
    .into_response()
}

async fn person_docs(
    State(sim): State<EsiaSimulator>,
    Path(oid): Path<String>,
    Query(embed): Query<Embed>,
    uri: OriginalUri,
    headers: HeaderMap,
) -> Response {
    let p = match sim.authorised(&headers, &oid) {
        Ok(p) => p,
        Err(r) => return r.into_response(),
    };
    let d = &p.passport;
    let passport = json!({
        "stateFacts": ["EntityRoot"],
        "id": p.oid * 10 + 1,
        "type": "RF_PASSPORT",
        "vrfStu": status(d.verified),
        "series": d.series,
        "number": d.number,
        "issueDate": d.issue_date,
        "issueId": d.issue_id,
        "issuedBy": d.issued_by,
    });
    collection(&uri, &embed, vec![passport])
}

async fn person_contacts(
    State(sim): State<EsiaSimulator>,
    Path(oid): Path<String>,
    Query(embed): Query<Embed>,
    uri: OriginalUri,
    headers: HeaderMap,
) -> Response {
    let p = match sim.authorised(&headers, &oid) {
        Ok(p) => p,
        Err(r) => return r.into_response(),
    };
    let contacts = vec![
        json!({"stateFacts": ["Identifiable"], "id": p.oid * 10 + 2, "type": "MBT", "vrfStu": status(p.mobile_verified), "value": p.mobile}),
        json!({"stateFacts": ["Identifiable"], "id": p.oid * 10 + 3, "type": "EML", "vrfStu": status(p.email_verified), "value": p.email}),
    ];
    collection(&uri, &embed, contacts)
}

#[derive(serde::Deserialize)]
struct FailNext {
    failure: Failure,
}

/// POST /__control/fail-next `{"failure":"deny"}`: what `fail_next` does, for browser tests.
async fn control_fail_next(State(sim): State<EsiaSimulator>, Json(body): Json<FailNext>) -> StatusCode {
    sim.fail_next(body.failure);
    StatusCode::NO_CONTENT
}

// ---- pages ----

mod page {
    //! The simulated Gosuslugi pages: the login/consent page and the error pages.

    use axum::http::{header, StatusCode};
    use axum::response::{IntoResponse, Response};

    use super::{EsiaError, DEMO_PERSONS};

    const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#eef2f7;color:#0b1f33}\
main{max-width:30rem;margin:1.5rem auto;background:#fff;padding:1.25rem 1.5rem;border-radius:.75rem}\
@media (max-width:32rem){main{margin:0;border-radius:0;min-height:100vh;box-sizing:border-box}}\
h1{font-size:1.4rem;margin:.25rem 0 1rem}.brand{color:#0d4cd3;font-weight:700;margin:0}\
ul{padding-left:1.25rem}ul.persons{list-style:none;padding:0}ul.persons li{margin:.75rem 0}\
button{display:block;width:100%;padding:.75rem;font:inherit;font-weight:600;border-radius:.5rem;cursor:pointer;\
background:#0d4cd3;color:#fff;border:2px solid #0d4cd3;text-align:left}\
button.deny{background:#fff;color:#0d4cd3;text-align:center;margin-top:1.25rem}\
.hint{margin:.25rem 0 0;color:#4b5563;font-size:.875rem}\
fieldset{border:0;padding:0;margin:0}legend{font-weight:600;padding:0}\
:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}\
[role=alert]{color:#a40e26;font-weight:600}.sim{color:#4b5563;font-size:.875rem}";

    pub use crate::http::embed::html_escape as escape;

    fn html(status: StatusCode, title: &str, body: &str) -> Response {
        let doc = format!(
            "<!doctype html><html lang=\"ru\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
             <meta name=\"referrer\" content=\"no-referrer\">\
             <title>{}</title><style>{STYLE}</style></head><body><main>\
             <p class=\"brand\">госуслуги</p>{body}</main></body></html>",
            escape(title)
        );
        (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], doc)
            .into_response()
    }

    /// What a scope lets the system read, in the words of a consent page.
    fn scope_text(scope: &str) -> String {
        match scope {
            "openid" => "Идентификатор учётной записи".into(),
            "fullname" => "Фамилия, имя, отчество".into(),
            "birthdate" => "Дата рождения".into(),
            "gender" => "Пол".into(),
            "snils" => "СНИЛС".into(),
            "inn" => "ИНН".into(),
            "id_doc" => "Паспорт гражданина РФ".into(),
            "mobile" => "Мобильный телефон".into(),
            "email" => "Адрес электронной почты".into(),
            "contacts" => "Контактные данные".into(),
            "addresses" => "Адреса".into(),
            other => format!("Данные «{other}»"),
        }
    }

    /// The login/consent page for a validated request. The form posts to `ac` relative to the
    /// page, so it works on loopback and nested under the shim's public URL alike.
    pub fn consent(client_id: &str, scope: &str, request_id: &str) -> Response {
        let scopes: String = scope
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(|s| format!("<li>{}</li>", escape(&scope_text(s))))
            .collect();
        let persons: String = DEMO_PERSONS
            .iter()
            .map(|p| {
                format!(
                    "<li><button type=\"submit\" name=\"oid\" value=\"{oid}\" aria-describedby=\"hint-{oid}\">\
                     Войти как {name}</button><p class=\"hint\" id=\"hint-{oid}\">Паспорт {series} {number}: {pst}; \
                     телефон {mobile}: {mst}; учётная запись {trusted}</p></li>",
                    oid = p.oid,
                    name = escape(&p.full_name()),
                    series = escape(p.passport.series),
                    number = escape(p.passport.number),
                    pst = verified_text(p.passport.verified),
                    mobile = escape(p.mobile),
                    mst = verified_text(p.mobile_verified),
                    trusted = if p.trusted { "подтверждённая" } else { "не подтверждена" },
                )
            })
            .collect();
        let body = format!(
            "<h1 id=\"title\">Вход через Госуслуги</h1>\
             <p class=\"sim\">Тестовый стенд (симулятор ЕСИА): настоящие учётные записи и данные не используются.</p>\
             <p>Система <strong>{client}</strong> запрашивает доступ к вашим данным:</p>\
             <ul aria-label=\"Запрошенные данные\">{scopes}</ul>\
             <form method=\"post\" action=\"ac\" aria-labelledby=\"title\">\
             <input type=\"hidden\" name=\"request\" value=\"{request}\">\
             <fieldset><legend>Войти как тестовый пользователь и разрешить доступ</legend>\
             <ul class=\"persons\">{persons}</ul></fieldset>\
             <button type=\"submit\" name=\"deny\" value=\"1\" class=\"deny\">Отказать</button></form>",
            client = escape(client_id),
            request = escape(request_id),
        );
        html(StatusCode::OK, "Госуслуги — вход (симулятор)", &body)
    }

    fn verified_text(verified: bool) -> &'static str {
        if verified {
            "подтверждён"
        } else {
            "не подтверждён"
        }
    }

    /// An error shown to the person instead of going back to a system not established.
    pub fn error(e: &EsiaError) -> Response {
        let body = format!(
            "<h1>Ошибка запроса на вход</h1><p role=\"alert\">{}</p>\
             <p class=\"sim\">Запрос системы отклонён; вернуться в неё по ссылке из запроса нельзя. \
             Откройте вход заново с сайта организации.</p>",
            escape(&e.description())
        );
        html(StatusCode::BAD_REQUEST, "Госуслуги — ошибка входа (симулятор)", &body)
    }

    /// The form's request is unknown, already answered or too old.
    pub fn expired() -> Response {
        let body = "<h1>Запрос на вход устарел</h1>\
                    <p role=\"alert\">Этот запрос на вход уже обработан или его срок истёк.</p>\
                    <p>Вернитесь на сайт организации и начните вход заново.</p>";
        html(StatusCode::BAD_REQUEST, "Госуслуги — запрос устарел (симулятор)", body)
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::Request;
    use ed25519_dalek::SigningKey;
    use rsa::pkcs8::DecodePublicKey;
    use rsa::signature::Verifier;
    use tower::ServiceExt;
    use x509_cert::der::{DecodePem, Encode};

    use super::super::{DEMO_CERTIFICATE_HASH, DEMO_CLIENT_ID, DEMO_SIGNING_SEED, ISSUER_TEST};
    use super::*;
    use crate::clock::ManualClock;

    const REDIRECT: &str = "https://lk.example.ru/auth/esia/callback";
    const SCOPE: &str = "openid fullname birthdate id_doc mobile";
    const IVANOVA: u64 = 1_000_000_001;

    /// The client's side, built here from the fact sheet and nothing of the adapter's.
    fn sign(message: &str) -> String {
        let key = SigningKey::from_bytes(&DEMO_SIGNING_SEED);
        URL_SAFE_NO_PAD.encode(key.sign(message.as_bytes()).to_bytes())
    }

    struct T {
        sim: EsiaSimulator,
        clock: ManualClock,
    }

    struct Answer {
        status: StatusCode,
        location: Option<String>,
        body: String,
    }

    impl Answer {
        fn json(&self) -> Value {
            serde_json::from_str(&self.body).unwrap_or(Value::Null)
        }
        /// The query of the redirect, as the system's callback reads it.
        fn redirect_query(&self) -> HashMap<String, String> {
            let loc = self.location.as_deref().expect("a redirect");
            assert!(loc.starts_with(&format!("{REDIRECT}?")), "{loc}");
            url::Url::parse(loc).unwrap().query_pairs().into_owned().collect()
        }
    }

    impl T {
        fn new() -> T {
            let clock = ManualClock::new(time::macros::datetime!(2026-03-02 09:00 UTC));
            let sim = EsiaSimulator::new(SimSettings {
                client_id: DEMO_CLIENT_ID.into(),
                redirect_uri: REDIRECT.into(),
                client_key: SigningKey::from_bytes(&DEMO_SIGNING_SEED).verifying_key(),
                certificate_hash: DEMO_CERTIFICATE_HASH.into(),
                issuer: ISSUER_TEST.into(),
                clock: Arc::new(clock.clone()),
            });
            T { sim, clock }
        }

        /// Moscow time, as a Russian system writes its timestamp.
        fn timestamp(&self) -> String {
            self.clock.now().to_offset(time::macros::offset!(+3)).format(TIMESTAMP_FORMAT).unwrap()
        }

        async fn send(&self, req: Request<Body>) -> Answer {
            let res = self.sim.router().oneshot(req).await.unwrap();
            let status = res.status();
            let location = res.headers().get(header::LOCATION).map(|l| l.to_str().unwrap().to_owned());
            let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap();
            Answer { status, location, body: String::from_utf8(bytes.to_vec()).unwrap() }
        }

        async fn get(&self, path: &str, bearer: Option<&str>) -> Answer {
            let mut req = Request::get(path);
            if let Some(token) = bearer {
                req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
            }
            self.send(req.body(Body::empty()).unwrap()).await
        }

        async fn post_form(&self, path: &str, pairs: &[(String, String)]) -> Answer {
            let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
            let req = Request::post(path)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap();
            self.send(req).await
        }

        /// A valid v2/ac request's parameters, secret over client_id+scope+timestamp+state+redirect_uri.
        fn ac_params(&self, state: &str) -> Vec<(String, String)> {
            let ts = self.timestamp();
            let secret = sign(&format!("{DEMO_CLIENT_ID}{SCOPE}{ts}{state}{REDIRECT}"));
            [
                ("client_id", DEMO_CLIENT_ID),
                ("client_secret", &secret),
                ("redirect_uri", REDIRECT),
                ("scope", SCOPE),
                ("response_type", "code"),
                ("state", state),
                ("timestamp", &ts),
                ("access_type", "online"),
                ("client_certificate_hash", DEMO_CERTIFICATE_HASH),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .to_vec()
        }

        async fn ac(&self, params: &[(String, String)]) -> Answer {
            let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
            self.get(&format!("/aas/oauth2/v2/ac?{query}"), None).await
        }

        /// Opens the login page and presses a button (`oid=…` or `deny=1`).
        async fn press(&self, state: &str, button: (&str, &str)) -> Answer {
            let page = self.ac(&self.ac_params(state)).await;
            assert_eq!(page.status, 200, "{}", page.body);
            let request = page.body.split("name=\"request\" value=\"").nth(1).unwrap().split('"').next().unwrap();
            let form = [("request", request), button].map(|(k, v)| (k.to_owned(), v.to_owned()));
            self.post_form("/aas/oauth2/v2/ac", &form).await
        }

        /// Logs in as `oid`; returns the code and the ac state.
        async fn login(&self, oid: u64) -> (String, String) {
            let state = Uuid::new_v4().to_string();
            let answer = self.press(&state, ("oid", &oid.to_string())).await;
            assert_eq!(answer.status, StatusCode::SEE_OTHER);
            let q = answer.redirect_query();
            (q["code"].clone(), state)
        }

        /// A v3/te request; `edit` changes the parameters after the secret is built.
        async fn te_with(&self, code: &str, state: &str, edit: impl FnOnce(&mut Vec<(String, String)>)) -> Answer {
            let ts = self.timestamp();
            let secret = sign(&format!("{DEMO_CLIENT_ID}{SCOPE}{ts}{state}{REDIRECT}{code}"));
            let mut form = [
                ("client_id", DEMO_CLIENT_ID),
                ("code", code),
                ("grant_type", "authorization_code"),
                ("client_secret", &secret),
                ("state", state),
                ("redirect_uri", REDIRECT),
                ("scope", SCOPE),
                ("timestamp", &ts),
                ("token_type", "Bearer"),
                ("client_certificate_hash", DEMO_CERTIFICATE_HASH),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .to_vec();
            edit(&mut form);
            self.post_form("/aas/oauth2/v3/te", &form).await
        }

        async fn te(&self, code: &str) -> Answer {
            self.te_with(code, &Uuid::new_v4().to_string(), |_| {}).await
        }
    }

    fn set(params: &mut [(String, String)], name: &str, value: &str) {
        params.iter_mut().find(|(k, _)| k == name).unwrap().1 = value.to_owned();
    }

    fn esia_code(description: &str) -> &str {
        description.split(':').next().unwrap()
    }

    /// The id_token's claims, after checking its RS256 signature with the published certificate.
    fn verified_claims(id_token: &str) -> Result<Value, rsa::signature::Error> {
        let cert = x509_cert::Certificate::from_pem(TOKEN_CERTIFICATE_PEM).unwrap();
        let spki = cert.tbs_certificate.subject_public_key_info.to_der().unwrap();
        let key = rsa::pkcs1v15::VerifyingKey::<Sha256>::new(rsa::RsaPublicKey::from_public_key_der(&spki).unwrap());
        let (input, sig) = id_token.rsplit_once('.').unwrap();
        let sig = rsa::pkcs1v15::Signature::try_from(URL_SAFE_NO_PAD.decode(sig).unwrap().as_slice())?;
        key.verify(input.as_bytes(), &sig)?;
        let (header, payload) = input.split_once('.').unwrap();
        let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
        assert_eq!((header["alg"].as_str(), header["typ"].as_str()), (Some("RS256"), Some("JWT")));
        assert_eq!(header["kid"], TOKEN_KEY_ID);
        Ok(serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap())
    }

    #[tokio::test]
    async fn a_valid_request_shows_the_consent_page_with_the_persons() {
        let t = T::new();
        let page = t.ac(&t.ac_params(&Uuid::new_v4().to_string())).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let html = &page.body;
        assert!(html.contains("<title>Госуслуги — вход (симулятор)</title>") && html.contains("<main>"));
        assert!(html.contains(DEMO_CLIENT_ID) && html.contains("<li>Паспорт гражданина РФ</li>"));
        for p in demo_persons() {
            assert!(html.contains(&format!("value=\"{}\"", p.oid)), "{}", p.full_name());
            assert!(html.contains(&format!("Войти как {}</button>", p.full_name())));
        }
        assert!(html.contains(">Отказать</button>") && html.contains("action=\"ac\""));
    }

    #[tokio::test]
    async fn secret_is_accepted_as_base64url_with_or_without_padding_and_as_standard_base64() {
        let t = T::new();
        let mut params = t.ac_params(&Uuid::new_v4().to_string());
        let raw = URL_SAFE_NO_PAD.decode(&params[1].1).unwrap();
        for engine in [URL_SAFE, STANDARD] {
            params[1].1 = engine.encode(&raw);
            assert_eq!(t.ac(&params).await.status, 200);
        }
    }

    #[tokio::test]
    async fn secret_over_the_legacy_v1_order_is_refused_with_007053() {
        let t = T::new();
        let state = Uuid::new_v4().to_string();
        let mut params = t.ac_params(&state);
        let ts = t.timestamp();
        set(&mut params, "client_secret", &sign(&format!("{SCOPE}{ts}{DEMO_CLIENT_ID}{state}")));
        let answer = t.ac(&params).await;
        assert_eq!(answer.status, StatusCode::FOUND);
        let q = answer.redirect_query();
        assert_eq!(esia_code(&q["error_description"]), "ESIA-007053");
        assert_eq!(q["state"], state);
    }

    #[tokio::test]
    async fn stale_or_malformed_timestamps_are_refused_with_007015() {
        let t = T::new();
        let params = t.ac_params(&Uuid::new_v4().to_string());
        t.clock.advance(Duration::minutes(5) + Duration::seconds(1));
        assert_eq!(esia_code(&t.ac(&params).await.redirect_query()["error_description"]), "ESIA-007015");
        // A `+` sent unescaped in the query arrives as a space.
        let mut params = t.ac_params(&Uuid::new_v4().to_string());
        let spaced = params[6].1.replace('+', " ");
        set(&mut params, "timestamp", &spaced);
        assert_eq!(esia_code(&t.ac(&params).await.redirect_query()["error_description"]), "ESIA-007015");
    }

    #[tokio::test]
    async fn an_unregistered_redirect_uri_or_client_gets_an_error_page_and_no_redirect() {
        let t = T::new();
        let mut params = t.ac_params(&Uuid::new_v4().to_string());
        set(&mut params, "redirect_uri", "https://evil.example.com/cb");
        let answer = t.ac(&params).await;
        assert_eq!((answer.status, answer.location.as_deref()), (StatusCode::BAD_REQUEST, None));
        assert!(answer.body.contains("ESIA-007023") && !answer.body.contains("evil"), "{}", answer.body);
        let mut params = t.ac_params(&Uuid::new_v4().to_string());
        set(&mut params, "client_id", "SOMEONE_ELSE");
        let answer = t.ac(&params).await;
        assert_eq!((answer.status, answer.location.as_deref()), (StatusCode::BAD_REQUEST, None));
        assert!(answer.body.contains("ESIA-007002"));
        let params: Vec<_> = t.ac_params("x").into_iter().filter(|(k, _)| k != "client_id").collect();
        assert!(t.ac(&params).await.body.contains("ESIA-007014"));
    }

    #[tokio::test]
    async fn other_request_errors_go_back_to_the_system() {
        let t = T::new();
        let cases: [(&str, Option<&str>, &str); 4] = [
            ("client_certificate_hash", None, "ESIA-007014"),
            ("client_certificate_hash", Some("00FF"), "ESIA-007002"),
            ("state", Some("not-a-uuid"), "ESIA-007003"),
            ("response_type", Some("token"), "ESIA-007012"),
        ];
        for (name, value, code) in cases {
            let mut params = t.ac_params(&Uuid::new_v4().to_string());
            match value {
                Some(v) => set(&mut params, name, v),
                None => params.retain(|(k, _)| k != name),
            }
            let q = t.ac(&params).await.redirect_query();
            assert_eq!(esia_code(&q["error_description"]), code, "{name}");
        }
    }

    #[tokio::test]
    async fn a_person_button_redirects_with_a_code_and_the_same_state() {
        let t = T::new();
        let state = Uuid::new_v4().to_string();
        let answer = t.press(&state, ("oid", "1000000001")).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER);
        let q = answer.redirect_query();
        assert_eq!(q["state"], state);
        assert!(q["code"].len() >= 32);
        assert_eq!(t.sim.issued_codes(), 1);
    }

    #[tokio::test]
    async fn deny_redirects_with_access_denied_007004() {
        let t = T::new();
        let state = Uuid::new_v4().to_string();
        let answer = t.press(&state, ("deny", "1")).await;
        let loc = answer.location.clone().unwrap();
        assert!(loc.contains("error=access_denied&error_description=ESIA-007004%3A+"), "{loc}");
        let q = answer.redirect_query();
        assert_eq!((q["state"].as_str(), q.get("code")), (state.as_str(), None));
        assert_eq!(t.sim.issued_codes(), 0);
    }

    #[tokio::test]
    async fn a_login_form_cannot_be_replayed() {
        let t = T::new();
        let page = t.ac(&t.ac_params(&Uuid::new_v4().to_string())).await;
        let request = page.body.split("name=\"request\" value=\"").nth(1).unwrap().split('"').next().unwrap();
        let form = [("request", request), ("oid", "1000000001")].map(|(k, v)| (k.to_owned(), v.to_owned()));
        assert_eq!(t.post_form("/aas/oauth2/v2/ac", &form).await.status, StatusCode::SEE_OTHER);
        let again = t.post_form("/aas/oauth2/v2/ac", &form).await;
        assert_eq!((again.status, again.location), (StatusCode::BAD_REQUEST, None));
    }

    #[tokio::test]
    async fn the_token_exchange_returns_an_id_token_that_verifies_with_the_certificate() {
        let t = T::new();
        let (code, _) = t.login(IVANOVA).await;
        let te_state = Uuid::new_v4().to_string();
        let answer = t.te_with(&code, &te_state, |_| {}).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        let body = answer.json();
        assert_eq!((body["state"].as_str(), body["token_type"].as_str()), (Some(te_state.as_str()), Some("Bearer")));
        assert_eq!(body["expires_in"], 3600);
        assert!(body["access_token"].is_string() && body["refresh_token"].is_string());
        let claims = verified_claims(body["id_token"].as_str().unwrap()).unwrap();
        let now = t.clock.now().unix_timestamp();
        assert_eq!(claims["iss"], ISSUER_TEST);
        assert_eq!(claims["aud"], DEMO_CLIENT_ID);
        assert_eq!(claims["sub"], "1000000001");
        assert_eq!((claims["iat"].as_i64(), claims["nbf"].as_i64()), (Some(now), Some(now)));
        assert_eq!(claims["exp"].as_i64(), Some(now + 3600));
        assert_eq!(claims["auth_time"].as_i64(), Some(now));
        assert!(claims["urn:esia:sid"].is_string());
        assert_eq!(t.sim.token_requests(), 1);
    }

    #[tokio::test]
    async fn a_code_works_once_and_for_five_minutes() {
        let t = T::new();
        let (code, _) = t.login(IVANOVA).await;
        assert_eq!(t.te(&code).await.status, 200);
        let again = t.te(&code).await;
        assert_eq!((again.status, again.json()["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
        assert_eq!(esia_code(again.json()["error_description"].as_str().unwrap()), "ESIA-007011");

        let (code, _) = t.login(IVANOVA).await;
        t.clock.advance(CODE_LIFETIME);
        let late = t.te(&code).await;
        assert_eq!(esia_code(late.json()["error_description"].as_str().unwrap()), "ESIA-007011");
        assert_eq!(t.sim.token_requests(), 3);
    }

    #[tokio::test]
    async fn the_token_request_needs_a_fresh_state_a_right_secret_and_every_parameter() {
        let t = T::new();
        let (code, ac_state) = t.login(IVANOVA).await;
        let reused = t.te_with(&code, &ac_state, |_| {}).await;
        assert_eq!(reused.status, StatusCode::BAD_REQUEST, "the ac state cannot be reused");
        let code_of = |a: &Answer| esia_code(a.json()["error_description"].as_str().unwrap()).to_owned();
        // The ac concatenation without the code is not a te secret.
        let ts = t.timestamp();
        let state = Uuid::new_v4().to_string();
        let ac_secret = sign(&format!("{DEMO_CLIENT_ID}{SCOPE}{ts}{state}{REDIRECT}"));
        let wrong = t.te_with(&code, &state, |f| set(f, "client_secret", &ac_secret)).await;
        assert_eq!(code_of(&wrong), "ESIA-007053");
        let missing = t.te_with(&code, &state, |f| f.retain(|(k, _)| k != "client_certificate_hash")).await;
        assert_eq!(code_of(&missing), "ESIA-007014");
        let other_uri = t.te_with(&code, &state, |f| set(f, "redirect_uri", "https://lk.example.ru/other")).await;
        assert_eq!(code_of(&other_uri), "ESIA-007023");
        // None of the refusals used the code up.
        assert_eq!(t.te(&code).await.status, 200);
    }

    #[tokio::test]
    async fn each_scripted_failure_does_what_it_says() {
        let t = T::new();
        t.sim.fail_next(Failure::Deny);
        let answer = t.press(&Uuid::new_v4().to_string(), ("oid", "1000000001")).await;
        assert_eq!(answer.redirect_query()["error"], "access_denied");

        t.sim.fail_next(Failure::WrongState);
        let state = Uuid::new_v4().to_string();
        let q = t.press(&state, ("oid", "1000000001")).await.redirect_query();
        assert!(q["state"] != state && parse_uuid(&q["state"]).is_some());
        assert_eq!(t.te(&q["code"]).await.status, 200, "only the redirect's state is wrong");

        t.sim.fail_next(Failure::ExpireCode);
        let (code, _) = t.login(IVANOVA).await;
        assert!(t.te(&code).await.body.contains("ESIA-007011"));

        t.sim.fail_next(Failure::WrongAudience);
        let (code, _) = t.login(IVANOVA).await;
        let id_token = t.te(&code).await.json()["id_token"].as_str().unwrap().to_owned();
        assert_eq!(verified_claims(&id_token).unwrap()["aud"], "ANOTHER_SYSTEM");

        t.sim.fail_next(Failure::BadTokenSignature);
        let (code, _) = t.login(IVANOVA).await;
        let id_token = t.te(&code).await.json()["id_token"].as_str().unwrap().to_owned();
        assert!(verified_claims(&id_token).is_err());

        t.sim.fail_next(Failure::ServerError);
        let (code, _) = t.login(IVANOVA).await;
        assert_eq!(t.te(&code).await.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(t.te(&code).await.status, 200, "a retry after the 500 works");

        let (code, _) = t.login(IVANOVA).await;
        assert!(verified_claims(t.te(&code).await.json()["id_token"].as_str().unwrap()).is_ok(), "no more failures");
    }

    #[tokio::test]
    async fn pkce_binds_the_code_to_its_verifier_and_the_nonce_is_echoed() {
        // RFC 7636, Appendix B.
        const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        let t = T::new();
        let login = |extra: Vec<(&'static str, &'static str)>| {
            let t = &t;
            async move {
                let state = Uuid::new_v4().to_string();
                let mut params = t.ac_params(&state);
                params.extend(extra.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())));
                let page = t.ac(&params).await;
                assert_eq!(page.status, 200, "{}", page.body);
                let request = page.body.split("name=\"request\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
                let form = [("request", request.as_str()), ("oid", "1000000001")].map(|(k, v)| (k.to_owned(), v.to_owned()));
                t.post_form("/aas/oauth2/v2/ac", &form).await.redirect_query()["code"].clone()
            }
        };
        let pkce = vec![("code_challenge", CHALLENGE), ("code_challenge_method", "S256"), ("nonce", "n-42")];
        // Without the verifier, or with another one: refused, and the code is spent.
        let code = login(pkce.clone()).await;
        let r = t.te(&code).await;
        assert_eq!(esia_code(r.json()["error_description"].as_str().unwrap()), "ESIA-007040");
        assert!(t.te_with(&code, &Uuid::new_v4().to_string(), |f| f.push(("code_verifier".into(), VERIFIER.into()))).await.body.contains("ESIA-007011"));
        let code = login(pkce.clone()).await;
        let wrong = t.te_with(&code, &Uuid::new_v4().to_string(), |f| f.push(("code_verifier".into(), "x".repeat(43)))).await;
        assert!(wrong.body.contains("ESIA-007040"), "{}", wrong.body);
        // With it: tokens, and the id_token names the trip's nonce.
        let code = login(pkce.clone()).await;
        let ok = t.te_with(&code, &Uuid::new_v4().to_string(), |f| f.push(("code_verifier".into(), VERIFIER.into()))).await;
        assert_eq!(ok.status, 200, "{}", ok.body);
        assert_eq!(verified_claims(ok.json()["id_token"].as_str().unwrap()).unwrap()["nonce"], "n-42");
        // A method other than S256 (plain protects nothing) is refused at v2/ac.
        let state = Uuid::new_v4().to_string();
        let mut params = t.ac_params(&state);
        params.extend([("code_challenge".to_owned(), CHALLENGE.to_owned()), ("code_challenge_method".to_owned(), "plain".to_owned())]);
        let refused = t.ac(&params).await;
        assert!(refused.redirect_query()["error_description"].starts_with("ESIA-007039"));
        // Scripted: another trip's nonce.
        t.sim.fail_next(Failure::WrongNonce);
        let code = login(pkce).await;
        let r = t.te_with(&code, &Uuid::new_v4().to_string(), |f| f.push(("code_verifier".into(), VERIFIER.into()))).await;
        assert_eq!(verified_claims(r.json()["id_token"].as_str().unwrap()).unwrap()["nonce"], "another-trips-nonce");
    }

    #[tokio::test]
    async fn the_person_api_answers_only_the_bearer_of_that_oid() {
        let t = T::new();
        let (code, _) = t.login(IVANOVA).await;
        let token = t.te(&code).await.json()["access_token"].as_str().unwrap().to_owned();
        let person = t.get("/rs/prns/1000000001", Some(&token)).await.json();
        assert_eq!((person["lastName"].as_str(), person["birthDate"].as_str()), (Some("Иванова"), Some("14.03.1985")));
        assert_eq!(person["trusted"], true);
        let docs = t.get("/rs/prns/1000000001/docs?embed=(elements)", Some(&token)).await.json();
        let passport = &docs["elements"][0];
        assert_eq!((passport["type"].as_str(), passport["series"].as_str()), (Some("RF_PASSPORT"), Some("5012")));
        assert_eq!((passport["number"].as_str(), passport["vrfStu"].as_str()), (Some("345678"), Some("VERIFIED")));
        let ctts = t.get("/rs/prns/1000000001/ctts?embed=(elements)", Some(&token)).await.json();
        assert_eq!(ctts["elements"][0]["value"], "+7(916)1234567");
        let links = t.get("/rs/prns/1000000001/ctts", Some(&token)).await.json();
        assert!(links["elements"][0].is_string(), "without embed ESIA lists links");

        assert_eq!(t.get("/rs/prns/1000000001", None).await.status, StatusCode::UNAUTHORIZED);
        assert_eq!(t.get("/rs/prns/1000000001", Some("forged")).await.status, StatusCode::UNAUTHORIZED);
        assert_eq!(t.get("/rs/prns/1000000002/docs", Some(&token)).await.status, StatusCode::FORBIDDEN);
        t.clock.advance(Duration::seconds(TOKEN_LIFETIME_SECS));
        assert_eq!(t.get("/rs/prns/1000000001", Some(&token)).await.status, StatusCode::UNAUTHORIZED);
    }

    #[tokio::test]
    async fn loopback_serves_the_page_under_mount_and_takes_failures_over_http() {
        let t = T::new();
        let root = t.sim.serve_loopback().await.unwrap();
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let control = format!("{}/__control/fail-next", EsiaSimulator::base_url(&root));
        let res = http.post(&control).json(&json!({"failure": "deny"})).send().await.unwrap();
        assert_eq!(res.status(), 204);

        let page_url = format!("{}/aas/oauth2/v2/ac", EsiaSimulator::base_url(&root));
        let page = http.get(&page_url).query(&t.ac_params(&Uuid::new_v4().to_string())).send().await.unwrap();
        let html = page.text().await.unwrap();
        let request = html.split("name=\"request\" value=\"").nth(1).unwrap().split('"').next().unwrap();
        // The form's relative action "ac" resolves to the page's own path.
        let action = url::Url::parse(&page_url).unwrap().join("ac").unwrap();
        let res = http.post(action).form(&[("request", request), ("oid", "1000000001")]).send().await.unwrap();
        let location = res.headers()[header::LOCATION].to_str().unwrap().to_owned();
        assert!(location.contains("error=access_denied"), "the scripted deny: {location}");
    }
}
