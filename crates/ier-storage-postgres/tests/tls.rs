//! PostgreSQL over TLS: `sslmode=verify-full` with the operator's CA file, against a server that
//! refuses the connecting role anything but TLS (`.ci/postgres-tls` sets one up: the role
//! `ier_tls`, a server certificate for 127.0.0.1 from a throwaway CA). Runs when
//! `IER_TEST_POSTGRES_TLS_CA` names that CA file (CI sets it); `IER_REQUIRE_POSTGRES_TLS=1` makes
//! its absence a failure.

use std::str::FromStr;

use ier_storage_postgres::PgBackend;
use rand::Rng;
use sqlx::postgres::PgConnectOptions;

fn ca() -> Option<String> {
    match std::env::var("IER_TEST_POSTGRES_TLS_CA") {
        Ok(path) => Some(path),
        Err(_) if std::env::var("IER_REQUIRE_POSTGRES_TLS").is_ok_and(|v| v == "1") => {
            panic!("IER_TEST_POSTGRES_TLS_CA is not set: run .ci/postgres-tls and set it to the path it prints")
        }
        Err(_) => {
            eprintln!("skipped: IER_TEST_POSTGRES_TLS_CA is not set (see .ci/postgres-tls)");
            None
        }
    }
}

fn url(mode: &str, ca: &str) -> String {
    format!("postgres://ier_tls@127.0.0.1:5432/test?sslmode={mode}&sslrootcert={ca}")
}

#[tokio::test]
async fn verify_full_with_the_ca_file_connects_encrypted_and_migrates() {
    let Some(ca) = ca() else { return };
    let schema = format!("ier_tls_{:016x}", rand::rng().random::<u64>());
    let admin = sqlx::PgPool::connect(&url("verify-full", &ca)).await.expect("verify-full connects");
    sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&admin).await.unwrap();
    let options = PgConnectOptions::from_str(&url("verify-full", &ca)).unwrap().options([("search_path", &*schema)]);
    let backend = PgBackend::connect_with(options, 2).await;
    let encrypted: Option<bool> = match &backend {
        Ok(b) => sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .fetch_one(b.pool())
            .await
            .ok(),
        Err(_) => None,
    };
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE")).execute(&admin).await.unwrap();
    let backend = backend.expect("the backend connects over TLS and migrates");
    assert_eq!(encrypted, Some(true), "the connection is encrypted");
    backend.pool().close().await;
}

#[tokio::test]
async fn the_server_refuses_the_role_in_clear_so_the_tls_tests_mean_something() {
    let Some(ca) = ca() else { return };
    let refused = PgBackend::connect(&url("disable", &ca)).await.err().expect("refused without TLS");
    assert!(refused.to_string().contains("no encryption") || refused.to_string().contains("28000"), "{refused}");
}

#[tokio::test]
async fn a_server_certificate_from_another_ca_is_refused_by_verify_full() {
    let Some(_) = ca() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let other = params.self_signed(&rcgen::KeyPair::generate().unwrap()).unwrap();
    let other_ca = dir.path().join("other-ca.pem");
    std::fs::write(&other_ca, other.pem()).unwrap();
    let refused =
        PgBackend::connect(&url("verify-full", other_ca.to_str().unwrap())).await.err().expect("refused: unknown CA");
    assert!(refused.to_string().to_lowercase().contains("certificate"), "{refused}");
}
