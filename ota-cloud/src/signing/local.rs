//! [`LocalSigner`]: a [`Signer`] over a [`PrivateKey`] held in this process.

use ota_core::crypto::{Algorithm, Digest, PublicKey, SignatureEncoding, TrustedKey};
use p256::ecdsa::signature::hazmat::PrehashSigner as _;
use sha2::Digest as _;

use super::key::{Inner, PrivateKey};
use super::{Signer, SigningError};

/// Signs with a private key in memory, with one fixed [`Algorithm`].
///
/// The bytes are those of `openssl dgst -sha256 -sign`: a DER `ECDSA-Sig-Value` for P-256
/// (deterministic nonces, RFC 6979, so not byte-equal to OpenSSL's randomised ones), and for
/// RSA the PKCS#1 v1.5 signature (byte-equal to OpenSSL's) or a PSS signature with
/// MGF1-SHA-256 and the algorithm's salt length. RSA uses blinding from the OS RNG.
///
/// Every signature is verified with the key's public key before it is returned, so a fault
/// in the private operation never leaves the process. [`Signer::sign`] hashes the message
/// once; [`Signer::sign_digest`] signs a SHA-256 the caller computed (for an image streamed
/// from disk), with the same result.
#[derive(Debug, Clone)]
pub struct LocalSigner {
    key: PrivateKey,
    trusted: TrustedKey,
}

impl LocalSigner {
    /// A signer using `key` with `algorithm`.
    ///
    /// # Errors
    /// [`SigningError::AlgorithmMismatch`] when the algorithm does not fit the key (ECDSA
    /// with RSA, RSA with P-256, a PSS salt too long for the modulus).
    pub fn new(key: PrivateKey, algorithm: Algorithm) -> Result<Self, SigningError> {
        let mismatch = SigningError::AlgorithmMismatch {
            key: key.kind(),
            algorithm,
        };
        let supported = matches!(
            algorithm,
            Algorithm::EcdsaP256Sha256
                | Algorithm::RsaPkcs1v15Sha256
                | Algorithm::RsaPssSha256 { .. }
        );
        if !supported {
            return Err(mismatch);
        }
        let trusted = TrustedKey::new(key.public_key().clone(), algorithm).map_err(|_| mismatch)?;
        Ok(Self { key, trusted })
    }

    /// [`LocalSigner::new`] with [`PrivateKey::default_algorithm`].
    ///
    /// # Errors
    /// [`SigningError::AlgorithmMismatch`] for `pss` with a P-256 key.
    pub fn with_default_algorithm(key: PrivateKey, pss: bool) -> Result<Self, SigningError> {
        let algorithm = key.default_algorithm(pss)?;
        Self::new(key, algorithm)
    }

    /// The key.
    pub const fn key(&self) -> &PrivateKey {
        &self.key
    }
}

impl Signer for LocalSigner {
    fn algorithm(&self) -> Algorithm {
        self.trusted.algorithm()
    }

    fn public_key(&self) -> &PublicKey {
        self.key.public_key()
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SigningError> {
        self.sign_digest(&sha2::Sha256::digest(message).into())
    }

    fn sign_digest(&self, sha256: &[u8; 32]) -> Result<Vec<u8>, SigningError> {
        let signature = match (self.key.inner(), self.algorithm()) {
            (Inner::P256(key), Algorithm::EcdsaP256Sha256) => {
                let sig: p256::ecdsa::Signature = key
                    .sign_prehash(sha256)
                    .map_err(|e| SigningError::Sign(e.to_string()))?;
                sig.to_der().as_bytes().to_vec()
            }
            (Inner::Rsa(key), Algorithm::RsaPkcs1v15Sha256) => {
                sign_rsa(key, rsa::Pkcs1v15Sign::new::<sha2::Sha256>(), sha256)?
            }
            (Inner::Rsa(key), Algorithm::RsaPssSha256 { salt_len }) => sign_rsa(
                key,
                rsa::Pss::<sha2::Sha256>::new_with_salt(salt_len),
                sha256,
            )?,
            // `new` admits no other pair.
            (_, algorithm) => {
                return Err(SigningError::AlgorithmMismatch {
                    key: self.key.kind(),
                    algorithm,
                });
            }
        };
        self.trusted
            .verify_digest(&Digest::Sha256(*sha256), &signature, SignatureEncoding::Der)
            .map_err(|_| SigningError::SelfCheck)?;
        Ok(signature)
    }
}

fn sign_rsa<S: rsa::traits::SignatureScheme>(
    key: &rsa::PrivateKey,
    scheme: S,
    sha256: &[u8; 32],
) -> Result<Vec<u8>, SigningError> {
    key.sign_with_rng(&mut getrandom::SysRng, scheme, sha256)
        .map_err(|e| match e {
            rsa::Error::Rng => SigningError::Rng(e.to_string()),
            _ => SigningError::Sign(e.to_string()),
        })
}
