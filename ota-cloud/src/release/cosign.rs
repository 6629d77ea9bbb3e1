//! Co-signing: one more signature over an existing firmware-update document's manifest, so
//! that keys held by different people (or HSMs) sign a release in turn.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ota_core::crypto::{Base64Mode, KeyId, MAX_SIGNATURES, TrustStore, TrustedKey};
use ota_core::document::{Cosignatures, FirmwareRef, JobDocument, MAX_COSIGNATURES};
use ota_core::json::JsonStr;
use ota_core::manifest::{self, MAX_MANIFEST_LEN};

use super::firmware::write_document;
use super::{Release, ReleaseError, finish};
use crate::signing::Signer;

/// Add `signer`'s signature over the manifest of the firmware-update `document` to its
/// `cosignatures`. The manifest text, the other signatures and the location are kept as
/// written, so every signature already there stays valid; the document is written again
/// from what it says (compact, members this project does not read are not kept). The new
/// signature is verified with the signer's public key, through the device's own check
/// ([`manifest::signers`]), before the document is returned.
///
/// Does not check the existing signatures (a device or `ota-cloud inspect --trust` does) or
/// whether the release is one the signer should sign.
///
/// # Errors
/// [`ReleaseError::NotCosignable`] for an `afr_ota` or custom document, or one without
/// `keyId`; [`ReleaseError::AlreadySigned`] when the key signed it already;
/// [`ReleaseError::TooManySignatures`]; [`ReleaseError::Signing`];
/// [`ReleaseError::DocumentTooLong`]; [`ReleaseError::SelfCheck`] when the manifest does not
/// decode or the result does not read back.
pub fn cosign(document: &str, signer: &dyn Signer) -> Result<Release, ReleaseError> {
    let firmware = match JobDocument::parse(document.as_bytes())? {
        JobDocument::Firmware(doc) => doc.firmware,
        JobDocument::AfrOta(_) => {
            return Err(ReleaseError::NotCosignable(
                "an afr_ota document carries one signature, over the file",
            ));
        }
        JobDocument::Custom(_) => {
            return Err(ReleaseError::NotCosignable(
                "not a firmware-update document",
            ));
        }
    };
    let Some(first) = firmware.key_id else {
        return Err(ReleaseError::NotCosignable(
            "the document has no keyId: every signature of a co-signed document names its key",
        ));
    };
    let key_id = signer.key_id();
    let signed_by: Vec<JsonStr<'_>> = core::iter::once(first)
        .chain(
            firmware
                .cosignatures
                .iter()
                .flat_map(|c| c.iter().map(|e| e.key_id)),
        )
        .collect();
    if signed_by.iter().any(|id| names(id, &key_id)) {
        return Err(ReleaseError::AlreadySigned(key_id));
    }
    if signed_by.len() >= MAX_SIGNATURES {
        return Err(ReleaseError::TooManySignatures {
            max: MAX_COSIGNATURES,
        });
    }
    let mut scratch = [0u8; MAX_MANIFEST_LEN];
    let bytes = firmware
        .manifest
        .decode_base64(&mut scratch, Base64Mode::Strict)
        .map_err(|e| ReleaseError::SelfCheck(format!("manifest: {e}")))?
        .to_vec();
    let signature = signer.sign(&bytes)?;
    let list = cosignatures_with(&firmware, &key_id, &STANDARD.encode(&signature))?;
    let cosigned = FirmwareRef {
        cosignatures: Some(
            Cosignatures::parse(&list).map_err(|e| ReleaseError::SelfCheck(e.to_string()))?,
        ),
        ..firmware
    };
    let document = write_document(&cosigned)?;
    self_check(&document, signer)?;
    finish(document, signature, key_id, Some(bytes))
}

/// Whether a `keyId` text names `key_id` (hex digits in either case).
fn names(text: &JsonStr<'_>, key_id: &KeyId) -> bool {
    KeyId::from_hex(&text.to_string()).is_ok_and(|id| id == *key_id)
}

/// The JSON text of `firmware`'s cosignatures (as written) followed by the new one.
fn cosignatures_with(
    firmware: &FirmwareRef<'_>,
    key_id: &KeyId,
    signature: &str,
) -> Result<String, ReleaseError> {
    let mut entries: Vec<serde_json::Value> = match firmware.cosignatures {
        Some(list) => serde_json::to_value(list)
            .ok()
            .and_then(|v| v.as_array().cloned())
            .ok_or_else(|| ReleaseError::SelfCheck("cosignatures do not read back".into()))?,
        None => Vec::new(),
    };
    entries.push(serde_json::json!({ "keyId": key_id.to_string(), "signature": signature }));
    serde_json::to_string(&entries).map_err(|e| ReleaseError::SelfCheck(e.to_string()))
}

/// The new document reads back as a firmware update the signer's key signed.
fn self_check(document: &str, signer: &dyn Signer) -> Result<(), ReleaseError> {
    let JobDocument::Firmware(read) = JobDocument::parse(document.as_bytes())? else {
        return Err(ReleaseError::SelfCheck(
            "not read as a firmware update".into(),
        ));
    };
    let mut only_signer = TrustStore::<1>::new();
    TrustedKey::new(signer.public_key().clone(), signer.algorithm())
        .and_then(|key| only_signer.add(key))
        .map_err(|e| ReleaseError::SelfCheck(format!("signer key: {e}")))?;
    let mut scratch = [0u8; MAX_MANIFEST_LEN];
    let (signers, _) = manifest::signers(&read.firmware, &only_signer, &mut scratch)
        .map_err(|e| ReleaseError::SelfCheck(format!("cosignature: {e}")))?;
    if signers.contains(&signer.key_id()) {
        Ok(())
    } else {
        Err(ReleaseError::SelfCheck(
            "the new cosignature does not verify".into(),
        ))
    }
}
