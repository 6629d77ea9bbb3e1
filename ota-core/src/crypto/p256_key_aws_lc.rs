//! The P-256 backend of feature `aws-lc` on std hosts: the same three functions as the
//! portable backend (`p256_key.rs`), with the same errors, and the ECDSA equation decided by
//! AWS-LC (`aws-lc-rs`, its assembly for x86-64 and AArch64).
//!
//! Keys are decoded and checked on the curve by the portable backend (`p256`'s field
//! arithmetic), exactly as without the feature, so the keys accepted do not change; AWS-LC
//! then parses the checked point once, when the key is loaded, not at each verification.
//! Signatures are checked for everything that needs no curve arithmetic (r and s in
//! 1..n-1, low-S when required) before AWS-LC is asked, as for an accelerator.

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, ParsedPublicKey};

use super::CryptoError;
use super::ecdsa_der::Scalars;

/// A P-256 public key: a point on the curve, not the identity, and AWS-LC's parsed copy.
#[derive(Clone)]
pub(crate) struct P256Key {
    point: super::p256_portable::P256Key,
    parsed: ParsedPublicKey,
}

impl P256Key {
    /// A SEC1 point, 33 bytes compressed or 65 uncompressed; `None` off the curve.
    pub(crate) fn from_sec1(point: &[u8]) -> Option<Self> {
        Self::parsed(super::p256_portable::P256Key::from_sec1(point)?)
    }

    /// An uncompressed SEC1 point (`04‖x‖y`) on the curve.
    pub(crate) fn from_uncompressed(point: &[u8; 65]) -> Option<Self> {
        Self::parsed(super::p256_portable::P256Key::from_uncompressed(point)?)
    }

    /// `None` only if AWS-LC refused a point `p256` accepted, which would be a bug of one of
    /// them: the key is then refused rather than verified by one and not the other.
    fn parsed(point: super::p256_portable::P256Key) -> Option<Self> {
        let parsed = ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point.uncompressed()).ok()?;
        Some(Self { point, parsed })
    }

    /// The uncompressed SEC1 form (`04‖x‖y`).
    pub(crate) fn uncompressed(&self) -> [u8; 65] {
        self.point.uncompressed()
    }

    /// As the portable backend's `verify`: r and s in 1..n-1
    /// ([`CryptoError::BadSignatureEncoding`]), s low when `low_s` ([`CryptoError::HighS`]),
    /// then the ECDSA equation over the prehash `digest`, by AWS-LC
    /// ([`CryptoError::SignatureInvalid`]).
    pub(crate) fn verify(
        &self,
        digest: &[u8; 32],
        signature: &Scalars,
        low_s: bool,
    ) -> Result<(), CryptoError> {
        super::ecdsa_der::precheck(signature, low_s)?;
        let digest = super::aws_lc::sha256_prehash(digest);
        let mut fixed = [0u8; 64];
        fixed[..32].copy_from_slice(&signature.r);
        fixed[32..].copy_from_slice(&signature.s);
        self.parsed
            .verify_digest_sig(&digest, &fixed)
            .map_err(|_| CryptoError::SignatureInvalid)
    }
}

impl PartialEq for P256Key {
    fn eq(&self, other: &Self) -> bool {
        self.point == other.point
    }
}

impl core::fmt::Debug for P256Key {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("P256Key").field(&self.point).finish()
    }
}
