//! The storage contract suite, run against SQLite: a fresh database file per test.

use std::sync::Arc;

use ier_storage::Backend;
use ier_storage::contract::Guard;
use ier_storage_sqlite::SqliteBackend;

async fn fresh() -> Option<(Arc<dyn Backend>, Guard)> {
    let dir = tempfile::tempdir().unwrap();
    let backend = SqliteBackend::open(&dir.path().join("test.db")).await.unwrap();
    Some((Arc::new(backend), Box::new(dir)))
}

ier_storage::contract_tests!(fresh().await);
