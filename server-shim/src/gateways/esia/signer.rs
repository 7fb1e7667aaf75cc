//! The `Signer` behind ESIA's client_secret: demo Ed25519, an external command (CryptoPro
//! csptest or OpenSSL with gost-engine behind a wrapper) or a local HTTP signing service, and
//! the encodings ESIA clients put the raw signature in.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context as _;
use base64::Engine as _;
use ed25519_dalek::Signer as _;
use tokio::io::AsyncWriteExt as _;

/// Signing a few hundred bytes takes milliseconds; a signer that needs more is stuck, and the
/// person waiting on the login button should hear so rather than wait for the browser to give up.
const SIGN_TIMEOUT: Duration = Duration::from_secs(10);
/// Enough of a signer's stderr or a service's answer to see what went wrong, never a flood.
const EXCERPT_CHARS: usize = 500;

#[async_trait::async_trait]
pub trait Signer: Send + Sync {
    /// Raw signature of `data` (GOST R 34.10-2012 256 in production; not PKCS#7).
    async fn sign(&self, data: &[u8]) -> anyhow::Result<Vec<u8>>;
    /// `client_certificate_hash` as configured (hex, what `cpverify -mk -alg GR3411_2012_256` prints).
    fn certificate_hash(&self) -> &str;
}

/// Stands in for the organisation's GOST key in the demo and tests: the simulator checks the
/// signature with [`DemoSigner::verifying_key`], as ESIA checks the uploaded certificate.
pub struct DemoSigner {
    key: ed25519_dalek::SigningKey,
}

impl DemoSigner {
    pub fn new() -> Self {
        DemoSigner { key: ed25519_dalek::SigningKey::from_bytes(&super::DEMO_SIGNING_SEED) }
    }

    /// The public half of the demo key.
    pub fn verifying_key() -> ed25519_dalek::VerifyingKey {
        ed25519_dalek::SigningKey::from_bytes(&super::DEMO_SIGNING_SEED).verifying_key()
    }
}

impl Default for DemoSigner {
    fn default() -> Self {
        Self::new()
    }
}

// The seed is public, but a key in Debug output is a bad habit to let start.
impl std::fmt::Debug for DemoSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoSigner").finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl Signer for DemoSigner {
    async fn sign(&self, data: &[u8]) -> anyhow::Result<Vec<u8>> {
        Ok(self.key.sign(data).to_bytes().to_vec())
    }

    fn certificate_hash(&self) -> &str {
        super::DEMO_CERTIFICATE_HASH
    }
}

/// Runs an external program per signature: the data on its stdin, the raw signature on its
/// stdout. A GOST key usually lives in CryptoPro or an OpenSSL build with gost-engine, neither
/// of which has a Rust binding worth trusting, so a small wrapper script is the seam.
#[derive(Debug, Clone)]
pub struct CommandSigner {
    program: PathBuf,
    args: Vec<String>,
    reverse_bytes: bool,
    certificate_hash: String,
    timeout: Duration,
}

impl CommandSigner {
    /// `reverse_bytes` for CryptoPro `csptest -keys -sign`, which prints the signature
    /// little-endian while ESIA expects it big-endian.
    pub fn new(program: PathBuf, args: Vec<String>, reverse_bytes: bool, certificate_hash: String) -> Self {
        CommandSigner { program, args, reverse_bytes, certificate_hash, timeout: SIGN_TIMEOUT }
    }

    /// How long one signature may take before the program is killed (10 s by default).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

#[async_trait::async_trait]
impl Signer for CommandSigner {
    async fn sign(&self, data: &[u8]) -> anyhow::Result<Vec<u8>> {
        let name = self.program.display();
        let output = run_program(&self.program, &self.args, data, self.timeout)
            .await
            .with_context(|| format!("signer {name}"))?;
        anyhow::ensure!(
            output.status.success(),
            "signer {name} failed ({}): {}",
            output.status,
            excerpt(&String::from_utf8_lossy(&output.stderr))
        );
        anyhow::ensure!(
            !output.stdout.is_empty(),
            "signer {name} printed no signature: {}",
            excerpt(&String::from_utf8_lossy(&output.stderr))
        );
        let mut signature = output.stdout;
        if self.reverse_bytes {
            signature.reverse();
        }
        Ok(signature)
    }

    fn certificate_hash(&self) -> &str {
        &self.certificate_hash
    }
}

/// Asks a signing service on the local network: POST the bytes, get the raw signature back.
/// This keeps the key and its licensed CSP on one host while several shims share it.
#[derive(Debug, Clone)]
pub struct HttpSigner {
    url: String,
    certificate_hash: String,
    http: reqwest::Client,
    timeout: Duration,
}

impl HttpSigner {
    pub fn new(url: String, certificate_hash: String, http: reqwest::Client) -> Self {
        HttpSigner { url, certificate_hash, http, timeout: SIGN_TIMEOUT }
    }

    /// How long one signature may take (10 s by default).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

#[async_trait::async_trait]
impl Signer for HttpSigner {
    async fn sign(&self, data: &[u8]) -> anyhow::Result<Vec<u8>> {
        let url = &self.url;
        let fail = |e: reqwest::Error| {
            if e.is_timeout() {
                anyhow::anyhow!("signing service {url} gave no signature within {:?}", self.timeout)
            } else {
                anyhow::anyhow!("signing service {url}: {}", crate::gateways::error_chain(&e))
            }
        };
        let response = self
            .http
            .post(url)
            .timeout(self.timeout)
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .body(data.to_vec())
            .send()
            .await
            .map_err(fail)?;
        let status = response.status();
        let body = response.bytes().await.map_err(fail)?;
        anyhow::ensure!(
            status == reqwest::StatusCode::OK,
            "signing service {url} answered {status}: {}",
            excerpt(&String::from_utf8_lossy(&body))
        );
        anyhow::ensure!(!body.is_empty(), "signing service {url} answered with an empty signature");
        Ok(body.to_vec())
    }

    fn certificate_hash(&self) -> &str {
        &self.certificate_hash
    }
}

/// How the raw signature is written into `client_secret`. The sources disagree on what ESIA
/// accepts, so the choice is configuration, not code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretEncoding {
    /// URL-safe alphabet with padding, as ofstudio/go-api-epgu's `base64.URLEncoding`.
    #[default]
    Base64url,
    /// URL-safe alphabet without padding.
    Base64urlNopad,
    /// Standard alphabet with padding, as AISGorod sends it.
    Base64,
}

impl SecretEncoding {
    pub fn encode(self, signature: &[u8]) -> String {
        use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
        match self {
            SecretEncoding::Base64url => URL_SAFE.encode(signature),
            SecretEncoding::Base64urlNopad => URL_SAFE_NO_PAD.encode(signature),
            SecretEncoding::Base64 => STANDARD.encode(signature),
        }
    }
}

/// Runs `program` with `input` on stdin and returns what it printed, whatever its exit status
/// (that is the caller's to judge). The program is killed when `timeout` passes, and also when
/// the caller's future is dropped, so a stuck CSP never piles up processes.
pub(super) async fn run_program(
    program: &Path,
    args: &[String],
    input: &[u8],
    timeout: Duration,
) -> anyhow::Result<std::process::Output> {
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("could not start the program")?;
    let mut stdin = child.stdin.take().context("no stdin pipe")?;
    let feed = async move {
        let written = stdin.write_all(input).await;
        // Closing stdin is the end-of-data mark the program waits for.
        drop(stdin);
        written
    };
    // Feeding and reading together: a program may print before it has read everything.
    let (fed, output) = tokio::time::timeout(timeout, async { tokio::join!(feed, child.wait_with_output()) })
        .await
        .map_err(|_| anyhow::anyhow!("no answer within {timeout:?}; the program was killed"))?;
    let output = output.context("could not read the program's output")?;
    // A program that failed may well have stopped reading; its exit status and stderr say more
    // than the broken pipe, so the write error only counts when it claims success.
    if output.status.success() {
        fed.context("could not pass the data to the program")?;
    }
    Ok(output)
}

/// The start of a text for an error message.
pub(super) fn excerpt(text: &str) -> String {
    let text = text.trim();
    let mut s: String = text.chars().take(EXCERPT_CHARS).collect();
    if s.len() < text.len() {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    use ed25519_dalek::Verifier as _;

    const SAMPLE: &[u8] = b"\xfb\xff\xbf\x01";

    #[test]
    fn encodings_differ_in_alphabet_and_padding() {
        assert_eq!(SecretEncoding::Base64url.encode(SAMPLE), "-_-_AQ==");
        assert_eq!(SecretEncoding::Base64urlNopad.encode(SAMPLE), "-_-_AQ");
        assert_eq!(SecretEncoding::Base64.encode(SAMPLE), "+/+/AQ==");
        assert_eq!(SecretEncoding::default(), SecretEncoding::Base64url);
    }

    #[test]
    fn encoding_names_in_configuration() {
        let parsed: Vec<SecretEncoding> = serde_json::from_str(r#"["base64url","base64url_nopad","base64"]"#).unwrap();
        assert_eq!(parsed, [SecretEncoding::Base64url, SecretEncoding::Base64urlNopad, SecretEncoding::Base64]);
    }

    #[tokio::test]
    async fn demo_signature_verifies_with_the_public_key() {
        let signer = DemoSigner::new();
        let data = b"KABINET_DEMOopenid";
        let raw = signer.sign(data).await.unwrap();
        let signature = ed25519_dalek::Signature::from_slice(&raw).unwrap();
        DemoSigner::verifying_key().verify(data, &signature).unwrap();
        assert!(DemoSigner::verifying_key().verify(b"other", &signature).is_err());
        assert_eq!(signer.certificate_hash(), crate::gateways::esia::DEMO_CERTIFICATE_HASH);
    }

    fn sh(script: &str, reverse: bool) -> CommandSigner {
        CommandSigner::new("/bin/sh".into(), vec!["-c".into(), script.into()], reverse, "AB12".into())
    }

    #[tokio::test]
    async fn command_signer_passes_stdin_and_returns_stdout() {
        let signer = sh("cat; printf x", false);
        assert_eq!(signer.sign(b"abc").await.unwrap(), b"abcx");
        assert_eq!(signer.certificate_hash(), "AB12");
        let reversed = sh("cat; printf x", true);
        assert_eq!(reversed.sign(b"abc").await.unwrap(), b"xcba");
    }

    #[tokio::test]
    async fn command_signer_reports_failure_with_stderr() {
        let e = sh("cat >/dev/null; echo 'no key container' >&2; exit 3", false).sign(b"abc").await.unwrap_err();
        let text = format!("{e:#}");
        assert!(text.contains("/bin/sh") && text.contains("no key container"), "{text}");

        let e = sh("cat >/dev/null; echo 'licence expired' >&2", false).sign(b"abc").await.unwrap_err();
        let text = format!("{e:#}");
        assert!(text.contains("no signature") && text.contains("licence expired"), "{text}");

        let missing = CommandSigner::new("/nonexistent/signer".into(), vec![], false, String::new());
        let text = format!("{:#}", missing.sign(b"abc").await.unwrap_err());
        assert!(text.contains("/nonexistent/signer"), "{text}");
    }

    #[tokio::test]
    async fn command_signer_kills_a_hanging_program() {
        let signer = sh("sleep 30", false).with_timeout(Duration::from_millis(300));
        let started = std::time::Instant::now();
        let text = format!("{:#}", signer.sign(b"abc").await.unwrap_err());
        assert!(text.contains("no answer within"), "{text}");
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    async fn signing_service() -> String {
        use axum::http::{HeaderMap, StatusCode};
        async fn sign(headers: HeaderMap, body: axum::body::Bytes) -> (StatusCode, Vec<u8>) {
            if headers.get("content-type").and_then(|v| v.to_str().ok()) != Some("application/octet-stream") {
                return (StatusCode::UNSUPPORTED_MEDIA_TYPE, b"wrong type".to_vec());
            }
            let mut signature = body.to_vec();
            signature.reverse();
            (StatusCode::OK, signature)
        }
        let app = axum::Router::new()
            .route("/sign", axum::routing::post(sign))
            .route("/broken", axum::routing::post(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "token expired") }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let root = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        root
    }

    #[tokio::test]
    async fn http_signer_posts_the_bytes() {
        let root = signing_service().await;
        let http = reqwest::Client::new();
        let signer = HttpSigner::new(format!("{root}/sign"), "CD34".into(), http.clone());
        assert_eq!(signer.sign(b"abc").await.unwrap(), b"cba");
        assert_eq!(signer.certificate_hash(), "CD34");

        let broken = HttpSigner::new(format!("{root}/broken"), "CD34".into(), http);
        let text = format!("{:#}", broken.sign(b"abc").await.unwrap_err());
        assert!(text.contains("500") && text.contains("token expired") && text.contains("/broken"), "{text}");
    }
}
