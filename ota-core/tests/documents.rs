//! Every job-document fixture (the numbered vectors of the AWS OTA agent, coreJobs and rustot,
//! and our own firmware document) through both JSON parsers: the strict allocation-free one
//! and `serde_json`. They must agree on every fixture, and each fixture has its expected
//! outcome.

use std::path::PathBuf;

use ota_core::document::{DocumentError, JobDocument, JsonParser, Protocol, SerdeJson, StrictJson};
use ota_core::jobs::{ExecutionResponse, JobExecutionStatus};
use ota_core::json::{JsonStr, RawJson};

/// A string of a fixture, which is written without escapes.
fn plain(s: Option<JsonStr<'_>>) -> Option<&str> {
    s.map(|s| s.as_plain().expect("written without escapes"))
}

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/documents");
    let mut all: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                p.file_stem().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    all.sort();
    assert!(all.len() >= 40, "fixtures present");
    all
}

/// What a device learns from one DescribeJobExecution / notify-next payload.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum Outcome<'a> {
    BadEnvelope,
    NoExecution,
    NoDocument,
    Document(Result<JobDocument<'a>, DocumentError>),
}

fn outcome<P: JsonParser>(payload: &[u8]) -> Outcome<'_> {
    let Ok(reply) = P::from_slice::<ExecutionResponse<'_, RawJson<'_>>>(payload) else {
        return Outcome::BadEnvelope;
    };
    let Some(execution) = reply.execution else {
        return Outcome::NoExecution;
    };
    let Some(doc) = execution.job_document else {
        return Outcome::NoDocument;
    };
    Outcome::Document(JobDocument::parse_with::<P>(doc.as_bytes()))
}

fn same(a: &Outcome<'_>, b: &Outcome<'_>) -> bool {
    match (a, b) {
        (Outcome::BadEnvelope, Outcome::BadEnvelope)
        | (Outcome::NoExecution, Outcome::NoExecution)
        | (Outcome::NoDocument, Outcome::NoDocument) => true,
        (Outcome::Document(Ok(x)), Outcome::Document(Ok(y))) => x == y,
        (
            Outcome::Document(Err(DocumentError::Json(_))),
            Outcome::Document(Err(DocumentError::Json(_))),
        ) => true,
        (Outcome::Document(Err(x)), Outcome::Document(Err(y))) => x == y,
        _ => false,
    }
}

#[test]
fn strict_and_serde_json_agree_on_every_fixture() {
    let all = fixtures();
    for (name, bytes) in &all {
        let ours = outcome::<StrictJson>(bytes);
        let theirs = outcome::<SerdeJson>(bytes);
        assert!(
            same(&ours, &theirs),
            "{name}: strict {ours:?} vs serde_json {theirs:?}"
        );
    }
    println!("{} fixtures, both parsers agree", all.len());
}

fn afr<'a>(o: &'a Outcome<'a>) -> &'a ota_core::document::AfrOta<'a> {
    match o {
        Outcome::Document(Ok(JobDocument::AfrOta(a))) => a,
        other => panic!("expected afr_ota, got {other:?}"),
    }
}

fn doc_error(o: &Outcome<'_>) -> DocumentError {
    match o {
        Outcome::Document(Err(e)) => e.clone(),
        other => panic!("expected a document error, got {other:?}"),
    }
}

fn load(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("tests/fixtures/documents/{name}.json"));
    std::fs::read(path).unwrap()
}

/// `check` of the strict parser's outcome for fixture `name`.
fn strict<T>(name: &str, check: impl FnOnce(&Outcome<'_>) -> T) -> T {
    check(&outcome::<StrictJson>(&load(name)))
}

/// The strict parser's document error for fixture `name`.
fn strict_error(name: &str) -> DocumentError {
    strict(name, doc_error)
}

#[test]
fn vector_01_job_doc_a_and_b() {
    for (name, job) in [
        ("v01a_job_doc_a", "AFR_OTA-testjob20"),
        ("v01b_job_doc_b", "AFR_OTA-testjob21"),
    ] {
        let bytes = load(name);
        let reply: ExecutionResponse<'_, RawJson<'_>> = ota_core::json::from_slice(&bytes).unwrap();
        assert_eq!(reply.execution.as_ref().unwrap().job_id, job);
        let o = outcome::<StrictJson>(&bytes);
        let a = afr(&o);
        assert_eq!(a.protocols(), [Protocol::Mqtt]);
        assert_eq!(plain(a.stream_name), Some("AFR_OTA-XYZ"));
        let f = &a.files[0];
        assert_eq!(
            (
                plain(f.file_path),
                f.file_size,
                f.file_id,
                plain(f.cert_file)
            ),
            (Some("/test/demo"), 10240, 0, Some("test.crt"))
        );
        assert!(
            f.signature("sig-sha256-ecdsa")
                .unwrap()
                .starts_with("MEQCIF2Q")
        );
        assert!(f.is_firmware());
    }
}

#[test]
fn vectors_02_to_04_self_test_status_details() {
    for (name, updated_by) in [
        ("v02_self_test", 0x0100_0000),
        ("v03_self_test_same_version", 0x0100_0001),
        ("v04_self_test_downgrade", 0x0200_0000),
    ] {
        let bytes = load(name);
        let reply: ExecutionResponse<'_, RawJson<'_>> = ota_core::json::from_slice(&bytes).unwrap();
        let e = reply.execution.unwrap();
        assert_eq!(e.status, JobExecutionStatus::InProgress);
        let details = e.status_details.unwrap();
        assert_eq!(plain(details.get("self_test")), Some("ready"));
        let updated_by_text = plain(details.get("updatedBy")).unwrap();
        let packed = ota_core::document::number::parse_hex_u32(updated_by_text).unwrap();
        assert_eq!(packed, updated_by, "{name}");
    }
}

#[test]
fn vectors_05_and_06_http_and_quoted_size() {
    let bytes = load("v05_http");
    let o = outcome::<StrictJson>(&bytes);
    let a = afr(&o);
    assert_eq!(a.protocols(), [Protocol::Http]);
    assert_eq!(a.stream_name, None);
    assert_eq!(plain(a.files[0].auth_scheme), Some("aws.s3.presigned"));
    assert!(a.files[0].update_data_url.unwrap().starts_with("https://"));
    // Vector 6: the project's policy accepts a quoted decimal size.
    let bytes = load("v06_one_block_quoted_size");
    let o = outcome::<StrictJson>(&bytes);
    assert_eq!(afr(&o).files[0].file_size, 1024);
}

#[test]
fn vectors_07_08_13_no_job_bad_json_no_document() {
    assert!(strict("v07_empty", |o| matches!(o, Outcome::NoExecution)));
    assert!(strict("v08_invalid", |o| matches!(o, Outcome::BadEnvelope)));
    assert!(strict("v13_missing_job_doc", |o| matches!(
        o,
        Outcome::NoDocument
    )));
}

#[test]
fn vector_09_unknown_protocol() {
    assert_eq!(
        strict_error("v09_invalid_protocol"),
        DocumentError::UnknownProtocol
    );
}

#[test]
fn vector_10_bad_base64_is_kept_for_the_signature_check() {
    // The document is well-formed; the signature text fails when decoded (see the crypto tests).
    let bytes = load("v10_invalid_base64");
    let o = outcome::<StrictJson>(&bytes);
    assert_eq!(
        plain(afr(&o).files[0].signature("sig-sha256-ecdsa")),
        Some("Zg===")
    );
}

#[test]
fn vectors_11_12_18_missing_and_bad_numbers() {
    for name in [
        "v12a_filesize_nan",
        "v12b_fileid_nan",
        "v12c_filesize_overflow_u64",
        "v18c_negative_filesize",
        "v18d_empty_filesize",
        "v18e_filesize_too_large",
        "v18i_file_type_not_a_number",
    ] {
        assert!(
            matches!(strict_error(name), DocumentError::Json(_)),
            "{name}"
        );
    }
    for (name, expected) in [
        (
            "v11_missing_filesize",
            DocumentError::MissingField("filesize"),
        ),
        ("v12d_filesize_overflow_blocks", DocumentError::FileTooLarge),
        ("v18a_empty_protocols", DocumentError::NoProtocols),
        (
            "v18b_missing_protocols",
            DocumentError::MissingField("protocols"),
        ),
        ("v18f_empty_streamname", DocumentError::EmptyStreamName),
        (
            "v18g_http_without_auth_scheme",
            DocumentError::MissingField("auth_scheme"),
        ),
        (
            "v18h_http_without_url",
            DocumentError::MissingField("update_data_url"),
        ),
    ] {
        assert_eq!(strict_error(name), expected, "{name}");
    }
}

#[test]
fn vector_14_job_id_limits() {
    // AWS allows 64 characters (the C agent 72): both are refused as envelopes.
    for name in ["v14a_job_id_117", "v14b_job_id_72"] {
        assert!(
            strict(name, |o| matches!(o, Outcome::BadEnvelope)),
            "{name}"
        );
    }
}

#[test]
fn vector_15_non_firmware_files() {
    let bytes = load("v15a_different_file_type");
    let o = outcome::<StrictJson>(&bytes);
    assert!(!afr(&o).files[0].is_firmware());
    let bytes = load("v15b_server_file_id");
    let o = outcome::<StrictJson>(&bytes);
    assert_eq!(afr(&o).files[0].file_id, 1);
    assert!(!afr(&o).files[0].is_firmware());
}

#[test]
fn vectors_16_17_multi_file_and_multi_protocol() {
    let bytes = load("v16_multi_file_mqtt");
    let o = outcome::<StrictJson>(&bytes);
    let a = afr(&o);
    assert_eq!(a.files.len(), 2);
    assert_eq!(
        (
            plain(a.files[0].file_path),
            a.files[0].file_size,
            a.files[0].file_id
        ),
        (Some("/path1"), 123_456_789, 0)
    );
    assert_eq!(
        (
            plain(a.files[1].file_path),
            a.files[1].file_size,
            a.files[1].file_id
        ),
        (Some("/path2"), 101_010, 13)
    );
    assert_eq!(plain(a.files[1].cert_file), Some("certfile2.cert"));
    let bytes = load("v17_multi_protocol");
    let o = outcome::<StrictJson>(&bytes);
    let a = afr(&o);
    assert_eq!(a.protocols(), [Protocol::Mqtt, Protocol::Http]);
    assert_eq!(plain(a.stream_name), Some("AFR_OTA-XYZ"));
    assert!(a.files[0].update_data_url.is_some());
    assert_eq!(a.files[0].file_type, Some(66));
}

#[test]
fn vector_19_rustot_nulls_and_unknown_sig_key() {
    let bytes = load("v19_rustot_nulls");
    let o = outcome::<StrictJson>(&bytes);
    let f = &afr(&o).files[0];
    assert_eq!(
        (
            plain(f.file_path),
            f.file_size,
            plain(f.cert_file),
            plain(f.update_data_url)
        ),
        (Some("3.8.4"), 537_600, None, None)
    );
    assert_eq!(f.signature("sig--"), None);
    assert_eq!(f.signatures().count(), 1);
}

#[test]
fn custom_jobs_are_handed_over_untouched() {
    for name in ["custom_ministack", "custom_firmware_key_other_shape"] {
        let bytes = load(name);
        match outcome::<StrictJson>(&bytes) {
            Outcome::Document(Ok(JobDocument::Custom(raw))) => {
                assert!(raw.get().starts_with('{'), "{name}")
            }
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn firmware_documents() {
    let bytes = load("fw01_valid_stream");
    let o = outcome::<StrictJson>(&bytes);
    let Outcome::Document(Ok(JobDocument::Firmware(fw01))) = o else {
        panic!("{o:?}");
    };
    assert_eq!(fw01.firmware.stream.unwrap(), "fw-1_2_3");
    assert_eq!(plain(fw01.firmware.version), Some("1.2.3"));
    let bytes = load("fw02_valid_url_no_steps");
    match outcome::<StrictJson>(&bytes) {
        Outcome::Document(Ok(JobDocument::Firmware(fw))) => {
            assert_eq!(plain(fw.firmware.url), Some("https://example.com/fw.bin"));
        }
        other => panic!("{other:?}"),
    }
    // Documents of older tools, with `steps` out of order, unknown or incomplete: the
    // member is unsigned and ignored, so each reads as fw01 does.
    for name in [
        "fw03_steps_out_of_order",
        "fw04_unknown_step",
        "fw07_missing_verify_step",
    ] {
        let bytes = load(name);
        match outcome::<StrictJson>(&bytes) {
            Outcome::Document(Ok(JobDocument::Firmware(fw))) => assert_eq!(fw, fw01, "{name}"),
            other => panic!("{name}: {other:?}"),
        }
    }
    let cases = [
        ("fw05_no_location", DocumentError::NoLocation),
        (
            "fw06_missing_signature",
            DocumentError::MissingField("signature"),
        ),
    ];
    for (name, expected) in cases {
        assert_eq!(strict_error(name), expected, "{name}");
    }
    let bytes = load("fw08_quoted_file_id");
    match outcome::<StrictJson>(&bytes) {
        Outcome::Document(Ok(JobDocument::Firmware(fw))) => assert_eq!(fw.firmware.file_id, 1),
        other => panic!("{other:?}"),
    }
}

#[test]
fn documents_round_trip_through_serialization() {
    for (name, bytes) in fixtures() {
        let Outcome::Document(Ok(doc)) = outcome::<StrictJson>(&bytes) else {
            continue;
        };
        let text = match &doc {
            JobDocument::AfrOta(a) => {
                serde_json::to_string(&serde_json::json!({ "afr_ota": a })).unwrap()
            }
            JobDocument::Firmware(f) => {
                let text = serde_json::to_string(f).unwrap();
                assert!(!text.contains("steps"), "{name}: {text}");
                text
            }
            JobDocument::TrustUpdate(t) => serde_json::to_string(t).unwrap(),
            JobDocument::FloorReset(r) => serde_json::to_string(r).unwrap(),
            JobDocument::Custom(_) => continue,
        };
        let again = JobDocument::parse(text.as_bytes()).unwrap();
        assert_eq!(again, doc, "{name}");
    }
}
