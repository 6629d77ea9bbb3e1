//! The DescribeStream request: asks for a stream's files.

use super::{check_token, decode, encode};
use crate::json::JsonStr;
use crate::streams::error::StreamError;
use crate::streams::fields::{CborMap, Field, Kind, Message, NoFiles, Value};
use crate::streams::key::Key;
use crate::streams::topic::Format;
use crate::streams::values::{Codec, Values};
use crate::streams::{cbor, json};

/// DescribeStream request, published to `…/streams/{streamId}/describe/{fmt}`.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DescribeStreamRequest<'a> {
    /// `c`: echoed in the response; at most 64 bytes (decoded).
    pub client_token: Option<JsonStr<'a>>,
}

impl<'a> DescribeStreamRequest<'a> {
    /// Check the client token length.
    ///
    /// # Errors
    /// [`StreamError::ClientTokenTooLong`].
    pub fn validate(&self) -> Result<(), StreamError> {
        check_token(self.client_token)
    }

    /// Encode as a definite-length CBOR map; returns the length written to `buf`.
    ///
    /// # Errors
    /// [`StreamError::ClientTokenTooLong`], [`StreamError::BufferTooSmall`].
    pub fn encode_cbor(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        cbor::encode(self, buf)
    }

    /// Decode from CBOR, borrowing from `input`.
    ///
    /// # Errors
    /// [`StreamError::Cbor`], a duplicate key, or a broken limit.
    pub fn decode_cbor(input: &'a [u8]) -> Result<Self, StreamError> {
        cbor::decode(input, &mut [])
    }

    /// Encode as JSON (`{}` or `{"c":"…"}`); returns the length written to `buf`.
    ///
    /// # Errors
    /// [`StreamError::ClientTokenTooLong`], [`StreamError::BufferTooSmall`].
    pub fn encode_json(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        json::encode(self, buf)
    }

    /// Decode from JSON, borrowing from `input`.
    ///
    /// # Errors
    /// [`StreamError::Json`], a duplicate key, or a broken limit.
    pub fn decode_json(input: &'a [u8]) -> Result<Self, StreamError> {
        json::decode(input, &mut [])
    }

    /// Encode in `format`; returns the length written to `buf`.
    ///
    /// # Errors
    /// As [`DescribeStreamRequest::encode_cbor`] and [`DescribeStreamRequest::encode_json`].
    pub fn encode(&self, format: Format, buf: &mut [u8]) -> Result<usize, StreamError> {
        encode(self, format, buf)
    }

    /// Decode from `format`.
    ///
    /// # Errors
    /// As [`DescribeStreamRequest::decode_cbor`] and [`DescribeStreamRequest::decode_json`].
    pub fn decode(format: Format, input: &'a [u8]) -> Result<Self, StreamError> {
        decode(format, input, &mut [])
    }
}

impl<'a> Message<'a> for DescribeStreamRequest<'a> {
    const FIELDS: &'static [Field] = &[Field::new(Key::C, Kind::Token)];
    const CBOR_MAP: CborMap = CborMap::Definite;
    type Files = NoFiles;

    fn value(&self, key: Key) -> Option<Value<'_>> {
        match key {
            Key::C => self.client_token.map(Value::Text),
            _ => None,
        }
    }

    fn from_values<C: Codec>(values: &mut Values<'a, C>, _: NoFiles) -> Result<Self, StreamError> {
        Ok(Self {
            client_token: values.text(Key::C),
        })
    }

    fn check(&self) -> Result<(), StreamError> {
        self.validate()
    }
}
