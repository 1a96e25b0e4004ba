//! `cargo xtask loadtest`: simulated applicants walking the whole ordinary
//! journey (the `ordinary-quick` walk of `crates/ier-citizen-web/data/walks.json`,
//! each applicant with a generated persona) against a real `ier serve` (release
//! build) on 127.0.0.1, on a fresh database made for the run (a SQLite file, or
//! a Postgres database dropped afterwards).
//!
//! ```text
//! cargo xtask loadtest [--db sqlite|postgres] [--scenario steady|surge|spike|max]
//!     [--users N] [--rate PER_S] [--duration SECS] [--think-ms MS] [--ramp SECS]
//!     [--connections N] [--client-threads N] [--submit-only SECS] [--submit-clients N]
//!     [--baseline SECS] [--baseline-clients N] [--json FILE] [--references FILE]
//!     [--work-dir DIR] [--repeat-share SHARE] [--keep]
//! ```
//!
//! Scenarios (every applicant walks the full journey, one client address each,
//! sent as `X-Forwarded-For` so the per-client limits act as in production):
//!
//! - `steady`: a fixed arrival rate (`--rate`, default 200 journeys/s), at most
//!   `--users` sessions at once (arrivals past that are turned away and counted);
//! - `surge`: the evening surge: `--users` (default 25,000) sessions at once,
//!   started over `--ramp` seconds, each thinking `--think-ms` (default 10 s, ±50%)
//!   before every form, so most are idle at any moment; each starts a new
//!   journey when one ends;
//! - `spike`: arrivals at `--rate` (default 20/s), ×10 for the middle third;
//! - `max`: `--users` (default 64) applicants back to back without thinking:
//!   the capacity.
//!
//! The applicants share `--connections` keep-alive connections (default 512),
//! as a load balancer's pool to a web instance would be.
//! Then (`--submit-only`) many clients send only the final submission, replaying
//! sessions prepared at check answers (each replay is a new application), and
//! (`--baseline`) the raw durable insert rate of the same database is measured:
//! `pgbench` inserting one application-sized row (1.5 KB) a transaction for
//! Postgres; for SQLite, tasks inserting such rows into a scratch file in the same
//! directory with the store's pragmas (WAL, `synchronous=FULL`, 8 connections).
//!
//! The report: completed applications and their rate, p50/p95/p99 per page (GET
//! and POST apart), errors by status, the server's peak RSS (`VmHWM`) and CPU;
//! a table on stdout and a JSON summary. The server and the load generator share
//! this machine's cores.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::json;

use crate::harness::{self, Applicant, Behaviour, Database, DbKind, Page, Pool, Rng, ServerSetup, Stats};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scenario {
    Steady,
    Surge,
    Spike,
    Max,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::Steady => "steady",
            Scenario::Surge => "surge",
            Scenario::Spike => "spike",
            Scenario::Max => "max",
        }
    }
}

struct Options {
    db: DbKind,
    scenario: Scenario,
    users: usize,
    rate: f64,
    duration: Duration,
    think: Duration,
    ramp: Duration,
    connections: usize,
    client_threads: usize,
    submit_only: Duration,
    submit_clients: usize,
    baseline: Duration,
    baseline_clients: usize,
    json: Option<PathBuf>,
    references: Option<PathBuf>,
    work_dir: Option<PathBuf>,
    keep: bool,
    /// The share of journeys walked by someone who has applied already (`--repeat-share`).
    repeat_share: f64,
    command_line: String,
}

impl Options {
    fn parse(args: &[String]) -> anyhow::Result<Self> {
        let mut it = args.iter();
        let mut get = std::collections::HashMap::new();
        let mut keep = false;
        while let Some(a) = it.next() {
            match a.as_str() {
                "--keep" => keep = true,
                "--help" | "-h" => {
                    eprintln!("{}", USAGE);
                    std::process::exit(0);
                }
                flag if flag.starts_with("--") => {
                    let v = it.next().with_context(|| format!("{flag} needs a value"))?;
                    get.insert(flag.trim_start_matches("--").to_owned(), v.clone());
                }
                other => bail!("unexpected argument {other:?}\n{USAGE}"),
            }
        }
        let known = [
            "db",
            "scenario",
            "users",
            "rate",
            "duration",
            "think-ms",
            "ramp",
            "connections",
            "client-threads",
            "submit-only",
            "submit-clients",
            "baseline",
            "baseline-clients",
            "json",
            "references",
            "work-dir",
            "repeat-share",
        ];
        if let Some(k) = get.keys().find(|k| !known.contains(&k.as_str())) {
            bail!("unknown option --{k}\n{USAGE}");
        }
        let num = |k: &str, default: f64| -> anyhow::Result<f64> {
            get.get(k).map(|v| v.parse::<f64>().with_context(|| format!("--{k} is a number"))).unwrap_or(Ok(default))
        };
        let scenario = match get.get("scenario").map(String::as_str).unwrap_or("steady") {
            "steady" => Scenario::Steady,
            "surge" => Scenario::Surge,
            "spike" => Scenario::Spike,
            "max" => Scenario::Max,
            other => bail!("unknown scenario {other:?}: steady, surge, spike or max"),
        };
        let (users, rate, duration, think) = match scenario {
            Scenario::Steady => (25_000.0, 200.0, 30.0, 0.0),
            Scenario::Surge => (25_000.0, 0.0, 120.0, 10_000.0),
            Scenario::Spike => (25_000.0, 20.0, 60.0, 1_000.0),
            Scenario::Max => (64.0, 0.0, 30.0, 0.0),
        };
        Ok(Self {
            db: DbKind::parse(get.get("db").map(String::as_str).unwrap_or("sqlite"))?,
            scenario,
            users: num("users", users)? as usize,
            rate: num("rate", rate)?,
            duration: Duration::from_secs_f64(num("duration", duration)?),
            think: Duration::from_secs_f64(num("think-ms", think)? / 1000.0),
            ramp: Duration::from_secs_f64(num("ramp", if scenario == Scenario::Surge { 30.0 } else { 0.0 })?),
            connections: num("connections", 512.0)? as usize,
            client_threads: num("client-threads", 1.0)? as usize,
            submit_only: Duration::from_secs_f64(num("submit-only", 5.0)?),
            submit_clients: num("submit-clients", 64.0)? as usize,
            baseline: Duration::from_secs_f64(num("baseline", 5.0)?),
            baseline_clients: num("baseline-clients", 16.0)? as usize,
            json: get.get("json").map(PathBuf::from),
            references: get.get("references").map(PathBuf::from),
            work_dir: get.get("work-dir").map(PathBuf::from),
            keep,
            repeat_share: num("repeat-share", 0.0)?,
            command_line: format!("cargo xtask loadtest {}", args.join(" ")),
        })
    }
}

const USAGE: &str = "usage: cargo xtask loadtest [--db sqlite|postgres] [--scenario steady|surge|spike|max] [--users N] [--rate PER_S] [--duration SECS] [--think-ms MS] [--ramp SECS] [--connections N] [--client-threads N] [--submit-only SECS] [--submit-clients N] [--baseline SECS] [--baseline-clients N] [--json FILE] [--references FILE] [--work-dir DIR] [--repeat-share 0.4] [--keep]";

pub fn main(args: &[String]) -> anyhow::Result<()> {
    let opts = Options::parse(args)?;
    if harness::reexec_in_release("loadtest", args)? {
        return Ok(());
    }
    let work = opts
        .work_dir
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join(format!("ier-loadtest-{}", std::process::id())));
    std::fs::create_dir_all(&work)?;
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(opts.client_threads.max(1)).enable_all().build()?;
    let result = runtime.block_on(run(&opts, &work));
    if !opts.keep && opts.work_dir.is_none() {
        let _ = std::fs::remove_dir_all(&work);
    }
    result
}

async fn run(opts: &Options, work: &Path) -> anyhow::Result<()> {
    let db = Database::create(opts.db, work, "load")?;
    eprintln!("database: {} ({})", opts.db.name(), redact_url(&db.url));
    let shared_buffers =
        if opts.db == DbKind::Postgres { harness::psql(&db.url, "SHOW shared_buffers").ok() } else { None };
    // The raw durable insert rate first, with the machine to itself.
    let baseline = if opts.baseline.is_zero() { None } else { Some(insert_baseline(opts, &db, work).await?) };
    if let Some(b) = &baseline {
        eprintln!("raw durable insert baseline: {:.0} rows/s ({})", b.rate, b.method);
    }

    let setup = ServerSetup::new(work, &db.url)?;
    let mut server = setup.start()?;
    let ready_in = server.wait_ready(Duration::from_secs(60)).await?;
    let (_, idle_rss) = server.memory_kib().unwrap_or((0, 0));
    eprintln!(
        "ier serve ready in {:.2}s (pid {}, {} KiB resident; log {})",
        ready_in.as_secs_f64(),
        server.pid,
        idle_rss,
        setup.log_path().display()
    );

    let pool = Arc::new(Pool::new(server.addr, opts.connections));
    let stats = Arc::new(Stats::new(opts.references.is_some()).with_repeats(opts.repeat_share));
    let server_cpu0 = server.cpu_seconds().unwrap_or(0.0);
    let client_cpu0 = harness::proc_cpu_seconds("self").unwrap_or(0.0);
    let load_before = loadavg();
    let began = Instant::now();
    let deadline = began + opts.duration;
    let behaviour = Behaviour { think: opts.think, timeout: Duration::from_secs(30), retries: 3 };

    // Once a second: the server's resident memory and the sessions open.
    let sampling = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let stats = stats.clone();
        let sampling = sampling.clone();
        let pid = server.pid;
        tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                let rss = harness::proc_memory_kib(pid).map(|m| m.1).unwrap_or(0);
                samples.push(json!({
                    "t": stats.started.elapsed().as_secs(),
                    "rss_kib": rss,
                    "sessions": stats.active_sessions.load(Ordering::Relaxed),
                    "completed": stats.journeys_completed.load(Ordering::Relaxed),
                    "unavailable": stats.unavailable.load(Ordering::Relaxed),
                }));
                if samples.len() % 10 == 0 {
                    eprintln!(
                        "  t={:>4}s sessions={:>6} completed={:>8} 503s={:>7} server rss={} MiB",
                        stats.started.elapsed().as_secs(),
                        stats.active_sessions.load(Ordering::Relaxed),
                        stats.journeys_completed.load(Ordering::Relaxed),
                        stats.unavailable.load(Ordering::Relaxed),
                        rss / 1024
                    );
                }
                if !sampling.load(Ordering::Relaxed) {
                    break samples;
                }
            }
        })
    };

    let turned_away = Arc::new(AtomicU64::new(0));
    let next_client = Arc::new(AtomicU64::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    eprintln!(
        "scenario {}: users {} rate {}/s think {} ms for {:.0}s",
        opts.scenario.name(),
        opts.users,
        opts.rate,
        opts.think.as_millis(),
        opts.duration.as_secs_f64()
    );
    match opts.scenario {
        Scenario::Surge | Scenario::Max => {
            for i in 0..opts.users {
                let (pool, stats, next_client) = (pool.clone(), stats.clone(), next_client.clone());
                let offset = opts.ramp.mul_f64(i as f64 / opts.users.max(1) as f64);
                tasks.spawn(async move {
                    tokio::time::sleep(offset).await;
                    let mut rng = Rng::new(i as u64);
                    while Instant::now() < deadline {
                        let n = next_client.fetch_add(1, Ordering::Relaxed);
                        let mut a = Applicant {
                            pool: &pool,
                            stats: &stats,
                            behaviour,
                            deadline,
                            address: harness::client_address(n),
                            cookies: Vec::new(),
                            rng: Rng::new(rng.next()),
                            persona_walked: None,
                        };
                        stats.session_began();
                        let out = a.journey().await;
                        stats.session_ended();
                        match out {
                            Err(harness::Stop::Deadline) => break,
                            Err(harness::Stop::Failed) => tokio::time::sleep(Duration::from_millis(100)).await,
                            Ok(_) => {}
                        }
                    }
                });
            }
        }
        Scenario::Steady | Scenario::Spike => {
            let third = opts.duration.as_secs_f64() / 3.0;
            let (rate, spike) = (opts.rate, opts.scenario == Scenario::Spike);
            // Arrivals due by time t (seconds): the integral of the rate.
            let due = move |t: f64| -> f64 {
                if !spike {
                    return rate * t;
                }
                let (a, b) = (t.min(third), (t - third).clamp(0.0, third));
                let c = (t - 2.0 * third).max(0.0);
                rate * a + 10.0 * rate * b + rate * c
            };
            let mut arrived = 0u64;
            let mut tick = tokio::time::interval(Duration::from_millis(2));
            while Instant::now() < deadline {
                tick.tick().await;
                let target = due(began.elapsed().as_secs_f64()) as u64;
                while arrived < target {
                    arrived += 1;
                    if stats.active_sessions.load(Ordering::Relaxed) >= opts.users as i64 {
                        turned_away.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    let (pool, stats) = (pool.clone(), stats.clone());
                    let n = arrived;
                    // Count the session before the task runs, so the cap holds.
                    stats.session_began();
                    tasks.spawn(async move {
                        let mut a = Applicant {
                            pool: &pool,
                            stats: &stats,
                            behaviour,
                            deadline,
                            address: harness::client_address(n),
                            cookies: Vec::new(),
                            rng: Rng::new(n),
                            persona_walked: None,
                        };
                        let _ = a.journey().await;
                        stats.session_ended();
                    });
                }
                // Reap finished tasks as we go, so the set stays small.
                while tasks.try_join_next().is_some() {}
            }
        }
    }
    // Let the requests in flight finish (bounded by their timeout).
    tokio::time::sleep_until(deadline.into()).await;
    let drain =
        tokio::time::timeout(Duration::from_secs(35), async { while tasks.join_next().await.is_some() {} }).await;
    if drain.is_err() {
        tasks.abort_all();
    }
    let elapsed = opts.duration.as_secs_f64();
    let server_cpu = server.cpu_seconds().unwrap_or(0.0) - server_cpu0;
    let client_cpu = harness::proc_cpu_seconds("self").unwrap_or(0.0) - client_cpu0;
    let (peak_rss, _) = server.memory_kib().unwrap_or((0, 0));
    let load_after = loadavg();
    sampling.store(false, Ordering::Relaxed);
    let completed_in_window: u64 = {
        let ps = stats.per_second.lock().expect("stats");
        ps.iter().take(opts.duration.as_secs() as usize).sum()
    };

    // Submissions alone, replaying sessions prepared at check answers.
    let submit_only = if opts.submit_only.is_zero() { None } else { Some(submit_only(opts, &pool).await?) };
    let (peak_rss_end, _) = server.memory_kib().unwrap_or((0, 0));
    let connects = pool.connects.load(Ordering::Relaxed);
    // Close the keep-alive connections, so the server's graceful shutdown is quick.
    drop(pool);
    let samples = sampler.await.unwrap_or_default();
    let stop_began = Instant::now();
    server.stop()?;
    eprintln!("server stopped in {:.1}s", stop_began.elapsed().as_secs_f64());
    let details_bytes = average_details_bytes(&db);

    if let Some(path) = &opts.references {
        let refs = stats.references.lock().expect("stats");
        std::fs::write(path, refs.iter().map(|r| format!("{r}\n")).collect::<String>())?;
    }

    // --- Report ---
    let completed = stats.journeys_completed.load(Ordering::Relaxed);
    let rate = completed_in_window as f64 / elapsed;
    let requests: u64 = stats.latency.iter().map(|h| h[0].count() + h[1].count()).sum();
    let mut pages = Vec::new();
    println!();
    // The walk's pages, so the first column fits its longest name.
    let width = Page::all().map(|p| p.name().len()).max().unwrap_or(0).max(20);
    println!(
        "{:<width$} {:>9} {:>8} {:>8} {:>8} {:>8}   {:>9} {:>8} {:>8} {:>8} {:>8}",
        "page (ms)", "GET n", "p50", "p95", "p99", "max", "POST n", "p50", "p95", "p99", "max"
    );
    let mut worst_p99: f64 = 0.0;
    for (page, h) in Page::all().zip(&stats.latency) {
        let cell = |h: &harness::Histogram| {
            if h.count() == 0 {
                format!("{:>9} {:>8} {:>8} {:>8} {:>8}", "-", "", "", "", "")
            } else {
                format!(
                    "{:>9} {:>8.1} {:>8.1} {:>8.1} {:>8.1}",
                    h.count(),
                    h.quantile_ms(0.5),
                    h.quantile_ms(0.95),
                    h.quantile_ms(0.99),
                    h.max_ms()
                )
            }
        };
        println!("{:<width$} {}   {}", page.name(), cell(&h[0]), cell(&h[1]));
        let q = |h: &harness::Histogram| json!({"n": h.count(), "p50_ms": h.quantile_ms(0.5), "p95_ms": h.quantile_ms(0.95), "p99_ms": h.quantile_ms(0.99), "max_ms": h.max_ms()});
        worst_p99 = worst_p99.max(h[0].quantile_ms(0.99)).max(h[1].quantile_ms(0.99));
        pages.push(json!({"page": page.name(), "get": q(&h[0]), "post": q(&h[1])}));
    }
    let all = harness::Histogram::default();
    for h in &stats.latency {
        all.merge_from(&h[0]);
        all.merge_from(&h[1]);
    }
    let errors = stats.errors.lock().expect("stats").clone();
    let by_kind = stats.errors_by_kind();
    println!();
    println!(
        "scenario {} on {} ({} client thread(s), {} connections; server and load generator share {} cores)",
        opts.scenario.name(),
        opts.db.name(),
        opts.client_threads,
        opts.connections,
        cores()
    );
    println!(
        "journeys: {} started, {} completed ({} in the {:.0}s window: {:.1}/s), {} abandoned on errors, {} turned away at the session cap",
        stats.journeys_started.load(Ordering::Relaxed),
        completed,
        completed_in_window,
        elapsed,
        rate,
        stats.journeys_abandoned.load(Ordering::Relaxed),
        turned_away.load(Ordering::Relaxed)
    );
    let (repeats, repeats_told) =
        (stats.repeats_walked.load(Ordering::Relaxed), stats.repeats_told.load(Ordering::Relaxed));
    let (fresh, fresh_told) = (stats.fresh_walked.load(Ordering::Relaxed), stats.fresh_told.load(Ordering::Relaxed));
    let share = |n: u64, of: u64| if of == 0 { 0.0 } else { 100.0 * n as f64 / of as f64 };
    if opts.repeat_share > 0.0 {
        println!(
            "repeat applicants ({:.0}% asked for): {repeats} reached Check your answers, {repeats_told} told they had applied ({:.2}%); \
             new applicants: {fresh}, {fresh_told} wrongly told ({:.3}%)",
            opts.repeat_share * 100.0,
            share(repeats_told, repeats),
            share(fresh_told, fresh)
        );
    }
    println!(
        "requests: {} ({:.0}/s); all pages p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms; worst page p99 {:.1} ms",
        requests,
        requests as f64 / elapsed,
        all.quantile_ms(0.5),
        all.quantile_ms(0.95),
        all.quantile_ms(0.99),
        worst_p99
    );
    println!("peak concurrent sessions: {}", stats.peak_sessions.load(Ordering::Relaxed));
    println!(
        "machine load average (1 min) before {load_before} and after {load_after} (other work on the box counts too)"
    );
    println!(
        "server: peak RSS {:.1} MiB during the scenario ({:.1} MiB idle after start-up, {:.1} MiB peak including submit-only), CPU {:.1}s ({:.2} ms a journey); load generator CPU {:.1}s",
        peak_rss as f64 / 1024.0,
        idle_rss as f64 / 1024.0,
        peak_rss_end as f64 / 1024.0,
        server_cpu,
        if completed > 0 { server_cpu * 1000.0 / completed as f64 } else { 0.0 },
        client_cpu
    );
    println!("errors by kind: {}", if by_kind.is_empty() { "none".to_owned() } else { format!("{by_kind:?}") });
    for (k, v) in &errors {
        println!("  {k}: {v}");
    }
    if let Some(d) = details_bytes {
        println!("stored sealed application details: {d:.0} bytes on average");
    }
    if let Some(s) = &submit_only {
        println!(
            "submit-only: {} submissions in {:.1}s = {:.0}/s with {} clients (p50 {:.1} ms, p99 {:.1} ms), errors {:?}",
            s.ok, s.seconds, s.rate, opts.submit_clients, s.p50, s.p99, s.errors
        );
    }
    if let Some(b) = &baseline {
        println!("raw durable insert: {:.0} rows/s ({})", b.rate, b.method);
        if let Some(s) = &submit_only {
            println!("submit-only / raw insert = {:.1}%", 100.0 * s.rate / b.rate);
        }
        println!("journey completions / raw insert = {:.1}%", 100.0 * rate / b.rate);
    }
    let summary = json!({
        "command": opts.command_line,
        "scenario": opts.scenario.name(),
        "db": opts.db.name(),
        "postgres_shared_buffers": shared_buffers,
        "cores": cores(),
        "loadavg_before": load_before,
        "loadavg_after": load_after,
        "users": opts.users,
        "rate_per_s": opts.rate,
        "duration_s": elapsed,
        "think_ms": opts.think.as_millis() as u64,
        "connections": opts.connections,
        "client_threads": opts.client_threads,
        "journeys_started": stats.journeys_started.load(Ordering::Relaxed),
        "journeys_completed": completed,
        "completed_in_window": completed_in_window,
        "completed_per_s": rate,
        "journeys_abandoned": stats.journeys_abandoned.load(Ordering::Relaxed),
        "turned_away_at_cap": turned_away.load(Ordering::Relaxed),
        "repeat_share": opts.repeat_share,
        "repeats": {"walked": repeats, "told": repeats_told, "fresh_walked": fresh, "fresh_wrongly_told": fresh_told},
        "requests": requests,
        "requests_per_s": requests as f64 / elapsed,
        "all_pages": {"p50_ms": all.quantile_ms(0.5), "p95_ms": all.quantile_ms(0.95), "p99_ms": all.quantile_ms(0.99)},
        "worst_page_p99_ms": worst_p99,
        "pages": pages,
        "errors": errors,
        "errors_by_kind": by_kind,
        "peak_sessions": stats.peak_sessions.load(Ordering::Relaxed),
        "server_peak_rss_kib": peak_rss,
        "server_idle_rss_kib": idle_rss,
        "server_peak_rss_with_submit_only_kib": peak_rss_end,
        "server_cpu_s": server_cpu,
        "client_cpu_s": client_cpu,
        "pool_connects": connects,
        "completions_per_second": *stats.per_second.lock().expect("stats"),
        "samples": samples,
        "sealed_details_bytes": details_bytes,
        "submit_only": submit_only.as_ref().map(|s| json!({"ok": s.ok, "seconds": s.seconds, "per_s": s.rate, "clients": opts.submit_clients, "p50_ms": s.p50, "p99_ms": s.p99, "errors": s.errors})),
        "raw_insert": baseline.as_ref().map(|b| json!({"per_s": b.rate, "method": b.method})),
        "submit_only_over_raw_insert": match (&submit_only, &baseline) { (Some(s), Some(b)) => Some(s.rate / b.rate), _ => None },
    });
    let json_path = opts.json.clone().unwrap_or_else(|| work.join("loadtest.json"));
    std::fs::write(&json_path, serde_json::to_string_pretty(&summary)?)?;
    println!("JSON summary: {}", json_path.display());
    Ok(())
}

/// The 1-minute load average: other work on this machine skews the figures.
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_default()
}

fn cores() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

fn redact_url(url: &str) -> String {
    // Trust auth here, but never print a password if one is set.
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if url[s + 3..at].contains(':') => format!("{}***{}", &url[..s + 3], &url[at..]),
        _ => url.to_owned(),
    }
}

fn average_details_bytes(db: &Database) -> Option<f64> {
    let sql = "SELECT avg(length(details)) FROM applications";
    let out = match db.kind {
        DbKind::Postgres => harness::psql(&db.url, sql).ok()?,
        DbKind::Sqlite => {
            let out = std::process::Command::new("sqlite3").arg(db.sqlite_path()?).arg(sql).output().ok()?;
            String::from_utf8_lossy(&out.stdout).trim().to_owned()
        }
    };
    out.parse().ok()
}

struct SubmitOnly {
    ok: u64,
    seconds: f64,
    rate: f64,
    p50: f64,
    p99: f64,
    errors: std::collections::BTreeMap<String, u64>,
}

/// Many clients sending only the submission: sessions are walked to check
/// answers once, then their sealed cookie is replayed (every replay is a new
/// application, from its own client address).
async fn submit_only(opts: &Options, pool: &Arc<Pool>) -> anyhow::Result<SubmitOnly> {
    let prep = Arc::new(Stats::new(false));
    let far = Instant::now() + Duration::from_secs(3600);
    let behaviour = Behaviour { think: Duration::ZERO, timeout: Duration::from_secs(30), retries: 0 };
    let sessions = opts.submit_clients.clamp(1, 64);
    let mut prepared = Vec::new();
    for i in 0..sessions {
        let mut a = Applicant {
            pool,
            stats: &prep,
            behaviour,
            deadline: far,
            address: harness::client_address((1 << 23) + i as u64),
            cookies: Vec::new(),
            rng: Rng::new(7_000_000 + i as u64),
            persona_walked: None,
        };
        if let Ok(token) = a.walk_to_check_answers().await {
            prepared.push((a.cookies.clone(), token));
        }
    }
    if prepared.is_empty() {
        bail!("submit-only: no session could be walked to check answers: {:?}", prep.errors_by_kind());
    }
    let prepared = Arc::new(prepared);
    let stats = Arc::new(Stats::new(false));
    let counter = Arc::new(AtomicU64::new(0));
    let ok = Arc::new(AtomicU64::new(0));
    let began = Instant::now();
    let deadline = began + opts.submit_only;
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..opts.submit_clients {
        let (pool, stats, prepared, counter, ok) =
            (pool.clone(), stats.clone(), prepared.clone(), counter.clone(), ok.clone());
        tasks.spawn(async move {
            let (cookies, token) = &prepared[c % prepared.len()];
            while Instant::now() < deadline {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let mut a = Applicant {
                    pool: &pool,
                    stats: &stats,
                    behaviour,
                    deadline,
                    address: harness::client_address((1 << 22) + n),
                    cookies: cookies.clone(),
                    rng: Rng::new(n),
                    persona_walked: None,
                };
                if a.submit(token).await.is_ok() {
                    ok.fetch_add(1, Ordering::Relaxed);
                } else {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let seconds = began.elapsed().as_secs_f64();
    let h = stats.hist(Page::check_answers(), &hyper::Method::POST);
    let ok = ok.load(Ordering::Relaxed);
    Ok(SubmitOnly {
        ok,
        seconds,
        rate: ok as f64 / seconds,
        p50: h.quantile_ms(0.5),
        p99: h.quantile_ms(0.99),
        errors: stats.errors_by_kind(),
    })
}

struct Baseline {
    rate: f64,
    method: String,
}

/// The payload of one raw insert: about a sealed application's size.
const PAYLOAD: usize = 1_500;

async fn insert_baseline(opts: &Options, db: &Database, work: &Path) -> anyhow::Result<Baseline> {
    match db.kind {
        DbKind::Postgres => {
            harness::psql(
                &db.url,
                "CREATE TABLE IF NOT EXISTS scratch_insert (seq BIGSERIAL PRIMARY KEY, reference TEXT NOT NULL, \
                 submitted_at TIMESTAMPTZ NOT NULL, details BYTEA NOT NULL)",
            )?;
            let script = work.join("insert.sql");
            // 1,536 bytes of bytea a row, below the TOAST threshold, like a sealed application.
            std::fs::write(
                &script,
                "INSERT INTO scratch_insert (reference, submitted_at, details) VALUES \
                 (md5(random()::text), now(), decode(repeat(md5(random()::text), 96), 'hex'));\n",
            )?;
            let pgbench = which_pgbench();
            let clients = opts.baseline_clients.to_string();
            let secs = opts.baseline.as_secs().max(1).to_string();
            let out = std::process::Command::new(&pgbench)
                .args(["-n", "-c", &clients, "-j", "2", "-T", &secs, "-f"])
                .arg(&script)
                .arg(&db.url)
                .output()
                .with_context(|| format!("running {}", pgbench.display()))?;
            let text = String::from_utf8_lossy(&out.stdout);
            if !out.status.success() {
                bail!("pgbench failed: {}", String::from_utf8_lossy(&out.stderr));
            }
            let tps = text
                .lines()
                .find(|l| l.starts_with("tps = "))
                .and_then(|l| l.split_whitespace().nth(2))
                .and_then(|v| v.parse::<f64>().ok())
                .context("no tps in pgbench's output")?;
            let _ = harness::psql(&db.url, "DROP TABLE scratch_insert");
            Ok(Baseline {
                rate: tps,
                method: format!(
                    "pgbench -n -c {clients} -j 2 -T {secs}: one INSERT of a 1.5 KB bytea row a transaction"
                ),
            })
        }
        DbKind::Sqlite => sqlite_baseline(opts, &work.join("scratch-insert.db")).await,
    }
}

fn which_pgbench() -> PathBuf {
    let system = Path::new("/usr/lib/postgresql/15/bin/pgbench");
    let on_path = std::env::var_os("PATH")
        .and_then(|p| std::env::split_paths(&p).map(|d| d.join("pgbench")).find(|p| p.exists()));
    on_path.unwrap_or_else(|| system.to_path_buf())
}

async fn sqlite_baseline(opts: &Options, path: &Path) -> anyhow::Result<Baseline> {
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
    let _ = std::fs::remove_file(path);
    // The store's pragmas (crates/ier-storage-sqlite/src/lib.rs).
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(30))
        .pragma("cache_size", "-65536");
    let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await?;
    sqlx::query(
        "CREATE TABLE scratch_insert (seq INTEGER PRIMARY KEY, reference TEXT NOT NULL UNIQUE, \
         submitted_at TEXT NOT NULL, details BLOB NOT NULL)",
    )
    .execute(&pool)
    .await?;
    let deadline = Instant::now() + opts.baseline;
    let began = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for t in 0..opts.baseline_clients.max(1) {
        let pool = pool.clone();
        tasks.spawn(async move {
            let mut rng = Rng::new(t as u64);
            let mut n = 0u64;
            while Instant::now() < deadline {
                let details: Vec<u8> = (0..PAYLOAD / 8).flat_map(|_| rng.next().to_le_bytes()).collect();
                let reference = format!("{t:02}-{:016x}", rng.next());
                sqlx::query("INSERT INTO scratch_insert (reference, submitted_at, details) VALUES (?, ?, ?)")
                    .bind(reference)
                    .bind("2026-05-01T12:00:00Z")
                    .bind(details)
                    .execute(&pool)
                    .await?;
                n += 1;
            }
            Ok::<u64, sqlx::Error>(n)
        });
    }
    let mut total = 0;
    while let Some(r) = tasks.join_next().await {
        total += r??;
    }
    let seconds = began.elapsed().as_secs_f64();
    pool.close().await;
    let _ = std::fs::remove_file(path);
    Ok(Baseline {
        rate: total as f64 / seconds,
        method: format!(
            "{} tasks, 8 connections, one INSERT of a 1.5 KB blob a transaction, WAL + synchronous=FULL, {:.0}s",
            opts.baseline_clients, seconds
        ),
    })
}
