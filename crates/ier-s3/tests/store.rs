//! The S3 file store against a real S3-compatible server (moto's, from PyPI: the test
//! command installs it and names it in `IER_TEST_S3_SERVER`), held to the same contract
//! as the directory the embedded service uses; and its listing read page by page.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ier_s3::{S3Config, S3FileStore};
use ier_storage::evidence::{DirFileStore, FileId, FileStore};

struct Server {
    child: Child,
    endpoint: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The S3-compatible server, started on a free port; `None` (the test is skipped) when
/// there is none here, unless `IER_REQUIRE_S3` says CI must have one.
async fn server() -> Option<Server> {
    let Some(program) = std::env::var_os("IER_TEST_S3_SERVER") else {
        assert!(std::env::var_os("IER_REQUIRE_S3").is_none(), "IER_REQUIRE_S3 is set but IER_TEST_S3_SERVER is not");
        eprintln!("note: IER_TEST_S3_SERVER is not set (the path of moto_server): the S3 store tests are skipped");
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(program)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting the S3 server");
    let server = Server { child, endpoint: format!("http://127.0.0.1:{port}") };
    for _ in 0..300 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return Some(server);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the S3 server did not start listening");
}

fn config(s: &Server, bucket: &str, prefix: &str) -> S3Config {
    S3Config {
        endpoint: s.endpoint.clone(),
        bucket: bucket.into(),
        region: "eu-west-2".into(),
        access_key: "test-access-key".into(),
        secret_key: "test-secret-key".into(),
        prefix: prefix.into(),
        path_style: true,
    }
}

#[tokio::test]
async fn the_directory_store_keeps_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    ier_storage::contract::file_store_keeps_bytes_by_name(&DirFileStore::new(dir.path()).unwrap()).await;
}

#[tokio::test]
async fn the_s3_store_keeps_the_same_contract_on_a_real_server() {
    let Some(s) = server().await else { return };
    let store = S3FileStore::new(&config(&s, "ier-evidence", "evidence/")).unwrap();
    store.create_bucket().await.unwrap();
    ier_storage::contract::file_store_keeps_bytes_by_name(&store).await;

    // Two services may share a bucket under their own prefixes: neither lists the other's files.
    let other = S3FileStore::new(&config(&s, "ier-evidence", "other/")).unwrap();
    let (mine, theirs) = (FileId::generate(), FileId::generate());
    store.put(mine.as_str(), b"mine".to_vec()).await.unwrap();
    other.put(theirs.as_str(), b"theirs".to_vec()).await.unwrap();
    let listed: Vec<String> = store.list().await.unwrap().into_iter().map(|(n, _)| n).collect();
    assert_eq!(listed, vec![mine.as_str().to_owned()]);
    assert_eq!(store.get(theirs.as_str()).await.unwrap(), None);

    // A listing longer than a page is read to its end.
    let paged = S3FileStore::new(&config(&s, "ier-evidence", "paged/")).unwrap().with_list_page(7);
    let mut names: Vec<String> = (0..23).map(|_| FileId::generate().as_str().to_owned()).collect();
    for n in &names {
        paged.put(n, vec![1, 2, 3]).await.unwrap();
    }
    let mut listed: Vec<String> = paged.list().await.unwrap().into_iter().map(|(n, _)| n).collect();
    listed.sort();
    names.sort();
    assert_eq!(listed, names);

    // A wrong bucket or a server that is not there is an error, never "no file".
    let missing = S3FileStore::new(&config(&s, "no-such-bucket", "")).unwrap();
    assert!(missing.put(mine.as_str(), vec![1]).await.is_err());
    let gone = S3FileStore::new(&S3Config { endpoint: "http://127.0.0.1:9".into(), ..config(&s, "b", "") }).unwrap();
    assert!(gone.get(mine.as_str()).await.is_err());
}

#[test]
fn a_configuration_that_cannot_work_is_refused_without_its_secrets() {
    let good = S3Config {
        endpoint: "https://s3.eu-west-2.amazonaws.com".into(),
        bucket: "ier-evidence".into(),
        region: "eu-west-2".into(),
        access_key: "AKIAEXAMPLE".into(),
        secret_key: "very-secret".into(),
        prefix: "evidence/".into(),
        path_style: false,
    };
    assert!(S3FileStore::new(&good).is_ok());
    for bad in [
        S3Config { endpoint: "ftp://example.com".into(), ..good.clone() },
        S3Config { endpoint: "not a url".into(), ..good.clone() },
        S3Config { secret_key: String::new(), ..good.clone() },
    ] {
        let e = S3FileStore::new(&bad).err().unwrap().to_string();
        assert!(!e.contains("very-secret") && !e.contains("AKIAEXAMPLE"), "{e}");
    }
    assert!(!format!("{good:?}").contains("very-secret"));
}
