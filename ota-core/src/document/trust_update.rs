//! The trust-root update job document: a signed root statement ([`crate::trust`]) that
//! replaces a device's keys and thresholds.
//!
//! ```json
//! {
//!   "operation": "trust_update",
//!   "trust": {
//!     "root": "<base64 of the root statement JSON bytes>",
//!     "signature": "<base64 signature over exactly those bytes>",
//!     "keyId": "<64 hex digits>",
//!     "cosignatures": [{"keyId": "…", "signature": "…"}]
//!   }
//! }
//! ```
//!
//! Only the statement is trusted, once the threshold of the device's current root keys and
//! the threshold of the statement's own root keys have signed it (see
//! [`crate::trust::Root::check_update`]). `keyId` is required: every signature names its
//! key. Unknown members are ignored like in the other documents: they are not signed.

use serde::Deserialize;

use super::DocumentError;
use super::cosignatures::Cosignatures;
use crate::json::{JsonStr, RawJson};
use crate::signed::Signatures;

/// The `operation` value that marks this document type.
pub const TRUST_UPDATE_OPERATION: &str = "trust_update";

/// The validated `trust` object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustUpdate<'a> {
    /// Base64 of the root statement bytes.
    pub root: JsonStr<'a>,
    /// Base64 signature over the decoded statement bytes.
    pub signature: JsonStr<'a>,
    /// Hex key id of the first signer.
    pub key_id: JsonStr<'a>,
    /// Further signatures over the same bytes.
    pub cosignatures: Option<Cosignatures<'a>>,
}

impl<'a> TrustUpdate<'a> {
    /// The statement's signatures.
    pub const fn signatures(&self) -> Signatures<'a> {
        Signatures {
            signature: self.signature,
            key_id: Some(self.key_id),
            cosignatures: self.cosignatures,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTrust<'a> {
    #[serde(borrow, default)]
    root: Option<JsonStr<'a>>,
    #[serde(borrow, default)]
    signature: Option<JsonStr<'a>>,
    #[serde(borrow, default)]
    key_id: Option<JsonStr<'a>>,
    #[serde(borrow, default)]
    cosignatures: Option<RawJson<'a>>,
}

/// The document as written, before validation.
#[derive(Debug, Deserialize)]
pub(super) struct RawTrustUpdateDocument<'a> {
    #[serde(borrow, default)]
    operation: Option<JsonStr<'a>>,
    #[serde(borrow, default)]
    trust: Option<RawTrust<'a>>,
}

impl<'a> RawTrustUpdateDocument<'a> {
    /// Read with a [`crate::json::Reader`], as the derive reads it.
    pub(super) fn read(raw: &'a [u8]) -> Result<Self, crate::json::Error> {
        let (operation, trust) = super::envelope::read_document::<3>(
            raw,
            &["operation", "trust"],
            &["root", "signature", "keyId", "cosignatures"],
        )?;
        Ok(Self {
            operation,
            trust: trust.map(|e| RawTrust {
                root: e.strings[0],
                signature: e.strings[1],
                key_id: e.strings[2],
                cosignatures: e.cosignatures,
            }),
        })
    }

    pub(super) fn validate(self) -> Result<TrustUpdate<'a>, DocumentError> {
        if !self
            .operation
            .is_some_and(|op| op == TRUST_UPDATE_OPERATION)
        {
            return Err(DocumentError::NotTrustUpdate);
        }
        let raw = self.trust.ok_or(DocumentError::MissingField("trust"))?;
        let required = |field: Option<JsonStr<'a>>, name| {
            field
                .filter(|s| !s.is_empty())
                .ok_or(DocumentError::MissingField(name))
        };
        Ok(TrustUpdate {
            root: required(raw.root, "root")?,
            signature: required(raw.signature, "signature")?,
            key_id: required(raw.key_id, "keyId")?,
            cosignatures: raw.cosignatures.map(Cosignatures::from_raw).transpose()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{DocumentKind, JobDocument};

    const DOC: &str = r#"{"operation":"trust\u005fupdate","trust":{"root":"e30=","signature":"c2ln","keyId":"ab","cosignatures":[{"keyId":"cd","signature":"c2ln"}],"note":1}}"#;

    #[test]
    fn reads_as_a_trust_update_and_round_trips() {
        assert_eq!(
            DocumentKind::probe(DOC.as_bytes()),
            Ok(DocumentKind::TrustUpdate)
        );
        let JobDocument::TrustUpdate(update) = JobDocument::parse(DOC.as_bytes()).unwrap() else {
            panic!("not a trust update");
        };
        assert_eq!(update.root, "e30=");
        assert_eq!(update.cosignatures.map(|c| c.len()), Some(1));
        assert_eq!(update.signatures().key_id, Some(update.key_id));
        let written = serde_json::to_string(&update).unwrap();
        assert_eq!(TrustUpdate::parse(written.as_bytes()), Ok(update));
    }

    #[test]
    fn every_member_but_cosignatures_is_required() {
        let members = [
            (r#""root":"e30=","#, "root"),
            (r#""signature":"c2ln","#, "signature"),
            (r#""keyId":"ab","#, "keyId"),
        ];
        for (member, name) in members {
            let doc = DOC.replace(member, "");
            assert_eq!(
                TrustUpdate::parse(doc.as_bytes()),
                Err(DocumentError::MissingField(name)),
                "{doc}"
            );
        }
        assert_eq!(
            TrustUpdate::parse(br#"{"operation":"firmware_update"}"#),
            Err(DocumentError::NotTrustUpdate)
        );
        assert_eq!(
            TrustUpdate::parse(br#"{"operation":"trust_update"}"#),
            Err(DocumentError::MissingField("trust"))
        );
    }
}
