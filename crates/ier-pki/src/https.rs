//! A mutual-TLS HTTP/1.1 client for the EMS API: one kept-alive connection,
//! re-made when the server closes it. Used by the reference EMS client
//! (`ier ems poll`) and the API's benchmarks. A certificate refused at the
//! handshake is reported as such ([`HttpsError::CertificateRefused`]).
//!
//! Every connection (TCP and TLS handshake) has a deadline, and so has every
//! request (sending it and reading the whole answer): [`Timeouts`]. Requests
//! that may be repeated ([`HttpsClient::call`] for GET, HEAD, PUT and DELETE;
//! [`HttpsClient::call_idempotent`] for a POST the API makes idempotent) are
//! retried ([`Retry`]) on connection errors, timeouts, 408, 429, 502, 503 and
//! 504 (and other 5xx), with exponential backoff and jitter, waiting at least
//! what `Retry-After` asks; never on another 4xx. Other requests are retried
//! only when the connection could not be made, so never sent. After the last
//! attempt the caller gets the last answer or [`HttpsError::GaveUp`].

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use tokio_rustls::TlsConnector;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum HttpsError {
    #[error("the server address must be https://HOST[:PORT] (the EMS API is only served over TLS)")]
    BadServer,
    #[error("connecting to {0}: {1}")]
    Connect(String, std::io::Error),
    #[error("the TLS handshake failed: {0}")]
    Handshake(std::io::Error),
    #[error(
        "the EMS API refused this client's certificate ({0}): is it valid, unexpired, not revoked, and issued for this service?"
    )]
    CertificateRefused(String),
    #[error("HTTP: {0}")]
    Http(#[from] hyper::Error),
    #[error("the EMS API closed the connection twice")]
    Closed,
    #[error("bad request: {0}")]
    Request(#[from] http::Error),
    #[error("no connection to {0} within {1:?} (TCP and TLS handshake)")]
    ConnectTimeout(String, Duration),
    #[error("no complete answer within {0:?}")]
    RequestTimeout(Duration),
    #[error("gave up after {attempts} attempts: {last}")]
    GaveUp { attempts: u32, last: Box<HttpsError> },
}

impl HttpsError {
    /// Whether trying again may help: the network or the server, not the request or the certificate.
    fn transient(&self) -> bool {
        matches!(
            self,
            Self::Connect(..)
                | Self::Handshake(_)
                | Self::Http(_)
                | Self::Closed
                | Self::ConnectTimeout(..)
                | Self::RequestTimeout(_)
        )
    }

    /// Whether the request cannot have reached the server (so even a request
    /// that is not idempotent may be sent again).
    fn not_sent(&self) -> bool {
        matches!(self, Self::Connect(..) | Self::ConnectTimeout(..))
    }
}

/// How long a connection and a request may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// TCP connection and TLS handshake.
    pub connect: Duration,
    /// Sending a request and reading its whole answer.
    pub request: Duration,
}

impl Default for Timeouts {
    /// 10 s to connect; 60 s a request (a page of 200 applications is about half a megabyte).
    fn default() -> Self {
        Self { connect: Duration::from_secs(10), request: Duration::from_secs(60) }
    }
}

/// How often, and how patiently, a request is tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Attempts in all (1: no retry).
    pub attempts: u32,
    /// The wait before the first retry; it doubles each time (with jitter: a random part of up to half of it).
    pub base: Duration,
    /// The longest wait between attempts, however many came before (and however long `Retry-After` asks for).
    pub max_delay: Duration,
}

impl Default for Retry {
    /// 5 attempts: waits of about 0.5, 1, 2 and 4 s, at most 60 s.
    fn default() -> Self {
        Self { attempts: 5, base: Duration::from_millis(500), max_delay: Duration::from_secs(60) }
    }
}

impl Retry {
    /// No retries.
    pub fn none() -> Self {
        Self { attempts: 1, ..Self::default() }
    }

    /// The wait after attempt `n` (1-based) failed: `base * 2^(n-1)`, at most
    /// `max_delay`, less a random part of up to half (so clients spread out);
    /// never less than `retry_after` (capped at `max_delay` too).
    pub fn delay(&self, n: u32, retry_after: Option<Duration>) -> Duration {
        use rand::Rng;
        let exp = self.base.saturating_mul(1u32 << (n.saturating_sub(1)).min(20)).min(self.max_delay);
        let jitter = rand::rng().random_range(0.0..0.5);
        let backoff = exp.mul_f64(1.0 - jitter);
        backoff.max(retry_after.unwrap_or_default().min(self.max_delay))
    }
}

/// Whether an answer with this status is worth asking again for (an idempotent request).
fn retry_status(status: u16) -> bool {
    matches!(status, 408 | 429) || (500..600).contains(&status) && status != 501
}

/// Whether a method may be sent twice with the same effect as once.
fn idempotent(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "PUT" | "DELETE" | "OPTIONS")
}

/// A path with its identifiers (references, ids) and query left out, for
/// progress messages: `/v1/applications/{}/receipt`.
pub fn route_of(path: &str) -> String {
    let path = path.split('?').next().unwrap_or("");
    path.split('/')
        .map(|seg| {
            if seg.chars().all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit() && seg.starts_with('v')) {
                seg
            } else {
                "{}"
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// What is said before each retry: no personal data (the route without its identifiers, a status or the kind of error).
pub type Progress = Arc<dyn Fn(&str) + Send + Sync>;

/// One connection to one server.
pub struct HttpsClient {
    host: String,
    port: u16,
    tls: TlsConnector,
    conn: Option<SendRequest<Full<Bytes>>>,
    timeouts: Timeouts,
    retry: Retry,
    progress: Option<Progress>,
}

impl HttpsClient {
    /// A client for `server` (`https://host[:port]`) with a configuration from [`crate::client_config`].
    pub fn new(server: &str, config: ClientConfig) -> Result<Self, HttpsError> {
        let rest = server.strip_prefix("https://").ok_or(HttpsError::BadServer)?;
        let authority = rest.split('/').next().unwrap_or(rest);
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_owned(), p.parse().map_err(|_| HttpsError::BadServer)?),
            None => (authority.to_owned(), 443),
        };
        if host.is_empty() {
            return Err(HttpsError::BadServer);
        }
        Ok(Self {
            host,
            port,
            tls: TlsConnector::from(Arc::new(config)),
            conn: None,
            timeouts: Timeouts::default(),
            retry: Retry::default(),
            progress: None,
        })
    }

    /// With these deadlines (default [`Timeouts::default`]).
    pub fn with_timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// With this retry policy (default [`Retry::default`]).
    pub fn with_retry(mut self, retry: Retry) -> Self {
        self.retry = retry;
        self
    }

    /// Told a line before each retry (what failed, how long until the next attempt).
    pub fn with_progress(mut self, progress: Progress) -> Self {
        self.progress = Some(progress);
        self
    }

    async fn connect(&mut self) -> Result<&mut SendRequest<Full<Bytes>>, HttpsError> {
        if self.conn.as_ref().is_none_or(|c| c.is_closed()) {
            let limit = self.timeouts.connect;
            let at = format!("{}:{}", self.host, self.port);
            let sender = tokio::time::timeout(limit, self.handshake())
                .await
                .map_err(|_| HttpsError::ConnectTimeout(at, limit))??;
            self.conn = Some(sender);
        }
        Ok(self.conn.as_mut().expect("connected"))
    }

    async fn handshake(&self) -> Result<SendRequest<Full<Bytes>>, HttpsError> {
        let at = format!("{}:{}", self.host, self.port);
        let tcp = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| HttpsError::Connect(at.clone(), e))?;
        tcp.set_nodelay(true).map_err(|e| HttpsError::Connect(at, e))?;
        let name = ServerName::try_from(self.host.clone()).map_err(|_| HttpsError::BadServer)?;
        let tls = self.tls.connect(name, tcp).await.map_err(|e| {
            if e.to_string().contains("alert") {
                HttpsError::CertificateRefused(e.to_string())
            } else {
                HttpsError::Handshake(e)
            }
        })?;
        let (sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(sender)
    }

    /// One request, a JSON body when `json` is given, retried if the method is
    /// idempotent ([`Retry`]); returns the status and body.
    pub async fn call(&mut self, method: &str, path: &str, json: Option<Vec<u8>>) -> Result<(u16, Bytes), HttpsError> {
        let body = json.map(|j| (j, "application/json"));
        self.attempts(method, path, body, idempotent(method)).await
    }

    /// One request with a body of `content_type` (CSV, say), retried only if
    /// `repeatable` (the API makes it idempotent) or the method is.
    pub async fn call_with(
        &mut self,
        method: &str,
        path: &str,
        body: Vec<u8>,
        content_type: &'static str,
        repeatable: bool,
    ) -> Result<(u16, Bytes), HttpsError> {
        self.attempts(method, path, Some((body, content_type)), repeatable || idempotent(method)).await
    }

    /// As [`HttpsClient::call`], for a request the API makes idempotent whatever
    /// its method (`POST /v1/receipts`; answering a register check, where a
    /// repeat is refused with 409): retried like a GET.
    pub async fn call_idempotent(
        &mut self,
        method: &str,
        path: &str,
        json: Option<Vec<u8>>,
    ) -> Result<(u16, Bytes), HttpsError> {
        self.attempts(method, path, json.map(|j| (j, "application/json")), true).await
    }

    async fn attempts(
        &mut self,
        method: &str,
        path: &str,
        json: Option<(Vec<u8>, &'static str)>,
        repeatable: bool,
    ) -> Result<(u16, Bytes), HttpsError> {
        let attempts = self.retry.attempts.max(1);
        let mut n = 1;
        loop {
            let (why, retry_after) = match self.once(method, path, json.clone()).await {
                Ok((status, retry_after, body)) => {
                    if !(repeatable && retry_status(status)) || n >= attempts {
                        return Ok((status, body));
                    }
                    (format!("answered {status}"), retry_after)
                }
                Err(e) => {
                    let again = e.transient() && (repeatable || e.not_sent());
                    if !again {
                        return Err(e);
                    }
                    if n >= attempts {
                        return Err(HttpsError::GaveUp { attempts: n, last: Box::new(e) });
                    }
                    (error_kind(&e).to_owned(), None)
                }
            };
            let wait = self.retry.delay(n, retry_after);
            if let Some(progress) = &self.progress {
                progress(&format!(
                    "{method} {}: {why}; trying again in {:.1} s (attempt {} of {attempts})",
                    route_of(path),
                    wait.as_secs_f64(),
                    n + 1
                ));
            }
            tokio::time::sleep(wait).await;
            n += 1;
        }
    }

    /// One attempt, within the request deadline; the status, `Retry-After` (in seconds) and body.
    async fn once(
        &mut self,
        method: &str,
        path: &str,
        json: Option<(Vec<u8>, &'static str)>,
    ) -> Result<(u16, Option<Duration>, Bytes), HttpsError> {
        let limit = self.timeouts.request;
        match tokio::time::timeout(limit, self.exchange(method, path, json)).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(e)) => {
                self.conn = None;
                Err(e)
            }
            Err(_) => {
                // The connection may still carry the answer: never reuse it.
                self.conn = None;
                Err(HttpsError::RequestTimeout(limit))
            }
        }
    }

    async fn exchange(
        &mut self,
        method: &str,
        path: &str,
        json: Option<(Vec<u8>, &'static str)>,
    ) -> Result<(u16, Option<Duration>, Bytes), HttpsError> {
        for attempt in 0..2 {
            let mut req = http::Request::builder()
                .method(method)
                .uri(path)
                .header(http::header::HOST, format!("{}:{}", self.host, self.port));
            if let Some((_, content_type)) = &json {
                req = req.header(http::header::CONTENT_TYPE, *content_type);
            }
            let req = req.body(Full::new(json.clone().map(|(b, _)| Bytes::from(b)).unwrap_or_default()))?;
            let sender = self.connect().await?;
            match sender.send_request(req).await {
                Ok(res) => {
                    let status = res.status().as_u16();
                    let retry_after = res
                        .headers()
                        .get(http::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    let body = res.into_body().collect().await?.to_bytes();
                    return Ok((status, retry_after, body));
                }
                Err(e) => {
                    // With TLS 1.3 a refused certificate shows as an alert on the first request.
                    let cause = std::error::Error::source(&e).map(|s| s.to_string()).unwrap_or_default();
                    if cause.contains("alert") {
                        return Err(HttpsError::CertificateRefused(cause));
                    }
                    // A kept-alive connection the server closed: once more on a new one.
                    if attempt == 0 && (e.is_closed() || e.is_canceled() || e.is_incomplete_message()) {
                        self.conn = None;
                        continue;
                    }
                    return Err(e.into());
                }
            }
        }
        Err(HttpsError::Closed)
    }
}

/// What kind of error, in words that carry nothing from the server or the request.
fn error_kind(e: &HttpsError) -> &'static str {
    match e {
        HttpsError::Connect(..) => "could not connect",
        HttpsError::ConnectTimeout(..) => "timed out connecting",
        HttpsError::RequestTimeout(_) => "timed out waiting for the answer",
        HttpsError::Handshake(_) => "the TLS handshake failed",
        HttpsError::Http(_) | HttpsError::Closed => "the connection broke",
        _ => "failed",
    }
}
