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

use super::DocumentError;
use crate::crypto::MAX_SIGNATURES;
use crate::json::{self, Fields, JsonStr, RawJson, Reader, Unknown};

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

/// An entry as written.
struct RawCosignature<'a> {
    key_id: Option<JsonStr<'a>>,
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
        let mut r = Reader::new(text.as_bytes());
        let raw = r.raw()?;
        r.finish()?;
        Self::from_raw(raw)
    }

    pub(crate) fn from_raw(raw: RawJson<'a>) -> Result<Self, DocumentError> {
        let mut len = 0usize;
        walk(raw, &mut |_| {
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
    let _ = walk(raw, &mut |entry| {
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
    each: &mut dyn FnMut(Cosignature<'a>) -> Result<(), DocumentError>,
) -> Result<(), DocumentError> {
    let mut r = Reader::new(raw.as_bytes());
    let mut array = r.array()?;
    let mut count = 0usize;
    while r.next_element(&mut array)? {
        let entry = RawCosignature::read(&mut r)?;
        count += 1;
        if count > MAX_COSIGNATURES {
            return Err(DocumentError::BadCosignatures);
        }
        each(entry_of(entry)?)?;
    }
    r.finish()?;
    Ok(())
}

const ENTRY_FIELDS: &[&str] = &["keyId", "signature"];

impl<'a> RawCosignature<'a> {
    /// One entry: an object whose `keyId` and `signature` are strings or `null` (other
    /// members skipped, a repeated one refused).
    fn read(r: &mut Reader<'a>) -> Result<Self, json::Error> {
        let mut fields = Fields::new(ENTRY_FIELDS);
        let mut entry = RawCosignature {
            key_id: None,
            signature: None,
        };
        let mut object = r.object()?;
        while let Some(key) = r.next_key(&mut object)? {
            let Some(index) = fields.member(r, key, Unknown::Skip)? else {
                continue;
            };
            let value = r.optional_string()?;
            if index == 0 {
                entry.key_id = value;
            } else {
                entry.signature = value;
            }
        }
        Ok(entry)
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
