//! Signing in and out of the portal, and who a request is from.
//!
//! Sign-in is two pages: a username and password, then a code from the
//! authenticator app (or a recovery code). Between them the page carries a
//! sealed token naming the account and when its password was right (good for
//! [`PENDING_SECS`]), never a cookie, so the first step alone grants nothing. A
//! wrong password and an unknown username get the same answer. Each attempt
//! takes a token from the client's bucket ([`Action::StaffSignIn`]) and counts
//! against the account ([`ier_storage::staff::MAX_FAILURES`]).
//!
//! The session is a random token in a `HttpOnly`, `SameSite=Strict` cookie
//! (`__Host-` and `Secure` over HTTPS) with no lifetime of its own; the database
//! ends it ([`ier_storage::staff`]). Every form posts the session's CSRF token,
//! checked in constant time.

use std::sync::Arc;

use axum::Form;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use ier_citizen_web::i18n::Lang;
use ier_citizen_web::limits::Action;
use ier_storage::ApiAccess;
use ier_storage::staff::{CodeStep, PasswordStep, Signed, StaffId};
use minijinja::context;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::PortalState;
use crate::render::{Frame, StaffFrame, page, tr};

/// How long the code page is good for after a right password.
pub const PENDING_SECS: i64 = 5 * 60;
pub(crate) const SIGN_IN_FORM: &str = "staff-sign-in";
const PENDING: &str = "staff-pending";

fn cookie_name(state: &PortalState) -> &'static str {
    if state.https { "__Host-ier-staff" } else { "ier-staff" }
}

/// The session token a request carries, if any.
pub fn token(state: &PortalState, headers: &HeaderMap) -> Option<String> {
    let name = cookie_name(state);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// The signed-in member of staff, or the response to give instead: the sign-in page for
/// no (or an ended) session, "try again" when the database cannot be reached.
pub async fn signed(state: &PortalState, headers: &HeaderMap, frame: &Frame) -> Result<Signed, Response> {
    let Some(token) = token(state, headers) else { return Err(Redirect::to("/sign-in").into_response()) };
    match state.staff.session(&token, Utc::now()).await {
        // A first password was set by someone else: the member chooses their own before anything else.
        Ok(Some(s))
            if !s.staff.password_chosen && !["/account/password", "/sign-out"].contains(&frame.path.as_str()) =>
        {
            Err(Redirect::to("/account/password").into_response())
        }
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(Redirect::to("/sign-in").into_response()),
        Err(e) => Err(crate::unavailable(frame, e)),
    }
}

/// A page's frame for a signed-in member of staff.
pub fn frame_for(state: &PortalState, signed: &Signed, lang: Lang, path: &str, nav: &'static str) -> Frame {
    let mut frame = Frame::new(lang.language, path);
    frame.staff = Some(StaffFrame {
        ero_name: state.ero_name(&signed.staff.ero, lang.language),
        role: signed.staff.role.as_str(),
        manage: signed.staff.role.may_manage(),
        decide: signed.staff.role.may_decide(),
    });
    frame.csrf = Some(signed.csrf.clone());
    frame.nav = nav;
    frame
}

/// Whether a posted CSRF token is the session's (compared in constant time).
pub fn csrf_ok(signed: &Signed, posted: &str) -> bool {
    let a = signed.csrf.as_bytes();
    let b = posted.as_bytes();
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The page for a form posted without the session's CSRF token.
pub fn refused(frame: &Frame) -> Response {
    crate::render::message(StatusCode::FORBIDDEN, frame, "csrf-title", &["csrf-body"])
}

/// Write one portal action to the audit: who (`staff:<id>`), what, the reference acted on.
pub async fn audit(state: &PortalState, signed: &Signed, method: &str, route: &str, target: Option<&str>, status: u16) {
    audit_as(state, &signed.staff.id, &signed.staff.ero, method, route, target, status).await;
}

pub(crate) async fn audit_as(
    state: &PortalState,
    staff: &StaffId,
    ero: &ier_domain::EroId,
    method: &str,
    route: &str,
    target: Option<&str>,
    status: u16,
) {
    let record = ApiAccess {
        at: Utc::now(),
        request_id: uuid::Uuid::new_v4().to_string(),
        ero_id: ero.clone(),
        certificate_serial: format!("staff:{staff}"),
        method: method.to_owned(),
        route: format!("portal {route}"),
        target: target.map(str::to_owned),
        status,
        items: None,
    };
    if let Err(e) = state.staff.audit(&[record]).await {
        tracing::error!(error = %e, "could not write the portal's audit");
    }
}

#[derive(Deserialize)]
pub struct SignInQuery {
    #[serde(default, rename = "signed-out")]
    signed_out: Option<String>,
}

/// The sign-in page.
pub async fn show(
    State(state): State<Arc<PortalState>>,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
    axum::extract::Query(q): axum::extract::Query<SignInQuery>,
) -> Response {
    let frame = Frame::new(lang.language, uri.path());
    sign_in_page(&state, frame, "", q.signed_out.is_some(), StatusCode::OK)
}

fn sign_in_page(state: &PortalState, frame: Frame, username: &str, signed_out: bool, status: StatusCode) -> Response {
    let form = state.forms.form_token(SIGN_IN_FORM, &uuid::Uuid::new_v4().to_string(), Utc::now().timestamp());
    let providers = crate::oidc::choices(state, frame.language());
    page(status, "sign_in.html", &frame, context! { form, username, signed_out, providers })
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    form: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

pub(crate) fn limited(state: &PortalState, parts_client: std::net::IpAddr, frame: &Frame) -> Option<Response> {
    match state.limiter.check(Action::StaffSignIn, parts_client, std::time::Instant::now()) {
        Ok(()) => None,
        Err(wait) => {
            let mut res =
                crate::render::message(StatusCode::TOO_MANY_REQUESTS, frame, "limited-title", &["limited-body"]);
            if let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            Some(res)
        }
    }
}

/// Client address from the request (behind trusted proxies).
pub struct Client(pub std::net::IpAddr);

impl axum::extract::FromRequestParts<Arc<PortalState>> for Client {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &Arc<PortalState>,
    ) -> Result<Self, Self::Rejection> {
        Ok(Client(state.limiter.client(parts)))
    }
}

/// The password step.
pub async fn password(
    State(state): State<Arc<PortalState>>,
    lang: Lang,
    client: Client,
    Form(f): Form<PasswordForm>,
) -> Response {
    let mut frame = Frame::new(lang.language, "/sign-in");
    let now = Utc::now();
    if state.forms.open_form_token(SIGN_IN_FORM, &f.form, now.timestamp()).is_none() {
        // No genuine form: shown again, nothing checked.
        frame.error("username", "username", "sign-in-form-expired");
        return sign_in_page(&state, frame, &f.username, false, StatusCode::BAD_REQUEST);
    }
    if let Some(res) = limited(&state, client.0, &frame) {
        return res;
    }
    if f.username.trim().is_empty() || f.password.is_empty() {
        if f.username.trim().is_empty() {
            frame.error("username", "username", "username-missing");
        }
        if f.password.is_empty() {
            frame.error("password", "password", "password-missing");
        }
        return sign_in_page(&state, frame, &f.username, false, StatusCode::BAD_REQUEST);
    }
    // A password longer than any allowed is wrong without hashing it.
    let password =
        if f.password.chars().count() > ier_storage::staff::PASSWORD_MAX { String::new() } else { f.password };
    match state.staff.password(&f.username, SecretString::from(password), now).await {
        Ok(PasswordStep::Right(id)) => {
            let pending = state.forms.form_token(PENDING, &format!("{id}|{}", now.timestamp()), now.timestamp());
            page(StatusCode::OK, "code.html", &Frame::new(lang.language, "/sign-in/code"), context! { pending })
        }
        Ok(PasswordStep::Wrong) => {
            frame.error("username", "username", "sign-in-wrong");
            sign_in_page(&state, frame, &f.username, false, StatusCode::UNAUTHORIZED)
        }
        Ok(PasswordStep::Locked(until)) => locked(&frame, until),
        Err(e) => crate::unavailable(&frame, e),
    }
}

fn locked(frame: &Frame, until: chrono::DateTime<Utc>) -> Response {
    let time = until.with_timezone(&chrono_tz::Europe::London).format("%H:%M").to_string();
    let paragraphs = vec![tr(frame.language(), "locked-body", &[("time", &time)])];
    page(StatusCode::FORBIDDEN, "message.html", frame, context! { title => frame.t("locked-title"), paragraphs })
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    pending: String,
    #[serde(default)]
    code: String,
}

/// The second step: a code. Starts the session.
pub async fn code(
    State(state): State<Arc<PortalState>>,
    lang: Lang,
    client: Client,
    Form(f): Form<CodeForm>,
) -> Response {
    let mut frame = Frame::new(lang.language, "/sign-in/code");
    let now = Utc::now();
    let id = state.forms.open_form_token(PENDING, &f.pending, now.timestamp()).and_then(|v| {
        let (id, at) = v.split_once('|')?;
        let at: i64 = at.parse().ok()?;
        (now.timestamp() - at <= PENDING_SECS).then(|| StaffId::parse(id)).flatten()
    });
    let Some(id) = id else {
        frame.error("username", "username", "code-expired");
        return sign_in_page(&state, Frame { path: "/sign-in".into(), ..frame }, "", false, StatusCode::BAD_REQUEST);
    };
    if let Some(res) = limited(&state, client.0, &frame) {
        return res;
    }
    let again = |mut frame: Frame, key: &str| {
        frame.error("code", "code", key);
        page(StatusCode::UNAUTHORIZED, "code.html", &frame, context! { pending => f.pending.clone() })
    };
    if f.code.trim().is_empty() {
        return again(frame, "code-missing");
    }
    if f.code.chars().count() > 40 {
        return again(frame, "code-wrong");
    }
    match state.staff.code(&id, &f.code, now).await {
        Ok(CodeStep::SignedIn(signed)) => {
            let token = signed.token.as_ref().map(|t| t.expose_secret().to_owned()).unwrap_or_default();
            audit(&state, &signed, "POST", "/sign-in", None, 303).await;
            tracing::info!(staff = %signed.staff.id, ero = %signed.staff.ero, "staff signed in");
            let to = if signed.staff.password_chosen { "/applications" } else { "/account/password" };
            let mut res = Redirect::to(to).into_response();
            if let Ok(v) = HeaderValue::from_str(&session_cookie(&state, &token)) {
                res.headers_mut().insert(header::SET_COOKIE, v);
            }
            res
        }
        Ok(CodeStep::Wrong) => again(frame, "code-wrong"),
        Ok(CodeStep::Locked(until)) => locked(&frame, until),
        Err(e) => crate::unavailable(&frame, e),
    }
}

/// The session's cookie, carrying its token.
pub(crate) fn session_cookie(state: &PortalState, token: &str) -> String {
    let secure = if state.https { "; Secure" } else { "" };
    format!("{}={token}; Path=/; HttpOnly; SameSite=Strict{secure}", cookie_name(state))
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// Sign out: the session ends in the database, and its cookie is cleared.
pub async fn sign_out(
    State(state): State<Arc<PortalState>>,
    lang: Lang,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Response {
    let frame = Frame::new(lang.language, "/sign-out");
    let signed = match signed(&state, &headers, &frame).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    if !csrf_ok(&signed, &f.csrf) {
        return refused(&frame);
    }
    if let Some(token) = token(&state, &headers)
        && let Err(e) = state.staff.sign_out(&token).await
    {
        return crate::unavailable(&frame, e);
    }
    audit(&state, &signed, "POST", "/sign-out", None, 303).await;
    let secure = if state.https { "; Secure" } else { "" };
    let cookie = format!("{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}", cookie_name(&state));
    let mut res = Redirect::to("/sign-in?signed-out=1").into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}
