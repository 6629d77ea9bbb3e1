//! Co-signing: one more signature over an existing document's signed statement (a firmware
//! manifest, a trust root), so that keys held by different people (or HSMs) sign in turn.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ota_core::crypto::{Base64Mode, Digest, KeyId, MAX_SIGNATURES, TrustStore, TrustedKey};
use ota_core::document::{
    Cosignatures, FirmwareRef, FloorReset, JobDocument, MAX_COSIGNATURES, TrustUpdate,
};
use ota_core::json::JsonStr;
use ota_core::signed::Signatures;
use ota_core::trust::MAX_ROOT_LEN;

use super::firmware::write_document;
use super::{Release, ReleaseError, finish};
use crate::signing::Signer;

/// Add `signer`'s signature over the signed statement of `document` (a firmware update's
/// manifest, a trust update's root statement) to its `cosignatures`. The statement text,
/// the other signatures and the rest of the document are kept as written, so every
/// signature already there stays valid; the document is written again from what it says
/// (compact, members this project does not read are not kept). The new signature is
/// verified with the signer's public key, through the device's own check
/// ([`Signatures::signers`]), before the document is returned.
///
/// Does not check the existing signatures (a device or `ota-cloud inspect --trust` does) or
/// whether the statement is one the signer should sign.
///
/// # Errors
/// [`ReleaseError::NotCosignable`] for an `afr_ota` or custom document, or one without
/// `keyId`; [`ReleaseError::AlreadySigned`] when the key signed it already;
/// [`ReleaseError::TooManySignatures`]; [`ReleaseError::Signing`];
/// [`ReleaseError::DocumentTooLong`]; [`ReleaseError::SelfCheck`] when the statement does
/// not decode or the result does not read back.
pub fn cosign(document: &str, signer: &dyn Signer) -> Result<Release, ReleaseError> {
    let signed = Signed::parse(document)?;
    let signatures = signed.signatures();
    let Some(first) = signatures.key_id else {
        return Err(ReleaseError::NotCosignable(
            "the document has no keyId: every signature of a co-signed document names its key",
        ));
    };
    let key_id = signer.key_id();
    let signed_by: Vec<JsonStr<'_>> = core::iter::once(first)
        .chain(
            signatures
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
    let bytes = signed.statement()?;
    let signature = signer.sign(&bytes)?;
    let list = cosignatures_with(&signatures, &key_id, &STANDARD.encode(&signature))?;
    let cosignatures =
        Cosignatures::parse(&list).map_err(|e| ReleaseError::SelfCheck(e.to_string()))?;
    let document = signed.with_cosignatures(cosignatures).write()?;
    self_check(&document, &bytes, signer)?;
    let manifest = matches!(signed, Signed::Firmware(_)).then_some(bytes);
    finish(document, signature, key_id, manifest)
}

/// A document with a signed statement.
#[derive(Clone, Copy)]
enum Signed<'a> {
    Firmware(FirmwareRef<'a>),
    Trust(TrustUpdate<'a>),
    Reset(FloorReset<'a>),
}

impl<'a> Signed<'a> {
    fn parse(document: &'a str) -> Result<Self, ReleaseError> {
        match JobDocument::parse(document.as_bytes())? {
            JobDocument::Firmware(doc) => Ok(Self::Firmware(doc.firmware)),
            JobDocument::TrustUpdate(update) => Ok(Self::Trust(update)),
            JobDocument::FloorReset(reset) => Ok(Self::Reset(reset)),
            JobDocument::AfrOta(_) => Err(ReleaseError::NotCosignable(
                "an afr_ota document carries one signature, over the file",
            )),
            JobDocument::Custom(_) => Err(ReleaseError::NotCosignable(
                "not a firmware-update, trust-update or floor-reset document",
            )),
        }
    }

    fn signatures(&self) -> Signatures<'a> {
        match self {
            Self::Firmware(f) => f.signatures(),
            Self::Trust(t) => t.signatures(),
            Self::Reset(r) => r.signatures(),
        }
    }

    /// The signed statement's bytes.
    fn statement(&self) -> Result<Vec<u8>, ReleaseError> {
        let text = match self {
            Self::Firmware(f) => f.manifest,
            Self::Trust(t) => t.root,
            Self::Reset(r) => r.statement,
        };
        let mut buf = [0u8; MAX_ROOT_LEN];
        text.decode_base64(&mut buf, Base64Mode::Strict)
            .map(<[u8]>::to_vec)
            .map_err(|e| ReleaseError::SelfCheck(format!("signed statement: {e}")))
    }

    fn with_cosignatures(self, cosignatures: Cosignatures<'a>) -> Self {
        let cosignatures = Some(cosignatures);
        match self {
            Self::Firmware(f) => Self::Firmware(FirmwareRef { cosignatures, ..f }),
            Self::Trust(t) => Self::Trust(TrustUpdate { cosignatures, ..t }),
            Self::Reset(r) => Self::Reset(FloorReset { cosignatures, ..r }),
        }
    }

    fn write(&self) -> Result<String, ReleaseError> {
        match self {
            Self::Firmware(f) => write_document(f),
            Self::Trust(t) => {
                serde_json::to_string(t).map_err(|e| ReleaseError::SelfCheck(e.to_string()))
            }
            Self::Reset(r) => {
                serde_json::to_string(r).map_err(|e| ReleaseError::SelfCheck(e.to_string()))
            }
        }
    }
}

/// Whether a `keyId` text names `key_id` (hex digits in either case).
fn names(text: &JsonStr<'_>, key_id: &KeyId) -> bool {
    KeyId::from_hex(&text.to_string()).is_ok_and(|id| id == *key_id)
}

/// The JSON text of the cosignatures (as written) followed by the new one.
fn cosignatures_with(
    signatures: &Signatures<'_>,
    key_id: &KeyId,
    signature: &str,
) -> Result<String, ReleaseError> {
    let mut entries: Vec<serde_json::Value> = match signatures.cosignatures {
        Some(list) => serde_json::to_value(list)
            .ok()
            .and_then(|v| v.as_array().cloned())
            .ok_or_else(|| ReleaseError::SelfCheck("cosignatures do not read back".into()))?,
        None => Vec::new(),
    };
    entries.push(serde_json::json!({ "keyId": key_id.to_string(), "signature": signature }));
    serde_json::to_string(&entries).map_err(|e| ReleaseError::SelfCheck(e.to_string()))
}

/// The new document reads back with the same statement, and the signer's key signed it.
fn self_check(document: &str, statement: &[u8], signer: &dyn Signer) -> Result<(), ReleaseError> {
    let read = Signed::parse(document)?;
    if read.statement()? != statement {
        return Err(ReleaseError::SelfCheck(
            "the signed statement reads back differently".into(),
        ));
    }
    let mut only_signer = TrustStore::<1>::new();
    TrustedKey::new(signer.public_key().clone(), signer.algorithm())
        .and_then(|key| only_signer.add(key))
        .map_err(|e| ReleaseError::SelfCheck(format!("signer key: {e}")))?;
    let (signers, _) = read
        .signatures()
        .signers(&only_signer, &Digest::sha256(statement))
        .map_err(|e| ReleaseError::SelfCheck(format!("cosignature: {e}")))?;
    if signers.contains(&signer.key_id()) {
        Ok(())
    } else {
        Err(ReleaseError::SelfCheck(
            "the new cosignature does not verify".into(),
        ))
    }
}
