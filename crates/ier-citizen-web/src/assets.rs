//! Static assets: the vendored GOV.UK Frontend build (`assets/govuk`, from npm
//! `govuk-frontend`, MIT; refresh with `cargo xtask assets`) and our own
//! script, compiled into the binary and served with long cache lifetimes.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

macro_rules! govuk {
    ($path:literal) => {
        include_bytes!(concat!("../assets/govuk/", $path)).as_slice()
    };
}

/// (path under /assets/, content type, bytes)
const ASSETS: &[(&str, &str, &[u8])] = &[
    ("govuk-frontend.min.css", "text/css; charset=utf-8", govuk!("govuk-frontend.min.css")),
    ("govuk-frontend.min.js", "text/javascript; charset=utf-8", govuk!("govuk-frontend.min.js")),
    ("ier.mjs", "text/javascript; charset=utf-8", include_bytes!("../assets/ier.mjs")),
    ("manifest.json", "application/manifest+json", govuk!("manifest.json")),
    ("fonts/bold-affa96571d-v2.woff", "font/woff", govuk!("fonts/bold-affa96571d-v2.woff")),
    ("fonts/bold-b542beb274-v2.woff2", "font/woff2", govuk!("fonts/bold-b542beb274-v2.woff2")),
    ("fonts/light-94a07e06a1-v2.woff2", "font/woff2", govuk!("fonts/light-94a07e06a1-v2.woff2")),
    ("fonts/light-f591b13f7d-v2.woff", "font/woff", govuk!("fonts/light-f591b13f7d-v2.woff")),
    ("images/favicon.ico", "image/x-icon", govuk!("images/favicon.ico")),
    ("images/favicon.svg", "image/svg+xml", govuk!("images/favicon.svg")),
    ("images/govuk-crest.svg", "image/svg+xml", govuk!("images/govuk-crest.svg")),
    ("images/govuk-icon-180.png", "image/png", govuk!("images/govuk-icon-180.png")),
    ("images/govuk-icon-192.png", "image/png", govuk!("images/govuk-icon-192.png")),
    ("images/govuk-icon-512.png", "image/png", govuk!("images/govuk-icon-512.png")),
    ("images/govuk-icon-mask.svg", "image/svg+xml", govuk!("images/govuk-icon-mask.svg")),
    ("images/govuk-opengraph-image.png", "image/png", govuk!("images/govuk-opengraph-image.png")),
];

pub async fn serve(Path(path): Path<String>) -> Response {
    match ASSETS.iter().find(|(p, _, _)| *p == path) {
        Some((_, content_type, bytes)) => {
            let mut res = bytes.into_response();
            let h = res.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"));
            res
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
