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
use ota_core::streams::StreamMessage as _;
use serde::de::IgnoredAny;

#[path = "common/p256_key.rs"]
mod p256_key;

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

/// Finding 5a: a JSON stream reply whose client token is written `"a\/b"` or `"\u0061bc"`
/// decodes, and compares equal to the token the device sent (`a/b`, `abc`), in every reply
/// (data block, DescribeStream response, rejection under either key) and request.
#[test]
fn stream_messages_with_escaped_client_token_decode() {
    use ota_core::streams::{
        DataBlock, DescribeStreamRequest, DescribeStreamResponse, GetStreamRequest, StreamRejected,
    };
    for (written, sent) in [(r"a\/b", "a/b"), (r"\u0061bc", "abc")] {
        let doc = format!(r#"{{"c":"{written}","f":1,"l":4,"i":20,"p":"AQIDBA=="}}"#);
        let mut payload = [0u8; 8];
        let block = DataBlock::decode_json(doc.as_bytes(), &mut payload).expect("block decodes");
        assert!(block.client_token.is_some_and(|c| c == sent), "{written}");
        assert_eq!(text(block.client_token).as_deref(), Some(sent));
        assert_eq!(block.payload, [1, 2, 3, 4]);

        let doc = format!(r#"{{"c":"{written}","s":1,"r":[{{"f":0,"z":10}}]}}"#);
        let describe =
            DescribeStreamResponse::<1>::decode_json(doc.as_bytes(), &mut []).expect("decodes");
        assert!(describe.client_token.is_some_and(|c| c == sent));

        for key in ["c", "clientToken"] {
            let doc = format!(r#"{{"o":"InternalError","{key}":"{written}"}}"#);
            let rejected = StreamRejected::decode_json(doc.as_bytes(), &mut []).expect("decodes");
            assert!(rejected.client_token.is_some_and(|c| c == sent), "{key}");
        }

        let doc = format!(r#"{{"c":"{written}"}}"#);
        let describe =
            DescribeStreamRequest::decode_json(doc.as_bytes(), &mut []).expect("decodes");
        assert!(describe.client_token.is_some_and(|c| c == sent));
        let doc = format!(r#"{{"c":"{written}","f":1,"l":256}}"#);
        let get = GetStreamRequest::decode_json(doc.as_bytes(), &mut []).expect("decodes");
        assert!(get.client_token.is_some_and(|c| c == sent));
    }
}

/// Finding 5b: a stream description (`d`) or rejection message (`m`, `message`) written with
/// escapes decoded as `None`.
#[test]
fn stream_description_and_message_with_escapes_are_decoded() {
    use ota_core::streams::{DescribeStreamResponse, StreamErrorCode, StreamRejected};
    let doc = br#"{"s":2,"d":"line\nbreak \"fw\" \u00e9","r":[]}"#;
    let describe = DescribeStreamResponse::<1>::decode_json(doc, &mut []).expect("decodes");
    assert_eq!(
        text(describe.description).as_deref(),
        Some("line\nbreak \"fw\" é")
    );
    let doc = br#"{"o":"BlockSizeOutOfBounds","m":"l is \"0\" (see \/docs)"}"#;
    let rejected = StreamRejected::decode_json(doc, &mut []).expect("decodes");
    assert_eq!(rejected.code, StreamErrorCode::BlockSizeOutOfBounds);
    assert_eq!(
        text(rejected.message).as_deref(),
        Some(r#"l is "0" (see /docs)"#)
    );
    let doc = br#"{"code":"InternalError","message":"try \/later"}"#;
    let rejected = StreamRejected::decode_json(doc, &mut []).expect("decodes");
    assert_eq!(text(rejected.message).as_deref(), Some("try /later"));
}

/// Finding 5c: the 64-byte limit on a stream client token applies to its decoded length,
/// and past it the error is the typed `ClientTokenTooLong`, not a JSON error.
#[test]
fn stream_client_token_limit_applies_to_decoded_length() {
    use ota_core::streams::{DataBlock, StreamError};
    // 64 bytes once decoded, 84 as written.
    let token = format!(r"{}\u0061\/\/\/\/", "t".repeat(59));
    let doc = format!(r#"{{"c":"{token}","f":1,"l":4,"i":0,"p":"AQIDBA=="}}"#);
    let mut payload = [0u8; 8];
    let block = DataBlock::decode_json(doc.as_bytes(), &mut payload).expect("decodes");
    assert_eq!(
        text(block.client_token),
        Some(format!("{}a////", "t".repeat(59)))
    );
    // 65 bytes once decoded.
    let doc = doc.replacen("tt", "ttt", 1);
    assert_eq!(
        DataBlock::decode_json(doc.as_bytes(), &mut payload),
        Err(StreamError::ClientTokenTooLong)
    );
}

/// Finding 6: the signed manifest's own strings. `"product":"ac\u006de"` is `acme`,
/// `"hardware":"rev\/b"` is `rev/b` and `"jobId":"fw\u002d1"` is `fw-1`: the manifest parses,
/// passes a device policy for `acme`/`rev/b` and is bound to job `fw-1`, end to end through
/// the signature check.
#[test]
fn manifest_with_escaped_product_hardware_and_job_id_is_read_decoded() {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use ota_core::crypto::TrustStore;
    use ota_core::document::FirmwareRef;
    use ota_core::json::JsonStr;
    use ota_core::manifest::{MAX_MANIFEST_LEN, Manifest, ManifestPolicy, Rejection, verify};
    use ota_core::version::Version;
    use p256::ecdsa::Signature;
    use p256::ecdsa::signature::Signer as _;

    let manifest = format!(
        r#"{{"product":"ac\u006de","hardware":"rev\/b","version":"1.2.0","securityCounter":0,"size":4096,"sha256":"{}","jobId":"fw\u002d1"}}"#,
        "ab".repeat(32)
    );
    let m = Manifest::parse(manifest.as_bytes()).expect("the manifest parses");
    assert_eq!(m.product.to_string(), "acme");
    assert_eq!(m.hardware.to_string(), "rev/b");
    assert_eq!(m.job_id.map(|j| j.to_string()).as_deref(), Some("fw-1"));
    let policy = ManifestPolicy::new("acme", "rev/b", Version::new(1, 0, 0));
    assert!(policy.check(&m).is_ok());
    let other = ManifestPolicy::new("acme", "rev-b", Version::new(1, 0, 0));
    assert_eq!(other.check(&m), Err(Rejection::WrongHardware));

    let (signing, key) = p256_key::p256_key();
    let mut store = TrustStore::<1>::new();
    store.add(key.clone()).unwrap();
    let signature: Signature = signing.sign(manifest.as_bytes());
    let (manifest_b64, signature_b64) = (
        STANDARD.encode(&manifest),
        STANDARD.encode(signature.to_der().as_bytes()),
    );
    let firmware = FirmwareRef {
        manifest: JsonStr::from_plain(&manifest_b64).unwrap(),
        signature: JsonStr::from_plain(&signature_b64).unwrap(),
        key_id: None,
        cosignatures: None,
        version: None,
        stream: None,
        file_id: 0,
        url: None,
    };
    let mut scratch = [0u8; MAX_MANIFEST_LEN];
    let verified = verify(&firmware, "fw-1", &store, &policy, &mut scratch).expect("verifies");
    assert_eq!(verified.manifest().product.to_string(), "acme");
    let mut scratch = [0u8; MAX_MANIFEST_LEN];
    assert_eq!(
        verify(&firmware, "fw-2", &store, &policy, &mut scratch).map(|_| ()),
        Err(Rejection::WrongJob)
    );
}

/// Finding 7: a Jobs request as a service reads it. `"clientToken":"a\/b"` is valid JSON
/// and `a/b` a valid client token: every request type reads it decoded (with this crate's
/// parser and with `serde_json`), and writes it back plain. A token that is not a client
/// token once decoded (a `"`, 65 bytes) is still refused, too long with the typed error.
#[test]
fn jobs_requests_with_escaped_client_token_are_read_decoded() {
    use ota_core::jobs::{DescribeRequest, GetPendingRequest, StartNextRequest, UpdateRequest};

    fn both<'a, T: serde::Deserialize<'a>>(bytes: &'a [u8]) -> (T, T) {
        (
            json::from_slice(bytes).expect("parses"),
            serde_json::from_slice(bytes).expect("serde_json parses"),
        )
    }

    let token = |t: &dyn std::fmt::Display| t.to_string();
    let (a, b) = both::<GetPendingRequest<'_>>(br#"{"clientToken":"a\/b"}"#);
    assert_eq!(a.client_token.map(|t| token(&t)).as_deref(), Some("a/b"));
    assert_eq!(b.client_token.map(|t| token(&t)).as_deref(), Some("a/b"));
    let (a, b) = both::<StartNextRequest<'_>>(br#"{"clientToken":"7:dev\u002d1"}"#);
    assert_eq!(
        a.client_token.map(|t| token(&t)).as_deref(),
        Some("7:dev-1")
    );
    assert_eq!(
        b.client_token.map(|t| token(&t)).as_deref(),
        Some("7:dev-1")
    );
    let (a, _) =
        both::<DescribeRequest<'_>>(br#"{"includeJobDocument":true,"clientToken":"a\/b"}"#);
    assert_eq!(a.client_token.map(|t| token(&t)).as_deref(), Some("a/b"));
    let update = br#"{"status":"IN_PROGRESS","clientToken":"a\/b","statusDetails":{"k":"v"}}"#;
    let (a, b) = both::<UpdateRequest<'_>>(update);
    assert_eq!(a.client_token.map(|t| token(&t)).as_deref(), Some("a/b"));
    assert_eq!(a, b);
    let mut buf = [0u8; 128];
    let n = json::to_slice(&a, &mut buf).unwrap();
    assert_eq!(
        &buf[..n],
        br#"{"status":"IN_PROGRESS","statusDetails":{"k":"v"},"clientToken":"a/b"}"#
    );

    // Not a client token once decoded.
    assert!(json::from_slice::<GetPendingRequest<'_>>(br#"{"clientToken":"a\"b"}"#).is_err());
    assert!(json::from_slice::<GetPendingRequest<'_>>(br#"{"clientToken":""}"#).is_err());
    let long = format!(r#"{{"clientToken":"{}\u0061"}}"#, "t".repeat(64));
    let err = json::from_slice::<GetPendingRequest<'_>>(long.as_bytes()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StringTooLong);
    // 64 bytes once decoded, 69 as written.
    let at_limit = long.replacen("tt", "t", 1);
    json::from_slice::<GetPendingRequest<'_>>(at_limit.as_bytes()).expect("parses");
}
