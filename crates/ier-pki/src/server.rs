//! The EMS API listener: TCP → TLS handshake that requires a verified ERO client certificate →
//! per-ERO IP allow-list → the axum router, with the caller's identity ([`Caller`]) in the
//! request extensions. Trust is re-read from the PKI directory when its files change, so a
//! revocation takes effect on the next connection without a restart.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts};
use http::request::Parts;
use http::{Request, Response, StatusCode, header};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use ier_domain::EroId;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::{CertificateError, ServerConfig};
use secrecy::{ExposeSecret, SecretString};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::allow::IpAllowList;
use crate::error::PkiError;
use crate::files::{self, CRL_DIR, TRUSTED_DIR};
use crate::serial::Serial;
use crate::trust::TrustConfig;

/// The verified caller of an EMS API request: the ERO its client certificate speaks for, and
/// that certificate's serial. Put in every request's extensions by the listener; never taken
/// from anything the client sends in HTTP.
///
/// As an axum extractor it fails closed: a request without one (a router served by anything
/// other than this listener) gets `500 Internal Server Error` and never reaches the handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub ero: EroId,
    pub serial: Serial,
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = (StatusCode, &'static str);

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Caller>() {
            Some(caller) => Ok(caller.clone()),
            None => {
                tracing::error!("EMS request without a verified caller: the router is not behind ier_pki's listener");
                Err((StatusCode::INTERNAL_SERVER_ERROR, "no verified client identity for this request"))
            }
        }
    }
}

/// The listener's own certificate chain and private key.
pub struct ServerIdentity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl fmt::Debug for ServerIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerIdentity").field("certificates", &self.chain.len()).field("key", &"<redacted>").finish()
    }
}

impl Clone for ServerIdentity {
    fn clone(&self) -> Self {
        Self { chain: self.chain.clone(), key: self.key.clone_key() }
    }
}

impl ServerIdentity {
    /// From a PEM certificate chain (leaf first) and its private key.
    pub fn from_pem(cert_chain_pem: &str, key_pem: &SecretString) -> Result<Self, PkiError> {
        Ok(Self {
            chain: crate::pem::certificates(cert_chain_pem, "the server certificate")?,
            key: crate::pem::private_key(key_pem.expose_secret(), "the server key")?,
        })
    }

    /// From PEM files; the key file must not be readable by others.
    pub fn load(cert_path: &Path, key_path: &Path) -> Result<Self, PkiError> {
        files::check_private(key_path)?;
        let key = SecretString::from(files::read_to_string(key_path)?);
        Self::from_pem(&files::read_to_string(cert_path)?, &key)
    }
}

/// One consistent state: the rustls config and the trust it was built from.
struct Snapshot {
    config: Arc<ServerConfig>,
    trust: Arc<TrustConfig>,
}

enum Source {
    Fixed,
    Dir(PathBuf),
}

type Fingerprint = Vec<(PathBuf, Option<(u64, SystemTime, u64)>)>;

struct State {
    fingerprint: Fingerprint,
    current: Result<Arc<Snapshot>, String>,
}

/// The listener's TLS configuration, reloadable while serving.
///
/// Built from a PKI directory ([`ServerTls::from_dir`]), it re-reads the directory on the first
/// connection after any of its trust files changes (checked by size, modification time and
/// inode on every connection: a handful of `stat` calls). If the new files are broken, it fails
/// closed: every connection is refused, with an error logged, until they are fixed.
/// Built from a [`TrustConfig`] ([`ServerTls::new`]), it changes only by [`ServerTls::set_trust`].
///
/// TLS session resumption is off: every connection is a full handshake with the client
/// certificate checked against the current trust, so a resumed session cannot outlive a
/// revocation.
pub struct ServerTls {
    identity: ServerIdentity,
    source: Mutex<Source>,
    state: RwLock<State>,
}

impl fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerTls").field("identity", &self.identity).finish_non_exhaustive()
    }
}

impl ServerTls {
    /// A fixed trust configuration.
    pub fn new(identity: ServerIdentity, trust: TrustConfig) -> Result<Arc<Self>, PkiError> {
        let snapshot = build(&identity, trust)?;
        Ok(Arc::new(Self {
            identity,
            source: Mutex::new(Source::Fixed),
            state: RwLock::new(State { fingerprint: Vec::new(), current: Ok(snapshot) }),
        }))
    }

    /// Trust read from a PKI directory ([`TrustConfig::load_dir`]) and re-read when it changes.
    pub fn from_dir(identity: ServerIdentity, dir: impl Into<PathBuf>) -> Result<Arc<Self>, PkiError> {
        let dir = dir.into();
        let fingerprint = fingerprint(&dir);
        let snapshot = build(&identity, TrustConfig::load_dir(&dir)?)?;
        Ok(Arc::new(Self {
            identity,
            source: Mutex::new(Source::Dir(dir)),
            state: RwLock::new(State { fingerprint, current: Ok(snapshot) }),
        }))
    }

    /// Replaces the trust (and stops following a directory, if it did).
    pub fn set_trust(&self, trust: TrustConfig) -> Result<(), PkiError> {
        let snapshot = build(&self.identity, trust)?;
        *self.source.lock().unwrap_or_else(|p| p.into_inner()) = Source::Fixed;
        let mut state = self.state.write().unwrap_or_else(|p| p.into_inner());
        *state = State { fingerprint: Vec::new(), current: Ok(snapshot) };
        Ok(())
    }

    /// Re-reads the directory now, changed or not. On error the listener refuses connections
    /// until a later reload succeeds.
    pub fn reload(&self) -> Result<(), PkiError> {
        let Source::Dir(dir) = &*self.source.lock().unwrap_or_else(|p| p.into_inner()) else {
            return Ok(());
        };
        let fingerprint = fingerprint(dir);
        let result = TrustConfig::load_dir(dir).and_then(|t| build(&self.identity, t));
        let mut state = self.state.write().unwrap_or_else(|p| p.into_inner());
        state.fingerprint = fingerprint;
        match result {
            Ok(snapshot) => {
                state.current = Ok(snapshot);
                Ok(())
            }
            Err(e) => {
                state.current = Err(e.to_string());
                Err(e)
            }
        }
    }

    /// The configuration for a new connection, reloading first if the directory changed.
    fn current(&self) -> Result<Arc<Snapshot>, String> {
        let dir = match &*self.source.lock().unwrap_or_else(|p| p.into_inner()) {
            Source::Dir(dir) => Some(dir.clone()),
            Source::Fixed => None,
        };
        if let Some(dir) = dir {
            let now = fingerprint(&dir);
            let changed = self.state.read().unwrap_or_else(|p| p.into_inner()).fingerprint != now;
            if changed {
                match self.reload() {
                    Ok(()) => tracing::info!(dir = %dir.display(), "EMS listener trust reloaded"),
                    Err(e) => tracing::error!(dir = %dir.display(), error = %e,
                        "EMS listener trust files are broken: refusing all connections until fixed"),
                }
            }
        }
        self.state.read().unwrap_or_else(|p| p.into_inner()).current.clone()
    }
}

fn build(identity: &ServerIdentity, trust: TrustConfig) -> Result<Arc<Snapshot>, PkiError> {
    let verifier = trust.client_verifier()?;
    let mut config = ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_client_cert_verifier(verifier)
        .with_single_cert(identity.chain.clone(), identity.key.clone_key())?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
    config.send_tls13_tickets = 0;
    Ok(Arc::new(Snapshot { config: Arc::new(config), trust: Arc::new(trust) }))
}

/// What identifies the state of a PKI directory: the directory, `trusted/`, `crls/` and every
/// file in them.
fn fingerprint(dir: &Path) -> Fingerprint {
    let stat = |p: &Path| {
        std::fs::metadata(p).ok().map(|m| {
            #[cfg(unix)]
            let ino = std::os::unix::fs::MetadataExt::ino(&m);
            #[cfg(not(unix))]
            let ino = 0;
            (m.len(), m.modified().unwrap_or(SystemTime::UNIX_EPOCH), ino)
        })
    };
    let mut out = Vec::new();
    for d in [dir.to_owned(), dir.join(TRUSTED_DIR), dir.join(CRL_DIR)] {
        out.push((d.clone(), stat(&d)));
        if let Ok(entries) = std::fs::read_dir(&d) {
            let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            paths.sort();
            for p in paths.into_iter().filter(|p| p.is_file()) {
                let s = stat(&p);
                out.push((p, s));
            }
        }
    }
    out
}

/// Why a TLS handshake with a would-be EMS client failed: what the listener logs (with the
/// peer's IP address and nothing from the certificate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandshakeRejection {
    NoCertificate,
    Expired,
    NotYetValid,
    Revoked,
    UnknownCa,
    RevocationStatusUnknown,
    NoEroIdentity,
    NotForClientAuth,
    BadSignature,
    BadCertificate,
    /// The client sent an alert (it refused our server certificate, usually).
    ClientAlert(String),
    TimedOut,
    Closed,
    Other(String),
}

impl HandshakeRejection {
    /// Classifies the error a TLS accept returned.
    pub fn from_io_error(err: &io::Error) -> Self {
        let Some(tls) = err.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>()) else {
            return match err.kind() {
                io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe => {
                    Self::Closed
                }
                io::ErrorKind::TimedOut => Self::TimedOut,
                _ => Self::Other(err.kind().to_string()),
            };
        };
        match tls {
            rustls::Error::NoCertificatesPresented => Self::NoCertificate,
            rustls::Error::InvalidCertificate(e) => match e {
                CertificateError::Expired | CertificateError::ExpiredContext { .. } => Self::Expired,
                CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => Self::NotYetValid,
                CertificateError::Revoked => Self::Revoked,
                CertificateError::UnknownIssuer => Self::UnknownCa,
                CertificateError::UnknownRevocationStatus => Self::RevocationStatusUnknown,
                CertificateError::ApplicationVerificationFailure => Self::NoEroIdentity,
                CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
                    Self::NotForClientAuth
                }
                #[allow(deprecated)]
                CertificateError::BadSignature
                | CertificateError::UnsupportedSignatureAlgorithm
                | CertificateError::UnsupportedSignatureAlgorithmContext { .. }
                | CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => Self::BadSignature,
                _ => Self::BadCertificate,
            },
            rustls::Error::AlertReceived(alert) => Self::ClientAlert(format!("{alert:?}")),
            other => Self::Other(other.to_string()),
        }
    }
}

impl fmt::Display for HandshakeRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoCertificate => f.write_str("no client certificate"),
            Self::Expired => f.write_str("client certificate expired"),
            Self::NotYetValid => f.write_str("client certificate not yet valid"),
            Self::Revoked => f.write_str("client certificate revoked"),
            Self::UnknownCa => f.write_str("client certificate from an unknown CA"),
            Self::RevocationStatusUnknown => f.write_str("client certificate's revocation status unknown (no CRL)"),
            Self::NoEroIdentity => f.write_str("client certificate speaks for no ERO"),
            Self::NotForClientAuth => f.write_str("certificate not issued for client authentication"),
            Self::BadSignature => f.write_str("bad or unsupported signature"),
            Self::BadCertificate => f.write_str("malformed client certificate"),
            Self::ClientAlert(alert) => write!(f, "client aborted the handshake ({alert})"),
            Self::TimedOut => f.write_str("handshake timed out"),
            Self::Closed => f.write_str("connection closed during the handshake"),
            Self::Other(e) => write!(f, "TLS error: {e}"),
        }
    }
}

/// A per-ERO IP allow-list the listener consults on every connection, replaceable while it runs.
#[derive(Debug, Clone, Default)]
pub struct SharedAllowList(Arc<RwLock<Arc<IpAllowList>>>);

impl SharedAllowList {
    pub fn new(list: IpAllowList) -> Self {
        Self(Arc::new(RwLock::new(Arc::new(list))))
    }

    /// Replaces the list; new connections see it.
    pub fn set(&self, list: IpAllowList) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(list);
    }

    pub fn get(&self) -> Arc<IpAllowList> {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// The EMS API listener. See the crate docs for what a client must get right to reach the
/// router.
#[derive(Debug, Clone)]
pub struct EmsServer {
    tls: Arc<ServerTls>,
    allow: SharedAllowList,
    handshake_timeout: Duration,
    header_timeout: Duration,
    max_connection_age: Duration,
    drain_timeout: Duration,
}

impl EmsServer {
    /// A listener with no IP restrictions, a 10 s handshake timeout, 10 s for each request's
    /// head (or, on a kept-alive connection, for the next request to start), connections closed
    /// gracefully after 10 minutes (so a kept-alive connection cannot outlive a revocation for
    /// long), and 10 s to drain on shutdown.
    pub fn new(tls: Arc<ServerTls>) -> Self {
        Self {
            tls,
            allow: SharedAllowList::default(),
            handshake_timeout: Duration::from_secs(10),
            header_timeout: Duration::from_secs(10),
            max_connection_age: Duration::from_secs(600),
            drain_timeout: Duration::from_secs(10),
        }
    }

    /// Restricts EROs to IP ranges (fixed).
    pub fn allow_list(mut self, list: IpAllowList) -> Self {
        self.allow = SharedAllowList::new(list);
        self
    }

    /// Restricts EROs to IP ranges through a handle that can be updated while serving.
    pub fn shared_allow_list(mut self, list: SharedAllowList) -> Self {
        self.allow = list;
        self
    }

    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// How long a client has to send a request's head, however it trickles it; then the
    /// connection is closed. (Bodies have their own deadline in the API's router.)
    pub fn header_timeout(mut self, timeout: Duration) -> Self {
        self.header_timeout = timeout;
        self
    }

    pub fn max_connection_age(mut self, age: Duration) -> Self {
        self.max_connection_age = age;
        self
    }

    pub fn drain_timeout(mut self, timeout: Duration) -> Self {
        self.drain_timeout = timeout;
        self
    }

    /// Serves until the process ends.
    pub async fn serve(self, listener: TcpListener, router: Router) {
        self.serve_with_shutdown(listener, router, std::future::pending()).await
    }

    /// Serves until `shutdown` completes; then stops accepting, lets requests in flight finish
    /// (each connection is closed after its current request) and returns once all connections
    /// are closed or the drain timeout has passed.
    pub async fn serve_with_shutdown(
        self,
        listener: TcpListener,
        router: Router,
        shutdown: impl Future<Output = ()> + Send,
    ) {
        let (stop_tx, stop_rx) = watch::channel(false);
        let (done_tx, mut done_rx) = mpsc::channel::<()>(1);
        let server = Arc::new(self);
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                accepted = listener.accept() => match accepted {
                    Ok((tcp, peer)) => {
                        let server = server.clone();
                        let router = router.clone();
                        let stop = stop_rx.clone();
                        let done = done_tx.clone();
                        tokio::spawn(async move {
                            server.connection(tcp, peer, router, stop).await;
                            drop(done);
                        });
                    }
                    Err(e) => {
                        // Out of file descriptors and the like: back off, keep serving.
                        tracing::warn!(error = %e, "EMS listener accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                },
            }
        }
        drop(listener);
        let _ = stop_tx.send(true);
        drop(done_tx);
        if tokio::time::timeout(server.drain_timeout, done_rx.recv()).await.is_err() {
            tracing::warn!("EMS listener shut down with connections still open");
        }
    }

    async fn connection(&self, tcp: TcpStream, peer: SocketAddr, router: Router, mut stop: watch::Receiver<bool>) {
        let ip: IpAddr = peer.ip().to_canonical();
        let snapshot = match self.tls.current() {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(peer = %ip, error = %e, "EMS connection refused: listener trust is broken");
                return;
            }
        };
        let accept = TlsAcceptor::from(snapshot.config.clone()).accept(tcp).into_fallible();
        let tls = match tokio::time::timeout(self.handshake_timeout, accept).await {
            Err(_) => {
                tracing::info!(peer = %ip, reason = %HandshakeRejection::TimedOut, "EMS handshake refused");
                return;
            }
            Ok(Err((err, tcp))) => {
                let reason = HandshakeRejection::from_io_error(&err);
                tracing::info!(peer = %ip, %reason, "EMS handshake refused");
                linger(tcp).await;
                return;
            }
            Ok(Ok(tls)) => tls,
        };
        let identity = tls
            .get_ref()
            .1
            .peer_certificates()
            .and_then(|certs| certs.split_first())
            .map(|(cert, intermediates)| snapshot.trust.identify(cert, intermediates, UnixTime::now()));
        let caller = match identity {
            Some(Ok(id)) => Caller { ero: id.ero, serial: id.serial },
            // The verifier already checked both; refuse rather than guess.
            Some(Err(e)) => {
                tracing::warn!(peer = %ip, reason = %e, "EMS connection refused after the handshake");
                return;
            }
            None => {
                tracing::warn!(peer = %ip, "EMS connection without a client certificate after the handshake");
                return;
            }
        };
        let allowed = self.allow.get().permits(&caller.ero, ip);
        if allowed {
            tracing::debug!(peer = %ip, ero = %caller.ero, serial = %caller.serial, "EMS client connected");
        } else {
            tracing::info!(peer = %ip, ero = %caller.ero, serial = %caller.serial,
                "EMS client refused: address not in the ERO's IP allow-list");
        }
        let service = service_fn(move |mut req: Request<Incoming>| {
            let router = router.clone();
            let caller = caller.clone();
            async move {
                if !allowed {
                    return Ok::<_, Infallible>(forbidden_address());
                }
                req.extensions_mut().insert(caller);
                req.extensions_mut().insert(ConnectInfo(peer));
                router.oneshot(req).await
            }
        });
        let mut builder = http1::Builder::new();
        builder.timer(TokioTimer::new()).header_read_timeout(self.header_timeout).keep_alive(allowed);
        let conn = builder.serve_connection(TokioIo::new(tls), service);
        tokio::pin!(conn);
        let age = tokio::time::sleep(self.max_connection_age);
        tokio::pin!(age);
        let mut closing = *stop.borrow();
        if closing {
            conn.as_mut().graceful_shutdown();
        }
        loop {
            tokio::select! {
                result = conn.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(peer = %ip, error = %e, "EMS connection ended with an error");
                    }
                    break;
                }
                () = &mut age, if !closing => {
                    closing = true;
                    conn.as_mut().graceful_shutdown();
                }
                _ = stop.changed(), if !closing => {
                    closing = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// After a refused handshake (whose alert rustls has already written): close our side and read
/// what the client still sends for a moment, so the kernel does not answer its in-flight bytes
/// with a reset that would destroy the alert before the client reads it.
async fn linger(mut tcp: TcpStream) {
    let _ = tcp.shutdown().await;
    let mut buf = [0u8; 2048];
    let _ = tokio::time::timeout(Duration::from_millis(500), async {
        while let Ok(n) = tcp.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    })
    .await;
}

/// The answer to every request on a connection from an address outside the ERO's allow-list.
fn forbidden_address() -> Response<Body> {
    let body = r#"{"status":403,"error":"Forbidden","message":"this client certificate may not be used from this IP address"}"#;
    Response::builder()
        .status(StatusCode::FORBIDDEN)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONNECTION, "close")
        .body(Body::from(body))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

/// Serves `router` on `listener` behind mutual TLS until the process ends:
/// `EmsServer::new(tls).allow_list(allow).serve(listener, router)`.
pub async fn serve(listener: TcpListener, tls: Arc<ServerTls>, router: Router, allow: IpAllowList) {
    EmsServer::new(tls).allow_list(allow).serve(listener, router).await
}
