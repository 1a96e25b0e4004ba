//! Person names: given name, middle names and surname, as the applicant types them.
//!
//! Limits are the real service's (35 / 100 / 35 characters). Input is trimmed,
//! inner runs of white space collapse to one space, the text is put in Unicode
//! NFC form (so "Siân" typed with a combining accent equals the precomposed one)
//! and typographic apostrophes become `'`. Letters of any script are accepted,
//! with hyphens, apostrophes, spaces and full stops between them: "Siân",
//! "Llŷr", "O'Brien", "Smith-Jones", "Nuñez", "Zoë", "Mac an t-Saoir", "St. John".

use std::fmt;

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

/// Why a name part was refused. Messages say what is wrong without echoing the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("is empty")]
    Empty,
    #[error("must be {max} characters or fewer")]
    TooLong { max: usize },
    #[error("can only include letters, spaces, hyphens, apostrophes and full stops")]
    InvalidCharacter,
    #[error("must start with a letter")]
    MustStartWithLetter,
}

/// Normalise and check one name part; `max` is in characters.
fn parse_part(input: &str, max: usize) -> Result<String, NameError> {
    let collapsed = input.split_whitespace().collect::<Vec<_>>().join(" ");
    let normalised: String = collapsed
        .nfc()
        .map(|c| match c {
            '\u{2019}' | '\u{2018}' | '\u{02BC}' | '`' | '\u{00B4}' => '\'',
            '\u{2010}' | '\u{2011}' | '\u{2013}' => '-',
            other => other,
        })
        .collect();
    if normalised.is_empty() {
        return Err(NameError::Empty);
    }
    if normalised.chars().count() > max {
        return Err(NameError::TooLong { max });
    }
    let mut chars = normalised.chars();
    let first = chars.next().expect("not empty");
    if !first.is_alphabetic() {
        return Err(NameError::MustStartWithLetter);
    }
    for c in normalised.chars() {
        let allowed = c.is_alphabetic() || is_combining_mark(c) || matches!(c, ' ' | '-' | '\'' | '.');
        if !allowed {
            return Err(NameError::InvalidCharacter);
        }
    }
    Ok(normalised)
}

/// Combining marks left after NFC (scripts without precomposed forms).
fn is_combining_mark(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F
        // Indic and other abugida vowel signs and viramas are general category M*;
        // cover the main Brahmic blocks' sign ranges.
        | 0x0900..=0x0903 | 0x093A..=0x094F | 0x0951..=0x0957 | 0x0962..=0x0963
        | 0x0981..=0x0983 | 0x09BC..=0x09D7 | 0x0A01..=0x0A03 | 0x0A3C..=0x0A51
        | 0x0A81..=0x0A83 | 0x0ABC..=0x0ACD | 0x0B01..=0x0B03 | 0x0B3C..=0x0B57
        | 0x0B82 | 0x0BBE..=0x0BCD | 0x0C00..=0x0C04 | 0x0C3E..=0x0C56 | 0x0D00..=0x0D03
        | 0x0D3E..=0x0D4D | 0x0610..=0x061A | 0x064B..=0x065F | 0x0670 | 0x06D6..=0x06ED
        | 0x05B0..=0x05C7 | 0x0E31 | 0x0E34..=0x0E3A | 0x0E47..=0x0E4E)
}

macro_rules! name_part {
    ($(#[$doc:meta])* $ty:ident, $max:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $ty(String);

        impl $ty {
            /// Maximum length in characters.
            pub const MAX: usize = $max;

            pub fn parse(input: &str) -> Result<Self, NameError> {
                parse_part(input, Self::MAX).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $ty {
            type Error = NameError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl From<$ty> for String {
            fn from(value: $ty) -> String {
                value.0
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        /// Personal data: never printed by `{:?}`.
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($ty), "(<redacted>)"))
            }
        }
    };
}

name_part!(
    /// A first (given) name, at most 35 characters.
    GivenName, 35
);
name_part!(
    /// Middle names, all together, at most 100 characters.
    MiddleNames, 100
);
name_part!(
    /// A last name (surname, family name), at most 35 characters.
    Surname, 35
);

/// A whole name as the applicant gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonName {
    pub given: GivenName,
    pub middle: Option<MiddleNames>,
    pub surname: Surname,
}

/// Which part of a name an error is about, so pages can point at the right field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamePart {
    Given,
    Middle,
    Surname,
}

impl PersonName {
    /// Parse the three fields at once; every failing part is reported.
    pub fn parse(given: &str, middle: &str, surname: &str) -> Result<Self, Vec<(NamePart, NameError)>> {
        let mut errors = Vec::new();
        let g = GivenName::parse(given).map_err(|e| errors.push((NamePart::Given, e))).ok();
        let m = if middle.trim().is_empty() {
            Some(None)
        } else {
            MiddleNames::parse(middle).map(Some).map_err(|e| errors.push((NamePart::Middle, e))).ok()
        };
        let s = Surname::parse(surname).map_err(|e| errors.push((NamePart::Surname, e))).ok();
        match (g, m, s) {
            (Some(given), Some(middle), Some(surname)) => Ok(Self { given, middle, surname }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn welsh_irish_and_accented_names_are_accepted() {
        for n in [
            "Siân",
            "Llŷr",
            "Dafydd",
            "Ffion",
            "Gwenllïan",
            "Seán",
            "Niamh",
            "O'Brien",
            "Zoë",
            "François",
            "Nuñez",
            "Łukasz",
            "Wójcik",
            "Øyvind",
            "Mac an t-Saoir",
            "Ní Bhriain",
            "St. John",
            "Smith-Jones",
            "Şahin",
            "Nguyễn",
            "Владимир",
            "محمد",
            "प्रिया",
            "김",
        ] {
            assert!(GivenName::parse(n).is_ok() || Surname::parse(n).is_ok(), "{n} refused");
            assert_eq!(Surname::parse(n).unwrap().as_str(), n);
        }
    }

    #[test]
    fn trims_collapses_and_normalises() {
        assert_eq!(Surname::parse("  Smith   Jones ").unwrap().as_str(), "Smith Jones");
        assert_eq!(Surname::parse("O\u{2019}Brien").unwrap().as_str(), "O'Brien");
        // "a" + combining circumflex becomes precomposed â
        assert_eq!(GivenName::parse("Sia\u{0302}n").unwrap().as_str(), "Siân");
    }

    #[test]
    fn limits_are_35_100_35() {
        assert!(GivenName::parse(&"a".repeat(35)).is_ok());
        assert_eq!(GivenName::parse(&"a".repeat(36)), Err(NameError::TooLong { max: 35 }));
        assert!(MiddleNames::parse(&"a".repeat(100)).is_ok());
        assert_eq!(MiddleNames::parse(&"a".repeat(101)), Err(NameError::TooLong { max: 100 }));
        assert_eq!(Surname::parse(&"ŵ".repeat(36)), Err(NameError::TooLong { max: 35 }));
        // limits count characters, not bytes
        assert!(Surname::parse(&"ŵ".repeat(35)).is_ok());
    }

    #[test]
    fn hostile_input_is_refused() {
        for bad in ["<script>", "Robert'); DROP TABLE", "x\u{0000}y", "123", "a1", "Bob\u{202E}", "😀"] {
            assert!(GivenName::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(GivenName::parse("   "), Err(NameError::Empty));
        assert_eq!(GivenName::parse("-Ann"), Err(NameError::MustStartWithLetter));
    }

    #[test]
    fn debug_never_shows_the_name() {
        let n = PersonName::parse("Siân", "", "Evans").unwrap();
        assert!(!format!("{n:?}").contains("Evans"));
    }

    #[test]
    fn whole_name_reports_every_bad_part() {
        let errs = PersonName::parse("", "", "1").unwrap_err();
        assert_eq!(errs.iter().map(|e| e.0).collect::<Vec<_>>(), vec![NamePart::Given, NamePart::Surname]);
    }

    proptest! {
        #[test]
        fn parsed_names_are_fixed_points(s in "[\\p{L} '\\-]{0,50}") {
            if let Ok(n) = Surname::parse(&s) {
                // parsing the normalised form gives the same value
                prop_assert_eq!(Surname::parse(n.as_str()).unwrap(), n.clone());
                prop_assert!(n.as_str().chars().count() <= 35);
                prop_assert_eq!(n.as_str().trim(), n.as_str());
                prop_assert!(!n.as_str().contains("  "));
            }
        }

        #[test]
        fn any_letters_within_limit_are_accepted(s in "\\p{L}{1,35}") {
            // The limit applies after NFC, which can lengthen some presentation forms.
            prop_assume!(s.nfc().count() <= Surname::MAX);
            prop_assert!(Surname::parse(&s).is_ok());
        }

        #[test]
        fn never_panics(s in "\\PC{0,200}") {
            let _ = MiddleNames::parse(&s);
        }
    }
}
