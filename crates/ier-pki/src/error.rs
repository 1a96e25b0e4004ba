//! The crate's error type: one variant per thing that can go wrong with certificates, keys,
//! trust files and the listener, each with a message that says what and where, never a key.

use std::path::PathBuf;

/// Everything that can go wrong issuing, loading or trusting certificates.
///
/// Messages name files and what is wrong with them; they never contain key material and quote
/// no certificate contents beyond a serial.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("cannot {action} {path}: {source}")]
    Io { action: &'static str, path: PathBuf, source: std::io::Error },
    #[error("a CA already exists in {0} (refusing to overwrite its key)")]
    CaExists(PathBuf),
    #[error("no CA in {0} (expected ca.pem and ca.key)")]
    NoCa(PathBuf),
    #[error("{path} is readable by other users (mode {mode:o}); it holds a private key: chmod 600 it")]
    KeyFileTooOpen { path: PathBuf, mode: u32 },
    #[error("the CA key does not belong to the CA certificate")]
    KeyMismatch,
    #[error("{what} holds no PEM {expected}")]
    NoPem { what: String, expected: &'static str },
    #[error("{what} is not valid PEM: {reason}")]
    BadPem { what: String, reason: String },
    #[error("{what} is not a usable X.509 certificate")]
    BadCertificate { what: String },
    #[error("{what} is not a usable certificate revocation list: {reason}")]
    BadCrl { what: String, reason: String },
    #[error("{what} is not a CA certificate (no basicConstraints cA=TRUE)")]
    NotACa { what: String },
    #[error("{what} holds a private key as well as certificates: give the CA's certificate alone")]
    KeyWithCertificate { what: String },
    #[error("no trusted CA: give at least one CA certificate (ca.pem or trusted/*.pem)")]
    NoTrustedCa,
    #[error("{0}")]
    BadSerial(#[from] crate::serial::SerialError),
    #[error("{file} line {line}: {reason}")]
    BadLine { file: PathBuf, line: usize, reason: String },
    #[error("{file}: {reason}")]
    Conflict { file: PathBuf, reason: String },
    #[error(
        "{path} holds a private key, but the EMS listener's PKI folder {dir} must hold only certificates: \
         whoever can read it could issue certificates for any ERO. Move the CA to its own issuer folder \
         (`ier ero ca split --pki {dir}` moves ca.key there and registers the certificates it issued), \
         or delete the key if it does not belong there, then start again"
    )]
    PrivateKeyInTrustDir { path: PathBuf, dir: PathBuf },
    #[error(
        "the issuer folder {0} is the EMS listener's PKI folder: the CA's key must live apart from what the \
         listener reads (give --ca-dir another folder, by default the PKI folder's name with -issuer)"
    )]
    SameFolder(PathBuf),
    #[error(
        "{pki} holds a CA certificate other than the issuer's ({issuer}): refusing to replace what the \
         listener trusts; move one of them away first"
    )]
    OtherCa { pki: PathBuf, issuer: PathBuf },
    #[error("{what} was not issued by the service's CA")]
    NotOurs { what: String },
    #[error("no CA key in {0}: nothing to move (is the CA already in its issuer folder?)")]
    NothingToSplit(PathBuf),
    #[error("the validity period is empty or inverted (not_after must be after not_before)")]
    BadValidity,
    #[error("certificate generation failed: {0}")]
    Rcgen(#[from] rcgen::Error),
    #[error("TLS configuration refused: {0}")]
    Tls(#[from] rustls::Error),
    #[error("client verifier refused the trust configuration: {0}")]
    Verifier(#[from] rustls::server::VerifierBuilderError),
}

impl PkiError {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io { action, path: path.into(), source }
    }
}
