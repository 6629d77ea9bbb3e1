//! Property tests across modules: round trips of Jobs payloads and job documents through
//! both serializers and both parsers, and no panic from any JSON-facing parser on arbitrary
//! bytes.

use proptest::prelude::*;

use ota_core::document::{JobDocument, SerdeJson, StrictJson};
use ota_core::jobs::{
    ClientToken, ErrorResponse, ExecutionResponse, GetPendingResponse, JobExecution,
    JobExecutionStatus, JobId, NotifyEvent, StatusDetails, StepTimeout, UpdateRequest,
    UpdateResponse,
};
use ota_core::json::RawJson;
use serde::de::IgnoredAny;

fn status() -> impl Strategy<Value = JobExecutionStatus> {
    proptest::sample::select(JobExecutionStatus::ALL.to_vec())
}

fn details() -> impl Strategy<Value = Vec<(String, String)>> {
    proptest::collection::btree_map("[a-zA-Z0-9:_-]{1,12}", "[ -!#-\\[\\]-~]{1,24}", 0..6)
        .prop_map(|m| m.into_iter().collect())
}

proptest! {
    #[test]
    fn update_requests_round_trip(status in status(), details in details(), expected in any::<Option<u64>>(),
                                  execution in any::<Option<u64>>(), step in proptest::option::of(1i64..=10_080),
                                  token in proptest::option::of("[a-zA-Z0-9:_-]{1,64}"),
                                  include in any::<(Option<bool>, Option<bool>)>()) {
        let mut req = UpdateRequest::new(status);
        let mut map = StatusDetails::<'_>::new();
        for (k, v) in &details {
            map.insert(k, v).unwrap();
        }
        req.status_details = (!details.is_empty()).then_some(map);
        req.expected_version = expected;
        req.execution_number = execution;
        req.step_timeout_in_minutes = step.map(|s| StepTimeout::minutes(s).unwrap());
        req.client_token = token.as_deref().map(|t| ClientToken::new(t).unwrap().into());
        (req.include_job_execution_state, req.include_job_document) = include;
        let mut buf = [0u8; 2048];
        let n = ota_core::json::to_slice(&req, &mut buf).unwrap();
        let theirs = serde_json::to_vec(&req).unwrap();
        prop_assert_eq!(&buf[..n], theirs.as_slice());
        prop_assert_eq!(&ota_core::json::from_slice::<UpdateRequest<'_>>(&buf[..n]).unwrap(), &req);
        prop_assert_eq!(&serde_json::from_slice::<UpdateRequest<'_>>(&buf[..n]).unwrap(), &req);
    }

    #[test]
    fn executions_round_trip(job in "[a-zA-Z0-9_-]{1,64}", status in status(), details in details(),
                             times in any::<(u64, Option<u64>, u64)>(), versions in any::<(u64, u64)>(),
                             timeout in any::<Option<u64>>(), ts in any::<u64>()) {
        let mut map = StatusDetails::<'_>::new();
        for (k, v) in &details {
            map.insert(k, v).unwrap();
        }
        let doc = serde_json::json!({"afr_ota": {"protocols": ["MQTT"], "streamname": "s", "files": [{"filesize": 1, "fileid": 0}]}});
        let execution = JobExecution {
            job_id: JobId::new(&job).unwrap().into(),
            thing_name: None,
            job_document: Some(doc),
            status,
            status_details: (!details.is_empty()).then_some(map),
            queued_at: times.0,
            started_at: times.1,
            last_updated_at: times.2,
            version_number: versions.0,
            execution_number: versions.1,
            approximate_seconds_before_timed_out: timeout,
        };
        let reply = ExecutionResponse { client_token: None, timestamp: ts, execution: Some(execution) };
        let text = serde_json::to_vec(&reply).unwrap();
        let ours: ExecutionResponse<'_, RawJson<'_>> = ota_core::json::from_slice(&text).unwrap();
        let theirs: ExecutionResponse<'_, RawJson<'_>> = serde_json::from_slice(&text).unwrap();
        prop_assert_eq!(&ours, &theirs);
        let parsed = ours.execution.unwrap();
        let original = reply.execution.unwrap();
        prop_assert_eq!(parsed.job_id, original.job_id);
        prop_assert_eq!(parsed.status, original.status);
        prop_assert_eq!(parsed.status_details, original.status_details);
        prop_assert_eq!((parsed.version_number, parsed.execution_number), versions);
        prop_assert_eq!((parsed.queued_at, parsed.started_at, parsed.last_updated_at), times);
        let raw = parsed.job_document.unwrap();
        prop_assert!(matches!(JobDocument::parse(raw.as_bytes()).unwrap(), JobDocument::AfrOta(_)));
    }

    #[test]
    fn afr_ota_documents_round_trip(files in proptest::collection::vec(
            (1u32..=ota_core::document::MAX_FILE_SIZE, any::<u8>(), proptest::option::of("[a-z/.]{1,12}"),
             proptest::option::of(any::<u8>()), proptest::option::of("[A-Za-z0-9+/]{4,20}")), 1..=10),
            http in any::<bool>(), quote_sizes in any::<bool>()) {
        let files: Vec<_> = files.into_iter().map(|(size, id, path, file_type, sig)| {
            let mut f = serde_json::json!({"filesize": if quote_sizes { serde_json::json!(size.to_string()) } else { serde_json::json!(size) }, "fileid": id});
            if let Some(p) = path { f["filepath"] = p.into(); }
            if let Some(t) = file_type { f["fileType"] = t.into(); }
            if let Some(s) = sig { f["sig-sha256-ecdsa"] = s.into(); }
            if http {
                f["update_data_url"] = "https://example.com/x".into();
                f["auth_scheme"] = "aws.s3.presigned".into();
            }
            f
        }).collect();
        let doc = if http {
            serde_json::json!({"afr_ota": {"protocols": ["HTTP"], "files": files}})
        } else {
            serde_json::json!({"afr_ota": {"protocols": ["MQTT"], "streamname": "AFR_OTA-x", "files": files}})
        };
        let text = serde_json::to_vec(&doc).unwrap();
        let ours = JobDocument::parse_with::<StrictJson>(&text).unwrap();
        let theirs = JobDocument::parse_with::<SerdeJson>(&text).unwrap();
        prop_assert_eq!(&ours, &theirs);
        let JobDocument::AfrOta(a) = &ours else { panic!("afr_ota expected") };
        prop_assert_eq!(a.files.len(), files.len());
        // Written back (numbers unquoted) and read again: the same document.
        let again = serde_json::to_vec(&serde_json::json!({"afr_ota": a})).unwrap();
        prop_assert_eq!(JobDocument::parse(&again).unwrap(), ours);
    }

    #[test]
    fn json_facing_parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = ota_core::json::from_slice::<IgnoredAny>(&bytes);
        let _ = ota_core::json::find_member(&bytes, &["execution", "jobDocument"]);
        let _ = JobDocument::parse(&bytes);
        let _ = JobDocument::parse_with::<SerdeJson>(&bytes);
        let _ = ota_core::json::from_slice::<ExecutionResponse<'_, RawJson<'_>>>(&bytes);
        let _ = ota_core::json::from_slice::<UpdateResponse<'_, IgnoredAny>>(&bytes);
        let _ = ota_core::json::from_slice::<GetPendingResponse<'_>>(&bytes);
        let _ = ota_core::json::from_slice::<NotifyEvent<'_>>(&bytes);
        let _ = ota_core::json::from_slice::<ErrorResponse<'_>>(&bytes);
        let _ = ota_core::json::from_slice::<UpdateRequest<'_>>(&bytes);
    }

    #[test]
    fn parsers_never_panic_on_json_like_text(text in "[\\[\\]{}\":,0-9a-zA-Z_ .\\\\eE+-]{0,200}") {
        let bytes = text.as_bytes();
        let _ = ota_core::json::from_slice::<IgnoredAny>(bytes);
        let _ = JobDocument::parse(bytes);
        let _ = ota_core::json::from_slice::<ExecutionResponse<'_, RawJson<'_>>>(bytes);
    }

    #[test]
    fn mutated_fixtures_never_panic(index in 0usize..40, at in any::<usize>(), byte in any::<u8>()) {
        let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/documents");
        let mut paths: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        paths.sort();
        let mut bytes = std::fs::read(&paths[index % paths.len()]).unwrap();
        let i = at % bytes.len();
        bytes[i] = byte;
        if let Ok(reply) = ota_core::json::from_slice::<ExecutionResponse<'_, RawJson<'_>>>(&bytes)
            && let Some(doc) = reply.execution.and_then(|e| e.job_document)
        {
            let _ = JobDocument::parse(doc.as_bytes());
        }
    }
}
