//! The CSV rows of `ier match link`'s files (registers and DWP extracts that councils send,
//! applicant streams): where the contract's columns are, from the header ([`Layout`]); one row
//! as an [`InputRecord`] and in comparable form; and errors ([`RowError`]) that name the line
//! and column, never a value. No files: the command opens them and hands over the records
//! `csv` reads, so this, the part that reads outside input, is fuzzed (`fuzz/`, `match_row`).

use csv::ByteRecord;

use crate::fields::FieldError;
use crate::record::{InputRecord, Options, Prepared};

/// The CSV contract's columns, in [`InputRecord`]'s order. `person_id` and `record_id` are
/// read as `id`; a header's case, spaces and byte-order mark do not matter.
pub const COLUMNS: [&str; 10] = [
    "id",
    "given_name",
    "middle_names",
    "surname",
    "date_of_birth",
    "nino",
    "address_line_1",
    "address_line_2",
    "town",
    "postcode",
];

/// Why a header or row could not be read: where, and what kind of problem; never a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowError {
    #[error("line 1: the header has no `{0}` column (needed: {cols})", cols = COLUMNS.join(","))]
    MissingColumn(&'static str),
    #[error("line {line}, column {column}: not valid UTF-8")]
    NotUtf8 { line: u64, column: &'static str },
    #[error("line {line}, column id: the id is empty")]
    EmptyId { line: u64 },
    #[error("line {line}, column date_of_birth: {error}")]
    Field { line: u64, error: FieldError },
    #[error("line {line}: the row {problem}")]
    Csv { line: u64, problem: CsvProblem },
}

/// What the CSV reader found wrong with a row (its kind only: `csv`'s own messages are not kept).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvProblem {
    #[error("has {len} fields where the header has {expected_len}")]
    UnequalLengths { expected_len: u64, len: u64 },
    #[error("is not valid UTF-8")]
    Utf8,
    #[error("could not be read ({0})")]
    Io(std::io::ErrorKind),
    #[error("is not valid CSV")]
    Invalid,
}

impl From<csv::Error> for RowError {
    /// A CSV reader's error without the data: position and kind only.
    fn from(e: csv::Error) -> Self {
        let line = e.position().map_or(0, |p| p.line());
        let problem = match e.kind() {
            csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                CsvProblem::UnequalLengths { expected_len: *expected_len, len: *len }
            }
            csv::ErrorKind::Utf8 { .. } => CsvProblem::Utf8,
            csv::ErrorKind::Io(err) => CsvProblem::Io(err.kind()),
            _ => CsvProblem::Invalid,
        };
        RowError::Csv { line, problem }
    }
}

/// Where each contract column is in one file (`None`: an optional column it does not have).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    at: [Option<usize>; 10],
    /// Fields in the header: a row with another number is not read.
    width: usize,
    /// Lines end in CRLF: the `csv` reader counts such a row's line one short (it starts
    /// the row at the `\n`, counted only once the row is read), so one is added.
    crlf: bool,
}

/// What a lenient read ([`Layout::prepare_lenient`]) set aside, by what (a column, or `row`
/// for a row skipped whole) and why, with how many and the first few lines; never a value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Skipped {
    entries: std::collections::BTreeMap<(&'static str, &'static str), (u64, Vec<u64>)>,
}

/// Lines kept per kind of problem in a [`Skipped`].
pub const FIRST_LINES: usize = 5;

impl Skipped {
    pub fn add(&mut self, what: &'static str, why: &'static str, line: u64) {
        let (n, lines) = self.entries.entry((what, why)).or_default();
        *n += 1;
        if lines.len() < FIRST_LINES {
            lines.push(line);
        }
    }

    /// Add another part's (read later in the file).
    pub fn merge(&mut self, other: Skipped) {
        for ((what, why), (n, lines)) in other.entries {
            let (m, mine) = self.entries.entry((what, why)).or_default();
            *m += n;
            mine.extend(lines.into_iter().take(FIRST_LINES.saturating_sub(mine.len())));
        }
    }

    /// Rows skipped whole.
    pub fn rows(&self) -> u64 {
        self.entries.iter().filter(|((what, _), _)| *what == "row").map(|(_, (n, _))| n).sum()
    }

    /// Values read as missing.
    pub fn values(&self) -> u64 {
        self.entries.iter().filter(|((what, _), _)| *what != "row").map(|(_, (n, _))| n).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// One line per kind: `date_of_birth: a day that does not exist: 39 (lines 12, 45, ...)`.
    pub fn lines(&self) -> Vec<String> {
        self.entries
            .iter()
            .map(|((what, why), (n, lines))| {
                let at: Vec<String> = lines.iter().map(u64::to_string).collect();
                let more = if *n > lines.len() as u64 { ", ..." } else { "" };
                format!("{what}: {why}: {n} (line {}{more})", at.join(", "))
            })
            .collect()
    }
}

impl Layout {
    /// The columns from a file's header. `nino` may be missing when NINOs are not used, and
    /// `date_of_birth` when dates are not; every other column must be there. The first of
    /// two columns with one name is used.
    pub fn read(headers: &ByteRecord, options: &Options) -> Result<Self, RowError> {
        let mut at = [None; 10];
        for (i, h) in headers.iter().enumerate() {
            let h = String::from_utf8_lossy(h);
            let h = h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase();
            let h = if h == "person_id" || h == "record_id" { "id".to_string() } else { h };
            if let Some(c) = COLUMNS.iter().position(|c| *c == h)
                && at[c].is_none()
            {
                at[c] = Some(i);
            }
        }
        for (c, col) in COLUMNS.iter().enumerate() {
            let optional = (*col == "nino" && !options.use_nino) || (*col == "date_of_birth" && !options.use_dob);
            if at[c].is_none() && !optional {
                return Err(RowError::MissingColumn(col));
            }
        }
        Ok(Self { at, width: headers.len(), crlf: false })
    }

    /// The same, for a file whose lines end in CRLF (see [`Layout::line`]).
    pub fn with_crlf(mut self, crlf: bool) -> Self {
        self.crlf = crlf;
        self
    }

    /// The line of the file a row starts on.
    pub fn line(&self, r: &ByteRecord) -> u64 {
        r.position().map_or(0, |p| p.line() + u64::from(self.crlf && p.line() > 0))
    }

    /// Where a contract column (by its index in [`COLUMNS`]) is in the file.
    pub fn column(&self, c: usize) -> Option<usize> {
        self.at.get(c).copied().flatten()
    }

    /// One row as text: every used field UTF-8, the id not empty (and trimmed; the other
    /// fields as they are). A column the row is too short for reads as empty.
    pub fn record<'a>(&self, r: &'a ByteRecord) -> Result<InputRecord<'a>, RowError> {
        let line = self.line(r);
        if r.len() != self.width {
            let problem = CsvProblem::UnequalLengths { expected_len: self.width as u64, len: r.len() as u64 };
            return Err(RowError::Csv { line, problem });
        }
        let mut f = [""; 10];
        // Nearly every row is ASCII: one check of the whole row then covers its fields.
        let ascii = r.as_slice().is_ascii();
        for (c, at) in self.at.iter().enumerate() {
            if let Some(i) = *at {
                let bytes = r.get(i).unwrap_or(b"");
                f[c] = if ascii {
                    // SAFETY: every byte of the row, so of this field, is ASCII, which is UTF-8.
                    unsafe { std::str::from_utf8_unchecked(bytes) }
                } else {
                    std::str::from_utf8(bytes).map_err(|_| RowError::NotUtf8 { line, column: COLUMNS[c] })?
                };
            }
        }
        if f[0].trim().is_empty() {
            return Err(RowError::EmptyId { line });
        }
        Ok(record_of(f))
    }

    /// One row as text and in comparable form (the only further error: a date of birth that
    /// is not `YYYY-MM-DD`, when dates are used).
    pub fn prepare<'a>(&self, r: &'a ByteRecord, options: &Options) -> Result<(InputRecord<'a>, Prepared), RowError> {
        let input = self.record(r)?;
        let prepared = Prepared::new(&input, options).map_err(|error| RowError::Field { line: self.line(r), error })?;
        Ok((input, prepared))
    }

    /// One row as [`Layout::prepare`] reads it, but what cannot be read does not stop
    /// the run: a value that is not UTF-8 or not a real date reads as missing, a row with
    /// the wrong number of fields, an empty id or an id that is not UTF-8 is skipped
    /// (`None`); each is counted in `skipped` with its line.
    pub fn prepare_lenient<'a>(
        &self,
        r: &'a ByteRecord,
        options: &Options,
        skipped: &mut Skipped,
    ) -> Option<(InputRecord<'a>, Prepared)> {
        let input = self.read_lenient(r, options, skipped)?;
        let prepared = Prepared::new(&input, options).ok()?;
        Some((input, prepared))
    }

    /// [`Layout::prepare_lenient`]'s reading without the comparable form: the row as text,
    /// what cannot be read made missing (a date of birth that is not a real date, when dates
    /// are used, reads as empty) or the row skipped, each counted in `skipped`. For a
    /// program that passes the rows on (the EMS client uploading a register) rather than
    /// comparing them.
    pub fn read_lenient<'a>(
        &self,
        r: &'a ByteRecord,
        options: &Options,
        skipped: &mut Skipped,
    ) -> Option<InputRecord<'a>> {
        let line = self.line(r);
        if r.len() != self.width {
            skipped.add("row", "the wrong number of fields", line);
            return None;
        }
        let mut f = [""; 10];
        let ascii = r.as_slice().is_ascii();
        for (c, at) in self.at.iter().enumerate() {
            if let Some(i) = *at {
                let bytes = r.get(i).unwrap_or(b"");
                f[c] = match std::str::from_utf8(bytes) {
                    Ok(s) => s,
                    Err(_) if c == 0 => {
                        skipped.add("row", "an id that is not valid UTF-8", line);
                        return None;
                    }
                    Err(_) => {
                        debug_assert!(!ascii);
                        skipped.add(COLUMNS[c], "not valid UTF-8", line);
                        ""
                    }
                };
            }
        }
        if f[0].trim().is_empty() {
            skipped.add("row", "the id is empty", line);
            return None;
        }
        let mut input = record_of(f);
        if options.use_dob
            && let Err(e) = crate::fields::parse_dob(input.date_of_birth)
        {
            skipped.add("date_of_birth", e.reason(), line);
            input.date_of_birth = "";
        }
        Some(input)
    }
}

/// A record from its fields in [`COLUMNS`]' order (the id trimmed).
fn record_of(f: [&str; 10]) -> InputRecord<'_> {
    InputRecord {
        id: f[0].trim(),
        given_name: f[1],
        middle_names: f[2],
        surname: f[3],
        date_of_birth: f[4],
        nino: f[5],
        address_line_1: f[6],
        address_line_2: f[7],
        town: f[8],
        postcode: f[9],
    }
}

/// The fields of a record in [`COLUMNS`]' order.
pub fn fields<'a>(r: &InputRecord<'a>) -> [&'a str; 10] {
    [
        r.id,
        r.given_name,
        r.middle_names,
        r.surname,
        r.date_of_birth,
        r.nino,
        r.address_line_1,
        r.address_line_2,
        r.town,
        r.postcode,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> (ByteRecord, Vec<ByteRecord>) {
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let headers = reader.byte_headers().unwrap().clone();
        (headers, reader.byte_records().map(Result::unwrap).collect())
    }

    #[test]
    fn a_header_in_any_order_case_and_spelling() {
        let (h, rs) = rows(
            "\u{feff}Postcode,Town,address_line_2,ADDRESS_LINE_1,nino,date_of_birth,surname,middle_names,given_name,person_id\n\
             SW1A 1AA,London,,1 High St,AB123456C,1980-03-07,Smith,,Jo, p1 \n",
        );
        let layout = Layout::read(&h, &Options::default()).unwrap();
        let r = layout.record(&rs[0]).unwrap();
        assert_eq!(
            fields(&r),
            ["p1", "Jo", "", "Smith", "1980-03-07", "AB123456C", "1 High St", "", "London", "SW1A 1AA"]
        );
    }

    #[test]
    fn a_lenient_read_sets_aside_what_cannot_be_read_and_says_where() {
        let header =
            "id,given_name,middle_names,surname,date_of_birth,nino,address_line_1,address_line_2,town,postcode";
        let text = format!(
            "{header}\r\n1,Jo,,Smith,1937-02-29,,,,,\r\n2,Al,,Jones\r\n\"3\",\"Bo\r\nB\",,Brown,1980-3-7,,,,,\r\n ,Cy,,Dunn,,,,,,\r\n"
        );
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
        let headers = reader.byte_headers().unwrap().clone();
        let layout = Layout::read(&headers, &Options::default()).unwrap().with_crlf(true);
        let rows: Vec<ByteRecord> = reader.byte_records().map(Result::unwrap).collect();
        let mut skipped = Skipped::default();
        let read: Vec<String> = rows
            .iter()
            .filter_map(|r| layout.prepare_lenient(r, &Options::default(), &mut skipped))
            .map(|(input, p)| format!("{} {}", input.id, p.dob))
            .collect();
        assert_eq!(read, vec!["1 0", "3 0"], "impossible and malformed dates read as missing");
        assert_eq!((skipped.values(), skipped.rows()), (2, 2));
        assert_eq!(
            skipped.lines(),
            vec![
                "date_of_birth: a day that does not exist: 1 (line 2)",
                "date_of_birth: not a date in the form YYYY-MM-DD: 1 (line 4)",
                "row: the id is empty: 1 (line 6)",
                "row: the wrong number of fields: 1 (line 3)",
            ]
        );
        // Strictly, the first of them stops the read, at its true line.
        assert_eq!(
            layout.prepare(&rows[0], &Options::default()).unwrap_err().to_string(),
            "line 2, column date_of_birth: date_of_birth is in the form YYYY-MM-DD, but that day does not exist"
        );
        assert_eq!(
            layout.record(&rows[1]).unwrap_err().to_string(),
            "line 3: the row has 4 fields where the header has 10"
        );
        let mut more = Skipped::default();
        for line in 10..20 {
            more.add("row", "the id is empty", line);
        }
        skipped.merge(more);
        assert!(skipped.lines().contains(&"row: the id is empty: 11 (line 6, 10, 11, 12, 13, ...)".to_owned()));
    }

    #[test]
    fn errors_name_the_line_and_column_not_the_value() {
        let (h, _) = rows("id,given_name,surname\n");
        let e = Layout::read(&h, &Options::default()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 1: the header has no `middle_names` column (needed: id,given_name,middle_names,surname,date_of_birth,nino,address_line_1,address_line_2,town,postcode)"
        );
        let header = "id,given_name,middle_names,surname,date_of_birth,address_line_1,address_line_2,town,postcode";
        let (h, _) = rows(&format!("{header}\n"));
        assert!(Layout::read(&h, &Options::default()).is_err(), "nino needed");
        let layout = Layout::read(&h, &Options { use_nino: false, use_dob: true }).unwrap();
        assert_eq!(layout.column(5), None);

        let (_, rs) = rows(&format!("{header}\n  ,Jo,,Smith,,,,,\nx,Jo,,Smith,07/03/1980,,,,\n"));
        let options = Options { use_nino: false, use_dob: true };
        assert_eq!(layout.record(&rs[0]).unwrap_err().to_string(), "line 2, column id: the id is empty");
        assert_eq!(
            layout.prepare(&rs[1], &options).unwrap_err().to_string(),
            "line 3, column date_of_birth: date_of_birth must be a date in the form YYYY-MM-DD"
        );
        let text = format!("{header}\nx,J\u{f8},,S\n");
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        reader.byte_headers().unwrap();
        let mut bad = ByteRecord::new();
        let err = reader.read_byte_record(&mut bad).map(|_| ()).unwrap_err();
        assert_eq!(RowError::from(err).to_string(), "line 2: the row has 4 fields where the header has 9");
        let r = csv::ByteRecord::from(vec![&b"x"[..], b"\xff\xfe", b"", b"S", b"", b"", b"", b"", b""]);
        assert_eq!(layout.record(&r).unwrap_err().to_string(), "line 0, column given_name: not valid UTF-8");
    }
}
