//! `ier backup`, `ier restore` and `ier verify`: backing up the embedded
//! SQLite database while the service serves, restoring a backup into a fresh
//! location, and proving that a database (SQLite or Postgres) holds every
//! application intact and decryptable.
//!
//! - `backup` takes an online, consistent snapshot with `VACUUM INTO` (a read
//!   transaction: in WAL mode writers carry on while it runs), writes it to a
//!   temporary file, flushes it to disk, checks it (`PRAGMA integrity_check`,
//!   schema version, row counts) and only then renames it into place.
//!   Postgres is backed up with its own tools (base backup and WAL archiving,
//!   see `docs/OPERATIONS.md`), so a `postgres://` URL is refused.
//! - `restore` checks the file (header, length, integrity), copies it into a
//!   new location (never over an existing database unless `--force`), brings
//!   its schema up to date (migrations), and verifies it as `verify` does,
//!   also checking that no application went missing on the way.
//! - `verify` reads every application of every ERO through the scoped
//!   [`ier_storage::EroStore`] and opens it with the data keys; with
//!   `--references` it checks that each listed reference (as the applicant's
//!   confirmation page shows it, optionally with its ERO as a
//!   [`ier_storage::Receipt`] gives it) is there, under that ERO, intact. It is
//!   what the crash-safety harness runs after killing the server, so `--json`
//!   prints one machine-readable object.
//!
//! Exit status: 0 when everything checks out, 1 when the command could not
//! run (bad arguments, unreadable file, no database), 3 when verification
//! found missing or corrupt applications. Output names reference numbers and
//! counts only, never personal data.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use ier_domain::{EroId, ReferenceNumber};
use ier_storage::{Backend, DataKeys, StorageError, Store};
use ier_storage_postgres::PgBackend;
use ier_storage_sqlite::SqliteBackend;
use secrecy::SecretString;
use serde_json::json;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{ConnectOptions, Connection};

/// Exit status when verification finds missing or corrupt applications.
pub const VERIFY_FAILED: i32 = 3;

/// Where the Postgres procedures are written down.
const PG_PROCEDURE: &str = "docs/OPERATIONS.md, \"Backup and restore\" (pg_basebackup with WAL archiving, point-in-time recovery; scripts/pg-pitr-drill.sh rehearses it)";

#[derive(Args)]
pub struct BackupArgs {
    /// The live database: `sqlite:PATH` (Postgres is backed up with pg_basebackup and WAL archiving).
    #[arg(long, env = "IER_DATABASE_URL")]
    database_url: String,
    /// The backup file to write (must not exist yet).
    #[arg(long)]
    out: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct RestoreArgs {
    /// A backup file made by `ier backup`.
    #[arg(long)]
    from: PathBuf,
    /// Where to restore it: `sqlite:PATH`, a new file (deliberately not read from IER_DATABASE_URL).
    #[arg(long)]
    database_url: String,
    /// The data-encryption key(s) the applications were sealed with, to verify them.
    #[arg(long, env = "IER_DATA_KEYS", hide_env_values = true)]
    data_keys: SecretString,
    /// Replace a database that already exists at the target (stop the service first).
    #[arg(long)]
    force: bool,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct VerifyArgs {
    /// The database: `sqlite:PATH` or `postgres://...`.
    #[arg(long, env = "IER_DATABASE_URL")]
    database_url: String,
    /// The data-encryption key(s) the applications were sealed with.
    #[arg(long, env = "IER_DATA_KEYS", hide_env_values = true)]
    data_keys: SecretString,
    /// Reference numbers that must be present, one a line: `REFERENCE` or `REFERENCE,ERO_ID`.
    #[arg(long)]
    references: Option<PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

// ---------------------------------------------------------------------------
// backup

pub fn backup(args: BackupArgs) -> anyhow::Result<()> {
    crate::runtime()?.block_on(run_backup(args))
}

async fn run_backup(args: BackupArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    if crate::open::is_postgres(&args.database_url) {
        bail!(
            "ier backup backs up the embedded SQLite database only; back up Postgres with its own tools: see {PG_PROCEDURE}"
        );
    }
    let source = sqlite_path(&args.database_url)?;
    if !source.is_file() {
        bail!("there is no SQLite database at {}", source.display());
    }
    if args.out.exists() {
        bail!("{} already exists: give the backup a new name (backups are never overwritten)", args.out.display());
    }
    let partial = sibling(&args.out, ".partial")?;
    let _ = std::fs::remove_file(&partial);

    // A consistent snapshot in one read transaction; WAL writers are not blocked.
    let mut conn = SqliteConnectOptions::new()
        .filename(&source)
        .create_if_missing(false)
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(Duration::from_secs(30))
        .connect()
        .await
        .with_context(|| format!("opening {}", source.display()))?;
    let partial_str = partial.to_str().context("the backup path must be valid UTF-8")?;
    let snapshot = Instant::now();
    let result = sqlx::query("VACUUM INTO ?").bind(partial_str).execute(&mut conn).await;
    conn.close().await.ok();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&partial);
        bail!("the snapshot failed: {}", sql_failure(&e));
    }
    let snapshot_seconds = snapshot.elapsed().as_secs_f64();
    sync_file(&partial)?;

    let check = match check_sqlite_file(&partial).await {
        Ok(c) => c,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e.context("the new backup failed its check and was removed"));
        }
    };
    std::fs::rename(&partial, &args.out).with_context(|| format!("renaming into {}", args.out.display()))?;
    sync_dir(&args.out)?;
    let bytes = std::fs::metadata(&args.out)?.len();
    let seconds = started.elapsed().as_secs_f64();
    if args.json {
        println!(
            "{}",
            json!({
                "ok": true,
                "out": args.out.display().to_string(),
                "schema_version": check.schema_version,
                "applications": check.applications,
                "events": check.events,
                "bytes": bytes,
                "snapshot_seconds": snapshot_seconds,
                "seconds": seconds,
            })
        );
    } else {
        println!(
            "backup written to {}: schema version {}, {} applications, {} events, {} bytes, integrity ok; {:.1} s ({:.1} s snapshot)",
            args.out.display(),
            check.schema_version,
            check.applications,
            check.events,
            bytes,
            seconds,
            snapshot_seconds
        );
    }
    Ok(())
}

/// What a check of a database file found.
struct FileCheck {
    schema_version: i64,
    applications: u64,
    events: u64,
}

/// Check a SQLite file that nobody else is writing: header and length, then
/// `PRAGMA integrity_check`, the schema version and row counts.
async fn check_sqlite_file(path: &Path) -> anyhow::Result<FileCheck> {
    check_header(path)?;
    let name = path.display();
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .immutable(true)
        .connect()
        .await
        .map_err(|e| anyhow::anyhow!("{name} cannot be opened as a database: {}", sql_failure(&e)))?;
    let problems: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check(10)")
        .fetch_all(&mut conn)
        .await
        .map_err(|e| anyhow::anyhow!("{name} is corrupt: the integrity check could not run ({})", sql_failure(&e)))?;
    if problems != ["ok"] {
        // SQLite's messages here name pages, cells and indexes, never values.
        bail!(
            "{name} is corrupt: the integrity check found {}{} problem(s), the first: {}",
            problems.len(),
            if problems.len() == 10 { " or more" } else { "" },
            problems[0]
        );
    }
    let schema_version: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
        .fetch_one(&mut conn)
        .await
        .map_err(|_| {
            anyhow::anyhow!("{name} is not an ier database (it has no schema version: no _sqlx_migrations table)")
        })?;
    let schema_version = schema_version
        .ok_or_else(|| anyhow::anyhow!("{name} is not an ier database (no migration has been applied)"))?;
    let applications: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM applications")
        .fetch_one(&mut conn)
        .await
        .map_err(|e| anyhow::anyhow!("{name}: cannot count applications ({})", sql_failure(&e)))?;
    let events: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM application_events")
        .fetch_one(&mut conn)
        .await
        .map_err(|e| anyhow::anyhow!("{name}: cannot count events ({})", sql_failure(&e)))?;
    conn.close().await.ok();
    Ok(FileCheck { schema_version, applications: applications as u64, events: events as u64 })
}

/// The SQLite header says how long the file must be: a truncated copy is
/// caught here with a plain message, before SQLite reads garbage.
fn check_header(path: &Path) -> anyhow::Result<()> {
    let name = path.display();
    let mut file = std::fs::File::open(path).with_context(|| format!("opening {name}"))?;
    let len = file.metadata()?.len();
    let mut header = [0u8; 100];
    if len < 100 || file.read_exact(&mut header).is_err() {
        bail!("{name} is not a SQLite database: it is only {len} bytes (truncated or empty)");
    }
    if &header[..16] != b"SQLite format 3\0" {
        bail!("{name} is not a SQLite database (its header is wrong): is it a backup made by ier backup?");
    }
    let page_size = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65_536u64,
        n => n as u64,
    };
    let change_counter = u32::from_be_bytes(header[24..28].try_into().unwrap());
    let pages = u32::from_be_bytes(header[28..32].try_into().unwrap()) as u64;
    let valid_for = u32::from_be_bytes(header[92..96].try_into().unwrap());
    if page_size < 512 || !page_size.is_power_of_two() {
        bail!("{name} is corrupt: its header gives an impossible page size");
    }
    // The page count in the header is valid when "version-valid-for" matches the change counter.
    if valid_for == change_counter && pages > 0 && len < pages * page_size {
        bail!("{name} is truncated: it should be {} bytes ({pages} pages) but is {len}", pages * page_size);
    }
    if len % page_size != 0 {
        bail!("{name} is truncated or damaged: {len} bytes is not a whole number of {page_size}-byte pages");
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// restore

pub fn restore(args: RestoreArgs) -> i32 {
    exit_code(crate::runtime().and_then(|rt| rt.block_on(run_restore(args))))
}

async fn run_restore(args: RestoreArgs) -> anyhow::Result<bool> {
    let started = Instant::now();
    if crate::open::is_postgres(&args.database_url) {
        bail!(
            "ier restore restores the embedded SQLite database only; Postgres is restored by point-in-time recovery: see {PG_PROCEDURE}"
        );
    }
    let keys = parse_keys(&args.data_keys)?;
    let target = sqlite_path(&args.database_url)?;
    if !args.from.is_file() {
        bail!("there is no backup file at {}", args.from.display());
    }
    let wal = sibling(&target, "-wal")?;
    let shm = sibling(&target, "-shm")?;
    if (target.exists() || wal.exists()) && !args.force {
        bail!(
            "a database already exists at {}: restore into a new path, or pass --force to replace it (stop the service first)",
            target.display()
        );
    }
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    // Check the backup itself first, so a bad file is named as the backup.
    let copy_started = Instant::now();
    check_header(&args.from).map_err(|e| e.context("the backup cannot be restored"))?;
    let restoring = sibling(&target, ".restoring")?;
    std::fs::copy(&args.from, &restoring)
        .with_context(|| format!("copying {} to {}", args.from.display(), restoring.display()))?;
    sync_file(&restoring)?;
    let backup = match check_sqlite_file(&restoring).await {
        Ok(c) => c,
        Err(e) => {
            let _ = std::fs::remove_file(&restoring);
            let msg = format!("{e:#}").replace(&restoring.display().to_string(), &args.from.display().to_string());
            bail!("the backup cannot be restored: {msg}");
        }
    };
    for stale in [&wal, &shm] {
        // A WAL left by the database being replaced would be replayed into the restored one.
        if stale.exists() {
            std::fs::remove_file(stale).with_context(|| format!("removing {}", stale.display()))?;
        }
    }
    std::fs::rename(&restoring, &target).with_context(|| format!("renaming into {}", target.display()))?;
    sync_dir(&target)?;
    let copy_seconds = copy_started.elapsed().as_secs_f64();

    // Bring the schema up to date (an older backup is migrated), then verify.
    let migrate_started = Instant::now();
    let backend = SqliteBackend::open(&target).await.context("opening the restored database (migrations)")?;
    let schema_version = schema_version_sqlite(&backend).await?;
    let migrate_seconds = migrate_started.elapsed().as_secs_f64();
    let backend: Arc<dyn Backend> = Arc::new(backend);
    let verify_started = Instant::now();
    let scan = scan(Store::new(backend.clone(), keys), &backend).await?;
    let verify_seconds = verify_started.elapsed().as_secs_f64();
    let missing_from_backup = backup.applications.saturating_sub(scan.total);
    let ok = scan.ok() && missing_from_backup == 0;
    let seconds = started.elapsed().as_secs_f64();
    if args.json {
        let mut v = scan.json(None);
        v["ok"] = json!(ok);
        v["from"] = json!(args.from.display().to_string());
        v["backup_schema_version"] = json!(backup.schema_version);
        v["schema_version"] = json!(schema_version);
        v["backup_applications"] = json!(backup.applications);
        v["missing_from_backup"] = json!(missing_from_backup);
        v["copy_seconds"] = json!(copy_seconds);
        v["migrate_seconds"] = json!(migrate_seconds);
        v["verify_seconds"] = json!(verify_seconds);
        v["seconds"] = json!(seconds);
        println!("{v}");
    } else {
        println!(
            "restored {} into {}: backup schema version {}, now {}; {} applications in the backup",
            args.from.display(),
            target.display(),
            backup.schema_version,
            schema_version,
            backup.applications
        );
        scan.print_text(None);
        println!(
            "copy and integrity check {copy_seconds:.1} s, migrations {migrate_seconds:.1} s, verification {verify_seconds:.1} s; {seconds:.1} s in all"
        );
    }
    if !ok {
        let mut why = scan.problems(None);
        if missing_from_backup > 0 {
            why.push(format!("{missing_from_backup} application(s) of the backup are missing after restoring"));
        }
        eprintln!("restore FAILED verification: {}", why.join("; "));
    } else if !args.json {
        println!("restore OK");
    }
    Ok(ok)
}

// ---------------------------------------------------------------------------
// verify

pub fn verify(args: VerifyArgs) -> i32 {
    exit_code(crate::runtime().and_then(|rt| rt.block_on(run_verify(args))))
}

async fn run_verify(args: VerifyArgs) -> anyhow::Result<bool> {
    let started = Instant::now();
    let keys = parse_keys(&args.data_keys)?;
    let listed = match &args.references {
        Some(path) => Some(read_references(path)?),
        None => None,
    };
    let (backend, kind, schema_version): (Arc<dyn Backend>, &str, i64) = if crate::open::is_postgres(&args.database_url)
    {
        let b = PgBackend::connect(&args.database_url).await.context("connecting to Postgres")?;
        let v: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(b.pool())
            .await
            .map_err(|e| anyhow::anyhow!("reading the schema version: {}", sql_failure(&e)))?;
        (Arc::new(b), "postgres", v.unwrap_or(0))
    } else {
        let path = sqlite_path(&args.database_url)?;
        if !path.is_file() {
            bail!("there is no SQLite database at {}", path.display());
        }
        let b = SqliteBackend::open(&path).await.context("opening the SQLite database")?;
        let v = schema_version_sqlite(&b).await?;
        (Arc::new(b), "sqlite", v)
    };
    let scan = scan(Store::new(backend.clone(), keys), &backend).await?;
    let refs = listed.as_ref().map(|l| scan.check_references(l));
    let ok = scan.ok() && refs.as_ref().is_none_or(|r| r.ok());
    let seconds = started.elapsed().as_secs_f64();
    if args.json {
        let mut v = scan.json(refs.as_ref());
        v["ok"] = json!(ok);
        v["database"] = json!(kind);
        v["schema_version"] = json!(schema_version);
        v["seconds"] = json!(seconds);
        println!("{v}");
    } else {
        println!("verify: {kind} database, schema version {schema_version}");
        scan.print_text(refs.as_ref());
        println!("{} in {seconds:.1} s", if ok { "verify OK" } else { "verify FAILED" });
    }
    if !ok {
        eprintln!("verify FAILED: {}", scan.problems(refs.as_ref()).join("; "));
    }
    Ok(ok)
}

/// A listed reference, with the ERO it should be under if the list says.
struct Listed {
    reference: ReferenceNumber,
    ero: Option<EroId>,
}

fn read_references(path: &Path) -> anyhow::Result<Vec<Listed>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || (i == 0 && line.eq_ignore_ascii_case("reference,ero_id")) {
            continue;
        }
        let (reference, ero) = match line.split_once(',') {
            Some((r, e)) => (r.trim(), Some(e.trim())),
            None => (line, None),
        };
        let reference = ReferenceNumber::from_str(reference)
            .map_err(|e| anyhow::anyhow!("{} line {}: the first field {e}", path.display(), i + 1))?;
        let ero = match ero {
            Some(e) => Some(
                EroId::parse(e)
                    .map_err(|e| anyhow::anyhow!("{} line {}: the second field {e}", path.display(), i + 1))?,
            ),
            None => None,
        };
        out.push(Listed { reference, ero });
    }
    Ok(out)
}

/// One application that could not be read back.
struct Failure {
    reference: ReferenceNumber,
    ero: EroId,
    reason: String,
}

/// What reading every application found.
struct Scan {
    eros: usize,
    /// Applications in the database (all stages).
    total: u64,
    decrypted: u64,
    /// Applications whose personal data was deleted under the retention rules.
    erased: u64,
    failures: Vec<Failure>,
    /// Every reference read, with the index of its ERO in `ero_ids`.
    seen: HashMap<ReferenceNumber, u32>,
    ero_ids: Vec<EroId>,
}

/// What checking a list of references found.
struct RefCheck {
    listed: usize,
    found: usize,
    missing: Vec<ReferenceNumber>,
    corrupt: Vec<ReferenceNumber>,
    wrong_ero: Vec<ReferenceNumber>,
}

impl RefCheck {
    fn ok(&self) -> bool {
        self.missing.is_empty() && self.corrupt.is_empty() && self.wrong_ero.is_empty()
    }
}

/// Applications read a query.
const PAGE: u32 = 1000;
/// EROs read at once.
const WORKERS: usize = 4;

/// Read every application of every ERO through its scoped store, opening each.
async fn scan(store: Store, backend: &Arc<dyn Backend>) -> anyhow::Result<Scan> {
    let total: u64 = store.counts().await.context("counting applications")?.by_stage.iter().map(|(_, n)| n).sum();
    let eros = backend.eros().await.context("listing EROs")?;
    let ero_ids: Arc<Vec<EroId>> = Arc::new(eros.into_iter().map(|e| e.id).collect());
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..WORKERS {
        let (store, ero_ids, next) = (store.clone(), ero_ids.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut part = (0u64, Vec::new(), Vec::new(), 0u64);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(ero) = ero_ids.get(i) else { return Ok::<_, anyhow::Error>(part) };
                scan_ero(&store, ero, i as u32, &mut part).await.with_context(|| format!("reading ERO {ero}"))?;
            }
        }));
    }
    let mut scan = Scan {
        eros: ero_ids.len(),
        total,
        decrypted: 0,
        erased: 0,
        failures: Vec::new(),
        seen: HashMap::with_capacity(total as usize),
        ero_ids: Vec::new(),
    };
    for t in tasks {
        let (n, seen, failures, erased) = t.await.context("a verification task failed")??;
        scan.decrypted += n;
        scan.erased += erased;
        scan.seen.extend(seen);
        scan.failures.extend(failures);
    }
    scan.ero_ids = Arc::try_unwrap(ero_ids).unwrap_or_else(|a| (*a).clone());
    Ok(scan)
}

/// Opened, every reference read (with its ERO's index), failures, erased.
type Part = (u64, Vec<(ReferenceNumber, u32)>, Vec<Failure>, u64);

async fn scan_ero(store: &Store, ero: &EroId, index: u32, part: &mut Part) -> anyhow::Result<()> {
    let scoped = store.for_ero(ero.clone());
    let mut after: Option<ReferenceNumber> = None;
    loop {
        let got = match scoped.applications(after.as_ref(), PAGE).await {
            Ok(apps) => {
                for a in &apps {
                    match a {
                        ier_storage::Listed::Open(_) => part.0 += 1,
                        // Its personal data was deleted under the retention rules: present, as it should be.
                        ier_storage::Listed::Erased { .. } => part.3 += 1,
                    }
                    part.1.push((a.reference(), index));
                }
                apps.len()
            }
            // Some row of this page does not open: go through it one by one to name them.
            Err(StorageError::Corrupt(_)) => {
                let rows = store.backend().applications(ero, after.as_ref(), PAGE).await?;
                for row in &rows {
                    if row.progress.erased_at.is_some() {
                        part.3 += 1;
                        part.1.push((row.reference, index));
                        continue;
                    }
                    match scoped.application(&row.reference).await {
                        Ok(Some(a)) => {
                            part.0 += 1;
                            part.1.push((a.reference, index));
                        }
                        Ok(None) => part.2.push(Failure {
                            reference: row.reference,
                            ero: ero.clone(),
                            reason: "vanished while being read".into(),
                        }),
                        Err(e) => {
                            part.2.push(Failure { reference: row.reference, ero: ero.clone(), reason: e.to_string() })
                        }
                    }
                }
                after = rows.last().map(|r| r.reference);
                if rows.len() < PAGE as usize {
                    return Ok(());
                }
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        if got < PAGE as usize {
            return Ok(());
        }
        after = part.1.last().map(|(r, _)| *r);
    }
}

impl Scan {
    fn reached(&self) -> u64 {
        self.decrypted + self.erased + self.failures.len() as u64
    }

    fn unreached(&self) -> u64 {
        self.total.saturating_sub(self.reached())
    }

    fn ok(&self) -> bool {
        self.failures.is_empty() && self.unreached() == 0
    }

    fn check_references(&self, listed: &[Listed]) -> RefCheck {
        let failed: HashMap<ReferenceNumber, &EroId> = self.failures.iter().map(|f| (f.reference, &f.ero)).collect();
        let mut check = RefCheck {
            listed: listed.len(),
            found: 0,
            missing: Vec::new(),
            corrupt: Vec::new(),
            wrong_ero: Vec::new(),
        };
        for l in listed {
            match (self.seen.get(&l.reference), failed.get(&l.reference)) {
                (Some(i), _) => {
                    if l.ero.as_ref().is_some_and(|e| *e != self.ero_ids[*i as usize]) {
                        check.wrong_ero.push(l.reference);
                    } else {
                        check.found += 1;
                    }
                }
                (None, Some(_)) => check.corrupt.push(l.reference),
                (None, None) => check.missing.push(l.reference),
            }
        }
        check
    }

    fn problems(&self, refs: Option<&RefCheck>) -> Vec<String> {
        let mut why = Vec::new();
        if !self.failures.is_empty() {
            let key_hint =
                if self.decrypted == 0 { " (none could: are these the data keys they were sealed with?)" } else { "" };
            why.push(format!(
                "{} of {} application(s) could not be opened{key_hint}; the first: {}",
                self.failures.len(),
                self.reached(),
                self.failures[0].reason
            ));
        }
        if self.unreached() > 0 {
            why.push(format!("{} application(s) in the database were not reached through any ERO", self.unreached()));
        }
        if let Some(r) = refs {
            for (list, what) in [
                (&r.missing, "missing"),
                (&r.corrupt, "present but unreadable"),
                (&r.wrong_ero, "under another ERO than listed"),
            ] {
                if !list.is_empty() {
                    let first: Vec<String> = list.iter().take(5).map(|r| r.to_string()).collect();
                    why.push(format!(
                        "{} listed reference(s) {what}: {}{}",
                        list.len(),
                        first.join(", "),
                        if list.len() > 5 { ", ..." } else { "" }
                    ));
                }
            }
        }
        why
    }

    fn print_text(&self, refs: Option<&RefCheck>) {
        println!(
            "EROs: {}; applications: {} in the database, {} opened, {} erased under the retention rules, {} could not be opened, {} not reached",
            self.eros,
            self.total,
            self.decrypted,
            self.erased,
            self.failures.len(),
            self.unreached()
        );
        for f in self.failures.iter().take(20) {
            println!("  unreadable: {} (ERO {}): {}", f.reference, f.ero, f.reason);
        }
        if let Some(r) = refs {
            println!(
                "references: {} listed, {} found intact, {} missing, {} unreadable, {} under another ERO",
                r.listed,
                r.found,
                r.missing.len(),
                r.corrupt.len(),
                r.wrong_ero.len()
            );
            for m in r.missing.iter().take(20) {
                println!("  missing: {m}");
            }
        }
    }

    fn json(&self, refs: Option<&RefCheck>) -> serde_json::Value {
        let mut v = json!({
            "eros": self.eros,
            "applications": self.total,
            "decrypted": self.decrypted,
            "erased": self.erased,
            "failed": self.failures.len(),
            "unreached": self.unreached(),
            "failures": self.failures.iter().map(|f| json!({
                "reference": f.reference.to_string(), "ero_id": f.ero.to_string(), "reason": f.reason,
            })).collect::<Vec<_>>(),
        });
        if let Some(r) = refs {
            let strings = |l: &Vec<ReferenceNumber>| l.iter().map(|r| r.to_string()).collect::<Vec<_>>();
            v["references"] = json!({
                "listed": r.listed,
                "found": r.found,
                "missing": strings(&r.missing),
                "corrupt": strings(&r.corrupt),
                "wrong_ero": strings(&r.wrong_ero),
            });
        }
        v
    }
}

// ---------------------------------------------------------------------------
// shared

/// The file a `sqlite:` URL names.
fn sqlite_path(url: &str) -> anyhow::Result<PathBuf> {
    if !url.starts_with("sqlite:") {
        bail!("the database URL must start with sqlite: or postgres:// (got a URL of another kind)");
    }
    let options = SqliteConnectOptions::from_str(url).map_err(|e| anyhow::anyhow!("bad SQLite URL: {e}"))?;
    let path = options.get_filename().to_path_buf();
    if path.as_os_str().is_empty() || path.as_os_str() == ":memory:" {
        bail!("the SQLite URL must name a file, e.g. sqlite:/var/lib/ier/ier.db");
    }
    Ok(path)
}

fn parse_keys(keys: &SecretString) -> anyhow::Result<DataKeys> {
    DataKeys::parse(keys)
        .map_err(|e| anyhow::anyhow!("the data keys (--data-keys or IER_DATA_KEYS) are not valid: {e}"))
}

async fn schema_version_sqlite(backend: &SqliteBackend) -> anyhow::Result<i64> {
    let v: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
        .fetch_one(backend.pool())
        .await
        .map_err(|e| anyhow::anyhow!("reading the schema version: {}", sql_failure(&e)))?;
    Ok(v.unwrap_or(0))
}

/// A SQL failure without the message (which can quote values): its code, or its kind.
fn sql_failure(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(db) => match db.code() {
            // SQLite's primary codes, for the ones an operator meets here.
            Some(c) if c == "11" => "the file is malformed (SQLITE_CORRUPT)".into(),
            Some(c) if c == "26" => "the file is not a database (SQLITE_NOTADB)".into(),
            Some(c) if c == "13" => "the disk is full (SQLITE_FULL)".into(),
            Some(c) => format!("database error {c}"),
            None => "database error".into(),
        },
        sqlx::Error::Io(io) => format!("I/O error: {io}"),
        other => other.to_string(),
    }
}

/// `path` with `suffix` added to its file name.
fn sibling(path: &Path, suffix: &str) -> anyhow::Result<PathBuf> {
    let name = path.file_name().with_context(|| format!("{} does not name a file", path.display()))?;
    let mut name = name.to_os_string();
    name.push(suffix);
    Ok(path.with_file_name(name))
}

fn sync_file(path: &Path) -> anyhow::Result<()> {
    std::fs::File::open(path).and_then(|f| f.sync_all()).with_context(|| format!("flushing {} to disk", path.display()))
}

/// Flush the directory holding `path`, so a rename into it survives a crash.
fn sync_dir(path: &Path) -> anyhow::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::File::open(dir).and_then(|f| f.sync_all()).with_context(|| format!("flushing {}", dir.display()))
}

/// 0 when verified, 3 when verification found problems, 1 (with the error) when it could not run.
fn exit_code(result: anyhow::Result<bool>) -> i32 {
    let _ = std::io::stdout().flush();
    match result {
        Ok(true) => 0,
        Ok(false) => VERIFY_FAILED,
        Err(e) => {
            eprintln!("Error: {e:#}");
            1
        }
    }
}
