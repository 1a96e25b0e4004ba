//! The person index at national scale: N electors uploaded as an EMS would
//! (pages of 1,000 through `EroStore::put_electors`, so each is normalised,
//! digested under the data key and stored), then look-ups as "Am I
//! registered?" makes them (`CitizenStore::find_person`): half for electors
//! on the register (typed with a familiar form of the name, other case and
//! spacing), half for people who are not. Prints bytes per elector (the
//! database file over N, after a checkpoint), the load rate, and look-up
//! latency percentiles; asserts that every elector looked up was found and
//! nobody else.
//!
//! ```text
//! cargo bench -p ier-storage-sqlite --bench person_index -- [--electors 46000000] [--lookups 20000] [--dir DIR] [--bulk] [--keep]
//! ```
//!
//! With `--bulk` the electors are loaded as before the service opens, all at
//! once (`SqliteBackend::bulk_load_electors`: digested on every core, written
//! in key order); the look-ups are the same.
//!
//! The electors are made here, not by `ier-synth` (46 million people would
//! take longer to make than to index): names from short lists, a unique house
//! number and postcode each, a date of birth in 1930–2006. Their digests are
//! as random as any real register's, which is what the index's size and
//! speed depend on.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ier_storage::persons::Person;
use ier_storage::{Backend, DataKeys, Store};
use ier_storage_sqlite::SqliteBackend;

const GIVEN: [&str; 16] = [
    "William",
    "Mary",
    "John",
    "Sarah",
    "David",
    "Emma",
    "James",
    "Olivia",
    "Robert",
    "Sian",
    "Thomas",
    "Amelia",
    "Mohammed",
    "Aisha",
    "Piotr",
    "Agnieszka",
];
const FAMILIAR: [&str; 16] = [
    "Bill",
    "Mary",
    "Jack",
    "Sally",
    "Dave",
    "Emma",
    "Jim",
    "Olivia",
    "Bob",
    "Sian",
    "Tom",
    "Amelia",
    "Mohammed",
    "Aisha",
    "Piotr",
    "Agnieszka",
];
const SURNAMES: [&str; 12] =
    ["Jones", "Smith", "Williams", "Taylor", "Evans", "Brown", "Khan", "Patel", "Nowak", "Macdonald", "O'Brien", "Li"];

/// Elector `i`'s details (deterministic; unique by house and postcode).
struct Made {
    given: usize,
    surname: usize,
    dob: String,
    postcode: String,
    house: String,
}

fn made(i: u64) -> Made {
    let h = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (i >> 7);
    let (area, district) = (["CF", "SW", "EH", "LS", "M", "B", "G", "NE"][(h % 8) as usize], 1 + (h >> 3) % 60);
    let postcode = format!(
        "{area}{district} {}{}{}",
        (h >> 9) % 10,
        (b'A' + ((h >> 13) % 26) as u8) as char,
        (b'A' + ((h >> 18) % 26) as u8) as char
    );
    let year = 1930 + (h >> 23) % 77;
    let (month, day) = (1 + (h >> 30) % 12, 1 + (h >> 34) % 28);
    Made {
        given: ((h >> 40) % 16) as usize,
        surname: ((h >> 44) % 12) as usize,
        dob: format!("{year:04}-{month:02}-{day:02}"),
        postcode,
        // Unique per elector: the house number carries the index.
        house: format!("{} High Street", i + 1),
    }
}

fn person<'a>(m: &'a Made, given: &'a str) -> Person<'a> {
    Person {
        given,
        surname: SURNAMES[m.surname],
        date_of_birth: Some(&m.dob),
        postcode: &m.postcode,
        line1: &m.house,
        line2: "",
        uprn: None,
        nino: None,
    }
}

fn arg(name: &str, default: u64) -> u64 {
    let argv: Vec<String> = std::env::args().collect();
    argv.iter().position(|a| a == name).and_then(|i| argv.get(i + 1)).map(|v| v.parse().expect(name)).unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let electors = arg("--electors", 46_000_000);
    let lookups = arg("--lookups", 20_000);
    let argv: Vec<String> = std::env::args().collect();
    let dir = match argv.iter().position(|a| a == "--dir").and_then(|i| argv.get(i + 1)) {
        Some(d) => std::path::PathBuf::from(d),
        None => std::env::temp_dir().join(format!("ier-person-index-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("index.db");
    let _ = std::fs::remove_file(&path);
    let backend = Arc::new(SqliteBackend::open(&path).await.unwrap());
    let reference = ier_reference::ReferenceData::embedded();
    backend.put_eros(&reference.eros().cloned().collect::<Vec<_>>()).await.unwrap();
    let key = DataKeys::generate("k1");
    let store = Store::new(backend.clone(), DataKeys::parse(&key).unwrap());
    let eros: Vec<ier_domain::EroId> = reference.eros().map(|e| e.id.clone()).collect();

    let started = Instant::now();
    const PAGE: u64 = 1000;
    if argv.iter().any(|a| a == "--bulk") {
        // The national load before opening: digested on both cores, then one bulk load.
        let keys = DataKeys::parse(&key).unwrap();
        let threads = 2u64;
        let parts: Vec<Vec<(ier_domain::EroId, String, Vec<i64>)>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let (keys, eros) = (&keys, &eros);
                    scope.spawn(move || {
                        (t..electors)
                            .step_by(threads as usize)
                            .map(|i| {
                                let m = made(i);
                                let entry = keys.person_entry(&person(&m, GIVEN[m.given]));
                                (
                                    eros[((i / PAGE) % eros.len() as u64) as usize].clone(),
                                    format!("E{i}"),
                                    entry.digests,
                                )
                            })
                            .collect()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        eprintln!("  digested in {:.0} s", started.elapsed().as_secs_f64());
        let all: Vec<_> = parts.into_iter().flatten().collect();
        backend.bulk_load_electors(keys.current_id(), chrono::Utc::now(), all).await.unwrap();
    } else {
        // Load: pages of 1,000, each to one ERO (as one EMS uploads its register).
        let mut last_report = Instant::now();
        for page in 0..electors.div_ceil(PAGE) {
            let range = page * PAGE..((page + 1) * PAGE).min(electors);
            let mades: Vec<(u64, Made)> = range.map(|i| (i, made(i))).collect();
            let batch: Vec<(String, Person<'_>)> =
                mades.iter().map(|(i, m)| (format!("E{i}"), person(m, GIVEN[m.given]))).collect();
            let ero = store.for_ero(eros[(page % eros.len() as u64) as usize].clone());
            ero.put_electors(chrono::Utc::now(), &batch).await.unwrap();
            if last_report.elapsed() > Duration::from_secs(60) {
                let done = (page + 1) * PAGE;
                eprintln!("  {done} electors in {:.0} s", started.elapsed().as_secs_f64());
                last_report = Instant::now();
            }
        }
    }
    let load = started.elapsed();
    drop(store);
    drop(backend);
    let backend = Arc::new(SqliteBackend::open(&path).await.unwrap());
    let counts = backend.table_counts().await.unwrap();
    let keys = counts.iter().find(|(t, _)| t == "person_keys").map(|(_, n)| *n).unwrap_or(0);
    let file = |suffix: &str| std::fs::metadata(dir.join(format!("index.db{suffix}"))).map(|m| m.len()).unwrap_or(0);
    let bytes = file("") + file("-wal");
    let store = Store::new(backend, DataKeys::parse(&key).unwrap());
    let citizen = store.citizen();

    // Look-ups: even ones for an elector (a familiar name, as typed), odd ones for nobody.
    let mut times = Vec::with_capacity(lookups as usize);
    let (mut found, mut wrong) = (0u64, 0u64);
    for j in 0..lookups {
        let i = j.wrapping_mul(0x2545_F491_4F6C_DD1D) % electors;
        let m = made(i);
        let surname = SURNAMES[m.surname].to_uppercase();
        let postcode = m.postcode.to_lowercase().replace(' ', "");
        let (house, dob) = if j % 2 == 0 {
            (format!("{}, High St", i + 1), m.dob.clone())
        } else {
            // Nobody: a house number no elector has.
            (format!("{} High Street", electors + j + 1), m.dob.clone())
        };
        let typed = Person {
            given: FAMILIAR[m.given],
            surname: &surname,
            date_of_birth: Some(&dob),
            postcode: &postcode,
            line1: &house,
            line2: "",
            uprn: None,
            nino: None,
        };
        let t = Instant::now();
        let answer = citizen.find_person(&typed).await.unwrap();
        times.push(t.elapsed());
        let hit = answer.iter().any(|f| f.found.subject == format!("E{i}"));
        if j % 2 == 0 && hit {
            found += 1;
        }
        if answer.iter().any(|f| f.found.subject != format!("E{i}")) || (j % 2 == 1 && !answer.is_empty()) {
            wrong += 1;
        }
    }
    times.sort_unstable();
    println!(
        "person index: {electors} electors loaded in {:.0} s ({:.0} a second, digested and stored {})",
        load.as_secs_f64(),
        electors as f64 / load.as_secs_f64(),
        if argv.iter().any(|a| a == "--bulk") { "in one bulk load".to_owned() } else { format!("in pages of {PAGE}") }
    );
    println!(
        "  {keys} digests ({:.2} an elector); database {bytes} bytes: {:.0} bytes an elector",
        keys as f64 / electors as f64,
        bytes as f64 / electors as f64
    );
    println!(
        "  {lookups} look-ups: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms; electors found {found} of {}; wrong answers {wrong}",
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3,
        times.last().unwrap().as_secs_f64() * 1e3,
        lookups.div_ceil(2)
    );
    assert_eq!(found, lookups.div_ceil(2), "every elector looked up is found");
    assert_eq!(wrong, 0, "nobody else is");
    if !argv.iter().any(|a| a == "--keep") {
        let _ = std::fs::remove_dir_all(&dir);
    }
}
