//! The pages every GOV.UK service must have: the accessibility statement
//! (`/accessibility`), the privacy notice (`/privacy`), cookies (`/cookies`),
//! help and contact (`/help`), and the feedback form (`/feedback`) that the
//! phase banner on every page links to.
//!
//! The content pages are data ([`Block`]s naming Fluent messages, in
//! `locales/{en,cy}.ftl`) rendered by one template, `content.html`.
//!
//! The feedback form works without JavaScript and without a journey: it
//! carries a sealed form token ([`crate::session::SessionCodec::form_token`])
//! holding a random form id, so a form cannot be posted without being shown by
//! us first, a resent form is stored once (the id is the row's key), and
//! nothing links the feedback to a journey or a cookie. A POST another site
//! makes a browser send is refused by the browser's own word for where it came
//! from (`Sec-Fetch-Site`, or `Origin` where that is all it sends). What is
//! stored is the rating, the comment (sealed), the page's path and the hour
//! ([`ier_storage::feedback`]); never an address, cookie or user agent.

use std::sync::Arc;

use axum::Form;
use axum::extract::{OriginalUri, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Router, http};
use ier_domain::Language;
use ier_storage::feedback::{self, Feedback, FormId, MAX_COMMENT, Satisfaction};
use minijinja::{Value, context};
use serde::Deserialize;

use crate::AppState;
use crate::i18n::Lang;
use crate::limits::{Action, Client};
use crate::render::{FieldError, Frame, page};

pub const ACCESSIBILITY: &str = "/accessibility";
pub const PRIVACY: &str = "/privacy";
pub const COOKIES: &str = "/cookies";
pub const HELP: &str = "/help";
pub const FEEDBACK: &str = "/feedback";
pub const THANK_YOU: &str = "/feedback/thank-you";

/// The form token's purpose: a token made for another form is not one of these.
const FORM: &str = "feedback";

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route(ACCESSIBILITY, get(accessibility))
        .route(PRIVACY, get(privacy))
        .route(COOKIES, get(cookies))
        .route(HELP, get(help))
        .route(FEEDBACK, get(show_form).post(send))
        .route(THANK_YOU, get(thank_you))
}

/// One piece of a content page. Text is a Fluent message id.
pub enum Block {
    H2(&'static str),
    H3(&'static str),
    P(&'static str),
    /// A bulleted list.
    List(&'static [&'static str]),
    /// A paragraph that is a link (a path of ours gets the page's language).
    Link(&'static str, &'static str),
    /// The cookies this service sets, as a table.
    CookieTable,
    /// A paragraph that says how long something is kept: given the retention
    /// periods (`decision_days`, `receipt_days`, `feedback_days`) from the data.
    Kept(&'static str),
}

use Block::*;

const ACCESSIBILITY_PAGE: &[Block] = &[
    P("a11y-intro"),
    P("a11y-run-by"),
    List(&[
        "a11y-can-colours",
        "a11y-can-zoom",
        "a11y-can-keyboard",
        "a11y-can-screen-reader",
        "a11y-can-welsh",
        "a11y-can-no-js",
    ]),
    P("a11y-simple"),
    Link("https://mcmw.abilitynet.org.uk/", "a11y-abilitynet"),
    H2("a11y-how-accessible"),
    P("a11y-known"),
    List(&["a11y-known-timeout", "a11y-known-live-count"]),
    H2("a11y-formats"),
    P("a11y-formats-body"),
    Link(crate::journey::ERO_CONTACT_FINDER, "a11y-formats-link"),
    H2("a11y-reporting"),
    P("a11y-reporting-body"),
    Link(FEEDBACK, "a11y-reporting-link"),
    H2("a11y-enforcement"),
    P("a11y-enforcement-body"),
    Link("https://www.equalityadvisoryservice.com/", "a11y-eass"),
    H2("a11y-technical"),
    P("a11y-technical-body"),
    H3("a11y-compliance"),
    P("a11y-compliance-body"),
    H3("a11y-non-accessible"),
    H3("a11y-non-compliance"),
    P("a11y-non-compliance-timeout"),
    P("a11y-non-compliance-live-count"),
    H3("a11y-burden"),
    P("a11y-burden-body"),
    H3("a11y-scope"),
    P("a11y-scope-body"),
    H2("a11y-testing"),
    P("a11y-testing-body"),
    H2("a11y-improving"),
    P("a11y-improving-body"),
    P("a11y-prepared"),
];

const PRIVACY_PAGE: &[Block] = &[
    P("privacy-intro"),
    H2("privacy-controller"),
    P("privacy-controller-ero"),
    P("privacy-controller-service"),
    H2("privacy-collect"),
    P("privacy-collect-intro"),
    List(&[
        "privacy-collect-name",
        "privacy-collect-dob",
        "privacy-collect-nino",
        "privacy-collect-nationality",
        "privacy-collect-address",
        "privacy-collect-contact",
        "privacy-collect-choices",
        "privacy-collect-service",
    ]),
    P("privacy-special"),
    H2("privacy-basis"),
    P("privacy-basis-purpose"),
    P("privacy-basis-law"),
    H2("privacy-shared"),
    P("privacy-shared-intro"),
    List(&["privacy-shared-ero", "privacy-shared-dwp", "privacy-shared-notify"]),
    P("privacy-shared-not"),
    H2("privacy-kept"),
    Kept("privacy-kept-application"),
    P("privacy-kept-register"),
    P("privacy-kept-evidence"),
    Kept("privacy-kept-matching"),
    Kept("privacy-kept-feedback"),
    P("privacy-kept-security"),
    H2("privacy-rights"),
    P("privacy-rights-intro"),
    List(&["privacy-rights-access", "privacy-rights-correct", "privacy-rights-object"]),
    P("privacy-rights-how"),
    Link(crate::journey::ERO_CONTACT_FINDER, "privacy-rights-link"),
    H2("privacy-complaints"),
    P("privacy-complaints-body"),
    Link("https://ico.org.uk/make-a-complaint/", "privacy-ico"),
];

const COOKIES_PAGE: &[Block] =
    &[P("cookies-intro"), P("cookies-essential"), H2("cookies-ours"), CookieTable, P("cookies-none-else")];

const HELP_PAGE: &[Block] = &[
    H2("help-registration"),
    P("help-registration-body"),
    Link(crate::journey::ERO_CONTACT_FINDER, "help-ero-finder"),
    Link("/#postcode", "help-find-council"),
    Link(crate::status::PATH, "help-status"),
    Link(crate::registered::PATH, "help-registered"),
    H2("help-phone"),
    P("help-phone-body"),
    H2("help-website"),
    P("help-website-body"),
    Link(FEEDBACK, "help-feedback"),
    H2("help-elections"),
    P("help-elections-body"),
    Link("https://www.electoralcommission.org.uk/voting-and-elections", "help-commission"),
    H2("help-ni"),
    P("help-ni-body"),
    Link("https://www.eoni.org.uk/", "help-eoni"),
    H2("help-accessibility"),
    Link(ACCESSIBILITY, "help-accessibility-link"),
];

/// A content page's blocks, translated, for `content.html`.
fn render_blocks(frame: &Frame, blocks: &[Block], cookies: &[(String, String, String)]) -> Vec<Value> {
    let lang = frame.lang;
    blocks
        .iter()
        .map(|b| match b {
            H2(k) => context! { kind => "h2", text => frame.t(k), id => *k },
            H3(k) => context! { kind => "h3", text => frame.t(k) },
            P(k) => context! { kind => "p", text => frame.t(k) },
            Kept(k) => {
                let r = ier_domain::retention::Retention::current();
                let (decision, receipt, feedback, matched) = (
                    r.after_decision_days.get().to_string(),
                    r.after_receipt_days.get().to_string(),
                    r.feedback_comment_days.get().to_string(),
                    r.matching_after_matched_days.get().to_string(),
                );
                let args = [
                    ("decision_days", &*decision),
                    ("receipt_days", &*receipt),
                    ("feedback_days", &*feedback),
                    ("matching_days", &*matched),
                ];
                context! { kind => "p", text => frame.t_args(k, &args) }
            }
            List(items) => context! { kind => "list", items => items.iter().map(|k| frame.t(k)).collect::<Vec<_>>() },
            Link(href, k) => {
                let href = match href.strip_prefix('/') {
                    // Our own pages in the page's language (before any fragment).
                    Some(rest) => match rest.split_once('#') {
                        Some((p, frag)) => format!("/{p}?lang={lang}#{frag}"),
                        None => format!("/{rest}?lang={lang}"),
                    },
                    None => (*href).to_owned(),
                };
                context! { kind => "link", text => frame.t(k), href }
            }
            CookieTable => context! {
                kind => "cookies",
                caption => frame.t("cookies-table-caption"),
                head => [frame.t("cookies-name"), frame.t("cookies-purpose"), frame.t("cookies-expires")],
                rows => cookies.iter().map(|(n, p, e)| [n.clone(), p.clone(), e.clone()]).collect::<Vec<_>>(),
            },
        })
        .collect()
}

fn content(frame: &Frame, title: &str, blocks: &[Block], cookies: &[(String, String, String)]) -> Response {
    let heading = frame.t(title);
    let blocks = render_blocks(frame, blocks, cookies);
    page(StatusCode::OK, "content.html", frame, context! { heading, blocks })
}

async fn accessibility(lang: Lang, OriginalUri(uri): OriginalUri) -> Response {
    content(&Frame::new(lang.language, uri.path()), "a11y-title", ACCESSIBILITY_PAGE, &[])
}

async fn privacy(lang: Lang, OriginalUri(uri): OriginalUri) -> Response {
    content(&Frame::new(lang.language, uri.path()), "privacy-title", PRIVACY_PAGE, &[])
}

async fn help(lang: Lang, OriginalUri(uri): OriginalUri) -> Response {
    content(&Frame::new(lang.language, uri.path()), "help-title", HELP_PAGE, &[])
}

/// Exactly the cookies the service sets: the journey's (its name as this
/// instance sets it: `__Host-` over HTTPS) and `lang`. The feedback form sets none.
async fn cookies(State(state): State<Arc<AppState>>, lang: Lang, OriginalUri(uri): OriginalUri) -> Response {
    let frame = Frame::new(lang.language, uri.path());
    let rows = vec![
        (
            state.sessions.cookie_name().to_owned(),
            frame.t("cookies-session-purpose"),
            frame.t("cookies-session-expires"),
        ),
        ("lang".to_owned(), frame.t("cookies-lang-purpose"), frame.t("cookies-lang-expires")),
    ];
    content(&frame, "cookies-title", COOKIES_PAGE, &rows)
}

/// The phase banner's link: the feedback form in `lang`, told the page's path
/// (percent-encoded; the form checks it again: [`feedback::page_path`]).
pub fn feedback_href(lang: Language, path: &str) -> String {
    let mut href = format!("{FEEDBACK}?lang={}", lang.as_str());
    if let Some(path) = feedback::page_path(path).filter(|p| !p.starts_with(FEEDBACK)) {
        href.push_str("&from=");
        for b in path.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => href.push(b as char),
                _ => href.push_str(&format!("%{b:02X}")),
            }
        }
    }
    href
}

#[derive(Debug, Default, Deserialize)]
pub struct FromQuery {
    #[serde(default)]
    from: String,
}

/// What the form was given, kept to show again.
#[derive(Debug, Default, Deserialize)]
pub struct FeedbackForm {
    #[serde(default)]
    form_token: String,
    #[serde(default)]
    rating: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    from: String,
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The comment as the character count counts it: a browser sends each line
/// break as CR LF, and the count (and the limit) see one character.
fn normalised(comment: &str) -> String {
    comment.replace("\r\n", "\n")
}

fn form_page(state: &AppState, frame: &Frame, status: StatusCode, form: &FeedbackForm) -> Response {
    let by_field = |id: &str| frame.errors.iter().find(|e| e.href == format!("#{id}")).map(|e| e.text.clone());
    let (rating_error, comment_error) = (by_field("rating"), by_field("comment"));
    let token = state.sessions.form_token(FORM, FormId::generate().as_str(), now());
    let ratings: Vec<Value> = Satisfaction::ALL
        .into_iter()
        .map(|r| {
            let (value, text) = (r.as_str(), frame.t(&format!("feedback-{}", r.as_str())));
            context! { value, text, checked => form.rating == value }
        })
        .collect();
    let from = feedback::page_path(&form.from).unwrap_or_default();
    let mut res = page(
        status,
        "feedback.html",
        frame,
        context! {
            action => FEEDBACK, form_token => token, ratings, comment => normalised(&form.comment), from,
            rating_error, comment_error, max => MAX_COMMENT,
        },
    );
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// `GET /feedback`: the form.
async fn show_form(
    State(state): State<Arc<AppState>>,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<FromQuery>,
) -> Response {
    let form = FeedbackForm { from: q.from, ..Default::default() };
    form_page(&state, &Frame::new(lang.language, uri.path()), StatusCode::OK, &form)
}

/// Was this POST sent by another site? The browser says so in `Sec-Fetch-Site`
/// (every current browser); one that sends only `Origin` is held to our own
/// host. (`Origin: null` is what a page with `Referrer-Policy: no-referrer`,
/// ours, sends: it says nothing either way.)
fn cross_site(headers: &HeaderMap) -> bool {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = get("sec-fetch-site") {
        return !matches!(site, "same-origin" | "none");
    }
    match (get("origin"), get(http::header::HOST.as_str())) {
        (None | Some("null"), _) => false,
        (Some(origin), Some(host)) => origin.split_once("://").is_none_or(|(_, h)| !h.eq_ignore_ascii_case(host)),
        (Some(_), None) => true,
    }
}

/// `POST /feedback`: store it and thank them, or the form again with what is wrong.
async fn send(
    State(state): State<Arc<AppState>>,
    client: Client,
    lang: Lang,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    Form(form): Form<FeedbackForm>,
) -> Response {
    let mut frame = Frame::new(lang.language, uri.path());
    if cross_site(&headers) {
        return crate::journey::message(
            &frame,
            StatusCode::FORBIDDEN,
            "feedback-cross-site-title",
            vec![frame.t("feedback-cross-site-body")],
            vec![(format!("{FEEDBACK}?lang={}", frame.lang), frame.t("feedback-cross-site-link"))],
        );
    }
    let rating = Satisfaction::parse(&form.rating);
    if rating.is_none() {
        let text = frame.t("feedback-error-rating");
        frame.errors.push(FieldError { text, href: "#rating".into() });
    }
    let comment = normalised(&form.comment);
    let length = comment.chars().count();
    if length > MAX_COMMENT {
        let over = (length - MAX_COMMENT).to_string();
        let text = frame.t_args("feedback-error-comment-long", &[("over", &over)]);
        frame.errors.push(FieldError { text, href: "#comment".into() });
    }
    // A form not shown by us, altered, or open for hours: shown again, fresh, with everything kept.
    let form_id = state.sessions.open_form_token(FORM, &form.form_token, now()).and_then(|id| FormId::parse(&id));
    if form_id.is_none() && frame.errors.is_empty() {
        let text = frame.t("feedback-error-expired");
        frame.errors.push(FieldError { text, href: "#rating".into() });
    }
    let (Some(rating), Some(form_id), true) = (rating, form_id, frame.errors.is_empty()) else {
        return form_page(&state, &frame, StatusCode::BAD_REQUEST, &form);
    };
    if let Err(wait) = state.limiter.check(Action::Feedback, client.0, std::time::Instant::now()) {
        return crate::journey::too_many(&frame, wait);
    }
    let page = feedback::page_path(&form.from);
    let feedback = Feedback { rating, comment, page: page.clone() };
    match state.citizen.send_feedback(&form_id, &feedback, chrono::Utc::now()).await {
        // Stored now, or already (the same form sent again): thanked either way.
        Ok(_) => {
            let mut to = format!("{THANK_YOU}?lang={}", frame.lang);
            if let Some(p) = page {
                let from = feedback_href(frame.language(), &p);
                if let Some((_, encoded)) = from.split_once("&from=") {
                    to.push_str("&from=");
                    to.push_str(encoded);
                }
            }
            Redirect::to(&to).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "feedback could not be stored");
            ier_ops::metrics().error("storage").inc();
            crate::journey::unavailable(&frame)
        }
    }
}

/// `GET /feedback/thank-you`: thanks, and the way back to the page they came
/// from (a path of ours only: never another site).
async fn thank_you(lang: Lang, OriginalUri(uri): OriginalUri, Query(q): Query<FromQuery>) -> Response {
    let frame = Frame::new(lang.language, uri.path());
    let back = match feedback::page_path(&q.from) {
        Some(p) => (format!("{p}?lang={}", frame.lang), frame.t("feedback-thanks-back")),
        None => (format!("/?lang={}", frame.lang), frame.t("back-to-start")),
    };
    crate::journey::message(
        &frame,
        StatusCode::OK,
        "feedback-thanks-title",
        vec![frame.t("feedback-thanks-body")],
        vec![back],
    )
}
