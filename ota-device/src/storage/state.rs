//! [`StateStore`]: a small record that must survive power loss, and its size limit.

use super::StorageError;

/// Longest record a [`StateStore`] must hold, in bytes.
pub const MAX_RECORD_LEN: usize = 1024;

/// A small persistent record that survives power loss in the middle of its own write.
///
/// # Power loss
///
/// A power cut at any point inside [`StateStore::store`] leaves the old record or the new
/// one, never a mix: the next [`StateStore::load`] (after the reboot) returns one of the two.
/// Which one is unknown until then, so a caller that must know loads again.
pub trait StateStore {
    /// Copy the last completely stored record into `buf` and return its length; `Ok(None)` if
    /// no record was ever stored, or every copy is corrupt. Writes nothing.
    ///
    /// # Errors
    /// [`StorageError::BufferTooSmall`] if the record does not fit `buf` (a buffer of
    /// [`MAX_RECORD_LEN`] bytes always fits); flash errors.
    fn load(&mut self, buf: &mut [u8]) -> Result<Option<usize>, StorageError>;

    /// Replace the record with `record` (which may be empty).
    ///
    /// # Errors
    /// [`StorageError::RecordTooLong`] if `record` is longer than [`MAX_RECORD_LEN`] (nothing
    /// is written); flash errors, after which the old or the new record is stored.
    fn store(&mut self, record: &[u8]) -> Result<(), StorageError>;
}

impl<T: StateStore + ?Sized> StateStore for &mut T {
    fn load(&mut self, buf: &mut [u8]) -> Result<Option<usize>, StorageError> {
        T::load(self, buf)
    }
    fn store(&mut self, record: &[u8]) -> Result<(), StorageError> {
        T::store(self, record)
    }
}
