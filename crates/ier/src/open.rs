//! Opening the parts the commands share: the store (SQLite or Postgres, by URL)
//! and the postcode locator.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use ier_reference::{Locator, PostcodeDirectory, ReferenceData};
use ier_storage::{Backend, DataKeys, Store};
use ier_storage_postgres::PgBackend;
use ier_storage_sqlite::SqliteBackend;

/// Open the database named by `url` (`sqlite:PATH` or `postgres://...`), migrate it,
/// and load the councils and EROs into it.
pub async fn store(url: &str, keys: DataKeys) -> anyhow::Result<Store> {
    store_with_pool(url, keys, None).await
}

/// As [`store`], with a pool of `pool` connections (default: 16 for Postgres, 8 for SQLite).
pub async fn store_with_pool(url: &str, keys: DataKeys, pool: Option<u32>) -> anyhow::Result<Store> {
    let backend = backend(url, pool).await?;
    let reference = ReferenceData::embedded();
    backend.put_eros(&reference.eros().cloned().collect::<Vec<_>>()).await.context("loading EROs")?;
    backend.put_councils(&reference.councils().cloned().collect::<Vec<_>>()).await.context("loading councils")?;
    // Submissions arriving together share a transaction (one durable commit for many applicants).
    Ok(Store::new(backend, keys).with_group_commit(ier_storage::GroupCommit::default()))
}

/// The database named by `url`, migrated, without the store's keys (for
/// operators' commands that read no personal data).
pub async fn backend(url: &str, pool: Option<u32>) -> anyhow::Result<Arc<dyn Backend>> {
    Ok(if is_postgres(url) {
        let options = url
            .parse::<sqlx::postgres::PgConnectOptions>()
            .map_err(|_| anyhow::anyhow!("IER_DATABASE_URL is not a valid Postgres URL"))?;
        warn_if_unverified(&options);
        let size = pool.unwrap_or(ier_storage_postgres::DEFAULT_CONNECTIONS);
        Arc::new(PgBackend::connect_with(options, size).await.context("connecting to Postgres")?)
    } else if url.starts_with("sqlite:") {
        let size = pool.unwrap_or(ier_storage_sqlite::DEFAULT_CONNECTIONS);
        Arc::new(SqliteBackend::open_url_with(url, size).await.context("opening the SQLite database")?)
    } else {
        anyhow::bail!("IER_DATABASE_URL must start with postgres:// or sqlite: (got a URL of another kind)");
    })
}

/// Postgres across a network should be reached with `sslmode=verify-full` (and `sslrootcert`
/// naming the CA), or `verify-ca`: anything less can be read or impersonated on the way. The
/// default (`prefer`) encrypts when the server offers TLS but checks nothing. Said once at
/// start-up; a loopback address or a Unix socket is left alone.
fn warn_if_unverified(options: &sqlx::postgres::PgConnectOptions) {
    use sqlx::postgres::PgSslMode;
    let local = options.get_socket().is_some()
        || options.get_host() == "localhost"
        || options.get_host().starts_with('/')
        || options.get_host().parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    let verified = matches!(options.get_ssl_mode(), PgSslMode::VerifyFull | PgSslMode::VerifyCa);
    if !local && !verified {
        tracing::warn!(
            "the Postgres server's certificate is not checked: add sslmode=verify-full&sslrootcert=<CA file> to IER_DATABASE_URL"
        );
    }
}

/// Does this database URL name Postgres (rather than SQLite)?
pub fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// The locator over the shipped postcode table, or one made by `ier import onspd`.
pub fn locator(table: Option<&Path>) -> anyhow::Result<Locator> {
    let directory: &'static PostcodeDirectory = match table {
        None => PostcodeDirectory::embedded(),
        Some(path) => {
            let file =
                std::fs::File::open(path).with_context(|| format!("opening postcode table {}", path.display()))?;
            let dir = PostcodeDirectory::read(std::io::BufReader::new(file))
                .with_context(|| format!("reading {}", path.display()))?;
            Box::leak(Box::new(dir))
        }
    };
    Ok(Locator::new(directory, ReferenceData::embedded()))
}
