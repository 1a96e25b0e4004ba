//! `ier jobs list|retry|discard`: the operators' view of the job queue
//! ([`ier_storage::jobs`]). It shows each queue's depth, oldest due job and
//! failures, and jobs with their kind, state, attempts and last error, never
//! personal data (a job names its application only by reference number, and
//! its errors are the service's own words). A failed job can be put back in
//! the queue (its attempts counted afresh) or discarded.

use anyhow::{Context, bail};
use chrono::Utc;
use clap::{Args, Subcommand};
use ier_storage::{Backend, JobFilter, JobRow, JobState, Queue};

#[derive(Subcommand)]
pub enum Jobs {
    /// Each queue's depth, oldest due job and failures, then jobs, newest first.
    List(ListArgs),
    /// Put failed (or discarded) jobs back in the queue, due now.
    Retry(ChangeArgs),
    /// Discard waiting or failed jobs: they never run.
    Discard(ChangeArgs),
}

#[derive(Args)]
pub struct Database {
    /// The database: `sqlite:PATH` or `postgres://...`.
    #[arg(long, env = "IER_DATABASE_URL", hide_env_values = true)]
    database_url: String,
}

#[derive(Args)]
pub struct ListArgs {
    #[command(flatten)]
    db: Database,
    /// Only this queue: verify or notify.
    #[arg(long)]
    queue: Option<String>,
    /// Only jobs in this state: queued, running, done, failed or discarded.
    #[arg(long)]
    state: Option<String>,
    /// At most this many jobs.
    #[arg(long, default_value_t = 50)]
    limit: u32,
    /// One JSON object a line instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct ChangeArgs {
    #[command(flatten)]
    db: Database,
    /// The jobs' ids (from `ier jobs list`).
    ids: Vec<i64>,
    /// Every failed job (of `--queue`, if given), instead of ids.
    #[arg(long, conflicts_with = "ids")]
    all_failed: bool,
    #[arg(long, requires = "all_failed")]
    queue: Option<String>,
}

fn queue(s: Option<&str>) -> anyhow::Result<Option<Queue>> {
    s.map(|q| q.parse::<Queue>().map_err(|_| anyhow::anyhow!("--queue must be verify or notify, not {q:?}")))
        .transpose()
}

fn state(s: Option<&str>) -> anyhow::Result<Option<JobState>> {
    s.map(|v| {
        v.parse::<JobState>()
            .map_err(|_| anyhow::anyhow!("--state must be queued, running, done, failed or discarded, not {v:?}"))
    })
    .transpose()
}

async fn backend(db: &Database) -> anyhow::Result<std::sync::Arc<dyn Backend>> {
    crate::open::backend(&db.database_url, Some(2)).await
}

pub fn run(cmd: Jobs) -> anyhow::Result<()> {
    crate::runtime()?.block_on(async {
        match cmd {
            Jobs::List(args) => list(args).await,
            Jobs::Retry(args) => change(args, true).await,
            Jobs::Discard(args) => change(args, false).await,
        }
    })
}

async fn list(args: ListArgs) -> anyhow::Result<()> {
    let filter = JobFilter {
        queue: queue(args.queue.as_deref())?,
        state: state(args.state.as_deref())?,
        reference: None,
        limit: args.limit,
    };
    let backend = backend(&args.db).await?;
    let now = Utc::now();
    let stats = backend.job_stats(now).await.context("reading the queues")?;
    let jobs = backend.jobs(&filter).await.context("reading the jobs")?;
    if args.json {
        for s in &stats {
            let line = serde_json::json!({
                "queue": s.queue.as_str(), "depth": s.depth, "oldestSeconds": s.oldest_secs, "failed": s.failed,
            });
            println!("{line}");
        }
        for j in &jobs {
            println!("{}", job_json(j));
        }
        return Ok(());
    }
    println!("{:<8} {:>8} {:>14} {:>8}", "QUEUE", "DUE", "OLDEST (s)", "FAILED");
    for s in &stats {
        println!("{:<8} {:>8} {:>14} {:>8}", s.queue.as_str(), s.depth, s.oldest_secs, s.failed);
    }
    println!();
    if jobs.is_empty() {
        println!("No jobs match.");
        return Ok(());
    }
    println!(
        "{:>8}  {:<30} {:<10} {:>8}  {:<20} {:<10}  LAST ERROR",
        "ID", "KIND", "STATE", "ATTEMPTS", "DUE / FINISHED", "REFERENCE"
    );
    for j in &jobs {
        let when = j.finished_at.unwrap_or(j.run_after).format("%Y-%m-%d %H:%M:%S");
        println!(
            "{:>8}  {:<30} {:<10} {:>8}  {:<20} {:<10}  {}",
            j.id,
            j.kind.name(),
            j.state.as_str(),
            j.attempts,
            when,
            j.reference.as_str(),
            j.last_error.as_deref().unwrap_or("")
        );
    }
    Ok(())
}

fn job_json(j: &JobRow) -> serde_json::Value {
    serde_json::json!({
        "id": j.id,
        "queue": j.kind.queue().as_str(),
        "kind": j.kind.name(),
        "state": j.state.as_str(),
        "attempts": j.attempts,
        "reference": j.reference.as_str(),
        "runAfter": j.run_after.to_rfc3339(),
        "finishedAt": j.finished_at.map(|t| t.to_rfc3339()),
        "lastError": j.last_error,
        "result": j.result,
        "worker": j.worker,
    })
}

async fn change(args: ChangeArgs, retry: bool) -> anyhow::Result<()> {
    let backend = backend(&args.db).await?;
    let ids: Vec<i64> = if args.all_failed {
        let filter = JobFilter {
            queue: queue(args.queue.as_deref())?,
            state: Some(JobState::Failed),
            reference: None,
            limit: u32::MAX,
        };
        backend.jobs(&filter).await?.into_iter().map(|j| j.id).collect()
    } else {
        args.ids.clone()
    };
    if ids.is_empty() && !args.all_failed {
        bail!("name the jobs by id (see `ier jobs list`), or give --all-failed");
    }
    let now = Utc::now();
    let (mut changed, mut refused) = (0, Vec::new());
    for id in ids {
        let done = if retry { backend.retry_job(id, now).await? } else { backend.discard_job(id, now).await? };
        if done {
            changed += 1;
        } else {
            refused.push(id.to_string());
        }
    }
    let verb = if retry { "put back in the queue" } else { "discarded" };
    println!("{changed} job(s) {verb}.");
    if !refused.is_empty() {
        let why = if retry { "not failed or discarded" } else { "not waiting or failed" };
        bail!("{} job(s) {why}, or no such job: {}", refused.len(), refused.join(" "));
    }
    Ok(())
}
