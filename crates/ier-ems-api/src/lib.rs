//! The EMS API: what a council's Electoral Management Software calls, over
//! mutual TLS (the listener is `ier-pki`'s; the caller's ERO arrives as a
//! [`Caller`] in the request's extensions and never from anything the client
//! says in HTTP).
//!
//! Version 1, under `/v1`:
//!
//! | method | path | what |
//! | --- | --- | --- |
//! | GET | `/v1/applications?pageSize=` | the caller's applications not yet confirmed, oldest first (default 100, at most 200); reading does not consume |
//! | GET | `/v1/applications/{reference}` | one application, whatever its stage |
//! | PUT | `/v1/applications/{reference}/receipt` | confirm receipt: `success` (idempotent; it leaves the queue) or `failure` + message ("not received": recorded, it stays on the queue until a success) |
//! | POST | `/v1/receipts` | confirm up to 200 receipts at once, in one transaction, each with its outcome |
//! | PUT | `/v1/applications/{reference}/determination` | the ERO's decision: approved, rejected or evidence requested, with reason codes |
//! | GET | `/v1/applications/{reference}/verification` | the DWP identity check's result and its evidence |
//! | GET | `/v1/register-checks?pageSize=` | register checks waiting for an answer, oldest first |
//! | GET | `/v1/register-checks/{id}` | one register check, with its answer once given |
//! | POST | `/v1/register-checks/{id}` | answer it: a match count and up to 10 candidate electors |
//! | POST/GET | `/v1/matching-runs` | start a data matching run (canvass or confirmation); list the caller's runs |
//! | GET/DELETE | `/v1/matching-runs/{id}` | a run with its match's progress; delete it now |
//! | POST | `/v1/matching-runs/{id}/electors` | a page of the register (up to 10,000 electors) |
//! | POST | `/v1/matching-runs/{id}/local-data` | local data as CSV, the query naming its columns |
//! | POST | `/v1/matching-runs/{id}/matches` | queue the match against `dwp`, then `local-data` |
//! | GET | `/v1/matching-runs/{id}/results`, `.../properties` | per elector (matched, level), per property (canvass route 1 or 2) |
//! | GET | `/v1/ero` | the caller's ERO and its councils |
//! | GET | `/v1/openapi.json` | this API's OpenAPI 3.1 document |
//!
//! Every query goes through an [`EroStore`] bound to the caller's ERO, so
//! another ERO's data is out of reach below the handlers (and, on Postgres,
//! below the SQL too: row-level security). Errors are RFC 9457 problems
//! ([`problem`]). Every access is audited ([`audit`]).

pub mod audit;
pub mod matching;
pub mod problem;
pub mod register;
pub mod wire;

use axum::body::Bytes;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{NaiveDate, Utc};
use ier_domain::{Determination, ReasonCode, ReferenceNumber};
use ier_pki::Caller;
use ier_storage::{ConfirmOutcome, EroStore, Store};
use serde::Deserialize;
use utoipa::OpenApi;

pub use audit::AuditSink;
use audit::Items;
use problem::Problem;
use wire::*;

/// What the handlers share.
#[derive(Clone)]
pub struct ApiState {
    pub store: Store,
    pub audit: AuditSink,
    /// The overload gate: past it, requests get a `busy` problem (503 + `Retry-After`).
    pub gate: Arc<ier_ops::Gate>,
    /// How long a client has, after a request's head, to send its body ([`BODY_TIMEOUT`]).
    pub body_timeout: std::time::Duration,
}

impl ApiState {
    /// State over a store, with its audit writer started on the current runtime.
    /// At most 512 requests are answered at once (360 councils' EMS polling at once fit).
    pub fn new(store: Store) -> Self {
        let audit = AuditSink::spawn(store.clone());
        let gate = Arc::new(ier_ops::Gate::new(512, ier_ops::Gate::DEFAULT_WAIT));
        Self { store, audit, gate, body_timeout: BODY_TIMEOUT }
    }

    fn for_caller(&self, caller: &Caller) -> EroStore {
        self.store.for_ero(caller.ero.clone())
    }
}

/// The API's router. It must be served behind `ier_pki`'s listener (or
/// anything else that puts a verified [`Caller`] in every request).
pub fn router(state: ApiState) -> Router {
    let audit_sink = state.audit.clone();
    Router::new()
        .route("/v1/applications", get(pending_applications))
        .route("/v1/applications/{reference}", get(application))
        .route("/v1/applications/{reference}/receipt", axum::routing::put(confirm_receipt))
        .route("/v1/receipts", axum::routing::post(confirm_receipts))
        .route("/v1/applications/{reference}/determination", axum::routing::put(determine))
        .route("/v1/applications/{reference}/verification", get(verification))
        .route("/v1/determinations", get(determinations))
        .route("/v1/register-checks", get(pending_register_checks))
        .route("/v1/register-checks/{id}", get(register_check).post(answer_register_check))
        .route("/v1/register", get(register::summary))
        .route("/v1/register/electors", axum::routing::post(register::upload))
        .route("/v1/register/removals", axum::routing::post(register::remove))
        .route("/v1/matching-runs", get(matching::list).post(matching::create))
        .route("/v1/matching-runs/{id}", get(matching::get).delete(matching::delete))
        .route(
            "/v1/matching-runs/{id}/electors",
            axum::routing::post(matching::electors).layer(axum::extract::DefaultBodyLimit::max(matching::MAX_UPLOAD)),
        )
        .route(
            "/v1/matching-runs/{id}/local-data",
            axum::routing::post(matching::local_data).layer(axum::extract::DefaultBodyLimit::max(matching::MAX_UPLOAD)),
        )
        .route("/v1/matching-runs/{id}/matches", axum::routing::post(matching::queue))
        .route("/v1/matching-runs/{id}/results", get(matching::results))
        .route("/v1/matching-runs/{id}/properties", get(matching::properties))
        .route("/v1/ero", get(ero))
        .route("/v1/openapi.json", get(openapi_json))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::map_response(problem_for_plain_errors))
        .layer(axum::middleware::from_fn_with_state(state.body_timeout, body_deadline))
        .layer(axum::middleware::from_fn_with_state(state.gate.clone(), shed))
        .layer(axum::middleware::from_fn_with_state(audit_sink, audit::record))
        .layer(axum::middleware::from_fn_with_state(ier_ops::Tier::Ems, ier_ops::observe))
        .with_state(state)
}

/// The overload gate: a request that cannot start soon gets the `busy` problem
/// (503 with `Retry-After`) at once, and is audited as such; nothing was done.
async fn shed(
    State(gate): State<Arc<ier_ops::Gate>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    match gate.enter(ier_ops::Tier::Ems).await {
        Ok(_permit) => next.run(req).await,
        Err(busy) => {
            let mut res = Problem::busy(busy.retry_after).into_response();
            res.headers_mut().insert(axum::http::header::RETRY_AFTER, busy.header());
            res
        }
    }
}

/// How long a client has, after a request's head, to send its body (2 MB at 35 KB/s).
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// A body still arriving `limit` after its head gets the `timeout` problem (408) and the
/// connection is closed: a client trickling bodies cannot hold connections open.
async fn body_deadline(
    State(limit): State<std::time::Duration>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let (req, expired) = ier_ops::listener::BodyDeadline::wrap(req, limit);
    let res = next.run(req).await;
    if !expired.expired() {
        return res;
    }
    let mut res = Problem::timeout().into_response();
    res.headers_mut().insert(header::CONNECTION, axum::http::HeaderValue::from_static("close"));
    res
}

/// axum refuses a body over its limit in plain text: the API answers with a
/// problem document, as for every other error.
async fn problem_for_plain_errors(res: Response) -> Response {
    let plain = res.headers().get(header::CONTENT_TYPE).is_none_or(|v| v.as_bytes().starts_with(b"text/plain"));
    if res.status() == StatusCode::PAYLOAD_TOO_LARGE && plain {
        return Problem::too_large().into_response();
    }
    res
}

/// The OpenAPI 3.1 document, as generated from the code.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "IER EMS API",
        version = "1.0.0",
        description = "The API councils' Electoral Management Software uses to fetch applications to register to vote, confirm receipt, send determinations, read identity verification results, answer register checks keep their register in the person index (digests only) so repeat applicants are told before they send, and match their register against DWP records and local data (the canvass and confirmation), with results per elector and per property. Clients authenticate with a TLS client certificate issued to their Electoral Registration Officer (ERO); every request sees only that ERO's councils. Errors are RFC 9457 problem details."
    ),
    paths(
        pending_applications,
        application,
        confirm_receipt,
        confirm_receipts,
        determine,
        verification,
        determinations,
        pending_register_checks,
        register_check,
        answer_register_check,
        register::summary,
        register::upload,
        register::remove,
        matching::create,
        matching::list,
        matching::get,
        matching::delete,
        matching::electors,
        matching::queue,
        matching::results,
        matching::properties,
        matching::local_data,
        ero,
        openapi_json
    ),
    components(schemas(Problem, problem::FieldProblem)),
    modifiers(&MutualTls),
    tags((name = "applications"), (name = "register-checks"), (name = "register"), (name = "matching"), (name = "ero"))
)]
struct ApiDoc;

struct MutualTls;

impl utoipa::Modify for MutualTls {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{SecurityRequirement, SecurityScheme};
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme("mutualTLS", SecurityScheme::MutualTls { description: Some(
            "A TLS client certificate issued by the service to the caller's ERO (its URI names the ERO: urn:ier:ero:<id>).".into(),
        ), extensions: None });
        doc.security = Some(vec![SecurityRequirement::new("mutualTLS", Vec::<String>::new())]);
    }
}

/// Today in the UK, for the franchise rules and register checks.
fn today() -> NaiveDate {
    Utc::now().with_timezone(&chrono_tz::Europe::London).date_naive()
}

/// `pageSize`: default 100, at most 200.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct PageQuery {
    /// Items per page: 1 to 200 (default 100).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    page_size: Option<String>,
}

const DEFAULT_PAGE: u32 = 100;
const MAX_PAGE: u32 = 200;

fn page_size(q: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>) -> Result<u32, Problem> {
    let Query(q) = q.map_err(Problem::from)?;
    match q.page_size {
        None => Ok(DEFAULT_PAGE),
        Some(s) => match s.parse::<u32>() {
            Ok(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
            Ok(_) => Err(Problem::field("pageSize", format!("must be from 1 to {MAX_PAGE}"))),
            Err(_) => Err(Problem::field("pageSize", format!("must be a whole number from 1 to {MAX_PAGE}"))),
        },
    }
}

fn reference(s: &str) -> Result<ReferenceNumber, Problem> {
    ReferenceNumber::parse(s).map_err(|_| {
        Problem::field("reference", "is not a reference number: 10 letters and digits, as given to the applicant")
    })
}

fn check_id(s: &str) -> Result<String, Problem> {
    uuid::Uuid::parse_str(s)
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| Problem::field("id", "is not a register check id (a UUID)"))
}

/// A JSON request body, parsed strictly (see [`problem::parse_json`]).
fn json_body<T: serde::de::DeserializeOwned>(headers: &HeaderMap, body: &Bytes) -> Result<T, Problem> {
    let json =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).and_then(|v| v.split(';').next()).is_some_and(
            |v| {
                let v = v.trim();
                v.eq_ignore_ascii_case("application/json") || v.to_ascii_lowercase().ends_with("+json")
            },
        );
    if !json {
        return Err(Problem::validation("send the body as JSON, with the header Content-Type: application/json"));
    }
    problem::parse_json(body)
}

/// A JSON response serialised into a buffer sized up front (a page of 200
/// applications is about half a megabyte: growing a small buffer to that
/// costs more than the serialising).
fn json_sized<T: serde::Serialize>(value: &T, capacity: usize) -> Response {
    let mut buf = Vec::with_capacity(capacity);
    match serde_json::to_writer(&mut buf, value) {
        Ok(()) => ([(header::CONTENT_TYPE, "application/json")], buf).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a response could not be serialised");
            Problem::internal().into_response()
        }
    }
}

fn with_items(mut res: Response, n: usize) -> Response {
    res.extensions_mut().insert(Items(n as u32));
    res
}

type ApiResult = Result<Response, Problem>;

/// The caller's applications not yet confirmed, oldest first.
#[utoipa::path(
    get,
    path = "/v1/applications",
    tag = "applications",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of pending applications, oldest first. Reading does not consume them.", body = ApplicationPage),
        (status = 400, description = "A bad page size or an unknown query parameter.", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn pending_applications(
    State(state): State<ApiState>,
    caller: Caller,
    q: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    let size = page_size(q)?;
    let rows = state.for_caller(&caller).pending(size).await?;
    let today = today();
    let applications: Vec<Application> = rows.iter().map(|(a, p)| wire::application(a, p, today)).collect();
    let n = applications.len();
    Ok(with_items(json_sized(&ApplicationPage { applications, page_size: size }, n * 3072), n))
}

/// One of the caller's applications, whatever its stage.
#[utoipa::path(
    get,
    path = "/v1/applications/{reference}",
    tag = "applications",
    params(("reference" = String, Path, description = "The application's reference number", pattern = r"^[23456789BCDFGHJKMNPQRSTVWXYZ]{10}$")),
    responses(
        (status = 200, description = "The application.", body = Application),
        (status = 400, description = "Not a reference number.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such application among the caller's councils.", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "Its personal data has been deleted under the retention rules (a set time after receipt and determination): the `erased` problem.", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn application(State(state): State<ApiState>, caller: Caller, Path(r): Path<String>) -> ApiResult {
    let r = reference(&r)?;
    let (app, progress) = state
        .for_caller(&caller)
        .application_with_progress(&r)
        .await?
        .ok_or_else(|| Problem::not_found("no application with this reference among your councils"))?;
    Ok(with_items(Json(wire::application(&app, &progress, today())).into_response(), 1))
}

/// The longest message with a failed receipt.
const MAX_MESSAGE: usize = 1000;

/// Confirm receipt of an application: a success takes it off the queue.
///
/// Confirming again changes nothing. A failure means "not received": it is
/// recorded and the application stays on the queue until a success. A failure
/// after a success changes nothing.
#[utoipa::path(
    put,
    path = "/v1/applications/{reference}/receipt",
    tag = "applications",
    params(("reference" = String, Path, description = "The application's reference number", pattern = r"^[23456789BCDFGHJKMNPQRSTVWXYZ]{10}$")),
    request_body = ReceiptRequest,
    responses(
        (status = 204, description = "Recorded: a success confirmed (now or before: confirming twice is harmless); a failure recorded, the application still pending (or ignored, if a success came before)."),
        (status = 400, description = "The body is not valid.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such application among the caller's councils.", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn confirm_receipt(
    State(state): State<ApiState>,
    caller: Caller,
    Path(r): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let r = reference(&r)?;
    let req: ReceiptRequest = json_body(&headers, &body)?;
    let message = req.message.map(|m| m.trim().to_owned()).filter(|m| !m.is_empty());
    if message.as_ref().is_some_and(|m| m.chars().count() > MAX_MESSAGE) {
        return Err(Problem::field("message", format!("must be {MAX_MESSAGE} characters or fewer")));
    }
    let success = req.status == ReceiptStatus::Success;
    let outcome = state.for_caller(&caller).confirm_receipts(Utc::now(), &[(r, success, message)]).await?;
    let outcome = outcome.first().copied().unwrap_or(ConfirmOutcome::NotFound);
    count_receipt(outcome);
    match outcome {
        ConfirmOutcome::NotFound => Err(Problem::not_found("no application with this reference among your councils")),
        _ => Ok(with_items(StatusCode::NO_CONTENT.into_response(), 1)),
    }
}

/// Confirm many receipts at once: one transaction for the whole page.
#[utoipa::path(
    post,
    path = "/v1/receipts",
    tag = "applications",
    request_body = ReceiptBatch,
    responses(
        (status = 200, description = "Each receipt's outcome, in order: a success is confirmed (twice is harmless); a failure is failure-recorded and the application stays on the queue, or already-confirmed if a success came before (it stands); another ERO's reference is not-found.", body = ReceiptBatchResult),
        (status = 400, description = "The body is not valid.", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn confirm_receipts(State(state): State<ApiState>, caller: Caller, headers: HeaderMap, body: Bytes) -> ApiResult {
    let batch: ReceiptBatch = json_body(&headers, &body)?;
    if batch.receipts.is_empty() || batch.receipts.len() > MAX_PAGE as usize {
        return Err(Problem::field("receipts", format!("give 1 to {MAX_PAGE} receipts")));
    }
    let mut items = Vec::with_capacity(batch.receipts.len());
    for (i, r) in batch.receipts.into_iter().enumerate() {
        let reference = ReferenceNumber::parse(&r.reference)
            .map_err(|_| Problem::field(&format!("receipts[{i}].reference"), "is not a reference number"))?;
        let message = r.message.map(|m| m.trim().to_owned()).filter(|m| !m.is_empty());
        if message.as_ref().is_some_and(|m| m.chars().count() > MAX_MESSAGE) {
            let field = format!("receipts[{i}].message");
            return Err(Problem::field(&field, format!("must be {MAX_MESSAGE} characters or fewer")));
        }
        items.push((reference, r.status == ReceiptStatus::Success, message));
    }
    let outcomes = state.for_caller(&caller).confirm_receipts(Utc::now(), &items).await?;
    let results: Vec<ReceiptOutcome> = items
        .iter()
        .zip(outcomes)
        .map(|((r, _, _), o)| ReceiptOutcome { reference: r.to_string(), outcome: count_receipt(o).to_owned() })
        .collect();
    let n = results.len();
    Ok(with_items(Json(ReceiptBatchResult { results }).into_response(), n))
}

/// A receipt's outcome, as the API names it, counted in the metrics (operators see failures).
fn count_receipt(outcome: ConfirmOutcome) -> &'static str {
    let name = match outcome {
        ConfirmOutcome::Confirmed => "confirmed",
        ConfirmOutcome::AlreadyConfirmed => "already-confirmed",
        ConfirmOutcome::FailureRecorded => "failure-recorded",
        ConfirmOutcome::NotFound => "not-found",
    };
    ier_ops::metrics().ems_receipt(name).inc();
    if outcome == ConfirmOutcome::FailureRecorded {
        tracing::warn!("an EMS reported a failed receipt; the application stays on its queue");
    }
    name
}

/// The most reason codes a determination may carry.
const MAX_REASONS: usize = 20;

/// Record the ERO's determination.
#[utoipa::path(
    put,
    path = "/v1/applications/{reference}/determination",
    tag = "applications",
    params(("reference" = String, Path, description = "The application's reference number", pattern = r"^[23456789BCDFGHJKMNPQRSTVWXYZ]{10}$")),
    request_body = DeterminationRequest,
    responses(
        (status = 204, description = "Recorded (or the same determination was already recorded)."),
        (status = 400, description = "The body is not valid, or its registeredFrom is not allowed (only with an approval; not before the application was made, at most two years ahead).", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such application among the caller's councils.", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "Its personal data has been deleted under the retention rules (a set time after receipt and determination): the `erased` problem.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Receipt not yet confirmed, or a final determination would change.", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn determine(
    State(state): State<ApiState>,
    caller: Caller,
    Path(r): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let r = reference(&r)?;
    let req: DeterminationRequest = json_body(&headers, &body)?;
    if req.reasons.len() > MAX_REASONS {
        return Err(Problem::field("reasons", format!("at most {MAX_REASONS} reason codes")));
    }
    let mut reasons = Vec::with_capacity(req.reasons.len());
    for (i, code) in req.reasons.iter().enumerate() {
        reasons.push(ReasonCode::parse(&code.0).map_err(|e| Problem::field(&format!("reasons[{i}]"), e.to_string()))?);
    }
    let determination = match req.decision {
        Decision::Approved => Determination::Approved,
        Decision::Rejected => Determination::Rejected,
        Decision::EvidenceRequested => Determination::EvidenceRequested,
    };
    let ero = state.for_caller(&caller);
    let now = Utc::now();
    if let Some(from) = req.registered_from {
        let application = ero
            .application(&r)
            .await?
            .ok_or_else(|| Problem::not_found("no application with this reference among your councils"))?;
        let london = |t: chrono::DateTime<Utc>| t.with_timezone(&chrono_tz::Europe::London).date_naive();
        ier_domain::check_registered_from(determination, from, london(application.submitted_at), london(now))
            .map_err(|e| Problem::field("registeredFrom", e.message()))?;
    }
    let notes = match &req.notes {
        None => None,
        Some(n) => {
            let notes = ier_domain::DecisionNotes::parse(n.en.as_deref().unwrap_or(""), n.cy.as_deref().unwrap_or(""))
                .map_err(|e| match e {
                    ier_domain::NotesError::TooLong(l) | ier_domain::NotesError::Control(l) => {
                        Problem::field(&format!("notes.{}", l.as_str()), e.message())
                    }
                    ier_domain::NotesError::NotRejected => Problem::field("notes", e.message()),
                })?;
            if notes.is_some() && determination != Determination::Rejected {
                return Err(Problem::field("notes", ier_domain::NotesError::NotRejected.message()));
            }
            notes
        }
    };
    ero.determine_from(&r, now, determination, &reasons, req.registered_from, notes.as_ref()).await?;
    Ok(with_items(StatusCode::NO_CONTENT.into_response(), 1))
}

/// The DWP identity check of an application.
#[utoipa::path(
    get,
    path = "/v1/applications/{reference}/verification",
    tag = "applications",
    params(("reference" = String, Path, description = "The application's reference number", pattern = r"^[23456789BCDFGHJKMNPQRSTVWXYZ]{10}$")),
    responses(
        (status = 200, description = "The result (pending until DWP has answered) and its evidence.", body = VerificationResult),
        (status = 400, description = "Not a reference number.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such application among the caller's councils.", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "Its personal data has been deleted under the retention rules (a set time after receipt and determination): the `erased` problem.", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn verification(State(state): State<ApiState>, caller: Caller, Path(r): Path<String>) -> ApiResult {
    let r = reference(&r)?;
    let (_, progress) = state
        .for_caller(&caller)
        .application_with_progress(&r)
        .await?
        .ok_or_else(|| Problem::not_found("no application with this reference among your councils"))?;
    Ok(with_items(Json(wire::verification(&progress)).into_response(), 1))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct DeterminationsQuery {
    /// Items per page: 1 to 200 (default 100).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    page_size: Option<String>,
    /// Read on after this cursor (a page's `next`); from the first without it.
    #[param(value_type = Option<String>, pattern = r"^[0-9]{1,18}$")]
    after: Option<String>,
}

/// The determinations of the caller's applications in the order they were recorded: its own and
/// those its staff made in the ERO portal, which the EMS must apply to its register. Read on
/// with each page's `next`; a determination already applied can be recognised by its
/// reference, decision and time.
#[utoipa::path(
    get,
    path = "/v1/determinations",
    tag = "applications",
    params(DeterminationsQuery),
    responses(
        (status = 200, description = "A page of determinations, oldest first.", body = wire::DeterminationPage),
        (status = 400, description = "A bad page size or cursor, or an unknown query parameter.", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn determinations(
    State(state): State<ApiState>,
    caller: Caller,
    q: Result<Query<DeterminationsQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    let Query(q) = q.map_err(Problem::from)?;
    let size = page_size(Ok(Query(PageQuery { page_size: q.page_size })))?;
    let after = match q.after.as_deref() {
        None => 0,
        // Digits only (no sign, no spaces), as the schema says.
        Some(s) if !s.is_empty() && s.len() <= 18 && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse::<i64>().map_err(|_| Problem::field("after", "must be a cursor from a page's next: digits only"))?
        }
        Some(_) => return Err(Problem::field("after", "must be a cursor from a page's next: digits only")),
    };
    let ero = state.for_caller(&caller);
    let rows = ero.determinations(after, size).await?;
    let next = rows.last().map_or(after, |r| r.cursor).to_string();
    let mut determinations: Vec<wire::DeterminationItem> = Vec::with_capacity(rows.len());
    for r in rows {
        // A rejection is final, so the application's notes are its notes.
        let notes = match r.determination {
            Determination::Rejected => {
                ero.determination_notes(&r.reference).await?.map(|n| wire::Notes { en: n.en, cy: n.cy })
            }
            _ => None,
        };
        determinations.push(wire::DeterminationItem {
            reference: r.reference.to_string(),
            decision: r.determination.as_str().to_owned(),
            reasons: r.reasons.iter().map(|c| c.as_str().to_owned()).collect(),
            registered_from: r.registered_from,
            notes,
            at: r.at,
            cursor: r.cursor.to_string(),
        });
    }
    let n = determinations.len();
    Ok(with_items(json_sized(&wire::DeterminationPage { determinations, next }, n * 256), n))
}

/// Register checks waiting for the caller's answer, oldest first.
#[utoipa::path(
    get,
    path = "/v1/register-checks",
    tag = "register-checks",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of unanswered register checks.", body = RegisterCheckPage),
        (status = 400, description = "A bad page size or an unknown query parameter.", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn pending_register_checks(
    State(state): State<ApiState>,
    caller: Caller,
    q: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    let size = page_size(q)?;
    let rows = state.for_caller(&caller).pending_register_checks(size).await?;
    let register_checks: Vec<RegisterCheck> = rows.iter().map(|(c, a)| wire::register_check(c, a, &[])).collect();
    let n = register_checks.len();
    Ok(with_items(Json(RegisterCheckPage { register_checks, page_size: size }).into_response(), n))
}

/// One register check, with its answer once given.
#[utoipa::path(
    get,
    path = "/v1/register-checks/{id}",
    tag = "register-checks",
    params(("id" = String, Path, description = "The register check's id (a UUID)", pattern = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")),
    responses(
        (status = 200, description = "The register check.", body = RegisterCheck),
        (status = 400, description = "Not a register check id.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such register check among the caller's councils.", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "Its personal data has been deleted under the retention rules (a set time after receipt and determination): the `erased` problem.", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn register_check(State(state): State<ApiState>, caller: Caller, Path(id): Path<String>) -> ApiResult {
    let id = check_id(&id)?;
    let (check, app, candidates) = state
        .for_caller(&caller)
        .register_check(&id)
        .await?
        .ok_or_else(|| Problem::not_found("no register check with this id among your councils"))?;
    Ok(with_items(Json(wire::register_check(&check, &app, &candidates)).into_response(), 1))
}

/// The largest match count an answer may give (more than any register holds for one name).
const MAX_MATCH_COUNT: u32 = 100_000;

/// Answer a register check.
#[utoipa::path(
    post,
    path = "/v1/register-checks/{id}",
    tag = "register-checks",
    params(("id" = String, Path, description = "The register check's id (a UUID)", pattern = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")),
    request_body = RegisterCheckAnswer,
    responses(
        (status = 201, description = "Answered; what the answer means.", body = RegisterCheckOutcome),
        (status = 400, description = "The answer is not valid (its council is not the check's, or its candidates disagree with its count).", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The gssCode is not one of the caller's councils.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such register check among the caller's councils.", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "Its personal data has been deleted under the retention rules (a set time after receipt and determination): the `erased` problem.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already answered.", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn answer_register_check(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let id = check_id(&id)?;
    let answer: RegisterCheckAnswer = json_body(&headers, &body)?;
    if answer.match_count > MAX_MATCH_COUNT {
        return Err(Problem::field("matchCount", format!("must be from 0 to {MAX_MATCH_COUNT}")));
    }
    let store = state.for_caller(&caller);
    let (check, app, _) = store
        .register_check(&id)
        .await?
        .ok_or_else(|| Problem::not_found("no register check with this id among your councils"))?;
    let councils = store.councils().await?;
    if !councils.iter().any(|c| c.gss_code.as_str() == answer.gss_code) {
        return Err(Problem::forbidden("gssCode is not one of the councils your ERO serves"));
    }
    if app.gss_code.as_str() != answer.gss_code {
        return Err(Problem::field("gssCode", "is not the council of this register check"));
    }
    if check.answered_at.is_some() {
        return Err(Problem::conflict("this register check has already been answered"));
    }
    let mut candidates = Vec::with_capacity(answer.matches.len());
    for (i, c) in answer.matches.into_iter().enumerate() {
        candidates.push(wire::candidate_in(i, c).map_err(|(field, msg)| Problem::field(&field, msg))?);
    }
    match store.answer_register_check(&id, Utc::now(), today(), answer.match_count, candidates).await? {
        Ok(result) => {
            let body = RegisterCheckOutcome { id, result: wire::register_check_result(result) };
            Ok(with_items((StatusCode::CREATED, Json(body)).into_response(), 1))
        }
        Err(e) => Err(Problem::field("matches", e.to_string())),
    }
}

/// The caller's ERO and the councils it serves.
#[utoipa::path(
    get,
    path = "/v1/ero",
    tag = "ero",
    responses((status = 200, description = "The caller's ERO.", body = EroDetails))
)]
async fn ero(State(state): State<ApiState>, caller: Caller) -> ApiResult {
    let store = state.for_caller(&caller);
    let ero = store.ero().await?.ok_or_else(|| {
        tracing::error!(ero = %caller.ero, "a certificate names an ERO the service does not know");
        Problem::not_found("your ERO is not known to the service")
    })?;
    let councils = store.councils().await?;
    Ok(Json(wire::ero(&ero, &councils)).into_response())
}

/// This API's OpenAPI document.
#[utoipa::path(
    get,
    path = "/v1/openapi.json",
    tag = "ero",
    responses((status = 200, description = "The OpenAPI 3.1 document.", content_type = "application/json", body = Object))
)]
async fn openapi_json() -> Response {
    Json(openapi()).into_response()
}

async fn not_found() -> Problem {
    Problem::not_found("there is no such endpoint: see /v1/openapi.json")
}

async fn method_not_allowed() -> Response {
    let mut p = Problem::validation("this endpoint does not take this method: see /v1/openapi.json");
    p.status = 405;
    p.title = "Method not allowed".into();
    p.kind = "urn:ier:problem:method-not-allowed".into();
    p.into_response()
}
