//! "How should we contact you if we have questions about your application?":
//! email, phone and post, each checked.

use std::collections::HashMap;

use axum::http::StatusCode;
use axum::response::Response;
use ier_domain::Contact;
use minijinja::context;

use super::super::answers::{Answers, Slot};
use super::super::engine::{Cx, Form, Outcome, Question, Row, field, fields};
use super::{valid_email, valid_phone};

pub struct ContactQ;

fn page(
    cx: &Cx,
    status: StatusCode,
    values: Vec<&str>,
    email: &str,
    phone: &str,
    errors: HashMap<String, String>,
) -> Response {
    cx.page(status, "step_contact.html", context! { values, email, phone, errors_by_field => errors })
}

impl Question for ContactQ {
    fn slots(&self) -> &'static [Slot] {
        &[Slot::Contact]
    }

    fn answered(&self, a: &Answers) -> bool {
        a.contact.is_some()
    }

    fn show(&self, cx: &mut Cx, a: &Answers) -> Response {
        let c = a.contact.clone().unwrap_or_default();
        let mut values = Vec::new();
        if c.email.is_some() {
            values.push("email");
        }
        if c.phone.is_some() {
            values.push("phone");
        }
        if c.post {
            values.push("post");
        }
        page(
            cx,
            StatusCode::OK,
            values,
            c.email.as_deref().unwrap_or(""),
            c.phone.as_deref().unwrap_or(""),
            HashMap::new(),
        )
    }

    fn accept(&self, cx: &mut Cx, a: &mut Answers, form: &Form) -> Outcome {
        let chosen = fields(form, "contact");
        let (email, phone) = (field(form, "email").trim(), field(form, "phone").trim());
        let mut errors = HashMap::new();
        if chosen.is_empty() {
            cx.fail(&mut errors, "contact", "error-contact-none", &[]);
        }
        if chosen.contains(&"email") && !valid_email(email) {
            cx.fail(&mut errors, "email", "error-contact-email", &[]);
        }
        if chosen.contains(&"phone") && !valid_phone(phone) {
            cx.fail(&mut errors, "phone", "error-contact-phone", &[]);
        }
        if errors.is_empty() {
            a.contact = Some(Contact {
                email: chosen.contains(&"email").then(|| email.to_owned()),
                phone: chosen.contains(&"phone").then(|| phone.to_owned()),
                post: chosen.contains(&"post"),
            });
            return Outcome::Saved;
        }
        Outcome::Page(page(cx, StatusCode::BAD_REQUEST, chosen, email, phone, errors))
    }

    fn summary(&self, cx: &Cx, a: &Answers) -> Vec<Row> {
        let value = a
            .contact
            .as_ref()
            .map(|c| {
                let mut parts: Vec<String> = Vec::new();
                if let Some(e) = &c.email {
                    parts.push(e.clone());
                }
                if let Some(p) = &c.phone {
                    parts.push(p.clone());
                }
                if c.post {
                    parts.push(cx.t("contact-post"));
                }
                parts.join(", ")
            })
            .unwrap_or_default();
        vec![Row { label: cx.t("check-contact"), value }]
    }
}
