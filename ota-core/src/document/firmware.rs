//! This project's firmware-update job document: a signed manifest plus where to fetch the
//! image.
//!
//! ```json
//! {
//!   "operation": "firmware_update",
//!   "firmware": {
//!     "manifest": "<base64 of the manifest JSON bytes>",
//!     "signature": "<base64 signature over exactly those bytes>",
//!     "keyId": "<64 hex digits: SHA-256 of the signer's SPKI>",
//!     "version": "1.2.3",
//!     "stream": "fw-1_2_3", "fileId": 0,
//!     "url": "https://…"
//!   },
//!   "steps": ["download", "verify", "install", "reboot", "self_test"]
//! }
//! ```
//!
//! Only the manifest is trusted (after its signature checks out, see [`crate::manifest`]);
//! everything else here is routing: `keyId` only narrows which *trusted* key is tried,
//! `version` is an unsigned hint for dashboards that must equal the signed version, and
//! `stream`/`fileId`/`url` say where to get bytes whose length and SHA-256 the manifest
//! fixes. ECDSA signatures are DER, as `openssl dgst -sign` writes them. At least one of
//! `stream` and `url` is required; `steps`, when present, must list known steps in order and
//! include `download`, `verify` and `install`.

use serde::Deserialize;

use super::DocumentError;
use super::number::DocU8;
use crate::jobs::StreamId;

/// The `operation` value that marks this document type.
pub const FIRMWARE_OPERATION: &str = "firmware_update";

/// One step of an update, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    /// Fetch the image.
    Download,
    /// Check length and SHA-256 against the signed manifest.
    Verify,
    /// Write it to the inactive slot and mark it pending.
    Install,
    /// Boot into it.
    Reboot,
    /// Let the application test it before committing.
    SelfTest,
}

impl Step {
    /// Every step, in order.
    pub const ALL: [Self; 5] = [
        Self::Download,
        Self::Verify,
        Self::Install,
        Self::Reboot,
        Self::SelfTest,
    ];

    /// The wire name (`self_test`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Download => "download",
            Self::Verify => "verify",
            Self::Install => "install",
            Self::Reboot => "reboot",
            Self::SelfTest => "self_test",
        }
    }
}

/// The validated `steps` list (all five when the document has none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Steps(u8);

impl Steps {
    /// Every step.
    pub const ALL: Self = Self(0b1_1111);

    /// Whether `step` is listed.
    pub const fn contains(self, step: Step) -> bool {
        self.0 & (1 << step as u8) != 0
    }

    fn from_names(names: &[&str]) -> Result<Self, DocumentError> {
        let mut bits = 0u8;
        let mut last: Option<Step> = None;
        for name in names {
            let step = Step::ALL
                .into_iter()
                .find(|s| s.as_str() == *name)
                .ok_or(DocumentError::UnknownStep)?;
            if last.is_some_and(|l| l >= step) {
                return Err(DocumentError::StepsOutOfOrder);
            }
            last = Some(step);
            bits |= 1 << step as u8;
        }
        let steps = Self(bits);
        let required = [Step::Download, Step::Verify, Step::Install];
        if !required.into_iter().all(|s| steps.contains(s)) {
            return Err(DocumentError::MissingStep);
        }
        Ok(steps)
    }
}

/// The validated `firmware` object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirmwareRef<'a> {
    /// Base64 of the manifest bytes (decoded and verified by [`crate::manifest`]).
    pub manifest: &'a str,
    /// Base64 signature over the decoded manifest bytes.
    pub signature: &'a str,
    /// Hex key id selecting one trusted key; all trusted keys are tried when absent.
    pub key_id: Option<&'a str>,
    /// Unsigned version hint; must equal the manifest's version.
    pub version: Option<&'a str>,
    /// MQTT stream carrying the image.
    pub stream: Option<StreamId<'a>>,
    /// File id within the stream (default 0).
    pub file_id: u8,
    /// HTTPS URL of the image.
    pub url: Option<&'a str>,
}

/// Our firmware-update document, validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirmwareUpdate<'a> {
    /// Manifest, signature and image location.
    pub firmware: FirmwareRef<'a>,
    /// The steps to run.
    pub steps: Steps,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawFirmwareRef<'a> {
    #[serde(borrow, default)]
    manifest: Option<&'a str>,
    #[serde(borrow, default)]
    signature: Option<&'a str>,
    #[serde(borrow, default)]
    key_id: Option<&'a str>,
    #[serde(borrow, default)]
    version: Option<&'a str>,
    #[serde(borrow, default)]
    stream: Option<&'a str>,
    #[serde(default)]
    file_id: Option<DocU8>,
    #[serde(borrow, default)]
    url: Option<&'a str>,
}

/// The document as written, before validation.
#[derive(Debug, Deserialize)]
pub(super) struct RawFirmwareUpdate<'a> {
    #[serde(borrow, default)]
    operation: Option<&'a str>,
    #[serde(borrow, default)]
    firmware: Option<RawFirmwareRef<'a>>,
    #[serde(borrow, default)]
    steps: Option<heapless::Vec<&'a str, 5>>,
}

impl<'a> RawFirmwareUpdate<'a> {
    pub(super) fn validate(self) -> Result<FirmwareUpdate<'a>, DocumentError> {
        if self.operation != Some(FIRMWARE_OPERATION) {
            return Err(DocumentError::NotFirmwareUpdate);
        }
        let raw = self
            .firmware
            .ok_or(DocumentError::MissingField("firmware"))?;
        let manifest = raw
            .manifest
            .filter(|s| !s.is_empty())
            .ok_or(DocumentError::MissingField("manifest"))?;
        let signature = raw
            .signature
            .filter(|s| !s.is_empty())
            .ok_or(DocumentError::MissingField("signature"))?;
        let stream = raw
            .stream
            .map(StreamId::new)
            .transpose()
            .map_err(|_| DocumentError::BadStreamId)?;
        let url = raw.url.filter(|s| !s.is_empty());
        if stream.is_none() && url.is_none() {
            return Err(DocumentError::NoLocation);
        }
        let steps = match self.steps {
            Some(names) => Steps::from_names(&names)?,
            None => Steps::ALL,
        };
        let firmware = FirmwareRef {
            manifest,
            signature,
            key_id: raw.key_id,
            version: raw.version,
            stream,
            file_id: raw.file_id.map_or(0, |v| v.0),
            url,
        };
        Ok(FirmwareUpdate { firmware, steps })
    }
}
