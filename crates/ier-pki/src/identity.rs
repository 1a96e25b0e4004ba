//! Who a verified client certificate speaks for: the rule that maps a certificate to one ERO.
//!
//! The rule, in order:
//!
//! 1. The certificate's subject alternative names are read. Every URI SAN that starts with
//!    [`ERO_URI_PREFIX`] (`urn:ier:ero:`) names an ERO; the rest of the URI must be a valid
//!    [`EroId`] (lower-case letters, digits and single hyphens). Two different ERO URIs in one
//!    certificate are refused as ambiguous.
//! 2. The certificate's issuer (the CA certificate that signed it, on a verified path to a
//!    trusted CA: see [`crate::TrustConfig::identify`]) and its serial must be registered
//!    together ([`crate::register`]: `issued.txt` for the service's own CA, `serials.txt` for
//!    imported CAs). The registration names the ERO. A certificate that is not registered
//!    speaks for nobody, whatever its URI says: a trusted CA cannot speak for an ERO by
//!    writing its URI, nor by reusing a serial registered under another CA.
//! 3. If the certificate also carries an ERO URI, it must name the registered ERO. A
//!    registration for no ERO (the listener's own server certificate) identifies nobody.
//!
//! The subject common name is informational only: it is never used to decide who is calling.

use std::collections::BTreeMap;

use ier_domain::EroId;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::register::{CaFingerprint, Register};
use crate::serial::Serial;

/// The prefix of the URI subject alternative name that carries an ERO id: `urn:ier:ero:cardiff`.
pub const ERO_URI_PREFIX: &str = "urn:ier:ero:";

/// The URI SAN for an ERO: `urn:ier:ero:<id>`.
pub fn ero_uri(ero: &EroId) -> String {
    format!("{ERO_URI_PREFIX}{ero}")
}

/// Why a certificate that chains to a trusted CA still names no ERO.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error("the certificate cannot be parsed")]
    Unparsable,
    #[error("the certificate does not chain to a trusted CA")]
    Untrusted,
    #[error(
        "the certificate's issuer and serial are not registered together (issued.txt for the service's CA, \
         serials.txt for an imported CA)"
    )]
    NotRegistered,
    #[error("the certificate is registered as speaking for no ERO")]
    NoEro,
    #[error("the certificate's urn:ier:ero: URI does not hold a valid ERO id")]
    Malformed,
    #[error("the certificate names more than one ERO")]
    Ambiguous,
    #[error("the certificate's ERO URI and its registration name different EROs")]
    Conflicting,
}

/// The identity a verified client certificate carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertIdentity {
    pub ero: EroId,
    pub serial: Serial,
    /// The CA certificate that signed it.
    pub issuer: CaFingerprint,
}

/// Certificates registered to EROs by issuer and serial (what `issued.txt` and `serials.txt`
/// say, together).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdentityMap {
    registered: BTreeMap<(CaFingerprint, Serial), Option<EroId>>,
}

impl IdentityMap {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers the certificate of `issuer` with `serial` as speaking for `ero` (or, with
    /// `None`, for no ERO).
    pub fn register(&mut self, issuer: CaFingerprint, serial: Serial, ero: Option<EroId>) {
        self.registered.insert((issuer, serial), ero);
    }

    /// Registers every certificate in a register. An issuer and serial already registered to
    /// another ERO is refused (the reason names both).
    pub fn add_register(&mut self, register: &Register) -> Result<(), String> {
        for r in register.iter() {
            let key = (r.issuer, r.serial.clone());
            match self.registered.get(&key) {
                Some(ero) if ero != &r.ero => {
                    return Err(format!(
                        "serial {} of CA {} is registered for {} elsewhere",
                        r.serial,
                        r.issuer,
                        ero.as_ref().map(EroId::as_str).unwrap_or("no ERO")
                    ));
                }
                _ => {
                    self.registered.insert(key, r.ero.clone());
                }
            }
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.registered.is_empty()
    }

    /// Applies the rule (module docs) to a DER certificate signed by `issuer`.
    pub fn identify(&self, cert_der: &[u8], issuer: &CaFingerprint) -> Result<CertIdentity, IdentityError> {
        let (serial, from_uri) = named_ero(cert_der)?;
        let ero = match (self.registered.get(&(*issuer, serial.clone())), from_uri) {
            (None, _) => return Err(IdentityError::NotRegistered),
            (Some(None), _) => return Err(IdentityError::NoEro),
            (Some(Some(registered)), Some(uri)) if registered != &uri => return Err(IdentityError::Conflicting),
            (Some(Some(registered)), _) => registered.clone(),
        };
        Ok(CertIdentity { ero, serial, issuer: *issuer })
    }
}

/// A DER certificate's serial and the ERO its URI SAN names, if any (rule 1 of the module
/// docs; nothing here says the certificate may speak for that ERO).
pub fn named_ero(cert_der: &[u8]) -> Result<(Serial, Option<EroId>), IdentityError> {
    let (_, cert) = X509Certificate::from_der(cert_der).map_err(|_| IdentityError::Unparsable)?;
    Ok((Serial::from_bytes(cert.raw_serial()), ero_from_sans(&cert)?))
}

fn ero_from_sans(cert: &X509Certificate<'_>) -> Result<Option<EroId>, IdentityError> {
    let Some(san) = cert.subject_alternative_name().map_err(|_| IdentityError::Unparsable)? else {
        return Ok(None);
    };
    let mut found: Option<EroId> = None;
    for name in &san.value.general_names {
        let GeneralName::URI(uri) = name else { continue };
        let Some(rest) = uri.strip_prefix(ERO_URI_PREFIX) else { continue };
        let ero = EroId::parse(rest).map_err(|_| IdentityError::Malformed)?;
        match &found {
            Some(prev) if prev != &ero => return Err(IdentityError::Ambiguous),
            _ => found = Some(ero),
        }
    }
    Ok(found)
}

/// The serial of a DER certificate, if it parses.
pub fn serial_of(cert_der: &[u8]) -> Option<Serial> {
    X509Certificate::from_der(cert_der).ok().map(|(_, c)| Serial::from_bytes(c.raw_serial()))
}
