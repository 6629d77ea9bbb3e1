//! The P-256 backend of feature `p256-cm4` on 32-bit Arm: `p256-cm4` (Emill's
//! P256-Cortex-M4 in Rust with `naked_asm`, MIT), for Cortex-M4 and M33 (DSP instructions).
//! The same three functions as the portable backend (`p256_key.rs`), with the same errors;
//! Wycheproof's vectors run through it on the target (`examples/cortex-m`).
//!
//! Keys are held as little-endian 32-bit words, the form its assembly takes.

use super::CryptoError;
use super::ecdsa_der::Scalars;

/// A P-256 public key: a point on the curve (affine, little-endian words).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct P256Key {
    x: [u32; 8],
    y: [u32; 8],
}

impl P256Key {
    /// A SEC1 point, 33 bytes compressed or 65 uncompressed (the caller checked the form);
    /// `None` off the curve. A decompressed point is checked on the curve again through its
    /// uncompressed form: p256-cm4 0.4.0 as published decompresses wrongly and does not
    /// check the result (see `examples/cortex-m/vendor/p256-cm4/PATCHED.md`), so with it
    /// compressed keys are refused rather than taken off the curve.
    pub(crate) fn from_sec1(point: &[u8]) -> Option<Self> {
        if !matches!(point.len(), 33 | 65) {
            return None;
        }
        let (mut x, mut y) = ([0u32; 8], [0u32; 8]);
        if !p256_cm4::octet_string_to_point(&mut x, &mut y, point) {
            return None;
        }
        let key = Self { x, y };
        if point.len() == 33 {
            let (mut x2, mut y2) = ([0u32; 8], [0u32; 8]);
            let on_curve = p256_cm4::octet_string_to_point(&mut x2, &mut y2, &key.uncompressed());
            return on_curve.then_some(key);
        }
        Some(key)
    }

    /// An uncompressed SEC1 point (`04‖x‖y`), as [`Self::from_sec1`] (`p256-cm4` decodes
    /// both forms in one function).
    pub(crate) fn from_uncompressed(point: &[u8; 65]) -> Option<Self> {
        Self::from_sec1(point)
    }

    /// The uncompressed SEC1 form (`04‖x‖y`).
    pub(crate) fn uncompressed(&self) -> [u8; 65] {
        let mut out = [0u8; 65];
        p256_cm4::point_to_octet_string_uncompressed(&mut out, &self.x, &self.y);
        out
    }

    /// As the portable backend's `verify`.
    pub(crate) fn verify(
        &self,
        digest: &[u8; 32],
        signature: &Scalars,
        low_s: bool,
    ) -> Result<(), CryptoError> {
        let (r, s) = (words(&signature.r), words(&signature.s));
        if !p256_cm4::check_range_n(&r) || !p256_cm4::check_range_n(&s) {
            return Err(CryptoError::BadSignatureEncoding);
        }
        if low_s && signature.high_s() {
            return Err(CryptoError::HighS);
        }
        if p256_cm4::verify(&self.x, &self.y, digest, &r, &s) {
            Ok(())
        } else {
            Err(CryptoError::SignatureInvalid)
        }
    }
}

/// A big-endian 256-bit number as little-endian 32-bit words.
fn words(big_endian: &[u8; 32]) -> [u32; 8] {
    let mut out = [0u32; 8];
    for (word, chunk) in out.iter_mut().zip(big_endian.rchunks_exact(4)) {
        *word = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
    }
    out
}
