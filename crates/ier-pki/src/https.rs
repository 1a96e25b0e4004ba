//! A mutual-TLS HTTP/1.1 client for the EMS API: one kept-alive connection,
//! re-made when the server closes it. Used by the reference EMS client
//! (`ier ems poll`) and the API's benchmarks. A certificate refused at the
//! handshake is reported as such ([`HttpsError::CertificateRefused`]).

use std::sync::Arc;

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
}

/// One connection to one server.
pub struct HttpsClient {
    host: String,
    port: u16,
    tls: TlsConnector,
    conn: Option<SendRequest<Full<Bytes>>>,
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
        Ok(Self { host, port, tls: TlsConnector::from(Arc::new(config)), conn: None })
    }

    async fn connect(&mut self) -> Result<&mut SendRequest<Full<Bytes>>, HttpsError> {
        if self.conn.as_ref().is_none_or(|c| c.is_closed()) {
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
            self.conn = Some(sender);
        }
        Ok(self.conn.as_mut().expect("connected"))
    }

    /// One request; a JSON body when `json` is given. Returns the status and body.
    pub async fn call(&mut self, method: &str, path: &str, json: Option<Vec<u8>>) -> Result<(u16, Bytes), HttpsError> {
        for attempt in 0..2 {
            let mut req = http::Request::builder()
                .method(method)
                .uri(path)
                .header(http::header::HOST, format!("{}:{}", self.host, self.port));
            if json.is_some() {
                req = req.header(http::header::CONTENT_TYPE, "application/json");
            }
            let req = req.body(Full::new(json.clone().map(Bytes::from).unwrap_or_default()))?;
            let sender = self.connect().await?;
            match sender.send_request(req).await {
                Ok(res) => {
                    let status = res.status().as_u16();
                    let body = res.into_body().collect().await?.to_bytes();
                    return Ok((status, body));
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
