//! The crate's one error type: every module error, by category.

use crate::crypto::{CryptoError, ImageError};
use crate::document::DocumentError;
use crate::jobs::{DetailsError, NameError, StepTimeoutError, TopicError};
use crate::manifest::Rejection;
use crate::streams::{StreamError, StreamTopicError};
use crate::version::VersionError;

/// Any error from this crate. Each module also returns its own precise error type; this
/// one exists so callers can use `?` across modules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// JSON syntax or data error.
    #[error(transparent)]
    Json(#[from] crate::json::Error),
    /// A thing name, job id, stream id or client token breaks a limit.
    #[error(transparent)]
    Name(#[from] NameError),
    /// A Jobs topic could not be parsed or written.
    #[error(transparent)]
    Topic(#[from] TopicError),
    /// A `statusDetails` entry breaks a limit.
    #[error(transparent)]
    Details(#[from] DetailsError),
    /// A step timeout out of range.
    #[error(transparent)]
    StepTimeout(#[from] StepTimeoutError),
    /// A version string is malformed.
    #[error(transparent)]
    Version(#[from] VersionError),
    /// A job document failed validation.
    #[error(transparent)]
    Document(#[from] DocumentError),
    /// A key, signature or base64 text was refused, or a signature did not verify.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// An image did not match its expected length or digest.
    #[error(transparent)]
    Image(#[from] ImageError),
    /// A code-signing certificate chain was refused (feature `x509`).
    #[cfg(feature = "x509")]
    #[error(transparent)]
    X509(#[from] crate::x509::X509Error),
    /// A signed manifest was refused.
    #[error(transparent)]
    Manifest(#[from] Rejection),
    /// A stream message, bitmap or hex string could not be encoded or decoded.
    #[error(transparent)]
    Stream(#[from] StreamError),
    /// A stream topic could not be parsed or written.
    #[error(transparent)]
    StreamTopic(#[from] StreamTopicError),
}
