//! [`FileSlot`]: the inactive bank file of a [`FileBoot`] as a [`FirmwareSlot`].

use super::fs::storage_error;
use super::{FileBoot, Fs};
use crate::storage::io::range_end;
use crate::storage::{FirmwareSlot, HasBootControl, StorageError};

/// A [`FirmwareSlot`] over the bank file that is inactive at each call, with the boot flags of
/// its [`FileBoot`] (the [`BootControl`](crate::storage::BootControl) methods are the
/// `FileBoot`'s).
///
/// - `capacity` is the `FileBoot`'s; `erase_size` is [`FileSlot::ERASE_SIZE`]; the write unit
///   is one byte (there is nothing to pad).
/// - `erase` writes `0xFF` over the range, then `fdatasync`s the bank file; `write` writes the
///   data (`pwrite`), then `fdatasync`s: once either returns, what it wrote is durable, so the
///   client may persist its progress after it. A cut one leaves its range undefined.
/// - Both refuse with [`StorageError::WrongState`] while the flags say the inactive bank holds
///   a pending image or the fallback of a trial image, or cannot be read.
/// - `read` reads the inactive bank in any state; past the end of a short bank file it reads
///   `0xFF`.
///
/// It does not verify images, does not check that a write lands on erased bytes (a file can be
/// rewritten), and does not protect the bank against other processes writing the directory.
#[derive(Debug, Clone)]
pub struct FileSlot<F: Fs> {
    boot: FileBoot<F>,
}

impl<F: Fs> FileSlot<F> {
    /// Erase granularity, in bytes: the page size of most filesystems.
    pub const ERASE_SIZE: u32 = 4096;

    /// The slot of `boot`'s device.
    pub const fn new(boot: FileBoot<F>) -> Self {
        Self { boot }
    }

    /// The device.
    pub const fn boot(&self) -> &FileBoot<F> {
        &self.boot
    }

    /// The device, mutably.
    pub fn boot_mut(&mut self) -> &mut FileBoot<F> {
        &mut self.boot
    }

    /// The device back.
    pub fn into_boot(self) -> FileBoot<F> {
        self.boot
    }
}

impl<F: Fs> FirmwareSlot for FileSlot<F> {
    fn capacity(&self) -> u32 {
        self.boot.capacity()
    }

    fn erase_size(&self) -> u32 {
        Self::ERASE_SIZE
    }

    /// # Errors
    /// [`StorageError::OutOfBounds`], [`StorageError::NotAligned`] (`to` may be the capacity),
    /// [`StorageError::WrongState`], I/O errors.
    fn erase(&mut self, from: u32, to: u32) -> Result<(), StorageError> {
        let capacity = self.capacity();
        if from > to || to > capacity {
            return Err(StorageError::OutOfBounds);
        }
        let aligned = |at: u32| at.is_multiple_of(Self::ERASE_SIZE) || at == capacity;
        if !aligned(from) || !aligned(to) {
            return Err(StorageError::NotAligned);
        }
        let bank = self.boot.writable_bank()?;
        self.boot.fill(bank, from, to)?;
        let fs = self.boot.fs();
        fs.sync_data(bank.file_name()).map_err(storage_error)
    }

    /// # Errors
    /// [`StorageError::OutOfBounds`], [`StorageError::WrongState`], I/O errors.
    fn write(&mut self, offset: u32, data: &[u8]) -> Result<(), StorageError> {
        range_end(offset, data.len(), self.capacity())?;
        let bank = self.boot.writable_bank()?;
        let fs = self.boot.fs();
        let name = bank.file_name();
        fs.write_at(name, u64::from(offset), data)
            .map_err(storage_error)?;
        fs.sync_data(name).map_err(storage_error)
    }

    /// # Errors
    /// [`StorageError::OutOfBounds`], [`StorageError::Corrupt`] for unreadable flags, I/O
    /// errors.
    fn read(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), StorageError> {
        range_end(offset, buf.len(), self.capacity())?;
        let bank = self.boot.inactive_bank()?;
        self.boot.read_bank(bank, offset, buf)
    }
}

/// The flags are the [`FileBoot`]'s.
impl<F: Fs> HasBootControl for FileSlot<F> {
    type Boot = FileBoot<F>;

    fn boot_control(&mut self) -> &mut FileBoot<F> {
        &mut self.boot
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::files::Bank;
    use crate::storage::files::testing::CrashFs;
    use crate::storage::{BootControl, BootState};

    const CAPACITY: u32 = 3 * 4096 + 100;

    fn device() -> (CrashFs, FileSlot<CrashFs>) {
        let fs = CrashFs::new();
        let boot = FileBoot::provision(fs.clone(), CAPACITY, &[1; 5000], None).unwrap();
        (fs, FileSlot::new(boot))
    }

    #[test]
    fn geometry_and_bounds() {
        let (_, mut slot) = device();
        assert_eq!(slot.capacity(), CAPACITY);
        assert_eq!(slot.erase_size(), 4096);
        assert_eq!(slot.erase(4096, 0), Err(StorageError::OutOfBounds));
        assert_eq!(slot.erase(0, CAPACITY + 1), Err(StorageError::OutOfBounds));
        assert_eq!(slot.erase(1, 4096), Err(StorageError::NotAligned));
        assert_eq!(slot.erase(0, 4097), Err(StorageError::NotAligned));
        slot.erase(4096, CAPACITY).unwrap();
        assert_eq!(
            slot.write(CAPACITY - 1, &[0; 2]),
            Err(StorageError::OutOfBounds)
        );
        assert_eq!(
            slot.write(u32::MAX, &[0; 2]),
            Err(StorageError::OutOfBounds)
        );
        assert_eq!(
            slot.read(CAPACITY, &mut [0; 1]),
            Err(StorageError::OutOfBounds)
        );
        slot.read(CAPACITY, &mut []).unwrap();
    }

    #[test]
    fn erase_write_read_the_inactive_bank() {
        let (fs, mut slot) = device();
        slot.erase(0, 8192).unwrap();
        slot.write(0, &[2; 300]).unwrap();
        slot.write(300, &[3; 5]).unwrap();
        let mut buf = [0; 306];
        slot.read(0, &mut buf).unwrap();
        assert_eq!(&buf[..300], &[2; 300][..]);
        assert_eq!(&buf[300..305], &[3; 5]);
        assert_eq!(buf[305], 0xFF);
        let b = fs.contents(Bank::B.file_name()).unwrap();
        assert_eq!(b.len(), CAPACITY as usize);
        let a = fs.contents(Bank::A.file_name()).unwrap();
        assert_eq!(&a[..5000], &[1; 5000][..], "the running bank is untouched");
        assert!(a[5000..].iter().all(|&x| x == 0xFF));
    }

    #[test]
    fn written_blocks_and_erases_are_durable_when_the_call_returns() {
        let (fs, mut slot) = device();
        slot.write(0, &[9; 64]).unwrap();
        let fs = fs.crash();
        assert_eq!(fs.contents(Bank::B.file_name()).unwrap()[..64], [9; 64]);
        let mut slot = FileSlot::new(FileBoot::open(fs.clone(), CAPACITY));
        slot.erase(0, 4096).unwrap();
        let fs = fs.crash();
        assert_eq!(fs.contents(Bank::B.file_name()).unwrap()[..64], [0xFF; 64]);
    }

    #[test]
    fn short_bank_files_read_as_erased() {
        let (fs, mut slot) = device();
        fs.poke(Bank::B.file_name(), &[5; 10]);
        let mut buf = [0; 20];
        slot.read(0, &mut buf).unwrap();
        assert_eq!(buf[..10], [5; 10]);
        assert_eq!(buf[10..], [0xFF; 10]);
    }

    #[test]
    fn pending_and_fallback_banks_are_protected() {
        let (_, mut slot) = device();
        slot.write(0, &[2; 8]).unwrap();
        slot.mark_pending().unwrap();
        assert_eq!(slot.erase(0, 4096), Err(StorageError::WrongState));
        assert_eq!(slot.write(0, &[0; 8]), Err(StorageError::WrongState));
        assert_eq!(slot.commit(), Err(StorageError::WrongState));
        assert_eq!(slot.boot_mut().reset(), Ok(BootState::Trial));
        assert_eq!(slot.boot().active_bank(), Ok(Bank::B));
        assert_eq!(slot.write(0, &[0; 8]), Err(StorageError::WrongState));
        let mut buf = [0; 8];
        slot.read(0, &mut buf).unwrap();
        assert_eq!(buf, [1; 8], "the fallback image, in bank A");
        slot.commit().unwrap();
        slot.erase(0, 4096).unwrap();
        slot.read(0, &mut buf).unwrap();
        assert_eq!(buf, [0xFF; 8]);
    }

    #[test]
    fn unreadable_flags_refuse_writes_and_reads() {
        let (fs, mut slot) = device();
        fs.poke(FileBoot::<CrashFs>::FLAGS, b"junk");
        let ops = fs.ops();
        assert_eq!(slot.erase(0, 4096), Err(StorageError::WrongState));
        assert_eq!(slot.write(0, &[0; 8]), Err(StorageError::WrongState));
        assert_eq!(slot.read(0, &mut [0; 8]), Err(StorageError::Corrupt));
        assert_eq!(slot.boot_state(), Err(StorageError::Corrupt));
        assert_eq!(fs.ops(), ops, "nothing written");
    }

    #[test]
    fn io_errors_are_errors() {
        let (fs, mut slot) = device();
        fs.cut_after(1);
        assert_eq!(slot.write(0, &[0; 8]), Err(StorageError::PowerLoss));
        assert_eq!(slot.read(0, &mut [0; 8]), Err(StorageError::PowerLoss));
        assert_eq!(slot.erase(0, 4096), Err(StorageError::PowerLoss));
    }
}
