//! Serving HTTP/1.1 with the timeouts a public listener needs.
//!
//! A client that opens connections and trickles its request (a header a byte at a time, or a
//! body that never finishes) would otherwise hold a connection, a task and a file descriptor
//! for as long as it likes: a few hundred such clients take a listener down without ever
//! reaching the overload gate, which counts requests, not connections. So every connection
//! gets:
//!
//! - a **header timeout**: the whole request head (and, on a kept-alive connection, the wait
//!   for the next one) must arrive within [`Timeouts::header`], however it is trickled; then
//!   the connection is closed;
//! - a **body timeout**: the whole body must arrive within [`Timeouts::body`] of its head
//!   ([`BodyDeadline`]); when it does not, the handler's read fails, the answer becomes
//!   `408 Request Timeout` and the connection is closed after it.
//!
//! [`serve`] is the accept loop the public and internal listeners use (the EMS API's mutual-TLS
//! listener in `ier-pki` sets the same hyper options and wraps bodies with [`BodyDeadline`]).

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tower::ServiceExt;

/// How long a client may take to send its request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// From the start of waiting for a request (a new connection, or the end of the previous
    /// response on a kept-alive one) to its last header byte.
    pub header: Duration,
    /// From the request head to the body's last byte.
    pub body: Duration,
}

impl Default for Timeouts {
    /// 10 s for a head (a browser sends one in a single packet) and 30 s for a body (the
    /// largest accepted, 2 MB, at 70 KB/s).
    fn default() -> Self {
        Self { header: Duration::from_secs(10), body: Duration::from_secs(30) }
    }
}

/// A request body that must finish arriving by a deadline; past it, reading fails and the
/// request is marked so its answer becomes 408 ([`BodyDeadline::wrap`]).
pub struct BodyDeadline {
    inner: Body,
    sleep: Pin<Box<tokio::time::Sleep>>,
    expired: Arc<AtomicBool>,
}

/// Set on a request whose body did not arrive in time.
#[derive(Debug, Clone, Default)]
pub struct BodyExpired(Arc<AtomicBool>);

impl BodyExpired {
    /// Whether the body's deadline passed before it was read.
    pub fn expired(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

impl BodyDeadline {
    /// Gives `req` a body that fails if it has not all arrived within `limit` from now, and
    /// returns the flag that says so. The flag is also put in the request's extensions, so a
    /// tier's own middleware can answer a late body in its own words.
    pub fn wrap(req: Request, limit: Duration) -> (Request, BodyExpired) {
        let expired = BodyExpired::default();
        let flag = expired.0.clone();
        let mut req = req
            .map(|inner| Body::new(BodyDeadline { inner, sleep: Box::pin(tokio::time::sleep(limit)), expired: flag }));
        req.extensions_mut().insert(expired.clone());
        (req, expired)
    }
}

impl HttpBody for BodyDeadline {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        if self.sleep.as_mut().poll(cx).is_ready() {
            self.expired.store(true, Ordering::Relaxed);
            return Poll::Ready(Some(Err(axum::Error::new("the request body did not arrive in time"))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// Runs `router` for `req` with its body under `limit`; when the body did not arrive in time,
/// the answer (whatever the tier rendered for an unreadable body) becomes 408 and closes the
/// connection.
pub async fn with_body_deadline(router: Router, req: Request, limit: Duration) -> Response {
    let (req, expired) = BodyDeadline::wrap(req, limit);
    let mut res = match router.oneshot(req).await {
        Ok(res) => res,
        Err(never) => match never {},
    };
    if expired.expired() {
        // The tier may have answered in its own words already; either way it is a 408.
        *res.status_mut() = StatusCode::REQUEST_TIMEOUT;
        res.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    res
}

/// The hyper options every listener uses: a timer, and the header timeout.
pub fn http1_builder(timeouts: Timeouts) -> http1::Builder {
    let mut builder = http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(timeouts.header);
    builder
}

/// Serves `router` on `listener` until `shutdown` completes, each connection under
/// `timeouts`; the router sees the peer as `ConnectInfo<SocketAddr>`. On shutdown it stops
/// accepting, lets requests in flight finish (closing each connection after its current
/// request) and returns when all have closed, or after `drain` at most.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    timeouts: Timeouts,
    drain: Duration,
    shutdown: impl Future<Output = ()> + Send,
) {
    let (stop_tx, stop_rx) = watch::channel(false);
    let (done_tx, mut done_rx) = mpsc::channel::<()>(1);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => {
                    let _ = tcp.set_nodelay(true);
                    let router = router.clone();
                    let stop = stop_rx.clone();
                    let done = done_tx.clone();
                    tokio::spawn(async move {
                        connection(TokioIo::new(tcp), peer, router, timeouts, stop).await;
                        drop(done);
                    });
                }
                Err(e) => {
                    // Out of file descriptors and the like: back off, keep serving.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
        }
    }
    drop(listener);
    let _ = stop_tx.send(true);
    drop(done_tx);
    if tokio::time::timeout(drain, done_rx.recv()).await.is_err() {
        tracing::warn!("listener shut down with connections still open");
    }
}

async fn connection(
    io: TokioIo<tokio::net::TcpStream>,
    peer: SocketAddr,
    router: Router,
    timeouts: Timeouts,
    mut stop: watch::Receiver<bool>,
) {
    let service = service_fn(move |mut req: Request<hyper::body::Incoming>| {
        let router = router.clone();
        async move {
            req.extensions_mut().insert(ConnectInfo(peer));
            Ok::<_, Infallible>(with_body_deadline(router, req.map(Body::new), timeouts.body).await)
        }
    });
    let conn = http1_builder(timeouts).serve_connection(io, service);
    tokio::pin!(conn);
    let mut closing = *stop.borrow();
    if closing {
        conn.as_mut().graceful_shutdown();
    }
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                break;
            }
            _ = stop.changed(), if !closing => {
                closing = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::{get, post};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn start(timeouts: Timeouts) -> SocketAddr {
        let router =
            Router::new().route("/", get(|| async { "hello" })).route("/echo", post(|body: Bytes| async move { body }));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(serve(listener, router, timeouts, Duration::from_secs(1), std::future::pending()));
        addr
    }

    /// Reads until the server closes the connection, or gives up after `within`.
    async fn closed_within(tcp: &mut tokio::net::TcpStream, within: Duration) -> Option<Vec<u8>> {
        let mut got = Vec::new();
        let mut buf = [0u8; 1024];
        tokio::time::timeout(within, async {
            loop {
                match tcp.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
            }
        })
        .await
        .ok()
        .map(|()| got)
    }

    const SHORT: Timeouts = Timeouts { header: Duration::from_millis(400), body: Duration::from_millis(400) };

    #[tokio::test]
    async fn a_request_trickled_a_byte_at_a_time_is_cut_off_at_the_header_timeout() {
        let addr = start(SHORT).await;
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (mut reader, mut writer) = tcp.into_split();
        // A header a byte every 50 ms would take 3.5 s; the server gives it 0.4 s.
        tokio::spawn(async move {
            for b in [b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ".as_slice(), &[b'a'; 40]].concat() {
                if writer.write_all(&[b]).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
        let started = std::time::Instant::now();
        let mut buf = [0u8; 64];
        let end = tokio::time::timeout(Duration::from_secs(3), reader.read(&mut buf)).await;
        assert!(matches!(end, Ok(Ok(0) | Err(_))), "still open, or answered: {end:?}");
        assert!(started.elapsed() < Duration::from_secs(2), "closed only after {:?}", started.elapsed());
    }

    #[tokio::test]
    async fn a_silent_connection_and_an_idle_kept_alive_one_are_closed() {
        let addr = start(SHORT).await;
        let mut silent = tokio::net::TcpStream::connect(addr).await.unwrap();
        assert!(closed_within(&mut silent, Duration::from_secs(3)).await.is_some(), "silent connection still open");

        let mut kept = tokio::net::TcpStream::connect(addr).await.unwrap();
        kept.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
        let got = closed_within(&mut kept, Duration::from_secs(3)).await.expect("idle connection still open");
        assert!(String::from_utf8_lossy(&got).starts_with("HTTP/1.1 200"), "the request was answered first");
    }

    #[tokio::test]
    async fn a_body_that_never_finishes_gets_408_and_the_connection_closes() {
        let addr = start(SHORT).await;
        let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        tcp.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly some").await.unwrap();
        let got = closed_within(&mut tcp, Duration::from_secs(3)).await.expect("still open");
        let text = String::from_utf8_lossy(&got);
        assert!(text.starts_with("HTTP/1.1 408"), "{text}");
        assert!(text.to_ascii_lowercase().contains("connection: close"), "{text}");
    }

    #[tokio::test]
    async fn ordinary_requests_are_unaffected() {
        let addr = start(Timeouts::default()).await;
        let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        tcp.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")
            .await
            .unwrap();
        let got = closed_within(&mut tcp, Duration::from_secs(3)).await.unwrap();
        let text = String::from_utf8_lossy(&got);
        assert!(text.starts_with("HTTP/1.1 200") && text.ends_with("hello"), "{text}");
    }
}
