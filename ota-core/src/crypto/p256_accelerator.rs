//! Feature `p256-accelerator`: ECDSA P-256 verification supplied by the application (a
//! hardware accelerator such as an STM32 PKA, an nRF CryptoCell or a secure element): the
//! [`P256Accelerator`] trait, the [`P256Point`] it is given and the [`P256Verdict`] it gives.
//! How ota-core finds it: [`install_p256_accelerator`](super::install_p256_accelerator).

/// A P-256 public key as the accelerator receives it: affine coordinates, big-endian.
///
/// Always a point on the curve, not the identity: the only constructor,
/// [`P256Point::from_sec1`], checks it with `p256`'s field arithmetic (the same check
/// [`super::PublicKey::from_sec1`] makes), so an accelerator need not check again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct P256Point {
    x: [u8; 32],
    y: [u8; 32],
}

impl P256Point {
    /// A SEC1 point, 33 bytes compressed (`02`/`03`) or 65 uncompressed (`04`); `None` for
    /// another form or length, or a point off the curve. For an application's own tests of
    /// its accelerator: keys normally reach the accelerator from a [`super::PublicKey`].
    pub fn from_sec1(point: &[u8]) -> Option<Self> {
        let on_curve = super::p256_portable::P256Key::from_sec1(point)?;
        Some(Self::from_uncompressed(&on_curve.uncompressed()))
    }

    /// The coordinates of an uncompressed point (`04‖x‖y`) already checked on the curve.
    pub(super) fn from_uncompressed(point: &[u8; 65]) -> Self {
        let (mut x, mut y) = ([0u8; 32], [0u8; 32]);
        x.copy_from_slice(&point[1..33]);
        y.copy_from_slice(&point[33..]);
        Self { x, y }
    }

    /// The x-coordinate, 32 bytes big-endian.
    pub const fn x(&self) -> &[u8; 32] {
        &self.x
    }

    /// The y-coordinate, 32 bytes big-endian.
    pub const fn y(&self) -> &[u8; 32] {
        &self.y
    }

    /// The uncompressed SEC1 form, `04‖x‖y` (what CryptoCell-style APIs take).
    pub fn to_uncompressed(&self) -> [u8; 65] {
        let mut out = [0u8; 65];
        out[0] = 0x04;
        out[1..33].copy_from_slice(&self.x);
        out[33..].copy_from_slice(&self.y);
        out
    }
}

/// An accelerator's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum P256Verdict {
    /// The ECDSA equation holds: the signature is valid.
    Valid,
    /// The equation does not hold.
    Invalid,
    /// No answer: the hardware was busy, timed out or reported an error. ota-core refuses
    /// the signature with [`super::CryptoError::P256AcceleratorFault`]; it never retries.
    Fault,
}

/// ECDSA P-256 verification of a SHA-256 prehash, done by the application.
///
/// With feature `p256-accelerator`, every P-256 signature ota-core checks
/// ([`super::TrustedKey::verify_digest`] and all that builds on it: trust stores, quorums,
/// manifests, root statements) goes to the accelerator registered with
/// [`install_p256_accelerator`](super::install_p256_accelerator), and ota-core's own P-256
/// verification is not linked (without `std`; see that function for what `std` changes).
///
/// Before it calls, ota-core has decided everything that needs no curve arithmetic, so an
/// accelerator that always answered [`P256Verdict::Valid`] would still not make it accept:
/// - the signature is strict DER or exactly 64 bytes `r‖s` (anything else is refused with
///   [`super::CryptoError::BadSignatureEncoding`]);
/// - r and s are in 1..n-1 (n the group order): the same error otherwise;
/// - s is at most (n - 1) / 2 when the key requires low-S
///   ([`super::CryptoError::HighS`] otherwise);
/// - the key is a point on the curve, not the identity (checked when it was loaded);
/// - the algorithm is ECDSA P-256 with SHA-256 and `digest` is the message's SHA-256.
///
/// Must not panic. A hardware error is [`P256Verdict::Fault`], never `Valid`.
///
/// `Sync` because one accelerator serves every caller: a driver that needs `&mut` access
/// to its peripheral keeps it behind its own lock (e.g. a `critical_section::Mutex`).
pub trait P256Accelerator: Sync {
    /// Whether (`r`, `s`) is a valid ECDSA signature under `key` of the message whose
    /// SHA-256 is `digest`: with z = `digest` read as a big-endian integer, u1 = z·s⁻¹ and
    /// u2 = r·s⁻¹ (mod n), valid iff the x-coordinate of u1·G + u2·`key`, reduced mod n, is
    /// r. `r` and `s` are 32 bytes big-endian, already in range (see above). Does not hash:
    /// `digest` is the prehash, as PKA and CryptoCell "verify hash" operations take it.
    fn verify_prehash(
        &self,
        key: &P256Point,
        digest: &[u8; 32],
        r: &[u8; 32],
        s: &[u8; 32],
    ) -> P256Verdict;
}
