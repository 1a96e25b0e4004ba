//! Revocation: the register of revoked serials (`revoked.txt`) and the X.509 CRL our CA
//! publishes from it (`crls/ier-ca.crl.pem`).
//!
//! `revoked.txt` is the source of truth, one revoked certificate a line:
//!
//! ```text
//! # serial                           revoked at (UTC)      reason
//! 4f0a9c2e6b1d3a5f7e8c9b0a1d2e3f40   2025-06-01T10:00:00Z  key-compromise
//! ```
//!
//! `#` starts a comment; blank lines are ignored. The listener refuses every serial in it
//! whichever CA issued the certificate (so an imported CA's certificate can be revoked locally
//! too), and also honours every CRL in `crls/` through rustls's own revocation checking (so CAs
//! that publish CRLs work as they are). Both files are re-read by a running listener on the next
//! connection after they change ([`crate::server::ServerTls`]).

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use rcgen::{CertificateRevocationListParams, KeyIdMethod, RevokedCertParams, SerialNumber};

use crate::ca::{CertificateAuthority, to_offset};
use crate::error::PkiError;
use crate::files::{self, CRL_DIR, OWN_CRL_FILE, REVOKED_FILE};
use crate::serial::Serial;

/// How long a CRL we publish says it is good for. rustls is not asked to enforce it (a stale
/// CRL still revokes); it tells other relying parties when to fetch again.
pub const CRL_LIFETIME_DAYS: i64 = 30;

/// Why a certificate was revoked (the RFC 5280 reasons that apply to an EMS certificate).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Unspecified,
    KeyCompromise,
    AffiliationChanged,
    Superseded,
    CessationOfOperation,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Unspecified => "unspecified",
            Reason::KeyCompromise => "key-compromise",
            Reason::AffiliationChanged => "affiliation-changed",
            Reason::Superseded => "superseded",
            Reason::CessationOfOperation => "cessation-of-operation",
        }
    }

    fn to_rcgen(self) -> rcgen::RevocationReason {
        match self {
            Reason::Unspecified => rcgen::RevocationReason::Unspecified,
            Reason::KeyCompromise => rcgen::RevocationReason::KeyCompromise,
            Reason::AffiliationChanged => rcgen::RevocationReason::AffiliationChanged,
            Reason::Superseded => rcgen::RevocationReason::Superseded,
            Reason::CessationOfOperation => rcgen::RevocationReason::CessationOfOperation,
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A word that is not a revocation reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "is not a revocation reason (unspecified, key-compromise, affiliation-changed, superseded, cessation-of-operation)"
)]
pub struct ReasonError;

impl FromStr for Reason {
    type Err = ReasonError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            Reason::Unspecified,
            Reason::KeyCompromise,
            Reason::AffiliationChanged,
            Reason::Superseded,
            Reason::CessationOfOperation,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
        .ok_or(ReasonError)
    }
}

/// One revoked certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revocation {
    pub at: DateTime<Utc>,
    pub reason: Reason,
}

/// The register of revoked serials (`revoked.txt`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevocationList {
    entries: BTreeMap<Serial, Revocation>,
}

impl RevocationList {
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads `dir/revoked.txt`; a missing file is an empty register.
    pub fn load(dir: &Path) -> Result<Self, PkiError> {
        let path = dir.join(REVOKED_FILE);
        match files::read_optional(&path)? {
            Some(text) => Self::parse(&text, &path),
            None => Ok(Self::new()),
        }
    }

    /// Parses the register's text; `path` only names the file in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, PkiError> {
        let mut list = Self::new();
        for (i, line) in text.lines().enumerate() {
            let bad = |reason: String| PkiError::BadLine { file: path.to_owned(), line: i + 1, reason };
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let mut words = line.split_whitespace();
            let serial = Serial::parse(words.next().unwrap_or("")).map_err(|e| bad(e.to_string()))?;
            let at = match words.next() {
                Some(w) => DateTime::parse_from_rfc3339(w)
                    .map_err(|_| bad("the revocation time is not an RFC 3339 date-time".into()))?
                    .with_timezone(&Utc),
                None => return Err(bad("the revocation time is missing".into())),
            };
            let reason = match words.next() {
                Some(w) => w.parse().map_err(|e: ReasonError| bad(format!("`{w}` {e}")))?,
                None => Reason::Unspecified,
            };
            list.entries.insert(serial, Revocation { at, reason });
        }
        Ok(list)
    }

    /// The register as text, in the format [`RevocationList::parse`] reads.
    pub fn to_text(&self) -> String {
        let mut out = String::from("# IER revoked client certificates: serial, revoked at (UTC), reason\n");
        for (serial, r) in &self.entries {
            out.push_str(&format!("{serial} {} {}\n", r.at.to_rfc3339_opts(SecondsFormat::Secs, true), r.reason));
        }
        out
    }

    /// Writes `dir/revoked.txt` atomically.
    pub fn save(&self, dir: &Path) -> Result<(), PkiError> {
        files::create_dir(dir)?;
        files::write_atomic(&dir.join(REVOKED_FILE), &self.to_text())
    }

    /// Adds a revocation; false if the serial was already revoked (its first record is kept).
    pub fn add(&mut self, serial: Serial, revocation: Revocation) -> bool {
        if self.entries.contains_key(&serial) {
            return false;
        }
        self.entries.insert(serial, revocation);
        true
    }

    pub fn contains(&self, serial: &Serial) -> bool {
        self.entries.contains_key(serial)
    }

    pub fn get(&self, serial: &Serial) -> Option<&Revocation> {
        self.entries.get(serial)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Serial, &Revocation)> {
        self.entries.iter()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl CertificateAuthority {
    /// A CRL (PEM) signed by this CA listing every serial in `list`, valid from `now` for
    /// [`CRL_LIFETIME_DAYS`]; its CRL number is `now` in Unix seconds, so it only grows.
    pub fn crl_pem(&self, list: &RevocationList, now: DateTime<Utc>) -> Result<String, PkiError> {
        let params = CertificateRevocationListParams {
            this_update: to_offset(now),
            next_update: to_offset(now + Duration::days(CRL_LIFETIME_DAYS)),
            crl_number: SerialNumber::from_slice(&now.timestamp().max(1).to_be_bytes()),
            issuing_distribution_point: None,
            revoked_certs: list
                .iter()
                .map(|(serial, r)| RevokedCertParams {
                    serial_number: SerialNumber::from_slice(&serial.to_bytes()),
                    revocation_time: to_offset(r.at),
                    reason_code: Some(r.reason.to_rcgen()),
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: KeyIdMethod::Sha256,
        };
        Ok(params.signed_by(self.issuer())?.pem()?)
    }

    /// Writes this CA's CRL for `list` to `dir/crls/ier-ca.crl.pem` atomically.
    pub fn publish_crl(&self, dir: &Path, list: &RevocationList, now: DateTime<Utc>) -> Result<(), PkiError> {
        let crl_dir = dir.join(CRL_DIR);
        files::create_dir(&crl_dir)?;
        files::write_atomic(&crl_dir.join(OWN_CRL_FILE), &self.crl_pem(list, now)?)
    }
}

/// Revokes `serial` in the PKI directory `dir`: records it in `revoked.txt`. Returns false if
/// it was already revoked. A running listener on `dir` refuses the certificate from its next
/// connection on. Our CA's CRL is republished by [`crate::IssuingCa::revoke`], which calls
/// this; the CA's key is never in `dir`.
pub fn revoke(dir: &Path, serial: Serial, reason: Reason, now: DateTime<Utc>) -> Result<bool, PkiError> {
    let mut list = RevocationList::load(dir)?;
    let added = list.add(serial, Revocation { at: now, reason });
    if added {
        list.save(dir)?;
    }
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn register_round_trips_and_reports_bad_lines() {
        let now = DateTime::parse_from_rfc3339("2025-06-01T10:00:00Z").unwrap().with_timezone(&Utc);
        let mut list = RevocationList::new();
        assert!(list.add(Serial::parse("4f0a").unwrap(), Revocation { at: now, reason: Reason::KeyCompromise }));
        assert!(!list.add(Serial::parse("4F:0A").unwrap(), Revocation { at: now, reason: Reason::Superseded }));
        let text = list.to_text();
        assert_eq!(RevocationList::parse(&text, &PathBuf::from("r")).unwrap(), list);

        let err =
            RevocationList::parse("# c\n\nabcd 2025-01-01T00:00:00Z\nzz 2025\n", &PathBuf::from("r")).unwrap_err();
        assert_eq!(err.to_string(), "r line 4: a certificate serial must be hexadecimal (colons allowed)");
        let err = RevocationList::parse("abcd 2025-01-01T00:00:00Z stolen\n", &PathBuf::from("r")).unwrap_err();
        assert!(err.to_string().starts_with("r line 1: `stolen` is not a revocation reason"), "{err}");
        let err = RevocationList::parse("abcd\n", &PathBuf::from("r")).unwrap_err();
        assert_eq!(err.to_string(), "r line 1: the revocation time is missing");
    }
}
