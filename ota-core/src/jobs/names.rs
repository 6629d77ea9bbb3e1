//! Validated thing names, job ids, stream ids and client tokens.
//!
//! Each type is a borrowed `&str` that was checked against the AWS limits once, so that topic
//! builders and payload writers never have to re-check (and never produce a topic AWS would
//! refuse).

use core::fmt;

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

fn check(s: &str, max: usize, allowed: impl Fn(u8) -> bool) -> Result<(), NameError> {
    if s.is_empty() {
        Err(NameError::Empty)
    } else if s.len() > max {
        Err(NameError::TooLong)
    } else if !s.bytes().all(allowed) {
        Err(NameError::BadCharacter)
    } else {
        Ok(())
    }
}

macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident, $max:expr, $allowed:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name<'a>(&'a str);

        impl<'a> $name<'a> {
            /// Check `s` against the limits for this kind of name.
            ///
            /// # Errors
            /// [`NameError`] saying which limit was broken.
            pub fn new(s: &'a str) -> Result<Self, NameError> {
                check(s, $max, $allowed).map(|()| Self(s))
            }

            /// The name as a string slice.
            pub const fn as_str(&self) -> &'a str {
                self.0
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

        impl<'de: 'a, 'a> serde::Deserialize<'de> for $name<'a> {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <&'de str>::deserialize(d)?;
                Self::new(s).map_err(serde::de::Error::custom)
            }
        }
    };
}

fn thing_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b':' | b'_' | b'-')
}

fn id_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-')
}

name_type!(
    /// An AWS IoT thing name: 1-128 characters of `[a-zA-Z0-9:_-]`.
    ThingName, MAX_THING_NAME_LEN, thing_char
);
name_type!(
    /// A job id: 1-64 characters of `[a-zA-Z0-9_-]`.
    ///
    /// `$next` is not a job id; topics that accept it take [`crate::jobs::JobRef`].
    JobId, MAX_JOB_ID_LEN, id_char
);
name_type!(
    /// A stream id: 1-128 characters of `[a-zA-Z0-9_-]`.
    StreamId, MAX_STREAM_ID_LEN, id_char
);
name_type!(
    /// A client token: 1-64 printable ASCII characters (no `"` or `\`, so it can be written
    /// into JSON without escaping).
    ClientToken, MAX_CLIENT_TOKEN_LEN, |b: u8| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\'
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
