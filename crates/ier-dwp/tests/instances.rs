//! Three instances of the service on one PostgreSQL database each run the
//! verification worker: every application is checked exactly once (the
//! simulator counts its calls), never once per instance. Runs when
//! `IER_TEST_POSTGRES_URL` is set (CI sets it).

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::NaiveDate;
use ier_domain::{EventKind, Language};
use ier_dwp::{DwpSimulator, IdentityVerifier, Verification, VerificationRequest, VerifierError};
use ier_storage::{Backend, DataKeys, NewApplication, Store};
use ier_storage_postgres::PgBackend;
use rand::Rng;
use sqlx::postgres::PgConnectOptions;

/// The simulator, counting its calls by NINO, and slow enough that the workers overlap.
struct Counting {
    inner: DwpSimulator,
    calls: Mutex<HashMap<String, u32>>,
}

#[async_trait]
impl IdentityVerifier for Counting {
    async fn verify(&self, request: &VerificationRequest) -> Result<Verification, VerifierError> {
        *self.calls.lock().unwrap().entry(request.nino.stem().to_owned()).or_default() += 1;
        tokio::time::sleep(Duration::from_millis(2)).await;
        self.inner.verify(request).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_verify_each_application_exactly_once() {
    let Some(url) = std::env::var("IER_TEST_POSTGRES_URL").ok() else {
        eprintln!("skipped: IER_TEST_POSTGRES_URL is not set");
        return;
    };
    let schema = format!("ier_test_{:016x}", rand::rng().random::<u64>());
    let admin = sqlx::PgPool::connect(&url).await.unwrap();
    sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&admin).await.unwrap();
    let keys = DataKeys::generate("k");
    let connect = || async {
        let options = PgConnectOptions::from_str(&url).unwrap().options([("search_path", schema.as_str())]);
        let backend: Arc<dyn Backend> = Arc::new(PgBackend::connect_with(options, 4).await.unwrap());
        Store::new(backend, DataKeys::parse(&keys).unwrap())
    };
    let first = connect().await;
    let reference = ier_reference::ReferenceData::embedded();
    first.backend().put_eros(&reference.eros().cloned().collect::<Vec<_>>()).await.unwrap();
    first.backend().put_councils(&reference.councils().cloned().collect::<Vec<_>>()).await.unwrap();
    let today = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let population = ier_synth::Population::new(11, 3_000, today).unwrap();
    let postcodes = ier_reference::PostcodeDirectory::embedded();
    let news: Vec<NewApplication> = (0..3_000)
        .map(|i| population.person(i))
        .filter(|p| ier_domain::dates::age_on(p.date_of_birth, today) >= 18)
        .take(300)
        .map(|p| {
            let details = p.as_applicant();
            let gss_code = postcodes.district(&details.address.postcode).unwrap();
            NewApplication { language: Language::En, gss_code, details, journey: None, facts: Default::default() }
        })
        .collect();
    let receipts = first.submit_many(news, chrono::Utc::now()).await.unwrap();

    let verifier = Arc::new(Counting { inner: DwpSimulator::new(population), calls: Mutex::default() });
    let mut instances = Vec::new();
    for _ in 0..3 {
        let store = connect().await;
        let worker = ier_dwp::queue::worker(&store, verifier.clone());
        instances.push(tokio::spawn(worker.run()));
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while first.counts().await.unwrap().pending_verifications > 0 {
        assert!(std::time::Instant::now() < deadline, "verification did not finish");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for i in &instances {
        i.abort();
    }
    let calls = verifier.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), receipts.len(), "every applicant checked");
    assert!(calls.values().all(|&n| n == 1), "each checked once: {:?}", calls.values().filter(|&&n| n > 1).count());
    for r in &receipts {
        let events = first.for_ero(r.ero_id.clone()).events(&r.reference).await.unwrap();
        let verified = events.iter().filter(|e| matches!(e.kind, EventKind::Verified { .. })).count();
        assert_eq!(verified, 1, "one verified event each");
    }
    let done = first
        .jobs(&ier_storage::JobFilter { queue: Some(ier_storage::Queue::Verify), limit: 1000, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(done.len(), receipts.len());
    let workers: std::collections::HashSet<_> = done.iter().filter_map(|j| j.worker.clone()).collect();
    assert!(workers.len() >= 2, "the instances shared the work: {}", workers.len());
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE")).execute(&admin).await.unwrap();
}
