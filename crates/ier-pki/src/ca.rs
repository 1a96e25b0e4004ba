//! The service's own certificate authority (development, demo, and production when no external
//! CA is used): create, save and load it, and issue ERO client certificates and the API
//! listener's server certificate with rcgen (ECDSA P-256). It signs in memory and records
//! nothing: [`crate::IssuingCa`] keeps it in the issuer's folder and registers what it issues.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

use chrono::{DateTime, Duration, TimeZone, Utc};
use ier_domain::EroId;
use rand::RngCore;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType, SerialNumber,
};
use secrecy::{ExposeSecret, SecretString};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::error::PkiError;
use crate::files::{self, CA_CERT_FILE, CA_KEY_FILE};
use crate::identity::ero_uri;
use crate::register::CaFingerprint;
use crate::serial::Serial;

/// The organisation in the subject of every ERO client certificate.
pub const ERO_ORGANISATION: &str = "IER EMS";
/// The default common name of a newly created CA.
pub const DEFAULT_CA_NAME: &str = "IER development EMS CA";

/// When a certificate is valid: `[not_before, not_after]`, whole seconds, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
}

impl Validity {
    /// An explicit period; `not_after` must be later than `not_before`.
    pub fn new(not_before: DateTime<Utc>, not_after: DateTime<Utc>) -> Result<Self, PkiError> {
        if not_after <= not_before {
            return Err(PkiError::BadValidity);
        }
        Ok(Self { not_before, not_after })
    }

    /// From five minutes before `now` (tolerating clients' clock skew) for `days` days.
    pub fn days_from(now: DateTime<Utc>, days: u32) -> Self {
        Self { not_before: now - Duration::minutes(5), not_after: now + Duration::days(i64::from(days)) }
    }
}

/// An ERO client certificate just issued, with its private key.
///
/// The key is shown to nobody by `Debug`; write it out with [`IssuedCertificate::write_files`]
/// (mode 0600) or hand it to the ERO over a secure channel. The service need keep only
/// `ero`, `issuer`, `serial` and the dates.
#[derive(Debug, Clone)]
pub struct IssuedCertificate {
    pub ero: EroId,
    /// The CA that signed it: with `serial`, what the listener's register knows it by.
    pub issuer: CaFingerprint,
    pub serial: Serial,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    pub cert_pem: String,
    pub key_pem: SecretString,
}

impl IssuedCertificate {
    /// Writes `<stem>.pem` and `<stem>.key` (0600, never overwritten) into `dir`.
    pub fn write_files(&self, dir: &Path, stem: &str) -> Result<(), PkiError> {
        write_pair(dir, stem, &self.cert_pem, &self.key_pem)
    }
}

/// A server certificate for the EMS API listener, with its private key.
#[derive(Debug, Clone)]
pub struct ServerCertificate {
    pub issuer: CaFingerprint,
    pub serial: Serial,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    pub cert_pem: String,
    pub key_pem: SecretString,
}

impl ServerCertificate {
    /// Writes `<stem>.pem` and `<stem>.key` (0600, never overwritten) into `dir`.
    pub fn write_files(&self, dir: &Path, stem: &str) -> Result<(), PkiError> {
        write_pair(dir, stem, &self.cert_pem, &self.key_pem)
    }
}

fn write_pair(dir: &Path, stem: &str, cert_pem: &str, key_pem: &SecretString) -> Result<(), PkiError> {
    files::create_dir(dir)?;
    files::write_private_new(&dir.join(format!("{stem}.key")), key_pem.expose_secret())?;
    files::write_atomic(&dir.join(format!("{stem}.pem")), cert_pem)
}

/// A certificate authority that signs ERO client certificates, server certificates and CRLs.
pub struct CertificateAuthority {
    cert_pem: String,
    key_pem: SecretString,
    fingerprint: CaFingerprint,
    issuer: Issuer<'static, KeyPair>,
}

impl fmt::Debug for CertificateAuthority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateAuthority").field("key", &"<redacted>").finish_non_exhaustive()
    }
}

impl CertificateAuthority {
    /// A new CA in memory: ECDSA P-256, `CN=<common_name>, O=IER`, path length 0 (it signs
    /// only end-entity certificates), key usages certificate and CRL signing.
    pub fn generate(common_name: &str, validity: Validity) -> Result<Self, PkiError> {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, common_name);
        dn.push(DnType::OrganizationName, "IER");
        params.distinguished_name = dn;
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages =
            vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        params.serial_number = Some(SerialNumber::from_slice(&random_serial_bytes()));
        set_validity(&mut params, validity);
        let cert = params.self_signed(&key)?;
        let key_pem = SecretString::from(key.serialize_pem());
        let fingerprint = CaFingerprint::of_der(cert.der());
        Ok(Self { cert_pem: cert.pem(), key_pem, fingerprint, issuer: Issuer::new(params, key) })
    }

    /// Creates a CA (`generate`, ten years from `now`) and saves it in `dir`, a folder of its
    /// own (created with mode 0700).
    pub fn create(dir: &Path, common_name: &str, now: DateTime<Utc>) -> Result<Self, PkiError> {
        let ca = Self::generate(common_name, Validity::days_from(now, 3653))?;
        files::create_private_dir(dir)?;
        ca.save(dir)?;
        Ok(ca)
    }

    /// Saves `ca.pem` and `ca.key` (mode 0600) in `dir`, refusing if a CA key is already there.
    pub fn save(&self, dir: &Path) -> Result<(), PkiError> {
        files::create_dir(dir)?;
        let key_path = dir.join(CA_KEY_FILE);
        if key_path.exists() {
            return Err(PkiError::CaExists(dir.to_owned()));
        }
        files::write_private_new(&key_path, self.key_pem.expose_secret())?;
        files::write_atomic(&dir.join(CA_CERT_FILE), &self.cert_pem)
    }

    /// Loads the CA saved in `dir`. Refuses a key file others can read, or a key that does not
    /// belong to the certificate.
    pub fn load(dir: &Path) -> Result<Self, PkiError> {
        let cert_path = dir.join(CA_CERT_FILE);
        let key_path = dir.join(CA_KEY_FILE);
        if !cert_path.exists() || !key_path.exists() {
            return Err(PkiError::NoCa(dir.to_owned()));
        }
        files::check_private(&key_path)?;
        let cert_pem = files::read_to_string(&cert_path)?;
        let key_pem = SecretString::from(files::read_to_string(&key_path)?);
        Self::from_pem(&cert_pem, key_pem)
    }

    /// A CA from its certificate and key in PEM.
    pub fn from_pem(cert_pem: &str, key_pem: SecretString) -> Result<Self, PkiError> {
        let key = KeyPair::from_pem(key_pem.expose_secret())
            .map_err(|_| PkiError::BadPem { what: "the CA key".into(), reason: "not a PKCS#8 private key".into() })?;
        let der = crate::pem::certificates(cert_pem, "the CA certificate")?
            .into_iter()
            .next()
            .ok_or_else(|| PkiError::NoPem { what: "the CA certificate".into(), expected: "CERTIFICATE" })?;
        let (_, x509) = X509Certificate::from_der(&der)
            .map_err(|_| PkiError::BadCertificate { what: "the CA certificate".into() })?;
        if x509.public_key().subject_public_key.data.as_ref() != key.public_key_raw() {
            return Err(PkiError::KeyMismatch);
        }
        let fingerprint = CaFingerprint::of_der(der.as_ref());
        let issuer = Issuer::from_ca_cert_der(&der, key)?;
        Ok(Self { cert_pem: cert_pem.to_owned(), key_pem, fingerprint, issuer })
    }

    /// The CA certificate in PEM: what clients and the listener trust.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// The SHA-256 fingerprint of the CA certificate: the issuer in the listener's registers.
    pub fn fingerprint(&self) -> CaFingerprint {
        self.fingerprint
    }

    pub(crate) fn issuer(&self) -> &Issuer<'static, KeyPair> {
        &self.issuer
    }

    /// Issues an ERO client certificate: fresh P-256 key, random positive 16-byte serial,
    /// `CN=<ero>, O=IER EMS`, URI SAN `urn:ier:ero:<ero>`, extended key usage clientAuth.
    pub fn issue_ero(&self, ero: &EroId, validity: Validity) -> Result<IssuedCertificate, PkiError> {
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, ero.as_str());
        dn.push(DnType::OrganizationName, ERO_ORGANISATION);
        params.distinguished_name = dn;
        params.subject_alt_names = vec![SanType::URI(ero_uri(ero).try_into()?)];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let (serial, cert_pem, key_pem) = self.sign_new(params, validity)?;
        let Validity { not_before, not_after } = truncate(validity);
        Ok(IssuedCertificate {
            ero: ero.clone(),
            issuer: self.fingerprint,
            serial,
            not_before,
            not_after,
            cert_pem,
            key_pem,
        })
    }

    /// Issues a server certificate for the EMS API listener: SANs DNS `localhost`, IP
    /// `127.0.0.1` and each of `names` (IP addresses become IP SANs), extended key usage
    /// serverAuth, `CN=<first name or localhost>`.
    pub fn issue_server(&self, names: &[String], validity: Validity) -> Result<ServerCertificate, PkiError> {
        let mut sans =
            vec![SanType::DnsName("localhost".try_into()?), SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST))];
        for name in names {
            let san = match name.parse::<IpAddr>() {
                Ok(ip) => SanType::IpAddress(ip),
                Err(_) => SanType::DnsName(name.as_str().try_into()?),
            };
            if !sans.contains(&san) {
                sans.push(san);
            }
        }
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, names.first().map(String::as_str).unwrap_or("localhost"));
        dn.push(DnType::OrganizationName, "IER");
        params.distinguished_name = dn;
        params.subject_alt_names = sans;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let (serial, cert_pem, key_pem) = self.sign_new(params, validity)?;
        let Validity { not_before, not_after } = truncate(validity);
        Ok(ServerCertificate { issuer: self.fingerprint, serial, not_before, not_after, cert_pem, key_pem })
    }

    /// Signs arbitrary parameters for `key` (the escape hatch for tooling and tests that need a
    /// certificate the two issuers above would never make). A missing serial gets a random one.
    pub fn sign(&self, mut params: CertificateParams, key: &KeyPair) -> Result<String, PkiError> {
        if params.serial_number.is_none() {
            params.serial_number = Some(SerialNumber::from_slice(&random_serial_bytes()));
        }
        params.use_authority_key_identifier_extension = true;
        Ok(params.signed_by(key, &self.issuer)?.pem())
    }

    fn sign_new(
        &self,
        mut params: CertificateParams,
        validity: Validity,
    ) -> Result<(Serial, String, SecretString), PkiError> {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let serial_bytes = random_serial_bytes();
        params.serial_number = Some(SerialNumber::from_slice(&serial_bytes));
        set_validity(&mut params, validity);
        let cert_pem = self.sign(params, &key)?;
        Ok((Serial::from_bytes(&serial_bytes), cert_pem, SecretString::from(key.serialize_pem())))
    }
}

/// 16 random bytes from the OS-seeded CSPRNG, as a positive DER integer of exactly 16 bytes:
/// the top bit is cleared (positive, no 0x00 pad) and the next one set (no leading zero byte).
fn random_serial_bytes() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    bytes[0] = (bytes[0] & 0x7f) | 0x40;
    bytes
}

fn set_validity(params: &mut CertificateParams, validity: Validity) {
    params.not_before = to_offset(validity.not_before);
    params.not_after = to_offset(validity.not_after);
}

pub(crate) fn to_offset(t: DateTime<Utc>) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(t.timestamp()).unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

fn truncate(v: Validity) -> Validity {
    let secs = |t: DateTime<Utc>| Utc.timestamp_opt(t.timestamp(), 0).single().unwrap_or(t);
    Validity { not_before: secs(v.not_before), not_after: secs(v.not_after) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_are_positive_sixteen_bytes() {
        for _ in 0..100 {
            let s = Serial::from_bytes(&random_serial_bytes());
            assert_eq!(s.as_str().len(), 32);
            assert!(s.to_bytes()[0] & 0x80 == 0);
        }
    }

    #[test]
    fn debug_shows_no_key() {
        let ca = CertificateAuthority::generate("t", Validity::days_from(Utc::now(), 1)).unwrap();
        let ero = EroId::parse("cardiff").unwrap();
        let issued = ca.issue_ero(&ero, Validity::days_from(Utc::now(), 1)).unwrap();
        let shown = format!("{ca:?} {issued:?}");
        assert!(!shown.contains("PRIVATE KEY"), "{shown}");
        assert!(!shown.contains(&issued.key_pem.expose_secret()[40..80]));
    }

    #[test]
    fn refuses_inverted_validity() {
        let now = Utc::now();
        assert!(matches!(Validity::new(now, now), Err(PkiError::BadValidity)));
    }
}
