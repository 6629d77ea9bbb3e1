//! The DescribeStream response: a stream's version and files.

use super::{check_token, file_id, narrow_key};
use crate::json::JsonStr;
use crate::streams::error::StreamError;
use crate::streams::fields::{
    CLIENT_TOKEN, CborMap, DESCRIPTION, FILE_ID, FILE_SIZE, FILES, Field, Message, NoFiles,
    STREAM_VERSION, Value,
};
use crate::streams::key::Key;
use crate::streams::values::{Codec, Values};

/// One file of a stream, as listed in a DescribeStream response (`r[]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct StreamFile {
    /// `f`: file id, 0-255.
    pub file_id: u8,
    /// `z`: size in bytes.
    pub size: u32,
}

/// DescribeStream response, from `…/streams/{streamId}/description/{fmt}`, holding up to `N`
/// files (a response with more is refused with [`StreamError::TooManyFiles`]).
///
/// Encoded ([`StreamMessage`](super::StreamMessage)) as an indefinite-length CBOR map with keys
/// `c, s, d, r`, each file a definite map `{f, z}`, or as JSON with keys `c, s, d, r` (absent
/// ones left out). Decoded with `s` and `r` required, and `f` and `z` in each file; its
/// decoders borrow everything from the input (their scratch is unused), and a chunked
/// (indefinite-length) CBOR client token or description decodes as `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribeStreamResponse<'a, const N: usize> {
    /// `c`: the request's client token.
    pub client_token: Option<JsonStr<'a>>,
    /// `s`: stream version, to send back as GetStream `s`.
    pub stream_version: u32,
    /// `d`: stream description.
    pub description: Option<JsonStr<'a>>,
    /// `r`: the files.
    pub files: heapless::Vec<StreamFile, N>,
}

impl<'a, const N: usize> DescribeStreamResponse<'a, N> {
    /// Check the client token length.
    ///
    /// # Errors
    /// [`StreamError::ClientTokenTooLong`].
    pub fn validate(&self) -> Result<(), StreamError> {
        check_token(self.client_token)
    }

    /// The file with id `file_id`, if listed.
    pub fn file(&self, file_id: u8) -> Option<StreamFile> {
        self.files.iter().find(|f| f.file_id == file_id).copied()
    }
}

impl<'a, const N: usize> Message<'a> for DescribeStreamResponse<'a, N> {
    const FIELDS: &'static [Field] = &[CLIENT_TOKEN, STREAM_VERSION, DESCRIPTION, FILES];
    const CBOR_MAP: CborMap = CborMap::Indefinite;
    type Files = heapless::Vec<StreamFile, N>;

    #[inline]
    fn value(&self, key: Key) -> Option<Value<'_>> {
        Some(match key {
            Key::C => Value::Text(self.client_token?),
            Key::S => Value::Uint(self.stream_version),
            Key::D => Value::Text(self.description?),
            Key::R => Value::Files(&self.files),
            _ => return None,
        })
    }

    /// `s` and `r` required.
    fn from_values<C: Codec>(
        values: &mut Values<'a, C>,
        files: Self::Files,
    ) -> Result<Self, StreamError> {
        Ok(Self {
            client_token: values.text(Key::C),
            stream_version: narrow_key(values.required_uint(Key::S)?, Key::S)?,
            description: values.text(Key::D),
            files: values.require(Key::R).map(|()| files)?,
        })
    }

    fn check(&self) -> Result<(), StreamError> {
        self.validate()
    }
}

impl<'a> Message<'a> for StreamFile {
    const FIELDS: &'static [Field] = &[FILE_ID, FILE_SIZE];
    const CBOR_MAP: CborMap = CborMap::Definite;
    type Files = NoFiles;

    #[inline]
    fn value(&self, key: Key) -> Option<Value<'_>> {
        match key {
            Key::F => Some(Value::Uint(self.file_id.into())),
            Key::Z => Some(Value::Uint(self.size)),
            _ => None,
        }
    }

    /// Both required.
    fn from_values<C: Codec>(values: &mut Values<'a, C>, _: NoFiles) -> Result<Self, StreamError> {
        Ok(Self {
            file_id: file_id(values.required_uint(Key::F)?)?,
            size: narrow_key(values.required_uint(Key::Z)?, Key::Z)?,
        })
    }

    /// A file has no limits of its own.
    fn check(&self) -> Result<(), StreamError> {
        Ok(())
    }
}
