//! The properties every parser of outside input must keep, as one function per parser that
//! takes arbitrary bytes and panics when a property fails.
//!
//! The fuzz targets in `fuzz/` (cargo-fuzz, libFuzzer) call these functions; so does this
//! crate's test `tests/corpus.rs`, on every file of every committed corpus (`fuzz/corpus/`), so
//! CI replays what the fuzzers found on every run without a fuzzer. Beyond "never panics", each
//! checks what is cheap to check: a parsed value written out parses back to itself, and an
//! error message never quotes the input (the service's rule: outside values are not echoed).
//!
//! The second round adds the files operators and councils hand over (`ier match link`'s rows,
//! the ONSPD importer, the postcode table) and the language a browser asks for.

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
    ("match_row", match_row),
    ("onspd_csv", onspd_csv),
    ("postcode_table", postcode_table),
    ("accept_language", accept_language),
    ("local_data", local_data),
    ("evidence_file", evidence_file),
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
    check::<ier_ems_api::matching::NewRun>(data, &values);
    check::<ier_ems_api::matching::NewMatch>(data, &values);
    check::<ier_ems_api::matching::ElectorPage>(data, &values);
}

/// A council's local data file (data matching's `POST .../local-data`), read with a mapping of
/// its own first columns: never a panic, every row a record or counted as skipped, and no
/// problem quoting a value of the file (column names are the file's header: named, not values).
pub fn local_data(data: &[u8]) {
    use ier_ems_api::matching::{LocalColumns, read_local};
    // The first line's first four names, as the mapping a council would send.
    let header = data.split(|&b| b == b'\n').next().unwrap_or_default();
    let names: Vec<String> =
        String::from_utf8_lossy(header).split(',').map(|n| n.trim().trim_matches('"').to_owned()).take(4).collect();
    let field = |i: usize| names.get(i).filter(|n| !n.is_empty()).cloned();
    let mapping = serde_json::json!({
        "surname": field(0), "givenName": field(1), "dateOfBirth": field(2), "postcode": field(3),
    });
    let Ok(columns) = serde_json::from_value::<LocalColumns>(mapping) else { return };
    match read_local(&columns, data) {
        Ok(read) => {
            let lines = data.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
            assert!(read.records.len() as u64 + read.rows_skipped <= lines, "more rows than lines");
            let text = String::from_utf8_lossy(data);
            for p in &read.problems {
                for cell in text.split([',', '"', '\n', '\r']) {
                    not_echoed(cell, &p.reason);
                }
            }
            let debug = format!("{read:?}");
            for p in &read.records {
                not_echoed(&p.surname, &debug);
            }
        }
        Err(problem) => {
            let text = String::from_utf8_lossy(data);
            for cell in text.split([',', '"', '\n', '\r']).skip(4) {
                not_echoed(cell, &problem.detail);
            }
        }
    }
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

/// The cells of a CSV text, roughly (split at its delimiters): what an error must not quote.
fn cells(s: &str) -> impl Iterator<Item = &str> {
    s.split([',', '"', '\n', '\r'])
}

/// `ier match link`'s files (registers and DWP extracts councils send): the header and every
/// row, with NINOs and dates used and without (confirmation mode), as the command reads them
/// (`ier_match::rows`). Errors name a line and a column, never a value; a row that is read
/// gives back its own fields, written out as CSV and read again; and its comparable form is
/// the same both times.
pub fn match_row(data: &[u8]) {
    use ier_match::Options;
    use ier_match::rows::{COLUMNS, Layout, RowError, fields};
    let quoted = |message: String, values: &mut dyn Iterator<Item = &str>| {
        for v in values {
            not_echoed(v, &message);
        }
    };
    let whole = String::from_utf8_lossy(data);
    for options in [Options::default(), Options::confirmation()] {
        let mut reader = csv::ReaderBuilder::new().from_reader(data);
        let headers = match reader.byte_headers() {
            Ok(h) => h.clone(),
            Err(e) => return quoted(RowError::from(e).to_string(), &mut cells(&whole)),
        };
        let layout = match Layout::read(&headers, &options) {
            Ok(l) => l,
            Err(e) => return quoted(e.to_string(), &mut cells(&whole)),
        };
        let mut record = csv::ByteRecord::new();
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    quoted(RowError::from(e).to_string(), &mut cells(&whole));
                    break;
                }
            }
            // Leniently (the default of `ier match link`): never a panic; a row read strictly is
            // read the same; what is set aside is described without any cell.
            let mut skipped = ier_match::rows::Skipped::default();
            let lenient = layout.prepare_lenient(&record, &options, &mut skipped).map(|(i, p)| (fields(&i), p));
            if let Ok((input, prepared)) = layout.prepare(&record, &options) {
                assert!(lenient == Some((fields(&input), prepared)), "a readable row read differently");
            }
            for line in skipped.lines() {
                let texts: Vec<String> = record.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect();
                quoted(line, &mut texts.iter().map(String::as_str));
            }
            match layout.prepare(&record, &options) {
                Err(e) => {
                    let texts: Vec<String> = record.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect();
                    quoted(e.to_string(), &mut texts.iter().map(String::as_str));
                }
                Ok((input, prepared)) => {
                    let got = fields(&input);
                    // Each field is the row's own cell (the id trimmed; a missing column empty).
                    for (c, value) in got.iter().enumerate() {
                        let cell = layout.column(c).and_then(|i| record.get(i)).unwrap_or(b"");
                        if c == 0 {
                            // The id is trimmed (as text: Unicode spaces too).
                            assert_eq!(*value, std::str::from_utf8(cell).expect("read as UTF-8").trim(), "the id");
                        } else {
                            assert_eq!(value.as_bytes(), cell, "field {} is not the row's cell", COLUMNS[c]);
                        }
                    }
                    // Written out as CSV and read back: the same fields, the same comparable form.
                    let mut w = csv::Writer::from_writer(Vec::new());
                    w.write_record(COLUMNS).expect("a header");
                    w.write_record(got).expect("a row");
                    let written = w.into_inner().expect("written");
                    let mut again = csv::ReaderBuilder::new().from_reader(&written[..]);
                    let layout2 = Layout::read(again.byte_headers().expect("a header"), &options).expect("all columns");
                    let row = again.byte_records().next().expect("one row").expect("a valid row");
                    let (input2, prepared2) = layout2.prepare(&row, &options).expect("read again");
                    assert_eq!(fields(&input2), got, "round trip");
                    assert!(prepared2 == prepared, "the comparable form changed on a round trip");
                }
            }
        }
    }
}

/// The ONSPD/NSPL importer (`ier import onspd`), with and without terminated postcodes: an
/// error names a line or a column, never a cell; an imported table holds exactly the last
/// district given for every valid postcode, counts what it left out, and survives being
/// written and read back.
pub fn onspd_csv(data: &[u8]) {
    use ier_domain::GssCode;
    use ier_reference::PostcodeDirectory;
    use std::collections::BTreeMap;
    for live_only in [false, true] {
        let (dir, report) = match PostcodeDirectory::from_onspd_csv(data, live_only) {
            Ok(x) => x,
            Err(e) => {
                let whole = String::from_utf8_lossy(data);
                let message = e.to_string();
                for cell in cells(&whole) {
                    not_echoed(cell, &message);
                }
                continue;
            }
        };
        // The same file read independently: the columns the importer documents, in its order.
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(data);
        let headers = reader.headers().expect("the importer read it").clone();
        let find = |names: &[&str]| {
            names.iter().find_map(|n| headers.iter().position(|h| h.trim().eq_ignore_ascii_case(n))).expect("found")
        };
        let (pc_col, la_col) =
            (find(&["pcds", "pcd", "pcd7", "pcd8"]), find(&["laua", "lad25cd", "lad24cd", "lad23cd", "oslaua"]));
        let term_col = headers.iter().position(|h| h.trim().eq_ignore_ascii_case("doterm"));
        let mut expected = BTreeMap::new();
        let mut rows = 0u64;
        for record in reader.records() {
            let record = record.expect("the importer read it");
            rows += 1;
            if live_only && term_col.and_then(|c| record.get(c)).is_some_and(|t| !t.trim().is_empty()) {
                continue;
            }
            if let (Ok(pc @ Postcode::Uk { .. }), Ok(gss)) =
                (Postcode::parse(record.get(pc_col).unwrap_or("")), GssCode::parse(record.get(la_col).unwrap_or("")))
            {
                expected.insert(pc, gss);
            }
        }
        let skipped = report.skipped_invalid_postcode + report.skipped_no_district + report.skipped_terminated;
        assert_eq!(report.postcodes, dir.len() as u64, "the report counts the table");
        assert!(skipped + report.postcodes <= rows, "more counted than there were rows");
        assert_eq!(dir.len(), expected.len(), "one entry a valid postcode");
        for (pc, gss) in &expected {
            assert_eq!(dir.district(pc), Some(*gss), "a postcode's last district");
        }
        // Once an input (compressing is most of a run's time), and only a table with something in it.
        if !live_only && !dir.is_empty() {
            let mut file = Vec::new();
            dir.write(&mut file).expect("written");
            assert_eq!(PostcodeDirectory::read(&file[..]).expect("read back"), dir, "write and read back");
        }
    }
}

/// The postcode table read from outside (`IER_POSTCODE_TABLE`), as a file and once inflated
/// (bare, and behind the right header, which a fuzzer seldom finds): never a panic nor an
/// allocation beyond the input's size (a huge one aborts the fuzzer); a table that reads has
/// every postcode findable again, and is written and read back the same.
pub fn postcode_table(data: &[u8]) {
    use ier_reference::PostcodeDirectory;
    fn check(dir: PostcodeDirectory) {
        let mut n = 0u32;
        for (pc, code) in dir.iter() {
            assert_eq!(dir.ordinal(&pc), Some(n), "a postcode found at its own place");
            assert_eq!(dir.district(&pc), Some(code), "a postcode's district");
            n += 1;
        }
        assert_eq!(n as usize, dir.len(), "every postcode of the table can be listed");
        let mut file = Vec::new();
        dir.write(&mut file).expect("written");
        assert_eq!(PostcodeDirectory::read(&file[..]).expect("read back"), dir, "write and read back");
    }
    if let Ok(dir) = PostcodeDirectory::read(data) {
        check(dir);
    }
    if let Ok(dir) = PostcodeDirectory::from_uncompressed(data) {
        check(dir);
    }
    let mut raw = b"IERPCD1\n".to_vec();
    raw.extend_from_slice(data);
    if let Ok(dir) = PostcodeDirectory::from_uncompressed(&raw) {
        check(dir);
    }
}

/// The public site's language from a request's query, `Cookie` header and `Accept-Language`
/// (the input's first three lines): never a panic; Welsh only when something asks for it; a
/// query's `lang=` wins; and in `Accept-Language`, a first range of Welsh or English at full
/// weight decides, whatever follows, and ranges of other languages change nothing.
pub fn accept_language(data: &[u8]) {
    use ier_citizen_web::i18n::{Lang, choose, from_accept_language};
    use ier_domain::Language;
    let Some(s) = text(data) else { return };
    let mut lines = s.splitn(3, '\n');
    let (query, cookie, accept) = (lines.next().unwrap_or(""), lines.next().unwrap_or(""), lines.next().unwrap_or(""));
    let lang = choose(query, [cookie], accept);
    if lang.language == Language::Cy {
        assert!(s.to_ascii_lowercase().contains("cy"), "Welsh that nothing asked for");
    }
    let explicit = choose(&format!("lang=cy&{query}"), [cookie], accept);
    assert_eq!(explicit, Lang { language: Language::Cy, explicit: true }, "the query's lang= wins");

    let language = from_accept_language(accept);
    if language == Language::Cy {
        assert!(
            accept.split(',').any(|r| r.split(['-', ';']).next().is_some_and(|t| t.trim().eq_ignore_ascii_case("cy"))),
            "Welsh from a header that names no Welsh range"
        );
    }
    assert_eq!(from_accept_language(&format!("cy,{accept}")), Language::Cy, "a first cy at full weight");
    assert_eq!(from_accept_language(&format!("en-GB,{accept}")), Language::En, "a first en at full weight");
    assert_eq!(from_accept_language(&format!("fr;q=0.9,{accept},de")), language, "other languages change nothing");
}

/// A file an applicant sends as evidence (`ier_citizen_web::evidence::check_file`): never a
/// panic; what is kept is a picture that decodes again as one of the same size, or the PDF as sent.
pub fn evidence_file(data: &[u8]) {
    use ier_citizen_web::evidence::check_file;
    match check_file(data) {
        Ok(("application/pdf", kept)) => assert_eq!(kept, data),
        Ok((kind, kept)) => {
            assert!(kind == "image/png" || kind == "image/jpeg", "{kind}");
            let again = check_file(&kept).expect("what is kept reads again");
            assert_eq!(again.0, kind);
        }
        Err(_) => {}
    }
}
