//! A demo anyone can try (`/demo`): the real journeys, with the same pages,
//! rules and checks, in a journey marked as a demo ([`Answers::demo`]). Every
//! page of it carries a banner saying nothing entered is sent to anyone; its
//! "Send application" stores nothing, sends nothing and counts in no figure,
//! and ends on the complete page with a demo reference that was never stored.
//!
//! "Fill in a made-up person" answers every question of a journey for a
//! made-up applicant (the walks of `data/walks.json`, which the tests and the
//! load generator walk too) through the questions' own `accept`, as if each
//! page had been posted, and opens "Check your answers". It is a link, so it
//! works without JavaScript.

use axum::Form;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use ier_domain::{Postcode, ReferenceNumber};
use minijinja::context;
use std::sync::LazyLock;

use super::engine::Outcome;
use super::flows::flow;
use super::state::{Visit, now};
use super::{Answers, JourneyKind, Target, cx, resolve, today};
use crate::render::page;

/// The journeys' made-up applicants.
static WALKS: LazyLock<serde_json::Value> =
    LazyLock::new(|| serde_json::from_str(include_str!("../../data/walks.json")).expect("walks.json parses"));

fn kind_of(slug: &str) -> Option<JourneyKind> {
    JourneyKind::ALL.into_iter().find(|k| k.as_str() == slug)
}

/// A real application under way in this browser (a demo would replace it).
fn real_journey(visit: &Visit) -> Option<&crate::session::Session<Answers>> {
    match &*visit.opened {
        crate::session::Opened::Active(s) if s.data.in_progress() && !s.data.demo && s.data.receipt.is_none() => {
            Some(s)
        }
        _ => None,
    }
}

/// `GET /demo`: what the demo is, and a way into each journey.
pub async fn index(visit: Visit) -> Response {
    let journeys: Vec<minijinja::Value> = JourneyKind::ALL
        .into_iter()
        .map(|k| {
            context! {
                title => visit.frame.t(&format!("demo-journey-{}", k.as_str())),
                start => format!("/demo/{}/start", k.as_str()),
                fill => format!("/demo/{}/fill", k.as_str()),
            }
        })
        .collect();
    // A real application under way would be replaced by a demo one: say so, offer the way back,
    // and start the demo only from this page's own form (a link from anywhere must not end it).
    let real = real_journey(&visit);
    let continue_href = real.map(|s| flow(s.data.journey).resume(&s.data, today()));
    let csrf_token = real.map(|s| s.csrf.clone());
    page(StatusCode::OK, "demo.html", &visit.frame, context! { journeys, continue_href, csrf_token })
}

/// `GET /demo/{journey}/start`: a demo journey from its first question.
pub async fn start(visit: Visit, Path(slug): Path<String>) -> Response {
    if real_journey(&visit).is_some() {
        return Redirect::to("/demo").into_response();
    }
    begin(visit, &slug).await
}

/// `POST /demo/{journey}/start`: the same, ending the application under way (with its CSRF token).
pub async fn start_post(visit: Visit, Path(slug): Path<String>, Form(form): Form<Vec<(String, String)>>) -> Response {
    if !confirmed(&visit, &form) {
        return Redirect::to("/demo").into_response();
    }
    begin(visit, &slug).await
}

/// `POST /demo/{journey}/fill`: "Fill in a made-up person", ending the application under way.
pub async fn fill_post(visit: Visit, Path(slug): Path<String>, Form(form): Form<Vec<(String, String)>>) -> Response {
    if !confirmed(&visit, &form) {
        return Redirect::to("/demo").into_response();
    }
    filled(visit, &slug).await
}

/// The form came from the demo page of this browser's own journey.
fn confirmed(visit: &Visit, form: &[(String, String)]) -> bool {
    real_journey(visit).is_some_and(|s| crate::session::csrf_ok(s, super::engine::field(form, "csrf_token")))
}

async fn begin(visit: Visit, slug: &str) -> Response {
    let Some(kind) = kind_of(slug) else { return crate::not_found_page(&visit.frame) };
    let session = Box::new(visit.state.sessions.start(Answers::demo(kind), now()));
    let first = flow(kind).resume(&session.data, today());
    visit.respond(session, Redirect::to(&first)).await
}

/// `GET /demo/{journey}/fill`: a demo journey answered for a made-up person,
/// opened at "Check your answers".
pub async fn fill(visit: Visit, Path(slug): Path<String>) -> Response {
    if real_journey(&visit).is_some() {
        return Redirect::to("/demo").into_response();
    }
    filled(visit, &slug).await
}

async fn filled(visit: Visit, slug: &str) -> Response {
    let Some(kind) = kind_of(slug) else { return crate::not_found_page(&visit.frame) };
    let mut session = Box::new(visit.state.sessions.start(Answers::demo(kind), now()));
    let walk = WALKS["walks"].as_array().into_iter().flatten().find(|w| w["journey"] == kind.as_str());
    let today = today();
    if let Some(walk) = walk {
        let mut postcode: Option<Postcode> = None;
        for step in walk["steps"].as_array().into_iter().flatten() {
            let path = format!("{}/{}", super::PREFIX, step["page"].as_str().unwrap_or(""));
            let Target::Step(k, i, sub) = resolve(&path, Some(session.data.journey)) else { break };
            let form = form_of(&step["form"], &walk["persona"], &visit, postcode.as_ref());
            if let Some(p) = form.iter().find(|(k, _)| k == "postcode").and_then(|(_, v)| Postcode::parse(v).ok()) {
                postcode = Some(p);
            }
            let f = flow(k);
            let mut answers = std::mem::take(&mut session.data);
            let outcome = {
                let mut cx = cx(&visit, &session, f, i, sub);
                f.steps[i].question.accept(&mut cx, &mut answers, &form)
            };
            match outcome {
                Outcome::Saved | Outcome::SubPage(_) => f.prune(&mut answers, today),
                Outcome::Switch(to) => answers.journey = to,
                // Not taken (a rule changed under the data): stop, and resume where it stands.
                Outcome::Page(_) | Outcome::Shown(_) | Outcome::Exit(_) => {
                    session.data = answers;
                    break;
                }
            }
            session.data = answers;
        }
    }
    let f = flow(session.data.journey);
    let to = f.resume(&session.data, today);
    visit.respond(session, Redirect::to(&to)).await
}

/// A step's form from the walk: `{name}` from the persona, lists as repeated
/// fields, `@first` as the first address the gazetteer has at the postcode.
fn form_of(
    form: &serde_json::Value,
    persona: &serde_json::Value,
    visit: &Visit,
    postcode: Option<&Postcode>,
) -> Vec<(String, String)> {
    let fill = |v: &str| {
        let mut out = v.to_owned();
        for (k, p) in persona.as_object().into_iter().flatten() {
            out = out.replace(&format!("{{{k}}}"), p.as_str().unwrap_or(""));
        }
        out
    };
    let mut fields = Vec::new();
    for (name, value) in form.as_object().into_iter().flatten() {
        let values: Vec<&str> = match value {
            serde_json::Value::Array(a) => a.iter().filter_map(|v| v.as_str()).collect(),
            v => v.as_str().into_iter().collect(),
        };
        for v in values {
            let v = if v == "@first" {
                postcode
                    .and_then(|p| visit.state.gazetteer.addresses(p).first().map(|a| a.uprn.to_string()))
                    .unwrap_or_default()
            } else {
                fill(v)
            };
            fields.push((name.clone(), v));
        }
    }
    fields
}

/// A demo's reference number: made as a real one is, never stored.
pub fn reference() -> ReferenceNumber {
    ReferenceNumber::generate(&mut rand::rng())
}
