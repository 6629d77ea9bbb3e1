//! The stream messages, one file each: the message and its limits (`validate`) and its
//! description for the codecs ([`super::fields::Message`]). Their public encoders and
//! decoders are said once, here: the provided methods of [`StreamMessage`], which hand the
//! work to `cbor.rs` and `json.rs`.

mod data_block;
mod describe_request;
mod describe_response;
mod get_request;
mod rejected;

pub use data_block::DataBlock;
pub use describe_request::DescribeStreamRequest;
pub use describe_response::{DescribeStreamResponse, StreamFile};
pub use get_request::GetStreamRequest;
pub use rejected::StreamRejected;

use super::error::StreamError;
use super::fields::Message;
use super::key::Key;
use super::topic::Format;
use super::{cbor, json};
use crate::jobs::MAX_CLIENT_TOKEN_LEN;
use crate::json::JsonStr;

/// Smallest block size (`l`) a GetStream request may ask for.
pub const MIN_BLOCK_SIZE: u32 = 256;
/// Largest block size (`l`), and the most data one GetStream request returns.
pub const MAX_BLOCK_SIZE: u32 = 131_072;
/// Largest block offset (`o`).
pub const MAX_BLOCK_OFFSET: u32 = 98_304;
/// Largest block count (`n`).
pub const MAX_BLOCK_COUNT: u32 = 98_304;
/// Longest bitmap (`b`), in bytes: AWS requires fewer than 12288.
pub const MAX_BITMAP_LEN: usize = 12_287;

/// The client token limit, on the decoded length.
pub(crate) fn check_token(token: Option<JsonStr<'_>>) -> Result<(), StreamError> {
    match token {
        Some(t) if t.len() > MAX_CLIENT_TOKEN_LEN => Err(StreamError::ClientTokenTooLong),
        _ => Ok(()),
    }
}

/// A decoded file id.
pub(crate) fn file_id(v: u64) -> Result<u8, StreamError> {
    u8::try_from(v).map_err(|_| StreamError::FileIdOutOfBounds)
}

/// A decoded 32-bit value, with `error` when it does not fit.
pub(crate) fn narrow(v: u64, error: StreamError) -> Result<u32, StreamError> {
    u32::try_from(v).map_err(|_| error)
}

/// A decoded 32-bit value without a named limit.
pub(crate) fn narrow_key(v: u64, key: Key) -> Result<u32, StreamError> {
    narrow(v, StreamError::ValueOutOfRange(key.name()))
}

/// The encoders and decoders of the stream messages, in CBOR and JSON: [`DataBlock`],
/// [`DescribeStreamRequest`], [`DescribeStreamResponse`], [`GetStreamRequest`] and
/// [`StreamRejected`] implement it, and nothing else can (it is sealed). Its methods are
/// provided; bring it into scope to call them (`use ota_core::streams::StreamMessage as _;`).
/// The keys each message writes and requires are in its type's docs.
///
/// # Encoding
///
/// `encode_cbor`, `encode_json` and `encode` check the message's limits (its `validate`),
/// write it into `buf` and return the length written. Text values are written decoded.
///
/// # Decoding
///
/// `decode_cbor`, `decode_json` and `decode` read all of `input` as one message (bytes after
/// it are an error) and check its limits. Text (client token, description, message, error
/// code) is borrowed from `input`, and so is a definite-length CBOR byte string. (An error
/// code is decoded into its known code whatever its escapes; only an unknown code written
/// with JSON escapes is kept as `Unknown("")`.)
///
/// `scratch` receives the one value that cannot be borrowed: a byte string that is encoded
/// in JSON or sent in chunks (indefinite-length) in CBOR. What it is, by message:
///
/// | message | JSON | CBOR |
/// | --- | --- | --- |
/// | [`DataBlock`] | the base64 payload, decoded: it needs the block size | the chunks of a chunked payload, end to end; a definite-length payload is borrowed from `input`, whatever `scratch` is |
/// | [`GetStreamRequest`] | the hex bitmap, decoded: it needs up to [`MAX_BITMAP_LEN`] bytes | the chunks of a chunked bitmap, end to end; a definite-length bitmap is borrowed from `input`, whatever `scratch` is |
/// | [`DescribeStreamRequest`], [`DescribeStreamResponse`], [`StreamRejected`] | unused | unused |
///
/// A message that does not use it takes an empty one (`&mut []`). So may a CBOR data block
/// or GetStream request: its payload or bitmap, when it has a definite length (as this
/// crate's encoders write it), is still borrowed, and only a chunked one is refused, with
/// [`StreamError::BufferTooSmall`] (an empty chunked one excepted). Whatever does not fit
/// `scratch` is [`StreamError::BufferTooSmall`]: nothing is allocated. A bitmap longer than
/// [`MAX_BITMAP_LEN`] is [`StreamError::BitmapTooLong`] and a CBOR payload longer than
/// [`MAX_BLOCK_SIZE`] [`StreamError::BlockSizeOutOfBounds`] whatever the size of `scratch`;
/// a JSON payload is decoded first, so one longer than `scratch` is
/// [`StreamError::BufferTooSmall`] whatever its length.
///
/// Chunked CBOR text never goes to `scratch`: it is checked (UTF-8, the client token's
/// length) but cannot be borrowed, so a chunked client token, description or message
/// decodes as `None` and a chunked error code as its known code or `Unknown("")`.
///
/// # Errors
///
/// Encoders: the message's `validate` error; [`StreamError::BufferTooSmall`] when `buf` is
/// too short.
///
/// Decoders: [`StreamError::Cbor`] or [`StreamError::Json`] for malformed input (CBOR
/// nested deeper than [`super::MAX_CBOR_DEPTH`], bytes after the message); a missing
/// ([`StreamError::MissingKey`]) or duplicate ([`StreamError::DuplicateKey`]) key; a broken
/// limit (the message's `validate` errors, a number too large for its field);
/// [`StreamError::BufferTooSmall`] as above; for a data block
/// [`StreamError::PayloadLengthMismatch`] when `l` is not the payload's length and
/// [`StreamError::Base64`] for a bad JSON payload; for a GetStream request
/// [`StreamError::BitmapHex`] for a bad JSON bitmap; for a DescribeStream response
/// [`StreamError::TooManyFiles`] when `r` lists more files than it holds.
pub trait StreamMessage<'a>: Message<'a> {
    /// Encode as CBOR into `buf`; the length written.
    ///
    /// # Errors
    /// See [`StreamMessage`].
    fn encode_cbor(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        cbor::encode(self, buf)
    }

    /// Encode as compact JSON into `buf`; the length written.
    ///
    /// # Errors
    /// See [`StreamMessage`].
    fn encode_json(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        json::encode(self, buf)
    }

    /// Encode in `format` into `buf`; the length written.
    ///
    /// # Errors
    /// See [`StreamMessage`].
    fn encode(&self, format: Format, buf: &mut [u8]) -> Result<usize, StreamError> {
        match format {
            Format::Cbor => self.encode_cbor(buf),
            Format::Json => self.encode_json(buf),
        }
    }

    /// Decode from CBOR, borrowing from `input`; `scratch` receives a chunked byte string
    /// (see [`StreamMessage`]: `&mut []` borrows a definite-length one and refuses a chunked
    /// one).
    ///
    /// # Errors
    /// See [`StreamMessage`].
    fn decode_cbor(input: &'a [u8], scratch: &'a mut [u8]) -> Result<Self, StreamError> {
        cbor::decode(input, scratch)
    }

    /// Decode from JSON, borrowing from `input`; `scratch` receives a data block's payload
    /// or a GetStream request's bitmap, decoded (see [`StreamMessage`]).
    ///
    /// # Errors
    /// See [`StreamMessage`].
    fn decode_json(input: &'a [u8], scratch: &'a mut [u8]) -> Result<Self, StreamError> {
        json::decode(input, scratch)
    }

    /// Decode from `format`, borrowing from `input`; `scratch` receives what cannot be
    /// borrowed (see [`StreamMessage`]).
    ///
    /// # Errors
    /// See [`StreamMessage`].
    fn decode(format: Format, input: &'a [u8], scratch: &'a mut [u8]) -> Result<Self, StreamError> {
        match format {
            Format::Cbor => Self::decode_cbor(input, scratch),
            Format::Json => Self::decode_json(input, scratch),
        }
    }
}

impl<'a> StreamMessage<'a> for DataBlock<'a> {}
impl<'a> StreamMessage<'a> for DescribeStreamRequest<'a> {}
impl<'a, const N: usize> StreamMessage<'a> for DescribeStreamResponse<'a, N> {}
impl<'a> StreamMessage<'a> for GetStreamRequest<'a> {}
impl<'a> StreamMessage<'a> for StreamRejected<'a> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::streams::fields::Field;

    #[test]
    fn narrowing() {
        assert_eq!(file_id(255), Ok(255));
        assert_eq!(file_id(256), Err(StreamError::FileIdOutOfBounds));
        assert_eq!(
            narrow_key(1 << 32, Key::Z),
            Err(StreamError::ValueOutOfRange("z"))
        );
    }

    /// Each description names each key once.
    #[test]
    fn descriptions_name_each_key_once() {
        let all: [&[Field]; 6] = [
            DataBlock::FIELDS,
            DescribeStreamRequest::FIELDS,
            DescribeStreamResponse::<1>::FIELDS,
            StreamFile::FIELDS,
            GetStreamRequest::FIELDS,
            StreamRejected::FIELDS,
        ];
        for fields in all {
            for (i, field) in fields.iter().enumerate() {
                assert!(fields[..i].iter().all(|f| f.key != field.key));
            }
        }
    }
}
