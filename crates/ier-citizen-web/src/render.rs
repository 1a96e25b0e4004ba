//! Rendering pages: minijinja templates (`templates/`), compiled in, with a
//! `t(key, ...)` function that translates into the page's language.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use ier_domain::Language;
use minijinja::value::Kwargs;
use minijinja::{Environment, State, Value};
use serde::Serialize;

use crate::i18n::translate;

macro_rules! templates {
    ($env:ident, $($name:literal),*) => {
        $( $env.add_template($name, include_str!(concat!("../templates/", $name))).expect($name); )*
    };
}

static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    templates!(
        env,
        "header.html",
        "layout.html",
        "start.html",
        "postcode_form.html",
        "find_council.html",
        "message.html",
        "step_country.html",
        "step_nationality.html",
        "step_dob.html",
        "step_name.html",
        "step_nino.html",
        "step_address.html",
        "step_address_select.html",
        "address_select_form.html",
        "step_address_manual.html",
        "step_yes_no.html",
        "step_choice.html",
        "step_contact.html",
        "check_answers.html",
        "complete.html",
        "status.html",
        "status_result.html",
        "registered.html",
        "registered_result.html",
        "demo.html",
        "ero_contact.html",
        "inbox.html",
        "field.html",
        "step_fields.html",
        "step_checks.html",
        "restart.html",
        "timeout_warning.html",
        "performance.html",
        "performance_data.html",
        "content.html",
        "feedback.html",
        "evidence.html",
        "attest.html"
    );
    env.add_function("t", t);
    env.add_function("asset", crate::assets::url);
    crate::components::register(&mut env);
    env
});

/// The GOV.UK header, for other sites of the service (the ERO portal) to include.
pub const HEADER_TEMPLATE: &str = include_str!("../templates/header.html");

/// The template environment (shared with the component parity tests).
pub fn environment() -> &'static Environment<'static> {
    &ENV
}

/// Every message without arguments, in each language, formatted once: most
/// of a page's `t(...)` calls are these.
static PLAIN: LazyLock<[HashMap<String, Value>; 2]> = LazyLock::new(|| {
    [Language::En, Language::Cy].map(|lang| {
        let none = HashMap::new();
        crate::i18n::keys(lang)
            .into_iter()
            .map(|k| {
                let message = translate(lang, &k, &none).into();
                (k, message)
            })
            .collect()
    })
});

/// `t("key", name=value, ...)`: the message in the page's language (`lang` in the context).
fn t(state: &State, key: &str, kwargs: Kwargs) -> Result<Value, minijinja::Error> {
    let lang = match state.lookup("lang").as_ref().and_then(Value::as_str) {
        Some("cy") => Language::Cy,
        _ => Language::En,
    };
    if kwargs.args().next().is_none()
        && let Some(v) = PLAIN[usize::from(lang == Language::Cy)].get(key)
    {
        return Ok(v.clone());
    }
    let mut args = HashMap::new();
    for name in kwargs.args() {
        let v: Value = kwargs.get(name)?;
        args.insert(name.to_owned(), v.to_string());
    }
    Ok(translate(lang, key, &args).into())
}

/// One error for the error summary: its message and the field it links to.
#[derive(Debug, Clone, Serialize)]
pub struct FieldError {
    pub text: String,
    pub href: String,
}

/// What every page needs: its language, its path (for the language switcher)
/// and its errors (for the error summary and the "Error:" title prefix); on a
/// journey's pages, where Back goes and the note that answers are kept for 20 minutes.
#[derive(Debug, Clone, Serialize)]
pub struct Frame {
    pub lang: &'static str,
    pub path: String,
    pub errors: Vec<FieldError>,
    /// The GOV.UK Back link's target, if the page has one.
    pub back: Option<String>,
    /// A page of a journey (it says how long answers are kept, and the timeout warning watches it).
    pub journey: bool,
    /// A page of a demo journey: its banner says nothing entered is sent to anyone.
    pub demo: bool,
    /// The phase banner's feedback link: the feedback form, told which page it was sent from.
    pub feedback_href: String,
}

impl Frame {
    /// `path` is the request's; the language links append `?lang=` to it, so it
    /// is kept to one leading slash (`//evil.example` or `/\evil.example` would
    /// be another site's address in a browser).
    pub fn new(lang: Language, path: &str) -> Self {
        let path = format!("/{}", path.trim_start_matches(['/', '\\']));
        let feedback_href = crate::service_pages::feedback_href(lang, &path);
        Self { lang: lang.as_str(), path, errors: Vec::new(), back: None, journey: false, demo: false, feedback_href }
    }

    pub fn language(&self) -> Language {
        if self.lang == "cy" { Language::Cy } else { Language::En }
    }

    /// Translate outside a template.
    pub fn t(&self, key: &str) -> String {
        translate(self.language(), key, &HashMap::new())
    }

    pub fn t_args(&self, key: &str, args: &[(&str, &str)]) -> String {
        let args = args.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        translate(self.language(), key, &args)
    }
}

pub use ier_domain::dates::long_date;

/// Render `template` with the frame and the page's own values.
pub fn page(status: StatusCode, template: &str, frame: &Frame, values: Value) -> Response {
    match html(template, frame, values) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(template, error = %e, "template failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "Sorry, there is a problem with the service.").into_response()
        }
    }
}

/// A page's HTML (for pages rendered once and kept, such as the busy page).
pub fn html(template: &str, frame: &Frame, values: Value) -> Result<String, minijinja::Error> {
    let ctx = minijinja::context! { ..Value::from_serialize(frame), ..values };
    ENV.get_template(template).and_then(|t| t.render(ctx))
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_template_file_is_registered() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        for entry in std::fs::read_dir(dir).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            assert!(
                super::environment().get_template(&name).is_ok(),
                "templates/{name} is not registered in render.rs"
            );
        }
    }
}
