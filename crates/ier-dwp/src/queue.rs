//! The identity check of every stored application, as a job
//! ([`ier_storage::JobKind::Verify`], queued with the application).
//!
//! [`VerifyHandler`] reads the application of the job it holds (through the
//! worker's scoped capability: no other application), asks the
//! [`IdentityVerifier`], and finishes the job with the outcome and its
//! explanation (plain words from enums: no personal data) as the
//! application's `verified` event, and, when DWP could not confirm who the
//! applicant is, a message telling them ([`ier_storage::jobs::verification_jobs`]).
//! Applications without a NINO or a date of birth cannot be checked: they are
//! recorded as no match, for the ERO's exceptions process. If DWP is
//! unavailable the job is tried again later, with backoff. The queue's leases
//! mean that with many instances each application is checked once.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use ier_domain::{EventKind, VerificationOutcome};
use ier_jobs::{Done, Handler, JobError, Worker, WorkerConfig};
use ier_storage::{Job, JobEffects, Queue, Store, WorkerStore};

use crate::{IdentityVerifier, VerificationRequest};

/// The explanation recorded when there is nothing to check.
pub const NOTHING_TO_CHECK: &str =
    "No National Insurance number or date of birth given: the exceptions process applies";

/// Checks the identity of a job's applicant.
pub struct VerifyHandler {
    verifier: Arc<dyn IdentityVerifier>,
}

impl VerifyHandler {
    pub fn new(verifier: Arc<dyn IdentityVerifier>) -> Self {
        Self { verifier }
    }
}

#[async_trait]
impl Handler for VerifyHandler {
    async fn handle(&self, store: &WorkerStore, job: &Job) -> Result<Done, JobError> {
        let Some(application) = store.application(job).await? else {
            return Err(JobError::retry("the job is no longer held"));
        };
        let metrics = ier_ops::metrics();
        let (outcome, explanation) = match VerificationRequest::from_details(&application.details) {
            None => {
                metrics.verification("nothing-to-check").inc();
                (VerificationOutcome::NoMatch, vec![NOTHING_TO_CHECK.to_owned()])
            }
            Some(request) => match self.verifier.verify(&request).await {
                Ok(v) => {
                    metrics
                        .verification(match v.outcome {
                            VerificationOutcome::Match => "match",
                            VerificationOutcome::NoMatch => "no-match",
                        })
                        .inc();
                    (v.outcome, v.fields.iter().map(|f| f.describe()).collect())
                }
                Err(e) => {
                    metrics.verification("deferred").inc();
                    return Err(JobError::retry(e.to_string()));
                }
            },
        };
        Ok(Done {
            result: None,
            effects: JobEffects {
                event: Some(EventKind::Verified { outcome, explanation }),
                jobs: ier_storage::jobs::verification_jobs(job.reference, outcome),
                tallies: vec![ier_storage::performance::identity_tally(outcome)],
            },
        })
    }
}

/// How the verification worker works: batches of 200; DWP outages retried
/// with backoff up to 15 minutes for about half a day before a job is failed
/// and kept for operators.
pub fn config() -> WorkerConfig {
    WorkerConfig {
        batch: 200,
        concurrency: 16,
        max_attempts: 60,
        backoff: Duration::from_secs(10),
        max_backoff: Duration::from_secs(15 * 60),
        ..WorkerConfig::default()
    }
}

/// The verification worker of this process.
pub fn worker(store: &Store, verifier: Arc<dyn IdentityVerifier>) -> Worker {
    let store = store.worker(Queue::Verify, ier_jobs::worker_name(Queue::Verify));
    Worker::new(store, Arc::new(VerifyHandler::new(verifier)), config())
}
