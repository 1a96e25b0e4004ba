//! Familiar forms of given names (William / Bill), shipped as data in
//! `data/nicknames.csv` (`formal,nickname`, one pair a line) and compiled in.
//!
//! A pair matches in either direction. Two nicknames of the same formal name
//! ("Bill" and "Will") are not treated as each other: the table only links a
//! formal name to its familiar forms.

use std::collections::HashSet;
use std::sync::LazyLock;

use crate::normalise::compact;

/// The shipped table, as text.
pub const NICKNAMES_CSV: &str = include_str!("../data/nicknames.csv");

/// Normalised (formal, nickname) pairs.
static PAIRS: LazyLock<HashSet<(String, String)>> =
    LazyLock::new(|| rows().map(|(formal, nick)| (compact(formal), compact(nick))).collect());

/// The table's rows (header skipped, blank lines ignored), as written.
pub fn rows() -> impl Iterator<Item = (&'static str, &'static str)> {
    NICKNAMES_CSV
        .lines()
        .skip(1)
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .filter_map(|l| l.split_once(','))
        .map(|(a, b)| (a.trim(), b.trim()))
}

/// True when one name is a familiar form of the other in the table.
pub fn is_nickname_pair(a: &str, b: &str) -> bool {
    let (a, b) = (compact(a), compact(b));
    PAIRS.contains(&(a.clone(), b.clone())) || PAIRS.contains(&(b, a))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_well_formed() {
        let lines = NICKNAMES_CSV.lines().skip(1).filter(|l| !l.trim().is_empty());
        assert_eq!(lines.clone().count(), rows().count(), "every row has a comma");
        assert!(rows().count() >= 80);
        let mut seen = HashSet::new();
        for (formal, nick) in rows() {
            assert!(!formal.is_empty() && !nick.is_empty());
            assert_ne!(compact(formal), compact(nick), "{formal}");
            assert!(seen.insert((formal, nick)), "duplicate {formal},{nick}");
        }
    }

    #[test]
    fn pairs_match_both_ways_and_ignore_case_and_accents() {
        assert!(is_nickname_pair("William", "Bill"));
        assert!(is_nickname_pair("BILL", "william"));
        assert!(is_nickname_pair("Margaret", "Peggy"));
        assert!(!is_nickname_pair("Bill", "Will"), "siblings are not linked");
        assert!(!is_nickname_pair("William", "Robert"));
        assert!(!is_nickname_pair("William", "William"));
    }
}
