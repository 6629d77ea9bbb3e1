//! The "latest release" statement and the reply that carries it.

use serde::Deserialize;

use crate::document::{Cosignatures, DocumentError};
use crate::json::{JsonStr, RawJson};
use crate::signed::Signatures;
use crate::version::{SecurityCounter, Version};

/// Longest statement accepted, in bytes (after base64 decoding).
pub const MAX_LATEST_LEN: usize = 512;

/// The value of `type` in a latest statement.
pub const LATEST_TYPE: &str = "latest";

/// What the timestamp keys sign.
///
/// ```json
/// {"type":"latest","product":"acme-sensor","version":"1.3.0","securityCounter":5,
///  "issued":1790000000,"expires":1790086400}
/// ```
///
/// Every member is required and unknown members are refused. Times are Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LatestStatement<'a> {
    /// Must be [`LATEST_TYPE`].
    #[serde(borrow, rename = "type")]
    pub kind: JsonStr<'a>,
    /// The product.
    #[serde(borrow)]
    pub product: JsonStr<'a>,
    /// The latest release's version.
    pub version: Version,
    /// The latest release's security counter.
    pub security_counter: SecurityCounter,
    /// When the statement was signed.
    pub issued: u64,
    /// When it stops being valid.
    pub expires: u64,
}

impl LatestStatement<'_> {
    /// Parse statement bytes (strict JSON, no allocation).
    ///
    /// # Errors
    /// The JSON error.
    pub fn parse(bytes: &[u8]) -> Result<LatestStatement<'_>, crate::json::Error> {
        crate::trust::read_latest(bytes)
    }
}

/// A latest statement with its signatures, as the service sends it:
///
/// ```json
/// {"latest":"<base64 statement>","signature":"…","keyId":"…","cosignatures":[…],
///  "clientToken":"…"}
/// ```
///
/// Members other than these are ignored (they are not signed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedLatest<'a> {
    /// Base64 of the statement bytes.
    pub latest: JsonStr<'a>,
    /// Base64 signature over the decoded statement.
    pub signature: JsonStr<'a>,
    /// Hex key id of the first signer.
    pub key_id: JsonStr<'a>,
    /// Further signatures.
    pub cosignatures: Option<Cosignatures<'a>>,
    /// The client token of the request it answers, as written.
    pub client_token: Option<JsonStr<'a>>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
#[serde(rename_all = "camelCase")]
struct RawSignedLatest<'a> {
    #[serde(borrow, default)]
    latest: Option<JsonStr<'a>>,
    #[serde(borrow, default)]
    signature: Option<JsonStr<'a>>,
    #[serde(borrow, default)]
    key_id: Option<JsonStr<'a>>,
    #[serde(borrow, default)]
    cosignatures: Option<RawJson<'a>>,
    #[serde(borrow, default)]
    client_token: Option<JsonStr<'a>>,
}

impl<'a> RawSignedLatest<'a> {
    /// Read with a [`crate::json::Reader`], as the derive reads it.
    fn read(raw: &'a [u8]) -> Result<Self, crate::json::Error> {
        let mut r = crate::json::Reader::new(raw);
        let e = crate::document::envelope::read::<4>(
            &mut r,
            &[
                "latest",
                "signature",
                "keyId",
                "clientToken",
                "cosignatures",
            ],
        )?;
        r.finish()?;
        Ok(Self {
            latest: e.strings[0],
            signature: e.strings[1],
            key_id: e.strings[2],
            cosignatures: e.cosignatures,
            client_token: e.strings[3],
        })
    }
}

impl<'a> SignedLatest<'a> {
    /// Parse a reply (strict JSON, no allocation).
    ///
    /// # Errors
    /// [`DocumentError::Json`], [`DocumentError::MissingField`] for `latest`, `signature`
    /// or `keyId`, or a cosignatures error.
    pub fn parse(raw: &'a [u8]) -> Result<Self, DocumentError> {
        let raw = RawSignedLatest::read(raw)?;
        let required = |field: Option<JsonStr<'a>>, name| {
            field
                .filter(|s| !s.is_empty())
                .ok_or(DocumentError::MissingField(name))
        };
        Ok(Self {
            latest: required(raw.latest, "latest")?,
            signature: required(raw.signature, "signature")?,
            key_id: required(raw.key_id, "keyId")?,
            cosignatures: raw.cosignatures.map(Cosignatures::from_raw).transpose()?,
            client_token: raw.client_token,
        })
    }

    /// The statement's signatures.
    pub const fn signatures(&self) -> Signatures<'a> {
        Signatures {
            signature: self.signature,
            key_id: Some(self.key_id),
            cosignatures: self.cosignatures,
        }
    }
}

#[cfg(test)]
mod read_tests {
    use proptest::prelude::*;

    use super::*;
    use crate::json::differential::{apply, compare, edits};

    const SIGNED: &[&str] = &[
        r#"{"latest":"eyJ9","signature":"cw==","keyId":"ab","cosignatures":[{"keyId":"cd","signature":"cw=="}],"clientToken":"7:t"}"#,
        r#"{"clientToken":null,"latest":"e\u0079J9","signature":"cw==","keyId":"ab","cosignatures":null,"other":{"a":[]}}"#,
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// The hand-written envelope reader against the serde derive.
        #[test]
        fn signed_latest_reads_as_serde_reads_it(which in 0..SIGNED.len(), edits in edits(6)) {
            let input = apply(SIGNED[which].as_bytes(), &edits);
            prop_assert_eq!(compare(&input, RawSignedLatest::read), Ok(()));
        }
    }

    #[test]
    fn documented_replies_read() {
        for s in SIGNED {
            compare(s.as_bytes(), RawSignedLatest::read).unwrap();
            SignedLatest::parse(s.as_bytes()).unwrap();
        }
    }
}
