//! The P-256 key the integration tests and the benches sign with (included with `#[path]`).

use ota_core::crypto::{Algorithm, PublicKey, TrustedKey};
use p256::ecdsa::SigningKey;

/// The P-256 key whose secret scalar is `[7; 32]`: its signing half, and its public half as
/// a trusted ECDSA P-256/SHA-256 key.
pub(crate) fn p256_key() -> (SigningKey, TrustedKey) {
    let signing = SigningKey::from_slice(&[7; 32]).unwrap();
    let point = signing.verifying_key().to_sec1_point(false);
    let key = TrustedKey::new(
        PublicKey::from_sec1(point.as_bytes()).unwrap(),
        Algorithm::EcdsaP256Sha256,
    )
    .unwrap();
    (signing, key)
}
