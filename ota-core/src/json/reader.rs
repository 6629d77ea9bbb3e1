//! [`Reader`]: a pull reader over one strict JSON value, for parsers written by hand.
//!
//! The wire types a device reads (job documents, manifests, Jobs replies) are parsed with it
//! instead of serde: one non-generic reader and a short function per shape take a few KB of
//! flash on Cortex-M where serde's visitors took about 20 KB. It is the same scanner as
//! [`super::from_slice`] (the same strictness, limits and error kinds); the serde
//! `Deserialize` impls of those types stay for other parsers and are the oracle the
//! hand-written parsers are tested against.
//!
//! What it does not do: it keeps no state beyond a position and a depth, so a caller must
//! read each value it starts (or [`Reader::skip`] it) and check duplicate or missing
//! members itself ([`Fields`] helps).

use super::MAX_UNESCAPED_LEN;
use super::de::Deserializer;
use super::error::{Error, ErrorKind};
use super::raw::RawJson;
use super::str::JsonStr;

type Result<T> = core::result::Result<T, Error>;

/// A pull reader over one JSON value in a borrowed slice. See the [module docs](crate::json).
pub struct Reader<'a> {
    de: Deserializer<'a>,
}

/// Where a reader is inside an object or array: made by [`Reader::object`] or
/// [`Reader::array`], advanced by [`Reader::next_key`] or [`Reader::next_element`].
#[derive(Debug)]
pub struct Open {
    first: bool,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `input`.
    pub fn new(input: &'a [u8]) -> Self {
        Self {
            de: Deserializer::new(input),
        }
    }

    /// Read all of `input` with `read`: one value, nothing but whitespace after it.
    ///
    /// # Errors
    /// `read`'s error, or [`ErrorKind::TrailingCharacters`].
    pub fn read_all<T>(input: &'a [u8], read: fn(&mut Self) -> Result<T>) -> Result<T> {
        let mut r = Self::new(input);
        let value = read(&mut r)?;
        r.finish()?;
        Ok(value)
    }

    /// Current byte offset.
    pub fn offset(&self) -> usize {
        self.de.offset()
    }

    /// Check that only whitespace remains.
    ///
    /// # Errors
    /// [`ErrorKind::TrailingCharacters`].
    pub fn finish(mut self) -> Result<()> {
        self.de.end()
    }

    /// An [`ErrorKind::Data`] error at the current offset, with `message` as its message
    /// when the `alloc` feature keeps messages.
    pub fn data_error(&self, message: &str) -> Error {
        Error::with_message(ErrorKind::Data, self.de.offset(), message)
    }

    /// An error of `kind` at the current offset.
    pub fn error(&self, kind: ErrorKind) -> Error {
        Error::new(kind, self.de.offset())
    }

    /// Whether the next value is `null`; consumes it if so.
    ///
    /// # Errors
    /// End of input, or a value starting with `n` that is not `null`.
    pub fn null(&mut self) -> Result<bool> {
        if self.de.peek_value()? != b'n' {
            return Ok(false);
        }
        self.de.literal(b"null")?;
        Ok(true)
    }

    /// Enter an object (`{`).
    ///
    /// # Errors
    /// [`ErrorKind::Data`] when the next value is not an object; [`ErrorKind::TooDeep`].
    pub fn object(&mut self) -> Result<Open> {
        self.de.open(b'{')?;
        Ok(Open { first: true })
    }

    /// The next member's key (then [`Reader::colon`], or [`Fields::member`], before its
    /// value), or `None` at the object's end (then left).
    ///
    /// # Errors
    /// Syntax errors between members.
    pub fn next_key(&mut self, open: &mut Open) -> Result<Option<JsonStr<'a>>> {
        if !self.de.next_member(&mut open.first)? {
            self.de.leave();
            return Ok(None);
        }
        let key = self.de.scan_str()?;
        Ok(Some(JsonStr::checked(key.raw)))
    }

    /// The `:` between a key and its value.
    ///
    /// # Errors
    /// [`ErrorKind::Syntax`] or [`ErrorKind::Eof`] when it is not next.
    pub fn colon(&mut self) -> Result<()> {
        self.de.expect(b':')
    }

    /// Enter an array (`[`).
    ///
    /// # Errors
    /// [`ErrorKind::Data`] when the next value is not an array; [`ErrorKind::TooDeep`].
    pub fn array(&mut self) -> Result<Open> {
        self.de.open(b'[')?;
        Ok(Open { first: true })
    }

    /// Whether another element follows (read or skip it next); at the array's end, `false`
    /// (then left).
    ///
    /// # Errors
    /// Syntax errors between elements (a trailing comma included).
    pub fn next_element(&mut self, open: &mut Open) -> Result<bool> {
        let more = self.de.next_element(&mut open.first)?;
        if !more {
            self.de.leave();
        }
        Ok(more)
    }

    /// A string, as written ([`JsonStr`]: decoded when read).
    ///
    /// # Errors
    /// [`ErrorKind::Data`] for another type; [`ErrorKind::String`] for a bad string.
    pub fn string(&mut self) -> Result<JsonStr<'a>> {
        self.de.check_type(b"\"")?;
        Ok(JsonStr::checked(self.de.scan_str()?.raw))
    }

    /// A string decoded into `buf` when it has escapes (borrowed when it has none), for a
    /// consumer that needs it whole, as serde's owned consumers get it.
    ///
    /// # Errors
    /// [`ErrorKind::Data`] for another type; with escapes, [`ErrorKind::StringTooLong`] when it
    /// decodes to more than [`MAX_UNESCAPED_LEN`] bytes, [`ErrorKind::Data`] when to more than
    /// `buf` holds.
    pub fn decoded<'b>(&mut self, buf: &'b mut [u8]) -> Result<&'b str>
    where
        'a: 'b,
    {
        let s = self.string()?;
        s.decode(buf).map_err(|_| {
            if s.len() > MAX_UNESCAPED_LEN {
                self.error(ErrorKind::StringTooLong)
            } else {
                self.data_error("invalid value: a string too long for its type")
            }
        })
    }

    /// `null` as `None`, else a string as [`Reader::string`] reads it.
    ///
    /// # Errors
    /// As [`Reader::string`]; a value starting with `n` that is not `null`.
    pub fn optional_string(&mut self) -> Result<Option<JsonStr<'a>>> {
        if self.null()? {
            return Ok(None);
        }
        self.string().map(Some)
    }

    /// A non-negative integer of at most `max`.
    ///
    /// # Errors
    /// [`ErrorKind::Data`] for another type; [`ErrorKind::Number`] for a sign, a fraction, an
    /// exponent or a value above `max`.
    pub fn unsigned(&mut self, max: u64) -> Result<u64> {
        self.de.check_type(b"0")?;
        let v = self.de.unsigned()?;
        if v > max {
            return Err(self.error(ErrorKind::Number));
        }
        Ok(v)
    }

    /// A `u64`.
    ///
    /// # Errors
    /// As [`Reader::unsigned`].
    pub fn u64(&mut self) -> Result<u64> {
        self.unsigned(u64::MAX)
    }

    /// A `u32`.
    ///
    /// # Errors
    /// As [`Reader::unsigned`].
    pub fn u32(&mut self) -> Result<u32> {
        // At most u32::MAX.
        self.unsigned(u32::MAX.into()).map(|v| v as u32)
    }

    /// A `u8`.
    ///
    /// # Errors
    /// As [`Reader::unsigned`].
    pub fn u8(&mut self) -> Result<u8> {
        // At most u8::MAX.
        self.unsigned(u8::MAX.into()).map(|v| v as u8)
    }

    /// An enum variant, by its index in `names` (compared decoded): a string, or an object
    /// holding one member whose value is `null` (`{"QUEUED":null}`, serde's form of a unit
    /// variant, accepted as serde accepts it). A name not in `names` is `None` when `other`
    /// (the enum keeps unknown names), else refused.
    ///
    /// # Errors
    /// [`ErrorKind::Data`] for another type, another member value, or an unknown name without
    /// `other`; syntax errors.
    pub fn variant(&mut self, names: &[&str], other: bool) -> Result<Option<usize>> {
        let wrapped = self.de.peek_value()? == b'{';
        if wrapped {
            self.de.open(b'{')?;
        }
        let name = self.string()?;
        let index = names.iter().position(|n| name == *n);
        if index.is_none() && !other {
            return Err(self.data_error("unknown variant"));
        }
        if wrapped {
            self.de.expect(b':')?;
            if !self.null()? {
                return Err(self.data_error("invalid type: expected unit"));
            }
            self.de.expect(b'}')?;
            self.de.leave();
        }
        Ok(index)
    }

    /// The first byte of the next value (whitespace skipped), not consumed.
    ///
    /// # Errors
    /// [`ErrorKind::Eof`] at the end of the input.
    pub fn peek(&mut self) -> Result<u8> {
        self.de.peek_value()
    }

    /// A number of any form, as written: its text, whether it is an integer (no fraction or
    /// exponent) and whether it is negative. Interpreting it is the caller's business.
    ///
    /// # Errors
    /// [`ErrorKind::Number`] for text that is not an RFC 8259 number.
    pub fn number(&mut self) -> Result<Number<'a>> {
        let n = self.de.scan_number()?;
        Ok(Number {
            text: n.text,
            integer: n.integer,
            negative: n.negative,
        })
    }

    /// `true`, `false` or `null`, checked and skipped.
    ///
    /// # Errors
    /// [`ErrorKind::Syntax`] or [`ErrorKind::Eof`] for anything else starting with `t`, `f`
    /// or `n`; [`ErrorKind::Data`] for another type.
    pub fn literal(&mut self) -> Result<()> {
        match self.de.peek_value()? {
            b't' => self.de.literal(b"true"),
            b'f' => self.de.literal(b"false"),
            b'n' => self.de.literal(b"null"),
            _ => Err(self.data_error("invalid type")),
        }
    }

    /// Skip one value of any type, validated.
    ///
    /// # Errors
    /// Any syntax error in it.
    pub fn skip(&mut self) -> Result<()> {
        self.de.skip_value()
    }

    /// One value of any type as its exact text, validated.
    ///
    /// # Errors
    /// Any syntax error in it.
    pub fn raw(&mut self) -> Result<RawJson<'a>> {
        self.de.raw_value().map(RawJson::checked)
    }
}

/// The members an object reader knows, by name, and which of them it has seen: a member seen
/// twice is a duplicate (refused, as serde's derive refuses it).
pub struct Fields {
    names: &'static [&'static str],
    seen: u32,
}

/// A number as written, from [`Reader::number`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Number<'a> {
    /// The number's text.
    pub text: &'a str,
    /// No fraction and no exponent.
    pub integer: bool,
    /// A leading `-`.
    pub negative: bool,
}

/// What [`Fields::member`] does with a member it does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unknown {
    /// Skip its value (validated).
    Skip,
    /// Refuse it ([`ErrorKind::Data`]): for signed statements, whose every member must be
    /// understood.
    Deny,
}

impl Fields {
    /// A table of up to 32 member names.
    pub const fn new(names: &'static [&'static str]) -> Self {
        assert!(names.len() <= 32);
        Self { names, seen: 0 }
    }

    /// The index in the table of `key` (compared decoded), its `:` consumed (read its value
    /// next), or `None` for a member not in the table, whose value has then been skipped
    /// (with [`Unknown::Skip`]). Checked before the `:`, as serde's derive checks.
    ///
    /// # Errors
    /// A known member seen before, or an unknown one with [`Unknown::Deny`]: [`ErrorKind::Data`];
    /// errors in a skipped value.
    pub fn member(
        &mut self,
        reader: &mut Reader<'_>,
        key: JsonStr<'_>,
        unknown: Unknown,
    ) -> Result<Option<usize>> {
        let Some(index) = self.names.iter().position(|name| key == *name) else {
            return match unknown {
                Unknown::Skip => {
                    reader.colon()?;
                    reader.skip().map(|()| None)
                }
                Unknown::Deny => Err(unknown_field(reader, key)),
            };
        };
        let bit = 1 << index;
        if self.seen & bit != 0 {
            return Err(field_error(reader, "duplicate", self.names[index]));
        }
        self.seen |= bit;
        reader.colon()?;
        Ok(Some(index))
    }

    /// `value`, or the error for the missing member `index` of the table.
    ///
    /// # Errors
    /// [`ErrorKind::Data`] ("missing field") when `value` is `None`.
    pub fn required<T>(&self, reader: &Reader<'_>, index: usize, value: Option<T>) -> Result<T> {
        value.ok_or_else(|| field_error(reader, "missing", self.names[index]))
    }
}

/// `{what} field `{name}``, as serde words it, with `alloc`; a bare data error without.
#[cfg(feature = "alloc")]
fn field_error(reader: &Reader<'_>, what: &str, name: &str) -> Error {
    Error::with_args(
        ErrorKind::Data,
        reader.offset(),
        format_args!("{what} field `{name}`"),
    )
}

#[cfg(not(feature = "alloc"))]
fn field_error(reader: &Reader<'_>, _what: &str, _name: &str) -> Error {
    reader.error(ErrorKind::Data)
}

#[cfg(feature = "alloc")]
fn unknown_field(reader: &Reader<'_>, key: JsonStr<'_>) -> Error {
    Error::with_args(
        ErrorKind::Data,
        reader.offset(),
        format_args!("unknown field `{key}`"),
    )
}

#[cfg(not(feature = "alloc"))]
fn unknown_field(reader: &Reader<'_>, _key: JsonStr<'_>) -> Error {
    reader.error(ErrorKind::Data)
}
