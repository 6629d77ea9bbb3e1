//! Every Jobs reply and push payload a device parses: no panic on any bytes, and the
//! hand-written readers (`parse`, what a device runs) agree with serde's derives through
//! `ota_core::json::from_slice`: the same payloads accepted as equal values, the same refused
//! with the same error kind.
#![no_main]
use core::fmt::Debug;

use libfuzzer_sys::fuzz_target;
use ota_core::jobs::{ErrorResponse, ExecutionResponse, GetPendingResponse, NotifyEvent, UpdateResponse};
use ota_core::json::{Error, RawJson, from_slice};
use ota_core::manifest::Manifest;

fn agree<'a, T: serde::Deserialize<'a> + PartialEq + Debug>(
    data: &'a [u8],
    ours: fn(&'a [u8]) -> Result<T, Error>,
) {
    let theirs = from_slice::<T>(data);
    match (ours(data), theirs) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Err(a), Err(b)) => assert_eq!(a.kind(), b.kind(), "{a} / {b}"),
        (a, b) => panic!("reader {a:?}, serde {b:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    agree(data, ExecutionResponse::<RawJson<'_>>::parse);
    agree(data, UpdateResponse::<RawJson<'_>>::parse);
    agree(data, ErrorResponse::parse);
    agree(data, Manifest::parse);
    let _ = from_slice::<GetPendingResponse<'_>>(data);
    let _ = from_slice::<NotifyEvent<'_>>(data);
});
