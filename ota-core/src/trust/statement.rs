//! The root statement JSON: what the root keys sign to change a device's keys.

use core::fmt;

use serde::Deserialize;
use serde::de::{self, Visitor};

use crate::crypto::Algorithm;
use crate::json::JsonStr;

/// Longest root statement accepted, in bytes (after base64 decoding).
pub const MAX_ROOT_LEN: usize = 2048;

/// Most keys one role may list.
pub const MAX_ROLE_KEYS: usize = 8;

/// The value of `type` in a root statement, so that no other signed statement (a firmware
/// manifest, which refuses unknown members) can be read as one.
pub const ROOT_TYPE: &str = "root";

/// A key as a root statement lists it.
///
/// ```json
/// {"algorithm": "ecdsa-p256-sha256", "key": "<base64 SEC1 point>"}
/// ```
///
/// Algorithms: `ecdsa-p256-sha256` (the key a SEC1 point, 65 bytes uncompressed or 33
/// compressed), `rsa-pkcs1v15-sha256` and `rsa-pss-sha256` (32-byte salt; the key a PKCS#1
/// `RSAPublicKey` DER). Keys are not SPKI, so that a device needs no SPKI parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RootKey<'a> {
    /// What the key verifies.
    pub algorithm: KeyAlgorithm,
    /// Base64 of the key bytes.
    #[serde(borrow)]
    pub key: JsonStr<'a>,
}

/// The algorithm of a [`RootKey`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAlgorithm {
    /// `ecdsa-p256-sha256`.
    EcdsaP256,
    /// `rsa-pkcs1v15-sha256`.
    RsaPkcs1v15,
    /// `rsa-pss-sha256` (32-byte salt).
    RsaPss,
}

impl KeyAlgorithm {
    /// The name written in a statement.
    pub const fn name(self) -> &'static str {
        match self {
            Self::EcdsaP256 => "ecdsa-p256-sha256",
            Self::RsaPkcs1v15 => "rsa-pkcs1v15-sha256",
            Self::RsaPss => "rsa-pss-sha256",
        }
    }

    /// The algorithm a key of this kind verifies.
    pub const fn algorithm(self) -> Algorithm {
        match self {
            Self::EcdsaP256 => Algorithm::EcdsaP256Sha256,
            Self::RsaPkcs1v15 => Algorithm::RsaPkcs1v15Sha256,
            Self::RsaPss => Algorithm::RSA_PSS_SHA256,
        }
    }

    /// The kind for a trusted key's algorithm; `None` for a PSS salt other than 32.
    pub fn of(algorithm: Algorithm) -> Option<Self> {
        match algorithm {
            Algorithm::EcdsaP256Sha256 => Some(Self::EcdsaP256),
            Algorithm::RsaPkcs1v15Sha256 => Some(Self::RsaPkcs1v15),
            a if a == Algorithm::RSA_PSS_SHA256 => Some(Self::RsaPss),
            _ => None,
        }
    }

    pub(super) const fn code(self) -> u8 {
        match self {
            Self::EcdsaP256 => 1,
            Self::RsaPkcs1v15 => 2,
            Self::RsaPss => 3,
        }
    }

    pub(super) const fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(Self::EcdsaP256),
            2 => Some(Self::RsaPkcs1v15),
            3 => Some(Self::RsaPss),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for KeyAlgorithm {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = KeyAlgorithm;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("ecdsa-p256-sha256, rsa-pkcs1v15-sha256 or rsa-pss-sha256")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<KeyAlgorithm, E> {
                [
                    KeyAlgorithm::EcdsaP256,
                    KeyAlgorithm::RsaPkcs1v15,
                    KeyAlgorithm::RsaPss,
                ]
                .into_iter()
                .find(|a| a.name() == v)
                .ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
            }
        }
        d.deserialize_str(V)
    }
}

/// One role of a root statement: its keys and how many must sign.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleStatement<'a> {
    /// How many distinct keys of the role must sign (1 to the number of keys).
    pub threshold: u8,
    /// The role's keys, 1 to [`MAX_ROLE_KEYS`].
    #[serde(borrow)]
    pub keys: heapless::Vec<RootKey<'a>, MAX_ROLE_KEYS>,
}

/// The signed root statement.
///
/// ```json
/// {"type":"root","product":"acme-sensor","version":2,
///  "root":{"threshold":2,"keys":[{"algorithm":"ecdsa-p256-sha256","key":"BHk…"}, …]},
///  "release":{"threshold":2,"keys":[…]}}
/// ```
///
/// `type` must be `root`; `product` binds the statement to one product's devices; `version`
/// only goes up. `root` holds the keys that sign the next statement, `release` the keys that
/// sign firmware manifests, and the optional `timestamp` the keys that sign "latest release"
/// statements. Every other member is required and unknown members are refused, as in the
/// manifest. Strings are [`JsonStr`]s, compared decoded.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RootStatement<'a> {
    /// Must be [`ROOT_TYPE`].
    #[serde(borrow, rename = "type")]
    pub kind: JsonStr<'a>,
    /// The product whose devices take it.
    #[serde(borrow)]
    pub product: JsonStr<'a>,
    /// Version of the root: a device takes only a higher one than it holds.
    pub version: u32,
    /// The keys that sign root statements.
    #[serde(borrow)]
    pub root: RoleStatement<'a>,
    /// The keys that sign firmware manifests.
    #[serde(borrow)]
    pub release: RoleStatement<'a>,
    /// The keys that sign "latest release" statements ([`crate::freshness`]): online keys
    /// the service signs with as often as it refreshes them. Optional: without it a device
    /// takes no such statement.
    #[serde(borrow, default)]
    pub timestamp: Option<RoleStatement<'a>>,
}
