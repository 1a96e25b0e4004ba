//! A test client for the public router: fresh SQLite store and keys per app,
//! requests in-process, cookies carried between requests like a browser.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use ier_citizen_web::session::SessionCodec;
use ier_citizen_web::{AppState, router};
use ier_reference::Locator;
use ier_storage::{DataKeys, Store};
use ier_storage_sqlite::SqliteBackend;
use tower::ServiceExt;

pub struct Client {
    pub app: Router,
    /// The store behind the app, so tests can check what was saved (as an ERO would read it).
    pub store: Store,
    /// The session key, so tests can make cookies the app accepts (expired ones, say).
    pub session_key: secrecy::SecretString,
    pub cookies: BTreeMap<String, String>,
    /// Requests sent so far.
    pub requests: usize,
    _dir: tempfile::TempDir,
    /// The same database, opened again: for counting what a test wrote.
    pub db: SqliteBackend,
    /// The app's state (its counters and caches), as the router holds it.
    pub state: AppState,
}

pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers.get(header::LOCATION).map(|v| v.to_str().unwrap()).unwrap_or("")
    }

    /// The value of the hidden CSRF field on this page.
    pub fn csrf(&self) -> String {
        let marker = r#"name="csrf_token" value=""#;
        let start = self.body.find(marker).expect("page has a CSRF field") + marker.len();
        self.body[start..].split('"').next().unwrap().to_owned()
    }
}

impl Client {
    pub async fn new() -> Self {
        Self::build(false, None).await
    }

    /// As served in production over HTTPS (Secure cookies, HSTS).
    pub async fn https() -> Self {
        Self::build(true, None).await
    }

    /// With this overload gate (tests hold its places to overload the app).
    pub async fn with_gate(gate: Arc<ier_ops::Gate>) -> Self {
        Self::build(false, Some(gate)).await
    }

    async fn build(https: bool, gate: Option<Arc<ier_ops::Gate>>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let backend = SqliteBackend::open(&dir.path().join("t.db")).await.unwrap();
        let store = Store::new(Arc::new(backend), DataKeys::parse(&DataKeys::generate("k")).unwrap());
        // Councils and EROs, as `ier demo` and `ier serve` load them.
        let reference = ier_reference::ReferenceData::embedded();
        store.backend().put_eros(&reference.eros().cloned().collect::<Vec<_>>()).await.unwrap();
        store.backend().put_councils(&reference.councils().cloned().collect::<Vec<_>>()).await.unwrap();
        let session_key = DataKeys::generate("s");
        let sessions = SessionCodec::new(DataKeys::parse(&session_key).unwrap(), https);
        let mut state = AppState::new(Locator::embedded(), store.clone(), sessions);
        if let Some(gate) = gate {
            state.gate = gate;
        }
        let db = SqliteBackend::open(&dir.path().join("t.db")).await.unwrap();
        Self {
            app: router(state.clone()),
            store,
            session_key,
            cookies: BTreeMap::new(),
            requests: 0,
            _dir: dir,
            db,
            state,
        }
    }

    /// Another client of the same app and store, with no cookies.
    pub fn clone_app(&self) -> ClientOf {
        ClientOf { app: self.app.clone(), cookie: None }
    }

    /// Another client of the same app holding a copy of this one's cookies
    /// as they are now (a saved and replayed cookie; a second tab or click).
    pub fn replay(&self) -> ClientOf {
        let cookie = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
        ClientOf { app: self.app.clone(), cookie: Some(cookie) }
    }

    async fn send(&mut self, req: axum::http::request::Builder, body: Body, headers: &[(&str, &str)]) -> Page {
        self.requests += 1;
        let mut req = req;
        if !self.cookies.is_empty() {
            let cookie = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
            req = req.header(header::COOKIE, cookie);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = self.app.clone().oneshot(req.body(body).unwrap()).await.unwrap();
        for set in res.headers().get_all(header::SET_COOKIE) {
            let set = set.to_str().unwrap();
            let (pair, attrs) = set.split_once(';').unwrap_or((set, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), 4 << 20).await.unwrap();
        Page { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        self.get_with(path, &[]).await
    }

    pub async fn get_with(&mut self, path: &str, headers: &[(&str, &str)]) -> Page {
        self.send(Request::get(path), Body::empty(), headers).await
    }

    /// POST a form as a browser would (urlencoded, in order).
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.post_with(path, fields, &[]).await
    }

    /// POST a form with extra request headers (as the site's own script sends some).
    pub async fn post_with(&mut self, path: &str, fields: &[(&str, &str)], headers: &[(&str, &str)]) -> Page {
        let body = fields.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&");
        let req = Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        self.send(req, Body::from(body), headers).await
    }
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A client of an existing app with a fixed cookie, or none (for many
/// requests at once). It keeps no cookies it is given.
#[derive(Clone)]
pub struct ClientOf {
    app: Router,
    cookie: Option<String>,
}

impl ClientOf {
    /// A client of the same app holding the cookie `page` set (as the
    /// browser that made that request would hold it next).
    pub fn after(&self, page: &Page) -> ClientOf {
        let set = page.headers.get(header::SET_COOKIE).expect("the page sets a cookie").to_str().unwrap();
        let pair = set.split(';').next().unwrap().to_owned();
        ClientOf { app: self.app.clone(), cookie: Some(pair) }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        self.send(Request::get(path).body(Body::empty()).unwrap()).await
    }

    /// POST a form (urlencoded, in order).
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = fields.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&");
        let req = Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        self.send(req.body(Body::from(body)).unwrap()).await
    }

    async fn send(&mut self, mut req: Request<Body>) -> Page {
        if let Some(cookie) = &self.cookie {
            req.headers_mut().insert(header::COOKIE, cookie.parse().unwrap());
        }
        let res = self.app.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), 4 << 20).await.unwrap();
        Page { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }
}

/// One of the applicant walks in `data/walks.json` (the description the browser
/// tests and the load generator walk too).
#[derive(Clone)]
pub struct Walk {
    pub name: String,
    json: serde_json::Value,
}

/// What walking a journey saw: every page on the way (by step, GET after
/// arriving; errors as `{step}-error`), and the reference number shown at the end.
pub struct Walked {
    pub pages: Vec<(String, Page)>,
    pub reference: ier_domain::ReferenceNumber,
}

static WALKS: std::sync::LazyLock<serde_json::Value> = std::sync::LazyLock::new(|| {
    serde_json::from_str(include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/data/walks.json"))).expect("walks.json")
});

impl Walk {
    pub fn named(name: &str) -> Self {
        let json = WALKS["walks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["name"] == name)
            .unwrap_or_else(|| panic!("no walk named {name}"))
            .clone();
        Self { name: name.to_owned(), json }
    }

    pub fn all() -> Vec<Self> {
        WALKS["walks"].as_array().unwrap().iter().map(|w| Self::named(w["name"].as_str().unwrap())).collect()
    }

    pub fn kind(&self) -> &str {
        self.json["expect"]["kind"].as_str().unwrap()
    }

    pub fn ero(&self) -> Option<&str> {
        self.json["expect"]["ero"].as_str()
    }

    /// A value with the persona's `{placeholders}` filled in.
    pub fn fill(&self, value: &str) -> String {
        let mut out = value.to_owned();
        if let Some(persona) = self.json["persona"].as_object() {
            for (k, v) in persona {
                out = out.replace(&format!("{{{k}}}"), v.as_str().unwrap());
            }
        }
        out
    }

    /// What "Check your answers" must show.
    pub fn check(&self) -> Vec<String> {
        self.json["expect"]["check"].as_array().unwrap().iter().map(|v| self.fill(v.as_str().unwrap())).collect()
    }

    /// The step pages, in order (under /register-to-vote/).
    pub fn pages(&self) -> Vec<String> {
        self.json["steps"].as_array().unwrap().iter().map(|s| s["page"].as_str().unwrap().to_owned()).collect()
    }

    /// The form a step posts, with `@first` resolved against the page it is posted from.
    fn form(&self, fields: &serde_json::Value, page: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (k, v) in fields.as_object().unwrap() {
            let values: Vec<String> = match v {
                serde_json::Value::Array(a) => a.iter().map(|x| x.as_str().unwrap().to_owned()).collect(),
                x => vec![x.as_str().unwrap().to_owned()],
            };
            for v in values {
                let v = if v == "@first" {
                    let marker = format!(r#"name="{k}" type="radio" value=""#);
                    page.split(&marker)
                        .nth(1)
                        .unwrap_or_else(|| panic!("no options for {k}"))
                        .split('"')
                        .next()
                        .unwrap()
                        .to_owned()
                } else {
                    self.fill(&v)
                };
                out.push((k.clone(), v));
            }
        }
        out
    }

    /// Walk the first `n` steps in `lang` (each arriving where the next begins, and
    /// every invalid form refused with its error); the pages seen and the CSRF token.
    pub async fn steps(&self, c: &mut Client, lang: &str, n: usize) -> (Vec<(String, Page)>, String) {
        let mut pages = Vec::new();
        c.get(&format!("/?lang={lang}")).await;
        let start = c.get(&format!("/register-to-vote/{}", self.json["start"].as_str().unwrap())).await;
        assert_eq!(start.status, StatusCode::SEE_OTHER, "{}: start", self.name);
        let steps = self.json["steps"].as_array().unwrap();
        let mut here = start.location().to_owned();
        let mut csrf = String::new();
        for (i, step) in steps.iter().enumerate().take(n) {
            let slug = step["page"].as_str().unwrap();
            let path = format!("/register-to-vote/{slug}");
            assert_eq!(here, path, "{}: step {i} should be {path}", self.name);
            let page = c.get(&path).await;
            assert_eq!(page.status, StatusCode::OK, "{}: GET {path}", self.name);
            csrf = page.csrf();
            for invalid in step["invalid"].as_array().into_iter().flatten() {
                let mut form = self.form(&invalid["form"], &page.body);
                form.insert(0, ("csrf_token".into(), csrf.clone()));
                let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                let r = c.post(&path, &fields).await;
                let want = invalid["error"][lang].as_str().unwrap();
                assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}: invalid form at {path}", self.name);
                assert!(r.body.contains(want), "{}: {path} should say {want:?}: {}", self.name, r.body);
                pages.push((format!("{}-error", slug.replace('/', "-")), r));
            }
            let mut form = self.form(&step["form"], &page.body);
            form.insert(0, ("csrf_token".into(), csrf.clone()));
            let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            pages.push((slug.replace('/', "-"), page));
            let r = c.post(&path, &fields).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}: POST {path}: {}", self.name, r.body);
            here = r.location().to_owned();
        }
        if csrf.is_empty() {
            csrf = c.get(&here).await.csrf();
        }
        (pages, csrf)
    }

    /// Walk the first `n` steps; the CSRF token to go on with.
    pub async fn to_check_answers_until(&self, c: &mut Client, lang: &str, n: usize) -> String {
        self.steps(c, lang, n).await.1
    }

    fn prefix(&self) -> String {
        match self.json["journey"].as_str().unwrap() {
            "ordinary" => "/register-to-vote".to_owned(),
            j => format!("/register-to-vote/{j}"),
        }
    }

    /// Walk the journey in `lang` to "Check your answers", which must show what the walk expects.
    pub async fn to_check_answers(&self, c: &mut Client, lang: &str) -> Vec<(String, Page)> {
        let (mut pages, _) = self.steps(c, lang, self.pages().len()).await;
        let check = c.get(&format!("{}/check-answers", self.prefix())).await;
        assert_eq!(check.status, StatusCode::OK, "{}: all answered: {}", self.name, check.location());
        for text in self.check() {
            assert!(check.body.contains(&text), "{}: check answers should show {text:?}: {}", self.name, check.body);
        }
        pages.push(("check-answers".into(), check));
        pages
    }

    /// The whole journey: to "Check your answers", the declaration, and the complete page.
    pub async fn walk(&self, c: &mut Client, lang: &str) -> Walked {
        let mut pages = self.to_check_answers(c, lang).await;
        let prefix = self.prefix();
        let csrf = pages.last().unwrap().1.csrf();
        let r = c.post(&format!("{prefix}/check-answers"), &[("csrf_token", &csrf), ("declaration", "agreed")]).await;
        assert_eq!(
            (r.status, r.location()),
            (StatusCode::SEE_OTHER, format!("{prefix}/complete").as_str()),
            "{}",
            self.name
        );
        let done = c.get(&format!("{prefix}/complete")).await;
        assert_eq!(done.status, StatusCode::OK);
        let grouped = done.body.split("<strong>").nth(1).unwrap().split("</strong>").next().unwrap().to_owned();
        let reference = ier_domain::ReferenceNumber::parse(&grouped).expect("a reference number is shown");
        pages.push(("complete".into(), done));
        Walked { pages, reference }
    }
}

/// For walking a walk one request at a time (the pages bench does, from a client address of its own).
impl Walk {
    /// This walk with one of the persona's values replaced (or added).
    pub fn with_persona(mut self, key: &str, value: &str) -> Self {
        self.json["persona"][key] = serde_json::Value::from(value);
        self
    }

    /// Where the walk starts: a path that redirects to the first step's page.
    pub fn start_path(&self) -> String {
        format!("/register-to-vote/{}", self.json["start"].as_str().unwrap())
    }

    /// The path of step `i`'s page; past the last step, "Check your answers".
    pub fn step_path(&self, i: usize) -> String {
        match self.pages().get(i) {
            Some(slug) => format!("/register-to-vote/{slug}"),
            None => format!("{}/check-answers", self.prefix()),
        }
    }

    /// The form step `i` posts (without the CSRF token), `@first` resolved against `page`, the HTML it is posted from.
    pub fn step_form(&self, i: usize, page: &str) -> Vec<(String, String)> {
        self.form(&self.json["steps"][i]["form"], page)
    }

    /// Every step once, prepared (for a bench, which must not spend its time reading JSON):
    /// its path, the page it leads to, and its form with the persona filled in, `@first` left as
    /// it is for [`first_option`] to resolve against the page.
    pub fn prepared(&self) -> Vec<(String, String, Vec<(String, String)>)> {
        (0..self.pages().len())
            .map(|i| {
                let mut form = Vec::new();
                for (k, v) in self.json["steps"][i]["form"].as_object().unwrap() {
                    let values: Vec<&str> = match v {
                        serde_json::Value::Array(a) => a.iter().map(|x| x.as_str().unwrap()).collect(),
                        x => vec![x.as_str().unwrap()],
                    };
                    form.extend(values.into_iter().map(|v| (k.clone(), self.fill(v))));
                }
                (self.step_path(i), self.step_path(i + 1), form)
            })
            .collect()
    }
}

/// The first option a page offers for the radios named `name`.
pub fn first_option<'a>(page: &'a str, name: &str) -> &'a str {
    let marker = format!(r#"name="{name}" type="radio" value=""#);
    page.split(&marker).nth(1).unwrap_or_else(|| panic!("no options for {name}")).split('"').next().unwrap()
}
