//! "What is your name?": first name, middle names and last name, parsed into
//! the domain's name types (35 / 100 / 35 characters, letters of any script).

use std::collections::HashMap;

use axum::http::StatusCode;
use axum::response::Response;
use ier_domain::PersonName;
use ier_domain::name::{NameError, NamePart};
use minijinja::context;

use super::super::answers::{Answers, Slot};
use super::super::engine::{Cx, Errors, Form, Outcome, Question, Row, field};
use super::full_name;

pub struct Name;

/// The errors of the applicant's name's parts, each against its field (`ids`: given, middle, surname).
pub fn name_errors(cx: &mut Cx, problems: Vec<(NamePart, NameError)>, ids: [&str; 3], labels: [&str; 3]) -> Errors {
    let mut by_field = HashMap::new();
    for (part, e) in problems {
        let (id, label_key) = match part {
            NamePart::Given => (ids[0], labels[0]),
            NamePart::Middle => (ids[1], labels[1]),
            NamePart::Surname => (ids[2], labels[2]),
        };
        let field_name = super::fields::label_name(cx, label_key);
        let href = format!("#{id}");
        let text = match (part, e) {
            (NamePart::Given, NameError::Empty) => cx.error("error-name-given-empty", &[], &href),
            (NamePart::Surname, NameError::Empty) => cx.error("error-name-surname-empty", &[], &href),
            (NamePart::Middle, NameError::Empty) => cx.error("error-name-invalid", &[("field", &field_name)], &href),
            (_, NameError::TooLong { max }) => {
                cx.error("error-name-too-long", &[("field", &field_name), ("max", &max.to_string())], &href)
            }
            (_, NameError::MustStartWithLetter) => {
                cx.error("error-name-must-start-with-letter", &[("field", &field_name)], &href)
            }
            (_, _) => cx.error("error-name-invalid", &[("field", &field_name)], &href),
        };
        by_field.insert(id.to_owned(), text);
    }
    by_field
}

impl Question for Name {
    fn slots(&self) -> &'static [Slot] {
        &[Slot::Name]
    }

    fn answered(&self, a: &Answers) -> bool {
        a.name.is_some()
    }

    fn show(&self, cx: &mut Cx, a: &Answers) -> Response {
        let (g, m, s) = a
            .name
            .as_ref()
            .map(|n| {
                (
                    n.given.to_string(),
                    n.middle.as_ref().map(|m| m.to_string()).unwrap_or_default(),
                    n.surname.to_string(),
                )
            })
            .unwrap_or_default();
        cx.page(
            StatusCode::OK,
            "step_name.html",
            context! { given => g, middle => m, surname => s, errors_by_field => HashMap::<String, String>::new() },
        )
    }

    fn accept(&self, cx: &mut Cx, a: &mut Answers, form: &Form) -> Outcome {
        let (g, m, s) = (field(form, "given-name"), field(form, "middle-names"), field(form, "surname"));
        match PersonName::parse(g, m, s) {
            Ok(name) => {
                a.name = Some(name);
                Outcome::Saved
            }
            Err(problems) => {
                let by_field = name_errors(
                    cx,
                    problems,
                    ["given-name", "middle-names", "surname"],
                    ["name-given", "name-middle", "name-surname"],
                );
                Outcome::Page(cx.page(
                    StatusCode::BAD_REQUEST,
                    "step_name.html",
                    context! { given => g, middle => m, surname => s, errors_by_field => by_field },
                ))
            }
        }
    }

    fn summary(&self, cx: &Cx, a: &Answers) -> Vec<Row> {
        vec![Row { label: cx.t("check-name"), value: a.name.as_ref().map(full_name).unwrap_or_default() }]
    }
}
