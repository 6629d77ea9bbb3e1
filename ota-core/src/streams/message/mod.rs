//! The stream messages, one file each: the message and its limits (`validate`), its
//! description for the codecs ([`super::fields::Message`]), and its public encoders and
//! decoders, which hand the work to `cbor.rs` and `json.rs`.

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

/// `message` encoded in `format` into `buf`; the length written.
fn encode<'a, M: Message<'a>>(
    message: &M,
    format: Format,
    buf: &mut [u8],
) -> Result<usize, StreamError> {
    match format {
        Format::Cbor => cbor::encode(message, buf),
        Format::Json => json::encode(message, buf),
    }
}

/// A message decoded from `format`, with `buf` for what cannot be borrowed from `input`.
fn decode<'a, M: Message<'a>>(
    format: Format,
    input: &'a [u8],
    buf: &'a mut [u8],
) -> Result<M, StreamError> {
    match format {
        Format::Cbor => cbor::decode(input, buf),
        Format::Json => json::decode(input, buf),
    }
}

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
