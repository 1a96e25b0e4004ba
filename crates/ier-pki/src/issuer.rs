//! The issuing side of the service's CA, kept apart from the listener.
//!
//! The listener needs certificates, never the CA's key: whoever can read its PKI directory
//! could otherwise issue a certificate for any ERO. So the CA (`ca.pem` and `ca.key`, mode
//! 0600) lives in an issuer folder of its own (by default the PKI directory's name with
//! `-issuer`: [`default_issuer_dir`]), on its own volume or machine, and [`IssuingCa`]:
//!
//! - publishes to the PKI directory what the listener reads: the CA certificate (`ca.pem`) and
//!   its CRL (`crls/ier-ca.crl.pem`);
//! - records every certificate it issues in the PKI directory's `issued.txt` (issuer, serial,
//!   ERO, expiry: [`crate::register`]), so the listener accepts a certificate of this CA only if
//!   it issued it;
//! - revokes (the revocation register, and a CRL signed again).
//!
//! A PKI directory from before the split, with `ca.key` in it, is refused by the listener
//! ([`crate::PkiError::PrivateKeyInTrustDir`]) and by [`IssuingCa::open`]; [`split`] moves the
//! CA into its issuer folder and registers the certificates it finds that the CA issued.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use ier_domain::EroId;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::ca::{CertificateAuthority, DEFAULT_CA_NAME, IssuedCertificate, ServerCertificate, Validity};
use crate::error::PkiError;
use crate::files::{self, CA_CERT_FILE, CA_KEY_FILE, CLIENTS_DIR, CRL_DIR, ISSUED_FILE, OWN_CRL_FILE, SERVER_DIR};
use crate::register::{self, ISSUED_HEADER, Registration};
use crate::revocation::{Reason, RevocationList};
use crate::serial::Serial;

/// The issuer folder used when none is given: a sibling of the PKI directory named after it
/// with `-issuer` (`/pki` → `/pki-issuer`, `ier-data/pki` → `ier-data/pki-issuer`).
pub fn default_issuer_dir(pki: &Path) -> PathBuf {
    let named = |p: &Path| p.file_name().map(|n| p.with_file_name(format!("{}-issuer", n.to_string_lossy())));
    named(pki)
        .or_else(|| pki.canonicalize().ok().and_then(|p| named(&p)))
        .unwrap_or_else(|| pki.join("..").join("pki-issuer"))
}

/// The service's CA in its issuer folder, issuing for the listener's PKI directory.
#[derive(Debug)]
pub struct IssuingCa {
    ca: CertificateAuthority,
    dir: PathBuf,
    pki: PathBuf,
}

impl IssuingCa {
    /// Opens the CA in the issuer folder `dir`, creating one there if there is none, and
    /// publishes its certificate and CRL to the PKI directory `pki`.
    pub fn open_or_create(dir: &Path, pki: &Path, now: DateTime<Utc>) -> Result<Self, PkiError> {
        check_apart(dir, pki)?;
        refuse_old_layout(pki)?;
        let ca = if dir.join(CA_CERT_FILE).exists() || dir.join(CA_KEY_FILE).exists() {
            CertificateAuthority::load(dir)?
        } else {
            CertificateAuthority::create(dir, DEFAULT_CA_NAME, now)?
        };
        let issuing = Self { ca, dir: dir.to_owned(), pki: pki.to_owned() };
        issuing.publish(now)?;
        Ok(issuing)
    }

    /// Opens the CA in the issuer folder `dir` ([`PkiError::NoCa`] if there is none) for the
    /// PKI directory `pki`, publishing its certificate and CRL there if they are missing.
    pub fn open(dir: &Path, pki: &Path, now: DateTime<Utc>) -> Result<Self, PkiError> {
        check_apart(dir, pki)?;
        refuse_old_layout(pki)?;
        let issuing = Self { ca: CertificateAuthority::load(dir)?, dir: dir.to_owned(), pki: pki.to_owned() };
        issuing.publish(now)?;
        Ok(issuing)
    }

    /// The CA itself (its certificate; signing outside the register, for tests and tooling).
    pub fn ca(&self) -> &CertificateAuthority {
        &self.ca
    }

    /// The issuer folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The listener's PKI directory it publishes to.
    pub fn pki(&self) -> &Path {
        &self.pki
    }

    /// Issues an ERO client certificate ([`CertificateAuthority::issue_ero`]) and records it in
    /// `issued.txt` before handing it out.
    pub fn issue_ero(&self, ero: &EroId, validity: Validity) -> Result<IssuedCertificate, PkiError> {
        let cert = self.ca.issue_ero(ero, validity)?;
        self.record(Some(ero.clone()), cert.serial.clone(), cert.not_after)?;
        Ok(cert)
    }

    /// Issues the listener's server certificate ([`CertificateAuthority::issue_server`]) and
    /// records it in `issued.txt` as speaking for no ERO.
    pub fn issue_server(&self, names: &[String], validity: Validity) -> Result<ServerCertificate, PkiError> {
        let cert = self.ca.issue_server(names, validity)?;
        self.record(None, cert.serial.clone(), cert.not_after)?;
        Ok(cert)
    }

    /// Records in `issued.txt` a certificate this CA issued before the register existed (or in
    /// another PKI directory), read from `cert_pem`; refused unless this CA signed it. It
    /// speaks for the ERO its URI names, or for none. Returns the registration and whether it
    /// was new.
    pub fn register_existing(&self, cert_pem: &str, what: &str) -> Result<(Registration, bool), PkiError> {
        let registration = self.registration_of(cert_pem, what)?;
        let added = register::record(&self.pki, ISSUED_FILE, ISSUED_HEADER, registration.clone())?;
        Ok((registration, added))
    }

    /// Revokes `serial`: records it in the PKI directory's `revoked.txt` and publishes this
    /// CA's CRL again. False if it was already revoked.
    pub fn revoke(&self, serial: Serial, reason: Reason, now: DateTime<Utc>) -> Result<bool, PkiError> {
        let added = crate::revocation::revoke(&self.pki, serial, reason, now)?;
        self.ca.publish_crl(&self.pki, &RevocationList::load(&self.pki)?, now)?;
        Ok(added)
    }

    fn record(&self, ero: Option<EroId>, serial: Serial, not_after: DateTime<Utc>) -> Result<(), PkiError> {
        let registration = Registration { issuer: self.ca.fingerprint(), serial, ero, not_after: Some(not_after) };
        register::record(&self.pki, ISSUED_FILE, ISSUED_HEADER, registration)?;
        Ok(())
    }

    /// Puts `ca.pem` and the CRL in the PKI directory if they are missing. A `ca.pem` there
    /// that is another CA's is refused, never replaced.
    fn publish(&self, now: DateTime<Utc>) -> Result<(), PkiError> {
        files::create_dir(&self.pki)?;
        let published = self.pki.join(CA_CERT_FILE);
        match files::read_optional(&published)? {
            None => files::write_atomic(&published, self.ca.cert_pem())?,
            Some(pem) => {
                if crate::register::CaFingerprint::of_pem(&pem, &published.display().to_string())?
                    != self.ca.fingerprint()
                {
                    return Err(PkiError::OtherCa { pki: published, issuer: self.dir.join(CA_CERT_FILE) });
                }
            }
        }
        if !self.pki.join(CRL_DIR).join(OWN_CRL_FILE).exists() {
            self.ca.publish_crl(&self.pki, &RevocationList::load(&self.pki)?, now)?;
        }
        Ok(())
    }

    /// What `issued.txt` would say for a certificate, if this CA signed it.
    fn registration_of(&self, cert_pem: &str, what: &str) -> Result<Registration, PkiError> {
        let not_ours = || PkiError::NotOurs { what: what.to_owned() };
        let der = crate::pem::certificates(cert_pem, what)?
            .into_iter()
            .next()
            .ok_or_else(|| PkiError::NoPem { what: what.to_owned(), expected: "CERTIFICATE" })?;
        let ca_der = crate::pem::certificates(self.ca.cert_pem(), "the CA certificate")?
            .into_iter()
            .next()
            .ok_or_else(|| PkiError::NoPem { what: "the CA certificate".into(), expected: "CERTIFICATE" })?;
        let (_, ca) = X509Certificate::from_der(&ca_der)
            .map_err(|_| PkiError::BadCertificate { what: "the CA certificate".into() })?;
        let (_, cert) =
            X509Certificate::from_der(&der).map_err(|_| PkiError::BadCertificate { what: what.to_owned() })?;
        if cert.issuer() != ca.subject() || cert.verify_signature(Some(ca.public_key())).is_err() {
            return Err(not_ours());
        }
        let (serial, ero) =
            crate::identity::named_ero(&der).map_err(|_| PkiError::BadCertificate { what: what.to_owned() })?;
        let not_after = Utc.timestamp_opt(cert.validity().not_after.timestamp(), 0).single();
        Ok(Registration { issuer: self.ca.fingerprint(), serial, ero, not_after })
    }
}

/// Refuses an issuer folder that is the PKI directory or inside it: the listener's volume
/// would hold the key.
fn check_apart(dir: &Path, pki: &Path) -> Result<(), PkiError> {
    let resolve = |p: &Path| {
        p.canonicalize().unwrap_or_else(|_| {
            let parent = p.parent().filter(|q| !q.as_os_str().is_empty()).unwrap_or(Path::new("."));
            match (parent.canonicalize(), p.file_name()) {
                (Ok(parent), Some(name)) => parent.join(name),
                _ => p.to_owned(),
            }
        })
    };
    if resolve(dir).starts_with(resolve(pki)) {
        return Err(PkiError::SameFolder(dir.to_owned()));
    }
    Ok(())
}

/// Refuses a PKI directory that still holds the CA's key (made before the split).
fn refuse_old_layout(pki: &Path) -> Result<(), PkiError> {
    let key = pki.join(CA_KEY_FILE);
    if key.exists() {
        return Err(PkiError::PrivateKeyInTrustDir { path: key, dir: pki.to_owned() });
    }
    Ok(())
}

/// What [`split`] did.
#[derive(Debug, Default)]
pub struct Split {
    /// Certificate files the CA issued, now in `issued.txt`, with what was recorded.
    pub registered: Vec<(PathBuf, Registration)>,
    /// Certificate files looked at that the CA did not issue (left out of the register).
    pub not_ours: Vec<PathBuf>,
    /// Private keys of client certificates still in the PKI directory (`clients/`): the
    /// listener does not need them; hand them over and delete them.
    pub client_keys: Vec<PathBuf>,
}

/// Moves the CA out of a PKI directory made before the split: `ca.pem` and `ca.key` are
/// written to the issuer folder `dir` (created 0700; refused if it already holds a CA key),
/// the certificates in the PKI directory's `server/` and `clients/` and in each of
/// `cert_dirs` that the CA issued are recorded in `issued.txt` (those it did not are listed and
/// left out), the CRL is published, and only then is `ca.key` removed from the PKI directory.
/// `ca.pem` stays there: the listener trusts it.
pub fn split(pki: &Path, dir: &Path, cert_dirs: &[PathBuf], now: DateTime<Utc>) -> Result<Split, PkiError> {
    check_apart(dir, pki)?;
    let old_key = pki.join(CA_KEY_FILE);
    if !old_key.exists() {
        return Err(PkiError::NothingToSplit(pki.to_owned()));
    }
    if dir.join(CA_KEY_FILE).exists() {
        return Err(PkiError::CaExists(dir.to_owned()));
    }
    let ca = CertificateAuthority::load(pki)?;
    files::create_private_dir(dir)?;
    ca.save(dir)?;
    // From the new folder, so what is used from here on is what was written.
    let issuing = IssuingCa { ca: CertificateAuthority::load(dir)?, dir: dir.to_owned(), pki: pki.to_owned() };
    issuing.publish(now)?;
    let mut report = Split::default();
    let mut folders = vec![pki.join(SERVER_DIR), pki.join(CLIENTS_DIR)];
    folders.extend(cert_dirs.iter().cloned());
    for folder in &folders {
        let Ok(entries) = fs::read_dir(folder) else { continue };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            match path.extension().and_then(|e| e.to_str()) {
                Some("pem" | "crt") => {
                    let pem = files::read_to_string(&path)?;
                    match issuing.registration_of(&pem, &path.display().to_string()) {
                        Ok(registration) => {
                            register::record(pki, ISSUED_FILE, ISSUED_HEADER, registration.clone())?;
                            report.registered.push((path, registration));
                        }
                        Err(_) => report.not_ours.push(path),
                    }
                }
                Some("key") if folder == &pki.join(CLIENTS_DIR) => report.client_keys.push(path),
                _ => {}
            }
        }
    }
    fs::remove_file(&old_key).map_err(|e| PkiError::io("remove", &old_key, e))?;
    Ok(report)
}
