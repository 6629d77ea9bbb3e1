//! A data block: one block of a file, as the service sends it.

use super::{MAX_BLOCK_SIZE, check_token, file_id, narrow_key};
use crate::json::JsonStr;
use crate::streams::error::StreamError;
use crate::streams::fields::{
    BLOCK_ID, BLOCK_SIZE, CLIENT_TOKEN, CborMap, FILE_ID, Field, Message, NoFiles, PAYLOAD, Value,
};
use crate::streams::key::Key;
use crate::streams::values::{Codec, Values};

/// One block of a file, from `…/streams/{streamId}/data/{fmt}`.
///
/// On the wire `l` is the payload length; decoders check it and encoders write it.
///
/// Encoded ([`StreamMessage`](super::StreamMessage)) as an indefinite-length CBOR map with keys
/// `c, f, i, l, p`, as the service sends blocks, or as JSON with keys `c, f, l, i, p`, the
/// payload in standard padded base64 (`c` left out when absent). Decoded with `f`, `i`, `l` and
/// `p` required and `l` equal to the payload's length; the decoders' scratch holds a JSON
/// payload or a chunked CBOR one (it needs the block size), while a definite-length CBOR
/// payload is borrowed from the input, with an empty scratch too. A chunked CBOR client token
/// decodes as `None` (the AWS C agent does not read `c` at all).
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
}

impl<'a> Message<'a> for DataBlock<'a> {
    /// `c, f, i, l, p`: the order the service sends blocks in.
    const FIELDS: &'static [Field] = &[CLIENT_TOKEN, FILE_ID, BLOCK_ID, BLOCK_SIZE, PAYLOAD];
    /// `c, f, l, i, p`.
    const JSON_ORDER: Option<&'static [Key]> = Some(&[Key::C, Key::F, Key::L, Key::I, Key::P]);
    const CBOR_MAP: CborMap = CborMap::Indefinite;
    type Files = NoFiles;

    #[inline]
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
