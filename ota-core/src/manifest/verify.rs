//! Verifying a firmware-update document's signed manifest end to end.

use crate::crypto::{Base64Mode, Digest, ImageVerifier, KeyId, Signers, TrustStore};
use crate::document::FirmwareRef;
use crate::version::Version;

use super::policy::{ExpiryCheck, ManifestPolicy, Rejection};
use super::statement::{MAX_MANIFEST_LEN, Manifest};

/// A manifest whose signature verified with a trusted key and which passed the device
/// policy. The only way to get one is [`verify`], so holding one is proof of both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifiedManifest<'m> {
    manifest: Manifest<'m>,
    key_id: KeyId,
    expiry: ExpiryCheck,
}

impl<'m> VerifiedManifest<'m> {
    /// The signed statement.
    pub fn manifest(&self) -> &Manifest<'m> {
        &self.manifest
    }

    /// The trusted key that verified the signature.
    pub fn key_id(&self) -> &KeyId {
        &self.key_id
    }

    /// How the expiry was handled.
    pub fn expiry(&self) -> ExpiryCheck {
        self.expiry
    }

    /// A streaming check of the image against the signed length and SHA-256.
    pub fn image_verifier(&self) -> ImageVerifier {
        ImageVerifier::new(u64::from(self.manifest.size), self.manifest.sha256.0)
    }
}

/// Check a [`FirmwareRef`] before anything is downloaded: decode the manifest (strict
/// base64, at most [`MAX_MANIFEST_LEN`] bytes, into `scratch`), verify its signature (DER
/// for ECDSA) with the trusted key named by `keyId` or, without one, with any trusted key,
/// parse it, check it against the document (`version` hint, `fileId`) and the job it arrived
/// in (`jobId`, when the manifest names one), then apply `policy`.
///
/// Does not download or hash the image: use [`VerifiedManifest::image_verifier`] for that.
///
/// # Errors
/// The first [`Rejection`], in that order.
pub fn verify<'m, const N: usize>(
    firmware: &FirmwareRef<'_>,
    job_id: &str,
    trust: &TrustStore<N>,
    policy: &ManifestPolicy<'_>,
    scratch: &'m mut [u8; MAX_MANIFEST_LEN],
) -> Result<VerifiedManifest<'m>, Rejection> {
    let (bytes, key_id) = check_signature(firmware, trust, scratch)?;
    let manifest = accept(bytes, firmware, job_id)?;
    let expiry = policy.check(&manifest)?;
    Ok(VerifiedManifest {
        manifest,
        key_id,
        expiry,
    })
}

/// What [`inspect`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InspectedManifest<'m> {
    /// The signed statement (its signature verified only when `key_id` is set).
    pub manifest: Manifest<'m>,
    /// The trusted key that verified the signature; `None` when no trust store was given.
    pub key_id: Option<KeyId>,
}

/// [`verify`] without the device policy, and with the signature check left out when `trust`
/// is `None`: for tools that say what a device would decide on a document without its keys
/// or its identity, and for callers that apply [`ManifestPolicy::check`] themselves (a
/// device that builds its policy only once the signature has verified). Every other check
/// is the same code as [`verify`]'s, in the same order: without a trust store the manifest
/// and signature must still be strict base64 (the signature at most
/// [`MAX_VERIFIABLE_SIGNATURE_LEN`](crate::crypto::MAX_VERIFIABLE_SIGNATURE_LEN) bytes) and `keyId`, when present, 64 hex digits.
///
/// Proves nothing about who signed the manifest unless `trust` was given, and nothing about
/// the device policy: only [`VerifiedManifest`] is proof of both, and only [`verify`] makes
/// one.
///
/// # Errors
/// The first [`Rejection`].
pub fn inspect<'m, const N: usize>(
    firmware: &FirmwareRef<'_>,
    job_id: &str,
    trust: Option<&TrustStore<N>>,
    scratch: &'m mut [u8; MAX_MANIFEST_LEN],
) -> Result<InspectedManifest<'m>, Rejection> {
    let (bytes, key_id) = inspect_signature(firmware, trust, scratch)?;
    let manifest = accept(bytes, firmware, job_id)?;
    Ok(InspectedManifest { manifest, key_id })
}

/// [`inspect`]'s first half: the manifest bytes (in `scratch`) and, with `trust`, the key
/// that verified them ([`check_signature`]); without, the bytes after the encoding checks
/// only. With [`accept`], the second half, for a caller that must not hold anything of its
/// own on the stack under the signature check (a device: call this from a small frame, and
/// [`accept`] after it returns).
///
/// # Errors
/// As [`check_signature`], or [`Rejection::Encoding`] without `trust`.
pub fn inspect_signature<'m, const N: usize>(
    firmware: &FirmwareRef<'_>,
    trust: Option<&TrustStore<N>>,
    scratch: &'m mut [u8; MAX_MANIFEST_LEN],
) -> Result<(&'m [u8], Option<KeyId>), Rejection> {
    Ok(match trust {
        Some(trust) => check_signature(firmware, trust, scratch).map(|(b, k)| (b, Some(k)))?,
        None => (decode_unverified(firmware, scratch)?, None),
    })
}

/// Decode the manifest (strict base64) and check its signatures with `trust` and its
/// [threshold](TrustStore::threshold) ([`Signatures::check`](crate::signed::Signatures::check)): with the key named by
/// `keyId`, or any trusted key, when the threshold is 1 and the document has no
/// `cosignatures`; otherwise until the threshold of distinct trusted keys have signed.
/// Returns the manifest bytes (in `scratch`) and the first key that verified. Checks
/// nothing else: [`verify`] adds the document, job and policy checks; a caller that already
/// holds the image (a device's manifest trailer) adds its own. Never inlined, nor is
/// `accept`: signature verification needs the most stack (~5.5 KB on Cortex-M), and this
/// way nothing of the manifest parsing and policy check is on the stack meanwhile.
///
/// # Errors
/// [`Rejection::Encoding`], [`Rejection::UnknownKey`] (no signature names a trusted key),
/// [`Rejection::BadSignature`] (none verifies), or [`Rejection::BelowThreshold`] (some do,
/// too few; or the store holds fewer keys than its threshold).
#[inline(never)]
pub fn check_signature<'m, const N: usize>(
    firmware: &FirmwareRef<'_>,
    trust: &TrustStore<N>,
    scratch: &'m mut [u8; MAX_MANIFEST_LEN],
) -> Result<(&'m [u8], KeyId), Rejection> {
    let bytes = decode_manifest(firmware, scratch)?;
    let key_id = firmware.signatures().check(trust, &Digest::sha256(bytes))?;
    Ok((bytes, key_id))
}

/// [`check_signature`] by the document's `signature` alone, with its `keyId` or any trusted
/// key, whatever the store's threshold and the `cosignatures`: for a statement that already
/// passed the threshold once and only comes back from the device's own storage (the
/// manifest trailer of the running image, which only ever raises the rollback floor).
/// Never for a statement from the network.
///
/// # Errors
/// [`Rejection::Encoding`], [`Rejection::UnknownKey`] or [`Rejection::BadSignature`].
#[inline(never)]
pub fn check_one_signature<'m, const N: usize>(
    firmware: &FirmwareRef<'_>,
    trust: &TrustStore<N>,
    scratch: &'m mut [u8; MAX_MANIFEST_LEN],
) -> Result<(&'m [u8], KeyId), Rejection> {
    let bytes = decode_manifest(firmware, scratch)?;
    let key_id = firmware
        .signatures()
        .check_first(trust, &Digest::sha256(bytes))?;
    Ok((bytes, key_id))
}

/// Every trusted key that signed the manifest (the document's `signature` and each of its
/// `cosignatures`, all verified: unlike [`check_signature`] it does not stop at the
/// threshold), and whether they make the store's [threshold](TrustStore::threshold): for
/// tools that show who signed a release. `scratch` receives the manifest bytes.
///
/// # Errors
/// [`Rejection::Encoding`], [`Rejection::UnknownKey`] for a `keyId` that is not 64 hex
/// digits, [`Rejection::BelowThreshold`] when the store holds fewer keys than its threshold.
pub fn signers<const N: usize>(
    firmware: &FirmwareRef<'_>,
    trust: &TrustStore<N>,
    scratch: &mut [u8; MAX_MANIFEST_LEN],
) -> Result<(Signers, bool), Rejection> {
    let bytes = decode_manifest(firmware, scratch)?;
    firmware.signatures().signers(trust, &Digest::sha256(bytes))
}

fn decode_manifest<'m>(
    firmware: &FirmwareRef<'_>,
    scratch: &'m mut [u8; MAX_MANIFEST_LEN],
) -> Result<&'m [u8], Rejection> {
    firmware
        .manifest
        .decode_base64(scratch, Base64Mode::Strict)
        .map_err(|_| Rejection::Encoding)
}

/// What [`check_signature`] decodes, without verifying: the manifest bytes (in `scratch`),
/// after checking that every signature is strict base64 that fits and every `keyId` is a
/// key id.
#[inline(never)]
fn decode_unverified<'m>(
    firmware: &FirmwareRef<'_>,
    scratch: &'m mut [u8; MAX_MANIFEST_LEN],
) -> Result<&'m [u8], Rejection> {
    let bytes = decode_manifest(firmware, scratch)?;
    firmware.signatures().check_encoding()?;
    Ok(bytes)
}

/// Longest version text: three 10-digit numbers, two dots, the labels with their marks.
const MAX_VERSION_TEXT: usize = 3 * 10 + 2 + 2 + crate::version::MAX_VERSION_LABEL_LEN;

/// Parse manifest bytes and check them against the document (`version` hint, `fileId`) and
/// the job (`jobId`), not the policy: [`inspect`]'s second half, after
/// [`inspect_signature`] or [`check_signature`]. Proves nothing about who signed `bytes`.
///
/// # Errors
/// [`Rejection::Malformed`], [`Rejection::VersionHintMismatch`], [`Rejection::WrongFile`] or
/// [`Rejection::WrongJob`].
#[inline(never)]
pub fn accept<'m>(
    bytes: &'m [u8],
    firmware: &FirmwareRef<'_>,
    job_id: &str,
) -> Result<Manifest<'m>, Rejection> {
    let manifest = Manifest::parse(bytes).map_err(|_| Rejection::Malformed)?;
    if let Some(hint) = firmware.version {
        // A hint too long for any version cannot name this one.
        let mut buf = [0u8; MAX_VERSION_TEXT];
        let parsed = hint.decode(&mut buf).ok().map(Version::parse);
        if parsed != Some(Ok(manifest.version)) {
            return Err(Rejection::VersionHintMismatch);
        }
    }
    if manifest.file_id != firmware.file_id {
        return Err(Rejection::WrongFile);
    }
    if manifest.job_id.is_some_and(|bound| bound != job_id) {
        return Err(Rejection::WrongJob);
    }
    Ok(manifest)
}
