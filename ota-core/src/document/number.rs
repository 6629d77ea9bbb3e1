//! How numbers in job documents are read: the quoted-number and hex-string policy.
//!
//! The AWS OTA agent reads numeric fields with `strtoul(text, base 0)` whether or not the
//! value is quoted, so it accepts `"filesize":"1024"`, hex (`"0x400"`), octal (`"0400"`),
//! wraps a leading `-` and silently truncates on 64-bit hosts. This crate's policy:
//!
//! - A numeric document field ([`DocU32`], [`DocU8`]) is a JSON integer or a **quoted
//!   decimal** string of ASCII digits (`"1024"`). Leading zeros are allowed in quoted form
//!   (`"0012"` is 12, never octal).
//! - Refused: signs (`-1`, `"+1"`, `"-1"`), empty strings, spaces, hex or octal prefixes in
//!   numeric fields, fractions and exponents (`1.0`, `1e3`), `NaN`, and anything beyond the
//!   field's range (no wrapping, no truncation).
//!   A fraction or exponent is a data error of the field with `alloc`, and refused by the
//!   parser itself ([`crate::json::ErrorKind::Number`]) without it; refused either way.
//! - `updatedBy` is the one hex field: [`parse_hex_u32`] requires a quoted `0x` followed by 1
//!   to 8 hex digits (`"0x1000000"`), as the AWS agent writes it; bare numbers are refused.

use core::fmt;

use serde::de::{self, Visitor};

use crate::json::{self, Reader};

/// Parse a quoted decimal per the policy above.
pub fn parse_decimal_u32(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Digits only, so the only failure left is overflow.
    s.parse().ok()
}

/// Parse `0x` + 1..=8 hex digits (the `updatedBy` form); `None` for anything else.
pub fn parse_hex_u32(s: &str) -> Option<u32> {
    let digits = s.strip_prefix("0x")?;
    if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(digits, 16).ok()
}

/// A `u32` document field: a JSON integer or a quoted decimal (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct DocU32(pub u32);

/// A `u8` document field (`fileid`, `fileType`): as [`DocU32`], limited to 0..=255.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct DocU8(pub u8);

struct DocNumberVisitor {
    max: u32,
}

impl Visitor<'_> for DocNumberVisitor {
    type Value = u32;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an integer 0..={} or a quoted decimal", self.max)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u32, E> {
        u32::try_from(v)
            .ok()
            .filter(|&v| v <= self.max)
            .ok_or_else(|| E::invalid_value(de::Unexpected::Unsigned(v), &self))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u32, E> {
        Err(E::invalid_value(de::Unexpected::Signed(v), &self))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<u32, E> {
        Err(E::invalid_value(de::Unexpected::Float(v), &self))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<u32, E> {
        parse_decimal_u32(v)
            .filter(|&n| n <= self.max)
            .ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
    }
}

impl<'de> serde::Deserialize<'de> for DocU32 {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DocNumberVisitor { max: u32::MAX })
            .map(Self)
    }
}

impl<'de> serde::Deserialize<'de> for DocU8 {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // The visitor bounds the value to 255.
        d.deserialize_any(DocNumberVisitor { max: 255 })
            .map(|v| Self(v as u8))
    }
}

impl DocU32 {
    /// Read with a [`Reader`]: what the `Deserialize` impl accepts, with the same error kinds.
    ///
    /// # Errors
    /// As the `Deserialize` impl.
    pub fn read(r: &mut Reader<'_>) -> Result<Self, json::Error> {
        read_doc_number(r, u32::MAX).map(Self)
    }
}

impl DocU8 {
    /// Read with a [`Reader`], as [`DocU32::read`], limited to 255.
    ///
    /// # Errors
    /// As the `Deserialize` impl.
    pub fn read(r: &mut Reader<'_>) -> Result<Self, json::Error> {
        // Bounded to 255.
        read_doc_number(r, 255).map(|v| Self(v as u8))
    }
}

/// The number policy over a [`Reader`], mirroring [`DocNumberVisitor`] behind
/// `deserialize_any`: a string is a quoted decimal (decoded; an escaped one over
/// [`json::MAX_UNESCAPED_LEN`] bytes is [`json::ErrorKind::StringTooLong`], as serde's owned
/// consumers get); a number a non-negative integer; every other value a data error once it
/// is checked (an object or array once entered, as serde enters it).
fn read_doc_number(r: &mut Reader<'_>, max: u32) -> Result<u32, json::Error> {
    let invalid = |r: &Reader<'_>| r.data_error("invalid value: an integer or a quoted decimal");
    match r.peek()? {
        b'"' => {
            let s = r.string()?;
            if s.is_escaped() && s.len() > json::MAX_UNESCAPED_LEN {
                return Err(r.error(json::ErrorKind::StringTooLong));
            }
            let mut value = 0u32;
            let mut digits = 0usize;
            for b in s.bytes() {
                let digit = match b {
                    b'0'..=b'9' => u32::from(b - b'0'),
                    _ => return Err(invalid(r)),
                };
                value = value
                    .checked_mul(10)
                    .and_then(|v| v.checked_add(digit))
                    .ok_or_else(|| invalid(r))?;
                digits += 1;
            }
            if digits == 0 || value > max {
                return Err(invalid(r));
            }
            Ok(value)
        }
        b'{' => {
            r.object()?;
            Err(invalid(r))
        }
        b'[' => {
            r.array()?;
            Err(invalid(r))
        }
        b't' | b'f' | b'n' => {
            r.literal()?;
            Err(invalid(r))
        }
        _ => {
            let n = r.number()?;
            if n.integer && !n.negative {
                if let Ok(v) = n.text.parse::<u64>() {
                    return u32::try_from(v)
                        .ok()
                        .filter(|&v| v <= max)
                        .ok_or_else(|| invalid(r));
                }
            } else if n.integer && n.text.parse::<i64>().is_ok() {
                return Err(invalid(r));
            }
            // A fraction, an exponent, or an integer beyond 64 bits: a float to serde,
            // which this crate's parser refuses without `alloc` (no float parsing linked).
            if cfg!(feature = "alloc") {
                Err(invalid(r))
            } else {
                Err(json::Error::new(
                    json::ErrorKind::Number,
                    r.offset() - n.text.len(),
                ))
            }
        }
    }
}

impl serde::Serialize for DocU32 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(self.0)
    }
}

impl serde::Serialize for DocU8 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both_u32(json: &str) -> Option<u32> {
        let ours = crate::json::from_slice::<DocU32>(json.as_bytes())
            .ok()
            .map(|v| v.0);
        let theirs = serde_json::from_str::<DocU32>(json).ok().map(|v| v.0);
        assert_eq!(ours, theirs, "both parsers agree on {json}");
        ours
    }

    #[test]
    fn policy_table() {
        assert_eq!(both_u32("1024"), Some(1024));
        assert_eq!(both_u32(r#""1024""#), Some(1024));
        assert_eq!(both_u32(r#""0012""#), Some(12));
        assert_eq!(both_u32("4294967295"), Some(u32::MAX));
        for bad in [
            r#""""#,
            r#""-1""#,
            r#""+1""#,
            "-1",
            r#""0x400""#,
            r#"" 12""#,
            r#""NaN""#,
            "1.0",
            "1e3",
            "4294967296",
            "19223372036854775808",
            r#""4294967296""#,
            "null",
            "true",
        ] {
            assert_eq!(both_u32(bad), None, "{bad} must be refused");
        }
        assert_eq!(crate::json::from_slice::<DocU8>(b"255").unwrap().0, 255);
        assert!(crate::json::from_slice::<DocU8>(b"256").is_err());
        assert!(crate::json::from_slice::<DocU8>(br#""badParameter""#).is_err());
    }

    #[test]
    fn updated_by_is_quoted_hex() {
        assert_eq!(parse_hex_u32("0x1000000"), Some(0x0100_0000));
        assert_eq!(parse_hex_u32("0xffffffff"), Some(u32::MAX));
        for bad in ["1000000", "0x", "0x123456789", "0X10", "0xg", "-0x1", ""] {
            assert_eq!(parse_hex_u32(bad), None, "{bad}");
        }
    }
}
