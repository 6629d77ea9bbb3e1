//! [`JsonStr`]: a JSON string borrowed as written, decoded on the fly.

use core::fmt::{self, Write as _};
use core::hash::{Hash, Hasher};

use serde::de::{self, Visitor};

use super::error::ErrorKind;
use crate::crypto::{Base64Mode, CryptoError, decode_base64};

/// Name of the newtype struct through which [`super::Deserializer`] hands out a string's raw
/// text (between the quotes, escapes and all).
pub(super) const JSON_STR_TOKEN: &str = "$ota_core::json::JsonStr";

/// A JSON string value borrowed from the input exactly as written (without its quotes):
/// escapes are kept and decoded only when the value is read, so no escape makes a value
/// unreadable and nothing is allocated or copied to read one.
///
/// Every way of reading it sees the decoded text: [`JsonStr::chars`], [`JsonStr::bytes`],
/// `==` with a `&str` or another `JsonStr` (`"job\u0031" == "job1"`),
/// [`JsonStr::starts_with`], [`fmt::Display`], [`JsonStr::len`]; to get a `&str`,
/// [`JsonStr::decode`] borrows it when the value has no escapes and decodes it into a caller
/// buffer when it has, [`JsonStr::to_heapless`] copies it, and [`JsonStr::decode_base64`]
/// decodes base64 text straight into the output buffer. [`JsonStr::as_plain`] is the
/// zero-cost view of a value without escapes.
///
/// Deserializes with this crate's [`super::from_slice`] always, and with `serde_json` when
/// the `alloc` feature is on (through its `RawValue`). Other deserializers (and serde's
/// buffered content, as used by `#[serde(flatten)]` and untagged enums) can hand over only
/// values that are borrowed and have no `\`. Serializes as the decoded string, escaped as the
/// serializer escapes it. A value to write is made with [`JsonStr::text`] (any text) or
/// [`JsonStr::from_plain`] (text without `\`).
#[derive(Clone, Copy)]
pub struct JsonStr<'a> {
    /// Unless `plain`, text in which every `\` starts a valid JSON escape: as parsed, valid
    /// JSON string content; as made by [`JsonStr::from_plain`], text without `\`.
    raw: &'a str,
    /// `raw` is the value itself, `\` and all (made by [`JsonStr::text`]).
    plain: bool,
}

/// A decoded string did not fit the buffer it was to be copied into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("decoded JSON string does not fit the buffer")]
pub struct DoesNotFit;

impl<'a> JsonStr<'a> {
    /// The empty string.
    pub const EMPTY: JsonStr<'static> = JsonStr {
        raw: "",
        plain: false,
    };

    /// A value given as JSON string content (what appears between the quotes).
    ///
    /// # Errors
    /// [`ErrorKind::String`] for an unescaped `"` or control character or a bad escape.
    pub fn from_raw(raw: &'a str) -> Result<Self, ErrorKind> {
        let mut rest = raw;
        while !rest.is_empty() {
            match rest.find(['\\', '"']).unwrap_or(rest.len()) {
                0 if rest.starts_with('"') => return Err(ErrorKind::String),
                0 => rest = after(rest, escape(rest)?.1),
                n => {
                    let (text, after_text) = split(rest, n);
                    if text.bytes().any(|b| b < 0x20) {
                        return Err(ErrorKind::String);
                    }
                    rest = after_text;
                }
            }
        }
        Ok(Self { raw, plain: false })
    }

    /// The value `text` (to build a value to write, e.g. a document): `None` if it has a `\`,
    /// which would read as an escape. Serializing escapes it as the serializer escapes a
    /// `&str`.
    pub fn from_plain(text: &'a str) -> Option<Self> {
        (!text.as_bytes().contains(&b'\\')).then_some(Self {
            raw: text,
            plain: false,
        })
    }

    /// The value `text` as it is, `\` and `"` included (to build a value to write):
    /// serializing escapes it as the serializer escapes a `&str`.
    pub const fn text(text: &'a str) -> Self {
        Self {
            raw: text,
            plain: true,
        }
    }

    /// Raw content already checked by a JSON parser (this crate's or `serde_json`).
    pub(crate) const fn checked(raw: &'a str) -> Self {
        Self { raw, plain: false }
    }

    /// The text held: for a parsed value, what was written between the quotes, escapes and
    /// all; for one made with [`JsonStr::from_plain`] or [`JsonStr::text`], the value itself.
    pub const fn raw(&self) -> &'a str {
        self.raw
    }

    /// Whether the value is written with escapes (its text has a `\`).
    pub fn is_escaped(&self) -> bool {
        !self.plain && self.raw.as_bytes().contains(&b'\\')
    }

    /// The value itself when it is written without escapes (then its text is the value).
    pub fn as_plain(&self) -> Option<&'a str> {
        (!self.is_escaped()).then_some(self.raw)
    }

    /// The decoded characters.
    pub fn chars(&self) -> Chars<'a> {
        Chars {
            pieces: self.pieces(),
            text: "".chars(),
        }
    }

    /// The bytes of the decoded value (UTF-8).
    pub fn bytes(&self) -> Bytes<'a> {
        Bytes {
            pieces: self.pieces(),
            text: &[],
            char_buf: [0; 4],
            char_len: 0,
            char_pos: 0,
        }
    }

    /// Length of the decoded value in bytes.
    pub fn len(&self) -> usize {
        self.pieces().map(|p| p.as_bytes(&mut [0; 4]).len()).sum()
    }

    /// Whether the value is the empty string.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// Whether the decoded value starts with `prefix`.
    pub fn starts_with(&self, prefix: &str) -> bool {
        let mut want = prefix.as_bytes();
        for piece in self.pieces() {
            if want.is_empty() {
                break;
            }
            let mut buf = [0; 4];
            let have = piece.as_bytes(&mut buf);
            let n = have.len().min(want.len());
            if have[..n] != want[..n] {
                return false;
            }
            want = &want[n..];
        }
        want.is_empty()
    }

    /// The decoded value as a `&str`: borrowed when written without escapes, else decoded
    /// into `buf`.
    ///
    /// # Errors
    /// [`DoesNotFit`] when it has escapes and its decoded text is longer than `buf`.
    pub fn decode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b str, DoesNotFit>
    where
        'a: 'b,
    {
        if let Some(plain) = self.as_plain() {
            return Ok(plain);
        }
        let len = self.copy_to(buf)?;
        // Whole characters were copied.
        core::str::from_utf8(&buf[..len]).map_err(|_| DoesNotFit)
    }

    /// Copy the decoded value into the start of `buf`; returns its length.
    ///
    /// # Errors
    /// [`DoesNotFit`] when it is longer than `buf` (`buf` is then partly written).
    pub fn copy_to(&self, buf: &mut [u8]) -> Result<usize, DoesNotFit> {
        let mut len = 0;
        for piece in self.pieces() {
            let mut char_buf = [0; 4];
            let bytes = piece.as_bytes(&mut char_buf);
            buf.get_mut(len..len + bytes.len())
                .ok_or(DoesNotFit)?
                .copy_from_slice(bytes);
            len += bytes.len();
        }
        Ok(len)
    }

    /// Feed the decoded value to `sink` in pieces (runs of text without escapes, and the
    /// character of each escape); nothing is buffered.
    pub fn decode_to(&self, mut sink: impl FnMut(&[u8])) {
        for piece in self.pieces() {
            sink(piece.as_bytes(&mut [0; 4]));
        }
    }

    /// The decoded value in a `heapless::String` of capacity `N`.
    ///
    /// # Errors
    /// [`DoesNotFit`] when it is longer than `N` bytes.
    pub fn to_heapless<const N: usize>(&self) -> Result<heapless::String<N>, DoesNotFit> {
        let mut out = heapless::String::new();
        for piece in self.pieces() {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Char(c) => out.push(c),
            }
            .map_err(|_| DoesNotFit)?;
        }
        Ok(out)
    }

    /// Decode the value as base64 text (per `mode`) into `out`, as
    /// [`crate::crypto::decode_base64`] decodes a `&str`, without copying the text: a value
    /// without escapes is decoded in place, one with escapes (`\/` is common: several JSON
    /// encoders escape every `/`) through a 64-byte window.
    ///
    /// # Errors
    /// As [`crate::crypto::decode_base64`]. With escapes, the offset of an invalid character
    /// counts decoded bytes without the line breaks `mode` skips and with each run of spaces
    /// counted as one.
    pub fn decode_base64<'b>(
        &self,
        out: &'b mut [u8],
        mode: Base64Mode,
    ) -> Result<&'b [u8], CryptoError> {
        let len = match self.as_plain() {
            Some(text) => base64_len(text, out, mode)?,
            None => self.decode_base64_escaped(out, mode)?,
        };
        Ok(out.get(..len).unwrap_or_default())
    }

    /// [`JsonStr::decode_base64`] of escaped text. The decoder is run on a window at a time:
    /// whole quanta of plain symbols, after which its state is that of a fresh decoder (but
    /// for having seen a symbol), then the rest as the last window. Kept out of line: its
    /// window must not be in the caller's frame (signature checks call this right before the
    /// deepest part of a verification).
    #[inline(never)]
    fn decode_base64_escaped(
        &self,
        out: &mut [u8],
        mode: Base64Mode,
    ) -> Result<usize, CryptoError> {
        const WINDOW: usize = 64;
        // Line breaks are skipped wherever they appear in `AwsLenient` text (see its docs).
        let skipped = |b: u8| mode == Base64Mode::AwsLenient && matches!(b, b'\n' | b'\r');
        let symbol = |b: u8| b.is_ascii_alphanumeric() || b == b'+' || b == b'/';
        let at = |base: usize| move |e| shifted(e, base);
        // A run of spaces reads as one space in every mode (an invalid character, skipped, or
        // only whitespace may follow), so runs are shortened to one.
        let mut previous = 0u8;
        let mut input = self
            .bytes()
            .filter(|&b| !skipped(b))
            .filter(move |&b| {
                let repeat = b == b' ' && previous == b' ';
                previous = b;
                !repeat
            })
            .peekable();
        // One spare byte, for the probe below.
        let (mut window, mut n) = ([0u8; WINDOW + 1], 0);
        let (mut written, mut consumed) = (0, 0);
        loop {
            // Where this window starts: what is left of it is read again from here.
            let start = input.clone();
            while n < WINDOW {
                let Some(b) = input.next() else { break };
                // A byte that is not ASCII is an invalid character wherever it is, as `*` is.
                window[n] = if b.is_ascii() { b } else { b'*' };
                n += 1;
            }
            let rest = out.get_mut(written..).unwrap_or_default();
            if input.peek().is_none() {
                return match base64_len(ascii(&window[..n]), rest, mode) {
                    Ok(part) => Ok(written + part),
                    // Padding or spaces after symbols of earlier windows.
                    Err(CryptoError::Base64Empty) if consumed > 0 => Ok(written),
                    Err(e) => Err(at(consumed)(e)),
                };
            }
            let plain = window[..n].iter().take_while(|&&b| symbol(b)).count();
            let whole = plain - plain % 4;
            if whole == 0 {
                return Err(at(consumed)(refused_window(&mut window, n, rest, mode)));
            }
            written += base64_len(ascii(&window[..whole]), rest, mode).map_err(at(consumed))?;
            input = start;
            input.nth(whole - 1);
            n = 0;
            consumed += whole;
        }
    }

    fn pieces(&self) -> Pieces<'a> {
        Pieces {
            rest: self.raw,
            plain: self.plain,
        }
    }
}

/// Any text, as [`JsonStr::text`] holds it (for fuzzing the types that hold one).
/// `e` with an invalid character's offset moved on by `base`.
#[inline(always)]
fn shifted(e: CryptoError, base: usize) -> CryptoError {
    match e {
        CryptoError::Base64InvalidCharacter { offset } => CryptoError::Base64InvalidCharacter {
            offset: base + offset,
        },
        e => e,
    }
}

/// Why a full window of escaped base64 text whose first quantum is not plain symbols is
/// refused: padding, a space or an invalid byte within it is text the decoder refuses within
/// the window (no valid text goes on that long after one of them). The decoder says where,
/// given an invalid byte past the window (`window[n]`, the spare byte) to stop it there.
// Inlined: out of line it costs 20 to 60 bytes of firmware flash (measured on Cortex-M3).
#[inline(always)]
fn refused_window(window: &mut [u8], n: usize, out: &mut [u8], mode: Base64Mode) -> CryptoError {
    window[n] = b'*';
    base64_len(ascii(&window[..=n]), out, mode)
        .err()
        .unwrap_or(CryptoError::Base64InvalidCharacter { offset: n })
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for JsonStr<'a> {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        <&'a str>::arbitrary(u).map(JsonStr::text)
    }

    fn size_hint(depth: usize) -> (usize, Option<usize>) {
        <&'a str as arbitrary::Arbitrary<'a>>::size_hint(depth)
    }
}

impl Default for JsonStr<'_> {
    fn default() -> Self {
        JsonStr::EMPTY
    }
}

/// `text` split at `at`, which is a character boundary (the start of an escape, or after one);
/// never panics.
fn split(text: &str, at: usize) -> (&str, &str) {
    text.split_at_checked(at).unwrap_or((text, ""))
}

/// `text` after its first `len` bytes (see [`split`]).
fn after(text: &str, len: usize) -> &str {
    split(text, len).1
}

/// [`decode_base64`], one copy of it for every caller here (it is inlined into this).
#[inline(never)]
fn base64_len(text: &str, out: &mut [u8], mode: Base64Mode) -> Result<usize, CryptoError> {
    decode_base64(text, out, mode).map(<[u8]>::len)
}

/// Bytes known to be ASCII as a `&str`.
fn ascii(bytes: &[u8]) -> &str {
    core::str::from_utf8(bytes).unwrap_or_default()
}

/// One step of decoding: a run of text without escapes, or one escaped character.
enum Piece<'a> {
    Text(&'a str),
    Char(char),
}

impl Piece<'_> {
    fn as_bytes<'s>(&'s self, buf: &'s mut [u8; 4]) -> &'s [u8] {
        match self {
            Piece::Text(text) => text.as_bytes(),
            Piece::Char(c) => c.encode_utf8(buf).as_bytes(),
        }
    }
}

#[derive(Clone)]
struct Pieces<'a> {
    rest: &'a str,
    /// `rest` is text without escapes (see [`JsonStr::text`]).
    plain: bool,
}

impl<'a> Iterator for Pieces<'a> {
    type Item = Piece<'a>;

    fn next(&mut self) -> Option<Piece<'a>> {
        if self.rest.is_empty() {
            return None;
        }
        if self.plain {
            return Some(Piece::Text(core::mem::take(&mut self.rest)));
        }
        match self.rest.find('\\') {
            Some(0) => {
                // Checked when the value was made; a bad escape reads as U+FFFD.
                let (c, len) = escape(self.rest).unwrap_or((char::REPLACEMENT_CHARACTER, 1));
                self.rest = after(self.rest, len);
                Some(Piece::Char(c))
            }
            found => {
                let (text, rest) = split(self.rest, found.unwrap_or(self.rest.len()));
                self.rest = rest;
                Some(Piece::Text(text))
            }
        }
    }
}

/// The escape at the start of `text` (which starts with `\`): its character and length.
pub(super) fn escape(text: &str) -> Result<(char, usize), ErrorKind> {
    let bytes = text.as_bytes();
    let simple = match bytes.get(1) {
        Some(b'"') => '"',
        Some(b'\\') => '\\',
        Some(b'/') => '/',
        Some(b'b') => '\u{8}',
        Some(b'f') => '\u{c}',
        Some(b'n') => '\n',
        Some(b'r') => '\r',
        Some(b't') => '\t',
        Some(b'u') => {
            let high = hex4(bytes.get(2..6))?;
            if (0xdc00..0xe000).contains(&high) {
                return Err(ErrorKind::String);
            }
            if !(0xd800..0xdc00).contains(&high) {
                let c = char::from_u32(u32::from(high)).ok_or(ErrorKind::String)?;
                return Ok((c, 6));
            }
            if bytes.get(6..8) != Some(b"\\u") {
                return Err(ErrorKind::String);
            }
            let low = hex4(bytes.get(8..12))?;
            if !(0xdc00..0xe000).contains(&low) {
                return Err(ErrorKind::String);
            }
            let code = 0x10000 + ((u32::from(high) - 0xd800) << 10) + (u32::from(low) - 0xdc00);
            return Ok((char::from_u32(code).ok_or(ErrorKind::String)?, 12));
        }
        _ => return Err(ErrorKind::String),
    };
    Ok((simple, 2))
}

fn hex4(digits: Option<&[u8]>) -> Result<u16, ErrorKind> {
    let digits = digits.ok_or(ErrorKind::String)?;
    digits.iter().try_fold(0u16, |acc, &d| {
        let nibble = (d as char).to_digit(16).ok_or(ErrorKind::String)?;
        Ok(acc << 4 | nibble as u16)
    })
}

/// The decoded characters of a [`JsonStr`].
#[derive(Clone)]
pub struct Chars<'a> {
    pieces: Pieces<'a>,
    text: core::str::Chars<'a>,
}

impl Iterator for Chars<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        loop {
            if let Some(c) = self.text.next() {
                return Some(c);
            }
            match self.pieces.next()? {
                Piece::Text(text) => self.text = text.chars(),
                Piece::Char(c) => return Some(c),
            }
        }
    }
}

/// The decoded bytes (UTF-8) of a [`JsonStr`].
#[derive(Clone)]
pub struct Bytes<'a> {
    pieces: Pieces<'a>,
    text: &'a [u8],
    char_buf: [u8; 4],
    char_len: u8,
    char_pos: u8,
}

impl Iterator for Bytes<'_> {
    type Item = u8;

    fn next(&mut self) -> Option<u8> {
        loop {
            if let Some((&b, rest)) = self.text.split_first() {
                self.text = rest;
                return Some(b);
            }
            if self.char_pos < self.char_len {
                self.char_pos += 1;
                return Some(self.char_buf[usize::from(self.char_pos - 1)]);
            }
            match self.pieces.next()? {
                Piece::Text(text) => self.text = text.as_bytes(),
                Piece::Char(c) => {
                    // At most 4 bytes.
                    self.char_len = c.encode_utf8(&mut self.char_buf).len() as u8;
                    self.char_pos = 0;
                }
            }
        }
    }
}

impl PartialEq for JsonStr<'_> {
    fn eq(&self, other: &Self) -> bool {
        (self.plain == other.plain && self.raw == other.raw) || self.bytes().eq(other.bytes())
    }
}

impl Eq for JsonStr<'_> {}

impl PartialEq<str> for JsonStr<'_> {
    fn eq(&self, other: &str) -> bool {
        let mut want = other.as_bytes();
        for piece in self.pieces() {
            let mut buf = [0; 4];
            let have = piece.as_bytes(&mut buf);
            match want.strip_prefix(have) {
                Some(rest) => want = rest,
                None => return false,
            }
        }
        want.is_empty()
    }
}

impl PartialEq<&str> for JsonStr<'_> {
    fn eq(&self, other: &&str) -> bool {
        *self == **other
    }
}

impl PartialEq<JsonStr<'_>> for str {
    fn eq(&self, other: &JsonStr<'_>) -> bool {
        *other == *self
    }
}

impl PartialEq<JsonStr<'_>> for &str {
    fn eq(&self, other: &JsonStr<'_>) -> bool {
        *other == **self
    }
}

/// Hashes the decoded value, as [`Eq`] compares it.
impl Hash for JsonStr<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for b in self.bytes() {
            state.write_u8(b);
        }
        state.write_u8(0xff);
    }
}

/// The decoded value.
impl fmt::Display for JsonStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for piece in self.pieces() {
            match piece {
                Piece::Text(text) => f.write_str(text)?,
                Piece::Char(c) => f.write_char(c)?,
            }
        }
        Ok(())
    }
}

/// The value as held, in quotes: for a parsed value, as written in the JSON input
/// (`"a\/b"`). Not escaped again, so that no Unicode table is linked for it into firmware.
impl fmt::Debug for JsonStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('"')?;
        f.write_str(self.raw)?;
        f.write_char('"')
    }
}

impl serde::Serialize for JsonStr<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.as_plain() {
            Some(text) => serializer.serialize_str(text),
            None => serializer.collect_str(self),
        }
    }
}

impl<'de: 'a, 'a> de::Deserialize<'de> for JsonStr<'a> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_newtype_struct(JSON_STR_TOKEN, JsonStrVisitor)
    }
}

struct JsonStrVisitor;

impl<'de> Visitor<'de> for JsonStrVisitor {
    type Value = JsonStr<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    /// This crate's deserializer: the raw content, escapes and all, checked as it was
    /// scanned. (Any other deserializer's bytes are taken as JSON string content as well: a
    /// bad escape in them would read as U+FFFD.)
    fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<Self::Value, E> {
        let raw = core::str::from_utf8(v).map_err(|_| E::custom("invalid UTF-8"))?;
        Ok(JsonStr::checked(raw))
    }

    /// Any other deserializer: a decoded value, which must have no `\\`.
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        JsonStr::from_plain(v)
            .ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &"a string without `\\`"))
    }

    /// `serde_json`: its raw value, a string with its quotes.
    #[cfg(feature = "alloc")]
    fn visit_newtype_struct<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        let raw = <&'de serde_json::value::RawValue as de::Deserialize>::deserialize(d)?.get();
        let content = raw
            .strip_prefix('"')
            .and_then(|r| r.strip_suffix('"'))
            .ok_or_else(|| {
                <D::Error as de::Error>::invalid_type(de::Unexpected::Other("non-string"), &self)
            })?;
        // `serde_json` checked it.
        Ok(JsonStr::checked(content))
    }

    #[cfg(not(feature = "alloc"))]
    fn visit_newtype_struct<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::string::{String, ToString};
    use std::vec::Vec;

    fn parsed(json: &str) -> JsonStr<'_> {
        crate::json::from_slice(json.as_bytes()).unwrap()
    }

    #[test]
    fn text_holds_backslashes_and_quotes_as_themselves() {
        let text = r#"a\"b\u0041"#;
        let s = JsonStr::text(text);
        assert!(!s.is_escaped());
        assert_eq!(
            (s.as_plain(), s.len(), s.raw()),
            (Some(text), text.len(), text)
        );
        assert_eq!(s, text);
        assert!(s.chars().eq(text.chars()));
        // The same raw text parsed is another value (`a"bA`).
        let other = JsonStr::from_raw(text).unwrap();
        assert_ne!(s, other);
        assert_eq!(other, "a\"bA");
        let mut buf = [0u8; 32];
        let n = crate::json::to_slice(&s, &mut buf).unwrap();
        assert_eq!(&buf[..n], br#""a\\\"b\\u0041""#);
        assert_eq!(parsed(core::str::from_utf8(&buf[..n]).unwrap()), s);
    }

    /// `text` written as JSON string content with every character escaped that `escape`
    /// picks, as `\/` for `/` and `\uXXXX` (a surrogate pair beyond the BMP) for others.
    fn escaped(text: &str, escape: impl Fn(usize, char) -> bool) -> String {
        let mut out = String::new();
        for (i, c) in text.chars().enumerate() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if (c as u32) < 0x20 => out.push_str(&std::format!("\\u{:04x}", c as u32)),
                '/' if escape(i, c) => out.push_str("\\/"),
                c if escape(i, c) => {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        out.push_str(&std::format!("\\u{unit:04X}"));
                    }
                }
                c => out.push(c),
            }
        }
        out
    }

    #[test]
    fn reads_decoded_whatever_the_escapes() {
        let s = parsed(r#""a\"b\\c\/d\u00e9\ud83d\ude00\n\t\b\f\r""#);
        let text = "a\"b\\c/dé😀\n\t\u{8}\u{c}\r";
        assert!(s.is_escaped());
        assert_eq!(s, text);
        assert_eq!(s.to_string(), text);
        assert_eq!(s.chars().collect::<String>(), text);
        assert_eq!(s.bytes().collect::<Vec<u8>>(), text.as_bytes());
        assert_eq!(s.len(), text.len());
        assert!(s.starts_with("a\"b\\c/d"));
        assert!(s.starts_with(""));
        assert!(!s.starts_with("a\"b\\c/d!"));
        assert!(!s.starts_with(&std::format!("{text}x")));
        assert_eq!(
            std::format!("{s:?}"),
            r#""a\"b\\c\/d\u00e9\ud83d\ude00\n\t\b\f\r""#
        );
        let mut buf = [0u8; 32];
        assert_eq!(s.decode(&mut buf), Ok(text));
        assert_eq!(s.decode(&mut [0u8; 4]), Err(DoesNotFit));
        assert_eq!(s.to_heapless::<32>().unwrap().as_str(), text);
        assert!(s.to_heapless::<8>().is_err());
        let plain = parsed(r#""job1""#);
        assert_eq!(plain.as_plain(), Some("job1"));
        assert_eq!(plain, parsed(r#""job\u0031""#));
        assert_ne!(plain, parsed(r#""job\u0032""#));
        assert_ne!(plain, "job");
        assert!(JsonStr::EMPTY.is_empty());
        assert_eq!(JsonStr::EMPTY, "");
    }

    #[test]
    fn equal_values_hash_equal() {
        use core::hash::BuildHasher;
        let state = std::collections::hash_map::RandomState::new();
        let (a, b) = (parsed(r#""caf\u00e9\/x""#), parsed(r#""café/x""#));
        assert_eq!(a, b);
        assert_eq!(state.hash_one(a), state.hash_one(b));
    }

    #[test]
    fn raw_content_is_checked() {
        for bad in [
            "\"",
            "a\\",
            "\\x",
            "\\u12",
            "\\ud800",
            "\\udc00",
            "\\ud800\\u0041",
            "\u{1}",
        ] {
            assert_eq!(JsonStr::from_raw(bad), Err(ErrorKind::String), "{bad:?}");
        }
        assert_eq!(JsonStr::from_raw("a\\/b").unwrap(), "a/b");
        assert_eq!(JsonStr::from_plain("C:\\"), None);
        let quoted = JsonStr::from_plain("say \"hi\"\n").unwrap();
        assert_eq!(quoted, "say \"hi\"\n");
        let mut buf = [0u8; 32];
        let n = crate::json::to_slice(&quoted, &mut buf).unwrap();
        assert_eq!(&buf[..n], br#""say \"hi\"\n""#);
    }

    #[test]
    fn serializes_decoded_with_both_serializers() {
        let s = parsed(r#""a\/b\u00e9\"""#);
        let mut buf = [0u8; 32];
        let n = crate::json::to_slice(&s, &mut buf).unwrap();
        assert_eq!(&buf[..n], "\"a/bé\\\"\"".as_bytes());
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"a/bé\\\"\"");
    }

    #[cfg(feature = "alloc")]
    #[test]
    fn serde_json_hands_over_the_raw_text() {
        let s: JsonStr<'_> = serde_json::from_str(r#""a\/b""#).unwrap();
        assert_eq!((s.raw(), s), ("a\\/b", parsed(r#""a/b""#)));
        let map: std::collections::BTreeMap<JsonStr<'_>, JsonStr<'_>> =
            std::collections::BTreeMap::new();
        drop(map);
        assert!(serde_json::from_str::<JsonStr<'_>>("1").is_err());
    }

    #[test]
    fn non_strings_are_refused() {
        for bad in ["1", "null", "[]", "{}"] {
            assert!(crate::json::from_slice::<JsonStr<'_>>(bad.as_bytes()).is_err());
        }
    }

    /// What `decode_base64` gives for `text` when it is written plainly: the reference.
    fn reference(text: &str, mode: Base64Mode, out_len: usize) -> Result<Vec<u8>, CryptoError> {
        let mut out = std::vec![0u8; out_len];
        decode_base64(text, &mut out, mode).map(<[u8]>::to_vec)
    }

    fn kind(
        r: &Result<Vec<u8>, CryptoError>,
    ) -> Result<Vec<u8>, core::mem::Discriminant<CryptoError>> {
        r.clone().map_err(|e| core::mem::discriminant(&e))
    }

    #[test]
    fn escaped_base64_decodes_as_plain_base64() {
        let b64 = "MEUCIQD/xsGl7l+cF1o0JEqGZ4sKDyT9I+c/8o/2TzbqNJiRSgIgHkq1Zg+Ew5UL/9c1hdwmV3I+6EMtTpJIXQCgc6/Fcks=";
        for mode in [Base64Mode::Strict, Base64Mode::AwsLenient] {
            let raw = escaped(b64, |_, c| c == '/' || c == 'M');
            let s = JsonStr::from_raw(&raw).unwrap();
            let mut out = [0u8; 80];
            let decoded = s.decode_base64(&mut out, mode).map(<[u8]>::to_vec);
            assert_eq!(decoded, reference(b64, mode, 80));
            assert_eq!(decoded.unwrap().len(), 71);
            // Too small an output: the same error either way.
            let mut small = [0u8; 70];
            assert_eq!(
                s.decode_base64(&mut small, mode).map(<[u8]>::to_vec),
                reference(b64, mode, 70)
            );
        }
    }

    proptest! {
        /// Base64 text (symbols, then padding and trailing whitespace, line breaks anywhere
        /// and sometimes a stray byte) decodes the same written plainly and with escapes, in
        /// both modes and whatever the output size.
        #[test]
        fn escaped_base64_agrees_with_plain(
            symbols in "[A-Za-z0-9+/]{0,300}",
            padding in "={0,3}",
            tail in "[ \r\n]{0,4}",
            breaks in proptest::collection::vec((0usize..400, "[\r\n]{1,2}"), 0..4),
            stray in proptest::option::of((0usize..400, "[-*é\t=A ]")),
            escape_every in 1usize..5,
            out_len in 0usize..260,
        ) {
            let mut text = std::format!("{symbols}{padding}{tail}");
            for (at, s) in breaks.iter().chain(stray.iter()) {
                let at = (*at).min(text.len());
                if text.is_char_boundary(at) {
                    text.insert_str(at, s);
                }
            }
            let raw = escaped(&text, |i, _| i % escape_every == 0);
            let s = JsonStr::from_raw(&raw).unwrap();
            prop_assert_eq!(&s, text.as_str());
            for mode in [Base64Mode::Strict, Base64Mode::AwsLenient] {
                let mut out = std::vec![0u8; out_len];
                let ours = s.decode_base64(&mut out, mode).map(<[u8]>::to_vec);
                prop_assert_eq!(kind(&ours), kind(&reference(&text, mode, out_len)), "{:?} {:?}", mode, text);
            }
        }
    }
}
