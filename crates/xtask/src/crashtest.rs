//! `cargo xtask crashtest`: crash safety of submission. Each trial starts
//! `ier serve` (release) on the same database as the trials before it, drives
//! concurrent applicants (half walk whole journeys, half replay prepared
//! sessions' submissions, so submissions are in flight most of the time),
//! `kill -9`s the server at a random moment, and records every reference number
//! a client was actually shown on the complete page.
//!
//! ```text
//! cargo xtask crashtest [--db sqlite|postgres] [--trials 100] [--clients 32]
//!     [--kill-ms MIN-MAX] [--work-dir DIR] [--keep] [--json FILE]
//! ```
//!
//! A submission answered with its redirect but whose complete page never
//! arrived (the server died in between) still holds its receipt in the sealed
//! cookie: the next trial's server is asked for that complete page, as the
//! applicant's browser would on reload. At the end every reference shown is
//! checked with `ier verify` (present, decryptable with the data keys, intact);
//! without `ier verify` only presence is checked, with SQL. Either way the
//! store is also checked for half-written applications (one without its
//! `submitted` event, its identity-check job or its acknowledgement job).
//!
//! The servers send their messages through the real GOV.UK Notify client to a
//! fake Notify ([`crate::fakenotify`]) that counts them, with job leases of
//! 3 s. At the end, once every job has finished, each application must have
//! been verified exactly once and its acknowledgement sent exactly once (none
//! lost, none sent twice) across every `kill -9`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::json;

use crate::fakenotify::FakeNotify;
use crate::harness::{self, Applicant, Behaviour, Database, DbKind, Pool, Rng, ServerSetup, Stats};

struct Options {
    db: DbKind,
    trials: usize,
    clients: usize,
    kill_ms: (u64, u64),
    work_dir: Option<PathBuf>,
    keep: bool,
    json: Option<PathBuf>,
    command_line: String,
}

const USAGE: &str = "usage: cargo xtask crashtest [--db sqlite|postgres] [--trials 100] [--clients 32] [--kill-ms MIN-MAX] [--work-dir DIR] [--keep] [--json FILE]";

impl Options {
    fn parse(args: &[String]) -> anyhow::Result<Self> {
        let mut o = Options {
            db: DbKind::Sqlite,
            trials: 100,
            clients: 32,
            kill_ms: (300, 1500),
            work_dir: None,
            keep: false,
            json: None,
            command_line: format!("cargo xtask crashtest {}", args.join(" ")),
        };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let mut value = || it.next().with_context(|| format!("{a} needs a value"));
            match a.as_str() {
                "--db" => o.db = DbKind::parse(value()?)?,
                "--trials" => o.trials = value()?.parse()?,
                "--clients" => o.clients = value()?.parse()?,
                "--kill-ms" => {
                    let v = value()?;
                    let (lo, hi) = v.split_once('-').context("--kill-ms is MIN-MAX, e.g. 300-1500")?;
                    o.kill_ms = (lo.parse()?, hi.parse()?);
                    if o.kill_ms.0 > o.kill_ms.1 {
                        bail!("--kill-ms: MIN is above MAX");
                    }
                }
                "--work-dir" => o.work_dir = Some(PathBuf::from(value()?)),
                "--json" => o.json = Some(PathBuf::from(value()?)),
                "--keep" => o.keep = true,
                "--help" | "-h" => {
                    eprintln!("{USAGE}");
                    std::process::exit(0);
                }
                other => bail!("unexpected argument {other:?}\n{USAGE}"),
            }
        }
        Ok(o)
    }
}

pub fn main(args: &[String]) -> anyhow::Result<()> {
    let opts = Options::parse(args)?;
    if harness::reexec_in_release("crashtest", args)? {
        return Ok(());
    }
    let work = opts
        .work_dir
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join(format!("ier-crashtest-{}", std::process::id())));
    std::fs::create_dir_all(&work)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    let result = runtime.block_on(run(&opts, &work));
    if result.as_ref().is_ok_and(|lost| *lost == 0) && !opts.keep && opts.work_dir.is_none() {
        let _ = std::fs::remove_dir_all(&work);
    } else {
        eprintln!("work directory kept: {}", work.display());
    }
    match result? {
        0 => Ok(()),
        lost => bail!("{lost} reference number(s) shown to applicants are missing or damaged"),
    }
}

/// A cookie jar holding a receipt whose complete page was never shown.
type Jar = Vec<(String, String)>;

/// Runs the trials; returns how many references shown were lost or damaged.
async fn run(opts: &Options, work: &std::path::Path) -> anyhow::Result<usize> {
    let db = Database::create(opts.db, work, "crash")?;
    // Messages go through the real GOV.UK Notify client to a fake Notify that
    // counts them; a job held by a killed server returns to the queue after 3 s.
    let notify = FakeNotify::start(1_000_000).await?;
    let setup = ServerSetup::new(work, &db.url)?.with_notify(work, &notify.base_url(), 60_000, 3)?;
    let mut received: Vec<String> = Vec::new();
    let mut pending: Vec<Jar> = Vec::new();
    let mut trials = Vec::new();
    let mut rng = Rng::new(std::process::id() as u64);
    let began = Instant::now();
    let far = Instant::now() + Duration::from_secs(24 * 3600);
    let behaviour = Behaviour { think: Duration::ZERO, timeout: Duration::from_secs(30), retries: 0 };
    for trial in 1..=opts.trials {
        let (mut server, ready) = setup.start_ready(Duration::from_secs(60)).await?;
        let pool = Arc::new(Pool::new(server.addr, opts.clients * 2));
        let stats = Arc::new(Stats::new(true));
        let delivered = deliver(&pool, &stats, &mut pending, behaviour).await;

        let stop = Arc::new(AtomicBool::new(false));
        let unshown = Arc::new(Mutex::new(Vec::<Jar>::new()));
        let mut tasks = tokio::task::JoinSet::new();
        for c in 0..opts.clients {
            let (pool, stats, stop, unshown) = (pool.clone(), stats.clone(), stop.clone(), unshown.clone());
            let seed = rng.next();
            tasks.spawn(async move {
                let mut rng = Rng::new(seed);
                let mut a = Applicant {
                    pool: &pool,
                    stats: &stats,
                    behaviour,
                    deadline: far,
                    address: harness::client_address(rng.next()),
                    cookies: Vec::new(),
                    rng: Rng::new(rng.next()),
                    persona_walked: None,
                };
                let Ok(token) = a.walk_to_check_answers().await else { return };
                let prepared = a.cookies.clone();
                let replay = c % 2 == 0;
                while !stop.load(Ordering::Relaxed) {
                    a.address = harness::client_address(rng.next());
                    let token = if replay {
                        a.cookies = prepared.clone();
                        token.clone()
                    } else {
                        a.cookies.clear();
                        match a.walk_to_check_answers().await {
                            Ok(t) => t,
                            Err(_) => return,
                        }
                    };
                    if a.submit(&token).await.is_err() {
                        return;
                    }
                    let jar = a.cookies.clone();
                    if a.complete().await.is_err() {
                        unshown.lock().expect("jars").push(jar);
                        return;
                    }
                }
            });
        }
        let kill_after = Duration::from_millis(opts.kill_ms.0 + rng.below(opts.kill_ms.1 - opts.kill_ms.0 + 1));
        tokio::time::sleep(kill_after).await;
        let in_flight = stats.submits_in_flight.load(Ordering::Relaxed);
        server.kill9()?;
        stop.store(true, Ordering::Relaxed);
        while tasks.join_next().await.is_some() {}
        let shown: Vec<String> = std::mem::take(&mut *stats.references.lock().expect("refs"));
        let unshown = std::mem::take(&mut *unshown.lock().expect("jars"));
        eprintln!(
            "trial {trial:>3}: ready in {:>4} ms, killed after {:>4} ms with {:>2} submissions in flight; {:>4} references shown ({} after restart), {} receipts awaiting their page",
            ready.as_millis(),
            kill_after.as_millis(),
            in_flight,
            shown.len(),
            delivered,
            unshown.len()
        );
        trials.push(json!({
            "trial": trial,
            "ready_ms": ready.as_millis() as u64,
            "killed_after_ms": kill_after.as_millis() as u64,
            "submissions_in_flight_at_kill": in_flight,
            "references_shown": shown.len(),
            "shown_after_restart": delivered,
            "receipts_awaiting_page": unshown.len(),
        }));
        received.extend(shown);
        pending.extend(unshown);
    }
    // A last start: show the receipts still waiting, then stop cleanly.
    let (mut server, _) = setup.start_ready(Duration::from_secs(60)).await?;
    let pool = Pool::new(server.addr, 8);
    let stats = Stats::new(true);
    let delivered = deliver(&pool, &stats, &mut pending, behaviour).await;
    received.extend(std::mem::take(&mut *stats.references.lock().expect("refs")));
    // Close the keep-alive connections first, so the graceful shutdown is quick.
    drop(pool);
    // Let the workers finish every job (those held by killed servers come back after their lease).
    let drained = wait_for_jobs(&db, Duration::from_secs(180)).await?;
    server.stop()?;
    let trial_seconds = began.elapsed().as_secs_f64();

    let refs_file = work.join("references.txt");
    std::fs::write(&refs_file, received.iter().map(|r| format!("{r}\n")).collect::<String>())?;
    let distinct: std::collections::HashSet<&String> = received.iter().collect();
    let with_inflight = trials.iter().filter(|t| t["submissions_in_flight_at_kill"].as_i64() > Some(0)).count();
    let total_inflight: i64 = trials.iter().filter_map(|t| t["submissions_in_flight_at_kill"].as_i64()).sum();

    // Every reference shown must be in the store, decryptable and intact.
    let verify_began = Instant::now();
    let (lost, how, verify_json) = match setup.verify(&refs_file)? {
        Some(v) => {
            println!("{}", v.stdout.trim());
            // `ier verify --json`: {"ok", "failed", "references": {"missing": [..], "corrupt": [..], "wrong_ero": [..]}}
            let listed =
                |k: &str| v.json.as_ref().and_then(|j| j["references"][k].as_array().map(Vec::len)).unwrap_or(0);
            let lost = listed("missing") + listed("corrupt") + listed("wrong_ero");
            let failed = v.json.as_ref().and_then(|j| j["failed"].as_u64()).unwrap_or(0) as usize;
            let lost = if v.success && v.json.is_some() { lost } else { lost.max(failed).max(1) };
            (lost, "ier verify (present, decrypts with the data keys, intact)", v.json)
        }
        None => {
            let stored = stored_references(&db)?;
            let lost = distinct.iter().filter(|r| !stored.contains(r.as_str())).count();
            (lost, "presence only, by SQL (this ier has no `verify` command)", None)
        }
    };
    let half_written = half_written(&db)?;
    let stored_total = stored_references(&db)?.len();
    let messages = check_messages(&db, &notify)?;
    let verified_not_once: u64 = query(
        &db,
        "SELECT count(*) FROM applications a WHERE \
         (SELECT count(*) FROM application_events e WHERE e.reference = a.reference AND e.kind = 'verified') <> 1",
    )?
    .parse()
    .context("counting identity checks")?;
    // Jobs a killed server held, finished by a later one (for a message: asked of Notify first, not sent again).
    let taken_over: u64 =
        query(&db, "SELECT count(*) FROM jobs WHERE attempts > 1")?.parse().context("counting jobs")?;
    println!();
    println!(
        "crashtest on {}: {} trials in {:.0}s, {} clients, kill after {}-{} ms",
        opts.db.name(),
        opts.trials,
        trial_seconds,
        opts.clients,
        opts.kill_ms.0,
        opts.kill_ms.1
    );
    println!(
        "kills with submissions in flight: {with_inflight} of {} ({total_inflight} submissions in flight in all)",
        opts.trials
    );
    println!(
        "references shown to applicants: {} ({} distinct; {} shown after a restart at the last start); applications stored: {}",
        received.len(),
        distinct.len(),
        delivered,
        stored_total
    );
    println!("checked with {how} in {:.1}s", verify_began.elapsed().as_secs_f64());
    println!("LOST OR DAMAGED: {lost}; half-written applications: {half_written}");
    println!(
        "jobs {} ({taken_over} taken over from a killed server): acknowledgements sent once: {}, to applicants without contact details: {}; SENT TWICE: {}; NOT SENT: {}; applications not verified exactly once: {verified_not_once}",
        if drained { "all finished" } else { "NOT ALL FINISHED" },
        messages.once,
        messages.no_contact,
        messages.twice,
        messages.not_sent
    );
    let summary = json!({
        "command": opts.command_line,
        "db": opts.db.name(),
        "trials": opts.trials,
        "clients": opts.clients,
        "kill_ms": [opts.kill_ms.0, opts.kill_ms.1],
        "seconds": trial_seconds,
        "kills_with_submissions_in_flight": with_inflight,
        "submissions_in_flight_at_kills": total_inflight,
        "references_shown": received.len(),
        "distinct_references_shown": distinct.len(),
        "applications_stored": stored_total,
        "check": how,
        "verify": verify_json,
        "lost_or_damaged": lost,
        "half_written": half_written,
        "jobs_finished": drained,
        "jobs_taken_over_after_a_kill": taken_over,
        "acknowledgements": {
            "sent_once": messages.once,
            "no_contact": messages.no_contact,
            "sent_twice": messages.twice,
            "not_sent": messages.not_sent,
        },
        "messages_accepted_by_notify": notify.totals().0,
        "verified_not_exactly_once": verified_not_once,
        "per_trial": trials,
    });
    let path = opts.json.clone().unwrap_or_else(|| work.join("crashtest.json"));
    std::fs::write(&path, serde_json::to_string_pretty(&summary)?)?;
    println!("JSON summary: {}", path.display());
    let job_failures = messages.twice + messages.not_sent + verified_not_once as usize + usize::from(!drained);
    Ok(lost + half_written as usize + job_failures)
}

/// Wait until every job due has finished; `false` if some had not by `timeout`.
async fn wait_for_jobs(db: &Database, timeout: Duration) -> anyhow::Result<bool> {
    let until = Instant::now() + timeout;
    loop {
        let left: u64 =
            query(db, "SELECT count(*) FROM jobs WHERE finished_at IS NULL")?.parse().context("counting jobs")?;
        if left == 0 {
            return Ok(true);
        }
        if Instant::now() > until {
            eprintln!("{left} job(s) not finished after {} s", timeout.as_secs());
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// How the acknowledgements went, by what Notify (the fake) received.
struct Messages {
    once: usize,
    no_contact: usize,
    twice: usize,
    not_sent: usize,
}

/// Every application's acknowledgement was sent exactly once (or, with no
/// contact details, not at all): none lost, none twice, across every kill.
fn check_messages(db: &Database, notify: &FakeNotify) -> anyhow::Result<Messages> {
    let counts = notify.counts();
    let rows = query(
        db,
        "SELECT reference || '|' || state || '|' || COALESCE(result, '') FROM jobs WHERE dedupe LIKE 'notify:acknowledgement:%'",
    )?;
    let mut m = Messages { once: 0, no_contact: 0, twice: 0, not_sent: 0 };
    for line in rows.lines() {
        let mut parts = line.split('|');
        let (reference, state, result) =
            (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let sent = counts.get(&format!("{reference}-acknowledgement")).copied().unwrap_or(0);
        match (state, result, sent) {
            ("done", "no-contact", 0) => m.no_contact += 1,
            ("done", _, 1) => m.once += 1,
            (_, _, n) if n > 1 => m.twice += 1,
            _ => m.not_sent += 1,
        }
    }
    // A message Notify got twice under any reference (vote forms, identity not checked...).
    m.twice += counts.iter().filter(|(r, n)| **n > 1 && !r.ends_with("-acknowledgement")).count();
    Ok(m)
}

/// Acknowledgements whose job finished without Notify having received them (for the drain benchmark).
pub(crate) fn acknowledgements_not_sent(db: &Database, notify: &FakeNotify) -> anyhow::Result<usize> {
    Ok(check_messages(db, notify)?.not_sent)
}

/// Ask for the complete page of every receipt not yet shown (as a browser
/// reloading it would); returns how many were shown.
async fn deliver(pool: &Pool, stats: &Stats, pending: &mut Vec<Jar>, behaviour: Behaviour) -> usize {
    let mut shown = 0;
    let mut still = Vec::new();
    for jar in pending.drain(..) {
        let mut a = Applicant {
            pool,
            stats,
            behaviour,
            deadline: Instant::now() + Duration::from_secs(60),
            address: harness::client_address(1),
            cookies: jar.clone(),
            rng: Rng::new(1),
            persona_walked: None,
        };
        match a.complete().await {
            Ok(_) => shown += 1,
            Err(_) => still.push(jar),
        }
    }
    if !still.is_empty() {
        eprintln!("note: {} receipts could not be shown after a restart", still.len());
    }
    *pending = still;
    shown
}

pub(crate) fn query(db: &Database, sql: &str) -> anyhow::Result<String> {
    match db.kind {
        DbKind::Postgres => harness::psql(&db.url, sql),
        DbKind::Sqlite => {
            let path = db.sqlite_path().context("a SQLite path")?;
            let out = std::process::Command::new("sqlite3").arg(path).arg(sql).output().context("running sqlite3")?;
            if !out.status.success() {
                bail!("sqlite3 failed: {}", String::from_utf8_lossy(&out.stderr));
            }
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
        }
    }
}

fn stored_references(db: &Database) -> anyhow::Result<std::collections::HashSet<String>> {
    Ok(query(db, "SELECT reference FROM applications")?.lines().map(str::to_owned).collect())
}

/// Applications without their `submitted` event, their identity check or
/// their acknowledgement: the one transaction was split.
fn half_written(db: &Database) -> anyhow::Result<u64> {
    let sql = "SELECT count(*) FROM applications a WHERE \
               NOT EXISTS (SELECT 1 FROM application_events e WHERE e.reference = a.reference AND e.kind = 'submitted') \
               OR NOT EXISTS (SELECT 1 FROM jobs j WHERE j.reference = a.reference AND j.queue = 'verify') \
               OR NOT EXISTS (SELECT 1 FROM jobs j WHERE j.reference = a.reference AND j.dedupe LIKE 'notify:acknowledgement:%')";
    query(db, sql)?.parse().context("counting half-written applications")
}
