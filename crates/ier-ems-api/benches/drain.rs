//! Deadline-day drain: N pending applications spread over C councils (one ERO
//! each), drained by C concurrent EMS clients over real mutual TLS on
//! 127.0.0.1, each fetching pages of 200 and confirming each page at once
//! (`POST /v1/receipts`). Prints the figures; asserts only that everything was
//! drained, once, by the right ERO.
//!
//! ```text
//! cargo bench -p ier-ems-api --bench drain -- [--db sqlite|postgres] [--applications 660000] [--councils 360]
//! ```
//! Postgres uses `IER_TEST_POSTGRES_URL` (a fresh schema, dropped afterwards).
//! Server and clients share this process and its 2 cores.

use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use ier_domain::*;
use ier_pki::{CertificateAuthority, EmsServer, HttpsClient, ServerIdentity, ServerTls, TrustConfig, Validity};
use ier_storage::{Backend, DataKeys, NewApplication, Store};
use secrecy::ExposeSecret;

#[derive(serde::Deserialize)]
struct Page {
    applications: Vec<Item>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Item {
    reference: String,
    gss_code: String,
}

struct Args {
    db: String,
    applications: usize,
    councils: usize,
}

fn args() -> Args {
    let mut a = Args { db: "sqlite".into(), applications: 660_000, councils: 360 };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < argv.len() {
        let v = argv.get(i + 1).cloned().unwrap_or_default();
        match argv[i].as_str() {
            "--db" => a.db = v,
            "--applications" => a.applications = v.parse().expect("--applications N"),
            "--councils" => a.councils = v.parse().expect("--councils N"),
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    a
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

async fn backend(db: &str, dir: &std::path::Path) -> (Arc<dyn Backend>, Option<(String, String)>) {
    match db {
        "sqlite" => (Arc::new(ier_storage_sqlite::SqliteBackend::open(&dir.join("drain.db")).await.unwrap()), None),
        "postgres" => {
            let url = std::env::var("IER_TEST_POSTGRES_URL").expect("IER_TEST_POSTGRES_URL for --db postgres");
            let name = format!("ier_bench_{}", std::process::id());
            let admin = sqlx::PgPool::connect(&url).await.unwrap();
            sqlx::query(&format!("CREATE SCHEMA {name}")).execute(&admin).await.unwrap();
            let options =
                sqlx::postgres::PgConnectOptions::from_str(&url).unwrap().options([("search_path", name.as_str())]);
            let b = ier_storage_postgres::PgBackend::connect_with(options, 32).await.unwrap();
            (Arc::new(b), Some((url, name)))
        }
        other => panic!("--db sqlite or postgres, not {other}"),
    }
}

fn main() {
    tracing_subscriber::fmt().with_env_filter("warn").init();
    let a = args();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(run(a));
}

async fn run(a: Args) {
    let dir = tempfile::tempdir().unwrap();
    let (backend, schema) = backend(&a.db, dir.path()).await;
    // C EROs with one council each (synthetic codes), and their certificates.
    let eros: Vec<Ero> = (0..a.councils)
        .map(|i| Ero {
            id: EroId::parse(&format!("bench-ero-{i}")).unwrap(),
            name: format!("Bench ERO {i}"),
            name_cy: None,
            contact: EroContact::default(),
        })
        .collect();
    let councils: Vec<Council> = (0..a.councils)
        .map(|i| Council {
            gss_code: GssCode::parse(&format!("E06{:06}", i + 1)).unwrap(),
            name: format!("Bench council {i}"),
            name_cy: None,
            nation: Nation::England,
            ero_id: eros[i].id.clone(),
        })
        .collect();
    backend.put_eros(&eros).await.unwrap();
    backend.put_councils(&councils).await.unwrap();
    let store = Store::new(backend.clone(), DataKeys::parse(&DataKeys::generate("bench")).unwrap());

    let t = Instant::now();
    let mut done = 0;
    while done < a.applications {
        let n = (a.applications - done).min(5_000);
        let batch: Vec<NewApplication> = (done..done + n)
            .map(|i| NewApplication {
                language: Language::En,
                gss_code: councils[i % a.councils].gss_code,
                details: ier_storage::contract::applicant("Drain", "SW1A 1AA"),
                journey: None,
                facts: Default::default(),
            })
            .collect();
        store.submit_many(batch, Utc::now()).await.unwrap();
        done += n;
    }
    let seed = t.elapsed();
    println!(
        "seeded {} applications over {} councils in {:.1?} ({:.0}/s, {})",
        a.applications,
        a.councils,
        seed,
        a.applications as f64 / seed.as_secs_f64(),
        a.db
    );

    let now = Utc::now();
    let ca = CertificateAuthority::generate("bench CA", Validity::days_from(now, 2)).unwrap();
    let server = ca.issue_server(&[], Validity::days_from(now, 2)).unwrap();
    let mut trust = TrustConfig::new();
    trust.add_ca_pem(ca.cert_pem(), "bench CA").unwrap();
    // Each ERO's certificate, registered as the issuer records it in issued.txt.
    let configs: Vec<_> = eros
        .iter()
        .map(|e| {
            let c = ca.issue_ero(&e.id, Validity::days_from(now, 2)).unwrap();
            trust.register_issued(&c);
            ier_pki::client_config(&c.cert_pem, c.key_pem.expose_secret(), ca.cert_pem()).unwrap()
        })
        .collect();
    let tls = ServerTls::new(ServerIdentity::from_pem(&server.cert_pem, &server.key_pem).unwrap(), trust).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = ier_ems_api::ApiState::new(store.clone());
    tokio::spawn(EmsServer::new(tls).serve(listener, ier_ems_api::router(state.clone())));

    let t = Instant::now();
    let mut tasks = Vec::new();
    for (i, config) in configs.into_iter().enumerate() {
        let server = format!("https://127.0.0.1:{}", addr.port());
        let own = councils[i].gss_code.to_string();
        tasks.push(tokio::spawn(async move {
            let mut client = HttpsClient::new(&server, config).unwrap();
            let (mut confirmed, mut gets, mut posts) = (0usize, Vec::new(), Vec::new());
            loop {
                let s = Instant::now();
                let (status, body) = client.call("GET", "/v1/applications?pageSize=200", None).await.unwrap();
                gets.push(s.elapsed());
                assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
                // Only what the benchmark needs (the rest is skipped unparsed): the client's
                // share of the 2 cores should be small, as a real EMS runs elsewhere.
                let page: Page = serde_json::from_slice(&body).unwrap();
                let apps = page.applications;
                if apps.is_empty() {
                    return (confirmed, gets, posts);
                }
                let receipts: Vec<_> = apps
                    .iter()
                    .map(|a| {
                        assert_eq!(a.gss_code, own, "only the caller's council");
                        serde_json::json!({"reference": a.reference, "status": "success"})
                    })
                    .collect();
                let body = serde_json::to_vec(&serde_json::json!({ "receipts": receipts })).unwrap();
                let s = Instant::now();
                let (status, answer) = client.call("POST", "/v1/receipts", Some(body)).await.unwrap();
                posts.push(s.elapsed());
                assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
                confirmed += apps.len();
            }
        }));
    }
    let (mut confirmed, mut gets, mut posts) = (0, Vec::new(), Vec::new());
    for task in tasks {
        let (c, g, p) = task.await.unwrap();
        confirmed += c;
        gets.extend(g);
        posts.extend(p);
    }
    let drain = t.elapsed();
    gets.sort();
    posts.sort();
    state.audit.flush().await;
    let counts = store.counts().await.unwrap();
    println!(
        "drained {confirmed} applications with {} concurrent mutual-TLS clients in {:.1?} ({:.0} applications/s); {} requests",
        a.councils,
        drain,
        confirmed as f64 / drain.as_secs_f64(),
        gets.len() + posts.len()
    );
    println!(
        "  GET a page of 200: p50 {:.1?}, p99 {:.1?}; POST 200 receipts: p50 {:.1?}, p99 {:.1?}",
        percentile(&gets, 0.5),
        percentile(&gets, 0.99),
        percentile(&posts, 0.5),
        percentile(&posts, 0.99)
    );
    println!(
        "  stages after: {:?}; peak RSS of this process (server and clients) {:.0} MB",
        counts.by_stage,
        peak_rss_mb()
    );
    assert_eq!(confirmed, a.applications, "every application drained exactly once");
    if let Some((url, name)) = schema {
        let admin = sqlx::PgPool::connect(&url).await.unwrap();
        let _ = sqlx::query(&format!("DROP SCHEMA {name} CASCADE")).execute(&admin).await;
    }
}
