//! Stream messages in the configured format: CBOR always, JSON with the `json-streams`
//! feature. Without it [`crate::Config`] refuses [`Format::Json`] and no JSON stream code
//! (nor base64) is linked.

use ota_core::streams::{DataBlock, Format, GetStreamRequest, StreamMessage as _, StreamRejected};

/// A data block; a JSON block's payload is base64-decoded into `payload`, a CBOR block's
/// is borrowed from `input`, or joined into `payload` when it is sent in chunks (an
/// indefinite-length byte string, as another stream server may send it).
pub(super) fn decode_block<'a>(
    format: Format,
    input: &'a [u8],
    payload: &'a mut [u8],
) -> Option<DataBlock<'a>> {
    match format {
        Format::Cbor => DataBlock::decode_cbor(input, payload).ok(),
        #[cfg(feature = "json-streams")]
        Format::Json => DataBlock::decode_json(input, payload).ok(),
        #[cfg(not(feature = "json-streams"))]
        Format::Json => {
            let _ = payload;
            None
        }
    }
}

pub(super) fn decode_rejected(format: Format, input: &[u8]) -> Option<StreamRejected<'_>> {
    match format {
        Format::Cbor => StreamRejected::decode_cbor(input, &mut []).ok(),
        #[cfg(feature = "json-streams")]
        Format::Json => StreamRejected::decode_json(input, &mut []).ok(),
        #[cfg(not(feature = "json-streams"))]
        Format::Json => None,
    }
}

/// The request written into `buf`; its length.
pub(super) fn encode_request(
    request: &GetStreamRequest<'_>,
    format: Format,
    buf: &mut [u8],
) -> Option<usize> {
    match format {
        Format::Cbor => request.encode_cbor(buf).ok(),
        #[cfg(feature = "json-streams")]
        Format::Json => request.encode_json(buf).ok(),
        #[cfg(not(feature = "json-streams"))]
        Format::Json => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cbor_block_sent_in_chunks_is_joined() {
        // {"f": 0, "i": 2, "l": 3, "p": (_ h'AABB', h'CC')}
        let chunked = [
            0xA4, 0x61, b'f', 0x00, 0x61, b'i', 0x02, 0x61, b'l', 0x03, 0x61, b'p', 0x5F, 0x42,
            0xAA, 0xBB, 0x41, 0xCC, 0xFF,
        ];
        let mut payload = [0u8; 16];
        let block = decode_block(Format::Cbor, &chunked, &mut payload).expect("decodes");
        assert_eq!((block.file_id, block.block_id), (0, 2));
        assert_eq!(block.payload, [0xAA, 0xBB, 0xCC]);
        // The same block with a definite payload reads the same.
        let definite = [
            0xA4, 0x61, b'f', 0x00, 0x61, b'i', 0x02, 0x61, b'l', 0x03, 0x61, b'p', 0x43, 0xAA,
            0xBB, 0xCC,
        ];
        let mut other = [0u8; 16];
        assert_eq!(
            decode_block(Format::Cbor, &definite, &mut other),
            Some(block)
        );
    }

    /// Finding "Wire truth" 1, stream replies on the device: a JSON data block or rejection
    /// whose client token or message is written with escapes was dropped as malformed (a
    /// retryable rejection then went unheard until the reply timeout); both are read, the
    /// token compared decoded with the one sent.
    #[cfg(feature = "json-streams")]
    #[test]
    fn json_replies_with_escaped_strings_are_read() {
        let json = br#"{"c":"1:dev\u002d1","f":0,"l":3,"i":2,"p":"qrvM"}"#;
        let mut payload = [0u8; 16];
        let block = decode_block(Format::Json, json, &mut payload).expect("decodes");
        assert!(block.client_token.is_some_and(|c| c == "1:dev-1"));
        assert_eq!(
            (block.block_id, block.payload),
            (2, &[0xAA, 0xBB, 0xCC][..])
        );
        let json = br#"{"o":"InternalError","m":"busy, \"retry\"","c":"1:dev\/1"}"#;
        let rejected = decode_rejected(Format::Json, json).expect("decodes");
        assert!(rejected.code.is_retryable());
        assert!(rejected.client_token.is_some_and(|c| c == "1:dev/1"));
        assert!(rejected.message.is_some_and(|m| m == r#"busy, "retry""#));
    }
}
