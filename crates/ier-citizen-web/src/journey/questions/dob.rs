//! "What is your date of birth?", or (where the journey allows it) why it
//! cannot be given and an age range. The age rules that follow are data.

use std::collections::HashMap;

use axum::http::StatusCode;
use axum::response::Response;
use ier_domain::dates::DateOfBirthError;
use ier_domain::{AgeRange, BirthDetails, DateOfBirth, Rules};
use minijinja::context;

use super::super::answers::{Answers, Slot};
use super::super::engine::{Cx, Errors, Form, Outcome, Question, Row, field};

/// The longest reason accepted for not giving a date of birth.
pub const REASON_MAX: usize = 500;

/// The message for a date of birth that does not parse, and its `year` argument.
pub fn error_key(e: &DateOfBirthError) -> (&'static str, String) {
    match e {
        DateOfBirthError::Missing => ("error-dob-missing", String::new()),
        DateOfBirthError::NotANumber => ("error-dob-not-a-number", String::new()),
        DateOfBirthError::NotARealDate => ("error-dob-not-a-real-date", String::new()),
        DateOfBirthError::InTheFuture => ("error-dob-in-the-future", String::new()),
        DateOfBirthError::TooLongAgo(y) => ("error-dob-too-long-ago", y.to_string()),
    }
}

pub struct DateOfBirthQ {
    /// Whether the applicant may say why they cannot give it (not overseas electors).
    pub may_decline: bool,
}

/// The age ranges offered where the applicant says they live: 14 to 15 only
/// where the rules let 14-year-olds register.
fn age_ranges(cx: &Cx, a: &Answers) -> Vec<&'static str> {
    let youngest = a.nation().and_then(|n| Rules::current().register_age(n, cx.today)).map(|r| r.min_age);
    AgeRange::ALL
        .into_iter()
        .filter(|r| match (r.oldest(), youngest) {
            (Some(oldest), Some(youngest)) => oldest >= youngest,
            _ => true,
        })
        .map(|r| r.as_str())
        .collect()
}

impl DateOfBirthQ {
    #[allow(clippy::too_many_arguments, reason = "one page's form values, each kept as entered")]
    fn page(
        &self,
        cx: &Cx,
        a: &Answers,
        status: StatusCode,
        (day, month, year): (&str, &str, &str),
        reason: &str,
        range: &str,
        errors: &HashMap<String, String>,
    ) -> Response {
        let cannot_open = !reason.is_empty() || !range.is_empty();
        let age_ranges = if self.may_decline { age_ranges(cx, a) } else { Vec::new() };
        cx.page(
            status,
            "step_dob.html",
            context! {
                day, month, year, reason, range, cannot_open, may_decline => self.may_decline,
                age_ranges, errors_by_field => errors,
            },
        )
    }

    /// The date of birth, or (with no date typed) the reason and age range; else the errors by field.
    fn parse(&self, cx: &mut Cx, form: &Form) -> Result<BirthDetails, Errors> {
        let (d, m, y) = (field(form, "dob-day"), field(form, "dob-month"), field(form, "dob-year"));
        let (reason, range) = (field(form, "dob-reason").trim(), field(form, "dob-range"));
        let mut errors = HashMap::new();
        let no_date = [d, m, y].iter().all(|p| p.trim().is_empty());
        if self.may_decline && no_date && (!reason.is_empty() || !range.is_empty()) {
            if reason.is_empty() {
                cx.fail(&mut errors, "dob-reason", "error-dob-reason-missing", &[]);
            } else if reason.chars().count() > REASON_MAX {
                cx.fail(&mut errors, "dob-reason", "error-dob-reason-too-long", &[("max", &REASON_MAX.to_string())]);
            }
            // A range not offered here (14 to 15 in England) is judged by the rules, as a date would be.
            let range = range.parse::<AgeRange>().ok();
            if range.is_none() {
                cx.fail(&mut errors, "dob-range", "error-dob-range", &[]);
            }
            return match (errors.is_empty(), range) {
                (true, Some(range)) => Ok(BirthDetails::NotGiven { reason: reason.to_owned(), range }),
                _ => Err(errors),
            };
        }
        if self.may_decline && !no_date && !reason.is_empty() {
            // A date and a reason for not giving one: say so rather than drop either. (An
            // age range alone is ignored: a radio once chosen cannot be unchosen without JavaScript.)
            cx.fail(&mut errors, "dob-reason", "error-dob-and-reason", &[]);
            return Err(errors);
        }
        DateOfBirth::parse(d, m, y, cx.today).map(BirthDetails::Date).map_err(|e| {
            let (key, year) = error_key(&e);
            cx.fail(&mut errors, "dob-day", key, &[("year", &year)]);
            errors
        })
    }
}

impl Question for DateOfBirthQ {
    fn slots(&self) -> &'static [Slot] {
        &[Slot::Birth]
    }

    fn answered(&self, a: &Answers) -> bool {
        match &a.birth {
            Some(BirthDetails::Date(_)) => true,
            Some(BirthDetails::NotGiven { .. }) => self.may_decline,
            None => false,
        }
    }

    fn show(&self, cx: &mut Cx, a: &Answers) -> Response {
        let (mut d, mut m, mut y, mut reason, mut range) = Default::default();
        match &a.birth {
            Some(BirthDetails::Date(dob)) => {
                let date = dob.date();
                d = chrono::Datelike::day(&date).to_string();
                m = chrono::Datelike::month(&date).to_string();
                y = chrono::Datelike::year(&date).to_string();
            }
            Some(BirthDetails::NotGiven { reason: r, range: g }) if self.may_decline => {
                reason = r.clone();
                range = g.as_str().to_owned();
            }
            _ => {}
        }
        self.page(cx, a, StatusCode::OK, (&d, &m, &y), &reason, &range, &HashMap::new())
    }

    fn accept(&self, cx: &mut Cx, a: &mut Answers, form: &Form) -> Outcome {
        match self.parse(cx, form) {
            Ok(birth) => {
                a.birth = Some(birth);
                Outcome::Saved
            }
            Err(errors) => {
                let (d, m, y) = (field(form, "dob-day"), field(form, "dob-month"), field(form, "dob-year"));
                let (reason, range) = (field(form, "dob-reason"), field(form, "dob-range"));
                Outcome::Page(self.page(cx, a, StatusCode::BAD_REQUEST, (d, m, y), reason, range, &errors))
            }
        }
    }

    fn summary(&self, cx: &Cx, a: &Answers) -> Vec<Row> {
        let value = match &a.birth {
            Some(BirthDetails::Date(d)) => crate::render::long_date(d.date(), cx.frame.language()),
            Some(BirthDetails::NotGiven { reason, range }) => cx.t_args(
                "check-dob-none",
                &[("reason", reason), ("range", &cx.t(&format!("dob-range-{}", range.as_str())))],
            ),
            None => String::new(),
        };
        vec![Row { label: cx.t("check-dob"), value }]
    }
}
