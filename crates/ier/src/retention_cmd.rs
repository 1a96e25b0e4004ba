//! `ier retention run`: apply the retention periods (`ier_domain::retention`,
//! data/retention.toml) now: erase the personal data of applications whose
//! time has come and old feedback comments, in batches, and say how many, by
//! ERO (counts only). `--dry-run` counts what would go, changing nothing, and
//! may look ahead (`--as-of`). `ier serve` and `ier demo` also run it every
//! hour ([`schedule`]).

use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use ier_domain::retention::Retention;
use ier_storage::retention::Report;

#[derive(Subcommand)]
pub enum RetentionCmd {
    /// Erase what the retention periods say is due (or, with --dry-run, count it).
    Run(RunArgs),
}

#[derive(Args)]
pub struct RunArgs {
    /// The database: `sqlite:PATH` or `postgres://...`.
    #[arg(long, env = "IER_DATABASE_URL", hide_env_values = true)]
    database_url: String,
    /// Count what is due, change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Records a transaction (1 to 10,000).
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    batch: u32,
    /// Count what will be due at this moment instead of now (RFC 3339, e.g. 2027-01-31T00:00:00Z); only with --dry-run.
    #[arg(long, requires = "dry_run", value_parser = parse_moment)]
    as_of: Option<DateTime<Utc>>,
}

fn parse_moment(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("{s:?} is not a moment like 2027-01-31T00:00:00Z"))
}

pub fn run(cmd: RetentionCmd) -> anyhow::Result<()> {
    let RetentionCmd::Run(args) = cmd;
    crate::runtime()?.block_on(async {
        let backend = crate::open::backend(&args.database_url, Some(2)).await?;
        let rules = Retention::current();
        let now = args.as_of.unwrap_or_else(Utc::now);
        let report = ier_storage::retention::run(&*backend, rules, now, args.batch, args.dry_run)
            .await
            .context("applying the retention periods")?;
        println!(
            "retention periods: {} days after a decision, {} after receipt when undecided, feedback comments {} days, data matching runs {} days after matching ({} unfinished)",
            rules.after_decision_days.get(),
            rules.after_receipt_days.get(),
            rules.feedback_comment_days.get(),
            rules.matching_after_matched_days.get(),
            rules.matching_unfinished_days.get()
        );
        print!("{}", describe(&report, args.dry_run));
        Ok(())
    })
}

/// What a run did (or would do), in a few lines.
fn describe(report: &Report, dry_run: bool) -> String {
    let (erase, delete) = if dry_run { ("would erase", "would delete") } else { ("erased", "deleted") };
    let mut out = format!("{erase} {} application(s)", report.applications_total());
    if !report.applications.is_empty() {
        let by: Vec<String> = report.applications.iter().map(|(ero, n)| format!("{ero} {n}")).collect();
        out.push_str(&format!(": {}", by.join(", ")));
    }
    out.push_str(&format!("\n{delete} {} feedback comment(s)\n", report.feedback_comments));
    let runs: u64 = report.matching_runs.values().sum();
    out.push_str(&format!("{delete} {runs} data matching run(s)"));
    if !report.matching_runs.is_empty() {
        let by: Vec<String> = report.matching_runs.iter().map(|(ero, n)| format!("{ero} {n}")).collect();
        out.push_str(&format!(": {}", by.join(", ")));
    }
    out.push('\n');
    out
}

/// How often an instance applies the retention periods.
pub const EVERY: Duration = Duration::from_secs(3600);

/// Apply the retention periods every hour, on this instance, from a minute or
/// so after it starts. Runs on several instances at once erase each record
/// once (the backends check again under the rows' locks), so each instance
/// may run its own; a run that fails is logged and tried at the next hour.
pub fn schedule(store: &ier_storage::Store) {
    let store = store.clone();
    tokio::spawn(async move {
        // Not all instances at the same moment after a deploy.
        let first = Duration::from_secs(60 + rand::random::<u64>() % 240);
        tokio::time::sleep(first).await;
        let mut every = tokio::time::interval(EVERY);
        loop {
            every.tick().await;
            match store.run_retention(Retention::current(), Utc::now(), 500, false).await {
                Ok(report) => {
                    let metrics = ier_ops::metrics();
                    metrics.erased("application").inc_by(report.applications_total());
                    metrics.erased("feedback-comment").inc_by(report.feedback_comments);
                    let runs: u64 = report.matching_runs.values().sum();
                    metrics.erased("matching-run").inc_by(runs);
                    if report.applications_total() + report.feedback_comments + runs > 0 {
                        tracing::info!(
                            applications = report.applications_total(),
                            feedback_comments = report.feedback_comments,
                            matching_runs = runs,
                            "retention: personal data erased"
                        );
                    }
                }
                Err(e) => {
                    ier_ops::metrics().error("retention").inc();
                    tracing::error!(error = %e, "retention run failed; trying again in an hour");
                }
            }
        }
    });
}
