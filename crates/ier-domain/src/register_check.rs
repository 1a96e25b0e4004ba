//! Register checks: "is this applicant already on your register?", asked of the
//! council's Electoral Management Software for every application (so that the
//! ERO sees a duplicate at once: up to 70% of applications near a deadline come
//! from people already registered). The EMS answers with how many electors
//! matched and up to [`MAX_CANDIDATES`] of them; [`resolve`] turns the answer
//! into one [`RegisterCheckResult`], with the rules of the real register checker
//! (DOMAIN.md §8): 0 → no match; 2–10 → multiple; over 10 → too many; one →
//! pending determination (franchise `PENDING`), not started (registered from a
//! future date), expired (registered until a past date, unless the search was
//! historical), else exact (given name, surname and date of birth equal after
//! [`normalise_name`], and the address equal by UPRN or property + street +
//! postcode) or partial.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::application::ApplicantDetails;
use crate::geography::Uprn;

/// The most candidates an answer may carry.
pub const MAX_CANDIDATES: usize = 10;

/// What the check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RegisterCheckResult {
    ExactMatch,
    PartialMatch,
    MultipleMatch,
    TooManyMatches,
    NoMatch,
    PendingDetermination,
    NotStarted,
    Expired,
}

impl RegisterCheckResult {
    pub const ALL: [RegisterCheckResult; 8] = [
        Self::ExactMatch,
        Self::PartialMatch,
        Self::MultipleMatch,
        Self::TooManyMatches,
        Self::NoMatch,
        Self::PendingDetermination,
        Self::NotStarted,
        Self::Expired,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::ExactMatch => "exact-match",
            Self::PartialMatch => "partial-match",
            Self::MultipleMatch => "multiple-match",
            Self::TooManyMatches => "too-many-matches",
            Self::NoMatch => "no-match",
            Self::PendingDetermination => "pending-determination",
            Self::NotStarted => "not-started",
            Self::Expired => "expired",
        }
    }
}

impl std::str::FromStr for RegisterCheckResult {
    type Err = crate::application::UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or(crate::application::UnknownValue("register check result"))
    }
}

/// The franchise code an EMS gives an elector whose application is not yet determined.
pub const FRANCHISE_PENDING: &str = "PENDING";

/// An elector on the council's register, as its EMS describes them. Personal data:
/// stored sealed, never logged (`Debug` is redacted).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterCandidate {
    /// The EMS's own id for the elector.
    pub ems_elector_id: String,
    pub given_name: String,
    pub surname: String,
    pub date_of_birth: Option<NaiveDate>,
    pub uprn: Option<Uprn>,
    pub property: Option<String>,
    pub street: String,
    pub postcode: String,
    /// The elector's franchise on the register (`PENDING` while undetermined).
    pub franchise_code: String,
    pub registered_from: Option<NaiveDate>,
    pub registered_until: Option<NaiveDate>,
}

impl std::fmt::Debug for RegisterCandidate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RegisterCandidate(<redacted>)")
    }
}

/// Why an EMS's answer cannot be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error(
        "matchCount is {count} but {given} candidates were given: give one for each match when there are 1 to 10, none otherwise"
    )]
    CountMismatch { count: u32, given: usize },
    #[error("at most 10 candidates may be given")]
    TooManyCandidates,
}

/// Check that an answer's candidates agree with its count.
pub fn validate_answer(match_count: u32, candidates: &[RegisterCandidate]) -> Result<(), AnswerError> {
    if candidates.len() > MAX_CANDIDATES {
        return Err(AnswerError::TooManyCandidates);
    }
    let expected = if (1..=MAX_CANDIDATES as u32).contains(&match_count) { match_count as usize } else { 0 };
    if candidates.len() != expected {
        return Err(AnswerError::CountMismatch { count: match_count, given: candidates.len() });
    }
    Ok(())
}

/// What an answer means for this applicant, on `today`. `historical` searches
/// (for overseas applicants) also look at past registrations, so "expired" does
/// not apply to them. The answer must already have passed [`validate_answer`].
pub fn resolve(
    applicant: &ApplicantDetails,
    match_count: u32,
    candidates: &[RegisterCandidate],
    today: NaiveDate,
    historical: bool,
) -> RegisterCheckResult {
    match (match_count, candidates) {
        (0, _) => RegisterCheckResult::NoMatch,
        (1, [one]) => {
            if one.franchise_code.trim().eq_ignore_ascii_case(FRANCHISE_PENDING) {
                RegisterCheckResult::PendingDetermination
            } else if one.registered_from.is_some_and(|d| d > today) {
                RegisterCheckResult::NotStarted
            } else if !historical && one.registered_until.is_some_and(|d| d < today) {
                RegisterCheckResult::Expired
            } else if is_exact(applicant, one) {
                RegisterCheckResult::ExactMatch
            } else {
                RegisterCheckResult::PartialMatch
            }
        }
        (n, _) if n as usize > MAX_CANDIDATES => RegisterCheckResult::TooManyMatches,
        _ => RegisterCheckResult::MultipleMatch,
    }
}

/// Names compared as the register checker does: upper case, whitespace
/// collapsed, hyphens as spaces, apostrophes (straight or curly) dropped.
pub fn normalise_name(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '\'' | '’' | '‘'))
        .map(|c| if c == '-' { ' ' } else { c })
        .collect::<String>()
        // Lower, then upper: a plain upper-casing leaves signs such as the ohm
        // sign (Ω, which lower-cases to ω) apart from the letter they stand for.
        .to_lowercase()
        .to_uppercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn compact(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace() && *c != ',').flat_map(char::to_uppercase).collect()
}

fn is_exact(a: &ApplicantDetails, c: &RegisterCandidate) -> bool {
    let dob_equal = match (&a.birth, c.date_of_birth) {
        (crate::application::BirthDetails::Date(d), Some(cd)) => d.date() == cd,
        _ => false,
    };
    normalise_name(a.name.given.as_str()) == normalise_name(&c.given_name)
        && normalise_name(a.name.surname.as_str()) == normalise_name(&c.surname)
        && dob_equal
        && same_address(a, c)
}

fn same_address(a: &ApplicantDetails, c: &RegisterCandidate) -> bool {
    // UPRNs compare as numbers, so leading zeros do not matter.
    if let (Some(x), Some(y)) = (a.address.uprn, c.uprn) {
        return x.get() == y.get();
    }
    let ours = compact(&a.address.lines.join(" "));
    let first = compact(a.address.lines.first().map(String::as_str).unwrap_or(""));
    let theirs = compact(&format!("{} {}", c.property.as_deref().unwrap_or(""), c.street));
    compact(&a.address.postcode.to_string()) == compact(&c.postcode) && (ours == theirs || first == theirs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::application::{Address, BirthDetails, Contact, OrReason, OtherAddress, PostalVote};
    use crate::{DateOfBirth, GivenName, Nationality, PersonName, Postcode, Surname};
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
    }

    fn applicant() -> ApplicantDetails {
        ApplicantDetails {
            name: PersonName {
                given: GivenName::parse("Siân").unwrap(),
                middle: None,
                surname: Surname::parse("O'Brien-Jones").unwrap(),
            },
            previous_name: None,
            birth: BirthDetails::Date(
                DateOfBirth::from_date(NaiveDate::from_ymd_opt(1990, 9, 2).unwrap(), today()).unwrap(),
            ),
            nationality: Nationality::stated(true, false, vec![]).unwrap(),
            nino: OrReason::NotGiven { reason: "none".into() },
            address: Address {
                uprn: None,
                lines: vec!["12 Heol y Bont".into()],
                town: "Cardiff".into(),
                postcode: Postcode::parse("CF10 1EP").unwrap(),
            },
            previous_address: None,
            open_register: false,
            contact: Contact::default(),
            part: crate::KindDetails::Ordinary(crate::OrdinaryDetails {
                other_address: OtherAddress::None,
                was_overseas_voter: false,
                postal_vote: PostalVote::InPerson,
            }),
        }
    }

    fn candidate() -> RegisterCandidate {
        RegisterCandidate {
            ems_elector_id: "E-1".into(),
            given_name: "SIÂN".into(),
            surname: "O’BRIEN JONES".into(),
            date_of_birth: NaiveDate::from_ymd_opt(1990, 9, 2),
            uprn: None,
            property: Some("12".into()),
            street: "Heol y Bont".into(),
            postcode: "cf101ep".into(),
            franchise_code: "G".into(),
            registered_from: NaiveDate::from_ymd_opt(2020, 1, 1),
            registered_until: None,
        }
    }

    #[test]
    fn counts_decide_first() {
        let a = applicant();
        assert_eq!(resolve(&a, 0, &[], today(), false), RegisterCheckResult::NoMatch);
        let two = [candidate(), candidate()];
        assert_eq!(resolve(&a, 2, &two, today(), false), RegisterCheckResult::MultipleMatch);
        assert_eq!(resolve(&a, 11, &[], today(), false), RegisterCheckResult::TooManyMatches);
    }

    #[test]
    fn one_match_is_exact_only_when_names_birth_and_address_agree() {
        let a = applicant();
        assert_eq!(resolve(&a, 1, &[candidate()], today(), false), RegisterCheckResult::ExactMatch);
        let other_dob = RegisterCandidate { date_of_birth: NaiveDate::from_ymd_opt(1990, 2, 9), ..candidate() };
        assert_eq!(resolve(&a, 1, &[other_dob], today(), false), RegisterCheckResult::PartialMatch);
        let no_dob = RegisterCandidate { date_of_birth: None, ..candidate() };
        assert_eq!(resolve(&a, 1, &[no_dob], today(), false), RegisterCheckResult::PartialMatch);
        let other_street = RegisterCandidate { street: "Heol y Frenhines".into(), ..candidate() };
        assert_eq!(resolve(&a, 1, &[other_street], today(), false), RegisterCheckResult::PartialMatch);
        // By UPRN when both have one, whatever the lines say.
        let mut with_uprn = applicant();
        with_uprn.address.uprn = Some(Uprn::parse("100023336956").unwrap());
        let c =
            RegisterCandidate { uprn: Some(Uprn::parse("100023336956").unwrap()), street: "x".into(), ..candidate() };
        assert_eq!(resolve(&with_uprn, 1, &[c], today(), false), RegisterCheckResult::ExactMatch);
    }

    #[test]
    fn status_of_the_single_registration_comes_before_exactness() {
        let a = applicant();
        let pending = RegisterCandidate { franchise_code: "pending".into(), ..candidate() };
        assert_eq!(resolve(&a, 1, &[pending], today(), false), RegisterCheckResult::PendingDetermination);
        let future = RegisterCandidate { registered_from: NaiveDate::from_ymd_opt(2027, 1, 1), ..candidate() };
        assert_eq!(resolve(&a, 1, &[future], today(), false), RegisterCheckResult::NotStarted);
        let ended = RegisterCandidate { registered_until: NaiveDate::from_ymd_opt(2025, 1, 1), ..candidate() };
        assert_eq!(resolve(&a, 1, std::slice::from_ref(&ended), today(), false), RegisterCheckResult::Expired);
        assert_eq!(resolve(&a, 1, &[ended], today(), true), RegisterCheckResult::ExactMatch, "historical search");
    }

    #[test]
    fn answers_must_agree_with_their_count() {
        assert_eq!(validate_answer(0, &[]), Ok(()));
        assert_eq!(validate_answer(11, &[]), Ok(()));
        assert_eq!(validate_answer(1, &[candidate()]), Ok(()));
        assert_eq!(validate_answer(2, &[candidate()]), Err(AnswerError::CountMismatch { count: 2, given: 1 }));
        assert_eq!(validate_answer(0, &[candidate()]), Err(AnswerError::CountMismatch { count: 0, given: 1 }));
        assert_eq!(validate_answer(11, &vec![candidate(); 11]), Err(AnswerError::TooManyCandidates));
    }

    #[test]
    fn names_normalise_as_the_register_checker_does() {
        assert_eq!(normalise_name("  o'brien-jones "), "OBRIEN JONES");
        assert_eq!(normalise_name("O’Brien   Jones"), "OBRIEN JONES");
        assert_eq!(normalise_name("siân"), "SIÂN");
        assert_eq!(normalise_name("\u{2126}"), normalise_name("\u{3a9}"), "the ohm sign is the letter omega");
    }

    proptest! {
        #[test]
        fn normalising_is_idempotent_and_case_blind(s in "\\PC{0,40}") {
            let n = normalise_name(&s);
            prop_assert_eq!(normalise_name(&n), n.clone());
            prop_assert_eq!(normalise_name(&s.to_lowercase()), normalise_name(&s.to_uppercase()));
        }

        #[test]
        fn every_valid_answer_resolves_to_a_result_consistent_with_its_count(count in 0u32..30, n in 0usize..3) {
            let cands = vec![candidate(); if (1..=10).contains(&count) { count as usize } else { 0 }];
            prop_assume!(n == 0 || validate_answer(count, &cands).is_ok());
            let r = resolve(&applicant(), count, &cands, today(), false);
            match count {
                0 => prop_assert_eq!(r, RegisterCheckResult::NoMatch),
                1 => prop_assert!(!matches!(r, RegisterCheckResult::NoMatch | RegisterCheckResult::MultipleMatch | RegisterCheckResult::TooManyMatches)),
                2..=10 => prop_assert_eq!(r, RegisterCheckResult::MultipleMatch),
                _ => prop_assert_eq!(r, RegisterCheckResult::TooManyMatches),
            }
        }
    }
}
