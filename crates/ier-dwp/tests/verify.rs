//! The simulator end to end, over a 20,000-person population with ground
//! truth: exact details, each kind of dirty data the rules allow, and the
//! requests that must not match.

mod common;

use chrono::{Datelike, NaiveDate};
use common::{PEOPLE, simulator};
use ier_domain::{Address, DateOfBirth, GivenName, Nino, Surname, VerificationOutcome};
use ier_dwp::nicknames;
use ier_dwp::{CloseReason, Field, FieldEvidence, FieldResult, IdentityVerifier, Verification, VerificationRequest};
use ier_synth::Person;

fn people() -> impl Iterator<Item = Person> {
    simulator().population().people()
}

fn exact(p: &Person) -> VerificationRequest {
    simulator().request_for(p).expect("generated people parse")
}

fn verify(r: &VerificationRequest) -> Verification {
    simulator().verify_now(r)
}

/// Verified as a match, with exactly one close field for `field`, for `reason`.
#[track_caller]
fn assert_close_match(r: &VerificationRequest, field: Field, reason: CloseReason) {
    let v = verify(r);
    assert_eq!(v.outcome, VerificationOutcome::Match, "{}", v.describe());
    for e in &v.fields {
        let want = if e.field == field { FieldResult::Close { reason } } else { FieldResult::Exact };
        assert_eq!(e.result, want, "{}", v.describe());
    }
}

#[tokio::test]
async fn everyone_matches_with_their_own_exact_details() {
    let verifier: &dyn IdentityVerifier = simulator();
    let mut n = 0;
    for p in people() {
        let v = verifier.verify(&exact(&p)).await.unwrap();
        assert_eq!(v.outcome, VerificationOutcome::Match, "person {}", p.id);
        let want: Vec<FieldEvidence> =
            Field::ALL.into_iter().map(|f| FieldEvidence::new(f, FieldResult::Exact)).collect();
        assert_eq!(v.fields, want, "person {}", p.id);
        n += 1;
    }
    assert_eq!(n, PEOPLE);
}

#[test]
fn nicknames_match_as_close() {
    let mut checked = 0;
    for p in people() {
        let Some((_, nick)) = nicknames::rows().find(|(formal, _)| *formal == p.given) else {
            continue;
        };
        let mut r = exact(&p);
        r.given = GivenName::parse(nick).unwrap();
        assert_close_match(&r, Field::GivenName, CloseReason::Nickname);
        checked += 1;
    }
    assert!(checked > 500, "only {checked} people with a nickname");
}

/// One letter in the middle of the name replaced by another.
fn one_letter_typo(name: &str) -> Option<String> {
    let mut chars: Vec<char> = name.chars().collect();
    if chars.len() < 4 || !chars.iter().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let at = chars.len() / 2;
    chars[at] = if chars[at] == 'x' { 'q' } else { 'x' };
    Some(chars.into_iter().collect())
}

#[test]
fn one_letter_typos_match_as_close() {
    let (mut given, mut surname) = (0, 0);
    for p in people() {
        if let Some(typo) = one_letter_typo(&p.given) {
            let mut r = exact(&p);
            r.given = GivenName::parse(&typo).unwrap();
            assert_close_match(&r, Field::GivenName, CloseReason::Typo);
            given += 1;
        }
        if let Some(typo) = one_letter_typo(&p.surname) {
            let mut r = exact(&p);
            r.surname = Surname::parse(&typo).unwrap();
            assert_close_match(&r, Field::Surname, CloseReason::Typo);
            surname += 1;
        }
    }
    assert!(given > 10_000 && surname > 10_000, "{given} {surname}");
}

#[test]
fn dropped_accents_match_as_close() {
    let mut checked = 0;
    for p in people() {
        let plain = ier_synth::names::drop_accents(&p.given);
        if plain != p.given {
            let mut r = exact(&p);
            r.given = GivenName::parse(&plain).unwrap();
            assert_close_match(&r, Field::GivenName, CloseReason::AccentsOrCase);
            checked += 1;
        }
        let upper = p.surname.to_uppercase();
        if upper != p.surname {
            let mut r = exact(&p);
            r.surname = Surname::parse(&upper).unwrap();
            assert_close_match(&r, Field::Surname, CloseReason::AccentsOrCase);
        }
    }
    assert!(checked > 50, "only {checked} accented given names");
}

#[test]
fn day_and_month_swapped_match_as_close() {
    let mut checked = 0;
    for p in people() {
        let d = p.date_of_birth;
        let Some(swapped) = (d.day() != d.month())
            .then(|| NaiveDate::from_ymd_opt(d.year(), d.day(), d.month()))
            .flatten()
            .filter(|s| *s <= common::reference_date())
        else {
            continue;
        };
        let mut r = exact(&p);
        r.date_of_birth = DateOfBirth::from_date(swapped, common::reference_date()).unwrap();
        assert_close_match(&r, Field::DateOfBirth, CloseReason::DayMonthSwapped);
        checked += 1;
    }
    assert!(checked > 5_000, "only {checked}");
}

#[test]
fn the_other_surname_held_matches_as_close() {
    let mut checked = 0;
    for p in people() {
        let Some(other) = &p.alt_surname else {
            continue;
        };
        let mut r = exact(&p);
        r.surname = Surname::parse(other).unwrap();
        assert_close_match(&r, Field::Surname, CloseReason::PreviousSurname);
        checked += 1;
    }
    assert!(checked > 3_000, "only {checked}");
}

#[test]
fn the_previous_address_held_matches_as_close() {
    let mut checked = 0;
    for p in people() {
        let Some(previous) = &p.previous else {
            continue;
        };
        let a = &previous.address;
        let mut r = exact(&p);
        r.address = Address {
            uprn: Some(a.uprn),
            lines: vec![format!("{} {}", a.property, a.street)],
            town: a.town.clone(),
            postcode: a.postcode.clone(),
        };
        assert_close_match(&r, Field::Address, CloseReason::PreviousAddress);
        // Typed by hand, without the UPRN, it is still recognised.
        r.address.uprn = None;
        assert_close_match(&r, Field::Address, CloseReason::PreviousAddress);
        checked += 1;
    }
    assert!(checked > 1_000, "only {checked}");
}

#[test]
fn a_nino_not_held_is_no_match() {
    let sim = simulator();
    for (k, p) in people().take(2_000).enumerate() {
        let mut r = exact(&p);
        // A valid NINO that belongs to someone outside the reference population.
        r.nino = sim.population().nino(PEOPLE + k as u64);
        assert!(sim.lookup(&r.nino).is_none());
        let v = verify(&r);
        assert_eq!(v.outcome, VerificationOutcome::NoMatch);
        assert_eq!(v.fields, vec![FieldEvidence::new(Field::Nino, FieldResult::NotHeld)]);
    }
}

#[test]
fn a_held_nino_with_someone_elses_name_and_date_of_birth_is_no_match() {
    let sim = simulator();
    let mut checked = 0;
    for p in people().take(5_000) {
        let other = sim.population().person((p.id * 7_919 + 10_007) % PEOPLE);
        if other.household == p.household {
            continue;
        }
        let mut r = exact(&other);
        r.nino = p.nino.clone();
        let v = verify(&r);
        assert_eq!(v.outcome, VerificationOutcome::NoMatch, "{}", v.describe());
        assert_eq!(v.field(Field::Nino), Some(FieldResult::Exact));
        checked += 1;
    }
    assert!(checked > 4_900);
}

#[test]
fn the_nino_suffix_is_ignored() {
    for p in people().take(2_000) {
        let stem = p.nino.stem().to_owned();
        let current = p.nino.suffix();
        let other = ['A', 'B', 'C', 'D'].into_iter().find(|s| Some(*s) != current).unwrap();
        for nino in [stem.clone(), format!("{stem}{other}")] {
            let mut r = exact(&p);
            r.nino = Nino::parse(&nino).unwrap();
            let v = verify(&r);
            assert_eq!(v.outcome, VerificationOutcome::Match);
            assert_eq!(v.field(Field::Nino), Some(FieldResult::Exact));
        }
    }
}

#[test]
fn verification_is_deterministic() {
    let p = simulator().population().person(12_345);
    let r = exact(&p);
    let again = ier_dwp::DwpSimulator::new(ier_synth::Population::new(2014, PEOPLE, common::reference_date()).unwrap());
    assert_eq!(again.verify_now(&r), verify(&r));
    assert_eq!(again.lookup(&p.nino), Some(12_345));
}
