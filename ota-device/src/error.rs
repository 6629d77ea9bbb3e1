//! The client's error type.

use crate::storage::StorageError;

/// Why a call into the client was refused. The client's state is unchanged by a refused
/// call: a bad message is dropped, not half-applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// The configuration has an out-of-range setting (block size, window, retries), or a
    /// stream format this build does not speak (JSON without the `json-streams` feature).
    #[error("invalid client configuration")]
    BadConfig,
    /// The buffers given to the client are too small.
    #[error("client buffers too small")]
    BuffersTooSmall,
    /// The topic is not one this client subscribes to, or names another thing.
    #[error("topic is not for this client")]
    UnknownTopic,
    /// The payload could not be parsed.
    #[error("malformed payload")]
    Malformed,
    /// The message is valid but stale, duplicated or for another job; ignored.
    #[error("message ignored (stale, duplicate or for another job)")]
    Ignored,
    /// The call does not fit the client's state (e.g. a self-test result when none was
    /// asked for, HTTP data during an MQTT download).
    #[error("call not expected in the current state")]
    UnexpectedCall,
    /// Flash or state storage failed (the update in progress is failed and reported).
    #[error("storage: {0}")]
    Storage(StorageError),
}

impl From<StorageError> for Error {
    fn from(e: StorageError) -> Self {
        Self::Storage(e)
    }
}
