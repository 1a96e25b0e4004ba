//! The worker through its public API, on the embedded database: retries with
//! backoff, failure after too many attempts or a permanent error, the shared
//! rate, and effects recorded once.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use ier_domain::{EventKind, VerificationOutcome};
use ier_jobs::{Done, Handler, JobError, Rate, Worker, WorkerConfig};
use ier_storage::contract::{new_application, seeded_store};
use ier_storage::{Job, JobEffects, JobFilter, JobState, Queue, Store, WorkerStore};
use ier_storage_sqlite::SqliteBackend;

async fn store() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let backend = Arc::new(SqliteBackend::open(&dir.path().join("jobs.db")).await.unwrap());
    (seeded_store(backend).await, dir)
}

fn quick() -> WorkerConfig {
    WorkerConfig { backoff: Duration::ZERO, max_backoff: Duration::ZERO, max_attempts: 3, ..Default::default() }
}

/// Fails the first `failures` times it is called, then verifies.
struct Flaky {
    failures: u32,
    calls: AtomicU32,
    error: fn() -> JobError,
}

#[async_trait]
impl Handler for Flaky {
    async fn handle(&self, store: &WorkerStore, job: &Job) -> Result<Done, JobError> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        assert!(store.application(job).await?.is_some(), "a worker reads the application of the job it holds");
        if call < self.failures {
            return Err((self.error)());
        }
        Ok(Done {
            result: Some(format!("call-{call}")),
            effects: JobEffects {
                event: Some(EventKind::Verified { outcome: VerificationOutcome::Match, explanation: vec![] }),
                jobs: vec![],
                ..Default::default()
            },
        })
    }
}

fn flaky(failures: u32, error: fn() -> JobError) -> Arc<Flaky> {
    Arc::new(Flaky { failures, calls: AtomicU32::new(0), error })
}

async fn jobs_in(store: &Store, state: JobState) -> Vec<ier_storage::JobRow> {
    store
        .jobs(&JobFilter { queue: Some(Queue::Verify), state: Some(state), reference: None, limit: 100 })
        .await
        .unwrap()
}

#[tokio::test]
async fn a_failing_job_is_retried_until_it_succeeds_and_its_effect_recorded_once() {
    let (store, _dir) = store().await;
    let r = store.citizen().submit(new_application("W06000015", "Flaky"), chrono::Utc::now()).await.unwrap();
    let handler = flaky(2, || JobError::retry("DWP unavailable"));
    let worker = Worker::new(store.worker(Queue::Verify, "w"), handler.clone(), quick());
    let first = worker.run_once().await.unwrap();
    assert_eq!((first.claimed, first.retried), (1, 1));
    let waiting = jobs_in(&store, JobState::Queued).await;
    assert_eq!(waiting[0].last_error.as_deref(), Some("DWP unavailable"), "the error is kept with the job");
    worker.run_once().await.unwrap();
    let third = worker.run_once().await.unwrap();
    assert_eq!(third.done, 1);
    assert_eq!(worker.run_once().await.unwrap().claimed, 0, "nothing left");
    let done = jobs_in(&store, JobState::Done).await;
    assert_eq!((done[0].attempts, done[0].result.as_deref()), (3, Some("call-2")));
    let events = store.for_ero(r.ero_id).events(&r.reference).await.unwrap();
    assert_eq!(events.iter().filter(|e| e.kind.name() == "verified").count(), 1);
    assert_eq!(handler.calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn retries_wait_for_their_backoff() {
    let (store, _dir) = store().await;
    store.citizen().submit(new_application("W06000015", "Later"), chrono::Utc::now()).await.unwrap();
    let config = WorkerConfig { backoff: Duration::from_secs(60), max_backoff: Duration::from_secs(600), ..quick() };
    let worker = Worker::new(store.worker(Queue::Verify, "w"), flaky(1, || JobError::retry("down")), config);
    assert_eq!(worker.run_once().await.unwrap().retried, 1);
    assert_eq!(worker.run_once().await.unwrap().claimed, 0, "not again within the backoff");
    let waiting = jobs_in(&store, JobState::Queued).await;
    let wait = waiting[0].run_after - chrono::Utc::now();
    assert!(wait > chrono::Duration::seconds(25) && wait <= chrono::Duration::seconds(60), "{wait:?}");
}

#[tokio::test]
async fn a_job_that_keeps_failing_is_failed_and_kept() {
    let (store, _dir) = store().await;
    store.citizen().submit(new_application("W06000015", "Never"), chrono::Utc::now()).await.unwrap();
    let worker = Worker::new(store.worker(Queue::Verify, "w"), flaky(99, || JobError::retry("down")), quick());
    for _ in 0..3 {
        worker.run_once().await.unwrap();
    }
    assert_eq!(worker.run_once().await.unwrap().claimed, 0);
    let failed = jobs_in(&store, JobState::Failed).await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].last_error.as_deref(), Some("down (gave up after 3 attempts)"));
}

#[tokio::test]
async fn a_permanent_error_fails_the_job_at_once() {
    let (store, _dir) = store().await;
    store.citizen().submit(new_application("W06000015", "Refused"), chrono::Utc::now()).await.unwrap();
    let handler = flaky(99, || JobError::Permanent("refused".into()));
    let worker = Worker::new(store.worker(Queue::Verify, "w"), handler.clone(), quick());
    assert_eq!(worker.run_once().await.unwrap().failed, 1);
    assert_eq!(handler.calls.load(Ordering::SeqCst), 1);
    assert_eq!(jobs_in(&store, JobState::Failed).await[0].last_error.as_deref(), Some("refused"));
}

#[tokio::test]
async fn a_job_whose_workers_keep_dying_is_given_up() {
    let (store, _dir) = store().await;
    let then = chrono::Utc::now() - chrono::Duration::seconds(120);
    store.citizen().submit(new_application("W06000015", "Poison"), then).await.unwrap();
    // Three workers claim it and die (their leases run out at once).
    for n in 0..3 {
        let dead = store.worker(Queue::Verify, format!("dead-{n}"));
        let now = chrono::Utc::now() - chrono::Duration::seconds(60 - n);
        assert_eq!(dead.claim(now, Duration::ZERO, 10).await.unwrap().len(), 1);
    }
    let handler = flaky(0, || unreachable!());
    let worker = Worker::new(store.worker(Queue::Verify, "w"), handler.clone(), quick());
    let round = worker.run_once().await.unwrap();
    assert_eq!((round.claimed, round.failed), (1, 1));
    assert_eq!(handler.calls.load(Ordering::SeqCst), 0, "not run a fourth time");
    assert_eq!(
        jobs_in(&store, JobState::Failed).await[0].last_error.as_deref(),
        Some("gave up after 3 attempts that did not finish")
    );
}

#[tokio::test]
async fn throttling_pauses_the_worker() {
    let (store, _dir) = store().await;
    store.citizen().submit(new_application("W06000015", "Slow"), chrono::Utc::now()).await.unwrap();
    let handler = flaky(1, || JobError::Throttled { after: Duration::from_secs(30) });
    let worker = Worker::new(store.worker(Queue::Verify, "w"), handler, quick());
    let round = worker.run_once().await.unwrap();
    assert_eq!(round.throttled, Some(Duration::from_secs(30)));
    assert_eq!(worker.run_once().await.unwrap().claimed, 0, "the job waits at least as long");
}

#[tokio::test]
async fn a_shared_rate_limits_how_many_are_claimed() {
    let (store, _dir) = store().await;
    let news = (0..30).map(|_| new_application("W06000015", "Rated")).collect();
    store.submit_many(news, chrono::Utc::now()).await.unwrap();
    let config = WorkerConfig { rate: Some(Rate::per_minute("test-rate", 600)), ..quick() };
    let one = Worker::new(store.worker(Queue::Verify, "one"), flaky(0, || unreachable!()), config.clone());
    let two = Worker::new(store.worker(Queue::Verify, "two"), flaky(0, || unreachable!()), config);
    // 600 a minute: a burst of 10, then 9.8 a second, shared by both workers.
    let a = one.run_once().await.unwrap();
    let b = two.run_once().await.unwrap();
    assert_eq!(a.done, 10);
    assert!(b.rate_limited || b.done <= 1, "the second worker shares the first one's bucket: {b:?}");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let c = two.run_once().await.unwrap();
    assert!((9..=11).contains(&c.done), "refilled at the rate: {c:?}");
}
