//! The exceptions process's documents (`data/evidence.toml`): what an ERO may
//! ask an applicant whose identity could not be confirmed to send, by a code
//! (`passport`, `council-tax-bill`, ...) with its words in English and Welsh.
//! A [`DocumentKind`] can only hold a listed code.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::Language;

#[derive(Debug, Deserialize)]
struct Entry {
    group: String,
    en: String,
    cy: String,
}

static LIST: LazyLock<Vec<(String, Entry)>> = LazyLock::new(|| {
    const SOURCE: &str = include_str!("../data/evidence.toml");
    let mut by_code: BTreeMap<String, Entry> = toml::from_str(SOURCE).expect("data/evidence.toml is valid");
    // Kept in the file's order: the list is shown as written.
    let order: Vec<String> = SOURCE
        .lines()
        .filter_map(|l| l.strip_prefix('[').and_then(|l| l.strip_suffix(']')).map(str::to_owned))
        .collect();
    assert_eq!(order.len(), by_code.len(), "data/evidence.toml: one table a document");
    order
        .into_iter()
        .map(|k| {
            let e = by_code.remove(&k).expect("listed");
            (k, e)
        })
        .collect()
});

/// A document from the list.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DocumentKind(u8);

/// A code that is not on the list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a document on the list")]
pub struct UnknownDocument;

impl DocumentKind {
    /// Every document, in the list's order.
    pub fn all() -> impl Iterator<Item = DocumentKind> {
        (0..LIST.len()).map(|i| DocumentKind(i as u8))
    }

    pub fn parse(code: &str) -> Result<Self, UnknownDocument> {
        LIST.iter().position(|(k, _)| k == code).map(|i| DocumentKind(i as u8)).ok_or(UnknownDocument)
    }

    pub fn code(&self) -> &'static str {
        &LIST[self.0 as usize].0
    }

    /// Group A: one is enough. Group B: usually two are asked for.
    pub fn group_a(&self) -> bool {
        LIST[self.0 as usize].1.group == "a"
    }

    pub fn describe(&self, language: Language) -> &'static str {
        let e = &LIST[self.0 as usize].1;
        match language {
            Language::En => &e.en,
            Language::Cy => &e.cy,
        }
    }
}

impl fmt::Debug for DocumentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl TryFrom<String> for DocumentKind {
    type Error = UnknownDocument;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<DocumentKind> for String {
    fn from(d: DocumentKind) -> Self {
        d.code().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_reads_in_order_with_both_languages() {
        let all: Vec<_> = DocumentKind::all().collect();
        assert!(all.len() >= 10);
        assert_eq!(all[0].code(), "passport");
        for d in all {
            assert_eq!(DocumentKind::parse(d.code()), Ok(d));
            assert!(!d.describe(Language::En).is_empty() && d.describe(Language::En) != d.describe(Language::Cy));
            let json = serde_json::to_string(&d).unwrap();
            assert_eq!(serde_json::from_str::<DocumentKind>(&json).unwrap(), d);
        }
        assert!(DocumentKind::parse("library-card").is_err());
        assert!(serde_json::from_str::<DocumentKind>("\"library-card\"").is_err());
    }
}
