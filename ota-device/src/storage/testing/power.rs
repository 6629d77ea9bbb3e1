//! [`PowerCut`]: the power supply of one simulated device, shared by all its storage doubles;
//! [`SplitMix64`]: the seeded generator every injected fault draws from.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::storage::StorageError;

/// How the cut operation ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CutMode {
    /// The cut operation has no effect.
    #[default]
    Clean,
    /// The cut operation applies a prefix of its effect (see [`Mutation::Torn`]).
    Torn,
    /// The cut operation leaves what real NOR flash leaves, drawn from `seed` (and the index
    /// of the cut operation, so each cut point of one seed differs): a write leaves its write
    /// units partly programmed, an erase leaves its range partly erased and not erased; see
    /// [`MemFlash`](super::MemFlash). Doubles without a flash model (the boot flags) treat it
    /// as [`CutMode::Torn`].
    Noisy {
        /// The seed of the damage.
        seed: u64,
    },
}

/// What a double must do with the mutating operation it asked [`PowerCut::begin_mutation`]
/// for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutation {
    /// Apply all of it.
    Full,
    /// Apply part of it (the testing doubles: the first half of a write's bytes or of an erase
    /// range, nothing of a boot-flag write; with [`PowerCut::damage`] giving a generator, the
    /// seeded damage of [`CutMode::Noisy`] instead), then fail with
    /// [`StorageError::PowerLoss`].
    Torn,
}

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny, fast, seeded generator, so that every fault
/// the testing doubles inject is reproducible from one `u64`. Not for cryptography.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator seeded with `seed` (any value, 0 included).
    pub const fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// A generator for item `index` of the stream named by `seed`: independent-looking streams
    /// for neighbouring indices, without keeping state between them.
    pub fn derive(seed: u64, index: u64) -> Self {
        Self::new(Self::new(seed ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03)).next_u64())
    }

    /// The next 64 random bits.
    pub const fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A random byte.
    pub fn byte(&mut self) -> u8 {
        self.next_u64().to_le_bytes()[7]
    }

    /// Uniform in `0..n` (0 when `n` is 0); the bias of the modulo is below 2^-32 for the
    /// sizes tests use.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// True with probability `1 / n` (always for `n` ≤ 1).
    pub fn one_in(&mut self, n: u32) -> bool {
        self.below(u64::from(n)) == 0
    }
}

#[derive(Debug, Default)]
struct Supply {
    /// Mutating operations still allowed before the cut; `None` for no limit.
    budget: Option<u64>,
    mode: CutMode,
    /// Mutating operations that ran to completion.
    ops: u64,
    off: bool,
}

/// The power supply of one simulated device: a budget of mutating operations (flash writes and
/// erases, boot-flag writes) shared by every double holding a clone.
///
/// When the budget is spent, the next mutating operation is cut ([`CutMode::Clean`]: no
/// effect; [`CutMode::Torn`]: a prefix of it; [`CutMode::Noisy`]: seeded flash damage) and
/// fails with [`StorageError::PowerLoss`], and so does every later operation, reads included,
/// until [`PowerCut::restore`] (the power coming back; then reboot the device). Clones share
/// the supply; it is `Send + Sync`.
///
/// To cut at every point of a scenario, run it once with [`PowerCut::unlimited`], take
/// [`PowerCut::ops`] = `n`, then run it with `PowerCut::after(k)` for every `k` in `0..n`.
#[derive(Debug, Clone, Default)]
pub struct PowerCut {
    supply: Arc<Mutex<Supply>>,
}

impl PowerCut {
    /// Power that never fails (until [`PowerCut::arm`] or [`PowerCut::cut`]).
    pub fn unlimited() -> Self {
        Self::default()
    }

    /// Power that lets `n` mutating operations complete and cleanly cuts the next one.
    pub fn after(n: u64) -> Self {
        let power = Self::default();
        power.arm(n, CutMode::Clean);
        power
    }

    /// Power that lets `n` mutating operations complete and tears the next one.
    pub fn torn_after(n: u64) -> Self {
        let power = Self::default();
        power.arm(n, CutMode::Torn);
        power
    }

    /// Power that lets `n` mutating operations complete and cuts the next one with the seeded
    /// damage of [`CutMode::Noisy`].
    pub fn noisy_after(n: u64, seed: u64) -> Self {
        let power = Self::default();
        power.arm(n, CutMode::Noisy { seed });
        power
    }

    /// Counting from now, let `n` mutating operations complete and cut the next one in `mode`.
    /// Does not turn the power back on.
    pub fn arm(&self, n: u64, mode: CutMode) {
        let mut supply = self.lock();
        supply.budget = Some(n);
        supply.mode = mode;
    }

    /// Remove any pending cut. Does not turn the power back on.
    pub fn disarm(&self) {
        self.lock().budget = None;
    }

    /// Cut the power now, between operations.
    pub fn cut(&self) {
        self.lock().off = true;
    }

    /// Turn the power back on, with no cut pending. The count of [`PowerCut::ops`] goes on.
    pub fn restore(&self) {
        let mut supply = self.lock();
        supply.off = false;
        supply.budget = None;
    }

    /// Whether the power is cut.
    pub fn is_cut(&self) -> bool {
        self.lock().off
    }

    /// How many mutating operations ran to completion since this supply was made (a cut one
    /// does not count).
    pub fn ops(&self) -> u64 {
        self.lock().ops
    }

    /// The mode of the armed cut, or of the last one ([`CutMode::Clean`] if none was armed).
    pub fn cut_mode(&self) -> CutMode {
        self.lock().mode
    }

    /// For doubles, after [`Mutation::Torn`]: the generator of the damage to leave when the
    /// cut is [`CutMode::Noisy`] (seeded from its seed and the index of the cut operation), or
    /// `None` to apply the plain prefix of [`CutMode::Torn`].
    pub fn damage(&self) -> Option<SplitMix64> {
        let supply = self.lock();
        match supply.mode {
            CutMode::Noisy { seed } => Some(SplitMix64::derive(seed, supply.ops)),
            CutMode::Clean | CutMode::Torn => None,
        }
    }

    /// For doubles: [`Self::begin_mutation`], and with a torn one its [`Self::damage`].
    ///
    /// # Errors
    /// As [`Self::begin_mutation`].
    pub fn begin_damaging_mutation(&self) -> Result<(Mutation, Option<SplitMix64>), StorageError> {
        let mutation = self.begin_mutation()?;
        let damage = match mutation {
            Mutation::Full => None,
            Mutation::Torn => self.damage(),
        };
        Ok((mutation, damage))
    }

    /// For doubles: start one mutating operation.
    ///
    /// # Errors
    /// [`StorageError::PowerLoss`] if the power is off, or the operation is cut cleanly (the
    /// double then does nothing).
    pub fn begin_mutation(&self) -> Result<Mutation, StorageError> {
        let mut supply = self.lock();
        if supply.off {
            return Err(StorageError::PowerLoss);
        }
        match supply.budget {
            Some(0) => {
                supply.off = true;
                match supply.mode {
                    CutMode::Clean => Err(StorageError::PowerLoss),
                    CutMode::Torn | CutMode::Noisy { .. } => Ok(Mutation::Torn),
                }
            }
            budget => {
                supply.budget = budget.map(|n| n - 1);
                supply.ops += 1;
                Ok(Mutation::Full)
            }
        }
    }

    /// For doubles: check that a non-mutating operation (a read) may run.
    ///
    /// # Errors
    /// [`StorageError::PowerLoss`] if the power is off.
    pub fn check(&self) -> Result<(), StorageError> {
        if self.is_cut() {
            Err(StorageError::PowerLoss)
        } else {
            Ok(())
        }
    }

    fn lock(&self) -> MutexGuard<'_, Supply> {
        self.supply.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unlimited_counts_every_op() {
        let power = PowerCut::unlimited();
        for _ in 0..5 {
            assert_eq!(power.begin_mutation(), Ok(Mutation::Full));
        }
        assert_eq!(power.ops(), 5);
        assert_eq!(power.check(), Ok(()));
    }

    #[test]
    fn after_n_cuts_the_next_op_and_everything_later() {
        let power = PowerCut::after(2);
        let shared = power.clone();
        assert_eq!(power.begin_mutation(), Ok(Mutation::Full));
        assert_eq!(shared.begin_mutation(), Ok(Mutation::Full));
        assert!(!power.is_cut());
        assert_eq!(shared.begin_mutation(), Err(StorageError::PowerLoss));
        assert!(power.is_cut());
        assert_eq!(power.check(), Err(StorageError::PowerLoss));
        assert_eq!(power.begin_mutation(), Err(StorageError::PowerLoss));
        assert_eq!(power.ops(), 2);
        power.restore();
        assert_eq!(shared.check(), Ok(()));
        assert_eq!(shared.begin_mutation(), Ok(Mutation::Full));
        assert_eq!(power.ops(), 3);
    }

    #[test]
    fn torn_grants_one_partial_op() {
        let power = PowerCut::torn_after(0);
        assert_eq!(power.begin_mutation(), Ok(Mutation::Torn));
        assert!(power.is_cut());
        assert_eq!(power.begin_mutation(), Err(StorageError::PowerLoss));
        assert_eq!(power.ops(), 0);
    }

    #[test]
    fn arm_disarm_and_cut() {
        let power = PowerCut::unlimited();
        power.begin_mutation().unwrap();
        power.arm(1, CutMode::Clean);
        power.begin_mutation().unwrap();
        power.disarm();
        power.begin_mutation().unwrap();
        power.cut();
        assert_eq!(power.check(), Err(StorageError::PowerLoss));
        power.restore();
        assert_eq!(power.ops(), 3);
    }

    #[test]
    fn noisy_tears_and_seeds_the_damage() {
        let power = PowerCut::noisy_after(1, 42);
        assert_eq!(power.cut_mode(), CutMode::Noisy { seed: 42 });
        assert_eq!(power.damage(), Some(SplitMix64::derive(42, 0)));
        assert_eq!(power.begin_mutation(), Ok(Mutation::Full));
        assert_eq!(power.begin_mutation(), Ok(Mutation::Torn));
        // Seeded from the seed and the index of the cut operation (1).
        assert_eq!(power.damage(), Some(SplitMix64::derive(42, 1)));
        assert_ne!(SplitMix64::derive(42, 1), SplitMix64::derive(42, 0));
        assert_ne!(SplitMix64::derive(42, 1), SplitMix64::derive(43, 1));
        assert_eq!(PowerCut::torn_after(0).damage(), None);
        assert_eq!(PowerCut::unlimited().cut_mode(), CutMode::Clean);
    }

    #[test]
    fn splitmix_matches_the_reference_and_is_deterministic() {
        // The reference implementation's first outputs for seed 0.
        let mut rng = SplitMix64::new(0);
        assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(rng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        let draw = |seed| {
            let mut r = SplitMix64::new(seed);
            (0..64).map(|_| r.below(10)).collect::<std::vec::Vec<_>>()
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
        assert!(draw(7).iter().all(|&x| x < 10));
        let mut r = SplitMix64::new(1);
        assert_eq!(r.below(0), 0);
        assert!(r.one_in(1) && r.one_in(0));
        let hits = (0..10_000).filter(|_| r.one_in(4)).count();
        assert!((2_000..3_000).contains(&hits), "{hits} of 10000 at 1/4");
    }

    #[test]
    fn is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<PowerCut>();
    }
}
