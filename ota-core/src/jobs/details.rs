//! `statusDetails`: the bounded string map a device attaches to a status update.

use core::fmt;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;

use crate::json::JsonStr;

/// Longest `statusDetails` key AWS accepts.
pub const MAX_DETAIL_KEY_LEN: usize = 128;
/// Longest `statusDetails` value AWS accepts (characters; bytes here, which is stricter).
pub const MAX_DETAIL_VALUE_LEN: usize = 1024;
/// Default number of entries a [`StatusDetails`] holds.
pub const DEFAULT_DETAILS: usize = 10;

/// Why a `statusDetails` entry was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DetailsError {
    /// The key is empty, longer than 128 bytes or has a character outside `[a-zA-Z0-9:_-]`.
    #[error("statusDetails key is empty, too long or has a character outside [a-zA-Z0-9:_-]")]
    BadKey,
    /// The value is empty, longer than 1024 bytes or has a control character.
    #[error("statusDetails value is empty, too long or has a control character")]
    BadValue,
    /// More entries than the map's capacity.
    #[error("statusDetails has more entries than fit")]
    Full,
    /// The same key twice.
    #[error("statusDetails key appears twice")]
    DuplicateKey,
}

/// A `statusDetails` map of borrowed strings, at most `N` entries, in insertion order.
///
/// Keys and values are checked against the AWS limits on insert (and on parse), so a map
/// built here is never refused by the service as `InvalidRequest`. Values that need JSON
/// escaping (`"`, `\`) are refused on insert, so that the map can be written without a
/// buffer.
///
/// Entries are [`JsonStr`]s: a parsed map holds keys and values as written, escapes and all
/// (`"caf\u00e9"`, `"said \"no\""`), decoded when read; the limits apply to the decoded
/// text (a value over [`MAX_DETAIL_VALUE_LEN`] bytes is
/// [`crate::json::ErrorKind::StringTooLong`]).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct StatusDetails<'a, const N: usize = DEFAULT_DETAILS> {
    entries: heapless::Vec<(JsonStr<'a>, JsonStr<'a>), N>,
}

fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= MAX_DETAIL_KEY_LEN
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'_' | b'-'))
}

fn valid_value(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= MAX_DETAIL_VALUE_LEN
        && !value
            .chars()
            .any(|c| c.is_control() || c == '"' || c == '\\')
}

impl<'a, const N: usize> StatusDetails<'a, N> {
    /// An empty map.
    pub const fn new() -> Self {
        Self {
            entries: heapless::Vec::new(),
        }
    }

    /// Add `key: value`.
    ///
    /// # Errors
    /// [`DetailsError`] if the key or value breaks a limit, the key is present, or the map
    /// is full. The map is unchanged on error.
    pub fn insert(&mut self, key: &'a str, value: &'a str) -> Result<(), DetailsError> {
        if !valid_key(key) {
            return Err(DetailsError::BadKey);
        }
        if !valid_value(value) {
            return Err(DetailsError::BadValue);
        }
        if self.get(key).is_some() {
            return Err(DetailsError::DuplicateKey);
        }
        // Checked above: nothing that needs escaping.
        let key = JsonStr::from_plain(key).ok_or(DetailsError::BadKey)?;
        let value = JsonStr::from_plain(value).ok_or(DetailsError::BadValue)?;
        self.entries
            .push((key, value))
            .map_err(|_| DetailsError::Full)
    }

    /// Add a parsed `key: value`, checking the limits on their decoded text (where a value
    /// may hold `"` and `\`, as AWS allows).
    fn insert_parsed(&mut self, key: JsonStr<'a>, value: JsonStr<'a>) -> Result<(), ParseError> {
        let key_len = key.len();
        if key_len > MAX_DETAIL_KEY_LEN {
            return Err(ParseError::TooLong(
                "a statusDetails key of at most 128 bytes",
            ));
        }
        let key_chars = key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'_' | b'-'));
        if key_len == 0 || !key_chars {
            return Err(ParseError::Details(DetailsError::BadKey));
        }
        if value.len() > MAX_DETAIL_VALUE_LEN {
            return Err(ParseError::TooLong(
                "a statusDetails value of at most 1024 bytes",
            ));
        }
        if value.is_empty() || value.chars().any(char::is_control) {
            return Err(ParseError::Details(DetailsError::BadValue));
        }
        if self.entries.iter().any(|(k, _)| *k == key) {
            return Err(ParseError::Details(DetailsError::DuplicateKey));
        }
        self.entries
            .push((key, value))
            .map_err(|_| ParseError::Details(DetailsError::Full))
    }

    /// Builder form of [`StatusDetails::insert`].
    ///
    /// # Errors
    /// As [`StatusDetails::insert`].
    pub fn with(mut self, key: &'a str, value: &'a str) -> Result<Self, DetailsError> {
        self.insert(key, value)?;
        Ok(self)
    }

    /// The value for `key` (compared decoded).
    pub fn get(&self, key: &str) -> Option<JsonStr<'a>> {
        self.entries
            .iter()
            .find(|(k, _)| *k == key)
            .map(|&(_, v)| v)
    }

    /// Entries in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (JsonStr<'a>, JsonStr<'a>)> + '_ {
        self.entries.iter().copied()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True without entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Why a parsed entry was refused.
enum ParseError {
    /// Over a length limit once decoded: what was expected.
    TooLong(&'static str),
    Details(DetailsError),
}

impl<const N: usize> fmt::Debug for StatusDetails<'_, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<const N: usize> serde::Serialize for StatusDetails<'_, N> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (k, v) in self.iter() {
            map.serialize_entry(&k, &v)?;
        }
        map.end()
    }
}

impl<'de: 'a, 'a, const N: usize> serde::Deserialize<'de> for StatusDetails<'a, N> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DetailsVisitor<'a, const N: usize>(core::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a, const N: usize> Visitor<'de> for DetailsVisitor<'a, N> {
            type Value = StatusDetails<'a, N>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a map of at most {N} string pairs")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut details = StatusDetails::new();
                while let Some((k, v)) = map.next_entry::<JsonStr<'de>, JsonStr<'de>>()? {
                    details.insert_parsed(k, v).map_err(|e| match e {
                        ParseError::TooLong(what) => crate::json::too_long(&what),
                        ParseError::Details(e) => serde::de::Error::custom(e),
                    })?;
                }
                Ok(details)
            }
        }
        deserializer.deserialize_map(DetailsVisitor(core::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn enforces_aws_limits() {
        let long = "x".repeat(1025);
        let mut d = StatusDetails::<'_, 2>::new();
        assert_eq!(d.insert("", "v"), Err(DetailsError::BadKey));
        assert_eq!(d.insert("a b", "v"), Err(DetailsError::BadKey));
        assert_eq!(d.insert("k", ""), Err(DetailsError::BadValue));
        assert_eq!(d.insert("k", "a\nb"), Err(DetailsError::BadValue));
        assert_eq!(d.insert("k", &long), Err(DetailsError::BadValue));
        d.insert("receive", "1/2").unwrap();
        assert_eq!(d.insert("receive", "2/2"), Err(DetailsError::DuplicateKey));
        d.insert("reason", "accepted  v1.0.0").unwrap();
        assert_eq!(d.insert("x", "y"), Err(DetailsError::Full));
        assert_eq!(d.get("reason").unwrap(), "accepted  v1.0.0");
    }

    #[test]
    fn writes_in_insertion_order() {
        let d = StatusDetails::<'_, DEFAULT_DETAILS>::new()
            .with("self_test", "ready")
            .unwrap()
            .with("updatedBy", "0x1000000")
            .unwrap();
        let mut buf = [0u8; 64];
        let n = crate::json::to_slice(&d, &mut buf).unwrap();
        assert_eq!(
            &buf[..n],
            br#"{"self_test":"ready","updatedBy":"0x1000000"}"#
        );
    }

    #[test]
    fn parse_rejects_more_entries_than_fit_and_non_strings() {
        assert!(crate::json::from_slice::<StatusDetails<'_, 1>>(br#"{"a":"1","b":"2"}"#).is_err());
        assert!(
            crate::json::from_slice::<StatusDetails<'_, DEFAULT_DETAILS>>(br#"{"a":1}"#).is_err()
        );
        assert!(
            crate::json::from_slice::<StatusDetails<'_, DEFAULT_DETAILS>>(br#"{"a":"x","a":"y"}"#)
                .is_err()
        );
    }

    proptest! {
        #[test]
        fn round_trips(entries in proptest::collection::btree_map("[a-zA-Z0-9:_-]{1,20}", "[ -!#-\\[\\]-~]{1,40}", 0..10)) {
            let mut d = StatusDetails::<'_, DEFAULT_DETAILS>::new();
            for (k, v) in &entries {
                d.insert(k, v).unwrap();
            }
            let json = serde_json::to_vec(&d).unwrap();
            let ours: StatusDetails<'_, DEFAULT_DETAILS> = crate::json::from_slice(&json).unwrap();
            let theirs: StatusDetails<'_, DEFAULT_DETAILS> = serde_json::from_slice(&json).unwrap();
            prop_assert_eq!(&ours, &d);
            prop_assert_eq!(&theirs, &d);
        }
    }
}
