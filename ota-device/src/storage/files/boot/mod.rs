//! [`FileBoot`]: the boot flags and the two image banks as files, with the bootloader's step
//! ([`FileBoot::reset`]).

use std::path::PathBuf;
use std::vec;
use std::vec::Vec;

use super::atomic::{read_small, replace};
use super::flags::{Flags, RECORD_LEN};
use super::fs::storage_error;
use super::{Bank, Fs, RealFs};
use crate::storage::{BootControl, BootState, StorageError};

#[cfg(test)]
mod tests;

/// Bytes of `0xFF` written per filesystem write when erasing or padding a bank.
const FILL_CHUNK: usize = 64 * 1024;

/// A dual-bank device as files: `bank-a.img` and `bank-b.img` of `capacity` bytes each, and
/// `boot.flags` saying which bank runs and in what [`BootState`] (with the optional security
/// counter).
///
/// As a [`BootControl`] it follows the table of [`BootState`]; every change rewrites
/// `boot.flags` atomically (`boot.flags.tmp`, fsync, rename, directory fsync: four filesystem
/// operations, a power loss leaves the old or the new flags), and a call that changes nothing
/// writes nothing, so each is idempotent. [`FileBoot::reset`] is the bootloader's step, which
/// a runner takes when it starts: pending → the other bank runs on trial; trial not committed
/// (or with `roll_back` requested) → back to the previous bank, rolled back.
///
/// Flags that are missing or fail their checks are unreadable: `boot_state`, `mark_pending`,
/// `commit`, `roll_back`, the security counter and [`FileBoot::reset`] fail with
/// [`StorageError::Corrupt`] and write nothing, and [`super::FileSlot`] refuses to erase or
/// write (the inactive bank may hold the fallback image). Unlike the simulated bootloader
/// (`storage::testing::SimBootloader`), which keeps the last committed bank outside its flags,
/// nothing here knows which bank to fall back to: the owner decides, with
/// [`FileBoot::repair`].
///
/// It does not check images (whatever the active bank holds runs), keeps nothing in memory
/// (every call reads the flags file again), and does not lock the directory against other
/// writers.
#[derive(Debug, Clone)]
pub struct FileBoot<F: Fs> {
    fs: F,
    capacity: u32,
}

impl<F: Fs> FileBoot<F> {
    /// The name of the flags file.
    pub const FLAGS: &'static str = "boot.flags";
    /// The name of the temporary file a flags change writes first.
    pub const FLAGS_TMP: &'static str = "boot.flags.tmp";

    /// The device in `fs`'s directory, with banks of `capacity` bytes. Reads and writes
    /// nothing: a directory that was never provisioned has unreadable flags (see
    /// [`FileBoot::is_provisioned`]).
    pub const fn open(fs: F, capacity: u32) -> Self {
        Self { fs, capacity }
    }

    /// Provision a device in `fs`'s directory: `image` (the factory image) in bank A, padded
    /// with `0xFF` to `capacity`; bank B all `0xFF`; flags saying bank A runs, committed, with
    /// a security counter starting at `counter` if `Some` (without one the device never has
    /// one).
    ///
    /// Overwrites whatever the directory holds under these names, in an order that survives a
    /// power loss: existing flags are first replaced by an empty (unreadable) file, and the
    /// new flags are written last, once the banks are durable. After a power loss in the
    /// middle the directory is as it was, or not provisioned
    /// ([`FileBoot::is_provisioned`] is false: provision again), or provisioned completely.
    ///
    /// # Errors
    /// [`StorageError::OutOfBounds`] if `image` is longer than `capacity` or `capacity` is 0
    /// (nothing written); I/O errors.
    pub fn provision(
        fs: F,
        capacity: u32,
        image: &[u8],
        counter: Option<u32>,
    ) -> Result<Self, StorageError> {
        if capacity == 0 || image.len() > capacity as usize {
            return Err(StorageError::OutOfBounds);
        }
        let mut boot = Self::open(fs, capacity);
        if read_small(&boot.fs, Self::FLAGS, &mut [0; 1])?.is_some() {
            replace(&boot.fs, Self::FLAGS_TMP, Self::FLAGS, &[])?;
        }
        for (bank, contents) in [(Bank::A, image), (Bank::B, &[][..])] {
            let name = bank.file_name();
            boot.fs.create(name, contents).map_err(storage_error)?;
            boot.fill(bank, contents.len() as u32, capacity)?;
            boot.fs.sync(name).map_err(storage_error)?;
        }
        boot.fs.sync_dir().map_err(storage_error)?;
        boot.write_flags(Flags::committed(Bank::A, counter))?;
        Ok(boot)
    }

    /// Whether the directory holds readable flags (a provisioned device that was not damaged).
    ///
    /// # Errors
    /// I/O errors.
    pub fn is_provisioned(&self) -> Result<bool, StorageError> {
        match self.flags() {
            Ok(_) => Ok(true),
            Err(StorageError::Corrupt) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The bootloader's step at a reset: apply the [`BootState`] transitions (pending → the
    /// other bank on trial; trial → the previous bank, rolled back; otherwise nothing), writing
    /// the new flags atomically. Returns the state the booted image sees.
    ///
    /// # Errors
    /// [`StorageError::Corrupt`] for unreadable flags (nothing written; see
    /// [`FileBoot::repair`]); I/O errors, after which the flags are the old or the new ones
    /// (a later reset redoes it).
    pub fn reset(&mut self) -> Result<BootState, StorageError> {
        self.update(|flags| Ok(flags.reset())).map(Flags::state)
    }

    /// Write fresh flags: `active` runs, committed, with the security counter `counter`. For
    /// recovering unreadable flags, by an owner who knows which bank holds a good image; it
    /// checks nothing and can lower the counter.
    ///
    /// # Errors
    /// I/O errors (the old or the new flags).
    pub fn repair(&mut self, active: Bank, counter: Option<u32>) -> Result<(), StorageError> {
        self.write_flags(Flags::committed(active, counter))
    }

    /// The bank that runs.
    ///
    /// # Errors
    /// [`StorageError::Corrupt`] for unreadable flags; I/O errors.
    pub fn active_bank(&self) -> Result<Bank, StorageError> {
        self.flags().map(|flags| flags.active)
    }

    /// The file name of the image that runs (of [`FileBoot::active_bank`]).
    ///
    /// # Errors
    /// As [`FileBoot::active_bank`].
    pub fn active_image_name(&self) -> Result<&'static str, StorageError> {
        self.active_bank().map(Bank::file_name)
    }

    /// Bytes per bank.
    pub const fn capacity(&self) -> u32 {
        self.capacity
    }

    /// Read `buf.len()` bytes of `bank` at `offset`. Bytes past the end of a short bank file
    /// read as `0xFF` (erased).
    ///
    /// # Errors
    /// [`StorageError::OutOfBounds`] past the capacity; I/O errors (a missing bank file
    /// included).
    pub fn read_bank(&self, bank: Bank, offset: u32, buf: &mut [u8]) -> Result<(), StorageError> {
        crate::storage::io::range_end(offset, buf.len(), self.capacity)?;
        let n = self
            .fs
            .read_at(bank.file_name(), u64::from(offset), buf)
            .map_err(storage_error)?;
        if let Some(rest) = buf.get_mut(n..) {
            rest.fill(0xFF);
        }
        Ok(())
    }

    /// The bytes of the running bank's manifest trailer region (see [`crate::trailer`]), for
    /// `Config::running_trailer`, with the erase size of [`super::FileSlot`]. Empty if the
    /// bank is too small to hold one. Does not check them (the client does).
    ///
    /// # Errors
    /// As [`FileBoot::active_bank`] and [`FileBoot::read_bank`].
    pub fn running_trailer(&self) -> Result<Vec<u8>, StorageError> {
        let region = crate::trailer::region(self.capacity, super::FileSlot::<F>::ERASE_SIZE);
        let Some((at, len)) = region else {
            return Ok(Vec::new());
        };
        let mut bytes = vec![0; len as usize];
        self.read_bank(self.active_bank()?, at, &mut bytes)?;
        Ok(bytes)
    }

    /// The filesystem.
    pub const fn fs(&self) -> &F {
        &self.fs
    }

    /// The filesystem back.
    pub fn into_fs(self) -> F {
        self.fs
    }

    /// The flags; [`StorageError::Corrupt`] if the file is missing or fails its checks.
    pub(super) fn flags(&self) -> Result<Flags, StorageError> {
        let mut raw = [0u8; RECORD_LEN + 1];
        let n = read_small(&self.fs, Self::FLAGS, &mut raw)?.ok_or(StorageError::Corrupt)?;
        raw.get(..n)
            .and_then(Flags::decode)
            .ok_or(StorageError::Corrupt)
    }

    fn write_flags(&mut self, flags: Flags) -> Result<(), StorageError> {
        replace(&self.fs, Self::FLAGS_TMP, Self::FLAGS, &flags.encode())
    }

    /// Read the flags, and write the ones `step` asks for (if any). Returns the flags now.
    fn update(
        &mut self,
        step: impl FnOnce(Flags) -> Result<Option<Flags>, StorageError>,
    ) -> Result<Flags, StorageError> {
        let flags = self.flags()?;
        match step(flags)? {
            Some(new) => self.write_flags(new).map(|()| new),
            None => Ok(flags),
        }
    }

    /// The bank the slot may write: the inactive one, while the flags allow.
    pub(super) fn writable_bank(&self) -> Result<Bank, StorageError> {
        match self.flags() {
            Ok(flags) if flags.inactive_writable() => Ok(flags.active.other()),
            Ok(_) | Err(StorageError::Corrupt) => Err(StorageError::WrongState),
            Err(e) => Err(e),
        }
    }

    /// The bank the slot reads: the inactive one.
    pub(super) fn inactive_bank(&self) -> Result<Bank, StorageError> {
        self.flags().map(|flags| flags.active.other())
    }

    /// Write `0xFF` over `[from, to)` of `bank`, in chunks; not synced.
    pub(super) fn fill(&self, bank: Bank, from: u32, to: u32) -> Result<(), StorageError> {
        let chunk = vec![0xFF; FILL_CHUNK.min(to.saturating_sub(from) as usize)];
        let mut at = from;
        while at < to {
            let n = chunk.len().min((to - at) as usize);
            self.fs
                .write_at(bank.file_name(), u64::from(at), &chunk[..n])
                .map_err(storage_error)?;
            at += n as u32;
        }
        Ok(())
    }
}

impl FileBoot<RealFs> {
    /// The path of the image that runs: what a runner executes after [`FileBoot::reset`].
    ///
    /// # Errors
    /// As [`FileBoot::active_bank`].
    pub fn active_image_path(&self) -> Result<PathBuf, StorageError> {
        let name = self.active_image_name()?;
        self.fs.path(name).map_err(storage_error)
    }
}

impl<F: Fs> BootControl for FileBoot<F> {
    fn mark_pending(&mut self) -> Result<(), StorageError> {
        self.update(Flags::mark_pending).map(drop)
    }

    fn boot_state(&mut self) -> Result<BootState, StorageError> {
        self.flags().map(Flags::state)
    }

    fn commit(&mut self) -> Result<(), StorageError> {
        self.update(Flags::commit).map(drop)
    }

    fn roll_back(&mut self) -> Result<(), StorageError> {
        self.update(|flags| Ok(flags.roll_back())).map(drop)
    }

    /// The counter in the flags file (`None` if the device was provisioned without one).
    fn security_counter(&mut self) -> Result<Option<u32>, StorageError> {
        self.flags().map(|flags| flags.counter)
    }

    /// Raise the counter in the flags file (atomically, with the flags); never lowers it.
    fn raise_security_counter(&mut self, to: u32) -> Result<(), StorageError> {
        self.update(|flags| Ok(flags.raise(to))).map(drop)
    }
}
