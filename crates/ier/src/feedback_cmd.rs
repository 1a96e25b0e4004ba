//! `ier feedback export`: the feedback sent with the public feedback form
//! ([`ier_storage::feedback`]) as CSV for the service team: the hour it came,
//! the rating, the page it was about and the comment (opened with the data
//! keys, since a comment may hold personal data: handle the file accordingly).
//! Nothing in it says who sent it.

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Subcommand};
use secrecy::SecretString;

#[derive(Subcommand)]
pub enum Feedback {
    /// Print feedback received since a date as CSV (received_at, rating, page, comment), oldest first.
    Export(ExportArgs),
}

#[derive(Args)]
pub struct ExportArgs {
    /// The database: `sqlite:PATH` or `postgres://...`.
    #[arg(long, env = "IER_DATABASE_URL", hide_env_values = true)]
    database_url: String,
    /// The data keys (comments are sealed with them).
    #[arg(long, env = "IER_DATA_KEYS", hide_env_values = true)]
    data_keys: SecretString,
    /// Feedback received on or after this day (YYYY-MM-DD, UTC); all of it when not given.
    #[arg(long, value_parser = parse_day)]
    since: Option<NaiveDate>,
}

fn parse_day(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("{s:?} is not a date like 2026-05-04"))
}

pub fn run(cmd: Feedback) -> anyhow::Result<()> {
    crate::runtime()?.block_on(async {
        match cmd {
            Feedback::Export(args) => export(args).await,
        }
    })
}

async fn export(args: ExportArgs) -> anyhow::Result<()> {
    let keys = ier_storage::DataKeys::parse(&args.data_keys)
        .map_err(|e| anyhow::anyhow!("the data keys (--data-keys or IER_DATA_KEYS) are not valid: {e}"))?;
    let store = crate::open::store_with_pool(&args.database_url, keys, Some(2)).await?;
    let since =
        args.since.map(|d| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc()).unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    let rows = store.feedback_since(since).await.context("reading the feedback")?;
    let mut out = csv::Writer::from_writer(std::io::stdout().lock());
    out.write_record(["received_at", "rating", "page", "comment"])?;
    for r in &rows {
        let at = r.received_at.format("%Y-%m-%dT%H:00Z").to_string();
        out.write_record([at.as_str(), r.rating.as_str(), r.page.as_deref().unwrap_or(""), r.comment.as_str()])?;
    }
    out.flush()?;
    Ok(())
}
