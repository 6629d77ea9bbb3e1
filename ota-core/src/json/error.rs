//! [`Error`] and [`ErrorKind`]: what went wrong in JSON and where (a byte offset). Without
//! `alloc` no message text is kept, so no formatting code reaches firmware.

use core::fmt;
#[cfg(feature = "alloc")]
use core::fmt::Write;

use serde::de::{Expected, Unexpected};

/// What went wrong while parsing or writing JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input ended inside a value.
    Eof,
    /// A character that cannot start or continue a value here.
    Syntax,
    /// A number that is not RFC 8259 grammar, or does not fit the target type; without the
    /// `alloc` feature also a non-integer where a value is wanted (see the
    /// [module docs](super)).
    Number,
    /// A string with a raw control character, a bad escape or invalid UTF-8.
    String,
    /// A string longer, once decoded, than the limit of what it is read into: a job id over
    /// 64 bytes, a `statusDetails` value over 1024, or an escaped string over
    /// [`super::MAX_UNESCAPED_LEN`] read by a consumer that needs it whole (an owned string).
    StringTooLong,
    /// Nesting deeper than [`super::MAX_DEPTH`].
    TooDeep,
    /// Non-whitespace after the top-level value.
    TrailingCharacters,
    /// The value has the wrong JSON type for the target, or a field is missing, unknown,
    /// duplicated or out of range (with `alloc`, the message says which).
    Data,
    /// The output buffer is too small.
    BufferFull,
}

/// A JSON error: its kind, the byte offset where it was detected and, for data errors with
/// the `alloc` feature, the first 64 bytes of serde's message (e.g. ``missing field
/// `filesize` ``).
///
/// Without `alloc` the message is always empty: serde's messages are never formatted, which
/// keeps `core::fmt` and serde's message texts out of firmware (about 31 KB on Cortex-M).
/// The kind and offset are the same in both builds.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    offset: usize,
    #[cfg(feature = "alloc")]
    message: heapless::String<64>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, offset: usize) -> Self {
        Self {
            kind,
            offset,
            #[cfg(feature = "alloc")]
            message: heapless::String::new(),
        }
    }

    /// An error with `message` kept as its message when the `alloc` feature keeps messages
    /// (dropped without it).
    pub(crate) fn with_message(kind: ErrorKind, offset: usize, message: &str) -> Self {
        #[cfg(feature = "alloc")]
        {
            let mut error = Self::new(kind, offset);
            let _ = Truncating(&mut error.message).write_str(message);
            error
        }
        #[cfg(not(feature = "alloc"))]
        {
            let _ = message;
            Self::new(kind, offset)
        }
    }

    /// An error whose message is `args`, formatted (only with the `alloc` feature).
    #[cfg(feature = "alloc")]
    pub(crate) fn with_args(kind: ErrorKind, offset: usize, args: fmt::Arguments<'_>) -> Self {
        let mut error = Self::new(kind, offset);
        let _ = Truncating(&mut error.message).write_fmt(args);
        error
    }

    pub(crate) fn at(mut self, offset: usize) -> Self {
        if self.offset == usize::MAX {
            self.offset = offset;
        }
        self
    }

    /// Convert a `serde_json` error, keeping its category and message (its position is
    /// line/column based, so the offset is 0).
    #[cfg(feature = "alloc")]
    pub fn from_serde_json(e: &serde_json::Error) -> Self {
        use serde_json::error::Category;
        let kind = match e.classify() {
            Category::Io | Category::Syntax => ErrorKind::Syntax,
            Category::Data => ErrorKind::Data,
            Category::Eof => ErrorKind::Eof,
        };
        let mut error = Self::new(kind, 0);
        let _ = write!(Truncating(&mut error.message), "{e}");
        error
    }

    /// The kind of error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Byte offset in the input where the error was detected.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// serde's description for [`ErrorKind::Data`] errors (truncated), else empty; always
    /// empty without the `alloc` feature.
    pub fn message(&self) -> &str {
        #[cfg(feature = "alloc")]
        return &self.message;
        #[cfg(not(feature = "alloc"))]
        ""
    }
}

/// Collects a message, silently truncating at capacity.
#[cfg(feature = "alloc")]
struct Truncating<'a>(&'a mut heapless::String<64>);

#[cfg(feature = "alloc")]
impl Write for Truncating<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for c in s.chars() {
            if self.0.push(c).is_err() {
                break;
            }
        }
        Ok(())
    }
}

/// What a length-limited value reports when its decoded text is over its limit
/// ([`too_long`]); recognized by this crate's [`Error`] as [`ErrorKind::StringTooLong`].
const TOO_LONG: Unexpected<'static> = Unexpected::Other("a string longer than its limit");

/// The error a `Deserialize` impl returns for a string whose decoded text is over its limit:
/// [`ErrorKind::StringTooLong`] with this crate's parser, an "invalid value" data error with
/// others.
pub(crate) fn too_long<E: serde::de::Error>(expected: &dyn Expected) -> E {
    E::invalid_value(TOO_LONG, expected)
}

impl serde::de::Error for Error {
    #[cfg(feature = "alloc")]
    fn invalid_value(unexpected: Unexpected<'_>, expected: &dyn Expected) -> Self {
        let mut error = Self::custom(format_args!(
            "invalid value: {unexpected}, expected {expected}"
        ));
        if unexpected == TOO_LONG {
            error.kind = ErrorKind::StringTooLong;
        }
        error
    }

    #[cfg(not(feature = "alloc"))]
    fn invalid_value(unexpected: Unexpected<'_>, _expected: &dyn Expected) -> Self {
        let kind = if unexpected == TOO_LONG {
            ErrorKind::StringTooLong
        } else {
            ErrorKind::Data
        };
        Self::new(kind, usize::MAX)
    }

    #[cfg(feature = "alloc")]
    fn custom<T: fmt::Display>(msg: T) -> Self {
        let mut error = Self::new(ErrorKind::Data, usize::MAX);
        let _ = write!(Truncating(&mut error.message), "{msg}");
        error
    }

    /// Without `alloc`, the message is dropped unformatted: nothing of serde's `Display`
    /// machinery is linked.
    #[cfg(not(feature = "alloc"))]
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        Self::new(ErrorKind::Data, usize::MAX)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            ErrorKind::Eof => "unexpected end of JSON",
            ErrorKind::Syntax => "JSON syntax error",
            ErrorKind::Number => "invalid JSON number",
            ErrorKind::String => "invalid JSON string",
            ErrorKind::StringTooLong => "JSON string too long",
            ErrorKind::TooDeep => "JSON nested too deeply",
            ErrorKind::TrailingCharacters => "trailing characters after JSON value",
            ErrorKind::Data => "unexpected JSON data",
            ErrorKind::BufferFull => "JSON output buffer too small",
        };
        write!(f, "{what} at byte {}", self.offset)?;
        if !self.message().is_empty() {
            write!(f, ": {}", self.message())?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl core::error::Error for Error {}
