//! The service's public performance page (`/performance`) and open data: the
//! same figures as CSV and JSON (`/performance/data/...`), and the councils
//! and EROs as open registers (`/api/councils`, `/api/eros`), with an OpenAPI
//! document (`/api/openapi.json`).
//!
//! Everything comes from the counters of [`ier_storage::performance`], never
//! from applications, worked out at most every [`CACHE_FOR`] per instance.
//! Charts are drawn on the server as SVG ([`charts`]) with a title, a
//! description and a data table beside each, so the page works without
//! JavaScript; with it, the count of today's applications updates itself.
//! Small counts (an hour's, a council's) are published as "fewer than 10".
//! Open data is cacheable (`ETag`, `Cache-Control`) and under the Open
//! Government Licence.

pub mod charts;
pub mod open_data;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use chrono::{NaiveDate, Utc};
use chrono_tz::Europe::London;
use ier_domain::Language;
use ier_storage::CitizenStore;
use ier_storage::performance::{Breakdown, Figures, Measure, Shown, Tallies};
use minijinja::{Value, context};
use serde::Serialize;

use crate::AppState;
use crate::i18n::Lang;
use crate::render::{Frame, long_date, page};
use charts::{Bar, Row};

/// How often an instance adds what it counted to the database.
pub const FLUSH_EVERY: Duration = Duration::from_secs(10);
/// How long an instance keeps the figures it worked out.
pub const CACHE_FOR: Duration = Duration::from_secs(5);

/// The public path of the page.
pub const PATH: &str = "/performance";

/// Add what this instance counted; kept for the next time if the database is away.
pub async fn flush(citizen: &CitizenStore, tallies: &Tallies) {
    let rows = tallies.take();
    if rows.is_empty() {
        return;
    }
    if let Err(e) = citizen.add_counts(&rows).await {
        tracing::warn!(error = %e, "could not add to the performance figures; will try again");
        tallies.restore(rows);
    }
}

/// The figures an instance worked out last, and when.
#[derive(Default)]
pub struct Cache {
    last: Mutex<Option<(Instant, Arc<Figures>)>>,
}

impl Cache {
    /// Forget the figures (tests, after adding counts).
    pub fn clear(&self) {
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// The figures, from the cache when fresh.
pub(crate) async fn figures(state: &AppState) -> Result<Arc<Figures>, ier_storage::StorageError> {
    if let Some((at, f)) = &*state.figures.last.lock().unwrap_or_else(|e| e.into_inner())
        && at.elapsed() < CACHE_FOR
    {
        return Ok(f.clone());
    }
    let f = Arc::new(state.citizen.figures(Utc::now()).await?);
    *state.figures.last.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), f.clone()));
    Ok(f)
}

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route(PATH, get(show))
        .route("/performance/today.json", get(open_data::today))
        .route("/performance/data", get(open_data::documentation))
        .route("/performance/data/{file}", get(open_data::file))
        .route("/api/councils", get(open_data::councils_json))
        .route("/api/councils.csv", get(open_data::councils_csv))
        .route("/api/eros", get(open_data::eros_json))
        .route("/api/eros.csv", get(open_data::eros_csv))
        .route("/api/openapi.json", get(open_data::openapi))
}

/// A number as people write it: 12,345.
pub fn grouped(n: i64) -> String {
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

/// A published count in words: the number, or "fewer than 10".
fn shown(frame: &Frame, s: Shown) -> String {
    match s {
        Shown::Count(n) => grouped(n),
        Shown::FewerThan10 => frame.t("perf-fewer-than-10"),
    }
}

/// A share as people write it in the page's language: 98.5%.
fn percent(p: Option<f64>, frame: &Frame) -> String {
    match p {
        Some(p) => format!("{p:.1}%"),
        None => frame.t("perf-not-enough"),
    }
}

const MONTHS_EN: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const MONTHS_CY: [&str; 12] =
    ["Ion", "Chwef", "Maw", "Ebr", "Mai", "Meh", "Gorff", "Awst", "Medi", "Hyd", "Tach", "Rhag"];

/// "4 Dec": a day on a chart's axis.
fn short_date(d: NaiveDate, language: Language) -> String {
    use chrono::Datelike;
    let months = if language == Language::Cy { MONTHS_CY } else { MONTHS_EN };
    format!("{} {}", d.day(), months[d.month0() as usize])
}

/// One row of the data table beside a chart.
#[derive(Serialize)]
struct TableRow {
    label: String,
    value: String,
}

/// A chart with its table, as the template shows it.
#[derive(Serialize)]
struct Chart {
    id: &'static str,
    heading: String,
    intro: Option<String>,
    svg: Value,
    caption: String,
    label_head: String,
    value_head: String,
    rows: Vec<TableRow>,
    /// Long tables are folded in a "Show the data" details.
    fold: bool,
}

fn category_label(frame: &Frame, measure: Measure, category: &str) -> String {
    frame.t(&format!("perf-{}-{}", measure.as_str(), category))
}

fn breakdown_chart(frame: &Frame, id: &'static str, heading: &str, b: &Breakdown, value_head: &str) -> Chart {
    let rows: Vec<Row> =
        b.rows.iter().map(|(c, n)| Row { label: category_label(frame, b.measure, c), value: *n }).collect();
    let total: i64 = b.rows.iter().map(|(_, n)| n).sum();
    let desc = frame.t_args("perf-breakdown-desc", &[("days", &ier_storage::performance::DAYS.to_string())]);
    Chart {
        id,
        heading: heading.to_owned(),
        intro: None,
        svg: Value::from_safe_string(charts::bars(id, heading, &desc, &rows)),
        caption: heading.to_owned(),
        label_head: frame.t(&format!("perf-{}-head", b.measure.as_str())),
        value_head: frame.t(value_head),
        rows: rows
            .iter()
            .map(|r| TableRow { label: r.label.clone(), value: grouped(r.value) })
            .chain(std::iter::once(TableRow { label: frame.t("perf-total"), value: grouped(total) }))
            .collect(),
        fold: false,
    }
}

async fn show(State(state): State<Arc<AppState>>, lang: Lang, OriginalUri(uri): OriginalUri) -> Response {
    let frame = Frame::new(lang.language, uri.path());
    let f = match figures(&state).await {
        Ok(f) => f,
        Err(e) => {
            tracing::error!(error = %e, "performance figures unavailable");
            return crate::journey::message(
                &frame,
                StatusCode::SERVICE_UNAVAILABLE,
                "perf-unavailable-title",
                vec![frame.t("perf-unavailable-body")],
                vec![],
            );
        }
    };
    page(StatusCode::OK, "performance.html", &frame, page_values(&frame, &f))
}

/// Everything the page shows, in the frame's language.
fn page_values(frame: &Frame, f: &Figures) -> Value {
    let language = frame.language();
    let hour_label = |at: chrono::DateTime<Utc>| at.with_timezone(&London).format("%H:%M").to_string();
    // The last 48 hours.
    let hourly_bars: Vec<Bar> = f
        .hourly
        .iter()
        .enumerate()
        .map(|(i, (at, s))| Bar {
            axis: (i % 6 == 0).then(|| hour_label(*at)),
            label: format!("{} {}", short_date(ier_storage::performance::london_date(*at), language), hour_label(*at)),
            value: s.count(),
            mark: false,
        })
        .collect();
    let hourly_title = frame.t("perf-hourly-title");
    let hourly = Chart {
        id: "hourly",
        heading: hourly_title.clone(),
        intro: Some(frame.t("perf-hourly-intro")),
        svg: Value::from_safe_string(charts::columns(
            "hourly",
            &hourly_title,
            &frame.t("perf-hourly-desc"),
            &hourly_bars,
            &charts::Words { fewer_than_10: frame.t("perf-fewer-than-10"), record: frame.t("perf-record") },
        )),
        caption: hourly_title.clone(),
        label_head: frame.t("perf-hour-head"),
        value_head: frame.t("perf-applications-head"),
        rows: f
            .hourly
            .iter()
            .rev()
            .zip(hourly_bars.iter().rev())
            .map(|((_, s), b)| TableRow { label: b.label.clone(), value: shown(frame, *s) })
            .collect(),
        fold: true,
    };
    // The last 90 days, the record day marked.
    let record = f.record_day.map(|(d, _)| d);
    let daily_bars: Vec<Bar> = f
        .daily
        .iter()
        .enumerate()
        .map(|(i, (d, n))| Bar {
            axis: (f.daily.len() - 1 - i).is_multiple_of(14).then(|| short_date(*d, language)),
            label: long_date(*d, language),
            value: Some(*n),
            mark: Some(*d) == record,
        })
        .collect();
    let daily_title = frame.t("perf-daily-title");
    let daily_intro = match f.record_day {
        Some((d, n)) => frame.t_args("perf-record-day", &[("date", &long_date(d, language)), ("count", &grouped(n))]),
        None => frame.t("perf-no-applications"),
    };
    let daily = Chart {
        id: "daily",
        heading: daily_title.clone(),
        intro: Some(daily_intro),
        svg: Value::from_safe_string(charts::columns(
            "daily",
            &daily_title,
            &frame.t("perf-daily-desc"),
            &daily_bars,
            &charts::Words { fewer_than_10: frame.t("perf-fewer-than-10"), record: frame.t("perf-record") },
        )),
        caption: daily_title.clone(),
        label_head: frame.t("perf-day-head"),
        value_head: frame.t("perf-applications-head"),
        rows: daily_bars
            .iter()
            .rev()
            .map(|b| TableRow {
                label: if b.mark { format!("{} ({})", b.label, frame.t("perf-record")) } else { b.label.clone() },
                value: grouped(b.value.unwrap_or(0)),
            })
            .collect(),
        fold: true,
    };
    let breakdowns = vec![
        breakdown_chart(frame, "by-nation", &frame.t("perf-by-nation"), &f.by_nation, "perf-applications-head"),
        breakdown_chart(frame, "by-age", &frame.t("perf-by-age"), &f.by_age, "perf-applications-head"),
        breakdown_chart(frame, "by-kind", &frame.t("perf-by-kind"), &f.by_kind, "perf-applications-head"),
        breakdown_chart(frame, "by-language", &frame.t("perf-by-language"), &f.by_language, "perf-applications-head"),
    ];
    let notifications =
        breakdown_chart(frame, "notifications", &frame.t("perf-notifications"), &f.notifications, "perf-messages-head");
    let minutes = f.median_minutes.map(|m| match m {
        1 => frame.t("perf-one-minute"),
        m => frame.t_args("perf-minutes", &[("minutes", &m.to_string())]),
    });
    let measures = vec![
        context! {
            key => frame.t("perf-identity-rate"),
            value => percent(f.identity_rate(), frame),
            hint => frame.t_args("perf-identity-hint", &[("checked", &grouped(f.identity_matched + f.identity_not_matched))]),
        },
        context! {
            key => frame.t("perf-completion-rate"),
            value => percent(f.completion_rate(), frame),
            hint => frame.t_args("perf-completion-hint", &[("started", &grouped(f.journeys_started))]),
        },
        context! {
            key => frame.t("perf-median-time"),
            value => minutes.unwrap_or_else(|| frame.t("perf-not-enough")),
            hint => frame.t("perf-median-hint"),
        },
        context! {
            key => frame.t("perf-repeat-rate"),
            value => percent(f.repeat_caught_rate(), frame),
            hint => frame.t_args("perf-repeat-hint", &[("told", &grouped(f.repeat_notices))]),
        },
        context! {
            key => frame.t("perf-availability"),
            value => percent(f.availability(), frame),
            hint => frame.t_args("perf-availability-hint", &[("requests", &grouped(f.requests))]),
        },
    ];
    let councils: Vec<TableRow> = f
        .councils
        .iter()
        .map(|(gss, s)| TableRow { label: council_name(gss, language), value: shown(frame, *s) })
        .collect();
    let updated = f.generated_at.with_timezone(&London).format("%H:%M:%S").to_string();
    context! {
        today => grouped(f.today_applications),
        today_date => long_date(f.today, language),
        total => grouped(f.total_applications),
        updated,
        charts => vec![hourly, daily],
        breakdowns,
        notifications,
        measures,
        councils,
        days => ier_storage::performance::DAYS,
    }
}

/// A council's name in a language, from the shipped reference data.
fn council_name(gss: &str, language: Language) -> String {
    let reference = ier_reference::ReferenceData::embedded();
    ier_domain::GssCode::parse(gss)
        .ok()
        .and_then(|g| reference.council(&g))
        .map(|c| match (&c.name_cy, language) {
            (Some(cy), Language::Cy) => cy.clone(),
            _ => c.name.clone(),
        })
        .unwrap_or_else(|| gss.to_owned())
}
