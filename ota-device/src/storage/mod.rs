//! Firmware slot, boot flags and persistent state: the storage the client writes through.
//!
//! - [`FirmwareSlot`]: the area the new image is written to; as a [`BootControl`] also the
//!   hand-off to the bootloader (`mark_pending`, `boot_state`, `commit`, `roll_back`).
//!   [`NorFlashSlot`] builds one from an `embedded-storage` [`NorFlash`](embedded_storage::nor_flash::NorFlash)
//!   partition and a [`BootControl`] (the bootloader's flags).
//! - [`StateStore`]: a record of up to [`MAX_RECORD_LEN`] bytes that survives power loss.
//!   [`DualCopyStore`] implements it with two CRC-checked copies on NOR flash.
//! - [`Bank`]: one of a dual-bank device's two image banks, as `testing` and `files` name
//!   them.
//! - [`StorageError`]: one small `Copy` error for all of it; flash driver errors collapse into
//!   it through `NorFlashError::kind`.
//! - `files` (feature `files`, std): all of the above as files in one directory, written with
//!   fsync and atomic renames, for a device with a filesystem (a Linux process updating itself).
//!
//! # Power loss
//!
//! What each operation leaves behind when power fails in its middle:
//!
//! | operation | after a power loss |
//! |---|---|
//! | [`FirmwareSlot::erase`] | the range is undefined: erase it again |
//! | [`FirmwareSlot::write`] | the written bytes are undefined, the rest of the slot unchanged; rewriting needs an erase first |
//! | [`BootControl::mark_pending`], [`BootControl::commit`], [`BootControl::roll_back`] (every [`FirmwareSlot`] is a [`BootControl`]) | the flags are the old or the new ones; each call is idempotent, so check [`BootControl::boot_state`] after the reboot and call again |
//! | reset (the bootloader) | see [`BootState`]: an image that was not committed before a reset is reverted |
//! | [`StateStore::store`] | [`StateStore::load`] returns the old record or the new one, never a mix |
//!
//! Reads and `boot_state` write nothing. Nothing here allocates, erases implicitly or retries.
//!
//! The `testing` feature adds `testing`: RAM flash, a dual-bank bootloader and a state store,
//! all with power-cut injection.

mod bank;
pub(crate) mod crc;
mod dual_copy;
mod error;
#[cfg(feature = "files")]
pub mod files;
#[cfg(any(test, feature = "testing", feature = "files"))]
mod flag;
mod io;
mod nor_slot;
mod slot;
mod state;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use bank::Bank;
pub use dual_copy::DualCopyStore;
pub use error::StorageError;
pub use io::MAX_FLASH_UNIT;
pub use nor_slot::NorFlashSlot;
pub use slot::{BootControl, BootState, FirmwareSlot, HasBootControl};
pub use state::{MAX_RECORD_LEN, StateStore};
