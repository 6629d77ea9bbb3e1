use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ota_core::crypto::{
    Base64Mode, MAX_VERIFIABLE_SIGNATURE_LEN, SignatureEncoding, TrustStore, TrustedKey,
};
use ota_core::document::{JobDocument, Protocol};
use ota_core::json::JsonStr;
use ota_core::manifest::{ManifestPolicy, Rejection, TrustedTime, verify};
use ota_core::version::SecurityCounter;

use super::*;
use crate::signing::testing::MessageSigner;
use crate::signing::{KeyAlgorithm, LocalSigner, PrivateKey, Signer, SigningError};
use crate::testing::version as v;

const IMAGE: &[u8] = b"\x7fELF firmware image bytes";

/// A document string as written (the release tools write none with escapes).
fn plain(s: Option<JsonStr<'_>>) -> Option<&str> {
    s.map(|s| s.as_plain().expect("written without escapes"))
}

fn p256() -> LocalSigner {
    let key = PrivateKey::generate_seeded(KeyAlgorithm::P256, [9; 32]).unwrap();
    LocalSigner::with_default_algorithm(key, false).unwrap()
}

fn rsa(pss: bool) -> LocalSigner {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    let key =
        KEY.get_or_init(|| PrivateKey::generate_seeded(KeyAlgorithm::Rsa2048, [8; 32]).unwrap());
    LocalSigner::with_default_algorithm(key.clone(), pss).unwrap()
}

fn spec() -> FirmwareSpec<'static> {
    let mut manifest = ManifestSpec::new("acme", "rev-b", v("1.2.3"));
    manifest.security_counter = SecurityCounter(4);
    let mut spec = FirmwareSpec::new(manifest);
    spec.stream = Some("fw-stream");
    spec
}

fn trust(signer: &LocalSigner) -> TrustStore<2> {
    let mut store = TrustStore::new();
    store
        .add(TrustedKey::new(signer.public_key().clone(), signer.algorithm()).unwrap())
        .unwrap();
    store
}

/// What a device running 1.0.0 of acme/rev-b decides on `document`, arriving in `job`.
fn device_verdict(document: &str, job: &str, signer: &LocalSigner) -> Result<u32, Rejection> {
    let JobDocument::Firmware(doc) = JobDocument::parse(document.as_bytes()).unwrap() else {
        panic!("not a firmware document: {document}");
    };
    let mut scratch = [0u8; ota_core::manifest::MAX_MANIFEST_LEN];
    let policy = ManifestPolicy::new("acme", "rev-b", v("1.0.0"));
    let verified = verify(&doc.firmware, job, &trust(signer), &policy, &mut scratch)?;
    let mut image = verified.image_verifier();
    image.update(IMAGE).unwrap();
    image.finish().unwrap();
    assert_eq!(verified.key_id(), &signer.key_id());
    Ok(verified.manifest().size)
}

#[test]
fn firmware_release_verifies_on_a_device_for_every_key() {
    for signer in [p256(), rsa(false), rsa(true)] {
        let release = firmware_update(IMAGE, &spec(), &signer).unwrap();
        assert_eq!(
            device_verdict(&release.document, "any-job", &signer),
            Ok(IMAGE.len() as u32)
        );
        assert_eq!(release.key_id, signer.key_id());
        let manifest = release.manifest.unwrap();
        TrustedKey::new(signer.public_key().clone(), signer.algorithm())
            .unwrap()
            .verify_message(&manifest, &release.signature, SignatureEncoding::Der)
            .unwrap();
    }
}

#[test]
fn manifest_bytes_are_canonical() {
    let release = firmware_update(IMAGE, &spec(), &p256()).unwrap();
    let sha = ota_core::crypto::Digest::sha256(IMAGE);
    let hex = format!("{sha:x}");
    let expected = format!(
        r#"{{"product":"acme","hardware":"rev-b","fileId":0,"version":"1.2.3","securityCounter":4,"size":{},"sha256":"{hex}"}}"#,
        IMAGE.len()
    );
    assert_eq!(
        String::from_utf8(release.manifest.unwrap()).unwrap(),
        expected
    );
    assert!(
        release
            .document
            .contains(r#""version":"1.2.3","stream":"fw-stream","fileId":0}"#),
        "{}",
        release.document
    );
    assert!(
        release.document.ends_with(r#""fileId":0}}"#),
        "{}",
        release.document
    );
    assert!(!release.document.contains("steps"), "{}", release.document);
}

#[test]
fn signed_constraints_reach_the_device() {
    let signer = p256();
    let mut spec = spec();
    spec.manifest.min_version = Some(v("1.1.0"));
    spec.manifest.expires = Some(1_900_000_000);
    spec.manifest.job_id = Some("fw-job-7");
    spec.url = Some("https://example.com/fw.bin");
    let release = firmware_update(IMAGE, &spec, &signer).unwrap();
    let manifest = String::from_utf8(release.manifest.clone().unwrap()).unwrap();
    assert!(
        manifest.ends_with(r#","minVersion":"1.1.0","expires":1900000000,"jobId":"fw-job-7"}"#)
    );
    assert_eq!(
        device_verdict(&release.document, "fw-job-7", &signer),
        Err(Rejection::RunningTooOld)
    );
    assert_eq!(
        device_verdict(&release.document, "other-job", &signer),
        Err(Rejection::WrongJob)
    );
    let JobDocument::Firmware(doc) = JobDocument::parse(release.document.as_bytes()).unwrap()
    else {
        unreachable!()
    };
    assert_eq!(plain(doc.firmware.url), Some("https://example.com/fw.bin"));
    let mut policy = ManifestPolicy::new("acme", "rev-b", v("1.1.0"));
    policy.now = TrustedTime::Unix(1_900_000_000);
    let mut scratch = [0u8; ota_core::manifest::MAX_MANIFEST_LEN];
    assert_eq!(
        verify(
            &doc.firmware,
            "fw-job-7",
            &trust(&signer),
            &policy,
            &mut scratch
        )
        .err(),
        Some(Rejection::Expired)
    );
}

#[test]
fn afr_ota_release_signs_the_file() {
    for (signer, key) in [
        (p256(), "sig-sha256-ecdsa"),
        (rsa(false), "sig-sha256-rsa"),
        (rsa(true), "sig-sha256-rsa"),
    ] {
        let spec = AfrOtaSpec {
            stream: Some("AFR_OTA-fw"),
            url: Some("${aws:iot:s3-presigned-url:https://s3.amazonaws.com/bucket/fw.bin}"),
            file_path: Some("/fw.bin"),
            cert_file: Some("code-sign"),
            file_type: Some(0),
            ..AfrOtaSpec::new()
        };
        let release = afr_ota(IMAGE, &spec, &signer).unwrap();
        assert!(release.manifest.is_none());
        let JobDocument::AfrOta(doc) = JobDocument::parse(release.document.as_bytes()).unwrap()
        else {
            panic!("{}", release.document)
        };
        assert_eq!(doc.protocols(), [Protocol::Mqtt, Protocol::Http]);
        assert_eq!(plain(doc.stream_name), Some("AFR_OTA-fw"));
        let file = &doc.files[0];
        assert_eq!(file.file_size as usize, IMAGE.len());
        assert_eq!(
            (file.file_id, plain(file.file_path), plain(file.cert_file)),
            (0, Some("/fw.bin"), Some("code-sign"))
        );
        assert_eq!(plain(file.auth_scheme), Some(AWS_S3_PRESIGNED));
        assert!(file.is_firmware());
        let mut buf = [0u8; MAX_VERIFIABLE_SIGNATURE_LEN];
        let sig = file
            .signature(key)
            .unwrap()
            .decode_base64(&mut buf, Base64Mode::Strict)
            .unwrap();
        assert_eq!(sig, release.signature.as_slice());
        TrustedKey::new(signer.public_key().clone(), signer.algorithm())
            .unwrap()
            .verify_message(IMAGE, sig, SignatureEncoding::Der)
            .unwrap();
    }
}

#[test]
fn afr_ota_http_only_and_mqtt_only() {
    let signer = p256();
    let http = AfrOtaSpec {
        url: Some("https://example.com/fw.bin"),
        ..AfrOtaSpec::new()
    };
    let doc = afr_ota(IMAGE, &http, &signer).unwrap().document;
    assert!(
        doc.starts_with(r#"{"afr_ota":{"protocols":["HTTP"],"files":[{"filesize":"#),
        "{doc}"
    );
    let mqtt = AfrOtaSpec {
        stream: Some("s"),
        file_id: 3,
        ..AfrOtaSpec::new()
    };
    let doc = afr_ota(IMAGE, &mqtt, &signer).unwrap().document;
    assert!(
        doc.contains(r#""protocols":["MQTT"],"streamname":"s""#),
        "{doc}"
    );
    assert!(doc.contains(r#""fileid":3,"sig-sha256-ecdsa":""#), "{doc}");
    assert!(!doc.contains("auth_scheme"));
}

/// The field a [`ReleaseError::BadField`] names; panics on any other error.
fn bad_field(e: ReleaseError) -> &'static str {
    match e {
        ReleaseError::BadField { field, .. } => field,
        other => panic!("not a bad field: {other:?}"),
    }
}

#[test]
fn unusable_input_is_refused_with_a_reason() {
    let signer = p256();
    let err =
        |spec: &FirmwareSpec<'_>, image: &[u8]| firmware_update(image, spec, &signer).unwrap_err();
    assert_eq!(err(&spec(), b""), ReleaseError::EmptyImage);
    let mut s = spec();
    s.stream = None;
    assert_eq!(err(&s, IMAGE), ReleaseError::NoLocation);
    type Change = fn(&mut FirmwareSpec<'static>);
    let changes: [(Change, &str); 5] = [
        (|s| s.stream = Some("bad stream"), "stream"),
        (|s| s.manifest.product = "a\"b", "product"),
        (|s| s.manifest.product = "", "product"),
        (|s| s.manifest.hardware = "rev\n", "hardware"),
        (|s| s.manifest.job_id = Some("job/1"), "jobId"),
    ];
    for (change, field) in changes {
        let mut s = spec();
        change(&mut s);
        assert_eq!(bad_field(err(&s, IMAGE)), field);
    }
    let long = "p".repeat(1000);
    let mut s = spec();
    s.manifest.product = &long;
    assert!(matches!(
        err(&s, IMAGE),
        ReleaseError::ManifestTooLong { .. }
    ));
    let url = format!("https://example.com/{}", "a".repeat(40_000));
    let mut s = spec();
    s.url = Some(&url);
    assert!(matches!(
        err(&s, IMAGE),
        ReleaseError::DocumentTooLong { .. }
    ));

    let afr = |spec: &AfrOtaSpec<'_>| afr_ota(IMAGE, spec, &signer).unwrap_err();
    assert_eq!(afr(&AfrOtaSpec::new()), ReleaseError::NoLocation);
    let bad_stream = AfrOtaSpec {
        stream: Some(""),
        ..AfrOtaSpec::new()
    };
    let bad_auth = AfrOtaSpec {
        url: Some("https://x"),
        auth_scheme: "",
        ..AfrOtaSpec::new()
    };
    let bad_cert = AfrOtaSpec {
        stream: Some("s"),
        cert_file: Some("a\\b"),
        ..AfrOtaSpec::new()
    };
    for (spec, field) in [
        (bad_stream, "streamname"),
        (bad_auth, "auth_scheme"),
        (bad_cert, "certfile"),
    ] {
        assert_eq!(bad_field(afr(&spec)), field);
    }
    assert_eq!(
        afr_ota(
            b"",
            &AfrOtaSpec {
                stream: Some("s"),
                ..AfrOtaSpec::new()
            },
            &signer
        )
        .unwrap_err(),
        ReleaseError::EmptyImage
    );
}

#[test]
fn a_signature_that_does_not_verify_is_not_released() {
    // Signs something else than it is given: the release must not be returned.
    let broken = MessageSigner {
        inner: p256(),
        alter: |message| [message, b"!"].concat(),
    };
    assert!(matches!(
        firmware_update(IMAGE, &spec(), &broken),
        Err(ReleaseError::SelfCheck(_))
    ));
    let afr = AfrOtaSpec {
        stream: Some("s"),
        ..AfrOtaSpec::new()
    };
    assert!(matches!(
        afr_ota(IMAGE, &afr, &broken),
        Err(ReleaseError::SelfCheck(_))
    ));
    // The signature and manifest in the document are the base64 of the returned bytes.
    let release = firmware_update(IMAGE, &spec(), &p256()).unwrap();
    assert!(
        release
            .document
            .contains(&STANDARD.encode(&release.signature))
    );
    assert!(
        release
            .document
            .contains(&STANDARD.encode(release.manifest.unwrap()))
    );
}

#[test]
fn a_streamed_image_gives_the_same_documents_as_one_in_memory() {
    let image: Vec<u8> = (0..3 * CHUNK_LEN + 11).map(|i| (i % 251) as u8).collect();
    let digest = ImageDigest::read_from(image.as_slice()).unwrap();
    let signer = p256();
    assert_eq!(
        firmware_update_from_digest(&digest, &spec(), &signer).unwrap(),
        firmware_update(&image, &spec(), &signer).unwrap()
    );
    let afr = AfrOtaSpec {
        stream: Some("s"),
        ..AfrOtaSpec::new()
    };
    let streamed = afr_ota_from_digest(&digest, &afr, &signer).unwrap();
    assert_eq!(streamed, afr_ota(&image, &afr, &signer).unwrap());
    let rsa = rsa(false);
    assert_eq!(
        afr_ota_from_digest(&digest, &afr, &rsa).unwrap(),
        afr_ota(&image, &afr, &rsa).unwrap()
    );
    // Sizes come from the digest: empty and oversized images are refused as before.
    let empty = ImageDigest::of(b"");
    assert_eq!(
        afr_ota_from_digest(&empty, &afr, &signer).unwrap_err(),
        ReleaseError::EmptyImage
    );
    let huge = ImageDigest {
        size: u64::from(u32::MAX) + 1,
        sha256: [0; 32],
    };
    assert!(matches!(
        firmware_update_from_digest(&huge, &spec(), &signer).unwrap_err(),
        ReleaseError::ImageTooLarge { .. }
    ));
    // A signer that signs whole messages only cannot sign a streamed afr_ota file.
    let whole_messages = MessageSigner {
        inner: p256(),
        alter: <[u8]>::to_vec,
    };
    assert_eq!(
        afr_ota_from_digest(&digest, &afr, &whole_messages).unwrap_err(),
        ReleaseError::Signing(SigningError::DigestUnsupported)
    );
}

#[test]
fn a_document_over_the_limit_is_refused_in_the_words_of_the_quota() {
    let url = format!("https://example.com/{}", "a".repeat(40_000));
    let mut s = spec();
    s.url = Some(&url);
    let err = firmware_update(IMAGE, &s, &p256()).unwrap_err().to_string();
    assert!(err.starts_with("document too long: "), "{err}");
    assert!(err.ends_with(" bytes, at most 32768"), "{err}");
}

fn p256_seeded(seed: u8) -> LocalSigner {
    let key = PrivateKey::generate_seeded(KeyAlgorithm::P256, [seed; 32]).unwrap();
    LocalSigner::with_default_algorithm(key, false).unwrap()
}

/// A store trusting `signers`, needing `threshold` of them.
fn quorum(signers: &[&LocalSigner], threshold: u8) -> TrustStore<4> {
    let mut store = TrustStore::new();
    for s in signers {
        store
            .add(TrustedKey::new(s.public_key().clone(), s.algorithm()).unwrap())
            .unwrap();
    }
    store.set_threshold(threshold).unwrap();
    store
}

fn check(document: &str, trust: &TrustStore<4>) -> Result<(), Rejection> {
    let JobDocument::Firmware(doc) = JobDocument::parse(document.as_bytes()).unwrap() else {
        panic!("not a firmware document: {document}");
    };
    let mut scratch = [0u8; ota_core::manifest::MAX_MANIFEST_LEN];
    ota_core::manifest::check_signature(&doc.firmware, trust, &mut scratch).map(drop)
}

#[test]
fn cosigning_adds_a_signer_without_touching_what_others_signed() {
    let (a, b, c) = (p256(), p256_seeded(10), rsa(false));
    let first = firmware_update(IMAGE, &spec(), &a).unwrap();
    let two_of_three = quorum(&[&a, &b, &c], 2);
    assert_eq!(
        check(&first.document, &two_of_three),
        Err(Rejection::BelowThreshold)
    );

    let second = cosign(&first.document, &b).unwrap();
    assert_eq!(second.key_id, b.key_id());
    assert_eq!(
        second.manifest, first.manifest,
        "the signed bytes are unchanged"
    );
    check(&second.document, &two_of_three).unwrap();
    let third = cosign(&second.document, &c).unwrap();
    check(&third.document, &quorum(&[&a, &b, &c], 3)).unwrap();
    // The first signature is still the one the document was released with, so a device
    // that needs one signer (or predates cosignatures) takes it as before.
    let read = |doc: &str| {
        let JobDocument::Firmware(d) = JobDocument::parse(doc.as_bytes()).unwrap() else {
            panic!("not a firmware document");
        };
        (
            d.firmware.manifest.to_string(),
            d.firmware.signature.to_string(),
        )
    };
    assert_eq!(read(&third.document), read(&first.document));
    assert_eq!(
        device_verdict(&third.document, "job", &a),
        Ok(IMAGE.len() as u32)
    );

    assert_eq!(
        cosign(&third.document, &b),
        Err(ReleaseError::AlreadySigned(b.key_id()))
    );
    assert_eq!(
        cosign(&first.document, &a),
        Err(ReleaseError::AlreadySigned(a.key_id()))
    );
}

#[test]
fn documents_that_cannot_take_a_cosignature_are_refused() {
    let a = p256();
    let afr_spec = AfrOtaSpec {
        stream: Some("AFR_OTA-fw"),
        ..AfrOtaSpec::new()
    };
    let afr = afr_ota(IMAGE, &afr_spec, &a).unwrap().document;
    assert!(matches!(
        cosign(&afr, &a),
        Err(ReleaseError::NotCosignable(_))
    ));
    assert!(matches!(
        cosign(r#"{"operation":"reboot"}"#, &a),
        Err(ReleaseError::NotCosignable(_))
    ));
    let release = firmware_update(IMAGE, &spec(), &a).unwrap();
    let key_id = format!(r#","keyId":"{}""#, a.key_id());
    let anonymous = release.document.replace(&key_id, "");
    assert!(matches!(
        cosign(&anonymous, &p256_seeded(11)),
        Err(ReleaseError::NotCosignable(_))
    ));

    // Room for MAX_COSIGNATURES, then no more.
    let mut doc = release.document;
    for seed in 0..ota_core::document::MAX_COSIGNATURES {
        doc = cosign(&doc, &p256_seeded(20 + seed as u8))
            .unwrap()
            .document;
    }
    assert_eq!(
        cosign(&doc, &p256_seeded(40)),
        Err(ReleaseError::TooManySignatures {
            max: ota_core::document::MAX_COSIGNATURES
        })
    );
}

fn trusted(signer: &LocalSigner) -> TrustedKey {
    TrustedKey::new(signer.public_key().clone(), signer.algorithm()).unwrap()
}

#[test]
fn trust_updates_rotate_a_device_root_once_both_thresholds_signed() {
    use ota_core::document::TrustUpdate;
    use ota_core::trust::{MAX_ROOT_LEN, Root, RootError, RootUpdate};
    let (a, b, c) = (p256(), p256_seeded(10), rsa(false));
    let device = Root::<4>::new(1, quorum(&[&a, &b], 2), quorum(&[&c], 1)).unwrap();
    // Root 2: root keys b and the RSA key c (both needed), release key a.
    let (new_root, new_release) = ([trusted(&b), trusted(&c)], [trusted(&a)]);
    let spec = RootSpec {
        product: "acme",
        version: 2,
        root: RoleSpec {
            threshold: 2,
            keys: &new_root,
        },
        release: RoleSpec {
            threshold: 1,
            keys: &new_release,
        },
        timestamp: None,
    };
    let check = |document: &str| {
        let update = TrustUpdate::parse(document.as_bytes()).unwrap();
        let mut scratch = [0u8; MAX_ROOT_LEN];
        device.check_update(&update, "acme", &mut scratch)
    };
    let by_a = trust_update(&spec, &a).unwrap();
    assert!(by_a.manifest.is_none());
    assert!(matches!(
        check(&by_a.document),
        Err(RootError::NotAuthorized(Rejection::BelowThreshold))
    ));
    let by_ab = cosign(&by_a.document, &b).unwrap();
    assert!(matches!(
        check(&by_ab.document),
        Err(RootError::NotSelfSigned(_))
    ));
    let by_abc = cosign(&by_ab.document, &c).unwrap();
    match check(&by_abc.document) {
        Ok(RootUpdate::Newer { root, .. }) => {
            assert_eq!(root.version(), 2);
            assert!(root.release().get(&a.key_id()).is_some());
            assert!(root.root().get(&c.key_id()).is_some());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn root_specs_devices_cannot_hold_are_refused() {
    let a = p256();
    let keys = [trusted(&a)];
    let role = |threshold, keys| RoleSpec { threshold, keys };
    let spec = |root, release| RootSpec {
        product: "acme",
        version: 2,
        root,
        release,
        timestamp: None,
    };
    let field = |e: ReleaseError| match e {
        ReleaseError::BadField { field, .. } => field,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        field(root_statement(&spec(role(0, &keys), role(1, &keys))).unwrap_err()),
        "threshold"
    );
    assert_eq!(
        field(root_statement(&spec(role(2, &keys), role(1, &keys))).unwrap_err()),
        "threshold"
    );
    assert_eq!(
        field(root_statement(&spec(role(1, &[]), role(1, &keys))).unwrap_err()),
        "keys"
    );
    let odd_salt = TrustedKey::new(
        rsa(true).public_key().clone(),
        ota_core::crypto::Algorithm::RsaPssSha256 { salt_len: 20 },
    )
    .unwrap();
    let odd = [odd_salt];
    assert_eq!(
        field(root_statement(&spec(role(1, &keys), role(1, &odd))).unwrap_err()),
        "keys"
    );
    let bad_product = RootSpec {
        product: "",
        ..spec(role(1, &keys), role(1, &keys))
    };
    assert_eq!(field(root_statement(&bad_product).unwrap_err()), "product");
}
