//! Threshold signatures end to end: documents with `cosignatures` against stores that need
//! several signers.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use std::string::{String, ToString};
use std::vec::Vec;
use std::{format, vec};

use super::*;
use crate::crypto::{KeyId, TrustStore, TrustedKey, p256_test_key};
use crate::document::{FirmwareUpdate, JobDocument};

const MANIFEST: &str = r#"{"product":"acme","hardware":"rev-b","fileId":0,"version":"1.2.0","securityCounter":3,"size":4096,"sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}"#;

/// Release keys 1, 2, 3 (trusted, 2 of them needed); key 9 is not trusted.
fn keys() -> Vec<(SigningKey, TrustedKey)> {
    [1, 2, 3, 9].into_iter().map(p256_test_key).collect()
}

fn store(keys: &[(SigningKey, TrustedKey)], threshold: u8) -> TrustStore<4> {
    let mut store = TrustStore::new();
    for (_, trusted) in &keys[..3] {
        store.add(trusted.clone()).unwrap();
    }
    store.set_threshold(threshold).unwrap();
    store
}

/// `(key id hex, base64 signature over MANIFEST)` of key `k`.
fn sign(k: &(SigningKey, TrustedKey)) -> (String, String) {
    let sig: Signature = k.0.sign(MANIFEST.as_bytes());
    (
        k.1.key_id().to_string(),
        STANDARD.encode(sig.to_der().as_bytes()),
    )
}

/// A firmware document whose `signature`/`keyId` is `primary` and whose `cosignatures` are
/// `rest` (none when empty).
fn document(primary: &(String, String), rest: &[(String, String)]) -> String {
    let cosignatures = if rest.is_empty() {
        String::new()
    } else {
        let entries: Vec<String> = rest
            .iter()
            .map(|(id, sig)| format!(r#"{{"keyId":"{id}","signature":"{sig}"}}"#))
            .collect();
        format!(r#","cosignatures":[{}]"#, entries.join(","))
    };
    format!(
        r#"{{"operation":"firmware_update","firmware":{{"manifest":"{}","signature":"{}","keyId":"{}"{cosignatures},"url":"https://example.com/fw.bin"}}}}"#,
        STANDARD.encode(MANIFEST),
        primary.1,
        primary.0
    )
}

fn check(doc: &str, trust: &TrustStore<4>) -> Result<KeyId, Rejection> {
    let parsed = FirmwareUpdate::parse(doc.as_bytes()).unwrap();
    let mut scratch = [0u8; MAX_MANIFEST_LEN];
    check_signature(&parsed.firmware, trust, &mut scratch).map(|(_, k)| k)
}

#[test]
fn two_of_three_needs_two_distinct_trusted_signers() {
    let keys = keys();
    let trust = store(&keys, 2);
    let [s1, s2, s3, s9] = [0, 1, 2, 3].map(|i| sign(&keys[i]));

    assert_eq!(
        check(&document(&s1, core::slice::from_ref(&s2)), &trust),
        Ok(keys[0].1.key_id())
    );
    assert_eq!(
        check(&document(&s3, &[s9.clone(), s1.clone()]), &trust),
        Ok(keys[2].1.key_id())
    );
    // One stolen key, alone or listed twice, or with an untrusted co-signer: refused.
    for rest in [vec![], vec![s1.clone()], vec![s9.clone()]] {
        assert_eq!(
            check(&document(&s1, &rest), &trust),
            Err(Rejection::BelowThreshold),
            "{rest:?}"
        );
    }
    // A trusted key's id on another key's signature does not count.
    let forged = (s2.0.clone(), s9.1.clone());
    assert_eq!(
        check(&document(&s1, &[forged]), &trust),
        Err(Rejection::BelowThreshold)
    );
    // Nobody trusted, or trusted names with bad signatures.
    assert_eq!(
        check(&document(&s9, &[]), &trust),
        Err(Rejection::UnknownKey)
    );
    let bad = (s1.0.clone(), s9.1.clone());
    assert_eq!(
        check(&document(&bad, &[]), &trust),
        Err(Rejection::BadSignature)
    );
}

#[test]
fn any_one_signer_serves_a_threshold_of_one() {
    let keys = keys();
    let trust = store(&keys, 1);
    let [s1, s9] = [0, 3].map(|i| sign(&keys[i]));
    // The first signature is untrusted; a trusted co-signer is enough.
    assert_eq!(
        check(&document(&s9, core::slice::from_ref(&s1)), &trust),
        Ok(keys[0].1.key_id())
    );
    assert_eq!(check(&document(&s1, &[]), &trust), Ok(keys[0].1.key_id()));
}

#[test]
fn a_store_revoked_below_its_threshold_verifies_nothing() {
    let keys = keys();
    let mut trust = store(&keys, 2);
    let [s1, s2] = [0, 1].map(|i| sign(&keys[i]));
    let doc = document(&s1, &[s2]);
    assert!(check(&doc, &trust).is_ok());
    trust.remove(&keys[2].1.key_id()).unwrap();
    assert!(check(&doc, &trust).is_ok(), "two keys left, both signed");
    // Key 2 revoked: its signature stops counting at once.
    trust.remove(&keys[1].1.key_id()).unwrap();
    assert_eq!(check(&doc, &trust), Err(Rejection::BelowThreshold));
}

#[test]
fn signers_lists_everyone_and_the_trailer_check_needs_one() {
    let keys = keys();
    let trust = store(&keys, 3);
    let [s1, s2, s3, s9] = [0, 1, 2, 3].map(|i| sign(&keys[i]));
    let all = document(&s1, &[s9.clone(), s2.clone(), s3.clone()]);
    let parsed = FirmwareUpdate::parse(all.as_bytes()).unwrap();
    let mut scratch = [0u8; MAX_MANIFEST_LEN];
    let (signed, met) = signers(&parsed.firmware, &trust, &mut scratch).unwrap();
    assert!(met);
    let ids: Vec<_> = signed.iter().copied().collect();
    assert_eq!(ids, [0, 1, 2].map(|i| keys[i].1.key_id()));

    let two = document(&s1, &[s2]);
    let parsed = FirmwareUpdate::parse(two.as_bytes()).unwrap();
    let (signed, met) = signers(&parsed.firmware, &trust, &mut scratch).unwrap();
    assert_eq!((signed.len(), met), (2, false));
    assert_eq!(
        check_signature(&parsed.firmware, &trust, &mut scratch).map(|(_, k)| k),
        Err(Rejection::BelowThreshold)
    );
    assert_eq!(
        check_one_signature(&parsed.firmware, &trust, &mut scratch).map(|(_, k)| k),
        Ok(keys[0].1.key_id())
    );
}

#[test]
fn cosignature_encodings_are_checked_with_and_without_keys() {
    let keys = keys();
    let trust = store(&keys, 2);
    let [s1, s2] = [0, 1].map(|i| sign(&keys[i]));
    let not_base64 = (s2.0.clone(), "!!!!".to_string());
    let not_hex = ("zz".repeat(32), s2.1.clone());
    for (rest, expected) in [
        (not_base64, Rejection::Encoding),
        (not_hex, Rejection::UnknownKey),
    ] {
        let doc = document(&s1, &[rest]);
        assert_eq!(check(&doc, &trust), Err(expected));
        let parsed = FirmwareUpdate::parse(doc.as_bytes()).unwrap();
        let mut scratch = [0u8; MAX_MANIFEST_LEN];
        assert_eq!(
            inspect::<4>(&parsed.firmware, "job", None, &mut scratch).map(|_| ()),
            Err(expected),
            "without a trust store too"
        );
    }
}

#[test]
fn cosigned_documents_round_trip_and_need_a_key_id() {
    let keys = keys();
    let [s1, s2] = [0, 1].map(|i| sign(&keys[i]));
    let doc = document(&s1, core::slice::from_ref(&s2));
    let JobDocument::Firmware(parsed) = JobDocument::parse(doc.as_bytes()).unwrap() else {
        panic!("not a firmware document");
    };
    let written = serde_json::to_string(&parsed).unwrap();
    assert_eq!(FirmwareUpdate::parse(written.as_bytes()).unwrap(), parsed);
    assert!(written.contains(&s2.1));

    // Escaped as AWS may write it, the same signers verify.
    let escaped = doc.replace('/', "\\/");
    assert!(check(&escaped, &store(&keys, 2)).is_ok());

    let no_key_id = doc.replace(&format!(r#","keyId":"{}""#, s1.0), "");
    assert_eq!(
        FirmwareUpdate::parse(no_key_id.as_bytes()),
        Err(crate::document::DocumentError::MissingField("keyId"))
    );
}
