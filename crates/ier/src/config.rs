//! `ier serve`: production start-up from the environment (12-factor).
//!
//! Required settings are checked together before anything starts, and a
//! missing or malformed one stops start-up with a message naming the variable.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use ier_storage::DataKeys;
use secrecy::SecretString;

#[derive(Args)]
#[command(
    after_help = "Every option can be set by its environment variable. Required: IER_DATABASE_URL, IER_DATA_KEYS, IER_SESSION_KEYS, IER_PKI_DIR, IER_NOTIFY (with govuk: IER_NOTIFY_API_KEY, IER_NOTIFY_TEMPLATES, IER_PUBLIC_URL)."
)]
pub struct ServeArgs {
    /// Database: postgres://USER@HOST/DB in production (sqlite:PATH works too).
    #[arg(long, env = "IER_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Data-encryption keys, "id:base64key[,id:base64key...]", current first (make one with `ier keygen`).
    #[arg(long, env = "IER_DATA_KEYS", hide_env_values = true)]
    data_keys: Option<SecretString>,
    /// Keys sealing the applicants' journey cookies, "id:base64key[,...]", current first (`ier keygen`).
    #[arg(long, env = "IER_SESSION_KEYS", hide_env_values = true)]
    session_keys: Option<SecretString>,
    /// Address of the public web site.
    #[arg(long, env = "IER_PUBLIC_ADDR", default_value = "0.0.0.0:8080")]
    public_addr: String,
    /// A postcode table made by `ier import onspd` (default: the one shipped).
    #[arg(long, env = "IER_POSTCODE_TABLE")]
    postcode_table: Option<PathBuf>,
    /// The EMS API's PKI directory: trusted CAs, revocations, server/ems.pem and server/ems.key.
    #[arg(long, env = "IER_PKI_DIR")]
    pki_dir: Option<PathBuf>,
    /// Address of the EMS API (mutual TLS).
    #[arg(long, env = "IER_EMS_ADDR", default_value = "0.0.0.0:8443")]
    ems_addr: String,
    /// Address of the ERO portal (council staff; behind the councils' network or a VPN, over HTTPS).
    #[arg(long, env = "IER_PORTAL_ADDR", default_value = "0.0.0.0:8081")]
    portal_addr: String,
    /// Where evidence files are kept (encrypted; a volume shared by every instance), unless in S3.
    #[arg(long, env = "IER_EVIDENCE_DIR")]
    evidence_dir: Option<PathBuf>,
    #[command(flatten)]
    pub s3: crate::portal::S3Args,
    /// A TOML file naming the offices that sign in to the portal with their council's own
    /// accounts (OpenID Connect): the portal's address, and each one's issuer, client id and secret.
    #[arg(long, env = "IER_PORTAL_OIDC")]
    portal_oidc: Option<PathBuf>,
    #[command(flatten)]
    pub notify: crate::workers::NotifyArgs,
    #[command(flatten)]
    pub dwp: crate::workers::DwpArgs,
    #[command(flatten)]
    pub ops: OpsArgs,
}

/// Operations settings shared by `serve` and `demo`.
#[derive(Args, Clone, Debug)]
pub struct OpsArgs {
    /// Address of the internal listener: /metrics, /health/live, /health/ready. Never expose it publicly.
    #[arg(long, env = "IER_INTERNAL_ADDR", default_value = "127.0.0.1:9090")]
    pub internal_addr: SocketAddr,
    /// Public requests answered at once by this instance; past it, requests wait briefly, then get 503.
    #[arg(long, env = "IER_MAX_IN_FLIGHT", default_value_t = ier_ops::Gate::DEFAULT_MAX_IN_FLIGHT)]
    pub max_in_flight: usize,
    /// How long (milliseconds) a request may wait for a place before it is shed with 503.
    #[arg(long, env = "IER_QUEUE_WAIT_MS", default_value_t = 250)]
    pub queue_wait_ms: u64,
    /// Database connections per instance (default 16 for Postgres, 8 for SQLite); allow for them in Postgres's max_connections.
    #[arg(long, env = "IER_DB_POOL")]
    pub db_pool: Option<u32>,
    /// On SIGTERM or Ctrl-C: seconds to fail readiness (so the load balancer moves traffic away) before stopping (`ier serve`; the demo stops at once).
    #[arg(long, env = "IER_DRAIN_SECONDS", default_value_t = 10)]
    pub drain_seconds: u64,
    /// Seconds a worker holds a job it has claimed: if it dies, another instance takes the job after this.
    #[arg(long, env = "IER_JOB_LEASE_SECONDS", default_value_t = 120, value_parser = clap::value_parser!(u64).range(2..=3600))]
    pub job_lease_seconds: u64,
    /// The load balancers (CIDRs, comma-separated) whose X-Forwarded-For and X-Request-Id are believed; none: never believed.
    #[arg(long, env = "IER_TRUSTED_PROXIES", default_value = "", value_parser = parse_proxies)]
    pub trusted_proxies: ier_ops::TrustedProxies,
    /// Seconds a client has to send a request's head (or, on a kept-alive connection, to start the next); then the connection is closed.
    #[arg(long, env = "IER_HEADER_TIMEOUT_SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub header_timeout_seconds: u64,
    /// Seconds a client has to send a request's body after its head; then it gets 408 and the connection is closed.
    #[arg(long, env = "IER_BODY_TIMEOUT_SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub body_timeout_seconds: u64,
}

fn parse_proxies(s: &str) -> Result<ier_ops::TrustedProxies, String> {
    ier_ops::TrustedProxies::parse(s)
}

impl OpsArgs {
    /// Put the gate and health on the public site's state, and start the internal listener.
    pub async fn start(
        &self,
        store: &ier_storage::Store,
        state: &mut ier_citizen_web::AppState,
    ) -> anyhow::Result<SocketAddr> {
        // Named once, before the first request: the limiter is made again with them.
        ier_ops::set_trusted_proxies(self.trusted_proxies.clone());
        state.limiter = std::sync::Arc::new(ier_citizen_web::limits::Limiter::new(self.trusted_proxies.clone()));
        state.gate = std::sync::Arc::new(ier_ops::Gate::new(
            self.max_in_flight,
            std::time::Duration::from_millis(self.queue_wait_ms),
        ));
        let internal = tokio::net::TcpListener::bind(self.internal_addr)
            .await
            .with_context(|| format!("binding the internal listener to {} (IER_INTERNAL_ADDR)", self.internal_addr))?;
        let bound = internal.local_addr()?;
        let router = ier_ops::internal_router(store.clone(), state.health.clone());
        let timeouts = self.timeouts();
        tokio::spawn(ier_ops::listener::serve(internal, router, timeouts, Duration::ZERO, std::future::pending()));
        tracing::info!(addr = %bound, "internal listener (metrics, health)");
        Ok(bound)
    }

    /// How long clients of every listener have to send their requests.
    pub fn timeouts(&self) -> ier_ops::listener::Timeouts {
        ier_ops::listener::Timeouts {
            header: Duration::from_secs(self.header_timeout_seconds),
            body: Duration::from_secs(self.body_timeout_seconds),
        }
    }

    pub fn job_lease(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.job_lease_seconds)
    }

    pub fn shutdown(&self, health: ier_ops::Health) -> impl std::future::Future<Output = ()> + Send + 'static {
        ier_ops::shutdown_signal(health, std::time::Duration::from_secs(self.drain_seconds))
    }
}

/// Everything `serve` needs, checked.
pub struct ServeConfig {
    pub database_url: String,
    pub data_keys: DataKeys,
    pub session_keys: DataKeys,
    pub public_addr: SocketAddr,
    pub pki_dir: PathBuf,
    pub ems_addr: SocketAddr,
    pub portal_addr: SocketAddr,
    pub evidence: crate::portal::Evidence,
    pub oidc: Option<ier_ero_web::oidc::Oidc>,
    pub notify: crate::workers::NotifySetup,
}

impl ServeArgs {
    /// Check every setting, reporting all problems at once.
    pub fn check(self) -> Result<(ServeConfig, Option<PathBuf>, OpsArgs), String> {
        let mut problems = Vec::new();
        if self.database_url.as_deref().is_none_or(str::is_empty) {
            problems.push(
                "IER_DATABASE_URL is not set: set it to the Postgres URL, e.g. postgres://ier@db.internal/ier"
                    .to_owned(),
            );
        }
        let keys = match &self.data_keys {
            None => {
                problems.push(
                    "IER_DATA_KEYS is not set: set it to the data-encryption key(s); make one with `ier keygen`"
                        .to_owned(),
                );
                None
            }
            Some(k) => DataKeys::parse(k).map_err(|e| problems.push(format!("IER_DATA_KEYS is not valid: {e}"))).ok(),
        };
        let sessions = match &self.session_keys {
            None => {
                problems.push(
                    "IER_SESSION_KEYS is not set: set it to the journey-cookie key(s); make one with `ier keygen`"
                        .to_owned(),
                );
                None
            }
            Some(k) => {
                DataKeys::parse(k).map_err(|e| problems.push(format!("IER_SESSION_KEYS is not valid: {e}"))).ok()
            }
        };
        let addr = self
            .public_addr
            .parse::<SocketAddr>()
            .map_err(|_| {
                problems.push(format!("IER_PUBLIC_ADDR is not an address like 0.0.0.0:8080: {:?}", self.public_addr))
            })
            .ok();
        if self.pki_dir.as_ref().is_none_or(|d| d.as_os_str().is_empty()) {
            problems.push(
                "IER_PKI_DIR is not set: set it to the EMS API's PKI directory (make one with `ier ero server-cert --pki DIR`)"
                    .to_owned(),
            );
        }
        let ems_addr = self
            .ems_addr
            .parse::<SocketAddr>()
            .map_err(|_| {
                problems.push(format!("IER_EMS_ADDR is not an address like 0.0.0.0:8443: {:?}", self.ems_addr))
            })
            .ok();
        let portal_addr = self
            .portal_addr
            .parse::<SocketAddr>()
            .map_err(|_| {
                problems.push(format!("IER_PORTAL_ADDR is not an address like 0.0.0.0:8081: {:?}", self.portal_addr))
            })
            .ok();
        let evidence = self.s3.check(self.evidence_dir.clone(), &mut problems);
        let oidc = match self.portal_oidc.as_ref().filter(|p| !p.as_os_str().is_empty()) {
            None => None,
            Some(path) => match std::fs::read_to_string(path) {
                Ok(text) => ier_ero_web::oidc::Oidc::from_toml(&text)
                    .map_err(|e| problems.push(format!("IER_PORTAL_OIDC ({}): {e}", path.display())))
                    .ok(),
                Err(e) => {
                    problems.push(format!("IER_PORTAL_OIDC: {} cannot be read: {e}", path.display()));
                    None
                }
            },
        };
        let notify = self.notify.check(&mut problems);
        self.dwp.check(&mut problems);
        match (
            problems.is_empty(),
            self.database_url,
            keys,
            sessions,
            addr,
            self.pki_dir,
            ems_addr,
            notify,
            portal_addr,
            evidence,
        ) {
            (
                true,
                Some(database_url),
                Some(data_keys),
                Some(session_keys),
                Some(public_addr),
                Some(pki_dir),
                Some(ems_addr),
                Some(notify),
                Some(portal_addr),
                Some(evidence),
            ) => Ok((
                ServeConfig {
                    database_url,
                    data_keys,
                    session_keys,
                    public_addr,
                    pki_dir,
                    ems_addr,
                    portal_addr,
                    evidence,
                    oidc,
                    notify,
                },
                self.postcode_table,
                self.ops,
            )),
            _ => Err(format!("ier serve cannot start:\n  - {}", problems.join("\n  - "))),
        }
    }
}

pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let args_dwp = args.dwp.clone();
    let (config, table, ops) = match args.check() {
        Ok(c) => c,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    // One JSON object a line; the request span (id, tier, method, route) once, as "span" (a
    // request has no enclosing spans, so the "spans" list would only repeat it).
    tracing_subscriber::fmt().json().with_span_list(false).with_env_filter(env_filter()).init();
    let locator = crate::open::locator(table.as_deref())?;
    let store = crate::open::store_with_pool(&config.database_url, config.data_keys, ops.db_pool).await?;
    // Identity checks drain the verification queue. No connection to DWP's
    // Customer Information System exists here: the simulator stands in, over
    // the same reference population as the demo.
    let simulator: std::sync::Arc<dyn ier_dwp::IdentityVerifier> =
        std::sync::Arc::new(ier_dwp::DwpSimulator::new(crate::demo::reference_population()?));
    crate::workers::start_verification(&store, simulator, ops.job_lease());
    // Data matching runs: against an extract when IER_DWP_EXTRACT names one, else the same population.
    let dwp = args_dwp.reference();
    crate::workers::start_matching(&store, dwp.clone());
    // Applicants are told what happens: GOV.UK Notify, or the simulator when IER_NOTIFY says so.
    config.notify.start(&store, ops.job_lease());
    // Personal data past its retention period is erased every hour.
    crate::retention_cmd::schedule(&store);
    crate::ero_cmd::start_listener(store.clone(), &config.pki_dir, config.ems_addr).await?;
    // Production is served over HTTPS (TLS at the load balancer): cookies are Secure.
    let sessions = ier_citizen_web::session::SessionCodec::new(config.session_keys, true);
    let mut state = ier_citizen_web::AppState::new(locator, store.clone(), sessions);
    // Evidence of identity: sent by applicants on the public site, read by staff in the portal.
    let files = config.evidence.store()?;
    state.evidence = Some(store.evidence_inbox(files.clone()));
    crate::portal::schedule_sweep(&store, files.clone());
    crate::portal::start(&store, files, dwp, config.oidc, state.sessions.clone(), config.portal_addr, ops.timeouts())
        .await?;
    state.start_housekeeping();
    ops.start(&store, &mut state).await?;
    let health = state.health.clone();
    let app = ier_citizen_web::router(state);
    let listener = tokio::net::TcpListener::bind(config.public_addr)
        .await
        .with_context(|| format!("binding {}", config.public_addr))?;
    tracing::info!(addr = %config.public_addr, "public site listening");
    ier_ops::listener::serve(listener, app, ops.timeouts(), DRAIN_REQUESTS, ops.shutdown(health)).await;
    Ok(())
}

/// After shutdown starts and readiness has failed for the drain time: how long requests in
/// flight have to finish.
pub const DRAIN_REQUESTS: Duration = Duration::from_secs(30);

pub fn env_filter() -> tracing_subscriber::EnvFilter {
    tracing_subscriber::EnvFilter::try_from_env("IER_LOG").unwrap_or_else(|_| "info,sqlx=warn".into())
}
