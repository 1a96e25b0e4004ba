//! A compact string interner: one byte arena, `u32` ends, and an
//! open-addressing table of `u32` ids (about 12 bytes a distinct string plus
//! its bytes; no per-string allocation). Id 0 is always the empty string.

use crate::hash::hash_bytes;

const EMPTY: u32 = u32::MAX;

/// Interned strings. Read-only lookups ([`Interner::get`]) are `Sync`.
#[derive(Clone)]
pub struct Interner {
    bytes: String,
    ends: Vec<u32>,
    table: Vec<u32>,
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
        i.table[slot] = 0;
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
        self.bytes.capacity() + self.ends.capacity() * 4 + self.table.capacity() * 4
    }

    /// The string with this id.
    #[inline]
    pub fn resolve(&self, id: u32) -> &str {
        let id = id as usize;
        let start = if id == 0 { 0 } else { self.ends[id - 1] as usize };
        // Only whole `&str`s are pushed, so every slice falls on character boundaries.
        &self.bytes[start..self.ends[id] as usize]
    }

    fn raw(&self, id: u32) -> &[u8] {
        let id = id as usize;
        let start = if id == 0 { 0 } else { self.ends[id - 1] as usize };
        &self.bytes.as_bytes()[start..self.ends[id] as usize]
    }

    /// Ok(id) or Err(free slot).
    fn find(&self, s: &[u8]) -> Result<u32, usize> {
        let mut slot = hash_bytes(s) as usize & self.mask;
        loop {
            let id = self.table[slot];
            if id == EMPTY {
                return Err(slot);
            }
            if self.raw(id) == s {
                return Ok(id);
            }
            slot = (slot + 1) & self.mask;
        }
    }

    /// The id of `s`, if interned.
    #[inline]
    pub fn get(&self, s: &str) -> Option<u32> {
        self.find(s.as_bytes()).ok()
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
                self.table[slot] = id;
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
            let mut slot = hash_bytes(self.raw(id)) as usize & self.mask;
            while self.table[slot] != EMPTY {
                slot = (slot + 1) & self.mask;
            }
            self.table[slot] = id;
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
