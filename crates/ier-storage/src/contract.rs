//! The storage contract: one suite of stories that every backend must pass.
//!
//! A backend's test file calls [`contract_tests!`](crate::contract_tests) with
//! an async expression that makes a fresh, migrated, empty backend; the macro
//! expands to one `#[tokio::test]` per story, so each story runs on fresh state
//! and is reported by name for each backend.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use ier_domain::*;

use crate::{
    Backend, DataKeys, GroupCommit, JobEffects, JobFilter, JobKind, JobState, Message, NewApplication, Queue, Release,
    Sealed, StorageError, Store,
};

/// Whatever must live as long as a story's backend.
pub type Guard = Box<dyn std::any::Any + Send>;

/// Expand to one test per contract story. `$make` is an expression yielding
/// `Option<(Arc<dyn Backend>, Guard)>`: the guard (a temporary directory, a
/// schema to drop) lives until the story ends. `None` skips, for example
/// Postgres when no server is configured.
#[macro_export]
macro_rules! contract_tests {
    ($make:expr) => {
        $crate::contract_tests!(@each $make;
            submitted_application_is_stored_routed_and_queued,
            personal_data_is_encrypted_at_rest,
            eros_see_only_their_own_applications,
            one_ero_serves_several_councils,
            events_move_the_stage_on,
            events_of_another_ero_are_refused,
            unknown_council_is_refused,
            duplicate_reference_is_refused,
            applications_list_oldest_first_in_pages,
            jobs_are_claimed_in_order_leased_and_finished_once,
            an_expired_lease_returns_the_job_to_the_queue,
            failed_jobs_are_kept_for_operators_to_retry_or_discard,
            jobs_are_queued_with_their_cause_and_only_once,
            determinations_queue_their_messages_and_reminders,
            token_buckets_are_shared_and_refill_at_their_rate,
            status_is_shown_only_with_the_right_date_of_birth,
            reference_data_round_trips,
            counts_carry_no_personal_data,
            concurrent_submissions_are_all_stored,
            one_journey_stores_one_application,
            the_person_index_finds_applicants_and_electors_by_digest_only,
            ems_queue_is_not_consumed_by_reading_and_confirming_removes_items,
            determinations_follow_receipt_and_final_ones_stand,
            a_rejections_notes_are_sealed_kept_with_it_and_erased_with_the_application,
            a_failed_receipt_keeps_the_application_pending_until_a_success,
            register_checks_are_made_with_each_application_and_answered_once,
            api_accesses_are_recorded_without_personal_data,
            the_audit_is_one_hash_chain_however_many_write_at_once,
            many_applications_are_stored_in_one_transaction_or_none,
            group_commit_stores_every_submission_and_a_bad_one_fails_alone,
            every_kind_of_application_is_stored_with_its_part,
            journey_state_is_kept_until_it_expires_and_then_purged,
            performance_counts_are_kept_with_what_they_count,
            contact_details_outlive_reloading_the_reference_data,
            feedback_is_stored_once_sealed_and_to_the_hour,
            retention_erases_personal_data_when_due_and_keeps_the_rest,
            retention_runs_at_once_erase_each_application_once,
            feedback_comments_are_deleted_after_their_time,
            a_matching_run_goes_through_its_states_and_stays_with_its_ero,
            an_expired_matching_lease_returns_the_run_and_three_failures_fail_it,
            matching_runs_are_deleted_whole_when_due,
            a_matching_runs_pages_and_results_hold_across_their_chunks,
            staff_sign_in_takes_a_second_factor_locks_after_guesses_and_sessions_end,
            evidence_is_asked_for_sent_once_and_seen_only_by_its_ero,
            the_staff_queue_filters_in_the_database,
            an_attestor_is_named_once_confirms_once_and_is_looked_up_on_the_register
        );
    };
    (@each $make:expr; $($name:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let Some((backend, _guard)) = $make else {
                    eprintln!("skipped: backend not configured");
                    return;
                };
                $crate::contract::$name(backend).await;
            }
        )*
    };
}

fn t(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap() + Duration::seconds(secs)
}

fn ero(id: &str) -> Ero {
    Ero {
        id: EroId::parse(id).unwrap(),
        name: format!("{id} ERO"),
        name_cy: None,
        contact: EroContact { email: Some(format!("elections@{id}.example")), ..Default::default() },
    }
}

fn council(gss: &str, ero: &str, nation: Nation) -> Council {
    Council {
        gss_code: GssCode::parse(gss).unwrap(),
        name: format!("Council {gss}"),
        name_cy: (nation == Nation::Wales).then(|| format!("Cyngor {gss}")),
        nation,
        ero_id: EroId::parse(ero).unwrap(),
    }
}

/// Three EROs: Westminster (one council), Cardiff (one), Lothian VJB (four).
pub async fn seeded_store(backend: Arc<dyn Backend>) -> Store {
    seeded(backend).await
}

/// A new application to the council `gss`, for a backend's own tests.
pub fn new_application(gss: &str, surname: &str) -> NewApplication {
    new_app(gss, surname)
}

async fn seeded(backend: Arc<dyn Backend>) -> Store {
    backend.put_eros(&[ero("westminster"), ero("cardiff"), ero("lothian-vjb")]).await.unwrap();
    backend
        .put_councils(&[
            council("E09000033", "westminster", Nation::England),
            council("W06000015", "cardiff", Nation::Wales),
            council("S12000036", "lothian-vjb", Nation::Scotland),
            council("S12000010", "lothian-vjb", Nation::Scotland),
            council("S12000019", "lothian-vjb", Nation::Scotland),
            council("S12000040", "lothian-vjb", Nation::Scotland),
        ])
        .await
        .unwrap();
    let keys = DataKeys::parse(&DataKeys::generate("test-key")).unwrap();
    Store::new(backend, keys)
}

/// A plausible applicant whose surname makes them easy to spot in raw bytes.
pub fn applicant(surname: &str, postcode: &str) -> ApplicantDetails {
    ApplicantDetails {
        name: PersonName::parse("Siân", "Angharad", surname).unwrap(),
        previous_name: None,
        birth: BirthDetails::Date(DateOfBirth::parse("14", "3", "1990", t(0).date_naive()).unwrap()),
        nationality: Nationality::stated(true, false, vec![]).unwrap(),
        nino: OrReason::Given(Nino::parse("AB123456C").unwrap()),
        address: Address {
            uprn: Some(Uprn::new(10_000_000_001).unwrap()),
            lines: vec!["1 High Street".into()],
            town: "Town".into(),
            postcode: Postcode::parse(postcode).unwrap(),
        },
        previous_address: None,
        open_register: false,
        contact: Contact { email: Some("sian@example.com".into()), phone: None, post: false },
        part: ier_domain::KindDetails::Ordinary(ier_domain::OrdinaryDetails {
            other_address: ier_domain::OtherAddress::None,
            was_overseas_voter: false,
            postal_vote: ier_domain::PostalVote::InPerson,
        }),
    }
}

fn new_app(gss: &str, surname: &str) -> NewApplication {
    NewApplication {
        language: Language::Cy,
        gss_code: GssCode::parse(gss).unwrap(),
        details: applicant(surname, "CF10 1EP"),
        journey: None,
        facts: Default::default(),
    }
}

fn id(s: &str) -> EroId {
    EroId::parse(s).unwrap()
}

pub async fn submitted_application_is_stored_routed_and_queued(backend: Arc<dyn Backend>) {
    let store = seeded(backend).await;
    let receipt = store.citizen().submit(new_app("W06000015", "Evans"), t(0)).await.unwrap();
    assert_eq!(receipt.ero_id, id("cardiff"), "routed by the council's ERO");
    let app = store.for_ero(id("cardiff")).application(&receipt.reference).await.unwrap().expect("stored");
    assert_eq!(app.details, applicant("Evans", "CF10 1EP"));
    assert_eq!(app.language, Language::Cy);
    assert_eq!(app.stage, Stage::Submitted);
    assert_eq!(app.submitted_at, t(0));
    let events = store.for_ero(id("cardiff")).events(&receipt.reference).await.unwrap();
    assert_eq!(
        events.iter().map(|e| e.kind.clone()).collect::<Vec<_>>(),
        vec![EventKind::Submitted, EventKind::VerificationRequested]
    );
    assert_eq!(job_names(&store).await, vec!["verify", "notify:acknowledgement"], "its work is queued with it");
}

/// The names of every job, oldest first.
async fn job_names(store: &Store) -> Vec<String> {
    let mut jobs = store.jobs(&JobFilter { limit: 1000, ..Default::default() }).await.unwrap();
    jobs.reverse();
    jobs.into_iter().map(|j| j.kind.name()).collect()
}

/// Do the identity check of `reference` as the verification worker would.
async fn verified(
    store: &Store,
    reference: ReferenceNumber,
    at: DateTime<Utc>,
    outcome: VerificationOutcome,
    explanation: Vec<String>,
) {
    let worker = store.worker(Queue::Verify, "contract-verifier");
    let jobs = worker.claim(at, std::time::Duration::from_secs(60), 1000).await.unwrap();
    for job in jobs {
        if job.reference == reference {
            let effects = JobEffects {
                event: Some(EventKind::Verified { outcome, explanation: explanation.clone() }),
                jobs: crate::jobs::verification_jobs(reference, outcome),
                ..Default::default()
            };
            assert!(worker.complete(&job, at, None, &effects).await.unwrap());
        } else {
            let again = Release::Retry { run_after: at, error: "not this one".into() };
            assert!(worker.release(&job, at, &again).await.unwrap());
        }
    }
}

pub async fn personal_data_is_encrypted_at_rest(backend: Arc<dyn Backend>) {
    let store = seeded(backend.clone()).await;
    let receipt = store.citizen().submit(new_app("W06000015", "Zzyzxwvut"), t(0)).await.unwrap();
    let row = backend.application(&id("cardiff"), &receipt.reference).await.unwrap().unwrap();
    assert_eq!(row.details.key_id, "test-key");
    let raw = &row.details.blob;
    for needle in [&b"Zzyzxwvut"[..], b"AB123456", b"sian@example.com", b"1990"] {
        assert!(!raw.windows(needle.len()).any(|w| w == needle), "plaintext in the stored blob");
    }
    // Another key ring cannot open it, and says so without leaking anything.
    let other = Store::new(backend, DataKeys::parse(&DataKeys::generate("test-key")).unwrap());
    let err = other.for_ero(id("cardiff")).application(&receipt.reference).await.unwrap_err();
    assert!(matches!(err, StorageError::Corrupt(_)), "{err}");
    assert!(!err.to_string().contains("Zzyzxwvut"));
}

pub async fn eros_see_only_their_own_applications(backend: Arc<dyn Backend>) {
    let store = seeded(backend).await;
    let w = store.citizen().submit(new_app("E09000033", "Westminsterperson"), t(0)).await.unwrap();
    let c = store.citizen().submit(new_app("W06000015", "Cardiffperson"), t(1)).await.unwrap();
    let westminster = store.for_ero(id("westminster"));
    assert!(westminster.application(&c.reference).await.unwrap().is_none());
    assert!(westminster.events(&c.reference).await.unwrap().is_empty());
    let listed = westminster.applications(None, 100).await.unwrap();
    assert_eq!(listed.iter().map(|a| a.reference()).collect::<Vec<_>>(), vec![w.reference]);
    let cardiff = store.for_ero(id("cardiff"));
    assert_eq!(cardiff.applications(None, 100).await.unwrap().len(), 1);
    assert!(store.for_ero(id("lothian-vjb")).applications(None, 100).await.unwrap().is_empty());
}

pub async fn one_ero_serves_several_councils(backend: Arc<dyn Backend>) {
    let store = seeded(backend).await;
    let lothian = store.for_ero(id("lothian-vjb"));
    let councils = lothian.councils().await.unwrap();
    assert_eq!(councils.len(), 4);
    let a = store.citizen().submit(new_app("S12000036", "Edinburgh"), t(0)).await.unwrap();
    let b = store.citizen().submit(new_app("S12000019", "Midlothian"), t(1)).await.unwrap();
    assert_eq!(a.ero_id, id("lothian-vjb"));
    assert_eq!(b.ero_id, id("lothian-vjb"));
    let listed: Vec<_> = lothian.applications(None, 10).await.unwrap().into_iter().filter_map(|a| a.open()).collect();
    assert_eq!(listed.iter().map(|a| a.gss_code.as_str()).collect::<Vec<_>>(), vec!["S12000036", "S12000019"]);
}

pub async fn events_move_the_stage_on(backend: Arc<dyn Backend>) {
    let store = seeded(backend).await;
    let r = store.citizen().submit(new_app("E09000033", "Stage"), t(0)).await.unwrap();
    let w = store.for_ero(id("westminster"));
    w.record(&r.reference, t(5), &EventKind::FetchedByEms).await.unwrap();
    assert_eq!(w.application(&r.reference).await.unwrap().unwrap().stage, Stage::Submitted, "reading does not consume");
    w.record(&r.reference, t(6), &EventKind::ConfirmedByEms { success: true }).await.unwrap();
    assert_eq!(w.application(&r.reference).await.unwrap().unwrap().stage, Stage::WithEro);
    w.record(
        &r.reference,
        t(7),
        &EventKind::Determined { determination: Determination::Approved, reasons: vec![], registered_from: None },
    )
    .await
    .unwrap();
    assert_eq!(w.application(&r.reference).await.unwrap().unwrap().stage, Stage::Determined);
    let events = w.events(&r.reference).await.unwrap();
    assert_eq!(events.len(), 5);
    assert!(events.windows(2).all(|p| p[0].at <= p[1].at));
    assert_eq!(
        events.last().unwrap().kind,
        EventKind::Determined { determination: Determination::Approved, reasons: vec![], registered_from: None }
    );
}

pub async fn events_of_another_ero_are_refused(backend: Arc<dyn Backend>) {
    let store = seeded(backend).await;
    let r = store.citizen().submit(new_app("E09000033", "Theirs"), t(0)).await.unwrap();
    let err = store
        .for_ero(id("cardiff"))
        .record(
            &r.reference,
            t(1),
            &EventKind::Determined { determination: Determination::Rejected, reasons: vec![], registered_from: None },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::NotFound), "{err}");
    let app = store.for_ero(id("westminster")).application(&r.reference).await.unwrap().unwrap();
    assert_eq!(app.stage, Stage::Submitted, "unchanged");
}

pub async fn unknown_council_is_refused(backend: Arc<dyn Backend>) {
    let store = seeded(backend).await;
    let err = store.citizen().submit(new_app("E06000001", "Nowhere"), t(0)).await.unwrap_err();
    assert!(matches!(err, StorageError::UnknownCouncil(g) if g.as_str() == "E06000001"));
    assert_eq!(store.counts().await.unwrap().pending_verifications, 0, "nothing half-written");
}

pub async fn duplicate_reference_is_refused(backend: Arc<dyn Backend>) {
    let store = seeded(backend.clone()).await;
    let r = store.citizen().submit(new_app("E09000033", "First"), t(0)).await.unwrap();
    let row = backend.application(&id("westminster"), &r.reference).await.unwrap().unwrap();
    let again = crate::ApplicationRow { ero_id: None, ..row };
    let submission = crate::Submission::new(again, &applicant("First", "CF10 1EP"));
    assert!(matches!(backend.insert_application(&submission).await, Err(StorageError::Duplicate)));
    assert_eq!(job_names(&store).await.len(), 2, "no extra jobs");
    assert_eq!(backend.events(&id("westminster"), &r.reference).await.unwrap().len(), 2, "no extra events");
}

pub async fn applications_list_oldest_first_in_pages(backend: Arc<dyn Backend>) {
    let store = seeded(backend).await;
    let mut refs = Vec::new();
    for i in 0..7 {
        refs.push(store.citizen().submit(new_app("E09000033", "Pager"), t(i)).await.unwrap().reference);
    }
    let w = store.for_ero(id("westminster"));
    let first = w.applications(None, 3).await.unwrap();
    assert_eq!(first.iter().map(|a| a.reference()).collect::<Vec<_>>(), refs[..3]);
    let second = w.applications(Some(&refs[2]), 3).await.unwrap();
    assert_eq!(second.iter().map(|a| a.reference()).collect::<Vec<_>>(), refs[3..6]);
    let last = w.applications(Some(&refs[5]), 3).await.unwrap();
    assert_eq!(last.iter().map(|a| a.reference()).collect::<Vec<_>>(), refs[6..]);
}

pub async fn jobs_are_claimed_in_order_leased_and_finished_once(backend: Arc<dyn Backend>) {
    let store = seeded(backend.clone()).await;
    let a = store.citizen().submit(new_app("E09000033", "A"), t(0)).await.unwrap().reference;
    let b = store.citizen().submit(new_app("W06000015", "B"), t(1)).await.unwrap().reference;
    let lease = std::time::Duration::from_secs(60);
    let one = store.worker(Queue::Verify, "one");
    let two = store.worker(Queue::Verify, "two");
    let claimed = one.claim(t(2), lease, 10).await.unwrap();
    assert_eq!(claimed.iter().map(|j| j.reference).collect::<Vec<_>>(), vec![a, b], "oldest first");
    assert!(claimed.iter().all(|j| j.kind == JobKind::Verify && j.attempts == 1));
    assert!(two.claim(t(3), lease, 10).await.unwrap().is_empty(), "a job held by one worker is not another's");
    // A worker reads the application of a job it holds, and no other.
    let app = one.application(&claimed[0]).await.unwrap().expect("its own job's application");
    assert_eq!(app.details.name.surname.as_str(), "A");
    assert!(two.application(&claimed[0]).await.unwrap().is_none(), "not a job it holds");
    let effects = JobEffects {
        event: Some(EventKind::Verified { outcome: VerificationOutcome::NoMatch, explanation: vec![] }),
        jobs: crate::jobs::verification_jobs(a, VerificationOutcome::NoMatch),
        ..Default::default()
    };
    assert!(!two.complete(&claimed[0], t(4), None, &effects).await.unwrap(), "another worker cannot finish it");
    assert!(one.complete(&claimed[0], t(4), Some("dwp-1"), &effects).await.unwrap());
    assert!(!one.complete(&claimed[0], t(5), None, &effects).await.unwrap(), "finished once");
    assert!(one.application(&claimed[0]).await.unwrap().is_none(), "a finished job's application is closed to it");
    let w = store.for_ero(id("westminster"));
    let (app, progress) = w.application_with_progress(&a).await.unwrap().unwrap();
    assert_eq!(app.stage, Stage::Verified);
    assert_eq!(progress.verification.map(|v| v.outcome), Some(VerificationOutcome::NoMatch));
    assert_eq!(w.events(&a).await.unwrap().len(), 3, "one event for one job");
    assert_eq!(store.counts().await.unwrap().pending_verifications, 1);
    let names = job_names(&store).await;
    assert_eq!(names.last().map(String::as_str), Some("notify:identity-not-checked"), "its effect queued: {names:?}");
    let done = store.jobs(&JobFilter { state: Some(JobState::Done), limit: 10, ..Default::default() }).await.unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!((done[0].reference, done[0].result.as_deref(), done[0].finished_at), (a, Some("dwp-1"), Some(t(4))));
    // An identity check finished after the EMS took the application leaves it with the ERO.
    let c = store.for_ero(id("cardiff"));
    c.confirm_receipts(t(6), &[(b, true, None)]).await.unwrap();
    let effects = JobEffects {
        event: Some(EventKind::Verified { outcome: VerificationOutcome::Match, explanation: vec![] }),
        jobs: vec![],
        ..Default::default()
    };
    assert!(one.complete(&claimed[1], t(7), None, &effects).await.unwrap());
    assert_eq!(c.application(&b).await.unwrap().unwrap().stage, Stage::WithEro, "never moved back");
    assert_eq!(store.counts().await.unwrap().pending_verifications, 0);
}

pub async fn an_expired_lease_returns_the_job_to_the_queue(backend: Arc<dyn Backend>) {
    let store = seeded(backend).await;
    let r = store.citizen().submit(new_app("E09000033", "Lease"), t(0)).await.unwrap().reference;
    let lease = std::time::Duration::from_secs(60);
    let killed = store.worker(Queue::Verify, "killed");
    let next = store.worker(Queue::Verify, "next");
    let first = killed.claim(t(1), lease, 10).await.unwrap();
    assert_eq!(first.len(), 1);
    assert!(next.claim(t(60), lease, 10).await.unwrap().is_empty(), "still leased");
    let again = next.claim(t(62), lease, 10).await.unwrap();
    assert_eq!(again.iter().map(|j| (j.id, j.reference, j.attempts)).collect::<Vec<_>>(), vec![(first[0].id, r, 2)]);
    let effects = JobEffects {
        event: Some(EventKind::Verified { outcome: VerificationOutcome::Match, explanation: vec![] }),
        jobs: vec![],
        ..Default::default()
    };
    assert!(!killed.complete(&first[0], t(63), None, &effects).await.unwrap(), "the first worker's lease is lost");
    assert!(!killed.release(&first[0], t(63), &Release::Fail { error: "late".into() }).await.unwrap());
    assert!(next.complete(&again[0], t(64), None, &effects).await.unwrap());
    let events = store.for_ero(id("westminster")).events(&r).await.unwrap();
    assert_eq!(events.iter().filter(|e| e.kind.name() == "verified").count(), 1, "done once");
}

pub async fn failed_jobs_are_kept_for_operators_to_retry_or_discard(backend: Arc<dyn Backend>) {
    let store = seeded(backend).await;
    let r = store.citizen().submit(new_app("E09000033", "Failing"), t(0)).await.unwrap().reference;
    let lease = std::time::Duration::from_secs(60);
    let notify = store.worker(Queue::Notify, "notifier");
    let job = notify.claim(t(1), lease, 10).await.unwrap().remove(0);
    assert_eq!(job.kind, JobKind::Notify { message: Message::Acknowledgement, reasons: vec![] });
    let later = Release::Retry { run_after: t(100), error: "GOV.UK Notify is unavailable".into() };
    assert!(notify.release(&job, t(2), &later).await.unwrap());
    assert!(notify.claim(t(99), lease, 10).await.unwrap().is_empty(), "not before its time");
    let stats = store.job_stats(t(50)).await.unwrap();
    let of = |q: Queue, stats: &[crate::QueueStats]| stats.iter().find(|s| s.queue == q).cloned().unwrap();
    assert_eq!(
        (of(Queue::Notify, &stats).depth, of(Queue::Verify, &stats).depth),
        (0, 1),
        "a job waiting to retry is not due"
    );
    let job = notify.claim(t(100), lease, 10).await.unwrap().remove(0);
    assert_eq!(job.attempts, 2);
    assert!(
        notify
            .release(
                &job,
                t(101),
                &Release::Fail { error: "GOV.UK Notify refused the message (400 BadRequestError)".into() }
            )
            .await
            .unwrap()
    );
    let failed =
        store.jobs(&JobFilter { state: Some(JobState::Failed), limit: 10, ..Default::default() }).await.unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!((failed[0].id, failed[0].reference, failed[0].attempts), (job.id, r, 2));
    assert_eq!(failed[0].last_error.as_deref(), Some("GOV.UK Notify refused the message (400 BadRequestError)"));
    assert_eq!(of(Queue::Notify, &store.job_stats(t(102)).await.unwrap()).failed, 1);
    assert!(notify.claim(t(200), lease, 10).await.unwrap().is_empty(), "a failed job is not run again by itself");
    let verify_jobs =
        store.jobs(&JobFilter { queue: Some(Queue::Verify), limit: 10, ..Default::default() }).await.unwrap();
    assert_eq!(verify_jobs.len(), 1, "listed by queue");
    // An operator puts it back; it runs afresh.
    assert!(store.retry_job(job.id, t(300)).await.unwrap());
    assert!(!store.retry_job(job.id, t(300)).await.unwrap(), "only a failed or discarded job is retried");
    let job = notify.claim(t(301), lease, 10).await.unwrap().remove(0);
    assert_eq!(job.attempts, 1);
    assert!(notify.release(&job, t(302), &Release::Fail { error: "again".into() }).await.unwrap());
    // Or discards it: it never runs.
    assert!(store.discard_job(job.id, t(400)).await.unwrap());
    assert!(!store.discard_job(job.id, t(400)).await.unwrap());
    let verify = verify_jobs[0].id;
    assert!(store.discard_job(verify, t(400)).await.unwrap(), "a waiting job can be discarded");
    assert!(store.worker(Queue::Verify, "v").claim(t(500), lease, 10).await.unwrap().is_empty());
    let stats = store.job_stats(t(500)).await.unwrap();
    assert_eq!((of(Queue::Notify, &stats).failed, of(Queue::Verify, &stats).depth), (0, 0));
    assert_eq!(store.counts().await.unwrap().pending_verifications, 0);
}

pub async fn jobs_are_queued_with_their_cause_and_only_once(backend: Arc<dyn Backend>) {
    let store = seeded(backend).await;
    // Postal vote by email, and an application that cannot be stored: its jobs are not either.
    let mut postal = new_app("W06000015", "Postal");
    postal.details.part = ier_domain::KindDetails::Ordinary(ier_domain::OrdinaryDetails {
        other_address: ier_domain::OtherAddress::None,
        was_overseas_voter: false,
        postal_vote: ier_domain::PostalVote::FormByEmail("sian@example.com".into()),
    });
    let r = store.citizen().submit(postal, t(0)).await.unwrap().reference;
    assert!(store.citizen().submit(new_app("E06000001", "Nowhere"), t(1)).await.is_err());
    assert_eq!(job_names(&store).await, vec!["verify", "notify:acknowledgement", "notify:vote-form"]);
    let stats = store.job_stats(t(10)).await.unwrap();
    let verify = stats.iter().find(|s| s.queue == Queue::Verify).unwrap();
    assert_eq!((verify.depth, verify.failed, verify.oldest_secs), (1, 0, 10));
    // The same effect recorded twice is queued once.
    verified(&store, r, t(2), VerificationOutcome::NoMatch, vec![]).await;
    let worker = store.worker(Queue::Notify, "n");
    let jobs = worker.claim(t(3), std::time::Duration::from_secs(60), 10).await.unwrap();
    assert_eq!(jobs.len(), 3);
    let effects = JobEffects {
        event: None,
        jobs: crate::jobs::verification_jobs(r, VerificationOutcome::NoMatch),
        ..Default::default()
    };
    assert!(worker.complete(&jobs[0], t(4), None, &effects).await.unwrap());
    let names = job_names(&store).await;
    assert_eq!(names.iter().filter(|n| *n == "notify:identity-not-checked").count(), 1, "{names:?}");
}

pub async fn determinations_queue_their_messages_and_reminders(backend: Arc<dyn Backend>) {
    let store = seeded(backend).await;
    let c = store.for_ero(id("cardiff"));
    let overseas = NewApplication {
        language: Language::Cy,
        gss_code: GssCode::parse("W06000015").unwrap(),
        details: applicant_of_kind(ApplicationKind::Overseas),
        journey: None,
        facts: Default::default(),
    };
    let r = store.citizen().submit(overseas, t(0)).await.unwrap().reference;
    c.confirm_receipts(t(1), &[(r, true, None)]).await.unwrap();
    let reasons = vec![ReasonCode::parse("identity-not-confirmed").unwrap()];
    c.determine(&r, t(2), Determination::EvidenceRequested, &reasons).await.unwrap();
    c.determine(&r, t(3), Determination::EvidenceRequested, &reasons).await.unwrap();
    c.determine(&r, t(4), Determination::Approved, &[]).await.unwrap();
    c.determine(&r, t(5), Determination::Approved, &[]).await.unwrap();
    let jobs = store.jobs(&JobFilter { queue: Some(Queue::Notify), limit: 10, ..Default::default() }).await.unwrap();
    let names: Vec<String> = jobs.iter().rev().map(|j| j.kind.name()).collect();
    assert_eq!(
        names,
        vec![
            "notify:acknowledgement",
            "notify:vote-form",
            "notify:evidence-requested",
            "notify:registered",
            "notify:renewal-reminder"
        ],
        "each decision told once"
    );
    assert_eq!(jobs[2].kind, JobKind::Notify { message: Message::EvidenceRequested, reasons });
    // Registered on 22 November 2026: the registration ends on 1 November 2029; reminded 90 days before.
    let reminder = &jobs[0];
    assert_eq!(reminder.run_after.date_naive(), chrono::NaiveDate::from_ymd_opt(2029, 8, 3).unwrap());
    let stats = store.job_stats(t(10)).await.unwrap();
    assert_eq!(stats.iter().find(|s| s.queue == Queue::Notify).unwrap().depth, 4, "the reminder is not due yet");
}

pub async fn token_buckets_are_shared_and_refill_at_their_rate(backend: Arc<dyn Backend>) {
    let store = seeded(backend.clone()).await;
    let other = seeded(backend).await;
    assert_eq!(store.take_tokens("notify", t(0), 30, 10.0, 50.0).await.unwrap(), 30);
    assert_eq!(other.take_tokens("notify", t(0), 30, 10.0, 50.0).await.unwrap(), 20, "one bucket for every instance");
    assert_eq!(store.take_tokens("notify", t(0), 30, 10.0, 50.0).await.unwrap(), 0);
    assert_eq!(store.take_tokens("notify", t(2), 30, 10.0, 50.0).await.unwrap(), 20, "refilled at 10 a second");
    assert_eq!(store.take_tokens("status:x", t(2), 1, 0.01, 5.0).await.unwrap(), 1, "buckets are separate");
    let citizen = store.citizen();
    assert_eq!(citizen.purge_token_buckets(t(1)).await.unwrap(), 0);
    assert_eq!(citizen.purge_token_buckets(t(3)).await.unwrap(), 2);
    assert_eq!(store.take_tokens("notify", t(3), 100, 10.0, 50.0).await.unwrap(), 50, "a forgotten bucket is full");
}

pub async fn status_is_shown_only_with_the_right_date_of_birth(backend: Arc<dyn Backend>) {
    let store = seeded(backend).await;
    let r = store.citizen().submit(new_app("W06000015", "Status"), t(0)).await.unwrap().reference;
    let other = store.citizen().submit(new_app("E09000033", "Other"), t(0)).await.unwrap().reference;
    let dob = |d, m, y| DateOfBirth::parse(d, m, y, t(0).date_naive()).unwrap();
    let citizen = store.citizen();
    assert_eq!(citizen.status(&r, dob("15", "3", "1990")).await.unwrap(), None, "a wrong date of birth");
    let unknown = ReferenceNumber::generate(&mut rand::rng());
    assert_eq!(citizen.status(&unknown, dob("14", "3", "1990")).await.unwrap(), None, "an unknown reference");
    let status = citizen.status(&r, dob("14", "3", "1990")).await.unwrap().expect("shown");
    assert_eq!((status.reference, status.ero_id.clone(), status.language), (r, id("cardiff"), Language::Cy));
    assert_eq!((status.verification, status.with_council_since, status.determination.clone()), (None, None, None));
    verified(&store, r, t(1), VerificationOutcome::NoMatch, vec!["Surname: different".into()]).await;
    let c = store.for_ero(id("cardiff"));
    c.confirm_receipts(t(2), &[(r, true, None)]).await.unwrap();
    let reasons = vec![ReasonCode::parse("identity-not-confirmed").unwrap()];
    c.determine(&r, t(3), Determination::Rejected, &reasons).await.unwrap();
    let status = citizen.status(&r, dob("14", "3", "1990")).await.unwrap().unwrap();
    assert_eq!(status.verification, Some(VerificationOutcome::NoMatch));
    assert_eq!(status.with_council_since, Some(t(2)));
    assert_eq!(
        status.determination,
        Some((crate::DeterminationState { at: t(3), determination: Determination::Rejected }, reasons))
    );
    assert!(citizen.status(&other, dob("14", "3", "1990")).await.unwrap().unwrap().determination.is_none());
}

pub async fn reference_data_round_trips(backend: Arc<dyn Backend>) {
    let store = seeded(backend.clone()).await;
    let _ = store;
    let c = backend.council(&GssCode::parse("W06000015").unwrap()).await.unwrap().unwrap();
    assert_eq!(c, council("W06000015", "cardiff", Nation::Wales));
    assert_eq!(backend.ero(&id("cardiff")).await.unwrap().unwrap(), ero("cardiff"));
    assert_eq!(backend.eros().await.unwrap().len(), 3);
    // upsert: renaming is an update, not a second row
    let mut renamed = ero("cardiff");
    renamed.name = "Cyngor Caerdydd / Cardiff Council".into();
    backend.put_eros(&[renamed.clone()]).await.unwrap();
    assert_eq!(backend.ero(&id("cardiff")).await.unwrap().unwrap(), renamed);
    assert_eq!(backend.eros().await.unwrap().len(), 3);
    assert!(backend.council(&GssCode::parse("E06000001").unwrap()).await.unwrap().is_none());
    backend.ping().await.unwrap();
}

pub async fn counts_carry_no_personal_data(backend: Arc<dyn Backend>) {
    let store = seeded(backend).await;
    for i in 0..3 {
        store.citizen().submit(new_app("E09000033", "Count"), t(i)).await.unwrap();
    }
    let counts = store.counts().await.unwrap();
    assert_eq!(counts.pending_verifications, 3);
    assert_eq!(counts.by_stage, vec![(Stage::Submitted, 3)]);
}

pub async fn concurrent_submissions_are_all_stored(backend: Arc<dyn Backend>) {
    let store = seeded(backend).await;
    let mut tasks = Vec::new();
    for i in 0..64 {
        let s = store.clone();
        let gss = ["E09000033", "W06000015", "S12000036"][i % 3];
        tasks.push(tokio::spawn(async move { s.citizen().submit(new_app(gss, "Many"), t(i as i64)).await }));
    }
    let mut receipts = Vec::new();
    for task in tasks {
        receipts.push(task.await.unwrap().expect("every submission is stored"));
    }
    for r in &receipts {
        let app = store.for_ero(r.ero_id.clone()).application(&r.reference).await.unwrap();
        assert!(app.is_some(), "receipt without a stored application");
    }
    assert_eq!(store.counts().await.unwrap().pending_verifications, 64);
}

pub async fn one_journey_stores_one_application(backend: Arc<dyn Backend>) {
    let store = seeded(backend).await;
    let from = |key: &crate::JourneyKey, surname: &str| NewApplication {
        journey: Some(key.clone()),
        ..new_app("W06000015", surname)
    };
    let stored = |store: Store| async move {
        let counts = store.counts().await.unwrap();
        let jobs =
            store.jobs(&JobFilter { queue: None, state: None, reference: None, limit: 10_000 }).await.unwrap().len();
        (counts.by_stage.iter().map(|(_, n)| n).sum::<u64>(), jobs)
    };

    // Sent, then sent again (a replayed cookie): the first receipt, nothing stored twice.
    let key = crate::JourneyKey::generate();
    let first = store.citizen().submit(from(&key, "Once"), t(0)).await.unwrap();
    let (apps, jobs) = stored(store.clone()).await;
    assert_eq!(apps, 1);
    let again = store.citizen().submit(from(&key, "Changed"), t(60)).await.unwrap();
    assert_eq!(again, first, "the same journey gets the same receipt, at its first time");
    assert_eq!(stored(store.clone()).await, (1, jobs), "no second application, no second job");

    // One journey twice in one transaction, beside another journey.
    let (k1, k2) = (crate::JourneyKey::generate(), crate::JourneyKey::generate());
    let receipts =
        store.submit_many(vec![from(&k1, "Batch"), from(&k1, "Batch"), from(&k2, "Other")], t(100)).await.unwrap();
    assert_eq!(receipts[0], receipts[1]);
    assert_ne!(receipts[0].reference, receipts[2].reference);
    assert_eq!(stored(store.clone()).await.0, 3);

    // Many at once, with and without group commit: one application each.
    let grouped = store.clone().with_group_commit(GroupCommit { max_batch: 8, committers: 4 });
    for s in [store.clone(), grouped] {
        let before = stored(store.clone()).await.0;
        let key = crate::JourneyKey::generate();
        let mut tasks = Vec::new();
        for i in 0..24 {
            let (s, new) = (s.clone(), from(&key, "Clicks"));
            // Another journey among them, so batches mix the two.
            let other = from(&crate::JourneyKey::generate(), "Neighbour");
            tasks.push(tokio::spawn(async move {
                let c = s.citizen();
                let (mine, _) = tokio::join!(c.submit(new, t(200 + i)), c.submit(other, t(200 + i)));
                mine
            }));
        }
        let mut refs = Vec::new();
        for task in tasks {
            refs.push(task.await.unwrap().expect("a second click is answered, not refused").reference);
        }
        refs.dedup();
        assert_eq!(refs.len(), 1, "every click of one journey shows one reference");
        assert_eq!(stored(store.clone()).await.0, before + 1 + 24);
    }

    // The performance figures count each stored application once, however often it was sent.
    let counted = store
        .backend()
        .count_totals(0, i64::MAX / 2, &[crate::performance::Measure::Applications])
        .await
        .unwrap()
        .iter()
        .map(|r| r.count)
        .sum::<i64>();
    assert_eq!(counted as u64, stored(store.clone()).await.0, "counted once a stored application");

    // Keys outlive any journey by a day, then go; the applications stay.
    let total = stored(store.clone()).await.0;
    store.citizen().purge_journey_states(t(0) + Duration::days(2)).await.unwrap();
    assert_eq!(stored(store.clone()).await.0, total);
    let late = store.citizen().submit(from(&key, "Once"), t(0) + Duration::days(2)).await.unwrap();
    assert_ne!(late.reference, first.reference, "purged keys are forgotten");
}

pub async fn the_person_index_finds_applicants_and_electors_by_digest_only(backend: Arc<dyn Backend>) {
    use crate::persons::{Person, Scope, Source};
    let store = seeded(backend).await;
    let citizen = store.citizen();
    let applied = citizen.submit(new_app("W06000015", "Evans"), t(0)).await.unwrap();

    // The same applicant again (their NINO and their name at their address), and someone else.
    let found = citizen.find_applicant(&applicant("Evans", "CF10 1EP")).await.unwrap();
    assert!(!found.is_empty());
    for f in &found {
        assert_eq!((f.found.source, f.found.subject.as_str()), (Source::Application, applied.reference.as_str()));
        assert_eq!((f.found.stage, f.found.determination), (Some(Stage::Submitted), None));
        assert_eq!(f.found.added_at, t(0));
    }
    assert!(found.iter().any(|f| f.scope == Scope::AtAddress) && found.iter().any(|f| f.scope == Scope::Anywhere));
    let mut sister = applicant("Evans", "CF10 1EP");
    sister.name = PersonName::parse("Marija", "", "Evans").unwrap();
    sister.nino = OrReason::NotGiven { reason: "none".into() };
    assert!(citizen.find_applicant(&sister).await.unwrap().is_empty(), "a household member is not the applicant");

    // An EMS's register: added, found by what a person types, replaced, removed; one ERO's only.
    let cardiff = store.for_ero(id("cardiff"));
    let person = |given: &'static str, line1: &'static str| Person {
        given,
        surname: "Jones",
        date_of_birth: Some("1950-01-02"),
        postcode: "CF10 1EP",
        line1,
        line2: "",
        uprn: None,
        nino: None,
    };
    let electors =
        vec![("E1".to_owned(), person("William", "3 Heol y Bont")), ("E2".to_owned(), person("Ann", "4 Heol y Bont"))];
    assert_eq!(cardiff.put_electors(t(10), &electors).await.unwrap(), 2);
    assert_eq!(cardiff.elector_count().await.unwrap(), 2);
    let typed = person("Bill", "3, Heol y Bont");
    let found = citizen.find_person(&typed).await.unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0].found.source, found[0].found.subject.as_str(), found[0].scope),
        (Source::Elector, "E1", Scope::AtAddress)
    );
    assert_eq!(found[0].found.ero_id, id("cardiff"));
    assert!(citizen.find_person(&person("Bill", "5 Heol y Bont")).await.unwrap().is_empty(), "not at another house");

    // E1 moves house: replaced by number, found only at the new address.
    assert_eq!(cardiff.put_electors(t(20), &[("E1".to_owned(), person("William", "9 Heol y Bont"))]).await.unwrap(), 1);
    assert_eq!(cardiff.elector_count().await.unwrap(), 2);
    assert!(citizen.find_person(&typed).await.unwrap().is_empty());
    assert_eq!(citizen.find_person(&person("Bill", "9 Heol y Bont")).await.unwrap().len(), 1);

    // Another ERO cannot remove Cardiff's electors; Cardiff can.
    let westminster = store.for_ero(id("westminster"));
    assert_eq!(westminster.remove_electors(&["E1".to_owned()]).await.unwrap(), 0);
    assert_eq!(cardiff.remove_electors(&["E1".to_owned(), "E9".to_owned()]).await.unwrap(), 1);
    assert!(citizen.find_person(&person("Bill", "9 Heol y Bont")).await.unwrap().is_empty());
    assert_eq!(cardiff.elector_count().await.unwrap(), 1);
    assert_eq!(westminster.elector_count().await.unwrap(), 0);
}

pub async fn ems_queue_is_not_consumed_by_reading_and_confirming_removes_items(backend: Arc<dyn Backend>) {
    let store = seeded(backend.clone()).await;
    let mut refs = Vec::new();
    for i in 0..3 {
        refs.push(store.citizen().submit(new_app("E09000033", "Queued"), t(i)).await.unwrap().reference);
    }
    let other = store.citizen().submit(new_app("W06000015", "Elsewhere"), t(9)).await.unwrap().reference;
    verified(&store, refs[0], t(4), VerificationOutcome::NoMatch, vec!["Surname: different".into()]).await;
    let w = store.for_ero(id("westminster"));
    let listed = |v: Vec<(Application, crate::Progress)>| v.into_iter().map(|(a, _)| a.reference).collect::<Vec<_>>();
    assert_eq!(listed(w.pending(10).await.unwrap()), refs, "oldest first, only this ERO's");
    assert_eq!(listed(w.pending(10).await.unwrap()), refs, "reading does not consume");
    assert_eq!(listed(w.pending(2).await.unwrap()), refs[..2]);
    let (_, progress) = w.pending(1).await.unwrap().remove(0);
    let v = progress.verification.expect("the identity check's result comes with the application");
    assert_eq!((v.outcome, v.explanation), (VerificationOutcome::NoMatch, vec!["Surname: different".to_owned()]));
    assert!(progress.receipt.is_none() && progress.register_check.is_some());

    use crate::ConfirmOutcome::*;
    let out = w
        .confirm_receipts(t(10), &[(refs[0], true, None), (refs[1], false, Some("Duplicate of elector 42".into()))])
        .await
        .unwrap();
    assert_eq!(out, vec![Confirmed, FailureRecorded]);
    assert_eq!(listed(w.pending(10).await.unwrap()), refs[1..], "a success leaves the queue, a failure stays");
    let again = w.confirm_receipts(t(11), &[(refs[0], false, None), (other, true, None)]).await.unwrap();
    assert_eq!(
        again,
        vec![AlreadyConfirmed, NotFound],
        "a failure after a success changes nothing; another ERO's is not found"
    );
    let (app, p) = w.application_with_progress(&refs[0]).await.unwrap().unwrap();
    assert_eq!(app.stage, Stage::WithEro);
    assert_eq!(p.receipt, Some(crate::ReceiptState { at: t(10), success: true, failures: 0 }), "the success stands");
    let (app, p) = w.application_with_progress(&refs[1]).await.unwrap().unwrap();
    assert_eq!(app.stage, Stage::Submitted, "a failed receipt does not put it with the ERO");
    assert_eq!(p.receipt, Some(crate::ReceiptState { at: t(10), success: false, failures: 1 }));
    assert_eq!(p.receipt_message.as_deref(), Some("Duplicate of elector 42"));
    let raw = backend.application(&id("westminster"), &refs[1]).await.unwrap().unwrap();
    let sealed = raw.progress.receipt_message.expect("stored");
    assert!(!sealed.blob.windows(8).any(|w| w == b"Duplicat"), "the EMS's message is sealed");
    let cardiff = store.for_ero(id("cardiff"));
    assert_eq!(listed(cardiff.pending(10).await.unwrap()), vec![other], "untouched by Westminster's confirmations");
    let events = w.events(&refs[0]).await.unwrap();
    assert_eq!(events.iter().filter(|e| matches!(e.kind, EventKind::ConfirmedByEms { .. })).count(), 1);
}

/// A failed receipt means "not received": the application stays on the
/// queue, each failure is counted and shows in its events, a later success
/// confirms it (and then determinations work), and a failure after the
/// success changes nothing.
pub async fn a_failed_receipt_keeps_the_application_pending_until_a_success(backend: Arc<dyn Backend>) {
    use crate::ConfirmOutcome::*;
    let store = seeded(backend).await;
    let r = store.citizen().submit(new_app("E09000033", "Stranded"), t(0)).await.unwrap().reference;
    let w = store.for_ero(id("westminster"));
    let pending = |v: Vec<(Application, crate::Progress)>| v.into_iter().map(|(a, _)| a.reference).collect::<Vec<_>>();
    assert_eq!(
        w.confirm_receipts(t(1), &[(r, false, Some("import failed".into()))]).await.unwrap(),
        vec![FailureRecorded]
    );
    assert_eq!(w.confirm_receipts(t(2), &[(r, false, None)]).await.unwrap(), vec![FailureRecorded]);
    assert_eq!(pending(w.pending(10).await.unwrap()), vec![r], "still fetchable after failures");
    let (app, p) = w.application_with_progress(&r).await.unwrap().unwrap();
    assert_eq!(app.stage, Stage::Submitted);
    assert_eq!(p.receipt, Some(crate::ReceiptState { at: t(2), success: false, failures: 2 }));
    assert_eq!(p.receipt_message, None, "the latest failure's message (none)");
    let early = w.determine(&r, t(3), Determination::Approved, &[]).await.unwrap_err();
    assert!(matches!(early, StorageError::Conflict(_)), "not received yet: {early}");

    assert_eq!(
        w.confirm_receipts(t(4), &[(r, true, None)]).await.unwrap(),
        vec![Confirmed],
        "a success after failures works"
    );
    assert_eq!(w.confirm_receipts(t(5), &[(r, true, None)]).await.unwrap(), vec![AlreadyConfirmed], "idempotent");
    assert_eq!(w.confirm_receipts(t(6), &[(r, false, None)]).await.unwrap(), vec![AlreadyConfirmed], "no undoing");
    assert!(w.pending(10).await.unwrap().is_empty());
    let (app, p) = w.application_with_progress(&r).await.unwrap().unwrap();
    assert_eq!(app.stage, Stage::WithEro);
    assert_eq!(p.receipt, Some(crate::ReceiptState { at: t(4), success: true, failures: 2 }));
    assert_eq!(w.determine(&r, t(7), Determination::Approved, &[]).await.unwrap(), crate::DetermineOutcome::Recorded);
    let receipts: Vec<_> = w
        .events(&r)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| match e.kind {
            EventKind::ConfirmedByEms { success } => Some((e.at, success)),
            _ => None,
        })
        .collect();
    assert_eq!(receipts, vec![(t(1), false), (t(2), false), (t(4), true)], "the ERO's events show the failures");

    // In one batch, a success and a failure of the same application: the success stands.
    let b = store.citizen().submit(new_app("E09000033", "Batched"), t(8)).await.unwrap().reference;
    assert_eq!(
        w.confirm_receipts(t(9), &[(b, false, None), (b, true, None)]).await.unwrap(),
        vec![AlreadyConfirmed, Confirmed]
    );
    assert!(w.pending(10).await.unwrap().is_empty());
}

pub async fn determinations_follow_receipt_and_final_ones_stand(backend: Arc<dyn Backend>) {
    let store = seeded(backend).await;
    let r = store.citizen().submit(new_app("E09000033", "Decided"), t(0)).await.unwrap().reference;
    let w = store.for_ero(id("westminster"));
    let reasons = vec![ReasonCode::parse("identity-not-confirmed").unwrap()];
    let early = w.determine(&r, t(1), Determination::Approved, &[]).await.unwrap_err();
    assert!(matches!(early, StorageError::Conflict(_)), "{early}");
    w.confirm_receipts(t(2), &[(r, true, None)]).await.unwrap();
    use crate::DetermineOutcome::*;
    assert_eq!(w.determine(&r, t(3), Determination::EvidenceRequested, &reasons).await.unwrap(), Recorded);
    assert_eq!(w.determine(&r, t(4), Determination::EvidenceRequested, &reasons).await.unwrap(), Unchanged);
    assert_eq!(
        w.determine(&r, t(5), Determination::Approved, &[]).await.unwrap(),
        Recorded,
        "evidence, then a decision"
    );
    assert_eq!(w.determine(&r, t(6), Determination::Approved, &[]).await.unwrap(), Unchanged);
    let overturn = w.determine(&r, t(7), Determination::Rejected, &reasons).await.unwrap_err();
    assert!(matches!(overturn, StorageError::Conflict(_)), "{overturn}");
    let theirs = store.for_ero(id("cardiff")).determine(&r, t(8), Determination::Rejected, &[]).await.unwrap_err();
    assert!(matches!(theirs, StorageError::NotFound), "{theirs}");
    let (app, p) = w.application_with_progress(&r).await.unwrap().unwrap();
    assert_eq!(app.stage, Stage::Determined);
    assert_eq!(p.determination, Some(crate::DeterminationState { at: t(5), determination: Determination::Approved }));
    let kinds: Vec<_> = w.events(&r).await.unwrap().into_iter().map(|e| e.kind).collect();
    assert!(kinds.contains(&EventKind::Determined {
        determination: Determination::EvidenceRequested,
        reasons,
        registered_from: None
    }));
    assert_eq!(kinds.iter().filter(|k| matches!(k, EventKind::Determined { .. })).count(), 2);
}

pub async fn a_rejections_notes_are_sealed_kept_with_it_and_erased_with_the_application(backend: Arc<dyn Backend>) {
    let store = seeded(backend.clone()).await;
    let r = store.citizen().submit(new_app("W06000015", "Noted"), t(0)).await.unwrap().reference;
    let c = store.for_ero(id("cardiff"));
    c.confirm_receipts(t(1), &[(r, true, None)]).await.unwrap();
    let reasons = vec![ReasonCode::parse("identity-not-confirmed").unwrap()];
    let notes = ier_domain::DecisionNotes::parse("We wrote to you on 3 March: Quillfeather", "").unwrap().unwrap();
    // Only with a rejection.
    let approved = c.determine_from(&r, t(2), Determination::Approved, &[], None, Some(&notes)).await.unwrap_err();
    assert!(matches!(approved, StorageError::Conflict(_)), "{approved}");
    let asked = Some(&notes);
    let evidence = c.determine_from(&r, t(2), Determination::EvidenceRequested, &reasons, None, asked).await;
    assert!(matches!(evidence, Err(StorageError::Conflict(_))));
    c.determine(&r, t(2), Determination::EvidenceRequested, &reasons).await.unwrap();
    assert_eq!(c.determination_notes(&r).await.unwrap(), None);
    c.determine_from(&r, t(3), Determination::Rejected, &reasons, None, Some(&notes)).await.unwrap();
    assert_eq!(c.determination_notes(&r).await.unwrap(), Some(notes.clone()));
    // Another ERO reads none of them; none of it is in an event, and it is sealed at rest.
    assert_eq!(store.for_ero(id("westminster")).determination_notes(&r).await.unwrap(), None);
    let events = format!("{:?}", c.events(&r).await.unwrap());
    assert!(!events.contains("Quillfeather"), "{events}");
    let raw = backend.determination_notes(&id("cardiff"), &r).await.unwrap().unwrap();
    assert!(!String::from_utf8_lossy(&raw.blob).contains("Quillfeather"));
    // The status page's answer carries them.
    let dob = DateOfBirth::parse("14", "3", "1990", t(0).date_naive()).unwrap();
    let status = store.citizen().status(&r, dob).await.unwrap().unwrap();
    assert_eq!(status.notes, Some(notes));
    // Erased with the application's personal data.
    let later = t(3) + Duration::days(400);
    for queue in Queue::ALL {
        let worker = store.worker(queue, "test");
        for job in worker.claim(later, std::time::Duration::from_secs(60), 100).await.unwrap() {
            assert!(worker.complete(&job, later, None, &JobEffects::default()).await.unwrap());
        }
    }
    let report = store.run_retention(ier_domain::retention::Retention::current(), later, 100, false).await.unwrap();
    assert_eq!(report.applications_total(), 1);
    assert_eq!(backend.determination_notes(&id("cardiff"), &r).await.unwrap(), None);
}

pub async fn register_checks_are_made_with_each_application_and_answered_once(backend: Arc<dyn Backend>) {
    use ier_domain::register_check::{AnswerError, RegisterCandidate};
    let store = seeded(backend.clone()).await;
    let r = store.citizen().submit(new_app("W06000015", "Checked"), t(0)).await.unwrap().reference;
    store.citizen().submit(new_app("E09000033", "Elsewhere"), t(1)).await.unwrap();
    let c = store.for_ero(id("cardiff"));
    let pending = c.pending_register_checks(10).await.unwrap();
    assert_eq!(pending.len(), 1, "one check per application, for its own ERO only");
    let (check, app) = &pending[0];
    assert_eq!(app.reference, r);
    assert_eq!(app.details.name.surname.as_str(), "Checked");
    assert!(check.answered_at.is_none() && !check.historical);
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    let candidate = RegisterCandidate {
        ems_elector_id: "CDF-000123".into(),
        given_name: "SIAN".into(),
        surname: "CHECKED".into(),
        date_of_birth: None,
        uprn: None,
        property: None,
        street: "Somewhere".into(),
        postcode: "CF10 1EP".into(),
        franchise_code: "G".into(),
        registered_from: None,
        registered_until: None,
    };
    let bad = c.answer_register_check(&check.id, t(2), today, 2, vec![candidate.clone()]).await.unwrap();
    assert_eq!(bad, Err(AnswerError::CountMismatch { count: 2, given: 1 }));
    let theirs = store.for_ero(id("westminster")).answer_register_check(&check.id, t(2), today, 0, vec![]).await;
    assert!(matches!(theirs, Err(StorageError::NotFound)));
    let ok = c.answer_register_check(&check.id, t(3), today, 1, vec![candidate.clone()]).await.unwrap();
    assert_eq!(ok, Ok(RegisterCheckResult::PartialMatch), "no date of birth on the register: partial");
    let twice = c.answer_register_check(&check.id, t(4), today, 0, vec![]).await.unwrap_err();
    assert!(matches!(twice, StorageError::Conflict(_)), "{twice}");
    assert!(c.pending_register_checks(10).await.unwrap().is_empty());
    let (check, app, candidates) = c.register_check(&check.id).await.unwrap().unwrap();
    assert_eq!(
        (check.result, check.match_count, check.answered_at),
        (Some(RegisterCheckResult::PartialMatch), Some(1), Some(t(3)))
    );
    assert_eq!(app.reference, r);
    assert_eq!(candidates, vec![candidate]);
    assert!(store.for_ero(id("westminster")).register_check(&check.id).await.unwrap().is_none());
    let (_, progress) = c.application_with_progress(&r).await.unwrap().unwrap();
    assert_eq!(progress.register_check.unwrap().result, Some(RegisterCheckResult::PartialMatch));
    let kinds: Vec<_> = c.events(&r).await.unwrap().into_iter().map(|e| e.kind).collect();
    assert!(kinds.contains(&EventKind::RegisterChecked { result: RegisterCheckResult::PartialMatch }));
}

pub async fn api_accesses_are_recorded_without_personal_data(backend: Arc<dyn Backend>) {
    let store = seeded(backend.clone()).await;
    let access = |n: u32| crate::ApiAccess {
        at: t(n as i64),
        request_id: format!("req-{n}"),
        ero_id: id("cardiff"),
        certificate_serial: "0a1b2c".into(),
        method: "GET".into(),
        route: "/v1/applications".into(),
        target: None,
        status: 200,
        items: Some(n),
    };
    store.record_api_access(&[access(1), access(2)]).await.unwrap();
    store.record_api_access(&[]).await.unwrap();
    assert_eq!(backend.api_accesses(10).await.unwrap(), vec![access(2), access(1)], "newest first");
    assert_eq!(backend.api_accesses(1).await.unwrap().len(), 1);
}

pub async fn the_audit_is_one_hash_chain_however_many_write_at_once(backend: Arc<dyn Backend>) {
    use crate::audit_chain::{Verdict, verify};
    let store = seeded(backend.clone()).await;
    assert_eq!(verify(&*backend).await.unwrap(), Verdict::Intact { chained: 0, older: 0 }, "an empty chain");
    let access = |writer: u32, n: u32| crate::ApiAccess {
        // Nanoseconds too: the chain hashes what is stored (microseconds), not what was given.
        at: t(n as i64) + chrono::Duration::nanoseconds(123_456_789),
        request_id: format!("req-{writer}-{n}"),
        ero_id: id(if n.is_multiple_of(2) { "cardiff" } else { "westminster" }),
        certificate_serial: "0a1b2c".into(),
        method: "PUT".into(),
        route: "/v1/applications/{reference}/receipt".into(),
        target: n.is_multiple_of(3).then(|| format!("T{n}")),
        status: 204,
        items: n.is_multiple_of(2).then_some(n),
    };
    for (writer, size) in [(0, 1), (1, 5), (2, 2)] {
        store.record_api_access(&(0..size).map(|n| access(writer, n)).collect::<Vec<_>>()).await.unwrap();
    }
    // Four writers at once (instances sharing the database).
    let writers: Vec<_> = (10..14)
        .map(|w| {
            let store = store.clone();
            let batch: Vec<_> = (0..10).map(|n| access(w, n)).collect();
            tokio::spawn(async move {
                for pair in batch.chunks(2) {
                    store.record_api_access(pair).await.unwrap();
                }
            })
        })
        .collect();
    for w in writers {
        w.await.unwrap();
    }
    assert_eq!(verify(&*backend).await.unwrap(), Verdict::Intact { chained: 48, older: 0 });
    let head = backend.audit_chain_head().await.unwrap();
    assert_eq!(head.last_id - head.from_id + 1, 48);
    assert_eq!(backend.api_accesses(100).await.unwrap().len(), 48);
}

pub async fn many_applications_are_stored_in_one_transaction_or_none(backend: Arc<dyn Backend>) {
    let store = seeded(backend).await;
    let news: Vec<NewApplication> =
        (0..50).map(|i| new_app(["E09000033", "W06000015", "S12000019"][i % 3], "Batch")).collect();
    let receipts = store.submit_many(news, t(0)).await.unwrap();
    assert_eq!(receipts.len(), 50);
    assert_eq!(receipts[1].ero_id, id("cardiff"));
    let counts = store.counts().await.unwrap();
    assert_eq!((counts.pending_verifications, counts.by_stage.clone()), (50, vec![(Stage::Submitted, 50)]));
    let lothian = store.for_ero(id("lothian-vjb"));
    assert_eq!(lothian.pending(100).await.unwrap().len(), 16);
    assert_eq!(lothian.pending_register_checks(100).await.unwrap().len(), 16);
    // One bad council: nothing of the batch is stored.
    let mut bad: Vec<NewApplication> = (0..5).map(|_| new_app("E09000033", "Batch")).collect();
    bad.push(new_app("E06000001", "Nowhere"));
    let err = store.submit_many(bad, t(1)).await.unwrap_err();
    assert!(matches!(err, StorageError::UnknownCouncil(_)), "{err}");
    assert_eq!(store.counts().await.unwrap().pending_verifications, 50, "all or none");
}

pub async fn group_commit_stores_every_submission_and_a_bad_one_fails_alone(backend: Arc<dyn Backend>) {
    let store = seeded(backend).await.with_group_commit(GroupCommit { max_batch: 16, committers: 2 });
    let mut tasks = Vec::new();
    for i in 0..200 {
        let s = store.clone();
        let gss = if i == 77 { "E06000001" } else { ["E09000033", "W06000015", "S12000036"][i % 3] };
        tasks.push(tokio::spawn(async move { s.citizen().submit(new_app(gss, "Group"), t(i as i64)).await }));
    }
    let mut receipts = Vec::new();
    for (i, task) in tasks.into_iter().enumerate() {
        match task.await.unwrap() {
            Ok(r) => receipts.push((i, r)),
            Err(e) => {
                assert_eq!(i, 77, "only the application to an unknown council fails: {e}");
                assert!(matches!(e, StorageError::UnknownCouncil(_)), "{e}");
            }
        }
    }
    assert_eq!(receipts.len(), 199, "every other submission is stored, whatever batch it shared");
    let mut references: Vec<_> = receipts.iter().map(|(_, r)| r.reference).collect();
    references.sort_by_key(|r| r.to_string());
    references.dedup();
    assert_eq!(references.len(), 199, "one reference each");
    for (i, r) in &receipts {
        let app = store.for_ero(r.ero_id.clone()).application(&r.reference).await.unwrap().expect("stored");
        assert_eq!(app.submitted_at, t(*i as i64), "each keeps its own submission time");
        assert_eq!(r.submitted_at, app.submitted_at);
    }
    assert_eq!(store.counts().await.unwrap().pending_verifications, 199);
}

/// The same applicant as each kind of applicant.
pub fn applicant_of_kind(kind: ApplicationKind) -> ApplicantDetails {
    use ier_domain::*;
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    let text = |s: &str| Text::parse(s, 100).unwrap();
    let abroad = OverseasAddress {
        country: CountryCode::parse("FR").unwrap(),
        lines: vec![text("12 rue de la Paix"), text("Paris")],
    };
    let by_post = WayToVote::ByPost(FormDelivery::Email("sian@example.com".into()));
    let mut details = applicant("Kinds", "CF10 1EP");
    details.part = match kind {
        ApplicationKind::Ordinary => details.part,
        ApplicationKind::Overseas => KindDetails::Overseas(OverseasDetails {
            last_registered: LastRegistration::Ordinary,
            left_uk: Some(YearMonth::parse("3", "2015", today).unwrap()),
            parent_guardian: None,
            citizenship: Some(Citizenship::Passport {
                number: PassportNumber::parse("123456789").unwrap(),
                authority: text("HM Passport Office"),
                issued: PastDate::parse("1", "2", "2020", today).unwrap(),
            }),
            name_change_reason: None,
            address_abroad: abroad.clone(),
            way_to_vote: WayToVote::ByProxy(FormDelivery::Post),
        }),
        ApplicationKind::Forces => KindDetails::Forces(ForcesDetails {
            statement: ForcesStatement::new(true, false).unwrap(),
            uk_address: UkAddressStatus::NotLivingThere,
            service: Service {
                branch: ServiceBranch::BritishArmy,
                regiment: Some(text("Royal Welsh")),
                service_number: text("30012345"),
                rank: text("Corporal"),
            },
            correspondence: Correspondence::Bfpo { number: 38, lines: vec![text("Cpl S Evans")] },
            way_to_vote: by_post,
        }),
        ApplicationKind::Crown | ApplicationKind::BritishCouncil => KindDetails::Crown(CrownDetails {
            statement: if kind == ApplicationKind::Crown {
                CrownStatement::new(true, false, false, false).unwrap()
            } else {
                CrownStatement::new(false, false, false, true).unwrap()
            },
            uk_address: UkAddressStatus::NoAddress,
            job: Job { title: text("Second Secretary"), payroll_number: text("P-1234"), department: text("FCDO") },
            correspondence: Correspondence::Abroad(abroad),
            way_to_vote: WayToVote::InPerson,
        }),
    };
    details
}

pub async fn every_kind_of_application_is_stored_with_its_part(backend: Arc<dyn Backend>) {
    let store = seeded(backend.clone()).await;
    let cardiff = store.for_ero(id("cardiff"));
    for kind in ApplicationKind::ALL {
        let details = applicant_of_kind(kind);
        assert_eq!(details.kind(), kind);
        let new = NewApplication {
            language: Language::En,
            gss_code: GssCode::parse("W06000015").unwrap(),
            details,
            journey: None,
            facts: Default::default(),
        };
        let r = store.citizen().submit(new.clone(), t(0)).await.unwrap().reference;
        let (app, progress) = cardiff.application_with_progress(&r).await.unwrap().unwrap();
        assert_eq!((app.kind, &app.details), (kind, &new.details), "{kind}: stored as given");
        // What a submission creates, the same for every kind but the register check's history.
        let events: Vec<_> = cardiff.events(&r).await.unwrap().into_iter().map(|e| e.kind.name()).collect();
        assert_eq!(events, vec!["submitted", "verification-requested"], "{kind}");
        assert_eq!(progress.register_check.unwrap().historical, kind == ApplicationKind::Overseas, "{kind}");
    }
    assert_eq!(store.counts().await.unwrap().pending_verifications, ApplicationKind::ALL.len() as u64);
}

pub async fn journey_state_is_kept_until_it_expires_and_then_purged(backend: Arc<dyn Backend>) {
    let store = seeded(backend).await;
    let citizen = store.citizen();
    let sealed = |b: u8| Sealed { key_id: "s1".into(), blob: vec![b; 10_000] };
    citizen.put_journey_state("a", t(60), &sealed(1)).await.unwrap();
    citizen.put_journey_state("b", t(10), &sealed(2)).await.unwrap();
    assert_eq!(citizen.journey_state("a", t(0)).await.unwrap(), Some(sealed(1)));
    // Replaced in place, as the applicant answers on.
    citizen.put_journey_state("a", t(120), &sealed(3)).await.unwrap();
    assert_eq!(citizen.journey_state("a", t(90)).await.unwrap(), Some(sealed(3)));
    assert_eq!(citizen.journey_state("b", t(10)).await.unwrap(), None, "expired");
    assert_eq!(citizen.journey_state("nobody", t(0)).await.unwrap(), None);
    assert_eq!(citizen.purge_journey_states(t(30)).await.unwrap(), 1);
    citizen.delete_journey_state("a").await.unwrap();
    assert_eq!(citizen.journey_state("a", t(0)).await.unwrap(), None);
    assert_eq!(citizen.purge_journey_states(t(1000)).await.unwrap(), 0);
}

/// The performance counters: a submission counts in its own transaction (by
/// hour and by London day), a job's tallies with the job, counts add up
/// across writers, and reading sums them.
pub async fn performance_counts_are_kept_with_what_they_count(backend: Arc<dyn Backend>) {
    use crate::performance::{CountRow, Figures, Measure, Shown};
    let store = seeded(backend.clone()).await;
    let now = Utc::now();
    let facts =
        crate::performance::JourneyFacts { started_at: Some(now - chrono::Duration::minutes(4)), repeat_told: true };
    store.submit(NewApplication { facts, ..new_app("W06000015", "Jones") }, now).await.unwrap();
    store.submit(new_app("E09000033", "Smith"), now).await.unwrap();
    // An application that fails (unknown council) counts nothing.
    assert!(store.submit(new_app("E09999999", "Nobody"), now).await.is_err());
    let worker = store.worker(Queue::Verify, "w");
    let job = worker.claim(now, std::time::Duration::from_secs(60), 1).await.unwrap().remove(0);
    let effects = JobEffects {
        event: Some(EventKind::Verified { outcome: VerificationOutcome::Match, explanation: vec![] }),
        tallies: vec![crate::performance::identity_tally(VerificationOutcome::Match)],
        ..Default::default()
    };
    assert!(worker.complete(&job, now, None, &effects).await.unwrap());
    // A lost lease records nothing, counts included.
    assert!(!worker.complete(&job, now, None, &effects).await.unwrap());
    let started = CountRow {
        period: Measure::JourneysStarted.period(now),
        measure: Measure::JourneysStarted,
        category: String::new(),
        count: 3,
    };
    backend.add_counts(std::slice::from_ref(&started)).await.unwrap();
    backend.add_counts(&[started]).await.unwrap();
    let f = store.citizen().figures(now).await.unwrap();
    assert_eq!(f.today_applications, 2);
    assert_eq!(f.hourly.last().unwrap().1, Shown::FewerThan10);
    assert_eq!(f.by_nation.rows, vec![("england".into(), 1), ("wales".into(), 1), ("scotland".into(), 0)]);
    assert_eq!(f.identity_matched, 1);
    assert_eq!(f.journeys_started, 6);
    assert_eq!(f.journeys_completed, 1);
    assert_eq!(f.median_minutes, Some(4));
    assert_eq!(f.repeat_sent, 1);
    assert_eq!(f.councils.len(), 2);
    let (from, to) = crate::performance::window(now);
    let rows = backend.counts_between(from, to, &[Measure::Applications]).await.unwrap();
    assert_eq!(rows.iter().map(|r| r.count).sum::<i64>(), 2, "one row per hour, summed over shards");
    let totals = backend.count_totals(from, to, &[Measure::Council, Measure::Kind]).await.unwrap();
    assert_eq!(totals.len(), 3, "two councils and one kind: {totals:?}");
    assert_eq!(totals.iter().map(|r| r.count).sum::<i64>(), 4);
    let by_day = store.citizen().figures_by_day(now).await.unwrap();
    assert!(by_day.iter().any(|d| d.measure == Measure::JourneysStarted && d.count == 6));
    assert!(by_day.iter().all(|d| d.measure != Measure::Council && d.measure != Measure::Applications));
    assert_eq!(Figures::from_rows(&[], now).today_applications, 0);
}

/// Contact details loaded by operators stay when the shipped reference data
/// (which has none) is loaded again at start-up; an unknown ERO is not counted.
pub async fn contact_details_outlive_reloading_the_reference_data(backend: Arc<dyn Backend>) {
    let _store = seeded(backend.clone()).await;
    let contact = ier_domain::EroContact {
        email: Some("vote@cardiff.example".into()),
        phone: Some("029 2087 2034".into()),
        website: None,
        address: Some("City Hall".into()),
    };
    let cardiff = EroId::parse("cardiff").unwrap();
    let known = backend
        .put_ero_contacts(&[(cardiff.clone(), contact.clone()), (EroId::parse("nowhere").unwrap(), contact.clone())])
        .await
        .unwrap();
    assert_eq!(known, 1);
    backend.put_eros(&[Ero { contact: EroContact::default(), ..ero("cardiff") }]).await.unwrap();
    assert_eq!(backend.ero(&cardiff).await.unwrap().unwrap().contact, contact);
    assert!(backend.eros().await.unwrap().iter().any(|e| e.id == cardiff && e.contact == contact));
}

/// Feedback from the public form: stored once per form however often it is
/// sent, the time to the hour, the comment sealed (not in the row in clear),
/// a page kept only as a path of ours; read back, opened, only by operators.
pub async fn feedback_is_stored_once_sealed_and_to_the_hour(backend: Arc<dyn Backend>) {
    use crate::feedback::{Feedback, FormId, Satisfaction};
    let store = seeded(backend.clone()).await;
    let citizen = store.citizen();
    let (first, second, third) = (FormId::generate(), FormId::generate(), FormId::generate());
    let comment = "The date of birth page was confusing. My name is Rhiannon Price.".to_owned();
    let feedback = Feedback {
        rating: Satisfaction::Dissatisfied,
        comment: comment.clone(),
        page: Some("/register-to-vote/date-of-birth".into()),
    };
    let at = t(47 * 60 + 12);
    assert!(citizen.send_feedback(&first, &feedback, at).await.unwrap());
    // The same form again (a second click, a resent POST): nothing new is stored, the first stands.
    let again = Feedback { rating: Satisfaction::VerySatisfied, ..feedback.clone() };
    assert!(!citizen.send_feedback(&first, &again, at + Duration::seconds(1)).await.unwrap());
    let bare =
        Feedback { rating: Satisfaction::VerySatisfied, comment: "   ".into(), page: Some("//evil.example".into()) };
    assert!(citizen.send_feedback(&second, &bare, at + Duration::hours(2)).await.unwrap());
    let longest =
        Feedback { rating: Satisfaction::Neither, comment: "ŵ".repeat(crate::feedback::MAX_COMMENT), page: None };
    assert!(citizen.send_feedback(&third, &longest, at + Duration::hours(3)).await.unwrap());

    let rows = backend.feedback_since(t(0)).await.unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].received_at, t(0), "to the hour");
    assert_eq!(rows[0].rating, Satisfaction::Dissatisfied);
    let sealed = rows[0].comment.as_ref().expect("a comment");
    let needle = b"Rhiannon";
    assert!(!sealed.blob.windows(needle.len()).any(|w| w == needle), "the comment is sealed");
    assert_eq!(rows[1].comment, None, "an empty comment is not stored");
    assert_eq!(rows[1].page, None, "not a path of ours");

    let read = store.feedback_since(t(0)).await.unwrap();
    assert_eq!(read.len(), 3);
    assert_eq!(read[0].comment, comment);
    assert_eq!(read[0].page.as_deref(), Some("/register-to-vote/date-of-birth"));
    assert_eq!(read[1].rating, Satisfaction::VerySatisfied);
    assert_eq!(read[2].comment.chars().count(), crate::feedback::MAX_COMMENT);
    assert_eq!(store.feedback_since(t(3 * 3600)).await.unwrap().len(), 1, "since an hour");
}

/// Run every job due at `at` on both queues, as if its work were done.
async fn finish_due_jobs(store: &Store, at: DateTime<Utc>) {
    for queue in Queue::ALL {
        let worker = store.worker(queue, "contract-finisher");
        for job in worker.claim(at, std::time::Duration::from_secs(60), 1000).await.unwrap() {
            assert!(worker.complete(&job, at, None, &JobEffects::default()).await.unwrap());
        }
    }
}

pub async fn retention_erases_personal_data_when_due_and_keeps_the_rest(backend: Arc<dyn Backend>) {
    use ier_domain::register_check::RegisterCandidate;
    use ier_domain::retention::Retention;
    let store = seeded(backend.clone()).await;
    let citizen = store.citizen();
    let rules = Retention::current();
    let days = |n: i64| Duration::days(n);
    let decided = citizen.submit(new_app("W06000015", "Decided"), t(0)).await.unwrap().reference;
    let undecided = citizen.submit(new_app("W06000015", "Undecided"), t(0)).await.unwrap().reference;
    let unreceived = citizen.submit(new_app("W06000015", "Unreceived"), t(0)).await.unwrap().reference;
    let overseas =
        NewApplication { details: applicant_of_kind(ApplicationKind::Overseas), ..new_app("W06000015", "Abroad") };
    let owed = citizen.submit(overseas, t(0)).await.unwrap().reference;
    let c = store.for_ero(id("cardiff"));
    let received = [(decided, true, None), (undecided, true, Some("Llwyth 7".to_owned())), (owed, true, None)];
    c.confirm_receipts(t(1), &received).await.unwrap();
    let reasons = vec![ReasonCode::parse("identity-not-confirmed").unwrap()];
    c.determine(&decided, t(2), Determination::Rejected, &reasons).await.unwrap();
    c.determine(&undecided, t(2), Determination::EvidenceRequested, &reasons).await.unwrap();
    c.determine(&owed, t(2), Determination::Approved, &[]).await.unwrap();
    let candidate = RegisterCandidate {
        ems_elector_id: "CDF-1".into(),
        given_name: "SIAN".into(),
        surname: "DECIDED".into(),
        date_of_birth: None,
        uprn: None,
        property: None,
        street: "High Street".into(),
        postcode: "CF10 1EP".into(),
        franchise_code: "G".into(),
        registered_from: None,
        registered_until: None,
    };
    let (check, _) =
        c.pending_register_checks(10).await.unwrap().into_iter().find(|(_, a)| a.reference == decided).unwrap();
    let today = t(3).date_naive();
    c.answer_register_check(&check.id, t(3), today, 1, vec![candidate]).await.unwrap().unwrap();
    // Every message is sent but the overseas elector's renewal reminder (due in 2029).
    finish_due_jobs(&store, t(4)).await;
    let found_before = citizen.find_applicant(&applicant("Decided", "CF10 1EP")).await.unwrap();
    assert!(found_before.iter().any(|f| f.found.subject == decided.as_str()), "in the person index");

    let none = store.run_retention(rules, t(2) + days(27), 100, false).await.unwrap();
    assert_eq!(none.applications_total(), 0, "27 days after the decision: nothing yet");
    let at = t(2) + days(29);
    let dry = store.run_retention(rules, at, 100, true).await.unwrap();
    assert_eq!(dry.applications, [(id("cardiff"), 1)].into_iter().collect());
    assert!(c.application(&decided).await.unwrap().is_some(), "a dry run changes nothing");
    let report = store.run_retention(rules, at, 100, false).await.unwrap();
    assert_eq!(report, dry, "the dry run said what the run did");

    // Erased: nothing personal can be read back, by anyone.
    assert!(matches!(c.application(&decided).await, Err(StorageError::Erased)));
    assert!(matches!(c.application_with_progress(&decided).await, Err(StorageError::Erased)));
    assert!(matches!(c.register_check(&check.id).await, Err(StorageError::Erased)));
    let dob = DateOfBirth::parse("14", "3", "1990", t(0).date_naive()).unwrap();
    assert_eq!(citizen.status(&decided, dob).await.unwrap(), None, "the same answer as a wrong date of birth");
    let again = c.determine(&decided, at, Determination::Approved, &[]).await.unwrap_err();
    assert!(matches!(again, StorageError::Erased), "{again}");
    let row = backend.application(&id("cardiff"), &decided).await.unwrap().unwrap();
    assert!(row.details.blob.is_empty() && row.details.key_id.is_empty(), "the sealed details are gone");
    assert_eq!(row.progress.erased_at, Some(at));
    // What stays holds no personal data: stage, dates, the determination, the events.
    assert_eq!(row.stage, Stage::Determined);
    assert_eq!(row.progress.determination.map(|d| d.determination), Some(Determination::Rejected));
    let (_, _, candidates) = backend.register_check(&id("cardiff"), &check.id).await.unwrap().unwrap();
    assert_eq!(candidates, None, "the register's candidates are gone");
    let events = c.events(&decided).await.unwrap();
    assert_eq!(events.last().map(|e| (&e.kind, e.at)), Some((&EventKind::Erased, at)));
    assert!(events.iter().any(|e| matches!(e.kind, EventKind::Determined { .. })));
    let found = citizen.find_applicant(&applicant("Decided", "CF10 1EP")).await.unwrap();
    assert!(!found.iter().any(|f| f.found.subject == decided.as_str()), "out of the person index");
    // Listing goes on past it.
    let listed = c.applications(None, 10).await.unwrap();
    assert_eq!(listed.iter().map(|l| l.reference()).collect::<Vec<_>>(), vec![decided, undecided, unreceived, owed]);
    assert_eq!(listed[0], crate::Listed::Erased { reference: decided, at });
    assert_eq!(store.run_retention(rules, at, 100, false).await.unwrap().applications_total(), 0, "once");

    // A year after receipt, one the ERO never finally decided goes too; one its EMS never
    // confirmed stays (the ERO has not got it), and so does one a message is still owed about.
    let year = t(1) + days(366);
    let report = store.run_retention(rules, year, 100, false).await.unwrap();
    assert_eq!(report.applications, [(id("cardiff"), 1)].into_iter().collect());
    assert!(matches!(c.application(&undecided).await, Err(StorageError::Erased)));
    let (_, progress) =
        backend.application(&id("cardiff"), &undecided).await.unwrap().map(|r| ((), r.progress)).unwrap();
    assert_eq!(progress.receipt_message, None, "the EMS's message is gone");
    assert!(c.application(&unreceived).await.unwrap().is_some());
    assert!(c.application(&owed).await.unwrap().is_some());
    assert!(
        c.pending_register_checks(10).await.unwrap().iter().all(|(_, a)| a.reference != undecided),
        "an erased application's check is no longer asked"
    );
    // Once the reminder is sent, the overseas elector's application goes at the next run.
    let reminder = t(0) + days(3 * 365 + 30);
    finish_due_jobs(&store, reminder).await;
    let report = store.run_retention(rules, reminder, 100, false).await.unwrap();
    assert_eq!(report.applications_total(), 1);
    assert!(matches!(c.application(&owed).await, Err(StorageError::Erased)));
    assert!(c.application(&unreceived).await.unwrap().is_some(), "never before its EMS has it");
}

pub async fn retention_runs_at_once_erase_each_application_once(backend: Arc<dyn Backend>) {
    use ier_domain::retention::Retention;
    let store = seeded(backend.clone()).await;
    let other = seeded(backend).await;
    let mut refs = Vec::new();
    for i in 0..23 {
        let gss = if i % 2 == 0 { "W06000015" } else { "E09000033" };
        refs.push((gss, store.citizen().submit(new_app(gss, "Many"), t(i)).await.unwrap().reference));
    }
    for (gss, r) in &refs {
        let ero = if *gss == "W06000015" { id("cardiff") } else { id("westminster") };
        let s = store.for_ero(ero);
        s.confirm_receipts(t(100), &[(*r, true, None)]).await.unwrap();
        s.determine(r, t(101), Determination::Approved, &[]).await.unwrap();
    }
    finish_due_jobs(&store, t(200)).await;
    let at = t(200) + Duration::days(40);
    let rules = Retention::current();
    let (a, b) = tokio::join!(store.run_retention(rules, at, 3, false), other.run_retention(rules, at, 3, false));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.applications_total() + b.applications_total(), 23, "{a:?} {b:?}");
    assert_eq!(a.applications.get(&id("cardiff")).unwrap_or(&0) + b.applications.get(&id("cardiff")).unwrap_or(&0), 12);
    for (gss, r) in &refs {
        let ero = if *gss == "W06000015" { id("cardiff") } else { id("westminster") };
        let events = store.for_ero(ero).events(r).await.unwrap();
        assert_eq!(events.iter().filter(|e| e.kind == EventKind::Erased).count(), 1, "erased once");
    }
}

pub async fn feedback_comments_are_deleted_after_their_time(backend: Arc<dyn Backend>) {
    use crate::feedback::{Feedback, FormId, Satisfaction};
    use ier_domain::retention::Retention;
    let store = seeded(backend.clone()).await;
    let citizen = store.citizen();
    let said = |c: &str| Feedback { rating: Satisfaction::Satisfied, comment: c.into(), page: None };
    citizen.send_feedback(&FormId::generate(), &said("Old, by Rhiannon Price"), t(0)).await.unwrap();
    citizen.send_feedback(&FormId::generate(), &said(""), t(0)).await.unwrap();
    citizen.send_feedback(&FormId::generate(), &said("Newer"), t(0) + Duration::days(200)).await.unwrap();
    let rules = Retention::current();
    let at = t(0) + Duration::days(366);
    assert_eq!(store.run_retention(rules, at, 1, true).await.unwrap().feedback_comments, 1);
    assert_eq!(store.run_retention(rules, at, 1, false).await.unwrap().feedback_comments, 1);
    let rows = store.feedback_since(t(0) - Duration::days(1)).await.unwrap();
    assert_eq!(rows.len(), 3, "the ratings stay");
    assert_eq!(rows.iter().map(|r| r.comment.as_str()).collect::<Vec<_>>(), vec!["", "", "Newer"]);
    assert_eq!(store.run_retention(rules, at, 1, false).await.unwrap().feedback_comments, 0);
}

// --- Data matching runs ---------------------------------------------------------------------

fn person(given: &str, surname: &str) -> crate::matching::Person {
    crate::matching::Person {
        given_name: given.into(),
        surname: surname.into(),
        address_lines: vec!["1 High Street".into()],
        postcode: "CF10 1EP".into(),
        ..Default::default()
    }
}

fn results(numbers: &[(&str, Option<crate::matching::Level>, u32)]) -> Vec<crate::matching::ElectorResult> {
    numbers
        .iter()
        .map(|(n, level, property)| crate::matching::ElectorResult {
            number: (*n).into(),
            level: *level,
            probability: level.map(|_| 0.995),
            property: Some(*property),
        })
        .collect()
}

/// A run goes uploading → queued → matching → matched, its electors sealed, counted and
/// replaced by number; results page in number order; a property is route 1 only when every
/// elector matched; local data then matches the rest. Another ERO finds none of it.
pub async fn a_matching_run_goes_through_its_states_and_stays_with_its_ero(backend: Arc<dyn Backend>) {
    use crate::matching::{Against, Level, Purpose, Route, RunState};
    let store = seeded(backend.clone()).await;
    let (c, w) = (store.for_ero(id("cardiff")), store.for_ero(id("westminster")));
    let run = c.create_matching_run(Purpose::Canvass, t(0)).await.unwrap();
    assert_eq!(run.state, RunState::Uploading);
    assert!(matches!(c.queue_match(&run.id, Against::Dwp, t(1)).await, Err(StorageError::Conflict(_))), "no electors");
    let page = [("C-3", person("Ann", "Jones")), ("C-1", person("Bob", "Jones")), ("C-2", person("Cy", "Evans"))];
    let page: Vec<(String, _)> = page.into_iter().map(|(n, p)| (n.to_owned(), p)).collect();
    assert_eq!(c.add_run_electors(&run.id, &page).await.unwrap(), 3);
    let again = vec![
        ("C-1".to_owned(), person("Bobby", "Jones")),
        ("C-4".to_owned(), person("Di", "Lewis")),
        ("C-4".to_owned(), person("Dai", "Lewis")),
    ];
    assert_eq!(c.add_run_electors(&run.id, &again).await.unwrap(), 4, "replaced by number, the last of a page stands");
    assert_eq!(c.add_run_electors(&run.id, &again).await.unwrap(), 4, "a page sent again counts once");
    // Another ERO: nothing.
    assert_eq!(w.matching_run(&run.id).await.unwrap(), None);
    assert!(w.matching_runs(10).await.unwrap().is_empty());
    assert!(matches!(w.add_run_electors(&run.id, &page).await, Err(StorageError::NotFound)));
    assert!(matches!(w.queue_match(&run.id, Against::Dwp, t(1)).await, Err(StorageError::NotFound)));
    assert!(!w.delete_matching_run(&run.id).await.unwrap());
    assert!(matches!(c.queue_match(&run.id, Against::LocalData, t(1)).await, Err(StorageError::Conflict(_))));
    let queued = c.queue_match(&run.id, Against::Dwp, t(1)).await.unwrap();
    assert_eq!((queued.state, queued.against), (RunState::Queued, Some(Against::Dwp)));
    assert!(matches!(c.add_run_electors(&run.id, &page).await, Err(StorageError::Conflict(_))));
    // A worker claims it; another finds nothing.
    let worker = store.matching_worker("w1");
    let claimed = worker.claim(t(2), std::time::Duration::from_secs(300)).await.unwrap().unwrap();
    assert_eq!((claimed.id.clone(), claimed.state, claimed.attempts), (run.id.clone(), RunState::Matching, 1));
    assert!(store.matching_worker("w2").claim(t(2), std::time::Duration::from_secs(300)).await.unwrap().is_none());
    let mut electors = worker.electors(&run.id).await.unwrap();
    electors.sort_by(|a, b| a.0.cmp(&b.0));
    let names: Vec<(&str, &str, bool)> =
        electors.iter().map(|(n, p, m)| (n.as_str(), p.given_name.as_str(), *m)).collect();
    assert_eq!(
        names,
        vec![("C-1", "Bobby", false), ("C-2", "Cy", false), ("C-3", "Ann", false), ("C-4", "Dai", false)]
    );
    assert!(worker.progress(&run.id, 2, 4, std::time::Duration::from_secs(300)).await.unwrap());
    let during = c.matching_run(&run.id).await.unwrap().unwrap();
    assert_eq!((during.done, during.total), (2, 4));
    let dwp = results(&[
        ("C-1", Some(Level::Strong), 1),
        ("C-2", None, 2),
        ("C-3", Some(Level::Likely), 1),
        ("C-4", Some(Level::Strong), 2),
    ]);
    assert!(worker.put_results(&run.id, Against::Dwp, dwp).await.unwrap());
    assert!(worker.finish(&run.id, t(3), None).await.unwrap());
    let matched = c.matching_run(&run.id).await.unwrap().unwrap();
    assert_eq!(
        (matched.state, matched.dwp_matched_at, matched.finished_at),
        (RunState::Matched, Some(t(3)), Some(t(3)))
    );
    // Results page in number order.
    let first = c.match_results(&run.id, None, 3).await.unwrap();
    let numbers: Vec<&str> = first.iter().map(|r| r.number.as_str()).collect();
    assert_eq!(numbers, vec!["C-1", "C-2", "C-3"]);
    let rest = c.match_results(&run.id, Some("C-3"), 3).await.unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].number, "C-4");
    assert!(first[0].matched() && !first[1].matched());
    assert!(w.match_results(&run.id, None, 10).await.unwrap().is_empty());
    // Properties: 1 is route 1 (both matched), 2 is route 2 (C-2 did not match).
    let props = c.match_properties(&run.id, 0, 10).await.unwrap();
    let routes: Vec<(u32, Vec<&str>, u32, Route)> = props
        .iter()
        .map(|p| (p.property, p.electors.iter().map(String::as_str).collect(), p.matched, p.route()))
        .collect();
    assert_eq!(routes, vec![(1, vec!["C-1", "C-3"], 2, Route::Route1), (2, vec!["C-2", "C-4"], 1, Route::Route2)]);
    assert_eq!(c.match_properties(&run.id, 1, 1).await.unwrap()[0].property, 2, "a page is a range of numbers");
    // Local data matches C-2: property 2 goes to route 1.
    let local = [person("Cy", "Evans"), person("Eve", "Price")];
    assert_eq!(c.add_local_records(&run.id, &local).await.unwrap(), (2, 2));
    assert_eq!(c.add_local_records(&run.id, &local).await.unwrap(), (0, 2), "a repeated upload stores nothing twice");
    c.queue_match(&run.id, Against::LocalData, t(4)).await.unwrap();
    let claimed = worker.claim(t(5), std::time::Duration::from_secs(300)).await.unwrap().unwrap();
    assert_eq!(claimed.against, Some(Against::LocalData));
    let flags: Vec<bool> = {
        let mut e = worker.electors(&run.id).await.unwrap();
        e.sort_by(|a, b| a.0.cmp(&b.0));
        e.iter().map(|x| x.2).collect()
    };
    assert_eq!(flags, vec![true, false, true, true], "which electors DWP matched");
    let local = worker.local_records(&run.id).await.unwrap();
    let mut surnames: Vec<&str> = local.iter().map(|p| p.surname.as_str()).collect();
    surnames.sort();
    assert_eq!(surnames, vec!["Evans", "Price"]);
    let local_results = vec![crate::matching::ElectorResult {
        number: "C-2".into(),
        level: Some(Level::Strong),
        probability: Some(0.999),
        property: None,
    }];
    assert!(worker.put_results(&run.id, Against::LocalData, local_results).await.unwrap());
    assert!(worker.finish(&run.id, t(6), None).await.unwrap());
    let props = c.match_properties(&run.id, 0, 10).await.unwrap();
    assert!(props.iter().all(|p| p.route() == Route::Route1), "{props:?}");
    let c2 = &c.match_results(&run.id, Some("C-1"), 1).await.unwrap()[0];
    assert_eq!((c2.dwp.unwrap().level, c2.local.unwrap().level, c2.property), (None, Some(Level::Strong), Some(2)));
    let worker2 = store.matching_worker("w3");
    assert!(matches!(worker2.electors(&run.id).await, Err(StorageError::Conflict(_))), "only the lease holder reads");
    assert!(c.delete_matching_run(&run.id).await.unwrap());
    assert_eq!(c.matching_run(&run.id).await.unwrap(), None);
    // An ERO holds at most so many runs at once; another ERO is not affected.
    for _ in 0..crate::matching::MAX_RUNS_PER_ERO {
        c.create_matching_run(Purpose::Canvass, t(7)).await.unwrap();
    }
    assert!(matches!(c.create_matching_run(Purpose::Canvass, t(7)).await, Err(StorageError::Conflict(_))));
    w.create_matching_run(Purpose::Canvass, t(7)).await.unwrap();
}

/// A lease that runs out returns the run to the queue; the first worker can no longer
/// write; an attempt that fails queues it again, until the third fails it.
pub async fn an_expired_matching_lease_returns_the_run_and_three_failures_fail_it(backend: Arc<dyn Backend>) {
    use crate::matching::{Against, Purpose, RunState};
    let store = seeded(backend.clone()).await;
    let c = store.for_ero(id("cardiff"));
    let run = c.create_matching_run(Purpose::Confirmation, t(0)).await.unwrap();
    c.add_run_electors(&run.id, &[("1".to_owned(), person("Ann", "Jones"))]).await.unwrap();
    c.queue_match(&run.id, Against::Dwp, t(1)).await.unwrap();
    let until = |s: i64| t(s);
    let first = backend.claim_matching_run("w1", t(2), until(3)).await.unwrap().unwrap();
    assert_eq!(first.attempts, 1);
    assert!(backend.claim_matching_run("w2", t(2), until(10)).await.unwrap().is_none(), "leased");
    let second = backend.claim_matching_run("w2", t(4), until(100)).await.unwrap().unwrap();
    assert_eq!((second.id, second.attempts), (run.id.clone(), 2));
    assert!(!backend.matching_progress(&run.id, "w1", 1, 1, until(200)).await.unwrap());
    let (chunks, properties) = crate::matching::chunks(Vec::new());
    assert!(!backend.put_match_results(&run.id, "w1", &chunks, &properties).await.unwrap());
    assert!(!backend.finish_match(&run.id, "w1", t(5), None).await.unwrap());
    assert!(backend.finish_match(&run.id, "w2", t(5), Some("the DWP reference is not available")).await.unwrap());
    let again = c.matching_run(&run.id).await.unwrap().unwrap();
    assert_eq!((again.state, again.error.as_deref()), (RunState::Queued, Some("the DWP reference is not available")));
    backend.claim_matching_run("w3", t(6), until(100)).await.unwrap().unwrap();
    assert!(backend.finish_match(&run.id, "w3", t(7), Some("again")).await.unwrap());
    assert_eq!(c.matching_run(&run.id).await.unwrap().unwrap().state, RunState::Failed);
    assert!(backend.claim_matching_run("w4", t(8), until(100)).await.unwrap().is_none(), "a failed run is not claimed");
}

/// Runs are deleted whole under the retention periods: 28 days after their last match, 7
/// days after creation when none finished, never while queued; a dry run only counts.
pub async fn matching_runs_are_deleted_whole_when_due(backend: Arc<dyn Backend>) {
    use crate::matching::{Against, Purpose};
    use ier_domain::retention::Retention;
    let store = seeded(backend.clone()).await;
    let c = store.for_ero(id("cardiff"));
    let rules = Retention::current();
    let day = |n: i64| t(0) + Duration::days(n);
    let matched = c.create_matching_run(Purpose::Canvass, day(0)).await.unwrap();
    c.add_run_electors(&matched.id, &[("1".to_owned(), person("Ann", "Jones"))]).await.unwrap();
    c.add_local_records(&matched.id, &[person("Ann", "Jones")]).await.unwrap();
    c.queue_match(&matched.id, Against::Dwp, day(0)).await.unwrap();
    let worker = store.matching_worker("w");
    worker.claim(day(0), std::time::Duration::from_secs(60)).await.unwrap().unwrap();
    worker.put_results(&matched.id, Against::Dwp, results(&[("1", None, 1)])).await.unwrap();
    assert!(worker.finish(&matched.id, day(1), None).await.unwrap());
    let abandoned = c.create_matching_run(Purpose::Canvass, day(0)).await.unwrap();
    c.add_run_electors(&abandoned.id, &[("1".to_owned(), person("Bob", "Jones"))]).await.unwrap();
    let waiting = c.create_matching_run(Purpose::Canvass, day(0)).await.unwrap();
    c.add_run_electors(&waiting.id, &[("1".to_owned(), person("Cy", "Jones"))]).await.unwrap();
    c.queue_match(&waiting.id, Against::Dwp, day(0)).await.unwrap();
    let run_at = |n: i64| store.run_retention(rules, day(n), 100, false);
    // Day 6: nothing due.
    assert!(run_at(6).await.unwrap().matching_runs.is_empty());
    // Day 8: the abandoned upload (7 days), not the matched run (28 days after day 1) nor the queued one.
    let dry = store.run_retention(rules, day(8), 100, true).await.unwrap();
    assert_eq!(dry.matching_runs.get(&id("cardiff")), Some(&1));
    assert!(c.matching_run(&abandoned.id).await.unwrap().is_some(), "a dry run deletes nothing");
    assert_eq!(run_at(8).await.unwrap().matching_runs.get(&id("cardiff")), Some(&1));
    assert!(c.matching_run(&abandoned.id).await.unwrap().is_none());
    assert!(c.matching_run(&matched.id).await.unwrap().is_some());
    // Day 30: the matched run too (day 1 + 28 = day 29); the queued one stays.
    assert_eq!(run_at(30).await.unwrap().matching_runs.get(&id("cardiff")), Some(&1));
    assert!(c.matching_run(&matched.id).await.unwrap().is_none());
    assert!(c.matching_run(&waiting.id).await.unwrap().is_some(), "never while queued");
    assert!(c.match_results(&matched.id, None, 10).await.unwrap().is_empty(), "its results went with it");
}

/// Two instances (two backends on one database) taking one run's pages in turn, as behind
/// a load balancer: each compares a new page with every page stored before it, whichever
/// instance stored it, and forgets pages the other has since replaced.
pub async fn two_instances_take_one_runs_pages(a: Arc<dyn Backend>, b: Arc<dyn Backend>) {
    use crate::matching::{Against, Purpose};
    seeded(a.clone()).await;
    let keys = DataKeys::generate("test-key");
    let one = Store::new(a, DataKeys::parse(&keys).unwrap());
    let two = Store::new(b, DataKeys::parse(&keys).unwrap());
    let (c1, c2) = (one.for_ero(id("cardiff")), two.for_ero(id("cardiff")));
    let run = c1.create_matching_run(Purpose::Confirmation, t(0)).await.unwrap();
    let page = |range: std::ops::Range<usize>, given: &str| -> Vec<(String, crate::matching::Person)> {
        range.map(|i| (format!("E{i:04}"), person(given, "Jones"))).collect()
    };
    assert_eq!(c1.add_run_electors(&run.id, &page(0..100, "Ann")).await.unwrap(), 100);
    assert_eq!(c2.add_run_electors(&run.id, &page(100..200, "Bob")).await.unwrap(), 200);
    assert_eq!(c1.add_run_electors(&run.id, &page(50..150, "Cy")).await.unwrap(), 200, "one reads two's page");
    // Bob's page sent again through two: it replaces Bob's page (nothing of it is left).
    assert_eq!(c2.add_run_electors(&run.id, &page(100..200, "Di")).await.unwrap(), 200);
    // One still remembers Bob's page, which two has deleted, and has not seen Di's.
    assert_eq!(c1.add_run_electors(&run.id, &page(0..100, "Ed")).await.unwrap(), 200);
    assert_eq!(c2.add_run_electors(&run.id, &page(200..210, "Flo")).await.unwrap(), 210);
    c2.queue_match(&run.id, Against::Dwp, t(1)).await.unwrap();
    let worker = one.matching_worker("w");
    worker.claim(t(2), std::time::Duration::from_secs(300)).await.unwrap().unwrap();
    let electors = worker.electors(&run.id).await.unwrap();
    assert_eq!(electors.len(), 210, "each number once");
    let given = |num: &str| electors.iter().find(|e| e.0 == num).map(|e| e.1.given_name.clone()).unwrap();
    assert_eq!(
        (given("E0000"), given("E0099"), given("E0100"), given("E0149"), given("E0199"), given("E0200")),
        ("Ed".into(), "Ed".into(), "Di".into(), "Di".into(), "Di".into(), "Flo".into())
    );
}

/// Pages of electors are kept whole and sealed: numbers sent again in a later page (out of
/// order, overlapping) count once and the later elector stands; results and properties
/// page correctly across their chunks of 10,000, and a local data match keeps DWP's results.
pub async fn a_matching_runs_pages_and_results_hold_across_their_chunks(backend: Arc<dyn Backend>) {
    use crate::matching::{Against, CHUNK, ElectorResult, Level, Purpose};
    let store = seeded(backend.clone()).await;
    let c = store.for_ero(id("cardiff"));
    let run = c.create_matching_run(Purpose::Confirmation, t(0)).await.unwrap();
    let n = 2 * CHUNK + 5_001;
    let number = |i: usize| format!("E{i:06}");
    let page = |range: std::ops::Range<usize>, given: &str| -> Vec<(String, crate::matching::Person)> {
        range.map(|i| (number(i), person(given, "Jones"))).collect()
    };
    // Out of order, and the third page overlaps the first two.
    assert_eq!(c.add_run_electors(&run.id, &page(10_000..n, "Ann")).await.unwrap(), (n - 10_000) as u64);
    assert_eq!(c.add_run_electors(&run.id, &page(0..10_000, "Bob")).await.unwrap(), n as u64);
    assert_eq!(c.add_run_electors(&run.id, &page(9_990..10_010, "Cy")).await.unwrap(), n as u64, "all held already");
    c.queue_match(&run.id, Against::Dwp, t(1)).await.unwrap();
    let worker = store.matching_worker("w");
    worker.claim(t(2), std::time::Duration::from_secs(300)).await.unwrap().unwrap();
    let electors = worker.electors(&run.id).await.unwrap();
    assert_eq!(electors.len(), n, "each number once");
    let given = |num: &str| electors.iter().find(|e| e.0 == num).map(|e| e.1.given_name.clone()).unwrap();
    assert_eq!(
        (given("E009989"), given("E009990"), given("E010009"), given("E010010")),
        ("Bob".into(), "Cy".into(), "Cy".into(), "Ann".into())
    );
    // Results: every third matched; properties of two electors each.
    let dwp: Vec<ElectorResult> = (0..n)
        .rev()
        .map(|i| ElectorResult {
            number: number(i),
            level: (i % 3 == 0).then_some(Level::Strong),
            probability: (i % 3 == 0).then_some(0.999),
            property: Some((i / 2) as u32 + 1),
        })
        .collect();
    assert!(worker.put_results(&run.id, Against::Dwp, dwp).await.unwrap());
    assert!(worker.finish(&run.id, t(3), None).await.unwrap());
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = c.match_results(&run.id, after.as_deref(), 7_001).await.unwrap();
        if page.is_empty() {
            break;
        }
        after = page.last().map(|r| r.number.clone());
        seen.extend(page);
    }
    assert_eq!(seen.len(), n);
    assert!(seen.windows(2).all(|w| w[0].number < w[1].number), "in number order, none twice");
    assert_eq!(seen.iter().filter(|r| r.matched()).count(), n.div_ceil(3));
    assert!(c.match_results(&run.id, Some("E010000"), 1).await.unwrap()[0].number == "E010001");
    let properties = n.div_ceil(2) as u32;
    let last = c.match_properties(&run.id, properties - 2, 10_000).await.unwrap();
    assert_eq!(last.iter().map(|p| p.property).collect::<Vec<_>>(), vec![properties - 1, properties]);
    let across = c.match_properties(&run.id, CHUNK as u32 - 2, 4).await.unwrap();
    assert_eq!(
        across.iter().map(|p| p.property).collect::<Vec<_>>(),
        (CHUNK as u32 - 1..=CHUNK as u32 + 2).collect::<Vec<_>>()
    );
    assert!(across.iter().all(|p| p.electors.len() == 2 && p.matched <= 1));
    // Another ERO reads nothing.
    assert!(store.for_ero(id("westminster")).match_results(&run.id, None, 10).await.unwrap().is_empty());
    assert!(store.for_ero(id("westminster")).match_properties(&run.id, 0, 10).await.unwrap().is_empty());
    // A local data match of one elector keeps everyone's DWP results and properties.
    c.add_local_records(&run.id, &[person("Bob", "Jones")]).await.unwrap();
    c.queue_match(&run.id, Against::LocalData, t(4)).await.unwrap();
    worker.claim(t(5), std::time::Duration::from_secs(300)).await.unwrap().unwrap();
    let flags = worker.electors(&run.id).await.unwrap();
    assert_eq!(flags.iter().filter(|e| e.2).count(), n.div_ceil(3), "which electors DWP matched");
    let local =
        [ElectorResult { number: number(1), level: Some(Level::Likely), probability: Some(0.95), property: None }];
    assert!(worker.put_results(&run.id, Against::LocalData, local.to_vec()).await.unwrap());
    assert!(worker.finish(&run.id, t(6), None).await.unwrap());
    let first = c.match_properties(&run.id, 0, 1).await.unwrap();
    assert_eq!((first[0].electors.len(), first[0].matched), (2, 2));
    let e1 = &c.match_results(&run.id, Some("E000000"), 1).await.unwrap()[0];
    assert_eq!((e1.number.as_str(), e1.property, e1.local.unwrap().level), ("E000001", Some(1), Some(Level::Likely)));
    assert_eq!(c.match_results(&run.id, None, 1).await.unwrap()[0].dwp.unwrap().level, Some(Level::Strong));
}

pub async fn staff_sign_in_takes_a_second_factor_locks_after_guesses_and_sessions_end(backend: Arc<dyn Backend>) {
    use crate::staff::*;
    use secrecy::SecretString;
    let store = seeded(backend).await;
    let staff = store.staff();
    let pw = || SecretString::from("a long enough passphrase".to_owned());
    let name = Username::parse("Officer@Cardiff.example").unwrap();
    let enrolled = staff.add(&id("cardiff"), name.clone(), Role::Officer, pw(), t(0)).await.unwrap();
    assert_eq!(enrolled.recovery_codes.len(), RECOVERY_CODES);
    let taken = staff.add(&id("westminster"), name, Role::Viewer, pw(), t(0)).await.unwrap_err();
    assert!(matches!(taken, StorageError::Duplicate), "{taken}");
    let b = Username::parse("b@cardiff.example").unwrap();
    let short = staff.add(&id("cardiff"), b, Role::Viewer, SecretString::from("short".to_owned()), t(0)).await;
    assert!(matches!(short.unwrap_err(), StorageError::Conflict(_)));
    let secret = data_encoding::BASE32_NOPAD.decode(enrolled.secret.as_bytes()).unwrap();
    let code_at = |at: DateTime<Utc>| format!("{:06}", totp(&secret, totp_step(at)));

    // The password, then a code: a session whose account is this ERO's.
    let step = staff.password("officer@cardiff.example", pw(), t(10)).await.unwrap();
    assert_eq!(step, PasswordStep::Right(enrolled.id.clone()));
    let CodeStep::SignedIn(signed) = staff.code(&enrolled.id, &code_at(t(10)), t(10)).await.unwrap() else {
        panic!("the right code signs in")
    };
    assert_eq!(signed.staff.ero, id("cardiff"));
    assert_eq!(staff.ero_store(&signed).ero_id(), &id("cardiff"));
    let token = secrecy::ExposeSecret::expose_secret(signed.token.as_ref().unwrap()).to_owned();
    let again = staff.session(&token, t(60)).await.unwrap().expect("a live session");
    assert_eq!(again.csrf, signed.csrf);
    // The same code again is refused (used once), and counts as a wrong try.
    assert!(matches!(staff.code(&enrolled.id, &code_at(t(10)), t(20)).await.unwrap(), CodeStep::Wrong));
    // Idle for longer than allowed: the session has ended.
    let idle = t(60) + Duration::minutes(SESSION_IDLE_MINUTES) + Duration::seconds(1);
    assert!(staff.session(&token, idle).await.unwrap().is_none());
    assert!(staff.session("not-a-token", t(61)).await.unwrap().is_none());

    // A recovery code works once, read leniently.
    let code = enrolled.recovery_codes[0].to_lowercase().replace('-', " ");
    let CodeStep::SignedIn(by_recovery) = staff.code(&enrolled.id, &code, t(100)).await.unwrap() else {
        panic!("a recovery code signs in")
    };
    assert!(matches!(staff.code(&enrolled.id, &code, t(101)).await.unwrap(), CodeStep::Wrong));
    // Signing out ends the session.
    let token2 = secrecy::ExposeSecret::expose_secret(by_recovery.token.as_ref().unwrap()).to_owned();
    assert!(staff.session(&token2, t(102)).await.unwrap().is_some());
    staff.sign_out(&token2).await.unwrap();
    assert!(staff.session(&token2, t(103)).await.unwrap().is_none());

    // Guessing: wrong passwords sent at once all count, and lock the account; then even the
    // right password is refused until the lock ends. Unknown usernames are just wrong.
    let wrong = || SecretString::from("a wrong passphrase!".to_owned());
    let mut guesses = tokio::task::JoinSet::new();
    for _ in 0..MAX_FAILURES {
        let staff = staff.clone();
        guesses.spawn(async move { staff.password("officer@cardiff.example", wrong(), t(200)).await });
    }
    let answers: Vec<_> = guesses.join_all().await;
    assert!(answers.iter().any(|a| matches!(a, Ok(PasswordStep::Locked(_)))), "{answers:?}");
    assert!(matches!(staff.password("officer@cardiff.example", pw(), t(201)).await.unwrap(), PasswordStep::Locked(_)));
    let later = t(201) + Duration::minutes(LOCK_MINUTES);
    assert!(matches!(staff.password("officer@cardiff.example", pw(), later).await.unwrap(), PasswordStep::Right(_)));
    assert_eq!(staff.password("nobody@cardiff.example", pw(), later).await.unwrap(), PasswordStep::Wrong);
    assert_eq!(staff.members(&id("cardiff")).await.unwrap().len(), 1);
    assert!(staff.members(&id("westminster")).await.unwrap().is_empty());
}

pub async fn evidence_is_asked_for_sent_once_and_seen_only_by_its_ero(backend: Arc<dyn Backend>) {
    use crate::evidence::*;
    use ier_domain::evidence::DocumentKind;
    let store = seeded(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let files: Arc<dyn FileStore> = Arc::new(DirFileStore::new(dir.path()).unwrap());
    let r = store.citizen().submit(new_app("W06000015", "Evidenced"), t(0)).await.unwrap().reference;
    let c = store.for_ero(id("cardiff"));
    let passport = DocumentKind::parse("passport").unwrap();
    let reasons = vec![ReasonCode::parse("identity-not-confirmed").unwrap()];
    // Not before the EMS has it (one state machine with the EMS's determinations).
    let early = c.ask_for_evidence(&r, vec![passport], false, &reasons, t(1)).await.unwrap_err();
    assert!(matches!(early, StorageError::Conflict(_)), "{early}");
    c.confirm_receipts(t(2), &[(r, true, None)]).await.unwrap();
    let theirs = store.for_ero(id("westminster")).ask_for_evidence(&r, vec![passport], false, &reasons, t(3)).await;
    assert!(matches!(theirs.unwrap_err(), StorageError::NotFound));
    let request = c.ask_for_evidence(&r, vec![passport], false, &reasons, t(3)).await.unwrap();
    let (_, p) = c.application_with_progress(&r).await.unwrap().unwrap();
    assert_eq!(p.determination.map(|d| d.determination), Some(Determination::EvidenceRequested));
    // The link: the id alone, or a changed digest, opens nothing.
    let token = store.evidence_token(&request);
    assert!(store.evidence_request_id(request.as_str()).is_none());
    let mut forged = token.clone();
    forged.pop();
    forged.push(if token.ends_with('0') { '1' } else { '0' });
    assert!(store.evidence_request_id(&forged).is_none());
    let inbox = store.evidence_inbox(files.clone());
    let row = inbox.request(&token).await.unwrap().expect("the link opens its request");
    assert_eq!((row.reference, row.documents.clone()), (r, vec![passport]));
    assert!(row.open(t(4)) && !row.open(t(4) + Duration::days(LINK_DAYS)));
    let file = |b: &[u8]| CheckedFile { document: passport, content_type: "application/pdf", bytes: b.to_vec() };
    inbox.send(&row, vec![file(b"%PDF-1.4 first")], t(5)).await.unwrap();
    // Used once: a second sending (a replayed form, a second tab) stores nothing.
    let twice = inbox.send(&row, vec![file(b"%PDF-1.4 second")], t(6)).await.unwrap_err();
    assert!(matches!(twice, StorageError::Conflict(_)), "{twice}");
    let sent = c.evidence_files(&r).await.unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "the refused file's bytes are removed");
    let (meta, bytes) = c.evidence_file(files.as_ref(), &r, &sent[0].id).await.unwrap().unwrap();
    assert_eq!((bytes.as_slice(), meta.size), (&b"%PDF-1.4 first"[..], 14));
    // Encrypted at rest: the bytes on disk are not the file's.
    let on_disk = std::fs::read(dir.path().join(sent[0].id.as_str())).unwrap();
    assert!(!on_disk.windows(5).any(|w| w == b"first"));
    // Another ERO sees none of it.
    let w = store.for_ero(id("westminster"));
    assert!(w.evidence_files(&r).await.unwrap().is_empty());
    assert!(w.evidence_requests(&r).await.unwrap().is_empty());
    assert!(w.evidence_file(files.as_ref(), &r, &sent[0].id).await.unwrap().is_none());
    assert_eq!(c.evidence_requests(&r).await.unwrap()[0].used_at, Some(t(5)));
    // Asked again (the first link used): a new link, and a message of its own to carry it.
    let again = c.ask_for_evidence(&r, vec![passport], false, &reasons, t(6)).await.unwrap();
    assert_ne!(again, request);
    let asked = c.messages(&r).await.unwrap();
    assert_eq!(asked.iter().filter(|j| j.kind.name() == "notify:evidence-requested").count(), 2, "{asked:?}");
    // An expired link cannot be used.
    let r2 = store.citizen().submit(new_app("W06000015", "Late"), t(0)).await.unwrap().reference;
    c.confirm_receipts(t(2), &[(r2, true, None)]).await.unwrap();
    let late = c.ask_for_evidence(&r2, vec![passport], false, &reasons, t(3)).await.unwrap();
    let late_row = inbox.request(&store.evidence_token(&late)).await.unwrap().unwrap();
    let expired = inbox.send(&late_row, vec![file(b"%PDF-1.4 late")], t(3) + Duration::days(LINK_DAYS)).await;
    assert!(matches!(expired.unwrap_err(), StorageError::Conflict(_)));
    // Decided, then erased under the retention rules: the evidence goes with the details.
    c.determine(&r, t(7), Determination::Approved, &[]).await.unwrap();
    // Its jobs done (an application is kept while work about it is owed).
    for queue in [Queue::Verify, Queue::Notify] {
        let worker = store.worker(queue, "w");
        for job in worker.claim(t(8), std::time::Duration::from_secs(60), 100).await.unwrap() {
            worker.complete(&job, t(8), None, &JobEffects::default()).await.unwrap();
        }
    }
    let rules = ier_domain::retention::Retention::current();
    store.run_retention(rules, t(7) + Duration::days(400), 100, false).await.unwrap();
    assert!(c.evidence_files(&r).await.unwrap().is_empty());
    assert!(c.evidence_requests(&r).await.unwrap().is_empty());
    // Its bytes are swept from the file store once a day has passed since they were written;
    // nothing younger, and nothing with a row, is touched.
    let stray = FileId::generate();
    files.put(stray.as_str(), b"a sending still under way".to_vec()).await.unwrap();
    let on_disk = |n: &str| dir.path().join(n).exists();
    assert!(on_disk(sent[0].id.as_str()));
    assert_eq!(store.sweep_evidence_files(files.as_ref(), Utc::now()).await.unwrap(), 0, "too young");
    let later = Utc::now() + Duration::hours(SWEEP_GRACE_HOURS + 1);
    assert_eq!(store.sweep_evidence_files(files.as_ref(), later).await.unwrap(), 2);
    assert!(!on_disk(sent[0].id.as_str()) && !on_disk(stray.as_str()));
}

pub async fn the_staff_queue_filters_in_the_database(backend: Arc<dyn Backend>) {
    use crate::{Listed, QueueFilter};
    let store = seeded(backend).await;
    let mut refs = Vec::new();
    for (i, name) in ["Alpha", "Bravo", "Charlie", "Delta"].into_iter().enumerate() {
        refs.push(store.citizen().submit(new_app("W06000015", name), t(i as i64 * 3600)).await.unwrap().reference);
    }
    store.citizen().submit(new_app("E09000033", "Other"), t(0)).await.unwrap();
    let c = store.for_ero(id("cardiff"));
    let verified = |outcome| EventKind::Verified { outcome, explanation: vec![] };
    c.record(&refs[0], t(10), &verified(VerificationOutcome::Match)).await.unwrap();
    c.record(&refs[1], t(10), &verified(VerificationOutcome::NoMatch)).await.unwrap();
    c.record(&refs[2], t(10), &verified(VerificationOutcome::NoMatch)).await.unwrap();
    let refs_of =
        |page: Vec<(Listed, Option<crate::Progress>)>| page.into_iter().map(|(l, _)| l.reference()).collect::<Vec<_>>();
    let all = c.queue(&QueueFilter::default(), None, 100).await.unwrap();
    assert_eq!(refs_of(all), refs, "oldest first, this ERO's only");
    let no_match = QueueFilter { identity: Some(Some(VerificationOutcome::NoMatch)), ..Default::default() };
    assert_eq!(refs_of(c.queue(&no_match, None, 100).await.unwrap()), vec![refs[1], refs[2]]);
    assert_eq!(refs_of(c.queue(&no_match, Some(&refs[1]), 100).await.unwrap()), vec![refs[2]], "paged");
    let unchecked = QueueFilter { identity: Some(None), ..Default::default() };
    assert_eq!(refs_of(c.queue(&unchecked, None, 100).await.unwrap()), vec![refs[3]]);
    let verified_stage = QueueFilter { stage: Some(Stage::Verified), ..Default::default() };
    assert_eq!(refs_of(c.queue(&verified_stage, None, 100).await.unwrap()).len(), 3);
    let window = QueueFilter { from: Some(t(3600)), to: Some(t(3 * 3600)), ..Default::default() };
    assert_eq!(refs_of(c.queue(&window, None, 100).await.unwrap()), vec![refs[1], refs[2]]);
    let overseas = QueueFilter { kind: Some(ier_domain::ApplicationKind::Overseas), ..Default::default() };
    assert!(c.queue(&overseas, None, 100).await.unwrap().is_empty());
    let evidence = QueueFilter { determination: Some(Determination::EvidenceRequested), ..Default::default() };
    assert!(c.queue(&evidence, None, 100).await.unwrap().is_empty());
    assert!(store.for_ero(id("lothian-vjb")).queue(&QueueFilter::default(), None, 100).await.unwrap().is_empty());
}

pub async fn an_attestor_is_named_once_confirms_once_and_is_looked_up_on_the_register(backend: Arc<dyn Backend>) {
    use crate::evidence::*;
    let store = seeded(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let files: Arc<dyn FileStore> = Arc::new(DirFileStore::new(dir.path()).unwrap());
    let inbox = store.evidence_inbox(files);
    let r = store.citizen().submit(new_app("W06000015", "Attested"), t(0)).await.unwrap().reference;
    let c = store.for_ero(id("cardiff"));
    c.confirm_receipts(t(1), &[(r, true, None)]).await.unwrap();
    // An elector on Cardiff's register, who will confirm.
    let elector = crate::persons::Person {
        given: "Gareth",
        surname: "Pritchard",
        date_of_birth: Some("1970-05-06"),
        postcode: "CF10 1EP",
        line1: "7 High Street",
        line2: "",
        uprn: None,
        nino: None,
    };
    c.put_electors(t(1), &[("CDF-7".to_owned(), elector)]).await.unwrap();
    let reasons = vec![ReasonCode::parse("identity-not-confirmed").unwrap()];
    // Documents only: no attestation.
    let docs_only = c.ask_for_evidence(
        &r,
        vec![ier_domain::evidence::DocumentKind::parse("passport").unwrap()],
        false,
        &reasons,
        t(2),
    );
    let docs_only = inbox.request(&store.evidence_token(&docs_only.await.unwrap())).await.unwrap().unwrap();
    let attestor =
        || Attestor { given: "Gareth".into(), surname: "Pritchard".into(), email: "gareth@example.com".into() };
    assert!(matches!(inbox.name_attestor(&docs_only, attestor(), t(3)).await, Err(StorageError::Conflict(_))));
    // An attestation alone (a second request for the same application).
    let request = c.ask_for_evidence(&r, vec![], true, &reasons, t(4)).await.unwrap();
    let row = inbox.request(&store.evidence_token(&request)).await.unwrap().unwrap();
    assert!(row.attestation && row.documents.is_empty());
    inbox.name_attestor(&row, attestor(), t(5)).await.unwrap();
    assert!(matches!(inbox.name_attestor(&row, attestor(), t(6)).await, Err(StorageError::Conflict(_))), "once");
    // The message to the attestor is queued with it, and carries their link.
    let notify = store.worker(Queue::Notify, "n");
    let jobs = notify.claim(t(6), std::time::Duration::from_secs(60), 100).await.unwrap();
    let job = jobs.iter().find(|j| j.kind.name() == "notify:attestation-requested").expect("queued");
    let (who, token) = notify.evidence_attestor(job, t(6)).await.unwrap().expect("open");
    assert_eq!(who, attestor());
    // The link: the applicant's name, not confirmed yet; a changed token opens nothing.
    let (found, name) = inbox.attestation(&token).await.unwrap().unwrap();
    assert_eq!(name.surname.as_str(), "Attested");
    assert!(found.open(t(7)) && !found.open(t(5) + Duration::days(ATTESTATION_DAYS)));
    assert!(inbox.attestation(&token.replace('.', ".0")).await.unwrap().is_none());
    // Confirmed with the details of an elector on the register: found.
    assert!(inbox.confirm_attestation(&found, &elector, t(8)).await.unwrap());
    assert!(matches!(inbox.confirm_attestation(&found, &elector, t(9)).await, Err(StorageError::Conflict(_))));
    let seen = c.attestations(&r).await.unwrap();
    assert_eq!((seen.len(), seen[0].row.confirmed_at, seen[0].row.on_register), (1, Some(t(8)), Some(true)));
    assert_eq!(seen[0].attestor.email, "gareth@example.com");
    assert!(store.for_ero(id("westminster")).attestations(&r).await.unwrap().is_empty());
    // Another attestation, confirmed by someone on no register held here: not found.
    let r2 = store.citizen().submit(new_app("W06000015", "Second"), t(0)).await.unwrap().reference;
    c.confirm_receipts(t(1), &[(r2, true, None)]).await.unwrap();
    let second = c.ask_for_evidence(&r2, vec![], true, &reasons, t(4)).await.unwrap();
    let second = inbox.request(&store.evidence_token(&second)).await.unwrap().unwrap();
    inbox.name_attestor(&second, attestor(), t(5)).await.unwrap();
    let stranger = crate::persons::Person { date_of_birth: Some("1971-01-01"), ..elector };
    let all = c.attestations(&r2).await.unwrap();
    let a2 = inbox.attestation(&store.attestation_token(&all[0].row.id)).await.unwrap().unwrap().0;
    assert!(!inbox.confirm_attestation(&a2, &stranger, t(8)).await.unwrap());
    assert_eq!(c.attestations(&r2).await.unwrap()[0].row.on_register, Some(false));
}

/// What every [`crate::evidence::FileStore`] does (the directory embedded, an S3 bucket in
/// production): bytes kept by name and read back as written, replaced by a second write,
/// absent names read as none and delete quietly, names that are not ours refused, and a
/// listing of what is held with when it was written (for the retention sweep), `before`
/// and `after` bounding the writes' times.
pub async fn file_store_keeps_bytes_by_name(files: &dyn crate::evidence::FileStore) {
    use crate::evidence::FileId;
    let before = chrono::Utc::now() - Duration::seconds(5);
    let (a, b) = (FileId::generate(), FileId::generate());
    let (a, b) = (a.as_str(), b.as_str());
    assert_eq!(files.get(a).await.unwrap(), None);
    files.delete(a).await.unwrap();
    let big: Vec<u8> = (0..3 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    files.put(a, big.clone()).await.unwrap();
    files.put(b, b"first".to_vec()).await.unwrap();
    files.put(b, b"second".to_vec()).await.unwrap();
    assert_eq!(files.get(a).await.unwrap().as_deref(), Some(&big[..]));
    assert_eq!(files.get(b).await.unwrap().as_deref(), Some(&b"second"[..]));
    let after = chrono::Utc::now() + Duration::seconds(5);
    let listed = files.list().await.unwrap();
    for name in [a, b] {
        let (_, at) = listed.iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("{name} not listed"));
        assert!(*at >= before && *at <= after, "{name} written at {at}");
    }
    for bad in ["../etc/passwd", "ef-", "EF-AAAAAAAAAAAAAAAA", "ef-aaaaaaaaaaaaaaaa/../x", ""] {
        let e = files.put(bad, vec![1]).await.unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput, "{bad}");
        assert_eq!(files.get(bad).await.unwrap_err().kind(), std::io::ErrorKind::InvalidInput, "{bad}");
    }
    files.delete(a).await.unwrap();
    files.delete(a).await.unwrap();
    assert_eq!(files.get(a).await.unwrap(), None);
    assert!(!files.list().await.unwrap().iter().any(|(n, _)| n == a));
    files.delete(b).await.unwrap();
}
