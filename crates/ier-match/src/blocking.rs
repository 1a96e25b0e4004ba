//! Blocking: which pairs are compared at all. Each rule turns a record into
//! 32-bit block keys; a left and a right record are a candidate pair when they
//! share a key under any rule (the union over rules, deduplicated).
//!
//! | rule | key | catches |
//! | --- | --- | --- |
//! | `nino` | identifier | everything but a missing or mistyped NINO |
//! | `dob+given` | date of birth, NYSIIS of given name | surname changes, moves |
//! | `dob+surname` | date of birth, NYSIIS of surname | nicknames, given-name typos, moves |
//! | `postcode+given` | postcode, NYSIIS of given name | surname changes without DOB |
//! | `postcode+surname` | postcode, NYSIIS of surname | nicknames and typos without DOB |
//! | `names+district` | NYSIIS of both names, UK outward code (else postcode, else town) | moves within a district without DOB |
//! | `names+year-and-month-or-day` | NYSIIS of both names, year and month of birth; and again with year and day | moves with a typo in the day or month of birth and no NINO |
//! | `postcode+dob` | postcode, date of birth | a new surname together with an unknown short form or a typo of the given name, at home, without NINO |
//!
//! The right (reference) side is indexed under its own values; the left side
//! also looks up variants: the other forms of its given name (nicknames,
//! Welsh/Gaelic forms), each part of a double-barrelled surname, the names
//! swapped (given ↔ surname), and the date with day and month transposed.
//! The two-name rules look up each given-name form with each surname part, and
//! the swapped reading as one more pair (not every mixture of the two); the date
//! rule leaves out the given name's other forms (a nickname, a move, a wrong
//! date and no NINO at once go unfound).
//!
//! The last rule keys on two of the three parts of the date, not on the year
//! alone: people of similar names born in one year are many, and grow in
//! number with the population (at 10M people a year-only block held about 40
//! of them a record); born in one month of one year, about a twelfth as many.
//! Keys are 32-bit hashes: a rare collision only adds a candidate pair, which
//! the comparison then scores low. A block larger than [`MAX_BLOCK`] (a
//! placeholder date or a very common name in a huge district) is skipped.

use crate::fields::{Dob, dob_swapped, uk_parts};
use crate::hash::{combine, hash_bytes};
use crate::phonetic::nysiis;
use crate::variants::variants_of_compact;

/// The blocking rules, in the order of the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    Nino,
    DobGiven,
    DobSurname,
    PostcodeGiven,
    PostcodeSurname,
    NamesDistrict,
    NamesPartDate,
    PostcodeDob,
}

impl Rule {
    pub const ALL: [Rule; 8] = [
        Rule::Nino,
        Rule::DobGiven,
        Rule::DobSurname,
        Rule::PostcodeGiven,
        Rule::PostcodeSurname,
        Rule::NamesDistrict,
        Rule::NamesPartDate,
        Rule::PostcodeDob,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Rule::Nino => "nino",
            Rule::DobGiven => "dob+given",
            Rule::DobSurname => "dob+surname",
            Rule::PostcodeGiven => "postcode+given",
            Rule::PostcodeSurname => "postcode+surname",
            Rule::NamesDistrict => "names+district",
            Rule::NamesPartDate => "names+year-and-month-or-day",
            Rule::PostcodeDob => "postcode+dob",
        }
    }
}

/// Blocks larger than this are not used for candidates.
pub const MAX_BLOCK: usize = 1000;

/// Hash of a name's phonetic key (0 = no name).
pub fn phonetic_hash(name: &str) -> u64 {
    // Names repeat a great deal (a few thousand make up most of a population), so
    // each thread remembers recent ones: a direct-mapped cache holding the name
    // itself (up to [`MEMO_NAME`] bytes; longer names are always computed).
    if name.len() > MEMO_NAME {
        return phonetic_hash_uncached(name);
    }
    let h = hash_bytes(name.as_bytes());
    PHONETIC_MEMO.with(|memo| {
        let mut memo = memo.borrow_mut();
        if memo.is_empty() {
            memo.resize(MEMO_SLOTS, MemoEntry::default());
        }
        let e = &mut memo[h as usize & (MEMO_SLOTS - 1)];
        if e.len as usize == name.len() && e.hash == h && &e.name[..name.len()] == name.as_bytes() {
            return e.value;
        }
        let value = phonetic_hash_uncached(name);
        e.hash = h;
        e.value = value;
        e.len = name.len() as u8;
        e.name[..name.len()].copy_from_slice(name.as_bytes());
        value
    })
}

fn phonetic_hash_uncached(name: &str) -> u64 {
    let k = nysiis(name);
    if k.is_empty() { 0 } else { hash_bytes(k.as_bytes()) | 1 }
}

/// Longest name [`phonetic_hash`] remembers.
const MEMO_NAME: usize = 23;
/// Names each thread remembers (a power of two).
const MEMO_SLOTS: usize = 1 << 13;

#[derive(Clone, Copy, Default)]
struct MemoEntry {
    hash: u64,
    value: u64,
    len: u8,
    name: [u8; MEMO_NAME],
}

thread_local! {
    static PHONETIC_MEMO: std::cell::RefCell<Vec<MemoEntry>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Hash of the district: UK outward code, else the postcode, else the town (0 = none).
pub fn district_hash(postcode: &str, town: &str) -> u64 {
    let d = match uk_parts(postcode) {
        Some((outward, _)) => outward,
        None if !postcode.is_empty() => postcode,
        None => town,
    };
    if d.is_empty() { 0 } else { hash_bytes(d.as_bytes()) | 1 }
}

/// The parts block keys are made of, with the variants a record looks up.
#[derive(Default, Clone)]
pub struct KeyParts {
    pub given: Vec<u64>,
    pub surname: Vec<u64>,
    /// The (given, surname) pairs of the two-name rules: `given` × `surname`, except
    /// that the swapped reading is one pair of its own.
    pub pairs: Vec<(u64, u64)>,
    /// The same without the given name's other forms (nicknames), for the date rule:
    /// a nickname, a move, a wrong date and no NINO all at once are left unfound.
    pub plain_pairs: Vec<(u64, u64)>,
    pub dobs: Vec<Dob>,
    pub nino: u64,
    pub postcode: u64,
    pub district: u64,
}

fn push_unique(v: &mut Vec<u64>, h: u64) {
    if h != 0 && !v.contains(&h) {
        v.push(h);
    }
}

impl KeyParts {
    /// Key parts of a right (indexed) record: its own values, and each part of a multi-word surname.
    pub fn indexed(
        given_first: u64,
        surname: &str,
        surname_phonetic: u64,
        dob: Dob,
        nino: u64,
        postcode: &str,
        town: &str,
    ) -> Self {
        let mut k = KeyParts::default();
        push_unique(&mut k.given, given_first);
        push_unique(&mut k.surname, surname_phonetic);
        if surname.contains(' ') {
            for w in surname.split(' ') {
                push_unique(&mut k.surname, phonetic_hash(w));
            }
        }
        cross_into(&k.given, &k.surname, &mut k.pairs);
        k.plain_pairs = k.pairs.clone();
        if dob != 0 {
            k.dobs.push(dob);
        }
        k.nino = nino;
        k.postcode = if postcode.is_empty() { 0 } else { hash_bytes(postcode.as_bytes()) | 1 };
        k.district = district_hash(postcode, town);
        k
    }

    /// Key parts of a left (query) record, with its variants (see the module docs).
    pub fn query(given: &str, surname: &str, dob: Dob, nino: u64, postcode: &str, town: &str) -> Self {
        let mut k = KeyParts::default();
        k.set_query(given, surname, dob, nino, postcode, town);
        k
    }

    /// [`KeyParts::query`] into `self`, reusing its buffers.
    pub fn set_query(&mut self, given: &str, surname: &str, dob: Dob, nino: u64, postcode: &str, town: &str) {
        let k = self;
        k.given.clear();
        k.surname.clear();
        k.pairs.clear();
        k.plain_pairs.clear();
        k.dobs.clear();
        let first = given.split(' ').next().unwrap_or("");
        let own = phonetic_hash(first);
        push_unique(&mut k.given, own);
        for v in variants_of_compact(first) {
            push_unique(&mut k.given, phonetic_hash(v));
        }
        // A phonetic key keeps letters only, so it is the same with or without spaces
        // (`phonetic_hash(compact(s)) == phonetic_hash(s)`, tested): no compact copy needed.
        push_unique(&mut k.surname, phonetic_hash(surname));
        if surname.contains(' ') {
            for w in surname.split(' ') {
                push_unique(&mut k.surname, phonetic_hash(w));
            }
        }
        cross_into(&k.given, &k.surname, &mut k.pairs);
        if own != 0 {
            cross_into(&[own], &k.surname, &mut k.plain_pairs);
        }
        // Names swapped.
        if !given.is_empty() && !surname.is_empty() {
            let (g, s) = (phonetic_hash(surname.split(' ').next().unwrap_or("")), phonetic_hash(given));
            push_unique(&mut k.given, g);
            push_unique(&mut k.surname, s);
            if g != 0 && s != 0 && !k.pairs.contains(&(g, s)) {
                k.pairs.push((g, s));
                k.plain_pairs.push((g, s));
            }
        }
        if dob != 0 {
            k.dobs.push(dob);
            let s = dob_swapped(dob);
            if s != 0 {
                k.dobs.push(s);
            }
        }
        k.nino = nino;
        k.postcode = if postcode.is_empty() { 0 } else { hash_bytes(postcode.as_bytes()) | 1 };
        k.district = district_hash(postcode, town);
    }

    /// Every key of `rule` (may repeat; callers dedupe candidates, not keys).
    pub fn keys(&self, rule: Rule, out: &mut Vec<u32>) {
        let r = rule as u64 + 1;
        let key = |h: u64| (h >> 32) as u32;
        match rule {
            Rule::Nino => {
                if self.nino != 0 {
                    out.push(key(combine(r, self.nino)));
                }
            }
            Rule::DobGiven | Rule::DobSurname => {
                let names = if rule == Rule::DobGiven { &self.given } else { &self.surname };
                for &d in &self.dobs {
                    let h = combine(r, u64::from(d));
                    for &n in names {
                        out.push(key(combine(h, n)));
                    }
                }
            }
            Rule::PostcodeDob => {
                if self.postcode == 0 {
                    return;
                }
                let h = combine(r, self.postcode);
                for &d in &self.dobs {
                    out.push(key(combine(h, u64::from(d))));
                }
            }
            Rule::PostcodeGiven | Rule::PostcodeSurname => {
                if self.postcode == 0 {
                    return;
                }
                let names = if rule == Rule::PostcodeGiven { &self.given } else { &self.surname };
                let h = combine(r, self.postcode);
                for &n in names {
                    out.push(key(combine(h, n)));
                }
            }
            Rule::NamesDistrict | Rule::NamesPartDate => {
                let (extra, n) = if rule == Rule::NamesDistrict {
                    ([self.district, 0], usize::from(self.district != 0))
                } else if let Some(&d) = self.dobs.first() {
                    // Year and month; year and day (tagged apart). A transposed
                    // date is left to the date rules, which look it up.
                    let (year, month, day) = (d / 10_000, d / 100 % 100, d % 100);
                    ([u64::from(year * 100 + month), 1 << 32 | u64::from(year * 100 + day)], 2)
                } else {
                    ([0, 0], 0)
                };
                let pairs = if rule == Rule::NamesDistrict { &self.pairs } else { &self.plain_pairs };
                for &x in &extra[..n] {
                    let h = combine(r, x);
                    for &(g, s) in pairs {
                        out.push(key(combine(combine(h, g), s)));
                    }
                }
            }
        }
    }
}

/// Every pair of `given` × `surname`, appended to `out`.
fn cross_into(given: &[u64], surname: &[u64], out: &mut Vec<(u64, u64)>) {
    out.extend(given.iter().flat_map(|&g| surname.iter().map(move |&s| (g, s))));
}

/// A sorted block index for one rule: entries `key << 32 | record`, with a
/// directory of where each run of top `bits` key bits starts (about four
/// entries a bucket, so a look-up is one directory read and a short scan).
#[derive(Default, Clone)]
pub struct BlockIndex {
    entries: Vec<u64>,
    dir: Vec<u32>,
    bits: u32,
}

impl BlockIndex {
    pub fn from_entries(mut entries: Vec<u64>) -> Self {
        entries.sort_unstable();
        entries.dedup();
        entries.shrink_to_fit();
        assert!(entries.len() < u32::MAX as usize, "block index too large");
        let bits = (entries.len() / 4).max(1).ilog2().clamp(1, 30);
        let buckets = 1usize << bits;
        let mut dir = vec![0u32; buckets + 1];
        let mut at = 0usize;
        for (b, slot) in dir.iter_mut().enumerate().take(buckets) {
            while at < entries.len() && ((entries[at] >> 32) >> (32 - bits)) < b as u64 {
                at += 1;
            }
            *slot = at as u32;
        }
        dir[buckets] = entries.len() as u32;
        Self { entries, dir, bits }
    }

    /// The records under a key.
    pub fn block(&self, key: u32) -> impl ExactSizeIterator<Item = u32> + '_ {
        let slice = if self.entries.is_empty() { &[][..] } else { self.run(key) };
        slice.iter().map(|&e| e as u32)
    }

    fn run(&self, key: u32) -> &[u64] {
        let (lo, hi) = self.bucket(key);
        self.run_in(key, lo, hi)
    }

    /// Where the bucket of `key` lies in the entries (empty for an empty index).
    #[inline]
    pub fn bucket(&self, key: u32) -> (usize, usize) {
        if self.entries.is_empty() {
            return (0, 0);
        }
        let b = (key >> (32 - self.bits)) as usize;
        (self.dir[b] as usize, self.dir[b + 1] as usize)
    }

    /// The run of `key` within its bucket `lo..hi` (from [`BlockIndex::bucket`]).
    #[inline]
    pub fn run_in(&self, key: u32, lo: usize, hi: usize) -> &[u64] {
        let bucket = &self.entries[lo..hi];
        let start = bucket.iter().position(|&e| (e >> 32) as u32 >= key).unwrap_or(bucket.len());
        let len = bucket[start..].iter().take_while(|&&e| (e >> 32) as u32 == key).count();
        &bucket[start..start + len]
    }

    /// Records of a run from [`BlockIndex::run_in`].
    #[inline]
    pub fn records(run: &[u64]) -> impl ExactSizeIterator<Item = u32> + '_ {
        run.iter().map(|&e| e as u32)
    }

    /// Hint the CPU to load the directory slot of `key` (a look-up is two dependent
    /// random reads; issuing them for every key of a record first hides most of the latency).
    #[inline]
    pub fn prefetch_dir(&self, key: u32) {
        if !self.entries.is_empty() {
            prefetch(&self.dir[(key >> (32 - self.bits)) as usize]);
        }
    }

    /// Hint the CPU to load a bucket `lo..hi` (its first and last cache lines: a
    /// bucket of a few entries often straddles two).
    #[inline]
    pub fn prefetch_bucket(&self, lo: usize, hi: usize) {
        if lo < hi && hi <= self.entries.len() {
            prefetch(&self.entries[lo]);
            prefetch(&self.entries[hi - 1]);
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn heap_bytes(&self) -> usize {
        self.entries.capacity() * 8 + self.dir.capacity() * 4
    }
}

/// A prefetch hint for the cache line holding `x` (no effect on the result).
#[inline(always)]
pub(crate) fn prefetch<T>(x: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch never faults and has no architectural effect; `x` is a valid reference.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>((x as *const T).cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = x;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalise::compact;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn phonetic_keys_ignore_spaces(s in "\\PC{0,30}") {
            prop_assert_eq!(phonetic_hash(&compact(&s)), phonetic_hash(&s));
        }

        #[test]
        fn remembered_phonetic_hashes_are_the_computed_ones(names in proptest::collection::vec("\\PC{0,30}", 1..50)) {
            // Twice over, so the second pass reads what the first remembered.
            for _ in 0..2 {
                for n in &names {
                    prop_assert_eq!(phonetic_hash(n), phonetic_hash_uncached(n));
                }
            }
        }

        #[test]
        fn a_mover_with_a_wrong_day_or_month_of_birth_shares_a_names_block(
            year in 1920u32..2010, month in 1u32..=12, day in 1u32..=28, wrong in 1u32..=28, which in 0u8..2,
        ) {
            let dob = year * 10_000 + month * 100 + day;
            let typo = if which == 0 {
                year * 10_000 + month * 100 + wrong
            } else {
                year * 10_000 + (wrong % 12 + 1) * 100 + day
            };
            let right = KeyParts::indexed(phonetic_hash("sian"), "jones", phonetic_hash("jones"), dob, 0, "CF101AA", "cardiff");
            let left = KeyParts::query("sian", "jones", typo, 0, "LL551AA", "caernarfon");
            let (mut r, mut l) = (Vec::new(), Vec::new());
            right.keys(Rule::NamesPartDate, &mut r);
            left.keys(Rule::NamesPartDate, &mut l);
            prop_assert!(l.iter().any(|k| r.contains(k)), "no shared key");
        }

        #[test]
        fn someone_renamed_at_home_shares_a_postcode_and_date_block(
            year in 1920u32..2010, month in 1u32..=12, day in 1u32..=28, swapped in proptest::bool::ANY,
        ) {
            // A new surname and a short form of the given name that no table knows
            // (Babatunde → Tunde), no NINO, but the same home and date of birth (or
            // that date with day and month transposed).
            let dob = year * 10_000 + month * 100 + day;
            let written = if swapped && day <= 12 { year * 10_000 + day * 100 + month } else { dob };
            let right = KeyParts::indexed(phonetic_hash("babatunde"), "obi", phonetic_hash("obi"), dob, 0, "DE234RX", "derby");
            let left = KeyParts::query("tunde", "eze", written, 0, "DE234RX", "derby");
            let shared = |rule: Rule| {
                let (mut r, mut l) = (Vec::new(), Vec::new());
                right.keys(rule, &mut r);
                left.keys(rule, &mut l);
                l.iter().any(|k| r.contains(k))
            };
            prop_assert!(shared(Rule::PostcodeDob), "no shared key");
            prop_assert!(Rule::ALL.iter().filter(|r| **r != Rule::PostcodeDob).all(|r| !shared(*r)), "only this rule finds them");
        }

        #[test]
        fn blocks_hold_exactly_their_records(keys in proptest::collection::vec(0u32..64, 0..300), probe in 0u32..64) {
            // Spread the small keys over the 32-bit space like hashes.
            let spread = |k: u32| k.wrapping_mul(0x9E37_79B1);
            let entries: Vec<u64> =
                keys.iter().enumerate().map(|(i, &k)| u64::from(spread(k)) << 32 | i as u64).collect();
            let index = BlockIndex::from_entries(entries);
            let mut got: Vec<u32> = index.block(spread(probe)).collect();
            got.sort_unstable();
            let want: Vec<u32> = keys.iter().enumerate().filter(|(_, k)| **k == probe).map(|(i, _)| i as u32).collect();
            prop_assert_eq!(got, want);
        }
    }
}
