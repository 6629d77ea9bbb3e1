//! Storage doubles with power-cut injection, for tests and simulators (feature `testing`).
//!
//! One [`PowerCut`] is the power supply of one simulated device; every double of that device
//! holds a clone and spends one operation of it per mutating call (flash write or erase,
//! boot-flag write). A typical exhaustive power-loss test:
//!
//! ```
//! use ota_device::storage::testing::{MemStateStore, PowerCut};
//! use ota_device::storage::{MAX_RECORD_LEN, StateStore, StorageError};
//!
//! fn scenario(store: &mut MemStateStore) -> Result<(), StorageError> {
//!     store.store(b"old")?;
//!     store.store(b"new")
//! }
//!
//! // Count the mutating operations of a clean run...
//! let clean = PowerCut::unlimited();
//! scenario(&mut MemStateStore::new(clean.clone())).unwrap();
//! // ... then cut (here: tear) each of them in turn.
//! for k in 0..clean.ops() {
//!     let power = PowerCut::torn_after(k);
//!     let mut store = MemStateStore::new(power.clone());
//!     assert_eq!(scenario(&mut store), Err(StorageError::PowerLoss));
//!     power.restore(); // the power comes back; the firmware starts afresh
//!     let mut rebooted = store.reopen();
//!     let mut buf = [0; MAX_RECORD_LEN];
//!     let loaded = rebooted.load(&mut buf).unwrap().map(|n| &buf[..n]);
//!     assert!(matches!(loaded, None | Some(b"old") | Some(b"new")));
//! }
//! ```
//!
//! All doubles share their memory through handles (`Arc<Mutex<..>>`), are `Send`, and never
//! panic on any sequence of operations.

mod boot;
mod mem_flash;
mod power;
mod state_store;

pub use boot::{Bank, InactiveBank, SimBootControl, SimBootloader, SimSlot};
pub use mem_flash::{MemFlash, ReadFault};
pub use power::{CutMode, Mutation, PowerCut, SplitMix64};
pub use state_store::MemStateStore;
