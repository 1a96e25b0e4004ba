//! The service's performance figures, kept as they happen: counters by period,
//! measure and category, never worked out by scanning applications.
//!
//! A submission's counts ([`submission_tallies`]) are written in the same
//! transaction as the application, and a job's (an identity check's outcome, a
//! message sent) with the job's effects, so a figure never counts something
//! that was not stored, nor misses something that was. What the public tier
//! sees and stores nothing for (journeys started, requests served, repeat
//! notices shown) is counted in memory ([`Tallies`]) and added every few
//! seconds.
//!
//! Applications are counted by hour (the page shows the last 48); everything
//! else by day (a day in Europe/London), which keeps 90 days of every figure
//! to a few tens of thousands of rows whatever the volume. [`Figures`] turns
//! the rows into what the public performance page and the open data show,
//! including the suppression of small counts. No personal data: categories
//! are closed sets (a nation, an age band, a GSS code, a channel).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::London;
use ier_domain::{ApplicantDetails, BirthDetails, GssCode, Language};
use serde::Serialize;

/// What is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Measure {
    /// Applications sent (by hour; no category).
    Applications,
    /// Applications sent (by day: the 90-day chart reads 90 rows, not 2,160).
    DailyApplications,
    /// Applications by nation (`england`, `wales`, `scotland`).
    Nation,
    /// Applications by age band on the day they were sent ([`age_band`]).
    AgeBand,
    /// Applications by kind of applicant (`ordinary`, `overseas`, ...).
    Kind,
    /// Applications by the language they were made in (`en`, `cy`).
    Language,
    /// Applications by council (GSS code).
    Council,
    /// Identity checks against DWP by outcome (`matched`, `not-matched`).
    Identity,
    /// Journeys started (the Start button on a journey's first page).
    JourneysStarted,
    /// Minutes from a journey's start to its application ([`minutes_bucket`]).
    CompletionMinutes,
    /// Applicants told on "Check your answers" that they had applied already or were registered.
    RepeatNotices,
    /// Of those, the ones who sent an application all the same.
    RepeatSent,
    /// Messages sent to applicants by channel (`email`, `sms`, `letter`).
    Notifications,
    /// Requests to the public site (`all`, `server-error`).
    Requests,
}

impl Measure {
    pub const ALL: [Measure; 14] = [
        Measure::Applications,
        Measure::DailyApplications,
        Measure::Nation,
        Measure::AgeBand,
        Measure::Kind,
        Measure::Language,
        Measure::Council,
        Measure::Identity,
        Measure::JourneysStarted,
        Measure::CompletionMinutes,
        Measure::RepeatNotices,
        Measure::RepeatSent,
        Measure::Notifications,
        Measure::Requests,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Measure::Applications => "applications",
            Measure::DailyApplications => "daily-applications",
            Measure::Nation => "nation",
            Measure::AgeBand => "age-band",
            Measure::Kind => "kind",
            Measure::Language => "language",
            Measure::Council => "council",
            Measure::Identity => "identity",
            Measure::JourneysStarted => "journeys-started",
            Measure::CompletionMinutes => "completion-minutes",
            Measure::RepeatNotices => "repeat-notices",
            Measure::RepeatSent => "repeat-sent",
            Measure::Notifications => "notifications",
            Measure::Requests => "requests",
        }
    }

    pub fn parse(s: &str) -> Option<Measure> {
        Measure::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// Counted by hour (applications) or by day.
    pub fn hourly(self) -> bool {
        self == Measure::Applications
    }

    /// Shown as totals over the figures' days (breakdowns and rates; councils;
    /// not the time series, nor requests, which cover 30 days).
    pub fn summed(self) -> bool {
        !matches!(self, Measure::Applications | Measure::DailyApplications | Measure::Requests)
    }

    /// The period a moment is counted in: its hour, or the first hour of its
    /// day in Europe/London (both as hours since the Unix epoch, UTC).
    pub fn period(self, at: DateTime<Utc>) -> i64 {
        if self.hourly() { hour_of(at) } else { day_start_hour(london_date(at)) }
    }
}

/// Hours since the Unix epoch.
pub fn hour_of(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(3600)
}

/// The moment an hour starts.
pub fn hour_start(hour: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(hour * 3600, 0).single().unwrap_or_default()
}

/// The date in Europe/London at a moment.
pub fn london_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&London).date_naive()
}

/// The hour (since the epoch, UTC) in which a day in Europe/London starts.
pub fn day_start_hour(day: NaiveDate) -> i64 {
    let midnight = day.and_hms_opt(0, 0, 0).expect("midnight exists");
    // Midnight always exists in London (the clocks change at 01:00 and 02:00).
    let start = London.from_local_datetime(&midnight).earliest().map(|t| t.with_timezone(&Utc));
    hour_of(start.unwrap_or_else(|| Utc.from_utc_datetime(&midnight)))
}

/// One thing to count once, at a moment the caller knows.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tally {
    pub measure: Measure,
    /// A closed-set value (empty for measures without categories).
    pub category: String,
}

impl Tally {
    pub fn new(measure: Measure, category: impl Into<String>) -> Self {
        Self { measure, category: category.into() }
    }
}

/// A stored counter: how many of `measure` in `category` during `period`
/// (ordered as the table's key, so every writer locks rows in one order).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountRow {
    pub measure: Measure,
    /// Hours since the epoch of the period's start ([`Measure::period`]).
    pub period: i64,
    pub category: String,
    pub count: i64,
}

/// Tallies made at `at`, summed into rows (one per period, measure and
/// category, in key order: writers lock rows in one order, never deadlocking).
pub fn rows_of<'a>(tallies: impl IntoIterator<Item = (DateTime<Utc>, &'a Tally)>) -> Vec<CountRow> {
    let mut sums: BTreeMap<(Measure, i64, &str), i64> = BTreeMap::new();
    // The London day of an hour, worked out once an hour rather than once a tally.
    let mut days: HashMap<i64, i64> = HashMap::new();
    for (at, t) in tallies {
        let hour = hour_of(at);
        let period = if t.measure.hourly() {
            hour
        } else {
            *days.entry(hour).or_insert_with(|| day_start_hour(london_date(at)))
        };
        *sums.entry((t.measure, period, t.category.as_str())).or_default() += 1;
    }
    sums.into_iter()
        .map(|((measure, period, category), count)| CountRow { period, measure, category: category.to_owned(), count })
        .collect()
}

impl CountRow {
    /// A row as a backend reads it back (`None` for a measure this build does not know).
    pub fn stored(measure: &str, period: i64, category: String, count: i64) -> Option<CountRow> {
        Some(CountRow { measure: Measure::parse(measure)?, period, category, count })
    }
}

/// What the journey knew of an application beyond its answers, for the figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JourneyFacts {
    /// When the journey started.
    pub started_at: Option<DateTime<Utc>>,
    /// The applicant was told on "Check your answers" that they had applied or were registered.
    pub repeat_told: bool,
}

/// What sending an application counts.
pub fn submission_tallies(
    details: &ApplicantDetails,
    language: Language,
    gss_code: GssCode,
    facts: JourneyFacts,
    at: DateTime<Utc>,
) -> Vec<Tally> {
    let mut t = vec![
        Tally::new(Measure::Applications, ""),
        Tally::new(Measure::DailyApplications, ""),
        Tally::new(Measure::Kind, details.kind().as_str()),
        Tally::new(Measure::Language, language.as_str()),
        Tally::new(Measure::Council, gss_code.as_str()),
        Tally::new(Measure::AgeBand, age_band(&details.birth, london_date(at))),
    ];
    if let Some(nation) = gss_code.nation() {
        t.push(Tally::new(Measure::Nation, nation.as_str()));
    }
    if let Some(started) = facts.started_at.filter(|s| *s <= at) {
        let minutes = (at - started).num_minutes().max(0) as u32;
        t.push(Tally::new(Measure::CompletionMinutes, minutes_bucket(minutes).to_string()));
    }
    if facts.repeat_told {
        t.push(Tally::new(Measure::RepeatSent, ""));
    }
    t
}

/// What an identity check's outcome counts.
pub fn identity_tally(outcome: ier_domain::VerificationOutcome) -> Tally {
    let category = match outcome {
        ier_domain::VerificationOutcome::Match => "matched",
        ier_domain::VerificationOutcome::NoMatch => "not-matched",
    };
    Tally::new(Measure::Identity, category)
}

/// Age bands, youngest first (the ages applicants can be: 14 in Scotland and Wales).
pub const AGE_BANDS: [&str; 9] =
    ["14-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75-plus", "not-given"];

/// The age band of an applicant on a day.
pub fn age_band(birth: &BirthDetails, on: NaiveDate) -> &'static str {
    let BirthDetails::Date(dob) = birth else { return "not-given" };
    match dob.age_on(on) {
        0..=17 => "14-17",
        18..=24 => "18-24",
        25..=34 => "25-34",
        35..=44 => "35-44",
        45..=54 => "45-54",
        55..=64 => "55-64",
        65..=74 => "65-74",
        _ => "75-plus",
    }
}

/// Completion times are counted in buckets: each minute to 15, then coarser,
/// up to the three hours a journey may last.
pub fn minutes_bucket(minutes: u32) -> u32 {
    const EDGES: [u32; 9] = [20, 25, 30, 40, 50, 60, 90, 120, 180];
    if minutes <= 15 {
        return minutes;
    }
    EDGES.into_iter().find(|e| minutes <= *e).unwrap_or(180)
}

/// Counts made in memory, added to the database now and then (the public
/// tier's own: journeys started, requests, repeat notices). Counting is a
/// division and a hash-map entry under an uncontended lock (it runs on every
/// request); the hour becomes its measure's period (a London day) only when
/// the counts are taken.
#[derive(Debug, Default)]
pub struct Tallies {
    counts: std::sync::Mutex<HashMap<(Measure, i64, &'static str), i64>>,
}

impl Tallies {
    /// Count one at `at`. Categories are static: a closed set, never a value.
    pub fn add(&self, at: DateTime<Utc>, measure: Measure, category: &'static str) {
        let hour = hour_of(at);
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        *counts.entry((measure, hour, category)).or_default() += 1;
    }

    /// Everything counted since the last call, as rows by period.
    pub fn take(&self) -> Vec<CountRow> {
        let counts = std::mem::take(&mut *self.counts.lock().unwrap_or_else(|e| e.into_inner()));
        let mut rows: BTreeMap<(Measure, i64, &'static str), i64> = BTreeMap::new();
        for ((measure, hour, category), n) in counts {
            *rows.entry((measure, measure.period(hour_start(hour)), category)).or_default() += n;
        }
        rows.into_iter()
            .map(|((measure, period, category), count)| CountRow {
                measure,
                period,
                category: category.to_owned(),
                count,
            })
            .collect()
    }

    /// Put rows back that could not be written (the database was away). A
    /// row's period is the first hour of its period, so it is counted there again.
    pub fn restore(&self, rows: Vec<CountRow>) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        for r in rows {
            let category = static_category(&r.category);
            *counts.entry((r.measure, r.period, category)).or_default() += r.count;
        }
    }
}

/// The categories [`Tallies`] may hold, as statics.
fn static_category(c: &str) -> &'static str {
    const KNOWN: [&str; 3] = ["", "all", "server-error"];
    KNOWN.into_iter().find(|k| *k == c).unwrap_or("")
}

/// Counts under this, for a council or an hour, are published as "fewer than 10".
pub const SUPPRESS_BELOW: i64 = 10;

/// A published count: the number, or "fewer than 10".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "value")]
pub enum Shown {
    Count(i64),
    FewerThan10,
}

impl Shown {
    /// A count that could identify someone (an hour's or a council's) is hidden under 10.
    pub fn small(count: i64) -> Shown {
        if count < SUPPRESS_BELOW { Shown::FewerThan10 } else { Shown::Count(count) }
    }

    pub fn count(self) -> Option<i64> {
        match self {
            Shown::Count(n) => Some(n),
            Shown::FewerThan10 => None,
        }
    }
}

/// How many days the figures cover.
pub const DAYS: i64 = 90;
/// How many hours the hourly chart covers.
pub const HOURS: i64 = 48;
/// How many days availability covers.
pub const AVAILABILITY_DAYS: i64 = 30;

/// The periods to read for figures at `now`: from the start of the first of
/// the [`DAYS`] days, up to the current hour.
pub fn window(now: DateTime<Utc>) -> (i64, i64) {
    let today = london_date(now);
    (day_start_hour(today - chrono::Duration::days(DAYS - 1)), hour_of(now))
}

/// The first period of the availability figure's [`AVAILABILITY_DAYS`] days.
pub fn availability_from(now: DateTime<Utc>) -> i64 {
    day_start_hour(london_date(now) - chrono::Duration::days(AVAILABILITY_DAYS - 1))
}

/// Rows of day-counted measures as the open data's long form, day by day
/// (councils left out: they are published as totals, small ones hidden).
pub fn by_day(rows: &[CountRow]) -> Vec<DayCount> {
    let mut days: BTreeMap<(NaiveDate, Measure, &str), i64> = BTreeMap::new();
    for r in rows.iter().filter(|r| !r.measure.hourly() && r.measure != Measure::Council) {
        *days.entry((london_date(hour_start(r.period)), r.measure, &r.category)).or_default() += r.count;
    }
    days.into_iter()
        .map(|((date, measure, category), count)| DayCount { date, measure, category: category.to_owned(), count })
        .collect()
}

/// A figure broken down by category.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Breakdown {
    pub measure: Measure,
    /// Every category of the closed set (zeros included), in a stable order.
    pub rows: Vec<(String, i64)>,
}

/// A day's count of one measure in one category (the open data's long form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayCount {
    pub date: NaiveDate,
    pub measure: Measure,
    pub category: String,
    pub count: i64,
}

/// Everything the performance page and open data show, from counters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    pub generated_at: DateTime<Utc>,
    pub today: NaiveDate,
    /// Applications sent today (Europe/London).
    pub today_applications: i64,
    /// The last [`HOURS`] hours, oldest first, each as published.
    pub hourly: Vec<(DateTime<Utc>, Shown)>,
    /// The last [`DAYS`] days, oldest first.
    pub daily: Vec<(NaiveDate, i64)>,
    /// The day with most applications among them (the first such), if any had any.
    pub record_day: Option<(NaiveDate, i64)>,
    pub total_applications: i64,
    pub by_nation: Breakdown,
    pub by_age: Breakdown,
    pub by_kind: Breakdown,
    pub by_language: Breakdown,
    pub identity_matched: i64,
    pub identity_not_matched: i64,
    pub journeys_started: i64,
    /// Applications from journeys whose start was seen (the completion rate's numerator).
    pub journeys_completed: i64,
    pub median_minutes: Option<u32>,
    pub repeat_notices: i64,
    pub repeat_sent: i64,
    pub notifications: Breakdown,
    /// Requests to the public site over [`AVAILABILITY_DAYS`] days, and those answered with a server error.
    pub requests: i64,
    pub server_errors: i64,
    /// Applications by council over the [`DAYS`] days, as published.
    pub councils: Vec<(String, Shown)>,
}

/// Every category of a closed-set measure, in the order shown.
pub fn categories(measure: Measure) -> &'static [&'static str] {
    match measure {
        Measure::Nation => &["england", "wales", "scotland"],
        Measure::AgeBand => &AGE_BANDS,
        Measure::Kind => &["ordinary", "overseas", "forces", "crown", "british-council"],
        Measure::Language => &["en", "cy"],
        Measure::Identity => &["matched", "not-matched"],
        Measure::Notifications => &["email", "sms", "letter"],
        Measure::Requests => &["all", "server-error"],
        _ => &[""],
    }
}

impl Figures {
    /// The figures at `now` from counters: hourly applications (those of the
    /// last [`HOURS`] hours are used), daily applications (the last [`DAYS`]
    /// days), and every other measure as totals (the caller reads each over
    /// its window: [`window`], and [`availability_from`] for requests).
    pub fn from_rows(rows: &[CountRow], now: DateTime<Utc>) -> Figures {
        let today = london_date(now);
        let now_hour = hour_of(now);
        let mut hours: HashMap<i64, i64> = HashMap::new();
        let mut days: HashMap<i64, i64> = HashMap::new();
        let mut sums: HashMap<(Measure, &str), i64> = HashMap::new();
        let mut councils: BTreeMap<&str, i64> = BTreeMap::new();
        let mut minutes: BTreeMap<u32, i64> = BTreeMap::new();
        for r in rows {
            match r.measure {
                Measure::Applications => *hours.entry(r.period).or_default() += r.count,
                Measure::DailyApplications => *days.entry(r.period).or_default() += r.count,
                Measure::Council => *councils.entry(&r.category).or_default() += r.count,
                Measure::CompletionMinutes => {
                    if let Ok(m) = r.category.parse::<u32>() {
                        *minutes.entry(m).or_default() += r.count;
                    }
                }
                m => *sums.entry((m, &r.category)).or_default() += r.count,
            }
        }
        let daily: Vec<(NaiveDate, i64)> = (0..DAYS)
            .rev()
            .map(|back| {
                let day = today - chrono::Duration::days(back);
                (day, days.get(&day_start_hour(day)).copied().unwrap_or(0))
            })
            .collect();
        let record_day =
            daily.iter().filter(|(_, n)| *n > 0).fold(None, |best: Option<(NaiveDate, i64)>, d| match best {
                Some(b) if b.1 >= d.1 => Some(b),
                _ => Some(*d),
            });
        let hourly = (0..HOURS)
            .rev()
            .map(|back| {
                let h = now_hour - back;
                (hour_start(h), Shown::small(hours.get(&h).copied().unwrap_or(0)))
            })
            .collect();
        let breakdown = |measure: Measure| Breakdown {
            measure,
            rows: categories(measure)
                .iter()
                .map(|c| ((*c).to_owned(), sums.get(&(measure, *c)).copied().unwrap_or(0)))
                .collect(),
        };
        let one = |measure: Measure| sums.get(&(measure, "")).copied().unwrap_or(0);
        let completed: i64 = minutes.values().sum();
        let median_minutes = (completed > 0).then(|| {
            let half = (completed + 1) / 2;
            let mut seen = 0;
            minutes.iter().find(|(_, n)| {
                seen += **n;
                seen >= half
            })
        });
        let shown_councils = councils.into_iter().map(|(gss, n)| (gss.to_owned(), Shown::small(n))).collect();
        Figures {
            generated_at: now,
            today,
            today_applications: daily.last().map(|d| d.1).unwrap_or(0),
            hourly,
            total_applications: daily.iter().map(|d| d.1).sum(),
            daily,
            record_day,
            by_nation: breakdown(Measure::Nation),
            by_age: breakdown(Measure::AgeBand),
            by_kind: breakdown(Measure::Kind),
            by_language: breakdown(Measure::Language),
            identity_matched: sums.get(&(Measure::Identity, "matched")).copied().unwrap_or(0),
            identity_not_matched: sums.get(&(Measure::Identity, "not-matched")).copied().unwrap_or(0),
            journeys_started: one(Measure::JourneysStarted),
            journeys_completed: completed,
            median_minutes: median_minutes.flatten().map(|(m, _)| *m),
            repeat_notices: one(Measure::RepeatNotices),
            repeat_sent: one(Measure::RepeatSent),
            notifications: breakdown(Measure::Notifications),
            requests: sums.get(&(Measure::Requests, "all")).copied().unwrap_or(0),
            server_errors: sums.get(&(Measure::Requests, "server-error")).copied().unwrap_or(0),
            councils: shown_councils,
        }
    }

    /// A share in per cent to one decimal place, when the whole is large enough to say.
    pub fn percent(part: i64, whole: i64) -> Option<f64> {
        (whole >= SUPPRESS_BELOW).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
    }

    /// The share of identity checks that matched.
    pub fn identity_rate(&self) -> Option<f64> {
        Self::percent(self.identity_matched, self.identity_matched + self.identity_not_matched)
    }

    /// Journeys started that ended in an application.
    pub fn completion_rate(&self) -> Option<f64> {
        Self::percent(self.journeys_completed.min(self.journeys_started), self.journeys_started)
    }

    /// Of applicants told they had applied or were registered, the share who did not send again.
    pub fn repeat_caught_rate(&self) -> Option<f64> {
        Self::percent((self.repeat_notices - self.repeat_sent).max(0), self.repeat_notices)
    }

    /// Requests answered without a server error.
    pub fn availability(&self) -> Option<f64> {
        (self.requests > 0)
            .then(|| ((self.requests - self.server_errors) as f64 * 10000.0 / self.requests as f64).round() / 100.0)
    }

    /// The weekday of a day, for labels (Monday = 0).
    pub fn weekday(day: NaiveDate) -> u32 {
        day.weekday().num_days_from_monday()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn days_are_london_days() {
        // 23:30 UTC on 1 July is 00:30 on 2 July in London (BST).
        assert_eq!(london_date(at("2026-07-01T23:30:00Z")), NaiveDate::from_ymd_opt(2026, 7, 2).unwrap());
        let summer = day_start_hour(NaiveDate::from_ymd_opt(2026, 7, 2).unwrap());
        assert_eq!(hour_start(summer), at("2026-07-01T23:00:00Z"));
        let winter = day_start_hour(NaiveDate::from_ymd_opt(2026, 12, 2).unwrap());
        assert_eq!(hour_start(winter), at("2026-12-02T00:00:00Z"));
        // The clocks change at 01:00: both days still start at their midnight.
        let spring = day_start_hour(NaiveDate::from_ymd_opt(2026, 3, 29).unwrap());
        assert_eq!(hour_start(spring), at("2026-03-29T00:00:00Z"));
        assert_eq!(Measure::Nation.period(at("2026-07-01T23:30:00Z")), summer);
    }

    #[test]
    fn rows_sum_tallies_in_key_order() {
        let t = [Tally::new(Measure::Nation, "wales"), Tally::new(Measure::Applications, "")];
        let now = at("2026-12-04T10:15:00Z");
        let rows = rows_of([(now, &t[0]), (now, &t[1]), (now, &t[0])]);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].measure, Measure::Applications);
        assert_eq!(rows[1].count, 2);
        let mut sorted = rows.clone();
        sorted.sort();
        assert_eq!(rows, sorted);
    }

    #[test]
    fn small_counts_are_hidden_and_rates_need_ten() {
        assert_eq!(Shown::small(9), Shown::FewerThan10);
        assert_eq!(Shown::small(0), Shown::FewerThan10);
        assert_eq!(Shown::small(10), Shown::Count(10));
        assert_eq!(Figures::percent(1, 9), None);
        assert_eq!(Figures::percent(1, 3), None);
        assert_eq!(Figures::percent(2, 3 * 10), Some(6.7));
    }

    #[test]
    fn tallies_count_by_period_and_survive_a_failed_write() {
        let t = Tallies::default();
        let now = at("2026-07-01T23:30:00Z");
        t.add(now, Measure::Requests, "all");
        t.add(now - chrono::Duration::hours(1), Measure::Requests, "all");
        t.add(now, Measure::JourneysStarted, "");
        let rows = t.take();
        let requests: Vec<_> = rows.iter().filter(|r| r.measure == Measure::Requests).collect();
        // 23:30 UTC is 2 July in London, 22:30 is 1 July: two days.
        assert_eq!(requests.len(), 2);
        assert!(t.take().is_empty());
        t.restore(rows.clone());
        assert_eq!(t.take(), rows);
    }

    #[test]
    fn buckets() {
        assert_eq!(minutes_bucket(0), 0);
        assert_eq!(minutes_bucket(15), 15);
        assert_eq!(minutes_bucket(16), 20);
        assert_eq!(minutes_bucket(61), 90);
        assert_eq!(minutes_bucket(10_000), 180);
    }

    #[test]
    fn figures_from_rows() {
        let now = at("2026-12-04T10:15:00Z");
        let row =
            |period, measure, category: &str, count| CountRow { period, measure, category: category.into(), count };
        let h = hour_of(now);
        let day = day_start_hour(london_date(now));
        let rows = vec![
            row(h, Measure::Applications, "", 7),
            row(h - 30, Measure::Applications, "", 20),
            row(day, Measure::DailyApplications, "", 7),
            row(day_start_hour(london_date(now) - chrono::Duration::days(1)), Measure::DailyApplications, "", 20),
            row(day_start_hour(london_date(now) - chrono::Duration::days(100)), Measure::DailyApplications, "", 1000),
            row(day, Measure::Nation, "wales", 3),
            row(day, Measure::Council, "W06000015", 3),
            row(day, Measure::Council, "E09000033", 30),
            row(day, Measure::CompletionMinutes, "4", 3),
            row(day, Measure::CompletionMinutes, "6", 2),
            row(day, Measure::JourneysStarted, "", 20),
            row(day, Measure::Identity, "matched", 18),
            row(day, Measure::Identity, "not-matched", 2),
            row(day, Measure::Requests, "all", 1000),
            row(day, Measure::Requests, "server-error", 1),
        ];
        let f = Figures::from_rows(&rows, now);
        assert_eq!(f.today_applications, 7);
        assert_eq!(f.total_applications, 27);
        assert_eq!(f.daily.len(), DAYS as usize);
        assert_eq!(f.hourly.len(), HOURS as usize);
        assert_eq!(f.hourly.last().unwrap().1, Shown::FewerThan10);
        assert_eq!(f.hourly[HOURS as usize - 31].1, Shown::Count(20));
        assert_eq!(f.record_day.unwrap().1, 20);
        assert_eq!(f.by_nation.rows[1], ("wales".to_owned(), 3));
        assert_eq!(f.councils, vec![("E09000033".into(), Shown::Count(30)), ("W06000015".into(), Shown::FewerThan10)]);
        assert_eq!(f.median_minutes, Some(4));
        assert_eq!(f.completion_rate(), Some(25.0));
        assert_eq!(f.identity_rate(), Some(90.0));
        assert_eq!(f.availability(), Some(99.9));
    }
}
