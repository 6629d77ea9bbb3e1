//! [`ReleaseError`]: why a release could not be built.

use ota_core::crypto::KeyId;
use ota_core::document::DocumentError;

use crate::signing::SigningError;

/// Why a release was refused. Each message is one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReleaseError {
    /// The image is empty (devices refuse size 0).
    #[error("image is empty")]
    EmptyImage,
    /// The image is larger than the format can describe.
    #[error("image of {size} bytes is larger than the {max} bytes this format allows")]
    ImageTooLarge {
        /// The image's size.
        size: u64,
        /// The format's limit.
        max: u64,
    },
    /// A field is empty or has a character the document cannot carry unescaped.
    #[error("{field}: {reason}")]
    BadField {
        /// The field's JSON name.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The manifest is longer than devices read.
    #[error("manifest of {len} bytes is longer than the {max} bytes devices accept")]
    ManifestTooLong {
        /// Its length.
        len: usize,
        /// `ota_core::manifest::MAX_MANIFEST_LEN`.
        max: usize,
    },
    /// Neither a stream nor a URL was given.
    #[error("no image location: give a stream id, a URL, or both")]
    NoLocation,
    /// The signer failed.
    #[error(transparent)]
    Signing(#[from] SigningError),
    /// The document is longer than AWS IoT Jobs accepts (the words of
    /// [`crate::DocumentTooLong`]).
    #[error("document too long: {len} bytes, at most {max}")]
    DocumentTooLong {
        /// Its length.
        len: usize,
        /// [`crate::MAX_DOCUMENT_LEN`].
        max: usize,
    },
    /// The document cannot take a cosignature (the reason says why).
    #[error("cannot co-sign: {0}")]
    NotCosignable(&'static str),
    /// The key already signed the document.
    #[error("key {0} already signed this document")]
    AlreadySigned(KeyId),
    /// The document already has as many cosignatures as devices read.
    #[error("the document already has {max} cosignatures, the most devices read")]
    TooManySignatures {
        /// `ota_core::document::MAX_COSIGNATURES`.
        max: usize,
    },
    /// The document just built does not read back as built, or its signature does not
    /// verify with the signer's public key. Nothing is returned.
    #[error("release self-check failed: {0}")]
    SelfCheck(String),
}

impl From<DocumentError> for ReleaseError {
    fn from(e: DocumentError) -> Self {
        Self::SelfCheck(e.to_string())
    }
}
