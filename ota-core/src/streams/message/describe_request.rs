//! The DescribeStream request: asks for a stream's files.

use super::check_token;
use crate::json::JsonStr;
use crate::streams::error::StreamError;
use crate::streams::fields::{CLIENT_TOKEN, CborMap, Field, Message, NoFiles, Value};
use crate::streams::key::Key;
use crate::streams::values::{Codec, Values};

/// DescribeStream request, published to `…/streams/{streamId}/describe/{fmt}`.
///
/// Encoded ([`StreamMessage`](super::StreamMessage)) as a definite-length CBOR map, or as JSON
/// (`{}` or `{"c":"…"}`). Its decoders borrow everything from the input: their scratch is
/// unused.
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
}

impl<'a> Message<'a> for DescribeStreamRequest<'a> {
    const FIELDS: &'static [Field] = &[CLIENT_TOKEN];
    const CBOR_MAP: CborMap = CborMap::Definite;
    type Files = NoFiles;

    #[inline]
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
