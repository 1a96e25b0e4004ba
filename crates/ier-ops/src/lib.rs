//! Operations: what operators see, and what keeps the service standing on
//! deadline day.
//!
//! - [`client`]: a small HTTP/1.1 client for calls out (S3, OpenID providers).
//! - [`metrics`]: the Prometheus metrics (requests, latencies, in-flight and
//!   shed requests, submissions, verification results, applications by stage,
//!   queue depths, errors), rendered in the text exposition format.
//! - [`observe`]: middleware giving every request an id (`X-Request-Id`, taken
//!   from the load balancer when it sends a well-formed one), a tracing span
//!   carrying it, one access-log line and its metrics. Routes are logged as
//!   their templates (`/v1/applications/{reference}`), never as paths or query
//!   strings, so no personal data reaches a log line.
//! - [`Gate`]: the overload gate. A bounded number of requests run at once;
//!   one that cannot start within a short wait is shed at once with 503 and
//!   `Retry-After` (each tier renders its own friendly answer), instead of
//!   queueing until everything times out. The service recovers by itself as
//!   soon as load falls, and nothing is ever half done: a shed request never
//!   reached a handler.
//! - [`Health`] and [`internal_router`]: liveness, readiness (the database
//!   answers, and the instance is not draining for shutdown) and `/metrics`,
//!   served on an internal listener that is never exposed to the internet.
//! - [`listener`]: the accept loop with header and body read timeouts, so clients trickling
//!   requests cannot hold connections open.

pub mod client;
pub mod listener;
pub mod metrics;
pub mod proxies;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use ier_storage::Store;
use tokio::sync::{Semaphore, SemaphorePermit};
use tracing::Instrument;

pub use metrics::{Tier, metrics};
pub use proxies::{TrustedProxies, limit_key, set_trusted_proxies, trusted_proxies};

/// The request id header, on every response.
pub const REQUEST_ID: &str = "x-request-id";

/// A request's id: from the load balancer's `X-Request-Id` when it comes
/// from a trusted proxy ([`proxies`]) and is a plausible id (1–64 characters
/// of `[A-Za-z0-9._-]`), otherwise a new UUID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

impl RequestId {
    fn of(req: &Request) -> Self {
        let peer = req.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip());
        let from_proxy = peer.is_some_and(|p| trusted_proxies().contains(p));
        let given = req.headers().get(REQUEST_ID).filter(|_| from_proxy).and_then(|v| v.to_str().ok()).filter(|s| {
            !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        });
        Self(given.map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned))
    }
}

/// An HTTP method as metrics and logs name it: one of the standard methods, or `other`.
pub fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

/// Middleware (with [`axum::middleware::from_fn_with_state`] and the tier):
/// request id, span, access log and metrics for every request.
pub async fn observe(State(tier): State<Tier>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = RequestId::of(&req);
    req.extensions_mut().insert(id.clone());
    let route = req.extensions().get::<MatchedPath>().map_or("(unmatched)", |p| p.as_str()).to_owned();
    // A closed set: a client may send any token as a method, and labels and logs must not grow with it.
    let method = method_label(req.method());
    let span = tracing::info_span!("request", id = %id.0, tier = tier.as_str(), method, route = %route);
    let m = metrics();
    // Counted down when the request ends however it ends (a client that hangs up drops it).
    let in_flight = InFlight::enter(m.in_flight(tier));
    let mut res = next.run(req).instrument(span.clone()).await;
    drop(in_flight);
    let elapsed = started.elapsed();
    let status = res.status().as_u16();
    m.observe_request(tier, &route, method, status, elapsed);
    if let Ok(v) = HeaderValue::from_str(&id.0) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    span.in_scope(|| {
        tracing::info!(target: "ier::access", status, ms = elapsed.as_secs_f64() * 1000.0, "request");
    });
    res
}

/// One request in the in-flight gauge, until dropped.
struct InFlight(prometheus_client::metrics::gauge::Gauge);

impl InFlight {
    fn enter(gauge: prometheus_client::metrics::gauge::Gauge) -> Self {
        gauge.inc();
        Self(gauge)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// The overload gate: at most `max_in_flight` requests at once; a request
/// that cannot start within `wait` is shed.
#[derive(Debug)]
pub struct Gate {
    permits: Semaphore,
    max_in_flight: usize,
    wait: Duration,
    /// What to tell a shed client in `Retry-After`.
    pub retry_after: Duration,
}

/// The gate's answer to a request it cannot take now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy {
    pub retry_after: Duration,
}

impl Gate {
    /// The defaults: 128 requests at once per instance, a quarter of a second's wait, retry
    /// after 5 seconds. A 2-core instance answers a page in a few milliseconds of CPU, so 128 at
    /// once is already a queue of tens of milliseconds: more in flight only adds latency (the load
    /// test at 1,024 never shed, and pages took seconds).
    pub const DEFAULT_MAX_IN_FLIGHT: usize = 128;
    pub const DEFAULT_WAIT: Duration = Duration::from_millis(250);

    pub fn new(max_in_flight: usize, wait: Duration) -> Self {
        let max_in_flight = max_in_flight.max(1);
        Self { permits: Semaphore::new(max_in_flight), max_in_flight, wait, retry_after: Duration::from_secs(5) }
    }

    /// Take a place, waiting at most the gate's wait; `Err` means shed.
    pub async fn enter(&self, tier: Tier) -> Result<SemaphorePermit<'_>, Busy> {
        let permit = match self.permits.try_acquire() {
            Ok(p) => Ok(p),
            Err(_) => match tokio::time::timeout(self.wait, self.permits.acquire()).await {
                Ok(Ok(p)) => Ok(p),
                _ => Err(Busy { retry_after: self.retry_after }),
            },
        };
        if permit.is_err() {
            metrics().shed(tier).inc();
        }
        permit
    }

    /// Take a place for a newcomer (someone not yet in a journey): only while more
    /// than a quarter of the places are free, and without waiting. Under overload
    /// the people already part-way through are served first and newcomers are
    /// turned away at the door, so the service keeps finishing applications instead
    /// of starting ones it cannot finish.
    pub fn enter_new(&self, tier: Tier) -> Result<SemaphorePermit<'_>, Busy> {
        let reserve = self.max_in_flight / 4;
        let permit = if self.permits.available_permits() > reserve {
            self.permits.try_acquire().map_err(|_| Busy { retry_after: self.retry_after })
        } else {
            Err(Busy { retry_after: self.retry_after })
        };
        if permit.is_err() {
            metrics().shed(tier).inc();
        }
        permit
    }

    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight
    }
}

impl Default for Gate {
    fn default() -> Self {
        Self::new(Self::DEFAULT_MAX_IN_FLIGHT, Self::DEFAULT_WAIT)
    }
}

impl Busy {
    /// The `Retry-After` header value, in whole seconds.
    pub fn header(&self) -> HeaderValue {
        HeaderValue::from(self.retry_after.as_secs().max(1))
    }

    /// A plain 503 with `Retry-After`, for callers with no page of their own.
    pub fn plain(&self) -> Response {
        let mut res = (StatusCode::SERVICE_UNAVAILABLE, "The service is busy: try again shortly.").into_response();
        res.headers_mut().insert(header::RETRY_AFTER, self.header());
        res
    }
}

/// Liveness and readiness of this instance.
#[derive(Clone, Default, Debug)]
pub struct Health {
    draining: Arc<AtomicBool>,
}

impl Health {
    /// Stop taking new work: readiness answers 503 so the load balancer moves
    /// traffic away before the instance stops.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    /// Ready: not draining, and the database answers within two seconds.
    pub async fn ready(&self, store: &Store) -> Response {
        if self.is_draining() {
            return (StatusCode::SERVICE_UNAVAILABLE, "draining").into_response();
        }
        match tokio::time::timeout(Duration::from_secs(2), store.backend().ping()).await {
            Ok(Ok(())) => "ready".into_response(),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "readiness check failed");
                metrics().error("readiness").inc();
                (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
            }
            Err(_) => {
                tracing::warn!("readiness check timed out");
                metrics().error("readiness").inc();
                (StatusCode::SERVICE_UNAVAILABLE, "database slow").into_response()
            }
        }
    }
}

#[derive(Clone)]
struct Internal {
    store: Store,
    health: Health,
    counts: Arc<tokio::sync::Mutex<Option<Instant>>>,
}

/// The internal listener's routes: `/metrics`, `/health/live`, `/health/ready`.
pub fn internal_router(store: Store, health: Health) -> Router {
    let state = Internal { store, health, counts: Arc::new(tokio::sync::Mutex::new(None)) };
    Router::new()
        .route("/metrics", get(scrape))
        .route("/health/live", get(|| async { "ok" }))
        .route("/health/ready", get(|State(s): State<Internal>| async move { s.health.ready(&s.store).await }))
        .with_state(state)
}

/// How often the database is asked for its counts, however often Prometheus scrapes.
const COUNTS_EVERY: Duration = Duration::from_secs(5);

async fn scrape(State(s): State<Internal>) -> Response {
    {
        // One scraper refreshes the counts at a time; the others use the last ones.
        let mut last = s.counts.lock().await;
        if last.is_none_or(|t| t.elapsed() >= COUNTS_EVERY) {
            let both = async {
                Ok::<_, ier_storage::StorageError>((
                    s.store.counts().await?,
                    s.store.job_stats(chrono::Utc::now()).await?,
                ))
            };
            match tokio::time::timeout(Duration::from_secs(5), both).await {
                Ok(Ok((counts, stats))) => {
                    metrics().set_counts(&counts);
                    metrics().set_queue_stats(&stats);
                }
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "counts for metrics unavailable");
                    metrics().error("metrics-counts").inc();
                }
                Err(_) => {
                    tracing::warn!("counts for metrics timed out");
                    metrics().error("metrics-counts").inc();
                }
            }
            *last = Some(Instant::now());
        }
    }
    metrics().sample_process();
    let mut res = metrics().render().into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    res
}

/// Wait for Ctrl-C or SIGTERM, then drain: readiness fails at once, and the
/// listeners stop after `drain` (time for the load balancer to notice).
pub async fn shutdown_signal(health: Health, drain: Duration) {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    health.start_draining();
    tracing::info!(seconds = drain.as_secs(), "draining before shutdown");
    tokio::time::sleep(drain).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use tower::ServiceExt;

    fn app() -> Router {
        Router::new()
            .route("/things/{id}", get(|| async { "thing" }))
            .layer(axum::middleware::from_fn_with_state(Tier::Public, observe))
    }

    /// The id a request from `peer` carrying `given` is answered with.
    async fn request_id_from(peer: &str, given: Option<&str>) -> String {
        set_trusted_proxies(TrustedProxies::parse("10.0.0.0/8").unwrap());
        let mut req = axum::http::Request::get("/things/42");
        if let Some(g) = given {
            req = req.header(REQUEST_ID, g);
        }
        let mut req = req.body(Body::empty()).unwrap();
        let peer: std::net::SocketAddr = format!("{peer}:40000").parse().unwrap();
        req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
        let res = app().oneshot(req).await.unwrap();
        res.headers().get(REQUEST_ID).expect("every response has an id").to_str().unwrap().to_owned()
    }

    async fn request_id(given: Option<&str>) -> String {
        request_id_from("10.0.0.1", given).await
    }

    #[tokio::test]
    async fn a_plausible_load_balancer_id_is_kept_and_anything_else_replaced() {
        assert_eq!(request_id(Some("lb-7f3a.1_x")).await, "lb-7f3a.1_x");
        for hostile in ["", "a b", "<script>", &"x".repeat(65), "name=Siân"] {
            let id = request_id(Some(hostile)).await;
            assert_ne!(id, hostile);
            assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
        }
        assert!(uuid::Uuid::parse_str(&request_id(None).await).is_ok());
        // From a client, not the trusted load balancer, even a plausible id is not believed.
        let id = request_id_from("203.0.113.9", Some("lb-7f3a.1_x")).await;
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    }

    #[tokio::test]
    async fn requests_are_counted_by_route_template_not_path() {
        app().oneshot(axum::http::Request::get("/things/1234567890").body(Body::empty()).unwrap()).await.unwrap();
        let text = metrics().render();
        assert!(
            text.contains(r#"ier_http_requests_total{tier="public",route="/things/{id}",method="GET",status="200"}"#),
            "{text}"
        );
        assert!(!text.contains("1234567890"), "paths never reach metrics");
        assert!(text.ends_with("# EOF\n"));
    }

    #[tokio::test]
    async fn any_method_a_client_invents_counts_as_other() {
        for i in 0..20 {
            let method = axum::http::Method::from_bytes(format!("X{}{i}", "Y".repeat(10_000)).as_bytes()).unwrap();
            let req = axum::http::Request::builder().method(method).uri("/things/1").body(Body::empty()).unwrap();
            app().oneshot(req).await.unwrap();
        }
        let text = metrics().render();
        assert!(!text.contains("YYYY"), "no invented method reaches the metrics");
        assert!(text.contains(r#"method="other""#), "{text}");
    }

    #[tokio::test]
    async fn the_gate_sheds_once_full_and_admits_again_when_a_place_frees() {
        let gate = Gate::new(1, Duration::from_millis(5));
        let before = metrics().render();
        let held = gate.enter(Tier::Ems).await.expect("a free place");
        assert_eq!(gate.enter(Tier::Ems).await.unwrap_err(), Busy { retry_after: Duration::from_secs(5) });
        assert_eq!(Busy { retry_after: Duration::from_secs(5) }.plain().status(), StatusCode::SERVICE_UNAVAILABLE);
        drop(held);
        assert!(gate.enter(Tier::Ems).await.is_ok());
        // Newcomers are turned away while only the last quarter of places is free.
        let gate = Gate::new(8, Duration::from_millis(5));
        let held: Vec<_> = (0..5).map(|_| gate.enter_new(Tier::Ems).expect("free places")).collect();
        let sixth = gate.enter_new(Tier::Ems).expect("3 of 8 free: more than a quarter");
        assert!(gate.enter_new(Tier::Ems).is_err(), "2 of 8 free: kept for journeys under way");
        assert!(gate.enter(Tier::Ems).await.is_ok(), "someone part-way through still gets in");
        drop((held, sixth));
        let shed = |t: &str| {
            t.lines()
                .find_map(|l| l.strip_prefix(r#"ier_http_shed_requests_total{tier="ems"} "#))
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap()
        };
        assert_eq!(shed(&metrics().render()), shed(&before) + 2);
    }

    #[test]
    fn draining_is_seen_by_readiness() {
        let h = Health::default();
        assert!(!h.is_draining());
        h.clone().start_draining();
        assert!(h.is_draining());
    }
}
