//! Real TLS handshakes over 127.0.0.1 against the EMS listener: who gets through to a handler,
//! who is refused, with which alert, and that a refused client never reaches the handler.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chrono::{Duration, Utc};
use ier_domain::EroId;
use ier_pki::rcgen::{CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, KeyPair};
use ier_pki::register::{ISSUED_HEADER, SERIALS_HEADER};
use ier_pki::rustls::{AlertDescription, ClientConfig};
use ier_pki::{
    CaFingerprint, Caller, CertificateAuthority, EmsServer, IpAllowList, IssuedCertificate, IssuingCa, PkiError,
    Reason, Registration, Serial, ServerCertificate, ServerIdentity, ServerTls, TrustConfig, Validity, client_config,
    client_config_without_certificate, revoke,
};
use secrecy::{ExposeSecret, SecretString};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::ServerName;

/// The listener's PKI directory (`pki/`) and, apart from it, the issuer folder holding our CA
/// (`pki-issuer/`), as `ier ero` makes them; and a server certificate.
struct Pki {
    _root: TempDir,
    pki: PathBuf,
    ca: IssuingCa,
    server: ServerCertificate,
}

impl Pki {
    fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        let pki = root.path().join("pki");
        let ca = IssuingCa::open_or_create(&root.path().join("pki-issuer"), &pki, Utc::now()).unwrap();
        let server = ca.issue_server(&[], Validity::days_from(Utc::now(), 30)).unwrap();
        Self { _root: root, pki, ca, server }
    }

    fn path(&self) -> &Path {
        &self.pki
    }

    fn ca_pem(&self) -> &str {
        self.ca.ca().cert_pem()
    }

    fn identity(&self) -> ServerIdentity {
        ServerIdentity::from_pem(&self.server.cert_pem, &self.server.key_pem).unwrap()
    }

    /// A certificate for `ero`, issued and recorded in `issued.txt`.
    fn issue(&self, ero: &str) -> IssuedCertificate {
        self.ca.issue_ero(&ero_id(ero), Validity::days_from(Utc::now(), 30)).unwrap()
    }

    fn client(&self, cert: &IssuedCertificate) -> ClientConfig {
        client_config(&cert.cert_pem, cert.key_pem.expose_secret(), self.ca_pem()).unwrap()
    }

    /// Serves from the directory (reloading on change).
    async fn serve(&self, allow: IpAllowList) -> Running {
        Running::start(ServerTls::from_dir(self.identity(), self.path()).unwrap(), allow).await
    }
}

/// Signs `params` for a fresh key with `ca`, outside any register: a client configuration
/// presenting it (trusting `server_ca`) and the certificate's PEM.
fn signed(ca: &CertificateAuthority, params: CertificateParams, server_ca: &str) -> (ClientConfig, String) {
    let key = KeyPair::generate().unwrap();
    let cert_pem = ca.sign(params, &key).unwrap();
    (client_config(&cert_pem, &key.serialize_pem(), server_ca).unwrap(), cert_pem)
}

/// Client certificate parameters: clientAuth, valid now, these URI SANs and serial.
fn client_params(uris: &[&str], serial: Option<&[u8]>) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "cardiff");
    params.distinguished_name = dn;
    params.subject_alt_names = uris.iter().map(|u| ier_pki::rcgen::SanType::URI((*u).try_into().unwrap())).collect();
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params.serial_number = serial.map(ier_pki::rcgen::SerialNumber::from_slice);
    params.not_before = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
    params.not_after = time::OffsetDateTime::now_utc() + time::Duration::days(1);
    params
}

/// Writes a line to a register in `dir` (`issued.txt` or `serials.txt`).
fn register(dir: &Path, file: &str, issuer: CaFingerprint, serial: &str, ero: Option<&str>) {
    let header = if file == "issued.txt" { ISSUED_HEADER } else { SERIALS_HEADER };
    let registration =
        Registration { issuer, serial: Serial::parse(serial).unwrap(), ero: ero.map(ero_id), not_after: None };
    ier_pki::register::record(dir, file, header, registration).unwrap();
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
    let config = client_config_without_certificate(pki.ca_pem()).unwrap();
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
    // A trust built only from the CA certificate, its CRL (as for an external CA that
    // publishes CRLs) and the certificates it issued, without the revocation register. The
    // issuer signs the CRL again, in the listener's directory, when it revokes.
    let pki = Pki::new();
    let revoked = pki.issue("cardiff");
    let fine = pki.issue("cardiff");
    assert!(pki.ca.revoke(revoked.serial.clone(), Reason::KeyCompromise, Utc::now()).unwrap());
    let crl = std::fs::read_to_string(pki.path().join("crls/ier-ca.crl.pem")).unwrap();
    let mut trust = TrustConfig::new();
    trust.add_ca_pem(pki.ca_pem(), "ca").unwrap().add_crl_pem(&crl, "crl").unwrap();
    trust.register_issued(&revoked).register_issued(&fine);
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
        roots.add_parsable_certificates(ier_pki::pem::certificates(pki.ca_pem(), "ca").unwrap());
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
    let config = client_config(&cert.cert_pem, cert.key_pem.expose_secret(), pki.ca_pem()).unwrap();
    assert_eq!(call(server.addr, config).await, Outcome::Alert(AlertDescription::UnknownCA));
    // An impostor CA with our CA's very name: the signature does not verify (decrypt_error).
    let impostor = CertificateAuthority::generate(ier_pki::DEFAULT_CA_NAME, Validity::days_from(now, 30)).unwrap();
    let cert = impostor.issue_ero(&ero_id("cardiff"), Validity::days_from(now, 30)).unwrap();
    let config = client_config(&cert.cert_pem, cert.key_pem.expose_secret(), pki.ca_pem()).unwrap();
    assert_eq!(call(server.addr, config).await, Outcome::Alert(AlertDescription::DecryptError));
    assert_eq!(server.calls(), 0);
    server.stop().await;
}

#[tokio::test]
async fn a_valid_chain_without_an_ero_identity_is_refused() {
    let pki = Pki::new();
    let issuer = pki.ca.ca().fingerprint();
    // Each registered to cardiff (as if our CA had recorded it) unless it says otherwise.
    let cases: [(&[&str], Option<&str>, &str); 6] = [
        (&[], None, "a common name is not an identity"),
        (&["https://cardiff.gov.uk"], None, "nor is another URI"),
        (&["urn:ier:ero:cardiff"], None, "nor an ERO URI our CA never recorded issuing"),
        (&["urn:ier:ero:Cardiff"], Some("cardiff"), "a malformed ERO URI, registered or not"),
        (&["urn:ier:ero:cardiff", "urn:ier:ero:newport"], Some("cardiff"), "two EROs"),
        (&["urn:ier:ero:newport"], Some("cardiff"), "a URI that disagrees with the register"),
    ];
    let mut configs = Vec::new();
    for (i, (uris, registered, why)) in cases.iter().enumerate() {
        let serial = [0x10, u8::try_from(i).unwrap()];
        let (config, _) = signed(pki.ca.ca(), client_params(uris, Some(&serial)), pki.ca_pem());
        if let Some(ero) = registered {
            register(pki.path(), "issued.txt", issuer, &format!("10{i:02x}"), Some(ero));
        }
        configs.push((config, *why));
    }
    // The listener's own certificate is recorded as speaking for no ERO.
    let mut server_like = client_params(&["urn:ier:ero:cardiff"], None);
    server_like.serial_number = Some(ier_pki::rcgen::SerialNumber::from_slice(&pki.server.serial.to_bytes()));
    let key = KeyPair::generate().unwrap();
    let cert_pem = pki.ca.ca().sign(server_like, &key).unwrap();
    configs.push((
        client_config(&cert_pem, &key.serialize_pem(), pki.ca_pem()).unwrap(),
        "a serial registered for no ERO (the server certificate's)",
    ));
    let server = pki.serve(IpAllowList::new()).await;
    for (config, why) in configs {
        assert_eq!(call(server.addr, config).await, Outcome::Alert(AlertDescription::AccessDenied), "{why}");
    }
    // The server's own certificate is not for client authentication.
    let as_client = client_config(&pki.server.cert_pem, pki.server.key_pem.expose_secret(), pki.ca_pem()).unwrap();
    assert_eq!(call(server.addr, as_client).await, Outcome::Alert(AlertDescription::UnsupportedCertificate));
    assert_eq!(server.calls(), 0);
    server.stop().await;
}

#[tokio::test]
async fn a_valid_chain_whose_serial_is_not_in_the_issued_register_is_refused_until_registered() {
    let pki = Pki::new();
    // Signed by our CA's key, but not through the issuer that records (as a copy of the key
    // would sign): a perfect chain and an ERO URI, unknown to the register.
    let stray = pki.ca.ca().issue_ero(&ero_id("cardiff"), Validity::days_from(Utc::now(), 30)).unwrap();
    let server = pki.serve(IpAllowList::new()).await;
    assert_eq!(call(server.addr, pki.client(&stray)).await, Outcome::Alert(AlertDescription::AccessDenied));
    assert_eq!(server.calls(), 0);
    // Recorded (as `ier ero cert register` does), it is accepted from the next connection.
    let (registration, added) = pki.ca.register_existing(&stray.cert_pem, "stray.pem").unwrap();
    assert!(added);
    assert_eq!(
        (registration.serial.clone(), registration.ero.clone()),
        (stray.serial.clone(), Some(ero_id("cardiff")))
    );
    assert_eq!(
        call(server.addr, pki.client(&stray)).await,
        Outcome::Answered(200, format!("cardiff {}", stray.serial))
    );
    // A certificate of another CA is never recorded as ours.
    let other = CertificateAuthority::generate(ier_pki::DEFAULT_CA_NAME, Validity::days_from(Utc::now(), 30)).unwrap();
    let foreign = other.issue_ero(&ero_id("cardiff"), Validity::days_from(Utc::now(), 30)).unwrap();
    let err = pki.ca.register_existing(&foreign.cert_pem, "foreign.pem").unwrap_err();
    assert!(matches!(err, PkiError::NotOurs { .. }), "{err}");
    assert_eq!(err.to_string(), "foreign.pem was not issued by the service's CA");
    server.stop().await;
}

/// Two imported CAs, A and B, in the PKI directory's `trusted/`.
fn two_external_cas(pki: &Pki) -> (CertificateAuthority, CertificateAuthority) {
    let now = Utc::now();
    let a = CertificateAuthority::generate("Council CA A", Validity::days_from(now, 30)).unwrap();
    let b = CertificateAuthority::generate("Council CA B", Validity::days_from(now, 30)).unwrap();
    std::fs::create_dir_all(pki.path().join("trusted")).unwrap();
    std::fs::write(pki.path().join("trusted/a.pem"), a.cert_pem()).unwrap();
    std::fs::write(pki.path().join("trusted/b.pem"), b.cert_pem()).unwrap();
    (a, b)
}

#[tokio::test]
async fn a_registered_serial_identifies_an_external_certificate_without_the_uri() {
    let pki = Pki::new();
    let (a, _) = two_external_cas(&pki);
    let (config, _) = signed(&a, client_params(&[], Some(&[0x12, 0x34, 0x56])), pki.ca_pem());
    let line = format!("# issuer serial ero\n{} 12:34:56 newport\n", a.fingerprint());
    std::fs::write(pki.path().join("serials.txt"), line).unwrap();
    let server = pki.serve(IpAllowList::new()).await;
    assert_eq!(call(server.addr, config).await, Outcome::Answered(200, "newport 123456".into()));
    server.stop().await;
}

#[tokio::test]
async fn a_certificate_from_trusted_ca_b_is_refused_for_a_serial_mapped_under_ca_a() {
    let pki = Pki::new();
    let (a, b) = two_external_cas(&pki);
    register(pki.path(), "serials.txt", a.fingerprint(), "123456", Some("newport"));
    let serial = [0x12, 0x34, 0x56];
    // The same serial from B, with and without newport's URI; and B naming an ERO by URI alone.
    let (from_b, _) = signed(&b, client_params(&[], Some(&serial)), pki.ca_pem());
    let (from_b_with_uri, _) = signed(&b, client_params(&["urn:ier:ero:newport"], Some(&serial)), pki.ca_pem());
    let (b_by_uri, _) = signed(&b, client_params(&["urn:ier:ero:cardiff"], None), pki.ca_pem());
    let (from_a, _) = signed(&a, client_params(&[], Some(&serial)), pki.ca_pem());
    let server = pki.serve(IpAllowList::new()).await;
    for config in [from_b, from_b_with_uri, b_by_uri] {
        assert_eq!(call(server.addr, config).await, Outcome::Alert(AlertDescription::AccessDenied));
    }
    assert_eq!(server.calls(), 0);
    assert_eq!(call(server.addr, from_a).await, Outcome::Answered(200, "newport 123456".into()));
    server.stop().await;
}

/// CA certificate parameters: `name`, signing certificates, valid now.
fn ca_params(name: &str, path_length: Option<u8>) -> CertificateParams {
    use ier_pki::rcgen::{BasicConstraints, IsCa, KeyUsagePurpose};
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, name);
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(path_length.map_or(BasicConstraints::Unconstrained, BasicConstraints::Constrained));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.not_before = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
    params.not_after = time::OffsetDateTime::now_utc() + time::Duration::days(2);
    params
}

#[tokio::test]
async fn an_intermediate_ca_is_the_issuer_its_certificates_are_registered_under() {
    use ier_pki::rcgen::Issuer;
    // An external root that issues from an intermediate, which the client sends with its
    // certificate: the issuer is the intermediate (the CA that signed it), not the root.
    let pki = Pki::new();
    let root_key = KeyPair::generate().unwrap();
    let root_cert = ca_params("Council root CA", None).self_signed(&root_key).unwrap();
    let root = Issuer::new(ca_params("Council root CA", None), root_key);
    let inter_key = KeyPair::generate().unwrap();
    let inter_cert = ca_params("Council issuing CA", Some(0)).signed_by(&inter_key, &root).unwrap();
    let inter = Issuer::new(ca_params("Council issuing CA", Some(0)), inter_key);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = client_params(&[], Some(&[0x77])).signed_by(&leaf_key, &inter).unwrap();
    let chain = format!("{}{}", leaf.pem(), inter_cert.pem());
    let config = client_config(&chain, &leaf_key.serialize_pem(), pki.ca_pem()).unwrap();
    std::fs::create_dir_all(pki.path().join("trusted")).unwrap();
    std::fs::write(pki.path().join("trusted/root.pem"), root_cert.pem()).unwrap();
    // Registered under the root: not its issuer, refused.
    register(pki.path(), "serials.txt", CaFingerprint::of_der(root_cert.der()), "77", Some("newport"));
    let server = pki.serve(IpAllowList::new()).await;
    assert_eq!(call(server.addr, config.clone()).await, Outcome::Alert(AlertDescription::AccessDenied));
    // Under the intermediate: accepted.
    register(pki.path(), "serials.txt", CaFingerprint::of_der(inter_cert.der()), "77", Some("cardiff"));
    assert_eq!(call(server.addr, config).await, Outcome::Answered(200, "cardiff 77".into()));
    server.stop().await;
}

#[test]
fn serial_map_lines_that_name_no_ca_are_refused_at_load_with_how_to_fix_them() {
    let pki = Pki::new();
    std::fs::write(pki.path().join("serials.txt"), "# serial ero\n12:34:56 newport\n").unwrap();
    let err = TrustConfig::load_dir(pki.path()).unwrap_err().to_string();
    assert!(err.contains("serials.txt line 2: this line names no CA"), "{err}");
    assert!(err.contains("ier ero serial map --ca <CA certificate> --serial 12:34:56 --ero newport"), "{err}");
    assert!(ServerTls::from_dir(pki.identity(), pki.path()).is_err());
}

#[tokio::test]
async fn the_listener_refuses_to_start_with_a_private_key_in_its_trust_folders() {
    let pki = Pki::new();
    let cert = pki.issue("cardiff");
    let key = std::fs::read_to_string(pki.ca.dir().join("ca.key")).unwrap();
    // The listener's own key in server/ is its business: allowed.
    pki.server.write_files(&pki.path().join("server"), "ems").unwrap();
    assert!(ServerTls::from_dir(pki.identity(), pki.path()).is_ok());
    for (place, contents) in [
        ("ca.key", key.clone()),
        ("trusted/other.key", key.clone()),
        ("crls/stray.key", "anything".to_owned()),
        ("trusted/bundle.pem", format!("{}{key}", pki.ca_pem())),
    ] {
        let path = pki.path().join(place);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &contents).unwrap();
        let err = ServerTls::from_dir(pki.identity(), pki.path()).unwrap_err();
        assert!(matches!(&err, PkiError::PrivateKeyInTrustDir { path: p, .. } if p == &path), "{place}: {err}");
        let text = err.to_string();
        assert!(text.starts_with(&format!("{} holds a private key", path.display())), "{text}");
        assert!(text.contains(&format!("ier ero ca split --pki {}", pki.path().display())), "{text}");
        std::fs::remove_file(&path).unwrap();
    }
    // A running listener that finds one refuses everyone until it is gone.
    let server = pki.serve(IpAllowList::new()).await;
    assert!(matches!(call(server.addr, pki.client(&cert)).await, Outcome::Answered(200, _)));
    std::fs::write(pki.path().join("ca.key"), &key).unwrap();
    assert!(matches!(call(server.addr, pki.client(&cert)).await, Outcome::Failed(_)));
    std::fs::remove_file(pki.path().join("ca.key")).unwrap();
    assert!(matches!(call(server.addr, pki.client(&cert)).await, Outcome::Answered(200, _)));
    server.stop().await;
}

#[tokio::test]
async fn split_moves_the_ca_out_of_an_old_pki_directory_and_registers_what_it_issued() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().unwrap();
    let pki = root.path().join("pki");
    let issuer = ier_pki::default_issuer_dir(&pki);
    assert_eq!(issuer, root.path().join("pki-issuer"));
    // The old layout: the CA, its server certificate and client certificates all in one folder.
    let now = Utc::now();
    let ca = CertificateAuthority::create(&pki, ier_pki::DEFAULT_CA_NAME, now).unwrap();
    let server = ca.issue_server(&[], Validity::days_from(now, 30)).unwrap();
    server.write_files(&pki.join("server"), "ems").unwrap();
    let cardiff = ca.issue_ero(&ero_id("cardiff"), Validity::days_from(now, 30)).unwrap();
    cardiff.write_files(&pki.join("clients"), "cardiff").unwrap();
    let elsewhere = root.path().join("handed-out");
    let newport = ca.issue_ero(&ero_id("newport"), Validity::days_from(now, 30)).unwrap();
    newport.write_files(&elsewhere, "newport").unwrap();
    let other = CertificateAuthority::generate("other", Validity::days_from(now, 30)).unwrap();
    other.issue_ero(&ero_id("wigan"), Validity::days_from(now, 30)).unwrap().write_files(&elsewhere, "wigan").unwrap();
    let identity = ServerIdentity::load(&pki.join("server/ems.pem"), &pki.join("server/ems.key")).unwrap();

    // Refused as it is, by the listener and by the issuer, with what to do.
    let err = ServerTls::from_dir(identity.clone(), &pki).unwrap_err();
    assert!(matches!(err, PkiError::PrivateKeyInTrustDir { .. }), "{err}");
    let err = IssuingCa::open(&issuer, &pki, now).unwrap_err();
    assert!(err.to_string().contains("ier ero ca split"), "{err}");
    // Never into the PKI directory itself, nor a folder inside it.
    for inside in [pki.clone(), pki.join("issuer")] {
        assert!(matches!(ier_pki::issuer::split(&pki, &inside, &[], now), Err(PkiError::SameFolder(_))));
    }

    let split = ier_pki::issuer::split(&pki, &issuer, std::slice::from_ref(&elsewhere), now).unwrap();
    let mut registered: Vec<_> = split.registered.iter().map(|(_, r)| r.ero.as_ref().map(|e| e.to_string())).collect();
    registered.sort();
    assert_eq!(registered, vec![None, Some("cardiff".into()), Some("newport".into())]);
    assert_eq!(split.not_ours, vec![elsewhere.join("wigan.pem")]);
    assert_eq!(split.client_keys, vec![pki.join("clients/cardiff.key")]);
    assert!(!pki.join("ca.key").exists() && pki.join("ca.pem").exists());
    assert_eq!(std::fs::metadata(issuer.join("ca.key")).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(std::fs::metadata(&issuer).unwrap().permissions().mode() & 0o777, 0o700);
    assert!(matches!(ier_pki::issuer::split(&pki, &issuer, &[], now), Err(PkiError::NothingToSplit(_))));

    // The listener starts; what the CA issued before is accepted, and the same CA issues on.
    let tls = ServerTls::from_dir(identity, &pki).unwrap();
    let server = Running::start(tls, IpAllowList::new()).await;
    let config = |c: &IssuedCertificate| client_config(&c.cert_pem, c.key_pem.expose_secret(), ca.cert_pem()).unwrap();
    assert_eq!(
        call(server.addr, config(&cardiff)).await,
        Outcome::Answered(200, format!("cardiff {}", cardiff.serial))
    );
    assert!(matches!(call(server.addr, config(&newport)).await, Outcome::Answered(200, _)));
    let reopened = IssuingCa::open(&issuer, &pki, now).unwrap();
    assert_eq!(reopened.ca().fingerprint(), ca.fingerprint());
    let fresh = reopened.issue_ero(&ero_id("wigan"), Validity::days_from(now, 30)).unwrap();
    assert_eq!(call(server.addr, config(&fresh)).await, Outcome::Answered(200, format!("wigan {}", fresh.serial)));
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
fn the_ca_lives_in_its_issuer_folder_and_publishes_only_its_certificate() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().unwrap();
    let (issuer, pki) = (root.path().join("pki-issuer"), root.path().join("pki"));
    let ca = IssuingCa::open_or_create(&issuer, &pki, Utc::now()).unwrap();
    let key_path = issuer.join("ca.key");
    assert_eq!(std::fs::metadata(&key_path).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(std::fs::metadata(&issuer).unwrap().permissions().mode() & 0o777, 0o700);
    assert_eq!(std::fs::read_to_string(pki.join("ca.pem")).unwrap(), ca.ca().cert_pem());
    assert!(pki.join("crls/ier-ca.crl.pem").exists());
    assert!(!pki.join("ca.key").exists());

    // Opened again, it is the same CA; what it issues is recorded in the listener's register.
    let reopened = IssuingCa::open_or_create(&issuer, &pki, Utc::now()).unwrap();
    assert_eq!(reopened.ca().fingerprint(), ca.ca().fingerprint());
    assert_eq!(ca.ca().fingerprint(), CaFingerprint::of_pem(ca.ca().cert_pem(), "ca").unwrap());
    let cert = reopened.issue_ero(&ero_id("cardiff"), Validity::days_from(Utc::now(), 1)).unwrap();
    let server = ca.issue_server(&["ems.example".into()], Validity::days_from(Utc::now(), 1)).unwrap();
    let issued = ier_pki::Register::load(&pki, "issued.txt").unwrap();
    let cardiff = issued.get(&cert.issuer, &cert.serial).unwrap();
    assert_eq!((cardiff.ero.clone(), cardiff.not_after), (Some(ero_id("cardiff")), Some(cert.not_after)));
    assert_eq!(issued.get(&server.issuer, &server.serial).unwrap().ero, None);
    let trust = TrustConfig::load_dir(&pki).unwrap();
    let tls = ServerTls::new(ServerIdentity::from_pem(&server.cert_pem, &server.key_pem).unwrap(), trust).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let running = Running::start(tls, IpAllowList::new()).await;
        let config = client_config(&cert.cert_pem, cert.key_pem.expose_secret(), ca.ca().cert_pem()).unwrap();
        assert_eq!(call(running.addr, config).await, Outcome::Answered(200, format!("cardiff {}", cert.serial)));
        running.stop().await;
    });

    // The issuer folder is never the PKI directory or inside it, and never replaces another
    // CA's certificate there.
    for inside in [pki.clone(), pki.join("issuer"), pki.join("trusted")] {
        let err = IssuingCa::open_or_create(&inside, &pki, Utc::now()).unwrap_err();
        assert!(matches!(err, PkiError::SameFolder(_)), "{err}");
    }
    let err = IssuingCa::open_or_create(&root.path().join("another-issuer"), &pki, Utc::now()).unwrap_err();
    assert!(matches!(err, PkiError::OtherCa { .. }), "{err}");

    // Never overwritten; refused when others can read the key; refused with a foreign key.
    assert!(matches!(CertificateAuthority::create(&issuer, "again", Utc::now()), Err(PkiError::CaExists(_))));
    std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = IssuingCa::open(&issuer, &pki, Utc::now()).unwrap_err();
    assert!(matches!(err, PkiError::KeyFileTooOpen { mode: 0o644, .. }), "{err}");
    let other = KeyPair::generate().unwrap();
    let err =
        CertificateAuthority::from_pem(ca.ca().cert_pem(), SecretString::from(other.serialize_pem())).unwrap_err();
    assert!(matches!(err, PkiError::KeyMismatch), "{err}");

    // Issued keys are written 0600 and never overwritten.
    cert.write_files(root.path(), "cardiff").unwrap();
    assert_eq!(std::fs::metadata(root.path().join("cardiff.key")).unwrap().permissions().mode() & 0o777, 0o600);
    assert!(cert.write_files(root.path(), "cardiff").is_err());
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
    let unregistered = pki.ca.ca().issue_ero(&cardiff, Validity::days_from(now, 30)).unwrap();
    let mut allow = IpAllowList::new();
    allow.allow(ero_id("newport"), ["10.0.0.0/8".parse().unwrap()]);
    let server = pki.serve(allow).await;

    call(server.addr, client_config_without_certificate(pki.ca_pem()).unwrap()).await;
    call(server.addr, pki.client(&unregistered)).await;
    call(server.addr, pki.client(&expired)).await;
    call(server.addr, pki.client(&revoked)).await;
    call(server.addr, client_config(&foreign.cert_pem, foreign.key_pem.expose_secret(), pki.ca_pem()).unwrap()).await;
    call(server.addr, pki.client(&newport)).await;
    server.stop().await;

    let text = logs.text();
    for reason in [
        "reason=no client certificate",
        "reason=client certificate expired",
        "reason=client certificate revoked",
        "reason=client certificate from an unknown CA",
        "reason=client certificate speaks for no ERO",
        "address not in the ERO's IP allow-list",
    ] {
        let line = text.lines().find(|l| l.contains(reason)).unwrap_or_else(|| panic!("no `{reason}` in:\n{text}"));
        assert!(line.contains("peer=127.0.0.1"), "{line}");
    }
    assert!(text.contains(&format!("serial={}", newport.serial)), "{text}");
    // Which rule refused the unregistered certificate is logged with its serial.
    let line = text.lines().find(|l| l.contains(&format!("serial={}", unregistered.serial))).unwrap_or_default();
    assert!(line.contains("issuer and serial are not registered together"), "{text}");
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
