//! The ERO portal: the council side of the service in a browser.
//!
//! Staff of an Electoral Registration Officer's office sign in (a password and
//! a second factor, [`auth`], or their council's own accounts, [`oidc`]), work their office's applications oldest first
//! with filters, see each one's details, identity check, register check,
//! evidence and history, determine it or ask the applicant for evidence
//! ([`queue`]), compare the applicants DWP did not match with local data
//! ([`local_data`]); administrators add their office's accounts, and everyone changes their own password ([`staff`]).
//!
//! It is a site of its own, on its own listener, apart from the public site: it
//! holds a [`StaffStore`], whose only way to applications is the signed-in
//! member's [`ier_storage::EroStore`] (their ERO's data, and on Postgres row-level
//! security besides). Server-rendered GOV.UK Design System pages in English and
//! Welsh that work without JavaScript, sharing the public site's components and
//! assets. Every sign-in and action is written to the audit without personal data.

pub mod auth;
pub mod local_data;
pub mod oidc;
pub mod queue;
pub mod render;
pub mod staff;
mod words;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use ier_citizen_web::i18n::Lang;
use ier_citizen_web::limits::Limiter;
use ier_citizen_web::session::SessionCodec;
use ier_storage::evidence::FileStore;
use ier_storage::staff::StaffStore;

/// What the portal's handlers share.
#[derive(Clone)]
pub struct PortalState {
    pub staff: StaffStore,
    /// Where evidence files are kept (encrypted).
    pub files: Arc<dyn FileStore>,
    /// Seals the sign-in forms' tokens (before there is a session).
    pub forms: Arc<SessionCodec>,
    pub limiter: Arc<Limiter>,
    /// Over HTTPS: `Secure` `__Host-` cookies and HSTS.
    pub https: bool,
    /// ERO names by id, for pages.
    pub eros: Arc<std::collections::HashMap<ier_domain::EroId, ier_domain::Ero>>,
    /// DWP's reference, which the local data step's model learns from ([`local_data`]);
    /// `None`: the step is not offered.
    pub dwp: Option<Arc<ier_jobs::matching::DwpReference>>,
    /// One local data step at a time on this instance, and the steps of the last minutes (a
    /// digest of the office, choices and file, and when), so one sent twice is recorded once.
    pub local_data_turn: Arc<tokio::sync::Mutex<Vec<(Vec<u8>, std::time::Instant)>>>,
    /// Offices that sign in with their council's own accounts ([`oidc`]).
    pub oidc: Option<Arc<oidc::Oidc>>,
}

impl PortalState {
    pub fn new(
        store: &ier_storage::Store,
        files: Arc<dyn FileStore>,
        forms: Arc<SessionCodec>,
        eros: Vec<ier_domain::Ero>,
    ) -> Self {
        ier_citizen_web::assets::prepare();
        let https = forms.is_secure();
        Self {
            staff: store.staff(),
            files,
            forms,
            limiter: Arc::new(Limiter::new(ier_ops::trusted_proxies().clone())),
            https,
            eros: Arc::new(eros.into_iter().map(|e| (e.id.clone(), e)).collect()),
            dwp: None,
            local_data_turn: Arc::new(tokio::sync::Mutex::new(Vec::new())),
            oidc: None,
        }
    }

    /// Let the configured offices sign in through their council's provider.
    pub fn with_oidc(mut self, oidc: oidc::Oidc) -> Self {
        self.oidc = Some(Arc::new(oidc));
        self
    }

    /// Offer the local data step, its model learning from this DWP reference.
    pub fn with_dwp(mut self, dwp: Arc<ier_jobs::matching::DwpReference>) -> Self {
        self.dwp = Some(dwp);
        self
    }

    fn ero_name(&self, id: &ier_domain::EroId, lang: ier_domain::Language) -> String {
        match self.eros.get(id) {
            Some(e) if lang == ier_domain::Language::Cy => e.name_cy.clone().unwrap_or_else(|| e.name.clone()),
            Some(e) => e.name.clone(),
            None => id.to_string(),
        }
    }
}

/// The portal's routes.
pub fn router(state: PortalState) -> Router {
    let state = Arc::new(state);
    Router::new()
        .route("/", get(|| async { Redirect::to("/applications") }))
        .route("/assets/{*path}", get(ier_citizen_web::assets::serve))
        .route("/health/live", get(|| async { "ok" }))
        .route("/sign-in", get(auth::show).post(auth::password))
        .route("/sign-in/code", post(auth::code))
        .route("/sign-in/oidc", post(oidc::start))
        .route("/sign-in/oidc/callback", get(oidc::callback))
        .route("/sign-out", post(auth::sign_out))
        .route("/applications", get(queue::list))
        .route("/applications/{reference}", get(queue::show))
        .route("/applications/{reference}/determination", post(queue::determine))
        .route("/applications/{reference}/evidence-request", post(queue::ask))
        .route("/applications/{reference}/evidence/{file}", get(queue::file))
        .route(
            "/local-data",
            get(local_data::show)
                .post(local_data::compare)
                .layer(axum::extract::DefaultBodyLimit::max(local_data::BODY_LIMIT)),
        )
        .route("/staff", get(staff::list).post(staff::add))
        .route("/account/password", get(staff::password_form).post(staff::change_password))
        .fallback(not_found)
        .layer(middleware::from_fn(plain_errors))
        .layer(middleware::from_fn(ier_citizen_web::remember_language))
        .layer(middleware::from_fn_with_state(state.clone(), security_headers))
        .layer(middleware::from_fn_with_state(ier_ops::Tier::Portal, ier_ops::observe))
        .with_state(state)
}

async fn not_found(lang: Lang, uri: axum::http::Uri) -> Response {
    let frame = render::Frame::new(lang.language, uri.path());
    render::message(axum::http::StatusCode::NOT_FOUND, &frame, "not-found-title", &["not-found-body"])
}

/// Pages of the portal are never cached, framed or sent to another site.
async fn security_headers(State(state): State<Arc<PortalState>>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    ier_citizen_web::set_security_headers(h, state.https);
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// A request axum refuses before any handler sees it (not a form, too large, not parseable) is
/// answered in plain text: it gets a page in the member of staff's language instead.
async fn plain_errors(lang: Lang, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let res = next.run(req).await;
    let status = res.status();
    let plain = res.headers().get(header::CONTENT_TYPE).is_none_or(|v| v.as_bytes().starts_with(b"text/plain"));
    if plain && status.is_client_error() && status != axum::http::StatusCode::NOT_FOUND {
        let frame = render::Frame::new(lang.language, &path);
        return render::message(status, &frame, "unreadable-title", &["unreadable-body"]);
    }
    res
}

/// A problem with the database: the "try again" page, never details.
pub(crate) fn unavailable(frame: &render::Frame, e: ier_storage::StorageError) -> Response {
    tracing::error!(error = %e, "the portal could not reach the database");
    render::message(axum::http::StatusCode::SERVICE_UNAVAILABLE, frame, "unavailable-title", &["unavailable-body"])
        .into_response()
}
