//! The PostgreSQL backend of `ier-storage`: production.
//!
//! Same contract as the SQLite backend. Commits are durable with the server's
//! defaults (`synchronous_commit = on`, `fsync = on`). Connections may be
//! pinned to a schema (`search_path`), which the tests use to give every story
//! a fresh schema on one server.

mod matching;
mod portal;

use std::str::FromStr;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ier_domain::{
    Council, Determination, Ero, EroContact, EroId, Event, EventKind, GssCode, ReasonCode, ReferenceNumber,
};
use ier_storage::matching as m;
use ier_storage::{
    ApiAccess, ApplicationRow, Backend, ConfirmOutcome, Counts, DetermineOutcome, Job, JobEffects, JobFilter, JobKind,
    JobRow, NewJob, Queue, QueueStats, Receipt, ReceiptRow, RegisterAnswerRow, RegisterCheckState, Release, Result,
    Sealed, StorageError, Submission, decode, jobs,
};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::{PgPool, Postgres, Row, Transaction};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

const ERO_COLUMNS: &str = "id, name, name_cy, email, phone, website, address";
const COUNCIL_COLUMNS: &str = "gss_code, name, name_cy, nation, ero_id";
use ier_storage::sql::{APPLICATION_SELECT, APPLICATION_SELECT_WITH_CANDIDATES};

/// The role and setting that row-level security keys on (migration 0002).
const SCOPE: &str = "SELECT set_config('role', 'ier_ero_scope', true), set_config('ier.ero_id', $1, true)";

/// Connections in a pool unless told otherwise (`IER_DB_POOL`).
pub const DEFAULT_CONNECTIONS: u32 = 16;

/// A PostgreSQL database.
#[derive(Clone)]
pub struct PgBackend {
    pool: PgPool,
    /// The number digests of the runs being uploaded ([`m::PageIndex`]).
    page_index: std::sync::Arc<ier_storage::matching::PageIndex>,
}

impl PgBackend {
    /// Connect with a `postgres://` URL and bring the schema up to date.
    pub async fn connect(url: &str) -> Result<Self> {
        let options =
            PgConnectOptions::from_str(url).map_err(|e| StorageError::Unavailable(format!("bad Postgres URL: {e}")))?;
        Self::connect_with(options, DEFAULT_CONNECTIONS).await
    }

    /// Connect with options (for example a `search_path`) and a pool size.
    pub async fn connect_with(options: PgConnectOptions, max_connections: u32) -> Result<Self> {
        let pool =
            // A request that cannot get a connection in 10 s fails (503, answers kept) rather than hanging.
            PgPoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(std::time::Duration::from_secs(10))
                .connect_with(options)
                .await
                .map_err(unavailable)?;
        MIGRATOR.run(&pool).await.map_err(|e| StorageError::Unavailable(format!("migration failed: {e}")))?;
        Ok(Self { pool, page_index: Default::default() })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// A transaction in which row-level security confines every statement to
    /// one ERO's rows: the second wall behind the `WHERE ero_id = ...` of
    /// every query (which stays, as the first).
    pub async fn scoped(&self, ero: &EroId) -> Result<Transaction<'static, Postgres>> {
        let mut tx = self.pool.begin().await.map_err(unavailable)?;
        sqlx::query(SCOPE).bind(ero.as_str()).execute(&mut *tx).await.map_err(unavailable)?;
        Ok(tx)
    }
}

fn pg_api_access(r: &PgRow) -> Result<ApiAccess> {
    Ok(ApiAccess {
        at: r.get("at"),
        request_id: r.get("request_id"),
        ero_id: decode::ero_id(r.get("ero_id"))?,
        certificate_serial: r.get("certificate_serial"),
        method: r.get("method"),
        route: r.get("route"),
        target: r.get("target"),
        status: u16::try_from(r.get::<i32, _>("status")).map_err(|_| decode::corrupt("status"))?,
        items: r.get::<Option<i32>, _>("items").map(|n| n as u32),
    })
}

/// The audit chain's head (made by migration 0010), locked for the transaction when `lock`.
async fn pg_chain_head(
    tx: &mut Transaction<'static, Postgres>,
    lock: bool,
) -> Result<ier_storage::audit_chain::ChainHead> {
    let sql = if lock {
        "SELECT from_id, last_id, hash FROM audit_chain WHERE id = 1 FOR UPDATE"
    } else {
        "SELECT from_id, last_id, hash FROM audit_chain WHERE id = 1"
    };
    let row = sqlx::query(sql)
        .fetch_optional(&mut **tx)
        .await
        .map_err(unavailable)?
        .ok_or_else(|| decode::corrupt("audit_chain"))?;
    Ok(ier_storage::audit_chain::ChainHead {
        from_id: row.get("from_id"),
        last_id: row.get("last_id"),
        hash: row.get("hash"),
    })
}

fn unavailable(e: sqlx::Error) -> StorageError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StorageError::Duplicate,
        // Postgres messages quote values ("Key (reference)=(...)"); keep the code only.
        sqlx::Error::Database(db) => {
            StorageError::Unavailable(format!("database error {}", db.code().unwrap_or_default()))
        }
        other => StorageError::Unavailable(other.to_string()),
    }
}

fn ero_from(r: &PgRow) -> Result<Ero> {
    Ok(Ero {
        id: decode::ero_id(r.get("id"))?,
        name: r.get("name"),
        name_cy: r.get("name_cy"),
        contact: EroContact {
            email: r.get("email"),
            phone: r.get("phone"),
            website: r.get("website"),
            address: r.get("address"),
        },
    })
}

fn council_from(r: &PgRow) -> Result<Council> {
    Ok(Council {
        gss_code: decode::gss_code(r.get("gss_code"))?,
        name: r.get("name"),
        name_cy: r.get("name_cy"),
        nation: decode::nation(r.get("nation"))?,
        ero_id: decode::ero_id(r.get("ero_id"))?,
    })
}

fn application_from(r: &PgRow) -> Result<ApplicationRow> {
    Ok(ApplicationRow {
        reference: decode::reference(r.get("reference"))?,
        kind: decode::kind(r.get("kind"))?,
        language: decode::language(r.get("language"))?,
        gss_code: decode::gss_code(r.get("gss_code"))?,
        ero_id: Some(decode::ero_id(r.get("ero_id"))?),
        submitted_at: r.get("submitted_at"),
        stage: decode::stage(r.get("stage"))?,
        details: Sealed { key_id: r.get("key_id"), blob: r.get("details") },
        progress: decode::progress(decode::ProgressColumns {
            ems_confirmed_at: r.get("ems_confirmed_at"),
            ems_success: r.get("ems_success"),
            ems_message_key: r.get("ems_message_key"),
            ems_message: r.get("ems_message"),
            ems_failures: r.get::<i32, _>("ems_failures").into(),
            ems_failed_at: r.get("ems_failed_at"),
            determination: r.get("determination"),
            determined_at: r.get("determined_at"),
            verified_at: r.get("verified_at"),
            verified: r
                .try_get::<Option<sqlx::types::Json<EventKind>>, _>("verified_detail")
                .map_err(|_| decode::corrupt("event"))?
                .map(|j| j.0),
            check_id: r.get("check_id"),
            check_created_at: r.get("check_created_at"),
            check_historical: r.get("check_historical"),
            check_answered_at: r.get("check_answered_at"),
            check_result: r.get("check_result"),
            check_match_count: r.get::<Option<i32>, _>("check_match_count").map(i64::from),
            erased_at: r.get("erased_at"),
        })?,
    })
}

fn register_check_from(r: &PgRow) -> Result<RegisterCheckState> {
    Ok(RegisterCheckState {
        id: r.get("check_id"),
        created_at: r.get("check_created_at"),
        historical: r.get("check_historical"),
        answered_at: r.get("check_answered_at"),
        result: r.get::<Option<&str>, _>("check_result").map(decode::register_check_result).transpose()?,
        match_count: r
            .get::<Option<i32>, _>("check_match_count")
            .map(|n| u32::try_from(n).map_err(|_| decode::corrupt("match count")))
            .transpose()?,
    })
}

/// Applications with their two events, verification requests and register
/// checks, in a few multi-row statements (a submission is a batch of one).
/// Add to the performance counters, in one of 8 shards chosen at random for
/// the transaction (rows in key order, so two writers never deadlock).
async fn add_counts(tx: &mut Transaction<'_, Postgres>, rows: &[ier_storage::performance::CountRow]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let shard: i16 = rand::random_range(0..8);
    for chunk in rows.chunks(BATCH_ROWS) {
        let mut q = sqlx::QueryBuilder::<Postgres>::new(
            "INSERT INTO performance_counts (measure, period, category, shard, n) ",
        );
        q.push_values(chunk, |mut b, r| {
            b.push_bind(r.measure.as_str())
                .push_bind(r.period)
                .push_bind(&r.category)
                .push_bind(shard)
                .push_bind(r.count);
        });
        q.push(" ON CONFLICT (measure, period, category, shard) DO UPDATE SET n = performance_counts.n + excluded.n");
        q.build().execute(&mut **tx).await.map_err(unavailable)?;
    }
    Ok(())
}

async fn insert_batch(tx: &mut Transaction<'_, Postgres>, submissions: &[Submission]) -> Result<Vec<Receipt>> {
    let gss: Vec<String> = submissions.iter().map(|s| s.row.gss_code.to_string()).collect();
    let found: Vec<(String, String)> = sqlx::query_as("SELECT gss_code, ero_id FROM councils WHERE gss_code = ANY($1)")
        .bind(&gss)
        .fetch_all(&mut **tx)
        .await
        .map_err(unavailable)?;
    let by_gss: std::collections::HashMap<String, String> = found.into_iter().collect();
    let mut all_eros = Vec::with_capacity(submissions.len());
    for s in submissions {
        let ero = by_gss.get(s.row.gss_code.as_str()).ok_or(StorageError::UnknownCouncil(s.row.gss_code))?;
        all_eros.push(ero.clone());
    }
    // Journeys stored already: their receipts, and nothing stored again.
    let keys: Vec<&str> = submissions.iter().filter_map(|s| s.journey.as_ref().map(|k| k.as_str())).collect();
    let mut known = std::collections::HashMap::new();
    if !keys.is_empty() {
        let found: Vec<(String, String, String, DateTime<Utc>)> = sqlx::query_as(
            "SELECT journey_key, reference, ero_id, submitted_at FROM journey_submissions WHERE journey_key = ANY($1)",
        )
        .bind(&keys)
        .fetch_all(&mut **tx)
        .await
        .map_err(unavailable)?;
        for (key, reference, ero, at) in found {
            let receipt =
                Receipt { reference: decode::reference(&reference)?, ero_id: decode::ero_id(&ero)?, submitted_at: at };
            known.insert(key, receipt);
        }
    }
    let plan = ier_storage::plan_journeys(submissions, &all_eros, known)?;
    let submissions: Vec<&Submission> = plan.fresh.iter().map(|&i| &submissions[i]).collect();
    let eros: Vec<&String> = plan.fresh.iter().map(|&i| &all_eros[i]).collect();
    for (chunk, chunk_eros) in submissions.chunks(BATCH_ROWS).zip(eros.chunks(BATCH_ROWS)) {
        let rows: Vec<(&Submission, &String)> = chunk.iter().copied().zip(chunk_eros.iter().copied()).collect();
        let mut q = sqlx::QueryBuilder::<Postgres>::new(
            "INSERT INTO applications (reference, ero_id, gss_code, kind, language, stage, submitted_at, key_id, details) ",
        );
        q.push_values(&rows, |mut b, (s, ero)| {
            let r = &s.row;
            b.push_bind(r.reference.as_str())
                .push_bind(ero.as_str())
                .push_bind(r.gss_code.as_str())
                .push_bind(r.kind.as_str())
                .push_bind(r.language.as_str())
                .push_bind(r.stage.as_str())
                .push_bind(r.submitted_at)
                .push_bind(&r.details.key_id)
                .push_bind(&r.details.blob);
        });
        q.build().execute(&mut **tx).await.map_err(unavailable)?;
        let events: Vec<(&ApplicationRow, &String, &EventKind)> =
            rows.iter().flat_map(|(s, e)| s.events.iter().map(move |k| (&s.row, *e, k))).collect();
        if !events.is_empty() {
            let mut q = sqlx::QueryBuilder::<Postgres>::new(
                "INSERT INTO application_events (reference, ero_id, at, kind, detail) ",
            );
            q.push_values(&events, |mut b, (r, ero, kind)| {
                b.push_bind(r.reference.as_str())
                    .push_bind(ero.as_str())
                    .push_bind(r.submitted_at)
                    .push_bind(kind.name())
                    .push_bind(sqlx::types::Json((*kind).clone()));
            });
            q.build().execute(&mut **tx).await.map_err(unavailable)?;
        }
        let jobs: Vec<(&NewJob, &str)> =
            rows.iter().flat_map(|(s, e)| s.jobs.iter().map(move |j| (j, e.as_str()))).collect();
        if let Some((first, _)) = rows.first() {
            insert_jobs(tx, &jobs, first.row.submitted_at).await?;
        }
        let checks: Vec<_> =
            rows.iter().filter_map(|(s, ero)| s.register_check.as_ref().map(|c| (&s.row, *ero, c))).collect();
        if !checks.is_empty() {
            let mut q = sqlx::QueryBuilder::<Postgres>::new(
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
            q.build().execute(&mut **tx).await.map_err(unavailable)?;
        }
    }
    let people: Vec<(String, &str, &ier_storage::persons::PersonEntry)> = submissions
        .iter()
        .zip(&eros)
        .filter_map(|(s, e)| {
            s.person.as_ref().map(|p| (ier_storage::persons::application_subject(&s.row.reference), e.as_str(), p))
        })
        .collect();
    if let Some(first) = submissions.first() {
        insert_subjects(tx, ier_storage::persons::Source::Application, first.row.submitted_at, &people).await?;
    }
    let tallies = submissions.iter().flat_map(|s| s.tallies.iter().map(|t| (s.row.submitted_at, t)));
    add_counts(tx, &ier_storage::performance::rows_of(tallies)).await?;
    let journeys: Vec<(&str, &Submission, &String)> =
        submissions.iter().zip(&eros).filter_map(|(s, e)| s.journey.as_ref().map(|k| (k.as_str(), *s, *e))).collect();
    for chunk in journeys.chunks(BATCH_ROWS) {
        let mut q = sqlx::QueryBuilder::<Postgres>::new(
            "INSERT INTO journey_submissions (journey_key, reference, ero_id, submitted_at) ",
        );
        q.push_values(chunk, |mut b, (key, s, ero)| {
            b.push_bind(*key).push_bind(s.row.reference.as_str()).push_bind(ero.as_str()).push_bind(s.row.submitted_at);
        });
        q.build().execute(&mut **tx).await.map_err(unavailable)?;
    }
    Ok(plan.receipts)
}

/// Add subjects to the person index with their digests: `(subject, ero, digests)`.
async fn insert_subjects(
    tx: &mut Transaction<'_, Postgres>,
    source: ier_storage::persons::Source,
    at: DateTime<Utc>,
    subjects: &[(String, &str, &ier_storage::persons::PersonEntry)],
) -> Result<()> {
    for chunk in subjects.chunks(BATCH_ROWS * 4) {
        let eros: Vec<&str> = chunk.iter().map(|s| s.1).collect();
        let names: Vec<&str> = chunk.iter().map(|s| s.0.as_str()).collect();
        let key_ids: Vec<&str> = chunk.iter().map(|s| s.2.key_id.as_str()).collect();
        let ids: Vec<(i64, String, String)> = sqlx::query_as(
            "INSERT INTO person_subjects (ero_id, source, subject, key_id, added_at)
             SELECT e, $2, n, k, $5 FROM UNNEST($1::text[], $3::text[], $4::text[]) AS t (e, n, k)
             RETURNING id, ero_id, subject",
        )
        .bind(&eros)
        .bind(source.as_str())
        .bind(&names)
        .bind(&key_ids)
        .bind(at)
        .fetch_all(&mut **tx)
        .await
        .map_err(unavailable)?;
        let by_subject: std::collections::HashMap<(&str, &str), i64> =
            ids.iter().map(|(id, e, n)| ((e.as_str(), n.as_str()), *id)).collect();
        let (mut digests, mut subject_ids) = (Vec::new(), Vec::new());
        for (name, ero, entry) in chunk {
            let id = by_subject[&(*ero, name.as_str())];
            for d in &entry.digests {
                digests.push(*d);
                subject_ids.push(id);
            }
        }
        sqlx::query(
            "INSERT INTO person_keys (digest, subject_id) SELECT * FROM UNNEST($1::int8[], $2::int8[]) ON CONFLICT DO NOTHING",
        )
        .bind(&digests)
        .bind(&subject_ids)
        .execute(&mut **tx)
        .await
        .map_err(unavailable)?;
    }
    Ok(())
}

/// Delete an ERO's subjects of one source, by subject (their keys go with
/// them); how many there were.
async fn delete_subjects(
    tx: &mut Transaction<'_, Postgres>,
    ero: &EroId,
    source: ier_storage::persons::Source,
    subjects: &[&str],
) -> Result<u64> {
    sqlx::query("DELETE FROM person_subjects WHERE ero_id = $1 AND source = $2 AND subject = ANY($3)")
        .bind(ero.as_str())
        .bind(source.as_str())
        .bind(subjects)
        .execute(&mut **tx)
        .await
        .map_err(unavailable)
        .map(|r| r.rows_affected())
}

fn person_found(r: &PgRow) -> Result<ier_storage::persons::PersonFound> {
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

/// Rows a multi-row statement carries at most (9 parameters a row, well inside the limits).
const BATCH_ROWS: usize = 500;

async fn insert_event(
    tx: &mut Transaction<'_, Postgres>,
    reference: &ReferenceNumber,
    ero: &str,
    at: DateTime<Utc>,
    kind: &EventKind,
) -> Result<()> {
    sqlx::query("INSERT INTO application_events (reference, ero_id, at, kind, detail) VALUES ($1, $2, $3, $4, $5)")
        .bind(reference.as_str())
        .bind(ero)
        .bind(at)
        .bind(kind.name())
        .bind(sqlx::types::Json(kind))
        .execute(&mut **tx)
        .await
        .map_err(unavailable)
        .map(|_| ())
}

/// Queue jobs (each for its ERO's application), due when they say or at `now`;
/// a job whose dedupe key is queued already is not queued again.
async fn insert_jobs(tx: &mut Transaction<'_, Postgres>, jobs: &[(&NewJob, &str)], now: DateTime<Utc>) -> Result<()> {
    for chunk in jobs.chunks(BATCH_ROWS) {
        if chunk.is_empty() {
            continue;
        }
        let mut q = sqlx::QueryBuilder::<Postgres>::new(
            "INSERT INTO jobs (queue, reference, ero_id, kind, dedupe, state, run_after, due_at, created_at) ",
        );
        q.push_values(chunk, |mut b, (job, ero)| {
            let due = job.run_after.unwrap_or(now);
            b.push_bind(job.kind.queue().as_str())
                .push_bind(job.reference.as_str())
                .push_bind(*ero)
                .push_bind(sqlx::types::Json(&job.kind))
                .push_bind(job.dedupe.as_str())
                .push_bind("queued")
                .push_bind(due)
                .push_bind(due)
                .push_bind(now);
        });
        q.push(" ON CONFLICT (dedupe) DO NOTHING");
        q.build().execute(&mut **tx).await.map_err(unavailable)?;
    }
    Ok(())
}

fn job_from(r: &PgRow) -> Result<Job> {
    Ok(Job {
        id: r.get("id"),
        reference: decode::reference(r.get("reference"))?,
        kind: r.try_get::<sqlx::types::Json<JobKind>, _>("kind").map_err(|_| decode::corrupt("job kind"))?.0,
        attempts: r.get::<i32, _>("attempts") as u32,
        created_at: r.get("created_at"),
    })
}

fn job_row_from(r: &PgRow) -> Result<JobRow> {
    Ok(JobRow {
        id: r.get("id"),
        reference: decode::reference(r.get("reference"))?,
        kind: r.try_get::<sqlx::types::Json<JobKind>, _>("kind").map_err(|_| decode::corrupt("job kind"))?.0,
        state: decode::job_state(r.get("state"))?,
        attempts: r.get::<i32, _>("attempts") as u32,
        run_after: r.get("run_after"),
        last_error: r.get("last_error"),
        result: r.get("result"),
        worker: r.get("worker"),
        created_at: r.get("created_at"),
        finished_at: r.get("finished_at"),
    })
}

#[async_trait]
impl Backend for PgBackend {
    async fn put_eros(&self, eros: &[Ero]) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(unavailable)?;
        for e in eros {
            sqlx::query(
                "INSERT INTO eros (id, name, name_cy, email, phone, website, address) VALUES ($1, $2, $3, $4, $5, $6, $7)
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
                "INSERT INTO councils (gss_code, name, name_cy, nation, ero_id) VALUES ($1, $2, $3, $4, $5)
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
        let row = sqlx::query(&format!("SELECT {ERO_COLUMNS} FROM eros WHERE id = $1"))
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
        let row = sqlx::query(&format!("SELECT {COUNCIL_COLUMNS} FROM councils WHERE gss_code = $1"))
            .bind(gss_code.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        row.map(|r| council_from(&r)).transpose()
    }

    async fn councils_of(&self, ero: &EroId) -> Result<Vec<Council>> {
        let rows = sqlx::query(&format!("SELECT {COUNCIL_COLUMNS} FROM councils WHERE ero_id = $1 ORDER BY gss_code"))
            .bind(ero.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        rows.iter().map(council_from).collect()
    }

    async fn insert_applications(&self, rows: &[Submission]) -> Result<Vec<Receipt>> {
        let mut tx = self.pool.begin().await.map_err(unavailable)?;
        let receipts = insert_batch(&mut tx, rows).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(receipts)
    }

    async fn application(&self, ero: &EroId, reference: &ReferenceNumber) -> Result<Option<ApplicationRow>> {
        let mut tx = self.scoped(ero).await?;
        let row = sqlx::query(&format!("{APPLICATION_SELECT} WHERE a.ero_id = $1 AND a.reference = $2"))
            .bind(ero.as_str())
            .bind(reference.as_str())
            .fetch_optional(&mut *tx)
            .await
            .map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)?;
        row.map(|r| application_from(&r)).transpose()
    }

    async fn applications(
        &self,
        ero: &EroId,
        after: Option<&ReferenceNumber>,
        limit: u32,
    ) -> Result<Vec<ApplicationRow>> {
        let mut tx = self.scoped(ero).await?;
        let rows = sqlx::query(&format!(
            "{APPLICATION_SELECT} WHERE a.ero_id = $1
             AND a.seq > COALESCE((SELECT seq FROM applications WHERE ero_id = $1 AND reference = $2), 0)
             ORDER BY a.seq LIMIT $3"
        ))
        .bind(ero.as_str())
        .bind(after.map(|r| r.as_str().to_owned()))
        .bind(limit as i64)
        .fetch_all(&mut *tx)
        .await
        .map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)?;
        rows.iter().map(application_from).collect()
    }

    async fn append_event(
        &self,
        ero: &EroId,
        reference: &ReferenceNumber,
        at: DateTime<Utc>,
        kind: &EventKind,
    ) -> Result<()> {
        let mut tx = self.scoped(ero).await?;
        // Lock the row: events and stage change together.
        let found: Option<i64> =
            sqlx::query_scalar("SELECT seq FROM applications WHERE ero_id = $1 AND reference = $2 FOR UPDATE")
                .bind(ero.as_str())
                .bind(reference.as_str())
                .fetch_optional(&mut *tx)
                .await
                .map_err(unavailable)?;
        if found.is_none() {
            return Err(StorageError::NotFound);
        }
        insert_event(&mut tx, reference, ero.as_str(), at, kind).await?;
        if let Some(stage) = kind.stage() {
            sqlx::query("UPDATE applications SET stage = $1 WHERE ero_id = $2 AND reference = $3")
                .bind(stage.as_str())
                .bind(ero.as_str())
                .bind(reference.as_str())
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
        }
        tx.commit().await.map_err(unavailable)
    }

    async fn events(&self, ero: &EroId, reference: &ReferenceNumber) -> Result<Vec<Event>> {
        let mut tx = self.scoped(ero).await?;
        let rows = sqlx::query(
            "SELECT reference, at, detail FROM application_events WHERE ero_id = $1 AND reference = $2 ORDER BY id",
        )
        .bind(ero.as_str())
        .bind(reference.as_str())
        .fetch_all(&mut *tx)
        .await
        .map_err(unavailable)?;
        let receipt: Option<(Option<DateTime<Utc>>, Option<bool>)> = sqlx::query_as(
            "SELECT ems_confirmed_at, ems_success FROM applications WHERE ero_id = $1 AND reference = $2",
        )
        .bind(ero.as_str())
        .bind(reference.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)?;
        let events = rows
            .iter()
            .map(|r| {
                let sqlx::types::Json(kind): sqlx::types::Json<EventKind> =
                    r.try_get("detail").map_err(|_| decode::corrupt("event"))?;
                Ok(Event { reference: decode::reference(r.get("reference"))?, at: r.get("at"), kind })
            })
            .collect::<Result<Vec<_>>>()?;
        let receipt = receipt.and_then(|(at, ok)| Some((at?, ok.unwrap_or(false))));
        Ok(ier_storage::events_with_receipt(events, *reference, receipt))
    }

    async fn pending_for_ems(&self, ero: &EroId, limit: u32) -> Result<Vec<ApplicationRow>> {
        let mut tx = self.scoped(ero).await?;
        let rows = sqlx::query(&format!(
            "{APPLICATION_SELECT} WHERE a.ero_id = $1 AND a.ems_confirmed_at IS NULL ORDER BY a.seq LIMIT $2"
        ))
        .bind(ero.as_str())
        .bind(limit as i64)
        .fetch_all(&mut *tx)
        .await
        .map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)?;
        rows.iter().map(application_from).collect()
    }

    async fn confirm_receipts(
        &self,
        ero: &EroId,
        at: DateTime<Utc>,
        receipts: &[ReceiptRow],
    ) -> Result<Vec<ConfirmOutcome>> {
        use std::collections::HashSet;
        let mut tx = self.scoped(ero).await?;
        // Successes set-wise (almost all), then each failure on what is still pending.
        let mut confirmed_now: HashSet<ReferenceNumber> = HashSet::new();
        let refs: Vec<String> = receipts.iter().filter(|r| r.success).map(|r| r.reference.to_string()).collect();
        if !refs.is_empty() {
            let done: Vec<String> = sqlx::query_scalar(
                "UPDATE applications SET ems_confirmed_at = $1, ems_success = true,
                   stage = CASE WHEN stage IN ('submitted', 'verified') THEN 'with-ero' ELSE stage END
                 WHERE ero_id = $2 AND ems_confirmed_at IS NULL AND reference = ANY($3) RETURNING reference",
            )
            .bind(at)
            .bind(ero.as_str())
            .bind(&refs)
            .fetch_all(&mut *tx)
            .await
            .map_err(unavailable)?;
            for r in done {
                confirmed_now.insert(decode::reference(&r)?);
            }
        }
        let mut failed_now: HashSet<ReferenceNumber> = HashSet::new();
        for r in receipts.iter().filter(|r| !r.success) {
            let updated = sqlx::query(
                "UPDATE applications SET ems_failures = ems_failures + 1, ems_failed_at = $1,
                   ems_message_key = $2, ems_message = $3
                 WHERE ero_id = $4 AND reference = $5 AND ems_confirmed_at IS NULL",
            )
            .bind(at)
            .bind(r.message.as_ref().map(|m| m.key_id.as_str()))
            .bind(r.message.as_ref().map(|m| m.blob.as_slice()))
            .bind(ero.as_str())
            .bind(r.reference.as_str())
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?
            .rows_affected();
            if updated == 1 {
                insert_event(&mut tx, &r.reference, ero.as_str(), at, &EventKind::ConfirmedByEms { success: false })
                    .await?;
                failed_now.insert(r.reference);
            }
        }
        let others: Vec<String> = receipts
            .iter()
            .filter(|r| !confirmed_now.contains(&r.reference) && !failed_now.contains(&r.reference))
            .map(|r| r.reference.to_string())
            .collect();
        let mut existing = HashSet::new();
        if !others.is_empty() {
            let found: Vec<String> =
                sqlx::query_scalar("SELECT reference FROM applications WHERE ero_id = $1 AND reference = ANY($2)")
                    .bind(ero.as_str())
                    .bind(&others)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(unavailable)?;
            for r in found {
                existing.insert(decode::reference(&r)?);
            }
        }
        tx.commit().await.map_err(unavailable)?;
        Ok(ier_storage::receipt_outcomes(receipts, &confirmed_now, &failed_now, &existing))
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
        let mut tx = self.scoped(ero).await?;
        let row = sqlx::query(
            "SELECT COALESCE(ems_success, false) AS received, determination FROM applications
             WHERE ero_id = $1 AND reference = $2 FOR UPDATE",
        )
        .bind(ero.as_str())
        .bind(reference.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(unavailable)?
        .ok_or(StorageError::NotFound)?;
        let current = row.get::<Option<&str>, _>("determination").map(decode::determination).transpose()?;
        let outcome = ier_storage::determination_step(row.get("received"), current, determination)?;
        if outcome == DetermineOutcome::Recorded {
            sqlx::query(
                "UPDATE applications SET determination = $1, determined_at = $2, stage = 'determined'
                 WHERE ero_id = $3 AND reference = $4",
            )
            .bind(determination.as_str())
            .bind(at)
            .bind(ero.as_str())
            .bind(reference.as_str())
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
            let kind = EventKind::Determined { determination, reasons: reasons.to_vec(), registered_from };
            insert_event(&mut tx, reference, ero.as_str(), at, &kind).await?;
            // The notes are the latest determination's: a new one replaces (or removes) them.
            sqlx::query("DELETE FROM determination_notes WHERE reference = $1")
                .bind(reference.as_str())
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
            if let Some(n) = notes {
                sqlx::query(
                    "INSERT INTO determination_notes (reference, ero_id, key_id, notes, at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(reference.as_str())
                .bind(ero.as_str())
                .bind(&n.key_id)
                .bind(&n.blob)
                .bind(at)
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
            }
            let rows: Vec<(&NewJob, &str)> = jobs.iter().map(|j| (j, ero.as_str())).collect();
            insert_jobs(&mut tx, &rows, at).await?;
        }
        tx.commit().await.map_err(unavailable)?;
        Ok(outcome)
    }

    async fn determination_notes(&self, ero: &EroId, reference: &ReferenceNumber) -> Result<Option<Sealed>> {
        let mut tx = self.scoped(ero).await?;
        let row: Option<(String, Vec<u8>)> =
            sqlx::query_as("SELECT key_id, notes FROM determination_notes WHERE ero_id = $1 AND reference = $2")
                .bind(ero.as_str())
                .bind(reference.as_str())
                .fetch_optional(&mut *tx)
                .await
                .map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)?;
        Ok(row.map(|(key_id, blob)| Sealed { key_id, blob }))
    }

    async fn pending_register_checks(
        &self,
        ero: &EroId,
        limit: u32,
    ) -> Result<Vec<(RegisterCheckState, ApplicationRow)>> {
        let mut tx = self.scoped(ero).await?;
        let rows = sqlx::query(&format!(
            "{APPLICATION_SELECT} WHERE rc.ero_id = $1 AND rc.answered_at IS NULL AND a.erased_at IS NULL
             ORDER BY rc.seq LIMIT $2"
        ))
        .bind(ero.as_str())
        .bind(limit as i64)
        .fetch_all(&mut *tx)
        .await
        .map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)?;
        rows.iter().map(|r| Ok((register_check_from(r)?, application_from(r)?))).collect()
    }

    async fn register_check(
        &self,
        ero: &EroId,
        id: &str,
    ) -> Result<Option<(RegisterCheckState, ApplicationRow, Option<Sealed>)>> {
        let mut tx = self.scoped(ero).await?;
        let row = sqlx::query(&format!("{APPLICATION_SELECT_WITH_CANDIDATES} WHERE rc.ero_id = $1 AND rc.id = $2"))
            .bind(ero.as_str())
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)?;
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
        let mut tx = self.scoped(ero).await?;
        let reference: Option<String> = sqlx::query_scalar(
            "UPDATE register_checks SET answered_at = $1, result = $2, match_count = $3, key_id = $4, candidates = $5
             WHERE ero_id = $6 AND id = $7 AND answered_at IS NULL RETURNING reference",
        )
        .bind(at)
        .bind(answer.result.as_str())
        .bind(i32::try_from(answer.match_count).unwrap_or(i32::MAX))
        .bind(&answer.candidates.key_id)
        .bind(&answer.candidates.blob)
        .bind(ero.as_str())
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(unavailable)?;
        let Some(reference) = reference else {
            let exists: Option<i64> =
                sqlx::query_scalar("SELECT seq FROM register_checks WHERE ero_id = $1 AND id = $2")
                    .bind(ero.as_str())
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(unavailable)?;
            return Err(match exists {
                Some(_) => StorageError::Conflict("this register check has already been answered"),
                None => StorageError::NotFound,
            });
        };
        let kind = EventKind::RegisterChecked { result: answer.result };
        insert_event(&mut tx, &decode::reference(&reference)?, ero.as_str(), at, &kind).await?;
        tx.commit().await.map_err(unavailable)
    }

    async fn record_api_access(&self, records: &[ApiAccess]) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await.map_err(unavailable)?;
        // The chain's head, locked: instances writing at once take turns, and make one chain.
        let head = pg_chain_head(&mut tx, true).await?;
        let (links, next) = ier_storage::audit_chain::extend(&head, records);
        for chunk in records.iter().zip(&links).collect::<Vec<_>>().chunks(2_000) {
            // One statement for the batch; ids come from the chain, not the sequence.
            let mut q = sqlx::QueryBuilder::<Postgres>::new(
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
                    .push_bind(i32::from(a.status))
                    .push_bind(a.items.map(|n| i32::try_from(n).unwrap_or(i32::MAX)))
                    .push_bind(hash.to_vec());
            });
            q.build().execute(&mut *tx).await.map_err(unavailable)?;
        }
        sqlx::query("UPDATE audit_chain SET last_id = $1, hash = $2 WHERE id = 1")
            .bind(next.last_id)
            .bind(&next.hash)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)
    }

    async fn audit_chain_head(&self) -> Result<ier_storage::audit_chain::ChainHead> {
        let mut tx = self.pool.begin().await.map_err(unavailable)?;
        let head = pg_chain_head(&mut tx, false).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(head)
    }

    async fn audit_rows(&self, after_id: i64, limit: u32) -> Result<Vec<ier_storage::audit_chain::ChainedAccess>> {
        let rows = sqlx::query("SELECT * FROM api_audit WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(after_id)
            .bind(limit as i64)
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        rows.iter()
            .map(|r| {
                Ok(ier_storage::audit_chain::ChainedAccess {
                    id: r.get("id"),
                    access: pg_api_access(r)?,
                    hash: r.get("hash"),
                })
            })
            .collect()
    }

    async fn api_accesses(&self, limit: u32) -> Result<Vec<ApiAccess>> {
        let rows = sqlx::query("SELECT * FROM api_audit ORDER BY id DESC LIMIT $1")
            .bind(limit as i64)
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        rows.iter().map(pg_api_access).collect()
    }

    async fn put_journey_state(&self, id: &str, expires_at: DateTime<Utc>, state: &Sealed) -> Result<()> {
        sqlx::query(
            "INSERT INTO journey_states (id, expires_at, key_id, state) VALUES ($1, $2, $3, $4)
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
            sqlx::query_as("SELECT key_id, state FROM journey_states WHERE id = $1 AND expires_at > $2")
                .bind(id)
                .bind(now)
                .fetch_optional(&self.pool)
                .await
                .map_err(unavailable)?;
        Ok(row.map(|(key_id, blob)| Sealed { key_id, blob }))
    }

    async fn delete_journey_state(&self, id: &str) -> Result<()> {
        sqlx::query("DELETE FROM journey_states WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(unavailable)
            .map(|_| ())
    }

    async fn purge_journey_states(&self, now: DateTime<Utc>) -> Result<u64> {
        sqlx::query("DELETE FROM journey_submissions WHERE submitted_at < $1")
            .bind(now - chrono::Duration::days(1))
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        sqlx::query("DELETE FROM journey_states WHERE expires_at <= $1")
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
        let subjects: Vec<(String, &str, &ier_storage::persons::PersonEntry)> =
            by_number.iter().map(|(n, entry)| ((*n).to_owned(), ero.as_str(), *entry)).collect();
        // In the ERO's scope: row-level security keeps an EMS to its own register.
        let mut tx = self.scoped(ero).await?;
        delete_subjects(&mut tx, ero, ier_storage::persons::Source::Elector, &numbers).await?;
        insert_subjects(&mut tx, ier_storage::persons::Source::Elector, at, &subjects).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(subjects.len() as u64)
    }

    async fn remove_electors(&self, ero: &EroId, numbers: &[String]) -> Result<u64> {
        let numbers: Vec<&str> = numbers.iter().map(String::as_str).collect();
        let mut tx = self.scoped(ero).await?;
        let n = delete_subjects(&mut tx, ero, ier_storage::persons::Source::Elector, &numbers).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(n)
    }

    async fn elector_count(&self, ero: &EroId) -> Result<u64> {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM person_subjects WHERE ero_id = $1 AND source = 'elector'")
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
        let rows = sqlx::query(
            "SELECT k.digest, s.source, s.ero_id, s.subject, COALESCE(a.submitted_at, s.added_at) AS added_at,
                    a.stage, a.determination
               FROM person_keys k JOIN person_subjects s ON s.id = k.subject_id
               LEFT JOIN applications a ON s.source = 'application' AND a.ero_id = s.ero_id AND a.reference = s.subject
              WHERE k.digest = ANY($1)",
        )
        .bind(digests)
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        rows.iter().map(person_found).collect()
    }

    async fn find_application(&self, reference: &ReferenceNumber) -> Result<Option<ApplicationRow>> {
        let row = sqlx::query(&format!("{APPLICATION_SELECT} WHERE a.reference = $1"))
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
        // Rows another claim has locked are skipped, not waited for: workers
        // on many instances each take different jobs.
        let rows = sqlx::query(
            "UPDATE jobs SET state = 'running', worker = $1, run_after = $2, attempts = attempts + 1
             WHERE id IN (SELECT id FROM jobs WHERE queue = $3 AND finished_at IS NULL AND run_after <= $4
                          ORDER BY run_after, id LIMIT $5 FOR UPDATE SKIP LOCKED)
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
            "{APPLICATION_SELECT} WHERE a.reference = (SELECT reference FROM jobs WHERE id = $1 AND worker = $2 AND state = 'running')"
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
        let mut tx = self.pool.begin().await.map_err(unavailable)?;
        let held: Option<(String, String)> = sqlx::query_as(
            "UPDATE jobs SET state = 'done', finished_at = $1, result = $2, last_error = NULL
             WHERE id = $3 AND worker = $4 AND state = 'running' RETURNING reference, ero_id",
        )
        .bind(now)
        .bind(result)
        .bind(job)
        .bind(worker)
        .fetch_optional(&mut *tx)
        .await
        .map_err(unavailable)?;
        let Some((reference, ero)) = held else { return Ok(false) };
        let reference = decode::reference(&reference)?;
        if let Some(kind) = &effects.event {
            insert_event(&mut tx, &reference, &ero, now, kind).await?;
            if let Some(stage) = kind.stage() {
                let before: Vec<&str> = jobs::stages_before(stage).iter().map(|s| s.as_str()).collect();
                sqlx::query("UPDATE applications SET stage = $1 WHERE reference = $2 AND stage = ANY($3)")
                    .bind(stage.as_str())
                    .bind(reference.as_str())
                    .bind(&before)
                    .execute(&mut *tx)
                    .await
                    .map_err(unavailable)?;
            }
        }
        let rows: Vec<(&NewJob, &str)> = effects.jobs.iter().map(|j| (j, ero.as_str())).collect();
        insert_jobs(&mut tx, &rows, now).await?;
        add_counts(&mut tx, &ier_storage::performance::rows_of(effects.tallies.iter().map(|t| (now, t)))).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(true)
    }

    async fn release_job(&self, job: i64, worker: &str, now: DateTime<Utc>, release: &Release) -> Result<bool> {
        let q = match release {
            Release::Retry { run_after, error } => sqlx::query(
                "UPDATE jobs SET state = 'queued', run_after = $1, last_error = $2
                 WHERE id = $3 AND worker = $4 AND state = 'running'",
            )
            .bind(*run_after)
            .bind(error.as_str()),
            Release::Fail { error } => sqlx::query(
                "UPDATE jobs SET state = 'failed', finished_at = $1, last_error = $2
                 WHERE id = $3 AND worker = $4 AND state = 'running'",
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
             FROM jobs WHERE ($1::text IS NULL OR queue = $1) AND ($2::text IS NULL OR state = $2) AND ($4::text IS NULL OR reference = $4)
             ORDER BY id DESC LIMIT $3",
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
            "UPDATE jobs SET state = 'queued', attempts = 0, run_after = $1, due_at = $1, finished_at = NULL, worker = NULL
             WHERE id = $2 AND state IN ('failed', 'discarded')",
        )
        .bind(now)
        .bind(job)
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(done.rows_affected() == 1)
    }

    async fn discard_job(&self, job: i64, now: DateTime<Utc>) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'discarded', finished_at = $1 WHERE id = $2 AND state IN ('queued', 'failed')",
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
                    COUNT(*) FILTER (WHERE finished_at IS NULL AND (state = 'running' OR run_after <= $1)),
                    COUNT(*) FILTER (WHERE state = 'failed'),
                    MIN(due_at) FILTER (WHERE finished_at IS NULL AND (state = 'running' OR run_after <= $1))
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
        let mut tx = self.pool.begin().await.map_err(unavailable)?;
        sqlx::query(
            "INSERT INTO token_buckets (name, tokens, updated_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
        )
        .bind(bucket)
        .bind(burst)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        let (tokens, updated): (f64, DateTime<Utc>) =
            sqlx::query_as("SELECT tokens, updated_at FROM token_buckets WHERE name = $1 FOR UPDATE")
                .bind(bucket)
                .fetch_one(&mut *tx)
                .await
                .map_err(unavailable)?;
        let elapsed = (now - updated).num_milliseconds() as f64 / 1000.0;
        let (granted, left) = jobs::take_from_bucket(tokens, elapsed, want, per_second, burst);
        sqlx::query("UPDATE token_buckets SET tokens = $1, updated_at = $2 WHERE name = $3")
            .bind(left)
            .bind(now.max(updated))
            .bind(bucket)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)?;
        Ok(granted)
    }

    async fn purge_token_buckets(&self, before: DateTime<Utc>) -> Result<u64> {
        sqlx::query("DELETE FROM token_buckets WHERE updated_at < $1")
            .bind(before)
            .execute(&self.pool)
            .await
            .map_err(unavailable)
            .map(|r| r.rows_affected())
    }

    async fn add_counts(&self, rows: &[ier_storage::performance::CountRow]) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(unavailable)?;
        add_counts(&mut tx, rows).await?;
        tx.commit().await.map_err(unavailable)
    }

    async fn counts_between(
        &self,
        from: i64,
        to: i64,
        measures: &[ier_storage::performance::Measure],
    ) -> Result<Vec<ier_storage::performance::CountRow>> {
        let names: Vec<&str> = measures.iter().map(|m| m.as_str()).collect();
        let rows: Vec<(String, i64, String, i64)> = sqlx::query_as(
            "SELECT measure, period, category, SUM(n)::BIGINT FROM performance_counts
             WHERE measure = ANY($1) AND period BETWEEN $2 AND $3 GROUP BY measure, period, category",
        )
        .bind(&names)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
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
        let names: Vec<&str> = measures.iter().map(|m| m.as_str()).collect();
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT measure, category, SUM(n)::BIGINT FROM performance_counts
             WHERE measure = ANY($1) AND period BETWEEN $2 AND $3 GROUP BY measure, category",
        )
        .bind(&names)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
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
            let done = sqlx::query("UPDATE eros SET email = $1, phone = $2, website = $3, address = $4 WHERE id = $5")
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
        let rows = sqlx::query("SELECT stage, COUNT(*) FROM applications GROUP BY stage")
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
            "INSERT INTO feedback (form_id, received_at, rating, page, key_id, comment) VALUES ($1, $2, $3, $4, $5, $6)
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
             WHERE received_at >= $1 ORDER BY received_at, form_id",
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
                WHERE a.erased_at IS NULL AND a.determination IN ('approved', 'rejected') AND a.determined_at < $1
                  AND {ERASABLE}
               UNION
               SELECT a.seq, a.ero_id, a.reference FROM applications a
                WHERE a.erased_at IS NULL AND a.ems_confirmed_at IS NOT NULL AND a.ems_confirmed_at < $2
                  AND {ERASABLE}) due
             ORDER BY seq LIMIT $3"
        ))
        .bind(cutoffs.decided_before)
        .bind(cutoffs.received_before)
        .bind(i64::from(limit))
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
        let refs: Vec<&str> = references.iter().map(|r| r.as_str()).collect();
        let mut tx = self.pool.begin().await.map_err(unavailable)?;
        // The condition again, under the rows' locks: an instance erasing at the
        // same time waits, sees `erased_at` set, and skips them.
        let rows: Vec<(String, String)> = sqlx::query_as(&format!(
            "UPDATE applications a SET details = ''::bytea, key_id = '', ems_message = NULL,
                 ems_message_key = NULL, erased_at = $3
             WHERE a.reference = ANY($4) AND a.erased_at IS NULL AND a.ems_confirmed_at IS NOT NULL
               AND ((a.determination IN ('approved', 'rejected') AND a.determined_at < $1)
                    OR a.ems_confirmed_at < $2)
               AND {ERASABLE}
             RETURNING a.ero_id, a.reference"
        ))
        .bind(cutoffs.decided_before)
        .bind(cutoffs.received_before)
        .bind(now)
        .bind(&refs)
        .fetch_all(&mut *tx)
        .await
        .map_err(unavailable)?;
        let erased =
            rows.iter().map(|(e, r)| Ok((decode::ero_id(e)?, decode::reference(r)?))).collect::<Result<Vec<_>>>()?;
        let erased_refs: Vec<&str> = erased.iter().map(|(_, r)| r.as_str()).collect();
        sqlx::query("UPDATE register_checks SET candidates = NULL, key_id = NULL WHERE reference = ANY($1)")
            .bind(&erased_refs)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        // Evidence files' keys go with their rows: any copy of the bytes is unreadable.
        for table in ["evidence_files", "attestations", "evidence_requests", "determination_notes"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE reference = ANY($1)"))
                .bind(&erased_refs)
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
        }
        let mut by_ero: std::collections::BTreeMap<&EroId, Vec<String>> = Default::default();
        for (ero, r) in &erased {
            by_ero.entry(ero).or_default().push(ier_storage::persons::application_subject(r));
        }
        for (ero, subjects) in by_ero {
            let subjects: Vec<&str> = subjects.iter().map(String::as_str).collect();
            delete_subjects(&mut tx, ero, ier_storage::persons::Source::Application, &subjects).await?;
        }
        for (ero, r) in &erased {
            insert_event(&mut tx, r, ero.as_str(), now, &EventKind::Erased).await?;
        }
        tx.commit().await.map_err(unavailable)?;
        Ok(erased)
    }

    async fn erasable_feedback_comments(&self, before: DateTime<Utc>) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM feedback WHERE received_at < $1 AND comment IS NOT NULL")
            .bind(before)
            .fetch_one(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(n as u64)
    }

    async fn erase_feedback_comments(&self, before: DateTime<Utc>, limit: u32) -> Result<u64> {
        sqlx::query(
            "UPDATE feedback SET key_id = NULL, comment = NULL WHERE form_id IN (
               SELECT form_id FROM feedback WHERE received_at < $1 AND comment IS NOT NULL LIMIT $2
               FOR UPDATE SKIP LOCKED)",
        )
        .bind(before)
        .bind(i64::from(limit))
        .execute(&self.pool)
        .await
        .map_err(unavailable)
        .map(|r| r.rows_affected())
    }
    async fn create_matching_run(&self, run: &m::NewRun) -> Result<()> {
        matching::create(self, run).await
    }

    async fn matching_run(&self, ero: &EroId, id: &m::RunId) -> Result<Option<m::RunRow>> {
        matching::get(self, ero, id).await
    }

    async fn matching_runs(&self, ero: &EroId, limit: u32) -> Result<Vec<m::RunRow>> {
        matching::list(self, ero, limit).await
    }

    async fn put_run_page(&self, ero: &EroId, id: &m::RunId, page: &m::SealedPage) -> Result<u64> {
        matching::put_page(self, ero, id, page).await
    }

    async fn put_local_records(&self, ero: &EroId, id: &m::RunId, records: &[m::SealedRecord]) -> Result<(u64, u64)> {
        matching::put_local(self, ero, id, records).await
    }

    async fn queue_match(
        &self,
        ero: &EroId,
        id: &m::RunId,
        against: m::Against,
        now: DateTime<Utc>,
    ) -> Result<m::RunRow> {
        let queued = matching::queue(self, ero, id, against, now).await?;
        self.page_index.forget(id);
        Ok(queued)
    }

    async fn delete_matching_run(&self, ero: &EroId, id: &m::RunId) -> Result<bool> {
        self.page_index.forget(id);
        matching::delete(self, ero, id).await
    }

    async fn match_result_chunks(&self, ero: &EroId, id: &m::RunId, after: &str, limit: u32) -> Result<Vec<Vec<u8>>> {
        matching::result_chunks(self, ero, id, after, limit).await
    }

    async fn match_property_chunks(&self, ero: &EroId, id: &m::RunId, after: u32, last: u32) -> Result<Vec<Vec<u8>>> {
        matching::property_chunks(self, ero, id, after, last).await
    }

    async fn claim_matching_run(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<m::RunRow>> {
        matching::claim(self, worker, now, until).await
    }

    async fn run_pages(&self, id: &m::RunId, worker: &str) -> Result<Vec<m::SealedPage>> {
        matching::work_pages(self, id, worker).await
    }

    async fn run_result_chunks(&self, id: &m::RunId, worker: &str) -> Result<Vec<Vec<u8>>> {
        matching::work_result_chunks(self, id, worker).await
    }

    async fn run_local_records(&self, id: &m::RunId, worker: &str) -> Result<Vec<m::SealedRecord>> {
        matching::work_local(self, id, worker).await
    }

    async fn matching_progress(
        &self,
        id: &m::RunId,
        worker: &str,
        done: u64,
        total: u64,
        until: DateTime<Utc>,
    ) -> Result<bool> {
        matching::progress(self, id, worker, done, total, until).await
    }

    async fn put_match_results(
        &self,
        id: &m::RunId,
        worker: &str,
        results: &[m::ResultChunk],
        properties: &[m::PropertyChunk],
    ) -> Result<bool> {
        matching::put_results(self, id, worker, results, properties).await
    }

    async fn finish_match(&self, id: &m::RunId, worker: &str, now: DateTime<Utc>, error: Option<&str>) -> Result<bool> {
        matching::finish(self, id, worker, now, error).await
    }

    async fn erase_matching_runs(
        &self,
        cutoffs: &ier_domain::retention::Cutoffs,
        limit: u32,
        dry_run: bool,
    ) -> Result<Vec<EroId>> {
        matching::erase(self, cutoffs, limit, dry_run).await
    }

    async fn put_staff(&self, row: &ier_storage::staff::StaffRow, recovery: &[String]) -> Result<()> {
        portal::put_staff(self, row, recovery).await
    }

    async fn staff_by_username(
        &self,
        username: &ier_storage::staff::Username,
    ) -> Result<Option<ier_storage::staff::StaffRow>> {
        portal::staff_by(self, "username", username.as_str()).await
    }

    async fn staff_member(&self, id: &ier_storage::staff::StaffId) -> Result<Option<ier_storage::staff::StaffRow>> {
        portal::staff_by(self, "id", id.as_str()).await
    }

    async fn staff_of(&self, ero: &EroId) -> Result<Vec<ier_storage::staff::StaffRow>> {
        portal::staff_of(self, ero).await
    }

    async fn staff_failed(
        &self,
        id: &ier_storage::staff::StaffId,
        _now: DateTime<Utc>,
        max: u32,
        lock_until: DateTime<Utc>,
    ) -> Result<u32> {
        portal::staff_failed(self, id, max, lock_until).await
    }

    async fn staff_signed_in(
        &self,
        id: &ier_storage::staff::StaffId,
        totp_step: Option<i64>,
        recovery: Option<&str>,
        session: &ier_storage::staff::SessionRow,
    ) -> Result<bool> {
        portal::staff_signed_in(self, id, totp_step, recovery, session).await
    }

    async fn staff_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
        idle_since: DateTime<Utc>,
    ) -> Result<Option<(ier_storage::staff::SessionRow, ier_storage::staff::StaffRow)>> {
        portal::staff_session(self, token_hash, now, idle_since).await
    }

    async fn delete_staff_session(&self, token_hash: &str) -> Result<()> {
        portal::delete_staff_session(self, token_hash).await
    }

    async fn set_staff_password(&self, id: &ier_storage::staff::StaffId, hash: &str, keep: Option<&str>) -> Result<()> {
        let mut tx = self.pool().begin().await.map_err(unavailable)?;
        sqlx::query("UPDATE staff SET password_hash = $1, password_chosen = true WHERE id = $2")
            .bind(hash)
            .bind(id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        sqlx::query("DELETE FROM staff_sessions WHERE staff_id = $1 AND token_hash IS DISTINCT FROM $2")
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
        portal::put_attestation(self, row, job, now).await
    }

    async fn attestation(
        &self,
        id: &ier_storage::evidence::AttestationId,
    ) -> Result<Option<ier_storage::evidence::AttestationRow>> {
        portal::attestation(self, id).await
    }

    async fn attestations(
        &self,
        ero: &EroId,
        reference: &ReferenceNumber,
    ) -> Result<Vec<ier_storage::evidence::AttestationRow>> {
        portal::attestations(self, ero, reference).await
    }

    async fn confirm_attestation(
        &self,
        id: &ier_storage::evidence::AttestationId,
        now: DateTime<Utc>,
        on_register: bool,
    ) -> Result<bool> {
        portal::confirm_attestation(self, id, now, on_register).await
    }

    async fn evidence_files_known(&self, ids: &[String]) -> Result<Vec<String>> {
        sqlx::query_scalar("SELECT id FROM evidence_files WHERE id = ANY($1)")
            .bind(ids)
            .fetch_all(self.pool())
            .await
            .map_err(unavailable)
    }

    async fn put_evidence_request(
        &self,
        row: &ier_storage::evidence::EvidenceRequestRow,
        message: &NewJob,
    ) -> Result<()> {
        portal::put_evidence_request(self, row, message).await
    }

    async fn evidence_request(
        &self,
        id: &ier_storage::evidence::RequestId,
    ) -> Result<Option<ier_storage::evidence::EvidenceRequestRow>> {
        portal::evidence_request(self, id).await
    }

    async fn evidence_requests(
        &self,
        ero: &EroId,
        reference: &ReferenceNumber,
    ) -> Result<Vec<ier_storage::evidence::EvidenceRequestRow>> {
        portal::evidence_requests(self, ero, reference).await
    }

    async fn put_evidence_files(
        &self,
        request: &ier_storage::evidence::RequestId,
        files: &[ier_storage::evidence::EvidenceFileRow],
        now: DateTime<Utc>,
    ) -> Result<bool> {
        portal::put_evidence_files(self, request, files, now).await
    }

    async fn evidence_files(
        &self,
        ero: &EroId,
        reference: &ReferenceNumber,
    ) -> Result<Vec<ier_storage::evidence::EvidenceFileRow>> {
        portal::evidence_files(self, ero, reference).await
    }

    async fn determinations(&self, ero: &EroId, cursor: i64, limit: u32) -> Result<Vec<ier_storage::DeterminationRow>> {
        portal::determinations(self, ero, cursor, limit).await
    }

    async fn queue(
        &self,
        ero: &EroId,
        filter: &ier_storage::QueueFilter,
        after: Option<&ReferenceNumber>,
        limit: u32,
    ) -> Result<Vec<ApplicationRow>> {
        portal::queue(self, ero, filter, after, limit).await
    }
}

/// What else an application must be for erasure, besides being due by its
/// dates: no job about it still to run (a message the applicant is owed goes first).
const ERASABLE: &str = "NOT EXISTS (SELECT 1 FROM jobs j WHERE j.reference = a.reference AND j.finished_at IS NULL)";

fn feedback_from(r: &PgRow) -> Result<ier_storage::feedback::FeedbackRow> {
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
