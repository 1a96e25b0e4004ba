//! Integration tests: determinism, identity data validity, households, noise
//! rates and the CSV contract of the synthetic population.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use ier_domain::{DateOfBirth, GivenName, MiddleNames, Nino, Postcode, Surname};
use ier_synth::noise::swap_day_month;
use ier_synth::{
    NoiseModel, Population, RECORD_HEADER, REFERENCE_HEADER, ReferenceRecord, Role, write_records_csv,
    write_reference_csv,
};

fn on() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, 1).unwrap()
}

fn pop(seed: u64, size: u64) -> Population {
    Population::new(seed, size, on()).unwrap()
}

#[test]
fn same_seed_same_output_and_different_seed_different() {
    let write = |seed| {
        let p = pop(seed, 300);
        let mut reference = Vec::new();
        write_reference_csv(p.reference_extract(), &mut reference).unwrap();
        let (mut records, mut truth) = (Vec::new(), Vec::new());
        write_records_csv(p.applicants(&NoiseModel::realistic()).unwrap(), &mut records, &mut truth).unwrap();
        (reference, records, truth)
    };
    let a = write(7);
    assert_eq!(a, write(7));
    let b = write(8);
    assert_ne!(a.0, b.0);
    assert_ne!(a.1, b.1);
}

#[test]
fn a_person_made_alone_equals_the_streamed_one_and_does_not_depend_on_size() {
    let p = pop(11, 2_000);
    let streamed: Vec<_> = p.people().collect();
    assert_eq!(streamed.len(), 2_000);
    for (i, person) in streamed.iter().enumerate() {
        assert_eq!(person.id, i as u64);
        if i % 7 == 0 {
            assert_eq!(&p.person(i as u64), person);
        }
    }
    let bigger = pop(11, 1_000_000);
    assert_eq!(bigger.person(1_234), streamed[1_234]);
    // A range starting mid-household gives the same people.
    let ranged: Vec<_> = p.people_range(1_001, 1_010).collect();
    assert_eq!(ranged.as_slice(), &streamed[1_001..1_010]);
}

#[test]
fn ninos_are_valid_and_unique_over_200k() {
    let p = pop(5, 200_000);
    let mut seen = HashSet::with_capacity(200_000);
    for i in 0..200_000 {
        let n = p.nino(i);
        let reparsed = Nino::parse(&n.compact()).unwrap();
        assert!(reparsed.suffix().is_some());
        assert!(seen.insert(n.stem().to_owned()), "duplicate NINO at {i}");
    }
}

#[test]
fn people_are_valid_identity_data() {
    let p = pop(3, 30_000);
    let mut accented = 0;
    let mut with_middle = 0;
    let mut double_barrelled = 0;
    let mut particles = 0;
    let mut origins = HashSet::new();
    let mut adults_by_household: HashMap<u64, Vec<NaiveDate>> = HashMap::new();
    let mut ages = [0u32; 10];
    let people: Vec<_> = p.people().collect();
    for person in &people {
        assert_eq!(GivenName::parse(&person.given).unwrap().as_str(), person.given);
        assert_eq!(Surname::parse(&person.surname).unwrap().as_str(), person.surname);
        if let Some(m) = &person.middle {
            assert_eq!(MiddleNames::parse(m).unwrap().as_str(), m);
            with_middle += 1;
        }
        if let Some(alt) = &person.alt_surname {
            Surname::parse(alt).unwrap();
            assert_ne!(alt, &person.surname);
        }
        DateOfBirth::from_date(person.date_of_birth, on()).unwrap();
        let pc = &person.address.postcode;
        assert_eq!(Postcode::parse(&pc.to_string()).unwrap(), *pc);
        assert!(person.address.gss_code.nation().is_some());
        if let Some(prev) = &person.previous {
            assert!(prev.moved_on > person.date_of_birth && prev.moved_on <= on());
            assert_ne!(prev.address.uprn, person.address.uprn);
        }
        if !(person.given.is_ascii() && person.surname.is_ascii()) {
            accented += 1;
        }
        if person.surname.contains('-') && !person.surname.contains(' ') {
            double_barrelled += 1;
        }
        if person.surname.contains('\'') || person.surname.contains(' ') {
            particles += 1;
        }
        origins.insert(person.origin);
        if person.role == Role::Adult {
            adults_by_household.entry(person.household).or_default().push(person.date_of_birth);
        }
        let age = ier_domain::dates::age_on(person.date_of_birth, on());
        ages[(age / 10).min(9) as usize] += 1;
    }
    let n = people.len() as f64;
    assert!(with_middle as f64 / n > 0.6, "middle names {with_middle}");
    assert!(accented > 300, "accented {accented}");
    assert!(double_barrelled > 100, "double-barrelled {double_barrelled}");
    assert!(particles > 100, "particles {particles}");
    assert_eq!(origins.len(), ier_synth::Origin::ALL.len());
    // Children are younger than every adult of their household.
    for person in people.iter().filter(|p| p.role == Role::Child) {
        for adult in &adults_by_household[&person.household] {
            assert!(person.date_of_birth > *adult);
        }
    }
    // UK-like age shape: every decade up to the 80s is populated, 90+ is rare.
    for (decade, count) in ages.iter().enumerate().take(9) {
        assert!(*count as f64 / n > 0.02, "decade {decade}: {count}");
    }
    assert!((ages[9] as f64 / n) < 0.02);
}

#[test]
fn households_share_an_address_and_twins_are_twins() {
    let p = pop(21, 60_000);
    let mut homes: HashMap<u64, (u64, String)> = HashMap::new();
    let mut sizes: HashMap<u64, usize> = HashMap::new();
    let mut twins = 0;
    let mut shared_surname = 0;
    let mut couples = 0;
    let people: Vec<_> = p.people().collect();
    for person in &people {
        let home = (person.address.uprn.get(), person.surname.clone());
        let entry = homes.entry(person.household).or_insert(home.clone());
        assert_eq!(entry.0, home.0, "household members live apart");
        *sizes.entry(person.household).or_default() += 1;
        if let Some(t) = person.twin_of {
            let twin = &people[t as usize];
            assert_eq!(twin.twin_of, Some(person.id));
            assert_eq!(twin.date_of_birth, person.date_of_birth);
            assert_eq!(twin.surname, person.surname);
            assert_eq!(twin.address, person.address);
            assert_ne!(twin.given, person.given);
            twins += 1;
        }
        if person.role == Role::Adult && person.id != person.household {
            couples += 1;
            if people[person.household as usize].surname == person.surname {
                shared_surname += 1;
            }
        }
    }
    // Twin children are about 1–3% of births; here about 0.5–2% of everyone.
    let twin_rate = twins as f64 / people.len() as f64;
    assert!((0.002..0.03).contains(&twin_rate), "twins {twin_rate}");
    // Most households are one or two people; sizes go up to six.
    let singles = sizes.values().filter(|&&s| s == 1).count() as f64;
    let pairs = sizes.values().filter(|&&s| s == 2).count() as f64;
    let households = sizes.len() as f64;
    assert!((0.25..0.36).contains(&(singles / households)));
    assert!((0.28..0.40).contains(&(pairs / households)));
    assert_eq!(sizes.values().max(), Some(&6));
    // Couples usually share a surname, but not always.
    let shared = shared_surname as f64 / couples as f64;
    assert!((0.6..0.95).contains(&shared), "shared surnames {shared}");
}

#[test]
fn no_noise_reproduces_the_reference_exactly() {
    let p = pop(9, 3_000);
    let reference: Vec<ReferenceRecord> = p.reference_extract().collect();
    let mut seen = HashSet::new();
    for r in p.applicants(&NoiseModel::none()).unwrap() {
        let pid = r.person_id.expect("no non-matches without noise");
        assert!(seen.insert(pid), "person twice");
        let want = &reference[pid as usize];
        let got = &r.record;
        assert_eq!(
            (
                &got.given_name,
                &got.middle_names,
                &got.surname,
                &got.date_of_birth,
                &got.nino,
                &got.address_line_1,
                &got.address_line_2,
                &got.town,
                &got.postcode
            ),
            (
                &want.given_name,
                &want.middle_names,
                &want.surname,
                &want.date_of_birth,
                &want.nino,
                &want.address_line_1,
                &want.address_line_2,
                &want.town,
                &want.postcode
            )
        );
        assert_eq!(r.applied, Default::default());
    }
    assert_eq!(seen.len(), 3_000);
}

#[test]
fn records_are_shuffled_and_ids_hide_the_person() {
    let p = pop(4, 5_000);
    let records: Vec<_> = p.applicants(&NoiseModel::realistic()).unwrap().collect();
    let ids: HashSet<_> = records.iter().map(|r| r.record.id.clone()).collect();
    assert_eq!(ids.len(), records.len(), "record ids are unique");
    let in_order = records
        .windows(2)
        .filter(|w| match (w[0].person_id, w[1].person_id) {
            (Some(a), Some(b)) => b == a + 1,
            _ => false,
        })
        .count();
    assert!(in_order < 20, "records follow person order: {in_order}");
    for r in &records {
        assert_eq!(r.record.id.len(), 10);
        if let Some(pid) = r.person_id {
            assert_ne!(r.record.id, pid.to_string());
        }
    }
}

/// Measured rates on 50k records must be within 1.5 points of the configured ones.
#[test]
fn noise_rates_are_as_configured() {
    let noise = NoiseModel {
        moved_address: 0.4,
        address_format: 0.2,
        postcode_format: 0.15,
        nickname: 0.3,
        accents_dropped: 0.1,
        name_typo: 0.05,
        middle_names_missing: 0.25,
        surname_change: 0.3,
        dob_missing: 0.05,
        dob_day_month_swap: 0.2,
        nino_missing: 0.1,
        nino_digit_wrong: 0.1,
        non_match: 0.05,
        coverage: 0.8,
        confirmation_style: false,
    };
    let size = 50_000;
    let p = pop(17, size);
    #[derive(Default)]
    struct Rate {
        hits: u64,
        of: u64,
    }
    impl Rate {
        fn add(&mut self, eligible: bool, hit: bool) {
            if eligible {
                self.of += 1;
                self.hits += hit as u64;
            }
        }
        fn check(&self, name: &str, want: f64) {
            assert!(self.of > 1_000, "{name}: only {} eligible", self.of);
            let got = self.hits as f64 / self.of as f64;
            assert!((got - want).abs() < 0.015, "{name}: {got:.4} vs {want}");
        }
    }
    let mut rates: HashMap<&str, Rate> = HashMap::new();
    let mut rate = |name, eligible, hit| rates.entry(name).or_default().add(eligible, hit);
    let (mut total, mut phantoms) = (0u64, 0u64);
    let mut people = HashSet::new();
    let everyone: Vec<_> = p.people().collect();
    for r in p.applicants(&noise).unwrap() {
        total += 1;
        let Some(pid) = r.person_id else {
            phantoms += 1;
            continue;
        };
        assert!(pid < size);
        assert!(people.insert(pid));
        let person = &everyone[pid as usize];
        let want = ReferenceRecord::of(person);
        let (got, a) = (&r.record, &r.applied);

        // Fields that show their noise directly.
        rate("dob_missing", true, got.date_of_birth.is_empty());
        assert_eq!(got.date_of_birth.is_empty(), a.dob_missing);
        let swap = swap_day_month(person.date_of_birth);
        if !got.date_of_birth.is_empty() {
            let swapped = swap.is_some_and(|s| s.format("%Y-%m-%d").to_string() == got.date_of_birth);
            rate("dob_day_month_swap", swap.is_some(), swapped);
            assert!(swapped || got.date_of_birth == want.date_of_birth);
        }
        rate("nino_missing", true, got.nino.is_empty());
        if !got.nino.is_empty() {
            let diffs = got.nino.bytes().zip(want.nino.bytes()).filter(|(x, y)| x != y).count();
            assert!(diffs <= 1);
            assert_eq!(diffs == 1, a.nino_digit_wrong);
            rate("nino_digit_wrong", true, diffs == 1);
        }
        rate("middle_names_missing", !want.middle_names.is_empty(), got.middle_names.is_empty());
        let prev = person.previous.as_ref().map(|pa| pa.address.postcode.compact());
        let shown = Postcode::parse(&got.postcode).unwrap().compact();
        rate(
            "moved_address",
            prev.is_some(),
            prev.as_ref() == Some(&shown) && shown != person.address.postcode.compact(),
        );
        let shown_postcode = if a.moved_address {
            person.previous.as_ref().unwrap().address.postcode.to_string()
        } else {
            want.postcode.clone()
        };
        rate("postcode_format", true, got.postcode != shown_postcode);
        assert_eq!(got.postcode != shown_postcode, a.postcode_format);

        // Name noise: flags, each checked against the fields.
        let has_nick = ier_synth::names::NICKNAMES.contains_key(&person.given);
        rate("nickname", has_nick, a.nickname);
        let given_before_typo_accented = !ier_synth::names::drop_accents(&person.given).eq(&person.given);
        if !a.nickname {
            rate("given_accents_dropped", given_before_typo_accented, a.given_accents_dropped);
        }
        rate("given_typo", true, a.given_typo);
        rate("surname_typo", true, a.surname_typo);
        rate("surname_change", person.alt_surname.is_some(), a.surname_change);
        if !(a.nickname || a.given_accents_dropped || a.given_typo) {
            assert_eq!(got.given_name, want.given_name);
        }
        if a.given_typo {
            assert_ne!(got.given_name, want.given_name);
        }
        if !(a.surname_change || a.surname_accents_dropped || a.surname_typo) {
            assert_eq!(got.surname, want.surname);
        }
        if a.surname_change && !(a.surname_accents_dropped || a.surname_typo) {
            assert_eq!(Some(&got.surname), person.alt_surname.as_ref());
        }
        rate("address_format", true, a.address_format);
        if !a.address_format && !a.moved_address {
            assert_eq!((&got.address_line_1, &got.address_line_2), (&want.address_line_1, &want.address_line_2));
        }
        if a.address_format {
            assert_ne!(got.address_line_1, want.address_line_1);
        }
    }
    for (name, want) in [
        ("dob_missing", noise.dob_missing),
        ("dob_day_month_swap", noise.dob_day_month_swap),
        ("nino_missing", noise.nino_missing),
        ("nino_digit_wrong", noise.nino_digit_wrong),
        ("middle_names_missing", noise.middle_names_missing),
        ("moved_address", noise.moved_address),
        ("postcode_format", noise.postcode_format),
        ("nickname", noise.nickname),
        ("given_accents_dropped", noise.accents_dropped),
        ("given_typo", noise.name_typo),
        ("surname_typo", noise.name_typo),
        ("surname_change", noise.surname_change),
        ("address_format", noise.address_format),
    ] {
        rates[name].check(name, want);
    }
    let coverage = people.len() as f64 / size as f64;
    assert!((coverage - noise.coverage).abs() < 0.015, "coverage {coverage}");
    let non_match = phantoms as f64 / total as f64;
    assert!((non_match - noise.non_match).abs() < 0.015, "non-match {non_match}");
}

#[test]
fn non_matches_are_people_not_in_the_reference() {
    let p = pop(2, 4_000);
    let noise = NoiseModel { non_match: 0.2, ..NoiseModel::none() };
    let ninos: HashSet<String> = p.reference_extract().map(|r| r.nino).collect();
    let (mut truth, mut records) = (Vec::new(), Vec::new());
    let all: Vec<_> = p.applicants(&noise).unwrap().collect();
    let phantoms: Vec<_> = all.iter().filter(|r| r.person_id.is_none()).cloned().collect();
    assert!(phantoms.len() > 700, "{}", phantoms.len());
    for r in &phantoms {
        Nino::parse(&r.record.nino).unwrap();
        assert!(!ninos.contains(&r.record.nino), "a non-match has a reference NINO");
    }
    write_records_csv(all.into_iter(), &mut records, &mut truth).unwrap();
    let truth = String::from_utf8(truth).unwrap();
    let empty = truth.lines().skip(1).filter(|l| l.ends_with(',')).count();
    assert_eq!(empty, phantoms.len(), "ground truth marks non-matches with no person");
}

#[test]
fn csv_contract_is_exact() {
    let p = pop(6, 500);
    let (mut records, mut truth) = (Vec::new(), Vec::new());
    let n = write_records_csv(p.register(&NoiseModel::realistic()).unwrap(), &mut records, &mut truth).unwrap();
    let mut reader = csv::Reader::from_reader(records.as_slice());
    assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), RECORD_HEADER.to_vec());
    assert_eq!(
        RECORD_HEADER.join(","),
        "id,given_name,middle_names,surname,date_of_birth,nino,address_line_1,address_line_2,town,postcode"
    );
    let rows: Vec<_> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len() as u64, n);
    for row in &rows {
        assert_eq!(row.len(), 10);
        assert!(!row[0].is_empty());
        // A register: no DOB, no NINO.
        assert_eq!((&row[4], &row[5]), ("", ""));
    }
    let mut t = csv::Reader::from_reader(truth.as_slice());
    assert_eq!(t.headers().unwrap().iter().collect::<Vec<_>>(), ["record_id", "person_id"]);
    let truth_rows: Vec<_> = t.records().map(Result::unwrap).collect();
    assert_eq!(truth_rows.len(), rows.len());
    for (r, tr) in rows.iter().zip(&truth_rows) {
        assert_eq!(&r[0], &tr[0]);
    }

    // Applicants carry DOBs as YYYY-MM-DD.
    let a = p.applicants(&NoiseModel::none()).unwrap().next().unwrap();
    assert!(NaiveDate::parse_from_str(&a.record.date_of_birth, "%Y-%m-%d").is_ok());

    let mut reference = Vec::new();
    assert_eq!(write_reference_csv(p.reference_extract(), &mut reference).unwrap(), 500);
    let mut reader = csv::Reader::from_reader(reference.as_slice());
    assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), REFERENCE_HEADER.to_vec());
    let first = reader.records().next().unwrap().unwrap();
    assert_eq!(&first[0], "0");
    assert_eq!(first.len(), 11);
    let mut empty = Vec::new();
    write_reference_csv(std::iter::empty(), &mut empty).unwrap();
    assert_eq!(String::from_utf8(empty).unwrap().trim(), REFERENCE_HEADER.join(","));
}

#[test]
fn streaming_holds_one_household_at_a_time() {
    // 1M people in a debug build would be slow; the buffer bound is what keeps
    // memory constant, so check it over a long stretch far into a large population.
    let p = pop(1, 60_000_000);
    let mut people = p.people_range(59_900_000, 59_950_000);
    let mut count = 0;
    while let Some(person) = people.next() {
        assert!(people.buffered() < 6, "buffer grew to {}", people.buffered());
        assert_eq!(person.id, 59_900_000 + count);
        count += 1;
    }
    assert_eq!(count, 50_000);
    assert_eq!(people.buffered(), 0);
}

#[test]
fn too_large_populations_and_bad_noise_are_refused() {
    assert!(Population::new(1, ier_synth::population::max_size() + 1, on()).is_err());
    let p = pop(1, 10);
    let bad = NoiseModel { coverage: -0.1, ..NoiseModel::none() };
    assert!(p.applicants(&bad).is_err());
}

#[test]
#[ignore = "timing: run with --release -- --ignored"]
fn generation_speed() {
    let p = pop(42, 1_000_000);
    let start = std::time::Instant::now();
    let n = p.people().count();
    let secs = start.elapsed().as_secs_f64();
    println!("people: {n} in {secs:.2}s = {:.0} people/s", n as f64 / secs);
    let start = std::time::Instant::now();
    let n = write_reference_csv(p.reference_extract(), std::io::sink()).unwrap();
    let secs = start.elapsed().as_secs_f64();
    println!("reference CSV: {n} rows in {secs:.2}s = {:.0} rows/s", n as f64 / secs);
    let start = std::time::Instant::now();
    let n =
        write_records_csv(p.applicants(&NoiseModel::realistic()).unwrap(), std::io::sink(), std::io::sink()).unwrap();
    let secs = start.elapsed().as_secs_f64();
    println!("applicants CSV: {n} rows in {secs:.2}s = {:.0} rows/s", n as f64 / secs);
}
