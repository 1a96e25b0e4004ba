//! Snapshots of rendered pages (the main content, where the page's own markup
//! lives), in English and Welsh: a change to any page's HTML shows up in review.
//! Random values (CSRF tokens, reference numbers) are redacted.

mod support;

use support::Client;

/// The `<main>` element of a page, with random values redacted.
fn main_of(body: &str) -> String {
    let start = body.find("<main").expect("a main element");
    let end = body.find("</main>").expect("a main element") + "</main>".len();
    body[start..end].to_owned()
}

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(r#"name="csrf_token" value="[^"]+""#, r#"name="csrf_token" value="[csrf]""#);
    s.add_filter(r"<strong>[2-9B-DF-HJ-NP-TV-Z]{5} [2-9B-DF-HJ-NP-TV-Z]{5}</strong>", "<strong>[reference]</strong>");
    s.add_filter(r#"value="9\d{11}""#, r#"value="[uprn]""#);
    s
}

#[tokio::test]
async fn pages_in_english_and_welsh() {
    for lang in ["en", "cy"] {
        let mut c = Client::new().await;
        c.get(&format!("/?lang={lang}")).await;
        let start = c.get("/").await.body;
        c.get("/register-to-vote/start").await;
        let country = c.get("/register-to-vote/country-of-residence").await;
        let csrf = country.csrf();
        let country_error = c.post("/register-to-vote/country-of-residence", &[("csrf_token", &csrf)]).await.body;
        c.post("/register-to-vote/country-of-residence", &[("csrf_token", &csrf), ("country", "wales")]).await;
        let nationality = c.get("/register-to-vote/nationality").await.body;
        c.post("/register-to-vote/nationality", &[("csrf_token", &csrf), ("nationality", "british")]).await;
        let dob_error = c
            .post(
                "/register-to-vote/date-of-birth",
                &[("csrf_token", &csrf), ("dob-day", "31"), ("dob-month", "2"), ("dob-year", "1990")],
            )
            .await
            .body;
        c.post(
            "/register-to-vote/date-of-birth",
            &[("csrf_token", &csrf), ("dob-day", "2"), ("dob-month", "9"), ("dob-year", "1990")],
        )
        .await;
        c.post("/register-to-vote/name", &[("csrf_token", &csrf), ("given-name", "Siân"), ("surname", "Llewellyn")])
            .await;
        c.post("/register-to-vote/previous-name", &[("csrf_token", &csrf), ("answer", "no")]).await;
        c.post("/register-to-vote/nino", &[("csrf_token", &csrf), ("nino", "SN425918B")]).await;
        c.post(
            "/register-to-vote/address/manual",
            &[
                ("csrf_token", &csrf),
                ("address-line-1", "1 Heol y Bont"),
                ("address-town", "Caerdydd"),
                ("postcode", "CF10 1EP"),
            ],
        )
        .await;
        let moved = c.get("/register-to-vote/moved").await.body;
        c.post("/register-to-vote/other-address", &[("csrf_token", &csrf), ("answer", "none")]).await;
        c.post("/register-to-vote/moved", &[("csrf_token", &csrf), ("answer", "no")]).await;
        c.post("/register-to-vote/open-register", &[("csrf_token", &csrf), ("answer", "no")]).await;
        c.post("/register-to-vote/postal-vote", &[("csrf_token", &csrf), ("answer", "in-person")]).await;
        c.post("/register-to-vote/contact", &[("csrf_token", &csrf), ("contact", "post")]).await;
        let check = c.get("/register-to-vote/check-answers").await.body;
        c.post("/register-to-vote/check-answers", &[("csrf_token", &csrf), ("declaration", "agreed")]).await;
        let complete = c.get("/register-to-vote/complete").await.body;
        settings().bind(|| {
            for (name, page) in [
                ("start", &start),
                ("country-error", &country_error),
                ("nationality", &nationality),
                ("date-of-birth-error", &dob_error),
                ("moved", &moved),
                ("check-answers", &check),
                ("complete", &complete),
            ] {
                insta::assert_snapshot!(format!("{name}-{lang}"), main_of(page));
            }
        });
    }
}
