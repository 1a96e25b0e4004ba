//! `ier seed`: fill a database with synthetic applications through
//! [`ier_storage::Store::submit_many`], for restore drills, crash tests and
//! benchmarks. Never for a live register: every applicant is made up (surnames
//! `Synthetic-...`), spread over every council of the reference data.
//!
//! With `--references-out FILE` the receipt of every committed batch
//! (`REFERENCE,ERO_ID` a line, what a client is given) is appended to FILE and
//! flushed to disk, so a later `ier verify --references FILE` can check that
//! each one survived.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use chrono::Utc;
use clap::Args;
use ier_domain::application::{Address, BirthDetails, Contact, OrReason};
use ier_domain::*;
use ier_storage::NewApplication;
use secrecy::SecretString;

#[derive(Args)]
pub struct SeedArgs {
    /// The database: `sqlite:PATH` (created if missing) or `postgres://...`.
    #[arg(long, env = "IER_DATABASE_URL")]
    database_url: String,
    /// The data-encryption key(s) to seal the applications with.
    #[arg(long, env = "IER_DATA_KEYS", hide_env_values = true)]
    data_keys: SecretString,
    /// How many applications to submit.
    #[arg(long)]
    applications: u64,
    /// Applications committed in one transaction.
    #[arg(long, default_value_t = 5000)]
    batch: u64,
    /// Append `REFERENCE,ERO_ID` for every committed application to this file.
    #[arg(long)]
    references_out: Option<PathBuf>,
}

pub fn run(args: SeedArgs) -> anyhow::Result<()> {
    crate::runtime()?.block_on(seed(args))
}

async fn seed(args: SeedArgs) -> anyhow::Result<()> {
    if args.batch == 0 {
        anyhow::bail!("--batch must be at least 1");
    }
    let keys = ier_storage::DataKeys::parse(&args.data_keys)
        .map_err(|e| anyhow::anyhow!("the data keys (--data-keys or IER_DATA_KEYS) are not valid: {e}"))?;
    let store = crate::open::store(&args.database_url, keys).await?;
    let councils: Vec<GssCode> = ier_reference::ReferenceData::embedded().councils().map(|c| c.gss_code).collect();
    let mut out = match &args.references_out {
        Some(path) => Some(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("opening {}", path.display()))?,
        ),
        None => None,
    };
    let today = Utc::now().date_naive();
    let started = Instant::now();
    let mut done = 0u64;
    while done < args.applications {
        let n = (args.applications - done).min(args.batch);
        let batch: Vec<NewApplication> = (done..done + n)
            .map(|i| NewApplication {
                language: if i % 10 == 0 { Language::Cy } else { Language::En },
                gss_code: councils[(i % councils.len() as u64) as usize],
                details: applicant(i, today),
                journey: None,
                facts: Default::default(),
            })
            .collect();
        let receipts = store.submit_many(batch, Utc::now()).await.context("submitting a batch")?;
        if let Some(f) = out.as_mut() {
            let mut text = String::with_capacity(receipts.len() * 40);
            for r in &receipts {
                text.push_str(&format!("{},{}\n", r.reference, r.ero_id));
            }
            f.write_all(text.as_bytes()).and_then(|_| f.sync_data()).context("writing the references")?;
        }
        done += n;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "seeded {done} applications over {} councils in {seconds:.1} s ({:.0}/s)",
        councils.len(),
        done as f64 / seconds.max(1e-9)
    );
    Ok(())
}

/// A made-up applicant, different for each `i` (letters only, as names must be).
fn applicant(i: u64, today: chrono::NaiveDate) -> ApplicantDetails {
    let mut tag = String::new();
    let mut n = i;
    loop {
        tag.push((b'a' + (n % 26) as u8) as char);
        n /= 26;
        if n == 0 {
            break;
        }
    }
    let surname = format!("Synthetic-{tag}");
    ApplicantDetails {
        name: PersonName::parse("Alex", "", &surname).expect("a valid synthetic name"),
        previous_name: None,
        birth: BirthDetails::Date(
            DateOfBirth::parse(
                &(1 + i % 28).to_string(),
                &(1 + i % 12).to_string(),
                &(1950 + i % 50).to_string(),
                today,
            )
            .expect("a valid synthetic date of birth"),
        ),
        nationality: Nationality::stated(true, false, vec![]).expect("British"),
        nino: OrReason::Given(Nino::parse("AB123456C").expect("a valid NINO")),
        address: Address {
            uprn: Some(Uprn::new(10_000_000_000 + i % 1_000_000).expect("a valid UPRN")),
            lines: vec![format!("{} High Street", 1 + i % 200)],
            town: "Town".into(),
            postcode: Postcode::parse("SW1A 1AA").expect("a valid postcode"),
        },
        previous_address: None,
        open_register: false,
        // Most give an email address, some a mobile number (Ofcom's drama range), a few post only.
        contact: match i % 10 {
            0 => Contact { email: None, phone: None, post: true },
            1 => Contact { email: None, phone: Some(format!("07700 900{:03}", i % 1000)), post: false },
            _ => Contact { email: Some(format!("synthetic-{tag}@example.invalid")), phone: None, post: false },
        },
        part: ier_domain::KindDetails::Ordinary(ier_domain::OrdinaryDetails {
            other_address: OtherAddress::None,
            was_overseas_voter: false,
            postal_vote: PostalVote::InPerson,
        }),
    }
}
