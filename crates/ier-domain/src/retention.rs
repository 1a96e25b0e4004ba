//! How long the service keeps personal data: the retention periods, read from
//! versioned data (`data/retention.toml`), and the moments before which each
//! kind of record is due to lose its personal data.
//!
//! What erasing means, and what stays, is said in the data file; storage
//! applies it (`ier_storage::retention`).

use std::sync::LazyLock;

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

/// The longest period the file may set (ten years): anything longer is a typo.
pub const MAX_DAYS: u32 = 3650;

/// The retention periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Days after a final determination (the EMS having confirmed receipt).
    pub after_decision_days: Days,
    /// Days after the EMS confirmed receipt, when no final determination came.
    pub after_receipt_days: Days,
    /// Days a feedback comment is kept.
    pub feedback_comment_days: Days,
    /// A data matching run (its register upload, local data and results), after its last match finished.
    pub matching_after_matched_days: Days,
    /// A data matching run no match of which ever finished, after it was created.
    pub matching_unfinished_days: Days,
}

/// A period in whole days, 1 to [`MAX_DAYS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Days(u32);

impl Days {
    pub fn new(days: u32) -> Result<Self, RetentionError> {
        if (1..=MAX_DAYS).contains(&days) { Ok(Self(days)) } else { Err(RetentionError::OutOfRange(days)) }
    }

    pub fn get(self) -> u32 {
        self.0
    }

    fn before(self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - Duration::days(i64::from(self.0))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RetentionError {
    #[error("retention file is not valid: {0}")]
    Syntax(String),
    #[error("a retention period of {0} days is out of range (1 to 3650)")]
    OutOfRange(u32),
    #[error("the period after receipt ({receipt} days) must be at least the period after a decision ({decision} days)")]
    ReceiptShorterThanDecision { receipt: u32, decision: u32 },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    applications: ApplicationsSection,
    feedback: FeedbackSection,
    matching_runs: MatchingSection,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MatchingSection {
    after_matched_days: u32,
    unfinished_days: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ApplicationsSection {
    after_decision_days: u32,
    after_receipt_days: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FeedbackSection {
    comment_days: u32,
}

static CURRENT: LazyLock<Retention> = LazyLock::new(|| {
    Retention::from_toml(include_str!("../data/retention.toml")).expect("data/retention.toml is valid")
});

/// The moments before which records are due to be erased, at one `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cutoffs {
    /// Applications finally determined before this (and received by the EMS).
    pub decided_before: DateTime<Utc>,
    /// Applications received by the EMS before this, whatever their determination.
    pub received_before: DateTime<Utc>,
    /// Feedback received before this loses its comment.
    pub feedback_before: DateTime<Utc>,
    /// Data matching runs whose last match finished before this.
    pub matched_before: DateTime<Utc>,
    /// Data matching runs with no finished match, created before this.
    pub unfinished_before: DateTime<Utc>,
}

impl Retention {
    /// The periods shipped with the service.
    pub fn current() -> &'static Retention {
        &CURRENT
    }

    pub fn from_toml(text: &str) -> Result<Retention, RetentionError> {
        let f: File = toml::from_str(text).map_err(|e| RetentionError::Syntax(e.message().to_owned()))?;
        let decision = Days::new(f.applications.after_decision_days)?;
        let receipt = Days::new(f.applications.after_receipt_days)?;
        if receipt < decision {
            return Err(RetentionError::ReceiptShorterThanDecision { receipt: receipt.0, decision: decision.0 });
        }
        Ok(Retention {
            after_decision_days: decision,
            after_receipt_days: receipt,
            feedback_comment_days: Days::new(f.feedback.comment_days)?,
            matching_after_matched_days: Days::new(f.matching_runs.after_matched_days)?,
            matching_unfinished_days: Days::new(f.matching_runs.unfinished_days)?,
        })
    }

    /// What is due for erasure at `now`.
    pub fn cutoffs(&self, now: DateTime<Utc>) -> Cutoffs {
        Cutoffs {
            decided_before: self.after_decision_days.before(now),
            received_before: self.after_receipt_days.before(now),
            feedback_before: self.feedback_comment_days.before(now),
            matched_before: self.matching_after_matched_days.before(now),
            unfinished_before: self.matching_unfinished_days.before(now),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_shipped_periods_load() {
        let r = Retention::current();
        assert_eq!(r.after_decision_days.get(), 28);
        assert_eq!(r.after_receipt_days.get(), 365);
        assert_eq!(r.feedback_comment_days.get(), 365);
        assert_eq!(r.matching_after_matched_days.get(), 28);
        assert_eq!(r.matching_unfinished_days.get(), 7);
    }

    #[test]
    fn cutoffs_count_whole_days_back_from_now() {
        let now = Utc.with_ymd_and_hms(2027, 3, 1, 12, 0, 0).unwrap();
        let c = Retention::current().cutoffs(now);
        assert_eq!(c.decided_before, Utc.with_ymd_and_hms(2027, 2, 1, 12, 0, 0).unwrap());
        assert_eq!(c.received_before, Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap());
        assert_eq!(c.feedback_before, c.received_before);
    }

    fn file(decision: &str, receipt: &str, feedback: &str) -> String {
        format!(
            "[applications]\nafter_decision_days = {decision}\nafter_receipt_days = {receipt}\n[feedback]\ncomment_days = {feedback}\n[matching_runs]\nafter_matched_days = 28\nunfinished_days = 7\n"
        )
    }

    #[test]
    fn periods_out_of_range_or_out_of_order_are_refused() {
        assert_eq!(Retention::from_toml(&file("0", "365", "1")), Err(RetentionError::OutOfRange(0)));
        assert_eq!(Retention::from_toml(&file("28", "3651", "1")), Err(RetentionError::OutOfRange(3651)));
        assert_eq!(
            Retention::from_toml(&file("90", "30", "1")),
            Err(RetentionError::ReceiptShorterThanDecision { receipt: 30, decision: 90 })
        );
        assert!(matches!(Retention::from_toml(&file("-1", "30", "1")), Err(RetentionError::Syntax(_))));
        assert!(matches!(Retention::from_toml(&file("28", "365", "1.5")), Err(RetentionError::Syntax(_))));
        let unknown = file("28", "365", "1") + "forever = true\n";
        assert!(matches!(Retention::from_toml(&unknown), Err(RetentionError::Syntax(_))));
        assert!(Retention::from_toml(&file("1", "1", "1")).is_ok());
    }
}
