//! ECDSA P-256 verification (SEC 1 v2, 4.1.4) in steps that each get their own stack frame.
//!
//! The computation is the one `p256`'s `verify_prehash` performs, on `p256`'s own scalar and
//! point arithmetic: u1 = z·s⁻¹, u2 = r·s⁻¹ (mod n), then valid iff the x-coordinate of
//! u1·G + u2·Q, reduced mod n, equals r (the identity has x = 0, and r is never 0). Only the
//! grouping differs: inlined as one function it takes a ~4.5 KB stack frame on Cortex-M
//! (opt-level "s"). u1·G + u2·Q alone takes ~4 KB computed as one interleaved
//! multiplication (two w-NAF tables and digit strings at once); with the `small-stack`
//! feature it is two multiplications in turn with a w-NAF window of 4, ~0.9 KB, at ~68 % more
//! verification time.
//! `tests/wycheproof.rs` and `tests/openssl_kat.rs` check the whole against published vectors.

use p256::ecdsa::Signature;
use p256::elliptic_curve::ops::{Invert, MulByGeneratorVartime, Reduce};
use p256::elliptic_curve::point::AffineCoordinates;
use p256::{AffinePoint, FieldBytes, ProjectivePoint, Scalar};

/// Whether `signature` is valid for the 32-byte prehash `digest` under the key `q`.
pub(super) fn verify(q: &AffinePoint, digest: &[u8; 32], signature: &Signature) -> bool {
    let (u1, u2) = coefficients(digest, signature);
    let q = ProjectivePoint::from(*q);
    let point = if cfg!(feature = "small-stack") {
        in_turn(&u1, &u2, &q)
    } else {
        interleaved(&u1, &u2, &q)
    };
    let (r, _) = signature.split_scalars();
    *r == Scalar::reduce(&affine_x(&point))
}

/// u1 = z·s⁻¹ and u2 = r·s⁻¹ (mod n), z being the digest reduced mod n.
#[inline(never)]
fn coefficients(digest: &[u8; 32], signature: &Signature) -> (Scalar, Scalar) {
    let (r, s) = signature.split_scalars();
    let z = Scalar::reduce(&FieldBytes::from(*digest));
    let s_inv = *s.invert_vartime();
    (z * s_inv, *r * s_inv)
}

/// u1·G + u2·Q in one interleaved multiplication (shared doublings).
#[inline(never)]
fn interleaved(u1: &Scalar, u2: &Scalar, q: &ProjectivePoint) -> ProjectivePoint {
    ProjectivePoint::mul_by_generator_and_mul_add_vartime(u1, u2, q)
}

/// u1·G + u2·Q as two multiplications, one after the other.
#[inline(never)]
fn in_turn(u1: &Scalar, u2: &Scalar, q: &ProjectivePoint) -> ProjectivePoint {
    multiple(&ProjectivePoint::GENERATOR, u1) + multiple(q, u2)
}

/// k·P by w-NAF with a window of 4 (4 precomputed points), not p256's 5 (8 points): 384 B
/// less stack for the small-stack path, a few more additions.
#[inline(never)]
fn multiple(p: &ProjectivePoint, k: &Scalar) -> ProjectivePoint {
    use wnaf::array::typenum::U4;
    wnaf::WnafBase::<ProjectivePoint, U4>::new(p) * wnaf::WnafScalar::<Scalar, U4>::new(k)
}

#[inline(never)]
fn affine_x(p: &ProjectivePoint) -> FieldBytes {
    p.to_affine().x()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::Digest;

    fn scalar(seed: u32) -> Scalar {
        let digest = Digest::sha256(&seed.to_le_bytes());
        let bytes: [u8; 32] = digest.as_bytes().try_into().unwrap();
        Scalar::reduce(&FieldBytes::from(bytes))
    }

    #[test]
    fn both_ways_of_combining_agree() {
        let k = scalar(0);
        let q = ProjectivePoint::GENERATOR.mul_vartime(&k);
        // u1 = -u2·k makes the sum the identity, whose x is 0.
        let identity = (-(scalar(1) * k), scalar(1));
        let edges = [
            (Scalar::ZERO, Scalar::ZERO),
            (Scalar::ONE, Scalar::ZERO),
            identity,
        ];
        let random = (1..40).map(|i| (scalar(2 * i), scalar(2 * i + 1)));
        for (u1, u2) in edges.into_iter().chain(random) {
            assert_eq!(in_turn(&u1, &u2, &q), interleaved(&u1, &u2, &q));
        }
        let x = affine_x(&interleaved(&identity.0, &identity.1, &q));
        assert_eq!(x, FieldBytes::default());
    }
}
