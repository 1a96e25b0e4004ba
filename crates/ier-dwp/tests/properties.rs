//! Properties over generated requests: verification never panics, and what
//! it says for the ERO never repeats the applicant's personal data. Also a
//! realistic noisy applicant stream, scored against the ground truth.

mod common;

use chrono::NaiveDate;
use common::{PEOPLE, reference_date, simulator};
use ier_domain::{Address, DateOfBirth, GivenName, MiddleNames, Nino, Postcode, Surname, VerificationOutcome};
use ier_dwp::{FieldResult, Verification, VerificationRequest};
use ier_synth::NoiseModel;
use proptest::prelude::*;

fn valid_nino() -> impl Strategy<Value = Nino> {
    ("[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][0-9]{6}[A-D]?").prop_filter_map("never issued", |s| Nino::parse(&s).ok())
}

/// Either an arbitrary NINO (almost never held) or the NINO of a held person.
fn nino() -> impl Strategy<Value = Nino> {
    prop_oneof![valid_nino(), (0..PEOPLE).prop_map(|i| simulator().population().nino(i)),]
}

fn postcode() -> impl Strategy<Value = Postcode> {
    prop_oneof!["[A-PR-UWYZ][A-HK-Y]?[0-9]{1,2} [0-9][ABD-HJLNP-UW-Z]{2}", "BFPO [0-9]{1,4}",]
        .prop_filter_map("valid postcode", |s| Postcode::parse(&s).ok())
}

fn date_of_birth() -> impl Strategy<Value = DateOfBirth> {
    (0i64..40_000).prop_map(|days| {
        let date = reference_date() - chrono::Duration::days(days);
        DateOfBirth::from_date(date, reference_date()).unwrap()
    })
}

/// Names in any script, or plain Latin ones starting with a capital that
/// `describe` never uses (Q, X, Z), so a leak would be visible.
fn name_text() -> impl Strategy<Value = String> {
    prop_oneof!["[QXZ][a-zà-ÿ' -]{2,20}[a-z]", "\\p{L}[\\p{L}\\p{M}' .-]{0,40}"]
}

fn request() -> impl Strategy<Value = VerificationRequest> {
    (
        nino(),
        name_text().prop_filter_map("given", |s| GivenName::parse(&s).ok()),
        proptest::option::of(name_text().prop_filter_map("middle", |s| MiddleNames::parse(&s).ok())),
        name_text().prop_filter_map("surname", |s| Surname::parse(&s).ok()),
        proptest::option::of(name_text().prop_filter_map("surname", |s| Surname::parse(&s).ok())),
        date_of_birth(),
        (proptest::collection::vec("\\PC{0,40}", 0..4), "\\PC{0,20}", postcode()),
    )
        .prop_map(|(nino, given, middle, surname, previous_surname, dob, (lines, town, postcode))| {
            VerificationRequest {
                nino,
                given,
                middle,
                surname,
                previous_surname,
                date_of_birth: dob,
                address: Address { uprn: None, lines, town, postcode },
            }
        })
}

/// Nothing of the request appears in the ERO's explanation.
fn assert_no_personal_data(r: &VerificationRequest, v: &Verification) {
    let text = v.describe();
    assert!(!text.chars().any(|c| c.is_ascii_digit()), "digits in {text}");
    let mut secrets = vec![
        r.nino.compact(),
        r.nino.stem().to_owned(),
        r.nino.to_string(),
        r.given.to_string(),
        r.surname.to_string(),
        r.date_of_birth.to_string(),
        r.address.postcode.to_string(),
        r.address.postcode.outward().to_owned(),
    ];
    secrets.extend(r.previous_surname.iter().map(|s| s.to_string()));
    for s in secrets {
        // Short names ("Al", "Ma") are inside ordinary words; the digit check covers codes.
        if s.chars().count() >= 3 {
            assert!(!text.contains(&s), "the explanation repeats personal data");
        }
    }
    assert!(!format!("{v:?}").chars().any(|c| c.is_ascii_digit()));
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn verification_never_panics_and_never_leaks(r in request()) {
        let v = simulator().verify_now(&r);
        prop_assert!(!v.fields.is_empty());
        prop_assert_eq!(v.outcome, ier_dwp::decide(&v.fields));
        if simulator().lookup(&r.nino).is_none() {
            prop_assert_eq!(v.outcome, VerificationOutcome::NoMatch);
        }
        assert_no_personal_data(&r, &v);
    }
}

fn parse_record(m: &ier_synth::MatchRecord) -> Option<VerificationRequest> {
    let dob = NaiveDate::parse_from_str(&m.date_of_birth, "%Y-%m-%d").ok()?;
    let lines = [&m.address_line_1, &m.address_line_2].into_iter().filter(|l| !l.is_empty()).cloned().collect();
    Some(VerificationRequest {
        nino: Nino::parse(&m.nino).ok()?,
        given: GivenName::parse(&m.given_name).ok()?,
        middle: MiddleNames::parse(&m.middle_names).ok(),
        surname: Surname::parse(&m.surname).ok()?,
        previous_surname: None,
        date_of_birth: DateOfBirth::from_date(dob, reference_date()).ok()?,
        address: Address { uprn: None, lines, town: m.town.clone(), postcode: Postcode::parse(&m.postcode).ok()? },
    })
}

/// A realistic applicant stream (ier-synth's noise model): no false matches,
/// and nearly every applicant DWP knows, with a NINO and date of birth, matches.
#[test]
fn realistic_applicants_against_the_ground_truth() {
    let sim = simulator();
    let (mut requests, mut true_match, mut false_non_match, mut false_match) = (0, 0, 0, 0);
    let mut address_not_exact = 0;
    for record in sim.population().applicants(&NoiseModel::realistic()).unwrap() {
        // No NINO or no date of birth: the exceptions path, nothing sent to DWP.
        let Some(r) = parse_record(&record.record) else {
            continue;
        };
        requests += 1;
        let v = sim.verify_now(&r);
        assert_no_personal_data(&r, &v);
        let held = sim.lookup(&r.nino);
        let is_person = record.person_id.is_some() && held == record.person_id;
        match (v.outcome, is_person) {
            (VerificationOutcome::Match, true) => true_match += 1,
            (VerificationOutcome::Match, false) => false_match += 1,
            (VerificationOutcome::NoMatch, true) => false_non_match += 1,
            (VerificationOutcome::NoMatch, false) => {}
        }
        if v.outcome == VerificationOutcome::Match && v.field(ier_dwp::Field::Address) != Some(FieldResult::Exact) {
            address_not_exact += 1;
        }
    }
    let genuine = true_match + false_non_match;
    println!(
        "requests {requests}, genuine {genuine}, matched {true_match}, \
         false non-matches {false_non_match}, false matches {false_match}, \
         matched with a non-exact address {address_not_exact}"
    );
    assert!(requests > 15_000);
    assert_eq!(false_match, 0, "a wrong person confirmed");
    assert!(false_non_match * 100 <= genuine, "{false_non_match} of {genuine} genuine applicants not matched");
}
