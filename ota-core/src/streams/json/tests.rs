use proptest::prelude::*;
use std::vec::Vec;

use super::*;
use crate::json::ErrorKind;
use crate::streams::testing::{self, mangled};
use crate::streams::{
    DataBlock, DescribeStreamRequest, DescribeStreamResponse, GetStreamRequest, MAX_BITMAP_LEN,
    StreamFile, StreamMessage as _, StreamRejected,
};

fn json_kind(r: Result<impl core::fmt::Debug, StreamError>) -> ErrorKind {
    match r {
        Err(StreamError::Json { kind, .. }) => kind,
        other => panic!("expected a JSON error, got {other:?}"),
    }
}

const AWS_GET: &[u8] = br#"{"c":"1","s":1,"l":256,"f":1,"o":20,"n":32,"b":"0x130080"}"#;

/// Vector 24: the AWS documentation's GetStream JSON example.
#[test]
fn vector_24_aws_get_stream_example() {
    let mut bitmap = [0u8; 16];
    let req = GetStreamRequest::decode_json(AWS_GET, &mut bitmap).unwrap();
    assert_eq!(req.client_token, testing::some("1"));
    assert_eq!(req.stream_version, Some(1));
    assert_eq!((req.file_id, req.block_size, req.offset), (1, 256, 20));
    assert_eq!(req.block_count, Some(32));
    assert_eq!(req.bitmap, Some(&[0x13, 0x00, 0x80][..]));
    assert_eq!(req.requested_blocks().collect::<Vec<_>>(), [20, 21, 24, 43]);
    let mut out = [0u8; 128];
    let len = req.encode_json(&mut out).unwrap();
    assert_eq!(&out[..len], AWS_GET);
}

/// Vector 25: the AWS documentation's DescribeStream response and error, in JSON.
#[test]
fn vector_25_describe_and_error_examples() {
    let doc = br#"{"c":"abc","s":1,"d":"my stream","r":[{"f":0,"z":131072},{"f":1,"z":51200}]}"#;
    let response = DescribeStreamResponse::<4>::decode_json(doc, &mut []).unwrap();
    assert_eq!(response.client_token, testing::some("abc"));
    assert_eq!(response.stream_version, 1);
    assert_eq!(response.description, testing::some("my stream"));
    assert_eq!(
        response.files.as_slice(),
        [
            StreamFile {
                file_id: 0,
                size: 131_072
            },
            StreamFile {
                file_id: 1,
                size: 51_200
            }
        ]
    );
    let mut out = [0u8; 128];
    let len = response.encode_json(&mut out).unwrap();
    assert_eq!(&out[..len], doc);
    assert_eq!(
        DescribeStreamResponse::<1>::decode_json(doc, &mut []),
        Err(StreamError::TooManyFiles)
    );

    let error = br#"{"o":"BlockSizeOutOfBounds","m":"Block size out of bounds","c":"abc"}"#;
    let rejected = StreamRejected::decode_json(error, &mut []).unwrap();
    assert_eq!(rejected.code, StreamErrorCode::BlockSizeOutOfBounds);
    assert!(!rejected.code.is_retryable());
    assert_eq!(rejected.message, testing::some("Block size out of bounds"));
    assert_eq!(rejected.client_token, testing::some("abc"));
    let len = rejected.encode_json(&mut out).unwrap();
    assert_eq!(&out[..len], error);
}

#[test]
fn rejected_accepts_the_older_keys_and_unknown_codes() {
    let old = br#"{"code":"ResourceNotFound","message":"No stream","clientToken":"t"}"#;
    let rejected = StreamRejected::decode_json(old, &mut []).unwrap();
    assert_eq!(rejected.code, StreamErrorCode::ResourceNotFound);
    assert_eq!(
        (rejected.message, rejected.client_token),
        (testing::some("No stream"), testing::some("t"))
    );
    let both = br#"{"code":"InternalError","o":"Throttled"}"#;
    let rejected = StreamRejected::decode_json(both, &mut []).unwrap();
    assert_eq!(rejected.code, StreamErrorCode::Unknown("Throttled"));
    assert_eq!(rejected.code.as_str(), "Throttled");
    assert_eq!(
        StreamRejected::decode_json(b"{}", &mut []),
        Err(StreamError::MissingKey("o"))
    );
    assert_eq!(
        StreamRejected::decode_json(br#"{"o":"A","o":"B"}"#, &mut []),
        Err(StreamError::DuplicateKey("o"))
    );
}

#[test]
fn data_block_base64() {
    let doc = br#"{"c":"1","f":1,"l":4,"i":20,"p":"AQIDBA=="}"#;
    let mut payload = [0u8; 8];
    let block = DataBlock::decode_json(doc, &mut payload).unwrap();
    assert_eq!(
        block,
        DataBlock {
            client_token: testing::some("1"),
            file_id: 1,
            block_id: 20,
            payload: &[1, 2, 3, 4]
        }
    );
    let mut out = [0u8; 64];
    let len = block.encode_json(&mut out).unwrap();
    assert_eq!(&out[..len], doc);

    let mut small = [0u8; 3];
    assert_eq!(
        DataBlock::decode_json(doc, &mut small),
        Err(StreamError::BufferTooSmall)
    );
    let refused: [(&[u8], StreamError); 6] = [
        (
            br#"{"f":1,"l":5,"i":20,"p":"AQIDBA=="}"#,
            StreamError::PayloadLengthMismatch,
        ),
        (br#"{"f":1,"l":4,"i":0,"p":"AQIDBA="}"#, StreamError::Base64),
        (
            br#"{"f":1,"l":4,"i":0,"p":"AQ!DBA=="}"#,
            StreamError::Base64,
        ),
        (
            br#"{"f":1,"l":4,"p":"AQIDBA=="}"#,
            StreamError::MissingKey("i"),
        ),
        (
            br#"{"f":256,"l":4,"i":0,"p":"AQIDBA=="}"#,
            StreamError::FileIdOutOfBounds,
        ),
        (
            br#"{"f":1,"l":4,"i":4294967296,"p":"AQIDBA=="}"#,
            StreamError::ValueOutOfRange("i"),
        ),
    ];
    for (doc, error) in refused {
        assert_eq!(DataBlock::decode_json(doc, &mut payload), Err(error));
    }
}

/// A data block and a GetStream bitmap written with escapes (`\/` in base64, as several
/// JSON encoders write it; `\u00XX` for digits) decode as the plain ones.
#[test]
fn escaped_payload_and_bitmap_decode_as_plain() {
    // 0xff 0xef 0xbf 0x01 0x02: base64 `/++/AQI=`.
    let plain = br#"{"f":1,"l":5,"i":20,"p":"/++/AQI="}"#;
    let escaped = br#"{"f":1,"l":5,"i":20,"p":"\/++\/A\u0051I="}"#;
    let (mut a, mut b) = ([0u8; 8], [0u8; 8]);
    let block = DataBlock::decode_json(plain, &mut a).unwrap();
    assert_eq!(block.payload, [0xff, 0xef, 0xbf, 1, 2]);
    assert_eq!(DataBlock::decode_json(escaped, &mut b), Ok(block));
    let mut small = [0u8; 4];
    assert_eq!(
        DataBlock::decode_json(escaped, &mut small),
        Err(StreamError::BufferTooSmall)
    );
    let bad = br#"{"f":1,"l":5,"i":20,"p":"\/++\/AQI"}"#;
    assert_eq!(
        DataBlock::decode_json(bad, &mut b),
        Err(StreamError::Base64)
    );
    // A long payload, decoded a window at a time.
    let bytes: Vec<u8> = (0..=255).collect();
    let text = STANDARD.encode(&bytes);
    let doc = std::format!(
        r#"{{"f":0,"l":256,"i":0,"p":"{}"}}"#,
        text.replace('/', "\\/")
    );
    let mut big = [0u8; 256];
    assert_eq!(
        DataBlock::decode_json(doc.as_bytes(), &mut big)
            .unwrap()
            .payload,
        bytes.as_slice()
    );

    let escaped_get =
        br#"{"c":"1","s":1,"l":256,"f":1,"o":20,"n":32,"b":"0\u0078\u00313008\u0030"}"#;
    let (mut x, mut y) = ([0u8; 16], [0u8; 16]);
    assert_eq!(
        GetStreamRequest::decode_json(escaped_get, &mut x),
        GetStreamRequest::decode_json(AWS_GET, &mut y)
    );
    let long_hex: std::string::String = (0..100).map(|i| std::format!("{i:02x}")).collect();
    let doc = std::format!(r#"{{"f":0,"l":256,"b":"0x{long_hex}\u0030\u0031"}}"#);
    let mut bitmap = [0u8; 128];
    let req = GetStreamRequest::decode_json(doc.as_bytes(), &mut bitmap).unwrap();
    let mut expected: Vec<u8> = (0..100).collect();
    expected.push(1);
    assert_eq!(req.bitmap, Some(expected.as_slice()));
    for (bad, error) in [
        (r#""\u0030x1""#, StreamError::BitmapHex),
        (r#""x\u00301""#, StreamError::BitmapHex),
        (r#""0x\u0067g""#, StreamError::BitmapHex),
        (
            r#""0x0\u0030ffffffffffffffffffffffffffffffffff""#,
            StreamError::BufferTooSmall,
        ),
    ] {
        let doc = std::format!(r#"{{"f":0,"l":256,"b":{bad}}}"#);
        let mut bitmap = [0u8; 4];
        assert_eq!(
            GetStreamRequest::decode_json(doc.as_bytes(), &mut bitmap),
            Err(error),
            "{bad}"
        );
    }
}

#[test]
fn get_stream_limits_and_bitmap_errors() {
    let mut bitmap = [0u8; 16];
    let mut check = |doc: &[u8], err: StreamError| {
        assert_eq!(
            GetStreamRequest::decode_json(doc, &mut bitmap),
            Err(err),
            "{}",
            core::str::from_utf8(doc).unwrap()
        );
    };
    check(br#"{"f":1,"l":255}"#, StreamError::BlockSizeOutOfBounds);
    check(br#"{"f":1,"l":131073}"#, StreamError::BlockSizeOutOfBounds);
    check(
        br#"{"f":1,"l":99999999999}"#,
        StreamError::BlockSizeOutOfBounds,
    );
    check(
        br#"{"f":1,"l":256,"o":98305}"#,
        StreamError::OffsetOutOfBounds,
    );
    check(
        br#"{"f":1,"l":256,"n":98305}"#,
        StreamError::BlockCountOutOfBounds,
    );
    check(
        br#"{"f":1,"l":256,"s":4294967296}"#,
        StreamError::ValueOutOfRange("s"),
    );
    check(br#"{"f":1,"l":256,"b":"130080"}"#, StreamError::BitmapHex);
    check(br#"{"f":1,"l":256,"b":"0x13008"}"#, StreamError::BitmapHex);
    check(
        br#"{"f":1,"l":256,"b":"0x00112233445566778899aabbccddeeff00"}"#,
        StreamError::BufferTooSmall,
    );
    check(br#"{"l":256}"#, StreamError::MissingKey("f"));
    check(br#"{"f":1}"#, StreamError::MissingKey("l"));
    check(br#"{"f":1,"l":256,"f":1}"#, StreamError::DuplicateKey("f"));
    let token = std::format!(r#"{{"f":1,"l":256,"c":"{}"}}"#, "t".repeat(65));
    check(token.as_bytes(), StreamError::ClientTokenTooLong);

    // Bitmap length is checked before the buffer size.
    let long = std::format!(
        r#"{{"f":1,"l":256,"b":"0x{}"}}"#,
        "00".repeat(MAX_BITMAP_LEN + 1)
    );
    check(long.as_bytes(), StreamError::BitmapTooLong);
    let max = std::format!(
        r#"{{"f":1,"l":256,"b":"0x{}"}}"#,
        "01".repeat(MAX_BITMAP_LEN)
    );
    let mut big = std::vec![0u8; MAX_BITMAP_LEN];
    let req = GetStreamRequest::decode_json(max.as_bytes(), &mut big).unwrap();
    assert_eq!(req.bitmap.map(<[u8]>::len), Some(MAX_BITMAP_LEN));
    assert_eq!(req.offset, 0);

    assert_eq!(
        json_kind(GetStreamRequest::decode_json(
            br#"{"f":-1,"l":256}"#,
            &mut []
        )),
        ErrorKind::Number
    );
    assert_eq!(
        json_kind(GetStreamRequest::decode_json(
            br#"{"f":"1","l":256}"#,
            &mut []
        )),
        ErrorKind::Data
    );
}

#[test]
fn structure_unknown_keys_and_escapes() {
    // Unknown keys are skipped, whatever they hold; an escaped key still matches.
    let doc = br#" {"x":{"y":[1,{"z":null}],"w":-1.5e3},"\u0063":"tok","q":true} "#;
    assert_eq!(
        DescribeStreamRequest::decode_json(doc, &mut [])
            .unwrap()
            .client_token,
        testing::some("tok")
    );
    assert_eq!(
        DescribeStreamRequest::decode_json(b"{}", &mut [])
            .unwrap()
            .client_token,
        None
    );
    // JSON errors win over typed ones.
    assert_eq!(
        json_kind(DescribeStreamRequest::decode_json(
            br#"{"c":"a","c":"b"} x"#,
            &mut []
        )),
        ErrorKind::TrailingCharacters
    );
    assert_eq!(
        json_kind(DescribeStreamRequest::decode_json(
            br#"{"c":"a","c":"b",}"#,
            &mut []
        )),
        ErrorKind::Syntax
    );
    assert_eq!(
        json_kind(DescribeStreamRequest::decode_json(br#"["c"]"#, &mut [])),
        ErrorKind::Data
    );
    assert_eq!(
        json_kind(DescribeStreamRequest::decode_json(b"", &mut [])),
        ErrorKind::Eof
    );
    // A client token, description or message with escapes is read decoded (and written
    // back decoded, escaped only where JSON requires); codes are recognised too.
    let doc = br#"{"c":"a\"b\/c"}"#;
    let req = DescribeStreamRequest::decode_json(doc, &mut []).unwrap();
    assert_eq!(req.client_token, testing::some("a\"b/c"));
    let mut out = [0u8; 32];
    let len = req.encode_json(&mut out).unwrap();
    assert_eq!(&out[..len], br#"{"c":"a\"b/c"}"#);
    let doc = br#"{"s":2,"d":"line\nbreak","r":[]}"#;
    assert_eq!(
        DescribeStreamResponse::<1>::decode_json(doc, &mut [])
            .unwrap()
            .description,
        testing::some("line\nbreak")
    );
    let doc = br#"{"o":"Internal\u0045rror","m":"\"quoted\"","message":"plain"}"#;
    let rejected = StreamRejected::decode_json(doc, &mut []).unwrap();
    assert_eq!(rejected.code, StreamErrorCode::InternalError);
    assert_eq!(rejected.message, testing::some("\"quoted\""));
    let doc = br#"{"o":"New\u0043ode"}"#;
    assert_eq!(
        StreamRejected::decode_json(doc, &mut []).unwrap().code,
        StreamErrorCode::Unknown("")
    );
}

#[test]
fn describe_file_errors() {
    let check = |doc: &[u8], err: StreamError| {
        assert_eq!(
            DescribeStreamResponse::<2>::decode_json(doc, &mut []),
            Err(err)
        );
    };
    check(br#"{"s":1,"r":[{"f":0}]}"#, StreamError::MissingKey("z"));
    check(
        br#"{"s":1,"r":[{"f":300,"z":1}]}"#,
        StreamError::FileIdOutOfBounds,
    );
    check(
        br#"{"s":1,"r":[{"f":1,"z":1,"z":2}]}"#,
        StreamError::DuplicateKey("z"),
    );
    check(
        br#"{"s":1,"r":[{"f":1,"z":4294967296}]}"#,
        StreamError::ValueOutOfRange("z"),
    );
    check(
        br#"{"s":1,"r":[{"f":1,"z":1},{"f":2,"z":1},{"f":3,"z":1}]}"#,
        StreamError::TooManyFiles,
    );
    check(br#"{"s":1}"#, StreamError::MissingKey("r"));
    check(br#"{"r":[]}"#, StreamError::MissingKey("s"));
    check(br#"{"s":1,"r":[],"r":[]}"#, StreamError::DuplicateKey("r"));
    // The first error wins; the rest of the array is still checked as JSON.
    check(
        br#"{"s":1,"r":[{"f":1},{"f":999,"z":1}]}"#,
        StreamError::MissingKey("z"),
    );
    assert_eq!(
        json_kind(DescribeStreamResponse::<2>::decode_json(
            br#"{"s":1,"r":[{"f":1},{]}"#,
            &mut []
        )),
        ErrorKind::Syntax
    );
    let ok =
        DescribeStreamResponse::<2>::decode_json(br#"{"s":1,"r":[{"z":7,"x":[],"f":9}]}"#, &mut [])
            .unwrap();
    assert_eq!(
        ok.files.as_slice(),
        [StreamFile {
            file_id: 9,
            size: 7
        }]
    );
}

#[test]
fn writer_escapes_what_json_requires() {
    let token = "a\"b\\c\nd\u{1}é";
    let rejected = StreamRejected {
        code: StreamErrorCode::InvalidJson,
        message: testing::some(token),
        client_token: None,
    };
    let mut out = [0u8; 64];
    let len = rejected.encode_json(&mut out).unwrap();
    assert_eq!(
        &out[..len],
        "{\"o\":\"InvalidJson\",\"m\":\"a\\\"b\\\\c\\nd\\u0001é\"}".as_bytes()
    );
    let parsed: serde_json::Value = serde_json::from_slice(&out[..len]).unwrap();
    assert_eq!(parsed["m"], token);
}

#[test]
fn an_empty_describe_request_is_an_empty_object() {
    let mut out = [0u8; 8];
    assert_eq!(
        DescribeStreamRequest::default().encode_json(&mut out),
        Ok(2)
    );
    assert_eq!(&out[..2], b"{}");
}

proptest! {
    #[test]
    fn any_text_encodes_to_valid_json(text in "\\PC{0,16}") {
        let req = DescribeStreamRequest { client_token: testing::some(&text) };
        let mut buf = [0u8; 512];
        let len = req.encode_json(&mut buf).unwrap();
        let parsed: serde_json::Value = serde_json::from_slice(&buf[..len]).unwrap();
        prop_assert_eq!(parsed["c"].as_str(), Some(text.as_str()));
    }

    #[test]
    fn decoders_never_panic(input in prop_oneof![
        mangled(AWS_GET.to_vec()),
        mangled(br#"{"c":"1","f":1,"l":4,"i":20,"p":"AQIDBA=="}"#.to_vec()),
        mangled(br#"{"c":"a","s":1,"d":"x","r":[{"f":0,"z":131072},{"f":1,"z":51200}]}"#.to_vec()),
        mangled(br#"{"o":"BlockSizeOutOfBounds","m":"x","code":"y","clientToken":"z"}"#.to_vec()),
        "[{}\\[\\]\":,a-z0-9\\\\ ]{0,40}".prop_map(|s| s.into_bytes()),
    ]) {
        testing::decode_all(&input);
    }
}
