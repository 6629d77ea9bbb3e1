//! `cosignatures`: further signatures over a firmware document's manifest, for devices that
//! need a threshold of signers (see [`crate::crypto::Quorum`]).
//!
//! ```json
//! "cosignatures": [
//!   {"keyId": "<64 hex digits>", "signature": "<base64 over the manifest bytes>"}
//! ]
//! ```
//!
//! The document's own `signature` (with its `keyId`) is the first signature; each entry here
//! is one more, over exactly the same manifest bytes, so a key holder can add one without
//! changing what the others signed. A device that needs a single signer accepts any one
//! trusted signature among them all; an older device, which does not know the member,
//! reads the first signature only.
//!
//! Kept as the array's text and read again when iterated, so that a document stays small
//! and `Copy` on a device; the text is checked once, when the document is parsed, so
//! iterating cannot fail. Does not decode or check the key ids and signatures: that is the
//! verifier's job ([`crate::manifest::check_signature`]).

use core::fmt;

use serde::Deserialize;
use serde::de::{self, SeqAccess, Visitor};

use super::DocumentError;
use crate::crypto::MAX_SIGNATURES;
use crate::json::{self, JsonStr, RawJson};

/// Most entries in `cosignatures`: with the document's own signature, at most
/// [`MAX_SIGNATURES`].
pub const MAX_COSIGNATURES: usize = MAX_SIGNATURES - 1;

/// One entry: the key it claims and its signature, both as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cosignature<'a> {
    /// Hex key id of the signer (64 hex digits once decoded, checked by the verifier).
    pub key_id: JsonStr<'a>,
    /// Base64 signature over the decoded manifest bytes.
    pub signature: JsonStr<'a>,
}

/// The `cosignatures` array: 1 to [`MAX_COSIGNATURES`] entries, each with a non-empty
/// `keyId` and `signature` (other members are ignored).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Cosignatures<'a> {
    raw: RawJson<'a>,
    len: u8,
}

impl fmt::Debug for Cosignatures<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCosignature<'a> {
    #[serde(borrow, default)]
    key_id: Option<JsonStr<'a>>,
    #[serde(borrow, default)]
    signature: Option<JsonStr<'a>>,
}

impl<'a> Cosignatures<'a> {
    /// Check the JSON text of a `cosignatures` array.
    ///
    /// # Errors
    /// [`DocumentError::Json`] for text that is not an array of objects with string
    /// members, [`DocumentError::MissingField`] for an entry without `keyId` or
    /// `signature`, [`DocumentError::BadCosignatures`] for an empty array or more than
    /// [`MAX_COSIGNATURES`] entries.
    pub fn parse(text: &'a str) -> Result<Self, DocumentError> {
        Self::from_raw(json::from_slice::<RawJson<'a>>(text.as_bytes())?)
    }

    pub(crate) fn from_raw(raw: RawJson<'a>) -> Result<Self, DocumentError> {
        let mut len = 0usize;
        walk(raw, |_| {
            len += 1;
            Ok(())
        })?;
        match u8::try_from(len) {
            Ok(len @ 1..) if usize::from(len) <= MAX_COSIGNATURES => Ok(Self { raw, len }),
            _ => Err(DocumentError::BadCosignatures),
        }
    }

    /// How many entries there are (1 to [`MAX_COSIGNATURES`]).
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Never: an empty array is refused when parsed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The array's text, exactly as in the document.
    pub fn raw(&self) -> RawJson<'a> {
        self.raw
    }

    /// The entries in document order.
    pub fn iter(&self) -> impl Iterator<Item = Cosignature<'a>> + use<'a> {
        let raw = self.raw;
        (0..self.len()).filter_map(move |n| nth(raw, n))
    }
}

/// Entry `n` of a checked array (the array is read again up to it: at most
/// [`MAX_COSIGNATURES`] short entries).
fn nth(raw: RawJson<'_>, n: usize) -> Option<Cosignature<'_>> {
    let mut at = 0;
    let mut found = None;
    // Cannot fail: the text was walked when it was checked.
    let _ = walk(raw, |entry| {
        if at == n {
            found = Some(entry);
        }
        at += 1;
        Ok(())
    });
    found
}

/// Call `each` with every entry of the array `raw`, checking each one.
fn walk<'a>(
    raw: RawJson<'a>,
    mut each: impl FnMut(Cosignature<'a>) -> Result<(), DocumentError>,
) -> Result<(), DocumentError> {
    let mut failure = None;
    let mut de = json::Deserializer::new(raw.as_bytes());
    let walked = de::Deserializer::deserialize_seq(
        &mut de,
        EachEntry {
            each: &mut each,
            failure: &mut failure,
        },
    )
    .and_then(|()| de.end());
    match (failure, walked) {
        (Some(e), _) => Err(e),
        (None, Err(e)) => Err(DocumentError::Json(e)),
        (None, Ok(())) => Ok(()),
    }
}

struct EachEntry<'f, F> {
    each: &'f mut F,
    /// The document error that stopped the walk (the parser gets a bare custom error).
    failure: &'f mut Option<DocumentError>,
}

impl<'de, F: FnMut(Cosignature<'de>) -> Result<(), DocumentError>> Visitor<'de>
    for EachEntry<'_, F>
{
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of {keyId, signature} objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut count = 0usize;
        while let Some(entry) = seq.next_element::<RawCosignature<'de>>()? {
            count += 1;
            let checked = if count > MAX_COSIGNATURES {
                Err(DocumentError::BadCosignatures)
            } else {
                entry_of(entry).and_then(&mut *self.each)
            };
            if let Err(e) = checked {
                *self.failure = Some(e);
                return Err(de::Error::custom("cosignatures"));
            }
        }
        Ok(())
    }
}

fn entry_of(raw: RawCosignature<'_>) -> Result<Cosignature<'_>, DocumentError> {
    let key_id = raw
        .key_id
        .filter(|s| !s.is_empty())
        .ok_or(DocumentError::MissingField("keyId"))?;
    let signature = raw
        .signature
        .filter(|s| !s.is_empty())
        .ok_or(DocumentError::MissingField("signature"))?;
    Ok(Cosignature { key_id, signature })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;
    use std::string::{String, ToString};
    use std::vec::Vec;

    fn entry(n: usize) -> String {
        format!(
            r#"{{"keyId":"{:064x}","signature":"c2ln{n}\/=","note":1}}"#,
            n
        )
    }

    #[test]
    fn entries_read_in_order_with_their_escapes() {
        let text = format!("[{}, {}]", entry(1), entry(2));
        let list = Cosignatures::parse(&text).unwrap();
        assert_eq!(list.len(), 2);
        let read: Vec<_> = list.iter().collect();
        assert_eq!(read.len(), 2);
        assert_eq!(read[0].key_id.to_string(), format!("{:064x}", 1));
        assert_eq!(read[1].signature.to_string(), "c2ln2/=");
        assert_eq!(list.raw().get(), text);
    }

    #[test]
    fn malformed_lists_are_refused() {
        let cases = [
            ("[]", DocumentError::BadCosignatures),
            (
                r#"[{"signature":"c2ln"}]"#,
                DocumentError::MissingField("keyId"),
            ),
            (
                r#"[{"keyId":"ab","signature":""}]"#,
                DocumentError::MissingField("signature"),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(Cosignatures::parse(text), Err(expected), "{text}");
        }
        let many: Vec<String> = (0..=MAX_COSIGNATURES).map(entry).collect();
        let text = format!("[{}]", many.join(","));
        assert_eq!(
            Cosignatures::parse(&text),
            Err(DocumentError::BadCosignatures)
        );
        let most = format!("[{}]", many[..MAX_COSIGNATURES].join(","));
        assert_eq!(Cosignatures::parse(&most).unwrap().len(), MAX_COSIGNATURES);
        for text in [
            r#"{"keyId":"ab"}"#,
            r#"["ab"]"#,
            r#"[{"keyId":1,"signature":"c2ln"}]"#,
            "[{}",
        ] {
            assert!(
                matches!(Cosignatures::parse(text), Err(DocumentError::Json(_))),
                "{text}"
            );
        }
    }
}
