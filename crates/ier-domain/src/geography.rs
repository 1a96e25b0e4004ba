//! Nations, GSS codes and UPRNs: where an application belongs.
//!
//! A local authority district's GSS code says which nation it is in: `E06`,
//! `E07`, `E08` and `E09` are English, `W06` Welsh, `S12` Scottish. Northern
//! Ireland (`N09`) is recognised and out of scope: EONI registers electors there.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The three nations of Great Britain, each with its own franchise rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Nation {
    England,
    Wales,
    Scotland,
}

impl Nation {
    pub const ALL: [Nation; 3] = [Nation::England, Nation::Wales, Nation::Scotland];

    pub fn as_str(&self) -> &'static str {
        match self {
            Nation::England => "england",
            Nation::Wales => "wales",
            Nation::Scotland => "scotland",
        }
    }
}

impl FromStr for Nation {
    type Err = UnknownNation;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "england" => Ok(Nation::England),
            "wales" => Ok(Nation::Wales),
            "scotland" => Ok(Nation::Scotland),
            _ => Err(UnknownNation),
        }
    }
}

impl fmt::Display for Nation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("is not england, wales or scotland")]
pub struct UnknownNation;

/// Who registers electors at a place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jurisdiction {
    /// In scope: an ERO in England, Wales or Scotland.
    GreatBritain(Nation),
    /// The Electoral Office for Northern Ireland (EONI).
    NorthernIreland,
    /// Not part of the UK's electoral registration at all.
    ChannelIslands,
    IsleOfMan,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("is not a GSS code (a letter and 8 digits, like E09000033)")]
pub struct GssCodeError;

/// A Government Statistical Service code of a local authority district, e.g. `E09000033`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct GssCode([u8; 9]);

impl GssCode {
    pub fn parse(input: &str) -> Result<Self, GssCodeError> {
        let s = input.trim().to_ascii_uppercase();
        let b = s.as_bytes();
        if b.len() != 9 || !b"EWSNLMK".contains(&b[0]) || !b[1..].iter().all(u8::is_ascii_digit) {
            return Err(GssCodeError);
        }
        let mut out = [0u8; 9];
        out.copy_from_slice(b);
        Ok(Self(out))
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("ascii")
    }

    /// Entity type, e.g. `E09`.
    pub fn entity(&self) -> &str {
        &self.as_str()[..3]
    }

    /// Which registration body is responsible; `None` for codes that are not local
    /// authority districts.
    pub fn jurisdiction(&self) -> Option<Jurisdiction> {
        Some(match self.entity() {
            "E06" | "E07" | "E08" | "E09" => Jurisdiction::GreatBritain(Nation::England),
            "W06" => Jurisdiction::GreatBritain(Nation::Wales),
            "S12" => Jurisdiction::GreatBritain(Nation::Scotland),
            "N09" | "N07" => Jurisdiction::NorthernIreland,
            "L99" => Jurisdiction::ChannelIslands,
            "M99" => Jurisdiction::IsleOfMan,
            _ => return None,
        })
    }

    /// The nation, for a GB local authority district.
    pub fn nation(&self) -> Option<Nation> {
        match self.jurisdiction() {
            Some(Jurisdiction::GreatBritain(n)) => Some(n),
            _ => None,
        }
    }
}

impl TryFrom<String> for GssCode {
    type Error = GssCodeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<GssCode> for String {
    fn from(value: GssCode) -> String {
        value.as_str().to_owned()
    }
}

impl FromStr for GssCode {
    type Err = GssCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for GssCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for GssCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GssCode({})", self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("is not a UPRN (a whole number of up to 12 digits)")]
pub struct UprnError;

/// Unique Property Reference Number: up to 12 digits, leading zeros not significant.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u64", into = "u64")]
pub struct Uprn(u64);

impl Uprn {
    pub const MAX: u64 = 999_999_999_999;

    pub fn new(n: u64) -> Result<Self, UprnError> {
        if n == 0 || n > Self::MAX { Err(UprnError) } else { Ok(Self(n)) }
    }

    pub fn parse(input: &str) -> Result<Self, UprnError> {
        let s = input.trim();
        if s.is_empty() || s.len() > 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(UprnError);
        }
        Self::new(s.parse().map_err(|_| UprnError)?)
    }

    pub fn get(&self) -> u64 {
        self.0
    }
}

impl TryFrom<u64> for Uprn {
    type Error = UprnError;
    fn try_from(value: u64) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<Uprn> for u64 {
    fn from(value: Uprn) -> u64 {
        value.0
    }
}

impl fmt::Display for Uprn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Debug for Uprn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Uprn({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn gss_codes_know_their_nation() {
        assert_eq!(GssCode::parse("E09000033").unwrap().nation(), Some(Nation::England));
        assert_eq!(GssCode::parse("w06000015").unwrap().nation(), Some(Nation::Wales));
        assert_eq!(GssCode::parse("S12000036").unwrap().nation(), Some(Nation::Scotland));
        assert_eq!(GssCode::parse("N09000003").unwrap().jurisdiction(), Some(Jurisdiction::NorthernIreland));
        assert_eq!(GssCode::parse("N09000003").unwrap().nation(), None);
        assert_eq!(GssCode::parse("E12000007").unwrap().jurisdiction(), None, "a region is not a council");
        for bad in ["", "E0900003", "X09000033", "E0900003A", "E090000333"] {
            assert!(GssCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn uprns() {
        assert!(Uprn::parse("000100023336956").is_err(), "more than 12 digits");
        assert!(Uprn::parse("00100023336956").is_err());
        assert_eq!(Uprn::parse("100023336956").unwrap().get(), 100023336956);
        assert_eq!(Uprn::parse("0001234").unwrap().get(), 1234, "leading zeros are not significant");
        assert!(Uprn::parse("0").is_err());
        assert!(Uprn::parse("12a").is_err());
    }

    proptest! {
        #[test]
        fn gss_round_trip(prefix in "[EWSN][0-9]{2}", n in 0u32..1_000_000) {
            let s = format!("{prefix}{n:06}");
            let g = GssCode::parse(&s).unwrap();
            prop_assert_eq!(g.as_str(), s.as_str());
        }

        #[test]
        fn uprn_round_trip(n in 1u64..=Uprn::MAX) {
            prop_assert_eq!(Uprn::parse(&n.to_string()).unwrap().get(), n);
        }
    }
}
