//! The demo through HTTP: linked from the start page; every journey walked by
//! "Fill in a made-up person" and sent, in English and Welsh, ends on the
//! complete page with a demo reference, a banner on every page, and every
//! table of the database unchanged; the same rules as the real journeys.

mod support;

use axum::http::StatusCode;
use support::Client;

#[tokio::test]
async fn the_start_page_offers_the_demo_and_the_demo_offers_every_journey() {
    let mut c = Client::new().await;
    assert!(c.get("/").await.body.contains("Try the service without applying"));
    let demo = c.get("/demo").await;
    let body = demo.body.replace("&#x2f;", "/");
    assert_eq!(demo.status, StatusCode::OK);
    for kind in ["ordinary", "overseas", "forces", "crown"] {
        assert!(body.contains(&format!("/demo/{kind}/fill")), "{kind}");
        assert!(body.contains(&format!("/demo/{kind}/start")), "{kind}");
    }
    assert!(c.get("/demo?lang=cy").await.body.contains("Rhoi cynnig ar y gwasanaeth heb wneud cais"));
    assert_eq!(c.get("/demo/nonsense/fill").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demo_journey_of_every_kind_stores_sends_and_counts_nothing() {
    let mut c = Client::new().await;
    let before = c.db.table_counts().await.unwrap();
    let stored_before = ier_ops::metrics().submission("stored").get();
    for (kind, lang, prefix) in [
        ("ordinary", "en", "/register-to-vote"),
        ("overseas", "cy", "/register-to-vote/overseas"),
        ("forces", "en", "/register-to-vote/forces"),
        ("crown", "cy", "/register-to-vote/crown"),
    ] {
        c.cookies.clear();
        c.get(&format!("/?lang={lang}")).await;
        let r = c.get(&format!("/demo/{kind}/fill")).await;
        assert_eq!(r.location(), format!("{prefix}/check-answers"), "{kind}: every question answered");
        let check = c.get(&format!("{prefix}/check-answers")).await;
        assert_eq!(check.status, StatusCode::OK);
        let banner = if lang == "cy" { "Demo yw hwn" } else { "This is a demo" };
        assert!(check.body.contains(banner), "{kind}: the banner on every page");
        let csrf = check.csrf();
        let sent =
            c.post(&format!("{prefix}/check-answers"), &[("csrf_token", &csrf), ("declaration", "agreed")]).await;
        assert_eq!(sent.location(), format!("{prefix}/complete"), "{kind}");
        let done = c.get(&format!("{prefix}/complete")).await;
        assert!(done.body.contains(banner), "{kind}");
        let grouped = done.body.split("<strong>").nth(1).unwrap().split("</strong>").next().unwrap().to_owned();
        assert!(ier_domain::ReferenceNumber::parse(&grouped).is_ok(), "{kind}: a demo reference");
    }
    assert_eq!(c.db.table_counts().await.unwrap(), before, "no table changed");
    assert_eq!(ier_ops::metrics().submission("stored").get(), stored_before, "no figure counted");
}

#[tokio::test]
async fn a_demo_journey_has_the_real_rules() {
    let mut c = Client::new().await;
    let r = c.get("/demo/ordinary/start").await;
    assert_eq!(r.location(), "/register-to-vote/country-of-residence");
    let page = c.get("/register-to-vote/country-of-residence").await;
    assert!(page.body.contains("This is a demo"));
    let csrf = page.csrf();
    let refused = c.post("/register-to-vote/country-of-residence", &[("csrf_token", &csrf)]).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("Select where you live") && refused.body.contains("This is a demo"));
    // A real journey started afterwards is not a demo.
    c.get("/register-to-vote/start").await;
    let real = c.get("/register-to-vote/country-of-residence").await;
    assert!(!real.body.contains("This is a demo"));
}

#[tokio::test]
async fn the_demo_says_it_would_end_an_application_under_way() {
    let mut c = Client::new().await;
    c.get("/register-to-vote/start").await;
    let csrf = c.get("/register-to-vote/country-of-residence").await.csrf();
    c.post("/register-to-vote/country-of-residence", &[("csrf_token", &csrf), ("country", "wales")]).await;
    let demo = c.get("/demo").await;
    assert!(demo.body.contains("Starting the demo ends it"), "{}", demo.body);
    assert!(demo.body.contains("Continue your application instead"));
    let fresh = Client::new().await.get("/demo").await;
    assert!(!fresh.body.contains("Starting the demo ends it"));

    // A link from anywhere (another site's, say) does not end it: back to the demo page.
    assert_eq!(c.get("/demo/ordinary/fill").await.location(), "/demo");
    assert_eq!(c.post("/demo/ordinary/start", &[("csrf_token", "forged")]).await.location(), "/demo");
    let kept = c.get("/register-to-vote/nationality").await;
    assert_eq!(kept.status, StatusCode::OK, "the application is still there");
    // The demo page's own form does, on purpose.
    let demo = c.get("/demo").await;
    let r = c.post("/demo/ordinary/fill", &[("csrf_token", &demo.csrf())]).await;
    assert_eq!(r.location(), "/register-to-vote/check-answers");
    assert!(c.get("/register-to-vote/check-answers").await.body.contains("This is a demo"));
}
