//! `ier match link`: bulk record linkage of two CSV files with `ier-match`.
//!
//! Reads the right (reference) file into a compact index, trains the model on
//! the first `--train-sample` left records, then streams the left file in
//! chunks scored on all cores, and writes one row per matched left record
//! (`left_id,right_id,match_probability,possible_duplicates`) after the
//! one-to-one assignment; `possible_duplicates` names the same person's other
//! records in the reference (same date of birth, alike given names), `;` between.
//! Progress goes to stderr. Errors name the file, line and column, never a value. The header
//! and rows are read by `ier_match::rows` (fuzzed); this module streams, scores and writes.

use std::collections::HashMap;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use csv::ByteRecord;
use ier_match::{
    Assigner, DEFAULT_THRESHOLD, LinkStats, Linker, Options, Prepared, ReferenceBuilder, Scored, TrainOptions,
    probability, rows, train,
};

#[derive(Subcommand)]
pub enum Match {
    /// Link each record of --left to at most one record of --right (one-to-one), writing the matches.
    Link(LinkArgs),
}

#[derive(Args)]
pub struct LinkArgs {
    /// Left CSV (e.g. applicants or a register), streamed.
    #[arg(long)]
    left: PathBuf,
    /// Right CSV (e.g. the DWP reference extract), indexed in memory.
    #[arg(long)]
    right: PathBuf,
    /// Output CSV: left_id,right_id,match_probability.
    #[arg(long)]
    out: PathBuf,
    /// Decide a match at or above this probability.
    #[arg(long, default_value_t = DEFAULT_THRESHOLD)]
    threshold: f64,
    /// Ignore the nino columns entirely.
    #[arg(long)]
    no_nino: bool,
    /// full: use every column; confirmation: name and address only (registers); auto: full, where a
    /// column that is empty throughout simply counts as missing.
    #[arg(long, value_enum, default_value = "auto")]
    mode: Mode,
    /// Left records used to train the model (the first ones in the file).
    #[arg(long, default_value_t = 200_000)]
    train_sample: usize,
    /// Print the trained model's parameters to stderr.
    #[arg(long, short)]
    verbose: bool,
    /// Refuse a file at its first row that cannot be read. Without it a value that is not
    /// UTF-8 or not a real date counts as missing, a row with the wrong number of fields or no
    /// id is skipped, and a summary says how many of each and on which lines (no values).
    #[arg(long)]
    strict: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    Auto,
    Full,
    Confirmation,
}

/// Where each contract column is in one file, the file's name for errors, and whether a
/// row that cannot be read stops the run (`--strict`).
struct Layout {
    file: String,
    rows: rows::Layout,
    strict: bool,
}

impl Layout {
    fn read(file: &Path, headers: &ByteRecord, options: &Options, crlf: bool, strict: bool) -> anyhow::Result<Self> {
        let name = file.display().to_string();
        let rows = rows::Layout::read(headers, options).map_err(|e| anyhow::anyhow!("{name}: {e}"))?.with_crlf(crlf);
        Ok(Self { file: name, rows, strict })
    }

    /// The record in comparable form, its id appended to `chunk`'s ids; or, unless strict,
    /// what could not be read counted in `chunk.skipped`.
    fn prepare_into(&self, r: &ByteRecord, options: &Options, chunk: &mut Chunk) -> anyhow::Result<()> {
        let prepared = if self.strict {
            Some(self.rows.prepare(r, options).map_err(|e| anyhow::anyhow!("{}: {e}", self.file))?)
        } else {
            self.rows.prepare_lenient(r, options, &mut chunk.skipped)
        };
        if let Some((input, p)) = prepared {
            chunk.id_text.push_str(input.id);
            chunk.id_ends.push(chunk.id_text.len());
            chunk.records.push(p);
        }
        Ok(())
    }
}

fn open(path: &Path, options: &Options, strict: bool) -> anyhow::Result<(csv::Reader<std::fs::File>, Layout)> {
    let mut file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let crlf = ends_lines_with_crlf(&mut file).with_context(|| format!("reading {}", path.display()))?;
    // Flexible: a row with the wrong number of fields reaches `rows`, which names it (or skips it).
    let mut reader = csv::ReaderBuilder::new().buffer_capacity(1 << 20).flexible(true).from_reader(file);
    let headers = reader.byte_headers().map_err(|e| csv_error(path, e))?.clone();
    let layout = Layout::read(path, &headers, options, crlf, strict)?;
    Ok((reader, layout))
}

/// What a file had that could not be read (not with `--strict`): counts and first lines, on stderr.
fn report_skipped(path: &Path, skipped: &rows::Skipped) {
    if skipped.is_empty() {
        return;
    }
    eprintln!(
        "{}: {} value(s) read as missing and {} row(s) skipped, as they could not be read (--strict refuses the file instead):",
        path.display(),
        skipped.values(),
        skipped.rows()
    );
    for line in skipped.lines() {
        eprintln!("  {line}");
    }
}

/// Whether the file's first line ends in CRLF (then rows' line numbers need correcting:
/// [`rows::Layout::line`]); the file is left at its start.
pub fn ends_lines_with_crlf(file: &mut std::fs::File) -> std::io::Result<bool> {
    use std::io::{Read, Seek};
    let mut head = Vec::with_capacity(1 << 16);
    Read::by_ref(file).take(1 << 16).read_to_end(&mut head)?;
    file.rewind()?;
    Ok(head.iter().position(|&b| b == b'\n').is_some_and(|i| i > 0 && head[i - 1] == b'\r'))
}

/// A CSV error without the data: position and kind only.
fn csv_error(path: &Path, e: csv::Error) -> anyhow::Error {
    anyhow::anyhow!("{}: {}", path.display(), rows::RowError::from(e))
}

/// Stream a file in chunks of `n` records to `each`, a reader thread parsing the
/// next chunk meanwhile. Chunks go back to the reader once used, so their records'
/// buffers are filled again rather than allocated for every row.
fn read_ahead(
    mut reader: csv::Reader<std::fs::File>,
    path: &Path,
    n: usize,
    mut each: impl FnMut(&[ByteRecord]) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<anyhow::Result<Vec<ByteRecord>>>(1);
        let (give_back, used) = std::sync::mpsc::channel::<Vec<ByteRecord>>();
        scope.spawn(move || {
            loop {
                let recycled = used.try_recv().unwrap_or_default();
                let chunk = read_chunk_into(&mut reader, path, n, recycled);
                let stop = !matches!(&chunk, Ok(c) if !c.is_empty());
                if tx.send(chunk).is_err() || stop {
                    break;
                }
            }
        });
        for chunk in rx {
            let rows = chunk?;
            if rows.is_empty() {
                break;
            }
            each(&rows)?;
            // The reader may have finished; then the chunk is simply dropped.
            let _ = give_back.send(rows);
        }
        Ok(())
    })
}

/// Read up to `n` records.
fn read_chunk(reader: &mut csv::Reader<std::fs::File>, path: &Path, n: usize) -> anyhow::Result<Vec<ByteRecord>> {
    read_chunk_into(reader, path, n, Vec::new())
}

/// Read up to `n` records into `rows`, reusing the records already there.
fn read_chunk_into(
    reader: &mut csv::Reader<std::fs::File>,
    path: &Path,
    n: usize,
    mut rows: Vec<ByteRecord>,
) -> anyhow::Result<Vec<ByteRecord>> {
    let mut read = 0;
    while read < n {
        if read == rows.len() {
            rows.push(ByteRecord::new());
        }
        if !reader.read_byte_record(&mut rows[read]).map_err(|e| csv_error(path, e))? {
            break;
        }
        read += 1;
    }
    rows.truncate(read);
    Ok(rows)
}

/// Records in comparable form, with their ids (the same order; all the ids in one string).
#[derive(Default)]
struct Chunk {
    id_text: String,
    id_ends: Vec<usize>,
    records: Vec<Prepared>,
    /// What its rows had that could not be read (not with `--strict`).
    skipped: rows::Skipped,
}

impl Chunk {
    fn id(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.id_ends[i - 1] };
        &self.id_text[start..self.id_ends[i]]
    }

    fn append(&mut self, other: Chunk) {
        let base = self.id_text.len();
        self.id_text.push_str(&other.id_text);
        self.id_ends.extend(other.id_ends.iter().map(|e| e + base));
        self.records.extend(other.records);
        self.skipped.merge(other.skipped);
    }
}

fn prepare_chunk(rows: &[ByteRecord], layout: &Layout, options: &Options) -> anyhow::Result<Chunk> {
    let parts = ier_match::parallel::par_chunks(rows, 2048, |c| vec![prepare_rows(c, layout, options)]);
    let mut chunk = Chunk { records: Vec::with_capacity(rows.len()), ..Chunk::default() };
    for part in parts {
        chunk.append(part?);
    }
    Ok(chunk)
}

fn prepare_rows(rows: &[ByteRecord], layout: &Layout, options: &Options) -> anyhow::Result<Chunk> {
    let mut chunk = Chunk { records: Vec::with_capacity(rows.len()), ..Chunk::default() };
    for r in rows {
        layout.prepare_into(r, options, &mut chunk)?;
    }
    Ok(chunk)
}

/// A progress line on stderr: rewritten in place on a terminal, every few seconds otherwise.
struct Progress {
    tty: bool,
    started: Instant,
    last: Instant,
}

impl Progress {
    fn new() -> Self {
        let now = Instant::now();
        Self { tty: std::io::stderr().is_terminal(), started: now, last: now }
    }

    fn tick(&mut self, msg: impl FnOnce() -> String) {
        let every = if self.tty { Duration::from_millis(200) } else { Duration::from_secs(5) };
        if self.last.elapsed() >= every {
            self.last = Instant::now();
            let line = msg();
            if self.tty {
                eprint!("\r\x1b[2K{line}");
            } else {
                eprintln!("{line}");
            }
        }
    }

    fn done(&mut self, line: String) {
        if self.tty {
            eprintln!("\r\x1b[2K{line}");
        } else {
            eprintln!("{line}");
        }
        self.started = Instant::now();
        self.last = self.started;
    }
}

/// Index a reference file (a DWP extract in the contract's columns) as `ier match link` reads
/// its right file, leniently: what cannot be read is summarised on stderr.
pub fn read_reference(path: &Path) -> anyhow::Result<ier_match::Reference> {
    let options = Options::default();
    let (reader, layout) = open(path, &options, false)?;
    let (mut builder, mut skipped) = (ReferenceBuilder::new(), rows::Skipped::default());
    read_ahead(reader, path, 1 << 15, |rows| {
        let mut chunk = prepare_chunk(rows, &layout, &options)?;
        for (i, p) in chunk.records.iter().enumerate() {
            builder.push(chunk.id(i), p);
        }
        skipped.merge(std::mem::take(&mut chunk.skipped));
        Ok(())
    })?;
    report_skipped(path, &skipped);
    Ok(builder.finish())
}

pub fn run(cmd: Match) -> anyhow::Result<()> {
    match cmd {
        Match::Link(args) => link(args),
    }
}

fn link(args: LinkArgs) -> anyhow::Result<()> {
    if !(args.threshold > 0.0 && args.threshold < 1.0) {
        bail!("--threshold must be a probability strictly between 0 and 1");
    }
    let started = Instant::now();
    let mut options = if args.mode == Mode::Confirmation { Options::confirmation() } else { Options::default() };
    if args.no_nino {
        options.use_nino = false;
    }
    const CHUNK: usize = 1 << 15;
    let mut progress = Progress::new();

    // Right: the index. Three stages at once: a reader thread parses the CSV, this thread prepares
    // the previous chunk on all cores, and an indexing thread adds the one before.
    // Meanwhile, a fourth thread reads and prepares the left file's training sample
    // (which does not need the index), so that it is ready when the index is.
    let (reader, layout) = open(&args.right, &options, args.strict)?;
    let (mut left_reader, left_layout) = open(&args.left, &options, args.strict)?;
    let ((reference, right_skipped), mut sample) = std::thread::scope(|scope| -> anyhow::Result<_> {
        let sampler = scope.spawn(|| -> anyhow::Result<Chunk> {
            let rows = read_chunk(&mut left_reader, &args.left, args.train_sample.max(1))?;
            prepare_rows(&rows, &left_layout, &options)
        });
        let (tx, rx) = std::sync::mpsc::sync_channel::<Chunk>(1);
        let indexer = scope.spawn(move || {
            let (mut builder, mut skipped) = (ReferenceBuilder::new(), rows::Skipped::default());
            for chunk in rx {
                for (i, p) in chunk.records.iter().enumerate() {
                    builder.push(chunk.id(i), p);
                }
                skipped.merge(chunk.skipped);
            }
            (builder, skipped)
        });
        let mut read = 0usize;
        read_ahead(reader, &args.right, CHUNK, |rows| {
            read += rows.len();
            // A send fails only if the indexer has stopped, which its join below reports.
            let _ = tx.send(prepare_chunk(rows, &layout, &options)?);
            progress.tick(|| format!("reading right: {read} records"));
            Ok(())
        })?;
        drop(tx);
        let (builder, right_skipped) = indexer.join().map_err(|_| anyhow::anyhow!("indexing the right file failed"))?;
        let sample = sampler.join().map_err(|_| anyhow::anyhow!("reading the left file failed"))??;
        Ok(((builder.finish(), right_skipped), sample))
    })?;
    let read_right = started.elapsed();
    progress.done(format!(
        "right: {} records indexed in {:.1?} ({} bytes a record)",
        reference.len(),
        started.elapsed(),
        reference.heap_bytes() / reference.len().max(1)
    ));
    report_skipped(&args.right, &right_skipped);

    // Train on the sample.
    let t_train = Instant::now();
    let (model, report) = train(&reference, &sample.records, &TrainOptions::default());
    let train_time = t_train.elapsed();
    progress.done(format!("trained in {train_time:.1?}: {report}"));
    if args.verbose {
        eprint!("{}", model.describe());
    }

    // Left: link the sample, then stream the rest (a reader thread keeps one chunk ahead).
    let t_link = Instant::now();
    let linker = Linker::new(&reference, &model, args.threshold);
    let mut assigner = Assigner::new();
    let mut ids: Vec<u8> = Vec::new();
    let mut id_ends: Vec<u64> = Vec::new();
    let mut stats = LinkStats::default();
    // Left records with a person recorded twice among their candidates: (right, group) of each.
    let mut twice: HashMap<u32, Vec<(u32, u32)>> = HashMap::new();
    let mut absorb = |chunk: &Chunk, scored: Scored, assigner: &mut Assigner| {
        let mut start = 0;
        for (i, end) in scored.records {
            ids.extend_from_slice(chunk.id(i).as_bytes());
            id_ends.push(ids.len() as u64);
            let left = id_ends.len() as u32 - 1;
            let cands = &scored.candidates[start..end];
            assigner.push(left, cands);
            if cands.iter().any(|c| c.group != c.right) {
                twice.insert(left, cands.iter().map(|c| (c.right, c.group)).collect());
            }
            start = end;
        }
    };
    let mut left_skipped = std::mem::take(&mut sample.skipped);
    let (scored, s) = linker.score_all(&sample.records);
    stats.add(&s);
    absorb(&sample, scored, &mut assigner);
    drop(sample);
    read_ahead(left_reader, &args.left, CHUNK, |rows| {
        let mut records = prepare_chunk(rows, &left_layout, &options)?;
        left_skipped.merge(std::mem::take(&mut records.skipped));
        let (scored, s) = linker.score_all(&records.records);
        stats.add(&s);
        absorb(&records, scored, &mut assigner);
        progress.tick(|| {
            let secs = t_link.elapsed().as_secs_f64().max(1e-3);
            format!(
                "linking: {} left records, {} pairs compared, {:.0} records/s",
                stats.left_records,
                stats.pairs_compared,
                stats.left_records as f64 / secs
            )
        });
        Ok(())
    })?;
    let held = assigner.len();
    let decisions = assigner.assign(reference.len());
    let out = std::fs::File::create(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    let mut w = BufWriter::with_capacity(1 << 20, out);
    writeln!(w, "left_id,right_id,match_probability,possible_duplicates")?;
    let field = |w: &mut BufWriter<std::fs::File>, s: &str| -> std::io::Result<()> {
        if s.contains([',', '"', '\n', '\r']) {
            write!(w, "\"{}\"", s.replace('"', "\"\""))
        } else {
            w.write_all(s.as_bytes())
        }
    };
    for &(l, r, weight) in &decisions {
        let l = l as usize;
        let start = if l == 0 { 0 } else { id_ends[l - 1] as usize };
        let left_id = std::str::from_utf8(&ids[start..id_ends[l] as usize]).expect("ids are UTF-8");
        field(&mut w, left_id)?;
        w.write_all(b",")?;
        field(&mut w, reference.id(r))?;
        write!(w, ",{:.6},", probability(f64::from(weight)))?;
        // The same person's other records in the reference, `;` between them.
        if let Some(cands) = twice.get(&(l as u32)) {
            let group = cands.iter().find(|(right, _)| *right == r).map(|(_, g)| *g);
            let others: Vec<&str> = cands
                .iter()
                .filter(|(right, g)| Some(*g) == group && *right != r)
                .map(|(right, _)| reference.id(*right))
                .collect();
            field(&mut w, &others.join(";"))?;
        }
        writeln!(w)?;
    }
    w.flush()?;
    progress.done(format!(
        "linked {} left records in {:.1?}: {} pairs compared ({:.1} a record), {} candidate pairs at or above {}, {} matches written to {} ({} oversized blocks skipped); total {:.1?}",
        stats.left_records,
        t_link.elapsed(),
        stats.pairs_compared,
        stats.pairs_compared as f64 / stats.left_records.max(1) as f64,
        held,
        args.threshold,
        decisions.len(),
        args.out.display(),
        stats.blocks_skipped,
        started.elapsed()
    ));
    // One machine-readable line (counts and seconds only), as `cargo xtask linkbench` reads from any linker.
    report_skipped(&args.left, &left_skipped);
    eprintln!(
        "stats: linker=ier left_records={} right_records={} read_right_seconds={:.2} train_seconds={:.2} link_seconds={:.2} total_seconds={:.2} pairs_compared={} links={}",
        stats.left_records,
        reference.len(),
        read_right.as_secs_f64(),
        train_time.as_secs_f64(),
        t_link.elapsed().as_secs_f64(),
        started.elapsed().as_secs_f64(),
        stats.pairs_compared,
        decisions.len()
    );
    Ok(())
}
