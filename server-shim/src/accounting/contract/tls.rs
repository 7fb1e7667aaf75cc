//! rustls set-up of both ends of the contract (A23): the ring provider, TLS 1.2 and 1.3 only,
//! and trust in exactly one configured CA in each direction, never the system's roots.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};

/// Named explicitly so the set-up never depends on which provider the process installed.
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Certificates of a PEM file (a chain: leaf first).
pub fn certs(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(path)
        .with_context(|| format!("cannot read certificates from {}", path.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("bad PEM certificate in {}", path.display()))?;
    anyhow::ensure!(!certs.is_empty(), "no certificate in {}", path.display());
    Ok(certs)
}

/// The private key of a PEM file (PKCS#8, PKCS#1 or SEC1). Errors name the file, never its content.
pub fn key(path: &Path) -> anyhow::Result<PrivateKeyDer<'static>> {
    PrivateKeyDer::from_pem_file(path).with_context(|| format!("cannot read a private key from {}", path.display()))
}

/// A trust store holding only the CA certificates of this file.
pub fn roots(path: &Path) -> anyhow::Result<Arc<RootCertStore>> {
    let mut store = RootCertStore::empty();
    for cert in certs(path)? {
        store.add(cert).with_context(|| format!("unusable CA certificate in {}", path.display()))?;
    }
    Ok(Arc::new(store))
}

/// The contract server's TLS: its certificate, and with `client_ca` a client certificate signed
/// by that CA is required; without one the handshake fails and no HTTP is ever read.
pub fn server_config(cert: &Path, key_path: &Path, client_ca: Option<&Path>) -> anyhow::Result<ServerConfig> {
    let builder = ServerConfig::builder_with_provider(provider()).with_safe_default_protocol_versions()?;
    let builder = match client_ca {
        Some(ca) => {
            let verifier = WebPkiClientVerifier::builder_with_provider(roots(ca)?, provider())
                .build()
                .context("client certificate verifier")?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder.with_single_cert(certs(cert)?, key(key_path)?).context("server certificate and key")?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// The adapter's TLS: the accounting server must present a certificate from `server_ca` (the
/// only CA trusted), and the shim presents `identity` (certificate chain, key) when given.
pub fn client_config(server_ca: &Path, identity: Option<(&Path, &Path)>) -> anyhow::Result<ClientConfig> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots(server_ca)?);
    Ok(match identity {
        Some((cert, key_path)) => {
            builder.with_client_auth_cert(certs(cert)?, key(key_path)?).context("client certificate and key")?
        }
        None => builder.with_no_client_auth(),
    })
}
