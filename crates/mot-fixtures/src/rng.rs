//! Deterministic random numbers.
//!
//! The generator is SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
//! generators", OOPSLA 2014). Its output is fixed by that definition, so a seed keeps producing
//! the same content when a dependency changes its own generator.

/// Increment of the SplitMix64 state (the golden-ratio constant).
const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// Scrambles a 64-bit value with the SplitMix64 output function, a bijection on `u64`.
pub(crate) fn mix(value: u64) -> u64 {
    let mut z = value;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Derives an independent seed for item `index` of stream `stream`, so that any item (a vehicle,
/// a test's defects) can be regenerated on its own without replaying the items before it.
pub(crate) fn derive(seed: u64, stream: u64, index: u64) -> u64 {
    let inner = mix(index.wrapping_add(stream.wrapping_mul(GOLDEN_GAMMA)));
    mix(seed ^ inner)
}

/// A SplitMix64 generator with the few sampling helpers the content generator uses.
#[derive(Debug, Clone)]
pub(crate) struct Rng {
    state: u64,
}

impl Rng {
    /// Creates a generator from a seed, usually one returned by [`derive`].
    pub(crate) fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// Returns the next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN_GAMMA);
        mix(self.state)
    }

    /// Returns a value uniform in `0..bound` (`bound` > 0) by multiply-shift. The bias is below
    /// `bound / 2^64`, far too small to matter for test data.
    pub(crate) fn below(&mut self, bound: u64) -> u64 {
        debug_assert!(bound > 0);
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }

    /// Returns an index uniform in `0..len` (`len` > 0).
    pub(crate) fn index(&mut self, len: usize) -> usize {
        // `usize` is at most 64 bits on every supported target, so both conversions are lossless.
        let bound = u64::try_from(len).unwrap_or(u64::MAX);
        usize::try_from(self.below(bound)).unwrap_or(0)
    }

    /// Returns a value uniform in `low..=high`.
    pub(crate) fn between(&mut self, low: i64, high: i64) -> i64 {
        debug_assert!(low <= high);
        let span = high.abs_diff(low) + 1;
        low.wrapping_add_unsigned(self.below(span))
    }

    /// Returns true with probability `per_mille / 1000`.
    pub(crate) fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    /// Returns a uniformly chosen element of a non-empty slice.
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.index(items.len())]
    }

    /// Returns the value of a non-empty `(value, weight)` table, chosen with probability
    /// proportional to its weight.
    pub(crate) fn weighted<T: Copy>(&mut self, table: &[(T, u32)]) -> T {
        let total: u64 = table.iter().map(|&(_, weight)| u64::from(weight)).sum();
        let mut roll = self.below(total);
        for &(value, weight) in table {
            let weight = u64::from(weight);
            if roll < weight {
                return value;
            }
            roll -= weight;
        }
        table[table.len() - 1].0
    }

    /// Shuffles a slice in place (Fisher-Yates).
    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.index(i + 1);
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_stays_in_range() {
        let mut rng = Rng::new(7);
        for bound in [1, 2, 3, 10, 1000] {
            for _ in 0..1000 {
                assert!(rng.below(bound) < bound);
            }
        }
    }

    #[test]
    fn between_covers_both_ends() {
        let mut rng = Rng::new(11);
        let values: Vec<i64> = (0..2000).map(|_| rng.between(-2, 2)).collect();
        assert!(values.contains(&-2));
        assert!(values.contains(&2));
        assert!(values.iter().all(|v| (-2..=2).contains(v)));
    }

    #[test]
    fn derive_separates_streams() {
        assert_ne!(derive(1, 1, 0), derive(1, 2, 0));
        assert_ne!(derive(1, 1, 0), derive(1, 1, 1));
        assert_ne!(derive(1, 1, 0), derive(2, 1, 0));
    }
}
