//! Firmware slot and persistent-state storage (placeholder traits until the storage layer
//! lands).

mod error;
mod slot;
mod state;

pub use error::StorageError;
pub use slot::{BootState, FirmwareSlot};
pub use state::{MAX_RECORD_LEN, StateStore};
