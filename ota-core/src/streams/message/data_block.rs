//! A data block: one block of a file, as the service sends it.

use super::{MAX_BLOCK_SIZE, check_token, decode, encode, file_id, narrow_key};
use crate::json::JsonStr;
use crate::streams::error::StreamError;
use crate::streams::fields::{CborMap, Field, Kind, Message, NoFiles, Value};
use crate::streams::key::Key;
use crate::streams::topic::Format;
use crate::streams::values::{Codec, Values};
use crate::streams::{cbor, json};

/// One block of a file, from `…/streams/{streamId}/data/{fmt}`.
///
/// On the wire `l` is the payload length; decoders check it and encoders write it.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DataBlock<'a> {
    /// `c`: the request's client token.
    pub client_token: Option<JsonStr<'a>>,
    /// `f`: file id. Check it against the request: the AWS agents do not.
    pub file_id: u8,
    /// `i`: block index from the start of the file.
    pub block_id: u32,
    /// `p`: the block (the last block of a file may be short), at most [`MAX_BLOCK_SIZE`].
    pub payload: &'a [u8],
}

impl<'a> DataBlock<'a> {
    /// Check the client token and payload lengths.
    ///
    /// # Errors
    /// [`StreamError::ClientTokenTooLong`]; [`StreamError::BlockSizeOutOfBounds`] for a
    /// payload longer than [`MAX_BLOCK_SIZE`].
    pub fn validate(&self) -> Result<(), StreamError> {
        check_token(self.client_token)?;
        if self.payload.len() > MAX_BLOCK_SIZE as usize {
            return Err(StreamError::BlockSizeOutOfBounds);
        }
        Ok(())
    }

    /// Encode as an indefinite-length CBOR map with keys `c, f, i, l, p`, as the service
    /// sends blocks (`c` left out when absent); returns the length written to `buf`.
    ///
    /// # Errors
    /// A broken limit ([`DataBlock::validate`]), [`StreamError::BufferTooSmall`].
    pub fn encode_cbor(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        cbor::encode(self, buf)
    }

    /// Decode from CBOR, borrowing the payload from `input`. `f`, `i`, `l` and `p` are
    /// required and `l` must equal the payload length. A chunked (indefinite-length) payload
    /// cannot be borrowed and is [`StreamError::BufferTooSmall`] here (unless empty): use
    /// [`DataBlock::decode_cbor_into`].
    ///
    /// # Errors
    /// As [`DataBlock::decode_cbor_into`].
    pub fn decode_cbor(input: &'a [u8]) -> Result<Self, StreamError> {
        cbor::decode(input, &mut [])
    }

    /// Decode from CBOR as the AWS C agent does, chunked payloads included: a definite-length
    /// payload is borrowed from `input`, the chunks of an indefinite-length one are copied
    /// end to end into `payload` (a block buffer: nothing is allocated). `f`, `i`, `l` and
    /// `p` are required and `l` must equal the payload length. A chunked client token
    /// decodes as `None` (the agent does not read `c` at all).
    ///
    /// # Errors
    /// [`StreamError::Cbor`], a missing or duplicate key, a broken limit (a payload longer
    /// than [`MAX_BLOCK_SIZE`] is [`StreamError::BlockSizeOutOfBounds`]),
    /// [`StreamError::BufferTooSmall`] for a chunked payload longer than `payload`,
    /// [`StreamError::PayloadLengthMismatch`].
    pub fn decode_cbor_into(input: &'a [u8], payload: &'a mut [u8]) -> Result<Self, StreamError> {
        cbor::decode(input, payload)
    }

    /// Encode as JSON with keys `c, f, l, i, p` (`c` left out when absent), the payload in
    /// standard padded base64; returns the length written to `buf`.
    ///
    /// # Errors
    /// A broken limit ([`DataBlock::validate`]), [`StreamError::BufferTooSmall`].
    pub fn encode_json(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        json::encode(self, buf)
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
        json::decode(input, payload)
    }

    /// Encode in `format`; returns the length written to `buf`.
    ///
    /// # Errors
    /// As [`DataBlock::encode_cbor`] and [`DataBlock::encode_json`].
    pub fn encode(&self, format: Format, buf: &mut [u8]) -> Result<usize, StreamError> {
        encode(self, format, buf)
    }

    /// Decode from `format`; `payload` holds a JSON payload or a chunked CBOR one (a
    /// definite-length CBOR payload is borrowed from `input`).
    ///
    /// # Errors
    /// As [`DataBlock::decode_cbor_into`] and [`DataBlock::decode_json`].
    pub fn decode(
        format: Format,
        input: &'a [u8],
        payload: &'a mut [u8],
    ) -> Result<Self, StreamError> {
        decode(format, input, payload)
    }
}

impl<'a> Message<'a> for DataBlock<'a> {
    /// `c, f, i, l, p`: the order the service sends blocks in.
    const FIELDS: &'static [Field] = &[
        Field::new(Key::C, Kind::Token),
        Field::new(Key::F, Kind::Uint),
        Field::new(Key::I, Kind::Uint),
        Field::new(Key::L, Kind::Uint),
        Field::new(Key::P, Kind::Payload),
    ];
    /// `c, f, l, i, p`.
    const JSON_ORDER: Option<&'static [Key]> = Some(&[Key::C, Key::F, Key::L, Key::I, Key::P]);
    const CBOR_MAP: CborMap = CborMap::Indefinite;
    type Files = NoFiles;

    fn value(&self, key: Key) -> Option<Value<'_>> {
        Some(match key {
            Key::C => Value::Text(self.client_token?),
            Key::F => Value::Uint(self.file_id.into()),
            Key::I => Value::Uint(self.block_id),
            // `check` bounds the payload to 131072 bytes.
            Key::L => Value::Uint(self.payload.len() as u32),
            Key::P => Value::Payload(self.payload),
            _ => return None,
        })
    }

    /// All but `c` required; `l` the payload's length.
    fn from_values<C: Codec>(values: &mut Values<'a, C>, _: NoFiles) -> Result<Self, StreamError> {
        Ok(Self {
            client_token: values.text(Key::C),
            file_id: file_id(values.required_uint(Key::F)?)?,
            block_id: narrow_key(values.required_uint(Key::I)?, Key::I)?,
            payload: values.payload(Key::P, Key::L)?,
        })
    }

    fn check(&self) -> Result<(), StreamError> {
        self.validate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_limit() {
        let payload = [0u8; 131_073];
        let block = DataBlock {
            client_token: None,
            file_id: 0,
            block_id: 0,
            payload: &payload,
        };
        assert_eq!(block.validate(), Err(StreamError::BlockSizeOutOfBounds));
        assert_eq!(
            DataBlock {
                payload: &payload[1..],
                ..block
            }
            .validate(),
            Ok(())
        );
    }
}
