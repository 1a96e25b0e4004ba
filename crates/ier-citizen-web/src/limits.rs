//! Per-client rate limits on the expensive or abusable actions: postcode
//! look-ups, submissions, status lookups, look-ups in the person index and feedback. Over the limit, the client gets 429 with a
//! `Retry-After` and a page that says what to do; nothing they entered is lost.
//!
//! Token buckets per client address, in memory. With several web instances
//! behind a load balancer each enforces its own share, which is enough to
//! stop a flood from one source; the limits are generous because many
//! applicants can share one address (a university or office NAT on deadline
//! day). The client address is the TCP peer, or, behind a load balancer named
//! in `IER_TRUSTED_PROXIES`, the right-most `X-Forwarded-For` entry that is not
//! a trusted proxy ([`ier_ops::proxies`]); an IPv6 client counts by its /64.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

const X_FORWARDED_FOR: axum::http::HeaderName = axum::http::HeaderName::from_static("x-forwarded-for");

/// What is being limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    PostcodeLookup,
    Submission,
    /// "Check your application": each lookup is a guess at a reference and a date of birth.
    StatusLookup,
    /// A look-up in the person index: the repeat check on "Check your answers", and "Am I registered?".
    PersonLookup,
    /// Feedback sent with the feedback form (each one stored).
    Feedback,
    /// A password or code sent to the ERO portal's sign-in (each one a guess).
    StaffSignIn,
    /// Evidence sent through an applicant's link (each one a guess at a link, or files stored).
    Evidence,
}

/// A bucket's size and refill rate.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub burst: f64,
    pub per_second: f64,
}

impl Action {
    fn default_limit(self) -> Limit {
        match self {
            // 120 look-ups at once, then one a second.
            Action::PostcodeLookup => Limit { burst: 120.0, per_second: 1.0 },
            // 60 submissions at once, then one every 10 seconds.
            Action::Submission => Limit { burst: 60.0, per_second: 0.1 },
            // 30 lookups at once, then one every 20 seconds.
            Action::StatusLookup => Limit { burst: 30.0, per_second: 0.05 },
            // 30 at once, then one every 10 seconds (a journey makes one or two).
            Action::PersonLookup => Limit { burst: 30.0, per_second: 0.1 },
            // 20 at once, then one a minute: people behind one address may all send feedback.
            Action::Feedback => Limit { burst: 20.0, per_second: 1.0 / 60.0 },
            // 20 at once (an office behind one address), then one every 6 seconds; accounts
            // lock after five wrong tries in a row besides.
            Action::StaffSignIn => Limit { burst: 20.0, per_second: 1.0 / 6.0 },
            // 20 at once, then one every 10 seconds.
            Action::Evidence => Limit { burst: 20.0, per_second: 0.1 },
        }
    }
}

struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// The limiter shared by the handlers.
pub struct Limiter {
    limits: HashMap<Action, Limit>,
    buckets: Mutex<HashMap<(Action, IpAddr), Bucket>>,
    /// Whose `X-Forwarded-For` is believed ([`ier_ops::proxies`]).
    proxies: ier_ops::TrustedProxies,
}

impl Limiter {
    /// `proxies`: the load balancers whose `X-Forwarded-For` names the client (none: the connection's address).
    pub fn new(proxies: ier_ops::TrustedProxies) -> Self {
        let limits = [
            Action::PostcodeLookup,
            Action::Submission,
            Action::StatusLookup,
            Action::PersonLookup,
            Action::Feedback,
            Action::StaffSignIn,
            Action::Evidence,
        ]
        .into_iter()
        .map(|a| (a, a.default_limit()))
        .collect();
        Self { limits, buckets: Mutex::new(HashMap::new()), proxies }
    }

    /// Override one limit (tests, or operators tuning for an event).
    pub fn with_limit(mut self, action: Action, limit: Limit) -> Self {
        self.limits.insert(action, limit);
        self
    }

    /// Take one token; `Err(wait)` says how long until the next is free.
    pub fn check(&self, action: Action, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let limit = self.limits[&action];
        let mut buckets = self.buckets.lock().expect("limiter lock");
        // Keep the table bounded: forget full buckets now and then.
        if buckets.len() > 100_000 {
            buckets.retain(|(a, _), b| {
                let l = self.limits[a];
                b.tokens + now.duration_since(b.updated).as_secs_f64() * l.per_second < l.burst
            });
        }
        let bucket = buckets.entry((action, client)).or_insert(Bucket { tokens: limit.burst, updated: now });
        bucket.tokens =
            (bucket.tokens + now.duration_since(bucket.updated).as_secs_f64() * limit.per_second).min(limit.burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(((1.0 - bucket.tokens) / limit.per_second).ceil().max(1.0)))
        }
    }

    /// The key the limits count this request's client under: the client
    /// behind any trusted proxies ([`ier_ops::TrustedProxies::client`]), an
    /// IPv6 client by its /64.
    pub fn client(&self, parts: &Parts) -> IpAddr {
        let peer =
            parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()).unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let forwarded = parts.headers.get(&X_FORWARDED_FOR).and_then(|v| v.to_str().ok());
        ier_ops::limit_key(self.proxies.client(peer, forwarded))
    }
}

/// The client's address, as the limiter sees it.
#[derive(Debug, Clone, Copy)]
pub struct Client(pub IpAddr);

impl FromRequestParts<std::sync::Arc<crate::AppState>> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &std::sync::Arc<crate::AppState>,
    ) -> Result<Self, Self::Rejection> {
        Ok(Client(state.limiter.client(parts)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_empty_and_refill() {
        let l = Limiter::new(ier_ops::TrustedProxies::none())
            .with_limit(Action::Submission, Limit { burst: 3.0, per_second: 0.5 });
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(l.check(Action::Submission, ip, t0).is_ok());
        }
        assert_eq!(l.check(Action::Submission, ip, t0), Err(Duration::from_secs(2)));
        assert!(l.check(Action::Submission, other, t0).is_ok(), "per client");
        assert!(l.check(Action::PostcodeLookup, ip, t0).is_ok(), "per action");
        assert!(l.check(Action::Submission, ip, t0 + Duration::from_secs(2)).is_ok(), "refilled");
    }

    fn parts(peer: &str, forwarded: Option<&str>) -> Parts {
        let mut req = axum::http::Request::get("/");
        if let Some(f) = forwarded {
            req = req.header("x-forwarded-for", f);
        }
        let (mut parts, _) = req.body(()).unwrap().into_parts();
        let peer = SocketAddr::new(peer.parse().unwrap(), 40000);
        parts.extensions.insert(ConnectInfo(peer));
        parts
    }

    /// Issue 20, finding 2: a client that sends a new X-Forwarded-For each time is still one client.
    #[test]
    fn a_forged_forwarded_for_changes_nothing_and_a_trusted_one_names_the_client() {
        let proxies = ier_ops::TrustedProxies::parse("10.0.0.0/8").unwrap();
        let l = Limiter::new(proxies).with_limit(Action::Submission, Limit { burst: 3.0, per_second: 0.001 });
        let t0 = Instant::now();
        let mut refused = 0;
        for i in 0..10 {
            let client = l.client(&parts("203.0.113.9", Some(&format!("198.51.100.{i}"))));
            assert_eq!(client, "203.0.113.9".parse::<IpAddr>().unwrap());
            refused += usize::from(l.check(Action::Submission, client, t0).is_err());
        }
        assert_eq!(refused, 7, "limited as one client");
        // Behind the trusted load balancer, the address it appends is the client.
        let behind = l.client(&parts("10.0.0.5", Some("1.2.3.4, 198.51.100.7")));
        assert_eq!(behind, "198.51.100.7".parse::<IpAddr>().unwrap());
        // IPv6 clients by their /64.
        let a = l.client(&parts("2001:db8:1:2::1", None));
        let b = l.client(&parts("2001:db8:1:2:ffff::9", None));
        assert_eq!(a, b);
    }
}
