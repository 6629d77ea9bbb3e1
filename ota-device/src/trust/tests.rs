//! Loading and applying roots against a record store, power and write failures included.

use std::format;
use std::string::String;
use std::vec::Vec;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ota_core::crypto::{Algorithm, PublicKey, TrustStore, TrustedKey};
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};

use super::*;
use crate::storage::testing::{CutMode, MemStateStore, PowerCut};

struct Key {
    signing: SigningKey,
    trusted: TrustedKey,
}

fn key(seed: u8) -> Key {
    let signing = SigningKey::from_slice(&[seed; 32]).unwrap();
    let point = signing.verifying_key().to_sec1_point(false);
    let public = PublicKey::from_sec1(point.as_bytes()).unwrap();
    let trusted = TrustedKey::new(public, Algorithm::EcdsaP256Sha256).unwrap();
    Key { signing, trusted }
}

fn key_json(k: &Key) -> String {
    let point = k.signing.verifying_key().to_sec1_point(false);
    format!(
        r#"{{"algorithm":"ecdsa-p256-sha256","key":"{}"}}"#,
        STANDARD.encode(point.as_bytes())
    )
}

/// Root `version` with root key `root` and release key `release`, one of each needed.
fn statement(version: u32, root: &Key, release: &Key) -> String {
    format!(
        r#"{{"type":"root","product":"acme","version":{version},"root":{{"threshold":1,"keys":[{}]}},"release":{{"threshold":1,"keys":[{}]}}}}"#,
        key_json(root),
        key_json(release)
    )
}

fn document(statement: &str, signers: &[&Key]) -> String {
    let sign = |k: &Key| {
        let sig: Signature = k.signing.sign(statement.as_bytes());
        STANDARD.encode(sig.to_der().as_bytes())
    };
    let rest: Vec<String> = signers[1..]
        .iter()
        .map(|k| {
            format!(
                r#"{{"keyId":"{}","signature":"{}"}}"#,
                k.trusted.key_id(),
                sign(k)
            )
        })
        .collect();
    let cosignatures = if rest.is_empty() {
        String::new()
    } else {
        format!(r#","cosignatures":[{}]"#, rest.join(","))
    };
    format!(
        r#"{{"operation":"trust_update","trust":{{"root":"{}","signature":"{}","keyId":"{}"{cosignatures}}}}}"#,
        STANDARD.encode(statement),
        sign(signers[0]),
        signers[0].trusted.key_id()
    )
}

fn one(k: &Key) -> TrustStore<2> {
    let mut store = TrustStore::new();
    store.add(k.trusted.clone()).unwrap();
    store
}

/// Version 1: root key 1, release key 7.
fn built_in() -> Root<2> {
    Root::new(1, one(&key(1)), one(&key(7))).unwrap()
}

fn apply(root: &mut Root<2>, store: &mut dyn StateStore, doc: &str) -> Result<u32, Reason> {
    let mut scratch = [0u8; MAX_ROOT_LEN];
    let mut rotation = Rotation::new(root, store);
    apply_update(&mut rotation, doc.as_bytes(), "acme", &mut scratch)
}

#[test]
fn an_applied_root_is_stored_held_and_loaded_at_the_next_boot() {
    let mut store = MemStateStore::new(PowerCut::unlimited());
    let (mut root, source) = load_root(&mut store, built_in()).unwrap();
    assert_eq!((root.version(), source), (1, RootSource::BuiltIn));
    // Root 2: root key 2 (which signs too), release key 8.
    let doc = document(&statement(2, &key(2), &key(8)), &[&key(1), &key(2)]);
    assert_eq!(apply(&mut root, &mut store, &doc), Ok(2));
    assert!(root.release().get(&key(8).trusted.key_id()).is_some());
    let (loaded, source) = load_root(&mut store.reopen(), built_in()).unwrap();
    assert_eq!(source, RootSource::Stored);
    assert!(loaded.same_as(&root));
    // Applied again: current, nothing written.
    assert_eq!(apply(&mut root, &mut store, &doc), Ok(2));

    // A firmware built with root 3 brings its own; one built with root 1 does not win.
    let newer = Root::new(3, one(&key(3)), one(&key(9))).unwrap();
    let (loaded, source) = load_root(&mut store, newer).unwrap();
    assert_eq!((loaded.version(), source), (3, RootSource::BuiltIn));
}

#[test]
fn a_failed_store_keeps_the_held_root() {
    let power = PowerCut::unlimited();
    let mut store = MemStateStore::new(power.clone());
    let mut root = built_in();
    let doc = document(&statement(2, &key(2), &key(8)), &[&key(1), &key(2)]);
    power.arm(0, CutMode::Clean);
    assert_eq!(
        apply(&mut root, &mut store, &doc),
        Err(Reason::StorageFailure)
    );
    assert_eq!(root.version(), 1);
    power.restore();
    let (loaded, source) = load_root(&mut store, built_in()).unwrap();
    assert_eq!((loaded.version(), source), (1, RootSource::BuiltIn));
}

#[test]
fn an_unreadable_stored_root_falls_back_to_the_built_in_one_and_says_so() {
    let mut store = MemStateStore::new(PowerCut::unlimited());
    store.store(b"OTR1 but not a root").unwrap();
    let (root, source) = load_root(&mut store, built_in()).unwrap();
    assert_eq!(
        (root.version(), source),
        (1, RootSource::BuiltInStoredUnreadable)
    );
}

#[test]
fn refusals_map_to_reasons_and_store_nothing() {
    let mut store = MemStateStore::new(PowerCut::unlimited());
    let mut root = built_in();
    let by_release_key = document(&statement(2, &key(2), &key(8)), &[&key(7), &key(2)]);
    let older = document(&statement(1, &key(2), &key(8)), &[&key(1), &key(2)]);
    let not_self_signed = document(&statement(2, &key(2), &key(8)), &[&key(1)]);
    let cases = [
        (by_release_key.as_str(), Reason::UnknownKey),
        (older.as_str(), Reason::RootNotNewer),
        (not_self_signed.as_str(), Reason::BadRoot),
        (r#"{"operation":"trust_update"}"#, Reason::BadDocument),
    ];
    for (doc, reason) in cases {
        assert_eq!(apply(&mut root, &mut store, doc), Err(reason), "{doc}");
    }
    assert_eq!(root.version(), 1);
    let mut buf = [0u8; MAX_RECORD_LEN];
    assert_eq!(store.load(&mut buf), Ok(None), "nothing stored");
}
