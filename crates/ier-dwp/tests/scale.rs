//! Scale: a simulator over 1,000,000 people. Ignored by default; run with
//! `cargo test -p ier-dwp --release -- --ignored --nocapture`. It prints the
//! numbers and asserts only correctness, never time. `IER_DWP_SCALE_PEOPLE`
//! sets another size (e.g. `10000000` for the 10M-person reference).

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use ier_domain::VerificationOutcome;
use ier_dwp::DwpSimulator;
use ier_synth::Population;

/// People in the simulator: `IER_DWP_SCALE_PEOPLE`, or a million.
fn scale_people() -> u64 {
    std::env::var("IER_DWP_SCALE_PEOPLE")
        .ok()
        .map(|v| v.replace('_', "").parse().expect("IER_DWP_SCALE_PEOPLE is a number of people"))
        .unwrap_or(1_000_000)
}
const VERIFICATIONS: usize = 10_000;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// A fixed, spread-out sequence of person indexes (no global randomness).
fn picks(n: usize, below: u64) -> impl Iterator<Item = u64> {
    (0..n as u64).map(move |k| (k.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11) % below)
}

#[test]
#[ignore = "measures a million-person simulator; run in release with --nocapture"]
fn a_million_people() {
    let on = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
    let people = scale_people();

    let started = Instant::now();
    let sim = DwpSimulator::new(Population::new(46, people, on).unwrap());
    let build = started.elapsed();
    assert_eq!(sim.len(), people as usize);

    // For comparison: generating every person (what indexing through people() costs).
    let sample = 50_000;
    let started = Instant::now();
    let generated = sim.population().people_range(0, sample).count();
    let per_person = started.elapsed() / generated as u32;

    // person(i) alone, the cost of every hit.
    let mut person_times: Vec<Duration> = picks(VERIFICATIONS, people)
        .map(|i| {
            let t = Instant::now();
            let p = sim.population().person(i);
            let d = t.elapsed();
            assert_eq!(p.id, i);
            d
        })
        .collect();
    person_times.sort_unstable();

    // Verifications of people with their own details (the held path) and of
    // NINOs nobody holds (the miss path), through the rules.
    let requests: Vec<_> = picks(VERIFICATIONS, people)
        .enumerate()
        .map(|(k, i)| {
            let mut r = sim.request_for(&sim.population().person(i)).unwrap();
            if k % 10 == 9 {
                r.nino = sim.population().nino(people + k as u64);
            }
            r
        })
        .collect();
    let mut times = Vec::with_capacity(VERIFICATIONS);
    let started = Instant::now();
    for (k, r) in requests.iter().enumerate() {
        let t = Instant::now();
        let v = sim.verify_now(r);
        times.push(t.elapsed());
        let want = if k % 10 == 9 { VerificationOutcome::NoMatch } else { VerificationOutcome::Match };
        assert_eq!(v.outcome, want);
    }
    let total = started.elapsed();
    times.sort_unstable();

    println!("people:                      {people}");
    println!("index build:                 {build:?}");
    println!(
        "index memory:                {} bytes ({} per person; 10M ≈ {} MB)",
        sim.index_bytes(),
        sim.index_bytes() / people as usize,
        sim.index_bytes() / people as usize * 10
    );
    println!(
        "generating a person (people()): {per_person:?} each, so indexing through people() would take ≈ {:?}",
        per_person * people as u32
    );
    println!(
        "person(i):                   p50 {:?}, p99 {:?}",
        percentile(&person_times, 0.50),
        percentile(&person_times, 0.99)
    );
    println!(
        "verify ({VERIFICATIONS}, 10% not held): p50 {:?}, p99 {:?}, max {:?}, {:.0}/s on one thread",
        percentile(&times, 0.50),
        percentile(&times, 0.99),
        times[times.len() - 1],
        VERIFICATIONS as f64 / total.as_secs_f64()
    );
}
