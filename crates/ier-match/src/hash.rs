//! A small, fast, deterministic 64-bit hash for interning and block keys (not
//! for hash-flooding resistance: inputs are the operator's own files).

const K: u64 = 0x9E37_79B9_7F4A_7C15;

/// Mix a 64-bit value (the splitmix64 finaliser).
#[inline]
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Hash a byte string.
#[inline]
pub fn hash_bytes(b: &[u8]) -> u64 {
    let mut h = K ^ (b.len() as u64).wrapping_mul(K);
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let v = u64::from_le_bytes(c.try_into().expect("8 bytes"));
        h = (h ^ v).wrapping_mul(K).rotate_left(29);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut buf = [0u8; 8];
        buf[..rest.len()].copy_from_slice(rest);
        h = (h ^ u64::from_le_bytes(buf)).wrapping_mul(K).rotate_left(29);
    }
    mix(h)
}

/// Combine a hash with another value.
#[inline]
pub fn combine(h: u64, v: u64) -> u64 {
    mix(h ^ v.wrapping_mul(K))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinguishes_lengths_and_content() {
        assert_ne!(hash_bytes(b""), hash_bytes(b"\0"));
        assert_ne!(hash_bytes(b"abc"), hash_bytes(b"abd"));
        assert_ne!(hash_bytes(b"abcdefgh"), hash_bytes(b"abcdefgh\0"));
        assert_eq!(hash_bytes(b"smith"), hash_bytes(b"smith"));
        assert_ne!(combine(1, 2), combine(2, 1));
    }
}

/// A `BuildHasher` for in-memory maps keyed by integers (see [`mix`]).
#[derive(Clone, Copy, Default)]
pub struct FastState;

/// The hasher of [`FastState`].
#[derive(Clone, Copy, Default)]
pub struct FastHasher(u64);

impl std::hash::BuildHasher for FastState {
    type Hasher = FastHasher;
    fn build_hasher(&self) -> FastHasher {
        FastHasher(K)
    }
}

impl std::hash::Hasher for FastHasher {
    fn finish(&self) -> u64 {
        mix(self.0)
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0 = combine(self.0, hash_bytes(bytes));
    }
    fn write_u8(&mut self, i: u8) {
        self.0 = combine(self.0, u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.0 = combine(self.0, u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = combine(self.0, i);
    }
    fn write_usize(&mut self, i: usize) {
        self.0 = combine(self.0, i as u64);
    }
}

/// A `HashMap` with [`FastState`].
pub type FastMap<K, V> = std::collections::HashMap<K, V, FastState>;
