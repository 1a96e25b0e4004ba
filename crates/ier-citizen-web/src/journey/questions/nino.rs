//! "What is your National Insurance number?", or why it cannot be given.

use axum::http::StatusCode;
use axum::response::Response;
use ier_domain::nino::NinoError;
use ier_domain::{Nino, OrReason};
use minijinja::context;

use super::super::answers::{Answers, Slot};
use super::super::engine::{Cx, Form, Outcome, Question, Row, field};

/// The longest reason accepted for not giving a National Insurance number.
pub const REASON_MAX: usize = 500;

pub struct NinoQ;

/// The example on the page (GOV.UK's own, on a prefix never issued): typing it
/// gets its own message, not one that recommends it.
fn is_the_example(typed: &str) -> bool {
    let compact: String = typed.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    compact.eq_ignore_ascii_case("QQ123456C")
}

fn page(cx: &Cx, status: StatusCode, nino: &str, reason: &str, error: &str, reason_error: &str) -> Response {
    cx.page(status, "step_nino.html", context! { nino, reason, error, reason_error })
}

impl Question for NinoQ {
    fn slots(&self) -> &'static [Slot] {
        &[Slot::Nino]
    }

    fn answered(&self, a: &Answers) -> bool {
        a.nino.is_some()
    }

    fn show(&self, cx: &mut Cx, a: &Answers) -> Response {
        let (nino, reason) = match &a.nino {
            Some(OrReason::Given(n)) => (n.to_string(), String::new()),
            Some(OrReason::NotGiven { reason }) => (String::new(), reason.clone()),
            None => Default::default(),
        };
        page(cx, StatusCode::OK, &nino, &reason, "", "")
    }

    fn accept(&self, cx: &mut Cx, a: &mut Answers, form: &Form) -> Outcome {
        let (typed, reason) = (field(form, "nino"), field(form, "nino-reason").trim());
        let parsed = if !typed.trim().is_empty() && !reason.is_empty() {
            // A number and a reason for not giving one: say so rather than drop either.
            let text = cx.error("error-nino-and-reason", &[], "#nino-reason");
            return Outcome::Page(page(cx, StatusCode::BAD_REQUEST, typed, reason, "", &text));
        } else if typed.trim().is_empty() && !reason.is_empty() {
            if reason.chars().count() > REASON_MAX {
                let text = cx.error("error-nino-reason-too-long", &[], "#nino-reason");
                return Outcome::Page(page(cx, StatusCode::BAD_REQUEST, typed, reason, "", &text));
            }
            Ok(OrReason::NotGiven { reason: reason.to_owned() })
        } else if is_the_example(typed) {
            Err("error-nino-example")
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
                a.nino = Some(n);
                Outcome::Saved
            }
            Err(key) => {
                let text = cx.error(key, &[], "#nino");
                Outcome::Page(page(cx, StatusCode::BAD_REQUEST, typed, reason, &text, ""))
            }
        }
    }

    fn summary(&self, cx: &Cx, a: &Answers) -> Vec<Row> {
        let value = match &a.nino {
            Some(OrReason::Given(n)) => n.to_string(),
            Some(OrReason::NotGiven { reason }) => cx.t_args("check-nino-none", &[("reason", reason)]),
            None => String::new(),
        };
        vec![Row { label: cx.t("check-nino"), value }]
    }
}
