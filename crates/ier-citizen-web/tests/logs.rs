//! What the public site logs while a whole application is made: an access
//! line per request with its request id and route template, the submission
//! with its reference, and nothing the applicant typed.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use support::{Client, Walk};

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
    let walk = Walk::named("ordinary");
    let walked = walk.walk(&mut c, "en").await;
    let reference = walked.reference.to_string();
    c.get("/find-your-council?postcode=CF10+1EP").await;
    let uprn = walked
        .pages
        .iter()
        .find(|(name, _)| name == "address-select")
        .map(|(_, p)| {
            p.body.split(r#"name="uprn" type="radio" value=""#).nth(1).unwrap().split('"').next().unwrap().to_owned()
        })
        .unwrap();

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<serde_json::Value> = logs.lines().map(|l| serde_json::from_str(l).expect("JSON lines")).collect();
    let access: Vec<&serde_json::Value> = lines.iter().filter(|l| l["target"] == "ier::access").collect();
    assert_eq!(access.len(), c.requests, "one access line per request: {logs}");
    for line in &access {
        let span = &line["span"];
        assert!(span["id"].as_str().is_some_and(|id| uuid::Uuid::parse_str(id).is_ok()), "{line}");
        assert!(span["route"].as_str().is_some_and(|r| r.starts_with('/')), "{line}");
        assert!(line["fields"]["status"].is_number(), "{line}");
    }
    assert!(logs.contains(r#""route":"/register-to-vote/address/select""#));
    // The submission is logged with its reference, inside its request's span.
    let submitted = lines.iter().find(|l| l["fields"]["message"] == "application submitted").expect("logged");
    assert_eq!(submitted["fields"]["reference"].as_str(), Some(reference.as_str()));
    assert_eq!(submitted["span"]["route"], "/register-to-vote/check-answers");
    // Nothing the applicant typed, in anything logged: every value and key but the random ones
    // (timestamps, request ids and durations, where "1990" turns up by chance).
    fn texts(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) => out.push(s.clone()),
            serde_json::Value::Number(n) => out.push(n.to_string()),
            serde_json::Value::Array(a) => a.iter().for_each(|v| texts(v, out)),
            serde_json::Value::Object(o) => {
                for (k, v) in o {
                    out.push(k.clone());
                    if !["timestamp", "id", "ms"].contains(&k.as_str()) {
                        texts(v, out);
                    }
                }
            }
            serde_json::Value::Bool(_) | serde_json::Value::Null => {}
        }
    }
    let mut logged = Vec::new();
    lines.iter().for_each(|l| texts(l, &mut logged));
    let logged = logged.join("\n");
    for personal in
        ["Siân", "Sia", "Llewellyn", "1990", "SN425918B", "SN 42", "CF10", "1EP", "LS1", "5HD", "sian@", &uprn]
    {
        assert!(!logged.contains(personal), "{personal} in the logs:\n{logs}");
    }
}
