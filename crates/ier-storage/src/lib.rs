//! Storage of applications, their events, councils and EROs.
//!
//! Two layers:
//! - [`Backend`]: what a database must do, on rows whose personal data is
//!   already sealed. Implemented by `ier-storage-sqlite` (the embedded default)
//!   and `ier-storage-postgres` (production), each with its own migrations, and
//!   held to one [`contract`] suite.
//! - [`Store`]: the service's view: it seals and opens personal data
//!   ([`crypto`]), makes reference numbers, and hands out capabilities: a
//!   [`CitizenStore`] that can submit but never read applications, and an
//!   [`EroStore`] that sees only one ERO's applications (every query is scoped
//!   by ERO in the backend's SQL, not filtered afterwards).

pub mod crypto;
pub mod decode;

#[cfg(feature = "contract")]
pub mod contract;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ier_domain::{
    ApplicantDetails, Application, ApplicationKind, Council, Ero, EroId, Event, EventKind, GssCode, Language,
    ReferenceNumber, Stage,
};

pub use crypto::{CryptoError, DataKeys, KeyError, Sealed};

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
}

/// Counts for metrics and dashboards: no personal data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub by_stage: Vec<(Stage, u64)>,
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

    /// Store a new application, durably, in one transaction with its
    /// `submitted` and `verification-requested` events and a queued
    /// verification request. The ERO comes from the council. Returns the ERO.
    /// `Duplicate` if the reference is taken; `UnknownCouncil` if the GSS code is not a council.
    async fn insert_application(&self, row: &ApplicationRow) -> Result<EroId>;
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

    /// Oldest pending verification requests (for the verification worker).
    async fn pending_verifications(&self, limit: u32) -> Result<Vec<(ReferenceNumber, EroId)>>;
    /// Mark a verification request done, recording its outcome as an event.
    async fn complete_verification(
        &self,
        reference: &ReferenceNumber,
        at: DateTime<Utc>,
        kind: &EventKind,
    ) -> Result<()>;

    async fn counts(&self) -> Result<Counts>;
    /// A cheap round trip, for readiness checks.
    async fn ping(&self) -> Result<()>;
}

/// The service's storage: a backend plus the key ring.
#[derive(Clone)]
pub struct Store {
    backend: Arc<dyn Backend>,
    keys: Arc<DataKeys>,
}

/// What a new application carries before it is stored.
#[derive(Debug, Clone)]
pub struct NewApplication {
    pub kind: ApplicationKind,
    pub language: Language,
    pub gss_code: GssCode,
    pub details: ApplicantDetails,
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
        Self { backend, keys: Arc::new(keys) }
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

    fn seal(&self, reference: &ReferenceNumber, details: &ApplicantDetails) -> Sealed {
        let json = serde_json::to_vec(details).expect("applicant details serialise");
        self.keys.seal(&json, reference.as_str().as_bytes())
    }

    fn open(&self, row: ApplicationRow) -> Result<Application> {
        let plain = self
            .keys
            .open(&row.details, row.reference.as_str().as_bytes())
            .map_err(|e| StorageError::Corrupt(format!("application {}: {e}", row.reference)))?;
        let details = serde_json::from_slice(&plain)
            .map_err(|_| StorageError::Corrupt(format!("application {}: details do not parse", row.reference)))?;
        Ok(Application {
            reference: row.reference,
            kind: row.kind,
            language: row.language,
            gss_code: row.gss_code,
            ero_id: row.ero_id.ok_or_else(|| StorageError::Corrupt("row without ERO".into()))?,
            submitted_at: row.submitted_at,
            stage: row.stage,
            details,
        })
    }

    /// Store a new application and return its receipt once it is durably
    /// committed. A reference-number collision (1 in 3 × 10^14 per pair) is
    /// retried with a fresh number.
    pub async fn submit(&self, new: NewApplication, now: DateTime<Utc>) -> Result<Receipt> {
        for _ in 0..5 {
            let reference = ReferenceNumber::generate(&mut rand::rng());
            let row = ApplicationRow {
                reference,
                kind: new.kind,
                language: new.language,
                gss_code: new.gss_code,
                ero_id: None,
                submitted_at: now,
                stage: Stage::Submitted,
                details: self.seal(&reference, &new.details),
            };
            match self.backend.insert_application(&row).await {
                Ok(ero_id) => {
                    return Ok(Receipt { reference, ero_id, submitted_at: now });
                }
                Err(StorageError::Duplicate) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(StorageError::Unavailable("could not allocate a unique reference number".into()))
    }

    pub async fn counts(&self) -> Result<Counts> {
        self.backend.counts().await
    }
}

/// The public tier: can create applications and read reference data, and
/// cannot read any application back (invariant 3).
#[derive(Clone)]
pub struct CitizenStore {
    store: Store,
}

impl CitizenStore {
    pub async fn submit(&self, new: NewApplication, now: DateTime<Utc>) -> Result<Receipt> {
        self.store.submit(new, now).await
    }

    pub async fn council(&self, gss_code: &GssCode) -> Result<Option<Council>> {
        self.store.backend.council(gss_code).await
    }

    pub async fn ero(&self, id: &EroId) -> Result<Option<Ero>> {
        self.store.backend.ero(id).await
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

    pub async fn application(&self, reference: &ReferenceNumber) -> Result<Option<Application>> {
        match self.store.backend.application(&self.ero, reference).await? {
            Some(row) => self.store.open(row).map(Some),
            None => Ok(None),
        }
    }

    pub async fn applications(&self, after: Option<&ReferenceNumber>, limit: u32) -> Result<Vec<Application>> {
        let rows = self.store.backend.applications(&self.ero, after, limit).await?;
        rows.into_iter().map(|r| self.store.open(r)).collect()
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
}
