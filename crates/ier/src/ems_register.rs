//! `ier ems register ...`: the reference EMS client's side of data matching
//! (the canvass's national data matching step, or confirming a whole register)
//! over the EMS API's `/v1/matching-runs`.
//!
//! - `upload --file REGISTER.csv`: start a run, upload the register in pages
//!   (the columns `ier match link` reads: `id` is the elector number, and an
//!   optional `uprn`), queue the match against DWP, and with `--wait` follow its
//!   progress;
//! - `local-data --run ID --file LOCAL.csv --column FIELD=COLUMN...`: upload a
//!   local data file (council tax, benefits) in parts, each with the header, and
//!   queue the match of the electors DWP did not match against it;
//! - `results --run ID --out RESULTS.csv [--properties PROPERTIES.csv]`: wait
//!   for the match, then write a row per elector (matched, by what, level,
//!   probability, property) and per property (its electors, its canvass route).
//!
//! Progress is a bar on a terminal, a line every few seconds otherwise. Rows that
//! cannot be read are counted and reported by line, never quoted.

use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use serde_json::{Value, json};

use crate::ems_client::{Client, NetArgs};

#[derive(Subcommand)]
pub enum Register {
    /// Start a data matching run: upload the register, then queue its match against DWP.
    Upload(UploadArgs),
    /// Upload local data (council tax, benefits) to a run, and match the electors DWP did not.
    LocalData(LocalArgs),
    /// Wait for a run's match, then write its results per elector (and per property).
    Results(ResultsArgs),
}

#[derive(Args)]
pub struct Connection {
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
    #[command(flatten)]
    net: NetArgs,
}

impl Connection {
    fn client(&self) -> anyhow::Result<Client> {
        Client::new(&self.server, &self.cert, &self.key, &self.ca, &self.net, false)
    }
}

#[derive(Args)]
pub struct UploadArgs {
    #[command(flatten)]
    conn: Connection,
    /// The register: CSV with `id` (the elector number), names, `date_of_birth`, `nino`,
    /// address lines, `town`, `postcode` (as `ier match link` reads), and an optional `uprn`.
    #[arg(long)]
    file: PathBuf,
    /// canvass or confirmation.
    #[arg(long, default_value = "canvass")]
    purpose: String,
    /// Electors a page (1 to 10,000).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    page_size: u32,
    /// Follow the match until it has finished.
    #[arg(long)]
    wait: bool,
}

#[derive(Args)]
pub struct LocalArgs {
    #[command(flatten)]
    conn: Connection,
    /// The run's id (from `upload`).
    #[arg(long)]
    run: String,
    /// The local data file (CSV with a header row).
    #[arg(long)]
    file: PathBuf,
    /// council-tax, benefits or other.
    #[arg(long, default_value = "council-tax")]
    source: String,
    /// Which column holds what, e.g. `surname=SURNAME` (repeat): fullName, givenName, middleNames,
    /// surname, dateOfBirth, nino, address (columns comma-separated), town, postcode, uprn.
    #[arg(long = "column", required = true)]
    columns: Vec<String>,
    /// Bytes a part (each with the header), at most 16 MiB.
    #[arg(long, default_value_t = 8 << 20)]
    part_bytes: usize,
    /// Follow the match until it has finished.
    #[arg(long)]
    wait: bool,
}

#[derive(Args)]
pub struct ResultsArgs {
    #[command(flatten)]
    conn: Connection,
    /// The run's id (from `upload`).
    #[arg(long)]
    run: String,
    /// Where the results per elector go (CSV).
    #[arg(long)]
    out: PathBuf,
    /// Where the properties and their canvass routes go (CSV).
    #[arg(long)]
    properties: Option<PathBuf>,
}

pub fn run(cmd: Register) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    match cmd {
        Register::Upload(args) => rt.block_on(upload(args)),
        Register::LocalData(args) => rt.block_on(local_data(args)),
        Register::Results(args) => rt.block_on(results(args)),
    }
}

/// A progress bar on stderr: redrawn in place on a terminal, a line every 5 seconds otherwise.
pub struct Bar {
    what: &'static str,
    tty: bool,
    last: Option<Instant>,
    started: Instant,
}

impl Bar {
    pub fn new(what: &'static str) -> Self {
        Self { what, tty: std::io::stderr().is_terminal(), last: None, started: Instant::now() }
    }

    pub fn show(&mut self, done: u64, total: Option<u64>) {
        let every = if self.tty { Duration::from_millis(100) } else { Duration::from_secs(5) };
        if self.last.is_some_and(|l| l.elapsed() < every) {
            return;
        }
        self.last = Some(Instant::now());
        let line = self.line(done, total);
        if self.tty {
            eprint!("\r\x1b[2K{line}");
        } else {
            eprintln!("{line}");
        }
    }

    fn line(&self, done: u64, total: Option<u64>) -> String {
        let secs = self.started.elapsed().as_secs_f64();
        match total {
            Some(total) if total > 0 => {
                let share = (done as f64 / total as f64).clamp(0.0, 1.0);
                let filled = (share * 30.0).round() as usize;
                format!(
                    "{} [{}{}] {:>5.1}% {done}/{total} ({secs:.0} s)",
                    self.what,
                    "#".repeat(filled),
                    "-".repeat(30 - filled),
                    share * 100.0
                )
            }
            _ if self.what == "matching" => format!("matching: waiting for a worker ({secs:.0} s)"),
            _ => format!("{}: {done} ({secs:.0} s)", self.what),
        }
    }

    pub fn finish(&mut self, done: u64, total: Option<u64>) {
        let line = self.line(done, total);
        if self.tty {
            eprintln!("\r\x1b[2K{line}");
        } else {
            eprintln!("{line}");
        }
    }
}

fn problem(status: u16, body: &Value) -> anyhow::Error {
    let detail = body.get("detail").and_then(Value::as_str).unwrap_or("(no detail)");
    anyhow::anyhow!("the EMS API answered {status}: {detail}")
}

fn run_path(run: &str) -> anyhow::Result<String> {
    if ier_storage::matching::RunId::parse(run).is_none() {
        bail!("--run: not a matching run id (mr- and 20 letters and digits)");
    }
    Ok(format!("/v1/matching-runs/{run}"))
}

/// An elector as the API takes it (`ElectorPage`'s items), borrowed from the row it was read from.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct WireElector<'a> {
    elector_number: &'a str,
    given_name: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    middle_names: &'a str,
    surname: &'a str,
    address_lines: &'a [&'a str],
    #[serde(skip_serializing_if = "str::is_empty")]
    town: &'a str,
    postcode: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    date_of_birth: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    nino: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    uprn: Option<u64>,
}

/// Write one elector of the register file, as the API takes it, to a page's JSON body.
fn write_elector(body: &mut Vec<u8>, r: &ier_match::InputRecord<'_>, uprn: Option<&str>) -> anyhow::Result<()> {
    let both = [r.address_line_1, r.address_line_2];
    // The lines given; at least one, as the API asks (an empty one when the file has none).
    let lines: &[&str] = match (r.address_line_1.is_empty(), r.address_line_2.is_empty()) {
        (false, false) => &both,
        (false, true) => &both[..1],
        (true, false) => &both[1..],
        (true, true) => &[""],
    };
    let elector = WireElector {
        elector_number: r.id,
        given_name: r.given_name,
        middle_names: r.middle_names,
        surname: r.surname,
        address_lines: lines,
        town: r.town,
        postcode: r.postcode,
        date_of_birth: r.date_of_birth,
        nino: r.nino,
        uprn: uprn.and_then(|u| u.trim().parse::<u64>().ok()),
    };
    serde_json::to_writer(body, &elector)?;
    Ok(())
}

/// A page of the register ready to send: its electors, the JSON body, and how far into the
/// file it reaches (bytes).
struct ReadPage {
    electors: u64,
    body: Vec<u8>,
    read: u64,
    /// It holds an elector number an earlier page held: it is sent once every earlier page
    /// has been stored, so the later elector stands.
    after_earlier: bool,
}

/// A page being sent on its own connection: the connection back, the page's electors and
/// reach into the file, and the answer.
type Sending = tokio::task::JoinHandle<(Client, u64, u64, anyhow::Result<(u16, axum::body::Bytes)>)>;

/// An upload's progress.
struct Uploaded {
    sent: u64,
    skipped_values: u64,
    electors: u64,
    file_bytes: u64,
    bar: Bar,
    idle: Vec<Client>,
}

impl Uploaded {
    /// Take the answer to the oldest page in flight.
    async fn settle(&mut self, sending: Sending) -> anyhow::Result<()> {
        let (client, n, read, answer) = sending.await.context("sending a page")?;
        self.idle.push(client);
        let (status, answer) = answer.context("the EMS API")?;
        let answer: Value = serde_json::from_slice(&answer).unwrap_or(Value::Null);
        if status != 200 {
            return Err(problem(status, &answer));
        }
        self.sent += n;
        self.skipped_values += answer["valuesSkipped"].as_array().map_or(0, |a| a.len() as u64);
        // Two pages in flight may be stored in either order: the larger count is the later.
        self.electors = self.electors.max(answer["electors"].as_u64().unwrap_or(0));
        // Electors sent so far, of about as many as the bytes read so far say the file holds.
        let estimate = (self.sent as f64 * self.file_bytes as f64 / read.max(1) as f64).round() as u64;
        self.bar.show(self.sent, (self.file_bytes > 0).then_some(estimate.max(self.sent)));
        Ok(())
    }
}

/// Read the register into pages of `page_size` on this thread, sending each to `pages` as it
/// is ready (so the next page is read while one is being sent); what could not be read.
fn read_pages(
    mut reader: csv::Reader<std::io::BufReader<std::fs::File>>,
    layout: ier_match::rows::Layout,
    uprn_column: Option<usize>,
    page_size: usize,
    pages: tokio::sync::mpsc::Sender<ReadPage>,
) -> anyhow::Result<ier_match::rows::Skipped> {
    let options = ier_match::Options::default();
    let mut skipped = ier_match::rows::Skipped::default();
    // `{"electors":[...],"position":N}`, each elector written as its row is read.
    let start = |body: &mut Vec<u8>| body.extend_from_slice(br#"{"electors":["#);
    let mut body: Vec<u8> = Vec::new();
    start(&mut body);
    let mut electors = 0usize;
    // The numbers of this page, and of the pages before it, as 64-bit hashes: a page that
    // holds an earlier page's number (or, far more rarely, one whose hash is the same) waits.
    let mut page_numbers: Vec<u64> = Vec::with_capacity(page_size);
    let mut sent: std::collections::HashSet<u64> = std::collections::HashSet::new();
    let mut position = 0i32;
    let mut row = csv::ByteRecord::new();
    loop {
        let more =
            reader.read_byte_record(&mut row).map_err(|e| anyhow::anyhow!("{}", ier_match::rows::RowError::from(e)))?;
        if more {
            // As `ier match link` reads a file: a value that cannot be read is missing, a row
            // that cannot be is skipped; both counted by line.
            match layout.read_lenient(&row, &options, &mut skipped) {
                Some(r) if ier_storage::persons::elector_number(r.id).is_some() => {
                    let uprn = uprn_column.and_then(|c| row.get(c)).and_then(|u| std::str::from_utf8(u).ok());
                    if electors > 0 {
                        body.push(b',');
                    }
                    write_elector(&mut body, &r, uprn)?;
                    electors += 1;
                    page_numbers.push(ier_match::hash::hash_bytes(r.id.as_bytes()));
                }
                Some(_) => skipped.add("row", "an id that is not an elector number", layout.line(&row)),
                None => {}
            }
        }
        if electors == page_size || (!more && electors > 0) {
            position += 1;
            body.extend_from_slice(format!(r#"],"position":{position}}}"#).as_bytes());
            let after_earlier = page_numbers.iter().any(|n| sent.contains(n));
            sent.extend(page_numbers.drain(..));
            let capacity = body.capacity();
            let ready = ReadPage {
                electors: electors as u64,
                body: std::mem::replace(&mut body, Vec::with_capacity(capacity)),
                read: reader.position().byte(),
                after_earlier,
            };
            if pages.blocking_send(ready).is_err() {
                break;
            }
            start(&mut body);
            electors = 0;
        }
        if !more {
            break;
        }
    }
    Ok(skipped)
}

async fn upload(args: UploadArgs) -> anyhow::Result<()> {
    let mut client = args.conn.client()?;
    let mut file = std::fs::File::open(&args.file).with_context(|| format!("opening {}", args.file.display()))?;
    let file_bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
    let crlf = crate::match_cmd::ends_lines_with_crlf(&mut file)?;
    // Flexible: a row with the wrong number of fields is counted and skipped, not the end.
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(std::io::BufReader::new(file));
    let headers = reader.byte_headers().context("reading the register's header")?.clone();
    let options = ier_match::Options::default();
    let layout = ier_match::rows::Layout::read(&headers, &options)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?
        .with_crlf(crlf);
    let uprn_column = headers.iter().position(|h| h.eq_ignore_ascii_case(b"uprn"));
    let (status, run) = client.call("POST", "/v1/matching-runs", Some(&json!({ "purpose": args.purpose }))).await?;
    if status != 201 {
        return Err(problem(status, &run));
    }
    let id = run["id"].as_str().context("the API gave no run id")?.to_owned();
    eprintln!("run {id}: uploading {}", args.file.display());
    let path = format!("/v1/matching-runs/{id}/electors");
    let bar = Bar::new("uploading");
    let (tx, mut pages) = tokio::sync::mpsc::channel::<ReadPage>(2);
    let page_size = args.page_size as usize;
    let reading = std::thread::spawn(move || read_pages(reader, layout, uprn_column, page_size, tx));
    // Two pages in flight, each on its own connection: the service stores one while it reads
    // the other. Answers are taken in the order sent.
    let mut up = Uploaded { sent: 0, skipped_values: 0, electors: 0, file_bytes, bar, idle: vec![client] };
    let mut in_flight: std::collections::VecDeque<Sending> = std::collections::VecDeque::new();
    loop {
        let page = pages.recv().await;
        // Room for one more; none for a page holding an earlier page's number, nor at the end.
        let keep = match &page {
            Some(p) if !p.after_earlier => 1,
            _ => 0,
        };
        while in_flight.len() > keep {
            let oldest = in_flight.pop_front().expect("in flight");
            up.settle(oldest).await?;
        }
        let Some(page) = page else { break };
        let mut c = match up.idle.pop() {
            Some(c) => c,
            None => args.conn.client()?,
        };
        let path = path.clone();
        in_flight.push_back(tokio::spawn(async move {
            let answer = c.https().call_idempotent("POST", &path, Some(page.body)).await.map_err(anyhow::Error::from);
            (c, page.electors, page.read, answer)
        }));
    }
    let Uploaded { sent, skipped_values, electors, mut bar, idle, .. } = up;
    let mut client = idle.into_iter().next().expect("a connection");
    let skipped = reading
        .join()
        .map_err(|_| anyhow::anyhow!("reading the register failed"))?
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?;
    bar.finish(sent, Some(sent));
    if !skipped.is_empty() {
        eprintln!(
            "{}: {} row(s) not sent and {} value(s) sent as missing, as they could not be read:",
            args.file.display(),
            skipped.rows(),
            skipped.values()
        );
        for line in skipped.lines() {
            eprintln!("  {line}");
        }
    }
    if skipped_values > 0 {
        eprintln!(
            "{skipped_values} value(s) read as missing by the service (dates that do not exist, NINOs that are not)"
        );
    }
    let (status, answer) =
        client.call("POST", &format!("/v1/matching-runs/{id}/matches"), Some(&json!({ "against": "dwp" }))).await?;
    if status != 202 {
        return Err(problem(status, &answer));
    }
    eprintln!("run {id}: {electors} electors uploaded; match against DWP queued");
    println!("{id}");
    if args.wait {
        wait(&mut client, &id).await?;
    }
    Ok(())
}

/// Follow a run until its match has finished.
async fn wait(client: &mut Client, id: &str) -> anyhow::Result<Value> {
    let mut bar = Bar::new("matching");
    // Often while matching; less and less often while queued behind other EROs' runs (350 EMS
    // waiting at once would otherwise keep the service busy answering them).
    let mut queued_polls = 0u32;
    loop {
        let (status, run) = client.call("GET", &format!("/v1/matching-runs/{id}"), None).await?;
        if status != 200 {
            return Err(problem(status, &run));
        }
        let (done, total) = (run["progress"]["done"].as_u64().unwrap_or(0), run["progress"]["total"].as_u64());
        match run["state"].as_str() {
            Some("matched") => {
                bar.finish(total.unwrap_or(done), total);
                return Ok(run);
            }
            Some("failed") => {
                bar.finish(done, total);
                bail!("the run's match failed: {}", run["error"].as_str().unwrap_or("(no reason given)"));
            }
            Some("uploading") => bail!("the run has no match queued"),
            Some("queued") => {
                bar.show(0, None);
                queued_polls += 1;
            }
            _ => {
                bar.show(done, total);
                queued_polls = 0;
            }
        }
        // A tenth of a second while its own match runs (one run an instance matches at a
        // time, so few clients poll this often): the results are read soon after they are.
        let pause = if queued_polls == 0 && run["state"].as_str() == Some("matching") {
            100
        } else {
            250u64 << queued_polls.saturating_sub(1).min(3)
        };
        tokio::time::sleep(Duration::from_millis(pause)).await;
    }
}

async fn local_data(args: LocalArgs) -> anyhow::Result<()> {
    let base = run_path(&args.run)?;
    if args.part_bytes == 0 || args.part_bytes > 16 << 20 {
        bail!("--part-bytes must be from 1 to 16 MiB");
    }
    let mut query = vec![format!("source={}", encode(&args.source))];
    for c in &args.columns {
        let (field, column) = c.split_once('=').with_context(|| "--column takes FIELD=COLUMN, e.g. surname=SURNAME")?;
        query.push(format!("{}={}", encode(field.trim()), encode(column.trim())));
    }
    let path = format!("{base}/local-data?{}", query.join("&"));
    let data = std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let parts = split_csv(&data, args.part_bytes)?;
    let mut client = args.conn.client()?;
    let mut bar = Bar::new("uploading local data");
    let (mut stored, mut rows_skipped, mut values_skipped, mut total) = (0u64, 0u64, 0u64, 0u64);
    let mut line_base = 0u64;
    for (part, lines) in &parts {
        // A part is sent once: sending it again would store its records twice.
        let (status, answer) = client.https().call_with("POST", &path, part.clone(), "text/csv", false).await?;
        let answer: Value = serde_json::from_slice(&answer).unwrap_or(Value::Null);
        if status != 200 {
            return Err(problem(status, &answer));
        }
        stored += answer["stored"].as_u64().unwrap_or(0);
        rows_skipped += answer["rowsSkipped"].as_u64().unwrap_or(0);
        values_skipped += answer["valuesSkipped"].as_u64().unwrap_or(0);
        total = answer["localRecords"].as_u64().unwrap_or(total);
        for p in answer["problems"].as_array().into_iter().flatten() {
            // Lines in the part (1: its header) back to lines in the file.
            let line = p["line"].as_u64().unwrap_or(0) + line_base;
            let column = p["column"].as_str().map(|c| format!(" {c}")).unwrap_or_default();
            eprintln!("  {}: line {line}{column}: {}", args.file.display(), p["reason"].as_str().unwrap_or(""));
        }
        line_base += lines;
        bar.show(stored, None);
    }
    bar.finish(stored, None);
    eprintln!(
        "{stored} local records stored ({total} in the run); {rows_skipped} row(s) skipped and {values_skipped} value(s) read as missing"
    );
    let (status, answer) =
        client.call("POST", &format!("{base}/matches"), Some(&json!({ "against": "local-data" }))).await?;
    if status != 202 {
        return Err(problem(status, &answer));
    }
    eprintln!("match against local data queued");
    if args.wait {
        wait(&mut client, &args.run).await?;
    }
    Ok(())
}

/// Percent-encode a query value.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Split a CSV file into parts of about `max` bytes, each starting with the header and
/// ending at a record's end (quoted line breaks kept whole); each with its count of lines
/// after the header.
fn split_csv(data: &[u8], max: usize) -> anyhow::Result<Vec<(Vec<u8>, u64)>> {
    let mut ends = Vec::new();
    let mut quoted = false;
    for (i, &b) in data.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => ends.push(i + 1),
            _ => {}
        }
    }
    if ends.last() != Some(&data.len()) && !data.is_empty() {
        ends.push(data.len());
    }
    let Some(&header_end) = ends.first() else { bail!("the file is empty") };
    let header = &data[..header_end];
    let mut parts = Vec::new();
    let newlines = |part: &[u8]| part.iter().filter(|&&b| b == b'\n').count() as u64;
    let (mut start, mut last_end) = (header_end, header_end);
    for &end in &ends[1..] {
        if end - start + header.len() > max && last_end > start {
            parts.push(([header, &data[start..last_end]].concat(), newlines(&data[start..last_end])));
            start = last_end;
        }
        last_end = end;
    }
    if last_end > start {
        parts.push(([header, &data[start..last_end]].concat(), newlines(&data[start..last_end])));
    }
    if parts.is_empty() {
        bail!("the file has no rows under its header");
    }
    Ok(parts)
}

/// A page of results as the API gives it (`ResultPage`; its `next` is read on its own).
#[derive(serde::Deserialize)]
struct WireResults {
    results: Vec<WireResult>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireResult {
    elector_number: String,
    matched: bool,
    dwp: Option<WireOutcome>,
    local_data: Option<WireOutcome>,
    property: Option<u32>,
}

#[derive(serde::Deserialize)]
struct WireOutcome {
    result: String,
    level: Option<String>,
    probability: Option<f64>,
}

/// A page of properties as the API gives it (`PropertyPage`).
#[derive(serde::Deserialize)]
struct WireProperties {
    properties: Vec<WireProperty>,
    next: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireProperty {
    property: u32,
    elector_numbers: Vec<String>,
    matched: u32,
    route: String,
}

/// Every property of a run into `out`; how many are on route 1 and route 2.
async fn fetch_properties(
    mut client: Client,
    base: String,
    mut out: BufWriter<std::fs::File>,
) -> anyhow::Result<[u64; 2]> {
    writeln!(out, "property,route,electors,matched,elector_numbers")?;
    let (mut after, mut routes) = (None::<String>, [0u64; 2]);
    loop {
        let q = after.as_ref().map(|a| format!("&after={a}")).unwrap_or_default();
        let path = format!("{base}/properties?pageSize=10000{q}");
        let (status, body) = client.https().call("GET", &path, None).await.context("the EMS API")?;
        if status != 200 {
            return Err(problem(status, &serde_json::from_slice(&body).unwrap_or(Value::Null)));
        }
        let page: WireProperties = serde_json::from_slice(&body).context("the EMS API's properties")?;
        for p in &page.properties {
            routes[usize::from(p.route == "route-2")] += 1;
            writeln!(
                out,
                "{},{},{},{},{}",
                p.property,
                p.route,
                p.elector_numbers.len(),
                p.matched,
                p.elector_numbers.join(";")
            )?;
        }
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    out.flush()?;
    Ok(routes)
}

async fn results(args: ResultsArgs) -> anyhow::Result<()> {
    let base = run_path(&args.run)?;
    let mut client = args.conn.client()?;
    let run = wait(&mut client, &args.run).await?;
    let total = run["electors"].as_u64();
    let mut out = BufWriter::new(create(&args.out)?);
    writeln!(
        out,
        "elector_number,matched,dwp_result,dwp_level,dwp_probability,local_result,local_level,local_probability,property"
    )?;
    // Properties on a connection of their own, beside the results.
    let properties = match &args.properties {
        Some(path) => {
            let out = BufWriter::new(create(path)?);
            let client = args.conn.client()?;
            Some((path.clone(), tokio::spawn(fetch_properties(client, base.clone(), out))))
        }
        None => None,
    };
    // Pages are read and written to the file on a thread of their own while the next is fetched.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<axum::body::Bytes>(2);
    let writer = std::thread::spawn(move || -> anyhow::Result<(BufWriter<std::fs::File>, u64, u64)> {
        let (mut fetched, mut matched, mut bar) = (0u64, 0u64, Bar::new("fetching results"));
        while let Some(body) = rx.blocking_recv() {
            let page: WireResults = serde_json::from_slice(&body).context("the EMS API's results")?;
            for r in &page.results {
                matched += u64::from(r.matched);
                write!(out, "{},{}", r.elector_number, r.matched)?;
                for o in [&r.dwp, &r.local_data] {
                    match o {
                        None => out.write_all(b",,,")?,
                        Some(o) => {
                            write!(out, ",{},{},", o.result, o.level.as_deref().unwrap_or(""))?;
                            if let Some(p) = o.probability {
                                write!(out, "{p:.6}")?;
                            }
                        }
                    }
                }
                match r.property {
                    Some(p) => writeln!(out, ",{p}")?,
                    None => out.write_all(b",\n")?,
                }
                fetched += 1;
            }
            bar.show(fetched, total);
        }
        bar.finish(fetched, total);
        out.flush()?;
        Ok((out, fetched, matched))
    });
    /// Only the cursor of a page of results (the results are skipped over, not kept).
    #[derive(serde::Deserialize)]
    struct Next {
        next: Option<String>,
    }
    let mut after = None::<String>;
    let fetching = async {
        loop {
            let path = match &after {
                None => format!("{base}/results?pageSize=10000"),
                Some(a) => format!("{base}/results?pageSize=10000&after={}", encode(a)),
            };
            let (status, body) = client.https().call("GET", &path, None).await.context("the EMS API")?;
            if status != 200 {
                return Err(problem(status, &serde_json::from_slice(&body).unwrap_or(Value::Null)));
            }
            let next: Next = serde_json::from_slice(&body).context("the EMS API's results")?;
            if tx.send(body).await.is_err() {
                break;
            }
            match next.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        Ok(())
    }
    .await;
    drop(tx);
    let written = writer.join().map_err(|_| anyhow::anyhow!("writing the results failed"))?;
    fetching?;
    let (_, fetched, matched) = written?;
    eprintln!("{fetched} electors, {matched} matched: {}", args.out.display());
    if let Some((path, task)) = properties {
        let routes = task.await.context("fetching properties")??;
        eprintln!("{} properties on route 1, {} on route 2: {}", routes[0], routes[1], path.display());
    }
    Ok(())
}

fn create(path: &Path) -> anyhow::Result<std::fs::File> {
    std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_parts_each_carry_the_header_and_whole_records() {
        let data = b"a,b\n1,\"x\ny\"\n2,z\n3,w";
        let parts = split_csv(data, 12).unwrap();
        let texts: Vec<&str> = parts.iter().map(|(p, _)| std::str::from_utf8(p).unwrap()).collect();
        assert_eq!(texts, vec!["a,b\n1,\"x\ny\"\n", "a,b\n2,z\n3,w"]);
        assert_eq!(parts.iter().map(|p| p.1).collect::<Vec<_>>(), vec![2, 1]);
        assert_eq!(split_csv(data, 1 << 20).unwrap().len(), 1);
        assert!(split_csv(b"a,b\n", 100).is_err());
    }
}
