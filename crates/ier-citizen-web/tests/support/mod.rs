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
    app: Router,
    /// The store behind the app, so tests can check what was saved (as an ERO would read it).
    pub store: Store,
    /// The session key, so tests can make cookies the app accepts (expired ones, say).
    pub session_key: secrecy::SecretString,
    pub cookies: BTreeMap<String, String>,
    _dir: tempfile::TempDir,
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
        Self { app: router(state), store, session_key, cookies: BTreeMap::new(), _dir: dir }
    }

    /// Another client of the same app and store, with no cookies.
    pub fn clone_app(&self) -> ClientOf {
        ClientOf { app: self.app.clone() }
    }

    async fn send(&mut self, req: axum::http::request::Builder, body: Body, headers: &[(&str, &str)]) -> Page {
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

/// A cookie-less client of an existing app (for many requests at once).
pub struct ClientOf {
    app: Router,
}

impl ClientOf {
    pub async fn get(&mut self, path: &str) -> Page {
        let res = self.app.clone().oneshot(Request::get(path).body(Body::empty()).unwrap()).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), 4 << 20).await.unwrap();
        Page { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }
}
