//! Every MQTT stream message in CBOR and JSON, plus stream topics and hex bitmaps: no panic;
//! whatever decodes re-encodes and decodes to the same value.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ota_core::streams::{
    DataBlock, DescribeStreamRequest, DescribeStreamResponse, Format, GetStreamRequest, StreamMessage as _,
    StreamRejected, StreamTopic, bitmap_from_hex,
};

fuzz_target!(|data: &[u8]| {
    for format in [Format::Cbor, Format::Json] {
        let mut scratch = [0u8; 16 * 1024];
        let mut out = [0u8; 160 * 1024];
        if let Ok(block) = DataBlock::decode(format, data, &mut scratch) {
            let n = block.encode(format, &mut out).expect("a decoded block re-encodes");
            let mut again = [0u8; 16 * 1024];
            let back = DataBlock::decode(format, &out[..n], &mut again).expect("re-decodes");
            assert_eq!(back, block);
        }
        let mut bitmap = [0u8; 12 * 1024];
        if let Ok(req) = GetStreamRequest::decode(format, data, &mut bitmap) {
            let n = req.encode(format, &mut out).expect("a decoded request re-encodes");
            let mut again = [0u8; 12 * 1024];
            assert_eq!(GetStreamRequest::decode(format, &out[..n], &mut again).unwrap(), req);
        }
        let _ = DescribeStreamRequest::decode(format, data, &mut []);
        let _ = DescribeStreamResponse::<'_, 8>::decode(format, data, &mut []);
        let _ = StreamRejected::decode(format, data, &mut []);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = StreamTopic::parse(text);
        let mut out = [0u8; 64];
        let _ = bitmap_from_hex(text, &mut out);
    }
});
