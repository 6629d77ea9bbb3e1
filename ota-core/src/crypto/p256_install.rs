//! Where ota-core finds the application's [`P256Accelerator`] (feature `p256-accelerator`):
//! one `static` slot, set once at boot.
//!
//! Why a registered `&'static dyn` and not a parameter or a type parameter: P-256 keys are
//! verified deep inside ota-core (trust stores decoded from a stored root, root statements,
//! quorums, X.509 chains) and under ota-device's generic client; threading an accelerator
//! through all of them would change every signature from the client down, for what is one
//! piece of hardware per device, fixed at boot. The cost: a dynamic call and a critical
//! section (to read the slot) per verification, nothing next to the verification itself.
//! The slot is a `critical_section::Mutex`, so that no `unsafe` is needed and it works on
//! cores without atomic compare-and-swap: the application links a `critical-section`
//! implementation (e.g. `cortex-m`'s feature `critical-section-single-core`); with `std`,
//! ota-core turns on the crate's own.

use core::cell::Cell;

use critical_section::Mutex;

use super::{CryptoError, P256Accelerator};

/// The installed accelerator, `None` until [`install_p256_accelerator`].
static INSTALLED: Mutex<Cell<Option<&'static dyn P256Accelerator>>> = Mutex::new(Cell::new(None));

/// [`install_p256_accelerator`] was called before: the first accelerator stays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a P-256 accelerator is already installed")]
pub struct AlreadyInstalled;

/// Register the accelerator every P-256 verification goes to from now on. Call it once at
/// boot, before the first verification (check with [`p256_accelerator`] if unsure).
///
/// Without `std`, a verification with no accelerator installed fails with
/// [`CryptoError::NoP256Accelerator`] (and so a signed document is refused, never
/// accepted). With `std`, it uses [`super::PortableP256`] instead: a hosted build that
/// turns every feature on (`cargo test --workspace --all-features`) keeps verifying
/// without registering anything, and the feature only adds.
///
/// Does not check the accelerator: run your vectors through it (ota-core's own tests run
/// Wycheproof's through a test accelerator; `examples/cortex-m` runs them on the target).
///
/// # Errors
/// [`AlreadyInstalled`] if one was installed before; it is not replaced (an accelerator
/// cannot be swapped under a verification, nor by a second initialisation path).
pub fn install_p256_accelerator(
    accelerator: &'static dyn P256Accelerator,
) -> Result<(), AlreadyInstalled> {
    critical_section::with(|cs| {
        let slot = INSTALLED.borrow(cs);
        if slot.get().is_some() {
            return Err(AlreadyInstalled);
        }
        slot.set(Some(accelerator));
        Ok(())
    })
}

/// The installed accelerator, if any (`None` also with `std`, where verifications then use
/// [`super::PortableP256`]).
pub fn p256_accelerator() -> Option<&'static dyn P256Accelerator> {
    critical_section::with(|cs| INSTALLED.borrow(cs).get())
}

/// What a verification uses: the installed accelerator; without one,
/// [`super::PortableP256`] with `std` and [`CryptoError::NoP256Accelerator`] without.
pub(super) fn accelerator() -> Result<&'static dyn P256Accelerator, CryptoError> {
    match p256_accelerator() {
        Some(accelerator) => Ok(accelerator),
        #[cfg(feature = "std")]
        None => Ok(&super::PortableP256),
        #[cfg(not(feature = "std"))]
        None => Err(CryptoError::NoP256Accelerator),
    }
}
