//! The service's Prometheus metrics: one registry per process, shared by the
//! public site, the EMS API and the workers, rendered for `/metrics`.
//!
//! Labels are closed sets (tier, route template, method, status, stage,
//! outcome, component): never a reference number, a postcode or anything a
//! person typed, so a metric can never carry personal data and the number of
//! series stays bounded.

use std::sync::LazyLock;
use std::time::Duration;

use ier_domain::Stage;
use ier_storage::Counts;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Which listener served a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tier {
    /// The public site.
    Public,
    /// The EMS API (mutual TLS).
    Ems,
    /// The ERO portal (council staff).
    Portal,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Public => "public",
            Tier::Ems => "ems",
            Tier::Portal => "portal",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RequestLabels {
    tier: &'static str,
    route: String,
    method: String,
    status: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct LatencyLabels {
    tier: &'static str,
    route: String,
    method: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct TierLabels {
    tier: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct WhatLabels {
    what: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct StageLabels {
    stage: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct QueueLabels {
    queue: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct JobLabels {
    /// The job's kind (`verify`, `notify:acknowledgement`, ...): a closed set.
    kind: String,
    outcome: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ComponentLabels {
    component: &'static str,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// Latency buckets, in seconds: 1 ms to 10 s.
const LATENCY_BUCKETS: [f64; 14] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// Every metric of the process.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily<LatencyLabels>,
    in_flight: Family<TierLabels, Gauge>,
    shed: Family<TierLabels, Counter>,
    submissions: Family<OutcomeLabels, Counter>,
    verifications: Family<OutcomeLabels, Counter>,
    applications: Family<StageLabels, Gauge>,
    verification_queue: Gauge,
    ems_queue: Gauge,
    ems_receipts: Family<OutcomeLabels, Counter>,
    erased: Family<WhatLabels, Counter>,
    job_depth: Family<QueueLabels, Gauge>,
    job_oldest: Family<QueueLabels, Gauge>,
    job_failed: Family<QueueLabels, Gauge>,
    jobs: Family<JobLabels, Counter>,
    errors: Family<ComponentLabels, Counter>,
    resident_memory: Gauge,
    peak_resident_memory: Gauge,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    &METRICS
}

impl Metrics {
    fn new() -> Self {
        let mut registry = Registry::with_prefix("ier");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by tier, route template, method and status",
            requests.clone(),
        );
        let latency: HistogramFamily<LatencyLabels> = Family::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by tier, route template and method",
            latency.clone(),
        );
        let in_flight = Family::<TierLabels, Gauge>::default();
        registry.register("http_in_flight_requests", "HTTP requests being answered now", in_flight.clone());
        let shed = Family::<TierLabels, Counter>::default();
        registry.register("http_shed_requests", "Requests refused with 503 by the overload gate", shed.clone());
        let submissions = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "submissions",
            "Submissions on the public site: stored, failed (503, answers kept) or rate-limited (429)",
            submissions.clone(),
        );
        let verifications = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "verifications",
            "Identity verifications by result: match, no-match, nothing-to-check, deferred (DWP unavailable)",
            verifications.clone(),
        );
        let applications = Family::<StageLabels, Gauge>::default();
        registry.register("applications", "Applications in the store, by stage", applications.clone());
        let verification_queue = Gauge::default();
        registry.register(
            "verification_queue_depth",
            "Applications waiting for their identity check",
            verification_queue.clone(),
        );
        let ems_queue = Gauge::default();
        registry.register(
            "ems_queue_depth",
            "Applications waiting for their council's EMS to confirm receipt",
            ems_queue.clone(),
        );
        let ems_receipts = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "ems_receipts",
            "Receipts sent by councils' EMS, by outcome (confirmed, already-confirmed, failure-recorded: not received, still on the queue; not-found)",
            ems_receipts.clone(),
        );
        let erased = Family::<WhatLabels, Counter>::default();
        registry.register(
            "retention_erased",
            "Records whose personal data the retention rules deleted (application, feedback-comment)",
            erased.clone(),
        );
        let job_depth = Family::<QueueLabels, Gauge>::default();
        registry.register("job_queue_depth", "Jobs due or running, by queue", job_depth.clone());
        let job_oldest = Family::<QueueLabels, Gauge>::default();
        registry.register(
            "job_queue_oldest_seconds",
            "Age of the oldest job due or running, by queue (since it became due)",
            job_oldest.clone(),
        );
        let job_failed = Family::<QueueLabels, Gauge>::default();
        registry.register(
            "job_queue_failed",
            "Jobs failed and kept for operators (ier jobs list --state failed), by queue",
            job_failed.clone(),
        );
        let jobs = Family::<JobLabels, Counter>::default();
        registry.register(
            "jobs",
            "Jobs run by this process, by kind and outcome: done, retry, failed, lease-lost",
            jobs.clone(),
        );
        let errors = Family::<ComponentLabels, Counter>::default();
        registry.register(
            "errors",
            "Errors by component (storage, verification, audit, readiness, metrics-counts)",
            errors.clone(),
        );
        let resident_memory = Gauge::default();
        registry.register("process_resident_memory_bytes", "Resident memory of this process", resident_memory.clone());
        let peak_resident_memory = Gauge::default();
        registry.register(
            "process_peak_resident_memory_bytes",
            "Peak resident memory of this process",
            peak_resident_memory.clone(),
        );
        // Every stage and outcome is shown from the start, at zero.
        for stage in Stage::ALL {
            let _ = applications.get_or_create(&StageLabels { stage: stage.as_str() });
        }
        for outcome in ["stored", "failed", "rate-limited"] {
            let _ = submissions.get_or_create(&OutcomeLabels { outcome });
        }
        for outcome in ["match", "no-match", "nothing-to-check", "deferred"] {
            let _ = verifications.get_or_create(&OutcomeLabels { outcome });
        }
        for what in ["application", "feedback-comment", "matching-run", "evidence-file"] {
            let _ = erased.get_or_create(&WhatLabels { what });
        }
        for queue in ier_storage::Queue::ALL {
            let labels = QueueLabels { queue: queue.as_str() };
            let _ = (job_depth.get_or_create(&labels), job_oldest.get_or_create(&labels));
            let _ = job_failed.get_or_create(&labels);
        }
        for tier in [Tier::Public, Tier::Ems, Tier::Portal] {
            let _ = shed.get_or_create(&TierLabels { tier: tier.as_str() });
            let _ = in_flight.get_or_create(&TierLabels { tier: tier.as_str() });
        }
        Self {
            registry,
            requests,
            latency,
            in_flight,
            shed,
            submissions,
            verifications,
            applications,
            verification_queue,
            ems_queue,
            ems_receipts,
            erased,
            job_depth,
            job_oldest,
            job_failed,
            jobs,
            errors,
            resident_memory,
            peak_resident_memory,
        }
    }

    /// Count an answered request and its latency.
    pub fn observe_request(&self, tier: Tier, route: &str, method: &str, status: u16, elapsed: Duration) {
        let labels = RequestLabels {
            tier: tier.as_str(),
            route: route.to_owned(),
            method: method.to_owned(),
            status: status.to_string(),
        };
        self.requests.get_or_create(&labels).inc();
        let RequestLabels { tier, route, method, .. } = labels;
        self.latency.get_or_create(&LatencyLabels { tier, route, method }).observe(elapsed.as_secs_f64());
    }

    pub fn in_flight(&self, tier: Tier) -> Gauge {
        self.in_flight.get_or_create(&TierLabels { tier: tier.as_str() }).clone()
    }

    pub fn shed(&self, tier: Tier) -> Counter {
        self.shed.get_or_create(&TierLabels { tier: tier.as_str() }).clone()
    }

    /// `outcome`: `stored`, `failed` or `rate-limited`.
    pub fn submission(&self, outcome: &'static str) -> Counter {
        self.submissions.get_or_create(&OutcomeLabels { outcome }).clone()
    }

    /// An EMS receipt's outcome: `confirmed`, `already-confirmed`, `failure-recorded` or `not-found`.
    pub fn ems_receipt(&self, outcome: &'static str) -> Counter {
        self.ems_receipts.get_or_create(&OutcomeLabels { outcome }).clone()
    }

    /// Records the retention rules erased: `what` is `application`, `feedback-comment`, `matching-run` or `evidence-file`.
    pub fn erased(&self, what: &'static str) -> Counter {
        self.erased.get_or_create(&WhatLabels { what }).clone()
    }

    /// `outcome`: `match`, `no-match`, `nothing-to-check` or `deferred`.
    pub fn verification(&self, outcome: &'static str) -> Counter {
        self.verifications.get_or_create(&OutcomeLabels { outcome }).clone()
    }

    /// Count a job run: `kind` from [`ier_storage::JobKind::name`] (a closed set), `outcome` one of
    /// done, retry, failed, lease-lost.
    pub fn job(&self, kind: &ier_storage::JobKind, outcome: &'static str) -> Counter {
        self.jobs.get_or_create(&JobLabels { kind: kind.name(), outcome }).clone()
    }

    /// A data matching run's match (kind `matching`): `done`, `retry` or `lease-lost`.
    pub fn matching_run(&self, outcome: &'static str) -> Counter {
        self.jobs.get_or_create(&JobLabels { kind: "matching".into(), outcome }).clone()
    }

    /// Each queue's depth, oldest due job and failures.
    pub fn set_queue_stats(&self, stats: &[ier_storage::QueueStats]) {
        for s in stats {
            let labels = QueueLabels { queue: s.queue.as_str() };
            self.job_depth.get_or_create(&labels).set(gauge(s.depth));
            self.job_oldest.get_or_create(&labels).set(gauge(s.oldest_secs));
            self.job_failed.get_or_create(&labels).set(gauge(s.failed));
        }
    }

    pub fn error(&self, component: &'static str) -> Counter {
        self.errors.get_or_create(&ComponentLabels { component }).clone()
    }

    /// Set the gauges that come from the database's counts.
    pub fn set_counts(&self, counts: &Counts) {
        let mut awaiting_ems = 0;
        for stage in Stage::ALL {
            let n = counts.by_stage.iter().find(|(s, _)| *s == stage).map_or(0, |(_, n)| *n);
            self.applications.get_or_create(&StageLabels { stage: stage.as_str() }).set(gauge(n));
            if matches!(stage, Stage::Submitted | Stage::Verified) {
                awaiting_ems += n;
            }
        }
        self.verification_queue.set(gauge(counts.pending_verifications));
        self.ems_queue.set(gauge(awaiting_ems));
    }

    /// Read this process's memory use (Linux `/proc/self/status`).
    pub fn sample_process(&self) {
        if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
            for line in status.lines() {
                let kb = |l: &str| l.split_whitespace().nth(1).and_then(|v| v.parse::<i64>().ok()).map(|k| k * 1024);
                if line.starts_with("VmRSS:") {
                    if let Some(b) = kb(line) {
                        self.resident_memory.set(b);
                    }
                } else if line.starts_with("VmHWM:")
                    && let Some(b) = kb(line)
                {
                    self.peak_resident_memory.set(b);
                }
            }
        }
    }

    /// The metrics in the OpenMetrics text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry).expect("writing to a String cannot fail");
        out
    }
}

fn gauge(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
