use proptest::prelude::*;
use std::vec::Vec;

use super::*;
use crate::streams::testing::{self, mangled};
use crate::streams::{BlockBitmap, CborErrorKind, MAX_BITMAP_LEN};

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
        client_token: Some("ThisIsAClientToken"),
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
    assert_eq!(GetStreamRequest::decode_cbor(&bytes), Ok(req));
}

/// Vector 21: rustot `serialize_stream_request`, 181584 B in 2048 B blocks (89 blocks),
/// token `rdy`, 31-block windows from a [`BlockBitmap`].
#[test]
fn vector_21_rustot_first_and_last_request() {
    let mut file = BlockBitmap::<16>::new(181_584u32.div_ceil(2048)).unwrap();
    let request = |w: &crate::streams::Window<16>| {
        encode_get(&GetStreamRequest {
            client_token: Some("rdy"),
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
    let decoded = GetStreamRequest::decode_cbor(&last).unwrap();
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
    let block = DataBlock::decode_cbor(&bytes).unwrap();
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
    let block = DataBlock::decode_cbor(&bytes).unwrap();
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
    let block = DataBlock::decode_cbor(&bytes).unwrap();
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
    assert!(DataBlock::decode_cbor(&ok).is_ok());

    let dup = data(&[&f0[..], &i0, &f0, &lp].concat());
    assert_eq!(
        DataBlock::decode_cbor(&dup),
        Err(StreamError::DuplicateKey("f"))
    );
    let missing = data(&[&f0[..], &lp].concat());
    assert_eq!(
        DataBlock::decode_cbor(&missing),
        Err(StreamError::MissingKey("i"))
    );
    let mismatch = data(&[&f0[..], &i0, &[0x61, 0x6c, 0x02, 0x61, 0x70, 0x41, 0x09]].concat());
    assert_eq!(
        DataBlock::decode_cbor(&mismatch),
        Err(StreamError::PayloadLengthMismatch)
    );

    let mut trailing = ok.clone();
    trailing.push(0x00);
    assert_eq!(
        cbor_err(DataBlock::decode_cbor(&trailing)),
        CborErrorKind::TrailingBytes
    );
    assert_eq!(
        cbor_err(DataBlock::decode_cbor(&ok[..ok.len() - 1])),
        CborErrorKind::EndOfInput
    );
    assert_eq!(
        cbor_err(DataBlock::decode_cbor(&[0x80])),
        CborErrorKind::TypeMismatch
    );
    assert_eq!(
        cbor_err(DataBlock::decode_cbor(&[])),
        CborErrorKind::EndOfInput
    );
    // "f" holding a string, "p" an indefinite byte string (cannot be borrowed).
    let wrong_type = data(&[&[0x61, 0x66, 0x61, 0x30][..], &i0, &lp].concat());
    assert_eq!(
        cbor_err(DataBlock::decode_cbor(&wrong_type)),
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
        cbor_err(DataBlock::decode_cbor(&indef_payload)),
        CborErrorKind::TypeMismatch
    );
    // An odd indefinite map: a key without a value.
    assert_eq!(
        cbor_err(DataBlock::decode_cbor(&[0xbf, 0x61, 0x66, 0xff])),
        CborErrorKind::Malformed
    );
    assert_eq!(
        cbor_err(DataBlock::decode_cbor(&[0xbf, 0x61, 0x78, 0xff])),
        CborErrorKind::Malformed
    );
    // A break inside a definite map.
    assert_eq!(
        cbor_err(DataBlock::decode_cbor(&[0xa1, 0xff])),
        CborErrorKind::Malformed
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
        GetStreamRequest::decode_cbor(&v).map(|_| ())
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
        GetStreamRequest::decode_cbor(&long),
        Err(StreamError::BitmapTooLong)
    );

    let token = "t".repeat(65);
    let mut long_token = std::vec![0xa1, 0x61, 0x63, 0x78, 65];
    long_token.extend_from_slice(token.as_bytes());
    assert_eq!(
        DescribeStreamRequest::decode_cbor(&long_token),
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
        client_token: Some("abc"),
        stream_version: 1,
        description: Some("fw"),
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
        DescribeStreamResponse::<4>::decode_cbor(&expected),
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
        DescribeStreamResponse::<1>::decode_cbor(&expected),
        Err(StreamError::TooManyFiles)
    );
    // An indefinite-length file list, and a file without its size.
    let indefinite = [
        0xa2, 0x61, 0x73, 0x01, 0x61, 0x72, 0x9f, 0xa1, 0x61, 0x66, 0x00, 0xff,
    ];
    assert_eq!(
        DescribeStreamResponse::<4>::decode_cbor(&indefinite),
        Err(StreamError::MissingKey("z"))
    );
    let no_files = [0xa1, 0x61, 0x73, 0x01];
    assert_eq!(
        DescribeStreamResponse::<4>::decode_cbor(&no_files),
        Err(StreamError::MissingKey("r"))
    );

    let rejected = StreamRejected {
        code: StreamErrorCode::BlockSizeOutOfBounds,
        message: Some("bad l"),
        client_token: Some("abc"),
    };
    let len = rejected.encode_cbor(&mut buf).unwrap();
    let mut expected = std::vec![0xbf, 0x61, 0x6f, 0x74];
    expected.extend_from_slice(b"BlockSizeOutOfBounds");
    expected.extend_from_slice(&[0x61, 0x6d, 0x65, b'b', b'a', b'd', b' ', b'l']);
    expected.extend_from_slice(&[0x61, 0x63, 0x63, b'a', b'b', b'c', 0xff]);
    assert_eq!(buf[..len], expected[..]);
    let decoded = StreamRejected::decode_cbor(&expected).unwrap();
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
    let decoded = StreamRejected::decode_cbor(&old).unwrap();
    assert_eq!(decoded.code, StreamErrorCode::InternalError);
    assert!(decoded.code.is_retryable());
    assert_eq!(
        (decoded.message, decoded.client_token),
        (Some("m"), Some("t"))
    );
    // Both spellings: the short key wins. Unknown codes keep their text.
    let both = [
        0xa2, 0x64, b'c', b'o', b'd', b'e', 0x61, b'x', 0x61, b'o', 0x62, b'Q', b'Z',
    ];
    assert_eq!(
        StreamRejected::decode_cbor(&both).unwrap().code,
        StreamErrorCode::Unknown("QZ")
    );
    assert_eq!(
        StreamRejected::decode_cbor(&[0xa0]),
        Err(StreamError::MissingKey("o"))
    );
}

#[test]
fn encoders_never_write_past_the_buffer() {
    let payload = [7u8; 40];
    let block = DataBlock {
        client_token: Some("tok"),
        file_id: 2,
        block_id: 9,
        payload: &payload,
    };
    let req = GetStreamRequest {
        client_token: Some("tok"),
        stream_version: Some(3),
        bitmap: Some(&payload),
        block_count: Some(4),
        ..GetStreamRequest::new(1, 4096)
    };
    let describe = DescribeStreamRequest {
        client_token: Some("tok"),
    };
    let mut full = [0u8; 128];
    let encoders: [testing::Encoder<'_>; 3] =
        [&|b| block.encode_cbor(b), &|b| req.encode_cbor(b), &|b| {
            describe.encode_cbor(b)
        }];
    for encode in encoders {
        let len = encode(&mut full).unwrap();
        for short in 0..len {
            assert_eq!(encode(&mut full[..short]), Err(StreamError::BufferTooSmall));
        }
    }
}

proptest! {
    #[test]
    fn get_request_round_trips(req in testing::get_request(false)) {
        let req = req.get();
        let mut buf = [0u8; 256];
        let len = req.encode_cbor(&mut buf).unwrap();
        prop_assert_eq!(GetStreamRequest::decode_cbor(&buf[..len]), Ok(req));
    }

    #[test]
    fn data_block_round_trips(block in testing::data_block(false)) {
        let block = block.get();
        let mut buf = [0u8; 700];
        let len = block.encode_cbor(&mut buf).unwrap();
        prop_assert_eq!(DataBlock::decode_cbor(&buf[..len]), Ok(block));
    }

    #[test]
    fn describe_round_trips(response in testing::describe_response(false), token in testing::token(false)) {
        let response = response.get();
        let mut buf = [0u8; 256];
        let len = response.encode_cbor(&mut buf).unwrap();
        prop_assert_eq!(DescribeStreamResponse::<4>::decode_cbor(&buf[..len]), Ok(response));
        let req = DescribeStreamRequest { client_token: token.as_deref() };
        let len = req.encode_cbor(&mut buf).unwrap();
        prop_assert_eq!(DescribeStreamRequest::decode_cbor(&buf[..len]), Ok(req));
    }

    #[test]
    fn rejected_round_trips(rejected in testing::rejected(false)) {
        let rejected = rejected.get();
        let mut buf = [0u8; 256];
        let len = rejected.encode_cbor(&mut buf).unwrap();
        prop_assert_eq!(StreamRejected::decode_cbor(&buf[..len]), Ok(rejected));
    }

    #[test]
    fn decoders_never_panic(input in mangled(vector_23_bytes()[..40].iter().chain(&[0xff]).copied().collect())) {
        let _ = DataBlock::decode_cbor(&input);
        let _ = GetStreamRequest::decode_cbor(&input);
        let _ = DescribeStreamRequest::decode_cbor(&input);
        let _ = DescribeStreamResponse::<2>::decode_cbor(&input);
        let _ = StreamRejected::decode_cbor(&input);
    }

    #[test]
    fn decoders_never_panic_on_mangled_messages(input in prop_oneof![
        testing::get_request(false).prop_flat_map(|r| mangled(encode_get(&r.get()))),
        testing::describe_response(false).prop_flat_map(|r| {
            let mut buf = [0u8; 256];
            let len = r.get().encode_cbor(&mut buf).unwrap();
            mangled(buf[..len].to_vec())
        }),
        testing::rejected(false).prop_flat_map(|r| {
            let mut buf = [0u8; 256];
            let len = r.get().encode_cbor(&mut buf).unwrap();
            mangled(buf[..len].to_vec())
        }),
    ]) {
        let _ = GetStreamRequest::decode_cbor(&input);
        let _ = DataBlock::decode_cbor(&input);
        let _ = DescribeStreamResponse::<2>::decode_cbor(&input);
        let _ = StreamRejected::decode_cbor(&input);
    }
}
