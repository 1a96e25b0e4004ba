//! The durable job queue: work that must happen after something else (check
//! an applicant's identity, tell them their application arrived, tell them
//! what the ERO decided), written in the same transaction as what causes it,
//! so nothing is ever done without its cause, or lost after it.
//!
//! Jobs are claimed with a lease ([`Backend::claim_jobs`]; on Postgres with
//! `FOR UPDATE SKIP LOCKED`), so many instances share the work and each job
//! runs once; a lease that runs out (a worker killed mid-job) returns the job
//! to the queue. A job that fails is tried again later (backoff and jitter are
//! the worker's, `ier-jobs`); after too many attempts it is failed and kept for
//! operators (`ier jobs list|retry|discard`). Handlers are idempotent: a job
//! done twice has no second effect. A job's payload and its errors hold no
//! personal data: what a handler needs it reads through a capability scoped to
//! the jobs it has claimed.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use ier_domain::rules::Rules;
use ier_domain::{
    ApplicantDetails, Application, ApplicationKind, BirthDetails, Determination, EventKind, ReasonCode,
    ReferenceNumber, Stage, VerificationOutcome, WayToVote,
};
use serde::{Deserialize, Serialize};

use crate::StorageError;

/// Which worker takes a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Queue {
    /// Check an applicant's identity against DWP.
    Verify,
    /// Send the applicant a message (GOV.UK Notify).
    Notify,
}

impl Queue {
    pub const ALL: [Queue; 2] = [Queue::Verify, Queue::Notify];

    pub fn as_str(&self) -> &'static str {
        match self {
            Queue::Verify => "verify",
            Queue::Notify => "notify",
        }
    }
}

impl FromStr for Queue {
    type Err = StorageError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|q| q.as_str() == s).ok_or(StorageError::Corrupt(format!("queue {s:?}")))
    }
}

impl fmt::Display for Queue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A message to the applicant, by what it says (each has a template per language).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Message {
    /// On submission: the reference, the council, what happens next.
    Acknowledgement,
    /// The postal or proxy vote application form they asked for.
    VoteForm,
    /// Identity could not be checked: what the ERO may ask for.
    IdentityNotChecked,
    /// The ERO registered them.
    Registered,
    /// The ERO did not register them (with the reasons).
    NotRegistered,
    /// The ERO needs evidence of who they are.
    EvidenceRequested,
    /// An overseas registration will end soon: renew it.
    RenewalReminder,
    /// To the person an applicant named: confirm who the applicant is (an attestation).
    AttestationRequested,
}

impl Message {
    pub const ALL: [Message; 8] = [
        Message::Acknowledgement,
        Message::VoteForm,
        Message::IdentityNotChecked,
        Message::Registered,
        Message::NotRegistered,
        Message::EvidenceRequested,
        Message::RenewalReminder,
        Message::AttestationRequested,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Message::Acknowledgement => "acknowledgement",
            Message::VoteForm => "vote-form",
            Message::IdentityNotChecked => "identity-not-checked",
            Message::Registered => "registered",
            Message::NotRegistered => "not-registered",
            Message::EvidenceRequested => "evidence-requested",
            Message::RenewalReminder => "renewal-reminder",
            Message::AttestationRequested => "attestation-requested",
        }
    }
}

impl FromStr for Message {
    type Err = StorageError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|m| m.as_str() == s).ok_or(StorageError::Corrupt(format!("message {s:?}")))
    }
}

/// What a job is for: its queue and what the worker needs to know, none of it personal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "job", rename_all = "kebab-case")]
pub enum JobKind {
    /// Check the identity of the application's applicant.
    Verify,
    /// Send a message about the application.
    Notify {
        message: Message,
        /// Why, for a message about a decision (codes, never free text).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        reasons: Vec<ReasonCode>,
    },
}

impl JobKind {
    pub fn queue(&self) -> Queue {
        match self {
            JobKind::Verify => Queue::Verify,
            JobKind::Notify { .. } => Queue::Notify,
        }
    }

    /// A short name for metrics and listings (`verify`, `notify:acknowledgement`).
    pub fn name(&self) -> String {
        match self {
            JobKind::Verify => "verify".into(),
            JobKind::Notify { message, .. } => format!("notify:{}", message.as_str()),
        }
    }
}

/// A job to add to the queue, about an application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    pub reference: ReferenceNumber,
    pub kind: JobKind,
    /// Not before this time (a reminder); `None`: as soon as possible.
    pub run_after: Option<DateTime<Utc>>,
    /// The same work is queued once, however often its cause is recorded.
    pub dedupe: String,
}

impl NewJob {
    pub fn new(reference: ReferenceNumber, kind: JobKind) -> Self {
        let dedupe = format!("{}:{}", kind.name(), reference.as_str());
        Self { reference, kind, run_after: None, dedupe }
    }

    pub fn at(mut self, run_after: DateTime<Utc>) -> Self {
        self.run_after = Some(run_after);
        self
    }
}

/// A job a worker has claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: i64,
    pub reference: ReferenceNumber,
    pub kind: JobKind,
    /// Including this one.
    pub attempts: u32,
    pub created_at: DateTime<Utc>,
}

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobState {
    Queued,
    Running,
    Done,
    /// Given up after too many attempts (or a permanent error): kept for operators.
    Failed,
    /// An operator decided it should not run.
    Discarded,
}

impl JobState {
    pub const ALL: [JobState; 5] =
        [JobState::Queued, JobState::Running, JobState::Done, JobState::Failed, JobState::Discarded];

    pub fn as_str(&self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
            JobState::Discarded => "discarded",
        }
    }
}

impl FromStr for JobState {
    type Err = StorageError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|q| q.as_str() == s).ok_or(StorageError::Corrupt(format!("job state {s:?}")))
    }
}

/// A job as operators see it: no personal data (the reference is an id, and
/// errors are written by the service, never quoted from input).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRow {
    pub id: i64,
    pub reference: ReferenceNumber,
    pub kind: JobKind,
    pub state: JobState,
    pub attempts: u32,
    pub run_after: DateTime<Utc>,
    pub last_error: Option<String>,
    /// What it produced (Notify's id for a message sent).
    pub result: Option<String>,
    /// The worker that holds it, or last held it (host, process, random part).
    pub worker: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// Which jobs to list.
#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    pub queue: Option<Queue>,
    pub state: Option<JobState>,
    /// One application's jobs only.
    pub reference: Option<ReferenceNumber>,
    pub limit: u32,
}

/// A queue's health, for metrics and operators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueStats {
    pub queue: Queue,
    /// Waiting or running.
    pub depth: u64,
    /// Failed and kept.
    pub failed: u64,
    /// The oldest waiting job's age, in seconds.
    pub oldest_secs: u64,
}

/// How a job a worker holds ends, other than done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Release {
    /// Try again after `run_after` (the worker's backoff); `error` says why, without personal data.
    Retry { run_after: DateTime<Utc>, error: String },
    /// Give up: too many attempts, or an error that would recur. Kept for operators.
    Fail { error: String },
}

/// Every queue's stats from per-queue rows of (queue, due, failed, oldest
/// due since), as every backend counts them; a queue with no rows has none.
pub fn queue_stats(
    rows: impl IntoIterator<Item = (String, i64, i64, Option<DateTime<Utc>>)>,
    now: DateTime<Utc>,
) -> Result<Vec<QueueStats>, StorageError> {
    let mut stats: Vec<QueueStats> =
        Queue::ALL.iter().map(|&queue| QueueStats { queue, depth: 0, failed: 0, oldest_secs: 0 }).collect();
    for (queue, due, failed, oldest) in rows {
        let queue = crate::decode::queue(&queue)?;
        let s = stats.iter_mut().find(|s| s.queue == queue).expect("every queue is listed");
        s.depth = due.max(0) as u64;
        s.failed = failed.max(0) as u64;
        s.oldest_secs = oldest.map_or(0, |o| (now - o).num_seconds().max(0) as u64);
    }
    Ok(stats)
}

/// What finishing a job records, in the same transaction as marking it done.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobEffects {
    /// An event on the job's application (it moves the stage on, as events do).
    pub event: Option<EventKind>,
    /// Further jobs (a message that follows from what the job found).
    pub jobs: Vec<NewJob>,
    /// What it adds to the performance figures (an identity check's outcome, a message sent), counted now.
    pub tallies: Vec<crate::performance::Tally>,
}

impl JobKind {
    /// As stored (JSON, no personal data).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("job kinds serialise")
    }
}

/// The stages an event may move an application on from: an event never moves
/// one back (an identity check finished after the EMS took the application
/// leaves it with the ERO).
pub fn stages_before(stage: Stage) -> &'static [Stage] {
    let at = Stage::ALL.iter().position(|s| *s == stage).unwrap_or(0);
    &Stage::ALL[..at]
}

/// A token bucket's refill and take, for every backend: from `tokens` last
/// counted `elapsed_secs` ago, refilled at `per_second` up to `burst`, take
/// up to `want` whole tokens. Returns (granted, tokens left).
pub fn take_from_bucket(tokens: f64, elapsed_secs: f64, want: u32, per_second: f64, burst: f64) -> (u32, f64) {
    let available = (tokens + elapsed_secs.max(0.0) * per_second).min(burst);
    let granted = (available.floor().max(0.0) as u64).min(want as u64) as u32;
    (granted, available - granted as f64)
}

/// The jobs a new application creates: the one place that decides them (with
/// [`crate::Submission::new`]). Its identity is checked; the applicant is
/// told it arrived; and sent a postal or proxy vote application form if they asked.
pub fn submission_jobs(reference: ReferenceNumber, details: &ApplicantDetails) -> Vec<NewJob> {
    let notify = |message| NewJob::new(reference, JobKind::Notify { message, reasons: Vec::new() });
    let mut jobs = vec![NewJob::new(reference, JobKind::Verify), notify(Message::Acknowledgement)];
    if details.part.way_to_vote() != WayToVote::InPerson {
        jobs.push(notify(Message::VoteForm));
    }
    jobs
}

/// The jobs an identity check's outcome creates: when it could not confirm
/// who the applicant is, they are told what the ERO may ask for.
pub fn verification_jobs(reference: ReferenceNumber, outcome: VerificationOutcome) -> Vec<NewJob> {
    match outcome {
        VerificationOutcome::Match => Vec::new(),
        VerificationOutcome::NoMatch => {
            vec![NewJob::new(reference, JobKind::Notify { message: Message::IdentityNotChecked, reasons: Vec::new() })]
        }
    }
}

/// How long before a registration ends its renewal reminder is sent.
pub const RENEWAL_REMINDER_LEAD_DAYS: u64 = 90;

/// The jobs an ERO's determination creates: the applicant is told (each
/// decision once: a determination recorded again changes nothing); and an
/// overseas elector or service voter who is registered is reminded
/// [`RENEWAL_REMINDER_LEAD_DAYS`] before their registration ends (the day
/// after the determination at the latest).
pub fn determination_jobs(
    application: &Application,
    determination: Determination,
    reasons: &[ReasonCode],
    at: DateTime<Utc>,
) -> Vec<NewJob> {
    let reference = application.reference;
    let message = match determination {
        Determination::Approved => Message::Registered,
        Determination::Rejected => Message::NotRegistered,
        Determination::EvidenceRequested => Message::EvidenceRequested,
    };
    let mut jobs = vec![NewJob::new(reference, JobKind::Notify { message, reasons: reasons.to_vec() })];
    if determination == Determination::Approved
        && let Some(ends) = registration_ends(application, at.date_naive())
    {
        let remind_on = ends
            .checked_sub_days(chrono::Days::new(RENEWAL_REMINDER_LEAD_DAYS))
            .unwrap_or(ends)
            .max(at.date_naive().succ_opt().unwrap_or(ends));
        let remind_at = remind_on.and_hms_opt(9, 0, 0).expect("9 am exists").and_utc();
        jobs.push(
            NewJob::new(reference, JobKind::Notify { message: Message::RenewalReminder, reasons: Vec::new() })
                .at(remind_at),
        );
    }
    jobs
}

/// When a registration made on `effective` ends, for the kinds of elector
/// whose registration lapses unless renewed (overseas electors; service
/// voters by declaration).
pub fn registration_ends(application: &Application, effective: NaiveDate) -> Option<NaiveDate> {
    let rules = Rules::current();
    match application.kind {
        ApplicationKind::Ordinary => None,
        ApplicationKind::Overseas => rules.overseas_registration_expires(effective),
        kind => {
            let dob = match &application.details.birth {
                BirthDetails::Date(d) => Some(*d),
                BirthDetails::NotGiven { .. } => None,
            };
            rules.service_declaration_expires(kind, effective, dob)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_refills_at_its_rate_up_to_its_burst() {
        assert_eq!(take_from_bucket(50.0, 0.0, 10, 50.0, 50.0), (10, 40.0));
        assert_eq!(take_from_bucket(0.0, 0.5, 100, 50.0, 50.0), (25, 0.0));
        assert_eq!(take_from_bucket(0.0, 3600.0, 100, 50.0, 50.0), (50, 0.0), "never more than the burst");
        assert_eq!(take_from_bucket(0.4, 0.0, 1, 1.0, 10.0), (0, 0.4), "only whole tokens");
        assert_eq!(take_from_bucket(5.0, -10.0, 1, 1.0, 10.0), (1, 4.0), "a clock step back refills nothing");
    }

    #[test]
    fn events_never_move_an_application_back() {
        assert!(stages_before(Stage::Submitted).is_empty());
        assert_eq!(stages_before(Stage::Verified), &[Stage::Submitted]);
        assert_eq!(stages_before(Stage::Determined), &[Stage::Submitted, Stage::Verified, Stage::WithEro]);
    }

    #[test]
    fn job_kinds_round_trip_without_personal_data() {
        let kind = JobKind::Notify {
            message: Message::NotRegistered,
            reasons: vec![ReasonCode::parse("identity-not-confirmed").unwrap()],
        };
        let json = serde_json::to_string(&kind).unwrap();
        assert_eq!(json, r#"{"job":"notify","message":"not-registered","reasons":["identity-not-confirmed"]}"#);
        assert_eq!(serde_json::from_str::<JobKind>(&json).unwrap(), kind);
        assert_eq!(serde_json::to_string(&JobKind::Verify).unwrap(), r#"{"job":"verify"}"#);
        assert_eq!(kind.name(), "notify:not-registered");
        for m in Message::ALL {
            assert_eq!(m.as_str().parse::<Message>().unwrap(), m);
        }
        for s in JobState::ALL {
            assert_eq!(s.as_str().parse::<JobState>().unwrap(), s);
        }
    }
}
