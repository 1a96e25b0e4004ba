//! A synthetic GB population with ground truth, for testing identity matching.
//!
//! [`Population`] makes an authoritative "DWP reference extract" of people
//! (names, dates of birth, unique valid NINOs, addresses with UPRNs on real GB
//! postcodes, address histories) and noisy applicant streams and electoral
//! registers derived from the same people, with the ground truth linking each
//! record to its person (or to nobody, for people DWP does not know).
//!
//! ```no_run
//! use chrono::NaiveDate;
//! use ier_synth::{NoiseModel, Population, write_records_csv, write_reference_csv};
//!
//! let on = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
//! let population = Population::new(42, 1_000_000, on)?;
//! write_reference_csv(population.reference_extract(), std::io::sink())?;
//! let register = population.register(&NoiseModel::realistic())?;
//! write_records_csv(register, std::io::sink(), std::io::sink())?;
//! # Ok::<(), ier_synth::SynthError>(())
//! ```
//!
//! **Determinism.** Everything follows from the seed: person `i` is made from
//! (seed, `i`) alone (see [`population`] for how households are cut), with
//! ChaCha8, which gives the same numbers on every platform. The same seed gives
//! byte-identical output; the extract and a register made from the same seed
//! refer to the same people.
//!
//! **Memory.** O(1) in the population size: iterators hold one household (at
//! most six people) and a few integers; NINOs, record order and record ids are
//! keyed permutations computed on demand, never tables. The static data is the
//! name tables (about 800 names and 120 nicknames, a few tens of KB) and the
//! embedded postcode directory shared with `ier-reference` (about 11 MB once
//! loaded). So 60 million people stream in the same memory as 60.
//!
//! **Households** (sizes 1–6: 30% alone, 34% two, 15% three, 13% four, 5% five,
//! 3% six) share an address. Couples usually share a surname (72%: the partner's
//! birth surname is kept as their other surname), keep their own (18%) or take a
//! double-barrelled one (10%). Children are at least 18 years younger than the
//! youngest adult; 6% of households with two or more children have twins (same
//! date of birth, surname and address, different given names). 15% of households
//! moved in the last five years and have a previous address nearby.
//!
//! Names come from `data/*.csv` (`name,weight,origin`, Zipf-like weights) and
//! follow the household's surname origin most of the time; see [`names`]. Noise
//! is described in [`noise`].
//!
//! Limits: addresses are drawn at random, so at tens of millions of people two
//! unrelated households sometimes share an address (as in real houses in
//! multiple occupation); the last household of each 64-person chunk is cut short
//! to fit it.

pub mod names;
pub mod noise;
pub mod permute;
pub mod population;
pub mod records;

pub use names::{Origin, Sex};
pub use noise::{AppliedNoise, NoiseModel};
pub use population::{People, Person, Population, PreviousAddress, Role};
pub use records::{
    MatchRecord, NoisyRecord, RECORD_HEADER, REFERENCE_HEADER, Records, ReferenceExtract, ReferenceRecord,
    write_records_csv, write_reference_csv,
};

/// Why generation or writing failed.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("a population of {size} people is too large (at most {max})")]
    TooLarge { size: u64, max: u64 },
    #[error("noise rate {0} must be a probability (and non_match below 0.5)")]
    BadRate(&'static str),
    #[error("writing CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("writing: {0}")]
    Io(#[from] std::io::Error),
}
