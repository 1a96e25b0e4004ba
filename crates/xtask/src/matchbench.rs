//! `cargo xtask matchbench`: data matching through the EMS API against `ier match link` on
//! the same files (issue 18's scale targets).
//!
//! 1. **CLI**: `ier match link` links the `confirmation` register (`--size` electors, made by
//!    `ier synth` and shared with `linkbench`) to its reference extract: wall time and peak RSS.
//! 2. **API, one ERO**: a release `ier serve` on SQLite with `IER_DWP_EXTRACT` set to the same
//!    reference; `ier ems register upload --wait` and `ier ems register results --properties`
//!    over mutual TLS, timed end to end (the first run also indexes the reference, as the CLI
//!    does); the server's peak RSS; matched counts beside the CLI's.
//! 3. **API, many at once** (`--eros K`, default 350): the same register split into K parts, one
//!    per ERO (the reference data has 332 EROs: past that, some EROs upload a second run at the
//!    same time), all uploaded, matched and fetched at once; every client must finish with all
//!    its results, and the server's peak RSS is reported.
//!
//! Nothing personal is printed: counts, seconds and kibibytes.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::harness::{ServerSetup, ier_binary};
use crate::linkbench::{measure, synthetic};
use crate::{cargo, root, run};

const USAGE: &str =
    "usage: cargo xtask matchbench [--size N] [--seed S] [--eros K] [--work-dir DIR] [--skip-one] [--skip-many]

  --size N       electors in the register and people in the reference (default 1000000)
  --seed S       synthetic population seed (default 42, as linkbench)
  --eros K       runs uploaded at once in the many-EROs step (default 350)
  --work-dir DIR data and outputs (default target/linkbench, shared with linkbench's files)";

struct Options {
    size: u64,
    seed: u64,
    eros: usize,
    work: PathBuf,
    one: bool,
    many: bool,
}

pub fn main(args: &[String]) -> anyhow::Result<()> {
    let mut o =
        Options { size: 1_000_000, seed: 42, eros: 350, work: root().join("target/linkbench"), one: true, many: true };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().cloned().with_context(|| format!("{a} needs a value\n{USAGE}"));
        match a.as_str() {
            "--size" => o.size = value()?.parse().context("--size")?,
            "--seed" => o.seed = value()?.parse().context("--seed")?,
            "--eros" => o.eros = value()?.parse().context("--eros")?,
            "--work-dir" => o.work = PathBuf::from(value()?),
            "--skip-one" => o.one = false,
            "--skip-many" => o.many = false,
            "--help" | "-h" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => bail!("unknown option {other}\n{USAGE}"),
        }
    }
    if o.eros == 0 {
        bail!("--eros must be at least 1");
    }
    run(cargo().args(["build", "--release", "-p", "ier"]))?;
    let ier = ier_binary();
    std::fs::create_dir_all(&o.work)?;
    let files = synthetic(&ier, &o.work, o.size, o.seed, "confirmation")?;
    let dir = o.work.join(format!("matchbench-{}", o.size));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;

    // 1. The CLI on the files.
    let mut link = Command::new(&ier);
    link.args(["match", "link", "--left"])
        .arg(&files.left)
        .arg("--right")
        .arg(&files.right)
        .arg("--out")
        .arg(dir.join("cli.csv"));
    let cli = measure(link, &dir.join("cli.log"))?;
    if !cli.success {
        bail!("ier match link failed: see {}", dir.join("cli.log").display());
    }
    let cli_links = count_lines(&dir.join("cli.csv"))?.saturating_sub(1);
    println!(
        "CLI   ier match link: {:.1} s, peak RSS {} MiB, {cli_links} electors linked",
        cli.wall.as_secs_f64(),
        cli.peak_rss_kib.unwrap_or(0) / 1024
    );

    if o.one {
        let (wall, rss, matched, properties) = one_ero(&ier, &dir.join("one"), &files.left, &files.right)?;
        println!(
            "API   one ERO: {wall:.1} s upload + match + results ({:.2}× the CLI), server peak RSS {} MiB, {matched} electors matched ({:+} against the CLI), {properties} properties",
            wall / cli.wall.as_secs_f64(),
            rss / 1024,
            matched as i64 - cli_links as i64
        );
    }
    if o.many {
        let (wall, rss, results) = many_eros(&ier, &dir.join("many"), &files.left, &files.right, o.eros)?;
        println!(
            "API   {} runs at once: {wall:.1} s for all ({:.2}× the CLI), server peak RSS {} MiB, {results} results fetched",
            o.eros,
            wall / cli.wall.as_secs_f64(),
            rss / 1024
        );
    }
    Ok(())
}

fn count_lines(path: &Path) -> anyhow::Result<u64> {
    let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(text.iter().filter(|&&b| b == b'\n').count() as u64)
}

/// A server on a fresh SQLite database with the reference as DWP's extract.
fn server(dir: &Path, reference: &Path) -> anyhow::Result<(ServerSetup, crate::harness::Server)> {
    std::fs::create_dir_all(dir)?;
    let url = format!("sqlite:{}", dir.join("ier.db").display());
    let setup = ServerSetup::new(dir, &url)?.with_env("IER_DWP_EXTRACT", &reference.display().to_string());
    let mut server = setup.start()?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(server.wait_ready(Duration::from_secs(120)))?;
    // The service indexes the extract when it starts, as production does; the timings start
    // once it has (the CLI indexes it on every run, within its time).
    let log = dir.join("server.log");
    let started = Instant::now();
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if let Some(line) = text.lines().find(|l| l.contains("DWP reference built")) {
            let seconds = line.split("\"seconds\":").nth(1).and_then(|s| s.split([',', '}']).next()).unwrap_or("?");
            println!("      the service indexed the DWP extract at start in {seconds} s");
            break;
        }
        if started.elapsed() > Duration::from_secs(900) {
            bail!("the server did not index the DWP extract within 15 minutes: see {}", log.display());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok((setup, server))
}

/// A client certificate for `ero`: (cert, key).
fn client_cert(ier: &Path, pki: &Path, out: &Path, ero: &str) -> anyhow::Result<(PathBuf, PathBuf)> {
    let status = Command::new(ier)
        .args(["ero", "cert", "issue", "--ero", ero, "--pki"])
        .arg(pki)
        .arg("--out")
        .arg(out)
        .stdout(std::process::Stdio::null())
        .status()?;
    if !status.success() {
        bail!("ier ero cert issue --ero {ero} failed");
    }
    Ok((out.join(format!("{ero}.pem")), out.join(format!("{ero}.key"))))
}

/// `ier ems register <what>` against the server with `cert`.
fn register_cmd(
    ier: &Path,
    what: &str,
    server: &crate::harness::Server,
    pki: &Path,
    cert: &(PathBuf, PathBuf),
) -> Command {
    let mut c = Command::new(ier);
    c.args(["ems", "register", what])
        .arg("--server")
        .arg(format!("https://{}", server.ems))
        .arg("--cert")
        .arg(&cert.0)
        .arg("--key")
        .arg(&cert.1)
        .arg("--ca")
        .arg(pki.join("ca.pem"))
        .args(["--request-timeout", "600"]);
    c
}

/// Upload, wait and fetch for one ERO; (wall seconds, server peak RSS KiB, matched, properties).
fn one_ero(ier: &Path, dir: &Path, left: &Path, right: &Path) -> anyhow::Result<(f64, u64, u64, u64)> {
    let (setup, server) = server(dir, right)?;
    let cert = client_cert(ier, setup.pki(), &dir.join("clients"), "cardiff")?;
    let started = Instant::now();
    let mut upload = register_cmd(ier, "upload", &server, setup.pki(), &cert);
    upload.arg("--wait").arg("--file").arg(left).stderr(std::fs::File::create(dir.join("upload.log"))?);
    let out = upload.output().context("running ier ems register upload")?;
    if !out.status.success() {
        bail!("upload failed: see {}", dir.join("upload.log").display());
    }
    let run_id = String::from_utf8(out.stdout)?.trim().to_owned();
    let uploaded_and_matched = started.elapsed().as_secs_f64();
    let mut results = register_cmd(ier, "results", &server, setup.pki(), &cert);
    results
        .args(["--run", &run_id, "--out"])
        .arg(dir.join("results.csv"))
        .arg("--properties")
        .arg(dir.join("properties.csv"))
        .stderr(std::fs::File::create(dir.join("results.log"))?);
    if !results.status()?.success() {
        bail!("results failed: see {}", dir.join("results.log").display());
    }
    let wall = started.elapsed().as_secs_f64();
    println!(
        "      upload and match {uploaded_and_matched:.1} s, results and properties {:.1} s",
        wall - uploaded_and_matched
    );
    let rss = server.memory_kib().map_or(0, |m| m.0);
    let text = std::fs::read_to_string(dir.join("results.csv"))?;
    let matched = text.lines().skip(1).filter(|l| l.split(',').nth(1) == Some("true")).count() as u64;
    let properties = count_lines(&dir.join("properties.csv"))?.saturating_sub(1);
    for line in std::fs::read_to_string(dir.join("upload.log"))?.lines().filter(|l| !l.contains('\r')).take(3) {
        println!("      client: {line}");
    }
    drop(server);
    Ok((wall, rss, matched, properties))
}

/// K runs at once, the register split between them; (wall seconds, server peak RSS KiB, results fetched).
fn many_eros(ier: &Path, dir: &Path, left: &Path, right: &Path, k: usize) -> anyhow::Result<(f64, u64, u64)> {
    let (setup, server) = server(dir, right)?;
    let eros: Vec<String> = std::fs::read_to_string(root().join("crates/ier-reference/data/eros.csv"))?
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next().map(str::to_owned))
        .collect();
    let clients = dir.join("clients");
    let mut certs = Vec::new();
    for ero in eros.iter().take(k) {
        certs.push(client_cert(ier, setup.pki(), &clients, ero)?);
    }
    // Split the register: the header in each part, rows dealt in turn.
    let text = std::fs::read_to_string(left)?;
    let mut lines = text.lines();
    let header = lines.next().context("the register is empty")?;
    let mut parts: Vec<String> = (0..k).map(|_| format!("{header}\n")).collect();
    for (i, line) in lines.enumerate() {
        parts[i % k].push_str(line);
        parts[i % k].push('\n');
    }
    let mut files = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let f = dir.join(format!("part-{i}.csv"));
        std::fs::write(&f, part)?;
        files.push(f);
    }
    drop(parts);
    let started = Instant::now();
    let results: Vec<anyhow::Result<u64>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..k)
            .map(|i| {
                let cert = &certs[i % certs.len()];
                let (file, server, setup, dir) = (&files[i], &server, &setup, dir);
                s.spawn(move || -> anyhow::Result<u64> {
                    let mut upload = register_cmd(ier, "upload", server, setup.pki(), cert);
                    upload
                        .args(["--attempts", "20", "--wait", "--file"])
                        .arg(file)
                        .stderr(std::fs::File::create(dir.join(format!("upload-{i}.log")))?);
                    let out = upload.output()?;
                    if !out.status.success() {
                        bail!("upload {i} failed: see upload-{i}.log");
                    }
                    let run_id = String::from_utf8(out.stdout)?.trim().to_owned();
                    let out_csv = dir.join(format!("results-{i}.csv"));
                    let mut results = register_cmd(ier, "results", server, setup.pki(), cert);
                    results
                        .args(["--attempts", "20", "--run", &run_id, "--out"])
                        .arg(&out_csv)
                        .stderr(std::fs::File::create(dir.join(format!("results-{i}.log")))?);
                    if !results.status()?.success() {
                        bail!("results {i} failed: see results-{i}.log");
                    }
                    Ok(count_lines(&out_csv)?.saturating_sub(1))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(anyhow::anyhow!("a client thread panicked"))))
            .collect()
    });
    let wall = started.elapsed().as_secs_f64();
    let rss = server.memory_kib().map_or(0, |m| m.0);
    let mut fetched = 0;
    for r in results {
        fetched += r?;
    }
    let expected = count_lines(left)?.saturating_sub(1);
    if fetched != expected {
        bail!("{fetched} results fetched of {expected} electors");
    }
    Ok((wall, rss, fetched))
}
