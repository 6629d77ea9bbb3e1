//! Owned mirrors of the borrowed messages and proptest strategies for them (tests only).

use proptest::prelude::*;
use std::string::String;
use std::vec;
use std::vec::Vec;

use super::*;
use crate::json::JsonStr;

/// An encoder under test, writing in a format into the given buffer.
pub(crate) type Encoder<'e> = &'e dyn Fn(Format, &mut [u8]) -> Result<usize, StreamError>;

/// Both formats.
pub(crate) const FORMATS: [Format; 2] = [Format::Cbor, Format::Json];

/// What `encode` writes in each format, checked: JSON parses as JSON, and one byte less of
/// buffer is [`StreamError::BufferTooSmall`] (with `every_short_buffer`, every shorter one).
pub(crate) fn encodings(encode: Encoder<'_>, every_short_buffer: bool) -> Vec<(Format, Vec<u8>)> {
    let mut out = Vec::new();
    for format in FORMATS {
        let mut buf = vec![0u8; 2048];
        let len = encode(format, &mut buf).unwrap();
        buf.truncate(len);
        if format == Format::Json {
            serde_json::from_slice::<serde_json::Value>(&buf).unwrap();
        }
        let shortest = if every_short_buffer {
            0
        } else {
            len.saturating_sub(1)
        };
        for short in shortest..len {
            let mut small = vec![0u8; short];
            assert_eq!(
                encode(format, &mut small),
                Err(StreamError::BufferTooSmall),
                "{format:?}, {short} of {len} bytes"
            );
        }
        out.push((format, buf));
    }
    out
}

/// Every decoder in both formats on `input`, for no-panic checks.
pub(crate) fn decode_all(input: &[u8]) {
    for format in FORMATS {
        let mut scratch = [0u8; 64];
        let _ = DataBlock::decode(format, input, &mut scratch);
        let _ = GetStreamRequest::decode(format, input, &mut scratch);
        let _ = DataBlock::decode(format, input, &mut []);
        let _ = GetStreamRequest::decode(format, input, &mut []);
        let _ = DescribeStreamRequest::decode(format, input, &mut []);
        let _ = DescribeStreamResponse::<1>::decode(format, input, &mut []);
        let _ = DescribeStreamResponse::<2>::decode(format, input, &mut []);
        let _ = StreamRejected::decode(format, input, &mut []);
    }
}

/// `Some(text)`, for a message's string field.
pub(crate) fn some(text: &str) -> Option<JsonStr<'_>> {
    Some(JsonStr::text(text))
}

/// Client tokens, descriptions and messages: any text, in either format (JSON escapes what
/// it must, quotes, backslashes and control characters, and decodes it back).
pub(crate) fn token() -> BoxedStrategy<Option<String>> {
    proptest::option::of("(\\PC|[\"\\\\\\x00-\\x1f]){0,16}").boxed()
}

#[derive(Debug, Clone)]
pub(crate) struct OwnedGet {
    c: Option<String>,
    s: Option<u32>,
    f: u8,
    l: u32,
    o: u32,
    n: Option<u32>,
    b: Option<Vec<u8>>,
}

impl OwnedGet {
    pub(crate) fn get(&self) -> GetStreamRequest<'_> {
        GetStreamRequest {
            client_token: self.c.as_deref().map(JsonStr::text),
            stream_version: self.s,
            file_id: self.f,
            block_size: self.l,
            offset: self.o,
            block_count: self.n,
            bitmap: self.b.as_deref(),
        }
    }
}

pub(crate) fn get_request() -> impl Strategy<Value = OwnedGet> {
    (
        token(),
        proptest::option::of(any::<u32>()),
        any::<u8>(),
        MIN_BLOCK_SIZE..=MAX_BLOCK_SIZE,
        0..=MAX_BLOCK_OFFSET,
        proptest::option::of(0..=MAX_BLOCK_COUNT),
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..40)),
    )
        .prop_map(|(c, s, f, l, o, n, b)| OwnedGet {
            c,
            s,
            f,
            l,
            o,
            n,
            b,
        })
}

#[derive(Debug, Clone)]
pub(crate) struct OwnedData {
    c: Option<String>,
    f: u8,
    i: u32,
    p: Vec<u8>,
}

impl OwnedData {
    pub(crate) fn get(&self) -> DataBlock<'_> {
        DataBlock {
            client_token: self.c.as_deref().map(JsonStr::text),
            file_id: self.f,
            block_id: self.i,
            payload: &self.p,
        }
    }
}

pub(crate) fn data_block() -> impl Strategy<Value = OwnedData> {
    (
        token(),
        any::<u8>(),
        any::<u32>(),
        proptest::collection::vec(any::<u8>(), 0..600),
    )
        .prop_map(|(c, f, i, p)| OwnedData { c, f, i, p })
}

#[derive(Debug, Clone)]
pub(crate) struct OwnedDescribe {
    c: Option<String>,
    s: u32,
    d: Option<String>,
    r: Vec<StreamFile>,
}

impl OwnedDescribe {
    pub(crate) fn get(&self) -> DescribeStreamResponse<'_, 4> {
        DescribeStreamResponse {
            client_token: self.c.as_deref().map(JsonStr::text),
            stream_version: self.s,
            description: self.d.as_deref().map(JsonStr::text),
            files: self.r.iter().copied().collect(),
        }
    }
}

pub(crate) fn describe_response() -> impl Strategy<Value = OwnedDescribe> {
    let file = (any::<u8>(), any::<u32>()).prop_map(|(file_id, size)| StreamFile { file_id, size });
    (
        token(),
        any::<u32>(),
        token(),
        proptest::collection::vec(file, 0..=4),
    )
        .prop_map(|(c, s, d, r)| OwnedDescribe { c, s, d, r })
}

#[derive(Debug, Clone)]
pub(crate) struct OwnedRejected {
    o: String,
    m: Option<String>,
    c: Option<String>,
}

impl OwnedRejected {
    pub(crate) fn get(&self) -> StreamRejected<'_> {
        StreamRejected {
            code: StreamErrorCode::from_text(&self.o),
            message: self.m.as_deref().map(JsonStr::text),
            client_token: self.c.as_deref().map(JsonStr::text),
        }
    }
}

pub(crate) fn rejected() -> impl Strategy<Value = OwnedRejected> {
    let code = prop_oneof![
        Just("InvalidTopic"),
        Just("InvalidJson"),
        Just("InvalidCbor"),
        Just("InvalidRequest"),
        Just("Unauthorized"),
        Just("BlockSizeOutOfBounds"),
        Just("OffsetOutOfBounds"),
        Just("BlockCountLimitExceeded"),
        Just("BlockBitmapLimitExceeded"),
        Just("ResourceNotFound"),
        Just("VersionMismatch"),
        Just("ETagMismatch"),
        Just("InternalError"),
    ]
    .prop_map(String::from);
    let code = prop_oneof![code, "[A-Za-z]{0,12}"];
    (code, token(), token()).prop_map(|(o, m, c)| OwnedRejected { o, m, c })
}

/// Inputs for no-panic checks: random bytes, and `valid` with a few bytes changed or cut.
pub(crate) fn mangled(valid: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    let len = valid.len().max(1);
    let edits = proptest::collection::vec((0..len, any::<u8>()), 1..4);
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..80),
        (edits, proptest::option::of(0..=valid.len())).prop_map(move |(edits, cut)| {
            let mut v = valid.clone();
            for (at, byte) in edits {
                if let Some(b) = v.get_mut(at) {
                    *b = byte;
                }
            }
            if let Some(cut) = cut {
                v.truncate(cut);
            }
            v
        }),
    ]
}
