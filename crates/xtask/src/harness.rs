//! What `loadtest` and `crashtest` share: a fresh database for a run (a SQLite
//! file, or a Postgres database created for the run and dropped after), the
//! `ier serve` process under test (started from the release binary with fresh
//! keys and PKI, killed with SIGKILL or stopped with SIGINT), a lean HTTP/1.1
//! client over a pool of keep-alive connections (hyper), and one simulated
//! applicant walking a journey as a browser does: the `ordinary-quick` walk of
//! `crates/ier-citizen-web/data/walks.json` (the description the web crate's
//! tests and the browser tests walk too), each applicant with a generated
//! persona of its own, cookies carried, each page's CSRF token posted back, an
//! option picked at random where the walk takes the first (the address from
//! the postcode look-up), then check answers, the declaration, the complete page.
//!
//! Nothing here logs personal data: the applicants are synthetic and only page
//! names, statuses and counts are reported.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{Method, Request, StatusCode, header};
use hyper_util::rt::TokioIo;

/// Re-run this task from a release build of xtask (and build `ier` in release),
/// so the load generator does not steal more CPU than it must from the server.
/// Returns `Ok(true)` when the task has been run by the release binary.
/// `IER_XTASK_DEBUG=1` (the test command's smoke run) keeps this debug build and the debug `ier`.
pub fn reexec_in_release(task: &str, args: &[String]) -> anyhow::Result<bool> {
    if !cfg!(debug_assertions) || smoke() {
        return Ok(false);
    }
    crate::run(crate::cargo().args(["build", "--release", "-p", "ier", "-p", "xtask"]))?;
    let status = Command::new(target_dir().join("release/xtask"))
        .arg(task)
        .args(args)
        .status()
        .context("running the release build of xtask")?;
    if !status.success() {
        bail!("xtask {task} failed with {status}");
    }
    Ok(true)
}

pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| crate::root().join("target"))
}

pub fn ier_binary() -> PathBuf {
    target_dir().join(if smoke() { "debug/ier" } else { "release/ier" })
}

/// A smoke run on the debug build (`IER_XTASK_DEBUG=1`): for the test command, not for figures.
fn smoke() -> bool {
    std::env::var_os("IER_XTASK_DEBUG").is_some_and(|v| v == "1")
}

// --- Databases -------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    Sqlite,
    Postgres,
}

impl DbKind {
    pub fn parse(s: &str) -> anyhow::Result<Self> {
        match s {
            "sqlite" => Ok(DbKind::Sqlite),
            "postgres" => Ok(DbKind::Postgres),
            _ => bail!("--db is sqlite or postgres"),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            DbKind::Sqlite => "sqlite",
            DbKind::Postgres => "postgres",
        }
    }
}

/// The Postgres server to create run databases on (trust auth on 127.0.0.1 here).
pub fn pg_admin_url() -> String {
    std::env::var("IER_LOADTEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A database made for one run: a SQLite file in the work directory, or a
/// Postgres database `ier_<tag>_<pid>` dropped when this is dropped.
pub struct Database {
    pub kind: DbKind,
    pub url: String,
    pg_name: Option<String>,
}

impl Database {
    pub fn create(kind: DbKind, work: &Path, tag: &str) -> anyhow::Result<Self> {
        match kind {
            DbKind::Sqlite => {
                Ok(Self { kind, url: format!("sqlite:{}", work.join("ier.db").display()), pg_name: None })
            }
            DbKind::Postgres => {
                let name = format!("ier_{tag}_{}", std::process::id());
                psql(&pg_admin_url(), &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))?;
                psql(&pg_admin_url(), &format!("CREATE DATABASE {name}"))?;
                let url = with_database(&pg_admin_url(), &name);
                Ok(Self { kind, url, pg_name: Some(name) })
            }
        }
    }

    /// The SQLite file, when it is one.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        self.url.strip_prefix("sqlite:").map(PathBuf::from)
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Some(name) = &self.pg_name
            && let Err(e) = psql(&pg_admin_url(), &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        {
            eprintln!("note: could not drop the run database {name}: {e:#}");
        }
    }
}

/// The same server URL naming another database.
/// `url` naming database `db` instead, its query (`?sslmode=...`) kept.
pub fn with_database(url: &str, db: &str) -> String {
    let (url, query) = url.split_once('?').map_or((url, None), |(u, q)| (u, Some(q)));
    let (base, _) = url.rsplit_once('/').unwrap_or((url, ""));
    match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
}

/// Run one SQL command with `psql`, returning its unaligned output.
pub fn psql(url: &str, sql: &str) -> anyhow::Result<String> {
    let out = Command::new("psql")
        .args([url, "-v", "ON_ERROR_STOP=1", "-qAtX", "-c", sql])
        .stderr(Stdio::piped())
        .output()
        .context("running psql (is the Postgres client installed?)")?;
    if !out.status.success() {
        bail!("psql failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

// --- The server under test -----------------------------------------------------------------

/// Keys, PKI and database for `ier serve`; one per run, reused across restarts.
pub struct ServerSetup {
    pub ier: PathBuf,
    pub database_url: String,
    pub data_keys: String,
    session_keys: String,
    pki: PathBuf,
    log: PathBuf,
    /// Extra environment for `ier serve` (how it notifies applicants, job leases).
    env: Vec<(String, String)>,
}

impl ServerSetup {
    pub fn new(work: &Path, database_url: &str) -> anyhow::Result<Self> {
        let ier = ier_binary();
        if !ier.exists() {
            bail!("{} is missing: build it with `cargo build --release -p ier`", ier.display());
        }
        let keygen = |id: &str| -> anyhow::Result<String> {
            let out = Command::new(&ier).args(["keygen", "--id", id]).output().context("running ier keygen")?;
            if !out.status.success() {
                bail!("ier keygen failed");
            }
            Ok(String::from_utf8(out.stdout)?.trim().to_owned())
        };
        let pki = work.join("pki");
        if !pki.join("server/ems.pem").exists() {
            let out = Command::new(&ier)
                .args(["ero", "server-cert", "--pki"])
                .arg(&pki)
                .output()
                .context("running ier ero server-cert")?;
            if !out.status.success() {
                bail!("ier ero server-cert failed: {}", String::from_utf8_lossy(&out.stderr));
            }
        }
        Ok(Self {
            data_keys: keygen("load-data")?,
            session_keys: keygen("load-session")?,
            database_url: database_url.to_owned(),
            ier,
            pki,
            log: work.join("server.log"),
            // Messages are recorded, not sent, unless a test points the server at a fake Notify.
            env: vec![("IER_NOTIFY".into(), "simulator".into())],
        })
    }

    /// Send messages through the real GOV.UK Notify client to the fake at
    /// `base_url`, at most `per_minute` a minute; jobs held by a killed server
    /// return to the queue after `lease_seconds`.
    pub fn with_notify(
        mut self,
        work: &Path,
        base_url: &str,
        per_minute: u64,
        lease_seconds: u64,
    ) -> anyhow::Result<Self> {
        let templates = work.join("notify-templates.toml");
        std::fs::write(&templates, crate::fakenotify::template_ids())?;
        self.env = vec![
            ("IER_NOTIFY".into(), "govuk".into()),
            ("IER_NOTIFY_API_KEY".into(), crate::fakenotify::API_KEY.into()),
            ("IER_NOTIFY_TEMPLATES".into(), templates.display().to_string()),
            ("IER_NOTIFY_BASE_URL".into(), base_url.into()),
            ("IER_NOTIFY_RATE_PER_MINUTE".into(), per_minute.to_string()),
            ("IER_PUBLIC_URL".into(), "https://register-to-vote.example".into()),
            ("IER_JOB_LEASE_SECONDS".into(), lease_seconds.to_string()),
        ];
        Ok(self)
    }

    /// Start `ier serve` on fresh loopback ports, its output appended to `server.log`.
    pub fn start(&self) -> anyhow::Result<Server> {
        let addr = free_port()?;
        let ems = free_port()?;
        let internal = free_port()?;
        let portal = free_port()?;
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&self.log)?;
        let child = Command::new(&self.ier)
            .arg("serve")
            .env("IER_DATABASE_URL", &self.database_url)
            .env("IER_DATA_KEYS", &self.data_keys)
            .env("IER_SESSION_KEYS", &self.session_keys)
            .env("IER_PUBLIC_ADDR", addr.to_string())
            .env("IER_EMS_ADDR", ems.to_string())
            .env("IER_PKI_DIR", &self.pki)
            .env("IER_INTERNAL_ADDR", internal.to_string())
            .env("IER_PORTAL_ADDR", portal.to_string())
            .env("IER_EVIDENCE_DIR", self.log.with_file_name("evidence"))
            // Stop at once when asked: there is no load balancer to drain from here.
            .env("IER_DRAIN_SECONDS", "0")
            // The load generator stands in for the load balancer: its X-Forwarded-For names each applicant.
            .env("IER_TRUSTED_PROXIES", "127.0.0.0/8,::1")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("starting ier serve")?;
        Ok(Server { pid: child.id(), child, addr, ems })
    }

    /// [`ServerSetup::start`], then [`Server::wait_ready`]; started again on other ports when
    /// one of the ports picked for it was taken before it could bind it (a client's outgoing
    /// connection can be given the same number by the OS): the time to ready.
    pub async fn start_ready(&self, timeout: Duration) -> anyhow::Result<(Server, Duration)> {
        let mut attempt = 1;
        loop {
            let logged = std::fs::metadata(&self.log).map_or(0, |m| m.len());
            let mut server = self.start()?;
            match server.wait_ready(timeout).await {
                Ok(ready) => return Ok((server, ready)),
                Err(e) => {
                    let log = std::fs::read(&self.log).unwrap_or_default();
                    let new = String::from_utf8_lossy(log.get(logged as usize..).unwrap_or_default());
                    if attempt >= 5 || !new.contains("Address already in use") {
                        return Err(e);
                    }
                    eprintln!("a port picked for ier serve was taken before it started: starting it on others");
                    attempt += 1;
                }
            }
        }
    }

    /// Set an environment variable for `ier serve`.
    pub fn with_env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// The PKI directory (the CA's certificate is its `ca.pem`; the CA itself in `<dir>-issuer`).
    pub fn pki(&self) -> &Path {
        &self.pki
    }

    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// Check every reference in `file` with `ier verify`, when this `ier` has it.
    /// `None` when it does not.
    pub fn verify(&self, references: &Path) -> anyhow::Result<Option<VerifyOutcome>> {
        let help = Command::new(&self.ier).args(["verify", "--help"]).output()?;
        if !help.status.success() {
            return Ok(None);
        }
        let out = Command::new(&self.ier)
            .args(["verify", "--database-url", &self.database_url, "--data-keys", &self.data_keys, "--references"])
            .arg(references)
            .arg("--json")
            .output()
            .context("running ier verify")?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let json = serde_json::from_str::<serde_json::Value>(stdout.trim()).ok();
        Ok(Some(VerifyOutcome { success: out.status.success(), stdout, json }))
    }
}

/// What `ier verify` said.
pub struct VerifyOutcome {
    pub success: bool,
    pub stdout: String,
    pub json: Option<serde_json::Value>,
}

fn free_port() -> anyhow::Result<SocketAddr> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?)
}

pub struct Server {
    child: Child,
    pub pid: u32,
    pub addr: SocketAddr,
    /// The EMS API (mutual TLS).
    pub ems: SocketAddr,
}

impl Server {
    /// Wait for `/health/ready` to answer 200 (the store is open and migrated).
    pub async fn wait_ready(&mut self, timeout: Duration) -> anyhow::Result<Duration> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("ier serve exited during start-up with {status} (see the server log)");
            }
            // Ready: `/health/ready` says so, or (where readiness is only on the
            // internal listener) the journey's start answers.
            for (path, ok) in [("/health/ready", StatusCode::OK), ("/register-to-vote/start", StatusCode::SEE_OTHER)] {
                let Ok(mut conn) = connect(self.addr).await else { break };
                let req =
                    Request::get(path).header(header::HOST, self.addr.to_string()).body(Full::new(Bytes::new()))?;
                match conn.send_request(req).await {
                    Ok(res) if res.status() == ok => return Ok(started.elapsed()),
                    Ok(res) if res.status() == StatusCode::NOT_FOUND => continue,
                    _ => break,
                }
            }
            if started.elapsed() > timeout {
                bail!("ier serve was not ready after {timeout:?}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// SIGKILL: no chance to flush or finish anything.
    pub fn kill9(&mut self) -> anyhow::Result<()> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }

    /// SIGINT (graceful shutdown), then SIGKILL if it has not stopped in 10 s.
    pub fn stop(&mut self) -> anyhow::Result<()> {
        let _ = Command::new("kill").args(["-INT", &self.pid.to_string()]).status();
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.kill9()
    }

    /// (VmHWM, VmRSS) in KiB: the peak and current resident set.
    pub fn memory_kib(&self) -> Option<(u64, u64)> {
        proc_memory_kib(self.pid)
    }

    /// User + system CPU seconds so far.
    pub fn cpu_seconds(&self) -> Option<f64> {
        proc_cpu_seconds(&self.pid.to_string())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

pub fn proc_memory_kib(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status.lines().find_map(|l| l.strip_prefix(name)).and_then(|v| v.split_whitespace().next()?.parse().ok())
    };
    Some((field("VmHWM:")?, field("VmRSS:")?))
}

/// CPU seconds (user + system) of a process (`self` for this one).
pub fn proc_cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // USER_HZ is 100 on Linux.
    Some((utime + stime) / 100.0)
}

// --- HTTP client -----------------------------------------------------------------------------

pub type Conn = SendRequest<Full<Bytes>>;

pub async fn connect(addr: SocketAddr) -> anyhow::Result<Conn> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

/// Keep-alive connections shared by the simulated applicants, as a load
/// balancer's pool to the web tier would be: at most `size` at once.
pub struct Pool {
    addr: SocketAddr,
    host: String,
    idle: Mutex<Vec<Conn>>,
    permits: tokio::sync::Semaphore,
    pub connects: AtomicU64,
}

pub struct Response {
    pub status: StatusCode,
    pub location: Option<String>,
    pub set_cookies: Vec<String>,
    pub retry_after: Option<u64>,
    pub body: Bytes,
}

impl Response {
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).unwrap_or("")
    }
}

#[derive(Debug)]
pub enum SendError {
    Connect,
    Io,
    Timeout,
}

impl SendError {
    pub fn name(&self) -> &'static str {
        match self {
            SendError::Connect => "connect",
            SendError::Io => "io",
            SendError::Timeout => "timeout",
        }
    }
}

impl Pool {
    pub fn new(addr: SocketAddr, size: usize) -> Self {
        Self {
            addr,
            host: addr.to_string(),
            idle: Mutex::new(Vec::new()),
            permits: tokio::sync::Semaphore::new(size),
            connects: AtomicU64::new(0),
        }
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        cookie: &str,
        forwarded_for: &str,
        form: Option<String>,
        timeout: Duration,
    ) -> Result<Response, SendError> {
        let _permit = self.permits.acquire().await.map_err(|_| SendError::Connect)?;
        let pooled = { self.idle.lock().expect("pool").pop() };
        let mut conn = match pooled {
            Some(c) if !c.is_closed() => c,
            _ => {
                self.connects.fetch_add(1, Ordering::Relaxed);
                match tokio::time::timeout(timeout, connect(self.addr)).await {
                    Ok(Ok(c)) => c,
                    Ok(Err(_)) => return Err(SendError::Connect),
                    Err(_) => return Err(SendError::Timeout),
                }
            }
        };
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, &self.host)
            .header("x-forwarded-for", forwarded_for);
        if !cookie.is_empty() {
            req = req.header(header::COOKIE, cookie);
        }
        let body = match form {
            Some(f) => {
                req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Full::new(Bytes::from(f))
            }
            None => Full::new(Bytes::new()),
        };
        let req = req.body(body).map_err(|_| SendError::Io)?;
        let exchange = async {
            conn.ready().await.map_err(|_| SendError::Io)?;
            let res = conn.send_request(req).await.map_err(|_| SendError::Io)?;
            let (parts, body) = res.into_parts();
            let body = body.collect().await.map_err(|_| SendError::Io)?.to_bytes();
            Ok::<_, SendError>((parts, body))
        };
        let (parts, body) = match tokio::time::timeout(timeout, exchange).await {
            Ok(r) => r?,
            Err(_) => return Err(SendError::Timeout),
        };
        let keep = !parts.headers.get(header::CONNECTION).is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"));
        if keep && !conn.is_closed() {
            self.idle.lock().expect("pool").push(conn);
        }
        let header_str = |name| parts.headers.get(name).and_then(|v: &hyper::header::HeaderValue| v.to_str().ok());
        Ok(Response {
            status: parts.status,
            location: header_str(header::LOCATION).map(str::to_owned),
            retry_after: header_str(header::RETRY_AFTER).and_then(|v| v.trim().parse().ok()),
            set_cookies: parts
                .headers
                .get_all(header::SET_COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok().map(str::to_owned))
                .collect(),
            body,
        })
    }
}

// --- Measurements ----------------------------------------------------------------------------

/// A log-linear latency histogram in microseconds (about 3% resolution), lock-free.
pub struct Histogram {
    buckets: Vec<AtomicU64>,
}

const SUB: u32 = 32;
const LINEAR: u64 = 64;
const BUCKETS: usize = 64 + 40 * SUB as usize;

impl Default for Histogram {
    fn default() -> Self {
        Self { buckets: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect() }
    }
}

impl Histogram {
    fn index(us: u64) -> usize {
        if us < LINEAR {
            return us as usize;
        }
        let exp = 63 - us.leading_zeros(); // >= 6
        let sub = (us >> (exp - 5)) & u64::from(SUB - 1);
        (LINEAR as usize + (exp as usize - 6) * SUB as usize + sub as usize).min(BUCKETS - 1)
    }

    /// The middle of a bucket, in microseconds.
    fn value(i: usize) -> f64 {
        if (i as u64) < LINEAR {
            return i as f64;
        }
        let j = i - LINEAR as usize;
        let exp = (j / SUB as usize) as u32 + 6;
        let sub = (j % SUB as usize) as u64;
        let lo = (1u64 << exp) + (sub << (exp - 5));
        lo as f64 + (1u64 << (exp - 5)) as f64 / 2.0
    }

    pub fn record(&self, d: Duration) {
        self.buckets[Self::index(d.as_micros() as u64)].fetch_add(1, Ordering::Relaxed);
    }

    pub fn count(&self) -> u64 {
        self.buckets.iter().map(|b| b.load(Ordering::Relaxed)).sum()
    }

    /// The q-quantile in milliseconds.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        let counts: Vec<u64> = self.buckets.iter().map(|b| b.load(Ordering::Relaxed)).collect();
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return 0.0;
        }
        let rank = ((q * total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, c) in counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Self::value(i) / 1000.0;
            }
        }
        Self::value(BUCKETS - 1) / 1000.0
    }

    pub fn max_ms(&self) -> f64 {
        self.buckets.iter().rposition(|b| b.load(Ordering::Relaxed) > 0).map(|i| Self::value(i) / 1000.0).unwrap_or(0.0)
    }

    pub fn merge_from(&self, other: &Histogram) {
        for (a, b) in self.buckets.iter().zip(&other.buckets) {
            a.fetch_add(b.load(Ordering::Relaxed), Ordering::Relaxed);
        }
    }
}

/// A page of the walk, for per-page statistics: the start, each step's page
/// (from `walks.json`), check answers and complete, in that order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page(usize);

impl Page {
    /// Where the walk starts (it redirects to the first step's page).
    pub const START: Page = Page(0);

    /// Every page measured, in the walk's order.
    pub fn all() -> impl Iterator<Item = Page> {
        (0..walk().pages.len()).map(Page)
    }

    pub fn check_answers() -> Page {
        walk().check_answers
    }

    pub fn complete() -> Page {
        walk().complete
    }

    pub fn path(self) -> &'static str {
        &walk().pages[self.0].path
    }

    /// The path under `/register-to-vote/`, as reported.
    pub fn name(self) -> &'static str {
        &walk().pages[self.0].name
    }

    fn index(self) -> usize {
        self.0
    }
}

/// Everything measured in a run, shared by the applicants.
pub struct Stats {
    /// Per page: [GET, POST].
    pub latency: Vec<[Histogram; 2]>,
    pub errors: Mutex<std::collections::BTreeMap<String, u64>>,
    pub journeys_started: AtomicU64,
    pub journeys_completed: AtomicU64,
    pub journeys_abandoned: AtomicU64,
    pub active_sessions: AtomicI64,
    pub peak_sessions: AtomicI64,
    /// Submissions (POST check-answers) sent and not yet answered.
    pub submits_in_flight: AtomicI64,
    /// Responses that were 503 (shed by the server's overload gate, or a failed submission).
    pub unavailable: AtomicU64,
    pub references: Mutex<Vec<String>>,
    pub keep_references: bool,
    /// Completions per second since `started`.
    pub per_second: Mutex<Vec<u64>>,
    pub started: Instant,
    /// The share of journeys (0 to 1) walked again by a person who has applied already.
    pub repeat_share: f64,
    /// The personas of completed journeys, for repeat applicants to walk again.
    pub personas: Mutex<Vec<Vec<String>>>,
    /// Journeys by someone who had applied: walked, and told on "Check your answers".
    pub repeats_walked: AtomicU64,
    pub repeats_told: AtomicU64,
    /// Journeys by someone new: walked, and told (wrongly: someone else's application was taken for theirs).
    pub fresh_walked: AtomicU64,
    pub fresh_told: AtomicU64,
}

impl Stats {
    pub fn new(keep_references: bool) -> Self {
        Self {
            latency: Page::all().map(|_| [Histogram::default(), Histogram::default()]).collect(),
            errors: Mutex::default(),
            journeys_started: AtomicU64::new(0),
            journeys_completed: AtomicU64::new(0),
            journeys_abandoned: AtomicU64::new(0),
            active_sessions: AtomicI64::new(0),
            peak_sessions: AtomicI64::new(0),
            submits_in_flight: AtomicI64::new(0),
            unavailable: AtomicU64::new(0),
            references: Mutex::default(),
            keep_references,
            per_second: Mutex::default(),
            started: Instant::now(),
            repeat_share: 0.0,
            personas: Mutex::default(),
            repeats_walked: AtomicU64::new(0),
            repeats_told: AtomicU64::new(0),
            fresh_walked: AtomicU64::new(0),
            fresh_told: AtomicU64::new(0),
        }
    }

    /// With this share of repeat applicants.
    pub fn with_repeats(mut self, share: f64) -> Self {
        self.repeat_share = share.clamp(0.0, 1.0);
        self
    }

    pub fn error(&self, page: Page, method: &Method, what: &str) {
        *self.errors.lock().expect("stats").entry(format!("{method} {}: {what}", page.name())).or_default() += 1;
    }

    pub fn hist(&self, page: Page, method: &Method) -> &Histogram {
        &self.latency[page.index()][usize::from(*method == Method::POST)]
    }

    fn completed(&self, reference: String) {
        self.journeys_completed.fetch_add(1, Ordering::Relaxed);
        let second = self.started.elapsed().as_secs() as usize;
        {
            let mut ps = self.per_second.lock().expect("stats");
            if ps.len() <= second {
                ps.resize(second + 1, 0);
            }
            ps[second] += 1;
        }
        if self.keep_references {
            self.references.lock().expect("stats").push(reference);
        }
    }

    pub fn session_began(&self) {
        let now = self.active_sessions.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak_sessions.fetch_max(now, Ordering::Relaxed);
    }

    pub fn session_ended(&self) {
        self.active_sessions.fetch_sub(1, Ordering::Relaxed);
    }

    /// Error counts by HTTP status (or transport failure), summed over pages.
    pub fn errors_by_kind(&self) -> std::collections::BTreeMap<String, u64> {
        let mut out = std::collections::BTreeMap::new();
        for (k, v) in self.errors.lock().expect("stats").iter() {
            let kind = k.rsplit(": ").next().unwrap_or(k).to_owned();
            *out.entry(kind).or_default() += v;
        }
        out
    }
}

// --- Randomness ------------------------------------------------------------------------------

/// SplitMix64: enough randomness for synthetic applicants and think times.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A distinct client address for applicant `n` (the limiter keys on the last
/// `X-Forwarded-For` entry, as behind the production load balancer).
pub fn client_address(n: u64) -> String {
    let n = n % (1 << 24);
    format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255)
}

// --- The journey -----------------------------------------------------------------------------

/// Postcodes the shipped directory routes to a council, with their nation
/// (checked with `ier lookup`).
pub const POSTCODES: &[(&str, &str)] = &[
    ("SW1A 2AA", "england"),
    ("SW1A 1AA", "england"),
    ("LS1 5HD", "england"),
    ("M1 1AE", "england"),
    ("B1 1BB", "england"),
    ("NE1 7RU", "england"),
    ("BS1 5TR", "england"),
    ("CF10 1EP", "wales"),
    ("SA1 1DP", "wales"),
    ("EH1 1YZ", "scotland"),
    ("G1 1XQ", "scotland"),
];

const GIVEN: &[&str] = &["Amelia", "Oliver", "Isla", "George", "Ava", "Noah", "Mia", "Arthur", "Freya", "Leo", "Sian"];
const SURNAMES: &[&str] = &["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Thomas", "Roberts"];
const NINO_PREFIXES: &[&str] = &["JG", "SN", "CE", "PR", "AB", "WK", "TL", "HS"];

/// The applicant walks: the one description of each journey that the web
/// crate's tests and page snapshots, the browser tests and this load generator walk.
const WALKS: &str = include_str!("../../ier-citizen-web/data/walks.json");

/// The walk every simulated applicant follows, each with a persona of its own.
pub const WALK: &str = "ordinary-quick";

static THE_WALK: std::sync::LazyLock<Walk> = std::sync::LazyLock::new(|| {
    Walk::parse(WALKS, WALK).unwrap_or_else(|e| panic!("crates/ier-citizen-web/data/walks.json: {e:#}"))
});

fn walk() -> &'static Walk {
    &THE_WALK
}

/// One walk of `walks.json`, read once for the run.
struct Walk {
    /// The persona's keys and the walk's values; each applicant replaces those it generates.
    persona: Vec<(String, String)>,
    steps: Vec<Step>,
    /// The pages measured: the start, each step's page (once each), check answers, complete.
    pages: Vec<PageInfo>,
    check_answers: Page,
    complete: Page,
}

struct PageInfo {
    path: String,
    name: String,
}

struct Step {
    page: Page,
    /// Where its POST must redirect: the next step's page, or check answers after the last.
    next: Page,
    /// Forms to send first, each refused (400) with this error (in English).
    invalid: Vec<(Vec<Field>, String)>,
    form: Vec<Field>,
}

/// One form field (a list in the walk is one field a value, in order).
struct Field {
    name: String,
    value: Value,
}

enum Value {
    /// `@first`: an option the page offers (the load generator picks one at random).
    Offered,
    /// Text, with the persona's values where it has `{placeholders}`.
    Text(Vec<Part>),
}

enum Part {
    Literal(String),
    /// The persona's value at this index.
    Persona(usize),
}

impl Walk {
    fn parse(json: &str, name: &str) -> anyhow::Result<Self> {
        use serde_json::Value as Json;
        let all: Json = serde_json::from_str(json)?;
        let w = all["walks"]
            .as_array()
            .context("no walks")?
            .iter()
            .find(|w| w["name"] == name)
            .with_context(|| format!("no walk named {name}"))?;
        let text = |v: &Json, what: &str| {
            v.as_str().map(str::to_owned).with_context(|| format!("walk {name}: {what} is not a string"))
        };
        let persona = w["persona"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| Ok((k.clone(), text(v, k)?)))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let prefix = match text(&w["journey"], "journey")?.as_str() {
            "ordinary" => "/register-to-vote".to_owned(),
            j => format!("/register-to-vote/{j}"),
        };
        let mut pages: Vec<PageInfo> = Vec::new();
        let mut page = |path: String| {
            if let Some(i) = pages.iter().position(|p| p.path == path) {
                return Page(i);
            }
            let name = path.strip_prefix("/register-to-vote/").unwrap_or(&path).to_owned();
            pages.push(PageInfo { path, name });
            Page(pages.len() - 1)
        };
        let start = page(format!("/register-to-vote/{}", text(&w["start"], "start")?));
        debug_assert_eq!(start, Page::START);
        let json_steps = w["steps"].as_array().with_context(|| format!("walk {name}: no steps"))?;
        let step_pages = json_steps
            .iter()
            .map(|s| Ok(page(format!("/register-to-vote/{}", text(&s["page"], "a step's page")?))))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let check_answers = page(format!("{prefix}/check-answers"));
        let complete = page(format!("{prefix}/complete"));
        let fields = |form: &Json| -> anyhow::Result<Vec<Field>> {
            let mut out = Vec::new();
            for (k, v) in form.as_object().with_context(|| format!("walk {name}: a form is not an object"))? {
                let values = match v {
                    Json::Array(a) => a.iter().collect(),
                    v => vec![v],
                };
                for v in values {
                    out.push(Field { name: k.clone(), value: Value::parse(&text(v, k)?, &persona) });
                }
            }
            Ok(out)
        };
        let mut steps = Vec::new();
        for (i, s) in json_steps.iter().enumerate() {
            let mut invalid = Vec::new();
            for bad in s["invalid"].as_array().into_iter().flatten() {
                invalid.push((fields(&bad["form"])?, text(&bad["error"]["en"], "an invalid form's error")?));
            }
            steps.push(Step {
                page: step_pages[i],
                next: step_pages.get(i + 1).copied().unwrap_or(check_answers),
                invalid,
                form: fields(&s["form"])?,
            });
        }
        Ok(Self { persona, steps, pages, check_answers, complete })
    }
}

impl Value {
    /// `@first`, or text with `{key}` for each of the persona's keys (any other braces are kept).
    fn parse(s: &str, persona: &[(String, String)]) -> Self {
        if s == "@first" {
            return Value::Offered;
        }
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = s;
        while let Some(open) = rest.find('{') {
            literal.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let key = after.find('}').map(|close| &after[..close]);
            match key.and_then(|k| Some((persona.iter().position(|(p, _)| p == k)?, k.len()))) {
                Some((i, len)) => {
                    if !literal.is_empty() {
                        parts.push(Part::Literal(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Persona(i));
                    rest = &after[len + 1..];
                }
                None => {
                    literal.push('{');
                    rest = after;
                }
            }
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        Value::Text(parts)
    }
}

/// How an applicant behaves between pages.
#[derive(Clone, Copy)]
pub struct Behaviour {
    /// Mean think time before each form is sent (uniform in ±50%).
    pub think: Duration,
    pub timeout: Duration,
    /// How many times a 429 or 503 is retried after its Retry-After (capped at 5 s).
    pub retries: u32,
}

/// Why a journey stopped early.
#[derive(Debug)]
pub enum Stop {
    /// The run's time is up.
    Deadline,
    /// Something failed; already counted in `Stats::errors`.
    Failed,
}

/// One simulated applicant: a browser's cookie jar and a client address.
pub struct Applicant<'a> {
    pub pool: &'a Pool,
    pub stats: &'a Stats,
    pub behaviour: Behaviour,
    pub deadline: Instant,
    pub address: String,
    pub cookies: Vec<(String, String)>,
    pub rng: Rng,
    /// The persona of the journey walked last, and whether it was a repeat.
    pub persona_walked: Option<(Vec<String>, bool)>,
}

/// Form fields, urlencoded in order.
pub fn form(fields: &[(&str, &str)]) -> String {
    fields.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The value of the hidden CSRF field on a page.
pub fn csrf(body: &str) -> Option<String> {
    let marker = r#"name="csrf_token" value=""#;
    let start = body.find(marker)? + marker.len();
    Some(body[start..].split('"').next()?.to_owned())
}

/// The reference number on the complete page (the first `<strong>`), without spaces.
pub fn reference(body: &str) -> Option<String> {
    let shown = body.split("<strong>").nth(1)?.split("</strong>").next()?;
    let r: String = shown.chars().filter(|c| !c.is_whitespace()).collect();
    (r.len() == 10 && r.bytes().all(|b| b"23456789BCDFGHJKMNPQRSTVWXYZ".contains(&b))).then_some(r)
}

impl Applicant<'_> {
    pub fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    fn take_cookies(&mut self, set: &[String]) {
        for set in set {
            let (pair, attrs) = set.split_once(';').unwrap_or((set, ""));
            let Some((name, value)) = pair.split_once('=') else { continue };
            self.cookies.retain(|(k, _)| k != name);
            if !attrs.contains("Max-Age=0") {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
    }

    async fn think(&mut self) -> Result<(), Stop> {
        let mean = self.behaviour.think.as_secs_f64();
        if mean > 0.0 {
            let d = Duration::from_secs_f64(mean * (0.5 + self.rng.unit()));
            if Instant::now() + d >= self.deadline {
                return Err(Stop::Deadline);
            }
            tokio::time::sleep(d).await;
        }
        if Instant::now() >= self.deadline { Err(Stop::Deadline) } else { Ok(()) }
    }

    /// One request, timed; 429 and 503 are retried after their Retry-After.
    pub async fn request(
        &mut self,
        page: Page,
        method: Method,
        path: &str,
        body: Option<String>,
    ) -> Result<Response, Stop> {
        let mut attempt = 0;
        loop {
            let submit = method == Method::POST && page == Page::check_answers();
            if submit {
                self.stats.submits_in_flight.fetch_add(1, Ordering::Relaxed);
            }
            let began = Instant::now();
            let cookie = self.cookie_header();
            let res = self
                .pool
                .send(method.clone(), path, &cookie, &self.address, body.clone(), self.behaviour.timeout)
                .await;
            if submit {
                self.stats.submits_in_flight.fetch_sub(1, Ordering::Relaxed);
            }
            self.stats.hist(page, &method).record(began.elapsed());
            let res = match res {
                Ok(r) => r,
                Err(e) => {
                    self.stats.error(page, &method, e.name());
                    return Err(Stop::Failed);
                }
            };
            self.take_cookies(&res.set_cookies);
            let status = res.status;
            if status == StatusCode::SERVICE_UNAVAILABLE {
                self.stats.unavailable.fetch_add(1, Ordering::Relaxed);
            }
            if (status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE)
                && attempt < self.behaviour.retries
            {
                self.stats.error(page, &method, status.as_str());
                attempt += 1;
                let wait = Duration::from_secs(res.retry_after.unwrap_or(1).min(5));
                if Instant::now() + wait >= self.deadline {
                    return Err(Stop::Deadline);
                }
                tokio::time::sleep(wait).await;
                continue;
            }
            return Ok(res);
        }
    }

    /// GET a step's page (200 expected); returns its body.
    async fn get_page(&mut self, page: Page, path: &str) -> Result<Response, Stop> {
        let res = self.request(page, Method::GET, path, None).await?;
        if res.status != StatusCode::OK {
            self.stats.error(page, &Method::GET, res.status.as_str());
            return Err(Stop::Failed);
        }
        Ok(res)
    }

    /// POST a step's form, expecting a redirect to `next`; then follow it as a browser does.
    async fn post_step(&mut self, page: Page, body: String, next: Page) -> Result<Response, Stop> {
        self.think().await?;
        let res = self.request(page, Method::POST, page.path(), Some(body)).await?;
        if res.status != StatusCode::SEE_OTHER || res.location.as_deref() != Some(next.path()) {
            let what = if res.status == StatusCode::SEE_OTHER { "303 elsewhere" } else { res.status.as_str() };
            self.stats.error(page, &Method::POST, what);
            return Err(Stop::Failed);
        }
        self.get_page(next, next.path()).await
    }

    /// POST a form the walk says is refused: 400, showing `error`.
    async fn post_invalid(&mut self, page: Page, body: String, error: &str) -> Result<(), Stop> {
        self.think().await?;
        let res = self.request(page, Method::POST, page.path(), Some(body)).await?;
        if res.status != StatusCode::BAD_REQUEST || !res.text().contains(error) {
            let what =
                if res.status == StatusCode::BAD_REQUEST { "400 without its error" } else { res.status.as_str() };
            self.stats.error(page, &Method::POST, what);
            return Err(Stop::Failed);
        }
        Ok(())
    }

    /// This applicant's persona: the walk's, with a name, date of birth, NINO
    /// and postcode (with its nation) of its own.
    fn persona(&mut self) -> Vec<String> {
        let (postcode, nation) = *self.rng.pick(POSTCODES);
        let given = *self.rng.pick(GIVEN);
        let surname = *self.rng.pick(SURNAMES);
        let day = (1 + self.rng.below(28)).to_string();
        let month = (1 + self.rng.below(12)).to_string();
        let year = (1950 + self.rng.below(55)).to_string();
        let nino = format!(
            "{}{:06}{}",
            self.rng.pick(NINO_PREFIXES),
            self.rng.below(1_000_000),
            ["A", "B", "C", "D"][self.rng.below(4) as usize]
        );
        let generated = [
            ("given", given.to_owned()),
            ("surname", surname.to_owned()),
            ("dob-day", day),
            ("dob-month", month),
            ("dob-year", year),
            ("nino", nino),
            ("postcode", postcode.to_owned()),
            ("nation", nation.to_owned()),
        ];
        let keys = &walk().persona;
        let mut values: Vec<String> = keys.iter().map(|(_, v)| v.clone()).collect();
        for (key, value) in generated {
            if let Some(i) = keys.iter().position(|(k, _)| k == key) {
                values[i] = value;
            }
        }
        values
    }

    /// A form of the walk, urlencoded after the CSRF token: the persona's values
    /// filled in, and for `@first` one of the options `shown` (the page it is
    /// posted from) offers, at random.
    fn fill(
        &mut self,
        fields: &[Field],
        persona: &[String],
        token: &str,
        page: Page,
        shown: &str,
    ) -> Result<String, Stop> {
        let mut out = format!("csrf_token={}", enc(token));
        for field in fields {
            let value = match &field.value {
                Value::Text(parts) => parts
                    .iter()
                    .map(|p| match p {
                        Part::Literal(s) => s.as_str(),
                        Part::Persona(i) => persona[*i].as_str(),
                    })
                    .collect::<String>(),
                Value::Offered => {
                    let marker = format!(r#"name="{}" type="radio" value=""#, field.name);
                    let options: Vec<&str> = shown.split(&marker).skip(1).filter_map(|s| s.split('"').next()).collect();
                    if options.is_empty() {
                        self.stats.error(page, &Method::GET, "no options");
                        return Err(Stop::Failed);
                    }
                    // The same person picks the same address again.
                    let h = persona.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, v| {
                        v.bytes().fold(h, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
                    });
                    options[(h % options.len() as u64) as usize].to_owned()
                }
            };
            out.push('&');
            out.push_str(&enc(&field.name));
            out.push('=');
            out.push_str(&enc(&value));
        }
        Ok(out)
    }

    /// The walk (`WALK` in `walks.json`) up to the check-answers page, with a
    /// persona of this applicant's own; returns the CSRF token.
    pub async fn walk_to_check_answers(&mut self) -> Result<String, Stop> {
        let walk = walk();
        self.think().await?;
        let res = self.request(Page::START, Method::GET, Page::START.path(), None).await?;
        if res.status != StatusCode::SEE_OTHER {
            self.stats.error(Page::START, &Method::GET, res.status.as_str());
            return Err(Stop::Failed);
        }
        let first = walk.steps.first().map_or(walk.check_answers, |s| s.page);
        let mut shown = self.get_page(first, first.path()).await?;
        let Some(token) = csrf(shown.text()) else {
            self.stats.error(first, &Method::GET, "no csrf");
            return Err(Stop::Failed);
        };
        let earlier =
            if self.stats.repeat_share > 0.0 && (self.rng.below(1_000_000) as f64) < self.stats.repeat_share * 1e6 {
                let personas = self.stats.personas.lock().expect("stats");
                (!personas.is_empty()).then(|| personas[self.rng.below(personas.len() as u64) as usize].clone())
            } else {
                None
            };
        let repeat = earlier.is_some();
        let persona = earlier.unwrap_or_else(|| self.persona());
        for step in &walk.steps {
            for (fields, error) in &step.invalid {
                let body = self.fill(fields, &persona, &token, step.page, shown.text())?;
                self.post_invalid(step.page, body, error).await?;
            }
            let body = self.fill(&step.form, &persona, &token, step.page, shown.text())?;
            shown = self.post_step(step.page, body, step.next).await?;
        }
        // "Check your answers": told of an earlier application, or not.
        let told = shown.text().contains(r#"id="repeat""#);
        let (walked, told_count) = if repeat {
            (&self.stats.repeats_walked, &self.stats.repeats_told)
        } else {
            (&self.stats.fresh_walked, &self.stats.fresh_told)
        };
        walked.fetch_add(1, Ordering::Relaxed);
        if told {
            told_count.fetch_add(1, Ordering::Relaxed);
        }
        self.persona_walked = Some((persona, repeat));
        Ok(token)
    }

    /// Declare and submit from check answers; `Ok(cookies)` once the 303 to the
    /// complete page has arrived (the receipt is in the new session cookie).
    pub async fn submit(&mut self, token: &str) -> Result<(), Stop> {
        self.think().await?;
        let body = form(&[("csrf_token", token), ("declaration", "agreed")]);
        let (check_answers, complete) = (Page::check_answers(), Page::complete());
        let res = self.request(check_answers, Method::POST, check_answers.path(), Some(body)).await?;
        if res.status != StatusCode::SEE_OTHER || res.location.as_deref() != Some(complete.path()) {
            let what = if res.status == StatusCode::SEE_OTHER { "303 elsewhere" } else { res.status.as_str() };
            self.stats.error(check_answers, &Method::POST, what);
            return Err(Stop::Failed);
        }
        Ok(())
    }

    /// The complete page: the reference number the applicant is shown.
    pub async fn complete(&mut self) -> Result<String, Stop> {
        let page = self.get_page(Page::complete(), Page::complete().path()).await?;
        match reference(page.text()) {
            Some(r) => {
                self.stats.completed(r.clone());
                Ok(r)
            }
            None => {
                self.stats.error(Page::complete(), &Method::GET, "no reference");
                Err(Stop::Failed)
            }
        }
    }

    /// Walk the whole journey and return the reference number shown. (The
    /// caller counts the session as open, with `Stats::session_began`.)
    pub async fn journey(&mut self) -> Result<String, Stop> {
        self.stats.journeys_started.fetch_add(1, Ordering::Relaxed);
        let out = async {
            let token = self.walk_to_check_answers().await?;
            self.submit(&token).await?;
            self.complete().await
        }
        .await;
        if out.is_ok()
            && self.stats.repeat_share > 0.0
            && let Some((persona, false)) = self.persona_walked.take()
        {
            self.stats.personas.lock().expect("stats").push(persona);
        }
        if let Err(Stop::Failed) = out {
            self.stats.journeys_abandoned.fetch_add(1, Ordering::Relaxed);
        }
        self.cookies.retain(|(k, _)| k == "lang");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_load_walk_is_read_from_walks_json() {
        let names: Vec<&str> = Page::all().map(Page::name).collect();
        assert_eq!(names.first(), Some(&"start"));
        assert_eq!(names[names.len() - 2..], ["check-answers", "complete"]);
        assert_eq!(Page::check_answers().path(), "/register-to-vote/check-answers");
        assert_eq!(Page::complete().path(), "/register-to-vote/complete");
        let w = walk();
        assert_eq!(w.steps.len(), names.len() - 3, "each step's page once");
        assert_eq!(w.steps.last().map(|s| s.next), Some(Page::check_answers()));
        for pair in w.steps.windows(2) {
            assert_eq!(pair[0].next, pair[1].page);
        }
    }

    #[test]
    fn every_walk_parses() {
        let all: serde_json::Value = serde_json::from_str(WALKS).unwrap();
        for w in all["walks"].as_array().unwrap() {
            let name = w["name"].as_str().unwrap();
            Walk::parse(WALKS, name).unwrap_or_else(|e| panic!("{name}: {e:#}"));
        }
    }

    #[test]
    fn each_applicant_fills_the_walk_with_a_persona_of_its_own() {
        let pool = Pool::new(SocketAddr::from(([127, 0, 0, 1], 9)), 1);
        let stats = Stats::new(false);
        let behaviour = Behaviour { think: Duration::ZERO, timeout: Duration::from_secs(1), retries: 0 };
        let mut a = Applicant {
            pool: &pool,
            stats: &stats,
            behaviour,
            deadline: Instant::now(),
            address: client_address(1),
            cookies: Vec::new(),
            rng: Rng::new(1),
            persona_walked: None,
        };
        let step = |name: &str| walk().steps.iter().find(|s| s.page.name() == name).expect(name);
        let value = |body: &str, key: &str| {
            let v = body.split('&').find_map(|kv| kv.strip_prefix(&format!("{key}="))).expect(key);
            v.replace('+', " ")
        };
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..20 {
            let persona = a.persona();
            let fill = |a: &mut Applicant, name: &str| {
                let s = step(name);
                a.fill(&s.form, &persona, "tok", s.page, "").unwrap()
            };
            let name = fill(&mut a, "name");
            assert!(name.starts_with("csrf_token=tok&"), "{name}");
            let given = value(&name, "given-name");
            assert!(GIVEN.contains(&given.as_str()) && SURNAMES.contains(&value(&name, "surname").as_str()));
            let place =
                (value(&fill(&mut a, "address"), "postcode"), value(&fill(&mut a, "country-of-residence"), "country"));
            assert!(POSTCODES.iter().any(|(p, n)| (*p, *n) == (place.0.as_str(), place.1.as_str())), "{place:?}");
            assert!(value(&fill(&mut a, "nino"), "nino").len() == 9);
            seen.insert(given);
        }
        assert!(seen.len() > 3, "the names vary: {seen:?}");
        // `@first`: one of the options the page offers, the same for the same person (a
        // repeat applicant picks their own address again); none offered is an error.
        let select = step("address/select");
        let shown: String = (1..=5).map(|u| format!(r#"<input name="uprn" type="radio" value="u{u}">"#)).collect();
        let personas: Vec<Vec<String>> = (0..40).map(|_| a.persona()).collect();
        let mut pick = |p: &[String]| value(&a.fill(&select.form, p, "tok", select.page, &shown).unwrap(), "uprn");
        let picked: std::collections::BTreeSet<String> = personas.iter().map(|p| pick(p)).collect();
        assert!(picked.len() > 1 && picked.iter().all(|u| shown.contains(&format!(r#"value="{u}""#))), "{picked:?}");
        assert!(personas.iter().all(|p| pick(p) == pick(p)), "the same person, the same address");
        assert!(a.fill(&select.form, &[], "tok", select.page, "").is_err());
        assert_eq!(stats.errors_by_kind().get("no options"), Some(&1));
    }

    #[test]
    fn placeholders_take_the_persona_values() {
        let persona = [("given".to_owned(), "A".to_owned()), ("surname".to_owned(), "B".to_owned())];
        let Value::Text(parts) = Value::parse("{given} {surname} {other} {", &persona) else { panic!("text") };
        let values = ["Ava".to_owned(), "Jones".to_owned()];
        let filled: String = parts
            .iter()
            .map(|p| match p {
                Part::Literal(s) => s.as_str(),
                Part::Persona(i) => values[*i].as_str(),
            })
            .collect();
        assert_eq!(filled, "Ava Jones {other} {");
        assert!(matches!(Value::parse("@first", &persona), Value::Offered));
    }
}
