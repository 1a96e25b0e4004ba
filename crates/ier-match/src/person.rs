//! Keys that find one person across records without holding the records:
//! the normalised forms of [`crate::fields`] and the name variants of
//! [`crate::variants`], joined into short strings that a caller turns into
//! keyed digests (HMAC) and keeps instead of the names, date of birth and
//! address (the registered-electors index; earlier applications).
//!
//! A digest only matches exactly, so the comparisons the linkage model makes
//! by degree (Jaro-Winkler, one edit) cannot apply; what can is done before
//! hashing. Names, postcodes and address lines are put in their comparable
//! forms ("Siân O'Brien" = "SIAN OBRIEN"; "Flat 2, 14 High St" = "14 High
//! Street Flat 2"), and a stored record carries a key for each listed variant
//! or familiar form of its given name, so a look-up as "Bill" finds a
//! "William" (and "Dafydd" a "David") with one key of its own.
//!
//! Each key says what a match means ([`Scope`]): the same person at the same
//! address (names, date of birth and address; or NINO and address), or the
//! same person anywhere (NINO alone, for applications, not for "am I
//! registered here?").

use crate::fields::{address_key, address_numbers, address_words, id_key, name_key, postcode_key};
use crate::normalise::compact;
use crate::variants::variants_of_compact;

/// One person's details as given (any case, spacing or accents).
#[derive(Clone, Copy, Default)]
pub struct Person<'a> {
    /// Given names (the first one is used).
    pub given: &'a str,
    pub surname: &'a str,
    /// `YYYY-MM-DD`, when known.
    pub date_of_birth: Option<&'a str>,
    pub postcode: &'a str,
    /// Address lines 1 and 2 (house name or number, flat, street).
    pub line1: &'a str,
    pub line2: &'a str,
    /// The address's UPRN, when known.
    pub uprn: Option<u64>,
    /// A National Insurance number, when known.
    pub nino: Option<&'a str>,
}

/// Never printed: personal data.
impl std::fmt::Debug for Person<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Person { .. }")
    }
}

/// What a matching key says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// The same person at the same address.
    AtAddress,
    /// The same person, wherever they live (same NINO).
    Anywhere,
}

/// Which side of a look-up the keys are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// A record kept to be found: a key for each variant of its given name.
    Stored,
    /// A look-up: its own name only (variants are on the stored side).
    Query,
}

/// The keys of a person, each with what a match on it means; sorted and
/// unique. Empty when too little is known to find anyone safely.
pub fn person_keys(p: &Person<'_>, side: Side) -> Vec<(Scope, String)> {
    let mut keys = Vec::new();
    let places = places(p);
    let surname = compact(&name_key(p.surname));
    let given = compact(name_key(p.given).split(' ').next().unwrap_or(""));
    let dob = p.date_of_birth.map(str::trim).filter(|d| is_date(d));
    if let Some(dob) = dob
        && !surname.is_empty()
        && !given.is_empty()
    {
        let mut givens = vec![given.clone()];
        if side == Side::Stored {
            givens.extend(variants_of_compact(&given).iter().cloned());
        }
        for g in &givens {
            for place in &places {
                keys.push((Scope::AtAddress, format!("p1|{surname}|{g}|{dob}|{place}")));
            }
        }
    }
    if let Some(nino) = p.nino.map(nino_key).filter(|n| !n.is_empty()) {
        for place in &places {
            keys.push((Scope::AtAddress, format!("n1|{nino}|{place}")));
        }
        keys.push((Scope::Anywhere, format!("n0|{nino}")));
    }
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// Where a person lives, in each comparable form known: postcode with the
/// house (its numbers; its words when it has none), and the UPRN.
fn places(p: &Person<'_>) -> Vec<String> {
    let mut places = Vec::new();
    let postcode = postcode_key(p.postcode);
    let address = address_key(p.line1, p.line2);
    let numbers = address_numbers(&address);
    let house = if numbers.is_empty() { address_words(&address) } else { numbers };
    if postcode.len() >= 5 && !house.is_empty() {
        places.push(format!("a|{postcode}|{house}"));
    }
    if let Some(uprn) = p.uprn.filter(|u| *u > 0) {
        places.push(format!("u|{uprn}"));
    }
    places
}

/// A date of birth as `YYYY-MM-DD` (the shape only: a key never needs the calendar).
fn is_date(d: &str) -> bool {
    let b = d.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// A NINO as [`id_key`] reads it (upper case, no spaces, no suffix); empty when none.
fn nino_key(nino: &str) -> String {
    match id_key(nino) {
        0 => String::new(),
        key => format!("{key:x}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person() -> Person<'static> {
        Person {
            given: "Siân",
            surname: "O'Brien",
            date_of_birth: Some("1990-03-14"),
            postcode: "cf10 1ep",
            line1: "Flat 2, 14 High St",
            line2: "",
            uprn: Some(10_000_000_001),
            nino: Some("ab 12 34 56 c"),
        }
    }

    fn meet(a: &Person<'_>, b: &Person<'_>) -> Option<Scope> {
        let stored = person_keys(a, Side::Stored);
        let query = person_keys(b, Side::Query);
        query.iter().filter(|q| stored.contains(q)).map(|(s, _)| *s).min()
    }

    #[test]
    fn the_same_person_written_differently_is_found_at_their_address() {
        let typed = Person {
            given: "SIAN",
            surname: "OBrien",
            postcode: "CF101EP",
            line1: "14 High Street",
            line2: "Flat 2",
            uprn: None,
            nino: None,
            ..person()
        };
        assert_eq!(meet(&person(), &typed), Some(Scope::AtAddress));
        let familiar = Person { given: "Bill", surname: "Jones", ..person() };
        let formal = Person { given: "William Henry", surname: "Jones", nino: None, ..person() };
        assert_eq!(meet(&formal, &familiar), Some(Scope::AtAddress), "a familiar form is found");
        let welsh = Person { given: "Dafydd", nino: None, ..person() };
        assert_eq!(meet(&Person { given: "David", ..person() }, &welsh), Some(Scope::AtAddress));
    }

    #[test]
    fn a_household_member_or_another_address_is_not_the_person() {
        let sister = Person { given: "Marija", nino: None, ..person() };
        assert_eq!(meet(&person(), &sister), None, "same surname, birthday and address, another given name");
        let twin = Person { date_of_birth: Some("1990-03-15"), nino: None, ..person() };
        assert_eq!(meet(&person(), &twin), None);
        let moved = Person { postcode: "SW1A 1AA", line1: "10 Downing Street", uprn: None, nino: None, ..person() };
        assert_eq!(meet(&person(), &moved), None, "registered elsewhere is not registered here");
        let moved_with_nino = Person { nino: Some("AB123456"), ..moved };
        assert_eq!(meet(&person(), &moved_with_nino), Some(Scope::Anywhere), "the same NINO is the same person");
    }

    #[test]
    fn too_little_gives_no_keys() {
        let bare = Person { date_of_birth: None, nino: None, ..person() };
        assert!(person_keys(&bare, Side::Query).is_empty(), "no date of birth and no NINO");
        let no_house = Person { line1: "", uprn: None, nino: None, ..person() };
        assert!(person_keys(&no_house, Side::Query).is_empty());
        let bad_date = Person { date_of_birth: Some("14/03/1990"), nino: None, ..person() };
        assert!(person_keys(&bad_date, Side::Query).is_empty());
    }

    #[test]
    fn stored_records_carry_their_variants() {
        let stored = person_keys(&Person { given: "William", nino: None, uprn: None, ..person() }, Side::Stored);
        assert!(stored.len() > 2, "{}", stored.len());
        let query = person_keys(&Person { given: "William", nino: None, uprn: None, ..person() }, Side::Query);
        assert_eq!(query.len(), 1);
    }
}
