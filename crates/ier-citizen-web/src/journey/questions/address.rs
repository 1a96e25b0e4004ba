//! A UK address: a postcode, then an address picked from the gazetteer at it,
//! or typed by hand (`…/select` and `…/manual` below the step's path). The
//! same question serves the address the application is for (which decides the
//! council, and so the ERO and the nation whose rules apply) and a previous
//! address, which gets the same look-up and checks (and may be in Northern
//! Ireland). With JavaScript, the picker appears on the postcode page itself.

use std::collections::HashMap;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use ier_domain::postcode::PostcodeError;
use ier_domain::{Address, GssCode, Postcode, Uprn};
use ier_reference::Route;
use minijinja::{Value, context};

use super::super::answers::{AddressAnswer, Answers, Slot};
use super::super::engine::{Cx, Form, Outcome, Question, Row, field};
use crate::limits::Action;

/// The longest line of an address typed by hand.
pub const LINE_MAX: usize = 100;

/// The message keys of one address question's pages.
#[derive(Clone, Copy)]
pub struct AddressTitles {
    /// The postcode page's heading.
    pub title: &'static str,
    pub select: &'static str,
    pub manual: &'static str,
    /// Its label on "Check your answers".
    pub check: &'static str,
}

pub struct AddressQ {
    /// `Slot::Address` (the address the application is for) or `Slot::PreviousAddress`.
    pub slot: Slot,
    pub titles: fn(&Answers) -> AddressTitles,
    /// A previous address may be in Northern Ireland (entered by hand: no gazetteer there).
    pub northern_ireland: bool,
}

fn answer(a: &Answers, slot: Slot) -> Option<&AddressAnswer> {
    match slot {
        Slot::PreviousAddress => a.previous_address.as_ref(),
        _ => a.address.as_ref(),
    }
}

fn answer_mut(a: &mut Answers, slot: Slot) -> &mut Option<AddressAnswer> {
    match slot {
        Slot::PreviousAddress => &mut a.previous_address,
        _ => &mut a.address,
    }
}

/// The request header with which the address page's script asks for the
/// address picker in place (progressive enhancement) instead of a redirect.
pub const FRAGMENT_HEADER: axum::http::HeaderName = axum::http::HeaderName::from_static("x-ier-fragment");

impl AddressQ {
    /// Where a postcode's applications go (`None` for Northern Ireland where that
    /// is allowed), or the error key for why not.
    fn route(&self, cx: &Cx, postcode: &Postcode) -> Result<Option<GssCode>, &'static str> {
        match cx.state.locator.route(postcode) {
            Route::Council { council, .. } => Ok(Some(council.gss_code)),
            Route::NorthernIreland if self.northern_ireland => Ok(None),
            Route::NorthernIreland => Err("error-address-northern-ireland"),
            Route::CrownDependency | Route::Forces if self.northern_ireland => Err("error-address-not-uk"),
            Route::CrownDependency | Route::Forces => Err("error-address-not-gb"),
            Route::Unknown => Err("error-address-postcode-unknown"),
        }
    }

    fn lookup_page(&self, cx: &Cx, a: &Answers, status: StatusCode, postcode: &str, error: &str) -> Response {
        let t = (self.titles)(a);
        cx.page(
            status,
            "step_address.html",
            context! { postcode, error, manual_href => cx.sub_path("manual"), title_key => t.title },
        )
    }

    /// The addresses at the postcode being looked up, to choose from: the
    /// select page, or (`fragment`) just its form, for the postcode page's script to show in place.
    fn picker(&self, cx: &Cx, a: &Answers, status: StatusCode, error: &str, fragment: bool) -> Response {
        let Some(postcode) = answer(a, self.slot).and_then(|x| x.lookup.clone()) else {
            return Redirect::to(cx.step_path).into_response();
        };
        let addresses: Vec<Value> = cx
            .state
            .gazetteer
            .addresses(&postcode)
            .into_iter()
            .map(|a| context! { value => a.uprn.to_string(), text => a.one_line() })
            .collect();
        let value = answer(a, self.slot)
            .and_then(|x| x.address.as_ref())
            .and_then(|a| a.uprn)
            .map(|u| u.to_string())
            .unwrap_or_default();
        let t = (self.titles)(a);
        let values = context! {
            postcode => postcode.to_string(), addresses, value, error, fragment,
            select_action => cx.sub_path("select"), manual_href => cx.sub_path("manual"), change_href => cx.step_path,
            select_title_key => t.select,
        };
        let template = if fragment { "address_select_form.html" } else { "step_address_select.html" };
        cx.page(status, template, values)
    }

    fn manual_page(&self, cx: &Cx, a: &Answers, status: StatusCode, values: Value) -> Response {
        let t = (self.titles)(a);
        cx.page(status, "step_address_manual.html", context! { manual_title_key => t.manual, ..values })
    }

    fn save(&self, cx: &mut Cx, a: &mut Answers, address: Address, gss: Option<GssCode>) -> Outcome {
        if self.slot == Slot::PreviousAddress && a.uprn_of_current().is_some() && a.uprn_of_current() == address.uprn {
            let text = cx.error("error-previous-address-same", &[], "#uprn");
            return Outcome::Page(self.picker(cx, a, StatusCode::BAD_REQUEST, &text, false));
        }
        let slot = answer_mut(a, self.slot);
        let lookup = slot.as_ref().and_then(|x| x.lookup.clone());
        *slot = Some(AddressAnswer { lookup, address: Some(address), gss_code: gss });
        Outcome::Saved
    }

    fn accept_postcode(&self, cx: &mut Cx, a: &mut Answers, form: &Form) -> Outcome {
        if let Err(wait) = cx.state.limiter.check(Action::PostcodeLookup, cx.client, std::time::Instant::now()) {
            return Outcome::Page(super::super::too_many(&cx.frame, wait));
        }
        let typed = field(form, "postcode");
        let key = match Postcode::parse(typed) {
            Err(PostcodeError::Empty) => "error-postcode-empty",
            Err(_) => "error-postcode-format",
            Ok(p) => match self.route(cx, &p) {
                Ok(gss) => {
                    let slot = answer_mut(a, self.slot);
                    let kept = slot.take().unwrap_or_default();
                    *slot = Some(AddressAnswer { lookup: Some(p), ..kept });
                    if gss.is_none() {
                        // Northern Ireland: no addresses to pick from here; typed by hand.
                        return Outcome::SubPage("manual");
                    }
                    // With JavaScript the picker appears on this page; without, on its own.
                    // Errors are always whole pages (the script then shows the page it got).
                    if cx.fragment {
                        return Outcome::Shown(self.picker(cx, a, StatusCode::OK, "", true));
                    }
                    return Outcome::SubPage("select");
                }
                // Northern Ireland registers its own electors: say so, with EONI's link, and keep
                // the journey (a mistyped postcode is one click away from being put right).
                Err("error-address-northern-ireland") => {
                    let f = &cx.frame;
                    let body = f.t_args("exit-ni-address-body", &[("postcode", &p.to_string())]);
                    let links = vec![
                        ("https://www.eoni.org.uk/".to_owned(), f.t("ni-link")),
                        (cx.step_path.to_owned(), f.t("address-change-postcode")),
                    ];
                    return Outcome::Page(super::super::message(f, StatusCode::OK, "exit-ni-title", vec![body], links));
                }
                // An unknown postcode may still be real (too new): the applicant can enter the address by hand.
                Err(key) => key,
            },
        };
        let text = cx.error(key, &[], "#postcode");
        Outcome::Page(self.lookup_page(cx, a, StatusCode::BAD_REQUEST, typed, &text))
    }

    fn accept_select(&self, cx: &mut Cx, a: &mut Answers, form: &Form) -> Outcome {
        // Only an address at the postcode being looked up may be chosen.
        let lookup = answer(a, self.slot).and_then(|x| x.lookup.clone());
        let chosen = Uprn::parse(field(form, "uprn"))
            .ok()
            .and_then(|u| cx.state.gazetteer.by_uprn(u))
            .filter(|g| Some(&g.postcode) == lookup.as_ref());
        match chosen {
            Some(g) => {
                let address = Address {
                    uprn: Some(g.uprn),
                    lines: vec![format!("{} {}", g.property, g.street)],
                    town: g.town.clone(),
                    postcode: g.postcode.clone(),
                };
                self.save(cx, a, address, Some(g.gss_code))
            }
            None => {
                let text = cx.error("error-address-select", &[], "#uprn");
                Outcome::Page(self.picker(cx, a, StatusCode::BAD_REQUEST, &text, false))
            }
        }
    }

    fn accept_manual(&self, cx: &mut Cx, a: &mut Answers, form: &Form) -> Outcome {
        let clean = |name: &str| field(form, name).split_whitespace().collect::<Vec<_>>().join(" ");
        let (line1, line2, town, postcode) = (
            clean("address-line-1"),
            clean("address-line-2"),
            clean("address-town"),
            field(form, "postcode").to_owned(),
        );
        let mut by_field: HashMap<String, String> = HashMap::new();
        if line1.is_empty() {
            cx.fail(&mut by_field, "address-line-1", "error-address-line-1", &[]);
        }
        for (id, v) in [("address-line-1", &line1), ("address-line-2", &line2), ("address-town", &town)] {
            let name = super::fields::label_name(cx, id);
            if v.chars().count() > LINE_MAX {
                cx.fail(&mut by_field, id, "error-address-too-long", &[("field", &name)]);
            } else if v.chars().any(char::is_control) {
                cx.fail(&mut by_field, id, "error-field-control", &[("field", &name)]);
            }
        }
        if town.is_empty() {
            cx.fail(&mut by_field, "address-town", "error-address-town", &[]);
        }
        let routed = match Postcode::parse(&postcode) {
            Err(PostcodeError::Empty) => Err("error-postcode-empty"),
            Err(_) => Err("error-postcode-format"),
            Ok(p) => self.route(cx, &p).map(|g| (p, g)),
        };
        let routed = match routed {
            Ok(r) => Some(r),
            Err(key) => {
                cx.fail(&mut by_field, "postcode", key, &[]);
                None
            }
        };
        match routed {
            Some((p, gss)) if by_field.is_empty() => {
                let lines = [line1, line2].into_iter().filter(|l| !l.is_empty()).collect();
                self.save(cx, a, Address { uprn: None, lines, town, postcode: p }, gss)
            }
            _ => {
                let values = context! { line1, line2, town, postcode, errors_by_field => by_field };
                Outcome::Page(self.manual_page(cx, a, StatusCode::BAD_REQUEST, values))
            }
        }
    }
}

impl Answers {
    fn uprn_of_current(&self) -> Option<Uprn> {
        self.uk_address().and_then(|a| a.uprn)
    }
}

impl Question for AddressQ {
    fn slots(&self) -> &'static [Slot] {
        match self.slot {
            Slot::PreviousAddress => &[Slot::PreviousAddress],
            _ => &[Slot::Address],
        }
    }

    fn answered(&self, a: &Answers) -> bool {
        answer(a, self.slot).is_some_and(|x| x.address.is_some())
    }

    fn subpages(&self) -> &'static [&'static str] {
        &["select", "manual"]
    }

    fn show(&self, cx: &mut Cx, a: &Answers) -> Response {
        let current = answer(a, self.slot);
        match cx.sub {
            Some("select") => self.picker(cx, a, StatusCode::OK, "", false),
            Some(_) => {
                let typed = current.and_then(|x| x.address.as_ref()).filter(|a| a.uprn.is_none());
                let line = |i: usize| typed.and_then(|a| a.lines.get(i).cloned()).unwrap_or_default();
                let postcode = typed
                    .map(|a| a.postcode.to_string())
                    .or(current.and_then(|x| x.lookup.as_ref()).map(|p| p.to_string()))
                    .unwrap_or_default();
                let town = typed.map(|a| a.town.clone()).unwrap_or_default();
                let values = context! {
                    line1 => line(0), line2 => line(1), town, postcode, errors_by_field => HashMap::<String, String>::new(),
                };
                self.manual_page(cx, a, StatusCode::OK, values)
            }
            None => {
                let postcode = current.and_then(|x| x.lookup.as_ref()).map(|p| p.to_string()).unwrap_or_default();
                self.lookup_page(cx, a, StatusCode::OK, &postcode, "")
            }
        }
    }

    fn accept(&self, cx: &mut Cx, a: &mut Answers, form: &Form) -> Outcome {
        match cx.sub {
            Some("select") => self.accept_select(cx, a, form),
            Some(_) => self.accept_manual(cx, a, form),
            None => self.accept_postcode(cx, a, form),
        }
    }

    fn summary(&self, cx: &Cx, a: &Answers) -> Vec<Row> {
        let value = answer(a, self.slot).and_then(|x| x.address.as_ref()).map(Address::one_line).unwrap_or_default();
        vec![Row { label: cx.t((self.titles)(a).check), value }]
    }
}
