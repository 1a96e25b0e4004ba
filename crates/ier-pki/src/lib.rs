//! Mutual TLS for the EMS API: how a council's Electoral Management Software proves which
//! Electoral Registration Officer it works for, and the listener that lets nothing else through.
//!
//! # Trust model
//!
//! - **Certificates, not passwords.** Every EMS presents a TLS client certificate on a listener
//!   separate from the public site. The handshake fails unless the certificate chains to a
//!   trusted CA, is inside its validity period, is not revoked, is for client authentication
//!   (extended key usage `clientAuth` when present) and names an ERO.
//! - **Which CAs.** For development and the demo the service runs its own CA
//!   ([`CertificateAuthority`]: ECDSA P-256, `ca.pem` + `ca.key` with mode 0600), which issues
//!   ERO certificates (`ier ero cert issue --ero ID`) and the listener's server certificate. In
//!   production an external CA's certificate is imported instead or as well (`trusted/*.pem`,
//!   [`TrustConfig`]); any number of CAs may be trusted at once.
//! - **Identity.** A verified certificate speaks for the ERO in its URI subject alternative
//!   name `urn:ier:ero:<ero-id>` ([`identity`] has the exact rule; a certificate naming two EROs
//!   is refused). Certificates from an external CA that cannot carry that URI are mapped by
//!   serial (`serials.txt`). The common name is never used. The listener turns the identity
//!   into a [`Caller`] `{ ero, serial }` in the request's extensions; serial → ERO → GSS codes of
//!   its councils is the storage layer's business, not this crate's.
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
//! A PKI directory holds `ca.pem`, `ca.key`, `trusted/`, `crls/`, `revoked.txt` and
//! `serials.txt` (see [`TrustConfig`] and [`files`]).

pub mod allow;
pub mod ca;
pub mod client;
pub mod error;
pub mod files;
pub mod https;
pub mod identity;
pub mod pem;
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
pub use revocation::{Reason, Revocation, RevocationList, revoke};
pub use serial::{Serial, SerialError};
pub use server::{Caller, EmsServer, HandshakeRejection, ServerIdentity, ServerTls, SharedAllowList, serve};
pub use trust::TrustConfig;

/// The certificate library this crate issues with, for callers of [`CertificateAuthority::sign`].
pub use rcgen;
/// The TLS library, for callers building connectors from [`client_config`].
pub use rustls;
