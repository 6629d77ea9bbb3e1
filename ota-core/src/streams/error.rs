//! Why a stream message could not be encoded or decoded.

use core::fmt;

/// Why a stream message, bitmap or hex string was refused.
///
/// Each AWS limit has its own variant, so that a service double can answer with the matching
/// rejection code ([`super::StreamErrorCode::for_error`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError {
    /// The CBOR input is malformed, has the wrong type for a key, or has trailing bytes.
    #[error("invalid CBOR at byte {offset}: {kind}")]
    Cbor {
        /// What was wrong.
        kind: CborErrorKind,
        /// Byte offset in the input.
        offset: usize,
    },
    /// The JSON input is malformed or has the wrong type for a key (see [`crate::json`]).
    #[error("invalid JSON at byte {offset}: {kind:?}")]
    Json {
        /// What was wrong.
        kind: crate::json::ErrorKind,
        /// Byte offset in the input.
        offset: usize,
    },
    /// A required key is absent.
    #[error("missing key `{0}`")]
    MissingKey(&'static str),
    /// A key appears twice in one map.
    #[error("duplicate key `{0}`")]
    DuplicateKey(&'static str),
    /// The client token (`c`) is longer than 64 bytes.
    #[error("client token is longer than 64 bytes")]
    ClientTokenTooLong,
    /// The file id (`f`) is not 0-255.
    #[error("file id is not 0-255")]
    FileIdOutOfBounds,
    /// The block size (`l`) is not 256-131072 (a data block's payload: more than 131072).
    #[error("block size is not 256-131072")]
    BlockSizeOutOfBounds,
    /// The block offset (`o`) is above 98304.
    #[error("block offset is above 98304")]
    OffsetOutOfBounds,
    /// The block count (`n`) is above 98304.
    #[error("block count is above 98304")]
    BlockCountOutOfBounds,
    /// The bitmap (`b`) is 12288 bytes or longer.
    #[error("block bitmap is 12288 bytes or longer")]
    BitmapTooLong,
    /// A number without a named limit (stream version, file size, block id) does not fit
    /// in 32 bits; the key is given.
    #[error("value of `{0}` does not fit in 32 bits")]
    ValueOutOfRange(&'static str),
    /// A data block's `l` differs from the length of its payload.
    #[error("data block length does not match its payload")]
    PayloadLengthMismatch,
    /// A DescribeStream response lists more files than the caller's capacity.
    #[error("more files than the response can hold")]
    TooManyFiles,
    /// A data block's JSON payload is not valid standard base64.
    #[error("invalid base64 payload")]
    Base64,
    /// A bitmap hex string is not `0x` followed by an even number of hex digits.
    #[error("invalid hex bitmap")]
    BitmapHex,
    /// A block index lies before the bitmap offset or past the end of the bitmap.
    #[error("block is outside the bitmap")]
    BlockOutsideBitmap,
    /// More blocks than a [`super::BlockBitmap`] of this capacity can track.
    #[error("more blocks than the bitmap can track")]
    TooManyBlocks,
    /// The output buffer is too small; nothing useful was written.
    #[error("output buffer too small")]
    BufferTooSmall,
}

/// What was wrong with CBOR input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CborErrorKind {
    /// The input ended inside an item.
    EndOfInput,
    /// An item has the wrong major type for its key (or the top level is not a map).
    TypeMismatch,
    /// Not well-formed CBOR: a reserved value, a misplaced break, invalid UTF-8, a chunk of
    /// an indefinite-length string that is not of its type, a length that overflows.
    Malformed,
    /// Nesting deeper than [`super::MAX_CBOR_DEPTH`] in a skipped value.
    TooDeep,
    /// Bytes after the top-level map.
    TrailingBytes,
}

impl fmt::Display for CborErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::EndOfInput => "unexpected end of input",
            Self::TypeMismatch => "unexpected type",
            Self::Malformed => "malformed item",
            Self::TooDeep => "nested too deeply",
            Self::TrailingBytes => "trailing bytes",
        })
    }
}

impl StreamError {
    pub(crate) const fn cbor(kind: CborErrorKind, offset: usize) -> Self {
        Self::Cbor { kind, offset }
    }

    /// Classify a minicbor error; `fallback` is the offset when minicbor gives none.
    pub(crate) fn from_minicbor(e: &minicbor::decode::Error, fallback: usize) -> Self {
        let kind = if e.is_end_of_input() {
            CborErrorKind::EndOfInput
        } else if e.is_type_mismatch() {
            CborErrorKind::TypeMismatch
        } else {
            CborErrorKind::Malformed
        };
        Self::cbor(kind, e.position().unwrap_or(fallback))
    }

    pub(crate) fn from_json(e: &crate::json::Error) -> Self {
        Self::Json {
            kind: e.kind(),
            offset: e.offset(),
        }
    }
}
