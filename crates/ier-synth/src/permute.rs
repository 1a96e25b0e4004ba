//! Keyed bijections on integer ranges: a small Feistel network with cycle-walking.
//!
//! Used to turn a person's index into a unique NINO, to shuffle the order in which
//! people appear in a noisy stream, and to make record ids that do not reveal the
//! person behind them. All in O(1) memory: nothing is ever materialised.

/// SplitMix64's finaliser: a fast, well-mixed 64-bit hash.
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

const ROUNDS: usize = 6;

/// A keyed permutation of `0..domain`.
#[derive(Debug, Clone)]
pub struct Permutation {
    domain: u64,
    half_bits: u32,
    keys: [u64; ROUNDS],
}

impl Permutation {
    /// `domain` must be at least 1 and at most 2^62.
    pub fn new(domain: u64, key: u64) -> Self {
        assert!((1..=1 << 62).contains(&domain), "domain out of range");
        let bits = (64 - (domain - 1).leading_zeros()).max(2);
        let mut keys = [0; ROUNDS];
        for (r, k) in keys.iter_mut().enumerate() {
            *k = mix(key ^ mix(r as u64 + 1));
        }
        Self { domain, half_bits: bits.div_ceil(2), keys }
    }

    fn feistel(&self, x: u64) -> u64 {
        let mask = (1u64 << self.half_bits) - 1;
        let (mut left, mut right) = (x >> self.half_bits, x & mask);
        for k in self.keys {
            let f = mix(right ^ k) & mask;
            (left, right) = (right, left ^ f);
        }
        (left << self.half_bits) | right
    }

    /// The image of `x` (which must be below the domain).
    pub fn apply(&self, x: u64) -> u64 {
        debug_assert!(x < self.domain);
        // Cycle-walking: the Feistel network permutes 0..2^(2·half_bits), which is
        // less than four times the domain, so this loop runs about twice on average.
        let mut y = self.feistel(x);
        while y >= self.domain {
            y = self.feistel(y);
        }
        y
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn is_a_bijection_on_small_domains() {
        for domain in [1u64, 2, 3, 7, 100, 1000, 4097] {
            let p = Permutation::new(domain, 42);
            let mut seen = vec![false; domain as usize];
            for x in 0..domain {
                let y = p.apply(x);
                assert!(y < domain);
                assert!(!seen[y as usize], "collision in domain {domain}");
                seen[y as usize] = true;
            }
        }
    }

    #[test]
    fn different_keys_give_different_permutations() {
        let a = Permutation::new(1000, 1);
        let b = Permutation::new(1000, 2);
        let differing = (0..1000).filter(|&x| a.apply(x) != b.apply(x)).count();
        assert!(differing > 900, "{differing}");
    }

    proptest! {
        #[test]
        fn stays_in_domain(domain in 1u64..1 << 40, x in any::<u64>(), key in any::<u64>()) {
            let p = Permutation::new(domain, key);
            prop_assert!(p.apply(x % domain) < domain);
        }
    }
}
