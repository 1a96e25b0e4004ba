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

/// Two instances on one database file take one run's pages in turn.
#[tokio::test]
async fn two_instances_take_one_runs_pages() {
    let dir = tempfile::tempdir().unwrap();
    let a = SqliteBackend::open(&dir.path().join("test.db")).await.unwrap();
    let b = SqliteBackend::open(&dir.path().join("test.db")).await.unwrap();
    ier_storage::contract::two_instances_take_one_runs_pages(Arc::new(a), Arc::new(b)).await;
}
