//! `ier`: the one binary of the national online electoral registration service.
//!
//! Subcommands run each part: `demo` (everything on the embedded default, with
//! demo data), `serve` (production, configured from the environment),
//! `import` (reference data), `lookup` (which council for a postcode),
//! `keygen` (a data-encryption key), `synth` (synthetic populations with
//! ground truth, for identity-matching tests and benchmarks), `match`
//! (bulk record linkage of two CSV files), `ero` (the EMS API's certificates),
//! `ems` (the reference EMS client), `backup` (an online backup of the embedded
//! SQLite database, checked), `restore` (a backup into a fresh location,
//! migrated and verified), `verify` (every application of a SQLite or Postgres
//! database decrypts; listed references are all there), `seed` (synthetic
//! applications for drills and benchmarks), `jobs` (the job queue, for
//! operators: list, retry, discard) and `feedback export` (the feedback form's
//! answers as CSV).

mod audit_cmd;
mod backup;
mod config;
mod demo;
mod ems_client;
mod ems_register;
mod ero_cmd;
mod feedback_cmd;
mod health_cmd;
mod jobs_cmd;
mod match_cmd;
mod open;
mod portal;
mod retention_cmd;
mod seed;
mod staff_cmd;
mod synth;
mod workers;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use ier_domain::Postcode;
use ier_reference::{PostcodeDirectory, Route};
use secrecy::ExposeSecret;

#[derive(Parser)]
#[command(
    name = "ier",
    version,
    about = "Register to vote: the national online electoral registration service for Great Britain"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the whole service on this machine with the embedded database and demo data.
    Demo(demo::DemoArgs),
    /// Run the service in production, configured from the environment (see `ier serve --help`).
    Serve(Box<config::ServeArgs>),
    /// Import reference data.
    #[command(subcommand)]
    Import(Import),
    /// Show which council and ERO register people at a postcode.
    Lookup {
        /// A UK postcode, e.g. "SW1A 1AA".
        postcode: String,
        /// A postcode table made by `ier import onspd` (default: the one shipped).
        #[arg(long, env = "IER_POSTCODE_TABLE")]
        postcode_table: Option<PathBuf>,
    },
    /// Generate a synthetic population: a DWP reference extract, or noisy records with ground truth.
    #[command(subcommand)]
    Synth(synth::Synth),
    /// Record linkage: match the records of one CSV file to another's (bulk verification, register confirmation).
    #[command(subcommand)]
    Match(match_cmd::Match),
    /// The EMS API's certificates: issue and revoke ERO client certificates, trust external CAs.
    #[command(subcommand)]
    Ero(ero_cmd::Ero),
    /// The reference EMS client: fetch applications over mutual TLS, answer register checks.
    #[command(subcommand)]
    Ems(ems_client::Ems),
    /// Back up the embedded SQLite database while the service runs (online, checked).
    Backup(backup::BackupArgs),
    /// Restore a backup made by `ier backup` into a fresh location, migrate it and verify every application.
    Restore(backup::RestoreArgs),
    /// Check that every application (and every listed reference) is present and decrypts; SQLite or Postgres.
    Verify(backup::VerifyArgs),
    /// Submit synthetic applications, for restore drills and benchmarks (never on a live register).
    Seed(seed::SeedArgs),
    /// The job queue: list queues and jobs (no personal data), retry or discard failed jobs.
    #[command(subcommand)]
    Jobs(jobs_cmd::Jobs),
    /// The feedback sent with the public feedback form: export it as CSV.
    #[command(subcommand)]
    Feedback(feedback_cmd::Feedback),
    /// Personal data past its retention period: erase it now (ier serve does so every hour).
    #[command(subcommand)]
    Retention(retention_cmd::RetentionCmd),
    /// The audit of EMS API accesses: check its hash chain.
    #[command(subcommand)]
    Audit(audit_cmd::Audit),
    /// Is the instance ready? Asks its internal listener (for container health checks): exit 0 if so.
    Health {
        /// The internal listener's address.
        #[arg(long, env = "IER_INTERNAL_ADDR", default_value = "127.0.0.1:9090")]
        addr: std::net::SocketAddr,
        /// `ready` (the database answers and the instance is not draining) or `live` (the process answers).
        #[arg(long, default_value = "ready", value_parser = ["ready", "live"])]
        check: String,
    },
    /// Print a new random data-encryption key, for IER_DATA_KEYS.
    Keygen {
        /// The key's id, stored with every row it seals (for rotation).
        #[arg(long, default_value = "key1")]
        id: String,
    },
}

#[derive(Subcommand)]
enum Import {
    /// Build the postcode table from the ONS Postcode Directory (ONSPD) or NSPL CSV.
    Onspd {
        /// The ONSPD/NSPL CSV file (the whole-UK file, e.g. ONSPD_NOV_2025_UK.csv).
        #[arg(long)]
        file: PathBuf,
        /// Where to write the table; point IER_POSTCODE_TABLE at it.
        #[arg(long)]
        out: PathBuf,
        /// Leave out terminated postcodes (those with a `doterm`).
        #[arg(long)]
        live_only: bool,
    },
    /// Load EROs' contact details (shown to applicants and in messages, published at /api/eros)
    /// from a CSV of ero_id,email,phone,website,address; every row is checked first.
    Contacts {
        /// The CSV file.
        #[arg(long)]
        file: PathBuf,
        /// The database: `sqlite:PATH` or `postgres://...`.
        #[arg(long, env = "IER_DATABASE_URL", hide_env_values = true)]
        database_url: String,
    },
}

fn main() -> anyhow::Result<()> {
    tune_allocator();
    let cli = Cli::parse();
    match cli.command {
        Command::Demo(args) => runtime()?.block_on(demo::run(args)),
        Command::Serve(args) => runtime()?.block_on(config::serve(*args)),
        Command::Import(Import::Onspd { file, out, live_only }) => import_onspd(&file, &out, live_only),
        Command::Import(Import::Contacts { file, database_url }) => {
            runtime()?.block_on(import_contacts(&file, &database_url))
        }
        Command::Lookup { postcode, postcode_table } => lookup(&postcode, postcode_table.as_deref()),
        Command::Synth(cmd) => synth::run(cmd),
        Command::Match(cmd) => match_cmd::run(cmd),
        Command::Ero(cmd) => ero_cmd::run(cmd),
        Command::Ems(cmd) => ems_client::run(cmd),
        Command::Backup(args) => backup::backup(args),
        Command::Restore(args) => std::process::exit(backup::restore(args)),
        Command::Verify(args) => std::process::exit(backup::verify(args)),
        Command::Seed(args) => seed::run(args),
        Command::Jobs(cmd) => jobs_cmd::run(cmd),
        Command::Feedback(cmd) => feedback_cmd::run(cmd),
        Command::Retention(cmd) => retention_cmd::run(cmd),
        Command::Audit(cmd) => std::process::exit(audit_cmd::run(cmd)?),
        Command::Health { addr, check } => std::process::exit(health_cmd::run(addr, &format!("/health/{check}"))),
        Command::Keygen { id } => {
            println!("{}", ier_storage::DataKeys::generate(&id).expose_secret());
            Ok(())
        }
    }
}

/// glibc's allocator serves a block of 128 KiB or more (up to 32 MiB, as it learns) with a
/// mapping of its own, returned to the kernel when freed, and gives back free memory at the top
/// of its heap past 128 KiB. A data matching run builds and drops many such blocks (a page of
/// electors, a chunk of results) on several threads: the kernel then zeroes the same memory
/// again and again, which took as long as opening the pages itself (`docs/BENCHMARKS.md`, issue
/// 18). Blocks under 32 MiB come from the heap here, and up to 256 MiB of free memory is kept
/// for the next run before it is given back.
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets the allocator's parameters; it is called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")
}

async fn import_contacts(file: &std::path::Path, url: &str) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let contacts = match ier_reference::contacts::parse_contacts(&text, ier_reference::ReferenceData::embedded()) {
        Ok(c) => c,
        Err(problems) => {
            for p in &problems {
                eprintln!("{}: {p}", file.display());
            }
            anyhow::bail!("{} problems in {}; nothing was loaded", problems.len(), file.display());
        }
    };
    let backend = open::backend(url, Some(1)).await?;
    // The councils and EROs first, so a fresh database takes the contacts too.
    let reference = ier_reference::ReferenceData::embedded();
    backend.put_eros(&reference.eros().cloned().collect::<Vec<_>>()).await.context("loading EROs")?;
    backend.put_councils(&reference.councils().cloned().collect::<Vec<_>>()).await.context("loading councils")?;
    let loaded = backend.put_ero_contacts(&contacts).await.context("loading contact details")?;
    println!("contact details loaded for {loaded} EROs");
    Ok(())
}

fn import_onspd(file: &std::path::Path, out: &std::path::Path, live_only: bool) -> anyhow::Result<()> {
    let input = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let (dir, report) = PostcodeDirectory::from_onspd_csv(std::io::BufReader::new(input), live_only)
        .with_context(|| format!("reading {}", file.display()))?;
    let tmp = out.with_extension("tmp");
    dir.write(std::io::BufWriter::new(
        std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?,
    ))?;
    std::fs::rename(&tmp, out)?;
    let gb = dir.districts().iter().filter(|c| c.nation().is_some()).count();
    println!(
        "wrote {}: {} postcodes in {} districts ({} in GB); skipped {} malformed postcodes, {} without a district, {} terminated",
        out.display(),
        report.postcodes,
        dir.districts().len(),
        gb,
        report.skipped_invalid_postcode,
        report.skipped_no_district,
        report.skipped_terminated
    );
    Ok(())
}

fn lookup(postcode: &str, table: Option<&std::path::Path>) -> anyhow::Result<()> {
    let postcode = Postcode::parse(postcode).map_err(|e| anyhow::anyhow!("the postcode {e}"))?;
    let locator = open::locator(table)?;
    match locator.route(&postcode) {
        Route::Council { council, ero } => {
            println!("{postcode}: {} ({}), {}", council.name, council.gss_code, council.nation);
            if let Some(cy) = &council.name_cy {
                println!("  Welsh name: {cy}");
            }
            println!("  Electoral Registration Officer: {} ({})", ero.name, ero.id);
        }
        Route::NorthernIreland => println!(
            "{postcode}: Northern Ireland: out of scope, register with the Electoral Office for Northern Ireland (EONI)"
        ),
        Route::CrownDependency => {
            println!("{postcode}: Channel Islands or Isle of Man: not part of UK electoral registration")
        }
        Route::Forces => println!("{postcode}: a BFPO address: register at a UK address"),
        Route::Unknown => anyhow::bail!("{postcode} is not in the postcode directory"),
    }
    Ok(())
}
