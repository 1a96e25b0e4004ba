//! What the listener trusts: CA certificates (our own and imported production CAs), CRLs, the
//! revocation register, and the registers of certificates by issuer and serial; and the rustls
//! client verifier built from them, which refuses at the handshake any certificate that does
//! not chain to a trusted CA, is outside its validity, is revoked, is not for client
//! authentication, or whose issuer and serial are not registered together to an ERO.
//!
//! The listener's PKI folder holds certificates only: [`TrustConfig::load_dir`] refuses a
//! folder with a private key in it (the CA's key belongs in the issuer's folder,
//! [`crate::IssuingCa`]).

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ier_domain::EroId;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::{
    CertificateDer, CertificateRevocationListDer, SignatureVerificationAlgorithm, TrustAnchor, UnixTime,
};
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, RootCertStore, SignatureScheme};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::error::PkiError;
use crate::files::{self, CA_CERT_FILE, CRL_DIR, ISSUED_FILE, SERIALS_FILE, TRUSTED_DIR};
use crate::identity::{CertIdentity, IdentityError, IdentityMap, serial_of};
use crate::register::{CaFingerprint, Register};
use crate::revocation::RevocationList;
use crate::serial::Serial;

/// The trust the EMS listener places in client certificates.
///
/// Build it in code, or with [`TrustConfig::load_dir`] from a PKI directory:
///
/// | file | what |
/// | --- | --- |
/// | `ca.pem` | our own CA's certificate (published there by its issuer, [`crate::IssuingCa`]), if used |
/// | `trusted/*.pem` | imported CA certificates (production) |
/// | `crls/*.pem`, `crls/*.crl` | CRLs (PEM or DER); our CA writes `crls/ier-ca.crl.pem` |
/// | `revoked.txt` | the revocation register ([`crate::revocation`]) |
/// | `issued.txt` | every certificate our CA issued, by issuer and serial ([`crate::register`]) |
/// | `serials.txt` | imported CAs' certificates mapped to EROs, by issuer and serial |
///
/// No private key may be in the folder, `trusted/` or `crls/` (the listener's own key lives in
/// `server/`, which is not read here).
#[derive(Debug, Clone, Default)]
pub struct TrustConfig {
    roots: Vec<CertificateDer<'static>>,
    /// The roots as trust anchors, and each one's fingerprint (same order as `roots`).
    anchors: Vec<TrustAnchor<'static>>,
    anchor_ids: Vec<CaFingerprint>,
    crls: Vec<CertificateRevocationListDer<'static>>,
    revoked: BTreeSet<Serial>,
    identities: IdentityMap,
    require_revocation_status: bool,
}

impl TrustConfig {
    /// Trusts nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Trusts every CA certificate in `pem` (each must be a CA certificate). `what` names the
    /// input in errors (a file name). A PEM that also holds a private key is refused: trust
    /// needs only the certificate.
    pub fn add_ca_pem(&mut self, pem: &str, what: &str) -> Result<&mut Self, PkiError> {
        if holds_private_key(pem.as_bytes()) {
            return Err(PkiError::KeyWithCertificate { what: what.to_owned() });
        }
        for der in crate::pem::certificates(pem, what)? {
            let (_, cert) =
                X509Certificate::from_der(&der).map_err(|_| PkiError::BadCertificate { what: what.to_owned() })?;
            if !cert.is_ca() {
                return Err(PkiError::NotACa { what: what.to_owned() });
            }
            let anchor = webpki::anchor_from_trusted_cert(&der)
                .map_err(|_| PkiError::BadCertificate { what: what.to_owned() })?
                .to_owned();
            self.anchor_ids.push(CaFingerprint::of_der(der.as_ref()));
            self.anchors.push(anchor);
            self.roots.push(der);
        }
        Ok(self)
    }

    /// The fingerprints of the trusted CA certificates, in the order they were added.
    pub fn ca_fingerprints(&self) -> &[CaFingerprint] {
        &self.anchor_ids
    }

    /// Honours the CRLs in `pem` (PEM `X509 CRL` blocks).
    pub fn add_crl_pem(&mut self, pem: &str, what: &str) -> Result<&mut Self, PkiError> {
        self.crls.extend(crate::pem::crls(pem.as_bytes(), what)?);
        Ok(self)
    }

    /// Honours a CRL in DER.
    pub fn add_crl_der(&mut self, der: Vec<u8>) -> &mut Self {
        self.crls.push(CertificateRevocationListDer::from(der));
        self
    }

    /// Refuses certificates with this serial, whichever CA issued them.
    pub fn revoke_serial(&mut self, serial: Serial) -> &mut Self {
        self.revoked.insert(serial);
        self
    }

    /// Refuses every serial in the register.
    pub fn add_revocations(&mut self, list: &RevocationList) -> &mut Self {
        self.revoked.extend(list.iter().map(|(s, _)| s.clone()));
        self
    }

    /// Registers the certificate of CA `issuer` with `serial` as speaking for `ero`: what a
    /// line of `issued.txt` or `serials.txt` says.
    pub fn register(&mut self, issuer: CaFingerprint, serial: Serial, ero: EroId) -> &mut Self {
        self.identities.register(issuer, serial, Some(ero));
        self
    }

    /// Registers a certificate our CA has just issued (as [`crate::IssuingCa`] records it in
    /// `issued.txt`).
    pub fn register_issued(&mut self, cert: &crate::IssuedCertificate) -> &mut Self {
        self.register(cert.issuer, cert.serial.clone(), cert.ero.clone())
    }

    /// With `true`, a certificate whose CA has no CRL here is refused ("revocation status
    /// unknown") instead of accepted. Off by default: our CA always has a CRL, and an external
    /// CA's certificates can still be revoked through `revoked.txt`.
    pub fn require_revocation_status(&mut self, required: bool) -> &mut Self {
        self.require_revocation_status = required;
        self
    }

    /// Loads a PKI directory (layout in the type's docs). At least one CA must be trusted, and
    /// no private key may be there ([`PkiError::PrivateKeyInTrustDir`] names the file).
    pub fn load_dir(dir: &Path) -> Result<Self, PkiError> {
        refuse_private_keys(dir)?;
        let mut trust = Self::new();
        let ca = dir.join(CA_CERT_FILE);
        if let Some(pem) = files::read_optional(&ca)? {
            trust.add_ca_pem(&pem, &ca.display().to_string())?;
        }
        for path in dir_files(&dir.join(TRUSTED_DIR), &["pem", "crt"])? {
            trust.add_ca_pem(&files::read_to_string(&path)?, &path.display().to_string())?;
        }
        for path in dir_files(&dir.join(CRL_DIR), &["pem", "crl"])? {
            let bytes = fs::read(&path).map_err(|e| PkiError::io("read", &path, e))?;
            if bytes.starts_with(b"-----BEGIN") {
                trust.crls.extend(crate::pem::crls(&bytes, &path.display().to_string())?);
            } else {
                trust.add_crl_der(bytes);
            }
        }
        trust.add_revocations(&RevocationList::load(dir)?);
        for file in [ISSUED_FILE, SERIALS_FILE] {
            let register = Register::load(dir, file)?;
            trust
                .identities
                .add_register(&register)
                .map_err(|reason| PkiError::Conflict { file: dir.join(file), reason })?;
        }
        if trust.roots.is_empty() {
            return Err(PkiError::NoTrustedCa);
        }
        Ok(trust)
    }

    /// The ERO identity of a client certificate (`end_entity`, with the `intermediates` its
    /// client sent) at `now`: the rule of [`crate::identity`], with the issuer taken from a
    /// path that verifies to a trusted CA. The issuer is the CA certificate that signed
    /// `end_entity` on that path (a trusted CA, or an intermediate the client sent); when more
    /// than one path verifies, any whose issuer has `end_entity`'s serial registered will do.
    pub fn identify(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<CertIdentity, IdentityError> {
        // A malformed or ambiguous ERO URI is refused whoever signed it.
        crate::identity::named_ero(end_entity)?;
        let cert = webpki::EndEntityCert::try_from(end_entity).map_err(|_| IdentityError::Unparsable)?;
        let outcome: RefCell<Option<Result<CertIdentity, IdentityError>>> = RefCell::new(None);
        let check = |path: &webpki::VerifiedPath<'_>| -> Result<(), webpki::Error> {
            let issuer = match path.intermediate_certificates().next() {
                Some(intermediate) => CaFingerprint::of_der(intermediate.der().as_ref()),
                None => {
                    let anchor = path.anchor();
                    let index = self.anchors.iter().position(|a| std::ptr::eq(a, anchor));
                    match index.or_else(|| self.anchors.iter().position(|a| a == anchor)) {
                        Some(i) => self.anchor_ids[i],
                        None => return Err(webpki::Error::UnknownIssuer),
                    }
                }
            };
            let result = self.identities.identify(end_entity, &issuer);
            let accepted = result.is_ok();
            let mut kept = outcome.borrow_mut();
            // Keep the most telling answer: a registration that disagrees says more than none.
            let replace = accepted || matches!(&*kept, None | Some(Err(IdentityError::NotRegistered)));
            if replace {
                *kept = Some(result);
            }
            if accepted { Ok(()) } else { Err(webpki::Error::UnknownIssuer) }
        };
        let verified = cert.verify_for_usage(
            signature_algorithms(),
            &self.anchors,
            intermediates,
            now,
            webpki::KeyUsage::client_auth(),
            None,
            Some(&check),
        );
        match (verified, outcome.into_inner()) {
            (Ok(_), Some(Ok(identity))) => Ok(identity),
            (_, Some(Err(e))) => Err(e),
            _ => Err(IdentityError::Untrusted),
        }
    }

    /// Whether a serial is in the revocation register.
    pub fn is_revoked(&self, serial: &Serial) -> bool {
        self.revoked.contains(serial)
    }

    /// The rustls client verifier for this trust: WebPKI path building to our roots with the
    /// CRLs (end-entity revocation), then the revocation register and the ERO identity rule.
    pub fn client_verifier(&self) -> Result<Arc<dyn ClientCertVerifier>, PkiError> {
        if self.roots.is_empty() {
            return Err(PkiError::NoTrustedCa);
        }
        let mut roots = RootCertStore::empty();
        for der in &self.roots {
            roots.add(der.clone())?;
        }
        let mut builder = WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            Arc::new(rustls::crypto::ring::default_provider()),
        )
        .with_crls(self.crls.iter().cloned())
        .only_check_end_entity_revocation();
        if !self.require_revocation_status {
            builder = builder.allow_unknown_revocation_status();
        }
        let inner = builder.build()?;
        Ok(Arc::new(EroClientVerifier { inner, trust: self.clone() }))
    }
}

/// The signature algorithms paths are verified with: rustls's own (ring) set.
fn signature_algorithms() -> &'static [&'static dyn SignatureVerificationAlgorithm] {
    rustls::crypto::ring::default_provider().signature_verification_algorithms.all
}

/// Whether PEM text holds a private key block (`PRIVATE KEY`, `EC PRIVATE KEY`, ...).
fn holds_private_key(text: &[u8]) -> bool {
    text.windows(b"PRIVATE KEY-----".len()).any(|w| w == b"PRIVATE KEY-----")
}

/// Refuses a private key in the listener's trust folders (the PKI folder itself, `trusted/`,
/// `crls/`): a `*.key` file, or a certificate file that holds a key block. The listener's own
/// key is in `server/`, which is not a trust folder.
fn refuse_private_keys(dir: &Path) -> Result<(), PkiError> {
    for folder in [dir.to_owned(), dir.join(TRUSTED_DIR), dir.join(CRL_DIR)] {
        if let Some(path) = dir_files(&folder, &["key"])?.into_iter().next() {
            return Err(PkiError::PrivateKeyInTrustDir { path, dir: dir.to_owned() });
        }
        for path in dir_files(&folder, &["pem", "crt"])? {
            let bytes = fs::read(&path).map_err(|e| PkiError::io("read", &path, e))?;
            if holds_private_key(&bytes) {
                return Err(PkiError::PrivateKeyInTrustDir { path, dir: dir.to_owned() });
            }
        }
    }
    Ok(())
}

/// Regular files in `dir` with one of the extensions, sorted; a missing directory is empty.
fn dir_files(dir: &Path, extensions: &[&str]) -> Result<Vec<PathBuf>, PkiError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(PkiError::io("list", dir, e)),
    };
    let mut paths = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| PkiError::io("list", dir, e))?.path();
        let ext_ok = path.extension().and_then(|e| e.to_str()).is_some_and(|e| extensions.contains(&e));
        if ext_ok && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    Ok(paths)
}

/// WebPKI verification, then the revocation register, then the ERO identity rule.
#[derive(Debug)]
struct EroClientVerifier {
    inner: Arc<dyn ClientCertVerifier>,
    trust: TrustConfig,
}

impl ClientCertVerifier for EroClientVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.inner.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.inner.verify_client_cert(end_entity, intermediates, now)?;
        if serial_of(end_entity).is_some_and(|s| self.trust.revoked.contains(&s)) {
            return Err(rustls::Error::InvalidCertificate(CertificateError::Revoked));
        }
        match self.trust.identify(end_entity, intermediates, now) {
            Ok(_) => Ok(ClientCertVerified::assertion()),
            // Sent to the client as the access_denied alert; the listener logs which rule failed.
            Err(e) => {
                let serial = serial_of(end_entity).map(|s| s.to_string()).unwrap_or_default();
                tracing::info!(%serial, reason = %e, "client certificate refused: no ERO identity");
                Err(rustls::Error::InvalidCertificate(CertificateError::ApplicationVerificationFailure))
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}
