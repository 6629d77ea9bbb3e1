//! The floor-reset job document: a root-signed statement that lets a device install one
//! named release below its anti-rollback floor ([`crate::trust::check_floor_reset`]).
//!
//! ```json
//! {
//!   "operation": "floor_reset",
//!   "reset": {
//!     "statement": "<base64 of the floor-reset statement JSON bytes>",
//!     "signature": "<base64 signature over exactly those bytes>",
//!     "keyId": "<64 hex digits>",
//!     "cosignatures": [{"keyId": "…", "signature": "…"}]
//!   }
//! }
//! ```

use serde::Deserialize;

use super::DocumentError;
use super::cosignatures::Cosignatures;
use crate::json::{JsonStr, RawJson};
use crate::signed::Signatures;

/// The `operation` value that marks this document type.
pub const FLOOR_RESET_OPERATION: &str = "floor_reset";

/// The validated `reset` object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FloorReset<'a> {
    /// Base64 of the statement bytes.
    pub statement: JsonStr<'a>,
    /// Base64 signature over the decoded statement.
    pub signature: JsonStr<'a>,
    /// Hex key id of the first signer.
    pub key_id: JsonStr<'a>,
    /// Further signatures.
    pub cosignatures: Option<Cosignatures<'a>>,
}

impl<'a> FloorReset<'a> {
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
struct RawReset<'a> {
    #[serde(borrow, default)]
    statement: Option<JsonStr<'a>>,
    #[serde(borrow, default)]
    signature: Option<JsonStr<'a>>,
    #[serde(borrow, default)]
    key_id: Option<JsonStr<'a>>,
    #[serde(borrow, default)]
    cosignatures: Option<RawJson<'a>>,
}

/// The document as written, before validation.
#[derive(Debug, Deserialize)]
pub(super) struct RawFloorResetDocument<'a> {
    #[serde(borrow, default)]
    operation: Option<JsonStr<'a>>,
    #[serde(borrow, default)]
    reset: Option<RawReset<'a>>,
}

impl<'a> RawFloorResetDocument<'a> {
    /// Read with a [`crate::json::Reader`], as the derive reads it.
    pub(super) fn read(raw: &'a [u8]) -> Result<Self, crate::json::Error> {
        let (operation, reset) = super::envelope::read_document::<3>(
            raw,
            &["operation", "reset"],
            &["statement", "signature", "keyId", "cosignatures"],
        )?;
        Ok(Self {
            operation,
            reset: reset.map(|e| RawReset {
                statement: e.strings[0],
                signature: e.strings[1],
                key_id: e.strings[2],
                cosignatures: e.cosignatures,
            }),
        })
    }

    pub(super) fn validate(self) -> Result<FloorReset<'a>, DocumentError> {
        if !self.operation.is_some_and(|op| op == FLOOR_RESET_OPERATION) {
            return Err(DocumentError::NotFloorReset);
        }
        let raw = self.reset.ok_or(DocumentError::MissingField("reset"))?;
        let required = |field: Option<JsonStr<'a>>, name| {
            field
                .filter(|s| !s.is_empty())
                .ok_or(DocumentError::MissingField(name))
        };
        Ok(FloorReset {
            statement: required(raw.statement, "statement")?,
            signature: required(raw.signature, "signature")?,
            key_id: required(raw.key_id, "keyId")?,
            cosignatures: raw.cosignatures.map(Cosignatures::from_raw).transpose()?,
        })
    }
}
