//! Shared fixtures for the integration tests: one 20,000-person simulator.

use std::sync::OnceLock;

use chrono::NaiveDate;
use ier_dwp::DwpSimulator;
use ier_synth::Population;

pub const PEOPLE: u64 = 20_000;

pub fn reference_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, 1).unwrap()
}

/// The simulator over a 20,000-person population (seed 2014), built once.
pub fn simulator() -> &'static DwpSimulator {
    static SIM: OnceLock<DwpSimulator> = OnceLock::new();
    SIM.get_or_init(|| DwpSimulator::new(Population::new(2014, PEOPLE, reference_date()).unwrap()))
}
