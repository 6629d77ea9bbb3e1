//! Release signing: the [`Signer`] trait and keys held locally.
//!
//! A [`Signer`] makes the signatures devices check with [`ota_core::crypto`]: over a message
//! (a manifest's bytes, or an image for `afr_ota`), with SHA-256, in the encoding
//! `openssl dgst -sha256 -sign` writes. [`LocalSigner`] does it with a [`PrivateKey`] in
//! memory, loaded from OpenSSL's PEM or generated here (P-256, RSA-2048, RSA-3072).
//!
//! What this module does not do: read passphrases or encrypted keys, talk to a KMS or an
//! HSM (a remote signer implements [`Signer`]), choose an algorithm from a signature, or
//! write files.
//!
//! ```
//! use ota_cloud::signing::{KeyAlgorithm, LocalSigner, PrivateKey, Signer};
//! use ota_core::crypto::{SignatureEncoding, TrustedKey};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let key = PrivateKey::generate(KeyAlgorithm::P256)?;
//! let signer = LocalSigner::with_default_algorithm(key, false)?;
//! let signature = signer.sign(b"manifest bytes")?;
//!
//! // What a device does with the public key it was given.
//! let trusted = TrustedKey::new(signer.public_key().clone(), signer.algorithm())?;
//! trusted.verify_message(b"manifest bytes", &signature, SignatureEncoding::Der)?;
//! # Ok(())
//! # }
//! ```

mod error;
mod key;
mod local;
mod pem;

pub use error::SigningError;
pub use key::{KeyAlgorithm, PrivateKey};
pub use local::LocalSigner;

use ota_core::crypto::{Algorithm, KeyId, PublicKey};

/// Something that signs releases with one key and one algorithm.
///
/// `sign` returns exactly the bytes `openssl dgst -sha256 -sign` would for the same key and
/// algorithm: for ECDSA a DER `ECDSA-Sig-Value`, for RSA the big-endian signature of the
/// modulus length (PKCS#1 v1.5, or PSS with MGF1-SHA-256). `sign` hashes the message
/// itself; `sign_digest` signs the SHA-256 of a message too large to hold in memory (an image
/// streamed from disk), and a signer that must see every message it signs may refuse it.
pub trait Signer {
    /// The algorithm every signature uses.
    fn algorithm(&self) -> Algorithm;

    /// The public key, as devices parse it.
    fn public_key(&self) -> &PublicKey;

    /// The key id devices use to pick the key (SHA-256 of the SPKI DER).
    fn key_id(&self) -> KeyId {
        self.public_key().key_id()
    }

    /// Sign `message` (hashed with SHA-256 here).
    ///
    /// # Errors
    /// [`SigningError`] when the key or its RNG fails; never a partial signature.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SigningError>;

    /// Sign the message whose SHA-256 is `sha256`: the same signature [`Signer::sign`] gives
    /// for that message. Does not hash anything.
    ///
    /// # Errors
    /// [`SigningError`] as for `sign`; by default [`SigningError::DigestUnsupported`], for
    /// signers that sign whole messages only.
    fn sign_digest(&self, sha256: &[u8; 32]) -> Result<Vec<u8>, SigningError> {
        let _ = sha256;
        Err(SigningError::DigestUnsupported)
    }
}

#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;
