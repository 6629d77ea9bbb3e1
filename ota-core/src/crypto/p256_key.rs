//! The P-256 implementation behind [`super::PublicKey`]: a validated point, its uncompressed
//! form, and the verification of a prehashed signature given as two scalars
//! ([`super::ecdsa_der::Scalars`], decoded without curve arithmetic). Everything that needs
//! P-256 arithmetic goes through these three functions, so that another backend (the
//! firmware issue's Cortex-M4 assembly, a hardware accelerator) replaces this file and
//! nothing else. This one is RustCrypto's `p256` (portable), with the verification in the
//! frames of [`super::p256_verify`].

use super::CryptoError;
use super::ecdsa_der::Scalars;

/// A P-256 public key: a point on the curve, not the identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct P256Key(p256::ecdsa::VerifyingKey);

impl P256Key {
    /// A SEC1 point, 33 bytes compressed or 65 uncompressed (the caller checked the form);
    /// `None` off the curve.
    pub(crate) fn from_sec1(point: &[u8]) -> Option<Self> {
        p256::ecdsa::VerifyingKey::from_sec1_bytes(point)
            .ok()
            .map(Self)
    }

    /// The uncompressed SEC1 form (`04‖x‖y`).
    pub(crate) fn uncompressed(&self) -> [u8; 65] {
        let mut out = [0u8; 65];
        out.copy_from_slice(self.0.to_sec1_point(false).as_bytes());
        out
    }

    /// Check `signature` over the SHA-256 `digest`: r and s in 1..n
    /// ([`CryptoError::BadSignatureEncoding`] otherwise), s at most (n - 1) / 2 when
    /// `low_s` ([`CryptoError::HighS`]), then the ECDSA equation
    /// ([`CryptoError::SignatureInvalid`]).
    pub(crate) fn verify(
        &self,
        digest: &[u8; 32],
        signature: &Scalars,
        low_s: bool,
    ) -> Result<(), CryptoError> {
        let scalars = p256::ecdsa::Signature::from_scalars(signature.r, signature.s)
            .map_err(|_| CryptoError::BadSignatureEncoding)?;
        if low_s && signature.high_s() {
            return Err(CryptoError::HighS);
        }
        if super::p256_verify::verify(self.0.as_affine(), digest, &scalars) {
            Ok(())
        } else {
            Err(CryptoError::SignatureInvalid)
        }
    }
}
