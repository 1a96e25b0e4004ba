//! The public pages, driven through the router in-process with a fresh SQLite store.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use ier_citizen_web::{AppState, router};
use ier_reference::Locator;
use ier_storage::{DataKeys, Store};
use ier_storage_sqlite::SqliteBackend;
use std::sync::Arc;
use tower::ServiceExt;

async fn get(path: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    let dir = tempfile::tempdir().unwrap();
    let backend = SqliteBackend::open(&dir.path().join("t.db")).await.unwrap();
    let store = Store::new(
        Arc::new(backend),
        DataKeys::parse(&DataKeys::generate("k")).unwrap(),
    );
    let app = router(AppState::new(Locator::embedded(), store));
    let res = app
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, headers, String::from_utf8(bytes.to_vec()).unwrap())
}

#[tokio::test]
async fn start_page_has_the_postcode_form_and_security_headers() {
    let (status, headers, body) = get("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(r#"<label for="postcode">Postcode</label>"#));
    assert!(body.contains(r#"<html lang="en">"#));
    assert_eq!(headers["x-frame-options"], "DENY");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'self'")
    );
}

#[tokio::test]
async fn real_postcodes_find_their_council_and_ero() {
    for (pc, council, ero) in [
        ("SW1A+1AA", "Westminster", "Westminster City Council"),
        ("cf101ep", "Cardiff", "Cardiff Council"),
        (
            "EH1+1YZ",
            "City of Edinburgh",
            "Lothian Valuation Joint Board",
        ),
        ("LL55+4UR", "Gwynedd", "Gwynedd Council"),
    ] {
        let (status, _, body) = get(&format!("/find-your-council?postcode={pc}")).await;
        assert_eq!(status, StatusCode::OK, "{pc}");
        assert!(
            body.contains(&format!("<strong>{council}</strong>")),
            "{pc}: {body}"
        );
        assert!(
            body.contains(&format!("<strong>{ero}</strong>")),
            "{pc}: {body}"
        );
    }
}

#[tokio::test]
async fn northern_ireland_goes_to_eoni() {
    let (status, _, body) = get("/find-your-council?postcode=BT1+1AA").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Electoral Office for Northern Ireland"));
    assert!(body.contains("https://www.eoni.org.uk/"));
}

#[tokio::test]
async fn bad_postcodes_get_a_specific_error_and_keep_what_was_typed() {
    let (status, _, body) = get("/find-your-council?postcode=%3Cscript%3Ealert(1)").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("Enter a real postcode, like SW1A 1AA"));
    assert!(
        body.contains(r#"value="&lt;script&gt;alert(1)""#),
        "kept and escaped"
    );
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
