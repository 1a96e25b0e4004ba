//! "Check your application" (`/register-to-vote/status`): with the reference
//! number and the date of birth, where an application is: received; identity
//! checked (only what the applicant should do next, never DWP's detail); with
//! the council; decided (registered, or not, with the reasons in the
//! applicant's words). Nothing else about the applicant is shown.
//!
//! Guessing is made slow and says nothing: a wrong reference and a wrong date
//! of birth get the same page; every answer takes at least [`MIN_ANSWER`], so
//! its timing does not tell a stored reference from one that is not; and
//! lookups are limited per client (in memory, [`crate::limits`]) and per
//! reference number (a token bucket in the database, shared by every
//! instance: [`PER_REFERENCE_BURST`] at once, refilled at
//! [`PER_REFERENCE_PER_HOUR`] an hour). The form is posted, so the date of
//! birth never appears in an address or a log.

use std::sync::Arc;
use std::time::Duration;

use axum::Form;
use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use ier_domain::{DateOfBirth, Determination, Language, ReferenceNumber, VerificationOutcome};
use ier_storage::ApplicationStatus;
use minijinja::context;
use serde::Deserialize;

use crate::AppState;
use crate::i18n::Lang;
use crate::limits::{Action, Client};
use crate::render::{FieldError, Frame, long_date, page};

/// The page's address.
pub const PATH: &str = "/register-to-vote/status";
/// Lookups of one reference number at once, from every client together.
pub const PER_REFERENCE_BURST: u32 = 10;
/// And then this many an hour.
pub const PER_REFERENCE_PER_HOUR: f64 = 10.0;
/// Every answer to a lookup takes at least this long.
pub const MIN_ANSWER: Duration = Duration::from_millis(300);

#[derive(Debug, Default, Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    reference: String,
    #[serde(default, rename = "dob-day")]
    day: String,
    #[serde(default, rename = "dob-month")]
    month: String,
    #[serde(default, rename = "dob-year")]
    year: String,
}

fn form_page(frame: Frame, status: StatusCode, form: &StatusForm) -> Response {
    let by_field = |id: &str| frame.errors.iter().find(|e| e.href == format!("#{id}")).map(|e| e.text.clone());
    let (reference_error, dob_error) = (by_field("reference"), by_field("dob-day"));
    page(
        status,
        "status.html",
        &frame,
        context! {
            action => PATH, reference => form.reference, day => form.day, month => form.month, year => form.year,
            reference_error, dob_error,
            kept_days => ier_domain::retention::Retention::current().after_decision_days.get(),
        },
    )
}

/// `GET /register-to-vote/status`: the form.
pub async fn show(lang: Lang, OriginalUri(uri): OriginalUri) -> Response {
    form_page(Frame::new(lang.language, uri.path()), StatusCode::OK, &StatusForm::default())
}

/// `POST /register-to-vote/status`: the application's progress, or the form again.
pub async fn lookup(
    State(state): State<Arc<AppState>>,
    client: Client,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
    Form(form): Form<StatusForm>,
) -> Response {
    let started = tokio::time::Instant::now();
    let mut frame = Frame::new(lang.language, uri.path());
    // The fields first: a mistake in typing costs no guess.
    let reference = match form.reference.trim() {
        "" => Err("error-status-reference-missing"),
        r => ReferenceNumber::parse(r).map_err(|_| "error-status-reference-format"),
    };
    if let Err(key) = reference {
        let text = frame.t(key);
        frame.errors.push(FieldError { text, href: "#reference".into() });
    }
    let dob = DateOfBirth::parse(&form.day, &form.month, &form.year, Utc::now().date_naive());
    if let Err(e) = &dob {
        let (key, year) = crate::journey::dob_error_key(e);
        let text = frame.t_args(key, &[("year", &year)]);
        frame.errors.push(FieldError { text, href: "#dob-day".into() });
    }
    let (Ok(reference), Ok(dob)) = (reference, dob) else {
        return form_page(frame, StatusCode::BAD_REQUEST, &form);
    };
    if let Err(wait) = state.limiter.check(Action::StatusLookup, client.0, std::time::Instant::now()) {
        return crate::journey::too_many(&frame, wait);
    }
    let bucket = format!("status:{}", reference.as_str());
    let per_second = PER_REFERENCE_PER_HOUR / 3600.0;
    let found =
        match state.citizen.take_tokens(&bucket, Utc::now(), 1, per_second, f64::from(PER_REFERENCE_BURST)).await {
            Ok(0) => return crate::journey::too_many(&frame, Duration::from_secs_f64(1.0 / per_second)),
            Ok(_) => state.citizen.status(&reference, dob).await,
            Err(e) => Err(e),
        };
    // Found or not, the answer comes no sooner than this.
    tokio::time::sleep_until(started + MIN_ANSWER).await;
    match found {
        Ok(Some(status)) => progress_page(&state, frame, &status),
        Ok(None) => {
            let text = frame.t("error-status-not-found");
            frame.errors.push(FieldError { text, href: "#reference".into() });
            form_page(frame, StatusCode::NOT_FOUND, &form)
        }
        Err(e) => {
            tracing::error!(error = %e, "status lookup failed");
            ier_ops::metrics().error("storage").inc();
            crate::journey::unavailable(&frame)
        }
    }
}

/// An ERO's name in `language` and its contact details, a line each (none
/// when the reference data holds none: pages then link to GOV.UK's finder).
pub(crate) fn ero_words(ero: &ier_domain::Ero, language: Language) -> (String, Vec<String>) {
    let name = match (&ero.name_cy, language) {
        (Some(cy), Language::Cy) => cy.clone(),
        _ => ero.name.clone(),
    };
    let c = &ero.contact;
    (name, [&c.address, &c.phone, &c.email, &c.website].into_iter().flatten().cloned().collect())
}

/// One step of an application's progress, as shown.
#[derive(serde::Serialize)]
struct Step {
    title: String,
    state: &'static str,
    text: String,
}

fn progress_page(state: &AppState, frame: Frame, status: &ApplicationStatus) -> Response {
    let language = frame.language();
    let date = |at: chrono::DateTime<Utc>| long_date(at.date_naive(), language);
    let (ero_name, contact) = match state.ero(&status.ero_id) {
        Some(ero) => ero_words(&ero, language),
        None => (status.ero_id.to_string(), Vec::new()),
    };
    let t = |key: &str| frame.t(key);
    let mut steps = vec![Step {
        title: t("status-received"),
        state: "done",
        text: frame.t_args("status-received-on", &[("date", &date(status.submitted_at))]),
    }];
    steps.push(match status.verification {
        None => Step { title: t("status-identity"), state: "waiting", text: t("status-identity-waiting") },
        Some(VerificationOutcome::Match) => {
            Step { title: t("status-identity"), state: "done", text: t("status-identity-confirmed") }
        }
        Some(VerificationOutcome::NoMatch) => {
            Step { title: t("status-identity"), state: "action", text: t("status-identity-not-confirmed") }
        }
    });
    steps.push(match status.with_council_since {
        None => Step {
            title: t("status-council"),
            state: "waiting",
            text: frame.t_args("status-council-waiting", &[("ero", &ero_name)]),
        },
        Some(at) => Step {
            title: t("status-council"),
            state: "done",
            text: frame.t_args("status-council-since", &[("ero", &ero_name), ("date", &date(at))]),
        },
    });
    let reasons: Vec<&str> = status
        .determination
        .as_ref()
        .map(|(_, codes)| ier_domain::reasons::describe_all(codes, language))
        .unwrap_or_default();
    steps.push(match &status.determination {
        None => Step { title: t("status-decision"), state: "waiting", text: t("status-decision-waiting") },
        Some((d, _)) => match d.determination {
            Determination::Approved => Step {
                title: t("status-decision"),
                state: "done",
                text: match status.registered_from {
                    Some(from) => frame.t_args(
                        "status-registered-from",
                        &[("date", &date(d.at)), ("from", &long_date(from, language))],
                    ),
                    None => frame.t_args("status-registered", &[("date", &date(d.at))]),
                },
            },
            Determination::Rejected => Step {
                title: t("status-decision"),
                state: "refused",
                text: frame.t_args("status-not-registered", &[("date", &date(d.at))]),
            },
            Determination::EvidenceRequested => {
                Step { title: t("status-decision"), state: "action", text: t("status-evidence-requested") }
            }
        },
    });
    page(
        StatusCode::OK,
        "status_result.html",
        &frame,
        context! {
            reference => status.reference.grouped(), steps, reasons, ero_name, contact,
            notes => status.notes.as_ref().and_then(|n| n.in_language(language)).map(|text| {
                text.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>()
            }),
            contact_finder => crate::journey::ERO_CONTACT_FINDER, again_href => PATH,
        },
    )
}
