//! The portal's pages: its own minijinja templates (`templates/`) and messages
//! (`locales/{en,cy}.ftl`), with the public site's GOV.UK components, header
//! and assets.

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use ier_citizen_web::i18n::Catalogue;
use ier_domain::Language;
use minijinja::value::Kwargs;
use minijinja::{Environment, State, Value};
use serde::Serialize;

static MESSAGES: LazyLock<Catalogue> =
    LazyLock::new(|| Catalogue::new(include_str!("../locales/en.ftl"), include_str!("../locales/cy.ftl")));

macro_rules! templates {
    ($env:ident, $($name:literal),*) => {
        $( $env.add_template($name, include_str!(concat!("../templates/", $name))).expect($name); )*
    };
}

static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.add_template("header.html", ier_citizen_web::render::HEADER_TEMPLATE).expect("header");
    templates!(
        env,
        "layout.html",
        "sign_in.html",
        "code.html",
        "message.html",
        "queue.html",
        "application.html",
        "staff.html",
        "enrolled.html",
        "password.html",
        "local_data.html",
        "local_data_done.html",
        "signed_in.html"
    );
    env.add_function("t", t);
    env.add_function("asset", ier_citizen_web::assets::url);
    ier_citizen_web::components::register(&mut env);
    env
});

/// The template environment (for tests).
pub fn environment() -> &'static Environment<'static> {
    &ENV
}

/// A portal message in a language.
pub fn tr(lang: Language, key: &str, args: &[(&str, &str)]) -> String {
    let args: HashMap<String, String> = args.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    MESSAGES.translate(lang, key, &args)
}

/// The portal's message ids in a language (for tests).
pub fn keys(lang: Language) -> Vec<String> {
    MESSAGES.keys(lang)
}

fn t(state: &State, key: &str, kwargs: Kwargs) -> Result<Value, minijinja::Error> {
    let lang = match state.lookup("lang").as_ref().and_then(Value::as_str) {
        Some("cy") => Language::Cy,
        _ => Language::En,
    };
    let mut args = HashMap::new();
    for name in kwargs.args() {
        let v: Value = kwargs.get(name)?;
        args.insert(name.to_owned(), v.to_string());
    }
    Ok(MESSAGES.translate(lang, key, &args).into())
}

/// One error for the error summary: its message and the field it links to.
#[derive(Debug, Clone, Serialize)]
pub struct FieldError {
    pub text: String,
    pub href: String,
}

/// The signed-in member of staff, as the layout shows them.
#[derive(Debug, Clone, Serialize)]
pub struct StaffFrame {
    pub ero_name: String,
    pub role: &'static str,
    pub manage: bool,
    /// Decides applications (and so may use the local data step).
    pub decide: bool,
}

/// What every page needs.
#[derive(Debug, Clone, Serialize)]
pub struct Frame {
    pub lang: &'static str,
    pub path: String,
    pub errors: Vec<FieldError>,
    /// Errors by field name, for each field's own message.
    pub fe: BTreeMap<String, String>,
    pub back: Option<String>,
    pub staff: Option<StaffFrame>,
    pub csrf: Option<String>,
    /// The navigation item of this page.
    pub nav: &'static str,
    /// A success banner's text.
    pub notice: Option<String>,
    /// A full-width page (the queue's table).
    pub wide: bool,
}

impl Frame {
    pub fn new(lang: Language, path: &str) -> Self {
        // One leading slash: `//evil.example` would be another site's address.
        let path = format!("/{}", path.trim_start_matches(['/', '\\']));
        Self {
            lang: lang.as_str(),
            path,
            errors: Vec::new(),
            fe: BTreeMap::new(),
            back: None,
            staff: None,
            csrf: None,
            nav: "",
            notice: None,
            wide: false,
        }
    }

    pub fn language(&self) -> Language {
        if self.lang == "cy" { Language::Cy } else { Language::En }
    }

    pub fn t(&self, key: &str) -> String {
        tr(self.language(), key, &[])
    }

    /// Add an error for a field (`id` is the element the summary links to).
    pub fn error(&mut self, field: &str, id: &str, key: &str) {
        let text = self.t(key);
        self.fe.insert(field.to_owned(), text.clone());
        self.errors.push(FieldError { text, href: format!("#{id}") });
    }
}

/// Render a template with the frame and the page's own values.
pub fn page(status: StatusCode, template: &str, frame: &Frame, values: Value) -> Response {
    let ctx = minijinja::context! { ..Value::from_serialize(frame), ..values };
    match ENV.get_template(template).and_then(|t| t.render(ctx)) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(template, error = %e, "template failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "Sorry, there is a problem with the service.").into_response()
        }
    }
}

/// A page with a heading and paragraphs (message keys).
pub fn message(status: StatusCode, frame: &Frame, title: &str, paragraphs: &[&str]) -> Response {
    let paragraphs: Vec<String> = paragraphs.iter().map(|k| frame.t(k)).collect();
    page(status, "message.html", frame, minijinja::context! { title => frame.t(title), paragraphs })
}

/// A time in Europe/London, as staff read it: "4 December 2026, 14:05".
pub fn when(at: chrono::DateTime<chrono::Utc>, lang: Language) -> String {
    let local = at.with_timezone(&chrono_tz::Europe::London);
    format!("{}, {}", ier_domain::dates::long_date(local.date_naive(), lang), local.format("%H:%M"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_is_registered_and_every_message_is_in_both_languages() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        for entry in std::fs::read_dir(dir).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            assert!(environment().get_template(&name).is_ok(), "templates/{name} is not registered");
        }
        let en = keys(Language::En);
        let cy = keys(Language::Cy);
        for k in &en {
            assert!(cy.contains(k), "{k} is not in cy.ftl");
        }
        for k in &cy {
            assert!(en.contains(k), "{k} is not in en.ftl");
        }
    }
}
