//! Our firmware-update job document: a signed manifest and where to fetch the image.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ota_core::crypto::{Base64Mode, MAX_VERIFIABLE_SIGNATURE_LEN, SignatureEncoding, TrustedKey};
use ota_core::document::{FIRMWARE_OPERATION, FirmwareRef, JobDocument};
use ota_core::jobs::StreamId;
use ota_core::json::JsonStr;
use ota_core::manifest::Manifest;
use serde::ser::{Serialize, SerializeMap, Serializer};

use super::manifest::{
    ManifestSpec, STREAM_ID_RULE, canonical_bytes, check_id, check_text, manifest_from_digest,
};
use super::{ImageDigest, Release, ReleaseError, finish};
use crate::signing::Signer;

/// What a firmware-update release says besides the manifest: where the image is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirmwareSpec<'a> {
    /// The signed statement.
    pub manifest: ManifestSpec<'a>,
    /// AWS IoT MQTT stream carrying the image (file `manifest.file_id`).
    pub stream: Option<&'a str>,
    /// HTTPS URL of the image (or an AWS `${aws:iot:s3-presigned-url:…}` placeholder).
    pub url: Option<&'a str>,
}

impl<'a> FirmwareSpec<'a> {
    /// `manifest` with no location yet.
    pub const fn new(manifest: ManifestSpec<'a>) -> Self {
        Self {
            manifest,
            stream: None,
            url: None,
        }
    }
}

/// Build, sign and self-check a firmware-update document for `image`.
///
/// The manifest (exact size and SHA-256 of `image`, plus `spec.manifest`) is signed as its
/// canonical bytes, and the document carries those bytes in base64, the signature in
/// base64, the signer's key id, the version as an unsigned hint and the location (no
/// `steps`: devices always run every step). Before returning, the document is parsed with
/// [`JobDocument::parse`], the manifest read back, and the signature verified with the
/// signer's public key.
///
/// Does not check the statement against any device policy (see
/// [`ota_core::manifest::verify`]) and does not upload anything.
///
/// # Errors
/// [`ReleaseError`]: the image, a field or the location is unusable, the signer failed,
/// the document is too long, or the self-check failed.
pub fn firmware_update(
    image: &[u8],
    spec: &FirmwareSpec<'_>,
    signer: &dyn Signer,
) -> Result<Release, ReleaseError> {
    firmware_update_from_digest(&ImageDigest::of(image), spec, signer)
}

/// [`firmware_update`] for an image known by its size and SHA-256 (an image on disk read
/// once with [`ImageDigest::read_from`]): the same document, without the image in memory.
///
/// # Errors
/// As [`firmware_update`].
pub fn firmware_update_from_digest(
    image: &ImageDigest,
    spec: &FirmwareSpec<'_>,
    signer: &dyn Signer,
) -> Result<Release, ReleaseError> {
    let manifest = manifest_from_digest(image, &spec.manifest)?;
    let stream = check_id("stream", spec.stream, StreamId::new, STREAM_ID_RULE)?;
    if let Some(url) = spec.url {
        check_text("url", url)?;
    }
    if stream.is_none() && spec.url.is_none() {
        return Err(ReleaseError::NoLocation);
    }
    let bytes = canonical_bytes(&manifest)?;
    let signature = signer.sign(&bytes)?;
    let key_id = signer.key_id();
    let manifest_b64 = STANDARD.encode(&bytes);
    let signature_b64 = STANDARD.encode(&signature);
    let key_id_hex = key_id.to_string();
    let version = manifest.version.to_string();
    // Base64, hex, a version, a stream id and a checked URL: none has a backslash.
    let text = |s| {
        JsonStr::from_plain(s)
            .ok_or_else(|| ReleaseError::SelfCheck(format!("a backslash in {s:?}")))
    };
    let firmware = FirmwareRef {
        manifest: text(&manifest_b64)?,
        signature: text(&signature_b64)?,
        key_id: Some(text(&key_id_hex)?),
        cosignatures: None,
        version: Some(text(&version)?),
        stream: stream.map(JsonStr::from),
        file_id: manifest.file_id,
        url: spec.url.map(text).transpose()?,
    };
    let document = write_document(&firmware)?;
    self_check(&document, &firmware, &manifest, signer)?;
    finish(document, signature, key_id, Some(bytes))
}

/// Parse what was written and check it says what was meant.
fn self_check(
    document: &str,
    firmware: &FirmwareRef<'_>,
    manifest: &Manifest<'_>,
    signer: &dyn Signer,
) -> Result<(), ReleaseError> {
    let JobDocument::Firmware(read) = JobDocument::parse(document.as_bytes())? else {
        return Err(ReleaseError::SelfCheck(
            "not read as a firmware update".into(),
        ));
    };
    if read.firmware != *firmware {
        return Err(ReleaseError::SelfCheck(
            "firmware object reads back differently".into(),
        ));
    }
    let bytes = STANDARD
        .decode(read.firmware.manifest.to_string())
        .map_err(|e| ReleaseError::SelfCheck(e.to_string()))?;
    if Manifest::parse(&bytes).ok() != Some(*manifest) {
        return Err(ReleaseError::SelfCheck(
            "manifest reads back differently".into(),
        ));
    }
    let mut buf = [0u8; MAX_VERIFIABLE_SIGNATURE_LEN];
    let signature = read
        .firmware
        .signature
        .decode_base64(&mut buf, Base64Mode::Strict)
        .map_err(|e| ReleaseError::SelfCheck(e.to_string()))?;
    TrustedKey::new(signer.public_key().clone(), signer.algorithm())
        .and_then(|key| key.verify_message(&bytes, signature, SignatureEncoding::Der))
        .map_err(|e| ReleaseError::SelfCheck(format!("signature: {e}")))
}

/// The compact JSON of a firmware-update document.
pub(super) fn write_document(firmware: &FirmwareRef<'_>) -> Result<String, ReleaseError> {
    serde_json::to_string(&Document { firmware })
        .map_err(|e| ReleaseError::SelfCheck(e.to_string()))
}

/// `{"operation":"firmware_update","firmware":{…}}`.
struct Document<'a> {
    firmware: &'a FirmwareRef<'a>,
}

impl Serialize for Document<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry("operation", FIRMWARE_OPERATION)?;
        map.serialize_entry("firmware", self.firmware)?;
        map.end()
    }
}
