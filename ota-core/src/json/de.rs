//! The strict JSON deserializer: one value over a borrowed slice. Strings are borrowed as
//! written (`JsonStr` keeps escapes for the caller to decode); a consumer that needs an
//! escaped string whole gets it decoded into a bounded stack buffer. Does not allocate and
//! does not accept trailing data, comments or anything else outside RFC 8259.

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};

use super::error::{Error, ErrorKind};
use super::str::{JSON_STR_TOKEN, JsonStr};
use super::{MAX_DEPTH, MAX_UNESCAPED_LEN};

/// Longest enum variant name an escaped string is decoded for (longer ones match no variant).
const MAX_VARIANT_LEN: usize = 64;

type Result<T> = core::result::Result<T, Error>;

/// Deserialize a `T` from exactly one JSON value (surrounding whitespace allowed).
///
/// # Errors
/// Any [`ErrorKind`]; the offset points at the offending byte.
pub fn from_slice<'de, T: de::Deserialize<'de>>(input: &'de [u8]) -> Result<T> {
    let mut de = Deserializer::new(input);
    let value = T::deserialize(&mut de).map_err(|e| e.at(de.pos))?;
    de.end()?;
    Ok(value)
}

/// A strict JSON deserializer over a borrowed slice. See the [module docs](super).
pub struct Deserializer<'de> {
    input: &'de [u8],
    pos: usize,
    depth: usize,
}

/// A scanned number: its text and whether it has a sign, a fraction or an exponent.
pub(super) struct Number<'de> {
    pub(super) text: &'de str,
    pub(super) negative: bool,
    pub(super) integer: bool,
}

/// A scanned string: the raw bytes between the quotes and whether they contain escapes.
pub(super) struct RawStr<'de> {
    pub(super) raw: &'de str,
    escaped: bool,
}

impl<'de> Deserializer<'de> {
    /// A deserializer positioned at the start of `input`.
    pub fn new(input: &'de [u8]) -> Self {
        Self {
            input,
            pos: 0,
            depth: 0,
        }
    }

    /// Current byte offset.
    pub fn offset(&self) -> usize {
        self.pos
    }

    /// Check that only whitespace remains.
    ///
    /// # Errors
    /// [`ErrorKind::TrailingCharacters`].
    pub fn end(&mut self) -> Result<()> {
        match self.peek_non_ws() {
            None => Ok(()),
            Some(_) => Err(self.error(ErrorKind::TrailingCharacters)),
        }
    }

    fn error(&self, kind: ErrorKind) -> Error {
        Error::new(kind, self.pos)
    }

    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    pub(super) fn peek_non_ws(&mut self) -> Option<u8> {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.pos += 1;
        }
        self.peek()
    }

    pub(super) fn peek_value(&mut self) -> Result<u8> {
        self.peek_non_ws().ok_or_else(|| self.error(ErrorKind::Eof))
    }

    pub(super) fn expect(&mut self, byte: u8) -> Result<()> {
        self.peek_non_ws();
        self.literal(&[byte])
    }

    pub(super) fn literal(&mut self, word: &[u8]) -> Result<()> {
        let end = self.pos + word.len();
        match self.input.get(self.pos..end) {
            Some(found) if found == word => {
                self.pos = end;
                Ok(())
            }
            Some(_) => Err(self.error(ErrorKind::Syntax)),
            None => Err(self.error(ErrorKind::Eof)),
        }
    }

    /// Past the `[` or `{` (`bracket`) a value starts with, one level deeper.
    pub(super) fn open(&mut self, bracket: u8) -> Result<()> {
        self.check_type(&[bracket])?;
        self.pos += 1;
        self.enter()
    }

    fn enter(&mut self) -> Result<()> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error(ErrorKind::TooDeep));
        }
        self.depth += 1;
        Ok(())
    }

    pub(super) fn leave(&mut self) {
        self.depth -= 1;
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    /// Scan a number per RFC 8259 §6 without interpreting it.
    pub(super) fn scan_number(&mut self) -> Result<Number<'de>> {
        let start = self.pos;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            Some(_) => return Err(self.error(ErrorKind::Number)),
            None => return Err(self.error(ErrorKind::Eof)),
        }
        let mut integer = true;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            integer = false;
            if self.digits() == 0 {
                return Err(self.error(ErrorKind::Number));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            integer = false;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.error(ErrorKind::Number));
            }
        }
        if let Some(b'0'..=b'9') = self.peek() {
            // A leading zero followed by more digits.
            return Err(self.error(ErrorKind::Number));
        }
        // Only ASCII digits, signs, '.', 'e' were consumed.
        let text = core::str::from_utf8(&self.input[start..self.pos])
            .map_err(|_| Error::new(ErrorKind::Number, start))?;
        Ok(Number {
            text,
            negative,
            integer,
        })
    }

    /// Scan a string, validating escapes, control characters and UTF-8.
    pub(super) fn scan_str(&mut self) -> Result<RawStr<'de>> {
        self.expect(b'"')?;
        let start = self.pos;
        let mut escaped = false;
        loop {
            // Jump over plain bytes in one pass; stop at a quote, an escape or a control byte.
            let rest = &self.input[self.pos..];
            self.pos += rest
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .unwrap_or(rest.len());
            match self.peek() {
                None => return Err(self.error(ErrorKind::Eof)),
                Some(b'"') => break,
                Some(0..=0x1f) => return Err(self.error(ErrorKind::String)),
                Some(b'\\') => {
                    escaped = true;
                    self.pos += 1;
                    match self.peek() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                            self.pos += 1
                        }
                        Some(b'u') => {
                            self.pos += 1;
                            self.surrogate_checked_escape()?;
                        }
                        Some(_) => return Err(self.error(ErrorKind::String)),
                        None => return Err(self.error(ErrorKind::Eof)),
                    }
                }
                Some(_) => self.pos += 1,
            }
        }
        let raw = core::str::from_utf8(&self.input[start..self.pos])
            .map_err(|e| Error::new(ErrorKind::String, start + e.valid_up_to()))?;
        self.pos += 1;
        Ok(RawStr { raw, escaped })
    }

    /// After `\u`: four hex digits; a high surrogate must be followed by `\u` and a low one.
    fn surrogate_checked_escape(&mut self) -> Result<()> {
        let unit = self.hex4()?;
        if (0xdc00..0xe000).contains(&unit) {
            return Err(self.error(ErrorKind::String));
        }
        if (0xd800..0xdc00).contains(&unit) {
            self.literal(b"\\u")
                .map_err(|_| self.error(ErrorKind::String))?;
            let low = self.hex4()?;
            if !(0xdc00..0xe000).contains(&low) {
                return Err(self.error(ErrorKind::String));
            }
        }
        Ok(())
    }

    fn hex4(&mut self) -> Result<u16> {
        let end = self.pos + 4;
        let digits = self
            .input
            .get(self.pos..end)
            .ok_or_else(|| self.error(ErrorKind::Eof))?;
        let mut value = 0u16;
        for &d in digits {
            let nibble = (d as char)
                .to_digit(16)
                .ok_or_else(|| self.error(ErrorKind::String))?;
            value = value << 4 | nibble as u16;
        }
        self.pos = end;
        Ok(value)
    }

    /// Skip one value of any type, validating it.
    pub(super) fn skip_value(&mut self) -> Result<()> {
        match self.peek_value()? {
            b'{' => {
                self.pos += 1;
                self.enter()?;
                let mut first = true;
                while self.next_member(&mut first)? {
                    self.scan_str()?;
                    self.expect(b':')?;
                    self.skip_value()?;
                }
                self.leave();
                Ok(())
            }
            b'[' => {
                self.pos += 1;
                self.enter()?;
                let mut first = true;
                while self.next_element(&mut first)? {
                    self.skip_value()?;
                }
                self.leave();
                Ok(())
            }
            b'"' => self.scan_str().map(drop),
            b'n' => self.literal(b"null"),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            _ => self.scan_number().map(drop),
        }
    }

    /// Skip one value of any type, validating it, and return its text.
    pub(super) fn raw_value(&mut self) -> Result<&'de str> {
        let start = self.peek_value().map(|_| self.pos)?;
        self.skip_value()?;
        core::str::from_utf8(&self.input[start..self.pos])
            .map_err(|_| Error::new(ErrorKind::String, start))
    }

    /// In an object after `{`: consume `,` or `}`; true if a member follows.
    pub(super) fn next_member(&mut self, first: &mut bool) -> Result<bool> {
        match self.peek_value()? {
            b'}' => {
                self.pos += 1;
                return Ok(false);
            }
            b',' if !*first => self.pos += 1,
            b'"' if *first => {}
            _ => return Err(self.error(ErrorKind::Syntax)),
        }
        *first = false;
        match self.peek_value()? {
            b'"' => Ok(true),
            _ => Err(self.error(ErrorKind::Syntax)),
        }
    }

    /// In an array after `[`: consume `,` or `]`; true if an element follows.
    pub(super) fn next_element(&mut self, first: &mut bool) -> Result<bool> {
        match self.peek_value()? {
            b']' => {
                self.pos += 1;
                return Ok(false);
            }
            b',' if !*first => {
                self.pos += 1;
                if self.peek_value()? == b']' {
                    return Err(self.error(ErrorKind::Syntax));
                }
            }
            _ if *first => {}
            _ => return Err(self.error(ErrorKind::Syntax)),
        }
        *first = false;
        Ok(true)
    }

    pub(super) fn key_str(&mut self) -> Result<RawKey<'de>> {
        let s = self.scan_str()?;
        Ok(RawKey { raw: s.raw })
    }

    fn visit_string<V: Visitor<'de>>(&mut self, s: RawStr<'de>, visitor: V) -> Result<V::Value> {
        if !s.escaped {
            return visitor.visit_borrowed_str(s.raw);
        }
        self.visit_unescaped(s.raw, visitor, Unescaped::Str)
    }

    /// An escaped string for a consumer that needs it whole (`visit_str`, `visit_bytes`):
    /// decoded into a [`MAX_UNESCAPED_LEN`]-byte buffer, in a frame of its own so that the
    /// buffer is on the stack only while an escaped string is delivered. Longer:
    /// [`ErrorKind::StringTooLong`], except for a name (a field or variant), which then is
    /// handed over as written: it matches no name, as its decoded text could not either.
    #[inline(never)]
    fn visit_unescaped<V: Visitor<'de>>(
        &self,
        raw: &'de str,
        visitor: V,
        how: Unescaped,
    ) -> Result<V::Value> {
        let mut buf = [0u8; MAX_UNESCAPED_LEN];
        let Ok(text) = JsonStr::checked(raw).decode(&mut buf) else {
            return match how {
                Unescaped::Name => visitor.visit_borrowed_str(raw),
                _ => Err(self.error(ErrorKind::StringTooLong)),
            };
        };
        match how {
            Unescaped::Bytes => visitor.visit_bytes(text.as_bytes()),
            Unescaped::Str | Unescaped::Name => visitor.visit_str(text),
        }
    }

    /// An escaped enum variant name, decoded; one longer than any variant name is handed
    /// over as written (it matches none, so a `#[serde(other)]` variant takes it).
    #[inline(never)]
    fn visit_escaped_variant<V: Visitor<'de>>(
        &self,
        raw: &'de str,
        visitor: V,
    ) -> Result<V::Value> {
        let mut buf = [0u8; MAX_VARIANT_LEN];
        match JsonStr::checked(raw).decode(&mut buf) {
            Ok(name) => visitor.visit_enum(name.into_deserializer()),
            Err(_) => visitor.visit_enum(raw.into_deserializer()),
        }
    }

    pub(super) fn unsigned(&mut self) -> Result<u64> {
        let n = self.scan_number()?;
        if !n.integer || n.negative {
            return Err(self.error(ErrorKind::Number));
        }
        n.text.parse().map_err(|_| self.error(ErrorKind::Number))
    }

    fn signed(&mut self) -> Result<i64> {
        let n = self.scan_number()?;
        if !n.integer {
            return Err(self.error(ErrorKind::Number));
        }
        n.text.parse().map_err(|_| self.error(ErrorKind::Number))
    }

    /// A number where any value is wanted: an integer as `u64` or `i64`; anything else as
    /// `f64` with `alloc`, and refused ([`ErrorKind::Number`], at the number's first byte)
    /// without it, so that firmware links no float parsing.
    fn visit_number<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value> {
        let n = self.scan_number()?;
        if n.integer && !n.negative {
            if let Ok(v) = n.text.parse::<u64>() {
                return visitor.visit_u64(v);
            }
        } else if let (true, Ok(v)) = (n.integer, n.text.parse::<i64>()) {
            return visitor.visit_i64(v);
        }
        self.visit_float(n, visitor)
    }

    #[cfg(feature = "alloc")]
    fn visit_float<V: Visitor<'de>>(&self, n: Number<'de>, visitor: V) -> Result<V::Value> {
        let v: f64 = n.text.parse().map_err(|_| self.error(ErrorKind::Number))?;
        visitor.visit_f64(v)
    }

    #[cfg(not(feature = "alloc"))]
    fn visit_float<V: Visitor<'de>>(&self, n: Number<'de>, _visitor: V) -> Result<V::Value> {
        Err(Error::new(ErrorKind::Number, self.pos - n.text.len()))
    }

    pub(super) fn check_type(&mut self, allowed: &[u8]) -> Result<()> {
        let b = self.peek_value()?;
        let is_number = b == b'-' || b.is_ascii_digit();
        if allowed.contains(&b) || (is_number && allowed.contains(&b'0')) {
            Ok(())
        } else {
            Err(self.type_error())
        }
    }

    fn type_error(&self) -> Error {
        let mut e = <Error as de::Error>::custom("invalid type");
        e = e.at(self.pos);
        e
    }
}

/// An object key as scanned: borrowed, possibly still escaped.
pub(super) struct RawKey<'de> {
    pub(super) raw: &'de str,
}

/// What an escaped string is decoded for.
#[derive(Clone, Copy)]
enum Unescaped {
    Str,
    Bytes,
    Name,
}

macro_rules! unsigned_method {
    ($method:ident, $visit:ident, $ty:ty) => {
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
            self.check_type(b"0")?;
            let v = self.unsigned()?;
            let v = <$ty>::try_from(v).map_err(|_| self.error(ErrorKind::Number))?;
            visitor.$visit(v)
        }
    };
}

macro_rules! signed_method {
    ($method:ident, $visit:ident, $ty:ty) => {
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
            self.check_type(b"0")?;
            let v = self.signed()?;
            let v = <$ty>::try_from(v).map_err(|_| self.error(ErrorKind::Number))?;
            visitor.$visit(v)
        }
    };
}

impl<'de> de::Deserializer<'de> for &mut Deserializer<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.peek_value()? {
            b'n' => {
                self.literal(b"null")?;
                visitor.visit_unit()
            }
            b't' => {
                self.literal(b"true")?;
                visitor.visit_bool(true)
            }
            b'f' => {
                self.literal(b"false")?;
                visitor.visit_bool(false)
            }
            b'"' => {
                let s = self.scan_str()?;
                self.visit_string(s, visitor)
            }
            b'[' => self.deserialize_seq(visitor),
            b'{' => self.deserialize_map(visitor),
            _ => self.visit_number(visitor),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.peek_value()? {
            b't' => {
                self.literal(b"true")?;
                visitor.visit_bool(true)
            }
            b'f' => {
                self.literal(b"false")?;
                visitor.visit_bool(false)
            }
            _ => Err(self.type_error()),
        }
    }

    unsigned_method!(deserialize_u8, visit_u8, u8);
    unsigned_method!(deserialize_u16, visit_u16, u16);
    unsigned_method!(deserialize_u32, visit_u32, u32);
    unsigned_method!(deserialize_u64, visit_u64, u64);
    signed_method!(deserialize_i8, visit_i8, i8);
    signed_method!(deserialize_i16, visit_i16, i16);
    signed_method!(deserialize_i32, visit_i32, i32);
    signed_method!(deserialize_i64, visit_i64, i64);

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_f64(visitor)
    }

    #[cfg(feature = "alloc")]
    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.check_type(b"0")?;
        let n = self.scan_number()?;
        let v: f64 = n.text.parse().map_err(|_| self.error(ErrorKind::Number))?;
        visitor.visit_f64(v)
    }

    /// Without `alloc`: integers only (see [`Deserializer::visit_number`]).
    #[cfg(not(feature = "alloc"))]
    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.check_type(b"0")?;
        self.visit_number(visitor)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.check_type(b"\"")?;
        let s = self.scan_str()?;
        self.visit_string(s, visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    /// Strings only: the bytes of a string without escapes, borrowed; of one with escapes,
    /// decoded (as for `deserialize_str`).
    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.check_type(b"\"")?;
        let s = self.scan_str()?;
        if s.escaped {
            return self.visit_unescaped(s.raw, visitor, Unescaped::Bytes);
        }
        visitor.visit_borrowed_bytes(s.raw.as_bytes())
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if self.peek_value()? == b'n' {
            self.literal(b"null")?;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.check_type(b"n")?;
        self.literal(b"null")?;
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        if name == JSON_STR_TOKEN {
            // A string's raw content, escapes and all: see `JsonStr`.
            self.check_type(b"\"")?;
            let s = self.scan_str()?;
            return visitor.visit_borrowed_bytes(s.raw.as_bytes());
        }
        if name == super::raw::RAW_JSON_TOKEN {
            let raw = self.raw_value()?;
            return visitor.visit_borrowed_str(raw);
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.open(b'[')?;
        let value = visitor.visit_seq(Access {
            de: &mut *self,
            first: true,
        })?;
        // Elements the visitor did not take are an error, as in serde_json.
        let mut first = false;
        if self.next_element(&mut first)? {
            return Err(<Error as de::Error>::invalid_length(0, &"fewer elements").at(self.pos));
        }
        self.leave();
        Ok(value)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.open(b'{')?;
        let mut access = Access {
            de: &mut *self,
            first: true,
        };
        let value = visitor.visit_map(&mut access)?;
        // Drain what the visitor left (it may stop early); still validated.
        while access.de.next_member(&mut access.first)? {
            access.de.scan_str()?;
            access.de.expect(b':')?;
            access.de.skip_value()?;
        }
        self.leave();
        Ok(value)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        match self.peek_value()? {
            b'"' => {
                let s = self.scan_str()?;
                if s.escaped {
                    return self.visit_escaped_variant(s.raw, visitor);
                }
                visitor.visit_enum(s.raw.into_deserializer())
            }
            b'{' => {
                self.open(b'{')?;
                let value = visitor.visit_enum(VariantAccess { de: &mut *self })?;
                self.expect(b'}')?;
                self.leave();
                Ok(value)
            }
            _ => Err(self.type_error()),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.check_type(b"\"")?;
        let s = self.scan_str()?;
        if s.escaped {
            return self.visit_unescaped(s.raw, visitor, Unescaped::Name);
        }
        visitor.visit_borrowed_str(s.raw)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.skip_value()?;
        visitor.visit_unit()
    }
}

struct Access<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    first: bool,
}

impl Access<'_, '_> {
    /// `more`, whether an element or member follows (from `next_element` or `next_member`);
    /// at the end, steps back over the `]` or `}` so that `deserialize_seq` or
    /// `deserialize_map` sees the end again.
    fn follows(&mut self, more: bool) -> bool {
        if !more {
            self.de.pos -= 1;
            self.first = true;
        }
        more
    }
}

impl<'de> de::SeqAccess<'de> for Access<'_, 'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        let more = self.de.next_element(&mut self.first)?;
        self.follows(more)
            .then(|| seed.deserialize(&mut *self.de))
            .transpose()
    }
}

impl<'de> de::MapAccess<'de> for Access<'_, 'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        let more = self.de.next_member(&mut self.first)?;
        self.follows(more)
            .then(|| seed.deserialize(&mut *self.de))
            .transpose()
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        self.de.expect(b':')?;
        seed.deserialize(&mut *self.de)
    }
}

struct VariantAccess<'a, 'de> {
    de: &'a mut Deserializer<'de>,
}

impl<'de> de::EnumAccess<'de> for VariantAccess<'_, 'de> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self)> {
        let value = seed.deserialize(&mut *self.de)?;
        self.de.expect(b':')?;
        Ok((value, self))
    }
}

impl<'de> de::VariantAccess<'de> for VariantAccess<'_, 'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<()> {
        de::Deserialize::deserialize(&mut *self.de)
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value> {
        seed.deserialize(&mut *self.de)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        de::Deserializer::deserialize_seq(&mut *self.de, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        de::Deserializer::deserialize_map(&mut *self.de, visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Doc<'a> {
        name: &'a str,
        size: u32,
        tags: heapless::Vec<&'a str, 4>,
        nested: Option<Inner>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Inner {
        flag: bool,
        ratio: f64,
    }

    #[cfg(feature = "alloc")]
    #[test]
    fn parses_borrowed_struct_and_skips_unknown_values() {
        let json = br#" {"name":"fw","size":1024,"unknown":{"a":[1,2,{"b":null}],"c":-1.5e3},
            "tags":["x","y"],"nested":{"flag":true,"ratio":0.25}} "#;
        let doc: Doc<'_> = from_slice(json).unwrap();
        assert_eq!(doc.name, "fw");
        assert_eq!(doc.size, 1024);
        assert_eq!(doc.tags.as_slice(), ["x", "y"]);
        assert_eq!(
            doc.nested,
            Some(Inner {
                flag: true,
                ratio: 0.25
            })
        );
    }

    #[test]
    fn rejects_what_rfc_8259_rejects() {
        let bad: &[&[u8]] = &[
            br#"{"a":1,}"#,
            br#"[1,]"#,
            br#"{"a":01}"#,
            br#"{"a":1.}"#,
            br#"{"a":.5}"#,
            br#"{"a":+1}"#,
            br#"{"a":"x"} x"#,
            br#"{"a":"\x"}"#,
            b"{\"a\":\"\x01\"}",
            b"{\"a\":\"\xff\"}",
            br#"{'a':1}"#,
            br#"{"a" 1}"#,
            br#"{"a":tru}"#,
            br#"{"a":1"#,
            br#"{"a":"\ud800"}"#,
            br#"[1 2]"#,
            br#""#,
        ];
        for input in bad {
            let r: Result<serde::de::IgnoredAny> = from_slice(input);
            assert!(
                r.is_err(),
                "{:?} must be rejected",
                core::str::from_utf8(input)
            );
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let mut deep = [b'['; 100];
        deep[99] = b']';
        let r: Result<serde::de::IgnoredAny> = from_slice(&deep);
        assert_eq!(r.unwrap_err().kind(), ErrorKind::TooDeep);
    }

    #[test]
    fn escaped_strings_reach_owned_consumers_only() {
        #[derive(Deserialize)]
        struct Owned {
            s: heapless::String<16>,
        }
        let o: Owned = from_slice(br#"{"s":"a\"b\u00e9\ud83d\ude00"}"#).unwrap();
        assert_eq!(o.s.as_str(), "a\"bé😀");
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Borrowed<'a> {
            s: &'a str,
        }
        assert!(from_slice::<Borrowed<'_>>(br#"{"s":"a\nb"}"#).is_err());
    }

    #[test]
    fn numbers_respect_target_ranges() {
        assert!(from_slice::<u32>(b"4294967296").is_err());
        assert!(from_slice::<u32>(b"-1").is_err());
        assert!(from_slice::<u32>(b"1.0").is_err());
        assert_eq!(
            from_slice::<i64>(b"-9223372036854775808").unwrap(),
            i64::MIN
        );
        assert_eq!(
            from_slice::<u64>(b"18446744073709551615").unwrap(),
            u64::MAX
        );
        assert!(from_slice::<u64>(b"19223372036854775808").is_err());
        #[cfg(feature = "alloc")]
        assert_eq!(from_slice::<f64>(b"1e2").unwrap(), 100.0);
        assert_eq!(from_slice::<f64>(b"-3").unwrap(), -3.0);
    }

    /// What `deserialize_any` hands out for a number.
    #[derive(Debug, PartialEq)]
    enum Any {
        U(u64),
        I(i64),
        F(f64),
    }

    impl<'de> Deserialize<'de> for Any {
        fn deserialize<D: de::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
            struct V;
            impl Visitor<'_> for V {
                type Value = Any;
                fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                    f.write_str("a number")
                }
                fn visit_u64<E>(self, v: u64) -> core::result::Result<Any, E> {
                    Ok(Any::U(v))
                }
                fn visit_i64<E>(self, v: i64) -> core::result::Result<Any, E> {
                    Ok(Any::I(v))
                }
                fn visit_f64<E>(self, v: f64) -> core::result::Result<Any, E> {
                    Ok(Any::F(v))
                }
            }
            d.deserialize_any(V)
        }
    }

    #[test]
    fn numbers_where_any_value_is_wanted() {
        assert_eq!(from_slice::<Any>(b"7").unwrap(), Any::U(7));
        assert_eq!(from_slice::<Any>(b"-7").unwrap(), Any::I(-7));
        #[cfg(feature = "alloc")]
        assert_eq!(from_slice::<Any>(b"-0.5").unwrap(), Any::F(-0.5));
    }

    #[cfg(not(feature = "alloc"))]
    #[test]
    fn without_alloc_non_integers_are_refused_where_wanted_and_skipped_where_ignored() {
        let kind_at = |e: Error| (e.kind(), e.offset());
        for input in [&b"1e2"[..], b"-0.5", b"19223372036854775808"] {
            let refused = (ErrorKind::Number, 0);
            assert_eq!(
                from_slice::<Any>(input).map_err(kind_at).err(),
                Some(refused)
            );
            assert_eq!(
                from_slice::<f64>(input).map_err(kind_at).err(),
                Some(refused)
            );
        }
        let list = from_slice::<heapless::Vec<Any, 2>>(b"[1, 2.5]");
        assert_eq!(list.map_err(kind_at).err(), Some((ErrorKind::Number, 4)));
        assert_eq!(from_slice::<f64>(b"-3").unwrap(), -3.0);
        from_slice::<de::IgnoredAny>(b"[1, 2.5, -1e9, {\"a\": 0.1}]").unwrap();
        let doc: Doc<'_> =
            from_slice(br#"{"name":"n","size":1,"tags":[],"nested":null,"x":-1.5e3}"#).unwrap();
        assert_eq!(doc.size, 1);
    }

    #[cfg(feature = "alloc")]
    #[test]
    fn data_errors_carry_serde_message() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Need {
            filesize: u32,
        }
        let e = from_slice::<Need>(b"{}").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Data);
        assert_eq!(e.message(), "missing field `filesize`");
    }

    #[cfg(not(feature = "alloc"))]
    #[test]
    fn data_errors_without_alloc_have_kind_and_offset_only() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Need {
            filesize: u32,
        }
        let e = from_slice::<Need>(b" {}").unwrap_err();
        assert_eq!(
            (e.kind(), e.offset(), e.message()),
            (ErrorKind::Data, 2, "")
        );
    }

    #[test]
    fn enums_as_strings_and_single_key_objects() {
        #[derive(Debug, Deserialize, PartialEq)]
        enum E {
            A,
            B(u8),
        }
        assert_eq!(from_slice::<E>(br#""A""#).unwrap(), E::A);
        assert_eq!(from_slice::<E>(br#"{"B":7}"#).unwrap(), E::B(7));
        assert!(from_slice::<E>(br#""C""#).is_err());
    }
}
