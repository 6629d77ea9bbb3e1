//! JSON encoding and decoding of the stream messages.
//!
//! Which keys a message has, what each holds and in which order they are written is the
//! message's description ([`super::fields::Message`]); nothing here knows a message.
//!
//! Decoding goes through the strict [`crate::json`] deserializer with hand-written visitors:
//! unknown keys are skipped (and validated), duplicate and missing required keys are refused
//! with typed errors. The bitmap (`"b":"0x130080"`) and a data block's base64 payload are
//! decoded into a caller buffer, through any escapes they are written with (several JSON
//! encoders write every `/` of base64 as `\/`). A client token, description or message is a
//! [`JsonStr`] borrowed as written and decoded when read, so none is refused or dropped for
//! its escapes (`"c":"a\/b"` is the token `a/b`); the client token's 64-byte limit applies to
//! its decoded length ([`StreamError::ClientTokenTooLong`]). An error code is decoded into
//! one of the known codes whatever its escapes; an unknown code is borrowed when written
//! without escapes, else kept as `Unknown("")`.
//!
//! Encoding is a small writer into a caller buffer, compact, keys in the order of the AWS
//! documentation's examples; strings are written decoded and escaped as JSON requires (a
//! token read as `"a\/b"` is written `"a/b"`).

use core::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use heapless::vec::VecView;

use super::bitmap::{bitmap_from_hex, hex_bitmap_len};
use super::code::StreamErrorCode;
use super::error::StreamError;
use super::fields::{FileList, Kind, Message, NoFiles, Value};
use super::key::Key;
use super::message::{MAX_BITMAP_LEN, StreamFile};
use super::values::{Codec, Raw, Values};
use crate::crypto::{Base64Mode, CryptoError};
use crate::json::JsonStr;
use writer::Writer;

/// A map key, unescaped if need be.
struct KeyDe(Key);

impl<'de> de::Deserialize<'de> for KeyDe {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = KeyDe;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<KeyDe, E> {
                Ok(KeyDe(Key::from_bytes(v.as_bytes())))
            }
        }
        d.deserialize_identifier(V)
    }
}

/// An error code: known codes even when escaped, unknown ones borrowed (or `Unknown("")`).
struct CodeDe<'de>(StreamErrorCode<'de>);

impl<'de> de::Deserialize<'de> for CodeDe<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CodeDe<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an error code")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(CodeDe(StreamErrorCode::from_text(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(CodeDe(
                    StreamErrorCode::known(v).unwrap_or(StreamErrorCode::Unknown("")),
                ))
            }
        }
        d.deserialize_str(V)
    }
}

/// Encode `message` ([`Message::check`]ed) as a compact JSON object; returns the length
/// written to `buf`.
pub(crate) fn encode<'a, M: Message<'a>>(
    message: &M,
    buf: &mut [u8],
) -> Result<usize, StreamError> {
    message.check()?;
    let mut w = Writer::new(buf);
    write_object(&mut w, message)?;
    Ok(w.len)
}

/// Write `message` as an object, its keys in the JSON order of its description.
fn write_object<'a, M: Message<'a>>(w: &mut Writer<'_>, message: &M) -> Result<(), StreamError> {
    w.begin()?;
    for key in M::json_keys() {
        match message.value(key) {
            Some(Value::Text(text)) => w.text(key, text)?,
            Some(Value::Uint(n)) => w.u32(key, n)?,
            Some(Value::Bitmap(bitmap)) => w.hex(key, bitmap)?,
            Some(Value::Payload(payload)) => w.base64(key, payload)?,
            Some(Value::Files(files)) => {
                w.key(key)?;
                w.raw(b"[")?;
                for (i, file) in files.iter().enumerate() {
                    if i > 0 {
                        w.raw(b",")?;
                    }
                    write_object(w, file)?;
                }
                w.raw(b"]")?;
            }
            None => {}
        }
    }
    w.end()
}

/// Decode all of `input` as one JSON object into `M`, decoding a bitmap or payload into
/// `buf`. JSON errors win over typed ones.
pub(crate) fn decode<'a, M: Message<'a>>(
    input: &'a [u8],
    buf: &'a mut [u8],
) -> Result<M, StreamError> {
    let mut values = Values::new(M::FIELDS, buf);
    let mut files = M::Files::default();
    let mut de = crate::json::Deserializer::new(input);
    let read = MapVisitor {
        values: &mut values,
        files: &mut files,
    }
    .deserialize(&mut de)
    .map_err(|e| StreamError::from_json(&e.at(de.offset())))?;
    de.end().map_err(|e| StreamError::from_json(&e))?;
    read?;
    let message = M::from_values(&mut values, files)?;
    message.check()?;
    Ok(message)
}

/// The formats' difference for JSON: a bitmap (hex) or payload (base64) is a string, decoded
/// once the object is read.
pub(crate) struct Json;

impl Codec for Json {
    type Bytes<'a> = JsonStr<'a>;
    const DECODES_BYTES_AFTER_MAP: bool = true;

    /// Its length checked before the buffer's size.
    fn bitmap<'a>(hex: JsonStr<'a>, buf: &'a mut [u8]) -> Result<&'a [u8], StreamError> {
        if hex.len() > hex_bitmap_len(MAX_BITMAP_LEN) {
            return Err(StreamError::BitmapTooLong);
        }
        bitmap_from_json_hex(hex, buf)
    }

    fn payload<'a>(base64: JsonStr<'a>, buf: &'a mut [u8]) -> Result<&'a [u8], StreamError> {
        let len = decode_payload(base64, buf)?;
        Ok(&buf[..len])
    }
}

/// Reads a JSON object into `values` (files into `files`), each known key's value as its
/// kind says; a typed error stops it (the deserializer validates the rest).
struct MapVisitor<'v, 'a, L> {
    values: &'v mut Values<'a, Json>,
    files: &'v mut L,
}

impl<'a, L: FileList> Visitor<'a> for MapVisitor<'_, 'a, L> {
    type Value = Result<(), StreamError>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'a>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while let Some(KeyDe(key)) = map.next_key()? {
            let Some(kind) = self.values.kind(key) else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            let raw = match kind {
                Kind::Token | Kind::Text => Raw::Text(Some(map.next_value()?)),
                Kind::Code => Raw::Code(map.next_value::<CodeDe<'a>>()?.0),
                Kind::Uint => Raw::Uint(map.next_value()?),
                Kind::Bitmap | Kind::Payload => Raw::Bytes(map.next_value()?),
                Kind::Files if L::HAS_FILES => {
                    match map.next_value_seed(FilesSeed(self.files.as_mut_view()))? {
                        Ok(()) => Raw::Files,
                        Err(e) => return Ok(Err(e)),
                    }
                }
                // Not a key of a message without files: skipped, and no code for files.
                Kind::Files => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            if let Err(e) = self.values.put(key, raw) {
                return Ok(Err(e));
            }
        }
        Ok(Ok(()))
    }
}

impl<'a, L: FileList> DeserializeSeed<'a> for MapVisitor<'_, 'a, L> {
    type Value = Result<(), StreamError>;

    fn deserialize<D: de::Deserializer<'a>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

/// The `r` array into the file list (emptied first: a second `r` is a duplicate, and only
/// its own files count against the capacity); the first typed error wins, the array is
/// still read to its end.
struct FilesSeed<'v>(&'v mut VecView<StreamFile>);

impl<'a> Visitor<'a> for FilesSeed<'_> {
    type Value = Result<(), StreamError>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of files")
    }

    fn visit_seq<S: SeqAccess<'a>>(self, mut seq: S) -> Result<Self::Value, S::Error> {
        let files = self.0;
        files.clear();
        let mut error = None;
        loop {
            let mut values = Values::new(StreamFile::FIELDS, &mut []);
            let entry = MapVisitor {
                values: &mut values,
                files: &mut NoFiles::default(),
            };
            let Some(read) = seq.next_element_seed(entry)? else {
                break;
            };
            let file = read.and_then(|()| StreamFile::from_values(&mut values, NoFiles::default()));
            let pushed = file.and_then(|f| files.push(f).map_err(|_| StreamError::TooManyFiles));
            if let Err(e) = pushed {
                error.get_or_insert(e);
            }
        }
        Ok(error.map_or(Ok(()), Err))
    }
}

impl<'a> DeserializeSeed<'a> for FilesSeed<'_> {
    type Value = Result<(), StreamError>;

    fn deserialize<D: de::Deserializer<'a>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

/// A data block's base64 payload into `payload`: standard padded base64, decoded in place
/// when written without escapes and through them when written with (as `Base64Mode::Strict`,
/// the same rules).
fn decode_payload(text: JsonStr<'_>, payload: &mut [u8]) -> Result<usize, StreamError> {
    if let Some(text) = text.as_plain() {
        return STANDARD.decode_slice(text, payload).map_err(|e| match e {
            base64::DecodeSliceError::OutputSliceTooSmall => StreamError::BufferTooSmall,
            base64::DecodeSliceError::DecodeError(_) => StreamError::Base64,
        });
    }
    match text.decode_base64(payload, Base64Mode::Strict) {
        Ok(bytes) => Ok(bytes.len()),
        Err(CryptoError::Base64TooLong) => Err(StreamError::BufferTooSmall),
        Err(_) => Err(StreamError::Base64),
    }
}

/// [`bitmap_from_hex`] of a JSON string, through its escapes: checked as a whole (prefix,
/// digit count, room in `out`) in the order `bitmap_from_hex` checks, then decoded a
/// window of digits at a time.
fn bitmap_from_json_hex<'o>(hex: JsonStr<'_>, out: &'o mut [u8]) -> Result<&'o [u8], StreamError> {
    if let Some(hex) = hex.as_plain() {
        return bitmap_from_hex(hex, out);
    }
    if !hex.starts_with("0x") && !hex.starts_with("0X") {
        return Err(StreamError::BitmapHex);
    }
    let digits = hex.len() - 2;
    if !digits.is_multiple_of(2) {
        return Err(StreamError::BitmapHex);
    }
    let out = out
        .get_mut(..digits / 2)
        .ok_or(StreamError::BufferTooSmall)?;
    // `0x` then up to 62 digits: 31 bytes a window.
    let mut window = [0u8; 64];
    window[..2].copy_from_slice(b"0x");
    let mut bytes = hex.bytes().skip(2).peekable();
    let mut at = 0;
    while bytes.peek().is_some() {
        let mut n = 2;
        while n < window.len() {
            let Some(b) = bytes.next() else { break };
            window[n] = b;
            n += 1;
        }
        let text = core::str::from_utf8(&window[..n]).map_err(|_| StreamError::BitmapHex)?;
        at += bitmap_from_hex(text, &mut out[at..])?.len();
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
mod writer;
