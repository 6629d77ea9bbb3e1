//! The AWS `afr_ota` job document, as `CreateOTAUpdate` writes it, signed over the file.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ota_core::crypto::{
    Base64Mode, KeyKind, MAX_VERIFIABLE_SIGNATURE_LEN, SignatureEncoding, TrustedKey,
};
use ota_core::document::{JobDocument, MAX_FILE_SIZE, Protocol};
use ota_core::jobs::StreamId;
use serde::ser::{Serialize, SerializeMap, Serializer};

use super::manifest::{STREAM_ID_RULE, check_id, check_text};
use super::{ImageDigest, Release, ReleaseError, finish};
use crate::signing::{Signer, SigningError};

/// The `auth_scheme` AWS writes for a pre-signed S3 URL.
pub const AWS_S3_PRESIGNED: &str = "aws.s3.presigned";

/// What an `afr_ota` release says about its one file. Nothing here is signed: the format
/// signs only the file's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AfrOtaSpec<'a> {
    /// `fileid`: the file's id within the stream (0 for the firmware).
    pub file_id: u8,
    /// `streamname`: the MQTT stream (offers `MQTT`).
    pub stream: Option<&'a str>,
    /// `update_data_url`: the HTTPS URL (offers `HTTP`); AWS's own documents use a
    /// `${aws:iot:s3-presigned-url:…}` placeholder here.
    pub url: Option<&'a str>,
    /// `auth_scheme` written with `url`.
    pub auth_scheme: &'a str,
    /// `filepath`: where the device stores the file (informative for firmware).
    pub file_path: Option<&'a str>,
    /// `certfile`: the name of the device-side key or certificate that checks the signature.
    pub cert_file: Option<&'a str>,
    /// `fileType` (0 is firmware by the AWS agent's convention).
    pub file_type: Option<u8>,
}

impl AfrOtaSpec<'_> {
    /// File 0 with no location yet, [`AWS_S3_PRESIGNED`] for a URL, no path, certificate
    /// name or file type.
    pub const fn new() -> Self {
        Self {
            file_id: 0,
            stream: None,
            url: None,
            auth_scheme: AWS_S3_PRESIGNED,
            file_path: None,
            cert_file: None,
            file_type: None,
        }
    }
}

impl Default for AfrOtaSpec<'_> {
    fn default() -> Self {
        Self::new()
    }
}

/// The `sig-*` key for the signer's key: `sig-sha256-ecdsa` for P-256, `sig-sha256-rsa` for
/// RSA (PKCS#1 v1.5 or PSS alike: the device's trusted key fixes which).
pub fn signature_key(kind: KeyKind) -> &'static str {
    match kind {
        KeyKind::P256 => "sig-sha256-ecdsa",
        _ => "sig-sha256-rsa",
    }
}

/// Build, sign and self-check an `afr_ota` document for `image`: the signature is over the
/// file's bytes (SHA-256), written under [`signature_key`], with `filesize` and `fileid`,
/// and `streamname` and/or `update_data_url` with `auth_scheme`. Before returning, the
/// document is parsed with [`JobDocument::parse`] and the signature verified over `image`.
///
/// Does not carry any version, product, hardware, expiry or job binding: the format has no
/// signed place for them (use [`super::firmware_update`] for those).
///
/// # Errors
/// [`ReleaseError`]: the image, a field or the location are unusable, the signer failed,
/// the document is too long, or the self-check failed.
pub fn afr_ota(
    image: &[u8],
    spec: &AfrOtaSpec<'_>,
    signer: &dyn Signer,
) -> Result<Release, ReleaseError> {
    build(&ImageDigest::of(image), spec, signer, || signer.sign(image))
}

/// [`afr_ota`] for an image known by its size and SHA-256 (an image on disk read once with
/// [`ImageDigest::read_from`]): the same document, without the image in memory. The file
/// is signed with [`Signer::sign_digest`].
///
/// # Errors
/// As [`afr_ota`]; [`crate::signing::SigningError::DigestUnsupported`] (as
/// [`ReleaseError::Signing`]) from a signer that signs whole messages only.
pub fn afr_ota_from_digest(
    image: &ImageDigest,
    spec: &AfrOtaSpec<'_>,
    signer: &dyn Signer,
) -> Result<Release, ReleaseError> {
    build(image, spec, signer, || signer.sign_digest(&image.sha256))
}

/// Check the fields, sign the file with `sign_file`, write the document and self-check it.
fn build(
    image: &ImageDigest,
    spec: &AfrOtaSpec<'_>,
    signer: &dyn Signer,
    sign_file: impl FnOnce() -> Result<Vec<u8>, SigningError>,
) -> Result<Release, ReleaseError> {
    if image.size == 0 {
        return Err(ReleaseError::EmptyImage);
    }
    let file_size = u32::try_from(image.size)
        .ok()
        .filter(|&n| n <= MAX_FILE_SIZE)
        .ok_or(ReleaseError::ImageTooLarge {
            size: image.size,
            max: u64::from(MAX_FILE_SIZE),
        })?;
    let protocols = check_spec(spec)?;
    let signature = sign_file()?;
    let signature_b64 = STANDARD.encode(&signature);
    let sig_key = signature_key(signer.public_key().kind());
    let document = serde_json::to_string(&Document {
        spec,
        protocols: &protocols,
        file_size,
        sig_key,
        signature: &signature_b64,
    })
    .map_err(|e| ReleaseError::SelfCheck(e.to_string()))?;
    self_check(&document, image, sig_key, signer)?;
    finish(document, signature, signer.key_id(), None)
}

/// The protocols `spec` offers, after checking its fields.
fn check_spec(spec: &AfrOtaSpec<'_>) -> Result<Vec<Protocol>, ReleaseError> {
    check_id("streamname", spec.stream, StreamId::new, STREAM_ID_RULE)?;
    if let Some(url) = spec.url {
        check_text("update_data_url", url)?;
        check_text("auth_scheme", spec.auth_scheme)?;
    }
    if let Some(path) = spec.file_path {
        check_text("filepath", path)?;
    }
    if let Some(cert) = spec.cert_file {
        check_text("certfile", cert)?;
    }
    let mut protocols = Vec::new();
    if spec.stream.is_some() {
        protocols.push(Protocol::Mqtt);
    }
    if spec.url.is_some() {
        protocols.push(Protocol::Http);
    }
    if protocols.is_empty() {
        return Err(ReleaseError::NoLocation);
    }
    Ok(protocols)
}

fn self_check(
    document: &str,
    image: &ImageDigest,
    sig_key: &str,
    signer: &dyn Signer,
) -> Result<(), ReleaseError> {
    let JobDocument::AfrOta(read) = JobDocument::parse(document.as_bytes())? else {
        return Err(ReleaseError::SelfCheck("not read as afr_ota".into()));
    };
    let file = read
        .files
        .first()
        .filter(|f| u64::from(f.file_size) == image.size)
        .ok_or_else(|| ReleaseError::SelfCheck("file entry reads back differently".into()))?;
    let text = file
        .signature(sig_key)
        .ok_or_else(|| ReleaseError::SelfCheck(format!("no {sig_key}")))?;
    let mut buf = [0u8; MAX_VERIFIABLE_SIGNATURE_LEN];
    let signature = text
        .decode_base64(&mut buf, Base64Mode::Strict)
        .map_err(|e| ReleaseError::SelfCheck(e.to_string()))?;
    TrustedKey::new(signer.public_key().clone(), signer.algorithm())
        .and_then(|key| key.verify_digest(&image.digest(), signature, SignatureEncoding::Der))
        .map_err(|e| ReleaseError::SelfCheck(format!("signature: {e}")))
}

/// `{"afr_ota":{"protocols":[…],"streamname":…,"files":[{…}]}}`.
struct Document<'a> {
    spec: &'a AfrOtaSpec<'a>,
    protocols: &'a [Protocol],
    file_size: u32,
    sig_key: &'a str,
    signature: &'a str,
}

struct AfrOtaObject<'a>(&'a Document<'a>);
struct Files<'a>(&'a Document<'a>);
struct File<'a>(&'a Document<'a>);

impl Serialize for Document<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(1))?;
        map.serialize_entry("afr_ota", &AfrOtaObject(self))?;
        map.end()
    }
}

impl Serialize for AfrOtaObject<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let doc = self.0;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("protocols", doc.protocols)?;
        if let Some(stream) = doc.spec.stream {
            map.serialize_entry("streamname", stream)?;
        }
        map.serialize_entry("files", &Files(doc))?;
        map.end()
    }
}

impl Serialize for Files<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        [File(self.0)].serialize(s)
    }
}

impl Serialize for File<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let doc = self.0;
        let spec = doc.spec;
        let mut map = s.serialize_map(None)?;
        if let Some(path) = spec.file_path {
            map.serialize_entry("filepath", path)?;
        }
        map.serialize_entry("filesize", &doc.file_size)?;
        map.serialize_entry("fileid", &spec.file_id)?;
        if let Some(cert) = spec.cert_file {
            map.serialize_entry("certfile", cert)?;
        }
        if let Some(t) = spec.file_type {
            map.serialize_entry("fileType", &t)?;
        }
        if let Some(url) = spec.url {
            map.serialize_entry("update_data_url", url)?;
            map.serialize_entry("auth_scheme", spec.auth_scheme)?;
        }
        map.serialize_entry(doc.sig_key, doc.signature)?;
        map.end()
    }
}
