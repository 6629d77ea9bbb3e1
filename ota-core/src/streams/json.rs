//! JSON encoding and decoding of the stream messages.
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

use super::bitmap::{bitmap_from_hex, hex_bitmap_len};
use super::code::StreamErrorCode;
use super::error::StreamError;
use super::key::{Key, Slot};
use writer::Writer;

use super::message::{
    DataBlock, DescribeStreamRequest, DescribeStreamResponse, GetStreamRequest, MAX_BITMAP_LEN,
    StreamFile, StreamRejected, file_id, narrow, narrow_key,
};
use crate::crypto::{Base64Mode, CryptoError};
use crate::json::JsonStr;

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

/// The keys of one message, collected by a [`MapVisitor`].
trait Fields<'de> {
    /// Read the value of `key` if this message knows it (`Ok(Ok(true))`); `Ok(Ok(false))`
    /// leaves it to be skipped; `Ok(Err(_))` stops with a typed error.
    fn field<A: MapAccess<'de>>(
        &mut self,
        key: Key,
        map: &mut A,
    ) -> Result<Result<bool, StreamError>, A::Error>;
}

/// Reads a JSON object into `F`; a typed error stops it (the deserializer validates the rest).
struct MapVisitor<F>(F);

impl<'de, F: Fields<'de>> Visitor<'de> for MapVisitor<F> {
    type Value = Result<F, StreamError>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Self::Value, A::Error> {
        while let Some(KeyDe(key)) = map.next_key()? {
            match self.0.field(key, &mut map)? {
                Ok(true) => {}
                Ok(false) => {
                    map.next_value::<IgnoredAny>()?;
                }
                Err(e) => return Ok(Err(e)),
            }
        }
        Ok(Ok(self.0))
    }
}

impl<'de, F: Fields<'de>> DeserializeSeed<'de> for MapVisitor<F> {
    type Value = Result<F, StreamError>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

/// Decode all of `input` as one JSON object into `fields`. JSON errors win over typed ones.
fn decode<'de, F: Fields<'de>>(input: &'de [u8], fields: F) -> Result<F, StreamError> {
    let mut de = crate::json::Deserializer::new(input);
    let result = MapVisitor(fields)
        .deserialize(&mut de)
        .map_err(|e| StreamError::from_json(&e.at(de.offset())))?;
    de.end().map_err(|e| StreamError::from_json(&e))?;
    result
}

/// `slot.put(value)` as a field result.
fn put<T, E>(slot: &mut Slot<T>, value: T) -> Result<Result<bool, StreamError>, E> {
    Ok(slot.put(value).map(|()| true))
}

struct DescribeRequestFields<'de> {
    c: Slot<JsonStr<'de>>,
}

impl<'de> Fields<'de> for DescribeRequestFields<'de> {
    fn field<A: MapAccess<'de>>(
        &mut self,
        key: Key,
        map: &mut A,
    ) -> Result<Result<bool, StreamError>, A::Error> {
        match key {
            Key::C => put(&mut self.c, map.next_value()?),
            _ => Ok(Ok(false)),
        }
    }
}

impl<'a> DescribeStreamRequest<'a> {
    /// Encode as JSON (`{}` or `{"c":"…"}`); returns the length written to `buf`.
    ///
    /// # Errors
    /// [`StreamError::ClientTokenTooLong`], [`StreamError::BufferTooSmall`].
    pub fn encode_json(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        self.validate()?;
        let mut w = Writer::new(buf);
        w.begin()?;
        w.opt_str(Key::C, self.client_token)?;
        w.end()?;
        Ok(w.len)
    }

    /// Decode from JSON, borrowing from `input`.
    ///
    /// # Errors
    /// [`StreamError::Json`], a duplicate key, or a broken limit.
    pub fn decode_json(input: &'a [u8]) -> Result<Self, StreamError> {
        let fields = decode(
            input,
            DescribeRequestFields {
                c: Slot::new(Key::C),
            },
        )?;
        let req = Self {
            client_token: fields.c.get(),
        };
        req.validate()?;
        Ok(req)
    }
}

struct GetFields<'de> {
    c: Slot<JsonStr<'de>>,
    s: Slot<u64>,
    f: Slot<u64>,
    l: Slot<u64>,
    o: Slot<u64>,
    n: Slot<u64>,
    b: Slot<JsonStr<'de>>,
}

impl<'de> Fields<'de> for GetFields<'de> {
    fn field<A: MapAccess<'de>>(
        &mut self,
        key: Key,
        map: &mut A,
    ) -> Result<Result<bool, StreamError>, A::Error> {
        match key {
            Key::C => put(&mut self.c, map.next_value()?),
            Key::S => put(&mut self.s, map.next_value()?),
            Key::F => put(&mut self.f, map.next_value()?),
            Key::L => put(&mut self.l, map.next_value()?),
            Key::O => put(&mut self.o, map.next_value()?),
            Key::N => put(&mut self.n, map.next_value()?),
            Key::B => put(&mut self.b, map.next_value()?),
            _ => Ok(Ok(false)),
        }
    }
}

impl<'a> GetStreamRequest<'a> {
    /// Encode as JSON with keys `c, s, l, f, o, n, b` (absent ones left out; `o` always
    /// written), the order of the AWS documentation's example, the bitmap as a hex string;
    /// returns the length written to `buf`.
    ///
    /// # Errors
    /// A broken limit ([`GetStreamRequest::validate`]), [`StreamError::BufferTooSmall`].
    pub fn encode_json(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        self.validate()?;
        let mut w = Writer::new(buf);
        w.begin()?;
        w.opt_str(Key::C, self.client_token)?;
        if let Some(s) = self.stream_version {
            w.u32(Key::S, s)?;
        }
        w.u32(Key::L, self.block_size)?;
        w.u32(Key::F, u32::from(self.file_id))?;
        w.u32(Key::O, self.offset)?;
        if let Some(n) = self.block_count {
            w.u32(Key::N, n)?;
        }
        if let Some(b) = self.bitmap {
            w.hex(Key::B, b)?;
        }
        w.end()?;
        Ok(w.len)
    }

    /// Decode from JSON, borrowing the client token from `input` and decoding the hex
    /// bitmap into `bitmap` (it needs up to [`MAX_BITMAP_LEN`] bytes). `f` and `l` are
    /// required; a missing `o` is 0.
    ///
    /// # Errors
    /// [`StreamError::Json`], a missing or duplicate key, a broken limit,
    /// [`StreamError::BitmapHex`], [`StreamError::BufferTooSmall`] if `bitmap` is too short.
    pub fn decode_json(input: &'a [u8], bitmap: &'a mut [u8]) -> Result<Self, StreamError> {
        let fields = decode(
            input,
            GetFields {
                c: Slot::new(Key::C),
                s: Slot::new(Key::S),
                f: Slot::new(Key::F),
                l: Slot::new(Key::L),
                o: Slot::new(Key::O),
                n: Slot::new(Key::N),
                b: Slot::new(Key::B),
            },
        )?;
        let hex = fields.b.get();
        let req = Self {
            client_token: fields.c.get(),
            stream_version: fields.s.get().map(|v| narrow_key(v, Key::S)).transpose()?,
            file_id: file_id(fields.f.required()?)?,
            block_size: narrow(fields.l.required()?, StreamError::BlockSizeOutOfBounds)?,
            offset: fields
                .o
                .get()
                .map(|v| narrow(v, StreamError::OffsetOutOfBounds))
                .transpose()?
                .unwrap_or(0),
            block_count: fields
                .n
                .get()
                .map(|v| narrow(v, StreamError::BlockCountOutOfBounds))
                .transpose()?,
            bitmap: match hex {
                Some(hex) if hex.len() > hex_bitmap_len(MAX_BITMAP_LEN) => {
                    return Err(StreamError::BitmapTooLong);
                }
                Some(hex) => Some(bitmap_from_json_hex(hex, bitmap)?),
                None => None,
            },
        };
        req.validate()?;
        Ok(req)
    }
}

struct DataFields<'de> {
    c: Slot<JsonStr<'de>>,
    f: Slot<u64>,
    i: Slot<u64>,
    l: Slot<u64>,
    p: Slot<JsonStr<'de>>,
}

impl<'de> Fields<'de> for DataFields<'de> {
    fn field<A: MapAccess<'de>>(
        &mut self,
        key: Key,
        map: &mut A,
    ) -> Result<Result<bool, StreamError>, A::Error> {
        match key {
            Key::C => put(&mut self.c, map.next_value()?),
            Key::F => put(&mut self.f, map.next_value()?),
            Key::I => put(&mut self.i, map.next_value()?),
            Key::L => put(&mut self.l, map.next_value()?),
            Key::P => put(&mut self.p, map.next_value()?),
            _ => Ok(Ok(false)),
        }
    }
}

impl<'a> DataBlock<'a> {
    /// Encode as JSON with keys `c, f, l, i, p` (`c` left out when absent), the payload in
    /// standard padded base64; returns the length written to `buf`.
    ///
    /// # Errors
    /// A broken limit ([`DataBlock::validate`]), [`StreamError::BufferTooSmall`].
    pub fn encode_json(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        self.validate()?;
        let mut w = Writer::new(buf);
        w.begin()?;
        w.opt_str(Key::C, self.client_token)?;
        w.u32(Key::F, u32::from(self.file_id))?;
        // validate() bounds the payload to 131072 bytes.
        w.u32(Key::L, self.payload.len() as u32)?;
        w.u32(Key::I, self.block_id)?;
        w.base64(Key::P, self.payload)?;
        w.end()?;
        Ok(w.len)
    }

    /// Decode from JSON, borrowing the client token from `input` and decoding the base64
    /// payload into `payload` (it needs the block size). `f`, `i`, `l` and `p` are required
    /// and `l` must equal the decoded length.
    ///
    /// # Errors
    /// [`StreamError::Json`], a missing or duplicate key, a broken limit,
    /// [`StreamError::Base64`], [`StreamError::BufferTooSmall`] if `payload` is too short,
    /// [`StreamError::PayloadLengthMismatch`].
    pub fn decode_json(input: &'a [u8], payload: &'a mut [u8]) -> Result<Self, StreamError> {
        let fields = decode(
            input,
            DataFields {
                c: Slot::new(Key::C),
                f: Slot::new(Key::F),
                i: Slot::new(Key::I),
                l: Slot::new(Key::L),
                p: Slot::new(Key::P),
            },
        )?;
        let (client_token, f) = (fields.c.get(), file_id(fields.f.required()?)?);
        let (i, l) = (
            narrow_key(fields.i.required()?, Key::I)?,
            fields.l.required()?,
        );
        let len = decode_payload(fields.p.required()?, payload)?;
        if l != len as u64 {
            return Err(StreamError::PayloadLengthMismatch);
        }
        let block = Self {
            client_token,
            file_id: f,
            block_id: i,
            payload: &payload[..len],
        };
        block.validate()?;
        Ok(block)
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

struct FileFields {
    f: Slot<u64>,
    z: Slot<u64>,
}

impl<'de> Fields<'de> for FileFields {
    fn field<A: MapAccess<'de>>(
        &mut self,
        key: Key,
        map: &mut A,
    ) -> Result<Result<bool, StreamError>, A::Error> {
        match key {
            Key::F => put(&mut self.f, map.next_value()?),
            Key::Z => put(&mut self.z, map.next_value()?),
            _ => Ok(Ok(false)),
        }
    }
}

impl FileFields {
    fn finish(self) -> Result<StreamFile, StreamError> {
        Ok(StreamFile {
            file_id: file_id(self.f.required()?)?,
            size: narrow_key(self.z.required()?, Key::Z)?,
        })
    }
}

/// The `r` array: up to `N` files; the first typed error wins, the array is still read to
/// its end.
struct FilesSeed<const N: usize>;

impl<'de, const N: usize> Visitor<'de> for FilesSeed<N> {
    type Value = Result<heapless::Vec<StreamFile, N>, StreamError>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of files")
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Self::Value, S::Error> {
        let mut files = heapless::Vec::new();
        let mut error = None;
        let new = || {
            MapVisitor(FileFields {
                f: Slot::new(Key::F),
                z: Slot::new(Key::Z),
            })
        };
        while let Some(entry) = seq.next_element_seed(new())? {
            let file = entry.and_then(FileFields::finish);
            let pushed = file.and_then(|f| files.push(f).map_err(|_| StreamError::TooManyFiles));
            if let Err(e) = pushed {
                error.get_or_insert(e);
            }
        }
        Ok(error.map_or(Ok(files), Err))
    }
}

impl<'de, const N: usize> DeserializeSeed<'de> for FilesSeed<N> {
    type Value = Result<heapless::Vec<StreamFile, N>, StreamError>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

struct DescribeResponseFields<'de, const N: usize> {
    c: Slot<JsonStr<'de>>,
    s: Slot<u64>,
    d: Slot<JsonStr<'de>>,
    r: Slot<heapless::Vec<StreamFile, N>>,
}

impl<'de, const N: usize> Fields<'de> for DescribeResponseFields<'de, N> {
    fn field<A: MapAccess<'de>>(
        &mut self,
        key: Key,
        map: &mut A,
    ) -> Result<Result<bool, StreamError>, A::Error> {
        match key {
            Key::C => put(&mut self.c, map.next_value()?),
            Key::S => put(&mut self.s, map.next_value()?),
            Key::D => put(&mut self.d, map.next_value()?),
            Key::R => match map.next_value_seed(FilesSeed::<N>)? {
                Ok(files) => put(&mut self.r, files),
                Err(e) => Ok(Err(e)),
            },
            _ => Ok(Ok(false)),
        }
    }
}

impl<'a, const N: usize> DescribeStreamResponse<'a, N> {
    /// Encode as JSON with keys `c, s, d, r` (absent ones left out); returns the length
    /// written to `buf`.
    ///
    /// # Errors
    /// [`StreamError::ClientTokenTooLong`], [`StreamError::BufferTooSmall`].
    pub fn encode_json(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        self.validate()?;
        let mut w = Writer::new(buf);
        w.begin()?;
        w.opt_str(Key::C, self.client_token)?;
        w.u32(Key::S, self.stream_version)?;
        w.opt_str(Key::D, self.description)?;
        w.key(Key::R)?;
        w.raw(b"[")?;
        for (i, file) in self.files.iter().enumerate() {
            if i > 0 {
                w.raw(b",")?;
            }
            w.begin()?;
            w.u32(Key::F, u32::from(file.file_id))?;
            w.u32(Key::Z, file.size)?;
            w.end()?;
        }
        w.raw(b"]")?;
        w.end()?;
        Ok(w.len)
    }

    /// Decode from JSON, borrowing from `input`. `s` and `r` are required, and `f` and `z`
    /// in each file.
    ///
    /// # Errors
    /// [`StreamError::Json`], a missing or duplicate key, a broken limit,
    /// [`StreamError::TooManyFiles`] when `r` lists more than `N` files.
    pub fn decode_json(input: &'a [u8]) -> Result<Self, StreamError> {
        let fields = decode(
            input,
            DescribeResponseFields {
                c: Slot::new(Key::C),
                s: Slot::new(Key::S),
                d: Slot::new(Key::D),
                r: Slot::new(Key::R),
            },
        )?;
        let response = Self {
            client_token: fields.c.get(),
            stream_version: narrow_key(fields.s.required()?, Key::S)?,
            description: fields.d.get(),
            files: fields.r.required()?,
        };
        response.validate()?;
        Ok(response)
    }
}

struct RejectedFields<'de> {
    o: Slot<StreamErrorCode<'de>>,
    m: Slot<JsonStr<'de>>,
    c: Slot<JsonStr<'de>>,
    code: Slot<StreamErrorCode<'de>>,
    message: Slot<JsonStr<'de>>,
    client_token: Slot<JsonStr<'de>>,
}

impl<'de> Fields<'de> for RejectedFields<'de> {
    fn field<A: MapAccess<'de>>(
        &mut self,
        key: Key,
        map: &mut A,
    ) -> Result<Result<bool, StreamError>, A::Error> {
        match key {
            Key::O => put(&mut self.o, map.next_value::<CodeDe<'de>>()?.0),
            Key::M => put(&mut self.m, map.next_value()?),
            Key::C => put(&mut self.c, map.next_value()?),
            Key::Code => put(&mut self.code, map.next_value::<CodeDe<'de>>()?.0),
            Key::Message => put(&mut self.message, map.next_value()?),
            Key::ClientToken => put(&mut self.client_token, map.next_value()?),
            _ => Ok(Ok(false)),
        }
    }
}

impl<'a> StreamRejected<'a> {
    /// Encode as JSON with keys `o, m, c` (absent ones left out); returns the length written
    /// to `buf`.
    ///
    /// # Errors
    /// [`StreamError::ClientTokenTooLong`], [`StreamError::BufferTooSmall`].
    pub fn encode_json(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        self.validate()?;
        let mut w = Writer::new(buf);
        w.begin()?;
        w.str(Key::O, self.code.as_str())?;
        w.opt_str(Key::M, self.message)?;
        w.opt_str(Key::C, self.client_token)?;
        w.end()?;
        Ok(w.len)
    }

    /// Decode from JSON, borrowing from `input`. The code (`o` or `code`) is required.
    ///
    /// # Errors
    /// [`StreamError::Json`], a missing or duplicate key, a broken limit.
    pub fn decode_json(input: &'a [u8]) -> Result<Self, StreamError> {
        let fields = decode(
            input,
            RejectedFields {
                o: Slot::new(Key::O),
                m: Slot::new(Key::M),
                c: Slot::new(Key::C),
                code: Slot::new(Key::Code),
                message: Slot::new(Key::Message),
                client_token: Slot::new(Key::ClientToken),
            },
        )?;
        let code = fields.o.get().or(fields.code.get());
        let rejected = Self {
            code: code.ok_or(StreamError::MissingKey(Key::O.name()))?,
            message: fields.m.get().or(fields.message.get()),
            client_token: fields.c.get().or(fields.client_token.get()),
        };
        rejected.validate()?;
        Ok(rejected)
    }
}

#[cfg(test)]
mod tests;
mod writer;
