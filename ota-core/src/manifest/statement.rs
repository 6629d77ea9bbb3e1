//! The manifest JSON: what a release signs.

use core::fmt;

use serde::ser::SerializeMap;

use crate::jobs::{self, JobId};
use crate::json::JsonStr;
use crate::version::{SecurityCounter, Version};

/// Longest manifest accepted, in bytes (after base64 decoding).
pub const MAX_MANIFEST_LEN: usize = 1024;

/// A SHA-256 digest written as 64 hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sha256Hex(pub [u8; 32]);

impl fmt::Debug for Sha256Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Sha256Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl Sha256Hex {
    /// Parse exactly 64 hex digits (either case).
    pub fn parse(s: &str) -> Option<Self> {
        let bytes = s.as_bytes();
        if bytes.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, pair) in bytes.chunks_exact(2).enumerate() {
            let hi = (pair[0] as char).to_digit(16)?;
            let lo = (pair[1] as char).to_digit(16)?;
            out[i] = (hi << 4 | lo) as u8;
        }
        Some(Self(out))
    }
}

impl<'de> serde::Deserialize<'de> for Sha256Hex {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Sha256Hex;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("64 hex digits")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Sha256Hex, E> {
                Sha256Hex::parse(v)
                    .ok_or_else(|| E::invalid_value(serde::de::Unexpected::Str(v), &self))
            }
        }
        d.deserialize_str(V)
    }
}

impl serde::Serialize for Sha256Hex {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The signed update statement.
///
/// ```json
/// {"product":"acme-sensor","hardware":"rev-b","fileId":0,"version":"1.2.3",
///  "securityCounter":5,"size":65536,"sha256":"<64 hex>","minVersion":"1.0.0",
///  "expires":1790000000,"jobId":"fw-123"}
/// ```
///
/// `product`, `hardware`, `version`, `securityCounter`, `size` and `sha256` are required;
/// `fileId` defaults to 0; `minVersion` (the lowest running version allowed to take this
/// image), `expires` (Unix seconds) and `jobId` (binds the statement to one job) are
/// optional. Unknown keys are refused: a device must not accept a statement with a
/// constraint it does not understand. Numbers are plain JSON integers (the quoted-number
/// tolerance of job documents does not apply to signed data).
///
/// `product`, `hardware` and `jobId` are [`JsonStr`]s: borrowed as written and decoded when
/// read, so a statement is never refused for how its strings are escaped
/// (`"product":"ac\u006de"` is the product `acme`, `"hardware":"rev\/b"` the hardware
/// `rev/b`); they compare with `==` on their decoded text. `jobId` must be a valid
/// [`JobId`] once decoded ([`JobId::check_json`]). The signature covers the bytes as written,
/// escapes and all; [`Manifest`]'s `Serialize` writes the decoded strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Manifest<'a> {
    /// Product id the image is built for.
    #[serde(borrow)]
    pub product: JsonStr<'a>,
    /// Hardware id (board revision) the image is built for.
    #[serde(borrow)]
    pub hardware: JsonStr<'a>,
    /// Which file of the job this statement covers.
    #[serde(default)]
    pub file_id: u8,
    /// Firmware version of the image.
    pub version: Version,
    /// Anti-rollback counter of the image.
    pub security_counter: SecurityCounter,
    /// Exact image length in bytes.
    pub size: u32,
    /// SHA-256 of the image.
    pub sha256: Sha256Hex,
    /// Lowest running version that may install this image.
    #[serde(default)]
    pub min_version: Option<Version>,
    /// Unix time (seconds) after which the statement is no longer valid.
    #[serde(default)]
    pub expires: Option<u64>,
    /// The only job this statement may be used by: a valid [`JobId`] once decoded.
    #[serde(borrow, default, deserialize_with = "job_id")]
    pub job_id: Option<JsonStr<'a>>,
}

/// `serde(deserialize_with)` check of `jobId`, on its decoded text.
fn job_id<'de: 'a, 'a, D: serde::Deserializer<'de>>(d: D) -> Result<Option<JsonStr<'a>>, D::Error> {
    jobs::optional(d, JobId::check_json, jobs::JOB_ID)
}

/// Writes the canonical key order: the order a release tool signs.
impl serde::Serialize for Manifest<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("product", &self.product)?;
        map.serialize_entry("hardware", &self.hardware)?;
        map.serialize_entry("fileId", &self.file_id)?;
        map.serialize_entry("version", &self.version)?;
        map.serialize_entry("securityCounter", &self.security_counter)?;
        map.serialize_entry("size", &self.size)?;
        map.serialize_entry("sha256", &self.sha256)?;
        if let Some(v) = &self.min_version {
            map.serialize_entry("minVersion", v)?;
        }
        if let Some(e) = self.expires {
            map.serialize_entry("expires", &e)?;
        }
        if let Some(j) = &self.job_id {
            map.serialize_entry("jobId", j)?;
        }
        map.end()
    }
}
