//! The PostgreSQL backend of `ier-storage`: production.
//!
//! Same contract as the SQLite backend. Commits are durable with the server's
//! defaults (`synchronous_commit = on`, `fsync = on`). Connections may be
//! pinned to a schema (`search_path`), which the tests use to give every story
//! a fresh schema on one server.

use std::str::FromStr;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ier_domain::{Council, Ero, EroContact, EroId, Event, EventKind, GssCode, ReferenceNumber};
use ier_storage::{ApplicationRow, Backend, Counts, Result, Sealed, StorageError, decode};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::{PgPool, Postgres, Row, Transaction};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

const ERO_COLUMNS: &str = "id, name, name_cy, email, phone, website, address";
const COUNCIL_COLUMNS: &str = "gss_code, name, name_cy, nation, ero_id";
const APPLICATION_COLUMNS: &str = "reference, kind, language, gss_code, ero_id, submitted_at, stage, key_id, details";

/// A PostgreSQL database.
#[derive(Clone)]
pub struct PgBackend {
    pool: PgPool,
}

impl PgBackend {
    /// Connect with a `postgres://` URL and bring the schema up to date.
    pub async fn connect(url: &str) -> Result<Self> {
        let options =
            PgConnectOptions::from_str(url).map_err(|e| StorageError::Unavailable(format!("bad Postgres URL: {e}")))?;
        Self::connect_with(options, 16).await
    }

    /// Connect with options (for example a `search_path`) and a pool size.
    pub async fn connect_with(options: PgConnectOptions, max_connections: u32) -> Result<Self> {
        let pool =
            PgPoolOptions::new().max_connections(max_connections).connect_with(options).await.map_err(unavailable)?;
        MIGRATOR.run(&pool).await.map_err(|e| StorageError::Unavailable(format!("migration failed: {e}")))?;
        Ok(Self { pool })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
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
    })
}

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

#[async_trait]
impl Backend for PgBackend {
    async fn put_eros(&self, eros: &[Ero]) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(unavailable)?;
        for e in eros {
            sqlx::query(
                "INSERT INTO eros (id, name, name_cy, email, phone, website, address) VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, name_cy = excluded.name_cy, email = excluded.email,
                 phone = excluded.phone, website = excluded.website, address = excluded.address",
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

    async fn insert_application(&self, row: &ApplicationRow) -> Result<EroId> {
        let mut tx = self.pool.begin().await.map_err(unavailable)?;
        let ero: Option<String> = sqlx::query_scalar("SELECT ero_id FROM councils WHERE gss_code = $1")
            .bind(row.gss_code.as_str())
            .fetch_optional(&mut *tx)
            .await
            .map_err(unavailable)?;
        let ero = ero.ok_or(StorageError::UnknownCouncil(row.gss_code))?;
        sqlx::query(
            "INSERT INTO applications (reference, ero_id, gss_code, kind, language, stage, submitted_at, key_id, details)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(row.reference.as_str())
        .bind(&ero)
        .bind(row.gss_code.as_str())
        .bind(row.kind.as_str())
        .bind(row.language.as_str())
        .bind(row.stage.as_str())
        .bind(row.submitted_at)
        .bind(&row.details.key_id)
        .bind(&row.details.blob)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        for kind in [EventKind::Submitted, EventKind::VerificationRequested] {
            insert_event(&mut tx, &row.reference, &ero, row.submitted_at, &kind).await?;
        }
        sqlx::query("INSERT INTO verification_requests (reference, ero_id, requested_at) VALUES ($1, $2, $3)")
            .bind(row.reference.as_str())
            .bind(&ero)
            .bind(row.submitted_at)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        let ero = decode::ero_id(&ero)?;
        tx.commit().await.map_err(unavailable)?;
        Ok(ero)
    }

    async fn application(&self, ero: &EroId, reference: &ReferenceNumber) -> Result<Option<ApplicationRow>> {
        let row = sqlx::query(&format!(
            "SELECT {APPLICATION_COLUMNS} FROM applications WHERE ero_id = $1 AND reference = $2"
        ))
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
            "SELECT {APPLICATION_COLUMNS} FROM applications WHERE ero_id = $1
             AND seq > COALESCE((SELECT seq FROM applications WHERE ero_id = $1 AND reference = $2), 0)
             ORDER BY seq LIMIT $3"
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
        let mut tx = self.pool.begin().await.map_err(unavailable)?;
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
        let rows = sqlx::query(
            "SELECT reference, at, detail FROM application_events WHERE ero_id = $1 AND reference = $2 ORDER BY id",
        )
        .bind(ero.as_str())
        .bind(reference.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        rows.iter()
            .map(|r| {
                let sqlx::types::Json(kind): sqlx::types::Json<EventKind> =
                    r.try_get("detail").map_err(|_| decode::corrupt("event"))?;
                Ok(Event { reference: decode::reference(r.get("reference"))?, at: r.get("at"), kind })
            })
            .collect()
    }

    async fn pending_verifications(&self, limit: u32) -> Result<Vec<(ReferenceNumber, EroId)>> {
        let rows = sqlx::query(
            "SELECT reference, ero_id FROM verification_requests WHERE completed_at IS NULL ORDER BY seq LIMIT $1",
        )
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        rows.iter().map(|r| Ok((decode::reference(r.get(0))?, decode::ero_id(r.get(1))?))).collect()
    }

    async fn complete_verification(
        &self,
        reference: &ReferenceNumber,
        at: DateTime<Utc>,
        kind: &EventKind,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(unavailable)?;
        let ero: Option<String> = sqlx::query_scalar(
            "UPDATE verification_requests SET completed_at = $1 WHERE reference = $2 AND completed_at IS NULL RETURNING ero_id",
        )
        .bind(at)
        .bind(reference.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(unavailable)?;
        let Some(ero) = ero else { return Ok(()) };
        insert_event(&mut tx, reference, &ero, at, kind).await?;
        if let Some(stage) = kind.stage() {
            sqlx::query("UPDATE applications SET stage = $1 WHERE reference = $2")
                .bind(stage.as_str())
                .bind(reference.as_str())
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
        }
        tx.commit().await.map_err(unavailable)
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
        let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM verification_requests WHERE completed_at IS NULL")
            .fetch_one(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(Counts { by_stage, pending_verifications: pending as u64 })
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map_err(unavailable).map(|_| ())
    }
}
