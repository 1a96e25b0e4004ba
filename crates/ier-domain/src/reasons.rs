//! What a determination's reason codes mean to the applicant, in English and
//! Welsh (`data/reasons.toml`): the same words in a message and on the status
//! page. A code the list does not know is shown as `other`.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Deserialize;

use crate::{Language, ReasonCode};

#[derive(Debug, Deserialize)]
struct Words {
    en: String,
    cy: String,
}

static REASONS: LazyLock<BTreeMap<String, Words>> =
    LazyLock::new(|| toml::from_str(include_str!("../data/reasons.toml")).expect("data/reasons.toml is valid"));

/// Every listed reason code, in order (staff choose from these).
pub fn codes() -> impl Iterator<Item = &'static str> {
    REASONS.keys().map(String::as_str)
}

/// The reason category a code falls in: itself if listed, else `other`.
pub fn category(code: &ReasonCode) -> &'static str {
    REASONS.get_key_value(code.as_str()).map_or("other", |(k, _)| k.as_str())
}

/// One reason in the applicant's words.
pub fn describe(code: &ReasonCode, language: Language) -> &'static str {
    let words = &REASONS[category(code)];
    match language {
        Language::En => &words.en,
        Language::Cy => &words.cy,
    }
}

/// The reasons of a determination in the applicant's words, each once, in order.
pub fn describe_all(codes: &[ReasonCode], language: Language) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for code in codes {
        let words = describe(code, language);
        if !out.contains(&words) {
            out.push(words);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_has_both_languages_and_unknown_codes_are_other() {
        assert!(REASONS.contains_key("other"));
        for (code, words) in REASONS.iter() {
            assert!(ReasonCode::parse(code).is_ok(), "{code}");
            assert!(!words.en.is_empty() && !words.cy.is_empty() && words.en != words.cy, "{code}");
        }
        let known = ReasonCode::parse("identity-not-confirmed").unwrap();
        assert_eq!(describe(&known, Language::En), "We could not confirm who you are.");
        let unknown = ReasonCode::parse("fraudulent-application").unwrap();
        assert_eq!(category(&unknown), "other");
        let other = ReasonCode::parse("other").unwrap();
        assert_eq!(describe_all(&[unknown, other, known], Language::Cy).len(), 2, "each once");
    }
}
