//! Data matching over the API: an EMS matches its ERO's register against DWP's
//! records (the annual canvass's national data matching step, or confirming a
//! whole register), then the electors DWP did not match against the ERO's own
//! local data (council tax, benefits), and reads a result per elector and per
//! property (the canvass routes).
//!
//! - `POST /v1/matching-runs` starts a run;
//! - `POST .../electors` uploads the register in pages of up to 10,000 (the same elector
//!   number again replaces the elector);
//! - `POST .../matches` with `{"against": "dwp"}` queues the match, which a background
//!   worker runs ([`ier_storage::matching`]);
//! - `GET .../{id}` shows its progress;
//! - `GET .../results` and `GET .../properties` page the results;
//! - local data is a CSV file sent as is (`POST .../local-data`, `text/csv`) with the query
//!   naming which of its columns hold what; `{"against": "local-data"}` then matches the
//!   electors not yet matched against it.
//!
//! What is uploaded is sealed at rest and deleted with the run's results under the
//! retention periods. Dirty values (a date that does not exist, a NINO that is not one)
//! are read as missing and reported by position and field, never quoted.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use ier_domain::retention::Retention;
use ier_pki::Caller;
use ier_storage::matching::{self as m, Against, Person, Purpose, RunId, RunRow, RunState};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ApiResult, ApiState, json_body, json_sized, with_items};
use crate::problem::Problem;
use crate::register::{self, RegisterElector, Skipped};

/// The most electors one page may carry.
pub const MAX_ELECTORS: usize = 10_000;
/// The largest upload (a page of electors, or a local data file's part): 16 MiB.
pub const MAX_UPLOAD: usize = 16 << 20;
/// Results or properties a page, at most.
const MAX_RESULTS: u32 = 10_000;
const DEFAULT_RESULTS: u32 = 1_000;
/// Problems listed in a local data upload's answer (all are counted).
const LISTED: usize = 20;

/// A new run.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewRun {
    pub purpose: WirePurpose,
}

/// `canvass` (the annual canvass's data matching step) or `confirmation` (a whole register).
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum WirePurpose {
    Canvass,
    Confirmation,
}

/// `dwp` (once, after the electors are uploaded) or `local-data` (after the DWP match, for
/// the electors it did not match; again after more local data).
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum WireAgainst {
    Dwp,
    LocalData,
}

/// A match to run.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewMatch {
    pub against: WireAgainst,
}

/// A page of the register for a run.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ElectorPage {
    #[schema(min_items = 1, max_items = 10000)]
    pub electors: Vec<RegisterElector>,
    /// The page's place in the register (1, 2, 3, ...), for a sender with more than one page
    /// in flight: pages are read in this order, then in the order received; of two holding
    /// the same elector number, the later stands. Without it, the order received.
    #[serde(default)]
    #[schema(minimum = 1)]
    pub position: Option<i32>,
}

/// A run: where it is, and how far its match has got.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    pub id: String,
    #[schema(example = "canvass")]
    pub purpose: &'static str,
    /// `uploading`, `queued`, `matching`, `matched` or `failed`.
    #[schema(example = "matching")]
    pub state: &'static str,
    /// The match queued, running or last finished: `dwp` or `local-data`.
    #[serde(rename = "match")]
    pub against: Option<&'static str>,
    pub created_at: DateTime<Utc>,
    pub queued_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub dwp_matched_at: Option<DateTime<Utc>>,
    pub local_data_matched_at: Option<DateTime<Utc>>,
    /// Electors uploaded.
    pub electors: u64,
    /// Local data records uploaded.
    pub local_records: u64,
    /// The running (or last) match's progress.
    pub progress: Option<RunProgress>,
    /// Why the last attempt failed (no personal data).
    pub error: Option<String>,
    /// When the run, everything uploaded and its results are deleted (the retention periods).
    pub delete_after: DateTime<Utc>,
}

/// Records compared so far.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunProgress {
    pub done: u64,
    pub total: u64,
    /// 0 to 100.
    pub percent: f64,
}

/// The caller's runs, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunList {
    pub runs: Vec<Run>,
}

/// What became of a page of electors.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ElectorPageResult {
    /// Electors in the page (a number given twice counts once: the last one stands).
    pub stored: usize,
    /// Values read as missing (a date that does not exist, a NINO that is not one).
    pub values_skipped: Vec<Skipped>,
    /// Electors the run holds now.
    pub electors: u64,
}

/// What became of a local data upload.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LocalDataResult {
    /// Records stored from this upload (one the run holds already, from a repeated upload or a
    /// line given twice, is not stored again).
    pub stored: usize,
    /// Rows not stored (the wrong number of fields, or no name): how many, and the first few.
    pub rows_skipped: u64,
    /// Values read as missing (a date that does not exist, say): how many, and the first few.
    pub values_skipped: u64,
    /// The first problems, by line and column, never quoting a value.
    pub problems: Vec<LineProblem>,
    /// Local data records the run holds now.
    pub local_records: u64,
}

/// A problem in a line of a local data file.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LineProblem {
    /// The line in this upload, from 1 (the header).
    pub line: u64,
    /// The column, by its name in the header, when one.
    pub column: Option<String>,
    pub reason: String,
}

/// One elector's result.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ElectorResult {
    pub elector_number: String,
    /// Matched by DWP or by local data.
    pub matched: bool,
    /// The DWP match's result (absent before it has run).
    pub dwp: Option<MatchResult>,
    /// The local data match's result (absent unless it ran for this elector).
    pub local_data: Option<MatchResult>,
    /// The property the elector lives at (a number within the run: see `/properties`).
    pub property: Option<u32>,
}

/// A match's result for one elector.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MatchResult {
    /// `matched` or `not-matched`.
    #[schema(example = "matched")]
    pub result: &'static str,
    /// When matched: `strong` (probability 0.99 or more) or `likely` (0.9 to 0.99).
    pub level: Option<&'static str>,
    /// When matched: the match's probability.
    pub probability: Option<f64>,
}

/// A page of results, in elector-number order.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResultPage {
    pub results: Vec<ElectorResult>,
    /// Pass as `after` for the next page; null on the last page.
    pub next: Option<String>,
}

/// A property and its canvass route.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Property {
    pub property: u32,
    /// Its electors' numbers, in order.
    pub elector_numbers: Vec<String>,
    /// How many of them matched (DWP or local data).
    pub matched: u32,
    /// `route-1`: every elector matched; `route-2`: someone did not.
    #[schema(example = "route-1")]
    pub route: &'static str,
}

/// A page of properties, in property order.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PropertyPage {
    pub properties: Vec<Property>,
    /// Pass as `after` for the next page; null on the last page.
    pub next: Option<String>,
}

/// A page of properties.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PropertyQuery {
    /// The `next` of the previous page (a property number).
    #[param(value_type = Option<u32>, minimum = 0)]
    after: Option<String>,
    /// Items per page: 1 to 10,000 (default 1,000).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 10000)]
    page_size: Option<String>,
}

/// A page of results.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ResultQuery {
    /// The `next` of the previous page.
    after: Option<String>,
    /// Items per page: 1 to 10,000 (default 1,000).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 10000)]
    page_size: Option<String>,
}

/// Which columns of a local data file hold what: each value is a column's name in
/// the file's header (matched ignoring case and surrounding spaces).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LocalColumns {
    /// Where the data comes from, for the ERO's records: `council-tax`, `benefits` or `other`.
    pub source: Option<String>,
    /// The whole name in one column (surname last), where there are no separate name columns.
    pub full_name: Option<String>,
    pub given_name: Option<String>,
    pub middle_names: Option<String>,
    pub surname: Option<String>,
    /// Dates as `YYYY-MM-DD` or `DD/MM/YYYY`.
    pub date_of_birth: Option<String>,
    pub nino: Option<String>,
    /// The address's columns above the town, in order, comma-separated (at most 6).
    pub address: Option<String>,
    pub town: Option<String>,
    pub postcode: Option<String>,
    pub uprn: Option<String>,
}

fn run_id(s: &str) -> Result<RunId, Problem> {
    RunId::parse(s).ok_or_else(|| Problem::not_found("no such matching run among your ERO's runs"))
}

fn not_found() -> Problem {
    Problem::not_found("no such matching run among your ERO's runs")
}

/// When a run is deleted under the retention periods.
fn delete_after(r: &RunRow) -> DateTime<Utc> {
    let rules = Retention::current();
    let days = |d: ier_domain::retention::Days| chrono::Duration::days(i64::from(d.get()));
    match (r.dwp_matched_at.or(r.local_matched_at), r.finished_at) {
        (Some(_), Some(finished)) => finished + days(rules.matching_after_matched_days),
        _ => r.created_at + days(rules.matching_unfinished_days),
    }
}

pub fn run_json(r: &RunRow) -> Run {
    let progress = match r.state {
        RunState::Uploading => None,
        _ if r.against.is_none() => None,
        _ => Some(RunProgress {
            done: r.done,
            total: r.total,
            percent: if r.total == 0 {
                if r.state == RunState::Matched { 100.0 } else { 0.0 }
            } else {
                (r.done as f64 * 1000.0 / r.total as f64).round() / 10.0
            },
        }),
    };
    Run {
        id: r.id.to_string(),
        purpose: r.purpose.as_str(),
        state: r.state.as_str(),
        against: r.against.map(|a| a.as_str()),
        created_at: r.created_at,
        queued_at: r.queued_at,
        started_at: r.started_at,
        finished_at: r.finished_at,
        dwp_matched_at: r.dwp_matched_at,
        local_data_matched_at: r.local_matched_at,
        electors: r.electors,
        local_records: r.local_records,
        progress,
        error: r.error.clone(),
        delete_after: delete_after(r),
    }
}

/// Start a data matching run.
#[utoipa::path(
    post,
    path = "/v1/matching-runs",
    tag = "matching",
    request_body = NewRun,
    responses(
        (status = 201, description = "Started: upload the register to it.", body = Run),
        (status = 400, description = "The body is not valid.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The ERO holds 20 runs already: delete finished ones first.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(State(state): State<ApiState>, caller: Caller, headers: HeaderMap, body: Bytes) -> ApiResult {
    let new: NewRun = json_body(&headers, &body)?;
    let purpose = match new.purpose {
        WirePurpose::Canvass => Purpose::Canvass,
        WirePurpose::Confirmation => Purpose::Confirmation,
    };
    let run = state.for_caller(&caller).create_matching_run(purpose, Utc::now()).await?;
    let mut res = (StatusCode::CREATED, Json(run_json(&run))).into_response();
    if let Ok(v) = format!("/v1/matching-runs/{}", run.id).parse() {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(with_items(res, 1))
}

/// The caller's data matching runs, newest first (at most 100).
#[utoipa::path(
    get,
    path = "/v1/matching-runs",
    tag = "matching",
    responses((status = 200, description = "The runs, newest first.", body = RunList))
)]
pub async fn list(State(state): State<ApiState>, caller: Caller) -> ApiResult {
    let runs = state.for_caller(&caller).matching_runs(100).await?;
    let n = runs.len();
    Ok(with_items(Json(RunList { runs: runs.iter().map(run_json).collect() }).into_response(), n))
}

/// One run, with its match's progress.
#[utoipa::path(
    get,
    path = "/v1/matching-runs/{id}",
    tag = "matching",
    params(("id" = String, Path, description = "The run's id", pattern = r"^mr-[a-z2-9]{20}$")),
    responses(
        (status = 200, description = "The run.", body = Run),
        (status = 404, description = "No such run among the caller's.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(State(state): State<ApiState>, caller: Caller, Path(id): Path<String>) -> ApiResult {
    let id = run_id(&id)?;
    let run = state.for_caller(&caller).matching_run(&id).await?.ok_or_else(not_found)?;
    Ok(with_items(Json(run_json(&run)).into_response(), 1))
}

/// Delete a run, everything uploaded to it and its results, now.
#[utoipa::path(
    delete,
    path = "/v1/matching-runs/{id}",
    tag = "matching",
    params(("id" = String, Path, description = "The run's id", pattern = r"^mr-[a-z2-9]{20}$")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 404, description = "No such run among the caller's.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "It is being matched: delete it once the match has finished.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delete(State(state): State<ApiState>, caller: Caller, Path(id): Path<String>) -> ApiResult {
    let id = run_id(&id)?;
    if !state.for_caller(&caller).delete_matching_run(&id).await? {
        return Err(not_found());
    }
    Ok(with_items(StatusCode::NO_CONTENT.into_response(), 1))
}

/// Upload a page of the register (up to 10,000 electors) to a run that is uploading.
#[utoipa::path(
    post,
    path = "/v1/matching-runs/{id}/electors",
    tag = "matching",
    params(("id" = String, Path, description = "The run's id", pattern = r"^mr-[a-z2-9]{20}$")),
    request_body = ElectorPage,
    responses(
        (status = 200, description = "Stored; values read as missing, by position.", body = ElectorPageResult),
        (status = 400, description = "The body is not valid.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such run among the caller's.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The run is no longer taking electors (its match has been queued).", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Over 16 MiB.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn electors(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let id = run_id(&id)?;
    let page: ElectorPage = json_body(&headers, &body)?;
    drop(body);
    let read = register::read(&page.electors, MAX_ELECTORS)?;
    if page.position.is_some_and(|p| p < 1) {
        return Err(Problem::field("position", "must be a whole number from 1"));
    }
    let position = page.position.map(|p| p as u64);
    let n = page.electors.len();
    let people: Vec<(String, Person)> = page
        .electors
        .into_iter()
        .zip(read.numbers)
        .zip(read.dates.into_iter().zip(read.ninos))
        .map(|((e, number), (date, nino))| {
            let person = Person {
                given_name: e.given_name,
                middle_names: e.middle_names.unwrap_or_default(),
                surname: e.surname,
                date_of_birth: date.unwrap_or_default(),
                nino: nino.unwrap_or_default(),
                address_lines: e.address_lines,
                town: e.town.unwrap_or_default(),
                postcode: e.postcode,
                uprn: e.uprn,
            };
            (number, person)
        })
        .collect();
    let (stored, total) = state.for_caller(&caller).add_run_page(&id, people, position).await?;
    let result = ElectorPageResult { stored, values_skipped: read.values_skipped, electors: total };
    Ok(with_items(Json(result).into_response(), n))
}

/// Queue a match: against DWP once the register is uploaded, then against local data.
#[utoipa::path(
    post,
    path = "/v1/matching-runs/{id}/matches",
    tag = "matching",
    params(("id" = String, Path, description = "The run's id", pattern = r"^mr-[a-z2-9]{20}$")),
    request_body = NewMatch,
    responses(
        (status = 202, description = "Queued: poll the run for its progress.", body = Run),
        (status = 400, description = "The body is not valid.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such run among the caller's.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not now: the run has no electors (or no local data), has been matched against DWP already, or is being matched.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn queue(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let id = run_id(&id)?;
    let new: NewMatch = json_body(&headers, &body)?;
    let against = match new.against {
        WireAgainst::Dwp => Against::Dwp,
        WireAgainst::LocalData => Against::LocalData,
    };
    let run = state.for_caller(&caller).queue_match(&id, against, Utc::now()).await?;
    Ok(with_items((StatusCode::ACCEPTED, Json(run_json(&run))).into_response(), 1))
}

fn page_size(page_size: &Option<String>) -> Result<u32, Problem> {
    match page_size {
        None => Ok(DEFAULT_RESULTS),
        Some(s) => match s.parse::<u32>() {
            Ok(n) if (1..=MAX_RESULTS).contains(&n) => Ok(n),
            _ => Err(Problem::field("pageSize", format!("must be a whole number from 1 to {MAX_RESULTS}"))),
        },
    }
}

/// A run whose DWP match has finished, or the problem saying why there are no results yet.
async fn matched_run(state: &ApiState, caller: &Caller, id: &RunId) -> Result<RunRow, Problem> {
    let run = state.for_caller(caller).matching_run(id).await?.ok_or_else(not_found)?;
    if run.dwp_matched_at.is_none() {
        return Err(Problem::conflict(match run.state {
            RunState::Failed => "the run's match failed: start a new run",
            _ => "there are no results until the match against DWP has finished: poll the run",
        }));
    }
    Ok(run)
}

fn outcome(o: Option<m::Outcome>) -> Option<MatchResult> {
    o.map(|o| MatchResult {
        result: if o.level.is_some() { "matched" } else { "not-matched" },
        level: o.level.map(|l| l.as_str()),
        probability: o.level.and(o.probability).map(|p| (p * 1e6).round() / 1e6),
    })
}

/// Results per elector, in elector-number order (once the DWP match has finished).
#[utoipa::path(
    get,
    path = "/v1/matching-runs/{id}/results",
    tag = "matching",
    params(("id" = String, Path, description = "The run's id", pattern = r"^mr-[a-z2-9]{20}$"), ResultQuery),
    responses(
        (status = 200, description = "A page of results.", body = ResultPage),
        (status = 400, description = "A bad page size or an unknown query parameter.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such run among the caller's.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No results yet: the match against DWP has not finished.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn results(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
    q: Result<Query<ResultQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    let id = run_id(&id)?;
    let Query(q) = q.map_err(Problem::from)?;
    let size = page_size(&q.page_size)?;
    matched_run(&state, &caller, &id).await?;
    let after = q.after.as_deref().filter(|a| !a.is_empty());
    let rows = state.for_caller(&caller).match_results(&id, after, size).await?;
    let next = (rows.len() == size as usize).then(|| rows.last().map(|r| r.number.clone())).flatten();
    let results: Vec<ElectorResult> = rows
        .iter()
        .map(|r| ElectorResult {
            elector_number: r.number.clone(),
            matched: r.matched(),
            dwp: outcome(r.dwp),
            local_data: outcome(r.local),
            property: r.property,
        })
        .collect();
    let n = results.len();
    Ok(with_items(json_sized(&ResultPage { results, next }, n * 160), n))
}

/// Properties with their electors and canvass route, in property order (once the DWP match has finished).
#[utoipa::path(
    get,
    path = "/v1/matching-runs/{id}/properties",
    tag = "matching",
    params(("id" = String, Path, description = "The run's id", pattern = r"^mr-[a-z2-9]{20}$"), PropertyQuery),
    responses(
        (status = 200, description = "A page of properties.", body = PropertyPage),
        (status = 400, description = "A bad page size, `after` or an unknown query parameter.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such run among the caller's.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No results yet: the match against DWP has not finished.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn properties(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
    q: Result<Query<PropertyQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    let id = run_id(&id)?;
    let Query(q) = q.map_err(Problem::from)?;
    let size = page_size(&q.page_size)?;
    let after = match q.after.as_deref().filter(|a| !a.is_empty()) {
        None => 0,
        Some(a) => a.parse::<u32>().map_err(|_| Problem::field("after", "must be the `next` of the previous page"))?,
    };
    matched_run(&state, &caller, &id).await?;
    let rows = state.for_caller(&caller).match_properties(&id, after, size).await?;
    let next = (rows.len() == size as usize).then(|| rows.last().map(|r| r.property.to_string())).flatten();
    let properties: Vec<Property> = rows
        .into_iter()
        .map(|p| {
            let route = p.route().as_str();
            Property { property: p.property, matched: p.matched, route, elector_numbers: p.electors }
        })
        .collect();
    let n = properties.len();
    Ok(with_items(json_sized(&PropertyPage { properties, next }, n * 80), n))
}

/// Upload local data (council tax, benefits) as a CSV file with a header row, the
/// query naming its columns; a large file may be sent in parts, each with the header.
#[utoipa::path(
    post,
    path = "/v1/matching-runs/{id}/local-data",
    tag = "matching",
    params(("id" = String, Path, description = "The run's id", pattern = r"^mr-[a-z2-9]{20}$"), LocalColumns),
    request_body(content = String, content_type = "text/csv", description = "A CSV file (UTF-8, comma-separated, with a header row), at most 16 MiB."),
    responses(
        (status = 200, description = "Stored; rows and values that could not be read, by line.", body = LocalDataResult),
        (status = 400, description = "Not CSV, a column named that the header does not have, or no name or address columns.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such run among the caller's.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The run is being matched, or failed.", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Over 16 MiB.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn local_data(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
    q: Result<Query<LocalColumns>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let id = run_id(&id)?;
    let Query(columns) = q.map_err(Problem::from)?;
    let csv = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).and_then(|v| v.split(';').next());
    if !csv.is_some_and(|v| v.trim().eq_ignore_ascii_case("text/csv")) {
        return Err(Problem::validation("send the file as CSV, with the header Content-Type: text/csv"));
    }
    let read = read_local(&columns, &body)?;
    drop(body);
    let (added, total) = state.for_caller(&caller).add_local_records(&id, &read.records).await?;
    let n = read.records.len();
    let result = LocalDataResult {
        stored: added as usize,
        rows_skipped: read.rows_skipped,
        values_skipped: read.values_skipped,
        problems: read.problems,
        local_records: total,
    };
    Ok(with_items(Json(result).into_response(), n))
}

/// A local data file read with its column mapping.
#[derive(Debug)]
pub struct LocalRead {
    pub records: Vec<Person>,
    pub rows_skipped: u64,
    pub values_skipped: u64,
    pub problems: Vec<LineProblem>,
}

/// Where each field is in the file's header.
struct Mapping {
    full_name: Option<usize>,
    given: Option<usize>,
    middle: Option<usize>,
    surname: Option<usize>,
    dob: Option<usize>,
    nino: Option<usize>,
    address: Vec<usize>,
    town: Option<usize>,
    postcode: Option<usize>,
    uprn: Option<usize>,
}

/// Read a local data file: the header against the mapping (a problem naming the
/// parameter when a column is not there), then every row, leniently: a row with the
/// wrong number of fields or no name is skipped, a value that cannot be used is missing.
pub fn read_local(columns: &LocalColumns, body: &[u8]) -> Result<LocalRead, Problem> {
    if let Some(s) = &columns.source
        && !["council-tax", "benefits", "other"].contains(&s.as_str())
    {
        return Err(Problem::field("source", "must be council-tax, benefits or other"));
    }
    // Council systems export with commas, semicolons or tabs: the header line says which.
    let first_line = body.split(|&b| b == b'\n').next().unwrap_or_default();
    let delimiter = [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|d| (first_line.iter().filter(|b| *b == d).count(), *d == b','))
        .unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new().flexible(true).delimiter(delimiter).from_reader(body);
    let header =
        reader.byte_headers().map_err(|_| Problem::validation("the file's first line is not a CSV header"))?.clone();
    let names: Vec<String> =
        header.iter().map(|h| text_of(h).trim().trim_start_matches('\u{feff}').to_lowercase()).collect();
    let find = |param: &str, name: &Option<String>| -> Result<Option<usize>, Problem> {
        match name {
            None => Ok(None),
            Some(n) => {
                let want = n.trim().to_lowercase();
                names
                    .iter()
                    .position(|h| *h == want)
                    .map(Some)
                    .ok_or_else(|| Problem::field(param, "the file's header has no column of this name"))
            }
        }
    };
    let mut address = Vec::new();
    if let Some(list) = &columns.address {
        for part in list.split(',').filter(|p| !p.trim().is_empty()) {
            address.push(find("address", &Some(part.to_owned()))?.expect("named"));
        }
        if address.len() > 6 {
            return Err(Problem::field("address", "name at most 6 address columns"));
        }
    }
    let map = Mapping {
        full_name: find("fullName", &columns.full_name)?,
        given: find("givenName", &columns.given_name)?,
        middle: find("middleNames", &columns.middle_names)?,
        surname: find("surname", &columns.surname)?,
        dob: find("dateOfBirth", &columns.date_of_birth)?,
        nino: find("nino", &columns.nino)?,
        address,
        town: find("town", &columns.town)?,
        postcode: find("postcode", &columns.postcode)?,
        uprn: find("uprn", &columns.uprn)?,
    };
    if map.full_name.is_none() && map.surname.is_none() {
        return Err(Problem::field("surname", "name the surname column (with givenName), or a fullName column"));
    }
    if map.full_name.is_some() && (map.surname.is_some() || map.given.is_some()) {
        return Err(Problem::field("fullName", "name either a fullName column or givenName and surname columns"));
    }
    if map.address.is_empty() && map.postcode.is_none() && map.uprn.is_none() {
        return Err(Problem::field("address", "name the address columns, the postcode column or the UPRN column"));
    }
    let column_name = |c: usize| Some(names.get(c).cloned().unwrap_or_default());
    let mut out = LocalRead { records: Vec::new(), rows_skipped: 0, values_skipped: 0, problems: Vec::new() };
    let note = |out: &mut LocalRead, line: u64, column: Option<String>, reason: &str| {
        if out.problems.len() < LISTED {
            out.problems.push(LineProblem { line, column, reason: reason.to_owned() });
        }
    };
    // The csv crate counts lines ending in CRLF one short (as `ier_match::rows` corrects).
    let crlf = body.iter().position(|&b| b == b'\n').is_some_and(|i| i > 0 && body[i - 1] == b'\r');
    let mut row = csv::ByteRecord::new();
    loop {
        let next = reader.position().line() + u64::from(crlf);
        let read = reader.read_byte_record(&mut row);
        let line = row.position().map_or(next, |p| p.line() + u64::from(crlf && p.line() > 0));
        match read {
            Ok(false) => break,
            Ok(true) => {}
            Err(_) => {
                // Not CSV from here on (an unclosed quote, say): what was read stands.
                out.rows_skipped += 1;
                note(&mut out, line, None, "the rest of the file is not valid CSV");
                break;
            }
        }
        if row.len() != header.len() {
            out.rows_skipped += 1;
            note(&mut out, line, None, "has a different number of fields from the header");
            continue;
        }
        let mut bad_text = None;
        let mut text = |c: Option<usize>| -> String {
            let Some(c) = c else { return String::new() };
            match text_of(&row[c]) {
                s if s.chars().count() <= 200 => s.trim().to_owned(),
                _ => {
                    bad_text.get_or_insert(c);
                    String::new()
                }
            }
        };
        let (mut given, mut middle, mut surname) = (text(map.given), text(map.middle), text(map.surname));
        if map.full_name.is_some() {
            let full = text(map.full_name);
            let mut words: Vec<&str> = full.split_whitespace().collect();
            surname = words.pop().unwrap_or("").to_owned();
            if !words.is_empty() {
                given = words.remove(0).to_owned();
            }
            middle = words.join(" ");
        }
        let address_lines: Vec<String> = map.address.iter().map(|&c| text(Some(c))).filter(|l| !l.is_empty()).collect();
        let town = text(map.town);
        let postcode = text(map.postcode);
        let dob_text = text(map.dob);
        let nino_text = text(map.nino);
        let uprn_text = text(map.uprn);
        if let Some(c) = bad_text {
            out.values_skipped += 1;
            note(&mut out, line, column_name(c), "is longer than 200 characters: read as missing");
        }
        if surname.is_empty() {
            out.rows_skipped += 1;
            note(&mut out, line, None, "has no surname");
            continue;
        }
        let date_of_birth = if dob_text.is_empty() {
            String::new()
        } else {
            match local_date(&dob_text) {
                Ok(d) => d,
                Err(reason) => {
                    out.values_skipped += 1;
                    note(&mut out, line, map.dob.and_then(column_name), reason);
                    String::new()
                }
            }
        };
        let nino = if nino_text.is_empty() {
            String::new()
        } else {
            match ier_domain::Nino::parse(&nino_text) {
                Ok(n) => n.compact(),
                Err(_) => {
                    out.values_skipped += 1;
                    note(&mut out, line, map.nino.and_then(column_name), "is not a National Insurance number");
                    String::new()
                }
            }
        };
        let uprn = if uprn_text.is_empty() {
            None
        } else {
            match uprn_text.parse::<u64>().ok().filter(|u| ier_domain::Uprn::new(*u).is_ok()) {
                Some(u) => Some(u),
                None => {
                    out.values_skipped += 1;
                    note(&mut out, line, map.uprn.and_then(column_name), "is not a UPRN");
                    None
                }
            }
        };
        out.records.push(Person {
            given_name: given,
            middle_names: middle,
            surname,
            date_of_birth,
            nino,
            address_lines,
            town,
            postcode,
            uprn,
        });
    }
    if out.records.is_empty() && out.rows_skipped == 0 {
        return Err(Problem::validation("the file has no rows under its header"));
    }
    Ok(out)
}

/// A value's text: UTF-8, or else Windows-1252 (what many council systems still export).
fn text_of(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => std::borrow::Cow::Owned(bytes.iter().map(|&b| windows_1252(b)).collect()),
    }
}

/// One Windows-1252 byte as a character (its 0x80–0x9F differ from Latin-1's controls).
fn windows_1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}', '\u{90}', '‘',
        '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9f => HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

/// A local data date of birth, `YYYY-MM-DD` or `DD/MM/YYYY`, as `YYYY-MM-DD`.
fn local_date(s: &str) -> Result<String, &'static str> {
    let iso = match s.split('/').collect::<Vec<_>>().as_slice() {
        [d, m, y] if d.len() <= 2 && m.len() <= 2 && y.len() == 4 => format!("{y}-{m:0>2}-{d:0>2}"),
        _ => s.to_owned(),
    };
    register::date_of_birth(&iso).map(|d| d.format("%Y-%m-%d").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns() -> LocalColumns {
        LocalColumns {
            given_name: Some("Forename".into()),
            surname: Some("SURNAME".into()),
            date_of_birth: Some("dob".into()),
            address: Some("addr1, addr2".into()),
            postcode: Some("postcode".into()),
            ..Default::default()
        }
    }

    #[test]
    fn local_data_is_read_leniently_by_its_mapping() {
        let csv = "\u{feff}forename,surname,dob,addr1,addr2,postcode\r\n\
                   Ann,Jones,14/03/1990,1 High St,,AB1 2CD\r\n\
                   Bob,Smith,29/02/1937,2 High St,,AB1 2CD\r\n\
                   short,row\r\n\
                   Cy,,1990-01-01,3 High St,,AB1 2CD\r\n\
                   Dee,Evans,,\"4 High\r\nSt\",,AB1 2CD\r\n";
        let read = read_local(&columns(), csv.as_bytes()).unwrap();
        assert_eq!(read.records.len(), 3);
        assert_eq!(read.records[0].date_of_birth, "1990-03-14");
        assert_eq!(read.records[1].date_of_birth, "", "a date that does not exist is missing");
        assert_eq!((read.rows_skipped, read.values_skipped), (2, 1));
        let lines: Vec<(u64, Option<&str>, &str)> =
            read.problems.iter().map(|p| (p.line, p.column.as_deref(), p.reason.as_str())).collect();
        assert_eq!(
            lines,
            vec![
                (3, Some("dob"), "is a date that does not exist"),
                (4, None, "has a different number of fields from the header"),
                (5, None, "has no surname"),
            ]
        );
        let debug = format!("{:?}", read.records);
        assert!(!debug.contains("Jones"), "{debug}");
    }

    #[test]
    fn semicolons_tabs_and_windows_1252_read_as_council_systems_write_them() {
        let c = LocalColumns {
            full_name: Some("Name".into()),
            address: Some("Address".into()),
            postcode: Some("Postcode".into()),
            ..Default::default()
        };
        for sep in [";", "\t"] {
            let mut file = format!("Name{sep}Address{sep}Postcode\r\n").into_bytes();
            // "Siân O’Brien" and "Ffordd Glyndŵr" as Windows-1252 bytes (ŵ has none: '?').
            file.extend_from_slice(b"Si\xe2n O\x92Brien");
            file.extend_from_slice(format!("{sep}1, Ffordd Glynd?r{sep}CF10 1EP\r\n").as_bytes());
            let read = read_local(&c, &file).unwrap();
            assert_eq!(read.records.len(), 1, "{sep:?}: {:?}", read.problems);
            assert_eq!((read.records[0].given_name.as_str(), read.records[0].surname.as_str()), ("Siân", "O’Brien"));
            assert_eq!(read.records[0].address_lines, vec!["1, Ffordd Glynd?r".to_owned()]);
            assert_eq!(read.values_skipped, 0);
        }
    }

    #[test]
    fn a_mapping_naming_a_missing_column_or_no_name_is_refused() {
        let csv = b"forename,surname\nAnn,Jones\n";
        let mut c = columns();
        let p = read_local(&c, csv).unwrap_err();
        assert!(p.detail.starts_with("address:"), "{}", p.detail);
        c = LocalColumns { postcode: Some("forename".into()), ..Default::default() };
        assert!(read_local(&c, csv).unwrap_err().detail.starts_with("surname:"));
        c = LocalColumns { full_name: Some("surname".into()), ..Default::default() };
        assert!(read_local(&c, csv).unwrap_err().detail.starts_with("address:"));
    }

    #[test]
    fn a_full_name_is_split_with_the_surname_last() {
        let c = LocalColumns { full_name: Some("name".into()), postcode: Some("pc".into()), ..Default::default() };
        let read = read_local(&c, b"name,pc\nMary Ann de Jones,AB1 2CD\n").unwrap();
        let p = &read.records[0];
        assert_eq!((p.given_name.as_str(), p.middle_names.as_str(), p.surname.as_str()), ("Mary", "Ann de", "Jones"));
    }
}
