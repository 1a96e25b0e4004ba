//! Working the queue: the office's applications oldest first with filters, one
//! application in full, determining it, asking for evidence, and the evidence sent.
//!
//! Every read goes through the signed-in member's [`ier_storage::EroStore`]: an
//! application of another ERO is "not found", exactly like one that does not
//! exist. Determinations and requests for evidence go through the same state
//! machine as the EMS API's (the EMS must have the application first; a final
//! decision stands), and queue the same messages to the applicant.

use std::sync::Arc;

use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{NaiveDate, TimeZone, Utc};
use ier_citizen_web::i18n::Lang;
use ier_domain::evidence::DocumentKind;
use ier_domain::{
    Application, ApplicationKind, BirthDetails, Determination, EventKind, Language, Nationality, OrReason, ReasonCode,
    ReferenceNumber, Stage, VerificationOutcome,
};
use ier_storage::evidence::FileId;
use ier_storage::staff::Signed;
use ier_storage::{Listed, Progress, QueueFilter, StorageError};
use minijinja::context;
use serde::{Deserialize, Serialize};

use crate::PortalState;
use crate::auth::{audit, csrf_ok, frame_for, refused, signed};
use crate::render::{Frame, page, tr, when};

/// The ask-for-evidence form's value for "or an attestation".
const ATTESTATION: &str = "attestation";

/// Applications a page of the queue shows.
pub const PAGE: u32 = 50;
/// With the duplicate filter, the most applications one page looks through.
const DUPLICATE_SCAN: u32 = 2_000;

#[derive(Debug, Default, Deserialize)]
pub struct QueueQuery {
    #[serde(default)]
    stage: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    identity: String,
    #[serde(default)]
    decision: String,
    /// `likely`: only applications the person index marks as a likely duplicate (applied
    /// before, or registered already).
    #[serde(default)]
    duplicate: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    after: String,
    /// `password`: just chose their own password (a notice says so).
    #[serde(default)]
    done: String,
}

/// A day typed as 4/12/2026 or 2026-12-04.
fn parse_day(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d").or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y")).ok()
}

/// Midnight at the start of a day in Europe/London, in UTC.
fn start_of(day: NaiveDate) -> chrono::DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).expect("midnight exists");
    chrono_tz::Europe::London
        .from_local_datetime(&midnight)
        .earliest()
        .map_or_else(|| midnight.and_utc(), |t| t.with_timezone(&Utc))
}

#[derive(Serialize)]
struct Item {
    value: &'static str,
    text: String,
    selected: bool,
}

fn select(lang: Language, chosen: &str, any: &str, values: &[&'static str], prefix: &str) -> Vec<Item> {
    let mut items = vec![Item { value: "", text: tr(lang, any, &[]), selected: chosen.is_empty() }];
    items.extend(values.iter().map(|v| Item {
        value: v,
        text: tr(lang, &format!("{prefix}{v}"), &[]),
        selected: *v == chosen,
    }));
    items
}

#[derive(Serialize)]
struct Note {
    text: String,
    colour: &'static str,
}

fn notes(lang: Language, progress: &Progress) -> Vec<Note> {
    let mut out = Vec::new();
    if let Some(r) = &progress.repeat {
        if r.registered {
            out.push(Note { text: tr(lang, "note-registered", &[]), colour: "yellow" });
        } else if r.of.is_some() {
            out.push(Note { text: tr(lang, "note-repeat", &[]), colour: "yellow" });
        }
    }
    if let Some(d) = &progress.determination {
        let colour = match d.determination {
            Determination::Approved => "green",
            Determination::Rejected => "red",
            Determination::EvidenceRequested => "blue",
        };
        out.push(Note { text: tr(lang, &format!("decision-{}", d.determination.as_str()), &[]), colour });
    }
    out
}

fn identity_words(lang: Language, progress: Option<&Progress>) -> String {
    match progress.and_then(|p| p.verification.as_ref()).map(|v| v.outcome) {
        Some(VerificationOutcome::Match) => tr(lang, "identity-match", &[]),
        Some(VerificationOutcome::NoMatch) => tr(lang, "identity-no-match", &[]),
        None => tr(lang, "identity-not-checked", &[]),
    }
}

const STAGES: [&str; 4] = ["submitted", "verified", "with-ero", "determined"];
const KINDS: [&str; 5] = ["ordinary", "overseas", "forces", "crown", "british-council"];
const IDENTITIES: [&str; 3] = ["match", "no-match", "not-checked"];
const DECISIONS: [&str; 3] = ["evidence-requested", "approved", "rejected"];

/// The queue.
pub async fn list(
    State(state): State<Arc<PortalState>>,
    lang: Lang,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<QueueQuery>,
) -> Response {
    let plain = Frame::new(lang.language, uri.path());
    let signed = match signed(&state, &headers, &plain).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    let mut frame = frame_for(&state, &signed, lang, uri.path(), "applications");
    frame.wide = true;
    if q.done == "password" {
        frame.notice = Some(frame.t("notice-password"));
    }
    let l = lang.language;
    // Unknown choices are ignored (a select cannot send them; a hand-made URL can).
    let mut filter = QueueFilter {
        stage: q.stage.parse::<Stage>().ok().filter(|_| STAGES.contains(&q.stage.as_str())),
        kind: q.kind.parse::<ApplicationKind>().ok(),
        identity: match q.identity.as_str() {
            "match" => Some(Some(VerificationOutcome::Match)),
            "no-match" => Some(Some(VerificationOutcome::NoMatch)),
            "not-checked" => Some(None),
            _ => None,
        },
        determination: q.decision.parse::<Determination>().ok(),
        ..Default::default()
    };
    if !q.from.trim().is_empty() {
        match parse_day(&q.from) {
            Some(d) => filter.from = Some(start_of(d)),
            None => frame.error("from", "from", "filter-date-wrong"),
        }
    }
    if !q.to.trim().is_empty() {
        match parse_day(&q.to) {
            Some(d) => filter.to = d.succ_opt().map(start_of),
            None => frame.error("to", "to", "filter-date-wrong"),
        }
    }
    let after = ReferenceNumber::parse(&q.after).ok();
    let duplicates_only = q.duplicate == "likely";
    let mut page_rows = Vec::new();
    // Where the next page starts: the last application looked at (with the duplicate filter,
    // looked at and passed over counts too).
    let mut last_seen: Option<ReferenceNumber> = None;
    let mut more = false;
    if frame.errors.is_empty() {
        let ero = state.staff.ero_store(&signed);
        let mut cursor = after;
        let mut scanned = 0u32;
        // The duplicate mark comes from the person index as each page is read: read on until a
        // page is full, or a bounded number were looked at (the next page goes on from there).
        loop {
            let batch = match ero.queue(&filter, cursor.as_ref(), PAGE).await {
                Ok(rows) => rows,
                Err(e) => return crate::unavailable(&frame, e),
            };
            let full = batch.len() == PAGE as usize;
            scanned += batch.len() as u32;
            for (listed, progress) in batch {
                let reference = listed.reference();
                let keep = !duplicates_only
                    || progress
                        .as_ref()
                        .and_then(|p| p.repeat.as_ref())
                        .is_some_and(|r| r.registered || r.of.is_some());
                if page_rows.len() == PAGE as usize {
                    more = true;
                    break;
                }
                last_seen = Some(reference);
                if keep {
                    page_rows.push((listed, progress));
                }
            }
            cursor = last_seen;
            if more || !full {
                break;
            }
            if page_rows.len() == PAGE as usize || scanned >= DUPLICATE_SCAN {
                more = true;
                break;
            }
        }
    }
    let next = more.then(|| {
        let last = last_seen.map(|r| r.to_string()).unwrap_or_default();
        let keep: Vec<String> = [
            ("stage", &q.stage),
            ("kind", &q.kind),
            ("identity", &q.identity),
            ("decision", &q.decision),
            ("duplicate", &q.duplicate),
            ("from", &q.from),
            ("to", &q.to),
        ]
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", url_encode(v)))
        .collect();
        let mut href = format!("/applications?after={last}");
        for k in keep {
            href.push('&');
            href.push_str(&k);
        }
        href
    });
    #[derive(Serialize)]
    struct Row {
        reference: String,
        received: String,
        kind: String,
        identity: String,
        stage: String,
        notes: Vec<Note>,
        erased: bool,
    }
    let rows: Vec<Row> = page_rows
        .into_iter()
        .map(|(listed, progress)| match listed {
            Listed::Open(a) => Row {
                reference: a.reference.to_string(),
                received: when(a.submitted_at, l),
                kind: tr(l, &format!("kind-{}", a.kind.as_str()), &[]),
                identity: identity_words(l, progress.as_ref()),
                stage: tr(l, &format!("stage-{}", a.stage.as_str()), &[]),
                notes: progress.as_ref().map(|p| notes(l, p)).unwrap_or_default(),
                erased: false,
            },
            Listed::Erased { reference, at } => Row {
                reference: reference.to_string(),
                received: String::new(),
                kind: String::new(),
                identity: String::new(),
                stage: String::new(),
                notes: vec![Note { text: tr(l, "note-erased", &[("date", &when(at, l))]), colour: "grey" }],
                erased: true,
            },
        })
        .collect();
    let selects = context! {
        stage => select(l, &q.stage, "filter-any", &STAGES, "stage-"),
        kind => select(l, &q.kind, "filter-any", &KINDS, "kind-"),
        identity => select(l, &q.identity, "filter-any", &IDENTITIES, "identity-"),
        decision => select(l, &q.decision, "filter-any", &DECISIONS, "decision-"),
        duplicate => select(l, &q.duplicate, "filter-any", &["likely"], "duplicate-"),
    };
    let status = if frame.errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    page(
        status,
        "queue.html",
        &frame,
        context! { rows, selects, next, from => q.from, to => q.to, staff => frame.staff.clone() },
    )
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[derive(Serialize)]
struct SummaryRow {
    key: Text,
    value: Text,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

fn row(key: String, value: String) -> SummaryRow {
    SummaryRow { key: Text { text: key }, value: Text { text: value } }
}

/// The applicant's details, as staff read them.
fn applicant_rows(l: Language, a: &Application, today: NaiveDate) -> Vec<SummaryRow> {
    let d = &a.details;
    let t = |k: &str| tr(l, k, &[]);
    let name = |n: &ier_domain::PersonName| {
        let mut s = n.given.as_str().to_owned();
        if let Some(m) = &n.middle {
            s.push(' ');
            s.push_str(m.as_str());
        }
        s.push(' ');
        s.push_str(n.surname.as_str());
        s
    };
    let mut rows = vec![row(t("field-name"), name(&d.name))];
    if let Some(p) = &d.previous_name {
        rows.push(row(t("field-previous-name"), name(p)));
    }
    rows.push(row(
        t("field-dob"),
        match &d.birth {
            BirthDetails::Date(dob) => tr(
                l,
                "dob-with-age",
                &[("date", &ier_domain::dates::long_date(dob.date(), l)), ("age", &dob.age_on(today).to_string())],
            ),
            BirthDetails::NotGiven { reason, range } => {
                tr(l, "dob-not-given", &[("reason", reason), ("range", &t(&format!("range-{}", range.as_str())))])
            }
        },
    ));
    rows.push(row(
        t("field-nationality"),
        match &d.nationality {
            Nationality::Stated { british, irish, others } => {
                let mut parts = Vec::new();
                if *british {
                    parts.push(t("nationality-british"));
                }
                if *irish {
                    parts.push(t("nationality-irish"));
                }
                for c in others {
                    let country = c.country();
                    parts.push(if l == Language::Cy { country.name_cy.clone() } else { country.name.clone() });
                }
                parts.join(", ")
            }
            Nationality::NotProvided { reason } => tr(l, "not-given-because", &[("reason", reason)]),
        },
    ));
    rows.push(row(
        t("field-nino"),
        match &d.nino {
            OrReason::Given(n) => n.to_string(),
            OrReason::NotGiven { reason } => tr(l, "not-given-because", &[("reason", reason)]),
        },
    ));
    let mut address = d.address.one_line();
    if let Some(u) = d.address.uprn {
        address.push_str(&format!(" (UPRN {u})"));
    }
    rows.push(row(t("field-address"), address));
    if let Some(p) = &d.previous_address {
        rows.push(row(t("field-previous-address"), p.one_line()));
    }
    let mut contact = Vec::new();
    if let Some(e) = &d.contact.email {
        contact.push(e.clone());
    }
    if let Some(p) = &d.contact.phone {
        contact.push(p.clone());
    }
    if d.contact.post {
        contact.push(t("contact-post"));
    }
    rows.push(row(t("field-contact"), if contact.is_empty() { t("none") } else { contact.join(", ") }));
    rows.push(row(t("field-open-register"), t(if d.open_register { "yes" } else { "no" })));
    // The kind's own answers, by name: what the EMS receives as its part.
    if let Ok(serde_json::Value::Object(part)) = serde_json::to_value(&d.part) {
        for (k, v) in part {
            if k == "kind" {
                continue;
            }
            // Tagged by the kind itself (`{"ordinary": {...}}`): its answers, under one plain heading.
            let name = if k == a.kind.as_str() { t("field-kind-answers") } else { answer_word(l, &k) };
            rows.push(row(tr(l, "field-part", &[("name", &name)]), plain_value(l, &v)));
        }
    }
    rows
}

/// A field's name or a code among an applicant's answers (`way_to_vote`, `in-person`) in the
/// reader's language (`answer-…` messages), or else in plain words.
fn answer_word(l: Language, code: &str) -> String {
    let key = format!("answer-{}", code.replace('_', "-"));
    let words = tr(l, &key, &[]);
    if words == key { code.replace(['_', '-'], " ") } else { words }
}

/// A JSON value of an applicant's answers, in plain text: field names and codes in the
/// reader's language, what the applicant typed as they typed it.
fn plain_value(l: Language, v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "—".to_owned(),
        serde_json::Value::Bool(b) => tr(l, if *b { "yes" } else { "no" }, &[]),
        // A code is lower case with hyphens; anything else was typed by the applicant.
        serde_json::Value::String(s)
            if !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') =>
        {
            answer_word(l, s)
        }
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::Array(a) => a.iter().map(|x| plain_value(l, x)).collect::<Vec<_>>().join(", "),
        serde_json::Value::Object(o) => o
            .iter()
            .map(|(k, v)| format!("{}: {}", answer_word(l, k), plain_value(l, v)))
            .collect::<Vec<_>>()
            .join("; "),
    }
}

fn event_words(l: Language, kind: &EventKind) -> String {
    match kind {
        EventKind::Verified { outcome, .. } => tr(
            l,
            "event-verified",
            &[(
                "outcome",
                &tr(
                    l,
                    if *outcome == VerificationOutcome::Match { "identity-match" } else { "identity-no-match" },
                    &[],
                ),
            )],
        ),
        EventKind::ConfirmedByEms { success: false } => tr(l, "event-receipt-failed", &[]),
        EventKind::Determined { determination, reasons, registered_from } => {
            let mut s = match registered_from {
                Some(from) => tr(l, "decision-approved-from", &[("date", &ier_domain::dates::long_date(*from, l))]),
                None => tr(l, &format!("decision-{}", determination.as_str()), &[]),
            };
            let words = ier_domain::reasons::describe_all(reasons, l);
            if !words.is_empty() {
                s.push_str(": ");
                s.push_str(&words.join(" "));
            }
            s
        }
        EventKind::RegisterChecked { result } => {
            tr(l, "event-register-checked", &[("result", &tr(l, &format!("check-{}", result.as_str()), &[]))])
        }
        EventKind::LocalDataChecked { source, level } => {
            tr(l, "event-local-data-checked", &[("result", &crate::local_data::local_words(l, *source, *level))])
        }
        other => tr(l, &format!("event-{}", other.name()), &[]),
    }
}

/// Look up the application named in the path, for the signed-in member's ERO.
async fn load(
    state: &PortalState,
    signed: &Signed,
    frame: &Frame,
    reference: &str,
) -> Result<(Application, Progress), Response> {
    let not_found = || {
        crate::render::message(
            StatusCode::NOT_FOUND,
            frame,
            "application-not-found-title",
            &["application-not-found-body"],
        )
    };
    let Ok(reference) = ReferenceNumber::parse(reference) else { return Err(not_found()) };
    match state.staff.ero_store(signed).application_with_progress(&reference).await {
        Ok(Some(found)) => Ok(found),
        Ok(None) => Err(not_found()),
        Err(StorageError::Erased) => Err(crate::render::message(
            StatusCode::GONE,
            frame,
            "application-erased-title",
            &["application-erased-body"],
        )),
        Err(e) => Err(crate::unavailable(frame, e)),
    }
}

/// One application in full.
pub async fn show(
    State(state): State<Arc<PortalState>>,
    lang: Lang,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    Path(reference): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Response {
    let plain = Frame::new(lang.language, uri.path());
    let signed = match signed(&state, &headers, &plain).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    let mut frame = frame_for(&state, &signed, lang, uri.path(), "applications");
    frame.back = Some("/applications".to_owned());
    frame.notice = q.done.as_deref().and_then(|d| match d {
        "determined" => Some(frame.t("notice-determined")),
        "asked" => Some(frame.t("notice-asked")),
        _ => None,
    });
    let (application, progress) = match load(&state, &signed, &frame, &reference).await {
        Ok(found) => found,
        Err(res) => return res,
    };
    audit(&state, &signed, "GET", "/applications/{reference}", Some(application.reference.as_str()), 200).await;
    render_application(&state, &signed, frame, &application, &progress, &DecisionForm::default(), StatusCode::OK).await
}

#[derive(Debug, Default, Deserialize)]
pub struct ShowQuery {
    #[serde(default)]
    done: Option<String>,
}

async fn render_application(
    state: &PortalState,
    signed: &Signed,
    frame: Frame,
    a: &Application,
    p: &Progress,
    sent: &DecisionForm,
    status: StatusCode,
) -> Response {
    let l = frame.language();
    let t = |k: &str| tr(l, k, &[]);
    let ero = state.staff.ero_store(signed);
    let (events, messages, requests, files, councils, attestations, decision_notes) = match tokio::try_join!(
        ero.events(&a.reference),
        ero.messages(&a.reference),
        ero.evidence_requests(&a.reference),
        ero.evidence_files(&a.reference),
        ero.councils(),
        ero.attestations(&a.reference),
        ero.determination_notes(&a.reference)
    ) {
        Ok(all) => all,
        Err(e) => return crate::unavailable(&frame, e),
    };
    let today = Utc::now().date_naive();
    let applicant = applicant_rows(l, a, today);
    let mut application = vec![
        row(t("field-reference"), a.reference.grouped()),
        row(t("field-kind"), t(&format!("kind-{}", a.kind.as_str()))),
        row(t("field-received"), when(a.submitted_at, l)),
        row(t("field-language"), t(&format!("language-{}", a.language.as_str()))),
        row(
            t("field-council"),
            match councils.iter().find(|c| c.gss_code == a.gss_code) {
                Some(c) if l == Language::Cy => format!("{} ({})", c.name_cy.as_ref().unwrap_or(&c.name), c.gss_code),
                Some(c) => format!("{} ({})", c.name, c.gss_code),
                None => a.gss_code.to_string(),
            },
        ),
        row(t("field-stage"), t(&format!("stage-{}", a.stage.as_str()))),
        row(
            t("field-ems"),
            match p.receipt {
                Some(r) if r.success => tr(l, "ems-received", &[("date", &when(r.at, l))]),
                Some(r) => tr(l, "ems-failed", &[("date", &when(r.at, l)), ("count", &r.failures.to_string())]),
                None => t("ems-not-yet"),
            },
        ),
    ];
    // A rejection's notes for the applicant, as written in each language.
    if let Some(written) = &decision_notes {
        for (lang, text) in [("en", &written.en), ("cy", &written.cy)] {
            if let Some(text) = text {
                application.push(row(t(&format!("field-notes-{lang}")), text.clone()));
            }
        }
    }
    if let Some(r) = &p.repeat {
        let text = match (r.registered, r.of) {
            (true, _) => t("repeat-registered"),
            (false, Some(of)) => tr(l, "repeat-of", &[("reference", of.as_str())]),
            (false, None) => t("none"),
        };
        application.push(row(t("field-repeat"), text));
    }
    let mut identity = Vec::new();
    match &p.verification {
        Some(v) => {
            identity.push(row(t("field-identity"), identity_words(l, Some(p))));
            identity.push(row(t("field-identity-at"), when(v.at, l)));
            for line in &v.explanation {
                if let Some((k, rest)) = crate::words::evidence_line(line, l).split_once(": ") {
                    if k == tr(l, "result-label", &[]) {
                        continue;
                    }
                    identity.push(row(k.to_owned(), rest.to_owned()));
                }
            }
        }
        None => identity.push(row(t("field-identity"), t("identity-not-checked"))),
    }
    // The local data step's latest result, as further evidence of who they are.
    if let Some((at, source, level)) = events.iter().rev().find_map(|e| match e.kind {
        EventKind::LocalDataChecked { source, level } => Some((e.at, source, level)),
        _ => None,
    }) {
        let words = crate::local_data::local_words(l, source, level);
        identity
            .push(row(t("field-local-data"), tr(l, "local-data-at", &[("result", &words), ("date", &when(at, l))])));
    }
    let register = p.register_check.as_ref().map(|c| {
        let mut rows = vec![row(
            t("field-check"),
            match c.result {
                Some(r) => t(&format!("check-{}", r.as_str())),
                None => t("check-waiting"),
            },
        )];
        if let Some(n) = c.match_count {
            rows.push(row(t("field-check-count"), n.to_string()));
        }
        rows
    });
    let now = Utc::now();
    let mut request_lines: Vec<String> = requests
        .iter()
        .map(|r| {
            let mut docs: Vec<&str> = r.documents.iter().map(|d| d.describe(l)).collect();
            let attestation_words = t("ask-attestation");
            if r.attestation {
                docs.push(&attestation_words);
            }
            let state_words = match r.used_at {
                Some(at) => tr(l, "request-used", &[("date", &when(at, l))]),
                None if r.expires_at <= now => t("request-expired"),
                None => tr(l, "request-open", &[("date", &when(r.expires_at, l))]),
            };
            tr(
                l,
                "request-line",
                &[("date", &when(r.created_at, l)), ("documents", &docs.join(", ")), ("state", &state_words)],
            )
        })
        .collect();
    for at in &attestations {
        let who = format!("{} {} ({})", at.attestor.given, at.attestor.surname, at.attestor.email);
        let state_words = match (at.row.confirmed_at, at.row.on_register) {
            (Some(on), Some(true)) => tr(l, "attestation-confirmed-registered", &[("date", &when(on, l))]),
            (Some(on), _) => tr(l, "attestation-confirmed-unknown", &[("date", &when(on, l))]),
            (None, _) if at.row.expires_at <= now => t("request-expired"),
            (None, _) => tr(l, "attestation-waiting", &[("date", &when(at.row.expires_at, l))]),
        };
        let line =
            tr(l, "attestation-line", &[("who", &who), ("date", &when(at.row.created_at, l)), ("state", &state_words)]);
        request_lines.push(line);
    }
    #[derive(Serialize)]
    struct FileRow {
        document: String,
        received: String,
        kind: &'static str,
        size: String,
        href: String,
    }
    let file_rows: Vec<FileRow> = files
        .iter()
        .map(|f| FileRow {
            document: f.document.describe(l).to_owned(),
            received: when(f.stored_at, l),
            kind: if f.content_type == "application/pdf" {
                "PDF"
            } else if f.content_type == "image/png" {
                "PNG"
            } else {
                "JPEG"
            },
            size: format!("{} KB", f.size.div_ceil(1024)),
            href: format!("/applications/{}/evidence/{}", a.reference, f.id.as_str()),
        })
        .collect();
    #[derive(Serialize)]
    struct EventRow {
        at: String,
        text: String,
    }
    let mut history: Vec<(chrono::DateTime<Utc>, String)> =
        events.iter().map(|e| (e.at, event_words(l, &e.kind))).collect();
    for m in &messages {
        if let ier_storage::JobKind::Notify { message, .. } = &m.kind {
            let what = t(&format!("message-{}", message.as_str()));
            let text = match (m.state, m.finished_at) {
                (ier_storage::JobState::Done, _) => tr(l, "message-sent", &[("message", &what)]),
                (ier_storage::JobState::Failed | ier_storage::JobState::Discarded, _) => {
                    tr(l, "message-failed", &[("message", &what)])
                }
                _ => tr(l, "message-waiting", &[("message", &what)]),
            };
            history.push((m.finished_at.unwrap_or(m.created_at), text));
        }
    }
    history.sort_by_key(|(at, _)| *at);
    let events: Vec<EventRow> = history.into_iter().map(|(at, text)| EventRow { at: when(at, l), text }).collect();
    let decided = p.determination.is_some_and(|d| d.determination.is_final());
    let received = p.receipt.is_some_and(|r| r.success);
    let asked = p.determination.is_some_and(|d| d.determination == Determination::EvidenceRequested)
        && requests.iter().any(|r| r.used_at.is_none() && r.expires_at > now);
    #[derive(Serialize)]
    struct Choice {
        value: String,
        text: String,
        checked: bool,
    }
    let reasons: Vec<Choice> = ier_domain::reasons::codes()
        .map(|c| Choice {
            value: c.to_owned(),
            text: ier_domain::reasons::describe(&ReasonCode::parse(c).expect("listed codes parse"), l).to_owned(),
            checked: sent.reason.iter().any(|r| r == c),
        })
        .collect();
    let mut documents: Vec<Choice> = DocumentKind::all()
        .map(|d| Choice { value: d.code().to_owned(), text: d.describe(l).to_owned(), checked: false })
        .collect();
    documents.push(Choice { value: ATTESTATION.to_owned(), text: t("ask-attestation"), checked: false });
    page(
        status,
        "application.html",
        &frame,
        context! {
            reference => a.reference.to_string(),
            kind => t(&format!("kind-{}", a.kind.as_str())),
            notes => notes(l, p),
            applicant, application, identity, register,
            requests => request_lines, files => file_rows, events,
            may_decide => signed.staff.role.may_decide(),
            decidable => !decided, received, may_ask => !asked,
            reasons, documents,
            decision => sent.decision.as_str(),
            notes_en => sent.notes_en.as_str(), notes_cy => sent.notes_cy.as_str(),
            from_day => sent.from_day.as_str(), from_month => sent.from_month.as_str(), from_year => sent.from_year.as_str(),
        },
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    decision: String,
    /// Checked reasons (repeated fields).
    #[serde(default)]
    reason: Vec<String>,
    /// An approval's first day, as typed (all blank: the day of the decision).
    #[serde(default, rename = "from-day")]
    from_day: String,
    #[serde(default, rename = "from-month")]
    from_month: String,
    #[serde(default, rename = "from-year")]
    from_year: String,
    /// A rejection's notes for the applicant, in English and in Welsh.
    #[serde(default, rename = "notes-en")]
    notes_en: String,
    #[serde(default, rename = "notes-cy")]
    notes_cy: String,
}

impl DecisionForm {
    /// The day typed, `Ok(None)` when left blank, `Err(())` when it is not a real date.
    fn registered_from(&self) -> Result<Option<NaiveDate>, ()> {
        let parts = [&self.from_day, &self.from_month, &self.from_year].map(|s| s.trim());
        if parts.iter().all(|p| p.is_empty()) {
            return Ok(None);
        }
        let num = |s: &str, max: usize| {
            if s.is_empty() || s.len() > max || !s.bytes().all(|b| b.is_ascii_digit()) {
                None
            } else {
                s.parse::<u32>().ok()
            }
        };
        match (num(parts[0], 2), num(parts[1], 2), num(parts[2], 4)) {
            (Some(d), Some(m), Some(y)) if y >= 1000 => NaiveDate::from_ymd_opt(y as i32, m, d).map(Some).ok_or(()),
            _ => Err(()),
        }
    }
}

/// Read a form that may repeat a field (checkboxes) into its struct.
fn read_form<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> T {
    let mut map: serde_json::Map<String, serde_json::Value> = serde_json::Map::new();
    for (k, v) in ier_citizen_web::forms::pairs(body) {
        match map.get_mut(&k) {
            Some(serde_json::Value::Array(a)) => a.push(v.into()),
            Some(other) => {
                let first = other.take();
                *other = serde_json::Value::Array(vec![first, v.into()]);
            }
            None => {
                map.insert(k, v.into());
            }
        }
    }
    // A field that should be a list but came once is a list of one.
    for key in ["reason", "document"] {
        if let Some(v @ serde_json::Value::String(_)) = map.get_mut(key) {
            *v = serde_json::Value::Array(vec![v.take()]);
        }
    }
    // A field that came twice but should be one value keeps its first.
    for key in ["csrf", "decision", "from-day", "from-month", "from-year", "notes-en", "notes-cy"] {
        if let Some(serde_json::Value::Array(a)) = map.get_mut(key) {
            let first = a.first().cloned().unwrap_or_default();
            map.insert(key.to_owned(), first);
        }
    }
    serde_json::from_value(serde_json::Value::Object(map)).unwrap_or_default()
}

/// What deciding or asking for evidence starts with: a signed-in member whose role decides,
/// the form's CSRF token theirs, and the application theirs; or the page to give instead.
async fn deciding(
    state: &PortalState,
    lang: Lang,
    headers: &HeaderMap,
    path: &str,
    reference: &str,
    csrf: &str,
) -> Result<(Signed, Frame, Application, Progress), Response> {
    let plain = Frame::new(lang.language, path);
    let signed = signed(state, headers, &plain).await?;
    let mut frame = frame_for(state, &signed, lang, &format!("/applications/{reference}"), "applications");
    frame.back = Some("/applications".to_owned());
    if !csrf_ok(&signed, csrf) {
        return Err(refused(&frame));
    }
    if !signed.staff.role.may_decide() {
        return Err(crate::render::message(StatusCode::FORBIDDEN, &frame, "role-title", &["role-body"]));
    }
    let (application, progress) = load(state, &signed, &frame, reference).await?;
    Ok((signed, frame, application, progress))
}

/// Determine: registered, or rejected with reasons.
pub async fn determine(
    State(state): State<Arc<PortalState>>,
    lang: Lang,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    Path(reference): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let f: DecisionForm = read_form(&body);
    let (signed, mut frame, application, progress) =
        match deciding(&state, lang, &headers, uri.path(), &reference, &f.csrf).await {
            Ok(found) => found,
            Err(res) => return res,
        };
    let decision = match f.decision.as_str() {
        "approved" => Some(Determination::Approved),
        "rejected" => Some(Determination::Rejected),
        _ => None,
    };
    let reasons: Vec<ReasonCode> = f.reason.iter().filter_map(|r| ReasonCode::parse(r).ok()).collect();
    match decision {
        None => frame.error("decision", "decision", "decision-missing"),
        Some(Determination::Rejected) if reasons.is_empty() => frame.error("reason", "reason", "reason-missing"),
        Some(Determination::Approved) if !reasons.is_empty() => frame.error("reason", "reason", "reason-with-approval"),
        _ => {}
    }
    let now = Utc::now();
    let london = |t: chrono::DateTime<Utc>| t.with_timezone(&chrono_tz::Europe::London).date_naive();
    let registered_from = match f.registered_from() {
        Err(()) => {
            frame.error("from", "from-day", "from-wrong");
            None
        }
        Ok(None) => None,
        Ok(Some(from)) => {
            let checked = decision
                .map(|d| ier_domain::check_registered_from(d, from, london(application.submitted_at), london(now)));
            match checked {
                Some(Err(ier_domain::RegisteredFromError::NotApproved)) => {
                    frame.error("from", "from-day", "from-not-approved")
                }
                Some(Err(ier_domain::RegisteredFromError::BeforeApplication)) => {
                    let made = ier_domain::dates::long_date(london(application.submitted_at), frame.language());
                    let text = tr(frame.language(), "from-before-application", &[("date", &made)]);
                    frame.fe.insert("from".to_owned(), text.clone());
                    frame.errors.push(crate::render::FieldError { text, href: "#from-day".to_owned() });
                }
                Some(Err(ier_domain::RegisteredFromError::TooFarAhead)) => {
                    frame.error("from", "from-day", "from-too-far")
                }
                _ => {}
            }
            Some(from)
        }
    };
    let notes = match ier_domain::DecisionNotes::parse(&f.notes_en, &f.notes_cy) {
        Ok(Some(_)) if decision.is_some_and(|d| d != Determination::Rejected) => {
            frame.error("notes-en", "notes-en", "notes-not-rejected");
            None
        }
        Ok(notes) => notes,
        Err(ier_domain::NotesError::TooLong(lang)) => {
            let field = format!("notes-{}", lang.as_str());
            frame.error(&field, &field, "notes-too-long");
            None
        }
        Err(ier_domain::NotesError::Control(lang)) => {
            let field = format!("notes-{}", lang.as_str());
            frame.error(&field, &field, "notes-control");
            None
        }
        Err(ier_domain::NotesError::NotRejected) => None,
    };
    if !frame.errors.is_empty() {
        return render_application(&state, &signed, frame, &application, &progress, &f, StatusCode::BAD_REQUEST).await;
    }
    let decision = decision.expect("checked above");
    let ero = state.staff.ero_store(&signed);
    match ero.determine_from(&application.reference, now, decision, &reasons, registered_from, notes.as_ref()).await {
        Ok(_) => {
            audit(
                &state,
                &signed,
                "POST",
                "/applications/{reference}/determination",
                Some(application.reference.as_str()),
                303,
            )
            .await;
            tracing::info!(staff = %signed.staff.id, reference = %application.reference, decision = decision.as_str(), "determined in the portal");
            Redirect::to(&format!("/applications/{}?done=determined", application.reference)).into_response()
        }
        Err(StorageError::Conflict(_)) => {
            // Decided meanwhile (in another tab, or by the EMS), or not received yet: show it as it is now.
            let (application, progress) = match load(&state, &signed, &frame, &reference).await {
                Ok(found) => found,
                Err(res) => return res,
            };
            frame.error("decision", "decision", "decision-conflict");
            render_application(&state, &signed, frame, &application, &progress, &f, StatusCode::CONFLICT).await
        }
        Err(e) => crate::unavailable(&frame, e),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct AskForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    document: Vec<String>,
}

/// Ask the applicant for evidence: documents from the list, by a link in a message.
pub async fn ask(
    State(state): State<Arc<PortalState>>,
    lang: Lang,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    Path(reference): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let f: AskForm = read_form(&body);
    let (signed, mut frame, application, progress) =
        match deciding(&state, lang, &headers, uri.path(), &reference, &f.csrf).await {
            Ok(found) => found,
            Err(res) => return res,
        };
    let mut documents: Vec<DocumentKind> = f.document.iter().filter_map(|d| DocumentKind::parse(d).ok()).collect();
    documents.sort();
    documents.dedup();
    let attestation = f.document.iter().any(|d| d == ATTESTATION);
    if documents.is_empty() && !attestation {
        frame.error("document", "document", "document-missing");
        return render_application(
            &state,
            &signed,
            frame,
            &application,
            &progress,
            &DecisionForm::default(),
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    let reasons = [ReasonCode::parse("identity-not-confirmed").expect("valid")];
    let ero = state.staff.ero_store(&signed);
    // Asked already, with the link still open (a second tab, a double click): nothing more.
    match ero.evidence_requests(&application.reference).await {
        Ok(open) if open.iter().any(|r| r.open(Utc::now())) => {
            return Redirect::to(&format!("/applications/{}?done=asked", application.reference)).into_response();
        }
        Ok(_) => {}
        Err(e) => return crate::unavailable(&frame, e),
    }
    match ero.ask_for_evidence(&application.reference, documents, attestation, &reasons, Utc::now()).await {
        Ok(_) => {
            audit(
                &state,
                &signed,
                "POST",
                "/applications/{reference}/evidence-request",
                Some(application.reference.as_str()),
                303,
            )
            .await;
            Redirect::to(&format!("/applications/{}?done=asked", application.reference)).into_response()
        }
        Err(StorageError::Conflict(_)) => {
            frame.error("document", "document", "ask-conflict");
            render_application(
                &state,
                &signed,
                frame,
                &application,
                &progress,
                &DecisionForm::default(),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => crate::unavailable(&frame, e),
    }
}

/// One evidence file, as a download (never shown inline: `attachment`, its checked type, `nosniff`).
pub async fn file(
    State(state): State<Arc<PortalState>>,
    lang: Lang,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    Path((reference, file)): Path<(String, String)>,
) -> Response {
    let plain = Frame::new(lang.language, uri.path());
    let signed = match signed(&state, &headers, &plain).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    let frame = frame_for(&state, &signed, lang, uri.path(), "applications");
    let not_found = || {
        crate::render::message(StatusCode::NOT_FOUND, &frame, "application-not-found-title", &["file-not-found-body"])
    };
    let (Ok(reference), Some(id)) = (ReferenceNumber::parse(&reference), FileId::parse(&file)) else {
        return not_found();
    };
    let ero = state.staff.ero_store(&signed);
    match ero.evidence_file(state.files.as_ref(), &reference, &id).await {
        Ok(Some((row, bytes))) => {
            audit(&state, &signed, "GET", "/applications/{reference}/evidence/{file}", Some(reference.as_str()), 200)
                .await;
            let ext = match row.content_type.as_str() {
                "application/pdf" => "pdf",
                "image/png" => "png",
                _ => "jpg",
            };
            let mut res = (StatusCode::OK, bytes).into_response();
            let h = res.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&row.content_type) {
                h.insert(header::CONTENT_TYPE, v);
            }
            if let Ok(v) =
                HeaderValue::from_str(&format!("attachment; filename=\"{}-{}.{ext}\"", reference, row.document.code()))
            {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
            h.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; sandbox; frame-ancestors 'none'"),
            );
            res
        }
        Ok(None) | Err(StorageError::NotFound) => not_found(),
        Err(e) => crate::unavailable(&frame, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_with_repeated_fields_read_as_lists() {
        let f: DecisionForm = read_form(b"csrf=abc&decision=rejected&reason=not-resident&reason=other");
        assert_eq!((f.csrf.as_str(), f.decision.as_str()), ("abc", "rejected"));
        assert_eq!(f.reason, vec!["not-resident", "other"]);
        let f: DecisionForm = read_form(b"reason=other&decision=approved&decision=rejected");
        assert_eq!((f.reason.len(), f.decision.as_str()), (1, "approved"));
        let f: AskForm = read_form(b"document=passport&csrf=%2Fx%2");
        assert_eq!((f.document.len(), f.csrf.as_str()), (1, "/x%2"));
        let _: AskForm = read_form(b"&&=&%ZZ&document");
    }

    #[test]
    fn days_read_both_ways_and_start_at_london_midnight() {
        assert_eq!(parse_day("4/12/2026"), parse_day("2026-12-04"));
        assert_eq!(parse_day("31/2/2026"), None);
        let summer = start_of(NaiveDate::from_ymd_opt(2026, 7, 1).unwrap());
        assert_eq!(summer.to_rfc3339(), "2026-06-30T23:00:00+00:00");
    }
}
