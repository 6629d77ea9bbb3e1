//! [`Writer`]: compact JSON written by hand into a caller's buffer, for the requests a device
//! publishes.
//!
//! Byte for byte what `serde-json-core` writes for the same values (strings escaped the same
//! way: `"`, `\`, the short escapes `\b \t \n \f \r`, other controls as upper-case `\u00XX`,
//! everything else as UTF-8), so the two can be compared in tests; without serde's
//! serializer and `core::fmt` behind it, in a fraction of the code.
//!
//! What it does not do: it does not check that members are written in a valid order (an
//! object's members are written between [`Writer::begin_object`] and
//! [`Writer::end_object`], each as [`Writer::key`] then one value) and it writes no floats.

use super::error::{Error, ErrorKind};
use super::str::JsonStr;

type Result<T> = core::result::Result<T, Error>;

/// A JSON writer over a byte buffer. See the [module docs](crate::json).
pub struct Writer<'b> {
    buf: &'b mut [u8],
    len: usize,
    /// No member written yet in the innermost open object.
    first: bool,
}

impl<'b> Writer<'b> {
    /// A writer at the start of `buf`.
    pub fn new(buf: &'b mut [u8]) -> Self {
        Self {
            buf,
            len: 0,
            first: true,
        }
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing has been written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn push(&mut self, bytes: &[u8]) -> Result<()> {
        let end = self.len + bytes.len();
        let dst = self
            .buf
            .get_mut(self.len..end)
            .ok_or(Error::new(ErrorKind::BufferFull, self.len))?;
        dst.copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }

    /// `{`.
    ///
    /// # Errors
    /// [`ErrorKind::BufferFull`].
    pub fn begin_object(&mut self) -> Result<()> {
        self.first = true;
        self.push(b"{")
    }

    /// `}`.
    ///
    /// # Errors
    /// [`ErrorKind::BufferFull`].
    pub fn end_object(&mut self) -> Result<()> {
        // The object closed is a member of the one around it, if any.
        self.first = false;
        self.push(b"}")
    }

    /// A member's key and `:` (after a `,` unless it is the object's first).
    ///
    /// # Errors
    /// [`ErrorKind::BufferFull`].
    pub fn key(&mut self, name: &str) -> Result<()> {
        if !self.first {
            self.push(b",")?;
        }
        self.first = false;
        self.str(name)?;
        self.push(b":")
    }

    /// A member's key given as a [`JsonStr`] (its decoded text), and `:`.
    ///
    /// # Errors
    /// [`ErrorKind::BufferFull`].
    pub fn json_key(&mut self, name: JsonStr<'_>) -> Result<()> {
        if !self.first {
            self.push(b",")?;
        }
        self.first = false;
        self.json_str(name)?;
        self.push(b":")
    }

    /// A string, escaped.
    ///
    /// # Errors
    /// [`ErrorKind::BufferFull`].
    pub fn str(&mut self, text: &str) -> Result<()> {
        self.push(b"\"")?;
        text.chars().try_for_each(|c| self.char(c))?;
        self.push(b"\"")
    }

    /// A [`JsonStr`]'s decoded text, escaped.
    ///
    /// # Errors
    /// [`ErrorKind::BufferFull`].
    pub fn json_str(&mut self, text: JsonStr<'_>) -> Result<()> {
        self.push(b"\"")?;
        text.chars().try_for_each(|c| self.char(c))?;
        self.push(b"\"")
    }

    fn char(&mut self, c: char) -> Result<()> {
        let short = match c {
            '\\' => b'\\',
            '"' => b'"',
            '\u{8}' => b'b',
            '\t' => b't',
            '\n' => b'n',
            '\u{c}' => b'f',
            '\r' => b'r',
            '\0'..='\u{1f}' => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                let b = c as u8;
                return self.push(&[
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[usize::from(b >> 4)],
                    HEX[usize::from(b & 15)],
                ]);
            }
            _ => return self.push(c.encode_utf8(&mut [0; 4]).as_bytes()),
        };
        self.push(&[b'\\', short])
    }

    /// An unsigned integer.
    ///
    /// # Errors
    /// [`ErrorKind::BufferFull`].
    pub fn u64(&mut self, mut v: u64) -> Result<()> {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        loop {
            at -= 1;
            // One decimal digit.
            digits[at] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        self.push(&digits[at..])
    }

    /// A signed integer.
    ///
    /// # Errors
    /// [`ErrorKind::BufferFull`].
    pub fn i64(&mut self, v: i64) -> Result<()> {
        if v < 0 {
            self.push(b"-")?;
        }
        self.u64(v.unsigned_abs())
    }

    /// `true` or `false`.
    ///
    /// # Errors
    /// [`ErrorKind::BufferFull`].
    pub fn bool(&mut self, v: bool) -> Result<()> {
        self.push(if v { b"true" } else { b"false" })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Strings and numbers come out as `serde-json-core` writes them.
        #[test]
        fn values_are_written_as_serde_json_core_writes_them(
            text in "\\PC*|[\\x00-\\x7f]*",
            n in any::<u64>(),
            i in any::<i64>(),
            b in any::<bool>(),
        ) {
            let (mut ours, mut theirs) = ([0u8; 1024], [0u8; 1024]);
            let mut w = Writer::new(&mut ours);
            w.begin_object().unwrap();
            w.key("s").unwrap();
            w.str(&text).unwrap();
            w.key("n").unwrap();
            w.u64(n).unwrap();
            w.key("i").unwrap();
            w.i64(i).unwrap();
            w.key("o").unwrap();
            w.begin_object().unwrap();
            w.key("b").unwrap();
            w.bool(b).unwrap();
            w.end_object().unwrap();
            w.key("e").unwrap();
            w.begin_object().unwrap();
            w.end_object().unwrap();
            w.end_object().unwrap();
            let len = w.len();

            #[derive(serde::Serialize)]
            struct Inner { b: bool }
            #[derive(serde::Serialize)]
            struct Empty {}
            #[derive(serde::Serialize)]
            struct Outer<'a> { s: &'a str, n: u64, i: i64, o: Inner, e: Empty }
            let value = Outer { s: &text, n, i, o: Inner { b }, e: Empty {} };
            let n = serde_json_core::to_slice(&value, &mut theirs).unwrap();
            prop_assert_eq!(&ours[..len], &theirs[..n]);
        }
    }

    #[test]
    fn a_full_buffer_is_an_error() {
        let mut buf = [0u8; 4];
        let mut w = Writer::new(&mut buf);
        assert_eq!(w.str("abcd").unwrap_err().kind(), ErrorKind::BufferFull);
        let mut w = Writer::new(&mut buf);
        w.u64(1234).unwrap();
        assert_eq!(w.u64(5).unwrap_err().kind(), ErrorKind::BufferFull);
    }
}
