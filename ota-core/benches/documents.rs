//! Document parsing (the strict no-alloc parser, serde_json, and serde-json-core where it can
//! take the type at all) and manifest verification end to end.

use core::hint::black_box;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ota_core::crypto::TrustStore;
use ota_core::document::{JobDocument, SerdeJson, StrictJson};
use ota_core::jobs::{ExecutionResponse, GetPendingResponse};
use ota_core::json::RawJson;
use ota_core::manifest::{MAX_MANIFEST_LEN, ManifestPolicy, verify};
use ota_core::version::Version;
use p256::ecdsa::Signature;
use p256::ecdsa::signature::Signer as _;

#[path = "../tests/common/p256_key.rs"]
mod p256_key;
use p256_key::p256_key;

const JOB_DOC_A: &[u8] = include_bytes!("../tests/fixtures/documents/v01a_job_doc_a.json");
const MULTI_FILE: &[u8] = include_bytes!("../tests/fixtures/documents/v16_multi_file_mqtt.json");

fn envelope_and_document<P: ota_core::document::JsonParser>(payload: &[u8]) -> usize {
    let reply: ExecutionResponse<'_, RawJson<'_>> = P::from_slice(payload).unwrap();
    let raw = reply.execution.unwrap().job_document.unwrap();
    match JobDocument::parse_with::<P>(raw.as_bytes()).unwrap() {
        JobDocument::AfrOta(a) => a.files.len(),
        _ => 0,
    }
}

fn afr_ota(c: &mut Criterion) {
    for (name, payload) in [("job_doc_a", JOB_DOC_A), ("multi_file", MULTI_FILE)] {
        let mut group = c.benchmark_group(format!("afr_ota_{name}"));
        group.throughput(Throughput::Bytes(payload.len() as u64));
        group.bench_function("strict_no_alloc", |b| {
            b.iter(|| envelope_and_document::<StrictJson>(black_box(payload)))
        });
        group.bench_function("serde_json", |b| {
            b.iter(|| envelope_and_document::<SerdeJson>(black_box(payload)))
        });
        group.finish();
    }
}

/// A parser's count of the `queuedJobs` of a `get` reply.
type QueuedJobs = fn(&[u8]) -> usize;

/// A reply all three parsers can take (no quoted numbers, no raw values).
fn get_pending(c: &mut Criterion) {
    let mut payload = String::from(
        r#"{"clientToken":"0:client_name","timestamp":1587381778,"inProgressJobs":[],"queuedJobs":["#,
    );
    for i in 0..10 {
        if i > 0 {
            payload.push(',');
        }
        payload.push_str(&format!(
            r#"{{"executionNumber":1,"jobId":"job-{i}","lastUpdatedAt":1587036256,"queuedAt":1587036256,"versionNumber":1}}"#
        ));
    }
    payload.push_str("]}");
    let payload = payload.into_bytes();
    let mut group = c.benchmark_group("get_pending_10_jobs");
    group.throughput(Throughput::Bytes(payload.len() as u64));
    // serde-json-core cannot read these types any more: their strings are `JsonStr`, which
    // asks its deserializer for a newtype struct (to keep escapes undecoded), and
    // serde-json-core refuses that (`CustomError`). `serde_json` and ours can.
    let parsers: [(&str, QueuedJobs); 2] = [
        ("strict_no_alloc", |payload| {
            let reply: GetPendingResponse<'_> = ota_core::json::from_slice(payload).unwrap();
            reply.queued_jobs.len()
        }),
        ("serde_json", |payload| {
            let reply: GetPendingResponse<'_> = serde_json::from_slice(payload).unwrap();
            reply.queued_jobs.len()
        }),
    ];
    for (name, parse) in parsers {
        group.bench_function(name, |b| b.iter(|| parse(black_box(&payload))));
    }
    group.finish();
}

fn manifest_end_to_end(c: &mut Criterion) {
    let (signing, key) = p256_key();
    let mut store = TrustStore::<4>::new();
    store.add(key.clone()).unwrap();
    let manifest = r#"{"product":"acme","hardware":"rev-b","fileId":0,"version":"1.2.0","securityCounter":3,"size":65536,"sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","expires":1900000000}"#;
    let signature: Signature = signing.sign(manifest.as_bytes());
    let doc = format!(
        r#"{{"operation":"firmware_update","firmware":{{"manifest":"{}","signature":"{}","keyId":"{}","version":"1.2.0","stream":"fw-1_2_0"}}}}"#,
        STANDARD.encode(manifest),
        STANDARD.encode(signature.to_der().as_bytes()),
        key.key_id()
    );
    let policy = ManifestPolicy::new("acme", "rev-b", Version::new(1, 1, 0));
    c.bench_function("manifest_parse_and_verify_p256", |b| {
        b.iter(|| {
            let JobDocument::Firmware(fw) = JobDocument::parse(black_box(doc.as_bytes())).unwrap()
            else {
                unreachable!()
            };
            let mut scratch = [0u8; MAX_MANIFEST_LEN];
            verify(&fw.firmware, "job", &store, &policy, &mut scratch)
                .unwrap()
                .manifest()
                .size
        })
    });
}

criterion_group!(benches, afr_ota, get_pending, manifest_end_to_end);
criterion_main!(benches);
