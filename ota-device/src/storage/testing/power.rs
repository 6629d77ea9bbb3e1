//! [`PowerCut`]: the power supply of one simulated device, shared by all its storage doubles.

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
}

/// What a double must do with the mutating operation it asked [`PowerCut::begin_mutation`]
/// for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutation {
    /// Apply all of it.
    Full,
    /// Apply a prefix (the testing doubles: the first half of a write's bytes or of an erase
    /// range, nothing of a boot-flag write), then fail with [`StorageError::PowerLoss`].
    Torn,
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
/// effect; [`CutMode::Torn`]: a prefix of it) and fails with [`StorageError::PowerLoss`], and
/// so does every later operation, reads included, until [`PowerCut::restore`] (the power coming
/// back; then reboot the device). Clones share the supply; it is `Send + Sync`.
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
                    CutMode::Torn => Ok(Mutation::Torn),
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
    fn is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<PowerCut>();
    }
}
