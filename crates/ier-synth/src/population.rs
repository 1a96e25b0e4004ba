//! The population: people generated household by household from (seed, index).
//!
//! Person indexes are cut into chunks of [`CHUNK`] people. A chunk's RNG (from the
//! seed and the chunk number) draws household sizes until the chunk is full (the
//! last household of a chunk is shortened to fit); each household's RNG (from the
//! seed and the household's first person index) draws everything else. So any
//! person can be made alone in O(`CHUNK`) work, and a person's data never depends
//! on the population's size: people past the end of the population (used as
//! applicants unknown to DWP) come from the same process.

use std::sync::LazyLock;

use chrono::{Days, Months, NaiveDate};
use ier_domain::Nino;
use ier_reference::{Gazetteer, GazetteerAddress, PostcodeDirectory, ReferenceData, SyntheticGazetteer};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::SynthError;
use crate::names::{self, Origin, SURNAMES, Sex};
use crate::permute::{Permutation, mix};

/// People per chunk: households never cross a chunk boundary.
pub const CHUNK: u64 = 64;

/// Letters allowed first and second in a NINO prefix (HMRC rules).
const NINO_FIRST: &[u8] = b"ABCEGHJKLMNOPRSTWXYZ";
const NINO_SECOND: &[u8] = b"ABCEGHJKLMNPRSTWXYZ";
const NEVER_ISSUED: &[&[u8; 2]] = &[b"BG", b"GB", b"KN", b"NK", b"NT", b"TN", b"ZZ"];

/// Household size weights (people per household, GB census-like: 30% alone, 34% couples or pairs).
const HOUSEHOLD_SIZES: [(u8, f64); 6] = [(1, 0.30), (2, 0.34), (3, 0.15), (4, 0.13), (5, 0.05), (6, 0.03)];

/// Relative share of the adult population by age band (per year of age), UK-like.
const ADULT_AGE_BANDS: [(u32, u32, f64); 7] =
    [(18, 29, 1.25), (30, 44, 1.30), (45, 59, 1.35), (60, 69, 1.15), (70, 79, 0.95), (80, 89, 0.45), (90, 99, 0.08)];

/// Share of households with at least two children that include a pair of twins.
pub const TWIN_HOUSEHOLD_RATE: f64 = 0.06;
/// Share of households that moved within the last five years (with a previous address).
pub const MOVER_HOUSEHOLD_RATE: f64 = 0.15;

/// Adult or child (under 18 or a grown-up child living with parents).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Adult,
    Child,
}

/// Where someone lived before their current address, and when they moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviousAddress {
    pub address: GazetteerAddress,
    /// The day they moved to the current address.
    pub moved_on: NaiveDate,
}

/// One synthetic person: the truth from which the DWP extract and noisy records are made.
///
/// Synthetic, so `Debug` shows everything. Names always parse with the domain's
/// `GivenName`/`MiddleNames`/`Surname` parsers and are already in their normal form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// The person's index in the population: 0..size for people in the reference.
    pub id: u64,
    /// The household's id (the index of its first member).
    pub household: u64,
    pub role: Role,
    pub sex: Sex,
    pub origin: Origin,
    pub given: String,
    pub middle: Option<String>,
    pub surname: String,
    /// Another surname this person is known by: a maiden name, or the partner's
    /// surname or a double-barrelled form (used by the "surname change" noise).
    pub alt_surname: Option<String>,
    pub date_of_birth: NaiveDate,
    pub nino: Nino,
    pub address: GazetteerAddress,
    pub previous: Option<PreviousAddress>,
    /// The id of this person's twin, if they have one in the household.
    pub twin_of: Option<u64>,
}

impl Person {
    /// The application this person would make online, typing their details
    /// exactly as held (British, their current address, contact by post).
    pub fn as_applicant(&self) -> ier_domain::ApplicantDetails {
        use ier_domain::*;
        let name = PersonName::parse(&self.given, self.middle.as_deref().unwrap_or(""), &self.surname)
            .expect("synthetic names parse");
        let a = &self.address;
        ApplicantDetails {
            name,
            previous_name: None,
            birth: BirthDetails::Date(
                DateOfBirth::from_date(self.date_of_birth, self.date_of_birth).expect("a date of birth"),
            ),
            nationality: Nationality::stated(true, false, vec![]).expect("British"),
            nino: OrReason::Given(self.nino.clone()),
            address: Address {
                uprn: Some(a.uprn),
                lines: vec![format!("{} {}", a.property, a.street)],
                town: a.town.clone(),
                postcode: a.postcode.clone(),
            },
            previous_address: None,
            open_register: false,
            contact: Contact { email: None, phone: None, post: true },
            part: ier_domain::KindDetails::Ordinary(ier_domain::OrdinaryDetails {
                other_address: ier_domain::OtherAddress::None,
                was_overseas_voter: false,
                postal_vote: ier_domain::PostalVote::InPerson,
            }),
        }
    }
}

/// A deterministic synthetic population of `size` people.
pub struct Population {
    seed: u64,
    size: u64,
    on: NaiveDate,
    key: [u8; 32],
    nino_perm: Permutation,
    directory: &'static PostcodeDirectory,
    gazetteer: SyntheticGazetteer,
}

impl std::fmt::Debug for Population {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Population").field("seed", &self.seed).field("size", &self.size).field("on", &self.on).finish()
    }
}

/// Number of valid NINO prefixes × 10^6 digits: the space person indexes map into.
pub fn nino_space() -> u64 {
    NINO_PREFIXES.len() as u64 * 1_000_000
}

/// Every issuable NINO prefix, in order.
static NINO_PREFIXES: LazyLock<Vec<[u8; 2]>> = LazyLock::new(|| {
    NINO_FIRST
        .iter()
        .flat_map(|&a| NINO_SECOND.iter().map(move |&b| [a, b]))
        .filter(|p| !NEVER_ISSUED.contains(&p))
        .collect()
});

/// The largest population: half the NINO space, so that as many people again
/// (applicants unknown to DWP) get NINOs that no reference person has.
pub fn max_size() -> u64 {
    nino_space() / 2
}

/// Domain-separation tags for the RNG streams.
const STREAM_CHUNK: u64 = 1 << 63;

impl Population {
    /// A population of `size` people, with ages as on `on` (the reference date).
    pub fn new(seed: u64, size: u64, on: NaiveDate) -> Result<Self, SynthError> {
        if size > max_size() {
            return Err(SynthError::TooLarge { size, max: max_size() });
        }
        let mut key = [0u8; 32];
        for (i, part) in key.chunks_mut(8).enumerate() {
            part.copy_from_slice(&mix(seed ^ mix(0x5EED_0000 + i as u64)).to_le_bytes());
        }
        let directory = PostcodeDirectory::embedded();
        Ok(Self {
            seed,
            size,
            on,
            key,
            nino_perm: Permutation::new(nino_space(), mix(seed ^ 0x4E49_4E4F)),
            directory,
            gazetteer: SyntheticGazetteer::new(directory, ReferenceData::embedded()),
        })
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The reference date: ages and move dates are as on this day.
    pub fn reference_date(&self) -> NaiveDate {
        self.on
    }

    /// An RNG for one stream of this population (platform-stable ChaCha8).
    pub(crate) fn rng(&self, stream: u64) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::from_seed(self.key);
        rng.set_stream(stream);
        rng
    }

    /// Person `index`, made on its own. Works past `size` too (those people are
    /// not in the reference extract).
    pub fn person(&self, index: u64) -> Person {
        let chunk = index / CHUNK;
        let offset = index % CHUNK;
        let (start, size) = self
            .chunk_households(chunk)
            .find(|(start, size)| (*start..start + *size as u64).contains(&offset))
            .expect("households cover the chunk");
        let first = chunk * CHUNK + start;
        let mut members = Vec::with_capacity(size as usize);
        self.household_into(first, size, &mut members);
        members.swap_remove((index - first) as usize)
    }

    /// Every person in order, in constant memory.
    pub fn people(&self) -> People<'_> {
        self.people_range(0, self.size)
    }

    /// People `from..to` in order (households cut by the range lose members outside it).
    pub fn people_range(&self, from: u64, to: u64) -> People<'_> {
        People { population: self, next: from, end: to, buffer: Vec::with_capacity(6) }
    }

    /// (offset within the chunk, size) of each household in a chunk.
    fn chunk_households(&self, chunk: u64) -> impl Iterator<Item = (u64, u8)> {
        let mut rng = self.rng(STREAM_CHUNK | chunk);
        let mut offset = 0u64;
        std::iter::from_fn(move || {
            if offset >= CHUNK {
                return None;
            }
            let r: f64 = rng.random();
            let mut acc = 0.0;
            let mut size = 6;
            for (s, w) in HOUSEHOLD_SIZES {
                acc += w;
                if r < acc {
                    size = s;
                    break;
                }
            }
            let size = size.min((CHUNK - offset) as u8);
            let start = offset;
            offset += size as u64;
            Some((start, size))
        })
    }

    /// The NINO of person `index`: a keyed permutation of the index into the
    /// valid prefix × six-digit space (so unique), with a suffix A–D.
    pub fn nino(&self, index: u64) -> Nino {
        let n = self.nino_perm.apply(index);
        let prefix = NINO_PREFIXES[(n / 1_000_000) as usize];
        let suffix = b"ABCD"[(mix(self.seed ^ mix(index)) % 4) as usize] as char;
        let text = format!("{}{}{:06}{}", prefix[0] as char, prefix[1] as char, n % 1_000_000, suffix);
        Nino::parse(&text).expect("generated NINOs are valid")
    }

    /// A random address on a real GB postcode; near `ordinal` if given.
    fn address(&self, rng: &mut ChaCha8Rng, near: Option<u32>) -> (GazetteerAddress, u32) {
        let len = self.directory.len() as u32;
        let mut tries = 0;
        loop {
            tries += 1;
            let ordinal = match near {
                Some(o) if tries < 20 => {
                    let step = rng.random_range(1..3000u32);
                    if rng.random::<bool>() { o.saturating_add(step).min(len - 1) } else { o.saturating_sub(step) }
                }
                _ => rng.random_range(0..len),
            };
            if Some(ordinal) == near {
                continue;
            }
            let Some((postcode, gss)) = self.directory.at(ordinal) else {
                continue;
            };
            if gss.nation().is_none() {
                continue;
            }
            let mut addresses = self.gazetteer.addresses(&postcode);
            if addresses.is_empty() {
                continue;
            }
            let i = rng.random_range(0..addresses.len());
            return (addresses.swap_remove(i), ordinal);
        }
    }

    fn adult_age(&self, rng: &mut ChaCha8Rng, min: u32, max: u32) -> u32 {
        loop {
            let total: f64 = ADULT_AGE_BANDS.iter().map(|(a, b, w)| (b - a + 1) as f64 * w).sum();
            let mut r = rng.random::<f64>() * total;
            for (a, b, w) in ADULT_AGE_BANDS {
                let band = (b - a + 1) as f64 * w;
                if r < band {
                    let age = a + ((r / w) as u32).min(b - a);
                    if (min..=max).contains(&age) {
                        return age;
                    }
                    break;
                }
                r -= band;
            }
        }
    }

    fn date_of_birth(&self, rng: &mut ChaCha8Rng, age: u32) -> NaiveDate {
        let latest = self.on.checked_sub_months(Months::new(12 * age)).expect("dates in range");
        latest - Days::new(rng.random_range(0..365))
    }

    /// Generate the household starting at person `first` with `size` members.
    fn household_into(&self, first: u64, size: u8, out: &mut Vec<Person>) {
        out.clear();
        let mut rng = self.rng(first);
        let (address, ordinal) = self.address(&mut rng, None);
        let previous_home = if rng.random::<f64>() < MOVER_HOUSEHOLD_RATE {
            let days = rng.random_range(30..5 * 365);
            let (prev, _) = self.address(&mut rng, Some(ordinal));
            Some((prev, self.on - Days::new(days)))
        } else {
            None
        };

        let (head_surname, origin) = SURNAMES.sample(&mut rng);
        let head_surname = head_surname.to_owned();
        let r: f64 = rng.random();
        // (number of adults, adults are a couple)
        let (adults, couple) = match size {
            1 => (1, false),
            2 if r < 0.72 => (2, true),
            2 if r < 0.86 => (1, false),
            2 => (2, false),
            _ if r < 0.78 => (2, true),
            _ => (1, false),
        };
        let sharers = adults == 2 && !couple;
        let children = size - adults;
        let head_sex = if children > 0 && adults == 1 {
            if rng.random::<f64>() < 0.85 { Sex::Female } else { Sex::Male }
        } else if rng.random::<bool>() {
            Sex::Female
        } else {
            Sex::Male
        };
        let head_age = match (children > 0, size) {
            (true, _) => self.adult_age(&mut rng, 20, 62),
            (false, 1) if rng.random::<bool>() => self.adult_age(&mut rng, 50, 99),
            _ => self.adult_age(&mut rng, 18, 99),
        };

        let person = |rng: &mut ChaCha8Rng,
                      offset: u64,
                      role: Role,
                      sex: Sex,
                      origin: Origin,
                      surname: String,
                      alt_surname: Option<String>,
                      dob: NaiveDate|
         -> Person {
            let given = names::given_name(rng, sex, origin);
            let middle = middle_names(rng, sex, origin, given);
            let id = first + offset;
            Person {
                id,
                household: first,
                role,
                sex,
                origin,
                given: given.to_owned(),
                middle,
                surname,
                alt_surname,
                date_of_birth: dob,
                nino: self.nino(id),
                address: address.clone(),
                previous: previous_home
                    .as_ref()
                    .filter(|(_, moved_on)| dob < *moved_on)
                    .map(|(a, moved_on)| PreviousAddress { address: a.clone(), moved_on: *moved_on }),
                twin_of: None,
            }
        };

        // Surnames of the adults and the children.
        let mut head_name = head_surname.clone();
        let mut head_alt = None;
        let mut child_surname = head_surname.clone();
        let mut second = None;
        if adults == 2 {
            let (partner_birth, partner_origin) = if rng.random::<f64>() < 0.7 {
                SURNAMES.sample_origin(&mut rng, origin)
            } else {
                SURNAMES.sample(&mut rng)
            };
            let partner_birth = partner_birth.to_owned();
            let partner_sex = if sharers || rng.random::<f64>() < 0.05 {
                if rng.random::<bool>() { Sex::Female } else { Sex::Male }
            } else if head_sex == Sex::Female {
                Sex::Male
            } else {
                Sex::Female
            };
            let partner_age = if sharers {
                self.adult_age(&mut rng, 18, 60)
            } else {
                let diff = rng.random_range(-6i32..=6) + rng.random_range(-3i32..=3);
                (head_age as i32 + diff).clamp(if children > 0 { 20 } else { 18 }, 99) as u32
            };
            let (name, alt) = if sharers || partner_birth == head_surname {
                (partner_birth.clone(), None)
            } else {
                let s: f64 = rng.random();
                let double = double_barrelled(&head_surname, &partner_birth);
                if s < 0.72 {
                    // Took the head's surname; the register may still show the birth name.
                    (head_surname.clone(), Some(partner_birth.clone()))
                } else if s < 0.90 || double.is_none() {
                    // Kept their own surname; may be recorded under the partner's.
                    if rng.random::<f64>() < 0.2
                        && let Some(d) = &double
                    {
                        child_surname = d.clone();
                    }
                    (partner_birth.clone(), Some(head_surname.clone()))
                } else {
                    let d = double.expect("checked above");
                    head_name = d.clone();
                    head_alt = Some(head_surname.clone());
                    child_surname = d.clone();
                    (d, Some(partner_birth.clone()))
                }
            };
            let partner_origin = if sharers { partner_origin } else { origin };
            second = Some((partner_sex, partner_age, partner_origin, name, alt));
        }

        let head_dob = self.date_of_birth(&mut rng, head_age);
        out.push(person(&mut rng, 0, Role::Adult, head_sex, origin, head_name, head_alt, head_dob));
        let mut youngest_adult = head_age;
        if let Some((sex, age, o, name, alt)) = second {
            let dob = self.date_of_birth(&mut rng, age);
            out.push(person(&mut rng, 1, Role::Adult, sex, o, name, alt, dob));
            youngest_adult = youngest_adult.min(age);
        }
        // Children: at least 18 years younger than the youngest adult, at most 24.
        let max_child_age = youngest_adult.saturating_sub(18).min(24);
        let twins = children >= 2 && rng.random::<f64>() < TWIN_HOUSEHOLD_RATE;
        let mut twin_dob = None;
        for c in 0..children {
            let sex = if rng.random::<bool>() { Sex::Female } else { Sex::Male };
            let dob = match (twins, c, twin_dob) {
                (true, 1, Some(d)) => d,
                _ => {
                    let age = rng.random_range(0..=max_child_age);
                    self.date_of_birth(&mut rng, age)
                }
            };
            let offset = adults as u64 + c as u64;
            let mut child = person(&mut rng, offset, Role::Child, sex, origin, child_surname.clone(), None, dob);
            if twins && c == 1 {
                let twin = out.last_mut().expect("first twin made");
                while child.given == twin.given {
                    child.given = names::given_name(&mut rng, sex, origin).to_owned();
                }
                twin.twin_of = Some(child.id);
                child.twin_of = Some(twin.id);
            }
            if c == 0 {
                twin_dob = Some(dob);
            }
            out.push(child);
        }
    }
}

/// Middle names for a majority: one (60%) or two (12%), of the same sex and
/// origin, never repeating the given name.
fn middle_names(rng: &mut ChaCha8Rng, sex: Sex, origin: Origin, given: &str) -> Option<String> {
    let r: f64 = rng.random();
    let count = if r < 0.60 {
        1
    } else if r < 0.72 {
        2
    } else {
        0
    };
    let mut parts: Vec<&str> = Vec::with_capacity(count);
    while parts.len() < count {
        let m = names::given_name(rng, sex, origin);
        if m != given && !parts.contains(&m) {
            parts.push(m);
        }
    }
    (count > 0).then(|| parts.join(" "))
}

/// "Smith-Jones", if both parts are single words and the result fits 35 characters.
fn double_barrelled(a: &str, b: &str) -> Option<String> {
    let ok = |s: &str| !s.contains(' ') && !s.contains('-');
    (ok(a) && ok(b) && a != b && a.chars().count() + b.chars().count() < 35).then(|| format!("{a}-{b}"))
}

/// Iterator over people in index order. Holds one household at a time (at most
/// six people), so memory does not grow with the population.
pub struct People<'a> {
    population: &'a Population,
    next: u64,
    end: u64,
    buffer: Vec<Person>,
}

impl People<'_> {
    /// People held in the buffer (at most one household): for memory checks.
    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }
}

impl Iterator for People<'_> {
    type Item = Person;

    fn next(&mut self) -> Option<Person> {
        loop {
            if self.next >= self.end {
                self.buffer.clear();
                return None;
            }
            // The buffer holds the rest of the current household, last member first.
            if let Some(p) = self.buffer.pop() {
                if p.id < self.next {
                    continue;
                }
                self.next = p.id + 1;
                return Some(p);
            }
            // Load the household containing `next`.
            let chunk = self.next / CHUNK;
            let offset = self.next % CHUNK;
            let (start, size) = self
                .population
                .chunk_households(chunk)
                .find(|(s, n)| (*s..s + *n as u64).contains(&offset))
                .expect("households cover the chunk");
            self.population.household_into(chunk * CHUNK + start, size, &mut self.buffer);
            self.buffer.reverse();
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.end.saturating_sub(self.next) as usize;
        (n, Some(n))
    }
}
