//! The web tier's own cost of a journey, without TCP or a database write:
//! the requests of the load test's ordinary journey (the `ordinary-quick` walk
//! of `data/walks.json`) up to and including the check-answers page (every
//! step's GET and POST, CSRF tokens, sealed cookies, postcode look-up and
//! address pick), sent in-process through the public router, many times over
//! on one thread. Submission is left out: its cost is the database's, measured
//! by `cargo xtask loadtest`.
//!
//! `cargo bench -p ier-citizen-web --bench pages` (`IER_BENCH_JOURNEYS`, default 2,000).
//! Under `valgrind --tool=callgrind` its instruction count is repeatable, so
//! a change to rendering can be measured on a busy machine.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Instant;

use support::{Client, Walk};

/// Postcodes in three nations, taken in turn (the persona's `postcode` and `nation`).
const PLACES: [(&str, &str); 3] = [("CF10 1EP", "wales"), ("SW1A 1AA", "england"), ("EH1 1YZ", "scotland")];

/// One journey, as `xtask`'s load generator walks it (`steps`: the walk prepared once);
/// returns the requests sent and the bytes of HTML served.
async fn journey(
    c: &mut Client,
    start: &str,
    steps: &[(String, String, Vec<(String, String)>)],
    i: usize,
) -> (usize, usize) {
    c.cookies.clear();
    let r = c.get(start).await;
    assert_eq!(r.status, 303);
    let mut page = c.get(r.location()).await;
    assert_eq!(page.status, 200, "GET {}", r.location());
    let mut bytes = page.body.len();
    let mut requests = 2;
    let t = page.csrf();
    // Each journey from its own address, as through a load balancer (the postcode look-up is rate-limited by address).
    let ip = format!("10.{}.{}.{}", i >> 16 & 255, i >> 8 & 255, i & 255);
    for (path, next, form) in steps {
        let mut fields = vec![("csrf_token", t.as_str())];
        let firsts: Vec<(&str, String)> = form
            .iter()
            .filter(|(_, v)| v == "@first")
            .map(|(k, _)| (k.as_str(), support::first_option(&page.body, k).to_owned()))
            .collect();
        fields.extend(form.iter().filter(|(_, v)| v != "@first").map(|(k, v)| (k.as_str(), v.as_str())));
        fields.extend(firsts.iter().map(|(k, v)| (*k, v.as_str())));
        let r = c.post_with(path, &fields, &[("x-forwarded-for", &ip)]).await;
        assert_eq!(r.location(), next, "POST {path}: {}", r.status);
        page = c.get(next).await;
        assert_eq!(page.status, 200, "GET {next}");
        bytes += page.body.len();
        requests += 2;
    }
    (requests, bytes)
}

fn main() {
    let n: usize = std::env::var("IER_BENCH_JOURNEYS").ok().and_then(|v| v.parse().ok()).unwrap_or(2_000);
    let walks = PLACES.map(|(postcode, nation)| {
        let walk = Walk::named("ordinary-quick").with_persona("postcode", postcode).with_persona("nation", nation);
        (walk.start_path(), walk.prepared())
    });
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let mut c = Client::https().await;
        // Warm up: templates compiled, reference data loaded.
        let (requests, bytes) = journey(&mut c, &walks[0].0, &walks[0].1, 0).await;
        let started = Instant::now();
        for i in 0..n {
            let (start, steps) = &walks[i % 3];
            journey(&mut c, start, steps, i).await;
        }
        let took = started.elapsed();
        let per = took.as_secs_f64() * 1e6 / n as f64;
        println!(
            "{n} journeys ({requests} requests each, to check answers): {per:.1} µs a journey, {:.1} µs a request, {bytes} bytes of HTML a journey",
            per / requests as f64,
        );
    });
}
