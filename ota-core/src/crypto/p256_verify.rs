//! ECDSA P-256 verification (SEC 1 v2, 4.1.4) in steps that each get their own stack frame.
//!
//! The computation is the one `p256`'s `verify_prehash` performs, on `p256`'s own scalar and
//! point arithmetic: u1 = z·s⁻¹, u2 = r·s⁻¹ (mod n), then valid iff the x-coordinate of
//! u1·G + u2·Q, reduced mod n, equals r (the identity has x = 0, and r is never 0). Only the
//! grouping differs: inlined as one function it takes a ~4.5 KB stack frame on Cortex-M
//! (opt-level "s"). u1·G + u2·Q alone takes ~4 KB computed as one interleaved
//! multiplication (two window-5 w-NAF tables and digit strings at once); with the
//! `small-stack` feature it is our own Straus multiplication ([`straus`]: the generator by
//! NAF from a constant, the key by a w-NAF with a window of 4, digits packed two to a byte),
//! ~0.6 KB, at ~11 % more verification time.
//! `tests/wycheproof.rs` and `tests/openssl_kat.rs` check the whole against published vectors.

use p256::ecdsa::Signature;
use p256::elliptic_curve::group::Group as _;
use p256::elliptic_curve::ops::{Invert, MulByGeneratorVartime, Reduce};
use p256::elliptic_curve::point::AffineCoordinates;
use p256::{AffinePoint, FieldBytes, ProjectivePoint, Scalar};

/// Whether `signature` is valid for the 32-byte prehash `digest` under the key `q`.
pub(super) fn verify(q: &AffinePoint, digest: &[u8; 32], signature: &Signature) -> bool {
    let (u1, u2) = coefficients(digest, signature);
    let q = ProjectivePoint::from(*q);
    let point = if cfg!(feature = "small-stack") {
        straus(&u1, &u2, &q)
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

/// u1·G + u2·Q by Straus's method: one pass of 257 doublings shared by both terms, each
/// adding a point of its own table at its non-zero digits. The generator's digits are its
/// NAF (±1: the table is the constant G, not on the stack); the key's are a w-NAF with a
/// window of 4 (Q, 3Q, 5Q, 7Q: 384 B). With the two digit strings packed two to a byte
/// (258 B), the frame is ~0.6 KB where p256's interleaved multiplication takes ~4 KB. Measured
/// on the Cortex-M3 and dropped: both tables of window 4 (+592 B of stack, -0.6 M
/// instructions), affine tables for mixed additions (their inversion's frames went 1.5 KB
/// deeper than the multiplication's).
#[inline(never)]
fn straus(u1: &Scalar, u2: &Scalar, q: &ProjectivePoint) -> ProjectivePoint {
    const G_TABLE: [ProjectivePoint; 1] = [ProjectivePoint::GENERATOR];
    let q_table = odd_multiples(q);
    let (d1, d2) = (Wnaf::of(u1, G_WINDOW), Wnaf::of(u2, Q_WINDOW));
    let mut acc = ProjectivePoint::IDENTITY;
    for i in (0..WNAF_DIGITS).rev() {
        acc = acc.double();
        for (table, digits) in [(&G_TABLE[..], &d1), (&q_table[..], &d2)] {
            let d = digits.get(i);
            // |d| is odd and at most 7: the table holds |d|·P at |d| / 2.
            let entry = &table[usize::from(d.unsigned_abs() / 2)];
            if d > 0 {
                acc += entry;
            } else if d < 0 {
                acc -= entry;
            }
        }
    }
    acc
}

const G_WINDOW: u32 = 2;
const Q_WINDOW: u32 = 4;

/// P, 3P, 5P, ...
fn odd_multiples(p: &ProjectivePoint) -> [ProjectivePoint; 1 << (Q_WINDOW - 2)] {
    let twice = p.double();
    let mut table = [*p; 1 << (Q_WINDOW - 2)];
    for i in 1..table.len() {
        table[i] = table[i - 1] + twice;
    }
    table
}

/// Digits of a w-NAF of a scalar below 2^256: at most one more than its bits.
const WNAF_DIGITS: usize = 257;

/// The width-w non-adjacent form of a scalar (w = 2 or 4 here), least significant digit
/// first: odd digits of magnitude below 2^(w-1), any two non-zero ones at least w apart, as
/// 4-bit two's-complement nibbles (two per byte, the even-numbered digit in the low nibble).
struct Wnaf([u8; WNAF_DIGITS.div_ceil(2)]);

impl Wnaf {
    fn of(k: &Scalar, window: u32) -> Self {
        use p256::elliptic_curve::PrimeField as _;
        // k as five little-endian 64-bit limbs: subtracting a negative digit can carry
        // past bit 255.
        let be = k.to_repr();
        let mut limbs = [0u64; 5];
        for (i, limb) in limbs.iter_mut().take(4).enumerate() {
            let at = 32 - 8 * (i + 1);
            let mut word = [0u8; 8];
            word.copy_from_slice(&be[at..at + 8]);
            *limb = u64::from_be_bytes(word);
        }
        let mut out = Self([0; WNAF_DIGITS.div_ceil(2)]);
        for i in 0..WNAF_DIGITS {
            if limbs.iter().all(|&l| l == 0) {
                break;
            }
            let mut digit = 0i8;
            if limbs[0] & 1 == 1 {
                // k mod 2^w, taken into -2^(w-1)..2^(w-1): k - digit is then divisible by 2^w.
                let width = 1i8 << window;
                let low = (limbs[0] & (width as u64 - 1)) as i8;
                digit = if low >= width / 2 { low - width } else { low };
                sub_small(&mut limbs, digit);
            }
            out.0[i / 2] |= ((digit as u8) & 0xf) << (4 * (i % 2));
            shift_right_one(&mut limbs);
        }
        out
    }

    /// Digit `i`, sign-extended.
    fn get(&self, i: usize) -> i8 {
        let nibble = (self.0[i / 2] >> (4 * (i % 2))) & 0xf;
        ((nibble << 4) as i8) >> 4
    }
}

/// `limbs -= digit` for a digit in -7..=7 (limbs at least `digit` when it is positive).
fn sub_small(limbs: &mut [u64; 5], digit: i8) {
    if digit >= 0 {
        let mut borrow = u64::from(digit.unsigned_abs());
        for limb in limbs.iter_mut() {
            let (value, under) = limb.overflowing_sub(borrow);
            *limb = value;
            borrow = u64::from(under);
        }
    } else {
        let mut carry = u64::from(digit.unsigned_abs());
        for limb in limbs.iter_mut() {
            let (value, over) = limb.overflowing_add(carry);
            *limb = value;
            carry = u64::from(over);
        }
    }
}

fn shift_right_one(limbs: &mut [u64; 5]) {
    for i in 0..limbs.len() {
        let high = limbs.get(i + 1).map_or(0, |next| next << 63);
        limbs[i] = (limbs[i] >> 1) | high;
    }
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
            assert_eq!(straus(&u1, &u2, &q), interleaved(&u1, &u2, &q));
        }
        // The largest scalars (n - 1, n - 2): digits carry past bit 255.
        let (top, next) = (-Scalar::ONE, -(Scalar::ONE + Scalar::ONE));
        for (u1, u2) in [(top, top), (top, next), (next, Scalar::ONE)] {
            assert_eq!(straus(&u1, &u2, &q), interleaved(&u1, &u2, &q));
        }
        let x = affine_x(&interleaved(&identity.0, &identity.1, &q));
        assert_eq!(x, FieldBytes::default());
    }

    #[test]
    fn wnaf_digits_are_odd_sparse_and_sum_to_the_scalar() {
        let scalars = [Scalar::ZERO, Scalar::ONE, -Scalar::ONE]
            .into_iter()
            .chain((0..200).map(scalar));
        for k in scalars {
            for window in [G_WINDOW, Q_WINDOW] {
                let digits = Wnaf::of(&k, window);
                // Σ d_i·2^i, evaluated mod n from the most significant digit.
                let mut sum = Scalar::ZERO;
                let mut last_non_zero = None;
                for i in (0..WNAF_DIGITS).rev() {
                    let d = digits.get(i);
                    sum = sum.double();
                    let magnitude = Scalar::from(u64::from(d.unsigned_abs()));
                    sum = if d < 0 {
                        sum - magnitude
                    } else {
                        sum + magnitude
                    };
                    if d != 0 {
                        let bound = (1i8 << (window - 1)) - 1;
                        assert!(d % 2 != 0 && (-bound..=bound).contains(&d), "digit {d}");
                        if let Some(j) = last_non_zero {
                            assert!(
                                j - i >= window as usize,
                                "non-zero digits {j} and {i} too close"
                            );
                        }
                        last_non_zero = Some(i);
                    }
                }
                assert_eq!(sum, k);
            }
        }
    }
}
