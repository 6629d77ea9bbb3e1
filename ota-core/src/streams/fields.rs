//! The one description of each stream message, which both codecs (`cbor.rs`, `json.rs`) are
//! driven by: neither of them knows any message.
//!
//! A message ([`Message`]) lists its keys with the kind of value each holds ([`Field`],
//! [`Kind`]) in the order CBOR writes them, says where JSON writes them in another order and
//! whether CBOR writes a definite-length map, hands out the [`Value`] of each key to write,
//! and builds itself from the [`Values`] a decoder read: which keys are required, how numbers
//! narrow (an older spelling of a key, [`Key::older_spelling`], stands in for it when it is
//! absent). Its other limits are in its `validate`.
//! Nothing here reads or writes bytes.
//!
//! [`Message`] is the supertrait of the public [`super::StreamMessage`], whose provided
//! methods are the codecs: it is `pub` in this private module, so that it can be one without
//! `private_bounds` or `private_interfaces` warnings while no one outside the crate can name
//! or implement it (which seals `StreamMessage`). The types of its interface ([`Field`],
//! [`Key`], [`CborMap`], [`FileList`], [`NoFiles`], [`Value`], [`Values`], [`Codec`]) are
//! `pub` in private modules for the same reason; their members stay `pub(crate)`.

use heapless::vec::VecView;

use super::error::StreamError;
use super::key::Key;
use super::message::StreamFile;
use super::values::{Codec, Values};
use crate::json::JsonStr;

/// What a key holds, which says how each format reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A client token: text, at most 64 bytes decoded.
    Token,
    /// A description or message: text.
    Text,
    /// An error code: text, recognised whatever its escapes or chunks.
    Code,
    /// An unsigned integer, narrowed by the message.
    Uint,
    /// A GetStream bitmap: a byte string in CBOR, a `0x…` hex string in JSON.
    Bitmap,
    /// A data block's payload: a byte string in CBOR, standard base64 in JSON.
    Payload,
    /// A DescribeStream response's files: an array of [`StreamFile`] maps.
    Files,
}

/// One key of a message, and what it holds.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub(crate) key: Key,
    pub(crate) kind: Kind,
}

impl Field {
    pub(crate) const fn new(key: Key, kind: Kind) -> Self {
        Self { key, kind }
    }

    /// The same field under its older spelling ([`Key::older_spelling`]).
    ///
    /// # Panics
    /// For a key without one: at compile time, in the constant tables this builds.
    pub(crate) const fn older_spelling(self) -> Self {
        match self.key.older_spelling() {
            Some(key) => Self::new(key, self.kind),
            None => panic!("the key has no older spelling"),
        }
    }
}

// Each field the messages hold, described once; a message lists them in its
// [`Message::FIELDS`].

/// `c`: a client token.
pub(crate) const CLIENT_TOKEN: Field = Field::new(Key::C, Kind::Token);
/// `s`: the stream version.
pub(crate) const STREAM_VERSION: Field = Field::new(Key::S, Kind::Uint);
/// `f`: a file id.
pub(crate) const FILE_ID: Field = Field::new(Key::F, Kind::Uint);
/// `l`: the block size.
pub(crate) const BLOCK_SIZE: Field = Field::new(Key::L, Kind::Uint);
/// `o`: the first block asked for.
pub(crate) const OFFSET: Field = Field::new(Key::O, Kind::Uint);
/// `b`: the bitmap of the blocks asked for.
pub(crate) const BITMAP: Field = Field::new(Key::B, Kind::Bitmap);
/// `n`: how many blocks are asked for.
pub(crate) const BLOCK_COUNT: Field = Field::new(Key::N, Kind::Uint);
/// `i`: a block's index.
pub(crate) const BLOCK_ID: Field = Field::new(Key::I, Kind::Uint);
/// `p`: a block's payload.
pub(crate) const PAYLOAD: Field = Field::new(Key::P, Kind::Payload);
/// `d`: a stream's description.
pub(crate) const DESCRIPTION: Field = Field::new(Key::D, Kind::Text);
/// `r`: a stream's files.
pub(crate) const FILES: Field = Field::new(Key::R, Kind::Files);
/// `z`: a file's size.
pub(crate) const FILE_SIZE: Field = Field::new(Key::Z, Kind::Uint);
/// `o`: an error code.
pub(crate) const ERROR_CODE: Field = Field::new(Key::O, Kind::Code);
/// `m`: an error message.
pub(crate) const ERROR_MESSAGE: Field = Field::new(Key::M, Kind::Text);

/// The value of one key, to write.
#[derive(Debug, Clone, Copy)]
pub enum Value<'v> {
    /// Any [`Kind`] of text, written decoded.
    Text(JsonStr<'v>),
    Uint(u32),
    Bitmap(&'v [u8]),
    Payload(&'v [u8]),
    Files(&'v [StreamFile]),
}

/// How CBOR writes a message's map: requests definite, as the AWS C agent does, responses
/// indefinite, as the service does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CborMap {
    Definite,
    Indefinite,
}

/// A stream message as both codecs see it. Sealed: `pub` only to be the supertrait of
/// [`super::StreamMessage`] (see the module docs).
pub trait Message<'a>: Sized {
    /// Every key the message reads, in the order CBOR writes them.
    const FIELDS: &'static [Field];
    /// The order JSON writes the keys in, where it differs from [`Self::FIELDS`].
    const JSON_ORDER: Option<&'static [Key]> = None;
    const CBOR_MAP: CborMap;
    /// Where the files of a [`Kind::Files`] key are collected while decoding.
    type Files: FileList;

    /// The value to write under `key`; `None` leaves the key out.
    ///
    /// Implementations are `#[inline]`: the encoders are instantiated in the crate that calls
    /// [`super::StreamMessage`], and only an inlined `value` lets the compiler drop the values
    /// a message never has (about 250 bytes of a Cortex-M firmware, measured).
    fn value(&self, key: Key) -> Option<Value<'_>>;

    /// The message from the values read, in a fixed order so that the first broken rule
    /// is the one reported whatever the format: presence, narrowing, older spellings.
    /// Does not check the limits of [`Message::check`].
    ///
    /// # Errors
    /// [`StreamError::MissingKey`], a narrowing error, or what `C` reports for a bitmap or
    /// payload.
    fn from_values<C: Codec>(
        values: &mut Values<'a, C>,
        files: Self::Files,
    ) -> Result<Self, StreamError>;

    /// The message's limits (its `validate`), checked before encoding and after decoding.
    ///
    /// # Errors
    /// The message's `validate` errors.
    fn check(&self) -> Result<(), StreamError>;

    /// The keys in the order JSON writes them.
    fn json_keys() -> impl Iterator<Item = Key> {
        let (order, fields): (&[Key], &[Field]) = match Self::JSON_ORDER {
            Some(order) => (order, &[]),
            None => (&[], Self::FIELDS),
        };
        order
            .iter()
            .copied()
            .chain(fields.iter().map(|field| field.key))
    }
}

/// Where a decoder puts the files of a DescribeStream response: `heapless::Vec<StreamFile, N>`,
/// or [`NoFiles`] for a message without them.
pub trait FileList: Default {
    /// Whether the message has files at all: the codecs of one that does not have no code
    /// for them.
    const HAS_FILES: bool;

    fn as_mut_view(&mut self) -> &mut VecView<StreamFile>;
}

impl<const N: usize> FileList for heapless::Vec<StreamFile, N> {
    const HAS_FILES: bool = true;

    fn as_mut_view(&mut self) -> &mut VecView<StreamFile> {
        self.as_mut_view()
    }
}

/// The file list of a message without files.
#[derive(Debug, Default)]
pub struct NoFiles(heapless::Vec<StreamFile, 0>);

impl FileList for NoFiles {
    const HAS_FILES: bool = false;

    fn as_mut_view(&mut self) -> &mut VecView<StreamFile> {
        self.0.as_mut_view()
    }
}

#[cfg(test)]
mod tests;
