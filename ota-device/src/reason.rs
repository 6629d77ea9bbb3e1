//! Why a job was rejected, failed or rolled back: the `statusDetails.reason` values.

use core::fmt;

use ota_core::manifest::Rejection;

macro_rules! reasons {
    ($($(#[doc = $doc:literal])* $name:ident = $code:literal, $text:literal;)*) => {
        /// A reason reported in `statusDetails.reason` and in [`crate::Event`]s.
        ///
        /// The text is stable snake case, so dashboards can group by it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        #[repr(u8)]
        pub enum Reason {
            $($(#[doc = $doc])* $name = $code,)*
        }

        impl Reason {
            /// The `statusDetails.reason` text.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$name => $text,)*
                }
            }

            /// One sentence on what the reason means (its documentation), for people
            /// reading a report; not for matching: use [`Reason::as_str`].
            pub fn description(self) -> &'static str {
                match self {
                    $(Self::$name => concat!($($doc),*).trim_start(),)*
                }
            }

            /// The persisted code of a reason.
            pub(crate) const fn code(self) -> u8 {
                self as u8
            }

            /// The reason for a persisted code.
            pub(crate) fn from_code(code: u8) -> Option<Self> {
                match code {
                    $($code => Some(Self::$name),)*
                    _ => None,
                }
            }
        }
    };
}

reasons! {
    /// The manifest or signature text is not valid base64.
    BadEncoding = 1, "bad_encoding";
    /// No trusted key for the signature.
    UnknownKey = 2, "unknown_key";
    /// The signature does not verify.
    BadSignature = 3, "bad_signature";
    /// The signed manifest is malformed.
    BadManifest = 4, "bad_manifest";
    /// The document's version hint differs from the signed manifest.
    VersionHintMismatch = 5, "version_mismatch";
    /// The image is for another product.
    WrongProduct = 6, "wrong_product";
    /// The image is for other hardware.
    WrongHardware = 7, "wrong_hardware";
    /// The manifest covers another file.
    WrongFile = 8, "wrong_file";
    /// The manifest is bound to another job.
    WrongJob = 9, "wrong_job";
    /// The image is not newer than the installed floor.
    NotNewer = 10, "not_newer";
    /// The image's security counter is below the floor.
    CounterBelowFloor = 11, "security_counter_below_floor";
    /// The running version is below the image's minimum.
    RunningTooOld = 12, "running_version_too_old";
    /// The manifest has expired.
    Expired = 13, "expired";
    /// The manifest has an expiry and the device has no trusted time.
    NoTrustedTime = 14, "no_trusted_time";
    /// The image is empty or larger than the slot.
    TooLarge = 15, "too_large";
    /// The job document is malformed or fails validation.
    BadDocument = 16, "bad_document";
    /// The document offers no transport this device can use.
    UnsupportedProtocol = 17, "unsupported_protocol";
    /// The document lists several files; this client installs one file per job.
    MultipleFiles = 18, "multiple_files";
    /// No `sig-*` entry matches a trusted key's algorithm.
    NoUsableSignature = 19, "no_usable_signature";
    /// Blocks stopped arriving and retries ran out.
    DownloadTimeout = 20, "download_timeout";
    /// The stream service refused a request for good.
    StreamRejected = 21, "stream_rejected";
    /// The downloaded image does not have the signed length and SHA-256.
    ImageMismatch = 22, "image_hash_mismatch";
    /// The downloaded file's signature does not verify (AWS `afr_ota`).
    SignatureCheckFailed = 23, "signature_check_failed";
    /// Flash or state storage failed.
    StorageFailure = 24, "storage_failure";
    /// The application's self-test failed.
    SelfTestFailed = 25, "self_test_failed";
    /// The application did not report a self-test result in time.
    SelfTestTimeout = 26, "self_test_timeout";
    /// The image that booted is not the one that was installed.
    BootedWrongVersion = 27, "booted_wrong_version";
    /// The bootloader reverted the new image (a crash or reset before commit).
    RolledBackByBootloader = 28, "rolled_back_by_bootloader";
    /// The service stopped answering a status update.
    NoResponse = 29, "no_response";
    /// The job was cancelled, removed or finished elsewhere.
    JobGone = 30, "job_gone";
    /// An HTTP range request failed and retries ran out.
    HttpFailed = 31, "http_failed";
    /// The service refused a request as malformed (a bug on one side).
    RequestRefused = 32, "request_refused";
    /// The pending image never booted (the bootloader did not take it).
    ActivationFailed = 33, "activation_failed";
    /// The document is of a format this device does not take: AWS `afr_ota` without the
    /// `afr-ota` feature, or on a device configured to refuse it
    /// (`Config::accept_afr_ota`), or whose trust store needs more than one signer (an
    /// `afr_ota` document carries one signature); or a trust update on a device whose keys
    /// are fixed.
    UnsupportedDocument = 34, "unsupported_document";
    /// The device booted an image on trial but its state record was lost or corrupt: the
    /// client cannot tell which job installed it, so it rolls back.
    StateLost = 35, "state_lost";
    /// Fewer distinct trusted keys signed the manifest than the trust store's threshold.
    BelowThreshold = 36, "below_threshold";
    /// A trust update's root is not newer than the device's (an old root replayed).
    RootNotNewer = 37, "root_not_newer";
    /// A trust update's root is unusable: malformed, a role without keys, with more keys
    /// than the device holds or a bad threshold, a key that does not decode, not signed by
    /// the threshold of its own root keys, or too large to store.
    BadRoot = 38, "bad_root";
    /// A floor reset allows a counter below the device's monotonic counter, which cannot
    /// be lowered.
    FloorLocked = 39, "floor_locked";
    /// A floor reset's sequence is not above the last one the device took (a replay).
    ResetNotNewer = 40, "reset_not_newer";
}

impl From<Rejection> for Reason {
    fn from(r: Rejection) -> Self {
        match r {
            Rejection::Encoding => Self::BadEncoding,
            Rejection::UnknownKey => Self::UnknownKey,
            Rejection::BadSignature => Self::BadSignature,
            Rejection::BelowThreshold => Self::BelowThreshold,
            Rejection::Malformed => Self::BadManifest,
            Rejection::VersionHintMismatch => Self::VersionHintMismatch,
            Rejection::WrongProduct => Self::WrongProduct,
            Rejection::WrongHardware => Self::WrongHardware,
            Rejection::WrongFile => Self::WrongFile,
            Rejection::WrongJob => Self::WrongJob,
            Rejection::NotNewer => Self::NotNewer,
            Rejection::CounterBelowFloor => Self::CounterBelowFloor,
            Rejection::RunningTooOld => Self::RunningTooOld,
            Rejection::Expired => Self::Expired,
            Rejection::NoTrustedTime => Self::NoTrustedTime,
            Rejection::BadSize => Self::TooLarge,
            _ => Self::BadManifest,
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `statusDetails.reason` text, as [`fmt::Display`] writes it.
#[cfg(feature = "defmt")]
impl defmt::Format for Reason {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{=str}", self.as_str());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_texts_match_the_manifest_reasons() {
        for code in 0..=255u8 {
            if let Some(r) = Reason::from_code(code) {
                assert_eq!(r.code(), code);
            }
        }
        assert_eq!(
            Reason::from(Rejection::WrongHardware).as_str(),
            Rejection::WrongHardware.reason()
        );
        assert_eq!(
            Reason::from(Rejection::CounterBelowFloor).as_str(),
            Rejection::CounterBelowFloor.reason()
        );
        assert_eq!(
            Reason::from(Rejection::BadSize).as_str(),
            Rejection::BadSize.reason()
        );
    }

    #[test]
    fn every_reason_is_a_status_detail_aws_accepts() {
        let mut seen = 0;
        for r in (0..=255u8).filter_map(Reason::from_code) {
            assert_eq!(
                ota_core::jobs::check_detail("reason", r.as_str()),
                Ok(()),
                "{r:?}"
            );
            seen += 1;
        }
        assert!(seen > 5);
    }

    #[test]
    fn descriptions_are_the_documentation() {
        assert_eq!(
            Reason::BadEncoding.description(),
            "The manifest or signature text is not valid base64."
        );
        assert_eq!(
            Reason::UnsupportedDocument.description(),
            "The document is of a format this device does not take: AWS `afr_ota` without the `afr-ota` feature, or on a device configured to refuse it (`Config::accept_afr_ota`), or whose trust store needs more than one signer (an `afr_ota` document carries one signature); or a trust update on a device whose keys are fixed."
        );
        for r in (0..=255u8).filter_map(Reason::from_code) {
            let text = r.description();
            assert!(
                text.ends_with('.') && !text.starts_with(' '),
                "{r:?}: {text}"
            );
        }
    }
}
