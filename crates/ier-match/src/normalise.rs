//! Name normalisation and string similarity for matching (shared by the bulk
//! linkage engine and `ier-dwp`'s verification rules).
//!
//! [`normalise`] puts a name in the form the rules compare: Unicode NFKD with
//! combining marks removed (so "Siân" and "Sian" agree), a few letters that NFKD
//! does not decompose folded by [`FOLDS`] ("Øyvind" → "oyvind", "Łukasz" →
//! "lukasz"), lower case, and hyphens, apostrophes and full stops treated as
//! word separators, with runs of separators collapsed to one space.
//! [`compact`] is the same without any spaces ("O'Brien" = "OBrien").
//!
//! [`jaro_winkler`] is the standard Jaro-Winkler similarity (prefix scale 0.1,
//! prefix up to 4 characters, boost always applied), computed over characters.
//! [`one_edit_apart`] says whether two strings differ by exactly one insertion,
//! deletion, substitution or swap of neighbouring characters.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Letters NFKD leaves whole, folded to their plain Latin forms.
pub const FOLDS: &[(char, &str)] = &[
    ('ø', "o"),
    ('Ø', "o"),
    ('ł', "l"),
    ('Ł', "l"),
    ('đ', "d"),
    ('Đ', "d"),
    ('æ', "ae"),
    ('Æ', "ae"),
    ('œ', "oe"),
    ('Œ', "oe"),
    ('ß', "ss"),
    ('ı', "i"),
    ('þ', "th"),
    ('Þ', "th"),
];

/// Characters that separate words inside a name part.
const SEPARATORS: &[char] = &['-', '\'', '.', '\u{2019}', '\u{2018}', '\u{2010}', '\u{2011}'];

/// The comparable form of a name: words of folded lower-case letters, one space apart.
pub fn normalise(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    normalise_into(input, &mut out);
    out
}

/// [`normalise`], appended to `out`.
pub fn normalise_into(input: &str, out: &mut String) {
    if input.is_ascii() { normalise_ascii_into(input, out) } else { normalise_unicode_into(input, out) }
}

/// [`normalise`] through NFKD and the folds, for any input.
#[cfg(test)]
fn normalise_unicode(input: &str) -> String {
    let mut out = String::new();
    normalise_unicode_into(input, &mut out);
    out
}

fn normalise_unicode_into(input: &str, out: &mut String) {
    let start = out.len();
    let mut pending_space = false;
    // Lower-case between two decompositions: some capitals lower-case to a
    // letter that decomposes or folds further ("ẞ" → "ß" → "ss", "İ" → "i" + a
    // dot above), and the normal form must be a fixed point.
    for c in input.nfkd().flat_map(char::to_lowercase).nfkd() {
        if is_combining_mark(c) {
            continue;
        }
        if c.is_whitespace() || SEPARATORS.contains(&c) {
            pending_space = out.len() > start;
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        match FOLDS.iter().find(|(from, _)| *from == c) {
            Some((_, to)) => out.push_str(to),
            None => out.push(c),
        }
    }
}

/// [`normalise`] for ASCII input (the common case): same result, no Unicode tables.
#[cfg(test)]
fn normalise_ascii(input: &str) -> String {
    let mut out = String::new();
    normalise_ascii_into(input, &mut out);
    out
}

fn normalise_ascii_into(input: &str, out: &mut String) {
    let start = out.len();
    out.reserve(input.len());
    let mut pending_space = false;
    for b in input.bytes() {
        if b.is_ascii_whitespace() || matches!(b, b'-' | b'\'' | b'.') || b == 0x0B {
            pending_space = out.len() > start;
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(b.to_ascii_lowercase() as char);
    }
}

/// [`normalise`] without spaces: "Mac an t-Saoir" → "macantsaoir".
pub fn compact(input: &str) -> String {
    normalise(input).replace(' ', "")
}

/// The words of a normalised name.
pub fn words(input: &str) -> Vec<String> {
    normalise(input).split(' ').filter(|w| !w.is_empty()).map(str::to_owned).collect()
}

/// Jaro similarity in 0..=1 (1 = identical; two empty strings are identical).
pub fn jaro(a: &str, b: &str) -> f64 {
    if a.is_ascii() && b.is_ascii() {
        return jaro_slices(a.as_bytes(), b.as_bytes());
    }
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    jaro_slices(&a, &b)
}

/// Jaro similarity over any sequences (bytes for ASCII, chars otherwise).
/// Strings of up to 64 elements use no heap.
pub fn jaro_slices<T: PartialEq>(a: &[T], b: &[T]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let (mut a_stack, mut b_stack) = ([false; 64], [false; 64]);
    let (mut a_heap, mut b_heap) = (Vec::new(), Vec::new());
    let (a_matched, b_matched): (&mut [bool], &mut [bool]) = if a.len() <= 64 && b.len() <= 64 {
        (&mut a_stack[..a.len()], &mut b_stack[..b.len()])
    } else {
        a_heap.resize(a.len(), false);
        b_heap.resize(b.len(), false);
        (&mut a_heap, &mut b_heap)
    };
    let window = (a.len().max(b.len()) / 2).saturating_sub(1);
    let mut matches = 0usize;
    for (i, ca) in a.iter().enumerate() {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(b.len());
        for j in lo..hi {
            if !b_matched[j] && b[j] == *ca {
                a_matched[i] = true;
                b_matched[j] = true;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let mut half_transpositions = 0usize;
    let mut j = 0usize;
    for (i, ca) in a.iter().enumerate() {
        if !a_matched[i] {
            continue;
        }
        while !b_matched[j] {
            j += 1;
        }
        if b[j] != *ca {
            half_transpositions += 1;
        }
        j += 1;
    }
    let m = matches as f64;
    let t = (half_transpositions / 2) as f64;
    (m / a.len() as f64 + m / b.len() as f64 + (m - t) / m) / 3.0
}

/// Jaro-Winkler similarity in 0..=1: Jaro boosted by a common prefix (up to 4, scale 0.1).
pub fn jaro_winkler(a: &str, b: &str) -> f64 {
    let j = jaro(a, b);
    let prefix = a.chars().zip(b.chars()).take(4).take_while(|(x, y)| x == y).count();
    j + prefix as f64 * 0.1 * (1.0 - j)
}

/// An upper bound of [`jaro_winkler`] that is cheap to compute for ASCII
/// (`None` otherwise): Jaro with every character the two have in common
/// (wherever it is) counted as matched and none transposed, boosted by the real
/// common prefix. Most pairs of different names fall far below a threshold by
/// this bound alone, so the full comparison is only made for the rest.
pub fn jaro_winkler_bound(a: &str, b: &str) -> Option<f64> {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if !(a.is_ascii() && b.is_ascii()) {
        return None;
    }
    if a.is_empty() || b.is_empty() {
        return Some(if a.len() == b.len() { 1.0 } else { 0.0 });
    }
    // Characters are counted in 32 classes (the low five bits: each letter its own
    // class, whatever its case); merging classes can only raise the bound.
    let mut counts = [0u8; 32];
    for &c in a {
        let n = &mut counts[usize::from(c & 31)];
        *n = n.saturating_add(1);
    }
    let mut common = 0usize;
    for &c in b {
        let n = &mut counts[usize::from(c & 31)];
        if *n > 0 {
            *n -= 1;
            common += 1;
        }
    }
    if common == 0 {
        return Some(0.0);
    }
    let m = common as f64;
    let j = (m / a.len() as f64 + m / b.len() as f64 + 1.0) / 3.0;
    let prefix = a.iter().zip(b).take(4).take_while(|(x, y)| x == y).count();
    Some(j + prefix as f64 * 0.1 * (1.0 - j))
}

/// True when `a` and `b` differ by exactly one insertion, deletion,
/// substitution or transposition of neighbouring characters.
pub fn one_edit_apart(a: &str, b: &str) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a == b {
        return false;
    }
    let (short, long) = if a.len() <= b.len() { (&a, &b) } else { (&b, &a) };
    match long.len() - short.len() {
        0 => {
            let diffs: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
            match diffs[..] {
                [_] => true,
                [i, j] => j == i + 1 && a[i] == b[j] && a[j] == b[i],
                _ => false,
            }
        }
        1 => {
            let first_diff = (0..short.len()).find(|&i| short[i] != long[i]).unwrap_or(short.len());
            short[first_diff..] == long[first_diff + 1..]
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(x: f64, want: f64) -> bool {
        (x - want).abs() < 0.001
    }

    #[test]
    fn jaro_winkler_known_values() {
        // The textbook examples (Winkler 1990; Wikipedia).
        assert!(close(jaro("martha", "marhta"), 0.944), "{}", jaro("martha", "marhta"));
        assert!(close(jaro_winkler("martha", "marhta"), 0.961));
        assert!(close(jaro("dwayne", "duane"), 0.822));
        assert!(close(jaro_winkler("dwayne", "duane"), 0.840));
        assert!(close(jaro("dixon", "dicksonx"), 0.767));
        assert!(close(jaro_winkler("dixon", "dicksonx"), 0.813));
        assert!(close(jaro("crate", "trace"), 0.733));
        assert_eq!(jaro_winkler("smith", "smith"), 1.0);
        assert_eq!(jaro_winkler("abc", "xyz"), 0.0);
        assert_eq!(jaro_winkler("", ""), 1.0);
        assert_eq!(jaro_winkler("a", ""), 0.0);
    }

    #[test]
    fn normalises_accents_case_and_separators() {
        assert_eq!(normalise("Siân"), "sian");
        assert_eq!(normalise("  SMITH-jones "), "smith jones");
        assert_eq!(normalise("O'Brien"), "o brien");
        assert_eq!(normalise("St. John"), "st john");
        assert_eq!(normalise("Øyvind"), "oyvind");
        assert_eq!(normalise("Łukasz Wójcik"), "lukasz wojcik");
        assert_eq!(normalise("Gwenllïan"), "gwenllian");
        assert_eq!(normalise("Nguyễn"), "nguyen");
        assert_eq!(normalise("Sia\u{0302}n"), "sian");
        assert_eq!(normalise("--"), "");
        assert_eq!(normalise("GROẞ"), "gross", "capital sharp s lower-cases to a letter that folds");
        assert_eq!(normalise("İlkay"), "ilkay", "a dotted capital I lower-cases to i and a mark");
        assert_eq!(compact("Mac an t-Saoir"), "macantsaoir");
        assert_eq!(compact("O'Brien"), compact("OBRIEN"));
        assert_eq!(words("Smith-Jones"), vec!["smith", "jones"]);
    }

    #[test]
    fn one_edit() {
        assert!(one_edit_apart("john", "jon"));
        assert!(one_edit_apart("jon", "john"));
        assert!(one_edit_apart("john", "jxhn"));
        assert!(one_edit_apart("john", "jhon"));
        assert!(one_edit_apart("john", "johnx"));
        assert!(!one_edit_apart("john", "john"));
        assert!(!one_edit_apart("john", "jan"));
        assert!(!one_edit_apart("john", "nhoj"));
        assert!(!one_edit_apart("abcd", "badc"));
    }

    proptest! {
        #[test]
        fn jaro_winkler_is_a_bounded_symmetric_similarity(a in "\\PC{0,20}", b in "\\PC{0,20}") {
            let x = jaro_winkler(&a, &b);
            prop_assert!((0.0..=1.0).contains(&x));
            prop_assert_eq!(jaro(&a, &b), jaro(&b, &a));
            prop_assert_eq!(jaro_winkler(&a, &a), 1.0);
        }

        #[test]
        fn the_bound_is_never_below_jaro_winkler(a in "[a-e ]{0,10}", b in "[a-e ]{0,10}", c in "\\PC{0,12}") {
            // A small alphabet, so that pairs share many characters in many orders.
            for (x, y) in [(a.as_str(), b.as_str()), (a.as_str(), c.as_str()), (c.as_str(), a.as_str())] {
                match jaro_winkler_bound(x, y) {
                    Some(bound) => prop_assert!(bound + 1e-12 >= jaro_winkler(x, y), "{} < {}", bound, jaro_winkler(x, y)),
                    None => prop_assert!(!(x.is_ascii() && y.is_ascii())),
                }
            }
        }

        #[test]
        fn ascii_fast_path_agrees_with_unicode_path(s in "[ -~\t\n\x0b\x0c\r]{0,40}") {
            prop_assert_eq!(normalise_ascii(&s), normalise_unicode(&s));
        }

        #[test]
        fn jaro_bytes_and_chars_agree(a in "[a-z]{0,12}", b in "[a-z]{0,12}") {
            let ca: Vec<char> = a.chars().collect();
            let cb: Vec<char> = b.chars().collect();
            prop_assert_eq!(jaro_slices(a.as_bytes(), b.as_bytes()), jaro_slices(&ca, &cb));
        }

        #[test]
        fn normal_form_is_a_fixed_point(s in "\\PC{0,40}") {
            let n = normalise(&s);
            prop_assert_eq!(normalise(&n), n.clone());
            prop_assert!(!n.starts_with(' ') && !n.ends_with(' ') && !n.contains("  "));
        }

        #[test]
        fn a_single_edit_is_one_edit_apart(s in "[a-z]{2,12}", at in 0usize..12, c in "[0-9]") {
            let chars: Vec<char> = s.chars().collect();
            let at = at % chars.len();
            let c = c.chars().next().unwrap();
            let mut inserted = chars.clone();
            inserted.insert(at, c);
            let mut substituted = chars.clone();
            substituted[at] = c;
            let mut deleted = chars.clone();
            deleted.remove(at);
            for edited in [inserted, substituted, deleted] {
                let edited: String = edited.into_iter().collect();
                prop_assert!(one_edit_apart(&s, &edited));
                prop_assert!(one_edit_apart(&edited, &s));
            }
        }
    }
}
