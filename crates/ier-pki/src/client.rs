//! The client side, for the reference EMS client and tests: a rustls `ClientConfig` that
//! presents an ERO certificate and trusts only the EMS API's CA.

use std::sync::Arc;

use rustls::{ClientConfig, RootCertStore};

use crate::error::PkiError;

fn roots(ca_pem: &str) -> Result<RootCertStore, PkiError> {
    let mut roots = RootCertStore::empty();
    for der in crate::pem::certificates(ca_pem, "the CA certificate")? {
        roots.add(der)?;
    }
    Ok(roots)
}

fn builder() -> Result<rustls::ConfigBuilder<ClientConfig, rustls::WantsVerifier>, PkiError> {
    Ok(ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?)
}

/// A client configuration presenting `cert_pem` (leaf first, then any intermediates) with
/// `key_pem`, trusting servers whose certificate chains to `ca_pem`. ALPN offers `http/1.1`.
pub fn client_config(cert_pem: &str, key_pem: &str, ca_pem: &str) -> Result<ClientConfig, PkiError> {
    let chain = crate::pem::certificates(cert_pem, "the client certificate")?;
    let key = crate::pem::private_key(key_pem, "the client key")?;
    let mut config = builder()?.with_root_certificates(roots(ca_pem)?).with_client_auth_cert(chain, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// A client configuration that presents no certificate (the listener refuses it; for tests and
/// diagnostics).
pub fn client_config_without_certificate(ca_pem: &str) -> Result<ClientConfig, PkiError> {
    let mut config = builder()?.with_root_certificates(roots(ca_pem)?).with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}
