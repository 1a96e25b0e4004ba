//! The person index: who has applied and who is registered, kept as keyed
//! digests only, so that a repeat applicant can be told before sending and
//! anyone can ask "am I registered?" without the service holding registers in
//! clear.
//!
//! A person's keys come from [`ier_match::person`] (normalised names, date of
//! birth and address; the NINO). Each is digested with HMAC-SHA256 under an
//! index key derived from a data key ([`DataKeys::index_digests`]) and the
//! first 8 bytes kept. A subject (an application, by reference; an elector of
//! an uploaded register, by the EMS's elector number) records which data key
//! made its digests; look-ups digest under every key in the ring, so a rotated
//! key still finds old subjects until they are replaced (applications age
//! out; an EMS's next register upload re-keys its electors) and the old key
//! is retired. Nothing stored can be turned back into a name or an address:
//! without the key not even a guess can be checked.
//!
//! 8 bytes are enough: with 46 million electors at about four digests each, a
//! look-up meets a wrong digest by chance about once in 10^11 look-ups.

use chrono::{DateTime, Utc};
use ier_domain::{ApplicantDetails, BirthDetails, Determination, EroId, OrReason, ReferenceNumber, Stage};
pub use ier_match::person::{Person, Scope};
use ier_match::person::{Side, person_keys};

use crate::DataKeys;

/// Where a subject comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// An application made here (its subject is the reference number).
    Application,
    /// An elector on a register an EMS uploaded (its subject is the EMS's elector number).
    Elector,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Application => "application",
            Source::Elector => "elector",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "application" => Some(Source::Application),
            "elector" => Some(Source::Elector),
            _ => None,
        }
    }
}

/// A subject's digests, made under one data key.
#[derive(Clone, PartialEq, Eq)]
pub struct PersonEntry {
    pub key_id: String,
    pub digests: Vec<i64>,
}

impl std::fmt::Debug for PersonEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PersonEntry {{ key_id: {:?}, digests: {} }}", self.key_id, self.digests.len())
    }
}

/// An elector of an uploaded register: the EMS's number for them and their digests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewElector {
    pub number: String,
    pub entry: PersonEntry,
}

/// A page of electors by number, sorted; of one number uploaded twice, the last.
pub fn by_number(electors: &[NewElector]) -> Vec<(&str, &PersonEntry)> {
    let mut by_number = std::collections::BTreeMap::new();
    for e in electors {
        by_number.insert(e.number.as_str(), &e.entry);
    }
    by_number.into_iter().collect()
}

/// What a look-up found: a subject and how it was met. Holds no personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonFound {
    pub source: Source,
    pub ero_id: EroId,
    /// The reference number or elector number.
    pub subject: String,
    pub added_at: DateTime<Utc>,
    /// The digest that met.
    pub digest: i64,
    /// For an application: where it is now (`None` for electors).
    pub stage: Option<Stage>,
    /// For an application: the ERO's decision, once made.
    pub determination: Option<Determination>,
}

/// A look-up's match and what it means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub scope: Scope,
    pub found: PersonFound,
}

/// What the person index says of an application when its ERO reads it: the
/// applicant applied before (the latest earlier application still pending or
/// approved), or is on a register at this address already.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repeat {
    /// The earlier application, when there is one.
    pub of: Option<ReferenceNumber>,
    /// On a register at this address already (an uploaded register's elector,
    /// or an earlier application the ERO approved).
    pub registered: bool,
}

impl Repeat {
    /// The mark of `app`, given what a look-up of its `query` found among `found`.
    pub fn of(app: &ier_domain::Application, query: &PersonQuery, found: &[PersonFound]) -> Option<Self> {
        let mut mark = Repeat { of: None, registered: false };
        let mut latest: Option<DateTime<Utc>> = None;
        for f in found {
            let Some(scope) = query.scope_of(f.digest) else { continue };
            match f.source {
                Source::Elector => mark.registered |= scope == Scope::AtAddress,
                Source::Application => {
                    if f.subject == app.reference.as_str() || f.added_at >= app.submitted_at {
                        continue;
                    }
                    if f.determination == Some(Determination::Rejected) {
                        continue;
                    }
                    mark.registered |= scope == Scope::AtAddress && f.determination == Some(Determination::Approved);
                    if latest.is_none_or(|t| f.added_at > t) {
                        latest = Some(f.added_at);
                        mark.of = ReferenceNumber::parse(&f.subject).ok();
                    }
                }
            }
        }
        (mark.of.is_some() || mark.registered).then_some(mark)
    }
}

/// A look-up: digests under every key in the ring, each with what a match means.
#[derive(Debug, Clone, Default)]
pub struct PersonQuery {
    pub digests: Vec<(i64, Scope)>,
}

impl PersonQuery {
    /// What a match on `digest` means.
    pub fn scope_of(&self, digest: i64) -> Option<Scope> {
        self.digests.iter().find(|(d, _)| *d == digest).map(|(_, s)| *s)
    }

    pub fn is_empty(&self) -> bool {
        self.digests.is_empty()
    }

    pub fn values(&self) -> Vec<i64> {
        self.digests.iter().map(|(d, _)| *d).collect()
    }
}

/// The [`Person`] fields of an application's details, owned.
struct Details {
    dob: Option<String>,
    nino: Option<String>,
    postcode: String,
}

impl Details {
    fn of(details: &ApplicantDetails) -> Self {
        Self {
            dob: match &details.birth {
                BirthDetails::Date(d) => Some(d.date().format("%Y-%m-%d").to_string()),
                BirthDetails::NotGiven { .. } => None,
            },
            nino: match &details.nino {
                OrReason::Given(n) => Some(n.compact()),
                OrReason::NotGiven { .. } => None,
            },
            postcode: details.address.postcode.compact(),
        }
    }

    fn person<'a>(&'a self, details: &'a ApplicantDetails) -> Person<'a> {
        let line = |i: usize| details.address.lines.get(i).map(String::as_str).unwrap_or("");
        Person {
            given: details.name.given.as_str(),
            surname: details.name.surname.as_str(),
            date_of_birth: self.dob.as_deref(),
            postcode: &self.postcode,
            line1: line(0),
            line2: line(1),
            uprn: details.address.uprn.map(|u| u.get()),
            nino: self.nino.as_deref(),
        }
    }
}

impl DataKeys {
    /// A stored subject's digests, under the current key.
    pub fn person_entry(&self, person: &Person<'_>) -> PersonEntry {
        let keys = person_keys(person, Side::Stored);
        let digests = keys.iter().map(|(_, k)| self.index_digest(self.current_id(), k)).collect();
        PersonEntry { key_id: self.current_id().to_owned(), digests }
    }

    /// An application's digests, under the current key.
    pub fn application_entry(&self, details: &ApplicantDetails) -> PersonEntry {
        let d = Details::of(details);
        self.person_entry(&d.person(details))
    }

    /// A look-up's digests, under every key in the ring.
    pub fn person_query(&self, person: &Person<'_>) -> PersonQuery {
        let keys = person_keys(person, Side::Query);
        let mut digests = Vec::with_capacity(keys.len() * self.index_ids().count());
        for id in self.index_ids() {
            for (scope, k) in &keys {
                digests.push((self.index_digest(id, k), *scope));
            }
        }
        PersonQuery { digests }
    }

    /// An application's details as a look-up.
    pub fn application_query(&self, details: &ApplicantDetails) -> PersonQuery {
        let d = Details::of(details);
        self.person_query(&d.person(details))
    }
}

/// Whether a person can be found at all: a date of birth or NINO, and where they live.
pub fn findable(person: &Person<'_>) -> bool {
    !person_keys(person, Side::Stored).is_empty()
}

/// A reference number's subject string.
pub fn application_subject(reference: &ReferenceNumber) -> String {
    reference.as_str().to_owned()
}

/// An elector number as an EMS may send it: 1 to 32 letters, digits, '-', '/' or '.'.
pub fn elector_number(s: &str) -> Option<String> {
    let ok = !s.is_empty()
        && s.len() <= 32
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'/' | b'.'));
    ok.then(|| s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(s: &str) -> DataKeys {
        DataKeys::parse(&DataKeys::generate(s)).unwrap()
    }

    fn person() -> Person<'static> {
        Person {
            given: "Bill",
            surname: "Evans",
            date_of_birth: Some("1950-01-02"),
            postcode: "CF10 1EP",
            line1: "3 Heol y Bont",
            line2: "",
            uprn: None,
            nino: None,
        }
    }

    #[test]
    fn a_look_up_finds_its_subject_only_under_the_same_key() {
        let k = keys("k1");
        let stored = k.person_entry(&Person { given: "William", ..person() });
        let query = k.person_query(&person());
        assert!(query.digests.iter().any(|(d, s)| stored.digests.contains(d) && *s == Scope::AtAddress));
        let other = keys("k2");
        let query = other.person_query(&person());
        assert!(!query.digests.iter().any(|(d, _)| stored.digests.contains(d)), "another key, other digests");
    }

    #[test]
    fn a_rotated_ring_still_finds_old_subjects() {
        let old = DataKeys::generate("k1");
        let new = DataKeys::generate("k2");
        let before = DataKeys::parse(&old).unwrap();
        let stored = before.person_entry(&person());
        use secrecy::ExposeSecret;
        let after =
            DataKeys::parse(&secrecy::SecretString::from(format!("{},{}", new.expose_secret(), old.expose_secret())))
                .unwrap();
        assert_eq!(after.person_entry(&person()).key_id, "k2");
        let query = after.person_query(&person());
        assert!(query.digests.iter().any(|(d, _)| stored.digests.contains(d)));
    }

    #[test]
    fn elector_numbers_are_checked() {
        assert_eq!(elector_number("AB-123/4").as_deref(), Some("AB-123/4"));
        assert!(elector_number("").is_none());
        assert!(elector_number("a b").is_none());
        assert!(elector_number(&"1".repeat(33)).is_none());
    }
}
