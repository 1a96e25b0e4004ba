//! What the listener trusts: CA certificates (our own and imported production CAs), CRLs, the
//! revocation register, and serials registered to EROs; and the rustls client verifier built
//! from them, which refuses at the handshake any certificate that does not chain to a trusted
//! CA, is outside its validity, is revoked, is not for client authentication, or names no ERO.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ier_domain::EroId;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, RootCertStore, SignatureScheme};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::error::PkiError;
use crate::files::{self, CA_CERT_FILE, CRL_DIR, SERIALS_FILE, TRUSTED_DIR};
use crate::identity::{CertIdentity, IdentityError, IdentityMap, serial_of};
use crate::revocation::RevocationList;
use crate::serial::Serial;

/// The trust the EMS listener places in client certificates.
///
/// Build it in code, or with [`TrustConfig::load_dir`] from a PKI directory:
///
/// | file | what |
/// | --- | --- |
/// | `ca.pem` | our own CA (created by `ier ero ca create`), if used |
/// | `trusted/*.pem` | imported CA certificates (production) |
/// | `crls/*.pem`, `crls/*.crl` | CRLs (PEM or DER); our CA writes `crls/ier-ca.crl.pem` |
/// | `revoked.txt` | the revocation register ([`crate::revocation`]) |
/// | `serials.txt` | `serial ero-id` a line: EROs for external certificates without an ERO URI |
#[derive(Debug, Clone, Default)]
pub struct TrustConfig {
    roots: Vec<CertificateDer<'static>>,
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
    /// input in errors (a file name).
    pub fn add_ca_pem(&mut self, pem: &str, what: &str) -> Result<&mut Self, PkiError> {
        for der in crate::pem::certificates(pem, what)? {
            let (_, cert) =
                X509Certificate::from_der(&der).map_err(|_| PkiError::BadCertificate { what: what.to_owned() })?;
            if !cert.is_ca() {
                return Err(PkiError::NotACa { what: what.to_owned() });
            }
            let mut probe = RootCertStore::empty();
            probe.add(der.clone()).map_err(|_| PkiError::BadCertificate { what: what.to_owned() })?;
            self.roots.push(der);
        }
        Ok(self)
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

    /// Maps a certificate serial to an ERO, for external certificates without an ERO URI.
    pub fn register_serial(&mut self, serial: Serial, ero: EroId) -> &mut Self {
        self.identities.register(serial, ero);
        self
    }

    /// With `true`, a certificate whose CA has no CRL here is refused ("revocation status
    /// unknown") instead of accepted. Off by default: our CA always has a CRL, and an external
    /// CA's certificates can still be revoked through `revoked.txt`.
    pub fn require_revocation_status(&mut self, required: bool) -> &mut Self {
        self.require_revocation_status = required;
        self
    }

    /// Loads a PKI directory (layout in the type's docs). At least one CA must be trusted.
    pub fn load_dir(dir: &Path) -> Result<Self, PkiError> {
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
        let serials = dir.join(SERIALS_FILE);
        if let Some(text) = files::read_optional(&serials)? {
            for (i, line) in text.lines().enumerate() {
                let bad = |reason: String| PkiError::BadLine { file: serials.clone(), line: i + 1, reason };
                let line = line.split('#').next().unwrap_or("").trim();
                if line.is_empty() {
                    continue;
                }
                let mut words = line.split_whitespace();
                let serial = Serial::parse(words.next().unwrap_or("")).map_err(|e| bad(e.to_string()))?;
                let ero = words.next().ok_or_else(|| bad("the ERO id is missing".into()))?;
                let ero = EroId::parse(ero).map_err(|e| bad(format!("the ERO id {e}")))?;
                trust.register_serial(serial, ero);
            }
        }
        if trust.roots.is_empty() {
            return Err(PkiError::NoTrustedCa);
        }
        Ok(trust)
    }

    /// The ERO identity of an (already verified) client certificate.
    pub fn identify(&self, cert_der: &[u8]) -> Result<CertIdentity, IdentityError> {
        self.identities.identify(cert_der)
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
        Ok(Arc::new(EroClientVerifier { inner, revoked: self.revoked.clone(), identities: self.identities.clone() }))
    }
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
    revoked: BTreeSet<Serial>,
    identities: IdentityMap,
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
        if serial_of(end_entity).is_some_and(|s| self.revoked.contains(&s)) {
            return Err(rustls::Error::InvalidCertificate(CertificateError::Revoked));
        }
        match self.identities.identify(end_entity) {
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
