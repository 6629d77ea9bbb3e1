//! Releases: from an image and what to say about it, a signed job document.
//!
//! Two formats:
//!
//! - [`firmware_update`]: this project's document. It signs a [`ManifestSpec`] plus the
//!   image's exact size and SHA-256 (the canonical manifest bytes, see [`canonical_bytes`]),
//!   so a device decides from signed data, before downloading, whether the image is for it,
//!   whether it is a downgrade, stale or bound to another job. Check one with
//!   [`ota_core::manifest::verify`].
//! - [`afr_ota`]: the FreeRTOS/AWS `CreateOTAUpdate` document, signed over the file's bytes
//!   only; a device learns nothing trustworthy until the download is complete.
//!
//! [`trust_update`] makes the third kind of document: a signed root statement that rotates
//! devices' keys ([`ota_core::trust`]). [`floor_reset`] makes the fourth: a root-signed
//! statement that lets one named release past devices' anti-rollback floor, once.
//!
//! [`cosign`] adds a signature to a firmware-update document without changing what the
//! others signed, for devices that need a threshold of signers.
//!
//! Every release is parsed back with [`ota_core::document::JobDocument::parse`] and its
//! signature verified with the signer's public key before it is returned. Each builder
//! takes the image in memory or, as `*_from_digest`, only its size and SHA-256
//! ([`ImageDigest`], which [`ImageDigest::read_from`] computes in one streaming pass), so a
//! large image never has to be held in memory. Nothing here opens files, reads a clock, or
//! talks to AWS.
//!
//! ```
//! use ota_cloud::release::{FirmwareSpec, ManifestSpec, firmware_update};
//! use ota_cloud::signing::{KeyAlgorithm, LocalSigner, PrivateKey};
//! use ota_core::version::Version;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let signer = LocalSigner::with_default_algorithm(PrivateKey::generate(KeyAlgorithm::P256)?, false)?;
//! let mut spec = FirmwareSpec::new(ManifestSpec::new("acme-sensor", "rev-b", Version::new(1, 2, 3)));
//! spec.stream = Some("fw-1_2_3");
//! let release = firmware_update(b"the image", &spec, &signer)?;
//! assert!(release.document.starts_with(r#"{"operation":"firmware_update""#));
//! # Ok(())
//! # }
//! ```

mod afr_ota;
mod cosign;
mod error;
mod firmware;
mod floor_reset;
mod image;
mod manifest;
mod trust;

pub use afr_ota::{AWS_S3_PRESIGNED, AfrOtaSpec, afr_ota, afr_ota_from_digest, signature_key};
pub use cosign::cosign;
pub use error::ReleaseError;
pub use firmware::{FirmwareSpec, firmware_update, firmware_update_from_digest};
pub use floor_reset::{FloorResetSpec, floor_reset, floor_reset_statement};
pub use image::{CHUNK_LEN, ImageDigest};
pub use manifest::{ManifestSpec, canonical_bytes, manifest_for, manifest_from_digest};
pub use trust::{RoleSpec, RootSpec, root_statement, trust_update};

use ota_core::crypto::KeyId;

use crate::MAX_DOCUMENT_LEN;

/// A signed job document and what went into it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Release {
    /// The job document, compact JSON (no trailing newline).
    pub document: String,
    /// The signature bytes (over the manifest bytes, or over the file for `afr_ota`).
    pub signature: Vec<u8>,
    /// The signing key's id.
    pub key_id: KeyId,
    /// The signed manifest bytes (firmware-update documents only).
    pub manifest: Option<Vec<u8>>,
}

/// A statement (root, floor reset) signed by one key, with the texts a signed document
/// carries: the statement and the signature in base64, the key id in hex.
struct SignedStatement {
    signature: Vec<u8>,
    key_id: KeyId,
    statement_b64: String,
    signature_b64: String,
    key_id_hex: String,
}

impl SignedStatement {
    fn sign(statement: &[u8], signer: &dyn crate::signing::Signer) -> Result<Self, ReleaseError> {
        use base64::Engine as _;
        use base64::engine::general_purpose::STANDARD;
        let signature = signer.sign(statement)?;
        let key_id = signer.key_id();
        Ok(Self {
            statement_b64: STANDARD.encode(statement),
            signature_b64: STANDARD.encode(&signature),
            key_id_hex: key_id.to_string(),
            signature,
            key_id,
        })
    }

    /// The statement, signature and key id as JSON string values.
    fn texts(
        &self,
    ) -> Result<
        (
            ota_core::json::JsonStr<'_>,
            ota_core::json::JsonStr<'_>,
            ota_core::json::JsonStr<'_>,
        ),
        ReleaseError,
    > {
        fn text(s: &str) -> Result<ota_core::json::JsonStr<'_>, ReleaseError> {
            ota_core::json::JsonStr::from_plain(s)
                .ok_or_else(|| ReleaseError::SelfCheck("a backslash".into()))
        }
        Ok((
            text(&self.statement_b64)?,
            text(&self.signature_b64)?,
            text(&self.key_id_hex)?,
        ))
    }
}

fn finish(
    document: String,
    signature: Vec<u8>,
    key_id: KeyId,
    manifest: Option<Vec<u8>>,
) -> Result<Release, ReleaseError> {
    if crate::check_document_len(document.len() as u64).is_err() {
        return Err(ReleaseError::DocumentTooLong {
            len: document.len(),
            max: MAX_DOCUMENT_LEN,
        });
    }
    Ok(Release {
        document,
        signature,
        key_id,
        manifest,
    })
}

#[cfg(test)]
mod tests;
