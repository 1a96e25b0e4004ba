//! The verification jobs end to end: applications stored through the public
//! capability are verified against the simulator and their outcome and
//! explanation recorded; DWP being down leaves them queued; three workers on
//! one database check each application once.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::NaiveDate;
use ier_domain::*;
use ier_dwp::queue::NOTHING_TO_CHECK;
use ier_dwp::queue::VerifyHandler;
use ier_dwp::{DwpSimulator, IdentityVerifier, Verification, VerificationRequest, VerifierError};
use ier_jobs::{Round, Worker};
use ier_storage::{Backend, DataKeys, NewApplication, Store};
use ier_storage_sqlite::SqliteBackend;
use ier_synth::Population;

async fn store(dir: &tempfile::TempDir) -> Store {
    let backend = SqliteBackend::open(&dir.path().join("q.db")).await.unwrap();
    let reference = ier_reference::ReferenceData::embedded();
    backend.put_eros(&reference.eros().cloned().collect::<Vec<_>>()).await.unwrap();
    backend.put_councils(&reference.councils().cloned().collect::<Vec<_>>()).await.unwrap();
    Store::new(Arc::new(backend), DataKeys::parse(&DataKeys::generate("k")).unwrap())
}

fn reference_population() -> Population {
    Population::new(7, 2_000, NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()).unwrap()
}

async fn submit(store: &Store, details: ApplicantDetails) -> (ReferenceNumber, EroId) {
    let gss = ier_reference::PostcodeDirectory::embedded().district(&details.address.postcode).unwrap();
    let new =
        NewApplication { language: Language::En, gss_code: gss, details, journey: None, facts: Default::default() };
    let r = store.citizen().submit(new, chrono::Utc::now()).await.unwrap();
    (r.reference, r.ero_id)
}

async fn verified(
    store: &Store,
    (reference, ero): &(ReferenceNumber, EroId),
) -> Option<(VerificationOutcome, Vec<String>)> {
    store.for_ero(ero.clone()).events(reference).await.unwrap().into_iter().find_map(|e| match e.kind {
        EventKind::Verified { outcome, explanation } => Some((outcome, explanation)),
        _ => None,
    })
}

#[tokio::test]
async fn stored_applications_are_verified_with_an_explanation() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let population = reference_population();
    let simulator = DwpSimulator::new(reference_population());
    let adult =
        (0..2_000).map(|i| population.person(i)).find(|p| chrono::Datelike::year(&p.date_of_birth) < 2000).unwrap();

    let genuine = submit(&store, adult.as_applicant()).await;
    let mut wrong_dob = adult.as_applicant();
    wrong_dob.birth =
        BirthDetails::Date(DateOfBirth::parse("1", "1", "1921", NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()).unwrap());
    let impostor = submit(&store, wrong_dob).await;
    let mut no_nino = adult.as_applicant();
    no_nino.nino = OrReason::NotGiven { reason: "never had one".into() };
    let unchecked = submit(&store, no_nino).await;

    let round = worker(&store, Arc::new(simulator)).run_once().await.unwrap();
    assert_eq!((round.claimed, round.done), (3, 3));
    let (outcome, explanation) = verified(&store, &genuine).await.unwrap();
    assert_eq!(outcome, VerificationOutcome::Match);
    assert!(explanation.iter().any(|l| l.starts_with("Date of birth")), "{explanation:?}");
    assert_eq!(verified(&store, &impostor).await.unwrap().0, VerificationOutcome::NoMatch);
    assert_eq!(
        verified(&store, &unchecked).await.unwrap(),
        (VerificationOutcome::NoMatch, vec![NOTHING_TO_CHECK.to_owned()])
    );
    // The explanation holds nothing personal.
    let all = explanation.join(" ");
    for secret in [adult.surname.as_str(), adult.given.as_str(), adult.nino.stem(), &adult.address.postcode.to_string()]
    {
        assert!(!all.contains(secret), "{secret} in {all}");
    }
    let app = store.for_ero(genuine.1.clone()).application(&genuine.0).await.unwrap().unwrap();
    assert_eq!(app.stage, Stage::Verified);
    assert_eq!(store.counts().await.unwrap().pending_verifications, 0);
    // Nothing left: a second round does nothing.
    let simulator = DwpSimulator::new(reference_population());
    assert_eq!(worker(&store, Arc::new(simulator)).run_once().await.unwrap(), Round::default());
    // A match queues no message; a no-match tells the applicant.
    let names: Vec<String> = store
        .jobs(&ier_storage::JobFilter { queue: Some(ier_storage::Queue::Notify), limit: 100, ..Default::default() })
        .await
        .unwrap()
        .into_iter()
        .map(|j| j.kind.name())
        .collect();
    assert_eq!(names.iter().filter(|n| *n == "notify:identity-not-checked").count(), 2, "{names:?}");
}

struct Down;

#[async_trait]
impl IdentityVerifier for Down {
    async fn verify(&self, _: &VerificationRequest) -> Result<Verification, VerifierError> {
        Err(VerifierError::Unavailable)
    }
}

#[tokio::test]
async fn when_dwp_is_down_requests_stay_queued_and_are_done_later() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let population = reference_population();
    let app = submit(&store, population.person(0).as_applicant()).await;
    let config = ier_jobs::WorkerConfig { backoff: std::time::Duration::ZERO, ..ier_dwp::queue::config() };
    let down = Worker::new(
        store.worker(ier_storage::Queue::Verify, "down"),
        Arc::new(VerifyHandler::new(Arc::new(Down))),
        config,
    );
    let round = down.run_once().await.unwrap();
    assert_eq!((round.claimed, round.retried), (1, 1));
    assert!(verified(&store, &app).await.is_none());
    assert_eq!(store.counts().await.unwrap().pending_verifications, 1);
    let simulator = DwpSimulator::new(population);
    assert_eq!(worker(&store, Arc::new(simulator)).run_once().await.unwrap().done, 1);
    assert!(verified(&store, &app).await.is_some());
}

fn worker(store: &Store, verifier: Arc<dyn IdentityVerifier>) -> Worker {
    ier_dwp::queue::worker(store, verifier)
}
