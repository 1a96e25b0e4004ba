//! The registers that say which client certificates speak for which ERO, each entry keyed by the
//! certificate's issuer and its serial **together**, so a certificate is accepted only if the
//! CA that signed it and its serial are known as a pair:
//!
//! - `issued.txt`: every certificate the service's own CA issues, written by the issuer as it
//!   issues ([`crate::IssuingCa`]); the listener's server certificate is there too, speaking
//!   for no ERO (`-`).
//! - `serials.txt`: certificates of imported CAs, mapped to EROs by an operator
//!   (`ier ero serial map --ca CA.pem ...`).
//!
//! Both have the same format, one certificate a line:
//!
//! ```text
//! # issuer (SHA-256 of the CA certificate, hex)                    serial                            ERO      not after (UTC, optional)
//! 5b0c…e41f 4f0a9c2e6b1d3a5f7e8c9b0a1d2e3f40 cardiff  2027-06-01T10:00:00Z
//! ```
//!
//! The issuer is the SHA-256 fingerprint of the DER of the CA certificate that signed the
//! client certificate (what `openssl x509 -fingerprint -sha256` prints; colons and capitals
//! are accepted). A serial is unique only within its issuer, which is why it never stands
//! alone: a certificate from trusted CA B whose serial is registered under CA A is not
//! registered. `#` starts a comment; blank lines are ignored. Files are replaced atomically
//! under a lock, so a listener re-reading one sees the old file or the new one, and two
//! issuers at once lose no line.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, Utc};
use ier_domain::EroId;

use crate::error::PkiError;
use crate::files;
use crate::serial::Serial;

/// The SHA-256 fingerprint of a CA certificate (of its DER): which CA a register line means.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CaFingerprint([u8; 32]);

/// Why a string is not a CA fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a CA fingerprint is the SHA-256 of the CA certificate: 64 hexadecimal digits (colons allowed)")]
pub struct FingerprintError;

impl CaFingerprint {
    /// The fingerprint of a certificate in DER.
    pub fn of_der(der: &[u8]) -> Self {
        let digest = ring::digest::digest(&ring::digest::SHA256, der);
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(digest.as_ref());
        Self(bytes)
    }

    /// The fingerprint of the first certificate in `pem`; `what` names the input in errors.
    pub fn of_pem(pem: &str, what: &str) -> Result<Self, PkiError> {
        let der = crate::pem::certificates(pem, what)?
            .into_iter()
            .next()
            .ok_or_else(|| PkiError::NoPem { what: what.to_owned(), expected: "CERTIFICATE" })?;
        Ok(Self::of_der(der.as_ref()))
    }

    /// Parses hex as `openssl` prints it or as the registers write it: any case, colons allowed.
    pub fn parse(input: &str) -> Result<Self, FingerprintError> {
        let digits: Vec<u8> = input.trim().bytes().filter(|b| *b != b':').collect();
        if digits.len() != 64 {
            return Err(FingerprintError);
        }
        let mut bytes = [0u8; 32];
        for (i, pair) in digits.chunks(2).enumerate() {
            let hex = std::str::from_utf8(pair).map_err(|_| FingerprintError)?;
            bytes[i] = u8::from_str_radix(hex, 16).map_err(|_| FingerprintError)?;
        }
        Ok(Self(bytes))
    }
}

impl FromStr for CaFingerprint {
    type Err = FingerprintError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for CaFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for CaFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CaFingerprint({self})")
    }
}

/// One certificate in a register: who issued it, its serial, the ERO it speaks for (`None`:
/// none, as for the listener's own server certificate) and, when known, when it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub issuer: CaFingerprint,
    pub serial: Serial,
    pub ero: Option<EroId>,
    pub not_after: Option<DateTime<Utc>>,
}

impl Registration {
    fn line(&self) -> String {
        let ero = self.ero.as_ref().map(EroId::as_str).unwrap_or(NO_ERO);
        match self.not_after {
            Some(t) => {
                format!("{} {} {ero} {}", self.issuer, self.serial, t.to_rfc3339_opts(SecondsFormat::Secs, true))
            }
            None => format!("{} {} {ero}", self.issuer, self.serial),
        }
    }
}

/// What a register line says for a certificate that speaks for no ERO.
const NO_ERO: &str = "-";

/// A register (`issued.txt` or `serials.txt`): registrations keyed by issuer and serial.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Register {
    entries: BTreeMap<(CaFingerprint, Serial), Registration>,
}

impl Register {
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads `dir/file`; a missing file is an empty register.
    pub fn load(dir: &Path, file: &str) -> Result<Self, PkiError> {
        let path = dir.join(file);
        match files::read_optional(&path)? {
            Some(text) => Self::parse(&text, &path),
            None => Ok(Self::new()),
        }
    }

    /// Parses a register's text; `path` only names the file in errors. A line that names no
    /// issuer (the old `serial ero-id` form) is refused with what to write instead.
    pub fn parse(text: &str, path: &Path) -> Result<Self, PkiError> {
        let mut register = Self::new();
        for (i, line) in text.lines().enumerate() {
            let bad = |reason: String| PkiError::BadLine { file: path.to_owned(), line: i + 1, reason };
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let words: Vec<&str> = line.split_whitespace().collect();
            let issuer = match CaFingerprint::parse(words[0]) {
                Ok(issuer) => issuer,
                Err(_) if words.len() == 2 && Serial::parse(words[0]).is_ok() => {
                    return Err(bad(format!(
                        "this line names no CA: a serial is known only together with the CA that issued it. \
                         Delete the line, then map the serial again under that CA: `ier ero serial map \
                         --ca <CA certificate> --serial {} --ero {}` (it writes `<CA fingerprint> {} {}`)",
                        words[0], words[1], words[0], words[1]
                    )));
                }
                Err(e) => return Err(bad(e.to_string())),
            };
            let serial = Serial::parse(words.get(1).copied().unwrap_or(""))
                .map_err(|e| bad(format!("after the CA fingerprint: {e}")))?;
            let ero = match words.get(2).copied() {
                None => return Err(bad("the ERO id is missing (`-` for a certificate that speaks for none)".into())),
                Some(NO_ERO) => None,
                Some(w) => Some(EroId::parse(w).map_err(|e| bad(format!("the ERO id {e}")))?),
            };
            let not_after = match words.get(3) {
                None => None,
                Some(w) => Some(
                    DateTime::parse_from_rfc3339(w)
                        .map_err(|_| bad("the expiry is not an RFC 3339 date-time".into()))?
                        .with_timezone(&Utc),
                ),
            };
            if words.len() > 4 {
                return Err(bad("too many words: expected CA fingerprint, serial, ERO and expiry".into()));
            }
            register.insert(Registration { issuer, serial, ero, not_after }).map_err(bad)?;
        }
        Ok(register)
    }

    /// Adds a registration. False if the same one is there already; an error (as a reason for
    /// the file's messages) if the issuer and serial are registered to another ERO.
    pub fn insert(&mut self, registration: Registration) -> Result<bool, String> {
        let key = (registration.issuer, registration.serial.clone());
        match self.entries.get(&key) {
            Some(existing) if existing.ero == registration.ero => Ok(false),
            Some(existing) => Err(format!(
                "serial {} of CA {} is already registered for {}",
                key.1,
                key.0,
                existing.ero.as_ref().map(EroId::as_str).unwrap_or("no ERO")
            )),
            None => {
                self.entries.insert(key, registration);
                Ok(true)
            }
        }
    }

    /// The registration of a certificate of `issuer` with `serial`.
    pub fn get(&self, issuer: &CaFingerprint, serial: &Serial) -> Option<&Registration> {
        self.entries.get(&(*issuer, serial.clone()))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Registration> {
        self.entries.values()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The register as text under a comment `header`, in the format [`Register::parse`] reads.
    pub fn to_text(&self, header: &str) -> String {
        let mut out = String::new();
        for line in header.lines() {
            out.push_str(&format!("# {line}\n"));
        }
        for registration in self.entries.values() {
            out.push_str(&registration.line());
            out.push('\n');
        }
        out
    }
}

/// The header of `issued.txt`.
pub const ISSUED_HEADER: &str = "Certificates the service's CA issued, written by the issuer as it issues them.\n\
The EMS listener accepts a certificate of that CA only if its issuer and serial are here.\n\
issuer (SHA-256 of the CA certificate), serial, ERO (- for none), not after (UTC)";

/// The header of `serials.txt`.
pub const SERIALS_HEADER: &str = "Certificates of imported CAs and the ERO each speaks for (ier ero serial map).\n\
issuer (SHA-256 of the CA certificate that signed it), serial, ERO";

/// Adds `registration` to the register `dir/file` (with `header` at its top): under an
/// exclusive lock (`dir/.<file>.lock`), read, add, and replace atomically. False if it was
/// there already; an error if its issuer and serial are registered to another ERO.
pub fn record(dir: &Path, file: &str, header: &str, registration: Registration) -> Result<bool, PkiError> {
    files::create_dir(dir)?;
    let lock_path = dir.join(format!(".{file}.lock"));
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| PkiError::io("create", &lock_path, e))?;
    lock.lock().map_err(|e| PkiError::io("lock", &lock_path, e))?;
    let path = dir.join(file);
    let mut register = Register::load(dir, file)?;
    let added = register.insert(registration).map_err(|reason| PkiError::Conflict { file: path.clone(), reason })?;
    if added {
        files::write_atomic(&path, &register.to_text(header))?;
    }
    drop(lock);
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    const FP: &str = "5b0c9e6f0d8a3b1c2d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4";

    #[test]
    fn fingerprints_parse_as_openssl_prints_them() {
        let a = CaFingerprint::parse(FP).unwrap();
        let colons: String = FP
            .to_uppercase()
            .as_bytes()
            .chunks(2)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join(":");
        assert_eq!(CaFingerprint::parse(&colons).unwrap(), a);
        assert_eq!(a.to_string(), FP);
        assert!(CaFingerprint::parse(&FP[2..]).is_err());
        assert!(CaFingerprint::parse(&FP.replace('5', "g")).is_err());
    }

    #[test]
    fn register_round_trips_and_refuses_lines_without_an_issuer() {
        let path = PathBuf::from("serials.txt");
        let text = format!("# c\n\n{FP} 12:34 cardiff\n{FP} 99 - 2027-01-01T00:00:00Z\n");
        let register = Register::parse(&text, &path).unwrap();
        assert_eq!(register.len(), 2);
        let issuer = CaFingerprint::parse(FP).unwrap();
        let cardiff = register.get(&issuer, &Serial::parse("1234").unwrap()).unwrap();
        assert_eq!(cardiff.ero.as_ref().map(EroId::as_str), Some("cardiff"));
        assert_eq!(register.get(&issuer, &Serial::parse("99").unwrap()).unwrap().ero, None);
        assert_eq!(Register::parse(&register.to_text("h"), &path).unwrap(), register);

        let err = Register::parse("12:34:56 newport\n", &path).unwrap_err().to_string();
        assert!(err.starts_with("serials.txt line 1: this line names no CA"), "{err}");
        assert!(err.contains("ier ero serial map --ca <CA certificate> --serial 12:34:56 --ero newport"), "{err}");
        let err = Register::parse(&format!("{FP} 12 Cardiff\n"), &path).unwrap_err().to_string();
        assert!(err.starts_with("serials.txt line 1: the ERO id"), "{err}");
        let err = Register::parse(&format!("{FP} 12 cardiff\n{FP} 12 newport\n"), &path).unwrap_err().to_string();
        assert!(err.contains("line 2: serial 12 of CA") && err.contains("already registered for cardiff"), "{err}");
        let err = Register::parse("abcd 12 cardiff\n", &path).unwrap_err().to_string();
        assert!(err.contains("64 hexadecimal digits"), "{err}");
    }

    #[test]
    fn record_adds_once_and_keeps_other_lines() {
        let dir = tempfile::tempdir().unwrap();
        let issuer = CaFingerprint::parse(FP).unwrap();
        let reg = |s: &str, ero: &str| Registration {
            issuer,
            serial: Serial::parse(s).unwrap(),
            ero: Some(EroId::parse(ero).unwrap()),
            not_after: None,
        };
        assert!(record(dir.path(), "issued.txt", ISSUED_HEADER, reg("01", "cardiff")).unwrap());
        assert!(record(dir.path(), "issued.txt", ISSUED_HEADER, reg("02", "newport")).unwrap());
        assert!(!record(dir.path(), "issued.txt", ISSUED_HEADER, reg("01", "cardiff")).unwrap());
        assert!(record(dir.path(), "issued.txt", ISSUED_HEADER, reg("01", "newport")).is_err());
        assert_eq!(Register::load(dir.path(), "issued.txt").unwrap().len(), 2);
    }
}
