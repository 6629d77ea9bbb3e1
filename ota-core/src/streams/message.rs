//! The stream messages and their limits. Encoding and decoding live in `cbor.rs` and
//! `json.rs`; every encoder and decoder checks the limits with the `validate` methods here.

use super::bitmap::bitmap_blocks;
use super::code::StreamErrorCode;
use super::error::StreamError;
use super::key::Key;
use super::topic::Format;
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

/// DescribeStream request, published to `…/streams/{streamId}/describe/{fmt}`.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DescribeStreamRequest<'a> {
    /// `c`: echoed in the response; at most 64 bytes (decoded).
    pub client_token: Option<JsonStr<'a>>,
}

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

/// GetStream request, published to `…/streams/{streamId}/get/{fmt}`.
///
/// Blocks come back one per message on `…/data/{fmt}`, at most 128 KiB per request.
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

/// An error from `…/streams/{streamId}/rejected/{fmt}`, for either request.
///
/// Decoded from `o`, `m`, `c` or the older `code`, `message`, `clientToken`; when both
/// spellings are present the short one wins. Encoded with the short keys.
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

impl DescribeStreamRequest<'_> {
    /// Check the client token length.
    ///
    /// # Errors
    /// [`StreamError::ClientTokenTooLong`].
    pub fn validate(&self) -> Result<(), StreamError> {
        check_token(self.client_token)
    }
}

impl<const N: usize> DescribeStreamResponse<'_, N> {
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

impl DataBlock<'_> {
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

impl StreamRejected<'_> {
    /// Check the client token length.
    ///
    /// # Errors
    /// [`StreamError::ClientTokenTooLong`].
    pub fn validate(&self) -> Result<(), StreamError> {
        check_token(self.client_token)
    }
}

impl<'a> DescribeStreamRequest<'a> {
    /// Encode in `format`; returns the length written to `buf`.
    ///
    /// # Errors
    /// As [`DescribeStreamRequest::encode_cbor`] and [`DescribeStreamRequest::encode_json`].
    pub fn encode(&self, format: Format, buf: &mut [u8]) -> Result<usize, StreamError> {
        match format {
            Format::Cbor => self.encode_cbor(buf),
            Format::Json => self.encode_json(buf),
        }
    }

    /// Decode from `format`.
    ///
    /// # Errors
    /// As [`DescribeStreamRequest::decode_cbor`] and [`DescribeStreamRequest::decode_json`].
    pub fn decode(format: Format, input: &'a [u8]) -> Result<Self, StreamError> {
        match format {
            Format::Cbor => Self::decode_cbor(input),
            Format::Json => Self::decode_json(input),
        }
    }
}

impl<'a, const N: usize> DescribeStreamResponse<'a, N> {
    /// Encode in `format`; returns the length written to `buf`.
    ///
    /// # Errors
    /// As [`DescribeStreamResponse::encode_cbor`] and [`DescribeStreamResponse::encode_json`].
    pub fn encode(&self, format: Format, buf: &mut [u8]) -> Result<usize, StreamError> {
        match format {
            Format::Cbor => self.encode_cbor(buf),
            Format::Json => self.encode_json(buf),
        }
    }

    /// Decode from `format`.
    ///
    /// # Errors
    /// As [`DescribeStreamResponse::decode_cbor`] and [`DescribeStreamResponse::decode_json`].
    pub fn decode(format: Format, input: &'a [u8]) -> Result<Self, StreamError> {
        match format {
            Format::Cbor => Self::decode_cbor(input),
            Format::Json => Self::decode_json(input),
        }
    }
}

impl<'a> GetStreamRequest<'a> {
    /// Encode in `format`; returns the length written to `buf`.
    ///
    /// # Errors
    /// As [`GetStreamRequest::encode_cbor`] and [`GetStreamRequest::encode_json`].
    pub fn encode(&self, format: Format, buf: &mut [u8]) -> Result<usize, StreamError> {
        match format {
            Format::Cbor => self.encode_cbor(buf),
            Format::Json => self.encode_json(buf),
        }
    }

    /// Decode from `format`; `bitmap` holds a JSON bitmap or a chunked CBOR one.
    ///
    /// # Errors
    /// As [`GetStreamRequest::decode_cbor_into`] and [`GetStreamRequest::decode_json`].
    pub fn decode(
        format: Format,
        input: &'a [u8],
        bitmap: &'a mut [u8],
    ) -> Result<Self, StreamError> {
        match format {
            Format::Cbor => Self::decode_cbor_into(input, bitmap),
            Format::Json => Self::decode_json(input, bitmap),
        }
    }
}

impl<'a> DataBlock<'a> {
    /// Encode in `format`; returns the length written to `buf`.
    ///
    /// # Errors
    /// As [`DataBlock::encode_cbor`] and [`DataBlock::encode_json`].
    pub fn encode(&self, format: Format, buf: &mut [u8]) -> Result<usize, StreamError> {
        match format {
            Format::Cbor => self.encode_cbor(buf),
            Format::Json => self.encode_json(buf),
        }
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
        match format {
            Format::Cbor => Self::decode_cbor_into(input, payload),
            Format::Json => Self::decode_json(input, payload),
        }
    }
}

impl<'a> StreamRejected<'a> {
    /// Encode in `format`; returns the length written to `buf`.
    ///
    /// # Errors
    /// As [`StreamRejected::encode_cbor`] and [`StreamRejected::encode_json`].
    pub fn encode(&self, format: Format, buf: &mut [u8]) -> Result<usize, StreamError> {
        match format {
            Format::Cbor => self.encode_cbor(buf),
            Format::Json => self.encode_json(buf),
        }
    }

    /// Decode from `format`.
    ///
    /// # Errors
    /// As [`StreamRejected::decode_cbor`] and [`StreamRejected::decode_json`].
    pub fn decode(format: Format, input: &'a [u8]) -> Result<Self, StreamError> {
        match format {
            Format::Cbor => Self::decode_cbor(input),
            Format::Json => Self::decode_json(input),
        }
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

    #[test]
    fn data_block_and_token_limits() {
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
        assert_eq!(file_id(256), Err(StreamError::FileIdOutOfBounds));
        assert_eq!(
            narrow_key(1 << 32, Key::Z),
            Err(StreamError::ValueOutOfRange("z"))
        );
    }
}
