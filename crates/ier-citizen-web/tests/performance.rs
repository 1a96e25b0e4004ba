//! The public performance page and open data through HTTP: a journey walked
//! shows in the figures (English and Welsh, charts with their tables), small
//! counts are published as "fewer than 10", the open data files are CSV and
//! JSON with a licence and ETags, the councils and EROs are open registers
//! with the contact details operators load (which the complete page shows),
//! and nothing personal is published anywhere.

mod support;

use axum::http::StatusCode;
use chrono::Utc;
use ier_domain::{EroContact, EroId};
use ier_storage::performance::{CountRow, Measure};
use support::{Client, Walk};

/// Add what the app counted in memory, and forget the figures it worked out.
async fn settle(c: &Client) {
    ier_citizen_web::performance::flush(&c.state.citizen, &c.state.tallies).await;
    c.state.figures.clear();
}

#[tokio::test]
async fn a_journey_shows_in_the_figures_in_both_languages() {
    let mut c = Client::new().await;
    let empty = c.get("/performance").await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.body);
    assert!(empty.body.contains("No applications yet"));
    let walk = Walk::named("ordinary");
    let walked = walk.walk(&mut c, "en").await;
    settle(&c).await;
    let page = c.get("/performance").await;
    assert_eq!(page.status, StatusCode::OK);
    let b = &page.body;
    assert!(b.contains(r#"<strong id="applications-today">1</strong>"#), "{b}");
    // Every chart is an accessible image with a title and a description, and has its table.
    assert_eq!(b.matches(r#"class="ier-chart""#).count(), 7, "hourly, daily, 4 breakdowns, messages");
    for id in ["hourly", "daily", "by-nation", "by-age", "by-kind", "by-language", "notifications"] {
        assert!(b.contains(&format!(r#"aria-labelledby="{id}-title {id}-desc""#)), "{id}");
    }
    assert!(b.matches("<table class=\"govuk-table\">").count() >= 8);
    // This hour's one application is too few to publish; the day's is not an hour's.
    assert!(b.contains("fewer than 10"));
    assert!(b.contains("The record so far is 1 applications"));
    assert!(b.contains("<th scope=\"row\" class=\"govuk-table__header\">Wales</th>\n      <td class=\"govuk-table__cell govuk-table__cell--numeric\">1</td>"));
    assert!(!b.contains(&walked.reference.grouped()) && !b.contains(walked.reference.as_str()));
    assert!(!b.contains(&walk.fill("{surname}")), "no personal data");
    let cy = c.get("/performance?lang=cy").await;
    assert_eq!(cy.status, StatusCode::OK);
    assert!(cy.body.contains("Ceisiadau heddiw") && cy.body.contains("llai na 10") && cy.body.contains("Cymru"));
    assert!(cy.body.contains(r#"lang="cy""#));
    // The figures' inputs: the journey was started once and sent once.
    let f = c.state.citizen.figures(Utc::now()).await.unwrap();
    assert_eq!((f.journeys_started, f.journeys_completed), (1, 1));
    assert!(f.requests > 10, "page requests are counted for availability");
    assert_eq!(f.server_errors, 0);
}

#[tokio::test]
async fn small_counts_for_an_hour_or_a_council_are_not_published() {
    let mut c = Client::new().await;
    let now = Utc::now();
    let row = |measure: Measure, category: &str, count, at| CountRow {
        period: measure.period(at),
        measure,
        category: category.into(),
        count,
    };
    let earlier = now - chrono::Duration::hours(3);
    c.state
        .citizen
        .add_counts(&[
            row(Measure::Applications, "", 9, now),
            row(Measure::Applications, "", 12, earlier),
            row(Measure::Council, "W06000015", 9, now),
            row(Measure::Council, "E09000033", 10, now),
        ])
        .await
        .unwrap();
    settle(&c).await;
    let page = c.get("/performance").await;
    let cell = |label: &str, value: &str| {
        format!(
            "<th scope=\"row\" class=\"govuk-table__header\">{label}</th>\n      <td class=\"govuk-table__cell govuk-table__cell--numeric\">{value}</td>"
        )
    };
    assert!(page.body.contains(&cell("Cardiff", "fewer than 10")), "{}", page.body);
    assert!(page.body.contains(&cell("Westminster", "10")));
    let hourly = c.get("/performance/data/applications-by-hour.json").await;
    let json: serde_json::Value = serde_json::from_str(&hourly.body).unwrap();
    let records = json["records"].as_array().unwrap();
    assert_eq!(records.len(), 48);
    let last = &records[47];
    assert_eq!((last["applications"].is_null(), last["suppressed"].as_bool()), (true, Some(true)));
    assert_eq!(records[44]["applications"], 12);
    let councils = c.get("/performance/data/applications-by-council.csv").await;
    assert!(councils.body.starts_with("gss_code,name,from,to,applications,suppressed\n"));
    assert!(councils.body.contains("W06000015,Cardiff,") && councils.body.contains(",,true\n"));
    assert!(councils.body.contains("E09000033,Westminster,") && councils.body.contains(",10,false\n"));
    assert_eq!(councils.body.lines().count(), 1 + 350, "every council, one line each");
}

#[tokio::test]
async fn open_data_files_are_csv_and_json_with_a_licence_and_etags() {
    let mut c = Client::new().await;
    Walk::named("ordinary").walk(&mut c, "cy").await;
    settle(&c).await;
    for name in ier_citizen_web::performance::open_data::FILES {
        let json = c.get(&format!("/performance/data/{name}.json")).await;
        assert_eq!(json.status, StatusCode::OK, "{name}");
        assert_eq!(json.headers["content-type"], "application/json");
        let v: serde_json::Value = serde_json::from_str(&json.body).unwrap();
        assert_eq!(v["licence"], "Open Government Licence v3.0");
        assert!(v["records"].is_array() && v["generated_at"].is_string());
        let csv = c.get(&format!("/performance/data/{name}.csv")).await;
        assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
        assert!(csv.headers["cache-control"].to_str().unwrap().starts_with("public, max-age="));
        assert_eq!(csv.headers["access-control-allow-origin"], "*");
        let etag = csv.headers["etag"].to_str().unwrap().to_owned();
        let again = c.get_with(&format!("/performance/data/{name}.csv"), &[("if-none-match", &etag)]).await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{name}");
        assert!(again.body.is_empty());
        let other = c.get_with(&format!("/performance/data/{name}.csv"), &[("if-none-match", "\"stale\"")]).await;
        assert_eq!(other.status, StatusCode::OK);
    }
    let by_category = c.get("/performance/data/figures-by-category.csv").await;
    assert!(by_category.body.starts_with("date,measure,category,count\n"));
    assert!(by_category.body.contains(",language,cy,1\n"), "{}", by_category.body);
    assert!(by_category.body.contains(",journeys-started,,1\n"));
    for bad in
        ["/performance/data/nothing.csv", "/performance/data/applications-by-day.xml", "/performance/data/..%2f.csv"]
    {
        assert_eq!(c.get(bad).await.status, StatusCode::NOT_FOUND, "{bad}");
    }
    let docs = c.get("/performance/data?lang=cy").await;
    assert_eq!(docs.status, StatusCode::OK);
    assert!(
        docs.body.contains("Drwydded Llywodraeth Agored")
            && docs.body.contains("/performance/data/applications-by-day.csv")
    );
}

#[tokio::test]
async fn councils_and_eros_are_open_registers_with_the_contacts_operators_load() {
    let mut c = Client::new().await;
    let councils = c.get("/api/councils").await;
    let v: serde_json::Value = serde_json::from_str(&councils.body).unwrap();
    let records = v["records"].as_array().unwrap();
    assert_eq!(records.len(), 350);
    let cardiff = records.iter().find(|r| r["gss_code"] == "W06000015").unwrap();
    assert_eq!((cardiff["name_cy"].as_str(), cardiff["nation"].as_str()), (Some("Caerdydd"), Some("wales")));
    let csv = c.get("/api/councils.csv").await;
    assert!(csv.body.starts_with("gss_code,name,name_cy,nation,ero_id\n") && csv.body.lines().count() == 351);

    // Before any are loaded, no ERO has contact details; the complete page points to GOV.UK's finder.
    let eros = c.get("/api/eros").await;
    let v: serde_json::Value = serde_json::from_str(&eros.body).unwrap();
    assert!(v["records"].as_array().unwrap().iter().all(|r| r["email"].is_null()));
    let contact = EroContact {
        email: Some("electoral.services@cardiff.example".into()),
        phone: Some("01632 960123".into()),
        website: Some("https://cardiff.example/vote".into()),
        address: Some("Electoral Services, City Hall".into()),
    };
    c.store.backend().put_ero_contacts(&[(EroId::parse("cardiff").unwrap(), contact)]).await.unwrap();
    c.state.refresh_eros().await;
    let eros = c.get("/api/eros.csv").await;
    assert!(eros.body.starts_with("ero_id,name,name_cy,gss_codes,email,phone,website,address\n"));
    assert!(eros.body.contains(
        "cardiff,Cardiff Council,Cyngor Caerdydd,W06000015,electoral.services@cardiff.example,01632 960123,https://cardiff.example/vote,\"Electoral Services, City Hall\"\n"
    ), "{}", eros.body);
    // The complete page names them, in both languages.
    let walk = Walk::named("ordinary");
    walk.walk(&mut c, "cy").await;
    let complete = c.get("/register-to-vote/complete?lang=cy").await;
    assert!(complete.body.contains("electoral.services@cardiff.example"), "{}", complete.body);
    assert!(complete.body.contains("01632 960123") && complete.body.contains("Electoral Services, City Hall"));
}

#[tokio::test]
async fn the_open_data_openapi_document_is_served_and_stable() {
    let mut c = Client::new().await;
    let doc = c.get("/api/openapi.json").await;
    assert_eq!(doc.status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&doc.body).unwrap();
    for path in ["/api/councils", "/api/eros", "/performance/today.json", "/performance/data/{file}"] {
        assert!(v["paths"][path].is_object(), "{path}");
    }
    insta::assert_snapshot!("open_data_openapi", doc.body);
}

#[tokio::test]
async fn repeat_applicants_told_before_sending_are_counted() {
    let mut c = Client::new().await;
    let walk = Walk::named("ordinary");
    walk.walk(&mut c, "en").await;
    // The same person again: "Check your answers" tells them they applied today; they send all the same.
    c.cookies.remove("ier-session");
    walk.walk(&mut c, "en").await;
    settle(&c).await;
    let f = c.state.citizen.figures(Utc::now()).await.unwrap();
    assert_eq!((f.repeat_notices, f.repeat_sent), (1, 1));
    assert_eq!(f.today_applications, 2);
}
