//! Real TLS handshakes over 127.0.0.1 against the EMS listener: who gets through to a handler,
//! who is refused, with which alert, and that a refused client never reaches the handler.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chrono::{Duration, Utc};
use ier_domain::EroId;
use ier_pki::rcgen::{CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, KeyPair};
use ier_pki::rustls::{AlertDescription, ClientConfig};
use ier_pki::{
    Caller, CertificateAuthority, EmsServer, IpAllowList, IssuedCertificate, Reason, ServerCertificate, ServerIdentity,
    ServerTls, TrustConfig, Validity, client_config, client_config_without_certificate, revoke,
};
use secrecy::{ExposeSecret, SecretString};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::ServerName;

/// A PKI directory with our CA and a server certificate.
struct Pki {
    dir: TempDir,
    ca: CertificateAuthority,
    server: ServerCertificate,
}

impl Pki {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let ca = CertificateAuthority::create(dir.path(), "IER test EMS CA", Utc::now()).unwrap();
        let server = ca.issue_server(&[], Validity::days_from(Utc::now(), 30)).unwrap();
        Self { dir, ca, server }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn identity(&self) -> ServerIdentity {
        ServerIdentity::from_pem(&self.server.cert_pem, &self.server.key_pem).unwrap()
    }

    fn issue(&self, ero: &str) -> IssuedCertificate {
        self.ca.issue_ero(&ero_id(ero), Validity::days_from(Utc::now(), 30)).unwrap()
    }

    fn client(&self, cert: &IssuedCertificate) -> ClientConfig {
        client_config(&cert.cert_pem, cert.key_pem.expose_secret(), self.ca.cert_pem()).unwrap()
    }

    /// Serves from the directory (reloading on change).
    async fn serve(&self, allow: IpAllowList) -> Running {
        Running::start(ServerTls::from_dir(self.identity(), self.path()).unwrap(), allow).await
    }
}

fn ero_id(s: &str) -> EroId {
    EroId::parse(s).unwrap()
}

struct Running {
    addr: SocketAddr,
    calls: Arc<AtomicUsize>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    async fn start(tls: Arc<ServerTls>, allow: IpAllowList) -> Self {
        let calls = Arc::new(AtomicUsize::new(0));
        let router = Router::new().route("/whoami", get(whoami)).with_state(calls.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = EmsServer::new(tls).allow_list(allow);
        let task = tokio::spawn(async move {
            server
                .serve_with_shutdown(listener, router, async {
                    let _ = stopped.await;
                })
                .await
        });
        Self { addr, calls, stop: Some(stop), task }
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(std::time::Duration::from_secs(5), self.task).await.unwrap().unwrap();
    }
}

async fn whoami(State(calls): State<Arc<AtomicUsize>>, caller: Caller) -> String {
    calls.fetch_add(1, Ordering::SeqCst);
    format!("{} {}", caller.ero, caller.serial)
}

#[derive(Debug, PartialEq)]
enum Outcome {
    /// An HTTP answer: status and body.
    Answered(u16, String),
    /// The server refused the TLS handshake with this alert.
    Alert(AlertDescription),
    /// Anything else (should not happen).
    Failed(String),
}

/// One `GET /whoami` over a fresh connection.
async fn call(addr: SocketAddr, config: ClientConfig) -> Outcome {
    let refused = |e: std::io::Error| match e.get_ref().and_then(|i| i.downcast_ref::<ier_pki::rustls::Error>()) {
        Some(ier_pki::rustls::Error::AlertReceived(alert)) => Outcome::Alert(*alert),
        _ => Outcome::Failed(format!("{e:?}")),
    };
    let tcp = TcpStream::connect(addr).await.unwrap();
    let connector = TlsConnector::from(Arc::new(config));
    let mut tls = match connector.connect(ServerName::try_from("localhost").unwrap(), tcp).await {
        Ok(tls) => tls,
        Err(e) => return refused(e),
    };
    let request = "GET /whoami HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    if let Err(e) = tls.write_all(request.as_bytes()).await {
        return refused(e);
    }
    let mut response = Vec::new();
    if let Err(e) = tls.read_to_end(&mut response).await {
        return refused(e);
    }
    let text = String::from_utf8(response).unwrap();
    let status = text.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    Outcome::Answered(status, body)
}

#[tokio::test]
async fn a_valid_ero_certificate_reaches_the_handler_with_its_identity() {
    let pki = Pki::new();
    let cert = pki.issue("cardiff");
    let server = pki.serve(IpAllowList::new()).await;
    let outcome = call(server.addr, pki.client(&cert)).await;
    assert_eq!(outcome, Outcome::Answered(200, format!("cardiff {}", cert.serial)));
    assert_eq!(server.calls(), 1);
    server.stop().await;
}

#[tokio::test]
async fn two_eros_each_see_their_own_identity() {
    let pki = Pki::new();
    let cardiff = pki.issue("cardiff");
    let glasgow = pki.issue("glasgow-vjb");
    let server = pki.serve(IpAllowList::new()).await;
    for _ in 0..2 {
        let a = call(server.addr, pki.client(&cardiff)).await;
        let b = call(server.addr, pki.client(&glasgow)).await;
        assert_eq!(a, Outcome::Answered(200, format!("cardiff {}", cardiff.serial)));
        assert_eq!(b, Outcome::Answered(200, format!("glasgow-vjb {}", glasgow.serial)));
    }
    assert_ne!(cardiff.serial, glasgow.serial);
    assert_eq!(server.calls(), 4);
    server.stop().await;
}

#[tokio::test]
async fn no_client_certificate_is_refused_at_the_handshake() {
    let pki = Pki::new();
    let server = pki.serve(IpAllowList::new()).await;
    let config = client_config_without_certificate(pki.ca.cert_pem()).unwrap();
    assert_eq!(call(server.addr, config).await, Outcome::Alert(AlertDescription::CertificateRequired));
    assert_eq!(server.calls(), 0);
    server.stop().await;
}

#[tokio::test]
async fn expired_and_not_yet_valid_certificates_are_refused() {
    let pki = Pki::new();
    let now = Utc::now();
    let cardiff = ero_id("cardiff");
    let expired =
        pki.ca.issue_ero(&cardiff, Validity::new(now - Duration::days(30), now - Duration::days(1)).unwrap()).unwrap();
    let future =
        pki.ca.issue_ero(&cardiff, Validity::new(now + Duration::days(1), now + Duration::days(30)).unwrap()).unwrap();
    let server = pki.serve(IpAllowList::new()).await;
    assert_eq!(call(server.addr, pki.client(&expired)).await, Outcome::Alert(AlertDescription::CertificateExpired));
    assert_eq!(call(server.addr, pki.client(&future)).await, Outcome::Alert(AlertDescription::CertificateExpired));
    assert_eq!(server.calls(), 0);
    server.stop().await;
}

#[tokio::test]
async fn a_revoked_certificate_is_refused_and_revoking_applies_to_the_next_connection() {
    let pki = Pki::new();
    let already = pki.issue("cardiff");
    let later = pki.issue("cardiff");
    let other = pki.issue("cardiff");
    assert!(revoke(pki.path(), already.serial.clone(), Reason::KeyCompromise, Utc::now()).unwrap());
    let server = pki.serve(IpAllowList::new()).await;
    assert_eq!(call(server.addr, pki.client(&already)).await, Outcome::Alert(AlertDescription::CertificateRevoked));
    assert!(matches!(call(server.addr, pki.client(&later)).await, Outcome::Answered(200, _)));

    // Revoked while the server runs (as `ier ero cert revoke` in another process would).
    assert!(revoke(pki.path(), later.serial.clone(), Reason::Superseded, Utc::now()).unwrap());
    assert!(!revoke(pki.path(), later.serial.clone(), Reason::Superseded, Utc::now()).unwrap());
    assert_eq!(call(server.addr, pki.client(&later)).await, Outcome::Alert(AlertDescription::CertificateRevoked));
    // Only the revoked serials are affected.
    assert!(matches!(call(server.addr, pki.client(&other)).await, Outcome::Answered(200, _)));
    assert_eq!(server.calls(), 2);
    server.stop().await;
}

#[tokio::test]
async fn the_published_crl_alone_revokes() {
    // A trust built only from the CA certificate and its CRL (as for an external CA that
    // publishes CRLs), without the revocation register.
    let pki = Pki::new();
    let revoked = pki.issue("cardiff");
    let fine = pki.issue("cardiff");
    revoke(pki.path(), revoked.serial.clone(), Reason::KeyCompromise, Utc::now()).unwrap();
    let crl = std::fs::read_to_string(pki.path().join("crls/ier-ca.crl.pem")).unwrap();
    let mut trust = TrustConfig::new();
    trust.add_ca_pem(pki.ca.cert_pem(), "ca").unwrap().add_crl_pem(&crl, "crl").unwrap();
    let server = Running::start(ServerTls::new(pki.identity(), trust).unwrap(), IpAllowList::new()).await;
    assert_eq!(call(server.addr, pki.client(&revoked)).await, Outcome::Alert(AlertDescription::CertificateRevoked));
    assert!(matches!(call(server.addr, pki.client(&fine)).await, Outcome::Answered(200, _)));
    server.stop().await;
}

#[tokio::test]
async fn tls_1_2_clients_are_refused_the_same_way() {
    use ier_pki::rustls::version::TLS12;
    let pki = Pki::new();
    let cert = pki.issue("cardiff");
    revoke(pki.path(), cert.serial.clone(), Reason::Unspecified, Utc::now()).unwrap();
    let tls12 = |cert: Option<&IssuedCertificate>| {
        let mut roots = ier_pki::rustls::RootCertStore::empty();
        roots.add_parsable_certificates(ier_pki::pem::certificates(pki.ca.cert_pem(), "ca").unwrap());
        let builder = ClientConfig::builder_with_provider(Arc::new(ier_pki::rustls::crypto::ring::default_provider()))
            .with_protocol_versions(&[&TLS12])
            .unwrap()
            .with_root_certificates(roots);
        match cert {
            Some(c) => builder
                .with_client_auth_cert(
                    ier_pki::pem::certificates(&c.cert_pem, "c").unwrap(),
                    ier_pki::pem::private_key(c.key_pem.expose_secret(), "k").unwrap(),
                )
                .unwrap(),
            None => builder.with_no_client_auth(),
        }
    };
    let fine = pki.issue("cardiff");
    let server = pki.serve(IpAllowList::new()).await;
    assert_eq!(call(server.addr, tls12(Some(&cert))).await, Outcome::Alert(AlertDescription::CertificateRevoked));
    assert_eq!(call(server.addr, tls12(None)).await, Outcome::Alert(AlertDescription::CertificateRequired));
    assert!(matches!(call(server.addr, tls12(Some(&fine))).await, Outcome::Answered(200, _)));
    assert_eq!(server.calls(), 1);
    server.stop().await;
}

#[tokio::test]
async fn a_certificate_from_another_ca_is_refused() {
    let pki = Pki::new();
    let now = Utc::now();
    let server = pki.serve(IpAllowList::new()).await;
    // The client trusts our server; its certificate comes from another CA.
    let other = CertificateAuthority::generate("Some other CA", Validity::days_from(now, 30)).unwrap();
    let cert = other.issue_ero(&ero_id("cardiff"), Validity::days_from(now, 30)).unwrap();
    let config = client_config(&cert.cert_pem, cert.key_pem.expose_secret(), pki.ca.cert_pem()).unwrap();
    assert_eq!(call(server.addr, config).await, Outcome::Alert(AlertDescription::UnknownCA));
    // An impostor CA with our CA's very name: the signature does not verify (decrypt_error).
    let impostor = CertificateAuthority::generate("IER test EMS CA", Validity::days_from(now, 30)).unwrap();
    let cert = impostor.issue_ero(&ero_id("cardiff"), Validity::days_from(now, 30)).unwrap();
    let config = client_config(&cert.cert_pem, cert.key_pem.expose_secret(), pki.ca.cert_pem()).unwrap();
    assert_eq!(call(server.addr, config).await, Outcome::Alert(AlertDescription::DecryptError));
    assert_eq!(server.calls(), 0);
    server.stop().await;
}

#[tokio::test]
async fn a_valid_chain_without_an_ero_identity_is_refused() {
    let pki = Pki::new();
    let server = pki.serve(IpAllowList::new()).await;
    let make = |uris: Vec<&str>| {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, "cardiff");
        params.distinguished_name = dn;
        params.subject_alt_names =
            uris.into_iter().map(|u| ier_pki::rcgen::SanType::URI(u.try_into().unwrap())).collect();
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.not_before = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
        params.not_after = time::OffsetDateTime::now_utc() + time::Duration::days(1);
        let cert_pem = pki.ca.sign(params, &key).unwrap();
        client_config(&cert_pem, &key.serialize_pem(), pki.ca.cert_pem()).unwrap()
    };
    // A common name is not an identity; nor is a malformed or ambiguous ERO URI.
    for uris in [
        vec![],
        vec!["https://cardiff.gov.uk"],
        vec!["urn:ier:ero:Cardiff"],
        vec!["urn:ier:ero:cardiff", "urn:ier:ero:newport"],
    ] {
        assert_eq!(call(server.addr, make(uris)).await, Outcome::Alert(AlertDescription::AccessDenied));
    }
    // The server's own certificate is not for client authentication.
    let as_client = client_config(&pki.server.cert_pem, pki.server.key_pem.expose_secret(), pki.ca.cert_pem()).unwrap();
    assert_eq!(call(server.addr, as_client).await, Outcome::Alert(AlertDescription::UnsupportedCertificate));
    assert_eq!(server.calls(), 0);
    server.stop().await;
}

#[tokio::test]
async fn a_registered_serial_identifies_an_external_certificate_without_the_uri() {
    let pki = Pki::new();
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params.serial_number = Some(ier_pki::rcgen::SerialNumber::from_slice(&[0x12, 0x34, 0x56]));
    params.not_before = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
    let cert_pem = pki.ca.sign(params, &key).unwrap();
    std::fs::write(pki.path().join("serials.txt"), "# serial ero\n12:34:56 newport\n").unwrap();
    let server = pki.serve(IpAllowList::new()).await;
    let config = client_config(&cert_pem, &key.serialize_pem(), pki.ca.cert_pem()).unwrap();
    assert_eq!(call(server.addr, config).await, Outcome::Answered(200, "newport 123456".into()));
    server.stop().await;
}

#[tokio::test]
async fn the_ip_allow_list_admits_listed_addresses_and_refuses_others_before_the_handler() {
    let pki = Pki::new();
    let cardiff = pki.issue("cardiff");
    let glasgow = pki.issue("glasgow-vjb");
    let newport = pki.issue("newport");
    let mut allow = IpAllowList::new();
    allow.allow(ero_id("cardiff"), ["10.0.0.0/8".parse().unwrap()]);
    allow.allow(ero_id("glasgow-vjb"), ["192.0.2.0/24".parse().unwrap(), "127.0.0.0/8".parse().unwrap()]);
    let server = pki.serve(allow).await;
    match call(server.addr, pki.client(&cardiff)).await {
        Outcome::Answered(403, body) => assert!(body.contains("may not be used from this IP address"), "{body}"),
        other => panic!("expected 403, got {other:?}"),
    }
    assert_eq!(
        call(server.addr, pki.client(&glasgow)).await,
        Outcome::Answered(200, format!("glasgow-vjb {}", glasgow.serial))
    );
    // An ERO without a list is unrestricted.
    assert!(matches!(call(server.addr, pki.client(&newport)).await, Outcome::Answered(200, _)));
    assert_eq!(server.calls(), 2);
    server.stop().await;
}

#[tokio::test]
async fn the_caller_extractor_fails_closed_outside_the_listener() {
    use tower::ServiceExt;
    let calls = Arc::new(AtomicUsize::new(0));
    let router = Router::new().route("/whoami", get(whoami)).with_state(calls.clone());
    let request = http::Request::get("/whoami").body(axum::body::Body::empty()).unwrap();
    let response = router.oneshot(request).await.unwrap();
    assert_eq!(response.status(), http::StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn broken_trust_files_refuse_everyone_until_fixed() {
    let pki = Pki::new();
    let cert = pki.issue("cardiff");
    let server = pki.serve(IpAllowList::new()).await;
    let revoked = pki.path().join("revoked.txt");
    std::fs::write(&revoked, "not-a-serial 2025\n").unwrap();
    assert!(matches!(call(server.addr, pki.client(&cert)).await, Outcome::Failed(_)));
    std::fs::write(&revoked, "# nothing revoked\n").unwrap();
    assert!(matches!(call(server.addr, pki.client(&cert)).await, Outcome::Answered(200, _)));
    server.stop().await;
}

#[test]
fn the_ca_round_trips_through_its_directory_with_a_private_key_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let ca = CertificateAuthority::create(dir.path(), ier_pki::DEFAULT_CA_NAME, Utc::now()).unwrap();
    let key_path = dir.path().join("ca.key");
    assert_eq!(std::fs::metadata(&key_path).unwrap().permissions().mode() & 0o777, 0o600);
    assert!(dir.path().join("crls/ier-ca.crl.pem").exists());

    let loaded = CertificateAuthority::load(dir.path()).unwrap();
    assert_eq!(loaded.cert_pem(), ca.cert_pem());
    // A certificate from the loaded CA verifies against the saved ca.pem.
    let cert = loaded.issue_ero(&ero_id("cardiff"), Validity::days_from(Utc::now(), 1)).unwrap();
    let server = ca.issue_server(&["ems.example".into()], Validity::days_from(Utc::now(), 1)).unwrap();
    let trust = TrustConfig::load_dir(dir.path()).unwrap();
    let tls = ServerTls::new(ServerIdentity::from_pem(&server.cert_pem, &server.key_pem).unwrap(), trust).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let running = Running::start(tls, IpAllowList::new()).await;
        let config = client_config(&cert.cert_pem, cert.key_pem.expose_secret(), ca.cert_pem()).unwrap();
        assert_eq!(call(running.addr, config).await, Outcome::Answered(200, format!("cardiff {}", cert.serial)));
        running.stop().await;
    });

    // Never overwritten; refused when others can read the key; refused with a foreign key.
    assert!(matches!(
        CertificateAuthority::create(dir.path(), "again", Utc::now()),
        Err(ier_pki::PkiError::CaExists(_))
    ));
    std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = CertificateAuthority::load(dir.path()).unwrap_err();
    assert!(matches!(err, ier_pki::PkiError::KeyFileTooOpen { mode: 0o644, .. }), "{err}");
    let other = KeyPair::generate().unwrap();
    let err = CertificateAuthority::from_pem(ca.cert_pem(), SecretString::from(other.serialize_pem())).unwrap_err();
    assert!(matches!(err, ier_pki::PkiError::KeyMismatch), "{err}");

    // Issued keys are written 0600 and never overwritten.
    cert.write_files(dir.path(), "cardiff").unwrap();
    assert_eq!(std::fs::metadata(dir.path().join("cardiff.key")).unwrap().permissions().mode() & 0o777, 0o600);
    assert!(cert.write_files(dir.path(), "cardiff").is_err());
}

#[test]
fn a_directory_without_a_ca_is_refused_specifically() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(TrustConfig::load_dir(dir.path()), Err(ier_pki::PkiError::NoTrustedCa)));
    assert!(matches!(CertificateAuthority::load(dir.path()), Err(ier_pki::PkiError::NoCa(_))));
    // An end-entity certificate is not a CA.
    let ca = CertificateAuthority::generate("x", Validity::days_from(Utc::now(), 1)).unwrap();
    let leaf = ca.issue_ero(&ero_id("cardiff"), Validity::days_from(Utc::now(), 1)).unwrap();
    let mut trust = TrustConfig::new();
    assert!(matches!(trust.add_ca_pem(&leaf.cert_pem, "leaf.pem"), Err(ier_pki::PkiError::NotACa { .. })));
}

/// What the listener logs on one test's thread.
///
/// Captured by one process-wide subscriber, not a thread-scoped one (`set_default`): tracing
/// caches whether a log call site is enabled process-wide, the first time any thread reaches
/// it, and while a thread-scoped subscriber is the only one in the process, tracing-core asks
/// only the subscriber of the thread that got there first. So a call site first reached by
/// another test's thread, which has none, was cached as disabled for every thread, and this
/// test lost that line: the listener's "EMS handshake refused", which every test refused at
/// the handshake reaches (it failed about one run in six once more such tests ran beside it).
/// With one global subscriber every thread gives the same answer; it writes each event to the
/// buffer of the thread that logged it, if that thread is capturing.
#[derive(Clone, Default)]
struct Logs(Arc<std::sync::Mutex<Vec<u8>>>);

thread_local! {
    static CAPTURING: std::cell::RefCell<Option<Logs>> = const { std::cell::RefCell::new(None) };
}

impl Logs {
    /// Captures, from now on, what this thread logs at `info` and above.
    fn capture() -> Self {
        static INSTALL: std::sync::Once = std::sync::Once::new();
        INSTALL.call_once(|| {
            let subscriber = tracing_subscriber::fmt()
                .with_writer(|| ThreadWriter)
                .with_ansi(false)
                .with_max_level(tracing::Level::INFO)
                .finish();
            tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber in this binary");
        });
        let logs = Self::default();
        CAPTURING.with(|c| *c.borrow_mut() = Some(logs.clone()));
        logs
    }

    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

/// Writes to the capturing buffer of the thread it is called on, or nowhere.
struct ThreadWriter;

impl std::io::Write for ThreadWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        CAPTURING.with(|c| {
            if let Some(logs) = &*c.borrow() {
                logs.0.lock().unwrap().extend_from_slice(buf);
            }
        });
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test] // current-thread: the listener's tasks run on this thread, so their logs are captured
async fn each_refusal_is_logged_with_its_reason_and_the_peer_address_only() {
    let logs = Logs::capture();

    let pki = Pki::new();
    let now = Utc::now();
    let cardiff = ero_id("cardiff");
    let expired =
        pki.ca.issue_ero(&cardiff, Validity::new(now - Duration::days(30), now - Duration::days(1)).unwrap()).unwrap();
    let revoked = pki.issue("cardiff");
    revoke(pki.path(), revoked.serial.clone(), Reason::KeyCompromise, now).unwrap();
    let other = CertificateAuthority::generate("Some other CA", Validity::days_from(now, 30)).unwrap();
    let foreign = other.issue_ero(&cardiff, Validity::days_from(now, 30)).unwrap();
    let newport = pki.issue("newport");
    let mut allow = IpAllowList::new();
    allow.allow(ero_id("newport"), ["10.0.0.0/8".parse().unwrap()]);
    let server = pki.serve(allow).await;

    call(server.addr, client_config_without_certificate(pki.ca.cert_pem()).unwrap()).await;
    call(server.addr, pki.client(&expired)).await;
    call(server.addr, pki.client(&revoked)).await;
    call(server.addr, client_config(&foreign.cert_pem, foreign.key_pem.expose_secret(), pki.ca.cert_pem()).unwrap())
        .await;
    call(server.addr, pki.client(&newport)).await;
    server.stop().await;

    let text = logs.text();
    for reason in [
        "reason=no client certificate",
        "reason=client certificate expired",
        "reason=client certificate revoked",
        "reason=client certificate from an unknown CA",
        "address not in the ERO's IP allow-list",
    ] {
        let line = text.lines().find(|l| l.contains(reason)).unwrap_or_else(|| panic!("no `{reason}` in:\n{text}"));
        assert!(line.contains("peer=127.0.0.1"), "{line}");
    }
    assert!(text.contains(&format!("serial={}", newport.serial)), "{text}");
    for secret in ["BEGIN", "IER EMS", "urn:ier", "CN="] {
        assert!(!text.contains(secret), "the log shows `{secret}`:\n{text}");
    }
}

#[tokio::test]
async fn a_client_trickling_its_request_head_is_cut_off_at_the_header_timeout() {
    let pki = Pki::new();
    let cert = pki.issue("cardiff");
    let tls = ServerTls::from_dir(pki.identity(), pki.path()).unwrap();
    let router = Router::new().route("/whoami", get(whoami)).with_state(Arc::new(AtomicUsize::new(0)));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = EmsServer::new(tls).header_timeout(std::time::Duration::from_millis(300));
    tokio::spawn(server.serve(listener, router));
    let tcp = TcpStream::connect(addr).await.unwrap();
    let connector = TlsConnector::from(Arc::new(pki.client(&cert)));
    let tls = connector.connect(ServerName::try_from("localhost").unwrap(), tcp).await.unwrap();
    let (mut reader, mut writer) = tokio::io::split(tls);
    // A head a byte every 50 ms would take 2.5 s; the listener gives it 0.3 s.
    tokio::spawn(async move {
        for b in b"GET /whoami HTTP/1.1\r\nHost: localhost\r\nX-Slow: aaaaaaaaaa" {
            if writer.write_all(&[*b]).await.is_err() || writer.flush().await.is_err() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    });
    let started = std::time::Instant::now();
    let mut buf = Vec::new();
    let end = tokio::time::timeout(std::time::Duration::from_secs(3), reader.read_to_end(&mut buf)).await;
    assert!(end.is_ok(), "still open after 3 s");
    assert!(buf.is_empty(), "answered: {}", String::from_utf8_lossy(&buf));
    assert!(started.elapsed() < std::time::Duration::from_secs(2), "closed only after {:?}", started.elapsed());
}
