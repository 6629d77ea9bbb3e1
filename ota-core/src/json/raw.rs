//! [`RawJson`]: a JSON value carried as its exact input text, to be parsed later or handed on
//! untouched. Not a general JSON value type: it cannot be inspected without parsing it.

use core::fmt;

use serde::de::{self, Visitor};

/// Name of the newtype struct through which [`super::Deserializer`] hands out raw JSON.
pub(super) const RAW_JSON_TOKEN: &str = "$ota_core::json::RawJson";

/// A JSON value kept as its exact input text, e.g. a job document to be parsed later or
/// handed to an application untouched.
///
/// Deserializes with this crate's [`super::from_slice`] always, and with `serde_json` when
/// the `alloc` feature is on (through `serde_json`'s `RawValue`). Serializing writes the text
/// as a JSON string only with serializers that do not support raw output; use it for
/// parsing.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RawJson<'a>(&'a str);

impl<'a> RawJson<'a> {
    /// The value's text exactly as it appeared in the input (without surrounding spaces).
    pub const fn get(&self) -> &'a str {
        self.0
    }

    /// Text a parser checked to be one JSON value.
    pub(crate) const fn checked(text: &'a str) -> Self {
        Self(text)
    }

    /// The value's bytes.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for RawJson<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RawJson({})", self.0)
    }
}

impl<'de: 'a, 'a> de::Deserialize<'de> for RawJson<'a> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RawVisitor;
        impl<'de> Visitor<'de> for RawVisitor {
            type Value = RawJson<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(RawJson(v))
            }
            #[cfg(feature = "alloc")]
            fn visit_newtype_struct<D: de::Deserializer<'de>>(
                self,
                deserializer: D,
            ) -> Result<Self::Value, D::Error> {
                let raw = <&'de serde_json::value::RawValue as de::Deserialize>::deserialize(
                    deserializer,
                )?;
                Ok(RawJson(raw.get()))
            }
        }
        deserializer.deserialize_newtype_struct(RAW_JSON_TOKEN, RawVisitor)
    }
}

impl serde::Serialize for RawJson<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Env<'a> {
        #[serde(borrow)]
        doc: RawJson<'a>,
        n: u8,
    }

    #[test]
    fn captures_exact_text() {
        let input = br#"{"doc": {"a": [1, "x"], "b": null} , "n": 3}"#;
        let ours: Env<'_> = super::super::from_slice(input).unwrap();
        assert_eq!(ours.doc.get(), r#"{"a": [1, "x"], "b": null}"#);
        assert_eq!(ours.n, 3);
    }

    /// `serde_json` hands raw values out through its `RawValue`, which needs `alloc`.
    #[cfg(feature = "alloc")]
    #[test]
    fn serde_json_captures_the_same_text() {
        let input = br#"{"doc": {"a": [1, "x"], "b": null} , "n": 3}"#;
        let ours: Env<'_> = super::super::from_slice(input).unwrap();
        let theirs: Env<'_> = serde_json::from_slice(input).unwrap();
        assert_eq!(theirs.doc.get(), ours.doc.get());
    }
}
