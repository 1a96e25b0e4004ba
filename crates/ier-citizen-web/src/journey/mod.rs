//! The applicant journeys: register to vote as a resident of England,
//! Scotland or Wales, as a British citizen living abroad, as a member of the
//! armed forces, or as a Crown servant or British Council employee (or the
//! spouse or civil partner of one), one question a page, in English or Welsh.
//!
//! A journey is data ([`flows`]): its steps in order, each a question with the
//! rule that says when it applies. The engine ([`engine`]) walks any of them;
//! one GET and one POST handler here serve every step of every journey, and
//! the journey state is read and sealed in one place ([`state`]). Each POST
//! checks the CSRF token and parses the form into domain types, re-showing the
//! page with every error and every value kept, or saves the answer and moves
//! on. Exits (Northern Ireland, too young, no franchise) come from the answers
//! and the franchise rules data, never from `if`s about ages or countries here.
//!
//! After the last step: "Check your answers" (a Change link on every answer),
//! the declaration, submission (stored durably and routed before the reference
//! is shown) and the complete page, which shows the reference for as long as
//! the journey state lives (a reload, or switching to Cymraeg, shows it again).

pub mod answers;
pub mod demo;
pub mod engine;
pub mod flows;
pub mod questions;
pub mod state;

use ier_storage::performance::Measure;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use axum::Form;
use axum::Router;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::{NaiveDate, Utc};
use ier_domain::{ApplicationKind, Rules, WayToVote};
use minijinja::{Value, context};

pub use answers::{Answers, JourneyKind, Receipt};
use engine::{Cx, Exit, Flow, Outcome};
use flows::flow;
use state::{Journey, Visit, no_store, now};

use crate::AppState;
use crate::limits::Action;
use crate::render::{Frame, page};
use crate::session::{Opened, Session, csrf_ok};

pub const PREFIX: &str = "/register-to-vote";

/// GOV.UK's own finder of an Electoral Registration Office's contact details,
/// linked when the ERO has not yet given us theirs.
pub const ERO_CONTACT_FINDER: &str = "https://www.gov.uk/contact-electoral-registration-office";

/// The routes of every journey: one GET and one POST handler for all of them,
/// routed by each page's own path (so metrics and logs name the page).
pub fn routes() -> Router<Arc<AppState>> {
    let mut paths: Vec<&String> = TARGETS.keys().collect();
    paths.sort();
    paths
        .into_iter()
        .fold(Router::new(), |r, path| r.route(path, get(get_page).post(post_page)))
        .route("/demo", get(demo::index))
        .route("/demo/{journey}/start", get(demo::start).post(demo::start_post))
        .route("/demo/{journey}/fill", get(demo::fill).post(demo::fill_post))
}

/// Today on the UK calendar: dates of birth and ages are judged on it.
pub fn today() -> NaiveDate {
    Utc::now().with_timezone(&chrono_tz::Europe::London).date_naive()
}

/// A page with a heading, paragraphs and links.
pub fn message(
    frame: &Frame,
    status: StatusCode,
    heading: &str,
    paragraphs: Vec<String>,
    links: Vec<(String, String)>,
) -> Response {
    let links: Vec<_> = links.into_iter().map(|(href, text)| context! { href, text }).collect();
    page(status, "message.html", frame, context! { heading => frame.t(heading), paragraphs, links })
}

/// 503 with `Retry-After`: the database could not answer just now.
pub fn unavailable(frame: &Frame) -> Response {
    let mut res =
        message(frame, StatusCode::SERVICE_UNAVAILABLE, "unavailable-title", vec![frame.t("unavailable-body")], vec![]);
    res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
    res
}

pub use questions::dob::error_key as dob_error_key;

/// 429 with `Retry-After` and a page that says how long to wait.
pub fn too_many(frame: &Frame, wait: std::time::Duration) -> Response {
    let seconds = wait.as_secs().to_string();
    let mut res = message(
        frame,
        StatusCode::TOO_MANY_REQUESTS,
        "too-many-title",
        vec![frame.t_args("too-many-body", &[("seconds", &seconds)])],
        vec![],
    );
    if let Ok(v) = HeaderValue::from_str(&seconds) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

/// What a path under `/register-to-vote/` is.
#[derive(Clone, Copy)]
enum Target {
    Start(JourneyKind),
    Check(JourneyKind),
    Complete(JourneyKind),
    Step(JourneyKind, usize, Option<&'static str>),
    KeepAlive,
    TimedOut,
    TimeoutWarning,
    Unknown,
}

/// Every journey page's path and what it is in each journey that has it (the
/// journeys' data read once: a request looks its path up, it does not search).
static TARGETS: LazyLock<HashMap<String, Vec<Target>>> = LazyLock::new(|| {
    let mut map: HashMap<String, Vec<Target>> = HashMap::new();
    map.entry(format!("{PREFIX}/keep-alive")).or_default().push(Target::KeepAlive);
    map.entry(format!("{PREFIX}/timed-out")).or_default().push(Target::TimedOut);
    map.entry(format!("{PREFIX}/timeout-warning")).or_default().push(Target::TimeoutWarning);
    for kind in JourneyKind::ALL {
        let f = flow(kind);
        map.entry(f.start_path()).or_default().push(Target::Start(kind));
        if kind != JourneyKind::Ordinary {
            map.entry(f.prefix.to_owned()).or_default().push(Target::Start(kind));
        }
        map.entry(f.check_path()).or_default().push(Target::Check(kind));
        map.entry(f.complete_path()).or_default().push(Target::Complete(kind));
        for (i, s) in f.steps.iter().enumerate() {
            map.entry(s.path.clone()).or_default().push(Target::Step(kind, i, None));
            for sub in s.question.subpages() {
                map.entry(format!("{}/{sub}", s.path)).or_default().push(Target::Step(kind, i, Some(*sub)));
            }
        }
    }
    map
});

/// What a path is, the applicant's own journey first (a step two journeys
/// share, such as "where do you live?", belongs to theirs).
fn resolve(path: &str, own: Option<JourneyKind>) -> Target {
    let Some(targets) = TARGETS.get(path) else { return Target::Unknown };
    let kind_of = |t: &Target| match t {
        Target::Start(k) | Target::Check(k) | Target::Complete(k) | Target::Step(k, _, _) => Some(*k),
        _ => None,
    };
    targets.iter().find(|t| own.is_some() && kind_of(t) == own).or(targets.first()).copied().unwrap_or(Target::Unknown)
}

fn session_kind(v: &Visit) -> Option<JourneyKind> {
    match &*v.opened {
        Opened::Active(s) => Some(s.data.journey),
        _ => None,
    }
}

async fn get_page(mut visit: Visit) -> Response {
    let path = visit.frame.path.clone();
    match resolve(&path, session_kind(&visit)) {
        Target::Start(kind) => start_get(visit, kind).await,
        Target::KeepAlive => keep_alive(visit).await,
        Target::TimedOut => timed_out(visit).await,
        Target::TimeoutWarning => timeout_warning(&visit),
        Target::Unknown => crate::not_found_page(&visit.frame),
        target => {
            let session = match active(&mut visit) {
                Ok(s) => s,
                Err(res) => return res,
            };
            match target {
                Target::Check(kind) => check_get(visit, session, kind).await,
                Target::Complete(kind) => complete(visit, session, kind).await,
                Target::Step(kind, i, sub) => step_get(visit, session, kind, i, sub).await,
                _ => unreachable!("handled above"),
            }
        }
    }
}

async fn post_page(mut visit: Visit, req: Request) -> Response {
    let Form(form) = match Form::<Vec<(String, String)>>::from_request(req, &()).await {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let path = visit.frame.path.clone();
    let target = resolve(&path, session_kind(&visit));
    if let Target::Start(kind) = target {
        return start_post(visit, kind, &form).await;
    }
    if matches!(
        target,
        Target::Unknown | Target::KeepAlive | Target::TimedOut | Target::TimeoutWarning | Target::Complete(_)
    ) {
        return crate::not_found_page(&visit.frame);
    }
    let session = match active(&mut visit) {
        Ok(s) => s,
        Err(res) => return res,
    };
    if !csrf_ok(&session, engine::field(&form, "csrf_token")) {
        tracing::warn!(path = %visit.frame.path, "POST without a valid CSRF token");
        let f = flow(session.data.journey);
        let back = (f.resume(&session.data, today()), visit.frame.t("csrf-continue"));
        let res =
            message(&visit.frame, StatusCode::FORBIDDEN, "csrf-title", vec![visit.frame.t("csrf-body")], vec![back]);
        return visit.respond(session, res).await;
    }
    match target {
        Target::Check(kind) => check_post(visit, session, kind, &form).await,
        Target::Step(kind, i, sub) => step_post(visit, session, kind, i, sub, &form).await,
        _ => unreachable!("handled above"),
    }
}

/// The open journey (taken from the request: it is answered with the journey
/// as it then is), or the response to give instead: a fresh start, or the timeout page.
#[allow(clippy::result_large_err, reason = "the error is the response itself, returned once per request")]
fn active(visit: &mut Visit) -> Result<Journey, Response> {
    match std::mem::replace(&mut *visit.opened, Opened::None) {
        Opened::Active(s) => Ok(Box::new(s)),
        Opened::Expired => Err(timeout_page(visit)),
        Opened::None => Err(Redirect::to(&format!("{PREFIX}/start")).into_response()),
    }
}

fn timeout_page(visit: &Visit) -> Response {
    let f = &visit.frame;
    let mut res = message(
        f,
        StatusCode::OK,
        "timeout-title",
        vec![f.t("timeout-body")],
        vec![(format!("{PREFIX}/start"), f.t("timeout-restart"))],
    );
    if let Ok(v) = HeaderValue::from_str(&visit.state.sessions.clear_cookie()) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    no_store(&mut res);
    res
}

// --- Starting -------------------------------------------------------------------------------

/// `GET …/start`: a fresh journey, unless one is in progress: then the
/// applicant chooses to continue it or to start again (a second tab's Start
/// never silently empties the first).
async fn start_get(visit: Visit, kind: JourneyKind) -> Response {
    if let Opened::Active(s) = &*visit.opened
        && s.data.in_progress()
        && s.data.receipt.is_none()
    {
        let session = Box::new(s.clone());
        let f = flow(session.data.journey);
        let continue_href = f.resume(&session.data, today());
        let page = page(
            StatusCode::OK,
            "restart.html",
            &visit.frame,
            context! {
                csrf_token => session.csrf.clone(), action => flow(kind).start_path(), continue_href,
            },
        );
        return visit.respond(session, page).await;
    }
    begin(visit, kind).await
}

/// `POST …/start`: start again, on purpose.
async fn start_post(visit: Visit, kind: JourneyKind, form: &engine::Form) -> Response {
    match &*visit.opened {
        Opened::Active(s) if !csrf_ok(s, engine::field(form, "csrf_token")) => {
            let s = Box::new(s.clone());
            let res = message(
                &visit.frame,
                StatusCode::FORBIDDEN,
                "csrf-title",
                vec![visit.frame.t("csrf-body")],
                vec![(flow(s.data.journey).resume(&s.data, today()), visit.frame.t("csrf-continue"))],
            );
            visit.respond(s, res).await
        }
        _ => {
            if let Opened::Active(s) = &*visit.opened
                && let Some(id) = &s.spill
            {
                let _ = visit.state.citizen.delete_journey_state(id).await;
            }
            begin(visit, kind).await
        }
    }
}

async fn begin(visit: Visit, kind: JourneyKind) -> Response {
    let session = Box::new(visit.state.sessions.start(Answers::new(kind), now()));
    visit.state.tallies.add(Utc::now(), Measure::JourneysStarted, "");
    let f = flow(kind);
    let first = f.resume(&session.data, today());
    visit.respond(session, Redirect::to(&first)).await
}

async fn keep_alive(visit: Visit) -> Response {
    match &*visit.opened {
        Opened::Active(s) => {
            let s = Box::new(s.clone());
            visit.respond(s, StatusCode::NO_CONTENT).await
        }
        _ => StatusCode::NO_CONTENT.into_response(),
    }
}

/// The timeout warning's dialog, in the page's language: fetched by the
/// journey pages' script only when it is needed (no page carries it).
fn timeout_warning(visit: &Visit) -> Response {
    let mut res = page(StatusCode::OK, "timeout_warning.html", &visit.frame, context! {});
    no_store(&mut res);
    res
}

async fn timed_out(visit: Visit) -> Response {
    let res = timeout_page(&visit);
    visit.end(res).await
}

// --- Steps ------------------------------------------------------------------------------------

fn cx<'a>(visit: &'a Visit, session: &'a Session<Answers>, f: &'a Flow, i: usize, sub: Option<&'a str>) -> Cx<'a> {
    let mut frame = visit.frame.clone();
    frame.journey = true;
    Cx {
        state: &visit.state,
        frame,
        csrf: &session.csrf,
        today: today(),
        step_path: &f.steps[i].path,
        sub,
        client: visit.client,
        fragment: visit.fragment,
    }
}

async fn step_get(visit: Visit, session: Journey, kind: JourneyKind, i: usize, sub: Option<&str>) -> Response {
    let today = today();
    let f = flow(session.data.journey);
    // Another journey's page, or a step that does not apply: on with the applicant's own.
    if kind != session.data.journey || !f.applies(i, &session.data, today) {
        let to = f.resume(&session.data, today);
        return visit.respond(session, Redirect::to(&to)).await;
    }
    let mut cx = cx(&visit, &session, f, i, sub);
    cx.frame.back = Some(match sub {
        Some(_) => f.steps[i].path.clone(),
        None => f.back(i, &session.data, today),
    });
    let res = f.steps[i].question.show(&mut cx, &session.data);
    visit.respond_unchanged(session, res).await
}

async fn step_post(
    visit: Visit,
    mut session: Journey,
    kind: JourneyKind,
    i: usize,
    sub: Option<&str>,
    form: &engine::Form,
) -> Response {
    let today = today();
    let f = flow(session.data.journey);
    if kind != session.data.journey || !f.applies(i, &session.data, today) {
        let to = f.resume(&session.data, today);
        return visit.respond(session, Redirect::to(&to)).await;
    }
    // A question changes the answers only when it takes what was posted (see `Question::accept`).
    let mut answers = std::mem::take(&mut session.data);
    let outcome = {
        let mut cx = cx(&visit, &session, f, i, sub);
        cx.frame.back = Some(match sub {
            Some(_) => f.steps[i].path.clone(),
            None => f.back(i, &answers, today),
        });
        f.steps[i].question.accept(&mut cx, &mut answers, form)
    };
    match outcome {
        Outcome::Page(res) => {
            session.data = answers;
            visit.respond(session, res).await
        }
        Outcome::Shown(res) => {
            session.data = answers;
            visit.respond(session, res).await
        }
        Outcome::SubPage(sub) => {
            session.data = answers;
            let to = format!("{}/{sub}", f.steps[i].path);
            visit.respond(session, Redirect::to(&to)).await
        }
        Outcome::Exit(exit) => exit_page(visit, exit).await,
        Outcome::Saved => {
            f.prune(&mut answers, today);
            if let Some(exit) = (f.exit)(&answers, today) {
                return exit_page(visit, exit).await;
            }
            let to = f.onward(i, &answers, today);
            session.data = answers;
            visit.respond(session, Redirect::to(&to)).await
        }
        Outcome::Switch(to_kind) => {
            answers.journey = to_kind;
            let g = flow(to_kind);
            g.prune(&mut answers, today);
            if let Some(exit) = (g.exit)(&answers, today) {
                return exit_page(visit, exit).await;
            }
            // On from the same step in the other journey (it has it), or from its start.
            let to = match g.find(&f.steps[i].path) {
                Some((j, _)) => g.onward(j, &answers, today),
                None => g.resume(&answers, today),
            };
            session.data = answers;
            visit.respond(session, Redirect::to(&to)).await
        }
    }
}

/// The page for an exit; the journey's state goes with it.
async fn exit_page(visit: Visit, exit: Exit) -> Response {
    let f = &visit.frame;
    let res = match exit {
        Exit::NorthernIreland => {
            let links = vec![("https://www.eoni.org.uk/".to_owned(), f.t("ni-link"))];
            message(f, StatusCode::OK, "exit-ni-title", vec![f.t("exit-ni-body")], links)
        }
        Exit::NoFranchise => {
            message(f, StatusCode::OK, "exit-no-franchise-title", vec![f.t("exit-no-franchise-body")], vec![])
        }
        Exit::TooYoung { min_age, from } => {
            let age = min_age.to_string();
            let body = match from {
                Some(date) => f.t_args(
                    "exit-too-young-body",
                    &[("age", &age), ("date", &crate::render::long_date(date, f.language()))],
                ),
                None => f.t_args("exit-too-young-range-body", &[("age", &age)]),
            };
            message(f, StatusCode::OK, "exit-too-young-title", vec![body], vec![])
        }
    };
    visit.end(res).await
}

// --- Check your answers, declaration and submission -------------------------------------------

fn summary_rows(cx: &Cx, f: &Flow, a: &Answers, today: NaiveDate) -> Vec<Value> {
    let change = cx.t("check-change");
    f.steps
        .iter()
        .enumerate()
        .filter(|(i, _)| f.applies(*i, a, today))
        .flat_map(|(_, step)| {
            step.question.summary(cx, a).into_iter().map(|row| {
                context! {
                    key => context! { text => row.label.clone() },
                    value => context! { text => row.value },
                    actions => context! { items => vec![context! {
                        href => step.path.clone(), text => change.clone(), visuallyHiddenText => row.label.to_lowercase(),
                    }] },
                }
            })
        })
        .collect()
}

/// The declaration the applicant makes, by journey.
fn declaration_key(a: &Answers) -> &'static str {
    match a.journey {
        JourneyKind::Ordinary => "declaration-text",
        JourneyKind::Overseas => "declaration-overseas",
        JourneyKind::Forces => "declaration-forces",
        JourneyKind::Crown => "declaration-crown",
    }
}

/// What the person index says of the applicant, told before they send
/// ([`repeat_notice`]).
#[derive(Debug, Clone, Default)]
struct RepeatNotice {
    /// They applied on this day, at this address, and it is pending or approved.
    applied_on: Option<NaiveDate>,
    /// They are on a register at this address already.
    registered: bool,
}

/// The smallest time a repeat check takes, found or not: its timing must not tell.
const REPEAT_CHECK_FLOOR: std::time::Duration = std::time::Duration::from_millis(40);

/// Look the applicant up in the person index, once their application is
/// complete. Only what they typed is ever shown back: a match at their
/// address (names, date of birth and address; or NINO and address) tells
/// them they applied on a day or appear registered; a match by NINO alone is
/// not shown (it is for the ERO). Rate-limited per client (over the limit,
/// or with the index unavailable, nothing is said: the check only advises),
/// and never faster than [`REPEAT_CHECK_FLOOR`].
async fn repeat_notice(visit: &Visit, details: &ier_domain::ApplicantDetails) -> RepeatNotice {
    let started = tokio::time::Instant::now();
    let mut notice = RepeatNotice::default();
    if visit.state.limiter.check(Action::PersonLookup, visit.client, std::time::Instant::now()).is_ok() {
        match visit.state.citizen.find_applicant(details).await {
            Ok(found) => {
                use ier_storage::persons::{Scope, Source};
                let recent = Utc::now() - chrono::Duration::days(365);
                for f in found.iter().filter(|f| f.scope == Scope::AtAddress) {
                    let d = &f.found;
                    match d.source {
                        Source::Elector => notice.registered = true,
                        Source::Application => match d.determination {
                            Some(ier_domain::Determination::Approved) => notice.registered = true,
                            Some(ier_domain::Determination::Rejected) => {}
                            _ if d.added_at >= recent => {
                                let day = d.added_at.with_timezone(&chrono_tz::Europe::London).date_naive();
                                notice.applied_on = notice.applied_on.max(Some(day));
                            }
                            _ => {}
                        },
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "repeat check unavailable"),
        }
    }
    tokio::time::sleep_until(started + REPEAT_CHECK_FLOOR).await;
    notice
}

fn check_page(visit: &Visit, session: &Session<Answers>, status: StatusCode, error: Option<&str>) -> Response {
    check_page_with(visit, session, status, error, &RepeatNotice::default())
}

fn check_page_with(
    visit: &Visit,
    session: &Session<Answers>,
    status: StatusCode,
    error: Option<&str>,
    repeat: &RepeatNotice,
) -> Response {
    let today = today();
    let f = flow(session.data.journey);
    let mut frame = visit.frame.clone();
    frame.journey = true;
    frame.back = Some(f.back_from_check(&session.data, today));
    let mut cx = Cx {
        state: &visit.state,
        frame,
        csrf: &session.csrf,
        today,
        step_path: "",
        sub: None,
        client: visit.client,
        fragment: false,
    };
    let error = error.map(|key| cx.error(key, &[], "#declaration")).unwrap_or_default();
    let rows = summary_rows(&cx, f, &session.data, today);
    let repeat_applied = repeat
        .applied_on
        .map(|d| cx.frame.t_args("repeat-applied", &[("date", &ier_domain::dates::long_date(d, cx.frame.language()))]));
    let repeat_registered = repeat.registered && repeat.applied_on.is_none();
    cx.page(
        status,
        "check_answers.html",
        context! { rows, error, declaration_key => declaration_key(&session.data), repeat_applied, repeat_registered },
    )
}

async fn check_get(visit: Visit, mut session: Journey, kind: JourneyKind) -> Response {
    let today = today();
    let f = flow(session.data.journey);
    if session.data.receipt.is_some() {
        return visit.respond(session, Redirect::to(&f.complete_path())).await;
    }
    if kind != session.data.journey || f.first_unanswered(&session.data, today).is_some() {
        let to = f.resume(&session.data, today);
        return visit.respond(session, Redirect::to(&to)).await;
    }
    let repeat = match session.data.application(today) {
        Some((details, _)) => repeat_notice(&visit, &details).await,
        None => RepeatNotice::default(),
    };
    let page = check_page_with(&visit, &session, StatusCode::OK, None, &repeat);
    let told = repeat.applied_on.is_some() || repeat.registered;
    if session.data.reviewing && (session.data.repeat_told || !told) {
        return visit.respond_unchanged(session, page).await;
    }
    if told && !session.data.repeat_told && !session.data.demo {
        visit.state.tallies.add(Utc::now(), Measure::RepeatNotices, "");
    }
    session.data.repeat_told |= told;
    session.data.reviewing = true;
    visit.respond(session, page).await
}

async fn check_post(visit: Visit, session: Journey, kind: JourneyKind, form: &engine::Form) -> Response {
    let today = today();
    let f = flow(session.data.journey);
    if session.data.receipt.is_some() {
        return visit.respond(session, Redirect::to(&f.complete_path())).await;
    }
    let application = (kind == session.data.journey && f.first_unanswered(&session.data, today).is_none())
        .then(|| session.data.application(today))
        .flatten();
    let Some((details, gss_code)) = application else {
        let to = f.resume(&session.data, today);
        return visit.respond(session, Redirect::to(&to)).await;
    };
    if engine::field(form, "declaration") != "agreed" {
        let repeat = repeat_notice(&visit, &details).await;
        let page = check_page_with(&visit, &session, StatusCode::BAD_REQUEST, Some("error-declaration"), &repeat);
        return visit.respond(session, page).await;
    }
    if session.data.demo {
        return demo_sent(visit, session, details, gss_code, today).await;
    }
    if let Err(wait) = visit.state.limiter.check(Action::Submission, visit.client, std::time::Instant::now()) {
        ier_ops::metrics().submission("rate-limited").inc();
        let res = too_many(&visit.frame, wait);
        return visit.respond(session, res).await;
    }
    let kind = details.kind();
    let way_to_vote = details.part.way_to_vote();
    let ends = match kind {
        ApplicationKind::Overseas => Rules::current().overseas_registration_expires(today),
        k if k.is_service_voter() => {
            Rules::current().service_declaration_expires(k, today, session.data.date_of_birth())
        }
        _ => None,
    };
    let new = ier_storage::NewApplication {
        language: visit.language(),
        gss_code,
        details,
        journey: session.data.key.clone(),
        facts: ier_storage::performance::JourneyFacts {
            started_at: chrono::TimeZone::timestamp_opt(&Utc, session.created, 0).single(),
            repeat_told: session.data.repeat_told,
        },
    };
    // The reference is shown only once the application is durably stored.
    match visit.state.citizen.submit(new, Utc::now()).await {
        Ok(receipt) => {
            ier_ops::metrics().submission("stored").inc();
            tracing::info!(reference = %receipt.reference, ero = %receipt.ero_id, kind = %kind, "application submitted");
            let mut done = Box::new(visit.state.sessions.start(Answers::new(session.data.journey), now()));
            done.data.receipt =
                Some(Receipt { reference: receipt.reference, ero_id: receipt.ero_id, kind, way_to_vote, ends });
            if let Some(id) = &session.spill {
                let _ = visit.state.citizen.delete_journey_state(id).await;
            }
            visit.respond(done, Redirect::to(&f.complete_path())).await
        }
        Err(e) => {
            tracing::error!(error = %e, "submission failed");
            ier_ops::metrics().submission("failed").inc();
            ier_ops::metrics().error("storage").inc();
            // Nothing was stored: the summary is shown again with every answer, to send again.
            let mut page =
                check_page(&visit, &session, StatusCode::SERVICE_UNAVAILABLE, Some("error-submit-unavailable"));
            page.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
            visit.respond(session, page).await
        }
    }
}

/// A demo journey's "Send application": nothing stored, sent or counted; the
/// complete page with a reference that was made and never stored.
async fn demo_sent(
    visit: Visit,
    session: Journey,
    details: ier_domain::ApplicantDetails,
    gss_code: ier_domain::GssCode,
    today: NaiveDate,
) -> Response {
    let Some(council) = visit.state.locator.reference().council(&gss_code) else {
        let to = flow(session.data.journey).resume(&session.data, today);
        return visit.respond(session, Redirect::to(&to)).await;
    };
    let kind = details.kind();
    let ends = match kind {
        ApplicationKind::Overseas => Rules::current().overseas_registration_expires(today),
        k if k.is_service_voter() => {
            Rules::current().service_declaration_expires(k, today, session.data.date_of_birth())
        }
        _ => None,
    };
    let mut done = Box::new(visit.state.sessions.start(Answers::demo(session.data.journey), now()));
    done.data.receipt = Some(Receipt {
        reference: demo::reference(),
        ero_id: council.ero_id.clone(),
        kind,
        way_to_vote: details.part.way_to_vote(),
        ends,
    });
    let f = flow(session.data.journey);
    visit.respond(done, Redirect::to(&f.complete_path())).await
}

/// The complete page: the reference, where the application went and what
/// happens next. Shown for as long as the journey state lives (reload it, or
/// switch its language, and the reference is still there).
async fn complete(visit: Visit, session: Journey, kind: JourneyKind) -> Response {
    let Some(receipt) = session.data.receipt.clone() else {
        let to = flow(session.data.journey).resume(&session.data, today());
        return visit.respond(session, Redirect::to(&to)).await;
    };
    if kind != session.data.journey {
        let to = flow(session.data.journey).complete_path();
        return visit.respond(session, Redirect::to(&to)).await;
    }
    let frame = &visit.frame;
    let language = frame.language();
    // Held in memory (contact details re-read every minute): no database round trip on deadline day.
    let (ero_name, contact) = match visit.state.ero(&receipt.ero_id) {
        Some(ero) => crate::status::ero_words(&ero, language),
        None => (receipt.ero_id.to_string(), Vec::new()),
    };
    let vote_form = match &receipt.way_to_vote {
        WayToVote::InPerson => String::new(),
        WayToVote::ByPost(d) | WayToVote::ByProxy(d) => {
            let what = frame.t(if matches!(receipt.way_to_vote, WayToVote::ByProxy(_)) {
                "form-proxy"
            } else {
                "form-postal"
            });
            match d {
                ier_domain::FormDelivery::Post => frame.t_args("complete-form-post", &[("form", &what)]),
                ier_domain::FormDelivery::Email(email) => {
                    frame.t_args("complete-form-email", &[("form", &what), ("email", email)])
                }
            }
        }
    };
    let ends = receipt.ends.map(|d| {
        let key =
            if receipt.kind == ApplicationKind::Overseas { "complete-overseas-ends" } else { "complete-service-ends" };
        frame.t_args(key, &[("date", &crate::render::long_date(d, language))])
    });
    let res = page(
        StatusCode::OK,
        "complete.html",
        frame,
        context! {
            reference => receipt.reference.grouped(), ero_name, contact, postal_vote => vote_form, ends,
            contact_finder => ERO_CONTACT_FINDER, another_href => format!("{PREFIX}/start"),
            status_href => crate::status::PATH,
        },
    );
    visit.respond_unchanged(session, res).await
}
