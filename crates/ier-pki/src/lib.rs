//! Mutual TLS for the EMS API: how a council's Electoral Management Software proves which
//! Electoral Registration Officer it works for, and the listener that lets nothing else through.
//!
//! # Trust model
//!
//! - **Certificates, not passwords.** Every EMS presents a TLS client certificate on a listener
//!   separate from the public site. The handshake fails unless the certificate chains to a
//!   trusted CA, is inside its validity period, is not revoked, is for client authentication
//!   (extended key usage `clientAuth` when present) and names an ERO.
//! - **Which CAs.** For development, the demo, and production without an external CA, the
//!   service runs its own CA ([`CertificateAuthority`]: ECDSA P-256), which issues ERO
//!   certificates (`ier ero cert issue --ero ID`) and the listener's server certificate. In
//!   production an external CA's certificate is imported instead or as well (`trusted/*.pem`,
//!   [`TrustConfig`]); any number of CAs may be trusted at once.
//! - **Issuing happens apart.** The listener needs certificates, never a CA's key: our CA's
//!   `ca.pem` and `ca.key` (mode 0600) live in an issuer folder of its own ([`IssuingCa`], by
//!   default the PKI directory's name with `-issuer`), which publishes `ca.pem` and its CRL to
//!   the PKI directory. The listener refuses to start, and a running one refuses every
//!   connection, while a private key is in its trust folders ([`PkiError::PrivateKeyInTrustDir`]);
//!   [`issuer::split`] moves the key out of a PKI directory made before.
//! - **Identity: issuer and serial together.** A verified certificate speaks for an ERO only if
//!   the CA that signed it and its serial are registered together ([`register`]): our CA
//!   records every certificate it issues in `issued.txt`; an imported CA's certificates are
//!   mapped in `serials.txt`, each line naming that CA by fingerprint. So no trusted CA can
//!   speak for an ERO by writing its URI, or by reusing a serial mapped under another CA. A URI
//!   subject alternative name `urn:ier:ero:<ero-id>`, if present, must agree ([`identity`] has
//!   the exact rule). The common name is never used. The listener turns the identity into a
//!   [`Caller`] `{ ero, serial }` in the request's extensions; serial → ERO → GSS codes of its
//!   councils is the storage layer's business, not this crate's.
//! - **Revocation.** `revoked.txt` lists revoked serials and our CA publishes a real X.509 CRL
//!   from it (`crls/ier-ca.crl.pem`); CRLs from external CAs go in `crls/` too and rustls checks
//!   them. The listener re-reads the directory on the first connection after it changes, so a
//!   revocation applies to new connections without a restart; TLS session resumption is off so
//!   no session outlives it, and kept-alive connections are closed after 10 minutes.
//! - **IP allow-list.** An ERO may optionally be limited to IP ranges ([`IpAllowList`]). The
//!   check happens after the handshake, because only then is the ERO known: a connection from
//!   elsewhere gets `403 Forbidden` (JSON, `Connection: close`) for every request and its
//!   requests never reach the router.
//! - **What a refused client never reaches.** No handler, no router, no HTTP parsing at all for
//!   a failed handshake. The client learns why from the TLS alert (`certificate_required`,
//!   `certificate_expired` (also for not yet valid, as RFC 8446 says), `certificate_revoked`,
//!   `unknown_ca`, `decrypt_error` for a CA impostor with a trusted CA's name,
//!   `unsupported_certificate` for a certificate not for client authentication, `access_denied`
//!   for a certificate naming no ERO); the listener logs the reason ([`HandshakeRejection`]) and
//!   the peer IP at `info`, and nothing from the certificate but its serial.
//!
//! # Files
//!
//! The listener's PKI directory holds certificates and registers only: `ca.pem`, `trusted/`,
//! `crls/`, `revoked.txt`, `issued.txt`, `serials.txt`, and the listener's own `server/ems.pem`
//! and `server/ems.key` (see [`TrustConfig`] and [`files`]). The issuer folder holds `ca.pem`,
//! `ca.key` and, by default, the client certificates it issues (`clients/`).

pub mod allow;
pub mod ca;
pub mod client;
pub mod error;
pub mod files;
pub mod https;
pub mod identity;
pub mod issuer;
pub mod pem;
pub mod register;
pub mod revocation;
pub mod serial;
pub mod server;
pub mod trust;

pub use allow::{IpAllowList, IpNet, IpNetError};
pub use ca::{CertificateAuthority, DEFAULT_CA_NAME, ERO_ORGANISATION, IssuedCertificate, ServerCertificate, Validity};
pub use client::{client_config, client_config_without_certificate};
pub use error::PkiError;
pub use https::{HttpsClient, HttpsError, Progress, Retry, Timeouts};
pub use identity::{CertIdentity, ERO_URI_PREFIX, IdentityError, IdentityMap, ero_uri};
pub use issuer::{IssuingCa, Split, default_issuer_dir};
pub use register::{CaFingerprint, Register, Registration};
pub use revocation::{Reason, Revocation, RevocationList, revoke};
pub use serial::{Serial, SerialError};
pub use server::{Caller, EmsServer, HandshakeRejection, ServerIdentity, ServerTls, SharedAllowList, serve};
pub use trust::TrustConfig;

/// The certificate library this crate issues with, for callers of [`CertificateAuthority::sign`].
pub use rcgen;
/// The TLS library, for callers building connectors from [`client_config`].
pub use rustls;
