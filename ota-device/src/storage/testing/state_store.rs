//! [`MemStateStore`]: a [`DualCopyStore`] over a two-sector [`MemFlash`].

use super::{MemFlash, PowerCut};
use crate::storage::{DualCopyStore, StateStore, StorageError};

/// A [`DualCopyStore`] over its own two-sector [`MemFlash`] (copies at 0 and 4096), drawing
/// from a [`PowerCut`].
#[derive(Debug)]
pub struct MemStateStore {
    store: DualCopyStore<MemFlash>,
}

impl MemStateStore {
    /// Bytes of flash the store uses.
    pub const SIZE: usize = 2 * 4096;

    /// An empty store (erased flash).
    pub fn new(power: PowerCut) -> Self {
        Self::over(MemFlash::new(Self::SIZE, power))
    }

    /// A store over `flash` (at least [`Self::SIZE`] bytes), for instance the memory of a store
    /// before a simulated reboot.
    ///
    /// # Panics
    /// If `flash` is smaller than [`Self::SIZE`].
    pub fn over(flash: MemFlash) -> Self {
        match DualCopyStore::new(flash, 0, 4096) {
            Ok(store) => Self { store },
            Err(e) => panic!("MemStateStore needs {} bytes of flash: {e}", Self::SIZE),
        }
    }

    /// A fresh store over the same memory and power, as the firmware makes after a reboot.
    pub fn reopen(&self) -> Self {
        Self::over(self.flash().share())
    }

    /// The store's flash (for snapshots and corruption tests; [`MemFlash::share`] gives an
    /// owned handle).
    pub fn flash(&self) -> &MemFlash {
        self.store.flash()
    }
}

impl StateStore for MemStateStore {
    fn load(&mut self, buf: &mut [u8]) -> Result<Option<usize>, StorageError> {
        self.store.load(buf)
    }

    fn store(&mut self, record: &[u8]) -> Result<(), StorageError> {
        self.store.store(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::MAX_RECORD_LEN;

    #[test]
    fn survives_reopen_and_shares_power() {
        let power = PowerCut::unlimited();
        let mut store = MemStateStore::new(power.clone());
        assert_eq!(store.flash().snapshot().len(), MemStateStore::SIZE);
        store.store(b"progress 17").unwrap();
        let mut buf = [0; MAX_RECORD_LEN];
        assert_eq!(store.reopen().load(&mut buf), Ok(Some(11)));
        assert_eq!(&buf[..11], b"progress 17");
        power.cut();
        assert_eq!(store.load(&mut buf), Err(StorageError::PowerLoss));
    }

    #[test]
    #[should_panic(expected = "needs 8192 bytes")]
    fn too_small_flash_is_api_misuse() {
        MemStateStore::over(MemFlash::new(4096, PowerCut::unlimited()));
    }
}
