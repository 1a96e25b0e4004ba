//! Data matching runs on SQLite ([`ier_storage::matching`]): every EMS-side
//! statement names the ERO, every worker-side statement the worker holding the
//! run's lease. Writes take the database's one write lock (`BEGIN IMMEDIATE`),
//! so two claims never take the same run.

use chrono::{DateTime, Utc};
use ier_domain::EroId;
use ier_storage::matching::{
    Action, Against, NewRun, PageIndex, PropertyChunk, Purpose, ResultChunk, RunId, RunRow, RunState, SealedPage,
    SealedRecord, refuse,
};
use ier_storage::{Result, Sealed, StorageError};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqlitePool};

use super::{BATCH_ROWS, finish_with, unavailable};

const RUN_COLUMNS: &str = "id, ero_id, purpose, state, against, created_at, queued_at, started_at, finished_at,
    dwp_matched_at, local_matched_at, electors, local_records, done, total, attempts, error";

fn run_from(r: &SqliteRow) -> Result<RunRow> {
    let id: String = r.get("id");
    let ero: String = r.get("ero_id");
    let against: Option<String> = r.get("against");
    Ok(RunRow {
        id: RunId::parse(&id).ok_or_else(|| StorageError::Corrupt("matching run id".into()))?,
        ero: EroId::parse(&ero).map_err(|_| StorageError::Corrupt("matching run ERO".into()))?,
        purpose: Purpose::parse(r.get("purpose"))?,
        state: RunState::parse(r.get("state"))?,
        against: against.as_deref().map(Against::parse).transpose()?,
        created_at: r.get("created_at"),
        queued_at: r.get("queued_at"),
        started_at: r.get("started_at"),
        finished_at: r.get("finished_at"),
        dwp_matched_at: r.get("dwp_matched_at"),
        local_matched_at: r.get("local_matched_at"),
        electors: r.get::<i64, _>("electors") as u64,
        local_records: r.get::<i64, _>("local_records") as u64,
        done: r.get::<i64, _>("done") as u64,
        total: r.get::<i64, _>("total") as u64,
        attempts: r.get::<i64, _>("attempts") as u32,
        error: r.get("error"),
    })
}

pub async fn create(pool: &SqlitePool, run: &NewRun) -> Result<()> {
    let mut conn = pool.acquire().await.map_err(unavailable)?;
    sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await.map_err(unavailable)?;
    let result = async {
        let held: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM matching_runs WHERE ero_id = ?")
            .bind(run.ero.as_str())
            .fetch_one(&mut *conn)
            .await
            .map_err(unavailable)?;
        if held >= i64::from(ier_storage::matching::MAX_RUNS_PER_ERO) {
            return Err(StorageError::Conflict(ier_storage::matching::TOO_MANY_RUNS));
        }
        sqlx::query(
            "INSERT INTO matching_runs (id, ero_id, purpose, state, created_at) VALUES (?, ?, ?, 'uploading', ?)",
        )
        .bind(run.id.as_str())
        .bind(run.ero.as_str())
        .bind(run.purpose.as_str())
        .bind(run.created_at)
        .execute(&mut *conn)
        .await
        .map_err(unavailable)?;
        Ok(())
    }
    .await;
    finish_with(&mut conn, result).await
}

pub async fn get(pool: &SqlitePool, ero: &EroId, id: &RunId) -> Result<Option<RunRow>> {
    let row = sqlx::query(&format!("SELECT {RUN_COLUMNS} FROM matching_runs WHERE id = ? AND ero_id = ?"))
        .bind(id.as_str())
        .bind(ero.as_str())
        .fetch_optional(pool)
        .await
        .map_err(unavailable)?;
    row.as_ref().map(run_from).transpose()
}

pub async fn list(pool: &SqlitePool, ero: &EroId, limit: u32) -> Result<Vec<RunRow>> {
    let rows = sqlx::query(&format!(
        "SELECT {RUN_COLUMNS} FROM matching_runs WHERE ero_id = ? ORDER BY created_at DESC, id LIMIT ?"
    ))
    .bind(ero.as_str())
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(unavailable)?;
    rows.iter().map(run_from).collect()
}

/// The run's state, locked for this transaction (SQLite: the write lock is already held).
async fn state_in(conn: &mut sqlx::SqliteConnection, ero: &EroId, id: &RunId) -> Result<RunState> {
    let state: Option<String> = sqlx::query_scalar("SELECT state FROM matching_runs WHERE id = ? AND ero_id = ?")
        .bind(id.as_str())
        .bind(ero.as_str())
        .fetch_optional(&mut *conn)
        .await
        .map_err(unavailable)?;
    RunState::parse(&state.ok_or(StorageError::NotFound)?)
}

fn allowed(state: RunState, action: Action) -> Result<()> {
    match refuse(state, action) {
        Some(why) => Err(StorageError::Conflict(why)),
        None => Ok(()),
    }
}

pub async fn put_page(pool: &SqlitePool, index: &PageIndex, ero: &EroId, id: &RunId, page: &SealedPage) -> Result<u64> {
    let mut conn = pool.acquire().await.map_err(unavailable)?;
    sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await.map_err(unavailable)?;
    let result = async {
        allowed(state_in(&mut conn, ero, id).await?, Action::AddElectors)?;
        if page.numbers.is_empty() {
            return Err(StorageError::Conflict("a page holds at least one elector"));
        }
        // The earlier pages' digests this process does not hold already (8 bytes an
        // elector: the sealed electors are not read).
        let present: Vec<i64> = sqlx::query_scalar("SELECT page_id FROM matching_pages WHERE run_id = ?")
            .bind(id.as_str())
            .fetch_all(&mut *conn)
            .await
            .map_err(unavailable)?;
        let missing = index.missing(id, &present);
        let mut read: Vec<(i64, Vec<u8>)> = Vec::with_capacity(missing.len());
        for ids in missing.chunks(BATCH_ROWS) {
            let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new("SELECT page_id, numbers FROM matching_pages WHERE run_id = ");
            q.push_bind(id.as_str()).push(" AND page_id IN (");
            let mut list = q.separated(", ");
            for p in ids {
                list.push_bind(*p);
            }
            q.push(")");
            read.extend(q.build_query_as().fetch_all(&mut *conn).await.map_err(unavailable)?);
        }
        index.load(id, read);
        let (again, superseded) = index.add(id, page.id, &page.numbers);
        for p in superseded {
            sqlx::query("DELETE FROM matching_pages WHERE run_id = ? AND page_id = ?")
                .bind(id.as_str())
                .bind(p)
                .execute(&mut *conn)
                .await
                .map_err(unavailable)?;
        }
        sqlx::query(
            "INSERT INTO matching_pages (run_id, seq, page_id, position, ero_id, numbers, key_id, details)
             VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM matching_pages WHERE run_id = ?1), ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .bind(id.as_str())
        .bind(page.id)
        .bind(page.position.map(|p| p.min(i64::MAX as u64) as i64))
        .bind(ero.as_str())
        .bind(ier_storage::matching::digests_to_bytes(&page.numbers))
        .bind(page.sealed.key_id.as_str())
        .bind(page.sealed.blob.as_slice())
        .execute(&mut *conn)
        .await
        .map_err(unavailable)?;
        let total: i64 = sqlx::query_scalar(
            "UPDATE matching_runs SET electors = electors + ? WHERE id = ? AND ero_id = ? RETURNING electors",
        )
        .bind((page.numbers.len() - again) as i64)
        .bind(id.as_str())
        .bind(ero.as_str())
        .fetch_one(&mut *conn)
        .await
        .map_err(unavailable)?;
        Ok(total as u64)
    }
    .await;
    finish_with(&mut conn, result).await
}

pub async fn put_local(pool: &SqlitePool, ero: &EroId, id: &RunId, records: &[SealedRecord]) -> Result<(u64, u64)> {
    let mut conn = pool.acquire().await.map_err(unavailable)?;
    sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await.map_err(unavailable)?;
    let result = async {
        allowed(state_in(&mut conn, ero, id).await?, Action::AddLocalData)?;
        let mut added = 0u64;
        for chunk in records.chunks(BATCH_ROWS) {
            let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT INTO matching_local_records (run_id, id, ero_id, key_id, details) ",
            );
            q.push_values(chunk, |mut b, r| {
                b.push_bind(id.as_str())
                    .push_bind(r.id)
                    .push_bind(ero.as_str())
                    .push_bind(r.sealed.key_id.as_str())
                    .push_bind(r.sealed.blob.as_slice());
            });
            q.push(" ON CONFLICT (run_id, id) DO NOTHING");
            added += q.build().execute(&mut *conn).await.map_err(unavailable)?.rows_affected();
        }
        let total: i64 = sqlx::query_scalar(
            "UPDATE matching_runs SET local_records = local_records + ? WHERE id = ? AND ero_id = ? RETURNING local_records",
        )
        .bind(added as i64)
        .bind(id.as_str())
        .bind(ero.as_str())
        .fetch_one(&mut *conn)
        .await
        .map_err(unavailable)?;
        Ok((added, total as u64))
    }
    .await;
    finish_with(&mut conn, result).await
}

pub async fn queue(pool: &SqlitePool, ero: &EroId, id: &RunId, against: Against, now: DateTime<Utc>) -> Result<RunRow> {
    let mut conn = pool.acquire().await.map_err(unavailable)?;
    sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await.map_err(unavailable)?;
    let result = async {
        let state = state_in(&mut conn, ero, id).await?;
        match against {
            Against::Dwp => allowed(state, Action::MatchDwp)?,
            Against::LocalData => allowed(state, Action::MatchLocal)?,
        }
        let counts: (i64, i64) =
            sqlx::query_as("SELECT electors, local_records FROM matching_runs WHERE id = ? AND ero_id = ?")
                .bind(id.as_str())
                .bind(ero.as_str())
                .fetch_one(&mut *conn)
                .await
                .map_err(unavailable)?;
        if counts.0 == 0 {
            return Err(StorageError::Conflict("the run has no electors: upload the register first"));
        }
        if against == Against::LocalData && counts.1 == 0 {
            return Err(StorageError::Conflict("the run has no local data: upload it first"));
        }
        let row = sqlx::query(&format!(
            "UPDATE matching_runs SET state = 'queued', against = ?, queued_at = ?, done = 0, total = 0,
                 attempts = 0, error = NULL, leased_by = NULL, leased_until = NULL
             WHERE id = ? AND ero_id = ? RETURNING {RUN_COLUMNS}"
        ))
        .bind(against.as_str())
        .bind(now)
        .bind(id.as_str())
        .bind(ero.as_str())
        .fetch_one(&mut *conn)
        .await
        .map_err(unavailable)?;
        run_from(&row)
    }
    .await;
    finish_with(&mut conn, result).await
}

pub async fn delete(pool: &SqlitePool, ero: &EroId, id: &RunId) -> Result<bool> {
    let mut conn = pool.acquire().await.map_err(unavailable)?;
    sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await.map_err(unavailable)?;
    let result = async {
        let state = state_in(&mut conn, ero, id).await;
        match state {
            Err(StorageError::NotFound) => return Ok(false),
            Err(e) => return Err(e),
            Ok(RunState::Matching) => {
                return Err(StorageError::Conflict("the run is being matched: delete it once it has finished"));
            }
            Ok(_) => {}
        }
        delete_runs(&mut conn, &[id.as_str().to_owned()]).await?;
        Ok(true)
    }
    .await;
    let deleted = finish_with(&mut conn, result).await?;
    if deleted {
        checkpoint(pool).await;
    }
    Ok(deleted)
}

/// Delete runs with their electors and local records (children first: one statement each).
async fn delete_runs(conn: &mut sqlx::SqliteConnection, ids: &[String]) -> Result<()> {
    for table in ["matching_result_chunks", "matching_property_chunks", "matching_pages", "matching_local_records"] {
        for id in ids {
            sqlx::query(&format!("DELETE FROM {table} WHERE run_id = ?"))
                .bind(id)
                .execute(&mut *conn)
                .await
                .map_err(unavailable)?;
        }
    }
    for id in ids {
        sqlx::query("DELETE FROM matching_runs WHERE id = ?")
            .bind(id)
            .execute(&mut *conn)
            .await
            .map_err(unavailable)?;
    }
    Ok(())
}

/// Deleted personal data leaves the write-ahead log too (freed pages are zeroed: `secure_delete`).
async fn checkpoint(pool: &SqlitePool) {
    let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(pool).await;
}

pub async fn result_chunks(
    pool: &SqlitePool,
    ero: &EroId,
    id: &RunId,
    after: &str,
    limit: u32,
) -> Result<Vec<Vec<u8>>> {
    sqlx::query_scalar(
        "SELECT details FROM matching_result_chunks WHERE run_id = ? AND ero_id = ? AND last_number > ?
         ORDER BY last_number LIMIT ?",
    )
    .bind(id.as_str())
    .bind(ero.as_str())
    .bind(after)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(unavailable)
}

pub async fn property_chunks(
    pool: &SqlitePool,
    ero: &EroId,
    id: &RunId,
    after: u32,
    last: u32,
) -> Result<Vec<Vec<u8>>> {
    sqlx::query_scalar(
        "SELECT details FROM matching_property_chunks
         WHERE run_id = ? AND ero_id = ? AND last_property > ? AND first_property <= ? ORDER BY last_property",
    )
    .bind(id.as_str())
    .bind(ero.as_str())
    .bind(i64::from(after))
    .bind(i64::from(last))
    .fetch_all(pool)
    .await
    .map_err(unavailable)
}

pub async fn claim(
    pool: &SqlitePool,
    worker: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Option<RunRow>> {
    // One statement: SQLite runs writers one at a time, so no two claims overlap.
    let row = sqlx::query(&format!(
        "UPDATE matching_runs SET state = 'matching', leased_by = ?1, leased_until = ?2, started_at = ?3,
             attempts = attempts + 1, done = 0, total = 0
         WHERE id = (SELECT id FROM matching_runs
                     WHERE state = 'queued' OR (state = 'matching' AND leased_until < ?3)
                     ORDER BY queued_at, id LIMIT 1)
         RETURNING {RUN_COLUMNS}"
    ))
    .bind(worker)
    .bind(until)
    .bind(now)
    .fetch_optional(pool)
    .await
    .map_err(unavailable)?;
    row.as_ref().map(run_from).transpose()
}

const HELD: &str = "SELECT 1 FROM matching_runs WHERE id = ? AND leased_by = ? AND state = 'matching'";

async fn held(conn: &mut sqlx::SqliteConnection, id: &RunId, worker: &str) -> Result<bool> {
    let held: Option<i64> = sqlx::query_scalar(HELD)
        .bind(id.as_str())
        .bind(worker)
        .fetch_optional(&mut *conn)
        .await
        .map_err(unavailable)?;
    Ok(held.is_some())
}

pub async fn work_pages(pool: &SqlitePool, id: &RunId, worker: &str) -> Result<Vec<SealedPage>> {
    let mut conn = pool.acquire().await.map_err(unavailable)?;
    if !held(&mut conn, id, worker).await? {
        return Err(StorageError::Conflict("the run's lease was lost"));
    }
    let rows = sqlx::query(
        "SELECT page_id, numbers, key_id, details FROM matching_pages WHERE run_id = ? ORDER BY COALESCE(position, seq), seq",
    )
    .bind(id.as_str())
    .fetch_all(&mut *conn)
    .await
    .map_err(unavailable)?;
    Ok(rows
        .iter()
        .map(|r| SealedPage {
            id: r.get("page_id"),
            position: None,
            numbers: ier_storage::matching::digests_from_bytes(r.get("numbers")),
            sealed: Sealed { key_id: r.get("key_id"), blob: r.get("details") },
        })
        .collect())
}

pub async fn work_result_chunks(pool: &SqlitePool, id: &RunId, worker: &str) -> Result<Vec<Vec<u8>>> {
    let mut conn = pool.acquire().await.map_err(unavailable)?;
    if !held(&mut conn, id, worker).await? {
        return Err(StorageError::Conflict("the run's lease was lost"));
    }
    sqlx::query_scalar("SELECT details FROM matching_result_chunks WHERE run_id = ? ORDER BY last_number")
        .bind(id.as_str())
        .fetch_all(&mut *conn)
        .await
        .map_err(unavailable)
}

pub async fn work_local(pool: &SqlitePool, id: &RunId, worker: &str) -> Result<Vec<SealedRecord>> {
    let mut conn = pool.acquire().await.map_err(unavailable)?;
    if !held(&mut conn, id, worker).await? {
        return Err(StorageError::Conflict("the run's lease was lost"));
    }
    let rows = sqlx::query("SELECT id, key_id, details FROM matching_local_records WHERE run_id = ? ORDER BY id")
        .bind(id.as_str())
        .fetch_all(&mut *conn)
        .await
        .map_err(unavailable)?;
    Ok(rows
        .iter()
        .map(|r| SealedRecord { id: r.get("id"), sealed: Sealed { key_id: r.get("key_id"), blob: r.get("details") } })
        .collect())
}

pub async fn progress(
    pool: &SqlitePool,
    id: &RunId,
    worker: &str,
    done: u64,
    total: u64,
    until: DateTime<Utc>,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE matching_runs SET done = ?, total = ?, leased_until = ?
         WHERE id = ? AND leased_by = ? AND state = 'matching'",
    )
    .bind(done as i64)
    .bind(total as i64)
    .bind(until)
    .bind(id.as_str())
    .bind(worker)
    .execute(pool)
    .await
    .map_err(unavailable)?;
    Ok(r.rows_affected() == 1)
}

pub async fn put_results(
    pool: &SqlitePool,
    id: &RunId,
    worker: &str,
    results: &[ResultChunk],
    properties: &[PropertyChunk],
) -> Result<bool> {
    let mut conn = pool.acquire().await.map_err(unavailable)?;
    sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await.map_err(unavailable)?;
    let result = async {
        if !held(&mut conn, id, worker).await? {
            return Ok(false);
        }
        let ero: Option<String> = sqlx::query_scalar("SELECT ero_id FROM matching_runs WHERE id = ?")
            .bind(id.as_str())
            .fetch_optional(&mut *conn)
            .await
            .map_err(unavailable)?;
        let ero = ero.ok_or(StorageError::NotFound)?;
        for table in ["matching_result_chunks", "matching_property_chunks"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE run_id = ?"))
                .bind(id.as_str())
                .execute(&mut *conn)
                .await
                .map_err(unavailable)?;
        }
        for c in results {
            sqlx::query(
                "INSERT INTO matching_result_chunks (run_id, ero_id, first_number, last_number, details)
                 VALUES (?, ?, ?, ?, ?)",
            )
            .bind(id.as_str())
            .bind(ero.as_str())
            .bind(c.first.as_str())
            .bind(c.last.as_str())
            .bind(c.details.as_slice())
            .execute(&mut *conn)
            .await
            .map_err(unavailable)?;
        }
        for c in properties {
            sqlx::query(
                "INSERT INTO matching_property_chunks (run_id, ero_id, first_property, last_property, details)
                 VALUES (?, ?, ?, ?, ?)",
            )
            .bind(id.as_str())
            .bind(ero.as_str())
            .bind(i64::from(c.first))
            .bind(i64::from(c.last))
            .bind(c.details.as_slice())
            .execute(&mut *conn)
            .await
            .map_err(unavailable)?;
        }
        Ok(true)
    }
    .await;
    finish_with(&mut conn, result).await
}

pub async fn finish(
    pool: &SqlitePool,
    id: &RunId,
    worker: &str,
    now: DateTime<Utc>,
    error: Option<&str>,
) -> Result<bool> {
    let r = match error {
        None => sqlx::query(
            "UPDATE matching_runs SET state = 'matched', finished_at = ?1, leased_by = NULL, leased_until = NULL,
                 done = total, error = NULL,
                 dwp_matched_at = CASE WHEN against = 'dwp' THEN ?1 ELSE dwp_matched_at END,
                 local_matched_at = CASE WHEN against = 'local-data' THEN ?1 ELSE local_matched_at END
             WHERE id = ?2 AND leased_by = ?3 AND state = 'matching'",
        )
        .bind(now)
        .bind(id.as_str())
        .bind(worker),
        Some(error) => sqlx::query(
            "UPDATE matching_runs SET leased_by = NULL, leased_until = NULL, error = ?1,
                 state = CASE WHEN attempts >= ?2 THEN 'failed' ELSE 'queued' END,
                 finished_at = CASE WHEN attempts >= ?2 THEN ?3 ELSE finished_at END
             WHERE id = ?4 AND leased_by = ?5 AND state = 'matching'",
        )
        .bind(error)
        .bind(i64::from(ier_storage::matching::MAX_ATTEMPTS))
        .bind(now)
        .bind(id.as_str())
        .bind(worker),
    }
    .execute(pool)
    .await
    .map_err(unavailable)?;
    Ok(r.rows_affected() == 1)
}

pub async fn erase(
    pool: &SqlitePool,
    cutoffs: &ier_domain::retention::Cutoffs,
    limit: u32,
    dry_run: bool,
) -> Result<Vec<EroId>> {
    const DUE: &str = "state NOT IN ('queued', 'matching')
        AND ((COALESCE(dwp_matched_at, local_matched_at) IS NOT NULL AND finished_at < ?)
             OR (COALESCE(dwp_matched_at, local_matched_at) IS NULL AND created_at < ?))";
    let mut conn = pool.acquire().await.map_err(unavailable)?;
    let begin = if dry_run { "BEGIN" } else { "BEGIN IMMEDIATE" };
    sqlx::query(begin).execute(&mut *conn).await.map_err(unavailable)?;
    let result = async {
        let due: Vec<(String, String)> =
            sqlx::query_as(&format!("SELECT id, ero_id FROM matching_runs WHERE {DUE} ORDER BY created_at LIMIT ?"))
                .bind(cutoffs.matched_before)
                .bind(cutoffs.unfinished_before)
                .bind(i64::from(limit))
                .fetch_all(&mut *conn)
                .await
                .map_err(unavailable)?;
        if !dry_run {
            let ids: Vec<String> = due.iter().map(|(id, _)| id.clone()).collect();
            delete_runs(&mut conn, &ids).await?;
        }
        due.into_iter()
            .map(|(_, ero)| EroId::parse(&ero).map_err(|_| StorageError::Corrupt("matching run ERO".into())))
            .collect::<Result<Vec<_>>>()
    }
    .await;
    let erased = finish_with(&mut conn, result).await?;
    if !dry_run && !erased.is_empty() {
        checkpoint(pool).await;
    }
    Ok(erased)
}
