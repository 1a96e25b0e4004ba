//! The ERO portal's storage on Postgres: staff accounts and sessions
//! ([`ier_storage::staff`]), requests for evidence and their files
//! ([`ier_storage::evidence`]), and the staff's filtered queue. What a
//! member of staff reads of an ERO's data runs scoped (`ier_ero_scope`, row-level
//! security); signing in and the applicant's link, which belong to no ERO yet, do not.

use chrono::{DateTime, Utc};
use ier_domain::evidence::DocumentKind;
use ier_domain::{EroId, ReferenceNumber};
use ier_storage::evidence::{AttestationId, AttestationRow, EvidenceFileRow, EvidenceRequestRow, FileId, RequestId};
use ier_storage::staff::{Role, SessionRow, StaffId, StaffRow, Username};
use ier_storage::{ApplicationRow, QueueFilter, Result, Sealed, StorageError, decode};
use sqlx::Row;
use sqlx::postgres::PgRow;

use super::{APPLICATION_SELECT, PgBackend, application_from, unavailable};

const STAFF_COLUMNS: &str = "s.id, s.ero_id, s.username, s.role, s.password_hash, s.totp_key_id, s.totp_secret,
    s.created_at, s.failed_signins, s.locked_until, s.last_totp_step, s.password_chosen";

fn staff_from(r: &PgRow) -> Result<StaffRow> {
    let id: String = r.get("id");
    let username: String = r.get("username");
    Ok(StaffRow {
        id: StaffId::parse(&id).ok_or_else(|| StorageError::Corrupt("staff id".into()))?,
        ero: decode::ero_id(r.get("ero_id"))?,
        username: Username::parse(&username).map_err(|_| StorageError::Corrupt("staff username".into()))?,
        role: Role::parse(r.get("role"))?,
        password_hash: r.get("password_hash"),
        totp: Sealed { key_id: r.get("totp_key_id"), blob: r.get("totp_secret") },
        created_at: r.get("created_at"),
        failed_signins: r.get::<i32, _>("failed_signins") as u32,
        locked_until: r.get("locked_until"),
        last_totp_step: r.get("last_totp_step"),
        password_chosen: r.get("password_chosen"),
    })
}

pub async fn put_staff(db: &PgBackend, row: &StaffRow, recovery: &[String]) -> Result<()> {
    let mut tx = db.pool().begin().await.map_err(unavailable)?;
    sqlx::query(
        "INSERT INTO staff (id, ero_id, username, role, password_hash, totp_key_id, totp_secret, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(row.id.as_str())
    .bind(row.ero.as_str())
    .bind(row.username.as_str())
    .bind(row.role.as_str())
    .bind(&row.password_hash)
    .bind(&row.totp.key_id)
    .bind(&row.totp.blob)
    .bind(row.created_at)
    .execute(&mut *tx)
    .await
    .map_err(unavailable)?;
    sqlx::query("INSERT INTO staff_recovery_codes (staff_id, digest) SELECT $1, unnest($2::text[])")
        .bind(row.id.as_str())
        .bind(recovery)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
    tx.commit().await.map_err(unavailable)
}

pub async fn staff_by(db: &PgBackend, column: &str, value: &str) -> Result<Option<StaffRow>> {
    let row = sqlx::query(&format!("SELECT {STAFF_COLUMNS} FROM staff s WHERE s.{column} = $1"))
        .bind(value)
        .fetch_optional(db.pool())
        .await
        .map_err(unavailable)?;
    row.as_ref().map(staff_from).transpose()
}

pub async fn staff_of(db: &PgBackend, ero: &EroId) -> Result<Vec<StaffRow>> {
    let rows =
        sqlx::query(&format!("SELECT {STAFF_COLUMNS} FROM staff s WHERE s.ero_id = $1 ORDER BY s.created_at, s.id"))
            .bind(ero.as_str())
            .fetch_all(db.pool())
            .await
            .map_err(unavailable)?;
    rows.iter().map(staff_from).collect()
}

pub async fn staff_failed(db: &PgBackend, id: &StaffId, max: u32, lock_until: DateTime<Utc>) -> Result<u32> {
    let n: Option<i32> = sqlx::query_scalar(
        "UPDATE staff SET failed_signins = failed_signins + 1,
             locked_until = CASE WHEN failed_signins + 1 >= $1 THEN $2 ELSE locked_until END
         WHERE id = $3 RETURNING failed_signins",
    )
    .bind(max as i32)
    .bind(lock_until)
    .bind(id.as_str())
    .fetch_optional(db.pool())
    .await
    .map_err(unavailable)?;
    Ok(n.unwrap_or(0) as u32)
}

pub async fn staff_signed_in(
    db: &PgBackend,
    id: &StaffId,
    totp_step: Option<i64>,
    recovery: Option<&str>,
    session: &SessionRow,
) -> Result<bool> {
    let mut tx = db.pool().begin().await.map_err(unavailable)?;
    let used = match (totp_step, recovery) {
        (Some(step), _) => sqlx::query("UPDATE staff SET last_totp_step = $1 WHERE id = $2 AND last_totp_step < $1")
            .bind(step)
            .bind(id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?
            .rows_affected(),
        (None, Some(digest)) => sqlx::query(
            "UPDATE staff_recovery_codes SET used_at = $1 WHERE staff_id = $2 AND digest = $3 AND used_at IS NULL",
        )
        .bind(session.created_at)
        .bind(id.as_str())
        .bind(digest)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?
        .rows_affected(),
        // Signed in through the council's provider: no code to use up.
        (None, None) => 1,
    };
    if used != 1 {
        tx.rollback().await.map_err(unavailable)?;
        return Ok(false);
    }
    sqlx::query("UPDATE staff SET failed_signins = 0, locked_until = NULL WHERE id = $1")
        .bind(id.as_str())
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
    sqlx::query(
        "INSERT INTO staff_sessions (token_hash, staff_id, created_at, seen_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&session.token_hash)
    .bind(session.staff.as_str())
    .bind(session.created_at)
    .bind(session.seen_at)
    .bind(session.expires_at)
    .execute(&mut *tx)
    .await
    .map_err(unavailable)?;
    sqlx::query("DELETE FROM staff_sessions WHERE staff_id = $1 AND expires_at <= $2")
        .bind(id.as_str())
        .bind(session.created_at)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
    tx.commit().await.map_err(unavailable)?;
    Ok(true)
}

pub async fn staff_session(
    db: &PgBackend,
    token_hash: &str,
    now: DateTime<Utc>,
    idle_since: DateTime<Utc>,
) -> Result<Option<(SessionRow, StaffRow)>> {
    let row = sqlx::query(
        "UPDATE staff_sessions SET seen_at = $1 WHERE token_hash = $2 AND expires_at > $1 AND seen_at > $3
         RETURNING token_hash, staff_id, created_at, seen_at, expires_at",
    )
    .bind(now)
    .bind(token_hash)
    .bind(idle_since)
    .fetch_optional(db.pool())
    .await
    .map_err(unavailable)?;
    let Some(row) = row else { return Ok(None) };
    let staff_id: String = row.get("staff_id");
    let session = SessionRow {
        token_hash: row.get("token_hash"),
        staff: StaffId::parse(&staff_id).ok_or_else(|| StorageError::Corrupt("staff id".into()))?,
        created_at: row.get("created_at"),
        seen_at: row.get("seen_at"),
        expires_at: row.get("expires_at"),
    };
    let Some(staff) = staff_by(db, "id", &staff_id).await? else { return Ok(None) };
    Ok(Some((session, staff)))
}

pub async fn delete_staff_session(db: &PgBackend, token_hash: &str) -> Result<()> {
    sqlx::query("DELETE FROM staff_sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(db.pool())
        .await
        .map_err(unavailable)?;
    Ok(())
}

const REQUEST_COLUMNS: &str =
    "id, reference, ero_id, documents::text AS documents, attestation, created_at, expires_at, used_at";

fn request_from(r: &PgRow) -> Result<EvidenceRequestRow> {
    let id: String = r.get("id");
    let documents: String = r.get("documents");
    let documents: Vec<DocumentKind> =
        serde_json::from_str(&documents).map_err(|_| StorageError::Corrupt("evidence request documents".into()))?;
    Ok(EvidenceRequestRow {
        id: RequestId::parse(&id).ok_or_else(|| StorageError::Corrupt("evidence request id".into()))?,
        reference: decode::reference(r.get("reference"))?,
        ero: decode::ero_id(r.get("ero_id"))?,
        documents,
        attestation: r.get("attestation"),
        created_at: r.get("created_at"),
        expires_at: r.get("expires_at"),
        used_at: r.get("used_at"),
    })
}

pub async fn put_evidence_request(
    db: &PgBackend,
    row: &EvidenceRequestRow,
    message: &ier_storage::NewJob,
) -> Result<()> {
    let documents = serde_json::to_string(&row.documents).expect("codes serialise");
    let mut tx = db.scoped(&row.ero).await?;
    let done = sqlx::query(
        "INSERT INTO evidence_requests (id, reference, ero_id, documents, attestation, created_at, expires_at)
         SELECT $1, reference, ero_id, $2::jsonb, $7, $3, $4 FROM applications WHERE reference = $5 AND ero_id = $6",
    )
    .bind(row.id.as_str())
    .bind(documents)
    .bind(row.created_at)
    .bind(row.expires_at)
    .bind(row.reference.as_str())
    .bind(row.ero.as_str())
    .bind(row.attestation)
    .execute(&mut *tx)
    .await
    .map_err(unavailable)?;
    if done.rows_affected() != 1 {
        tx.rollback().await.map_err(unavailable)?;
        return Err(StorageError::NotFound);
    }
    super::insert_jobs(&mut tx, &[(message, row.ero.as_str())], row.created_at).await?;
    tx.commit().await.map_err(unavailable)
}

pub async fn evidence_request(db: &PgBackend, id: &RequestId) -> Result<Option<EvidenceRequestRow>> {
    let row = sqlx::query(&format!("SELECT {REQUEST_COLUMNS} FROM evidence_requests WHERE id = $1"))
        .bind(id.as_str())
        .fetch_optional(db.pool())
        .await
        .map_err(unavailable)?;
    row.as_ref().map(request_from).transpose()
}

pub async fn evidence_requests(
    db: &PgBackend,
    ero: &EroId,
    reference: &ReferenceNumber,
) -> Result<Vec<EvidenceRequestRow>> {
    let mut tx = db.scoped(ero).await?;
    let rows = sqlx::query(&format!(
        "SELECT {REQUEST_COLUMNS} FROM evidence_requests WHERE ero_id = $1 AND reference = $2
         ORDER BY created_at DESC, id"
    ))
    .bind(ero.as_str())
    .bind(reference.as_str())
    .fetch_all(&mut *tx)
    .await
    .map_err(unavailable)?;
    tx.commit().await.map_err(unavailable)?;
    rows.iter().map(request_from).collect()
}

pub async fn put_evidence_files(
    db: &PgBackend,
    request: &RequestId,
    files: &[EvidenceFileRow],
    now: DateTime<Utc>,
) -> Result<bool> {
    let mut tx = db.pool().begin().await.map_err(unavailable)?;
    let spent =
        sqlx::query("UPDATE evidence_requests SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND expires_at > $1")
            .bind(now)
            .bind(request.as_str())
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
    if spent.rows_affected() != 1 {
        tx.rollback().await.map_err(unavailable)?;
        return Ok(false);
    }
    for f in files {
        sqlx::query(
            "INSERT INTO evidence_files (id, request_id, reference, ero_id, document, content_type, size, key_id,
                 file_key, stored_at)
             SELECT $1, id, reference, ero_id, $2, $3, $4, $5, $6, $7 FROM evidence_requests WHERE id = $8",
        )
        .bind(f.id.as_str())
        .bind(f.document.code())
        .bind(&f.content_type)
        .bind(f.size as i64)
        .bind(&f.key.key_id)
        .bind(&f.key.blob)
        .bind(f.stored_at)
        .bind(request.as_str())
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
    }
    tx.commit().await.map_err(unavailable)?;
    Ok(true)
}

pub async fn evidence_files(db: &PgBackend, ero: &EroId, reference: &ReferenceNumber) -> Result<Vec<EvidenceFileRow>> {
    let mut tx = db.scoped(ero).await?;
    let rows = sqlx::query(
        "SELECT id, request_id, reference, ero_id, document, content_type, size, key_id, file_key, stored_at
         FROM evidence_files WHERE ero_id = $1 AND reference = $2 ORDER BY seq",
    )
    .bind(ero.as_str())
    .bind(reference.as_str())
    .fetch_all(&mut *tx)
    .await
    .map_err(unavailable)?;
    tx.commit().await.map_err(unavailable)?;
    rows.iter()
        .map(|r| {
            let id: String = r.get("id");
            let request: String = r.get("request_id");
            Ok(EvidenceFileRow {
                id: FileId::parse(&id).ok_or_else(|| StorageError::Corrupt("evidence file id".into()))?,
                request: RequestId::parse(&request)
                    .ok_or_else(|| StorageError::Corrupt("evidence request id".into()))?,
                reference: decode::reference(r.get("reference"))?,
                ero: decode::ero_id(r.get("ero_id"))?,
                document: DocumentKind::parse(r.get("document"))
                    .map_err(|_| StorageError::Corrupt("evidence document".into()))?,
                content_type: r.get("content_type"),
                size: r.get::<i64, _>("size") as u64,
                key: Sealed { key_id: r.get("key_id"), blob: r.get("file_key") },
                stored_at: r.get("stored_at"),
            })
        })
        .collect()
}

pub async fn queue(
    db: &PgBackend,
    ero: &EroId,
    filter: &QueueFilter,
    after: Option<&ReferenceNumber>,
    limit: u32,
) -> Result<Vec<ApplicationRow>> {
    let identity = match filter.identity {
        None => "",
        Some(None) => {
            " AND NOT EXISTS (SELECT 1 FROM application_events v WHERE v.reference = a.reference AND v.kind = 'verified')"
        }
        Some(Some(_)) => {
            " AND EXISTS (SELECT 1 FROM application_events v WHERE v.reference = a.reference AND v.kind = 'verified'
               AND v.detail->>'outcome' = $9)"
        }
    };
    let sql = format!(
        "{APPLICATION_SELECT} WHERE a.ero_id = $1
         AND a.seq > COALESCE((SELECT seq FROM applications WHERE ero_id = $1 AND reference = $2), 0)
         AND ($3::text IS NULL OR a.stage = $3) AND ($4::text IS NULL OR a.kind = $4)
         AND ($5::text IS NULL OR a.determination = $5)
         AND ($6::timestamptz IS NULL OR a.submitted_at >= $6) AND ($7::timestamptz IS NULL OR a.submitted_at < $7)
         {identity}
         ORDER BY a.seq LIMIT $8"
    );
    let outcome = filter.identity.flatten().map(|o| {
        let word = serde_json::to_string(&o).expect("serialises");
        word.trim_matches('"').to_owned()
    });
    let mut tx = db.scoped(ero).await?;
    let mut q = sqlx::query(&sql)
        .bind(ero.as_str())
        .bind(after.map(|r| r.as_str().to_owned()))
        .bind(filter.stage.map(|s| s.as_str()))
        .bind(filter.kind.map(|k| k.as_str()))
        .bind(filter.determination.map(|d| d.as_str()))
        .bind(filter.from)
        .bind(filter.to)
        .bind(i64::from(limit));
    if let Some(o) = outcome {
        q = q.bind(o);
    }
    let rows = q.fetch_all(&mut *tx).await.map_err(unavailable)?;
    tx.commit().await.map_err(unavailable)?;
    rows.iter().map(application_from).collect()
}

pub async fn determinations(
    db: &PgBackend,
    ero: &EroId,
    cursor: i64,
    limit: u32,
) -> Result<Vec<ier_storage::DeterminationRow>> {
    let mut tx = db.scoped(ero).await?;
    let rows = sqlx::query(
        "SELECT id, reference, at, detail::text AS detail FROM application_events
         WHERE ero_id = $1 AND kind = 'determined' AND id > $2 ORDER BY id LIMIT $3",
    )
    .bind(ero.as_str())
    .bind(cursor)
    .bind(i64::from(limit))
    .fetch_all(&mut *tx)
    .await
    .map_err(unavailable)?;
    tx.commit().await.map_err(unavailable)?;
    rows.iter()
        .map(|r| {
            let detail: String = r.get("detail");
            match serde_json::from_str::<ier_domain::EventKind>(&detail) {
                Ok(ier_domain::EventKind::Determined { determination, reasons, registered_from }) => {
                    Ok(ier_storage::DeterminationRow {
                        cursor: r.get("id"),
                        reference: decode::reference(r.get("reference"))?,
                        at: r.get("at"),
                        determination,
                        reasons,
                        registered_from,
                    })
                }
                _ => Err(StorageError::Corrupt("a determined event".into())),
            }
        })
        .collect()
}

const ATTESTATION_COLUMNS: &str =
    "id, request_id, reference, ero_id, key_id, attestor, created_at, expires_at, confirmed_at, on_register";

fn attestation_from(r: &PgRow) -> Result<AttestationRow> {
    let id: String = r.get("id");
    let request: String = r.get("request_id");
    Ok(AttestationRow {
        id: AttestationId::parse(&id).ok_or_else(|| StorageError::Corrupt("attestation id".into()))?,
        request: RequestId::parse(&request).ok_or_else(|| StorageError::Corrupt("evidence request id".into()))?,
        reference: decode::reference(r.get("reference"))?,
        ero: decode::ero_id(r.get("ero_id"))?,
        attestor: Sealed { key_id: r.get("key_id"), blob: r.get("attestor") },
        created_at: r.get("created_at"),
        expires_at: r.get("expires_at"),
        confirmed_at: r.get("confirmed_at"),
        on_register: r.get("on_register"),
    })
}

pub async fn put_attestation(
    db: &PgBackend,
    row: &AttestationRow,
    job: &ier_storage::NewJob,
    now: DateTime<Utc>,
) -> Result<bool> {
    let mut tx = db.pool().begin().await.map_err(unavailable)?;
    let spent = sqlx::query(
        "UPDATE evidence_requests SET used_at = $1
         WHERE id = $2 AND used_at IS NULL AND expires_at > $1 AND attestation",
    )
    .bind(now)
    .bind(row.request.as_str())
    .execute(&mut *tx)
    .await
    .map_err(unavailable)?;
    if spent.rows_affected() != 1 {
        tx.rollback().await.map_err(unavailable)?;
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO attestations (id, request_id, reference, ero_id, key_id, attestor, created_at, expires_at)
         SELECT $1, id, reference, ero_id, $2, $3, $4, $5 FROM evidence_requests WHERE id = $6",
    )
    .bind(row.id.as_str())
    .bind(&row.attestor.key_id)
    .bind(&row.attestor.blob)
    .bind(row.created_at)
    .bind(row.expires_at)
    .bind(row.request.as_str())
    .execute(&mut *tx)
    .await
    .map_err(unavailable)?;
    super::insert_jobs(&mut tx, &[(job, row.ero.as_str())], now).await?;
    tx.commit().await.map_err(unavailable)?;
    Ok(true)
}

pub async fn attestation(db: &PgBackend, id: &AttestationId) -> Result<Option<AttestationRow>> {
    let row = sqlx::query(&format!("SELECT {ATTESTATION_COLUMNS} FROM attestations WHERE id = $1"))
        .bind(id.as_str())
        .fetch_optional(db.pool())
        .await
        .map_err(unavailable)?;
    row.as_ref().map(attestation_from).transpose()
}

pub async fn attestations(db: &PgBackend, ero: &EroId, reference: &ReferenceNumber) -> Result<Vec<AttestationRow>> {
    let mut tx = db.scoped(ero).await?;
    let rows = sqlx::query(&format!(
        "SELECT {ATTESTATION_COLUMNS} FROM attestations WHERE ero_id = $1 AND reference = $2
         ORDER BY created_at DESC, id"
    ))
    .bind(ero.as_str())
    .bind(reference.as_str())
    .fetch_all(&mut *tx)
    .await
    .map_err(unavailable)?;
    tx.commit().await.map_err(unavailable)?;
    rows.iter().map(attestation_from).collect()
}

pub async fn confirm_attestation(
    db: &PgBackend,
    id: &AttestationId,
    now: DateTime<Utc>,
    on_register: bool,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE attestations SET confirmed_at = $1, on_register = $2
         WHERE id = $3 AND confirmed_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(on_register)
    .bind(id.as_str())
    .execute(db.pool())
    .await
    .map_err(unavailable)?;
    Ok(done.rows_affected() == 1)
}
