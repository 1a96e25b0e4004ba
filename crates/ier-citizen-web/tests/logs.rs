//! What the public site logs while a whole application is made: an access
//! line per request with its request id and route template, the submission
//! with its reference, and nothing the applicant typed.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use support::Client;

/// A writer into a shared buffer, for the JSON log lines.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Answer each step in turn; each must move on.
async fn post_steps(c: &mut Client, csrf: &str, steps: &[(&str, &[(&str, &str)])]) {
    for (path, fields) in steps {
        let mut form = vec![("csrf_token", csrf)];
        form.extend_from_slice(fields);
        let r = c.post(path, &form).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{path}: {}", r.body);
    }
}

#[tokio::test]
async fn a_whole_application_logs_requests_and_its_reference_but_nothing_personal() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || writer.clone())
        .finish();
    // The test runs on one thread, so the subscriber sees every request.
    let _guard = tracing::subscriber::set_default(subscriber);

    let mut c = Client::new().await;
    c.get("/register-to-vote/start").await;
    let csrf = c.get("/register-to-vote/country-of-residence").await.csrf();
    let steps: &[(&str, &[(&str, &str)])] = &[
        ("/register-to-vote/country-of-residence", &[("country", "wales")]),
        ("/register-to-vote/nationality", &[("nationality", "british")]),
        ("/register-to-vote/date-of-birth", &[("dob-day", "17"), ("dob-month", "3"), ("dob-year", "1987")]),
        ("/register-to-vote/name", &[("given-name", "Zebedee"), ("surname", "Quixotic-Vanstone")]),
        ("/register-to-vote/previous-name", &[("answer", "no")]),
        ("/register-to-vote/nino", &[("nino", "SN425918B")]),
        ("/register-to-vote/address", &[("postcode", "CF10 1EP")]),
    ];
    post_steps(&mut c, &csrf, steps).await;
    let page = c.get("/register-to-vote/address/select").await.body;
    let uprn = page.split(r#"name="uprn" type="radio" value=""#).nth(1).unwrap().split('"').next().unwrap().to_owned();
    let rest: &[(&str, &[(&str, &str)])] = &[
        ("/register-to-vote/address/select", &[("uprn", &uprn)]),
        ("/register-to-vote/other-address", &[("answer", "student")]),
        (
            "/register-to-vote/moved",
            &[
                ("answer", "from-uk"),
                ("moved-line-1", "4 Park Row"),
                ("moved-town", "Leeds"),
                ("moved-postcode", "LS1 5HD"),
            ],
        ),
        ("/register-to-vote/open-register", &[("answer", "no")]),
        ("/register-to-vote/postal-vote", &[("answer", "form-by-email"), ("postal-vote-email", "zeb@example.com")]),
        ("/register-to-vote/contact", &[("contact", "email"), ("email", "zeb@example.com")]),
        ("/register-to-vote/check-answers", &[("declaration", "agreed")]),
    ];
    post_steps(&mut c, &csrf, rest).await;
    let done = c.get("/register-to-vote/complete").await.body;
    let reference = done.split("<strong>").nth(1).unwrap().split("</strong>").next().unwrap().replace(' ', "");
    c.get("/find-your-council?postcode=CF10+1EP").await;

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<serde_json::Value> = logs.lines().map(|l| serde_json::from_str(l).expect("JSON lines")).collect();
    let access: Vec<&serde_json::Value> = lines.iter().filter(|l| l["target"] == "ier::access").collect();
    assert_eq!(access.len(), 19, "one access line per request: {logs}");
    for line in &access {
        let span = &line["span"];
        assert!(span["id"].as_str().is_some_and(|id| uuid::Uuid::parse_str(id).is_ok()), "{line}");
        assert!(span["route"].as_str().is_some_and(|r| r.starts_with('/')), "{line}");
        assert!(line["fields"]["status"].is_number(), "{line}");
    }
    assert!(logs.contains(r#""route":"/register-to-vote/address/select""#));
    // The submission is logged with its reference, inside its request's span.
    let submitted = lines.iter().find(|l| l["fields"]["message"] == "application submitted").expect("logged");
    assert_eq!(submitted["fields"]["reference"].as_str().map(|r| r.replace(' ', "")), Some(reference.clone()));
    assert_eq!(submitted["span"]["route"], "/register-to-vote/check-answers");
    // Nothing the applicant typed.
    for personal in [
        "Zebedee",
        "Quixotic",
        "Vanstone",
        "1987",
        "SN425918B",
        "SN 42",
        "CF10",
        "1EP",
        "Park Row",
        "Leeds",
        "LS1",
        "zeb@",
        &uprn,
    ] {
        assert!(!logs.contains(personal), "{personal} in the logs:\n{logs}");
    }
}
