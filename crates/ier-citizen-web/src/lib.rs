//! The public, citizen-facing web service.
//!
//! Server-rendered pages on the GOV.UK Design System (`govuk-frontend`,
//! vendored in `assets/govuk`), in English and Welsh, that work without
//! JavaScript. This tier can submit applications (through a [`CitizenStore`],
//! which cannot read any back) and look up reference data; it never lists or
//! reads anyone's application. It serves the start page, "find your council"
//! (the postcode → council → ERO routing every application goes through) and
//! the whole ordinary journey ([`journey`]), from country of residence to the
//! complete page. JavaScript (`assets/ier.mjs`) only enhances: GOV.UK Frontend's
//! components, and the address look-up shown in place.

pub mod assets;
pub mod components;
pub mod evidence;
pub mod forms;
pub mod i18n;
pub mod inbox;
pub mod journey;
pub mod limits;
pub mod performance;
pub mod registered;
pub mod render;
pub mod service_pages;
pub mod session;
pub mod status;

use std::sync::Arc;

use axum::extract::{OriginalUri, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Router, extract::Request};
use ier_domain::{Postcode, postcode::PostcodeError};
use ier_reference::{Locator, Route};
use ier_storage::{CitizenStore, Store};
use minijinja::context;
use serde::Deserialize;

use i18n::Lang;
use render::{FieldError, Frame, page};

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    pub locator: Locator,
    pub citizen: CitizenStore,
    pub sessions: Arc<session::SessionCodec>,
    pub limiter: Arc<limits::Limiter>,
    /// Production over HTTPS: send HSTS.
    pub https: bool,
    /// Addresses by postcode: the synthetic gazetteer over the locator's tables by default.
    pub gazetteer: Arc<dyn ier_reference::Gazetteer>,
    /// The overload gate: past it, requests get the "service is busy" page.
    pub gate: Arc<ier_ops::Gate>,
    /// Readiness (draining for shutdown).
    pub health: ier_ops::Health,
    /// Where applicants send evidence through their link (`/evidence/{token}`); `None`:
    /// the page is not served.
    pub evidence: Option<ier_storage::evidence::EvidenceInbox>,
    /// The demo's inbox of simulated messages (`/demo/notifications`); `None` outside the demo.
    pub inbox: Option<Arc<dyn inbox::Inbox>>,
    /// What this instance counts for the performance figures (journeys started,
    /// requests, repeat notices), added to the database every few seconds.
    pub tallies: Arc<ier_storage::performance::Tallies>,
    /// The figures, worked out at most once every few seconds per instance.
    pub figures: Arc<performance::Cache>,
    /// EROs with the contact details operators loaded (`ier import contacts`),
    /// read from the database every minute: pages name them without a database round trip.
    eros: Arc<std::sync::RwLock<std::collections::HashMap<ier_domain::EroId, ier_domain::Ero>>>,
    store: Store,
}

impl AppState {
    pub fn new(locator: Locator, store: Store, sessions: session::SessionCodec) -> Self {
        let gazetteer = Arc::new(ier_reference::SyntheticGazetteer::new(locator.directory(), locator.reference()));
        let https = sessions.is_secure();
        let limiter = Arc::new(limits::Limiter::new(ier_ops::trusted_proxies().clone()));
        assets::prepare();
        Self {
            locator,
            citizen: store.citizen(),
            sessions: Arc::new(sessions),
            limiter,
            https,
            gazetteer,
            gate: Arc::new(ier_ops::Gate::default()),
            health: ier_ops::Health::default(),
            inbox: None,
            evidence: None,
            tallies: Arc::default(),
            figures: Arc::default(),
            eros: Arc::default(),
            store,
        }
    }
}

impl AppState {
    /// Start the public tier's housekeeping on the current runtime: journey
    /// state kept server-side (too large for a cookie) is deleted once it has
    /// expired, and rate-limit buckets once they are full again, every ten
    /// minutes (from every instance: the deletes are idempotent).
    pub fn start_housekeeping(&self) {
        self.start_counting();
        let citizen = self.citizen.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
            loop {
                every.tick().await;
                match citizen.purge_journey_states(chrono::Utc::now()).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(purged = n, "expired journey state deleted"),
                    Err(e) => tracing::warn!(error = %e, "could not purge expired journey state"),
                }
                // Rate-limit buckets untouched for a day are full again: forget them.
                let day_ago = chrono::Utc::now() - chrono::Duration::days(1);
                if let Err(e) = citizen.purge_token_buckets(day_ago).await {
                    tracing::warn!(error = %e, "could not purge rate-limit buckets");
                }
            }
        });
    }
}

impl AppState {
    /// An ERO with its contact details as last read from the database (the
    /// shipped reference data, without contact details, until then).
    pub fn ero(&self, id: &ier_domain::EroId) -> Option<ier_domain::Ero> {
        let held = self.eros.read().unwrap_or_else(|e| e.into_inner()).get(id).cloned();
        held.or_else(|| self.locator.reference().ero(id).cloned())
    }

    /// Read the EROs and their contact details from the database now.
    pub async fn refresh_eros(&self) {
        match self.citizen.eros().await {
            Ok(eros) => {
                let map = eros.into_iter().map(|e| (e.id.clone(), e)).collect();
                *self.eros.write().unwrap_or_else(|e| e.into_inner()) = map;
            }
            Err(e) => tracing::warn!(error = %e, "could not read the EROs' contact details"),
        }
    }

    /// Add what this instance counted to the performance figures every
    /// [`performance::FLUSH_EVERY`] (counts that could not be written are kept
    /// for the next time), and read the EROs' contact details every minute.
    pub fn start_counting(&self) {
        let (citizen, tallies) = (self.citizen.clone(), self.tallies.clone());
        tokio::spawn(async move {
            let mut every = tokio::time::interval(performance::FLUSH_EVERY);
            loop {
                every.tick().await;
                performance::flush(&citizen, &tallies).await;
            }
        });
        let state = self.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                every.tick().await;
                state.refresh_eros().await;
            }
        });
    }
}

/// The public router.
pub fn router(state: AppState) -> Router {
    let state = Arc::new(state);
    Router::new()
        .route("/", get(start))
        .route("/find-your-council", get(find_your_council))
        .route("/assets/{*path}", get(assets::serve))
        .route("/health/live", get(|| async { "ok" }))
        .route("/health/ready", get(ready))
        .route(status::PATH, get(status::show).post(status::lookup))
        .route(registered::PATH, get(registered::show).post(registered::lookup))
        .route(inbox::PATH, get(inbox::show))
        .route(
            "/evidence/{token}",
            get(evidence::show).post(evidence::send).layer(axum::extract::DefaultBodyLimit::max(evidence::BODY_LIMIT)),
        )
        .route("/evidence/{token}/attestor", axum::routing::post(evidence::name_attestor))
        .route("/attest/{token}", get(evidence::attest_show).post(evidence::attest_confirm))
        .merge(journey::routes())
        .merge(performance::routes())
        .merge(service_pages::routes())
        .fallback(not_found)
        .layer(middleware::from_fn(plain_errors))
        .layer(middleware::from_fn(remember_language))
        .layer(middleware::from_fn_with_state(state.clone(), shed))
        .layer(middleware::from_fn(read_body))
        .layer(middleware::from_fn_with_state(state.clone(), count_requests))
        .layer(middleware::from_fn_with_state(state.clone(), security_headers))
        .layer(middleware::from_fn_with_state(ier_ops::Tier::Public, ier_ops::observe))
        .with_state(state)
}

/// Count requests for pages (not assets or health checks) and those answered
/// with a server error, for the availability figure. Outside the gate: a
/// request shed with 503 counts against availability.
async fn count_requests(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let counted = !(path.starts_with("/assets/") || path.starts_with("/health/"));
    let res = next.run(req).await;
    if counted {
        let now = chrono::Utc::now();
        state.tallies.add(now, ier_storage::performance::Measure::Requests, "all");
        if res.status().is_server_error() {
            state.tallies.add(now, ier_storage::performance::Measure::Requests, "server-error");
        }
    }
    res
}

/// The largest request body read (axum's default limit, which the extractors also apply).
const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// Reads a request's whole body before it may take a place at the gate: a client trickling a
/// body must not hold one of the places that answer everyone else. A body over the limit gets
/// the "too large" page, one that did not arrive in time (the listener's deadline,
/// `ier_ops::listener`) the "took too long" page with 408, and one that broke off the
/// "could not read" page; in every case nothing was done.
async fn read_body(lang: Lang, req: Request, next: Next) -> Response {
    use axum::body::HttpBody;
    if req.body().is_end_stream() {
        return next.run(req).await;
    }
    let expired = req.extensions().get::<ier_ops::listener::BodyExpired>().cloned();
    let path = req.uri().path().to_owned();
    let (parts, body) = req.into_parts();
    // Evidence of identity (photos, scans) is the one larger body the site takes.
    let limit = if path.starts_with("/evidence/") { evidence::BODY_LIMIT } else { BODY_LIMIT };
    match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => next.run(Request::from_parts(parts, axum::body::Body::from(bytes))).await,
        Err(e) => {
            let too_large = std::error::Error::source(&e).is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
            let (status, key) = if expired.is_some_and(|x| x.expired()) {
                (StatusCode::REQUEST_TIMEOUT, "slow-body")
            } else if too_large {
                (StatusCode::PAYLOAD_TOO_LARGE, "too-large")
            } else {
                (StatusCode::BAD_REQUEST, "unreadable")
            };
            let frame = Frame::new(lang.language, &path);
            let mut res = journey::message(
                &frame,
                status,
                &format!("{key}-title"),
                vec![frame.t(&format!("{key}-body"))],
                vec![],
            );
            res.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            res
        }
    }
}

/// The overload gate: a request that cannot start soon gets 503, `Retry-After`
/// and the "service is busy" page in its language. Its journey cookie is
/// untouched, so every answer already given is kept; assets and health checks
/// are never shed. Applicants part-way through a journey (they carry its
/// cookie) come first: newcomers are turned away at once while only the last
/// quarter of places is free. (The cookie is only looked for, not opened: a
/// forged one would buy a place in the queue, never anyone's data.)
async fn shed(State(state): State<Arc<AppState>>, lang: Lang, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path.starts_with("/assets/") || path.starts_with("/health/") {
        return next.run(req).await;
    }
    let under_way = req
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .any(|v| v.to_str().is_ok_and(|c| state.sessions.from_cookie_header(c).is_some()));
    let place = if under_way {
        state.gate.enter(ier_ops::Tier::Public).await
    } else {
        state.gate.enter_new(ier_ops::Tier::Public)
    };
    match place {
        Ok(_permit) => next.run(req).await,
        Err(busy) => {
            let mut res =
                (StatusCode::SERVICE_UNAVAILABLE, Html(busy_page(lang.language, busy.retry_after))).into_response();
            res.headers_mut().insert(header::RETRY_AFTER, busy.header());
            res
        }
    }
}

/// The busy page in each language, rendered once: shedding must cost next to
/// nothing, or it takes the capacity it is there to protect. Its links are
/// relative to the page's own address (`?lang=cy`), so one copy serves every path.
fn busy_page(language: ier_domain::Language, retry_after: std::time::Duration) -> &'static str {
    static PAGES: [std::sync::OnceLock<String>; 2] = [std::sync::OnceLock::new(), std::sync::OnceLock::new()];
    let slot = match language {
        ier_domain::Language::En => &PAGES[0],
        ier_domain::Language::Cy => &PAGES[1],
    };
    slot.get_or_init(|| {
        let frame = Frame::new(language, "");
        let seconds = retry_after.as_secs().max(1).to_string();
        let again = format!("?lang={}", frame.lang);
        let paragraphs = vec![frame.t_args("busy-body", &[("seconds", &seconds)])];
        let links = vec![context! { href => again, text => frame.t("busy-retry") }];
        render::html("message.html", &frame, context! { heading => frame.t("busy-title"), paragraphs, links })
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, "busy page failed to render");
                String::from("Sorry, the service is busy. Try again in a few seconds.")
            })
    })
}

async fn security_headers(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    set_security_headers(res.headers_mut(), state.https);
    res
}

/// The headers every page of the service's sites carries: HSTS over HTTPS, a content security
/// policy allowing only the site's own scripts, styles, images and fonts, no framing, no sniffing,
/// no referrer (shared with the ERO portal).
pub fn set_security_headers(h: &mut axum::http::HeaderMap, https: bool) {
    if https {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; \
             frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
}

/// A language chosen with `?lang=` is remembered in a cookie for later pages (on every site).
pub async fn remember_language(lang: Lang, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    if lang.explicit {
        let cookie = format!("lang={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly", lang.language.as_str());
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

/// A body axum refuses before any handler sees it (over 2 MB, not a form,
/// not parseable) is answered in plain text: it gets a page in the visitor's
/// language instead.
async fn plain_errors(lang: Lang, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let res = next.run(req).await;
    let plain = res.headers().get(header::CONTENT_TYPE).is_none_or(|v| v.as_bytes().starts_with(b"text/plain"));
    // axum's own refusals of a body it cannot read (too large, not a form, not parseable).
    let key = match res.status() {
        StatusCode::PAYLOAD_TOO_LARGE => "too-large",
        StatusCode::BAD_REQUEST | StatusCode::UNSUPPORTED_MEDIA_TYPE | StatusCode::UNPROCESSABLE_ENTITY => "unreadable",
        _ => return res,
    };
    if !plain {
        return res;
    }
    let frame = Frame::new(lang.language, &path);
    let (title, body) = (format!("{key}-title"), frame.t(&format!("{key}-body")));
    journey::message(&frame, res.status(), &title, vec![body], vec![])
}

async fn start(lang: Lang, OriginalUri(uri): OriginalUri) -> Response {
    let frame = Frame::new(lang.language, uri.path());
    page(StatusCode::OK, "start.html", &frame, context! { postcode => "", postcode_error => "" })
}

#[derive(Deserialize)]
struct PostcodeQuery {
    #[serde(default)]
    postcode: String,
}

async fn find_your_council(
    State(state): State<Arc<AppState>>,
    client: limits::Client,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<PostcodeQuery>,
) -> Response {
    let mut frame = Frame::new(lang.language, uri.path());
    if !q.postcode.trim().is_empty()
        && let Err(wait) = state.limiter.check(limits::Action::PostcodeLookup, client.0, std::time::Instant::now())
    {
        return journey::too_many(&frame, wait);
    }
    let refuse = |mut frame: Frame, status, key: &str| {
        let text = frame.t(key);
        frame.errors.push(FieldError { text: text.clone(), href: "#postcode".into() });
        page(status, "find_council.html", &frame, context! { postcode => q.postcode, postcode_error => text })
    };
    let postcode = match Postcode::parse(&q.postcode) {
        Ok(p) => p,
        Err(PostcodeError::Empty) => {
            return refuse(frame, StatusCode::BAD_REQUEST, "error-postcode-empty");
        }
        Err(PostcodeError::Format) => {
            return refuse(frame, StatusCode::BAD_REQUEST, "error-postcode-format");
        }
    };
    let pc = postcode.to_string();
    let message = |frame: &Frame, heading: &str, paragraphs: Vec<String>, links: Vec<(String, String)>| {
        let links: Vec<_> = links.into_iter().map(|(href, text)| context! { href, text }).collect();
        page(StatusCode::OK, "message.html", frame, context! { heading => frame.t(heading), paragraphs, links })
    };
    match state.locator.route(&postcode) {
        Route::Council { council, ero } => {
            let welsh_first = frame.language() == ier_domain::Language::Cy;
            // The name in the page's language, with the other where it differs:
            // "Cardiff (Caerdydd)" / "Caerdydd (Cardiff)", never "Gwynedd (Gwynedd)".
            let (first, second) = match (&council.name_cy, welsh_first) {
                (Some(cy), true) => (cy.as_str(), Some(council.name.as_str())),
                (Some(cy), false) => (council.name.as_str(), Some(cy.as_str())),
                (None, _) => (council.name.as_str(), None),
            };
            let name = match second.filter(|s| *s != first) {
                Some(other) => format!("{first} ({other})"),
                None => first.to_owned(),
            };
            let ero_name = match (&ero.name_cy, welsh_first) {
                (Some(cy), true) => cy.as_str(),
                _ => ero.name.as_str(),
            };
            let paragraphs = vec![
                frame.t_args("council-registers", &[("postcode", &pc), ("council", &name)]),
                frame.t_args("council-ero", &[("ero", ero_name)]),
            ];
            let back = (format!("/?lang={}", frame.lang), frame.t("back-to-start"));
            message(&frame, "council-title", paragraphs, vec![back])
        }
        Route::NorthernIreland => {
            let p = vec![frame.t_args("ni-body", &[("postcode", &pc)])];
            message(&frame, "ni-title", p, vec![("https://www.eoni.org.uk/".into(), frame.t("ni-link"))])
        }
        Route::CrownDependency => {
            message(&frame, "crown-title", vec![frame.t_args("crown-body", &[("postcode", &pc)])], vec![])
        }
        Route::Forces => message(&frame, "bfpo-title", vec![frame.t("bfpo-body")], vec![]),
        Route::Unknown => {
            frame.errors.clear();
            refuse(frame, StatusCode::NOT_FOUND, "error-postcode-unknown")
        }
    }
}

async fn ready(State(state): State<Arc<AppState>>) -> Response {
    state.health.ready(&state.store).await
}

async fn not_found(lang: Lang, OriginalUri(uri): OriginalUri) -> Response {
    not_found_page(&Frame::new(lang.language, uri.path()))
}

/// The "page not found" page.
pub fn not_found_page(frame: &Frame) -> Response {
    let heading = frame.t("not-found-title");
    let paragraphs = vec![frame.t("not-found-body")];
    page(StatusCode::NOT_FOUND, "message.html", frame, context! { heading, paragraphs, links => Vec::<String>::new() })
}
