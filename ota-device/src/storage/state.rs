use super::StorageError;

/// Max record.
pub const MAX_RECORD_LEN: usize = 1024;

/// Store.
pub trait StateStore {
    /// Load.
    fn load(&mut self, buf: &mut [u8]) -> Result<Option<usize>, StorageError>;
    /// Store.
    fn store(&mut self, record: &[u8]) -> Result<(), StorageError>;
}
