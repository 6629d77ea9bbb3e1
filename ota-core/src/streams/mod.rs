//! AWS IoT MQTT-based file delivery ("streams"): topics, block bitmaps, and the DescribeStream,
//! GetStream, data-block and rejected messages in both CBOR and JSON.
//!
//! Everything is borrowed and allocation-free. Encoders write into a caller buffer and return
//! the length; decoders borrow strings and byte strings from the input. The two JSON values
//! that cannot be borrowed (a data block's base64 payload, a GetStream hex bitmap) are decoded
//! into a second caller buffer.
//!
//! Requests are encoded as definite-length CBOR maps, as the AWS C agent and rustot do;
//! responses as indefinite-length maps, as the AWS service does. Decoders accept both, ignore
//! unknown keys, and reject duplicate or missing required keys and trailing bytes.
//!
//! What this module does not do: no IO and no download state machine. It does not check that
//! a data block answers the request that asked for it: compare [`DataBlock::file_id`] and
//! [`DataBlock::client_token`] yourself. [`BlockBitmap`] tracks which blocks are missing and
//! proposes the next request window; retry timing belongs to the caller.

mod bitmap;
mod cbor;
mod code;
mod error;
mod json;
mod key;
mod message;
mod skip;
#[cfg(test)]
mod testing;
mod topic;

pub use bitmap::{
    BlockBitmap, Window, bitmap_blocks, bitmap_from_hex, bitmap_to_hex, encode_bitmap,
    hex_bitmap_len,
};
pub use code::StreamErrorCode;
pub use error::{CborErrorKind, StreamError};
pub use message::{
    DataBlock, DescribeStreamRequest, DescribeStreamResponse, GetStreamRequest, MAX_BITMAP_LEN,
    MAX_BLOCK_COUNT, MAX_BLOCK_OFFSET, MAX_BLOCK_SIZE, MIN_BLOCK_SIZE, StreamFile, StreamRejected,
};
pub use skip::MAX_CBOR_DEPTH;
pub use topic::{Format, MAX_STREAM_TOPIC_LEN, StreamTopic, StreamTopicError, StreamTopicKind};
