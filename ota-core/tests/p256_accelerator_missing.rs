//! Feature `p256-accelerator` with no accelerator installed: a binary of its own, since
//! `p256_accelerator.rs` installs one and the slot is process-wide.
//!
//! Without `std` (`cargo test -p ota-core --no-default-features --features
//! p256-accelerator --test p256_accelerator_missing`) every P-256 verification is refused
//! with `CryptoError::NoP256Accelerator`, after the checks that need no curve arithmetic;
//! with `std` the portable code verifies instead.

use ota_core::crypto::{
    Algorithm, CryptoError, Digest, PublicKey, SignatureEncoding, TrustStore, TrustedKey,
    p256_accelerator,
};

/// OpenSSL's key and its signature of `message.bin` (`tests/fixtures/openssl/`).
fn fixture() -> (TrustStore<1>, Digest, &'static [u8]) {
    let key = PublicKey::from_spki_der(include_bytes!("fixtures/openssl/p256_pub.der")).unwrap();
    let mut store = TrustStore::new();
    store
        .add(TrustedKey::new(key, Algorithm::EcdsaP256Sha256).unwrap())
        .unwrap();
    let digest = Digest::sha256(include_bytes!("fixtures/openssl/message.bin"));
    (
        store,
        digest,
        include_bytes!("fixtures/openssl/p256_sig.der"),
    )
}

fn verify(signature: &[u8]) -> Result<(), CryptoError> {
    let (store, digest, _) = fixture();
    store
        .verify_digest(None, &digest, signature, SignatureEncoding::Der)
        .map(drop)
}

#[test]
fn none_is_installed() {
    assert!(p256_accelerator().is_none());
}

#[test]
fn malformed_signatures_are_refused_before_any_accelerator_is_needed() {
    let (_, _, signature) = fixture();
    let mut trailing = signature.to_vec();
    trailing.push(0);
    assert_eq!(verify(&trailing), Err(CryptoError::BadSignatureEncoding));
    let zero_r = [0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01];
    assert_eq!(verify(&zero_r), Err(CryptoError::BadSignatureEncoding));
}

#[cfg(not(feature = "std"))]
#[test]
fn without_std_every_signature_is_refused_with_a_typed_error() {
    let (_, _, signature) = fixture();
    assert_eq!(verify(signature), Err(CryptoError::NoP256Accelerator));
    let mut tampered = signature.to_vec();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert_eq!(verify(&tampered), Err(CryptoError::NoP256Accelerator));
}

#[cfg(feature = "std")]
#[test]
fn with_std_the_portable_code_verifies() {
    let (_, _, signature) = fixture();
    assert_eq!(verify(signature), Ok(()));
    let mut tampered = signature.to_vec();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert_eq!(verify(&tampered), Err(CryptoError::SignatureInvalid));
}
