//! Draining the verification queue: every stored application's identity is
//! checked against DWP as soon as it is stored.
//!
//! Submission commits the application together with a queued verification
//! request ([`ier_storage::Backend::pending_verifications`]); this worker takes
//! requests oldest first, asks the [`IdentityVerifier`], and records the
//! outcome with its explanation (plain words from enums: no personal data) as
//! the application's `verified` event, which also takes it off the queue.
//! Applications without a NINO or a date of birth cannot be checked: they are
//! recorded as no match, for the ERO's exceptions process. If DWP is
//! unavailable the request stays queued and is tried again on the next round.
//! Completing a request twice is harmless, so several workers may run.

use std::time::Duration;

use chrono::Utc;
use ier_domain::{EventKind, VerificationOutcome};
use ier_storage::{StorageError, Store};

use crate::{IdentityVerifier, VerificationRequest};

/// The explanation recorded when there is nothing to check.
pub const NOTHING_TO_CHECK: &str =
    "No National Insurance number or date of birth given: the exceptions process applies";

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub verified: usize,
    /// DWP did not answer: requests left queued for the next round.
    pub deferred: usize,
}

/// Check up to `batch` queued applications.
pub async fn verify_pending(store: &Store, verifier: &dyn IdentityVerifier, batch: u32) -> Result<Round, StorageError> {
    let mut round = Round::default();
    let pending = store.backend().pending_verifications(batch).await?;
    for (reference, ero) in pending {
        let Some(application) = store.for_ero(ero).application(&reference).await? else {
            continue;
        };
        let metrics = ier_ops::metrics();
        let (outcome, explanation) = match VerificationRequest::from_details(&application.details) {
            None => {
                metrics.verification("nothing-to-check").inc();
                (VerificationOutcome::NoMatch, vec![NOTHING_TO_CHECK.to_owned()])
            }
            Some(request) => match verifier.verify(&request).await {
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
                    tracing::warn!(error = %e, "identity verification deferred");
                    metrics.verification("deferred").inc();
                    round.deferred += 1;
                    continue;
                }
            },
        };
        let event = EventKind::Verified { outcome, explanation };
        store.backend().complete_verification(&reference, Utc::now(), &event).await?;
        tracing::info!(reference = %reference, outcome = ?outcome, "identity verified");
        round.verified += 1;
    }
    Ok(round)
}

/// Run rounds for ever: back to back while there is work, a short pause when idle or failing.
pub async fn run(store: Store, verifier: std::sync::Arc<dyn IdentityVerifier>) {
    loop {
        let pause = match verify_pending(&store, verifier.as_ref(), 200).await {
            Ok(Round { verified, deferred: 0 }) if verified > 0 => Duration::ZERO,
            Ok(Round { deferred, .. }) if deferred > 0 => Duration::from_secs(5),
            Ok(_) => Duration::from_millis(200),
            Err(e) => {
                tracing::error!(error = %e, "verification queue unavailable");
                ier_ops::metrics().error("verification").inc();
                Duration::from_secs(5)
            }
        };
        tokio::time::sleep(pause).await;
    }
}
