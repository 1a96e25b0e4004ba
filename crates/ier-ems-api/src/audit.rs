//! The audit of every API access: who (ERO and certificate serial), what
//! (method, route template, target id, status, items returned), when, and a
//! request id; never personal data. Records go through a bounded queue to a
//! writer that stores them in batches, so auditing adds no database round trip
//! to a request; when the queue is full, requests wait rather than go unrecorded.

use std::time::Duration;

use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use ier_pki::Caller;
use ier_storage::{ApiAccess, Store};
use tokio::sync::{mpsc, oneshot};

/// Added to a response by a handler: how many items it returned or touched.
#[derive(Debug, Clone, Copy)]
pub struct Items(pub u32);

enum Message {
    Record(ApiAccess),
    Flush(oneshot::Sender<()>),
}

/// Where handlers' accesses are recorded. Cheap to clone.
#[derive(Clone)]
pub struct AuditSink {
    tx: mpsc::Sender<Message>,
}

/// Records written in one batch at most.
const BATCH: usize = 500;

impl AuditSink {
    /// Start the writer on the current runtime.
    pub fn spawn(store: Store) -> Self {
        let (tx, mut rx) = mpsc::channel::<Message>(10_000);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(BATCH);
            let mut waiting: Vec<oneshot::Sender<()>> = Vec::new();
            loop {
                let Some(first) = rx.recv().await else { break };
                let mut next = Some(first);
                // Take whatever else is queued, up to a batch.
                while let Some(m) = next {
                    match m {
                        Message::Record(a) => batch.push(a),
                        Message::Flush(done) => waiting.push(done),
                    }
                    next = if batch.len() < BATCH { rx.try_recv().ok() } else { None };
                }
                write(&store, &mut batch).await;
                for done in waiting.drain(..) {
                    let _ = done.send(());
                }
            }
            write(&store, &mut batch).await;
        });
        Self { tx }
    }

    async fn record(&self, access: ApiAccess) {
        if self.tx.send(Message::Record(access)).await.is_err() {
            tracing::error!("audit writer has stopped: an API access went unrecorded");
        }
    }

    /// Wait until everything recorded so far is stored.
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Message::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }
}

async fn write(store: &Store, batch: &mut Vec<ApiAccess>) {
    if batch.is_empty() {
        return;
    }
    let mut delay = Duration::from_millis(50);
    for attempt in 1..=5 {
        match store.record_api_access(batch).await {
            Ok(()) => {
                batch.clear();
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, attempt, records = batch.len(), "audit write failed; retrying");
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
        }
    }
    tracing::error!(records = batch.len(), "audit records could not be stored");
    batch.clear();
}

/// The request id header: ours, on every response.
pub const REQUEST_ID: &str = "x-request-id";

/// Middleware: give the request an id, run it, and record the access.
pub async fn record(State(sink): State<AuditSink>, req: Request, next: Next) -> Response {
    // The same id as the access log's (set by `ier_ops::observe`), so an audit record leads to its log lines.
    let request_id = req
        .extensions()
        .get::<ier_ops::RequestId>()
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), |id| id.0.clone());
    let method = ier_ops::method_label(req.method()).to_owned();
    let route = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned());
    let caller = req.extensions().get::<Caller>().cloned();
    // The target: the path's last variable segment (a reference number or check id), never a query.
    let target = route.as_deref().and_then(|r| target_of(r, req.uri().path()));
    let mut res = next.run(req).await;
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    if let Some(caller) = caller {
        let items = res.extensions().get::<Items>().map(|i| i.0);
        sink.record(ApiAccess {
            at: chrono::Utc::now(),
            request_id,
            ero_id: caller.ero,
            certificate_serial: caller.serial.to_string(),
            method,
            route: route.unwrap_or_else(|| "(no route)".into()),
            target,
            status: res.status().as_u16(),
            items,
        })
        .await;
    }
    res
}

/// The value of a route's `{variable}` segment in a path (at most 64 characters).
fn target_of(route: &str, path: &str) -> Option<String> {
    route
        .split('/')
        .zip(path.split('/'))
        .filter(|(r, _)| r.starts_with('{'))
        .map(|(_, p)| p.chars().take(64).collect())
        .next()
}

#[cfg(test)]
mod tests {
    #[test]
    fn targets_come_from_the_route_template() {
        assert_eq!(
            super::target_of("/v1/applications/{reference}/receipt", "/v1/applications/B7K2M9QXTR/receipt"),
            Some("B7K2M9QXTR".into())
        );
        assert_eq!(super::target_of("/v1/applications", "/v1/applications"), None);
    }
}
