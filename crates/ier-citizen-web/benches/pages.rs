//! The web tier's own cost of a journey, without TCP or a database write:
//! the 28 requests of the load test's ordinary journey up to and including
//! the check-answers page (every step's GET and POST, CSRF tokens, sealed
//! cookies, postcode look-up and address pick), sent in-process through the
//! public router, many times over on one thread. Submission is left out: its
//! cost is the database's, measured by `cargo xtask loadtest`.
//!
//! `cargo bench -p ier-citizen-web --bench pages` (`IER_BENCH_JOURNEYS`, default 2,000).
//! Under `valgrind --tool=callgrind` its instruction count is repeatable, so
//! a change to rendering can be measured on a busy machine.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Instant;

use support::{Client, Page};

async fn step(c: &mut Client, ip: &str, path: &str, fields: &[(&str, &str)], next: &str) -> Page {
    let r = c.post_with(path, fields, &[("x-forwarded-for", ip)]).await;
    assert_eq!(r.location(), next, "POST {path}: {}", r.status);
    let page = c.get(next).await;
    assert_eq!(page.status, 200, "GET {next}");
    page
}

/// One journey, as `xtask`'s load generator walks it; returns the requests sent and the bytes of HTML served.
async fn journey(c: &mut Client, i: usize) -> (usize, usize) {
    c.cookies.clear();
    let start = c.get("/register-to-vote/start").await;
    assert_eq!(start.status, 303);
    let first = c.get("/register-to-vote/country-of-residence").await;
    let mut bytes = first.body.len();
    let mut requests = 2;
    let t = first.csrf();
    let t = t.as_str();
    let (postcode, nation) = [("CF10 1EP", "wales"), ("SW1A 1AA", "england"), ("EH1 1YZ", "scotland")][i % 3];
    let p = "/register-to-vote/";
    // Each journey from its own address, as through a load balancer (the postcode look-up is rate-limited by address).
    let ip = format!("10.{}.{}.{}", i >> 16 & 255, i >> 8 & 255, i & 255);
    let mut go = async |from: &str, fields: &[(&str, &str)], to: &str| {
        let page = step(c, &ip, &format!("{p}{from}"), fields, &format!("{p}{to}")).await;
        bytes += page.body.len();
        requests += 2;
        page
    };
    go("country-of-residence", &[("csrf_token", t), ("country", nation)], "nationality").await;
    go("nationality", &[("csrf_token", t), ("nationality", "british")], "date-of-birth").await;
    go("date-of-birth", &[("csrf_token", t), ("dob-day", "2"), ("dob-month", "9"), ("dob-year", "1990")], "name").await;
    go(
        "name",
        &[("csrf_token", t), ("given-name", "Amelia"), ("middle-names", ""), ("surname", "Clarke")],
        "previous-name",
    )
    .await;
    go("previous-name", &[("csrf_token", t), ("answer", "no")], "nino").await;
    go("nino", &[("csrf_token", t), ("nino", "SN425918B"), ("nino-reason", "")], "address").await;
    let select = go("address", &[("csrf_token", t), ("postcode", postcode)], "address/select").await;
    let uprn = select.body.split(r#"name="uprn" type="radio" value=""#).nth(1).unwrap().split('"').next().unwrap();
    let uprn = uprn.to_owned();
    go("address/select", &[("csrf_token", t), ("uprn", &uprn)], "other-address").await;
    go("other-address", &[("csrf_token", t), ("answer", "none")], "moved").await;
    go("moved", &[("csrf_token", t), ("answer", "no")], "open-register").await;
    go("open-register", &[("csrf_token", t), ("answer", "no")], "postal-vote").await;
    go("postal-vote", &[("csrf_token", t), ("answer", "in-person")], "contact").await;
    go("contact", &[("csrf_token", t), ("contact", "post")], "check-answers").await;
    (requests, bytes)
}

fn main() {
    let n: usize = std::env::var("IER_BENCH_JOURNEYS").ok().and_then(|v| v.parse().ok()).unwrap_or(2_000);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let mut c = Client::https().await;
        // Warm up: templates compiled, reference data loaded.
        let (requests, bytes) = journey(&mut c, 0).await;
        let started = Instant::now();
        for i in 0..n {
            journey(&mut c, i).await;
        }
        let took = started.elapsed();
        let per = took.as_secs_f64() * 1e6 / n as f64;
        println!(
            "{n} journeys ({requests} requests each, to check answers): {per:.1} µs a journey, {:.1} µs a request, {bytes} bytes of HTML a journey",
            per / requests as f64,
        );
    });
}
