//! Who a verified client certificate speaks for: the rule that maps a certificate to one ERO.
//!
//! The rule, in order:
//!
//! 1. The certificate's subject alternative names are read. Every URI SAN that starts with
//!    [`ERO_URI_PREFIX`] (`urn:ier:ero:`) names an ERO; the rest of the URI must be a valid
//!    [`EroId`] (lower-case letters, digits and single hyphens). Two different ERO URIs in one
//!    certificate are refused as ambiguous.
//! 2. A serial registered with [`IdentityMap::register`] (for an external CA that cannot put our
//!    URI in its certificates) names an ERO too. If both a URI and a registration exist they must
//!    agree.
//! 3. Otherwise the certificate carries no ERO identity and is refused.
//!
//! The subject common name is informational only: it is never used to decide who is calling.

use std::collections::BTreeMap;

use ier_domain::EroId;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

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
    #[error("the certificate has no ERO identity (expected a URI SAN urn:ier:ero:<id> or a registered serial)")]
    Missing,
    #[error("the certificate's urn:ier:ero: URI does not hold a valid ERO id")]
    Malformed,
    #[error("the certificate names more than one ERO")]
    Ambiguous,
    #[error("the certificate's ERO URI and its registered serial name different EROs")]
    Conflicting,
}

/// The identity a verified client certificate carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertIdentity {
    pub ero: EroId,
    pub serial: Serial,
}

/// Serials registered to EROs, for certificates from external CAs that carry no ERO URI.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdentityMap {
    registered: BTreeMap<Serial, EroId>,
}

impl IdentityMap {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a certificate serial as speaking for an ERO.
    pub fn register(&mut self, serial: Serial, ero: EroId) {
        self.registered.insert(serial, ero);
    }

    pub fn is_empty(&self) -> bool {
        self.registered.is_empty()
    }

    /// Applies the rule (module docs) to a DER certificate.
    pub fn identify(&self, cert_der: &[u8]) -> Result<CertIdentity, IdentityError> {
        let (_, cert) = X509Certificate::from_der(cert_der).map_err(|_| IdentityError::Unparsable)?;
        let serial = Serial::from_bytes(cert.raw_serial());
        let from_uri = ero_from_sans(&cert)?;
        let registered = self.registered.get(&serial);
        let ero = match (from_uri, registered) {
            (Some(a), Some(b)) if &a != b => return Err(IdentityError::Conflicting),
            (Some(a), _) => a,
            (None, Some(b)) => b.clone(),
            (None, None) => return Err(IdentityError::Missing),
        };
        Ok(CertIdentity { ero, serial })
    }
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
