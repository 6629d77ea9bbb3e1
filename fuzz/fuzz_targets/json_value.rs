//! The strict JSON parser against serde_json: the same accept/reject decision on every input
//! where both have a verdict to compare, and no panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ours = ota_core::json::from_slice::<serde::de::IgnoredAny>(data).is_ok();
    // serde_json::Value checks every string (UTF-8, surrogates), as the strict parser does
    // even when skipping; serde_json's IgnoredAny would not. Value also refuses numbers beyond
    // f64 range (and stops there), which skipping need not: no verdict to compare then.
    let theirs = match serde_json::from_slice::<serde_json::Value>(data) {
        Ok(_) => Some(true),
        Err(e) if e.to_string().starts_with("number out of range") => None,
        Err(_) => Some(false),
    };
    // serde_json nests up to 128 levels, the strict parser up to 32.
    let depth = data.iter().filter(|&&b| b == b'[' || b == b'{').count();
    if let Some(theirs) = theirs.filter(|_| depth <= ota_core::json::MAX_DEPTH) {
        assert_eq!(ours, theirs, "input {:?}", String::from_utf8_lossy(data));
    }
    let _ = ota_core::json::find_member(data, &["execution", "jobDocument"]);
});
