//! The trust documents a device takes (trust updates, floor resets, latest statements) from
//! arbitrary bytes, checked against a fixed root whose every role is one OpenSSL-made P-256
//! key; the root statement parser and the root's stored form on their own. No panic, and
//! nothing forged is taken: the fuzzer holds no private key. The hand-written statement
//! readers agree with serde's derives through `ota_core::json::from_slice`.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ota_core::crypto::{Algorithm, PublicKey, TrustStore, TrustedKey};
use ota_core::document::{FloorReset, TrustUpdate};
use ota_core::freshness::{self, MAX_LATEST_LEN, SignedLatest};
use ota_core::trust::{self, MAX_FLOOR_RESET_LEN, MAX_ROOT_LEN, Root, RootStatement};

fuzz_target!(|data: &[u8]| {
    let key = PublicKey::from_spki_der(include_bytes!("../../ota-core/tests/fixtures/openssl/p256_pub.der")).unwrap();
    let mut store = TrustStore::<2>::new();
    store.add(TrustedKey::new(key, Algorithm::EcdsaP256Sha256).unwrap()).unwrap();
    let root = Root::new(1, store.clone(), store.clone())
        .unwrap()
        .with_timestamp(store.clone())
        .unwrap();

    if let Ok(update) = TrustUpdate::parse(data) {
        let mut scratch = [0u8; MAX_ROOT_LEN];
        assert!(root.check_update(&update, "acme", &mut scratch).is_err());
    }
    if let Ok(reset) = FloorReset::parse(data) {
        let mut scratch = [0u8; MAX_FLOOR_RESET_LEN];
        assert!(trust::check_floor_reset(&reset, &store, "acme", "rev-b", 0, &mut scratch).is_err());
    }
    if let Ok(signed) = SignedLatest::parse(data) {
        let mut scratch = [0u8; MAX_LATEST_LEN];
        assert!(freshness::check(&signed, &store, "acme", None, &mut scratch).is_err());
    }
    // Unsigned forms: parsed or refused, never a panic; the reader as serde reads them.
    match (RootStatement::parse(data), ota_core::json::from_slice::<RootStatement<'_>>(data)) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Err(a), Err(b)) => assert_eq!(a.kind(), b.kind()),
        (a, b) => panic!("reader {a:?}, serde {b:?}"),
    }
    match (
        freshness::LatestStatement::parse(data),
        ota_core::json::from_slice::<freshness::LatestStatement<'_>>(data),
    ) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Err(a), Err(b)) => assert_eq!(a.kind(), b.kind()),
        (a, b) => panic!("reader {a:?}, serde {b:?}"),
    }
    if let Ok(statement) = RootStatement::parse(data) {
        let _ = Root::<2>::from_statement(&statement);
    }
    let _ = trust::decode::<2>(data);
});
