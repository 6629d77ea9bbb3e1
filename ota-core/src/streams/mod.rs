//! AWS IoT MQTT-based file delivery ("streams"): topics, block bitmaps, and the DescribeStream,
//! GetStream, data-block and rejected messages in both CBOR and JSON.
//!
//! Everything is borrowed and allocation-free. The encoders and decoders are the methods of
//! one trait, [`StreamMessage`], which the five messages implement (bring it into scope:
//! `use ota_core::streams::StreamMessage as _;`). Encoders write into a caller buffer and
//! return the length; decoders borrow strings and byte strings from the input. The two
//! values that cannot always be borrowed, a data block's payload and a GetStream bitmap (in
//! JSON base64 and hex, in CBOR when sent in chunks), are decoded into a second caller
//! buffer, the decoders' `scratch` (empty, `&mut []`, for the messages without them).
//!
//! A client token, description or message is a [`crate::json::JsonStr`]: in JSON borrowed as
//! written and decoded when read (compared with `==`, copied, printed), so `"c":"a\/b"` is the
//! token `a/b` and no valid message is refused, or loses one of these strings, for how it is
//! escaped; in CBOR the text as it is ([`crate::json::JsonStr::text`]). The client token's
//! 64-byte limit applies to its decoded length ([`StreamError::ClientTokenTooLong`]).
//! Encoders write every string decoded. (An error code is decoded into its known code
//! whatever its escapes; only an unknown code's text is kept as `Unknown("")` when escaped.)
//!
//! Requests are encoded as definite-length CBOR maps, as the AWS C agent and rustot do;
//! responses as indefinite-length maps, as the AWS service does. Decoders accept both, ignore
//! unknown keys, and reject duplicate or missing required keys and trailing bytes.
//!
//! # CBOR decoding and the AWS C agent
//!
//! What the agent's data block decoder (`ota_cbor.c` on tinyCBOR) accepts as valid CBOR is
//! accepted here too: definite or indefinite maps, indefinite-length (chunked) keys, and
//! indefinite-length byte and text strings, which another stream server may send. Nothing is
//! allocated: the chunks of a payload (or a request's bitmap) are copied end to end into the
//! caller's block buffer, the scratch of [`StreamMessage::decode_cbor`] (or of
//! [`StreamMessage::decode`] with [`Format::Cbor`]), with the limits of a definite one; with
//! an empty scratch a chunked payload is refused with [`StreamError::BufferTooSmall`] (a
//! definite one is borrowed from the input whatever the scratch). A chunked text
//! value is checked but cannot be borrowed: a client token, description or message decodes
//! as `None` and an error code as its known code or `Unknown("")`.
//!
//! Deliberately stricter than the agent, which goes on where these refuse:
//! - a duplicate key ([`StreamError::DuplicateKey`]): the agent takes the first value, other
//!   decoders the last, so the message has no one meaning;
//! - bytes after the map ([`CborErrorKind::TrailingBytes`]): the agent ignores them; they
//!   mean a truncated or concatenated message;
//! - `l` not equal to the payload length ([`StreamError::PayloadLengthMismatch`]): the agent
//!   trusts `l` as the block size and writes that many bytes;
//! - a file id over 255 ([`StreamError::FileIdOutOfBounds`]): the agent reads `f` into an
//!   `int` and does not use it; stream file ids are 0-255;
//! - a block index over 32 bits (`ValueOutOfRange("i")`): the agent truncates it to an
//!   `int`, which names another block;
//! - negative integers for `f`, `i` or `l` ([`CborErrorKind::TypeMismatch`]): the agent
//!   converts them;
//! - a client token over 64 bytes, text that is not UTF-8, and malformed CBOR or nesting
//!   deeper than [`MAX_CBOR_DEPTH`] anywhere in the message: the agent does not read `c`,
//!   does not check UTF-8, and stops reading at the last key it looks for.
//!
//! What this module does not do: no IO and no download state machine. It does not check that
//! a data block answers the request that asked for it: compare [`DataBlock::file_id`] and
//! [`DataBlock::client_token`] (decoded, with `==`) yourself. [`BlockBitmap`] tracks which blocks are missing and
//! proposes the next request window; retry timing belongs to the caller.

mod bitmap;
mod cbor;
mod code;
mod error;
mod fields;
mod json;
mod key;
mod message;
mod skip;
#[cfg(test)]
mod testing;
mod topic;
mod values;

pub use bitmap::{
    BlockBitmap, Window, bitmap_blocks, bitmap_from_hex, bitmap_to_hex, encode_bitmap,
    hex_bitmap_len,
};
pub use code::StreamErrorCode;
pub use error::{CborErrorKind, StreamError};
pub use message::{
    DataBlock, DescribeStreamRequest, DescribeStreamResponse, GetStreamRequest, MAX_BITMAP_LEN,
    MAX_BLOCK_COUNT, MAX_BLOCK_OFFSET, MAX_BLOCK_SIZE, MIN_BLOCK_SIZE, StreamFile, StreamMessage,
    StreamRejected,
};
pub use skip::MAX_CBOR_DEPTH;
pub use topic::{Format, MAX_STREAM_TOPIC_LEN, StreamTopic, StreamTopicError, StreamTopicKind};
