//! `ier ems poll`: the reference EMS client. It does what a council's
//! Electoral Management Software must do with the EMS API, safely:
//!
//! 1. fetch the pending applications (oldest first, pages of up to 200);
//! 2. write each as `OUT/applications/<reference>.json` (written to a temporary
//!    file, flushed to disk, renamed into place, directory flushed) and add a
//!    line to `OUT/applications.csv` (flushed) unless the reference is there
//!    already;
//! 3. only then confirm receipt (the page at once, `POST /v1/receipts`), so an
//!    application leaves the queue only once it is safely on disk.
//!
//! Killed at any point, a restart loses nothing and duplicates nothing: an
//! application written but not confirmed is still in the queue, is written
//! again to the same file, is not added to the CSV twice, and is confirmed.
//! With `--register FILE` it also answers register checks from a CSV register
//! (`ems_elector_id,given_name,surname,date_of_birth,uprn,property,street,postcode,franchise_code,registered_from,registered_until,gss_code`),
//! logging each answer in `OUT/register-checks.csv`.
//!
//! For crash tests, `IER_EMS_POLL_ABORT_AFTER=N` makes the process exit (code
//! 75) right after writing its Nth application, before confirming it.
//!
//! `ier ems determine REFERENCE DECISION [--reason CODE]...` sends the ERO's
//! determination of one application (`PUT /v1/applications/{reference}/determination`).
//!
//! Both wait at most `--connect-timeout` seconds for a connection (TCP and TLS)
//! and `--request-timeout` for each answer, and try each request up to
//! `--attempts` times with exponential backoff and jitter (honouring
//! `Retry-After`) on connection errors, timeouts, 408, 429 and 5xx, for
//! requests that may be repeated: reads, PUTs, `POST /v1/receipts` (confirming
//! twice is harmless) and register check answers (a repeat is refused with 409,
//! which counts as answered). Each retry is announced on stderr by route,
//! without references or anything else from the applications.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use ier_domain::register_check::normalise_name;
use serde_json::{Value, json};

#[derive(Subcommand)]
pub enum Ems {
    /// Fetch this ERO's pending applications into a directory, confirming each once it is safely written.
    Poll(PollArgs),
    /// Send the ERO's determination of an application (the applicant is then told).
    Determine(DetermineArgs),
    /// Data matching runs: upload the register, local data, and fetch results per elector and property.
    #[command(subcommand)]
    Register(crate::ems_register::Register),
    /// Print the EMS API's OpenAPI 3.1 document.
    Openapi,
}

#[derive(Args)]
pub struct PollArgs {
    /// The EMS API, e.g. https://127.0.0.1:8443.
    #[arg(long, default_value = "https://127.0.0.1:8443")]
    server: String,
    /// The ERO's client certificate (PEM).
    #[arg(long)]
    cert: PathBuf,
    /// Its private key (PEM).
    #[arg(long)]
    key: PathBuf,
    /// The CA that issued the server's certificate (PEM).
    #[arg(long)]
    ca: PathBuf,
    /// Where applications are written.
    #[arg(long)]
    out: PathBuf,
    /// Answer register checks from this CSV register.
    #[arg(long)]
    register: Option<PathBuf>,
    /// Poll once and exit (otherwise every --interval seconds until stopped).
    #[arg(long)]
    once: bool,
    /// Seconds between polls (the back office recommends 5 minutes).
    #[arg(long, default_value_t = 300)]
    interval: u64,
    /// Applications a page.
    #[arg(long, default_value_t = 200)]
    page_size: u32,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    net: NetArgs,
}

/// How patient the client is with the network and the server.
#[derive(Args)]
pub struct NetArgs {
    /// Seconds to wait for a connection (TCP and TLS handshake).
    #[arg(long, default_value_t = 10.0, value_parser = seconds)]
    connect_timeout: f64,
    /// Seconds to wait for each request's whole answer.
    #[arg(long, default_value_t = 60.0, value_parser = seconds)]
    request_timeout: f64,
    /// Attempts at each request before giving up (1: no retries).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=20))]
    attempts: u32,
}

fn seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(n) if n > 0.0 && n <= 3600.0 => Ok(n),
        _ => Err("a number of seconds, more than 0 and at most 3600".into()),
    }
}

#[derive(Args)]
pub struct DetermineArgs {
    /// The EMS API, e.g. https://127.0.0.1:8443.
    #[arg(long, default_value = "https://127.0.0.1:8443")]
    server: String,
    /// The ERO's client certificate (PEM).
    #[arg(long)]
    cert: PathBuf,
    /// Its private key (PEM).
    #[arg(long)]
    key: PathBuf,
    /// The CA that issued the server's certificate (PEM).
    #[arg(long)]
    ca: PathBuf,
    /// The application's reference number.
    reference: String,
    /// approved, rejected or evidence-requested.
    decision: String,
    /// A reason code (repeat for more), e.g. identity-not-confirmed.
    #[arg(long = "reason")]
    reasons: Vec<String>,
    #[command(flatten)]
    net: NetArgs,
}

async fn determine(args: DetermineArgs) -> anyhow::Result<()> {
    let mut client = Client::new(&args.server, &args.cert, &args.key, &args.ca, &args.net, false)?;
    let reference = ier_domain::ReferenceNumber::parse(&args.reference)
        .map_err(|_| anyhow::anyhow!("{:?} is not a reference number (10 letters and numbers)", args.reference))?;
    let body = json!({ "decision": args.decision, "reasons": args.reasons });
    let path = format!("/v1/applications/{}/determination", reference.as_str());
    let (status, answer) = client.call("PUT", &path, Some(&body)).await?;
    if !(200..300).contains(&status) {
        return Err(problem(status, &answer));
    }
    println!("{}: {} ({status})", reference.as_str(), args.decision);
    Ok(())
}

pub fn run(cmd: Ems) -> anyhow::Result<()> {
    match cmd {
        Ems::Openapi => {
            println!("{}", serde_json::to_string_pretty(&ier_ems_api::openapi())?);
            Ok(())
        }
        Ems::Register(cmd) => crate::ems_register::run(cmd),
        Ems::Determine(args) => {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            rt.block_on(determine(args))
        }
        Ems::Poll(args) => {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            rt.block_on(poll_loop(args))
        }
    }
}

/// The EMS API over mutual TLS, speaking JSON.
pub struct Client {
    https: ier_pki::HttpsClient,
}

impl Client {
    pub fn new(server: &str, cert: &Path, key: &Path, ca: &Path, net: &NetArgs, quiet: bool) -> anyhow::Result<Self> {
        let read = |p: &Path| std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()));
        let config = ier_pki::client_config(&read(cert)?, &read(key)?, &read(ca)?)
            .context("the certificate, key or CA is not usable")?;
        let timeouts = ier_pki::Timeouts {
            connect: Duration::from_secs_f64(net.connect_timeout),
            request: Duration::from_secs_f64(net.request_timeout),
        };
        let retry = ier_pki::Retry { attempts: net.attempts, ..ier_pki::Retry::default() };
        let mut https =
            ier_pki::HttpsClient::new(server, config).context("--server")?.with_timeouts(timeouts).with_retry(retry);
        if !quiet {
            https = https.with_progress(std::sync::Arc::new(|line: &str| eprintln!("{line}")));
        }
        Ok(Self { https })
    }

    /// The HTTPS client underneath, for bodies other than JSON.
    pub fn https(&mut self) -> &mut ier_pki::HttpsClient {
        &mut self.https
    }

    /// A request, retried if its method may be repeated; returns the status and the JSON body (Null when empty).
    pub async fn call(&mut self, method: &str, path: &str, body: Option<&Value>) -> anyhow::Result<(u16, Value)> {
        let json = body.map(serde_json::to_vec).transpose()?;
        let (status, bytes) = self.https.call(method, path, json).await.context("the EMS API")?;
        Self::parse(status, &bytes)
    }

    /// A request the API makes idempotent whatever its method, retried like a read.
    pub async fn call_idempotent(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<(u16, Value)> {
        let json = body.map(serde_json::to_vec).transpose()?;
        let (status, bytes) = self.https.call_idempotent(method, path, json).await.context("the EMS API")?;
        Self::parse(status, &bytes)
    }

    fn parse(status: u16, bytes: &[u8]) -> anyhow::Result<(u16, Value)> {
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(bytes)
                .with_context(|| format!("the EMS API answered {status} with a body that is not JSON"))?
        };
        Ok((status, value))
    }
}

fn problem(status: u16, body: &Value) -> anyhow::Error {
    let detail = body.get("detail").and_then(Value::as_str).unwrap_or("(no detail)");
    anyhow::anyhow!("the EMS API answered {status}: {detail}")
}

/// The output directory: the JSON files and the CSV summary, with what it already holds.
struct Output {
    dir: PathBuf,
    csv: std::fs::File,
    in_csv: HashSet<String>,
}

const CSV_HEADER: &str = "reference,submitted_at,gss_code,kind,language,verification,received_at\n";

impl Output {
    fn open(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir.join("applications")).with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join("applications.csv");
        let existing = std::fs::read_to_string(&path).unwrap_or_default();
        // A line cut short by a crash is dropped when the file is reopened.
        let complete: Vec<&str> = existing.split_inclusive('\n').filter(|l| l.ends_with('\n')).collect();
        let in_csv: HashSet<String> =
            complete.iter().skip(1).filter_map(|l| l.split(',').next()).map(str::to_owned).collect();
        if complete.concat().len() != existing.len() || existing.is_empty() {
            let text = if complete.is_empty() { CSV_HEADER.to_owned() } else { complete.concat() };
            write_atomically(&path, text.as_bytes())?;
        }
        let csv = std::fs::OpenOptions::new().append(true).open(&path)?;
        Ok(Self { dir: dir.to_owned(), csv, in_csv })
    }

    /// Durably record one application.
    fn write(&mut self, app: &Value) -> anyhow::Result<String> {
        let reference = app["reference"].as_str().context("an application without a reference")?.to_owned();
        if reference.is_empty() || !reference.chars().all(|c| c.is_ascii_alphanumeric()) {
            bail!("an application with an unusable reference");
        }
        let file = self.dir.join("applications").join(format!("{reference}.json"));
        write_atomically(&file, &serde_json::to_vec_pretty(app)?)?;
        if !self.in_csv.contains(&reference) {
            let field = |k: &str| app[k].as_str().unwrap_or("").replace(',', " ");
            let line = format!(
                "{reference},{},{},{},{},{},{}\n",
                field("submittedAt"),
                field("gssCode"),
                field("kind"),
                field("language"),
                app["verification"]["status"].as_str().unwrap_or(""),
                chrono::Utc::now().to_rfc3339()
            );
            self.csv.write_all(line.as_bytes())?;
            self.csv.sync_data()?;
            self.in_csv.insert(reference.clone());
        }
        Ok(reference)
    }
}

/// Write a file so that it is either wholly there or not at all, and on disk.
fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// What one poll did.
#[derive(Debug, Default)]
pub struct PollReport {
    pub fetched: u64,
    pub confirmed: u64,
    pub checks_answered: u64,
    /// Determinations read from the feed (its own, and those made in the ERO portal).
    pub determinations: u64,
}

async fn poll_loop(args: PollArgs) -> anyhow::Result<()> {
    if !(1..=200).contains(&args.page_size) {
        bail!("--page-size must be from 1 to 200");
    }
    let mut client = Client::new(&args.server, &args.cert, &args.key, &args.ca, &args.net, args.quiet)?;
    let mut out = Output::open(&args.out)?;
    let register = args.register.as_deref().map(Register::load).transpose()?;
    let abort_after: Option<u64> = std::env::var("IER_EMS_POLL_ABORT_AFTER").ok().and_then(|v| v.parse().ok());
    loop {
        let report = match poll_once(&mut client, &mut out, register.as_ref(), args.page_size, abort_after).await {
            Ok(report) => report,
            // Polling for good: a poll that failed (after its retries) is tried again at the next interval.
            Err(e) if !args.once => {
                eprintln!("this poll failed: {e:#}; polling again in {} s", args.interval);
                tokio::time::sleep(Duration::from_secs(args.interval)).await;
                continue;
            }
            Err(e) => return Err(e),
        };
        if !args.quiet {
            println!(
                "fetched {} applications, confirmed {}, answered {} register checks, read {} determinations; output in {}",
                report.fetched,
                report.confirmed,
                report.checks_answered,
                report.determinations,
                args.out.display()
            );
        }
        if args.once {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_secs(args.interval)).await;
    }
}

async fn poll_once(
    client: &mut Client,
    out: &mut Output,
    register: Option<&Register>,
    page_size: u32,
    abort_after: Option<u64>,
) -> anyhow::Result<PollReport> {
    let mut report = PollReport::default();
    loop {
        let (status, page) = client.call("GET", &format!("/v1/applications?pageSize={page_size}"), None).await?;
        if status != 200 {
            return Err(problem(status, &page));
        }
        let apps = page["applications"].as_array().cloned().unwrap_or_default();
        if apps.is_empty() {
            break;
        }
        let mut receipts = Vec::with_capacity(apps.len());
        for app in &apps {
            let reference = out.write(app)?;
            report.fetched += 1;
            if abort_after == Some(report.fetched) {
                eprintln!("IER_EMS_POLL_ABORT_AFTER: stopping after writing {reference}, before confirming it");
                std::process::exit(75);
            }
            receipts.push(json!({"reference": reference, "status": "success"}));
        }
        // Every application of the page is on disk: confirm the page in one request.
        // Confirming twice is harmless, so a lost answer is asked again.
        let (status, body) =
            client.call_idempotent("POST", "/v1/receipts", Some(&json!({ "receipts": receipts }))).await?;
        if status != 200 {
            return Err(problem(status, &body));
        }
        for r in body["results"].as_array().into_iter().flatten() {
            match r["outcome"].as_str() {
                Some("confirmed" | "already-confirmed") => report.confirmed += 1,
                _ => bail!("the EMS API did not confirm {}", r["reference"]),
            }
        }
    }
    if let Some(register) = register {
        report.checks_answered = answer_checks(client, out, register).await?;
    }
    report.determinations = read_determinations(client, out, page_size).await?;
    Ok(report)
}

const DETERMINATIONS_HEADER: &str = "reference,decision,reasons,at,registered_from\n";

/// Read the determinations feed on from where the last poll stopped (`determinations.cursor`),
/// appending each to `determinations.csv` (on disk before the cursor moves past it: a crash
/// between the two reads it again, so a line may repeat, never be missed).
async fn read_determinations(client: &mut Client, out: &Output, page_size: u32) -> anyhow::Result<u64> {
    let cursor_file = out.dir.join("determinations.cursor");
    let csv_path = out.dir.join("determinations.csv");
    let mut cursor: u64 = std::fs::read_to_string(&cursor_file).ok().and_then(|s| s.trim().parse().ok()).unwrap_or(0);
    if !csv_path.exists() {
        write_atomically(&csv_path, DETERMINATIONS_HEADER.as_bytes())?;
    } else if let Some(Ok(first)) =
        std::io::BufRead::lines(std::io::BufReader::new(std::fs::File::open(&csv_path)?)).next()
        && format!("{first}\n") != DETERMINATIONS_HEADER
    {
        bail!(
            "{} has other columns than this version writes ({}): move it away and poll again",
            csv_path.display(),
            DETERMINATIONS_HEADER.trim_end()
        );
    }
    let mut csv = std::fs::OpenOptions::new().append(true).open(&csv_path)?;
    let mut read = 0;
    loop {
        let (status, page) =
            client.call("GET", &format!("/v1/determinations?pageSize={page_size}&after={cursor}"), None).await?;
        if status != 200 {
            return Err(problem(status, &page));
        }
        let items = page["determinations"].as_array().cloned().unwrap_or_default();
        if items.is_empty() {
            return Ok(read);
        }
        for d in &items {
            let field = |k: &str| d[k].as_str().unwrap_or("").replace([',', '\n', '\r'], " ");
            let reasons: Vec<&str> = d["reasons"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
            let line = format!(
                "{},{},{},{},{}\n",
                field("reference"),
                field("decision"),
                reasons.join(" "),
                field("at"),
                field("registeredFrom")
            );
            csv.write_all(line.as_bytes())?;
            read += 1;
        }
        csv.sync_data()?;
        let next: u64 =
            page["next"].as_str().and_then(|s| s.parse().ok()).context("a determinations page without next")?;
        if next <= cursor {
            bail!("the determinations feed did not move on");
        }
        cursor = next;
        write_atomically(&cursor_file, cursor.to_string().as_bytes())?;
    }
}

/// A council's register, for answering register checks.
pub struct Register {
    electors: Vec<Elector>,
}

struct Elector {
    key: (String, String),
    date_of_birth: Option<String>,
    gss_code: Option<String>,
    candidate: Value,
}

impl Register {
    fn load(path: &Path) -> anyhow::Result<Self> {
        let mut reader = csv::Reader::from_path(path).with_context(|| format!("opening {}", path.display()))?;
        let headers = reader.headers()?.clone();
        let col = |name: &str| headers.iter().position(|h| h == name);
        let need = |name: &str| col(name).ok_or_else(|| anyhow::anyhow!("{}: no `{name}` column", path.display()));
        let (id, given, surname, street, postcode, franchise) = (
            need("ems_elector_id")?,
            need("given_name")?,
            need("surname")?,
            need("street")?,
            need("postcode")?,
            need("franchise_code")?,
        );
        let (dob, uprn, property, from, until, gss) = (
            col("date_of_birth"),
            col("uprn"),
            col("property"),
            col("registered_from"),
            col("registered_until"),
            col("gss_code"),
        );
        let mut electors = Vec::new();
        for (i, row) in reader.records().enumerate() {
            let row = row.with_context(|| format!("{}: line {}", path.display(), i + 2))?;
            let get = |c: Option<usize>| c.and_then(|c| row.get(c)).map(str::trim).filter(|s| !s.is_empty());
            let opt = |c: Option<usize>| get(c).map(|s| Value::String(s.to_owned())).unwrap_or(Value::Null);
            electors.push(Elector {
                key: (normalise_name(get(Some(given)).unwrap_or("")), normalise_name(get(Some(surname)).unwrap_or(""))),
                date_of_birth: get(dob).map(str::to_owned),
                gss_code: get(gss).map(str::to_owned),
                candidate: json!({
                    "emsElectorId": get(Some(id)).unwrap_or(""),
                    "givenName": get(Some(given)).unwrap_or(""),
                    "surname": get(Some(surname)).unwrap_or(""),
                    "dateOfBirth": opt(dob),
                    "uprn": opt(uprn),
                    "property": opt(property),
                    "street": get(Some(street)).unwrap_or(""),
                    "postcode": get(Some(postcode)).unwrap_or(""),
                    "franchiseCode": get(Some(franchise)).unwrap_or(""),
                    "registeredFrom": opt(from),
                    "registeredUntil": opt(until),
                }),
            });
        }
        Ok(Self { electors })
    }

    /// Electors with the same names (and date of birth, when both have one) in the council.
    fn search(&self, check: &Value) -> Vec<&Value> {
        let key = (
            normalise_name(check["name"]["givenName"].as_str().unwrap_or("")),
            normalise_name(check["name"]["surname"].as_str().unwrap_or("")),
        );
        let dob = check["dateOfBirth"].as_str();
        let gss = check["gssCode"].as_str();
        self.electors
            .iter()
            .filter(|e| e.key == key)
            .filter(|e| e.gss_code.is_none() || e.gss_code.as_deref() == gss)
            .filter(|e| match (dob, e.date_of_birth.as_deref()) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            })
            .map(|e| &e.candidate)
            .collect()
    }
}

async fn answer_checks(client: &mut Client, out: &mut Output, register: &Register) -> anyhow::Result<u64> {
    let log_path = out.dir.join("register-checks.csv");
    let fresh = !log_path.exists();
    let mut log = std::fs::OpenOptions::new().create(true).append(true).open(&log_path)?;
    if fresh {
        log.write_all(b"id,reference,match_count,result\n")?;
    }
    let mut answered = 0;
    loop {
        let (status, page) = client.call("GET", "/v1/register-checks?pageSize=200", None).await?;
        if status != 200 {
            return Err(problem(status, &page));
        }
        let checks = page["registerChecks"].as_array().cloned().unwrap_or_default();
        if checks.is_empty() {
            return Ok(answered);
        }
        for check in &checks {
            let id = check["id"].as_str().context("a register check without an id")?;
            let found = register.search(check);
            let matches: Vec<&Value> = if found.len() <= 10 { found.clone() } else { Vec::new() };
            let body = json!({
                "gssCode": check["gssCode"],
                "matchCount": found.len(),
                "matches": matches,
            });
            let (status, outcome) =
                client.call_idempotent("POST", &format!("/v1/register-checks/{id}"), Some(&body)).await?;
            // 409: answered already (by us, before a crash): nothing to do.
            if status != 201 && status != 409 {
                return Err(problem(status, &outcome));
            }
            let result = outcome["result"].as_str().unwrap_or("already-answered");
            writeln!(log, "{id},{},{},{result}", check["reference"].as_str().unwrap_or(""), found.len())?;
            log.sync_data()?;
            answered += 1;
        }
    }
}
