//! The storage contract suite, run against PostgreSQL when
//! `IER_TEST_POSTGRES_URL` is set (CI sets it): a fresh schema per test,
//! dropped when the test ends.

use std::str::FromStr;
use std::sync::Arc;

use ier_storage::Backend;
use ier_storage::contract::Guard;
use ier_storage_postgres::PgBackend;
use rand::Rng;
use sqlx::postgres::PgConnectOptions;

/// Drops the test's schema when the test ends.
struct Schema {
    url: String,
    name: String,
}

impl Drop for Schema {
    fn drop(&mut self) {
        let (url, name) = (self.url.clone(), self.name.clone());
        // A blocking drop on a fresh thread: the test's runtime is shutting down.
        let _ = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
                if let Ok(pool) = sqlx::PgPool::connect(&url).await {
                    let _ = sqlx::query(&format!("DROP SCHEMA {name} CASCADE")).execute(&pool).await;
                }
            })
        })
        .join();
    }
}

async fn fresh() -> Option<(Arc<dyn Backend>, Guard)> {
    let url = std::env::var("IER_TEST_POSTGRES_URL").ok()?;
    let name = format!("ier_test_{:016x}", rand::rng().random::<u64>());
    let admin = sqlx::PgPool::connect(&url).await.expect("IER_TEST_POSTGRES_URL is reachable");
    sqlx::query(&format!("CREATE SCHEMA {name}")).execute(&admin).await.unwrap();
    admin.close().await;
    let options = PgConnectOptions::from_str(&url).unwrap().options([("search_path", name.as_str())]);
    let backend = PgBackend::connect_with(options, 8).await.unwrap();
    Some((Arc::new(backend), Box::new(Schema { url, name })))
}

ier_storage::contract_tests!(fresh().await);
