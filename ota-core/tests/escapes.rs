//! Valid JSON is read the same however its strings are escaped ("Wire truth", item 1).
//!
//! One test per finding. Values are compared through `Display` (`to_string`), so that each
//! test states what the decoded text must be, whatever type holds it.

use ota_core::document::{AfrOta, MAX_FILES};
use ota_core::jobs::{
    ErrorAction, ErrorCode, ErrorResponse, ExecutionResponse, JobExecutionStatus, StatusDetails,
    UpdateResponse,
};
use ota_core::json::{self, ErrorKind, RawJson};
use serde::de::IgnoredAny;

fn text<T: ToString>(value: Option<T>) -> Option<String> {
    value.map(|v| v.to_string())
}

/// Finding 1: a `/rejected` reply whose `message` holds `\"` or `\/` was refused whole, so
/// its code was lost.
#[test]
fn rejected_reply_with_escaped_message_keeps_its_code() {
    let reply = br#"{"code":"VersionMismatch","message":"Expected \"version 1\" but found 3 (see \/jobs)","clientToken":"7:dev-1","timestamp":1489097434407,"executionState":{"status":"IN_PROGRESS","statusDetails":{"step":"download"},"versionNumber":3}}"#;
    let e: ErrorResponse<'_> = json::from_slice(reply).expect("the reply parses");
    assert_eq!(e.code, ErrorCode::VersionMismatch);
    assert_eq!(e.code.action(), ErrorAction::Redescribe);
    assert_eq!(
        e.message.to_string(),
        r#"Expected "version 1" but found 3 (see /jobs)"#
    );
    assert_eq!(text(e.client_token).as_deref(), Some("7:dev-1"));
    assert_eq!(e.execution_state.unwrap().version_number, 3);
}

/// Finding 2a: an `afr_ota` document with `\/` in `filepath` and in the signature text.
#[test]
fn afr_ota_with_escaped_slash_in_filepath_and_signature() {
    let doc = br#"{"afr_ota":{"protocols":["MQTT"],"streamname":"AFR_OTA-1","files":[{"filepath":"\/device\/fw.bin","filesize":1024,"fileid":0,"certfile":"\/certs\/signer.crt","sig-sha256-ecdsa":"MEUCIQ\/+abc="}]}}"#;
    let ota = AfrOta::<MAX_FILES>::parse(doc).expect("the document parses");
    let file = &ota.files[0];
    assert_eq!(text(file.file_path).as_deref(), Some("/device/fw.bin"));
    assert_eq!(text(file.cert_file).as_deref(), Some("/certs/signer.crt"));
    assert_eq!(
        text(file.signature("sig-sha256-ecdsa")).as_deref(),
        Some("MEUCIQ/+abc=")
    );
}

/// Finding 2b: an `afr_ota` document with `\u0041` in `streamname`.
#[test]
fn afr_ota_with_unicode_escape_in_streamname() {
    let doc = br#"{"afr_ota":{"protocols":["MQTT"],"streamname":"\u0041FR_OTA-1","files":[{"filesize":1024,"fileid":0}]}}"#;
    let ota = AfrOta::<MAX_FILES>::parse(doc).expect("the document parses");
    assert_eq!(text(ota.stream_name).as_deref(), Some("AFR_OTA-1"));
}

/// Finding 3a: `"jobId":"job\u0031"` is the job `job1`.
#[test]
fn job_id_with_unicode_escape_is_the_plain_job_id() {
    let reply = br#"{"timestamp":1,"execution":{"jobId":"job\u0031","status":"QUEUED","queuedAt":1,"lastUpdatedAt":1,"versionNumber":1,"executionNumber":1}}"#;
    let r: ExecutionResponse<'_, RawJson<'_>> = json::from_slice(reply).expect("parses");
    assert_eq!(r.execution.unwrap().job_id.to_string(), "job1");
}

/// Finding 3b: `"clientToken":"a\/b"` is the token `a/b`.
#[test]
fn client_token_with_escaped_slash_is_decoded() {
    let reply = br#"{"clientToken":"a\/b","timestamp":5}"#;
    let r: UpdateResponse<'_, IgnoredAny> = json::from_slice(reply).expect("parses");
    assert_eq!(text(r.client_token).as_deref(), Some("a/b"));
}

/// Finding 3c: `"status":"IN\u005fPROGRESS"` is `IN_PROGRESS`; it was refused as an invalid
/// string (`ErrorKind::String`).
#[test]
fn status_with_unicode_escape_parses() {
    let status: Result<JobExecutionStatus, _> = json::from_slice(br#""IN\u005fPROGRESS""#);
    assert_eq!(status, Ok(JobExecutionStatus::InProgress));
    let code: Result<ErrorCode, _> = json::from_slice(br#""Version\u004dismatch""#);
    assert_eq!(code, Ok(ErrorCode::VersionMismatch));
}

/// Finding 3d: `statusDetails` values with `\"` or `\u00e9`.
#[test]
fn status_details_values_with_escapes_are_decoded() {
    let json = br#"{"reason":"said \"no\"","where":"caf\u00e9","st\u0065p":"x"}"#;
    let d: StatusDetails<'_> = json::from_slice(json).expect("parses");
    assert_eq!(text(d.get("reason")).as_deref(), Some(r#"said "no""#));
    assert_eq!(text(d.get("where")).as_deref(), Some("café"));
    assert_eq!(text(d.get("step")).as_deref(), Some("x"));
}

/// Finding 4: a 300-byte string with one escape is within every limit that applies to it
/// (a message has none, a `statusDetails` value has 1024); past a limit, the error is a typed
/// "too long", not a JSON string or syntax error.
#[test]
fn long_escaped_strings_are_limited_by_their_decoded_length() {
    let long = format!("{}\\\"{}", "m".repeat(150), "n".repeat(148));
    assert_eq!(long.len(), 300);
    let reply = format!(r#"{{"code":"InvalidRequest","message":"{long}","timestamp":1}}"#);
    let e: ErrorResponse<'_> = json::from_slice(reply.as_bytes()).expect("parses");
    assert_eq!(e.message.to_string().len(), 299);
    assert_eq!(e.code, ErrorCode::InvalidRequest);

    let details = format!(r#"{{"reason":"{long}"}}"#);
    let d: StatusDetails<'_> = json::from_slice(details.as_bytes()).expect("parses");
    assert_eq!(text(d.get("reason")).map(|v| v.len()), Some(299));

    // 1025 bytes once decoded: one more than a statusDetails value may hold.
    let too_long = format!(r#"{{"reason":"{}\u0041"}}"#, "v".repeat(1024));
    let err = json::from_slice::<StatusDetails<'_>>(too_long.as_bytes()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StringTooLong);
    // 65 bytes once decoded: one more than a job id may hold.
    let job = format!(
        r#"{{"timestamp":1,"execution":{{"jobId":"{}\u0031","status":"QUEUED","versionNumber":1,"executionNumber":1}}}}"#,
        "j".repeat(64)
    );
    let err = json::from_slice::<ExecutionResponse<'_, IgnoredAny>>(job.as_bytes()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StringTooLong);
    // 64 bytes once decoded, 69 as written: a job id.
    let job = job.replacen("jj", "j", 1);
    json::from_slice::<ExecutionResponse<'_, IgnoredAny>>(job.as_bytes()).expect("parses");
}
