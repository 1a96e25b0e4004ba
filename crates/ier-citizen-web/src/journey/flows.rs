//! The four journeys, as data: each step's path, its question, and the rule
//! that says when it applies. The questions' small parse functions (what an
//! option or a field means as a domain value) sit beside them. Steps and field
//! names follow the original service (DOMAIN.md §4, `shared/reference`); the
//! law they apply is in `ier-domain`'s franchise data, read through `Rules`.

use std::sync::LazyLock;

use chrono::NaiveDate;
use ier_domain::rules::{Eligibility, Person};
use ier_domain::{
    BirthDetails, Correspondence, CrownStatement, ForcesStatement, FormDelivery, Job, LastRegistration, OtherAddress,
    OverseasAddress, ParentGuardian, PastDate, PersonName, PostalVote, Rules, ServiceBranch, Text, UkAddressStatus,
};

use super::PREFIX;
use super::answers::{
    Answers, CitizenDetails, JourneyKind, Moved, Passport, PassportDetails, PreviousName, Residence, ServiceAnswer,
    Slot, Way,
};
use super::engine::{Applies, Cx, Errors, Exit, Flow, Form, Question, Row, Step, always, field};
use super::questions::address::{AddressQ, AddressTitles};
use super::questions::choice::{Choice, Opt, Values, YesNo};
use super::questions::contact::ContactQ;
use super::questions::country::Country;
use super::questions::dob::DateOfBirthQ;
use super::questions::fields::{
    Checks, FieldKind, FieldSpec, Fields, country, date_values, month_year, optional_text, past_date, required_text,
};
use super::questions::name::Name;
use super::questions::nationality::NationalityQ;
use super::questions::nino::NinoQ;
use super::questions::{country_name, full_name, serde_plain, valid_email};

/// The journey of a kind.
pub fn flow(kind: JourneyKind) -> &'static Flow {
    static FLOWS: LazyLock<[Flow; 4]> = LazyLock::new(|| [ordinary(), overseas(), forces(), crown()]);
    &FLOWS[JourneyKind::ALL.iter().position(|k| *k == kind).expect("a journey")]
}

fn step(prefix: &str, slug: &str, question: impl Question + 'static, applies: Applies) -> Step {
    Step { path: format!("{prefix}/{slug}"), question: Box::new(question), applies }
}

/// The longest line of free text (a job title, a line of an address abroad).
const LINE_MAX: usize = 100;
/// The longest short code (a service number, a payroll number).
const CODE_MAX: usize = 30;
/// The longest explanation.
const REASON_MAX: usize = 500;

// --- Exits, from the rules ------------------------------------------------------------------

/// Someone registering at a UK address (ordinary and service voters): the
/// register age of the address's nation, and the franchise for their nationality there.
fn resident_exit(a: &Answers, today: NaiveDate) -> Option<Exit> {
    let (Some(nation), Some(nationality)) = (a.nation(), &a.nationality) else { return None };
    let date_of_birth = a.date_of_birth();
    let person = Person { nationality, date_of_birth, nation, eu_retained_rights: None, leave_to_remain: None };
    let rules = Rules::current();
    match rules.eligibility(&person, today) {
        Eligibility::Eligible { .. } => {
            // Without a date, an age range wholly below the register age is too young too.
            let oldest = match &a.birth {
                Some(BirthDetails::NotGiven { range, .. }) => range.oldest(),
                _ => None,
            };
            let min_age = rules.register_age(nation, today)?.min_age;
            oldest.filter(|oldest| *oldest < min_age).map(|_| Exit::TooYoung { min_age, from: None })
        }
        Eligibility::NoFranchise => Some(Exit::NoFranchise),
        Eligibility::TooYoung { min_age, .. } => {
            Some(Exit::TooYoung { min_age, from: date_of_birth.map(|d| d.birthday(min_age)) })
        }
    }
}

/// An overseas elector: the overseas rule's age.
fn overseas_exit(a: &Answers, today: NaiveDate) -> Option<Exit> {
    match Rules::current().overseas_eligibility(a.date_of_birth()?, today) {
        Eligibility::TooYoung { min_age, .. } => {
            Some(Exit::TooYoung { min_age, from: a.date_of_birth().map(|d| d.birthday(min_age)) })
        }
        Eligibility::NoFranchise => Some(Exit::NoFranchise),
        Eligibility::Eligible { .. } => None,
    }
}

// --- Questions several journeys ask ---------------------------------------------------------

fn previous_name(reason: bool) -> Choice {
    const FIELDS: &[FieldSpec] = &[
        FieldSpec::new("previous-given", "previous-name-given", FieldKind::Text),
        FieldSpec::new("previous-middle", "previous-name-middle", FieldKind::Text),
        FieldSpec::new("previous-surname", "previous-name-surname", FieldKind::Text),
    ];
    const WITH_REASON: &[FieldSpec] = &[
        FieldSpec::new("previous-given", "previous-name-given", FieldKind::Text),
        FieldSpec::new("previous-middle", "previous-name-middle", FieldKind::Text),
        FieldSpec::new("previous-surname", "previous-name-surname", FieldKind::Text),
        FieldSpec::new("name-change-reason", "name-change-reason", FieldKind::Textarea).noun("name-change-reason-noun"),
    ];
    const OPTIONS: &[Opt] =
        &[Opt { value: "no", label: "no", fields: &[] }, Opt { value: "yes", label: "yes", fields: FIELDS }];
    const OPTIONS_REASON: &[Opt] =
        &[Opt { value: "no", label: "no", fields: &[] }, Opt { value: "yes", label: "yes", fields: WITH_REASON }];
    Choice {
        title: |a| {
            if a.journey == JourneyKind::Overseas { "previous-name-overseas-title" } else { "previous-name-title" }
        },
        hint: None,
        options: if reason { OPTIONS_REASON } else { OPTIONS },
        slots: if reason { &[Slot::PreviousName, Slot::NameChangeReason] } else { &[Slot::PreviousName] },
        error: "error-previous-name",
        answered: |a| a.previous_name.is_some(),
        current: |a| {
            let mut values = Values::new();
            match &a.previous_name {
                Some(PreviousName::Changed(n)) => {
                    values.insert("previous-given".into(), n.given.to_string());
                    values
                        .insert("previous-middle".into(), n.middle.as_ref().map(|m| m.to_string()).unwrap_or_default());
                    values.insert("previous-surname".into(), n.surname.to_string());
                    if let Some(r) = &a.name_change_reason {
                        values.insert("name-change-reason".into(), r.to_string());
                    }
                    ("yes", values)
                }
                _ => ("no", values),
            }
        },
        accept: |cx, a, chosen, form, errors| {
            if chosen == "no" {
                a.previous_name = Some(PreviousName::Unchanged);
                a.name_change_reason = None;
                return;
            }
            let (g, m, s) =
                (field(form, "previous-given"), field(form, "previous-middle"), field(form, "previous-surname"));
            match PersonName::parse(g, m, s) {
                Ok(n) => a.previous_name = Some(PreviousName::Changed(n)),
                Err(problems) => {
                    for (part, e) in problems {
                        use ier_domain::name::{NameError, NamePart};
                        let (id, key) = match (part, e) {
                            (NamePart::Given, NameError::Empty) => ("previous-given", "error-previous-name-given"),
                            (NamePart::Surname, NameError::Empty) => {
                                ("previous-surname", "error-previous-name-surname")
                            }
                            (NamePart::Given, _) => ("previous-given", "error-previous-name-invalid"),
                            (NamePart::Middle, _) => ("previous-middle", "error-previous-name-invalid"),
                            (NamePart::Surname, _) => ("previous-surname", "error-previous-name-invalid"),
                        };
                        cx.fail(errors, id, key, &[]);
                    }
                }
            }
            if a.journey == JourneyKind::Overseas {
                let spec = &WITH_REASON[3];
                a.name_change_reason = required_text(cx, errors, form, spec, "error-name-change-reason", REASON_MAX);
            }
        },
        summary: |cx, a| {
            let value = match &a.previous_name {
                Some(PreviousName::Changed(n)) => match &a.name_change_reason {
                    Some(r) => format!("{} ({r})", full_name(n)),
                    None => full_name(n),
                },
                _ => cx.t("no"),
            };
            vec![Row { label: cx.t("check-previous-name"), value }]
        },
    }
}

fn open_register() -> YesNo {
    YesNo {
        title: |_| "open-register-title",
        hint: Some("open-register-hint"),
        slots: &[Slot::OpenRegister],
        get: |a| a.open_register,
        set: |a, v| a.open_register = Some(v),
        error: "error-open-register",
        check: "check-open-register",
    }
}

/// Only people whose details may be published are asked (never young people in Scotland and Wales).
fn publishable(a: &Answers, today: NaiveDate) -> bool {
    a.may_publish(today)
}

fn ways_to_vote() -> Choice {
    Choice {
        title: |_| "ways-to-vote-title",
        hint: Some("ways-to-vote-hint"),
        options: &[
            Opt { value: "in-person", label: "ways-to-vote-in-person", fields: &[] },
            Opt { value: "by-post", label: "ways-to-vote-by-post", fields: &[] },
            Opt { value: "by-proxy", label: "ways-to-vote-by-proxy", fields: &[] },
        ],
        slots: &[Slot::Way],
        error: "error-ways-to-vote",
        answered: |a| a.way.is_some(),
        current: |a| {
            let v = match a.way {
                Some(Way::ByPost) => "by-post",
                Some(Way::ByProxy) => "by-proxy",
                _ => "in-person",
            };
            (v, Values::new())
        },
        accept: |_, a, chosen, _, _| {
            a.way = Some(match chosen {
                "by-post" => Way::ByPost,
                "by-proxy" => Way::ByProxy,
                _ => Way::InPerson,
            })
        },
        summary: |cx, a| {
            let value = match a.way {
                Some(Way::ByPost) => cx.t("ways-to-vote-by-post"),
                Some(Way::ByProxy) => cx.t("ways-to-vote-by-proxy"),
                _ => cx.t("ways-to-vote-in-person"),
            };
            vec![Row { label: cx.t("check-ways-to-vote"), value }]
        },
    }
}

fn vote_form() -> Choice {
    const EMAIL: &[FieldSpec] = &[FieldSpec::new("form-email", "form-email", FieldKind::Email).autocomplete("email")];
    Choice {
        title: |a| if a.way == Some(Way::ByProxy) { "vote-form-proxy-title" } else { "vote-form-postal-title" },
        hint: Some("vote-form-hint"),
        options: &[
            Opt { value: "email", label: "vote-form-email", fields: EMAIL },
            Opt { value: "post", label: "vote-form-post", fields: &[] },
        ],
        slots: &[Slot::FormDelivery],
        error: "error-vote-form",
        answered: |a| a.form_delivery.is_some(),
        current: |a| match &a.form_delivery {
            Some(FormDelivery::Email(e)) => ("email", Values::from([("form-email".to_owned(), e.clone())])),
            _ => ("post", Values::new()),
        },
        accept: |cx, a, chosen, form, errors| {
            if chosen == "post" {
                a.form_delivery = Some(FormDelivery::Post);
                return;
            }
            let email = field(form, "form-email").trim();
            if valid_email(email) {
                a.form_delivery = Some(FormDelivery::Email(email.to_owned()));
            } else {
                cx.fail(errors, "form-email", "error-contact-email", &[]);
            }
        },
        summary: |cx, a| {
            let value = match &a.form_delivery {
                Some(FormDelivery::Email(e)) => cx.t_args("check-form-email", &[("email", e)]),
                _ => cx.t("check-form-post"),
            };
            vec![Row { label: cx.t("check-vote-form"), value }]
        },
    }
}

fn wants_a_form(a: &Answers, _: NaiveDate) -> bool {
    matches!(a.way, Some(Way::ByPost | Way::ByProxy))
}

const ABROAD_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("abroad-country", "abroad-country", FieldKind::Country).autocomplete("country"),
    FieldSpec::new("abroad-line-1", "abroad-line-1", FieldKind::Text).autocomplete("address-line1"),
    FieldSpec::new("abroad-line-2", "abroad-line-2", FieldKind::Text).autocomplete("address-line2"),
    FieldSpec::new("abroad-line-3", "abroad-line-3", FieldKind::Text).autocomplete("address-line3"),
    FieldSpec::new("abroad-line-4", "abroad-line-4", FieldKind::Text),
    FieldSpec::new("abroad-line-5", "abroad-line-5", FieldKind::Text),
];

/// An address abroad from `ABROAD_FIELDS`: a country and one to five lines.
fn address_abroad(cx: &mut Cx, errors: &mut Errors, form: &Form) -> Option<OverseasAddress> {
    let country = country(cx, errors, form, &ABROAD_FIELDS[0], "error-abroad-country");
    let first = required_text(cx, errors, form, &ABROAD_FIELDS[1], "error-abroad-line-1", LINE_MAX);
    let mut lines: Vec<Text> = first.into_iter().collect();
    for spec in &ABROAD_FIELDS[2..] {
        lines.extend(optional_text(cx, errors, form, spec, LINE_MAX));
    }
    Some(OverseasAddress { country: country?, lines }).filter(|o| !o.lines.is_empty())
}

fn abroad_values(values: &mut Values, o: &OverseasAddress) {
    values.insert("abroad-country".into(), o.country.as_str().to_owned());
    for (i, l) in o.lines.iter().enumerate() {
        values.insert(format!("abroad-line-{}", i + 1), l.to_string());
    }
}

fn correspondence() -> Choice {
    const BFPO: &[FieldSpec] = &[
        FieldSpec::new("bfpo-number", "bfpo-number", FieldKind::Code).hint("bfpo-number-hint"),
        FieldSpec::new("bfpo-line-1", "bfpo-line-1", FieldKind::Text).noun("address-line-1"),
        FieldSpec::new("bfpo-line-2", "bfpo-line-2", FieldKind::Text),
        FieldSpec::new("bfpo-line-3", "bfpo-line-3", FieldKind::Text),
    ];
    Choice {
        title: |_| "contact-address-title",
        hint: Some("contact-address-hint"),
        options: &[
            Opt { value: "uk", label: "contact-address-uk", fields: &[] },
            Opt { value: "bfpo", label: "contact-address-bfpo", fields: BFPO },
            Opt { value: "abroad", label: "contact-address-abroad", fields: ABROAD_FIELDS },
        ],
        slots: &[Slot::Correspondence],
        error: "error-contact-address",
        answered: |a| a.correspondence.is_some(),
        current: |a| {
            let mut values = Values::new();
            let v = match &a.correspondence {
                Some(Correspondence::Bfpo { number, lines }) => {
                    values.insert("bfpo-number".into(), number.to_string());
                    for (i, l) in lines.iter().enumerate() {
                        values.insert(format!("bfpo-line-{}", i + 1), l.to_string());
                    }
                    "bfpo"
                }
                Some(Correspondence::Abroad(o)) => {
                    abroad_values(&mut values, o);
                    "abroad"
                }
                _ => "uk",
            };
            (v, values)
        },
        accept: |cx, a, chosen, form, errors| match chosen {
            "bfpo" => {
                let typed = field(form, "bfpo-number").trim().to_ascii_uppercase();
                let digits = typed.trim_start_matches("BFPO").trim();
                let number = match digits.parse::<u16>() {
                    Ok(n) if (1..=9999).contains(&n) && digits.len() <= 4 => Some(n),
                    _ if digits.is_empty() => {
                        cx.fail(errors, "bfpo-number", "error-bfpo-number-missing", &[]);
                        None
                    }
                    _ => {
                        cx.fail(errors, "bfpo-number", "error-bfpo-number", &[]);
                        None
                    }
                };
                let mut lines = Vec::new();
                lines.extend(required_text(cx, errors, form, &BFPO[1], "error-bfpo-line-1", LINE_MAX));
                for spec in &BFPO[2..] {
                    lines.extend(optional_text(cx, errors, form, spec, LINE_MAX));
                }
                if let Some(number) = number {
                    a.correspondence = Some(Correspondence::Bfpo { number, lines });
                }
            }
            "abroad" => {
                if let Some(o) = address_abroad(cx, errors, form) {
                    a.correspondence = Some(Correspondence::Abroad(o));
                }
            }
            _ => a.correspondence = Some(Correspondence::UkAddress),
        },
        summary: |cx, a| {
            let value = match &a.correspondence {
                Some(Correspondence::Bfpo { number, lines }) => {
                    let mut parts: Vec<String> = lines.iter().map(Text::to_string).collect();
                    parts.push(format!("BFPO {number}"));
                    parts.join(", ")
                }
                Some(Correspondence::Abroad(o)) => o.one_line(&country_name(&o.country, cx.frame.language())),
                _ => cx.t("contact-address-uk"),
            };
            vec![Row { label: cx.t("check-contact-address"), value }]
        },
    }
}

/// "Do you have a UK address?" for service voters.
fn uk_address_status() -> Choice {
    Choice {
        title: |_| "uk-address-title",
        hint: Some("uk-address-hint"),
        options: &[
            Opt { value: "living-there", label: "uk-address-living-there", fields: &[] },
            Opt { value: "not-living-there", label: "uk-address-not-living-there", fields: &[] },
            Opt { value: "no-address", label: "uk-address-no-address", fields: &[] },
        ],
        slots: &[Slot::UkAddress],
        error: "error-uk-address",
        answered: |a| a.uk_address.is_some(),
        current: |a| (a.uk_address.map(|u| u.as_str()).unwrap_or(""), Values::new()),
        accept: |_, a, chosen, _, _| a.uk_address = chosen.parse().ok(),
        summary: |cx, a| {
            let value = a.uk_address.map(|u| cx.t(&format!("uk-address-{}", u.as_str()))).unwrap_or_default();
            vec![Row { label: cx.t("check-uk-address"), value }]
        },
    }
}

fn service_address() -> AddressQ {
    AddressQ {
        slot: Slot::Address,
        titles: |a| AddressTitles {
            title: if a.uk_address == Some(UkAddressStatus::NoAddress) {
                "last-uk-address-title"
            } else {
                "address-title"
            },
            select: "address-select-title",
            manual: "address-manual-title",
            check: if a.uk_address == Some(UkAddressStatus::NoAddress) {
                "check-last-uk-address"
            } else {
                "check-address"
            },
        },
        northern_ireland: false,
    }
}

fn previous_address() -> AddressQ {
    AddressQ {
        slot: Slot::PreviousAddress,
        titles: |a| {
            let overseas_voter = a.moved == Some(Moved::FromAbroad);
            AddressTitles {
                title: if overseas_voter { "previous-address-overseas-title" } else { "previous-address-title" },
                select: "previous-address-select-title",
                manual: "previous-address-manual-title",
                check: if overseas_voter { "check-previous-address-overseas" } else { "check-previous-address" },
            }
        },
        northern_ireland: true,
    }
}

fn has_uk_home(a: &Answers, _: NaiveDate) -> bool {
    matches!(a.uk_address, Some(UkAddressStatus::LivingThere | UkAddressStatus::NotLivingThere))
}

/// "Have you moved in the last 12 months?" for service voters: yes or no.
fn moved_service() -> YesNo {
    YesNo {
        title: |_| "moved-service-title",
        hint: None,
        slots: &[Slot::Moved],
        get: |a| a.moved.map(|m| m != Moved::No),
        set: |a, v| a.moved = Some(if v { Moved::FromUk } else { Moved::No }),
        error: "error-moved",
        check: "check-moved",
    }
}

// --- The ordinary journey --------------------------------------------------------------------

fn ordinary() -> Flow {
    let p = PREFIX;
    Flow::new(
        JourneyKind::Ordinary,
        PREFIX,
        "/",
        resident_exit,
        vec![
            step(p, "country-of-residence", Country, always),
            step(p, "nationality", NationalityQ, always),
            step(p, "date-of-birth", DateOfBirthQ { may_decline: true }, always),
            step(p, "name", Name, always),
            step(p, "previous-name", previous_name(false), always),
            step(p, "nino", NinoQ, always),
            step(
                p,
                "address",
                AddressQ {
                    slot: Slot::Address,
                    titles: |_| AddressTitles {
                        title: "address-title",
                        select: "address-select-title",
                        manual: "address-manual-title",
                        check: "check-address",
                    },
                    northern_ireland: false,
                },
                always,
            ),
            step(p, "where-you-live", nation_check(), nation_differs),
            step(p, "other-address", other_address(), always),
            step(p, "moved", moved(), always),
            step(p, "overseas-voter", overseas_voter(), |a, _| a.moved == Some(Moved::FromAbroad)),
            step(p, "previous-address", previous_address(), |a, _| match a.moved {
                Some(Moved::FromUk) => true,
                Some(Moved::FromAbroad) => a.overseas_voter == Some(true),
                _ => false,
            }),
            step(p, "open-register", open_register(), publishable),
            step(p, "postal-vote", postal_vote(), always),
            step(p, "contact", ContactQ, always),
        ],
    )
}

/// The address is in another nation than the one they said they live in.
fn nation_differs(a: &Answers, _: NaiveDate) -> bool {
    let said = a.residence.and_then(Residence::nation);
    let address = a.gss_code().and_then(|g| g.nation());
    matches!((said, address), (Some(s), Some(n)) if s != n)
}

/// "Your address is in Wales": put a mismatch between the nation they said
/// and their address's to the applicant. The address decides the rules.
fn nation_check() -> Choice {
    Choice {
        title: |_| "where-you-live-title",
        hint: Some("where-you-live-hint"),
        options: &[
            Opt { value: "address", label: "where-you-live-address", fields: &[] },
            Opt { value: "change", label: "where-you-live-change", fields: &[] },
        ],
        // Once answered the nations agree and the step no longer applies: nothing of its own to keep.
        slots: &[],
        error: "error-where-you-live",
        answered: |_| false,
        current: |_| ("", Values::new()),
        accept: |_, a, chosen, _, _| {
            if chosen == "address" {
                a.residence = a.gss_code().and_then(|g| g.nation()).map(Residence::of);
            } else {
                a.address = None;
            }
        },
        summary: |_, _| Vec::new(),
    }
}

fn other_address() -> Choice {
    Choice {
        title: |_| "other-address-title",
        hint: None,
        options: &[
            Opt { value: "none", label: "other-address-none", fields: &[] },
            Opt { value: "second-home", label: "other-address-second-home", fields: &[] },
            Opt { value: "student", label: "other-address-student", fields: &[] },
        ],
        slots: &[Slot::OtherAddress],
        error: "error-other-address",
        answered: |a| a.other_address.is_some(),
        current: |a| {
            let v = match a.other_address {
                Some(OtherAddress::SecondHome) => "second-home",
                Some(OtherAddress::Student) => "student",
                _ => "none",
            };
            (v, Values::new())
        },
        accept: |_, a, chosen, _, _| {
            a.other_address = Some(match chosen {
                "second-home" => OtherAddress::SecondHome,
                "student" => OtherAddress::Student,
                _ => OtherAddress::None,
            })
        },
        summary: |cx, a| {
            let value =
                a.other_address.map(|o| cx.t(&format!("other-address-{}", serde_plain(&o)))).unwrap_or_default();
            vec![Row { label: cx.t("check-other-address"), value }]
        },
    }
}

fn moved() -> Choice {
    Choice {
        title: |_| "moved-title",
        hint: None,
        options: &[
            Opt { value: "no", label: "moved-no", fields: &[] },
            Opt { value: "from-uk", label: "moved-from-uk", fields: &[] },
            Opt { value: "from-abroad", label: "moved-from-abroad", fields: &[] },
        ],
        slots: &[Slot::Moved],
        error: "error-moved",
        answered: |a| a.moved.is_some(),
        current: |a| {
            let v = match a.moved {
                Some(Moved::FromUk) => "from-uk",
                Some(Moved::FromAbroad) => "from-abroad",
                _ => "no",
            };
            (v, Values::new())
        },
        accept: |_, a, chosen, _, _| {
            a.moved = Some(match chosen {
                "from-uk" => Moved::FromUk,
                "from-abroad" => Moved::FromAbroad,
                _ => Moved::No,
            })
        },
        summary: |cx, a| {
            let value = match a.moved {
                Some(Moved::FromUk) => cx.t("moved-from-uk"),
                Some(Moved::FromAbroad) => cx.t("moved-from-abroad"),
                _ => cx.t("moved-no"),
            };
            vec![Row { label: cx.t("check-moved"), value }]
        },
    }
}

fn overseas_voter() -> YesNo {
    YesNo {
        title: |_| "overseas-voter-title",
        hint: Some("overseas-voter-hint"),
        slots: &[Slot::OverseasVoter],
        get: |a| a.overseas_voter,
        set: |a, v| a.overseas_voter = Some(v),
        error: "error-overseas-voter",
        check: "check-overseas-voter",
    }
}

fn postal_vote() -> Choice {
    const EMAIL: &[FieldSpec] = &[FieldSpec::new("postal-vote-email", "postal-vote-email", FieldKind::Email)];
    Choice {
        title: |_| "postal-vote-title",
        hint: Some("postal-vote-hint"),
        options: &[
            Opt { value: "form-by-post", label: "postal-vote-form-by-post", fields: &[] },
            Opt { value: "form-by-email", label: "postal-vote-form-by-email", fields: EMAIL },
            Opt { value: "in-person", label: "postal-vote-in-person", fields: &[] },
            Opt { value: "already-have", label: "postal-vote-already-have", fields: &[] },
        ],
        slots: &[Slot::PostalVote],
        error: "error-postal-vote",
        answered: |a| a.postal_vote.is_some(),
        current: |a| match &a.postal_vote {
            Some(PostalVote::FormByEmail(email)) => {
                ("form-by-email", Values::from([("postal-vote-email".to_owned(), email.clone())]))
            }
            Some(PostalVote::FormByPost) => ("form-by-post", Values::new()),
            Some(PostalVote::AlreadyHave) => ("already-have", Values::new()),
            _ => ("in-person", Values::new()),
        },
        accept: |cx, a, chosen, form, errors| match chosen {
            "form-by-post" => a.postal_vote = Some(PostalVote::FormByPost),
            "already-have" => a.postal_vote = Some(PostalVote::AlreadyHave),
            "form-by-email" => {
                let email = field(form, "postal-vote-email").trim();
                if valid_email(email) {
                    a.postal_vote = Some(PostalVote::FormByEmail(email.to_owned()));
                } else {
                    cx.fail(errors, "postal-vote-email", "error-postal-vote-email", &[]);
                }
            }
            _ => a.postal_vote = Some(PostalVote::InPerson),
        },
        summary: |cx, a| {
            let value = match &a.postal_vote {
                Some(PostalVote::FormByEmail(email)) => cx.t_args("check-postal-vote-email", &[("email", email)]),
                Some(p) => cx.t(&format!("postal-vote-{}", serde_plain(p))),
                None => String::new(),
            };
            vec![Row { label: cx.t("check-postal-vote"), value }]
        },
    }
}

// --- The overseas journey --------------------------------------------------------------------

const OVERSEAS: &str = "/register-to-vote/overseas";

fn overseas() -> Flow {
    let p = OVERSEAS;
    let not_renewing: Applies = |a, _| !a.renewing();
    Flow::new(
        JourneyKind::Overseas,
        OVERSEAS,
        "/",
        overseas_exit,
        vec![
            // Reached by "I live abroad" on the ordinary journey's first question.
            step(PREFIX, "country-of-residence", Country, |a, _| a.residence == Some(Residence::Abroad)),
            step(p, "date-of-birth", DateOfBirthQ { may_decline: false }, always),
            step(p, "last-registered-to-vote", last_registered(), always),
            step(p, "date-left-uk", date_left(), not_renewing),
            step(p, "parent-name", parent_guardian(), |a, _| {
                a.last_registered == Some(LastRegistration::NotRegistered) && a.left_as_child()
            }),
            step(
                p,
                "last-uk-address",
                AddressQ {
                    slot: Slot::Address,
                    titles: |a| {
                        let (title, check) = match a.last_registered {
                            Some(LastRegistration::NotRegistered) if a.left_as_child() => {
                                ("parent-address-title", "check-parent-address")
                            }
                            Some(LastRegistration::NotRegistered) => ("last-uk-address-title", "check-last-uk-address"),
                            _ => ("registered-address-title", "check-registered-address"),
                        };
                        AddressTitles { title, select: "address-select-title", manual: "address-manual-title", check }
                    },
                    northern_ireland: false,
                },
                always,
            ),
            step(p, "passport", passport(), not_renewing),
            step(p, "passport-details", passport_details(), |a, _| !a.renewing() && a.passport == Some(Passport::Yes)),
            step(p, "citizenship", citizenship(), |a, _| {
                !a.renewing()
                    && matches!(a.passport, Some(Passport::NoBornInUk | Passport::NoBornElsewhere))
                    && !a.british_by_birth()
            }),
            step(p, "name", Name, always),
            step(p, "previous-name", previous_name(true), always),
            step(p, "nino", NinoQ, always),
            step(p, "address", overseas_address(), always),
            step(p, "open-register", open_register(), publishable),
            step(p, "ways-to-vote", ways_to_vote(), always),
            step(p, "vote-form", vote_form(), wants_a_form),
            step(p, "contact", ContactQ, always),
        ],
    )
}

fn last_registered() -> Choice {
    Choice {
        title: |_| "last-registered-title",
        hint: Some("last-registered-hint"),
        options: &[
            Opt { value: "ordinary", label: "last-registered-ordinary", fields: &[] },
            Opt { value: "overseas", label: "last-registered-overseas", fields: &[] },
            Opt { value: "forces", label: "last-registered-forces", fields: &[] },
            Opt { value: "crown", label: "last-registered-crown", fields: &[] },
            Opt { value: "british-council", label: "last-registered-british-council", fields: &[] },
            Opt { value: "not-registered", label: "last-registered-not-registered", fields: &[] },
        ],
        slots: &[Slot::LastRegistered],
        error: "error-last-registered",
        answered: |a| a.last_registered.is_some(),
        current: |a| (a.last_registered.map(|l| l.as_str()).unwrap_or(""), Values::new()),
        accept: |_, a, chosen, _, _| a.last_registered = chosen.parse().ok(),
        summary: |cx, a| {
            let value = a.last_registered.map(|l| cx.t(&format!("last-registered-{}", l.as_str()))).unwrap_or_default();
            vec![Row { label: cx.t("check-last-registered"), value }]
        },
    }
}

fn date_left() -> Fields {
    const FIELDS: &[FieldSpec] = &[FieldSpec::new("left", "date-left-legend", FieldKind::MonthYear)
        .hint("date-left-hint")
        .noun("date-left-noun")];
    Fields {
        title: |a| match a.last_registered {
            Some(LastRegistration::Forces) => "date-left-forces-title",
            Some(LastRegistration::Crown) => "date-left-crown-title",
            Some(LastRegistration::BritishCouncil) => "date-left-british-council-title",
            _ => "date-left-uk-title",
        },
        intro: |_| Vec::new(),
        fields: FIELDS,
        slots: &[Slot::LeftUk],
        answered: |a| a.left_uk.is_some(),
        current: |a| {
            let mut v = Values::new();
            if let Some(l) = a.left_uk {
                v.insert("left-month".into(), l.month().to_string());
                v.insert("left-year".into(), l.year().to_string());
            }
            v
        },
        accept: |cx, a, form, errors| {
            if let Some(left) = month_year(cx, errors, form, &FIELDS[0]) {
                // Not before they were born.
                if a.date_of_birth().is_some_and(|d| {
                    (left.year(), left.month())
                        < ({
                            use chrono::Datelike;
                            (d.date().year(), d.date().month())
                        })
                }) {
                    cx.fail(errors, "left", "error-date-left-before-birth", &[]);
                } else {
                    a.left_uk = Some(left);
                }
            }
        },
        summary: |cx, a| {
            let value = a.left_uk.map(|l| month_year_text(cx, l.month(), l.year())).unwrap_or_default();
            let label = match a.last_registered {
                Some(LastRegistration::Forces | LastRegistration::Crown | LastRegistration::BritishCouncil) => {
                    "check-date-left-service"
                }
                _ => "check-date-left-uk",
            };
            vec![Row { label: cx.t(label), value }]
        },
    }
}

fn month_year_text(cx: &Cx, month: u32, year: i32) -> String {
    let date = NaiveDate::from_ymd_opt(year, month, 1).expect("a real month");
    // "March 2019" / "Mawrth 2019": the long date without its day.
    let long = crate::render::long_date(date, cx.frame.language());
    long.split_once(' ').map(|(_, rest)| rest.to_owned()).unwrap_or(long)
}

fn parent_guardian() -> Fields {
    const FIELDS: &[FieldSpec] = &[
        FieldSpec::new("parent-given", "parent-given", FieldKind::Text),
        FieldSpec::new("parent-middle", "parent-middle", FieldKind::Text),
        FieldSpec::new("parent-surname", "parent-surname", FieldKind::Text),
        FieldSpec::new("parent-previous-given", "parent-previous-given", FieldKind::Text),
        FieldSpec::new("parent-previous-surname", "parent-previous-surname", FieldKind::Text),
    ];
    Fields {
        title: |_| "parent-name-title",
        intro: |_| vec!["parent-name-intro"],
        fields: FIELDS,
        slots: &[Slot::ParentGuardian],
        answered: |a| a.parent_guardian.is_some(),
        current: |a| {
            let mut v = Values::new();
            if let Some(p) = &a.parent_guardian {
                v.insert("parent-given".into(), p.name.given.to_string());
                v.insert("parent-middle".into(), p.name.middle.as_ref().map(|m| m.to_string()).unwrap_or_default());
                v.insert("parent-surname".into(), p.name.surname.to_string());
                if let Some(prev) = &p.previous_name {
                    v.insert("parent-previous-given".into(), prev.given.to_string());
                    v.insert("parent-previous-surname".into(), prev.surname.to_string());
                }
            }
            v
        },
        accept: |cx, a, form, errors| {
            use ier_domain::name::{NameError, NamePart};
            let mut fail = |cx: &mut Cx, problems: Vec<(NamePart, NameError)>, ids: [&str; 3]| {
                for (part, e) in problems {
                    let (id, key) = match (part, e) {
                        (NamePart::Given, NameError::Empty) => (ids[0], "error-parent-given"),
                        (NamePart::Surname, NameError::Empty) => (ids[2], "error-parent-surname"),
                        (NamePart::Given, _) => (ids[0], "error-parent-name-invalid"),
                        (NamePart::Middle, _) => (ids[1], "error-parent-name-invalid"),
                        (NamePart::Surname, _) => (ids[2], "error-parent-name-invalid"),
                    };
                    cx.fail(errors, id, key, &[]);
                }
            };
            let name = PersonName::parse(
                field(form, "parent-given"),
                field(form, "parent-middle"),
                field(form, "parent-surname"),
            )
            .map_err(|problems| fail(cx, problems, ["parent-given", "parent-middle", "parent-surname"]))
            .ok();
            let (pg, ps) = (field(form, "parent-previous-given"), field(form, "parent-previous-surname"));
            let previous = if pg.trim().is_empty() && ps.trim().is_empty() {
                Some(None)
            } else {
                PersonName::parse(pg, "", ps)
                    .map(Some)
                    .map_err(|problems| {
                        fail(
                            cx,
                            problems,
                            ["parent-previous-given", "parent-previous-given", "parent-previous-surname"],
                        )
                    })
                    .ok()
            };
            if let (Some(name), Some(previous_name)) = (name, previous) {
                a.parent_guardian = Some(ParentGuardian { name, previous_name });
            }
        },
        summary: |cx, a| {
            let value = a
                .parent_guardian
                .as_ref()
                .map(|p| match &p.previous_name {
                    Some(prev) => format!("{} ({})", full_name(&p.name), full_name(prev)),
                    None => full_name(&p.name),
                })
                .unwrap_or_default();
            vec![Row { label: cx.t("check-parent-name"), value }]
        },
    }
}

fn passport() -> Choice {
    Choice {
        title: |_| "passport-title",
        hint: None,
        options: &[
            Opt { value: "yes", label: "passport-yes", fields: &[] },
            Opt { value: "no-born-in-uk", label: "passport-no-born-in-uk", fields: &[] },
            Opt { value: "no-born-elsewhere", label: "passport-no-born-elsewhere", fields: &[] },
        ],
        slots: &[Slot::Passport],
        error: "error-passport",
        answered: |a| a.passport.is_some(),
        current: |a| {
            let v = match a.passport {
                Some(Passport::Yes) => "yes",
                Some(Passport::NoBornInUk) => "no-born-in-uk",
                Some(Passport::NoBornElsewhere) => "no-born-elsewhere",
                None => "",
            };
            (v, Values::new())
        },
        accept: |_, a, chosen, _, _| {
            a.passport = Some(match chosen {
                "yes" => Passport::Yes,
                "no-born-in-uk" => Passport::NoBornInUk,
                _ => Passport::NoBornElsewhere,
            })
        },
        summary: |cx, a| {
            let value = match a.passport {
                Some(Passport::Yes) => cx.t("passport-yes"),
                Some(Passport::NoBornInUk) => cx.t("passport-no-born-in-uk"),
                Some(Passport::NoBornElsewhere) => cx.t("passport-no-born-elsewhere"),
                None => String::new(),
            };
            vec![Row { label: cx.t("check-passport"), value }]
        },
    }
}

fn passport_details() -> Fields {
    const FIELDS: &[FieldSpec] = &[
        FieldSpec::new("passport-number", "passport-number", FieldKind::Code).hint("passport-number-hint"),
        FieldSpec::new("passport-authority", "passport-authority", FieldKind::Text).hint("passport-authority-hint"),
        FieldSpec::new("passport-issued", "passport-issued", FieldKind::Date).hint("passport-issued-hint"),
    ];
    Fields {
        title: |_| "passport-details-title",
        intro: |_| Vec::new(),
        fields: FIELDS,
        slots: &[Slot::PassportDetails],
        answered: |a| a.passport_details.is_some(),
        current: |a| {
            let mut v = Values::new();
            if let Some(p) = &a.passport_details {
                v.insert("passport-number".into(), p.number.as_str().to_owned());
                v.insert("passport-authority".into(), p.authority.to_string());
                date_values(&mut v, "passport-issued", p.issued.date());
            }
            v
        },
        accept: |cx, a, form, errors| {
            let number = match ier_domain::PassportNumber::parse(field(form, "passport-number")) {
                Ok(n) => Some(n),
                Err(ier_domain::kinds::PassportNumberError::Empty) => {
                    cx.fail(errors, "passport-number", "error-passport-number-missing", &[]);
                    None
                }
                Err(_) => {
                    cx.fail(errors, "passport-number", "error-passport-number", &[]);
                    None
                }
            };
            let authority = required_text(cx, errors, form, &FIELDS[1], "error-passport-authority", LINE_MAX);
            let issued = past_date(cx, errors, form, &FIELDS[2]);
            if let (Some(number), Some(authority), Some(issued)) = (number, authority, issued) {
                a.passport_details = Some(PassportDetails { number, authority, issued });
            }
        },
        summary: |cx, a| {
            let value = a
                .passport_details
                .as_ref()
                .map(|p| {
                    cx.t_args(
                        "check-passport-details-value",
                        &[
                            ("number", p.number.as_str()),
                            ("authority", p.authority.as_str()),
                            ("date", &crate::render::long_date(p.issued.date(), cx.frame.language())),
                        ],
                    )
                })
                .unwrap_or_default();
            vec![Row { label: cx.t("check-passport-details"), value }]
        },
    }
}

fn citizenship() -> Fields {
    const FIELDS: &[FieldSpec] = &[
        FieldSpec::new("citizen-since", "citizen-since", FieldKind::Date).hint("citizen-since-hint"),
        FieldSpec::new("citizen-how", "citizen-how", FieldKind::Textarea).hint("citizen-how-hint"),
        FieldSpec::new("citizen-birthplace", "citizen-birthplace", FieldKind::Text).hint("citizen-birthplace-hint"),
    ];
    Fields {
        title: |_| "citizenship-title",
        intro: |_| Vec::new(),
        fields: FIELDS,
        slots: &[Slot::CitizenDetails],
        answered: |a| a.citizen_details.is_some(),
        current: |a| {
            let mut v = Values::new();
            if let Some(c) = &a.citizen_details {
                date_values(&mut v, "citizen-since", c.became.date());
                v.insert("citizen-how".into(), c.how.to_string());
                v.insert("citizen-birthplace".into(), c.birthplace.to_string());
            }
            v
        },
        accept: |cx, a, form, errors| {
            let became: Option<PastDate> = past_date(cx, errors, form, &FIELDS[0]);
            let how = required_text(cx, errors, form, &FIELDS[1], "error-citizen-how", REASON_MAX);
            let birthplace = required_text(cx, errors, form, &FIELDS[2], "error-citizen-birthplace", LINE_MAX);
            if let (Some(became), Some(how), Some(birthplace)) = (became, how, birthplace) {
                a.citizen_details = Some(CitizenDetails { became, how, birthplace });
            }
        },
        summary: |cx, a| {
            let value = a
                .citizen_details
                .as_ref()
                .map(|c| {
                    cx.t_args(
                        "check-citizenship-value",
                        &[
                            ("date", &crate::render::long_date(c.became.date(), cx.frame.language())),
                            ("how", c.how.as_str()),
                            ("birthplace", c.birthplace.as_str()),
                        ],
                    )
                })
                .unwrap_or_default();
            vec![Row { label: cx.t("check-citizenship"), value }]
        },
    }
}

fn overseas_address() -> Fields {
    Fields {
        title: |_| "abroad-address-title",
        intro: |_| Vec::new(),
        fields: ABROAD_FIELDS,
        slots: &[Slot::AddressAbroad],
        answered: |a| a.address_abroad.is_some(),
        current: |a| {
            let mut v = Values::new();
            if let Some(o) = &a.address_abroad {
                abroad_values(&mut v, o);
            }
            v
        },
        accept: |cx, a, form, errors| {
            if let Some(o) = address_abroad(cx, errors, form) {
                a.address_abroad = Some(o);
            }
        },
        summary: |cx, a| {
            let value = a
                .address_abroad
                .as_ref()
                .map(|o| o.one_line(&country_name(&o.country, cx.frame.language())))
                .unwrap_or_default();
            vec![Row { label: cx.t("check-address-abroad"), value }]
        },
    }
}

// --- Service voters: the armed forces, Crown servants and British Council employees ----------

const FORCES: &str = "/register-to-vote/forces";
const CROWN: &str = "/register-to-vote/crown";

/// The address steps and the personal steps both service journeys share, after their statement.
fn service_steps(p: &str) -> Vec<Step> {
    vec![
        step(p, "uk-address", uk_address_status(), always),
        step(p, "address", service_address(), always),
        step(p, "moved", moved_service(), has_uk_home),
        step(p, "previous-address", previous_address(), |a, _| {
            has_uk_home(a, NaiveDate::MIN) && a.moved == Some(Moved::FromUk)
        }),
        step(p, "nationality", NationalityQ, always),
        step(p, "date-of-birth", DateOfBirthQ { may_decline: true }, always),
        step(p, "name", Name, always),
        step(p, "previous-name", previous_name(false), always),
    ]
}

fn forces() -> Flow {
    let p = FORCES;
    let mut steps = vec![step(p, "statement", forces_statement(), always)];
    steps.extend(service_steps(p));
    steps.extend([
        step(p, "nino", NinoQ, always),
        step(p, "service", service(), always),
        step(p, "rank", rank(), always),
        step(p, "contact-address", correspondence(), always),
        step(p, "open-register", open_register(), publishable),
        step(p, "ways-to-vote", ways_to_vote(), always),
        step(p, "vote-form", vote_form(), wants_a_form),
        step(p, "contact", ContactQ, always),
    ]);
    Flow::new(JourneyKind::Forces, FORCES, "/", resident_exit, steps)
}

fn crown() -> Flow {
    let p = CROWN;
    let mut steps = vec![step(p, "statement", crown_statement(), always)];
    steps.extend(service_steps(p));
    steps.extend([
        step(p, "job-title", job(), always),
        step(p, "nino", NinoQ, always),
        step(p, "contact-address", correspondence(), always),
        step(p, "open-register", open_register(), publishable),
        step(p, "ways-to-vote", ways_to_vote(), always),
        step(p, "vote-form", vote_form(), wants_a_form),
        step(p, "contact", ContactQ, always),
    ]);
    Flow::new(JourneyKind::Crown, CROWN, "/", resident_exit, steps)
}

fn statement_error(cx: &mut Cx, errors: &mut Errors, e: ier_domain::kinds::StatementError) {
    use ier_domain::kinds::StatementError;
    let key = match e {
        StatementError::Nothing => "error-statement-nothing",
        StatementError::ServantAndEmployee => "error-statement-servant-and-employee",
        StatementError::BothPartners => "error-statement-both-partners",
    };
    cx.fail(errors, "statement", key, &[]);
}

fn forces_statement() -> Checks {
    Checks {
        title: "forces-statement-title",
        hint: Some("statement-hint"),
        items: &[("member", "forces-statement-member"), ("partner", "forces-statement-partner")],
        slots: &[Slot::ForcesStatement],
        answered: |a| a.forces_statement.is_some(),
        current: |a| {
            let mut v = Vec::new();
            if let Some(s) = a.forces_statement {
                if s.member {
                    v.push("member");
                }
                if s.partner {
                    v.push("partner");
                }
            }
            v
        },
        accept: |cx, a, ticked, errors| match ForcesStatement::new(
            ticked.contains(&"member"),
            ticked.contains(&"partner"),
        ) {
            Ok(s) => a.forces_statement = Some(s),
            Err(e) => statement_error(cx, errors, e),
        },
        summary: |cx, a| {
            let mut parts = Vec::new();
            if let Some(s) = a.forces_statement {
                if s.member {
                    parts.push(cx.t("forces-statement-member"));
                }
                if s.partner {
                    parts.push(cx.t("forces-statement-partner"));
                }
            }
            vec![Row { label: cx.t("check-statement"), value: parts.join("; ") }]
        },
    }
}

fn crown_statement() -> Checks {
    const ITEMS: &[(&str, &str)] = &[
        ("crown-servant", "crown-statement-servant"),
        ("crown-partner", "crown-statement-partner"),
        ("council-employee", "crown-statement-council-employee"),
        ("council-partner", "crown-statement-council-partner"),
    ];
    Checks {
        title: "crown-statement-title",
        hint: Some("statement-hint"),
        items: ITEMS,
        slots: &[Slot::CrownStatement],
        answered: |a| a.crown_statement.is_some(),
        current: |a| {
            let Some(s) = a.crown_statement else { return Vec::new() };
            [s.crown_servant, s.crown_partner, s.council_employee, s.council_partner]
                .into_iter()
                .zip(ITEMS)
                .filter(|(on, _)| *on)
                .map(|(_, (v, _))| *v)
                .collect()
        },
        accept: |cx, a, ticked, errors| {
            let has = |v: &str| ticked.contains(&v);
            match CrownStatement::new(
                has("crown-servant"),
                has("crown-partner"),
                has("council-employee"),
                has("council-partner"),
            ) {
                Ok(s) => a.crown_statement = Some(s),
                Err(e) => statement_error(cx, errors, e),
            }
        },
        summary: |cx, a| {
            let Some(s) = a.crown_statement else { return Vec::new() };
            let parts: Vec<String> = [s.crown_servant, s.crown_partner, s.council_employee, s.council_partner]
                .into_iter()
                .zip(ITEMS)
                .filter(|(on, _)| *on)
                .map(|(_, (_, label))| cx.t(label))
                .collect();
            vec![Row { label: cx.t("check-statement"), value: parts.join("; ") }]
        },
    }
}

fn service() -> Choice {
    const REGIMENT: &[FieldSpec] =
        &[FieldSpec::new("regiment", "service-regiment", FieldKind::Text).hint("service-regiment-hint")];
    Choice {
        title: |a| if a.partner_only() { "service-partner-title" } else { "service-title" },
        hint: None,
        options: &[
            Opt { value: "royal-navy", label: "service-royal-navy", fields: &[] },
            Opt { value: "british-army", label: "service-british-army", fields: REGIMENT },
            Opt { value: "royal-air-force", label: "service-royal-air-force", fields: &[] },
        ],
        slots: &[Slot::Service],
        error: "error-service",
        answered: |a| a.service.is_some(),
        current: |a| {
            let mut v = Values::new();
            let chosen = a.service.as_ref().map(|s| s.branch.as_str()).unwrap_or("");
            if let Some(r) = a.service.as_ref().and_then(|s| s.regiment.as_ref()) {
                v.insert("regiment".into(), r.to_string());
            }
            (chosen, v)
        },
        accept: |cx, a, chosen, form, errors| {
            let Ok(branch) = chosen.parse::<ServiceBranch>() else { return };
            let regiment = if branch == ServiceBranch::BritishArmy {
                let r = required_text(cx, errors, form, &REGIMENT[0], "error-regiment", LINE_MAX);
                if r.is_none() {
                    return;
                }
                r
            } else {
                None
            };
            a.service = Some(ServiceAnswer { branch, regiment });
        },
        summary: |cx, a| {
            let value = a
                .service
                .as_ref()
                .map(|s| {
                    let branch = cx.t(&format!("service-{}", s.branch.as_str()));
                    match &s.regiment {
                        Some(r) => format!("{branch}: {r}"),
                        None => branch,
                    }
                })
                .unwrap_or_default();
            vec![Row { label: cx.t("check-service"), value }]
        },
    }
}

fn rank() -> Fields {
    const FIELDS: &[FieldSpec] = &[
        FieldSpec::new("service-number", "service-number", FieldKind::Code),
        FieldSpec::new("rank", "rank", FieldKind::Text).hint("rank-hint"),
    ];
    Fields {
        title: |a| if a.partner_only() { "rank-partner-title" } else { "rank-title" },
        intro: |_| Vec::new(),
        fields: FIELDS,
        slots: &[Slot::ServiceNumberRank],
        answered: |a| a.service_number_rank.is_some(),
        current: |a| {
            let mut v = Values::new();
            if let Some((n, r)) = &a.service_number_rank {
                v.insert("service-number".into(), n.to_string());
                v.insert("rank".into(), r.to_string());
            }
            v
        },
        accept: |cx, a, form, errors| {
            let number = required_text(cx, errors, form, &FIELDS[0], "error-service-number", CODE_MAX);
            let rank = required_text(cx, errors, form, &FIELDS[1], "error-rank", LINE_MAX);
            if let (Some(n), Some(r)) = (number, rank) {
                a.service_number_rank = Some((n, r));
            }
        },
        summary: |cx, a| {
            let Some((n, r)) = &a.service_number_rank else { return Vec::new() };
            vec![
                Row { label: cx.t("check-service-number"), value: n.to_string() },
                Row { label: cx.t("check-rank"), value: r.to_string() },
            ]
        },
    }
}

fn job() -> Fields {
    const FIELDS: &[FieldSpec] = &[
        FieldSpec::new("job-title", "job-title", FieldKind::Text).autocomplete("organization-title"),
        FieldSpec::new("payroll-number", "payroll-number", FieldKind::Code).hint("payroll-number-hint"),
        FieldSpec::new("department", "department", FieldKind::Text)
            .hint("department-hint")
            .autocomplete("organization"),
    ];
    Fields {
        title: |a| if a.partner_only() { "job-partner-title" } else { "job-title-title" },
        intro: |_| Vec::new(),
        fields: FIELDS,
        slots: &[Slot::Job],
        answered: |a| a.job.is_some(),
        current: |a| {
            let mut v = Values::new();
            if let Some(j) = &a.job {
                v.insert("job-title".into(), j.title.to_string());
                v.insert("payroll-number".into(), j.payroll_number.to_string());
                v.insert("department".into(), j.department.to_string());
            }
            v
        },
        accept: |cx, a, form, errors| {
            let title = required_text(cx, errors, form, &FIELDS[0], "error-job-title", LINE_MAX);
            let payroll_number = required_text(cx, errors, form, &FIELDS[1], "error-payroll-number", CODE_MAX);
            let department = required_text(cx, errors, form, &FIELDS[2], "error-department", LINE_MAX);
            if let (Some(title), Some(payroll_number), Some(department)) = (title, payroll_number, department) {
                a.job = Some(Job { title, payroll_number, department });
            }
        },
        summary: |cx, a| {
            let Some(j) = &a.job else { return Vec::new() };
            vec![
                Row { label: cx.t("check-job-title"), value: j.title.to_string() },
                Row { label: cx.t("check-payroll-number"), value: j.payroll_number.to_string() },
                Row { label: cx.t("check-department"), value: j.department.to_string() },
            ]
        },
    }
}
