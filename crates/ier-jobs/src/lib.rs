//! Workers on the durable job queue ([`ier_storage::jobs`]).
//!
//! A [`Worker`] claims due jobs of one queue with a lease, runs each through
//! its [`Handler`] (several at once), and finishes it: done with its effects
//! (recorded in the same transaction as marking it done), tried again later
//! with exponential backoff and jitter, or failed and kept for operators after
//! [`WorkerConfig::max_attempts`] or an error that would recur. A worker
//! killed mid-job leaves the job leased; when the lease runs out another
//! worker (on any instance) claims it, so handlers must be idempotent: a job
//! done twice has no second effect.
//!
//! A queue may keep to a rate shared by every instance ([`Rate`], a token
//! bucket in the database): the notification worker keeps to GOV.UK Notify's
//! limit, so a deadline-day backlog drains at that rate rather than in a storm
//! of refusals. Each outcome is counted by job kind (`ier_jobs{kind,outcome}`).
//! Errors carry no personal data: they are stored with the job and shown to operators.

pub mod matching;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use ier_storage::{Job, JobEffects, Release, StorageError, WorkerStore};
use rand::Rng;

/// What a handler made of a job.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Done {
    /// What it produced, kept with the job (an id, never personal data).
    pub result: Option<String>,
    /// Recorded in the same transaction as the job is marked done.
    pub effects: JobEffects,
}

/// Why a job did not finish. The message is stored with the job and shown to
/// operators: it must carry no personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobError {
    /// Try again later (after `after`, or the worker's backoff).
    Retry { error: String, after: Option<Duration> },
    /// The outside service asked us to slow down: try again after `after`,
    /// and pause this worker for as long.
    Throttled { after: Duration },
    /// It would fail again: fail it now, and keep it for operators.
    Permanent(String),
}

impl JobError {
    pub fn retry(error: impl Into<String>) -> Self {
        JobError::Retry { error: error.into(), after: None }
    }
}

impl From<StorageError> for JobError {
    fn from(e: StorageError) -> Self {
        match e {
            // Its application's personal data is gone (retention waits for waiting jobs,
            // so only an operator's retry of an old job gets here): it can never run.
            StorageError::Erased => JobError::Permanent(e.to_string()),
            e => JobError::retry(e.to_string()),
        }
    }
}

/// The work of one queue's jobs.
#[async_trait]
pub trait Handler: Send + Sync + 'static {
    async fn handle(&self, store: &WorkerStore, job: &Job) -> Result<Done, JobError>;
}

/// A rate shared by every instance working a queue.
#[derive(Debug, Clone, PartialEq)]
pub struct Rate {
    /// The bucket's name in the database.
    pub bucket: String,
    pub per_second: f64,
    /// How many may go at once after a quiet spell.
    pub burst: f64,
}

impl Rate {
    /// At most `per_minute` jobs in any 60 seconds (as GOV.UK Notify counts): a
    /// burst of one second's worth (at least one), and a refill that leaves
    /// room for it, so a full bucket and a minute's refill never exceed the limit.
    pub fn per_minute(bucket: impl Into<String>, per_minute: u32) -> Self {
        let per_minute = f64::from(per_minute.max(1));
        let burst = (per_minute / 60.0).floor().max(1.0);
        let per_second = ((per_minute - burst) / 60.0).max(1.0 / 60.0);
        Self { bucket: bucket.into(), per_second, burst }
    }
}

/// How a worker works.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerConfig {
    /// How long a claimed job is held before another worker may take it; a
    /// job that runs longer than 90% of it is given up and retried.
    pub lease: Duration,
    /// Jobs claimed at once.
    pub batch: u32,
    /// Jobs run at once.
    pub concurrency: usize,
    /// Attempts before a job is failed and kept.
    pub max_attempts: u32,
    /// The first retry's delay; each later one doubles, up to `max_backoff`,
    /// each with jitter (between half and all of it).
    pub backoff: Duration,
    pub max_backoff: Duration,
    /// The pause when there is nothing to do.
    pub idle: Duration,
    pub rate: Option<Rate>,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(120),
            batch: 50,
            concurrency: 16,
            max_attempts: 10,
            backoff: Duration::from_secs(10),
            max_backoff: Duration::from_secs(3600),
            idle: Duration::from_millis(250),
            rate: None,
        }
    }
}

impl WorkerConfig {
    /// The delay before attempt `attempts + 1`, with jitter.
    pub fn backoff_after(&self, attempts: u32) -> Duration {
        let exp = self.backoff.saturating_mul(1u32 << attempts.saturating_sub(1).min(20));
        let full = exp.min(self.max_backoff);
        let half = full / 2;
        half + full.saturating_sub(half).mul_f64(rand::rng().random::<f64>())
    }
}

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub claimed: usize,
    pub done: usize,
    pub retried: usize,
    pub failed: usize,
    /// Finished by another worker after this one's lease ran out.
    pub lease_lost: usize,
    /// The outside service asked us to slow down for this long.
    pub throttled: Option<Duration>,
    /// No tokens were left in the shared rate.
    pub rate_limited: bool,
}

/// A worker on one queue.
pub struct Worker {
    store: WorkerStore,
    handler: Arc<dyn Handler>,
    config: WorkerConfig,
}

/// A name for this process's worker, unique among instances and restarts:
/// host, process id and a random part.
pub fn worker_name(queue: ier_storage::Queue) -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "ier".into());
    format!("{queue}@{host}/{}/{:08x}", std::process::id(), rand::rng().random::<u32>())
}

impl Worker {
    pub fn new(store: WorkerStore, handler: Arc<dyn Handler>, config: WorkerConfig) -> Self {
        Self { store, handler, config }
    }

    /// Claim one batch of due jobs and run it to the end.
    pub async fn run_once(&self) -> Result<Round, StorageError> {
        let mut round = Round::default();
        let now = Utc::now();
        let want = match &self.config.rate {
            Some(rate) => {
                let granted =
                    self.store.take_tokens(&rate.bucket, now, self.config.batch, rate.per_second, rate.burst).await?;
                if granted == 0 {
                    round.rate_limited = true;
                    return Ok(round);
                }
                granted
            }
            None => self.config.batch,
        };
        let jobs = self.store.claim(now, self.config.lease, want).await?;
        round.claimed = jobs.len();
        let limit = Arc::new(tokio::sync::Semaphore::new(self.config.concurrency.max(1)));
        let mut running = tokio::task::JoinSet::new();
        for job in jobs {
            let permit = limit.clone().acquire_owned().await.expect("the semaphore is never closed");
            let (store, handler, config) = (self.store.clone(), self.handler.clone(), self.config.clone());
            running.spawn(async move {
                let outcome = run_job(&store, handler.as_ref(), &config, &job).await;
                drop(permit);
                outcome
            });
        }
        while let Some(outcome) = running.join_next().await {
            match outcome.map_err(|e| StorageError::Unavailable(format!("a job's task failed: {e}")))?? {
                Outcome::Done => round.done += 1,
                Outcome::Retried => round.retried += 1,
                Outcome::Failed => round.failed += 1,
                Outcome::LeaseLost => round.lease_lost += 1,
                Outcome::Throttled(after) => {
                    round.retried += 1;
                    round.throttled = Some(round.throttled.map_or(after, |t| t.max(after)));
                }
            }
        }
        Ok(round)
    }

    /// Work for ever: back to back while there is work, pausing when idle,
    /// throttled, out of tokens or when the database fails.
    pub async fn run(self) {
        let queue = self.store.queue();
        loop {
            let pause = match self.run_once().await {
                Ok(Round { throttled: Some(after), .. }) => {
                    tracing::warn!(%queue, seconds = after.as_secs_f64(), "asked to slow down: pausing");
                    after
                }
                Ok(Round { rate_limited: true, .. }) => {
                    let per_second = self.config.rate.as_ref().map_or(1.0, |r| r.per_second).max(0.001);
                    Duration::from_secs_f64((1.0 / per_second).clamp(0.01, 1.0))
                }
                Ok(Round { claimed: 0, .. }) => self.config.idle,
                Ok(_) => Duration::ZERO,
                Err(e) => {
                    tracing::error!(%queue, error = %e, "job queue unavailable");
                    ier_ops::metrics().error("jobs").inc();
                    Duration::from_secs(5)
                }
            };
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
        }
    }
}

enum Outcome {
    Done,
    Retried,
    Failed,
    LeaseLost,
    Throttled(Duration),
}

async fn run_job(
    store: &WorkerStore,
    handler: &dyn Handler,
    config: &WorkerConfig,
    job: &Job,
) -> Result<Outcome, StorageError> {
    let metrics = ier_ops::metrics();
    let queue = store.queue();
    // A job claimed more often than allowed has killed its workers (or run out
    // their leases) each time: give up on it rather than loop.
    if job.attempts > config.max_attempts {
        let error = format!("gave up after {} attempts that did not finish", job.attempts - 1);
        return finish_failed(store, job, error).await;
    }
    let limit = config.lease.mul_f64(0.9);
    let result = match tokio::time::timeout(limit, handler.handle(store, job)).await {
        Ok(r) => r,
        Err(_) => Err(JobError::retry(format!("took longer than {} s", limit.as_secs()))),
    };
    let now = Utc::now();
    match result {
        Ok(done) => {
            if store.complete(job, now, done.result.as_deref(), &done.effects).await? {
                metrics.job(&job.kind, "done").inc();
                tracing::info!(%queue, job = job.id, kind = %job.kind.name(), attempts = job.attempts, "job done");
                Ok(Outcome::Done)
            } else {
                metrics.job(&job.kind, "lease-lost").inc();
                tracing::warn!(%queue, job = job.id, "job finished after its lease ran out: another worker has it");
                Ok(Outcome::LeaseLost)
            }
        }
        Err(JobError::Permanent(error)) => finish_failed(store, job, error).await,
        Err(JobError::Retry { error, .. }) if job.attempts >= config.max_attempts => {
            finish_failed(store, job, format!("{error} (gave up after {} attempts)", job.attempts)).await
        }
        Err(JobError::Retry { error, after }) => {
            let delay = after.unwrap_or_else(|| config.backoff_after(job.attempts));
            retry(store, job, now, delay, error)
                .await
                .map(|kept| if kept { Outcome::Retried } else { Outcome::LeaseLost })
        }
        Err(JobError::Throttled { after }) => {
            let delay = after + config.backoff_after(1).min(Duration::from_secs(5));
            retry(store, job, now, delay, "asked to slow down".into())
                .await
                .map(|kept| if kept { Outcome::Throttled(after) } else { Outcome::LeaseLost })
        }
    }
}

async fn retry(
    store: &WorkerStore,
    job: &Job,
    now: chrono::DateTime<Utc>,
    delay: Duration,
    error: String,
) -> Result<bool, StorageError> {
    let run_after = now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::hours(1));
    tracing::warn!(queue = %store.queue(), job = job.id, attempts = job.attempts, %error, "job will be tried again");
    let kept = store.release(job, now, &Release::Retry { run_after, error }).await?;
    ier_ops::metrics().job(&job.kind, if kept { "retry" } else { "lease-lost" }).inc();
    Ok(kept)
}

async fn finish_failed(store: &WorkerStore, job: &Job, error: String) -> Result<Outcome, StorageError> {
    tracing::error!(queue = %store.queue(), job = job.id, attempts = job.attempts, %error, "job failed: kept for operators");
    let kept = store.release(job, Utc::now(), &Release::Fail { error }).await?;
    ier_ops::metrics().job(&job.kind, if kept { "failed" } else { "lease-lost" }).inc();
    Ok(if kept { Outcome::Failed } else { Outcome::LeaseLost })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_per_minute_never_exceeds_it_in_any_minute() {
        for per_minute in [2, 59, 60, 600, 3000, 60_000] {
            let r = Rate::per_minute("b", per_minute);
            let most = r.burst + 60.0 * r.per_second;
            assert!(most <= f64::from(per_minute) + 1e-9, "{per_minute}: {most}");
            assert!(most >= f64::from(per_minute) * 0.98 - 1.0, "{per_minute}: nearly all of it: {most}");
            assert!(r.burst >= 1.0);
        }
    }

    #[test]
    fn backoff_doubles_with_jitter_up_to_its_cap() {
        let config = WorkerConfig {
            backoff: Duration::from_secs(10),
            max_backoff: Duration::from_secs(60),
            ..Default::default()
        };
        for _ in 0..100 {
            let first = config.backoff_after(1);
            assert!((Duration::from_secs(5)..=Duration::from_secs(10)).contains(&first), "{first:?}");
            let third = config.backoff_after(3);
            assert!((Duration::from_secs(20)..=Duration::from_secs(40)).contains(&third), "{third:?}");
            let late = config.backoff_after(30);
            assert!((Duration::from_secs(30)..=Duration::from_secs(60)).contains(&late), "{late:?}");
        }
        let spread: std::collections::HashSet<_> = (0..20).map(|_| config.backoff_after(2).as_millis()).collect();
        assert!(spread.len() > 10, "jitter spreads retries: {spread:?}");
    }
}
