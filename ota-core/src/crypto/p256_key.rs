//! The P-256 implementation behind [`super::PublicKey`]: a validated point, its uncompressed
//! form, and the verification of a prehashed signature given as two scalars
//! ([`super::ecdsa_der::Scalars`], decoded without curve arithmetic). Everything that needs
//! P-256 arithmetic goes through these three functions, so that another backend (the
//! firmware issue's Cortex-M4 assembly, a hardware accelerator) replaces this file and
//! nothing else. This one is RustCrypto's `p256` (portable), with the verification in the
//! frames of [`super::p256_verify`].

#[cfg(any(feature = "p256-accelerator", not(feature = "aws-lc")))]
use super::{CryptoError, ecdsa_der::Scalars};

/// A P-256 public key: a point on the curve, not the identity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct P256Key(p256::AffinePoint);

impl P256Key {
    /// A SEC1 point, 33 bytes compressed or 65 uncompressed (the caller checked the form);
    /// `None` off the curve. Built from the coordinates directly, not through `sec1`'s
    /// encoded point, whose tag check `expect`s and so links the `Debug` of its errors.
    pub(crate) fn from_sec1(point: &[u8]) -> Option<Self> {
        use p256::elliptic_curve::point::DecompressPoint as _;
        let (&tag, rest) = point.split_first()?;
        let field = |bytes: &[u8]| -> Option<p256::FieldBytes> {
            let bytes: [u8; 32] = bytes.try_into().ok()?;
            Some(bytes.into())
        };
        let affine = match (tag, rest.len()) {
            (0x04, 64) => return Self::from_uncompressed(point.try_into().ok()?),
            (0x02 | 0x03, 32) => p256::AffinePoint::decompress(
                &field(rest)?,
                p256::elliptic_curve::subtle::Choice::from(tag & 1),
            ),
            _ => return None,
        };
        Option::from(affine).map(Self)
    }

    /// An uncompressed SEC1 point (`04‖x‖y`); `None` for another tag or off the curve. Links
    /// no point decompression.
    pub(crate) fn from_uncompressed(point: &[u8; 65]) -> Option<Self> {
        use p256::elliptic_curve::point::AffineCoordinates as _;
        let (&tag, rest) = point.split_first()?;
        let (x, y) = rest.split_first_chunk::<32>()?;
        let y: &[u8; 32] = y.try_into().ok()?;
        if tag != 0x04 {
            return None;
        }
        Option::from(p256::AffinePoint::from_coordinates(
            &(*x).into(),
            &(*y).into(),
        ))
        .map(Self)
    }

    /// The uncompressed SEC1 form (`04‖x‖y`).
    pub(crate) fn uncompressed(&self) -> [u8; 65] {
        use p256::elliptic_curve::point::AffineCoordinates as _;
        let mut out = [0u8; 65];
        out[0] = 0x04;
        out[1..33].copy_from_slice(&self.0.x());
        out[33..].copy_from_slice(&self.0.y());
        out
    }

    /// Check `signature` over the SHA-256 `digest`: r and s in 1..n
    /// ([`CryptoError::BadSignatureEncoding`] otherwise), s at most (n - 1) / 2 when
    /// `low_s` ([`CryptoError::HighS`]), then the ECDSA equation
    /// ([`CryptoError::SignatureInvalid`]). Not built when AWS-LC verifies (this file then
    /// only decodes keys).
    #[cfg(any(feature = "p256-accelerator", not(feature = "aws-lc")))]
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
        if super::p256_verify::verify(&self.0, digest, &scalars) {
            Ok(())
        } else {
            Err(CryptoError::SignatureInvalid)
        }
    }
}
