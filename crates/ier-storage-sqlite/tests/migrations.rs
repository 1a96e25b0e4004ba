//! A database made before the job queue (schema 0004) keeps its work: an
//! identity check that was still queued is a job after migration 0005, and
//! one already done is not done again.

use std::borrow::Cow;
use std::sync::Arc;

use ier_storage::{Backend, JobFilter, JobKind, JobState, Queue};
use ier_storage_sqlite::SqliteBackend;
use sqlx::migrate::Migrator;
use sqlx::sqlite::SqliteConnectOptions;

static ALL: Migrator = sqlx::migrate!("./migrations");

#[tokio::test]
async fn queued_identity_checks_become_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    {
        let pool = sqlx::SqlitePool::connect_with(SqliteConnectOptions::new().filename(&path).create_if_missing(true))
            .await
            .unwrap();
        let before = Migrator {
            migrations: Cow::Owned(ALL.migrations.iter().filter(|m| m.version < 5).cloned().collect()),
            ignore_missing: false,
            locking: true,
            no_tx: false,
        };
        before.run(&pool).await.unwrap();
        for sql in [
            "INSERT INTO eros (id, name) VALUES ('cardiff', 'Cardiff')",
            "INSERT INTO councils (gss_code, name, nation, ero_id) VALUES ('W06000015', 'Cardiff', 'wales', 'cardiff')",
            "INSERT INTO applications (ero_id, seq, reference, gss_code, kind, language, stage, submitted_at, key_id, details)
             VALUES ('cardiff', 1, 'BCD23FGH45', 'W06000015', 'ordinary', 'cy', 'submitted', '2026-11-22T09:00:00+00:00', 'k', x'00'),
                    ('cardiff', 2, 'BCD23FGH46', 'W06000015', 'ordinary', 'en', 'verified', '2026-11-22T09:00:01+00:00', 'k', x'00')",
            "INSERT INTO verification_requests (reference, ero_id, requested_at, completed_at)
             VALUES ('BCD23FGH45', 'cardiff', '2026-11-22T09:00:00+00:00', NULL),
                    ('BCD23FGH46', 'cardiff', '2026-11-22T09:00:01+00:00', '2026-11-22T09:00:02+00:00')",
        ] {
            sqlx::query(sql).execute(&pool).await.unwrap();
        }
        pool.close().await;
    }
    let backend: Arc<dyn Backend> = Arc::new(SqliteBackend::open(&path).await.expect("migrates"));
    let jobs = backend.jobs(&JobFilter { limit: 10, ..Default::default() }).await.unwrap();
    assert_eq!(jobs.len(), 1, "only the check not yet done");
    let job = &jobs[0];
    assert_eq!((job.reference.as_str(), &job.kind, job.state), ("BCD23FGH45", &JobKind::Verify, JobState::Queued));
    assert_eq!(backend.counts().await.unwrap().pending_verifications, 1);
    let now = chrono::Utc::now();
    let claimed = backend.claim_jobs(Queue::Verify, "w", now, now + chrono::Duration::seconds(60), 10).await.unwrap();
    assert_eq!(claimed.len(), 1, "due, and claimed as any other job");
}
