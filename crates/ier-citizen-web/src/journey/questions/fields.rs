//! Pages of fields ([`Fields`]: a job, a rank, a passport, an address
//! abroad...) and of statements to tick ([`Checks`]), described as data: each
//! field's name, label, hint and kind; the step's own function parses what was
//! posted into domain types with the helpers here, recording an error per field.

use axum::http::StatusCode;
use axum::response::Response;
use ier_domain::kinds::{PastDateError, TextError};
use ier_domain::{CountryCode, Language, PastDate, Text, YearMonth};
use minijinja::{Value, context};

use super::super::answers::{Answers, Slot};
use super::super::engine::{Cx, Errors, Form, Outcome, Question, Row, field, fields};
use super::address_countries;
use super::choice::Values;

/// What a field is.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    /// A short code or number (narrow input, no spellcheck).
    Code,
    Email,
    Textarea,
    /// A country outside the UK, from the list.
    Country,
    /// Day, month and year (`{name}-day`, `{name}-month`, `{name}-year`).
    Date,
    /// Month and year (`{name}-month`, `{name}-year`).
    MonthYear,
}

/// One field of a page, or one revealed by a choice.
pub struct FieldSpec {
    /// Its form name and id.
    pub name: &'static str,
    /// Message keys: its label, its hint.
    pub label: &'static str,
    pub hint: Option<&'static str>,
    pub kind: FieldKind,
    /// `autocomplete` token, if any.
    pub autocomplete: Option<&'static str>,
    /// Message key of its name inside an error message, when its label does not
    /// read as one (a question, or a label with an example in it).
    pub noun: Option<&'static str>,
}

impl FieldSpec {
    pub const fn new(name: &'static str, label: &'static str, kind: FieldKind) -> Self {
        Self { name, label, hint: None, kind, autocomplete: None, noun: None }
    }

    pub const fn hint(mut self, hint: &'static str) -> Self {
        self.hint = Some(hint);
        self
    }

    pub const fn autocomplete(mut self, token: &'static str) -> Self {
        self.autocomplete = Some(token);
        self
    }

    pub const fn noun(mut self, key: &'static str) -> Self {
        self.noun = Some(key);
        self
    }

    /// The field as the templates render it.
    pub fn context(&self, language: Language) -> Value {
        let type_ = match self.kind {
            FieldKind::Text => "text",
            FieldKind::Code => "code",
            FieldKind::Email => "email",
            FieldKind::Textarea => "textarea",
            FieldKind::Country => "country",
            FieldKind::Date => "date",
            FieldKind::MonthYear => "month-year",
        };
        let items = if self.kind == FieldKind::Country { Some(address_countries(language)) } else { None };
        context! {
            name => self.name, label => self.label, hint => self.hint, type => type_, items,
            autocomplete => self.autocomplete,
        }
    }
}

/// Every posted field but the CSRF token, to show again as typed.
pub fn field_values(form: &Form) -> Values {
    form.iter().filter(|(k, _)| k != "csrf_token").cloned().collect()
}

/// A field's name for use inside a message: its noun, or its label without
/// "(optional)". English messages start with it; Welsh ones put it mid-sentence,
/// so there its first letter is lower case (and only that: proper nouns keep theirs).
pub fn field_name(cx: &Cx, spec: &FieldSpec) -> String {
    label_name(cx, spec.noun.unwrap_or(spec.label))
}

/// [`field_name`] of a message key.
pub fn label_name(cx: &Cx, key: &str) -> String {
    let l = cx.t(key);
    let l = l.trim_end_matches(" (optional)").trim_end_matches(" (dewisol)");
    if cx.frame.language() != Language::Cy {
        return l.to_owned();
    }
    let mut chars = l.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A required line of text, at most `max` characters; `empty` is the message key when it is missing.
pub fn required_text(
    cx: &mut Cx,
    errors: &mut Errors,
    form: &Form,
    spec: &FieldSpec,
    empty: &str,
    max: usize,
) -> Option<Text> {
    match Text::parse(field(form, spec.name), max) {
        Ok(t) => Some(t),
        Err(e) => {
            text_error(cx, errors, spec, empty, e);
            None
        }
    }
}

/// An optional line of text: `Ok(None)` when left empty.
pub fn optional_text(cx: &mut Cx, errors: &mut Errors, form: &Form, spec: &FieldSpec, max: usize) -> Option<Text> {
    match Text::parse(field(form, spec.name), max) {
        Ok(t) => Some(t),
        Err(TextError::Empty) => None,
        Err(e) => {
            text_error(cx, errors, spec, "", e);
            None
        }
    }
}

fn text_error(cx: &mut Cx, errors: &mut Errors, spec: &FieldSpec, empty: &str, e: TextError) {
    let name = field_name(cx, spec);
    match e {
        TextError::Empty => cx.fail(errors, spec.name, empty, &[]),
        TextError::TooLong { max } => {
            cx.fail(errors, spec.name, "error-field-too-long", &[("field", &name), ("max", &max.to_string())])
        }
        TextError::ControlCharacter => cx.fail(errors, spec.name, "error-field-control", &[("field", &name)]),
    }
}

fn date_error(cx: &mut Cx, errors: &mut Errors, spec: &FieldSpec, id: &str, e: PastDateError) {
    let name = field_name(cx, spec);
    let (key, year) = match e {
        PastDateError::Missing => ("error-date-missing", String::new()),
        PastDateError::NotANumber => ("error-date-not-a-number", String::new()),
        PastDateError::NotARealDate => ("error-date-not-real", String::new()),
        PastDateError::InTheFuture => ("error-date-in-the-future", String::new()),
        PastDateError::TooLongAgo(y) => ("error-date-too-long-ago", y.to_string()),
    };
    let text = cx.error(key, &[("field", &name), ("year", &year)], &format!("#{id}"));
    errors.insert(spec.name.to_owned(), text);
}

/// A date in the past (day, month and year fields).
pub fn past_date(cx: &mut Cx, errors: &mut Errors, form: &Form, spec: &FieldSpec) -> Option<PastDate> {
    let part = |p: &str| field(form, &format!("{}-{p}", spec.name)).to_owned();
    match PastDate::parse(&part("day"), &part("month"), &part("year"), cx.today) {
        Ok(d) => Some(d),
        Err(e) => {
            date_error(cx, errors, spec, &format!("{}-day", spec.name), e);
            None
        }
    }
}

/// A month in the past (month and year fields).
pub fn month_year(cx: &mut Cx, errors: &mut Errors, form: &Form, spec: &FieldSpec) -> Option<YearMonth> {
    let part = |p: &str| field(form, &format!("{}-{p}", spec.name)).to_owned();
    match YearMonth::parse(&part("month"), &part("year"), cx.today) {
        Ok(d) => Some(d),
        Err(e) => {
            date_error(cx, errors, spec, &format!("{}-month", spec.name), e);
            None
        }
    }
}

/// A country outside the UK, chosen from the list.
pub fn country(cx: &mut Cx, errors: &mut Errors, form: &Form, spec: &FieldSpec, empty: &str) -> Option<CountryCode> {
    let typed = field(form, spec.name).trim();
    match CountryCode::parse(typed) {
        Ok(c) if c.as_str() != "GB" => Some(c),
        _ if typed.is_empty() => {
            cx.fail(errors, spec.name, empty, &[]);
            None
        }
        _ => {
            cx.fail(errors, spec.name, "error-country-not-listed", &[]);
            None
        }
    }
}

/// The values of a date field, to show again.
pub fn date_values(values: &mut Values, name: &str, date: chrono::NaiveDate) {
    use chrono::Datelike;
    values.insert(format!("{name}-day"), date.day().to_string());
    values.insert(format!("{name}-month"), date.month().to_string());
    values.insert(format!("{name}-year"), date.year().to_string());
}

/// A page of fields.
pub struct Fields {
    pub title: fn(&Answers) -> &'static str,
    /// Paragraphs (message keys) above the fields.
    pub intro: fn(&Answers) -> Vec<&'static str>,
    pub fields: &'static [FieldSpec],
    pub slots: &'static [Slot],
    pub answered: fn(&Answers) -> bool,
    pub current: fn(&Answers) -> Values,
    /// Parse the posted fields into the answers; record errors with `cx.fail`.
    pub accept: fn(&mut Cx, &mut Answers, &Form, &mut Errors),
    pub summary: fn(&Cx, &Answers) -> Vec<Row>,
}

impl Fields {
    fn page(&self, cx: &Cx, a: &Answers, status: StatusCode, values: &Values, errors: &Errors) -> Response {
        let language = cx.frame.language();
        let fields: Vec<Value> = self.fields.iter().map(|f| f.context(language)).collect();
        // One date alone: its legend is the page's heading (GOV.UK's question pages).
        let legend_heading =
            self.fields.len() == 1 && matches!(self.fields[0].kind, FieldKind::Date | FieldKind::MonthYear);
        cx.page(
            status,
            "step_fields.html",
            context! {
                title_key => (self.title)(a), intro => (self.intro)(a), fields, legend_heading, values,
                errors_by_field => errors,
            },
        )
    }
}

impl Question for Fields {
    fn slots(&self) -> &'static [Slot] {
        self.slots
    }

    fn answered(&self, a: &Answers) -> bool {
        (self.answered)(a)
    }

    fn show(&self, cx: &mut Cx, a: &Answers) -> Response {
        let values = if (self.answered)(a) { (self.current)(a) } else { Values::new() };
        self.page(cx, a, StatusCode::OK, &values, &Errors::new())
    }

    fn accept(&self, cx: &mut Cx, a: &mut Answers, form: &Form) -> Outcome {
        let mut errors = Errors::new();
        let mut next = a.clone();
        (self.accept)(cx, &mut next, form, &mut errors);
        if errors.is_empty() {
            *a = next;
            return Outcome::Saved;
        }
        Outcome::Page(self.page(cx, a, StatusCode::BAD_REQUEST, &field_values(form), &errors))
    }

    fn summary(&self, cx: &Cx, a: &Answers) -> Vec<Row> {
        (self.summary)(cx, a)
    }
}

/// Statements to tick (who is making a service declaration).
pub struct Checks {
    pub title: &'static str,
    pub hint: Option<&'static str>,
    /// (value, label key) of each box.
    pub items: &'static [(&'static str, &'static str)],
    pub slots: &'static [Slot],
    pub answered: fn(&Answers) -> bool,
    pub current: fn(&Answers) -> Vec<&'static str>,
    /// Take the ticked values; record errors against `statement` with `cx.fail`.
    pub accept: fn(&mut Cx, &mut Answers, &[&str], &mut Errors),
    pub summary: fn(&Cx, &Answers) -> Vec<Row>,
}

impl Checks {
    fn page(&self, cx: &Cx, status: StatusCode, values: Vec<&str>, error: &str) -> Response {
        let items: Vec<Value> = self.items.iter().map(|(value, label)| context! { value, label }).collect();
        cx.page(
            status,
            "step_checks.html",
            context! { title_key => self.title, hint_key => self.hint, items, values, error },
        )
    }
}

impl Question for Checks {
    fn slots(&self) -> &'static [Slot] {
        self.slots
    }

    fn answered(&self, a: &Answers) -> bool {
        (self.answered)(a)
    }

    fn show(&self, cx: &mut Cx, a: &Answers) -> Response {
        self.page(cx, StatusCode::OK, (self.current)(a), "")
    }

    fn accept(&self, cx: &mut Cx, a: &mut Answers, form: &Form) -> Outcome {
        let ticked: Vec<&str> =
            fields(form, "statement").into_iter().filter(|v| self.items.iter().any(|(i, _)| i == v)).collect();
        let mut errors = Errors::new();
        let mut next = a.clone();
        (self.accept)(cx, &mut next, &ticked, &mut errors);
        if errors.is_empty() {
            *a = next;
            return Outcome::Saved;
        }
        let error = errors.values().next().cloned().unwrap_or_default();
        Outcome::Page(self.page(cx, StatusCode::BAD_REQUEST, ticked, &error))
    }

    fn summary(&self, cx: &Cx, a: &Answers) -> Vec<Row> {
        (self.summary)(cx, a)
    }
}
