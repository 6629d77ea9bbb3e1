//! Validated thing names, job ids, stream ids and client tokens.
//!
//! Each type is a borrowed `&str` that was checked against the AWS limits once, so that topic
//! builders and payload writers never have to re-check (and never produce a topic AWS would
//! refuse).
//!
//! A name read from a JSON payload may be written with escapes (`"job\u0031"` is the job
//! `job1`); such a name cannot be borrowed as a `&str`, so the payload types hold it as a
//! [`JsonStr`] checked with `check_json` (e.g. [`JobId::check_json`]), and
//! `from_json` (e.g. [`JobId::from_json`]) makes it a name, decoded into a small buffer when
//! it has escapes.

use core::fmt;

use crate::json::JsonStr;

/// Longest thing name AWS IoT accepts.
pub const MAX_THING_NAME_LEN: usize = 128;
/// Longest job id AWS IoT Jobs accepts (coreJobs `JOBS_JOBID_MAX_LENGTH`).
pub const MAX_JOB_ID_LEN: usize = 64;
/// Longest client token the Jobs and Streams APIs accept, in bytes.
pub const MAX_CLIENT_TOKEN_LEN: usize = 64;
/// Longest stream id (AWS IoT `CreateStream`: 1-128 characters of `[a-zA-Z0-9_-]`).
pub const MAX_STREAM_ID_LEN: usize = 128;

/// Why a name was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    /// Empty.
    #[error("name is empty")]
    Empty,
    /// Longer than the limit for its kind.
    #[error("name is too long")]
    TooLong,
    /// Has a character outside the allowed set for its kind.
    #[error("name has a character that is not allowed")]
    BadCharacter,
}

/// The characters a kind of name may hold.
#[derive(Clone, Copy)]
enum Charset {
    /// `[a-zA-Z0-9:_-]`.
    Thing,
    /// `[a-zA-Z0-9_-]`.
    Id,
    /// Printable ASCII but `"` and `\`.
    Token,
}

impl Charset {
    const fn allows(self, b: u8) -> bool {
        match self {
            Self::Thing => b.is_ascii_alphanumeric() || matches!(b, b':' | b'_' | b'-'),
            Self::Id => b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'),
            Self::Token => b >= 0x20 && b < 0x7f && b != b'"' && b != b'\\',
        }
    }
}

/// Const, so that names known at build time are checked at build time.
const fn check(s: &str, max: usize, set: Charset) -> Result<(), NameError> {
    if s.is_empty() {
        return Err(NameError::Empty);
    }
    if s.len() > max {
        return Err(NameError::TooLong);
    }
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !set.allows(bytes[i]) {
            return Err(NameError::BadCharacter);
        }
        i += 1;
    }
    Ok(())
}

macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident, $max:expr, $allowed:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name<'a>(&'a str);

        impl<'a> $name<'a> {
            /// Check `s` against the limits for this kind of name. Const: in a `const` or
            /// `static` item a bad name fails the build.
            ///
            /// # Errors
            /// [`NameError`] saying which limit was broken.
            pub const fn new(s: &'a str) -> Result<Self, NameError> {
                match check(s, $max, $allowed) {
                    Ok(()) => Ok(Self(s)),
                    Err(e) => Err(e),
                }
            }

            /// The name as a string slice.
            pub const fn as_str(&self) -> &'a str {
                self.0
            }

            /// Check the decoded text of a JSON string against the limits for this kind of
            /// name.
            ///
            /// # Errors
            /// [`NameError`] saying which limit was broken.
            pub fn check_json(text: &JsonStr<'_>) -> Result<(), NameError> {
                check_json(text, $max, $allowed)
            }

            /// The name a JSON string holds: borrowed from it when it is written without
            /// escapes, else decoded into `buf`.
            ///
            /// # Errors
            /// [`NameError`] saying which limit was broken.
            pub fn from_json<'b>(
                text: &JsonStr<'a>,
                buf: &'b mut [u8; $max],
            ) -> Result<$name<'b>, NameError>
            where
                'a: 'b,
            {
                Self::check_json(text)?;
                // Checked: at most `$max` bytes.
                let s = text.decode(buf).map_err(|_| NameError::TooLong)?;
                $name::new(s)
            }
        }

        /// The name, as a JSON string without escapes.
        impl<'a> From<$name<'a>> for JsonStr<'a> {
            fn from(name: $name<'a>) -> Self {
                // No name has a character that needs escaping.
                JsonStr::from_plain(name.0).unwrap_or_default()
            }
        }

        impl PartialEq<JsonStr<'_>> for $name<'_> {
            fn eq(&self, other: &JsonStr<'_>) -> bool {
                *other == *self.0
            }
        }

        impl fmt::Display for $name<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.0)
            }
        }

        impl fmt::Debug for $name<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl AsRef<str> for $name<'_> {
            fn as_ref(&self) -> &str {
                self.0
            }
        }

        impl serde::Serialize for $name<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.0)
            }
        }

        /// Borrows the name: a name written with escapes is refused (use a [`JsonStr`] and
        /// `check_json` where one may be escaped); one too long once decoded is
        /// [`crate::json::ErrorKind::StringTooLong`] with this crate's parser.
        impl<'de: 'a, 'a> serde::Deserialize<'de> for $name<'a> {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = JsonStr::deserialize(d)?;
                Self::check_json(&text)
                    .map_err(|e| name_error(e, concat!("a ", stringify!($name))))?;
                let plain = text.as_plain().ok_or_else(|| {
                    serde::de::Error::invalid_value(
                        serde::de::Unexpected::Other("a name written with escapes"),
                        &"a name that can be borrowed",
                    )
                })?;
                Self::new(plain).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// [`check`] on the decoded text of `s`.
/// Not generic: one copy serves every kind of name.
fn check_json(s: &JsonStr<'_>, max: usize, set: Charset) -> Result<(), NameError> {
    let (mut len, mut all_allowed) = (0, true);
    for b in s.bytes() {
        len += 1;
        all_allowed &= set.allows(b);
    }
    if len == 0 {
        Err(NameError::Empty)
    } else if len > max {
        Err(NameError::TooLong)
    } else if !all_allowed {
        Err(NameError::BadCharacter)
    } else {
        Ok(())
    }
}

/// A [`NameError`] as a deserialization error: too long is
/// [`crate::json::ErrorKind::StringTooLong`] with this crate's parser.
pub(crate) fn name_error<E: serde::de::Error>(e: NameError, what: &'static str) -> E {
    match e {
        NameError::TooLong => crate::json::too_long(&what),
        e => E::custom(e),
    }
}

name_type!(
    /// An AWS IoT thing name: 1-128 characters of `[a-zA-Z0-9:_-]`.
    ThingName, MAX_THING_NAME_LEN, Charset::Thing
);
name_type!(
    /// A job id: 1-64 characters of `[a-zA-Z0-9_-]`.
    ///
    /// `$next` is not a job id; topics that accept it take [`crate::jobs::JobRef`].
    JobId, MAX_JOB_ID_LEN, Charset::Id
);
name_type!(
    /// A stream id: 1-128 characters of `[a-zA-Z0-9_-]`.
    StreamId, MAX_STREAM_ID_LEN, Charset::Id
);
name_type!(
    /// A client token: 1-64 printable ASCII characters (no `"` or `\`, so it can be written
    /// into JSON without escaping).
    ClientToken, MAX_CLIENT_TOKEN_LEN, Charset::Token
);

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;

    fn repeat(c: &str, n: usize) -> String {
        c.repeat(n)
    }

    #[test]
    fn limits_are_enforced() {
        assert!(ThingName::new("dev-1:a_b").is_ok());
        assert_eq!(ThingName::new(""), Err(NameError::Empty));
        assert_eq!(ThingName::new(&repeat("a", 129)), Err(NameError::TooLong));
        assert!(ThingName::new(&repeat("a", 128)).is_ok());
        assert_eq!(ThingName::new("a/b"), Err(NameError::BadCharacter));
        assert_eq!(ThingName::new("a+b"), Err(NameError::BadCharacter));
        assert_eq!(JobId::new("a:b"), Err(NameError::BadCharacter));
        assert_eq!(JobId::new("$next"), Err(NameError::BadCharacter));
        assert!(JobId::new(&repeat("j", 64)).is_ok());
        assert_eq!(JobId::new(&repeat("j", 65)), Err(NameError::TooLong));
        assert!(ClientToken::new("0:thing").is_ok());
        assert_eq!(ClientToken::new("a\"b"), Err(NameError::BadCharacter));
    }
}
