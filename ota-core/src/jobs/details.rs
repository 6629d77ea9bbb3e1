//! `statusDetails`: the bounded string map a device attaches to a status update.

use core::fmt;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;

use crate::json::JsonStr;

/// Longest `statusDetails` key AWS accepts (keys are ASCII: bytes and characters agree).
pub const MAX_DETAIL_KEY_LEN: usize = 128;
/// Longest `statusDetails` value AWS accepts, in characters (Unicode scalar values).
pub const MAX_DETAIL_VALUE_LEN: usize = 1024;
/// Most `statusDetails` entries AWS accepts in one request.
pub const MAX_DETAILS: usize = 10;
/// Default number of entries a [`StatusDetails`] holds.
pub const DEFAULT_DETAILS: usize = MAX_DETAILS;

/// Whether `c` is in Unicode general category `C` ("Other", `\p{C}`), which AWS refuses in a
/// `statusDetails` value, as far as it can be told without a Unicode table:
///
/// - `Cc` controls: U+0000–001F, U+007F–009F;
/// - `Cf` format characters (Unicode 16): U+00AD, U+0600–0605, U+061C, U+06DD, U+070F,
///   U+0890–0891, U+08E2, U+180E, U+200B–200F, U+202A–202E, U+2060–2064, U+2066–206F, U+FEFF,
///   U+FFF9–FFFB, U+110BD, U+110CD, U+13430–1343F, U+1BCA0–1BCA3, U+1D173–1D17A, U+E0001,
///   U+E0020–E007F;
/// - `Co` private use: U+E000–F8FF, U+F0000–FFFFD, U+100000–10FFFD;
/// - `Cs` surrogates cannot occur in a `char`.
///
/// `Cn` (unassigned code points, including noncharacters such as U+FFFF) is **not**
/// detected: that needs a table of every assigned character (the smallest no_std crate that
/// has one, `unicode-general-category`, links ~45 KB of tables). AWS refuses unassigned code
/// points too, so a value holding one passes this check and is still refused by the service
/// (`InvalidRequest`).
pub const fn is_unicode_other(c: char) -> bool {
    matches!(
        c as u32,
        0x0000..=0x001F
            | 0x007F..=0x009F
            | 0x00AD
            | 0x0600..=0x0605
            | 0x061C
            | 0x06DD
            | 0x070F
            | 0x0890..=0x0891
            | 0x08E2
            | 0x180E
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x2064
            | 0x2066..=0x206F
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0x110BD
            | 0x110CD
            | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0001
            | 0xE0020..=0xE007F
            | 0xE000..=0xF8FF
            | 0xF0000..=0xFFFFD
            | 0x100000..=0x10FFFD
    )
}

/// The AWS rule for one `statusDetails` entry (`UpdateJobExecution`, `StartNextPendingJobExecution`,
/// `CancelJobExecution`): the key matches `[a-zA-Z0-9:_-]+` and has 1..=128 characters, the value
/// matches `[^\p{C}]+` (see [`is_unicode_other`] for what is detected) and has 1..=1024
/// characters. `"` and `\` are allowed (they are escaped when written).
///
/// The device ([`StatusDetails::insert`]) and the service emulation (`ota-cloud`) check with this
/// one rule.
///
/// # Errors
/// [`DetailsError::BadKey`] or [`DetailsError::BadValue`].
pub fn check_detail(key: &str, value: &str) -> Result<(), DetailsError> {
    check_key(key.bytes())?;
    check_value(value.chars())
}

/// [`check_detail`] for every entry, and at most [`MAX_DETAILS`] of them. Duplicate keys are
/// not looked for (a map has none).
///
/// # Errors
/// [`DetailsError::TooMany`] for more than [`MAX_DETAILS`] entries; as [`check_detail`].
pub fn check_details<'e>(
    entries: impl IntoIterator<Item = (&'e str, &'e str)>,
) -> Result<(), DetailsError> {
    for (n, (key, value)) in entries.into_iter().enumerate() {
        if n == MAX_DETAILS {
            return Err(DetailsError::TooMany);
        }
        check_detail(key, value)?;
    }
    Ok(())
}

fn check_key(key: impl Iterator<Item = u8>) -> Result<(), DetailsError> {
    let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b':' | b'_' | b'-');
    check_all(key, MAX_DETAIL_KEY_LEN, allowed, DetailsError::BadKey)
}

fn check_value(value: impl Iterator<Item = char>) -> Result<(), DetailsError> {
    let allowed = |c: char| !is_unicode_other(c);
    check_all(value, MAX_DETAIL_VALUE_LEN, allowed, DetailsError::BadValue)
}

/// `Ok` for 1..=`max` items, every one `allowed`; else `error`.
fn check_all<T>(
    items: impl Iterator<Item = T>,
    max: usize,
    allowed: impl Fn(T) -> bool,
    error: DetailsError,
) -> Result<(), DetailsError> {
    let mut len = 0;
    for item in items {
        if !allowed(item) {
            return Err(error);
        }
        len += 1;
    }
    if (1..=max).contains(&len) {
        Ok(())
    } else {
        Err(error)
    }
}

/// Why a `statusDetails` entry was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DetailsError {
    /// The key is empty, longer than 128 characters or has a character outside
    /// `[a-zA-Z0-9:_-]`.
    #[error("statusDetails key is empty, too long or has a character outside [a-zA-Z0-9:_-]")]
    BadKey,
    /// The value is empty, longer than 1024 characters or has a character of Unicode category
    /// `C` (control, format, private use; see [`is_unicode_other`]).
    #[error(
        "statusDetails value is empty, longer than 1024 characters or has a control, format or private-use character"
    )]
    BadValue,
    /// More entries than the map's capacity.
    #[error("statusDetails has more entries than fit")]
    Full,
    /// More than [`MAX_DETAILS`] entries, AWS's limit.
    #[error("statusDetails has more than 10 entries")]
    TooMany,
    /// The same key twice.
    #[error("statusDetails key appears twice")]
    DuplicateKey,
}

/// A `statusDetails` map of borrowed strings, at most `N` entries, in insertion order.
///
/// Keys and values are checked against the AWS limits with [`check_detail`] on insert (and on
/// parse), and a map takes at most [`MAX_DETAILS`] entries, so a map built here is not refused
/// by the service as `InvalidRequest` (short of an unassigned code point, which
/// [`is_unicode_other`] cannot tell). Values may hold `"` and `\`: they are escaped when
/// written.
///
/// Entries are [`JsonStr`]s: a parsed map holds keys and values as written, escapes and all
/// (`"caf\u00e9"`, `"said \"no\""`), decoded when read; the limits apply to the decoded
/// text (a value over [`MAX_DETAIL_VALUE_LEN`] bytes is
/// [`crate::json::ErrorKind::StringTooLong`]).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct StatusDetails<'a, const N: usize = DEFAULT_DETAILS> {
    entries: heapless::Vec<(JsonStr<'a>, JsonStr<'a>), N>,
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
    /// [`DetailsError`] if the key or value breaks [`check_detail`], the key is present, the
    /// map has [`MAX_DETAILS`] entries already ([`DetailsError::TooMany`]) or is full. The map
    /// is unchanged on error.
    pub fn insert(&mut self, key: &'a str, value: &'a str) -> Result<(), DetailsError> {
        check_detail(key, value)?;
        if self.get(key).is_some() {
            return Err(DetailsError::DuplicateKey);
        }
        if self.entries.len() >= MAX_DETAILS {
            return Err(DetailsError::TooMany);
        }
        self.entries
            .push((JsonStr::text(key), JsonStr::text(value)))
            .map_err(|_| DetailsError::Full)
    }

    /// Add a parsed `key: value`, checking the limits on their decoded text (where a value
    /// may hold `"` and `\`, as AWS allows).
    fn insert_parsed(&mut self, key: JsonStr<'a>, value: JsonStr<'a>) -> Result<(), ParseError> {
        if key.chars().count() > MAX_DETAIL_KEY_LEN {
            return Err(ParseError::TooLong(
                "a statusDetails key of at most 128 characters",
            ));
        }
        if value.chars().count() > MAX_DETAIL_VALUE_LEN {
            return Err(ParseError::TooLong(
                "a statusDetails value of at most 1024 characters",
            ));
        }
        check_key(key.bytes()).map_err(ParseError::Details)?;
        check_value(value.chars()).map_err(ParseError::Details)?;
        if self.entries.iter().any(|(k, _)| *k == key) {
            return Err(ParseError::Details(DetailsError::DuplicateKey));
        }
        if self.entries.len() >= MAX_DETAILS {
            return Err(ParseError::Details(DetailsError::TooMany));
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
        crate::json::lookup(&self.entries, key)
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

impl<'a, const N: usize> StatusDetails<'a, N> {
    /// Read with a [`crate::json::Reader`]: what the `Deserialize` impl accepts, with the
    /// same error kinds.
    ///
    /// # Errors
    /// As the `Deserialize` impl.
    pub fn read(r: &mut crate::json::Reader<'a>) -> Result<Self, crate::json::Error> {
        let mut details = StatusDetails::new();
        let mut object = r.object()?;
        while let Some(key) = r.next_key(&mut object)? {
            r.colon()?;
            let value = r.string()?;
            details.insert_parsed(key, value).map_err(|e| match e {
                ParseError::TooLong(_) => r.error(crate::json::ErrorKind::StringTooLong),
                ParseError::Details(_) => r.data_error("invalid statusDetails"),
            })?;
        }
        Ok(details)
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
    use std::format;
    use std::string::String;
    use std::vec::Vec;

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

    #[test]
    fn writes_quote_and_backslash_escaped() {
        let value = r#"said "no" to C:\fw\ota.bin \u0041"#;
        let d = StatusDetails::<'_, DEFAULT_DETAILS>::new()
            .with("reason", value)
            .unwrap();
        assert_eq!(d.get("reason").unwrap(), value);
        let mut buf = [0u8; 128];
        let n = crate::json::to_slice(&d, &mut buf).unwrap();
        let theirs: std::collections::BTreeMap<String, String> =
            serde_json::from_slice(&buf[..n]).unwrap();
        assert_eq!(theirs["reason"], value);
        let ours: StatusDetails<'_, DEFAULT_DETAILS> = crate::json::from_slice(&buf[..n]).unwrap();
        assert_eq!(ours, d);
        assert_eq!(serde_json::to_vec(&d).unwrap(), &buf[..n]);
    }

    #[test]
    fn refuses_format_and_private_use_characters() {
        for c in ['\u{200B}', '\u{00AD}', '\u{E000}'] {
            let value = format!("v{c}1");
            let key = format!("k{c}1");
            assert_eq!(
                check_detail("k", &value),
                Err(DetailsError::BadValue),
                "{c:?}"
            );
            assert_eq!(check_detail(&key, "v"), Err(DetailsError::BadKey), "{c:?}");
            let mut d = StatusDetails::<'_, DEFAULT_DETAILS>::new();
            assert_eq!(d.insert("k", &value), Err(DetailsError::BadValue));
            assert_eq!(d.insert(&key, "v"), Err(DetailsError::BadKey));
            assert!(d.is_empty());
            let json = format!(r#"{{"k":"{value}"}}"#);
            assert!(
                crate::json::from_slice::<StatusDetails<'_, DEFAULT_DETAILS>>(json.as_bytes())
                    .is_err()
            );
        }
    }

    #[test]
    fn classifies_unicode_other() {
        for c in [
            '\0',
            '\u{1F}',
            '\u{7F}',
            '\u{9F}',
            '\u{AD}',
            '\u{600}',
            '\u{61C}',
            '\u{180E}',
            '\u{200B}',
            '\u{200F}',
            '\u{202E}',
            '\u{2060}',
            '\u{206F}',
            '\u{FEFF}',
            '\u{FFFB}',
            '\u{110BD}',
            '\u{1343F}',
            '\u{1D17A}',
            '\u{E0001}',
            '\u{E007F}',
            '\u{E000}',
            '\u{F8FF}',
            '\u{F0000}',
            '\u{10FFFD}',
        ] {
            assert!(is_unicode_other(c), "{c:?}");
        }
        for c in [
            ' ',
            '~',
            '"',
            '\\',
            '\u{A0}',
            '\u{AE}',
            'é',
            '\u{200A}',
            '\u{2010}',
            '€',
            '\u{F900}',
            '\u{FFFC}',
            '😀',
            '\u{E0100}',
        ] {
            assert!(!is_unicode_other(c), "{c:?}");
        }
    }

    #[test]
    fn refuses_more_than_aws_limits() {
        let keys: Vec<String> = (0..11).map(|i| format!("k{i}")).collect();
        let mut d = StatusDetails::<'_, 16>::new();
        for k in &keys[..10] {
            d.insert(k, "v").unwrap();
        }
        assert_eq!(d.insert(&keys[10], "v"), Err(DetailsError::TooMany));
        assert_eq!(d.len(), 10);
        assert_eq!(
            check_details(keys.iter().map(|k| (k.as_str(), "v"))),
            Err(DetailsError::TooMany)
        );
        assert_eq!(
            check_details(keys[..10].iter().map(|k| (k.as_str(), "v"))),
            Ok(())
        );

        let (key128, key129) = ("k".repeat(128), "k".repeat(129));
        let (value1024, value1025) = ("v".repeat(1024), "v".repeat(1025));
        assert_eq!(check_detail(&key128, &value1024), Ok(()));
        assert_eq!(check_detail(&key129, "v"), Err(DetailsError::BadKey));
        assert_eq!(check_detail("k", &value1025), Err(DetailsError::BadValue));
        // 1024 characters, more bytes: AWS counts characters.
        assert_eq!(check_detail("k", &"é".repeat(1024)), Ok(()));
        assert_eq!(
            check_detail("k", &"é".repeat(1025)),
            Err(DetailsError::BadValue)
        );
        let mut d = StatusDetails::<'_, DEFAULT_DETAILS>::new();
        assert_eq!(d.insert(&key129, "v"), Err(DetailsError::BadKey));
        assert_eq!(d.insert("k", &value1025), Err(DetailsError::BadValue));
        d.insert(&key128, &value1024).unwrap();

        let eleven = format!(
            "{{{}}}",
            keys.iter()
                .map(|k| format!(r#""{k}":"v""#))
                .collect::<Vec<_>>()
                .join(",")
        );
        assert!(crate::json::from_slice::<StatusDetails<'_, 16>>(eleven.as_bytes()).is_err());
    }

    proptest! {
        #[test]
        fn round_trips(entries in proptest::collection::btree_map("[a-zA-Z0-9:_-]{1,20}", "[ -~]{1,40}", 0..10)) {
            let mut d = StatusDetails::<'_, DEFAULT_DETAILS>::new();
            for (k, v) in &entries {
                d.insert(k, v).unwrap();
            }
            let json = serde_json::to_vec(&d).unwrap();
            let mut buf = [0u8; 1024];
            let n = crate::json::to_slice(&d, &mut buf).unwrap();
            prop_assert_eq!(&buf[..n], &json[..]);
            let ours: StatusDetails<'_, DEFAULT_DETAILS> = crate::json::from_slice(&json).unwrap();
            prop_assert_eq!(&ours, &d);
            let plain: std::collections::BTreeMap<String, String> =
                serde_json::from_slice(&json).unwrap();
            prop_assert_eq!(&plain, &entries);
            // Without `alloc`, serde_json hands a `JsonStr` only values without escapes.
            #[cfg(feature = "alloc")]
            {
                let theirs: StatusDetails<'_, DEFAULT_DETAILS> = serde_json::from_slice(&json).unwrap();
                prop_assert_eq!(&theirs, &d);
            }
        }
    }
}
