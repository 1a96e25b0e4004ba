//! Name variants for comparison and blocking: the familiar forms of
//! [`crate::nicknames`] (formal ↔ familiar, `data/nicknames.csv`) together with
//! spelling and language variants shipped in `data/name_variants.csv` (one
//! group a line: every name in a group is a variant of every other, e.g.
//! John, Sion, Iain, Ian, Sean; David, Dafydd, Dewi).
//!
//! Names are compared in [`compact`] form. Two nicknames of the same formal name
//! ("Bill" and "Will") are not variants of each other, as in [`crate::nicknames`].

use std::sync::LazyLock;

use crate::hash::FastMap;
use crate::nicknames;
use crate::normalise::compact;

/// The shipped variant groups, as text.
pub const NAME_VARIANTS_CSV: &str = include_str!("../data/name_variants.csv");

/// compact name → its variants (compact, without itself), sorted and unique.
static VARIANTS: LazyLock<FastMap<String, Vec<String>>> = LazyLock::new(|| {
    let mut map: FastMap<String, Vec<String>> = FastMap::default();
    let mut link = |a: &str, b: &str| {
        let (a, b) = (compact(a), compact(b));
        if a != b && !a.is_empty() && !b.is_empty() {
            map.entry(a.clone()).or_default().push(b.clone());
            map.entry(b).or_default().push(a);
        }
    };
    for (formal, nick) in nicknames::rows() {
        link(formal, nick);
    }
    for group in groups() {
        for (i, a) in group.iter().enumerate() {
            for b in &group[i + 1..] {
                link(a, b);
            }
        }
    }
    for v in map.values_mut() {
        v.sort_unstable();
        v.dedup();
    }
    map
});

/// The variant groups (header skipped, blank lines ignored), as written.
pub fn groups() -> impl Iterator<Item = Vec<&'static str>> {
    NAME_VARIANTS_CSV
        .lines()
        .skip(1)
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(str::trim).filter(|n| !n.is_empty()).collect())
}

/// The variants of a name already in [`compact`] form (empty when it has none).
pub fn variants_of_compact(name: &str) -> &'static [String] {
    VARIANTS.get(name).map(Vec::as_slice).unwrap_or(&[])
}

/// True when one name is a listed variant or familiar form of the other.
pub fn is_variant_pair(a: &str, b: &str) -> bool {
    let (a, b) = (compact(a), compact(b));
    variants_of_compact(&a).binary_search(&b).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_well_formed() {
        assert!(groups().count() >= 40);
        for g in groups() {
            assert!(g.len() >= 2, "{g:?}");
        }
    }

    #[test]
    fn variants_link_both_ways_across_both_tables() {
        assert!(is_variant_pair("Dafydd", "David"));
        assert!(is_variant_pair("david", "DEWI"));
        assert!(is_variant_pair("Siân", "Jane"));
        assert!(is_variant_pair("Bill", "William"));
        assert!(is_variant_pair("Gwilym", "William"));
        assert!(!is_variant_pair("Bill", "Will"), "siblings in the nickname table are not linked");
        assert!(!is_variant_pair("John", "John"));
        assert!(variants_of_compact("zzzz").is_empty());
    }
}
