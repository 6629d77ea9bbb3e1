//! [`FileStateStore`]: the client's state record as one file, replaced atomically.

use super::Fs;
use super::atomic::{read_small, replace};
use crate::storage::crc::Crc32;
use crate::storage::{MAX_RECORD_LEN, StateStore, StorageError};

const MAGIC: [u8; 4] = *b"OTSF";
const HEADER_LEN: usize = 12;
/// The longest valid file.
const FILE_MAX: usize = HEADER_LEN + MAX_RECORD_LEN;

/// A [`StateStore`] keeping the record in the file `state.rec` of a directory.
///
/// The file is a header, then the record:
///
/// | bytes | field |
/// |---|---|
/// | 0..4 | magic `"OTSF"` |
/// | 4..8 | record length, little-endian `u32` |
/// | 8..12 | CRC-32 of bytes 0..8 and the record, little-endian |
///
/// `store` writes `state.tmp`, fsyncs it, renames it over `state.rec` and fsyncs the
/// directory (four filesystem operations): a power loss at any point leaves the old file or
/// the new one. `load` reads `state.rec` only; a file that fails the magic, length or CRC
/// check (torn by a filesystem that broke its promises, or foreign) reads as no record. A
/// leftover `state.tmp` is ignored and overwritten by the next `store`.
///
/// It keeps no state in memory: every call reads or writes the file. It does not lock the
/// directory against other writers, and it does not keep an older copy to fall back to.
#[derive(Debug, Clone)]
pub struct FileStateStore<F: Fs> {
    fs: F,
}

impl<F: Fs> FileStateStore<F> {
    /// The name of the record's file.
    pub const FILE: &'static str = "state.rec";
    /// The name of the temporary file `store` writes first.
    pub const TMP: &'static str = "state.tmp";

    /// A store in `fs`'s directory. Touches nothing: a directory without `state.rec` simply
    /// has no record yet.
    pub const fn new(fs: F) -> Self {
        Self { fs }
    }

    /// The filesystem.
    pub const fn fs(&self) -> &F {
        &self.fs
    }

    /// The filesystem back.
    pub fn into_fs(self) -> F {
        self.fs
    }
}

fn checksum(header: &[u8], record: &[u8]) -> u32 {
    let mut crc = Crc32::new();
    crc.update(header);
    crc.update(record);
    crc.finish()
}

/// The file for `record` (at most [`MAX_RECORD_LEN`] bytes) in `out`; returns its length.
fn encode(record: &[u8], out: &mut [u8; FILE_MAX]) -> usize {
    let len = record.len().min(MAX_RECORD_LEN);
    out[..4].copy_from_slice(&MAGIC);
    out[4..8].copy_from_slice(&(len as u32).to_le_bytes());
    out[HEADER_LEN..HEADER_LEN + len].copy_from_slice(&record[..len]);
    let crc = checksum(&out[..8], &out[HEADER_LEN..HEADER_LEN + len]);
    out[8..12].copy_from_slice(&crc.to_le_bytes());
    HEADER_LEN + len
}

/// The record in `file`, if it is a sound one (any bytes).
fn decode(file: &[u8]) -> Option<&[u8]> {
    let header = file.get(..HEADER_LEN)?;
    let field =
        |i: usize| u32::from_le_bytes([header[i], header[i + 1], header[i + 2], header[i + 3]]);
    let len = usize::try_from(field(4)).ok()?;
    let record = file.get(HEADER_LEN..)?;
    let sound = header[..4] == MAGIC
        && len == record.len()
        && len <= MAX_RECORD_LEN
        && checksum(&header[..8], record) == field(8);
    sound.then_some(record)
}

impl<F: Fs> StateStore for FileStateStore<F> {
    /// The record of `state.rec`; `Ok(None)` if there is no such file or it fails its checks.
    ///
    /// # Errors
    /// [`StorageError::BufferTooSmall`] if the record does not fit `buf`; I/O errors
    /// ([`StorageError::Other`]).
    fn load(&mut self, buf: &mut [u8]) -> Result<Option<usize>, StorageError> {
        let mut file = [0u8; FILE_MAX + 1];
        let Some(n) = read_small(&self.fs, Self::FILE, &mut file)? else {
            return Ok(None);
        };
        let Some(record) = file.get(..n).and_then(decode) else {
            return Ok(None);
        };
        let out = buf
            .get_mut(..record.len())
            .ok_or(StorageError::BufferTooSmall)?;
        out.copy_from_slice(record);
        Ok(Some(record.len()))
    }

    /// Replace `state.rec` atomically (see the type's docs).
    ///
    /// # Errors
    /// [`StorageError::RecordTooLong`] (nothing written); I/O errors ([`StorageError::Other`]),
    /// after which `state.rec` holds the old or the new record.
    fn store(&mut self, record: &[u8]) -> Result<(), StorageError> {
        if record.len() > MAX_RECORD_LEN {
            return Err(StorageError::RecordTooLong);
        }
        let mut file = [0u8; FILE_MAX];
        let len = encode(record, &mut file);
        replace(&self.fs, Self::TMP, Self::FILE, &file[..len])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::files::testing::CrashFs;
    use proptest::prelude::*;
    use std::vec::Vec;

    type Store = FileStateStore<CrashFs>;

    fn load(store: &mut Store) -> Option<Vec<u8>> {
        let mut buf = [0; MAX_RECORD_LEN];
        let n = store.load(&mut buf).unwrap()?;
        Some(buf[..n].to_vec())
    }

    #[test]
    fn empty_directory_has_no_record() {
        assert_eq!(load(&mut FileStateStore::new(CrashFs::new())), None);
    }

    #[test]
    fn stores_and_loads_across_a_crash() {
        let mut fs = CrashFs::new();
        for record in [&b""[..], b"a", &[7; MAX_RECORD_LEN]] {
            let mut store = FileStateStore::new(fs.clone());
            store.store(record).unwrap();
            assert_eq!(fs.ops(), 4, "four operations per store");
            assert_eq!(load(&mut store).as_deref(), Some(record));
            fs = fs.crash();
            let mut reopened = FileStateStore::new(fs.clone());
            assert_eq!(load(&mut reopened).as_deref(), Some(record));
        }
    }

    #[test]
    fn too_long_writes_nothing() {
        let fs = CrashFs::new();
        let mut store = FileStateStore::new(fs.clone());
        assert_eq!(
            store.store(&[0; MAX_RECORD_LEN + 1]),
            Err(StorageError::RecordTooLong)
        );
        assert_eq!(fs.ops(), 0);
    }

    #[test]
    fn buffer_too_small() {
        let mut store = FileStateStore::new(CrashFs::new());
        store.store(b"twelve bytes").unwrap();
        let mut small = [0; 11];
        assert_eq!(store.load(&mut small), Err(StorageError::BufferTooSmall));
        let mut exact = [0; 12];
        assert_eq!(store.load(&mut exact), Ok(Some(12)));
    }

    #[test]
    fn torn_and_foreign_files_are_no_record() {
        let fs = CrashFs::new();
        let mut store = FileStateStore::new(fs.clone());
        store.store(b"a record").unwrap();
        let good = fs.contents(Store::FILE).unwrap();
        for cut in 0..good.len() {
            fs.poke(Store::FILE, &good[..cut]);
            assert_eq!(load(&mut store), None, "torn at {cut}");
        }
        let mut long = good.clone();
        long.push(0);
        fs.poke(Store::FILE, &long);
        assert_eq!(load(&mut store), None, "trailing byte");
        fs.poke(Store::FILE, &[0xFF; 3 * MAX_RECORD_LEN]);
        assert_eq!(load(&mut store), None, "a large foreign file");
        fs.poke(Store::FILE, &good);
        assert_eq!(load(&mut store).as_deref(), Some(&b"a record"[..]));
    }

    #[test]
    fn io_errors_are_errors() {
        let fs = CrashFs::new();
        let mut store = FileStateStore::new(fs.clone());
        fs.cut_after(0);
        assert_eq!(store.store(b"x"), Err(StorageError::PowerLoss));
        let mut buf = [0; 4];
        assert_eq!(store.load(&mut buf), Err(StorageError::PowerLoss));
    }

    fn records() -> Vec<Vec<u8>> {
        let mut records = Vec::new();
        for (i, len) in [5, 0, MAX_RECORD_LEN, 300, 17, 1].into_iter().enumerate() {
            records.push((0..len).map(|j| (i * 31 + j) as u8).collect());
        }
        records
    }

    /// Store a sequence of records; stop at the first error and return its index.
    fn scenario(store: &mut Store, records: &[Vec<u8>]) -> Result<(), usize> {
        for (i, record) in records.iter().enumerate() {
            store.store(record).map_err(|_| i)?;
        }
        Ok(())
    }

    /// A power cut after every operation of a sequence of stores, with a clean crash and with
    /// seeded torn ones: the reopened store loads the old record or the new one, never
    /// anything else.
    #[test]
    fn power_cut_at_every_operation_loads_old_or_new() {
        let records = records();
        let clean = CrashFs::new();
        scenario(&mut FileStateStore::new(clean.clone()), &records).unwrap();
        let ops = clean.ops();
        assert_eq!(ops, 4 * records.len() as u64);
        let (mut old, mut new) = (0, 0);
        for k in 0..ops {
            for seed in [None, Some(0), Some(1), Some(2), Some(k)] {
                let fs = CrashFs::new();
                fs.cut_after(k);
                let cut = scenario(&mut FileStateStore::new(fs.clone()), &records).unwrap_err();
                let crashed = match seed {
                    None => fs.crash(),
                    Some(seed) => fs.crash_torn(seed),
                };
                let loaded = load(&mut FileStateStore::new(crashed));
                let before = cut.checked_sub(1).map(|i| records[i].clone());
                if loaded == before {
                    old += 1;
                } else {
                    assert_eq!(loaded.as_ref(), Some(&records[cut]), "cut at {k}, {seed:?}");
                    new += 1;
                }
            }
        }
        assert!(old > 0 && new > 0, "{old} old, {new} new");
    }

    proptest! {
        /// No file contents make `load` panic or return more than a sound record.
        #[test]
        fn any_file_loads_without_panic(file in proptest::collection::vec(any::<u8>(), 0..64)) {
            let fs = CrashFs::new();
            fs.poke(Store::FILE, &file);
            let mut buf = [0; MAX_RECORD_LEN];
            let loaded = FileStateStore::new(fs).load(&mut buf).unwrap();
            if let Some(n) = loaded {
                prop_assert_eq!(n + HEADER_LEN, file.len());
            }
        }
    }
}
