//! Job documents: the FreeRTOS `afr_ota` format and this project's signed firmware update.
//!
//! [`JobDocument::parse`] takes the raw `jobDocument` JSON of an execution and tells the
//! formats apart: an `afr_ota` key makes it [`AfrOta`], `"operation":"firmware_update"`
//! makes it [`FirmwareUpdate`], anything else is [`JobDocument::Custom`] and belongs to the
//! application. Both formats are validated when parsed, so a value of these types is always
//! usable; what each format can and cannot prove is in its module docs. Numbers follow the
//! [quoted-number policy](number).

mod afr_ota;
mod firmware;
pub mod number;
mod serialize;

use core::fmt;

pub use afr_ota::{
    AfrFile, AfrOta, MAX_BLOCK_SIZE, MAX_FILE_SIZE, MAX_FILES, MAX_SIGNATURES, Protocol,
};
pub use firmware::{FIRMWARE_OPERATION, FirmwareRef, FirmwareUpdate, Step, Steps};

use crate::json::{self, RawJson};

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
    /// Not `"operation":"firmware_update"`.
    #[error("job document is not a firmware update")]
    NotFirmwareUpdate,
    /// `stream` is not a valid stream id.
    #[error("job document has an invalid stream id")]
    BadStreamId,
    /// Neither `stream` nor `url`.
    #[error("job document says neither stream nor url")]
    NoLocation,
    /// A step name this crate does not know.
    #[error("job document lists an unknown step")]
    UnknownStep,
    /// Steps repeated or out of order.
    #[error("job document lists steps out of order")]
    StepsOutOfOrder,
    /// `download`, `verify` or `install` missing from `steps`.
    #[error("job document omits a required step")]
    MissingStep,
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
}

/// [`crate::json::from_slice`]: strict, no allocation.
#[derive(Debug, Clone, Copy, Default)]
pub struct StrictJson;

impl JsonParser for StrictJson {
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

/// Which format a document claims to be, read without validating it.
#[derive(serde::Deserialize)]
struct Probe<'a> {
    #[serde(default)]
    afr_ota: Option<serde::de::IgnoredAny>,
    #[serde(borrow, default)]
    operation: Option<LenientStr<'a>>,
}

/// A string, or `None` for any other JSON value (which is skipped).
struct LenientStr<'a>(Option<&'a str>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for LenientStr<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(core::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = LenientStr<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(LenientStr(Some(v)))
            }
            fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
                Ok(LenientStr(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(LenientStr(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(LenientStr(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(LenientStr(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(LenientStr(None))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(LenientStr(None))
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(LenientStr(None))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut s: A,
            ) -> Result<Self::Value, A::Error> {
                while s.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(LenientStr(None))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<Self::Value, A::Error> {
                while m
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(LenientStr(None))
            }
        }
        d.deserialize_any(V(core::marker::PhantomData))
    }
}

/// The `afr_ota` branch of [`JobDocument::parse_with`], never inlined: deserializing the
/// file table takes a stack frame of ~18 KB on Cortex-M (opt-level `s`), which must not be
/// part of the caller's frame when the document is of another kind. (At opt-level `z` it
/// was inlined, and every signed-manifest document then needed that stack too.)
#[inline(never)]
fn parse_afr_ota<P: JsonParser>(raw: &[u8]) -> Result<AfrOta<'_>, DocumentError> {
    let doc: AfrOtaDocument<'_> = P::from_slice(raw)?;
    doc.afr_ota.validate()
}

#[derive(serde::Deserialize)]
struct AfrOtaDocument<'a> {
    #[serde(borrow)]
    afr_ota: afr_ota::RawAfrOta<'a>,
}

impl<'a> JobDocument<'a> {
    /// Parse and validate a raw `jobDocument` with the strict, allocation-free parser.
    ///
    /// A document that is not a JSON object, or is an object with neither `afr_ota` nor
    /// `"operation":"firmware_update"`, is [`JobDocument::Custom`], not an error.
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
        let is_object = raw.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
        if !is_object {
            let value: RawJson<'a> = P::from_slice(raw)?;
            return Ok(Self::Custom(value));
        }
        let probe: Probe<'_> = P::from_slice(raw)?;
        if probe.afr_ota.is_some() {
            return parse_afr_ota::<P>(raw).map(Self::AfrOta);
        }
        if probe.operation.and_then(|o| o.0) == Some(FIRMWARE_OPERATION) {
            let doc: firmware::RawFirmwareUpdate<'a> = P::from_slice(raw)?;
            return doc.validate().map(Self::Firmware);
        }
        let value: RawJson<'a> = P::from_slice(raw)?;
        Ok(Self::Custom(value))
    }
}
