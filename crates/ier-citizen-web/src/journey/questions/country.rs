//! "Where do you live?": the first question of the ordinary journey. Northern
//! Ireland leaves for EONI; abroad continues as the overseas journey, keeping
//! what was already answered.

use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;

use super::super::answers::{Answers, JourneyKind, Residence, Slot};
use super::super::engine::{Cx, Exit, Form, Outcome, Question, Row, field};

pub struct Country;

impl Country {
    fn page(&self, cx: &Cx, status: StatusCode, value: &str, error: &str) -> Response {
        cx.page(status, "step_country.html", context! { value, error })
    }
}

impl Question for Country {
    fn slots(&self) -> &'static [Slot] {
        &[Slot::Residence]
    }

    fn answered(&self, a: &Answers) -> bool {
        a.residence.is_some()
    }

    fn show(&self, cx: &mut Cx, a: &Answers) -> Response {
        let value = a.residence.map(Residence::as_str).unwrap_or("");
        self.page(cx, StatusCode::OK, value, "")
    }

    fn accept(&self, cx: &mut Cx, a: &mut Answers, form: &Form) -> Outcome {
        let residence = match field(form, "country") {
            "england" => Residence::England,
            "scotland" => Residence::Scotland,
            "wales" => Residence::Wales,
            "abroad" => Residence::Abroad,
            "northern-ireland" => return Outcome::Exit(Exit::NorthernIreland),
            _ => {
                let text = cx.error("error-country", &[], "#country");
                return Outcome::Page(self.page(cx, StatusCode::BAD_REQUEST, "", &text));
            }
        };
        a.residence = Some(residence);
        match (residence, a.journey) {
            (Residence::Abroad, JourneyKind::Ordinary) => Outcome::Switch(JourneyKind::Overseas),
            (Residence::Abroad, _) => Outcome::Saved,
            (_, JourneyKind::Overseas) => Outcome::Switch(JourneyKind::Ordinary),
            _ => Outcome::Saved,
        }
    }

    fn summary(&self, cx: &Cx, a: &Answers) -> Vec<Row> {
        // Where they live is the address's nation once there is one.
        let value = match (a.nation(), a.residence) {
            (_, Some(Residence::Abroad)) => cx.t("country-abroad"),
            (Some(nation), _) => cx.t(&format!("country-{}", nation.as_str())),
            (None, _) => String::new(),
        };
        vec![Row { label: cx.t("check-where"), value }]
    }
}
