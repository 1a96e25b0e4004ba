//! PEM decoding of certificates, CRLs and private keys into the DER types rustls uses, with
//! errors that say which input was wrong.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};

use crate::error::PkiError;

/// Every `CERTIFICATE` block in `pem` (at least one).
pub fn certificates(pem: &str, what: &str) -> Result<Vec<CertificateDer<'static>>, PkiError> {
    let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| PkiError::BadPem { what: what.to_owned(), reason: e.to_string() })?;
    if certs.is_empty() {
        return Err(PkiError::NoPem { what: what.to_owned(), expected: "CERTIFICATE" });
    }
    Ok(certs)
}

/// The first private key (PKCS#8, SEC1 or PKCS#1) in `pem`.
pub fn private_key(pem: &str, what: &str) -> Result<PrivateKeyDer<'static>, PkiError> {
    PrivateKeyDer::from_pem_slice(pem.as_bytes()).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => {
            PkiError::NoPem { what: what.to_owned(), expected: "PRIVATE KEY" }
        }
        // The error's text never includes the key bytes, but say only the kind of problem.
        _ => PkiError::BadPem { what: what.to_owned(), reason: "malformed private key block".into() },
    })
}

/// Every `X509 CRL` block in `pem` (at least one).
pub fn crls(pem: &[u8], what: &str) -> Result<Vec<CertificateRevocationListDer<'static>>, PkiError> {
    let crls = CertificateRevocationListDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| PkiError::BadPem { what: what.to_owned(), reason: e.to_string() })?;
    if crls.is_empty() {
        return Err(PkiError::NoPem { what: what.to_owned(), expected: "X509 CRL" });
    }
    Ok(crls)
}
