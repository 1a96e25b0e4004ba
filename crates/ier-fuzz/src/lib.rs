//! The properties every parser of outside input must keep, as one function per parser that
//! takes arbitrary bytes and panics when a property fails.
//!
//! The fuzz targets in `fuzz/` (cargo-fuzz, libFuzzer) call these functions; so does this
//! crate's test `tests/corpus.rs`, on every file of every committed corpus (`fuzz/corpus/`), so
//! CI replays what the fuzzers found on every run without a fuzzer. Beyond "never panics", each
//! checks what is cheap to check: a parsed value written out parses back to itself, and an
//! error message never quotes the input (the service's rule: outside values are not echoed).

use chrono::NaiveDate;
use ier_domain::{
    CountryCode, DateOfBirth, EroId, GivenName, MiddleNames, Nino, PersonName, Postcode, ReferenceNumber, Surname,
};

/// Every fuzz target, by the name of its directory under `fuzz/corpus/`.
pub const TARGETS: &[(&str, fn(&[u8]))] = &[
    ("postcode", postcode),
    ("nino", nino),
    ("names", names),
    ("date_of_birth", date_of_birth),
    ("identifiers", identifiers),
    ("ems_json", ems_json),
    ("contacts_csv", contacts_csv),
    ("journey_cookie", journey_cookie),
    ("certificate", certificate),
];

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// An error message must not quote the input. Only inputs that no fixed message text could
/// contain by chance are checked (a fuzzer readily copies a message's own words into its
/// input): six or more characters including three digits in a row, a character outside ASCII,
/// or one of `<>@#$%^|~{}[]\\`, none of which the service's messages use.
fn not_echoed(input: &str, message: &str) {
    let input = input.trim();
    let digits = input.as_bytes().windows(3).any(|w| w.iter().all(u8::is_ascii_digit));
    let marked = input.chars().any(|c| !c.is_ascii() || "<>@#$%^|~{}[]\\".contains(c));
    let distinctive = input.chars().count() >= 6 && (digits || marked);
    assert!(!(distinctive && message.contains(input)), "an error message quotes its input: {message:?}");
}

/// `Postcode::parse`: a postcode written out parses back to itself; errors do not quote.
pub fn postcode(data: &[u8]) {
    let Some(s) = text(data) else { return };
    match Postcode::parse(s) {
        Ok(p) => assert_eq!(Postcode::parse(&p.to_string()).as_ref(), Ok(&p), "round trip"),
        Err(e) => not_echoed(s, &e.to_string()),
    }
}

/// `Nino::parse`: as for postcodes.
pub fn nino(data: &[u8]) {
    let Some(s) = text(data) else { return };
    match Nino::parse(s) {
        Ok(n) => assert_eq!(Nino::parse(&n.to_string()).as_ref(), Ok(&n), "round trip"),
        Err(e) => not_echoed(s, &e.to_string()),
    }
}

/// The three name fields (split at newlines), each alone and together.
pub fn names(data: &[u8]) {
    let Some(s) = text(data) else { return };
    let mut parts = s.splitn(3, '\n');
    let (given, middle, surname) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if let Ok(g) = GivenName::parse(given) {
        assert_eq!(GivenName::parse(g.as_str()).as_ref(), Ok(&g), "round trip");
    }
    if let Ok(m) = MiddleNames::parse(middle) {
        assert_eq!(MiddleNames::parse(m.as_str()).as_ref(), Ok(&m), "round trip");
    }
    match Surname::parse(surname) {
        Ok(n) => assert_eq!(Surname::parse(n.as_str()).as_ref(), Ok(&n), "round trip"),
        Err(e) => not_echoed(surname, &e.to_string()),
    }
    let _ = PersonName::parse(given, middle, surname);
}

/// `DateOfBirth::parse` from the three boxes a form posts (split at `/`), on a fixed day: an
/// accepted date is a real one, no later than today, and written out as it was given.
pub fn date_of_birth(data: &[u8]) {
    let Some(s) = text(data) else { return };
    let mut parts = s.splitn(3, '/');
    let (day, month, year) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let today = NaiveDate::from_ymd_opt(2026, 12, 4).expect("a real date");
    match DateOfBirth::parse(day, month, year, today) {
        Ok(d) => {
            assert!(d.date() <= today, "a date of birth in the future");
            let again = DateOfBirth::parse(
                &d.date().format("%d").to_string(),
                &d.date().format("%m").to_string(),
                &d.date().format("%Y").to_string(),
                today,
            );
            assert_eq!(again.as_ref(), Ok(&d), "round trip");
        }
        Err(e) => not_echoed(s, &e.to_string()),
    }
}

/// Reference numbers, ERO ids and country codes: round trips.
pub fn identifiers(data: &[u8]) {
    let Some(s) = text(data) else { return };
    if let Ok(r) = ReferenceNumber::parse(s) {
        assert_eq!(ReferenceNumber::parse(r.as_str()).as_ref(), Ok(&r), "round trip");
    }
    if let Ok(e) = EroId::parse(s) {
        assert_eq!(EroId::parse(e.as_str()).as_ref(), Ok(&e), "round trip");
    }
    if let Ok(c) = CountryCode::parse(s) {
        assert_eq!(CountryCode::parse(c.as_str()).as_ref(), Ok(&c), "round trip");
    }
}

/// Every JSON body the EMS API accepts, through the parser its handlers use: a refusal is a
/// problem document that quotes none of the body's values or unknown names.
pub fn ems_json(data: &[u8]) {
    use ier_ems_api::problem::{Problem, parse_json};
    use ier_ems_api::register::{RegisterPage, Removals};
    use ier_ems_api::wire::{DeterminationRequest, ReceiptBatch, ReceiptRequest, RegisterCheckAnswer};
    fn check<T: serde::de::DeserializeOwned>(data: &[u8], values: &[String]) {
        if let Err(problem) = parse_json::<T>(data) {
            let problem: &Problem = &problem;
            // What the problem says in words (field paths are the schema's names and indices);
            // where in the body a syntax error is, is not a value.
            let mut shown = problem.detail.clone();
            for e in &problem.errors {
                shown.push('\n');
                shown.push_str(&e.message);
            }
            let shown = match shown.find(" at line ") {
                Some(i) => shown[..i].to_owned(),
                None => shown,
            };
            for v in values {
                not_echoed(v, &shown);
            }
        }
    }
    // The strings and numbers the body holds, and its object keys.
    let mut values = Vec::new();
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) {
        collect(&v, &mut values);
    }
    check::<ReceiptRequest>(data, &values);
    check::<ReceiptBatch>(data, &values);
    check::<DeterminationRequest>(data, &values);
    check::<RegisterCheckAnswer>(data, &values);
    check::<RegisterPage>(data, &values);
    check::<Removals>(data, &values);
}

fn collect(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Number(n) => out.push(n.to_string()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect(x, out)),
        serde_json::Value::Object(o) => o.iter().for_each(|(k, x)| {
            out.push(k.clone());
            collect(x, out);
        }),
        _ => {}
    }
}

/// EROs' contact details as operators load them: every problem named by line, never by the
/// contact details themselves.
pub fn contacts_csv(data: &[u8]) {
    let Some(s) = text(data) else { return };
    if let Err(problems) = ier_reference::contacts::parse_contacts(s, ier_reference::ReferenceData::embedded()) {
        for p in problems {
            // An unknown ERO id is named ("no ERO x in the reference data"): public reference
            // data, not a contact detail. Nothing else may be.
            let message = p.to_string();
            let message = match (message.find("no ERO "), message.rfind(" in the reference data")) {
                (Some(a), Some(b)) if a < b => format!("{}{}", &message[..a], &message[b..]),
                _ => message,
            };
            for cell in s.split([',', '"', '\n', '\r']) {
                not_echoed(cell, &message);
            }
        }
    }
}

/// The journey cookie: any value a browser sends is opened or refused, never a panic; and any
/// JSON the sealed state could hold (were the key known) is read, or refused, the same way.
pub fn journey_cookie(data: &[u8]) {
    use ier_citizen_web::journey::answers::Answers;
    use ier_citizen_web::session::{Session, SessionCodec};
    static CODEC: std::sync::LazyLock<SessionCodec> = std::sync::LazyLock::new(|| {
        let key = secrecy::SecretString::from("fuzz:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
        SessionCodec::new(ier_storage::DataKeys::parse(&key).expect("a valid key"), true)
    });
    if let Some(s) = text(data) {
        let _ = CODEC.open::<Answers>(s, 1_796_400_000);
    }
    if let Ok(session) = serde_json::from_slice::<Session<Answers>>(data) {
        // What the journey builds from it: parsed again into domain types, or refused.
        let _ = session.data.application(NaiveDate::from_ymd_opt(2026, 12, 4).expect("a real date"));
    }
}

/// A client certificate's identity (ERO and serial) from DER bytes, as the EMS listener reads it.
pub fn certificate(data: &[u8]) {
    let trust = ier_pki::TrustConfig::new();
    let der = ier_pki::rustls::pki_types::CertificateDer::from(data);
    let _ = trust.identify(&der, &[], ier_pki::rustls::pki_types::UnixTime::now());
    let _ = ier_pki::identity::named_ero(data);
    let _ = ier_pki::identity::serial_of(data);
}
