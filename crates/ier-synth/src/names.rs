//! Name tables (surnames, given names by sex, nicknames) and weighted sampling.
//!
//! The tables are CSV files under `data/`, compiled in: `name,weight,origin` for
//! names (weights are Zipf-like by rank, so Smith is far commoner than Nowak) and
//! `name,nickname` for nicknames. Origins let a household's given names follow its
//! surname's origin most of the time.

use std::collections::HashMap;
use std::sync::LazyLock;

use rand::Rng;
use serde::{Deserialize, Serialize};

/// Where a name comes from, roughly: used to keep households' names coherent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    English,
    Welsh,
    Scottish,
    Irish,
    SouthAsian,
    Polish,
    Nigerian,
    Chinese,
    Somali,
    Romanian,
    Italian,
}

impl Origin {
    pub const ALL: [Origin; 11] = [
        Origin::English,
        Origin::Welsh,
        Origin::Scottish,
        Origin::Irish,
        Origin::SouthAsian,
        Origin::Polish,
        Origin::Nigerian,
        Origin::Chinese,
        Origin::Somali,
        Origin::Romanian,
        Origin::Italian,
    ];

    fn index(self) -> usize {
        self as usize
    }

    /// British and Irish origins share given names with English ones.
    fn is_celtic(self) -> bool {
        matches!(self, Origin::Welsh | Origin::Scottish | Origin::Irish)
    }
}

/// Sex as recorded in the reference data (it only steers given names here).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Sex {
    Female,
    Male,
}

#[derive(Deserialize)]
struct Row {
    name: String,
    weight: u32,
    origin: Origin,
}

/// Weighted choice over a subset of a table's rows.
#[derive(Debug, Default)]
struct Cumulative {
    rows: Vec<u32>,
    cumulative: Vec<u64>,
}

impl Cumulative {
    fn push(&mut self, row: u32, weight: u32) {
        let total = self.cumulative.last().copied().unwrap_or(0);
        self.rows.push(row);
        self.cumulative.push(total + weight as u64);
    }

    fn sample(&self, rng: &mut impl Rng) -> Option<u32> {
        let total = *self.cumulative.last()?;
        let r = rng.random_range(0..total);
        let i = self.cumulative.partition_point(|&c| c <= r);
        Some(self.rows[i])
    }
}

/// One names file, ready to sample from.
#[derive(Debug)]
pub struct NameTable {
    names: Vec<(Box<str>, Origin, u32)>,
    all: Cumulative,
    by_origin: Vec<Cumulative>,
}

impl NameTable {
    fn from_csv(file: &str, text: &str) -> Self {
        let mut table = NameTable {
            names: Vec::new(),
            all: Cumulative::default(),
            by_origin: Origin::ALL.iter().map(|_| Cumulative::default()).collect(),
        };
        for (line, row) in csv::Reader::from_reader(text.as_bytes()).deserialize::<Row>().enumerate() {
            let row = row.unwrap_or_else(|e| panic!("shipped {file} line {}: {e}", line + 2));
            assert!(row.weight > 0, "shipped {file}: zero weight");
            let i = table.names.len() as u32;
            table.all.push(i, row.weight);
            table.by_origin[row.origin.index()].push(i, row.weight);
            table.names.push((row.name.into_boxed_str(), row.origin, row.weight));
        }
        table
    }

    /// Every (name, origin, weight) row.
    pub fn rows(&self) -> impl Iterator<Item = (&str, Origin, u32)> {
        self.names.iter().map(|(n, o, w)| (n.as_ref(), *o, *w))
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    fn get(&self, i: u32) -> (&str, Origin) {
        let (n, o, _) = &self.names[i as usize];
        (n, *o)
    }

    /// Any name, by weight.
    pub fn sample(&self, rng: &mut impl Rng) -> (&str, Origin) {
        self.get(self.all.sample(rng).expect("shipped tables are not empty"))
    }

    /// A name of this origin, by weight (any name if the origin has none).
    pub fn sample_origin(&self, rng: &mut impl Rng, origin: Origin) -> (&str, Origin) {
        match self.by_origin[origin.index()].sample(rng) {
            Some(i) => self.get(i),
            None => self.sample(rng),
        }
    }
}

pub static SURNAMES: LazyLock<NameTable> =
    LazyLock::new(|| NameTable::from_csv("surnames.csv", include_str!("../data/surnames.csv")));
pub static GIVEN_FEMALE: LazyLock<NameTable> =
    LazyLock::new(|| NameTable::from_csv("given_female.csv", include_str!("../data/given_female.csv")));
pub static GIVEN_MALE: LazyLock<NameTable> =
    LazyLock::new(|| NameTable::from_csv("given_male.csv", include_str!("../data/given_male.csv")));

/// Nicknames and informal forms by formal given name.
pub static NICKNAMES: LazyLock<HashMap<String, Vec<String>>> = LazyLock::new(|| {
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    let mut reader = csv::Reader::from_reader(include_str!("../data/nicknames.csv").as_bytes());
    for row in reader.deserialize::<(String, String)>() {
        let (name, nick) = row.expect("shipped nicknames.csv is valid");
        map.entry(name).or_default().push(nick);
    }
    map
});

/// The given-name table for a sex.
pub fn given_table(sex: Sex) -> &'static NameTable {
    match sex {
        Sex::Female => &GIVEN_FEMALE,
        Sex::Male => &GIVEN_MALE,
    }
}

/// A given name that roughly follows the household's origin: most people share
/// it, British-Irish households mix in English names, and some names come from
/// anywhere.
pub fn given_name(rng: &mut impl Rng, sex: Sex, origin: Origin) -> &'static str {
    let table = given_table(sex);
    let r: f64 = rng.random();
    let own = match origin {
        Origin::English => 0.95,
        o if o.is_celtic() => 0.45,
        _ => 0.80,
    };
    if r < own {
        table.sample_origin(rng, origin).0
    } else if r < 0.97 {
        table.sample_origin(rng, Origin::English).0
    } else {
        table.sample(rng).0
    }
}

/// Latin letters with diacritics and their plain forms (lower case).
const FOLDS: &[(&str, char)] = &[
    ("àáâãäåāąă", 'a'),
    ("çćčĉ", 'c'),
    ("ďđ", 'd'),
    ("èéêëēęěė", 'e'),
    ("ğ", 'g'),
    ("ìíîïīı", 'i'),
    ("łľĺ", 'l'),
    ("ñńň", 'n'),
    ("òóôõöøōő", 'o'),
    ("ŕř", 'r'),
    ("śšșş", 's'),
    ("ťțţ", 't'),
    ("ùúûüūůű", 'u'),
    ("ŵ", 'w'),
    ("ýÿŷ", 'y'),
    ("źżž", 'z'),
];

fn fold_char(c: char) -> char {
    if c.is_ascii() {
        return c;
    }
    let lower = c.to_lowercase().next().unwrap_or(c);
    for (from, to) in FOLDS {
        if from.contains(lower) {
            return if c.is_uppercase() { to.to_ascii_uppercase() } else { *to };
        }
    }
    c
}

/// The name with accents dropped, as people type on a keyboard without them:
/// "Siân" → "Sian", "Łukasz" → "Lukasz".
pub fn drop_accents(name: &str) -> String {
    name.chars().map(fold_char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ier_domain::{GivenName, Surname};
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn tables_are_a_few_hundred_names_with_every_origin() {
        assert!(SURNAMES.len() >= 300, "{}", SURNAMES.len());
        assert!(GIVEN_FEMALE.len() >= 150 && GIVEN_MALE.len() >= 150);
        for o in Origin::ALL {
            assert!(SURNAMES.rows().any(|r| r.1 == o), "no surname of {o:?}");
            assert!(GIVEN_FEMALE.rows().any(|r| r.1 == o), "no female name of {o:?}");
            assert!(GIVEN_MALE.rows().any(|r| r.1 == o), "no male name of {o:?}");
        }
    }

    #[test]
    fn every_shipped_name_parses_and_accents_and_particles_are_present() {
        for table in [&*SURNAMES, &*GIVEN_FEMALE, &*GIVEN_MALE] {
            for (n, _, _) in table.rows() {
                assert!(GivenName::parse(n).is_ok() && Surname::parse(n).is_ok(), "{n}");
                assert_eq!(Surname::parse(n).unwrap().as_str(), n, "{n} not in NFC");
            }
        }
        for n in ["O'Brien", "ap Rhys", "Mac an t-Saoir", "Wójcik", "Macdonald", "Khan"] {
            assert!(SURNAMES.rows().any(|r| r.0 == n), "{n}");
        }
        for n in ["Siân", "Seán", "Zoë", "Łukasz", "Llŷr"] {
            assert!(GIVEN_FEMALE.rows().chain(GIVEN_MALE.rows()).any(|r| r.0 == n), "{n}");
        }
        for nicks in NICKNAMES.values() {
            for n in nicks {
                assert!(GivenName::parse(n).is_ok(), "{n}");
            }
        }
        assert_eq!(NICKNAMES["William"], vec!["Bill", "Will", "Billy"]);
    }

    #[test]
    fn weights_are_skewed() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let n = 20_000;
        let smiths = (0..n).filter(|_| SURNAMES.sample(&mut rng).0 == "Smith").count();
        let nowaks = (0..n).filter(|_| SURNAMES.sample(&mut rng).0 == "Nowak").count();
        // Smith is rank 1 of ~400 Zipf weights (exponent 0.6): about 3.6% of draws.
        assert!((500..1_000).contains(&smiths), "{smiths}");
        assert!(nowaks < smiths / 10, "{nowaks}");
    }

    #[test]
    fn accents_drop_to_plain_letters() {
        assert_eq!(drop_accents("Siân"), "Sian");
        assert_eq!(drop_accents("Łukasz Wójcik"), "Lukasz Wojcik");
        assert_eq!(drop_accents("Llŷr"), "Llyr");
        assert_eq!(drop_accents("Zoë"), "Zoe");
        assert_eq!(drop_accents("Ștefănescu"), "Stefanescu");
        assert_eq!(drop_accents("Smith"), "Smith");
        for table in [&*SURNAMES, &*GIVEN_FEMALE, &*GIVEN_MALE] {
            for (n, _, _) in table.rows() {
                assert!(drop_accents(n).is_ascii(), "{n} keeps an accent");
            }
        }
    }
}
