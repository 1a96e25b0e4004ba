//! The ERO portal through HTTP, as a member of staff's browser uses it: signing
//! in with a second factor, the queue, an application, asking for evidence
//! (sent by the applicant through the public site's page), deciding; guessing,
//! CSRF, sessions and roles; and, over random staff, EROs and requests, that
//! nobody sees or changes another ERO's applications.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::Utc;
use ier_domain::{Determination, EroId, EventKind, ReferenceNumber, VerificationOutcome};
use ier_storage::evidence::{DirFileStore, FileStore};
use ier_storage::staff::{Role, Username, totp, totp_step};
use ier_storage::{DataKeys, Store};
use ier_storage_sqlite::SqliteBackend;
use secrecy::SecretString;
use tower::ServiceExt;

struct World {
    portal: Router,
    public: Router,
    store: Store,
    _dir: tempfile::TempDir,
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let backend = SqliteBackend::open(&dir.path().join("t.db")).await.unwrap();
    let store = Store::new(Arc::new(backend), DataKeys::parse(&DataKeys::generate("k")).unwrap());
    let reference = ier_reference::ReferenceData::embedded();
    store.backend().put_eros(&reference.eros().cloned().collect::<Vec<_>>()).await.unwrap();
    store.backend().put_councils(&reference.councils().cloned().collect::<Vec<_>>()).await.unwrap();
    let files: Arc<dyn FileStore> = Arc::new(DirFileStore::new(dir.path().join("evidence")).unwrap());
    let forms = Arc::new(ier_citizen_web::session::SessionCodec::new(
        DataKeys::parse(&DataKeys::generate("s")).unwrap(),
        false,
    ));
    let eros = reference.eros().cloned().collect();
    let portal = ier_ero_web::router(ier_ero_web::PortalState::new(&store, files.clone(), forms.clone(), eros));
    let mut state = ier_citizen_web::AppState::new(
        ier_reference::Locator::embedded(),
        store.clone(),
        ier_citizen_web::session::SessionCodec::new(DataKeys::parse(&DataKeys::generate("p")).unwrap(), false),
    );
    state.evidence = Some(store.evidence_inbox(files));
    World { portal, public: ier_citizen_web::router(state), store, _dir: dir }
}

struct Staff {
    username: String,
    password: String,
    secret: Vec<u8>,
    recovery: Vec<String>,
}

async fn staff(w: &World, ero: &str, role: Role, name: &str) -> Staff {
    let username = format!("{name}@{ero}.example");
    let password = "a long enough passphrase".to_owned();
    let enrolled = w
        .store
        .staff()
        .add(
            &EroId::parse(ero).unwrap(),
            Username::parse(&username).unwrap(),
            role,
            SecretString::from(password.clone()),
            Utc::now(),
        )
        .await
        .unwrap();
    let secret = data_encoding::BASE32_NOPAD.decode(enrolled.secret.as_bytes()).unwrap();
    Staff { username, password, secret, recovery: enrolled.recovery_codes }
}

struct Page {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
    bytes: Vec<u8>,
}

impl Page {
    fn location(&self) -> &str {
        self.headers.get(header::LOCATION).map(|v| v.to_str().unwrap()).unwrap_or("")
    }

    /// A hidden field's value (HTML-escaped values unescaped).
    fn hidden(&self, name: &str) -> String {
        let marker = format!(r#"name="{name}" value=""#);
        let start =
            self.body.find(&marker).unwrap_or_else(|| panic!("no {name} field in {}", self.body)) + marker.len();
        unescape(self.body[start..].split('"').next().unwrap())
    }
}

fn unescape(s: &str) -> String {
    s.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// A browser: cookies kept between requests, as a browser does.
#[derive(Clone)]
struct Browser {
    app: Router,
    cookies: BTreeMap<String, String>,
}

impl Browser {
    fn new(app: &Router) -> Self {
        Self { app: app.clone(), cookies: BTreeMap::new() }
    }

    async fn send(&mut self, req: axum::http::request::Builder, body: Body) -> Page {
        let mut req = req;
        if !self.cookies.is_empty() {
            let cookie = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
            req = req.header(header::COOKIE, cookie);
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
        let bytes = axum::body::to_bytes(res.into_body(), 32 << 20).await.unwrap().to_vec();
        Page { status, headers, body: String::from_utf8_lossy(&bytes).into_owned(), bytes }
    }

    async fn get(&mut self, path: &str) -> Page {
        self.send(Request::get(path), Body::empty()).await
    }

    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body: String = fields.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&");
        let req = Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        self.send(req, Body::from(body)).await
    }

    async fn multipart(&mut self, path: &str, fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> Page {
        let b = "----portal-test-boundary";
        let mut body = Vec::new();
        for (k, v) in fields {
            body.extend_from_slice(
                format!("--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
            );
        }
        for (k, name, bytes) in files {
            body.extend_from_slice(
                format!("--{b}\r\nContent-Disposition: form-data; name=\"{k}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{b}--\r\n").as_bytes());
        let req = Request::post(path).header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={b}"));
        self.send(req, Body::from(body)).await
    }
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Sign in with the password and then the app's code (a later step each time, so no code repeats).
async fn sign_in(w: &World, s: &Staff, step_offset: u64) -> Browser {
    let mut b = Browser::new(&w.portal);
    let page = b.get("/sign-in").await;
    assert_eq!(page.status, StatusCode::OK);
    let form = page.hidden("form");
    let page = b.post("/sign-in", &[("form", &form), ("username", &s.username), ("password", &s.password)]).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let pending = page.hidden("pending");
    let code = format!("{:06}", totp(&s.secret, totp_step(Utc::now()) + step_offset));
    let page = b.post("/sign-in/code", &[("pending", &pending), ("code", &code)]).await;
    assert_eq!((page.status, page.location()), (StatusCode::SEE_OTHER, "/applications"), "{}", page.body);
    b
}

/// An application to a council, received by its EMS, that DWP could not match.
async fn unmatched(w: &World, gss: &str, surname: &str) -> (ReferenceNumber, EroId) {
    let receipt =
        w.store.citizen().submit(ier_storage::contract::new_application(gss, surname), Utc::now()).await.unwrap();
    let ero = w.store.for_ero(receipt.ero_id.clone());
    let verified = EventKind::Verified {
        outcome: VerificationOutcome::NoMatch,
        explanation: vec!["Surname: does not match".into()],
    };
    ero.record(&receipt.reference, Utc::now(), &verified).await.unwrap();
    ero.confirm_receipts(Utc::now(), &[(receipt.reference, true, None)]).await.unwrap();
    (receipt.reference, receipt.ero_id)
}

fn png() -> Vec<u8> {
    // A 2×2 PNG, built by hand (zlib stored block), then checked by the page.
    let raw: Vec<u8> = [0u8, 255, 0, 0, 255, 0, 0, 0, 0, 0, 255, 0, 0, 255].to_vec();
    let mut z = vec![0x78, 0x01, 0x01];
    z.extend_from_slice(&(raw.len() as u16).to_le_bytes());
    z.extend_from_slice(&(!(raw.len() as u16)).to_le_bytes());
    z.extend_from_slice(&raw);
    let adler = {
        let (mut a, mut b) = (1u32, 0u32);
        for x in &raw {
            a = (a + *x as u32) % 65521;
            b = (b + a) % 65521;
        }
        (b << 16) | a
    };
    z.extend_from_slice(&adler.to_be_bytes());
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut c = kind.to_vec();
        c.extend_from_slice(data);
        out.extend_from_slice(&c);
        out.extend_from_slice(&crc32(&c).to_be_bytes());
    }
    fn crc32(d: &[u8]) -> u32 {
        let mut c = 0xffff_ffffu32;
        for &b in d {
            c ^= b as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 { 0xedb8_8320 ^ (c >> 1) } else { c >> 1 };
            }
        }
        !c
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&2u32.to_be_bytes());
    ihdr.extend_from_slice(&2u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &z);
    chunk(&mut out, b"IEND", &[]);
    out
}

#[tokio::test]
async fn staff_sign_in_with_a_second_factor_ask_for_evidence_see_it_and_decide() {
    let w = world().await;
    let officer = staff(&w, "cardiff", Role::Officer, "officer").await;
    let (reference, ero) = unmatched(&w, "W06000015", "Nomatch").await;
    let mut b = sign_in(&w, &officer, 0).await;
    for cookie in b.cookies.keys() {
        assert_eq!(cookie, "ier-staff");
    }

    // The queue, filtered to identity checks without a match: this application.
    let queue = b.get("/applications?identity=no-match").await;
    assert_eq!(queue.status, StatusCode::OK);
    assert!(queue.body.contains(reference.as_str()) && queue.body.contains("No match"), "{}", queue.body);
    assert!(b.get("/applications?identity=match").await.body.contains("No applications match"));
    // The same person again is marked as a likely duplicate, and the filter finds only it.
    let (again, _) = unmatched(&w, "W06000015", "Nomatch").await;
    let dupes = b.get("/applications?duplicate=likely").await;
    assert!(dupes.body.contains(again.as_str()) && !dupes.body.contains(reference.as_str()), "{}", dupes.body);
    assert!(dupes.body.contains("Applied before"));
    let bad = b.get("/applications?from=31/2/2026").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("Enter a real date") && unescape(&bad.body).contains("31/2/2026"));

    // The application in full: details, the identity check's evidence in words, history.
    let page = b.get(&format!("/applications/{reference}")).await;
    assert_eq!(page.status, StatusCode::OK);
    for shown in ["Siân Angharad Nomatch", "Surname", "does not match", "Application received", "Ask for evidence"] {
        assert!(page.body.contains(shown), "{shown} not on the page");
    }
    let welsh = b.get(&format!("/applications/{reference}?lang=cy")).await;
    assert!(
        welsh.body.contains("Cyfenw") && welsh.body.contains("ddim yn cyfateb") && welsh.body.contains(r#"lang="cy""#)
    );
    b.get("/applications?lang=en").await;
    let csrf = page.hidden("csrf");

    // Ask for evidence: nothing chosen is an error; then a passport.
    let none = b.post(&format!("/applications/{reference}/evidence-request"), &[("csrf", &csrf)]).await;
    assert_eq!(none.status, StatusCode::BAD_REQUEST);
    assert!(none.body.contains("Select at least one document"));
    let asked = b
        .post(&format!("/applications/{reference}/evidence-request"), &[("csrf", &csrf), ("document", "passport")])
        .await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER, "{}", asked.body);
    // A second click asks nothing more.
    b.post(&format!("/applications/{reference}/evidence-request"), &[("csrf", &csrf), ("document", "passport")]).await;
    let requests = w.store.for_ero(ero.clone()).evidence_requests(&reference).await.unwrap();
    assert_eq!(requests.len(), 1);
    let jobs = w.store.for_ero(ero.clone()).messages(&reference).await.unwrap();
    assert!(jobs.iter().any(|j| j.kind.name() == "notify:evidence-requested"), "the applicant is told");

    // The applicant's link: a bad file gets its own error; a picture is taken; the link is spent.
    let link = format!("/evidence/{}", w.store.evidence_token(&requests[0].id));
    let mut applicant = Browser::new(&w.public);
    let form = applicant.get(&link).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("Passport") && !form.body.contains("Nomatch"), "what is asked, nothing personal");
    let token = form.hidden("form");
    let exe = applicant
        .multipart(&link, &[("form", &token), ("document-1", "passport")], &[("file-1", "x.exe", b"MZ\x90\0")])
        .await;
    assert_eq!(exe.status, StatusCode::BAD_REQUEST);
    assert!(exe.body.contains("must be a PDF, JPG or PNG") && exe.body.contains(r#"selected"#));
    let sent = applicant
        .multipart(&link, &[("form", &token), ("document-1", "passport")], &[("file-1", "p.png", &png())])
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    assert!(sent.body.contains("Evidence sent"));
    let again = applicant
        .multipart(&link, &[("form", &token), ("document-1", "passport")], &[("file-1", "p.png", &png())])
        .await;
    assert_eq!(again.status, StatusCode::GONE);
    assert_eq!(applicant.get("/evidence/ev-aaaaaaaaaaaaaaaa.0000000000000000").await.status, StatusCode::NOT_FOUND);

    // Staff see it and download it (never inline), then decide.
    let page = b.get(&format!("/applications/{reference}")).await;
    assert!(page.body.contains("Evidence sent") && page.body.contains("Passport"));
    let href = unescape(
        page.body
            .split("href=\"")
            .find(|s| s.contains("evidence&#x2f;ef-") || s.contains("evidence/ef-"))
            .unwrap()
            .split('"')
            .next()
            .unwrap(),
    );
    let file = b.get(&href).await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.headers[header::CONTENT_TYPE], "image/png");
    assert!(file.headers[header::CONTENT_DISPOSITION].to_str().unwrap().starts_with("attachment;"));
    assert_eq!(&file.bytes[..4], b"\x89PNG");
    let no_reason =
        b.post(&format!("/applications/{reference}/determination"), &[("csrf", &csrf), ("decision", "rejected")]).await;
    assert_eq!(no_reason.status, StatusCode::BAD_REQUEST);
    assert!(no_reason.body.contains("Select at least one reason"));
    let decided =
        b.post(&format!("/applications/{reference}/determination"), &[("csrf", &csrf), ("decision", "approved")]).await;
    assert_eq!(decided.status, StatusCode::SEE_OTHER);
    let (_, progress) = w.store.for_ero(ero.clone()).application_with_progress(&reference).await.unwrap().unwrap();
    assert_eq!(progress.determination.map(|d| d.determination), Some(Determination::Approved));
    // A final decision stands: a second tab's rejection is refused and the page says so.
    let overturn = b
        .post(
            &format!("/applications/{reference}/determination"),
            &[("csrf", &csrf), ("decision", "rejected"), ("reason", "other")],
        )
        .await;
    assert_eq!(overturn.status, StatusCode::CONFLICT);

    // Every action is in the audit, by the staff account's id, with no name in it.
    let audit = w.store.backend().audit_rows(0, 1000).await.unwrap();
    let portal: Vec<_> = audit.iter().filter(|a| a.access.route.starts_with("portal ")).collect();
    assert!(portal.len() >= 5, "{portal:?}");
    for a in &portal {
        assert!(a.access.certificate_serial.starts_with("staff:st-"));
        assert!(!format!("{a:?}").contains("officer@"));
    }
}

#[tokio::test]
async fn guessing_locks_the_account_and_wrong_answers_say_nothing_about_who_exists() {
    let w = world().await;
    let officer = staff(&w, "cardiff", Role::Officer, "officer").await;
    let mut b = Browser::new(&w.portal);
    let form = b.get("/sign-in").await.hidden("form");
    let unknown = b
        .post("/sign-in", &[("form", &form), ("username", "nobody@cardiff.example"), ("password", "whatever it is!")])
        .await;
    let wrong =
        b.post("/sign-in", &[("form", &form), ("username", &officer.username), ("password", "not the password")]).await;
    assert_eq!((unknown.status, wrong.status), (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED));
    let words = |p: &Page| p.body.contains("Enter a correct email address and password");
    assert!(words(&unknown) && words(&wrong));
    assert!(wrong.body.contains(&officer.username), "the username typed is kept");
    assert!(!wrong.body.contains("not the password"), "a password is never shown again");
    for _ in 0..4 {
        b.post("/sign-in", &[("form", &form), ("username", &officer.username), ("password", "not the password")]).await;
    }
    let locked =
        b.post("/sign-in", &[("form", &form), ("username", &officer.username), ("password", &officer.password)]).await;
    assert_eq!(locked.status, StatusCode::FORBIDDEN);
    assert!(locked.body.contains("Your account is locked"));
    // A made-up form token, an empty form and an overlong password are each answered, never a 500.
    let forged = b
        .post("/sign-in", &[("form", "forged"), ("username", &officer.username), ("password", &officer.password)])
        .await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
    let empty = b.post("/sign-in", &[("form", &form)]).await;
    assert!(empty.body.contains("Enter your email address") && empty.body.contains("Enter your password"));
    let long = "x".repeat(100_000);
    let overlong = b.post("/sign-in", &[("form", &form), ("username", &long), ("password", &long)]).await;
    assert!(overlong.status.is_client_error(), "{}", overlong.status);
    // Past the client's bucket, even the right answer waits.
    let mut last = StatusCode::OK;
    for _ in 0..25 {
        last = b
            .post("/sign-in", &[("form", &form), ("username", "x@y.example"), ("password", "whatever it is!")])
            .await
            .status;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_code_works_once_a_recovery_code_works_and_the_code_page_runs_out() {
    let w = world().await;
    let officer = staff(&w, "cardiff", Role::Officer, "officer").await;
    let mut b = Browser::new(&w.portal);
    let form = b.get("/sign-in").await.hidden("form");
    let page =
        b.post("/sign-in", &[("form", &form), ("username", &officer.username), ("password", &officer.password)]).await;
    let pending = page.hidden("pending");
    let code = format!("{:06}", totp(&officer.secret, totp_step(Utc::now())));
    assert_eq!(b.post("/sign-in/code", &[("pending", &pending), ("code", &code)]).await.status, StatusCode::SEE_OTHER);
    // The same code again (a replayed form) does not sign in.
    let mut other = Browser::new(&w.portal);
    let replay = other.post("/sign-in/code", &[("pending", &pending), ("code", &code)]).await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    assert!(replay.body.contains("Enter a correct code"));
    let recovery = other.post("/sign-in/code", &[("pending", &pending), ("code", &officer.recovery[0])]).await;
    assert_eq!(recovery.status, StatusCode::SEE_OTHER);
    // A made-up pending token starts again.
    let forged = other.post("/sign-in/code", &[("pending", "forged"), ("code", "123456")]).await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
    assert!(forged.body.contains("Sign in again"));
}

#[tokio::test]
async fn forms_need_the_session_token_and_a_signed_out_session_is_dead() {
    let w = world().await;
    let officer = staff(&w, "cardiff", Role::Officer, "officer").await;
    let (reference, _) = unmatched(&w, "W06000015", "Csrf").await;
    let mut b = sign_in(&w, &officer, 0).await;
    let page = b.get(&format!("/applications/{reference}")).await;
    let csrf = page.hidden("csrf");
    // Another site's form posts without the token (or with a wrong one): refused, nothing done.
    for token in ["", "0123456789abcdef0123456789abcdef"] {
        let p = b
            .post(&format!("/applications/{reference}/determination"), &[("csrf", token), ("decision", "approved")])
            .await;
        assert_eq!(p.status, StatusCode::FORBIDDEN);
    }
    assert!(b.post("/sign-out", &[("csrf", "")]).await.status == StatusCode::FORBIDDEN);
    let (_, progress) =
        w.store.for_ero(EroId::parse("cardiff").unwrap()).application_with_progress(&reference).await.unwrap().unwrap();
    assert!(progress.determination.is_none());
    // Signing out ends the session in the database: the old cookie, replayed, gets the sign-in page.
    let saved = b.clone();
    let out = b.post("/sign-out", &[("csrf", &csrf)]).await;
    assert_eq!((out.status, out.location()), (StatusCode::SEE_OTHER, "/sign-in?signed-out=1"));
    let mut replayed = saved;
    let p = replayed.get("/applications").await;
    assert_eq!((p.status, p.location()), (StatusCode::SEE_OTHER, "/sign-in"));
    // No cookie, or a made-up one: the sign-in page.
    let mut stranger = Browser::new(&w.portal);
    stranger.cookies.insert("ier-staff".into(), "A".repeat(43));
    assert_eq!(stranger.get(&format!("/applications/{reference}")).await.location(), "/sign-in");
    // A body that is not a form gets a page, not axum's plain text.
    let req = Request::post("/sign-in").header(header::CONTENT_TYPE, "application/json");
    let json = Browser::new(&w.portal).send(req, Body::from("{}")).await;
    assert_eq!(json.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(json.body.contains("could not be read") && json.body.contains("govuk-template"));
    // Pages are never cached.
    assert_eq!(b.get("/sign-in").await.headers[header::CACHE_CONTROL], "no-store");
}

#[tokio::test]
async fn a_viewer_sees_but_cannot_decide_and_only_administrators_manage_accounts() {
    let w = world().await;
    let viewer = staff(&w, "cardiff", Role::Viewer, "viewer").await;
    let admin = staff(&w, "cardiff", Role::Administrator, "admin").await;
    let (reference, _) = unmatched(&w, "W06000015", "Viewed").await;
    let mut v = sign_in(&w, &viewer, 0).await;
    let page = v.get(&format!("/applications/{reference}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("Record decision"), "no decision form for a viewer");
    let csrf = page.hidden("csrf");
    let p =
        v.post(&format!("/applications/{reference}/determination"), &[("csrf", &csrf), ("decision", "approved")]).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert_eq!(v.get("/staff").await.status, StatusCode::FORBIDDEN);

    let mut a = sign_in(&w, &admin, 1).await;
    let page = a.get("/staff").await;
    assert!(page.body.contains("viewer@cardiff.example") && page.body.contains("admin@cardiff.example"));
    let csrf = page.hidden("csrf");
    let bad = a
        .post("/staff", &[("csrf", &csrf), ("username", "not an email"), ("role", "boss"), ("password", "short")])
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    for e in ["Enter a work email address", "Select a role", "at least 12 characters"] {
        assert!(bad.body.contains(e), "{e}");
    }
    assert!(bad.body.contains("not an email"), "what was typed is kept");
    let added = a
        .post(
            "/staff",
            &[
                ("csrf", &csrf),
                ("username", "new@cardiff.example"),
                ("role", "officer"),
                ("password", "another long passphrase"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED);
    assert!(added.body.contains("Recovery codes") && added.body.contains("otpauth:"));
    let taken = a
        .post(
            "/staff",
            &[
                ("csrf", &csrf),
                ("username", "NEW@cardiff.example"),
                ("role", "officer"),
                ("password", "another long passphrase"),
            ],
        )
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    let members = w.store.staff().members(&EroId::parse("cardiff").unwrap()).await.unwrap();
    assert_eq!(members.len(), 3);
}

#[tokio::test]
async fn staff_change_their_own_password_and_their_other_sessions_end() {
    let w = world().await;
    let mut officer = staff(&w, "cardiff", Role::Officer, "officer").await;
    let mut here = sign_in(&w, &officer, 0).await;
    let mut elsewhere = sign_in(&w, &officer, 1).await;
    let csrf = here.get("/account/password").await.hidden("csrf");
    let wrong = here
        .post(
            "/account/password",
            &[
                ("csrf", &csrf),
                ("current", "not it at all"),
                ("new", "a brand new passphrase"),
                ("confirm", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert!(wrong.body.contains("Your current password is not right"));
    let mismatch = here
        .post(
            "/account/password",
            &[
                ("csrf", &csrf),
                ("current", &officer.password),
                ("new", "a brand new passphrase"),
                ("confirm", "a brand new passphrase!"),
            ],
        )
        .await;
    assert!(mismatch.body.contains("Enter the same new password twice"));
    assert!(!mismatch.body.contains("a brand new passphrase"), "passwords are never shown again");
    let done = here
        .post(
            "/account/password",
            &[
                ("csrf", &csrf),
                ("current", &officer.password),
                ("new", "a brand new passphrase"),
                ("confirm", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(here.get("/applications").await.status, StatusCode::OK, "this session goes on");
    assert_eq!(elsewhere.get("/applications").await.location(), "/sign-in", "the others end");
    officer.password = "a brand new passphrase".into();
    // The new password signs in (with a recovery code: the app's codes of this minute are used).
    let mut b = Browser::new(&w.portal);
    let form = b.get("/sign-in").await.hidden("form");
    let page =
        b.post("/sign-in", &[("form", &form), ("username", &officer.username), ("password", &officer.password)]).await;
    let pending = page.hidden("pending");
    let page = b.post("/sign-in/code", &[("pending", &pending), ("code", &officer.recovery[1])]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn an_applicant_names_someone_who_confirms_who_they_are_and_staff_see_it() {
    let w = world().await;
    let officer = staff(&w, "cardiff", Role::Officer, "officer").await;
    let (reference, ero) = unmatched(&w, "W06000015", "Attested").await;
    // Someone on Cardiff's register, who will confirm.
    let elector = ier_storage::persons::Person {
        given: "Gareth",
        surname: "Pritchard",
        date_of_birth: Some("1970-05-06"),
        postcode: "CF10 1EP",
        line1: "7 High Street",
        line2: "",
        uprn: None,
        nino: None,
    };
    w.store.for_ero(ero.clone()).put_electors(Utc::now(), &[("CDF-7".to_owned(), elector)]).await.unwrap();
    let mut b = sign_in(&w, &officer, 0).await;
    let page = b.get(&format!("/applications/{reference}")).await;
    assert!(page.body.contains("an attestation by a registered elector"), "the choice is offered");
    let csrf = page.hidden("csrf");
    let asked = b
        .post(&format!("/applications/{reference}/evidence-request"), &[("csrf", &csrf), ("document", "attestation")])
        .await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER);
    let requests = w.store.for_ero(ero.clone()).evidence_requests(&reference).await.unwrap();
    let link = format!("/evidence/{}", w.store.evidence_token(&requests[0].id));

    // The applicant names someone: errors for each field, what was typed kept; then sent.
    let mut applicant = Browser::new(&w.public);
    let form = applicant.get(&link).await;
    assert!(form.body.contains("Or name someone to confirm who you are") && !form.body.contains("Send documents"));
    let token = form.hidden("form");
    let bad = applicant
        .post(
            &format!("{link}/attestor"),
            &[("form", &token), ("given", "Gareth"), ("surname", ""), ("email", "not an email")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    for e in ["Enter their last name", "Enter their email address", "Confirm they are not related"] {
        assert!(bad.body.contains(e), "{e}");
    }
    assert!(bad.body.contains(r#"value="Gareth""#));
    let named = applicant
        .post(
            &format!("{link}/attestor"),
            &[
                ("form", &token),
                ("given", "Gareth"),
                ("surname", "Pritchard"),
                ("email", "gareth@example.com"),
                ("statement", "not-related"),
            ],
        )
        .await;
    assert_eq!(named.status, StatusCode::OK, "{}", named.body);
    assert!(named.body.contains("We have emailed Gareth Pritchard"));
    let again = applicant.get(&link).await;
    assert_eq!(again.status, StatusCode::GONE, "the link is spent");

    // The attestor's link: the applicant's name; their own details checked against the register.
    let attestation = w.store.for_ero(ero.clone()).attestations(&reference).await.unwrap().remove(0);
    let attest = format!("/attest/{}", w.store.attestation_token(&attestation.row.id));
    let mut attestor = Browser::new(&w.public);
    let page = attestor.get(&attest).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Confirm who Siân Attested is"), "{}", page.body);
    assert!(!page.body.contains("AB123456C") && !page.body.contains("CF10"), "nothing else about the applicant");
    let form = page.hidden("form");
    let fields = |day: &str, both: bool| {
        let mut f: Vec<(&'static str, String)> = vec![
            ("form", form.clone()),
            ("dob-day", day.to_owned()),
            ("dob-month", "5".into()),
            ("dob-year", "1970".into()),
            ("house", "7 High Street".into()),
            ("postcode", "cf10 1ep".into()),
            ("statement", "knows".into()),
        ];
        if both {
            f.push(("statement", "not-related".into()));
        }
        f
    };
    let as_refs = |f: &[(&'static str, String)]| f.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>();
    let wrong = as_refs(&fields("32", false));
    let wrong: Vec<(&str, &str)> = wrong.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let bad = attestor.post(&attest, &wrong).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.body.contains("Enter your date of birth") && bad.body.contains("Confirm both statements"),
        "{}",
        bad.body
    );
    assert!(bad.body.contains(r#"value="32""#), "what was typed is kept");
    let right = as_refs(&fields("6", true));
    let right: Vec<(&str, &str)> = right.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let done = attestor.post(&attest, &right).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("You have confirmed who Siân Attested is"));
    assert_eq!(attestor.post(&attest, &right).await.status, StatusCode::GONE, "once");

    // Staff see who confirmed and that they are on the register.
    let page = b.get(&format!("/applications/{reference}")).await;
    assert!(page.body.contains("Attestation by Gareth Pritchard"), "{}", page.body);
    assert!(page.body.contains("they are on a register at the address they gave"));
}

mod isolation {
    use proptest::prelude::*;

    use super::*;

    const EROS: [(&str, &str); 3] = [("cardiff", "W06000015"), ("westminster", "E09000033"), ("wigan", "E08000010")];

    struct Fixture {
        world: World,
        /// A signed-in browser per ERO's member of staff.
        staff: Vec<(usize, Browser, String)>,
        /// Each ERO's applications.
        apps: Vec<(usize, ReferenceNumber)>,
        rt: tokio::runtime::Runtime,
    }

    fn fixture() -> Fixture {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let (world, staff, apps) = rt.block_on(async {
            let w = world().await;
            let mut staff = Vec::new();
            let mut apps = Vec::new();
            for (i, (ero, gss)) in EROS.iter().enumerate() {
                let s = super::staff(&w, ero, Role::Officer, "officer").await;
                let mut b = sign_in(&w, &s, 0).await;
                let csrf = b.get("/applications").await.hidden("csrf");
                staff.push((i, b, csrf));
                for n in 0..2 {
                    let (r, _) = unmatched(&w, gss, &format!("Person{}", ["Ann", "Bob"][n])).await;
                    apps.push((i, r));
                }
            }
            (w, staff, apps)
        });
        Fixture { world, staff, apps, rt }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        /// Any member of staff, any application, any route: another ERO's application is "not
        /// found" (the same as one that does not exist) and nothing about it changes.
        #[test]
        fn staff_see_and_change_only_their_own_eros_applications(who in 0usize..3, which in 0usize..6, route in 0usize..5) {
            let f = FIXTURE.with(|f| f.clone());
            let f = f.lock().unwrap_or_else(|e| e.into_inner());
            let (ero_of_staff, browser, csrf) = &f.staff[who];
            let (ero_of_app, reference) = &f.apps[which];
            let own = ero_of_staff == ero_of_app;
            let mut b = browser.clone();
            let page = f.rt.block_on(async {
                match route {
                    0 => b.get(&format!("/applications/{reference}")).await,
                    1 => b.get(&format!("/applications/{reference}?lang=cy")).await,
                    2 => b.post(&format!("/applications/{reference}/determination"), &[("csrf", csrf), ("decision", "rejected"), ("reason", "other")]).await,
                    3 => b.post(&format!("/applications/{reference}/evidence-request"), &[("csrf", csrf), ("document", "passport")]).await,
                    _ => b.get(&format!("/applications/{reference}/evidence/ef-aaaaaaaaaaaaaaaa")).await,
                }
            });
            if own {
                prop_assert!(page.status != StatusCode::NOT_FOUND || route == 4, "{route}: {}", page.status);
            } else {
                prop_assert_eq!(page.status, StatusCode::NOT_FOUND, "route {}", route);
                prop_assert!(!page.body.contains("Siân") && !page.body.contains("Person"), "nothing of the applicant");
            }
            // The queue lists only the member's own ERO's applications.
            let queue = f.rt.block_on(b.get("/applications"));
            for (ero, r) in &f.apps {
                prop_assert_eq!(queue.body.contains(r.as_str()), ero == ero_of_staff);
            }
            let _ = &f.world;
        }
    }

    thread_local! {
        static FIXTURE: Arc<std::sync::Mutex<Fixture>> = Arc::new(std::sync::Mutex::new(fixture()));
    }
}
