//! Stream messages in the configured format: CBOR always, JSON with the `json-streams`
//! feature. Without it [`crate::Config`] refuses [`Format::Json`] and no JSON stream code
//! (nor base64) is linked.

use ota_core::streams::{DataBlock, Format, GetStreamRequest, StreamRejected};

/// A data block; a JSON block's payload is base64-decoded into `payload`.
pub(super) fn decode_block<'a>(
    format: Format,
    input: &'a [u8],
    payload: &'a mut [u8],
) -> Option<DataBlock<'a>> {
    match format {
        Format::Cbor => DataBlock::decode_cbor(input).ok(),
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
        Format::Cbor => StreamRejected::decode_cbor(input).ok(),
        #[cfg(feature = "json-streams")]
        Format::Json => StreamRejected::decode_json(input).ok(),
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

/// Whether this build speaks `format`.
pub(crate) const fn supports(format: Format) -> bool {
    match format {
        Format::Cbor => true,
        Format::Json => cfg!(feature = "json-streams"),
    }
}
