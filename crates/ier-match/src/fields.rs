//! Field normalisation for linkage: the comparable forms of names, dates of
//! birth, identifiers (NINO or any other), postcodes and address lines.
//!
//! - **Names** ([`name_key`]): [`normalise`] (NFKD, accents, case, hyphens and
//!   apostrophes as separators), then every character that is not a letter or
//!   digit becomes a separator; words one space apart.
//! - **Date of birth** ([`parse_dob`]): `YYYY-MM-DD`, packed as `yyyymmdd`. The
//!   shape is checked (a malformed date is an input error); the calendar is not
//!   (benchmarks hold impossible dates such as month 13, which still compare).
//! - **Identifier** ([`id_key`]): upper case, letters and digits only; a valid UK
//!   NINO loses its suffix letter (the suffix is optional and does not identify).
//!   Anything else is kept as an opaque identifier (e.g. FEBRL's social security id).
//!   Keys of up to 12 symbols are packed into a `u64` (base 37) and can be
//!   unpacked for one-edit comparison; longer ones are hashed.
//! - **Postcode** ([`postcode_key`]): upper case, letters and digits only. A UK
//!   postcode also yields its outward code and sector ([`uk_parts`]); others
//!   (e.g. 4-digit Australian) are compared whole.
//! - **Address** ([`address_key`]): lines 1 and 2 as tokens; numbers (house, flat;
//!   "2/14" is two) sorted, then the words with common street-type abbreviations
//!   expanded and "flat"/"apartment"/"unit" dropped: `"2 14|high street"`. So
//!   "Flat 2, 14 High Street", "2/14 High St" and "14 High Street Flat 2" agree.

use crate::normalise::normalise_into;

/// A packed date of birth: `yyyymmdd` (0 = missing).
pub type Dob = u32;

/// Why a field could not be read. Never carries the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    #[error("date_of_birth must be a date in the form YYYY-MM-DD")]
    NotADate,
    /// Written as a date, but no such day exists (1937-02-29, 1980-04-31).
    #[error("date_of_birth is in the form YYYY-MM-DD, but that day does not exist")]
    NoSuchDate,
}

impl FieldError {
    /// A few words for a summary of values set aside.
    pub fn reason(self) -> &'static str {
        match self {
            FieldError::NotADate => "not a date in the form YYYY-MM-DD",
            FieldError::NoSuchDate => "a day that does not exist",
        }
    }
}

/// The comparable form of a name: lower-case words of letters and digits, one space apart.
pub fn name_key(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    name_key_into(input, &mut out);
    out
}

/// [`name_key`], appended to `out`.
pub fn name_key_into(input: &str, out: &mut String) {
    let start = out.len();
    normalise_into(input, out);
    if out.as_bytes()[start..].iter().all(|&b| b == b' ' || b.is_ascii_alphanumeric()) {
        return;
    }
    let n = out.split_off(start);
    for word in n.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        if out.len() > start {
            out.push(' ');
        }
        out.push_str(word);
    }
}

/// A `YYYY-MM-DD` date packed as `yyyymmdd`; empty → `Ok(0)`.
pub fn parse_dob(input: &str) -> Result<Dob, FieldError> {
    let s = input.trim();
    if s.is_empty() {
        return Ok(0);
    }
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(FieldError::NotADate);
    }
    let mut v = 0u32;
    for (i, &c) in b.iter().enumerate() {
        if i == 4 || i == 7 {
            continue;
        }
        if !c.is_ascii_digit() {
            return Err(FieldError::NotADate);
        }
        v = v * 10 + u32::from(c - b'0');
    }
    // A date whose day and month were typed the wrong way round (1980-13-05) is
    // kept as written: the comparison recognises the swap. Anything else must be real.
    let (y, m, d) = dob_parts(v);
    if !real_date(y, m, d) && !real_date(y, d, m) {
        return Err(FieldError::NoSuchDate);
    }
    Ok(v)
}

fn real_date(year: u32, month: u32, day: u32) -> bool {
    (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month)
}

/// Days in a month of the Gregorian calendar.
fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Year, month and day of a packed date.
pub fn dob_parts(d: Dob) -> (u32, u32, u32) {
    (d / 10_000, d / 100 % 100, d % 100)
}

/// The date with day and month transposed (0 when the same or impossible as a month).
pub fn dob_swapped(d: Dob) -> Dob {
    let (y, m, day) = dob_parts(d);
    if d == 0 || m == day || day > 12 || day == 0 {
        return 0;
    }
    y * 10_000 + day * 100 + m
}

const HASHED: u64 = 1 << 63;

fn sym(c: u8) -> u64 {
    match c {
        b'0'..=b'9' => u64::from(c - b'0') + 1,
        _ => u64::from(c - b'A') + 11,
    }
}

/// True for a UK NINO in compact upper-case form with or without its suffix.
fn is_uk_nino(s: &[u8]) -> bool {
    (s.len() == 8 || s.len() == 9 && matches!(s[8], b'A'..=b'D'))
        && s[0].is_ascii_uppercase()
        && s[1].is_ascii_uppercase()
        && s[2..8].iter().all(u8::is_ascii_digit)
}

/// An identifier's key: 0 = missing. See the module docs.
pub fn id_key(input: &str) -> u64 {
    // Identifiers are short: their letters and digits fit on the stack.
    let mut buf = [0u8; 16];
    let mut n = 0;
    for b in input.bytes().filter(u8::is_ascii_alphanumeric) {
        if n == buf.len() {
            let all: Vec<u8> =
                input.bytes().filter(u8::is_ascii_alphanumeric).map(|b| b.to_ascii_uppercase()).collect();
            return id_key_of_slice(&all);
        }
        buf[n] = b.to_ascii_uppercase();
        n += 1;
    }
    id_key_of_slice(&buf[..n])
}

/// The key of an identifier's upper-case letters and digits.
fn id_key_of_slice(mut s: &[u8]) -> u64 {
    if s.is_empty() {
        return 0;
    }
    if is_uk_nino(s) {
        s = &s[..8];
    }
    if s.len() <= 12 {
        s.iter().fold(0u64, |acc, &c| acc * 37 + sym(c))
    } else {
        HASHED | (crate::hash::hash_bytes(s) >> 1)
    }
}

/// The symbols of a packed identifier key (None for hashed keys).
pub fn id_unpack(mut key: u64) -> Option<([u8; 12], usize)> {
    if key & HASHED != 0 || key == 0 {
        return None;
    }
    let mut out = [0u8; 12];
    let mut n = 0;
    while key > 0 {
        out[n] = (key % 37) as u8;
        key /= 37;
        n += 1;
    }
    out[..n].reverse();
    Some((out, n))
}

/// A postcode's comparable form: upper case letters and digits only.
pub fn postcode_key(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    postcode_key_into(input, &mut out);
    out
}

/// [`postcode_key`], appended to `out`.
pub fn postcode_key_into(input: &str, out: &mut String) {
    out.extend(input.bytes().filter(u8::is_ascii_alphanumeric).map(|b| b.to_ascii_uppercase() as char));
}

/// The outward code and sector (outward + inward digit) of a UK postcode key, if it parses as one.
pub fn uk_parts(pc: &str) -> Option<(&str, &str)> {
    let b = pc.as_bytes();
    if !(5..=7).contains(&b.len()) {
        return None;
    }
    let n = b.len();
    let inward = &b[n - 3..];
    if !(inward[0].is_ascii_digit() && inward[1].is_ascii_alphabetic() && inward[2].is_ascii_alphabetic()) {
        return None;
    }
    let outward = &b[..n - 3];
    if !outward[0].is_ascii_alphabetic() || !outward.iter().any(u8::is_ascii_digit) {
        return None;
    }
    Some((&pc[..n - 3], &pc[..n - 2]))
}

const STREET_TYPES: &[(&str, &str)] = &[
    ("st", "street"),
    ("rd", "road"),
    ("ave", "avenue"),
    ("av", "avenue"),
    ("ln", "lane"),
    ("dr", "drive"),
    ("cl", "close"),
    ("cres", "crescent"),
    ("gdns", "gardens"),
    ("ter", "terrace"),
    ("terr", "terrace"),
    ("pl", "place"),
    ("gr", "grove"),
    ("gro", "grove"),
    ("sq", "square"),
    ("ct", "court"),
    ("hse", "house"),
    ("pde", "parade"),
    ("blvd", "boulevard"),
    ("hwy", "highway"),
    ("mt", "mount"),
    ("rdg", "ridge"),
];

const UNIT_WORDS: &[&str] = &["flat", "apartment", "apt", "unit", "no"];

/// The comparable form of address lines 1 and 2: `"numbers|words"` ("" when both are empty).
pub fn address_key(line1: &str, line2: &str) -> String {
    let mut out = String::with_capacity(line1.len() + line2.len() + 16);
    address_key_into(line1, line2, &mut out);
    out
}

thread_local! {
    /// The normalised lines of the address being keyed (reused: no allocation a row).
    static ADDRESS_TEXT: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// [`address_key`], appended to `out`.
pub fn address_key_into(line1: &str, line2: &str, out: &mut String) {
    ADDRESS_TEXT.with(|text| {
        let mut text = text.borrow_mut();
        text.clear();
        normalise_into(line1, &mut text);
        // A separator between the lines: their tokens are those of each line, in order.
        text.push(' ');
        normalise_into(line2, &mut text);
        address_key_of_tokens(&text, out);
    });
}

/// Writes the key of the tokens of `text` (normalised lines) to `out`.
fn address_key_of_tokens(text: &str, out: &mut String) {
    // Numbers are kept on the stack (an address has a few; more spill to the heap);
    // words are written as they come, in a second pass.
    let mut stack: [&str; 16] = [""; 16];
    let mut spilled: Vec<&str> = Vec::new();
    let (mut n_numbers, mut any_word) = (0usize, false);
    let tokens = || text.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty());
    let is_number = |t: &str| t.as_bytes()[0].is_ascii_digit();
    for token in tokens() {
        if is_number(token) {
            if n_numbers < stack.len() {
                stack[n_numbers] = token;
            } else {
                if spilled.is_empty() {
                    spilled.extend_from_slice(&stack);
                }
                spilled.push(token);
            }
            n_numbers += 1;
        } else if !UNIT_WORDS.contains(&token) {
            any_word = true;
        }
    }
    if n_numbers == 0 && !any_word {
        return;
    }
    let numbers = if spilled.is_empty() { &mut stack[..n_numbers] } else { &mut spilled[..] };
    numbers.sort_unstable();
    for (i, part) in numbers.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(part);
    }
    out.push('|');
    let words = tokens().filter(|t| !is_number(t) && !UNIT_WORDS.contains(t));
    for (i, token) in words.enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(STREET_TYPES.iter().find(|(short, _)| *short == token).map_or(token, |(_, long)| long));
    }
}

/// The numbers part of an [`address_key`].
pub fn address_numbers(key: &str) -> &str {
    key.split_once('|').map_or("", |(n, _)| n)
}

/// The words part of an [`address_key`].
pub fn address_words(key: &str) -> &str {
    key.split_once('|').map_or(key, |(_, w)| w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalise::normalise;
    use proptest::prelude::*;

    #[test]
    fn names() {
        assert_eq!(name_key("O'Brien-Smith"), "o brien smith");
        assert_eq!(name_key("  ANNE,  marie "), "anne marie");
        assert_eq!(name_key("Siân"), "sian");
    }

    #[test]
    fn dates() {
        assert_eq!(parse_dob("1980-03-07"), Ok(19800307));
        assert_eq!(parse_dob(""), Ok(0));
        assert_eq!(parse_dob("1980-13-05"), Ok(19801305), "day and month swapped: kept for the comparison");
        assert_eq!(parse_dob("1980-13-40"), Err(FieldError::NoSuchDate));
        assert_eq!(parse_dob("07/03/1980"), Err(FieldError::NotADate));
        assert_eq!(parse_dob("1980-3-7"), Err(FieldError::NotADate));
        assert_eq!(parse_dob("1990-13-13"), Err(FieldError::NoSuchDate));
        assert_eq!(parse_dob("1990-02-30"), Err(FieldError::NoSuchDate));
        assert_eq!(parse_dob("1990-00-10"), Err(FieldError::NoSuchDate));
        assert_eq!(parse_dob("1900-02-29"), Err(FieldError::NoSuchDate));
        assert_eq!(parse_dob("1937-02-29"), Err(FieldError::NoSuchDate), "no leap day in 1937");
        assert_eq!(parse_dob("2000-02-29"), Ok(20000229));
        assert_eq!(parse_dob("0000-00-00"), Err(FieldError::NoSuchDate));
        assert_eq!(dob_swapped(19800307), 19800703);
        assert_eq!(dob_swapped(19800313), 0);
        assert_eq!(dob_swapped(19800303), 0);
    }

    #[test]
    fn identifiers() {
        assert_eq!(id_key("ab 12 34 56 c"), id_key("AB123456"));
        assert_eq!(id_key(""), 0);
        assert_ne!(id_key("AB123456"), id_key("AB123457"));
        assert_eq!(id_key("5796401"), id_key("579-6401"));
        let (syms, n) = id_unpack(id_key("AB123456")).unwrap();
        assert_eq!(n, 8);
        assert_eq!(syms[0], sym(b'A') as u8);
        assert!(id_unpack(id_key("ABCDEFGHIJKLMNOP")).is_none());
    }

    #[test]
    fn postcodes() {
        assert_eq!(postcode_key("sw1a 1aa"), "SW1A1AA");
        assert_eq!(uk_parts("SW1A1AA"), Some(("SW1A", "SW1A1")));
        assert_eq!(uk_parts("M11AE"), Some(("M1", "M11")));
        assert_eq!(uk_parts("2600"), None);
        assert_eq!(uk_parts("ABCDEF"), None);
    }

    #[test]
    fn addresses_in_other_formats_agree() {
        let k = address_key("Flat 2, 14 High Street", "");
        assert_eq!(k, "14 2|high street");
        assert_eq!(address_key("2/14 High St", ""), k);
        assert_eq!(address_key("14 High Street Flat 2", ""), k);
        assert_eq!(address_key("Flat 2", "14 High Street"), k);
        assert_eq!(address_key("", ""), "");
        assert_eq!(address_numbers(&k), "14 2");
        assert_eq!(address_words(&k), "high street");
        let many: String = (1..=20).map(|n| format!("{n} ")).collect();
        assert_eq!(address_key(&many, "Flat 3 Mill Rd"), address_key_reference(&many, "Flat 3 Mill Rd"));
        let mut appended = String::from("kept|");
        address_key_into("2/14 High St", "", &mut appended);
        assert_eq!(appended, format!("kept|{k}"));
    }

    /// The straightforward form [`id_key`] must agree with.
    fn id_key_reference(input: &str) -> u64 {
        let mut s: Vec<u8> = input.bytes().filter(u8::is_ascii_alphanumeric).map(|b| b.to_ascii_uppercase()).collect();
        if s.is_empty() {
            return 0;
        }
        if is_uk_nino(&s) {
            s.truncate(8);
        }
        if s.len() <= 12 {
            s.iter().fold(0u64, |acc, &c| acc * 37 + sym(c))
        } else {
            HASHED | (crate::hash::hash_bytes(&s) >> 1)
        }
    }

    /// The straightforward form [`address_key`] must agree with.
    fn address_key_reference(line1: &str, line2: &str) -> String {
        let mut numbers: Vec<String> = Vec::new();
        let mut words: Vec<&str> = Vec::new();
        let (n1, n2) = (normalise(line1), normalise(line2));
        for token in n1.split(|c: char| !c.is_alphanumeric()).chain(n2.split(|c: char| !c.is_alphanumeric())) {
            if token.is_empty() {
                continue;
            }
            if token.as_bytes()[0].is_ascii_digit() {
                numbers.push(token.to_owned());
            } else if UNIT_WORDS.contains(&token) {
                continue;
            } else {
                words.push(STREET_TYPES.iter().find(|(short, _)| *short == token).map_or(token, |(_, long)| long));
            }
        }
        if numbers.is_empty() && words.is_empty() {
            return String::new();
        }
        numbers.sort_unstable();
        let mut out = numbers.join(" ");
        out.push('|');
        out.push_str(&words.join(" "));
        out
    }

    proptest! {
        #[test]
        fn id_keys_agree_with_the_straightforward_form(s in "[ A-Za-z0-9-]{0,30}|\\PC{0,20}") {
            prop_assert_eq!(id_key(&s), id_key_reference(&s));
        }

        #[test]
        fn address_keys_agree_with_the_straightforward_form(a in "[ A-Za-z0-9,'-]{0,40}|\\PC{0,20}", b in "[ A-Za-z0-9,'-]{0,30}") {
            prop_assert_eq!(address_key(&a, &b), address_key_reference(&a, &b));
        }
    }

    proptest! {
        #[test]
        fn never_panic(s in "\\PC{0,30}") {
            let _ = parse_dob(&s);
            let k = id_key(&s);
            if let Some((syms, n)) = id_unpack(k) { prop_assert!(n <= 12 && syms[..n].iter().all(|&c| c > 0)); }
            let _ = uk_parts(&postcode_key(&s));
            let _ = address_key(&s, &s);
            let n = name_key(&s);
            prop_assert_eq!(name_key(&n), n);
        }
    }
}
