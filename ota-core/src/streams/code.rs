//! The error codes of `streams/…/rejected` messages.

use core::fmt;

use super::error::StreamError;

/// An error code from a `rejected` message (key `o`, formerly `code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum StreamErrorCode<'a> {
    /// The request was published to a malformed topic.
    InvalidTopic,
    /// The JSON request could not be parsed.
    InvalidJson,
    /// The CBOR request could not be parsed.
    InvalidCbor,
    /// The request is well-formed but not valid (e.g. a missing file id).
    InvalidRequest,
    /// The device may not read this stream.
    Unauthorized,
    /// `l` is outside 256-131072.
    BlockSizeOutOfBounds,
    /// `o` is out of range (or past the end of the file).
    OffsetOutOfBounds,
    /// `n` is too large.
    BlockCountLimitExceeded,
    /// `b` is too long.
    BlockBitmapLimitExceeded,
    /// The stream or file does not exist.
    ResourceNotFound,
    /// `s` differs from the stream's current version.
    VersionMismatch,
    /// The stream changed while it was being read.
    ETagMismatch,
    /// The service failed; the request may be retried.
    InternalError,
    /// A code this crate does not know, with its text. In JSON, an unknown code spelled
    /// with escapes cannot be borrowed and is kept as `Unknown("")`.
    Unknown(&'a str),
}

const KNOWN: [(StreamErrorCode<'static>, &str); 13] = [
    (StreamErrorCode::InvalidTopic, "InvalidTopic"),
    (StreamErrorCode::InvalidJson, "InvalidJson"),
    (StreamErrorCode::InvalidCbor, "InvalidCbor"),
    (StreamErrorCode::InvalidRequest, "InvalidRequest"),
    (StreamErrorCode::Unauthorized, "Unauthorized"),
    (
        StreamErrorCode::BlockSizeOutOfBounds,
        "BlockSizeOutOfBounds",
    ),
    (StreamErrorCode::OffsetOutOfBounds, "OffsetOutOfBounds"),
    (
        StreamErrorCode::BlockCountLimitExceeded,
        "BlockCountLimitExceeded",
    ),
    (
        StreamErrorCode::BlockBitmapLimitExceeded,
        "BlockBitmapLimitExceeded",
    ),
    (StreamErrorCode::ResourceNotFound, "ResourceNotFound"),
    (StreamErrorCode::VersionMismatch, "VersionMismatch"),
    (StreamErrorCode::ETagMismatch, "ETagMismatch"),
    (StreamErrorCode::InternalError, "InternalError"),
];

impl<'a> StreamErrorCode<'a> {
    /// The code for `text`; [`StreamErrorCode::Unknown`] if it is none of the 13 documented
    /// codes (compared exactly, case-sensitive).
    pub fn from_text(text: &'a str) -> Self {
        Self::known(text).unwrap_or(Self::Unknown(text))
    }

    /// One of the 13 documented codes, or `None`.
    pub(crate) fn known(text: &str) -> Option<Self> {
        KNOWN
            .iter()
            .find(|(_, name)| *name == text)
            .map(|&(code, _)| code)
    }

    /// The code as sent on the wire.
    pub fn as_str(&self) -> &'a str {
        match self {
            Self::Unknown(text) => text,
            known => KNOWN
                .iter()
                .find(|(c, _)| c == known)
                .map_or("", |&(_, name)| name),
        }
    }

    /// Whether sending the same request again may succeed: only for `InternalError`.
    ///
    /// Every other documented code needs a different request (block size, offset, version)
    /// or will not change (authorization, missing resource). Unknown codes are not retryable.
    pub const fn is_retryable(&self) -> bool {
        matches!(self, Self::InternalError)
    }

    /// The code a service answers with when a request fails to decode with `error`.
    pub const fn for_error(error: &StreamError) -> Self {
        match error {
            StreamError::Cbor { .. } => Self::InvalidCbor,
            StreamError::Json { .. } => Self::InvalidJson,
            StreamError::BlockSizeOutOfBounds => Self::BlockSizeOutOfBounds,
            StreamError::OffsetOutOfBounds => Self::OffsetOutOfBounds,
            StreamError::BlockCountOutOfBounds => Self::BlockCountLimitExceeded,
            StreamError::BitmapTooLong => Self::BlockBitmapLimitExceeded,
            StreamError::BufferTooSmall => Self::InternalError,
            _ => Self::InvalidRequest,
        }
    }
}

impl fmt::Display for StreamErrorCode<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_thirteen_codes_round_trip() {
        for (code, name) in KNOWN {
            assert_eq!(StreamErrorCode::from_text(name), code);
            assert_eq!(code.as_str(), name);
            assert_eq!(code.is_retryable(), name == "InternalError");
        }
        let other = StreamErrorCode::from_text("Throttled");
        assert_eq!(other, StreamErrorCode::Unknown("Throttled"));
        assert_eq!(other.as_str(), "Throttled");
        assert!(!other.is_retryable());
        assert_eq!(
            StreamErrorCode::from_text("invalidjson"),
            StreamErrorCode::Unknown("invalidjson")
        );
    }

    #[test]
    fn maps_decode_errors_to_codes() {
        use crate::json::ErrorKind;
        let json = StreamError::Json {
            kind: ErrorKind::Syntax,
            offset: 0,
        };
        assert_eq!(
            StreamErrorCode::for_error(&json),
            StreamErrorCode::InvalidJson
        );
        assert_eq!(
            StreamErrorCode::for_error(&StreamError::BlockCountOutOfBounds),
            StreamErrorCode::BlockCountLimitExceeded
        );
        assert_eq!(
            StreamErrorCode::for_error(&StreamError::MissingKey("f")),
            StreamErrorCode::InvalidRequest
        );
    }
}
