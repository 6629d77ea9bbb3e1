//! Feature `p256-accelerator`: the firmware's "hardware" P-256 accelerator, a software
//! stand-in. It plays the part an STM32 PKA or an nRF CryptoCell driver would: the
//! application implements `ota_core::crypto::P256Accelerator` and installs it at boot;
//! ota-core then hands it every P-256 verification (a checked key, the SHA-256, r and s in
//! range) and links none of its own. Here the work is `p256-cm4`'s Cortex-M4 assembly,
//! called directly, not through ota-core's `p256-cm4` backend.
//!
//! Counts its calls, so that a run shows the verification went through it.

use core::sync::atomic::{AtomicU32, Ordering};

use ota_core::crypto::{
    AlreadyInstalled, P256Accelerator, P256Point, P256Verdict, install_p256_accelerator,
};

/// The stand-in accelerator.
pub struct SoftPka {
    calls: AtomicU32,
}

static PKA: SoftPka = SoftPka {
    calls: AtomicU32::new(0),
};

/// Install the stand-in as ota-core's P-256 accelerator (once, at boot).
pub fn install() -> Result<(), AlreadyInstalled> {
    install_p256_accelerator(&PKA)
}

/// Verifications the stand-in has done since boot.
pub fn calls() -> u32 {
    PKA.calls.load(Ordering::Relaxed)
}

impl P256Accelerator for SoftPka {
    fn verify_prehash(
        &self,
        key: &P256Point,
        digest: &[u8; 32],
        r: &[u8; 32],
        s: &[u8; 32],
    ) -> P256Verdict {
        self.calls.fetch_add(1, Ordering::Relaxed);
        // p256-cm4 checks the key on the curve and r, s in range again, as a PKA may.
        if p256_cm4::verify(
            &words(key.x()),
            &words(key.y()),
            digest,
            &words(r),
            &words(s),
        ) {
            P256Verdict::Valid
        } else {
            P256Verdict::Invalid
        }
    }
}

/// A big-endian 256-bit number as the little-endian 32-bit words p256-cm4 takes.
fn words(big_endian: &[u8; 32]) -> [u32; 8] {
    let mut out = [0u32; 8];
    for (word, chunk) in out.iter_mut().zip(big_endian.rchunks_exact(4)) {
        *word = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
    }
    out
}
