//! Test support for the file-backed storage (feature `testing`): [`CrashFs`], an in-memory
//! filesystem that models what a power loss keeps, with a power cut after any number of
//! mutating operations.
//!
//! An exhaustive power-loss test of the state store:
//!
//! ```
//! use ota_device::storage::files::FileStateStore;
//! use ota_device::storage::files::testing::CrashFs;
//! use ota_device::storage::{MAX_RECORD_LEN, StateStore, StorageError};
//!
//! fn scenario(store: &mut FileStateStore<CrashFs>) -> Result<(), StorageError> {
//!     store.store(b"old")?;
//!     store.store(b"new")
//! }
//!
//! // Count the mutating operations of a clean run...
//! let clean = CrashFs::new();
//! scenario(&mut FileStateStore::new(clean.clone())).unwrap();
//! // ... then cut the power at each of them in turn, and crash.
//! for k in 0..clean.ops() {
//!     let fs = CrashFs::new();
//!     fs.cut_after(k);
//!     assert_eq!(scenario(&mut FileStateStore::new(fs.clone())), Err(StorageError::PowerLoss));
//!     let mut rebooted = FileStateStore::new(fs.crash_torn(k));
//!     let mut buf = [0; MAX_RECORD_LEN];
//!     let loaded = rebooted.load(&mut buf).unwrap().map(|n| &buf[..n]);
//!     assert!(matches!(loaded, None | Some(b"old") | Some(b"new")));
//! }
//! ```

mod crash_fs;
mod disk;
#[cfg(test)]
mod tests;

pub(super) use crash_fs::is_power_cut;
pub use crash_fs::{CrashFs, PowerCutError};
