//! [`PortableP256`]: ota-core's portable P-256 verification as a [`P256Accelerator`].

use super::ecdsa_der::Scalars;
use super::p256_portable::P256Key;
use super::{P256Accelerator, P256Point, P256Verdict};

/// The verification of ota-core's default backend (RustCrypto's `p256`, in the frames of
/// its `small-stack`-aware verifier) behind the [`P256Accelerator`] trait.
///
/// What a `std` build uses while no accelerator is installed. An application may install
/// it itself: on a board variant without the hardware, or to compare its accelerator with
/// on the device. Installing it links the portable verification that the feature otherwise
/// leaves out (11.9 KB on the QEMU Cortex-M4 firmware, `examples/cortex-m/README.md`). Never
/// answers [`P256Verdict::Fault`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PortableP256;

impl P256Accelerator for PortableP256 {
    fn verify_prehash(
        &self,
        key: &P256Point,
        digest: &[u8; 32],
        r: &[u8; 32],
        s: &[u8; 32],
    ) -> P256Verdict {
        // `key` is on the curve (its only constructor checked), so this decodes.
        let Some(key) = P256Key::from_sec1(&key.to_uncompressed()) else {
            return P256Verdict::Invalid;
        };
        match key.verify(digest, &Scalars { r: *r, s: *s }, false) {
            Ok(()) => P256Verdict::Valid,
            Err(_) => P256Verdict::Invalid,
        }
    }
}
