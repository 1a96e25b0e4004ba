//! Static assets: the vendored GOV.UK Frontend build (`assets/govuk`, from npm
//! `govuk-frontend`, MIT; refresh with `cargo xtask assets`) and our own
//! script, compiled into the binary.
//!
//! Each is prepared once per process ([`prepare`]): its ETag (a digest of its bytes) and, for
//! text, a gzip copy (the stylesheet goes from 136 KB to about 16 KB). A request is answered
//! gzipped when it accepts gzip (`Vary: Accept-Encoding`), with 304 when its `If-None-Match`
//! names the ETag of what it would get. Pages link to the stylesheet and script by versioned
//! URLs (`asset("...")` in templates: `?v=` and the digest), which are cached for a year as
//! immutable; the fonts' names already carry govuk-frontend's digests. Anything else is cached
//! for a day and then revalidated by its ETag.

use std::sync::LazyLock;

use axum::extract::{Path, RawQuery};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
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

/// An asset as served: its bytes, and what is worked out once from them.
struct Prepared {
    path: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
    /// The first 16 hex digits of the bytes' SHA-256: the version in versioned URLs.
    version: String,
    etag: HeaderValue,
    /// A gzip copy and its ETag, for text worth compressing.
    gzip: Option<(Vec<u8>, HeaderValue)>,
    /// Its name changes whenever its bytes do (govuk-frontend's fonts).
    named_by_content: bool,
}

static PREPARED: LazyLock<Vec<Prepared>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|&(path, content_type, bytes)| {
            let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
            let version: String = digest.as_ref()[..8].iter().map(|b| format!("{b:02x}")).collect();
            let etag = HeaderValue::from_str(&format!("\"{version}\"")).expect("hex is a valid header");
            let text = content_type.starts_with("text/")
                || content_type.starts_with("application/")
                || content_type.starts_with("image/svg")
                || content_type == "image/x-icon";
            let gzip = text.then(|| {
                let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
                std::io::Write::write_all(&mut enc, bytes).expect("writing to memory");
                let gz = enc.finish().expect("writing to memory");
                (gz, HeaderValue::from_str(&format!("\"{version}-gzip\"")).expect("hex is a valid header"))
            });
            // Compressed only when it saves something.
            let gzip = gzip.filter(|(gz, _)| gz.len() < bytes.len());
            Prepared { path, content_type, bytes, version, etag, gzip, named_by_content: path.starts_with("fonts/") }
        })
        .collect()
});

/// Works out every asset's ETag and gzip copy now, rather than on the first request.
pub fn prepare() {
    LazyLock::force(&PREPARED);
}

/// The versioned URL of an asset (for templates: `{{ asset("govuk-frontend.min.css") }}`).
pub fn url(path: String) -> Result<minijinja::Value, minijinja::Error> {
    match PREPARED.iter().find(|a| a.path == path) {
        // Made only of our own path and hex digits: nothing to escape.
        Some(a) => Ok(minijinja::Value::from_safe_string(format!("/assets/{}?v={}", a.path, a.version))),
        None => Err(minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, format!("no asset {path}"))),
    }
}

/// Does the client take gzip (`Accept-Encoding: gzip` or `*`, with a q-value above 0)?
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(
        |item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or("");
            let q = parts
                .find_map(|p| p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")))
                .map_or(1.0, |q| q.parse::<f32>().unwrap_or(0.0));
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && q > 0.0
        },
    )
}

/// Does `If-None-Match` name `etag` (or `*`)?
fn matches(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let etag = etag.as_bytes();
    headers.get_all(header::IF_NONE_MATCH).iter().flat_map(|v| v.as_bytes().split(|&b| b == b',')).any(|tag| {
        let tag = tag.trim_ascii();
        let tag = tag.strip_prefix(b"W/").unwrap_or(tag);
        tag == b"*" || tag == etag
    })
}

pub async fn serve(Path(path): Path<String>, RawQuery(query): RawQuery, headers: HeaderMap) -> Response {
    let Some(asset) = PREPARED.iter().find(|a| a.path == path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let versioned = query.as_deref().and_then(|q| q.strip_prefix("v=")) == Some(asset.version.as_str());
    let cache = if versioned || asset.named_by_content {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=86400"
    };
    let (bytes, etag, gzipped): (&[u8], &HeaderValue, bool) = match &asset.gzip {
        Some((gz, etag)) if accepts_gzip(&headers) => (gz, etag, true),
        _ => (asset.bytes, &asset.etag, false),
    };
    let mut res = if matches(&headers, etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut res = bytes.to_vec().into_response();
        res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
        if gzipped {
            res.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        res
    };
    let h = res.headers_mut();
    h.insert(header::ETAG, etag.clone());
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if asset.gzip.is_some() {
        h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    }
    res
}
