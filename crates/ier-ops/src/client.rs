//! A small HTTP/1.1 client for the service's calls out to other systems (an S3
//! bucket, a council's OpenID provider): one request on a new connection, over
//! TLS for `https://` (rustls with ring, the Mozilla roots, TLS 1.2 or 1.3) or
//! plain for `http://` (a local test server), with a time limit on the whole
//! exchange and a size limit on the answer. Calls out are rare (a few a
//! sign-in, a few an evidence file), so connections are not pooled.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use rustls::pki_types::ServerName;
use tokio_rustls::TlsConnector;

/// A server to send requests to: its host and port, and TLS unless it is `http://`.
#[derive(Clone)]
pub struct Target {
    host: String,
    port: u16,
    /// `host[:port]`, as the `Host` header says it.
    authority: String,
    tls: Option<(TlsConnector, ServerName<'static>)>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Target({})", self.authority)
    }
}

/// Why a URL cannot be a target.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("the URL must be https:// (or http:// for a local test server) with a host")]
    Url,
    #[error("TLS: {0}")]
    Tls(String),
}

impl Target {
    /// The server of an `https://` or `http://` URL.
    pub fn of(url: &url::Url) -> Result<Self, TargetError> {
        let https = match url.scheme() {
            "https" => true,
            "http" => false,
            _ => return Err(TargetError::Url),
        };
        let host = url.host_str().filter(|h| !h.is_empty()).ok_or(TargetError::Url)?.to_owned();
        let port = url.port_or_known_default().ok_or(TargetError::Url)?;
        let authority = match url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.clone(),
        };
        let tls = if https {
            let name = ServerName::try_from(host.trim_start_matches('[').trim_end_matches(']').to_owned())
                .map_err(|_| TargetError::Url)?;
            Some((TlsConnector::from(Arc::new(tls_config()?)), name))
        } else {
            None
        };
        Ok(Self { host, port, authority, tls })
    }

    /// Whether requests go over TLS.
    pub fn is_https(&self) -> bool {
        self.tls.is_some()
    }

    /// Send one request (to `url`'s path and query; its server must be this one) and read the
    /// answer, at most `limit` bytes of it, all within `timeout`.
    pub async fn send(
        &self,
        method: Method,
        url: &url::Url,
        headers: &[(HeaderName, HeaderValue)],
        body: Bytes,
        limit: usize,
        timeout: Duration,
    ) -> std::io::Result<(StatusCode, Bytes)> {
        tokio::time::timeout(timeout, self.send_now(method, url, headers, body, limit)).await.map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::TimedOut, format!("{} did not answer in time", self.authority))
        })?
    }

    async fn send_now(
        &self,
        method: Method,
        url: &url::Url,
        headers: &[(HeaderName, HeaderValue)],
        body: Bytes,
        limit: usize,
    ) -> std::io::Result<(StatusCode, Bytes)> {
        let tcp = tokio::net::TcpStream::connect((self.host.trim_start_matches('[').trim_end_matches(']'), self.port))
            .await?;
        let _ = tcp.set_nodelay(true);
        let mut sender = match &self.tls {
            Some((connector, name)) => handshake(connector.connect(name.clone(), tcp).await?).await?,
            None => handshake(tcp).await?,
        };
        let path_and_query = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        let mut request = Request::builder()
            .method(method)
            .uri(path_and_query)
            .header(http::header::HOST, self.authority.as_str())
            .header(http::header::CONTENT_LENGTH, body.len());
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let request = request.body(Full::new(body)).map_err(std::io::Error::other)?;
        let response = sender.send_request(request).await.map_err(std::io::Error::other)?;
        let status = response.status();
        let body = Limited::new(response.into_body(), limit)
            .collect()
            .await
            .map_err(|e| std::io::Error::other(format!("reading the answer of {}: {e}", self.authority)))?
            .to_bytes();
        Ok((status, body))
    }
}

/// HTTP/1.1 on a new connection, driven by its own task.
async fn handshake<T>(io: T) -> std::io::Result<hyper::client::conn::http1::SendRequest<Full<Bytes>>>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(io)).await.map_err(std::io::Error::other)?;
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!(error = %e, "an outgoing connection failed");
        }
    });
    Ok(sender)
}

/// TLS 1.2 or 1.3 with ring, trusting the Mozilla roots, offering HTTP/1.1: every call out
/// (GOV.UK Notify's client keeps its own connections but shares this).
pub fn tls_config() -> Result<rustls::ClientConfig, TargetError> {
    let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| TargetError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}
