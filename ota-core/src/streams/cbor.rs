//! CBOR encoding and decoding of the stream messages, by hand with minicbor's `Encoder` and
//! `Decoder` so that the bytes are exactly the ones AWS and its agents use. Which keys a
//! message has, what each holds and in which order they are written is the message's
//! description ([`super::fields::Message`]); nothing here knows a message.
//!
//! Keys are text strings. Requests are definite-length maps with keys in the AWS C agent's
//! order; responses are indefinite-length maps (`0xbf … 0xff`) as the service sends them.
//! Decoders accept either kind of map (and indefinite-length keys), skip unknown keys and
//! non-text keys with [`super::skip`], and refuse duplicate keys, missing required keys and
//! trailing bytes.
//!
//! Strings are borrowed from the input when they have a definite length; a text value (client
//! token, description, message) is a [`JsonStr`] holding the text as it is
//! ([`JsonStr::text`]: CBOR text has no escapes). An indefinite-length (chunked) string is
//! valid CBOR too and is accepted, as the AWS C agent (tinyCBOR) accepts it, without
//! allocating: a chunked byte string (a data block's payload, a request's bitmap) has its
//! chunks copied end to end into the caller's buffer (the decoders' `scratch`;
//! [`StreamError::BufferTooSmall`] without room); a chunked text value is checked (UTF-8, the
//! client token's length) but cannot be borrowed, so a client token, description or message
//! decodes as `None` and an error code as its known code or `Unknown("")`.
//!
//! Encoders write each text value decoded, as a definite-length text string (a value read
//! from JSON as `"a\/b"` is written `a/b`).

use heapless::vec::VecView;
use minicbor::encode::Write as _;
use minicbor::encode::write::{Cursor, EndOfSlice};
use minicbor::{Decoder, Encoder, data::Type};

use super::code::StreamErrorCode;
use super::error::{CborErrorKind, StreamError};
use super::fields::{CborMap, FileList, Kind, Message, NoFiles, Value};
use super::key::Key;
use super::message::{MAX_BITMAP_LEN, MAX_BLOCK_SIZE, StreamFile};
use super::skip::{consume_break, mc, peek, skip_value};
use super::values::{Codec, Raw, Values};
use crate::jobs::MAX_CLIENT_TOKEN_LEN;
use crate::json::JsonStr;

type Enc<'b> = Encoder<Cursor<&'b mut [u8]>>;
type EncResult = Result<(), minicbor::encode::Error<EndOfSlice>>;

/// Run `f` on an encoder over `buf`; the encoded length.
fn encode_with(
    buf: &mut [u8],
    f: impl FnOnce(&mut Enc<'_>) -> EncResult,
) -> Result<usize, StreamError> {
    let mut e = Encoder::new(Cursor::new(buf));
    f(&mut e).map_err(|_| StreamError::BufferTooSmall)?;
    Ok(e.into_writer().position())
}

/// Write a text value decoded, as a definite-length string.
fn write_text(e: &mut Enc<'_>, text: JsonStr<'_>) -> EncResult {
    if let Some(plain) = text.as_plain() {
        e.str(plain)?;
        return Ok(());
    }
    e.str_len(text.len() as u64)?;
    let mut written = Ok(());
    text.decode_to(|piece| {
        if written.is_ok() {
            written = e.writer_mut().write_all(piece);
        }
    });
    written.map_err(minicbor::encode::Error::write)
}

/// Write `message` as a map, its keys in the order of its description.
fn write_map<'a, M: Message<'a>>(e: &mut Enc<'_>, message: &M) -> EncResult {
    let entries = M::FIELDS
        .iter()
        .filter_map(|field| Some((field.key, message.value(field.key)?)));
    match M::CBOR_MAP {
        CborMap::Definite => e.map(entries.clone().count() as u64)?,
        CborMap::Indefinite => e.begin_map()?,
    };
    for (key, value) in entries {
        e.str(key.name())?;
        write_value(e, value)?;
    }
    if M::CBOR_MAP == CborMap::Indefinite {
        e.end()?;
    }
    Ok(())
}

/// One value. Always inlined into a message's [`write_map`], so that the values a message
/// never has (a file list, for all but one) leave no code in a firmware (about 200 bytes on
/// Cortex-M).
#[inline(always)]
fn write_value(e: &mut Enc<'_>, value: Value<'_>) -> EncResult {
    match value {
        Value::Text(text) => write_text(e, text)?,
        Value::Uint(n) => drop(e.u32(n)?),
        Value::Bitmap(bytes) | Value::Payload(bytes) => drop(e.bytes(bytes)?),
        Value::Files(files) => {
            e.array(files.len() as u64)?;
            for file in files {
                write_map(e, file)?;
            }
        }
    }
    Ok(())
}

/// Encode `message` ([`Message::check`]ed) as a CBOR map; returns the length written to
/// `buf`.
pub(crate) fn encode<'a, M: Message<'a>>(
    message: &M,
    buf: &mut [u8],
) -> Result<usize, StreamError> {
    message.check()?;
    encode_with(buf, |e| write_map(e, message))
}

/// Decode `M` from all of `input`, copying the chunks of a chunked byte string into `buf`.
pub(crate) fn decode<'a, M: Message<'a>>(
    input: &'a [u8],
    buf: &'a mut [u8],
) -> Result<M, StreamError> {
    let mut d = Decoder::new(input);
    let mut values = Values::new(M::FIELDS, buf);
    let mut files = M::Files::default();
    read_map(&mut d, &mut values, &mut files)?;
    if d.position() != input.len() {
        return Err(StreamError::cbor(
            CborErrorKind::TrailingBytes,
            d.position(),
        ));
    }
    let message = M::from_values(&mut values, files)?;
    message.check()?;
    Ok(message)
}

/// The formats' difference for CBOR: byte strings are read with the map.
pub(crate) struct Cbor;

impl Codec for Cbor {
    type Bytes<'a> = &'a [u8];
    const DECODES_BYTES_AFTER_MAP: bool = false;

    fn bitmap<'a>(raw: &'a [u8], _: &'a mut [u8]) -> Result<&'a [u8], StreamError> {
        Ok(raw)
    }

    fn payload<'a>(raw: &'a [u8], _: &'a mut [u8]) -> Result<&'a [u8], StreamError> {
        Ok(raw)
    }
}

/// Read one map into `values` (files into `files`), each known key's value as its kind
/// says; other values are skipped.
fn read_map<'a, L: FileList>(
    d: &mut Decoder<'a>,
    values: &mut Values<'a, Cbor>,
    files: &mut L,
) -> Result<(), StreamError> {
    for_each_entry(d, |key, d| {
        let Some(kind) = values.kind(key) else {
            return Ok(false);
        };
        let raw = match kind {
            Kind::Token | Kind::Text | Kind::Code => {
                let text = Text::read(d)?;
                match kind {
                    Kind::Code => Raw::Code(text.code()),
                    Kind::Token => Raw::Text(text.token()?),
                    _ => Raw::Text(text.lenient()),
                }
            }
            Kind::Uint => Raw::Uint(uint(d)?),
            Kind::Bitmap | Kind::Payload => {
                let (limit, too_long) = byte_limit(kind);
                Raw::Bytes(bytes(d, values.buf(), limit, too_long)?)
            }
            Kind::Files if L::HAS_FILES => {
                read_files(d, files.as_mut_view())?;
                Raw::Files
            }
            // Not a key of a message without files: skipped, and no code for files.
            Kind::Files => return Ok(false),
        };
        values.put(key, raw)?;
        Ok(true)
    })
}

/// Read an array of files into `files` (emptied first: a second `r` is a duplicate, and
/// only its own files count against the capacity).
fn read_files(d: &mut Decoder<'_>, files: &mut VecView<StreamFile>) -> Result<(), StreamError> {
    files.clear();
    for_each_item(d, |d| {
        let mut values = Values::new(StreamFile::FIELDS, &mut []);
        read_map(d, &mut values, &mut NoFiles::default())?;
        let file = StreamFile::from_values(&mut values, NoFiles::default())?;
        files.push(file).map_err(|_| StreamError::TooManyFiles)
    })
}

/// Decode one map, definite or indefinite, at the decoder's position.
fn for_each_entry<'b>(
    d: &mut Decoder<'b>,
    mut field: impl FnMut(Key, &mut Decoder<'b>) -> Result<bool, StreamError>,
) -> Result<(), StreamError> {
    let mut remaining = d.map().map_err(mc(d))?;
    while another(d, &mut remaining) {
        let key = read_key(d)?;
        if peek(d) == Some(0xff) {
            // A break where the value should be.
            return Err(StreamError::cbor(CborErrorKind::Malformed, d.position()));
        }
        if key == Key::Unknown || !field(key, d)? {
            skip_value(d)?;
        }
    }
    Ok(())
}

/// Decode one array, definite or indefinite, calling `item` for each element.
fn for_each_item<'b>(
    d: &mut Decoder<'b>,
    mut item: impl FnMut(&mut Decoder<'b>) -> Result<(), StreamError>,
) -> Result<(), StreamError> {
    let mut remaining = d.array().map_err(mc(d))?;
    while another(d, &mut remaining) {
        item(d)?;
    }
    Ok(())
}

/// Whether another entry or item follows in a map or array whose header gave `remaining`
/// (`None`: indefinite-length); consumes the break that ends an indefinite one.
fn another(d: &mut Decoder<'_>, remaining: &mut Option<u64>) -> bool {
    match remaining {
        Some(0) => false,
        Some(n) => {
            *n -= 1;
            true
        }
        None if peek(d) == Some(0xff) => {
            consume_break(d);
            false
        }
        None => true,
    }
}

/// A map key: known text keys by name; anything else (other types, long keys) is skipped
/// and reported as [`Key::Unknown`].
fn read_key(d: &mut Decoder<'_>) -> Result<Key, StreamError> {
    match d.datatype().map_err(mc(d))? {
        Type::String => Ok(Key::from_bytes(d.str().map_err(mc(d))?.as_bytes())),
        Type::StringIndef => {
            let (mut buf, mut len) = ([0u8; Key::MAX_LEN], 0);
            let mut fits = true;
            let err = mc(d);
            for chunk in d.str_iter().map_err(&err)? {
                let chunk = chunk.map_err(&err)?.as_bytes();
                match buf.get_mut(len..len + chunk.len()) {
                    Some(dst) if fits => dst.copy_from_slice(chunk),
                    _ => fits = false,
                }
                len += chunk.len();
            }
            Ok(if fits {
                Key::from_bytes(&buf[..len])
            } else {
                Key::Unknown
            })
        }
        _ => {
            skip_value(d)?;
            Ok(Key::Unknown)
        }
    }
}

/// Room for a chunked text kept whole: a known error code's name (the longest,
/// `BlockBitmapLimitExceeded`, has 24).
const CODE_ROOM: usize = 32;

/// A text value as read. One with a definite length is borrowed; a chunked one cannot be:
/// its chunks are read (each checked as UTF-8) and its length kept, and its text too when it
/// fits [`CODE_ROOM`].
struct Text<'b> {
    borrowed: Option<&'b str>,
    chunked_len: usize,
    chunked: [u8; CODE_ROOM],
}

impl<'b> Text<'b> {
    fn read(d: &mut Decoder<'b>) -> Result<Self, StreamError> {
        let mut text = Self {
            borrowed: None,
            chunked_len: 0,
            chunked: [0; CODE_ROOM],
        };
        if d.datatype().map_err(mc(d))? != Type::StringIndef {
            text.borrowed = Some(d.str().map_err(mc(d))?);
            return Ok(text);
        }
        let err = mc(d);
        for chunk in d.str_iter().map_err(&err)? {
            let chunk = chunk.map_err(&err)?.as_bytes();
            let end = text.chunked_len.saturating_add(chunk.len());
            if let Some(dst) = text.chunked.get_mut(text.chunked_len..end) {
                dst.copy_from_slice(chunk);
            }
            text.chunked_len = end;
        }
        Ok(text)
    }

    /// A client token: as [`Text::lenient`], and a chunked one longer than 64 bytes refused
    /// as a definite one is.
    fn token(&self) -> Result<Option<JsonStr<'b>>, StreamError> {
        if self.chunked_len > MAX_CLIENT_TOKEN_LEN {
            return Err(StreamError::ClientTokenTooLong);
        }
        Ok(self.lenient())
    }

    /// A description or message: `None` when chunked.
    fn lenient(&self) -> Option<JsonStr<'b>> {
        self.borrowed.map(JsonStr::text)
    }

    /// An error code: any code when borrowed; a chunked one is one of the known codes, else
    /// `Unknown("")`.
    fn code(&self) -> StreamErrorCode<'b> {
        match self.borrowed {
            Some(text) => StreamErrorCode::from_text(text),
            None => self
                .chunked
                .get(..self.chunked_len)
                .and_then(|b| core::str::from_utf8(b).ok())
                .and_then(StreamErrorCode::known)
                .unwrap_or(StreamErrorCode::Unknown("")),
        }
    }
}

/// The longest bitmap or payload, and the error for a longer one.
fn byte_limit(kind: Kind) -> (usize, StreamError) {
    match kind {
        Kind::Bitmap => (MAX_BITMAP_LEN, StreamError::BitmapTooLong),
        _ => (MAX_BLOCK_SIZE as usize, StreamError::BlockSizeOutOfBounds),
    }
}

/// A byte string, borrowed from the input when it has a definite length; the chunks of an
/// indefinite-length one are copied end to end into `scratch` (the unused rest of the
/// caller's buffer), which keeps what is left. A chunked one longer than
/// `limit` is `too_long` (a definite one is checked by the message's `validate`), one that
/// does not fit what is left of `scratch` is [`StreamError::BufferTooSmall`].
fn bytes<'b>(
    d: &mut Decoder<'b>,
    scratch: &mut &'b mut [u8],
    limit: usize,
    too_long: StreamError,
) -> Result<&'b [u8], StreamError> {
    if d.datatype().map_err(mc(d))? != Type::BytesIndef {
        return d.bytes().map_err(mc(d));
    }
    let err = mc(d);
    let (mut len, mut fits) = (0usize, true);
    for chunk in d.bytes_iter().map_err(&err)? {
        let chunk = chunk.map_err(&err)?;
        let end = len.saturating_add(chunk.len());
        match scratch.get_mut(len..end) {
            Some(dst) if fits => dst.copy_from_slice(chunk),
            _ => fits = false,
        }
        len = end;
    }
    if len > limit {
        return Err(too_long);
    }
    if !fits {
        return Err(StreamError::BufferTooSmall);
    }
    let (copy, rest) = core::mem::take(scratch).split_at_mut(len);
    *scratch = rest;
    Ok(copy)
}

fn uint(d: &mut Decoder<'_>) -> Result<u64, StreamError> {
    d.u64().map_err(mc(d))
}

#[cfg(test)]
mod tests;
