//! The EMS API through its router, in-process, as an EMS uses it: a fresh
//! database per test (SQLite; Postgres too when `IER_TEST_POSTGRES_URL` is
//! set), the caller's identity as the mTLS listener would give it. The TLS
//! handshake itself is tested in `ier-pki` and end to end in `ier`'s CLI tests.

use std::str::FromStr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::Utc;
use ier_domain::*;
use ier_ems_api::{ApiState, router};
use ier_pki::{Caller, Serial};
use ier_storage::{Backend, DataKeys, NewApplication, Store};
use proptest::prelude::*;
use rand::Rng;
use serde_json::{Value, json};
use tower::ServiceExt;

/// A fresh service: the database, its store, and the router.
struct App {
    store: Store,
    backend: Arc<dyn Backend>,
    state: ApiState,
    router: Router,
    _guard: Box<dyn std::any::Any + Send>,
}

/// Drops a Postgres test schema when the test ends.
struct Schema {
    url: String,
    name: String,
}

impl Drop for Schema {
    fn drop(&mut self) {
        let (url, name) = (self.url.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
                if let Ok(pool) = sqlx::PgPool::connect(&url).await {
                    let _ = sqlx::query(&format!("DROP SCHEMA {name} CASCADE")).execute(&pool).await;
                }
            })
        })
        .join();
    }
}

#[derive(Clone, Copy, Debug)]
enum Db {
    Sqlite,
    Postgres,
}

/// The databases to run each story on.
fn databases() -> Vec<Db> {
    let mut v = vec![Db::Sqlite];
    if std::env::var("IER_TEST_POSTGRES_URL").is_ok() {
        v.push(Db::Postgres);
    }
    v
}

fn council(gss: &str, ero: &str, nation: Nation) -> Council {
    Council {
        gss_code: GssCode::parse(gss).unwrap(),
        name: format!("Council {gss}"),
        name_cy: None,
        nation,
        ero_id: EroId::parse(ero).unwrap(),
    }
}

fn ero(id: &str) -> Ero {
    Ero { id: EroId::parse(id).unwrap(), name: format!("ERO {id}"), name_cy: None, contact: EroContact::default() }
}

impl App {
    /// EROs with their councils: `[(ero, [(gss, nation)])]`.
    async fn with(db: Db, eros: &[(&str, &[(&str, Nation)])]) -> Self {
        let (backend, guard): (Arc<dyn Backend>, Box<dyn std::any::Any + Send>) = match db {
            Db::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let b = ier_storage_sqlite::SqliteBackend::open(&dir.path().join("t.db")).await.unwrap();
                (Arc::new(b), Box::new(dir))
            }
            Db::Postgres => {
                let url = std::env::var("IER_TEST_POSTGRES_URL").unwrap();
                let name = format!("ier_test_{:016x}", rand::rng().random::<u64>());
                let admin = sqlx::PgPool::connect(&url).await.unwrap();
                sqlx::query(&format!("CREATE SCHEMA {name}")).execute(&admin).await.unwrap();
                admin.close().await;
                let options =
                    sqlx::postgres::PgConnectOptions::from_str(&url).unwrap().options([("search_path", name.as_str())]);
                let b = ier_storage_postgres::PgBackend::connect_with(options, 8).await.unwrap();
                (Arc::new(b), Box::new(Schema { url, name }))
            }
        };
        backend.put_eros(&eros.iter().map(|(e, _)| ero(e)).collect::<Vec<_>>()).await.unwrap();
        let councils: Vec<Council> =
            eros.iter().flat_map(|(e, cs)| cs.iter().map(move |(g, n)| council(g, e, *n))).collect();
        backend.put_councils(&councils).await.unwrap();
        let store = Store::new(backend.clone(), DataKeys::parse(&DataKeys::generate("k1")).unwrap());
        let state = ApiState::new(store.clone());
        let router = router(state.clone());
        Self { store, backend, state, router, _guard: guard }
    }

    async fn standard(db: Db) -> Self {
        Self::with(
            db,
            &[
                ("cardiff", &[("W06000015", Nation::Wales)]),
                ("westminster", &[("E09000033", Nation::England)]),
                ("lothian-vjb", &[("S12000036", Nation::Scotland), ("S12000019", Nation::Scotland)]),
            ],
        )
        .await
    }

    /// Submit an application; digits in `surname` become letters (names have none).
    async fn submit(&self, gss: &str, surname: &str) -> ReferenceNumber {
        let surname = letters(surname);
        let mut details = ier_storage::contract::applicant(&surname, "CF10 1EP");
        details.address.postcode = Postcode::parse(match &gss[..1] {
            "W" => "CF10 1EP",
            "E" => "SW1A 1AA",
            _ => "EH1 1YZ",
        })
        .unwrap();
        let new = NewApplication {
            language: Language::En,
            gss_code: GssCode::parse(gss).unwrap(),
            details,
            journey: None,
            facts: Default::default(),
        };
        self.store.citizen().submit(new, Utc::now()).await.unwrap().reference
    }

    async fn call(&self, ero: &str, method: &str, uri: &str, body: Option<Value>) -> (StatusCode, Value) {
        let (status, _, body) = self.call_raw(ero, method, uri, body.map(|b| b.to_string()), "application/json").await;
        let json =
            if body.is_empty() { Value::Null } else { serde_json::from_str(&body).unwrap_or(Value::String(body)) };
        (status, json)
    }

    async fn call_raw(
        &self,
        ero: &str,
        method: &str,
        uri: &str,
        body: Option<String>,
        content_type: &str,
    ) -> (StatusCode, axum::http::HeaderMap, String) {
        let mut req = Request::builder().method(method).uri(uri);
        if body.is_some() {
            req = req.header(header::CONTENT_TYPE, content_type);
        }
        let mut req = req.body(body.map(Body::from).unwrap_or_else(Body::empty)).unwrap();
        req.extensions_mut()
            .insert(Caller { ero: EroId::parse(ero).unwrap(), serial: Serial::parse("0a1b2c3d").unwrap() });
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), 10 << 20).await.unwrap();
        (status, headers, String::from_utf8(bytes.to_vec()).unwrap())
    }
}

/// Digits as letters (0 → a, 1 → b, ...), so that numbered test names are valid names.
fn letters(s: &str) -> String {
    s.chars().map(|c| c.to_digit(10).map_or(c, |d| (b'a' + d as u8) as char)).collect()
}

fn refs(page: &Value) -> Vec<String> {
    page["applications"].as_array().unwrap().iter().map(|a| a["reference"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_is_paged_oldest_first_and_not_consumed_by_reading() {
    for db in databases() {
        let app = App::standard(db).await;
        let mut mine = Vec::new();
        for i in 0..5 {
            mine.push(app.submit("W06000015", &format!("Evans{i}")).await.to_string());
        }
        app.submit("E09000033", "Westminsterperson").await;
        let (s, page) = app.call("cardiff", "GET", "/v1/applications", None).await;
        assert_eq!(s, StatusCode::OK, "{db:?}");
        assert_eq!(refs(&page), mine, "{db:?}: oldest first, only the caller's");
        assert_eq!(page["pageSize"], 100);
        let (_, again) = app.call("cardiff", "GET", "/v1/applications?pageSize=2", None).await;
        assert_eq!(refs(&again), mine[..2], "reading does not consume");
        let a = &page["applications"][0];
        assert_eq!(a["gssCode"], "W06000015");
        assert_eq!(a["applicant"]["name"]["surname"], "Evansa");
        assert_eq!(a["verification"]["status"], "pending");
        assert_eq!(a["registerCheck"]["status"], "pending");
        assert!(a["receipt"].is_null());
        assert!(a["franchise"].as_array().unwrap().iter().any(|f| f["election"].as_str().is_some()));
        for (q, msg) in [
            ("pageSize=0", "pageSize: must be from 1 to 200"),
            ("pageSize=201", "pageSize: must be from 1 to 200"),
            ("pageSize=ten", "pageSize: must be a whole number from 1 to 200"),
            ("colour=red", "the query string is not valid"),
        ] {
            let (s, p) = app.call("cardiff", "GET", &format!("/v1/applications?{q}"), None).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{q}");
            assert!(p["detail"].as_str().unwrap().contains(msg), "{q}: {p}");
            assert_eq!(p["status"], 400);
            assert_eq!(p["type"], "urn:ier:problem:validation");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipts_take_items_off_the_queue_idempotently() {
    for db in databases() {
        let app = App::standard(db).await;
        let a = app.submit("W06000015", "First").await;
        let b = app.submit("W06000015", "Second").await;
        let w = app.submit("E09000033", "Theirs").await;
        let put = |r: &ReferenceNumber| format!("/v1/applications/{r}/receipt");
        let (s, _) = app.call("cardiff", "PUT", &put(&a), Some(json!({"status": "success"}))).await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{db:?}");
        let (s, _) = app.call("cardiff", "PUT", &put(&a), Some(json!({"status": "success"}))).await;
        assert_eq!(s, StatusCode::NO_CONTENT, "confirming twice is harmless");
        let (_, page) = app.call("cardiff", "GET", "/v1/applications", None).await;
        assert_eq!(refs(&page), vec![b.to_string()], "a confirmed item leaves the queue");
        let (_, one) = app.call("cardiff", "GET", &format!("/v1/applications/{a}"), None).await;
        assert_eq!(one["receipt"]["status"], "success");
        assert_eq!(one["stage"], "with-ero");
        // Errors, each specific; nothing changes.
        let bad: Vec<(Option<String>, &str, &str)> = vec![
            (Some(json!({"status": "maybe"}).to_string()), "application/json", "unknown variant (value not shown)"),
            (
                Some(json!({"status": "success", "colour": 1}).to_string()),
                "application/json",
                "unknown field (value not shown)",
            ),
            (Some("{\"status\":".into()), "application/json", "not valid JSON"),
            (Some(json!({"status": "success"}).to_string()), "text/plain", "Content-Type: application/json"),
            (
                Some(json!({"status": "failure", "message": "x".repeat(1001)}).to_string()),
                "application/json",
                "1000 characters or fewer",
            ),
        ];
        for (body, ct, msg) in bad {
            let (s, h, text) = app.call_raw("cardiff", "PUT", &put(&b), body, ct).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{msg}");
            assert_eq!(h[header::CONTENT_TYPE], "application/problem+json");
            assert!(text.contains(msg), "{msg}: {text}");
        }
        // Another ERO's application: not found, and untouched.
        let (s, p) = app.call("cardiff", "PUT", &put(&w), Some(json!({"status": "success"}))).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{p}");
        let (_, theirs) = app.call("westminster", "GET", "/v1/applications", None).await;
        assert_eq!(refs(&theirs), vec![w.to_string()]);
        let (s, _) = app.call("cardiff", "GET", &format!("/v1/applications/{w}"), None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, p) = app.call("cardiff", "GET", "/v1/applications/not-a-ref", None).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(p["detail"].as_str().unwrap().contains("reference: is not a reference number"));
        // A failure with a message: recorded, and still on the queue.
        let failure = json!({"status": "failure", "message": "Our import rejected it: duplicate elector"});
        let (s, _) = app.call("cardiff", "PUT", &put(&b), Some(failure)).await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (_, one) = app.call("cardiff", "GET", &format!("/v1/applications/{b}"), None).await;
        assert_eq!(one["receipt"]["status"], "failure");
        assert_eq!(one["receipt"]["failures"], 1);
        assert_eq!(one["receipt"]["message"], "Our import rejected it: duplicate elector");
        let (_, page) = app.call("cardiff", "GET", "/v1/applications", None).await;
        assert_eq!(refs(&page), vec![b.to_string()], "a failure means not received");
        // A failure after a success does not undo it.
        let (s, _) = app.call("cardiff", "PUT", &put(&a), Some(json!({"status": "failure"}))).await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (_, one) = app.call("cardiff", "GET", &format!("/v1/applications/{a}"), None).await;
        assert_eq!((one["receipt"]["status"].as_str(), one["stage"].as_str()), (Some("success"), Some("with-ero")));
    }
}

/// Security review, finding 3: after `POST /v1/receipts` with `status: failure`
/// the application was off the queue for good, a later success was a silent
/// no-op and every determination was refused with 409. Now a failure means
/// "not received": it stays fetchable until a success, the failure is counted
/// for operators, and determinations work after the success.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_receipt_does_not_strand_the_application() {
    for db in databases() {
        let app = App::standard(db).await;
        let r = app.submit("W06000015", "Stranded").await;
        let before = failures_counted();
        let failure =
            json!({"receipts": [{"reference": r.to_string(), "status": "failure", "message": "import failed"}]});
        let (s, out) = app.call("cardiff", "POST", "/v1/receipts", Some(failure.clone())).await;
        assert_eq!(s, StatusCode::OK, "{db:?} {out}");
        assert_eq!(out["results"][0]["outcome"], "failure-recorded");
        app.call("cardiff", "POST", "/v1/receipts", Some(failure)).await;
        assert!(failures_counted() >= before + 2, "operators see failures in the metrics");
        let (_, page) = app.call("cardiff", "GET", "/v1/applications", None).await;
        assert_eq!(refs(&page), vec![r.to_string()], "still on the queue");
        assert_eq!(page["applications"][0]["receipt"]["failures"], 2);
        let det = format!("/v1/applications/{r}/determination");
        let (s, _) = app.call("cardiff", "PUT", &det, Some(json!({"decision": "approved"}))).await;
        assert_eq!(s, StatusCode::CONFLICT, "not received yet");

        let success = json!({"receipts": [{"reference": r.to_string(), "status": "success"}]});
        let (_, out) = app.call("cardiff", "POST", "/v1/receipts", Some(success.clone())).await;
        assert_eq!(out["results"][0]["outcome"], "confirmed", "a success after failures is not a no-op");
        let (_, out) = app.call("cardiff", "POST", "/v1/receipts", Some(success)).await;
        assert_eq!(out["results"][0]["outcome"], "already-confirmed");
        let (_, page) = app.call("cardiff", "GET", "/v1/applications", None).await;
        assert!(refs(&page).is_empty());
        let (s, p) = app.call("cardiff", "PUT", &det, Some(json!({"decision": "approved"}))).await;
        assert_eq!(s, StatusCode::NO_CONTENT, "determinations work after the success: {p}");
        let (_, one) = app.call("cardiff", "GET", &format!("/v1/applications/{r}"), None).await;
        assert_eq!(
            (one["receipt"]["status"].as_str(), one["receipt"]["failures"].as_u64()),
            (Some("success"), Some(2))
        );
        assert_eq!(one["stage"], "determined");
    }
}

/// The count of failed receipts in this process's metrics.
fn failures_counted() -> u64 {
    let text = ier_ops::metrics().render();
    text.lines()
        .find(|l| l.starts_with("ier_ems_receipts_total{") && l.contains("outcome=\"failure-recorded\""))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse::<f64>().ok())
        .map_or(0, |n| n as u64)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_of_receipts_is_confirmed_at_once() {
    for db in databases() {
        let app = App::standard(db).await;
        let mut mine = Vec::new();
        for i in 0..4 {
            mine.push(app.submit("W06000015", &format!("Batch{i}")).await.to_string());
        }
        let theirs = app.submit("E09000033", "Theirs").await.to_string();
        let receipts = json!({"receipts": [
            {"reference": mine[0], "status": "success"},
            {"reference": mine[1], "status": "failure", "message": "import failed"},
            {"reference": theirs, "status": "success"},
            {"reference": mine[0], "status": "success"},
        ]});
        let (s, out) = app.call("cardiff", "POST", "/v1/receipts", Some(receipts)).await;
        assert_eq!(s, StatusCode::OK, "{db:?} {out}");
        let outcomes: Vec<&str> =
            out["results"].as_array().unwrap().iter().map(|r| r["outcome"].as_str().unwrap()).collect();
        assert_eq!(outcomes, vec!["confirmed", "failure-recorded", "not-found", "already-confirmed"]);
        let (_, page) = app.call("cardiff", "GET", "/v1/applications", None).await;
        assert_eq!(refs(&page), mine[1..], "the failed one stays on the queue");
        let (_, w) = app.call("westminster", "GET", "/v1/applications", None).await;
        assert_eq!(refs(&w), vec![theirs.clone()], "another ERO's item is untouched");
        for (body, msg) in [
            (json!({"receipts": []}), "receipts: give 1 to 200 receipts"),
            (
                json!({"receipts": [{"reference": "nope", "status": "success"}]}),
                "receipts[0].reference: is not a reference number",
            ),
        ] {
            let (s, p) = app.call("cardiff", "POST", "/v1/receipts", Some(body)).await;
            assert_eq!(s, StatusCode::BAD_REQUEST);
            assert!(p["detail"].as_str().unwrap().contains(msg), "{p}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn determinations_follow_receipt() {
    for db in databases() {
        let app = App::standard(db).await;
        let r = app.submit("W06000015", "Decided").await;
        let det = format!("/v1/applications/{r}/determination");
        let (s, p) = app.call("cardiff", "PUT", &det, Some(json!({"decision": "approved"}))).await;
        assert_eq!(s, StatusCode::CONFLICT, "{db:?} {p}");
        assert!(p["detail"].as_str().unwrap().contains("not confirmed receipt"));
        app.call("cardiff", "PUT", &format!("/v1/applications/{r}/receipt"), Some(json!({"status": "success"}))).await;
        let (s, p) = app
            .call("cardiff", "PUT", &det, Some(json!({"decision": "evidence-requested", "reasons": ["Not A Code"]})))
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert_eq!(p["errors"][0]["field"], "reasons[0]");
        let evidence = json!({"decision": "evidence-requested", "reasons": ["identity-not-confirmed"]});
        let (s, _) = app.call("cardiff", "PUT", &det, Some(evidence)).await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        // Registered from a day: not before the application, only for an approval, a real date.
        let from = (chrono::Utc::now().date_naive() + chrono::Days::new(3)).to_string();
        for (body, field) in [
            (json!({"decision": "approved", "registeredFrom": "2020-01-01"}), "registeredFrom"),
            (json!({"decision": "rejected", "reasons": ["other"], "registeredFrom": from}), "registeredFrom"),
            (json!({"decision": "approved", "registeredFrom": "2027-02-30"}), ""),
        ] {
            let (s, p) = app.call("cardiff", "PUT", &det, Some(body)).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{p}");
            assert!(field.is_empty() || p["errors"][0]["field"] == field, "{p}");
        }
        let (s, p) =
            app.call("cardiff", "PUT", &det, Some(json!({"decision": "approved", "registeredFrom": from}))).await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{p}");
        let (s, _) = app.call("cardiff", "PUT", &det, Some(json!({"decision": "approved"}))).await;
        assert_eq!(s, StatusCode::NO_CONTENT, "the same again is harmless");
        let (s, p) = app.call("cardiff", "PUT", &det, Some(json!({"decision": "rejected"}))).await;
        assert_eq!(s, StatusCode::CONFLICT, "{p}");
        let (s, _) = app.call("westminster", "PUT", &det, Some(json!({"decision": "rejected"}))).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (_, one) = app.call("cardiff", "GET", &format!("/v1/applications/{r}"), None).await;
        assert_eq!(one["determination"]["decision"], "approved");
        assert_eq!(one["stage"], "determined");

        // The feed of determinations (how an EMS hears of decisions made in the ERO portal): in
        // the order recorded, paged by cursor, each ERO's own.
        let (s, page) = app.call("cardiff", "GET", "/v1/determinations?pageSize=1", None).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        assert_eq!(page["determinations"][0]["decision"], "evidence-requested");
        assert_eq!(page["determinations"][0]["reasons"], json!(["identity-not-confirmed"]));
        assert!(page["determinations"][0].get("registeredFrom").is_none(), "{page}");
        let next = page["next"].as_str().unwrap().to_owned();
        assert_eq!(page["determinations"][0]["cursor"], next.as_str());
        let (_, page) = app.call("cardiff", "GET", &format!("/v1/determinations?after={next}"), None).await;
        let rest = page["determinations"].as_array().unwrap();
        assert_eq!((rest.len(), rest[0]["decision"].as_str()), (1, Some("approved")));
        assert_eq!(rest[0]["reference"], r.to_string());
        assert_eq!(rest[0]["registeredFrom"], from.as_str());
        let end = page["next"].as_str().unwrap().to_owned();
        let (_, page) = app.call("cardiff", "GET", &format!("/v1/determinations?after={end}"), None).await;
        assert_eq!((page["determinations"].as_array().unwrap().len(), page["next"].as_str()), (0, Some(end.as_str())));
        let (_, theirs) = app.call("westminster", "GET", "/v1/determinations", None).await;
        assert!(theirs["determinations"].as_array().unwrap().is_empty(), "{db:?}");

        // A rejection with notes for the applicant, in English and Welsh; the feed carries them.
        let rejected = app.submit("W06000015", "Rejected").await;
        app.call("cardiff", "PUT", &format!("/v1/applications/{rejected}/receipt"), Some(json!({"status": "success"})))
            .await;
        let det = format!("/v1/applications/{rejected}/determination");
        for (body, field) in [
            (json!({"decision": "approved", "notes": {"en": "Welcome"}}), "notes"),
            (json!({"decision": "rejected", "reasons": ["other"], "notes": {"cy": "ŵ".repeat(4001)}}), "notes.cy"),
            (json!({"decision": "rejected", "reasons": ["other"], "notes": {"en": "bell\u{7}"}}), "notes.en"),
        ] {
            let (s, p) = app.call("cardiff", "PUT", &det, Some(body)).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{p}");
            assert_eq!(p["errors"][0]["field"], field, "{p}");
        }
        let notes = json!({"en": "Not at this address.", "cy": "Ddim yn y cyfeiriad hwn."});
        let (s, p) = app
            .call("cardiff", "PUT", &det, Some(json!({"decision": "rejected", "reasons": ["other"], "notes": notes})))
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{p}");
        let (_, page) = app.call("cardiff", "GET", &format!("/v1/determinations?after={end}"), None).await;
        let item = &page["determinations"][0];
        assert_eq!(
            (item["reference"].as_str(), item["decision"].as_str()),
            (Some(rejected.as_str()), Some("rejected"))
        );
        assert_eq!(item["notes"], notes, "{page}");
        for bad in ["after=-1", "after=x", "after=1e3", "after=", "after=+5", "after=%205", "pageSize=0", "since=1"] {
            let (s, p) = app.call("cardiff", "GET", &format!("/v1/determinations?{bad}"), None).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {p}");
        }
    }
}

/// Once the retention rules have deleted an application's personal data, every
/// read or change of it is `410 Gone` with the `erased` problem, and nothing personal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erased_application_is_gone_with_a_problem() {
    for db in databases() {
        let app = App::standard(db).await;
        let r = app.submit("W06000015", "Erased").await;
        let kept = app.submit("W06000015", "Kept").await;
        app.call("cardiff", "PUT", &format!("/v1/applications/{r}/receipt"), Some(json!({"status": "success"}))).await;
        let det = format!("/v1/applications/{r}/determination");
        let (s, _) = app.call("cardiff", "PUT", &det, Some(json!({"decision": "approved"}))).await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (_, page) = app.call("cardiff", "GET", "/v1/register-checks", None).await;
        let check = page["registerChecks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["reference"] == r.to_string())
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .expect("its register check is asked");
        // Its messages are sent; then 29 days pass.
        let later = Utc::now() + chrono::Duration::days(29);
        for queue in ier_storage::Queue::ALL {
            let worker = app.store.worker(queue, "test-finisher");
            for job in worker.claim(later, std::time::Duration::from_secs(60), 100).await.unwrap() {
                assert!(worker.complete(&job, later, None, &Default::default()).await.unwrap());
            }
        }
        let rules = ier_domain::retention::Retention::current();
        let report = app.store.run_retention(rules, later, 100, false).await.unwrap();
        assert_eq!(report.applications_total(), 1, "{db:?}");
        for (method, path, body) in [
            ("GET", format!("/v1/applications/{r}"), None),
            ("GET", format!("/v1/applications/{r}/verification"), None),
            ("PUT", det.clone(), Some(json!({"decision": "approved"}))),
            ("GET", format!("/v1/register-checks/{check}"), None),
            (
                "POST",
                format!("/v1/register-checks/{check}"),
                Some(json!({"gssCode": "W06000015", "matchCount": 0, "matches": []})),
            ),
        ] {
            let (s, p) = app.call("cardiff", method, &path, body).await;
            assert_eq!(s, StatusCode::GONE, "{db:?} {method} {path}: {p}");
            assert_eq!(p["type"], "urn:ier:problem:erased");
            assert!(!p.to_string().contains("Erased"), "nothing personal: {p}");
        }
        let (s, _) = app.call("westminster", "GET", &format!("/v1/applications/{r}"), None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "another ERO still learns nothing");
        let (s, _) = app
            .call("cardiff", "PUT", &format!("/v1/applications/{r}/receipt"), Some(json!({"status": "success"})))
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "confirming again stays harmless");
        let (_, page) = app.call("cardiff", "GET", "/v1/register-checks", None).await;
        assert!(!page.to_string().contains(&r.to_string()), "its check is no longer asked");
        let (s, one) = app.call("cardiff", "GET", &format!("/v1/applications/{kept}"), None).await;
        assert_eq!((s, one["reference"].as_str()), (StatusCode::OK, Some(kept.to_string().as_str())));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verification_results_come_with_their_evidence() {
    for db in databases() {
        let app = App::standard(db).await;
        let r = app.submit("W06000015", "Checked").await;
        let path = format!("/v1/applications/{r}/verification");
        let (s, v) = app.call("cardiff", "GET", &path, None).await;
        assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("pending")), "{db:?}");
        let explanation = vec!["National Insurance number: found".to_owned(), "Surname: same".to_owned()];
        let kind = EventKind::Verified { outcome: VerificationOutcome::Match, explanation: explanation.clone() };
        let store = ier_storage::Store::new(
            app.backend.clone(),
            ier_storage::DataKeys::parse(&ier_storage::DataKeys::generate("k")).unwrap(),
        );
        let worker = store.worker(ier_storage::Queue::Verify, "test-verifier");
        let job = worker.claim(Utc::now(), std::time::Duration::from_secs(60), 1).await.unwrap().remove(0);
        let effects = ier_storage::JobEffects { event: Some(kind), ..Default::default() };
        assert!(worker.complete(&job, Utc::now(), None, &effects).await.unwrap());
        let (_, v) = app.call("cardiff", "GET", &path, None).await;
        assert_eq!(v["status"], "match");
        assert_eq!(v["explanation"], json!(explanation));
        let (s, _) = app.call("westminster", "GET", &path, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_checks_are_answered_once_by_the_right_council() {
    for db in databases() {
        let app = App::standard(db).await;
        let r = app.submit("S12000019", "Macleod").await;
        app.submit("W06000015", "Elsewhere").await;
        let (s, page) = app.call("lothian-vjb", "GET", "/v1/register-checks", None).await;
        assert_eq!(s, StatusCode::OK, "{db:?}");
        let checks = page["registerChecks"].as_array().unwrap();
        assert_eq!(checks.len(), 1, "{page}");
        let check = &checks[0];
        assert_eq!(check["reference"], r.to_string());
        assert_eq!(check["name"]["surname"], "Macleod");
        let id = check["id"].as_str().unwrap().to_owned();
        let path = format!("/v1/register-checks/{id}");
        let candidate = json!({
            "emsElectorId": "LVJB-1", "givenName": "SIAN", "surname": "MACLEOD", "dateOfBirth": "1990-09-02",
            "street": "High Street", "postcode": "EH1 1YZ", "franchiseCode": "G"
        });
        let answer =
            |gss: &str, count: u32, matches: Value| json!({"gssCode": gss, "matchCount": count, "matches": matches});
        let cases = [
            (answer("W06000015", 0, json!([])), StatusCode::FORBIDDEN, "not one of the councils"),
            (
                answer("S12000036", 0, json!([])),
                StatusCode::BAD_REQUEST,
                "gssCode: is not the council of this register check",
            ),
            (answer("S12000019", 2, json!([candidate])), StatusCode::BAD_REQUEST, "matchCount is 2 but 1 candidates"),
            (
                json!({"requestId": id, "gssCode": "S12000019", "matchCount": 0}),
                StatusCode::BAD_REQUEST,
                "unknown field (value not shown), expected one of",
            ),
            (
                answer(
                    "S12000019",
                    1,
                    json!([{"emsElectorId": "", "givenName": "A", "surname": "B", "street": "C", "postcode": "D", "franchiseCode": "G"}]),
                ),
                StatusCode::BAD_REQUEST,
                "matches[0].emsElectorId: must not be empty",
            ),
        ];
        for (body, status, msg) in cases {
            let (s, p) = app.call("lothian-vjb", "POST", &path, Some(body)).await;
            assert_eq!(s, status, "{msg}: {p}");
            assert!(p["detail"].as_str().unwrap().contains(msg), "{msg}: {p}");
        }
        let (s, p) = app.call("cardiff", "POST", &path, Some(answer("W06000015", 0, json!([])))).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "another ERO's check: {p}");
        let (s, out) = app.call("lothian-vjb", "POST", &path, Some(answer("S12000019", 1, json!([candidate])))).await;
        assert_eq!(s, StatusCode::CREATED, "{out}");
        assert_eq!(out["result"], "partial-match", "a different address: partial");
        let (s, p) = app.call("lothian-vjb", "POST", &path, Some(answer("S12000019", 0, json!([])))).await;
        assert_eq!(s, StatusCode::CONFLICT, "{p}");
        let (_, got) = app.call("lothian-vjb", "GET", &path, None).await;
        assert_eq!((got["status"].as_str(), got["result"].as_str()), (Some("answered"), Some("partial-match")));
        assert_eq!(got["matches"][0]["emsElectorId"], "LVJB-1");
        let (_, page) = app.call("lothian-vjb", "GET", "/v1/register-checks", None).await;
        assert!(page["registerChecks"].as_array().unwrap().is_empty());
        let (_, a) = app.call("lothian-vjb", "GET", &format!("/v1/applications/{r}"), None).await;
        assert_eq!(a["registerCheck"]["result"], "partial-match");
        let (s, _) = app.call("lothian-vjb", "GET", "/v1/register-checks/nope", None).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ero_sees_its_own_details_and_councils() {
    let app = App::standard(Db::Sqlite).await;
    let (s, e) = app.call("lothian-vjb", "GET", "/v1/ero", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(e["id"], "lothian-vjb");
    let gss: Vec<&str> = e["councils"].as_array().unwrap().iter().map(|c| c["gssCode"].as_str().unwrap()).collect();
    assert_eq!(gss, vec!["S12000019", "S12000036"]);
    let (s, p) = app.call("lothian-vjb", "GET", "/v1/nothing", None).await;
    assert_eq!((s, p["type"].as_str()), (StatusCode::NOT_FOUND, Some("urn:ier:problem:not-found")));
    let (s, p) = app.call("lothian-vjb", "DELETE", "/v1/ero", None).await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED, "{p}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_access_is_audited_without_personal_data() {
    let app = App::standard(Db::Sqlite).await;
    let r = app.submit("W06000015", "Zzyzxaudit").await;
    app.call("cardiff", "GET", "/v1/applications", None).await;
    app.call("cardiff", "GET", &format!("/v1/applications/{r}"), None).await;
    app.call("cardiff", "PUT", &format!("/v1/applications/{r}/receipt"), Some(json!({"status": "success"}))).await;
    app.call("westminster", "GET", &format!("/v1/applications/{r}"), None).await;
    app.state.audit.flush().await;
    let mut log = app.backend.api_accesses(100).await.unwrap();
    log.reverse();
    let lines: Vec<_> =
        log.iter().map(|a| (a.ero_id.as_str(), a.method.as_str(), a.route.as_str(), a.status, a.items)).collect();
    assert_eq!(
        lines,
        vec![
            ("cardiff", "GET", "/v1/applications", 200, Some(1)),
            ("cardiff", "GET", "/v1/applications/{reference}", 200, Some(1)),
            ("cardiff", "PUT", "/v1/applications/{reference}/receipt", 204, Some(1)),
            ("westminster", "GET", "/v1/applications/{reference}", 404, None),
        ]
    );
    assert_eq!(log[1].target.as_deref(), Some(r.as_str()));
    assert_eq!(log[0].certificate_serial, "0a1b2c3d");
    assert!(log.iter().all(|a| !a.request_id.is_empty()));
    let everything = format!("{log:?}");
    assert!(!everything.contains("Zzyzxaudit") && !everything.contains("CF10"), "{everything}");
}

#[tokio::test]
async fn past_capacity_requests_get_a_busy_problem_are_audited_and_nothing_is_done() {
    let app = App::standard(Db::Sqlite).await;
    let r = app.submit("W06000015", "Busy").await;
    let mut state = app.state.clone();
    state.gate = Arc::new(ier_ops::Gate::new(1, std::time::Duration::from_millis(10)));
    let gate = state.gate.clone();
    let busy_router = router(state);
    let call = |method: &str, uri: String, body: Option<Value>| {
        let mut req = Request::builder().method(method).uri(uri);
        if body.is_some() {
            req = req.header(header::CONTENT_TYPE, "application/json");
        }
        let mut req = req.body(body.map(|b| Body::from(b.to_string())).unwrap_or_else(Body::empty)).unwrap();
        req.extensions_mut()
            .insert(Caller { ero: EroId::parse("cardiff").unwrap(), serial: Serial::parse("0a1b2c3d").unwrap() });
        busy_router.clone().oneshot(req)
    };
    let held = gate.enter(ier_ops::Tier::Ems).await.unwrap();
    let res = call("PUT", format!("/v1/applications/{r}/receipt"), Some(json!({"status": "success"}))).await.unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.headers()[header::RETRY_AFTER], "5");
    assert_eq!(res.headers()[header::CONTENT_TYPE], "application/problem+json");
    let body: Value = serde_json::from_slice(&axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap()).unwrap();
    assert_eq!(body["type"], "urn:ier:problem:busy");
    assert!(body["detail"].as_str().unwrap().contains("nothing was done"), "{body}");
    // Nothing was done: the application is still on the queue.
    let (_, page) = app.call("cardiff", "GET", "/v1/applications", None).await;
    assert_eq!(refs(&page), vec![r.to_string()]);
    // Recovers by itself once a place is free.
    drop(held);
    let res = call("PUT", format!("/v1/applications/{r}/receipt"), Some(json!({"status": "success"}))).await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    // Both accesses are audited, the shed one with its 503.
    app.state.audit.flush().await;
    let statuses: Vec<u16> =
        app.backend.api_accesses(10).await.unwrap().iter().filter(|a| a.method == "PUT").map(|a| a.status).collect();
    assert_eq!(statuses, vec![204, 503]);
}

#[tokio::test]
async fn a_body_that_never_finishes_gets_a_timeout_problem_and_closes_the_connection() {
    let app = App::standard(Db::Sqlite).await;
    let r = app.submit("W06000015", "Slow").await;
    let mut state = app.state.clone();
    state.body_timeout = std::time::Duration::from_millis(300);
    let slow_router = router(state);
    // The first bytes of a receipt, and then nothing: a client trickling its body.
    let body = Body::new(Stalled(Some(axum::body::Bytes::from_static(b"{\"status\": \"succ"))));
    let mut req = Request::builder()
        .method("PUT")
        .uri(format!("/v1/applications/{r}/receipt"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(body)
        .unwrap();
    req.extensions_mut()
        .insert(Caller { ero: EroId::parse("cardiff").unwrap(), serial: Serial::parse("0a1b2c3d").unwrap() });
    let res = tokio::time::timeout(std::time::Duration::from_secs(5), slow_router.oneshot(req))
        .await
        .expect("the deadline fired")
        .unwrap();
    assert_eq!(res.status(), StatusCode::REQUEST_TIMEOUT);
    assert_eq!(res.headers()[header::CONNECTION], "close");
    let body: Value = serde_json::from_slice(&axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap()).unwrap();
    assert_eq!(body["type"], "urn:ier:problem:timeout");
    // Nothing was done: still on the queue.
    let (_, page) = app.call("cardiff", "GET", "/v1/applications", None).await;
    assert_eq!(refs(&page), vec![r.to_string()]);
}

/// A body that sends its first bytes and then nothing, for ever.
struct Stalled(Option<axum::body::Bytes>);

impl axum::body::HttpBody for Stalled {
    type Data = axum::body::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        match self.0.take() {
            Some(bytes) => std::task::Poll::Ready(Some(Ok(http_body::Frame::data(bytes)))),
            None => std::task::Poll::Pending,
        }
    }
}

#[tokio::test]
async fn the_openapi_document_is_generated_from_the_code_and_served() {
    let doc = serde_json::to_value(ier_ems_api::openapi()).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    insta::assert_json_snapshot!("openapi", doc);
    let app = App::standard(Db::Sqlite).await;
    let (s, served) = app.call("cardiff", "GET", "/v1/openapi.json", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(served, doc);
}

// --- Isolation: no request ever returns, confirms or changes another ERO's data ----------

#[derive(Debug, Clone)]
enum Op {
    List(u32),
    Get(usize),
    Receipt(usize, bool),
    Determine(usize),
    Verification(usize),
    Checks,
    GetCheck(usize),
    Answer(usize, usize),
    /// A matching run: read it, add electors, queue it, read results or properties, delete it.
    Run(usize, u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1u32..250).prop_map(Op::List),
        (0usize..64).prop_map(Op::Get),
        ((0usize..64), any::<bool>()).prop_map(|(i, s)| Op::Receipt(i, s)),
        (0usize..64).prop_map(Op::Determine),
        (0usize..64).prop_map(Op::Verification),
        Just(Op::Checks),
        (0usize..64).prop_map(Op::GetCheck),
        ((0usize..64), (0usize..8)).prop_map(|(i, g)| Op::Answer(i, g)),
        ((0usize..64), (0u8..6)).prop_map(|(i, what)| Op::Run(i, what)),
    ]
}

/// Eight EROs, one with three councils, applications spread across them.
const EROS: [(&str, &[(&str, Nation)]); 8] = [
    ("e1", &[("E09000001", Nation::England)]),
    ("e2", &[("E09000002", Nation::England)]),
    ("e3", &[("E06000001", Nation::England), ("E06000002", Nation::England), ("E06000003", Nation::England)]),
    ("w1", &[("W06000001", Nation::Wales)]),
    ("w2", &[("W06000002", Nation::Wales)]),
    ("s1", &[("S12000005", Nation::Scotland), ("S12000006", Nation::Scotland)]),
    ("s2", &[("S12000008", Nation::Scotland)]),
    ("s3", &[("S12000010", Nation::Scotland)]),
];

async fn isolation_run(db: Db, ops: Vec<(usize, Op)>) {
    let app = App::with(db, &EROS).await;
    let all_gss: Vec<(&str, &str)> = EROS.iter().flat_map(|(e, cs)| cs.iter().map(move |(g, _)| (*e, *g))).collect();
    // Every application's surname names its ERO, so a leak is visible in any body.
    let mut apps: Vec<(&str, ReferenceNumber)> = Vec::new();
    for (i, (e, g)) in all_gss.iter().cycle().take(24).enumerate() {
        apps.push((e, app.submit(g, &format!("Owner{e}x{i}")).await));
    }
    let mut checks: Vec<(&str, String)> = Vec::new();
    for (e, _) in EROS.iter() {
        let (_, page) = app.call(e, "GET", "/v1/register-checks?pageSize=200", None).await;
        for c in page["registerChecks"].as_array().unwrap() {
            checks.push((e, c["id"].as_str().unwrap().to_owned()));
        }
    }
    // A matching run per ERO, its elector named after it.
    let mut runs: Vec<(&str, String)> = Vec::new();
    for (e, _) in EROS.iter() {
        let (_, run) = app.call(e, "POST", "/v1/matching-runs", Some(json!({"purpose": "canvass"}))).await;
        let id = run["id"].as_str().unwrap().to_owned();
        let page = json!({"electors": [{"electorNumber": "1", "givenName": "Ann", "surname": letters(&format!("Owner{e}x")),
            "addressLines": ["1 High Street"], "postcode": "AB1 2CD"}]});
        let (s, _) = app.call(e, "POST", &format!("/v1/matching-runs/{id}/electors"), Some(page)).await;
        assert_eq!(s, StatusCode::OK);
        runs.push((e, id));
    }
    for (who, op) in ops {
        let caller = EROS[who % EROS.len()].0;
        let (target_owner, status, body) = match op {
            Op::List(n) => {
                let (s, b) = app.call(caller, "GET", &format!("/v1/applications?pageSize={n}"), None).await;
                (caller, s, b)
            }
            Op::Get(i) => {
                let (owner, r) = apps[i % apps.len()];
                let (s, b) = app.call(caller, "GET", &format!("/v1/applications/{r}"), None).await;
                (owner, s, b)
            }
            Op::Receipt(i, ok) => {
                let (owner, r) = apps[i % apps.len()];
                let body =
                    if ok { json!({"status": "success"}) } else { json!({"status": "failure", "message": "no"}) };
                let (s, b) = app.call(caller, "PUT", &format!("/v1/applications/{r}/receipt"), Some(body)).await;
                (owner, s, b)
            }
            Op::Determine(i) => {
                let (owner, r) = apps[i % apps.len()];
                let body = json!({"decision": "rejected", "reasons": ["other"]});
                let (s, b) = app.call(caller, "PUT", &format!("/v1/applications/{r}/determination"), Some(body)).await;
                (owner, s, b)
            }
            Op::Verification(i) => {
                let (owner, r) = apps[i % apps.len()];
                let (s, b) = app.call(caller, "GET", &format!("/v1/applications/{r}/verification"), None).await;
                (owner, s, b)
            }
            Op::Checks => {
                let (s, b) = app.call(caller, "GET", "/v1/register-checks", None).await;
                (caller, s, b)
            }
            Op::GetCheck(i) => {
                let (owner, id) = &checks[i % checks.len()];
                let (s, b) = app.call(caller, "GET", &format!("/v1/register-checks/{id}"), None).await;
                (*owner, s, b)
            }
            Op::Answer(i, g) => {
                let (owner, id) = &checks[i % checks.len()];
                let gss = all_gss[g % all_gss.len()].1;
                let body = json!({"gssCode": gss, "matchCount": 0});
                let (s, b) = app.call(caller, "POST", &format!("/v1/register-checks/{id}"), Some(body)).await;
                (*owner, s, b)
            }
            Op::Run(i, what) => {
                let (owner, id) = &runs[i % runs.len()];
                let run = format!("/v1/matching-runs/{id}");
                let page = json!({"electors": [{"electorNumber": "2", "givenName": "Bo", "surname": "Intruder",
                    "addressLines": ["2 High Street"], "postcode": "AB1 2CD"}]});
                let (s, b) = match what {
                    0 => app.call(caller, "GET", &run, None).await,
                    1 => app.call(caller, "POST", &format!("{run}/electors"), Some(page)).await,
                    2 => app.call(caller, "POST", &format!("{run}/matches"), Some(json!({"against": "dwp"}))).await,
                    3 => app.call(caller, "GET", &format!("{run}/results"), None).await,
                    4 => app.call(caller, "GET", &format!("{run}/properties"), None).await,
                    _ => app.call(caller, "GET", "/v1/matching-runs", None).await,
                };
                (if what == 5 { caller } else { *owner }, s, b)
            }
        };
        let text = body.to_string();
        // No other ERO's applicant ever appears in what the caller gets back.
        for (e, _) in EROS.iter().filter(|(e, _)| *e != caller) {
            assert!(!text.contains(&letters(&format!("Owner{e}x"))), "{caller} saw {e}'s data: {text}");
        }
        // Touching another ERO's item is always "not found" (or "not your council" for a foreign gssCode).
        if target_owner != caller {
            assert!(
                matches!(status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
                "{caller} → {target_owner}: {status} {text}"
            );
        }
        assert!(!status.is_server_error(), "{status} {text}");
    }
    // And every application is still where it belongs, changed only by its own ERO.
    for (owner, r) in &apps {
        let (s, a) = app.call(owner, "GET", &format!("/v1/applications/{r}"), None).await;
        assert_eq!(s, StatusCode::OK);
        assert!(a["applicant"]["name"]["surname"].as_str().unwrap().starts_with(&letters(&format!("Owner{owner}x"))));
    }
    // Each run holds only its own ERO's electors.
    for (owner, id) in &runs {
        let (s, run) = app.call(owner, "GET", &format!("/v1/matching-runs/{id}"), None).await;
        assert_eq!(s, StatusCode::OK);
        assert!(run["electors"].as_u64().unwrap() <= 2);
        let (_, list) = app.call(owner, "GET", "/v1/matching-runs", None).await;
        let ids: Vec<&str> = list["runs"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert_eq!(ids, vec![id.as_str()]);
    }
    app.state.audit.flush().await;
    let audit = app.backend.api_accesses(10_000).await.unwrap();
    assert!(audit.iter().all(|a| EROS.iter().any(|(e, _)| a.ero_id.as_str() == *e)));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn no_request_ever_reaches_another_eros_data(ops in proptest::collection::vec((0usize..8, op()), 1..40)) {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        for db in databases() {
            rt.block_on(isolation_run(db, ops.clone()));
        }
    }
}

/// An EMS uploads its register to the person index and removes electors who
/// leave: dirty values are read as missing and reported by position (never
/// quoted); one ERO's numbers are its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_register_is_uploaded_in_pages_and_found_without_being_kept() {
    use ier_storage::persons::{Person, Source};
    for db in databases() {
        let app = App::standard(db).await;
        let page = json!({"electors": [
            {"electorNumber": "CA-1", "givenName": "William", "surname": "Jones", "dateOfBirth": "1950-01-02",
             "addressLines": ["3 Heol y Bont"], "postcode": "CF10 1EP"},
            {"electorNumber": "CA-2", "givenName": "Ann", "surname": "Jones", "dateOfBirth": "1937-02-29",
             "addressLines": ["3 Heol y Bont"], "postcode": "CF10 1EP", "nino": "AB123456C"},
            {"electorNumber": "CA-3", "givenName": "Ivor", "surname": "Lewis", "dateOfBirth": "",
             "addressLines": ["5 Heol y Bont"], "postcode": "CF10 1EP", "nino": "not a nino"},
        ]});
        let (s, out) = app.call("cardiff", "POST", "/v1/register/electors", Some(page)).await;
        assert_eq!(s, StatusCode::OK, "{db:?} {out}");
        assert_eq!(out["stored"], 2);
        assert_eq!(out["electors"], 2);
        assert_eq!(out["valuesSkipped"][0]["electorNumber"], "CA-2");
        assert_eq!(out["valuesSkipped"][0]["field"], "dateOfBirth");
        assert_eq!(out["valuesSkipped"][0]["reason"], "is a date that does not exist");
        assert_eq!(out["valuesSkipped"][1]["field"], "nino");
        assert_eq!(out["notIndexed"][0]["index"], 2, "no date of birth and no NINO: cannot be found");
        assert!(!out.to_string().contains("1937") && !out.to_string().contains("not a nino"), "values never quoted");

        let person = Person {
            given: "Bill",
            surname: "JONES",
            date_of_birth: Some("1950-01-02"),
            postcode: "cf101ep",
            line1: "3, Heol-y-Bont",
            line2: "",
            uprn: None,
            nino: None,
        };
        let found = app.store.citizen().find_person(&person).await.unwrap();
        assert_eq!(found.len(), 1, "{db:?}");
        assert_eq!((found[0].found.source, found[0].found.subject.as_str()), (Source::Elector, "CA-1"));

        // Westminster's EMS cannot remove Cardiff's elector; Cardiff's can.
        let removal = json!({"electorNumbers": ["CA-1"]});
        let (_, out) = app.call("westminster", "POST", "/v1/register/removals", Some(removal.clone())).await;
        assert_eq!(out["removed"], 0);
        let (_, out) = app.call("cardiff", "POST", "/v1/register/removals", Some(removal)).await;
        assert_eq!((out["removed"].as_u64(), out["electors"].as_u64()), (Some(1), Some(1)));
        assert!(app.store.citizen().find_person(&person).await.unwrap().is_empty());
        let (_, out) = app.call("cardiff", "GET", "/v1/register", None).await;
        assert_eq!(out["electors"], 1);

        for (body, msg) in [
            (json!({"electors": []}), "electors: give 1 to 1000 electors"),
            (
                json!({"electors": [{"electorNumber": "a b", "givenName": "A", "surname": "B", "addressLines": ["1"], "postcode": "CF10 1EP"}]}),
                "electors[0].electorNumber",
            ),
        ] {
            let (s, p) = app.call("cardiff", "POST", "/v1/register/electors", Some(body)).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{p}");
            assert!(p["detail"].as_str().unwrap().contains(msg), "{p}");
        }
    }
}

/// An application from someone who applied before, or who is on the register
/// at that address, reaches the ERO marked with the earlier reference.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeat_application_is_marked_for_the_ero() {
    for db in databases() {
        let app = App::standard(db).await;
        let first = app.submit("W06000015", "Repeat").await;
        let second = app.submit("W06000015", "Repeat").await;
        let other = app.submit("W06000015", "Different").await;
        let (_, page) = app.call("cardiff", "GET", "/v1/applications", None).await;
        let mark = |r: &ReferenceNumber| {
            page["applications"].as_array().unwrap().iter().find(|a| a["reference"] == r.to_string()).unwrap()["repeat"]
                .clone()
        };
        assert_eq!(mark(&first), Value::Null, "{db:?}: the first is not a repeat");
        assert_eq!(mark(&second)["earlierApplication"], first.to_string());
        assert_eq!(mark(&second)["registeredAtAddress"], false);
        // Same NINO (the test applicant's) but another name: the same person by NINO.
        assert_eq!(mark(&other)["earlierApplication"], second.to_string(), "the latest earlier one");

        // Once the register says they are there, the ERO sees that too.
        let page = json!({"electors": [{"electorNumber": "R1", "givenName": "Siân", "surname": "Repeat",
            "dateOfBirth": "1990-03-14", "addressLines": ["1 High Street"], "postcode": "CF10 1EP"}]});
        let (s, _) = app.call("cardiff", "POST", "/v1/register/electors", Some(page)).await;
        assert_eq!(s, StatusCode::OK);
        let (_, one) = app.call("cardiff", "GET", &format!("/v1/applications/{first}"), None).await;
        assert_eq!(one["repeat"]["registeredAtAddress"], true, "{one}");
        assert_eq!(one["repeat"]["earlierApplication"], Value::Null);
    }
}

/// A body over 2 MB gets a problem document, not axum's plain text
/// (issue 20, finding 7), and trailing garbage after the JSON is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_and_trailing_bodies_get_problems() {
    let app = App::standard(Db::Sqlite).await;
    let big = format!(r#"{{"receipts": [], "pad": "{}"}}"#, "x".repeat(3 << 20));
    let (s, h, text) = app.call_raw("cardiff", "POST", "/v1/receipts", Some(big), "application/json").await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(h[header::CONTENT_TYPE], "application/problem+json");
    assert!(text.contains("too-large"), "{text}");
    let trailing = r#"{"electorNumbers": ["A1"]} and more"#.to_owned();
    let (s, _, text) =
        app.call_raw("cardiff", "POST", "/v1/register/removals", Some(trailing), "application/json").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(text.contains("more after its JSON value"), "{text}");
}

// --- Data matching: a register against DWP, then local data -------------------------------

/// People the DWP reference holds (a synthetic population), as register electors, with the
/// electors of whole households so that properties can be checked.
fn population() -> ier_synth::Population {
    ier_synth::Population::new(7, 4_000, chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()).unwrap()
}

fn dwp_reference(population: &ier_synth::Population) -> ier_jobs::matching::DwpReference {
    ier_jobs::matching::DwpReference::of("test", ier_dwp::simulator::match_reference(population))
}

fn elector_json(number: &str, p: &ier_synth::Person, with_dob: bool) -> Value {
    let r = ier_synth::ReferenceRecord::of(p);
    let mut e = json!({"electorNumber": number, "givenName": r.given_name, "surname": r.surname,
        "addressLines": [r.address_line_1, r.address_line_2], "postcode": r.postcode});
    if with_dob {
        e["dateOfBirth"] = json!(r.date_of_birth);
    }
    e
}

async fn match_queued(app: &App, dwp: &std::sync::Arc<ier_jobs::matching::DwpReference>) {
    let matcher = ier_jobs::matching::Matcher::new(app.store.matching_worker("test-matcher"), dwp.clone());
    let run = matcher.run_once().await.unwrap();
    assert!(run.is_some(), "a run was waiting");
}

/// An EMS uploads its register in pages (dirty values reported, never quoted), the
/// worker matches it against DWP, and the EMS reads results per elector and property;
/// local data then matches those DWP did not; another ERO sees none of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_register_is_matched_against_dwp_then_local_data_with_results_per_elector_and_property() {
    let population = population();
    let dwp = std::sync::Arc::new(dwp_reference(&population));
    // Whole households: people sharing an address, in population order.
    let people: Vec<ier_synth::Person> = population.people().take(600).collect();
    for db in databases() {
        let app = App::standard(db).await;
        let (s, run) = app.call("cardiff", "POST", "/v1/matching-runs", Some(json!({"purpose": "canvass"}))).await;
        assert_eq!(s, StatusCode::CREATED, "{db:?} {run}");
        let id = run["id"].as_str().unwrap().to_owned();
        assert_eq!(run["state"], "uploading");
        let base = format!("/v1/matching-runs/{id}");
        // Not a person DWP knows: two newcomers sharing the first person's address.
        let first = ier_synth::ReferenceRecord::of(&people[0]);
        let newcomers = json!([
            {"electorNumber": "N-1", "givenName": "Zebedee", "surname": "Quillfeather", "dateOfBirth": "1937-02-29",
             "addressLines": [first.address_line_1, first.address_line_2], "postcode": first.postcode, "nino": "not one"},
            {"electorNumber": "N-2", "givenName": "Xanthe", "surname": "Quillfeather",
             "addressLines": [first.address_line_1, first.address_line_2], "postcode": first.postcode},
        ]);
        let mut electors: Vec<Value> =
            people.iter().enumerate().map(|(i, p)| elector_json(&format!("E-{i:04}"), p, i % 2 == 0)).collect();
        electors.extend(newcomers.as_array().unwrap().iter().cloned());
        for page in electors.chunks(250) {
            let (s, out) =
                app.call("cardiff", "POST", &format!("{base}/electors"), Some(json!({"electors": page}))).await;
            assert_eq!(s, StatusCode::OK, "{out}");
            let text = out.to_string();
            assert!(!text.contains("1937-02-29") && !text.contains("not one"), "values are never quoted: {text}");
        }
        let (_, run) = app.call("cardiff", "GET", &base, None).await;
        assert_eq!(run["electors"], 602);
        // No results before the match; another ERO sees nothing.
        assert_eq!(app.call("cardiff", "GET", &format!("{base}/results"), None).await.0, StatusCode::CONFLICT);
        for path in [base.clone(), format!("{base}/results"), format!("{base}/properties")] {
            assert_eq!(app.call("westminster", "GET", &path, None).await.0, StatusCode::NOT_FOUND, "{path}");
        }
        let (s, _) = app.call("westminster", "POST", &format!("{base}/matches"), Some(json!({"against": "dwp"}))).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        // Queue the match; the register is then closed.
        let (s, run) = app.call("cardiff", "POST", &format!("{base}/matches"), Some(json!({"against": "dwp"}))).await;
        assert_eq!(s, StatusCode::ACCEPTED, "{run}");
        assert_eq!(run["state"], "queued");
        let page = json!({"electors": [electors[0].clone()]});
        assert_eq!(app.call("cardiff", "POST", &format!("{base}/electors"), Some(page)).await.0, StatusCode::CONFLICT);
        match_queued(&app, &dwp).await;
        let (_, run) = app.call("cardiff", "GET", &base, None).await;
        assert_eq!(run["state"], "matched", "{run}");
        assert_eq!(run["progress"]["percent"], 100.0);
        // Results: every elector once, in number order, paged.
        let mut results = Vec::new();
        let mut after = String::new();
        loop {
            let q = if after.is_empty() { String::new() } else { format!("&after={after}") };
            let (s, page) = app.call("cardiff", "GET", &format!("{base}/results?pageSize=100{q}"), None).await;
            assert_eq!(s, StatusCode::OK, "{page}");
            results.extend(page["results"].as_array().unwrap().iter().cloned());
            match page["next"].as_str() {
                Some(n) => after = n.to_owned(),
                None => break,
            }
        }
        assert_eq!(results.len(), 602);
        let numbers: Vec<&str> = results.iter().map(|r| r["electorNumber"].as_str().unwrap()).collect();
        assert!(numbers.windows(2).all(|w| w[0] < w[1]));
        let matched = results.iter().filter(|r| r["matched"] == true).count();
        assert!(matched >= 560, "{db:?}: {matched} of 600 known people matched");
        for r in &results {
            if r["matched"] == true {
                assert!(["strong", "likely"].contains(&r["dwp"]["level"].as_str().unwrap()));
            }
        }
        let newcomer = |n: &str| results.iter().find(|r| r["electorNumber"] == n).unwrap().clone();
        assert_eq!(newcomer("N-1")["dwp"]["result"], "not-matched");
        assert_eq!(newcomer("N-2")["matched"], false);
        assert_eq!(newcomer("N-1")["property"], newcomer("E-0000")["property"], "the same address is one property");
        // Properties: route 1 only when every elector matched.
        let (s, props) = app.call("cardiff", "GET", &format!("{base}/properties?pageSize=10000"), None).await;
        assert_eq!(s, StatusCode::OK);
        let props = props["properties"].as_array().unwrap().clone();
        assert_eq!(props.iter().map(|p| p["electorNumbers"].as_array().unwrap().len()).sum::<usize>(), 602);
        assert!(props.len() > 150 && props.len() < 600, "{} properties: households share them", props.len());
        for p in &props {
            let all = p["matched"].as_u64().unwrap() as usize == p["electorNumbers"].as_array().unwrap().len();
            assert_eq!(p["route"], if all { "route-1" } else { "route-2" });
        }
        let home = newcomer("N-1")["property"].as_u64().unwrap();
        let home_route = |props: &[Value]| props.iter().find(|p| p["property"] == home).unwrap()["route"].clone();
        assert_eq!(home_route(&props), "route-2");
        // Local data (council tax) names the newcomers: a CSV with its own columns and dates.
        let csv = format!(
            "ACCOUNT,FORENAME,SURNAME,DOB,ADDR1,ADDR2,POSTCODE\r\n\
             1,Zebedee,Quillfeather,,\"{}\",\"{}\",{}\r\n\
             2,Xanthe,Quillfeather,31/02/1980,\"{}\",\"{}\",{}\r\n\
             3,short\r\n",
            first.address_line_1,
            first.address_line_2,
            first.postcode,
            first.address_line_1,
            first.address_line_2,
            first.postcode
        );
        let path = format!(
            "{base}/local-data?source=council-tax&givenName=FORENAME&surname=SURNAME&dateOfBirth=DOB&address=ADDR1,ADDR2&postcode=POSTCODE"
        );
        let (s, _, out) = app.call_raw("cardiff", "POST", &path, Some(csv.clone()), "text/csv").await;
        assert_eq!(s, StatusCode::OK, "{out}");
        let out: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            (out["stored"].clone(), out["rowsSkipped"].clone(), out["valuesSkipped"].clone()),
            (json!(2), json!(1), json!(1))
        );
        assert_eq!(out["problems"][0]["line"], 3);
        assert_eq!(out["problems"][0]["column"], "dob");
        assert!(!out.to_string().contains("31/02/1980"));
        // Sent again (a retried request): nothing stored twice.
        let (s, _, again) = app.call_raw("cardiff", "POST", &path, Some(csv.clone()), "text/csv").await;
        assert_eq!(s, StatusCode::OK, "{again}");
        let again: Value = serde_json::from_str(&again).unwrap();
        assert_eq!((again["stored"].clone(), again["localRecords"].clone()), (json!(0), json!(2)));
        let bad = format!("{base}/local-data?surname=NOPE&postcode=POSTCODE");
        let (s, _, out) = app.call_raw("cardiff", "POST", &bad, Some(csv.clone()), "text/csv").await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{out}");
        assert!(out.contains("surname"));
        assert_eq!(app.call_raw("westminster", "POST", &path, Some(csv), "text/csv").await.0, StatusCode::NOT_FOUND);
        let (s, run) =
            app.call("cardiff", "POST", &format!("{base}/matches"), Some(json!({"against": "local-data"}))).await;
        assert_eq!(s, StatusCode::ACCEPTED, "{run}");
        match_queued(&app, &dwp).await;
        let (_, page) = app.call("cardiff", "GET", &format!("{base}/results?pageSize=10000"), None).await;
        let after_local = page["results"].as_array().unwrap().clone();
        let n1 = after_local.iter().find(|r| r["electorNumber"] == "N-1").unwrap();
        assert_eq!(n1["localData"]["result"], "matched", "{n1}");
        assert_eq!(n1["matched"], true);
        assert_eq!(n1["dwp"]["result"], "not-matched", "the DWP result stands");
        let known = after_local.iter().find(|r| r["electorNumber"] == "E-0000").unwrap();
        assert!(known["localData"].is_null(), "electors DWP matched are not matched again: {known}");
        // The run is deleted on request, with everything in it.
        assert_eq!(app.call("westminster", "DELETE", &base, None).await.0, StatusCode::NOT_FOUND);
        assert_eq!(app.call("cardiff", "DELETE", &base, None).await.0, StatusCode::NO_CONTENT);
        assert_eq!(app.call("cardiff", "GET", &base, None).await.0, StatusCode::NOT_FOUND);
    }
}

/// Bad runs, pages and queries get specific problems, never a 500.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn matching_runs_refuse_what_they_cannot_do_with_specific_problems() {
    let app = App::standard(Db::Sqlite).await;
    let (s, out) = app.call("cardiff", "POST", "/v1/matching-runs", Some(json!({"purpose": "census"}))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(out["detail"].as_str().unwrap().contains("purpose"), "{out}");
    assert!(!out.to_string().contains("census"), "the value is not quoted: {out}");
    let (_, run) = app.call("cardiff", "POST", "/v1/matching-runs", Some(json!({"purpose": "confirmation"}))).await;
    let base = format!("/v1/matching-runs/{}", run["id"].as_str().unwrap());
    assert_eq!(app.call("cardiff", "GET", "/v1/matching-runs/mr-nope", None).await.0, StatusCode::NOT_FOUND);
    let (s, out) = app.call("cardiff", "POST", &format!("{base}/matches"), Some(json!({"against": "dwp"}))).await;
    assert_eq!(s, StatusCode::CONFLICT, "no electors yet: {out}");
    let (s, _) = app.call("cardiff", "POST", &format!("{base}/matches"), Some(json!({"against": "local-data"}))).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let e = |n: usize| json!({"electorNumber": format!("E{n}"), "givenName": "A", "surname": "B", "addressLines": ["1 X St"], "postcode": "CF10 1EP"});
    let too_many: Vec<Value> = (0..10_001).map(e).collect();
    let (s, out) = app.call("cardiff", "POST", &format!("{base}/electors"), Some(json!({"electors": too_many}))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{out}");
    let (s, out) =
        app.call("cardiff", "POST", &format!("{base}/electors"), Some(json!({"electors": [e(1), e(1), e(2)]}))).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!((out["stored"].clone(), out["electors"].clone()), (json!(2), json!(2)), "a number twice counts once");
    // The same page sent again (a retry), then one placed before it overlapping it: counted once each.
    let (_, out) =
        app.call("cardiff", "POST", &format!("{base}/electors"), Some(json!({"electors": [e(1), e(2)]}))).await;
    assert_eq!(out["electors"], 2, "a page sent again counts once");
    let page = json!({"electors": [e(2), e(3)], "position": 1});
    let (_, out) = app.call("cardiff", "POST", &format!("{base}/electors"), Some(page)).await;
    assert_eq!(out["electors"], 3);
    let (s, out) = app
        .call("cardiff", "POST", &format!("{base}/electors"), Some(json!({"electors": [e(4)], "position": 0})))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{out}");
    assert!(out["detail"].as_str().unwrap().starts_with("position:"), "{out}");
    let same: Vec<Value> = (0..10_000)
        .map(|_| json!({"electorNumber": "0", "givenName": "", "surname": "", "addressLines": [""], "postcode": ""}))
        .collect();
    let (s, out) = app.call("cardiff", "POST", &format!("{base}/electors"), Some(json!({"electors": same}))).await;
    assert_eq!(s, StatusCode::OK, "{out}");
    let (s, _) = app.call("cardiff", "GET", &format!("{base}/results?pageSize=0"), None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = app.call("cardiff", "GET", &format!("{base}/properties?after=x"), None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _, out) = app
        .call_raw("cardiff", "POST", &format!("{base}/local-data?surname=b"), Some("b\nx\n".into()), "text/plain")
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{out}");
    assert!(out.contains("text/csv"));
}
