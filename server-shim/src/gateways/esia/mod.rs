//! The `EsiaAuth` port: sign-in through ESIA (Госуслуги) by OAuth2 code flow, v2/ac and v3/te,
//! with the client secret signed by the organisation's key through a [`signer::Signer`], the
//! id_token checked, and the person's verified data read from `/rs/prns/{oid}`.

pub mod client;
pub mod signer;
pub mod simulator;

/// Demo and test stand-in for the organisation's GOST key: Ed25519 from this fixed seed. The
/// simulator knows the matching public key, as ESIA knows the certificate uploaded on its
/// technology portal. Production refuses to start with it.
pub const DEMO_SIGNING_SEED: [u8; 32] = *b"kabinet-esia-demo-signer-seed-01";
/// The demo's `client_certificate_hash` (what `cpverify -mk -alg GR3411_2012_256` prints for a
/// real certificate); the simulator refuses any other.
pub const DEMO_CERTIFICATE_HASH: &str = "5C6B0B8F2A1B3E4D9F0A7C6E5D4B3A29181706F5E4D3C2B1A09F8E7D6C5B4A39";
/// The demo's mnemonic (client_id) registered at the simulator.
pub const DEMO_CLIENT_ID: &str = "KABINET_DEMO";
/// ESIA's `iss` on the test stand, in its exact form: http, trailing slash.
pub const ISSUER_TEST: &str = "http://esia-portal1.test.gosuslugi.ru/";
/// ESIA's `iss` in production.
pub const ISSUER_PROD: &str = "http://esia.gosuslugi.ru/";

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use crate::clock::Clock;
use crate::config::{Config, EsiaGateway};
use client::{EsiaClient, EsiaSettings, TokenCheck};
use signer::{CommandSigner, DemoSigner, HttpSigner, Signer};
use simulator::{EsiaSimulator, SimSettings};

/// The ESIA adapter configured in `[esia]` (none when it is off) and, with the simulator, the
/// simulator it talks to: served on its own loopback port for the adapter's back-channel
/// calls, and at the shim's public URL + [`simulator::MOUNT`] for the browser's login page.
pub async fn build(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<(Option<EsiaClient>, Option<EsiaSimulator>)> {
    let c = &config.esia;
    if !c.enabled {
        return Ok((None, None));
    }
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(c.timeout_secs))
        .connect_timeout(Duration::from_secs(c.timeout_secs.min(5)))
        // Never follow ESIA's answers elsewhere: a redirect from the token endpoint is a fault.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .context("ESIA HTTP client")?;
    let redirect_uri = c.redirect_uri(&config.public_url);
    match c.gateway {
        EsiaGateway::Simulator => {
            let sim = EsiaSimulator::new(SimSettings {
                client_id: DEMO_CLIENT_ID.into(),
                redirect_uri: redirect_uri.clone(),
                client_key: DemoSigner::verifying_key(),
                certificate_hash: DEMO_CERTIFICATE_HASH.into(),
                issuer: ISSUER_TEST.into(),
                clock: clock.clone(),
            });
            let root = sim.serve_loopback().await.context("starting the ESIA simulator")?;
            let settings = EsiaSettings {
                login_base: EsiaSimulator::base_url(&config.public_url),
                api_base: EsiaSimulator::base_url(&root),
                client_id: DEMO_CLIENT_ID.into(),
                scope: c.scope.clone(),
                redirect_uri,
                issuer: ISSUER_TEST.into(),
                token_check: TokenCheck::rs256_from_pem_certificates(simulator::TOKEN_CERTIFICATE_PEM)?,
                encoding: c.secret_encoding,
                leeway_secs: c.token_leeway_secs,
            };
            Ok((Some(EsiaClient::new(settings, Arc::new(DemoSigner::new()), clock, http.clone())), Some(sim)))
        }
        EsiaGateway::Esia => {
            let signer: Arc<dyn Signer> = match c.signer_command.split_first() {
                Some((program, args)) => {
                    Arc::new(CommandSigner::new(program.into(), args.to_vec(), c.signer_reverse_bytes, c.certificate_hash.clone()))
                }
                None => Arc::new(HttpSigner::new(c.signer_url.clone(), c.certificate_hash.clone(), http.clone())),
            };
            let token_check = match c.token_verify_command.split_first() {
                Some((program, args)) => TokenCheck::Command { program: program.into(), args: args.to_vec() },
                None => {
                    let pem = std::fs::read_to_string(&c.token_certificates)
                        .with_context(|| format!("esia.token_certificates: cannot read {}", c.token_certificates))?;
                    TokenCheck::rs256_from_pem_certificates(&pem).context("esia.token_certificates")?
                }
            };
            let host = c.host();
            let settings = EsiaSettings {
                login_base: host.clone(),
                api_base: host,
                client_id: c.client_id.clone(),
                scope: c.scope.clone(),
                redirect_uri,
                issuer: c.issuer().into(),
                token_check,
                encoding: c.secret_encoding,
                leeway_secs: c.token_leeway_secs,
            };
            Ok((Some(EsiaClient::new(settings, signer, clock, http)), None))
        }
    }
}
