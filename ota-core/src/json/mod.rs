//! Strict, allocation-free JSON parsing into borrowed serde types.
//!
//! [`from_slice`] deserializes any `serde::Deserialize<'de>` type from a byte slice without
//! allocating. How a string reaches its consumer:
//!
//! - a [`JsonStr`] borrows it as written, escapes and all, and decodes it whenever it is
//!   read (compared, copied, printed, base64-decoded): every string this crate's wire types
//!   read is one, or is decoded into a fixed-size value (a status, an error code), so no
//!   valid document is refused because of how a string is escaped;
//! - a `&str` borrows a string without escapes; one with escapes cannot be borrowed, and is
//!   refused for a `&str` just as `serde_json` refuses it;
//! - an owned consumer (`visit_str`: `heapless::String`, enums, field names) gets it
//!   decoded, through a [`MAX_UNESCAPED_LEN`]-byte buffer when it has escapes.
//!
//! [`find_member`] returns the raw bytes of a nested value, which is how a custom job
//! document is handed to an application untouched.
//!
//! Why not `serde-json-core` for parsing: it has no `deserialize_any`, so a field that may be a
//! number or a quoted number (the AWS OTA agent's `"filesize":"1024"`) cannot be expressed, and
//! its `ignored_any` skips unknown values without validating them. This parser is strict JSON
//! (RFC 8259): no trailing commas, no comments, no leading zeros, no raw control characters,
//! valid UTF-8 and escapes, a nesting limit of [`MAX_DEPTH`], nothing after the value but
//! whitespace. `serde-json-core` is still what serializes requests without allocation
//! ([`to_slice`]).
//!
//! What it does not do: it does not accept duplicate-key objects for types that reject them
//! (serde's derive does), and it never allocates, so an escaped string longer than
//! [`MAX_UNESCAPED_LEN`] bytes is an error ([`ErrorKind::StringTooLong`]) for an owned
//! consumer (never for a [`JsonStr`], whatever its length).
//!
//! Without the `alloc` feature (firmware builds) two things differ, so that no float parsing
//! or formatting is linked:
//!
//! - errors carry their [`ErrorKind`] and offset only: [`Error::message`] is empty, serde's
//!   messages are never formatted;
//! - a number with a fraction or exponent (or an integer beyond 64 bits) is refused with
//!   [`ErrorKind::Number`] where a value is wanted (an `f64` field, or a type that takes any
//!   value, such as [`crate::document::number::DocU32`]); integers still reach `f64` fields,
//!   and every number is still skipped, validated, in ignored values, unknown fields and
//!   [`RawJson`]. No type of this project has a float field.

mod de;
#[cfg(test)]
pub(crate) mod differential;
mod error;
mod find;
mod raw;
mod reader;
mod str;
mod writer;

pub use de::{Deserializer, from_slice};
pub(crate) use error::too_long;
pub use error::{Error, ErrorKind};
pub use find::find_member;
pub use raw::RawJson;
pub use reader::{Fields, Number, Open, Reader, Unknown};
pub use str::{Bytes, Chars, DoesNotFit, JsonStr};
pub use writer::Writer;

/// Deepest nesting of arrays and objects accepted.
pub const MAX_DEPTH: usize = 32;

/// Longest string, after unescaping, that can be delivered whole (`visit_str`) when it
/// contains escapes; a [`JsonStr`] has no such limit.
pub const MAX_UNESCAPED_LEN: usize = 256;

/// Serialize `value` as compact JSON into `buf` without allocating; returns the length.
///
/// # Errors
/// [`ErrorKind::BufferFull`] when `buf` is too small.
pub fn to_slice<T: serde::Serialize + ?Sized>(value: &T, buf: &mut [u8]) -> Result<usize, Error> {
    serde_json_core::to_slice(value, buf).map_err(|_| Error::new(ErrorKind::BufferFull, 0))
}

/// The value of the first `(key, value)` pair whose key, decoded, is `key`: a lookup in the
/// small maps of parsed strings (`statusDetails`, a file's `sig-*` entries).
pub(crate) fn lookup<'a>(pairs: &[(JsonStr<'a>, JsonStr<'a>)], key: &str) -> Option<JsonStr<'a>> {
    pairs.iter().find(|(k, _)| *k == key).map(|&(_, v)| v)
}
