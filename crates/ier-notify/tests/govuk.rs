//! The GOV.UK Notify client against a local fake of Notify's REST API v2,
//! which checks every request's token as Notify does, records what it was
//! sent, and answers as told (201, or 400, 403, 429, 500, slowly, or closing
//! each connection after one request).

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response};
use ier_notify::govuk::{DEFAULT_BASE_URL, GovukNotify, KeyError};
use ier_notify::{Notification, Notifier, NotifyError, Recipient, Sent};
use serde_json::{Value, json};

const SERVICE_ID: &str = "1f0e3c5a-6d2b-4b8e-9a71-0c2d4e6f8a1b";
const SECRET: &str = "9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";

fn api_key() -> String {
    // The key name has hyphens of its own.
    format!("ier-live-key-{SERVICE_ID}-{SECRET}")
}

const EMAIL: &str = "jane.doe@example.com";
const PHONE: &str = "07700 900123";
const NAME: &str = "Jane Doe";

/// How the fake answers.
#[derive(Clone)]
enum Mode {
    Accept,
    /// Status, error class and message (the message quotes personal data, as Notify's can).
    Fail(u16, &'static str),
    /// 429, with this `Retry-After` if any.
    RateLimited(Option<&'static str>),
    /// 200 with a body that is not Notify's.
    Garbage(u16, &'static str),
    /// Answers after this long.
    Slow(Duration),
    /// `find` answers with every notification, whatever the reference asked for.
    IgnoreReference,
}

/// One request the fake received.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    /// The path and query, as sent.
    target: String,
    body: Option<Value>,
    content_type: Option<String>,
    user_agent: Option<String>,
    /// The token, and whether it was valid (signature, `iss`, `iat` within 30 s of now).
    token: String,
    token_ok: bool,
    iat: i64,
}

#[derive(Default)]
struct State {
    seen: Mutex<Vec<Seen>>,
    /// (id, reference) of what it accepted.
    accepted: Mutex<Vec<(String, String)>>,
    mode: Mutex<Option<Mode>>,
    connections: AtomicUsize,
}

struct Fake {
    addr: SocketAddr,
    state: Arc<State>,
}

impl Fake {
    async fn start() -> Self {
        Self::start_with(true).await
    }

    /// `keep_alive: false` closes each connection after its first answer.
    async fn start_with(keep_alive: bool) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State::default());
        let shared = state.clone();
        tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else { continue };
                shared.connections.fetch_add(1, Ordering::SeqCst);
                let state = shared.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let state = state.clone();
                        async move { Ok::<_, Infallible>(answer(&state, req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .keep_alive(keep_alive)
                        .serve_connection(hyper_util::rt::TokioIo::new(tcp), service)
                        .await;
                });
            }
        });
        Self { addr, state }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn client(&self) -> GovukNotify {
        GovukNotify::new(&api_key(), &self.url()).unwrap()
    }

    fn set(&self, mode: Mode) {
        *self.state.mode.lock().unwrap() = Some(mode);
    }

    fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    fn connections(&self) -> usize {
        self.state.connections.load(Ordering::SeqCst)
    }
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// Checks a bearer token as Notify does; returns it, whether it is valid, and its `iat`.
fn check_token(authorization: Option<&str>) -> (String, bool, i64) {
    let Some(token) = authorization.and_then(|a| a.strip_prefix("Bearer ")) else {
        return (String::new(), false, 0);
    };
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return (token.into(), false, 0);
    }
    let decode = |s: &str| URL_SAFE_NO_PAD.decode(s).ok();
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, SECRET.as_bytes());
    let signed = format!("{}.{}", parts[0], parts[1]);
    let signature_ok = decode(parts[2]).is_some_and(|sig| ring::hmac::verify(&key, signed.as_bytes(), &sig).is_ok());
    let header: Option<Value> = decode(parts[0]).and_then(|h| serde_json::from_slice(&h).ok());
    let claims: Option<Value> = decode(parts[1]).and_then(|c| serde_json::from_slice(&c).ok());
    let header_ok = header == Some(json!({"typ": "JWT", "alg": "HS256"}));
    let iss_ok = claims.as_ref().and_then(|c| c["iss"].as_str()) == Some(SERVICE_ID);
    let iat = claims.as_ref().and_then(|c| c["iat"].as_i64()).unwrap_or(0);
    let iat_ok = (now() - iat).abs() <= 30;
    (token.into(), signature_ok && header_ok && iss_ok && iat_ok, iat)
}

fn json_response(status: u16, body: Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap()
}

fn notify_error(status: u16, class: &str, message: &str) -> Response<Full<Bytes>> {
    json_response(status, json!({"status_code": status, "errors": [{"error": class, "message": message}]}))
}

/// Decodes `%XX` (and nothing else: the client sends no `+`).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 3 <= bytes.len() {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

async fn answer(state: &State, req: Request<hyper::body::Incoming>) -> Response<Full<Bytes>> {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (token, token_ok, iat) = check_token(header("authorization").as_deref());
    let method = req.method().to_string();
    let target = req.uri().path_and_query().map(|p| p.to_string()).unwrap_or_default();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().map(str::to_owned);
    let content_type = header("content-type");
    let user_agent = header("user-agent");
    let bytes = req.into_body().collect().await.unwrap().to_bytes();
    let body: Option<Value> = (!bytes.is_empty()).then(|| serde_json::from_slice(&bytes).unwrap());
    state.seen.lock().unwrap().push(Seen {
        method: method.clone(),
        target,
        body: body.clone(),
        content_type,
        user_agent,
        token,
        token_ok,
        iat,
    });

    if !token_ok {
        return notify_error(403, "AuthError", "Invalid token: signature, api token not found");
    }
    let mode = state.mode.lock().unwrap().clone().unwrap_or(Mode::Accept);
    match mode {
        Mode::Fail(status, class) => {
            return notify_error(status, class, &format!("email_address Not a valid email address: {EMAIL}"));
        }
        Mode::RateLimited(retry_after) => {
            let mut res = notify_error(
                429,
                "RateLimitError",
                "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds",
            );
            if let Some(r) = retry_after {
                res.headers_mut().insert("retry-after", r.parse().unwrap());
            }
            return res;
        }
        Mode::Garbage(status, body) => {
            return Response::builder().status(status).body(Full::new(Bytes::from(body))).unwrap();
        }
        Mode::Slow(d) => tokio::time::sleep(d).await,
        Mode::Accept | Mode::IgnoreReference => {}
    }

    match (method.as_str(), path.as_str()) {
        ("POST", "/v2/notifications/email" | "/v2/notifications/sms" | "/v2/notifications/letter") => {
            let id = uuid::Uuid::new_v4().to_string();
            let reference = body.as_ref().and_then(|b| b["reference"].as_str()).unwrap_or_default().to_owned();
            state.accepted.lock().unwrap().push((id.clone(), reference.clone()));
            json_response(
                201,
                json!({
                    "id": id,
                    "reference": reference,
                    "content": {"subject": "Your application", "body": "Dear Jane Doe"},
                    "uri": format!("https://api.notifications.service.gov.uk/v2/notifications/{id}"),
                    "template": {"id": "f33517ff-2a88-4f6e-b855-c550268ce08a", "version": 1, "uri": "https://api.notifications.service.gov.uk/v2/template/f33517ff-2a88-4f6e-b855-c550268ce08a"},
                }),
            )
        }
        ("GET", "/v2/notifications") => {
            let wanted = query
                .as_deref()
                .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("reference=")))
                .map(percent_decode);
            let ignore = matches!(mode, Mode::IgnoreReference);
            let notifications: Vec<Value> = state
                .accepted
                .lock()
                .unwrap()
                .iter()
                .rev()
                .filter(|(_, r)| ignore || Some(r) == wanted.as_ref())
                .map(|(id, r)| json!({"id": id, "reference": r, "status": "delivered", "type": "email"}))
                .collect();
            json_response(
                200,
                json!({"notifications": notifications, "links": {"current": "https://api.notifications.service.gov.uk/v2/notifications"}}),
            )
        }
        _ => notify_error(404, "AuthError", "not found"),
    }
}

fn personalisation() -> BTreeMap<String, String> {
    BTreeMap::from([("name".to_owned(), NAME.to_owned()), ("reference".to_owned(), "ABC-123".to_owned())])
}

fn email(reference: &str) -> Notification {
    Notification {
        template_id: "f33517ff-2a88-4f6e-b855-c550268ce08a".into(),
        recipient: Recipient::Email(EMAIL.into()),
        personalisation: personalisation(),
        reference: reference.into(),
    }
}

fn letter(lines: &[&str]) -> Notification {
    Notification {
        template_id: "0a1b2c3d-2a88-4f6e-b855-c550268ce08a".into(),
        recipient: Recipient::Letter(lines.iter().map(|l| l.to_string()).collect()),
        personalisation: personalisation(),
        reference: "ABC-123-letter".into(),
    }
}

/// Nothing secret or personal in this text.
fn assert_clean(text: &str) {
    for secret in [SECRET, &api_key(), EMAIL, PHONE, NAME, "jane", "Jane", "1 Acacia Avenue", "SW1A 1AA"] {
        assert!(!text.contains(secret), "{text:?} contains {secret:?}");
    }
}

#[tokio::test]
async fn sends_an_email() {
    let fake = Fake::start().await;
    let client = fake.client();
    let sent = client.send(&email("ABC-123-email")).await.unwrap();
    let accepted = fake.state.accepted.lock().unwrap().clone();
    assert_eq!(accepted, vec![(sent.id.clone(), "ABC-123-email".to_owned())]);

    let seen = fake.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "POST");
    assert_eq!(seen[0].target, "/v2/notifications/email");
    assert_eq!(
        seen[0].body,
        Some(json!({
            "email_address": EMAIL,
            "template_id": "f33517ff-2a88-4f6e-b855-c550268ce08a",
            "personalisation": {"name": NAME, "reference": "ABC-123"},
            "reference": "ABC-123-email",
        }))
    );
    assert!(seen[0].token_ok);
    assert_eq!(seen[0].content_type.as_deref(), Some("application/json"));
    assert!(seen[0].user_agent.as_deref().unwrap().starts_with("NOTIFY-API-RUST-CLIENT/ier-"));
}

#[tokio::test]
async fn sends_a_text_message() {
    let fake = Fake::start().await;
    let notification = Notification {
        template_id: "5e6f7a8b-2a88-4f6e-b855-c550268ce08a".into(),
        recipient: Recipient::Sms(PHONE.into()),
        personalisation: personalisation(),
        reference: "ABC-123-sms".into(),
    };
    let sent = fake.client().send(&notification).await.unwrap();
    assert_eq!(fake.state.accepted.lock().unwrap()[0].0, sent.id);
    let seen = fake.seen();
    assert_eq!((seen[0].method.as_str(), seen[0].target.as_str()), ("POST", "/v2/notifications/sms"));
    assert_eq!(
        seen[0].body,
        Some(json!({
            "phone_number": PHONE,
            "template_id": "5e6f7a8b-2a88-4f6e-b855-c550268ce08a",
            "personalisation": {"name": NAME, "reference": "ABC-123"},
            "reference": "ABC-123-sms",
        }))
    );
    assert!(seen[0].token_ok);
}

#[tokio::test]
async fn sends_a_letter_with_its_address_in_personalisation() {
    let fake = Fake::start().await;
    let client = fake.client();
    let sent = client.send(&letter(&[NAME, "1 Acacia Avenue", "SW1A 1AA"])).await.unwrap();
    assert!(!sent.id.is_empty());
    let seven = ["Jane Doe", "Flat 2", "1 Acacia Avenue", "Little Snoring", "Fakenham", "Norfolk", "NR21 0AA"];
    client.send(&letter(&seven)).await.unwrap();

    let seen = fake.seen();
    assert_eq!((seen[0].method.as_str(), seen[0].target.as_str()), ("POST", "/v2/notifications/letter"));
    assert_eq!(
        seen[0].body,
        Some(json!({
            "template_id": "0a1b2c3d-2a88-4f6e-b855-c550268ce08a",
            "personalisation": {
                "name": NAME,
                "reference": "ABC-123",
                "address_line_1": NAME,
                "address_line_2": "1 Acacia Avenue",
                "address_line_3": "SW1A 1AA",
            },
            "reference": "ABC-123-letter",
        }))
    );
    let personalisation = &seen[1].body.as_ref().unwrap()["personalisation"];
    for (i, line) in seven.iter().enumerate() {
        assert_eq!(personalisation[format!("address_line_{}", i + 1)], json!(line));
    }
    assert_eq!(personalisation.as_object().unwrap().len(), 9);
    assert!(seen.iter().all(|s| s.token_ok));
}

#[tokio::test]
async fn refuses_a_letter_of_too_few_or_too_many_lines_without_asking_notify() {
    let fake = Fake::start().await;
    let client = fake.client();
    for lines in [&[][..], &[NAME, "SW1A 1AA"][..], &[NAME, "1", "2", "3", "4", "5", "6", "SW1A 1AA"][..]] {
        let e = client.send(&letter(lines)).await.unwrap_err();
        assert_eq!(e, NotifyError::Rejected { status: 400, error: "ValidationError".into() });
        assert!(e.is_permanent());
        assert_clean(&e.to_string());
    }
    assert!(fake.seen().is_empty());
}

#[tokio::test]
async fn finds_a_message_by_its_reference() {
    let fake = Fake::start().await;
    let client = fake.client();
    let first = client.send(&email("ABC-123 welcome & more")).await.unwrap();
    let second = client.send(&email("ABC-456")).await.unwrap();

    assert_eq!(client.find("ABC-123 welcome & more").await.unwrap(), Some(first));
    assert_eq!(client.find("ABC-456").await.unwrap(), Some(second));
    assert_eq!(client.find("ABC-789").await.unwrap(), None);
    // A reference that is a prefix of another's is not it.
    assert_eq!(client.find("ABC-123").await.unwrap(), None);

    let gets: Vec<Seen> = fake.seen().into_iter().filter(|s| s.method == "GET").collect();
    assert_eq!(gets[0].target, "/v2/notifications?reference=ABC-123%20welcome%20%26%20more");
    assert_eq!(gets[1].target, "/v2/notifications?reference=ABC-456");
    assert!(gets.iter().all(|s| s.token_ok && s.body.is_none()));
}

#[tokio::test]
async fn find_keeps_only_a_notification_with_the_very_reference() {
    let fake = Fake::start().await;
    let client = fake.client();
    let sent = client.send(&email("ABC-123")).await.unwrap();
    fake.set(Mode::IgnoreReference);
    assert_eq!(client.find("XYZ-999").await.unwrap(), None);
    assert_eq!(client.find("ABC-123").await.unwrap(), Some(sent));
}

#[tokio::test]
async fn maps_notifys_errors_keeping_only_status_and_class() {
    let fake = Fake::start().await;
    let client = fake.client();

    fake.set(Mode::Fail(400, "ValidationError"));
    let e = client.send(&email("ABC-1")).await.unwrap_err();
    assert_eq!(e, NotifyError::Rejected { status: 400, error: "ValidationError".into() });
    assert!(e.is_permanent());
    assert_clean(&e.to_string());
    assert_clean(&format!("{e:?}"));

    fake.set(Mode::Fail(400, "BadRequestError"));
    let e = client.find("ABC-1").await.unwrap_err();
    assert_eq!(e, NotifyError::Rejected { status: 400, error: "BadRequestError".into() });

    fake.set(Mode::Fail(403, "AuthError"));
    let e = client.send(&email("ABC-1")).await.unwrap_err();
    assert_eq!(e, NotifyError::Unauthorised { error: "AuthError".into() });
    assert!(!e.is_permanent());
    assert_clean(&e.to_string());

    fake.set(Mode::RateLimited(Some("7")));
    let e = client.send(&email("ABC-1")).await.unwrap_err();
    assert_eq!(e, NotifyError::RateLimited { retry_after: Some(Duration::from_secs(7)) });
    fake.set(Mode::RateLimited(None));
    let e = client.send(&email("ABC-1")).await.unwrap_err();
    assert_eq!(e, NotifyError::RateLimited { retry_after: None });
    assert_clean(&e.to_string());

    fake.set(Mode::Fail(500, "Exception"));
    let e = client.send(&email("ABC-1")).await.unwrap_err();
    assert!(matches!(&e, NotifyError::Unavailable(m) if m.contains("500")), "{e:?}");
    assert!(!e.is_permanent());
    assert_clean(&e.to_string());
    assert!(!e.to_string().contains("Not a valid"), "{e}");

    // Another status is Unavailable too.
    fake.set(Mode::Fail(404, "NotFound"));
    let e = client.send(&email("ABC-1")).await.unwrap_err();
    assert!(matches!(&e, NotifyError::Unavailable(m) if m.contains("404")), "{e:?}");

    // An error class that is not a name (it could quote anything) is not kept.
    fake.set(Mode::Fail(400, "jane.doe@example.com"));
    let e = client.send(&email("ABC-1")).await.unwrap_err();
    assert_eq!(e, NotifyError::Rejected { status: 400, error: "BadRequestError".into() });

    // Not Notify's JSON: the status still decides.
    fake.set(Mode::Garbage(502, "<html>Bad gateway for jane.doe@example.com</html>"));
    let e = client.send(&email("ABC-1")).await.unwrap_err();
    assert!(matches!(&e, NotifyError::Unavailable(m) if m.contains("502")), "{e:?}");
    assert_clean(&e.to_string());
    fake.set(Mode::Garbage(403, "forbidden"));
    assert_eq!(client.find("ABC-1").await.unwrap_err(), NotifyError::Unauthorised { error: "AuthError".into() });
    fake.set(Mode::Garbage(201, "{\"no\": \"id\"}"));
    assert!(matches!(client.send(&email("ABC-1")).await.unwrap_err(), NotifyError::Unavailable(_)));
    fake.set(Mode::Garbage(200, "not json"));
    assert!(matches!(client.find("ABC-1").await.unwrap_err(), NotifyError::Unavailable(_)));

    assert!(fake.seen().iter().all(|s| s.token_ok));
}

#[tokio::test]
async fn a_wrong_secret_is_refused_by_notify() {
    let fake = Fake::start().await;
    let other = format!("ier-live-key-{SERVICE_ID}-00000000-5e4f-4a3b-8c2d-1e0f9a8b7c6d");
    let client = GovukNotify::new(&other, &fake.url()).unwrap();
    let e = client.send(&email("ABC-1")).await.unwrap_err();
    assert_eq!(e, NotifyError::Unauthorised { error: "AuthError".into() });
    assert!(!fake.seen()[0].token_ok);
}

#[tokio::test]
async fn a_slow_or_absent_notify_is_unavailable() {
    let fake = Fake::start().await;
    fake.set(Mode::Slow(Duration::from_secs(5)));
    let client = fake.client().with_timeout(Duration::from_millis(200));
    let e = client.send(&email("ABC-1")).await.unwrap_err();
    assert!(matches!(e, NotifyError::Unavailable(_)), "{e:?}");
    // And it recovers.
    fake.set(Mode::Accept);
    client.send(&email("ABC-2")).await.unwrap();

    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let client = GovukNotify::new(&api_key(), &format!("http://{closed}")).unwrap();
    let e = client.send(&email("ABC-1")).await.unwrap_err();
    assert!(matches!(e, NotifyError::Unavailable(_)), "{e:?}");
    assert_clean(&e.to_string());
    assert!(matches!(client.find("ABC-1").await.unwrap_err(), NotifyError::Unavailable(_)));
}

#[tokio::test]
async fn every_request_has_a_token_made_for_it() {
    let fake = Fake::start().await;
    let client = fake.client();
    client.send(&email("ABC-1")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    client.find("ABC-1").await.unwrap();
    let seen = fake.seen();
    assert!(seen.iter().all(|s| s.token_ok && (now() - s.iat).abs() <= 2));
    assert!(seen[1].iat > seen[0].iat);
    assert_ne!(seen[0].token, seen[1].token);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_concurrently_on_a_few_reused_connections() {
    let fake = Fake::start().await;
    let client = Arc::new(fake.client());
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move { client.send(&email(&format!("ABC-{i}"))).await })
        })
        .collect();
    let mut ids = Vec::new();
    for task in tasks {
        let Sent { id } = task.await.unwrap().unwrap();
        ids.push(id);
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 20);
    let opened = fake.connections();
    assert!((1..=ier_notify::govuk::MAX_CONNECTIONS).contains(&opened), "{opened} connections");

    // Later requests reuse them.
    for i in 0..5 {
        client.send(&email(&format!("DEF-{i}"))).await.unwrap();
    }
    assert_eq!(client.find("ABC-7").await.unwrap().map(|s| s.id.len()), Some(36));
    assert_eq!(fake.connections(), opened);
    let seen = fake.seen();
    assert_eq!(seen.len(), 26);
    assert!(seen.iter().all(|s| s.token_ok));
}

#[tokio::test]
async fn replaces_a_connection_the_server_closed() {
    let fake = Fake::start_with(false).await;
    let client = fake.client();
    for i in 0..3 {
        client.send(&email(&format!("ABC-{i}"))).await.unwrap();
    }
    assert!(client.find("ABC-1").await.unwrap().is_some());
    assert_eq!(fake.connections(), 4);
}

#[test]
fn reads_a_key_whose_name_has_hyphens() {
    let client = GovukNotify::new(&api_key(), DEFAULT_BASE_URL).unwrap();
    assert_eq!(client.service_id(), SERVICE_ID);
    // Surrounding whitespace (a key read from a file) is ignored.
    assert!(GovukNotify::new(&format!(" {}\n", api_key()), DEFAULT_BASE_URL).is_ok());
    assert!(GovukNotify::new(&format!("k-{SERVICE_ID}-{SECRET}"), "https://api.notifications.service.gov.uk/").is_ok());
}

#[test]
fn refuses_malformed_keys_without_quoting_them() {
    let cases: Vec<(String, KeyError)> = vec![
        (String::new(), KeyError::Shape),
        (SECRET.to_owned(), KeyError::Shape),
        // No name.
        (format!("{SERVICE_ID}-{SECRET}"), KeyError::Shape),
        (format!("-{SERVICE_ID}-{SECRET}"), KeyError::Shape),
        // A separator missing.
        (format!("name-{SERVICE_ID}{SECRET}"), KeyError::Shape),
        (format!("name{SERVICE_ID}_{SECRET}"), KeyError::Shape),
        // Not UUIDs.
        (format!("name-{}-{SECRET}", SERVICE_ID.replace('-', "x")), KeyError::ServiceId),
        (format!("name-zf0e3c5a-6d2b-4b8e-9a71-0c2d4e6f8a1b-{SECRET}"), KeyError::ServiceId),
        (format!("name-{SERVICE_ID}-{}", SECRET.replace('9', "g")), KeyError::Secret),
        (format!("name-{SERVICE_ID}-{}", &SECRET[..35]), KeyError::Shape),
        // Multi-byte characters where the secret or a separator should be.
        (format!("name-{SERVICE_ID}-{}é", &SECRET[..34]), KeyError::Secret),
        (format!("name-{SERVICE_ID}é{}", &SECRET[1..]), KeyError::Shape),
    ];
    for (key, expected) in cases {
        let e = GovukNotify::new(&key, DEFAULT_BASE_URL).unwrap_err();
        assert_eq!(e, expected, "{key}");
        let text = format!("{e} {e:?}");
        assert!(!text.contains(SECRET) && !text.contains(&SECRET[..8]), "{text}");
    }
    for base in ["", "api.notifications.service.gov.uk", "ftp://example.com", "https://", "http://host:port"] {
        assert_eq!(GovukNotify::new(&api_key(), base).unwrap_err(), KeyError::BaseUrl, "{base}");
    }
    // The key and base URL swapped: neither is quoted.
    let e = GovukNotify::new(DEFAULT_BASE_URL, &api_key()).unwrap_err();
    assert_clean(&format!("{e} {e:?}"));
}

#[tokio::test]
async fn shows_no_secret_and_no_personal_data() {
    let fake = Fake::start().await;
    let client = fake.client();
    client.send(&email("ABC-1")).await.unwrap();
    let debug = format!("{client:?}");
    assert_clean(&debug);
    assert!(debug.contains(SERVICE_ID), "{debug}");
    assert_clean(&format!("{:?}", email("ABC-1")));
    assert_clean(&format!("{:?}", letter(&[NAME, "1 Acacia Avenue", "SW1A 1AA"])));
}
