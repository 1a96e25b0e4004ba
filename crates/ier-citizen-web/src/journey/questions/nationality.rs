//! "What is your nationality?": British, Irish, up to three other countries,
//! or why it cannot be given. The franchise rules then decide what, if
//! anything, the applicant may vote in where they live.

use axum::http::StatusCode;
use axum::response::Response;
use ier_domain::nationality::NationalityError;
use ier_domain::{CountryCode, Nationality};
use minijinja::{Value, context};
use serde::Serialize;

use super::super::answers::{Answers, Slot};
use super::super::engine::{Cx, Form, Outcome, Question, Row, field, fields};
use super::{country_name, nationality_countries};

pub struct NationalityQ;

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

fn page(cx: &Cx, status: StatusCode, f: &NationalityForm, error: &str, reason_error: &str) -> Response {
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
    let ctx = context! {
        form => Value::from_serialize(f), values, error, reason_error, countries => nationality_countries(cx.frame.language()),
    };
    cx.page(status, "step_nationality.html", ctx)
}

fn parse(f: &NationalityForm) -> Result<Nationality, &'static str> {
    let others: Vec<&str> =
        if f.other { f.others.iter().map(String::as_str).filter(|s| !s.is_empty()).collect() } else { vec![] };
    let chosen = f.british || f.irish || !others.is_empty();
    if chosen && !f.reason.is_empty() {
        // Both a nationality and a reason for not giving one: say so, never drop either.
        return Err("error-nationality-and-reason");
    }
    if !chosen && !f.reason.is_empty() {
        return Nationality::not_provided(&f.reason).map_err(error_key);
    }
    let mut codes = Vec::new();
    for o in others {
        codes.push(CountryCode::parse(o).map_err(|_| "error-nationality-unknown-country")?);
    }
    Nationality::stated(f.british, f.irish, codes).map_err(error_key)
}

fn error_key(e: NationalityError) -> &'static str {
    match e {
        NationalityError::Nothing => "error-nationality-nothing",
        NationalityError::TooManyCountries => "error-nationality-too-many",
        NationalityError::BritishOrIrishAsOther => "error-nationality-british-or-irish",
        NationalityError::Duplicate => "error-nationality-duplicate",
        NationalityError::ReasonTooLong => "error-nationality-reason-too-long",
    }
}

impl Question for NationalityQ {
    fn slots(&self) -> &'static [Slot] {
        &[Slot::Nationality]
    }

    fn answered(&self, a: &Answers) -> bool {
        a.nationality.is_some()
    }

    fn show(&self, cx: &mut Cx, a: &Answers) -> Response {
        let f = a.nationality.as_ref().map(NationalityForm::from).unwrap_or_default();
        page(cx, StatusCode::OK, &f, "", "")
    }

    fn accept(&self, cx: &mut Cx, a: &mut Answers, form: &Form) -> Outcome {
        let chosen = fields(form, "nationality");
        let f = NationalityForm {
            british: chosen.contains(&"british"),
            irish: chosen.contains(&"irish"),
            other: chosen.contains(&"other"),
            others: [field(form, "other-1"), field(form, "other-2"), field(form, "other-3")]
                .map(|s| s.trim().to_owned()),
            reason: field(form, "reason").trim().to_owned(),
        };
        match parse(&f) {
            Ok(n) => {
                a.nationality = Some(n);
                Outcome::Saved
            }
            Err(key) => {
                if key == "error-nationality-and-reason" {
                    let text = cx.error(key, &[], "#reason");
                    return Outcome::Page(page(cx, StatusCode::BAD_REQUEST, &f, "", &text));
                }
                let text = cx.error(key, &[], "#nationality");
                Outcome::Page(page(cx, StatusCode::BAD_REQUEST, &f, &text, ""))
            }
        }
    }

    fn summary(&self, cx: &Cx, a: &Answers) -> Vec<Row> {
        let value = match &a.nationality {
            Some(Nationality::Stated { british, irish, others }) => {
                let mut parts = Vec::new();
                if *british {
                    parts.push(cx.t("nationality-british"));
                }
                if *irish {
                    parts.push(cx.t("nationality-irish"));
                }
                parts.extend(others.iter().map(|c| country_name(c, cx.frame.language())));
                parts.join(", ")
            }
            Some(Nationality::NotProvided { reason }) => cx.t_args("check-nationality-none", &[("reason", reason)]),
            None => String::new(),
        };
        vec![Row { label: cx.t("check-nationality"), value }]
    }
}
