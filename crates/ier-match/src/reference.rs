//! The right-hand (reference) side, indexed in memory compactly: interned
//! strings (names, address keys, postcodes, towns each in one arena), a
//! 40-byte record of `u32` ids, packed date and packed identifier, the record
//! ids in one byte arena, term-frequency counts per interned name, and one
//! sorted `u64` array per blocking rule (8 bytes an entry). About 150 bytes a
//! record in all at 1M records (see `ier-match`'s docs for measured figures).

use crate::blocking::{BlockIndex, KeyParts, Rule, phonetic_hash};
use crate::fields::Dob;
use crate::intern::Interner;
use crate::normalise::compact;
use crate::parallel::par_chunks;
use crate::record::Prepared;

/// One indexed record: ids into the pools.
#[derive(Clone, Copy, Debug, Default)]
pub struct Rec {
    pub given: u32,
    pub middle: u32,
    pub surname: u32,
    pub address: u32,
    pub postcode: u32,
    pub town: u32,
    pub dob: Dob,
    pub nino: u64,
}

/// Builds a [`Reference`] one prepared record at a time.
#[derive(Default)]
pub struct ReferenceBuilder {
    names: Interner,
    addresses: Interner,
    postcodes: Interner,
    towns: Interner,
    recs: Vec<Rec>,
    identity: Vec<u32>,
    ids: Vec<u8>,
    id_ends: Vec<u64>,
}

/// The indexed reference side. Read-only and `Sync` once built.
pub struct Reference {
    pub(crate) names: Interner,
    pub(crate) addresses: Interner,
    pub(crate) postcodes: Interner,
    pub(crate) towns: Interner,
    pub(crate) recs: Vec<Rec>,
    /// Per record: [`Prepared::identity`](crate::Prepared::identity).
    identity: Vec<u32>,
    ids: Vec<u8>,
    id_ends: Vec<u64>,
    /// Per name id: how many records have it as given name / surname.
    pub(crate) given_count: Vec<u32>,
    pub(crate) surname_count: Vec<u32>,
    /// Per postcode id: how many records.
    pub(crate) postcode_count: Vec<u32>,
    /// Per name id: phonetic hash of the first word, and of the whole name.
    pub(crate) phon_first: Vec<u64>,
    pub(crate) phon_whole: Vec<u64>,
    pub(crate) blocks: Vec<BlockIndex>,
    /// Records with a date of birth, with an identifier, with a postcode.
    pub(crate) with_dob: usize,
    pub(crate) with_nino: usize,
    pub(crate) with_postcode: usize,
}

impl std::fmt::Debug for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Reference({} records)", self.len())
    }
}

impl ReferenceBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Add one record (its id as given, its fields prepared).
    pub fn push(&mut self, id: &str, p: &Prepared) {
        let rec = Rec {
            given: self.names.intern(p.given()),
            middle: self.names.intern(p.middle()),
            surname: self.names.intern(p.surname()),
            address: self.addresses.intern(p.address()),
            postcode: self.postcodes.intern(p.postcode()),
            town: self.towns.intern(p.town()),
            dob: p.dob,
            nino: p.nino,
        };
        self.recs.push(rec);
        self.identity.push(p.identity);
        self.ids.extend_from_slice(id.as_bytes());
        self.id_ends.push(self.ids.len() as u64);
    }

    pub fn len(&self) -> usize {
        self.recs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.recs.is_empty()
    }

    /// Count terms and build the block index.
    pub fn finish(mut self) -> Reference {
        assert!(self.recs.len() < u32::MAX as usize, "at most 4 billion reference records");
        for pool in [&mut self.names, &mut self.addresses, &mut self.postcodes, &mut self.towns] {
            pool.shrink();
        }
        self.recs.shrink_to_fit();
        self.identity.shrink_to_fit();
        self.ids.shrink_to_fit();
        self.id_ends.shrink_to_fit();
        let mut given_count = vec![0u32; self.names.len()];
        let mut surname_count = vec![0u32; self.names.len()];
        let mut postcode_count = vec![0u32; self.postcodes.len()];
        let (mut with_dob, mut with_nino, mut with_postcode) = (0, 0, 0);
        for r in &self.recs {
            given_count[r.given as usize] += 1;
            surname_count[r.surname as usize] += 1;
            postcode_count[r.postcode as usize] += 1;
            with_dob += usize::from(r.dob != 0);
            with_nino += usize::from(r.nino != 0);
            with_postcode += usize::from(r.postcode != 0);
        }
        let ids: Vec<u32> = (0..self.names.len() as u32).collect();
        let names = &self.names;
        let phon: Vec<(u64, u64)> = par_chunks(&ids, 4096, |chunk| {
            chunk
                .iter()
                .map(|&id| {
                    let s = names.resolve(id);
                    (phonetic_hash(s.split(' ').next().unwrap_or("")), phonetic_hash(&compact(s)))
                })
                .collect()
        });
        let (phon_first, phon_whole): (Vec<u64>, Vec<u64>) = phon.into_iter().unzip();
        let mut reference = Reference {
            names: self.names,
            addresses: self.addresses,
            postcodes: self.postcodes,
            towns: self.towns,
            recs: self.recs,
            identity: self.identity,
            ids: self.ids,
            id_ends: self.id_ends,
            given_count,
            surname_count,
            postcode_count,
            phon_first,
            phon_whole,
            blocks: Vec::new(),
            with_dob,
            with_nino,
            with_postcode,
        };
        reference.blocks = reference.build_blocks();
        reference
    }
}

impl Reference {
    /// Number of records.
    pub fn len(&self) -> usize {
        self.recs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.recs.is_empty()
    }

    /// Hint the CPU to load record `i` (no effect on results; out of range is ignored).
    #[inline]
    pub(crate) fn prefetch_rec(&self, i: u32) {
        if let Some(r) = self.recs.get(i as usize) {
            crate::blocking::prefetch(r);
        }
    }

    // A comparison with record `i` reads the record, then where its names and
    // postcode lie, then their bytes: three dependent random reads. Callers that
    // know their records in advance ask for them in that order, a stage apart
    // ([`Reference::prefetch_rec`], then these two).

    /// Read record `i` (best already asked for); ask for where its names and postcode lie.
    #[inline]
    pub(crate) fn prefetch_string_ends(&self, i: u32) {
        if let Some(rec) = self.recs.get(i as usize) {
            self.names.prefetch_bounds(rec.given);
            self.names.prefetch_bounds(rec.surname);
            self.postcodes.prefetch_bounds(rec.postcode);
        }
    }

    /// Ask for the bytes of record `i`'s names and postcode.
    #[inline]
    pub(crate) fn prefetch_string_bytes(&self, i: u32) {
        if let Some(rec) = self.recs.get(i as usize) {
            self.names.prefetch_bytes(rec.given);
            self.names.prefetch_bytes(rec.surname);
            self.postcodes.prefetch_bytes(rec.postcode);
        }
    }

    /// Whether records `a`, `b`, both strong candidates for one left record, are one
    /// person recorded twice: the same known date of birth (or, without one, the same
    /// identifier), whether or not the matching uses them. A parent and child of one
    /// name at one address differ in their dates of birth; twins in their given names
    /// (the two records' given names must be alike: the same, or Jaro-Winkler 0.80 or
    /// more, as a typo is).
    pub fn same_person(&self, a: u32, b: u32) -> bool {
        let (Some(&x), Some(&y)) = (self.identity.get(a as usize), self.identity.get(b as usize)) else {
            return false;
        };
        if x == 0 || x != y {
            return false;
        }
        let (ga, gb) = (self.recs[a as usize].given, self.recs[b as usize].given);
        ga == gb || crate::normalise::jaro_winkler(self.names.resolve(ga), self.names.resolve(gb)) >= 0.80
    }

    /// The id of record `i`, as given.
    pub fn id(&self, i: u32) -> &str {
        let i = i as usize;
        let start = if i == 0 { 0 } else { self.id_ends[i - 1] as usize };
        std::str::from_utf8(&self.ids[start..self.id_ends[i] as usize]).expect("ids are UTF-8")
    }

    /// Heap bytes held (records, ids, pools, counts, blocks).
    pub fn heap_bytes(&self) -> usize {
        self.recs.capacity() * std::mem::size_of::<Rec>()
            + self.ids.capacity()
            + self.id_ends.capacity() * 8
            + [&self.names, &self.addresses, &self.postcodes, &self.towns].iter().map(|p| p.heap_bytes()).sum::<usize>()
            + (self.given_count.capacity() + self.surname_count.capacity() + self.postcode_count.capacity()) * 4
            + (self.phon_first.capacity() + self.phon_whole.capacity()) * 8
            + self.blocks.iter().map(BlockIndex::heap_bytes).sum::<usize>()
    }

    /// Entries per blocking rule.
    pub fn block_sizes(&self) -> Vec<(Rule, usize)> {
        Rule::ALL.iter().zip(&self.blocks).map(|(r, b)| (*r, b.len())).collect()
    }

    pub(crate) fn key_parts(&self, r: &Rec) -> KeyParts {
        KeyParts::indexed(
            self.phon_first[r.given as usize],
            self.names.resolve(r.surname),
            self.phon_whole[r.surname as usize],
            r.dob,
            r.nino,
            self.postcodes.resolve(r.postcode),
            self.towns.resolve(r.town),
        )
    }

    fn build_blocks(&self) -> Vec<BlockIndex> {
        let idx: Vec<u32> = (0..self.recs.len() as u32).collect();
        let per_rule: Vec<Vec<Vec<u64>>> = {
            par_chunks(&idx, 1 << 16, |chunk| {
                let mut out: Vec<Vec<u64>> = vec![Vec::with_capacity(chunk.len()); Rule::ALL.len()];
                let mut keys = Vec::new();
                for &i in chunk {
                    let kp = self.key_parts(&self.recs[i as usize]);
                    for (r, rule) in Rule::ALL.iter().enumerate() {
                        keys.clear();
                        kp.keys(*rule, &mut keys);
                        out[r].extend(keys.iter().map(|&k| u64::from(k) << 32 | u64::from(i)));
                    }
                }
                vec![out]
            })
        };
        let mut rules: Vec<Vec<u64>> = vec![Vec::new(); Rule::ALL.len()];
        for (r, all) in rules.iter_mut().enumerate() {
            all.reserve_exact(per_rule.iter().map(|p| p[r].len()).sum());
        }
        for part in per_rule {
            for (r, v) in part.into_iter().enumerate() {
                rules[r].extend_from_slice(&v);
            }
        }
        crate::parallel::par_map_owned(rules, BlockIndex::from_entries)
    }
}
