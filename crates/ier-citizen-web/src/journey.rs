//! The ordinary journey: register to vote as a resident of England, Scotland
//! or Wales, one question a page.
//!
//! State is the sealed session cookie ([`crate::session`]): each GET shows the
//! step with the answers so far, each POST checks the CSRF token, parses the
//! form into domain types and either re-shows the page with every error and
//! every value kept, or saves the answer and moves on. Exits (Northern
//! Ireland, abroad, too young, no franchise) come from the answers and the
//! franchise rules data, never from `if`s about ages or countries here.
//!
//! Steps (DOMAIN.md §4): country of residence, nationality, date of birth,
//! name, previous name, National Insurance number, address (postcode → pick
//! from the gazetteer, or enter by hand; the address's council decides the
//! nation for the rules), other address, moved in the last 12 months (with a
//! previous UK address), open register, postal vote, contact, check your
//! answers (a Change link on every answer returns to the summary),
//! declaration, submission (stored durably and routed before the reference is
//! shown) and the complete page.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use axum::Form;
use axum::extract::{FromRequest, FromRequestParts};
use axum::extract::{OriginalUri, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{NaiveDate, Utc};
use ier_domain::dates::DateOfBirthError;
use ier_domain::name::{NameError, NamePart};
use ier_domain::nationality::NationalityError;
use ier_domain::nino::NinoError;
use ier_domain::rules::{Eligibility, Person};
use ier_domain::{
    Address, CountryCode, DateOfBirth, GssCode, Language, Nation, Nationality, Nino, OrReason, PersonName, Postcode,
    Rules, Uprn,
};
use ier_domain::{
    AgeRange, ApplicantDetails, ApplicationKind, BirthDetails, Contact, EroId, PostalVote, ReferenceNumber,
};
use ier_reference::Route;
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::i18n::Lang;
use crate::limits::{Action, Client};
use crate::render::{FieldError, Frame, page};
use crate::session::{Opened, Session, csrf_ok};

pub const PREFIX: &str = "/register-to-vote";

/// GOV.UK's own finder of an Electoral Registration Office's contact details,
/// linked when the ERO has not yet given us theirs.
pub const ERO_CONTACT_FINDER: &str = "https://www.gov.uk/contact-electoral-registration-office";

/// Where the applicant lives, as they first say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Residence {
    England,
    Scotland,
    Wales,
}

impl Residence {
    fn nation(self) -> Nation {
        match self {
            Self::England => Nation::England,
            Self::Scotland => Nation::Scotland,
            Self::Wales => Nation::Wales,
        }
    }
}

/// Everything answered so far. Short field names keep the cookie small.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Answers {
    #[serde(rename = "r", default, skip_serializing_if = "Option::is_none")]
    pub residence: Option<Residence>,
    #[serde(rename = "n", default, skip_serializing_if = "Option::is_none")]
    pub nationality: Option<Nationality>,
    /// The date of birth, or why not and an age range.
    #[serde(rename = "b", default, skip_serializing_if = "Option::is_none")]
    pub birth: Option<BirthDetails>,
    #[serde(rename = "m", default, skip_serializing_if = "Option::is_none")]
    pub name: Option<PersonName>,
    #[serde(rename = "i", default, skip_serializing_if = "Option::is_none")]
    pub nino: Option<OrReason<Nino>>,
    /// The postcode being looked up on the address pages.
    #[serde(rename = "p", default, skip_serializing_if = "Option::is_none")]
    pub lookup_postcode: Option<Postcode>,
    #[serde(rename = "a", default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// The council of the address: where the application goes.
    #[serde(rename = "g", default, skip_serializing_if = "Option::is_none")]
    pub gss_code: Option<GssCode>,
    #[serde(rename = "o", default, skip_serializing_if = "Option::is_none")]
    pub open_register: Option<bool>,
    #[serde(rename = "v", default, skip_serializing_if = "Option::is_none")]
    pub postal_vote: Option<PostalVote>,
    #[serde(rename = "c", default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
    #[serde(rename = "q", default, skip_serializing_if = "Option::is_none")]
    pub previous_name: Option<PreviousName>,
    #[serde(rename = "x", default, skip_serializing_if = "Option::is_none")]
    pub other_address: Option<ier_domain::OtherAddress>,
    #[serde(rename = "y", default, skip_serializing_if = "Option::is_none")]
    pub moved: Option<ier_domain::Moved>,
    /// After submission: the receipt, shown once on the complete page.
    #[serde(rename = "z", default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<Receipt>,
}

impl Answers {
    /// The date of birth, when given.
    fn date_of_birth(&self) -> Option<DateOfBirth> {
        match &self.birth {
            Some(BirthDetails::Date(d)) => Some(*d),
            _ => None,
        }
    }

    /// The nation whose rules apply: the address's, once known; before that, what they said.
    fn nation(&self) -> Option<Nation> {
        self.gss_code.and_then(|g| g.nation()).or(self.residence.map(Residence::nation))
    }
}

/// What the complete page shows, once, after the application is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub reference: ReferenceNumber,
    pub ero_id: EroId,
    pub postal_vote: PostalVote,
}

/// The answer to "have you changed your name?" (an enum, not `Option<Option<_>>`,
/// which serde would read back as unanswered).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PreviousName {
    Unchanged,
    Changed(PersonName),
}

/// The steps, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Country,
    Nationality,
    DateOfBirth,
    Name,
    PreviousName,
    Nino,
    Address,
    OtherAddress,
    Moved,
    OpenRegister,
    PostalVote,
    Contact,
}

impl Step {
    pub const ALL: [Step; 12] = [
        Step::Country,
        Step::Nationality,
        Step::DateOfBirth,
        Step::Name,
        Step::PreviousName,
        Step::Nino,
        Step::Address,
        Step::OtherAddress,
        Step::Moved,
        Step::OpenRegister,
        Step::PostalVote,
        Step::Contact,
    ];

    pub fn path(self) -> String {
        let slug = match self {
            Step::Country => "country-of-residence",
            Step::Nationality => "nationality",
            Step::DateOfBirth => "date-of-birth",
            Step::Name => "name",
            Step::PreviousName => "previous-name",
            Step::OtherAddress => "other-address",
            Step::Moved => "moved",
            Step::Nino => "nino",
            Step::Address => "address",
            Step::OpenRegister => "open-register",
            Step::PostalVote => "postal-vote",
            Step::Contact => "contact",
        };
        format!("{PREFIX}/{slug}")
    }

    fn answered(self, a: &Answers) -> bool {
        match self {
            Step::Country => a.residence.is_some(),
            Step::Nationality => a.nationality.is_some(),
            Step::DateOfBirth => a.birth.is_some(),
            Step::Name => a.name.is_some(),
            Step::PreviousName => a.previous_name.is_some(),
            Step::OtherAddress => a.other_address.is_some(),
            Step::Moved => a.moved.is_some(),
            Step::Nino => a.nino.is_some(),
            Step::Address => a.address.is_some(),
            Step::OpenRegister => a.open_register.is_some(),
            Step::PostalVote => a.postal_vote.is_some(),
            Step::Contact => a.contact.is_some(),
        }
    }
}

/// The first step not yet answered (None when all built steps are answered).
pub fn next_step(a: &Answers) -> Option<Step> {
    Step::ALL.into_iter().find(|s| !s.answered(a))
}

fn now() -> i64 {
    Utc::now().timestamp()
}

fn today() -> NaiveDate {
    // Dates of birth and ages are judged on the UK calendar date.
    Utc::now().with_timezone(&chrono_tz::Europe::London).date_naive()
}

/// A response that also re-seals the session (refreshing its idle timer).
fn with_session(state: &AppState, mut session: Session<Answers>, res: impl IntoResponse) -> Response {
    session.seen = now();
    let mut res = res.into_response();
    match state.sessions.seal(&session) {
        Ok(value) => {
            if let Ok(v) = HeaderValue::from_str(&state.sessions.set_cookie(&value)) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            res
        }
        Err(e) => {
            tracing::error!(error = %e, "session too large");
            (StatusCode::INTERNAL_SERVER_ERROR, "Sorry, there is a problem with the service.").into_response()
        }
    }
}

fn cleared(state: &AppState, res: impl IntoResponse) -> Response {
    let mut res = res.into_response();
    if let Ok(v) = HeaderValue::from_str(&state.sessions.clear_cookie()) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// The session on this request, or the response to give instead.
#[allow(clippy::result_large_err, reason = "the error is the response itself, returned once per request")]
fn session(state: &AppState, headers: &HeaderMap, frame: &Frame) -> Result<Session<Answers>, Response> {
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|h| state.sessions.from_cookie_header(h));
    match cookie.map(|c| state.sessions.open::<Answers>(c, now())) {
        Some(Opened::Active(s)) => Ok(s),
        Some(Opened::Expired) => Err(cleared(
            state,
            message(
                frame,
                StatusCode::OK,
                "timeout-title",
                vec![frame.t("timeout-body")],
                vec![(format!("{PREFIX}/start"), frame.t("timeout-restart"))],
            ),
        )),
        Some(Opened::None) | None => Err(Redirect::to(&format!("{PREFIX}/start")).into_response()),
    }
}

fn message(
    frame: &Frame,
    status: StatusCode,
    heading: &str,
    paragraphs: Vec<String>,
    links: Vec<(String, String)>,
) -> Response {
    let links: Vec<_> = links.into_iter().map(|(href, text)| context! { href, text }).collect();
    page(status, "message.html", frame, context! { heading => frame.t(heading), paragraphs, links })
}

/// `GET /register-to-vote/start`: a fresh journey.
pub async fn start(State(state): State<Arc<AppState>>) -> Response {
    let session = state.sessions.start(Answers::default(), now());
    with_session(&state, session, Redirect::to(&Step::Country.path()))
}

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

/// Where to go after answering: the next unanswered step, or the summary.
fn onward(a: &Answers) -> Redirect {
    // Every answer given (including after a "Change"): back to the summary.
    match next_step(a) {
        Some(step) => Redirect::to(&step.path()),
        None => Redirect::to(&format!("{PREFIX}/check-answers")),
    }
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("")
}

/// Checks the CSRF token; a mismatch keeps the session and says what to do.
#[allow(clippy::result_large_err, reason = "the error is the response itself, returned once per request")]
fn check_csrf(
    state: &AppState,
    session: &Session<Answers>,
    form: &[(String, String)],
    frame: &Frame,
) -> Result<(), Response> {
    if csrf_ok(session, field(form, "csrf_token")) {
        Ok(())
    } else {
        tracing::warn!(path = %frame.path, "POST without a valid CSRF token");
        let back = (frame.path.clone(), frame.t("back"));
        Err(with_session(
            state,
            session.clone(),
            message(frame, StatusCode::FORBIDDEN, "csrf-title", vec![frame.t("csrf-body")], vec![back]),
        ))
    }
}

/// A journey page's request: the app, the page frame (language, path) and the
/// open session. Without a session the extractor answers instead: a redirect
/// to a fresh start, or the timeout page.
pub struct Journey {
    pub state: Arc<AppState>,
    pub frame: Frame,
    pub session: Session<Answers>,
}

impl FromRequestParts<Arc<AppState>> for Journey {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Response> {
        let Ok(lang) = Lang::from_request_parts(parts, state).await;
        let path = parts
            .extensions
            .get::<OriginalUri>()
            .map(|u| u.0.path().to_owned())
            .unwrap_or_else(|| parts.uri.path().to_owned());
        let frame = Frame::new(lang.language, &path);
        let session = session(state, &parts.headers, &frame)?;
        Ok(Journey { state: state.clone(), frame, session })
    }
}

/// A journey form post: the [`Journey`] and the posted fields, whose CSRF
/// token has already been checked (a mismatch is answered with 403).
pub struct Posted {
    pub journey: Journey,
    pub form: Vec<(String, String)>,
}

impl FromRequest<Arc<AppState>> for Posted {
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, state: &Arc<AppState>) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let journey = Journey::from_request_parts(&mut parts, state).await?;
        let req = axum::extract::Request::from_parts(parts, body);
        let Form(form) =
            Form::<Vec<(String, String)>>::from_request(req, state).await.map_err(IntoResponse::into_response)?;
        check_csrf(&journey.state, &journey.session, &form, &journey.frame)?;
        Ok(Posted { journey, form })
    }
}

fn step_page(frame: &Frame, status: StatusCode, template: &str, session: &Session<Answers>, values: Value) -> Response {
    let ctx = context! { csrf_token => session.csrf.clone(), action => frame.path.clone(), ..values };
    page(status, template, frame, ctx)
}

fn error(frame: &mut Frame, key: &str, args: &[(&str, &str)], href: &str) -> String {
    let text = frame.t_args(key, args);
    frame.errors.push(FieldError { text: text.clone(), href: href.to_owned() });
    text
}

// --- Country of residence -------------------------------------------------------

pub async fn country_get(journey: Journey) -> Response {
    let Journey { state, frame, session } = journey;
    let value = session.data.residence.map(|r| serde_plain(&r));
    let page = step_page(&frame, StatusCode::OK, "step_country.html", &session, context! { value, error => "" });
    with_session(&state, session, page)
}

fn serde_plain<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

pub async fn country_post(posted: Posted) -> Response {
    let Posted { journey: Journey { state, mut frame, mut session }, form } = posted;
    let chosen = field(&form, "country");
    let residence = match chosen {
        "england" => Residence::England,
        "scotland" => Residence::Scotland,
        "wales" => Residence::Wales,
        "northern-ireland" => {
            let links = vec![("https://www.eoni.org.uk/".to_owned(), frame.t("ni-link"))];
            return cleared(
                &state,
                message(&frame, StatusCode::OK, "exit-ni-title", vec![frame.t("exit-ni-body")], links),
            );
        }
        "abroad" => {
            return cleared(
                &state,
                message(&frame, StatusCode::OK, "exit-abroad-title", vec![frame.t("exit-abroad-body")], vec![]),
            );
        }
        _ => {
            let text = error(&mut frame, "error-country", &[], "#country");
            let page = step_page(
                &frame,
                StatusCode::BAD_REQUEST,
                "step_country.html",
                &session,
                context! { value => "", error => text },
            );
            return with_session(&state, session, page);
        }
    };
    session.data.residence = Some(residence);
    // A change of nation can change the age rules: check again at date of birth.
    let next = onward(&session.data);
    with_session(&state, session, next)
}

// --- Nationality ----------------------------------------------------------------

/// The other nationalities to choose from, in the page's language: built once
/// per language (about 200 of them), shared by every page that lists them.
fn country_items(language: Language) -> Value {
    static ITEMS: LazyLock<[Value; 2]> =
        LazyLock::new(|| [Value::from(sorted_countries(Language::En)), Value::from(sorted_countries(Language::Cy))]);
    ITEMS[usize::from(language == Language::Cy)].clone()
}

fn sorted_countries(language: Language) -> Vec<Value> {
    let mut countries: Vec<_> = ier_domain::nationality::register()
        .iter()
        .filter(|c| !matches!(c.category, ier_domain::CountryCategory::British | ier_domain::CountryCategory::Irish))
        .map(|c| {
            (if language == Language::Cy { c.name_cy.clone() } else { c.name.clone() }, c.code.as_str().to_owned())
        })
        .collect();
    countries.sort();
    countries.into_iter().map(|(text, value)| context! { text, value }).collect()
}

pub async fn nationality_get(journey: Journey) -> Response {
    let Journey { state, frame, session } = journey;
    let mut values = NationalityForm::default();
    if let Some(n) = &session.data.nationality {
        values = NationalityForm::from(n);
    }
    let page =
        step_page(&frame, StatusCode::OK, "step_nationality.html", &session, nationality_context(&frame, &values, ""));
    with_session(&state, session, page)
}

#[derive(Debug, Default, Serialize)]
struct NationalityForm {
    british: bool,
    irish: bool,
    other: bool,
    others: [String; 3],
    reason: String,
}

impl From<&Nationality> for NationalityForm {
    fn from(n: &Nationality) -> Self {
        match n {
            Nationality::Stated { british, irish, others } => {
                let mut f = NationalityForm {
                    british: *british,
                    irish: *irish,
                    other: !others.is_empty(),
                    ..Default::default()
                };
                for (slot, c) in f.others.iter_mut().zip(others) {
                    *slot = c.as_str().to_owned();
                }
                f
            }
            Nationality::NotProvided { reason } => NationalityForm { reason: reason.clone(), ..Default::default() },
        }
    }
}

fn nationality_context(frame: &Frame, f: &NationalityForm, error: &str) -> Value {
    let mut values = Vec::new();
    if f.british {
        values.push("british");
    }
    if f.irish {
        values.push("irish");
    }
    if f.other {
        values.push("other");
    }
    context! { form => Value::from_serialize(f), values, error, countries => country_items(frame.language()) }
}

pub async fn nationality_post(posted: Posted) -> Response {
    let Posted { journey: Journey { state, mut frame, mut session }, form } = posted;
    let chosen: Vec<&str> = form.iter().filter(|(k, _)| k == "nationality").map(|(_, v)| v.as_str()).collect();
    let f = NationalityForm {
        british: chosen.contains(&"british"),
        irish: chosen.contains(&"irish"),
        other: chosen.contains(&"other"),
        others: [field(&form, "other-1"), field(&form, "other-2"), field(&form, "other-3")]
            .map(|s| s.trim().to_owned()),
        reason: field(&form, "reason").trim().to_owned(),
    };
    let parsed = parse_nationality(&f);
    match parsed {
        Ok(n) => {
            session.data.nationality = Some(n);
            if let Some(exit) = eligibility_exit(&state, &session.data, &frame) {
                return cleared(&state, exit);
            }
            let next = onward(&session.data);
            with_session(&state, session, next)
        }
        Err(key) => {
            let text = error(&mut frame, key, &[], "#nationality");
            let page = step_page(
                &frame,
                StatusCode::BAD_REQUEST,
                "step_nationality.html",
                &session,
                nationality_context(&frame, &f, &text),
            );
            with_session(&state, session, page)
        }
    }
}

fn parse_nationality(f: &NationalityForm) -> Result<Nationality, &'static str> {
    let others: Vec<&str> =
        if f.other { f.others.iter().map(String::as_str).filter(|s| !s.is_empty()).collect() } else { vec![] };
    if !f.british && !f.irish && others.is_empty() && !f.reason.is_empty() {
        return Nationality::not_provided(&f.reason).map_err(nationality_error_key);
    }
    let mut codes = Vec::new();
    for o in others {
        codes.push(CountryCode::parse(o).map_err(|_| "error-nationality-unknown-country")?);
    }
    Nationality::stated(f.british, f.irish, codes).map_err(nationality_error_key)
}

fn nationality_error_key(e: NationalityError) -> &'static str {
    match e {
        NationalityError::Nothing => "error-nationality-nothing",
        NationalityError::TooManyCountries => "error-nationality-too-many",
        NationalityError::BritishOrIrishAsOther => "error-nationality-british-or-irish",
        NationalityError::Duplicate => "error-nationality-duplicate",
        NationalityError::ReasonTooLong => "error-nationality-reason-too-long",
    }
}

/// An exit page if the rules say this person cannot register (yet).
fn eligibility_exit(_state: &AppState, a: &Answers, frame: &Frame) -> Option<Response> {
    let (Some(nation), Some(nationality)) = (a.nation(), &a.nationality) else {
        return None;
    };
    let date_of_birth = a.date_of_birth();
    let person = Person { nationality, date_of_birth, nation, eu_retained_rights: None, leave_to_remain: None };
    let rules = Rules::current();
    match rules.eligibility(&person, today()) {
        Eligibility::Eligible { .. } => {
            // Without a date, an age range wholly below the register age is too young too.
            let range = match &a.birth {
                Some(BirthDetails::NotGiven { range, .. }) => range.oldest(),
                _ => None,
            };
            let min_age = rules.register_age(nation, today())?.min_age;
            let oldest = range.filter(|oldest| *oldest < min_age)?;
            tracing::debug!(oldest, min_age, "age range below the register age");
            let body = frame.t_args("exit-too-young-range-body", &[("age", &min_age.to_string())]);
            Some(message(frame, StatusCode::OK, "exit-too-young-title", vec![body], vec![]))
        }
        Eligibility::NoFranchise => Some(message(
            frame,
            StatusCode::OK,
            "exit-no-franchise-title",
            vec![frame.t("exit-no-franchise-body")],
            vec![],
        )),
        Eligibility::TooYoung { min_age, .. } => {
            let dob = date_of_birth?;
            let date = crate::render::long_date(dob.birthday(min_age), frame.language());
            let body = frame.t_args("exit-too-young-body", &[("age", &min_age.to_string()), ("date", &date)]);
            Some(message(frame, StatusCode::OK, "exit-too-young-title", vec![body], vec![]))
        }
    }
}

// --- Date of birth ----------------------------------------------------------------

/// The age ranges offered where the applicant says they live: 14 to 15 only
/// where the rules let 14-year-olds register.
fn age_ranges(a: &Answers) -> Vec<&'static str> {
    let youngest = a.nation().and_then(|n| Rules::current().register_age(n, today())).map(|r| r.min_age);
    AgeRange::ALL
        .into_iter()
        .filter(|r| match (r.oldest(), youngest) {
            (Some(oldest), Some(youngest)) => oldest >= youngest,
            _ => true,
        })
        .map(|r| r.as_str())
        .collect()
}

/// The longest reason accepted for not giving a date of birth.
const DOB_REASON_MAX: usize = 500;

#[allow(clippy::too_many_arguments, reason = "one page's form values, each kept as entered")]
fn dob_page(
    frame: &Frame,
    status: StatusCode,
    session: &Session<Answers>,
    (day, month, year): (&str, &str, &str),
    reason: &str,
    range: &str,
    errors: &HashMap<String, String>,
) -> Response {
    let cannot_open = !reason.is_empty() || !range.is_empty();
    step_page(
        frame,
        status,
        "step_dob.html",
        session,
        context! {
            day, month, year, reason, range, cannot_open,
            age_ranges => age_ranges(&session.data), errors_by_field => errors,
        },
    )
}

pub async fn dob_get(journey: Journey) -> Response {
    let Journey { state, frame, session } = journey;
    let (mut d, mut m, mut y, mut reason, mut range) = Default::default();
    match &session.data.birth {
        Some(BirthDetails::Date(dob)) => {
            let date = dob.date();
            d = chrono::Datelike::day(&date).to_string();
            m = chrono::Datelike::month(&date).to_string();
            y = chrono::Datelike::year(&date).to_string();
        }
        Some(BirthDetails::NotGiven { reason: r, range: g }) => {
            reason = r.clone();
            range = g.as_str().to_owned();
        }
        None => {}
    }
    let page = dob_page(&frame, StatusCode::OK, &session, (&d, &m, &y), &reason, &range, &HashMap::new());
    with_session(&state, session, page)
}

/// The date of birth, or (with no date typed) the reason and age range; else
/// the errors by field.
fn parse_birth(form: &[(String, String)], frame: &mut Frame) -> Result<BirthDetails, HashMap<String, String>> {
    let (d, m, y) = (field(form, "dob-day"), field(form, "dob-month"), field(form, "dob-year"));
    let (reason, range) = (field(form, "dob-reason").trim(), field(form, "dob-range"));
    let mut errors = HashMap::new();
    let no_date = [d, m, y].iter().all(|p| p.trim().is_empty());
    if no_date && (!reason.is_empty() || !range.is_empty()) {
        if reason.is_empty() {
            errors.insert("dob-reason".into(), error(frame, "error-dob-reason-missing", &[], "#dob-reason"));
        } else if reason.chars().count() > DOB_REASON_MAX {
            let max = DOB_REASON_MAX.to_string();
            errors.insert(
                "dob-reason".into(),
                error(frame, "error-dob-reason-too-long", &[("max", &max)], "#dob-reason"),
            );
        }
        // A range not offered here (14 to 15 in England) is judged by the rules, as a date would be.
        let range = range.parse::<AgeRange>().ok();
        if range.is_none() {
            errors.insert("dob-range".into(), error(frame, "error-dob-range", &[], "#dob-range"));
        }
        return match (errors.is_empty(), range) {
            (true, Some(range)) => Ok(BirthDetails::NotGiven { reason: reason.to_owned(), range }),
            _ => Err(errors),
        };
    }
    DateOfBirth::parse(d, m, y, today()).map(BirthDetails::Date).map_err(|e| {
        let year = match &e {
            DateOfBirthError::TooLongAgo(y) => y.to_string(),
            _ => String::new(),
        };
        let key = match e {
            DateOfBirthError::Missing => "error-dob-missing",
            DateOfBirthError::NotANumber => "error-dob-not-a-number",
            DateOfBirthError::NotARealDate => "error-dob-not-a-real-date",
            DateOfBirthError::InTheFuture => "error-dob-in-the-future",
            DateOfBirthError::TooLongAgo(_) => "error-dob-too-long-ago",
        };
        HashMap::from([("dob-day".to_owned(), error(frame, key, &[("year", &year)], "#dob-day"))])
    })
}

pub async fn dob_post(posted: Posted) -> Response {
    let Posted { journey: Journey { state, mut frame, mut session }, form } = posted;
    match parse_birth(&form, &mut frame) {
        Ok(birth) => {
            session.data.birth = Some(birth);
            if let Some(exit) = eligibility_exit(&state, &session.data, &frame) {
                return cleared(&state, exit);
            }
            let next = onward(&session.data);
            with_session(&state, session, next)
        }
        Err(errors) => {
            let (d, m, y) = (field(&form, "dob-day"), field(&form, "dob-month"), field(&form, "dob-year"));
            let (reason, range) = (field(&form, "dob-reason"), field(&form, "dob-range"));
            let page = dob_page(&frame, StatusCode::BAD_REQUEST, &session, (d, m, y), reason, range, &errors);
            with_session(&state, session, page)
        }
    }
}

// --- Name ---------------------------------------------------------------------------

pub async fn name_get(journey: Journey) -> Response {
    let Journey { state, frame, session } = journey;
    let (g, m, s) = session
        .data
        .name
        .as_ref()
        .map(|n| {
            (n.given.to_string(), n.middle.as_ref().map(|m| m.to_string()).unwrap_or_default(), n.surname.to_string())
        })
        .unwrap_or_default();
    let page = step_page(
        &frame,
        StatusCode::OK,
        "step_name.html",
        &session,
        context! { given => g, middle => m, surname => s, errors_by_field => HashMap::<String, String>::new() },
    );
    with_session(&state, session, page)
}

pub async fn name_post(posted: Posted) -> Response {
    let Posted { journey: Journey { state, mut frame, mut session }, form } = posted;
    let (g, m, s) = (field(&form, "given-name"), field(&form, "middle-names"), field(&form, "surname"));
    match PersonName::parse(g, m, s) {
        Ok(name) => {
            session.data.name = Some(name);
            let next = onward(&session.data);
            with_session(&state, session, next)
        }
        Err(errors) => {
            let mut by_field = HashMap::new();
            for (part, e) in errors {
                let (id, label_key) = match part {
                    NamePart::Given => ("given-name", "name-given"),
                    NamePart::Middle => ("middle-names", "name-middle"),
                    NamePart::Surname => ("surname", "name-surname"),
                };
                let label = frame.t(label_key);
                let label = label.trim_end_matches(" (optional)").trim_end_matches(" (dewisol)");
                let field_name = if frame.language() == Language::Cy { label.to_lowercase() } else { label.to_owned() };
                let text = match (part, e) {
                    (NamePart::Given, NameError::Empty) => {
                        error(&mut frame, "error-name-given-empty", &[], &format!("#{id}"))
                    }
                    (NamePart::Surname, NameError::Empty) => {
                        error(&mut frame, "error-name-surname-empty", &[], &format!("#{id}"))
                    }
                    (_, NameError::TooLong { max }) => error(
                        &mut frame,
                        "error-name-too-long",
                        &[("field", &field_name), ("max", &max.to_string())],
                        &format!("#{id}"),
                    ),
                    (_, NameError::MustStartWithLetter) => error(
                        &mut frame,
                        "error-name-must-start-with-letter",
                        &[("field", &field_name)],
                        &format!("#{id}"),
                    ),
                    (_, _) => error(&mut frame, "error-name-invalid", &[("field", &field_name)], &format!("#{id}")),
                };
                by_field.insert(id.to_owned(), text);
            }
            let page = step_page(
                &frame,
                StatusCode::BAD_REQUEST,
                "step_name.html",
                &session,
                context! { given => g, middle => m, surname => s, errors_by_field => by_field },
            );
            with_session(&state, session, page)
        }
    }
}

// --- National Insurance number ----------------------------------------------------------

pub async fn nino_get(journey: Journey) -> Response {
    let Journey { state, frame, session } = journey;
    let (nino, reason) = match &session.data.nino {
        Some(OrReason::Given(n)) => (n.to_string(), String::new()),
        Some(OrReason::NotGiven { reason }) => (String::new(), reason.clone()),
        None => Default::default(),
    };
    let page = step_page(&frame, StatusCode::OK, "step_nino.html", &session, context! { nino, reason, error => "" });
    with_session(&state, session, page)
}

pub async fn nino_post(posted: Posted) -> Response {
    let Posted { journey: Journey { state, mut frame, mut session }, form } = posted;
    let (typed, reason) = (field(&form, "nino"), field(&form, "nino-reason").trim());
    let parsed = if typed.trim().is_empty() && !reason.is_empty() {
        if reason.chars().count() > 500 {
            Err("error-nino-reason-too-long")
        } else {
            Ok(OrReason::NotGiven { reason: reason.to_owned() })
        }
    } else {
        Nino::parse(typed).map(OrReason::Given).map_err(|e| match e {
            NinoError::Empty => "error-nino-missing",
            NinoError::Format => "error-nino-format",
            NinoError::Prefix => "error-nino-prefix",
            NinoError::Suffix => "error-nino-suffix",
        })
    };
    match parsed {
        Ok(n) => {
            session.data.nino = Some(n);
            let next = onward(&session.data);
            with_session(&state, session, next)
        }
        Err(key) => {
            let text = error(&mut frame, key, &[], "#nino");
            let page = step_page(
                &frame,
                StatusCode::BAD_REQUEST,
                "step_nino.html",
                &session,
                context! { nino => typed, reason, error => text },
            );
            with_session(&state, session, page)
        }
    }
}

// --- Address -------------------------------------------------------------------------------

fn address_paths() -> (String, String, String) {
    let base = Step::Address.path();
    (base.clone(), format!("{base}/select"), format!("{base}/manual"))
}

pub async fn address_get(journey: Journey) -> Response {
    let Journey { state, frame, session } = journey;
    let postcode = session.data.lookup_postcode.as_ref().map(|p| p.to_string()).unwrap_or_default();
    let page = step_page(
        &frame,
        StatusCode::OK,
        "step_address.html",
        &session,
        context! { postcode, error => "", manual_href => address_paths().2 },
    );
    with_session(&state, session, page)
}

/// Where a postcode's applications go, or the error key for why not.
fn route_postcode(state: &AppState, postcode: &Postcode) -> Result<GssCode, &'static str> {
    match state.locator.route(postcode) {
        Route::Council { council, .. } => Ok(council.gss_code),
        Route::NorthernIreland => Err("error-address-northern-ireland"),
        Route::CrownDependency | Route::Forces => Err("error-address-not-gb"),
        Route::Unknown => Err("error-address-postcode-unknown"),
    }
}

/// The request header with which the address page's script asks for the
/// address picker in place (progressive enhancement) instead of a redirect.
pub const FRAGMENT_HEADER: &str = "x-ier-fragment";

pub async fn address_post(client: Client, headers: HeaderMap, posted: Posted) -> Response {
    let Posted { journey: Journey { state, mut frame, mut session }, form } = posted;
    if let Err(wait) = state.limiter.check(Action::PostcodeLookup, client.0, std::time::Instant::now()) {
        return with_session(&state, session, too_many(&frame, wait));
    }
    let typed = field(&form, "postcode");
    let key = match Postcode::parse(typed) {
        Err(ier_domain::postcode::PostcodeError::Empty) => "error-postcode-empty",
        Err(_) => "error-postcode-format",
        Ok(p) => match route_postcode(&state, &p) {
            Ok(_) => {
                session.data.lookup_postcode = Some(p);
                // With JavaScript the picker appears on this page; without, on its own.
                // Errors are always whole pages (the script then submits the form normally).
                let in_place = headers.get(FRAGMENT_HEADER).is_some_and(|v| v == "address-select");
                let res = match in_place {
                    true => address_picker(&state, &frame, &session, StatusCode::OK, "", true),
                    false => Redirect::to(&address_paths().1).into_response(),
                };
                return with_session(&state, session, res);
            }
            // An unknown postcode may still be real (too new): the applicant can enter the address by hand.
            Err(key) => key,
        },
    };
    let text = error(&mut frame, key, &[], "#postcode");
    let page = step_page(
        &frame,
        StatusCode::BAD_REQUEST,
        "step_address.html",
        &session,
        context! { postcode => typed, error => text, manual_href => address_paths().2 },
    );
    with_session(&state, session, page)
}

/// The addresses at the postcode being looked up, to choose from: the select
/// page, or (`fragment`) just its form, for the address page's script to show in place.
fn address_picker(
    state: &AppState,
    frame: &Frame,
    session: &Session<Answers>,
    status: StatusCode,
    error: &str,
    fragment: bool,
) -> Response {
    let Some(postcode) = session.data.lookup_postcode.clone() else {
        return Redirect::to(&address_paths().0).into_response();
    };
    let addresses: Vec<Value> = state
        .gazetteer
        .addresses(&postcode)
        .into_iter()
        .map(|a| context! { value => a.uprn.to_string(), text => a.one_line() })
        .collect();
    let value = session.data.address.as_ref().and_then(|a| a.uprn).map(|u| u.to_string()).unwrap_or_default();
    let (base, select, manual) = address_paths();
    let values = context! {
        postcode => postcode.to_string(), addresses, value, error, fragment,
        select_action => select, manual_href => manual, change_href => base,
    };
    let template = if fragment { "address_select_form.html" } else { "step_address_select.html" };
    step_page(frame, status, template, session, values)
}

pub async fn address_select_get(journey: Journey) -> Response {
    let Journey { state, frame, session } = journey;
    let page = address_picker(&state, &frame, &session, StatusCode::OK, "", false);
    with_session(&state, session, page)
}

pub async fn address_select_post(posted: Posted) -> Response {
    let Posted { journey: Journey { state, mut frame, session }, form } = posted;
    // Only an address at the postcode being looked up may be chosen.
    let chosen = Uprn::parse(field(&form, "uprn"))
        .ok()
        .and_then(|u| state.gazetteer.by_uprn(u))
        .filter(|a| Some(&a.postcode) == session.data.lookup_postcode.as_ref());
    match chosen {
        Some(a) => {
            let address = Address {
                uprn: Some(a.uprn),
                lines: vec![format!("{} {}", a.property, a.street)],
                town: a.town.clone(),
                postcode: a.postcode.clone(),
            };
            save_address(&state, session, address, a.gss_code, &frame)
        }
        None => {
            let text = error(&mut frame, "error-address-select", &[], "#uprn");
            let page = address_picker(&state, &frame, &session, StatusCode::BAD_REQUEST, &text, false);
            with_session(&state, session, page)
        }
    }
}

/// Keep the address and its council, then re-check eligibility under the address's nation.
fn save_address(
    state: &AppState,
    mut session: Session<Answers>,
    address: Address,
    gss: GssCode,
    frame: &Frame,
) -> Response {
    session.data.address = Some(address);
    session.data.gss_code = Some(gss);
    if let Some(exit) = eligibility_exit(state, &session.data, frame) {
        return cleared(state, exit);
    }
    let next = onward(&session.data);
    with_session(state, session, next)
}

pub async fn address_manual_get(journey: Journey) -> Response {
    let Journey { state, frame, session } = journey;
    let a = session.data.address.as_ref().filter(|a| a.uprn.is_none());
    let line = |i: usize| a.and_then(|a| a.lines.get(i).cloned()).unwrap_or_default();
    let postcode = a
        .map(|a| a.postcode.to_string())
        .or(session.data.lookup_postcode.as_ref().map(|p| p.to_string()))
        .unwrap_or_default();
    let town = a.map(|a| a.town.clone()).unwrap_or_default();
    let values = context! { line1 => line(0), line2 => line(1), town, postcode, errors_by_field => HashMap::<String, String>::new() };
    let page = step_page(&frame, StatusCode::OK, "step_address_manual.html", &session, values);
    with_session(&state, session, page)
}

pub async fn address_manual_post(posted: Posted) -> Response {
    let Posted { journey: Journey { state, mut frame, session }, form } = posted;
    let clean = |name: &str| field(&form, name).split_whitespace().collect::<Vec<_>>().join(" ");
    let (line1, line2, town, postcode) =
        (clean("address-line-1"), clean("address-line-2"), clean("address-town"), field(&form, "postcode").to_owned());
    let mut by_field: HashMap<String, String> = HashMap::new();
    let mut fail = |frame: &mut Frame, id: &str, key: &str, args: &[(&str, &str)]| {
        let text = error(frame, key, args, &format!("#{id}"));
        by_field.insert(id.to_owned(), text);
    };
    if line1.is_empty() {
        fail(&mut frame, "address-line-1", "error-address-line-1", &[]);
    }
    for (id, label, v) in [
        ("address-line-1", "address-line-1", &line1),
        ("address-line-2", "address-line-2", &line2),
        ("address-town", "address-town", &town),
    ] {
        if v.chars().count() > 100 {
            let name = frame.t(label);
            fail(
                &mut frame,
                id,
                "error-address-too-long",
                &[("field", name.trim_end_matches(" (optional)").trim_end_matches(" (dewisol)"))],
            );
        }
    }
    if town.is_empty() {
        fail(&mut frame, "address-town", "error-address-town", &[]);
    }
    let routed = match Postcode::parse(&postcode) {
        Err(ier_domain::postcode::PostcodeError::Empty) => Err("error-postcode-empty"),
        Err(_) => Err("error-postcode-format"),
        Ok(p) => route_postcode(&state, &p).map(|g| (p, g)),
    };
    let routed = match routed {
        Ok(r) => Some(r),
        Err(key) => {
            fail(&mut frame, "postcode", key, &[]);
            None
        }
    };
    match routed {
        Some((p, gss)) if by_field.is_empty() => {
            let lines = [line1, line2].into_iter().filter(|l| !l.is_empty()).collect();
            save_address(&state, session, Address { uprn: None, lines, town, postcode: p }, gss, &frame)
        }
        _ => {
            let values = context! { line1, line2, town, postcode, errors_by_field => by_field };
            let page = step_page(&frame, StatusCode::BAD_REQUEST, "step_address_manual.html", &session, values);
            with_session(&state, session, page)
        }
    }
}

// --- Open register and postal vote: yes/no questions --------------------------------------

/// The two yes/no steps share one page and one handler.
#[derive(Clone, Copy)]
pub enum YesNo {
    OpenRegister,
}

impl YesNo {
    fn keys(self) -> (&'static str, &'static str, &'static str) {
        match self {
            YesNo::OpenRegister => ("open-register-title", "open-register-hint", "error-open-register"),
        }
    }

    fn get(self, a: &Answers) -> Option<bool> {
        match self {
            YesNo::OpenRegister => a.open_register,
        }
    }

    fn set(self, a: &mut Answers, v: bool) {
        match self {
            YesNo::OpenRegister => a.open_register = Some(v),
        }
    }
}

fn yes_no_page(
    frame: &Frame,
    status: StatusCode,
    session: &Session<Answers>,
    q: YesNo,
    value: &str,
    error: &str,
) -> Response {
    let (title_key, hint_key, _) = q.keys();
    step_page(frame, status, "step_yes_no.html", session, context! { title_key, hint_key, value, error })
}

pub async fn yes_no_get(q: YesNo, journey: Journey) -> Response {
    let Journey { state, frame, session } = journey;
    let value = match q.get(&session.data) {
        Some(true) => "yes",
        Some(false) => "no",
        None => "",
    };
    let page = yes_no_page(&frame, StatusCode::OK, &session, q, value, "");
    with_session(&state, session, page)
}

pub async fn yes_no_post(q: YesNo, posted: Posted) -> Response {
    let Posted { journey: Journey { state, mut frame, mut session }, form } = posted;
    match field(&form, "answer") {
        v @ ("yes" | "no") => {
            q.set(&mut session.data, v == "yes");
            let next = onward(&session.data);
            with_session(&state, session, next)
        }
        _ => {
            let text = error(&mut frame, q.keys().2, &[], "#answer");
            let page = yes_no_page(&frame, StatusCode::BAD_REQUEST, &session, q, "", &text);
            with_session(&state, session, page)
        }
    }
}

// --- Contact -----------------------------------------------------------------------------------

fn contact_page(
    frame: &Frame,
    status: StatusCode,
    session: &Session<Answers>,
    values: Vec<&str>,
    email: &str,
    phone: &str,
    errors: HashMap<String, String>,
) -> Response {
    step_page(frame, status, "step_contact.html", session, context! { values, email, phone, errors_by_field => errors })
}

pub async fn contact_get(journey: Journey) -> Response {
    let Journey { state, frame, session } = journey;
    let c = session.data.contact.clone().unwrap_or_default();
    let mut values = Vec::new();
    if c.email.is_some() {
        values.push("email");
    }
    if c.phone.is_some() {
        values.push("phone");
    }
    if c.post {
        values.push("post");
    }
    let page = contact_page(
        &frame,
        StatusCode::OK,
        &session,
        values,
        c.email.as_deref().unwrap_or(""),
        c.phone.as_deref().unwrap_or(""),
        HashMap::new(),
    );
    with_session(&state, session, page)
}

/// An email address as the real service checked it: a local part, an `@`, and a domain with a dot.
fn valid_email(e: &str) -> bool {
    match e.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !e.contains(char::is_whitespace)
                && e.len() <= 254
        }
        None => false,
    }
}

/// 5 to 30 digits once spaces, brackets, dashes and a leading + are taken out.
fn valid_phone(p: &str) -> bool {
    let digits: String = p.chars().filter(|c| !matches!(c, ' ' | '(' | ')' | '-' | '+')).collect();
    (5..=30).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit())
}

pub async fn contact_post(posted: Posted) -> Response {
    let Posted { journey: Journey { state, mut frame, mut session }, form } = posted;
    let chosen: Vec<&str> = form.iter().filter(|(k, _)| k == "contact").map(|(_, v)| v.as_str()).collect();
    let (email, phone) = (field(&form, "email").trim(), field(&form, "phone").trim());
    let mut errors = HashMap::new();
    if chosen.is_empty() {
        errors.insert("contact".to_owned(), error(&mut frame, "error-contact-none", &[], "#contact"));
    }
    if chosen.contains(&"email") && !valid_email(email) {
        errors.insert("email".to_owned(), error(&mut frame, "error-contact-email", &[], "#email"));
    }
    if chosen.contains(&"phone") && !valid_phone(phone) {
        errors.insert("phone".to_owned(), error(&mut frame, "error-contact-phone", &[], "#phone"));
    }
    if errors.is_empty() {
        session.data.contact = Some(Contact {
            email: chosen.contains(&"email").then(|| email.to_owned()),
            phone: chosen.contains(&"phone").then(|| phone.to_owned()),
            post: chosen.contains(&"post"),
        });
        let next = onward(&session.data);
        return with_session(&state, session, next);
    }
    let page = contact_page(&frame, StatusCode::BAD_REQUEST, &session, chosen, email, phone, errors);
    with_session(&state, session, page)
}

// --- Check answers, declaration and submission ---------------------------------------------

/// The application, if every step has been answered.
fn details(a: &Answers) -> Option<(ApplicantDetails, GssCode)> {
    Some((
        ApplicantDetails {
            name: a.name.clone()?,
            previous_name: match a.previous_name.clone()? {
                PreviousName::Changed(n) => Some(n),
                PreviousName::Unchanged => None,
            },
            birth: a.birth.clone()?,
            nationality: a.nationality.clone()?,
            nino: a.nino.clone()?,
            address: a.address.clone()?,
            previous_address: a.moved.as_ref()?.previous_address().cloned(),
            was_overseas_voter: matches!(a.moved.as_ref()?, ier_domain::Moved::FromAbroadOverseasVoter(_)),
            other_address: a.other_address?,
            open_register: a.open_register?,
            postal_vote: a.postal_vote.clone()?,
            contact: a.contact.clone()?,
        },
        a.gss_code?,
    ))
}

fn summary_rows(frame: &Frame, a: &Answers) -> Vec<Value> {
    let yes_no = |b: Option<bool>| frame.t(if b == Some(true) { "yes" } else { "no" });
    let nationality = match &a.nationality {
        Some(Nationality::Stated { british, irish, others }) => {
            let mut parts = Vec::new();
            if *british {
                parts.push(frame.t("nationality-british"));
            }
            if *irish {
                parts.push(frame.t("nationality-irish"));
            }
            for c in others {
                let country = c.country();
                parts.push(if frame.language() == Language::Cy {
                    country.name_cy.clone()
                } else {
                    country.name.clone()
                });
            }
            parts.join(", ")
        }
        Some(Nationality::NotProvided { reason }) => frame.t_args("check-nationality-none", &[("reason", reason)]),
        None => String::new(),
    };
    let name = a.name.as_ref().map(|n| {
        [Some(n.given.to_string()), n.middle.as_ref().map(|m| m.to_string()), Some(n.surname.to_string())]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ")
    });
    let nino = match &a.nino {
        Some(OrReason::Given(n)) => n.to_string(),
        Some(OrReason::NotGiven { reason }) => frame.t_args("check-nino-none", &[("reason", reason)]),
        None => String::new(),
    };
    let contact = a
        .contact
        .as_ref()
        .map(|c| {
            let mut parts: Vec<String> = Vec::new();
            if let Some(e) = &c.email {
                parts.push(e.clone());
            }
            if let Some(p) = &c.phone {
                parts.push(p.clone());
            }
            if c.post {
                parts.push(frame.t("contact-post"));
            }
            parts.join(", ")
        })
        .unwrap_or_default();
    let full_name = |n: &PersonName| {
        [Some(n.given.to_string()), n.middle.as_ref().map(|m| m.to_string()), Some(n.surname.to_string())]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let previous_name = match &a.previous_name {
        Some(PreviousName::Changed(n)) => full_name(n),
        _ => frame.t("no"),
    };
    let other_address =
        a.other_address.map(|o| frame.t(&format!("other-address-{}", serde_plain(&o)))).unwrap_or_default();
    let moved = match &a.moved {
        Some(ier_domain::Moved::FromUk(addr)) => format!("{}: {}", frame.t("moved-from-uk"), addr.one_line()),
        Some(ier_domain::Moved::FromAbroadOverseasVoter(addr)) => {
            format!("{}: {}", frame.t("moved-from-abroad-overseas-voter"), addr.one_line())
        }
        Some(ier_domain::Moved::FromAbroad) => frame.t("moved-from-abroad"),
        _ => frame.t("moved-no"),
    };
    let postal_vote = match &a.postal_vote {
        Some(PostalVote::FormByEmail(email)) => frame.t_args("check-postal-vote-email", &[("email", email)]),
        Some(p) => frame.t(&format!("postal-vote-{}", serde_plain(p))),
        None => String::new(),
    };
    let residence = a.residence.map(|r| frame.t(&format!("country-{}", serde_plain(&r)))).unwrap_or_default();
    let rows: Vec<(&str, String, Step)> = vec![
        ("check-where", residence, Step::Country),
        ("check-nationality", nationality, Step::Nationality),
        (
            "check-dob",
            match &a.birth {
                Some(BirthDetails::Date(d)) => crate::render::long_date(d.date(), frame.language()),
                Some(BirthDetails::NotGiven { reason, range }) => frame.t_args(
                    "check-dob-none",
                    &[("reason", reason), ("range", &frame.t(&format!("dob-range-{}", range.as_str())))],
                ),
                None => String::new(),
            },
            Step::DateOfBirth,
        ),
        ("check-name", name.unwrap_or_default(), Step::Name),
        ("check-previous-name", previous_name, Step::PreviousName),
        ("check-nino", nino, Step::Nino),
        ("check-address", a.address.as_ref().map(Address::one_line).unwrap_or_default(), Step::Address),
        ("check-other-address", other_address, Step::OtherAddress),
        ("check-moved", moved, Step::Moved),
        ("check-open-register", yes_no(a.open_register), Step::OpenRegister),
        ("check-postal-vote", postal_vote, Step::PostalVote),
        ("check-contact", contact, Step::Contact),
    ];
    rows.into_iter()
        .map(|(key, value, step)| {
            let label = frame.t(key);
            context! {
                key => context! { text => label.clone() },
                value => context! { text => value },
                actions => context! { items => vec![context! { href => step.path(), text => frame.t("check-change"), visuallyHiddenText => label.to_lowercase() }] },
            }
        })
        .collect()
}

pub async fn check_get(journey: Journey) -> Response {
    let Journey { state, frame, session } = journey;
    if let Some(step) = next_step(&session.data) {
        return with_session(&state, session, Redirect::to(&step.path()));
    }
    let page = step_page(
        &frame,
        StatusCode::OK,
        "check_answers.html",
        &session,
        context! { rows => summary_rows(&frame, &session.data), error => "" },
    );
    with_session(&state, session, page)
}

pub async fn check_post(client: Client, posted: Posted) -> Response {
    let Posted { journey: Journey { state, mut frame, session }, form } = posted;
    let Some((details, gss_code)) = details(&session.data) else {
        let next = onward(&session.data);
        return with_session(&state, session, next);
    };
    if field(&form, "declaration") != "agreed" {
        let text = error(&mut frame, "error-declaration", &[], "#declaration");
        let page = step_page(
            &frame,
            StatusCode::BAD_REQUEST,
            "check_answers.html",
            &session,
            context! { rows => summary_rows(&frame, &session.data), error => text },
        );
        return with_session(&state, session, page);
    }
    if let Err(wait) = state.limiter.check(Action::Submission, client.0, std::time::Instant::now()) {
        ier_ops::metrics().submission("rate-limited").inc();
        return with_session(&state, session, too_many(&frame, wait));
    }
    let postal_vote = details.postal_vote.clone();
    let new =
        ier_storage::NewApplication { kind: ApplicationKind::Ordinary, language: frame.language(), gss_code, details };
    // The reference is shown only once the application is durably stored.
    match state.citizen.submit(new, Utc::now()).await {
        Ok(receipt) => {
            ier_ops::metrics().submission("stored").inc();
            tracing::info!(reference = %receipt.reference, ero = %receipt.ero_id, "application submitted");
            let mut done = state.sessions.start(Answers::default(), now());
            done.data.receipt = Some(Receipt { reference: receipt.reference, ero_id: receipt.ero_id, postal_vote });
            with_session(&state, done, Redirect::to(&format!("{PREFIX}/complete")))
        }
        Err(e) => {
            tracing::error!(error = %e, "submission failed");
            ier_ops::metrics().submission("failed").inc();
            ier_ops::metrics().error("storage").inc();
            let text = error(&mut frame, "error-submit-unavailable", &[], "#declaration");
            let mut page = step_page(
                &frame,
                StatusCode::SERVICE_UNAVAILABLE,
                "check_answers.html",
                &session,
                context! { rows => summary_rows(&frame, &session.data), error => text },
            );
            // Nothing was stored: the summary is shown again with every answer, to send again.
            page.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
            with_session(&state, session, page)
        }
    }
}

pub async fn complete(journey: Journey) -> Response {
    let Journey { state, frame, session } = journey;
    let Some(Receipt { reference, ero_id, postal_vote }) = session.data.receipt.clone() else {
        return with_session(&state, session, Redirect::to(&Step::Country.path()));
    };
    // From the reference data the store was loaded from: no database round trip on deadline day.
    let ero = state.locator.reference().ero(&ero_id).cloned();
    let ero_name = ero
        .as_ref()
        .map(|e| {
            if frame.language() == Language::Cy {
                e.name_cy.clone().unwrap_or_else(|| e.name.clone())
            } else {
                e.name.clone()
            }
        })
        .unwrap_or_else(|| ero_id.to_string());
    let contact: Vec<String> = ero
        .map(|e| {
            [e.contact.address, e.contact.phone, e.contact.email, e.contact.website].into_iter().flatten().collect()
        })
        .unwrap_or_default();
    let postal_vote = match &postal_vote {
        PostalVote::FormByPost => frame.t("complete-postal-vote-post"),
        PostalVote::FormByEmail(email) => frame.t_args("complete-postal-vote-email", &[("email", email)]),
        PostalVote::InPerson | PostalVote::AlreadyHave => String::new(),
    };
    let page = page(
        StatusCode::OK,
        "complete.html",
        &frame,
        context! { reference => reference.grouped(), ero_name, contact, postal_vote, contact_finder => ERO_CONTACT_FINDER },
    );
    // The receipt is shown once; the journey's state goes with it.
    cleared(&state, page)
}

// --- Questions with revealed fields: previous name, other address, moved --------------------

/// The three steps that are one choice, some answers revealing more fields.
#[derive(Clone, Copy)]
pub enum ChoiceStep {
    PreviousName,
    OtherAddress,
    Moved,
    PostalVote,
}

struct Option_ {
    value: &'static str,
    label: &'static str,
    fields: &'static [(&'static str, &'static str)],
}

/// A previous UK address typed on the "moved" page, its fields named
/// `{prefix}-line-1`, `{prefix}-town` and `{prefix}-postcode`; errors are added
/// by field. Any UK postcode, Northern Ireland's included.
fn previous_address(
    form: &[(String, String)],
    prefix: &str,
    frame: &mut Frame,
    errors: &mut HashMap<String, String>,
) -> Option<Address> {
    let clean = |n: &str| field(form, n).split_whitespace().collect::<Vec<_>>().join(" ");
    let (line_id, town_id, postcode_id) =
        (format!("{prefix}-line-1"), format!("{prefix}-town"), format!("{prefix}-postcode"));
    let (line, town) = (clean(&line_id), clean(&town_id));
    let before = errors.len();
    let mut fail = |frame: &mut Frame, id: &str, key: &str| {
        errors.insert(id.to_owned(), error(frame, key, &[], &format!("#{id}")));
    };
    if line.is_empty() || line.chars().count() > 100 {
        fail(frame, &line_id, &format!("error-{prefix}-line-1"));
    }
    if town.is_empty() || town.chars().count() > 100 {
        fail(frame, &town_id, &format!("error-{prefix}-town"));
    }
    let postcode = match Postcode::parse(field(form, &postcode_id)) {
        Ok(p) => Some(p),
        Err(ier_domain::postcode::PostcodeError::Empty) => {
            fail(frame, &postcode_id, "error-postcode-empty");
            None
        }
        Err(_) => {
            fail(frame, &postcode_id, "error-postcode-format");
            None
        }
    };
    let postcode = postcode.filter(|_| errors.len() == before)?;
    Some(Address { uprn: None, lines: vec![line], town, postcode })
}

impl ChoiceStep {
    fn title(self) -> &'static str {
        match self {
            ChoiceStep::PreviousName => "previous-name-title",
            ChoiceStep::OtherAddress => "other-address-title",
            ChoiceStep::Moved => "moved-title",
            ChoiceStep::PostalVote => "postal-vote-title",
        }
    }

    fn hint(self) -> Option<&'static str> {
        match self {
            ChoiceStep::PostalVote => Some("postal-vote-hint"),
            ChoiceStep::PreviousName | ChoiceStep::OtherAddress | ChoiceStep::Moved => None,
        }
    }

    fn options(self) -> Vec<Option_> {
        match self {
            ChoiceStep::PreviousName => vec![
                Option_ { value: "no", label: "no", fields: &[] },
                Option_ {
                    value: "yes",
                    label: "yes",
                    fields: &[
                        ("previous-given", "previous-name-given"),
                        ("previous-middle", "previous-name-middle"),
                        ("previous-surname", "previous-name-surname"),
                    ],
                },
            ],
            ChoiceStep::OtherAddress => vec![
                Option_ { value: "none", label: "other-address-none", fields: &[] },
                Option_ { value: "second-home", label: "other-address-second-home", fields: &[] },
                Option_ { value: "student", label: "other-address-student", fields: &[] },
            ],
            ChoiceStep::Moved => vec![
                Option_ { value: "no", label: "moved-no", fields: &[] },
                Option_ {
                    value: "from-uk",
                    label: "moved-from-uk",
                    fields: &[
                        ("moved-line-1", "moved-line-1"),
                        ("moved-town", "moved-town"),
                        ("moved-postcode", "moved-postcode"),
                    ],
                },
                Option_ {
                    value: "from-abroad-overseas-voter",
                    label: "moved-from-abroad-overseas-voter",
                    fields: &[
                        ("overseas-line-1", "overseas-line-1"),
                        ("overseas-town", "overseas-town"),
                        ("overseas-postcode", "overseas-postcode"),
                    ],
                },
                Option_ { value: "from-abroad", label: "moved-from-abroad", fields: &[] },
            ],
            ChoiceStep::PostalVote => vec![
                Option_ { value: "form-by-post", label: "postal-vote-form-by-post", fields: &[] },
                Option_ {
                    value: "form-by-email",
                    label: "postal-vote-form-by-email",
                    fields: &[("postal-vote-email", "postal-vote-email")],
                },
                Option_ { value: "in-person", label: "postal-vote-in-person", fields: &[] },
                Option_ { value: "already-have", label: "postal-vote-already-have", fields: &[] },
            ],
        }
    }

    /// The current answer as form values.
    fn current(self, a: &Answers) -> (String, HashMap<String, String>) {
        let mut values = HashMap::new();
        let chosen = match self {
            ChoiceStep::PreviousName => match &a.previous_name {
                Some(PreviousName::Changed(n)) => {
                    values.insert("previous-given".into(), n.given.to_string());
                    values
                        .insert("previous-middle".into(), n.middle.as_ref().map(|m| m.to_string()).unwrap_or_default());
                    values.insert("previous-surname".into(), n.surname.to_string());
                    "yes".into()
                }
                Some(PreviousName::Unchanged) => "no".into(),
                None => String::new(),
            },
            ChoiceStep::OtherAddress => a.other_address.map(|o| serde_plain(&o)).unwrap_or_default(),
            ChoiceStep::Moved => match &a.moved {
                Some(ier_domain::Moved::FromUk(addr)) => {
                    values.insert("moved-line-1".into(), addr.lines.first().cloned().unwrap_or_default());
                    values.insert("moved-town".into(), addr.town.clone());
                    values.insert("moved-postcode".into(), addr.postcode.to_string());
                    "from-uk".into()
                }
                Some(ier_domain::Moved::FromAbroadOverseasVoter(addr)) => {
                    values.insert("overseas-line-1".into(), addr.lines.first().cloned().unwrap_or_default());
                    values.insert("overseas-town".into(), addr.town.clone());
                    values.insert("overseas-postcode".into(), addr.postcode.to_string());
                    "from-abroad-overseas-voter".into()
                }
                Some(ier_domain::Moved::FromAbroad) => "from-abroad".into(),
                Some(ier_domain::Moved::No) => "no".into(),
                None => String::new(),
            },
            ChoiceStep::PostalVote => match &a.postal_vote {
                Some(PostalVote::FormByEmail(email)) => {
                    values.insert("postal-vote-email".into(), email.clone());
                    "form-by-email".into()
                }
                Some(p) => serde_plain(p),
                None => String::new(),
            },
        };
        (chosen, values)
    }

    /// Parse the posted answer into `a`, or say what is wrong, field by field.
    fn accept(
        self,
        a: &mut Answers,
        form: &[(String, String)],
        frame: &mut Frame,
    ) -> Result<(), HashMap<String, String>> {
        let chosen = field(form, "answer");
        let mut errors = HashMap::new();
        let mut fail = |frame: &mut Frame, id: &str, key: &str| {
            errors.insert(id.to_owned(), error(frame, key, &[], &format!("#{id}")));
        };
        match (self, chosen) {
            (ChoiceStep::PreviousName, "no") => a.previous_name = Some(PreviousName::Unchanged),
            (ChoiceStep::PreviousName, "yes") => {
                let (g, m, s) =
                    (field(form, "previous-given"), field(form, "previous-middle"), field(form, "previous-surname"));
                match PersonName::parse(g, m, s) {
                    Ok(n) => a.previous_name = Some(PreviousName::Changed(n)),
                    Err(problems) => {
                        for (part, e) in problems {
                            let (id, key) = match (part, e) {
                                (NamePart::Given, NameError::Empty) => ("previous-given", "error-previous-name-given"),
                                (NamePart::Surname, NameError::Empty) => {
                                    ("previous-surname", "error-previous-name-surname")
                                }
                                (NamePart::Given, _) => ("previous-given", "error-previous-name-invalid"),
                                (NamePart::Middle, _) => ("previous-middle", "error-previous-name-invalid"),
                                (NamePart::Surname, _) => ("previous-surname", "error-previous-name-invalid"),
                            };
                            fail(frame, id, key);
                        }
                    }
                }
            }
            (ChoiceStep::OtherAddress, v @ ("none" | "second-home" | "student")) => {
                a.other_address = Some(match v {
                    "second-home" => ier_domain::OtherAddress::SecondHome,
                    "student" => ier_domain::OtherAddress::Student,
                    _ => ier_domain::OtherAddress::None,
                });
            }
            (ChoiceStep::Moved, "no") => a.moved = Some(ier_domain::Moved::No),
            (ChoiceStep::Moved, "from-abroad") => a.moved = Some(ier_domain::Moved::FromAbroad),
            (ChoiceStep::Moved, "from-uk") => {
                if let Some(address) = previous_address(form, "moved", frame, &mut errors) {
                    a.moved = Some(ier_domain::Moved::FromUk(address));
                }
            }
            (ChoiceStep::Moved, "from-abroad-overseas-voter") => {
                if let Some(address) = previous_address(form, "overseas", frame, &mut errors) {
                    a.moved = Some(ier_domain::Moved::FromAbroadOverseasVoter(address));
                }
            }
            (ChoiceStep::PostalVote, "form-by-post") => a.postal_vote = Some(PostalVote::FormByPost),
            (ChoiceStep::PostalVote, "in-person") => a.postal_vote = Some(PostalVote::InPerson),
            (ChoiceStep::PostalVote, "already-have") => a.postal_vote = Some(PostalVote::AlreadyHave),
            (ChoiceStep::PostalVote, "form-by-email") => {
                let email = field(form, "postal-vote-email").trim();
                if valid_email(email) {
                    a.postal_vote = Some(PostalVote::FormByEmail(email.to_owned()));
                } else {
                    fail(frame, "postal-vote-email", "error-postal-vote-email");
                }
            }
            _ => {
                let key = match self {
                    ChoiceStep::PreviousName => "error-previous-name",
                    ChoiceStep::OtherAddress => "error-other-address",
                    ChoiceStep::Moved => "error-moved",
                    ChoiceStep::PostalVote => "error-postal-vote",
                };
                fail(frame, "answer", key);
            }
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }

    fn page(
        self,
        frame: &Frame,
        status: StatusCode,
        session: &Session<Answers>,
        chosen: &str,
        values: &HashMap<String, String>,
        errors: &HashMap<String, String>,
    ) -> Response {
        let options: Vec<Value> = self
            .options()
            .into_iter()
            .map(|o| {
                let fields: Vec<Value> =
                    o.fields.iter().map(|(name, label)| context! { name => *name, label => *label }).collect();
                context! { value => o.value, label => o.label, fields }
            })
            .collect();
        step_page(
            frame,
            status,
            "step_choice.html",
            session,
            context! { title_key => self.title(), hint_key => self.hint(), options, chosen, values, errors_by_field => errors },
        )
    }
}

pub async fn choice_get(q: ChoiceStep, journey: Journey) -> Response {
    let Journey { state, frame, session } = journey;
    let (chosen, values) = q.current(&session.data);
    let page = q.page(&frame, StatusCode::OK, &session, &chosen, &values, &HashMap::new());
    with_session(&state, session, page)
}

pub async fn choice_post(q: ChoiceStep, posted: Posted) -> Response {
    let Posted { journey: Journey { state, mut frame, mut session }, form } = posted;
    match q.accept(&mut session.data, &form, &mut frame) {
        Ok(()) => {
            let next = onward(&session.data);
            with_session(&state, session, next)
        }
        Err(errors) => {
            let values: HashMap<String, String> = form.iter().filter(|(k, _)| k != "csrf_token").cloned().collect();
            let chosen = field(&form, "answer").to_owned();
            let page = q.page(&frame, StatusCode::BAD_REQUEST, &session, &chosen, &values, &errors);
            with_session(&state, session, page)
        }
    }
}
