//! Questions answered by choosing one option: a yes or no ([`YesNo`]), or
//! radios where some answers reveal more fields ([`Choice`]: a previous name,
//! a previous address's kind, a service and its regiment, a correspondence
//! address...). What each option means is the step's own small parse function;
//! the page is the same for all of them.

use std::collections::HashMap;

use axum::http::StatusCode;
use axum::response::Response;
use minijinja::{Value, context};

use super::super::answers::{Answers, Slot};
use super::super::engine::{Cx, Errors, Form, Outcome, Question, Row, field};
use super::fields::{FieldSpec, field_values};

/// Form values by field name.
pub type Values = HashMap<String, String>;

/// One option of a choice, and the fields it reveals.
pub struct Opt {
    pub value: &'static str,
    pub label: &'static str,
    pub fields: &'static [FieldSpec],
}

/// One question, radios, some answers revealing fields.
pub struct Choice {
    pub title: fn(&Answers) -> &'static str,
    pub hint: Option<&'static str>,
    pub options: &'static [Opt],
    pub slots: &'static [Slot],
    /// The message when nothing is chosen.
    pub error: &'static str,
    pub answered: fn(&Answers) -> bool,
    /// The current answer as the chosen option and its fields' values.
    pub current: fn(&Answers) -> (&'static str, Values),
    /// Take the chosen option (one of `options`) and its fields; record errors with `cx.fail`.
    pub accept: fn(&mut Cx, &mut Answers, &str, &Form, &mut Errors),
    pub summary: fn(&Cx, &Answers) -> Vec<Row>,
}

impl Choice {
    fn page(
        &self,
        cx: &Cx,
        a: &Answers,
        status: StatusCode,
        chosen: &str,
        values: &Values,
        errors: &Errors,
    ) -> Response {
        let language = cx.frame.language();
        let options: Vec<Value> = self
            .options
            .iter()
            .map(|o| {
                let fields: Vec<Value> = o.fields.iter().map(|f| f.context(language)).collect();
                context! { value => o.value, label => o.label, fields }
            })
            .collect();
        cx.page(
            status,
            "step_choice.html",
            context! {
                title_key => (self.title)(a), hint_key => self.hint, options, chosen, values, errors_by_field => errors,
            },
        )
    }
}

impl Question for Choice {
    fn slots(&self) -> &'static [Slot] {
        self.slots
    }

    fn answered(&self, a: &Answers) -> bool {
        (self.answered)(a)
    }

    fn show(&self, cx: &mut Cx, a: &Answers) -> Response {
        let (chosen, values) = if (self.answered)(a) { (self.current)(a) } else { ("", Values::new()) };
        self.page(cx, a, StatusCode::OK, chosen, &values, &Errors::new())
    }

    fn accept(&self, cx: &mut Cx, a: &mut Answers, form: &Form) -> Outcome {
        let chosen = field(form, "answer");
        let mut errors = Errors::new();
        match self.options.iter().find(|o| o.value == chosen) {
            Some(_) => {
                let mut next = a.clone();
                (self.accept)(cx, &mut next, chosen, form, &mut errors);
                if errors.is_empty() {
                    *a = next;
                    return Outcome::Saved;
                }
            }
            None => cx.fail(&mut errors, "answer", self.error, &[]),
        }
        let values = field_values(form);
        Outcome::Page(self.page(cx, a, StatusCode::BAD_REQUEST, chosen, &values, &errors))
    }

    fn summary(&self, cx: &Cx, a: &Answers) -> Vec<Row> {
        (self.summary)(cx, a)
    }
}

/// A yes or no question.
pub struct YesNo {
    pub title: fn(&Answers) -> &'static str,
    pub hint: Option<&'static str>,
    pub slots: &'static [Slot],
    pub get: fn(&Answers) -> Option<bool>,
    pub set: fn(&mut Answers, bool),
    pub error: &'static str,
    /// Its label on "Check your answers".
    pub check: &'static str,
}

impl YesNo {
    fn page(&self, cx: &Cx, a: &Answers, status: StatusCode, value: &str, error: &str) -> Response {
        cx.page(
            status,
            "step_yes_no.html",
            context! { title_key => (self.title)(a), hint_key => self.hint, value, error },
        )
    }
}

impl Question for YesNo {
    fn slots(&self) -> &'static [Slot] {
        self.slots
    }

    fn answered(&self, a: &Answers) -> bool {
        (self.get)(a).is_some()
    }

    fn show(&self, cx: &mut Cx, a: &Answers) -> Response {
        let value = match (self.get)(a) {
            Some(true) => "yes",
            Some(false) => "no",
            None => "",
        };
        self.page(cx, a, StatusCode::OK, value, "")
    }

    fn accept(&self, cx: &mut Cx, a: &mut Answers, form: &Form) -> Outcome {
        match field(form, "answer") {
            v @ ("yes" | "no") => {
                (self.set)(a, v == "yes");
                Outcome::Saved
            }
            _ => {
                let text = cx.error(self.error, &[], "#answer");
                Outcome::Page(self.page(cx, a, StatusCode::BAD_REQUEST, "", &text))
            }
        }
    }

    fn summary(&self, cx: &Cx, a: &Answers) -> Vec<Row> {
        let value = cx.t(if (self.get)(a) == Some(true) { "yes" } else { "no" });
        vec![Row { label: cx.t(self.check), value }]
    }
}
