//! The public, citizen-facing web service.
//!
//! Server-rendered pages that work without JavaScript. This tier can submit
//! applications (through a [`CitizenStore`], which cannot read any back) and
//! look up reference data; it never lists or reads anyone's application.
//! Today it serves the service's start page and "find your council": the
//! postcode → council → ERO routing that every application goes through.

mod html;

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Router, extract::Request};
use ier_domain::{Postcode, postcode::PostcodeError};
use ier_reference::{Locator, Route};
use ier_storage::{CitizenStore, Store};
use serde::Deserialize;

use html::{escape, page};

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    pub locator: Locator,
    pub citizen: CitizenStore,
    store: Store,
}

impl AppState {
    pub fn new(locator: Locator, store: Store) -> Self {
        Self {
            locator,
            citizen: store.citizen(),
            store,
        }
    }
}

/// The public router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(start))
        .route("/find-your-council", get(find_your_council))
        .route("/health/live", get(|| async { "ok" }))
        .route("/health/ready", get(ready))
        .fallback(not_found)
        .layer(middleware::from_fn(security_headers))
        .with_state(Arc::new(state))
}

async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    res
}

async fn start() -> Html<String> {
    page(
        "Register to vote",
        r##"<h1>Register to vote</h1>
<p>Register to vote in elections in England, Scotland and Wales. It usually takes about 5 minutes.</p>
<p>You’ll be asked for your National Insurance number (but you can still register if you do not have one).</p>
<h2>Find your council</h2>
<p>Your application goes to the Electoral Registration Officer for the council where you live.</p>
<form method="get" action="/find-your-council" novalidate>
  <label for="postcode">Postcode</label>
  <input id="postcode" name="postcode" type="text" autocomplete="postal-code" spellcheck="false">
  <button type="submit">Find your council</button>
</form>"##
            .to_owned(),
    )
}

#[derive(Deserialize)]
struct PostcodeQuery {
    #[serde(default)]
    postcode: String,
}

async fn find_your_council(
    State(state): State<Arc<AppState>>,
    Query(q): Query<PostcodeQuery>,
) -> Response {
    let form = |value: &str, error: &str| {
        format!(
            r##"<div class="error-summary" role="alert"><h2>There is a problem</h2><p><a href="#postcode">{error}</a></p></div>
<h1>Find your council</h1>
<form method="get" action="/find-your-council" novalidate>
  <label for="postcode">Postcode</label>
  <p class="error-message" id="postcode-error">Error: {error}</p>
  <input id="postcode" name="postcode" type="text" value="{value}" aria-describedby="postcode-error" autocomplete="postal-code" spellcheck="false">
  <button type="submit">Find your council</button>
</form>"##,
            value = escape(value),
        )
    };
    let postcode = match Postcode::parse(&q.postcode) {
        Ok(p) => p,
        Err(PostcodeError::Empty) => {
            return (
                StatusCode::BAD_REQUEST,
                page("Error: Find your council", form("", "Enter a postcode")),
            )
                .into_response();
        }
        Err(PostcodeError::Format) => {
            let body = form(&q.postcode, "Enter a real postcode, like SW1A 1AA");
            return (
                StatusCode::BAD_REQUEST,
                page("Error: Find your council", body),
            )
                .into_response();
        }
    };
    let pc = escape(&postcode.to_string());
    let body = match state.locator.route(&postcode) {
        Route::Council { council, ero } => {
            // The Welsh name too, where it differs ("Cardiff (Caerdydd)", but not "Gwynedd (Gwynedd)").
            let welsh = council
                .name_cy
                .as_deref()
                .filter(|cy| *cy != council.name)
                .map(|n| format!(" ({})", escape(n)))
                .unwrap_or_default();
            format!(
                r##"<h1>Your council</h1>
<p>People living at {pc} register with <strong>{council}</strong>{welsh}.</p>
<p>Applications are sent to the Electoral Registration Officer at <strong>{ero}</strong>.</p>
<p><a href="/">Back to the start</a></p>"##,
                council = escape(&council.name),
                ero = escape(&ero.name),
            )
        }
        Route::NorthernIreland => format!(
            r##"<h1>Register in Northern Ireland</h1>
<p>{pc} is in Northern Ireland. Registration there is run by the Electoral Office for Northern Ireland (EONI), not this service.</p>
<p><a href="https://www.eoni.org.uk/">Register with the Electoral Office for Northern Ireland</a></p>"##
        ),
        Route::CrownDependency => format!(
            r##"<h1>You cannot register here with this address</h1>
<p>{pc} is in the Channel Islands or the Isle of Man, which have their own electoral registers.</p>"##
        ),
        Route::Forces => r##"<h1>BFPO addresses</h1>
<p>A BFPO number is a forces postal address. To register, use the address in the UK where you live or last lived.</p>"##
            .to_owned(),
        Route::Unknown => {
            let body = form(&q.postcode, "We could not find that postcode. Check it, or enter your address by hand when you apply");
            return (StatusCode::NOT_FOUND, page("Error: Find your council", body)).into_response();
        }
    };
    page("Find your council", body).into_response()
}

async fn ready(State(state): State<Arc<AppState>>) -> Response {
    match state.store.backend().ping().await {
        Ok(()) => "ready".into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        page(
            "Page not found",
            "<h1>Page not found</h1><p>If you typed the web address, check it is correct.</p>"
                .into(),
        ),
    )
        .into_response()
}
