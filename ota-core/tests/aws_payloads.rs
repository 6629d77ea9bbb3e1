//! The AWS developer guide's Jobs payloads (`tests/fixtures/aws`, see its README), each in a
//! plain and an escaped spelling: both parse, with the strict parser and with `serde_json`,
//! to equal values, and their job documents read the same.

use std::path::PathBuf;

use ota_core::document::JobDocument;
use ota_core::jobs::{
    ErrorCode, ErrorResponse, ExecutionResponse, GetPendingResponse, JobExecutionStatus,
    NotifyEvent, UpdateResponse,
};
use ota_core::json::{self, RawJson};
use serde::de::IgnoredAny;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/aws")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The plain and the escaped spelling of vector `name`.
fn pair(name: &str) -> (Vec<u8>, Vec<u8>) {
    let (plain, escaped) = (
        fixture(&format!("{name}.json")),
        fixture(&format!("{name}.escaped.json")),
    );
    assert_ne!(plain, escaped);
    let value = |b: &[u8]| serde_json::from_slice::<serde_json::Value>(b).unwrap();
    assert_eq!(
        value(&plain),
        value(&escaped),
        "{name}: the same JSON value"
    );
    (plain, escaped)
}

/// Both spellings through both parsers: four equal values; returns the plain one.
fn parse_both<'a, T>(name: &str, plain: &'a [u8], escaped: &'a [u8]) -> T
where
    T: serde::Deserialize<'a> + PartialEq + std::fmt::Debug,
{
    let strict = |b: &'a [u8]| -> T {
        json::from_slice(b).unwrap_or_else(|e| panic!("{name}: strict parser: {e}"))
    };
    let serde = |b: &'a [u8]| -> T {
        serde_json::from_slice(b).unwrap_or_else(|e| panic!("{name}: serde_json: {e}"))
    };
    let value = strict(plain);
    assert_eq!(strict(escaped), value, "{name}: escaped, strict parser");
    assert_eq!(serde(plain), value, "{name}: plain, serde_json");
    assert_eq!(serde(escaped), value, "{name}: escaped, serde_json");
    value
}

/// The job document of an execution reply, in both spellings, read as a device reads it.
fn documents_agree(name: &str, plain: &[u8], escaped: &[u8]) {
    let document = |b| {
        let reply: ExecutionResponse<'_, RawJson<'_>> = json::from_slice(b).unwrap();
        reply.execution.unwrap().job_document.unwrap()
    };
    let (a, b) = (document(plain), document(escaped));
    let (da, db) = (
        JobDocument::parse(a.as_bytes()).unwrap(),
        JobDocument::parse(b.as_bytes()).unwrap(),
    );
    match (&da, &db) {
        // The application gets the raw text: the same value, spelled as sent.
        (JobDocument::Custom(x), JobDocument::Custom(y)) => {
            let value = |r: &RawJson<'_>| serde_json::from_str::<serde_json::Value>(r.get());
            assert_eq!(value(x).unwrap(), value(y).unwrap(), "{name}");
        }
        _ => assert_eq!(da, db, "{name}: job documents"),
    }
}

#[test]
fn notify() {
    let (plain, escaped) = pair("notify");
    let n: NotifyEvent<'_> = parse_both("notify", &plain, &escaped);
    assert_eq!(n.timestamp, 1_517_016_948);
    let [queued] = n.jobs.queued.as_slice() else {
        panic!("{n:?}")
    };
    assert_eq!(queued.job_id.to_string(), "job1");
    assert_eq!((queued.version_number, queued.execution_number), (1, 1));
    assert!(n.jobs.in_progress.is_empty());
}

#[test]
fn notify_next() {
    for name in ["notify-next", "notify-next-afr-ota"] {
        let (plain, escaped) = pair(name);
        let r: ExecutionResponse<'_, IgnoredAny> = parse_both(name, &plain, &escaped);
        let e = r.execution.unwrap();
        assert_eq!(e.status, JobExecutionStatus::Queued, "{name}");
        assert!(r.client_token.is_none());
        documents_agree(name, &plain, &escaped);
    }
}

#[test]
fn afr_ota_document_in_both_spellings() {
    let (plain, escaped) = pair("notify-next-afr-ota");
    for payload in [&plain, &escaped] {
        let reply: ExecutionResponse<'_, RawJson<'_>> = json::from_slice(payload).unwrap();
        let execution = reply.execution.unwrap();
        assert_eq!(execution.job_id.to_string(), "AFR_OTA-update-1_2");
        let raw = execution.job_document.unwrap();
        let JobDocument::AfrOta(ota) = JobDocument::parse(raw.as_bytes()).unwrap() else {
            panic!("not afr_ota")
        };
        assert_eq!(
            ota.stream_name.map(|s| s.to_string()).as_deref(),
            Some("AFR_OTA-3c8bd2a4")
        );
        let file = &ota.files[0];
        assert_eq!(
            file.file_path.map(|s| s.to_string()).as_deref(),
            Some("/device/firmware/app.bin")
        );
        let signature = file.signature("sig-sha256-ecdsa").unwrap().to_string();
        assert!(signature.starts_with("MEUCIQD/xsGl"), "{signature}");
    }
}

#[test]
fn next_get_accepted() {
    let (plain, escaped) = pair("next-get-accepted");
    let r: ExecutionResponse<'_, IgnoredAny> = parse_both("next-get-accepted", &plain, &escaped);
    assert_eq!(
        r.client_token.map(|t| t.to_string()).as_deref(),
        Some("client-001")
    );
    let e = r.execution.unwrap();
    assert_eq!(e.job_id.to_string(), "023");
    assert_eq!(
        e.thing_name.map(|t| t.to_string()).as_deref(),
        Some("MyThing")
    );
    assert_eq!(e.status, JobExecutionStatus::InProgress);
    let details = e.status_details.unwrap();
    assert_eq!(
        details.get("progress").map(|v| v.to_string()).as_deref(),
        Some("1/3")
    );
    assert_eq!(e.approximate_seconds_before_timed_out, Some(3600));
    documents_agree("next-get-accepted", &plain, &escaped);
}

#[test]
fn get_accepted() {
    let (plain, escaped) = pair("get-accepted");
    let r: GetPendingResponse<'_> = parse_both("get-accepted", &plain, &escaped);
    assert_eq!(r.in_progress_jobs[0].job_id.to_string(), "023");
    assert_eq!(r.queued_jobs[0].job_id.to_string(), "024");
}

#[test]
fn update_accepted() {
    let (plain, escaped) = pair("update-accepted");
    let r: UpdateResponse<'_, IgnoredAny> = parse_both("update-accepted", &plain, &escaped);
    let state = r.execution_state.unwrap();
    assert_eq!(state.status, JobExecutionStatus::Succeeded);
    assert_eq!(state.version_number, 4);
    let details = state.status_details.unwrap();
    assert_eq!(
        details.get("reason").map(|v| v.to_string()).as_deref(),
        Some("installed v1.2.3 (self-test passed)")
    );
    assert!(r.job_document.is_some());
}

#[test]
fn every_error_response_code() {
    let codes = [
        ErrorCode::InvalidTopic,
        ErrorCode::InvalidJson,
        ErrorCode::InvalidRequest,
        ErrorCode::InvalidStateTransition,
        ErrorCode::ResourceNotFound,
        ErrorCode::VersionMismatch,
        ErrorCode::InternalError,
        ErrorCode::RequestThrottled,
        ErrorCode::TerminalStateReached,
    ];
    for code in codes {
        let name = format!("rejected-{}", code.as_str());
        let (plain, escaped) = pair(&name);
        let e: ErrorResponse<'_> = parse_both(&name, &plain, &escaped);
        assert_eq!(e.code, code);
        assert_eq!(
            e.client_token.map(|t| t.to_string()).as_deref(),
            Some("client-001")
        );
        assert!(!e.message.to_string().is_empty());
        let with_state = matches!(
            code,
            ErrorCode::InvalidStateTransition | ErrorCode::VersionMismatch
        );
        assert_eq!(e.execution_state.is_some(), with_state, "{name}");
    }
    let (plain, _) = pair("rejected-VersionMismatch");
    let e: ErrorResponse<'_> = json::from_slice(&plain).unwrap();
    assert_eq!(
        e.message.to_string(),
        r#"Expected version 1 but found version 3 ("023" on MyThing/1)."#
    );
}
