//! `cargo xtask notify-drain`: a deadline-day backlog of acknowledgements
//! drains through GOV.UK Notify at the configured rate, without 429s, none
//! lost and none sent twice, across `kill -9` of the server.
//!
//! ```text
//! cargo xtask notify-drain [--db sqlite|postgres] [--applications 660000]
//!     [--rate 3000] [--notify-limit 3000] [--seconds 300] [--kill-every 0]
//!     [--work-dir DIR] [--json FILE]
//! ```
//!
//! Seeds `--applications` with `ier seed` (each queues its identity check and
//! its acknowledgement, as a submission does), then runs a release `ier serve`
//! whose notification worker keeps to `--rate` messages a minute, sending
//! through the real GOV.UK Notify client to a fake Notify
//! ([`crate::fakenotify`]) that allows `--notify-limit` a minute and counts
//! every message. Every 10 s it samples how many messages Notify accepted;
//! with `--kill-every N` the server is `kill -9`ed and restarted every N s.
//! It stops when every acknowledgement has been sent (then checks each was
//! sent exactly once) or after `--seconds`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::json;

use crate::fakenotify::FakeNotify;
use crate::harness::{self, Database, DbKind, ServerSetup};

struct Options {
    db: DbKind,
    applications: u64,
    rate: u64,
    notify_limit: u64,
    seconds: u64,
    kill_every: u64,
    work_dir: Option<PathBuf>,
    json: Option<PathBuf>,
    command_line: String,
}

const USAGE: &str = "usage: cargo xtask notify-drain [--db sqlite|postgres] [--applications 660000] [--rate 3000] [--notify-limit 3000] [--seconds 300] [--kill-every 0] [--work-dir DIR] [--json FILE]";

impl Options {
    fn parse(args: &[String]) -> anyhow::Result<Self> {
        let mut o = Options {
            db: DbKind::Sqlite,
            applications: 660_000,
            rate: 3000,
            notify_limit: 3000,
            seconds: 300,
            kill_every: 0,
            work_dir: None,
            json: None,
            command_line: format!("cargo xtask notify-drain {}", args.join(" ")),
        };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let mut value = || it.next().with_context(|| format!("{a} needs a value"));
            match a.as_str() {
                "--db" => o.db = DbKind::parse(value()?)?,
                "--applications" => o.applications = value()?.parse()?,
                "--rate" => o.rate = value()?.parse()?,
                "--notify-limit" => o.notify_limit = value()?.parse()?,
                "--seconds" => o.seconds = value()?.parse()?,
                "--kill-every" => o.kill_every = value()?.parse()?,
                "--work-dir" => o.work_dir = Some(PathBuf::from(value()?)),
                "--json" => o.json = Some(PathBuf::from(value()?)),
                "--help" | "-h" => {
                    eprintln!("{USAGE}");
                    std::process::exit(0);
                }
                other => bail!("unexpected argument {other:?}\n{USAGE}"),
            }
        }
        if o.rate == 0 || o.applications == 0 {
            bail!("--rate and --applications must be at least 1");
        }
        Ok(o)
    }
}

pub fn main(args: &[String]) -> anyhow::Result<()> {
    let opts = Options::parse(args)?;
    if harness::reexec_in_release("notify-drain", args)? {
        return Ok(());
    }
    let work = opts
        .work_dir
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join(format!("ier-notify-drain-{}", std::process::id())));
    std::fs::create_dir_all(&work)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    let failures = runtime.block_on(run(&opts, &work))?;
    if failures == 0 && opts.work_dir.is_none() {
        let _ = std::fs::remove_dir_all(&work);
    } else {
        eprintln!("work directory kept: {}", work.display());
    }
    if failures > 0 {
        bail!("{failures} acknowledgement(s) lost or sent twice");
    }
    Ok(())
}

async fn run(opts: &Options, work: &std::path::Path) -> anyhow::Result<usize> {
    let db = Database::create(opts.db, work, "drain")?;
    let notify = FakeNotify::start(opts.notify_limit).await?;
    let setup = ServerSetup::new(work, &db.url)?.with_notify(work, &notify.base_url(), opts.rate, 10)?;

    eprintln!("seeding {} applications...", opts.applications);
    let seeded = Instant::now();
    let out = std::process::Command::new(&setup.ier)
        .args(["seed", "--applications", &opts.applications.to_string()])
        .env("IER_DATABASE_URL", &db.url)
        .env("IER_DATA_KEYS", &setup.data_keys)
        .output()
        .context("running ier seed")?;
    if !out.status.success() {
        bail!("ier seed failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let seed_seconds = seeded.elapsed().as_secs_f64();
    eprintln!("{}", String::from_utf8_lossy(&out.stdout).trim());

    let began = Instant::now();
    let mut server = setup.start()?;
    server.wait_ready(Duration::from_secs(120)).await?;
    let mut last_start = Instant::now();
    let mut kills = 0;
    let mut windows: Vec<(f64, u64)> = Vec::new();
    let mut last = (Instant::now(), notify.totals().0);
    let mut drained = false;
    let mut first_message: Option<Instant> = None;
    loop {
        tokio::time::sleep(Duration::from_secs(10)).await;
        let (accepted, refused) = notify.totals();
        if first_message.is_none() && accepted > 0 {
            first_message = Some(began);
        }
        let per_minute = (accepted - last.1) as f64 * 60.0 / last.0.elapsed().as_secs_f64();
        windows.push((began.elapsed().as_secs_f64(), accepted - last.1));
        last = (Instant::now(), accepted);
        let left: u64 = query(&db, "SELECT count(*) FROM jobs WHERE queue = 'notify' AND finished_at IS NULL")?
            .parse()
            .context("counting notification jobs")?;
        eprintln!(
            "{:>6.0} s: {accepted} messages accepted ({per_minute:.0} a minute in the last 10 s), {refused} refused with 429, {left} jobs left",
            began.elapsed().as_secs_f64()
        );
        if left == 0 {
            drained = true;
            break;
        }
        if began.elapsed() >= Duration::from_secs(opts.seconds) {
            break;
        }
        if opts.kill_every > 0 && last_start.elapsed() >= Duration::from_secs(opts.kill_every) {
            server.kill9()?;
            kills += 1;
            server = setup.start()?;
            server.wait_ready(Duration::from_secs(120)).await?;
            last_start = Instant::now();
        }
    }
    server.stop()?;
    let seconds = began.elapsed().as_secs_f64();
    let (accepted, refused) = notify.totals();
    let counts = notify.counts();
    let twice = counts.values().filter(|n| **n > 1).count();
    // The steady rate: 10-second windows after the first (the server's start-up and burst).
    let steady: Vec<f64> = windows.iter().skip(1).map(|(_, n)| *n as f64 * 6.0).collect();
    let mut sorted = steady.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or(0.0);
    let not_sent = if drained { crate::crashtest::acknowledgements_not_sent(&db, &notify)? } else { 0 };
    println!();
    println!(
        "notify-drain on {}: {} applications seeded in {seed_seconds:.0} s; configured rate {} a minute (Notify allows {})",
        opts.db.name(),
        opts.applications,
        opts.rate,
        opts.notify_limit
    );
    println!(
        "{accepted} messages accepted in {seconds:.0} s: {:.0} a minute overall; median of 10 s windows {median:.0} a minute; {refused} refused with 429; {kills} kill -9",
        accepted as f64 * 60.0 / seconds
    );
    if drained {
        println!("every acknowledgement sent: SENT TWICE {twice}, NOT SENT {not_sent}");
    } else {
        println!(
            "stopped after {} s with the backlog not drained (at {} a minute, {} messages take {:.0} minutes); sent twice so far: {twice}",
            opts.seconds,
            opts.rate,
            opts.applications,
            opts.applications as f64 / opts.rate as f64
        );
    }
    let summary = json!({
        "command": opts.command_line,
        "db": opts.db.name(),
        "applications": opts.applications,
        "seed_seconds": seed_seconds,
        "rate_per_minute": opts.rate,
        "notify_limit_per_minute": opts.notify_limit,
        "seconds": seconds,
        "kills": kills,
        "accepted": accepted,
        "refused_429": refused,
        "overall_per_minute": accepted as f64 * 60.0 / seconds,
        "median_window_per_minute": median,
        "windows": windows.iter().map(|(t, n)| json!({"at_seconds": t, "accepted": n})).collect::<Vec<_>>(),
        "drained": drained,
        "sent_twice": twice,
        "not_sent": not_sent,
    });
    let path = opts.json.clone().unwrap_or_else(|| work.join("notify-drain.json"));
    std::fs::write(&path, serde_json::to_string_pretty(&summary)?)?;
    println!("JSON summary: {}", path.display());
    Ok(twice + not_sent)
}

fn query(db: &Database, sql: &str) -> anyhow::Result<String> {
    crate::crashtest::query(db, sql)
}
