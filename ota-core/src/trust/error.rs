//! [`RootError`]: why a root statement or a persisted root was refused.

use crate::manifest::Rejection;

/// Why a trust-root update (or a persisted root) was refused. Nothing is changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RootError {
    /// The statement is not strict base64 of at most [`super::MAX_ROOT_LEN`] bytes.
    #[error("root statement encoding is invalid")]
    Encoding,
    /// The statement is not a well-formed root statement (JSON, members, `type`).
    #[error("root statement is malformed")]
    Malformed,
    /// A role has no key, more keys than the device holds, or a threshold of 0 or above
    /// its keys.
    #[error("a role of the root statement has no keys, too many, or a bad threshold")]
    BadRole,
    /// A key does not decode or does not fit its algorithm.
    #[error("a key of the root statement is unusable")]
    BadKey,
    /// Signed for another product.
    #[error("root statement is for another product")]
    WrongProduct,
    /// Its version is not above the device's.
    #[error("root version {offered} is not newer than the device's {current}")]
    NotNewer {
        /// The device's root version.
        current: u32,
        /// The statement's.
        offered: u32,
    },
    /// The device's current root keys did not sign it to their threshold.
    #[error("root statement not signed by the current root keys: {0}")]
    NotAuthorized(Rejection),
    /// The statement's own root keys did not sign it to their threshold (they must, so
    /// that the next rotation can be signed).
    #[error("root statement not signed by its own root keys: {0}")]
    NotSelfSigned(Rejection),
    /// The encoded root does not fit the buffer it is stored in.
    #[error("root does not fit its record")]
    TooLarge,
    /// A persisted root does not decode.
    #[error("persisted root is corrupt")]
    Corrupt,
}
