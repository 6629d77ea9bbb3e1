//! Every Jobs reply and push payload a device parses: no panic on any bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ota_core::jobs::{ErrorResponse, ExecutionResponse, GetPendingResponse, NotifyEvent, UpdateResponse};
use ota_core::json::{RawJson, from_slice};
use serde::de::IgnoredAny;

fuzz_target!(|data: &[u8]| {
    let _ = from_slice::<ExecutionResponse<'_, RawJson<'_>>>(data);
    let _ = from_slice::<UpdateResponse<'_, IgnoredAny>>(data);
    let _ = from_slice::<GetPendingResponse<'_>>(data);
    let _ = from_slice::<NotifyEvent<'_>>(data);
    let _ = from_slice::<ErrorResponse<'_>>(data);
    let _ = ota_core::manifest::Manifest::parse(data);
});
