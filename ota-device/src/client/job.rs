//! Turning a job document into a job this client can run, or a reason to refuse it, before
//! anything is written.

#[cfg(feature = "afr-ota")]
use ota_core::crypto::{AlgorithmFamily, Base64Mode, MAX_VERIFIABLE_SIGNATURE_LEN};
use ota_core::crypto::{Digest, KeyId, TrustStore};
#[cfg(feature = "afr-ota")]
use ota_core::document::{AfrOta, DocumentError, Protocol};
use ota_core::document::{DocumentKind, FirmwareUpdate};
#[cfg(feature = "afr-ota")]
use ota_core::jobs::StreamId;
use ota_core::json::JsonStr;
use ota_core::manifest::{
    self, ExpiryCheck, MAX_MANIFEST_LEN, Manifest, ManifestPolicy, RollbackFloor, TrustedTime,
};
use ota_core::version::{SecurityCounter, Version};

use crate::config::{Config, PreferredTransport};
use crate::reason::Reason;
use crate::record::ImageKind;

/// Where the image bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Transport {
    /// An MQTT stream and the file's id in it.
    Stream {
        id: heapless::String<128>,
        file_id: u8,
    },
    /// An HTTPS URL, kept in the caller's URL buffer (`len` bytes).
    Http { len: usize },
}

/// How the downloaded image is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(
    clippy::large_enum_variant,
    reason = "no allocation: held inline, once per client"
)]
pub(crate) enum ImageCheck {
    /// Exact SHA-256 from a verified manifest (the size is checked too).
    Sha256([u8; 32]),
    /// A signature over the file (AWS `afr_ota`), verified after the download.
    #[cfg(feature = "afr-ota")]
    Signature {
        families: Families,
        /// Kept until the download is complete: only as long as a trusted key could verify
        /// (72 bytes without RSA), so a longer one is refused (`bad_encoding`) before
        /// anything is downloaded.
        signature: heapless::Vec<u8, MAX_VERIFIABLE_SIGNATURE_LEN>,
    },
}

/// The key families a `sig-*` entry may be checked with.
#[cfg(feature = "afr-ota")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Families(pub(crate) &'static [AlgorithmFamily]);

/// What a firmware job installs: copied into the persistent record when the job starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) size: u32,
    pub(crate) kind: ImageKind,
    pub(crate) version: Option<Version>,
    pub(crate) counter: SecurityCounter,
    pub(crate) document_digest: [u8; 32],
}

/// What the manifest check found beyond the [`Target`], for [`crate::inspect`] (the client
/// does not keep it, nor hold it on its stack).
#[derive(Debug, Default)]
pub(crate) struct Findings {
    /// The trusted key that verified a signed manifest.
    pub(crate) verified_by: Option<KeyId>,
    /// How a manifest's expiry was handled.
    pub(crate) expiry: Option<ExpiryCheck>,
}

/// What the download and the image check need: kept in the client while the job runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ActiveJob {
    pub(crate) transport: Transport,
    pub(crate) check: ImageCheck,
}

/// What a job document turned out to be.
#[derive(Debug)]
pub(crate) enum Intake {
    /// A firmware job: what it installs (its download details are in `IntakeContext::job`).
    Firmware(Target),
    Custom,
}

/// Where the intake's device policy comes from.
#[derive(Clone, Copy)]
pub(crate) enum PolicySource<'c> {
    /// The client's: the [`ManifestPolicy`] is built only in the manifest check's frame, so
    /// no copy of it sits in the caller's frame during the signature check.
    Device {
        config: &'c Config<'c>,
        floor: &'c RollbackFloor,
        /// The release a floor reset allows below the floor.
        allowance: &'c Option<(Version, SecurityCounter)>,
        capacity: u32,
        now: TrustedTime,
    },
    /// Given whole ([`crate::inspect`]).
    Given(&'c ManifestPolicy<'c>),
}

impl<'c> PolicySource<'c> {
    /// The policy for manifest `m`: the device's floor, or none for the one release a floor
    /// reset allows (every other check stays).
    fn policy(&self, m: &Manifest<'_>) -> ManifestPolicy<'c> {
        match *self {
            Self::Device {
                config: c,
                floor,
                allowance,
                capacity,
                now,
            } => {
                let mut policy = ManifestPolicy::new(c.product, c.hardware, c.running_version);
                policy.floor = if *allowance == Some((m.version, m.security_counter)) {
                    RollbackFloor {
                        version: Version::new(0, 0, 0),
                        security_counter: SecurityCounter(0),
                    }
                } else {
                    *floor
                };
                policy.max_size = capacity;
                policy.now = now;
                policy.require_trusted_time = c.require_trusted_time;
                policy.allow_same_version = c.allow_same_version;
                policy
            }
            Self::Given(policy) => *policy,
        }
    }

    #[cfg(feature = "afr-ota")]
    fn max_size(&self) -> u32 {
        match self {
            Self::Device { capacity, .. } => *capacity,
            Self::Given(policy) => policy.max_size,
        }
    }
}

/// What the intake needs from the client (or from [`crate::inspect`]).
pub(crate) struct IntakeContext<'c, const K: usize> {
    /// The keys signatures are checked with; `None` (inspection only, never the client):
    /// every check but the signature's.
    pub(crate) trust: Option<&'c TrustStore<K>>,
    /// The device's identity, floor, time and slot size; `None` (inspection only, never the
    /// client): every check but these.
    pub(crate) policy: Option<PolicySource<'c>>,
    pub(crate) preferred_transport: PreferredTransport,
    /// Whether `afr_ota` documents are taken ([`crate::Config::accept_afr_ota`]).
    pub(crate) accept_afr_ota: bool,
    /// Where the manifest check's findings go (`None` for the client).
    pub(crate) findings: Option<&'c mut Findings>,
    pub(crate) scratch: &'c mut [u8],
    pub(crate) url: &'c mut [u8],
    /// Where the download details of an accepted firmware job go, in place (the intake runs
    /// under a signature verification: nothing large is returned through its frames).
    pub(crate) job: &'c mut Option<ActiveJob>,
}

/// Validate `raw_document` of job `job_id`: parse it, verify what can be verified now, check
/// that this client can run it. Writes nothing but `ctx.scratch`, `ctx.url` and, for an
/// accepted firmware job, `ctx.job`.
pub(crate) fn intake<const K: usize>(
    ctx: &mut IntakeContext<'_, K>,
    job_id: &str,
    raw_document: &[u8],
) -> Result<Intake, Reason> {
    let document_digest = digest_bytes(raw_document);
    match classify(ctx, raw_document, document_digest)? {
        Classified::Custom => Ok(Intake::Custom),
        Classified::Firmware(fw) => {
            firmware(ctx, job_id, &fw, document_digest).map(Intake::Firmware)
        }
        Classified::AfrOta(job) => Ok(Intake::Firmware(job)),
    }
}

/// A parsed document, without the `afr_ota` variant's inline file table.
enum Classified<'d> {
    Custom,
    Firmware(FirmwareUpdate<'d>),
    AfrOta(Target),
}

/// Parse the document in a frame of its own, so that the parser's temporaries are not on
/// the stack under the signature verification of a signed-manifest document. An `afr_ota`
/// document is parsed in a frame of its own again ([`afr_ota_job`]): its file table is large.
#[inline(never)]
fn classify<'d, const K: usize>(
    ctx: &mut IntakeContext<'_, K>,
    raw_document: &'d [u8],
    document_digest: [u8; 32],
) -> Result<Classified<'d>, Reason> {
    match DocumentKind::probe(raw_document).map_err(|_| Reason::BadDocument)? {
        DocumentKind::Custom => Ok(Classified::Custom),
        // Taken by the client before the intake (a device inspection has no root to check
        // them with).
        DocumentKind::TrustUpdate | DocumentKind::FloorReset => Err(Reason::UnsupportedDocument),
        DocumentKind::Firmware => FirmwareUpdate::parse(raw_document)
            .map(Classified::Firmware)
            .map_err(|_| Reason::BadDocument),
        // One signature can never make a threshold above 1: such a device takes only
        // (co)signed manifests.
        DocumentKind::AfrOta
            if !ctx.accept_afr_ota || ctx.trust.is_some_and(|t| t.threshold() > 1) =>
        {
            Err(Reason::UnsupportedDocument)
        }
        DocumentKind::AfrOta => {
            afr_ota_job(ctx, raw_document, document_digest).map(Classified::AfrOta)
        }
    }
}

#[cfg(feature = "afr-ota")]
#[inline(never)]
fn afr_ota_job<const K: usize>(
    ctx: &mut IntakeContext<'_, K>,
    raw_document: &[u8],
    document_digest: [u8; 32],
) -> Result<Target, Reason> {
    // One file per job: more are refused once every file is validated.
    // Strings stay as written (escapes and all) and are decoded as they are used.
    let ota = AfrOta::<1>::parse(raw_document).map_err(|e| match e {
        DocumentError::TooManyFiles => Reason::MultipleFiles,
        _ => Reason::BadDocument,
    })?;
    afr_ota(ctx, &ota, document_digest)
}

/// Without the `afr-ota` feature an `afr_ota` document is refused unparsed.
#[cfg(not(feature = "afr-ota"))]
fn afr_ota_job<const K: usize>(
    _ctx: &mut IntakeContext<'_, K>,
    _raw_document: &[u8],
    _document_digest: [u8; 32],
) -> Result<Target, Reason> {
    Err(Reason::UnsupportedDocument)
}

fn digest_bytes(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(Digest::sha256(bytes).as_bytes());
    out
}

/// A signed-manifest document: the signature checked from a frame that holds nothing else
/// (the deepest stack of an update), then the manifest accepted in a frame of its own.
#[inline(never)]
fn firmware<const K: usize>(
    ctx: &mut IntakeContext<'_, K>,
    job_id: &str,
    doc: &FirmwareUpdate<'_>,
    document_digest: [u8; 32],
) -> Result<Target, Reason> {
    let (len, key_id) = manifest_signature(ctx, doc)?;
    firmware_accepted(ctx, job_id, doc, len, key_id, document_digest)
}

/// The manifest decoded into the scratch buffer (its length) and its signature checked.
#[inline(never)]
fn manifest_signature<const K: usize>(
    ctx: &mut IntakeContext<'_, K>,
    doc: &FirmwareUpdate<'_>,
) -> Result<(usize, Option<KeyId>), Reason> {
    let scratch: &mut [u8; MAX_MANIFEST_LEN] = ctx
        .scratch
        .get_mut(..MAX_MANIFEST_LEN)
        .and_then(|s| s.try_into().ok())
        .ok_or(Reason::BadManifest)?;
    let (bytes, key_id) = manifest::inspect_signature(&doc.firmware, ctx.trust, scratch)?;
    Ok((bytes.len(), key_id))
}

/// The rest of [`firmware`], once [`manifest_signature`] returned: the manifest's first
/// `len` bytes in the scratch buffer parsed and checked against the document, the job and
/// the policy, and the download chosen.
#[inline(never)]
fn firmware_accepted<const K: usize>(
    ctx: &mut IntakeContext<'_, K>,
    job_id: &str,
    doc: &FirmwareUpdate<'_>,
    len: usize,
    key_id: Option<KeyId>,
    document_digest: [u8; 32],
) -> Result<Target, Reason> {
    let bytes = ctx.scratch.get(..len).ok_or(Reason::BadManifest)?;
    let manifest = manifest::accept(bytes, &doc.firmware, job_id)?;
    let m = &manifest;
    // The policy is built only now, after the signature check (the deepest stack).
    let expiry = match ctx.policy {
        Some(source) => Some(source.policy(m).check(m)?),
        None => None,
    };
    let (size, sha256, version, counter) = (m.size, m.sha256.0, m.version, m.security_counter);
    if let Some(findings) = ctx.findings.as_deref_mut() {
        findings.verified_by = key_id;
        findings.expiry = expiry;
    }
    let stream = doc.firmware.stream.map(|s| (s, doc.firmware.file_id));
    let transport = choose_transport(ctx, stream, doc.firmware.url)?;
    *ctx.job = Some(ActiveJob {
        transport,
        check: ImageCheck::Sha256(sha256),
    });
    Ok(Target {
        size,
        kind: ImageKind::Manifest,
        version: Some(version),
        counter,
        document_digest,
    })
}

#[cfg(feature = "afr-ota")]
fn afr_ota<const K: usize>(
    ctx: &mut IntakeContext<'_, K>,
    ota: &AfrOta<'_, 1>,
    document_digest: [u8; 32],
) -> Result<Target, Reason> {
    let [file] = ota.files.as_slice() else {
        return Err(Reason::MultipleFiles);
    };
    if ctx.policy.is_some_and(|p| file.file_size > p.max_size()) {
        return Err(Reason::TooLarge);
    }
    let check = afr_signature(ctx.trust, file.signatures())?;
    let stream = match (ota.offers(Protocol::Mqtt), ota.stream_name) {
        (true, Some(name)) => {
            StreamId::check_json(&name).map_err(|_| Reason::BadDocument)?;
            Some((name, file.file_id))
        }
        _ => None,
    };
    let url = if ota.offers(Protocol::Http) {
        file.update_data_url
    } else {
        None
    };
    let transport = choose_transport(ctx, stream, url)?;
    let kind = if file.is_firmware() {
        ImageKind::AfrFirmware
    } else {
        ImageKind::AfrFile
    };
    *ctx.job = Some(ActiveJob { transport, check });
    Ok(Target {
        size: file.file_size,
        kind,
        version: None,
        counter: SecurityCounter(0),
        document_digest,
    })
}

#[cfg(feature = "afr-ota")]
/// The key families a `sig-<hash>-<alg>` key may be verified with; `None` for keys this
/// client does not verify (SHA-1 ones among them).
fn families_for(key: JsonStr<'_>) -> Option<Families> {
    if key == "sig-sha256-ecdsa" {
        Some(Families(&[AlgorithmFamily::Ecdsa]))
    } else if key == "sig-sha256-rsa" {
        Some(Families(&[
            AlgorithmFamily::RsaPkcs1v15,
            AlgorithmFamily::RsaPss,
        ]))
    } else {
        None
    }
}

#[cfg(feature = "afr-ota")]
/// The first `sig-*` entry a trusted key can check, decoded; without a trust store, the
/// first entry of a family this client verifies.
fn afr_signature<'d, const K: usize>(
    trust: Option<&TrustStore<K>>,
    signatures: impl Iterator<Item = (JsonStr<'d>, JsonStr<'d>)>,
) -> Result<ImageCheck, Reason> {
    let trusted = |families: Families| {
        trust.is_none_or(|trust| {
            trust
                .iter()
                .any(|k| families.0.contains(&k.algorithm().family()))
        })
    };
    let (families, text) = signatures
        .filter_map(|(key, text)| families_for(key).map(|f| (f, text)))
        .find(|&(f, _)| trusted(f))
        .ok_or(Reason::NoUsableSignature)?;
    // Only as long as a trusted key of this build could verify.
    let mut buf = [0u8; MAX_VERIFIABLE_SIGNATURE_LEN];
    // Decoded through its escapes (`\/`), without a copy of the text.
    let bytes = text
        .decode_base64(&mut buf, Base64Mode::AwsLenient)
        .map_err(|_| Reason::BadEncoding)?;
    let signature = heapless::Vec::from_slice(bytes).map_err(|_| Reason::BadEncoding)?;
    Ok(ImageCheck::Signature {
        families,
        signature,
    })
}

/// `stream` is a valid stream id once decoded; both are as written in the document.
fn choose_transport<const K: usize>(
    ctx: &mut IntakeContext<'_, K>,
    stream: Option<(JsonStr<'_>, u8)>,
    url: Option<JsonStr<'_>>,
) -> Result<Transport, Reason> {
    let url = url.filter(|u| !u.is_empty() && u.len() <= ctx.url.len());
    let use_http = match (stream.is_some(), url.is_some()) {
        (false, false) => return Err(Reason::UnsupportedProtocol),
        (true, false) => false,
        (false, true) => true,
        (true, true) => ctx.preferred_transport == PreferredTransport::Http,
    };
    match (use_http, stream, url) {
        (true, _, Some(url)) => {
            // It fits: checked above.
            let len = url
                .copy_to(ctx.url)
                .map_err(|_| Reason::UnsupportedProtocol)?;
            Ok(Transport::Http { len })
        }
        (false, Some((id, file_id)), _) => {
            let id = id.to_heapless().map_err(|_| Reason::BadDocument)?;
            Ok(Transport::Stream { id, file_id })
        }
        _ => Err(Reason::UnsupportedProtocol),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ota_core::jobs::ThingName;

    const AFR_OTA: &[u8] = br#"{"afr_ota":{"protocols":["MQTT"],"streamname":"s",
        "files":[{"filesize":10,"fileid":0,"sig-sha256-ecdsa":"MEUCIQ=="}]}}"#;

    /// The intake of `doc` under `config` and `trust` (floor 1.0.0, counter 0, a 1 MiB slot),
    /// the job it keeps, with the URL written into `url`.
    fn intake_with(
        config: &Config<'_>,
        trust: &TrustStore<1>,
        doc: &[u8],
        url: &mut [u8],
    ) -> (Result<Intake, Reason>, Option<ActiveJob>) {
        let mut scratch = [0u8; 1024];
        let mut job = None;
        let mut policy =
            ManifestPolicy::new(config.product, config.hardware, config.running_version);
        policy.max_size = 1 << 20;
        let mut ctx = IntakeContext {
            trust: Some(trust),
            policy: Some(PolicySource::Given(&policy)),
            preferred_transport: config.preferred_transport,
            accept_afr_ota: config.accept_afr_ota,
            findings: None,
            scratch: &mut scratch,
            url,
            job: &mut job,
        };
        let result = intake(&mut ctx, "job", doc);
        (result, job)
    }

    /// The intake of `doc` with an empty trust store.
    fn intake_of(doc: &[u8]) -> Result<Intake, Reason> {
        let thing = ThingName::new("t").unwrap();
        let config = Config::new(thing, "p", "h", Version::new(1, 0, 0));
        intake_with(&config, &TrustStore::<1>::new(), doc, &mut []).0
    }

    #[test]
    fn formats_are_told_apart_before_anything_is_checked() {
        assert!(matches!(intake_of(b"{\"x\":1.5}"), Ok(Intake::Custom)));
        assert_eq!(intake_of(b"{").err(), Some(Reason::BadDocument));
        let fw = br#"{"operation":"firmware_update","firmware":{}}"#;
        assert_eq!(intake_of(fw).err(), Some(Reason::BadDocument));
    }

    #[cfg(feature = "afr-ota")]
    #[test]
    fn afr_ota_documents_are_parsed_and_checked() {
        // No trusted key can check the signature.
        assert_eq!(intake_of(AFR_OTA).err(), Some(Reason::NoUsableSignature));
        let file = r#"{"filesize":10,"fileid":0,"sig-sha256-ecdsa":"MEUCIQ=="}"#;
        let bad = r#"{"filesize":0,"fileid":1}"#;
        let doc = |files: &str| {
            std::format!(
                r#"{{"afr_ota":{{"protocols":["MQTT"],"streamname":"s","files":[{files}]}}}}"#
            )
        };
        let two = doc(&std::format!("{file},{file}"));
        assert_eq!(intake_of(two.as_bytes()).err(), Some(Reason::MultipleFiles));
        // Every file is validated first, the ones past the first too.
        let second_bad = doc(&std::format!("{file},{bad}"));
        assert_eq!(
            intake_of(second_bad.as_bytes()).err(),
            Some(Reason::BadDocument)
        );
        assert_eq!(
            intake_of(br#"{"afr_ota":7}"#).err(),
            Some(Reason::BadDocument)
        );
    }

    /// Finding "Wire truth" 1: an `afr_ota` document from an encoder that escapes `/` (in
    /// the signature, the path and the URL) and spells letters as `\u00XX` (in the stream
    /// name) is taken as the plain one is: the same stream (decoded), signature bytes and URL.
    #[cfg(feature = "afr-ota")]
    #[test]
    fn afr_ota_documents_read_the_same_however_escaped() {
        use ota_core::crypto::{Algorithm, PublicKey, TrustedKey};
        use p256::ecdsa::SigningKey;

        let signing = SigningKey::from_slice(&[7; 32]).unwrap();
        let point = signing.verifying_key().to_sec1_point(false);
        let key = PublicKey::from_sec1(point.as_bytes()).unwrap();
        let mut trust = TrustStore::<1>::new();
        trust
            .add(TrustedKey::new(key, Algorithm::EcdsaP256Sha256).unwrap())
            .unwrap();
        let take = |doc: &str, prefer_http: bool| {
            let thing = ThingName::new("t").unwrap();
            let mut config = Config::new(thing, "p", "h", Version::new(1, 0, 0));
            if prefer_http {
                config.preferred_transport = PreferredTransport::Http;
            }
            let mut url = [0u8; 128];
            let (result, job) = intake_with(&config, &trust, doc.as_bytes(), &mut url);
            let target = result.map(|i| match i {
                Intake::Firmware(t) => (t.size, t.kind),
                Intake::Custom => panic!("not custom"),
            });
            let url = match &job {
                Some(ActiveJob {
                    transport: Transport::Http { len },
                    ..
                }) => std::string::String::from_utf8(url[..*len].to_vec()).unwrap(),
                _ => std::string::String::new(),
            };
            (target, job, url)
        };
        let doc = |stream: &str, path: &str, url: &str, signature: &str| {
            std::format!(
                r#"{{"afr_ota":{{"protocols":["MQTT","HTTP"],"streamname":"{stream}","files":[{{"filepath":"{path}","filesize":4096,"fileid":0,"update_data_url":"{url}","auth_scheme":"aws.s3.presigned","sig-sha256-ecdsa":"{signature}"}}]}}}}"#
            )
        };
        let signature = "MEUCIQD/xsGl7l+cF1o0JEqGZ4sKDyT9I+c/8o/2TzbqNJiRSgIgHkq1Zg+Ew5UL/9c1hdwmV3I+6EMtTpJIXQCgc6/Fcks=";
        let plain = doc("AFR_OTA-1", "/fw/app.bin", "https://h/a/b?s=1/2", signature);
        let escaped = doc(
            "\\u0041FR\\u005fOTA-1",
            "\\/fw\\/app.bin",
            "https:\\/\\/h\\/a\\/b?s=1\\/2",
            &signature.replace('/', "\\/"),
        );
        for prefer_http in [false, true] {
            let (target, job, url) = take(&plain, prefer_http);
            assert!(target.is_ok(), "{target:?}");
            assert_eq!(
                take(&escaped, prefer_http),
                (target, job.clone(), url.clone())
            );
            match job.unwrap().transport {
                Transport::Stream { id, .. } => assert_eq!(id.as_str(), "AFR_OTA-1"),
                Transport::Http { .. } => assert_eq!(url, "https://h/a/b?s=1/2"),
            }
        }
    }

    /// An `afr_ota` signature is kept whole up to the longest a key of this build verifies
    /// (RSA-8192's 1024 bytes where RSA is built in, as in these tests), and refused past it
    /// before anything is downloaded. The decoding buffer was once the 512 bytes of
    /// `decode_signature`, which refused RSA-6144 and RSA-8192 signatures the build verifies.
    #[cfg(feature = "afr-ota")]
    #[test]
    fn afr_ota_signatures_are_kept_up_to_the_longest_verifiable() {
        let base64_of_zeros = |n: usize| {
            let mut text = "AAAA".repeat(n / 3);
            text.push_str(["", "AA==", "AAA="][n % 3]);
            text
        };
        let take = |len: usize| {
            let doc = std::format!(
                r#"{{"afr_ota":{{"protocols":["MQTT"],"streamname":"s","files":[{{"filesize":10,"fileid":0,"sig-sha256-rsa":"{}"}}]}}}}"#,
                base64_of_zeros(len)
            );
            let mut scratch = [0u8; 16];
            let mut job = None;
            let mut ctx = IntakeContext::<1> {
                trust: None,
                policy: None,
                preferred_transport: PreferredTransport::Mqtt,
                accept_afr_ota: true,
                findings: None,
                scratch: &mut scratch,
                url: &mut [],
                job: &mut job,
            };
            let result = intake(&mut ctx, "job", doc.as_bytes()).map(|_| ());
            let kept = match job {
                Some(ActiveJob {
                    check: ImageCheck::Signature { signature, .. },
                    ..
                }) => signature.len(),
                _ => 0,
            };
            (result, kept)
        };
        assert_eq!(MAX_VERIFIABLE_SIGNATURE_LEN, 1024);
        for len in [256, 512, 768, 1024] {
            assert_eq!(take(len), (Ok(()), len), "{len} bytes");
        }
        assert_eq!(take(1025), (Err(Reason::BadEncoding), 0));
    }

    #[cfg(not(feature = "afr-ota"))]
    #[test]
    fn without_the_feature_afr_ota_documents_are_refused_unparsed() {
        for doc in [AFR_OTA, br#"{"afr_ota":7}"#] {
            assert_eq!(intake_of(doc).err(), Some(Reason::UnsupportedDocument));
        }
    }
}
