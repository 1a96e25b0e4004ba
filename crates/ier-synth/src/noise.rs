//! The noise model: how a register or applicant record differs from the truth.
//!
//! Every rate is a probability, applied independently to each record where it
//! can apply ("eligible" below); rates are checked by [`NoiseModel::validate`].
//! Steps run in this order, so later steps see earlier ones' output.
//!
//! | field | rate | default (`realistic`) | eligible records |
//! | --- | --- | --- | --- |
//! | `moved_address` | shows the previous address instead of the current one | 0.30 | people with a previous address |
//! | `address_format` | flat numbering "2/14 X Street", "14 X Street Flat 2", "Flat 2" on its own line; abbreviated street types "St", "Rd"; house and street on two lines | 0.20 | all |
//! | `postcode_format` | postcode without its space, or in lower case | 0.10 | all |
//! | `nickname` | given name replaced by a nickname or informal form from `data/nicknames.csv` (William → Bill, Siân → Sian) | 0.05 | given names with a nickname |
//! | `accents_dropped` | accents dropped from given name and surname (each separately) | 0.30 | names with accents |
//! | `name_typo` | one character inserted, deleted, substituted or two transposed (given name and surname each separately; never the first letter) | 0.02 | all |
//! | `middle_names_missing` | middle names left out | 0.25 | people with middle names |
//! | `surname_change` | the other surname the person is known by: maiden name, partner's or double-barrelled | 0.10 | people with another surname (couples) |
//! | `dob_missing` | date of birth empty | 0.02 | all |
//! | `dob_day_month_swap` | day and month transposed | 0.01 | dates where the swap is a different valid date (day ≤ 12, day ≠ month) |
//! | `nino_missing` | NINO empty | 0.10 | all |
//! | `nino_digit_wrong` | one NINO digit wrong | 0.01 | records with a NINO |
//! | `non_match` | share of records for people who are NOT in the reference extract (ground truth: no person) | 0.03 | all records (must be below 0.5) |
//! | `coverage` | share of reference people who appear in the stream at all | 1.00 | reference people |
//! | `confirmation_style` | no DOB and no NINO at all, as on an electoral register | `false` (`true` for registers) | all |
//!
//! [`NoiseModel::none`] has every rate 0 and full coverage: the records then
//! carry exactly the reference extract's fields. [`NoiseModel::heavy`] is a
//! stress preset, far dirtier than real applicant data, for checking that a
//! matcher tuned on `realistic` holds up under a different noise model: moved
//! 0.50, address format 0.50, postcode format 0.30, nickname 0.20, accents
//! 0.60, typo 0.08 (each name), middle names missing 0.50, surname change 0.30,
//! DOB missing 0.05, day/month swap 0.05, NINO missing 0.25, NINO digit wrong
//! 0.03, non-match 0.10, coverage 0.90.

use chrono::{Datelike, NaiveDate};
use ier_reference::GazetteerAddress;
use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;

use crate::SynthError;
use crate::names::{NICKNAMES, drop_accents};
use crate::population::Person;
use crate::records::MatchRecord;

/// Controllable noise rates (each a probability in 0..=1). See the module docs.
#[derive(Debug, Clone, PartialEq)]
pub struct NoiseModel {
    pub moved_address: f64,
    pub address_format: f64,
    pub postcode_format: f64,
    pub nickname: f64,
    pub accents_dropped: f64,
    pub name_typo: f64,
    pub middle_names_missing: f64,
    pub surname_change: f64,
    pub dob_missing: f64,
    pub dob_day_month_swap: f64,
    pub nino_missing: f64,
    pub nino_digit_wrong: f64,
    pub non_match: f64,
    pub coverage: f64,
    pub confirmation_style: bool,
}

impl Default for NoiseModel {
    fn default() -> Self {
        Self::realistic()
    }
}

impl NoiseModel {
    /// Dirty data as an applicant stream has it (the defaults in the module docs).
    pub fn realistic() -> Self {
        Self {
            moved_address: 0.30,
            address_format: 0.20,
            postcode_format: 0.10,
            nickname: 0.05,
            accents_dropped: 0.30,
            name_typo: 0.02,
            middle_names_missing: 0.25,
            surname_change: 0.10,
            dob_missing: 0.02,
            dob_day_month_swap: 0.01,
            nino_missing: 0.10,
            nino_digit_wrong: 0.01,
            non_match: 0.03,
            coverage: 1.0,
            confirmation_style: false,
        }
    }

    /// No noise at all: every record equals its person's reference fields.
    pub fn none() -> Self {
        Self {
            moved_address: 0.0,
            address_format: 0.0,
            postcode_format: 0.0,
            nickname: 0.0,
            accents_dropped: 0.0,
            name_typo: 0.0,
            middle_names_missing: 0.0,
            surname_change: 0.0,
            dob_missing: 0.0,
            dob_day_month_swap: 0.0,
            nino_missing: 0.0,
            nino_digit_wrong: 0.0,
            non_match: 0.0,
            coverage: 1.0,
            confirmation_style: false,
        }
    }

    /// A stress preset, much dirtier than `realistic` (rates in the module docs),
    /// with 10% of records for people DWP does not know and 90% coverage.
    pub fn heavy() -> Self {
        Self {
            moved_address: 0.50,
            address_format: 0.50,
            postcode_format: 0.30,
            nickname: 0.20,
            accents_dropped: 0.60,
            name_typo: 0.08,
            middle_names_missing: 0.50,
            surname_change: 0.30,
            dob_missing: 0.05,
            dob_day_month_swap: 0.05,
            nino_missing: 0.25,
            nino_digit_wrong: 0.03,
            non_match: 0.10,
            coverage: 0.90,
            confirmation_style: false,
        }
    }

    /// An electoral register for bulk confirmation: realistic noise, no DOB or NINO,
    /// and 8% of rows for people DWP does not know.
    pub fn confirmation() -> Self {
        Self { non_match: 0.08, confirmation_style: true, ..Self::realistic() }
    }

    /// Every rate must be a probability; `non_match` below 0.5.
    pub fn validate(&self) -> Result<(), SynthError> {
        let rates = [
            ("moved_address", self.moved_address),
            ("address_format", self.address_format),
            ("postcode_format", self.postcode_format),
            ("nickname", self.nickname),
            ("accents_dropped", self.accents_dropped),
            ("name_typo", self.name_typo),
            ("middle_names_missing", self.middle_names_missing),
            ("surname_change", self.surname_change),
            ("dob_missing", self.dob_missing),
            ("dob_day_month_swap", self.dob_day_month_swap),
            ("nino_missing", self.nino_missing),
            ("nino_digit_wrong", self.nino_digit_wrong),
            ("coverage", self.coverage),
        ];
        for (name, rate) in rates {
            if !(0.0..=1.0).contains(&rate) {
                return Err(SynthError::BadRate(name));
            }
        }
        if !(0.0..0.5).contains(&self.non_match) {
            return Err(SynthError::BadRate("non_match"));
        }
        Ok(())
    }
}

/// Which noise steps changed a record (the detailed ground truth).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AppliedNoise {
    pub moved_address: bool,
    pub address_format: bool,
    pub postcode_format: bool,
    pub nickname: bool,
    pub given_accents_dropped: bool,
    pub given_typo: bool,
    pub middle_names_missing: bool,
    pub surname_change: bool,
    pub surname_accents_dropped: bool,
    pub surname_typo: bool,
    pub dob_missing: bool,
    pub dob_day_month_swap: bool,
    pub nino_missing: bool,
    pub nino_digit_wrong: bool,
}

fn hit(rng: &mut ChaCha8Rng, p: f64) -> bool {
    rng.random::<f64>() < p
}

/// "Flat 2, 14 High Street" and friends: line 1 and line 2 of an address.
pub fn address_lines(a: &GazetteerAddress) -> (String, String) {
    (format!("{} {}", a.property, a.street), a.locality.clone().unwrap_or_default())
}

const STREET_ABBREVIATIONS: &[(&str, &str)] = &[
    (" Street", " St"),
    (" Road", " Rd"),
    (" Avenue", " Ave"),
    (" Lane", " Ln"),
    (" Drive", " Dr"),
    (" Close", " Cl"),
    (" Crescent", " Cres"),
    (" Gardens", " Gdns"),
    (" Terrace", " Ter"),
    (" Place", " Pl"),
    (" Grove", " Gr"),
];

/// Another way of writing the same address's first two lines (always different).
fn reformat_address(rng: &mut ChaCha8Rng, a: &GazetteerAddress) -> (String, String) {
    let (_, line2) = address_lines(a);
    if let Some((flat, number)) = a.property.strip_prefix("Flat ").and_then(|p| p.split_once(", ")) {
        return match rng.random_range(0..3) {
            0 => (format!("{flat}/{number} {}", a.street), line2),
            1 => (format!("{number} {} Flat {flat}", a.street), line2),
            _ if line2.is_empty() => (format!("Flat {flat}"), format!("{number} {}", a.street)),
            _ => (format!("{flat}/{number} {}", a.street), line2),
        };
    }
    if rng.random::<bool>()
        && let Some((long, short)) = STREET_ABBREVIATIONS.iter().find(|(long, _)| a.street.ends_with(long))
    {
        let street = format!("{}{short}", &a.street[..a.street.len() - long.len()]);
        return (format!("{} {street}", a.property), line2);
    }
    // House and street on separate lines, or a comma between them: always a change.
    if line2.is_empty() {
        (a.property.clone(), a.street.clone())
    } else {
        (format!("{}, {}", a.property, a.street), line2)
    }
}

/// One character typo, never touching the first character.
pub fn typo(rng: &mut ChaCha8Rng, name: &str) -> String {
    let mut chars: Vec<char> = name.chars().collect();
    let letter = |rng: &mut ChaCha8Rng| (b'a' + rng.random_range(0..26u8)) as char;
    let n = chars.len();
    let op = if n < 2 { 0 } else { rng.random_range(0..4) };
    match op {
        0 => {
            let at = rng.random_range(1..=n);
            chars.insert(at, letter(rng));
        }
        1 if n >= 3 => {
            chars.remove(rng.random_range(1..n));
        }
        3 if n >= 3 => {
            let at = rng.random_range(1..n - 1);
            if chars[at] == chars[at + 1] {
                chars.insert(at, letter(rng));
            } else {
                chars.swap(at, at + 1);
            }
        }
        _ => {
            let at = rng.random_range(1..n);
            let mut c = letter(rng);
            while c == chars[at] {
                c = letter(rng);
            }
            chars[at] = c;
        }
    }
    chars.into_iter().collect()
}

/// Apply the noise model to a person's reference fields, giving the record's
/// fields (without an id) and what was done.
pub(crate) fn noisy_fields(rng: &mut ChaCha8Rng, noise: &NoiseModel, person: &Person) -> (MatchRecord, AppliedNoise) {
    let mut applied = AppliedNoise::default();

    // Address.
    let mut address = &person.address;
    if let Some(prev) = &person.previous
        && hit(rng, noise.moved_address)
    {
        address = &prev.address;
        applied.moved_address = true;
    }
    let (line1, line2) = if hit(rng, noise.address_format) {
        applied.address_format = true;
        reformat_address(rng, address)
    } else {
        address_lines(address)
    };
    let mut postcode = address.postcode.to_string();
    if hit(rng, noise.postcode_format) {
        applied.postcode_format = true;
        postcode = if rng.random::<bool>() { postcode.replace(' ', "") } else { postcode.to_lowercase() };
    }

    // Given name.
    let mut given = person.given.clone();
    if let Some(nicks) = NICKNAMES.get(&given)
        && hit(rng, noise.nickname)
    {
        given = nicks.choose(rng).expect("not empty").clone();
        applied.nickname = true;
    }
    let plain = drop_accents(&given);
    if plain != given && hit(rng, noise.accents_dropped) {
        given = plain;
        applied.given_accents_dropped = true;
    }
    if hit(rng, noise.name_typo) {
        given = typo(rng, &given);
        applied.given_typo = true;
    }

    let mut middle = person.middle.clone().unwrap_or_default();
    if !middle.is_empty() && hit(rng, noise.middle_names_missing) {
        middle.clear();
        applied.middle_names_missing = true;
    }

    // Surname.
    let mut surname = person.surname.clone();
    if let Some(alt) = &person.alt_surname
        && hit(rng, noise.surname_change)
    {
        surname = alt.clone();
        applied.surname_change = true;
    }
    let plain = drop_accents(&surname);
    if plain != surname && hit(rng, noise.accents_dropped) {
        surname = plain;
        applied.surname_accents_dropped = true;
    }
    if hit(rng, noise.name_typo) {
        surname = typo(rng, &surname);
        applied.surname_typo = true;
    }

    // Date of birth.
    let dob = person.date_of_birth;
    let date_of_birth = if noise.confirmation_style {
        String::new()
    } else if hit(rng, noise.dob_missing) {
        applied.dob_missing = true;
        String::new()
    } else {
        let mut d = dob;
        if let Some(swapped) = swap_day_month(dob)
            && hit(rng, noise.dob_day_month_swap)
        {
            d = swapped;
            applied.dob_day_month_swap = true;
        }
        d.format("%Y-%m-%d").to_string()
    };

    // NINO.
    let nino = if noise.confirmation_style {
        String::new()
    } else if hit(rng, noise.nino_missing) {
        applied.nino_missing = true;
        String::new()
    } else {
        let mut n = person.nino.compact().into_bytes();
        if hit(rng, noise.nino_digit_wrong) {
            let at = rng.random_range(2..8);
            let mut d = b'0' + rng.random_range(0..10u8);
            while d == n[at] {
                d = b'0' + rng.random_range(0..10u8);
            }
            n[at] = d;
            applied.nino_digit_wrong = true;
        }
        String::from_utf8(n).expect("ascii")
    };

    let record = MatchRecord {
        id: String::new(),
        given_name: given,
        middle_names: middle,
        surname,
        date_of_birth,
        nino,
        address_line_1: line1,
        address_line_2: line2,
        town: address.town.clone(),
        postcode,
    };
    (record, applied)
}

/// The date with day and month transposed, if that is a different real date.
pub fn swap_day_month(d: NaiveDate) -> Option<NaiveDate> {
    if d.day() == d.month() {
        return None;
    }
    NaiveDate::from_ymd_opt(d.year(), d.day(), d.month())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn presets_validate_and_bad_rates_are_refused() {
        NoiseModel::realistic().validate().unwrap();
        NoiseModel::none().validate().unwrap();
        NoiseModel::confirmation().validate().unwrap();
        NoiseModel::heavy().validate().unwrap();
        let bad = NoiseModel { name_typo: 1.5, ..NoiseModel::none() };
        assert!(matches!(bad.validate(), Err(SynthError::BadRate("name_typo"))));
        let bad = NoiseModel { non_match: 0.5, ..NoiseModel::none() };
        assert!(bad.validate().is_err());
    }

    #[test]
    fn swaps_only_when_valid_and_different() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        assert_eq!(swap_day_month(d(1980, 3, 7)), Some(d(1980, 7, 3)));
        assert_eq!(swap_day_month(d(1980, 3, 13)), None);
        assert_eq!(swap_day_month(d(1980, 5, 5)), None);
    }

    #[test]
    fn typos_change_exactly_one_edit_and_keep_the_first_letter() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for name in ["Bo", "Li", "Smith", "O'Brien", "Siân", "Mac an t-Saoir", "Aaron"] {
            for _ in 0..200 {
                let t = typo(&mut rng, name);
                assert_ne!(t, name);
                assert_eq!(t.chars().next(), name.chars().next());
                let (a, b) = (name.chars().count() as i64, t.chars().count() as i64);
                assert!((a - b).abs() <= 1, "{name} → {t}");
            }
        }
    }
}
