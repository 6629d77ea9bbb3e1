//! Every message through both formats, as its one description drives them: round trips,
//! buffer bounds, and no panic on mangled messages.

use proptest::prelude::*;

use crate::json::JsonStr;
use crate::streams::testing::{self, FORMATS, decode_all, encodings, mangled};
use crate::streams::{
    DataBlock, DescribeStreamRequest, DescribeStreamResponse, GetStreamRequest, StreamError,
    StreamErrorCode, StreamFile, StreamMessage as _, StreamRejected,
};

#[test]
fn encoders_never_write_past_the_buffer() {
    let payload = [7u8; 40];
    let block = DataBlock {
        client_token: testing::some("tok"),
        file_id: 2,
        block_id: 9,
        payload: &payload,
    };
    let escaped_block = DataBlock {
        client_token: testing::some("t\"k"),
        ..block
    };
    let req = GetStreamRequest {
        client_token: testing::some("tok"),
        stream_version: Some(3),
        bitmap: Some(&payload),
        block_count: Some(4),
        ..GetStreamRequest::new(1, 4096)
    };
    let describe = DescribeStreamRequest {
        client_token: testing::some("tok"),
    };
    let mut files = heapless::Vec::<StreamFile, 2>::new();
    files
        .push(StreamFile {
            file_id: 1,
            size: 10,
        })
        .unwrap();
    let response = DescribeStreamResponse {
        client_token: None,
        stream_version: 1,
        description: testing::some("d"),
        files,
    };
    let rejected = StreamRejected {
        code: StreamErrorCode::Unknown("X"),
        message: testing::some("m"),
        client_token: testing::some("c"),
    };
    let encoders: [testing::Encoder<'_>; 6] = [
        &|f, b| block.encode(f, b),
        &|f, b| escaped_block.encode(f, b),
        &|f, b| req.encode(f, b),
        &|f, b| describe.encode(f, b),
        &|f, b| response.encode(f, b),
        &|f, b| rejected.encode(f, b),
    ];
    for encode in encoders {
        encodings(encode, true);
    }
}

/// Strings read from JSON with escapes are written decoded, in CBOR as definite-length text
/// (and in JSON escaped only where JSON requires), within the buffer.
#[test]
fn escaped_json_strings_are_written_decoded() {
    let json = br#"{"o":"InternalError","m":"caf\u00e9 \"x\"","c":"a\/b"}"#;
    let rejected = StreamRejected::decode_json(json, &mut []).unwrap();
    assert!(rejected.client_token.unwrap().is_escaped());
    let [(_, cbor), (_, json)] = &encodings(&|f, b| rejected.encode(f, b), true)[..] else {
        unreachable!("two formats")
    };
    // `café "x"` is a 9-byte text string (0x69), `a/b` a 3-byte one (0x63).
    let expected =
        "bf 616f 6d496e7465726e616c4572726f72 616d 69636166c3a920227822 6163 63612f62 ff";
    assert_eq!(cbor, &hex::decode(expected.replace(' ', "")).unwrap());
    let back = StreamRejected::decode_cbor(cbor, &mut []).unwrap();
    assert_eq!(back, rejected);
    assert!(
        back.client_token
            .is_some_and(|c| c == "a/b" && !c.is_escaped())
    );
    assert_eq!(
        json.as_slice(),
        r#"{"o":"InternalError","m":"café \"x\"","c":"a/b"}"#.as_bytes()
    );
}

proptest! {
    #[test]
    fn get_request_round_trips(req in testing::get_request()) {
        let req = req.get();
        for (format, bytes) in encodings(&|f, b| req.encode(f, b), false) {
            let mut bitmap = [0u8; 64];
            prop_assert_eq!(GetStreamRequest::decode(format, &bytes, &mut bitmap), Ok(req));
        }
    }

    #[test]
    fn data_block_round_trips(block in testing::data_block()) {
        let block = block.get();
        for (format, bytes) in encodings(&|f, b| block.encode(f, b), false) {
            let mut payload = [0u8; 600];
            prop_assert_eq!(DataBlock::decode(format, &bytes, &mut payload), Ok(block));
        }
    }

    #[test]
    fn describe_round_trips(response in testing::describe_response(), token in testing::token()) {
        let response = response.get();
        for (format, bytes) in encodings(&|f, b| response.encode(f, b), false) {
            prop_assert_eq!(DescribeStreamResponse::<4>::decode(format, &bytes, &mut []), Ok(response.clone()));
        }
        let req = DescribeStreamRequest { client_token: token.as_deref().map(JsonStr::text) };
        for (format, bytes) in encodings(&|f, b| req.encode(f, b), false) {
            prop_assert_eq!(DescribeStreamRequest::decode(format, &bytes, &mut []), Ok(req));
        }
    }

    #[test]
    fn rejected_round_trips(rejected in testing::rejected()) {
        let rejected = rejected.get();
        for (format, bytes) in encodings(&|f, b| rejected.encode(f, b), false) {
            prop_assert_eq!(StreamRejected::decode(format, &bytes, &mut []), Ok(rejected));
        }
    }

    #[test]
    fn decoders_never_panic_on_mangled_messages(input in prop_oneof![
        testing::get_request().prop_map(|r| encodings(&|f, b| r.get().encode(f, b), false)),
        testing::data_block().prop_map(|r| encodings(&|f, b| r.get().encode(f, b), false)),
        testing::describe_response().prop_map(|r| encodings(&|f, b| r.get().encode(f, b), false)),
        testing::rejected().prop_map(|r| encodings(&|f, b| r.get().encode(f, b), false)),
    ].prop_flat_map(|both| {
        proptest::sample::select(both).prop_flat_map(|(_, bytes)| mangled(bytes))
    })) {
        decode_all(&input);
    }
}

#[test]
fn encoding_errors_come_from_the_limits_first() {
    let too_long = "t".repeat(65);
    let req = DescribeStreamRequest {
        client_token: testing::some(&too_long),
    };
    for format in FORMATS {
        assert_eq!(
            req.encode(format, &mut [0; 128]),
            Err(StreamError::ClientTokenTooLong)
        );
    }
}
