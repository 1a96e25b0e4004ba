//! The kinds of question a journey is made of. Each parses what was posted
//! into domain types (or says, field by field, what is wrong, keeping every
//! value typed) and says what "Check your answers" shows. The ordinary
//! journey's pages keep their own templates; the others are generic pages
//! described by data ([`fields::Fields`], [`choice::Choice`], [`fields::Checks`]).

pub mod address;
pub mod choice;
pub mod contact;
pub mod country;
pub mod dob;
pub mod fields;
pub mod name;
pub mod nationality;
pub mod nino;

use std::sync::LazyLock;

use ier_domain::{Language, PersonName};
use minijinja::{Value, context};
use serde::Serialize;

/// A value as its plain serde string (`"second-home"`).
pub fn serde_plain<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// A whole name on one line.
pub fn full_name(n: &PersonName) -> String {
    [Some(n.given.to_string()), n.middle.as_ref().map(|m| m.to_string()), Some(n.surname.to_string())]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
}

/// An email address as the real service checked it: a local part, an `@`, and a domain with a dot.
pub fn valid_email(e: &str) -> bool {
    match e.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !e.contains(char::is_whitespace)
                && e.len() <= 254
        }
        None => false,
    }
}

/// 5 to 30 digits once spaces, brackets, dashes and a leading + are taken out.
pub fn valid_phone(p: &str) -> bool {
    let digits: String = p.chars().filter(|c| !matches!(c, ' ' | '(' | ')' | '-' | '+')).collect();
    (5..=30).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) && p.chars().count() <= 40
}

/// A country's name in a language.
pub fn country_name(code: &ier_domain::CountryCode, language: Language) -> String {
    let c = code.country();
    if language == Language::Cy { c.name_cy.clone() } else { c.name.clone() }
}

/// Countries to choose a nationality from (British and Irish are their own
/// boxes), built once per language (about 200 of them).
pub fn nationality_countries(language: Language) -> Value {
    static ITEMS: LazyLock<[Value; 2]> = LazyLock::new(|| {
        let not_uk_or_ireland = |c: &ier_domain::nationality::Country| {
            !matches!(c.category, ier_domain::CountryCategory::British | ier_domain::CountryCategory::Irish)
        };
        [countries(Language::En, not_uk_or_ireland), countries(Language::Cy, not_uk_or_ireland)]
    });
    ITEMS[usize::from(language == Language::Cy)].clone()
}

/// Countries an address outside the UK may be in (every country but the UK), once per language.
pub fn address_countries(language: Language) -> Value {
    static ITEMS: LazyLock<[Value; 2]> = LazyLock::new(|| {
        let not_uk = |c: &ier_domain::nationality::Country| c.code.as_str() != "GB";
        [countries(Language::En, not_uk), countries(Language::Cy, not_uk)]
    });
    ITEMS[usize::from(language == Language::Cy)].clone()
}

fn countries(language: Language, keep: impl Fn(&ier_domain::nationality::Country) -> bool) -> Value {
    let mut countries: Vec<_> = ier_domain::nationality::register()
        .iter()
        .filter(|c| keep(c))
        .map(|c| {
            (if language == Language::Cy { c.name_cy.clone() } else { c.name.clone() }, c.code.as_str().to_owned())
        })
        .collect();
    countries.sort();
    Value::from(countries.into_iter().map(|(text, value)| context! { text, value }).collect::<Vec<_>>())
}
