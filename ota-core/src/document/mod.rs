//! Job documents: the FreeRTOS `afr_ota` format and this project's signed firmware update.
//!
//! [`JobDocument::parse`] takes the raw `jobDocument` JSON of an execution and tells the
//! formats apart: an `afr_ota` key makes it [`AfrOta`], `"operation":"firmware_update"`
//! makes it [`FirmwareUpdate`], anything else is [`JobDocument::Custom`] and belongs to the
//! application. Both formats are validated when parsed, so a value of these types is always
//! usable; what each format can and cannot prove is in its module docs. Numbers follow the
//! [quoted-number policy](number).
//!
//! Telling the formats apart never interprets a number (the `operation` value is taken as raw
//! text and compared only if it is a string), so a document whose `operation` is a number,
//! float or not, is `Custom` with and without the `alloc` feature. Strings are compared
//! decoded, keys included: no document changes kind for how it is escaped.

mod afr_ota;
mod cosignatures;
#[cfg(test)]
mod differential_tests;
pub(crate) mod envelope;
mod firmware;
mod floor_reset;
pub mod number;
mod serialize;
mod trust_update;

pub use afr_ota::{
    AfrFile, AfrOta, MAX_BLOCK_SIZE, MAX_FILE_SIZE, MAX_FILES, MAX_SIGNATURES, Protocol,
};
pub use cosignatures::{Cosignature, Cosignatures, MAX_COSIGNATURES};
pub use firmware::{FIRMWARE_OPERATION, FirmwareRef, FirmwareUpdate};
pub use floor_reset::{FLOOR_RESET_OPERATION, FloorReset};
pub use trust_update::{TRUST_UPDATE_OPERATION, TrustUpdate};

use crate::json::{self, JsonStr, RawJson};

/// Why a job document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DocumentError {
    /// Not JSON, or a field of the wrong JSON type.
    #[error("job document: {0}")]
    Json(json::Error),
    /// A required field is absent or `null`.
    #[error("job document lacks `{0}`")]
    MissingField(&'static str),
    /// `protocols` names something other than `MQTT` or `HTTP`.
    #[error("job document names an unknown protocol")]
    UnknownProtocol,
    /// `protocols` names a protocol twice.
    #[error("job document names a protocol twice")]
    DuplicateProtocol,
    /// `protocols` is empty.
    #[error("job document offers no protocol")]
    NoProtocols,
    /// `streamname` is empty.
    #[error("job document has an empty streamname")]
    EmptyStreamName,
    /// `files` is empty.
    #[error("job document lists no files")]
    NoFiles,
    /// `filesize` is 0.
    #[error("job document has a file of size 0")]
    EmptyFile,
    /// `filesize` exceeds [`MAX_FILE_SIZE`].
    #[error("job document file size exceeds the block-count limit")]
    FileTooLarge,
    /// More files than the caller keeps (see [`AfrOta`]'s `F`); every file was valid.
    #[error("job document lists more files than this device takes")]
    TooManyFiles,
    /// Not `"operation":"firmware_update"`.
    #[error("job document is not a firmware update")]
    NotFirmwareUpdate,
    /// `stream` is not a valid stream id.
    #[error("job document has an invalid stream id")]
    BadStreamId,
    /// Neither `stream` nor `url`.
    #[error("job document says neither stream nor url")]
    NoLocation,
    /// Not `"operation":"trust_update"`.
    #[error("job document is not a trust update")]
    NotTrustUpdate,
    /// Not `"operation":"floor_reset"`.
    #[error("job document is not a floor reset")]
    NotFloorReset,
    /// `cosignatures` is empty or lists more than [`MAX_COSIGNATURES`] entries.
    #[error("job document lists no cosignatures, or more than {MAX_COSIGNATURES}")]
    BadCosignatures,
}

impl From<json::Error> for DocumentError {
    fn from(e: json::Error) -> Self {
        Self::Json(e)
    }
}

/// A parsed, validated job document.
///
/// Allocation-free, so an `afr_ota` document with its ten possible files is held inline
/// (about 2.2 KB); parse it, take what you need, and drop it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(
    clippy::large_enum_variant,
    reason = "no allocation: boxing is not an option"
)]
pub enum JobDocument<'a> {
    /// FreeRTOS `afr_ota` (AWS `CreateOTAUpdate`).
    AfrOta(AfrOta<'a>),
    /// This project's signed-manifest firmware update.
    Firmware(FirmwareUpdate<'a>),
    /// This project's signed trust-root update.
    TrustUpdate(TrustUpdate<'a>),
    /// This project's root-signed anti-rollback floor reset.
    FloorReset(FloorReset<'a>),
    /// Any other job: the application's business, handed over untouched.
    Custom(RawJson<'a>),
}

/// A JSON parser the document types can run on: this crate's strict one, or `serde_json`.
pub trait JsonParser {
    /// Deserialize `T` from `input`.
    ///
    /// # Errors
    /// The parser's error, as a [`json::Error`].
    fn from_slice<'a, T: serde::Deserialize<'a>>(input: &'a [u8]) -> Result<T, json::Error>;

    /// Whether the shapes this crate reads by hand ([`json::Reader`]: the probe and the
    /// firmware document) are read that way instead of through [`JsonParser::from_slice`].
    /// Both accept the same documents; the readers take far less code on a device.
    #[doc(hidden)]
    const HAND_WRITTEN: bool = false;
}

/// [`crate::json::from_slice`]: strict, no allocation.
#[derive(Debug, Clone, Copy, Default)]
pub struct StrictJson;

impl JsonParser for StrictJson {
    fn from_slice<'a, T: serde::Deserialize<'a>>(input: &'a [u8]) -> Result<T, json::Error> {
        json::from_slice(input)
    }

    const HAND_WRITTEN: bool = true;
}

/// [`crate::json::from_slice`] through serde's derives only: the oracle the hand-written
/// readers are compared with.
#[cfg(test)]
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct StrictSerde;

#[cfg(test)]
impl JsonParser for StrictSerde {
    fn from_slice<'a, T: serde::Deserialize<'a>>(input: &'a [u8]) -> Result<T, json::Error> {
        json::from_slice(input)
    }
}

/// `serde_json::from_slice` (feature `alloc`).
#[cfg(feature = "alloc")]
#[derive(Debug, Clone, Copy, Default)]
pub struct SerdeJson;

#[cfg(feature = "alloc")]
impl JsonParser for SerdeJson {
    fn from_slice<'a, T: serde::Deserialize<'a>>(input: &'a [u8]) -> Result<T, json::Error> {
        serde_json::from_slice(input).map_err(|e| json::Error::from_serde_json(&e))
    }
}

/// Which format a document claims to be, read without validating it. `operation` is taken
/// as raw text: a string is compared, decoded, with `firmware_update`; any other value, a
/// number of any kind included, is skipped without being interpreted, so the probe works
/// the same with and without `alloc`.
#[derive(serde::Deserialize)]
struct Probe<'a> {
    #[serde(default)]
    afr_ota: Option<serde::de::IgnoredAny>,
    #[serde(borrow, default)]
    operation: Option<RawJson<'a>>,
}

const PROBE_FIELDS: &[&str] = &["afr_ota", "operation"];

impl<'a> Probe<'a> {
    /// Read with a [`json::Reader`], as the derive reads it.
    fn read(raw: &'a [u8]) -> Result<Self, json::Error> {
        let mut r = json::Reader::new(raw);
        let mut fields = json::Fields::new(PROBE_FIELDS);
        let mut probe = Probe {
            afr_ota: None,
            operation: None,
        };
        let mut object = r.object()?;
        while let Some(key) = r.next_key(&mut object)? {
            match fields.member(&mut r, key, json::Unknown::Skip)? {
                Some(0) if r.null()? => probe.afr_ota = None,
                Some(0) => probe.afr_ota = r.skip().map(|()| Some(serde::de::IgnoredAny))?,
                Some(_) if r.null()? => probe.operation = None,
                Some(_) => probe.operation = Some(r.raw()?),
                None => {}
            }
        }
        r.finish()?;
        Ok(probe)
    }

    /// Whether `operation` is the string `name` (decoded).
    fn operation_is(&self, name: &str) -> bool {
        let text = self.operation.map(|raw| raw.get());
        text.and_then(|t| t.strip_prefix('"'))
            .and_then(|t| t.strip_suffix('"'))
            // A string the parser checked.
            .map(JsonStr::checked)
            .is_some_and(|op| op == name)
    }
}

/// The `afr_ota` branch of [`JobDocument::parse_with`], never inlined: deserializing the
/// file table takes a stack frame of ~18 KB on Cortex-M (opt-level `s`), which must not be
/// part of the caller's frame when the document is of another kind. (At opt-level `z` it
/// was inlined, and every signed-manifest document then needed that stack too.)
#[inline(never)]
fn parse_afr_ota<P: JsonParser, const F: usize>(
    raw: &[u8],
) -> Result<AfrOta<'_, F>, DocumentError> {
    let doc: AfrOtaDocument<'_, F> = P::from_slice(raw)?;
    doc.afr_ota.validate()
}

fn parse_firmware<P: JsonParser>(raw: &[u8]) -> Result<FirmwareUpdate<'_>, DocumentError> {
    let doc: firmware::RawFirmwareUpdate<'_> = if P::HAND_WRITTEN {
        firmware::RawFirmwareUpdate::read(raw)?
    } else {
        P::from_slice(raw)?
    };
    doc.validate()
}

fn parse_trust_update<P: JsonParser>(raw: &[u8]) -> Result<TrustUpdate<'_>, DocumentError> {
    let doc: trust_update::RawTrustUpdateDocument<'_> = if P::HAND_WRITTEN {
        trust_update::RawTrustUpdateDocument::read(raw)?
    } else {
        P::from_slice(raw)?
    };
    doc.validate()
}

fn parse_floor_reset<P: JsonParser>(raw: &[u8]) -> Result<FloorReset<'_>, DocumentError> {
    let doc: floor_reset::RawFloorResetDocument<'_> = if P::HAND_WRITTEN {
        floor_reset::RawFloorResetDocument::read(raw)?
    } else {
        P::from_slice(raw)?
    };
    doc.validate()
}

#[derive(serde::Deserialize)]
struct AfrOtaDocument<'a, const F: usize> {
    #[serde(borrow)]
    afr_ota: afr_ota::RawAfrOta<'a, F>,
}

/// The format a job document claims to be, as [`JobDocument::parse`] decides it.
///
/// For callers that handle only some formats (a device built without `afr_ota` support
/// links only the parsers it calls): probe, then parse with [`FirmwareUpdate::parse`] or
/// [`AfrOta::parse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentKind {
    /// An object with an `afr_ota` key.
    AfrOta,
    /// An object with `"operation":"firmware_update"` (and no `afr_ota` key).
    Firmware,
    /// An object with `"operation":"trust_update"` (and no `afr_ota` key).
    TrustUpdate,
    /// An object with `"operation":"floor_reset"` (and no `afr_ota` key).
    FloorReset,
    /// Anything else: the application's business.
    Custom,
}

impl DocumentKind {
    /// Tell the format of `raw` with the strict parser, checking that it is one valid JSON
    /// value (a `Custom` document needs no further parsing).
    ///
    /// # Errors
    /// [`DocumentError::Json`] for malformed JSON.
    pub fn probe(raw: &[u8]) -> Result<Self, DocumentError> {
        Self::probe_with::<StrictJson>(raw)
    }

    fn probe_with<P: JsonParser>(raw: &[u8]) -> Result<Self, DocumentError> {
        let is_object = raw.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
        if !is_object {
            if P::HAND_WRITTEN {
                let mut r = json::Reader::new(raw);
                r.skip()?;
                r.finish()?;
            } else {
                P::from_slice::<RawJson<'_>>(raw)?;
            }
            return Ok(Self::Custom);
        }
        let probe: Probe<'_> = if P::HAND_WRITTEN {
            Probe::read(raw)?
        } else {
            P::from_slice(raw)?
        };
        Ok(if probe.afr_ota.is_some() {
            Self::AfrOta
        } else if probe.operation_is(FIRMWARE_OPERATION) {
            Self::Firmware
        } else if probe.operation_is(TRUST_UPDATE_OPERATION) {
            Self::TrustUpdate
        } else if probe.operation_is(FLOOR_RESET_OPERATION) {
            Self::FloorReset
        } else {
            Self::Custom
        })
    }
}

impl<'a> FirmwareUpdate<'a> {
    /// Parse and validate a firmware-update document with the strict parser (whatever its
    /// [`DocumentKind`]: another document fails validation).
    ///
    /// # Errors
    /// [`DocumentError`], e.g. [`DocumentError::NotFirmwareUpdate`].
    pub fn parse(raw: &'a [u8]) -> Result<Self, DocumentError> {
        parse_firmware::<StrictJson>(raw)
    }
}

impl<'a> TrustUpdate<'a> {
    /// Parse and validate a trust-update document with the strict parser.
    ///
    /// # Errors
    /// [`DocumentError`], e.g. [`DocumentError::NotTrustUpdate`].
    pub fn parse(raw: &'a [u8]) -> Result<Self, DocumentError> {
        parse_trust_update::<StrictJson>(raw)
    }
}

impl<'a> FloorReset<'a> {
    /// Parse and validate a floor-reset document with the strict parser.
    ///
    /// # Errors
    /// [`DocumentError`], e.g. [`DocumentError::NotFloorReset`].
    pub fn parse(raw: &'a [u8]) -> Result<Self, DocumentError> {
        parse_floor_reset::<StrictJson>(raw)
    }
}

impl<'a, const F: usize> AfrOta<'a, F> {
    /// Parse and validate an `{"afr_ota": …}` document with the strict parser, keeping up to
    /// `F` files.
    ///
    /// # Errors
    /// [`DocumentError`]; a document without `afr_ota` is a JSON data error, one with more
    /// than `F` (valid) files [`DocumentError::TooManyFiles`].
    pub fn parse(raw: &'a [u8]) -> Result<Self, DocumentError> {
        parse_afr_ota::<StrictJson, F>(raw)
    }
}

impl<'a> JobDocument<'a> {
    /// Parse and validate a raw `jobDocument` with the strict, allocation-free parser.
    ///
    /// A document that is not a JSON object, or is an object with neither `afr_ota` nor
    /// `"operation"` `"firmware_update"`, `"trust_update"` or `"floor_reset"`, is
    /// [`JobDocument::Custom`], not an error.
    ///
    /// # Errors
    /// [`DocumentError`] for malformed JSON or a document of a known format that fails
    /// validation.
    pub fn parse(raw: &'a [u8]) -> Result<Self, DocumentError> {
        Self::parse_with::<StrictJson>(raw)
    }

    /// [`JobDocument::parse`] with a chosen JSON parser (e.g. [`SerdeJson`]).
    ///
    /// # Errors
    /// As [`JobDocument::parse`].
    pub fn parse_with<P: JsonParser>(raw: &'a [u8]) -> Result<Self, DocumentError> {
        match DocumentKind::probe_with::<P>(raw)? {
            DocumentKind::AfrOta => parse_afr_ota::<P, MAX_FILES>(raw).map(Self::AfrOta),
            DocumentKind::Firmware => parse_firmware::<P>(raw).map(Self::Firmware),
            DocumentKind::TrustUpdate => parse_trust_update::<P>(raw).map(Self::TrustUpdate),
            DocumentKind::FloorReset => parse_floor_reset::<P>(raw).map(Self::FloorReset),
            DocumentKind::Custom => Ok(Self::Custom(P::from_slice(raw)?)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn custom(doc: &str) -> Result<JobDocument<'_>, DocumentError> {
        Ok(JobDocument::Custom(json::from_slice(doc.as_bytes())?))
    }

    #[test]
    fn probe_agrees_with_parse() {
        let afr = br#"{"operation":"firmware_update","afr_ota":{"protocols":["MQTT"],
            "streamname":"s","files":[{"filesize":1,"fileid":0}]}}"#;
        assert_eq!(DocumentKind::probe(afr), Ok(DocumentKind::AfrOta));
        assert!(AfrOta::<MAX_FILES>::parse(afr).is_ok());
        let fw = br#"{"operation":"firmware_update"}"#;
        assert_eq!(DocumentKind::probe(fw), Ok(DocumentKind::Firmware));
        assert_eq!(
            FirmwareUpdate::parse(fw),
            Err(DocumentError::MissingField("firmware"))
        );
        for custom in [&b" [1, 2.5]"[..], b"{}", b"\"x\""] {
            assert_eq!(DocumentKind::probe(custom), Ok(DocumentKind::Custom));
        }
        assert!(matches!(
            DocumentKind::probe(b"{} x"),
            Err(DocumentError::Json(_))
        ));
        assert_eq!(
            FirmwareUpdate::parse(b"{}"),
            Err(DocumentError::NotFirmwareUpdate)
        );
    }

    #[test]
    fn only_a_firmware_update_string_selects_the_firmware_format() {
        for doc in [
            r#"{"operation": 1.5e3, "x": [2.5]}"#,
            r#"{"operation": -0.0}"#,
            r#"{"operation": ["firmware_update"]}"#,
            r#"{"operation": null}"#,
            r#"{"operation": "firmware_update "}"#,
        ] {
            assert_eq!(JobDocument::parse(doc.as_bytes()), custom(doc), "{doc}");
            #[cfg(feature = "alloc")]
            assert_eq!(
                JobDocument::parse_with::<SerdeJson>(doc.as_bytes()),
                custom(doc)
            );
        }
        let missing = Err(DocumentError::MissingField("firmware"));
        for firmware in [
            &br#"{ "operation" : "firmware_update" , "n": 0.5 }"#[..],
            br#"{"operation": "firmware\u005fupdate"}"#,
            br#"{"op\u0065ration": "firmware_upd\u0061te"}"#,
        ] {
            assert_eq!(DocumentKind::probe(firmware), Ok(DocumentKind::Firmware));
            assert_eq!(JobDocument::parse(firmware), missing);
            #[cfg(feature = "alloc")]
            assert_eq!(JobDocument::parse_with::<SerdeJson>(firmware), missing);
        }
    }

    /// Older tools wrote an unsigned `steps` member; it is skipped like any unknown member,
    /// whatever it holds, and the document reads exactly as it does without it.
    #[test]
    fn legacy_steps_member_is_ignored() {
        let firmware =
            r#""firmware":{"manifest":"bQ==","signature":"cw==","stream":"fw-1","fileId":0}"#;
        let plain = std::format!(r#"{{"operation":"firmware_update",{firmware}}}"#);
        let expected = FirmwareUpdate::parse(plain.as_bytes()).unwrap();
        assert_eq!(expected.firmware.stream.unwrap(), "fw-1");
        for steps in [
            r#"["reboot"]"#,
            r#"["download","verify","install","reboot","self_test"]"#,
            r#"["install","download"]"#,
            r#"["flash_bootloader","a","b","c","d","e","f"]"#,
            "[]",
            "null",
            "7",
            r#"{"download":[1.5e3,true]}"#,
        ] {
            for doc in [
                std::format!(r#"{{"operation":"firmware_update",{firmware},"steps":{steps}}}"#),
                std::format!(r#"{{"steps":{steps},"operation":"firmware_update",{firmware}}}"#),
                std::format!(
                    r#"{{"operation":"firmware_update","steps":{steps},{firmware},"steps":{steps}}}"#
                ),
            ] {
                let raw = doc.as_bytes();
                assert_eq!(
                    DocumentKind::probe(raw),
                    Ok(DocumentKind::Firmware),
                    "{doc}"
                );
                assert_eq!(FirmwareUpdate::parse(raw), Ok(expected), "{doc}");
                assert_eq!(
                    JobDocument::parse(raw),
                    Ok(JobDocument::Firmware(expected)),
                    "{doc}"
                );
                #[cfg(feature = "alloc")]
                assert_eq!(
                    JobDocument::parse_with::<SerdeJson>(raw),
                    Ok(JobDocument::Firmware(expected)),
                    "{doc}"
                );
            }
        }
        // Still strict JSON: an ignored member must be valid.
        let broken = std::format!(r#"{{"operation":"firmware_update",{firmware},"steps":[01]}}"#);
        assert!(matches!(
            FirmwareUpdate::parse(broken.as_bytes()),
            Err(DocumentError::Json(_))
        ));
    }
}
