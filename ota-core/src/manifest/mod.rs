//! The signed update statement and how a device decides on it.
//!
//! A release signs a small JSON [`Manifest`]: product and hardware ids, file id, version,
//! security counter, exact size, SHA-256, and optionally the lowest running version allowed
//! to install it, an expiry and the one job it may be used by. The signature covers the
//! manifest bytes exactly as carried (base64) in the job document, so there is no
//! canonicalisation step to get wrong. A device decides everything that matters from signed
//! data: whether the image is for it, whether it is a downgrade, whether it is stale, how
//! long it is and what its hash must be. The AWS `afr_ota` format can decide none of these
//! before the download.

mod policy;
mod read;
mod statement;
mod verify;

pub use policy::{ExpiryCheck, ManifestPolicy, Rejection, RollbackFloor, TrustedTime};
pub(crate) use read::read_version;
pub use statement::{MAX_MANIFEST_LEN, Manifest, Sha256Hex};
pub use verify::{
    InspectedManifest, VerifiedManifest, accept, check_one_signature, check_signature, inspect,
    inspect_signature, signers, verify,
};

#[cfg(test)]
mod tests;
#[cfg(test)]
mod threshold_tests;
