//! A rejected request: the error the service answers either request with.

use super::check_token;
use crate::json::JsonStr;
use crate::streams::code::StreamErrorCode;
use crate::streams::error::StreamError;
use crate::streams::fields::{
    CLIENT_TOKEN, CborMap, ERROR_CODE, ERROR_MESSAGE, Field, Message, NoFiles, Value,
};
use crate::streams::key::Key;
use crate::streams::values::{Codec, Values};

/// An error from `…/streams/{streamId}/rejected/{fmt}`, for either request.
///
/// Decoded from `o`, `m`, `c` or the older `code`, `message`, `clientToken`; when both
/// spellings are present the short one wins. Encoded with the short keys.
///
/// Encoded ([`StreamMessage`](super::StreamMessage)) as an indefinite-length CBOR map with keys
/// `o, m, c`, as the service sends errors, or as JSON with keys `o, m, c` (absent ones left
/// out). Decoded with the code (`o` or `code`) required; its decoders borrow everything from
/// the input (their scratch is unused), and a chunked (indefinite-length) CBOR message or
/// client token decodes as `None`, a chunked code as its known code or `Unknown("")`.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StreamRejected<'a> {
    /// `o`: the error code.
    pub code: StreamErrorCode<'a>,
    /// `m`: human-readable message.
    pub message: Option<JsonStr<'a>>,
    /// `c`: the request's client token.
    pub client_token: Option<JsonStr<'a>>,
}

impl<'a> StreamRejected<'a> {
    /// Check the client token length.
    ///
    /// # Errors
    /// [`StreamError::ClientTokenTooLong`].
    pub fn validate(&self) -> Result<(), StreamError> {
        check_token(self.client_token)
    }
}

impl<'a> Message<'a> for StreamRejected<'a> {
    /// `o, m, c`, as the service sends errors, then their older spellings
    /// ([`Key::older_spelling`]), read but never written.
    const FIELDS: &'static [Field] = &[
        ERROR_CODE,
        ERROR_MESSAGE,
        CLIENT_TOKEN,
        ERROR_CODE.older_spelling(),
        ERROR_MESSAGE.older_spelling(),
        CLIENT_TOKEN.older_spelling(),
    ];
    const CBOR_MAP: CborMap = CborMap::Indefinite;
    type Files = NoFiles;

    #[inline]
    fn value(&self, key: Key) -> Option<Value<'_>> {
        Some(match key {
            Key::O => Value::Text(JsonStr::text(self.code.as_str())),
            Key::M => Value::Text(self.message?),
            Key::C => Value::Text(self.client_token?),
            _ => return None,
        })
    }

    /// The code required; a newer spelling wins over an older one.
    fn from_values<C: Codec>(values: &mut Values<'a, C>, _: NoFiles) -> Result<Self, StreamError> {
        Ok(Self {
            code: values.code(Key::O)?,
            message: values.text(Key::M),
            client_token: values.text(Key::C),
        })
    }

    fn check(&self) -> Result<(), StreamError> {
        self.validate()
    }
}
