//! The simulation's only source of randomness: ChaCha8 from the scenario's seed.

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};

/// A seeded random stream.
#[derive(Debug, Clone)]
pub struct SimRng(ChaCha8Rng);

impl SimRng {
    /// The stream for `seed`.
    pub fn new(seed: u64) -> Self {
        Self(ChaCha8Rng::seed_from_u64(seed))
    }

    /// A derived, independent stream (e.g. one per device), so that adding draws in one
    /// place does not shift every other decision.
    pub fn fork(&mut self, label: u64) -> Self {
        Self(ChaCha8Rng::seed_from_u64(
            self.0.next_u64() ^ label.rotate_left(17),
        ))
    }

    /// A uniform `u64`.
    pub fn u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.unit() < p
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            lo
        } else {
            lo + self.0.next_u64() % (hi - lo + 1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let (mut a, mut b) = (SimRng::new(7), SimRng::new(7));
        assert_eq!(
            (0..100).map(|_| a.u64()).collect::<Vec<_>>(),
            (0..100).map(|_| b.u64()).collect::<Vec<_>>()
        );
        let mut c = SimRng::new(8);
        assert_ne!(SimRng::new(7).u64(), c.u64());
        let hits = (0..10_000).filter(|_| a.chance(0.25)).count();
        assert!((2000..3000).contains(&hits), "{hits}");
        assert!((0..1000).all(|_| (3..=5).contains(&a.range(3, 5))));
    }
}
