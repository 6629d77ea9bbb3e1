use proptest::prelude::*;
use std::vec::Vec;

use super::*;
use crate::streams::testing::{self, mangled};
use crate::streams::{
    BlockBitmap, CborErrorKind, DataBlock, DescribeStreamRequest, DescribeStreamResponse, Format,
    GetStreamRequest, MAX_BITMAP_LEN, MAX_BLOCK_SIZE, StreamFile, StreamMessage as _,
    StreamRejected,
};

fn encode_get(req: &GetStreamRequest<'_>) -> Vec<u8> {
    let mut buf = [0u8; 256];
    let len = req.encode_cbor(&mut buf).unwrap();
    buf[..len].to_vec()
}

fn cbor_err(r: Result<impl core::fmt::Debug, StreamError>) -> CborErrorKind {
    match r {
        Err(StreamError::Cbor { kind, .. }) => kind,
        other => panic!("expected a CBOR error, got {other:?}"),
    }
}

/// Vector 20: OTA C `test_OTA_CborEncodeStreamRequest` (its `n` is
/// `otaconfigMAX_NUM_BLOCKS_REQUEST` = 1).
#[test]
fn vector_20_ota_c_stream_request() {
    let bitmap = [0xaa; 4];
    let req = GetStreamRequest {
        client_token: testing::some("ThisIsAClientToken"),
        block_size: 4096,
        bitmap: Some(&bitmap),
        block_count: Some(1),
        ..GetStreamRequest::new(1, 4096)
    };
    let mut expected = std::vec![0xa6, 0x61, 0x63, 0x72];
    expected.extend_from_slice(b"ThisIsAClientToken");
    expected.extend_from_slice(&[
        0x61, 0x66, 0x01, // f: 1
        0x61, 0x6c, 0x19, 0x10, 0x00, // l: 4096
        0x61, 0x6f, 0x00, // o: 0
        0x61, 0x62, 0x44, 0xaa, 0xaa, 0xaa, 0xaa, // b: h'aaaaaaaa'
        0x61, 0x6e, 0x01, // n: 1
    ]);
    let bytes = encode_get(&req);
    assert_eq!(bytes[..8], [0xa6, 0x61, 0x63, 0x72, 0x54, 0x68, 0x69, 0x73]);
    assert_eq!(bytes, expected);
    assert_eq!(bytes.len(), 43);
    assert_eq!(GetStreamRequest::decode_cbor(&bytes, &mut []), Ok(req));
}

/// Vector 21: rustot `serialize_stream_request`, 181584 B in 2048 B blocks (89 blocks),
/// token `rdy`, 31-block windows from a [`BlockBitmap`].
#[test]
fn vector_21_rustot_first_and_last_request() {
    let mut file = BlockBitmap::<16>::new(181_584u32.div_ceil(2048)).unwrap();
    let request = |w: &crate::streams::Window<16>| {
        encode_get(&GetStreamRequest {
            client_token: testing::some("rdy"),
            offset: w.offset,
            bitmap: Some(&w.bitmap),
            ..GetStreamRequest::new(0, 2048)
        })
    };
    let first = request(&file.window(0, 31).unwrap());
    assert_eq!(
        first,
        [
            0xa5, 0x61, 0x63, 0x63, 0x72, 0x64, 0x79, 0x61, 0x66, 0x00, 0x61, 0x6c, 0x19, 0x08,
            0x00, 0x61, 0x6f, 0x00, 0x61, 0x62, 0x44, 0xff, 0xff, 0xff, 0x7f
        ]
    );
    for b in 0..88 {
        file.clear(b);
    }
    let last = request(&file.window(0, 31).unwrap());
    assert!(last.ends_with(&[
        0x61, 0x6f, 0x18, 0x58, 0x61, 0x62, 0x44, 0x01, 0x00, 0x00, 0x00
    ]));
    assert_eq!(last[..15], first[..15]);
    let decoded = GetStreamRequest::decode_cbor(&last, &mut []).unwrap();
    assert_eq!(
        (decoded.offset, decoded.bitmap),
        (88, Some(&[1, 0, 0, 0][..]))
    );
}

/// Vector 22: rustot `serialize_large_stream_request` and `serialize_bitmap`.
#[test]
fn vector_22_bitmaps_on_the_wire() {
    let mut bitmap = [0u8; 4];
    crate::streams::encode_bitmap(0, [0, 1, 4, 23], &mut bitmap).unwrap();
    let bytes = encode_get(&GetStreamRequest {
        bitmap: Some(&bitmap),
        ..GetStreamRequest::new(0, 1024)
    });
    assert!(bytes.ends_with(&[0x61, 0x62, 0x44, 0x13, 0x00, 0x80, 0x00]));

    let mut file = BlockBitmap::<45>::new(355).unwrap();
    (0..352).for_each(|b| _ = file.clear(b));
    let w = file.window(0, 31).unwrap();
    let bytes = encode_get(&GetStreamRequest {
        offset: w.offset,
        bitmap: Some(&w.bitmap),
        ..GetStreamRequest::new(0, 512)
    });
    assert!(bytes.ends_with(&[
        0x61, 0x6f, 0x19, 0x01, 0x60, 0x61, 0x62, 0x44, 0x07, 0, 0, 0
    ]));
}

fn vector_23_bytes() -> Vec<u8> {
    let mut bytes = std::vec![
        0xbf, 0x61, 0x66, 0x00, 0x61, 0x69, 0x00, 0x61, 0x6c, 0x19, 0x04, 0x00
    ];
    bytes.extend_from_slice(&[0x61, 0x70, 0x59, 0x04, 0x00]);
    bytes.extend((0..1024u32).map(|i| (i % 255) as u8));
    bytes.push(0xff);
    bytes
}

/// Vector 23: rustot `deserialize_stream_response`, an indefinite-length map.
#[test]
fn vector_23_indefinite_data_block() {
    let bytes = vector_23_bytes();
    let block = DataBlock::decode_cbor(&bytes, &mut []).unwrap();
    assert_eq!(
        (block.client_token, block.file_id, block.block_id),
        (None, 0, 0)
    );
    assert_eq!(block.payload.len(), 1024);
    assert_eq!(block.payload, &bytes[17..1041]);
    // Our encoder writes blocks the way the service does.
    let mut out = [0u8; 1100];
    let len = block.encode_cbor(&mut out).unwrap();
    assert_eq!(out[..len], bytes[..]);
}

#[test]
fn definite_maps_and_indefinite_keys_are_accepted() {
    // {"f": 3, "i": 7, "l": 2, "p": h'0102'} as a definite map, with "p" an indefinite key.
    let bytes = [
        0xa4, 0x61, 0x66, 0x03, 0x61, 0x69, 0x07, 0x61, 0x6c, 0x02, 0x7f, 0x61, 0x70, 0xff, 0x42,
        1, 2,
    ];
    let block = DataBlock::decode_cbor(&bytes, &mut []).unwrap();
    assert_eq!(
        (block.file_id, block.block_id, block.payload),
        (3, 7, &[1u8, 2][..])
    );
}

#[test]
fn unknown_keys_are_skipped_whatever_they_hold() {
    // {"x": [_ {"k": [1]}, h'00'], 1: "int key", "f": 0, "i": 1, "zz": 1(2.5), "l": 0, "p": h''}
    let bytes = [
        0xa7, 0x61, b'x', 0x82, 0xbf, 0x61, b'k', 0x81, 0x01, 0xff, 0x41, 0x00, 0x01, 0x67, b'i',
        b'n', b't', b' ', b'k', b'e', b'y', 0x61, 0x66, 0x00, 0x61, 0x69, 0x01, 0x62, b'z', b'z',
        0xc1, 0xf9, 0x41, 0x00, 0x61, 0x6c, 0x00, 0x61, 0x70, 0x40,
    ];
    let block = DataBlock::decode_cbor(&bytes, &mut []).unwrap();
    assert_eq!(
        (block.file_id, block.block_id, block.payload),
        (0, 1, &[][..])
    );
}

#[test]
fn structural_errors() {
    let data = |body: &[u8]| {
        let mut v = std::vec![0xbf];
        v.extend_from_slice(body);
        v.push(0xff);
        v
    };
    let f0 = [0x61, 0x66, 0x00];
    let i0 = [0x61, 0x69, 0x00];
    let lp = [0x61, 0x6c, 0x01, 0x61, 0x70, 0x41, 0x09];
    let ok = data(&[&f0[..], &i0, &lp].concat());
    assert!(DataBlock::decode_cbor(&ok, &mut []).is_ok());

    let dup = data(&[&f0[..], &i0, &f0, &lp].concat());
    assert_eq!(
        DataBlock::decode_cbor(&dup, &mut []),
        Err(StreamError::DuplicateKey("f"))
    );
    let missing = data(&[&f0[..], &lp].concat());
    assert_eq!(
        DataBlock::decode_cbor(&missing, &mut []),
        Err(StreamError::MissingKey("i"))
    );
    let mismatch = data(&[&f0[..], &i0, &[0x61, 0x6c, 0x02, 0x61, 0x70, 0x41, 0x09]].concat());
    assert_eq!(
        DataBlock::decode_cbor(&mismatch, &mut []),
        Err(StreamError::PayloadLengthMismatch)
    );

    let mut trailing = ok.clone();
    trailing.push(0x00);
    assert_eq!(
        cbor_err(DataBlock::decode_cbor(&trailing, &mut [])),
        CborErrorKind::TrailingBytes
    );
    assert_eq!(
        cbor_err(DataBlock::decode_cbor(&ok[..ok.len() - 1], &mut [])),
        CborErrorKind::EndOfInput
    );
    assert_eq!(
        cbor_err(DataBlock::decode_cbor(&[0x80], &mut [])),
        CborErrorKind::TypeMismatch
    );
    assert_eq!(
        cbor_err(DataBlock::decode_cbor(&[], &mut [])),
        CborErrorKind::EndOfInput
    );
    // "f" holding a string; "p" an indefinite byte string, which needs a buffer.
    let wrong_type = data(&[&[0x61, 0x66, 0x61, 0x30][..], &i0, &lp].concat());
    assert_eq!(
        cbor_err(DataBlock::decode_cbor(&wrong_type, &mut [])),
        CborErrorKind::TypeMismatch
    );
    let indef_payload = data(
        &[
            &f0[..],
            &i0,
            &[0x61, 0x6c, 0x01, 0x61, 0x70, 0x5f, 0x41, 0x09, 0xff],
        ]
        .concat(),
    );
    assert_eq!(
        DataBlock::decode_cbor(&indef_payload, &mut []),
        Err(StreamError::BufferTooSmall)
    );
    assert_eq!(
        DataBlock::decode_cbor(&indef_payload, &mut [0; 1]).map(|b| b.payload),
        Ok(&[9u8][..])
    );
    // An odd indefinite map: a key without a value.
    assert_eq!(
        cbor_err(DataBlock::decode_cbor(&[0xbf, 0x61, 0x66, 0xff], &mut [])),
        CborErrorKind::Malformed
    );
    assert_eq!(
        cbor_err(DataBlock::decode_cbor(&[0xbf, 0x61, 0x78, 0xff], &mut [])),
        CborErrorKind::Malformed
    );
    // A break inside a definite map.
    assert_eq!(
        cbor_err(DataBlock::decode_cbor(&[0xa1, 0xff], &mut [])),
        CborErrorKind::Malformed
    );
}

/// Hex to bytes.
fn unhex(text: &str) -> Vec<u8> {
    hex::decode(text.replace(' ', "")).unwrap()
}

// Indefinite-length (chunked) strings, valid CBOR that the AWS C agent accepts (tinyCBOR's
// `cbor_value_copy_byte_string` joins the chunks). Built by hand, then written again with
// cbor2 6.3's encoder (an indefinite head, cbor2-encoded chunks, a break) to the same bytes
// and decoded back with cbor2 to the values in the comments.

/// `{_ "c": "rdy", "f": 1, "i": 5, "l": 10, "p": (_ h'00010203', h'', h'040506070809')}`.
const CHUNKED_BLOCK: &str = "bf 616363726479 616601 616905 616c0a \
    6170 5f 4400010203 40 46040506070809 ff ff";
/// `{"c": (_ "rd", "y"), "f": 0, "i": 42, "l": 3, "p": (_ h'aabbcc')}`, a definite map.
const CHUNKED_TOKEN_BLOCK: &str = "a5 6163 7f 627264 6179 ff 616600 6169182a 616c03 \
    6170 5f 43aabbcc ff";
/// `{_ "f": 0, "i": 0, "l": 0, "p": (_ )}`.
const EMPTY_CHUNKED_BLOCK: &str = "bf 616600 616900 616c00 6170 5f ff ff";
/// `{_ "o": (_ "Resource", "NotFound"), "m": (_ "No such ", "stream"), "c": "abc"}`.
const CHUNKED_REJECTED: &str = "bf 616f 7f 685265736f75726365 684e6f74466f756e64 ff \
    616d 7f 684e6f2073756368 2066 73747265616d ff 6163 63616263 ff";
/// `{_ "o": (_ "Some", "Thing")}`.
const CHUNKED_UNKNOWN_CODE: &str = "bf 616f 7f 64536f6d65 655468696e67 ff ff";
/// `{_ "s": 1, "d": (_ "fw", "v2"), "r": [{"f": 0, "z": 256}]}`.
const CHUNKED_DESCRIPTION: &str =
    "bf 617301 6164 7f 626677 627632 ff 6172 81 a2616600617a190100 ff";
/// `{"f": 0, "l": 256, "o": 0, "b": (_ h'ffff', h'7f')}`.
const CHUNKED_BITMAP: &str = "a4 616600 616c190100 616f00 6162 5f 42ffff 417f ff";

/// "Wire truth": a data block whose payload another stream server sent as an
/// indefinite-length byte string is accepted, its chunks joined in the caller's block buffer.
#[test]
fn chunked_payload_is_copied_into_the_block_buffer() {
    let input = unhex(CHUNKED_BLOCK);
    let mut buf = [0u8; 16];
    let block = DataBlock::decode(Format::Cbor, &input, &mut buf).unwrap();
    assert_eq!(
        (block.client_token, block.file_id, block.block_id),
        (testing::some("rdy"), 1, 5)
    );
    assert_eq!(block.payload, &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9][..]);
    // Exactly as long as the payload is enough; one byte less is not.
    let mut exact = [0u8; 10];
    assert!(DataBlock::decode(Format::Cbor, &input, &mut exact).is_ok());
    let mut short = [0u8; 9];
    assert_eq!(
        DataBlock::decode(Format::Cbor, &input, &mut short),
        Err(StreamError::BufferTooSmall)
    );

    // A chunked client token is accepted and, not borrowable, reads as None.
    let input = unhex(CHUNKED_TOKEN_BLOCK);
    let block = DataBlock::decode(Format::Cbor, &input, &mut buf).unwrap();
    assert_eq!(
        (block.client_token, block.block_id, block.payload),
        (None, 42, &[0xaa, 0xbb, 0xcc][..])
    );

    // An empty chunked payload needs no room.
    let input = unhex(EMPTY_CHUNKED_BLOCK);
    let block = DataBlock::decode(Format::Cbor, &input, &mut []).unwrap();
    assert!(block.payload.is_empty());
}

/// "Wire truth": chunked text values (an error code and its message, a description, a client
/// token) and a chunked bitmap are accepted.
#[test]
fn chunked_text_values_and_bitmaps_are_accepted() {
    let input = unhex(CHUNKED_REJECTED);
    assert_eq!(
        StreamRejected::decode_cbor(&input, &mut []),
        Ok(StreamRejected {
            code: StreamErrorCode::ResourceNotFound,
            message: None,
            client_token: testing::some("abc"),
        })
    );
    let input = unhex(CHUNKED_UNKNOWN_CODE);
    assert_eq!(
        StreamRejected::decode_cbor(&input, &mut []).map(|r| r.code),
        Ok(StreamErrorCode::Unknown(""))
    );
    let input = unhex(CHUNKED_DESCRIPTION);
    let response = DescribeStreamResponse::<2>::decode_cbor(&input, &mut []).unwrap();
    assert_eq!((response.stream_version, response.description), (1, None));
    assert_eq!(
        response.files[..],
        [StreamFile {
            file_id: 0,
            size: 256
        }]
    );
    let input = unhex(CHUNKED_BITMAP);
    let mut bitmap = [0u8; 8];
    let req = GetStreamRequest::decode(Format::Cbor, &input, &mut bitmap).unwrap();
    assert_eq!(
        (req.file_id, req.block_size, req.bitmap),
        (0, 256, Some(&[0xff, 0xff, 0x7f][..]))
    );
}

#[test]
fn every_known_code_is_recognised_when_chunked() {
    let codes = [
        StreamErrorCode::InvalidTopic,
        StreamErrorCode::InvalidJson,
        StreamErrorCode::InvalidCbor,
        StreamErrorCode::InvalidRequest,
        StreamErrorCode::Unauthorized,
        StreamErrorCode::BlockSizeOutOfBounds,
        StreamErrorCode::OffsetOutOfBounds,
        StreamErrorCode::BlockCountLimitExceeded,
        StreamErrorCode::BlockBitmapLimitExceeded,
        StreamErrorCode::ResourceNotFound,
        StreamErrorCode::VersionMismatch,
        StreamErrorCode::ETagMismatch,
        StreamErrorCode::InternalError,
    ];
    for code in codes {
        let name = code.as_str().as_bytes();
        // {_ "o": (_ first byte, the rest)}
        let mut input = std::vec![0xbf, 0x61, b'o', 0x7f, 0x61, name[0], 0x78];
        input.push((name.len() - 1) as u8);
        input.extend_from_slice(&name[1..]);
        input.extend_from_slice(&[0xff, 0xff]);
        assert_eq!(
            StreamRejected::decode_cbor(&input, &mut []).map(|r| r.code),
            Ok(code),
            "{code:?}"
        );
    }
}

/// Chunked strings keep the limits of definite ones.
#[test]
fn chunked_strings_keep_the_limits() {
    // A payload one byte over the largest block, in two chunks: refused as a definite one is,
    // however large the buffer.
    let half = MAX_BLOCK_SIZE as usize / 2;
    let mut input = unhex("bf 616600 616900 616c1a00020001 6170 5f");
    for len in [half, half + 1] {
        input.extend_from_slice(&[0x5a, 0, 0, 0, 0]);
        let at = input.len() - 4;
        input[at..].copy_from_slice(&(len as u32).to_be_bytes());
        input.extend(core::iter::repeat_n(0x55, len));
    }
    input.extend_from_slice(&[0xff, 0xff]);
    let mut big = std::vec![0u8; 2 * half + 8];
    assert_eq!(
        DataBlock::decode_cbor(&input, &mut big),
        Err(StreamError::BlockSizeOutOfBounds)
    );
    assert_eq!(
        DataBlock::decode_cbor(&input, &mut []),
        Err(StreamError::BlockSizeOutOfBounds)
    );

    // `l` must still equal the joined length.
    let input = unhex("bf 616600 616900 616c03 6170 5f 4101 4102 ff ff");
    assert_eq!(
        DataBlock::decode_cbor(&input, &mut [0; 4]),
        Err(StreamError::PayloadLengthMismatch)
    );
    // A second payload is a duplicate, chunked or not.
    let input = unhex("bf 616600 616900 616c01 6170 5f 4101 ff 6170 4101 ff");
    assert_eq!(
        DataBlock::decode_cbor(&input, &mut [0; 4]),
        Err(StreamError::DuplicateKey("p"))
    );

    // A client token of 65 bytes in chunks; 64 is fine.
    let fine: Result<Option<JsonStr<'_>>, _> = Ok(None);
    for (len, expected) in [(64, fine), (65, Err(StreamError::ClientTokenTooLong))] {
        let mut input = std::vec![0xa1, 0x61, b'c', 0x7f, 0x78, 32];
        input.extend_from_slice(&[b't'; 32]);
        input.extend_from_slice(&[0x78, (len - 32) as u8]);
        input.extend(core::iter::repeat_n(b't', len - 32));
        input.push(0xff);
        assert_eq!(
            DescribeStreamRequest::decode_cbor(&input, &mut []).map(|r| r.client_token),
            expected,
            "{len}"
        );
    }

    // A bitmap over the limit in chunks.
    let mut input = unhex("a3 616600 616c190100 6162 5f");
    for len in [6000usize, MAX_BITMAP_LEN + 1 - 6000] {
        input.extend_from_slice(&[0x59, (len >> 8) as u8, len as u8]);
        input.extend(core::iter::repeat_n(0xff, len));
    }
    input.push(0xff);
    let mut big = std::vec![0u8; MAX_BITMAP_LEN + 1];
    assert_eq!(
        GetStreamRequest::decode_cbor(&input, &mut big),
        Err(StreamError::BitmapTooLong)
    );
    assert_eq!(
        GetStreamRequest::decode_cbor(&unhex(CHUNKED_BITMAP), &mut []),
        Err(StreamError::BufferTooSmall)
    );
}

#[test]
fn malformed_chunked_strings_are_refused() {
    let block = |p: &str| unhex(&std::format!("bf 616600 616900 616c01 6170 {p} ff"));
    let cases = [
        // A chunk that is itself indefinite, a text chunk in a byte string, no break.
        ("5f 5f 4101 ff ff", CborErrorKind::TypeMismatch),
        ("5f 6161 ff", CborErrorKind::TypeMismatch),
        ("5f 4101", CborErrorKind::EndOfInput),
        // A chunk head with a reserved length.
        ("5f 5c ff", CborErrorKind::TypeMismatch),
    ];
    for (p, kind) in cases {
        assert_eq!(
            cbor_err(DataBlock::decode_cbor(&block(p), &mut [0; 8])),
            kind,
            "{p}"
        );
    }
    // Text: a byte chunk, a chunk that is not UTF-8 on its own (a code point split across
    // chunks), no break.
    let rejected = |o: &str| unhex(&std::format!("bf 616f {o} ff"));
    for (o, kind) in [
        ("7f 4161 ff", CborErrorKind::TypeMismatch),
        ("7f 61c3 61a9 ff", CborErrorKind::Malformed),
        ("7f 6161", CborErrorKind::EndOfInput),
    ] {
        assert_eq!(
            cbor_err(StreamRejected::decode_cbor(&rejected(o), &mut [])),
            kind,
            "{o}"
        );
    }
    // The same string in one chunk is fine.
    assert_eq!(
        StreamRejected::decode_cbor(&rejected("7f 62c3a9 ff"), &mut []).map(|r| r.code),
        Ok(StreamErrorCode::Unknown(""))
    );
}

/// Where this crate is deliberately stricter than the AWS C agent (listed in the streams
/// module docs), a data block the agent would take is refused.
#[test]
fn stricter_than_the_agent_on_purpose() {
    let block = |body: &str| unhex(&std::format!("bf {body} ff"));
    let cases = [
        // Duplicate key (the agent takes the first).
        (
            "616601 616601 616900 616c01 6170 4100",
            Err(StreamError::DuplicateKey("f")),
        ),
        // `l` differs from the payload length (the agent trusts `l`).
        (
            "616601 616900 616c02 6170 4100",
            Err(StreamError::PayloadLengthMismatch),
        ),
        // File id over 255 (the agent reads it as an int and ignores it).
        (
            "6166190100 616900 616c01 6170 4100",
            Err(StreamError::FileIdOutOfBounds),
        ),
        // Block index over 32 bits (the agent truncates it to an int).
        (
            "616601 61691b0000000100000000 616c01 6170 4100",
            Err(StreamError::ValueOutOfRange("i")),
        ),
        // A client token over 64 bytes (the agent does not read `c`).
        (
            "6163 7841 7474747474747474747474747474747474747474747474747474747474747474\
             7474747474747474747474747474747474747474747474747474747474747474 74 \
             616601 616900 616c01 6170 4100",
            Err(StreamError::ClientTokenTooLong),
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(
            DataBlock::decode_cbor(&block(body), &mut []).map(|_| ()),
            expected,
            "{body}"
        );
    }
    // Negative values (the agent converts them).
    for body in [
        "616620 616900 616c01 6170 4100",
        "616601 616920 616c01 6170 4100",
        "616601 616900 616c20 6170 4100",
    ] {
        assert_eq!(
            cbor_err(DataBlock::decode_cbor(&block(body), &mut [])),
            CborErrorKind::TypeMismatch,
            "{body}"
        );
    }
    // Bytes after the map (the agent ignores them).
    let mut trailing = block("616601 616900 616c01 6170 4100");
    assert!(DataBlock::decode_cbor(&trailing, &mut []).is_ok());
    trailing.push(0xf6);
    assert_eq!(
        cbor_err(DataBlock::decode_cbor(&trailing, &mut [])),
        CborErrorKind::TrailingBytes
    );
}

#[test]
fn limits_are_checked_when_decoding() {
    // {"f": F, "l": L, "o": O, "n": N} with one field out of range at a time.
    let req = |f: &[u8], l: &[u8], o: &[u8], n: &[u8]| {
        let mut v = std::vec![0xa4, 0x61, 0x66];
        v.extend_from_slice(f);
        v.extend_from_slice(&[0x61, 0x6c]);
        v.extend_from_slice(l);
        v.extend_from_slice(&[0x61, 0x6f]);
        v.extend_from_slice(o);
        v.extend_from_slice(&[0x61, 0x6e]);
        v.extend_from_slice(n);
        GetStreamRequest::decode_cbor(&v, &mut []).map(|_| ())
    };
    let (ok_f, ok_l, ok_o, ok_n) = ([0x00], [0x19, 0x01, 0x00], [0x00], [0x01]);
    assert!(req(&ok_f, &ok_l, &ok_o, &ok_n).is_ok());
    assert_eq!(
        req(&[0x19, 0x01, 0x00], &ok_l, &ok_o, &ok_n),
        Err(StreamError::FileIdOutOfBounds)
    );
    assert_eq!(
        req(&ok_f, &[0x18, 0xff], &ok_o, &ok_n),
        Err(StreamError::BlockSizeOutOfBounds)
    );
    assert_eq!(
        req(&ok_f, &[0x1a, 0, 2, 0, 1], &ok_o, &ok_n),
        Err(StreamError::BlockSizeOutOfBounds)
    );
    let huge = [0x1b, 1, 0, 0, 0, 0, 0, 0, 0];
    assert_eq!(
        req(&ok_f, &huge, &ok_o, &ok_n),
        Err(StreamError::BlockSizeOutOfBounds)
    );
    assert_eq!(
        req(&ok_f, &ok_l, &[0x1a, 0, 1, 0x80, 1], &ok_n),
        Err(StreamError::OffsetOutOfBounds)
    );
    assert_eq!(
        req(&ok_f, &ok_l, &huge, &ok_n),
        Err(StreamError::OffsetOutOfBounds)
    );
    assert_eq!(
        req(&ok_f, &ok_l, &ok_o, &[0x1a, 0, 1, 0x80, 1]),
        Err(StreamError::BlockCountOutOfBounds)
    );
    assert_eq!(
        cbor_err(req(&[0x20], &ok_l, &ok_o, &ok_n)),
        CborErrorKind::TypeMismatch
    );

    let too_long = [0u8; MAX_BITMAP_LEN + 1];
    let mut buf = std::vec![0u8; 13_000];
    let mut req = GetStreamRequest::new(0, 256);
    req.bitmap = Some(&too_long);
    assert_eq!(req.encode_cbor(&mut buf), Err(StreamError::BitmapTooLong));
    req.bitmap = Some(&too_long[1..]);
    let len = req.encode_cbor(&mut buf).unwrap();
    // Grow the byte string by one: 0x59 0x2f 0xff -> 0x59 0x30 0x00 and one more byte.
    let mut long = buf[..len].to_vec();
    let at = long
        .windows(3)
        .position(|w| w == [0x59, 0x2f, 0xff])
        .unwrap();
    long[at + 1..at + 3].copy_from_slice(&[0x30, 0x00]);
    long.push(0);
    assert_eq!(
        GetStreamRequest::decode_cbor(&long, &mut []),
        Err(StreamError::BitmapTooLong)
    );

    let token = "t".repeat(65);
    let mut long_token = std::vec![0xa1, 0x61, 0x63, 0x78, 65];
    long_token.extend_from_slice(token.as_bytes());
    assert_eq!(
        DescribeStreamRequest::decode_cbor(&long_token, &mut []),
        Err(StreamError::ClientTokenTooLong)
    );
}

/// Vector 25 (DescribeStream and rejected examples), in CBOR.
#[test]
fn vector_25_describe_and_rejected() {
    let mut files = heapless::Vec::<StreamFile, 4>::new();
    files
        .push(StreamFile {
            file_id: 0,
            size: 131_072,
        })
        .unwrap();
    files
        .push(StreamFile {
            file_id: 1,
            size: 51_200,
        })
        .unwrap();
    let response = DescribeStreamResponse {
        client_token: testing::some("abc"),
        stream_version: 1,
        description: testing::some("fw"),
        files,
    };
    let mut buf = [0u8; 64];
    let len = response.encode_cbor(&mut buf).unwrap();
    let mut expected = std::vec![0xbf, 0x61, 0x63, 0x63, b'a', b'b', b'c', 0x61, 0x73, 0x01];
    expected.extend_from_slice(&[0x61, 0x64, 0x62, b'f', b'w', 0x61, 0x72, 0x82]);
    expected.extend_from_slice(&[
        0xa2, 0x61, 0x66, 0x00, 0x61, 0x7a, 0x1a, 0x00, 0x02, 0x00, 0x00,
    ]);
    expected.extend_from_slice(&[0xa2, 0x61, 0x66, 0x01, 0x61, 0x7a, 0x19, 0xc8, 0x00, 0xff]);
    assert_eq!(buf[..len], expected[..]);
    assert_eq!(
        DescribeStreamResponse::<4>::decode_cbor(&expected, &mut []),
        Ok(response.clone())
    );
    assert_eq!(
        response.file(1),
        Some(StreamFile {
            file_id: 1,
            size: 51_200
        })
    );
    assert_eq!(
        DescribeStreamResponse::<1>::decode_cbor(&expected, &mut []),
        Err(StreamError::TooManyFiles)
    );
    // An indefinite-length file list, and a file without its size.
    let indefinite = [
        0xa2, 0x61, 0x73, 0x01, 0x61, 0x72, 0x9f, 0xa1, 0x61, 0x66, 0x00, 0xff,
    ];
    assert_eq!(
        DescribeStreamResponse::<4>::decode_cbor(&indefinite, &mut []),
        Err(StreamError::MissingKey("z"))
    );
    let no_files = [0xa1, 0x61, 0x73, 0x01];
    assert_eq!(
        DescribeStreamResponse::<4>::decode_cbor(&no_files, &mut []),
        Err(StreamError::MissingKey("r"))
    );

    let rejected = StreamRejected {
        code: StreamErrorCode::BlockSizeOutOfBounds,
        message: testing::some("bad l"),
        client_token: testing::some("abc"),
    };
    let len = rejected.encode_cbor(&mut buf).unwrap();
    let mut expected = std::vec![0xbf, 0x61, 0x6f, 0x74];
    expected.extend_from_slice(b"BlockSizeOutOfBounds");
    expected.extend_from_slice(&[0x61, 0x6d, 0x65, b'b', b'a', b'd', b' ', b'l']);
    expected.extend_from_slice(&[0x61, 0x63, 0x63, b'a', b'b', b'c', 0xff]);
    assert_eq!(buf[..len], expected[..]);
    let decoded = StreamRejected::decode_cbor(&expected, &mut []).unwrap();
    assert_eq!(decoded, rejected);
    assert!(!decoded.code.is_retryable());
}

#[test]
fn rejected_accepts_the_older_keys() {
    // {"code": "InternalError", "message": "m", "clientToken": "t"}
    let mut old = std::vec![0xa3, 0x64];
    old.extend_from_slice(b"code");
    old.push(0x6d);
    old.extend_from_slice(b"InternalError");
    old.push(0x67);
    old.extend_from_slice(b"message");
    old.extend_from_slice(&[0x61, b'm', 0x6b]);
    old.extend_from_slice(b"clientToken");
    old.extend_from_slice(&[0x61, b't']);
    let decoded = StreamRejected::decode_cbor(&old, &mut []).unwrap();
    assert_eq!(decoded.code, StreamErrorCode::InternalError);
    assert!(decoded.code.is_retryable());
    assert_eq!(
        (decoded.message, decoded.client_token),
        (testing::some("m"), testing::some("t"))
    );
    // Both spellings: the short key wins. Unknown codes keep their text.
    let both = [
        0xa2, 0x64, b'c', b'o', b'd', b'e', 0x61, b'x', 0x61, b'o', 0x62, b'Q', b'Z',
    ];
    assert_eq!(
        StreamRejected::decode_cbor(&both, &mut []).unwrap().code,
        StreamErrorCode::Unknown("QZ")
    );
    assert_eq!(
        StreamRejected::decode_cbor(&[0xa0], &mut []),
        Err(StreamError::MissingKey("o"))
    );
}

proptest! {
    /// A block's payload split into any chunks decodes to the same block.
    #[test]
    fn chunked_payload_decodes_as_the_definite_one(
        block in testing::data_block(),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
    ) {
        let block = block.get();
        let mut definite = std::vec![0u8; block.payload.len() + 128];
        let len = block.encode_cbor(&mut definite).unwrap();
        definite.truncate(len);
        // Re-encode "p" as an indefinite byte string cut at `cuts`.
        let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(block.payload.len() + 1)).collect();
        cuts.push(0);
        cuts.push(block.payload.len());
        cuts.sort_unstable();
        let mut chunked = std::vec![0u8; block.payload.len() + 128 + 2 * cuts.len()];
        let mut e = minicbor::Encoder::new(Cursor::new(&mut chunked[..]));
        e.begin_map().unwrap();
        if let Some(c) = block.client_token {
            e.str("c").unwrap().str(c.as_plain().unwrap()).unwrap();
        }
        e.str("f").unwrap().u8(block.file_id).unwrap();
        e.str("i").unwrap().u32(block.block_id).unwrap();
        e.str("l").unwrap().u64(block.payload.len() as u64).unwrap();
        e.str("p").unwrap().begin_bytes().unwrap();
        for w in cuts.windows(2) {
            e.bytes(&block.payload[w[0]..w[1]]).unwrap();
        }
        e.end().unwrap().end().unwrap();
        let len = e.into_writer().position();
        chunked.truncate(len);
        let mut buf = std::vec![0u8; block.payload.len()];
        prop_assert_eq!(DataBlock::decode_cbor(&chunked, &mut buf), Ok(block));
        prop_assert_eq!(DataBlock::decode_cbor(&definite, &mut []), Ok(block));
    }

    #[test]
    fn decoders_never_panic(input in mangled(vector_23_bytes()[..40].iter().chain(&[0xff]).copied().collect())) {
        testing::decode_all(&input);
    }
}
