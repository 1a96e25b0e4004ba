//! EROs' contact details as operators load them (`ier import contacts`): a
//! CSV of `ero_id,email,phone,website,address`, every row checked and every
//! problem reported by line before anything is loaded.

use ier_domain::{EroContact, EroId};
use serde::Deserialize;

use crate::ReferenceData;

/// One problem with a contacts file, at a line (1 is the header).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct ContactProblem {
    pub line: u64,
    pub problem: String,
}

/// The longest address kept (the complete page and letters show it whole).
pub const MAX_ADDRESS: usize = 300;

/// Parse a contacts CSV against the EROs of `reference`. Empty cells are
/// "not held". Every row is checked; any problem refuses the whole file.
pub fn parse_contacts(
    csv_text: &str,
    reference: &ReferenceData,
) -> Result<Vec<(EroId, EroContact)>, Vec<ContactProblem>> {
    #[derive(Deserialize)]
    struct Row {
        ero_id: String,
        #[serde(default)]
        email: String,
        #[serde(default)]
        phone: String,
        #[serde(default)]
        website: String,
        #[serde(default)]
        address: String,
    }
    let mut problems = Vec::new();
    let mut out: Vec<(EroId, EroContact)> = Vec::new();
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(csv_text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(_) => return Err(vec![ContactProblem { line: 1, problem: "the header could not be read".into() }]),
    };
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| line_at(csv_text, p.byte())).unwrap_or(0);
                problems.push(ContactProblem {
                    line,
                    problem: "the row could not be read (wrong number of columns?)".into(),
                });
                continue;
            }
        };
        let line = record.position().map(|p| line_at(csv_text, p.byte())).unwrap_or(0);
        let mut problem = |p: &str| problems.push(ContactProblem { line, problem: p.to_owned() });
        let row: Row = match record.deserialize(Some(&headers)) {
            Ok(r) => r,
            Err(_) => {
                problem("the header must be ero_id,email,phone,website,address");
                continue;
            }
        };
        let Ok(id) = EroId::parse(&row.ero_id) else {
            problem("ero_id is not an ERO id");
            continue;
        };
        if reference.ero(&id).is_none() {
            problem(&format!("no ERO {id} in the reference data"));
            continue;
        }
        if out.iter().any(|(known, _)| *known == id) {
            problem(&format!("ERO {id} appears twice"));
            continue;
        }
        let held = |s: String| (!s.is_empty()).then_some(s);
        let email = held(row.email);
        let phone = held(row.phone);
        let website = held(row.website);
        let address = held(row.address.split_whitespace().collect::<Vec<_>>().join(" "));
        if let Some(e) = &email
            && !valid_email(e)
        {
            problem("email is not an email address");
        }
        if let Some(p) = &phone
            && !valid_phone(p)
        {
            problem("phone must be a UK number of 10 or 11 digits (spaces allowed), or start with +44");
        }
        if let Some(w) = &website
            && !(w.starts_with("https://") && w.len() > 8 && !w.contains(char::is_whitespace))
        {
            problem("website must be an https:// address");
        }
        if address.as_ref().is_some_and(|a| a.chars().count() > MAX_ADDRESS) {
            problem(&format!("address is longer than {MAX_ADDRESS} characters"));
        }
        out.push((id, EroContact { email, phone, website, address }));
    }
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}

/// The line a byte offset is on, counted from the text itself: right with
/// CRLF endings and after quoted newlines, whatever the CSV reader counts.
fn line_at(text: &str, byte: u64) -> u64 {
    let bytes = text.as_bytes();
    let mut end = usize::try_from(byte).unwrap_or(usize::MAX).min(bytes.len());
    // The reader may place a record's start before the line ending it skips (CRLF).
    while end < bytes.len() && matches!(bytes[end], b'\r' | b'\n') {
        end += 1;
    }
    1 + text.as_bytes()[..end].iter().filter(|b| **b == b'\n').count() as u64
}

fn valid_email(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else { return false };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !e.contains(char::is_whitespace)
        && !domain.contains('@')
        && e.len() <= 254
}

fn valid_phone(p: &str) -> bool {
    if !p.chars().all(|c| c.is_ascii_digit() || c == ' ' || c == '+') {
        return false;
    }
    let digits: String = p.chars().filter(char::is_ascii_digit).collect();
    match p.trim_start().strip_prefix("+44") {
        Some(_) => (11..=12).contains(&digits.len()),
        None => !p.contains('+') && digits.starts_with('0') && (10..=11).contains(&digits.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_rows_load_and_bad_ones_are_all_reported() {
        let r = ReferenceData::embedded();
        let good = "ero_id,email,phone,website,address\n\
                    cardiff,electoral@cardiff.example,029 2087 2034,https://cardiff.example/vote,\"City Hall,\n Cardiff\"\n\
                    adur,,,,\n";
        let rows = parse_contacts(good, r).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].1.address.as_deref(), Some("City Hall, Cardiff"));
        assert_eq!(rows[1].1, EroContact::default());

        let bad = "ero_id,email,phone,website,address\r\n\
                   nowhere,a@b.example,,,\r\n\
                   cardiff,not-an-email,12,http://x.example,\r\n\
                   adur,a@b.example\r\n\
                   cardiff,,,,\r\n";
        let problems = parse_contacts(bad, r).unwrap_err();
        let lines: Vec<u64> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![2, 3, 3, 3, 4, 5], "{problems:?}");
        assert!(problems[0].problem.contains("no ERO nowhere"));
    }
}
