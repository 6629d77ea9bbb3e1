//! The P-256 backend of feature `p256-accelerator`: the same three functions as the portable
//! backend (`p256_key.rs`), with the verification done by the application's
//! [`P256Accelerator`].
//!
//! Keys are decoded and checked on the curve as the portable backend does (`p256`'s field
//! arithmetic: y² = x³ - 3x + b, and a square root for compressed points), so an
//! accelerator is never handed a point off the curve. Signatures are checked for everything
//! that needs no curve arithmetic (r and s in 1..n-1, low-S when required) before the
//! accelerator is called. Without `std` nothing here reaches `p256`'s scalar or point
//! arithmetic: ota-core's verification is not linked unless the application installs
//! [`super::PortableP256`].

use super::ecdsa_der::{Scalars, precheck};
use super::{CryptoError, P256Accelerator, P256Point, P256Verdict};

/// A P-256 public key: a point on the curve, not the identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct P256Key(P256Point);

impl P256Key {
    /// A SEC1 point, 33 bytes compressed or 65 uncompressed; `None` off the curve.
    pub(crate) fn from_sec1(point: &[u8]) -> Option<Self> {
        P256Point::from_sec1(point).map(Self)
    }

    /// An uncompressed SEC1 point (`04‖x‖y`) on the curve, checked by the portable backend
    /// without linking point decompression.
    pub(crate) fn from_uncompressed(point: &[u8; 65]) -> Option<Self> {
        let on_curve = super::p256_portable::P256Key::from_uncompressed(point)?;
        Some(Self(P256Point::from_uncompressed(&on_curve.uncompressed())))
    }

    /// The uncompressed SEC1 form (`04‖x‖y`).
    pub(crate) fn uncompressed(&self) -> [u8; 65] {
        self.0.to_uncompressed()
    }

    /// As the portable backend's `verify`, the ECDSA equation decided by the installed
    /// accelerator; [`CryptoError::NoP256Accelerator`] when none is (without `std`), and
    /// [`CryptoError::P256AcceleratorFault`] when it gives no verdict.
    pub(crate) fn verify(
        &self,
        digest: &[u8; 32],
        signature: &Scalars,
        low_s: bool,
    ) -> Result<(), CryptoError> {
        precheck(signature, low_s)?;
        let accelerator = super::p256_install::accelerator()?;
        ask(accelerator, &self.0, digest, signature)
    }
}

/// The accelerator's verdict as ota-core's result.
fn ask(
    accelerator: &dyn P256Accelerator,
    key: &P256Point,
    digest: &[u8; 32],
    signature: &Scalars,
) -> Result<(), CryptoError> {
    match accelerator.verify_prehash(key, digest, &signature.r, &signature.s) {
        P256Verdict::Valid => Ok(()),
        P256Verdict::Invalid => Err(CryptoError::SignatureInvalid),
        P256Verdict::Fault => Err(CryptoError::P256AcceleratorFault),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Says(P256Verdict);

    impl P256Accelerator for Says {
        fn verify_prehash(
            &self,
            _: &P256Point,
            _: &[u8; 32],
            _: &[u8; 32],
            _: &[u8; 32],
        ) -> P256Verdict {
            self.0
        }
    }

    fn scalars(r: u8, s: u8) -> Scalars {
        let (mut a, mut b) = ([0u8; 32], [0u8; 32]);
        a[31] = r;
        b[31] = s;
        Scalars { r: a, s: b }
    }

    #[test]
    fn verdicts_map_to_results() {
        let key = P256Point::from_sec1(&p256_generator()).unwrap();
        let sig = scalars(1, 1);
        let digest = [0u8; 32];
        assert_eq!(ask(&Says(P256Verdict::Valid), &key, &digest, &sig), Ok(()));
        assert_eq!(
            ask(&Says(P256Verdict::Invalid), &key, &digest, &sig),
            Err(CryptoError::SignatureInvalid)
        );
        assert_eq!(
            ask(&Says(P256Verdict::Fault), &key, &digest, &sig),
            Err(CryptoError::P256AcceleratorFault)
        );
    }

    #[test]
    fn out_of_range_and_high_s_are_decided_first() {
        assert_eq!(precheck(&scalars(1, 1), true), Ok(()));
        for bad in [scalars(0, 1), scalars(1, 0)] {
            assert_eq!(
                precheck(&bad, false),
                Err(CryptoError::BadSignatureEncoding)
            );
        }
        let mut high = scalars(1, 1);
        high.s[0] = 0x80;
        assert_eq!(precheck(&high, false), Ok(()));
        assert_eq!(precheck(&high, true), Err(CryptoError::HighS));
    }

    /// G, the generator, uncompressed.
    fn p256_generator() -> [u8; 65] {
        use p256::elliptic_curve::sec1::ToSec1Point as _;
        let g = p256::AffinePoint::GENERATOR.to_sec1_point(false);
        g.as_bytes().try_into().unwrap()
    }

    #[test]
    fn points_are_checked_on_the_curve() {
        let g = p256_generator();
        let point = P256Point::from_sec1(&g).unwrap();
        assert_eq!(point.to_uncompressed(), g);
        assert_eq!(point.x()[..], g[1..33]);
        assert_eq!(point.y()[..], g[33..]);
        let mut compressed = [0u8; 33];
        compressed[0] = 0x02 | (g[64] & 1);
        compressed[1..].copy_from_slice(&g[1..33]);
        assert_eq!(P256Point::from_sec1(&compressed), Some(point));
        let mut off = g;
        off[64] ^= 1;
        assert_eq!(P256Point::from_sec1(&off), None);
        assert_eq!(P256Point::from_sec1(&g[..64]), None);
        let mut hybrid = g;
        hybrid[0] = 0x06;
        assert_eq!(P256Point::from_sec1(&hybrid), None);
    }
}
