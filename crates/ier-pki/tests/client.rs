//! The EMS client's patience, against local listeners that misbehave: one that
//! accepts and never answers (the deadlines fire), one that answers 503 then 200
//! (the retry works, after `Retry-After`), one that refuses connections (a few
//! attempts, then a clear error), and which requests are never retried.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use ier_domain::EroId;
use ier_pki::rustls::ServerConfig;
use ier_pki::{CertificateAuthority, HttpsClient, HttpsError, Retry, Timeouts, Validity, client_config};
use secrecy::ExposeSecret;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

struct Pki {
    ca: CertificateAuthority,
    server: ServerConfig,
}

impl Pki {
    fn new() -> Self {
        let now = Utc::now();
        let ca = CertificateAuthority::generate("IER client test CA", Validity::days_from(now, 30)).unwrap();
        let cert = ca.issue_server(&[], Validity::days_from(now, 30)).unwrap();
        let chain = ier_pki::pem::certificates(&cert.cert_pem, "server").unwrap();
        let key = ier_pki::pem::private_key(cert.key_pem.expose_secret(), "server key").unwrap();
        let mut server =
            ServerConfig::builder_with_provider(Arc::new(ier_pki::rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(chain, key)
                .unwrap();
        server.alpn_protocols = vec![b"http/1.1".to_vec()];
        Self { ca, server }
    }

    fn client(&self, addr: SocketAddr) -> HttpsClient {
        let ero = self.ca.issue_ero(&EroId::parse("cardiff").unwrap(), Validity::days_from(Utc::now(), 30)).unwrap();
        let config = client_config(&ero.cert_pem, ero.key_pem.expose_secret(), self.ca.cert_pem()).unwrap();
        HttpsClient::new(&format!("https://{addr}"), config).unwrap()
    }
}

/// A TLS server answering each request (one a connection) with the next of
/// `answers` (status, extra header lines), and the last one after that;
/// `None` for "read the request, never answer". Counts the requests.
async fn serve(pki: &Pki, answers: Vec<Option<(u16, &'static str)>>) -> (SocketAddr, Arc<Mutex<u32>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(pki.server.clone()));
    let seen = Arc::new(Mutex::new(0u32));
    let count = seen.clone();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let Ok(mut tls) = acceptor.accept(tcp).await else { continue };
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match tls.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let n = {
                let mut c = count.lock().unwrap();
                *c += 1;
                *c as usize
            };
            let answer = answers.get(n - 1).or(answers.last()).copied().flatten();
            match answer {
                None => {
                    tokio::spawn(async move {
                        tokio::time::sleep(Duration::from_secs(30)).await;
                        drop(tls);
                    });
                }
                Some((status, extra)) => {
                    let body = format!("{{\"status\":{status}}}");
                    let res = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n{extra}\r\n{body}",
                        body.len()
                    );
                    let _ = tls.write_all(res.as_bytes()).await;
                    let _ = tls.shutdown().await;
                }
            }
        }
    });
    (addr, seen)
}

fn quick(attempts: u32) -> Retry {
    Retry { attempts, base: Duration::from_millis(20), max_delay: Duration::from_secs(2) }
}

fn recorder() -> (ier_pki::Progress, Arc<Mutex<Vec<String>>>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let l = lines.clone();
    (Arc::new(move |s: &str| l.lock().unwrap().push(s.to_owned())), lines)
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_and_is_tried_a_bounded_number_of_times() {
    let pki = Pki::new();
    let (addr, seen) = serve(&pki, vec![None]).await;
    let timeouts = Timeouts { connect: Duration::from_secs(5), request: Duration::from_millis(300) };
    let mut client = pki.client(addr).with_timeouts(timeouts).with_retry(quick(2));
    let started = Instant::now();
    let err = client.call("GET", "/v1/applications", None).await.unwrap_err();
    assert!(
        matches!(&err, HttpsError::GaveUp { attempts: 2, last } if matches!(**last, HttpsError::RequestTimeout(_))),
        "{err}"
    );
    assert!(err.to_string().contains("gave up after 2 attempts: no complete answer within"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(3), "the read deadline fired: {:?}", started.elapsed());
    assert_eq!(*seen.lock().unwrap(), 2);
}

#[tokio::test]
async fn a_listener_that_accepts_and_never_speaks_tls_times_out_connecting() {
    let pki = Pki::new();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            open.push(tcp);
        }
    });
    let timeouts = Timeouts { connect: Duration::from_millis(300), request: Duration::from_secs(5) };
    let mut client = pki.client(addr).with_timeouts(timeouts).with_retry(Retry::none());
    let started = Instant::now();
    let err = client.call("GET", "/v1/applications", None).await.unwrap_err();
    assert!(
        matches!(&err, HttpsError::GaveUp { last, .. } if matches!(**last, HttpsError::ConnectTimeout(..))),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    held.abort();
}

#[tokio::test]
async fn a_503_then_a_200_is_retried_after_retry_after() {
    let pki = Pki::new();
    let (addr, seen) = serve(&pki, vec![Some((503, "retry-after: 1\r\n")), Some((200, ""))]).await;
    let (progress, lines) = recorder();
    let mut client = pki.client(addr).with_retry(quick(3)).with_progress(progress);
    let started = Instant::now();
    let (status, body) = client.call("PUT", "/v1/applications/B7K2M9QXTR/receipt", Some(b"{}".to_vec())).await.unwrap();
    assert_eq!((status, &body[..]), (200, &b"{\"status\":200}"[..]));
    assert!(started.elapsed() >= Duration::from_secs(1), "Retry-After honoured: {:?}", started.elapsed());
    assert_eq!(*seen.lock().unwrap(), 2);
    let lines = lines.lock().unwrap();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("PUT /v1/applications/{}/receipt: answered 503; trying again in 1.0 s (attempt 2 of 3)"),
        "{lines:?}"
    );
    assert!(!lines[0].contains("B7K2M9QXTR"), "no identifiers in progress messages");
}

#[tokio::test]
async fn a_refused_connection_is_tried_a_few_times_then_reported() {
    let pki = Pki::new();
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let (progress, lines) = recorder();
    let mut client = pki.client(addr).with_retry(quick(3)).with_progress(progress);
    let err = client.call("GET", "/v1/applications", None).await.unwrap_err();
    assert!(
        matches!(&err, HttpsError::GaveUp { attempts: 3, last } if matches!(**last, HttpsError::Connect(..))),
        "{err}"
    );
    assert_eq!(lines.lock().unwrap().len(), 2, "a line before each retry");
    // Even a POST may be sent again when it never left.
    let err = client.call("POST", "/v1/receipts", Some(b"{}".to_vec())).await.unwrap_err();
    assert!(matches!(err, HttpsError::GaveUp { attempts: 3, .. }), "{err}");
}

#[tokio::test]
async fn client_errors_and_posts_that_reached_the_server_are_not_retried() {
    let pki = Pki::new();
    let (addr, seen) = serve(&pki, vec![Some((400, ""))]).await;
    let mut client = pki.client(addr).with_retry(quick(4));
    assert_eq!(client.call("GET", "/v1/applications", None).await.unwrap().0, 400);
    assert_eq!(*seen.lock().unwrap(), 1, "a 400 is final");

    let (addr, seen) = serve(&pki, vec![Some((503, ""))]).await;
    let mut client = pki.client(addr).with_retry(quick(4));
    assert_eq!(client.call("POST", "/v1/register/electors", Some(b"{}".to_vec())).await.unwrap().0, 503);
    assert_eq!(*seen.lock().unwrap(), 1, "a POST that is not idempotent is sent once");
    assert_eq!(client.call_idempotent("POST", "/v1/receipts", Some(b"{}".to_vec())).await.unwrap().0, 503);
    assert_eq!(*seen.lock().unwrap(), 5, "an idempotent POST is retried; after the last attempt its answer is given");

    let (addr, seen) = serve(&pki, vec![Some((429, "retry-after: 0\r\n")), Some((408, "")), Some((204, ""))]).await;
    let mut client = pki.client(addr).with_retry(quick(4));
    assert_eq!(client.call("GET", "/v1/ero", None).await.unwrap().0, 204, "429 and 408 are retried");
    assert_eq!(*seen.lock().unwrap(), 3);
}

#[test]
fn backoff_doubles_with_jitter_up_to_its_ceiling_and_never_undercuts_retry_after() {
    let r = Retry { attempts: 10, base: Duration::from_millis(100), max_delay: Duration::from_secs(1) };
    for _ in 0..50 {
        let d1 = r.delay(1, None);
        assert!(d1 > Duration::from_millis(50) && d1 <= Duration::from_millis(100), "{d1:?}");
        let d3 = r.delay(3, None);
        assert!(d3 > Duration::from_millis(200) && d3 <= Duration::from_millis(400), "{d3:?}");
        assert!(r.delay(9, None) <= Duration::from_secs(1));
        assert_eq!(r.delay(1, Some(Duration::from_millis(700))), Duration::from_millis(700));
        assert_eq!(r.delay(1, Some(Duration::from_secs(3600))), Duration::from_secs(1), "capped");
    }
}
