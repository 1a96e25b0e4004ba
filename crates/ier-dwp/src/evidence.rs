//! What a verification found, field by field, for the ERO.
//!
//! Evidence is made only of enums: it can be stored, logged and shown to ERO
//! staff without carrying any personal data. [`Verification::describe`] and
//! [`FieldEvidence::describe`] render it in plain English from fixed phrases.

use ier_domain::VerificationOutcome;
use serde::{Deserialize, Serialize};

/// A field compared with DWP's record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Field {
    Nino,
    Surname,
    GivenName,
    DateOfBirth,
    Address,
}

impl Field {
    pub const ALL: [Field; 5] = [Self::Nino, Self::Surname, Self::GivenName, Self::DateOfBirth, Self::Address];

    /// The field's name in plain English.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Nino => "National Insurance number",
            Self::Surname => "Surname",
            Self::GivenName => "Given name",
            Self::DateOfBirth => "Date of birth",
            Self::Address => "Address",
        }
    }
}

/// Why a field that is not identical still counts as close.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CloseReason {
    /// A familiar form of the name held (William / Bill).
    Nickname,
    /// A small spelling difference (one edit, or Jaro-Winkler at or above the threshold).
    Typo,
    /// The same once accents, capitals, spaces, hyphens and apostrophes are ignored.
    AccentsOrCase,
    /// The date with its day and month swapped.
    DayMonthSwapped,
    /// The other surname DWP holds (maiden name, partner's name).
    PreviousSurname,
    /// The previous surname the applicant gave is the surname DWP holds.
    PreviousSurnameGiven,
    /// One part of a double-barrelled surname, or the whole of one when DWP holds a part.
    DoubleBarrelled,
    /// The given name is one of the middle names DWP holds.
    KnownByMiddleName,
    /// The previous address DWP holds.
    PreviousAddress,
    /// A different property at the postcode DWP holds.
    SamePostcode,
}

impl CloseReason {
    pub const ALL: [CloseReason; 10] = [
        Self::Nickname,
        Self::Typo,
        Self::AccentsOrCase,
        Self::DayMonthSwapped,
        Self::PreviousSurname,
        Self::PreviousSurnameGiven,
        Self::DoubleBarrelled,
        Self::KnownByMiddleName,
        Self::PreviousAddress,
        Self::SamePostcode,
    ];

    /// What the reason means, in plain English.
    pub fn describe(&self) -> &'static str {
        match self {
            Self::Nickname => "a familiar form of the name held",
            Self::Typo => "matches apart from a small spelling difference",
            Self::AccentsOrCase => "matches apart from accents, capitals or punctuation",
            Self::DayMonthSwapped => "day and month transposed",
            Self::PreviousSurname => "matches the previous surname held",
            Self::PreviousSurnameGiven => "the previous surname given matches the surname held",
            Self::DoubleBarrelled => "matches one part of a double-barrelled surname",
            Self::KnownByMiddleName => "matches a middle name held",
            Self::PreviousAddress => "matches the previous address held",
            Self::SamePostcode => "same postcode as the address held, different property",
        }
    }
}

/// How one field compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum FieldResult {
    Exact,
    Close {
        reason: CloseReason,
    },
    Different,
    /// DWP holds nothing to compare with.
    NotHeld,
}

impl FieldResult {
    /// Exact or close.
    pub fn agrees(&self) -> bool {
        matches!(self, Self::Exact | Self::Close { .. })
    }
}

/// One field's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FieldEvidence {
    pub field: Field,
    pub result: FieldResult,
}

impl FieldEvidence {
    pub fn new(field: Field, result: FieldResult) -> Self {
        Self { field, result }
    }

    /// "Surname: matches the previous surname held".
    pub fn describe(&self) -> String {
        let what = match (self.field, self.result) {
            (_, FieldResult::Exact) => "matches",
            (_, FieldResult::Close { reason }) => reason.describe(),
            (_, FieldResult::Different) => "does not match",
            (Field::Nino, FieldResult::NotHeld) => "not held by DWP",
            (_, FieldResult::NotHeld) => "nothing held to compare",
        };
        format!("{}: {what}", self.field.label())
    }
}

/// The answer to one verification request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    pub outcome: VerificationOutcome,
    pub fields: Vec<FieldEvidence>,
}

impl Verification {
    /// The result for `field`, if it was compared.
    pub fn field(&self, field: Field) -> Option<FieldResult> {
        self.fields.iter().find(|e| e.field == field).map(|e| e.result)
    }

    /// The reasons of every close field, in field order.
    pub fn close_reasons(&self) -> Vec<CloseReason> {
        self.fields
            .iter()
            .filter_map(|e| match e.result {
                FieldResult::Close { reason } => Some(reason),
                _ => None,
            })
            .collect()
    }

    /// The outcome and one line per field, for the ERO.
    pub fn describe(&self) -> String {
        let mut s = String::from(match self.outcome {
            VerificationOutcome::Match => "Result: match",
            VerificationOutcome::NoMatch => "Result: no match",
        });
        for e in &self.fields {
            s.push('\n');
            s.push_str(&e.describe());
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn every_result() -> Vec<FieldResult> {
        let mut all = vec![FieldResult::Exact, FieldResult::Different, FieldResult::NotHeld];
        all.extend(CloseReason::ALL.map(|reason| FieldResult::Close { reason }));
        all
    }

    #[test]
    fn descriptions_read_as_plain_english() {
        let e = FieldEvidence::new(Field::Surname, FieldResult::Close { reason: CloseReason::PreviousSurname });
        assert_eq!(e.describe(), "Surname: matches the previous surname held");
        let e = FieldEvidence::new(Field::DateOfBirth, FieldResult::Close { reason: CloseReason::DayMonthSwapped });
        assert_eq!(e.describe(), "Date of birth: day and month transposed");
        let v = Verification {
            outcome: VerificationOutcome::NoMatch,
            fields: vec![FieldEvidence::new(Field::Nino, FieldResult::NotHeld)],
        };
        assert_eq!(v.describe(), "Result: no match\nNational Insurance number: not held by DWP");
    }

    #[test]
    fn every_description_is_distinct_and_carries_no_digits() {
        let mut seen = HashSet::new();
        for field in Field::ALL {
            for result in every_result() {
                let text = FieldEvidence::new(field, result).describe();
                assert!(!text.chars().any(|c| c.is_ascii_digit()), "{text}");
                assert!(seen.insert(text.clone()), "{text} repeated");
            }
        }
        assert_eq!(seen.len(), 5 * 13);
    }

    #[test]
    fn debug_shows_enum_names_only() {
        let e = FieldEvidence::new(Field::GivenName, FieldResult::Close { reason: CloseReason::Nickname });
        assert_eq!(debug_words(&e), "GivenName Close Nickname");
    }

    fn debug_words(e: &FieldEvidence) -> String {
        format!("{e:?}")
            .replace(['{', '}', ':', ','], " ")
            .split_whitespace()
            .filter(|w| !matches!(*w, "FieldEvidence" | "field" | "result" | "reason"))
            .collect::<Vec<_>>()
            .join(" ")
    }
}
