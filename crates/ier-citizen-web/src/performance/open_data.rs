//! Open data: the performance figures and the registers of councils and EROs
//! as CSV and JSON at stable URLs, under the Open Government Licence v3.0,
//! each record type defined once (its CSV header is its JSON field names) and
//! described in an OpenAPI document generated from this code by utoipa.
//! Responses carry a strong `ETag` (SHA-256 of the body), answer
//! `If-None-Match` with 304, say how long they may be cached, and may be
//! fetched from any origin.

use std::sync::Arc;

use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use ier_storage::performance::{Figures, Measure, Shown};
use minijinja::context;
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use crate::AppState;
use crate::i18n::Lang;
use crate::render::{Frame, page};

/// The licence every file is published under.
pub const LICENCE: &str = "Open Government Licence v3.0";
pub const LICENCE_URL: &str = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/";

/// A JSON file: the licence, when it was made, and its records.
#[derive(Serialize, ToSchema)]
pub struct Published<T> {
    /// Always "Open Government Licence v3.0".
    pub licence: &'static str,
    pub licence_url: &'static str,
    pub generated_at: DateTime<Utc>,
    pub records: Vec<T>,
}

/// Applications sent on one day (Europe/London), for the last 90 days.
#[derive(Serialize, ToSchema)]
pub struct DayRecord {
    pub date: NaiveDate,
    pub applications: i64,
}

/// Applications sent in one hour, for the last 48 hours. Fewer than 10 is
/// published as no number, with `suppressed` true.
#[derive(Serialize, ToSchema)]
pub struct HourRecord {
    /// The hour's start, UTC.
    pub hour_start: DateTime<Utc>,
    pub applications: Option<i64>,
    pub suppressed: bool,
}

/// A count of one measure in one category on one day (Europe/London), for the
/// last 90 days. Measures: `nation`, `age-band`, `kind`, `language`,
/// `identity` (matched, not-matched), `journeys-started`,
/// `completion-minutes` (category: minutes, each to 15 then 20, 25, 30, 40,
/// 50, 60, 90, 120, 180), `repeat-notices`, `repeat-sent`, `notifications`
/// (email, sms, letter), `requests` (all, server-error).
#[derive(Serialize, ToSchema)]
pub struct CategoryRecord {
    pub date: NaiveDate,
    pub measure: &'static str,
    pub category: String,
    pub count: i64,
}

/// Applications to one council over the last 90 days. Fewer than 10 is
/// published as no number, with `suppressed` true.
#[derive(Serialize, ToSchema)]
pub struct CouncilFigureRecord {
    pub gss_code: String,
    pub name: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub applications: Option<i64>,
    pub suppressed: bool,
}

/// A council (local authority district) of Great Britain.
#[derive(Serialize, ToSchema)]
pub struct CouncilRecord {
    /// The ONS GSS code, e.g. W06000015.
    pub gss_code: String,
    pub name: String,
    /// The Welsh name, for councils in Wales.
    pub name_cy: Option<String>,
    /// england, wales or scotland.
    pub nation: &'static str,
    /// The Electoral Registration Officer who serves it (see /api/eros).
    pub ero_id: String,
}

/// An Electoral Registration Officer's office, with the contact details held for it.
#[derive(Serialize, ToSchema)]
pub struct EroRecord {
    pub ero_id: String,
    pub name: String,
    pub name_cy: Option<String>,
    /// The councils it serves, GSS codes separated by spaces.
    pub gss_codes: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub address: Option<String>,
}

/// Today's count, for the page's live figure.
#[derive(Serialize, ToSchema)]
pub struct Today {
    pub date: NaiveDate,
    pub applications: i64,
    pub generated_at: DateTime<Utc>,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Register to vote: open data",
        description = "Performance figures of the online electoral registration service, and the councils and \
                       Electoral Registration Officers of Great Britain. Open Government Licence v3.0. Every file \
                       is also published as CSV (same fields, `.csv`).",
        version = "1"
    ),
    paths(councils_json, eros_json, today, file),
    components(schemas(DayRecord, HourRecord, CategoryRecord, CouncilFigureRecord, CouncilRecord, EroRecord, Today))
)]
pub struct OpenData;

/// The OpenAPI document (what `/api/openapi.json` serves).
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    OpenData::openapi()
}

pub async fn openapi(headers: HeaderMap) -> Response {
    let body = openapi_document().to_pretty_json().unwrap_or_default();
    cached(&headers, "application/json", body.into_bytes(), 3600)
}

/// A body with its `ETag`, or 304 when the client has it already.
fn cached(headers: &HeaderMap, content_type: &'static str, body: Vec<u8>, max_age: u32) -> Response {
    let digest = ring::digest::digest(&ring::digest::SHA256, &body);
    let hex: String = digest.as_ref()[..16].iter().map(|b| format!("{b:02x}")).collect();
    let etag = format!("\"{hex}\"");
    let matches = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim() == etag || t.trim() == "*" || t.trim().trim_start_matches("W/") == etag);
    let mut res = if matches { StatusCode::NOT_MODIFIED.into_response() } else { body.into_response() };
    let h = res.headers_mut();
    if !matches {
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("public, max-age={max_age}")) {
        h.insert(header::CACHE_CONTROL, v);
    }
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    h.insert(
        header::LINK,
        HeaderValue::from_static(
            "<https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/>; rel=\"license\"",
        ),
    );
    res
}

fn json<T: Serialize>(headers: &HeaderMap, records: Vec<T>, at: DateTime<Utc>, max_age: u32) -> Response {
    let file = Published { licence: LICENCE, licence_url: LICENCE_URL, generated_at: at, records };
    let body = serde_json::to_vec_pretty(&file).unwrap_or_default();
    cached(headers, "application/json", body, max_age)
}

fn csv<T: Serialize>(headers: &HeaderMap, records: Vec<T>, max_age: u32) -> Response {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    for r in &records {
        if let Err(e) = w.serialize(r) {
            tracing::error!(error = %e, "open data did not serialise");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    }
    let body = w.into_inner().unwrap_or_default();
    cached(headers, "text/csv; charset=utf-8", body, max_age)
}

/// The figures' files are this fresh.
const FIGURES_MAX_AGE: u32 = 60;
/// The registers change when operators load new reference data.
const REGISTER_MAX_AGE: u32 = 3600;

#[utoipa::path(get, path = "/performance/today.json",
    responses((status = 200, description = "Applications sent today so far", body = Today)))]
pub async fn today(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    match super::figures(&state).await {
        Ok(f) => {
            let t = Today { date: f.today, applications: f.today_applications, generated_at: f.generated_at };
            let body = serde_json::to_vec(&t).unwrap_or_default();
            cached(&headers, "application/json", body, super::CACHE_FOR.as_secs() as u32)
        }
        Err(_) => unavailable(),
    }
}

fn unavailable() -> Response {
    let mut res = (StatusCode::SERVICE_UNAVAILABLE, "The figures are unavailable just now. Try again in a minute.")
        .into_response();
    res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
    res
}

/// The files of figures, by name.
pub const FILES: [&str; 4] =
    ["applications-by-day", "applications-by-hour", "figures-by-category", "applications-by-council"];

#[utoipa::path(get, path = "/performance/data/{file}",
    params(("file" = String, Path, description = "One of applications-by-day, applications-by-hour, \
        figures-by-category, applications-by-council, followed by .json or .csv")),
    responses(
        (status = 200, description = "applications-by-day.json", body = Published<DayRecord>),
        (status = 404, description = "No such file")
    ))]
pub async fn file(
    State(state): State<Arc<AppState>>,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> Response {
    let Some((name, format)) = file.rsplit_once('.').filter(|(n, f)| FILES.contains(n) && matches!(*f, "csv" | "json"))
    else {
        return crate::not_found_page(&Frame::new(lang.language, uri.path()));
    };
    let f = match super::figures(&state).await {
        Ok(f) => f,
        Err(_) => return unavailable(),
    };
    let as_csv = format == "csv";
    macro_rules! out {
        ($records:expr) => {
            if as_csv {
                csv(&headers, $records, FIGURES_MAX_AGE)
            } else {
                json(&headers, $records, f.generated_at, FIGURES_MAX_AGE)
            }
        };
    }
    match name {
        "applications-by-day" => {
            out!(f.daily.iter().map(|(date, n)| DayRecord { date: *date, applications: *n }).collect::<Vec<_>>())
        }
        "applications-by-hour" => out!(
            f.hourly
                .iter()
                .map(|(at, s)| HourRecord {
                    hour_start: *at,
                    applications: s.count(),
                    suppressed: *s == Shown::FewerThan10
                })
                .collect::<Vec<_>>()
        ),
        "figures-by-category" => match state.citizen.figures_by_day(f.generated_at).await {
            Ok(days) => out!(category_records(&days)),
            Err(_) => unavailable(),
        },
        _ => out!(council_records(&f)),
    }
}

fn category_records(days: &[ier_storage::performance::DayCount]) -> Vec<CategoryRecord> {
    days.iter()
        .map(|d| CategoryRecord {
            date: d.date,
            measure: d.measure.as_str(),
            category: d.category.clone(),
            count: d.count,
        })
        .collect()
}

fn council_records(f: &Figures) -> Vec<CouncilFigureRecord> {
    let from = f.daily.first().map(|d| d.0).unwrap_or(f.today);
    ier_reference::ReferenceData::embedded()
        .councils()
        .map(|c| {
            let s = f
                .councils
                .iter()
                .find(|(g, _)| g == c.gss_code.as_str())
                .map(|(_, s)| *s)
                .unwrap_or(Shown::FewerThan10);
            CouncilFigureRecord {
                gss_code: c.gss_code.to_string(),
                name: c.name.clone(),
                from,
                to: f.today,
                applications: s.count(),
                suppressed: s == Shown::FewerThan10,
            }
        })
        .collect()
}

fn council_records_register() -> Vec<CouncilRecord> {
    ier_reference::ReferenceData::embedded()
        .councils()
        .map(|c| CouncilRecord {
            gss_code: c.gss_code.to_string(),
            name: c.name.clone(),
            name_cy: c.name_cy.clone(),
            nation: c.nation.as_str(),
            ero_id: c.ero_id.to_string(),
        })
        .collect()
}

#[utoipa::path(get, path = "/api/councils",
    responses((status = 200, description = "Every council of Great Britain (also as /api/councils.csv)", body = Published<CouncilRecord>)))]
pub async fn councils_json(headers: HeaderMap) -> Response {
    json(&headers, council_records_register(), register_date(), REGISTER_MAX_AGE)
}

pub async fn councils_csv(headers: HeaderMap) -> Response {
    csv(&headers, council_records_register(), REGISTER_MAX_AGE)
}

/// The registers are reference data: their date is the day they are served
/// (kept to the day, so the `ETag` holds while they do not change).
fn register_date() -> DateTime<Utc> {
    Utc::now().date_naive().and_hms_opt(0, 0, 0).expect("midnight").and_utc()
}

async fn ero_records(state: &AppState) -> Result<Vec<EroRecord>, ier_storage::StorageError> {
    let reference = ier_reference::ReferenceData::embedded();
    let mut eros = state.citizen.eros().await?;
    eros.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
    Ok(eros
        .into_iter()
        .map(|e| EroRecord {
            gss_codes: reference.councils_of(&e.id).map(|c| c.gss_code.to_string()).collect::<Vec<_>>().join(" "),
            ero_id: e.id.to_string(),
            name: e.name,
            name_cy: e.name_cy,
            email: e.contact.email,
            phone: e.contact.phone,
            website: e.contact.website,
            address: e.contact.address,
        })
        .collect())
}

#[utoipa::path(get, path = "/api/eros",
    responses((status = 200, description = "Every ERO with the contact details held for it (also as /api/eros.csv)", body = Published<EroRecord>)))]
pub async fn eros_json(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    match ero_records(&state).await {
        Ok(records) => json(&headers, records, register_date(), REGISTER_MAX_AGE),
        Err(_) => unavailable(),
    }
}

pub async fn eros_csv(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    match ero_records(&state).await {
        Ok(records) => csv(&headers, records, REGISTER_MAX_AGE),
        Err(_) => unavailable(),
    }
}

/// `/performance/data`: what each file holds, its fields, and the licence.
pub async fn documentation(lang: Lang, OriginalUri(uri): OriginalUri) -> Response {
    let frame = Frame::new(lang.language, uri.path());
    let files: Vec<_> = FILES
        .iter()
        .map(|name| context! { name, text => frame.t(&format!("data-file-{name}")) })
        .chain([
            context! { name => "", api => "/api/councils", text => frame.t("data-file-councils") },
            context! { name => "", api => "/api/eros", text => frame.t("data-file-eros") },
        ])
        .collect();
    let measures: Vec<_> = Measure::ALL
        .iter()
        .filter(|m| m.summed() && **m != Measure::Council || **m == Measure::Requests)
        .map(|m| m.as_str())
        .collect();
    page(StatusCode::OK, "performance_data.html", &frame, context! { files, measures, licence_url => LICENCE_URL })
}
