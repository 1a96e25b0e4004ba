//! Comparison levels: how well each field of a pair agrees.
//!
//! | field | levels (best first; "missing" when either side is empty) |
//! | --- | --- |
//! | given name | exact · variant (nickname/language form, first word of a multi-word name, or the other's middle name) · Jaro-Winkler ≥ 0.92 · JW ≥ 0.80 · different |
//! | middle names | exact · initial or first word agrees · different |
//! | surname | exact · variant (one part of a double-barrelled name, Mac/Mc) · JW ≥ 0.92 · JW ≥ 0.80 · different |
//! | date of birth | exact · day and month transposed · two of year, month, day agree · different |
//! | NINO / identifier | exact · one edit apart · different |
//! | address | same postcode and address · same postcode and house numbers · same address, other postcode · same postcode · same UK sector or postcode one edit apart · same town or outward code · different |
//!
//! Exact means equal in comparable form ([`crate::fields`]) ignoring spaces.
//! When both names disagree, the pair is also compared with the left record's
//! given name and surname swapped, and the better reading is kept (`swapped`).

use crate::fields::{address_numbers, dob_parts, id_unpack, uk_parts};
use crate::normalise::{jaro_winkler, jaro_winkler_bound};
use crate::record::Prepared;
use crate::reference::{Rec, Reference};
use crate::variants::variants_of_compact;

/// The compared fields, in model order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    GivenName,
    MiddleNames,
    Surname,
    DateOfBirth,
    Nino,
    Address,
}

/// Number of fields.
pub const NFIELDS: usize = 6;

/// The level of a field whose value is missing on either side (Bayes factor 1).
pub const MISSING: u8 = u8::MAX;

impl Field {
    pub const ALL: [Field; NFIELDS] =
        [Field::GivenName, Field::MiddleNames, Field::Surname, Field::DateOfBirth, Field::Nino, Field::Address];

    /// The column name.
    pub fn name(self) -> &'static str {
        match self {
            Field::GivenName => "given_name",
            Field::MiddleNames => "middle_names",
            Field::Surname => "surname",
            Field::DateOfBirth => "date_of_birth",
            Field::Nino => "nino",
            Field::Address => "address",
        }
    }

    /// The names of the levels, best first.
    pub fn levels(self) -> &'static [&'static str] {
        match self {
            Field::GivenName => &["exact", "variant", "jaro-winkler >= 0.92", "jaro-winkler >= 0.80", "different"],
            Field::MiddleNames => &["exact", "initial", "different"],
            Field::Surname => &["exact", "variant", "jaro-winkler >= 0.92", "jaro-winkler >= 0.80", "different"],
            Field::DateOfBirth => &["exact", "day-month transposed", "two of three parts", "different"],
            Field::Nino => &["exact", "one edit", "different"],
            Field::Address => &[
                "same postcode and address",
                "same postcode and numbers",
                "same address, other postcode",
                "same postcode",
                "same sector",
                "same town or district",
                "different",
            ],
        }
    }

    /// The level name (or "missing").
    pub fn level_name(self, level: u8) -> &'static str {
        if level == MISSING { "missing" } else { self.levels()[level as usize] }
    }
}

/// A pair's comparison: one level a field, and the term frequencies of exact names.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Comparison {
    pub levels: [u8; NFIELDS],
    /// Given name and surname read swapped on the left.
    pub swapped: bool,
    /// Both given names are known, whole names (not initials), and at the
    /// "different" level: not a variant, a nickname, a typo or the other's
    /// middle name. See [`Comparison::another_person`].
    pub given_clearly_different: bool,
    /// For an exact given name / surname: the share of reference records with that value.
    pub given_tf: f64,
    pub surname_tf: f64,
}

const NOT_FOUND: u32 = u32::MAX;

/// A left record resolved against the reference's pools, ready to compare.
pub struct LeftView<'a> {
    pub p: &'a Prepared,
    given: u32,
    middle: u32,
    surname: u32,
    address: u32,
    postcode: u32,
    town: u32,
    middle_first: &'a str,
    surname_mc: std::borrow::Cow<'a, str>,
    /// The given name as [`mc`] has it (for reading the names swapped).
    given_mc: std::borrow::Cow<'a, str>,
    /// Pool ids of the given name's variants.
    given_variants: Vec<u32>,
    outward: Option<&'a str>,
    sector: Option<&'a str>,
}

fn first_word(s: &str) -> &str {
    s.as_bytes().iter().position(|&b| b == b' ').map_or(s, |at| &s[..at])
}

fn has_space(s: &str) -> bool {
    s.as_bytes().contains(&b' ')
}

fn same_compact(a: &str, b: &str) -> bool {
    a.bytes().filter(|&c| c != b' ').eq(b.bytes().filter(|&c| c != b' '))
}

/// "macdonald" and "mcdonald" alike: compact, with a leading "mac" as "mc"
/// (borrowed when that changes nothing, as for most names).
fn mc(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains(' ') && !s.starts_with("mac") {
        return std::borrow::Cow::Borrowed(s);
    }
    let c: String = s.chars().filter(|&c| c != ' ').collect();
    std::borrow::Cow::Owned(match c.strip_prefix("mac") {
        Some(rest) if !rest.is_empty() => format!("mc{rest}"),
        _ => c,
    })
}

/// `mc(r) == l_mc` without allocating (only names starting "mc"/"mac" can differ from themselves).
fn same_mc(r: &str, l_mc: &str) -> bool {
    if !l_mc.starts_with("mc") {
        return false;
    }
    let rest = r.strip_prefix("mac").or_else(|| r.strip_prefix("mc"));
    match rest {
        Some(rest) if !rest.is_empty() => same_compact(rest, &l_mc[2..]),
        _ => false,
    }
}

impl<'a> LeftView<'a> {
    /// Pool ids (given, middle, surname, address, postcode, town): 0 = empty, `u32::MAX` = not in the reference.
    pub fn ids(&self) -> (u32, u32, u32, u32, u32, u32) {
        (self.given, self.middle, self.surname, self.address, self.postcode, self.town)
    }

    pub fn new(reference: &Reference, p: &'a Prepared) -> Self {
        let get = |pool: &crate::intern::Interner, s: &str| pool.get(s).unwrap_or(NOT_FOUND);
        let given_first = first_word(p.given());
        let mut given_variants: Vec<u32> =
            variants_of_compact(given_first).iter().filter_map(|v| reference.names.get(v)).collect();
        given_variants.sort_unstable();
        let parts = uk_parts(p.postcode());
        LeftView {
            p,
            given: get(&reference.names, p.given()),
            middle: get(&reference.names, p.middle()),
            surname: get(&reference.names, p.surname()),
            address: get(&reference.addresses, p.address()),
            postcode: get(&reference.postcodes, p.postcode()),
            town: get(&reference.towns, p.town()),
            middle_first: first_word(p.middle()),
            surname_mc: mc(p.surname()),
            given_mc: mc(p.given()),
            given_variants,
            outward: parts.map(|p| p.0),
            sector: parts.map(|p| p.1),
        }
    }
}

/// The Jaro-Winkler level of names `l` (pool id `lid`) and `r` (pool id `rid`).
fn jw_level(l: &str, lid: u32, r: &str, rid: u32, exact_levels: u8) -> u8 {
    // Most pairs of different names cannot reach the lower band; the bound says so
    // without the full comparison (a margin keeps the decision exactly as JW's own).
    if jaro_winkler_bound(l, r).is_some_and(|bound| bound < 0.80 - 1e-9) {
        return exact_levels + 2;
    }
    let jw = jaro_winkler_names(l, lid, r, rid);
    if jw >= 0.92 {
        exact_levels
    } else if jw >= 0.80 {
        exact_levels + 1
    } else {
        exact_levels + 2
    }
}

/// Pairs of pooled names each thread remembers the similarity of (a power of two).
const JW_MEMO_SLOTS: usize = 1 << 14;

thread_local! {
    /// (left id << 32 | right id, similarity); `u64::MAX` = empty.
    static JW_MEMO: std::cell::RefCell<Vec<(u64, f64)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// [`jaro_winkler`] of `l` and `r`. The same pairs of names come up again and
/// again across records, so when `l` is in the reference's name pool (`lid`, as
/// [`LeftView::new`] found it; `r` always is) the result is remembered per thread
/// under the two ids: the same value, computed once.
fn jaro_winkler_names(l: &str, lid: u32, r: &str, rid: u32) -> f64 {
    if lid == NOT_FOUND {
        return jaro_winkler(l, r);
    }
    let key = u64::from(lid) << 32 | u64::from(rid);
    JW_MEMO.with(|memo| {
        let mut memo = memo.borrow_mut();
        if memo.is_empty() {
            memo.resize(JW_MEMO_SLOTS, (u64::MAX, 0.0));
        }
        let slot = &mut memo[(crate::hash::mix(key) as usize) & (JW_MEMO_SLOTS - 1)];
        if slot.0 != key {
            *slot = (key, jaro_winkler(l, r));
        }
        slot.1
    })
}

/// Given-name level of left name `l` (pool id `lid`) against the right record's given and middle names.
#[allow(clippy::too_many_arguments)]
fn given_level(
    reference: &Reference,
    l: &str,
    lid: u32,
    l_variants: &[u32],
    l_middle_first: &str,
    rgiven: u32,
    rmiddle: u32,
) -> u8 {
    if l.is_empty() || rgiven == 0 {
        return MISSING;
    }
    if lid == rgiven {
        return 0;
    }
    let r = reference.names.resolve(rgiven);
    if same_compact(l, r) {
        return 0;
    }
    let (lf, rf) = (first_word(l), first_word(r));
    let r_words = has_space(r);
    // (When the right name is one word, a variant equal to it is `rgiven` itself.)
    if l_variants.binary_search(&rgiven).is_ok()
        || (lf == rf && (has_space(l) || r_words))
        || (r_words && l_variants.iter().any(|&v| reference.names.resolve(v) == rf))
        || (rmiddle != 0 && first_word(reference.names.resolve(rmiddle)) == lf)
        || (!l_middle_first.is_empty() && l_middle_first == rf)
    {
        return 1;
    }
    jw_level(l, lid, r, rgiven, 2)
}

fn surname_level(reference: &Reference, l: &str, lid: u32, l_mc: &str, rsurname: u32) -> u8 {
    if l.is_empty() || rsurname == 0 {
        return MISSING;
    }
    if lid == rsurname {
        return 0;
    }
    let r = reference.names.resolve(rsurname);
    if same_compact(l, r) {
        return 0;
    }
    let multi = has_space(l) || has_space(r);
    if (multi && l.split(' ').any(|a| a.len() > 1 && r.split(' ').any(|b| a == b))) || same_mc(r, l_mc) {
        return 1;
    }
    jw_level(l, lid, r, rsurname, 2)
}

fn middle_level(reference: &Reference, v: &LeftView<'_>, rmiddle: u32) -> u8 {
    if v.p.middle().is_empty() || rmiddle == 0 {
        return MISSING;
    }
    if v.middle == rmiddle {
        return 0;
    }
    let r = reference.names.resolve(rmiddle);
    if same_compact(v.p.middle(), r) {
        return 0;
    }
    let rf = first_word(r);
    if v.middle_first == rf || v.middle_first.bytes().next() == rf.bytes().next() {
        return 1;
    }
    2
}

fn dob_level(l: u32, r: u32) -> u8 {
    if l == 0 || r == 0 {
        return MISSING;
    }
    if l == r {
        return 0;
    }
    let (ly, lm, ld) = dob_parts(l);
    let (ry, rm, rd) = dob_parts(r);
    if ly == ry && lm == rd && ld == rm {
        return 1;
    }
    let same = u8::from(ly == ry) + u8::from(lm == rm) + u8::from(ld == rd);
    if same == 2 { 2 } else { 3 }
}

fn nino_level(l: u64, r: u64) -> u8 {
    if l == 0 || r == 0 {
        return MISSING;
    }
    if l == r {
        return 0;
    }
    match (id_unpack(l), id_unpack(r)) {
        (Some((a, na)), Some((b, nb))) if one_edit_apart_bytes(&a[..na], &b[..nb]) => 1,
        _ => 2,
    }
}

/// [`one_edit_apart`] over bytes, without allocating.
fn one_edit_apart_bytes(a: &[u8], b: &[u8]) -> bool {
    if a == b {
        return false;
    }
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    match long.len() - short.len() {
        0 => {
            let first = (0..a.len()).find(|&i| a[i] != b[i]).unwrap_or(a.len());
            let rest = first + 1;
            a[rest..] == b[rest..]
                || (rest < a.len() && a[first] == b[rest] && a[rest] == b[first] && a[rest + 1..] == b[rest + 1..])
        }
        1 => {
            let first = (0..short.len()).find(|&i| short[i] != long[i]).unwrap_or(short.len());
            short[first..] == long[first + 1..]
        }
        _ => false,
    }
}

fn address_level(reference: &Reference, v: &LeftView<'_>, r: &Rec) -> u8 {
    let l_has = !v.p.address().is_empty() || !v.p.postcode().is_empty();
    let r_has = r.address != 0 || r.postcode != 0;
    if !l_has || !r_has {
        return MISSING;
    }
    let pc_eq = r.postcode != 0 && v.postcode == r.postcode;
    let line_eq = r.address != 0 && v.address == r.address;
    if pc_eq && line_eq {
        return 0;
    }
    if pc_eq {
        let numbers = address_numbers(v.p.address());
        if !numbers.is_empty() && numbers == address_numbers(reference.addresses.resolve(r.address)) {
            return 1;
        }
    }
    if line_eq {
        return 2;
    }
    if pc_eq {
        return 3;
    }
    let rpc = reference.postcodes.resolve(r.postcode);
    let rparts = uk_parts(rpc);
    if let (Some(ls), Some((_, rs))) = (v.sector, rparts)
        && ls == rs
    {
        return 4;
    }
    if !v.p.postcode().is_empty()
        && !rpc.is_empty()
        && v.p.postcode().len() >= 4
        && one_edit_apart_bytes(v.p.postcode().as_bytes(), rpc.as_bytes())
    {
        return 4;
    }
    if (r.town != 0 && v.town == r.town) || matches!((v.outward, rparts), (Some(lo), Some((ro, _))) if lo == ro) {
        return 5;
    }
    6
}

/// Compare a left record with reference record `right`.
pub fn compare(reference: &Reference, v: &LeftView<'_>, right: u32) -> Comparison {
    let r = &reference.recs[right as usize];
    let mut given = given_level(reference, v.p.given(), v.given, &v.given_variants, v.middle_first, r.given, r.middle);
    let mut surname = surname_level(reference, v.p.surname(), v.surname, &v.surname_mc, r.surname);
    let mut swapped = false;
    if given != MISSING && surname != MISSING && given >= 3 && surname >= 3 {
        // Given name and surname the other way round?
        let g2 = given_level(reference, v.p.surname(), v.surname, &[], "", r.given, 0);
        let s2 = surname_level(reference, v.p.given(), v.given, &v.given_mc, r.surname);
        if u16::from(g2) + u16::from(s2) < u16::from(given) + u16::from(surname) && g2 <= 2 && s2 <= 2 {
            (given, surname, swapped) = (g2, s2, true);
        }
    }
    let given_clearly_different = !swapped && {
        let (l, rg) = (v.p.given(), reference.names.resolve(r.given));
        whole_name(l)
            && whole_name(rg)
            && (given == GIVEN_DIFFERENT || (given == GIVEN_DIFFERENT - 1 && edits_at_least(l, rg, 3)))
    };
    let n = reference.len() as f64;
    let given_tf = if given == 0 { f64::from(reference.given_count[r.given as usize]) / n } else { 0.0 };
    let surname_tf = if surname == 0 { f64::from(reference.surname_count[r.surname as usize]) / n } else { 0.0 };
    Comparison {
        levels: [
            given,
            middle_level(reference, v, r.middle),
            surname,
            dob_level(v.p.dob, r.dob),
            nino_level(v.p.nino, r.nino),
            address_level(reference, v, r),
        ],
        swapped,
        given_clearly_different,
        given_tf,
        surname_tf,
    }
}

/// The given-name level "different".
const GIVEN_DIFFERENT: u8 = 4;

/// Whether `a` and `b` are at least `n` single-character edits apart (an insertion, a
/// deletion, a substitution or two neighbours swapped: the optimal string alignment
/// distance, as [`one_edit_apart`](crate::normalise::one_edit_apart) counts one). A typo is one
/// or two edits; names three apart ("Sean" and "Sinead") are different names.
fn edits_at_least(a: &str, b: &str, n: usize) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) >= n {
        return true;
    }
    // Three rows of the table: two rows back (for swaps), the last, and this one.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut last: Vec<usize> = (0..=b.len()).collect();
    let mut row: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        row[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (last[j - 1] + cost).min(last[j] + 1).min(row[j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            row[j] = d;
        }
        std::mem::swap(&mut before, &mut last);
        std::mem::swap(&mut last, &mut row);
    }
    last[b.len()] >= n
}

/// A name of two letters or more (an initial says too little to tell two people apart).
fn whole_name(s: &str) -> bool {
    s.chars().filter(|c| c.is_alphabetic()).nth(1).is_some()
}

impl Comparison {
    /// Whether the pair is two people, whatever else they share: their given
    /// names are clearly different, and neither an exact NINO nor an exact date
    /// of birth says otherwise. A household's members share a surname and an
    /// address; without dates of birth (a register) only the given name tells
    /// them apart, so it decides. With the same date of birth too (twins, or one
    /// person whose given name was recorded wrongly) the model weighs the evidence.
    pub fn another_person(&self) -> bool {
        self.given_clearly_different
            && self.levels[Field::Nino as usize] != 0
            && self.levels[Field::DateOfBirth as usize] != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalise::one_edit_apart;
    use proptest::prelude::*;

    #[test]
    fn names_three_edits_apart_are_different_names_and_initials_say_nothing() {
        assert!(edits_at_least("sean", "sinead", 3));
        assert!(edits_at_least("jill", "marija", 3));
        assert!(!edits_at_least("jonathon", "jonathan", 2));
        assert!(!edits_at_least("catherine", "katharine", 3), "two edits: a spelling");
        assert!(edits_at_least("", "abc", 3) && !edits_at_least("", "ab", 3));
        assert!(whole_name("Jo") && !whole_name("J") && !whole_name("J.") && !whole_name(""));
    }

    proptest! {
        #[test]
        fn edits_at_least_is_one_edit_apart_at_two(a in "[a-d]{0,6}", b in "[a-d]{0,6}") {
            let one_or_none = a == b || one_edit_apart(&a, &b);
            prop_assert_eq!(!edits_at_least(&a, &b, 2), one_or_none);
        }

        #[test]
        fn byte_one_edit_agrees_with_the_shared_definition(a in "[a-d]{0,6}", b in "[a-d]{0,6}") {
            prop_assert_eq!(one_edit_apart_bytes(a.as_bytes(), b.as_bytes()), one_edit_apart(&a, &b));
        }

        #[test]
        fn remembered_similarities_are_the_computed_ones(pairs in proptest::collection::vec((0u32..40, 0u32..40), 1..300)) {
            // Ids stand for names here; a few, so that pairs repeat and slots are reused.
            let name = |id: u32| format!("{}{}", ["ann", "anne", "jon", "john", "sian"][id as usize % 5], id / 5);
            for (a, b) in pairs {
                let (l, r) = (name(a), name(b));
                prop_assert_eq!(jaro_winkler_names(&l, a, &r, b), jaro_winkler(&l, &r));
                prop_assert_eq!(jaro_winkler_names(&l, NOT_FOUND, &r, b), jaro_winkler(&l, &r));
            }
        }

        #[test]
        fn mac_and_mc(rest in "[a-z]{1,8}") {
            let mac = format!("mac{rest}");
            let l = mc(&mac);
            let (short, long) = (format!("mc{rest}"), format!("mac{rest}"));
            prop_assert!(same_mc(&short, &l));
            prop_assert!(same_mc(&long, &l));
        }
    }
}
