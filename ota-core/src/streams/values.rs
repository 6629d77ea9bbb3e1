//! The values a decoder read from one map, before the message is built from them
//! ([`super::fields::Message::from_values`]): one slot per key, filled at most once.
//!
//! Does not read any format: the codecs fill the slots, and [`Codec`] turns the bitmap or
//! payload they kept into bytes.

use super::code::StreamErrorCode;
use super::error::StreamError;
use super::fields::{Field, Kind};
use super::key::Key;
use crate::json::JsonStr;

/// One value as a decoder read it. `B` is a bitmap or payload as its format keeps it
/// ([`Codec::Bytes`]).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Raw<'a, B> {
    Uint(u64),
    /// `None`: a chunked CBOR text, which cannot be borrowed.
    Text(Option<JsonStr<'a>>),
    Code(StreamErrorCode<'a>),
    Bytes(B),
    /// The files went to the message's file list.
    Files,
}

/// What a format does with a bitmap or payload once its map is read.
pub trait Codec {
    /// A bitmap or payload as the decoder kept it.
    type Bytes<'a>: Copy;
    /// Whether bitmaps and payloads are decoded only now, after the map (JSON's hex and
    /// base64), rather than read with it (CBOR's byte strings).
    const DECODES_BYTES_AFTER_MAP: bool;

    /// A GetStream bitmap as bytes, decoded into the start of `buf` if need be.
    ///
    /// # Errors
    /// [`StreamError::BitmapTooLong`], [`StreamError::BitmapHex`],
    /// [`StreamError::BufferTooSmall`].
    fn bitmap<'a>(raw: Self::Bytes<'a>, buf: &'a mut [u8]) -> Result<&'a [u8], StreamError>;

    /// A data block's payload as bytes, decoded into the start of `buf` if need be.
    ///
    /// # Errors
    /// [`StreamError::Base64`], [`StreamError::BufferTooSmall`].
    fn payload<'a>(raw: Self::Bytes<'a>, buf: &'a mut [u8]) -> Result<&'a [u8], StreamError>;
}

/// The values of one map: a slot per key, filled at most once, for the keys of the
/// message's description.
pub struct Values<'a, C: Codec> {
    fields: &'static [Field],
    slots: [Option<Raw<'a, C::Bytes<'a>>>; Key::COUNT],
    /// The caller's buffer: where CBOR copies the chunks of a chunked byte string while
    /// reading, and JSON decodes a bitmap or payload afterwards.
    buf: &'a mut [u8],
}

impl<'a, C: Codec> Values<'a, C> {
    /// Empty slots for the keys of `fields`.
    pub(crate) fn new(fields: &'static [Field], buf: &'a mut [u8]) -> Self {
        Self {
            fields,
            slots: [None; Key::COUNT],
            buf,
        }
    }

    /// What `key` holds, if the message has it.
    pub(crate) fn kind(&self, key: Key) -> Option<Kind> {
        let field = self.fields.iter().find(|f| f.key == key)?;
        Some(field.kind)
    }

    /// Fill the slot of `key` (one [`Values::kind`] knows).
    ///
    /// # Errors
    /// [`StreamError::DuplicateKey`] if it holds a value already.
    pub(crate) fn put(&mut self, key: Key, raw: Raw<'a, C::Bytes<'a>>) -> Result<(), StreamError> {
        let slot = &mut self.slots[key as usize];
        if slot.is_some() {
            return Err(StreamError::DuplicateKey(key.name()));
        }
        *slot = Some(raw);
        Ok(())
    }

    /// What is left of the caller's buffer.
    pub(crate) fn buf(&mut self) -> &mut &'a mut [u8] {
        &mut self.buf
    }

    /// The value of `key`, else of its older spelling.
    #[inline]
    fn get(&self, key: Key) -> Option<Raw<'a, C::Bytes<'a>>> {
        let older = key.older_spelling();
        self.slots[key as usize].or_else(|| self.slots[older? as usize])
    }

    /// A text's value: `None` when absent, or chunked in CBOR.
    #[inline]
    pub(crate) fn text(&self, key: Key) -> Option<JsonStr<'a>> {
        match self.get(key) {
            Some(Raw::Text(text)) => text,
            _ => None,
        }
    }

    /// A required error code.
    ///
    /// # Errors
    /// [`StreamError::MissingKey`].
    #[inline]
    pub(crate) fn code(&self, key: Key) -> Result<StreamErrorCode<'a>, StreamError> {
        match self.get(key) {
            Some(Raw::Code(code)) => Ok(code),
            _ => Err(StreamError::MissingKey(key.name())),
        }
    }

    /// An optional number.
    #[inline]
    pub(crate) fn uint(&self, key: Key) -> Option<u64> {
        match self.get(key) {
            Some(Raw::Uint(v)) => Some(v),
            _ => None,
        }
    }

    /// A required number.
    ///
    /// # Errors
    /// [`StreamError::MissingKey`].
    #[inline]
    pub(crate) fn required_uint(&self, key: Key) -> Result<u64, StreamError> {
        self.uint(key).ok_or(StreamError::MissingKey(key.name()))
    }

    /// That a required key (a file list) is present.
    ///
    /// # Errors
    /// [`StreamError::MissingKey`].
    #[inline]
    pub(crate) fn require(&self, key: Key) -> Result<(), StreamError> {
        self.get(key)
            .map(drop)
            .ok_or(StreamError::MissingKey(key.name()))
    }

    #[inline]
    fn bytes(&self, key: Key) -> Option<C::Bytes<'a>> {
        match self.get(key) {
            Some(Raw::Bytes(bytes)) => Some(bytes),
            _ => None,
        }
    }

    /// An optional bitmap, as bytes ([`Codec::bitmap`]).
    ///
    /// # Errors
    /// As [`Codec::bitmap`].
    pub(crate) fn bitmap(&mut self, key: Key) -> Result<Option<&'a [u8]>, StreamError> {
        self.bytes(key)
            .map(|raw| C::bitmap(raw, core::mem::take(&mut self.buf)))
            .transpose()
    }

    /// A required payload, as bytes ([`Codec::payload`]), whose length the required
    /// number `length` gives. When both are missing, the one reported is the payload in
    /// CBOR, which reads it with the map, and the length in JSON, which checks it before
    /// decoding the payload.
    ///
    /// # Errors
    /// [`StreamError::MissingKey`], as [`Codec::payload`],
    /// [`StreamError::PayloadLengthMismatch`].
    pub(crate) fn payload(&mut self, key: Key, length: Key) -> Result<&'a [u8], StreamError> {
        let missing = StreamError::MissingKey(key.name());
        let (raw, length) = if C::DECODES_BYTES_AFTER_MAP {
            let length = self.required_uint(length)?;
            (self.bytes(key).ok_or(missing)?, length)
        } else {
            let raw = self.bytes(key).ok_or(missing)?;
            (raw, self.required_uint(length)?)
        };
        let payload = C::payload(raw, core::mem::take(&mut self.buf))?;
        if length != payload.len() as u64 {
            return Err(StreamError::PayloadLengthMismatch);
        }
        Ok(payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::streams::cbor::Cbor;
    use crate::streams::fields::Message;
    use crate::streams::{DataBlock, StreamRejected};

    #[test]
    fn slots_check_presence_and_older_spellings() {
        let mut values = Values::<Cbor>::new(DataBlock::FIELDS, &mut []);
        assert_eq!(values.kind(Key::F), Some(Kind::Uint));
        assert_eq!(values.kind(Key::S), None, "not a data block's key");
        values.put(Key::F, Raw::Uint(1)).unwrap();
        assert_eq!(
            values.put(Key::F, Raw::Uint(2)),
            Err(StreamError::DuplicateKey("f"))
        );
        assert_eq!(values.required_uint(Key::F), Ok(1));
        assert_eq!(
            values.required_uint(Key::L),
            Err(StreamError::MissingKey("l"))
        );

        let mut values = Values::<Cbor>::new(StreamRejected::FIELDS, &mut []);
        values
            .put(Key::Message, Raw::Text(Some(JsonStr::text("older"))))
            .unwrap();
        assert!(values.text(Key::M).is_some_and(|m| m == "older"));
        // The newer spelling wins, even chunked (unreadable) in CBOR.
        values.put(Key::M, Raw::Text(None)).unwrap();
        assert_eq!(values.text(Key::M), None);
        assert_eq!(values.code(Key::O), Err(StreamError::MissingKey("o")));
    }
}
