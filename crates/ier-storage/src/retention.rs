//! Applying the retention periods ([`ier_domain::retention`]): erase the
//! personal data of applications whose time has come, and the comments of
//! old feedback, in batches, each batch one transaction.
//!
//! An application is due when its EMS has confirmed receipt and either the
//! ERO's final determination (approved or rejected) is older than
//! `after_decision_days`, or the receipt is older than `after_receipt_days`;
//! and no job about it is still to run (a message the applicant is owed, such
//! as a renewal reminder, is sent first). Erasing empties its sealed details,
//! the EMS's receipt message and the register check's candidates, removes its
//! person-index entries and records an [`EventKind::Erased`](ier_domain::EventKind::Erased)
//! event; reading it afterwards gives [`StorageError::Erased`](crate::StorageError::Erased).
//! Data matching runs ([`crate::matching`]) are deleted whole once due.
//! Each backend checks the condition again inside the erasing transaction, so
//! instances running at once (or a determination arriving meanwhile) erase
//! nothing early and nothing twice.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use ier_domain::EroId;
use ier_domain::retention::Retention;

use crate::{Backend, Result, Store};

/// What a retention run erased (or, in a dry run, would erase): counts only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Applications erased, by ERO.
    pub applications: BTreeMap<EroId, u64>,
    /// Feedback comments deleted.
    pub feedback_comments: u64,
    /// Data matching runs deleted (with their electors, local data and results), by ERO.
    pub matching_runs: BTreeMap<EroId, u64>,
}

impl Report {
    pub fn applications_total(&self) -> u64 {
        self.applications.values().sum()
    }
}

impl Store {
    /// [`run`] on this store's backend.
    pub async fn run_retention(
        &self,
        retention: &Retention,
        now: DateTime<Utc>,
        batch: u32,
        dry_run: bool,
    ) -> Result<Report> {
        run(self.backend(), retention, now, batch, dry_run).await
    }
}

/// Erase what is due under `retention` at `now`, `batch` applications (or
/// feedback comments) a transaction, until nothing is due; with `dry_run`,
/// only count what would be. Needs no data keys: nothing is opened.
pub async fn run(
    backend: &dyn Backend,
    retention: &Retention,
    now: DateTime<Utc>,
    batch: u32,
    dry_run: bool,
) -> Result<Report> {
    let cutoffs = retention.cutoffs(now);
    let batch = batch.max(1);
    let mut report = Report::default();
    if dry_run {
        for (ero, _) in backend.erasable_applications(&cutoffs, u32::MAX).await? {
            *report.applications.entry(ero).or_default() += 1;
        }
        report.feedback_comments = backend.erasable_feedback_comments(cutoffs.feedback_before).await?;
        for ero in backend.erase_matching_runs(&cutoffs, u32::MAX, true).await? {
            *report.matching_runs.entry(ero).or_default() += 1;
        }
        return Ok(report);
    }
    loop {
        let due = backend.erasable_applications(&cutoffs, batch).await?;
        if due.is_empty() {
            break;
        }
        let references: Vec<_> = due.iter().map(|(_, r)| *r).collect();
        let erased = backend.erase_applications(&references, &cutoffs, now).await?;
        for (ero, _) in &erased {
            *report.applications.entry(ero.clone()).or_default() += 1;
        }
        // Nothing of a due batch erased: another instance took it, or it stopped being
        // due meanwhile. The next run looks again; never spin here.
        if erased.is_empty() || due.len() < batch as usize {
            break;
        }
    }
    loop {
        let n = backend.erase_feedback_comments(cutoffs.feedback_before, batch).await?;
        report.feedback_comments += n;
        if n < u64::from(batch) {
            break;
        }
    }
    // A run can hold a million electors: a few at a time.
    let runs = batch.min(10);
    loop {
        let erased = backend.erase_matching_runs(&cutoffs, runs, false).await?;
        for ero in &erased {
            *report.matching_runs.entry(ero.clone()).or_default() += 1;
        }
        if erased.len() < runs as usize {
            break;
        }
    }
    Ok(report)
}
