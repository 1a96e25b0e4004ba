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

/// A fresh schema on `IER_TEST_POSTGRES_URL`, dropped when the guard is: connection options
/// that use it, or `None` when no database is configured.
async fn schema() -> Option<(PgConnectOptions, Schema)> {
    let url = std::env::var("IER_TEST_POSTGRES_URL").ok()?;
    let name = format!("ier_test_{:016x}", rand::rng().random::<u64>());
    let admin = sqlx::PgPool::connect(&url).await.expect("IER_TEST_POSTGRES_URL is reachable");
    sqlx::query(&format!("CREATE SCHEMA {name}")).execute(&admin).await.unwrap();
    admin.close().await;
    let options = PgConnectOptions::from_str(&url).unwrap().options([("search_path", name.as_str())]);
    Some((options, Schema { url, name }))
}

async fn fresh() -> Option<(Arc<dyn Backend>, Guard)> {
    let (options, schema) = schema().await?;
    let backend = PgBackend::connect_with(options, 8).await.unwrap();
    Some((Arc::new(backend), Box::new(schema)))
}

ier_storage::contract_tests!(fresh().await);

/// Two instances on one database take one run's pages in turn.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_take_one_runs_pages() {
    let Some((options, _guard)) = schema().await else {
        eprintln!("skipped: backend not configured");
        return;
    };
    let a = PgBackend::connect_with(options.clone(), 4).await.unwrap();
    let b = PgBackend::connect_with(options, 4).await.unwrap();
    ier_storage::contract::two_instances_take_one_runs_pages(Arc::new(a), Arc::new(b)).await;
}

/// Row-level security, the second wall: inside an ERO's scope even a query with
/// no `WHERE ero_id` (a bug in the first wall) sees and changes only that ERO's rows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn row_level_security_confines_a_scoped_transaction_to_one_ero() {
    let Some((options, guard)) = schema().await else {
        eprintln!("skipped: backend not configured");
        return;
    };
    let name = guard.name.clone();
    let pg = PgBackend::connect_with(options, 4).await.unwrap();
    let backend: Arc<dyn Backend> = Arc::new(pg.clone());
    let store = ier_storage::contract::seeded_store(backend).await;
    for (gss, n) in [("E09000033", 3), ("W06000015", 2)] {
        for _ in 0..n {
            store
                .citizen()
                .submit(ier_storage::contract::new_application(gss, "Walled"), chrono::Utc::now())
                .await
                .unwrap();
        }
    }
    let westminster = ier_domain::EroId::parse("westminster").unwrap();
    let mut tx = pg.scoped(&westminster).await.unwrap();
    let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM applications").fetch_one(&mut *tx).await.unwrap();
    assert_eq!(seen, 3, "only Westminster's rows exist inside its scope");
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM application_events").fetch_one(&mut *tx).await.unwrap();
    assert_eq!(events, 6);
    let checks: i64 = sqlx::query_scalar("SELECT count(*) FROM register_checks").fetch_one(&mut *tx).await.unwrap();
    assert_eq!(checks, 3);
    let changed = sqlx::query("UPDATE applications SET stage = 'determined' WHERE ero_id = 'cardiff'")
        .execute(&mut *tx)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(changed, 0, "another ERO's rows cannot be changed");
    let cardiff_ref: String =
        sqlx::query_scalar(&format!("SELECT reference FROM {name}.applications WHERE ero_id = 'cardiff' LIMIT 1"))
            .fetch_optional(&mut *tx)
            .await
            .unwrap()
            .unwrap_or_else(|| "X".into());
    assert_eq!(cardiff_ref, "X", "not even by naming the table in full");
    tx.rollback().await.unwrap();
    // Writing a row for another ERO is refused by the policy's check.
    let mut tx = pg.scoped(&westminster).await.unwrap();
    let r: String = sqlx::query_scalar("SELECT reference FROM applications LIMIT 1").fetch_one(&mut *tx).await.unwrap();
    let forged = sqlx::query(
        "INSERT INTO application_events (reference, ero_id, at, kind, detail) VALUES ($1, 'cardiff', now(), 'x', '{}')",
    )
    .bind(&r)
    .execute(&mut *tx)
    .await;
    assert!(forged.is_err(), "row-level security refuses a row for another ERO");
    tx.rollback().await.unwrap();
    // Outside any scope (the service's own work) every row is there.
    let all: i64 = sqlx::query_scalar("SELECT count(*) FROM applications").fetch_one(pg.pool()).await.unwrap();
    assert_eq!(all, 5);
}

/// Feedback (migration 0009) is outside every ERO's scope: the EROs' role is
/// granted nothing on it, so a scoped transaction can neither read nor write it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ero_scope_cannot_read_or_write_feedback() {
    let Some((options, _guard)) = schema().await else {
        eprintln!("skipped: backend not configured");
        return;
    };
    let pg = PgBackend::connect_with(options, 4).await.unwrap();
    let backend: Arc<dyn Backend> = Arc::new(pg.clone());
    let store = ier_storage::contract::seeded_store(backend).await;
    let feedback = ier_storage::feedback::Feedback {
        rating: ier_storage::feedback::Satisfaction::Satisfied,
        comment: "Quick".into(),
        page: None,
    };
    let form = ier_storage::feedback::FormId::generate();
    assert!(store.citizen().send_feedback(&form, &feedback, chrono::Utc::now()).await.unwrap());
    let westminster = ier_domain::EroId::parse("westminster").unwrap();
    let mut tx = pg.scoped(&westminster).await.unwrap();
    let read = sqlx::query_scalar::<_, i64>("SELECT count(*) FROM feedback").fetch_one(&mut *tx).await;
    assert!(read.is_err(), "an ERO's scope cannot read feedback");
    tx.rollback().await.unwrap();
    let mut tx = pg.scoped(&westminster).await.unwrap();
    let write = sqlx::query("INSERT INTO feedback (form_id, received_at, rating) VALUES ('x', now(), 'neither')")
        .execute(&mut *tx)
        .await;
    assert!(write.is_err(), "nor write it");
    tx.rollback().await.unwrap();
}
