//! "Am I registered?" (`/am-i-registered`): names, date of birth, postcode
//! and house → "You appear to be registered at this address", or "We cannot
//! find you: register now", with the council to contact and a plain note that
//! very recent changes may not show yet.
//!
//! It asks the person index ([`ier_storage::persons`]), which holds registers
//! only as keyed digests. The answer is yes or no and nothing else: never a
//! name, an address or a date the person did not type, nor whether someone
//! has applied. As "Check your application" does, it is posted (the date of
//! birth never in an address or a log), limited per client, and never faster
//! than [`MIN_ANSWER`], so its timing does not tell a yes from a no.
//! ARCHITECTURE.md ("Am I registered?") records what a yes and a no reveal.

use std::sync::Arc;
use std::time::Duration;

use axum::Form;
use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use ier_domain::name::{NameError, NamePart};
use ier_domain::{DateOfBirth, Determination, Language, PersonName, Postcode};
use ier_reference::Route;
use ier_storage::persons::{Person, Scope, Source};
use minijinja::context;
use serde::Deserialize;

use crate::AppState;
use crate::i18n::Lang;
use crate::limits::{Action, Client};
use crate::render::{FieldError, Frame, page};

/// The page's address.
pub const PATH: &str = "/am-i-registered";
/// Every answer takes at least this long, yes or no.
pub const MIN_ANSWER: Duration = Duration::from_millis(300);
/// The longest house name or number accepted.
const MAX_HOUSE: usize = 100;

#[derive(Debug, Default, Deserialize)]
pub struct RegisteredForm {
    #[serde(default, rename = "given-name")]
    given: String,
    #[serde(default)]
    surname: String,
    #[serde(default, rename = "dob-day")]
    day: String,
    #[serde(default, rename = "dob-month")]
    month: String,
    #[serde(default, rename = "dob-year")]
    year: String,
    #[serde(default)]
    postcode: String,
    #[serde(default)]
    house: String,
}

fn form_page(frame: Frame, status: StatusCode, form: &RegisteredForm) -> Response {
    let by_field = |id: &str| frame.errors.iter().find(|e| e.href == format!("#{id}")).map(|e| e.text.clone());
    page(
        status,
        "registered.html",
        &frame,
        context! {
            action => PATH, form => context! {
                given => form.given, surname => form.surname, day => form.day, month => form.month,
                year => form.year, postcode => form.postcode, house => form.house,
            },
            given_error => by_field("given-name"), surname_error => by_field("surname"),
            dob_error => by_field("dob-day"), postcode_error => by_field("postcode"), house_error => by_field("house"),
        },
    )
}

/// `GET /am-i-registered`: the form.
pub async fn show(lang: Lang, OriginalUri(uri): OriginalUri) -> Response {
    form_page(Frame::new(lang.language, uri.path()), StatusCode::OK, &RegisteredForm::default())
}

/// `POST /am-i-registered`: yes or no, or the form again with what was typed.
pub async fn lookup(
    State(state): State<Arc<AppState>>,
    client: Client,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
    Form(form): Form<RegisteredForm>,
) -> Response {
    let started = tokio::time::Instant::now();
    let mut frame = Frame::new(lang.language, uri.path());
    let error =
        |frame: &mut Frame, id: &str, text: String| frame.errors.push(FieldError { text, href: format!("#{id}") });
    // The fields first: a mistake in typing costs no look-up.
    let name = PersonName::parse(&form.given, "", &form.surname);
    if let Err(problems) = &name {
        for (part, e) in problems {
            let (id, field) = match part {
                NamePart::Surname => ("surname", frame.t("registered-surname")),
                _ => ("given-name", frame.t("registered-given")),
            };
            let text = match (part, e) {
                (NamePart::Surname, NameError::Empty) => frame.t("error-name-surname-empty"),
                (_, NameError::Empty) => frame.t("error-name-given-empty"),
                (_, NameError::TooLong { max }) => {
                    frame.t_args("error-name-too-long", &[("field", &field), ("max", &max.to_string())])
                }
                (_, NameError::MustStartWithLetter) => {
                    frame.t_args("error-name-must-start-with-letter", &[("field", &field)])
                }
                (_, NameError::InvalidCharacter) => frame.t_args("error-name-invalid", &[("field", &field)]),
            };
            error(&mut frame, id, text);
        }
    }
    let dob = DateOfBirth::parse(&form.day, &form.month, &form.year, Utc::now().date_naive());
    if let Err(e) = &dob {
        let (key, year) = crate::journey::dob_error_key(e);
        let text = frame.t_args(key, &[("year", &year)]);
        error(&mut frame, "dob-day", text);
    }
    let route = match form.postcode.trim() {
        "" => Err("error-postcode-empty"),
        p => match Postcode::parse(p) {
            Err(_) => Err("error-postcode-format"),
            Ok(postcode) => match state.locator.route(&postcode) {
                Route::Council { council, ero } => Ok((postcode, council, ero)),
                Route::Unknown => Err("error-registered-postcode-unknown"),
                _ => Err("error-registered-postcode-gb"),
            },
        },
    };
    if let Err(key) = route {
        let text = frame.t(key);
        error(&mut frame, "postcode", text);
    }
    let house = form.house.trim();
    if house.is_empty() {
        let text = frame.t("error-registered-house-empty");
        error(&mut frame, "house", text);
    } else if house.chars().count() > MAX_HOUSE {
        let field = frame.t("registered-house");
        let text = frame.t_args("error-name-too-long", &[("field", &field), ("max", &MAX_HOUSE.to_string())]);
        error(&mut frame, "house", text);
    }
    let (Ok(name), Ok(dob), Ok((postcode, council, ero))) = (name, dob, route) else {
        return form_page(frame, StatusCode::BAD_REQUEST, &form);
    };
    if !frame.errors.is_empty() {
        return form_page(frame, StatusCode::BAD_REQUEST, &form);
    }
    if let Err(wait) = state.limiter.check(Action::PersonLookup, client.0, std::time::Instant::now()) {
        return crate::journey::too_many(&frame, wait);
    }
    let (dob, postcode) = (dob.date().format("%Y-%m-%d").to_string(), postcode.compact());
    let person = Person {
        given: name.given.as_str(),
        surname: name.surname.as_str(),
        date_of_birth: Some(&dob),
        postcode: &postcode,
        line1: house,
        line2: "",
        uprn: None,
        nino: None,
    };
    let found = state.citizen.find_person(&person).await;
    // Yes or no, the answer comes no sooner than this.
    tokio::time::sleep_until(started + MIN_ANSWER).await;
    let registered = match found {
        Ok(found) => found.iter().any(|f| {
            f.scope == Scope::AtAddress
                && (f.found.source == Source::Elector || f.found.determination == Some(Determination::Approved))
        }),
        Err(e) => {
            tracing::error!(error = %e, "am-i-registered look-up failed");
            ier_ops::metrics().error("storage").inc();
            return crate::journey::unavailable(&frame);
        }
    };
    let language = frame.language();
    let ero = state.ero(&ero.id).unwrap_or_else(|| ero.clone());
    let (ero_name, contact) = crate::status::ero_words(&ero, language);
    let council_name = match (&council.name_cy, language) {
        (Some(cy), Language::Cy) => cy.clone(),
        _ => council.name.clone(),
    };
    page(
        StatusCode::OK,
        "registered_result.html",
        &frame,
        context! {
            registered, ero_name, council_name, contact,
            contact_finder => crate::journey::ERO_CONTACT_FINDER, again_href => PATH,
            register_href => "/register-to-vote", status_href => crate::status::PATH,
        },
    )
}
