//! The background workers of an instance of the service, on the job queue:
//! identity checks against DWP (its simulator: no connection to DWP exists
//! here) and messages to applicants, over GOV.UK Notify or, only when told so,
//! its simulator.
//!
//! `ier serve` needs `IER_NOTIFY` set on purpose: `govuk` (with
//! `IER_NOTIFY_API_KEY`, `IER_NOTIFY_TEMPLATES` and `IER_PUBLIC_URL`) or
//! `simulator` (messages are recorded in memory and never sent: for test
//! environments), so a simulator never stands in for Notify by accident.
//! `ier demo` always uses the simulator and shows what it recorded at
//! `/demo/notifications`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use ier_jobs::{Worker, WorkerConfig};
use ier_notify::Notifier;
use ier_notify::handler::{Links, NotifyHandler};
use ier_notify::simulator::NotifySimulator;
use ier_notify::templates::TemplateIds;
use ier_storage::Queue;
use secrecy::{ExposeSecret, SecretString};

#[derive(Args, Clone)]
pub struct NotifyArgs {
    /// How applicants are told what happens: `govuk` (GOV.UK Notify) or `simulator` (records, never sends: not for production).
    #[arg(long = "notify", env = "IER_NOTIFY")]
    mode: Option<String>,
    /// The GOV.UK Notify API key, `{key_name}-{service_id}-{secret}` (with `--notify govuk`).
    #[arg(long, env = "IER_NOTIFY_API_KEY", hide_env_values = true)]
    notify_api_key: Option<SecretString>,
    /// The ids of the service's templates in Notify, a TOML file: `[MESSAGE.LANGUAGE]` with `email`, `sms` and `letter` (with `--notify govuk`).
    #[arg(long, env = "IER_NOTIFY_TEMPLATES")]
    notify_templates: Option<PathBuf>,
    /// GOV.UK Notify's API.
    #[arg(long, env = "IER_NOTIFY_BASE_URL", default_value = ier_notify::govuk::DEFAULT_BASE_URL)]
    notify_base_url: String,
    /// Messages a minute, across every instance (Notify allows 3,000 by default).
    #[arg(long, env = "IER_NOTIFY_RATE_PER_MINUTE", default_value_t = 3000)]
    notify_rate_per_minute: u32,
    /// The public site's address as applicants reach it, for the links in messages, e.g. https://www.register-to-vote.service.gov.uk.
    #[arg(long, env = "IER_PUBLIC_URL")]
    public_url: Option<String>,
}

/// A checked notification set-up, ready to start.
pub struct NotifySetup {
    notifier: Arc<dyn Notifier>,
    ids: TemplateIds,
    links: Links,
    per_minute: u32,
}

impl NotifyArgs {
    /// Check the settings; every problem is pushed onto `problems`, naming its variable.
    pub fn check(&self, problems: &mut Vec<String>) -> Option<NotifySetup> {
        if self.notify_rate_per_minute == 0 {
            problems.push("IER_NOTIFY_RATE_PER_MINUTE must be at least 1".into());
        }
        let public_url = match self.public_url.as_deref().map(str::trim) {
            Some(u) if u.starts_with("https://") || u.starts_with("http://") => {
                Some(u.trim_end_matches('/').to_owned())
            }
            Some(u) if !u.is_empty() => {
                problems.push(format!("IER_PUBLIC_URL must start with https:// (it is {u:?})"));
                None
            }
            _ => None,
        };
        match self.mode.as_deref().map(str::trim) {
            Some("simulator") => Some(NotifySetup {
                ids: TemplateIds::simulated(),
                notifier: Arc::new(NotifySimulator::new()),
                links: Links { public_url: public_url.unwrap_or_else(|| "http://localhost:8080".into()) },
                per_minute: self.notify_rate_per_minute.max(1),
            }),
            Some("govuk") => {
                let notifier = match &self.notify_api_key {
                    None => {
                        problems.push(
                            "IER_NOTIFY_API_KEY is not set: set it to the service's GOV.UK Notify API key".into(),
                        );
                        None
                    }
                    Some(key) => ier_notify::govuk::GovukNotify::new(key.expose_secret(), &self.notify_base_url)
                        .map_err(|e| problems.push(format!("IER_NOTIFY_API_KEY is not valid: {e}")))
                        .ok(),
                };
                let ids = match &self.notify_templates {
                    None => {
                        problems.push(
                            "IER_NOTIFY_TEMPLATES is not set: set it to the TOML file of the service's Notify template ids"
                                .into(),
                        );
                        None
                    }
                    Some(path) => std::fs::read_to_string(path)
                        .map_err(|e| format!("IER_NOTIFY_TEMPLATES: reading {}: {e}", path.display()))
                        .and_then(|text| {
                            TemplateIds::from_toml(&text).map_err(|e| format!("IER_NOTIFY_TEMPLATES: {e}"))
                        })
                        .map_err(|e| problems.push(e))
                        .ok(),
                };
                if public_url.is_none() {
                    problems.push(
                        "IER_PUBLIC_URL is not set: set it to the public site's address, for the links in messages"
                            .into(),
                    );
                }
                match (notifier, ids, public_url) {
                    (Some(n), Some(ids), Some(public_url)) => Some(NotifySetup {
                        notifier: Arc::new(n),
                        ids,
                        links: Links { public_url },
                        per_minute: self.notify_rate_per_minute.max(1),
                    }),
                    _ => None,
                }
            }
            Some(other) => {
                problems.push(format!("IER_NOTIFY must be `govuk` or `simulator` (it is {other:?})"));
                None
            }
            None => {
                problems.push(
                    "IER_NOTIFY is not set: set it to `govuk` (GOV.UK Notify, with IER_NOTIFY_API_KEY, \
                     IER_NOTIFY_TEMPLATES and IER_PUBLIC_URL) or, outside production, `simulator`"
                        .into(),
                );
                None
            }
        }
    }
}

impl NotifySetup {
    /// The demo's: the simulator, links to the demo's own site.
    pub fn demo(simulator: Arc<NotifySimulator>, public_url: &str) -> Self {
        Self {
            ids: simulator.template_ids(),
            notifier: simulator,
            links: Links { public_url: public_url.to_owned() },
            per_minute: 3000,
        }
    }

    /// Start the notification worker on the current runtime; a job it holds
    /// returns to the queue `lease` after its worker dies.
    pub fn start(self, store: &ier_storage::Store, lease: Duration) {
        let handler = NotifyHandler::new(self.notifier, self.ids, self.links);
        let config = WorkerConfig { lease, ..ier_notify::handler::config(self.per_minute) };
        let store = store.worker(Queue::Notify, ier_jobs::worker_name(Queue::Notify));
        tokio::spawn(Worker::new(store, Arc::new(handler), config).run());
    }
}

/// Start the identity-verification worker on the current runtime.
pub fn start_verification(store: &ier_storage::Store, verifier: Arc<dyn ier_dwp::IdentityVerifier>, lease: Duration) {
    let config = WorkerConfig { lease, ..ier_dwp::queue::config() };
    let store = store.worker(Queue::Verify, ier_jobs::worker_name(Queue::Verify));
    let handler = Arc::new(ier_dwp::queue::VerifyHandler::new(verifier));
    tokio::spawn(Worker::new(store, handler, config).run());
}

/// The simulator's messages, for the demo's inbox page.
pub struct SimulatorInbox(pub Arc<NotifySimulator>);

impl ier_citizen_web::inbox::Inbox for SimulatorInbox {
    fn messages(&self) -> Vec<ier_citizen_web::inbox::InboxMessage> {
        self.0
            .messages()
            .into_iter()
            .map(|m| {
                let (channel, to) = match &m.recipient {
                    ier_notify::Recipient::Email(e) => ("email", vec![e.clone()]),
                    ier_notify::Recipient::Sms(n) => ("sms", vec![n.clone()]),
                    ier_notify::Recipient::Letter(lines) => ("letter", lines.clone()),
                };
                ier_citizen_web::inbox::InboxMessage {
                    at: m.at,
                    channel,
                    to,
                    reference: m.reference,
                    subject: m.rendered.subject,
                    body: m.rendered.body,
                }
            })
            .collect()
    }
}

/// Where data matching finds DWP's records: an extract file (`IER_DWP_EXTRACT`, in the
/// columns `ier match link` reads), or else the DWP simulator's reference population.
#[derive(Args, Clone, Default)]
pub struct DwpArgs {
    /// A DWP reference extract (CSV in `ier match link`'s columns) for data matching runs; without it, the simulator's population.
    #[arg(long, env = "IER_DWP_EXTRACT")]
    pub dwp_extract: Option<PathBuf>,
}

impl DwpArgs {
    /// Check the settings; every problem is pushed onto `problems`, naming its variable.
    pub fn check(&self, problems: &mut Vec<String>) {
        if let Some(path) = &self.dwp_extract
            && !path.is_file()
        {
            problems.push(format!("IER_DWP_EXTRACT: {} is not a readable file", path.display()));
        }
    }

    /// The reference: an extract is indexed at once, in the background (a national extract
    /// takes minutes, which the first run should not wait for); the simulator's when the
    /// first run needs it.
    pub fn reference(&self) -> Arc<ier_jobs::matching::DwpReference> {
        use ier_jobs::matching::DwpReference;
        let reference = Arc::new(match self.dwp_extract.clone() {
            Some(path) => DwpReference::new("extract", move || {
                crate::match_cmd::read_reference(&path).map_err(|e| format!("{e:#}"))
            }),
            None => DwpReference::new("simulator", || {
                let population = crate::demo::reference_population().map_err(|e| e.to_string())?;
                Ok(ier_dwp::simulator::match_reference(&population))
            }),
        });
        if self.dwp_extract.is_some() {
            let early = reference.clone();
            std::thread::spawn(move || {
                if let Err(e) = early.get() {
                    tracing::error!(error = %e, "the DWP extract could not be indexed: data matching runs will fail");
                }
            });
        }
        reference
    }
}

/// Match queued data matching runs on this instance, one at a time.
pub fn start_matching(store: &ier_storage::Store, dwp: Arc<ier_jobs::matching::DwpReference>) {
    let name = ier_jobs::worker_name(Queue::Verify).replacen("verify@", "matching@", 1);
    let matcher = ier_jobs::matching::Matcher::new(store.matching_worker(name), dwp);
    tokio::spawn(matcher.run());
}
