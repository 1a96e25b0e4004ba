//! Certificate serial numbers in the one spelling used everywhere in IER: lower-case hex of
//! the positive integer, without leading zero bytes (`4f0a…`), as logs, revocation files and
//! the storage layer record them.

use std::fmt;
use std::str::FromStr;

/// Why a string is not a serial number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SerialError {
    #[error("a certificate serial is empty")]
    Empty,
    #[error("a certificate serial must be hexadecimal (colons allowed)")]
    NotHex,
    #[error("a certificate serial has at most 20 bytes (40 hex digits)")]
    TooLong,
}

/// A certificate serial number, normalised: lower-case hex of the big-endian bytes with leading
/// zero bytes removed (so `00:8F:01` and `8f01` are the same serial).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Serial(String);

impl Serial {
    /// From the DER integer bytes of a certificate's serial (as X.509 parsers hand them out).
    pub fn from_bytes(bytes: &[u8]) -> Self {
        let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len().saturating_sub(1));
        let bytes = &bytes[start.min(bytes.len())..];
        let mut hex = String::with_capacity(bytes.len() * 2);
        for b in bytes {
            hex.push_str(&format!("{b:02x}"));
        }
        if hex.is_empty() {
            hex.push_str("00");
        }
        Self(hex)
    }

    /// Parses hex as operators type it: any case, optional `0x`, optional colons.
    pub fn parse(input: &str) -> Result<Self, SerialError> {
        let trimmed = input.trim();
        let trimmed = trimmed.strip_prefix("0x").or_else(|| trimmed.strip_prefix("0X")).unwrap_or(trimmed);
        let digits: String = trimmed.chars().filter(|c| *c != ':').collect();
        if digits.is_empty() {
            return Err(SerialError::Empty);
        }
        if !digits.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(SerialError::NotHex);
        }
        let padded = if digits.len() % 2 == 1 { format!("0{digits}") } else { digits };
        let bytes: Vec<u8> = (0..padded.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&padded[i..i + 2], 16).map_err(|_| SerialError::NotHex))
            .collect::<Result<_, _>>()?;
        let serial = Self::from_bytes(&bytes);
        if serial.0.len() > 40 {
            return Err(SerialError::TooLong);
        }
        Ok(serial)
    }

    /// The normalised hex spelling.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The big-endian bytes (no leading zero byte).
    pub fn to_bytes(&self) -> Vec<u8> {
        (0..self.0.len()).step_by(2).map(|i| u8::from_str_radix(&self.0[i..i + 2], 16).unwrap_or(0)).collect()
    }
}

impl FromStr for Serial {
    type Err = SerialError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Serial({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_normalise_to_one() {
        let a = Serial::parse("00:8F:01").unwrap();
        let b = Serial::parse("8f01").unwrap();
        let c = Serial::parse("0x08F01").unwrap();
        assert_eq!(a, b);
        assert_eq!(b, c);
        assert_eq!(a.as_str(), "8f01");
        assert_eq!(Serial::from_bytes(&[0, 0x8f, 0x01]), a);
        assert_eq!(a.to_bytes(), vec![0x8f, 0x01]);
        assert_eq!(Serial::from_bytes(&[0]).as_str(), "00");
    }

    #[test]
    fn refuses_non_hex_and_long() {
        assert_eq!(Serial::parse(""), Err(SerialError::Empty));
        assert_eq!(Serial::parse("12g4"), Err(SerialError::NotHex));
        assert_eq!(Serial::parse(&"ab".repeat(21)), Err(SerialError::TooLong));
        assert!(Serial::parse(&"ab".repeat(20)).is_ok());
    }
}
