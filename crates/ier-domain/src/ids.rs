//! Identifiers: application reference numbers and ERO ids.
//!
//! A reference number is 10 characters from an alphabet without easily confused
//! characters (no 0/O, 1/I, no vowels so no words), drawn from a cryptographically
//! secure random source: it is not derived from the clock, so it cannot be
//! guessed from the time of submission (the original service's flaw). 28^10 is
//! about 3 × 10^14 possibilities (48 bits).

use std::fmt;
use std::str::FromStr;

use rand::Rng;
use serde::{Deserialize, Serialize};

/// The reference number alphabet: digits 2–9 and 20 consonants (no L), so
/// nothing is easily confused when read aloud or typed. 28 symbols.
pub const REFERENCE_ALPHABET: &[u8; 28] = b"23456789BCDFGHJKMNPQRSTVWXYZ";
const ALPHABET: &[u8] = REFERENCE_ALPHABET;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("is not a reference number (10 letters and numbers)")]
pub struct ReferenceNumberError;

/// An application's reference number, shown to the applicant once it is stored.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ReferenceNumber([u8; 10]);

impl ReferenceNumber {
    pub const LEN: usize = 10;

    /// A fresh reference number from a cryptographically secure generator.
    pub fn generate<R: rand::CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut out = [0u8; 10];
        for b in &mut out {
            *b = ALPHABET[rng.random_range(0..ALPHABET.len())];
        }
        Self(out)
    }

    /// Parse as typed: case and spaces do not matter.
    pub fn parse(input: &str) -> Result<Self, ReferenceNumberError> {
        let cleaned: Vec<u8> = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .map(|c| if c.is_ascii() { c as u8 } else { 0 })
            .collect();
        if cleaned.len() != Self::LEN || !cleaned.iter().all(|b| ALPHABET.contains(b)) {
            return Err(ReferenceNumberError);
        }
        let mut out = [0u8; 10];
        out.copy_from_slice(&cleaned);
        Ok(Self(out))
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("ascii")
    }

    /// Two halves, as shown on the complete page: `BCD23 FGH45`.
    pub fn grouped(&self) -> String {
        format!("{} {}", &self.as_str()[..5], &self.as_str()[5..])
    }
}

impl FromStr for ReferenceNumber {
    type Err = ReferenceNumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for ReferenceNumber {
    type Error = ReferenceNumberError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<ReferenceNumber> for String {
    fn from(value: ReferenceNumber) -> String {
        value.as_str().to_owned()
    }
}

impl fmt::Display for ReferenceNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for ReferenceNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReferenceNumber({})", self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("is not an ERO id (lower-case letters, digits and hyphens, at most 64)")]
pub struct EroIdError;

/// An Electoral Registration Officer's id: a slug such as `westminster` or `lothian-vjb`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EroId(String);

impl EroId {
    pub fn parse(input: &str) -> Result<Self, EroIdError> {
        let ok = !input.is_empty()
            && input.len() <= 64
            && input.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !input.starts_with('-')
            && !input.ends_with('-')
            && !input.contains("--");
        if ok { Ok(Self(input.to_owned())) } else { Err(EroIdError) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for EroId {
    type Err = EroIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for EroId {
    type Error = EroIdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<EroId> for String {
    fn from(value: EroId) -> String {
        value.0
    }
}

impl fmt::Display for EroId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for EroId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EroId({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    #[test]
    fn generated_references_are_well_formed_and_distinct() {
        let mut rng = rand::rng();
        let refs: HashSet<_> = (0..10_000).map(|_| ReferenceNumber::generate(&mut rng)).collect();
        assert_eq!(refs.len(), 10_000);
        for r in &refs {
            assert_eq!(ReferenceNumber::parse(r.as_str()).unwrap(), *r);
            assert!(r.as_str().bytes().all(|b| ALPHABET.contains(&b)));
        }
    }

    #[test]
    fn every_character_is_used_evenly() {
        // Not clock-derived: every position takes every symbol (a clock-based
        // number would pin the leading characters).
        let mut rng = rand::rng();
        let mut counts = [[0u32; 28]; 10];
        for _ in 0..28_000 {
            let r = ReferenceNumber::generate(&mut rng);
            for (i, b) in r.as_str().bytes().enumerate() {
                counts[i][ALPHABET.iter().position(|a| *a == b).unwrap()] += 1;
            }
        }
        for pos in counts {
            // expectation 1000 per symbol; 5 sigma is ~160
            assert!(pos.iter().all(|c| (800..1200).contains(c)), "{pos:?}");
        }
    }

    #[test]
    fn parse_is_forgiving_of_case_and_spacing() {
        assert_eq!(ReferenceNumber::parse("bcd23 fgh45").unwrap().as_str(), "BCD23FGH45");
        assert_eq!(ReferenceNumber::parse("BCD23FGH45").unwrap().grouped(), "BCD23 FGH45");
        assert!(ReferenceNumber::parse("BCD23FGH4O").is_err(), "O is not in the alphabet");
        assert!(ReferenceNumber::parse("BCD23FGH4").is_err());
    }

    #[test]
    fn ero_ids() {
        assert!(EroId::parse("lothian-vjb").is_ok());
        for bad in ["", "Lothian", "a--b", "-a", "a-", "a b", &"a".repeat(65)] {
            assert!(EroId::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn reference_parse_never_panics(s in "\\PC{0,20}") {
            let _ = ReferenceNumber::parse(&s);
        }
    }
}
