//! National Insurance numbers.
//!
//! Two prefix letters, six digits and an optional suffix letter A–D. The first
//! letter is not D, F, I, Q, U or V; the second is not D, F, I, O, Q, U or V; the
//! prefixes BG, GB, KN, NK, NT, TN and ZZ are never issued (HMRC's rules).
//! Input is normalised first: case, spaces and hyphens do not matter.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NinoError {
    #[error("is empty")]
    Empty,
    #[error("must be 2 letters, 6 numbers and then A, B, C or D, like QQ 12 34 56 C")]
    Format,
    #[error("does not start with letters that are used in National Insurance numbers")]
    Prefix,
    #[error("must end with A, B, C or D")]
    Suffix,
}

/// A National Insurance number. The suffix is optional on input; equality
/// compares the suffix too (use [`Nino::same_person`] to ignore it).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Nino {
    /// Prefix and digits, e.g. `AB123456`.
    stem: [u8; 8],
    suffix: Option<u8>,
}

const BAD_FIRST: &[u8] = b"DFIQUV";
const BAD_SECOND: &[u8] = b"DFIOQUV";
const NEVER_ISSUED: &[&[u8; 2]] = &[b"BG", b"GB", b"KN", b"NK", b"NT", b"TN", b"ZZ"];

impl Nino {
    pub fn parse(input: &str) -> Result<Self, NinoError> {
        let cleaned: Vec<u8> = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .map(|c| if c.is_ascii() { c as u8 } else { 0 })
            .collect();
        if cleaned.is_empty() {
            return Err(NinoError::Empty);
        }
        if !(cleaned.len() == 8 || cleaned.len() == 9)
            || !cleaned[0].is_ascii_uppercase()
            || !cleaned[1].is_ascii_uppercase()
            || !cleaned[2..8].iter().all(u8::is_ascii_digit)
        {
            return Err(NinoError::Format);
        }
        let prefix = [cleaned[0], cleaned[1]];
        if BAD_FIRST.contains(&prefix[0]) || BAD_SECOND.contains(&prefix[1]) || NEVER_ISSUED.contains(&&prefix) {
            return Err(NinoError::Prefix);
        }
        let suffix = match cleaned.get(8) {
            None => None,
            Some(s @ b'A'..=b'D') => Some(*s),
            Some(s) if s.is_ascii_digit() => return Err(NinoError::Format),
            Some(_) => return Err(NinoError::Suffix),
        };
        let mut stem = [0u8; 8];
        stem.copy_from_slice(&cleaned[..8]);
        Ok(Self { stem, suffix })
    }

    /// The normalised form without spaces, e.g. `AB123456C`.
    pub fn compact(&self) -> String {
        let mut s = String::from_utf8(self.stem.to_vec()).expect("ascii");
        if let Some(x) = self.suffix {
            s.push(x as char);
        }
        s
    }

    /// The two prefix letters and six digits: identifies the person.
    pub fn stem(&self) -> &str {
        std::str::from_utf8(&self.stem).expect("ascii")
    }

    pub fn suffix(&self) -> Option<char> {
        self.suffix.map(char::from)
    }

    /// True when both numbers identify the same person (suffix ignored, as
    /// HMRC does: the suffix is not part of the identity).
    pub fn same_person(&self, other: &Nino) -> bool {
        self.stem == other.stem
    }
}

impl FromStr for Nino {
    type Err = NinoError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Nino {
    type Error = NinoError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Nino> for String {
    fn from(value: Nino) -> String {
        value.compact()
    }
}

/// Shown the way HMRC prints it: `AB 12 34 56 C`.
impl fmt::Display for Nino {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.stem();
        write!(f, "{} {} {} {}", &s[..2], &s[2..4], &s[4..6], &s[6..8])?;
        if let Some(x) = self.suffix {
            write!(f, " {}", x as char)?;
        }
        Ok(())
    }
}

/// Personal data: never printed by `{:?}`.
impl fmt::Debug for Nino {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Nino(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn normalises_case_spaces_and_hyphens() {
        let n = Nino::parse(" ab-12 34 56c ").unwrap();
        assert_eq!(n.compact(), "AB123456C");
        assert_eq!(n.to_string(), "AB 12 34 56 C");
        assert_eq!(Nino::parse("AB123456").unwrap().suffix(), None);
    }

    #[test]
    fn hmrc_prefix_rules() {
        for bad in [
            "DA123456A",
            "FA123456A",
            "IA123456A",
            "QQ123456C",
            "UA123456A",
            "VA123456A",
            "AD123456A",
            "AF123456A",
            "AI123456A",
            "AO123456A",
            "AQ123456A",
            "AU123456A",
            "AV123456A",
        ] {
            assert_eq!(Nino::parse(bad), Err(NinoError::Prefix), "{bad}");
        }
        for never in ["BG", "GB", "KN", "NK", "NT", "TN", "ZZ"] {
            assert_eq!(Nino::parse(&format!("{never}123456A")), Err(NinoError::Prefix));
        }
        assert!(Nino::parse("OA123456A").is_ok(), "O is allowed first");
    }

    #[test]
    fn formats_and_suffixes() {
        assert_eq!(Nino::parse(""), Err(NinoError::Empty));
        assert_eq!(Nino::parse("AB12345"), Err(NinoError::Format));
        assert_eq!(Nino::parse("AB1234567"), Err(NinoError::Format));
        assert_eq!(Nino::parse("AB123456E"), Err(NinoError::Suffix));
        assert_eq!(Nino::parse("ÄB123456A"), Err(NinoError::Format));
        assert!(Nino::parse("AB123456A").unwrap().same_person(&Nino::parse("AB123456").unwrap()));
    }

    fn valid_prefix() -> impl Strategy<Value = String> {
        ("[A-CEGHJ-PR-TW-Z]", "[A-CEGHJ-NPR-TW-Z]")
            .prop_map(|(a, b)| format!("{a}{b}"))
            .prop_filter("never issued", |p| !["BG", "GB", "KN", "NK", "NT", "TN", "ZZ"].contains(&p.as_str()))
    }

    proptest! {
        #[test]
        fn every_valid_nino_parses_and_round_trips(p in valid_prefix(), d in "[0-9]{6}", s in "[A-D]?", sep in "[ -]{0,2}") {
            let typed = format!("{}{sep}{}{sep}{}", p.to_lowercase(), d, s.to_lowercase());
            let n = Nino::parse(&typed).unwrap();
            prop_assert_eq!(n.compact(), format!("{p}{d}{s}"));
            prop_assert_eq!(Nino::parse(&n.to_string()).unwrap(), n.clone());
            let json = serde_json::to_string(&n).unwrap();
            prop_assert_eq!(serde_json::from_str::<Nino>(&json).unwrap(), n);
        }

        #[test]
        fn parse_agrees_with_hmrc_regex(s in "[A-Z]{2}[0-9]{6}[A-Z]?") {
            let bytes = s.as_bytes();
            let expected = !BAD_FIRST.contains(&bytes[0]) && !BAD_SECOND.contains(&bytes[1])
                && !["BG", "GB", "KN", "NK", "NT", "TN", "ZZ"].contains(&&s[..2])
                && (s.len() == 8 || matches!(bytes[8], b'A'..=b'D'));
            prop_assert_eq!(Nino::parse(&s).is_ok(), expected);
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = Nino::parse(&s);
        }
    }
}
