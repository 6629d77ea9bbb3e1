//! [`CrashFs`]: an in-memory [`Fs`] with a power cut after a chosen number of mutating
//! operations, and the crash that follows it.

use core::fmt;
use std::io;
use std::string::String;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::vec::Vec;

use super::disk::Disk;
use crate::storage::files::Fs;
use crate::storage::testing::SplitMix64;

/// The error inside every [`io::Error`] a [`CrashFs`] returns once its power is cut; the
/// file-backed storage maps it to [`StorageError::PowerLoss`](crate::storage::StorageError).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PowerCutError;

impl fmt::Display for PowerCutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("power cut (CrashFs)")
    }
}

impl core::error::Error for PowerCutError {}

/// Whether `error` is a [`CrashFs`] power cut.
pub(in crate::storage::files) fn is_power_cut(error: &io::Error) -> bool {
    error
        .get_ref()
        .is_some_and(|inner| inner.is::<PowerCutError>())
}

#[derive(Debug, Default)]
struct Inner {
    disk: Disk,
    /// Mutating operations still allowed before the cut; `None` for no limit.
    budget: Option<u64>,
    ops: u64,
    cut: bool,
}

/// An in-memory [`Fs`] that models what a power loss keeps, for power-cut tests.
///
/// Each file has durable and volatile contents: reads see the volatile ones; writes
/// ([`Fs::create`], [`Fs::write_at`]) change only them until [`Fs::sync`] or [`Fs::sync_data`]
/// of that file makes them durable. Names are the same: a created file's name and a rename are
/// volatile until [`Fs::sync_dir`]. [`CrashFs::crash`] returns the filesystem as a power loss
/// leaves it (only what is durable); [`CrashFs::crash_torn`] also keeps, seeded, a prefix of the
/// changes since the last sync of each file and of the directory, with the next one
/// half-applied, as a kernel writing back on its own may.
///
/// Every call of `create`, `write_at`, `sync`, `sync_data`, `rename` or `sync_dir` is one
/// mutating operation (whatever its result). [`CrashFs::cut_after`]`(n)` lets `n` complete and
/// fails the next one, and every later call (reads included), with an I/O error holding
/// [`PowerCutError`]; the cut operation has no effect.
///
/// Clones are handles on the same filesystem; it is `Send + Sync` and never panics. It models
/// neither permissions, nor a full disk, nor deleting files (the storage does not delete).
#[derive(Debug, Clone, Default)]
pub struct CrashFs {
    inner: Arc<Mutex<Inner>>,
}

fn power_cut() -> io::Error {
    io::Error::other(PowerCutError)
}

impl CrashFs {
    /// An empty filesystem, power on, no cut armed.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn from_disk(disk: Disk) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner {
                disk,
                ..Inner::default()
            })),
        }
    }

    /// Counting from now, let `n` mutating operations complete and cut the power at the next.
    pub fn cut_after(&self, n: u64) {
        self.lock().budget = Some(n);
    }

    /// Whether the power is cut.
    pub fn is_cut(&self) -> bool {
        self.lock().cut
    }

    /// Mutating operations made so far, the cut one excluded.
    pub fn ops(&self) -> u64 {
        self.lock().ops
    }

    /// The filesystem as a power loss now leaves it: the durable contents and names only, power
    /// on, no cut armed, the count of operations at 0. This handle's power is cut for good.
    pub fn crash(&self) -> Self {
        let mut inner = self.lock();
        inner.cut = true;
        Self::from_disk(inner.disk.crash(None))
    }

    /// As [`CrashFs::crash`], but keeping, drawn from `seed`, a prefix of the unsynced changes
    /// of each file and of the directory, the next one half-applied (a prefix of a write's
    /// bytes).
    pub fn crash_torn(&self, seed: u64) -> Self {
        let mut inner = self.lock();
        inner.cut = true;
        let mut rng = SplitMix64::new(seed);
        Self::from_disk(inner.disk.crash(Some(&mut rng)))
    }

    /// What a reader of `name` sees now (no power check), or `None` if there is no such file.
    pub fn contents(&self, name: &str) -> Option<Vec<u8>> {
        self.lock().disk.contents(name)
    }

    /// What [`CrashFs::crash`] would keep of `name` (no power check).
    pub fn durable_contents(&self, name: &str) -> Option<Vec<u8>> {
        self.lock().disk.durable_contents(name)
    }

    /// The names of the files a reader sees, sorted.
    pub fn names(&self) -> Vec<String> {
        self.lock().disk.names()
    }

    /// Make file `name` hold `bytes`, durably, name included (for damage tests): no power
    /// check, no operation counted.
    pub fn poke(&self, name: &str, bytes: &[u8]) {
        self.lock().disk.poke(name, bytes);
    }

    fn read<T>(&self, op: impl FnOnce(&Disk) -> io::Result<T>) -> io::Result<T> {
        let inner = self.lock();
        if inner.cut {
            return Err(power_cut());
        }
        op(&inner.disk)
    }

    fn mutate<T>(&self, op: impl FnOnce(&mut Disk) -> io::Result<T>) -> io::Result<T> {
        let mut inner = self.lock();
        if inner.cut {
            return Err(power_cut());
        }
        match inner.budget {
            Some(0) => {
                inner.cut = true;
                return Err(power_cut());
            }
            Some(n) => inner.budget = Some(n - 1),
            None => {}
        }
        inner.ops += 1;
        op(&mut inner.disk)
    }
}

impl Fs for CrashFs {
    fn read_at(&self, name: &str, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        self.read(|disk| disk.read_at(name, offset, buf))
    }

    fn create(&self, name: &str, data: &[u8]) -> io::Result<()> {
        self.mutate(|disk| disk.create(name, data))
    }

    fn write_at(&self, name: &str, offset: u64, data: &[u8]) -> io::Result<()> {
        self.mutate(|disk| disk.write_at(name, offset, data))
    }

    fn sync(&self, name: &str) -> io::Result<()> {
        self.mutate(|disk| disk.sync(name))
    }

    fn sync_data(&self, name: &str) -> io::Result<()> {
        self.mutate(|disk| disk.sync(name))
    }

    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        self.mutate(|disk| disk.rename(from, to))
    }

    fn sync_dir(&self) -> io::Result<()> {
        self.mutate(|disk| {
            disk.sync_dir();
            Ok(())
        })
    }
}
