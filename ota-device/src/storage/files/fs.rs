//! [`Fs`]: the filesystem operations the file-backed storage needs, and how their errors become
//! [`StorageError`]s.

use std::io;

use crate::storage::StorageError;

/// The filesystem operations of the file-backed storage, on files named by plain names (no
/// path separators) in one directory.
///
/// Mutating operations are not durable until synced: file contents after [`Fs::sync`] or
/// [`Fs::sync_data`] of that file, names (created or renamed) after [`Fs::sync_dir`].
/// Implementations: [`super::RealFs`] (`std::fs`), and the crash-modelling
/// `testing::CrashFs` (feature `testing`). None of them locks, caches, or retries.
pub trait Fs {
    /// Read into `buf` from `offset` of file `name`, up to `buf.len()` bytes; returns how many
    /// were read, fewer only at the end of the file (0 at or past it).
    ///
    /// # Errors
    /// [`io::ErrorKind::NotFound`] if there is no such file; other I/O errors.
    fn read_at(&self, name: &str, offset: u64, buf: &mut [u8]) -> io::Result<usize>;

    /// Create file `name` holding exactly `data`, replacing the contents of an existing file
    /// (`O_CREAT | O_TRUNC`). Not synced.
    ///
    /// # Errors
    /// I/O errors.
    fn create(&self, name: &str, data: &[u8]) -> io::Result<()>;

    /// Write `data` at `offset` of the existing file `name` (`pwrite`), extending it if it ends
    /// earlier. Not synced.
    ///
    /// # Errors
    /// [`io::ErrorKind::NotFound`] if there is no such file; other I/O errors.
    fn write_at(&self, name: &str, offset: u64, data: &[u8]) -> io::Result<()>;

    /// Make the contents and metadata of file `name` durable (`fsync`). Not its name: that
    /// takes [`Fs::sync_dir`].
    ///
    /// # Errors
    /// [`io::ErrorKind::NotFound`] if there is no such file; other I/O errors.
    fn sync(&self, name: &str) -> io::Result<()>;

    /// Make the contents (and length) of file `name` durable (`fdatasync`).
    ///
    /// # Errors
    /// As [`Fs::sync`].
    fn sync_data(&self, name: &str) -> io::Result<()>;

    /// Rename `from` to `to`, atomically replacing `to` if it exists. Durable after
    /// [`Fs::sync_dir`].
    ///
    /// # Errors
    /// [`io::ErrorKind::NotFound`] if there is no file `from`; other I/O errors.
    fn rename(&self, from: &str, to: &str) -> io::Result<()>;

    /// Make the directory's entries durable: every file created and every rename so far.
    ///
    /// # Errors
    /// I/O errors.
    fn sync_dir(&self) -> io::Result<()>;
}

impl<T: Fs + ?Sized> Fs for &T {
    fn read_at(&self, name: &str, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        T::read_at(self, name, offset, buf)
    }
    fn create(&self, name: &str, data: &[u8]) -> io::Result<()> {
        T::create(self, name, data)
    }
    fn write_at(&self, name: &str, offset: u64, data: &[u8]) -> io::Result<()> {
        T::write_at(self, name, offset, data)
    }
    fn sync(&self, name: &str) -> io::Result<()> {
        T::sync(self, name)
    }
    fn sync_data(&self, name: &str) -> io::Result<()> {
        T::sync_data(self, name)
    }
    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        T::rename(self, from, to)
    }
    fn sync_dir(&self) -> io::Result<()> {
        T::sync_dir(self)
    }
}

/// The [`StorageError`] for an I/O error: [`StorageError::PowerLoss`] for the simulated power
/// cut of `testing::CrashFs`, [`StorageError::Other`] for everything else (the storage
/// traits have no finer kind for I/O failures; callers that expect a missing file check for
/// it before mapping).
pub(super) fn storage_error(error: io::Error) -> StorageError {
    #[cfg(any(test, feature = "testing"))]
    if super::testing::is_power_cut(&error) {
        return StorageError::PowerLoss;
    }
    let _ = error;
    StorageError::Other
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_are_other() {
        for kind in [
            io::ErrorKind::NotFound,
            io::ErrorKind::PermissionDenied,
            io::ErrorKind::UnexpectedEof,
            io::ErrorKind::Other,
        ] {
            assert_eq!(storage_error(io::Error::from(kind)), StorageError::Other);
        }
        assert_eq!(
            storage_error(io::Error::other("disk on fire")),
            StorageError::Other
        );
    }
}
