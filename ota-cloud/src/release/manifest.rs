//! Building the signed [`Manifest`] for an image.

use ota_core::jobs::JobId;
use ota_core::json::JsonStr;
use ota_core::manifest::{MAX_MANIFEST_LEN, Manifest, Sha256Hex};
use ota_core::version::{SecurityCounter, Version};

use super::{ImageDigest, ReleaseError};

/// What a release states about an image, apart from its size and hash (which come from the
/// image itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ManifestSpec<'a> {
    /// Product id devices compare with theirs.
    pub product: &'a str,
    /// Hardware id (board revision) devices compare with theirs.
    pub hardware: &'a str,
    /// Which file of the job the statement covers (0 for the firmware).
    pub file_id: u8,
    /// The image's version.
    pub version: Version,
    /// The image's anti-rollback counter.
    pub security_counter: SecurityCounter,
    /// Lowest running version allowed to install the image.
    pub min_version: Option<Version>,
    /// Unix seconds after which devices with trusted time refuse the statement.
    pub expires: Option<u64>,
    /// The only job the statement may arrive in.
    pub job_id: Option<&'a str>,
}

impl<'a> ManifestSpec<'a> {
    /// A statement for `product`/`hardware` at `version`: file 0, security counter 0, no
    /// minimum version, no expiry, any job.
    pub const fn new(product: &'a str, hardware: &'a str, version: Version) -> Self {
        Self {
            product,
            hardware,
            file_id: 0,
            version,
            security_counter: SecurityCounter(0),
            min_version: None,
            expires: None,
            job_id: None,
        }
    }
}

/// The manifest for `image`: `spec` plus the image's exact size and SHA-256.
///
/// Does not sign, and does not check the statement against any device.
///
/// # Errors
/// As [`manifest_from_digest`].
pub fn manifest_for<'a>(
    image: &[u8],
    spec: &ManifestSpec<'a>,
) -> Result<Manifest<'a>, ReleaseError> {
    manifest_from_digest(&ImageDigest::of(image), spec)
}

/// [`manifest_for`] an image known by its size and SHA-256 (see
/// [`ImageDigest::read_from`] for an image on disk).
///
/// # Errors
/// [`ReleaseError::EmptyImage`], [`ReleaseError::ImageTooLarge`] (over `u32::MAX` bytes),
/// [`ReleaseError::BadField`] for an empty or unwritable `product`/`hardware` or an invalid
/// job id.
pub fn manifest_from_digest<'a>(
    image: &ImageDigest,
    spec: &ManifestSpec<'a>,
) -> Result<Manifest<'a>, ReleaseError> {
    if image.size == 0 {
        return Err(ReleaseError::EmptyImage);
    }
    let size = u32::try_from(image.size).map_err(|_| ReleaseError::ImageTooLarge {
        size: image.size,
        max: u64::from(u32::MAX),
    })?;
    check_text("product", spec.product)?;
    check_text("hardware", spec.hardware)?;
    let job_rule = "must be 1-64 characters of A-Z a-z 0-9 _ -";
    let job_id = check_id("jobId", spec.job_id, JobId::new, job_rule)?;
    Ok(Manifest {
        product: JsonStr::text(spec.product),
        hardware: JsonStr::text(spec.hardware),
        file_id: spec.file_id,
        version: spec.version,
        security_counter: spec.security_counter,
        size,
        sha256: Sha256Hex(image.sha256),
        min_version: spec.min_version,
        expires: spec.expires,
        job_id: job_id.map(Into::into),
    })
}

/// The bytes a release signs: the manifest as compact JSON in the canonical key order
/// (`Manifest`'s `Serialize`), checked to read back as the same manifest and to fit
/// [`MAX_MANIFEST_LEN`].
///
/// # Errors
/// [`ReleaseError::ManifestTooLong`], or [`ReleaseError::SelfCheck`] if the JSON does not
/// read back (which [`manifest_for`]'s field checks prevent).
pub fn canonical_bytes(manifest: &Manifest<'_>) -> Result<Vec<u8>, ReleaseError> {
    let bytes = serde_json::to_vec(manifest).map_err(|e| ReleaseError::SelfCheck(e.to_string()))?;
    if bytes.len() > MAX_MANIFEST_LEN {
        return Err(ReleaseError::ManifestTooLong {
            len: bytes.len(),
            max: MAX_MANIFEST_LEN,
        });
    }
    match Manifest::parse(&bytes) {
        Ok(read) if read == *manifest => Ok(bytes),
        Ok(_) => Err(ReleaseError::SelfCheck(
            "manifest reads back differently".into(),
        )),
        Err(e) => Err(ReleaseError::SelfCheck(format!(
            "manifest does not read back: {e}"
        ))),
    }
}

/// What a stream id may be.
pub(super) const STREAM_ID_RULE: &str = "must be 1-128 characters of A-Z a-z 0-9 _ -";

/// `text`, when given, as the id `parse` reads (a stream or job id), or a
/// [`ReleaseError::BadField`] naming `field` with `rule`.
pub(super) fn check_id<'t, T, E>(
    field: &'static str,
    text: Option<&'t str>,
    parse: impl FnOnce(&'t str) -> Result<T, E>,
    rule: &'static str,
) -> Result<Option<T>, ReleaseError> {
    text.map(parse)
        .transpose()
        .map_err(|_| ReleaseError::BadField {
            field,
            reason: rule,
        })
}

/// Refuse text that is empty or that JSON would escape: no id, path or scheme needs a quote,
/// backslash or control character, and text written without escapes reads the same on every
/// device, including firmware built before this library decoded escapes (it refused them).
pub(super) fn check_text(field: &'static str, text: &str) -> Result<(), ReleaseError> {
    if text.is_empty() {
        return Err(ReleaseError::BadField {
            field,
            reason: "must not be empty",
        });
    }
    if text
        .chars()
        .any(|c| c == '"' || c == '\\' || c.is_control())
    {
        return Err(ReleaseError::BadField {
            field,
            reason: "must not contain quotes, backslashes or control characters",
        });
    }
    Ok(())
}
