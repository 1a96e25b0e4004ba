//! The local data step: an officer uploads a local data file (council tax or
//! benefits: a CSV file with a header row, its columns named on the form) and
//! the office's applicants whom DWP did not match, and who are not decided yet,
//! are compared with it by `ier-match`, as a data matching run's local data
//! match compares a register's electors ([`ier_jobs::matching::match_local`]).
//!
//! The file is read with the EMS API's reader (leniently: a short row is
//! skipped, a date that does not exist is missing, each reported by line and
//! column, never by value), is kept only in memory while it is compared, and
//! is not stored. What is kept is each compared application's result, as a
//! `local-data-checked` event (the source, and the match's level or none: no
//! personal data), which the application's page shows as evidence beside the
//! DWP check. Comparing is CPU work: it runs on a blocking thread, one step at
//! a time per instance.

use std::sync::Arc;

use axum::extract::{Multipart, OriginalUri, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::Utc;
use ier_citizen_web::i18n::Lang;
use ier_domain::{EventKind, LocalDataSource, LocalMatch, VerificationOutcome};
use ier_ems_api::matching::{LocalColumns, read_local};
use ier_storage::matching::{Level, Person};
use ier_storage::{Listed, QueueFilter};
use minijinja::context;
use serde::Serialize;

use crate::PortalState;
use crate::auth::{audit, csrf_ok, frame_for, refused, signed};
use crate::render::{Frame, page, tr};

/// The largest file (as the EMS API takes local data).
pub const BODY_LIMIT: usize = 16 * 1024 * 1024 + 64 * 1024;

/// Applicants compared in one step, at most (the oldest first), and applications the model learns from.
const MAX_APPLICANTS: usize = 5_000;
/// How long the same step sent again counts as a repeat (not recorded twice).
const REPEAT_WINDOW: std::time::Duration = std::time::Duration::from_secs(120);
/// Applications read a page.
const PAGE: u32 = 500;

/// The form's column fields: (form field, the reader's parameter).
const COLUMNS: [(&str, &str); 9] = [
    ("given_name", "givenName"),
    ("middle_names", "middleNames"),
    ("surname", "surname"),
    ("full_name", "fullName"),
    ("date_of_birth", "dateOfBirth"),
    ("address", "address"),
    ("town", "town"),
    ("postcode", "postcode"),
    ("uprn", "uprn"),
];

/// What the form was sent with (kept for the page again when something is wrong).
#[derive(Debug, Default, Serialize)]
struct Sent {
    source: String,
    given_name: String,
    middle_names: String,
    surname: String,
    full_name: String,
    date_of_birth: String,
    address: String,
    town: String,
    postcode: String,
    uprn: String,
}

impl Sent {
    fn set(&mut self, field: &str, value: String) {
        let slot = match field {
            "source" => &mut self.source,
            "given_name" => &mut self.given_name,
            "middle_names" => &mut self.middle_names,
            "surname" => &mut self.surname,
            "full_name" => &mut self.full_name,
            "date_of_birth" => &mut self.date_of_birth,
            "address" => &mut self.address,
            "town" => &mut self.town,
            "postcode" => &mut self.postcode,
            "uprn" => &mut self.uprn,
            _ => return,
        };
        *slot = value;
    }

    fn columns(&self) -> LocalColumns {
        let named = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        LocalColumns {
            source: None,
            full_name: named(&self.full_name),
            given_name: named(&self.given_name),
            middle_names: named(&self.middle_names),
            surname: named(&self.surname),
            date_of_birth: named(&self.date_of_birth),
            nino: None,
            address: named(&self.address),
            town: named(&self.town),
            postcode: named(&self.postcode),
            uprn: named(&self.uprn),
        }
    }
}

#[derive(Serialize)]
struct Choice {
    value: &'static str,
    text: String,
    checked: bool,
}

fn form_page(frame: &Frame, sent: &Sent, waiting: usize, status: StatusCode) -> Response {
    let l = frame.language();
    let sources: Vec<Choice> = LocalDataSource::ALL
        .iter()
        .map(|s| Choice {
            value: s.as_str(),
            text: tr(l, &format!("source-{}", s.as_str()), &[]),
            checked: s.as_str() == sent.source,
        })
        .collect();
    page(status, "local_data.html", frame, context! { sent, sources, waiting })
}

/// The applicants the step compares: DWP did not match them and they are not decided
/// (none, or evidence asked for), oldest first.
async fn applicants(ero: &ier_storage::EroStore) -> ier_storage::Result<Vec<ier_domain::Application>> {
    let mut chosen = Vec::new();
    let unmatched = QueueFilter { identity: Some(Some(VerificationOutcome::NoMatch)), ..Default::default() };
    let mut after = None;
    loop {
        let page = ero.queue(&unmatched, after.as_ref(), PAGE).await?;
        let full = page.len() == PAGE as usize;
        for (listed, progress) in page {
            let reference = match &listed {
                Listed::Open(a) => a.reference,
                Listed::Erased { reference, .. } => *reference,
            };
            after = Some(reference);
            let open = progress.and_then(|p| p.determination).is_none_or(|d| !d.determination.is_final());
            if let (Listed::Open(a), true) = (listed, open)
                && chosen.len() < MAX_APPLICANTS
            {
                chosen.push(*a);
            }
        }
        if !full || chosen.len() >= MAX_APPLICANTS {
            break;
        }
    }
    Ok(chosen)
}

/// The office's applications the model learns from (matched or not), oldest first: read only
/// when a step goes ahead.
async fn training_sample(ero: &ier_storage::EroStore) -> ier_storage::Result<Vec<Person>> {
    let mut sample: Vec<Person> = Vec::new();
    let mut after = None;
    while sample.len() < MAX_APPLICANTS {
        let page = ero.queue(&QueueFilter::default(), after.as_ref(), PAGE).await?;
        let full = page.len() == PAGE as usize;
        for (listed, _) in page {
            match listed {
                Listed::Open(a) => {
                    after = Some(a.reference);
                    sample.push(Person::of_applicant(&a.details));
                }
                Listed::Erased { reference, .. } => after = Some(reference),
            }
        }
        if !full {
            break;
        }
    }
    Ok(sample)
}

/// The step's page: what it does, how many applicants wait for it, and the form.
pub async fn show(
    State(state): State<Arc<PortalState>>,
    lang: Lang,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
) -> Response {
    let plain = Frame::new(lang.language, uri.path());
    let signed = match signed(&state, &headers, &plain).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    let frame = frame_for(&state, &signed, lang, uri.path(), "local-data");
    if !signed.staff.role.may_decide() {
        return crate::render::message(StatusCode::FORBIDDEN, &frame, "role-title", &["role-body"]);
    }
    let ero = state.staff.ero_store(&signed);
    let waiting = match applicants(&ero).await {
        Ok(chosen) => chosen.len(),
        Err(e) => return crate::unavailable(&frame, e),
    };
    form_page(&frame, &Sent::default(), waiting, StatusCode::OK)
}

#[derive(Serialize)]
struct ResultRow {
    reference: String,
    name: String,
    result: String,
    found: bool,
}

/// A form that could not be read (cut short, not multipart).
fn unreadable(frame: &Frame) -> Response {
    crate::render::message(StatusCode::BAD_REQUEST, frame, "unreadable-title", &["unreadable-body"])
}

/// Compare the office's unmatched applicants with the file sent.
pub async fn compare(
    State(state): State<Arc<PortalState>>,
    lang: Lang,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    mut multipart: Multipart,
) -> Response {
    let plain = Frame::new(lang.language, uri.path());
    let signed = match signed(&state, &headers, &plain).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    let mut frame = frame_for(&state, &signed, lang, uri.path(), "local-data");
    let l = frame.language();
    let mut sent = Sent::default();
    let mut csrf = String::new();
    let mut file: Option<Vec<u8>> = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_owned();
                if name == "file" {
                    match field.bytes().await {
                        Ok(b) if !b.is_empty() => file = Some(b.to_vec()),
                        Ok(_) => {}
                        Err(_) => return unreadable(&frame),
                    }
                } else {
                    let text: String = field.text().await.unwrap_or_default().chars().take(200).collect();
                    if name == "csrf" {
                        csrf = text;
                    } else {
                        sent.set(&name, text);
                    }
                }
            }
            Ok(None) => break,
            Err(_) => return unreadable(&frame),
        }
    }
    if !csrf_ok(&signed, &csrf) {
        return refused(&frame);
    }
    if !signed.staff.role.may_decide() {
        return crate::render::message(StatusCode::FORBIDDEN, &frame, "role-title", &["role-body"]);
    }
    let ero = state.staff.ero_store(&signed);
    let chosen = match applicants(&ero).await {
        Ok(found) => found,
        Err(e) => return crate::unavailable(&frame, e),
    };
    let source = sent.source.parse::<LocalDataSource>().ok();
    if file.is_none() {
        frame.error("file", "file", "local-file-missing");
    }
    if source.is_none() {
        frame.error("source", "source", "local-source-missing");
    }
    let read = match (&file, frame.errors.is_empty()) {
        (Some(body), true) => match read_local(&sent.columns(), body) {
            Ok(read) => Some(read),
            Err(problem) => {
                match problem.errors.first() {
                    Some(p) => {
                        let field = COLUMNS.iter().find(|(_, param)| *param == p.field).map_or("surname", |(f, _)| *f);
                        let key = if p.message.contains("no column of this name") {
                            "local-column-not-found"
                        } else if p.field == "fullName" {
                            "local-names-both"
                        } else if p.field == "address" && p.message.contains("at most") {
                            "local-address-too-many"
                        } else if p.field == "address" {
                            "local-address-missing"
                        } else {
                            "local-names-missing"
                        };
                        frame.error(field, field, key);
                    }
                    None if problem.detail.contains("no rows") => frame.error("file", "file", "local-file-empty"),
                    None => frame.error("file", "file", "local-file-not-csv"),
                }
                None
            }
        },
        _ => None,
    };
    let (Some(read), Some(source)) = (read, source) else {
        return form_page(&frame, &sent, chosen.len(), StatusCode::BAD_REQUEST);
    };
    let Some(dwp) = state.dwp.clone() else {
        return crate::render::message(
            StatusCode::SERVICE_UNAVAILABLE,
            &frame,
            "local-unavailable-title",
            &["local-unavailable-body"],
        );
    };
    // One step at a time on this instance: comparing takes the CPU.
    let mut recent = state.local_data_turn.lock().await;
    // The same file and choices sent again at once (a double click, a refresh that re-posts):
    // the result is shown again, and not recorded twice.
    let fingerprint = {
        let mut d = ring::digest::Context::new(&ring::digest::SHA256);
        d.update(signed.staff.ero.as_str().as_bytes());
        d.update(format!("{sent:?}").as_bytes());
        d.update(file.as_deref().unwrap_or_default());
        d.finish().as_ref().to_vec()
    };
    let now_instant = std::time::Instant::now();
    recent.retain(|(_, at)| now_instant.duration_since(*at) < REPEAT_WINDOW);
    let repeat = recent.iter().any(|(f, _)| *f == fingerprint);
    let sample = match training_sample(&ero).await {
        Ok(s) => s,
        Err(e) => return crate::unavailable(&frame, e),
    };
    let people: Vec<Person> = chosen.iter().map(|a| Person::of_applicant(&a.details)).collect();
    let records = read.records;
    let outcomes = tokio::task::spawn_blocking(move || {
        let reference = dwp.get()?;
        Ok::<_, String>(ier_jobs::matching::match_local(&reference, &sample, &people, &records))
    })
    .await;
    let outcomes = match outcomes {
        Ok(Ok(o)) => o,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "the local data step could not reach DWP's reference");
            return crate::render::message(
                StatusCode::SERVICE_UNAVAILABLE,
                &frame,
                "local-unavailable-title",
                &["local-unavailable-body"],
            );
        }
        Err(_) => {
            tracing::error!("the local data step's comparison failed");
            return crate::render::message(
                StatusCode::SERVICE_UNAVAILABLE,
                &frame,
                "local-unavailable-title",
                &["local-unavailable-body"],
            );
        }
    };
    let now = Utc::now();
    let mut rows = Vec::with_capacity(chosen.len());
    let mut found = 0usize;
    for (a, outcome) in chosen.iter().zip(&outcomes) {
        let level = outcome.level.map(|lv| match lv {
            Level::Strong => LocalMatch::Strong,
            Level::Likely => LocalMatch::Likely,
        });
        let recorded = if repeat {
            Ok(())
        } else {
            ero.record(&a.reference, now, &EventKind::LocalDataChecked { source, level }).await
        };
        match recorded {
            Ok(()) => {}
            // Erased or gone meanwhile: nothing to show it on.
            Err(ier_storage::StorageError::NotFound) => continue,
            Err(e) => return crate::unavailable(&frame, e),
        }
        found += usize::from(level.is_some());
        rows.push(ResultRow {
            reference: a.reference.to_string(),
            name: format!("{} {}", a.details.name.given.as_str(), a.details.name.surname.as_str()),
            result: local_words(l, source, level),
            found: level.is_some(),
        });
    }
    if !repeat {
        recent.push((fingerprint, now_instant));
    }
    drop(recent);
    audit(&state, &signed, "POST", "/local-data", None, 200).await;
    tracing::info!(staff = %signed.staff.id, compared = rows.len(), found, "local data step");
    let lines: Vec<String> = read
        .problems
        .iter()
        .map(|p| match &p.column {
            Some(c) => tr(l, "local-problem-column", &[("line", &p.line.to_string()), ("column", c)]),
            None => tr(l, "local-problem-row", &[("line", &p.line.to_string())]),
        })
        .collect();
    let stored = (read.rows_skipped, read.values_skipped);
    page(
        StatusCode::OK,
        "local_data_done.html",
        &frame,
        context! {
            rows, found, compared => outcomes.len(),
            source => tr(l, &format!("source-{}", source.as_str()), &[]),
            rows_skipped => stored.0, values_skipped => stored.1, problems => lines,
        },
    )
}

/// A local data result in words: "Council tax: found (strong match)".
pub fn local_words(l: ier_domain::Language, source: LocalDataSource, level: Option<LocalMatch>) -> String {
    let source = tr(l, &format!("source-{}", source.as_str()), &[]);
    let result = match level {
        Some(m) => tr(l, &format!("local-found-{}", m.as_str()), &[]),
        None => tr(l, "local-not-found", &[]),
    };
    tr(l, "local-result", &[("source", &source), ("result", &result)])
}
