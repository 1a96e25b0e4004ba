//! Output records: the DWP reference extract, noisy applicant streams and
//! registers with their ground truth, and CSV writers for both.
//!
//! The noisy records follow the matching CLI's CSV contract:
//! `id,given_name,middle_names,surname,date_of_birth,nino,address_line_1,address_line_2,town,postcode`
//! (dates `YYYY-MM-DD`; any field but `id` may be empty). The ground truth is a
//! separate CSV `record_id,person_id`, with `person_id` empty for records of
//! people who are not in the reference extract. The reference extract follows
//! the same contract (its `id` is the person id, which the truth's `person_id`
//! names), with a trailing `uprn` column.
//!
//! Records come out in a keyed shuffled order (slot `j` holds person
//! `perm(j)`), and record ids are a second keyed permutation, so neither the
//! order nor the id says which person a record is about.

use std::io::Write;

use serde::Serialize;

use crate::SynthError;
use crate::noise::{AppliedNoise, NoiseModel, address_lines, noisy_fields};
use crate::permute::{Permutation, mix};
use crate::population::{People, Person, Population};

/// The matching CLI's record header, in order.
pub const RECORD_HEADER: [&str; 10] = [
    "id",
    "given_name",
    "middle_names",
    "surname",
    "date_of_birth",
    "nino",
    "address_line_1",
    "address_line_2",
    "town",
    "postcode",
];

/// The reference extract's header, in order: the matching CLI's record contract
/// ([`RECORD_HEADER`]) plus the UPRN. Its `id` is the person id, so a ground
/// truth's `person_id` joins to it.
pub const REFERENCE_HEADER: [&str; 11] = [
    "id",
    "given_name",
    "middle_names",
    "surname",
    "date_of_birth",
    "nino",
    "address_line_1",
    "address_line_2",
    "town",
    "postcode",
    "uprn",
];

/// One person as the DWP reference extract has them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReferenceRecord {
    pub person_id: u64,
    pub given_name: String,
    pub middle_names: String,
    pub surname: String,
    pub date_of_birth: String,
    pub nino: String,
    pub address_line_1: String,
    pub address_line_2: String,
    pub town: String,
    pub postcode: String,
    pub uprn: u64,
}

impl ReferenceRecord {
    pub fn of(person: &Person) -> Self {
        let (line1, line2) = address_lines(&person.address);
        Self {
            person_id: person.id,
            given_name: person.given.clone(),
            middle_names: person.middle.clone().unwrap_or_default(),
            surname: person.surname.clone(),
            date_of_birth: person.date_of_birth.format("%Y-%m-%d").to_string(),
            nino: person.nino.compact(),
            address_line_1: line1,
            address_line_2: line2,
            town: person.address.town.clone(),
            postcode: person.address.postcode.to_string(),
            uprn: person.address.uprn.get(),
        }
    }
}

/// One record in the matching CLI's contract (empty string = missing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchRecord {
    pub id: String,
    pub given_name: String,
    pub middle_names: String,
    pub surname: String,
    pub date_of_birth: String,
    pub nino: String,
    pub address_line_1: String,
    pub address_line_2: String,
    pub town: String,
    pub postcode: String,
}

/// A noisy record with its ground truth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoisyRecord {
    pub record: MatchRecord,
    /// The reference person this record is about; `None` for people DWP does not know.
    pub person_id: Option<u64>,
    /// What the noise model did to it.
    pub applied: AppliedNoise,
}

/// The reference extract, one record per person, in person order.
pub struct ReferenceExtract<'a> {
    people: People<'a>,
}

impl Iterator for ReferenceExtract<'_> {
    type Item = ReferenceRecord;
    fn next(&mut self) -> Option<ReferenceRecord> {
        self.people.next().map(|p| ReferenceRecord::of(&p))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.people.size_hint()
    }
}

/// Record ids live in a 40-bit space, printed as 10 hex digits.
const ID_SPACE: u64 = 1 << 40;
const STREAM_NOISE: u64 = 1 << 62;
const PHANTOM: u64 = 1 << 61;

/// Noisy records in a keyed random order. Memory: O(1).
pub struct Records<'a> {
    population: &'a Population,
    noise: NoiseModel,
    order: Permutation,
    ids: Permutation,
    phantom_rate: f64,
    slot: u64,
    pending_phantom: Option<u64>,
}

impl Records<'_> {
    fn make(&self, slot: u64, phantom: bool) -> NoisyRecord {
        let (person, stream) = if phantom {
            // People past the end of the population: real-looking, with NINOs no
            // reference person has, but not in the extract.
            (self.population.person(self.population.size() + slot), STREAM_NOISE | PHANTOM | slot)
        } else {
            (self.population.person(self.order.apply(slot)), STREAM_NOISE | slot)
        };
        let mut rng = self.population.rng(stream);
        let (mut record, applied) = noisy_fields(&mut rng, &self.noise, &person);
        record.id = format!("{:010X}", self.ids.apply(2 * slot + phantom as u64));
        NoisyRecord { record, person_id: (!phantom).then_some(person.id), applied }
    }
}

impl Iterator for Records<'_> {
    type Item = NoisyRecord;
    fn next(&mut self) -> Option<NoisyRecord> {
        loop {
            if let Some(slot) = self.pending_phantom.take() {
                return Some(self.make(slot, true));
            }
            if self.slot >= self.population.size() {
                return None;
            }
            let slot = self.slot;
            self.slot += 1;
            // Inclusion and phantoms are drawn from the slot alone (stable per seed).
            let r = mix(self.population.seed() ^ mix(slot ^ 0xC0_FFEE));
            let u1 = (r >> 11) as f64 / (1u64 << 53) as f64;
            let u2 = (mix(r) >> 11) as f64 / (1u64 << 53) as f64;
            if u2 < self.phantom_rate {
                self.pending_phantom = Some(slot);
            }
            if u1 < self.noise.coverage {
                return Some(self.make(slot, false));
            }
        }
    }
}

impl Population {
    /// The DWP reference extract: one record per person, in person order.
    pub fn reference_extract(&self) -> ReferenceExtract<'_> {
        ReferenceExtract { people: self.people() }
    }

    /// An applicant stream: noisy records under `noise`, with ground truth.
    pub fn applicants(&self, noise: &NoiseModel) -> Result<Records<'_>, SynthError> {
        noise.validate()?;
        // Phantoms per included person so that they are `non_match` of all records.
        let phantom_rate = noise.non_match / (1.0 - noise.non_match) * noise.coverage;
        Ok(Records {
            population: self,
            noise: noise.clone(),
            order: Permutation::new(self.size().max(1), mix(self.seed() ^ 0x0D0E_0001)),
            ids: Permutation::new(ID_SPACE, mix(self.seed() ^ 0x1D5_0002)),
            phantom_rate,
            slot: 0,
            pending_phantom: None,
        })
    }

    /// An electoral register: like [`Population::applicants`] but always in
    /// confirmation style (no date of birth, no NINO).
    pub fn register(&self, noise: &NoiseModel) -> Result<Records<'_>, SynthError> {
        self.applicants(&NoiseModel { confirmation_style: true, ..noise.clone() })
    }
}

/// Write the reference extract as CSV (header [`REFERENCE_HEADER`]); returns rows written.
pub fn write_reference_csv(records: impl Iterator<Item = ReferenceRecord>, out: impl Write) -> Result<u64, SynthError> {
    let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(out);
    w.write_record(REFERENCE_HEADER)?;
    let mut n = 0;
    for r in records {
        w.serialize(&r)?;
        n += 1;
    }
    w.flush()?;
    Ok(n)
}

/// Write noisy records (header [`RECORD_HEADER`]) and their ground truth
/// (`record_id,person_id`); returns rows written.
pub fn write_records_csv(
    records: impl Iterator<Item = NoisyRecord>,
    records_out: impl Write,
    truth_out: impl Write,
) -> Result<u64, SynthError> {
    let mut w = csv::Writer::from_writer(records_out);
    let mut t = csv::Writer::from_writer(truth_out);
    w.write_record(RECORD_HEADER)?;
    t.write_record(["record_id", "person_id"])?;
    let mut n = 0;
    for r in records {
        let m = &r.record;
        w.write_record([
            &m.id,
            &m.given_name,
            &m.middle_names,
            &m.surname,
            &m.date_of_birth,
            &m.nino,
            &m.address_line_1,
            &m.address_line_2,
            &m.town,
            &m.postcode,
        ])?;
        let person = r.person_id.map(|p| p.to_string()).unwrap_or_default();
        t.write_record([m.id.as_str(), person.as_str()])?;
        n += 1;
    }
    w.flush()?;
    t.flush()?;
    Ok(n)
}
