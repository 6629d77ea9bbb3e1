//! Both job-document formats (and the execution envelope around them): no panic, and what
//! the strict parser accepts serde_json accepts identically.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ota_core::document::{DocumentError, JobDocument, SerdeJson, StrictJson};
use ota_core::jobs::ExecutionResponse;
use ota_core::json::RawJson;

fuzz_target!(|data: &[u8]| {
    let ours = JobDocument::parse_with::<StrictJson>(data);
    let theirs = JobDocument::parse_with::<SerdeJson>(data);
    let depth = data.iter().filter(|&&b| b == b'[' || b == b'{').count();
    // serde_json does not check UTF-8 inside values it skips; RFC 8259 (and this parser)
    // require it, so compare only valid UTF-8 input.
    if depth <= ota_core::json::MAX_DEPTH && std::str::from_utf8(data).is_ok() {
        // The strict parser may refuse what serde_json takes (serde_json also reads a struct
        // from a JSON array, and skips values without checking them), never the reverse.
        match (&ours, &theirs) {
            (Ok(a), Ok(b)) => assert_eq!(a, b),
            (Ok(_), Err(_)) => panic!("strict {ours:?} vs serde_json {theirs:?}"),
            (Err(DocumentError::Json(_)), _) | (Err(_), Err(DocumentError::Json(_))) => {}
            (Err(a), Err(b)) => assert_eq!(a, b),
            (Err(_), Ok(_)) => panic!("strict {ours:?} vs serde_json {theirs:?}"),
        }
    }
    if let Ok(reply) = ota_core::json::from_slice::<ExecutionResponse<'_, RawJson<'_>>>(data) {
        if let Some(doc) = reply.execution.and_then(|e| e.job_document) {
            let _ = JobDocument::parse(doc.as_bytes());
        }
    }
});
