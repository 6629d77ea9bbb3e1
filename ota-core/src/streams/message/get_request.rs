//! The GetStream request: which blocks of a file to send.

use super::{
    MAX_BITMAP_LEN, MAX_BLOCK_COUNT, MAX_BLOCK_OFFSET, MAX_BLOCK_SIZE, MIN_BLOCK_SIZE, check_token,
    file_id, narrow, narrow_key,
};
use crate::json::JsonStr;
use crate::streams::bitmap::bitmap_blocks;
use crate::streams::error::StreamError;
use crate::streams::fields::{
    BITMAP, BLOCK_COUNT, BLOCK_SIZE, CLIENT_TOKEN, CborMap, FILE_ID, Field, Message, NoFiles,
    OFFSET, STREAM_VERSION, Value,
};
use crate::streams::key::Key;
use crate::streams::values::{Codec, Values};

/// GetStream request, published to `…/streams/{streamId}/get/{fmt}`.
///
/// Blocks come back one per message on `…/data/{fmt}`, at most 128 KiB per request.
///
/// Encoded ([`StreamMessage`](super::StreamMessage)) as a definite-length CBOR map with keys
/// `c, s, f, l, o, b, n`, the order of the AWS C agent and rustot, or as JSON with keys
/// `c, s, l, f, o, n, b`, the order of the AWS documentation's example, the bitmap as a hex
/// string (absent keys left out; `o` always written). Decoded with `f` and `l` required and a
/// missing `o` 0; the decoders' scratch holds a JSON bitmap (it needs up to [`MAX_BITMAP_LEN`]
/// bytes) or a chunked CBOR one, while a definite-length CBOR bitmap is borrowed from the
/// input, with an empty scratch too. A chunked CBOR client token decodes as `None`.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GetStreamRequest<'a> {
    /// `c`: echoed in every data block; at most 64 bytes (decoded).
    pub client_token: Option<JsonStr<'a>>,
    /// `s`: expected stream version; a different one gets `VersionMismatch`.
    pub stream_version: Option<u32>,
    /// `f`: file id.
    pub file_id: u8,
    /// `l`: block size in bytes, [`MIN_BLOCK_SIZE`]..=[`MAX_BLOCK_SIZE`].
    pub block_size: u32,
    /// `o`: offset in blocks, at most [`MAX_BLOCK_OFFSET`]. Always encoded; 0 when absent.
    pub offset: u32,
    /// `n`: number of blocks, at most [`MAX_BLOCK_COUNT`]; with a bitmap it caps the count.
    pub block_count: Option<u32>,
    /// `b`: bitmap of requested blocks relative to `offset`, at most [`MAX_BITMAP_LEN`] bytes.
    pub bitmap: Option<&'a [u8]>,
}

impl<'a> GetStreamRequest<'a> {
    /// A request for file `file_id` in blocks of `block_size` bytes, from offset 0, with no
    /// token, version, count or bitmap.
    pub const fn new(file_id: u8, block_size: u32) -> Self {
        Self {
            client_token: None,
            stream_version: None,
            file_id,
            block_size,
            offset: 0,
            block_count: None,
            bitmap: None,
        }
    }

    /// Check every AWS limit.
    ///
    /// Does not check that `n` or `b` is present (AWS recommends one) or that the request
    /// stays within the file.
    ///
    /// # Errors
    /// The [`StreamError`] variant of the first limit broken.
    pub fn validate(&self) -> Result<(), StreamError> {
        check_token(self.client_token)?;
        if !(MIN_BLOCK_SIZE..=MAX_BLOCK_SIZE).contains(&self.block_size) {
            return Err(StreamError::BlockSizeOutOfBounds);
        }
        if self.offset > MAX_BLOCK_OFFSET {
            return Err(StreamError::OffsetOutOfBounds);
        }
        if self.block_count.is_some_and(|n| n > MAX_BLOCK_COUNT) {
            return Err(StreamError::BlockCountOutOfBounds);
        }
        if self.bitmap.is_some_and(|b| b.len() > MAX_BITMAP_LEN) {
            return Err(StreamError::BitmapTooLong);
        }
        Ok(())
    }

    /// The number of blocks asked for at most: `n`, or `131072 / l` when `n` is absent.
    pub fn max_blocks(&self) -> u32 {
        self.block_count
            .unwrap_or(MAX_BLOCK_SIZE / self.block_size.max(1))
    }

    /// The blocks this request asks for, ascending: the bitmap's blocks if there is one,
    /// else `o, o + 1, …`; at most [`GetStreamRequest::max_blocks`] of them.
    ///
    /// Does not know the file size: a service drops blocks past the end itself.
    pub fn requested_blocks(&self) -> impl Iterator<Item = u32> + 'a {
        let (offset, count) = (self.offset, self.max_blocks());
        let range = match self.bitmap {
            None => Some(offset..offset.saturating_add(count)),
            Some(_) => None,
        };
        let from_bitmap = self.bitmap.map(move |b| bitmap_blocks(offset, b));
        from_bitmap
            .into_iter()
            .flatten()
            .chain(range.into_iter().flatten())
            .take(count as usize)
    }
}

impl<'a> Message<'a> for GetStreamRequest<'a> {
    /// `c, s, f, l, o, b, n`: the order of the AWS C agent and rustot.
    const FIELDS: &'static [Field] = &[
        CLIENT_TOKEN,
        STREAM_VERSION,
        FILE_ID,
        BLOCK_SIZE,
        OFFSET,
        BITMAP,
        BLOCK_COUNT,
    ];
    /// `c, s, l, f, o, n, b`: the order of the AWS documentation's example.
    const JSON_ORDER: Option<&'static [Key]> =
        Some(&[Key::C, Key::S, Key::L, Key::F, Key::O, Key::N, Key::B]);
    const CBOR_MAP: CborMap = CborMap::Definite;
    type Files = NoFiles;

    #[inline]
    fn value(&self, key: Key) -> Option<Value<'_>> {
        Some(match key {
            Key::C => Value::Text(self.client_token?),
            Key::S => Value::Uint(self.stream_version?),
            Key::F => Value::Uint(self.file_id.into()),
            Key::L => Value::Uint(self.block_size),
            Key::O => Value::Uint(self.offset),
            Key::B => Value::Bitmap(self.bitmap?),
            Key::N => Value::Uint(self.block_count?),
            _ => return None,
        })
    }

    /// `f` and `l` required, `o` 0 when absent.
    fn from_values<C: Codec>(values: &mut Values<'a, C>, _: NoFiles) -> Result<Self, StreamError> {
        let optional = |key, error| values.uint(key).map(|v| narrow(v, error)).transpose();
        Ok(Self {
            client_token: values.text(Key::C),
            stream_version: values
                .uint(Key::S)
                .map(|v| narrow_key(v, Key::S))
                .transpose()?,
            file_id: file_id(values.required_uint(Key::F)?)?,
            block_size: narrow(
                values.required_uint(Key::L)?,
                StreamError::BlockSizeOutOfBounds,
            )?,
            offset: optional(Key::O, StreamError::OffsetOutOfBounds)?.unwrap_or(0),
            block_count: optional(Key::N, StreamError::BlockCountOutOfBounds)?,
            bitmap: values.bitmap(Key::B)?,
        })
    }

    fn check(&self) -> Result<(), StreamError> {
        self.validate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    #[test]
    fn get_stream_limits() {
        let (long, longest) = ("x".repeat(65), "x".repeat(64));
        let ok = GetStreamRequest::new(255, 256);
        assert_eq!(ok.validate(), Ok(()));
        let cases = [
            (
                GetStreamRequest {
                    block_size: 255,
                    ..ok
                },
                StreamError::BlockSizeOutOfBounds,
            ),
            (
                GetStreamRequest {
                    block_size: 131_073,
                    ..ok
                },
                StreamError::BlockSizeOutOfBounds,
            ),
            (
                GetStreamRequest {
                    offset: 98_305,
                    ..ok
                },
                StreamError::OffsetOutOfBounds,
            ),
            (
                GetStreamRequest {
                    block_count: Some(98_305),
                    ..ok
                },
                StreamError::BlockCountOutOfBounds,
            ),
            (
                GetStreamRequest {
                    bitmap: Some(&[0; 12_288]),
                    ..ok
                },
                StreamError::BitmapTooLong,
            ),
            (
                GetStreamRequest {
                    client_token: Some(JsonStr::text(&long)),
                    ..ok
                },
                StreamError::ClientTokenTooLong,
            ),
        ];
        for (req, err) in cases {
            assert_eq!(req.validate(), Err(err));
        }
        let edge = GetStreamRequest {
            client_token: Some(JsonStr::text(&longest)),
            block_size: 131_072,
            offset: 98_304,
            block_count: Some(98_304),
            bitmap: Some(&[0; 12_287]),
            ..ok
        };
        assert_eq!(edge.validate(), Ok(()));
    }

    #[test]
    fn requested_blocks_follow_bitmap_or_range() {
        let aws = GetStreamRequest {
            offset: 20,
            block_count: Some(32),
            bitmap: Some(&[0x13, 0x00, 0x80]),
            ..GetStreamRequest::new(1, 256)
        };
        assert_eq!(aws.requested_blocks().collect::<Vec<_>>(), [20, 21, 24, 43]);
        let capped = GetStreamRequest {
            block_count: Some(2),
            ..aws
        };
        assert_eq!(capped.requested_blocks().collect::<Vec<_>>(), [20, 21]);
        let range = GetStreamRequest {
            offset: 3,
            block_count: Some(4),
            ..GetStreamRequest::new(0, 4096)
        };
        assert_eq!(range.requested_blocks().collect::<Vec<_>>(), [3, 4, 5, 6]);
        let default = GetStreamRequest::new(0, 4096);
        assert_eq!(default.max_blocks(), 32);
        assert_eq!(default.requested_blocks().count(), 32);
        assert_eq!(GetStreamRequest::new(0, 0).max_blocks(), 131_072);
    }
}
