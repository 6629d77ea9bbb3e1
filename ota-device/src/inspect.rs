//! What a device would decide about a job document, without a device: the intake the
//! [`Client`](crate::Client) runs when a job arrives, run on its own.
//!
//! [`inspect`] parses the document, checks it against the device's policy and checks the
//! signature exactly as the client does (it is the same code, not a copy), and returns
//! either the [`Reason`] the client would report with `REJECTED` or what the client would
//! start. Tools use it to tell a release engineer what a fleet will do with a document
//! (`ota-cloud inspect`); tests use it to compare a service's documents with a device's
//! decision.
//!
//! Two checks can be left out, which the client never does: the signature (no trust store:
//! every structural check still runs, e.g. an `afr_ota` file without a signature entry, or
//! with one that is not base64, is refused) and the device policy (no identity: product,
//! hardware, anti-rollback floor, `minVersion`, expiry and slot size are not checked).
//!
//! Does not download anything: an `afr_ota` file's signature covers the file, so it is
//! checked after the download ([`SignatureCheck::AfterDownload`]), as is a manifest's
//! SHA-256.

use ota_core::crypto::{KeyId, TrustStore};
use ota_core::manifest::{ExpiryCheck, MAX_MANIFEST_LEN, ManifestPolicy};
use ota_core::version::{SecurityCounter, Version};

use crate::client::job::{
    ActiveJob, Findings, ImageCheck, Intake, IntakeContext, PolicySource, Transport, intake,
};
use crate::config::PreferredTransport;
use crate::reason::Reason;
use crate::record::ImageKind;

/// What a device knows when it takes a job.
#[derive(Debug, Clone, Copy)]
pub struct Device<'a, const K: usize> {
    /// The keys the device trusts; `None` leaves out the signature check alone (a client
    /// never does).
    pub trust: Option<&'a TrustStore<K>>,
    /// Its identity, floor, trusted time and slot size (`max_size`: the image capacity, as
    /// the client computes it from the slot); `None` leaves out these checks.
    pub policy: Option<ManifestPolicy<'a>>,
    /// Which transport it takes when a document offers both.
    pub preferred_transport: PreferredTransport,
    /// Whether it takes `afr_ota` documents ([`crate::Config::accept_afr_ota`]).
    pub accept_afr_ota: bool,
}

/// Where a device would fetch the image from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetch {
    /// An MQTT stream (the id decoded from the document) and the file's id in it.
    Stream {
        /// The stream id.
        id: heapless::String<128>,
        /// The file's id in the stream.
        file_id: u8,
    },
    /// An HTTPS URL: its `len` decoded bytes are at the start of the caller's URL buffer.
    Http {
        /// Length of the URL in the buffer.
        len: usize,
    },
}

/// When the image's signature is (or was) checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureCheck {
    /// A signed manifest verified with this trusted key, before anything is downloaded.
    Verified(KeyId),
    /// An `afr_ota` file signature: decoded now, checked against the file once it is
    /// downloaded.
    AfterDownload,
    /// No trust store was given.
    NotChecked,
}

/// What a device would start for a firmware document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirmwareJob {
    /// Image size in bytes (signed for a manifest, as written for `afr_ota`).
    pub size: u32,
    /// The signed version (manifest documents only).
    pub version: Option<Version>,
    /// The signed security counter (0 for `afr_ota`).
    pub security_counter: SecurityCounter,
    /// Whether the image is booted once verified: false for an `afr_ota` file that is not
    /// firmware (its `fileType`), which is verified and reported, never activated.
    pub activates: bool,
    /// Where it comes from.
    pub fetch: Fetch,
    /// When its signature is checked.
    pub signature: SignatureCheck,
    /// How a manifest's expiry was handled (`None`: `afr_ota`, or no policy given).
    pub expiry: Option<ExpiryCheck>,
}

/// What a device would do with a document it accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(
    clippy::large_enum_variant,
    reason = "returned once per document and matched at once; boxing needs an allocator"
)]
pub enum Verdict {
    /// Not a firmware document: the client hands it to the application as a custom job.
    Custom,
    /// A firmware job the client would start.
    Firmware(FirmwareJob),
}

/// Run the client's intake on `document` (the job document's JSON, as the `jobDocument`
/// value of the execution) of job `job_id` for `device`. An HTTPS URL is decoded into `url`,
/// whose length is the device's URL buffer: a longer URL is not usable, as on the device.
///
/// # Errors
/// The [`Reason`] the client would report the job `REJECTED` with.
pub fn inspect<const K: usize>(
    device: &Device<'_, K>,
    job_id: &str,
    document: &[u8],
    url: &mut [u8],
) -> Result<Verdict, Reason> {
    let mut scratch = [0u8; MAX_MANIFEST_LEN];
    let mut job = None;
    let mut findings = Findings::default();
    let mut ctx = IntakeContext {
        trust: device.trust,
        policy: device.policy.as_ref().map(PolicySource::Given),
        preferred_transport: device.preferred_transport,
        accept_afr_ota: device.accept_afr_ota,
        findings: Some(&mut findings),
        scratch: &mut scratch,
        url,
        job: &mut job,
    };
    let target = match intake(&mut ctx, job_id, document)? {
        Intake::Custom => return Ok(Verdict::Custom),
        Intake::Firmware(target) => target,
    };
    // The intake sets the job whenever it accepts a firmware document.
    let Some(ActiveJob { transport, check }) = job else {
        return Err(Reason::BadDocument);
    };
    let signature = match (check, findings.verified_by) {
        (ImageCheck::Sha256(_), Some(key)) => SignatureCheck::Verified(key),
        (ImageCheck::Sha256(_), None) => SignatureCheck::NotChecked,
        #[cfg(feature = "afr-ota")]
        (ImageCheck::Signature { .. }, _) if device.trust.is_some() => {
            SignatureCheck::AfterDownload
        }
        #[cfg(feature = "afr-ota")]
        (ImageCheck::Signature { .. }, _) => SignatureCheck::NotChecked,
    };
    Ok(Verdict::Firmware(FirmwareJob {
        size: target.size,
        version: target.version,
        security_counter: target.counter,
        activates: target.kind != ImageKind::AfrFile,
        fetch: match transport {
            Transport::Stream { id, file_id } => Fetch::Stream { id, file_id },
            Transport::Http { len } => Fetch::Http { len },
        },
        signature,
        expiry: findings.expiry,
    }))
}
