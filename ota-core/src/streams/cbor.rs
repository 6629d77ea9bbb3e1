//! CBOR encoding and decoding of the stream messages, by hand with minicbor's `Encoder` and
//! `Decoder` so that the bytes are exactly the ones AWS and its agents use.
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
//! chunks copied end to end into the caller's buffer (`decode_cbor_into`;
//! [`StreamError::BufferTooSmall`] without room); a chunked text value is checked (UTF-8, the
//! client token's length) but cannot be borrowed, so a client token, description or message
//! decodes as `None` and an error code as its known code or `Unknown("")`.
//!
//! Encoders write each text value decoded, as a definite-length text string (a value read
//! from JSON as `"a\/b"` is written `a/b`).

use minicbor::encode::Write as _;
use minicbor::encode::write::{Cursor, EndOfSlice};
use minicbor::{Decoder, Encoder, data::Type};

use super::code::StreamErrorCode;
use super::error::{CborErrorKind, StreamError};
use super::key::{Key, Slot};
use super::message::{
    DataBlock, DescribeStreamRequest, DescribeStreamResponse, GetStreamRequest, MAX_BITMAP_LEN,
    MAX_BLOCK_SIZE, StreamFile, StreamRejected, file_id, narrow, narrow_key,
};
use super::skip::{consume_break, mc, peek, skip_value};
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

/// Write `key: text` if `value` is present, the text decoded (a definite-length string).
fn opt_str(e: &mut Enc<'_>, key: Key, value: Option<JsonStr<'_>>) -> EncResult {
    let Some(v) = value else { return Ok(()) };
    e.str(key.name())?;
    if let Some(plain) = v.as_plain() {
        e.str(plain)?;
        return Ok(());
    }
    e.str_len(v.len() as u64)?;
    let mut written = Ok(());
    v.decode_to(|piece| {
        if written.is_ok() {
            written = e.writer_mut().write_all(piece);
        }
    });
    written.map_err(minicbor::encode::Error::write)
}

/// Decode one top-level map from all of `input`. `field` is called for each known key and
/// returns whether it read the value; values it leaves are skipped.
fn decode_map<'b>(
    input: &'b [u8],
    field: impl FnMut(Key, &mut Decoder<'b>) -> Result<bool, StreamError>,
) -> Result<(), StreamError> {
    let mut d = Decoder::new(input);
    for_each_entry(&mut d, field)?;
    if d.position() != input.len() {
        return Err(StreamError::cbor(
            CborErrorKind::TrailingBytes,
            d.position(),
        ));
    }
    Ok(())
}

/// Decode one map, definite or indefinite, at the decoder's position.
fn for_each_entry<'b>(
    d: &mut Decoder<'b>,
    mut field: impl FnMut(Key, &mut Decoder<'b>) -> Result<bool, StreamError>,
) -> Result<(), StreamError> {
    let mut remaining = d.map().map_err(mc(d))?;
    loop {
        match &mut remaining {
            Some(0) => return Ok(()),
            Some(n) => *n -= 1,
            None if peek(d) == Some(0xff) => {
                consume_break(d);
                return Ok(());
            }
            None => {}
        }
        let key = read_key(d)?;
        if peek(d) == Some(0xff) {
            // A break where the value should be.
            return Err(StreamError::cbor(CborErrorKind::Malformed, d.position()));
        }
        if key == Key::Unknown || !field(key, d)? {
            skip_value(d)?;
        }
    }
}

/// Decode one array, definite or indefinite, calling `item` for each element.
fn for_each_item<'b>(
    d: &mut Decoder<'b>,
    mut item: impl FnMut(&mut Decoder<'b>) -> Result<(), StreamError>,
) -> Result<(), StreamError> {
    let mut remaining = d.array().map_err(mc(d))?;
    loop {
        match &mut remaining {
            Some(0) => return Ok(()),
            Some(n) => *n -= 1,
            None if peek(d) == Some(0xff) => {
                consume_break(d);
                return Ok(());
            }
            None => {}
        }
        item(d)?;
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

/// A text value, borrowed when it has a definite length. An indefinite-length one cannot be
/// borrowed: its chunks are read (each checked as UTF-8) and handed to `chunk`, and it reads
/// as `None`.
fn text<'b>(
    d: &mut Decoder<'b>,
    mut chunk: impl FnMut(&str),
) -> Result<Option<&'b str>, StreamError> {
    if d.datatype().map_err(mc(d))? != Type::StringIndef {
        return d.str().map(Some).map_err(mc(d));
    }
    let err = mc(d);
    for c in d.str_iter().map_err(&err)? {
        chunk(c.map_err(&err)?);
    }
    Ok(None)
}

/// A description or message: [`text`] as a [`JsonStr`], `None` when chunked.
fn lenient_text<'b>(d: &mut Decoder<'b>) -> Result<Option<JsonStr<'b>>, StreamError> {
    Ok(text(d, |_| {})?.map(JsonStr::text))
}

/// A client token: [`text`] as a [`JsonStr`], `None` when chunked, and a chunked one longer
/// than 64 bytes refused as a definite one is.
fn token<'b>(d: &mut Decoder<'b>) -> Result<Option<JsonStr<'b>>, StreamError> {
    let mut len = 0usize;
    let token = text(d, |c| len = len.saturating_add(c.len()))?;
    if token.is_none() && len > MAX_CLIENT_TOKEN_LEN {
        return Err(StreamError::ClientTokenTooLong);
    }
    Ok(token.map(JsonStr::text))
}

/// Room for a known error code's name (the longest, `BlockBitmapLimitExceeded`, has 24).
const CODE_ROOM: usize = 32;

/// An error code: any code when borrowed; a chunked one is one of the known codes, else
/// `Unknown("")`.
fn error_code<'b>(d: &mut Decoder<'b>) -> Result<StreamErrorCode<'b>, StreamError> {
    let (mut buf, mut len) = ([0u8; CODE_ROOM], 0usize);
    let borrowed = text(d, |c| {
        let end = len.saturating_add(c.len());
        if let Some(dst) = buf.get_mut(len..end) {
            dst.copy_from_slice(c.as_bytes());
        }
        len = end;
    })?;
    Ok(match borrowed {
        Some(text) => StreamErrorCode::from_text(text),
        None => buf
            .get(..len)
            .and_then(|b| core::str::from_utf8(b).ok())
            .and_then(StreamErrorCode::known)
            .unwrap_or(StreamErrorCode::Unknown("")),
    })
}

/// Where the chunks of indefinite-length byte strings are copied: the unused rest of a
/// caller buffer (empty when there is none).
struct Scratch<'b>(&'b mut [u8]);

/// A byte string, borrowed from the input when it has a definite length; the chunks of an
/// indefinite-length one are copied end to end into `scratch`. A chunked one longer than
/// `limit` is `too_long` (a definite one is checked by the message's `validate`), one that
/// does not fit what is left of `scratch` is [`StreamError::BufferTooSmall`].
fn bytes<'b>(
    d: &mut Decoder<'b>,
    scratch: &mut Scratch<'b>,
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
        match scratch.0.get_mut(len..end) {
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
    let (copy, rest) = core::mem::take(&mut scratch.0).split_at_mut(len);
    scratch.0 = rest;
    Ok(copy)
}

fn uint(d: &mut Decoder<'_>) -> Result<u64, StreamError> {
    d.u64().map_err(mc(d))
}

impl<'a> DescribeStreamRequest<'a> {
    /// Encode as a definite-length CBOR map; returns the length written to `buf`.
    ///
    /// # Errors
    /// [`StreamError::ClientTokenTooLong`], [`StreamError::BufferTooSmall`].
    pub fn encode_cbor(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        self.validate()?;
        encode_with(buf, |e| {
            e.map(u64::from(self.client_token.is_some()))?;
            opt_str(e, Key::C, self.client_token)
        })
    }

    /// Decode from CBOR, borrowing from `input`.
    ///
    /// # Errors
    /// [`StreamError::Cbor`], a duplicate key, or a broken limit.
    pub fn decode_cbor(input: &'a [u8]) -> Result<Self, StreamError> {
        let mut c = Slot::new(Key::C);
        decode_map(input, |key, d| match key {
            Key::C => c.put(token(d)?).map(|()| true),
            _ => Ok(false),
        })?;
        let req = Self {
            client_token: c.get().flatten(),
        };
        req.validate()?;
        Ok(req)
    }
}

impl<'a> GetStreamRequest<'a> {
    /// Encode as a definite-length CBOR map with keys `c, s, f, l, o, b, n` (absent ones
    /// left out; `o` always written), the order of the AWS C agent and rustot; returns the
    /// length written to `buf`.
    ///
    /// # Errors
    /// A broken limit ([`GetStreamRequest::validate`]), [`StreamError::BufferTooSmall`].
    pub fn encode_cbor(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        self.validate()?;
        let optional = [
            self.client_token.is_some(),
            self.stream_version.is_some(),
            self.bitmap.is_some(),
            self.block_count.is_some(),
        ];
        let len = 3 + optional.iter().filter(|&&present| present).count() as u64;
        encode_with(buf, |e| {
            e.map(len)?;
            opt_str(e, Key::C, self.client_token)?;
            if let Some(s) = self.stream_version {
                e.str("s")?.u32(s)?;
            }
            e.str("f")?.u8(self.file_id)?;
            e.str("l")?.u32(self.block_size)?;
            e.str("o")?.u32(self.offset)?;
            if let Some(b) = self.bitmap {
                e.str("b")?.bytes(b)?;
            }
            if let Some(n) = self.block_count {
                e.str("n")?.u32(n)?;
            }
            Ok(())
        })
    }

    /// Decode from CBOR, borrowing from `input`. `f` and `l` are required; a missing `o`
    /// is 0. A chunked (indefinite-length) bitmap is [`StreamError::BufferTooSmall`] here:
    /// see [`GetStreamRequest::decode_cbor_into`].
    ///
    /// # Errors
    /// [`StreamError::Cbor`], a missing or duplicate key, or a broken limit.
    pub fn decode_cbor(input: &'a [u8]) -> Result<Self, StreamError> {
        Self::decode_cbor_into(input, &mut [])
    }

    /// Decode from CBOR as [`GetStreamRequest::decode_cbor`] does, copying the chunks of an
    /// indefinite-length bitmap into `bitmap` (a definite one is borrowed from `input`). A
    /// chunked client token decodes as `None`.
    ///
    /// # Errors
    /// [`StreamError::Cbor`], a missing or duplicate key, a broken limit,
    /// [`StreamError::BufferTooSmall`] for a chunked bitmap longer than `bitmap`.
    pub fn decode_cbor_into(input: &'a [u8], bitmap: &'a mut [u8]) -> Result<Self, StreamError> {
        let mut scratch = Scratch(bitmap);
        let (mut c, mut s, mut f) = (Slot::new(Key::C), Slot::new(Key::S), Slot::new(Key::F));
        let (mut l, mut o, mut n) = (Slot::new(Key::L), Slot::new(Key::O), Slot::new(Key::N));
        let mut b = Slot::new(Key::B);
        decode_map(input, |key, d| {
            match key {
                Key::C => c.put(token(d)?)?,
                Key::S => s.put(uint(d)?)?,
                Key::F => f.put(uint(d)?)?,
                Key::L => l.put(uint(d)?)?,
                Key::O => o.put(uint(d)?)?,
                Key::N => n.put(uint(d)?)?,
                Key::B => b.put(bytes(
                    d,
                    &mut scratch,
                    MAX_BITMAP_LEN,
                    StreamError::BitmapTooLong,
                )?)?,
                _ => return Ok(false),
            }
            Ok(true)
        })?;
        let req = Self {
            client_token: c.get().flatten(),
            stream_version: s.get().map(|v| narrow_key(v, Key::S)).transpose()?,
            file_id: file_id(f.required()?)?,
            block_size: narrow(l.required()?, StreamError::BlockSizeOutOfBounds)?,
            offset: o
                .get()
                .map(|v| narrow(v, StreamError::OffsetOutOfBounds))
                .transpose()?
                .unwrap_or(0),
            block_count: n
                .get()
                .map(|v| narrow(v, StreamError::BlockCountOutOfBounds))
                .transpose()?,
            bitmap: b.get(),
        };
        req.validate()?;
        Ok(req)
    }
}

impl<'a> DataBlock<'a> {
    /// Encode as an indefinite-length CBOR map with keys `c, f, i, l, p`, as the service
    /// sends blocks (`c` left out when absent); returns the length written to `buf`.
    ///
    /// # Errors
    /// A broken limit ([`DataBlock::validate`]), [`StreamError::BufferTooSmall`].
    pub fn encode_cbor(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        self.validate()?;
        encode_with(buf, |e| {
            e.begin_map()?;
            opt_str(e, Key::C, self.client_token)?;
            e.str("f")?.u8(self.file_id)?;
            e.str("i")?.u32(self.block_id)?;
            e.str("l")?.u64(self.payload.len() as u64)?;
            e.str("p")?.bytes(self.payload)?;
            e.end()?;
            Ok(())
        })
    }

    /// Decode from CBOR, borrowing the payload from `input`. `f`, `i`, `l` and `p` are
    /// required and `l` must equal the payload length. A chunked (indefinite-length) payload
    /// cannot be borrowed and is [`StreamError::BufferTooSmall`] here (unless empty): use
    /// [`DataBlock::decode_cbor_into`].
    ///
    /// # Errors
    /// As [`DataBlock::decode_cbor_into`].
    pub fn decode_cbor(input: &'a [u8]) -> Result<Self, StreamError> {
        Self::decode_cbor_into(input, &mut [])
    }

    /// Decode from CBOR as the AWS C agent does, chunked payloads included: a definite-length
    /// payload is borrowed from `input`, the chunks of an indefinite-length one are copied
    /// end to end into `payload` (a block buffer: nothing is allocated). `f`, `i`, `l` and
    /// `p` are required and `l` must equal the payload length. A chunked client token
    /// decodes as `None` (the agent does not read `c` at all).
    ///
    /// # Errors
    /// [`StreamError::Cbor`], a missing or duplicate key, a broken limit (a payload longer
    /// than [`super::MAX_BLOCK_SIZE`] is [`StreamError::BlockSizeOutOfBounds`]),
    /// [`StreamError::BufferTooSmall`] for a chunked payload longer than `payload`,
    /// [`StreamError::PayloadLengthMismatch`].
    pub fn decode_cbor_into(input: &'a [u8], payload: &'a mut [u8]) -> Result<Self, StreamError> {
        let mut scratch = Scratch(payload);
        let (mut c, mut f, mut i) = (Slot::new(Key::C), Slot::new(Key::F), Slot::new(Key::I));
        let (mut l, mut p) = (Slot::new(Key::L), Slot::new(Key::P));
        decode_map(input, |key, d| {
            match key {
                Key::C => c.put(token(d)?)?,
                Key::F => f.put(uint(d)?)?,
                Key::I => i.put(uint(d)?)?,
                Key::L => l.put(uint(d)?)?,
                Key::P => p.put(bytes(
                    d,
                    &mut scratch,
                    MAX_BLOCK_SIZE as usize,
                    StreamError::BlockSizeOutOfBounds,
                )?)?,
                _ => return Ok(false),
            }
            Ok(true)
        })?;
        let block = Self {
            client_token: c.get().flatten(),
            file_id: file_id(f.required()?)?,
            block_id: narrow_key(i.required()?, Key::I)?,
            payload: p.required()?,
        };
        if l.required()? != block.payload.len() as u64 {
            return Err(StreamError::PayloadLengthMismatch);
        }
        block.validate()?;
        Ok(block)
    }
}

impl<'a, const N: usize> DescribeStreamResponse<'a, N> {
    /// Encode as an indefinite-length CBOR map with keys `c, s, d, r` (absent ones left
    /// out), each file a definite map `{f, z}`; returns the length written to `buf`.
    ///
    /// # Errors
    /// [`StreamError::ClientTokenTooLong`], [`StreamError::BufferTooSmall`].
    pub fn encode_cbor(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        self.validate()?;
        encode_with(buf, |e| {
            e.begin_map()?;
            opt_str(e, Key::C, self.client_token)?;
            e.str("s")?.u32(self.stream_version)?;
            opt_str(e, Key::D, self.description)?;
            e.str("r")?.array(self.files.len() as u64)?;
            for file in &self.files {
                e.map(2)?
                    .str("f")?
                    .u8(file.file_id)?
                    .str("z")?
                    .u32(file.size)?;
            }
            e.end()?;
            Ok(())
        })
    }

    /// Decode from CBOR, borrowing from `input`. `s` and `r` are required, and `f` and `z`
    /// in each file. A chunked (indefinite-length) client token or description decodes as
    /// `None`.
    ///
    /// # Errors
    /// [`StreamError::Cbor`], a missing or duplicate key, a broken limit,
    /// [`StreamError::TooManyFiles`] when `r` lists more than `N` files.
    pub fn decode_cbor(input: &'a [u8]) -> Result<Self, StreamError> {
        let (mut c, mut s, mut desc) = (Slot::new(Key::C), Slot::new(Key::S), Slot::new(Key::D));
        let mut r = Slot::new(Key::R);
        decode_map(input, |key, d| {
            match key {
                Key::C => c.put(token(d)?)?,
                Key::S => s.put(uint(d)?)?,
                Key::D => desc.put(lenient_text(d)?)?,
                Key::R => r.put(decode_files(d)?)?,
                _ => return Ok(false),
            }
            Ok(true)
        })?;
        let response = Self {
            client_token: c.get().flatten(),
            stream_version: narrow_key(s.required()?, Key::S)?,
            description: desc.get().flatten(),
            files: r.required()?,
        };
        response.validate()?;
        Ok(response)
    }
}

fn decode_files<const N: usize>(
    d: &mut Decoder<'_>,
) -> Result<heapless::Vec<StreamFile, N>, StreamError> {
    let mut files = heapless::Vec::new();
    for_each_item(d, |d| {
        let (mut f, mut z) = (Slot::new(Key::F), Slot::new(Key::Z));
        for_each_entry(d, |key, d| {
            match key {
                Key::F => f.put(uint(d)?)?,
                Key::Z => z.put(uint(d)?)?,
                _ => return Ok(false),
            }
            Ok(true)
        })?;
        let file = StreamFile {
            file_id: file_id(f.required()?)?,
            size: narrow_key(z.required()?, Key::Z)?,
        };
        files.push(file).map_err(|_| StreamError::TooManyFiles)
    })?;
    Ok(files)
}

impl<'a> StreamRejected<'a> {
    /// Encode as an indefinite-length CBOR map with keys `o, m, c` (absent ones left out),
    /// as the service sends errors; returns the length written to `buf`.
    ///
    /// # Errors
    /// [`StreamError::ClientTokenTooLong`], [`StreamError::BufferTooSmall`].
    pub fn encode_cbor(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        self.validate()?;
        encode_with(buf, |e| {
            e.begin_map()?;
            e.str("o")?.str(self.code.as_str())?;
            opt_str(e, Key::M, self.message)?;
            opt_str(e, Key::C, self.client_token)?;
            e.end()?;
            Ok(())
        })
    }

    /// Decode from CBOR, borrowing from `input`. The code (`o` or `code`) is required. A
    /// chunked (indefinite-length) message or client token decodes as `None`, a chunked code
    /// as its known code or `Unknown("")`.
    ///
    /// # Errors
    /// [`StreamError::Cbor`], a missing or duplicate key, a broken limit.
    pub fn decode_cbor(input: &'a [u8]) -> Result<Self, StreamError> {
        let (mut o, mut m, mut c) = (Slot::new(Key::O), Slot::new(Key::M), Slot::new(Key::C));
        let mut older_code = Slot::new(Key::Code);
        let (mut message, mut older_token) = (Slot::new(Key::Message), Slot::new(Key::ClientToken));
        decode_map(input, |key, d| {
            match key {
                Key::O => o.put(error_code(d)?)?,
                Key::M => m.put(lenient_text(d)?)?,
                Key::C => c.put(token(d)?)?,
                Key::Code => older_code.put(error_code(d)?)?,
                Key::Message => message.put(lenient_text(d)?)?,
                Key::ClientToken => older_token.put(token(d)?)?,
                _ => return Ok(false),
            }
            Ok(true)
        })?;
        let code = o
            .get()
            .or(older_code.get())
            .ok_or(StreamError::MissingKey(Key::O.name()))?;
        let rejected = Self {
            code,
            message: m.get().or(message.get()).flatten(),
            client_token: c.get().or(older_token.get()).flatten(),
        };
        rejected.validate()?;
        Ok(rejected)
    }
}

#[cfg(test)]
mod tests;
