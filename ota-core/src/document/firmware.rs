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
//!     "cosignatures": [{"keyId": "…", "signature": "…"}],
//!     "version": "1.2.3",
//!     "stream": "fw-1_2_3", "fileId": 0,
//!     "url": "https://…"
//!   }
//! }
//! ```
//!
//! Only the manifest is trusted (after its signature checks out, see [`crate::manifest`]);
//! everything else here is routing: `keyId` only narrows which *trusted* key is tried,
//! `version` is an unsigned hint for dashboards that must equal the signed version, and
//! `stream`/`fileId`/`url` say where to get bytes whose length and SHA-256 the manifest
//! fixes. ECDSA signatures are DER, as `openssl dgst -sign` writes them. At least one of
//! `stream` and `url` is required.
//!
//! `cosignatures` (optional, see [`Cosignatures`]) lists further signatures over the same
//! manifest bytes, for devices whose trust store needs a threshold of signers; with it,
//! `keyId` is required, so that every signature names its key.
//!
//! The document has no `steps`: a device always runs download, verify, install, reboot and
//! self-test. A `steps` member written by older tools is ignored like any other unknown
//! member, because it is not signed.

use serde::Deserialize;

use super::DocumentError;
use super::cosignatures::Cosignatures;
use super::number::DocU8;
use crate::jobs::StreamId;
use crate::json::{self, Fields, JsonStr, RawJson, Reader, Unknown};
use crate::signed::Signatures;

/// The `operation` value that marks this document type.
pub const FIRMWARE_OPERATION: &str = "firmware_update";

/// The validated `firmware` object.
///
/// Strings are [`JsonStr`]s, as written in the document and decoded when read (base64 with
/// [`JsonStr::decode_base64`]): `"manifest":"bQ\/="` reads as `bQ/=`. Build one from plain
/// text with [`JsonStr::from_plain`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirmwareRef<'a> {
    /// Base64 of the manifest bytes (decoded and verified by [`crate::manifest`]).
    pub manifest: JsonStr<'a>,
    /// Base64 signature over the decoded manifest bytes.
    pub signature: JsonStr<'a>,
    /// Hex key id selecting one trusted key; all trusted keys are tried when absent.
    /// Required with `cosignatures`.
    pub key_id: Option<JsonStr<'a>>,
    /// Further signatures over the same manifest bytes, each naming its key.
    pub cosignatures: Option<Cosignatures<'a>>,
    /// Unsigned version hint; must equal the manifest's version.
    pub version: Option<JsonStr<'a>>,
    /// MQTT stream carrying the image: a valid stream id once decoded
    /// ([`StreamId::from_json`]).
    pub stream: Option<JsonStr<'a>>,
    /// File id within the stream (default 0).
    pub file_id: u8,
    /// HTTPS URL of the image.
    pub url: Option<JsonStr<'a>>,
}

impl<'a> FirmwareRef<'a> {
    /// The manifest's signatures: `signature`, `keyId` and `cosignatures`.
    pub const fn signatures(&self) -> Signatures<'a> {
        Signatures {
            signature: self.signature,
            key_id: self.key_id,
            cosignatures: self.cosignatures,
        }
    }
}

/// Our firmware-update document, validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirmwareUpdate<'a> {
    /// Manifest, signature and image location.
    pub firmware: FirmwareRef<'a>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawFirmwareRef<'a> {
    #[serde(borrow, default)]
    manifest: Option<JsonStr<'a>>,
    #[serde(borrow, default)]
    signature: Option<JsonStr<'a>>,
    #[serde(borrow, default)]
    key_id: Option<JsonStr<'a>>,
    #[serde(borrow, default)]
    cosignatures: Option<RawJson<'a>>,
    #[serde(borrow, default)]
    version: Option<JsonStr<'a>>,
    #[serde(borrow, default)]
    stream: Option<JsonStr<'a>>,
    #[serde(default)]
    file_id: Option<DocU8>,
    #[serde(borrow, default)]
    url: Option<JsonStr<'a>>,
}

/// The document as written, before validation.
#[derive(Debug, Deserialize)]
pub(super) struct RawFirmwareUpdate<'a> {
    #[serde(borrow, default)]
    operation: Option<JsonStr<'a>>,
    #[serde(borrow, default)]
    firmware: Option<RawFirmwareRef<'a>>,
}

const DOCUMENT_FIELDS: &[&str] = &["operation", "firmware"];
const FIRMWARE_FIELDS: &[&str] = &[
    "manifest",
    "signature",
    "keyId",
    "cosignatures",
    "version",
    "stream",
    "fileId",
    "url",
];

impl<'a> RawFirmwareUpdate<'a> {
    /// Read with a [`Reader`]: what the `Deserialize` derive accepts, with the same error
    /// kinds (the tests compare them), in a fraction of its code.
    pub(super) fn read(raw: &'a [u8]) -> Result<Self, json::Error> {
        let mut r = Reader::new(raw);
        let mut fields = Fields::new(DOCUMENT_FIELDS);
        let (mut operation, mut firmware) = (None, None);
        let mut object = r.object()?;
        while let Some(key) = r.next_key(&mut object)? {
            match fields.member(&mut r, key, Unknown::Skip)? {
                Some(0) => operation = r.optional_string()?,
                Some(_) if r.null()? => firmware = None,
                Some(_) => firmware = Some(RawFirmwareRef::read(&mut r)?),
                None => {}
            }
        }
        r.finish()?;
        Ok(Self {
            operation,
            firmware,
        })
    }
}

impl<'a> RawFirmwareRef<'a> {
    fn read(r: &mut Reader<'a>) -> Result<Self, json::Error> {
        let mut fields = Fields::new(FIRMWARE_FIELDS);
        let mut raw = RawFirmwareRef {
            manifest: None,
            signature: None,
            key_id: None,
            cosignatures: None,
            version: None,
            stream: None,
            file_id: None,
            url: None,
        };
        let mut object = r.object()?;
        while let Some(key) = r.next_key(&mut object)? {
            let Some(index) = fields.member(r, key, Unknown::Skip)? else {
                continue;
            };
            if index == 3 || index == 6 {
                let null = r.null()?;
                if index == 3 {
                    raw.cosignatures = (!null).then(|| r.raw()).transpose()?;
                } else {
                    raw.file_id = (!null).then(|| DocU8::read(r)).transpose()?;
                }
                continue;
            }
            let value = r.optional_string()?;
            match index {
                0 => raw.manifest = value,
                1 => raw.signature = value,
                2 => raw.key_id = value,
                4 => raw.version = value,
                5 => raw.stream = value,
                _ => raw.url = value,
            }
        }
        Ok(raw)
    }
}

impl<'a> RawFirmwareUpdate<'a> {
    pub(super) fn validate(self) -> Result<FirmwareUpdate<'a>, DocumentError> {
        if !self.operation.is_some_and(|op| op == FIRMWARE_OPERATION) {
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
        let cosignatures = raw.cosignatures.map(Cosignatures::from_raw).transpose()?;
        if cosignatures.is_some() && raw.key_id.is_none() {
            return Err(DocumentError::MissingField("keyId"));
        }
        if let Some(stream) = &raw.stream {
            StreamId::check_json(stream).map_err(|_| DocumentError::BadStreamId)?;
        }
        let stream = raw.stream;
        let url = raw.url.filter(|s| !s.is_empty());
        if stream.is_none() && url.is_none() {
            return Err(DocumentError::NoLocation);
        }
        let firmware = FirmwareRef {
            manifest,
            signature,
            key_id: raw.key_id,
            cosignatures,
            version: raw.version,
            stream,
            file_id: raw.file_id.map_or(0, |v| v.0),
            url,
        };
        Ok(FirmwareUpdate { firmware })
    }
}
