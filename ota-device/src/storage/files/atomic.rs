//! The two ways the small files (the state record, the boot flags) are accessed: read whole,
//! and replaced atomically.

use std::io;

use super::Fs;
use super::fs::storage_error;
use crate::storage::StorageError;

/// Replace file `name` with `bytes`, so that a power loss at any point leaves the old or the
/// new contents: write `tmp`, fsync it, rename it over `name`, fsync the directory.
///
/// After an error (a power cut included) `name` holds the old or the new contents, and `tmp`
/// may be left behind (the next replace overwrites it).
///
/// # Errors
/// I/O errors, mapped by [`storage_error`].
pub(super) fn replace<F: Fs + ?Sized>(
    fs: &F,
    tmp: &str,
    name: &str,
    bytes: &[u8],
) -> Result<(), StorageError> {
    fs.create(tmp, bytes).map_err(storage_error)?;
    fs.sync(tmp).map_err(storage_error)?;
    fs.rename(tmp, name).map_err(storage_error)?;
    fs.sync_dir().map_err(storage_error)
}

/// Read file `name` from its start into `buf`: `Ok(None)` if there is no such file, else how
/// many bytes were read. A result of `buf.len()` means the file may be longer: callers pass one
/// byte more than the longest valid file and treat a full buffer as a foreign file.
///
/// # Errors
/// I/O errors other than a missing file, mapped by [`storage_error`].
pub(super) fn read_small<F: Fs + ?Sized>(
    fs: &F,
    name: &str,
    buf: &mut [u8],
) -> Result<Option<usize>, StorageError> {
    match fs.read_at(name, 0, buf) {
        Ok(n) => Ok(Some(n.min(buf.len()))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(storage_error(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::files::testing::CrashFs;

    #[test]
    fn replace_is_four_operations_and_durable() {
        let fs = CrashFs::new();
        replace(&fs, "x.tmp", "x", b"one").unwrap();
        assert_eq!(fs.ops(), 4);
        let crashed = fs.crash();
        assert_eq!(crashed.contents("x").as_deref(), Some(&b"one"[..]));
        let mut buf = [0; 8];
        assert_eq!(read_small(&crashed, "x", &mut buf), Ok(Some(3)));
        assert_eq!(read_small(&crashed, "y", &mut buf), Ok(None));
    }

    #[test]
    fn a_cut_replace_leaves_old_or_new() {
        for k in 0..4 {
            for seed in [None, Some(1), Some(2), Some(3)] {
                let fs = CrashFs::new();
                replace(&fs, "x.tmp", "x", b"old").unwrap();
                fs.cut_after(k);
                assert_eq!(
                    replace(&fs, "x.tmp", "x", b"new!"),
                    Err(StorageError::PowerLoss)
                );
                let crashed = match seed {
                    None => fs.crash(),
                    Some(seed) => fs.crash_torn(seed),
                };
                let x = crashed.contents("x");
                assert!(
                    matches!(x.as_deref(), Some(b"old" | b"new!")),
                    "cut at {k}, {seed:?}: {x:?}"
                );
            }
        }
    }

    #[test]
    fn read_errors_other_than_missing_are_errors() {
        let fs = CrashFs::new();
        fs.cut_after(0);
        fs.create("a", b"").unwrap_err();
        let mut buf = [0; 4];
        assert_eq!(read_small(&fs, "a", &mut buf), Err(StorageError::PowerLoss));
    }
}
