//! Root rotation: who may sign it, what it may change, and how it is stored.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use std::format;
use std::string::{String, ToString};
use std::vec::Vec;

use super::*;
use crate::crypto::{Digest, TrustStore, TrustedKey, p256_test_key};
use crate::document::TrustUpdate;
use crate::manifest::Rejection;
use crate::trust::{FloorAllowance, FloorResetError, MAX_FLOOR_RESET_LEN, check_floor_reset};

type Key = (SigningKey, TrustedKey);

fn key(seed: u8) -> Key {
    p256_test_key(seed)
}

fn key_json(k: &Key) -> String {
    let point = k.0.verifying_key().to_sec1_point(false);
    format!(
        r#"{{"algorithm":"ecdsa-p256-sha256","key":"{}"}}"#,
        STANDARD.encode(point.as_bytes())
    )
}

fn role_json(threshold: u8, keys: &[&Key]) -> String {
    let keys: Vec<String> = keys.iter().map(|k| key_json(k)).collect();
    format!(r#"{{"threshold":{threshold},"keys":[{}]}}"#, keys.join(","))
}

fn statement(version: u32, root: &str, release: &str) -> String {
    format!(
        r#"{{"type":"root","product":"acme","version":{version},"root":{root},"release":{release}}}"#
    )
}

/// A trust-update document for `statement`, signed by `signers` (the first as `signature`,
/// the others as cosignatures).
fn document(statement: &str, signers: &[&Key]) -> String {
    let sign = |k: &Key| {
        let sig: Signature = k.0.sign(statement.as_bytes());
        (
            k.1.key_id().to_string(),
            STANDARD.encode(sig.to_der().as_bytes()),
        )
    };
    let (first_id, first_sig) = sign(signers[0]);
    let rest: Vec<String> = signers[1..]
        .iter()
        .map(|k| {
            let (id, sig) = sign(k);
            format!(r#"{{"keyId":"{id}","signature":"{sig}"}}"#)
        })
        .collect();
    let cosignatures = if rest.is_empty() {
        String::new()
    } else {
        format!(r#","cosignatures":[{}]"#, rest.join(","))
    };
    format!(
        r#"{{"operation":"trust_update","trust":{{"root":"{}","signature":"{first_sig}","keyId":"{first_id}"{cosignatures}}}}}"#,
        STANDARD.encode(statement)
    )
}

fn store(keys: &[&Key], threshold: u8) -> TrustStore<4> {
    let mut store = TrustStore::new();
    for k in keys {
        store.add(k.1.clone()).unwrap();
    }
    store.set_threshold(threshold).unwrap();
    store
}

/// Root keys r1, r2, r3 (2 needed) and release key k1, at version 1.
fn first_root(keys: &Keys) -> Root<4> {
    Root::new(
        1,
        store(&[&keys.r[0], &keys.r[1], &keys.r[2]], 2),
        store(&[&keys.k[0]], 1),
    )
    .unwrap()
}

struct Keys {
    /// Root keys 1..=5.
    r: Vec<Key>,
    /// Release keys 1..=3.
    k: Vec<Key>,
}

fn keys() -> Keys {
    Keys {
        r: (1..=5).map(key).collect(),
        k: (11..=13).map(key).collect(),
    }
}

fn check(root: &Root<4>, doc: &str) -> Result<RootUpdate<4>, RootError> {
    let update = TrustUpdate::parse(doc.as_bytes()).unwrap();
    let mut scratch = [0u8; MAX_ROOT_LEN];
    root.check_update(&update, "acme", &mut scratch)
}

fn newer(result: Result<RootUpdate<4>, RootError>) -> Root<4> {
    match result {
        Ok(RootUpdate::Newer { root, .. }) => root,
        other => panic!("not a newer root: {other:?}"),
    }
}

/// Version 2: root keys r1, r2, r4 (2 needed), release keys k2, k3 (2 needed); k1 revoked.
fn second_statement(keys: &Keys) -> String {
    statement(
        2,
        &role_json(2, &[&keys.r[0], &keys.r[1], &keys.r[3]]),
        &role_json(2, &[&keys.k[1], &keys.k[2]]),
    )
}

#[test]
fn a_rotation_signed_by_the_root_threshold_replaces_the_keys() {
    let keys = keys();
    let root = first_root(&keys);
    let doc = document(&second_statement(&keys), &[&keys.r[0], &keys.r[1]]);
    let next = newer(check(&root, &doc));
    assert_eq!(next.version(), 2);
    assert_eq!(next.release().threshold(), 2);
    assert!(
        next.release().get(&keys.k[0].1.key_id()).is_none(),
        "k1 revoked"
    );
    assert!(next.root().get(&keys.r[3].1.key_id()).is_some());
    assert!(next.root().get(&keys.r[2].1.key_id()).is_none());
    // Applied again (a lost report): nothing to do; from the old root once more: newer.
    assert!(matches!(check(&next, &doc), Ok(RootUpdate::Current)));
    assert!(matches!(check(&root, &doc), Ok(RootUpdate::Newer { .. })));
}

#[test]
fn a_revoked_release_key_stops_verifying_at_once() {
    let keys = keys();
    let root = first_root(&keys);
    let next = newer(check(
        &root,
        &document(&second_statement(&keys), &[&keys.r[1], &keys.r[0]]),
    ));
    let manifest = b"{\"version\":\"2.0.0\"}";
    let digest = Digest::sha256(manifest);
    let signed = |k: &Key| -> Vec<u8> {
        let sig: Signature = k.0.sign(manifest);
        sig.to_der().as_bytes().to_vec()
    };
    let verify = |store: &TrustStore<4>, signers: &[&Key]| {
        let mut tally = crate::crypto::Quorum::of(store).unwrap().start();
        for k in signers {
            tally
                .offer(
                    Some(&k.1.key_id()),
                    &digest,
                    &signed(k),
                    crate::crypto::SignatureEncoding::Der,
                )
                .unwrap();
        }
        tally.met()
    };
    assert!(verify(root.release(), &[&keys.k[0]]));
    assert!(!verify(next.release(), &[&keys.k[0]]), "k1 revoked");
    assert!(
        !verify(next.release(), &[&keys.k[0], &keys.k[1]]),
        "one of two"
    );
    assert!(verify(next.release(), &[&keys.k[1], &keys.k[2]]));
}

#[test]
fn rotations_not_signed_by_enough_keys_are_refused() {
    let keys = keys();
    let root = first_root(&keys);
    let second = second_statement(&keys);
    // One root key alone (a stolen one), or the release key.
    assert_eq!(
        check(&root, &document(&second, &[&keys.r[0]])).err(),
        Some(RootError::NotAuthorized(Rejection::BelowThreshold))
    );
    assert_eq!(
        check(&root, &document(&second, &[&keys.k[0]])).err(),
        Some(RootError::NotAuthorized(Rejection::UnknownKey))
    );
    // New root keys that did not sign: they may not be held by anyone.
    let takeover = statement(
        2,
        &role_json(2, &[&keys.r[3], &keys.r[4]]),
        &role_json(1, &[&keys.k[1]]),
    );
    assert_eq!(
        check(&root, &document(&takeover, &[&keys.r[0], &keys.r[1]])).err(),
        Some(RootError::NotSelfSigned(Rejection::UnknownKey))
    );
    let both = document(&takeover, &[&keys.r[0], &keys.r[1], &keys.r[3], &keys.r[4]]);
    let next = newer(check(&root, &both));
    // The old root keys lose their power over the next rotation.
    let third = statement(
        3,
        &role_json(1, &[&keys.r[0]]),
        &role_json(1, &[&keys.k[0]]),
    );
    assert_eq!(
        check(&next, &document(&third, &[&keys.r[0], &keys.r[1]])).err(),
        Some(RootError::NotAuthorized(Rejection::UnknownKey))
    );
}

#[test]
fn older_or_foreign_roots_are_refused() {
    let keys = keys();
    let root = first_root(&keys);
    let signers = [&keys.r[0], &keys.r[1]];
    let next = newer(check(&root, &document(&second_statement(&keys), &signers)));
    // Version 1 replayed, and another version-2 root.
    let first = statement(
        1,
        &role_json(2, &[&keys.r[0], &keys.r[1], &keys.r[2]]),
        &role_json(1, &[&keys.k[0]]),
    );
    assert_eq!(
        check(&next, &document(&first, &signers)).err(),
        Some(RootError::NotNewer {
            current: 2,
            offered: 1
        })
    );
    let other_two = statement(
        2,
        &role_json(2, &[&keys.r[0], &keys.r[1]]),
        &role_json(1, &[&keys.k[0]]),
    );
    assert!(matches!(
        check(&next, &document(&other_two, &signers)),
        Err(RootError::NotNewer { .. })
    ));
    let foreign = second_statement(&keys).replace("\"acme\"", "\"other\"");
    assert_eq!(
        check(&root, &document(&foreign, &signers)).err(),
        Some(RootError::WrongProduct)
    );
}

#[test]
fn malformed_statements_are_refused_after_the_signature_check() {
    let keys = keys();
    let root = first_root(&keys);
    let signers = [&keys.r[0], &keys.r[1]];
    let good = second_statement(&keys);
    let point = STANDARD.encode(keys.k[1].0.verifying_key().to_sec1_point(false).as_bytes());
    let cases = [
        (
            good.replace(r#""type":"root""#, r#""type":"manifest""#),
            RootError::Malformed,
        ),
        (
            good.replace(r#""version":2"#, r#""version":2,"expires":1"#),
            RootError::Malformed,
        ),
        (
            good.replace(r#""release":{"threshold":2"#, r#""release":{"threshold":3"#),
            RootError::BadRole,
        ),
        (
            good.replace(r#""release":{"threshold":2"#, r#""release":{"threshold":0"#),
            RootError::BadRole,
        ),
        (
            good.replace(&point, &STANDARD.encode([4u8; 65])),
            RootError::BadKey,
        ),
        (good.replace(&point, "not base64!"), RootError::BadKey),
        (
            good.replace(
                r#""algorithm":"ecdsa-p256-sha256","key":"BH"#,
                r#""algorithm":"rsa-pss-sha256","key":"BH"#,
            ),
            RootError::BadKey,
        ),
    ];
    for (text, expected) in cases {
        assert_ne!(text, good, "the case changed nothing");
        assert_eq!(
            check(&root, &document(&text, &signers)).err(),
            Some(expected),
            "{text}"
        );
        // Unsigned, the same text is refused before it is read.
        assert_eq!(
            check(&root, &document(&text, &[&keys.k[0]])).err(),
            Some(RootError::NotAuthorized(Rejection::UnknownKey))
        );
    }
    // More keys than the device holds.
    let five = statement(
        2,
        &role_json(
            2,
            &[&keys.r[0], &keys.r[1], &keys.r[2], &keys.r[3], &keys.r[4]],
        ),
        &role_json(1, &[&keys.k[0]]),
    );
    assert_eq!(
        check(&root, &document(&five, &signers)).err(),
        Some(RootError::BadRole)
    );
}

#[test]
fn a_stored_root_reads_back_and_damage_is_detected() {
    let keys = keys();
    let root = first_root(&keys);
    let text = second_statement(&keys);
    let next = newer(check(&root, &document(&text, &[&keys.r[0], &keys.r[1]])));
    let statement = RootStatement::parse(text.as_bytes()).unwrap();
    let mut out = [0u8; 1024];
    let len = encode(&statement, &mut out).unwrap();
    assert!(len < 400, "5 P-256 keys in {len} bytes");
    let stored = &out[..len].to_vec();
    assert!(decode::<4>(stored).unwrap().same_as(&next));
    assert_eq!(
        encode(&statement, &mut out[..len - 1]),
        Err(RootError::TooLarge)
    );
    // Every truncation, and every single-byte change, either fails or reads as a root:
    // never a panic.
    for cut in 0..len {
        assert!(decode::<4>(&stored[..cut]).is_err(), "cut at {cut}");
    }
    for at in 0..len {
        let mut damaged = stored.to_vec();
        damaged[at] ^= 0x5a;
        let _ = decode::<4>(&damaged);
    }
    let mut bad_magic = stored.to_vec();
    bad_magic[0] = b'X';
    assert_eq!(decode::<4>(&bad_magic).err(), Some(RootError::Corrupt));
    let mut trailing = stored.to_vec();
    trailing.push(0);
    assert_eq!(decode::<4>(&trailing).err(), Some(RootError::Corrupt));
    // A device holding fewer keys than a stored role cannot take it.
    assert_eq!(decode::<2>(stored).err(), Some(RootError::BadRole));
}

#[test]
fn roots_need_keys_and_usable_thresholds() {
    let keys = keys();
    let empty = TrustStore::<4>::new();
    assert_eq!(
        Root::new(1, empty.clone(), store(&[&keys.k[0]], 1)).err(),
        Some(RootError::BadRole)
    );
    let mut shrunk = store(&[&keys.r[0], &keys.r[1]], 2);
    shrunk.remove(&keys.r[1].1.key_id());
    assert_eq!(
        Root::new(1, shrunk, store(&[&keys.k[0]], 1)).err(),
        Some(RootError::BadRole)
    );
}

#[test]
fn a_timestamp_role_is_read_checked_and_stored() {
    let keys = keys();
    let with_timestamp = |threshold: u8| {
        second_statement(&keys).replace(
            "}}",
            &format!(
                r#"}},"timestamp":{}}}"#,
                role_json(threshold, &[&keys.r[4]])
            ),
        )
    };
    let text = with_timestamp(1);
    let statement = RootStatement::parse(text.as_bytes()).unwrap();
    let root = Root::<4>::from_statement(&statement).unwrap();
    let timestamp = root.timestamp().unwrap();
    assert!(timestamp.get(&keys.r[4].1.key_id()).is_some());
    assert!(first_root(&keys).timestamp().is_none());
    let mut out = [0u8; 1024];
    let len = encode(&statement, &mut out).unwrap();
    let stored = decode::<4>(&out[..len]).unwrap();
    assert!(stored.same_as(&root));
    assert!(
        !stored.same_as(
            &Root::from_statement(
                &RootStatement::parse(second_statement(&keys).as_bytes()).unwrap()
            )
            .unwrap()
        )
    );
    let bad = with_timestamp(2);
    assert_eq!(
        Root::<4>::from_statement(&RootStatement::parse(bad.as_bytes()).unwrap()).err(),
        Some(RootError::BadRole)
    );
}

/// A floor-reset document for `statement`, signed by `signers`.
fn reset_document(statement: &str, signers: &[&Key]) -> String {
    document(statement, signers)
        .replace(
            "\"operation\":\"trust_update\"",
            "\"operation\":\"floor_reset\"",
        )
        .replace("\"trust\":{\"root\":", "\"reset\":{\"statement\":")
}

fn reset_statement(hardware: &str, sequence: u32) -> String {
    format!(
        r#"{{"type":"floor-reset","product":"acme","hardware":"{hardware}","sequence":{sequence},"version":"1.2.1","securityCounter":6}}"#
    )
}

fn check_reset(root: &Root<4>, doc: &str, last: u32) -> Result<FloorAllowance, FloorResetError> {
    let reset = crate::document::FloorReset::parse(doc.as_bytes()).unwrap();
    let mut scratch = [0u8; MAX_FLOOR_RESET_LEN];
    check_floor_reset(&reset, root.root(), "acme", "rev-b", last, &mut scratch)
}

#[test]
fn a_floor_reset_needs_the_root_threshold_and_is_taken_once() {
    let keys = keys();
    let root = first_root(&keys);
    let by_two = reset_document(&reset_statement("rev-b", 1), &[&keys.r[0], &keys.r[1]]);
    let allowance = check_reset(&root, &by_two, 0).unwrap();
    assert_eq!(
        allowance,
        FloorAllowance {
            sequence: 1,
            version: crate::version::Version::new(1, 2, 1),
            security_counter: crate::version::SecurityCounter(6),
        }
    );
    // Taken once: the same sequence again is refused.
    assert_eq!(
        check_reset(&root, &by_two, 1),
        Err(FloorResetError::NotNewer {
            last: 1,
            offered: 1
        })
    );
    // One root key (a stolen one), or the release key, cannot sign it.
    assert_eq!(
        check_reset(
            &root,
            &reset_document(&reset_statement("rev-b", 2), &[&keys.r[0]]),
            1
        ),
        Err(FloorResetError::NotAuthorized(Rejection::BelowThreshold))
    );
    assert_eq!(
        check_reset(
            &root,
            &reset_document(&reset_statement("rev-b", 2), &[&keys.k[0]]),
            1
        ),
        Err(FloorResetError::NotAuthorized(Rejection::UnknownKey))
    );
    assert_eq!(
        check_reset(
            &root,
            &reset_document(&reset_statement("rev-a", 2), &[&keys.r[0], &keys.r[1]]),
            1
        ),
        Err(FloorResetError::WrongHardware)
    );
    let other_product = reset_statement("rev-b", 2).replace("acme", "other");
    assert_eq!(
        check_reset(
            &root,
            &reset_document(&other_product, &[&keys.r[0], &keys.r[1]]),
            1
        ),
        Err(FloorResetError::WrongProduct)
    );
    let extra = reset_statement("rev-b", 2).replace("\"sequence\"", "\"note\":1,\"sequence\"");
    assert_eq!(
        check_reset(&root, &reset_document(&extra, &[&keys.r[0], &keys.r[1]]), 1),
        Err(FloorResetError::Malformed)
    );
}
