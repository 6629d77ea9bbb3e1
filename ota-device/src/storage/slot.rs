//! [`FirmwareSlot`]: where the new image is written; [`BootControl`]: the boot flags that hand
//! it to the bootloader (every slot has them); [`BootState`]: what those flags say.

use super::StorageError;

/// What the boot flags say about the running image.
///
/// Transitions (an implementation of [`BootControl`] or [`FirmwareSlot`] must follow them;
/// every arrow not listed leaves the state unchanged):
///
/// | from | `mark_pending` | reset | `commit` | `roll_back` |
/// |---|---|---|---|---|
/// | `Normal` | `Pending` | `Normal` | `Normal` | `Normal` |
/// | `Pending` | `Pending` | `Trial` (new image) | error | `Normal` (cancelled) |
/// | `Trial` | error | `RolledBack` (old image) | `Normal` (error after `roll_back`) | `Trial`, reverted at reset |
/// | `RolledBack` | `Pending` | `RolledBack` | `Normal` | `RolledBack` |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BootState {
    /// Running a committed image; nothing pending.
    Normal,
    /// `mark_pending` is done; the slot's image boots on trial at the next reset.
    Pending,
    /// Running an uncommitted image booted on trial: `commit` keeps it; a reset without
    /// `commit` (or after `roll_back`) reverts to the previous image.
    Trial,
    /// The bootloader reverted an uncommitted image (at a reset in `Trial`) and runs the
    /// previous, committed one. Stays until `commit` (which acknowledges it) or the next
    /// `mark_pending`, so a power loss right after the revert cannot hide it.
    RolledBack,
}

/// Where the client writes the new image; the hand-off to the bootloader is its
/// [`BootControl`] side.
///
/// Offsets are bytes from the start of the slot. The slot is written by the client only,
/// block by block into an area it erased first; the implementation never erases implicitly.
///
/// # Power loss
///
/// - `erase`: the contents of the range are undefined; erase it again.
/// - `write`: the bytes of this write are undefined; the rest of the slot is unchanged. A
///   resumed download must erase again any sector holding bytes written after the last
///   persisted progress (and rewrite the persisted blocks sharing those sectors) before writing
///   there: flash is never written twice between erases.
/// - the boot flags: as [`BootControl`].
pub trait FirmwareSlot: BootControl {
    /// Bytes an image may occupy.
    fn capacity(&self) -> u32;

    /// Erase granularity: `erase` ranges are multiples of it.
    fn erase_size(&self) -> u32;

    /// Erase `[from, to)` (both multiples of [`Self::erase_size`]; `to` may be the capacity),
    /// leaving it `0xFF`.
    ///
    /// # Errors
    /// [`StorageError::NotAligned`], [`StorageError::OutOfBounds`] (also for `from > to`), flash
    /// errors; implementations may refuse with [`StorageError::WrongState`] while the slot holds
    /// a pending image or the fallback of a trial image.
    fn erase(&mut self, from: u32, to: u32) -> Result<(), StorageError>;

    /// Write `data` at `offset` into an erased area.
    ///
    /// The client's rule: blocks are written in increasing offsets that are multiples of the
    /// block size, where the block size is at least 256 and a multiple of the flash's write unit
    /// (a multiple of 8 suits most microcontrollers; [`super::NorFlashSlot::write_size`] says);
    /// every block is full except possibly the last of the file. The implementation pads a
    /// short final write unit with `0xFF`, so nothing may be written after a short block (until
    /// an erase). It does not check that the area is erased, nor verify what it wrote.
    ///
    /// # Errors
    /// [`StorageError::NotAligned`] if `offset` is not a multiple of the write unit,
    /// [`StorageError::OutOfBounds`], flash errors, and as for [`Self::erase`].
    fn write(&mut self, offset: u32, data: &[u8]) -> Result<(), StorageError>;

    /// Read `buf.len()` bytes at `offset` (any offset and length).
    ///
    /// # Errors
    /// [`StorageError::OutOfBounds`], flash errors.
    fn read(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), StorageError>;
}

/// The boot flags (MCUboot / embassy-boot style): the hand-off of a written image to the
/// bootloader, the trial boot, and the commit or revert that ends it.
///
/// # Power loss
///
/// `mark_pending`, `commit`, `roll_back`: each writes the boot flags atomically: after a power
/// loss the flags are either the old or the new ones. All three are idempotent, so the client
/// calls them again after the reboot if [`BootControl::boot_state`] shows they did not land.
pub trait BootControl {
    /// Boot the written image once, on trial, at the next reset. Does not check the image.
    ///
    /// # Errors
    /// [`StorageError::WrongState`] in [`BootState::Trial`]; flag storage errors.
    fn mark_pending(&mut self) -> Result<(), StorageError>;

    /// What the boot flags say now. Writes nothing.
    ///
    /// # Errors
    /// Flag storage errors, [`StorageError::Corrupt`] if the flags are unreadable.
    fn boot_state(&mut self) -> Result<BootState, StorageError>;

    /// Make the running trial image permanent (in [`BootState::RolledBack`]: acknowledge the
    /// revert; in [`BootState::Normal`]: nothing to do).
    ///
    /// # Errors
    /// [`StorageError::WrongState`] in [`BootState::Pending`] or after `roll_back` in
    /// [`BootState::Trial`]; flag storage errors.
    fn commit(&mut self) -> Result<(), StorageError>;

    /// Make the next reset boot the previous image: in [`BootState::Trial`] the revert happens
    /// at the reset; in [`BootState::Pending`] the mark is cancelled. Otherwise nothing to do.
    ///
    /// # Errors
    /// Flag storage errors.
    fn roll_back(&mut self) -> Result<(), StorageError>;

    /// The device's monotonic anti-rollback counter: OTP fuses, a hardware counter, a
    /// separate flash sector (as MCUboot's `boot_nv_security_counter_get`). `Ok(None)` when the
    /// device has none, which is the default. The client takes its floor at least from it,
    /// so a lost state record cannot lower the floor.
    ///
    /// # Errors
    /// Counter storage errors.
    fn security_counter(&mut self) -> Result<Option<u32>, StorageError> {
        Ok(None)
    }

    /// Raise the counter to at least `to`; never lowers it (a smaller `to` changes nothing).
    /// The client calls it only after `commit`, so that a bootloader that enforces the
    /// counter never meets a fallback image below it. Without a counter: nothing to do (the
    /// default). Power loss: the old or the new value.
    ///
    /// # Errors
    /// Counter storage errors.
    fn raise_security_counter(&mut self, to: u32) -> Result<(), StorageError> {
        let _ = to;
        Ok(())
    }
}

/// A type whose boot flags are a [`BootControl`] it holds, such as a slot made of a flash and
/// boot flags ([`super::NorFlashSlot`], `FileSlot`) or a `&mut` borrow: it is a [`BootControl`]
/// that hands every call to the one held.
pub trait HasBootControl {
    /// The boot flags held.
    type Boot: BootControl + ?Sized;

    /// The boot flags held, mutably.
    fn boot_control(&mut self) -> &mut Self::Boot;
}

/// The flags are the held [`BootControl`]'s.
impl<T: HasBootControl> BootControl for T {
    fn mark_pending(&mut self) -> Result<(), StorageError> {
        self.boot_control().mark_pending()
    }
    fn boot_state(&mut self) -> Result<BootState, StorageError> {
        self.boot_control().boot_state()
    }
    fn commit(&mut self) -> Result<(), StorageError> {
        self.boot_control().commit()
    }
    fn roll_back(&mut self) -> Result<(), StorageError> {
        self.boot_control().roll_back()
    }
    fn security_counter(&mut self) -> Result<Option<u32>, StorageError> {
        self.boot_control().security_counter()
    }
    fn raise_security_counter(&mut self, to: u32) -> Result<(), StorageError> {
        self.boot_control().raise_security_counter(to)
    }
}

impl<T: BootControl + ?Sized> HasBootControl for &mut T {
    type Boot = T;

    fn boot_control(&mut self) -> &mut T {
        self
    }
}

impl<T: FirmwareSlot + ?Sized> FirmwareSlot for &mut T {
    fn capacity(&self) -> u32 {
        T::capacity(self)
    }
    fn erase_size(&self) -> u32 {
        T::erase_size(self)
    }
    fn erase(&mut self, from: u32, to: u32) -> Result<(), StorageError> {
        T::erase(self, from, to)
    }
    fn write(&mut self, offset: u32, data: &[u8]) -> Result<(), StorageError> {
        T::write(self, offset, data)
    }
    fn read(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), StorageError> {
        T::read(self, offset, buf)
    }
}
