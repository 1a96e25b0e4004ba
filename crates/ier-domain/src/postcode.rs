//! UK postcodes, normalised to the Royal Mail form `SW1A 1AA`, and BFPO numbers.
//!
//! Accepts every current format (A9 9AA, A99 9AA, AA9 9AA, AA99 9AA, A9A 9AA,
//! AA9A 9AA), the special `GIR 0AA`, and British Forces Post Office addresses
//! (`BFPO 1234`). Case, spaces and a missing space do not matter. Northern
//! Ireland (BT), the Channel Islands (GY, JE) and the Isle of Man (IM) are
//! recognised so that callers can send those applicants elsewhere.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostcodeError {
    #[error("is empty")]
    Empty,
    #[error("is not a valid postcode, for example SW1A 1AA")]
    Format,
}

/// A syntactically valid postcode (it may still not exist: the postcode
/// directory says whether it does).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Postcode {
    /// Outward and inward code, e.g. `SW1A` and `1AA`.
    Uk { outward: String, inward: String },
    /// British Forces Post Office number, 1 to 4 digits.
    Bfpo(u16),
}

/// Where a postcode is, as far as registration in Great Britain is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostcodeRegion {
    GreatBritain,
    NorthernIreland,
    ChannelIslands,
    IsleOfMan,
    /// BFPO: a forces address abroad.
    Forces,
}

const INWARD_LETTERS: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";

impl Postcode {
    pub fn parse(input: &str) -> Result<Self, PostcodeError> {
        let cleaned: String = input.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
        if cleaned.is_empty() {
            return Err(PostcodeError::Empty);
        }
        if let Some(digits) = cleaned.strip_prefix("BFPO") {
            if (1..=4).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
                return Ok(Self::Bfpo(digits.parse().map_err(|_| PostcodeError::Format)?));
            }
            return Err(PostcodeError::Format);
        }
        if !cleaned.is_ascii() || !(5..=7).contains(&cleaned.len()) {
            return Err(PostcodeError::Format);
        }
        let (outward, inward) = cleaned.split_at(cleaned.len() - 3);
        if outward == "GIR" && inward == "0AA" {
            return Ok(Self::Uk { outward: outward.into(), inward: inward.into() });
        }
        if !valid_inward(inward.as_bytes()) || !valid_outward(outward.as_bytes()) {
            return Err(PostcodeError::Format);
        }
        Ok(Self::Uk { outward: outward.into(), inward: inward.into() })
    }

    /// The outward code (`SW1A`), or `BFPO`.
    pub fn outward(&self) -> &str {
        match self {
            Self::Uk { outward, .. } => outward,
            Self::Bfpo(_) => "BFPO",
        }
    }

    /// The postcode area: the leading letters (`SW`, `CF`, `EH`).
    pub fn area(&self) -> &str {
        let o = self.outward();
        let n = o.bytes().take_while(u8::is_ascii_alphabetic).count();
        &o[..n]
    }

    /// The form without a space, as used in look-up keys: `SW1A1AA`.
    pub fn compact(&self) -> String {
        match self {
            Self::Uk { outward, inward } => format!("{outward}{inward}"),
            Self::Bfpo(n) => format!("BFPO{n}"),
        }
    }

    pub fn region(&self) -> PostcodeRegion {
        match self {
            Self::Bfpo(_) => PostcodeRegion::Forces,
            Self::Uk { .. } => match self.area() {
                "BT" => PostcodeRegion::NorthernIreland,
                "GY" | "JE" => PostcodeRegion::ChannelIslands,
                "IM" => PostcodeRegion::IsleOfMan,
                _ => PostcodeRegion::GreatBritain,
            },
        }
    }
}

fn valid_inward(b: &[u8]) -> bool {
    b.len() == 3 && b[0].is_ascii_digit() && INWARD_LETTERS.contains(&b[1]) && INWARD_LETTERS.contains(&b[2])
}

fn valid_outward(b: &[u8]) -> bool {
    let first = |c: u8| c.is_ascii_uppercase() && !b"QVX".contains(&c);
    let second = |c: u8| c.is_ascii_uppercase() && !b"IJZ".contains(&c);
    let third_a9a = |c: u8| b"ABCDEFGHJKPSTUW".contains(&c);
    let fourth_aa9a = |c: u8| b"ABEHMNPRVWXY".contains(&c);
    let d = |c: u8| c.is_ascii_digit();
    let l = |c: u8| c.is_ascii_uppercase();
    // Each arm's guard fixes the shape (letters and digits); its body checks
    // which letters may stand in each position.
    match *b {
        [a, n] if l(a) && d(n) => first(a),
        [a, n, m] if l(a) && d(n) && d(m) => first(a),
        [a, n, x] if l(a) && d(n) && l(x) => first(a) && third_a9a(x),
        [a, b2, n] if l(a) && l(b2) && d(n) => first(a) && second(b2),
        [a, b2, n, m] if l(a) && l(b2) && d(n) && d(m) => first(a) && second(b2),
        [a, b2, n, x] if l(a) && l(b2) && d(n) && l(x) => first(a) && second(b2) && fourth_aa9a(x),
        _ => false,
    }
}

impl FromStr for Postcode {
    type Err = PostcodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Postcode {
    type Error = PostcodeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Postcode> for String {
    fn from(value: Postcode) -> String {
        value.to_string()
    }
}

impl fmt::Display for Postcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Uk { outward, inward } => write!(f, "{outward} {inward}"),
            Self::Bfpo(n) => write!(f, "BFPO {n}"),
        }
    }
}

/// A postcode on its own is not personal data, but with a name it is: keep it
/// out of logs anyway by redacting the inward code.
impl fmt::Debug for Postcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Postcode({} ***)", self.outward())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_format_normalises() {
        for (typed, want) in [
            ("sw1a1aa", "SW1A 1AA"),
            ("SW1A 1AA", "SW1A 1AA"),
            (" cf10 1ep ", "CF10 1EP"),
            ("EH1 1YZ", "EH1 1YZ"),
            ("LL55 4UR", "LL55 4UR"),
            ("M1 1AE", "M1 1AE"),
            ("B33 8TH", "B33 8TH"),
            ("CR2 6XH", "CR2 6XH"),
            ("DN55 1PT", "DN55 1PT"),
            ("W1A 0AX", "W1A 0AX"),
            ("EC1A 1BB", "EC1A 1BB"),
            ("GIR 0AA", "GIR 0AA"),
            ("bt1 1aa", "BT1 1AA"),
            ("SE1 9SG", "SE1 9SG"),
            ("sw19 5ae", "SW19 5AE"),
            ("bfpo 801", "BFPO 801"),
            ("BFPO1", "BFPO 1"),
        ] {
            assert_eq!(Postcode::parse(typed).unwrap().to_string(), want, "{typed}");
        }
    }

    #[test]
    fn refuses_impossible_postcodes() {
        for bad in [
            "",
            "SW1A",
            "1AA",
            "QW1 1AA",
            "AI1 1AA",
            "SW1A 1CA",
            "SW1A 1AI",
            "W1I 1AA",
            "EC1Z 1AA",
            "SW1A1AAA",
            "S£1 1AA",
            "BFPO",
            "BFPO 12345",
            "ＳＷ1A 1AA",
            "12345",
        ] {
            assert!(Postcode::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn regions() {
        assert_eq!(Postcode::parse("BT1 1AA").unwrap().region(), PostcodeRegion::NorthernIreland);
        assert_eq!(Postcode::parse("GY1 1AA").unwrap().region(), PostcodeRegion::ChannelIslands);
        assert_eq!(Postcode::parse("JE2 3AB").unwrap().region(), PostcodeRegion::ChannelIslands);
        assert_eq!(Postcode::parse("IM1 1AA").unwrap().region(), PostcodeRegion::IsleOfMan);
        assert_eq!(Postcode::parse("BFPO 57").unwrap().region(), PostcodeRegion::Forces);
        assert_eq!(Postcode::parse("LL55 4UR").unwrap().region(), PostcodeRegion::GreatBritain);
        assert_eq!(Postcode::parse("LL55 4UR").unwrap().area(), "LL");
    }

    fn any_valid() -> impl Strategy<Value = String> {
        let a = "[A-PR-UWYZ]";
        let l = "[A-HK-Y]";
        let inward = "[0-9][ABD-HJLNP-UW-Z]{2}";
        let patterns = [
            format!("{a}[0-9] {inward}"),
            format!("{a}[0-9][0-9] {inward}"),
            format!("{a}{l}[0-9] {inward}"),
            format!("{a}{l}[0-9][0-9] {inward}"),
            format!("{a}[0-9][A-HJKPSTUW] {inward}"),
            format!("{a}{l}[0-9][ABEHMNPRVWXY] {inward}"),
        ];
        proptest::strategy::Union::new(patterns.map(|re| proptest::string::string_regex(&re).unwrap()))
    }

    proptest! {
        #[test]
        fn valid_postcodes_round_trip_in_any_case_and_spacing(p in any_valid(), lower in any::<bool>(), drop_space in any::<bool>()) {
            let mut typed = if lower { p.to_lowercase() } else { p.clone() };
            if drop_space { typed = typed.replace(' ', ""); }
            let parsed = Postcode::parse(&typed).unwrap();
            prop_assert_eq!(parsed.to_string(), p);
            prop_assert_eq!(Postcode::parse(&parsed.to_string()).unwrap(), parsed);
        }

        #[test]
        fn never_panics(s in "\\PC{0,20}") {
            let _ = Postcode::parse(&s);
        }
    }
}
