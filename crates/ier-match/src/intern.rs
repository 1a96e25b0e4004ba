//! A compact string interner: one byte arena, `u32` ends, and an
//! open-addressing table of `u32` ids each beside 32 bits of its string's hash
//! (about 20 bytes a distinct string plus its bytes; no per-string allocation).
//! The stored hash bits let a probe skip other strings without reading their
//! bytes (a random memory read each). Id 0 is always the empty string.

use crate::hash::hash_bytes;

/// An empty slot (a real entry's id is below `u32::MAX`).
const EMPTY: u64 = u64::MAX;

/// Interned strings. Read-only lookups ([`Interner::get`]) are `Sync`.
#[derive(Clone)]
pub struct Interner {
    bytes: String,
    ends: Vec<u32>,
    /// `hash >> 32 << 32 | id`, or [`EMPTY`].
    table: Vec<u64>,
    mask: usize,
}

impl std::fmt::Debug for Interner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Interner({} strings, {} bytes)", self.len(), self.bytes.len())
    }
}

impl Default for Interner {
    fn default() -> Self {
        Self::new()
    }
}

impl Interner {
    pub fn new() -> Self {
        let mut i = Self { bytes: String::new(), ends: vec![0], table: vec![EMPTY; 16], mask: 15 };
        let slot = i.find(b"").unwrap_err();
        i.table[slot] = Self::entry(b"", 0);
        i
    }

    /// Number of distinct strings (including the empty string).
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Always false: the empty string is always there.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Heap bytes used.
    pub fn heap_bytes(&self) -> usize {
        self.bytes.capacity() + self.ends.capacity() * 4 + self.table.capacity() * 8
    }

    /// The string with this id.
    #[inline]
    pub fn resolve(&self, id: u32) -> &str {
        let id = id as usize;
        let start = if id == 0 { 0 } else { self.ends[id - 1] as usize };
        // Only whole `&str`s are pushed, so every slice falls on character boundaries.
        &self.bytes[start..self.ends[id] as usize]
    }

    /// Hint the CPU to load where string `id` ends (and so starts).
    #[inline]
    pub(crate) fn prefetch(&self, id: u32) {
        if let Some(end) = self.ends.get(id as usize) {
            crate::blocking::prefetch(end);
        }
    }

    /// Hint the CPU to load where string `id` starts and ends (usually one cache line).
    #[inline]
    pub(crate) fn prefetch_bounds(&self, id: u32) {
        self.prefetch(id);
        if id > 0 {
            self.prefetch(id - 1);
        }
    }

    /// Hint the CPU to load the first bytes of string `id` (reads where it starts:
    /// best after [`Interner::prefetch`] of `id - 1` has had time to land).
    #[inline]
    pub(crate) fn prefetch_bytes(&self, id: u32) {
        if id > 0
            && let Some(&start) = self.ends.get(id as usize - 1)
            && let Some(b) = self.bytes.as_bytes().get(start as usize)
        {
            crate::blocking::prefetch(b);
        }
    }

    fn raw(&self, id: u32) -> &[u8] {
        let id = id as usize;
        let start = if id == 0 { 0 } else { self.ends[id - 1] as usize };
        &self.bytes.as_bytes()[start..self.ends[id] as usize]
    }

    /// Ok(id) or Err(free slot).
    fn find(&self, s: &[u8]) -> Result<u32, usize> {
        let h = hash_bytes(s);
        let tag = h >> 32 << 32;
        let mut slot = h as usize & self.mask;
        loop {
            let e = self.table[slot];
            if e == EMPTY {
                return Err(slot);
            }
            if e >> 32 << 32 == tag && self.raw(e as u32) == s {
                return Ok(e as u32);
            }
            slot = (slot + 1) & self.mask;
        }
    }

    fn entry(s: &[u8], id: u32) -> u64 {
        hash_bytes(s) >> 32 << 32 | u64::from(id)
    }

    /// The id of `s`, if interned.
    #[inline]
    pub fn get(&self, s: &str) -> Option<u32> {
        self.find(s.as_bytes()).ok()
    }

    /// The hash a look-up of `s` starts from (for the staged prefetches below).
    #[inline]
    pub(crate) fn hash_of(s: &str) -> u64 {
        hash_bytes(s.as_bytes())
    }

    // A look-up is three dependent random reads: the table slot, the string's
    // end, its bytes. For a look-up known in advance, a pipeline asks for them
    // one stage at a time (each a hint with no effect on results), so that the
    // [`Interner::get`] that follows finds them in cache.

    /// Stage 1: ask for the table slot of hash `h`.
    #[inline]
    pub(crate) fn prefetch_slot(&self, h: u64) {
        crate::blocking::prefetch(&self.table[h as usize & self.mask]);
    }

    /// The id in the table slot of hash `h`, when its stored hash bits agree.
    #[inline]
    fn first_candidate(&self, h: u64) -> Option<u32> {
        let e = self.table[h as usize & self.mask];
        (e != EMPTY && e >> 32 << 32 == h >> 32 << 32).then_some(e as u32)
    }

    /// Stage 2: ask for where that slot's string ends (and starts).
    #[inline]
    pub(crate) fn prefetch_candidate(&self, h: u64) {
        if let Some(id) = self.first_candidate(h) {
            self.prefetch_bounds(id);
        }
    }

    /// Stage 3: ask for that string's bytes.
    #[inline]
    pub(crate) fn prefetch_candidate_bytes(&self, h: u64) {
        if let Some(id) = self.first_candidate(h) {
            self.prefetch_bytes(id);
        }
    }

    /// The id of `s`, interning it if new.
    pub fn intern(&mut self, s: &str) -> u32 {
        match self.find(s.as_bytes()) {
            Ok(id) => id,
            Err(slot) => {
                self.bytes.push_str(s);
                let end = u32::try_from(self.bytes.len()).expect("interned strings exceed 4 GiB");
                let id = u32::try_from(self.ends.len()).expect("too many strings");
                self.ends.push(end);
                self.table[slot] = Self::entry(s.as_bytes(), id);
                if self.ends.len() * 2 > self.table.len() {
                    self.grow();
                }
                id
            }
        }
    }

    fn grow(&mut self) {
        let size = self.table.len() * 2;
        self.table = vec![EMPTY; size];
        self.mask = size - 1;
        for id in 0..self.ends.len() as u32 {
            let h = hash_bytes(self.raw(id));
            let mut slot = h as usize & self.mask;
            while self.table[slot] != EMPTY {
                slot = (slot + 1) & self.mask;
            }
            self.table[slot] = h >> 32 << 32 | u64::from(id);
        }
    }

    /// Release spare capacity once building is done.
    pub fn shrink(&mut self) {
        self.bytes.shrink_to_fit();
        self.ends.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn interning_round_trips(words in proptest::collection::vec("\\PC{0,8}", 0..200)) {
            let mut i = Interner::new();
            let ids: Vec<u32> = words.iter().map(|w| i.intern(w)).collect();
            for (w, id) in words.iter().zip(&ids) {
                prop_assert_eq!(i.resolve(*id), w.as_str());
                prop_assert_eq!(i.get(w), Some(*id));
                prop_assert_eq!(i.intern(w), *id);
            }
            prop_assert_eq!(i.get(""), Some(0));
        }
    }
}
