//! A stand-in for GOV.UK Notify's REST API, for the crash test and the drain
//! benchmark: `ier serve`'s real Notify client talks to it over HTTP. It
//! accepts `POST /v2/notifications/{email,sms,letter}` (201 with an id),
//! answers `GET /v2/notifications?reference=` as Notify does, and counts every
//! message by its `reference`, so a test can tell a message sent twice from one
//! sent once. Like Notify it allows a service so many messages a minute
//! (a sliding minute; 429 past it), and counts its refusals.
//! (The client's JWTs and request bodies are checked by `ier-notify`'s own tests.)

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;

#[derive(Default)]
struct State {
    /// Messages accepted, by reference.
    by_reference: HashMap<String, u32>,
    /// When each accepted message came, for rates and the per-minute limit.
    times: VecDeque<Instant>,
    accepted: u64,
    refused: u64,
    next_id: u64,
}

/// A running fake Notify.
#[derive(Clone)]
pub struct FakeNotify {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

/// The API key the fake is given: the right shape, never a real secret.
pub const API_KEY: &str = "ier-xtask-00000000-0000-4000-8000-000000000001-00000000-0000-4000-8000-000000000002";

impl FakeNotify {
    /// Listen on a free loopback port; `per_minute`: messages a sliding minute before 429.
    pub async fn start(per_minute: u64) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else { continue };
                let state = shared.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| answer(state.clone(), per_minute, req));
                    let _ =
                        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(tcp), service).await;
                });
            }
        });
        Ok(Self { addr, state })
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Messages accepted, by reference.
    pub fn counts(&self) -> HashMap<String, u32> {
        self.state.lock().expect("fake notify").by_reference.clone()
    }

    /// (accepted, refused with 429) so far.
    pub fn totals(&self) -> (u64, u64) {
        let s = self.state.lock().expect("fake notify");
        (s.accepted, s.refused)
    }
}

/// A template-ids file naming an id for every template (`IER_NOTIFY_TEMPLATES`).
pub fn template_ids() -> String {
    let messages = [
        "acknowledgement",
        "vote-form",
        "identity-not-checked",
        "registered",
        "not-registered",
        "evidence-requested",
        "renewal-reminder",
        "attestation-requested",
    ];
    let mut out = String::new();
    let mut n = 0u32;
    for m in messages {
        for lang in ["en", "cy"] {
            out.push_str(&format!("[{m}.{lang}]\n"));
            for channel in ["email", "sms", "letter"] {
                n += 1;
                out.push_str(&format!("{channel} = \"00000000-0000-4000-8000-{n:012}\"\n"));
            }
        }
    }
    out
}

fn json(status: StatusCode, body: serde_json::Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("a response")
}

async fn answer(
    state: Arc<Mutex<State>>,
    per_minute: u64,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    let (method, path, query) =
        (req.method().clone(), req.uri().path().to_owned(), req.uri().query().unwrap_or("").to_owned());
    let body = req.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let response = match (method, path.as_str()) {
        (Method::POST, "/v2/notifications/email" | "/v2/notifications/sms" | "/v2/notifications/letter") => {
            let parsed: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let Some(reference) = parsed["reference"].as_str().map(str::to_owned) else {
                return Ok(json(
                    StatusCode::BAD_REQUEST,
                    serde_json::json!({"status_code": 400, "errors": [{"error": "ValidationError", "message": "reference is required"}]}),
                ));
            };
            let mut s = state.lock().expect("fake notify");
            let now = Instant::now();
            while s.times.front().is_some_and(|t| now.duration_since(*t) > Duration::from_secs(60)) {
                s.times.pop_front();
            }
            if s.times.len() as u64 >= per_minute {
                s.refused += 1;
                json(
                    StatusCode::TOO_MANY_REQUESTS,
                    serde_json::json!({"status_code": 429, "errors": [{"error": "RateLimitError", "message": "Exceeded rate limit"}]}),
                )
            } else {
                s.times.push_back(now);
                s.accepted += 1;
                s.next_id += 1;
                *s.by_reference.entry(reference.clone()).or_default() += 1;
                let id = format!("00000000-0000-4000-9000-{:012}", s.next_id);
                json(StatusCode::CREATED, serde_json::json!({"id": id, "reference": reference}))
            }
        }
        (Method::GET, "/v2/notifications") => {
            let wanted =
                query.split('&').find_map(|kv| kv.strip_prefix("reference=")).map(percent_decode).unwrap_or_default();
            let s = state.lock().expect("fake notify");
            let found = s.by_reference.contains_key(&wanted);
            let notifications = if found {
                vec![serde_json::json!({"id": format!("found-{wanted}"), "reference": wanted, "status": "delivered"})]
            } else {
                vec![]
            };
            json(StatusCode::OK, serde_json::json!({"notifications": notifications, "links": {}}))
        }
        _ => json(StatusCode::NOT_FOUND, serde_json::json!({"status_code": 404, "errors": []})),
    };
    Ok(response)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
