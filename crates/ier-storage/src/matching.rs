//! Data matching runs: an ERO's register matched against DWP's records (the
//! confirmation of a whole register, or the annual canvass's national data
//! matching step), then, for the electors DWP did not match, against the ERO's
//! own local data (council tax, benefits).
//!
//! A run belongs to one ERO and goes through these states:
//!
//! ```text
//! uploading ──(match against dwp)──▶ queued ─▶ matching ─▶ matched ──(match against local data)──▶ queued ─▶ …
//!                                                   └──(failed three times)──▶ failed
//! ```
//!
//! Electors are uploaded in pages while it is `uploading` (the same elector
//! number again replaces the elector); local data while it is `uploading` or
//! `matched`. A page of electors is kept as it came, sealed whole with the data
//! keys (associated data: the run and the page's id), beside its elector numbers'
//! digests (sorted: how an elector given again in a later page, in whatever order
//! the register comes, is found and counted once); each local record is sealed on its own (the run and the record's id).
//! Nothing uploaded is kept in clear. Storing a page as one value, not a row per
//! elector, is what lets an upload and a match's read-back keep up with the
//! matching itself (`docs/BENCHMARKS.md`, issue 18). The run row is its own queue entry: a
//! matching worker claims the oldest queued run with a lease (on Postgres with
//! `FOR UPDATE SKIP LOCKED`), renews it as it reports progress, and writes the
//! results; a worker that dies leaves the lease to run out and another takes
//! the run, from the start (results are overwritten, never added to). Runs of
//! many EROs are therefore matched in turn, one at a time per instance.
//!
//! A run is deleted whole (electors, local data, results) under the retention
//! periods ([`ier_domain::retention`]: after its last match, or when abandoned).

use std::fmt;

use chrono::{DateTime, Utc};
use ier_domain::EroId;
use serde::{Deserialize, Serialize};

use crate::{Result, Sealed, StorageError};

/// Attempts at matching a run before it is failed.
pub const MAX_ATTEMPTS: u32 = 3;

/// Runs an ERO may hold at once (each can be millions of electors): past it, starting a run
/// is refused until the EMS deletes one or retention does.
pub const MAX_RUNS_PER_ERO: u32 = 20;

/// Why a run cannot be started ([`MAX_RUNS_PER_ERO`]).
pub const TOO_MANY_RUNS: &str = "your ERO already holds 20 matching runs: delete the ones you have finished with";

/// A run's id: `mr-` and 20 lowercase letters and digits from the OS CSPRNG.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RunId(String);

const ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";

impl RunId {
    pub fn generate() -> Self {
        let bytes: [u8; 20] = rand::random();
        let tail: String = bytes.iter().map(|b| ALPHABET[usize::from(b % 32)] as char).collect();
        Self(format!("mr-{tail}"))
    }

    /// A run id as [`RunId::generate`] makes them, or `None`.
    pub fn parse(s: &str) -> Option<Self> {
        let tail = s.strip_prefix("mr-")?;
        (tail.len() == 20 && tail.bytes().all(|b| ALPHABET.contains(&b))).then(|| Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for RunId {
    type Error = &'static str;
    fn try_from(s: String) -> std::result::Result<Self, Self::Error> {
        Self::parse(&s).ok_or("not a matching run id")
    }
}

impl From<RunId> for String {
    fn from(r: RunId) -> String {
        r.0
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! words {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(&self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(s: &str) -> Result<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
                    .ok_or_else(|| StorageError::Corrupt(format!("{} {s:?}", stringify!($name))))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

words!(
    /// Why the register is matched (the same matching either way; kept for the ERO's records and the figures).
    Purpose {
        /// The annual canvass's national data matching step.
        Canvass = "canvass",
        /// Confirming a whole register (as before individual registration began).
        Confirmation = "confirmation",
    }
);

words!(
    /// What a match compares the electors with.
    Against {
        /// DWP's records (the simulator by default, an extract file in production).
        Dwp = "dwp",
        /// The ERO's local data, for the electors DWP did not match.
        LocalData = "local-data",
    }
);

words!(
    /// Where a run is.
    RunState {
        /// Taking electors (and local data).
        Uploading = "uploading",
        /// A match waits for a worker.
        Queued = "queued",
        /// A worker is matching it.
        Matching = "matching",
        /// Its last match finished: results can be read; local data can be added and matched.
        Matched = "matched",
        /// Its match failed [`MAX_ATTEMPTS`] times.
        Failed = "failed",
    }
);

/// How sure a match is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// At or above the matching threshold (0.9) but below 0.99.
    Likely,
    /// 0.99 or more.
    Strong,
}

impl Level {
    /// The level of a match of `probability`, or `None` below the threshold.
    pub fn of(probability: f64, threshold: f64) -> Option<Self> {
        if probability >= STRONG {
            Some(Level::Strong)
        } else if probability >= threshold {
            Some(Level::Likely)
        } else {
            None
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Level::Likely => "likely",
            Level::Strong => "strong",
        }
    }

    /// As stored: 1 likely, 2 strong (0 is "not matched").
    pub fn code(level: Option<Level>) -> i64 {
        match level {
            None => 0,
            Some(Level::Likely) => 1,
            Some(Level::Strong) => 2,
        }
    }

    pub fn from_code(code: i64) -> Result<Option<Level>> {
        match code {
            0 => Ok(None),
            1 => Ok(Some(Level::Likely)),
            2 => Ok(Some(Level::Strong)),
            n => Err(StorageError::Corrupt(format!("match level {n}"))),
        }
    }
}

/// The probability at and above which a match is [`Level::Strong`].
pub const STRONG: f64 = 0.99;

/// A person as uploaded (an elector of the register, or a record of local data), sealed
/// for storage. Empty strings are missing values. Personal data: never printed.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub given_name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub middle_names: String,
    pub surname: String,
    /// `YYYY-MM-DD` of a day that exists, or empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub date_of_birth: String,
    /// A NINO (compact), or empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub nino: String,
    pub address_lines: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub town: String,
    pub postcode: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uprn: Option<u64>,
}

impl Person {
    /// An applicant as local data is compared with them (the ERO portal's local data step).
    pub fn of_applicant(details: &ier_domain::ApplicantDetails) -> Self {
        Person {
            given_name: details.name.given.as_str().to_owned(),
            middle_names: details.name.middle.as_ref().map(|m| m.as_str().to_owned()).unwrap_or_default(),
            surname: details.name.surname.as_str().to_owned(),
            date_of_birth: match &details.birth {
                ier_domain::BirthDetails::Date(d) => d.date().format("%Y-%m-%d").to_string(),
                ier_domain::BirthDetails::NotGiven { .. } => String::new(),
            },
            nino: match &details.nino {
                ier_domain::OrReason::Given(n) => n.compact(),
                ier_domain::OrReason::NotGiven { .. } => String::new(),
            },
            address_lines: details.address.lines.iter().filter(|l| !l.trim().is_empty()).cloned().collect(),
            town: details.address.town.clone(),
            postcode: details.address.postcode.to_string(),
            uprn: details.address.uprn.map(|u| u.get()),
        }
    }
}

impl fmt::Debug for Person {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Person(<redacted>)")
    }
}

/// A new run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRun {
    pub id: RunId,
    pub ero: EroId,
    pub purpose: Purpose,
    pub created_at: DateTime<Utc>,
}

/// A run as stored: no personal data.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRow {
    pub id: RunId,
    pub ero: EroId,
    pub purpose: Purpose,
    pub state: RunState,
    /// The match queued, running or last finished.
    pub against: Option<Against>,
    pub created_at: DateTime<Utc>,
    pub queued_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    /// When the last match finished (or the run failed).
    pub finished_at: Option<DateTime<Utc>>,
    /// When the match against DWP finished.
    pub dwp_matched_at: Option<DateTime<Utc>>,
    /// When the last match against local data finished.
    pub local_matched_at: Option<DateTime<Utc>>,
    pub electors: u64,
    pub local_records: u64,
    /// Records compared so far by the running match, of `total`.
    pub done: u64,
    pub total: u64,
    pub attempts: u32,
    /// Why the last attempt failed (no personal data).
    pub error: Option<String>,
}

/// A page of electors as uploaded, sealed whole under its run and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedPage {
    /// Random: names the page in its seal's associated data.
    pub id: i64,
    /// Where the sender put it in the register (pages are read in this order, then in the
    /// order they came; the later of two holding one number stands).
    pub position: Option<u64>,
    /// Its electors' numbers' digests ([`number_digest`]), sorted: one per elector.
    pub numbers: Vec<u64>,
    /// Its electors as [`encode_page`] writes them.
    pub sealed: Sealed,
}

/// What a sealed page holds: its electors in the order given, each number once (the last
/// of a number given twice stood), in a binary form of its own, not JSON: a page is written
/// once and read once by every match, and parsing it as JSON was most of the time a match
/// spent reading its electors (`docs/BENCHMARKS.md`, issue 18). Version 1: the byte 1, the
/// number of electors (4 bytes, little-endian), then for each the elector number, given
/// name, middle names, surname, date of birth, NINO, town and postcode as strings (a
/// LEB128 length, then UTF-8), the number of address lines (LEB128) and the lines, and the
/// UPRN (the byte 0, or 1 and 8 bytes little-endian). Pages written before it (JSON, whose
/// first byte is `[`) are still read.
pub fn encode_page(electors: &[(String, Person)]) -> Vec<u8> {
    // About what an elector takes: a few doublings at most for a page of long addresses.
    let mut out = Vec::with_capacity(5 + electors.len() * 160);
    out.push(BINARY_V1);
    out.extend_from_slice(&u32::try_from(electors.len()).expect("a page is small").to_le_bytes());
    for (number, p) in electors {
        for s in [number, &p.given_name, &p.middle_names, &p.surname, &p.date_of_birth, &p.nino, &p.town, &p.postcode] {
            put_text(&mut out, s);
        }
        put_len(&mut out, p.address_lines.len());
        for line in &p.address_lines {
            put_text(&mut out, line);
        }
        match p.uprn {
            None => out.push(0),
            Some(u) => {
                out.push(1);
                out.extend_from_slice(&u.to_le_bytes());
            }
        }
    }
    out
}

/// The first byte of a page, or of a chunk of results or properties, in the binary form
/// (the JSON before it begins with `[`).
const BINARY_V1: u8 = 1;

/// A length or count as the binary forms write it: LEB128 (7 bits a byte, low first).
fn put_len(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// A string as the binary forms write it: its length ([`put_len`]), then its UTF-8.
fn put_text(out: &mut Vec<u8>, s: &str) {
    put_len(out, s.len());
    out.extend_from_slice(s.as_bytes());
}

/// Reads the binary forms; every shortfall is an error, never a panic.
struct Reader<'a>(&'a [u8]);

type Read<T> = std::result::Result<T, &'static str>;

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Read<&[u8]> {
        if self.0.len() < n {
            return Err("ends early");
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn byte(&mut self) -> Read<u8> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Read<u32> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes")))
    }
    fn u64(&mut self) -> Read<u64> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes")))
    }
    fn len(&mut self) -> Read<usize> {
        let mut n = 0usize;
        for shift in (0..35).step_by(7) {
            let b = self.byte()?;
            n |= usize::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(n);
            }
        }
        Err("a length too long")
    }
    fn text(&mut self) -> Read<String> {
        let n = self.len()?;
        std::str::from_utf8(self.take(n)?).map(str::to_owned).map_err(|_| "text that is not UTF-8")
    }
    /// The binary form's version byte and count of items, or `None` for JSON.
    fn start(bytes: &[u8]) -> Read<Option<(Reader<'_>, usize)>> {
        match bytes.first() {
            Some(b'[') => Ok(None),
            Some(&BINARY_V1) => {
                let mut r = Reader(&bytes[1..]);
                let n = r.u32()? as usize;
                Ok(Some((r, n)))
            }
            _ => Err("an unknown form"),
        }
    }
    fn end(&self) -> Read<()> {
        if self.0.is_empty() { Ok(()) } else { Err("bytes after the last item") }
    }
}

/// A page's electors as [`encode_page`] wrote them (or, from before it, as JSON).
pub fn decode_page(bytes: &[u8]) -> Read<Vec<(String, Person)>> {
    #[derive(Deserialize)]
    struct Json(Vec<(String, Person)>);
    let Some((mut r, n)) = Reader::start(bytes)? else {
        return serde_json::from_slice::<Json>(bytes).map(|j| j.0).map_err(|_| "does not parse");
    };
    let mut electors = Vec::with_capacity(n.min(r.0.len() / 10));
    for _ in 0..n {
        let number = r.text()?;
        let mut p = Person {
            given_name: r.text()?,
            middle_names: r.text()?,
            surname: r.text()?,
            date_of_birth: r.text()?,
            nino: r.text()?,
            town: r.text()?,
            postcode: r.text()?,
            ..Person::default()
        };
        let lines = r.len()?;
        p.address_lines = (0..lines).map(|_| r.text()).collect::<Read<_>>()?;
        p.uprn = match r.byte()? {
            0 => None,
            1 => Some(r.u64()?),
            _ => return Err("a bad UPRN marker"),
        };
        electors.push((number, p));
    }
    r.end()?;
    Ok(electors)
}

/// A local data record sealed under its run and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedRecord {
    pub id: i64,
    pub sealed: Sealed,
}

/// Results or properties kept a chunk.
pub const CHUNK: usize = 10_000;

/// Consecutive results (in elector-number order) as one value: the first and last numbers,
/// and the rows encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultChunk {
    pub first: String,
    pub last: String,
    pub details: Vec<u8>,
}

/// Consecutive properties as one value: the first and last property numbers, and the rows encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyChunk {
    pub first: u32,
    pub last: u32,
    pub details: Vec<u8>,
}

/// One elector's result of a match.
#[derive(Debug, Clone, PartialEq)]
pub struct ElectorResult {
    pub number: String,
    pub level: Option<Level>,
    /// The match's probability (`None` when not matched).
    pub probability: Option<f64>,
    /// The property the elector lives at (a number within the run), set by the DWP match.
    pub property: Option<u32>,
}

/// One match's outcome for an elector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    pub level: Option<Level>,
    pub probability: Option<f64>,
}

/// An elector's results, as the EMS reads them.
#[derive(Debug, Clone, PartialEq)]
pub struct ElectorRow {
    pub number: String,
    pub property: Option<u32>,
    pub dwp: Option<Outcome>,
    pub local: Option<Outcome>,
}

impl ElectorRow {
    /// Matched by either match.
    pub fn matched(&self) -> bool {
        [self.dwp, self.local].iter().flatten().any(|o| o.level.is_some())
    }
}

/// A property's electors and how many of them matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyRow {
    pub property: u32,
    /// Its electors' numbers, in order.
    pub electors: Vec<String>,
    pub matched: u32,
}

/// The canvass route a property takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Every elector matched: a canvass communication that asks for a reply only if something changed.
    Route1,
    /// Someone did not match: the full canvass form, with a reply required.
    Route2,
}

impl PropertyRow {
    pub fn route(&self) -> Route {
        if self.matched as usize == self.electors.len() { Route::Route1 } else { Route::Route2 }
    }
}

impl Route {
    pub fn as_str(&self) -> &'static str {
        match self {
            Route::Route1 => "route-1",
            Route::Route2 => "route-2",
        }
    }
}

/// Associated data of a page of electors' seal.
pub fn page_aad(run: &RunId, page: i64) -> Vec<u8> {
    format!("matching/{run}/page/{page}").into_bytes()
}

/// An elector number's digest (the first 8 bytes of its SHA-256): how pages are compared
/// without reading every earlier page's numbers.
pub fn number_digest(number: &str) -> u64 {
    let d = ring::digest::digest(&ring::digest::SHA256, number.as_bytes());
    u64::from_le_bytes(d.as_ref()[..8].try_into().expect("8 bytes"))
}

/// Digests as stored: 8 bytes each, little-endian.
pub fn digests_to_bytes(digests: &[u64]) -> Vec<u8> {
    digests.iter().flat_map(|d| d.to_le_bytes()).collect()
}

/// Digests as [`digests_to_bytes`] stores them.
pub fn digests_from_bytes(bytes: &[u8]) -> Vec<u64> {
    bytes.chunks_exact(8).map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes"))).collect()
}

/// Number digests held across all runs by a [`PageIndex`] before the least recently used
/// runs are let go (about 40 bytes each: 160 MiB at most).
const INDEXED_DIGESTS: usize = 4 << 20;

/// Hashes a digest (or a page id) as itself: both are already uniformly random.
#[derive(Default, Clone, Copy)]
struct Itself(u64);

impl std::hash::Hasher for Itself {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8 | u64::from(*b)).rotate_left(5);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
    fn write_i64(&mut self, n: i64) {
        self.0 = n as u64;
    }
}

type ByItself<K, V> = std::collections::HashMap<K, V, std::hash::BuildHasherDefault<Itself>>;

/// One run's pages as a [`PageIndex`] holds them.
#[derive(Default)]
struct RunPages {
    /// Each page's number digests (sorted), by page id.
    pages: ByItself<i64, Vec<u64>>,
    /// A page holding each digest; [`RunPages::more`] the others, where a number is in more
    /// than one page (a page sent again, overlapping pages: rare).
    holder: ByItself<u64, i64>,
    more: ByItself<u64, Vec<i64>>,
    digests: usize,
    used: u64,
}

impl RunPages {
    fn insert(&mut self, page: i64, digests: Vec<u64>) {
        if self.pages.contains_key(&page) {
            return;
        }
        for &d in &digests {
            if let Some(prev) = self.holder.insert(d, page) {
                self.more.entry(d).or_default().push(prev);
            }
        }
        self.digests += digests.len();
        self.pages.insert(page, digests);
    }

    fn remove(&mut self, page: i64) {
        let Some(digests) = self.pages.remove(&page) else { return };
        for d in &digests {
            let others = self.more.get_mut(d);
            match (self.holder.get(d) == Some(&page), others) {
                (true, Some(others)) => {
                    let next = others.pop().expect("kept non-empty");
                    if others.is_empty() {
                        self.more.remove(d);
                    }
                    self.holder.insert(*d, next);
                }
                (true, None) => {
                    self.holder.remove(d);
                }
                (false, Some(others)) => {
                    others.retain(|p| *p != page);
                    if others.is_empty() {
                        self.more.remove(d);
                    }
                }
                (false, None) => {}
            }
        }
        self.digests -= digests.len();
    }

    /// How many of `ours` (a new page's digests, each once) earlier pages hold, and which
    /// earlier pages hold nothing `ours` does not (a page sent again, say). Linear in `ours`.
    fn overlap(&self, ours: &[u64]) -> (usize, Vec<i64>) {
        let mut held = 0;
        let mut hits: ByItself<i64, usize> = ByItself::default();
        for d in ours {
            let Some(first) = self.holder.get(d) else { continue };
            held += 1;
            *hits.entry(*first).or_default() += 1;
            for p in self.more.get(d).into_iter().flatten() {
                *hits.entry(*p).or_default() += 1;
            }
        }
        let mut superseded: Vec<i64> = hits
            .into_iter()
            .filter(|(p, n)| self.pages.get(p).is_some_and(|d| d.len() == *n))
            .map(|(p, _)| p)
            .collect();
        superseded.sort_unstable();
        (held, superseded)
    }
}

/// The number digests of the pages of the runs being uploaded, kept by the process (each
/// backend holds one) so that a new page is compared with the pages before it in time linear
/// in its own size, not in the run's: without it every page read every earlier page's
/// digests, which grows as the square of a run's pages. It is only ever a copy: under the
/// run's write lock a backend lists the page ids the database holds ([`PageIndex::missing`]),
/// the index forgets pages no longer there (deleted by another instance, or a transaction
/// that did not commit) and names those it lacks, which the backend reads
/// ([`PageIndex::load`]). Runs are let go when their match is queued or they are deleted,
/// and, least recently used first, past [`INDEXED_DIGESTS`] digests in all.
#[derive(Default)]
pub struct PageIndex {
    runs: std::sync::Mutex<(std::collections::HashMap<RunId, RunPages>, u64)>,
}

impl PageIndex {
    fn runs(&self) -> std::sync::MutexGuard<'_, (std::collections::HashMap<RunId, RunPages>, u64)> {
        // A panic while held leaves at worst a stale copy, which `missing` repairs.
        self.runs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The run's pages the index lacks, of `present` (the ids of the pages the database
    /// holds now); pages it holds that are no longer present are forgotten.
    pub fn missing(&self, run: &RunId, present: &[i64]) -> Vec<i64> {
        let mut guard = self.runs();
        let (runs, clock) = &mut *guard;
        *clock += 1;
        let pages = runs.entry(run.clone()).or_default();
        pages.used = *clock;
        let there: std::collections::HashSet<i64> = present.iter().copied().collect();
        let gone: Vec<i64> = pages.pages.keys().filter(|p| !there.contains(p)).copied().collect();
        for p in gone {
            pages.remove(p);
        }
        present.iter().filter(|p| !pages.pages.contains_key(p)).copied().collect()
    }

    /// Pages the index lacked, as read: (page id, stored digests).
    pub fn load(&self, run: &RunId, read: Vec<(i64, Vec<u8>)>) {
        let mut guard = self.runs();
        let pages = guard.0.entry(run.clone()).or_default();
        for (page, digests) in read {
            pages.insert(page, digests_from_bytes(&digests));
        }
    }

    /// A new page (its digests sorted, each once) against the run's pages: how many of its
    /// numbers they hold, and the ids of those it supersedes (every number of theirs is in
    /// it). The page is then taken as stored and the superseded ones as deleted: a
    /// transaction that does not commit is repaired by the next [`PageIndex::missing`].
    pub fn add(&self, run: &RunId, page: i64, ours: &[u64]) -> (usize, Vec<i64>) {
        let mut guard = self.runs();
        let (runs, _) = &mut *guard;
        let pages = runs.entry(run.clone()).or_default();
        let (held, superseded) = pages.overlap(ours);
        for p in &superseded {
            pages.remove(*p);
        }
        pages.insert(page, ours.to_vec());
        // Within bounds: the least recently used runs go first (this one last of all).
        let mut total: usize = runs.values().map(|r| r.digests).sum();
        while total > INDEXED_DIGESTS {
            let Some(oldest) =
                runs.iter().min_by_key(|(id, r)| (*id == run, r.used)).map(|(id, r)| (id.clone(), r.digests))
            else {
                break;
            };
            runs.remove(&oldest.0);
            total -= oldest.1;
        }
        (held, superseded)
    }

    /// Let the run go (its match queued, or it was deleted).
    pub fn forget(&self, run: &RunId) {
        self.runs().0.remove(run);
    }
}

/// A result as kept in a chunk before the binary form: number, property, DWP's level code
/// and probability, local data's level code and probability.
type Stored = (String, Option<u32>, Option<i64>, Option<f64>, Option<i64>, Option<f64>);

/// A chunk of results in the binary form: [`BINARY_V1`], the count (4 bytes), then for each
/// result its number (as [`put_text`] writes it), a byte of flags (1: a property, 2: a DWP
/// outcome, 4: with a probability, 8: a local data outcome, 16: with a probability), a byte
/// of level codes (DWP's in the low four bits, local data's in the high), and the property
/// (4 bytes) and probabilities (8 bytes each) that the flags say are there.
fn encode_results(rows: &[ElectorRow]) -> Vec<u8> {
    let mut out = Vec::with_capacity(rows.iter().map(|r| r.number.len() + 24).sum::<usize>() + 5);
    out.push(BINARY_V1);
    out.extend_from_slice(&(rows.len() as u32).to_le_bytes());
    for r in rows {
        put_text(&mut out, &r.number);
        let flags = u8::from(r.property.is_some())
            | u8::from(r.dwp.is_some()) << 1
            | u8::from(r.dwp.is_some_and(|o| o.probability.is_some())) << 2
            | u8::from(r.local.is_some()) << 3
            | u8::from(r.local.is_some_and(|o| o.probability.is_some())) << 4;
        let code = |o: Option<Outcome>| o.map_or(0, |o| Level::code(o.level) as u8);
        out.extend_from_slice(&[flags, code(r.dwp) | code(r.local) << 4]);
        if let Some(p) = r.property {
            out.extend_from_slice(&p.to_le_bytes());
        }
        for p in [r.dwp, r.local].into_iter().flatten().filter_map(|o| o.probability) {
            out.extend_from_slice(&p.to_bits().to_le_bytes());
        }
    }
    out
}

fn decode_results(details: &[u8]) -> Result<Vec<ElectorRow>> {
    let corrupt = |e: &str| StorageError::Corrupt(format!("matching results chunk: {e}"));
    let outcome = |level: Option<i64>, probability: Option<f64>| -> Result<Option<Outcome>> {
        level.map(|l| Ok(Outcome { level: Level::from_code(l)?, probability })).transpose()
    };
    let Some((mut r, n)) = Reader::start(details).map_err(corrupt)? else {
        let stored: Vec<Stored> = serde_json::from_slice(details).map_err(|_| corrupt("does not parse"))?;
        return stored
            .into_iter()
            .map(|(number, property, dl, dp, ll, lp)| {
                Ok(ElectorRow { number, property, dwp: outcome(dl, dp)?, local: outcome(ll, lp)? })
            })
            .collect();
    };
    let mut rows = Vec::with_capacity(n.min(details.len() / 3));
    for _ in 0..n {
        let number = r.text().map_err(corrupt)?;
        let [flags, codes] = <[u8; 2]>::try_from(r.take(2).map_err(corrupt)?).expect("2 bytes");
        let property = if flags & 1 != 0 { Some(r.u32().map_err(corrupt)?) } else { None };
        let mut read = |present: u8, probability: u8, code: u8| -> Result<Option<Outcome>> {
            if flags & present == 0 {
                return Ok(None);
            }
            let p = if flags & probability != 0 { Some(f64::from_bits(r.u64().map_err(corrupt)?)) } else { None };
            outcome(Some(i64::from(code)), p)
        };
        let dwp = read(2, 4, codes & 0x0f)?;
        let local = read(8, 16, codes >> 4)?;
        rows.push(ElectorRow { number, property, dwp, local });
    }
    r.end().map_err(corrupt)?;
    Ok(rows)
}

/// A chunk of properties in the binary form: [`BINARY_V1`], the count (4 bytes), then for
/// each the property, how many of its electors matched and how many it has (4 bytes each),
/// and their numbers.
fn decode_properties(details: &[u8]) -> Result<Vec<PropertyRow>> {
    let corrupt = |e: &str| StorageError::Corrupt(format!("matching properties chunk: {e}"));
    let Some((mut r, n)) = Reader::start(details).map_err(corrupt)? else {
        let stored: Vec<(u32, Vec<String>, u32)> =
            serde_json::from_slice(details).map_err(|_| corrupt("does not parse"))?;
        return Ok(stored
            .into_iter()
            .map(|(property, electors, matched)| PropertyRow { property, electors, matched })
            .collect());
    };
    let mut rows = Vec::with_capacity(n.min(details.len() / 12));
    for _ in 0..n {
        let (property, matched, count) =
            (r.u32().map_err(corrupt)?, r.u32().map_err(corrupt)?, r.u32().map_err(corrupt)? as usize);
        let electors = (0..count).map(|_| r.text()).collect::<Read<Vec<String>>>().map_err(corrupt)?;
        rows.push(PropertyRow { property, electors, matched });
    }
    r.end().map_err(corrupt)?;
    Ok(rows)
}

/// `f` of each item, on as many threads as there are cores (at most 16), in order.
fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 16).min(items.len());
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut all: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break mine };
                        mine.push((i, f(item)));
                    }
                })
            })
            .collect();
        for h in handles {
            for (i, r) in h.join().expect("a worker thread does not panic") {
                all[i] = Some(r);
            }
        }
    });
    all.into_iter().map(|r| r.expect("every item mapped")).collect()
}

/// The first 16 bytes of a number, big-endian, padded with zeros: ordered as the numbers
/// are, where they differ in their first 16 bytes (an elector number holds no zero byte).
fn number_prefix(number: &str) -> u128 {
    let mut b = [0u8; 16];
    let n = number.len().min(16);
    b[..n].copy_from_slice(&number.as_bytes()[..n]);
    u128::from_be_bytes(b)
}

/// Rows in number order: sorted by their numbers' first 16 bytes, kept beside them (a sort
/// that follows every number to the heap at every comparison is most of the time taken),
/// then each run of rows whose numbers share those bytes by the whole number.
fn by_number(rows: &mut [ElectorRow]) {
    rows.sort_by_cached_key(|r| number_prefix(&r.number));
    let mut start = 0;
    while start < rows.len() {
        let key = number_prefix(&rows[start].number);
        let end = start + rows[start..].iter().take_while(|r| number_prefix(&r.number) == key).count();
        if end - start > 1 {
            rows[start..end].sort_unstable_by(|a, b| a.number.cmp(&b.number));
        }
        start = end;
    }
}

/// A match's whole results as chunks: electors in number order, and properties (each with
/// its electors in number order and how many matched) in property order.
pub fn chunks(mut rows: Vec<ElectorRow>) -> (Vec<ResultChunk>, Vec<PropertyChunk>) {
    by_number(&mut rows);
    let parts: Vec<&[ElectorRow]> = rows.chunks(CHUNK).collect();
    let results = par_map(&parts, |c| ResultChunk {
        first: c[0].number.clone(),
        last: c[c.len() - 1].number.clone(),
        details: encode_results(c),
    });
    // (property, position in number order): sorted, each property's electors are in number order.
    let mut by_property: Vec<(u32, u32)> =
        rows.iter().enumerate().filter_map(|(i, r)| r.property.map(|p| (p, i as u32))).collect();
    by_property.sort_unstable();
    let mut properties: Vec<PropertyChunk> = Vec::new();
    let mut out: Vec<u8> = Vec::new();
    let (mut count, mut first) = (0u32, 0u32);
    for group in by_property.chunk_by(|a, b| a.0 == b.0) {
        let property = group[0].0;
        if count == 0 {
            out = Vec::with_capacity(CHUNK * 48);
            out.push(BINARY_V1);
            out.extend_from_slice(&[0; 4]);
            first = property;
        }
        let electors = group.iter().map(|&(_, i)| &rows[i as usize]);
        let matched = electors.clone().filter(|r| r.matched()).count() as u32;
        out.extend_from_slice(&property.to_le_bytes());
        out.extend_from_slice(&matched.to_le_bytes());
        out.extend_from_slice(&(group.len() as u32).to_le_bytes());
        for r in electors {
            put_text(&mut out, &r.number);
        }
        count += 1;
        if count as usize == CHUNK {
            out[1..5].copy_from_slice(&count.to_le_bytes());
            properties.push(PropertyChunk { first, last: property, details: std::mem::take(&mut out) });
            count = 0;
        }
    }
    if count > 0 {
        out[1..5].copy_from_slice(&count.to_le_bytes());
        let last = by_property.last().expect("a property").0;
        properties.push(PropertyChunk { first, last, details: out });
    }
    (results, properties)
}

/// Associated data of a local record's seal.
pub fn record_aad(run: &RunId, id: i64) -> Vec<u8> {
    format!("matching/{run}/local/{id}").into_bytes()
}

/// Which state a run must be in for `action`, as the conflict's message (no personal data).
pub fn refuse(state: RunState, action: Action) -> Option<&'static str> {
    use RunState::*;
    match (action, state) {
        (Action::AddElectors, Uploading) => None,
        (Action::AddElectors, _) => Some("electors can only be added before the run is matched"),
        (Action::AddLocalData, Uploading | Matched) => None,
        (Action::AddLocalData, Queued | Matching) => Some("local data cannot be added while the run is being matched"),
        (Action::AddLocalData, Failed) => Some("the run failed: start a new one"),
        (Action::MatchDwp, Uploading) => None,
        (Action::MatchDwp, _) => Some("the run has already been matched against DWP"),
        (Action::MatchLocal, Matched) => None,
        (Action::MatchLocal, Uploading) => Some("match the run against DWP first"),
        (Action::MatchLocal, Queued | Matching) => Some("the run is being matched"),
        (Action::MatchLocal, Failed) => Some("the run failed: start a new one"),
    }
}

/// What an EMS asks of a run ([`refuse`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    AddElectors,
    AddLocalData,
    MatchDwp,
    MatchLocal,
}

impl crate::EroStore {
    /// Start a run for this ERO.
    pub async fn create_matching_run(&self, purpose: Purpose, now: DateTime<Utc>) -> Result<RunRow> {
        let id = RunId::generate();
        let new = NewRun { id: id.clone(), ero: self.ero.clone(), purpose, created_at: now };
        self.store.backend.create_matching_run(&new).await?;
        self.matching_run(&id).await?.ok_or(StorageError::NotFound)
    }

    pub async fn matching_run(&self, id: &RunId) -> Result<Option<RunRow>> {
        self.store.backend.matching_run(&self.ero, id).await
    }

    /// This ERO's runs, newest first.
    pub async fn matching_runs(&self, limit: u32) -> Result<Vec<RunRow>> {
        self.store.backend.matching_runs(&self.ero, limit).await
    }

    /// Add a page of electors to a run that is uploading, sealed here as one value; the
    /// run's electors afterwards. A number given twice keeps its last elector, in this page
    /// or across pages.
    pub async fn add_run_electors(&self, id: &RunId, electors: &[(String, Person)]) -> Result<u64> {
        Ok(self.add_run_page(id, electors.to_vec(), None).await?.1)
    }

    /// [`Self::add_run_electors`] with the page's position in the register, where the sender
    /// gives one (so pages sent two at a time are still read in the register's order): (the
    /// page's electors, each number once; the run's electors afterwards).
    pub async fn add_run_page(
        &self,
        id: &RunId,
        electors: Vec<(String, Person)>,
        position: Option<u64>,
    ) -> Result<(usize, u64)> {
        // A number given twice stays where it first came, with the last elector given for it.
        let plan: Option<Vec<Option<usize>>> = {
            let mut last: std::collections::HashMap<&str, usize> =
                std::collections::HashMap::with_capacity(electors.len());
            for (i, (number, _)) in electors.iter().enumerate() {
                last.insert(number.as_str(), i);
            }
            (last.len() < electors.len()).then(|| {
                let mut first = std::collections::HashSet::with_capacity(last.len());
                electors.iter().map(|(n, _)| first.insert(n.as_str()).then(|| last[n.as_str()])).collect()
            })
        };
        let kept = match plan {
            None => electors,
            Some(plan) => {
                let mut slots: Vec<Option<(String, Person)>> = electors.into_iter().map(Some).collect();
                plan.into_iter().flatten().map(|at| slots[at].take().expect("each number's last once")).collect()
            }
        };
        let mut numbers: Vec<u64> = kept.iter().map(|(n, _)| number_digest(n)).collect();
        numbers.sort_unstable();
        let page_id = rand::random::<i64>() & i64::MAX;
        let sealed = self.store.keys.seal(&encode_page(&kept), &page_aad(id, page_id));
        let stored = numbers.len();
        let total = self
            .store
            .backend
            .put_run_page(&self.ero, id, &SealedPage { id: page_id, position, numbers, sealed })
            .await?;
        Ok((stored, total))
    }

    /// Add local data records to a run, sealed here: (added, the run's local records
    /// afterwards). A record's id is a keyed digest of the run and the record, so the same
    /// record sent again (a retried upload, a line given twice) is stored once.
    pub async fn add_local_records(&self, id: &RunId, records: &[Person]) -> Result<(u64, u64)> {
        let keys = &self.store.keys;
        let mut seen = std::collections::HashSet::with_capacity(records.len());
        let sealed: Vec<SealedRecord> = records
            .iter()
            .filter_map(|p| {
                let json = serde_json::to_vec(p).expect("a person serialises");
                let text = format!("matching/{id}/local/{}", String::from_utf8_lossy(&json));
                let rid = keys.index_digest(keys.current_id(), &text) & i64::MAX;
                seen.insert(rid).then(|| SealedRecord { id: rid, sealed: keys.seal(&json, &record_aad(id, rid)) })
            })
            .collect();
        self.store.backend.put_local_records(&self.ero, id, &sealed).await
    }

    /// Queue a match of the run.
    pub async fn queue_match(&self, id: &RunId, against: Against, now: DateTime<Utc>) -> Result<RunRow> {
        let run = self.store.backend.queue_match(&self.ero, id, against, now).await?;
        self.store.match_queued.notify_one();
        Ok(run)
    }

    /// Delete the run and everything in it; whether it was there.
    pub async fn delete_matching_run(&self, id: &RunId) -> Result<bool> {
        self.store.backend.delete_matching_run(&self.ero, id).await
    }

    /// Up to `limit` results after the number `after`, in number order.
    pub async fn match_results(&self, id: &RunId, after: Option<&str>, limit: u32) -> Result<Vec<ElectorRow>> {
        let after = after.unwrap_or("");
        let wanted = (limit as usize).div_ceil(CHUNK) as u32 + 1;
        let chunks = self.store.backend.match_result_chunks(&self.ero, id, after, wanted).await?;
        let mut rows = Vec::with_capacity(limit as usize);
        for chunk in chunks {
            rows.extend(decode_results(&chunk)?.into_iter().filter(|r| r.number.as_str() > after));
            if rows.len() >= limit as usize {
                break;
            }
        }
        rows.truncate(limit as usize);
        Ok(rows)
    }

    /// Properties `after + 1` to `after + limit` (a run's are numbered 1, 2, 3, ...).
    pub async fn match_properties(&self, id: &RunId, after: u32, limit: u32) -> Result<Vec<PropertyRow>> {
        let last = after.saturating_add(limit);
        let chunks = self.store.backend.match_property_chunks(&self.ero, id, after, last).await?;
        let mut rows = Vec::new();
        for chunk in chunks {
            rows.extend(decode_properties(&chunk)?.into_iter().filter(|p| p.property > after && p.property <= last));
        }
        Ok(rows)
    }
}

/// A matching worker's view: claim runs, and read and write only the run it holds.
#[derive(Clone)]
pub struct MatchingWorker {
    store: crate::Store,
    worker: String,
}

impl crate::Store {
    /// The matching worker `worker` (unique among instances).
    pub fn matching_worker(&self, worker: impl Into<String>) -> MatchingWorker {
        MatchingWorker { store: self.clone(), worker: worker.into() }
    }
}

impl MatchingWorker {
    pub fn name(&self) -> &str {
        &self.worker
    }

    /// Until a run is queued through this process's store (runs queued through another
    /// instance are found by looking again).
    pub async fn queued(&self) {
        self.store.match_queued.notified().await
    }

    /// Claim the oldest queued run, leased for `lease`.
    pub async fn claim(&self, now: DateTime<Utc>, lease: std::time::Duration) -> Result<Option<RunRow>> {
        let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(10));
        self.store.backend.claim_matching_run(&self.worker, now, until).await
    }

    /// The run's electors, opened (a page a core at a time: a run can hold millions): (number,
    /// person, matched by DWP), in upload order, an elector given again in a later page
    /// replacing the earlier one where it stood.
    pub async fn electors(&self, id: &RunId) -> Result<Vec<(String, Person, bool)>> {
        let pages = self.store.backend.run_pages(id, &self.worker).await?;
        let keys = &self.store.keys;
        let open = |p: &SealedPage| -> Result<Vec<(String, Person)>> {
            let plain = keys
                .open(&p.sealed, &page_aad(id, p.id))
                .map_err(|e| StorageError::Corrupt(format!("matching run {id} page: {e}")))?;
            decode_page(&plain).map_err(|e| StorageError::Corrupt(format!("matching run {id} page: {e}")))
        };
        let mut opened: Vec<Option<Result<Vec<(String, Person)>>>> = par_map(&pages, |p| Some(open(p)));
        // Numbers with distinct digests are distinct: then no page repeats another's
        // electors (the usual case), and the pages are simply read in order.
        let mut digests: Vec<u64> = pages.iter().flat_map(|p| p.numbers.iter().copied()).collect();
        drop(pages);
        digests.sort_unstable();
        let repeats = digests.windows(2).any(|w| w[0] == w[1]);
        let electors = digests.len();
        drop(digests);
        let matched: std::collections::HashSet<String> = self
            .results(id)
            .await?
            .into_iter()
            .filter(|r| r.dwp.is_some_and(|o| o.level.is_some()))
            .map(|r| r.number)
            .collect();
        let dwp = |number: &str| !matched.is_empty() && matched.contains(number);
        let mut people: Vec<(String, Person, bool)> = Vec::with_capacity(electors);
        if !repeats {
            for page in opened.iter_mut() {
                people.extend(page.take().expect("every page opened")?.into_iter().map(|(n, p)| {
                    let m = dwp(&n);
                    (n, p, m)
                }));
            }
            return Ok(people);
        }
        let mut at: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for page in opened.iter_mut() {
            for (number, person) in page.take().expect("every page opened")? {
                let m = dwp(&number);
                match at.get(&number) {
                    Some(&i) => people[i] = (number, person, m),
                    None => {
                        at.insert(number.clone(), people.len());
                        people.push((number, person, m));
                    }
                }
            }
        }
        Ok(people)
    }

    /// The run's results as its last match left them, in number order.
    pub async fn results(&self, id: &RunId) -> Result<Vec<ElectorRow>> {
        let mut rows = Vec::new();
        for chunk in self.store.backend.run_result_chunks(id, &self.worker).await? {
            rows.extend(decode_results(&chunk)?);
        }
        Ok(rows)
    }

    /// The run's local data records, opened.
    pub async fn local_records(&self, id: &RunId) -> Result<Vec<Person>> {
        let rows = self.store.backend.run_local_records(id, &self.worker).await?;
        rows.into_iter()
            .map(|r| {
                let plain = self
                    .store
                    .keys
                    .open(&r.sealed, &record_aad(id, r.id))
                    .map_err(|e| StorageError::Corrupt(format!("matching run {id} local record: {e}")))?;
                serde_json::from_slice(&plain)
                    .map_err(|_| StorageError::Corrupt(format!("matching run {id} local record: does not parse")))
            })
            .collect()
    }

    /// Record progress and renew the lease; false if it was lost.
    pub async fn progress(&self, id: &RunId, done: u64, total: u64, lease: std::time::Duration) -> Result<bool> {
        let until = Utc::now() + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(10));
        self.store.backend.matching_progress(id, &self.worker, done, total, until).await
    }

    /// Write a match's results, replacing the last match's: against DWP, every elector's
    /// (with its property); against local data, those of the electors it compared, the
    /// others keeping theirs. False if the lease was lost.
    pub async fn put_results(&self, id: &RunId, against: Against, results: Vec<ElectorResult>) -> Result<bool> {
        let outcome = |r: &ElectorResult| Some(Outcome { level: r.level, probability: r.probability });
        let rows: Vec<ElectorRow> = match against {
            Against::Dwp => results
                .into_iter()
                .map(|r| ElectorRow { dwp: outcome(&r), number: r.number, property: r.property, local: None })
                .collect(),
            Against::LocalData => {
                let new: std::collections::HashMap<&str, &ElectorResult> =
                    results.iter().map(|r| (r.number.as_str(), r)).collect();
                let mut rows = self.results(id).await?;
                for row in &mut rows {
                    if let Some(r) = new.get(row.number.as_str()) {
                        row.local = outcome(r);
                    }
                }
                rows
            }
        };
        let (results, properties) = tokio::task::spawn_blocking(move || chunks(rows))
            .await
            .map_err(|_| StorageError::Corrupt("encoding a match's results failed".into()))?;
        self.store.backend.put_match_results(id, &self.worker, &results, &properties).await
    }

    pub async fn finish(&self, id: &RunId, now: DateTime<Utc>, error: Option<&str>) -> Result<bool> {
        self.store.backend.finish_match(id, &self.worker, now, error).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_parse_only_as_generated() {
        let id = RunId::generate();
        assert_eq!(RunId::parse(id.as_str()), Some(id.clone()));
        assert_ne!(RunId::generate(), id);
        for bad in [
            "",
            "mr-",
            "mr-ABCDEFGHIJKLMNOPQRST",
            "mr-abcdefghijkmnpqrst1",
            "xx-abcdefghijkmnpqrst",
            "mr-abcdefghijkmnpqrs0",
        ] {
            assert_eq!(RunId::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn levels_band_probabilities() {
        assert_eq!(Level::of(0.5, 0.9), None);
        assert_eq!(Level::of(0.9, 0.9), Some(Level::Likely));
        assert_eq!(Level::of(0.995, 0.9), Some(Level::Strong));
        for l in [None, Some(Level::Likely), Some(Level::Strong)] {
            assert_eq!(Level::from_code(Level::code(l)).unwrap(), l);
        }
    }

    #[test]
    fn results_are_chunked_in_number_order_however_they_come() {
        // Past the size at which the halves are sorted on two threads and merged, with
        // numbers given twice and in no order.
        let n = 150_001u64;
        let rows: Vec<ElectorRow> = (0..n)
            .map(|i| ElectorRow {
                number: format!("{}", (i * 7919) % 100_003),
                property: Some((i % 1_000) as u32 + 1),
                dwp: Some(Outcome { level: Some(Level::Strong), probability: Some(0.995) }),
                local: None,
            })
            .collect();
        let mut expected: Vec<String> = rows.iter().map(|r| r.number.clone()).collect();
        expected.sort_unstable();
        let (results, properties) = chunks(rows);
        assert_eq!(results.len(), (n as usize).div_ceil(CHUNK));
        let numbers: Vec<String> =
            results.iter().flat_map(|c| decode_results(&c.details).unwrap()).map(|r| r.number).collect();
        assert_eq!(numbers, expected);
        for c in &results {
            let rows = decode_results(&c.details).unwrap();
            assert_eq!((&rows[0].number, &rows[rows.len() - 1].number), (&c.first, &c.last));
        }
        let props: Vec<PropertyRow> = properties.iter().flat_map(|c| decode_properties(&c.details).unwrap()).collect();
        assert_eq!(props.len(), 1_000);
        assert!(props.iter().all(|p| p.electors.is_sorted() && p.route() == Route::Route1));
    }

    fn person(i: usize) -> (String, Person) {
        let long = "ŵ".repeat(100 + i * 37);
        (
            format!("E{i}/{}", i * 3),
            Person {
                given_name: if i.is_multiple_of(3) { long.clone() } else { format!("Siân {i}") },
                middle_names: if i.is_multiple_of(2) { String::new() } else { "Ffion Mair".into() },
                surname: "O'Brien-Jones \"quoted\"\n".into(),
                date_of_birth: if i.is_multiple_of(4) { String::new() } else { "1961-07-04".into() },
                nino: if i.is_multiple_of(5) { "QQ123456C".into() } else { String::new() },
                address_lines: (0..i % 7).map(|l| format!("{l} Heol y Frenhines {long}")).collect(),
                town: if i.is_multiple_of(2) { "Caerdydd".into() } else { String::new() },
                postcode: "CF10 1AA".into(),
                uprn: (i % 3 != 1).then_some(i as u64 * 999_999_937 % 999_999_999_999),
            },
        )
    }

    #[test]
    fn pages_read_back_as_written_in_either_form() {
        let mut electors: Vec<(String, Person)> = (0..200).map(person).collect();
        // More address lines than the API takes: the library still stores them whole.
        electors[7].1.address_lines = (0..300).map(|l| l.to_string()).collect();
        let bytes = encode_page(&electors);
        assert_eq!(bytes[0], BINARY_V1);
        assert_eq!(decode_page(&bytes).unwrap(), electors);
        assert_eq!(decode_page(&encode_page(&[])).unwrap(), vec![]);
        // Pages sealed before the binary form were JSON.
        #[derive(Serialize)]
        struct Json<'a>(&'a [(String, Person)]);
        assert_eq!(decode_page(&serde_json::to_vec(&Json(&electors)).unwrap()).unwrap(), electors);
        // Cut anywhere, or with a byte too many, it is an error, never a panic or a short page.
        let small = encode_page(&electors[..3]);
        for end in 0..small.len() {
            assert!(decode_page(&small[..end]).is_err(), "cut at {end}");
        }
        let mut more = small.clone();
        more.push(0);
        assert!(decode_page(&more).is_err());
    }

    #[test]
    fn result_and_property_chunks_read_back_in_either_form() {
        let outcomes = [
            None,
            Some(Outcome { level: None, probability: None }),
            Some(Outcome { level: None, probability: Some(0.25) }),
            Some(Outcome { level: Some(Level::Likely), probability: Some(0.9) }),
            Some(Outcome { level: Some(Level::Strong), probability: Some(0.999_999_9) }),
        ];
        let mut rows = Vec::new();
        for (i, dwp) in outcomes.iter().enumerate() {
            for (j, local) in outcomes.iter().enumerate() {
                rows.push(ElectorRow {
                    number: format!("{}{i}{j}", "N".repeat(i * 60)),
                    property: (j % 2 == 0).then_some((i * 7 + j) as u32 + u32::MAX / 2),
                    dwp: *dwp,
                    local: *local,
                });
            }
        }
        let bytes = encode_results(&rows);
        assert_eq!(decode_results(&bytes).unwrap(), rows);
        for end in 0..bytes.len() {
            assert!(decode_results(&bytes[..end]).is_err(), "cut at {end}");
        }
        // Chunks written before the binary form were JSON.
        let old = r#"[["A1",3,2,0.995,null,null],["A2",null,0,null,1,0.91]]"#;
        assert_eq!(
            decode_results(old.as_bytes()).unwrap(),
            vec![
                ElectorRow {
                    number: "A1".into(),
                    property: Some(3),
                    dwp: Some(Outcome { level: Some(Level::Strong), probability: Some(0.995) }),
                    local: None,
                },
                ElectorRow {
                    number: "A2".into(),
                    property: None,
                    dwp: Some(Outcome { level: None, probability: None }),
                    local: Some(Outcome { level: Some(Level::Likely), probability: Some(0.91) }),
                },
            ]
        );
        assert_eq!(
            decode_properties(br#"[[1,["A1","A2"],1]]"#).unwrap(),
            vec![PropertyRow { property: 1, electors: vec!["A1".into(), "A2".into()], matched: 1 }]
        );
        let (_, properties) = chunks(rows.clone());
        let read: Vec<PropertyRow> = properties.iter().flat_map(|c| decode_properties(&c.details).unwrap()).collect();
        assert_eq!(read.len(), rows.iter().filter(|r| r.property.is_some()).count());
        for end in 0..properties[0].details.len() {
            assert!(decode_properties(&properties[0].details[..end]).is_err(), "cut at {end}");
        }
    }

    #[test]
    fn numbers_sharing_their_first_sixteen_bytes_still_sort_whole() {
        let numbers =
            ["ABCDEFGHIJKLMNOP2", "ABCDEFGHIJKLMNOP10", "ABCDEFGHIJKLMNOP", "ABCDEFGHIJKLMNO", "B", "A/1", "A-1"];
        let mut rows: Vec<ElectorRow> = numbers
            .iter()
            .map(|n| ElectorRow { number: (*n).into(), property: None, dwp: None, local: None })
            .collect();
        by_number(&mut rows);
        let mut expected: Vec<&str> = numbers.to_vec();
        expected.sort_unstable();
        assert_eq!(rows.iter().map(|r| r.number.as_str()).collect::<Vec<_>>(), expected);
    }

    #[test]
    fn the_page_index_counts_numbers_once_and_follows_the_database() {
        let run = RunId::generate();
        let index = PageIndex::default();
        let ds = |r: std::ops::Range<u64>| -> Vec<u64> {
            let mut d: Vec<u64> = r.map(|i| number_digest(&i.to_string())).collect();
            d.sort_unstable();
            d
        };
        assert!(index.missing(&run, &[]).is_empty());
        assert_eq!(index.add(&run, 1, &ds(0..100)), (0, vec![]));
        assert_eq!(index.add(&run, 2, &ds(100..200)), (0, vec![]));
        // Overlapping both: holds 20 of theirs, supersedes neither.
        assert_eq!(index.add(&run, 3, &ds(90..110)), (20, vec![]));
        // Page 2 sent again: all 100 held; it supersedes page 2 (page 3 still holds 100..110).
        assert_eq!(index.add(&run, 4, &ds(100..200)), (100, vec![2]));
        // A page covering 90..110 supersedes page 3 only.
        assert_eq!(index.add(&run, 5, &ds(90..110)), (20, vec![3]));
        // The database says page 5 never committed and page 9 came from another instance.
        assert_eq!(index.missing(&run, &[1, 4, 9]), vec![9]);
        let nine: Vec<u8> = digests_to_bytes(&ds(500..510));
        index.load(&run, vec![(9, nine)]);
        assert_eq!(index.add(&run, 6, &ds(95..105)), (10, vec![]));
        assert_eq!(index.add(&run, 7, &ds(505..515)), (5, vec![]));
        // Forgotten, the run is read again whole.
        index.forget(&run);
        assert_eq!(index.missing(&run, &[1, 4]), vec![1, 4]);
    }

    #[test]
    fn a_property_is_route_1_only_when_everyone_matched() {
        let p = |matched| PropertyRow { property: 1, electors: vec!["1".into(), "2".into()], matched };
        assert_eq!(p(2).route(), Route::Route1);
        assert_eq!(p(1).route(), Route::Route2);
        assert_eq!(p(0).route(), Route::Route2);
    }
}
