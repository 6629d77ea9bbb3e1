//! File-backed, power-safe storage (feature `files`, std): the state record, the boot flags and
//! two image banks as files in one directory, for a device with a filesystem, such as a Linux
//! process that updates itself.
//!
//! The directory holds:
//!
//! | file | holds | written |
//! |---|---|---|
//! | `state.rec` | the client's state record ([`FileStateStore`]) | replaced atomically: `state.tmp`, fsync, rename, directory fsync |
//! | `boot.flags` | the boot flags and the optional security counter ([`FileBoot`]) | replaced atomically: `boot.flags.tmp`, fsync, rename, directory fsync |
//! | `bank-a.img`, `bank-b.img` | the two image banks ([`Bank`]), `capacity` bytes each | the inactive one through [`FileSlot`]: `pwrite`, then `fdatasync` |
//!
//! The bootloader's part is [`FileBoot::reset`]: a runner calls it when it starts (as a
//! bootloader runs at every reset), then runs the image of [`FileBoot::active_bank`]
//! ([`FileBoot::active_image_path`]). The client gets a [`FileSlot`] (the inactive bank, and
//! the flags through [`FileBoot`]) and a [`FileStateStore`].
//!
//! All I/O goes through [`Fs`], the seven filesystem operations this needs: [`RealFs`] does them
//! with `std::fs` in one directory; `testing::CrashFs` (feature `testing`) keeps the files in
//! memory and models what a power loss keeps of them, for exhaustive power-cut tests.
//!
//! # Power loss
//!
//! The promises of the storage traits (see [`crate::storage`]) hold on a filesystem that keeps
//! what `fsync` made durable, a rename atomic, and a directory entry once the directory is
//! fsynced (ext4, XFS, btrfs, F2FS do):
//!
//! | operation | after a power loss |
//! |---|---|
//! | [`FileStateStore::store`](crate::storage::StateStore::store) | the old or the new record |
//! | `mark_pending`, `commit`, `roll_back`, `raise_security_counter`, [`FileBoot::reset`] | the old or the new flags |
//! | [`FileSlot`] `write` | once it returns, the block is durable; a cut one is undefined |
//! | [`FileSlot`] `erase` | once it returns, the range is durably `0xFF`; a cut one is undefined |
//!
//! # What this does not do
//!
//! - Verify images: whatever the active bank holds runs (the client verifies before it marks
//!   an image pending).
//! - Guard the directory against other processes or a second instance: one process owns it;
//!   anything else writing there voids the promises (a damaged flags file then reads as
//!   [`StorageError::Corrupt`](crate::storage::StorageError::Corrupt), a damaged state file as
//!   no record).
//! - Survive a filesystem or medium that lies about `fsync`, or losing the whole directory.
//! - Wear-level, cache, or retry: every call reads or writes the files again.

mod atomic;
mod bank;
mod boot;
mod flags;
mod fs;
mod real;
mod slot;
mod state;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use bank::Bank;
pub use boot::FileBoot;
pub use fs::Fs;
pub use real::RealFs;
pub use slot::FileSlot;
pub use state::FileStateStore;
