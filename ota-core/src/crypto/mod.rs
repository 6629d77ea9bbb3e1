//! Firmware signature verification: ECDSA P-256 and RSA (PKCS#1 v1.5, PSS) with SHA-256.
//!
//! The pieces, in the order a device uses them:
//!
//! 1. [`PublicKey`] parses a key (SPKI DER or PEM, SEC1 point, PKCS#1) and checks it (RSA:
//!    2048 to 8192 bits, e = 65537). [`KeyId`] is the SHA-256 of its canonical SPKI.
//! 2. [`TrustedKey`] binds the key to the one [`Algorithm`] it may verify; [`TrustStore`]
//!    holds the trusted keys in a fixed array.
//! 3. [`decode_signature`] reads the base64 signature from a job document into a fixed buffer
//!    of [`MAX_SIGNATURE_LEN`] (512) bytes: P-256 and RSA up to 4096 bits. RSA-6144 and
//!    RSA-8192 signatures (768 and 1024 bytes) take [`decode_base64`] and a
//!    [`MAX_VERIFIABLE_SIGNATURE_LEN`] buffer.
//! 4. [`ImageHasher`] (legacy: the signature covers the file) or [`ImageVerifier`] (the file's
//!    length and SHA-256 come from signed data) streams the image with an exact length bound.
//! 5. [`TrustStore::verify_digest`] or [`TrustedKey::verify_digest`] checks the signature.
//!
//! P-256 arithmetic is done by one backend, chosen by a feature: RustCrypto's `p256`
//! (default), `p256-cm4`'s Cortex-M4 assembly (`p256-cm4`), or the application's
//! `P256Accelerator` (`p256-accelerator`: see `install_p256_accelerator`). The key decides
//! the algorithm in every case; the backend only computes.
//!
//! What it does not do: choose keys from anything the cloud sends (the `certfile` field only
//! names a key already in the store), detect algorithms or PSS salt lengths from signatures,
//! sign, or parse certificates (see the `x509` module). No allocation except inside RSA: RSA
//! needs the `alloc` feature and is refused with [`CryptoError::Unsupported`] without it;
//! P-256 works in plain `no_std`. So a device without `alloc` verifies P-256 signatures only,
//! at most 72 bytes ([`MAX_VERIFIABLE_SIGNATURE_LEN`]); with `alloc`, RSA up to 8192 bits
//! ([`MAX_RSA_BITS`]) and signatures up to 1024 bytes.
//!
//! ```
//! use ota_core::crypto::{
//!     decode_signature, Algorithm, Base64Mode, ImageHasher, PublicKey, SignatureEncoding,
//!     TrustStore, TrustedKey, MAX_SIGNATURE_LEN,
//! };
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let pem = include_str!("../../tests/fixtures/openssl/p256_pub.pem");
//! let image = include_bytes!("../../tests/fixtures/openssl/message.bin");
//! let sig_b64 = include_str!("../../tests/fixtures/openssl/p256_sig.b64");
//!
//! let mut store = TrustStore::<4>::new();
//! store.add(TrustedKey::new(PublicKey::from_spki_pem(pem)?, Algorithm::EcdsaP256Sha256)?)?;
//!
//! let mut buf = [0u8; MAX_SIGNATURE_LEN];
//! let signature = decode_signature(sig_b64, &mut buf, Base64Mode::AwsLenient)?;
//!
//! let mut hasher = ImageHasher::new_unsigned_length(image.len() as u64);
//! for chunk in image.chunks(4096) {
//!     hasher.update(chunk)?;
//! }
//! let digest = hasher.finish()?;
//! let key = store.verify_digest(None, &digest, signature, SignatureEncoding::Der)?;
//! println!("verified by {}", key.key_id());
//! # Ok(())
//! # }
//! ```

mod algorithm;
#[cfg(feature = "aws-lc")]
mod aws_lc;
mod base64;
mod digest;
mod ecdsa_der;
mod error;
mod image;
mod key;
mod key_id;
#[cfg(feature = "p256-accelerator")]
mod p256_accelerator;
#[cfg(feature = "p256-accelerator")]
mod p256_install;
// The P-256 backend: `p256-accelerator` before `aws-lc` before `p256-cm4` (on 32-bit Arm)
// before the portable one.
#[cfg_attr(feature = "p256-accelerator", path = "p256_key_accelerator.rs")]
#[cfg_attr(
    all(feature = "aws-lc", not(feature = "p256-accelerator")),
    path = "p256_key_aws_lc.rs"
)]
#[cfg_attr(
    all(
        feature = "p256-cm4",
        target_arch = "arm",
        not(any(feature = "p256-accelerator", feature = "aws-lc"))
    ),
    path = "p256_key_cm4.rs"
)]
mod p256_key;
// With an accelerator or AWS-LC, the portable backend decodes keys (and with an
// accelerator is `PortableP256`).
#[cfg(any(feature = "p256-accelerator", feature = "aws-lc"))]
#[path = "p256_key.rs"]
mod p256_portable;
#[cfg(feature = "p256-accelerator")]
mod p256_portable_accelerator;
#[cfg(any(
    feature = "p256-accelerator",
    not(any(feature = "aws-lc", all(feature = "p256-cm4", target_arch = "arm")))
))]
mod p256_verify;
mod pem;
mod quorum;
mod store;
mod trusted;

pub use algorithm::{Algorithm, AlgorithmFamily, HashAlgorithm, SignatureEncoding};
pub use base64::{
    Base64Mode, MAX_SIGNATURE_BASE64_LEN, MAX_SIGNATURE_LEN, MAX_VERIFIABLE_SIGNATURE_LEN,
    decode_base64, decode_signature, encoded_len,
};
pub use digest::{Digest, Hasher};
pub use error::{CryptoError, ImageError};
pub use image::{ImageHasher, ImageVerifier};
pub use key::{KeyKind, MAX_RSA_BITS, MAX_SPKI_LEN, PublicKey, RsaKeyPolicy};
pub use key_id::KeyId;
#[cfg(feature = "p256-accelerator")]
pub use p256_accelerator::{P256Accelerator, P256Point, P256Verdict};
#[cfg(feature = "p256-accelerator")]
pub use p256_install::{AlreadyInstalled, install_p256_accelerator, p256_accelerator};
#[cfg(feature = "p256-accelerator")]
pub use p256_portable_accelerator::PortableP256;
pub use quorum::{ListedSignature, MAX_SIGNATURES, Offered, Quorum, QuorumError, Signers, Tally};
pub use store::TrustStore;
pub use trusted::TrustedKey;

/// A P-256 signing key made from `seed` and the trusted key that verifies it, for tests.
#[cfg(test)]
pub(crate) fn p256_test_key(seed: u8) -> (p256::ecdsa::SigningKey, TrustedKey) {
    let signing = p256::ecdsa::SigningKey::from_slice(&[seed; 32]).unwrap();
    let point = signing.verifying_key().to_sec1_point(false);
    let public = PublicKey::from_sec1(point.as_bytes()).unwrap();
    let trusted = TrustedKey::new(public, Algorithm::EcdsaP256Sha256).unwrap();
    (signing, trusted)
}
