//! The SQLite backend of `ier-storage`: the embedded default.
//!
//! One file, WAL journal, `synchronous=FULL` (a commit is on disk before it
//! returns, so an acknowledged application survives a power cut), foreign keys
//! on, and a busy timeout so concurrent writers queue rather than fail.

mod matching;
mod portal;
mod rows;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ier_domain::{Council, Determination, Ero, EroId, Event, EventKind, GssCode, ReasonCode, ReferenceNumber};
use ier_storage::matching as m;
use ier_storage::{
    ApiAccess, ApplicationRow, Backend, ConfirmOutcome, Counts, DetermineOutcome, Job, JobEffects, JobFilter, JobRow,
    NewJob, Queue, QueueStats, Receipt, ReceiptRow, RegisterAnswerRow, RegisterCheckState, Release, Result, Sealed,
    StorageError, Submission, decode, jobs,
};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};

use rows::*;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Connections in a pool unless told otherwise.
pub const DEFAULT_CONNECTIONS: u32 = 8;

/// A SQLite database.
#[derive(Clone)]
pub struct SqliteBackend {
    pool: SqlitePool,
    /// The number digests of the runs being uploaded ([`m::PageIndex`]).
    page_index: std::sync::Arc<ier_storage::matching::PageIndex>,
}

impl SqliteBackend {
    /// Load a whole register into the person index at once, as before the
    /// service opens (every register in Great Britain: tens of millions of
    /// electors), where [`Backend::put_electors`] takes an EMS's pages one by
    /// one. `electors` are `(ERO, elector number, digests)` under data key
    /// `key_id`, numbers unique per ERO and new to the index. Subjects are
    /// written in (ERO, number) order and digests in digest order, with the
    /// index by subject built once at the end, so the B-trees are filled in
    /// order instead of at random; one transaction, all or none.
    pub async fn bulk_load_electors(
        &self,
        key_id: &str,
        at: DateTime<Utc>,
        mut electors: Vec<(EroId, String, Vec<i64>)>,
    ) -> Result<u64> {
        electors.sort_unstable_by(|a, b| (a.0.as_str(), a.1.as_str()).cmp(&(b.0.as_str(), b.1.as_str())));
        let mut conn = self.pool.acquire().await.map_err(unavailable)?;
        sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await.map_err(unavailable)?;
        let result = async {
            let last: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM person_subjects")
                .fetch_one(&mut *conn)
                .await
                .map_err(unavailable)?;
            sqlx::query("DROP INDEX IF EXISTS person_keys_subject").execute(&mut *conn).await.map_err(unavailable)?;
            let mut keys: Vec<(i64, i64)> = Vec::with_capacity(electors.iter().map(|e| e.2.len()).sum());
            for (n, chunk) in electors.chunks(BATCH_ROWS).enumerate() {
                let first = last + 1 + (n * BATCH_ROWS) as i64;
                let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                    "INSERT INTO person_subjects (id, ero_id, source, subject, key_id, added_at) ",
                );
                q.push_values(chunk.iter().enumerate(), |mut b, (i, (ero, number, _))| {
                    b.push_bind(first + i as i64)
                        .push_bind(ero.as_str())
                        .push_bind("elector")
                        .push_bind(number.as_str())
                        .push_bind(key_id)
                        .push_bind(at);
                });
                q.build().execute(&mut *conn).await.map_err(unavailable)?;
                for (i, (_, _, digests)) in chunk.iter().enumerate() {
                    keys.extend(digests.iter().map(|d| (*d, first + i as i64)));
                }
            }
            drop(electors);
            insert_person_keys(&mut conn, &mut keys).await?;
            sqlx::query("CREATE INDEX person_keys_subject ON person_keys (subject_id)")
                .execute(&mut *conn)
                .await
                .map_err(unavailable)?;
            Ok(keys.len() as u64)
        }
        .await;
        finish_with(&mut conn, result).await
    }

    /// Every table with its number of rows, by name (for checks that something
    /// wrote nothing, such as a demo journey's; no data, only counts).
    pub async fn table_counts(&self) -> Result<Vec<(String, i64)>> {
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        let mut counts = Vec::with_capacity(tables.len());
        for t in tables {
            let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM \"{}\"", t.replace('"', "\"\"")))
                .fetch_one(&self.pool)
                .await
                .map_err(unavailable)?;
            counts.push((t, n));
        }
        Ok(counts)
    }

    /// Open (creating if needed) the database file and bring its schema up to date.
    pub async fn open(path: &Path) -> Result<Self> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30));
        Self::connect(options, DEFAULT_CONNECTIONS).await
    }

    /// Open from a `sqlite:` URL.
    pub async fn open_url(url: &str) -> Result<Self> {
        Self::open_url_with(url, DEFAULT_CONNECTIONS).await
    }

    /// Open from a `sqlite:` URL with a pool of `max_connections` (one writes at a time; the rest read).
    pub async fn open_url_with(url: &str, max_connections: u32) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StorageError::Unavailable(format!("bad SQLite URL: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30));
        Self::connect(options, max_connections).await
    }

    async fn connect(options: SqliteConnectOptions, max_connections: u32) -> Result<Self> {
        // A 64 MB page cache per connection: the queue's pages stay in memory.
        let options = options.pragma("cache_size", "-65536");
        // Space freed by a row shrunk or deleted (erased personal data), in its page
        // or in pages freed whole, is overwritten with zeros.
        let options = options.pragma("secure_delete", "ON");
        // Statement journals (a multi-row statement's undo, kept in case it fails half way) and
        // temporary tables in memory, not in files: written to a file, they were most of the
        // cost of storing a page of 10,000 electors.
        let options = options.pragma("temp_store", "MEMORY");
        // A request that cannot get a connection in 10 s fails (503, answers kept) rather than hanging.
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(unavailable)?;
        MIGRATOR.run(&pool).await.map_err(|e| StorageError::Unavailable(format!("migration failed: {e}")))?;
        Ok(Self { pool, page_index: Default::default() })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

fn unavailable(e: sqlx::Error) -> StorageError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StorageError::Duplicate,
        // SQL errors can quote values; keep only the kind of failure.
        sqlx::Error::Database(db) => {
            StorageError::Unavailable(format!("database error {}", db.code().unwrap_or_default()))
        }
        other => StorageError::Unavailable(other.to_string()),
    }
}

#[async_trait]
impl Backend for SqliteBackend {
    async fn put_eros(&self, eros: &[Ero]) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(unavailable)?;
        for e in eros {
            sqlx::query(
                "INSERT INTO eros (id, name, name_cy, email, phone, website, address) VALUES (?, ?, ?, ?, ?, ?, ?)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, name_cy = excluded.name_cy,
                 email = COALESCE(excluded.email, eros.email), phone = COALESCE(excluded.phone, eros.phone),
                 website = COALESCE(excluded.website, eros.website), address = COALESCE(excluded.address, eros.address)",
            )
            .bind(e.id.as_str())
            .bind(&e.name)
            .bind(&e.name_cy)
            .bind(&e.contact.email)
            .bind(&e.contact.phone)
            .bind(&e.contact.website)
            .bind(&e.contact.address)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        }
        tx.commit().await.map_err(unavailable)
    }

    async fn put_councils(&self, councils: &[Council]) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(unavailable)?;
        for c in councils {
            sqlx::query(
                "INSERT INTO councils (gss_code, name, name_cy, nation, ero_id) VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT (gss_code) DO UPDATE SET name = excluded.name, name_cy = excluded.name_cy,
                 nation = excluded.nation, ero_id = excluded.ero_id",
            )
            .bind(c.gss_code.as_str())
            .bind(&c.name)
            .bind(&c.name_cy)
            .bind(c.nation.as_str())
            .bind(c.ero_id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        }
        tx.commit().await.map_err(unavailable)
    }

    async fn ero(&self, id: &EroId) -> Result<Option<Ero>> {
        let row = sqlx::query(&format!("SELECT {ERO_COLUMNS} FROM eros WHERE id = ?"))
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        row.map(|r| ero_from(&r)).transpose()
    }

    async fn eros(&self) -> Result<Vec<Ero>> {
        let rows = sqlx::query(&format!("SELECT {ERO_COLUMNS} FROM eros ORDER BY id"))
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        rows.iter().map(ero_from).collect()
    }

    async fn council(&self, gss_code: &GssCode) -> Result<Option<Council>> {
        let row = sqlx::query(&format!("SELECT {COUNCIL_COLUMNS} FROM councils WHERE gss_code = ?"))
            .bind(gss_code.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        row.map(|r| council_from(&r)).transpose()
    }

    async fn councils_of(&self, ero: &EroId) -> Result<Vec<Council>> {
        let rows = sqlx::query(&format!("SELECT {COUNCIL_COLUMNS} FROM councils WHERE ero_id = ? ORDER BY gss_code"))
            .bind(ero.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        rows.iter().map(council_from).collect()
    }

    async fn insert_applications(&self, rows: &[Submission]) -> Result<Vec<Receipt>> {
        // BEGIN IMMEDIATE: take the write lock up front, so the transaction
        // never has to upgrade (and fail) under contention.
        let mut conn = self.pool.acquire().await.map_err(unavailable)?;
        sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await.map_err(unavailable)?;
        let result = insert_batch(&mut conn, rows).await;
        finish_with(&mut conn, result).await
    }

    async fn application(&self, ero: &EroId, reference: &ReferenceNumber) -> Result<Option<ApplicationRow>> {
        let row = sqlx::query(&format!("{APPLICATION_SELECT} WHERE a.ero_id = ? AND a.reference = ?"))
            .bind(ero.as_str())
            .bind(reference.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        row.map(|r| application_from(&r)).transpose()
    }

    async fn applications(
        &self,
        ero: &EroId,
        after: Option<&ReferenceNumber>,
        limit: u32,
    ) -> Result<Vec<ApplicationRow>> {
        let rows = sqlx::query(&format!(
            "{APPLICATION_SELECT} WHERE a.ero_id = ?1
             AND a.seq > COALESCE((SELECT seq FROM applications WHERE ero_id = ?1 AND reference = ?2), 0)
             ORDER BY a.seq LIMIT ?3"
        ))
        .bind(ero.as_str())
        .bind(after.map(|r| r.as_str().to_owned()))
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        rows.iter().map(application_from).collect()
    }

    async fn append_event(
        &self,
        ero: &EroId,
        reference: &ReferenceNumber,
        at: DateTime<Utc>,
        kind: &EventKind,
    ) -> Result<()> {
        let mut conn = self.pool.acquire().await.map_err(unavailable)?;
        sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await.map_err(unavailable)?;
        let result = async {
            let found: Option<i64> =
                sqlx::query_scalar("SELECT seq FROM applications WHERE ero_id = ? AND reference = ?")
                    .bind(ero.as_str())
                    .bind(reference.as_str())
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(unavailable)?;
            if found.is_none() {
                return Err(StorageError::NotFound);
            }
            insert_event(&mut conn, reference, ero.as_str(), at, kind).await?;
            if let Some(stage) = kind.stage() {
                sqlx::query("UPDATE applications SET stage = ? WHERE ero_id = ? AND reference = ?")
                    .bind(stage.as_str())
                    .bind(ero.as_str())
                    .bind(reference.as_str())
                    .execute(&mut *conn)
                    .await
                    .map_err(unavailable)?;
            }
            Ok(())
        }
        .await;
        finish(&mut conn, result).await
    }

    async fn events(&self, ero: &EroId, reference: &ReferenceNumber) -> Result<Vec<Event>> {
        let rows = sqlx::query(
            "SELECT reference, at, detail FROM application_events WHERE ero_id = ? AND reference = ? ORDER BY id",
        )
        .bind(ero.as_str())
        .bind(reference.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        let events = rows.iter().map(event_from).collect::<Result<Vec<_>>>()?;
        // The success, stored as the application's state; failures are event rows.
        let receipt: Option<(Option<DateTime<Utc>>, Option<bool>)> =
            sqlx::query_as("SELECT ems_confirmed_at, ems_success FROM applications WHERE ero_id = ? AND reference = ?")
                .bind(ero.as_str())
                .bind(reference.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(unavailable)?;
        let receipt = receipt.and_then(|(at, ok)| Some((at?, ok.unwrap_or(false))));
        Ok(ier_storage::events_with_receipt(events, *reference, receipt))
    }

    async fn pending_for_ems(&self, ero: &EroId, limit: u32) -> Result<Vec<ApplicationRow>> {
        let rows = sqlx::query(&format!(
            "{APPLICATION_SELECT} WHERE a.ero_id = ? AND a.ems_confirmed_at IS NULL ORDER BY a.seq LIMIT ?"
        ))
        .bind(ero.as_str())
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        rows.iter().map(application_from).collect()
    }

    async fn confirm_receipts(
        &self,
        ero: &EroId,
        at: DateTime<Utc>,
        receipts: &[ReceiptRow],
    ) -> Result<Vec<ConfirmOutcome>> {
        use std::collections::HashSet;
        let mut conn = self.pool.acquire().await.map_err(unavailable)?;
        sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await.map_err(unavailable)?;
        let result = async {
            // Successes set-wise (almost all), then each failure on what is still pending.
            let mut confirmed_now: HashSet<ReferenceNumber> = HashSet::new();
            let refs: Vec<&str> = receipts.iter().filter(|r| r.success).map(|r| r.reference.as_str()).collect();
            if !refs.is_empty() {
                let sql = format!(
                    "UPDATE applications SET ems_confirmed_at = ?, ems_success = 1,
                       stage = CASE WHEN stage IN ('submitted', 'verified') THEN 'with-ero' ELSE stage END
                     WHERE ero_id = ? AND ems_confirmed_at IS NULL AND reference IN ({}) RETURNING reference",
                    vec!["?"; refs.len()].join(",")
                );
                let mut q = sqlx::query_scalar::<_, String>(&sql).bind(at).bind(ero.as_str());
                for r in &refs {
                    q = q.bind(*r);
                }
                for r in q.fetch_all(&mut *conn).await.map_err(unavailable)? {
                    confirmed_now.insert(decode::reference(&r)?);
                }
            }
            let mut failed_now: HashSet<ReferenceNumber> = HashSet::new();
            for r in receipts.iter().filter(|r| !r.success) {
                let updated = sqlx::query(
                    "UPDATE applications SET ems_failures = ems_failures + 1, ems_failed_at = ?,
                       ems_message_key = ?, ems_message = ?
                     WHERE ero_id = ? AND reference = ? AND ems_confirmed_at IS NULL",
                )
                .bind(at)
                .bind(r.message.as_ref().map(|m| m.key_id.as_str()))
                .bind(r.message.as_ref().map(|m| m.blob.as_slice()))
                .bind(ero.as_str())
                .bind(r.reference.as_str())
                .execute(&mut *conn)
                .await
                .map_err(unavailable)?
                .rows_affected();
                if updated == 1 {
                    insert_event(
                        &mut conn,
                        &r.reference,
                        ero.as_str(),
                        at,
                        &EventKind::ConfirmedByEms { success: false },
                    )
                    .await?;
                    failed_now.insert(r.reference);
                }
            }
            let others: Vec<&str> = receipts
                .iter()
                .filter(|r| !confirmed_now.contains(&r.reference) && !failed_now.contains(&r.reference))
                .map(|r| r.reference.as_str())
                .collect();
            let mut existing = HashSet::new();
            if !others.is_empty() {
                let sql = format!(
                    "SELECT reference FROM applications WHERE ero_id = ? AND reference IN ({})",
                    vec!["?"; others.len()].join(",")
                );
                let mut q = sqlx::query_scalar::<_, String>(&sql).bind(ero.as_str());
                for r in &others {
                    q = q.bind(*r);
                }
                for r in q.fetch_all(&mut *conn).await.map_err(unavailable)? {
                    existing.insert(decode::reference(&r)?);
                }
            }
            Ok(ier_storage::receipt_outcomes(receipts, &confirmed_now, &failed_now, &existing))
        }
        .await;
        finish_with(&mut conn, result).await
    }

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
    ) -> Result<DetermineOutcome> {
        let mut conn = self.pool.acquire().await.map_err(unavailable)?;
        sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await.map_err(unavailable)?;
        let result = async {
            let row = sqlx::query(
                "SELECT COALESCE(ems_success, 0) = 1 AS confirmed, determination FROM applications
                 WHERE ero_id = ? AND reference = ?",
            )
            .bind(ero.as_str())
            .bind(reference.as_str())
            .fetch_optional(&mut *conn)
            .await
            .map_err(unavailable)?
            .ok_or(StorageError::NotFound)?;
            let current = row.get::<Option<&str>, _>("determination").map(decode::determination).transpose()?;
            let outcome = ier_storage::determination_step(row.get("confirmed"), current, determination)?;
            if outcome == DetermineOutcome::Recorded {
                sqlx::query(
                    "UPDATE applications SET determination = ?, determined_at = ?, stage = 'determined'
                     WHERE ero_id = ? AND reference = ?",
                )
                .bind(determination.as_str())
                .bind(at)
                .bind(ero.as_str())
                .bind(reference.as_str())
                .execute(&mut *conn)
                .await
                .map_err(unavailable)?;
                let kind = EventKind::Determined { determination, reasons: reasons.to_vec(), registered_from };
                insert_event(&mut conn, reference, ero.as_str(), at, &kind).await?;
                // The notes are the latest determination's: a new one replaces (or removes) them.
                sqlx::query("DELETE FROM determination_notes WHERE reference = ?")
                    .bind(reference.as_str())
                    .execute(&mut *conn)
                    .await
                    .map_err(unavailable)?;
                if let Some(n) = notes {
                    sqlx::query(
                        "INSERT INTO determination_notes (reference, ero_id, key_id, notes, at) VALUES (?, ?, ?, ?, ?)",
                    )
                    .bind(reference.as_str())
                    .bind(ero.as_str())
                    .bind(&n.key_id)
                    .bind(&n.blob)
                    .bind(at)
                    .execute(&mut *conn)
                    .await
                    .map_err(unavailable)?;
                }
                let rows: Vec<(&NewJob, &str)> = jobs.iter().map(|j| (j, ero.as_str())).collect();
                insert_jobs(&mut conn, &rows, at).await?;
            }
            Ok(outcome)
        }
        .await;
        finish_with(&mut conn, result).await
    }

    async fn determination_notes(&self, ero: &EroId, reference: &ReferenceNumber) -> Result<Option<Sealed>> {
        let row: Option<(String, Vec<u8>)> =
            sqlx::query_as("SELECT key_id, notes FROM determination_notes WHERE ero_id = ? AND reference = ?")
                .bind(ero.as_str())
                .bind(reference.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(unavailable)?;
        Ok(row.map(|(key_id, blob)| Sealed { key_id, blob }))
    }

    async fn pending_register_checks(
        &self,
        ero: &EroId,
        limit: u32,
    ) -> Result<Vec<(RegisterCheckState, ApplicationRow)>> {
        let rows = sqlx::query(&format!(
            "{APPLICATION_SELECT} WHERE rc.ero_id = ? AND rc.answered_at IS NULL AND a.erased_at IS NULL
             ORDER BY rc.seq LIMIT ?"
        ))
        .bind(ero.as_str())
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        rows.iter().map(|r| Ok((register_check_from(r)?, application_from(r)?))).collect()
    }

    async fn register_check(
        &self,
        ero: &EroId,
        id: &str,
    ) -> Result<Option<(RegisterCheckState, ApplicationRow, Option<Sealed>)>> {
        let row = sqlx::query(&format!("{APPLICATION_SELECT_WITH_CANDIDATES} WHERE rc.ero_id = ? AND rc.id = ?"))
            .bind(ero.as_str())
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        let Some(r) = row else { return Ok(None) };
        let sealed = match (r.get::<Option<String>, _>("candidates_key"), r.get::<Option<Vec<u8>>, _>("candidates")) {
            (Some(key_id), Some(blob)) => Some(Sealed { key_id, blob }),
            _ => None,
        };
        Ok(Some((register_check_from(&r)?, application_from(&r)?, sealed)))
    }

    async fn answer_register_check(
        &self,
        ero: &EroId,
        id: &str,
        at: DateTime<Utc>,
        answer: &RegisterAnswerRow,
    ) -> Result<()> {
        let mut conn = self.pool.acquire().await.map_err(unavailable)?;
        sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await.map_err(unavailable)?;
        let result = async {
            let reference: Option<String> = sqlx::query_scalar(
                "UPDATE register_checks SET answered_at = ?, result = ?, match_count = ?, key_id = ?, candidates = ?
                 WHERE ero_id = ? AND id = ? AND answered_at IS NULL RETURNING reference",
            )
            .bind(at)
            .bind(answer.result.as_str())
            .bind(answer.match_count as i64)
            .bind(&answer.candidates.key_id)
            .bind(&answer.candidates.blob)
            .bind(ero.as_str())
            .bind(id)
            .fetch_optional(&mut *conn)
            .await
            .map_err(unavailable)?;
            let Some(reference) = reference else {
                let exists: Option<i64> =
                    sqlx::query_scalar("SELECT seq FROM register_checks WHERE ero_id = ? AND id = ?")
                        .bind(ero.as_str())
                        .bind(id)
                        .fetch_optional(&mut *conn)
                        .await
                        .map_err(unavailable)?;
                return Err(match exists {
                    Some(_) => StorageError::Conflict("this register check has already been answered"),
                    None => StorageError::NotFound,
                });
            };
            let kind = EventKind::RegisterChecked { result: answer.result };
            insert_event(&mut conn, &decode::reference(&reference)?, ero.as_str(), at, &kind).await
        }
        .await;
        finish(&mut conn, result).await
    }

    async fn record_api_access(&self, records: &[ApiAccess]) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        let mut conn = self.pool.acquire().await.map_err(unavailable)?;
        // The write lock first: the chain's head is read and moved on by one writer at a time.
        sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await.map_err(unavailable)?;
        let result = async {
            let head = sqlite_chain_head(&mut conn).await?;
            let (links, next) = ier_storage::audit_chain::extend(&head, records);
            for chunk in records.iter().zip(&links).collect::<Vec<_>>().chunks(BATCH_ROWS) {
                let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                    "INSERT INTO api_audit (id, at, request_id, ero_id, certificate_serial, method, route, target, status, items, hash) ",
                );
                q.push_values(chunk, |mut b, (a, (id, hash))| {
                    b.push_bind(*id)
                        .push_bind(ier_storage::audit_chain::stored_time(a.at))
                        .push_bind(&a.request_id)
                        .push_bind(a.ero_id.as_str())
                        .push_bind(&a.certificate_serial)
                        .push_bind(&a.method)
                        .push_bind(&a.route)
                        .push_bind(&a.target)
                        .push_bind(a.status as i64)
                        .push_bind(a.items.map(|n| n as i64))
                        .push_bind(hash.to_vec());
                });
                q.build().execute(&mut *conn).await.map_err(unavailable)?;
            }
            sqlx::query("UPDATE audit_chain SET last_id = ?, hash = ? WHERE id = 1")
                .bind(next.last_id)
                .bind(&next.hash)
                .execute(&mut *conn)
                .await
                .map_err(unavailable)?;
            Ok(())
        }
        .await;
        finish(&mut conn, result).await
    }

    async fn audit_chain_head(&self) -> Result<ier_storage::audit_chain::ChainHead> {
        let mut conn = self.pool.acquire().await.map_err(unavailable)?;
        sqlite_chain_head(&mut conn).await
    }

    async fn audit_rows(&self, after_id: i64, limit: u32) -> Result<Vec<ier_storage::audit_chain::ChainedAccess>> {
        let rows = sqlx::query("SELECT * FROM api_audit WHERE id > ? ORDER BY id LIMIT ?")
            .bind(after_id)
            .bind(limit as i64)
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        rows.iter()
            .map(|r| {
                Ok(ier_storage::audit_chain::ChainedAccess {
                    id: r.get("id"),
                    access: api_access_from(r)?,
                    hash: r.get("hash"),
                })
            })
            .collect()
    }

    async fn api_accesses(&self, limit: u32) -> Result<Vec<ApiAccess>> {
        let rows = sqlx::query("SELECT * FROM api_audit ORDER BY id DESC LIMIT ?")
            .bind(limit as i64)
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        rows.iter().map(api_access_from).collect()
    }

    async fn put_journey_state(&self, id: &str, expires_at: DateTime<Utc>, state: &Sealed) -> Result<()> {
        sqlx::query(
            "INSERT INTO journey_states (id, expires_at, key_id, state) VALUES (?, ?, ?, ?)
             ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at, key_id = excluded.key_id, state = excluded.state",
        )
        .bind(id)
        .bind(expires_at)
        .bind(&state.key_id)
        .bind(&state.blob)
        .execute(&self.pool)
        .await
        .map_err(unavailable)
        .map(|_| ())
    }

    async fn journey_state(&self, id: &str, now: DateTime<Utc>) -> Result<Option<Sealed>> {
        let row: Option<(String, Vec<u8>)> =
            sqlx::query_as("SELECT key_id, state FROM journey_states WHERE id = ? AND expires_at > ?")
                .bind(id)
                .bind(now)
                .fetch_optional(&self.pool)
                .await
                .map_err(unavailable)?;
        Ok(row.map(|(key_id, blob)| Sealed { key_id, blob }))
    }

    async fn delete_journey_state(&self, id: &str) -> Result<()> {
        sqlx::query("DELETE FROM journey_states WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(unavailable)
            .map(|_| ())
    }

    async fn purge_journey_states(&self, now: DateTime<Utc>) -> Result<u64> {
        sqlx::query("DELETE FROM journey_submissions WHERE submitted_at < ?")
            .bind(now - chrono::Duration::days(1))
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        sqlx::query("DELETE FROM journey_states WHERE expires_at <= ?")
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(unavailable)
            .map(|r| r.rows_affected())
    }

    async fn put_electors(
        &self,
        ero: &EroId,
        at: DateTime<Utc>,
        electors: &[ier_storage::persons::NewElector],
    ) -> Result<u64> {
        let by_number = ier_storage::persons::by_number(electors);
        let numbers: Vec<&str> = by_number.iter().map(|(n, _)| *n).collect();
        let subjects: Vec<Subject<'_>> =
            by_number.iter().map(|(n, entry)| ((*n).to_owned(), ero.as_str(), *entry)).collect();
        let mut conn = self.pool.acquire().await.map_err(unavailable)?;
        sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await.map_err(unavailable)?;
        let result = async {
            delete_subjects(&mut conn, ero, ier_storage::persons::Source::Elector, &numbers).await?;
            insert_subjects(&mut conn, ier_storage::persons::Source::Elector, at, &subjects).await?;
            Ok(subjects.len() as u64)
        }
        .await;
        finish_with(&mut conn, result).await
    }

    async fn remove_electors(&self, ero: &EroId, numbers: &[String]) -> Result<u64> {
        let numbers: Vec<&str> = numbers.iter().map(String::as_str).collect();
        let mut conn = self.pool.acquire().await.map_err(unavailable)?;
        sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await.map_err(unavailable)?;
        let result = delete_subjects(&mut conn, ero, ier_storage::persons::Source::Elector, &numbers).await;
        finish_with(&mut conn, result).await
    }

    async fn elector_count(&self, ero: &EroId) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM person_subjects WHERE ero_id = ? AND source = 'elector'")
            .bind(ero.as_str())
            .fetch_one(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(n as u64)
    }

    async fn find_persons(&self, digests: &[i64]) -> Result<Vec<ier_storage::persons::PersonFound>> {
        if digests.is_empty() {
            return Ok(vec![]);
        }
        let sql = format!(
            "SELECT k.digest, s.source, s.ero_id, s.subject, COALESCE(a.submitted_at, s.added_at) AS added_at, a.stage, a.determination
               FROM person_keys k JOIN person_subjects s ON s.id = k.subject_id
               LEFT JOIN applications a ON s.source = 'application' AND a.ero_id = s.ero_id AND a.reference = s.subject
              WHERE k.digest IN ({})",
            vec!["?"; digests.len()].join(",")
        );
        let mut q = sqlx::query(&sql);
        for d in digests {
            q = q.bind(*d);
        }
        let rows = q.fetch_all(&self.pool).await.map_err(unavailable)?;
        rows.iter().map(person_found).collect()
    }

    async fn find_application(&self, reference: &ReferenceNumber) -> Result<Option<ApplicationRow>> {
        let row = sqlx::query(&format!("{APPLICATION_SELECT} WHERE a.reference = ?"))
            .bind(reference.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        row.map(|r| application_from(&r)).transpose()
    }

    async fn claim_jobs(
        &self,
        queue: Queue,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Job>> {
        // One statement: SQLite runs writers one at a time, so no two claims overlap.
        let rows = sqlx::query(
            "UPDATE jobs SET state = 'running', worker = ?1, run_after = ?2, attempts = attempts + 1
             WHERE id IN (SELECT id FROM jobs WHERE queue = ?3 AND finished_at IS NULL AND run_after <= ?4
                          ORDER BY run_after, id LIMIT ?5)
             RETURNING id, reference, kind, attempts, created_at",
        )
        .bind(worker)
        .bind(lease_until)
        .bind(queue.as_str())
        .bind(now)
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        let mut jobs = rows.iter().map(job_from).collect::<Result<Vec<_>>>()?;
        jobs.sort_by_key(|j| j.id);
        Ok(jobs)
    }

    async fn job_application(&self, job: i64, worker: &str) -> Result<Option<ApplicationRow>> {
        let row = sqlx::query(&format!(
            "{APPLICATION_SELECT} WHERE a.reference = (SELECT reference FROM jobs WHERE id = ? AND worker = ? AND state = 'running')"
        ))
        .bind(job)
        .bind(worker)
        .fetch_optional(&self.pool)
        .await
        .map_err(unavailable)?;
        row.map(|r| application_from(&r)).transpose()
    }

    async fn complete_job(
        &self,
        job: i64,
        worker: &str,
        now: DateTime<Utc>,
        result: Option<&str>,
        effects: &JobEffects,
    ) -> Result<bool> {
        let mut conn = self.pool.acquire().await.map_err(unavailable)?;
        sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await.map_err(unavailable)?;
        let outcome = async {
            let held: Option<(String, String)> = sqlx::query_as(
                "UPDATE jobs SET state = 'done', finished_at = ?, result = ?, last_error = NULL
                 WHERE id = ? AND worker = ? AND state = 'running' RETURNING reference, ero_id",
            )
            .bind(now)
            .bind(result)
            .bind(job)
            .bind(worker)
            .fetch_optional(&mut *conn)
            .await
            .map_err(unavailable)?;
            let Some((reference, ero)) = held else { return Ok(false) };
            let reference = decode::reference(&reference)?;
            if let Some(kind) = &effects.event {
                insert_event(&mut conn, &reference, &ero, now, kind).await?;
                if let Some(stage) = kind.stage() {
                    let before = jobs::stages_before(stage);
                    if !before.is_empty() {
                        let sql = format!(
                            "UPDATE applications SET stage = ? WHERE reference = ? AND stage IN ({})",
                            vec!["?"; before.len()].join(",")
                        );
                        let mut q = sqlx::query(&sql).bind(stage.as_str()).bind(reference.as_str());
                        for b in before {
                            q = q.bind(b.as_str());
                        }
                        q.execute(&mut *conn).await.map_err(unavailable)?;
                    }
                }
            }
            let rows: Vec<(&NewJob, &str)> = effects.jobs.iter().map(|j| (j, ero.as_str())).collect();
            insert_jobs(&mut conn, &rows, now).await?;
            add_counts(&mut conn, &ier_storage::performance::rows_of(effects.tallies.iter().map(|t| (now, t)))).await?;
            Ok(true)
        }
        .await;
        finish_with(&mut conn, outcome).await
    }

    async fn release_job(&self, job: i64, worker: &str, now: DateTime<Utc>, release: &Release) -> Result<bool> {
        let q = match release {
            Release::Retry { run_after, error } => sqlx::query(
                "UPDATE jobs SET state = 'queued', run_after = ?, last_error = ?
                 WHERE id = ? AND worker = ? AND state = 'running'",
            )
            .bind(*run_after)
            .bind(error.as_str()),
            Release::Fail { error } => sqlx::query(
                "UPDATE jobs SET state = 'failed', finished_at = ?, last_error = ?
                 WHERE id = ? AND worker = ? AND state = 'running'",
            )
            .bind(now)
            .bind(error.as_str()),
        };
        let done = q.bind(job).bind(worker).execute(&self.pool).await.map_err(unavailable)?;
        Ok(done.rows_affected() == 1)
    }

    async fn jobs(&self, filter: &JobFilter) -> Result<Vec<JobRow>> {
        let rows = sqlx::query(
            "SELECT id, queue, reference, kind, state, attempts, run_after, last_error, result, worker, created_at, finished_at
             FROM jobs WHERE (?1 IS NULL OR queue = ?1) AND (?2 IS NULL OR state = ?2) AND (?4 IS NULL OR reference = ?4) ORDER BY id DESC LIMIT ?3",
        )
        .bind(filter.queue.map(|q| q.as_str()))
        .bind(filter.state.map(|s| s.as_str()))
        .bind(filter.limit as i64)
        .bind(filter.reference.map(|r| r.as_str().to_owned()))
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        rows.iter().map(job_row_from).collect()
    }

    async fn retry_job(&self, job: i64, now: DateTime<Utc>) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'queued', attempts = 0, run_after = ?, due_at = ?, finished_at = NULL, worker = NULL
             WHERE id = ? AND state IN ('failed', 'discarded')",
        )
        .bind(now)
        .bind(now)
        .bind(job)
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(done.rows_affected() == 1)
    }

    async fn discard_job(&self, job: i64, now: DateTime<Utc>) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'discarded', finished_at = ? WHERE id = ? AND state IN ('queued', 'failed')",
        )
        .bind(now)
        .bind(job)
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(done.rows_affected() == 1)
    }

    async fn job_stats(&self, now: DateTime<Utc>) -> Result<Vec<QueueStats>> {
        let rows: Vec<(String, i64, i64, Option<DateTime<Utc>>)> = sqlx::query_as(
            "SELECT queue,
                    SUM(CASE WHEN finished_at IS NULL AND (state = 'running' OR run_after <= ?1) THEN 1 ELSE 0 END),
                    SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END),
                    MIN(CASE WHEN finished_at IS NULL AND (state = 'running' OR run_after <= ?1) THEN due_at END)
             FROM jobs WHERE finished_at IS NULL OR state = 'failed' GROUP BY queue",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        jobs::queue_stats(rows, now)
    }

    async fn take_tokens(
        &self,
        bucket: &str,
        now: DateTime<Utc>,
        want: u32,
        per_second: f64,
        burst: f64,
    ) -> Result<u32> {
        let mut conn = self.pool.acquire().await.map_err(unavailable)?;
        sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await.map_err(unavailable)?;
        let result = async {
            let held: Option<(f64, DateTime<Utc>)> =
                sqlx::query_as("SELECT tokens, updated_at FROM token_buckets WHERE name = ?")
                    .bind(bucket)
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(unavailable)?;
            let (tokens, updated) = held.unwrap_or((burst, now));
            let elapsed = (now - updated).num_milliseconds() as f64 / 1000.0;
            let (granted, left) = jobs::take_from_bucket(tokens, elapsed, want, per_second, burst);
            sqlx::query(
                "INSERT INTO token_buckets (name, tokens, updated_at) VALUES (?, ?, ?)
                 ON CONFLICT (name) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at",
            )
            .bind(bucket)
            .bind(left)
            .bind(now.max(updated))
            .execute(&mut *conn)
            .await
            .map_err(unavailable)?;
            Ok(granted)
        }
        .await;
        finish_with(&mut conn, result).await
    }

    async fn purge_token_buckets(&self, before: DateTime<Utc>) -> Result<u64> {
        sqlx::query("DELETE FROM token_buckets WHERE updated_at < ?")
            .bind(before)
            .execute(&self.pool)
            .await
            .map_err(unavailable)
            .map(|r| r.rows_affected())
    }

    async fn add_counts(&self, rows: &[ier_storage::performance::CountRow]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut conn = self.pool.acquire().await.map_err(unavailable)?;
        sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await.map_err(unavailable)?;
        let outcome = add_counts(&mut conn, rows).await;
        finish_with(&mut conn, outcome).await
    }

    async fn counts_between(
        &self,
        from: i64,
        to: i64,
        measures: &[ier_storage::performance::Measure],
    ) -> Result<Vec<ier_storage::performance::CountRow>> {
        let sql = format!(
            "SELECT measure, period, category, SUM(n) FROM performance_counts
             WHERE measure IN ({}) AND period BETWEEN ? AND ? GROUP BY measure, period, category",
            vec!["?"; measures.len()].join(",")
        );
        let mut q = sqlx::query_as::<_, (String, i64, String, i64)>(&sql);
        for m in measures {
            q = q.bind(m.as_str());
        }
        let rows = q.bind(from).bind(to).fetch_all(&self.pool).await.map_err(unavailable)?;
        rows.into_iter()
            .map(|(measure, period, category, count)| {
                ier_storage::performance::CountRow::stored(&measure, period, category, count)
                    .ok_or_else(|| decode::corrupt("measure"))
            })
            .collect()
    }

    async fn count_totals(
        &self,
        from: i64,
        to: i64,
        measures: &[ier_storage::performance::Measure],
    ) -> Result<Vec<ier_storage::performance::CountRow>> {
        let sql = format!(
            "SELECT measure, category, SUM(n) FROM performance_counts
             WHERE measure IN ({}) AND period BETWEEN ? AND ? GROUP BY measure, category",
            vec!["?"; measures.len()].join(",")
        );
        let mut q = sqlx::query_as::<_, (String, String, i64)>(&sql);
        for m in measures {
            q = q.bind(m.as_str());
        }
        let rows = q.bind(from).bind(to).fetch_all(&self.pool).await.map_err(unavailable)?;
        rows.into_iter()
            .map(|(measure, category, count)| {
                ier_storage::performance::CountRow::stored(&measure, from, category, count)
                    .ok_or_else(|| decode::corrupt("measure"))
            })
            .collect()
    }

    async fn put_ero_contacts(&self, contacts: &[(EroId, ier_domain::EroContact)]) -> Result<u64> {
        let mut tx = self.pool.begin().await.map_err(unavailable)?;
        let mut known = 0;
        for (id, c) in contacts {
            let done = sqlx::query("UPDATE eros SET email = ?, phone = ?, website = ?, address = ? WHERE id = ?")
                .bind(&c.email)
                .bind(&c.phone)
                .bind(&c.website)
                .bind(&c.address)
                .bind(id.as_str())
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
            known += done.rows_affected();
        }
        tx.commit().await.map_err(unavailable)?;
        Ok(known)
    }

    async fn counts(&self) -> Result<Counts> {
        let rows = sqlx::query("SELECT stage, COUNT(*) FROM applications GROUP BY stage ORDER BY stage")
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        let mut by_stage = Vec::new();
        for r in rows {
            by_stage.push((decode::stage(r.get::<&str, _>(0))?, r.get::<i64, _>(1) as u64));
        }
        decode::sort_stages(&mut by_stage);
        let pending: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE queue = 'verify' AND finished_at IS NULL")
                .fetch_one(&self.pool)
                .await
                .map_err(unavailable)?;
        Ok(Counts { by_stage, pending_verifications: pending as u64 })
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map_err(unavailable).map(|_| ())
    }

    async fn insert_feedback(&self, row: &ier_storage::feedback::FeedbackRow) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO feedback (form_id, received_at, rating, page, key_id, comment) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (form_id) DO NOTHING",
        )
        .bind(row.form_id.as_str())
        .bind(row.received_at)
        .bind(row.rating.as_str())
        .bind(row.page.as_deref())
        .bind(row.comment.as_ref().map(|c| c.key_id.as_str()))
        .bind(row.comment.as_ref().map(|c| c.blob.as_slice()))
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(done.rows_affected() == 1)
    }

    async fn feedback_since(&self, since: DateTime<Utc>) -> Result<Vec<ier_storage::feedback::FeedbackRow>> {
        let rows = sqlx::query(
            "SELECT form_id, received_at, rating, page, key_id, comment FROM feedback
             WHERE received_at >= ? ORDER BY received_at, form_id",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        rows.iter().map(feedback_from).collect()
    }

    async fn erasable_applications(
        &self,
        cutoffs: &ier_domain::retention::Cutoffs,
        limit: u32,
    ) -> Result<Vec<(EroId, ReferenceNumber)>> {
        // Two range scans of the partial indexes (migration 0012), not a scan of every row.
        let rows: Vec<(String, String)> = sqlx::query_as(&format!(
            "SELECT ero_id, reference FROM (
               SELECT a.seq, a.ero_id, a.reference FROM applications a
                WHERE a.erased_at IS NULL AND a.determination IN ('approved', 'rejected') AND a.determined_at < ?1
                  AND {ERASABLE}
               UNION
               SELECT a.seq, a.ero_id, a.reference FROM applications a
                WHERE a.erased_at IS NULL AND a.ems_confirmed_at IS NOT NULL AND a.ems_confirmed_at < ?2
                  AND {ERASABLE})
             ORDER BY seq LIMIT ?3"
        ))
        .bind(cutoffs.decided_before)
        .bind(cutoffs.received_before)
        .bind(i64::from(limit.min(i64::MAX as u32)))
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        rows.iter().map(|(e, r)| Ok((decode::ero_id(e)?, decode::reference(r)?))).collect()
    }

    async fn erase_applications(
        &self,
        references: &[ReferenceNumber],
        cutoffs: &ier_domain::retention::Cutoffs,
        now: DateTime<Utc>,
    ) -> Result<Vec<(EroId, ReferenceNumber)>> {
        if references.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.pool.acquire().await.map_err(unavailable)?;
        sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await.map_err(unavailable)?;
        let result = async {
            let mut erased = Vec::with_capacity(references.len());
            for chunk in references.chunks(BATCH_ROWS) {
                let marks: Vec<String> = (0..chunk.len()).map(|i| format!("?{}", i + 4)).collect();
                let sql = format!(
                    "UPDATE applications AS a SET details = X'', key_id = '', ems_message = NULL,
                         ems_message_key = NULL, erased_at = ?3
                     WHERE a.reference IN ({}) AND a.erased_at IS NULL AND a.ems_confirmed_at IS NOT NULL
                       AND ((a.determination IN ('approved', 'rejected') AND a.determined_at < ?1)
                            OR a.ems_confirmed_at < ?2)
                       AND {ERASABLE}
                     RETURNING ero_id, reference",
                    marks.join(",")
                );
                let mut q = sqlx::query_as::<_, (String, String)>(&sql)
                    .bind(cutoffs.decided_before)
                    .bind(cutoffs.received_before)
                    .bind(now);
                for r in chunk {
                    q = q.bind(r.as_str());
                }
                for (ero, reference) in q.fetch_all(&mut *conn).await.map_err(unavailable)? {
                    erased.push((decode::ero_id(&ero)?, decode::reference(&reference)?));
                }
            }
            for chunk in erased.chunks(BATCH_ROWS) {
                let marks = vec!["?"; chunk.len()].join(",");
                let sql =
                    format!("UPDATE register_checks SET candidates = NULL, key_id = NULL WHERE reference IN ({marks})");
                let mut q = sqlx::query(&sql);
                for (_, r) in chunk {
                    q = q.bind(r.as_str());
                }
                q.execute(&mut *conn).await.map_err(unavailable)?;
                // Evidence files' keys go with their rows: any copy of the bytes is unreadable.
                for table in ["evidence_files", "attestations", "evidence_requests", "determination_notes"] {
                    let sql = format!("DELETE FROM {table} WHERE reference IN ({marks})");
                    let mut q = sqlx::query(&sql);
                    for (_, r) in chunk {
                        q = q.bind(r.as_str());
                    }
                    q.execute(&mut *conn).await.map_err(unavailable)?;
                }
            }
            let mut by_ero: std::collections::BTreeMap<&EroId, Vec<String>> = Default::default();
            for (ero, r) in &erased {
                by_ero.entry(ero).or_default().push(ier_storage::persons::application_subject(r));
            }
            for (ero, subjects) in by_ero {
                let subjects: Vec<&str> = subjects.iter().map(String::as_str).collect();
                delete_subjects(&mut conn, ero, ier_storage::persons::Source::Application, &subjects).await?;
            }
            for (ero, r) in &erased {
                insert_event(&mut conn, r, ero.as_str(), now, &EventKind::Erased).await?;
            }
            Ok(erased)
        }
        .await;
        let erased = finish_with(&mut conn, result).await?;
        // The pages as they were before erasing are still in the write-ahead log
        // until it is checkpointed: copy it back and empty it now (best effort: a
        // long read holding it up is caught by the next run, or SQLite's own checkpoints).
        if !erased.is_empty() {
            let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut *conn).await;
        }
        Ok(erased)
    }

    async fn erasable_feedback_comments(&self, before: DateTime<Utc>) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM feedback WHERE received_at < ? AND comment IS NOT NULL")
            .bind(before)
            .fetch_one(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(n as u64)
    }

    async fn erase_feedback_comments(&self, before: DateTime<Utc>, limit: u32) -> Result<u64> {
        sqlx::query(
            "UPDATE feedback SET key_id = NULL, comment = NULL WHERE form_id IN (
               SELECT form_id FROM feedback WHERE received_at < ? AND comment IS NOT NULL LIMIT ?)",
        )
        .bind(before)
        .bind(i64::from(limit))
        .execute(&self.pool)
        .await
        .map_err(unavailable)
        .map(|r| r.rows_affected())
    }

    async fn create_matching_run(&self, run: &m::NewRun) -> Result<()> {
        matching::create(&self.pool, run).await
    }

    async fn matching_run(&self, ero: &EroId, id: &m::RunId) -> Result<Option<m::RunRow>> {
        matching::get(&self.pool, ero, id).await
    }

    async fn matching_runs(&self, ero: &EroId, limit: u32) -> Result<Vec<m::RunRow>> {
        matching::list(&self.pool, ero, limit).await
    }

    async fn put_run_page(&self, ero: &EroId, id: &m::RunId, page: &m::SealedPage) -> Result<u64> {
        matching::put_page(&self.pool, &self.page_index, ero, id, page).await
    }

    async fn put_local_records(&self, ero: &EroId, id: &m::RunId, records: &[m::SealedRecord]) -> Result<(u64, u64)> {
        matching::put_local(&self.pool, ero, id, records).await
    }

    async fn queue_match(
        &self,
        ero: &EroId,
        id: &m::RunId,
        against: m::Against,
        now: DateTime<Utc>,
    ) -> Result<m::RunRow> {
        let queued = matching::queue(&self.pool, ero, id, against, now).await?;
        self.page_index.forget(id);
        Ok(queued)
    }

    async fn delete_matching_run(&self, ero: &EroId, id: &m::RunId) -> Result<bool> {
        self.page_index.forget(id);
        matching::delete(&self.pool, ero, id).await
    }

    async fn match_result_chunks(&self, ero: &EroId, id: &m::RunId, after: &str, limit: u32) -> Result<Vec<Vec<u8>>> {
        matching::result_chunks(&self.pool, ero, id, after, limit).await
    }

    async fn match_property_chunks(&self, ero: &EroId, id: &m::RunId, after: u32, last: u32) -> Result<Vec<Vec<u8>>> {
        matching::property_chunks(&self.pool, ero, id, after, last).await
    }

    async fn claim_matching_run(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<m::RunRow>> {
        matching::claim(&self.pool, worker, now, until).await
    }

    async fn run_pages(&self, id: &m::RunId, worker: &str) -> Result<Vec<m::SealedPage>> {
        matching::work_pages(&self.pool, id, worker).await
    }

    async fn run_result_chunks(&self, id: &m::RunId, worker: &str) -> Result<Vec<Vec<u8>>> {
        matching::work_result_chunks(&self.pool, id, worker).await
    }

    async fn run_local_records(&self, id: &m::RunId, worker: &str) -> Result<Vec<m::SealedRecord>> {
        matching::work_local(&self.pool, id, worker).await
    }

    async fn matching_progress(
        &self,
        id: &m::RunId,
        worker: &str,
        done: u64,
        total: u64,
        until: DateTime<Utc>,
    ) -> Result<bool> {
        matching::progress(&self.pool, id, worker, done, total, until).await
    }

    async fn put_match_results(
        &self,
        id: &m::RunId,
        worker: &str,
        results: &[m::ResultChunk],
        properties: &[m::PropertyChunk],
    ) -> Result<bool> {
        matching::put_results(&self.pool, id, worker, results, properties).await
    }

    async fn finish_match(&self, id: &m::RunId, worker: &str, now: DateTime<Utc>, error: Option<&str>) -> Result<bool> {
        matching::finish(&self.pool, id, worker, now, error).await
    }

    async fn erase_matching_runs(
        &self,
        cutoffs: &ier_domain::retention::Cutoffs,
        limit: u32,
        dry_run: bool,
    ) -> Result<Vec<EroId>> {
        matching::erase(&self.pool, cutoffs, limit, dry_run).await
    }

    async fn put_staff(&self, row: &ier_storage::staff::StaffRow, recovery: &[String]) -> Result<()> {
        portal::put_staff(&self.pool, row, recovery).await
    }

    async fn staff_by_username(
        &self,
        username: &ier_storage::staff::Username,
    ) -> Result<Option<ier_storage::staff::StaffRow>> {
        portal::staff_by(&self.pool, "username", username.as_str()).await
    }

    async fn staff_member(&self, id: &ier_storage::staff::StaffId) -> Result<Option<ier_storage::staff::StaffRow>> {
        portal::staff_by(&self.pool, "id", id.as_str()).await
    }

    async fn staff_of(&self, ero: &EroId) -> Result<Vec<ier_storage::staff::StaffRow>> {
        portal::staff_of(&self.pool, ero).await
    }

    async fn staff_failed(
        &self,
        id: &ier_storage::staff::StaffId,
        _now: DateTime<Utc>,
        max: u32,
        lock_until: DateTime<Utc>,
    ) -> Result<u32> {
        portal::staff_failed(&self.pool, id, max, lock_until).await
    }

    async fn staff_signed_in(
        &self,
        id: &ier_storage::staff::StaffId,
        totp_step: Option<i64>,
        recovery: Option<&str>,
        session: &ier_storage::staff::SessionRow,
    ) -> Result<bool> {
        portal::staff_signed_in(&self.pool, id, totp_step, recovery, session).await
    }

    async fn staff_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
        idle_since: DateTime<Utc>,
    ) -> Result<Option<(ier_storage::staff::SessionRow, ier_storage::staff::StaffRow)>> {
        portal::staff_session(&self.pool, token_hash, now, idle_since).await
    }

    async fn delete_staff_session(&self, token_hash: &str) -> Result<()> {
        portal::delete_staff_session(&self.pool, token_hash).await
    }

    async fn set_staff_password(&self, id: &ier_storage::staff::StaffId, hash: &str, keep: Option<&str>) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(unavailable)?;
        sqlx::query("UPDATE staff SET password_hash = ?, password_chosen = 1 WHERE id = ?")
            .bind(hash)
            .bind(id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        sqlx::query("DELETE FROM staff_sessions WHERE staff_id = ? AND token_hash IS NOT ?")
            .bind(id.as_str())
            .bind(keep)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)
    }

    async fn put_attestation(
        &self,
        row: &ier_storage::evidence::AttestationRow,
        job: &NewJob,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        portal::put_attestation(&self.pool, row, job, now).await
    }

    async fn attestation(
        &self,
        id: &ier_storage::evidence::AttestationId,
    ) -> Result<Option<ier_storage::evidence::AttestationRow>> {
        portal::attestation(&self.pool, id).await
    }

    async fn attestations(
        &self,
        ero: &EroId,
        reference: &ReferenceNumber,
    ) -> Result<Vec<ier_storage::evidence::AttestationRow>> {
        portal::attestations(&self.pool, ero, reference).await
    }

    async fn confirm_attestation(
        &self,
        id: &ier_storage::evidence::AttestationId,
        now: DateTime<Utc>,
        on_register: bool,
    ) -> Result<bool> {
        portal::confirm_attestation(&self.pool, id, now, on_register).await
    }

    async fn evidence_files_known(&self, ids: &[String]) -> Result<Vec<String>> {
        let mut known = Vec::new();
        for chunk in ids.chunks(BATCH_ROWS) {
            let marks = vec!["?"; chunk.len()].join(",");
            let sql = format!("SELECT id FROM evidence_files WHERE id IN ({marks})");
            let mut q = sqlx::query_scalar::<_, String>(&sql);
            for id in chunk {
                q = q.bind(id);
            }
            known.extend(q.fetch_all(&self.pool).await.map_err(unavailable)?);
        }
        Ok(known)
    }

    async fn put_evidence_request(
        &self,
        row: &ier_storage::evidence::EvidenceRequestRow,
        message: &NewJob,
    ) -> Result<()> {
        portal::put_evidence_request(&self.pool, row, message).await
    }

    async fn evidence_request(
        &self,
        id: &ier_storage::evidence::RequestId,
    ) -> Result<Option<ier_storage::evidence::EvidenceRequestRow>> {
        portal::evidence_request(&self.pool, id).await
    }

    async fn evidence_requests(
        &self,
        ero: &EroId,
        reference: &ReferenceNumber,
    ) -> Result<Vec<ier_storage::evidence::EvidenceRequestRow>> {
        portal::evidence_requests(&self.pool, ero, reference).await
    }

    async fn put_evidence_files(
        &self,
        request: &ier_storage::evidence::RequestId,
        files: &[ier_storage::evidence::EvidenceFileRow],
        now: DateTime<Utc>,
    ) -> Result<bool> {
        portal::put_evidence_files(&self.pool, request, files, now).await
    }

    async fn evidence_files(
        &self,
        ero: &EroId,
        reference: &ReferenceNumber,
    ) -> Result<Vec<ier_storage::evidence::EvidenceFileRow>> {
        portal::evidence_files(&self.pool, ero, reference).await
    }

    async fn determinations(&self, ero: &EroId, cursor: i64, limit: u32) -> Result<Vec<ier_storage::DeterminationRow>> {
        portal::determinations(&self.pool, ero, cursor, limit).await
    }

    async fn queue(
        &self,
        ero: &EroId,
        filter: &ier_storage::QueueFilter,
        after: Option<&ReferenceNumber>,
        limit: u32,
    ) -> Result<Vec<ApplicationRow>> {
        portal::queue(&self.pool, ero, filter, after, limit).await
    }
}

/// What else an application must be for erasure, besides being due by its
/// dates: no job about it still to run (a message the applicant is owed goes first).
const ERASABLE: &str = "NOT EXISTS (SELECT 1 FROM jobs j WHERE j.reference = a.reference AND j.finished_at IS NULL)";

fn feedback_from(r: &sqlx::sqlite::SqliteRow) -> Result<ier_storage::feedback::FeedbackRow> {
    use ier_storage::feedback::{FeedbackRow, FormId, Satisfaction};
    let comment = match (r.get::<Option<String>, _>("key_id"), r.get::<Option<Vec<u8>>, _>("comment")) {
        (Some(key_id), Some(blob)) => Some(Sealed { key_id, blob }),
        _ => None,
    };
    Ok(FeedbackRow {
        form_id: FormId::parse(r.get("form_id")).ok_or_else(|| ier_storage::decode::corrupt("feedback form id"))?,
        received_at: r.get("received_at"),
        rating: Satisfaction::parse(r.get("rating")).ok_or_else(|| ier_storage::decode::corrupt("feedback rating"))?,
        page: r.get("page"),
        comment,
    })
}

/// Add to the performance counters (shard 0: SQLite has one writer at a time).
async fn add_counts(conn: &mut sqlx::SqliteConnection, rows: &[ier_storage::performance::CountRow]) -> Result<()> {
    for chunk in rows.chunks(BATCH_ROWS) {
        let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "INSERT INTO performance_counts (measure, period, category, shard, n) ",
        );
        q.push_values(chunk, |mut b, r| {
            b.push_bind(r.measure.as_str())
                .push_bind(r.period)
                .push_bind(&r.category)
                .push_bind(0i64)
                .push_bind(r.count);
        });
        q.push(" ON CONFLICT (measure, period, category, shard) DO UPDATE SET n = n + excluded.n");
        q.build().execute(&mut *conn).await.map_err(unavailable)?;
    }
    Ok(())
}

/// Applications with their two events, verification requests and register
/// checks, in a few multi-row statements (a submission is a batch of one).
async fn insert_batch(conn: &mut sqlx::SqliteConnection, submissions: &[Submission]) -> Result<Vec<Receipt>> {
    let mut gss: Vec<&str> = submissions.iter().map(|s| s.row.gss_code.as_str()).collect();
    gss.sort_unstable();
    gss.dedup();
    let sql = format!("SELECT gss_code, ero_id FROM councils WHERE gss_code IN ({})", vec!["?"; gss.len()].join(","));
    let mut q = sqlx::query_as::<_, (String, String)>(&sql);
    for g in &gss {
        q = q.bind(*g);
    }
    let found = q.fetch_all(&mut *conn).await.map_err(unavailable)?;
    let by_gss: std::collections::HashMap<String, String> = found.into_iter().collect();
    let mut all_eros = Vec::with_capacity(submissions.len());
    for s in submissions {
        let ero = by_gss.get(s.row.gss_code.as_str()).ok_or(StorageError::UnknownCouncil(s.row.gss_code))?;
        all_eros.push(ero.clone());
    }
    // Journeys stored already: their receipts, and nothing stored again.
    let keys: Vec<&str> = submissions.iter().filter_map(|s| s.journey.as_ref().map(|k| k.as_str())).collect();
    let mut known = std::collections::HashMap::new();
    for chunk in keys.chunks(BATCH_ROWS) {
        let sql = format!(
            "SELECT journey_key, reference, ero_id, submitted_at FROM journey_submissions WHERE journey_key IN ({})",
            vec!["?"; chunk.len()].join(",")
        );
        let mut q = sqlx::query_as::<_, (String, String, String, DateTime<Utc>)>(&sql);
        for k in chunk {
            q = q.bind(*k);
        }
        for (key, reference, ero, at) in q.fetch_all(&mut *conn).await.map_err(unavailable)? {
            let receipt =
                Receipt { reference: decode::reference(&reference)?, ero_id: decode::ero_id(&ero)?, submitted_at: at };
            known.insert(key, receipt);
        }
    }
    let plan = ier_storage::plan_journeys(submissions, &all_eros, known)?;
    let submissions: Vec<&Submission> = plan.fresh.iter().map(|&i| &submissions[i]).collect();
    let eros: Vec<&String> = plan.fresh.iter().map(|&i| &all_eros[i]).collect();
    // Numbers in submission order (the table is keyed by ERO and number: migration 0003).
    let last: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM applications")
        .fetch_one(&mut *conn)
        .await
        .map_err(unavailable)?;
    let mut next = last;
    for (chunk, chunk_eros) in submissions.chunks(BATCH_ROWS).zip(eros.chunks(BATCH_ROWS)) {
        let rows: Vec<(&Submission, &String, i64)> = chunk
            .iter()
            .zip(chunk_eros)
            .map(|(s, e)| {
                next += 1;
                (*s, *e, next)
            })
            .collect();
        let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "INSERT INTO applications (seq, reference, ero_id, gss_code, kind, language, stage, submitted_at, key_id, details) ",
        );
        q.push_values(&rows, |mut b, (s, ero, seq)| {
            let r = &s.row;
            b.push_bind(*seq)
                .push_bind(r.reference.as_str())
                .push_bind(ero.as_str())
                .push_bind(r.gss_code.as_str())
                .push_bind(r.kind.as_str())
                .push_bind(r.language.as_str())
                .push_bind(r.stage.as_str())
                .push_bind(r.submitted_at)
                .push_bind(&r.details.key_id)
                .push_bind(&r.details.blob);
        });
        q.build().execute(&mut *conn).await.map_err(unavailable)?;
        let events: Vec<(&ApplicationRow, &String, &EventKind)> =
            rows.iter().flat_map(|(s, e, _)| s.events.iter().map(move |k| (&s.row, *e, k))).collect();
        if !events.is_empty() {
            let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT INTO application_events (reference, ero_id, at, kind, detail) ",
            );
            q.push_values(&events, |mut b, (r, ero, kind)| {
                b.push_bind(r.reference.as_str())
                    .push_bind(ero.as_str())
                    .push_bind(r.submitted_at)
                    .push_bind(kind.name())
                    .push_bind(event_json(kind));
            });
            q.build().execute(&mut *conn).await.map_err(unavailable)?;
        }
        let jobs: Vec<(&NewJob, &str)> =
            rows.iter().flat_map(|(s, e, _)| s.jobs.iter().map(move |j| (j, e.as_str()))).collect();
        if let Some((first, _, _)) = rows.first() {
            insert_jobs(conn, &jobs, first.row.submitted_at).await?;
        }
        let checks: Vec<_> =
            rows.iter().filter_map(|(s, ero, _)| s.register_check.as_ref().map(|c| (&s.row, *ero, c))).collect();
        if !checks.is_empty() {
            let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT INTO register_checks (id, reference, ero_id, gss_code, historical, created_at) ",
            );
            q.push_values(&checks, |mut b, (r, ero, check)| {
                b.push_bind(check.id.as_str())
                    .push_bind(r.reference.as_str())
                    .push_bind(ero.as_str())
                    .push_bind(r.gss_code.as_str())
                    .push_bind(check.historical)
                    .push_bind(r.submitted_at);
            });
            q.build().execute(&mut *conn).await.map_err(unavailable)?;
        }
    }
    let people: Vec<(&ier_storage::persons::PersonEntry, &Submission, &String)> =
        submissions.iter().zip(&eros).filter_map(|(s, e)| s.person.as_ref().map(|p| (p, *s, *e))).collect();
    if !people.is_empty() {
        let subjects: Vec<Subject<'_>> = people
            .iter()
            .map(|(p, s, e)| (ier_storage::persons::application_subject(&s.row.reference), e.as_str(), *p))
            .collect();
        insert_subjects(conn, ier_storage::persons::Source::Application, submissions[0].row.submitted_at, &subjects)
            .await?;
    }
    let tallies = submissions.iter().flat_map(|s| s.tallies.iter().map(|t| (s.row.submitted_at, t)));
    add_counts(conn, &ier_storage::performance::rows_of(tallies)).await?;
    let journeys: Vec<(&str, &Submission, &String)> =
        submissions.iter().zip(&eros).filter_map(|(s, e)| s.journey.as_ref().map(|k| (k.as_str(), *s, *e))).collect();
    for chunk in journeys.chunks(BATCH_ROWS) {
        let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "INSERT INTO journey_submissions (journey_key, reference, ero_id, submitted_at) ",
        );
        q.push_values(chunk, |mut b, (key, s, ero)| {
            b.push_bind(*key).push_bind(s.row.reference.as_str()).push_bind(ero.as_str()).push_bind(s.row.submitted_at);
        });
        q.build().execute(&mut *conn).await.map_err(unavailable)?;
    }
    Ok(plan.receipts)
}

fn person_found(r: &sqlx::sqlite::SqliteRow) -> Result<ier_storage::persons::PersonFound> {
    Ok(ier_storage::persons::PersonFound {
        digest: r.get("digest"),
        source: ier_storage::persons::Source::parse(r.get("source")).ok_or_else(|| decode::corrupt("source"))?,
        ero_id: decode::ero_id(r.get("ero_id"))?,
        subject: r.get("subject"),
        added_at: r.get("added_at"),
        stage: r.get::<Option<&str>, _>("stage").map(decode::stage).transpose()?,
        determination: r.get::<Option<&str>, _>("determination").map(decode::determination).transpose()?,
    })
}

/// A subject for the person index: `(subject, ero, digests)`.
type Subject<'a> = (String, &'a str, &'a ier_storage::persons::PersonEntry);

/// Add subjects to the person index with their digests, numbered after the
/// highest (the write lock is held).
async fn insert_subjects(
    conn: &mut sqlx::SqliteConnection,
    source: ier_storage::persons::Source,
    at: DateTime<Utc>,
    subjects: &[Subject<'_>],
) -> Result<()> {
    let last: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM person_subjects")
        .fetch_one(&mut *conn)
        .await
        .map_err(unavailable)?;
    let numbered: Vec<(i64, &Subject<'_>)> =
        subjects.iter().enumerate().map(|(i, s)| (last + 1 + i as i64, s)).collect();
    for chunk in numbered.chunks(BATCH_ROWS) {
        let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "INSERT INTO person_subjects (id, ero_id, source, subject, key_id, added_at) ",
        );
        q.push_values(chunk, |mut b, (id, (subject, ero, entry))| {
            b.push_bind(*id)
                .push_bind(*ero)
                .push_bind(source.as_str())
                .push_bind(subject.as_str())
                .push_bind(entry.key_id.as_str())
                .push_bind(at);
        });
        q.build().execute(&mut *conn).await.map_err(unavailable)?;
    }
    let mut keys: Vec<(i64, i64)> =
        numbered.iter().flat_map(|(id, (_, _, entry))| entry.digests.iter().map(move |d| (*d, *id))).collect();
    insert_person_keys(conn, &mut keys).await
}

/// Digests of subjects, `(digest, subject id)`, written in digest order.
async fn insert_person_keys(conn: &mut sqlx::SqliteConnection, keys: &mut Vec<(i64, i64)>) -> Result<()> {
    keys.sort_unstable();
    keys.dedup();
    for chunk in keys.chunks(BATCH_ROWS * 4) {
        let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new("INSERT INTO person_keys (digest, subject_id) ");
        q.push_values(chunk, |mut b, (digest, id)| {
            b.push_bind(*digest).push_bind(*id);
        });
        q.build().execute(&mut *conn).await.map_err(unavailable)?;
    }
    Ok(())
}

/// Delete an ERO's subjects of one source, by subject; how many there were.
async fn delete_subjects(
    conn: &mut sqlx::SqliteConnection,
    ero: &EroId,
    source: ier_storage::persons::Source,
    subjects: &[&str],
) -> Result<u64> {
    let mut n = 0;
    for chunk in subjects.chunks(BATCH_ROWS) {
        let marks = vec!["?"; chunk.len()].join(",");
        let ids_sql =
            format!("SELECT id FROM person_subjects WHERE ero_id = ? AND source = ? AND subject IN ({marks})");
        let mut q = sqlx::query_scalar::<_, i64>(&ids_sql).bind(ero.as_str()).bind(source.as_str());
        for s in chunk {
            q = q.bind(*s);
        }
        let ids = q.fetch_all(&mut *conn).await.map_err(unavailable)?;
        if ids.is_empty() {
            continue;
        }
        let marks = vec!["?"; ids.len()].join(",");
        for sql in [
            format!("DELETE FROM person_keys WHERE subject_id IN ({marks})"),
            format!("DELETE FROM person_subjects WHERE id IN ({marks})"),
        ] {
            let mut q = sqlx::query(&sql);
            for id in &ids {
                q = q.bind(*id);
            }
            q.execute(&mut *conn).await.map_err(unavailable)?;
        }
        n += ids.len() as u64;
    }
    Ok(n)
}

/// Rows a multi-row statement carries at most (10 parameters a row: inside SQLite's 32,766).
const BATCH_ROWS: usize = 500;

async fn insert_event(
    conn: &mut sqlx::SqliteConnection,
    reference: &ReferenceNumber,
    ero: &str,
    at: DateTime<Utc>,
    kind: &EventKind,
) -> Result<()> {
    sqlx::query("INSERT INTO application_events (reference, ero_id, at, kind, detail) VALUES (?, ?, ?, ?, ?)")
        .bind(reference.as_str())
        .bind(ero)
        .bind(at)
        .bind(kind.name())
        .bind(event_json(kind))
        .execute(&mut *conn)
        .await
        .map_err(unavailable)
        .map(|_| ())
}

/// Queue jobs (each for its ERO's application), due when they say or at `now`;
/// a job whose dedupe key is queued already is not queued again.
async fn insert_jobs(conn: &mut sqlx::SqliteConnection, jobs: &[(&NewJob, &str)], now: DateTime<Utc>) -> Result<()> {
    for chunk in jobs.chunks(BATCH_ROWS) {
        if chunk.is_empty() {
            continue;
        }
        let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "INSERT INTO jobs (queue, reference, ero_id, kind, dedupe, state, run_after, due_at, created_at) ",
        );
        q.push_values(chunk, |mut b, (job, ero)| {
            let due = job.run_after.unwrap_or(now);
            b.push_bind(job.kind.queue().as_str())
                .push_bind(job.reference.as_str())
                .push_bind(*ero)
                .push_bind(job.kind.to_json())
                .push_bind(job.dedupe.as_str())
                .push_bind("queued")
                .push_bind(due)
                .push_bind(due)
                .push_bind(now);
        });
        q.push(" ON CONFLICT (dedupe) DO NOTHING");
        q.build().execute(&mut *conn).await.map_err(unavailable)?;
    }
    Ok(())
}

/// The audit chain's head (made by migration 0010).
async fn sqlite_chain_head(conn: &mut sqlx::SqliteConnection) -> Result<ier_storage::audit_chain::ChainHead> {
    let row = sqlx::query("SELECT from_id, last_id, hash FROM audit_chain WHERE id = 1")
        .fetch_optional(&mut *conn)
        .await
        .map_err(unavailable)?
        .ok_or_else(|| decode::corrupt("audit_chain"))?;
    Ok(ier_storage::audit_chain::ChainHead {
        from_id: row.get("from_id"),
        last_id: row.get("last_id"),
        hash: row.get("hash"),
    })
}

async fn finish(conn: &mut sqlx::SqliteConnection, result: Result<()>) -> Result<()> {
    finish_with(conn, result).await
}

/// Commit on success, roll back on error.
async fn finish_with<T>(conn: &mut sqlx::SqliteConnection, result: Result<T>) -> Result<T> {
    match result {
        Ok(v) => sqlx::query("COMMIT").execute(&mut *conn).await.map_err(unavailable).map(|_| v),
        Err(e) => {
            let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
            Err(e)
        }
    }
}
