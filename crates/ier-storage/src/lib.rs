//! Storage of applications, their events, councils and EROs.
//!
//! Two layers:
//! - [`Backend`]: what a database must do, on rows whose personal data is
//!   already sealed. Implemented by `ier-storage-sqlite` (the embedded default)
//!   and `ier-storage-postgres` (production), each with its own migrations, and
//!   held to one [`contract`] suite.
//! - [`Store`]: the service's view: it seals and opens personal data
//!   ([`crypto`]), makes reference numbers, and hands out capabilities: a
//!   [`CitizenStore`] that can submit but never read an application back
//!   (only its status, to someone who knows its reference and the applicant's
//!   date of birth: [`CitizenStore::status`]), an [`EroStore`] that sees only
//!   one ERO's applications (every query is scoped by ERO in the backend's
//!   SQL, not filtered afterwards; on Postgres, row-level security is a second
//!   wall), and a [`WorkerStore`] that reads only the applications of the jobs
//!   it holds ([`jobs`]).
//!
//! What the council's EMS does through an [`EroStore`]: read the queue of
//! applications it has not confirmed ([`EroStore::pending`], non-consuming),
//! confirm receipt ([`EroStore::confirm_receipts`], idempotent), send the ERO's
//! determination ([`EroStore::determine`]), and answer register checks
//! ([`EroStore::pending_register_checks`], [`EroStore::answer_register_check`]).
//! Every API access is recorded with [`Store::record_api_access`] (no personal data).

pub mod audit_chain;
pub mod crypto;
pub mod decode;
pub mod evidence;
pub mod feedback;
pub mod group;
pub mod jobs;
pub mod matching;
pub mod performance;
pub mod persons;
pub mod retention;
pub mod sql;
pub mod staff;

#[cfg(feature = "contract")]
pub mod contract;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ier_domain::register_check::{AnswerError, RegisterCandidate, RegisterCheckResult};
use ier_domain::{
    ApplicantDetails, Application, ApplicationKind, Council, DateOfBirth, Determination, Ero, EroId, Event, EventKind,
    GssCode, Language, ReasonCode, ReferenceNumber, Stage, VerificationOutcome,
};
use serde::{Deserialize, Serialize};

pub use crypto::{CryptoError, DataKeys, KeyError, Sealed};
pub use group::GroupCommit;
pub use jobs::{Job, JobEffects, JobFilter, JobKind, JobRow, JobState, Message, NewJob, Queue, QueueStats, Release};

/// What can go wrong in storage. Messages carry no personal data.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("no such record")]
    NotFound,
    #[error("a record with this key already exists")]
    Duplicate,
    #[error("council {0} is not known")]
    UnknownCouncil(GssCode),
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    /// The record is not in a state that allows this (the message says why, with no personal data).
    #[error("{0}")]
    Conflict(&'static str),
    /// The application's personal data was deleted under the retention rules ([`retention`]).
    #[error("the personal data of this application has been deleted under the retention rules")]
    Erased,
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// An application row as a backend sees it: metadata in the clear, personal
/// data sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationRow {
    pub reference: ReferenceNumber,
    pub kind: ApplicationKind,
    pub language: Language,
    pub gss_code: GssCode,
    /// Filled in by the backend from the council, inside the insert's transaction.
    pub ero_id: Option<EroId>,
    pub submitted_at: DateTime<Utc>,
    pub stage: Stage,
    pub details: Sealed,
    /// What has happened to it since (empty on insert; backends read it back).
    pub progress: ProgressRow,
}

/// A new application to insert, with what storing it creates: built only by
/// [`Submission::new`], the one place that decides what a submission creates.
/// Each backend writes exactly this, in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    pub row: ApplicationRow,
    /// Its first events, in order (`submitted`, `verification-requested`).
    pub events: Vec<EventKind>,
    /// The work it starts ([`jobs::submission_jobs`]: the identity check, the acknowledgement, ...).
    pub jobs: Vec<NewJob>,
    /// The register check to put to the council's EMS ("is this person on your register?").
    pub register_check: Option<NewRegisterCheck>,
    /// The journey it comes from: unique in storage, so a journey stores one application.
    pub journey: Option<JourneyKey>,
    /// Its digests in the person index ([`persons`]), so a repeat application is found.
    pub person: Option<persons::PersonEntry>,
    /// What it adds to the performance figures ([`performance::submission_tallies`]), counted at `row.submitted_at`.
    pub tallies: Vec<performance::Tally>,
}

/// A register check made with an application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRegisterCheck {
    pub id: String,
    /// Search past registrations too: an overseas elector qualifies by a
    /// registration (or residence) that may be many years old.
    pub historical: bool,
}

impl Submission {
    pub fn new(row: ApplicationRow, details: &ApplicantDetails) -> Self {
        let historical = row.kind == ApplicationKind::Overseas;
        Self {
            jobs: jobs::submission_jobs(row.reference, details),
            row,
            events: vec![EventKind::Submitted, EventKind::VerificationRequested],
            register_check: Some(NewRegisterCheck { id: uuid::Uuid::new_v4().to_string(), historical }),
            journey: None,
            person: None,
            tallies: Vec::new(),
        }
    }

    /// The same, from the journey `key` ([`NewApplication::journey`]).
    pub fn from_journey(mut self, key: Option<JourneyKey>) -> Self {
        self.journey = key;
        self
    }

    /// The same, counted in the performance figures by these tallies.
    pub fn with_tallies(mut self, tallies: Vec<performance::Tally>) -> Self {
        self.tallies = tallies;
        self
    }

    /// The same, findable in the person index by these digests.
    pub fn with_person(mut self, entry: persons::PersonEntry) -> Self {
        self.person = (!entry.digests.is_empty()).then_some(entry);
        self
    }
}

/// How a batch of submissions meets the journeys already stored, for
/// backends: each submission's receipt, and which of them to store.
#[derive(Debug)]
pub struct JourneyPlan {
    /// One receipt per submission, in order: a stored journey's own, or the new one.
    pub receipts: Vec<Receipt>,
    /// The submissions to store (indexes, in order).
    pub fresh: Vec<usize>,
}

/// Plan a batch: `eros[i]` is submission `i`'s ERO, `known` the journey keys
/// stored already with their receipts. A journey stored already, or earlier
/// in the batch, is given that receipt and not stored again.
pub fn plan_journeys(
    submissions: &[Submission],
    eros: &[String],
    mut known: std::collections::HashMap<String, Receipt>,
) -> Result<JourneyPlan> {
    let mut plan = JourneyPlan { receipts: Vec::with_capacity(submissions.len()), fresh: Vec::new() };
    for (i, (s, ero)) in submissions.iter().zip(eros).enumerate() {
        if let Some(done) = s.journey.as_ref().and_then(|k| known.get(k.as_str())) {
            plan.receipts.push(done.clone());
            continue;
        }
        let receipt =
            Receipt { reference: s.row.reference, ero_id: decode::ero_id(ero)?, submitted_at: s.row.submitted_at };
        if let Some(k) = &s.journey {
            known.insert(k.as_str().to_owned(), receipt.clone());
        }
        plan.receipts.push(receipt);
        plan.fresh.push(i);
    }
    Ok(plan)
}

/// An application's progress as stored: no personal data except the EMS's
/// own message on a receipt, which is sealed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProgressRow {
    pub verification: Option<Verification>,
    pub receipt: Option<ReceiptState>,
    pub receipt_message: Option<Sealed>,
    pub determination: Option<DeterminationState>,
    pub register_check: Option<RegisterCheckState>,
    /// When its personal data was deleted under the retention rules ([`retention`]), if it was.
    pub erased_at: Option<DateTime<Utc>>,
}

/// An application's progress, as the ERO sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    /// The DWP identity check's result, once there is one.
    pub verification: Option<Verification>,
    /// The EMS's confirmation of receipt once given, or else its latest failed receipt.
    pub receipt: Option<ReceiptState>,
    /// The EMS's message with its latest failed receipt.
    pub receipt_message: Option<String>,
    pub determination: Option<DeterminationState>,
    pub register_check: Option<RegisterCheckState>,
    /// Whether the applicant had applied before or is registered already, from
    /// the person index at the time of reading ([`persons::Repeat`]).
    pub repeat: Option<persons::Repeat>,
}

/// The identity check's result with its plain-words evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub at: DateTime<Utc>,
    pub outcome: VerificationOutcome,
    pub explanation: Vec<String>,
}

/// The EMS's receipts of an application: when it confirmed it (`success`),
/// or, until it does, when its latest failed receipt came (a failure means
/// "not received": the application stays on the queue); and how many failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiptState {
    pub at: DateTime<Utc>,
    pub success: bool,
    /// Failed receipts (before the success, if there is one).
    pub failures: u32,
}

/// The ERO's latest determination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeterminationState {
    pub at: DateTime<Utc>,
    pub determination: Determination,
}

/// The register check made for an application, and its answer once given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterCheckState {
    pub id: String,
    pub created_at: DateTime<Utc>,
    /// Search past registrations too (overseas applicants).
    pub historical: bool,
    pub answered_at: Option<DateTime<Utc>>,
    pub result: Option<RegisterCheckResult>,
    pub match_count: Option<u32>,
}

/// A confirmation of receipt, for the backend (message sealed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptRow {
    pub reference: ReferenceNumber,
    pub success: bool,
    pub message: Option<Sealed>,
}

/// What confirming one application's receipt did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmOutcome {
    /// Confirmed now: it has left the queue.
    Confirmed,
    /// Confirmed before: nothing changed (confirming twice is harmless, and a
    /// failure after a success does not undo it).
    AlreadyConfirmed,
    /// A failed receipt, recorded (counted, its time and sealed message kept,
    /// a `confirmed-by-ems` event with `success: false`): the application
    /// stays on the queue until a success.
    FailureRecorded,
    /// No such application for this ERO.
    NotFound,
}

/// What recording a determination did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetermineOutcome {
    Recorded,
    /// The same determination was already recorded: nothing changed.
    Unchanged,
}

/// A register check's answer, for the backend (candidates sealed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterAnswerRow {
    pub result: RegisterCheckResult,
    pub match_count: u32,
    pub candidates: Sealed,
}

/// One access to the EMS API, for audit: who, what, when, how it ended. No
/// personal data: the target is a reference number or a check id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiAccess {
    pub at: DateTime<Utc>,
    pub request_id: String,
    pub ero_id: EroId,
    pub certificate_serial: String,
    pub method: String,
    /// The route's template, e.g. `/v1/applications/{reference}`.
    pub route: String,
    pub target: Option<String>,
    pub status: u16,
    /// How many items a list returned or a batch touched.
    pub items: Option<u32>,
}

/// Counts for metrics and dashboards: no personal data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub by_stage: Vec<(Stage, u64)>,
    /// Identity checks not yet done (verify jobs waiting or running).
    pub pending_verifications: u64,
}

/// What a database backend does. All methods are scoped: reads and writes of
/// applications name the ERO whose data they touch, and the SQL filters on it.
#[async_trait]
pub trait Backend: Send + Sync + 'static {
    /// Insert or update EROs (by id).
    async fn put_eros(&self, eros: &[Ero]) -> Result<()>;
    /// Insert or update councils (by GSS code). Their EROs must exist.
    async fn put_councils(&self, councils: &[Council]) -> Result<()>;
    async fn ero(&self, id: &EroId) -> Result<Option<Ero>>;
    async fn eros(&self) -> Result<Vec<Ero>>;
    async fn council(&self, gss_code: &GssCode) -> Result<Option<Council>>;
    async fn councils_of(&self, ero: &EroId) -> Result<Vec<Council>>;

    /// Store a new application, durably, in one transaction with what the
    /// submission creates (its events, verification request and register
    /// check: [`Submission`]). The ERO comes from the council. Returns its receipt.
    /// `Duplicate` if the reference is taken; `UnknownCouncil` if the GSS code is not a council.
    ///
    /// A submission whose journey key ([`Submission::journey`]) is stored
    /// already (or earlier in the same batch) stores nothing: its receipt is
    /// that application's. Two transactions storing one key at once: one
    /// fails with `Duplicate`, and tried again finds the other's.
    async fn insert_application(&self, submission: &Submission) -> Result<Receipt> {
        let mut receipts = self.insert_applications(std::slice::from_ref(submission)).await?;
        receipts.pop().ok_or_else(|| StorageError::Corrupt("insert returned no receipt".into()))
    }
    /// Store many applications in one transaction (all or none), as
    /// [`Backend::insert_application`] stores one; returns their receipts in order.
    async fn insert_applications(&self, submissions: &[Submission]) -> Result<Vec<Receipt>>;
    async fn application(&self, ero: &EroId, reference: &ReferenceNumber) -> Result<Option<ApplicationRow>>;
    /// The ERO's applications in submission order, oldest first.
    async fn applications(
        &self,
        ero: &EroId,
        after: Option<&ReferenceNumber>,
        limit: u32,
    ) -> Result<Vec<ApplicationRow>>;
    /// Record an event and move the stage on; `NotFound` if not this ERO's.
    async fn append_event(
        &self,
        ero: &EroId,
        reference: &ReferenceNumber,
        at: DateTime<Utc>,
        kind: &EventKind,
    ) -> Result<()>;
    async fn events(&self, ero: &EroId, reference: &ReferenceNumber) -> Result<Vec<Event>>;

    /// The ERO's applications its EMS has not confirmed, oldest first. Reading does not consume.
    async fn pending_for_ems(&self, ero: &EroId, limit: u32) -> Result<Vec<ApplicationRow>>;
    /// Confirm receipts in one transaction (the first success of each stands
    /// and takes it off the queue; it shows in [`Backend::events`] as
    /// `confirmed-by-ems`); a failure before any success is counted, its time
    /// and message kept and an event written, and the application stays
    /// pending. One outcome per receipt, in order ([`receipt_outcomes`]).
    async fn confirm_receipts(
        &self,
        ero: &EroId,
        at: DateTime<Utc>,
        receipts: &[ReceiptRow],
    ) -> Result<Vec<ConfirmOutcome>>;
    /// Record the ERO's determination with a `determined` event, and queue
    /// `jobs` (telling the applicant: [`jobs::determination_jobs`]) in the
    /// same transaction when it is recorded. `NotFound` if not this ERO's;
    /// `Conflict` before the EMS has confirmed receipt, or when a final
    /// determination (approved, rejected) would change. `registered_from`: an
    /// approval's first day, when the ERO gave one (checked by the caller).
    #[allow(clippy::too_many_arguments, reason = "one determination's parts, as the EMS API and the portal send them")]
    async fn determine(
        &self,
        ero: &EroId,
        reference: &ReferenceNumber,
        at: DateTime<Utc>,
        determination: Determination,
        reasons: &[ReasonCode],
        registered_from: Option<chrono::NaiveDate>,
        notes: Option<&Sealed>,
        jobs: &[NewJob],
    ) -> Result<DetermineOutcome>;
    /// The notes sent with an application's latest determination (sealed), if any.
    async fn determination_notes(&self, ero: &EroId, reference: &ReferenceNumber) -> Result<Option<Sealed>>;
    /// The ERO's unanswered register checks, oldest first, with their applications.
    async fn pending_register_checks(
        &self,
        ero: &EroId,
        limit: u32,
    ) -> Result<Vec<(RegisterCheckState, ApplicationRow)>>;
    /// One register check of this ERO's, with its application and sealed answer.
    async fn register_check(
        &self,
        ero: &EroId,
        id: &str,
    ) -> Result<Option<(RegisterCheckState, ApplicationRow, Option<Sealed>)>>;
    /// Store the answer with a `register-checked` event. `NotFound` if not this
    /// ERO's; `Conflict` if already answered.
    async fn answer_register_check(
        &self,
        ero: &EroId,
        id: &str,
        at: DateTime<Utc>,
        answer: &RegisterAnswerRow,
    ) -> Result<()>;
    /// Append audit records of API accesses, each chained to the one before
    /// ([`audit_chain`]), while the chain's head is locked.
    async fn record_api_access(&self, records: &[ApiAccess]) -> Result<()>;
    /// The newest audit records, newest first.
    async fn api_accesses(&self, limit: u32) -> Result<Vec<ApiAccess>>;

    /// Where the audit's hash chain starts and where it has got to ([`audit_chain`]).
    async fn audit_chain_head(&self) -> Result<audit_chain::ChainHead>;

    /// Audit rows with ids above `after_id`, in id order, at most `limit`, with their hashes.
    async fn audit_rows(&self, after_id: i64, limit: u32) -> Result<Vec<audit_chain::ChainedAccess>>;

    /// Keep (or replace) journey state that is too large for a cookie, sealed by
    /// the web tier, until `expires_at`.
    async fn put_journey_state(&self, id: &str, expires_at: DateTime<Utc>, state: &Sealed) -> Result<()>;
    /// Journey state kept under `id`, unless it has expired by `now`.
    async fn journey_state(&self, id: &str, now: DateTime<Utc>) -> Result<Option<Sealed>>;
    async fn delete_journey_state(&self, id: &str) -> Result<()>;
    /// Delete journey state that expired before `now`, and journey keys
    /// ([`Submission::journey`]) stored over a day before it (a journey lasts
    /// 3 hours at most); how many states.
    async fn purge_journey_states(&self, now: DateTime<Utc>) -> Result<u64>;

    /// An application by its reference alone, whichever ERO's it is: only for
    /// [`CitizenStore::status`], which shows it to someone who also knows the
    /// applicant's date of birth.
    async fn find_application(&self, reference: &ReferenceNumber) -> Result<Option<ApplicationRow>>;

    // The job queue ([`jobs`]).

    /// Claim up to `limit` jobs of `queue` that are due at `now` (waiting, or
    /// running under a lease that has run out), oldest due first, for
    /// `worker` until `lease_until`. Each claim counts an attempt. On Postgres
    /// rows locked by another claim are skipped (`FOR UPDATE SKIP LOCKED`).
    async fn claim_jobs(
        &self,
        queue: Queue,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Job>>;
    /// The application of a job that `worker` holds: the only application a worker can read.
    async fn job_application(&self, job: i64, worker: &str) -> Result<Option<ApplicationRow>>;
    /// Finish a job `worker` holds: mark it done (with `result`, e.g. Notify's
    /// id for the message) and record its effects, in one transaction.
    /// `false`, with nothing recorded, if the lease was lost to another worker.
    async fn complete_job(
        &self,
        job: i64,
        worker: &str,
        now: DateTime<Utc>,
        result: Option<&str>,
        effects: &JobEffects,
    ) -> Result<bool>;
    /// Put back a job `worker` holds to run again later, or fail it (kept for
    /// operators). `false` if the lease was lost.
    async fn release_job(&self, job: i64, worker: &str, now: DateTime<Utc>, release: &Release) -> Result<bool>;
    /// Jobs, newest first (no personal data: for operators).
    async fn jobs(&self, filter: &JobFilter) -> Result<Vec<JobRow>>;
    /// Put a failed or discarded job back in the queue, due now, its attempts
    /// counted afresh. `false` if there is no such job in those states.
    async fn retry_job(&self, job: i64, now: DateTime<Utc>) -> Result<bool>;
    /// Discard a job that is waiting or failed, so it never runs. `false` if
    /// there is no such job in those states.
    async fn discard_job(&self, job: i64, now: DateTime<Utc>) -> Result<bool>;
    /// Each queue's depth, failures and oldest due job.
    async fn job_stats(&self, now: DateTime<Utc>) -> Result<Vec<QueueStats>>;

    /// Take up to `want` tokens from the named bucket, shared by every
    /// instance on this database: it holds at most `burst` and refills at
    /// `per_second`. Returns how many were granted.
    async fn take_tokens(
        &self,
        bucket: &str,
        now: DateTime<Utc>,
        want: u32,
        per_second: f64,
        burst: f64,
    ) -> Result<u32>;
    /// Forget buckets untouched since `before` (they would be full again); how many.
    async fn purge_token_buckets(&self, before: DateTime<Utc>) -> Result<u64>;

    /// Add an ERO's electors to the person index, replacing any with the same
    /// number (their digests made again); how many.
    async fn put_electors(&self, ero: &EroId, at: DateTime<Utc>, electors: &[persons::NewElector]) -> Result<u64>;
    /// Remove an ERO's electors from the person index by number; how many were there.
    async fn remove_electors(&self, ero: &EroId, numbers: &[String]) -> Result<u64>;
    /// How many of an ERO's electors the person index holds.
    async fn elector_count(&self, ero: &EroId) -> Result<u64>;
    /// Every subject with any of these digests (for an application, with its stage).
    async fn find_persons(&self, digests: &[i64]) -> Result<Vec<persons::PersonFound>>;

    async fn counts(&self) -> Result<Counts>;

    /// Add to the performance counters (each row's count to its period,
    /// measure and category), in one transaction.
    async fn add_counts(&self, rows: &[performance::CountRow]) -> Result<()>;
    /// The performance counters of `measures` for periods `from..=to`, summed
    /// (one row per period, measure and category).
    async fn counts_between(
        &self,
        from: i64,
        to: i64,
        measures: &[performance::Measure],
    ) -> Result<Vec<performance::CountRow>>;
    /// The counters of `measures` for periods `from..=to`, summed over the
    /// periods (one row per measure and category, its period `from`).
    async fn count_totals(
        &self,
        from: i64,
        to: i64,
        measures: &[performance::Measure],
    ) -> Result<Vec<performance::CountRow>>;
    /// Set EROs' contact details (operators' `ier import contacts`); returns
    /// how many EROs were known. Loading the shipped reference data leaves them alone.
    async fn put_ero_contacts(&self, contacts: &[(EroId, ier_domain::EroContact)]) -> Result<u64>;
    /// A cheap round trip, for readiness checks.
    async fn ping(&self) -> Result<()>;
    /// Store feedback; `false` when feedback from the same form is already
    /// stored (nothing is changed: the first one stands).
    async fn insert_feedback(&self, row: &feedback::FeedbackRow) -> Result<bool>;
    /// Feedback received at or after `since`, oldest first (for operators).
    async fn feedback_since(&self, since: DateTime<Utc>) -> Result<Vec<feedback::FeedbackRow>>;

    // Retention ([`retention`]).

    /// Applications due for erasure under `cutoffs`, oldest first, at most
    /// `limit`: received by their EMS, finally determined before
    /// `decided_before` or received before `received_before`, not erased
    /// yet, with no job about them still to run.
    async fn erasable_applications(
        &self,
        cutoffs: &ier_domain::retention::Cutoffs,
        limit: u32,
    ) -> Result<Vec<(EroId, ReferenceNumber)>>;
    /// Erase those of `references` that are still due (checked again in the
    /// transaction), in one transaction: their details, the EMS's receipt
    /// message, the register check's candidates and their person-index
    /// entries go, `erased_at` is set and an `erased` event written. Returns
    /// the ones erased.
    async fn erase_applications(
        &self,
        references: &[ReferenceNumber],
        cutoffs: &ier_domain::retention::Cutoffs,
        now: DateTime<Utc>,
    ) -> Result<Vec<(EroId, ReferenceNumber)>>;
    /// How many feedback comments were received before `before`.
    async fn erasable_feedback_comments(&self, before: DateTime<Utc>) -> Result<u64>;
    /// Delete up to `limit` comments of feedback received before `before` (the
    /// rating, page and hour stay); how many.
    async fn erase_feedback_comments(&self, before: DateTime<Utc>, limit: u32) -> Result<u64>;

    // Data matching runs ([`matching`]). Every EMS-side call names the ERO and
    // finds nothing of another ERO's runs (`NotFound`); a call the run's state
    // does not allow is `Conflict` ([`matching::refuse`]).

    /// Start a run; `Conflict` when the ERO holds [`matching::MAX_RUNS_PER_ERO`] already.
    async fn create_matching_run(&self, run: &matching::NewRun) -> Result<()>;
    async fn matching_run(&self, ero: &EroId, id: &matching::RunId) -> Result<Option<matching::RunRow>>;
    /// The ERO's runs, newest first.
    async fn matching_runs(&self, ero: &EroId, limit: u32) -> Result<Vec<matching::RunRow>>;
    /// Add a page of electors while the run is uploading; the run's electors afterwards (a
    /// number an earlier page holds counts once; an earlier page all of whose numbers this
    /// one holds, a page sent again, is dropped).
    async fn put_run_page(&self, ero: &EroId, id: &matching::RunId, page: &matching::SealedPage) -> Result<u64>;
    /// Add local data records while the run is uploading or matched, a record whose id the run
    /// holds already skipped (a repeated upload); how many were added, and the run's local
    /// records afterwards.
    async fn put_local_records(
        &self,
        ero: &EroId,
        id: &matching::RunId,
        records: &[matching::SealedRecord],
    ) -> Result<(u64, u64)>;
    /// Queue a match of the run ([`matching::refuse`] says when); the run afterwards.
    async fn queue_match(
        &self,
        ero: &EroId,
        id: &matching::RunId,
        against: matching::Against,
        now: DateTime<Utc>,
    ) -> Result<matching::RunRow>;
    /// Delete a run with everything uploaded and its results; whether it was there.
    async fn delete_matching_run(&self, ero: &EroId, id: &matching::RunId) -> Result<bool>;
    /// The first `limit` chunks of results (in number order) whose last number is after `after`.
    async fn match_result_chunks(
        &self,
        ero: &EroId,
        id: &matching::RunId,
        after: &str,
        limit: u32,
    ) -> Result<Vec<Vec<u8>>>;
    /// The chunks of properties holding any of the properties `after + 1` to `last`, in order.
    async fn match_property_chunks(
        &self,
        ero: &EroId,
        id: &matching::RunId,
        after: u32,
        last: u32,
    ) -> Result<Vec<Vec<u8>>>;

    // The matching worker's side: only a run it holds the lease of.

    /// Claim the oldest queued run (or one whose lease ran out), leased to
    /// `worker` until `until`, counting an attempt.
    async fn claim_matching_run(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<matching::RunRow>>;
    /// The pages of electors of a run `worker` holds, in upload order (so a run's training
    /// sample is the same on every attempt).
    async fn run_pages(&self, id: &matching::RunId, worker: &str) -> Result<Vec<matching::SealedPage>>;
    /// The result chunks of a run `worker` holds, in number order.
    async fn run_result_chunks(&self, id: &matching::RunId, worker: &str) -> Result<Vec<Vec<u8>>>;
    /// The local records of a run `worker` holds.
    async fn run_local_records(&self, id: &matching::RunId, worker: &str) -> Result<Vec<matching::SealedRecord>>;
    /// Record progress and renew the lease; false if the lease was lost.
    async fn matching_progress(
        &self,
        id: &matching::RunId,
        worker: &str,
        done: u64,
        total: u64,
        until: DateTime<Utc>,
    ) -> Result<bool>;
    /// Replace the run's results with the running match's, whole; false if the lease was lost.
    async fn put_match_results(
        &self,
        id: &matching::RunId,
        worker: &str,
        results: &[matching::ResultChunk],
        properties: &[matching::PropertyChunk],
    ) -> Result<bool>;
    /// Finish the running match: matched, or with `error` queued again (failed after
    /// [`matching::MAX_ATTEMPTS`]); false if the lease was lost.
    async fn finish_match(
        &self,
        id: &matching::RunId,
        worker: &str,
        now: DateTime<Utc>,
        error: Option<&str>,
    ) -> Result<bool>;
    /// Delete up to `limit` runs due under the retention periods (last match
    /// finished before `cutoffs.matched_before`, or none finished and created before
    /// `cutoffs.unfinished_before`), not while queued or being matched; their
    /// EROs. With `dry_run`, only say which would be.
    async fn erase_matching_runs(
        &self,
        cutoffs: &ier_domain::retention::Cutoffs,
        limit: u32,
        dry_run: bool,
    ) -> Result<Vec<EroId>>;

    // The ERO portal's staff ([`staff`]): accounts, sign-in and sessions.

    /// Add an account with its recovery codes' digests; `Duplicate` if the username is taken.
    async fn put_staff(&self, row: &staff::StaffRow, recovery: &[String]) -> Result<()>;
    async fn staff_by_username(&self, username: &staff::Username) -> Result<Option<staff::StaffRow>>;
    async fn staff_member(&self, id: &staff::StaffId) -> Result<Option<staff::StaffRow>>;
    /// An ERO's accounts, oldest first.
    async fn staff_of(&self, ero: &EroId) -> Result<Vec<staff::StaffRow>>;
    /// Count a wrong password or code (one statement); at `max` in a row the account is
    /// locked until `lock_until`. The count afterwards.
    async fn staff_failed(
        &self,
        id: &staff::StaffId,
        now: DateTime<Utc>,
        max: u32,
        lock_until: DateTime<Utc>,
    ) -> Result<u32>;
    /// Finish signing in, in one transaction: use the TOTP step (it must be later than the
    /// last used) or the recovery code (it must be unused), clear the failures and store
    /// the session. False, with nothing changed, if the step or code cannot be used. With
    /// neither, the council's provider signed them in (OpenID Connect): only the session.
    async fn staff_signed_in(
        &self,
        id: &staff::StaffId,
        totp_step: Option<i64>,
        recovery: Option<&str>,
        session: &staff::SessionRow,
    ) -> Result<bool>;
    /// A session that has not expired (nor been idle since `idle_since`), with its
    /// account, marked as seen at `now`.
    async fn staff_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
        idle_since: DateTime<Utc>,
    ) -> Result<Option<(staff::SessionRow, staff::StaffRow)>>;
    async fn delete_staff_session(&self, token_hash: &str) -> Result<()>;
    /// Set an account's password hash as one its holder chose, and end its sessions but `keep` (the one changing it).
    async fn set_staff_password(&self, id: &staff::StaffId, hash: &str, keep: Option<&str>) -> Result<()>;

    // Evidence for the exceptions process ([`evidence`]).

    /// Store a request for evidence with the message that carries its link, in one transaction.
    async fn put_evidence_request(&self, row: &evidence::EvidenceRequestRow, message: &NewJob) -> Result<()>;
    /// A request by its id, whatever its ERO (the applicant's link names it).
    async fn evidence_request(&self, id: &evidence::RequestId) -> Result<Option<evidence::EvidenceRequestRow>>;
    /// An application's requests, newest first.
    async fn evidence_requests(
        &self,
        ero: &EroId,
        reference: &ReferenceNumber,
    ) -> Result<Vec<evidence::EvidenceRequestRow>>;
    /// Store a request's files and spend it, in one transaction: false (nothing stored) if it
    /// was spent or had run out by `now`.
    async fn put_evidence_files(
        &self,
        request: &evidence::RequestId,
        files: &[evidence::EvidenceFileRow],
        now: DateTime<Utc>,
    ) -> Result<bool>;
    /// Store an attestation, spend its request and queue `job` (the message to the attestor), in
    /// one transaction: false (nothing stored) if the request was spent or had run out by `now`.
    async fn put_attestation(&self, row: &evidence::AttestationRow, job: &NewJob, now: DateTime<Utc>) -> Result<bool>;
    /// An attestation by its id, whatever its ERO (the attestor's link names it).
    async fn attestation(&self, id: &evidence::AttestationId) -> Result<Option<evidence::AttestationRow>>;
    /// An application's attestations, newest first.
    async fn attestations(&self, ero: &EroId, reference: &ReferenceNumber) -> Result<Vec<evidence::AttestationRow>>;
    /// Record the attestor's confirmation: false if it was confirmed already or had run out.
    async fn confirm_attestation(
        &self,
        id: &evidence::AttestationId,
        now: DateTime<Utc>,
        on_register: bool,
    ) -> Result<bool>;
    /// Which of these evidence file ids have a row (for sweeping the file store).
    async fn evidence_files_known(&self, ids: &[String]) -> Result<Vec<String>>;
    /// An application's evidence files, oldest first.
    async fn evidence_files(&self, ero: &EroId, reference: &ReferenceNumber) -> Result<Vec<evidence::EvidenceFileRow>>;

    /// An ERO's determinations in the order they were recorded, after `cursor`.
    async fn determinations(&self, ero: &EroId, cursor: i64, limit: u32) -> Result<Vec<DeterminationRow>>;
    /// A page of an ERO's applications for its staff, oldest first, after `after`,
    /// filtered in the database.
    async fn queue(
        &self,
        ero: &EroId,
        filter: &QueueFilter,
        after: Option<&ReferenceNumber>,
        limit: u32,
    ) -> Result<Vec<ApplicationRow>>;
}

/// One determination of an application, in the order determinations were recorded
/// ([`EroStore::determinations`]): the EMS's own and those made in the ERO portal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeterminationRow {
    /// Where it is in the order (the event's id): the next page starts after it.
    pub cursor: i64,
    pub reference: ReferenceNumber,
    pub at: DateTime<Utc>,
    pub determination: Determination,
    pub reasons: Vec<ReasonCode>,
    /// An approval's first day, when the ERO gave one.
    pub registered_from: Option<chrono::NaiveDate>,
}

/// What the portal's queue shows ([`EroStore::queue`]): every part optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueFilter {
    pub stage: Option<Stage>,
    pub kind: Option<ier_domain::ApplicationKind>,
    /// The identity check's outcome; `Some(None)`: not checked yet.
    pub identity: Option<Option<VerificationOutcome>>,
    /// Only applications whose latest determination is this.
    pub determination: Option<Determination>,
    /// Submitted on or after (UTC).
    pub from: Option<DateTime<Utc>>,
    /// Submitted before (UTC).
    pub to: Option<DateTime<Utc>>,
}

/// An application's events with its EMS receipt among them. A receipt is
/// stored as the application's state (when, and whether it succeeded), not as
/// an event row: confirmations come 200 at a time on deadline day, and an event
/// row each would scatter writes across the events index. It is shown in the
/// timeline at its time, after the events of the same moment.
pub fn events_with_receipt(
    mut events: Vec<Event>,
    reference: ReferenceNumber,
    receipt: Option<(DateTime<Utc>, bool)>,
) -> Vec<Event> {
    if let Some((at, success)) = receipt {
        let position = events.iter().rposition(|e| e.at <= at).map_or(0, |p| p + 1);
        events.insert(position, Event { reference, at, kind: EventKind::ConfirmedByEms { success } });
    }
    events
}

/// The outcome of each receipt of a batch, in order, from what the batch's
/// set-wise update confirmed, which failures were recorded (backends apply a
/// batch's successes first, then its failures to what is still pending), and
/// which references the ERO has at all (a reference given twice is confirmed
/// once, then already confirmed).
pub fn receipt_outcomes(
    receipts: &[ReceiptRow],
    confirmed_now: &std::collections::HashSet<ReferenceNumber>,
    failed_now: &std::collections::HashSet<ReferenceNumber>,
    existing: &std::collections::HashSet<ReferenceNumber>,
) -> Vec<ConfirmOutcome> {
    let mut reported = std::collections::HashSet::new();
    receipts
        .iter()
        .map(|r| {
            if !r.success && failed_now.contains(&r.reference) {
                ConfirmOutcome::FailureRecorded
            } else if r.success && confirmed_now.contains(&r.reference) && reported.insert(r.reference) {
                ConfirmOutcome::Confirmed
            } else if confirmed_now.contains(&r.reference) || existing.contains(&r.reference) {
                ConfirmOutcome::AlreadyConfirmed
            } else {
                ConfirmOutcome::NotFound
            }
        })
        .collect()
}

/// Whether a determination may be recorded, the rule every backend applies
/// inside its transaction: only after the EMS has confirmed receipt (with
/// success); the same determination again changes nothing; a final one
/// (approved, rejected) cannot be changed; asking for evidence can be
/// followed by a decision.
pub fn determination_step(
    received: bool,
    current: Option<Determination>,
    new: Determination,
) -> Result<DetermineOutcome> {
    if !received {
        return Err(StorageError::Conflict(
            "the EMS has not confirmed receipt of this application, so it cannot be determined yet",
        ));
    }
    match current {
        Some(c) if c == new => Ok(DetermineOutcome::Unchanged),
        Some(c) if c.is_final() => Err(StorageError::Conflict("this application has already been determined")),
        _ => Ok(DetermineOutcome::Recorded),
    }
}

/// The service's storage: a backend plus the key ring.
#[derive(Clone)]
pub struct Store {
    backend: Arc<dyn Backend>,
    keys: Arc<DataKeys>,
    /// Group commit of submissions, when started ([`Store::with_group_commit`]).
    committer: Option<Arc<group::Committer>>,
    /// Woken when a data matching run is queued, so this process's matching worker starts
    /// it at once rather than at its next look.
    match_queued: Arc<tokio::sync::Notify>,
}

/// What a new application carries before it is stored (its kind follows from its details).
#[derive(Debug, Clone)]
pub struct NewApplication {
    pub language: Language,
    pub gss_code: GssCode,
    pub details: ApplicantDetails,
    /// The journey it comes from, when it comes from one: a journey stores one
    /// application, and sending it again (a replayed cookie, a second click)
    /// gives back the first one's receipt.
    pub journey: Option<JourneyKey>,
    /// What the journey knew beyond the answers (when it started, whether the
    /// applicant was told they had applied already), for the performance figures.
    pub facts: performance::JourneyFacts,
}

/// A journey's idempotency key: 128 random bits, sealed in the journey's
/// state from its start and unique in storage.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct JourneyKey(String);

impl JourneyKey {
    /// A fresh random key.
    pub fn generate() -> Self {
        use base64::Engine;
        let bytes: [u8; 16] = rand::random();
        Self(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }

    /// A key as [`JourneyKey::generate`] writes it (22 base64url characters).
    pub fn parse(s: &str) -> Option<Self> {
        (s.len() == 22 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
            .then(|| Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for JourneyKey {
    type Error = &'static str;
    fn try_from(s: String) -> std::result::Result<Self, Self::Error> {
        Self::parse(&s).ok_or("not a journey key")
    }
}

impl From<JourneyKey> for String {
    fn from(k: JourneyKey) -> String {
        k.0
    }
}

/// Not secret once the journey has ended, but never needed in a log.
impl std::fmt::Debug for JourneyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JourneyKey(..)")
    }
}

/// The receipt for a stored application: only given once the commit is durable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub reference: ReferenceNumber,
    pub ero_id: EroId,
    pub submitted_at: DateTime<Utc>,
}

impl Store {
    pub fn new(backend: Arc<dyn Backend>, keys: DataKeys) -> Self {
        Self { backend, keys: Arc::new(keys), committer: None, match_queued: Arc::new(tokio::sync::Notify::new()) }
    }

    /// Submissions from now on share transactions when they arrive together
    /// ([`group`]); starts the committer tasks on the current runtime.
    pub fn with_group_commit(mut self, config: GroupCommit) -> Self {
        let plain = Self { committer: None, ..self.clone() };
        self.committer = Some(Arc::new(group::Committer::start(plain, config)));
        self
    }

    pub fn backend(&self) -> &dyn Backend {
        &*self.backend
    }

    /// The public tier's capability: submit, and read reference data.
    pub fn citizen(&self) -> CitizenStore {
        CitizenStore { store: self.clone() }
    }

    /// One ERO's capability: its own applications only.
    pub fn for_ero(&self, ero: EroId) -> EroStore {
        EroStore { store: self.clone(), ero }
    }

    /// The ERO portal's way in: staff accounts, sign-in and sessions.
    pub fn staff(&self) -> staff::StaffStore {
        staff::StaffStore { store: self.clone() }
    }

    /// The applicant's side of a request for evidence: its link, and sending files.
    pub fn evidence_inbox(&self, files: Arc<dyn evidence::FileStore>) -> evidence::EvidenceInbox {
        evidence::EvidenceInbox { store: self.clone(), files }
    }

    fn seal(&self, reference: &ReferenceNumber, details: &ApplicantDetails) -> Sealed {
        let json = serde_json::to_vec(details).expect("applicant details serialise");
        self.keys.seal(&json, reference.as_str().as_bytes())
    }

    /// Seal something about an application under a purpose of its own (so a
    /// sealed blob cannot stand in for another kind of blob of the same row).
    /// An application's determination notes, opened.
    async fn determination_notes(
        &self,
        ero: &EroId,
        reference: &ReferenceNumber,
    ) -> Result<Option<ier_domain::DecisionNotes>> {
        match self.backend.determination_notes(ero, reference).await? {
            Some(sealed) => self.open_for(reference, DETERMINATION_NOTES, &sealed).map(Some),
            None => Ok(None),
        }
    }

    fn seal_for<T: serde::Serialize>(&self, reference: &ReferenceNumber, purpose: &str, value: &T) -> Sealed {
        let json = serde_json::to_vec(value).expect("serialises");
        self.keys.seal(&json, format!("{}/{purpose}", reference.as_str()).as_bytes())
    }

    fn open_for<T: serde::de::DeserializeOwned>(
        &self,
        reference: &ReferenceNumber,
        purpose: &str,
        sealed: &Sealed,
    ) -> Result<T> {
        let plain = self
            .keys
            .open(sealed, format!("{}/{purpose}", reference.as_str()).as_bytes())
            .map_err(|e| StorageError::Corrupt(format!("application {reference} {purpose}: {e}")))?;
        serde_json::from_slice(&plain)
            .map_err(|_| StorageError::Corrupt(format!("application {reference} {purpose}: does not parse")))
    }

    fn open(&self, row: ApplicationRow) -> Result<Application> {
        Ok(self.open_with_progress(row)?.0)
    }

    fn open_with_progress(&self, row: ApplicationRow) -> Result<(Application, Progress)> {
        if row.progress.erased_at.is_some() {
            return Err(StorageError::Erased);
        }
        let plain = self
            .keys
            .open(&row.details, row.reference.as_str().as_bytes())
            .map_err(|e| StorageError::Corrupt(format!("application {}: {e}", row.reference)))?;
        let details = serde_json::from_slice(&plain)
            .map_err(|_| StorageError::Corrupt(format!("application {}: details do not parse", row.reference)))?;
        let p = row.progress;
        let receipt_message = match &p.receipt_message {
            Some(sealed) => Some(self.open_for::<String>(&row.reference, RECEIPT_MESSAGE, sealed)?),
            None => None,
        };
        let progress = Progress {
            verification: p.verification,
            receipt: p.receipt,
            receipt_message,
            determination: p.determination,
            register_check: p.register_check,
            repeat: None,
        };
        let application = Application {
            reference: row.reference,
            kind: row.kind,
            language: row.language,
            gss_code: row.gss_code,
            ero_id: row.ero_id.ok_or_else(|| StorageError::Corrupt("row without ERO".into()))?,
            submitted_at: row.submitted_at,
            stage: row.stage,
            details,
        };
        Ok((application, progress))
    }

    /// Mark each application that repeats an earlier one or an elector
    /// already registered at its address ([`persons::Repeat`]), with one
    /// look-up in the person index for them all.
    async fn with_repeats(&self, apps: Vec<(Application, Progress)>) -> Result<Vec<(Application, Progress)>> {
        let queries: Vec<persons::PersonQuery> =
            apps.iter().map(|(a, _)| self.keys.application_query(&a.details)).collect();
        let mut all: Vec<i64> = queries.iter().flat_map(|q| q.values()).collect();
        if all.is_empty() {
            return Ok(apps);
        }
        all.sort_unstable();
        all.dedup();
        let found = self.backend.find_persons(&all).await?;
        Ok(apps
            .into_iter()
            .zip(queries)
            .map(|((app, mut progress), query)| {
                progress.repeat = persons::Repeat::of(&app, &query, &found);
                (app, progress)
            })
            .collect())
    }

    /// Record accesses to the EMS API (audit; no personal data).
    pub async fn record_api_access(&self, records: &[ApiAccess]) -> Result<()> {
        self.backend.record_api_access(records).await
    }

    /// Store a new application and return its receipt once it is durably
    /// committed (with group commit, in one transaction with others submitted
    /// at the same moment). A reference-number collision (1 in 3 × 10^14 per
    /// pair) is retried with a fresh number.
    pub async fn submit(&self, new: NewApplication, now: DateTime<Utc>) -> Result<Receipt> {
        match &self.committer {
            Some(committer) => committer.submit(new, now).await,
            None => self.submit_now(new, now).await,
        }
    }

    /// A new application's row and what it creates, under a fresh reference number.
    fn new_row(&self, new: &NewApplication, now: DateTime<Utc>) -> Submission {
        let reference = ReferenceNumber::generate(&mut rand::rng());
        Submission::new(
            ApplicationRow {
                reference,
                kind: new.details.kind(),
                language: new.language,
                gss_code: new.gss_code,
                ero_id: None,
                submitted_at: now,
                stage: Stage::Submitted,
                details: self.seal(&reference, &new.details),
                progress: ProgressRow::default(),
            },
            &new.details,
        )
        .from_journey(new.journey.clone())
        .with_person(self.keys.application_entry(&new.details))
        .with_tallies(performance::submission_tallies(
            &new.details,
            new.language,
            new.gss_code,
            new.facts,
            now,
        ))
    }

    /// Store one application in a transaction of its own.
    pub(crate) async fn submit_now(&self, new: NewApplication, now: DateTime<Utc>) -> Result<Receipt> {
        for _ in 0..5 {
            let new_row = self.new_row(&new, now);
            match self.backend.insert_application(&new_row).await {
                Ok(receipt) => return Ok(receipt),
                Err(StorageError::Duplicate) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(StorageError::Unavailable("could not allocate a unique reference number".into()))
    }

    /// Store many applications in one transaction (imports, benchmarks, restores):
    /// all are committed durably, or none. Receipts in order.
    pub async fn submit_many(&self, news: Vec<NewApplication>, now: DateTime<Utc>) -> Result<Vec<Receipt>> {
        let stamped: Vec<(NewApplication, DateTime<Utc>)> = news.into_iter().map(|n| (n, now)).collect();
        self.submit_stamped(&stamped).await
    }

    /// As [`Store::submit_many`], each application with its own submission time.
    pub(crate) async fn submit_stamped(&self, news: &[(NewApplication, DateTime<Utc>)]) -> Result<Vec<Receipt>> {
        for _ in 0..5 {
            let rows: Vec<Submission> = news.iter().map(|(new, now)| self.new_row(new, *now)).collect();
            match self.backend.insert_applications(&rows).await {
                Ok(receipts) => return Ok(receipts),
                // A reference number collided (or repeated within the batch): all again, fresh.
                Err(StorageError::Duplicate) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(StorageError::Unavailable("could not allocate unique reference numbers".into()))
    }

    pub async fn counts(&self) -> Result<Counts> {
        self.backend.counts().await
    }

    /// A worker's capability on one queue: claim its jobs and read only the
    /// applications of the jobs it holds. `worker` names this worker uniquely
    /// (host, process and a random part), so a lease is never mistaken for another's.
    pub fn worker(&self, queue: Queue, worker: impl Into<String>) -> WorkerStore {
        WorkerStore { store: self.clone(), queue, worker: worker.into() }
    }

    /// Jobs, newest first, for operators (no personal data).
    pub async fn jobs(&self, filter: &JobFilter) -> Result<Vec<JobRow>> {
        self.backend.jobs(filter).await
    }

    /// Put a failed or discarded job back in the queue.
    pub async fn retry_job(&self, id: i64, now: DateTime<Utc>) -> Result<bool> {
        self.backend.retry_job(id, now).await
    }

    /// Discard a waiting or failed job.
    pub async fn discard_job(&self, id: i64, now: DateTime<Utc>) -> Result<bool> {
        self.backend.discard_job(id, now).await
    }

    /// Each queue's depth, failures and oldest due job.
    /// Feedback received since `since`, oldest first, its comments opened
    /// (operators' `ier feedback export`; the public tier cannot read feedback).
    pub async fn feedback_since(&self, since: DateTime<Utc>) -> Result<Vec<feedback::Received>> {
        let rows = self.backend.feedback_since(since).await?;
        rows.into_iter()
            .map(|row| {
                let comment = match &row.comment {
                    None => String::new(),
                    Some(sealed) => {
                        let plain = self
                            .keys
                            .open(sealed, &feedback::comment_aad(&row.form_id))
                            .map_err(|e| StorageError::Corrupt(format!("feedback comment: {e}")))?;
                        String::from_utf8(plain)
                            .map_err(|_| StorageError::Corrupt("feedback comment: not UTF-8".into()))?
                    }
                };
                Ok(feedback::Received { received_at: row.received_at, rating: row.rating, page: row.page, comment })
            })
            .collect()
    }

    pub async fn job_stats(&self, now: DateTime<Utc>) -> Result<Vec<QueueStats>> {
        self.backend.job_stats(now).await
    }

    /// Take tokens from a bucket shared by every instance ([`Backend::take_tokens`]).
    pub async fn take_tokens(
        &self,
        bucket: &str,
        now: DateTime<Utc>,
        want: u32,
        per_second: f64,
        burst: f64,
    ) -> Result<u32> {
        self.backend.take_tokens(bucket, now, want, per_second, burst).await
    }
}

/// A worker's view of one queue: it claims jobs, reads the application of
/// a job it holds (and nothing else personal), and finishes them.
#[derive(Clone)]
pub struct WorkerStore {
    store: Store,
    queue: Queue,
    worker: String,
}

impl WorkerStore {
    pub fn queue(&self) -> Queue {
        self.queue
    }

    pub fn worker(&self) -> &str {
        &self.worker
    }

    /// Claim up to `limit` due jobs, each held until `now + lease`.
    pub async fn claim(&self, now: DateTime<Utc>, lease: std::time::Duration, limit: u32) -> Result<Vec<Job>> {
        let lease_until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(5));
        self.store.backend.claim_jobs(self.queue, &self.worker, now, lease_until, limit).await
    }

    /// The application of a job this worker holds; `None` if it no longer holds it.
    pub async fn application(&self, job: &Job) -> Result<Option<Application>> {
        match self.store.backend.job_application(job.id, &self.worker).await? {
            Some(row) => self.store.open(row).map(Some),
            None => Ok(None),
        }
    }

    /// Mark a job done with its effects; `false` if the lease was lost (nothing recorded).
    pub async fn complete(
        &self,
        job: &Job,
        now: DateTime<Utc>,
        result: Option<&str>,
        effects: &JobEffects,
    ) -> Result<bool> {
        self.store.backend.complete_job(job.id, &self.worker, now, result, effects).await
    }

    /// Retry a job later, or fail it; `false` if the lease was lost.
    pub async fn release(&self, job: &Job, now: DateTime<Utc>, release: &Release) -> Result<bool> {
        self.store.backend.release_job(job.id, &self.worker, now, release).await
    }

    /// Reference data: a council (for a message's wording).
    pub async fn council(&self, gss_code: &GssCode) -> Result<Option<Council>> {
        self.store.backend.council(gss_code).await
    }

    /// Reference data: an ERO and their contact details.
    pub async fn ero(&self, id: &EroId) -> Result<Option<Ero>> {
        self.store.backend.ero(id).await
    }

    /// Take tokens from a bucket shared by every instance (the sending rate).
    pub async fn take_tokens(
        &self,
        bucket: &str,
        now: DateTime<Utc>,
        want: u32,
        per_second: f64,
        burst: f64,
    ) -> Result<u32> {
        self.store.backend.take_tokens(bucket, now, want, per_second, burst).await
    }

    /// The queue's depth, failures and oldest due job.
    pub async fn stats(&self, now: DateTime<Utc>) -> Result<Option<QueueStats>> {
        Ok(self.store.backend.job_stats(now).await?.into_iter().find(|s| s.queue == self.queue))
    }
}

/// Where an application is, as its applicant may see it: no personal data
/// (nor anything DWP said beyond match or not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationStatus {
    pub reference: ReferenceNumber,
    pub kind: ApplicationKind,
    pub language: Language,
    pub gss_code: GssCode,
    pub ero_id: EroId,
    pub submitted_at: DateTime<Utc>,
    /// Whether DWP confirmed who they are, once checked.
    pub verification: Option<VerificationOutcome>,
    /// When the council's EMS took the application, if it has.
    pub with_council_since: Option<DateTime<Utc>>,
    /// The ERO's latest determination, with its reasons.
    pub determination: Option<(DeterminationState, Vec<ReasonCode>)>,
    /// For a registration, the day it takes effect, when the ERO gave one.
    pub registered_from: Option<chrono::NaiveDate>,
    /// A rejection's notes for the applicant, when the ERO wrote some.
    pub notes: Option<ier_domain::DecisionNotes>,
}

/// The public tier: can create applications and read reference data, and
/// cannot read any application back (invariant 3), only the status of one
/// whose reference and date of birth it is given.
#[derive(Clone)]
pub struct CitizenStore {
    store: Store,
}

impl CitizenStore {
    /// Every ERO with the contact details held for it (the open register of EROs).
    pub async fn eros(&self) -> Result<Vec<Ero>> {
        self.store.backend.eros().await
    }

    /// Add the public tier's own counts ([`performance::Tallies`]) to the figures.
    pub async fn add_counts(&self, rows: &[performance::CountRow]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        self.store.backend.add_counts(rows).await
    }

    /// Every measure counted by day (but councils) over the figures' 90 days,
    /// day by day: the open data's long form.
    pub async fn figures_by_day(&self, now: DateTime<Utc>) -> Result<Vec<performance::DayCount>> {
        let (from, to) = performance::window(now);
        let measures: Vec<performance::Measure> = performance::Measure::ALL
            .into_iter()
            .filter(|m| m.summed() || *m == performance::Measure::Requests)
            .collect();
        Ok(performance::by_day(&self.store.backend.counts_between(from, to, &measures).await?))
    }

    /// The performance figures at `now`, from the counters alone (no application is read).
    pub async fn figures(&self, now: DateTime<Utc>) -> Result<performance::Figures> {
        use performance::Measure;
        let (from, to) = performance::window(now);
        let b = &self.store.backend;
        // Few rows, whatever the volume: 48 hours, 90 days, and totals summed in the database.
        let mut rows = b.counts_between(to - performance::HOURS + 1, to, &[Measure::Applications]).await?;
        rows.extend(b.counts_between(from, to, &[Measure::DailyApplications]).await?);
        let totals: Vec<Measure> = Measure::ALL.into_iter().filter(|m| m.summed()).collect();
        rows.extend(b.count_totals(from, to, &totals).await?);
        rows.extend(b.count_totals(performance::availability_from(now), to, &[Measure::Requests]).await?);
        Ok(performance::Figures::from_rows(&rows, now))
    }

    pub async fn submit(&self, new: NewApplication, now: DateTime<Utc>) -> Result<Receipt> {
        self.store.submit(new, now).await
    }

    pub async fn council(&self, gss_code: &GssCode) -> Result<Option<Council>> {
        self.store.backend.council(gss_code).await
    }

    pub async fn ero(&self, id: &EroId) -> Result<Option<Ero>> {
        self.store.backend.ero(id).await
    }

    /// Keep an applicant's own journey state (sealed by the web tier) that is too large for a cookie.
    pub async fn put_journey_state(&self, id: &str, expires_at: DateTime<Utc>, state: &Sealed) -> Result<()> {
        self.store.backend.put_journey_state(id, expires_at, state).await
    }

    pub async fn journey_state(&self, id: &str, now: DateTime<Utc>) -> Result<Option<Sealed>> {
        self.store.backend.journey_state(id, now).await
    }

    pub async fn delete_journey_state(&self, id: &str) -> Result<()> {
        self.store.backend.delete_journey_state(id).await
    }

    pub async fn purge_journey_states(&self, now: DateTime<Utc>) -> Result<u64> {
        self.store.backend.purge_journey_states(now).await
    }

    /// Where an application is, for someone who knows both its reference and
    /// its applicant's date of birth; `None` when either is wrong (the same
    /// answer, so a wrong answer says nothing about which), or when the
    /// applicant gave no date of birth.
    pub async fn status(
        &self,
        reference: &ReferenceNumber,
        date_of_birth: DateOfBirth,
    ) -> Result<Option<ApplicationStatus>> {
        let Some(row) = self.store.backend.find_application(reference).await? else {
            return Ok(None);
        };
        // Erased: nothing left to check the date of birth against, so the same
        // answer as a wrong one (the page says when applications are deleted).
        let (application, progress) = match self.store.open_with_progress(row) {
            Err(StorageError::Erased) => return Ok(None),
            other => other?,
        };
        match application.details.birth {
            ier_domain::BirthDetails::Date(d) if d == date_of_birth => {}
            _ => return Ok(None),
        }
        let (determination, registered_from) = match progress.determination {
            Some(state) => {
                let events = self.store.backend.events(&application.ero_id, reference).await?;
                let (reasons, from) = events
                    .into_iter()
                    .rev()
                    .find_map(|e| match e.kind {
                        EventKind::Determined { reasons, registered_from, .. } => Some((reasons, registered_from)),
                        _ => None,
                    })
                    .unwrap_or_default();
                (Some((state, reasons)), from)
            }
            None => (None, None),
        };
        let notes = match &determination {
            Some((d, _)) if d.determination == Determination::Rejected => {
                self.store.determination_notes(&application.ero_id, reference).await?
            }
            _ => None,
        };
        Ok(Some(ApplicationStatus {
            reference: application.reference,
            kind: application.kind,
            language: application.language,
            gss_code: application.gss_code,
            ero_id: application.ero_id,
            submitted_at: application.submitted_at,
            verification: progress.verification.map(|v| v.outcome),
            with_council_since: progress.receipt.filter(|r| r.success).map(|r| r.at),
            determination,
            registered_from,
            notes,
        }))
    }

    /// Take tokens from a bucket shared by every instance (limits on guessing).
    pub async fn take_tokens(
        &self,
        bucket: &str,
        now: DateTime<Utc>,
        want: u32,
        per_second: f64,
        burst: f64,
    ) -> Result<u32> {
        self.store.backend.take_tokens(bucket, now, want, per_second, burst).await
    }

    /// Store feedback from the feedback form ([`feedback`]): the time to the
    /// hour, the comment sealed. `false` when this form's feedback was already
    /// stored (a second click, a resent form): it is not stored twice. The
    /// public tier can store feedback but never read it back.
    pub async fn send_feedback(
        &self,
        form: &feedback::FormId,
        feedback: &feedback::Feedback,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let comment = feedback.comment.trim();
        let row = feedback::FeedbackRow {
            form_id: form.clone(),
            received_at: feedback::hour_of(now),
            rating: feedback.rating,
            page: feedback.page.as_deref().and_then(feedback::page_path),
            comment: (!comment.is_empty())
                .then(|| self.store.keys.seal(comment.as_bytes(), &feedback::comment_aad(form))),
        };
        self.store.backend.insert_feedback(&row).await
    }

    /// Forget rate-limit buckets untouched since `before`.
    pub async fn purge_token_buckets(&self, before: DateTime<Utc>) -> Result<u64> {
        self.store.backend.purge_token_buckets(before).await
    }

    /// Who in the person index is this person ([`persons`]): earlier
    /// applications and registered electors, with what each match means. The
    /// caller decides what to say; it must never show anything the person did
    /// not type.
    pub async fn find_person(&self, person: &ier_match::person::Person<'_>) -> Result<Vec<persons::Found>> {
        self.look_up(self.store.keys.person_query(person)).await
    }

    /// [`CitizenStore::find_person`] for an application's details.
    pub async fn find_applicant(&self, details: &ApplicantDetails) -> Result<Vec<persons::Found>> {
        self.look_up(self.store.keys.application_query(details)).await
    }

    async fn look_up(&self, query: persons::PersonQuery) -> Result<Vec<persons::Found>> {
        if query.is_empty() {
            return Ok(vec![]);
        }
        let found = self.store.backend.find_persons(&query.values()).await?;
        Ok(found
            .into_iter()
            .filter_map(|f| query.scope_of(f.digest).map(|scope| persons::Found { scope, found: f }))
            .collect())
    }
}

/// One application of a listing ([`EroStore::applications`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listed {
    Open(Box<Application>),
    /// Its personal data was deleted under the retention rules.
    Erased {
        reference: ReferenceNumber,
        at: DateTime<Utc>,
    },
}

impl Listed {
    pub fn reference(&self) -> ReferenceNumber {
        match self {
            Listed::Open(a) => a.reference,
            Listed::Erased { reference, .. } => *reference,
        }
    }

    /// The application, unless it was erased.
    pub fn open(self) -> Option<Application> {
        match self {
            Listed::Open(a) => Some(*a),
            Listed::Erased { .. } => None,
        }
    }
}

/// One ERO's view: every read and write names the ERO, and the backend's SQL
/// filters on it (invariant 2).
#[derive(Clone)]
pub struct EroStore {
    store: Store,
    ero: EroId,
}

impl EroStore {
    pub fn ero_id(&self) -> &EroId {
        &self.ero
    }

    /// Add (or replace, by number) electors of this ERO's register in the
    /// person index, digested here: the details are not kept. How many.
    pub async fn put_electors(
        &self,
        at: DateTime<Utc>,
        electors: &[(String, ier_match::person::Person<'_>)],
    ) -> Result<u64> {
        let entries: Vec<persons::NewElector> = electors
            .iter()
            .map(|(number, p)| persons::NewElector { number: number.clone(), entry: self.store.keys.person_entry(p) })
            .collect();
        self.store.backend.put_electors(&self.ero, at, &entries).await
    }

    /// Remove electors of this ERO's register from the person index; how many were there.
    pub async fn remove_electors(&self, numbers: &[String]) -> Result<u64> {
        self.store.backend.remove_electors(&self.ero, numbers).await
    }

    /// How many of this ERO's electors the person index holds.
    pub async fn elector_count(&self) -> Result<u64> {
        self.store.backend.elector_count(&self.ero).await
    }

    pub async fn application(&self, reference: &ReferenceNumber) -> Result<Option<Application>> {
        match self.store.backend.application(&self.ero, reference).await? {
            Some(row) => self.store.open(row).map(Some),
            None => Ok(None),
        }
    }

    /// A page of the ERO's applications in submission order, after `after`:
    /// each opened, or [`Listed::Erased`] for one whose personal data was
    /// deleted (it keeps its place, so paging goes on past it).
    pub async fn applications(&self, after: Option<&ReferenceNumber>, limit: u32) -> Result<Vec<Listed>> {
        let rows = self.store.backend.applications(&self.ero, after, limit).await?;
        rows.into_iter()
            .map(|r| match r.progress.erased_at {
                Some(at) => Ok(Listed::Erased { reference: r.reference, at }),
                None => self.store.open(r).map(|a| Listed::Open(Box::new(a))),
            })
            .collect()
    }

    /// A page of the ERO's applications for its staff, oldest first, after
    /// `after`, as the filter says: each with its progress (and repeat mark),
    /// or [`Listed::Erased`].
    pub async fn queue(
        &self,
        filter: &QueueFilter,
        after: Option<&ReferenceNumber>,
        limit: u32,
    ) -> Result<Vec<(Listed, Option<Progress>)>> {
        let rows = self.store.backend.queue(&self.ero, filter, after, limit).await?;
        let mut erased = Vec::new();
        let mut open = Vec::new();
        for (i, r) in rows.into_iter().enumerate() {
            match r.progress.erased_at {
                Some(at) => erased.push((i, Listed::Erased { reference: r.reference, at })),
                None => open.push(self.store.open_with_progress(r)?),
            }
        }
        let mut out: Vec<(Listed, Option<Progress>)> = self
            .store
            .with_repeats(open)
            .await?
            .into_iter()
            .map(|(a, p)| (Listed::Open(Box::new(a)), Some(p)))
            .collect();
        for (i, e) in erased {
            out.insert(i.min(out.len()), (e, None));
        }
        Ok(out)
    }

    /// This ERO's determinations in the order they were recorded, after `cursor` (0: from the
    /// first): how an EMS learns of decisions made in the ERO portal.
    pub async fn determinations(&self, cursor: i64, limit: u32) -> Result<Vec<DeterminationRow>> {
        self.store.backend.determinations(&self.ero, cursor, limit).await
    }

    /// The messages sent (or to be sent) about one of this ERO's applications, newest first.
    pub async fn messages(&self, reference: &ReferenceNumber) -> Result<Vec<JobRow>> {
        if self.store.backend.application(&self.ero, reference).await?.is_none() {
            return Err(StorageError::NotFound);
        }
        let filter = JobFilter { queue: Some(Queue::Notify), reference: Some(*reference), ..Default::default() };
        self.store.backend.jobs(&JobFilter { limit: 100, ..filter }).await
    }

    pub async fn record(&self, reference: &ReferenceNumber, at: DateTime<Utc>, kind: &EventKind) -> Result<()> {
        self.store.backend.append_event(&self.ero, reference, at, kind).await
    }

    pub async fn events(&self, reference: &ReferenceNumber) -> Result<Vec<Event>> {
        self.store.backend.events(&self.ero, reference).await
    }

    pub async fn councils(&self) -> Result<Vec<Council>> {
        self.store.backend.councils_of(&self.ero).await
    }

    pub async fn ero(&self) -> Result<Option<Ero>> {
        self.store.backend.ero(&self.ero).await
    }

    /// One application with its progress.
    pub async fn application_with_progress(
        &self,
        reference: &ReferenceNumber,
    ) -> Result<Option<(Application, Progress)>> {
        match self.store.backend.application(&self.ero, reference).await? {
            Some(row) => {
                let opened = vec![self.store.open_with_progress(row)?];
                Ok(self.store.with_repeats(opened).await?.pop())
            }
            None => Ok(None),
        }
    }

    /// The applications the EMS has not confirmed, oldest first, with their
    /// progress. Reading does not consume: they stay until confirmed.
    pub async fn pending(&self, limit: u32) -> Result<Vec<(Application, Progress)>> {
        let rows = self.store.backend.pending_for_ems(&self.ero, limit).await?;
        let opened = rows.into_iter().map(|r| self.store.open_with_progress(r)).collect::<Result<Vec<_>>>()?;
        self.store.with_repeats(opened).await
    }

    /// Confirm receipts (success, or failure with the EMS's message: it stays
    /// pending until a success); one outcome each.
    pub async fn confirm_receipts(
        &self,
        at: DateTime<Utc>,
        receipts: &[(ReferenceNumber, bool, Option<String>)],
    ) -> Result<Vec<ConfirmOutcome>> {
        let rows: Vec<ReceiptRow> = receipts
            .iter()
            .map(|(reference, success, message)| ReceiptRow {
                reference: *reference,
                success: *success,
                message: message.as_ref().map(|m| self.store.seal_for(reference, RECEIPT_MESSAGE, m)),
            })
            .collect();
        self.store.backend.confirm_receipts(&self.ero, at, &rows).await
    }

    /// Record the ERO's determination; when it is new, the applicant is told
    /// (and reminded before a registration ends), by jobs queued with it.
    pub async fn determine(
        &self,
        reference: &ReferenceNumber,
        at: DateTime<Utc>,
        determination: Determination,
        reasons: &[ReasonCode],
    ) -> Result<DetermineOutcome> {
        self.determine_from(reference, at, determination, reasons, None, None).await
    }

    /// [`EroStore::determine`], with an approval's first day when the ERO gives one, and a
    /// rejection's notes for the applicant (sealed; replacing the last determination's).
    /// `Conflict` when [`ier_domain::check_registered_from`] refuses the day, or notes come
    /// with anything but a rejection (callers check first, to say which field is wrong).
    pub async fn determine_from(
        &self,
        reference: &ReferenceNumber,
        at: DateTime<Utc>,
        determination: Determination,
        reasons: &[ReasonCode],
        registered_from: Option<chrono::NaiveDate>,
        notes: Option<&ier_domain::DecisionNotes>,
    ) -> Result<DetermineOutcome> {
        if notes.is_some() && determination != Determination::Rejected {
            return Err(StorageError::Conflict(ier_domain::NotesError::NotRejected.message()));
        }
        let application = self.application(reference).await?.ok_or(StorageError::NotFound)?;
        if let Some(from) = registered_from {
            let submitted_on = application.submitted_at.with_timezone(&chrono_tz::Europe::London).date_naive();
            let today = at.with_timezone(&chrono_tz::Europe::London).date_naive();
            ier_domain::check_registered_from(determination, from, submitted_on, today)
                .map_err(|e| StorageError::Conflict(e.message()))?;
        }
        let jobs = jobs::determination_jobs(&application, determination, reasons, at);
        let sealed = notes.map(|n| self.store.seal_for(reference, DETERMINATION_NOTES, n));
        self.store
            .backend
            .determine(&self.ero, reference, at, determination, reasons, registered_from, sealed.as_ref(), &jobs)
            .await
    }

    /// The notes for the applicant with the latest determination, if it has any.
    pub async fn determination_notes(&self, reference: &ReferenceNumber) -> Result<Option<ier_domain::DecisionNotes>> {
        self.store.determination_notes(&self.ero, reference).await
    }

    /// Unanswered register checks, oldest first, each with its application.
    pub async fn pending_register_checks(&self, limit: u32) -> Result<Vec<(RegisterCheckState, Application)>> {
        let rows = self.store.backend.pending_register_checks(&self.ero, limit).await?;
        rows.into_iter().map(|(check, row)| Ok((check, self.store.open(row)?))).collect()
    }

    /// One register check, with its application and the candidates of its answer.
    pub async fn register_check(
        &self,
        id: &str,
    ) -> Result<Option<(RegisterCheckState, Application, Vec<RegisterCandidate>)>> {
        let Some((check, row, sealed)) = self.store.backend.register_check(&self.ero, id).await? else {
            return Ok(None);
        };
        let candidates = match &sealed {
            Some(s) => self.store.open_for(&row.reference, REGISTER_CANDIDATES, s)?,
            None => Vec::new(),
        };
        Ok(Some((check, self.store.open(row)?, candidates)))
    }

    /// Answer a register check: the answer is checked against its count
    /// ([`AnswerError`]), resolved against the applicant on `today`, and stored.
    pub async fn answer_register_check(
        &self,
        id: &str,
        at: DateTime<Utc>,
        today: chrono::NaiveDate,
        match_count: u32,
        candidates: Vec<RegisterCandidate>,
    ) -> Result<std::result::Result<RegisterCheckResult, AnswerError>> {
        if let Err(e) = ier_domain::register_check::validate_answer(match_count, &candidates) {
            return Ok(Err(e));
        }
        let Some((check, row, _)) = self.store.backend.register_check(&self.ero, id).await? else {
            return Err(StorageError::NotFound);
        };
        if check.answered_at.is_some() {
            return Err(StorageError::Conflict("this register check has already been answered"));
        }
        let reference = row.reference;
        let application = self.store.open(row)?;
        let result = ier_domain::register_check::resolve(
            &application.details,
            match_count,
            &candidates,
            today,
            check.historical,
        );
        let answer = RegisterAnswerRow {
            result,
            match_count,
            candidates: self.store.seal_for(&reference, REGISTER_CANDIDATES, &candidates),
        };
        self.store.backend.answer_register_check(&self.ero, id, at, &answer).await?;
        Ok(Ok(result))
    }
}

/// Sealing purposes (part of the associated data).
const RECEIPT_MESSAGE: &str = "receipt-message";
const DETERMINATION_NOTES: &str = "determination-notes";
const REGISTER_CANDIDATES: &str = "register-candidates";
