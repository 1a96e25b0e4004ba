//! Phonetic keys for blocking: NYSIIS (New York State Identification and
//! Intelligence System, Taft 1970), which suits British and Irish names better
//! than Soundex (it keeps vowel positions and handles MAC/MC, KN, PH, SCH) and
//! is far simpler than Double Metaphone.
//!
//! Input is any name; letters other than A–Z (after [`crate::normalise`]'s
//! folding) are ignored. The key is not truncated (the original truncates to
//! six letters; keeping them all makes blocks smaller). Keys are only used to
//! group candidate pairs; comparison levels use the spellings themselves.

use crate::normalise::normalise;

fn is_vowel(c: u8) -> bool {
    matches!(c, b'A' | b'E' | b'I' | b'O' | b'U')
}

/// The NYSIIS key of a name ("" for a name without letters).
pub fn nysiis(name: &str) -> String {
    // For ASCII, normalising then keeping letters is keeping letters (upper-cased):
    // no need to build the normal form.
    let mut s: Vec<u8> = if name.is_ascii() {
        name.bytes().filter(u8::is_ascii_alphabetic).map(|b| b.to_ascii_uppercase()).collect()
    } else {
        normalise(name).bytes().filter(u8::is_ascii_alphabetic).map(|b| b.to_ascii_uppercase()).collect()
    };
    if s.is_empty() {
        return String::new();
    }
    // Prefixes.
    let prefix: &[(&[u8], &[u8])] =
        &[(b"MAC", b"MCC"), (b"KN", b"NN"), (b"K", b"C"), (b"PH", b"FF"), (b"PF", b"FF"), (b"SCH", b"SSS")];
    for (from, to) in prefix {
        if s.starts_with(from) {
            s.splice(..from.len(), to.iter().copied());
            break;
        }
    }
    // Suffixes.
    let n = s.len();
    if n >= 2 {
        match &s[n - 2..] {
            b"EE" | b"IE" => {
                s.truncate(n - 2);
                s.push(b'Y');
            }
            b"DT" | b"RT" | b"RD" | b"NT" | b"ND" => {
                s.truncate(n - 2);
                s.push(b'D');
            }
            _ => {}
        }
    }
    let mut key = vec![s[0]];
    let mut i = 1;
    while i < s.len() {
        let c = s[i];
        let rest = &s[i..];
        let out: &[u8] = if rest.starts_with(b"EV") {
            i += 1;
            b"AF"
        } else if is_vowel(c) {
            b"A"
        } else if c == b'Q' {
            b"G"
        } else if c == b'Z' {
            b"S"
        } else if c == b'M' {
            b"N"
        } else if rest.starts_with(b"KN") {
            i += 1;
            b"NN"
        } else if c == b'K' {
            b"C"
        } else if rest.starts_with(b"SCH") {
            i += 2;
            b"SSS"
        } else if rest.starts_with(b"PH") {
            i += 1;
            b"FF"
        } else if (c == b'H' && (!is_vowel(s[i - 1]) || s.get(i + 1).is_some_and(|&n| !is_vowel(n))))
            || (c == b'W' && is_vowel(s[i - 1]))
        {
            // An H not between vowels, or a W after a vowel: the previous letter again.
            std::slice::from_ref(&s[i - 1])
        } else {
            std::slice::from_ref(&s[i])
        };
        for &o in out {
            if key.last() != Some(&o) {
                key.push(o);
            }
        }
        i += 1;
    }
    if key.len() > 1 && key.last() == Some(&b'S') {
        key.pop();
    }
    if key.len() > 2 && key.ends_with(b"AY") {
        key.truncate(key.len() - 2);
        key.push(b'Y');
    }
    if key.len() > 1 && key.last() == Some(&b'A') {
        key.pop();
    }
    String::from_utf8(key).expect("ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sound_alikes_share_a_key() {
        assert_eq!(nysiis("Macdonald"), nysiis("McDonald"));
        assert_eq!(nysiis("Knight"), nysiis("Night"));
        assert_eq!(nysiis("Phillips"), nysiis("Filips"));
        assert_eq!(nysiis("Schmidt"), "SNAD");
        assert_eq!(nysiis("Siân"), nysiis("sian"));
        assert_ne!(nysiis("Smith"), nysiis("Jones"));
        assert_eq!(nysiis(""), "");
        assert_eq!(nysiis("-'"), "");
    }

    proptest! {
        #[test]
        fn never_panics_and_is_uppercase(s in "\\PC{0,30}") {
            let k = nysiis(&s);
            prop_assert!(k.bytes().all(|b| b.is_ascii_uppercase()));
        }

        #[test]
        fn only_the_letters_of_ascii_matter(s in "[ -~]{0,30}") {
            let letters: String = s.chars().filter(char::is_ascii_alphabetic).collect();
            prop_assert_eq!(nysiis(&s), nysiis(&letters));
            prop_assert_eq!(nysiis(&s), nysiis(&crate::normalise::normalise(&s)));
        }

        #[test]
        fn case_does_not_matter(s in "[a-zA-Z]{0,15}") {
            prop_assert_eq!(nysiis(&s), nysiis(&s.to_uppercase()));
        }
    }
}
