//! The exceptions process online: an ERO asks an applicant for evidence of
//! who they are, and the applicant sends documents through a link.
//!
//! - A request ([`EvidenceRequestRow`]) names the documents wanted
//!   ([`ier_domain::evidence::DocumentKind`]), belongs to one application and its
//!   ERO, lasts [`LINK_DAYS`] and is used once: sending the documents spends it.
//! - The link carries the request's id and a keyed digest of it ([`Store::evidence_token`]),
//!   so the id alone (which job listings and the audit may show) does not open it.
//! - Each file is encrypted with a key of its own (AES-256-GCM), and that key is
//!   sealed with the data keys in the file's row. The bytes go to a [`FileStore`]
//!   (a directory here; an object store in production). Deleting the row under the
//!   retention rules leaves any copy of the bytes unreadable.

use std::fmt;
use std::path::PathBuf;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use ier_domain::evidence::DocumentKind;
use ier_domain::{EroId, ReferenceNumber};

use crate::{Result, Sealed, StorageError, Store};

/// How long a link to send evidence works.
pub const LINK_DAYS: i64 = 28;
/// The largest file an applicant may send.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
/// The most files sent with one link.
pub const MAX_FILES: usize = 5;

/// A request's id: `ev-` and 20 random base32 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestId(String);

impl RequestId {
    pub fn generate() -> Self {
        Self(format!("ev-{}", data_encoding::BASE32_NOPAD.encode(&rand::random::<[u8; 10]>()).to_ascii_lowercase()))
    }

    pub fn parse(s: &str) -> Option<Self> {
        let rest = s.strip_prefix("ev-")?;
        (rest.len() == 16 && rest.bytes().all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b)))
            .then(|| Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A file's id: `ef-` and 16 random base32 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FileId(String);

impl FileId {
    pub fn generate() -> Self {
        Self(format!("ef-{}", data_encoding::BASE32_NOPAD.encode(&rand::random::<[u8; 10]>()).to_ascii_lowercase()))
    }

    pub fn parse(s: &str) -> Option<Self> {
        let rest = s.strip_prefix("ef-")?;
        (rest.len() == 16 && rest.bytes().all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b)))
            .then(|| Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An attestation's id: `at-` and 16 random base32 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttestationId(String);

impl AttestationId {
    pub fn generate() -> Self {
        Self(format!("at-{}", data_encoding::BASE32_NOPAD.encode(&rand::random::<[u8; 10]>()).to_ascii_lowercase()))
    }

    pub fn parse(s: &str) -> Option<Self> {
        let rest = s.strip_prefix("at-")?;
        (rest.len() == 16 && rest.bytes().all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b)))
            .then(|| Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Who the applicant named to confirm who they are (sealed at rest).
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Attestor {
    pub given: String,
    pub surname: String,
    pub email: String,
}

impl fmt::Debug for Attestor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Attestor(<redacted>)")
    }
}

/// An attestation, as stored: the attestor's details sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestationRow {
    pub id: AttestationId,
    pub request: RequestId,
    pub reference: ReferenceNumber,
    pub ero: EroId,
    pub attestor: Sealed,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// When the attestor confirmed.
    pub confirmed_at: Option<DateTime<Utc>>,
    /// Whether the attestor was found on a register at the address they gave (`None`: not
    /// confirmed yet).
    pub on_register: Option<bool>,
}

/// An attestation with its attestor opened.
#[derive(Debug, Clone)]
pub struct Attestation {
    pub row: AttestationRow,
    pub attestor: Attestor,
}

impl Attestation {
    /// Whether the attestor's link still works.
    pub fn open(&self, now: DateTime<Utc>) -> bool {
        self.row.confirmed_at.is_none() && self.row.expires_at > now
    }
}

/// A request for evidence, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceRequestRow {
    pub id: RequestId,
    pub reference: ReferenceNumber,
    pub ero: EroId,
    pub documents: Vec<DocumentKind>,
    /// An attestation by a registered elector is accepted too.
    pub attestation: bool,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// When the applicant sent their documents (the link is spent).
    pub used_at: Option<DateTime<Utc>>,
}

impl EvidenceRequestRow {
    /// Whether the link still works.
    pub fn open(&self, now: DateTime<Utc>) -> bool {
        self.used_at.is_none() && self.expires_at > now
    }
}

/// A file sent as evidence, as stored (its bytes are in the [`FileStore`]).
#[derive(Clone, PartialEq, Eq)]
pub struct EvidenceFileRow {
    pub id: FileId,
    pub request: RequestId,
    pub reference: ReferenceNumber,
    pub ero: EroId,
    pub document: DocumentKind,
    /// `image/png`, `image/jpeg` or `application/pdf`: what the file was checked to be.
    pub content_type: String,
    pub size: u64,
    /// The file's own key, sealed with the data keys.
    pub key: Sealed,
    pub stored_at: DateTime<Utc>,
}

impl fmt::Debug for EvidenceFileRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EvidenceFileRow {{ id: {}, document: {:?}, size: {} }}", self.id.as_str(), self.document, self.size)
    }
}

/// A file checked and ready to store: its bytes are what the applicant's file
/// became (an image re-encoded, a PDF that parsed).
pub struct CheckedFile {
    pub document: DocumentKind,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

/// Where evidence files' (encrypted) bytes are kept.
#[async_trait]
pub trait FileStore: Send + Sync + 'static {
    /// Store bytes under a name, durably, before returning.
    async fn put(&self, name: &str, bytes: Vec<u8>) -> std::io::Result<()>;
    async fn get(&self, name: &str) -> std::io::Result<Option<Vec<u8>>>;
    /// Remove a name (nothing if absent).
    async fn delete(&self, name: &str) -> std::io::Result<()>;
    /// Every name held, with when it was written.
    async fn list(&self) -> std::io::Result<Vec<(String, DateTime<Utc>)>>;
}

/// Files in a directory on this machine (the embedded default): each written to a
/// temporary name, flushed to disk, then renamed, so a crash leaves no half file.
pub struct DirFileStore {
    dir: PathBuf,
}

impl DirFileStore {
    pub fn new(dir: impl Into<PathBuf>) -> std::io::Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        Ok(Self { dir })
    }

    fn path(&self, name: &str) -> std::io::Result<PathBuf> {
        // Names are ours (`ef-...`), but never let one leave the directory.
        if FileId::parse(name).is_none() {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name of ours"));
        }
        Ok(self.dir.join(name))
    }
}

#[async_trait]
impl FileStore for DirFileStore {
    async fn put(&self, name: &str, bytes: Vec<u8>) -> std::io::Result<()> {
        let path = self.path(name)?;
        let dir = self.dir.clone();
        tokio::task::spawn_blocking(move || {
            use std::io::Write;
            let tmp = path.with_extension("partial");
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)?;
            std::fs::File::open(&dir)?.sync_all()
        })
        .await
        .map_err(std::io::Error::other)?
    }

    async fn get(&self, name: &str) -> std::io::Result<Option<Vec<u8>>> {
        match tokio::fs::read(self.path(name)?).await {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn delete(&self, name: &str) -> std::io::Result<()> {
        match tokio::fs::remove_file(self.path(name)?).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    async fn list(&self) -> std::io::Result<Vec<(String, DateTime<Utc>)>> {
        let dir = self.dir.clone();
        tokio::task::spawn_blocking(move || {
            let mut out = Vec::new();
            for entry in std::fs::read_dir(&dir)? {
                let entry = entry?;
                let name = entry.file_name().to_string_lossy().into_owned();
                if FileId::parse(&name).is_none() {
                    continue;
                }
                let modified = entry.metadata()?.modified()?;
                out.push((name, DateTime::<Utc>::from(modified)));
            }
            Ok(out)
        })
        .await
        .map_err(std::io::Error::other)?
    }
}

/// How long a file's bytes may be in the file store before its row must be there: the bytes
/// are written before the row, so a file younger than this may be a sending still under way.
pub const SWEEP_GRACE_HOURS: i64 = 24;

impl Store {
    /// Delete from the file store the bytes of evidence files that no longer have a row (their
    /// application's personal data was erased, or a sending failed after writing them), older
    /// than [`SWEEP_GRACE_HOURS`]: how many.
    pub async fn sweep_evidence_files(&self, files: &dyn FileStore, now: DateTime<Utc>) -> Result<u64> {
        let io = |e: std::io::Error| StorageError::Unavailable(format!("file store: {}", e.kind()));
        let cutoff = now - Duration::hours(SWEEP_GRACE_HOURS);
        let old: Vec<String> =
            files.list().await.map_err(io)?.into_iter().filter(|(_, at)| *at < cutoff).map(|(n, _)| n).collect();
        let mut deleted = 0;
        for chunk in old.chunks(500) {
            let known = self.backend.evidence_files_known(chunk).await?;
            for name in chunk.iter().filter(|n| !known.contains(n)) {
                files.delete(name).await.map_err(io)?;
                deleted += 1;
            }
        }
        Ok(deleted)
    }
}

fn attestor_aad(id: &AttestationId, reference: &ReferenceNumber) -> Vec<u8> {
    format!("attestor:{}:{}", id.as_str(), reference.as_str()).into_bytes()
}

fn key_aad(file: &FileId, reference: &ReferenceNumber) -> Vec<u8> {
    format!("evidence-file-key:{}:{}", file.as_str(), reference.as_str()).into_bytes()
}

/// Encrypt a file's bytes with a new key of its own: (nonce ‖ ciphertext, key).
fn encrypt(file: &FileId, bytes: &[u8]) -> (Vec<u8>, [u8; 32]) {
    let key: [u8; 32] = rand::random();
    let nonce: [u8; 12] = rand::random();
    let cipher = Aes256Gcm::new((&key).into());
    let sealed = cipher
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: bytes, aad: file.as_str().as_bytes() })
        .expect("AES-GCM encrypts any length we allow");
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    (out, key)
}

fn decrypt(file: &FileId, key: &[u8], stored: &[u8]) -> Result<Vec<u8>> {
    if stored.len() < 12 || key.len() != 32 {
        return Err(StorageError::Corrupt("evidence file".into()));
    }
    let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| StorageError::Corrupt("evidence file key".into()))?;
    cipher
        .decrypt(Nonce::from_slice(&stored[..12]), Payload { msg: &stored[12..], aad: file.as_str().as_bytes() })
        .map_err(|_| StorageError::Corrupt("evidence file".into()))
}

impl Store {
    /// The secret part of a request's link: the id and a keyed digest of it.
    pub fn evidence_token(&self, id: &RequestId) -> String {
        let digest = self.keys.index_digest(self.keys.current_id(), &format!("evidence-link:{}", id.as_str()));
        format!("{}.{:016x}", id.as_str(), digest as u64)
    }

    /// The request a link's token names, if the token is genuine (made with any current key).
    pub fn evidence_request_id(&self, token: &str) -> Option<RequestId> {
        let (id, mac) = token.split_once('.')?;
        let id = RequestId::parse(id)?;
        self.link_genuine(id.as_str(), mac).then_some(id)
    }

    /// The secret part of an attestor's link.
    pub fn attestation_token(&self, id: &AttestationId) -> String {
        let digest = self.keys.index_digest(self.keys.current_id(), &format!("evidence-link:{}", id.as_str()));
        format!("{}.{:016x}", id.as_str(), digest as u64)
    }

    /// The attestation an attestor's link names, if the token is genuine.
    pub fn attestation_id(&self, token: &str) -> Option<AttestationId> {
        let (id, mac) = token.split_once('.')?;
        let id = AttestationId::parse(id)?;
        self.link_genuine(id.as_str(), mac).then_some(id)
    }

    fn link_genuine(&self, id: &str, mac: &str) -> bool {
        self.keys.index_ids().any(|k| {
            let digest = self.keys.index_digest(k, &format!("evidence-link:{id}"));
            let expected = format!("{:016x}", digest as u64);
            // Compared in constant time: the digest is the link's secret.
            expected.len() == mac.len() && expected.bytes().zip(mac.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
        })
    }

    fn open_attestation(&self, row: AttestationRow) -> Result<Attestation> {
        let plain = self
            .keys
            .open(&row.attestor, &attestor_aad(&row.id, &row.reference))
            .map_err(|_| StorageError::Corrupt("attestor".into()))?;
        let attestor = serde_json::from_slice(&plain).map_err(|_| StorageError::Corrupt("attestor".into()))?;
        Ok(Attestation { row, attestor })
    }
}

/// The applicant's side: what a link asks for, and sending it. Holds no way to
/// read an application or a file.
#[derive(Clone)]
pub struct EvidenceInbox {
    pub(crate) store: Store,
    pub(crate) files: std::sync::Arc<dyn FileStore>,
}

impl EvidenceInbox {
    /// The request a link opens, whether or not it still works (the page says which).
    pub async fn request(&self, token: &str) -> Result<Option<EvidenceRequestRow>> {
        let Some(id) = self.store.evidence_request_id(token) else { return Ok(None) };
        self.store.backend.evidence_request(&id).await
    }

    /// Store the applicant's files and spend the link: the bytes first (each under
    /// a key of its own), then the rows and the spending in one transaction.
    /// `Conflict` if the link was spent or ran out meanwhile.
    pub async fn send(&self, request: &EvidenceRequestRow, files: Vec<CheckedFile>, now: DateTime<Utc>) -> Result<()> {
        if files.is_empty() || files.len() > MAX_FILES {
            return Err(StorageError::Conflict("between one and five files are sent with a link"));
        }
        let mut rows = Vec::with_capacity(files.len());
        for f in files {
            let id = FileId::generate();
            let (bytes, key) = encrypt(&id, &f.bytes);
            self.files
                .put(id.as_str(), bytes)
                .await
                .map_err(|e| StorageError::Unavailable(format!("file store: {}", e.kind())))?;
            rows.push(EvidenceFileRow {
                key: self.store.keys.seal(&key, &key_aad(&id, &request.reference)),
                id,
                request: request.id.clone(),
                reference: request.reference,
                ero: request.ero.clone(),
                document: f.document,
                content_type: f.content_type.to_owned(),
                size: f.bytes.len() as u64,
                stored_at: now,
            });
        }
        if self.store.backend.put_evidence_files(&request.id, &rows, now).await? {
            Ok(())
        } else {
            for r in &rows {
                let _ = self.files.delete(r.id.as_str()).await;
            }
            Err(StorageError::Conflict("this link has been used already or has run out"))
        }
    }
}

/// How long an attestor's link works.
pub const ATTESTATION_DAYS: i64 = 28;

impl EvidenceInbox {
    /// The applicant names an attestor instead of sending documents: the attestation is stored
    /// (the attestor sealed), the request spent, and the message to the attestor queued, in one
    /// transaction. `Conflict` if the request was spent or ran out meanwhile, or does not take
    /// an attestation.
    pub async fn name_attestor(
        &self,
        request: &EvidenceRequestRow,
        attestor: Attestor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        if !request.attestation {
            return Err(StorageError::Conflict("this request does not take an attestation"));
        }
        let id = AttestationId::generate();
        let sealed = self
            .store
            .keys
            .seal(&serde_json::to_vec(&attestor).expect("serialises"), &attestor_aad(&id, &request.reference));
        let row = AttestationRow {
            id,
            request: request.id.clone(),
            reference: request.reference,
            ero: request.ero.clone(),
            attestor: sealed,
            created_at: now,
            expires_at: now + Duration::days(ATTESTATION_DAYS),
            confirmed_at: None,
            on_register: None,
        };
        // Keyed by the attestation: a second one for the same application is a message of its own.
        let job = crate::NewJob {
            dedupe: format!("notify:attestation-requested:{}:{}", request.reference.as_str(), row.id.as_str()),
            ..crate::NewJob::new(
                request.reference,
                crate::JobKind::Notify { message: crate::Message::AttestationRequested, reasons: Vec::new() },
            )
        };
        if self.store.backend.put_attestation(&row, &job, now).await? {
            Ok(())
        } else {
            Err(StorageError::Conflict("this link has been used already or has run out"))
        }
    }

    /// The attestation an attestor's link opens, with the applicant's name (what the attestor
    /// confirms), whether or not it still works.
    pub async fn attestation(&self, token: &str) -> Result<Option<(Attestation, ier_domain::PersonName)>> {
        let Some(id) = self.store.attestation_id(token) else { return Ok(None) };
        let Some(row) = self.store.backend.attestation(&id).await? else { return Ok(None) };
        let ero = self.store.for_ero(row.ero.clone());
        let Some(application) = ero.application(&row.reference).await? else { return Ok(None) };
        Ok(Some((self.store.open_attestation(row)?, application.details.name)))
    }

    /// The attestor confirms: whether they are on a register at the address they gave is looked
    /// up in the person index (digests only) and kept with the confirmation. `Conflict` if the
    /// link was used or ran out meanwhile.
    pub async fn confirm_attestation(
        &self,
        attestation: &Attestation,
        attestor: &ier_match::person::Person<'_>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let found = self.store.citizen().find_person(attestor).await?;
        let on_register = found.iter().any(|f| {
            f.scope == crate::persons::Scope::AtAddress
                && (f.found.source == crate::persons::Source::Elector
                    || f.found.determination == Some(ier_domain::Determination::Approved))
        });
        if self.store.backend.confirm_attestation(&attestation.row.id, now, on_register).await? {
            Ok(on_register)
        } else {
            Err(StorageError::Conflict("this link has been used already or has run out"))
        }
    }
}

impl crate::EroStore {
    /// Ask the applicant for evidence: the request (a link for [`LINK_DAYS`]) and the
    /// determination "evidence requested", whose message carries the link.
    pub async fn ask_for_evidence(
        &self,
        reference: &ReferenceNumber,
        documents: Vec<DocumentKind>,
        attestation: bool,
        reasons: &[ier_domain::ReasonCode],
        now: DateTime<Utc>,
    ) -> Result<RequestId> {
        if documents.is_empty() && !attestation {
            return Err(StorageError::Conflict("choose at least one document"));
        }
        let current = self.application_with_progress(reference).await?.ok_or(StorageError::NotFound)?;
        if current.1.determination.is_some_and(|d| d.determination.is_final()) {
            return Err(StorageError::Conflict("this application has already been determined"));
        }
        if current.1.receipt.is_none_or(|r| !r.success) {
            return Err(StorageError::Conflict(
                "the EMS has not confirmed receipt of this application, so it cannot be determined yet",
            ));
        }
        let row = EvidenceRequestRow {
            id: RequestId::generate(),
            reference: *reference,
            ero: self.ero.clone(),
            documents,
            attestation,
            created_at: now,
            expires_at: now + Duration::days(LINK_DAYS),
            used_at: None,
        };
        // The determination first (without its usual message: the request's own carries the link),
        // then the request with its message. A second request for the same application (the first
        // link used or run out) sends a message of its own: its job is keyed by the request.
        self.store
            .backend
            .determine(
                &self.ero,
                reference,
                now,
                ier_domain::Determination::EvidenceRequested,
                reasons,
                None,
                None,
                &[],
            )
            .await?;
        let message = crate::NewJob {
            dedupe: format!("notify:evidence-requested:{}:{}", reference.as_str(), row.id.as_str()),
            ..crate::NewJob::new(
                *reference,
                crate::JobKind::Notify { message: crate::Message::EvidenceRequested, reasons: reasons.to_vec() },
            )
        };
        self.store.backend.put_evidence_request(&row, &message).await?;
        Ok(row.id)
    }

    /// The application's requests for evidence, newest first.
    pub async fn evidence_requests(&self, reference: &ReferenceNumber) -> Result<Vec<EvidenceRequestRow>> {
        self.store.backend.evidence_requests(&self.ero, reference).await
    }

    /// The application's attestations, newest first, each attestor opened.
    pub async fn attestations(&self, reference: &ReferenceNumber) -> Result<Vec<Attestation>> {
        let rows = self.store.backend.attestations(&self.ero, reference).await?;
        rows.into_iter().map(|r| self.store.open_attestation(r)).collect()
    }

    /// The files sent for the application, oldest first.
    pub async fn evidence_files(&self, reference: &ReferenceNumber) -> Result<Vec<EvidenceFileRow>> {
        self.store.backend.evidence_files(&self.ero, reference).await
    }

    /// One file's bytes, decrypted: only a file of this ERO's application.
    pub async fn evidence_file(
        &self,
        files: &dyn FileStore,
        reference: &ReferenceNumber,
        id: &FileId,
    ) -> Result<Option<(EvidenceFileRow, Vec<u8>)>> {
        let Some(row) = self.evidence_files(reference).await?.into_iter().find(|f| &f.id == id) else {
            return Ok(None);
        };
        let key = self
            .store
            .keys
            .open(&row.key, &key_aad(&row.id, &row.reference))
            .map_err(|_| StorageError::Corrupt("evidence file key".into()))?;
        let stored = files
            .get(row.id.as_str())
            .await
            .map_err(|e| StorageError::Unavailable(format!("file store: {}", e.kind())))?
            .ok_or(StorageError::NotFound)?;
        let bytes = decrypt(&row.id, &key, &stored)?;
        Ok(Some((row, bytes)))
    }
}

impl crate::WorkerStore {
    /// The attestor of the newest attestation of a job's application whose link still works,
    /// with that link's token (for the message asking them to confirm).
    pub async fn evidence_attestor(&self, job: &crate::Job, now: DateTime<Utc>) -> Result<Option<(Attestor, String)>> {
        let Some(application) = self.application(job).await? else { return Ok(None) };
        let rows = self.store.backend.attestations(&application.ero_id, &application.reference).await?;
        for row in rows {
            let a = self.store.open_attestation(row)?;
            if a.open(now) {
                let token = self.store.attestation_token(&a.row.id);
                return Ok(Some((a.attestor, token)));
            }
        }
        Ok(None)
    }

    /// The notes with the latest determination of a job's application (for the message telling
    /// the applicant), if it has any.
    pub async fn determination_notes(&self, job: &crate::Job) -> Result<Option<ier_domain::DecisionNotes>> {
        let Some(application) = self.application(job).await? else { return Ok(None) };
        self.store.determination_notes(&application.ero_id, &application.reference).await
    }

    /// The link of the newest request for evidence of a job's application that still works
    /// (for the message asking for it).
    pub async fn evidence_link(
        &self,
        job: &crate::Job,
        now: DateTime<Utc>,
    ) -> Result<Option<(String, Vec<DocumentKind>)>> {
        let Some(application) = self.application(job).await? else { return Ok(None) };
        let requests = self.store.backend.evidence_requests(&application.ero_id, &application.reference).await?;
        Ok(requests.into_iter().find(|r| r.open(now)).map(|r| (self.store.evidence_token(&r.id), r.documents)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_opens_only_with_its_key_and_id() {
        let id = FileId::generate();
        let (stored, key) = encrypt(&id, b"%PDF-1.4 a document");
        assert_eq!(decrypt(&id, &key, &stored).unwrap(), b"%PDF-1.4 a document");
        assert!(decrypt(&FileId::generate(), &key, &stored).is_err());
        assert!(decrypt(&id, &[0; 32], &stored).is_err());
        assert!(FileId::parse("ef-../../etc/passwd").is_none());
        assert!(RequestId::parse(RequestId::generate().as_str()).is_some());
    }
}
