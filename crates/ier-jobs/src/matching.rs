//! The data matching worker: takes queued data matching runs
//! ([`ier_storage::matching`]) one at a time, oldest first, and matches them with
//! `ier-match`: the register against DWP's reference (built once per process
//! and shared by every run: [`DwpReference`]), or the electors DWP did not match
//! against the run's local data. Its lease is renewed as it reports progress
//! (records compared, then results written); a worker that dies leaves the
//! lease to run out and another instance takes the run from the start. The
//! CPU-bound parts run on blocking threads, so the instance keeps answering.
//!
//! Each elector is also given its property (by UPRN, else by its normalised
//! address and postcode), so the EMS can read the canvass route of each.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use chrono::Utc;
use ier_match::{
    DEFAULT_THRESHOLD, InputRecord, Model, Options, Prepared, Reference, ReferenceBuilder, TrainOptions, train,
};
use ier_storage::StorageError;
use ier_storage::matching::{Against, ElectorResult, Level, MatchingWorker, Outcome, Person, RunRow};

/// Records scored between progress reports.
const PART: usize = 32_768;
/// Left records the model is trained on, at most.
const TRAIN_SAMPLE: usize = 200_000;

/// DWP's reference, built on first use and shared by every run of the process.
pub struct DwpReference {
    name: &'static str,
    build: Box<dyn Fn() -> Result<Reference, String> + Send + Sync>,
    built: OnceLock<Result<Arc<Reference>, String>>,
}

impl DwpReference {
    /// `name` says where it comes from (`simulator`, `extract`), for logs.
    pub fn new(name: &'static str, build: impl Fn() -> Result<Reference, String> + Send + Sync + 'static) -> Self {
        Self { name, build: Box::new(build), built: OnceLock::new() }
    }

    /// An already built reference.
    pub fn of(name: &'static str, reference: Reference) -> Self {
        let built = OnceLock::new();
        let _ = built.set(Ok(Arc::new(reference)));
        Self { name, build: Box::new(|| Err("already built".into())), built }
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The reference, built now if it has not been (blocking: call off the async threads).
    pub fn get(&self) -> Result<Arc<Reference>, String> {
        self.built
            .get_or_init(|| {
                let started = std::time::Instant::now();
                let r = (self.build)().map(Arc::new);
                if let Ok(r) = &r {
                    tracing::info!(
                        source = self.name,
                        records = r.len(),
                        seconds = started.elapsed().as_secs_f64(),
                        "DWP reference built"
                    );
                }
                r
            })
            .clone()
    }
}

/// The comparable form of a person ([`Options::default`]: a field that is missing counts as
/// missing): the first address line, the others together, the town.
pub fn prepare(p: &Person) -> Prepared {
    let lines = &p.address_lines;
    let line1 = lines.first().cloned().unwrap_or_default();
    let line2 = lines.get(1..).map(|l| l.join(" ")).unwrap_or_default();
    let town = p.town.clone();
    let mut input = InputRecord {
        id: "",
        given_name: &p.given_name,
        middle_names: &p.middle_names,
        surname: &p.surname,
        date_of_birth: &p.date_of_birth,
        nino: &p.nino,
        address_line_1: &line1,
        address_line_2: &line2,
        town: &town,
        postcode: &p.postcode,
    };
    Prepared::new(&input, &Options::default()).unwrap_or_else(|_| {
        // Dates were checked on upload; one that still does not read is missing.
        input.date_of_birth = "";
        Prepared::new(&input, &Options::default()).expect("without a date of birth a record always prepares")
    })
}

/// A reference from local data records (ids are their positions).
pub fn local_reference(records: &[Person]) -> Reference {
    let mut b = ReferenceBuilder::new();
    for (i, p) in records.iter().enumerate() {
        b.push(&i.to_string(), &prepare(p));
    }
    b.finish()
}

/// Property numbers by first appearance: the same UPRN, or else the same normalised
/// address and postcode, is one property. The keys are digests (SHA-256's first 16 bytes) made on every core; numbering them in
/// order is then one pass.
fn properties(people: &[(String, Person, bool)], prepared: &[Prepared]) -> Vec<u32> {
    let indexes: Vec<usize> = (0..people.len()).collect();
    let keys: Vec<u128> = ier_match::parallel::par_chunks(&indexes, 1 << 14, |chunk| {
        let mut text = String::new();
        chunk
            .iter()
            .map(|&i| {
                use std::fmt::Write;
                text.clear();
                match people[i].1.uprn {
                    Some(u) => write!(text, "u{u}").expect("a string takes it"),
                    None => write!(text, "a{}|{}", prepared[i].address(), prepared[i].postcode())
                        .expect("a string takes it"),
                }
                let d = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
                u128::from_le_bytes(d.as_ref()[..16].try_into().expect("16 bytes"))
            })
            .collect()
    });
    let mut seen: HashMap<u128, u32> = HashMap::with_capacity(people.len());
    keys.into_iter()
        .map(|key| {
            let next = seen.len() as u32 + 1;
            *seen.entry(key).or_insert(next)
        })
        .collect()
}

/// The model a match scores with. Against DWP: trained on the run's electors (a sample)
/// and DWP's reference, as `ier match link` trains. Against local data the same model
/// serves (how a register's records agree with a person's records, and how often two
/// people's do by chance, are properties of people, best estimated on DWP's whole
/// population), with the prior set for the local file's size, and no term-frequency
/// adjustment: a file of a few hundred records says little about how common a name is.
fn model(
    dwp: &Reference,
    people: &[(String, Person, bool)],
    prepared: &[Prepared],
    against: Against,
    reference_len: usize,
) -> Model {
    let everyone: Vec<Prepared>;
    let sample: &[Prepared] = match against {
        Against::Dwp => &prepared[..prepared.len().min(TRAIN_SAMPLE)],
        // Every elector (those DWP matched teach the model most), not only the ones left.
        Against::LocalData => {
            everyone = people.iter().take(TRAIN_SAMPLE).map(|p| prepare(&p.1)).collect();
            &everyone
        }
    };
    let (mut model, report) = train(dwp, sample, &TrainOptions::default());
    tracing::info!(against = %against, report = %report, "matching model trained");
    if against == Against::LocalData {
        model.lambda = (1.0 / reference_len.max(2) as f64).min(0.5);
        model.term_frequency = false;
    }
    model
}

/// Compare people with local data records at once, as a run's local data match compares
/// its electors: the ERO portal's local data step, for an office's applicants DWP did not
/// match (a few thousand at most). The model is trained on `sample` (the office's
/// applications, matched or not: how applicants' records agree with DWP's) against DWP's
/// reference, with the prior set for the file's size and no term-frequency adjustment.
/// One outcome per person, in order. CPU-bound: call it on a blocking thread.
pub fn match_local(dwp: &Reference, sample: &[Person], people: &[Person], records: &[Person]) -> Vec<Outcome> {
    if people.is_empty() || records.is_empty() {
        return vec![Outcome { level: None, probability: None }; people.len()];
    }
    let reference = local_reference(records);
    let sample: Vec<Prepared> = sample.iter().take(TRAIN_SAMPLE).map(prepare).collect();
    let (mut model, _) = train(dwp, &sample, &TrainOptions::default());
    model.lambda = (1.0 / reference.len().max(2) as f64).min(0.5);
    model.term_frequency = false;
    let prepared: Vec<Prepared> = people.iter().map(prepare).collect();
    let (linked, _) = ier_match::link_prepared(&reference, &prepared, &model, DEFAULT_THRESHOLD, PART, |_| {});
    linked
        .iter()
        .map(|l| Outcome {
            level: l.and_then(|l| Level::of(l.probability, DEFAULT_THRESHOLD)),
            probability: l.map(|l| l.probability),
        })
        .collect()
}

/// The matching worker of one instance.
pub struct Matcher {
    store: MatchingWorker,
    dwp: Arc<DwpReference>,
    lease: Duration,
    idle: Duration,
}

impl Matcher {
    pub fn new(store: MatchingWorker, dwp: Arc<DwpReference>) -> Self {
        Self { store, dwp, lease: Duration::from_secs(300), idle: Duration::from_millis(250) }
    }

    /// How long a claimed run is held without a progress report (default 5 minutes).
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// Claim the oldest queued run and match it; the run, if there was one.
    pub async fn run_once(&self) -> Result<Option<RunRow>, StorageError> {
        let Some(run) = self.store.claim(Utc::now(), self.lease).await? else { return Ok(None) };
        let against = run.against.unwrap_or(Against::Dwp);
        let started = std::time::Instant::now();
        tracing::info!(run = %run.id, ero = %run.ero, against = %against, attempt = run.attempts, "matching run claimed");
        let outcome = self.match_run(&run, against).await;
        let metrics = ier_ops::metrics();
        match outcome {
            Ok(true) => {
                if self.store.finish(&run.id, Utc::now(), None).await? {
                    metrics.matching_run("done").inc();
                    tracing::info!(run = %run.id, against = %against, seconds = started.elapsed().as_secs_f64(), "matching run matched");
                }
            }
            Ok(false) => {
                metrics.matching_run("lease-lost").inc();
                tracing::warn!(run = %run.id, "matching run's lease lost: another worker has it");
            }
            Err(error) => {
                metrics.matching_run("retry").inc();
                tracing::error!(run = %run.id, %error, "matching run failed");
                self.store.finish(&run.id, Utc::now(), Some(&error)).await?;
            }
        }
        Ok(Some(run))
    }

    /// Work for ever, pausing when there is nothing to do or the database fails.
    pub async fn run(self) {
        loop {
            let pause = match self.run_once().await {
                Ok(Some(_)) => Duration::ZERO,
                Ok(None) => self.idle,
                Err(e) => {
                    tracing::error!(error = %e, "matching runs unavailable");
                    ier_ops::metrics().error("jobs").inc();
                    Duration::from_secs(5)
                }
            };
            if !pause.is_zero() {
                // Woken early by a run queued through this instance.
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = self.store.queued() => {}
                }
            }
        }
    }

    /// Match one run; `Ok(false)` when its lease was lost. Errors carry no personal data.
    async fn match_run(&self, run: &RunRow, against: Against) -> Result<bool, String> {
        let id = &run.id;
        let t0 = std::time::Instant::now();
        let people = self.store.electors(id).await.map_err(|e| e.to_string())?;
        let loaded = t0.elapsed().as_secs_f64();
        // Started (the DWP reference may still have to be indexed, on a process's first run).
        let electors = people.iter().filter(|p| against == Against::Dwp || !p.2).count() as u64;
        if !self.store.progress(id, 0, electors, self.lease).await.map_err(|e| e.to_string())? {
            return Ok(false);
        }
        let (reference, chosen): (Arc<Reference>, Vec<usize>) = match against {
            Against::Dwp => {
                let dwp = self.dwp.clone();
                let reference = tokio::task::spawn_blocking(move || dwp.get())
                    .await
                    .map_err(|_| "building the DWP reference failed".to_owned())?
                    .map_err(|e| format!("the DWP reference is not available: {e}"))?;
                (reference, (0..people.len()).collect())
            }
            Against::LocalData => {
                let records = self.store.local_records(id).await.map_err(|e| e.to_string())?;
                let reference = tokio::task::spawn_blocking(move || local_reference(&records))
                    .await
                    .map_err(|_| "indexing the local data failed".to_owned())?;
                (Arc::new(reference), people.iter().enumerate().filter(|(_, p)| !p.2).map(|(i, _)| i).collect())
            }
        };
        let total = chosen.len() as u64;
        if !self.store.progress(id, 0, total, self.lease).await.map_err(|e| e.to_string())? {
            return Ok(false);
        }
        // Score on blocking threads, reporting progress (and renewing the lease) as it goes.
        let (tx, mut rx) = tokio::sync::watch::channel(0usize);
        let people = Arc::new(people);
        let dwp = match against {
            Against::Dwp => reference.clone(),
            Against::LocalData => {
                let dwp = self.dwp.clone();
                tokio::task::spawn_blocking(move || dwp.get())
                    .await
                    .map_err(|_| "building the DWP reference failed".to_owned())?
                    .map_err(|e| format!("the DWP reference is not available: {e}"))?
            }
        };
        let work = {
            let (people, chosen, reference) = (people.clone(), chosen.clone(), reference.clone());
            tokio::task::spawn_blocking(move || {
                let prepared: Vec<Prepared> = ier_match::parallel::par_chunks(&chosen, 1 << 13, |c| {
                    c.iter().map(|&i| prepare(&people[i].1)).collect()
                });
                let property = match against {
                    Against::Dwp => Some(properties(&people, &prepared)),
                    Against::LocalData => None,
                };
                let model = model(&dwp, &people, &prepared, against, reference.len());
                let (linked, _) =
                    ier_match::link_prepared(&reference, &prepared, &model, DEFAULT_THRESHOLD, PART, |done| {
                        let _ = tx.send(done);
                    });
                (linked, property)
            })
        };
        tokio::pin!(work);
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        let (linked, property) = loop {
            tokio::select! {
                done = &mut work => break done.map_err(|_| "matching failed".to_owned())?,
                _ = tick.tick() => {
                    let done = *rx.borrow_and_update() as u64;
                    // Scoring is most of the work; writing the results is the rest.
                    if !self.store.progress(id, done * 9 / 10, total, self.lease).await.map_err(|e| e.to_string())? {
                        return Ok(false);
                    }
                }
            }
        };
        let scored = t0.elapsed().as_secs_f64();
        // The scoring thread has let go of the electors: their numbers move into the results.
        let mut numbers: Vec<String> = match Arc::try_unwrap(people) {
            Ok(people) => people.into_iter().map(|p| p.0).collect(),
            Err(people) => people.iter().map(|p| p.0.clone()).collect(),
        };
        let results: Vec<ElectorResult> = chosen
            .iter()
            .enumerate()
            .map(|(k, &i)| {
                let l = linked[k];
                ElectorResult {
                    number: std::mem::take(&mut numbers[i]),
                    level: l.and_then(|l| Level::of(l.probability, DEFAULT_THRESHOLD)),
                    probability: l.map(|l| l.probability),
                    property: property.as_ref().map(|p| p[k]),
                }
            })
            .collect();
        if !self.store.put_results(id, against, results).await.map_err(|e| e.to_string())? {
            return Ok(false);
        }
        tracing::info!(
            run = %id,
            electors = total,
            load_seconds = loaded,
            score_seconds = scored - loaded,
            write_seconds = t0.elapsed().as_secs_f64() - scored,
            "matching run's phases"
        );
        Ok(true)
    }
}
