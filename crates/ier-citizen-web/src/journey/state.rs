//! The journey state of a request: read once when the request arrives
//! ([`Visit`]) and sealed once into the response ([`Visit::respond`]); no
//! handler touches the cookie itself.
//!
//! The state travels in the sealed session cookie (`crate::session`). When it
//! is too large for a cookie (the longest answers, in 4-byte characters, run to
//! many kilobytes), it is sealed the same way and kept server-side under a
//! random id for the journey's life, and the cookie carries the id: the
//! applicant never loses an answer to its length. Every journey response says
//! `Cache-Control: no-store` (pages show a National Insurance number and a date of birth).

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{TimeZone, Utc};
use ier_domain::Language;

use super::answers::Answers;
use crate::AppState;
use crate::i18n::Lang;
use crate::limits::Client;
use crate::render::Frame;
use crate::session::{MAX_AGE_SECS, Opened, Session, SessionError};

pub fn now() -> i64 {
    Utc::now().timestamp()
}

/// A cookie sealed less than this long ago (seconds) is not sealed again for a page that changes nothing.
const FRESH_SECS: i64 = 30;

/// A journey's state, boxed: handlers' futures hold pointers, not kilobytes of answers
/// (every future is moved through the middleware layers; a large one costs a copy each time).
pub type Journey = Box<Session<Answers>>;

/// A journey request: the service, the page's frame and the journey state as it arrived.
pub struct Visit {
    pub state: Arc<AppState>,
    pub frame: Frame,
    pub opened: Box<Opened<Answers>>,
    pub client: IpAddr,
    /// The page's script asked for a fragment, not a page.
    pub fragment: bool,
}

impl FromRequestParts<Arc<AppState>> for Visit {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Response> {
        let Ok(lang) = Lang::from_request_parts(parts, state).await;
        let Ok(client) = Client::from_request_parts(parts, state).await;
        let path = parts
            .extensions
            .get::<OriginalUri>()
            .map(|u| u.0.path().to_owned())
            .unwrap_or_else(|| parts.uri.path().to_owned());
        let frame = Frame::new(lang.language, &path);
        let fragment =
            parts.headers.get(&super::questions::address::FRAGMENT_HEADER).is_some_and(|v| v == "address-select");
        let cookie = parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|h| state.sessions.from_cookie_header(h));
        let opened = match cookie {
            Some(c) => load(state, c).await.map_err(|e| unavailable(&frame, e))?,
            None => Opened::None,
        };
        let mut frame = frame;
        frame.demo = matches!(&opened, Opened::Active(s) if s.data.demo);
        Ok(Visit { state: state.clone(), frame, opened: Box::new(opened), client: client.0, fragment })
    }
}

/// The state a cookie names: in the cookie, or kept server-side under its id.
async fn load(state: &AppState, cookie: &str) -> Result<Opened<Answers>, ier_storage::StorageError> {
    let mut session = match state.sessions.open::<Answers>(cookie, now()) {
        Opened::Active(s) => s,
        other => return Ok(other),
    };
    let Some(id) = session.spill.clone() else { return Ok(Opened::Active(session)) };
    let Some(sealed) = state.citizen.journey_state(&id, Utc::now()).await? else {
        // Gone (expired and purged): as a timed-out journey.
        return Ok(Opened::Expired);
    };
    match state.sessions.open_state(&id, &sealed).and_then(|plain| serde_json::from_slice(&plain).ok()) {
        Some(answers) => {
            session.data = answers;
            Ok(Opened::Active(session))
        }
        None => Ok(Opened::None),
    }
}

fn unavailable(frame: &Frame, e: ier_storage::StorageError) -> Response {
    tracing::error!(error = %e, "journey state unavailable");
    ier_ops::metrics().error("storage").inc();
    let mut res = super::message(
        frame,
        StatusCode::SERVICE_UNAVAILABLE,
        "busy-title",
        vec![frame.t_args("busy-body", &[("seconds", "30")])],
        vec![],
    );
    res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
    res
}

impl Visit {
    pub fn language(&self) -> Language {
        self.frame.language()
    }

    /// The response to a request that did not change the journey: when the
    /// cookie was sealed in the last half minute (a page fetched straight after
    /// the answer that led to it), the browser keeps the cookie it has; otherwise
    /// as [`Visit::respond`], restarting the idle timer. (The timer is then at most
    /// half a minute behind: a journey idle for 20 minutes times out by 20½.)
    pub async fn respond_unchanged(&self, session: Journey, res: impl IntoResponse) -> Response {
        if now() - session.seen < FRESH_SECS {
            let mut res = res.into_response();
            no_store(&mut res);
            return res;
        }
        self.respond(session, res).await
    }

    /// The response, with the journey state sealed into it (its idle timer
    /// restarted): in the cookie, or server-side when too large for one.
    pub async fn respond(&self, mut session: Journey, res: impl IntoResponse) -> Response {
        session.seen = now();
        let mut res = res.into_response();
        let value = match self.state.sessions.seal(&session) {
            Ok(value) => {
                if let Some(id) = session.spill.take() {
                    // Small again: the server-side copy is no longer needed.
                    if let Err(e) = self.state.citizen.delete_journey_state(&id).await {
                        tracing::warn!(error = %e, "could not delete spilled journey state");
                    }
                    match self.state.sessions.seal(&session) {
                        Ok(v) => v,
                        Err(e) => return self.too_large(e),
                    }
                } else {
                    value
                }
            }
            Err(SessionError::TooLarge(_)) => match self.spill(&mut session).await {
                Ok(value) => value,
                Err(res) => return res,
            },
        };
        no_store(&mut res);
        if let Ok(v) = HeaderValue::from_str(&self.state.sessions.set_cookie(&value)) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
        res
    }

    /// Keep the state server-side; the cookie value that names it.
    async fn spill(&self, session: &mut Session<Answers>) -> Result<String, Response> {
        let id = session.spill.clone().unwrap_or_else(|| self.state.sessions.new_state_id());
        let plain = serde_json::to_vec(&session.data).expect("answers serialise");
        let sealed = self.state.sessions.seal_state(&id, &plain);
        let expires = Utc.timestamp_opt(session.created + MAX_AGE_SECS, 0).single().unwrap_or_else(Utc::now);
        if let Err(e) = self.state.citizen.put_journey_state(&id, expires, &sealed).await {
            return Err(unavailable(&self.frame, e));
        }
        let marker = Session {
            csrf: session.csrf.clone(),
            created: session.created,
            seen: session.seen,
            spill: Some(id),
            data: Answers::default(),
        };
        self.state.sessions.seal(&marker).map_err(|e| self.too_large(e))
    }

    fn too_large(&self, e: SessionError) -> Response {
        tracing::error!(error = %e, "journey state marker too large");
        unavailable(&self.frame, ier_storage::StorageError::Unavailable("journey state".into()))
    }

    /// The response, with the journey state removed (an exit).
    pub async fn end(&self, res: impl IntoResponse) -> Response {
        if let Opened::Active(s) = &*self.opened
            && let Some(id) = &s.spill
            && let Err(e) = self.state.citizen.delete_journey_state(id).await
        {
            tracing::warn!(error = %e, "could not delete spilled journey state");
        }
        let mut res = res.into_response();
        no_store(&mut res);
        if let Ok(v) = HeaderValue::from_str(&self.state.sessions.clear_cookie()) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
        res
    }
}

/// Journey pages are never stored by browsers or caches (they show personal data).
pub fn no_store(res: &mut Response) {
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}
