//! The device-side checks on a manifest whose signature has been verified.

use crate::version::{SecurityCounter, Version};

use super::statement::Manifest;

/// What the device knows about wall-clock time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrustedTime {
    /// Unix seconds from a source the device trusts (RTC synced over an authenticated
    /// channel, a GNSS fix, …).
    Unix(u64),
    /// No trusted time. Expiry cannot be enforced; whether that is acceptable is
    /// [`ManifestPolicy::require_trusted_time`].
    Unknown,
}

/// The persisted anti-rollback floor: the committed version and the highest security
/// counter seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RollbackFloor {
    /// An image must be newer than this.
    pub version: Version,
    /// An image's counter must be at least this.
    pub security_counter: SecurityCounter,
}

/// What a device accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ManifestPolicy<'p> {
    /// This device's product id.
    pub product: &'p str,
    /// This device's hardware id.
    pub hardware: &'p str,
    /// The version running now (checked against `minVersion`).
    pub running: Version,
    /// The persisted floor.
    pub floor: RollbackFloor,
    /// Largest image the target slot holds.
    pub max_size: u32,
    /// Current trusted time.
    pub now: TrustedTime,
    /// Refuse manifests with an expiry when the time is [`TrustedTime::Unknown`]
    /// (default: false, i.e. accept and report the expiry as unchecked).
    pub require_trusted_time: bool,
    /// Accept an image whose version equals the floor (a reinstall); default false.
    pub allow_same_version: bool,
}

impl<'p> ManifestPolicy<'p> {
    /// A policy for `product`/`hardware` running `running`, with the floor at `running`
    /// and counter 0, no size limit, unknown time.
    pub const fn new(product: &'p str, hardware: &'p str, running: Version) -> Self {
        Self {
            product,
            hardware,
            running,
            floor: RollbackFloor {
                version: running,
                security_counter: SecurityCounter(0),
            },
            max_size: u32::MAX,
            now: TrustedTime::Unknown,
            require_trusted_time: false,
            allow_same_version: false,
        }
    }
}

/// Why a manifest (or the document carrying it) was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// The manifest or signature text is not valid base64, or too long.
    #[error("manifest or signature encoding is invalid")]
    Encoding,
    /// `keyId` is not 64 hex digits, or names no trusted key.
    #[error("manifest names a key this device does not trust")]
    UnknownKey,
    /// No trusted key verifies the signature.
    #[error("manifest signature does not verify")]
    BadSignature,
    /// Fewer distinct trusted keys signed than the trust store's threshold (or the store
    /// holds fewer keys than its threshold).
    #[error("manifest is signed by fewer trusted keys than the threshold")]
    BelowThreshold,
    /// The signed bytes are not a well-formed manifest.
    #[error("signed manifest is malformed")]
    Malformed,
    /// The document's unsigned `version` hint differs from the signed version.
    #[error("document version differs from the signed manifest")]
    VersionHintMismatch,
    /// Signed for another product.
    #[error("image is for another product")]
    WrongProduct,
    /// Signed for other hardware.
    #[error("image is for other hardware")]
    WrongHardware,
    /// Signed for another file of the job.
    #[error("manifest covers another file")]
    WrongFile,
    /// Bound to another job.
    #[error("manifest is bound to another job")]
    WrongJob,
    /// Not newer than the floor.
    #[error("image version is not newer than the installed floor")]
    NotNewer,
    /// Security counter below the floor.
    #[error("image security counter is below the floor")]
    CounterBelowFloor,
    /// The running version is below the manifest's `minVersion`.
    #[error("running version is below the image's minimum")]
    RunningTooOld,
    /// Past its expiry.
    #[error("manifest has expired")]
    Expired,
    /// Has an expiry but the device has no trusted time and the policy requires it.
    #[error("manifest expiry cannot be checked without trusted time")]
    NoTrustedTime,
    /// Size 0 or larger than the slot.
    #[error("image size is 0 or exceeds the slot")]
    BadSize,
}

impl Rejection {
    /// A short reason for `statusDetails.reason` (snake case, stable).
    pub const fn reason(self) -> &'static str {
        match self {
            Self::Encoding => "bad_encoding",
            Self::UnknownKey => "unknown_key",
            Self::BadSignature => "bad_signature",
            Self::BelowThreshold => "below_threshold",
            Self::Malformed => "bad_manifest",
            Self::VersionHintMismatch => "version_mismatch",
            Self::WrongProduct => "wrong_product",
            Self::WrongHardware => "wrong_hardware",
            Self::WrongFile => "wrong_file",
            Self::WrongJob => "wrong_job",
            Self::NotNewer => "not_newer",
            Self::CounterBelowFloor => "security_counter_below_floor",
            Self::RunningTooOld => "running_version_too_old",
            Self::Expired => "expired",
            Self::NoTrustedTime => "no_trusted_time",
            Self::BadSize => "too_large",
        }
    }
}

/// Whether the expiry was enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryCheck {
    /// The manifest has no expiry.
    NoExpiry,
    /// Checked against trusted time and still valid.
    Valid,
    /// The manifest has an expiry but the time was unknown; accepted by policy.
    Unchecked,
}

impl ManifestPolicy<'_> {
    /// Apply every check but the signature, in Uptane's order: identity, anti-rollback,
    /// freshness, size. Returns how the expiry was handled.
    ///
    /// # Errors
    /// The first failing check.
    pub fn check(&self, m: &Manifest<'_>) -> Result<ExpiryCheck, Rejection> {
        if m.product != self.product {
            return Err(Rejection::WrongProduct);
        }
        if m.hardware != self.hardware {
            return Err(Rejection::WrongHardware);
        }
        let newer = match m.version.cmp_precedence(&self.floor.version) {
            core::cmp::Ordering::Greater => true,
            core::cmp::Ordering::Equal => self.allow_same_version,
            core::cmp::Ordering::Less => false,
        };
        if !newer {
            return Err(Rejection::NotNewer);
        }
        if m.security_counter < self.floor.security_counter {
            return Err(Rejection::CounterBelowFloor);
        }
        if m.min_version
            .is_some_and(|min| self.running.cmp_precedence(&min).is_lt())
        {
            return Err(Rejection::RunningTooOld);
        }
        let expiry = match (m.expires, self.now) {
            (None, _) => ExpiryCheck::NoExpiry,
            (Some(expires), TrustedTime::Unix(now)) if now < expires => ExpiryCheck::Valid,
            (Some(_), TrustedTime::Unix(_)) => return Err(Rejection::Expired),
            (Some(_), TrustedTime::Unknown) if self.require_trusted_time => {
                return Err(Rejection::NoTrustedTime);
            }
            (Some(_), TrustedTime::Unknown) => ExpiryCheck::Unchecked,
        };
        if m.size == 0 || m.size > self.max_size {
            return Err(Rejection::BadSize);
        }
        Ok(expiry)
    }
}
