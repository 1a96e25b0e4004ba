//! The public pages, driven through the router in-process with a fresh SQLite store.

mod support;

use axum::http::StatusCode;

async fn get(path: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    get_with(path, &[]).await
}

/// One request from a fresh browser against a fresh app.
async fn get_with(path: &str, headers: &[(&str, &str)]) -> (StatusCode, axum::http::HeaderMap, String) {
    let page = support::Client::new().await.get_with(path, headers).await;
    (page.status, page.headers, page.body)
}

#[tokio::test]
async fn start_page_has_the_postcode_form_and_security_headers() {
    let (status, headers, body) = get("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(r#"<label class="govuk-label" for="postcode">"#));
    assert!(body.contains(r#"<html lang="en" class="govuk-template govuk-template--rebranded">"#));
    assert!(body.contains(r#"<link rel="stylesheet" href="/assets/govuk-frontend.min.css?v="#));
    assert!(body.contains(r#"hreflang="cy""#), "language switcher");
    assert!(
        body.contains(r#"<a href="&#x2f;register-to-vote&#x2f;start" role="button""#)
            || body.contains(r#"<a href="/register-to-vote/start" role="button""#),
        "start button"
    );
    assert_eq!(headers["x-frame-options"], "DENY");
    assert!(headers["content-security-policy"].to_str().unwrap().contains("default-src 'self'"));
}

#[tokio::test]
async fn real_postcodes_find_their_council_and_ero() {
    for (pc, council, ero) in [
        ("SW1A+1AA", "Westminster", "Westminster City Council"),
        ("cf101ep", "Cardiff (Caerdydd)", "Cardiff Council"),
        ("EH1+1YZ", "City of Edinburgh", "Lothian Valuation Joint Board"),
        ("LL55+4UR", "Gwynedd", "Gwynedd Council"),
    ] {
        let (status, _, body) = get(&format!("/find-your-council?postcode={pc}")).await;
        assert_eq!(status, StatusCode::OK, "{pc}");
        assert!(body.contains(&format!("register with {council}.")), "{pc}: {body}");
        assert!(body.contains(&format!("Registration Officer at {ero}.")), "{pc}: {body}");
    }
}

#[tokio::test]
async fn northern_ireland_goes_to_eoni() {
    let (status, _, body) = get("/find-your-council?postcode=BT1+1AA").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Electoral Office for Northern Ireland"));
    // minijinja escapes "/" in attributes; browsers read it back as "/".
    assert!(body.contains(r#"href="https:&#x2f;&#x2f;www.eoni.org.uk&#x2f;""#), "{body}");
}

#[tokio::test]
async fn bad_postcodes_get_a_specific_error_and_keep_what_was_typed() {
    let (status, _, body) = get("/find-your-council?postcode=%3Cscript%3Ealert(1)").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("Enter a real postcode, like SW1A 1AA"));
    assert!(body.contains(r#"value="&lt;script&gt;alert(1)""#), "kept and escaped");
    assert!(!body.contains("<script>"));
    let (status, _, body) = get("/find-your-council?postcode=").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("Enter a postcode"));
    let (status, _, body) = get("/find-your-council?postcode=YY9+9YY").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("We could not find that postcode"));
}

#[tokio::test]
async fn health_endpoints() {
    assert_eq!(get("/health/live").await.0, StatusCode::OK);
    assert_eq!(get("/health/ready").await.0, StatusCode::OK);
    assert_eq!(get("/no-such-page").await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn welsh_pages_are_chosen_per_request_and_remembered() {
    let (status, headers, body) = get("/?lang=cy").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(r#"<html lang="cy""#));
    assert!(body.contains("Cofrestru i bleidleisio"));
    assert!(body.contains("Neidio i’r prif gynnwys"));
    assert!(headers["set-cookie"].to_str().unwrap().starts_with("lang=cy;"));
    // The cookie carries the choice to the next page...
    let (_, _, body) = get_with("/find-your-council?postcode=CF10+1EP", &[("cookie", "lang=cy")]).await;
    assert!(body.contains("yn cofrestru gyda Caerdydd (Cardiff)."), "{body}");
    assert!(body.contains("Cyngor Caerdydd"), "the ERO's Welsh name: {body}");
    // ...and Accept-Language is honoured, but a request's own choice is never shared with another.
    let (_, _, body) = get_with("/", &[("accept-language", "cy-GB,cy;q=0.9,en;q=0.5")]).await;
    assert!(body.contains(r#"<html lang="cy""#));
    let (_, _, body) = get("/").await;
    assert!(body.contains(r#"<html lang="en""#));
    let (_, _, body) = get("/find-your-council?postcode=&lang=cy").await;
    assert!(body.contains("Mae problem wedi codi") && body.contains("Rhowch god post"), "{body}");
    assert!(body.contains(r#"<span class="govuk-visually-hidden">Gwall:</span>"#));
}

#[tokio::test]
async fn govuk_frontend_assets_are_served() {
    for (path, kind) in [
        ("/assets/govuk-frontend.min.css", "text/css"),
        ("/assets/govuk-frontend.min.js", "text/javascript"),
        ("/assets/ier.mjs", "text/javascript"),
        ("/assets/fonts/bold-b542beb274-v2.woff2", "font/woff2"),
        ("/assets/images/govuk-crest.svg", "image/svg+xml"),
    ] {
        let (status, headers, _) = get(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(headers["content-type"].to_str().unwrap().starts_with(kind), "{path}");
    }
    let (_, _, css) = get("/assets/govuk-frontend.min.css").await;
    // Every asset the stylesheet refers to is served.
    for url in css.split("url(").skip(1).map(|s| s.split(')').next().unwrap()) {
        assert_eq!(get(url).await.0, StatusCode::OK, "{url}");
    }
    assert_eq!(get("/assets/../Cargo.toml").await.0, StatusCode::NOT_FOUND);
}

/// One request to the public router with extra headers.
async fn get_bytes(path: &str, headers: &[(&str, &str)]) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let c = support::Client::new().await;
    let mut req = axum::http::Request::builder().uri(path);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = tower::ServiceExt::oneshot(c.app.clone(), req.body(axum::body::Body::empty()).unwrap()).await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    (status, headers, axum::body::to_bytes(res.into_body(), 1 << 22).await.unwrap().to_vec())
}

#[tokio::test]
async fn assets_go_out_gzipped_with_etags_and_versioned_ones_are_cached_for_a_year() {
    let (_, _, page) = get("/").await;
    let css_url = page.split(r#"<link rel="stylesheet" href=""#).nth(1).unwrap().split('"').next().unwrap().to_owned();
    assert!(css_url.starts_with("/assets/govuk-frontend.min.css?v="), "{css_url}");

    // Plain for a client that does not ask for compression.
    let (status, plain_headers, plain) = get_bytes(&css_url, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(plain_headers.get("content-encoding").is_none());
    assert_eq!(plain_headers["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(plain_headers["vary"], "Accept-Encoding");

    // Gzipped for one that does, far smaller, and the same bytes once unzipped.
    let (status, headers, gz) = get_bytes(&css_url, &[("accept-encoding", "br;q=1.0, gzip;q=0.8, *;q=0.1")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-encoding"], "gzip");
    assert!(gz.len() * 5 < plain.len(), "{} bytes gzipped of {}", gz.len(), plain.len());
    let mut unzipped = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut unzipped).unwrap();
    assert_eq!(unzipped, plain);
    assert_ne!(headers["etag"], plain_headers["etag"], "each encoding has its own ETag");
    // gzip;q=0 means no gzip.
    let (_, headers, _) = get_bytes(&css_url, &[("accept-encoding", "gzip;q=0")]).await;
    assert!(headers.get("content-encoding").is_none());

    // Revalidation: the ETag of what the client would get gives 304 and no body.
    let etag = headers_str(&headers, "etag");
    let (status, _, body) = get_bytes(&css_url, &[("if-none-match", &etag)]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    let gz_etag = get_bytes(&css_url, &[("accept-encoding", "gzip")]).await.1["etag"].to_str().unwrap().to_owned();
    let (status, _, _) =
        get_bytes(&css_url, &[("accept-encoding", "gzip"), ("if-none-match", &format!("\"x\", W/{gz_etag}"))]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    // The plain ETag does not validate the gzipped copy.
    let (status, _, _) = get_bytes(&css_url, &[("accept-encoding", "gzip"), ("if-none-match", &etag)]).await;
    assert_eq!(status, StatusCode::OK);

    // Unversioned (or an old version's) URLs are cached for a day and revalidated.
    for url in ["/assets/govuk-frontend.min.css", "/assets/govuk-frontend.min.css?v=0000000000000000"] {
        assert_eq!(get_bytes(url, &[]).await.1["cache-control"], "public, max-age=86400", "{url}");
    }
    // Fonts carry their digest in their names; images are not worth compressing.
    let (_, headers, _) = get_bytes("/assets/fonts/bold-b542beb274-v2.woff2", &[("accept-encoding", "gzip")]).await;
    assert_eq!(headers["cache-control"], "public, max-age=31536000, immutable");
    assert!(headers.get("content-encoding").is_none());
}

fn headers_str(headers: &axum::http::HeaderMap, name: &str) -> String {
    headers[name].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn postcode_lookups_are_rate_limited_with_a_clear_429() {
    let mut c = support::Client::new().await;
    let mut limited = None;
    for i in 0..200 {
        let page = c.get("/find-your-council?postcode=SW1A+1AA").await;
        if page.status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some((i, page));
            break;
        }
    }
    let (i, page) = limited.expect("a flood is limited");
    assert_eq!(i, 120, "the first 120 look-ups are allowed");
    assert!(page.headers["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
    assert!(page.body.contains("Sorry, you have made too many requests"));
    // Pages that are not look-ups are unaffected.
    assert_eq!(c.get("/").await.status, StatusCode::OK);
}

#[tokio::test]
async fn hsts_and_secure_cookies_only_over_https() {
    let mut plain = support::Client::new().await;
    assert!(plain.get("/").await.headers.get("strict-transport-security").is_none());
    let mut https = support::Client::https().await;
    let page = https.get("/register-to-vote/start").await;
    assert_eq!(page.headers["strict-transport-security"], "max-age=31536000; includeSubDomains");
    let cookie = page.headers["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("__Host-ier-session=") && cookie.contains("; Secure"), "{cookie}");
}

/// The 404 page's language links stay on this site whatever the path
/// (issue 20, finding 6: `//evil.example` made them `//evil.example?lang=cy`).
#[tokio::test]
async fn language_links_never_point_to_another_site() {
    for path in ["//evil.example", "///evil.example/x", "/\\evil.example", "/%2F%2Fevil.example"] {
        let (status, _, body) = get(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        let hrefs: Vec<&str> = body.split("href=\"").skip(1).filter_map(|s| s.split('"').next()).collect();
        for href in hrefs.iter().filter(|h| h.contains("lang=")) {
            let href = href.replace("&#x2f;", "/").replace("&#x5c;", "\\");
            assert!(href.starts_with('/') && !href.starts_with("//") && !href.starts_with("/\\"), "{path}: {href}");
        }
    }
}

/// A form body over 2 MB gets a page in the visitor's language, not plain text.
#[tokio::test]
async fn an_oversized_form_gets_a_page() {
    let mut c = support::Client::new().await;
    let big = "x".repeat(3 << 20);
    let page = c.post("/am-i-registered", &[("given-name", big.as_str())]).await;
    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(page.headers[axum::http::header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    assert!(page.body.contains("What you sent is too large"), "{}", page.body);
    // Not a form at all: a page too, not axum's plain text.
    let (status, headers, body) = post_raw("/am-i-registered", "text/plain", "x").await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(headers[axum::http::header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    assert!(body.contains("we could not read what was sent"), "{body}");
}

async fn post_raw(path: &str, content_type: &str, body: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    use tower::ServiceExt;
    let c = support::Client::new().await;
    let req = axum::http::Request::post(path)
        .header(axum::http::header::CONTENT_TYPE, content_type)
        .body(axum::body::Body::from(body.to_owned()))
        .unwrap();
    let res = c.app.clone().oneshot(req).await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
    (status, headers, String::from_utf8_lossy(&bytes).into_owned())
}
