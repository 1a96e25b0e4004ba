//! The production [`Notifier`]: a client for GOV.UK Notify's REST API v2
//! (<https://docs.notifications.service.gov.uk/rest-api.html>).
//!
//! - **Authentication.** The API key, `{key_name}-{service_id}-{secret}`, is
//!   split once, when the client is made; every request then carries a JWT
//!   made for it (HS256, keyed with the secret; `iss` the service id, `iat`
//!   now), as Notify refuses a token more than 30 seconds old.
//! - **Sending.** `POST /v2/notifications/{email,sms,letter}`; a letter's
//!   address goes in `personalisation` as `address_line_1` to
//!   `address_line_7` (three to seven lines, checked before asking Notify).
//!   **Finding** a message already sent: `GET /v2/notifications?reference=`.
//! - **Errors.** 400 is [`NotifyError::Rejected`], 403
//!   [`NotifyError::Unauthorised`], 429 [`NotifyError::RateLimited`] (with
//!   `Retry-After`, if given); anything else, no answer within the timeout
//!   (30 s) or no connection is [`NotifyError::Unavailable`]. Only the status
//!   and Notify's error class are kept: its messages can quote what was sent.
//!   Request and response bodies are never logged.
//! - **Connections.** HTTP/1.1 over TLS (`https://`, trusting the Mozilla
//!   roots of `webpki-roots`), or plain HTTP (`http://`, for a local fake in
//!   tests). At most [`MAX_CONNECTIONS`] at once, kept alive between requests
//!   and shared by every task using the client; one closed (or idle too long)
//!   is replaced by a new one.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::client::conn::http1::SendRequest;
use ring::hmac;
use rustls::pki_types::ServerName;
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tokio_rustls::TlsConnector;

use crate::{Notification, Notifier, NotifyError, Recipient, Sent};

/// Notify's production API.
pub const DEFAULT_BASE_URL: &str = "https://api.notifications.service.gov.uk";

/// How long one request may take, connecting included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Connections open to Notify at once; more concurrent requests wait for one.
pub const MAX_CONNECTIONS: usize = 8;

/// A kept-alive connection unused for longer is closed rather than reused
/// (a server or load balancer may close it at any moment after a while).
const IDLE_FOR: Duration = Duration::from_secs(30);

/// The largest answer read (a page of 250 notifications, with their text).
const MAX_ANSWER: usize = 8 * 1024 * 1024;

const USER_AGENT: &str = concat!("NOTIFY-API-RUST-CLIENT/ier-", env!("CARGO_PKG_VERSION"));

/// A letter's address: Notify wants three to seven lines.
const ADDRESS_LINES: std::ops::RangeInclusive<usize> = 3..=7;

/// Why a client could not be made. Never quotes the key (nor the base URL,
/// in case the two were swapped).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("a GOV.UK Notify API key is {{key_name}}-{{service_id}}-{{secret}}, and this one is not")]
    Shape,
    #[error("the API key's service id is not a UUID")]
    ServiceId,
    #[error("the API key's secret is not a UUID")]
    Secret,
    #[error("the GOV.UK Notify base URL must be https://HOST[:PORT] (or http:// for a local test server)")]
    BaseUrl,
    #[error("setting up TLS: {0}")]
    Tls(String),
}

/// A client for GOV.UK Notify. Cheap to share (`Arc`), safe to use from many
/// tasks at once.
pub struct GovukNotify {
    service_id: String,
    key: hmac::Key,
    base_url: String,
    endpoint: Endpoint,
    timeout: Duration,
    permits: Semaphore,
    idle: Mutex<Vec<Idle>>,
}

/// Where requests go.
struct Endpoint {
    /// For connecting (an IPv6 address without its brackets).
    host: String,
    port: u16,
    /// For the `Host` header.
    authority: String,
    /// A path the API is under, if any (no trailing `/`).
    prefix: String,
    tls: Option<(TlsConnector, ServerName<'static>)>,
}

/// A kept-alive connection waiting for its next request.
struct Idle {
    sender: SendRequest<Full<Bytes>>,
    since: Instant,
}

/// The key's secret and identity stay out: only the service and where it sends.
impl fmt::Debug for GovukNotify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GovukNotify")
            .field("service_id", &self.service_id)
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl GovukNotify {
    /// A client for the service whose API key this is (`{key_name}-{service_id}-{secret}`),
    /// sending to `base_url` (usually [`DEFAULT_BASE_URL`]).
    pub fn new(api_key: &str, base_url: &str) -> Result<Self, KeyError> {
        let (service_id, secret) = split_key(api_key)?;
        let endpoint = Endpoint::parse(base_url)?;
        Ok(Self {
            service_id: service_id.to_owned(),
            key: hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes()),
            base_url: base_url.trim().trim_end_matches('/').to_owned(),
            endpoint,
            timeout: DEFAULT_TIMEOUT,
            permits: Semaphore::new(MAX_CONNECTIONS),
            idle: Mutex::new(Vec::new()),
        })
    }

    /// The same client with another limit on each request ([`DEFAULT_TIMEOUT`] otherwise).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The service the key belongs to.
    pub fn service_id(&self) -> &str {
        &self.service_id
    }

    /// A token for one request: `{"typ":"JWT","alg":"HS256"}`, `{"iss": service id, "iat": now}`.
    fn token(&self) -> String {
        let iat = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
        let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"HS256"}"#);
        let claims = URL_SAFE_NO_PAD.encode(json!({ "iss": self.service_id, "iat": iat }).to_string());
        let signed = format!("{header}.{claims}");
        let signature = hmac::sign(&self.key, signed.as_bytes());
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()))
    }

    /// One request, within the timeout: the status, the `Retry-After` header and the body.
    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Answer, NotifyError> {
        let started = Instant::now();
        let answer = match tokio::time::timeout(self.timeout, self.exchange(method.clone(), path, query, body)).await {
            Ok(answer) => answer,
            Err(_) => Err(NotifyError::Unavailable(format!("no answer within {} ms", self.timeout.as_millis()))),
        };
        // The path only: a query's reference is free of personal data, but needs no logging.
        match &answer {
            Ok(a) => {
                tracing::debug!(%method, path, status = a.status.as_u16(), ms = started.elapsed().as_millis() as u64, "GOV.UK Notify")
            }
            Err(e) => {
                tracing::debug!(%method, path, error = %e, ms = started.elapsed().as_millis() as u64, "GOV.UK Notify")
            }
        }
        answer
    }

    async fn exchange(
        &self,
        method: Method,
        path: &str,
        query: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Answer, NotifyError> {
        let _permit =
            self.permits.acquire().await.map_err(|_| NotifyError::Unavailable("the client is shut".into()))?;
        let (mut sender, mut reused) = match self.reuse().await {
            Some(sender) => (sender, true),
            None => (self.connect().await?, false),
        };
        // The token is made once there is a connection to send it on.
        let mut auth = HeaderValue::try_from(format!("Bearer {}", self.token()))
            .map_err(|_| NotifyError::Unavailable("the token is not a header value".into()))?;
        auth.set_sensitive(true);
        let mut req = Request::builder()
            .method(method)
            .uri(format!("{}{path}{query}", self.endpoint.prefix))
            .header(header::HOST, &self.endpoint.authority)
            .header(header::AUTHORIZATION, auth)
            .header(header::USER_AGENT, USER_AGENT)
            .header(header::ACCEPT, "application/json");
        if body.is_some() {
            req = req.header(header::CONTENT_TYPE, "application/json");
        }
        let mut req = req
            .body(Full::new(body.map(Bytes::from).unwrap_or_default()))
            .map_err(|_| NotifyError::Unavailable("the request could not be made".into()))?;
        let res = loop {
            match sender.try_send_request(req).await {
                Ok(res) => break res,
                Err(mut e) => match e.take_message() {
                    // A kept-alive connection closed before the request went out: once more on a new one.
                    Some(unsent) if reused => {
                        req = unsent;
                        sender = self.connect().await?;
                        reused = false;
                    }
                    _ => return Err(NotifyError::Unavailable(format!("HTTP: {}", e.into_error()))),
                },
            }
        };
        let status = res.status();
        let retry_after = res
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = Limited::new(res.into_body(), MAX_ANSWER)
            .collect()
            .await
            .map_err(|e| NotifyError::Unavailable(format!("reading the answer: {e}")))?
            .to_bytes();
        if !sender.is_closed() {
            self.idle.lock().expect("not poisoned").push(Idle { sender, since: Instant::now() });
        }
        Ok(Answer { status, retry_after, body })
    }

    /// The most recently used kept-alive connection still open, if any.
    async fn reuse(&self) -> Option<SendRequest<Full<Bytes>>> {
        loop {
            let idle = {
                let mut idle = self.idle.lock().expect("not poisoned");
                idle.retain(|i| i.since.elapsed() <= IDLE_FOR && !i.sender.is_closed());
                idle.pop()?
            };
            let mut sender = idle.sender;
            // Ready at once unless the server closed it (then an error, and the next one is tried).
            if sender.ready().await.is_ok() {
                return Some(sender);
            }
        }
    }

    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>, NotifyError> {
        let at = &self.endpoint.authority;
        let tcp = tokio::net::TcpStream::connect((self.endpoint.host.as_str(), self.endpoint.port))
            .await
            .map_err(|e| NotifyError::Unavailable(format!("connecting to {at}: {e}")))?;
        let _ = tcp.set_nodelay(true);
        match &self.endpoint.tls {
            Some((tls, name)) => {
                let tls = tls
                    .connect(name.clone(), tcp)
                    .await
                    .map_err(|e| NotifyError::Unavailable(format!("TLS with {at}: {e}")))?;
                handshake(tls).await
            }
            None => handshake(tcp).await,
        }
    }

    fn post(recipient: &Recipient) -> &'static str {
        match recipient {
            Recipient::Email(_) => "/v2/notifications/email",
            Recipient::Sms(_) => "/v2/notifications/sms",
            Recipient::Letter(_) => "/v2/notifications/letter",
        }
    }
}

/// HTTP/1.1 on a new connection, driven by its own task.
async fn handshake<T>(io: T) -> Result<SendRequest<Full<Bytes>>, NotifyError>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(io))
        .await
        .map_err(|e| NotifyError::Unavailable(format!("HTTP: {e}")))?;
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!(error = %e, "a GOV.UK Notify connection failed");
        }
    });
    Ok(sender)
}

struct Answer {
    status: StatusCode,
    retry_after: Option<Duration>,
    body: Bytes,
}

impl Answer {
    /// The answer's JSON if it succeeded, else the error it means.
    fn success(self) -> Result<Value, NotifyError> {
        let status = self.status.as_u16();
        if self.status.is_success() {
            return serde_json::from_slice(&self.body).map_err(|_| {
                NotifyError::Unavailable(format!("GOV.UK Notify answered {status} with something not JSON"))
            });
        }
        let class = error_class(&self.body);
        Err(match status {
            400 => NotifyError::Rejected { status, error: class.unwrap_or_else(|| "BadRequestError".into()) },
            403 => NotifyError::Unauthorised { error: class.unwrap_or_else(|| "AuthError".into()) },
            429 => NotifyError::RateLimited { retry_after: self.retry_after },
            _ => NotifyError::Unavailable(match class {
                Some(class) => format!("{status} {class}"),
                None => status.to_string(),
            }),
        })
    }
}

/// The first error's class (`{"errors":[{"error":"BadRequestError","message":…}]}`), if it
/// looks like one: a name, nothing that could be a quotation.
fn error_class(body: &[u8]) -> Option<String> {
    let body: Value = serde_json::from_slice(body).ok()?;
    let class = body.get("errors")?.as_array()?.first()?.get("error")?.as_str()?;
    let plausible =
        !class.is_empty() && class.len() <= 64 && class.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    plausible.then(|| class.to_owned())
}

/// Splits `{key_name}-{service_id}-{secret}` into the service id and secret.
fn split_key(api_key: &str) -> Result<(&str, &str), KeyError> {
    const UUID: usize = 36;
    let key = api_key.trim();
    // A name of at least one character, '-', the service id, '-', the secret.
    let len = key.len();
    if len < 2 * UUID + 3 || !key.is_char_boundary(len - UUID) || !key.is_char_boundary(len - 2 * UUID - 2) {
        return Err(KeyError::Shape);
    }
    let bytes = key.as_bytes();
    if bytes[len - UUID - 1] != b'-' || bytes[len - 2 * UUID - 2] != b'-' {
        return Err(KeyError::Shape);
    }
    let secret = &key[len - UUID..];
    let service_id = &key[len - 2 * UUID - 1..len - UUID - 1];
    if !is_uuid(service_id) {
        return Err(KeyError::ServiceId);
    }
    if !is_uuid(secret) {
        return Err(KeyError::Secret);
    }
    Ok((service_id, secret))
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, hexadecimal.
fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

impl Endpoint {
    /// `https://host[:port][/prefix]` or `http://…`.
    fn parse(base_url: &str) -> Result<Self, KeyError> {
        let url = base_url.trim().trim_end_matches('/');
        let (tls, rest) = if let Some(rest) = url.strip_prefix("https://") {
            (true, rest)
        } else if let Some(rest) = url.strip_prefix("http://") {
            (false, rest)
        } else {
            return Err(KeyError::BaseUrl);
        };
        let (authority, prefix) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        if authority.is_empty()
            || authority.contains(['@', '?', '#'])
            || prefix.contains(['?', '#'])
            || !authority.is_ascii()
            || !prefix.is_ascii()
            || prefix.contains(|c: char| c.is_ascii_whitespace() || c.is_ascii_control())
        {
            return Err(KeyError::BaseUrl);
        }
        let default_port = if tls { 443 } else { 80 };
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6.split_once(']').ok_or(KeyError::BaseUrl)?;
            match after {
                "" => (host, default_port),
                _ => (host, after.strip_prefix(':').and_then(|p| p.parse().ok()).ok_or(KeyError::BaseUrl)?),
            }
        } else {
            match authority.rsplit_once(':') {
                Some((host, port)) => (host, port.parse().map_err(|_| KeyError::BaseUrl)?),
                None => (authority, default_port),
            }
        };
        if host.is_empty() {
            return Err(KeyError::BaseUrl);
        }
        let tls = if tls {
            let name = ServerName::try_from(host.to_owned()).map_err(|_| KeyError::BaseUrl)?;
            Some((TlsConnector::from(Arc::new(tls_config()?)), name))
        } else {
            None
        };
        Ok(Self { host: host.to_owned(), port, authority: authority.to_owned(), prefix: prefix.to_owned(), tls })
    }
}

/// The service's TLS for calls out ([`ier_ops::client::tls_config`]).
fn tls_config() -> Result<rustls::ClientConfig, KeyError> {
    ier_ops::client::tls_config().map_err(|e| KeyError::Tls(e.to_string()))
}

/// Percent-encodes all but the unreserved characters (RFC 3986), for a query value.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The JSON Notify wants for a message; a letter's address invalid for Notify is refused here.
fn request_body(notification: &Notification) -> Result<Value, NotifyError> {
    let mut personalisation = notification.personalisation.clone();
    let mut body = serde_json::Map::new();
    match &notification.recipient {
        Recipient::Email(address) => {
            body.insert("email_address".into(), address.clone().into());
        }
        Recipient::Sms(number) => {
            body.insert("phone_number".into(), number.clone().into());
        }
        Recipient::Letter(lines) => {
            let lines: Vec<&str> = lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty()).collect();
            if !ADDRESS_LINES.contains(&lines.len()) {
                return Err(NotifyError::Rejected { status: 400, error: "ValidationError".into() });
            }
            // The address is the recipient's alone: no stray line from elsewhere.
            for n in 1..=*ADDRESS_LINES.end() {
                personalisation.remove(&format!("address_line_{n}"));
            }
            for (i, line) in lines.into_iter().enumerate() {
                personalisation.insert(format!("address_line_{}", i + 1), line.to_owned());
            }
        }
    }
    body.insert("template_id".into(), notification.template_id.clone().into());
    body.insert("personalisation".into(), json!(personalisation));
    body.insert("reference".into(), notification.reference.clone().into());
    Ok(Value::Object(body))
}

#[async_trait]
impl Notifier for GovukNotify {
    async fn send(&self, notification: &Notification) -> Result<Sent, NotifyError> {
        let body = request_body(notification)?;
        let body = serde_json::to_vec(&body).map_err(|_| NotifyError::Unavailable("encoding the request".into()))?;
        let answer = self.call(Method::POST, Self::post(&notification.recipient), "", Some(body)).await?;
        let json = answer.success()?;
        match json.get("id").and_then(Value::as_str) {
            Some(id) => Ok(Sent { id: id.to_owned() }),
            None => Err(NotifyError::Unavailable("GOV.UK Notify's answer had no notification id".into())),
        }
    }

    async fn find(&self, reference: &str) -> Result<Option<Sent>, NotifyError> {
        let query = format!("?reference={}", percent_encode(reference));
        let json = self.call(Method::GET, "/v2/notifications", &query, None).await?.success()?;
        let notifications = json
            .get("notifications")
            .and_then(Value::as_array)
            .ok_or_else(|| NotifyError::Unavailable("GOV.UK Notify's answer had no notifications".into()))?;
        Ok(notifications
            .iter()
            .filter(|n| n.get("reference").and_then(Value::as_str) == Some(reference))
            .find_map(|n| n.get("id").and_then(Value::as_str))
            .map(|id| Sent { id: id.to_owned() }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "my-test-key-1f0e3c5a-6d2b-4b8e-9a71-0c2d4e6f8a1b-9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";

    #[test]
    fn splits_a_key_whose_name_has_hyphens() {
        assert_eq!(
            split_key(KEY),
            Ok(("1f0e3c5a-6d2b-4b8e-9a71-0c2d4e6f8a1b", "9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"))
        );
    }

    #[test]
    fn percent_encodes_all_but_unreserved() {
        assert_eq!(percent_encode("A-1 b&c=d/é~._"), "A-1%20b%26c%3Dd%2F%C3%A9~._");
    }

    #[test]
    fn parses_base_urls() {
        let e = Endpoint::parse("http://127.0.0.1:8080/").unwrap();
        assert_eq!(
            (e.host.as_str(), e.port, e.authority.as_str(), e.prefix.as_str()),
            ("127.0.0.1", 8080, "127.0.0.1:8080", "")
        );
        let e = Endpoint::parse("http://[::1]:9/notify").unwrap();
        assert_eq!(
            (e.host.as_str(), e.port, e.authority.as_str(), e.prefix.as_str()),
            ("::1", 9, "[::1]:9", "/notify")
        );
        let e = Endpoint::parse(DEFAULT_BASE_URL).unwrap();
        assert_eq!((e.host.as_str(), e.port, e.tls.is_some()), ("api.notifications.service.gov.uk", 443, true));
        for bad in [
            "",
            "api.notifications.service.gov.uk",
            "ftp://x",
            "https://",
            "https://:443",
            "http://h:port",
            "http://u@h",
            "http://h/?q",
        ] {
            assert!(Endpoint::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn error_classes_are_names_only() {
        assert_eq!(
            error_class(br#"{"errors":[{"error":"BadRequestError","message":"x"}]}"#).as_deref(),
            Some("BadRequestError")
        );
        assert_eq!(error_class(br#"{"errors":[{"error":"jane@example.com"}]}"#), None);
        assert_eq!(error_class(b"<html>"), None);
    }
}
