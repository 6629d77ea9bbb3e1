use super::StorageError;

/// Slot.
pub trait FirmwareSlot {
    /// Capacity.
    fn capacity(&self) -> u32;
    /// Erase size.
    fn erase_size(&self) -> u32;
    /// Erase.
    fn erase(&mut self, from: u32, to: u32) -> Result<(), StorageError>;
    /// Write.
    fn write(&mut self, offset: u32, data: &[u8]) -> Result<(), StorageError>;
    /// Read.
    fn read(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), StorageError>;
    /// Pending.
    fn mark_pending(&mut self) -> Result<(), StorageError>;
    /// Boot state.
    fn boot_state(&mut self) -> Result<BootState, StorageError>;
    /// Commit.
    fn commit(&mut self) -> Result<(), StorageError>;
    /// Roll back.
    fn roll_back(&mut self) -> Result<(), StorageError>;
}

/// Boot state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BootState {
    /// Normal.
    Normal,
    /// Pending.
    Pending,
    /// Trial.
    Trial,
    /// Rolled back.
    RolledBack,
}
