//! A compact JSON writer into a caller buffer, for the stream messages.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::json::JsonStr;
use crate::streams::bitmap::bitmap_to_hex;
use crate::streams::error::StreamError;
use crate::streams::key::Key;

/// Compact JSON written into a caller buffer; never truncates silently.
pub(super) struct Writer<'b> {
    buf: &'b mut [u8],
    pub(super) len: usize,
    first: bool,
}

impl<'b> Writer<'b> {
    pub(super) fn new(buf: &'b mut [u8]) -> Self {
        Self {
            buf,
            len: 0,
            first: true,
        }
    }

    fn rest(&mut self) -> &mut [u8] {
        &mut self.buf[self.len..]
    }

    pub(super) fn raw(&mut self, bytes: &[u8]) -> Result<(), StreamError> {
        let end = self.len + bytes.len();
        self.buf
            .get_mut(self.len..end)
            .ok_or(StreamError::BufferTooSmall)?
            .copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }

    pub(super) fn begin(&mut self) -> Result<(), StreamError> {
        self.first = true;
        self.raw(b"{")
    }

    pub(super) fn end(&mut self) -> Result<(), StreamError> {
        self.first = false;
        self.raw(b"}")
    }

    pub(super) fn key(&mut self, key: Key) -> Result<(), StreamError> {
        if !self.first {
            self.raw(b",")?;
        }
        self.first = false;
        self.raw(b"\"")?;
        self.raw(key.name().as_bytes())?;
        self.raw(b"\":")
    }

    /// `key` and the decoded value of `s`, escaped as JSON requires (a parsed value is not
    /// written as it was escaped in its input: `"a\/b"` is written `"a/b"`).
    pub(super) fn text(&mut self, key: Key, s: JsonStr<'_>) -> Result<(), StreamError> {
        self.key(key)?;
        self.raw(b"\"")?;
        let mut written = Ok(());
        s.decode_to(|piece| {
            if written.is_ok() {
                written = self.escaped(piece);
            }
        });
        written?;
        self.raw(b"\"")
    }

    /// UTF-8 text (a piece of a value), escaped as JSON string content: only ASCII bytes
    /// are escaped, so pieces may be written one after another.
    fn escaped(&mut self, s: &[u8]) -> Result<(), StreamError> {
        let mut plain = 0;
        for (i, &b) in s.iter().enumerate() {
            let escape: &[u8] = match b {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                b'\t' => b"\\t",
                0..=0x1f => b"\\u00",
                _ => continue,
            };
            self.raw(&s[plain..i])?;
            self.raw(escape)?;
            if escape == b"\\u00" {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                self.raw(&[HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xf)]])?;
            }
            plain = i + 1;
        }
        self.raw(&s[plain..])
    }

    pub(super) fn u32(&mut self, key: Key, mut v: u32) -> Result<(), StreamError> {
        self.key(key)?;
        let mut digits = [0u8; 10];
        let mut at = digits.len();
        loop {
            at -= 1;
            digits[at] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        self.raw(&digits[at..])
    }

    pub(super) fn hex(&mut self, key: Key, bitmap: &[u8]) -> Result<(), StreamError> {
        self.key(key)?;
        self.raw(b"\"")?;
        let written = bitmap_to_hex(bitmap, self.rest())?.len();
        self.len += written;
        self.raw(b"\"")
    }

    pub(super) fn base64(&mut self, key: Key, payload: &[u8]) -> Result<(), StreamError> {
        self.key(key)?;
        self.raw(b"\"")?;
        let written = STANDARD
            .encode_slice(payload, self.rest())
            .map_err(|_| StreamError::BufferTooSmall)?;
        self.len += written;
        self.raw(b"\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_strings_and_overflow() {
        let mut buf = [0u8; 64];
        let mut w = Writer::new(&mut buf);
        w.begin().unwrap();
        w.u32(Key::F, 0).unwrap();
        w.u32(Key::Z, u32::MAX).unwrap();
        w.text(Key::M, JsonStr::text("\t\u{7f}\u{1f}")).unwrap();
        w.end().unwrap();
        let len = w.len;
        assert_eq!(
            &buf[..len],
            b"{\"f\":0,\"z\":4294967295,\"m\":\"\\t\x7f\\u001f\"}"
        );
        let mut small = [0u8; 3];
        let mut w = Writer::new(&mut small);
        w.begin().unwrap();
        assert_eq!(w.u32(Key::F, 1), Err(StreamError::BufferTooSmall));
    }
}
