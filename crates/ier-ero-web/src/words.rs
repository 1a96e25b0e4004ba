//! The identity check's evidence in Welsh: the DWP evidence lines are fixed
//! English phrases ("Surname: matches", [`ier_dwp`]'s `evidence`), so each part
//! has its Welsh here. A line not listed is shown as it is.

use ier_domain::Language;

const LABELS: &[(&str, &str)] = &[
    ("National Insurance number", "Rhif Yswiriant Gwladol"),
    ("Surname", "Cyfenw"),
    ("Given name", "Enw cyntaf"),
    ("Date of birth", "Dyddiad geni"),
    ("Address", "Cyfeiriad"),
    ("Result", "Canlyniad"),
];

const PHRASES: &[(&str, &str)] = &[
    ("match", "yn cyfateb"),
    ("no match", "dim yn cyfateb"),
    ("matches", "yn cyfateb"),
    ("does not match", "ddim yn cyfateb"),
    ("not held by DWP", "nid yw'r DWP yn ei ddal"),
    ("nothing held to compare", "dim byd i'w gymharu"),
    ("a familiar form of the name held", "ffurf gyfarwydd ar yr enw sydd ganddynt"),
    ("matches apart from a small spelling difference", "yn cyfateb ar wahân i wahaniaeth sillafu bach"),
    (
        "matches apart from accents, capitals or punctuation",
        "yn cyfateb ar wahân i acenion, priflythrennau neu atalnodi",
    ),
    ("day and month transposed", "y diwrnod a'r mis wedi'u cyfnewid"),
    ("matches the previous surname held", "yn cyfateb i'r cyfenw blaenorol sydd ganddynt"),
    (
        "the previous surname given matches the surname held",
        "mae'r cyfenw blaenorol a roddwyd yn cyfateb i'r cyfenw sydd ganddynt",
    ),
    ("matches one part of a double-barrelled surname", "yn cyfateb i un rhan o gyfenw dwbl"),
    ("matches a middle name held", "yn cyfateb i enw canol sydd ganddynt"),
    ("matches the previous address held", "yn cyfateb i'r cyfeiriad blaenorol sydd ganddynt"),
    (
        "same postcode as the address held, different property",
        "yr un cod post â'r cyfeiriad sydd ganddynt, eiddo gwahanol",
    ),
];

/// One line of the identity check's evidence in the page's language.
pub fn evidence_line(line: &str, lang: Language) -> String {
    if lang == Language::En {
        return line.to_owned();
    }
    let Some((label, rest)) = line.split_once(": ") else { return line.to_owned() };
    let label = LABELS.iter().find(|(en, _)| *en == label).map(|(_, cy)| *cy);
    // "close" lines read "matches closely (why)" in some versions: translate what is known.
    let phrase = PHRASES.iter().find(|(en, _)| *en == rest).map(|(_, cy)| *cy);
    match (label, phrase) {
        (Some(l), Some(p)) => format!("{l}: {p}"),
        _ => line.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_reads_in_welsh() {
        assert_eq!(evidence_line("Surname: matches", Language::Cy), "Cyfenw: yn cyfateb");
        assert_eq!(evidence_line("Result: no match", Language::Cy), "Canlyniad: dim yn cyfateb");
        assert_eq!(evidence_line("Surname: matches", Language::En), "Surname: matches");
        assert_eq!(evidence_line("Something new: else", Language::Cy), "Something new: else");
    }
}
