//! The matching rules: how a request is compared with the record DWP holds,
//! and the decision.
//!
//! Each field comparison tries its tests in the order of its table below and
//! reports the first that holds; names are compared in [`normalise`]d form
//! (accents, case, spaces, hyphens and apostrophes ignored) unless "as typed".
//!
//! | field | result, in order of trial |
//! | --- | --- |
//! | NINO | Exact when the stem is held (the suffix is ignored, [`Nino::same_person`]); otherwise NotHeld and nothing else is compared |
//! | given name | Exact (as typed) · AccentsOrCase · Nickname ([`crate::nicknames`]) · KnownByMiddleName (equals one held middle name) · Typo ([`TYPO_JARO_WINKLER`] or one edit when both have at least [`TYPO_ONE_EDIT_MIN_LEN`] letters) · Different |
//! | surname | Exact (as typed) · AccentsOrCase · PreviousSurname (the other surname held) · PreviousSurnameGiven (the applicant's previous surname is the one held) · DoubleBarrelled (all the words of one are words of the other, held surname or other surname) · Typo (as for given names, against the held surname) · Different |
//! | date of birth | Exact · DayMonthSwapped (day ≠ month, swapping them gives the held date) · Different |
//! | address | Exact (same UPRN, or same postcode and same first lines) · PreviousAddress (the same test against the previous address held) · SamePostcode (the held postcode, another property) · Different |
//!
//! The decision is [`decide`].

use chrono::{Datelike, NaiveDate};
use ier_domain::{Address, Nino, Postcode, Uprn, VerificationOutcome};

use crate::evidence::{CloseReason, Field, FieldEvidence, FieldResult, Verification};
use crate::nicknames::is_nickname_pair;
use crate::normalise::{compact, jaro_winkler, normalise, one_edit_apart, words};
use crate::request::VerificationRequest;

/// Jaro-Winkler similarity (of normalised names) at or above which a name is a typo of the other.
pub const TYPO_JARO_WINKLER: f64 = 0.90;
/// Names at least this long (normalised, without spaces) may also be a typo by one edit.
pub const TYPO_ONE_EDIT_MIN_LEN: usize = 4;

/// An address as DWP holds it.
#[derive(Clone, PartialEq, Eq)]
pub struct HeldAddress {
    pub uprn: Option<Uprn>,
    /// Property and street: "Flat 2, 14 High Street".
    pub first_line: String,
    pub locality: Option<String>,
    pub town: String,
    pub postcode: Postcode,
}

/// The record DWP holds for one NINO.
#[derive(Clone, PartialEq, Eq)]
pub struct HeldIdentity {
    pub nino: Nino,
    pub given: String,
    pub middle: Option<String>,
    pub surname: String,
    /// Another surname the person is known by (maiden name, partner's name).
    pub other_surname: Option<String>,
    pub date_of_birth: NaiveDate,
    pub address: HeldAddress,
    pub previous_address: Option<HeldAddress>,
}

/// Personal data: never printed by `{:?}`.
impl std::fmt::Debug for HeldIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HeldIdentity(<redacted>)")
    }
}

/// Personal data: never printed by `{:?}`.
impl std::fmt::Debug for HeldAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HeldAddress({:?})", self.postcode)
    }
}

/// Compare a request with the record held for its NINO (`None`: no record).
pub fn verify_against(request: &VerificationRequest, held: Option<&HeldIdentity>) -> Verification {
    let Some(held) = held.filter(|h| h.nino.same_person(&request.nino)) else {
        let fields = vec![FieldEvidence::new(Field::Nino, FieldResult::NotHeld)];
        return Verification { outcome: decide(&fields), fields };
    };
    let fields = vec![
        FieldEvidence::new(Field::Nino, FieldResult::Exact),
        FieldEvidence::new(Field::Surname, compare_surname(request, held)),
        FieldEvidence::new(Field::GivenName, compare_given(request.given.as_str(), held)),
        FieldEvidence::new(Field::DateOfBirth, compare_date_of_birth(request.date_of_birth.date(), held.date_of_birth)),
        FieldEvidence::new(Field::Address, compare_address(&request.address, held)),
    ];
    Verification { outcome: decide(&fields), fields }
}

/// The decision, from the field evidence. **Match** only when every rule holds:
///
/// - **R1 NINO held**: DWP has a record for the NINO (suffix ignored);
/// - **R2 date of birth**: Exact, or Close because day and month are transposed;
/// - **R3 surname**: Exact or Close (any reason);
/// - **R4 given name**: Exact or Close (any reason);
/// - **R5 address never blocks**: it is reported for the ERO, whatever it is.
///
/// Otherwise **NoMatch**. A field missing from the evidence fails its rule.
pub fn decide(fields: &[FieldEvidence]) -> VerificationOutcome {
    let result = |field| fields.iter().find(|e| e.field == field).map(|e| e.result);
    let r1_nino_held = result(Field::Nino) == Some(FieldResult::Exact);
    let r2_date_of_birth = matches!(
        result(Field::DateOfBirth),
        Some(FieldResult::Exact | FieldResult::Close { reason: CloseReason::DayMonthSwapped })
    );
    let r3_surname = result(Field::Surname).is_some_and(|r| r.agrees());
    let r4_given_name = result(Field::GivenName).is_some_and(|r| r.agrees());
    if r1_nino_held && r2_date_of_birth && r3_surname && r4_given_name {
        VerificationOutcome::Match
    } else {
        VerificationOutcome::NoMatch
    }
}

fn close(reason: CloseReason) -> FieldResult {
    FieldResult::Close { reason }
}

/// A spelling slip: see [`TYPO_JARO_WINKLER`] and [`TYPO_ONE_EDIT_MIN_LEN`].
pub fn is_typo(a: &str, b: &str) -> bool {
    let (a, b) = (compact(a), compact(b));
    if a.is_empty() || b.is_empty() || a == b {
        return false;
    }
    jaro_winkler(&a, &b) >= TYPO_JARO_WINKLER
        || (a.chars().count().min(b.chars().count()) >= TYPO_ONE_EDIT_MIN_LEN && one_edit_apart(&a, &b))
}

fn same_normalised(a: &str, b: &str) -> bool {
    let a = compact(a);
    !a.is_empty() && a == compact(b)
}

/// The given-name row of the rules table.
pub fn compare_given(given: &str, held: &HeldIdentity) -> FieldResult {
    if given == held.given {
        FieldResult::Exact
    } else if same_normalised(given, &held.given) {
        close(CloseReason::AccentsOrCase)
    } else if is_nickname_pair(given, &held.given) {
        close(CloseReason::Nickname)
    } else if held.middle.as_deref().is_some_and(|m| m.split(' ').any(|part| same_normalised(given, part))) {
        close(CloseReason::KnownByMiddleName)
    } else if is_typo(given, &held.given) {
        close(CloseReason::Typo)
    } else {
        FieldResult::Different
    }
}

/// All the words of the shorter name are words of the longer, which has more.
fn one_part_of(a: &str, b: &str) -> bool {
    let (wa, wb) = (words(a), words(b));
    let (short, long) = if wa.len() <= wb.len() { (wa, wb) } else { (wb, wa) };
    !short.is_empty() && long.len() > short.len() && short.iter().all(|w| long.contains(w))
}

/// The surname row of the rules table.
pub fn compare_surname(request: &VerificationRequest, held: &HeldIdentity) -> FieldResult {
    let surname = request.surname.as_str();
    let other = held.other_surname.as_deref();
    if surname == held.surname {
        FieldResult::Exact
    } else if same_normalised(surname, &held.surname) {
        close(CloseReason::AccentsOrCase)
    } else if other.is_some_and(|o| same_normalised(surname, o)) {
        close(CloseReason::PreviousSurname)
    } else if request.previous_surname.as_ref().is_some_and(|p| same_normalised(p.as_str(), &held.surname)) {
        close(CloseReason::PreviousSurnameGiven)
    } else if one_part_of(surname, &held.surname) || other.is_some_and(|o| one_part_of(surname, o)) {
        close(CloseReason::DoubleBarrelled)
    } else if is_typo(surname, &held.surname) {
        close(CloseReason::Typo)
    } else {
        FieldResult::Different
    }
}

/// The date-of-birth row of the rules table.
pub fn compare_date_of_birth(given: NaiveDate, held: NaiveDate) -> FieldResult {
    if given == held {
        return FieldResult::Exact;
    }
    let swapped = (given.day() != given.month())
        .then(|| NaiveDate::from_ymd_opt(given.year(), given.day(), given.month()))
        .flatten();
    if swapped == Some(held) { close(CloseReason::DayMonthSwapped) } else { FieldResult::Different }
}

/// The applicant's address lines in comparable form.
fn address_text(lines: &[String]) -> String {
    normalise(&lines.join(" "))
}

fn same_address(address: &Address, held: &HeldAddress) -> bool {
    if let (Some(a), Some(b)) = (address.uprn, held.uprn)
        && a == b
    {
        return true;
    }
    if address.postcode != held.postcode {
        return false;
    }
    let text = address_text(&address.lines);
    let first = normalise(&held.first_line);
    text == first || held.locality.as_deref().is_some_and(|l| text == normalise(&format!("{} {l}", held.first_line)))
}

/// The address row of the rules table.
pub fn compare_address(address: &Address, held: &HeldIdentity) -> FieldResult {
    if same_address(address, &held.address) {
        FieldResult::Exact
    } else if held.previous_address.as_ref().is_some_and(|p| same_address(address, p)) {
        close(CloseReason::PreviousAddress)
    } else if address.postcode == held.address.postcode {
        close(CloseReason::SamePostcode)
    } else {
        FieldResult::Different
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ier_domain::{DateOfBirth, GivenName, Surname};

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn held() -> HeldIdentity {
        HeldIdentity {
            nino: Nino::parse("AB123456C").unwrap(),
            given: "William".into(),
            middle: Some("Dafydd Rhys".into()),
            surname: "Pryce-Jones".into(),
            other_surname: Some("Llewellyn".into()),
            date_of_birth: d(1980, 3, 7),
            address: HeldAddress {
                uprn: Some(Uprn::new(900_000_000_101).unwrap()),
                first_line: "14 High Street".into(),
                locality: Some("Canton".into()),
                town: "Cardiff".into(),
                postcode: Postcode::parse("CF10 1EP").unwrap(),
            },
            previous_address: Some(HeldAddress {
                uprn: Some(Uprn::new(900_000_000_202).unwrap()),
                first_line: "2 Mill Lane".into(),
                locality: None,
                town: "Cardiff".into(),
                postcode: Postcode::parse("CF11 6AA").unwrap(),
            }),
        }
    }

    fn request(given: &str, surname: &str, dob: NaiveDate) -> VerificationRequest {
        VerificationRequest {
            nino: Nino::parse("AB123456").unwrap(),
            given: GivenName::parse(given).unwrap(),
            middle: None,
            surname: Surname::parse(surname).unwrap(),
            previous_surname: None,
            date_of_birth: DateOfBirth::from_date(dob, d(2026, 1, 1)).unwrap(),
            address: Address {
                uprn: None,
                lines: vec!["14 High Street".into()],
                town: "Cardiff".into(),
                postcode: Postcode::parse("CF10 1EP").unwrap(),
            },
        }
    }

    fn given(name: &str) -> FieldResult {
        compare_given(name, &held())
    }

    fn surname(name: &str) -> FieldResult {
        compare_surname(&request("William", name, d(1980, 3, 7)), &held())
    }

    #[test]
    fn given_name_rules_in_order() {
        assert_eq!(given("William"), FieldResult::Exact);
        assert_eq!(given("WILLIAM"), close(CloseReason::AccentsOrCase));
        assert_eq!(given("Bill"), close(CloseReason::Nickname));
        assert_eq!(given("Rhys"), close(CloseReason::KnownByMiddleName));
        assert_eq!(given("Wiliam"), close(CloseReason::Typo));
        assert_eq!(given("Willaim"), close(CloseReason::Typo));
        assert_eq!(given("Robert"), FieldResult::Different);
        assert_eq!(given("Dafydd Rhys"), FieldResult::Different, "not one middle name");
    }

    #[test]
    fn surname_rules_in_order() {
        assert_eq!(surname("Pryce-Jones"), FieldResult::Exact);
        assert_eq!(surname("Pryce Jones"), close(CloseReason::AccentsOrCase));
        assert_eq!(surname("PRYCEJONES"), close(CloseReason::AccentsOrCase));
        assert_eq!(surname("Llewellyn"), close(CloseReason::PreviousSurname));
        assert_eq!(surname("Jones"), close(CloseReason::DoubleBarrelled));
        assert_eq!(surname("Pryce"), close(CloseReason::DoubleBarrelled));
        assert_eq!(surname("Pryce-Jonse"), close(CloseReason::Typo));
        assert_eq!(surname("Smith"), FieldResult::Different);
        let mut r = request("William", "Morgan", d(1980, 3, 7));
        r.previous_surname = Some(Surname::parse("Pryce-Jones").unwrap());
        assert_eq!(compare_surname(&r, &held()), close(CloseReason::PreviousSurnameGiven));
    }

    #[test]
    fn short_names_need_jaro_winkler_not_one_edit() {
        // Three letters: one substitution is too much to call a typo.
        assert!(!is_typo("Amy", "Ami"));
        assert!(is_typo("Jones", "Jnoes"));
        assert!(is_typo("John", "Jonh"));
        assert!(!is_typo("Hill", "Hill"));
        assert!(!is_typo("Smith", "Jones"));
    }

    #[test]
    fn date_of_birth_swaps_only_when_day_and_month_differ() {
        let held = d(1980, 3, 7);
        assert_eq!(compare_date_of_birth(held, held), FieldResult::Exact);
        assert_eq!(compare_date_of_birth(d(1980, 7, 3), held), close(CloseReason::DayMonthSwapped));
        assert_eq!(compare_date_of_birth(d(1981, 7, 3), held), FieldResult::Different);
        assert_eq!(compare_date_of_birth(d(1980, 3, 8), held), FieldResult::Different);
        assert_eq!(compare_date_of_birth(d(1980, 3, 3), d(1980, 3, 3)), FieldResult::Exact);
    }

    #[test]
    fn address_rules_in_order() {
        let h = held();
        let mut a = request("William", "Pryce-Jones", d(1980, 3, 7)).address;
        assert_eq!(compare_address(&a, &h), FieldResult::Exact);
        a.lines = vec!["14 High St".into()];
        assert_eq!(compare_address(&a, &h), close(CloseReason::SamePostcode));
        a.uprn = h.address.uprn;
        assert_eq!(compare_address(&a, &h), FieldResult::Exact, "UPRN decides");
        a.uprn = None;
        a.lines = vec!["14 High Street".into(), "Canton".into()];
        assert_eq!(compare_address(&a, &h), FieldResult::Exact);
        a.lines = vec!["2 Mill Lane".into()];
        a.postcode = Postcode::parse("cf116aa").unwrap();
        assert_eq!(compare_address(&a, &h), close(CloseReason::PreviousAddress));
        a.postcode = Postcode::parse("SW1A 1AA").unwrap();
        assert_eq!(compare_address(&a, &h), FieldResult::Different);
    }

    #[test]
    fn decision_rules() {
        let h = held();
        let verify = |r: &VerificationRequest| verify_against(r, Some(&h));
        let ok = request("Bill", "Llewellyn", d(1980, 7, 3));
        let v = verify(&ok);
        assert_eq!(v.outcome, VerificationOutcome::Match, "{}", v.describe());
        assert_eq!(
            v.close_reasons(),
            vec![CloseReason::PreviousSurname, CloseReason::Nickname, CloseReason::DayMonthSwapped]
        );
        // R2: a different date of birth blocks.
        let v = verify(&request("William", "Pryce-Jones", d(1980, 3, 8)));
        assert_eq!(v.outcome, VerificationOutcome::NoMatch);
        // R3 and R4.
        let v = verify(&request("William", "Smith", d(1980, 3, 7)));
        assert_eq!(v.outcome, VerificationOutcome::NoMatch);
        let v = verify(&request("Robert", "Pryce-Jones", d(1980, 3, 7)));
        assert_eq!(v.outcome, VerificationOutcome::NoMatch);
        // R5: an unknown address still matches, and is reported.
        let mut r = request("William", "Pryce-Jones", d(1980, 3, 7));
        r.address.postcode = Postcode::parse("SW1A 1AA").unwrap();
        let v = verify(&r);
        assert_eq!(v.outcome, VerificationOutcome::Match);
        assert_eq!(v.field(Field::Address), Some(FieldResult::Different));
        // R1: no record, or a record for another NINO.
        let v = verify_against(&r, None);
        assert_eq!(v.outcome, VerificationOutcome::NoMatch);
        assert_eq!(v.fields, vec![FieldEvidence::new(Field::Nino, FieldResult::NotHeld)]);
        r.nino = Nino::parse("AB654321C").unwrap();
        assert_eq!(verify(&r).field(Field::Nino), Some(FieldResult::NotHeld));
    }

    #[test]
    fn decide_fails_closed_on_missing_fields() {
        assert_eq!(decide(&[]), VerificationOutcome::NoMatch);
        let only_nino = [FieldEvidence::new(Field::Nino, FieldResult::Exact)];
        assert_eq!(decide(&only_nino), VerificationOutcome::NoMatch);
    }

    #[test]
    fn debug_is_redacted() {
        let text = format!("{:?}", held());
        assert!(!text.contains("William") && !text.contains("1980"));
        let text = format!("{:?}", held().address);
        assert!(!text.contains("High") && !text.contains("1EP"));
    }
}
