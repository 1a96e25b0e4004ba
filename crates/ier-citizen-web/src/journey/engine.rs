//! The journey engine: a journey is data ([`Flow`]: its steps in order, each a
//! [`Question`] with the rule that says when it applies), and this module walks
//! any of them: which step comes next, where Back goes, which answers no longer
//! apply and are dropped, and what "Check your answers" lists.
//!
//! Navigation, as the GOV.UK patterns have it:
//! - before the applicant reaches "Check your answers", each answer leads to
//!   the next step that applies (already answered ones show their answers);
//! - once they have, an answer (a "Change") returns to the summary, unless it
//!   made a question apply that has no answer yet: that is asked first;
//! - Back goes to the previous step that applies (to the summary while
//!   reviewing);
//! - after every answer, the answers of every slot that no applicable step
//!   asks are dropped, so the summary never shows, and the application never
//!   carries, an answer to a question that does not apply.

use std::collections::HashMap;
use std::net::IpAddr;

use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use minijinja::{Value, context};

use super::answers::{Answers, JourneyKind, Slot};
use crate::AppState;
use crate::render::{FieldError, Frame, page};

/// A posted form: fields in the order sent.
pub type Form = [(String, String)];

/// The first value of a form field ("" if absent).
pub fn field<'a>(form: &'a Form, name: &str) -> &'a str {
    form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("")
}

/// Every value of a repeated form field (checkboxes).
pub fn fields<'a>(form: &'a Form, name: &str) -> Vec<&'a str> {
    form.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
}

/// Errors by field id.
pub type Errors = HashMap<String, String>;

/// Why a journey ends here (the applicant cannot register with this service, or not yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    /// Registration in Northern Ireland is EONI's.
    NorthernIreland,
    /// Below the age to register: from this date.
    TooYoung { min_age: u32, from: Option<NaiveDate> },
    /// No election where they live is open to their nationality.
    NoFranchise,
}

/// What a step made of a posted answer.
pub enum Outcome {
    /// Saved: go on.
    Saved,
    /// Not saved (or a sub-page's answer): this page instead (errors shown, values kept).
    Page(Response),
    /// Saved, and this page is the answer (the address picker shown in place).
    Shown(Response),
    /// Saved, and the applicant continues on another page of this step (an address picker).
    SubPage(&'static str),
    /// Saved: the applicant is walking another journey from here (an ordinary
    /// applicant who lives abroad).
    Switch(JourneyKind),
    /// The journey ends here.
    Exit(Exit),
}

/// One row of "Check your answers".
pub struct Row {
    pub label: String,
    pub value: String,
}

/// What a question needs to show or take a page: the request's frame
/// (language, path, errors, Back link) and the service.
pub struct Cx<'a> {
    pub state: &'a AppState,
    pub frame: Frame,
    pub csrf: &'a str,
    pub today: NaiveDate,
    /// The step's own path (its sub-pages are below it).
    pub step_path: &'a str,
    /// The sub-page requested, if any (`select`, `manual`).
    pub sub: Option<&'a str>,
    pub client: IpAddr,
    /// The page's script asked for a fragment (the address picker in place).
    pub fragment: bool,
}

impl Cx<'_> {
    /// A step page: the template with the frame, the CSRF token and the form's action.
    pub fn page(&self, status: StatusCode, template: &str, values: Value) -> Response {
        let ctx = context! { csrf_token => self.csrf, action => self.frame.path.clone(), ..values };
        page(status, template, &self.frame, ctx)
    }

    /// Record an error for the error summary; returns its text for the field.
    pub fn error(&mut self, key: &str, args: &[(&str, &str)], href: &str) -> String {
        let text = self.frame.t_args(key, args);
        self.frame.errors.push(FieldError { text: text.clone(), href: href.to_owned() });
        text
    }

    /// Record an error against a field id (linked as `#id`).
    pub fn fail(&mut self, errors: &mut Errors, id: &str, key: &str, args: &[(&str, &str)]) {
        let text = self.error(key, args, &format!("#{id}"));
        errors.insert(id.to_owned(), text);
    }

    pub fn t(&self, key: &str) -> String {
        self.frame.t(key)
    }

    pub fn t_args(&self, key: &str, args: &[(&str, &str)]) -> String {
        self.frame.t_args(key, args)
    }

    pub fn sub_path(&self, sub: &str) -> String {
        format!("{}/{sub}", self.step_path)
    }
}

/// One kind of question: how its page shows the current answer, how it takes
/// a posted answer into [`Answers`] (parsing into domain types, or saying what
/// is wrong with every value kept), and what it shows on "Check your answers".
pub trait Question: Send + Sync {
    /// The answer slots this question fills (kept while the step applies).
    fn slots(&self) -> &'static [Slot];
    /// Whether it has been answered.
    fn answered(&self, a: &Answers) -> bool;
    /// The page (or, with `cx.sub`, one of its sub-pages) with the current answer.
    fn show(&self, cx: &mut Cx, a: &Answers) -> Response;
    /// Take a posted answer. The answers change only when it is taken (an
    /// outcome other than [`Outcome::Page`]): a page showing errors leaves them as they were.
    fn accept(&self, cx: &mut Cx, a: &mut Answers, form: &Form) -> Outcome;
    /// Its rows on "Check your answers" (labels in the page's language).
    fn summary(&self, cx: &Cx, a: &Answers) -> Vec<Row>;
    /// The sub-pages it has below its path.
    fn subpages(&self) -> &'static [&'static str] {
        &[]
    }
}

/// A rule saying when a step applies, from the answers so far and today's date.
pub type Applies = fn(&Answers, NaiveDate) -> bool;

pub fn always(_: &Answers, _: NaiveDate) -> bool {
    true
}

/// One step of a journey: its page's path, its question, and when it applies.
pub struct Step {
    pub path: String,
    pub question: Box<dyn Question>,
    pub applies: Applies,
}

/// A journey: its steps in order, where it starts, and its own pages.
pub struct Flow {
    pub kind: JourneyKind,
    /// `/register-to-vote` or `/register-to-vote/overseas`...: its start, check-answers and complete pages are below it.
    pub prefix: &'static str,
    /// Where Back goes from the first step.
    pub entry: &'static str,
    pub steps: Vec<Step>,
    /// The journey ends here when the rules say so (after every answer).
    pub exit: fn(&Answers, NaiveDate) -> Option<Exit>,
    /// For each slot (by `Slot as usize`), the steps that ask it.
    askers: Vec<Vec<usize>>,
}

impl Flow {
    pub fn new(
        kind: JourneyKind,
        prefix: &'static str,
        entry: &'static str,
        exit: fn(&Answers, NaiveDate) -> Option<Exit>,
        steps: Vec<Step>,
    ) -> Self {
        let askers = Slot::ALL
            .iter()
            .map(|slot| (0..steps.len()).filter(|i| steps[*i].question.slots().contains(slot)).collect())
            .collect();
        Self { kind, prefix, entry, steps, exit, askers }
    }

    pub fn check_path(&self) -> String {
        format!("{}/check-answers", self.prefix)
    }

    pub fn complete_path(&self) -> String {
        format!("{}/complete", self.prefix)
    }

    pub fn start_path(&self) -> String {
        format!("{}/start", self.prefix)
    }

    /// The step at `path`, or a sub-page of it: its index and the sub-page.
    pub fn find<'p>(&self, path: &'p str) -> Option<(usize, Option<&'p str>)> {
        self.steps.iter().enumerate().find_map(|(i, s)| {
            if path == s.path {
                return Some((i, None));
            }
            let sub = path.strip_prefix(s.path.as_str())?.strip_prefix('/')?;
            s.question.subpages().contains(&sub).then_some((i, Some(sub)))
        })
    }

    pub fn applies(&self, i: usize, a: &Answers, today: NaiveDate) -> bool {
        (self.steps[i].applies)(a, today)
    }

    /// Drop the answer of every slot that no applicable step asks (repeated
    /// until nothing changes: dropping an answer can stop another step applying).
    pub fn prune(&self, a: &mut Answers, today: NaiveDate) {
        for _ in 0..Slot::ALL.len() {
            let applies: Vec<bool> = (0..self.steps.len()).map(|i| self.applies(i, a, today)).collect();
            let mut changed = false;
            for slot in Slot::ALL {
                if a.has(slot) && !self.askers[slot as usize].iter().any(|i| applies[*i]) {
                    a.clear(slot);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
    }

    /// The first step that applies and has no answer.
    pub fn first_unanswered(&self, a: &Answers, today: NaiveDate) -> Option<usize> {
        (0..self.steps.len()).find(|i| self.applies(*i, a, today) && !self.steps[*i].question.answered(a))
    }

    /// Where to go after answering step `i`: the next step that applies (or,
    /// while reviewing, the first unanswered one), but never past a step that
    /// applies and has no answer (an answer can make an earlier step apply, or
    /// send the applicant back to one, as "change my address" does).
    pub fn onward(&self, i: usize, a: &Answers, today: NaiveDate) -> String {
        let unanswered = self.first_unanswered(a, today);
        let next = if a.reviewing {
            unanswered
        } else {
            let after = (i + 1..self.steps.len()).find(|j| self.applies(*j, a, today));
            match (unanswered, after) {
                (Some(u), Some(n)) => Some(u.min(n)),
                (u, n) => n.or(u),
            }
        };
        match next {
            Some(j) => self.steps[j].path.clone(),
            None => match self.first_unanswered(a, today) {
                Some(j) => self.steps[j].path.clone(),
                None => self.check_path(),
            },
        }
    }

    /// Where the journey continues from: the first unanswered step, or the summary.
    pub fn resume(&self, a: &Answers, today: NaiveDate) -> String {
        match self.first_unanswered(a, today) {
            Some(j) => self.steps[j].path.clone(),
            None => self.check_path(),
        }
    }

    /// Where Back goes from step `i` (the summary while reviewing).
    pub fn back(&self, i: usize, a: &Answers, today: NaiveDate) -> String {
        if a.reviewing && self.first_unanswered(a, today).is_none_or(|u| u >= i) {
            return self.check_path();
        }
        (0..i).rev().find(|j| self.applies(*j, a, today)).map_or(self.entry.to_owned(), |j| self.steps[j].path.clone())
    }

    /// Where Back goes from the summary: the last step that applies.
    pub fn back_from_check(&self, a: &Answers, today: NaiveDate) -> String {
        (0..self.steps.len())
            .rev()
            .find(|j| self.applies(*j, a, today))
            .map_or(self.entry.to_owned(), |j| self.steps[j].path.clone())
    }
}
