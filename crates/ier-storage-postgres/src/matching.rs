//! Data matching runs on Postgres ([`ier_storage::matching`]). Every EMS-side
//! statement runs in the ERO's scope ([`PgBackend::scoped`]: row-level security
//! as the second wall behind `WHERE ero_id = ...`) with the run's row locked;
//! the worker's side runs as the service and claims a run with
//! `FOR UPDATE SKIP LOCKED`, so instances never take the same run. A page of
//! electors is one row, as is a chunk of results; local records are written a
//! few thousand rows a statement (`UNNEST` of arrays).

use chrono::{DateTime, Utc};
use ier_domain::EroId;
use ier_storage::matching::{
    Action, Against, NewRun, PropertyChunk, Purpose, ResultChunk, RunId, RunRow, RunState, SealedPage, SealedRecord,
    refuse,
};
use ier_storage::{Result, Sealed, StorageError};
use sqlx::postgres::PgRow;
use sqlx::{Postgres, Row, Transaction};

use super::{PgBackend, unavailable};

const RUN_COLUMNS: &str = "id, ero_id, purpose, state, against, created_at, queued_at, started_at, finished_at,
    dwp_matched_at, local_matched_at, electors, local_records, done, total, attempts, error";

/// Rows a statement.
const BATCH: usize = 5_000;

fn run_from(r: &PgRow) -> Result<RunRow> {
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
        attempts: r.get::<i32, _>("attempts") as u32,
        error: r.get("error"),
    })
}

fn allowed(state: RunState, action: Action) -> Result<()> {
    match refuse(state, action) {
        Some(why) => Err(StorageError::Conflict(why)),
        None => Ok(()),
    }
}

/// The run's state, its row locked for the transaction (in the ERO's scope).
/// Give up a transaction that holds the run's row lock, at once: a dropped transaction's
/// rollback waits for its connection's next use, and until then a worker's claim
/// (`FOR UPDATE SKIP LOCKED`) would pass the run over.
async fn give_up<T>(tx: Transaction<'static, Postgres>, e: StorageError) -> Result<T> {
    let _ = tx.rollback().await;
    Err(e)
}

async fn lock(tx: &mut Transaction<'static, Postgres>, ero: &EroId, id: &RunId) -> Result<RunState> {
    let state: Option<String> =
        sqlx::query_scalar("SELECT state FROM matching_runs WHERE id = $1 AND ero_id = $2 FOR UPDATE")
            .bind(id.as_str())
            .bind(ero.as_str())
            .fetch_optional(&mut **tx)
            .await
            .map_err(unavailable)?;
    RunState::parse(&state.ok_or(StorageError::NotFound)?)
}

pub async fn create(b: &PgBackend, run: &NewRun) -> Result<()> {
    let mut tx = b.scoped(&run.ero).await?;
    // One run started at a time per ERO, so the count below holds until the insert.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('matching_runs'), hashtext($1))")
        .bind(run.ero.as_str())
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
    let held: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM matching_runs WHERE ero_id = $1")
        .bind(run.ero.as_str())
        .fetch_one(&mut *tx)
        .await
        .map_err(unavailable)?;
    if held >= i64::from(ier_storage::matching::MAX_RUNS_PER_ERO) {
        return Err(StorageError::Conflict(ier_storage::matching::TOO_MANY_RUNS));
    }
    sqlx::query(
        "INSERT INTO matching_runs (id, ero_id, purpose, state, created_at) VALUES ($1, $2, $3, 'uploading', $4)",
    )
    .bind(run.id.as_str())
    .bind(run.ero.as_str())
    .bind(run.purpose.as_str())
    .bind(run.created_at)
    .execute(&mut *tx)
    .await
    .map_err(unavailable)?;
    tx.commit().await.map_err(unavailable)
}

pub async fn get(b: &PgBackend, ero: &EroId, id: &RunId) -> Result<Option<RunRow>> {
    let mut tx = b.scoped(ero).await?;
    let row = sqlx::query(&format!("SELECT {RUN_COLUMNS} FROM matching_runs WHERE id = $1 AND ero_id = $2"))
        .bind(id.as_str())
        .bind(ero.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(unavailable)?;
    tx.commit().await.map_err(unavailable)?;
    row.as_ref().map(run_from).transpose()
}

pub async fn list(b: &PgBackend, ero: &EroId, limit: u32) -> Result<Vec<RunRow>> {
    let mut tx = b.scoped(ero).await?;
    let rows = sqlx::query(&format!(
        "SELECT {RUN_COLUMNS} FROM matching_runs WHERE ero_id = $1 ORDER BY created_at DESC, id LIMIT $2"
    ))
    .bind(ero.as_str())
    .bind(i64::from(limit))
    .fetch_all(&mut *tx)
    .await
    .map_err(unavailable)?;
    tx.commit().await.map_err(unavailable)?;
    rows.iter().map(run_from).collect()
}

pub async fn put_page(b: &PgBackend, ero: &EroId, id: &RunId, page: &SealedPage) -> Result<u64> {
    let mut tx = b.scoped(ero).await?;
    if let Err(e) = allowed(lock(&mut tx, ero, id).await?, Action::AddElectors) {
        return give_up(tx, e).await;
    }
    if page.numbers.is_empty() {
        return give_up(tx, StorageError::Conflict("a page holds at least one elector")).await;
    }
    // The earlier pages' digests this process does not hold already (8 bytes an elector:
    // the sealed electors are not read).
    let present: Vec<i64> = sqlx::query_scalar("SELECT page_id FROM matching_pages WHERE run_id = $1 AND ero_id = $2")
        .bind(id.as_str())
        .bind(ero.as_str())
        .fetch_all(&mut *tx)
        .await
        .map_err(unavailable)?;
    let missing = b.page_index.missing(id, &present);
    if !missing.is_empty() {
        let read: Vec<(i64, Vec<u8>)> = sqlx::query_as(
            "SELECT page_id, numbers FROM matching_pages WHERE run_id = $1 AND ero_id = $2 AND page_id = ANY($3)",
        )
        .bind(id.as_str())
        .bind(ero.as_str())
        .bind(&missing)
        .fetch_all(&mut *tx)
        .await
        .map_err(unavailable)?;
        b.page_index.load(id, read);
    }
    let (again, superseded) = b.page_index.add(id, page.id, &page.numbers);
    sqlx::query("DELETE FROM matching_pages WHERE run_id = $1 AND ero_id = $2 AND page_id = ANY($3)")
        .bind(id.as_str())
        .bind(ero.as_str())
        .bind(&superseded)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
    sqlx::query(
        "INSERT INTO matching_pages (run_id, seq, page_id, position, ero_id, numbers, key_id, details)
         VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM matching_pages WHERE run_id = $1), $2, $3, $4, $5, $6, $7)",
    )
    .bind(id.as_str())
    .bind(page.id)
    .bind(page.position.map(|p| p.min(i64::MAX as u64) as i64))
    .bind(ero.as_str())
    .bind(ier_storage::matching::digests_to_bytes(&page.numbers))
    .bind(page.sealed.key_id.as_str())
    .bind(page.sealed.blob.as_slice())
    .execute(&mut *tx)
    .await
    .map_err(unavailable)?;
    let total: i64 = sqlx::query_scalar(
        "UPDATE matching_runs SET electors = electors + $1 WHERE id = $2 AND ero_id = $3 RETURNING electors",
    )
    .bind((page.numbers.len() - again) as i64)
    .bind(id.as_str())
    .bind(ero.as_str())
    .fetch_one(&mut *tx)
    .await
    .map_err(unavailable)?;
    tx.commit().await.map_err(unavailable)?;
    Ok(total as u64)
}

pub async fn put_local(b: &PgBackend, ero: &EroId, id: &RunId, records: &[SealedRecord]) -> Result<(u64, u64)> {
    let mut tx = b.scoped(ero).await?;
    if let Err(e) = allowed(lock(&mut tx, ero, id).await?, Action::AddLocalData) {
        return give_up(tx, e).await;
    }
    let mut added = 0u64;
    for chunk in records.chunks(BATCH) {
        let ids: Vec<i64> = chunk.iter().map(|r| r.id).collect();
        let keys: Vec<&str> = chunk.iter().map(|r| r.sealed.key_id.as_str()).collect();
        let blobs: Vec<&[u8]> = chunk.iter().map(|r| r.sealed.blob.as_slice()).collect();
        let inserted = sqlx::query(
            "INSERT INTO matching_local_records (run_id, id, ero_id, key_id, details)
             SELECT $1, i, $2, k, d FROM UNNEST($3::bigint[], $4::text[], $5::bytea[]) AS t(i, k, d)
             ON CONFLICT (run_id, id) DO NOTHING",
        )
        .bind(id.as_str())
        .bind(ero.as_str())
        .bind(&ids)
        .bind(&keys)
        .bind(&blobs)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        added += inserted.rows_affected();
    }
    let total: i64 = sqlx::query_scalar(
        "UPDATE matching_runs SET local_records = local_records + $1 WHERE id = $2 AND ero_id = $3 RETURNING local_records",
    )
    .bind(added as i64)
    .bind(id.as_str())
    .bind(ero.as_str())
    .fetch_one(&mut *tx)
    .await
    .map_err(unavailable)?;
    tx.commit().await.map_err(unavailable)?;
    Ok((added, total as u64))
}

pub async fn queue(b: &PgBackend, ero: &EroId, id: &RunId, against: Against, now: DateTime<Utc>) -> Result<RunRow> {
    let mut tx = b.scoped(ero).await?;
    let state = lock(&mut tx, ero, id).await?;
    let action = match against {
        Against::Dwp => Action::MatchDwp,
        Against::LocalData => Action::MatchLocal,
    };
    if let Err(e) = allowed(state, action) {
        return give_up(tx, e).await;
    }
    let (electors, local): (i64, i64) =
        sqlx::query_as("SELECT electors, local_records FROM matching_runs WHERE id = $1 AND ero_id = $2")
            .bind(id.as_str())
            .bind(ero.as_str())
            .fetch_one(&mut *tx)
            .await
            .map_err(unavailable)?;
    if electors == 0 {
        return give_up(tx, StorageError::Conflict("the run has no electors: upload the register first")).await;
    }
    if against == Against::LocalData && local == 0 {
        return give_up(tx, StorageError::Conflict("the run has no local data: upload it first")).await;
    }
    let row = sqlx::query(&format!(
        "UPDATE matching_runs SET state = 'queued', against = $1, queued_at = $2, done = 0, total = 0,
             attempts = 0, error = NULL, leased_by = NULL, leased_until = NULL
         WHERE id = $3 AND ero_id = $4 RETURNING {RUN_COLUMNS}"
    ))
    .bind(against.as_str())
    .bind(now)
    .bind(id.as_str())
    .bind(ero.as_str())
    .fetch_one(&mut *tx)
    .await
    .map_err(unavailable)?;
    tx.commit().await.map_err(unavailable)?;
    run_from(&row)
}

pub async fn delete(b: &PgBackend, ero: &EroId, id: &RunId) -> Result<bool> {
    let mut tx = b.scoped(ero).await?;
    match lock(&mut tx, ero, id).await {
        Err(StorageError::NotFound) => return Ok(false),
        Err(e) => return Err(e),
        Ok(RunState::Matching) => {
            return give_up(tx, StorageError::Conflict("the run is being matched: delete it once it has finished"))
                .await;
        }
        Ok(_) => {}
    }
    // Children go with the run (ON DELETE CASCADE), under the same policies.
    sqlx::query("DELETE FROM matching_runs WHERE id = $1 AND ero_id = $2")
        .bind(id.as_str())
        .bind(ero.as_str())
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
    tx.commit().await.map_err(unavailable)?;
    Ok(true)
}

pub async fn result_chunks(b: &PgBackend, ero: &EroId, id: &RunId, after: &str, limit: u32) -> Result<Vec<Vec<u8>>> {
    let mut tx = b.scoped(ero).await?;
    let chunks = sqlx::query_scalar(
        "SELECT details FROM matching_result_chunks WHERE run_id = $1 AND ero_id = $2 AND last_number > $3
         ORDER BY last_number LIMIT $4",
    )
    .bind(id.as_str())
    .bind(ero.as_str())
    .bind(after)
    .bind(i64::from(limit))
    .fetch_all(&mut *tx)
    .await
    .map_err(unavailable)?;
    tx.commit().await.map_err(unavailable)?;
    Ok(chunks)
}

pub async fn property_chunks(b: &PgBackend, ero: &EroId, id: &RunId, after: u32, last: u32) -> Result<Vec<Vec<u8>>> {
    let mut tx = b.scoped(ero).await?;
    let chunks = sqlx::query_scalar(
        "SELECT details FROM matching_property_chunks
         WHERE run_id = $1 AND ero_id = $2 AND last_property > $3 AND first_property <= $4 ORDER BY last_property",
    )
    .bind(id.as_str())
    .bind(ero.as_str())
    .bind(i64::from(after))
    .bind(i64::from(last))
    .fetch_all(&mut *tx)
    .await
    .map_err(unavailable)?;
    tx.commit().await.map_err(unavailable)?;
    Ok(chunks)
}

pub async fn claim(b: &PgBackend, worker: &str, now: DateTime<Utc>, until: DateTime<Utc>) -> Result<Option<RunRow>> {
    let row = sqlx::query(&format!(
        "UPDATE matching_runs SET state = 'matching', leased_by = $1, leased_until = $2, started_at = $3,
             attempts = attempts + 1, done = 0, total = 0
         WHERE id = (SELECT id FROM matching_runs
                     WHERE state = 'queued' OR (state = 'matching' AND leased_until < $3)
                     ORDER BY queued_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
         RETURNING {RUN_COLUMNS}"
    ))
    .bind(worker)
    .bind(until)
    .bind(now)
    .fetch_optional(b.pool())
    .await
    .map_err(unavailable)?;
    row.as_ref().map(run_from).transpose()
}

async fn held(b: &PgBackend, id: &RunId, worker: &str) -> Result<bool> {
    let held: Option<i32> =
        sqlx::query_scalar("SELECT 1 FROM matching_runs WHERE id = $1 AND leased_by = $2 AND state = 'matching'")
            .bind(id.as_str())
            .bind(worker)
            .fetch_optional(b.pool())
            .await
            .map_err(unavailable)?;
    Ok(held.is_some())
}

pub async fn work_pages(b: &PgBackend, id: &RunId, worker: &str) -> Result<Vec<SealedPage>> {
    if !held(b, id, worker).await? {
        return Err(StorageError::Conflict("the run's lease was lost"));
    }
    let rows = sqlx::query(
        "SELECT page_id, numbers, key_id, details FROM matching_pages WHERE run_id = $1 ORDER BY COALESCE(position, seq), seq",
    )
    .bind(id.as_str())
    .fetch_all(b.pool())
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

pub async fn work_result_chunks(b: &PgBackend, id: &RunId, worker: &str) -> Result<Vec<Vec<u8>>> {
    if !held(b, id, worker).await? {
        return Err(StorageError::Conflict("the run's lease was lost"));
    }
    sqlx::query_scalar("SELECT details FROM matching_result_chunks WHERE run_id = $1 ORDER BY last_number")
        .bind(id.as_str())
        .fetch_all(b.pool())
        .await
        .map_err(unavailable)
}

pub async fn work_local(b: &PgBackend, id: &RunId, worker: &str) -> Result<Vec<SealedRecord>> {
    if !held(b, id, worker).await? {
        return Err(StorageError::Conflict("the run's lease was lost"));
    }
    let rows = sqlx::query("SELECT id, key_id, details FROM matching_local_records WHERE run_id = $1 ORDER BY id")
        .bind(id.as_str())
        .fetch_all(b.pool())
        .await
        .map_err(unavailable)?;
    Ok(rows
        .iter()
        .map(|r| SealedRecord { id: r.get("id"), sealed: Sealed { key_id: r.get("key_id"), blob: r.get("details") } })
        .collect())
}

pub async fn progress(
    b: &PgBackend,
    id: &RunId,
    worker: &str,
    done: u64,
    total: u64,
    until: DateTime<Utc>,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE matching_runs SET done = $1, total = $2, leased_until = $3
         WHERE id = $4 AND leased_by = $5 AND state = 'matching'",
    )
    .bind(done as i64)
    .bind(total as i64)
    .bind(until)
    .bind(id.as_str())
    .bind(worker)
    .execute(b.pool())
    .await
    .map_err(unavailable)?;
    Ok(r.rows_affected() == 1)
}

pub async fn put_results(
    b: &PgBackend,
    id: &RunId,
    worker: &str,
    results: &[ResultChunk],
    properties: &[PropertyChunk],
) -> Result<bool> {
    let mut tx = b.pool().begin().await.map_err(unavailable)?;
    let ero: Option<String> = sqlx::query_scalar(
        "SELECT ero_id FROM matching_runs WHERE id = $1 AND leased_by = $2 AND state = 'matching' FOR SHARE",
    )
    .bind(id.as_str())
    .bind(worker)
    .fetch_optional(&mut *tx)
    .await
    .map_err(unavailable)?;
    let Some(ero) = ero else {
        let _ = tx.rollback().await;
        return Ok(false);
    };
    for table in ["matching_result_chunks", "matching_property_chunks"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE run_id = $1"))
            .bind(id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
    }
    for c in results {
        sqlx::query(
            "INSERT INTO matching_result_chunks (run_id, ero_id, first_number, last_number, details)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id.as_str())
        .bind(&ero)
        .bind(c.first.as_str())
        .bind(c.last.as_str())
        .bind(c.details.as_slice())
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
    }
    for c in properties {
        sqlx::query(
            "INSERT INTO matching_property_chunks (run_id, ero_id, first_property, last_property, details)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id.as_str())
        .bind(&ero)
        .bind(c.first as i32)
        .bind(c.last as i32)
        .bind(c.details.as_slice())
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
    }
    tx.commit().await.map_err(unavailable)?;
    Ok(true)
}

pub async fn finish(b: &PgBackend, id: &RunId, worker: &str, now: DateTime<Utc>, error: Option<&str>) -> Result<bool> {
    let r = match error {
        None => sqlx::query(
            "UPDATE matching_runs SET state = 'matched', finished_at = $1, leased_by = NULL, leased_until = NULL,
                 done = total, error = NULL,
                 dwp_matched_at = CASE WHEN against = 'dwp' THEN $1 ELSE dwp_matched_at END,
                 local_matched_at = CASE WHEN against = 'local-data' THEN $1 ELSE local_matched_at END
             WHERE id = $2 AND leased_by = $3 AND state = 'matching'",
        )
        .bind(now)
        .bind(id.as_str())
        .bind(worker),
        Some(error) => sqlx::query(
            "UPDATE matching_runs SET leased_by = NULL, leased_until = NULL, error = $1,
                 state = CASE WHEN attempts >= $2 THEN 'failed' ELSE 'queued' END,
                 finished_at = CASE WHEN attempts >= $2 THEN $3 ELSE finished_at END
             WHERE id = $4 AND leased_by = $5 AND state = 'matching'",
        )
        .bind(error)
        .bind(ier_storage::matching::MAX_ATTEMPTS as i32)
        .bind(now)
        .bind(id.as_str())
        .bind(worker),
    }
    .execute(b.pool())
    .await
    .map_err(unavailable)?;
    Ok(r.rows_affected() == 1)
}

pub async fn erase(
    b: &PgBackend,
    cutoffs: &ier_domain::retention::Cutoffs,
    limit: u32,
    dry_run: bool,
) -> Result<Vec<EroId>> {
    const DUE: &str = "state NOT IN ('queued', 'matching')
        AND ((COALESCE(dwp_matched_at, local_matched_at) IS NOT NULL AND finished_at < $1)
             OR (COALESCE(dwp_matched_at, local_matched_at) IS NULL AND created_at < $2))";
    let ids: Vec<String> = if dry_run {
        sqlx::query_scalar(&format!("SELECT ero_id FROM matching_runs WHERE {DUE} ORDER BY created_at LIMIT $3"))
            .bind(cutoffs.matched_before)
            .bind(cutoffs.unfinished_before)
            .bind(i64::from(limit))
            .fetch_all(b.pool())
            .await
            .map_err(unavailable)?
    } else {
        // Locked and checked again in one statement: a run queued meanwhile is skipped.
        sqlx::query_scalar(&format!(
            "DELETE FROM matching_runs WHERE id IN (
                 SELECT id FROM matching_runs WHERE {DUE} ORDER BY created_at LIMIT $3 FOR UPDATE SKIP LOCKED)
             RETURNING ero_id"
        ))
        .bind(cutoffs.matched_before)
        .bind(cutoffs.unfinished_before)
        .bind(i64::from(limit))
        .fetch_all(b.pool())
        .await
        .map_err(unavailable)?
    };
    ids.iter().map(|e| EroId::parse(e).map_err(|_| StorageError::Corrupt("matching run ERO".into()))).collect()
}
