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
    world_with(None).await
}

async fn world_with(oidc: Option<ier_ero_web::oidc::Oidc>) -> World {
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
    let mut portal_state =
        ier_ero_web::PortalState::new(&store, files.clone(), forms.clone(), eros).with_dwp(Arc::new(dwp()));
    if let Some(oidc) = oidc {
        portal_state = portal_state.with_oidc(oidc);
    }
    let portal = ier_ero_web::router(portal_state);
    let mut state = ier_citizen_web::AppState::new(
        ier_reference::Locator::embedded(),
        store.clone(),
        ier_citizen_web::session::SessionCodec::new(DataKeys::parse(&DataKeys::generate("p")).unwrap(), false),
    );
    state.evidence = Some(store.evidence_inbox(files));
    World { portal, public: ier_citizen_web::router(state), store, _dir: dir }
}

/// A small DWP reference for the local data step's model: people of many names, dates and streets.
fn dwp() -> ier_jobs::matching::DwpReference {
    let given = ["Alys", "Bryn", "Carys", "Dafydd", "Eleri", "Gethin", "Heledd", "Iwan", "Lowri", "Owain"];
    let surnames = ["Jones", "Davies", "Evans", "Thomas", "Roberts", "Hughes", "Lewis", "Morgan", "Price", "Owen"];
    let people: Vec<ier_storage::matching::Person> = (0..2_000usize)
        .map(|i| ier_storage::matching::Person {
            given_name: given[i % 10].to_owned(),
            surname: format!(
                "{}{}",
                surnames[(i / 10) % 10],
                if i >= 100 { (i / 100).to_string() } else { String::new() }
            ),
            date_of_birth: format!("{}-{:02}-{:02}", 1940 + i % 60, 1 + i % 12, 1 + i % 28),
            address_lines: vec![format!("{} Heol {}", 1 + i % 90, surnames[(i / 7) % 10])],
            town: "Caerdydd".into(),
            postcode: format!("CF{} {}AB", 10 + i % 20, i % 10),
            ..Default::default()
        })
        .collect();
    ier_jobs::matching::DwpReference::of("test", ier_jobs::matching::local_reference(&people))
}

struct Staff {
    username: String,
    password: String,
    secret: Vec<u8>,
    recovery: Vec<String>,
}

/// A member of staff who has chosen their own password (signed in once with the first one, set
/// by someone else, and a recovery code, and changed it).
async fn staff(w: &World, ero: &str, role: Role, name: &str) -> Staff {
    let mut s = first_staff(w, ero, role, name).await;
    let code = s.recovery.pop().unwrap();
    let id = match w.store.staff().password(&s.username, SecretString::from(s.password.clone()), Utc::now()).await {
        Ok(ier_storage::staff::PasswordStep::Right(id)) => id,
        other => panic!("{other:?}"),
    };
    let Ok(ier_storage::staff::CodeStep::SignedIn(signed)) = w.store.staff().code(&id, &code, Utc::now()).await else {
        panic!("the recovery code signs in");
    };
    let chosen = "a long enough passphrase".to_owned();
    let changed = w
        .store
        .staff()
        .change_password(
            &signed,
            SecretString::from(s.password.clone()),
            SecretString::from(chosen.clone()),
            Utc::now(),
        )
        .await
        .unwrap();
    assert!(changed.is_ok());
    s.password = chosen;
    s
}

/// A new member of staff, with the first password someone else set.
async fn first_staff(w: &World, ero: &str, role: Role, name: &str) -> Staff {
    let username = format!("{name}@{ero}.example");
    let password = "set by the administrator".to_owned();
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
    // The kind's own answers in Welsh too: field names and codes, never the applicant's words.
    assert!(
        welsh.body.contains("Pleidlais bost") && welsh.body.contains("Yn bleidleisiwr tramor: Nac ydy"),
        "{}",
        welsh.body
    );
    assert!(!welsh.body.contains("postal vote") && !welsh.body.contains("was overseas voter"));
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
    // Registered from a date: one that does not exist, one before the application, and a
    // rejection with a date are refused, keeping what was chosen and typed.
    let path = format!("/applications/{reference}/determination");
    let on = |d: &str, m: &str, y: &str, decision: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("decision", decision.to_owned()),
            ("from-day", d.to_owned()),
            ("from-month", m.to_owned()),
            ("from-year", y.to_owned()),
        ]
    };
    let post = |fields: Vec<(&'static str, String)>| {
        let mut b = b.clone();
        let path = path.clone();
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            b.post(&path, &fields).await
        }
    };
    let bad = post(on("31", "2", "2027", "approved")).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("Enter a real date") && bad.body.contains(r#"value="31""#), "{}", bad.body);
    assert!(bad.body.contains(r#"value="approved" checked"#), "{}", bad.body);
    let early = post(on("1", "1", "2020", "approved")).await;
    assert!(early.body.contains("cannot start before the application was made"), "{}", early.body);
    let rejected = post(on("1", "1", "2099", "rejected")).await;
    assert!(rejected.body.contains("only given when registering"), "{}", rejected.body);
    let from = Utc::now().date_naive() + chrono::Days::new(3);
    let (d, m, y) = (from.format("%-d").to_string(), from.format("%-m").to_string(), from.format("%Y").to_string());
    let decided = post(on(&d, &m, &y, "approved")).await;
    assert_eq!(decided.status, StatusCode::SEE_OTHER, "{}", decided.body);
    let (_, progress) = w.store.for_ero(ero.clone()).application_with_progress(&reference).await.unwrap().unwrap();
    assert_eq!(progress.determination.map(|d| d.determination), Some(Determination::Approved));
    let events = w.store.for_ero(ero.clone()).events(&reference).await.unwrap();
    assert!(
        events.iter().any(|e| matches!(e.kind, EventKind::Determined { registered_from: Some(f), .. } if f == from))
    );
    let page = b.get(&format!("/applications/{reference}")).await;
    assert!(
        page.body
            .contains(&format!("Registered from {}", ier_domain::dates::long_date(from, ier_domain::Language::En)))
    );
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

#[tokio::test]
async fn an_officer_compares_unmatched_applicants_with_local_data_and_their_applications_show_it() {
    let w = world().await;
    let officer = staff(&w, "cardiff", Role::Officer, "officer").await;
    let viewer = staff(&w, "cardiff", Role::Viewer, "viewer").await;
    let other = staff(&w, "westminster", Role::Officer, "other").await;
    let (found, _) = unmatched(&w, "W06000015", "Quillfeather").await;
    // Someone else entirely, not in the file.
    let mut elsewhere = ier_storage::contract::new_application("W06000015", "Pennant");
    elsewhere.details.name = ier_domain::PersonName::parse("Gwenllian", "", "Pennant").unwrap();
    elsewhere.details.birth = ier_domain::BirthDetails::Date(
        ier_domain::DateOfBirth::parse("2", "11", "1958", Utc::now().date_naive()).unwrap(),
    );
    elsewhere.details.address.lines = vec!["77 Ffordd Las".into()];
    elsewhere.details.address.uprn = None;
    let receipt = w.store.citizen().submit(elsewhere, Utc::now()).await.unwrap();
    let cardiff = w.store.for_ero(receipt.ero_id.clone());
    let no_match = EventKind::Verified { outcome: VerificationOutcome::NoMatch, explanation: vec![] };
    cardiff.record(&receipt.reference, Utc::now(), &no_match).await.unwrap();
    let not_found = receipt.reference;
    // Decided already: not compared.
    let (decided, _) = unmatched(&w, "W06000015", "Decided").await;
    cardiff
        .determine(
            &decided,
            Utc::now(),
            Determination::Rejected,
            &[ier_domain::ReasonCode::parse("identity-not-confirmed").unwrap()],
        )
        .await
        .unwrap();
    // Another office's unmatched applicant, with the same details as one in the file.
    let (theirs, _) = unmatched(&w, "E09000033", "Quillfeather").await;

    let mut b = sign_in(&w, &officer, 0).await;
    let page = b.get("/local-data").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("2 applicants are waiting to be compared"), "{}", page.body);
    let csrf = page.hidden("csrf");
    let welsh = b.get("/local-data?lang=cy").await;
    assert!(welsh.body.contains("Cymharu â data lleol") && welsh.body.contains("Treth gyngor"));
    b.get("/local-data?lang=en").await;

    // A council tax extract as such systems write them: upper case, one name column, DD/MM/YYYY,
    // CRLF; with a short row and a date that does not exist, which are left out and reported.
    let file = "ACCOUNT,FULL_NAME,ADDR1,TOWN,POSTCODE,DOB\r\n\
        CT1,SIAN ANGHARAD QUILLFEATHER,1 High Street,Town,CF10 1EP,14/03/1990\r\n\
        CT2,ANNE SHORT,2 High Street\r\n\
        CT3,LEAP DAY,3 High Street,Town,CF10 1EP,29/02/1937\r\n\
        CT4,DAFYDD JONES,9 Heol Evans,Caerdydd,CF11 1AB,01/02/1941\r\n";
    let columns = [
        ("full_name", "full_name"),
        ("address", "ADDR1"),
        ("town", "TOWN"),
        ("postcode", "POSTCODE"),
        ("date_of_birth", "DOB"),
    ];
    let mut fields: Vec<(&str, &str)> = vec![("csrf", &csrf), ("source", "council-tax")];
    fields.extend(columns);

    // Mistakes get specific errors and keep what was typed.
    let no_file = b.multipart("/local-data", &fields, &[]).await;
    assert_eq!(no_file.status, StatusCode::BAD_REQUEST);
    assert!(
        no_file.body.contains("Choose a CSV file") && no_file.body.contains(r#"value="ADDR1""#),
        "{}",
        no_file.body
    );
    let mut wrong = fields.clone();
    wrong[2] = ("full_name", "NAME");
    let page = b.multipart("/local-data", &wrong, &[("file", "ct.csv", file.as_bytes())]).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("no column of this name") && page.body.contains("#full_name"), "{}", page.body);
    let page = b.multipart("/local-data", &fields[..2], &[("file", "ct.csv", file.as_bytes())]).await;
    assert!(page.body.contains("Enter the surname column"), "{}", page.body);
    let page = b.multipart("/local-data", &fields, &[("file", "ct.pdf", b"%PDF-1.4\n\x00\x01\xff binary")]).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    let page = b
        .multipart(
            "/local-data",
            &[("csrf", "forged"), ("source", "council-tax")],
            &[("file", "ct.csv", file.as_bytes())],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);

    let done = b.multipart("/local-data", &fields, &[("file", "ct.csv", file.as_bytes())]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("Council tax: 1 of 2 applicants found"), "{}", done.body);
    assert!(done.body.contains("Line 3") && done.body.contains("Line 4, column dob"), "{}", done.body);
    assert!(!done.body.contains("LEAP") && !done.body.contains("ANNE"), "file values are never echoed");
    assert!(done.body.contains(found.as_str()) && done.body.contains(not_found.as_str()));
    assert!(!done.body.contains(decided.as_str()) && !done.body.contains(theirs.as_str()));

    // Each application shows its result as evidence, in both languages, and in its history.
    let page = b.get(&format!("/applications/{found}")).await;
    assert!(page.body.contains("Council tax: found (strong match)"), "{}", page.body);
    assert!(page.body.contains("Compared with local data"));
    let page = b.get(&format!("/applications/{not_found}?lang=cy")).await;
    assert!(page.body.contains("Treth gyngor: heb eu canfod"), "{}", page.body);
    b.get("/local-data?lang=en").await;
    let events = cardiff.events(&found).await.unwrap();
    assert!(events.iter().any(|e| matches!(e.kind, EventKind::LocalDataChecked { level: Some(_), .. })));
    // Sent again at once (a double click without JavaScript, a refresh): the same answer, recorded once.
    let again = b.multipart("/local-data", &fields, &[("file", "ct.csv", file.as_bytes())]).await;
    assert_eq!(again.status, StatusCode::OK);
    assert!(again.body.contains("Council tax: 1 of 2 applicants found"));
    let events = cardiff.events(&found).await.unwrap();
    assert_eq!(events.iter().filter(|e| matches!(e.kind, EventKind::LocalDataChecked { .. })).count(), 1);
    // The other office's applicant was not touched.
    let westminster = w.store.for_ero(EroId::parse("westminster").unwrap());
    let theirs_events = westminster.events(&theirs).await.unwrap();
    assert!(!theirs_events.iter().any(|e| matches!(e.kind, EventKind::LocalDataChecked { .. })));
    let mut o = sign_in(&w, &other, 0).await;
    assert!(o.get("/local-data").await.body.contains("1 applicant is waiting to be compared"));

    // A viewer may not use the step.
    let mut v = sign_in(&w, &viewer, 0).await;
    assert_eq!(v.get("/local-data").await.status, StatusCode::FORBIDDEN);
}

/// A council's OpenID provider, for the test: discovery, its keys (ES256), an authorisation
/// endpoint that signs in whoever the test says, and a token endpoint that checks the client's
/// secret, the code (once) and PKCE; it can be told to misbehave.
mod idp {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    use axum::Router;
    use axum::extract::{Query, State};
    use axum::http::{HeaderMap, StatusCode, header};
    use axum::response::{IntoResponse, Redirect, Response};
    use axum::routing::{get, post};
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
    use serde_json::json;

    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    pub enum Mode {
        Good,
        WrongAudience,
        WrongNonce,
        Expired,
        BadSignature,
        AlgNone,
        Unverified,
    }

    pub struct Idp {
        pub base: String,
        key: EcdsaKeyPair,
        codes: Mutex<HashMap<String, (String, String, String)>>,
        pub user: Mutex<String>,
        pub mode: Mutex<Mode>,
    }

    pub async fn start() -> Arc<Idp> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
        let idp = Arc::new(Idp {
            base,
            key,
            codes: Mutex::new(HashMap::new()),
            user: Mutex::new(String::new()),
            mode: Mutex::new(Mode::Good),
        });
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .with_state(idp.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        idp
    }

    async fn discovery(State(idp): State<Arc<Idp>>) -> Response {
        let b = &idp.base;
        axum::Json(json!({"issuer": b, "authorization_endpoint": format!("{b}/authorize"),
            "token_endpoint": format!("{b}/token"), "jwks_uri": format!("{b}/jwks")}))
        .into_response()
    }

    async fn jwks(State(idp): State<Arc<Idp>>) -> Response {
        let point = idp.key.public_key().as_ref();
        let (x, y) = (URL_SAFE_NO_PAD.encode(&point[1..33]), URL_SAFE_NO_PAD.encode(&point[33..65]));
        axum::Json(
            json!({"keys": [{"kty": "EC", "crv": "P-256", "kid": "k1", "use": "sig", "alg": "ES256", "x": x, "y": y}]}),
        )
        .into_response()
    }

    async fn authorize(State(idp): State<Arc<Idp>>, Query(q): Query<HashMap<String, String>>) -> Response {
        let ok = q.get("client_id").map(String::as_str) == Some("ier-portal")
            && q.get("response_type").map(String::as_str) == Some("code")
            && q.get("code_challenge_method").map(String::as_str) == Some("S256")
            && q.get("scope").is_some_and(|s| s.split(' ').any(|w| w == "openid"));
        if !ok {
            return StatusCode::BAD_REQUEST.into_response();
        }
        let redirect = q["redirect_uri"].clone();
        let code = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>());
        idp.codes
            .lock()
            .unwrap()
            .insert(code.clone(), (q["nonce"].clone(), q["code_challenge"].clone(), redirect.clone()));
        Redirect::to(&format!("{redirect}?code={code}&state={}", q["state"])).into_response()
    }

    async fn token(State(idp): State<Arc<Idp>>, headers: HeaderMap, body: String) -> Response {
        let basic = format!("Basic {}", STANDARD.encode("ier-portal:s3cret"));
        if headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) != Some(basic.as_str()) {
            return (StatusCode::UNAUTHORIZED, axum::Json(json!({"error": "invalid_client"}))).into_response();
        }
        let form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
        let Some((nonce, challenge, redirect)) = idp.codes.lock().unwrap().remove(&form["code"]) else {
            return (StatusCode::BAD_REQUEST, axum::Json(json!({"error": "invalid_grant"}))).into_response();
        };
        let verifier = ring::digest::digest(&ring::digest::SHA256, form["code_verifier"].as_bytes());
        if URL_SAFE_NO_PAD.encode(verifier) != challenge || form["redirect_uri"] != redirect {
            return (StatusCode::BAD_REQUEST, axum::Json(json!({"error": "invalid_grant"}))).into_response();
        }
        let mode = *idp.mode.lock().unwrap();
        let now = chrono::Utc::now().timestamp();
        let claims = json!({
            "iss": idp.base,
            "aud": if mode == Mode::WrongAudience { "someone-else" } else { "ier-portal" },
            "sub": "248289761001",
            "email": *idp.user.lock().unwrap(),
            "email_verified": mode != Mode::Unverified,
            "nonce": if mode == Mode::WrongNonce { "another" } else { nonce.as_str() },
            "iat": now,
            "exp": if mode == Mode::Expired { now - 600 } else { now + 300 },
        });
        let alg = if mode == Mode::AlgNone { "none" } else { "ES256" };
        let head = URL_SAFE_NO_PAD.encode(json!({"alg": alg, "kid": "k1", "typ": "JWT"}).to_string());
        let body = URL_SAFE_NO_PAD.encode(claims.to_string());
        let signed = format!("{head}.{body}");
        let mut signature =
            idp.key.sign(&ring::rand::SystemRandom::new(), signed.as_bytes()).unwrap().as_ref().to_vec();
        if mode == Mode::BadSignature {
            signature[10] ^= 1;
        }
        let sig = if mode == Mode::AlgNone { String::new() } else { URL_SAFE_NO_PAD.encode(signature) };
        axum::Json(json!({"id_token": format!("{signed}.{sig}"), "token_type": "Bearer", "access_token": "x"}))
            .into_response()
    }
}

/// Through the provider: start on the sign-in page, follow the provider's redirect, come back.
async fn through_provider(idp: &idp::Idp, b: &mut Browser) -> Page {
    let page = b.get("/sign-in").await;
    let form = page.hidden("form");
    let started = b.post("/sign-in/oidc", &[("form", &form), ("ero", "cardiff")]).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    let to: url::Url = started.location().parse().unwrap();
    assert!(to.as_str().starts_with(&idp.base), "{to}");
    let back: url::Url = provider_redirect(&to).await.parse().unwrap();
    b.get(&format!("{}?{}", back.path(), back.query().unwrap_or(""))).await
}

/// The provider's answer to the authorisation request: where it sends the browser back
/// (read with hyper: the shared client gives bodies, not headers).
async fn provider_redirect(to: &url::Url) -> String {
    let stream = tokio::net::TcpStream::connect((to.host_str().unwrap(), to.port().unwrap())).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await.unwrap();
    tokio::spawn(conn);
    let req = Request::get(format!("{}?{}", to.path(), to.query().unwrap_or("")))
        .header(header::HOST, to.authority())
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .unwrap();
    let res = sender.send_request(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "the provider sends the browser back");
    res.headers()[header::LOCATION].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn staff_sign_in_with_their_councils_provider_and_only_a_proven_member_of_the_office_gets_in() {
    let idp = idp::start().await;
    let config = format!(
        "portal_url = \"http://127.0.0.1:8081\"\n[[provider]]\nero = \"cardiff\"\nissuer = \"{}\"\nclient_id = \"ier-portal\"\nclient_secret = \"s3cret\"\n",
        idp.base
    );
    let w = world_with(Some(ier_ero_web::oidc::Oidc::from_toml(&config).unwrap())).await;
    let officer = staff(&w, "cardiff", Role::Officer, "officer").await;
    staff(&w, "westminster", Role::Officer, "other").await;
    *idp.user.lock().unwrap() = officer.username.clone();

    // The sign-in page offers the office's provider beside local accounts.
    let mut b = Browser::new(&w.portal);
    let page = b.get("/sign-in").await;
    assert!(page.body.contains("/sign-in/oidc") && page.body.contains("Or sign in with your council"), "{}", page.body);
    let welsh = b.get("/sign-in?lang=cy").await;
    assert!(welsh.body.contains("Mewngofnodi gyda chyfrif"));
    b.get("/sign-in?lang=en").await;

    // The whole way round: signed in, as that officer, without a code from the app.
    let done = through_provider(&idp, &mut b).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("You are signed in") && done.headers.contains_key(header::REFRESH));
    assert!(b.cookies.contains_key("ier-staff"), "{:?}", b.cookies);
    let queue = b.get("/applications").await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.body);
    assert!(queue.body.contains("Officer"), "signed in with the account's role");
    let audit = w.store.backend().audit_rows(0, 1000).await.unwrap();
    assert!(audit.iter().any(|a| a.access.route.contains("/sign-in/oidc/callback")), "{audit:?}");

    // What must not get anyone in: each a fresh browser.
    for (mode, who, status, says) in [
        (idp::Mode::WrongAudience, officer.username.as_str(), StatusCode::BAD_GATEWAY, "not working"),
        (idp::Mode::WrongNonce, officer.username.as_str(), StatusCode::BAD_GATEWAY, "not working"),
        (idp::Mode::Expired, officer.username.as_str(), StatusCode::BAD_GATEWAY, "not working"),
        (idp::Mode::BadSignature, officer.username.as_str(), StatusCode::BAD_GATEWAY, "not working"),
        (idp::Mode::AlgNone, officer.username.as_str(), StatusCode::BAD_GATEWAY, "not working"),
        (idp::Mode::Unverified, officer.username.as_str(), StatusCode::FORBIDDEN, "no staff account"),
        (idp::Mode::Good, "nobody@cardiff.example", StatusCode::FORBIDDEN, "no staff account"),
        // A member of another office, however their council vouches for them.
        (idp::Mode::Good, "other@westminster.example", StatusCode::FORBIDDEN, "no staff account"),
    ] {
        *idp.mode.lock().unwrap() = mode;
        *idp.user.lock().unwrap() = who.to_owned();
        let mut fresh = Browser::new(&w.portal);
        let page = through_provider(&idp, &mut fresh).await;
        assert_eq!(page.status, status, "{mode:?} {who}: {}", page.body);
        assert!(page.body.contains(says), "{mode:?}: {}", page.body);
        assert!(!fresh.cookies.contains_key("ier-staff"), "{mode:?} {who} got a session");
    }
    *idp.mode.lock().unwrap() = idp::Mode::Good;
    *idp.user.lock().unwrap() = officer.username.clone();

    // A callback this browser did not start, or with another state, or replayed: start again.
    let mut fresh = Browser::new(&w.portal);
    let page = fresh.get("/sign-in/oidc/callback?code=x&state=y").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("Sign in again"));
    let page = fresh.get("/sign-in").await;
    let form = page.hidden("form");
    let started = fresh.post("/sign-in/oidc", &[("form", &form), ("ero", "cardiff")]).await;
    let to: url::Url = started.location().parse().unwrap();
    let back: url::Url = provider_redirect(&to).await.parse().unwrap();
    let code = back.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    let forged = fresh.get(&format!("/sign-in/oidc/callback?code={code}&state=forged")).await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
    assert!(!fresh.cookies.contains_key("ier-staff"));
    let refused = {
        let mut again = Browser::new(&w.portal);
        let page = again.get("/sign-in").await;
        let form = page.hidden("form");
        again.post("/sign-in/oidc", &[("form", &form), ("ero", "cardiff")]).await;
        assert!(again.cookies.contains_key("ier-oidc"));
        let other = again.get("/sign-in/oidc/callback?error=access_denied&state=whatever").await;
        assert_eq!(other.status, StatusCode::BAD_REQUEST, "a refusal for another sign-in's state is not this one's");
        let page = again.get("/sign-in").await;
        let form = page.hidden("form");
        let started = again.post("/sign-in/oidc", &[("form", &form), ("ero", "cardiff")]).await;
        let to: url::Url = started.location().parse().unwrap();
        let state = to.query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
        again.get(&format!("/sign-in/oidc/callback?error=access_denied&state={state}")).await
    };
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.body);
    assert!(refused.body.contains("did not finish"));

    // A provider for an office that has none, or a form that is not the page's.
    let mut fresh = Browser::new(&w.portal);
    let page = fresh.get("/sign-in").await;
    let form = page.hidden("form");
    assert_eq!(
        fresh.post("/sign-in/oidc", &[("form", &form), ("ero", "westminster")]).await.status,
        StatusCode::NOT_FOUND
    );
    let forged = fresh.post("/sign-in/oidc", &[("form", "forged"), ("ero", "cardiff")]).await;
    assert_eq!((forged.status, forged.location()), (StatusCode::SEE_OTHER, "/sign-in"));
}

#[test]
fn an_oidc_configuration_that_cannot_work_is_refused_without_quoting_its_secret() {
    let good = "portal_url = \"https://portal.example\"\n[[provider]]\nero = \"cardiff\"\nissuer = \"https://login.cardiff.example\"\nclient_id = \"ier\"\nclient_secret = \"hunter2-secret\"\n";
    assert_eq!(ier_ero_web::oidc::Oidc::from_toml(good).unwrap().eros(), vec![EroId::parse("cardiff").unwrap()]);
    for bad in [
        good.replace("https://login.cardiff.example", "http://login.cardiff.example"),
        good.replace("https://portal.example", "ftp://portal.example"),
        good.replace("cardiff\"\nissuer", "Not An ERO\"\nissuer"),
        good.replace("client_id = \"ier\"", "client_id = \"\""),
        good.replace("client_secret", "client_secrett"),
        format!(
            "{good}[[provider]]\nero = \"cardiff\"\nissuer = \"https://x.example\"\nclient_id = \"a\"\nclient_secret = \"b\"\n"
        ),
    ] {
        let e = ier_ero_web::oidc::Oidc::from_toml(&bad).unwrap_err();
        assert!(!e.contains("hunter2"), "{e}");
    }
}

#[tokio::test]
async fn a_first_password_set_by_someone_else_is_changed_before_anything_else() {
    let w = world().await;
    let s = first_staff(&w, "cardiff", Role::Officer, "new").await;
    let mut b = Browser::new(&w.portal);
    let page = b.get("/sign-in").await;
    let form = page.hidden("form");
    let page = b.post("/sign-in", &[("form", &form), ("username", &s.username), ("password", &s.password)]).await;
    let pending = page.hidden("pending");
    let code = format!("{:06}", totp(&s.secret, totp_step(Utc::now())));
    let page = b.post("/sign-in/code", &[("pending", &pending), ("code", &code)]).await;
    assert_eq!(page.location(), "/account/password");
    // Every other page leads there until it is done; signing out still works.
    for path in ["/applications", "/local-data", "/staff", "/applications/BCDFGHJKMN"] {
        assert_eq!(b.get(path).await.location(), "/account/password", "{path}");
    }
    let form = b.get("/account/password").await;
    assert!(form.body.contains("Choose your own password") && form.body.contains("set by someone else"));
    assert!(!form.body.contains("govuk-back-link"), "no way round it");
    let welsh = b.get("/account/password?lang=cy").await;
    assert!(welsh.body.contains("Dewiswch eich cyfrinair eich hun"));
    b.get("/account/password?lang=en").await;
    let csrf = form.hidden("csrf");
    let same = b
        .post(
            "/account/password",
            &[("csrf", &csrf), ("current", &s.password), ("new", &s.password), ("confirm", &s.password)],
        )
        .await;
    assert_eq!(same.status, StatusCode::BAD_REQUEST);
    assert!(same.body.contains("Choose your own password"), "still the first-password page");
    let mine = "correct horse battery staple";
    let done = b
        .post("/account/password", &[("csrf", &csrf), ("current", &s.password), ("new", mine), ("confirm", mine)])
        .await;
    assert_eq!(done.location(), "/applications?done=password", "{}", done.body);
    let queue = b.get("/applications?done=password").await;
    assert_eq!(queue.status, StatusCode::OK);
    assert!(queue.body.contains("Your password is changed"));
    // The next sign-in goes straight to the work, with the password they chose.
    let mut again = Browser::new(&w.portal);
    let page = again.get("/sign-in").await;
    let form = page.hidden("form");
    let page = again.post("/sign-in", &[("form", &form), ("username", &s.username), ("password", mine)]).await;
    let pending = page.hidden("pending");
    let code = format!("{:06}", totp(&s.secret, totp_step(Utc::now()) + 1));
    let page = again.post("/sign-in/code", &[("pending", &pending), ("code", &code)]).await;
    assert_eq!(page.location(), "/applications");
}

#[tokio::test]
async fn a_rejection_carries_notes_for_the_applicant_in_english_and_welsh() {
    let w = world().await;
    let officer = staff(&w, "cardiff", Role::Officer, "officer").await;
    let (reference, ero) = unmatched(&w, "W06000015", "Noted").await;
    let mut b = sign_in(&w, &officer, 0).await;
    let page = b.get(&format!("/applications/{reference}")).await;
    assert!(page.body.contains("Notes for the applicant, in Welsh"));
    let csrf = page.hidden("csrf");
    let path = format!("/applications/{reference}/determination");
    let english = "We could not find you at 1 High Street.\nPlease apply again from your new address.";
    // Notes go only with a rejection; too long is refused; what was typed is kept.
    let with_approval = b.post(&path, &[("csrf", &csrf), ("decision", "approved"), ("notes-en", english)]).await;
    assert_eq!(with_approval.status, StatusCode::BAD_REQUEST);
    assert!(with_approval.body.contains("only sent when not registering them"), "{}", with_approval.body);
    assert!(with_approval.body.contains("Please apply again from your new address."));
    let long = "ŵ".repeat(4001);
    let too_long =
        b.post(&path, &[("csrf", &csrf), ("decision", "rejected"), ("reason", "other"), ("notes-cy", &long)]).await;
    assert_eq!(too_long.status, StatusCode::BAD_REQUEST);
    assert!(too_long.body.contains("4,000 characters or fewer") && too_long.body.contains("#notes-cy"));
    let welsh = "Ni allem ddod o hyd i chi yn 1 Stryd Fawr.";
    let done = b
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("decision", "rejected"),
                ("reason", "other"),
                ("notes-en", english),
                ("notes-cy", welsh),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let page = b.get(&format!("/applications/{reference}")).await;
    assert!(page.body.contains("Notes for the applicant (Welsh)") && page.body.contains(welsh), "{}", page.body);
    let notes = w.store.for_ero(ero).determination_notes(&reference).await.unwrap().unwrap();
    assert_eq!((notes.en.as_deref(), notes.cy.as_deref()), (Some(english), Some(welsh)));
    // Never in the history's events (personal data stays sealed).
    let events = format!("{:?}", w.store.for_ero(EroId::parse("cardiff").unwrap()).events(&reference).await.unwrap());
    assert!(!events.contains("High Street"));
}
