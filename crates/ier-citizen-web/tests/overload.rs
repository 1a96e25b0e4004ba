//! Past capacity the public site sheds load: 503 with `Retry-After` and the
//! "service is busy" page in the applicant's language, their progress kept,
//! and it recovers by itself once load falls.

mod support;

use std::sync::Arc;
use std::time::Duration;

use axum::http::{StatusCode, header};
use support::Client;

#[tokio::test]
async fn past_capacity_requests_get_the_busy_page_keep_progress_and_recover() {
    let gate = Arc::new(ier_ops::Gate::new(1, Duration::from_millis(20)));
    let mut c = Client::with_gate(gate.clone()).await;
    c.get("/register-to-vote/start").await;
    let csrf = c.get("/register-to-vote/country-of-residence").await.csrf();
    let r = c.post("/register-to-vote/country-of-residence", &[("csrf_token", &csrf), ("country", "wales")]).await;
    assert_eq!(r.location(), "/register-to-vote/nationality");
    let session = c.cookies.get("ier-session").cloned().expect("a journey cookie");

    // Every place is taken: the next requests are shed.
    let held = gate.enter(ier_ops::Tier::Public).await.expect("a free place");
    let busy = c.post("/register-to-vote/nationality", &[("csrf_token", &csrf), ("nationality", "british")]).await;
    assert_eq!(busy.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(busy.headers.get(header::RETRY_AFTER).unwrap(), "5");
    assert!(busy.body.contains("Sorry, the service is busy"), "{}", busy.body);
    assert!(busy.body.contains("Wait 5 seconds and try again"), "{}", busy.body);
    assert!(busy.body.contains(r#"href="?lang=en">Try again</a>"#), "{}", busy.body);
    // The journey cookie is untouched: nothing already answered is lost.
    assert!(busy.headers.get(header::SET_COOKIE).is_none());
    assert_eq!(c.cookies.get("ier-session"), Some(&session));
    // In Welsh for a Welsh applicant; security headers as on every page; health checks never shed.
    let cy = c.get("/register-to-vote/nationality?lang=cy").await;
    assert_eq!(cy.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(cy.body.contains("mae’r gwasanaeth yn brysur"), "{}", cy.body);
    assert!(cy.headers.contains_key(header::CONTENT_SECURITY_POLICY));
    assert_eq!(c.get("/health/live").await.status, StatusCode::OK);

    // Load falls: the service recovers by itself, with the earlier answer kept.
    drop(held);
    let back = c.get("/register-to-vote/country-of-residence").await;
    assert_eq!(back.status, StatusCode::OK);
    assert!(back.body.contains(r#"value="wales" checked"#));
    let r = c.post("/register-to-vote/nationality", &[("csrf_token", &csrf), ("nationality", "british")]).await;
    assert_eq!(r.location(), "/register-to-vote/date-of-birth");
}

#[tokio::test]
async fn many_requests_at_once_past_the_gate_are_shed_not_queued_for_ever() {
    let gate = Arc::new(ier_ops::Gate::new(2, Duration::from_millis(10)));
    let c = Client::with_gate(gate.clone()).await;
    let a = gate.enter(ier_ops::Tier::Public).await.unwrap();
    let b = gate.enter(ier_ops::Tier::Public).await.unwrap();
    let started = std::time::Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let mut c = c.clone_app();
        tasks.push(tokio::spawn(async move { c.get("/").await.status }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::SERVICE_UNAVAILABLE);
    }
    assert!(started.elapsed() < Duration::from_secs(5), "shed promptly, not after a long queue");
    drop((a, b));
    let mut c = c.clone_app();
    assert_eq!(c.get("/").await.status, StatusCode::OK);
}

#[tokio::test]
async fn near_capacity_applicants_under_way_come_first_and_newcomers_wait() {
    let gate = Arc::new(ier_ops::Gate::new(4, Duration::from_millis(10)));
    let mut c = Client::with_gate(gate.clone()).await;
    c.get("/register-to-vote/start").await;
    let csrf = c.get("/register-to-vote/country-of-residence").await.csrf();
    // Three of four places taken: the last quarter is kept for journeys under way.
    let held: Vec<_> = hold(&gate, 3).await;
    let newcomer = c.clone_app().get("/register-to-vote/start").await;
    assert_eq!(newcomer.status, StatusCode::SERVICE_UNAVAILABLE, "a newcomer waits");
    assert!(newcomer.body.contains("Sorry, the service is busy"));
    let r = c.post("/register-to-vote/country-of-residence", &[("csrf_token", &csrf), ("country", "england")]).await;
    assert_eq!(r.location(), "/register-to-vote/nationality", "someone part-way through carries on");
    drop(held);
    assert_eq!(c.clone_app().get("/register-to-vote/start").await.status, StatusCode::SEE_OTHER);
}

async fn hold(gate: &ier_ops::Gate, n: usize) -> Vec<tokio::sync::SemaphorePermit<'_>> {
    let mut held = Vec::new();
    for _ in 0..n {
        held.push(gate.enter(ier_ops::Tier::Public).await.expect("a free place"));
    }
    held
}

/// A body that sends its first bytes and then nothing, for ever.
struct Stalled(Option<axum::body::Bytes>);

impl axum::body::HttpBody for Stalled {
    type Data = axum::body::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        match self.0.take() {
            Some(bytes) => std::task::Poll::Ready(Some(Ok(http_body::Frame::data(bytes)))),
            None => std::task::Poll::Pending,
        }
    }
}

#[tokio::test]
async fn a_trickled_body_holds_no_place_at_the_gate_and_gets_the_took_too_long_page() {
    let gate = Arc::new(ier_ops::Gate::new(1, Duration::from_millis(20)));
    let c = Client::with_gate(gate.clone()).await;
    let stalled = || {
        axum::http::Request::builder()
            .method("POST")
            .uri("/register-to-vote/status?lang=cy")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(axum::body::Body::new(Stalled(Some(axum::body::Bytes::from_static(b"reference=AB")))))
            .unwrap()
    };
    // Ten clients trickling bodies at once, on an app with one place.
    let mut slow = Vec::new();
    for _ in 0..10 {
        let app = c.app.clone();
        slow.push(tokio::spawn(ier_ops::listener::with_body_deadline(app, stalled(), Duration::from_millis(500))));
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Everyone else is still answered: the one place is free.
    assert_eq!(c.clone_app().get("/register-to-vote/status").await.status, StatusCode::OK);
    for t in slow {
        let res = t.await.unwrap();
        assert_eq!(res.status(), StatusCode::REQUEST_TIMEOUT);
        assert_eq!(res.headers()[header::CONNECTION], "close");
        let body = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
        let body = String::from_utf8_lossy(&body);
        assert!(body.contains("cymerodd yr hyn a anfonoch ormod o amser"), "{body}");
    }
}
