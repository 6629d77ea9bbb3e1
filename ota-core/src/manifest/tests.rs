use proptest::prelude::*;
use std::string::ToString;

use super::*;
use crate::json::JsonStr;
use crate::version::{SecurityCounter, Version};

const SHA: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn manifest_json(extra: &str) -> std::string::String {
    std::format!(
        r#"{{"product":"acme","hardware":"rev-b","fileId":0,"version":"1.2.0","securityCounter":3,"size":4096,"sha256":"{SHA}"{extra}}}"#
    )
}

fn policy() -> ManifestPolicy<'static> {
    let mut p = ManifestPolicy::new("acme", "rev-b", Version::new(1, 1, 0));
    p.floor.security_counter = SecurityCounter(3);
    p.max_size = 8192;
    p
}

#[test]
fn parses_and_serializes_canonically() {
    let text = manifest_json(r#","minVersion":"1.0.0","expires":1800000000,"jobId":"fw-1""#);
    let m = Manifest::parse(text.as_bytes()).unwrap();
    assert_eq!(m.version, Version::new(1, 2, 0));
    assert_eq!(m.sha256.to_string(), SHA);
    assert_eq!(m.job_id.unwrap().to_string(), "fw-1");
    assert_eq!(serde_json::to_string(&m).unwrap(), text);
}

#[test]
fn refuses_unknown_missing_and_malformed_fields() {
    assert!(Manifest::parse(manifest_json(r#","requiresBootloader":"2.0.0""#).as_bytes()).is_err());
    assert!(Manifest::parse(br#"{"product":"acme"}"#).is_err());
    let bad_hash = manifest_json("").replace(SHA, "abc");
    assert!(Manifest::parse(bad_hash.as_bytes()).is_err());
    let quoted = manifest_json("").replace(r#""size":4096"#, r#""size":"4096""#);
    assert!(
        Manifest::parse(quoted.as_bytes()).is_err(),
        "signed data takes no quoted numbers"
    );
}

#[test]
fn every_policy_check() {
    let text = manifest_json(r#","minVersion":"1.1.0","expires":1000"#);
    let m = Manifest::parse(text.as_bytes()).unwrap();
    let ok = ManifestPolicy {
        now: TrustedTime::Unix(999),
        ..policy()
    };
    assert_eq!(ok.check(&m), Ok(ExpiryCheck::Valid));
    assert_eq!(
        ManifestPolicy {
            product: "other",
            ..ok
        }
        .check(&m),
        Err(Rejection::WrongProduct)
    );
    assert_eq!(
        ManifestPolicy {
            hardware: "rev-a",
            ..ok
        }
        .check(&m),
        Err(Rejection::WrongHardware)
    );
    let floor_at_image = RollbackFloor {
        version: Version::new(1, 2, 0),
        security_counter: SecurityCounter(3),
    };
    assert_eq!(
        ManifestPolicy {
            floor: floor_at_image,
            ..ok
        }
        .check(&m),
        Err(Rejection::NotNewer)
    );
    assert!(
        ManifestPolicy {
            floor: floor_at_image,
            allow_same_version: true,
            ..ok
        }
        .check(&m)
        .is_ok()
    );
    let high_counter = RollbackFloor {
        security_counter: SecurityCounter(4),
        ..ok.floor
    };
    assert_eq!(
        ManifestPolicy {
            floor: high_counter,
            ..ok
        }
        .check(&m),
        Err(Rejection::CounterBelowFloor)
    );
    assert_eq!(
        ManifestPolicy {
            running: Version::new(1, 0, 9),
            ..ok
        }
        .check(&m),
        Err(Rejection::RunningTooOld)
    );
    assert_eq!(
        ManifestPolicy {
            now: TrustedTime::Unix(1000),
            ..ok
        }
        .check(&m),
        Err(Rejection::Expired)
    );
    assert_eq!(
        ManifestPolicy {
            now: TrustedTime::Unknown,
            ..ok
        }
        .check(&m),
        Ok(ExpiryCheck::Unchecked)
    );
    assert_eq!(
        ManifestPolicy {
            now: TrustedTime::Unknown,
            require_trusted_time: true,
            ..ok
        }
        .check(&m),
        Err(Rejection::NoTrustedTime)
    );
    assert_eq!(
        ManifestPolicy {
            max_size: 4095,
            ..ok
        }
        .check(&m),
        Err(Rejection::BadSize)
    );
    let no_expiry = Manifest { expires: None, ..m };
    assert_eq!(ok.check(&no_expiry), Ok(ExpiryCheck::NoExpiry));
    let empty = Manifest { size: 0, ..m };
    assert_eq!(ok.check(&empty), Err(Rejection::BadSize));
}

#[test]
fn reasons_are_distinct() {
    let all = [
        Rejection::Encoding,
        Rejection::UnknownKey,
        Rejection::BadSignature,
        Rejection::Malformed,
        Rejection::VersionHintMismatch,
        Rejection::WrongProduct,
        Rejection::WrongHardware,
        Rejection::WrongFile,
        Rejection::WrongJob,
        Rejection::NotNewer,
        Rejection::CounterBelowFloor,
        Rejection::RunningTooOld,
        Rejection::Expired,
        Rejection::NoTrustedTime,
        Rejection::BadSize,
    ];
    let reasons: std::collections::BTreeSet<_> = all.iter().map(|r| r.reason()).collect();
    assert_eq!(reasons.len(), all.len());
}

proptest! {
    #[test]
    fn serialize_parse_round_trip(product in "[a-z0-9/\"\\\\é-]{1,16}", hardware in "[a-z0-9/\"\\\\é-]{1,16}",
                                  file_id: u8, (major, minor, patch) in (0u32..100, 0u32..100, 0u32..100),
                                  counter: u32, size in 1u32.., sha: [u8; 32],
                                  min in proptest::option::of((0u32..10, 0u32..10, 0u32..10)),
                                  expires: Option<u64>, job in proptest::option::of("[a-zA-Z0-9_-]{1,64}")) {
        let m = Manifest {
            product: JsonStr::text(&product), hardware: JsonStr::text(&hardware), file_id,
            version: Version::new(major, minor, patch),
            security_counter: SecurityCounter(counter), size, sha256: Sha256Hex(sha),
            min_version: min.map(|(a, b, c)| Version::new(a, b, c)), expires,
            job_id: job.as_deref().map(|j| crate::jobs::JobId::new(j).unwrap().into()),
        };
        let mut buf = [0u8; MAX_MANIFEST_LEN];
        let n = crate::json::to_slice(&m, &mut buf).unwrap();
        let theirs = serde_json::to_vec(&m).unwrap();
        prop_assert_eq!(&buf[..n], theirs.as_slice());
        prop_assert_eq!(Manifest::parse(&buf[..n]).unwrap(), m);
    }

    #[test]
    fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = Manifest::parse(&bytes);
    }
}

mod end_to_end {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use p256::ecdsa::signature::Signer as _;
    use p256::ecdsa::{Signature, SigningKey};
    use std::string::{String, ToString};

    use super::*;
    use crate::crypto::{TrustStore, TrustedKey};
    use crate::document::{FirmwareRef, FirmwareUpdate, JobDocument};
    use crate::json::JsonStr;

    fn signer(seed: u8) -> (SigningKey, TrustedKey) {
        crate::crypto::p256_test_key(seed)
    }

    struct Release {
        manifest: String,
        signature: String,
        key_id: String,
    }

    fn release(signing: &SigningKey, key: &TrustedKey, manifest_json: &str) -> Release {
        let sig: Signature = signing.sign(manifest_json.as_bytes());
        Release {
            manifest: STANDARD.encode(manifest_json),
            signature: STANDARD.encode(sig.to_der().as_bytes()),
            key_id: key.key_id().to_string(),
        }
    }

    /// Key 7, a store that trusts it, and the release it signed of the manifest bound to
    /// job `fw-1`.
    fn trusted_release() -> (SigningKey, TrustedKey, TrustStore<2>, Release) {
        let (signing, key) = signer(7);
        let mut store = TrustStore::<2>::new();
        store.add(key.clone()).unwrap();
        let r = release(&signing, &key, &manifest_json(r#","jobId":"fw-1""#));
        (signing, key, store, r)
    }

    fn js(text: &str) -> JsonStr<'_> {
        JsonStr::from_plain(text).unwrap()
    }

    fn firmware<'a>(r: &'a Release) -> FirmwareRef<'a> {
        FirmwareRef {
            manifest: js(&r.manifest),
            signature: js(&r.signature),
            key_id: Some(js(&r.key_id)),
            cosignatures: None,
            version: Some(js("1.2.0")),
            stream: None,
            file_id: 0,
            url: Some(js("https://example.com/fw.bin")),
        }
    }

    #[test]
    fn a_signed_manifest_verifies_and_binds_the_image() {
        let (_, key, store, r) = trusted_release();
        let mut scratch = [0u8; MAX_MANIFEST_LEN];
        let verified = verify(&firmware(&r), "fw-1", &store, &policy(), &mut scratch).unwrap();
        assert_eq!(verified.manifest().size, 4096);
        assert_eq!(*verified.key_id(), key.key_id());
        assert_eq!(verified.expiry(), ExpiryCheck::NoExpiry);
        // The image check is bound to the signed length and hash.
        let mut image = verified.image_verifier();
        image.update(&[0u8; 4096]).unwrap();
        assert!(
            image.finish().is_err(),
            "zeros do not hash to the signed SHA-256"
        );
    }

    /// A document from an encoder that escapes `/` (and, here, every third character too)
    /// reads as the plain one and verifies the same way: the base64 texts are decoded through
    /// their escapes, across several decoding windows.
    #[test]
    fn an_escaped_document_verifies_as_the_plain_one() {
        let (_, _, store, r) = trusted_release();
        let doc = |escape: &dyn Fn(&str) -> String| {
            std::format!(
                r#"{{"operation":"firmware_update","firmware":{{"manifest":"{}","signature":"{}","keyId":"{}","version":"{}","stream":"{}","fileId":0}}}}"#,
                escape(&r.manifest),
                escape(&r.signature),
                escape(&r.key_id),
                escape("1.2.0"),
                escape("fw-1_2"),
            )
        };
        let plain = doc(&|s| s.to_string());
        let escaped = doc(&|s| {
            s.chars()
                .enumerate()
                .map(|(i, c)| match c {
                    '/' => "\\/".to_string(),
                    c if i % 3 == 0 => std::format!("\\u{:04x}", u32::from(c)),
                    c => c.to_string(),
                })
                .collect()
        });
        assert!(r.manifest.len() > 3 * 64, "several windows");
        let (a, b) = (
            FirmwareUpdate::parse(plain.as_bytes()).unwrap(),
            FirmwareUpdate::parse(escaped.as_bytes()).unwrap(),
        );
        assert_eq!(a, b);
        assert!(b.firmware.manifest.is_escaped());
        assert_eq!(b.firmware.stream.unwrap(), "fw-1_2");
        let mut scratch = [0u8; MAX_MANIFEST_LEN];
        let from_plain = verify(&a.firmware, "fw-1", &store, &policy(), &mut scratch)
            .map(|v| (*v.manifest(), *v.key_id()))
            .unwrap();
        let mut scratch = [0u8; MAX_MANIFEST_LEN];
        let from_escaped = verify(&b.firmware, "fw-1", &store, &policy(), &mut scratch)
            .map(|v| (*v.manifest(), *v.key_id()))
            .unwrap();
        assert_eq!(from_plain, from_escaped);
    }

    #[test]
    fn every_rejection_before_download() {
        let (signing, key, store, good) = trusted_release();
        let (other_signing, other_key) = signer(9);
        let mut scratch = [0u8; MAX_MANIFEST_LEN];
        let mut check = |fw: &FirmwareRef<'_>, job: &str| {
            verify(fw, job, &store, &policy(), &mut scratch).map(|_| ())
        };

        assert_eq!(check(&firmware(&good), "fw-2"), Err(Rejection::WrongJob));
        // Signed by a key the device does not trust (named, or not named).
        let untrusted = release(&other_signing, &other_key, &manifest_json(""));
        assert_eq!(
            check(&firmware(&untrusted), "fw-1"),
            Err(Rejection::UnknownKey)
        );
        let anonymous = FirmwareRef {
            key_id: None,
            ..firmware(&untrusted)
        };
        assert_eq!(check(&anonymous, "fw-1"), Err(Rejection::BadSignature));
        // A trusted signature over other bytes.
        let swapped = FirmwareRef {
            signature: js(&untrusted.signature),
            key_id: Some(js(&good.key_id)),
            ..firmware(&good)
        };
        assert_eq!(check(&swapped, "fw-1"), Err(Rejection::BadSignature));
        // One byte of the manifest changed after signing.
        let tampered_json = manifest_json(r#","jobId":"fw-1""#).replace("4096", "4097");
        let tampered = Release {
            manifest: STANDARD.encode(tampered_json),
            ..release(&signing, &key, &manifest_json(r#","jobId":"fw-1""#))
        };
        assert_eq!(
            check(&firmware(&tampered), "fw-1"),
            Err(Rejection::BadSignature)
        );
        // Encoding and key id errors.
        let bad_b64 = FirmwareRef {
            manifest: js("not base64!"),
            ..firmware(&good)
        };
        assert_eq!(check(&bad_b64, "fw-1"), Err(Rejection::Encoding));
        let bad_key_id = FirmwareRef {
            key_id: Some(js("zz")),
            ..firmware(&good)
        };
        assert_eq!(check(&bad_key_id, "fw-1"), Err(Rejection::UnknownKey));
        // Signed but malformed, or disagreeing with the document.
        let malformed = release(&signing, &key, r#"{"product":"acme"}"#);
        assert_eq!(
            check(&firmware(&malformed), "fw-1"),
            Err(Rejection::Malformed)
        );
        let hint = FirmwareRef {
            version: Some(js("9.9.9")),
            ..firmware(&good)
        };
        assert_eq!(check(&hint, "fw-1"), Err(Rejection::VersionHintMismatch));
        let file = FirmwareRef {
            file_id: 3,
            ..firmware(&good)
        };
        assert_eq!(check(&file, "fw-1"), Err(Rejection::WrongFile));
        // Policy: wrong hardware, signed correctly.
        let wrong_hw = release(&signing, &key, &manifest_json("").replace("rev-b", "rev-a"));
        assert_eq!(
            check(&firmware(&wrong_hw), "fw-1"),
            Err(Rejection::WrongHardware)
        );
        let too_big = release(&signing, &key, &manifest_json("").replace("4096", "9000"));
        assert_eq!(check(&firmware(&too_big), "fw-1"), Err(Rejection::BadSize));
    }

    #[test]
    fn document_to_verdict() {
        let (signing, key) = signer(7);
        let mut store = TrustStore::<1>::new();
        store.add(key.clone()).unwrap();
        let r = release(&signing, &key, &manifest_json(""));
        let doc = std::format!(
            r#"{{"operation":"firmware_update","firmware":{{"manifest":"{}","signature":"{}","keyId":"{}","version":"1.2.0","stream":"fw-stream"}}}}"#,
            r.manifest,
            r.signature,
            r.key_id
        );
        let JobDocument::Firmware(fw) = JobDocument::parse(doc.as_bytes()).unwrap() else {
            panic!()
        };
        let mut scratch = [0u8; MAX_MANIFEST_LEN];
        let verified = verify(&fw.firmware, "any-job", &store, &policy(), &mut scratch).unwrap();
        assert_eq!(verified.manifest().version, Version::new(1, 2, 0));
    }

    /// `inspect` with a trust store is `verify` without the policy; without one it skips the
    /// signature alone: the manifest is still parsed and bound to the document and the job,
    /// and the signature and `keyId` texts must still decode.
    #[test]
    fn inspect_leaves_out_the_signature_only_without_a_trust_store() {
        let (signing, key, store, r) = trusted_release();
        let (other, _) = signer(9);
        let mut scratch = [0u8; MAX_MANIFEST_LEN];
        let trusted = inspect(&firmware(&r), "fw-1", Some(&store), &mut scratch).unwrap();
        assert_eq!(trusted.key_id, Some(key.key_id()));
        assert_eq!(trusted.manifest.size, 4096);
        // Signed by a key the store does not hold: refused with it, read without it.
        let forged = release(&other, &key, &manifest_json(""));
        let mut scratch = [0u8; MAX_MANIFEST_LEN];
        assert_eq!(
            inspect(&firmware(&forged), "fw-1", Some(&store), &mut scratch),
            Err(Rejection::BadSignature)
        );
        let mut scratch = [0u8; MAX_MANIFEST_LEN];
        let unchecked = inspect::<2>(&firmware(&forged), "fw-1", None, &mut scratch).unwrap();
        assert_eq!(unchecked.key_id, None);
        // Every check but the signature's still runs without a trust store.
        let mut scratch = [0u8; MAX_MANIFEST_LEN];
        assert_eq!(
            inspect::<2>(&firmware(&r), "fw-2", None, &mut scratch),
            Err(Rejection::WrongJob)
        );
        let bad_signature = FirmwareRef {
            signature: js("not base64!"),
            ..firmware(&r)
        };
        let mut scratch = [0u8; MAX_MANIFEST_LEN];
        assert_eq!(
            inspect::<2>(&bad_signature, "fw-1", None, &mut scratch),
            Err(Rejection::Encoding)
        );
        let bad_key_id = FirmwareRef {
            key_id: Some(js("abc")),
            ..firmware(&r)
        };
        let mut scratch = [0u8; MAX_MANIFEST_LEN];
        assert_eq!(
            inspect::<2>(&bad_key_id, "fw-1", None, &mut scratch),
            Err(Rejection::UnknownKey)
        );
        // The policy is the caller's: a manifest for other hardware is inspected as read.
        let other_hw = manifest_json("").replace("rev-b", "rev-c");
        let r = release(&signing, &key, &other_hw);
        let mut scratch = [0u8; MAX_MANIFEST_LEN];
        let read = inspect(&firmware(&r), "fw-1", Some(&store), &mut scratch).unwrap();
        assert_eq!(
            policy().check(&read.manifest),
            Err(Rejection::WrongHardware)
        );
    }
}
