//! `ota-cloud inspect` says what a device does: for every job document of the test vectors,
//! of the fuzz corpora and generated ones, the verdict of the `ota-cloud` binary (accept,
//! reject and the reason, or custom) equals what an `ota-device` client does when the same
//! document arrives in a job (it starts the job, reports it `REJECTED` with a reason, or
//! hands it to the application), for the same device.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ota_core::crypto::{Algorithm, PublicKey, TrustStore, TrustedKey};
use ota_core::jobs::ThingName;
use ota_core::time::Instant;
use ota_core::version::Version;
use ota_device::storage::FirmwareSlot;
use ota_device::storage::testing::{MemStateStore, PowerCut, SimBootloader};
use ota_device::{Buffers, Client, Config, PreferredTransport};
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::{EncodePublicKey, LineEnding};
use proptest::prelude::*;

use common::cli::ota_cloud;
use common::scratch::Dir;

const THING: &str = "dev-1";
const JOB: &str = "job-1";
const PRODUCT: &str = "acme";
const HARDWARE: &str = "rev-b";
const RUNNING: &str = "1.0.0";
const SLOT: usize = 64 * 1024;
const URL_CAPACITY: usize = 256;
/// Reasons that depend on which keys a device trusts.
const SIGNATURE_REASONS: [&str; 3] = ["bad_signature", "unknown_key", "no_usable_signature"];

/// What a device did with a document, or what `inspect` says it would do.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Decision {
    /// Started the firmware job.
    Start,
    /// Reported it `REJECTED` with this reason.
    Reject(String),
    /// Handed it to the application.
    Custom,
}

/// The device both sides describe, and a scratch directory for `inspect`'s files.
struct Bench {
    dir: Dir,
    trust_pem: String,
    trust: &'static TrustStore<1>,
    signing: SigningKey,
    other: SigningKey,
    key_id: String,
    max_size: u32,
    files: usize,
}

impl Bench {
    fn new(name: &str) -> Self {
        let dir = Dir::new(name);
        let signing = SigningKey::from_slice(&[7; 32]).unwrap();
        let public = signing.verifying_key();
        // The device trusts the key in the file `inspect --trust` reads.
        let trust_pem = dir.path("trust.pub.pem");
        let pem = public.to_public_key_pem(LineEnding::LF).unwrap();
        fs::write(&trust_pem, &pem).unwrap();
        let public = PublicKey::from_spki_pem(&pem).unwrap();
        let key = TrustedKey::new(public, Algorithm::EcdsaP256Sha256).unwrap();
        let key_id = key.key_id().to_string();
        let mut trust = TrustStore::new();
        trust.add(key).unwrap();
        let boot = SimBootloader::new(SLOT, &[0x11; 1000], PowerCut::unlimited());
        let slot = boot.slot();
        let max_size = ota_device::trailer::region(slot.capacity(), slot.erase_size())
            .map(|(at, _)| at)
            .unwrap();
        Self {
            dir,
            trust_pem,
            trust: Box::leak(Box::new(trust)),
            signing,
            other: SigningKey::from_slice(&[9; 32]).unwrap(),
            key_id,
            max_size,
            files: 0,
        }
    }

    /// What a fresh client does when `document` arrives as the next pending job; `None` when
    /// the document cannot be carried in a job (not JSON, or the message around it is
    /// refused before the document is looked at).
    fn device(&self, document: &[u8], prefer_http: bool) -> Option<Decision> {
        let text = std::str::from_utf8(document).ok()?;
        serde_json::from_str::<serde_json::Value>(text).ok()?;
        let thing = ThingName::new(THING).unwrap();
        let mut config = Config::new(thing, PRODUCT, HARDWARE, Version::parse(RUNNING).unwrap());
        if prefer_http {
            config.preferred_transport = PreferredTransport::Http;
        }
        let power = PowerCut::unlimited();
        let boot = SimBootloader::new(SLOT, &[0x11; 1000], power.clone());
        let buffers = Buffers {
            scratch: Box::leak(vec![0u8; 4096].into_boxed_slice()),
            url: Box::leak(vec![0u8; URL_CAPACITY].into_boxed_slice()),
        };
        let mut client = Client::new(
            config,
            self.trust,
            boot.slot(),
            MemStateStore::new(power),
            buffers,
        )
        .unwrap();
        let now = Instant::from_secs(1000);
        client.handle_connected(now);
        let mut buf = vec![0u8; 4096];
        while client.poll_transmit(now, &mut buf).is_some() {}
        let message = format!(
            r#"{{"timestamp":1,"execution":{{"jobId":"{JOB}","status":"QUEUED","queuedAt":1,"lastUpdatedAt":1,"versionNumber":1,"executionNumber":1,"jobDocument":{text}}}}}"#
        );
        let topic = format!("$aws/things/{THING}/jobs/notify-next");
        match client.handle_message(now, &topic, message.as_bytes()) {
            Ok(Some(_)) => return Some(Decision::Custom),
            Ok(None) => {}
            Err(_) => return None,
        }
        let update = format!("$aws/things/{THING}/jobs/{JOB}/update");
        while let Some(publish) = client.poll_transmit(now, &mut buf) {
            if publish.topic != update {
                continue;
            }
            let body: serde_json::Value = serde_json::from_slice(publish.payload).unwrap();
            return Some(match body["status"].as_str() {
                Some("IN_PROGRESS") => Decision::Start,
                Some("REJECTED") => Decision::Reject(
                    body["statusDetails"]["reason"]
                        .as_str()
                        .expect("a rejection carries a reason")
                        .to_owned(),
                ),
                other => panic!("unexpected first status {other:?}: {body}"),
            });
        }
        panic!("the client neither started, rejected nor handed over the job")
    }

    /// What `ota-cloud inspect` says of `document` for the same device, with its trust
    /// store or (`with_trust` false) without one.
    fn inspect(&mut self, document: &[u8], prefer_http: bool, with_trust: bool) -> Decision {
        self.files += 1;
        let path = self.dir.root().join(format!("doc-{}.json", self.files));
        fs::write(&path, document).unwrap();
        let max_size = self.max_size.to_string();
        let url_capacity = URL_CAPACITY.to_string();
        let mut args = vec![
            "inspect",
            path.to_str().unwrap(),
            "--product",
            PRODUCT,
            "--hardware",
            HARDWARE,
            "--running-version",
            RUNNING,
            "--max-size",
            &max_size,
            "--now",
            "unknown",
            "--job-id",
            JOB,
            "--url-capacity",
            &url_capacity,
        ];
        if prefer_http {
            args.push("--prefer-http");
        }
        if with_trust {
            args.extend(["--trust", &self.trust_pem]);
        }
        let output = ota_cloud(&args).output().unwrap();
        let _ = fs::remove_file(&path);
        let stdout = String::from_utf8_lossy(&output.stdout);
        let verdict = stdout
            .lines()
            .find_map(|l| l.strip_prefix("verdict:"))
            .map(str::trim)
            .unwrap_or_else(|| panic!("no verdict: {stdout}"));
        match output.status.code() {
            Some(0) if verdict.starts_with("would ") => Decision::Start,
            Some(1) if verdict.contains("custom job document") => Decision::Custom,
            Some(1) => {
                let reason = verdict
                    .strip_prefix("FAIL: a device would reject it: ")
                    .and_then(|r| r.split(' ').next())
                    .unwrap_or_else(|| panic!("unexpected verdict: {verdict}"));
                Decision::Reject(reason.to_owned())
            }
            code => panic!("exit {code:?}: {stdout}"),
        }
    }

    /// Both sides on `document`; `Some(decision)` when they agree and the document could be
    /// carried in a job, `None` when it could not be.
    ///
    /// Also `inspect` without `--trust`: it must reach the device's decision unless that
    /// depends on the keys (a signature reason; with several signature entries, which one is
    /// checked).
    fn compare(&mut self, name: &str, document: &[u8], prefer_http: bool) -> Option<Decision> {
        let device = self.device(document, prefer_http)?;
        let shown = String::from_utf8_lossy(document);
        let inspected = self.inspect(document, prefer_http, true);
        assert_eq!(
            inspected, device,
            "{name}: inspect and the device disagree on {shown}"
        );
        let untrusted = self.inspect(document, prefer_http, false);
        let key_dependent = match &device {
            Decision::Reject(r) => SIGNATURE_REASONS.contains(&r.as_str()),
            _ => false,
        } || shown.matches("\"sig-").count() > 1;
        if !key_dependent {
            assert_eq!(
                untrusted, device,
                "{name}: inspect without --trust and the device disagree on {shown}"
            );
        }
        Some(device)
    }

    fn sign(&self, key: &SigningKey, bytes: &[u8]) -> String {
        let signature: Signature = key.sign(bytes);
        STANDARD.encode(signature.to_der().as_bytes())
    }
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every file of `dir`, sorted by name.
fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// The job documents in `bytes`: the document itself, and the `jobDocument` of an execution
/// message (a Jobs reply or notification) when it is one.
fn documents_in(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut documents = vec![bytes.to_vec()];
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) {
        for execution in [&value["execution"], &value["jobs"]["execution"]] {
            if let Some(document) = execution.get("jobDocument") {
                documents.push(serde_json::to_vec(document).unwrap());
            }
        }
    }
    documents
}

/// Run every document under `dirs` through both sides; returns how many could be carried in
/// a job and how many of those each decision got.
fn run_files(bench: &mut Bench, dirs: &[&str]) -> (usize, usize, Vec<Decision>) {
    let (mut seen, mut carried, mut decisions) = (0, 0, Vec::new());
    for dir in dirs {
        for path in files_in(&workspace().join(dir)) {
            let bytes = fs::read(&path).unwrap();
            for document in documents_in(&bytes) {
                seen += 1;
                let name = path.display().to_string();
                for prefer_http in [false, true] {
                    if let Some(decision) = bench.compare(&name, &document, prefer_http) {
                        carried += 1;
                        decisions.push(decision);
                    }
                }
            }
        }
    }
    (seen, carried, decisions)
}

#[test]
fn inspect_agrees_with_the_device_on_every_test_vector_and_fuzz_seed() {
    let mut bench = Bench::new("files");
    let (seen, carried, decisions) = run_files(
        &mut bench,
        &[
            "ota-core/tests/fixtures/documents",
            "ota-core/tests/fixtures/aws",
            "examples/cortex-m/fixtures",
            "fuzz/corpus/job_document",
            "fuzz/corpus/jobs_payloads",
            "fuzz/corpus/manifest_verify",
            "fuzz/corpus/json_value",
        ],
    );
    // The vectors hold documents of every kind: some are started, some rejected for several
    // reasons, some custom.
    let rejected: std::collections::BTreeSet<&str> = decisions
        .iter()
        .filter_map(|d| match d {
            Decision::Reject(r) => Some(r.as_str()),
            _ => None,
        })
        .collect();
    assert!(
        seen > 150 && carried > 100,
        "{seen} documents, {carried} carried"
    );
    assert!(decisions.contains(&Decision::Custom), "{decisions:?}");
    assert!(rejected.len() >= 4, "{rejected:?}");
    for reason in ["bad_document", "bad_encoding", "multiple_files"] {
        assert!(rejected.contains(reason), "{reason}: {rejected:?}");
    }
}

/// A signed-manifest document built from generated parts.
#[derive(Debug, Clone)]
struct FirmwareCase {
    product: &'static str,
    hardware: &'static str,
    version: &'static str,
    counter: u32,
    size: u32,
    file_id: u8,
    doc_file_id: u8,
    min_version: Option<&'static str>,
    expires: Option<u64>,
    bound_job: Option<&'static str>,
    signer: u8,
    key_id: u8,
    hint: Option<&'static str>,
    stream: Option<&'static str>,
    url_len: Option<usize>,
    escape: bool,
}

fn firmware_case() -> impl Strategy<Value = FirmwareCase> {
    let identity = (
        prop::sample::select(vec![PRODUCT, "other"]),
        prop::sample::select(vec![HARDWARE, "rev-c"]),
        prop::sample::select(vec!["0.9.0", "1.0.0", "1.1.0", "2.0.0-rc.1"]),
        0u32..3,
        prop::sample::select(vec![0u32, 1, 1000, 60_000, 70_000]),
        0u8..2,
        0u8..2,
    );
    let limits = (
        prop::option::of(prop::sample::select(vec!["0.5.0", "1.0.0", "1.5.0"])),
        prop::option::of(prop::sample::select(vec![1u64, 4_000_000_000])),
        prop::option::of(prop::sample::select(vec![JOB, "job-2"])),
    );
    let signing = (
        0u8..4,
        0u8..4,
        prop::option::of(prop::sample::select(vec!["1.1.0", "1.0.0", "x"])),
    );
    let transport = (
        prop::option::of(prop::sample::select(vec!["fw-stream", "", "bad/stream"])),
        prop::option::of(prop::sample::select(vec![20usize, 300])),
        any::<bool>(),
    );
    (identity, limits, signing, transport).prop_map(
        |(
            (product, hardware, version, counter, size, file_id, doc_file_id),
            (min_version, expires, bound_job),
            (signer, key_id, hint),
            (stream, url_len, escape),
        )| FirmwareCase {
            product,
            hardware,
            version,
            counter,
            size,
            file_id,
            doc_file_id,
            min_version,
            expires,
            bound_job,
            signer,
            key_id,
            hint,
            stream,
            url_len,
            escape,
        },
    )
}

impl FirmwareCase {
    fn document(&self, bench: &Bench) -> String {
        let mut manifest = format!(
            r#"{{"product":"{}","hardware":"{}","fileId":{},"version":"{}","securityCounter":{},"size":{},"sha256":"{}""#,
            self.product,
            self.hardware,
            self.file_id,
            self.version,
            self.counter,
            self.size,
            "ab".repeat(32)
        );
        if let Some(min) = self.min_version {
            manifest.push_str(&format!(r#","minVersion":"{min}""#));
        }
        if let Some(expires) = self.expires {
            manifest.push_str(&format!(r#","expires":{expires}"#));
        }
        if let Some(job) = self.bound_job {
            manifest.push_str(&format!(r#","jobId":"{job}""#));
        }
        manifest.push('}');
        // 0: the trusted key; 1: another key; 2: a corrupted signature; 3: not base64.
        let signature = match self.signer {
            0 => bench.sign(&bench.signing, manifest.as_bytes()),
            1 => bench.sign(&bench.other, manifest.as_bytes()),
            2 => {
                let mut s = bench.sign(&bench.signing, manifest.as_bytes()).into_bytes();
                s[10] = if s[10] == b'A' { b'B' } else { b'A' };
                String::from_utf8(s).unwrap()
            }
            _ => "not base64!".into(),
        };
        let mut fields = vec![
            format!(r#""manifest":"{}""#, STANDARD.encode(&manifest)),
            format!(r#""signature":"{signature}""#),
        ];
        // 0: absent; 1: the trusted key's; 2: another key's; 3: not a key id.
        match self.key_id {
            0 => {}
            1 => fields.push(format!(r#""keyId":"{}""#, bench.key_id)),
            2 => fields.push(format!(r#""keyId":"{}""#, "0".repeat(64))),
            _ => fields.push(r#""keyId":"zz""#.into()),
        }
        if let Some(hint) = self.hint {
            fields.push(format!(r#""version":"{hint}""#));
        }
        if let Some(stream) = self.stream {
            fields.push(format!(r#""stream":"{stream}""#));
        }
        fields.push(format!(r#""fileId":{}"#, self.doc_file_id));
        if let Some(len) = self.url_len {
            let url = format!("https://h/{}", "a".repeat(len));
            fields.push(format!(r#""url":"{url}""#));
        }
        let doc = format!(
            r#"{{"operation":"firmware_update","firmware":{{{}}}}}"#,
            fields.join(",")
        );
        if self.escape { escaped(&doc) } else { doc }
    }
}

/// `doc` as an encoder that escapes `/` and spells some letters `\u00XX` writes it.
fn escaped(doc: &str) -> String {
    doc.replace('/', "\\/")
        .replace("fw-stream", "f\\u0077-stream")
        .replace("acme", "\\u0061cme")
}

/// An `afr_ota` document built from generated parts.
#[derive(Debug, Clone)]
struct AfrCase {
    protocols: Vec<&'static str>,
    stream: Option<&'static str>,
    files: Vec<AfrFileCase>,
    escape: bool,
}

#[derive(Debug, Clone)]
struct AfrFileCase {
    size: u32,
    file_id: u8,
    /// 0: none; 1: ECDSA, valid base64; 2: ECDSA, not base64; 3: RSA only; 4: SHA-1 only;
    /// 5: too long for any key; 6: with spaces inside.
    signature: u8,
    file_type: Option<u8>,
    url_len: Option<usize>,
}

fn afr_case() -> impl Strategy<Value = AfrCase> {
    let file = (
        prop::sample::select(vec![0u32, 10, 60_000, 70_000]),
        0u8..3,
        0u8..7,
        prop::option::of(0u8..3),
        prop::option::of(prop::sample::select(vec![20usize, 300])),
    )
        .prop_map(
            |(size, file_id, signature, file_type, url_len)| AfrFileCase {
                size,
                file_id,
                signature,
                file_type,
                url_len,
            },
        );
    (
        prop::sample::subsequence(vec!["MQTT", "HTTP", "FTP"], 0..=3),
        prop::option::of(prop::sample::select(vec!["fw-stream", "", "a b"])),
        prop::collection::vec(file, 0..3),
        any::<bool>(),
    )
        .prop_map(|(protocols, stream, files, escape)| AfrCase {
            protocols,
            stream,
            files,
            escape,
        })
}

impl AfrCase {
    fn document(&self, bench: &Bench) -> String {
        let files: Vec<String> = self
            .files
            .iter()
            .map(|f| {
                let mut fields = vec![
                    r#""filepath":"/fw/app.bin""#.to_string(),
                    format!(r#""filesize":{}"#, f.size),
                    format!(r#""fileid":{}"#, f.file_id),
                    r#""certfile":"code-sign""#.into(),
                ];
                let valid = bench.sign(&bench.signing, b"the file");
                match f.signature {
                    1 => fields.push(format!(r#""sig-sha256-ecdsa":"{valid}""#)),
                    2 => fields.push(r#""sig-sha256-ecdsa":"%%%""#.into()),
                    3 => fields.push(format!(r#""sig-sha256-rsa":"{valid}""#)),
                    4 => fields.push(format!(r#""sig-sha1-ecdsa":"{valid}""#)),
                    5 => fields.push(format!(r#""sig-sha256-ecdsa":"{}""#, "QUJD".repeat(40))),
                    6 => fields.push(r#""sig-sha256-ecdsa":"MEUC IQ==""#.into()),
                    _ => {}
                }
                if let Some(t) = f.file_type {
                    fields.push(format!(r#""fileType":{t}"#));
                }
                if let Some(len) = f.url_len {
                    fields.push(format!(
                        r#""update_data_url":"https://s3/{}","auth_scheme":"aws.s3.presigned""#,
                        "b".repeat(len)
                    ));
                }
                format!("{{{}}}", fields.join(","))
            })
            .collect();
        let protocols: Vec<String> = self.protocols.iter().map(|p| format!("\"{p}\"")).collect();
        let mut fields = vec![format!(r#""protocols":[{}]"#, protocols.join(","))];
        if let Some(stream) = self.stream {
            fields.push(format!(r#""streamname":"{stream}""#));
        }
        fields.push(format!(r#""files":[{}]"#, files.join(",")));
        let doc = format!(r#"{{"afr_ota":{{{}}}}}"#, fields.join(","));
        if self.escape { escaped(&doc) } else { doc }
    }
}

/// A document with one byte replaced: mostly invalid JSON, sometimes a valid document with
/// a changed value.
fn mutated(doc: &str, at: usize, byte: u8) -> Vec<u8> {
    let mut bytes = doc.as_bytes().to_vec();
    let at = at % bytes.len();
    bytes[at] = byte;
    bytes
}

/// One document in five gets one byte replaced by a character that matters to JSON.
fn mutation() -> impl Strategy<Value = Option<(usize, u8)>> {
    prop::option::weighted(
        0.2,
        (
            any::<usize>(),
            prop::sample::select(b"\"\\{}:,0a ".to_vec()),
        ),
    )
}

fn maybe_mutated(doc: String, mutation: Option<(usize, u8)>) -> Vec<u8> {
    match mutation {
        Some((at, byte)) => mutated(&doc, at, byte),
        None => doc.into_bytes(),
    }
}

/// A generated document of either kind.
#[derive(Debug, Clone)]
enum Case {
    Firmware(FirmwareCase),
    AfrOta(AfrCase),
}

fn any_case() -> impl Strategy<Value = Case> {
    prop_oneof![
        firmware_case().prop_map(Case::Firmware),
        afr_case().prop_map(Case::AfrOta),
    ]
}

impl Case {
    fn document(&self, bench: &Bench) -> String {
        match self {
            Self::Firmware(case) => case.document(bench),
            Self::AfrOta(case) => case.document(bench),
        }
    }
}

proptest! {
    // 96 cases of each kind on average.
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    #[test]
    fn inspect_agrees_with_the_device_on_generated_documents(
        case in any_case(),
        prefer_http in any::<bool>(),
        mutation in mutation(),
    ) {
        let mut bench = Bench::new("generated");
        let bytes = maybe_mutated(case.document(&bench), mutation);
        bench.compare("generated", &bytes, prefer_http);
    }
}

/// The generators reach every decision: a differential test over documents that are all
/// rejected for one reason would prove little.
#[test]
fn generated_documents_reach_every_decision() {
    let mut bench = Bench::new("coverage");
    let good = FirmwareCase {
        product: PRODUCT,
        hardware: HARDWARE,
        version: "1.1.0",
        counter: 0,
        size: 1000,
        file_id: 0,
        doc_file_id: 0,
        min_version: None,
        expires: None,
        bound_job: None,
        signer: 0,
        key_id: 1,
        hint: Some("1.1.0"),
        stream: Some("fw-stream"),
        url_len: None,
        escape: true,
    };
    let cases = [
        (
            FirmwareCase {
                signer: 1,
                ..good.clone()
            },
            "bad_signature",
        ),
        (
            FirmwareCase {
                signer: 3,
                ..good.clone()
            },
            "bad_encoding",
        ),
        (
            FirmwareCase {
                key_id: 2,
                ..good.clone()
            },
            "unknown_key",
        ),
        (
            FirmwareCase {
                hardware: "rev-c",
                ..good.clone()
            },
            "wrong_hardware",
        ),
        (
            FirmwareCase {
                version: "1.0.0",
                hint: None,
                ..good.clone()
            },
            "not_newer",
        ),
        (
            FirmwareCase {
                size: 70_000,
                ..good.clone()
            },
            "too_large",
        ),
        (
            FirmwareCase {
                bound_job: Some("job-2"),
                ..good.clone()
            },
            "wrong_job",
        ),
        // A firmware document must name a source.
        (
            FirmwareCase {
                stream: None,
                ..good.clone()
            },
            "bad_document",
        ),
        (
            FirmwareCase {
                url_len: Some(300),
                stream: None,
                ..good.clone()
            },
            "unsupported_protocol",
        ),
    ];
    let mut checks = vec![(Case::Firmware(good.clone()), Decision::Start)];
    checks.extend(
        cases
            .into_iter()
            .map(|(case, reason)| (Case::Firmware(case), Decision::Reject(reason.into()))),
    );
    let afr = AfrCase {
        protocols: vec!["MQTT"],
        stream: Some("fw-stream"),
        files: vec![AfrFileCase {
            size: 10,
            file_id: 0,
            signature: 1,
            file_type: Some(0),
            url_len: None,
        }],
        escape: true,
    };
    checks.push((Case::AfrOta(afr.clone()), Decision::Start));
    for (signature, reason) in [
        (0, "no_usable_signature"),
        (2, "bad_encoding"),
        (6, "bad_encoding"),
    ] {
        let mut case = afr.clone();
        case.files[0].signature = signature;
        checks.push((Case::AfrOta(case), Decision::Reject(reason.into())));
    }
    for (case, expected) in checks {
        let doc = case.document(&bench);
        let label = format!("{expected:?}");
        assert_eq!(
            bench.compare(&label, doc.as_bytes(), false),
            Some(expected),
            "{case:?}"
        );
    }
}
